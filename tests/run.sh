#!/bin/bash
# tests/run.sh — run every test suite and count TAP results.
#
# Suites: cmocka unit tests (build/tests/test_*), the archive's unit tests
# again on a throw-away PostgreSQL (tests/lib/pg.sh), the schema check, then
# the integration scripts (tests/integration/NN-*.sh) in order, then the
# delivery fault tests (40–44), the live view (66), the HTTPS API and page
# (80) and the platform API (86) again with two collectors on one
# PostgreSQL archive (BK_ARCHIVE=pg, tests/lib/daemons.sh; only the first
# serves HTTPS). Each prints TAP lines; a suite that exits non-zero
# without a "not ok" line counts as one failure, so a crash is never
# silent. The last line is "N passed, N failed".
#
#   tests/run.sh              everything
#   tests/run.sh 20 30        only integration scripts whose name starts so
#   BK_ARCHIVE=pg tests/run.sh 40 80   the same on PostgreSQL with two collectors
set -u
cd "$(dirname "$0")/.."
BUILD=${BK_BUILD:-build}
export BK_BIN="$PWD/$BUILD/bin"
SUITE_TIMEOUT=${BK_SUITE_TIMEOUT:-600}
passed=0
failed=0
failed_suites=()
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/bk-run.XXXXXX")
source tests/lib/common.sh # free_port, BK_PY (it sets no trap until bk_tmpdir)
source tests/lib/pg.sh

run_suite() {
	local name=$1
	shift
	local out="$log_dir/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS rc p f
	CMOCKA_MESSAGE_OUTPUT=TAP timeout --kill-after=10 "$SUITE_TIMEOUT" "$@" >"$out" 2>&1
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-45s %4d passed %3d failed %4ds\n' "$name" "$p" "$f" $((SECONDS - start))
	if [ "$f" -gt 0 ]; then
		failed_suites+=("$name")
		grep -E '^not ok|^#' "$out" | head -40 | sed 's/^/    /'
		echo "    --- last lines of the suite's output:"
		tail -n 25 "$out" | sed 's/^/    /'
	fi
}

if [ $# -eq 0 ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
	done
	# the archive's own tests again, on a throw-away PostgreSQL
	if bk_pg_start; then
		trap bk_pg_stop EXIT
		export BK_TEST_PG=$BK_PG_URI
		for t in registry stats tasks platforms recordings; do
			run_suite "unit-pg/test_$t" "$BUILD/tests/test_$t"
		done
		unset BK_TEST_PG
		bk_pg_stop
		trap - EXIT
	else
		run_suite "unit-pg/start a PostgreSQL server" false
	fi
	run_suite "schema/examples" /usr/bin/python3 tests/schema/check.py examples
	run_suite "schema/built-messages" bash tests/schema/built.sh
	run_suite "fuzz/short" bash tests/fuzz/run-short.sh
fi
for t in tests/integration/[0-9][0-9]-*.sh; do
	if [ $# -gt 0 ]; then
		match=0
		for prefix in "$@"; do
			case "$(basename "$t")" in "$prefix"*) match=1 ;; esac
		done
		[ "$match" = 1 ] || continue
	fi
	run_suite "integration/$(basename "$t" .sh)" bash "$t"
done
# The delivery fault tests again with two collectors on one PostgreSQL
# archive, collector A killed mid-burst in each (BK_ARCHIVE=pg, see
# tests/lib/daemons.sh); the broker's outage shorter than on SQLite. Then
# the live view, the HTTPS API with the page, and the platform API, served
# by collector A on that archive while B shares the ingest.
if [ $# -eq 0 ]; then
	for t in tests/integration/4[0-4]-fault-*.sh; do
		run_suite "integration-pg/$(basename "$t" .sh)" env BK_ARCHIVE=pg BK_BROKER_DOWN_S=20 bash "$t"
	done
	for t in tests/integration/{66-live,80-web,86-platform-api}.sh; do
		run_suite "integration-pg/$(basename "$t" .sh)" env BK_ARCHIVE=pg bash "$t"
	done
fi

rm -rf "$log_dir"
[ ${#failed_suites[@]} -eq 0 ] || echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
