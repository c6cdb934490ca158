#!/bin/bash
# `make demo` keeps working: the demo script brings the system up, shows
# live readings from both boxes, and stops every process it started. The
# canteen's cabinet breaches 8 s after the start: its alert brings a
# snapshot and a clip of the clean-room camera, both verified by the
# collector within the run (about 45 s in); the clip request the demo
# prints works as printed, through the svc-bkctl identity it made.
source "$(dirname "$0")/../lib/common.sh"
bk_tmpdir
source "$BK_ROOT/tests/lib/daemons.sh"
port=$(free_port)
DB=$T/demo/archive.db
# Not through bk_bg: its clean-up kills with -9, which would leave the
# demo's broker and daemons behind; the demo stops by itself after 75 s.
BK_DEMO_SECONDS=75 BK_DEMO_PORT=$port BK_DEMO_DIR=$T/demo "$BK_ROOT/tools/demo" \
	</dev/null >"$T/demo.out" 2>&1 &
demo=$!

clips() { # MIME: verified clips of the cabinet's alert
	bk_sql "$DB" "SELECT count(*) FROM clips WHERE box = 'box-demo-canteen'
		AND event_id LIKE 'cabinet-1:temperature_high:%' AND mime = '$1'
		AND state = 'verified'" 2>/dev/null || echo 0
}
ok "the cabinet's alert brings a verified snapshot" wait_until 40 bk_at_least 1 clips image/jpeg
ok "and a verified clip of the clean-room camera" wait_until 70 bk_at_least 1 clips video/mp2t
stored() { # the clip's file in the store has the sha256 the box signed
	local path sha
	IFS='|' read -r path sha < <(bk_sql "$DB" "SELECT path, sha256 FROM clips
		WHERE box = 'box-demo-canteen' AND mime = 'video/mp2t' AND state = 'verified'
		AND event_id LIKE 'cabinet-1:%' LIMIT 1")
	[ "$path" = "$T/demo/clips/${sha:0:2}/$sha.ts" ] &&
		[ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sha" ]
}
ok "the clip is stored content-addressed with the signed sha256" stored
# the command exactly as printed, backslash-continued lines and all
request=$(sed -n '/--config .*bkctl\.conf.* --wait /,/--from /p' "$T/demo.out")
ok "the demo prints a clip request" test -n "$request"
ok "the printed clip request is answered with a verified clip" \
	bash -c "$request >'$T/request.out' && grep -q '^clip: verified ' '$T/request.out'"
sed 's/^/# /' "$T/request.out"

wait "$demo"
rc=$?
grep -v 'reading #' "$T/demo.out" | sed 's/^/# /' | head -50
is "the demo exits cleanly" "$rc" 0
ok "it says where the archive is" grep -q "archiving to $T/demo/archive.db" "$T/demo.out"
ok "it imports a delivery platform's shops" grep -qF "meituan.csv: 3 shops of 1 platform (3 new" "$T/demo.out"
ok "... and shows the findings (一证多店, 超出许可经营项目, 未公示许可证)" \
	bash -c "grep -q 一证多店 '$T/demo.out' && grep -q 超出许可经营项目 '$T/demo.out' && grep -q 未公示许可证 '$T/demo.out'"
ok "live readings from the canteen box" grep -qE "box-demo-canteen +reading #[0-9]+ +[0-9]+ samples, last: .*fridge-1" "$T/demo.out"
ok "live readings from the noodle box" grep -qE "box-demo-noodles +reading #[0-9]+" "$T/demo.out"
ok "status changes are shown" grep -qE "box-demo-canteen +status +online" "$T/demo.out"
ok "the noodle shop's fridge alert is shown" \
	grep -qE "box-demo-noodles +event open +temperature_high warning fridge-1" "$T/demo.out"
ok "it watches the clean-room camera live (bkctl live)" \
	grep -qE "demo: live view \(bkctl live\): box-demo-canteen/prep-1: [0-9]+ bytes, [1-9][0-9]* fragments" "$T/demo.out"
ok "... into a file gst-discoverer reads as H.264" bash -c "gst-discoverer-1.0 '$T/demo/live-prep-1.mp4' | grep -qi 'video #.*: H.264'"
is "... audited" "$(bk_sql "$DB" "SELECT count(*) FROM live_views WHERE camera = 'prep-1' AND bytes > 0 AND ended IS NOT NULL")" 1
ok "verified clips are shown" grep -qE "box-demo-canteen +clip verified +prep-1 " "$T/demo.out"
ok "it stops what it started" grep -q "stopping 4 processes" "$T/demo.out"
sleep 0.5
no_leftovers() { ! pgrep -f "^(mosquitto|$BK_BIN/bk-[a-z]+) -c $T/demo" >/dev/null; }
ok "no demo process is left running" no_leftovers
reports=$(grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/demo/logs/*.log)
ok "no sanitizer reports in the demo's logs${reports:+: $reports}" test -z "$reports"
bk_done
