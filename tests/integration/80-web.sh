#!/bin/bash
# The regulators' HTTPS API and page, served by a real bk-collector with
# [http]: curl checks who may read (a reg-… certificate or a token: 200;
# nobody, a wrong token, a box's certificate: 401; a write: 405; TLS 1.1:
# refused), the JSON shapes of the endpoints, /metrics in Prometheus text
# format, a stored clip remuxed to MP4. Then Debian's headless Chromium,
# driven over the DevTools protocol (tests/tools/cdp.py), loads the page from
# the collector, signs in with the token, shows the coverage chart with its
# target line, and a real alert (a box's fridge probe breaching) appears in
# the live list without a reload. A delivery platform's listing, imported
# through the API before the page loads, shows in its Platforms section
# (以网管网). The screenshot is kept in BUILD/test-artifacts/web.png.
# BK_ARCHIVE=pg (tests/run.sh's PostgreSQL pass): the same on a PostgreSQL
# archive, a second collector without [http] sharing the ingest.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
BOX=box-web
LICENCE=JY11101050000017
NAME=阳光小学食堂
TOKEN=tok-web-0123456789abcdef
ARTIFACTS=${BK_BIN%/bin}/test-artifacts
CDP="$BK_PY $BK_ROOT/tests/tools/cdp.py"

bk_pki_setup "$BOX" svc-collector reg-alice svc-other || exit 1
bk_broker_start --service svc-other || exit 1

# the registry: one school canteen, the box bound to it
bk_archive || exit 1
DB=$BK_DB
cat >"$T/est.csv" <<CSV
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
$LICENCE,$NAME,school_canteen,110105,朝阳区建国路1号,320,900,,2028-12-31
CSV
printf 'box,licence,provisioned\n%s,%s,2026-01-05\n' "$BOX" "$LICENCE" >"$T/boxes.csv"
ok "the registry imports" bash -c "
	'$BK_BIN/bkctl' --db '$DB' registry import establishments '$T/est.csv' &&
	'$BK_BIN/bkctl' --db '$DB' registry import boxes '$T/boxes.csv'"

printf '# regulators\n%s reg-bob\n' "$TOKEN" >"$T/tokens"
chmod 600 "$T/tokens"
HTTP_PORT=$(free_port)
HTTP=$(printf '[http]\nlisten = 127.0.0.1:%s\ncert = %s/broker.crt\nkey = %s/broker.key\ncrl = %s/crl.pem\ntokens = %s/tokens\n' \
	"$HTTP_PORT" "$BK_PKI" "$BK_PKI" "$BK_PKI" "$T")

# a tokens file others can read is refused, naming it
chmod 644 "$T/tokens"
conf=$(bk_collector_conf collector svc-collector "$HTTP")
out=$("$BK_BIN/bk-collector" -t -c "$conf" 2>&1)
ok "bk-collector -t refuses a tokens file readable by others" grep -q "tokens: '$T/tokens' is readable by others" <<<"$out"
chmod 600 "$T/tokens"

ok "collector starts with [http]" bk_collector_start collector svc-collector "$HTTP"
ok "... and serves HTTPS" wait_until 10 grep -q "HTTPS API on 127.0.0.1:$HTTP_PORT" "$T/collector.log"

URL=https://127.0.0.1:$HTTP_PORT
CURL=(curl -sS --max-time 10 --cacert "$BK_PKI/ca.crt")
CERT=(--cert "$BK_PKI/reg-alice.crt" --key "$BK_PKI/reg-alice.key")
BEARER=(-H "Authorization: Bearer $TOKEN")
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }

