# tests/bench/pgingest.sh — the pgingest section of `make bench` (bash,
# sourced by tests/bench/run.sh after load.sh: T, RAW, RUNS, BUILD, BK_ROOT,
# PY, note, quiet_wait, bench_stop, minus, left, load_pki, load_stop,
# sub_args, json_get, LOADGEN, BENCH_SUB, LOAD_SECONDS). Measures, asserts
# nothing.
#
# Ingest into one PostgreSQL archive by 1, 2 and 3 collectors of one share
# group (the default), next to a plain Paho subscriber (bench_sub count, no
# archive) on the same broker in the same run, as the ingest section does
# with one collector on SQLite. One throw-away server for the section
# (tests/lib/pg.sh); for each run and collector count: a fresh database, a
# fresh broker whose ACL lets svc-col-1..N in, N collectors (own id and clip
# store, `archive = URI`), the plain subscriber, then bk-loadgen offering a
# fixed load for PG_SECONDS.
#
# Environment: BK_BENCH_PG_LOAD (BOXES:MSG/S PER BOX, default "100:50", 5,000
# msg/s), BK_BENCH_PG_SECONDS (sending time, default BK_BENCH_LOAD_SECONDS,
# 15), BK_BENCH_PG_DRAIN (bk-loadgen's wait for the last acks, 60 s),
# BK_BENCH_PG_COLLECTORS ("1 2 3"; at most 3: load_pki issues svc-col-1..3).
# Raw lines: pgingest (one per run and collector count). CPU seconds are
# taken over bk-loadgen's run (connect, send, drain): cpu_collectors is the
# collectors' sum, cpu_postgres the server's (postmaster, its live children
# and those it reaped), cpu_broker Mosquitto's; cpu0/cpu1 the machine's
# /proc/stat totals (bench.py cpustat) around it.

# shellcheck shell=bash disable=SC2178,SC2128 # pg.sh has a local array "run" too
source "$BK_ROOT/tests/lib/pg.sh"

PG_LOAD=${BK_BENCH_PG_LOAD:-"100:50"}
PG_SECONDS=${BK_BENCH_PG_SECONDS:-$LOAD_SECONDS}
PG_DRAIN=${BK_BENCH_PG_DRAIN:-60}
PG_ACK_TIMEOUT=5 # bk-loadgen's default: a box resends what is not acked within it
PG_COLLECTORS=${BK_BENCH_PG_COLLECTORS:-"1 2 3"}

# pg_postmaster: the server's postmaster pid (first line of postmaster.pid).
pg_postmaster() { head -1 "$BK_PG_DIR/data/postmaster.pid" 2>/dev/null; }

# pg_collector K DB: collector col-K (id svc-col-K, its own clip store) on
# the archive DB, started and connected.
pg_collector() {
	local k=$1 db=$2 conf
	conf=$(bk_collector_conf "col-$k" "svc-col-$k" "clips = $T/col-$k-clips")
	sed -i "s|^archive = .*|archive = $db|" "$conf"
	"$BK_BIN/bk-collector" -t -c "$conf" >/dev/null || return 1
	bk_bg "col-$k" "$BK_BIN/bk-collector" -c "$conf"
	wait_until 15 grep -q "connected to" "$T/col-$k.log"
}

