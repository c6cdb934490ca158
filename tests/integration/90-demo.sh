#!/bin/bash
# `make demo` keeps working: the demo script brings the system up, shows
# live readings from both boxes, and stops every process it started.
source "$(dirname "$0")/../lib/common.sh"
bk_tmpdir
port=$(free_port)
BK_DEMO_SECONDS=14 BK_DEMO_PORT=$port BK_DEMO_DIR=$T/demo "$BK_ROOT/tools/demo" >"$T/demo.out" 2>&1
rc=$?
sed 's/^/# /' "$T/demo.out" | head -30
is "the demo exits cleanly" "$rc" 0
ok "it says where the archive is" grep -q "archiving to $T/demo/archive.db" "$T/demo.out"
ok "live readings from the canteen box" grep -qE "box-demo-canteen +reading #[0-9]+ +[0-9]+ samples, last: .*fridge-1" "$T/demo.out"
ok "live readings from the noodle box" grep -qE "box-demo-noodles +reading #[0-9]+" "$T/demo.out"
ok "status changes are shown" grep -qE "box-demo-canteen +status +online" "$T/demo.out"
ok "it stops what it started" grep -q "stopping 4 processes" "$T/demo.out"
sleep 0.5
no_leftovers() { ! pgrep -f "^(mosquitto|$BK_BIN/bk-[a-z]+) -c $T/demo" >/dev/null; }
ok "no demo process is left running" no_leftovers
bk_done
