#!/bin/bash
# Fault 4: the broker is down for 60 s while the boxes keep producing.
# Everything arrives after it returns, and the outbox reports its depth.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
DOWN=${BK_BROKER_DOWN_S:-60}

bk_pki_setup box-d1 box-d2 svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$T/collector.db
# 10 samples/s in batches of 200 ms: about 5 messages/s each
bk_edge_start box-d1
bk_edge_start box-d2
ok "boxes deliver" wait_until 20 bk_at_least 10 bk_archived "$DB" box-d2

bk_stop broker TERM
before1=$(bk_issued box-d1)
echo "# broker down for $DOWN s; box-d1 had issued $before1"
sleep "$DOWN"
after1=$(bk_issued box-d1)
ok "box-d1 kept accepting while the broker was down ($before1 → $after1)" test "$after1" -gt $((before1 + DOWN * 3))
ok "broker back" bk_broker_restart
for b in box-d1 box-d2; do
	n=$(bk_issued "$b")
	ok "$b: the $n messages issued by then all arrive" wait_until 60 bk_at_least "$n" bk_archived "$DB" "$b"
done
bk_stop box-d1 TERM
bk_stop box-d2 TERM
sleep 1
for b in box-d1 box-d2; do
	ok "$b: seq 1..$(bk_issued "$b") each exactly once" bk_stream_check "$DB" "$b" "$(bk_issued "$b")"
done
depth=$(bk_sql "$DB" "SELECT max(json_extract(health, '\$.outbox_depth')) FROM boxes")
echo "# highest outbox depth in the last status: $depth"
bk_done
