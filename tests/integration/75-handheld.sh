#!/bin/bash
# The inspector's handheld (bk-handheld) against a real TLS broker, the
# centre played by svc-collector with mosquitto_pub/sub: a task published
# while the handheld is offline arrives once at the next sync (published
# twice: still one task), a cancellation applies; start, a record with a
# failing key item (不符合), a penalty above the cap refused with the reason,
# a valid one accepted, submit; the reports reach the centre and conform to
# schemas/report.json; an ack empties the handheld's outbox; a record made
# offline syncs later; the printed PDFs carry the party, amount and title.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup hh-wang hh-li svc-collector || exit 1
bk_broker_start || exit 1

CONF=$T/hh-wang.conf
cat >"$CONF" <<CONF
[handheld]
id = hh-wang
state_dir = $T/hh-wang
checklists = $BK_ROOT/checklists
agency = 杭州市西湖区市场监督管理局
ack_timeout = 2s
sync_timeout = 5s
payment_bank = 中国工商银行杭州西湖支行

[officers]
hh-wang = 王伟;33010600017
hh-li = 李娜;33010600023

$(bk_mqtt_group hh-wang 10s 1s)
CONF
HH() { "$BK_BIN/bk-handheld" -c "$CONF" "$@"; }
STORE=$T/hh-wang/store.db

ok "the configuration checks" HH -t
ok "the first sync creates the persistent session" HH sync --timeout 5s
# everything the handheld sends, as the centre sees it
bk_sub_bg reports svc-collector -q 1 -v -F '%t\t%p' -t 'bk/v1/hh/+/report'
sleep 0.5

seq=0
task() { # ID STATE
	seq=$((seq + 1))
	cat <<JSON
{"v":1,"id":"svc-collector","seq":$seq,"ts":"2026-11-25T08:00:00.000Z","mono":$seq,"clock":"synced","task_id":"$1","state":"$2","establishment":{"licence":"JY13301060012345","name":"文三路小学食堂","address":"杭州市西湖区文三路1号","district":"330106","category":"school_canteen"},"kind":"special","due":"2026-12-01","inspectors":["hh-wang","hh-li"],"checklist":"catering-2026"}
JSON
}
pub_task() { bk_pub svc-collector -q 1 -t bk/v1/hh/hh-wang/task -m "$(task "$1" "$2")"; }
# the handheld is offline now: the broker queues for its session
ok "a task is published while the handheld is offline" pub_task T-1 dispatched
ok "... twice" pub_task T-1 dispatched
ok "a second task too" pub_task T-2 dispatched
ok "... and then cancelled" pub_task T-2 cancelled
ok "sync fetches them" HH sync --timeout 5s
is "the task arrived once" "$(sqlite3 "$STORE" "SELECT count(*) FROM tasks WHERE task_id = 'T-1'")" 1
is "... received" "$(sqlite3 "$STORE" "SELECT state FROM tasks WHERE task_id = 'T-1'")" received
is "the cancellation applied" "$(sqlite3 "$STORE" "SELECT state FROM tasks WHERE task_id = 'T-2'")" cancelled
ok "a dispatch after the cancellation is ignored" pub_task T-2 dispatched
ok "... (sync)" HH sync --timeout 5s
is "... the task stays cancelled" "$(sqlite3 "$STORE" "SELECT state FROM tasks WHERE task_id = 'T-2'")" cancelled
ok "tasks lists them" bash -c "'$BK_BIN/bk-handheld' -c '$CONF' tasks | grep -q 'T-1 .*received'"
ok "tasks --json is JSON" bash -c "'$BK_BIN/bk-handheld' -c '$CONF' tasks --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 2'"
ok "a cancelled task cannot be started" bash -c "! '$BK_BIN/bk-handheld' -c '$CONF' start T-2"

# offline from here on: every command works on the store
ok "start" HH start T-1
cat >"$T/answers.ini" <<'INI'
[record]
default = yes
facts = 冷藏柜温度12℃，超过规定的0-8℃；后厨操作人员未戴口罩。
deadline = 2026-12-10

[item 1.1]
answer = no
note = 许可证已过期
photos = photo:hh-wang:20261125-01.jpg
INI
out=$(HH record T-1 --file "$T/answers.ini" 2>&1)
ok "a record with a failing key item is 不符合" grep -q '不符合 (non_compliant)' <<<"$out"
echo "# $out"
is "... stored locally" "$(sqlite3 "$STORE" "SELECT json ->> '\$.result' FROM records WHERE task_id = 'T-1'")" non_compliant
err=$(HH penalty T-1 --party 张三 --party-type individual --type fine --amount 500 \
	--violation 未戴口罩 --basis 《食品安全法》第一百二十六条 2>&1)
ok "a fine above the individual cap is refused" test $? -ne 0
echo "# $err"
reason() { grep -q 'cap of 200.00 CNY' <<<"$err" && grep -q '普通程序' <<<"$err"; }
ok "... with the reason and the ordinary procedure" reason
is "... and nothing is stored" "$(sqlite3 "$STORE" "SELECT count(*) FROM penalties")" 0
ok "a fine of 2000 CNY to the organisation is accepted" HH penalty T-1 --party 文三路小学食堂 \
	--party-type organisation --type fine --amount 2000 --violation 冷藏温度不符合要求 \
	--basis 《中华人民共和国食品安全法》第一百二十六条
