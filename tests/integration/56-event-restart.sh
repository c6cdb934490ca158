#!/bin/bash
# An alert open when its box dies is not lost or duplicated: the restarted
# box resumes it and closes it once the fridge recovers, with its whole
# duration; the collector shows one event, closed, with its steps.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

bk_pki_setup box-r svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts" bk_collector_start
DB=$T/collector.db
warm=$(printf '[sensor door]\nkind = fridge\ndriver = sim\nperiod = 200ms\nsim_base = 12\nsim_amplitude = 0\nduration = 1s\nstuck_after = 0')
cold=$(printf '[sensor door]\nkind = fridge\ndriver = sim\nperiod = 200ms\nsim_base = 4\nsim_amplitude = 0\nduration = 1s\nstuck_after = 0')
ok "box starts with a warm fridge" bk_edge_start box-r "$warm"
state() { bk_sql "$DB" "SELECT group_concat(state, ',') FROM event_state WHERE box = 'box-r' AND source = 'door'"; }
state_is() { [ "$(state)" = "$1" ]; }
ok "an alert opens" wait_until 20 state_is open
bk_stop box-r KILL
sleep 3
ok "the box restarts with the fridge cold again" bk_edge_start box-r "$cold"
ok "the same alert closes (no second one)" wait_until 20 state_is closed
ok "the box said it resumed the event" grep -q "resumed event door:temperature_high" "$T/box-r.log"
row=$(bk_sql "$DB" "SELECT count(*), sum(steps), min(duration_s) FROM event_state WHERE box = 'box-r'")
n=${row%%|*}
is "one event in all" "$n" 1
dur=${row##*|}
ok "its duration spans the restart ($dur s ≥ 4 s)" /usr/bin/python3 -c "import sys; sys.exit(0 if float('$dur') >= 4 else 1)"
is "history: open then close" "$(bk_sql "$DB" "SELECT group_concat(phase, ',') FROM (SELECT phase FROM events WHERE box = 'box-r' ORDER BY seq)")" "open,close"
is "nothing left open in the box's outbox" "$(bk_sql "$T/box-r/outbox.db" "SELECT count(*) FROM open_events")" 0
bk_done
