#!/bin/bash
# Live view end to end: fake RTSP cameras on loopback (one H.264, one H.265,
# one that nothing answers for), a box with [live] max_streams = 1, a
# collector with its HTTPS API. Two viewers of the H.264 camera share the
# box's one stream, and what each receives is fragmented MP4 that
# gst-discoverer-1.0 reads; a third asking for another camera is refused
# with the box's reason; a camera the box cannot reach is refused at once;
# the stream stops when the last viewer leaves; the H.265 camera arrives
# transcoded to H.264 at [live] transcode_width; bkctl live writes a
# playable file; every viewing is in the audit trail (bkctl live views,
# /api/live/views); and the page plays the stream in headless Chromium
# (the video element's currentTime advances). The hall camera is also stored
# centrally: the overview's storage card lists it and the page plays a range.
# With BK_ARCHIVE=pg, the audit trail is in a PostgreSQL archive and a second
# collector (no [http]) shares the ingest.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-camera
BOX=box-live
LICENCE=JY11101050000066
TOKEN=tok-live-0123456789abcdef
CDP="$BK_PY $BK_ROOT/tests/tools/cdp.py"

ok "fake-camera is built" test -x "$FAKE"
[ -x "$FAKE" ] || { bk_done; exit 1; }
cam_start() { # NAME PORT CODEC
	bk_bg "$1" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$FAKE" --port "$2" --codec "$3" \
		--width 640 --height 360 --fps 15 --bitrate 600
	wait_until 10 grep -q "listening on rtsp://127.0.0.1:$2/stream" "$T/$1.log"
}

bk_pki_setup "$BOX" svc-collector svc-bkctl || exit 1
bk_broker_start --service svc-bkctl || exit 1
bk_archive || exit 1
DB=$BK_DB
cat >"$T/est.csv" <<CSV
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
$LICENCE,明亮小学食堂,school_canteen,110105,朝阳区建国路66号,320,900,,2028-12-31
CSV
printf 'box,licence,provisioned\n%s,%s,2026-01-05\n' "$BOX" "$LICENCE" >"$T/boxes.csv"
ok "the registry imports" bash -c "
	'$BK_BIN/bkctl' --db '$DB' registry import establishments '$T/est.csv' &&
	'$BK_BIN/bkctl' --db '$DB' registry import boxes '$T/boxes.csv'"
ok "collector starts with HTTPS and [live]" bk_https_collector reg-lily "$TOKEN" \
	"$(printf '[live]\nmax_viewers = 8\nmax_length = 60s')"
