# tests/bench/video.sh — the video section of `make bench` (bash, sourced by
# tests/bench/run.sh after its helpers: T, RAW, PY, note, quiet_wait, left,
# alive, bench_stop). Measures, asserts nothing.
#
#   1. recording: two fake IP cameras (tests/tools/fake-camera, one server
#      each: it serves one mount), 1280x720, 25 fps, 2000 kbit/s H.264, a key
#      frame a second. In each run, first bare gst-launch-1.0 pipelines (one
#      per stream, the box's own elements and settings: rtspsrc over TCP,
#      latency 200, h264parse config-interval=-1, splitmuxsink/mpegtsmux cut
#      like a 10 s segment), then bk-edge with two [camera] groups (segment
#      10 s, the default). Each phase: wait until both streams write files,
#      warm up VIDEO_WARMUP s, then CPU (utime + stime, all threads) and
#      memory (VmRSS, VmHWM, Pss) of the recording processes only, from
#      /proc, over VIDEO_SECONDS. The fake cameras' CPU is measured apart and
#      not counted. bk-edge's MQTT URI points at a closed loopback port: it
#      records without a broker, retrying the connection with back-off and
#      keeping its status messages in its outbox (no broker, no TLS traffic:
#      the lighter option; recording does not depend on it).
#   2. clip: build/bench/bench_clip (clip_build, edge/clip.h) over 60 s of the
#      segments bk-edge recorded of camera 1, warm (segments in the page
#      cache, as just recorded) then cold (dropped from it first).
#   3. clip upload: a TLS broker, bk-collector and one bk-edge recording a
#      1280x720 8 Mbit/s camera in 2 s segments, its send-rate cap lifted
#      ([outbox] max_bytes_rate = 1G, max_rate = 100000) to find the
#      system's own limit; `bkctl clip request` for 20 s of it, UPLOAD_RUNS
#      times: bytes / (manifest archived → clip verified at the collector),
#      i.e. every chunk sent, checked, written, and the whole hashed.
#
# Raw lines: videocfg, video (one per run and phase), clip, cliphash, upload.
# Environment: BK_BENCH_VIDEO_RUNS (default BK_BENCH_RUNS, at most 3),
# BK_BENCH_VIDEO_SECONDS (25), BK_BENCH_VIDEO_WARMUP (5), BK_BENCH_CLIP_RUNS
# (5). About 65 s a run, 3.5 minutes in all by default on a quiet machine.

VIDEO_RUNS=${BK_BENCH_VIDEO_RUNS:-$((RUNS < 3 ? RUNS : 3))}
VIDEO_SECONDS=${BK_BENCH_VIDEO_SECONDS:-25}
VIDEO_WARMUP=${BK_BENCH_VIDEO_WARMUP:-5}
VIDEO_STREAMS=2
VIDEO_WIDTH=1280
VIDEO_HEIGHT=720
VIDEO_FPS=25
VIDEO_KBPS=2000
VIDEO_SEGMENT_MS=10000 # bk-edge's default [camera] segment
CLIP_SECONDS=60
CLIP_CHUNK=262144 # bk-edge's default [clips] chunk_size
CLIP_RUNS=${BK_BENCH_CLIP_RUNS:-5}
FAKE_CAMERA="$BK_ROOT/$BUILD/tests/tools/fake-camera"
BENCH_CLIP="$BK_ROOT/$BUILD/bench/bench_clip"
VIDEO_ID=box-bench-video
UPLOAD_ID=box-bench-upload
UPLOAD_RUNS=${BK_BENCH_UPLOAD_RUNS:-3}
UPLOAD_KBPS=8000
UPLOAD_SECONDS=20
VIDEO_PORTS=()
VIDEO_BOX_DIRS=() # state directories of the bk-edge phases, for the clip

