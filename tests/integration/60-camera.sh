#!/bin/bash
# Cameras end to end: a box records two fake RTSP cameras (tests/tools,
# gst-rtsp-server on 127.0.0.1), one H.264 and one H.265, in 2 s segments.
# Segments appear on disk and in the box's segment index with contiguous
# wall-clock times; gst-discoverer-1.0 reads each as ~2 s of the camera's
# own codec (passed through: the box's CPU stays low). The H.264 camera is
# stopped for 12 s: camera_offline opens at the collector, closes when the
# camera is back, recording resumes by itself and the hole shows in the
# index. Status messages carry the cameras and conform to schemas/.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-camera
BOX=box-cam

ok "fake-camera is built" test -x "$FAKE"
ok "gst-discoverer-1.0 is installed" command -v gst-discoverer-1.0
[ -x "$FAKE" ] || { bk_done; exit 1; }

# cam_start NAME PORT CODEC: a fake camera, ready when it says so.
cam_start() {
	# (its leaks under make asan are fontconfig's and pango's, not ours)
	bk_bg "$1" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$FAKE" --port "$2" --codec "$3" --width 640 --height 360 --fps 15 --bitrate 500
	wait_until 10 grep -q "listening on rtsp://127.0.0.1:$2/stream" "$T/$1.log"
}
STORE=$T/$BOX/outbox.db
segs() { # CAMERA [SQL-CONDITION]: segments indexed
	bk_sql "$STORE" "SELECT count(*) FROM segments WHERE camera = '$1' AND ${2:-1}" 2>/dev/null || echo 0
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

bk_pki_setup "$BOX" svc-collector svc-capture || exit 1
bk_broker_start --service svc-capture || exit 1
bk_sub_bg capture svc-capture -q 1 -v -F '%t\t%p' -t 'bk/v1/#' # for the schema check
ok "collector starts" bk_collector_start
DB=$T/collector.db
P264=$(free_port)
P265=$(free_port)
ok "the H.264 camera listens" cam_start cam264 "$P264" h264
ok "the H.265 camera listens" cam_start cam265 "$P265" h265

CAMERAS=$(printf '[camera kitchen-1]\nsource = rtsp://127.0.0.1:%s/stream\nzone = 热菜间\ngb28181_id = 34010000001320000001\nsegment = 2s\nno_frames_timeout = 3s\n\n[camera kitchen-2]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\nno_frames_timeout = 3s\n' "$P264" "$P265")
bk_edge_conf "$BOX" "$CAMERAS" >/dev/null
ok "the box's configuration is valid" "$BK_BIN/bk-edge" -t -c "$T/$BOX.conf"
printf '[camera x]\nsource = rtsp://h/s\ngb28181_id = 1234\n' >>"$T/$BOX.conf"
sed 's/^source = rtsp:\/\/h\/s$/source = http:\/\/h\/s/' "$T/$BOX.conf" >"$T/bad.conf"
out=$("$BK_BIN/bk-edge" -t -c "$T/bad.conf" 2>&1)
ok "bk-edge -t refuses a source that is not rtsp, v4l2 or test" \
	grep -q "\[camera x\] source: 'http://h/s' is not" <<<"$out"
ok "... and a GB/T 28181 id that is not 20 digits" grep -q "\[camera x\] gb28181_id:" <<<"$out"
bk_edge_conf "$BOX" "$CAMERAS" >/dev/null
bk_bg "$BOX" "$BK_BIN/bk-edge" -c "$T/$BOX.conf"

ok "segments of the H.264 camera are indexed" wait_until 25 bk_at_least 4 segs kitchen-1
ok "... and of the H.265 camera" wait_until 10 bk_at_least 3 segs kitchen-2
ok "the box says both cameras are recording" \
	wait_until 10 bash -c "[ \$(grep -c \"camera 'kitchen-.' recording\" '$T/$BOX.log') -ge 2 ]"

# CPU of the whole box while recording both streams, from /proc (ticks)
pid=$(bk_pid "$BOX")
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$pid")
sleep 6
t1=$(cpu_ticks "$pid")
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN{printf "%.1f", (b - a) * 100 / hz / 6}')
echo "# bk-edge CPU recording two 640x360 streams (+2 sensors): $cpu % of a core"
ok "passing through keeps the box's CPU low ($cpu % < 15 %)" \
	awk -v c="$cpu" 'BEGIN{exit !(c < 15)}'

rows=$(bk_sql "$STORE" "SELECT start_ms, end_ms, bytes, path FROM segments WHERE camera = 'kitchen-1' ORDER BY start_ms")
echo "$rows" | sed 's/^/# kitchen-1: /'
ok "every indexed file exists with its size" bash -c "
	while IFS='|' read -r s e b p; do [ \"\$(stat -c %s \"\$p\")\" = \"\$b\" ] || exit 1; done <<<'$rows'"
ok "files live under state_dir/video/<camera>/" bash -c "
	[ \$(ls '$T/$BOX/video/kitchen-1/'*.ts | wc -l) -ge 4 ]"
# segments after the first are 2 s (cut at the first key frame after 2 s:
# the camera sends one a second), and each starts where the previous ended
durations=$(bk_sql "$STORE" "SELECT group_concat(end_ms - start_ms, ',') FROM (SELECT * FROM segments WHERE camera = 'kitchen-1' ORDER BY start_ms LIMIT -1 OFFSET 1)")
ok "segment lengths are about 2 s ($durations ms)" \
	"$BK_PY" -c "import sys; d=[int(x) for x in '$durations'.split(',')]; sys.exit(0 if all(1800 <= x <= 3200 for x in d) else 1)"
gaps=$(bk_sql "$STORE" "SELECT group_concat(g, ',') FROM (SELECT start_ms - lag(end_ms) OVER (ORDER BY start_ms) AS g FROM segments WHERE camera = 'kitchen-1') WHERE g IS NOT NULL")
ok "consecutive segments are contiguous (gaps $gaps ms)" \
	"$BK_PY" -c "import sys; sys.exit(0 if all(abs(int(x)) <= 100 for x in '$gaps'.split(',')) else 1)"

# discover WANT-MS CODEC FILE: gst-discoverer-1.0 reads FILE as CODEC, and
# its frames span WANT-MS within 0.3 s. (The span is measured from the
# frames' timestamps: on MPEG-TS segments after the first, discoverer's own
# duration is 0, tsdemux cannot estimate it.)
discover() {
	local want_ms=$1 codec=$2 file=$3 out dur
	out=$(gst-discoverer-1.0 "$file" 2>&1) || return 1
	grep -q "video #.*: $codec" <<<"$out" || { echo "$out"; return 1; }
	dur=$(gst-launch-1.0 -v filesrc location="$file" ! tsdemux ! parsebin ! fakesink silent=false 2>&1 |
		sed -n 's/.*last-message = chain.* pts: \([0-9:.]*\),.*/\1/p' |
		awk -F: '{t = $1 * 3600 + $2 * 60 + $3; if (n == 0 || t < mn) mn = t; if (t > mx) mx = t; n++}
			END {printf "%d", (n > 1 ? (mx - mn) * n / (n - 1) * 1000 : 0)}')
	echo "$file: $codec, frames span $dur ms (indexed $want_ms ms)"
	[ $((dur - want_ms)) -le 300 ] && [ $((want_ms - dur)) -le 300 ]
}
n=0
bad=0
while IFS='|' read -r s e b p; do
	n=$((n + 1))
	[ "$n" -eq 1 ] && continue # the first starts with the stream: whatever came first
	discover $((e - s)) "H.264" "$p" | sed 's/^/# /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || bad=$((bad + 1))
done <<<"$rows"
is "every H.264 segment reads as H.264 of its indexed length" "$bad" 0
p265=$(bk_sql "$STORE" "SELECT path FROM segments WHERE camera = 'kitchen-2' ORDER BY start_ms LIMIT 1 OFFSET 1")
s265=$(bk_sql "$STORE" "SELECT end_ms - start_ms FROM segments WHERE path = '$p265'")
discover "$s265" "H.265" "$p265" | sed 's/^/# /'
is "the H.265 camera is passed through: its segments read as H.265 of their length" "${PIPESTATUS[0]}" 0
ok "nothing was re-encoded: no encoder in the box" \
	bash -c "! grep -q 'x26[45]enc' /proc/$pid/maps"

# the H.264 camera goes away for 12 s
before=$(segs kitchen-1)
bk_stop cam264 TERM
stopped_ms=$(date +%s%3N)
offline() { bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND source = 'kitchen-1' AND type = 'camera_offline' AND state = '$1'"; }
ok "camera_offline opens at the collector" wait_until 10 bk_at_least 1 offline open
zone=$(bk_sql "$DB" "SELECT zone FROM event_state WHERE box = '$BOX' AND source = 'kitchen-1'")
is "in the camera's zone" "$zone" 热菜间
sleep $((12 - (($(date +%s%3N) - stopped_ms) / 1000)))
ok "the H.264 camera is back" cam_start cam264 "$P264" h264
back_ms=$(date +%s%3N)
ok "camera_offline closes when it records again" wait_until 40 bk_at_least 1 offline closed
ok "recording resumes by itself: new segments after the restart" \
	wait_until 15 bk_at_least 2 segs kitchen-1 "start_ms >= $back_ms"
hole=$(bk_sql "$STORE" "SELECT max(g) FROM (SELECT start_ms - lag(end_ms) OVER (ORDER BY start_ms) AS g FROM segments WHERE camera = 'kitchen-1')")
ok "the hole shows in the index ($hole ms without video)" \
	awk -v h="$hole" 'BEGIN{exit !(h >= 10000 && h <= 45000)}'
ok "the H.265 camera kept recording meanwhile" bk_at_least 8 segs kitchen-2
dur=$(bk_sql "$DB" "SELECT duration_s FROM event_state WHERE box = '$BOX' AND source = 'kitchen-1' AND type = 'camera_offline'")
ok "the event lasts about the hole ($dur s)" \
	awk -v d="$dur" -v h="$hole" 'BEGIN{exit !(d * 1000 >= h - 3000 && d * 1000 <= h + 3000)}'
echo "# segments before the stop: $before, now: $(segs kitchen-1)"

bk_stop "$BOX" TERM
ok "a stopped box indexes the segment it was writing" bash -c "
	[ \$(ls '$T/$BOX/video/kitchen-1/'*.ts | wc -l) -eq \$(sqlite3 '$STORE' \"SELECT count(*) FROM segments WHERE camera = 'kitchen-1'\") ]"
bk_stop capture TERM
ok "status messages list the cameras" grep -q '"cameras":\[{"id":"kitchen-1","state":"recording"}' "$T/capture.log"
check=$(/usr/bin/python3 "$BK_ROOT/tests/schema/check.py" captured "$T/capture.log" 2>&1)
rc=$?
sed 's/^/# /' <<<"$check"
is "every message on the wire conforms to schemas/ (independent validator)" "$rc" 0
bk_done
