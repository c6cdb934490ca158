#!/bin/bash
# tests/bench/run.sh — what `make bench` runs: delivery benchmarks on this
# machine, loopback only. Measures, asserts nothing (tests do that).
#
#   1. outbox: messages/s that bk-edge's outbox accepts with synchronous=FULL
#      and NORMAL (build/bench/bench_outbox), and their ratio in each run;
#   2. end to end: a real TLS Mosquitto (the production config), one
#      bk-collector, N burst boxes (tests/lib/daemons.sh bk_burst_conf,
#      [outbox] sync = full, the default) and a plain mosquitto_sub on the same
#      broker: archived-and-acked messages/s against the plain receive rate,
#      for 1, 10 and 100 boxes;
#   3. video (tests/bench/video.sh): CPU and memory of bk-edge recording two
#      720p ~2 Mbit/s RTSP H.264 streams from the fake camera against bare
#      gst-launch-1.0 pipelines on the same streams, in the same run, and
#      their ratio in each run; the time bk-edge takes to build a 60 s clip
#      from the segments it recorded (build/bench/bench_clip); clip upload
#      throughput through a TLS broker to bk-collector, verified. About 5
#      minutes.
#   4. statistics (tests/bench/stats.sh): a year of synthetic data for 1,000
#      establishments (tools/bk-synth), then the time of each coverage and
#      alert statistics query (aim < 200 ms). About 15 s, 1 s once generated.
#   4b. platforms (tests/bench/platforms.sh): importing two delivery
#      platforms' listings (about 1,600 shops) against the statistics
#      section's 1,000 establishments, again, and the checks alone.
#   5. load (tests/bench/load.sh, with tools/bk-loadgen): ingest against a
#      plain Paho subscriber, breach-to-regulator latency idle and under
#      10,000 msg/s, 1,000 connected boxes, bk-edge's footprint with 2
#      cameras and 8 sensors over 5 minutes, an hour offline drained.
#   5b. pgingest (tests/bench/pgingest.sh): ingest by 1, 2 and 3 collectors
#      of one share group into one PostgreSQL archive (a throw-away server,
#      tests/lib/pg.sh) at a fixed offered load, next to a plain Paho
#      subscriber in the same run; their CPU and PostgreSQL's.
#   6. live (tests/bench/live.sh): glass-to-page latency of live view (the
#      fake camera's clock burnt into the picture, read back from the
#      regulators' page in headless Chromium), the collector's CPU with no, 1,
#      5 and 10 viewers of one stream, and what transcoding H.265 costs the
#      box (build/bench/bench_live). About 3 minutes.
#
# Each figure is the median of BK_BENCH_RUNS runs (default 5; video: at
# most 3, BK_BENCH_VIDEO_RUNS) with min–max.
# Prints one markdown table and writes it, with the machine and the raw
# figures, to tests/bench/results/YYYY-MM-DD-<commit>[-dirty].md.
#
# Environment: BK_BUILD (default build), BK_BENCH_RUNS (5), BK_BENCH_BUDGET
# (seconds for the whole script, default 3000: runs that would start later are
# skipped and said so), BK_BENCH_ONLY (outbox, drain, ingest, latency, conns, e2e,
# stats, platforms, footprint, video, pgingest or live, or a comma-separated list
# of them; pgingest's and live's own settings are in their scripts), BK_BENCH_SIZES (default
# "1:2000 10:2000 100:200", BOXES:MESSAGES-PER-BOX), BK_BENCH_NO_SAVE=1 (print
# only), BK_BENCH_QUIET_WAIT (seconds in all to wait for other work to calm
# down before measurements, default 180), BK_KEEP=1 (keep the work
# directory); the video section's own are in tests/bench/video.sh.
# Everything it starts is stopped,
# and its work directory (under BK_BUILD/bench/, on the build's filesystem)
# removed, on any exit.

BK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$BK_ROOT" || exit 1
BUILD=${BK_BUILD:-build}
export BK_BIN="$BK_ROOT/$BUILD/bin"
source "$BK_ROOT/tests/lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"

RUNS=${BK_BENCH_RUNS:-5}
BUDGET=${BK_BENCH_BUDGET:-3000}
ONLY=${BK_BENCH_ONLY:-}
SIZES=${BK_BENCH_SIZES:-"1:2000 10:2000 100:200"}
OUTBOX_FULL_N=${BK_BENCH_OUTBOX_FULL:-20000}
OUTBOX_NORMAL_N=${BK_BENCH_OUTBOX_NORMAL:-50000}
OUTBOX_SECONDS=4
BENCH_OUTBOX="$BK_ROOT/$BUILD/bench/bench_outbox"
PY="$BK_PY $BK_ROOT/tests/bench/bench.py"
RUN_TIMEOUT=120 # one end-to-end run: everything acked within this, or it is cut

