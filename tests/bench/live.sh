# tests/bench/live.sh — the live section of `make bench` (bash, sourced by
# tests/bench/run.sh: T, RAW, RUNS, BUILD, BK_ROOT, BK_BIN, BK_PY, PY, note,
# quiet_wait, left, alive, bench_stop, minus). Measures, asserts nothing.
#
# One set-up for the section, as tests/integration/66-live.sh does it: a TLS
# broker, bk-collector with its HTTPS API and [live], one bk-edge box with one
# [camera] (bk-edge also records it, as a box does) and [live] max_kbps 8000,
# and the fake camera tests/tools/fake-camera at 1280x720, 25 fps, 2000
# kbit/s H.264, a key frame a second, --stamp: each frame carries its capture
# wall clock (ms since 1970) as 48 black/white 16x16 blocks in its top-left
# 384x32 pixels. Then, RUNS times each:
#
#   1. glass to page: headless Chromium opens the regulators' page (the
#      token cookie), the establishment, and clicks the camera's Watch
#      button, as a regulator does. Once the video has played LIVE_SETTLE s,
#      every 100 ms for LIVE_SECONDS: draw the <video> into a canvas, read
#      the blocks' centre pixels (luma from RGB, BT.709 weights, over 128 =
#      1: the stamp writes luma only, the colour bars' chroma stays under
#      it), decode the ms, latency = Date.now() − stamp (both this machine's
#      wall clock). Samples with a block too close to the threshold (|luma −
#      128| < 24), a stamp more than 10 s away from now or older than the
#      previous one are discarded and counted. Each sample also records how
#      far the page's buffer reaches past the frame shown (buffered end −
#      currentTime): video that has arrived and waits in the page. Its
#      lowest value is the page's own slack (how much closer to the box it
#      could play without stalling); the rest of it comes from the box's
#      500 ms fragments (a frame leaves the box when its fragment closes).
#      Stop ends the viewing, and the box's stream with it (the next run
#      starts afresh).
#   2. collector CPU per viewer: curl -N viewers of GET /api/live/BOX/CAMERA
#      (HTTPS, token, output to /dev/null): none (no stream: the box's status
#      and simulated sensors only), 1, then 5, then 10 at once, in that order
#      in each run. For each count, LIVE_SETTLE s after the last
#      viewer's bytes flow, the CPU time of the collector, the broker and the
#      box over LIVE_WINDOW s, and the bytes each
#      viewer received meanwhile (the body bytes curl writes to /dev/null:
#      wchar in /proc/PID/io).
#      The collector's CPU time: its threads' schedstat (ns; bench.py oncpu),
#      since it uses a few ms a second and utime + stime count 10 ms ticks
#      (recorded too, ticks_collector); its threads stay the same (checked).
#      The broker's and the box's: utime + stime, which keeps the time of
#      threads that ended (GStreamer's come and go). A stream runs only while someone
#      watches, so 1 viewer is the base:
#      the increment per viewer is (CPU with 10 − CPU with 1) / 9.
#   3. transcode: build/bench/bench_live (the box's edge/live.c in-process)
#      streams fake-camera's H.264 passed through, then its H.265 transcoded
#      to H.264 at 640 px wide, 1280x720 15 fps 2000 kbit/s (bench_live's
#      camera), LIVE_TRANSCODE_SECONDS each: CPU s per s of video.
#
# Raw lines: livecfg (once), livelat (one per run), livecpu (one per run and
# viewer count), livetranscode (one per run).
# Environment: BK_BENCH_LIVE_SECONDS (latency sampling per run, 10),
# BK_BENCH_LIVE_WINDOW (CPU window per viewer count, 6), BK_BENCH_LIVE_SETTLE
# (2), BK_BENCH_LIVE_TRANSCODE_SECONDS (5). About 3 minutes with 3 runs.

