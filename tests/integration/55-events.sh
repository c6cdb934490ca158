#!/bin/bash
# Events end to end. A Modbus TCP controller (the fake in tests/tools) ramps
# a fridge above 8 °C for longer than the alert delay and back: exactly one
# alert opens, updates with its peak, and closes, and the archive shows it
# with the right peak and duration. A file sensor whose file disappears
# opens sensor_fault, and closes it when the file is back.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-modbus
BOX=box-ev

bk_pki_setup "$BOX" svc-collector svc-capture || exit 1
bk_broker_start --service svc-capture || exit 1
bk_sub_bg capture svc-capture -q 1 -v -F '%t\t%p' -t 'bk/v1/#' # for the schema check
ok "collector starts" bk_collector_start
DB=$T/collector.db
MB_PORT=$(free_port)

# The cold room (scale 0.1): 4.0 °C, warming past 8 at t=4 s, peaking at
# 10.5, back to 7.2 (inside the 0.5 hysteresis) at t=14 s. With a 3 s delay
# the alert opens at about t=7 s and closes at t=14 s: 10 s of breach.
cat >"$T/plc.script" <<'EOF2'
0 100 40
2 100 60
4 100 85
6 100 90
8 100 98
10 100 105
12 100 83
14 100 72
EOF2
bk_bg plc "$FAKE" --port "$MB_PORT" --script "$T/plc.script"
ok "fake Modbus controller listening" wait_until 5 grep -q "listening on 127.0.0.1:$MB_PORT" "$T/plc.log"
echo 4500 >"$T/probe"
SENSORS=$(printf '[sensor coldroom]\nkind = fridge\nzone = 冷藏间\ndriver = modbus\nhost = 127.0.0.1\nport = %s\nregister = 100\nscale = 0.1\nperiod = 250ms\nduration = 3s\nupdate_step = 0.5\n\n[sensor probe]\nkind = fridge\ndriver = file\npath = %s/probe\nscale = 0.001\nperiod = 250ms\nfault_errors = 3\nstuck_after = 0\n' "$MB_PORT" "$T")
# the sensors replace the sim ones of bk_edge_conf
bk_edge_conf "$BOX" >/dev/null
sed -i '/^\[sensor fridge-1\]/,$d' "$T/$BOX.conf"
printf '%s\n' "$SENSORS" >>"$T/$BOX.conf"
ok "the box's configuration is valid" "$BK_BIN/bk-edge" -t -c "$T/$BOX.conf"
bk_bg "$BOX" "$BK_BIN/bk-edge" -c "$T/$BOX.conf"

cold() { bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND source = 'coldroom' AND state = 'closed'"; }
ok "the cold-room alert opens and closes" wait_until 40 bk_at_least 1 cold
sleep 2
row=$(bk_sql "$DB" "SELECT count(*), type, severity, zone, peak, unit, duration_s, steps FROM event_state WHERE box = '$BOX' AND source = 'coldroom'")
echo "# event_state: $row"
IFS='|' read -r n type severity zone peak unit duration steps <<<"$row"
is "exactly one alert" "$n" 1
is "it is temperature_high" "$type" temperature_high
is "in the cold room's zone" "$zone" 冷藏间
is "with the peak of the ramp" "$peak" 10.5
is "in °C" "$unit" C
ok "lasting the breach, about 10 s (got $duration)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if 9.0 <= float('$duration') <= 11.5 else 1)"
steps=$(bk_sql "$DB" "SELECT group_concat(phase, ',') FROM (SELECT phase FROM events WHERE box = '$BOX' AND source = 'coldroom' ORDER BY seq)")
echo "# steps: $steps"
ok "its history: open, update(s) with the new peak, close" \
	bash -c "[[ '$steps' =~ ^open(,update)+,close$ ]]"
peaks=$(bk_sql "$DB" "SELECT group_concat(peak, ',') FROM (SELECT peak FROM events WHERE box = '$BOX' AND source = 'coldroom' ORDER BY seq)")
echo "# peaks by step: $peaks"
is "the last update carried the final peak" "$(bk_sql "$DB" "SELECT peak FROM events WHERE box = '$BOX' AND source = 'coldroom' AND phase = 'update' ORDER BY seq DESC LIMIT 1")" 10.5

# the file sensor disappears, then comes back
rm "$T/probe"
fault() { bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND source = 'probe' AND type = 'sensor_fault' AND state = '$1'"; }
ok "a vanished file sensor opens sensor_fault" wait_until 15 bk_at_least 1 fault open
msg=$(bk_sql "$DB" "SELECT message FROM event_state WHERE box = '$BOX' AND source = 'probe'")
ok "the fault says why ($msg)" grep -q "read errors in a row" <<<"$msg"
echo 4600 >"$T/probe"
ok "and closes when it is back" wait_until 15 bk_at_least 1 fault closed
is "no temperature alert from the probe" "$(bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND source = 'probe' AND type != 'sensor_fault'")" 0
# rules that make no sense are refused before the box starts
sed -e 's/^duration = 3s$/duration = 3s\nmin = 9\nmax = 3/' "$T/$BOX.conf" >"$T/bad-rules.conf"
out=$("$BK_BIN/bk-edge" -t -c "$T/bad-rules.conf" 2>&1)
ok "bk-edge -t names group and key of min above max" \
	grep -q "bad-rules.conf: \[sensor coldroom\] min: 9 is above max 3" <<<"$out"
out=$("$BK_BIN/bkctl" --db "$DB" events --box "$BOX")
ok "bkctl events lists them" grep -q "temperature_high .* closed .*coldroom" <<<"$out"
bk_stop capture TERM
check=$(/usr/bin/python3 "$BK_ROOT/tests/schema/check.py" captured "$T/capture.log" 2>&1)
rc=$?
sed 's/^/# /' <<<"$check"
is "every message on the wire conforms to schemas/ (independent validator)" "$rc" 0
ok "... events among them" grep -q "ok .* - captured event: [1-9]" <<<"$check"
bk_done
