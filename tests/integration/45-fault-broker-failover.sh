#!/bin/bash
# Fault 6: two brokers, full peers (README, "Delivery"). One collector is
# connected to both; six boxes list both, three A first and three B first,
# and send a burst. Broker A is killed with SIGKILL mid-burst: its boxes
# fail over to B and carry on. Every message of every box is archived
# exactly once, every outbox drains (the acks found the boxes on B), and
# the collector says what happened. Then A comes back, B stops, and every
# box goes over to A; the boxes stop (offline), and B, back, still holds
# their "online" statuses, retained: the collector leaves them offline.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
ON_A="box-fa1 box-fa2 box-fa3"
ON_B="box-fb1 box-fb2 box-fb3"
BOXES="$ON_A $ON_B"
PER_BOX=${BK_FAILOVER_PER_BOX:-3000}

# svc-watch: a service of our own to look into the brokers; svc-bkctl: bkctl's
bk_pki_setup $BOXES svc-collector svc-watch svc-bkctl || exit 1
bk_broker_start --service svc-watch --service svc-bkctl || exit 1
bk_peer_start broker-b --service svc-watch --service svc-bkctl || exit 1
A=ssl://127.0.0.1:$BK_PORT
B=ssl://127.0.0.1:${BK_PEER_PORTS[broker-b]}
echo "# broker A: $A, broker B: $B"

# with_uris CONF URIS: the [mqtt] uri of CONF becomes URIS
with_uris() { sed -i "s|^uri = .*|uri = $2|" "$1"; }
# prints N CMD...: CMD prints N (run anew on each call, for wait_until)
prints() { [ "$("${@:2}")" = "$1" ]; }

# with its HTTPS API: /metrics says which broker is up
printf 'tok-failover-0123456789 reg-x\n' >"$T/tokens"
chmod 600 "$T/tokens"
HTTP_PORT=$(free_port)
conf=$(bk_collector_conf collector svc-collector "$(printf '[http]\nlisten = 127.0.0.1:%s\ncert = %s/broker.crt\nkey = %s/broker.key\ntokens = %s/tokens\n' \
	"$HTTP_PORT" "$BK_PKI" "$BK_PKI" "$T")")
with_uris "$conf" "$A, $B"
broker_up() { # URI: its bk_broker_up sample
	curl -sS --max-time 5 --cacert "$BK_PKI/ca.crt" -H 'Authorization: Bearer tok-failover-0123456789' \
		"https://127.0.0.1:$HTTP_PORT/metrics" | sed -n "s|^bk_broker_up{broker=\"$1\"} ||p"
}
ok "the collector's configuration with two brokers is OK" "$BK_BIN/bk-collector" -t -c "$conf"
bk_bg collector "$BK_BIN/bk-collector" -c "$conf"
ok "the collector connects to both brokers" wait_until 10 \
	eval "grep -q 'connected to $A as' '$T/collector.log' && grep -q 'connected to $B as' '$T/collector.log'"
DB=$T/collector.db

for b in $BOXES; do
	conf=$(bk_burst_conf "$b" "$PER_BOX")
	case " $ON_A " in *" $b "*) with_uris "$conf" "$A $B" ;; *) with_uris "$conf" "$B $A" ;; esac
	bk_bg "$b" "$BK_BIN/bk-edge" -c "$conf"
done
for b in $ON_A; do
	ok "$b connects to A, its first broker" wait_until 10 grep -q "connected to $A as" "$T/$b.log"
done
for b in $ON_B; do
	ok "$b connects to B, its first broker" wait_until 10 grep -q "connected to $B as" "$T/$b.log"
done

# mid-burst: every box of A has something archived, none has all
ok "A's boxes are under way" wait_until 20 bk_at_least 300 bk_archived "$DB" box-fa3
killed_ms=$(date +%s%3N)
bk_stop broker KILL
echo "# kill -9 of broker A"
for b in $ON_A; do
	ok "$b: mid-burst, $(bk_archived "$DB" "$b") of $PER_BOX archived" \
		test "$(bk_archived "$DB" "$b")" -lt "$PER_BOX"
done

# log_ms FILE PATTERN: the time (epoch ms) of the first line of FILE after the kill matching PATTERN
log_ms() {
	local line ts
	while IFS= read -r line; do
		ts=$(date -d "${line%% *}" +%s%3N 2>/dev/null) || continue
		[ "$ts" -ge "$killed_ms" ] && {
			echo "$ts"
			return 0
		}
	done < <(grep -F "$2" "$1")
	return 1
}
for b in $ON_A; do
	ok "$b fails over to B" wait_until 15 log_ms "$T/$b.log" "connected to $B as"
	echo "# $b: on B $(($(log_ms "$T/$b.log" "connected to $B as") - killed_ms)) ms after the kill"
done

total() { bk_sql "$DB" "SELECT count(*) FROM messages"; }
N=$((6 * PER_BOX))
ok "all $N messages archived" wait_until 60 bk_at_least "$N" total
sleep 2 # anything still in flight would show up as an extra row
is "the archive holds exactly $N rows" "$(total)" "$N"
for b in $BOXES; do
	ok "$b: seq 1..$PER_BOX each exactly once" bk_stream_check "$DB" "$b" "$PER_BOX"
