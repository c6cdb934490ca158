#!/bin/bash
# Bad input at the collector: every kind of garbage lands in the rejects
# table with a reason naming what is wrong, is counted, and the collector
# goes on archiving good messages. Garbage is sent with Debian's
# mosquitto_pub under box-a's own certificate (what a broken box could do).
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup box-a box-b svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start collector svc-collector "max_payload = 8K"
DB=$T/collector.db
bk_edge_start box-b
ok "good box-b messages are archived" wait_until 20 bk_at_least 5 bk_archived "$DB" box-b

TOPIC=bk/v1/box/box-a/reading
ENV='"v":1,"id":"box-a","ts":"2026-11-25T08:00:00.000Z","mono":1,"clock":"synced"'
SAMPLE='{"sensor":"f-1","kind":"fridge","t":"2026-11-25T08:00:00.000Z","value":4,"unit":"C"}'
# reason-substring <TAB> topic <TAB> payload
cases=$(cat <<CASES
malformed JSON	$TOPIC	{"v":1,"id":"box-a",
malformed JSON	$TOPIC	not json at all
'seq': expected an integer	$TOPIC	{$ENV,"seq":"7","readings":[$SAMPLE]}
'readings[0].value': expected a number	$TOPIC	{$ENV,"seq":7,"readings":[{"sensor":"f-1","kind":"fridge","t":"2026-11-25T08:00:00.000Z","value":"cold","unit":"C"}]}
'readings': missing	$TOPIC	{$ENV,"seq":7}
'mono': missing	$TOPIC	{"v":1,"id":"box-a","seq":7,"ts":"2026-11-25T08:00:00.000Z","clock":"synced","readings":[$SAMPLE]}
unsupported version 9	$TOPIC	{"v":9,"id":"box-a","seq":7,"ts":"2026-11-25T08:00:00.000Z","mono":1,"clock":"synced","readings":[$SAMPLE]}
does not match the topic	$TOPIC	{"v":1,"id":"box-b","seq":7,"ts":"2026-11-25T08:00:00.000Z","mono":1,"clock":"synced","readings":[$SAMPLE]}
'ts': not a UTC timestamp	$TOPIC	{"v":1,"id":"box-a","seq":7,"ts":"yesterday","mono":1,"clock":"synced","readings":[$SAMPLE]}
duplicate key	$TOPIC	{$ENV,"seq":7,"seq":8,"readings":[$SAMPLE]}
expected a JSON object	$TOPIC	[1,2,3]
invalid chunk number	bk/v1/box/box-a/clip/c-1/first	{}
CASES
)
sent=0
while IFS=$'\t' read -r reason topic payload; do
	bk_pub box-a -q 1 -t "$topic" -m "$payload" && sent=$((sent + 1))
done <<<"$cases"
# oversized: 10 KiB of valid-looking JSON against max_payload = 8K
big=$(head -c 10240 /dev/zero | tr '\0' 'x')
bk_pub box-a -q 1 -t "$TOPIC" -m "{\"pad\":\"$big\"}" && sent=$((sent + 1))
# an empty payload and binary junk
bk_pub box-a -q 1 -t "$TOPIC" -n && sent=$((sent + 1))
head -c 300 /dev/urandom >"$T/junk.bin"
bk_pub box-a -q 1 -t "$TOPIC" -f "$T/junk.bin" && sent=$((sent + 1))
is "all $sent bad messages were published" "$sent" 15

rejects() { bk_sql "$DB" "SELECT count(*) FROM rejects"; }
ok "every bad message is in the rejects table" wait_until 10 bk_at_least 15 rejects
is "no more rejects than bad messages" "$(rejects)" 15
while IFS=$'\t' read -r reason topic payload; do
	n=$(bk_sql "$DB" "SELECT count(*) FROM rejects WHERE instr(reason, '$(printf '%s' "$reason" | sed "s/'/''/g")') > 0")
	ok "a reject names the problem: $reason" test "$n" -ge 1
done <<<"$cases"
ok "oversized payload is rejected by size" test "$(bk_sql "$DB" "SELECT count(*) FROM rejects WHERE reason LIKE '%exceeds max_payload%'")" -ge 1
ok "nothing from box-a was archived" test "$(bk_archived "$DB" box-a)" -eq 0
ok "rejects keep the start of the payload for diagnosis" \
	test "$(bk_sql "$DB" "SELECT count(*) FROM rejects WHERE CAST(head AS TEXT) LIKE '{\"v\":1,\"id\":\"box-a\",%'")" -ge 5

# the collector is alive and still archiving good messages
before=$(bk_archived "$DB" box-b)
ok "good messages keep being archived after the garbage" wait_until 10 bk_at_least $((before + 5)) bk_archived "$DB" box-b
ok "the collector process is still running" kill -0 "$(bk_pid collector)"
out=$("$BK_BIN/bkctl" --db "$DB" rejects --limit 3)
ok "bkctl rejects lists them" grep -q "bk/v1/box/box-a" <<<"$out"
bk_stop collector TERM
ok "the collector counts rejects in its log" grep -q "rejected 15" "$T/collector.log"
bk_done