# video_bytes DIR...: bytes of the .ts files under the DIRs.
video_bytes() {
	find "$@" -name '*.ts' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# video_writing DIR...: every DIR has a .ts file with something in it.
video_writing() {
	local d
	for d; do
		[ -n "$(find "$d" -name '*.ts' -size +0c 2>/dev/null | head -1)" ] || return 1
	done
}

video_cameras_start() {
	local i port
	for i in $(seq 1 "$VIDEO_STREAMS"); do
		port=$(free_port)
		VIDEO_PORTS[i]=$port
		bk_bg "video-cam$i" "$FAKE_CAMERA" --port "$port" --codec h264 --width "$VIDEO_WIDTH" \
			--height "$VIDEO_HEIGHT" --fps "$VIDEO_FPS" --bitrate "$VIDEO_KBPS"
		wait_until 10 grep -q "listening on rtsp://127.0.0.1:$port/stream" "$T/video-cam$i.log" || {
			note "video: fake camera $i did not start (see below)"
			tail -3 "$T/video-cam$i.log" | sed 's/^/      /' >>"$NOTES"
			return 1
		}
	done
}

# video_box_conf DIR: bk-edge's configuration, cameras only, MQTT at a port
# nothing listens on (chosen when the section starts).
video_box_conf() {
	local dir=$1 i
	{
		printf '[box]\nid = %s\nstate_dir = %s\n\n' "$VIDEO_ID" "$dir"
		BK_PORT=$VIDEO_CLOSED_PORT bk_mqtt_group "$VIDEO_ID" 30s 30s
		for i in $(seq 1 "$VIDEO_STREAMS"); do
			printf '\n[camera cam-%s]\nsource = rtsp://127.0.0.1:%s/stream\n' "$i" "${VIDEO_PORTS[i]}"
		done
	} >"$dir.conf"
}

# video_stop NAME...: bare pipelines get SIGINT first (gst-launch -e: EOS,
# the last file closed properly), then bench_stop's SIGTERM/SIGKILL.
video_stop() {
	local name i
	for name; do
		case $name in video-bare*) kill -INT "${BK_PIDS[$name]}" 2>/dev/null ;; esac
	done
	for ((i = 0; i < 50; i++)); do
		any_alive "$@" || break
		sleep 0.1
	done
	for name; do bench_stop "$name"; done
}

