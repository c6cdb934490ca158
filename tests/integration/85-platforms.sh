#!/bin/bash
# Delivery platforms (以网管网) through the real bkctl: the fixtures of
# tests/fixtures/platform/ — meituan.csv (Chinese header), eleme.json (a
# JSON array), douyin.jsonl (JSON Lines) — against their registry
# (establishments.csv, boxes.csv, cameras.csv). Every kind of finding is triggered by
# some shop and the clean shops trigger none; re-importing changes nothing;
# a fixed shop's finding closes on the next import; malformed rows are
# refused with FILE:LINE:FIELD: reason and nothing is stored; the notice
# list per platform; a task from a finding; statistics. No broker needed.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

F=$BK_ROOT/tests/fixtures/platform
DB=$T/archive.db
# coverage = 0: a kitchen with a box counts as covered (test_platforms
# checks the recorded-share rule)
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }
pf() { bkctl platform --rules "$F/rules.ini" "$@"; }
findings() {
	bkctl platform findings --state "${1:-open}" --limit 1000 --json |
		"$BK_PY" -c 'import json,sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["platform"], f["shop_id"], f["kind"])):
    print(f["platform"], f["shop_id"], f["kind"])'
}

for kind in establishments boxes cameras inspectors; do
	ok "registry: import $kind" bkctl registry import "$kind" "$F/$kind.csv"
done
is "scope is stored as ids" \
	"$(bk_sql "$DB" "SELECT scope FROM establishments WHERE licence = 'JY13301060000001'")" "hot cold"

# --- the first import: every kind of finding, none for the clean shops ----------
out=$(pf import "$F/meituan.csv" "$F/eleme.json" "$F/douyin.jsonl" --by reg-test)
is "import reports shops and findings" "$out" \
	"$F/meituan.csv: 10 shops of 1 platform (10 new, 0 changed, 0 no longer listed)
findings: 6 opened, 0 updated, 0 closed; 6 open
$F/eleme.json: 6 shops of 1 platform (6 new, 0 changed, 0 no longer listed)
findings: 4 opened, 0 updated, 0 closed; 4 open
$F/douyin.jsonl: 4 shops of 1 platform (4 new, 0 changed, 0 no longer listed)
findings: 9 opened, 0 updated, 0 closed; 9 open"
expected="douyin DY-501 address_shared
douyin DY-501 licence_shared
douyin DY-501 not_covered
douyin DY-502 address_shared
douyin DY-502 licence_shared
douyin DY-502 not_covered
douyin DY-503 address_shared
douyin DY-504 address_shared
douyin DY-504 no_licence
eleme E8800102 dish_out_of_scope
eleme E8800103 address_mismatch
eleme E8800104 no_licence
eleme E8800105 licence_unknown
meituan MT20260002 licence_expired
meituan MT20260003 dish_out_of_scope
meituan MT20260004 address_mismatch
meituan MT20260005 no_licence
meituan MT20260007 not_covered
meituan MT20260010 no_licence"
is "the findings: each kind, and nothing for the clean shops" "$(findings)" "$expected"
kinds=$(bkctl platform findings --json | "$BK_PY" -c 'import json,sys; print(" ".join(sorted({f["kind"] for f in json.load(sys.stdin)})))')
is "all eight kinds are found" "$kinds" \
	"address_mismatch address_shared dish_out_of_scope licence_expired licence_shared licence_unknown no_licence not_covered"
is "platform names are mapped (美团 → meituan, 抖音外卖 → douyin)" \
	"$(bk_sql "$DB" "SELECT group_concat(DISTINCT platform) FROM (SELECT platform FROM platform_shops ORDER BY 1)")" \
	"douyin,eleme,meituan"
ev=$(bk_sql "$DB" "SELECT evidence FROM platform_findings WHERE shop_id = 'MT20260003'")
ok "out-of-scope evidence names the raw dishes" grep -q "三文鱼刺身.*生食类食品制售" <<<"$ev"
is "... and not the hot ones" "$(grep -c 味噌汤 <<<"$ev")" 0
ok "full-width, 层/楼 and 负一楼 spellings compare equal (MT20260003, MT20260006 have no address finding)" \
	test "$(bk_sql "$DB" "SELECT count(*) FROM platform_findings WHERE kind = 'address_mismatch' AND shop_id IN ('MT20260003', 'MT20260006', 'MT20260008')")" = 0
