# tests/fuzz/lib.sh — shared by run-short.sh and run-long.sh (sourced, from
# the repository root): check the toolchain, build the fuzzers, run one and
# read its statistics.
#
#   fuzz_targets                      names of tests/fuzz/fuzz_*.c
#   fuzz_toolchain                    0, or why clang/libFuzzer cannot work
#   fuzz_build LOG                    make fuzzers (only what changed)
#   fuzz_run TARGET SECONDS NEW LOG   fuzz from NEW (written) + the seeds
#   fuzz_stat LOG NAME                a final statistic (execs, exec_s, cov, ft,
#                                     corp, reproducer)
#   fuzz_report LOG                   the first lines of a crash report

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SEEDS=${FUZZ_SEEDS:-tests/fuzz/corpus} # of <target>/ directories

fuzz_targets() {
	local src
	for src in tests/fuzz/fuzz_*.c; do
		[ -e "$src" ] && basename "$src" .c
	done
}

# libFuzzer ships apart from clang on Debian (libclang-rt-14-dev): link a
# trivial target to know, rather than fail later with a linker riddle.
fuzz_toolchain() {
	local tmp
	if ! command -v "$FUZZ_CC" >/dev/null; then
		echo "$FUZZ_CC not found (tools/install-deps installs it)"
		return 1
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-fuzzcheck.XXXXXX")
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$tmp/t.c"
	if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >"$tmp/log" 2>&1; then
		echo "$FUZZ_CC cannot link a libFuzzer target (Debian: apt-get install libclang-rt-dev): $(head -c 300 "$tmp/log" | tr '\n' ' ')"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$tmp"
}

fuzz_build() {
	make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" FUZZ_BUILD="$FUZZ_BUILD" \
		FUZZ_CC="$FUZZ_CC" fuzzers >"$1" 2>&1
}

# Per-target options: the largest input worth trying and the dictionary.
fuzz_options() {
	local t=$1
	case "$t" in
	fuzz_timestamp) echo "-max_len=64" ;;
	fuzz_config) echo "-max_len=8192" ;;
	fuzz_detection) echo "-max_len=4200" ;;
	fuzz_topic) echo "-max_len=512" ;;
	fuzz_chunks) echo "-max_len=1024" ;;
	fuzz_address) echo "-max_len=2048" ;;
	*) echo "-max_len=16384" ;;
	esac
	[ -f "tests/fuzz/$t.dict" ] && echo "-dict=tests/fuzz/$t.dict"
}

fuzz_run() {
	local t=$1 seconds=$2 new=$3 log=$4
	mkdir -p "$new" "$FUZZ_BUILD/crashes/$t"
	# new units go to the first directory; the seeds are only read
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$FUZZ_BUILD/bin/$t" $(fuzz_options "$t") -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/crashes/$t/" \
		"$new" "$FUZZ_SEEDS/$t" >"$log" 2>&1
}

fuzz_stat() {
	local log=$1 what=$2 line
	case "$what" in
	execs) sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 ;;
	exec_s) sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 ;;
	reproducer) sed -n 's/.*Test unit written to //p' "$log" | tail -n 1 ;;
	cov | ft | corp)
		line=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -n 1)
		echo "$line" | sed -n "s/.* $what: \([^ ]*\).*/\1/p"
		;;
	esac
}

fuzz_report() {
	grep -m1 -n -E 'ERROR: |runtime error: |^fuzz_[a-z_]+: ' "$1" | cut -d: -f1 | {
		read -r first || exit 0
		tail -n +"$first" "$1" |
			grep -vE '^ +#[0-9]+ 0x.* in (fuzzer::|__sanitizer|__asan|__ubsan|__interceptor)|^ +To change' |
			sed 's/ (BuildId: [0-9a-f]*)//' | head -n 14
	}
}
