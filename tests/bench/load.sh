# tests/bench/load.sh — the load sections of `make bench` (bash, sourced by
# tests/bench/run.sh after its helpers: T, RAW, RUNS, BUILD, BK_ROOT, PY,
# note, quiet_wait, bench_stop, minus). Measures, asserts nothing.
#
#   ingest     bk-loadgen boxes (own TLS connection and certificate each)
#              send readings at a fixed offered rate; the collector's
#              archived-and-acked rate (bk-loadgen: acks / first generated to
#              last acked) next to a plain Paho subscriber (bench_sub count,
#              no archive) on the same broker in the same run: their ratio.
#   latency    real bk-edge boxes bound to an establishment, a fridge whose
#              script crosses 8 °C every 4 s (rule duration 0): from the
#              breach (the event's start, the first sample over the limit)
#              to the alert at a regulator's subscriber (bench_sub alerts),
#              p50 and p99; idle, then with bk-loadgen offering each of
#              BK_BENCH_LATENCY_LOADS msg/s ("2000 10000") in the background.
#   conns      BK_BENCH_CONNS (1,000) bk-loadgen boxes connected, status and
#              one reading every 10 s each; the collector's and the broker's
#              CPU (% of one core) and RSS over a minute once all are in.
#   footprint  bk-edge with 2 fake RTSP cameras and 8 simulated sensors,
#              connected, for BK_BENCH_FOOTPRINT_S (300) s: CPU and RSS per
#              minute (each minute one sample of the median and spread).
#   drain      an hour offline, compressed: a box with 8 sensors fills its
#              outbox as an hour at the default settings would (360 reading
#              messages of 80 samples; and 3,600 of 8 with 1 s batches),
#              then meets the broker: time until the collector has acked all.
#
# Raw lines: ingest, latency, conns, footprint, drain.

LOADGEN="$BK_ROOT/$BUILD/bin/bk-loadgen"
BENCH_SUB="$BK_ROOT/$BUILD/bench/bench_sub"
LOAD_SIZES=${BK_BENCH_LOAD_SIZES:-"10:200 100:50 100:100"} # BOXES:MSG/S PER BOX
LOAD_SECONDS=${BK_BENCH_LOAD_SECONDS:-15}
LATENCY_LOADS=${BK_BENCH_LATENCY_LOADS:-"2000 10000"} # background msg/s besides idle
LATENCY_SECONDS=${BK_BENCH_LATENCY_SECONDS:-40}
CONNS=${BK_BENCH_CONNS:-1000}
FOOTPRINT_S=${BK_BENCH_FOOTPRINT_S:-300}
LG_PREFIX=box-lg-

# load_pki N: certificates for N loadgen boxes plus the services (svc-col-K:
# pgingest's collectors), kept in
# BUILD/bench/pki-load (reused: issuing 1,000 takes half a minute).
load_pki() {
	local dir="$BK_ROOT/$BUILD/bench/pki-load" i ids=()
	for i in $(seq 1 "$1"); do ids+=("$(printf '%s%04d' "$LG_PREFIX" "$i")"); done
	if [ ! -f "$dir/ca.crt" ]; then
		"$BK_ROOT/tools/bk-pki" init "$dir" >/dev/null || return 1
	fi
	bk_pki_use "$dir" svc-collector svc-bench reg-bench box-lat-1 box-lat-2 box-lat-3 box-lat-4 \
		box-foot box-drain svc-col-1 svc-col-2 svc-col-3 "${ids[@]}"
}

