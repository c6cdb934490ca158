#!/bin/bash
# Sensor drivers end to end: a box reads a Modbus TCP controller (the fake
# in tests/tools, on 127.0.0.1), an hwmon-like file, a w1_slave file and a
# CSV-scripted sim sensor; the archive holds their values with scale and
# offset applied. The controller is killed and comes back on the same port:
# the box logs the failure once per sensor (not per sample) and resumes
# reading without a restart. bk-edge -t names group and key of bad driver
# settings.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-modbus
BOX=box-s

# fake_start NAME SCRIPT-FILE: fake-modbus on $MB_PORT, ready when it says so.
fake_start() {
	bk_bg "$1" "$FAKE" --port "$MB_PORT" --script "$2"
	wait_until 5 grep -q "listening on 127.0.0.1:$MB_PORT" "$T/$1.log"
}
# readings SENSOR VALUE: how many readings of SENSOR equal VALUE (to 1e-6).
readings() {
	bk_sql "$DB" "SELECT count(*) FROM readings WHERE sender = '$BOX' AND sensor = '$1'
		AND abs(value - ($2)) < 1e-6" 2>/dev/null || echo 0
}
all_readings() {
	bk_sql "$DB" "SELECT count(*) FROM readings WHERE sender = '$BOX' AND sensor = '$1'" \
		2>/dev/null || echo 0
}
failures_logged() { grep -c "cannot read sensor '$1'" "$T/$BOX.log"; }
failure_logged() { [ "$(failures_logged "$1")" -ge 1 ]; }

ok "fake-modbus is built" test -x "$FAKE"
[ -x "$FAKE" ] || { bk_done; exit 1; }
bk_pki_setup "$BOX" svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$T/collector.db
MB_PORT=$(free_port)

cat >"$T/plc-1.script" <<'EOF'
# seconds [table] register value
0 100 40          # fridge: 4.0 °C with scale 0.1
0 input 7 -185    # freezer (int16): -18.5 °C
0 200 16712       # float32, big word order: 0x4148 0x0000 = 12.5
0 201 0
0 300 34464       # uint32, little word order: 0x0001 0x86a0 = 100000
0 301 1
6 100 55          # the door stayed open: 5.5 °C
EOF
echo '0 100 61 # after the reboot: 6.1 °C' >"$T/plc-2.script"
echo 23125 >"$T/temp1_input"
printf '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=4500\n' >"$T/w1_slave"
printf '# a scripted door opening\nseconds,value\n0,3\n2,9\n' >"$T/door.csv"

modbus() { # ID REGISTER EXTRA-LINES: one modbus sensor group on the fake
	printf '\n[sensor %s]\nkind = %s\ndriver = modbus\nhost = 127.0.0.1\nport = %s\nregister = %s\nperiod = 200ms\ntimeout = 500ms\n%s\n' \
		"$1" "${4:-fridge}" "$MB_PORT" "$2" "$3"
}
SENSORS="$(modbus plc-fridge 100 'scale = 0.1')
$(modbus plc-freezer 7 "$(printf 'function = input\ntype = int16\nscale = 0.1')" freezer)
$(modbus plc-float 200 'type = float32' generic)
$(modbus plc-count 300 "$(printf 'type = uint32\nword_order = little')" generic)

[sensor hw-1]
kind = cleanroom
driver = file
path = $T/temp1_input
scale = 0.001
period = 200ms

[sensor w1-1]
kind = fridge
driver = file
format = w1_slave
path = $T/w1_slave
scale = 0.001
offset = -0.25
period = 200ms

[sensor csv-1]
kind = fridge
driver = sim
sim_csv = $T/door.csv
period = 200ms"

ok "fake-modbus listens on 127.0.0.1:$MB_PORT" fake_start plc-1 "$T/plc-1.script"
ok "the box accepts its driver configuration" bk_edge_start "$BOX" "$SENSORS"
box_pid=$(bk_pid "$BOX")
is "bk-edge -t says configuration OK" "$("$BK_BIN/bk-edge" -t -c "$T/$BOX.conf" 2>&1)" "configuration OK"