LIVE_SECONDS=${BK_BENCH_LIVE_SECONDS:-10}
LIVE_WINDOW=${BK_BENCH_LIVE_WINDOW:-6}
LIVE_SETTLE=${BK_BENCH_LIVE_SETTLE:-2}
LIVE_TRANSCODE_SECONDS=${BK_BENCH_LIVE_TRANSCODE_SECONDS:-5}
LIVE_VIEWERS="0 1 5 10"
LIVE_WIDTH=1280
LIVE_HEIGHT=720
LIVE_FPS=25
LIVE_KBPS=2000
LIVE_BOX=box-bench-live
LIVE_LICENCE=JY11101050000099
LIVE_TOKEN=tok-bench-live-0123456789abcdef
LIVE_FAKE="$BK_ROOT/$BUILD/tests/tools/fake-camera"
BENCH_LIVE="$BK_ROOT/$BUILD/bench/bench_live"
LIVE_CDP="$BK_PY $BK_ROOT/tests/tools/cdp.py"
LIVE_CDP_PORT=
LIVE_ENDS=0 # "live view … ends" lines in the box's log so far

live_cams_seen() {
	bk_sql "$BK_DB" "SELECT cameras FROM boxes WHERE id = '$LIVE_BOX'" 2>/dev/null |
		grep -q '"id":"hall","state":"recording"'
}

# live_setup: broker, collector (HTTPS), camera, box; the box's camera known
# to the archive (the page shows its tile only then).
live_setup() {
	rm -rf "$T/broker" "$T"/collector.* "${T:?}/$LIVE_BOX"*
	bk_pki_setup "$LIVE_BOX" svc-collector || { note "live: cannot make the certificates"; return 1; }
	# shellcheck disable=SC2034 # read by bk_broker_start, which keeps the last port
	BK_PORT=
	bk_broker_start || { note "live: the broker did not start"; return 1; }
	cat >"$T/live-est.csv" <<CSV
licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires
$LIVE_LICENCE,基准食堂,school_canteen,110105,朝阳区建国路99号,320,900,,2028-12-31
CSV
	printf 'box,licence,provisioned\n%s,%s,2026-01-05\n' "$LIVE_BOX" "$LIVE_LICENCE" >"$T/live-boxes.csv"
	if ! "$BK_BIN/bkctl" --db "$T/collector.db" registry import establishments "$T/live-est.csv" >/dev/null ||
		! "$BK_BIN/bkctl" --db "$T/collector.db" registry import boxes "$T/live-boxes.csv" >/dev/null; then
		note "live: cannot import the registry"
		return 1
	fi
	bk_https_collector reg-bench "$LIVE_TOKEN" "$(printf '[live]\nmax_viewers = 32\nmax_length = 600s')" ||
		{ note "live: the collector did not start with HTTPS"; return 1; }
	LIVE_URL=$URL
	LIVE_CAM_PORT=$(free_port)
	bk_bg live-cam "$LIVE_FAKE" --port "$LIVE_CAM_PORT" --codec h264 --width "$LIVE_WIDTH" \
		--height "$LIVE_HEIGHT" --fps "$LIVE_FPS" --bitrate "$LIVE_KBPS" --stamp
	wait_until 10 grep -q "listening on rtsp://127.0.0.1:$LIVE_CAM_PORT/stream" "$T/live-cam.log" ||
		{ note "live: the fake camera did not start: $(tail -1 "$T/live-cam.log")"; return 1; }
	bk_edge_start "$LIVE_BOX" "$(printf '[camera hall]\nsource = rtsp://127.0.0.1:%s/stream\nno_frames_timeout = 5s\n\n[live]\nmax_streams = 1\nmax_kbps = 8000\n' "$LIVE_CAM_PORT")" ||
		{ note "live: bk-edge refuses the configuration"; return 1; }
	wait_until 30 live_cams_seen || { note "live: the box's camera never showed as recording"; return 1; }
	echo "livecfg width=$LIVE_WIDTH height=$LIVE_HEIGHT fps=$LIVE_FPS kbps=$LIVE_KBPS" \
		"lat_seconds=$LIVE_SECONDS settle_s=$LIVE_SETTLE window_s=$LIVE_WINDOW" \
		"transcode_seconds=$LIVE_TRANSCODE_SECONDS" >>"$RAW"
}

