# tests/bench/stats.sh — the statistics section of `make bench` (bash,
# sourced by tests/bench/run.sh after its helpers: T, RAW, RUNS, BUILD,
# BK_ROOT, note, quiet_wait). Measures, asserts nothing.
#
#   1. tools/bk-synth (built here against the build's libraries: the
#      Makefile does not build tools/) writes a year of synthetic data for
#      BK_BENCH_STATS_N establishments (default 1000) into an archive
#      through the archive's own functions: registry, hourly recorded-video
#      minutes into the rollups, outages, alerts and their handling. The
#      archive is kept under BUILD/bench/ and reused while the generator,
#      the statistics code and N are unchanged (its name carries their hash).
#   2. `bk-synth --bench` times each coverage and alert statistics query
#      (archive_coverage, _coverage_detail, _alerts, _alert_stats by every
#      grouping, _year_report) in one process on that archive, opened
#      read-only like bkctl, RUNS times each: raw lines "stats query=… ms=…".
#      The aim: under 200 ms each.
#
# Raw lines: statsgen (once, when generated), stats (one per query and run).

STATS_N=${BK_BENCH_STATS_N:-1000}

# The synthetic year's archive (generated, or reused while generator,
# statistics code and N are unchanged): its path in STATS_DB; 1 when it
# cannot be made. The platforms section reads it too (platforms.sh).
stats_archive() {
	local synth="$BK_ROOT/$BUILD/bench/bk-synth" key db t0 line
	local libs=("$BK_ROOT/$BUILD/lib/libbkcloud.a" "$BK_ROOT/$BUILD/lib/libbkcommon.a")
	for f in "${libs[@]}"; do
		[ -f "$f" ] || { note "stats: $f not built: no statistics figures"; return 1; }
	done
	# shellcheck disable=SC2046 # pkg-config prints several words on purpose
	cc -I"$BK_ROOT/common" -I"$BK_ROOT/cloud" $(pkg-config --cflags glib-2.0 libcjson sqlite3) \
		-O2 -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$synth" "$BK_ROOT/tools/bk-synth.c" \
		"${libs[@]}" $(pkg-config --libs glib-2.0 gstreamer-1.0 libcjson sqlite3 libmodbus libcrypto) \
		-lpaho-mqtt3as -lm || { note "stats: cannot build tools/bk-synth.c"; return 1; }
	key=$(cat "$BK_ROOT/tools/bk-synth.c" "$BK_ROOT/cloud/archive_stats.c" | sha256sum | cut -c1-12)
	db="$BK_ROOT/$BUILD/bench/stats-$STATS_N-$key.db"
	if [ ! -f "$db" ]; then
		rm -f "$BK_ROOT/$BUILD/bench"/stats-*.db*
		t0=$(date +%s.%N)
		line=$("$synth" "$db.tmp" "$STATS_N") || {
			note "stats: bk-synth failed"
			rm -f "$db.tmp"*
			return 1
		}
		mv "$db.tmp" "$db" && rm -f "$db.tmp"*
		echo "# $line" >&2
		echo "statsgen establishments=$STATS_N seconds=$(minus "$(date +%s.%N)" "$t0")" \
			"bytes=$(stat -c %s "$db")" >>"$RAW"
		note "stats: ${line#bk-synth: }"
	else
		echo "# stats: reusing $db" >&2
		echo "statsgen establishments=$STATS_N seconds=reused bytes=$(stat -c %s "$db")" >>"$RAW"
	fi
	STATS_DB=$db
}

bench_stats() {
	local synth="$BK_ROOT/$BUILD/bench/bk-synth"
	[ -n "${STATS_DB:-}" ] || stats_archive || return 1
	local db=$STATS_DB
	quiet_wait "statistics queries"
	"$synth" --bench "$db" "$RUNS" >>"$RAW" || note "stats: bk-synth --bench failed"
	echo "# stats: $(grep -c '^stats ' "$RAW") query runs" >&2
}
