#!/bin/bash
# Tasks at the centre, through the broker: a regulator creates a task with
# bkctl for two inspectors while one handheld is away; the collector sends
# it into both handhelds' persistent sessions, and the absent one gets it
# once when it comes back. The handheld's reports (received, its
# inspection record with a failing key item, a penalty) are archived,
# acked on bk/v1/hh/<id>/ack, and move the task, store the record (the
# establishment's risk grade follows) and number the penalty decision; a
# fine over the simple procedure's cap is refused. A cancellation reaches
# the inspectors too. (The handheld here is mosquitto_pub/sub with its
# certificate; tests/integration/75-handheld.sh tests bk-handheld.)
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup svc-collector hh-wang hh-li hh-zhao || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start collector svc-collector "agency = 西市监"
DB=$T/collector.db

cat >"$T/establishments.csv" <<'CSV'
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
JY13301060012345,文三路小学食堂,school_canteen,330106,杭州市西湖区文三路1号,320,800,06:00-14:00,2027-06-30
CSV
printf 'id,name,district,phone\nhh-wang,王建国,330106,\nhh-li,李秀兰,330106,\n' >"$T/inspectors.csv"
ok "the registry knows the canteen and the inspectors" bash -c "
	'$BK_BIN/bkctl' --db '$DB' registry import establishments '$T/establishments.csv' >/dev/null &&
	'$BK_BIN/bkctl' --db '$DB' registry import inspectors '$T/inspectors.csv' >/dev/null"

# hh-wang's handheld: a persistent session that is away while the task is made
_bk_client_args hh-wang
hh_wang() { stdbuf -oL mosquitto_sub "${BK_CLIENT_ARGS[@]}" -i hh-wang -c -q 1 -v -t 'bk/v1/hh/hh-wang/#' "$@"; }
timeout 3 bash -c "$(declare -f hh_wang); BK_CLIENT_ARGS=(${BK_CLIENT_ARGS[*]}); hh_wang -W 2" >/dev/null 2>&1
bk_sub_bg hh-li hh-li -i hh-li -c -q 1 -v -t 'bk/v1/hh/hh-li/#'
sleep 1

due=$(date -d '+7 days' +%F)
ok "a regulator creates a task for both" bash -c "
	'$BK_BIN/bkctl' --db '$DB' task create --licence JY13301060012345 --inspectors hh-wang,hh-li \
		--due $due --by 张科长 --kind special --note '春季学校食堂专项检查' >'$T/create.out'"
task=$(grep -o 'tk-[0-9-]*' "$T/create.out" | head -1)
echo "# task $task"
ok "the task reaches the handheld that is connected" wait_until 10 grep -q "\"task_id\":\"$task\"" "$T/hh-li.log"
ok "... and is marked sent to both" wait_until 5 bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT count(*) FROM task_inspectors WHERE task_id = '$task' AND sent_state = 'dispatched'\")\" = 2 ]"
_bk_client_args hh-wang # (bk_sub_bg hh-li changed them)
bk_bg hh-wang bash -c "$(declare -f hh_wang); BK_CLIENT_ARGS=(${BK_CLIENT_ARGS[*]}); hh_wang"
ok "the absent handheld gets it when it comes back" wait_until 10 grep -q "\"task_id\":\"$task\"" "$T/hh-wang.log"
sleep 2
is "... once" "$(grep -c "\"task_id\":\"$task\"" "$T/hh-wang.log")" 1