is "/healthz needs no credentials" "$(code "$URL/healthz")" 200
is "/api/boxes without credentials: 401" "$(code "$URL/api/boxes")" 401
is "/metrics without credentials: 401" "$(code "$URL/metrics")" 401
is "/clips without credentials: 401" "$(code "$URL/clips/$(printf '%064d' 0).jpg")" 401
is "a wrong token: 401" "$(code -H 'Authorization: Bearer tok-web-wrong-wrong-wrong' "$URL/api/boxes")" 401
is "a box's certificate: 401" "$(code --cert "$BK_PKI/$BOX.crt" --key "$BK_PKI/$BOX.key" "$URL/api/boxes")" 401
is "a regulator's certificate: 200" "$(code "${CERT[@]}" "$URL/api/boxes")" 200
is "the token as a bearer: 200" "$(code "${BEARER[@]}" "$URL/api/boxes")" 200
is "the token as the page's cookie: 200" "$(code -b "bk_token=$TOKEN" "$URL/api/boxes")" 200
is "POST with a certificate: 405" "$(code "${CERT[@]}" -X POST -d x=1 "$URL/api/alerts")" 405
is "DELETE with the token: 405" "$(code "${BEARER[@]}" -X DELETE "$URL/api/establishments/$LICENCE")" 405
ok "TLS 1.1 is refused" bash -c "! curl -sS --max-time 5 --cacert '$BK_PKI/ca.crt' --tls-max 1.1 -o /dev/null '$URL/healthz'"
is "the page is public (it holds no data)" "$(code "$URL/")" 200
ok "... and is the built-in page" bash -c "'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' '$URL/' | grep -q '明厨亮灶'"

get() { "${CURL[@]}" "${BEARER[@]}" "$URL$1"; }
# shape PATH PYTHON-EXPR: the JSON document d satisfies the expression
shape() { get "$1" | "$BK_PY" -c "import json, sys; d = json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; }
ok "/api/establishments lists the canteen" shape /api/establishments \
	"isinstance(d, list) and d[0]['licence'] == '$LICENCE' and d[0]['name'] == '$NAME'"
ok "/api/establishments/LICENCE: registry row, coverage, alerts, clips, boxes" shape "/api/establishments/$LICENCE" \
	"d['establishment']['category'] == 'school_canteen' and all(isinstance(d[k], list) for k in ('coverage', 'alerts', 'clips', 'boxes')) and d['boxes'][0]['box'] == '$BOX'"
is "an unknown licence: 404" "$(code "${BEARER[@]}" "$URL/api/establishments/JY11101059999999")" 404
ok "/api/list (名单筛选) filters as bkctl list: the canteen is a school canteen of its district" \
	shape "/api/list?category=school_canteen&expiring_days=3650" "isinstance(d, list) and [r['licence'] for r in d] == ['$LICENCE']"
ok "... and a filter it fails leaves it out" shape "/api/list?category=restaurant" "d == []"
is "... a bad grade is a 400" "$(code "${BEARER[@]}" "$URL/api/list?grade=E")" 400
ok "/api/tasks answers a list" shape /api/tasks "isinstance(d, list)"
ok "/api/grades answers a list" shape /api/grades "isinstance(d, list)"
ok "/api/coverage: district × category rows with the school-canteen target" shape /api/coverage \
	"any(r['district'] == '110105' and r['category'] == 'school_canteen' and r['target_pct'] == 50 and r['establishments'] == 1 for r in d['coverage']) and d['threshold'] == 0.8"
ok "/api/alerts: the period and a list" shape "/api/alerts?from=2026-01-01&district=110105&state=new" \
	"isinstance(d['alerts'], list) and d['from'].endswith('Z') and d['to'].endswith('Z')"
ok "/api/alert-stats?by=type: groups and a total" shape "/api/alert-stats?by=type" \
	"d['by'] == 'type' and d['groups'][-1]['type'] == 'total'"
is "a bad parameter: 400" "$(code "${BEARER[@]}" "$URL/api/alert-stats?by=colour")" 400
is "a bad district: 400" "$(code "${BEARER[@]}" "$URL/api/coverage?district=abc")" 400
ok "/api/events and /api/clips are lists" bash -c "
	'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/api/events' | grep -q '^\[' &&
	'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/api/clips' | grep -q '^\['"

# /metrics: every sample line NAME{labels} VALUE, each family with HELP and TYPE
get /metrics >"$T/metrics"
ok "/metrics is Prometheus text" "$BK_PY" - "$T/metrics" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+-]+|NaN)$')
typed = set()
for l in lines:
    if l.startswith('# TYPE '):
        typed.add(l.split()[2])
    elif not l.startswith('# HELP '):
        m = sample.match(l)
        assert m, f'bad line: {l!r}'
        assert m.group(1) in typed, f'no TYPE for {m.group(1)}'
names = {l.split()[0].split('{')[0] for l in lines if not l.startswith('#')}
for want in ('bk_collector_received_total', 'bk_collector_archived_total', 'bk_collector_duplicates_total',
             'bk_collector_rejected_total', 'bk_collector_acks_total', 'bk_collector_ingest_rate',
             'bk_archive_gap_seqs', 'bk_boxes_online', 'bk_clips'):
    assert want in names, f'missing {want}'