CURL=(curl -sS --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN")

P264=$(free_port)
P265=$(free_port)
PDEAD=$(free_port)
ok "the H.264 camera listens" cam_start cam264 "$P264" h264
ok "the H.265 camera listens" cam_start cam265 "$P265" h265
CAMERAS=$(printf '[camera hall]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\nno_frames_timeout = 3s\ncentral_storage = true\n\n[camera wok]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\nno_frames_timeout = 3s\n\n[camera dark]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\nno_frames_timeout = 3s\n\n[live]\nmax_streams = 1\nmax_kbps = 8000\ntranscode_width = 320\n' "$P264" "$P265" "$PDEAD")
ok "the box starts" bk_edge_start "$BOX" "$CAMERAS"
cams_seen() { # the archive knows the box's camera states from its status
	[ "$(bk_sql "$DB" "SELECT cameras FROM boxes WHERE id = '$BOX'")" != "" ] &&
		bk_sql "$DB" "SELECT cameras FROM boxes WHERE id = '$BOX'" | grep -q '"id":"hall","state":"recording"' &&
		bk_sql "$DB" "SELECT cameras FROM boxes WHERE id = '$BOX'" | grep -q '"id":"wok","state":"recording"'
}
ok "its status reaches the archive, hall and wok recording" wait_until 30 cams_seen

# --- two viewers share the box's one stream ----------------------------
watch() { # NAME CAMERA SECONDS: a viewer with curl, output in $T/NAME.mp4, headers in $T/NAME.head
	bk_bg "$1" "${CURL[@]}" -N --max-time "$3" -D "$T/$1.head" -o "$T/$1.mp4" "$URL/api/live/$BOX/$2"
}
watch v1 hall 8
sleep 1
watch v2 hall 7
ok "viewer 1 gets video/mp4 with the codec" wait_until 10 grep -qi '^x-bk-codec: avc1\.' "$T/v1.head"
ok "viewer 2 too" wait_until 10 grep -qi '^content-type: video/mp4' "$T/v2.head"
sleep 2
refused=$("${CURL[@]}" -o "$T/refused.json" -w '%{http_code}' --max-time 15 "$URL/api/live/$BOX/wok")
is "a second camera beyond the box's max_streams = 1 is refused" "$refused" 503
ok "... with the box's reason" grep -q "streams 1 camera live already" "$T/refused.json"
sed 's/^/# /' "$T/refused.json"
echo
start=$SECONDS
dark=$("${CURL[@]}" -o "$T/dark.json" -w '%{http_code}' --max-time 15 "$URL/api/live/$BOX/dark")
is "a camera the box cannot reach is refused" "$dark" 409
ok "... at once (no spinner), saying it is offline" bash -c "[ $((SECONDS - start)) -le 2 ] && grep -q offline '$T/dark.json'"
sed 's/^/# /' "$T/dark.json"
echo
wait "$(bk_pid v1)" 2>/dev/null
wait "$(bk_pid v2)" 2>/dev/null
is "the box served one stream for both" "$(grep -c "live view of camera 'hall' starts" "$T/$BOX.log")" 1
discover() { # FILE CODEC [WIDTH]
	local out
	out=$(gst-discoverer-1.0 "$1" 2>&1) || { echo "$out" | head -5; return 1; }
	grep -qi "video #.*: $2" <<<"$out" || { echo "$out" | head -12; return 1; }
	[ -z "${3:-}" ] || grep -q "Width: $3" <<<"$out" || { echo "$out" | head -20; return 1; }
}
for v in v1 v2; do
	ok "$v: $(stat -c %s "$T/$v.mp4") bytes of fragmented MP4 that gst-discoverer reads as H.264" \
		discover "$T/$v.mp4" "H.264"
	ok "$v: it begins with the init segment (ftyp)" test "$(head -c 8 "$T/$v.mp4" | tail -c 4)" = ftyp
done
ok "the stream stops after the last viewer leaves" wait_until 10 grep -q "live view of camera 'hall' ends" "$T/$BOX.log"

# --- H.265 arrives as H.264, transcoded on the box ---------------------
watch v3 wok 6
wait "$(bk_pid v3)" 2>/dev/null
ok "the H.265 camera plays as H.264 at 320 px ($(stat -c %s "$T/v3.mp4") bytes)" discover "$T/v3.mp4" "H.264" 320
ok "... the box said it transcodes" grep -q "camera 'wok': H.265 transcoded" "$T/$BOX.log"
ok "... and stopped when the viewer left" wait_until 10 grep -q "live view of camera 'wok' ends" "$T/$BOX.log"

# --- bkctl live ---------------------------------------------------------
printf '[bkctl]\nid = svc-bkctl\n%s\n' "$(bk_mqtt_group svc-bkctl 10s 2s)" >"$T/bkctl.conf"
ok "bkctl live writes 4 s of the camera" "$BK_BIN/bkctl" live --config "$T/bkctl.conf" --db "$DB" \
	--box "$BOX" --camera hall --seconds 4 --out "$T/bkctl.mp4"
ok "... a file gst-discoverer reads as H.264" discover "$T/bkctl.mp4" "H.264"
ok "bkctl live on the unreachable camera fails with the box's reason" bash -c "
	! '$BK_BIN/bkctl' live --config '$T/bkctl.conf' --db '$DB' --box '$BOX' --camera dark --seconds 3 2>'$T/bkctl-dark.err' &&
	grep -q offline '$T/bkctl-dark.err'"

# --- the audit trail ----------------------------------------------------
"$BK_BIN/bkctl" live views --db "$DB" --json >"$T/views.json"
ok "every viewing is logged: who, what, when, bytes, why" "$BK_PY" - "$T/views.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
for r in rows:
    print('#', r['viewer'], r['camera'], r['started'], r['seconds'], r['bytes'], r['why'])
hall = [r for r in rows if r['camera'] == 'hall' and r['viewer'] == 'reg-lily']
assert len(hall) == 2 and all(r['bytes'] > 10000 and r['ended'] for r in hall), hall
assert any(r['camera'] == 'wok' and 'max_streams' in (r['why'] or '') for r in rows)
assert any(r['camera'] == 'dark' and 'offline' in (r['why'] or '') for r in rows)
assert any(r['viewer'].startswith('svc-bkctl') and r['camera'] == 'hall' and r['bytes'] > 0 for r in rows)
PY
n=$("${CURL[@]}" "$URL/api/live/views?limit=50" | "$BK_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "GET /api/live/views shows the same rows" "$n" "$("$BK_PY" -c "import json; print(len(json.load(open('$T/views.json'))))")"

# --- the page plays it --------------------------------------------------
CDP_PORT=$(free_port)
bk_bg chromium chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--remote-debugging-port="$CDP_PORT" --remote-allow-origins='*' --user-data-dir="$T/chrome" \
	--ignore-certificate-errors --disable-background-networking --disable-component-update \
	--disable-sync --disable-default-apps --no-first-run --no-default-browser-check \
	--autoplay-policy=no-user-gesture-required --window-size=1280,1000 about:blank
ok "chromium listens for DevTools" wait_until 30 "$BK_PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$CDP_PORT/json/list', timeout=2)"
ok "the page loads" $CDP "$CDP_PORT" navigate "$URL/"
$CDP "$CDP_PORT" eval "document.cookie = 'bk_token=$TOKEN; path=/; Secure; SameSite=Strict'; location.hash = '#/establishment/$LICENCE'; location.reload()" >/dev/null
ok "the establishment shows its cameras, dark one offline and not clickable" $CDP "$CDP_PORT" wait 15 "
	(() => {
		const t = document.querySelector('.live-tile[data-camera=dark]');
		return t && t.classList.contains('offline') && t.querySelector('button').disabled &&
			document.querySelector('.live-tile[data-camera=hall] button') &&
			!document.querySelector('.live-tile[data-camera=hall] button').disabled;
	})()"
$CDP "$CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] button').click()" >/dev/null
ok "the video plays: currentTime passes 1 s" $CDP "$CDP_PORT" wait 20 \
	"document.querySelector('.live-tile[data-camera=hall] video').currentTime > 1" ||
	$CDP "$CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] .lstate').textContent"
t1=$($CDP "$CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] video').currentTime")
sleep 2
t2=$($CDP "$CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] video').currentTime")
ok "... and keeps advancing ($t1 → $t2)" "$BK_PY" -c "import sys; sys.exit(0 if $t2 - $t1 > 1.0 else 1)"
$CDP "$CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] button').click()" >/dev/null
page_viewing_ended() {
	"$BK_BIN/bkctl" live views --db "$DB" --json --limit 1 | "$BK_PY" -c '
import json, sys
r = json.load(sys.stdin)[0]
sys.exit(0 if r["viewer"] == "reg-lily" and r["camera"] == "hall" and r["ended"] and r["bytes"] > 0 else 1)'
}
ok "Stop ends the viewing, which the audit trail shows" wait_until 10 page_viewing_ended
# hall is stored centrally too: the overview's storage card, and playback
$CDP "$CDP_PORT" eval "location.hash = '#/'" >/dev/null
ok "the overview's Central storage card lists hall's segments" $CDP "$CDP_PORT" wait 15 \
	"[...document.querySelectorAll('#storage-table tbody tr')].some(tr => tr.cells[1] && tr.cells[1].textContent === 'hall' && Number(tr.cells[2].textContent) > 0)"
$CDP "$CDP_PORT" eval "location.hash = '#/establishment/$LICENCE'" >/dev/null
ok "the establishment offers playback from the centre" $CDP "$CDP_PORT" wait 15 \
	"!document.querySelector('#playback').hidden && document.querySelector('#pb-camera').textContent.includes('hall')"
$CDP "$CDP_PORT" eval "document.querySelector('#playback-form').requestSubmit()" >/dev/null
ok "... and plays a range of it (the MP4 has a duration)" $CDP "$CDP_PORT" wait 20 \
	"(() => { const v = document.querySelector('#pb-video'); return !v.hidden && v.duration > 1; })()" ||
	$CDP "$CDP_PORT" eval "document.querySelector('#pb-error').textContent"
bk_stop chromium
bk_stop "$BOX"
bk_done
