#!/bin/bash
# Fault 3: a box is killed with SIGKILL mid-burst and restarted (it then
# sends another burst). Every message whose outbox commit returned — all
# seqs up to the outbox's last — is archived exactly once. With
# BK_ARCHIVE=pg: two collectors on PostgreSQL, A killed in the box's second life.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup box-k svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$BK_DB
bk_burst_start box-k 3000

ok "the burst is under way" wait_until 30 bk_at_least 800 bk_issued box-k
bk_stop box-k KILL
issued=$(bk_issued box-k)
echo "# killed box-k with $issued issued and $(bk_archived "$DB" box-k) archived"
ok "the box restarts on the same outbox" bk_burst_start box-k 3000
ok "its first life's messages all arrive" wait_until 60 bk_at_least "$issued" bk_archived "$DB" box-k
bk_collector_fault
final() { [ "$(bk_issued box-k)" -ge $((issued + 3000)) ]; }
ok "the second burst is committed" wait_until 60 final
issued=$(bk_issued box-k)
ok "everything committed is archived" wait_until 60 bk_at_least "$issued" bk_archived "$DB" box-k
sleep 2
ok "box-k: seq 1..$issued each exactly once" bk_stream_check "$DB" box-k "$issued"
bk_done