ok "the findings table names the kind in Chinese" bash -c "'$BK_BIN/bkctl' --db '$DB' platform findings --platform meituan | grep -q '取餐地址与许可地址不符'"

# --- re-importing the same exports changes nothing -------------------------------
before=$(bk_sql "$DB" "SELECT group_concat(updated, '|') FROM (SELECT updated FROM platform_shops UNION ALL SELECT updated FROM platform_findings)")
sleep 0.01
out=$(pf import "$F/meituan.csv" --json)
is "re-import: nothing new, changed, opened or closed" "$(echo "$out" | "$BK_PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["added"], r["changed"], r["delisted"], r["opened"], r["updated"], r["closed"], r["open"], r["seen_before"])')" \
	"0 0 0 0 0 0 6 True"
pf import "$F/eleme.json" "$F/douyin.jsonl" >/dev/null
is "... and no row's updated moved" \
	"$(bk_sql "$DB" "SELECT group_concat(updated, '|') FROM (SELECT updated FROM platform_shops UNION ALL SELECT updated FROM platform_findings)")" "$before"
is "the import log keeps each file once" "$(bk_sql "$DB" "SELECT count(*) FROM platform_imports")" 3

# --- fixed shops: their findings close on the next import --------------------------
# MT20260002's licence is renewed in the registry; MT20260004 corrects its
# pickup address; MT20260005 shows a licence now (E01's, at E01's address:
# which opens licence_shared and address_shared with MT20260001); MT20260010
# leaves the platform.
bkctl registry import establishments - <<'EOF' >/dev/null
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
JY13301060000002,蜀香小馆,small_eatery,330106,杭州市西湖区教工路18号,45,,10:00-21:00,2029-03-31
EOF
sed -e 's/学院路77号/学院路七十五号/' \
	-e 's/阿婆馄饨,暂无,浙江省杭州市西湖区天目山路398号/阿婆馄饨,JY13301060000001,文三路259号/' \
	-e '/MT20260010/d' "$F/meituan.csv" >"$T/meituan-fixed.csv"
out=$(pf import "$T/meituan-fixed.csv" --json)
is "the fixed export: 2 changed, 1 delisted, 4 closed, 4 opened" \
	"$(echo "$out" | "$BK_PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["changed"], r["delisted"], r["closed"], r["opened"], r["open"])')" \
	"2 1 4 4 6"
is "meituan's open findings now" "$(findings open | grep meituan)" \
	"meituan MT20260001 address_shared
meituan MT20260001 licence_shared
meituan MT20260003 dish_out_of_scope
meituan MT20260005 address_shared
meituan MT20260005 licence_shared
meituan MT20260007 not_covered"
is "closed, with why" \
	"$(bk_sql "$DB" "SELECT shop_id || ' ' || kind || ': ' || closed_why FROM platform_findings WHERE closed_at IS NOT NULL ORDER BY shop_id, kind")" \
	"MT20260002 licence_expired: no longer found
MT20260004 address_mismatch: no longer found
MT20260005 no_licence: no longer found
MT20260010 no_licence: shop no longer listed"

# --- malformed rows: refused with line and reason, nothing stored -------------------
shops_before=$(bk_sql "$DB" "SELECT count(*) || ' ' || group_concat(updated) FROM platform_shops")
pf import "$F/malformed.csv" >"$T/out" 2>"$T/err"
is "a malformed file exits 1" "$?" 1
m=$F/malformed.csv
ok "an unknown platform: line and field" grep -qF "$m:3:platform: " "$T/err"
ok "a shop id with a space" grep -qF "$m:4:shop_id: " "$T/err"
ok "an empty shop name" grep -qF "$m:5:shop_name: " "$T/err"
ok "a licence with a space" grep -qF "$m:6:licence: " "$T/err"
ok "an unknown status" grep -qF "$m:7:status: " "$T/err"
ok "a shop twice, both lines named" grep -qE "$m:8:shop_id: .*2.*8|$m:8:shop_id: .*8.*2" "$T/err"
ok "a short row" grep -qE "^$m:9:" "$T/err"
ok "a line break inside a quoted address" grep -qE "^$m:1[01]:pickup_address: " "$T/err"
ok "... and says nothing was imported" grep -qF "refused" "$T/err"
is "nothing stored from it" "$(bk_sql "$DB" "SELECT count(*) || ' ' || group_concat(updated) FROM platform_shops")" "$shops_before"
printf '{"platform": "eleme", "shop_id": 7}\n' >"$T/bad.jsonl"
pf import "$T/bad.jsonl" 2>"$T/err2"
ok "JSON: a number for shop_id is refused with line and field" grep -qE "bad.jsonl:1:shop_id: " "$T/err2"

