# tests/lib/broker.sh — a real, TLS-only Mosquitto for integration scripts
# (bash, sourced after tests/lib/common.sh; uses $T, bk_bg, bk_stop, free_port).
#
#   bk_tmpdir
#   bk_pki_setup box-a svc-collector      # $T/pki: CA, broker cert, client certs
#   bk_pki_use DIR svc-collector          # or: the CA in DIR (bk-provision init)
#   bk_broker_start [--regulator reg-1]   # extra args go to tools/bk-acl
#   bk_pub box-a -t bk/v1/box/box-a/reading -q 1 -m '{...}'
#   bk_sub svc-collector -t '$share/collectors/bk/v1/box/+/reading' -C 1 -W 5
#   bk_sub_bg sub svc-collector -v -t 'bk/v1/#'   # output in $T/sub.log
#   bk_broker_kill9; bk_broker_restart    # same port, same persistence
#   bk_peer_start broker-b                # a second broker, port in BK_PEER_PORTS[broker-b]
#
# The broker runs broker-conf/mosquitto.conf itself, rendered into
# $T/broker/mosquitto.conf with only the site-specific lines rewritten, so
# the tests exercise the production TLS, ACL and queue settings.
# Exported: BK_PORT (chosen on the first start, kept across restarts) and
# BK_PKI ($T/pki).
#
# Mind use_username_as_clientid: the client id is the certificate CN, so two
# clients with the same ID at once kick each other off (the broker keeps the
# newer). Use a different ID for each concurrent client.

# svc-probe: an identity only bk_broker_start uses, to check that the broker
# completes a mutual-TLS handshake and an MQTT CONNECT without borrowing (and
# so disconnecting) a test's own client.
BK_PROBE_ID=svc-probe
BK_BROKER_ARGS=()

# bk_pki_setup ID...: make $T/pki (CA, empty CRL, broker cert) unless it exists,
# then issue a client certificate for each ID that has none yet (bk_pki_use).
bk_pki_setup() {
	if [ ! -f "$T/pki/ca.crt" ]; then
		"$BK_ROOT/tools/bk-pki" init "$T/pki" >/dev/null || {
			echo "bk_pki_setup: cannot create CA in '$T/pki'" >&2
			return 1
		}
	fi
	bk_pki_use "$T/pki" "$@"
}

