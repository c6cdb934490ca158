#!/bin/bash
# Fault 1: 5 boxes × 4,000 messages at full speed; Mosquitto is killed with
# SIGKILL 3 times at random moments and restarted. The archive ends with
# exactly 20,000 rows, seq 1..4000 per box, no gap, no duplicate.
# Run again by tests/run.sh with BK_ARCHIVE=pg: two collectors on one
# PostgreSQL archive, collector A also killed mid-burst (tests/lib/daemons.sh).
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
BOXES="box-f1 box-f2 box-f3 box-f4 box-f5"
PER_BOX=4000

bk_pki_setup $BOXES svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$BK_DB
for b in $BOXES; do bk_burst_start "$b" "$PER_BOX"; done

total() { bk_sql "$DB" "SELECT count(*) FROM messages"; }
for i in 1 2 3; do
	sleep "$(/usr/bin/python3 -c 'import random; print(round(random.uniform(0.5, 2.5), 2))')"
	echo "# kill -9 of the broker #$i with $(total) archived"
	bk_broker_kill9
	sleep 0.5
	ok "broker restart #$i" bk_broker_restart
	[ "$i" = 2 ] && bk_collector_fault # BK_ARCHIVE=pg: collector A too
done

ok "all $((5 * PER_BOX)) messages archived" wait_until 120 bk_at_least $((5 * PER_BOX)) total
sleep 2 # anything still in flight would show up as an extra row
is "the archive holds exactly $((5 * PER_BOX)) rows" "$(total)" $((5 * PER_BOX))
for b in $BOXES; do
	ok "$b: seq 1..$PER_BOX each exactly once" bk_stream_check "$DB" "$b" "$PER_BOX"
done
is "bkctl gaps finds none" "$("$BK_BIN/bkctl" --db "$DB" gaps)" "(no rows)"
bk_stop collector TERM
grep -h "received" "$T/collector.log" | tail -1 | sed 's/^/# collector: /'
for b in $BOXES; do bk_stop "$b" TERM; done
bk_done
