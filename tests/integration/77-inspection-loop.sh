#!/bin/bash
# The whole inspection loop, real parts only: a box's fridge breaches and
# its alert is archived; `bkctl tasks auto` with a rule turns the open alert
# into an automatic task for the district's two inspectors; the collector
# sends it, and bk-handheld receives it; the inspector starts it, records
# the checklist with a failing key item (不符合), submits; the centre stores
# the record and the establishment's risk grade moves; the documents are
# printed and pdftotext finds the party, the amount and the facts; a fine
# above the cap is refused on the handheld, one within it reaches the
# centre and gets its decision number; then the task is submitted.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

ok "bk-handheld is built" test -x "$BK_BIN/bk-handheld"
ok "pdftotext is installed" command -v pdftotext
bk_pki_setup box-loop svc-collector hh-wang hh-li || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start collector svc-collector "agency = 西市监"
DB=$T/collector.db
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }

cat >"$T/establishments.csv" <<'CSV'
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
JY13301060012345,文三路小学食堂,school_canteen,330106,杭州市西湖区文三路1号,320,800,06:00-14:00,2027-06-30
CSV
printf 'box,licence,provisioned\nbox-loop,JY13301060012345,2026-11-01\n' >"$T/boxes.csv"
printf 'id,name,district,phone\nhh-wang,王伟,330106,\nhh-li,李娜,330106,\n' >"$T/inspectors.csv"
ok "the registry holds the canteen, its box and two inspectors" bash -c "
	$(declare -f bkctl); DB='$DB'; BK_BIN='$BK_BIN'
	bkctl registry import establishments '$T/establishments.csv' >/dev/null &&
	bkctl registry import boxes '$T/boxes.csv' >/dev/null &&
	bkctl registry import inspectors '$T/inspectors.csv' >/dev/null"

# the handheld, with a persistent session from a first sync
CONF=$T/hh-wang.conf
cat >"$CONF" <<CONF
[handheld]
id = hh-wang
state_dir = $T/hh-wang
checklists = $BK_ROOT/checklists
agency = 杭州市西湖区市场监督管理局
ack_timeout = 2s
sync_timeout = 10s
payment_bank = 中国工商银行杭州西湖支行

[officers]
hh-wang = 王伟;33010600017
hh-li = 李娜;33010600023

$(bk_mqtt_group hh-wang 10s 1s)
CONF
HH() { "$BK_BIN/bk-handheld" -c "$CONF" "$@"; }
ok "the handheld has its session" HH sync --timeout 5s

# the breach
echo 4000 >"$T/probe"
bk_edge_start box-loop "$(printf '[sensor probe]\nkind = fridge\nzone = 冷藏间\ndriver = file\npath = %s/probe\nscale = 0.001\nperiod = 250ms\nduration = 1s\nstuck_after = 0\n' "$T")"
echo 12000 >"$T/probe"
alerts() { bk_sql "$DB" "SELECT count(*) FROM alerts WHERE box = 'box-loop'"; }
ok "the fridge's breach is an alert at the centre" wait_until 20 bk_at_least 1 alerts

cat >"$T/rules.ini" <<'INI'
[rule cold-chain-now]
kind = repeated
types = temperature_high
count = 1
days = 1
due_days = 1
INI
ok "tasks auto turns the alert into a task" bash -c "$(declare -f bkctl); DB='$DB'; BK_BIN='$BK_BIN'; bkctl tasks auto --rules '$T/rules.ini' >'$T/auto.out'"
task=$(bk_sql "$DB" "SELECT task_id FROM tasks WHERE kind = 'alert' AND licence = 'JY13301060012345'")
# tasks auto graded the canteen first: its grade before the inspection
grade0=$(bk_sql "$DB" "SELECT grade || ' ' || score FROM grades WHERE licence = 'JY13301060012345'")
echo "# task $task; reason $(bk_sql "$DB" "SELECT reason FROM tasks WHERE task_id = '$task'")"
ok "... an alert task for both inspectors" test "$(bk_sql "$DB" "SELECT count(*) FROM task_inspectors WHERE task_id = '$task'")" = 2
sent() { bk_sql "$DB" "SELECT count(*) FROM task_inspectors WHERE task_id = '$task' AND sent_state = 'dispatched'"; }
ok "the collector sends it" wait_until 10 bk_at_least 2 sent

