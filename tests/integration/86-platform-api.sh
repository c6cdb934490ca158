#!/bin/bash
# Delivery platforms (以网管网) over the HTTPS API, served by a real
# bk-collector: POST /api/platform/listings imports a platform's export
# (tests/fixtures/platform: meituan.csv, eleme.json) with a Bearer token or
# a client certificate, recorded as imported by that id; the same file
# again changes nothing; a malformed file is refused whole (422, its
# problems by line and field); the page's cookie alone cannot upload (401),
# nor can a form's content type (415); over 32 MiB is 413, whether it says
# so up front or arrives chunked. The GET endpoints (stats, findings,
# shops, notice.csv) answer what bkctl answers on the same archive, and
# refuse bad parameters with 400. A [platforms] scope keyword file is used
# for the dish checks, and a bad one stops bk-collector -t. With
# BK_ARCHIVE=pg, on a PostgreSQL archive beside a second collector.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
TOKEN=tok-platform-0123456789abcdef
FIX=$BK_ROOT/tests/fixtures/platform

bk_pki_setup svc-collector reg-alice box-plat || exit 1
bk_broker_start || exit 1
bk_archive || exit 1
DB=$BK_DB
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }

# the registry: three of the licences the listings show (the rest are
# unknown to it), one expired; no boxes, so none is covered by video
cat >"$T/est.csv" <<'CSV'
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires,scope
JY13301060000001,老王家常菜,restaurant,330106,浙江省杭州市西湖区文三路259号,,,10:00-21:00,2029-12-31,热食类食品制售
JY13301060000002,蜀香小馆,restaurant,330106,浙江省杭州市西湖区教工路18号,,,10:00-21:00,2025-12-31,hot
JY13301060000003,一品寿司,restaurant,330106,浙江省杭州市西湖区古墩路701号紫金广场B座1楼,,,10:00-21:00,2029-12-31,hot cold
CSV
ok "the registry imports" bkctl registry import establishments "$T/est.csv"

