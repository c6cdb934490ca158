#!/bin/bash
# Alerts at the centre: two boxes bound to establishments of two districts
# (imported with bkctl registry) and one bound to none. A breach on each
# opens an alert; the collector fans each bound one out on
# bk/v1/alert/<district> with the establishment's name: the regulator of
# that district gets it, the other district's regulator does not; the
# unbound box's alert stays in the archive, counted, not fanned out. The
# alert is handled with bkctl (acknowledged, in progress, closed), each
# step with who and when; an illegal step is refused and says why. The
# Xihu box has a camera in the fridge's zone: once the alert's snapshot is
# verified, the alert goes out again with the snapshot's address.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup box-xihu box-gongshu box-stray svc-collector reg-xihu reg-gongshu || exit 1
bk_broker_start --regulator reg-xihu:330106 --regulator reg-gongshu:330105 || exit 1
ok "collector starts" bk_collector_start
DB=$T/collector.db

cat >"$T/establishments.csv" <<'CSV'
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
JY13301060012345,文三路小学食堂,school_canteen,330106,杭州市西湖区文三路1号,320,800,06:00-14:00,2027-06-30
JY13301050054321,"拱墅区""好味""面馆",restaurant,330105,杭州市拱墅区湖墅南路9号,60,200,10:00-21:00,2026-12-31
CSV
cat >"$T/boxes.csv" <<'CSV'
box,licence,provisioned
box-xihu,JY13301060012345,2026-11-20
box-gongshu,JY13301050054321,2026-11-21
CSV
ok "the registry imports the establishments" "$BK_BIN/bkctl" --db "$DB" registry import establishments "$T/establishments.csv"
ok "... and binds the boxes" "$BK_BIN/bkctl" --db "$DB" registry import boxes "$T/boxes.csv"

bk_sub_bg sub-xihu reg-xihu -q 1 -v -t 'bk/v1/alert/#'
bk_sub_bg sub-gongshu reg-gongshu -q 1 -v -t 'bk/v1/alert/#'
sleep 1

# each box: a fridge probe at 4 °C that the test raises to 12 °C
probe_box() {
	echo 4000 >"$T/$1.probe"
	bk_edge_start "$1" "$(printf '[sensor probe]\nkind = fridge\nzone = 冷藏间\ndriver = file\npath = %s/%s.probe\nscale = 0.001\nperiod = 250ms\nduration = 1s\nstuck_after = 0\n%s' "$T" "$1" "${2:-}")"
}
probe_box box-xihu "$(printf '\n[camera cold-1]\nsource = test\nzone = 冷藏间\nsegment = 2s\n')"
probe_box box-gongshu
probe_box box-stray
recording() { bk_sql "$T/box-xihu/outbox.db" "SELECT count(*) FROM segments"; }
ok "the Xihu camera records" wait_until 20 bk_at_least 1 recording
ok "the boxes deliver" wait_until 20 bk_at_least 3 bk_sql "$DB" "SELECT count(DISTINCT sender) FROM messages"
for b in box-xihu box-gongshu box-stray; do echo 12000 >"$T/$b.probe"; done
alerts() { bk_sql "$DB" "SELECT count(*) FROM alerts"; }
ok "three alerts are archived" wait_until 20 bk_at_least 3 alerts

got_xihu() { grep -c '^bk/v1/alert/330106 ' "$T/sub-xihu.log"; }
ok "the Xihu regulator gets the Xihu alert" wait_until 10 bk_at_least 1 got_xihu
line=$(grep '^bk/v1/alert/330106 ' "$T/sub-xihu.log" | head -1 | cut -d' ' -f2-)
ok "... with the establishment's name and the alert's type" bash -c "
	grep -q '\"name\":\"文三路小学食堂\"' <<<'$line' && grep -q '\"type\":\"temperature_high\"' <<<'$line'"
ok "... and not the Gongshu one (ACL by district)" test "$(grep -c '330105' "$T/sub-xihu.log")" = 0
ok "the Gongshu regulator gets its own, with the quoted name intact" \
	wait_until 10 grep -q '"name":"拱墅区\\"好味\\"面馆"' "$T/sub-gongshu.log"
snapshot_sent() { grep '^bk/v1/alert/330106 ' "$T/sub-xihu.log" | grep -c '"snapshot":"/clips/[0-9a-f]\{64\}\.jpg"'; }
ok "once its snapshot is verified, the alert goes out again with it" wait_until 20 bk_at_least 1 snapshot_sent
ref=$(grep '^bk/v1/alert/330106 ' "$T/sub-xihu.log" | grep -o '"snapshot":"[^"]*"' | head -1 | cut -d'"' -f4)
ok "... the address of the stored JPEG" test -f "$T/clips/${ref:7:2}/${ref#/clips/}"
ok "... under the same alert id" test "$(grep '^bk/v1/alert/330106 ' "$T/sub-xihu.log" | grep -o '"alert_id":"[^"]*"' | sort -u | wc -l)" = 1
ok "the unbound box's alert is not fanned out" test "$(cat "$T"/sub-*.log | grep -c box-stray)" = 0
ok "... but stays in the archive, counted" bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT count(*) FROM alerts WHERE box = 'box-stray'\")\" = 1 ]"
ok "... and the collector says why" grep -q "alert .* of box-stray not fanned out: the box is bound to no establishment" "$T/collector.log"

event=$(bk_sql "$DB" "SELECT event_id FROM alerts WHERE box = 'box-xihu'")
bk_stop collector
step() { "$BK_BIN/bkctl" --db "$DB" alert "$1" box-xihu "$event" --by 张三 "${@:2}"; }
out=$(step close 2>&1)
ok "closing a new alert without acknowledging it is refused, and says why" \
	bash -c "[ -n '$out' ] && ! '$BK_BIN/bkctl' --db '$DB' alert close box-xihu '$event' --by 张三 >/dev/null 2>&1"
ok "acknowledged" step ack
ok "in progress, with a note" step start --note "已电话通知食堂负责人"
ok "closed" step close
states=$(bk_sql "$DB" "SELECT group_concat(state || ':' || by, ' ') FROM (SELECT * FROM alert_steps WHERE box = 'box-xihu' ORDER BY rowid)")
is "every step is kept with who" "$states" "new:box-xihu acknowledged:张三 in_progress:张三 closed:张三"
ok "bkctl alerts shows it closed" bash -c "
	'$BK_BIN/bkctl' --db '$DB' alerts --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
r = [x for x in rows if x.get(\"box\") == \"box-xihu\"][0]
sys.exit(0 if r[\"state\"] == \"closed\" else 1)'"
bk_done
