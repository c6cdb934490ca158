# tests/lib/pg.sh — a throw-away PostgreSQL server for tests (bash, sourced
# after common.sh): initdb into a fresh directory, one server on a free
# loopback port, trust authentication for the role bk, fsync off (a test
# server: nothing in it outlives the test). Debian's postgresql package
# (tools/install-deps) provides the programs under `pg_config --bindir`.
# initdb refuses to run as root: as root the server runs as the postgres
# user, in a directory of its own under /tmp (the test's own is 0700).

# bk_pg_start: start one; sets BK_PG_URI, its URI without a database
# (postgresql://bk@127.0.0.1:PORT), and BK_PG_DIR. 1 on failure, with
# initdb's or the server's log on stderr. Not in a subshell: bk_pg_stop
# needs BK_PG_DIR.
bk_pg_start() {
	local bin port run=()
	bin=$(pg_config --bindir 2>/dev/null) && [ -x "$bin/initdb" ] || {
		echo "pg: no PostgreSQL server programs (apt-get install postgresql)" >&2
		return 1
	}
	BK_PG_DIR=$(mktemp -d /tmp/bk-pg.XXXXXX) || return 1
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$BK_PG_DIR"
		run=(runuser -u postgres --)
	fi
	port=$(free_port)
	if ! "${run[@]}" "$bin/initdb" -D "$BK_PG_DIR/data" -A trust -U bk -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$BK_PG_DIR/initdb.log" 2>&1; then
		cat "$BK_PG_DIR/initdb.log" >&2
		return 1
	fi
	if ! "${run[@]}" "$bin/pg_ctl" -D "$BK_PG_DIR/data" -l "$BK_PG_DIR/server.log" -w -t 30 \
		-o "-p $port -k $BK_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
		start >/dev/null; then
		cat "$BK_PG_DIR/server.log" >&2
		return 1
	fi
	BK_PG_URI="postgresql://bk@127.0.0.1:$port"
}

# bk_pg_stop: stop the server bk_pg_start started and remove its directory.
bk_pg_stop() {
	local bin run=()
	[ -n "${BK_PG_DIR:-}" ] && [ -d "$BK_PG_DIR" ] || return 0
	bin=$(pg_config --bindir)
	[ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
	"${run[@]}" "$bin/pg_ctl" -D "$BK_PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$BK_PG_DIR"
	BK_PG_DIR=
}