# video_phase RUN bare|daemon: one measurement; appends a "video" line to $RAW.
video_phase() {
	local run=$1 phase=$2 dir="$T/video-$2-$1" i names=() pids=() dirs=() cams=() logs=()
	local margin_ms max_ns p0 p1 k0 k1 c0 c1 w0 w1 b0 b1 b_each warns
	mkdir -p "$dir"
	for i in $(seq 1 "$VIDEO_STREAMS"); do cams+=("$(bk_pid "video-cam$i")"); done
	if [ "$phase" = bare ]; then
		# the cut bk-edge asks of splitmuxsink for a segment (camera.c)
		margin_ms=$((VIDEO_SEGMENT_MS / 20))
		[ "$margin_ms" -lt 100 ] && margin_ms=100
		[ "$margin_ms" -gt 500 ] && margin_ms=500
		max_ns=$(((VIDEO_SEGMENT_MS + margin_ms) * 1000000))
		for i in $(seq 1 "$VIDEO_STREAMS"); do
			mkdir -p "$dir/s$i"
			bk_bg "video-bare$i" gst-launch-1.0 -e \
				rtspsrc location="rtsp://127.0.0.1:${VIDEO_PORTS[i]}/stream" protocols=tcp latency=200 ! \
				rtph264depay ! h264parse config-interval=-1 ! \
				splitmuxsink muxer=mpegtsmux max-size-time="$max_ns" location="$dir/s$i/%05d.ts"
			names+=("video-bare$i")
			dirs+=("$dir/s$i")
		done
	else
		video_box_conf "$dir"
		"$BK_BIN/bk-edge" -t -c "$dir.conf" >/dev/null 2>"$T/video-conf.err" || {
			note "video run $run: bk-edge refuses the configuration: $(head -1 "$T/video-conf.err")"
			return 1
		}
		bk_bg video-box "$BK_BIN/bk-edge" -c "$dir.conf"
		names=(video-box)
		for i in $(seq 1 "$VIDEO_STREAMS"); do dirs+=("$dir/video/cam-$i"); done
		VIDEO_BOX_DIRS+=("$dir")
	fi
	for i in "${names[@]}"; do
		pids+=("$(bk_pid "$i")")
		logs+=("$T/$i.log")
	done
	if ! wait_until 20 video_writing "${dirs[@]}"; then
		note "video run $run, $phase: not every stream was recording 20 s after the start (see below)"
		cat "${logs[@]}" 2>/dev/null | grep -v "not connected to ssl://127.0.0.1:$VIDEO_CLOSED_PORT" |
			tail -n 3 | sed 's/^/      /' >>"$NOTES"
		video_stop "${names[@]}"
		return 1
	fi
	sleep "$VIDEO_WARMUP"
	w0=$(date +%s.%N)
	p0=$($PY proc "${pids[@]}")
	k0=$($PY ticks "${cams[@]}")
	c0=$($PY cpustat | tr ' ' ,)
	b0=$(video_bytes "${dirs[@]}")
	sleep "$VIDEO_SECONDS"
	w1=$(date +%s.%N)
	p1=$($PY proc "${pids[@]}")
	k1=$($PY ticks "${cams[@]}")
	c1=$($PY cpustat | tr ' ' ,)
	b1=$(video_bytes "${dirs[@]}")
	b_each=$(for d in "${dirs[@]}"; do video_bytes "$d"; done | tr '\n' ' ')
	if any_dead "${names[@]}"; then
		note "video run $run, $phase: a recording process ended during the measurement (see its log)"
		video_stop "${names[@]}"
		return 1
	fi
	video_stop "${names[@]}"
	# the closed MQTT port is expected to say so
	warns=$(cat "${logs[@]}" 2>/dev/null | grep -E " (warn|error): |WARNING|ERROR" |
		grep -vc "not connected to ssl://127.0.0.1:$VIDEO_CLOSED_PORT")
	[ "${warns:-0}" -gt 0 ] && {
		note "video run $run, $phase: $warns warning/error lines in the logs (besides the closed MQTT port), e.g.:"
		cat "${logs[@]}" | grep -E " (warn|error): |WARNING|ERROR" |
			grep -v "not connected to ssl://" | head -3 | sed 's/^/      /' >>"$NOTES"
	}
	# CPU and wall over the window; memory as at its end
	echo "video run=$run phase=$phase procs=${#pids[@]} wall_s=$(minus "$w1" "$w0")" \
		"cpu=$(minus "$(video_cpu "$p1")" "$(video_cpu "$p0")") ${p1#* } bytes=$((b1 - b0))" \
		"cam_cpu=$(minus "$k1" "$k0") cpu0=$c0 cpu1=$c1 stream_bytes=$(tr ' ' , <<<"${b_each% }")" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	mkdir -p "$T/video-logs"
	for i in "${names[@]}"; do mv "$T/$i.log" "$T/video-logs/$i-$run.log" 2>/dev/null; done
	[ "$phase" = bare ] && rm -rf "$dir"
	return 0
}

# video_cpu PROC-LINE: the seconds in bench.py proc's "cpu=S rss_kb=…".
video_cpu() {
	sed 's/^cpu=\([^ ]*\).*/\1/' <<<"$1"
}

# any_dead NAME...: one of these bk_bg processes no longer runs.
any_dead() {
	local name
	for name; do
		alive "${BK_PIDS[$name]}" || return 0
	done
	return 1
}

