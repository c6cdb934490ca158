#!/bin/bash
# Province scale, fault: two collectors of one $share group write into one
# PostgreSQL archive (a throw-away server, tests/lib/pg.sh). 5 boxes × 3,000
# messages at full speed; collector A is killed with SIGKILL mid-burst
# (Paho has acknowledged messages it never archived) and restarted while B
# carries on. The archive ends with every message exactly once — the
# primary key holds across collectors —, no gap, and every box's outbox
# drains: acks from either collector (sent only after their commit) cover
# what the other archived. The waits are long for make asan: there the two
# collectors under AddressSanitizer fall far behind the boxes, which resend,
# and the run takes about 5 minutes (10 s otherwise).
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
source "$BK_ROOT/tests/lib/pg.sh"
bk_tmpdir
BOXES="box-p1 box-p2 box-p3 box-p4 box-p5"
PER_BOX=3000

bk_pki_setup $BOXES svc-collector svc-col-a svc-col-b || exit 1
ok "a PostgreSQL server starts" bk_pg_start || { bk_done; exit 1; }
trap 'bk_pg_stop; bk_cleanup' EXIT
psql -qAtX "$BK_PG_URI/postgres" -c "CREATE DATABASE bk" || exit 1
DB=$BK_PG_URI/bk
bk_broker_start --service svc-col-a --service svc-col-b || exit 1

# a collector of the group: its own id and clip store, the shared archive
collector() {
	local name=$1 id=$2 conf
	conf=$(bk_collector_conf "$name" "$id" "clips = $T/$name-clips")
	sed -i "s|^archive = .*|archive = $DB|" "$conf"
	"$BK_BIN/bk-collector" -t -c "$conf" >/dev/null || return 1
	: >>"$T/$name.log"
	local before
	before=$(grep -c "connected to" "$T/$name.log")
	bk_bg "$name" "$BK_BIN/bk-collector" -c "$conf"
	wait_until 15 bk_at_least $((before + 1)) grep -c "connected to" "$T/$name.log"
}
ok "collector A starts on the PostgreSQL archive" collector col-a svc-col-a
ok "collector B starts on the same archive" collector col-b svc-col-b
# the version a new SQLite archive of this build gets
printf 'licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires\n' >"$T/none.csv"
"$BK_BIN/bkctl" --db "$T/fresh.db" registry import establishments "$T/none.csv" >/dev/null
is "the schema is there, at this build's version" "$(bk_sql "$DB" "SELECT version FROM bk_schema")" \
	"$(sqlite3 "$T/fresh.db" "PRAGMA user_version")"

for b in $BOXES; do bk_burst_start "$b" "$PER_BOX"; done
total() { bk_sql "$DB" "SELECT count(*) FROM messages"; }
wait_until 60 bk_at_least 5000 total
echo "# kill -9 of collector A with $(total) archived"
bk_stop col-a KILL
sleep 1
ok "collector A restarts" collector col-a svc-col-a

ok "all $((5 * PER_BOX)) messages archived" wait_until 480 bk_at_least $((5 * PER_BOX)) total
sleep 2
is "the archive holds exactly $((5 * PER_BOX)) rows" "$(total)" $((5 * PER_BOX))
for b in $BOXES; do
	ok "$b: seq 1..$PER_BOX each exactly once" bk_stream_check "$DB" "$b" "$PER_BOX"
done
is "bkctl gaps (on the PostgreSQL archive) finds none" "$("$BK_BIN/bkctl" --db "$DB" gaps)" "(no rows)"
both() { # the most each archived in one of its runs (stats lines are cumulative)
	local a b
	a=$(sed -n 's/.*archived \([0-9]*\).*/\1/p' "$T/col-a.log" | sort -n | tail -1)
	b=$(sed -n 's/.*archived \([0-9]*\).*/\1/p' "$T/col-b.log" | sort -n | tail -1)
	echo "# archived by A ${a:-0} (before its kill or after), by B ${b:-0}"
	[ "${a:-0}" -gt 0 ] && [ "${b:-0}" -gt 0 ]
}
wait_until 10 grep -q received "$T/col-a.log" # its stats line (every 5 s)
ok "both collectors archived part of the load" both
# the reports read the PostgreSQL archive as they read SQLite
n=$("$BK_BIN/bkctl" --db "$DB" boxes --json | "$BK_PY" -c 'import json,sys; r=json.load(sys.stdin); print(len(r), sorted({x["archived"] for x in r}))')
is "bkctl boxes: 5 boxes, each 3000 archived" "$n" "5 [3000]"
n=$("$BK_BIN/bkctl" --db "$DB" readings --box box-p1 --limit 7 --json | "$BK_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "bkctl readings --limit 7" "$n" 7
ok "bkctl watch shows readings" bash -c "timeout 3 '$BK_BIN/bkctl' --db '$DB' watch --since 2000-01-01T00:00:00.000Z | grep -qE 'box-p[1-5] +reading #'"
is "progress in the archive: every box acked to 3000" \
	"$(bk_sql "$DB" "SELECT min(acked) || ' ' || max(acked) || ' ' || count(*) FROM progress")" "3000 3000 5"
outbox_empty() {
	local b n
	for b in $BOXES; do
		n=$(bk_sql "$T/$b/outbox.db" "SELECT count(*) FROM outbox")
		[ "$n" = 0 ] || return 1
	done
}
ok "every box's outbox drains (acked by one collector or the other)" wait_until 120 outbox_empty
bk_stop col-a TERM
bk_stop col-b TERM
bk_done