done
is "bkctl gaps finds none" "$("$BK_BIN/bkctl" --db "$DB" gaps)" "(no rows)"
depth() { bk_sql "$T/$1/outbox.db" "SELECT count(*) FROM outbox"; }
for b in $BOXES; do
	ok "$b: the acks reached it, its outbox is empty" wait_until 20 prints 0 depth "$b"
done
ok "the collector logged losing A" grep -q "lost broker $A: 1 of 2 brokers connected" "$T/collector.log"
is "/metrics: A down, B up" "$(broker_up "$A") $(broker_up "$B")" "0 1"
ok "... and the boxes that moved to B" \
	eval "grep -q 'box-fa1 moved to broker $B (was on $A)' '$T/collector.log'"
grep -E "lost broker|moved to broker" "$T/collector.log" | sed 's/^/# collector: /'
for b in $ON_B; do
	ok "$b stayed on B" test "$(grep -c "info: connected to " "$T/$b.log")" = 1
done

# A comes back. B saves its database (the boxes' statuses, retained, among
# it), then dies with SIGKILL, firing no will: every box goes over to A.
ok "broker A back" bk_broker_restart
ok "the collector reconnects to A" wait_until 15 prints 2 grep -c "broker $A up: " "$T/collector.log"

# bkctl with both brokers: a command goes out on each (box-fa1 is on B now)
printf '[bkctl]\nid = svc-bkctl\n%s\n' "$(bk_mqtt_group svc-bkctl 10s 2s)" >"$T/bkctl.conf"
with_uris "$T/bkctl.conf" "$A, $B"
out=$("$BK_BIN/bkctl" --config "$T/bkctl.conf" ping --box box-fa1 2>&1)
ok "bkctl sends a ping on both brokers" bash -c "grep -q '^sent ping ' <<<'$out' && ! grep -q 'not reached' <<<'$out'"
cmd=$(sed -n 's/^sent ping \([^ ]*\) to .*/\1/p' <<<"$out")
ok "box-fa1 on B carries it out" wait_until 10 grep -q "command $cmd: ping" "$T/box-fa1.log"
saves() { grep -c "Saving in-memory database" "$T/broker-b.log"; }
n=$(saves)
kill -USR1 "$(bk_pid broker-b)"
ok "B saves its database" wait_until 5 bk_at_least $((n + 1)) saves
killed_ms=$(date +%s%3N)
bk_stop broker-b KILL
echo "# kill -9 of broker B"
for b in $BOXES; do
	ok "$b goes to A" wait_until 15 log_ms "$T/$b.log" "connected to $A as"
done
# their status (on connect, then every 2 s) arrives through A
since=$(date -u -d "@$((killed_ms / 1000))" +%Y-%m-%dT%H:%M:%S)
fresh() { bk_sql "$DB" "SELECT count(*) FROM boxes WHERE state = 'online' AND last_seen > '$since'"; }
ok "every box's status arrives through A" wait_until 10 prints 6 fresh
is "box-fa1 carried the ping out once (a copy A kept for it is skipped)" \
	"$(grep -c "command $cmd: ping" "$T/box-fa1.log")" 1
grep "command $cmd" "$T/box-fa1.log" | sed 's/^/# box-fa1: /'
# the same command twice (as a box meets a copy kept on a broker it left)
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
for i in 1 2; do
	bk_pub svc-bkctl -q 1 -t bk/v1/box/box-fa1/cmd -m "{\"v\":1,\"id\":\"svc-bkctl\",\"seq\":$i,\"ts\":\"$now\",\"mono\":1,\"clock\":\"synced\",\"cmd_id\":\"cmd-twice\",\"box\":\"box-fa1\",\"action\":\"ping\"}"
done
ok "a command met twice is carried out once" wait_until 10 grep -q "command cmd-twice: carried out already" "$T/box-fa1.log"
is "... once" "$(grep -c "command cmd-twice: ping" "$T/box-fa1.log")" 1
is "still exactly $N rows" "$(total)" "$N"

# The boxes stop on A, saying offline. B comes back holding the statuses
# they left there, "online" and retained, which it hands the collector again.
for b in $BOXES; do bk_stop "$b" TERM; done
offline() { bk_sql "$DB" "SELECT count(*) FROM boxes WHERE state = 'offline'"; }
ok "every box offline in the archive" wait_until 10 prints 6 offline
stopped=$(date -u +%Y-%m-%dT%H:%M:%S)
ok "broker B back" bk_peer_start broker-b --service svc-watch
retained_online() {
	BK_PORT=${BK_PEER_PORTS[broker-b]} bk_sub svc-watch -t 'bk/v1/box/+/status' --retained-only -W 3 |
		grep -c '"state":"online"'
}
is "B still has all six 'online', retained" "$(retained_online)" 6
ok "the collector reconnects to B" wait_until 15 prints 2 grep -c "broker $B up: " "$T/collector.log"
sleep 1.5 # the retained statuses arrive on subscribing
is "they change nothing: every box still offline" "$(offline)" 6
is "... and no status_log row says online since" \
	"$(bk_sql "$DB" "SELECT count(*) FROM status_log WHERE state = 'online' AND received_at > '$stopped'")" 0
bk_stop collector TERM
grep -h "received" "$T/collector.log" | tail -1 | sed 's/^/# collector: /'
bk_done