print(f'# {len(lines)} lines')
PY

# a stored clip (H.264 in MPEG-TS, put at its content address) plays as MP4
gst-launch-1.0 -q videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240,framerate=15/1 ! \
	x264enc key-int-max=15 ! h264parse ! mpegtsmux ! filesink location="$T/clip.ts" >/dev/null 2>&1
SHA=$(sha256sum "$T/clip.ts" | cut -d' ' -f1)
mkdir -p "$T/clips/${SHA:0:2}" && cp "$T/clip.ts" "$T/clips/${SHA:0:2}/$SHA.ts"
is "a stored .ts is served" "$(code "${BEARER[@]}" "$URL/clips/$SHA.ts")" 200
"${CURL[@]}" "${BEARER[@]}" -D "$T/mp4.head" -o "$T/clip.mp4" "$URL/clips/$SHA.mp4"
ok "its .mp4 is remuxed on request" grep -qi '^content-type: video/mp4' "$T/mp4.head"
ok "... an MP4 (ftyp) that GStreamer reads" bash -c "
	[ \"\$(head -c 8 '$T/clip.mp4' | tail -c 4)\" = ftyp ] &&
	gst-discoverer-1.0 '$T/clip.mp4' 2>/dev/null | grep -qi 'h.264'"
is "... with ranges for seeking" "$(code "${BEARER[@]}" -H 'Range: bytes=0-99' "$URL/clips/$SHA.mp4")" 206
is "an unknown clip: 404" "$(code "${BEARER[@]}" "$URL/clips/$(printf '%064d' 0).jpg")" 404

# --- the box whose probe will breach -----------------------------------
echo 4000 >"$T/probe"
PROBE=$(printf '[sensor probe]\nkind = fridge\nzone = 冷藏间\ndriver = file\npath = %s/probe\nscale = 0.001\nperiod = 250ms\nduration = 1s\nstuck_after = 0\n' "$T")
ok "the box starts" bk_edge_start "$BOX" "$PROBE"
ok "... and reports online" wait_until 20 bash -c "'${CURL[0]}' -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/metrics' | grep -q '^bk_boxes_online 1'"
bk_bg sse curl -sS -N --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "$URL/api/alerts/stream"

# a delivery platform's listing (以网管网): the canteen's licence shown at
# another address, and a shop that shows none
cat >"$T/listing.csv" <<CSV
platform,shop_id,shop_name,licence,pickup_address,dishes,status
meituan,MT1,$NAME,$LICENCE,朝阳区建国路99号,米饭;番茄炒蛋,open
meituan,MT2,街角小炒,,朝阳区光华路5号,炒饭,open
CSV
is "a listing is imported through the API" "$(code "${BEARER[@]}" -H 'Content-Type: text/csv' --data-binary "@$T/listing.csv" "$URL/api/platform/listings")" 200

# --- the page in headless Chromium -------------------------------------
CDP_PORT=$(free_port)
bk_bg chromium chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--remote-debugging-port="$CDP_PORT" --remote-allow-origins='*' --user-data-dir="$T/chrome" \
	--ignore-certificate-errors --disable-background-networking --disable-component-update \
	--disable-sync --disable-default-apps --no-first-run --no-default-browser-check \
	--window-size=1280,1000 about:blank
ok "chromium listens for DevTools" wait_until 30 "$BK_PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$CDP_PORT/json/list', timeout=2)"
ok "the page loads from the collector" $CDP "$CDP_PORT" navigate "$URL/"
ok "... and asks for a token (no certificate in this browser)" $CDP "$CDP_PORT" wait 10 \
	"!document.querySelector('#login').hidden"
ok "signing in with the token shows the overview, live stream connected" $CDP "$CDP_PORT" wait 15 "
	(() => {
		if (!window.__bkSubmitted) {
			window.__bkSubmitted = true;
			document.querySelector('#token').value = '$TOKEN';
			document.querySelector('#login-form').requestSubmit();
		}
		return !document.querySelector('#app').hidden &&
			document.querySelector('#live').classList.contains('on');
	})()"
# set in this document only: a reload would lose it
$CDP "$CDP_PORT" eval "window.__bkNoReload = 'still here'" >/dev/null
ok "the coverage chart shows the target line" $CDP "$CDP_PORT" wait 10 \
	"document.querySelectorAll('#coverage-chart line.target').length > 0 &&
	 document.querySelector('#coverage-chart line.target').getAttribute('data-target') === '0.5'"
ok "the Platforms section shows meituan's row" $CDP "$CDP_PORT" wait 10 \
	"[...document.querySelectorAll('#platform-stats tr.platform-total')].some(tr =>
		tr.dataset.platform === 'meituan' && tr.textContent.includes('美团') && tr.cells[3].textContent === '2')"