# hh-wang reports, as its handheld would (schemas/report.json)
report() { # SEQ JSON-BODY
	local ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	bk_pub hh-wang -q 1 -i hh-wang-pub -t bk/v1/hh/hh-wang/report \
		-m "{\"v\":1,\"id\":\"hh-wang\",\"seq\":$1,\"ts\":\"$ts\",\"mono\":$1,\"clock\":\"synced\",\"task_id\":\"$task\",$2}"
}
steps() { bk_sql "$DB" "SELECT group_concat(state, ' ') FROM (SELECT state FROM task_steps WHERE task_id = '$task' ORDER BY rowid)"; }
report 1 '"kind":"state","state":"received"'
ok "its 'received' moves the task" wait_until 10 bash -c "[ \"\$($(declare -f bk_sql steps); DB='$DB' task='$task' steps)\" = 'dispatched received' ]"
# (the ack itself goes to bk/v1/hh/hh-wang/ack: this test's reports come from
# a second connection with the handheld's identity, which takes its client id
# over, so the handheld's own receipt of acks is tested in 75-handheld)
acked() { bk_sql "$DB" "SELECT acked FROM progress WHERE box = 'hh-wang'"; }
ok "... and acked like a box's stream" wait_until 10 bk_at_least 1 acked
report 2 '"kind":"state","state":"in_progress"'
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
report 3 "\"kind\":\"record\",\"record\":{\"checklist\":{\"id\":\"catering-2026\",\"version\":1},\"answers\":[{\"item\":\"1.1\",\"answer\":\"no\",\"note\":\"许可证过期\"},{\"item\":\"4.2\",\"answer\":\"yes\"}],\"result\":\"non_compliant\",\"inspectors\":[\"hh-wang\",\"hh-li\"],\"time\":\"$now\",\"place\":\"文三路小学食堂后厨\",\"facts\":\"食品经营许可证已过期。\"}"
ok "the inspection record is stored" wait_until 10 bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT result FROM inspections WHERE task_id = '$task'\")\" = non_compliant ]"
grade=$(bk_sql "$DB" "SELECT grade || ' ' || score FROM grades WHERE licence = 'JY13301060012345'")
echo "# grade after the record: $grade"
ok "the establishment has a risk grade from it" test -n "$grade"
# an inspector who is not on the task cannot file a record for it
ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
bk_pub hh-zhao -q 1 -t bk/v1/hh/hh-zhao/report -m "{\"v\":1,\"id\":\"hh-zhao\",\"seq\":1,\"ts\":\"$ts\",\"mono\":1,\"clock\":\"synced\",\"task_id\":\"$task\",\"kind\":\"record\",\"record\":{\"checklist\":{\"id\":\"catering-2026\",\"version\":1},\"answers\":[{\"item\":\"1.1\",\"answer\":\"yes\"}],\"result\":\"compliant\",\"inspectors\":[\"hh-zhao\",\"hh-li\"],\"time\":\"$ts\",\"place\":\"x\",\"facts\":\"x\"}}"
ok "a record from an inspector not on the task is not applied, and said so" \
	wait_until 10 grep -q "report record of hh-zhao on task $task not applied" "$T/collector.log"
is "... the task's record is still the inspectors' own" \
	"$(bk_sql "$DB" "SELECT result FROM inspections WHERE task_id = '$task'")" non_compliant
report 4 "\"kind\":\"penalty\",\"penalty\":{\"party\":\"文三路小学\",\"party_type\":\"organisation\",\"penalty_type\":\"fine\",\"amount_cny\":3500,\"violation\":\"许可证过期仍经营\",\"legal_basis\":\"《食品安全法》第一百二十二条\",\"payment\":\"bank\"}"
ok "a fine over the 3,000 CNY cap is refused, naming the ordinary procedure" wait_until 10 bash -c "
	'$BK_BIN/bkctl' --db '$DB' rejects | grep -q 'ordinary procedure'"
report 4 "\"kind\":\"penalty\",\"penalty\":{\"party\":\"文三路小学\",\"party_type\":\"organisation\",\"penalty_type\":\"fine\",\"amount_cny\":2000,\"violation\":\"许可证过期仍经营\",\"legal_basis\":\"《食品安全法》第一百二十二条\",\"payment\":\"bank\"}"
decision() { bk_sql "$DB" "SELECT decision_no FROM penalties WHERE task_id = '$task'"; }
ok "a fine within it gets a decision number" wait_until 10 bash -c "[ -n \"\$($(declare -f bk_sql decision); DB='$DB' task='$task' decision)\" ]"
echo "# decision: $(decision)"
ok "... numbered by the agency and the year" grep -q "^西市监〔$(date +%Y)〕" <<<"$(decision)"

"$BK_BIN/bkctl" --db "$DB" task step "$task" cancelled --by 张科长 --note 撤回 >/dev/null 2>&1
steps_now=$(steps)
echo "# steps: $steps_now"
ok "a task in progress cannot be cancelled once submitted, but before it can" \
	bash -c "[[ '$steps_now' == *cancelled ]]"
ok "the cancellation reaches the handhelds" wait_until 10 grep -q "\"task_id\":\"$task\",\"state\":\"cancelled\"" "$T/hh-li.log"
bk_stop hh-li
bk_stop hh-wang
ok "tasks and acks on the wire conform to schemas/" bash -c "
	cat '$T/hh-li.log' '$T/hh-wang.log' | sed 's/ /\t/' >'$T/wire.log' &&
	python3 '$BK_ROOT/tests/schema/check.py' captured '$T/wire.log' >/dev/null"
bk_done
