#!/bin/bash
# Every message the C builders produce, checked by the independent JSON
# Schema validator: test_message writes them as "topic<TAB>payload" lines.
set -u
build=${BK_BUILD:-build}
capture=$(mktemp "${TMPDIR:-/tmp}/bk-built.XXXXXX")
trap 'rm -f "$capture"' EXIT
for t in test_message test_manifest; do
	BK_CAPTURE=$capture "$build/tests/$t" >/dev/null 2>&1 || { echo "not ok 1 - $t failed"; exit 1; }
done
exec /usr/bin/python3 "$(dirname "$0")/check.py" captured "$capture"