ok "modbus holding register 40 × 0.1 arrives as 4.0" wait_until 20 bk_at_least 3 readings plc-fridge 4.0
ok "modbus input register int16 -185 × 0.1 arrives as -18.5" wait_until 5 bk_at_least 3 readings plc-freezer -18.5
ok "modbus float32 (big word order) arrives as 12.5" wait_until 5 bk_at_least 2 readings plc-float 12.5
ok "modbus uint32 (little word order) arrives as 100000" wait_until 5 bk_at_least 2 readings plc-count 100000
ok "hwmon-like file 23125 × 0.001 arrives as 23.125" wait_until 5 bk_at_least 3 readings hw-1 23.125
ok "w1_slave t=4500 × 0.001 - 0.25 arrives as 4.25" wait_until 5 bk_at_least 3 readings w1-1 4.25
ok "the sim CSV's first step (3) arrives" wait_until 5 bk_at_least 2 readings csv-1 3
ok "... then its second (9), held" wait_until 10 bk_at_least 3 readings csv-1 9
ok "the controller's register change arrives (5.5)" wait_until 15 bk_at_least 3 readings plc-fridge 5.5
echo 24500 >"$T/temp1_input"
ok "the file is read anew at each sample (24.5)" wait_until 5 bk_at_least 2 readings hw-1 24.5

# The controller crashes and is down for a while.
bk_stop plc-1 KILL
ok "the box logs the modbus failure" wait_until 5 failure_logged plc-fridge
down=$(all_readings plc-fridge)
sleep 2 # 10 periods of failed reads
is "... once, not once a sample" "$(failures_logged plc-fridge)" 1
grep -F "'plc-fridge'" "$T/$BOX.log" | sed 's/^/# /'
ok "no plc-fridge readings while the controller is down" test "$(all_readings plc-fridge)" -le $((down + 2))
ok "the other sensors go on meanwhile" wait_until 5 bk_at_least 15 readings hw-1 24.5

ok "fake-modbus comes back on the same port" fake_start plc-2 "$T/plc-2.script"
ok "readings resume from the rebooted controller (6.1)" wait_until 10 bk_at_least 3 readings plc-fridge 6.1
ok "... with the same box process, never restarted" kill -0 "$box_pid"
is "... which logged the outage once for plc-fridge" "$(failures_logged plc-fridge)" 1
is "... and the recovery, once" "$(grep -c "sensor 'plc-fridge': modbus 127.0.0.1:$MB_PORT unit 1 answers again" "$T/$BOX.log")" 1
is "every modbus sensor logged the outage once" \
	"$(for s in plc-fridge plc-freezer plc-float plc-count; do failures_logged $s; done | tr '\n' ' ')" "1 1 1 1 "

# A missing or broken w1 sensor: logged once, readings resume when it is back.
printf '72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n72 01 4b 46 7f ff 0e 10 57 t=4500\n' >"$T/w1_slave"
ok "a bad 1-Wire CRC is logged as an I/O error" \
	wait_until 5 grep -q "cannot read sensor 'w1-1': Input/output error" "$T/$BOX.log"
ok "... with the reason and the file" \
	grep -qF "sensor 'w1-1': cannot use '$T/w1_slave': the 1-Wire CRC check failed (NO)" "$T/$BOX.log"
printf '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=5000\n' >"$T/w1_slave"
ok "... and readings resume when the CRC is good (4.75)" wait_until 5 bk_at_least 2 readings w1-1 4.75

# fake-modbus exits cleanly on SIGTERM.
pid=$(bk_pid plc-2)
kill -TERM "$pid"
wait "$pid"
is "fake-modbus exits 0 on SIGTERM" "$?" 0
unset "BK_PIDS[plc-2]"

# -t names the group and key of bad driver settings.
cat "$T/$BOX.conf" - >"$T/bad.conf" <<'EOF'

[sensor bad-driver]
kind = fridge
driver = onewire

[sensor bad-noreg]
kind = fridge
driver = modbus
host = 127.0.0.1

[sensor bad-type]
kind = fridge
driver = modbus
host = 127.0.0.1
register = 1
type = int64

[sensor bad-file]
kind = fridge
driver = file
path = /sys/nothing
format = xml
EOF
out=$("$BK_BIN/bk-edge" -t -c "$T/bad.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok "bk-edge -t refuses bad driver settings (exit $rc)" test "$rc" -ne 0
ok "... unknown driver" grep -qF "bad.conf: [sensor bad-driver] driver: unknown driver 'onewire'" <<<"$out"
ok "... modbus without register" grep -qF "bad.conf: [sensor bad-noreg] register: missing (required)" <<<"$out"
ok "... modbus bad type" grep -qF "bad.conf: [sensor bad-type] type: 'int64' is not uint16, int16, uint32, int32 or float32" <<<"$out"
ok "... file bad format" grep -qF "bad.conf: [sensor bad-file] format: 'xml' is not number or w1_slave" <<<"$out"

bk_stop "$BOX" TERM
bk_done
