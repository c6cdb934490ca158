#!/bin/bash
# 10-broker-security — the production broker configuration, attacked from
# outside and from inside: TLS and certificate checks at the door, then what the
# ACL (tools/bk-acl) lets each identity publish and read, then revocation.
#
# Negative checks use a sentinel rather than "nothing arrived within N s": the
# forbidden message is published first, then an allowed one, on the same
# subscriber. Mosquitto handles clients one packet at a time and mosquitto_pub
# -q 1 returns only after the PUBACK, so had the forbidden message got through,
# it would arrive first. Each check thus also proves its subscriber works, and
# stays fast. Every client is bounded (-W, timeout); about 12 s in all.

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/broker.sh"

bk_tmpdir
bk_pki_setup box-a box-b box-c box-r hh-1 hh-2 reg-1 reg-2 svc-collector svc-watch || exit 1
bk_broker_start --service svc-watch --regulator reg-1 --regulator reg-2:north || exit 1

# sub_start NAME ID FILTER...: ID subscribes (QoS 1) to the FILTERs in the
# background, stopping after SUB_COUNT messages (default 1) or 5 s; returns
# once the broker has acknowledged the subscription. Each message is logged
# as SUB_FMT (default "%t %p": topic and payload).
sub_start() {
	local name=$1 id=$2 f args=()
	shift 2
	for f in "$@"; do args+=(-t "$f"); done
	rm -f "$T/$name.log"
	bk_sub_bg "$name" "$id" -d -q 1 -C "${SUB_COUNT:-1}" -W 15 -F "MSG ${SUB_FMT:-%t %p}" "${args[@]}"
	wait_until 5 grep -q '^Subscribed' "$T/$name.log"
}

# sub_result NAME: wait for that subscriber to end; print "TOPIC PAYLOAD" per
# message received, one line each, joined with " | ".
sub_result() {
	local pid
	pid=$(bk_pid "$1")
	# Called in $(...), a subshell, where `wait` cannot wait for the
	# subscriber (not its child) and returned at once: poll until -C or -W
	# ends it, so a message still on its way is not missed.
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	unset "BK_PIDS[$1]"
	sed -n 's/^MSG //p' "$T/$1.log" | paste -sd'|' | sed 's/|/ | /g'
}

# fails CMD...: CMD exits non-zero (its stderr hidden).
fails() { ! "$@" 2>/dev/null; }

# pub_raw ARGS...: mosquitto_pub to our broker with only the options given.
pub_raw() { timeout 10 mosquitto_pub -h 127.0.0.1 -p "$BK_PORT" "$@"; }

# refused ID: ID's connection fails (non-zero exit).
# Publishing to a forbidden topic does not fail in MQTT 3.1.1, so a non-zero
# status here means the TLS handshake or the CONNECT was turned down.
refused() {
	fails bk_pub "$1" -t "bk/v1/box/$1/status" -m probe
}

# ---------------------------------------------------------------- the door

# Positive control for the door checks below: a certificate of ours gets in.
ok "box-a connects with its certificate" bk_pub box-a -t bk/v1/box/box-a/status -m up

ok "no client certificate: refused" \
	fails pub_raw --cafile "$BK_PKI/ca.crt" -t bk/v1/box/box-a/status -m x

# Same id, same shape, signed by another CA: only the signature differs.
"$BK_ROOT/tools/bk-pki" init "$T/other" >/dev/null && "$BK_ROOT/tools/bk-pki" issue "$T/other" box-a >/dev/null
ok "certificate from another CA: refused" \
	fails pub_raw --cafile "$BK_PKI/ca.crt" --cert "$T/other/box-a.crt" --key "$T/other/box-a.key" \
	-t bk/v1/box/box-a/status -m x