# live_stream_ended: the box has ended one more live view than before.
live_stream_ended() {
	[ "$(grep -c "live view of camera 'hall' ends" "$T/$LIVE_BOX.log")" -gt "$LIVE_ENDS" ]
}
live_wait_ended() {
	wait_until 15 live_stream_ended || note "live: the box's stream did not end within 15 s of the last viewer leaving"
	LIVE_ENDS=$(grep -c "live view of camera 'hall' ends" "$T/$LIVE_BOX.log")
}

live_teardown() {
	local name
	for name in "${!BK_PIDS[@]}"; do
		case $name in live-v*) bench_stop "$name" ;; esac
	done
	bench_stop live-chromium
	bench_stop "$LIVE_BOX"
	bench_stop live-cam
	bench_stop collector
	bench_stop broker
}

# --- 1. glass to page ----------------------------------------------------------

live_chromium() {
	LIVE_CDP_PORT=$(free_port)
	bk_bg live-chromium chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--remote-debugging-port="$LIVE_CDP_PORT" --remote-allow-origins='*' --user-data-dir="$T/chrome" \
		--ignore-certificate-errors --disable-background-networking --disable-component-update \
		--disable-sync --disable-default-apps --no-first-run --no-default-browser-check \
		--autoplay-policy=no-user-gesture-required --window-size=1280,1000 about:blank
	wait_until 30 "$BK_PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$LIVE_CDP_PORT/json/list', timeout=2)"
}

# The sampler, started in the page: every 100 ms, the stamp read from the
# picture shown, into window.bkLat; LIVE_COLLECT stops it and resolves to
# {samples: [[now, stamp, margin, ahead, currentTime]], seeks, waits,
# dropped, frames}. In the page, not in one long eval: cdp.py waits 30 s at
# most for an answer.
LIVE_SAMPLER='(() => {
	const v = document.querySelector(".live-tile[data-camera=hall] video");
	const c = document.createElement("canvas");
	c.width = 384; c.height = 32;
	const g = c.getContext("2d", { willReadFrequently: true });
	const s = window.bkLat = { samples: [], seeks: 0, waits: 0, q0: v.getVideoPlaybackQuality(), v };
	v.addEventListener("seeking", () => s.seeks++);
	v.addEventListener("waiting", () => s.waits++);
	s.timer = setInterval(() => {
		g.drawImage(v, 0, 0, 384, 32, 0, 0, 384, 32);
		const now = Date.now();
		const d = g.getImageData(0, 0, 384, 32).data;
		let ms = 0, margin = 255;
		for (let bit = 0; bit < 48; bit++) {
			const x = (bit % 24) * 16 + 8, y = Math.floor(bit / 24) * 16 + 8, i = (y * 384 + x) * 4;
			const lum = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
			margin = Math.min(margin, Math.abs(lum - 128));
			ms = ms * 2 + (lum > 128 ? 1 : 0);
		}
		const b = v.buffered;
		const ahead = b.length ? b.end(b.length - 1) - v.currentTime : -1;
		s.samples.push([now, ms, Math.round(margin), Math.round(ahead * 1000), Math.round(v.currentTime * 1000)]);
	}, 100);
	return true;
})()'
LIVE_COLLECT='(() => {
	const s = window.bkLat;
	clearInterval(s.timer);
	const q1 = s.v.getVideoPlaybackQuality();
	return { samples: s.samples, seeks: s.seeks, waits: s.waits,
		dropped: q1.droppedVideoFrames - s.q0.droppedVideoFrames,
		frames: q1.totalVideoFrames - s.q0.totalVideoFrames };
})()'