# load_centre [ACL ARGS...]: a fresh broker and collector in $T, and no
# box state left from an earlier run (an outbox would replay its events).
load_centre() {
	rm -rf "$T/broker" "$T"/collector.* "$T"/*.log "$T"/box-lat-* "$T"/box-foot* "$T"/box-drain*
	BK_PORT=
	bk_broker_start --service svc-bench --regulator reg-bench:330106 "$@" || return 1
	bk_collector_start || { note "load: the collector did not start"; return 1; }
}

load_stop() {
	local name
	for name in "${!BK_PIDS[@]}"; do
		[ "$name" = broker ] || bench_stop "$name"
	done
	bench_stop broker
}

# sub_args ID: URI CA CERT KEY for bench_sub.
sub_args() {
	echo "ssl://127.0.0.1:$BK_PORT $BK_PKI/ca.crt $BK_PKI/$1.crt $BK_PKI/$1.key"
}

# json_get JSON KEY...: the keys' values, space-separated.
json_get() {
	local json=$1
	shift
	$BK_PY -c 'import json, sys; d = json.loads(sys.argv[1]); print(" ".join(str(d.get(k, "nan")) for k in sys.argv[2:]))' "$json" "$@"
}

# --- ingest ------------------------------------------------------------------

ingest_run() {
	local run=$1 boxes=$2 rate=$3 out plain c0 c1 b0 b1 lg
	quiet_wait "ingest run $run, $boxes boxes × $rate msg/s"
	load_centre || return 1
	# shellcheck disable=SC2046 # sub_args prints four words
	bk_bg plain "$BENCH_SUB" count $(sub_args svc-bench) 'bk/v1/box/+/reading' 0 $((LOAD_SECONDS + 90))
	wait_until 10 grep -q subscribed "$T/plain.log" || { note "ingest: plain subscriber did not connect"; return 1; }
	c0=$($PY ticks "$(bk_pid collector)")
	b0=$($PY ticks "$(bk_pid broker)")
	out=$("$LOADGEN" --uri "ssl://127.0.0.1:$BK_PORT" --pki "$BK_PKI" --boxes "$boxes" \
		--rate "$rate" --duration "$LOAD_SECONDS" --window 2000 --drain 60 2>"$T/loadgen.err")
	c1=$($PY ticks "$(bk_pid collector)")
	b1=$($PY ticks "$(bk_pid broker)")
	sleep 1
	kill -TERM "$(bk_pid plain)" 2>/dev/null
	wait "$(bk_pid plain)" 2>/dev/null
	unset "BK_PIDS[plain]"
	plain=$(grep -o 'rate=[0-9.]*' "$T/plain.log" | tail -1 | cut -d= -f2)
	lg=$(json_get "$out" ack_rate acked generated latency_p50_ms latency_p99_ms resends)
	read -r ack_rate acked generated p50 p99 resends <<<"$lg"
	echo "ingest run=$run boxes=$boxes rate=$rate offered=$((boxes * rate)) collector=$ack_rate plain=${plain:-nan}" \
		"acked=$acked generated=$generated p50_ms=$p50 p99_ms=$p99 resends=$resends" \
		"cpu_collector=$(minus "$c1" "$c0") cpu_broker=$(minus "$b1" "$b0")" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	load_stop
}

bench_ingest() {
	local run size
	load_pki 100 || { note "ingest: cannot make the certificates"; return 1; }
	for run in $(seq 1 "$RUNS"); do
		for size in $LOAD_SIZES; do
			[ "$(left)" -lt 90 ] && { note "ingest run $run $size: skipped, time budget spent"; continue; }
			ingest_run "$run" "${size%%:*}" "${size#*:}" || { note "ingest run $run $size failed"; load_stop; }
		done
	done
}

# --- latency -----------------------------------------------------------------

latency_boxes() {
	local i
	cat >"$T/breach.csv" <<'CSV'
0,4
2,12
4,4
CSV
	{
		echo "licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires"
		echo "JY13301060099999,基准测试食堂,school_canteen,330106,文三路 1 号,300,500,00:00-24:00,2030-01-01"
	} >"$T/est.csv"
	{
		echo "box,licence,provisioned"
		for i in 1 2 3 4; do echo "box-lat-$i,JY13301060099999,2026-11-25"; done
	} >"$T/boxes.csv"
	"$BK_BIN/bkctl" --db "$T/collector.db" registry import establishments "$T/est.csv" >/dev/null &&
		"$BK_BIN/bkctl" --db "$T/collector.db" registry import boxes "$T/boxes.csv" >/dev/null || return 1
	for i in 1 2 3 4; do
		bk_edge_start "box-lat-$i" "$(printf '[sensor probe]\nkind = fridge\nzone = 冷藏间\ndriver = sim\nsim_csv = %s\nsim_loop = true\nperiod = 100ms\nduration = 0s\nstuck_after = 0\n' "$T/breach.csv")" ||
			return 1
	done
}

latency_run() {
	local run=$1 load=$2 out bg=nan lgpid
	quiet_wait "latency run $run ($load)"
	load_centre || return 1
	if [ "$load" != idle ]; then
		# 100 boxes at load/100 msg/s each, for the whole measurement and its start
		bk_bg loadgen "$LOADGEN" --uri "ssl://127.0.0.1:$BK_PORT" --pki "$BK_PKI" --boxes 100 \
			--rate "$((load / 100))" --duration "$((LATENCY_SECONDS + 15))" --window 2000 --drain 5
		lgpid=$(bk_pid loadgen)
		wait_until 30 grep -q "100/100 connected" "$T/loadgen.log"
	fi
	latency_boxes || { note "latency: boxes did not start"; return 1; }
	# shellcheck disable=SC2046
	out=$("$BENCH_SUB" alerts $(sub_args reg-bench) 'bk/v1/alert/#' 100000 "$LATENCY_SECONDS" 2>/dev/null)
	if [ -n "${lgpid:-}" ]; then
		wait "$lgpid" 2>/dev/null
		unset "BK_PIDS[loadgen]"
		bg=$(json_get "$(grep '^{' "$T/loadgen.log" | tail -1)" acked_per_s)
	fi
	echo "latency run=$run load=$load background=$bg $out" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	load_stop
}

bench_latency() {
	local run load
	load_pki 100 || return 1
	for run in $(seq 1 "$RUNS"); do
		[ "$(left)" -lt $((3 * LATENCY_SECONDS + 90)) ] && { note "latency run $run: skipped, time budget spent"; continue; }
		latency_run "$run" idle || { note "latency run $run (idle) failed"; load_stop; }
		for load in $LATENCY_LOADS; do
			latency_run "$run" "$load" || { note "latency run $run ($load msg/s) failed"; load_stop; }
		done
	done
}

# --- connections -------------------------------------------------------------

bench_conns() {
	local out c0 c1 b0 b1 p_coll p_broker lgpid t0 t1
	load_pki "$CONNS" || { note "conns: cannot make the certificates"; return 1; }
	quiet_wait "connections"
	ulimit -n 8192 2>/dev/null || note "conns: cannot raise the open-files limit (ulimit -n $(ulimit -n))"
	load_centre || return 1
	bk_bg loadgen "$LOADGEN" --uri "ssl://127.0.0.1:$BK_PORT" --pki "$BK_PKI" --boxes "$CONNS" \
		--rate 0.1 --duration 90 --connect-rate 200 --drain 20
	lgpid=$(bk_pid loadgen)
	wait_until 60 grep -q "$CONNS/$CONNS connected" "$T/loadgen.log" ||
		note "conns: not all $CONNS boxes connected within 60 s: $(grep connected "$T/loadgen.log" | tail -1)"
	sleep 15 # every box has published its status and first readings
	t0=$(date +%s.%N)
	c0=$($PY ticks "$(bk_pid collector)")
	b0=$($PY ticks "$(bk_pid broker)")
	sleep 60
	c1=$($PY ticks "$(bk_pid collector)")
	b1=$($PY ticks "$(bk_pid broker)")
	t1=$(date +%s.%N)
	p_coll=$($PY proc "$(bk_pid collector)")
	p_broker=$($PY proc "$(bk_pid broker)")
	wait "$lgpid" 2>/dev/null
	unset "BK_PIDS[loadgen]"
	out=$(grep '^{' "$T/loadgen.log" | tail -1)
	echo "conns boxes=$CONNS $(json_get "$out" connected connect_s acked generated | awk '{ printf "connected=%s connect_s=%s acked=%s generated=%s", $1, $2, $3, $4 }')" \
		"wall_s=$(minus "$t1" "$t0") cpu_collector=$(minus "$c1" "$c0") cpu_broker=$(minus "$b1" "$b0")" \
		"collector_$(tr ' ' '\n' <<<"$p_coll" | grep -E '^(rss_kb|hwm_kb)=' | paste -sd' ' | sed 's/ / collector_/')" \
		"broker_$(tr ' ' '\n' <<<"$p_broker" | grep -E '^(rss_kb|hwm_kb)=' | paste -sd' ' | sed 's/ / broker_/')" \
		>>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	load_stop
}

# --- footprint ---------------------------------------------------------------

bench_footprint() {
	local i port extra="" pid t c0 c1 p w
	load_pki 1 || return 1
	quiet_wait "edge footprint"
	load_centre || return 1
	for i in 1 2; do
		port=$(free_port)
		bk_bg "foot-cam$i" "$BK_ROOT/$BUILD/tests/tools/fake-camera" --port "$port" --codec h264 \
			--width 1280 --height 720 --fps 25 --bitrate 2000
		wait_until 10 grep -q "listening on rtsp://127.0.0.1:$port/stream" "$T/foot-cam$i.log" ||
			{ note "footprint: fake camera $i did not start"; return 1; }
		extra+=$(printf '\n[camera cam-%s]\nsource = rtsp://127.0.0.1:%s/stream\n' "$i" "$port")
	done
	for i in 1 2 3 4 5 6; do
		extra+=$(printf '\n[sensor s%s]\nkind = fridge\ndriver = sim\nperiod = 1s\nsim_base = 4\n' "$i")
	done
	# with bk_edge_conf's fridge-1 and freezer-1: 8 sensors
	bk_edge_start box-foot "$extra" || { note "footprint: bk-edge did not start"; return 1; }
	pid=$(bk_pid box-foot)
	wait_until 30 bk_at_least 1 bk_sql "$T/box-foot/outbox.db" "SELECT count(*) FROM segments" ||
		note "footprint: no segment recorded within 30 s"
	for ((t = 0; t < FOOTPRINT_S; t += 60)); do
		w=$((FOOTPRINT_S - t < 60 ? FOOTPRINT_S - t : 60))
		c0=$($PY ticks "$pid")
		sleep "$w"
		c1=$($PY ticks "$pid")
		p=$($PY proc "$pid")
		echo "footprint window=$((t / 60 + 1)) seconds=$w cpu_s=$(minus "$c1" "$c0") $p" >>"$RAW"
		echo "# $(tail -1 "$RAW")" >&2
	done
	load_stop
}

# --- drain -------------------------------------------------------------------

# drain_conf SENSORS BATCH_MS PORT: box-drain's configuration into
# $T/box-drain.conf: SENSORS (0 or 8) simulated fridges sampling every 10 ms,
# 3,600 samples each, readings batched every BATCH_MS.
drain_conf() {
	local i
	{
		printf '[box]\nid = box-drain\nstate_dir = %s/box-drain\nstatus_period = 30s\n' "$T"
		printf 'reading_batch = %sms\n\n' "$2"
		BK_PORT=$3 bk_mqtt_group box-drain 10s 2s
		for ((i = 1; i <= $1; i++)); do
			printf '\n[sensor d%s]\nkind = fridge\ndriver = sim\nperiod = 10ms\nsim_base = 4\nsim_samples = 3600\nstuck_after = 0\n' "$i"
		done
	} >"$T/box-drain.conf"
}

drain_empty() {
	[ "$(bk_sql "$T/box-drain/outbox.db" "SELECT count(*) FROM outbox" 2>/dev/null)" = 0 ]
}

# drain_run RUN BATCH_MS: fill box-drain's outbox offline with an hour's
# worth (8 sensors, 3,600 samples each, batched as BATCH_MS would batch an
# hour at 1 Hz: sampling and batches 100 times faster, so 36 s), then start
# it again without sensors, connected, and time until the collector has
# acked every row.
drain_run() {
	local run=$1 batch=$2 t0 t1 issued
	quiet_wait "drain run $run (batch $batch ms)"
	load_centre || return 1
	rm -rf "$T/box-drain"
	mkdir -p "$T/box-drain"
	drain_conf 8 "$((batch / 100))" "$(free_port)"
	bk_bg box-drain-offline "$BK_BIN/bk-edge" -c "$T/box-drain.conf"
	sleep 40
	bench_stop box-drain-offline
	issued=$(bk_sql "$T/box-drain/outbox.db" "SELECT count(*) FROM outbox")
	drain_conf 0 "$((batch / 100))" "$BK_PORT"
	t0=$(date +%s.%N)
	bk_bg box-drain "$BK_BIN/bk-edge" -c "$T/box-drain.conf"
	wait_until 600 drain_empty ||
		note "drain run $run (batch $batch ms): not drained in 600 s"
	t1=$(date +%s.%N)
	echo "drain run=$run batch_ms=$batch messages=$issued seconds=$(minus "$t1" "$t0")" \
		"archived=$(bk_archived "$T/collector.db" box-drain)" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	load_stop
}

bench_drain() {
	local run
	load_pki 1 || return 1
	for run in $(seq 1 "$RUNS"); do
		[ "$(left)" -lt 150 ] && { note "drain run $run: skipped, time budget spent"; continue; }
		drain_run "$run" 10000 || { note "drain run $run failed"; load_stop; }
		drain_run "$run" 1000 || { note "drain run $run failed"; load_stop; }
	done
}
