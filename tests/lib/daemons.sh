# tests/lib/daemons.sh — configs and start-up of the real daemons for
# integration scripts (sourced after common.sh and broker.sh).
#
#   bk_archive [NAME]                                  BK_DB before any collector starts
#   bk_collector_start [NAME [ID [EXTRA-INI-LINES]]]   archive in $T/NAME.db (BK_DB)
#   bk_collector_fault                                 BK_ARCHIVE=pg: kill -9 collector A, restart
#   bk_https_collector REG_ID TOKEN [EXTRA]             the same with the HTTPS API
#   bk_edge_start ID [EXTRA-INI-LINES]                 state in $T/ID/
#   bk_sql DB SQL                                      sqlite3, read-only, busy-tolerant
#                                                      (psql when DB is a PostgreSQL URI)

# bk_mqtt_group ID KEEPALIVE RECONNECT_MAX: the [mqtt] group for identity ID.
bk_mqtt_group() {
	printf '[mqtt]\nuri = ssl://127.0.0.1:%s\nca = %s/ca.crt\ncert = %s/%s.crt\nkey = %s/%s.key\nkeepalive = %s\nreconnect_max = %s\n' \
		"$BK_PORT" "$BK_PKI" "$BK_PKI" "$1" "$BK_PKI" "$1" "$2" "$3"
}

# bk_collector_conf NAME ID [EXTRA]: write $T/NAME.conf and print its path.
bk_collector_conf() {
	local name=${1:-collector} id=${2:-svc-collector} extra=${3:-}
	cat >"$T/$name.conf" <<CONF
[collector]
id = $id
archive = $T/$name.db
log_level = info
stats_period = 5s
$extra

$(bk_mqtt_group "$id" 10s 2s)
CONF
	echo "$T/$name.conf"
}

source "$BK_ROOT/tests/lib/pg.sh"

# BK_ARCHIVE=pg (tests/run.sh's second pass of the delivery fault tests
# and the API tests): the collector of a test is two — A as the test names
# it, B as NAME-b with the id ID-b — of one share group, writing into one
# PostgreSQL archive on a throw-away server (started with the first
# collector or by bk_archive, stopped on exit). Only A has the test's
# [http] group. bk_pki_setup and bk_broker_start then add B's certificate
# and ACL entry. Tests read the archive through BK_DB (bk_archive sets it
# before the first start) and bk_sql, whichever it is.
bk_pg_mode() { [ "${BK_ARCHIVE:-sqlite}" = pg ]; }

# _bk_pg_archive: the test's PostgreSQL archive, made on first use.
_bk_pg_archive() {
	if [ -z "${BK_PG_DIR:-}" ]; then
		bk_pg_start || return 1
		trap 'bk_cleanup; bk_pg_stop' EXIT # the collectors first, then their server
		psql -qAtX "$BK_PG_URI/postgres" -c "CREATE DATABASE bk" || return 1
	fi
	BK_DB=$BK_PG_URI/bk
}

# bk_archive [NAME]: set BK_DB to the archive collector NAME (default
# collector) will use, for what a test does before starting it (registry
# imports): $T/NAME.db, or with BK_ARCHIVE=pg the PostgreSQL archive, its
# server started now. Not in a subshell: the server must be stopped on exit.
bk_archive() {
	if bk_pg_mode; then
		_bk_pg_archive
	else
		BK_DB=$T/${1:-collector}.db
	fi
}

# _bk_pg_extra EXTRA: a collector's extra lines with BK_ARCHIVE=pg: the
# clip store and, in [http], the MP4 cache where SQLite's defaults put them
# (beside the archive, which has no directory when it is a URI). The clip
# store is shared, as README's "Province scale" has it: the broker hands a
# clip's chunks to either collector.
_bk_pg_extra() {
	printf 'clips = %s/clips\n' "$T"
	awk -v cache="cache = $T/mp4-cache" '{ print } $0 == "[http]" { print cache }' <<<"$1"
}

# _bk_without_http EXTRA: the lines without their [http] group — collector
# B's: one HTTPS API (A's) per test, on the port the test chose.
_bk_without_http() {
	awk '/^\[/ { skip = ($0 == "[http]") } !skip' <<<"$1"
}

# _bk_collector_run NAME ID EXTRA ARCHIVE: start one collector and wait
# until it is connected (a new "connected to" line: the log survives restarts).
_bk_collector_run() {
	local name=$1 id=$2 extra=$3 archive=$4 conf before
	conf=$(bk_collector_conf "$name" "$id" "$extra")
	[ -z "$archive" ] || sed -i "s|^archive = .*|archive = $archive|" "$conf"
	"$BK_BIN/bk-collector" -t -c "$conf" >/dev/null || return 1
	: >>"$T/$name.log"
	before=$(grep -c "connected to" "$T/$name.log")
	bk_bg "$name" "$BK_BIN/bk-collector" -c "$conf"
	wait_until 15 bk_at_least $((before + 1)) grep -c "connected to" "$T/$name.log"
}

bk_collector_start() {
	local name=${1:-collector} id=${2:-svc-collector} extra=${3:-}
	if ! bk_pg_mode; then
		BK_DB=$T/$name.db
		_bk_collector_run "$name" "$id" "$extra" ""
		return
	fi
	_bk_pg_archive || return 1
	# B keeps running through A's restarts; only A serves the HTTPS API
	_bk_collector_run "$name" "$id" "$(_bk_pg_extra "$extra")" "$BK_DB" || return 1
	[ -n "$(bk_pid "$name-b")" ] ||
		_bk_collector_run "$name-b" "$id-b" "$(_bk_pg_extra "$(_bk_without_http "$extra")")" "$BK_DB"
}