# live_latency_run RUN: one page, one Watch, one livelat line.
live_latency_run() {
	local run=$1 t0 started line
	quiet_wait "live latency run $run"
	$LIVE_CDP "$LIVE_CDP_PORT" navigate "$LIVE_URL/" >/dev/null || { note "live run $run: the page does not load"; return 1; }
	$LIVE_CDP "$LIVE_CDP_PORT" eval "document.cookie = 'bk_token=$LIVE_TOKEN; path=/; Secure; SameSite=Strict'; location.hash = '#/establishment/$LIVE_LICENCE'; location.reload()" >/dev/null
	$LIVE_CDP "$LIVE_CDP_PORT" wait 15 "(() => { const b = document.querySelector('.live-tile[data-camera=hall] button'); return b && !b.disabled; })()" >/dev/null ||
		{ note "live run $run: the page shows no camera to watch"; return 1; }
	t0=$(date +%s.%N)
	$LIVE_CDP "$LIVE_CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] button').click()" >/dev/null
	$LIVE_CDP "$LIVE_CDP_PORT" wait 20 "document.querySelector('.live-tile[data-camera=hall] video').currentTime > 0" >/dev/null || {
		note "live run $run: the video does not play: $($LIVE_CDP "$LIVE_CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] .lstate').textContent")"
		return 1
	}
	started=$(minus "$(date +%s.%N)" "$t0")
	sleep "$LIVE_SETTLE"
	$LIVE_CDP "$LIVE_CDP_PORT" eval "$LIVE_SAMPLER" >/dev/null || { note "live run $run: the sampler failed"; return 1; }
	sleep "$LIVE_SECONDS"
	$LIVE_CDP "$LIVE_CDP_PORT" eval "$LIVE_COLLECT" >"$T/livelat-$run.json" ||
		{ note "live run $run: the sampler failed"; return 1; }
	$LIVE_CDP "$LIVE_CDP_PORT" eval "document.querySelector('.live-tile[data-camera=hall] button').click()" >/dev/null
	line=$($PY livelat "$T/livelat-$run.json") || { note "live run $run: cannot read the samples"; return 1; }
	echo "livelat run=$run start_s=$started $line" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	live_wait_ended
}

# --- 2. collector CPU per viewer -----------------------------------------------

# live_bytes PID...: bytes the viewers have received (curl writes each body byte
# to /dev/null: wchar in /proc/PID/io), summed, and the least of one.
live_bytes() {
	local pid sum=0 least='' n
	for pid; do
		n=$(sed -n 's/^wchar: //p' "/proc/$pid/io" 2>/dev/null)
		n=${n:-0}
		sum=$((sum + n))
		if [ -z "$least" ] || [ "$n" -lt "$least" ]; then least=$n; fi
	done
	echo "$sum ${least:-0}"
}

# live_flowing PID...: every viewer has read more than 100 kB.
live_flowing() {
	local pid n
	for pid; do
		n=$(sed -n 's/^wchar: //p' "/proc/$pid/io" 2>/dev/null)
		[ "${n:-0}" -gt 100000 ] || return 1
	done
}

minus6() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }

live_cpu_run() {
	local run=$1 n k have=0 pids=() c0 c1 n0 n1 b0 b1 e0 e1 f0 f1 s0 s1 w0 w1 r0 r1 least0 least1
	quiet_wait "live CPU run $run"
	for n in $LIVE_VIEWERS; do
		for ((k = have + 1; k <= n; k++)); do
			bk_bg "live-v$k" curl -sS -N --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $LIVE_TOKEN" \
				-o /dev/null --max-time 300 "$LIVE_URL/api/live/$LIVE_BOX/hall"
			pids+=("$(bk_pid "live-v$k")")
		done
		have=$n
		wait_until 20 live_flowing "${pids[@]}" || { note "live CPU run $run: not all $n viewers receive"; break; }
		sleep "$LIVE_SETTLE"
		s0=$($PY cpustat | tr ' ' ,)
		read -r n0 f0 c0 _ _ b0 _ _ e0 <<<"$($PY oncpu "$(bk_pid collector)" "$(bk_pid broker)" "$(bk_pid "$LIVE_BOX")")"
		read -r r0 least0 <<<"$(live_bytes "${pids[@]}")"
		w0=$(date +%s.%N)
		sleep "$LIVE_WINDOW"
		w1=$(date +%s.%N)
		read -r r1 least1 <<<"$(live_bytes "${pids[@]}")"
		read -r n1 f1 c1 _ _ b1 _ _ e1 <<<"$($PY oncpu "$(bk_pid collector)" "$(bk_pid broker)" "$(bk_pid "$LIVE_BOX")")"
		s1=$($PY cpustat | tr ' ' ,)
		[ "$f0" = "$f1" ] || note "live CPU run $run, $n viewers: a collector thread began or ended in the window (its time may be missing)"
		echo "livecpu run=$run viewers=$n wall_s=$(minus "$w1" "$w0") oncpu_collector=$(minus6 "$n1" "$n0")" \
			"ticks_collector=$(minus "$c1" "$c0") cpu_broker=$(minus "$b1" "$b0") cpu_box=$(minus "$e1" "$e0")" \
			"collector_threads=${f1%%-*} bytes=$((r1 - r0)) least_bytes=$((least1 - least0)) cpu0=$s0 cpu1=$s1 cores=$(nproc)" >>"$RAW"
		echo "# $(tail -1 "$RAW")" >&2
	done
	for ((k = 1; k <= have; k++)); do bench_stop "live-v$k"; done
	live_wait_ended
}

# --- 3. transcode on the box ---------------------------------------------------

live_transcode_run() {
	local run=$1 out pass trans ratio
	quiet_wait "live transcode run $run"
	out=$("$BENCH_LIVE" "$LIVE_FAKE" "$LIVE_TRANSCODE_SECONDS" "${LIVE_WIDTH}x$LIVE_HEIGHT" 640 2>"$T/bench_live.err") ||
		{ note "live transcode run $run failed: $(tail -1 "$T/bench_live.err")"; return 1; }
	pass=$(grep '^mode=passthrough' <<<"$out" | sed 's/mode=passthrough //; s/\([a-z_]*\)=/pass_\1=/g')
	trans=$(grep '^mode=transcode' <<<"$out" | sed 's/mode=transcode //; s/\([a-z_]*\)=/trans_\1=/g')
	ratio=$(grep '^ratio=' <<<"$out")
	echo "livetranscode run=$run $(grep '^camera=' <<<"$out") $pass $trans $ratio" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
}

bench_live() {
	local run
	[ "$(left)" -lt 120 ] && { note "live: skipped, the time budget is spent"; return 0; }
	if live_setup; then
		if command -v chromium >/dev/null && live_chromium; then
			for run in $(seq 1 "$RUNS"); do
				[ "$(left)" -lt $((LIVE_SECONDS + 40)) ] && { note "live latency run $run: skipped, time budget spent"; continue; }
				live_latency_run "$run" || {
					# leaving the page ends a viewing it may have begun
					$LIVE_CDP "$LIVE_CDP_PORT" navigate about:blank >/dev/null 2>&1
					live_wait_ended
				}
			done
			bench_stop live-chromium
		else
			note "live: no headless Chromium (chromium): no glass-to-page latency"
		fi
		for run in $(seq 1 "$RUNS"); do
			[ "$(left)" -lt $((4 * LIVE_WINDOW + 40)) ] && { note "live CPU run $run: skipped, time budget spent"; continue; }
			live_cpu_run "$run"
		done
	fi
	live_teardown
	for run in $(seq 1 "$RUNS"); do
		[ "$(left)" -lt $((4 * LIVE_TRANSCODE_SECONDS + 30)) ] && { note "live transcode run $run: skipped, time budget spent"; continue; }
		live_transcode_run "$run"
	done
}
