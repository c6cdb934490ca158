#!/bin/bash
# bk-edge --selftest, the installer's on-site check, against a real broker,
# collector, fake RTSP camera and fake Modbus controller (all on 127.0.0.1).
# A good box: every line ✓ (the clock line as the kernel's NTP status,
# computed here independently, says), exit 0, its selftest event archived
# at the centre and acked out of the outbox, no scratch left. Then one
# fault at a time, each a ✗ with its hint and exit 1: a camera at a closed
# port (its password never shown), a Modbus controller at a closed port, a
# fridge reading 500 °C, a certificate from another CA, an expired one, a
# state directory that cannot be made, a bk-edge already running on the
# state directory (and a second daemon refused), the collector stopped
# (broker ✓, round trip ✗; the event is sent later by the daemon, nothing
# lost), the broker stopped. A certificate near its end is only a warning;
# a bad configuration exits 2.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
CAMERA=${BK_BIN%/bin}/tests/tools/fake-camera
MODBUS=${BK_BIN%/bin}/tests/tools/fake-modbus
BOX=box-st

ok "fake-camera and fake-modbus are built" test -x "$CAMERA" -a -x "$MODBUS"
[ -x "$CAMERA" ] && [ -x "$MODBUS" ] || { bk_done; exit 1; }
bk_pki_setup "$BOX" box-soon svc-collector || exit 1
"$BK_ROOT/tools/bk-pki" issue "$BK_PKI" box-soon --days 10 >/dev/null 2>&1 ||
	"$BK_ROOT/tools/bk-pki" renew "$BK_PKI" box-soon --days 10 >/dev/null || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$T/collector.db
CAM_PORT=$(free_port)
MB_PORT=$(free_port)
CLOSED=$(free_port) # nothing listens here
bk_bg camera env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$CAMERA" --port "$CAM_PORT" \
	--codec h264 --width 320 --height 180 --fps 15 --bitrate 300
ok "the fake camera listens" wait_until 10 grep -q "listening on rtsp://127.0.0.1:$CAM_PORT" "$T/camera.log"
echo "0 100 42" >"$T/plc.script" # 4.2 °C in tenths
bk_bg plc "$MODBUS" --port "$MB_PORT" --script "$T/plc.script"
ok "the fake Modbus controller listens" wait_until 5 grep -q "listening on 127.0.0.1:$MB_PORT" "$T/plc.log"

camera() { # ID URL
	printf '\n[camera %s]\nsource = %s\nsegment = 1s\nno_frames_timeout = 3s\n' "$1" "$2"
}
modbus() { # ID PORT
	printf '\n[sensor %s]\nkind = fridge\ndriver = modbus\nhost = 127.0.0.1\nport = %s\nregister = 100\nscale = 0.1\ntimeout = 500ms\n' "$1" "$2"
}
# conf NAME EXTRA: the box's config ($T/NAME.conf): two sim sensors + EXTRA
conf() {
	bk_edge_conf "$BOX" "$2" >/dev/null
	mv "$T/$BOX.conf" "$T/$1.conf"
	echo "$T/$1.conf"
}
# selftest CONF: run it; output in $T/st.out, stderr in $T/st.err, status in $ST
selftest() {
	local start=$SECONDS
	"$BK_BIN/bk-edge" -c "$1" --selftest >"$T/st.out" 2>"$T/st.err"
	ST=$?
	cat "$T/st.err" >>"$T/selftest.log" # where bk_done looks for sanitizer reports
	sed 's/^/#   /' "$T/st.out"
	echo "#   (exit $ST after $((SECONDS - start)) s)"
}
has() { grep -qF -- "$1" "$T/st.out"; }
# line_hint MARK WHAT TEXT HINT: a MARK line for WHAT containing TEXT, and
# right under it a hint containing HINT
line_hint() {
	grep -A1 -F -- "$1 $2: " "$T/st.out" | grep -qF -- "$3" &&
		grep -A1 -F -- "$1 $2: " "$T/st.out" | sed -n '2p' | grep -qF -- "  → " &&
		grep -A1 -F -- "$1 $2: " "$T/st.out" | sed -n '2p' | grep -qF -- "$4"
}
outbox_rows() { bk_sql "$T/$BOX/outbox.db" "SELECT count(*) FROM outbox" 2>/dev/null || echo x; }
selftest_events() {
	bk_sql "$DB" "SELECT count(*) FROM events WHERE box = '$BOX' AND type = 'selftest'" 2>/dev/null || echo 0
}