ok "... its open findings, by their Chinese label" $CDP "$CDP_PORT" wait 10 \
	"[...document.querySelectorAll('#platform-findings li.finding')].some(li =>
		li.textContent.includes('街角小炒') && li.textContent.includes('未公示许可证'))"
ok "... and a link to its notice list" $CDP "$CDP_PORT" wait 10 \
	"document.querySelector('#platform-notices a[data-platform=meituan]').getAttribute('href') === '/api/platform/notice.csv?platform=meituan'"
before=$($CDP "$CDP_PORT" eval "document.querySelectorAll('#alerts-list li').length")
echo "# alerts listed before the breach: $before"

# BK_ARCHIVE=pg: the live stream carries the alerts of the collector that
# serves it only; this one is the box's first event message, which the
# broker hands to the share group's first subscriber, collector A
echo 12000 >"$T/probe" # 12 °C in a fridge: above 8 for longer than 1 s
ok "the new alert appears in the page" $CDP "$CDP_PORT" wait 30 \
	"[...document.querySelectorAll('#alerts-list li.fresh')].some(li => li.textContent.includes('$NAME') && li.textContent.includes('temperature_high'))"
is "... without a reload" "$($CDP "$CDP_PORT" eval "window.__bkNoReload")" '"still here"'
ok "the stream carried it as an alert message" wait_until 5 grep -q '^event: alert' "$T/sse.log"
grep '^data: ' "$T/sse.log" | head -1 | sed 's/^data: //' >"$T/alert.json"
ok "... that names the establishment" "$BK_PY" -c "
import json, sys
a = json.load(open('$T/alert.json'))
sys.exit(0 if a['establishment'] == {'licence': '$LICENCE', 'name': '$NAME'} and a['type'] == 'temperature_high' else 1)"
# an alert another collector of the group archived (it publishes what it
# archives): shown here too, once, though a broker may bring it again
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
for i in 1 2; do
	bk_pub svc-other -q 1 -t bk/v1/alert/110105 -m "{\"v\":1,\"id\":\"svc-other\",\"seq\":$i,\"ts\":\"$now\",\"mono\":1,\"clock\":\"synced\",\"alert_id\":\"alert-from-b\",\"event_id\":\"ev-b\",\"box\":\"box-other\",\"district\":\"110105\",\"establishment\":{\"licence\":\"$LICENCE\",\"name\":\"$NAME\"},\"type\":\"no_mask\",\"severity\":\"warning\",\"start\":\"$now\"}"
done
ok "an alert archived by another collector reaches this page's stream" wait_until 10 grep -q 'alert-from-b' "$T/sse.log"
sleep 1
is "... once" "$(grep -c 'alert-from-b' "$T/sse.log")" 1
ok "the establishment page lists the alert" bash -c "
	$CDP $CDP_PORT eval \"location.hash = '#/establishment/$LICENCE'\" >/dev/null &&
	$CDP $CDP_PORT wait 10 \"document.querySelector('#est-name').textContent.includes('$NAME') &&
		document.querySelectorAll('#est-alerts li').length > 0\""
$CDP "$CDP_PORT" eval "location.hash = '#/'" >/dev/null
$CDP "$CDP_PORT" wait 10 "document.querySelectorAll('#alerts-list li').length > 0" >/dev/null
mkdir -p "$ARTIFACTS"
ok "a screenshot is kept ($ARTIFACTS/web.png)" bash -c "
	$CDP $CDP_PORT screenshot '$ARTIFACTS/web.png' && [ \"\$(head -c 4 '$ARTIFACTS/web.png' | tail -c 3)\" = PNG ]"
echo 4000 >"$T/probe"

bk_stop "$BOX"
# SIGTERM with a live stream open (curl's) and idle keep-alive connections
pid=$(bk_pid collector)
kill -TERM "$pid"
wait "$pid"
is "the collector stops cleanly with a live-alert client connected" "$?" 0
unset "BK_PIDS[collector]"
bk_stop chromium
bk_stop sse
bk_done