ok "submit" HH submit T-1
ok "a submitted task takes no new record" bash -c "! '$BK_BIN/bk-handheld' -c '$CONF' record T-1 --file '$T/answers.ini'"
# received T-1 and T-2 (T-2 arrived before its cancellation), in_progress, record, penalty, submitted
is "the reports wait in the outbox" "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox")" 6

ok "print the on-site record" HH print T-1 record -o "$T/record.pdf"
ok "print the order to correct on an 80 mm roll" HH print T-1 order --paper roll80 -o "$T/order.pdf"
ok "print the decision" HH print T-1 decision -o "$T/decision.pdf"
txt=$(pdftotext "$T/decision.pdf" - 2>/dev/null | tr -d ' \n')
ok "the decision carries the title, the party and the amount" bash -c "
	grep -q 当场行政处罚决定书 <<<'$txt' && grep -q 文三路小学食堂 <<<'$txt' && grep -Eq '2,?000' <<<'$txt'"
ok "... and says it is not numbered yet" grep -q '待编号' <<<"$txt"
ok "with the centre's number it prints that" HH print T-1 decision --number '西市监〔2026〕简易第0007号' -o "$T/decision2.pdf"
ok "... which pdftotext finds" bash -c "pdftotext '$T/decision2.pdf' - | tr -d ' \n' | grep -q '简易第0007号'"
ok "the on-site record carries its title and the facts" bash -c "pdftotext '$T/record.pdf' - | tr -d ' \n' | grep -q 现场笔录 && pdftotext '$T/record.pdf' - | tr -d ' \n' | grep -q 冷藏柜温度"
ok "the order carries its title and the failed item" bash -c "pdftotext '$T/order.pdf' - | tr -d ' \n' | grep -q 责令改正通知书 && pdftotext '$T/order.pdf' - | tr -d ' \n' | grep -q 2026年12月10日"

# back online: the reports reach the centre
ok "sync sends the records made offline" HH sync --timeout 4s
got() { grep -c '^bk/v1/hh/hh-wang/report' "$T/reports.log"; }
ok "the centre receives the reports" wait_until 10 bk_at_least 6 got
for k in '"state":"received"' '"state":"in_progress"' '"kind":"record"' '"kind":"penalty"' '"state":"submitted"'; do
	ok "... $k" grep -q "$k" "$T/reports.log"
done
ok "... the record says non_compliant and names both inspectors" bash -c \
	"grep '\"kind\":\"record\"' '$T/reports.log' | grep -q '\"result\":\"non_compliant\".*\"inspectors\":\[\"hh-wang\",\"hh-li\"\]'"
ok "... the penalty has no decision number (the centre gives it)" bash -c \
	"! grep '\"kind\":\"penalty\"' '$T/reports.log' | grep -q decision_number"
ok "every report conforms to schemas/report.json" "$BK_PY" "$BK_ROOT/tests/schema/check.py" captured "$T/reports.log"
is "unacknowledged, they stay in the outbox" "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox")" 6

ack() { # ACKED
	seq=$((seq + 1))
	bk_pub svc-collector -q 1 -t bk/v1/hh/hh-wang/ack -m "{\"v\":1,\"id\":\"svc-collector\",\"seq\":$seq,\"ts\":\"2026-11-25T08:00:00.000Z\",\"mono\":$seq,\"clock\":\"synced\",\"box\":\"hh-wang\",\"acked\":$1,\"max_seen\":$1,\"missing\":[]}"
}
ok "the centre acks the first three (queued for the offline handheld)" ack 3
ok "sync takes the ack" HH sync --timeout 4s
is "... the outbox keeps only the rest" "$(sqlite3 "$STORE" "SELECT group_concat(seq) FROM outbox")" "4,5,6"
ok "the centre acks everything" ack 6
ok "sync takes it" HH sync --timeout 4s
is "... the outbox is empty" "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox")" 0
is "... and the seq survives" "$(sqlite3 "$STORE" "SELECT value FROM meta WHERE key = 'last_seq'")" 6

# a handheld that is never acked resends after ack_timeout while it follows
ok "a third task" pub_task T-3 dispatched
bk_bg follow "$BK_BIN/bk-handheld" -c "$CONF" sync --follow
received3() { grep -c '"task_id":"T-3","kind":"state","state":"received"' "$T/reports.log"; }
ok "sync --follow receives it and reports it" wait_until 10 bk_at_least 1 received3
ok "... and resends it while no ack comes" wait_until 10 bk_at_least 2 received3
ok "an ack stops the resends" ack 7
ok "... and empties the outbox" wait_until 10 test "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox")" = 0
bk_stop follow
ok "sync --follow ends cleanly on SIGTERM" bash -c "! grep -q 'error' '$T/follow.log'"

# without a broker: the commands still work, sync says it works offline
bk_stop broker TERM
ok "offline: start still works" HH start T-3
out=$(HH sync --timeout 2s 2>&1)
ok "offline: sync fails and says why" bash -c "grep -q 'working offline' <<<'$out'"
is "offline: the report waits" "$(sqlite3 "$STORE" "SELECT count(*) FROM outbox")" 1
bk_done