# The kernel's NTP status, read here without bk-edge's code: adjtimex(2)
# through ctypes; TIME_ERROR (5) or STA_UNSYNC (0x40) mean not synchronised.
synced=$("$BK_PY" -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(512)  # struct timex; status is the int at offset 40 (x86_64, arm64)
rc = libc.adjtimex(buf)
status = int.from_bytes(buf.raw[40:44], "little", signed=True)
print("no" if rc in (-1, 5) or status & 0x40 else "yes")')
echo "# the kernel says the clock is synchronised: $synced"

# --- a good box -----------------------------------------------------------
GOOD=$(conf good "$(camera cam1 "rtsp://127.0.0.1:$CAM_PORT/stream")$(modbus plc-1 "$MB_PORT")")
selftest "$GOOD"
is "a good box passes: exit 0" "$ST" 0
ok "... the summary says so" grep -qE "^[0-9]+ passed \([0-9]+ with a warning\), 0 failed, 0 not run: self-test passed$" "$T/st.out"
ok "... no ✗ and no - line" bash -c "! grep -qE '^(✗|-) ' '$T/st.out'"
ok "... config ✓ with what it holds" has "✓ config: '$GOOD' is valid: box $BOX, 3 sensors, 1 camera"
if [ "$synced" = yes ]; then
	ok "... clock ✓: synchronised by NTP" has "✓ clock: "
else
	ok "... clock !: not synchronised by NTP (a warning, with its hint)" \
		line_hint "!" clock "not synchronised by NTP" "timedatectl set-ntp true"
fi
ok "... disk ✓ with free space against the budget" grep -qE "^✓ disk: '$T/$BOX' is writable; .* free \+ .* used by the box ≥ disk_budget 16.0 GiB$" "$T/st.out"
ok "... camera ✓: reachable, segments recorded" grep -qE "^✓ camera cam1: reachable, [0-9]+ segments? recorded in [0-9]+ s$" "$T/st.out"
ok "... Modbus sensor ✓ with its value" has "✓ sensor plc-1: 4.2 °C, plausible for fridge"
ok "... sim sensors ✓" bash -c "grep -q '^✓ sensor fridge-1: .* °C, plausible for fridge$' '$T/st.out' && grep -q '^✓ sensor freezer-1: .* °C, plausible for freezer$' '$T/st.out'"
ok "... certificate ✓ with its end" grep -qE "^✓ certificate: $BOX, valid until .* \((82[0-9]) days left\)$" "$T/st.out"
ok "... broker ✓: TLS and MQTT" grep -qE "^✓ broker: 127.0.0.1:$BK_PORT: TLS and MQTT connect as $BOX in [0-9]+ ms$" "$T/st.out"
ok "... round trip ✓: the event acknowledged" grep -qE "^✓ round trip: a selftest event \(seq 1\) archived and acknowledged by the centre in [0-9]+ ms$" "$T/st.out"
ok "... clock vs centre ✓ (same machine)" grep -qE "^✓ clock vs centre: the centre's clock is [+-]0\.[0-9]{2} s from ours" "$T/st.out"
is "the centre archived one selftest event of $BOX" "$(selftest_events)" 1
msg=$(bk_sql "$DB" "SELECT message FROM event_state WHERE box = '$BOX' AND event_id LIKE 'selftest:%'" 2>/dev/null ||
	bk_sql "$DB" "SELECT message FROM events WHERE box = '$BOX' AND type = 'selftest'")
echo "# its message: $msg"
ok "... saying how the self-test went" grep -qE "^self-test: [0-9]+ passed \([0-9]+ with a warning.*\), 0 failed$" <<<"$msg"
ok "... an info event, not an alert" test "$(bk_sql "$DB" "SELECT severity || ' ' || phase FROM events WHERE box = '$BOX' AND type = 'selftest'")" = "info close"
is "the ack emptied the outbox" "$(outbox_rows)" 0
ok "the scratch recording is gone, no video left behind" test ! -e "$T/$BOX/selftest" -a ! -e "$T/$BOX/video"

# --- one fault at a time ----------------------------------------------------
selftest "$(conf cam-closed "$(camera cam1 "rtsp://admin:s3cret@127.0.0.1:$CLOSED/stream")")"
is "a camera at a closed port fails: exit 1" "$ST" 1
ok "... ✗ camera, cannot connect, with the RTSP hint and a ping" \
	line_hint "✗" "camera cam1" "cannot connect to 127.0.0.1:$CLOSED (Could not open resource for reading and writing)" "[camera cam1] source and that the camera is powered and on this network: ping 127.0.0.1"
ok "... never showing the camera's password" bash -c "! grep -q s3cret '$T/st.out' '$T/st.err'"
ok "... while the rest passes" grep -q "^✓ round trip: " "$T/st.out"

selftest "$(conf mb-closed "$(modbus plc-1 "$CLOSED")")"
is "a Modbus controller at a closed port fails: exit 1" "$ST" 1
ok "... ✗ sensor, the reads and why, hint naming host and port" \
	line_hint "✗" "sensor plc-1" "3 of 3 reads failed: Connection refused" "controller at 127.0.0.1 port $CLOSED is powered"

printf 'seconds,value\n0,500\n' >"$T/hot.csv"
selftest "$(conf hot "$(printf '\n[sensor hot-1]\nkind = fridge\ndriver = sim\nperiod = 100ms\nsim_csv = %s\n' "$T/hot.csv")")"
is "a fridge reading 500 °C fails: exit 1" "$ST" 1
ok "... ✗ sensor, impossible (the rules' valid range), with a hint" \
	line_hint "✗" "sensor hot-1" "500.0 °C is impossible for a fridge: impossible value 500 (valid -40 to 60)" "[sensor hot-1] scale, offset"

"$BK_ROOT/tools/bk-pki" init "$T/other" >/dev/null && "$BK_ROOT/tools/bk-pki" issue "$T/other" "$BOX" >/dev/null
sed "s|^cert = .*|cert = $T/other/$BOX.crt|; s|^key = .*|key = $T/other/$BOX.key|" "$(conf plain "")" >"$T/other-ca.conf"
selftest "$T/other-ca.conf"
is "a certificate from another CA fails: exit 1" "$ST" 1
ok "... ✗ certificate: not from [mqtt] ca" line_hint "✗" certificate "$BOX is not from the CA in [mqtt] ca" "issued for $BOX as [mqtt] cert and key"
ok "... ✗ broker: it refuses the certificate" line_hint "✗" broker "accepts TCP, then closes the connection during TLS: it refuses this box's certificate" "see certificate above"
ok "... the round trip not tried" has "- round trip: not tried: not connected to the broker"

(cd "$BK_PKI" && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/old.key" &&
	openssl req -new -config db/openssl.cnf -key "$T/old.key" -subj "/CN=$BOX" -out "$T/old.csr" &&
	openssl ca -batch -notext -config db/openssl.cnf -extensions client_ext -startdate 20240101000000Z \
		-enddate 20240201000000Z -in "$T/old.csr" -out "$T/old.crt") >"$T/openssl.log" 2>&1
sed "s|^cert = .*|cert = $T/old.crt|; s|^key = .*|key = $T/old.key|" "$T/plain.conf" >"$T/expired.conf"
selftest "$T/expired.conf"
is "an expired certificate fails: exit 1" "$ST" 1
ok "... ✗ certificate with its dates" line_hint "✗" certificate "$BOX expired on 2024-02-01 00:00:00 UTC (valid from 2024-01-01 00:00:00 UTC)" "renewed certificate"

sed "s|$BOX|box-soon|g" "$T/plain.conf" >"$T/soon.conf"
selftest "$T/soon.conf"
is "a certificate 10 days from its end is only a warning: exit 0" "$ST" 0
ok "... ! certificate with the days left" line_hint "!" certificate "box-soon, valid until" "renew it before then"

touch "$T/afile"
sed "s|^state_dir = .*|state_dir = $T/afile/state|" "$T/plain.conf" >"$T/nodir.conf"
selftest "$T/nodir.conf"
is "a state directory that cannot be made fails: exit 1" "$ST" 1
ok "... ✗ disk with the reason and a hint" line_hint "✗" disk "cannot use the state directory '$T/afile/state': Not a directory" "set [box] state_dir"
ok "... the round trip not tried (no outbox)" has "- round trip: not tried: no outbox (see disk)"

# --- a bk-edge running on the same state directory --------------------------
bk_bg daemon "$BK_BIN/bk-edge" -c "$T/plain.conf"
ok "the daemon runs" wait_until 10 grep -q "connected to" "$T/daemon.log"
selftest "$T/plain.conf"
is "the self-test refuses beside it: exit 1" "$ST" 1
ok "... ✗ bk-edge: already running, its pid, the hint to stop it" \
	line_hint "✗" bk-edge "already running on the state directory '$T/$BOX' (pid $(bk_pid daemon))" "systemctl stop bk-edge"
ok "... and tries nothing else" bash -c "! grep -qE '^. (disk|sensor|broker|round trip)' '$T/st.out'"
"$BK_BIN/bk-edge" -c "$T/plain.conf" >"$T/second.out" 2>&1
is "a second daemon on the same state directory exits 1" "$?" 1
ok "... saying why" grep -q "cannot start: another bk-edge (pid $(bk_pid daemon)) runs on the state directory '$T/$BOX'" "$T/second.out"
ok "the daemon is undisturbed" kill -0 "$(bk_pid daemon)"
bk_stop daemon

# --- the collector stopped: broker ✓, round trip ✗, nothing lost -----------
# (and a command the centre queued for the box while it was away)
bk_stop collector
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
ok "a ping is queued for the box" bk_pub svc-collector -q 1 -t "bk/v1/box/$BOX/cmd" -m \
	"{\"v\":1,\"id\":\"svc-collector\",\"seq\":1,\"ts\":\"$now\",\"mono\":1,\"clock\":\"unsynced\",\"cmd_id\":\"cmd-st-1\",\"box\":\"$BOX\",\"action\":\"ping\"}"
selftest "$T/plain.conf"
is "without the collector the self-test fails: exit 1" "$ST" 1
ok "... the broker still ✓" has "✓ broker: 127.0.0.1:$BK_PORT: TLS and MQTT connect"
ok "... ✗ round trip, with the hint to call the centre" line_hint "✗" "round trip" "but the centre did not acknowledge it in 5 s" "bk-collector may be down"
ok "... the clock vs centre not measured" has "- clock vs centre: not measured"
is "... its event waits in the outbox" "$(outbox_rows)" 1
ok "... ! commands: the queued ping was not carried out" \
	line_hint "!" commands "during the self-test and were not carried out: ping cmd-st-1" "send them again"
: >"$T/collector.log"
ok "the collector starts again" bk_collector_start
bk_bg daemon "$BK_BIN/bk-edge" -c "$T/plain.conf"
ok "the daemon delivers the waiting selftest event" wait_until 20 bk_at_least 2 selftest_events
bk_stop daemon

# --- two brokers, the second down: each is checked on its own ----------------
DEAD=$(free_port)
sed "s|^uri = .*|uri = ssl://127.0.0.1:$BK_PORT, ssl://127.0.0.1:$DEAD|" "$T/plain.conf" >"$T/two.conf"
selftest "$T/two.conf"
is "with a second broker down the self-test fails: exit 1" "$ST" 1
ok "... ✓ broker 1 of 2" has "✓ broker 1 of 2: 127.0.0.1:$BK_PORT: TLS and MQTT connect as $BOX"
ok "... ✗ broker 2 of 2: nothing listens, with a hint" line_hint "✗" "broker 2 of 2" "127.0.0.1:$DEAD refused the connection" "ask the centre whether the broker runs"
ok "... the round trip goes through broker 1" has "✓ round trip"

bk_stop broker
selftest "$T/plain.conf"
is "without the broker the self-test fails: exit 1" "$ST" 1
ok "... ✗ broker: nothing listens, with a hint" line_hint "✗" broker "127.0.0.1:$BK_PORT refused the connection: no broker listens there" "ask the centre whether the broker runs"

# --- usage ------------------------------------------------------------------
printf '[box]\nid = nobox\n' >"$T/bad.conf"
selftest "$T/bad.conf"
is "a bad configuration exits 2" "$ST" 2
ok "... ✗ config, the loader's problems on stderr" bash -c "grep -q '^✗ config: ' '$T/st.out' && grep -q 'nobox' '$T/st.err'"
"$BK_BIN/bk-edge" -c "$T/plain.conf" -t --selftest >/dev/null 2>&1
is "-t with --selftest is bad usage: exit 2" "$?" 2
"$BK_BIN/bk-collector" -c "$T/collector.conf" --selftest >/dev/null 2>&1
is "bk-collector has no --selftest: exit 2" "$?" 2

bk_done