# bk_pki_use DIR ID...: like bk_pki_setup, but with a CA that exists already
# (made by tools/bk-provision init, say) in DIR instead of $T/pki: BK_PKI=DIR,
# and a client certificate for the probe and each ID that has none in DIR.
bk_pki_use() {
	local dir=$1 id
	shift
	if [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/broker.crt" ]; then
		echo "bk_pki_use: cannot use '$dir': no CA and broker certificate there" >&2
		return 1
	fi
	BK_PKI=$(cd "$dir" && pwd)
	export BK_PKI
	# BK_ARCHIVE=pg (tests/lib/daemons.sh): svc-collector has a partner, B
	[ "${BK_ARCHIVE:-sqlite}" = pg ] && [[ " $* " == *" svc-collector "* ]] && set -- "$@" svc-collector-b
	for id in "$BK_PROBE_ID" "$@"; do
		[ -f "$BK_PKI/$id.crt" ] && continue
		"$BK_ROOT/tools/bk-pki" issue "$BK_PKI" "$id" >/dev/null || {
			echo "bk_pki_use: cannot issue certificate for '$id' in '$BK_PKI'" >&2
			return 1
		}
	done
}

# _bk_client_args ID: set BK_CLIENT_ARGS, the connection options for ID.
_bk_client_args() {
	local id=$1 pki=${BK_PKI:-$T/pki}
	if [ ! -f "$pki/$id.crt" ] || [ ! -f "$pki/$id.key" ]; then
		echo "bk_pub/bk_sub: cannot use identity '$id': no $pki/$id.crt (bk_pki_setup $id)" >&2
		return 1
	fi
	if [ -z "${BK_PORT:-}" ]; then
		echo "bk_pub/bk_sub: cannot connect as '$id': no broker started (BK_PORT unset)" >&2
		return 1
	fi
	BK_CLIENT_ARGS=(-h 127.0.0.1 -p "$BK_PORT" --cafile "$pki/ca.crt"
		--cert "$pki/$id.crt" --key "$pki/$id.key")
}

# bk_pub ID ARGS...: mosquitto_pub as ID. Bounded by BK_PUB_TIMEOUT seconds
# (default 10; 0 = none) so that a stuck publish fails a test instead of
# hanging it.
bk_pub() {
	local id=$1
	shift
	_bk_client_args "$id" || return 1
	timeout "${BK_PUB_TIMEOUT:-10}" mosquitto_pub "${BK_CLIENT_ARGS[@]}" "$@"
}

# bk_sub ID ARGS...: mosquitto_sub as ID. Not bounded here, since a subscriber
# may be meant to run for a whole test: pass -W/-C or wrap it in timeout.
# Line-buffered: mosquitto_sub does not flush its -d output (nor always its
# messages), so into a pipe or file they would only appear when it exits.
bk_sub() {
	local id=$1
	shift
	_bk_client_args "$id" || return 1
	stdbuf -oL mosquitto_sub "${BK_CLIENT_ARGS[@]}" "$@"
}

# bk_sub_bg NAME ID ARGS...: mosquitto_sub as ID in the background, output in
# $T/NAME.log (line by line, so wait_until can grep it), stopped with
# bk_stop NAME [SIGNAL] and on exit. Use this rather than `bk_bg NAME bk_sub`:
# that would track the subshell running the function, and killing it would
# leave mosquitto_sub running. (stdbuf execs, so the pid is mosquitto_sub's.)
bk_sub_bg() {
	local name=$1 id=$2
	shift 2
	_bk_client_args "$id" || return 1
	bk_bg "$name" stdbuf -oL mosquitto_sub "${BK_CLIENT_ARGS[@]}" "$@"
}

# _bk_broker_ready: true once a client completes TLS and MQTT CONNECT/SUBSCRIBE.
# Without the probe certificate, fall back to "the port accepts TCP".
_bk_broker_ready() {
	if [ -f "${BK_PKI:-$T/pki}/$BK_PROBE_ID.crt" ]; then
		_bk_client_args "$BK_PROBE_ID" 2>/dev/null &&
			timeout 3 mosquitto_sub "${BK_CLIENT_ARGS[@]}" -E -t bk/v1/probe >/dev/null 2>&1
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$BK_PORT") 2>/dev/null
	fi
}

# _bk_broker_fail WHY: report a failed start with the end of the broker log.
_bk_broker_fail() {
	echo "bk_broker_start: $1" >&2
	if [ -f "$T/broker.log" ]; then
		echo "# last lines of $T/broker.log:" >&2
		tail -n 15 "$T/broker.log" | sed 's/^/#   /' >&2
	fi
	return 1
}

# bk_broker_start [BK-ACL ARGS...]: render the config and the ACL into
# $T/broker/, start Mosquitto as "broker" (log in $T/broker.log) and wait
# until it accepts mutual-TLS clients.
bk_broker_start() {
	local dir="$T/broker" pki=${BK_PKI:-$T/pki}
	local out="$T/broker/mosquitto.conf" pid deadline

	[ -z "$(bk_pid broker)" ] || _bk_broker_fail "cannot start: already running" || return 1
	[ -f "$pki/broker.crt" ] || _bk_broker_fail "cannot start: no $pki/broker.crt (call bk_pki_setup first)" || return 1
	export BK_PKI="$pki"
	[ "${BK_ARCHIVE:-sqlite}" = pg ] && [[ " $* " != *" svc-collector-b "* ]] && set -- "$@" --service svc-collector-b
	BK_BROKER_ARGS=("$@")
	# First start only: a restart must come back where the clients expect it.
	[ -n "${BK_PORT:-}" ] || BK_PORT=$(free_port)
	export BK_PORT
	mkdir -p "$dir/data"

	"$BK_ROOT/tools/bk-broker-conf" "$dir" "$BK_PORT" "$pki" "$@" ||
		_bk_broker_fail "cannot render the broker configuration" || return 1

	bk_bg broker mosquitto -c "$out"
	pid=$(bk_pid broker)
	deadline=$((SECONDS + 10))
	until _bk_broker_ready; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			unset "BK_PIDS[broker]"
			_bk_broker_fail "mosquitto exited during start-up (port $BK_PORT)"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			_bk_broker_fail "mosquitto does not accept TLS clients on 127.0.0.1:$BK_PORT after 10 s"
			return 1
		fi
		sleep 0.1
	done
}

# bk_broker_kill9: SIGKILL the broker, as a crash would (no final save).
bk_broker_kill9() {
	bk_stop broker KILL
}

# bk_broker_restart [BK-ACL ARGS...]: stop the broker if it runs (SIGTERM, so it
# saves its database), then start it again on the same port with the same
# persistence directory, and the previous ACL arguments unless new ones are given.
# A restart is also how a new CRL is loaded.
bk_broker_restart() {
	bk_stop broker TERM
	if [ $# -gt 0 ]; then
		bk_broker_start "$@"
	else
		bk_broker_start ${BK_BROKER_ARGS[@]+"${BK_BROKER_ARGS[@]}"}
	fi
}

# bk_peer_start NAME [BK-ACL ARGS...]: another broker beside the one of
# bk_broker_start, a full peer of it (the same CA, production configuration
# and ACL), as process NAME with its own port and persistence in $T/NAME/
# (log in $T/NAME.log). Its port is in BK_PEER_PORTS[NAME], chosen on the
# first start and kept, so `bk_stop NAME KILL; bk_peer_start NAME` restarts
# it where its clients expect it. bk_pub and bk_sub still talk to BK_PORT.
declare -A BK_PEER_PORTS=()
bk_peer_start() {
	local name=$1 pki=${BK_PKI:-$T/pki} port pid deadline
	shift
	[ -z "$(bk_pid "$name")" ] || _bk_broker_fail "cannot start $name: already running" || return 1
	[ -f "$pki/broker.crt" ] || _bk_broker_fail "cannot start $name: no $pki/broker.crt (call bk_pki_setup first)" || return 1
	export BK_PKI="$pki"
	[ -n "${BK_PEER_PORTS[$name]:-}" ] || BK_PEER_PORTS[$name]=$(free_port)
	port=${BK_PEER_PORTS[$name]}
	"$BK_ROOT/tools/bk-broker-conf" "$T/$name" "$port" "$pki" "$@" ||
		_bk_broker_fail "cannot render the configuration of $name" || return 1
	bk_bg "$name" mosquitto -c "$T/$name/mosquitto.conf"
	pid=$(bk_pid "$name")
	deadline=$((SECONDS + 10))
	until BK_PORT=$port _bk_broker_ready; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			unset "BK_PIDS[$name]"
			echo "bk_peer_start: mosquitto $name exited during start-up (port $port); see $T/$name.log" >&2
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "bk_peer_start: $name does not accept TLS clients on 127.0.0.1:$port after 10 s" >&2
			return 1
		fi
		sleep 0.1
	done
}