# --- the notice list, one CSV per platform -------------------------------------------
out=$(bkctl platform notice add --platform douyin --by reg-test)
is "notice add: every open finding of the platform" "$out" "9 findings put on the notice list"
bkctl platform notice export --platform douyin --out "$T/douyin-notice.csv"
is "the notice CSV: a header and 9 rows" "$(wc -l <"$T/douyin-notice.csv")" 10
is "its header" "$(head -n 1 "$T/douyin-notice.csv")" \
	"platform,shop_id,shop_name,licence,finding,问题,evidence,opened_at,noticed_at"
ok "a row names the shop and the finding in Chinese" grep -qF "douyin,DY-502,好运来·招牌盒饭,JY13301060000007,licence_shared,一证多店," "$T/douyin-notice.csv"
is "meituan's notice list is empty" "$(bkctl platform notice export --platform meituan | wc -l)" 1

# --- a task from a finding ----------------------------------------------------------
id=$(bk_sql "$DB" "SELECT id FROM platform_findings WHERE shop_id = 'MT20260003' AND closed_at IS NULL")
task=$(pf task --finding "$id" --by reg-test --due 2026-12-31)
ok "a task is created ($task)" grep -qE '^tk-' <<<"$task"
is "with the district's inspectors, the finding in its note" \
	"$(bk_sql "$DB" "SELECT t.licence || ' ' || t.kind || ' ' || (SELECT group_concat(inspector) FROM (SELECT inspector FROM task_inspectors WHERE task_id = t.task_id ORDER BY 1)) || ' ' || (t.note LIKE '%超出许可经营项目%') FROM tasks t WHERE t.task_id = '$task'")" \
	"JY13301060000003 special hh-pf-a,hh-pf-b 1"
pf task --finding "$id" --by reg-test 2>"$T/err"
ok "a second task for it is refused" grep -qF "has task $task already" "$T/err"
id=$(bk_sql "$DB" "SELECT id FROM platform_findings WHERE shop_id = 'E8800105'")
pf task --finding "$id" --by reg-test 2>"$T/err"
ok "no task without a registered kitchen: the notice list is suggested" grep -qF "notice list" "$T/err"

# --- statistics -------------------------------------------------------------------------
stats=$(bkctl platform stats --json | "$BK_PY" -c 'import json,sys
for r in json.load(sys.stdin):
    if r["kind"] == "all" or r["open"]:
        print(r["platform"], r["kind"], r["open"], r["closed"], r["shops_with_open"], r["on_notice"], r["with_task"])')
is "per platform and kind" "$stats" \
	"douyin no_licence 1 0 1 1 0
douyin licence_shared 2 0 2 2 0
douyin address_shared 4 0 4 4 0
douyin not_covered 2 0 2 2 0
douyin all 9 0 4 9 0
eleme no_licence 1 0 1 0 0
eleme licence_unknown 1 0 1 0 0
eleme address_mismatch 1 0 1 0 0
eleme dish_out_of_scope 1 0 1 0 0
eleme all 4 0 4 0 0
meituan licence_shared 2 0 2 0 0
meituan address_shared 2 0 2 0 0
meituan dish_out_of_scope 1 0 1 0 1
meituan not_covered 1 0 1 0 0
meituan all 6 4 4 0 1
all no_licence 2 2 2 1 0
all licence_unknown 1 0 1 0 0
all licence_shared 4 0 4 2 0
all address_shared 6 0 6 4 0
all address_mismatch 1 1 1 0 0
all dish_out_of_scope 2 0 2 0 1
all not_covered 3 0 3 2 0
all all 19 4 12 9 1"
ok "the table form prints the Chinese labels" bash -c "'$BK_BIN/bkctl' --db '$DB' platform stats | grep -q '一证多店'"

# --- a check alone, after the registry changes ------------------------------------------
bkctl registry import boxes - <<'EOF' >/dev/null
box,licence,provisioned
box-pf-07,JY13301060000007,2026-11-01
EOF
bkctl registry import cameras - <<'EOF' >/dev/null
box,camera,zone,gb28181_id
box-pf-07,cam-1,烹饪区,
EOF
out=$(pf check --platform douyin)
is "a box with a camera for 好运来: its not_covered findings close on the check" "$out" \
	"findings: 0 opened, 0 updated, 2 closed; 7 open"

bk_done
