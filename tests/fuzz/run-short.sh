#!/bin/bash
# tests/fuzz/run-short.sh — the short fuzz run of `make test`: builds the
# libFuzzer targets (only what changed) and runs each for BK_FUZZ_SECONDS
# (30) over its seed corpus, all at once, printing one TAP line per target.
#
# New corpus entries go to a scratch directory, deleted at the end; a crash
# leaves its reproducer in build-fuzz/crashes/<target>/ and prints the first
# lines of the report. Replay one with: build-fuzz/bin/<target> <reproducer>.
# clang or libFuzzer missing is a failure, never a skip.
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/lib.sh
seconds=${BK_FUZZ_SECONDS:-30}

if ! why=$(fuzz_toolchain); then
	echo "not ok 1 - fuzz toolchain: $why"
	echo "1..1"
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bk-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
if ! fuzz_build "$scratch/build.log"; then
	echo "not ok 1 - build the fuzzers (make fuzzers)"
	tail -n 20 "$scratch/build.log" | sed 's/^/# /'
	echo "1..1"
	exit 1
fi

targets=($(fuzz_targets))
pids=()
for t in "${targets[@]}"; do
	fuzz_run "$t" "$seconds" "$scratch/$t" "$scratch/$t.log" &
	pids+=($!)
done

n=0
failed=0
for i in "${!targets[@]}"; do
	t=${targets[$i]}
	log=$scratch/$t.log
	wait "${pids[$i]}"
	rc=$?
	n=$((n + 1))
	execs=$(fuzz_stat "$log" execs)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $t: ${execs:-?} runs, cov $(fuzz_stat "$log" cov), no crash"
		continue
	fi
	failed=$((failed + 1))
	repro=$(fuzz_stat "$log" reproducer)
	echo "not ok $n - $t: exit status $rc after ${execs:-?} runs, reproducer ${repro:-none written}"
	report=$(fuzz_report "$log")
	if [ -n "$report" ]; then
		echo "$report" | sed 's/^/# /'
	else
		tail -n 15 "$log" | sed 's/^/# /'
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