ok "the handheld receives it" HH sync --timeout 10s
ok "... and lists it" bash -c "$(declare -f HH); CONF='$CONF'; BK_BIN='$BK_BIN'; HH tasks | grep -q '$task'"
ok "the inspector starts it" HH start "$task"
cat >"$T/answers.ini" <<'INI'
[record]
default = yes
place = 文三路小学食堂后厨
facts = 后厨冷藏柜显示温度 12°C，柜内存放熟制品，现场未见超温处置记录。

[item 1.1]
answer = no
note = 食品经营许可证已过期
INI
ok "records the checklist (the task's, catering-2026) with a failing key item" HH record "$task" --file "$T/answers.ini"
# the penalty is decided on site, before the record is submitted
out=$(HH penalty "$task" --party 文三路小学 --party-type organisation --type fine --amount 5000 \
	--violation 许可证过期仍经营 --basis '《食品安全法》第一百二十二条' 2>&1)
ok "a fine above 3,000 CNY is refused on the handheld, pointing to the ordinary procedure" \
	grep -q '普通程序' <<<"$out"
ok "one of 2,000 CNY is accepted" HH penalty "$task" --party 文三路小学 --party-type organisation \
	--type fine --amount 2000 --violation 许可证过期仍经营 --basis '《食品安全法》第一百二十二条' --sync
decision() { bk_sql "$DB" "SELECT decision_no FROM penalties WHERE task_id = '$task'"; }
ok "the centre numbers the decision" wait_until 15 bash -c "[ -n \"\$($(declare -f bk_sql decision); DB='$DB' task='$task' decision)\" ]"
number=$(decision)
echo "# decision $number"
ok "submits" HH submit "$task" --sync
inspected() { bk_sql "$DB" "SELECT result FROM inspections WHERE task_id = '$task'"; }
ok "the centre stores the record as 不符合" wait_until 15 bash -c "[ \"\$($(declare -f bk_sql inspected); DB='$DB' task='$task' inspected)\" = non_compliant ]"
steps=$(bk_sql "$DB" "SELECT group_concat(state, ' ') FROM (SELECT state FROM task_steps WHERE task_id = '$task' ORDER BY rowid)")
is "the task went every step, from the handheld" "$steps" "dispatched received in_progress submitted"
grade1=$(bk_sql "$DB" "SELECT grade || ' ' || score FROM grades WHERE licence = 'JY13301060012345'")
echo "# grade: before '$grade0', after '$grade1'"
ok "the risk grade moves with the record" test -n "$grade1" -a "$grade1" != "$grade0"


ok "the on-site record prints" HH print "$task" record -o "$T/record.pdf"
ok "the decision prints with the centre's number" HH print "$task" decision --number "$number" -o "$T/decision.pdf"
ok "... on an 80 mm roll too" HH print "$task" decision --number "$number" --paper roll80 -o "$T/decision-roll.pdf"
text=$(pdftotext -layout "$T/decision.pdf" - 2>/dev/null)
ok "pdftotext finds the party, the amount and the decision number" bash -c "
	grep -q 文三路小学 <<<'$text' && grep -q '2,\?000' <<<'$text' && grep -q '$number' <<<'$text'"
ok "... and the facts in the on-site record" bash -c "pdftotext -layout '$T/record.pdf' - | grep -q '12°C'"
outbox() { sqlite3 "$T/hh-wang/store.db" "SELECT count(*) FROM outbox"; }
HH sync --timeout 5s >/dev/null 2>&1
is "every report is acked: the handheld's outbox is empty" "$(outbox)" 0
bk_done
