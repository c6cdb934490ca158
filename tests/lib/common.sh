# tests/lib/common.sh — shared helpers for integration scripts (bash, sourced).
#
# Every script prints TAP lines ("ok N - what" / "not ok N - what") that
# tests/run.sh counts, and ends with bk_done. Processes started with bk_bg and
# the temporary directory are cleaned up on any exit, even a failed one.
# Set BK_KEEP=1 to keep the temporary directory for a post-mortem.

set -u

BK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BK_BIN=${BK_BIN:-$BK_ROOT/build/bin}
BK_PY=/usr/bin/python3  # Debian's python: the one that has python3-jsonschema
declare -A BK_PIDS=()
BK_N=0
BK_FAILED=0

bk_cleanup() {
	local name
	exec 2>/dev/null # no "Killed" notices for the processes we stop here
	for name in "${!BK_PIDS[@]}"; do
		kill -9 "${BK_PIDS[$name]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ "${BK_KEEP:-0}" = 1 ]; then
			echo "# kept $T"
		else
			rm -rf "$T"
		fi
	fi
}

# bk_tmpdir: make $T, a fresh directory removed on exit.
bk_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/bk-test.XXXXXX")
	trap bk_cleanup EXIT
	trap 'exit 130' INT TERM
}

# free_port: print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$BK_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bk_bg NAME CMD...: run CMD in the background, output in $T/NAME.log.
bk_bg() {
	local name=$1
	shift
	"$@" >>"$T/$name.log" 2>&1 &
	BK_PIDS[$name]=$!
}

bk_pid() { echo "${BK_PIDS[$1]:-}"; }

# bk_stop NAME [SIGNAL]: signal a process started with bk_bg and wait for it.
bk_stop() {
	local pid=${BK_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "BK_PIDS[$1]"
	return 0
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s; false when time runs out.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ok DESC CMD...: one TAP line for whether CMD succeeds. What CMD prints is
# shown as TAP comments, so a nested TAP producer is not counted twice.
ok() {
	local desc=$1 rc
	shift
	BK_N=$((BK_N + 1))
	# a file, not a pipe: daemons started by CMD must not hold it open
	"$@" >"${T:-/tmp}/.ok-output" 2>&1
	rc=$?
	sed 's/^/# /' "${T:-/tmp}/.ok-output"
	if [ "$rc" -eq 0 ]; then
		echo "ok $BK_N - $desc"
	else
		echo "not ok $BK_N - $desc"
		BK_FAILED=$((BK_FAILED + 1))
	fi
}

# is DESC GOT WANT: one TAP line comparing two strings, both shown on failure.
is() {
	BK_N=$((BK_N + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $BK_N - $1"
	else
		echo "not ok $BK_N - $1 (got '$2', want '$3')"
		BK_FAILED=$((BK_FAILED + 1))
	fi
}

# bk_done: close the TAP plan; the exit status says whether all passed.
# A sanitizer report in any process's log is a failure too (make asan).
bk_done() {
	local reports
	reports=$(grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log 2>/dev/null)
	ok "no sanitizer reports in the logs${reports:+: $reports}" test -z "$reports"
	echo "1..$BK_N"
	[ "$BK_FAILED" -eq 0 ]
}
