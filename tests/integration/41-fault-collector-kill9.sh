#!/bin/bash
# Fault 2: 5 boxes × 4,000 messages at full speed; the collector is killed
# with SIGKILL twice mid-burst (Paho has acknowledged messages it never
# archived) and restarted. The archive ends with exactly 20,000 rows.
# With BK_ARCHIVE=pg (tests/run.sh's second pass) the killed collector is A
# of two on one PostgreSQL archive, and B carries on meanwhile.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
BOXES="box-c1 box-c2 box-c3 box-c4 box-c5"
PER_BOX=4000

bk_pki_setup $BOXES svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$BK_DB
for b in $BOXES; do bk_burst_start "$b" "$PER_BOX"; done

total() { bk_sql "$DB" "SELECT count(*) FROM messages"; }
for i in 1 2; do
	wait_until 30 bk_at_least $((i * 3000)) total
	echo "# kill -9 of the collector #$i with $(total) archived"
	bk_stop collector KILL
	sleep 1
	ok "collector restart #$i" bk_collector_start
done

ok "all $((5 * PER_BOX)) messages archived" wait_until 120 bk_at_least $((5 * PER_BOX)) total
sleep 2
is "the archive holds exactly $((5 * PER_BOX)) rows" "$(total)" $((5 * PER_BOX))
for b in $BOXES; do
	ok "$b: seq 1..$PER_BOX each exactly once" bk_stream_check "$DB" "$b" "$PER_BOX"
done
is "bkctl gaps finds none" "$("$BK_BIN/bkctl" --db "$DB" gaps)" "(no rows)"
bk_stop collector TERM
grep -h "received" "$T/collector.log" | tail -1 | sed 's/^/# collector since its last start: /'
bk_done
