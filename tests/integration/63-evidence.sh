#!/bin/bash
# Evidence retrieval and the disk budget. A box records a 2 Mbit/s camera
# under a 4 MB disk budget, with the collector down. `bkctl clip request`
# asks (through the broker) for a past range: the box answers which parts
# it has and builds the clip; the budget then deletes the oldest segments,
# those of the clip's range among them, but never the clip waiting for
# verification. When the collector comes, the clip is verified and its
# file leaves the box. A second request with --wait follows the answer and
# the clip to "verified". A range with nothing recorded is answered so.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-camera
BOX=box-ev

ok "fake-camera is built" test -x "$FAKE"
[ -x "$FAKE" ] || { bk_done; exit 1; }
bk_pki_setup "$BOX" svc-collector svc-bkctl || exit 1
bk_broker_start --service svc-collector --service svc-bkctl || exit 1
PORT=$(free_port)
bk_bg cam env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$FAKE" --port "$PORT" \
	--codec h264 --width 1280 --height 720 --fps 15 --bitrate 2000
ok "the camera listens" wait_until 10 grep -q "listening on rtsp://127.0.0.1:$PORT/stream" "$T/cam.log"

EXTRA=$(printf '[camera kitchen-1]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\nno_frames_timeout = 3s\n' "$PORT")
bk_edge_conf "$BOX" "$EXTRA" >/dev/null
sed -i 's/^status_period = 2s$/status_period = 2s\ndisk_budget = 4M/' "$T/$BOX.conf"
ok "the box's configuration is valid" "$BK_BIN/bk-edge" -t -c "$T/$BOX.conf"
bk_bg "$BOX" "$BK_BIN/bk-edge" -c "$T/$BOX.conf"
STORE=$T/$BOX/outbox.db
segs() { bk_sql "$STORE" "SELECT count(*) FROM segments" 2>/dev/null || echo 0; }
ok "the camera is recording" wait_until 25 bk_at_least 4 segs

{ echo "[bkctl]"; echo "id = svc-bkctl"; bk_mqtt_group svc-bkctl 10s 2s; } >"$T/bkctl.conf"
ts() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
now=$(date +%s)
ok "bkctl clip request sends the command" bash -c "
	'$BK_BIN/bkctl' --config '$T/bkctl.conf' clip request --box $BOX --camera kitchen-1 \
		--from $(ts $((now - 6))) --to $(ts $((now - 3))) >'$T/req1.out'"
cat "$T/req1.out" | sed 's/^/# /'
built() { bk_sql "$STORE" "SELECT count(*) FROM clips WHERE state = 1" 2>/dev/null || echo 0; }
ok "the box builds the clip" wait_until 15 bk_at_least 1 built
IFS='|' read -r clip_id clip_path from_ms to_ms <<<"$(bk_sql "$STORE" "SELECT clip_id, path, from_ms, to_ms FROM clips")"
covering() { bk_sql "$STORE" "SELECT count(*) FROM segments WHERE camera = 'kitchen-1' AND end_ms > $from_ms AND start_ms < $to_ms"; }
gone() { [ "$(covering)" = 0 ]; }
# the budget (4 MB, ~16 s at 2 Mbit/s) soon needs the clip's segments' room
ok "the budget deletes the oldest segments, the clip's among them" wait_until 40 gone
ok "... and says so" grep -q "disk budget: deleted the .* oldest video segments" "$T/$BOX.log"
ok "the clip waiting for the collector stays" test -s "$clip_path"
sleep 4 # a little more recording under the budget
oldest=$(bk_sql "$STORE" "SELECT min(start_ms) FROM segments")
newest=$(bk_sql "$STORE" "SELECT max(end_ms) FROM segments")
kept=$(( (newest - oldest) / 1000 ))
echo "# the ring now holds ${kept} s of video; the clip $clip_id waits in $clip_path"
used=$(bk_sql "$STORE" "SELECT (SELECT sum(bytes) FROM segments) + (SELECT sum(bytes) FROM clips)")
ok "video and the clip stay within the budget plus a segment ($used bytes)" \
	test "$used" -le $((4 * 1024 * 1024 + 600000))

ok "collector starts" bk_collector_start
DB=$T/collector.db
verified() { bk_sql "$DB" "SELECT count(*) FROM clips WHERE clip_id = '$clip_id' AND state = 'verified'"; }
ok "the clip is verified once the collector is there" wait_until 40 bk_at_least 1 verified
ok "... and leaves the box" wait_until 10 bash -c "[ ! -e '$clip_path' ]"
answer=$(bk_sql "$DB" "SELECT message FROM event_state WHERE box = '$BOX' AND type = 'evidence_request'")
echo "# the box answered: $answer"
ok "the box's answer names what it has and the clip" grep -q "^clip $clip_id: recorded [0-9]* s: 20" <<<"$answer"

now=$(date +%s)
"$BK_BIN/bkctl" --config "$T/bkctl.conf" --db "$DB" --wait 60 clip request --box $BOX \
	--camera kitchen-1 --from "$(ts $((now - 5)))" --to "$(ts $((now - 2)))" >"$T/req2.out" 2>&1
rc=$?
sed 's/^/# /' "$T/req2.out"
is "bkctl clip request --wait follows it to verified" "$rc" 0
ok "... printing the box's answer and the stored file" bash -c "
	grep -q '^box: clip .*: recorded [0-9]* s: ' '$T/req2.out' && grep -q '^clip: verified .*\.ts$' '$T/req2.out'"

"$BK_BIN/bkctl" --config "$T/bkctl.conf" clip request --box $BOX --camera kitchen-1 \
	--from 2020-01-01T08:00:00.000Z --to 2020-01-01T08:10:00.000Z >/dev/null
nothing() { bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND type = 'evidence_request' AND message LIKE 'clip %: nothing recorded%'"; }
ok "a range with nothing recorded is answered so" wait_until 15 bk_at_least 1 nothing
out=$("$BK_BIN/bkctl" --config "$T/bkctl.conf" clip request --box $BOX --camera kitchen-1 \
	--from 2020-01-01T08:00:00.000Z --to 2020-01-01T10:00:00.000Z 2>&1)
ok "bkctl refuses a range over an hour, and says why" grep -q "at most 60 minutes" <<<"$out"
bk_done