# pgingest_run RUN N BOXES RATE: one measurement; appends a pgingest line.
pgingest_run() {
	local run=$1 n=$2 boxes=$3 rate=$4 db name k ids=() pids=() out plain plain_n lg
	local c0 c1 p0 p1 b0 b1 s0 s1 w0 w1 archived dups d ack_rate acked generated p50 p99 resends
	quiet_wait "pgingest run $run, $n collector(s)"
	name="bk_r${run}_c$n"
	PGOPTIONS='-c client_min_messages=warning' psql -qAtX "$BK_PG_URI/postgres" \
		-c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null ||
		{ note "pgingest: cannot create database $name"; return 1; }
	db=$BK_PG_URI/$name
	rm -rf "$T/broker" "$T"/col-* "$T"/*.log
	for ((k = 1; k <= n; k++)); do ids+=(--service "svc-col-$k"); done
	BK_PORT=
	bk_broker_start --service svc-bench "${ids[@]}" || return 1
	# one after the other: the first creates the schema
	for ((k = 1; k <= n; k++)); do
		pg_collector "$k" "$db" || { note "pgingest: collector $k of $n did not start"; return 1; }
		pids+=("$(bk_pid "col-$k")")
	done
	# shellcheck disable=SC2046 # sub_args prints four words
	bk_bg plain "$BENCH_SUB" count $(sub_args svc-bench) 'bk/v1/box/+/reading' 0 $((PG_SECONDS + PG_DRAIN + 90))
	wait_until 10 grep -q subscribed "$T/plain.log" || { note "pgingest: plain subscriber did not connect"; return 1; }
	c0=$($PY ticks "${pids[@]}")
	p0=$($PY tree "$(pg_postmaster)")
	b0=$($PY ticks "$(bk_pid broker)")
	s0=$($PY cpustat | tr ' ' ,)
	w0=$(date +%s.%N)
	out=$("$LOADGEN" --uri "ssl://127.0.0.1:$BK_PORT" --pki "$BK_PKI" --boxes "$boxes" \
		--rate "$rate" --duration "$PG_SECONDS" --window 2000 --ack-timeout "$PG_ACK_TIMEOUT" --drain "$PG_DRAIN" 2>"$T/loadgen.err")
	w1=$(date +%s.%N)
	s1=$($PY cpustat | tr ' ' ,)
	c1=$($PY ticks "${pids[@]}")
	p1=$($PY tree "$(pg_postmaster)")
	b1=$($PY ticks "$(bk_pid broker)")
	sleep 1
	kill -TERM "$(bk_pid plain)" 2>/dev/null
	wait "$(bk_pid plain)" 2>/dev/null
	unset "BK_PIDS[plain]"
	plain=$(grep -o 'rate=[0-9.]*' "$T/plain.log" | tail -1 | cut -d= -f2)
	plain_n=$(grep -o 'count=[0-9]*' "$T/plain.log" | tail -1 | cut -d= -f2)
	lg=$(json_get "$out" ack_rate acked generated latency_p50_ms latency_p99_ms resends)
	read -r ack_rate acked generated p50 p99 resends <<<"$lg"
	# the collectors' last stats line (logged on exit): duplicates they archived-as-duplicate
	for ((k = 1; k <= n; k++)); do bench_stop "col-$k"; done
	dups=0
	for ((k = 1; k <= n; k++)); do
		d=$(grep -h " received " "$T/col-$k.log" | tail -1 | sed -n 's/.*duplicates \([0-9]*\).*/\1/p')
		dups=$((dups + ${d:-0}))
	done
	archived=$(psql -qAtX "$db" -c "SELECT count(*) FROM messages" 2>/dev/null)
	echo "pgingest run=$run collectors=$n boxes=$boxes rate=$rate offered=$((boxes * rate))" \
		"collector=${ack_rate:-nan} plain=${plain:-nan} plain_count=${plain_n:-nan}" \
		"acked=${acked:-nan} generated=${generated:-nan} p50_ms=${p50:-nan} p99_ms=${p99:-nan}" \
		"resends=${resends:-nan} ack_timeout_s=$PG_ACK_TIMEOUT duplicates=$dups archived=${archived:-nan}" \
		"cpu_collectors=$(minus "$c1" "$c0") cpu_postgres=$(minus "$p1" "$p0")" \
		"cpu_broker=$(minus "$b1" "$b0") wall_s=$(minus "$w1" "$w0")" \
		"cpu0=$s0 cpu1=$s1 cores=$(nproc)" >>"$RAW"
	echo "# $(tail -1 "$RAW")" >&2
	if [ "${BK_KEEP:-0}" = 1 ]; then
		mkdir -p "$T/logs/pgingest-run$run-c$n"
		cp "$T"/*.log "$T/loadgen.err" "$T/logs/pgingest-run$run-c$n/" 2>/dev/null
	fi
	load_stop
	psql -qAtX "$BK_PG_URI/postgres" -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1
	return 0
}

bench_pgingest() {
	local run n boxes=${PG_LOAD%%:*} rate=${PG_LOAD#*:} need
	load_pki "$boxes" || { note "pgingest: cannot make the certificates"; return 1; }
	bk_pg_start || { note "pgingest: no PostgreSQL server (tests/lib/pg.sh): section skipped"; return 1; }
	trap 'bk_cleanup; bk_pg_stop' EXIT
	echo "# pgingest: PostgreSQL $(psql -qAtX "$BK_PG_URI/postgres" -c 'SHOW server_version') at $BK_PG_URI ($BK_PG_DIR)" >&2
	need=$((PG_SECONDS + PG_DRAIN + 30))
	# runs outermost: a slow minute on the machine spreads over every count
	for run in $(seq 1 "$RUNS"); do
		for n in $PG_COLLECTORS; do
			[ "$(left)" -lt "$need" ] && { note "pgingest run $run, $n collector(s): skipped, time budget spent"; continue; }
			pgingest_run "$run" "$n" "$boxes" "$rate" ||
				{ note "pgingest run $run, $n collector(s) failed"; load_stop; }
		done
	done
	bk_pg_stop
	trap bk_cleanup EXIT
}