# video_clip: 60 s of camera 1 from bk-edge's segment index (in recording
# order, through the runs; used again from the start should they hold less).
video_clip() {
	local dir rows=() dur path total=0 reused=0 segs=() i line
	for dir in "${VIDEO_BOX_DIRS[@]}"; do
		[ -f "$dir/outbox.db" ] || continue
		while IFS='|' read -r dur path; do
			[ -s "$path" ] && rows+=("$dur|$path")
		done < <(bk_sql "$dir/outbox.db" "SELECT end_ms - start_ms, path FROM segments WHERE camera = 'cam-1' ORDER BY start_ms")
	done
	if [ ${#rows[@]} = 0 ]; then
		note "video: no recorded segment to build a clip from"
		return 1
	fi
	for ((i = 0; total < CLIP_SECONDS * 1000; i++)); do
		[ "$i" -ge ${#rows[@]} ] && reused=1
		line=${rows[i % ${#rows[@]}]}
		total=$((total + ${line%%|*}))
		segs+=("${line#*|}")
	done
	[ "$reused" = 1 ] && note "video: the runs recorded less than ${CLIP_SECONDS} s of camera 1; the clip uses some segments twice"
	quiet_wait "clip build"
	for mode in warm cold; do
		"$BENCH_CLIP" $([ "$mode" = cold ] && echo --cold) "$T/clip.ts" "$CLIP_CHUNK" "$CLIP_RUNS" "${segs[@]}" \
			>"$T/clip-$mode.out" 2>"$T/clip.err" || {
			note "video: bench_clip ($mode) failed: $(head -1 "$T/clip.err")"
			continue
		}
		sed -n "s/^cache=/clip target_s=$CLIP_SECONDS video_s=$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1000 }') chunk=$CLIP_CHUNK cache=/p" \
			"$T/clip-$mode.out" >>"$RAW"
		sed -n "s/^hash /cliphash cache=$mode /p" "$T/clip-$mode.out" >>"$RAW"
		echo "# clip ($mode): $(sed -n 's/.*seconds=\([0-9.]*\).*/\1 s/p' "$T/clip-$mode.out" | tr '\n' ' ')" >&2
	done
}

# video_upload: clip upload throughput, end to end through the broker.
video_upload() {
	local port run now ts0 ts1 clip row
	bk_pki_setup "$UPLOAD_ID" svc-collector svc-bkctl || return 1
	rm -rf "$T/broker" "$T/upload-collector".* "$T/$UPLOAD_ID"
	bk_broker_start --service svc-collector --service svc-bkctl || return 1
	bk_collector_start upload-collector svc-collector || {
		note "upload: the collector did not start"
		return 1
	}
	port=$(free_port)
	bk_bg upload-cam "$FAKE_CAMERA" --port "$port" --codec h264 --width "$VIDEO_WIDTH" \
		--height "$VIDEO_HEIGHT" --fps "$VIDEO_FPS" --bitrate "$UPLOAD_KBPS"
	wait_until 10 grep -q "listening on rtsp://127.0.0.1:$port/stream" "$T/upload-cam.log" || {
		note "upload: the fake camera did not start"
		return 1
	}
	mkdir -p "$T/$UPLOAD_ID"
	{
		printf '[box]\nid = %s\nstate_dir = %s\n\n' "$UPLOAD_ID" "$T/$UPLOAD_ID"
		bk_mqtt_group "$UPLOAD_ID" 30s 2s
		printf '\n[outbox]\nmax_bytes_rate = 1G\nmax_rate = 100000\n'
		printf '\n[camera cam-1]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\n' "$port"
	} >"$T/$UPLOAD_ID.conf"
	{ echo "[bkctl]"; echo "id = svc-bkctl"; bk_mqtt_group svc-bkctl 30s 2s; } >"$T/bkctl.conf"
	bk_bg "$UPLOAD_ID" "$BK_BIN/bk-edge" -c "$T/$UPLOAD_ID.conf"
	sleep $((UPLOAD_SECONDS + 4))
	for run in $(seq 1 "$UPLOAD_RUNS"); do
		now=$(date +%s)
		ts0=$(date -u -d "@$((now - UPLOAD_SECONDS - 2))" +%Y-%m-%dT%H:%M:%S.000Z)
		ts1=$(date -u -d "@$((now - 2))" +%Y-%m-%dT%H:%M:%S.000Z)
		"$BK_BIN/bkctl" --config "$T/bkctl.conf" --db "$T/upload-collector.db" --wait 120 \
			clip request --box "$UPLOAD_ID" --camera cam-1 --from "$ts0" --to "$ts1" \
			>"$T/upload-$run.out" 2>&1 || {
			note "upload run $run: no verified clip: $(tail -1 "$T/upload-$run.out")"
			continue
		}
		clip=$(sed -n 's/^box: clip \([^ ]*\): .*/\1/p' "$T/upload-$run.out")
		row=$(bk_sql "$T/upload-collector.db" "SELECT bytes, chunk_count,
			(julianday(verified_at) - julianday(received_at)) * 86400 FROM clips
			WHERE clip_id = '${clip%:}'")
		IFS='|' read -r bytes chunks secs <<<"$row"
		echo "upload run=$run bytes=$bytes chunks=$chunks seconds=$secs" \
			"mb_s=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0) ? b / s / 1e6 : 0 }')" \
			"kbps=$UPLOAD_KBPS video_s=$UPLOAD_SECONDS" >>"$RAW"
		echo "# $(tail -1 "$RAW")" >&2
	done
	for name in "$UPLOAD_ID" upload-cam upload-collector broker; do bench_stop "$name"; done
}

bench_video() {
	local run tool need=$((2 * (VIDEO_WARMUP + VIDEO_SECONDS) + 15)) t0=$SECONDS
	for tool in "$BK_BIN/bk-edge" "$FAKE_CAMERA" "$BENCH_CLIP"; do
		[ -x "$tool" ] || {
			note "video: skipped, '$tool' is not built (make bench builds it)"
			return 1
		}
	done
	command -v gst-launch-1.0 >/dev/null || {
		note "video: skipped, gst-launch-1.0 is not installed (make deps)"
		return 1
	}
	echo "videocfg streams=$VIDEO_STREAMS width=$VIDEO_WIDTH height=$VIDEO_HEIGHT fps=$VIDEO_FPS" \
		"kbps=$VIDEO_KBPS warmup_s=$VIDEO_WARMUP measure_s=$VIDEO_SECONDS segment_ms=$VIDEO_SEGMENT_MS" \
		"mqtt=closed-port runs=$VIDEO_RUNS" >>"$RAW"
	bk_pki_setup "$VIDEO_ID" || {
		note "video: skipped, cannot make the box's certificate"
		return 1
	}
	VIDEO_CLOSED_PORT=$(free_port)
	video_cameras_start || return 1
	for run in $(seq 1 "$VIDEO_RUNS"); do
		if [ "$(left)" -lt "$need" ]; then
			note "video run $run: skipped, the time budget (BK_BENCH_BUDGET=$BUDGET s) is spent"
			continue
		fi
		# the cameras idle between runs: no client, no encoder
		quiet_wait "video run $run"
		echo "# video run $run: bare gst-launch, then bk-edge" >&2
		video_phase "$run" bare && video_phase "$run" daemon
	done
	for run in $(seq 1 "$VIDEO_STREAMS"); do bench_stop "video-cam$run"; done
	if [ "$(left)" -lt 20 ]; then
		note "video: clip build skipped, the time budget (BK_BENCH_BUDGET=$BUDGET s) is spent"
	else
		video_clip
	fi
	if [ "$(left)" -lt 90 ]; then
		note "video: clip upload skipped, the time budget (BK_BENCH_BUDGET=$BUDGET s) is spent"
	else
		quiet_wait "clip upload"
		video_upload
	fi
	echo "# video: $((SECONDS - t0)) s" >&2
}