# selected SECTION: BK_BENCH_ONLY is empty or names SECTION.
selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
NEEDED=("$BK_BIN/bk-edge")
selected outbox && NEEDED+=("$BENCH_OUTBOX")
selected e2e && NEEDED+=("$BK_BIN/bk-collector")
for s in ingest latency conns pgingest; do
	selected $s && NEEDED+=("$BK_BIN/bk-collector" "$BK_ROOT/$BUILD/bin/bk-loadgen" "$BK_ROOT/$BUILD/bench/bench_sub")
done
selected live && NEEDED+=("$BK_BIN/bk-collector" "$BK_BIN/bkctl" "$BK_ROOT/$BUILD/tests/tools/fake-camera" "$BK_ROOT/$BUILD/bench/bench_live")
for tool in "${NEEDED[@]}"; do
	[ -x "$tool" ] || {
		echo "bench: cannot run '$tool': not built (make bench builds it)" >&2
		exit 1
	}
done

mkdir -p "$BK_ROOT/$BUILD/bench"
T=$(mktemp -d "$BK_ROOT/$BUILD/bench/run.XXXXXX") || exit 1
trap bk_cleanup EXIT
trap 'exit 130' INT TERM
RAW=$T/raw.txt
NOTES=$T/notes.txt
: >"$RAW"
: >"$NOTES"
note() { echo "- $*" >>"$NOTES"; echo "# $*" >&2; }

# --- the machine and the tree ------------------------------------------------