# bk_collector_fault [NAME]: with BK_ARCHIVE=pg, collector A (NAME, default
# collector) is killed with SIGKILL — Paho has acknowledged messages it never
# archived — and started again while B carries on; one TAP line. Nothing
# with SQLite's single collector. Call it mid-burst.
bk_collector_fault() {
	local name=${1:-collector}
	bk_pg_mode || return 0
	echo "# kill -9 of collector A with $(bk_sql "$BK_DB" "SELECT count(*) FROM messages") archived"
	bk_stop "$name" KILL
	sleep 0.5
	ok "collector A restarts beside B" bk_collector_start "$name"
}

# bk_https_collector REG_ID TOKEN [EXTRA]: start the collector with its
# HTTPS API on a free port (the broker's certificate), TOKEN granted to
# REG_ID; sets HTTP_PORT and URL. Then: curl --cacert "$BK_PKI/ca.crt"
# -H "Authorization: Bearer $TOKEN" "$URL/api/…".
bk_https_collector() {
	local reg=$1 token=$2 extra=${3:-}
	printf '%s %s\n' "$token" "$reg" >"$T/tokens"
	chmod 600 "$T/tokens"
	HTTP_PORT=$(free_port)
	URL=https://127.0.0.1:$HTTP_PORT
	bk_collector_start collector svc-collector "$(printf '[http]\nlisten = 127.0.0.1:%s\ncert = %s/broker.crt\nkey = %s/broker.key\ntokens = %s/tokens\n%s' \
		"$HTTP_PORT" "$BK_PKI" "$BK_PKI" "$T" "$extra")" &&
		wait_until 10 grep -q "HTTPS API on 127.0.0.1:$HTTP_PORT" "$T/collector.log"
}

# bk_edge_conf ID [EXTRA]: write $T/ID.conf (two simulated sensors) and print its path.
bk_edge_conf() {
	local id=$1 extra=${2:-}
	mkdir -p "$T/$id"
	cat >"$T/$id.conf" <<CONF
[box]
id = $id
state_dir = $T/$id
log_level = info
status_period = 2s
reading_batch = 200ms

$(bk_mqtt_group "$id" 10s 2s)

[outbox]
ack_timeout = 3s

[sensor fridge-1]
kind = fridge
driver = sim
period = 100ms
sim_base = 4

[sensor freezer-1]
kind = freezer
driver = sim
period = 100ms
sim_base = -18
$extra
CONF
	echo "$T/$id.conf"
}

bk_edge_start() {
	local id=$1 extra=${2:-}
	local conf
	conf=$(bk_edge_conf "$id" "$extra")
	"$BK_BIN/bk-edge" -t -c "$conf" >/dev/null || return 1
	bk_bg "$id" "$BK_BIN/bk-edge" -c "$conf"
}

bk_sql() {
	case $1 in
	postgres://* | postgresql://*) psql -qAtX -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
	*) sqlite3 -cmd ".timeout 5000" "file:$1?mode=ro" "$2" ;;
	esac
}

# bk_archived DB BOX: number of stream messages of BOX in the archive.
bk_archived() {
	bk_sql "$1" "SELECT count(*) FROM messages WHERE sender = '$2'" 2>/dev/null || echo 0
}

# bk_at_least N CMD...: true when CMD prints a number >= N.
bk_at_least() {
	local n=$1 got
	shift
	got=$("$@" 2>/dev/null) || return 1
	[ -n "$got" ] && [ "$got" -ge "$n" ]
}

# bk_burst_conf ID SAMPLES [EXTRA]: a box that sends SAMPLES readings as fast
# as its outbox commits them (one message each), then only delivers.
bk_burst_conf() {
	local id=$1 samples=$2 extra=${3:-}
	mkdir -p "$T/$id"
	cat >"$T/$id.conf" <<CONF
[box]
id = $id
state_dir = $T/$id
status_period = 2s
reading_batch = 0

$(bk_mqtt_group "$id" 5s 1s)

[outbox]
ack_timeout = 3s
max_rate = 20000
max_bytes_rate = 20M

[sensor burst-1]
kind = fridge
driver = sim
period = 1ms
sim_samples = $samples
$extra
CONF
	echo "$T/$id.conf"
}

bk_burst_start() {
	local conf
	conf=$(bk_burst_conf "$@")
	"$BK_BIN/bk-edge" -t -c "$conf" >/dev/null || return 1
	bk_bg "$1" "$BK_BIN/bk-edge" -c "$conf"
}

# bk_issued ID: the last seq the box's outbox has issued.
bk_issued() {
	bk_sql "$T/$1/outbox.db" "SELECT last_seq FROM meta" 2>/dev/null || echo 0
}

# bk_stream_check DB BOX EXPECTED: the archive holds seqs 1..EXPECTED of BOX,
# each exactly once (the primary key forbids two rows; this also proves no
# gap and nothing beyond). Prints the counts.
bk_stream_check() {
	local row
	row=$(bk_sql "$1" "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM messages WHERE sender = '$2'")
	echo "# $2: archived count|min|max = $row, expected $3"
	[ "$row" = "$3|1|$3" ]
}
