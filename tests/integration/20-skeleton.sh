#!/bin/bash
# The walking skeleton: two boxes → TLS broker → collector → archive.
# Readings arrive with contiguous seq; seq survives a restart; a clean stop
# says offline, kill -9 lets the last will say it; every message on the wire
# conforms to schemas/ (checked by an independent validator).
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup box-a box-b svc-collector svc-capture || exit 1
bk_broker_start --service svc-capture || exit 1
# An independent observer of everything on the wire, retained status included.
bk_sub_bg capture svc-capture -q 1 -v -F '%t\t%p' -t 'bk/v1/#'
ok "collector starts and connects" bk_collector_start
DB=$T/collector.db
bk_edge_start box-a
bk_edge_start box-b

ok "box-a readings are archived" wait_until 20 bk_at_least 20 bk_archived "$DB" box-a
ok "box-b readings are archived" wait_until 20 bk_at_least 20 bk_archived "$DB" box-b

contiguous() { # BOX: seqs 1..max, each once
	local row
	row=$(bk_sql "$DB" "SELECT min(seq), max(seq), count(*) FROM messages WHERE sender = '$1'")
	local min=${row%%|*} rest=${row#*|}
	local max=${rest%%|*} count=${rest#*|}
	[ "$min" = 1 ] && [ "$max" = "$count" ] || { echo "# $1: min|max|count = $row"; return 1; }
}
ok "box-a seqs are contiguous from 1" contiguous box-a
n=$(bk_sql "$DB" "SELECT count(*) FROM readings WHERE sender = 'box-a' AND sensor = 'freezer-1' AND value < -10")
ok "readings rows carry sensor values ($n freezer samples)" test "$n" -gt 5

boxes=$("$BK_BIN/bkctl" --db "$DB" boxes --json)
ok "bkctl boxes lists both boxes online" /usr/bin/python3 -c '
import json, sys
rows = {r["box"]: r for r in json.loads(sys.argv[1])}
assert rows["box-a"]["state"] == "online" and rows["box-b"]["state"] == "online", rows
assert rows["box-a"]["archived"] > 0
' "$boxes"
ok "bkctl readings prints a table" bash -c "'$BK_BIN/bkctl' --db '$DB' readings --box box-a --sensor fridge-1 --limit 5 | grep -q '^BOX .*SENSOR'"
n=$("$BK_BIN/bkctl" --db "$DB" readings --box box-b --limit 7 --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "bkctl readings --limit 7 --json gives 7 rows" "$n" 7

# The collector acks: the outbox drains to what is in flight.
depth_at_most() { [ "$(bk_sql "$T/$1/outbox.db" "SELECT count(*) FROM outbox")" -le "$2" ]; }
ok "box-a outbox drains as acks arrive" wait_until 10 depth_at_most box-a 3

# Clean stop: an explicit offline status; restart continues the seq.
before=$(bk_sql "$T/box-a/outbox.db" "SELECT last_seq FROM meta")
bk_stop box-a TERM
retained_state() { # BOX: the state in its retained status message
	bk_sub svc-capture -t "bk/v1/box/$1/status" -C 1 -W 5 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}
state_is() { [ "$(retained_state "$1")" = "$2" ]; }
archived_state_is() { [ "$(bk_sql "$DB" "SELECT state FROM boxes WHERE id = '$1'")" = "$2" ]; }
is "a clean stop leaves box-a's retained status offline" "$(retained_state box-a)" offline
bk_edge_start box-a
ok "box-a restarts and goes on archiving" wait_until 20 bk_at_least $((before + 10)) bk_archived "$DB" box-a
ok "box-a seqs stay contiguous across the restart" contiguous box-a
is "box-a's retained status is online again" "$(retained_state box-a)" online

# kill -9: the broker publishes the last will.
bk_stop box-b KILL
ok "kill -9 of box-b flips its retained status to offline (last will)" wait_until 10 state_is box-b offline
ok "the collector archived box-b offline" wait_until 10 archived_state_is box-b offline

# A collector that starts later learns each box's state from the retained
# status (box-b's last will among them), without waiting for a heartbeat.
bk_stop collector TERM
ok "a fresh collector starts" bk_collector_start collector2
late_state_is() { [ "$(bk_sql "$T/collector2.db" "SELECT state FROM boxes WHERE id = '$1'")" = "$2" ]; }
ok "it knows box-b is offline (retained will)" wait_until 5 late_state_is box-b offline
ok "it knows box-a is online (retained status)" wait_until 5 late_state_is box-a online

# -t on both daemons
out=$("$BK_BIN/bk-edge" -t -c "$T/box-a.conf" 2>&1)
is "bk-edge -t accepts a good configuration" "$out" "configuration OK"
out=$("$BK_BIN/bk-collector" -t -c "$T/collector.conf" 2>&1)
is "bk-collector -t accepts a good configuration" "$out" "configuration OK"
sed -e 's/^period = 100ms/period = often/' -e 's/^keepalive = 10s/keepalive = 10s\nport = 1/' "$T/box-a.conf" >"$T/bad-edge.conf"
out=$("$BK_BIN/bk-edge" -t -c "$T/bad-edge.conf" 2>&1)
rc=$?
ok "bk-edge -t refuses a bad configuration (exit $rc)" test "$rc" -ne 0
ok "... naming the file, group, key and problem" grep -q "bad-edge.conf: \[sensor fridge-1\] period: 'often' is not a duration" <<<"$out"
ok "... and every problem, not just the first" grep -q "\[mqtt\] port: unknown key" <<<"$out"

# Every message seen on the wire conforms to the schemas.
bk_stop capture TERM
ok "captured traffic validates against schemas/ (independent validator)" \
	/usr/bin/python3 "$BK_ROOT/tests/schema/check.py" captured "$T/capture.log"
bk_done