START_SECONDS=$SECONDS
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Untracked files count: the Makefile builds every edge/*.c it finds. The
# results directory does not, or writing a result would dirty the next run.
if [ -n "$(git status --porcelain -- . ':!tests/bench/results' 2>/dev/null)" ]; then
	COMMIT="$COMMIT-dirty"
fi
CORES=$(nproc)
MEM_GIB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
KERNEL=$(uname -r)
FS_TYPE=$(findmnt -no FSTYPE -T "$T" 2>/dev/null || stat -f -c %T "$T")
FS_SOURCE=$(findmnt -no SOURCE -T "$T" 2>/dev/null || echo "?")
SQLITE=$(sqlite3 --version 2>/dev/null | cut -d' ' -f1)
MOSQ=$(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1)
echo "machine date=$STARTED commit=$COMMIT loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" >>"$RAW"
echo "# bench: $COMMIT on $CORES cores, $MEM_GIB GiB, $CPU_MODEL; work dir $T ($FS_TYPE on $FS_SOURCE)" >&2

left() { echo $((BUDGET - (SECONDS - START_SECONDS))); }
nboxes() { if [ "$1" = 1 ]; then echo "1 box"; else echo "$1 boxes"; fi; }

# quiet_wait WHAT: before a measurement, wait while other work keeps more than
# 20% of the machine busy (0.5 s probes), at most BK_BENCH_QUIET_WAIT seconds
# (default 180) over the whole benchmark, then measure anyway: on a shared
# machine (others' tests, fuzzers) this buys cleaner figures for a bounded
# price. What the other work took during each measurement is reported.
QUIET_MAX=${BK_BENCH_QUIET_WAIT:-180}
QUIET_WAITED=0
quiet_wait() {
	local b t0=$SECONDS
	while b=$($PY busy 0.5) && [ "$b" -gt 20 ]; do
		if [ $((QUIET_WAITED + SECONDS - t0)) -ge "$QUIET_MAX" ] || [ "$(left)" -lt 120 ]; then
			note "$1: measured while other work kept the machine ${b}% busy (quiet-wait allowance spent)"
			break
		fi
	done
	QUIET_WAITED=$((QUIET_WAITED + SECONDS - t0))
	[ $((SECONDS - t0)) -gt 1 ] && echo "# waited $((SECONDS - t0)) s for a quiet machine before $1" >&2
	return 0
}
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# --- 1. the outbox -------------------------------------------------------------

bench_outbox() {
	local run line mode n cpu0 cpu1
	for run in $(seq 1 "$RUNS"); do
		# both modes inside one run, so that their ratio compares like with like
		quiet_wait "outbox run $run"
		for mode in full normal; do
			n=$OUTBOX_FULL_N
			[ "$mode" = normal ] && n=$OUTBOX_NORMAL_N
			# at most $OUTBOX_SECONDS s each: a slow disk must not eat the budget
			cpu0=$($PY cpustat | tr ' ' ,)
			if ! line=$("$BENCH_OUTBOX" "$T/outbox-$run-$mode.db" "$n" "$mode" "$OUTBOX_SECONDS"); then
				note "outbox run $run ($mode) failed"
				continue
			fi
			cpu1=$($PY cpustat | tr ' ' ,)
			echo "outbox run=$run max_n=$n max_s=$OUTBOX_SECONDS $line cpu0=$cpu0 cpu1=$cpu1" >>"$RAW"
			echo "# outbox run $run: $line" >&2
			rm -f "$T/outbox-$run-$mode.db"*
		done
	done
}

# --- 2. end to end -------------------------------------------------------------

BOX_IDS=()
MAX_BOXES=0
for size in $SIZES; do
	[ "${size%%:*}" -gt "$MAX_BOXES" ] && MAX_BOXES=${size%%:*}
done
for i in $(seq 1 "$MAX_BOXES"); do BOX_IDS+=("$(printf 'box-bench-%03d' "$i")"); done

e2e_setup() {
	local t0=$SECONDS
	bk_pki_setup svc-collector svc-bench "${BOX_IDS[@]}" || return 1
	echo "# e2e: certificates for ${#BOX_IDS[@]} boxes in $((SECONDS - t0)) s" >&2
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() {
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $s != Z* ]]
}

# bench_stop NAME: SIGTERM a process started with bk_bg, SIGKILL it if it
# still runs after 10 s (a collector draining a backlog must not hold the
# benchmark), and reap it. bk_stop would wait for as long as it takes.
bench_stop() {
	local pid=${BK_PIDS[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null && note "$1 ignored SIGTERM for 10 s: killed"
	wait "$pid" 2>/dev/null
	unset "BK_PIDS[$1]"
}

# any_alive NAME...: one of these bk_bg processes still runs.
any_alive() {
	local name
	for name; do
		alive "${BK_PIDS[$name]}" && return 0
	done
	return 1
}

# e2e_stop_all: stop what a run started (boxes, collector, subscriber, broker).
e2e_stop_all() {
	local name boxes=() i pid
	for name in "${!BK_PIDS[@]}"; do
		case $name in box-*) boxes+=("$name") ;; esac
	done
	for name in "${boxes[@]}"; do kill -TERM "${BK_PIDS[$name]}" 2>/dev/null; done
	# one 10 s grace for all the boxes together, then SIGKILL
	for ((i = 0; i < 100; i++)); do
		any_alive "${boxes[@]}" || break
		sleep 0.1
	done
	for name in "${boxes[@]}"; do
		pid=${BK_PIDS[$name]}
		alive "$pid" && kill -KILL "$pid" 2>/dev/null && note "$name ignored SIGTERM for 10 s: killed"
		wait "$pid" 2>/dev/null
		unset "BK_PIDS[$name]"
	done
	bench_stop collector
	bench_stop plain-sub
	bench_stop plain
	bench_stop poller
	bench_stop broker
}

# plain_settled TOTAL: the plain subscriber has TOTAL lines or more, and no
# new one for half a second.
plain_settled() {
	local a b
	a=$(wc -l <"$T/plain.out")
	[ "$a" -ge "$1" ] || return 1
	sleep 0.5
	b=$(wc -l <"$T/plain.out")
	[ "$a" = "$b" ]
}

# e2e_run RUN BOXES PER_BOX: one measurement; appends an "e2e" line to $RAW.
e2e_run() {
	local run=$1 boxes=$2 per_box=$3
	local total=$((boxes * per_box)) timeout id cpu0 cpu1 w0 w1 t_acked
	local c_broker0 c_coll0 c_broker c_coll c_boxes c_sub c_poller stats dups warns pids=()

	quiet_wait "run $run, $(nboxes "$boxes")"
	timeout=$(left)
	[ "$timeout" -gt "$RUN_TIMEOUT" ] && timeout=$RUN_TIMEOUT
	rm -rf "$T/broker" "$T"/box-bench-* "$T"/collector.* "$T"/plain.* "$T"/*.log
	bk_broker_start --service svc-bench || return 1
	bk_collector_start || {
		note "run $run, $(nboxes "$boxes"): the collector did not start"
		return 1
	}
	# The plain subscriber: one timestamp per message (-F %U), nothing else.
	# Not -C $total: a box that connects while it is already issuing sends
	# its first messages twice (see the notes), and -C would stop early by as
	# many. It is stopped once all is acked and its output stops growing. A
	# bash wrapper reports its CPU time (`times`) and its pid (so that
	# cleanup stops it too); -W bounds it should everything else fail.
	_bk_client_args svc-bench || return 1
	bk_bg plain bash -c 'out=$1; shift; stdbuf -oL mosquitto_sub "$@" >"$out" & echo $! >"$out.pid"; wait $!; times >"$out.times"' \
		plain "$T/plain.out" "${BK_CLIENT_ARGS[@]}" -t 'bk/v1/box/+/reading' -F '%U' -W "$((timeout + 30))"
	wait_until 5 test -s "$T/plain.out.pid" && BK_PIDS[plain-sub]=$(cat "$T/plain.out.pid")
	# subscribed when the broker logs it (log_type subscribe)
	wait_until 10 grep -q "svc-bench 0 bk/v1/box/+/reading" "$T/broker.log" || {
		note "run $run, $(nboxes "$boxes"): the plain subscriber did not subscribe"
		return 1
	}
	# configurations written and checked (bk-edge -t) before the clock starts,
	# so that the boxes start within milliseconds of each other
	for id in "${BOX_IDS[@]:0:$boxes}"; do
		bk_burst_conf "$id" "$per_box" >/dev/null
		"$BK_BIN/bk-edge" -t -c "$T/$id.conf" >/dev/null || {
			note "run $run: the configuration of $id is refused"
			return 1
		}
	done
	c_broker0=$($PY ticks "$(bk_pid broker)")
	c_coll0=$($PY ticks "$(bk_pid collector)")
	cpu0=$($PY cpustat | tr ' ' ,)
	w0=$(date +%s.%N)
	for id in "${BOX_IDS[@]:0:$boxes}"; do
		bk_bg "$id" "$BK_BIN/bk-edge" -c "$T/$id.conf"
		pids+=("$(bk_pid "$id")")
	done
	# in the background: `wait` lets a signal through, a foreground command would not
	bk_bg poller $PY wait-acked "$T/collector.db" "$boxes" "$per_box" "$timeout"
	wait "$(bk_pid poller)"
	unset "BK_PIDS[poller]"
	read -r t_acked c_poller <"$T/poller.log"
	t_acked=${t_acked:-timeout}
	cpu1=$($PY cpustat | tr ' ' ,)
	w1=$(date +%s.%N)
	c_broker=$($PY ticks "$(bk_pid broker)")
	c_coll=$($PY ticks "$(bk_pid collector)")
	c_boxes=$($PY ticks "${pids[@]}")
	[ "$t_acked" = timeout ] && note "run $run, $(nboxes "$boxes") × $per_box: not all acked within $timeout s"
	# the plain subscriber has had every message by now, or will within a second
	wait_until 10 plain_settled "$total"
	kill -TERM "$(bk_pid plain-sub)" 2>/dev/null
	wait_until 5 test -s "$T/plain.out.times"
	[ "$(wc -l <"$T/plain.out")" -ge "$total" ] ||
		note "run $run, $(nboxes "$boxes"): the plain subscriber had $(wc -l <"$T/plain.out") of $total messages when stopped"
	e2e_stop_all
	c_sub=$(sed -n 2p "$T/plain.out.times" 2>/dev/null |
		awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } printf "%.2f", s }')
	stats=$(grep -h " received " "$T/collector.log" | tail -1)
	dups=$(sed -n 's/.*duplicates \([0-9]*\).*/\1/p' <<<"$stats")
	warns=$(cat "$T"/box-bench-*.log "$T/collector.log" 2>/dev/null | grep -cE " (warn|error): " || true)
	[ "${warns:-0}" -gt 0 ] && {
		note "run $run, $(nboxes "$boxes"): $warns warning/error lines in the daemon logs, e.g.:"
		cat "$T"/box-bench-*.log "$T/collector.log" | grep -hE " (warn|error): " | head -3 |
			sed 's/^/      /' >>"$NOTES"
	}
	$PY e2e run="$run" db="$T/collector.db" boxes="$boxes" per_box="$per_box" \
		sub="$T/plain.out" t_acked="$t_acked" cpu0="$cpu0" cpu1="$cpu1" \
		wall_s="$(minus "$w1" "$w0")" cpu_broker="$(minus "$c_broker" "$c_broker0")" \
		cpu_collector="$(minus "$c_coll" "$c_coll0")" cpu_boxes="$c_boxes" \
		cpu_sub="${c_sub:-nan}" cpu_poller="${c_poller:-nan}" duplicates="${dups:-?}" \
		batches="$(sed -n 's/.*batches \([0-9]*\).*/\1/p' <<<"$stats")" |
		sed "s/^e2e /e2e run=$run /" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	if [ "${BK_KEEP:-0}" = 1 ]; then
		mkdir -p "$T/logs/run$run-$boxes"
		mv "$T"/*.log "$T"/*.conf "$T"/plain.out* "$T/logs/run$run-$boxes/" 2>/dev/null
	fi
	rm -rf "$T/broker" "$T"/box-bench-* "$T"/collector.* "$T"/plain.* "$T"/*.log
}

bench_e2e() {
	local run size
	e2e_setup || {
		note "cannot make the certificates: no end-to-end runs"
		return 1
	}
	# runs outermost: a slow minute on the machine spreads over every size
	for run in $(seq 1 "$RUNS"); do
		for size in $SIZES; do
			if [ "$(left)" -lt 60 ]; then
				note "run $run, $(nboxes "${size%%:*}"): skipped, the time budget (BK_BENCH_BUDGET=$BUDGET s) is spent"
				continue
			fi
			echo "# e2e run $run: $(nboxes "${size%%:*}") × ${size#*:} messages" >&2
			e2e_run "$run" "${size%%:*}" "${size#*:}" ||
				{ note "run $run, $(nboxes "${size%%:*}"): failed to start"; e2e_stop_all; }
		done
	done
}

# --- 3. video: tests/bench/video.sh -------------------------------------------

source "$BK_ROOT/tests/bench/video.sh"

# --- 4. statistics: tests/bench/stats.sh ---------------------------------------

source "$BK_ROOT/tests/bench/stats.sh"
source "$BK_ROOT/tests/bench/platforms.sh"

# --- 5. load: tests/bench/load.sh (bk-loadgen) ----------------------------------

source "$BK_ROOT/tests/bench/load.sh"
source "$BK_ROOT/tests/bench/pgingest.sh"

# --- 6. live view: tests/bench/live.sh -------------------------------------------

source "$BK_ROOT/tests/bench/live.sh"

selected outbox && bench_outbox
selected drain && bench_drain
selected ingest && bench_ingest
selected latency && bench_latency
selected conns && bench_conns
selected e2e && bench_e2e
selected stats && bench_stats
selected platforms && bench_platforms
selected footprint && bench_footprint
selected video && bench_video
selected pgingest && bench_pgingest
selected live && bench_live

# --- the report ----------------------------------------------------------------

ELAPSED=$((SECONDS - START_SECONDS))
TABLE=$($PY report "$RAW") || exit 1
DETAILS=$($PY details "$RAW") || exit 1
REPORT=$T/report.md
{
	echo "# Benchmarks $(date -u +%Y-%m-%d), $COMMIT"
	echo
	echo "- date: $STARTED (UTC), took ${ELAPSED} s; \`make bench\` (tests/bench/run.sh), $RUNS runs per figure"
	echo "- commit: $COMMIT (\`git rev-parse --short HEAD\`; -dirty: the tree differs from it)"
	echo "- machine: $CORES cores (nproc), $MEM_GIB GiB memory, $CPU_MODEL; Linux $KERNEL"
	echo "- disk: outboxes and archive on $FS_TYPE ($FS_SOURCE), under $BUILD/bench/"
	echo "- software: SQLite $SQLITE, Mosquitto $MOSQ, everything on 127.0.0.1 with TLS"
	echo "- end to end: burst boxes (\`bk_burst_conf\`: one reading message per sample, a sample"
	echo "  every 1 ms, so at most ~1,000 msg/s per box; \`[outbox] sync = full\`, the default;"
	echo "  window 256, ack_timeout 3 s, max_rate 20000); one bk-collector (batch_max 1000); plain subscriber"
	echo "  \`mosquitto_sub -F %U\` as svc-bench on \`bk/v1/box/+/reading\`, stopped once all is acked"
	echo "  and it has had every message (not \`-C total\`: see the duplicates below)"
	if selected video; then
		echo "- video: $VIDEO_STREAMS fake cameras (tests/tools/fake-camera, one server each, its own CPU"
		echo "  not counted), ${VIDEO_WIDTH}x$VIDEO_HEIGHT $VIDEO_FPS fps $VIDEO_KBPS kbit/s H.264, a key frame a second;"
		echo "  each run records them first with one bare \`gst-launch-1.0 -e rtspsrc protocols=tcp"
		echo "  latency=200 ! rtph264depay ! h264parse config-interval=-1 ! splitmuxsink muxer=mpegtsmux\`"
		echo "  per stream (bk-edge's elements and settings, cut like its 10 s segments), then with"
		echo "  bk-edge (two \`[camera]\` groups, defaults: 10 s segments); $VIDEO_SECONDS s measured after a"
		echo "  $VIDEO_WARMUP s warm-up that starts once every stream writes. **bk-edge's MQTT URI points at a closed"
		echo "  loopback port** (the lighter option: no broker, no TLS; it retries with back-off and keeps"
		echo "  its status messages in its outbox; recording does not depend on the broker)."
		echo "  Clip: \`clip_build\` (build/bench/bench_clip) over the segments bk-edge recorded of camera 1,"
		echo "  $CLIP_RUNS runs warm, $CLIP_RUNS cold; the output file on the same disk"
	fi
	echo
	echo "$TABLE"
	echo
	echo "Figures: median of the runs (min–max); a ratio is taken inside each run, then its"
	echo "median. Box acceptance = messages / (last envelope ts − first, all boxes); per box ="
	echo "median over boxes of its own. Collector = messages / (first archived received_at →"
	echo "the poll that saw acked = issued for every box, every 20 ms). Plain subscriber ="
	echo "messages / (its first → last message). Rates count each message once; duplicates"
	echo "(below) were carried and archived-as-duplicate on top. CPU shares and CPU per message"
	echo "are measured from the boxes' start to all acked (/proc)."
	if selected video; then
		echo
		echo "Video: CPU = utime + stime of the recording processes (all their threads, /proc/PID/stat)"
		echo "over the window, in % of one core (100 % = one core busy); the bare figure is the sum of"
		echo "its processes. bk-edge/bare is taken inside each run. Memory: VmRSS (at the window's end)"
		echo "and VmHWM (peak) from /proc/PID/status, MiB. Clip: wall time of \`clip_build\` (read,"
		echo "SHA-256 whole and per chunk, write, fsync); MB = 10^6 bytes."
	fi
	if selected live; then
		echo
		echo "Live (tests/bench/live.sh): glass to page = Date.now() in the page − the capture wall clock"
		echo "that \`fake-camera --stamp\` burns into each frame (48 blocks), read back from the picture the"
		echo "page shows, every 100 ms; one machine, one clock. Buffered end − shown: video the page holds"
		echo "but has not shown yet. Collector CPU: the sum of its threads' schedstat (ns) over the window,"
		echo "utime+stime (10 ms ticks) beside it; % of one core. kbit/s per viewer: the body bytes each curl"
		echo "wrote (/proc/PID/io wchar) over the window, which holds 12 or 13 of the box's 0.5 s fragments"
		echo "(±8 %). Transcode: bench_live's own CPU (getrusage), the fake cameras' encoders not counted."
	fi
	echo
	if [ -n "$DETAILS" ]; then
		if selected video; then
			echo "Medians behind the end-to-end and video rows:"
		else
			echo "Medians behind the end-to-end rows:"
		fi
		echo
		echo "$DETAILS"
		echo
	fi
	if [ -s "$NOTES" ]; then
		echo "Notes from this run:"
		echo
		cat "$NOTES"
		echo
	fi
	echo "<details><summary>raw figures</summary>"
	echo
	echo '```'
	cat "$RAW"
	echo '```'
	echo
	echo "</details>"
} >"$REPORT"

echo
echo "$TABLE"
echo
[ -n "$DETAILS" ] && echo "$DETAILS"
[ -s "$NOTES" ] && cat "$NOTES"
if [ "${BK_BENCH_NO_SAVE:-0}" != 1 ]; then
	mkdir -p "$BK_ROOT/tests/bench/results"
	OUT="tests/bench/results/$(date -u +%Y-%m-%d)-$COMMIT.md"
	cp "$REPORT" "$BK_ROOT/$OUT"
	echo "bench: wrote $OUT (${ELAPSED} s)"
fi
