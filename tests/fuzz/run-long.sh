#!/bin/bash
# tests/fuzz/run-long.sh [SECONDS] — `make fuzz`: runs each libFuzzer target
# in turn for SECONDS (300), from its seeds plus the corpus kept from earlier
# runs in build-fuzz/corpus/<target>/ (outside the repository: copy an entry
# into tests/fuzz/corpus/<target>/ only when it is small and worth keeping).
# A target stops at its first crash; the reproducer is left in
# build-fuzz/crashes/<target>/. One summary line per target; the exit status
# is 1 when any target crashed.
set -u
cd "$(dirname "$0")/../.."
. tests/fuzz/lib.sh
seconds=${1:-300}

if ! why=$(fuzz_toolchain); then
	echo "fuzz: $why" >&2
	exit 1
fi
logs="$FUZZ_BUILD/logs"
mkdir -p "$logs"
if ! fuzz_build "$logs/build.log"; then
	echo "fuzz: cannot build the fuzzers:" >&2
	tail -n 20 "$logs/build.log" >&2
	exit 1
fi

targets=($(fuzz_targets))
failed=0
summary=()
for t in "${targets[@]}"; do
	log="$logs/$t.log"
	echo "fuzz: $t for ${seconds}s (log: $log)"
	fuzz_run "$t" "$seconds" "$FUZZ_BUILD/corpus/$t" "$log"
	rc=$?
	crashes=0
	repro=""
	if [ "$rc" -ne 0 ]; then
		crashes=1
		failed=1
		repro=$(fuzz_stat "$log" reproducer)
		fuzz_report "$log" | sed 's/^/    /'
	fi
	summary+=("$(printf '%-16s %10s execs %7s/s  cov %5s  ft %6s  corpus %-14s crashes %d%s' \
		"$t" "$(fuzz_stat "$log" execs)" "$(fuzz_stat "$log" exec_s)" "$(fuzz_stat "$log" cov)" \
		"$(fuzz_stat "$log" ft)" "$(fuzz_stat "$log" corp)" "$crashes" \
		"${repro:+  reproducer $repro}")")
done
echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit "$failed"
