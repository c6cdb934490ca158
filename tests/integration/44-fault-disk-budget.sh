#!/bin/bash
# Fault 5: a box offline with a tiny disk budget evicts its oldest readings,
# never its alerts, and reports every eviction as a data_dropped event: the
# archive plus those reports account for every seq it ever issued. With
# BK_ARCHIVE=pg: two collectors on PostgreSQL, A killed during the replay.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
SAMPLES=3000

bk_pki_setup box-tiny svc-collector || exit 1
BK_PORT=$(free_port) # chosen now: the box starts before the broker exists
export BK_PORT
ok "an offline box starts with a 256 KiB budget and a 200 msg/s send cap" \
	bk_burst_start box-tiny "$SAMPLES" "$(printf '[box]\ndisk_budget = 256K\n[outbox]\nmax_rate = 200')"
# (groups given twice are merged by GKeyFile; the later key wins)
done_producing() { [ "$(bk_issued box-tiny)" -ge "$SAMPLES" ]; }
ok "it accepts all $SAMPLES readings while offline" wait_until 60 done_producing
# the budget is enforced every 2 s: the last eviction report may come after
# the last reading, so the count is taken once it holds for 3 s
settled() {
	local a b
	a=$(bk_issued box-tiny)
	sleep 3
	b=$(bk_issued box-tiny)
	[ "$a" = "$b" ]
}
wait_until 30 settled
issued=$(bk_issued box-tiny)
drops=$(grep -c "disk budget reached" "$T/box-tiny.log")
echo "# issued $issued messages, $drops eviction reports, $(bk_sql "$T/box-tiny/outbox.db" "SELECT count(*) FROM outbox") rows left"
ok "it evicted readings and said so" test "$drops" -gt 0
used=$(bk_sql "$T/box-tiny/outbox.db" "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)")
ok "the outbox stays within the budget (used pages: $used)" test $((used * 4096)) -le $((256 * 1024))
alerts=$(bk_sql "$T/box-tiny/outbox.db" "SELECT count(*) FROM outbox WHERE class = 0")
is "every data_dropped alert is still in the outbox" "$alerts" "$drops"
newest=$(bk_sql "$T/box-tiny/outbox.db" "SELECT max(seq) FROM outbox WHERE class = 1")

ok "broker starts" bk_broker_start
ok "collector starts" bk_collector_start
DB=$BK_DB
accounted() {
	bk_sql "$DB" "SELECT (SELECT count(*) FROM messages WHERE sender = 'box-tiny') +
		(SELECT coalesce(sum(last - first + 1), 0) FROM dropped WHERE box = 'box-tiny')"
}
wait_until 30 bk_at_least 300 bk_archived "$DB" box-tiny
bk_collector_fault
ok "archive + reported drops account for all $issued seqs" wait_until 60 bk_at_least "$issued" accounted
is "... exactly, nothing counted twice" "$(accounted)" "$issued"
is "bkctl gaps finds no unaccounted seq" "$("$BK_BIN/bkctl" --db "$DB" gaps --box box-tiny)" "(no rows)"
is "every data_dropped event is archived" \
	"$(bk_sql "$DB" "SELECT count(*) FROM events WHERE box = 'box-tiny' AND type = 'data_dropped'")" "$drops"
overlap=$(bk_sql "$DB" "SELECT count(*) FROM messages m JOIN dropped d ON d.box = m.sender AND m.seq BETWEEN d.first AND d.last")
is "no archived seq is also reported dropped" "$overlap" 0
last=$(bk_sql "$DB" "SELECT max(seq) FROM messages WHERE sender = 'box-tiny' AND kind = 'reading'")
is "the newest reading survived and was delivered (oldest go first)" "$last" "$newest"
# the replay after the outage: alerts first, and no faster than the cap
first=$(bk_sql "$DB" "SELECT kind FROM messages WHERE sender = 'box-tiny' ORDER BY received_at, seq LIMIT 1")
is "the replay sent the alerts first" "$first" event
row=$(bk_sql "$DB" "SELECT count(*), (julianday(max(received_at)) - julianday(min(received_at))) * 86400 FROM messages WHERE sender = 'box-tiny'")
n=${row%%|*} secs=${row##*|}
echo "# replayed $n messages in $secs s"
ok "the replay kept to max_rate = 200/s (a second's burst allowed)" \
	/usr/bin/python3 -c "import sys; n, s = $n, float('$secs'); sys.exit(0 if n - 200 <= 200 * s * 1.1 else 1)"
bk_done
