#!/bin/bash
# Fault 4: the broker is down for 60 s while the boxes keep producing.
# Everything arrives after it returns, and the outbox reports its depth.
# With BK_ARCHIVE=pg: two collectors on PostgreSQL, A killed while the
# backlog drains.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
DOWN=${BK_BROKER_DOWN_S:-60}

bk_pki_setup box-d1 box-d2 svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$BK_DB
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
sleep 1
bk_collector_fault
for b in box-d1 box-d2; do
	n=$(bk_issued "$b")
	ok "$b: the $n messages issued by then all arrive" wait_until 60 bk_at_least "$n" bk_archived "$DB" "$b"
done
bk_stop box-d1 TERM
bk_stop box-d2 TERM
# What was issued in the last seconds may still wait for its ack in the
# box's outbox (a resend after ack_timeout, cut short by the stop): it goes
# when the box starts again, and only then must the archive hold it all.
upto() { bk_sql "$DB" "SELECT count(*) FROM messages WHERE sender = '$1' AND seq <= $2"; }
for b in box-d1 box-d2; do
	n=$(bk_issued "$b")
	echo "# $b stopped at seq $n; $(bk_sql "$T/$b/outbox.db" "SELECT count(*) || ' rows wait in its outbox, the oldest made ' || coalesce((strftime('%s','now') * 1000 - min(created_ms)) / 1000.0, 0) || ' s ago' FROM outbox")"
	bk_edge_start "$b"
	ok "$b: restarted, seq 1..$n all arrive" wait_until 30 bk_at_least "$n" upto "$b" "$n"
done
bk_stop box-d1 TERM
bk_stop box-d2 TERM
sleep 1
# seqs 1..N of BOX neither archived nor waiting in its outbox: lost
# (the archive may be PostgreSQL: the two lists are merged here)
lost() {
	local kept
	kept=$({
		bk_sql "$DB" "SELECT seq FROM messages WHERE sender = '$1' AND seq BETWEEN 1 AND $2"
		bk_sql "$T/$1/outbox.db" "SELECT seq FROM outbox WHERE seq BETWEEN 1 AND $2"
	} | sort -un | wc -l)
	echo $(($2 - kept))
}
for b in box-d1 box-d2; do
	n=$(bk_issued "$b")
	is "$b: every seq up to $n is archived or waits in its outbox" "$(lost "$b" "$n")" 0
done
bk_done