# TLS versions, with openssl s_client: mosquitto_pub --tls-version tlsv1.1
# only sets a minimum and happily negotiates TLS 1.3, so it cannot test this.
# SECLEVEL=0 lets OpenSSL 3 offer TLS 1.1 at all. The broker must answer with a
# protocol_version alert (what tls_version tlsv1.2 does; with tlsv1.1 it would
# get further and fail on signature algorithms instead).
tls_try() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$BK_PORT" -CAfile "$BK_PKI/ca.crt" \
		-cert "$BK_PKI/box-a.crt" -key "$BK_PKI/box-a.key" "$@" 2>&1
}
out=$(tls_try -tls1_2)
ok "TLS 1.2 is accepted (control for the TLS 1.1 check)" grep -q 'Protocol *: TLSv1.2' <<<"$out"
out=$(tls_try -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
if grep -q 'alert protocol version' <<<"$out"; then
	ok "TLS 1.1 is refused" true
elif grep -q -E 'no protocols available|unknown option|no ciphers available' <<<"$out"; then
	ok "TLS 1.1 is refused # SKIP local openssl cannot offer TLS 1.1" true
else
	ok "TLS 1.1 is refused" false
	sed 's/^/# /' <<<"$out" | tail -n 5
fi

# Expired: a box-shaped certificate our CA signed for 2020 only, made with
# `openssl ca -startdate/-enddate` and a throw-away database (bk-pki has no
# such option); its twin, signed the same way but valid now, is the control.
mkdir -p "$T/dated/certs" && : >"$T/dated/index.txt"
cat >"$T/dated/ca.cnf" <<CNF
[ ca ]
default_ca = dated
[ dated ]
database = $T/dated/index.txt
serial = $T/dated/serial
new_certs_dir = $T/dated/certs
certificate = $BK_PKI/ca.crt
private_key = $BK_PKI/ca.key
default_md = sha256
policy = cn_only
unique_subject = no
copy_extensions = none
[ cn_only ]
commonName = supplied
[ client ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
CNF
sign_dated() { # ID START END: $T/dated/ID.{key,crt}
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dated/$1.key" &&
		openssl req -new -key "$T/dated/$1.key" -subj "/CN=$1" -out "$T/dated/$1.csr" &&
		openssl ca -batch -notext -rand_serial -config "$T/dated/ca.cnf" -extensions client \
			-startdate "$2" -enddate "$3" -in "$T/dated/$1.csr" -out "$T/dated/$1.crt"
} >/dev/null 2>&1
sign_dated box-old 20200101000000Z 20210101000000Z
sign_dated box-new "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" "$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)"
dated() { # ID ARGS...: mosquitto_pub with that certificate
	pub_raw --cafile "$BK_PKI/ca.crt" --cert "$T/dated/$1.crt" --key "$T/dated/$1.key" "${@:2}"
}
ok "a certificate signed that way and valid now connects (control)" dated box-new -t bk/v1/box/box-new/status -m x
ok "an expired certificate is refused" fails dated box-old -t bk/v1/box/box-old/status -m x
# (TLS 1.2: the client certificate is checked within the handshake, so the
# alert arrives before s_client gives up)
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$BK_PORT" -CAfile "$BK_PKI/ca.crt" \
	-cert "$T/dated/box-old.crt" -key "$T/dated/box-old.key" -tls1_2 2>&1)
ok "... the broker says why (TLS alert certificate_expired)" grep -q 'alert certificate expired' <<<"$out"

# No plaintext listener: in the rendered configuration (and the production
# one) every listener has TLS with client certificates, and no `port` line
# opens a default listener; on every TCP port the broker process listens on,
# a plain MQTT CONNECT (mosquitto_pub without TLS) fails.
tls_only() { # CONF: every listener block has certfile, keyfile, require_certificate true
	awk '/^[ \t]*(#|$)/ { next }
	function close_block() {
		if (n && !(cert && key && req)) { print "listener without TLS and client certificates: " where; bad = 1 }
	}
	$1 == "port" || $1 == "bind_address" { print "a default listener: " $0; bad = 1 }
	$1 == "listener" { close_block(); n++; cert = key = req = 0; where = $0 }
	$1 == "certfile" { cert = 1 }
	$1 == "keyfile" { key = 1 }
	$1 == "require_certificate" && $2 == "true" { req = 1 }
	END { close_block(); if (!n) { print "no listener at all"; bad = 1 }; exit bad }' "$1"
}
ok "the rendered mosquitto.conf has no listener without TLS" tls_only "$T/broker/mosquitto.conf"
ok "... nor has broker-conf/mosquitto.conf" tls_only "$BK_ROOT/broker-conf/mosquitto.conf"
ports=$(ss -Hltnp | awk -v p="pid=$(bk_pid broker)," 'index($0, p) { print $4 }' | sort -u)
is "the broker process listens on one TCP port, ours" "$ports" "127.0.0.1:$BK_PORT"
for hp in $ports; do
	host=${hp%:*} host=${host#[} host=${host%]}
	ok "a plain MQTT CONNECT to $hp fails" \
		fails timeout 10 mosquitto_pub -h "$host" -p "${hp##*:}" -t bk/v1/box/box-a/status -m plain
done

# ---------------------------------------------------------------- box → collector

# The collector's actual shared subscriptions, all five; Mosquitto 2.0 checks
# them against the ACL as plain topics, at delivery.
SUB_COUNT=5 sub_start col svc-collector '$share/collectors/bk/v1/box/+/status' \
	'$share/collectors/bk/v1/box/+/reading' '$share/collectors/bk/v1/box/+/event' \
	'$share/collectors/bk/v1/box/+/clip' '$share/collectors/bk/v1/box/+/clip/+/+'
for t in status reading event clip clip/c1/0; do
	bk_pub box-a -q 1 -t "bk/v1/box/box-a/$t" -m "a-$t"
done
is "svc-collector receives box-a's status, reading, event, clip, chunk via \$share" "$(sub_result col)" \
	"bk/v1/box/box-a/status a-status | bk/v1/box/box-a/reading a-reading | bk/v1/box/box-a/event a-event | bk/v1/box/box-a/clip a-clip | bk/v1/box/box-a/clip/c1/0 a-clip/c1/0"

sub_start col svc-collector 'bk/v1/box/box-b/#'
for t in status reading event clip clip/c1/0; do
	bk_pub box-a -q 1 -t "bk/v1/box/box-b/$t" -m forged-by-a
done
bk_pub box-b -q 1 -t bk/v1/box/box-b/reading -m sentinel
is "box-a cannot publish into box-b's topics" "$(sub_result col)" "bk/v1/box/box-b/reading sentinel"

sub_start col svc-collector 'bk/v1/box/box-a/#'
bk_pub box-a -q 1 -t bk/v1/box/box-a/ack -m forged-ack
bk_pub box-a -q 1 -t bk/v1/box/box-a/cmd -m forged-cmd
bk_pub box-a -q 1 -t bk/v1/box/box-a/status -m sentinel
is "box-a cannot publish its own ack or cmd" "$(sub_result col)" "bk/v1/box/box-a/status sentinel"

# Oversize: max_packet_size disconnects the sender; a 256 KiB chunk passes.
head -c 262144 /dev/zero >"$T/chunk"
head -c 1200000 /dev/zero >"$T/huge"
SUB_FMT='%t %l' sub_start col svc-collector 'bk/v1/box/box-a/clip/#'
ok "a packet over max_packet_size disconnects the box" \
	fails bk_pub box-a -q 1 -t bk/v1/box/box-a/clip/c2/0 -f "$T/huge"
bk_pub box-a -q 1 -t bk/v1/box/box-a/clip/c2/1 -f "$T/chunk"
is "a 256 KiB clip chunk is delivered, the oversize one is not" "$(sub_result col)" "bk/v1/box/box-a/clip/c2/1 262144"

# ---------------------------------------------------------------- collector → box

sub_start a box-a 'bk/v1/#'
bk_pub box-b -q 1 -t bk/v1/box/box-b/reading -m b-reading
bk_pub svc-collector -q 1 -t bk/v1/box/box-b/cmd -m b-cmd
bk_pub svc-collector -q 1 -t bk/v1/alert/north -m alert
bk_pub svc-collector -q 1 -t bk/v1/box/box-a/ack -m a-ack
is "box-a subscribed to bk/v1/# gets only its own ack" "$(sub_result a)" "bk/v1/box/box-a/ack a-ack"

# And to '#'. Mosquitto 2.0.11's acl_file grants that SUBSCRIBE too (SUBACK
# with QoS 1, not 0x80: it never checks subscriptions) and filters each
# message at delivery, retained ones included: box-b's retained status, which
# svc-collector does get right after, must not reach box-a.
bk_pub box-b -q 1 -r -t bk/v1/box/box-b/status -m b-retained
sub_start a box-a '#'
bk_pub box-b -q 1 -t bk/v1/box/box-b/event -m b-event
bk_pub svc-collector -q 1 -t bk/v1/hh/hh-1/task -m task
bk_pub hh-1 -q 1 -t bk/v1/hh/hh-1/report -m report
bk_pub svc-collector -q 1 -t bk/v1/alert/north -m alert
bk_pub svc-collector -q 1 -t bk/v1/box/box-a/ack -m a-ack
is "box-a subscribed to # gets only its own ack, no retained status of box-b" "$(sub_result a)" "bk/v1/box/box-a/ack a-ack"
echo "# note: the broker's SUBACK for '#': $(sed -n 's/^Subscribed (mid: [0-9]*): //p' "$T/a.log") (128 would be a refusal)"
sub_start col svc-collector bk/v1/box/box-b/status
is "... it was there: svc-collector gets box-b's retained status" "$(sub_result col)" "bk/v1/box/box-b/status b-retained"
bk_pub box-b -q 1 -r -t bk/v1/box/box-b/status -n # clear it

# box-a asks for box-b's client id: use_username_as_clientid makes it box-a,
# so box-b's connection is untouched. mosquitto_sub reconnects when kicked,
# so "box-b still receives" alone proves nothing: its CONNACKs and the broker
# log do.
mark=$(wc -l <"$T/broker.log")
sub_start b box-b bk/v1/box/box-b/cmd
bk_pub box-a -i box-b -q 1 -t bk/v1/box/box-a/status -m takeover
bk_pub svc-collector -q 1 -t bk/v1/box/box-b/cmd -m still-here
is "box-a connecting with client id box-b: box-b still receives its cmd" "$(sub_result b)" "bk/v1/box/box-b/cmd still-here"
is "... on its first and only connection" "$(grep -c 'received CONNACK' "$T/b.log")" 1
tail -n +$((mark + 1)) "$T/broker.log" >"$T/broker.tail"
ok "... the broker never closed box-b for a newcomer" bash -c "! grep -q 'Client box-b already connected' '$T/broker.tail'"
ok "... and took box-a's attempt as box-a" grep -q "as box-a (p2, c1, k60, u'box-a')" "$T/broker.tail"

sub_start a box-a bk/v1/box/box-b/cmd bk/v1/box/box-a/cmd
bk_pub svc-collector -q 1 -t bk/v1/box/box-b/cmd -m b-cmd
bk_pub svc-collector -q 1 -t bk/v1/box/box-a/cmd -m a-cmd
is "box-a cannot read box-b's cmd, reads its own" "$(sub_result a)" "bk/v1/box/box-a/cmd a-cmd"

# A box may subscribe to the collectors' share group (no SUBSCRIBE check in
# Mosquitto 2.0's acl_file) but must still receive nothing it cannot read.
sub_start a box-a '$share/collectors/bk/v1/box/+/reading' bk/v1/box/box-a/ack
bk_pub box-b -q 1 -t bk/v1/box/box-b/reading -m b-reading
bk_pub svc-collector -q 1 -t bk/v1/box/box-a/ack -m a-ack
is "box-a gets no box readings through \$share/collectors" "$(sub_result a)" "bk/v1/box/box-a/ack a-ack"

# Not asserted, measured: with box-a in the group beside the collector, the
# messages round-robined to box-a are denied and lost for the group.
SUB_COUNT=6 sub_start col svc-collector '$share/collectors/bk/v1/box/+/reading'
bk_sub box-a -q 1 -t '$share/collectors/bk/v1/box/+/reading' -W 2 >/dev/null 2>&1 &
sleep 0.3
for i in 1 2 3 4 5 6; do bk_pub box-b -q 1 -t bk/v1/box/box-b/reading -m "r$i"; done
wait $!
# stopped here: it may never get all 6, and a svc-collector left running
# would fight the next one for the client id
bk_stop col
n=$(grep -c '^MSG .*reading' "$T/col.log")
echo "# note: with box-a inside \$share/collectors, svc-collector got $n of 6 readings (Mosquitto 2.0 limitation)"

# Wills are ACL-checked when they fire: a box cannot declare another box offline.
sub_start col svc-collector 'bk/v1/box/+/status'
bk_sub_bg willc box-c -d --will-topic bk/v1/box/box-b/status --will-payload offline-forged -t bk/v1/box/box-c/cmd
bk_sub_bg willa box-a -d --will-topic bk/v1/box/box-a/status --will-payload offline -t bk/v1/box/box-a/cmd
wait_until 5 grep -q '^Subscribed' "$T/willc.log"
wait_until 5 grep -q '^Subscribed' "$T/willa.log"
bk_stop willc KILL
# Only then box-a: had box-c's will been let through, it would come first.
wait_until 5 grep -q 'Client box-c closed its connection' "$T/broker.log"
bk_stop willa KILL
is "box-c's will cannot mark box-b offline; box-a's own will fires" "$(sub_result col)" "bk/v1/box/box-a/status offline"

# ---------------------------------------------------------------- handhelds, regulators

sub_start h hh-1 'bk/v1/hh/+/task'
bk_pub svc-collector -q 1 -t bk/v1/hh/hh-2/task -m task-2
bk_pub svc-collector -q 1 -t bk/v1/hh/hh-1/task -m task-1
is "hh-1 reads its own task, not hh-2's" "$(sub_result h)" "bk/v1/hh/hh-1/task task-1"

sub_start col svc-collector 'bk/v1/hh/+/report'
bk_pub hh-2 -q 1 -t bk/v1/hh/hh-1/report -m forged-by-hh-2
bk_pub hh-1 -q 1 -t bk/v1/hh/hh-1/report -m report-1
is "hh-1's report reaches svc-collector, hh-2 cannot forge one" "$(sub_result col)" "bk/v1/hh/hh-1/report report-1"

sub_start r reg-1 'bk/v1/#'
bk_pub box-a -q 1 -t bk/v1/box/box-a/reading -m box-data
bk_pub svc-collector -q 1 -t bk/v1/hh/hh-1/task -m task
bk_pub box-a -q 1 -t bk/v1/alert/north -m forged-by-box
bk_pub svc-collector -q 1 -t bk/v1/alert/north -m real-alert
is "reg-1 reads the collector's alert, not box data, tasks or a box's forged alert" \
	"$(sub_result r)" "bk/v1/alert/north real-alert"

sub_start r reg-2 'bk/v1/alert/#'
bk_pub svc-collector -q 1 -t bk/v1/alert/south -m south
bk_pub svc-collector -q 1 -t bk/v1/alert/north -m north
is "reg-2 (district north) reads north's alerts only" "$(sub_result r)" "bk/v1/alert/north north"

# A regulator publishes nothing: no alert, nothing into a box's or a
# handheld's subtree. Four readers cover every topic reg-1 tries; each gets a
# sentinel from the rightful sender, which comes first had a forgery passed.
# (svc-watch, a second service, reads for svc-collector, which sends: one
# identity cannot do both at once.)
sub_start watch svc-watch 'bk/v1/box/#' 'bk/v1/hh/+/report'
sub_start reg reg-2 'bk/v1/alert/#'
sub_start hh hh-1 'bk/v1/hh/hh-1/#'
sub_start box box-b 'bk/v1/box/box-b/#'
for t in alert/north alert/330106 box/box-b/cmd box/box-b/ack box/box-b/status box/box-b/reading \
	box/box-b/event box/box-b/clip box/box-b/clip/c1/0 hh/hh-1/task hh/hh-1/ack hh/hh-1/report; do
	bk_pub reg-1 -q 1 -t "bk/v1/$t" -m forged-by-reg-1
done
bk_pub box-a -q 1 -t bk/v1/box/box-a/status -m sentinel
bk_pub svc-collector -q 1 -t bk/v1/alert/north -m sentinel
bk_pub svc-collector -q 1 -t bk/v1/hh/hh-1/task -m sentinel
bk_pub svc-collector -q 1 -t bk/v1/box/box-b/cmd -m sentinel
is "reg-1 cannot publish into a box's subtree or a report" "$(sub_result watch)" "bk/v1/box/box-a/status sentinel"
is "... nor an alert" "$(sub_result reg)" "bk/v1/alert/north sentinel"
is "... nor a task or a handheld's ack" "$(sub_result hh)" "bk/v1/hh/hh-1/task sentinel"
is "... nor a box's cmd or ack" "$(sub_result box)" "bk/v1/box/box-b/cmd sentinel"

# ---------------------------------------------------------------- restart, revocation

# A QoS 1 command queued for an offline box survives a broker restart: the
# session is keyed by the CN (use_username_as_clientid) and persisted.
bk_sub box-a -i box-a -c -q 1 -t bk/v1/box/box-a/cmd -E >/dev/null 2>&1
bk_pub svc-collector -q 1 -t bk/v1/box/box-a/cmd -m queued-cmd
bk_broker_restart || exit 1
is "a queued cmd survives a broker restart" \
	"$(bk_sub box-a -i box-a -c -q 1 -t bk/v1/box/box-a/cmd -C 1 -W 15 2>/dev/null)" "queued-cmd"
bk_sub box-a -t bk/v1/box/box-a/cmd -E >/dev/null 2>&1 # clean session: drop it

ok "box-r connects before revocation (control)" bk_pub box-r -t bk/v1/box/box-r/status -m up
"$BK_ROOT/tools/bk-pki" revoke "$BK_PKI" box-r >/dev/null
# Mosquitto 2.0 rereads the CRL on SIGHUP for new connections.
kill -HUP "$(bk_pid broker)"
wait_until 5 grep -q 'Reloading config' "$T/broker.log"
ok "revoked box-r is refused after a reload" refused box-r
bk_broker_kill9
bk_broker_restart || exit 1
ok "revoked box-r is refused after kill -9 and restart" refused box-r
ok "box-a still connects after the restart, same port" bk_pub box-a -t bk/v1/box/box-a/status -m up

bk_done