# dish keywords: 凉拌 is cold food, 刺身 raw
printf '[cold]\nkeywords = 凉拌;口水鸡;夫妻肺片\n[raw]\nkeywords = 刺身;生鱼片\n' >"$T/scope.ini"
printf '[cold]\nkeywords = 凉拌\n[stewed]\nkeywords = 卤味\n' >"$T/bad-scope.ini"
conf=$(bk_collector_conf bad svc-collector "$(printf '[platforms]\nscope = %s/bad-scope.ini\n' "$T")")
out=$("$BK_BIN/bk-collector" -t -c "$conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok "bk-collector -t refuses a bad [platforms] scope file, naming it" \
	bash -c "[ $rc -ne 0 ] && grep -q 'platforms.*scope' <<<'$out' && grep -q 'stewed' <<<'$out'"

ok "collector starts with [http] and [platforms] scope" \
	bk_https_collector reg-bob "$TOKEN" "$(printf '\n[platforms]\nscope = %s/scope.ini\n' "$T")"

CURL=(curl -sS --max-time 30 --cacert "$BK_PKI/ca.crt")
CERT=(--cert "$BK_PKI/reg-alice.crt" --key "$BK_PKI/reg-alice.key")
BEARER=(-H "Authorization: Bearer $TOKEN")
CSV=(-H 'Content-Type: text/csv; charset=utf-8')
JSON=(-H 'Content-Type: application/json')
LISTINGS=$URL/api/platform/listings
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
# post NAME CURL-ARGS…: the body in $T/NAME.json, the status printed
post() {
	local name=$1
	shift
	"${CURL[@]}" -o "$T/$name.json" -w '%{http_code}' -X POST "$@" "$LISTINGS"
}
# holds FILE PYTHON-EXPR: the JSON document d in FILE satisfies the expression
holds() { "$BK_PY" -c "import json, sys; d = json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }
shops() { bk_sql "$DB" "SELECT count(*) FROM platform_shops"; }

# --- imports --------------------------------------------------------------
is "POST meituan.csv with the token: 200" "$(post mt1 "${BEARER[@]}" "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 200
sed 's/^/# /' "$T/mt1.json"
echo
ok "... 10 shops of 1 platform, all new, findings opened" holds "$T/mt1.json" \
	"d['platforms'] == 1 and d['shops'] == 10 and d['added'] == 10 and d['changed'] == 0 and d['delisted'] == 0 and d['opened'] > 0 and d['open'] == d['opened'] and d['closed'] == 0 and d['seen_before'] is False"
ok "... every figure is there" holds "$T/mt1.json" \
	"set(d) == {'platforms', 'shops', 'added', 'changed', 'delisted', 'opened', 'updated', 'closed', 'open', 'seen_before'}"
is "... recorded as imported by the token's regulator" \
	"$(bk_sql "$DB" "SELECT group_concat(DISTINCT imported_by) FROM platform_imports WHERE platform = 'meituan'")" reg-bob
ok "... and logged: who, shops, findings" grep -q 'listings imported by reg-bob: 10 shops of 1 platform, findings [0-9]* opened, 0 closed' "$T/collector.log"

mt1_open=$("$BK_PY" -c "import json; print(json.load(open('$T/mt1.json'))['open'])")
is "the same file again: 200" "$(post mt2 "${BEARER[@]}" "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 200
ok "... changes nothing, and says it was seen before" holds "$T/mt2.json" \
	"d['added'] == 0 and d['changed'] == 0 and d['delisted'] == 0 and d['opened'] == 0 and d['updated'] == 0 and d['closed'] == 0 and d['seen_before'] is True and d['open'] == $mt1_open"

is "POST eleme.json with a regulator's certificate: 200" "$(post el1 "${CERT[@]}" "${JSON[@]}" --data-binary "@$FIX/eleme.json")" 200
ok "... one platform, its shops added" holds "$T/el1.json" "d['platforms'] == 1 and d['shops'] > 0 and d['added'] == d['shops'] and d['seen_before'] is False"
is "... recorded as imported by the certificate's CN" \
	"$(bk_sql "$DB" "SELECT group_concat(DISTINCT imported_by) FROM platform_imports WHERE platform = 'eleme'")" reg-alice
before=$(shops)

# --- refusals ---------------------------------------------------------------
is "a malformed file: 422" "$(post bad "${BEARER[@]}" "${CSV[@]}" --data-binary "@$FIX/malformed.csv")" 422
sed 's/^/# /' "$T/bad.json"
echo
ok "... says nothing was imported, and lists its problems by line and field" holds "$T/bad.json" \
	"d['error'] == 'the file was refused: nothing imported' and len(d['problems']) >= 5 and all(p.split(':')[0].isdigit() for p in d['problems']) and any(p.startswith('3:platform:') for p in d['problems']) and any(p.startswith('4:shop_id:') for p in d['problems']) and any(p.startswith('5:shop_name:') for p in d['problems'])"
is "... and stores none of it" "$(shops)" "$before"
is "... nor any of its shops' platform imports" "$(bk_sql "$DB" "SELECT count(*) FROM platform_shops WHERE shop_id LIKE 'MT3%'")" 0
is "an empty body: 422" "$(post empty "${BEARER[@]}" "${CSV[@]}" --data-binary '')" 422
ok "... with its problem on line 1" holds "$T/empty.json" "len(d['problems']) == 1 and d['problems'][0].startswith('1:')"
is "the page's cookie alone cannot upload: 401" \
	"$(post cookie -b "bk_token=$TOKEN" "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 401
ok "... and is told why" holds "$T/cookie.json" "'cookie' in d['error'] and 'Bearer' in d['error']"
is "... though the cookie reads: 200" "$(code -b "bk_token=$TOKEN" "$URL/api/platform/stats")" 200
is "nothing at all: 401" "$(post anon "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 401
is "a wrong token: 401" "$(post wrong -H 'Authorization: Bearer tok-platform-wrong-wrong' "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 401
is "a box's certificate: 401" \
	"$(post box --cert "$BK_PKI/box-plat.crt" --key "$BK_PKI/box-plat.key" "${CSV[@]}" --data-binary "@$FIX/meituan.csv")" 401
is "a form's content type, even with the token: 415" \
	"$(post form "${BEARER[@]}" --data-binary "@$FIX/meituan.csv")" 415
is "... and text/plain (what a cross-site form can send): 415" \
	"$(post plain "${BEARER[@]}" -H 'Content-Type: text/plain' --data-binary "@$FIX/meituan.csv")" 415
is "GET on the listings: 405" "$(code "${BEARER[@]}" "$LISTINGS")" 405
ok "... allowing POST" bash -c "'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' -D - -o /dev/null '$LISTINGS' | grep -qi '^allow: POST'"
is "POST elsewhere is still 405" "$(code "${BEARER[@]}" "${CSV[@]}" -X POST --data-binary x "$URL/api/platform/findings")" 405
is "PUT on the listings: 405" "$(code "${BEARER[@]}" "${CSV[@]}" -X PUT --data-binary x "$LISTINGS")" 405

# 33 MiB: refused on its Content-Length before it is read, and chunked
# (no length given) once 32 MiB have arrived
head -c $((33 << 20)) /dev/zero | tr '\0' 'a' >"$T/big.csv"
is "a 33 MiB upload: 413" "$(post big "${BEARER[@]}" "${CSV[@]}" --data-binary "@$T/big.csv")" 413
ok "... saying the limit" holds "$T/big.json" "'32 MiB' in d['error']"
is "... chunked (no length said): 413" "$(post bigchunk "${BEARER[@]}" "${CSV[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.csv")" 413
ok "... saying the limit" holds "$T/bigchunk.json" "'32 MiB' in d['error']"
is "... and the collector still answers" "$(code "$URL/healthz")" 200
is "... having stored nothing" "$(shops)" "$before"

# --- reading ---------------------------------------------------------------
get() { "${CURL[@]}" "${BEARER[@]}" "$URL$1"; }
# same PATH BKCTL-ARGS…: the API's JSON equals bkctl's --json on the archive
same() {
	local path=$1
	shift
	get "$path" >"$T/api.json" && bkctl platform "$@" --json >"$T/bkctl.json" &&
		"$BK_PY" -c "import json, sys; a = json.load(open('$T/api.json')); b = json.load(open('$T/bkctl.json')); print(f'# {len(a)} rows'); sys.exit(0 if a == b and len(a) > 0 else 1)"
}
ok "/api/platform/stats is bkctl platform stats" same /api/platform/stats stats
get /api/platform/stats >"$T/stats.json"
ok "... meituan: 10 shops listed, 合计 row, a last import" holds "$T/stats.json" \
	"any(r['platform'] == 'meituan' and r['kind'] == 'all' and r['label'] == '合计' and r['shops_listed'] == 10 and r['open'] > 0 and r['last_import'] for r in d)"
ok "... a row per kind per platform, labelled in Chinese" holds "$T/stats.json" \
	"any(r['platform'] == 'meituan' and r['kind'] == 'no_licence' and r['label'] == '未公示许可证' and r['open'] == 2 for r in d)"
ok "/api/platform/findings is bkctl platform findings" same /api/platform/findings findings
ok "... meituan's open findings: no licence shown, unknown, expired, dish out of scope, not covered" \
	bash -c "'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/api/platform/findings?platform=meituan&limit=1000' >'$T/f.json' &&
	'$BK_PY' -c \"
import json, sys
d = json.load(open('$T/f.json'))
got = {(f['shop_id'], f['kind']) for f in d}
want = {('MT20260005', 'no_licence'), ('MT20260010', 'no_licence'), ('MT20260004', 'licence_unknown'),
        ('MT20260002', 'licence_expired'), ('MT20260001', 'dish_out_of_scope'), ('MT20260003', 'dish_out_of_scope'),
        ('MT20260001', 'not_covered')}
print('# missing', want - got)
sys.exit(0 if want <= got and all(f['platform'] == 'meituan' and f['closed_at'] is None for f in d) else 1)\""
ok "... kind filters, with the label and evidence" holds <(get "/api/platform/findings?platform=meituan&kind=no_licence") \
	"sorted(f['shop_id'] for f in d) == ['MT20260005', 'MT20260010'] and all(f['label'] == '未公示许可证' and f['evidence'] for f in d)"
ok "... limit" holds <(get "/api/platform/findings?limit=1") "len(d) == 1"
ok "... licence" holds <(get "/api/platform/findings?licence=JY13301060000002&state=all") \
	"len(d) > 0 and all(f['licence'] == 'JY13301060000002' for f in d)"
ok "... none closed yet" holds <(get "/api/platform/findings?state=closed") "d == []"
is "... a bad state: 400" "$(code "${BEARER[@]}" "$URL/api/platform/findings?state=ajar")" 400
ok "... saying which states there are" bash -c "'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/api/platform/findings?state=ajar' | grep -q 'open, closed or all'"
is "... a bad kind: 400" "$(code "${BEARER[@]}" "$URL/api/platform/findings?kind=dirty")" 400
is "... a bad limit: 400" "$(code "${BEARER[@]}" "$URL/api/platform/findings?limit=0")" 400
is "... without credentials: 401" "$(code "$URL/api/platform/findings")" 401

ok "/api/platform/shops?platform=meituan is bkctl platform shops" same "/api/platform/shops?platform=meituan" shops --platform meituan
ok "... the ten shops of the file, with open findings counted" holds <(get "/api/platform/shops?platform=meituan") \
	"len(d) == 10 and all(s['platform'] == 'meituan' for s in d) and any(s['shop_id'] == 'MT20260005' and s['open_findings'] >= 1 and s['licence'] is None for s in d)"
ok "... all platforms without the parameter" holds <(get /api/platform/shops) "{s['platform'] for s in d} == {'meituan', 'eleme'}"
is "... a bad platform id: 400" "$(code "${BEARER[@]}" "$URL/api/platform/shops?platform=Mei%20Tuan")" 400

# the notice list, once findings are put on it
ok "bkctl platform notice add --platform meituan" bkctl platform notice add --platform meituan --by t
"${CURL[@]}" "${BEARER[@]}" -D "$T/notice.head" -o "$T/notice.csv" "$URL/api/platform/notice.csv?platform=meituan"
sed 's/^/# /' "$T/notice.head"
ok "/api/platform/notice.csv is CSV in UTF-8" grep -qi '^content-type: text/csv; charset=utf-8' "$T/notice.head"
ok "... a download named notice-meituan.csv" grep -qi '^content-disposition: attachment; filename="notice-meituan.csv"' "$T/notice.head"
is "... with the header row" "$(head -n 1 "$T/notice.csv")" "platform,shop_id,shop_name,licence,finding,问题,evidence,opened_at,noticed_at"
is "... a row per open meituan finding" "$(($(wc -l <"$T/notice.csv") - 1))" \
	"$(bk_sql "$DB" "SELECT count(*) FROM platform_findings WHERE platform = 'meituan' AND closed_at IS NULL")"
ok "... as bkctl exports it" bash -c "bkctl() { '$BK_BIN/bkctl' --db '$DB' \"\$@\"; }; bkctl platform notice export --platform meituan | cmp - '$T/notice.csv'"
ok "... naming the shop without a licence" grep -q '^meituan,MT20260005,阿婆馄饨,,no_licence,未公示许可证,' "$T/notice.csv"
ok "... and the statistics count them on notice" holds <(get /api/platform/stats) \
	"any(r['platform'] == 'meituan' and r['kind'] == 'all' and r['on_notice'] == r['open'] > 0 for r in d)"
is "... eleme's list is still empty (its header only)" "$(get "/api/platform/notice.csv?platform=eleme" | wc -l)" 1
is "notice.csv without a platform: 400" "$(code "${BEARER[@]}" "$URL/api/platform/notice.csv")" 400
is "... with a platform that is no id: 400" "$(code "${BEARER[@]}" "$URL/api/platform/notice.csv?platform=..%2Fx")" 400

# the meituan listing again, one shop gone: its findings close
grep -v MT20260010 "$FIX/meituan.csv" >"$T/meituan-9.csv"
is "a listing without one shop: 200" "$(post mt3 "${BEARER[@]}" "${CSV[@]}" --data-binary "@$T/meituan-9.csv")" 200
ok "... that shop delisted, its finding closed" holds "$T/mt3.json" "d['delisted'] == 1 and d['closed'] >= 1 and d['seen_before'] is False"
ok "... and listed closed" holds <(get "/api/platform/findings?state=closed") \
	"any(f['shop_id'] == 'MT20260010' and f['closed_at'] for f in d)"

# a clean stop: under make asan, LeakSanitizer reports into the log here
pid=$(bk_pid collector)
kill -TERM "$pid"
wait "$pid"
is "the collector stops cleanly" "$?" 0
unset "BK_PIDS[collector]"
bk_done
