#!/bin/bash
# Clips end to end: a box records a fake RTSP camera in 2 s segments; a
# fridge probe in the camera's zone breaches, and the alert yields a clip
# covering [start − pre-roll, end + post-roll] within one segment's length.
# The box signs its manifest and sends the chunks, the first two corrupted
# on the way (BK_TEST_CORRUPT_CHUNKS): the collector refuses them, asks for
# them again, verifies the whole and stores it content-addressed with the
# same sha256 the box signed; gst-discoverer-1.0 reads it with the expected
# duration; the box then forgets the clip and deletes its file. Manifests
# with a stolen certificate or a bad signature are rejected and reported,
# and their chunks refused.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-camera
BOX=box-clip

ok "fake-camera is built" test -x "$FAKE"
[ -x "$FAKE" ] || { bk_done; exit 1; }

bk_pki_setup "$BOX" box-forger svc-collector svc-capture || exit 1
bk_broker_start --service svc-capture || exit 1
bk_sub_bg capture svc-capture -q 1 -v -F '%t\t%p' -t 'bk/v1/box/+/clip' -t 'bk/v1/box/+/ack'
ok "collector starts" bk_collector_start
DB=$T/collector.db
PORT=$(free_port)
bk_bg cam env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$FAKE" --port "$PORT" \
	--codec h264 --width 640 --height 360 --fps 15 --bitrate 500
ok "the camera listens" wait_until 10 grep -q "listening on rtsp://127.0.0.1:$PORT/stream" "$T/cam.log"

echo 4000 >"$T/probe"
EXTRA=$(printf '[camera kitchen-1]\nsource = rtsp://127.0.0.1:%s/stream\nzone = 热菜间\nsegment = 2s\nno_frames_timeout = 3s\n\n[sensor probe]\nkind = fridge\nzone = 热菜间\ndriver = file\npath = %s/probe\nscale = 0.001\nperiod = 250ms\nduration = 1s\nstuck_after = 0\n\n[clips]\npre_roll = 4s\npost_roll = 4s\nchunk_size = 16K\n' "$PORT" "$T")
bk_edge_conf "$BOX" "$EXTRA" >/dev/null
ok "the box's configuration is valid" "$BK_BIN/bk-edge" -t -c "$T/$BOX.conf"
bk_bg "$BOX" env BK_TEST_CORRUPT_CHUNKS=2 "$BK_BIN/bk-edge" -c "$T/$BOX.conf"
STORE=$T/$BOX/outbox.db
segs() { bk_sql "$STORE" "SELECT count(*) FROM segments WHERE camera = 'kitchen-1'" 2>/dev/null || echo 0; }
ok "the camera is recording" wait_until 25 bk_at_least 4 segs

# a 3 s breach of the fridge's 8 °C
echo 12000 >"$T/probe"
ev() { bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND source = 'probe' AND type = 'temperature_high' AND state = '$1'"; }
ok "the breach opens an alert" wait_until 15 bk_at_least 1 ev open
sleep 3
echo 4000 >"$T/probe"
ok "... which closes" wait_until 15 bk_at_least 1 ev closed

clip() { bk_sql "$DB" "SELECT count(*) FROM clips WHERE box = '$BOX' AND mime = '$1' AND state = 'verified'"; }
ok "the clip is verified at the collector" wait_until 60 bk_at_least 1 clip video/mp2t
ok "... and the alert's snapshot" wait_until 10 bk_at_least 1 clip image/jpeg
is "one clip and one snapshot for the alert" \
	"$(bk_sql "$DB" "SELECT group_concat(mime, ' ') FROM (SELECT mime FROM clips WHERE box = '$BOX' ORDER BY mime)")" \
	"image/jpeg video/mp2t"
IFS='|' read -r event_id c_event c_start c_end c_sha c_path c_bytes <<<"$(bk_sql "$DB" "
	SELECT e.event_id, c.event_id, c.start, c.end, c.sha256, c.path, c.bytes
	FROM clips c JOIN event_state e ON e.box = c.box AND e.source = 'probe'
	WHERE c.mime = 'video/mp2t'")"
is "the clip names the alert" "$c_event" "$event_id"
ms() { date -d "$1" +%s%3N; }
IFS='|' read -r e_start e_end <<<"$(bk_sql "$DB" "SELECT start, end FROM event_state WHERE event_id = '$event_id'")"
lead=$(($(ms "$e_start") - 4000 - $(ms "$c_start")))
tail=$(($(ms "$c_end") - $(ms "$e_end") - 4000))
echo "# alert $e_start – $e_end; clip $c_start – $c_end: starts ${lead} ms before start − pre, ends ${tail} ms after end + post"
# within one segment (2 s), plus the camera's key frame interval (1 s) that cuts it
ok "the clip starts at most one segment before start − pre-roll ($lead ms)" test "$lead" -ge 0 -a "$lead" -le 3000
ok "the clip ends at most one segment after end + post-roll ($tail ms)" test "$tail" -ge 0 -a "$tail" -le 3000

ok "the stored file exists, content-addressed" test -f "$c_path" -a "$(basename "$c_path")" = "$c_sha.ts"
is "the collector's file has the sha256 the box signed" "$(sha256sum "$c_path" | cut -d' ' -f1)" "$c_sha"
is "... and the announced size" "$(stat -c %s "$c_path")" "$c_bytes"
dur=$(gst-discoverer-1.0 "$c_path" 2>/dev/null | sed -n 's/^ *Duration: \([0-9:.]*\).*/\1/p' | head -1)
dur_ms=$(awk -F: -v d="$dur" 'BEGIN{split(d, p, ":"); printf "%d", (p[1] * 3600 + p[2] * 60 + p[3]) * 1000}')
want_ms=$(($(ms "$c_end") - $(ms "$c_start")))
echo "# gst-discoverer-1.0: $dur ($dur_ms ms), manifest says $want_ms ms"
ok "gst-discoverer-1.0 reads it with the expected duration (±1.5 s)" \
	awk -v a="$dur_ms" -v b="$want_ms" 'BEGIN{d = a - b; exit !(a > 0 && d < 1500 && d > -1500)}'

IFS='|' read -r s_event s_path <<<"$(bk_sql "$DB" "SELECT event_id, path FROM clips WHERE box = '$BOX' AND mime = 'image/jpeg'")"
is "the snapshot names the alert" "$s_event" "$event_id"
ok "the snapshot is a JPEG, stored content-addressed" bash -c "
	[ \"\$(head -c 2 '$s_path' | od -An -tx1 | tr -d ' ')\" = ffd8 ] &&
	[ \"\$(tail -c 2 '$s_path' | od -An -tx1 | tr -d ' ')\" = ffd9 ] &&
	[ \"\$(sha256sum '$s_path' | cut -c1-64).jpg\" = \"\$(basename '$s_path')\" ]"
ok "the box sent two chunks corrupted" test "$(grep -c 'sent corrupted' "$T/$BOX.log")" -eq 2
ok "the collector refused them and asked for them again" \
	test "$(grep -c 'does not match its hash; asked for again' "$T/collector.log")" -eq 2
ok "the box forgets the verified clip" wait_until 10 \
	test "$(bk_sql "$STORE" "SELECT count(*) FROM clips")" = 0
ok "... and deletes its file" bash -c "[ -z \"\$(ls '$T/$BOX/clips/')\" ]"
ok "bkctl clips shows it verified" bash -c "
	'$BK_BIN/bkctl' --db '$DB' clips --box '$BOX' | grep -q verified"

# --- forged manifests ----------------------------------------------------
manifest=$(grep -P "^bk/v1/box/$BOX/clip\t" "$T/capture.log" | head -1 | cut -f2-)
ok "the manifest was captured" test -n "$manifest"
# box-forger sends box-clip's manifest (its certificate names box-clip) ...
stolen=$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); m["id"]="box-forger"; m["seq"]=1; m["clip_id"]="forged-1"; print(json.dumps(m))' "$manifest")
# ... and one with its own certificate and a signature over other text
resigned=$(python3 -c '
import json, sys
m = json.loads(sys.argv[1]); m["id"] = "box-forger"; m["seq"] = 2; m["clip_id"] = "forged-2"
m["cert"] = open(sys.argv[2]).read()
print(json.dumps(m))' "$manifest" "$BK_PKI/box-forger.crt")
ok "the forger publishes both" bash -c "
	source '$BK_ROOT/tests/lib/common.sh'; source '$BK_ROOT/tests/lib/broker.sh'
	BK_PORT=$BK_PORT BK_PKI=$BK_PKI
	bk_pub box-forger -q 1 -t bk/v1/box/box-forger/clip -m '$stolen' &&
	bk_pub box-forger -q 1 -t bk/v1/box/box-forger/clip -m '$resigned' &&
	head -c 16384 /dev/urandom >'$T/junk' &&
	bk_pub box-forger -q 1 -t bk/v1/box/box-forger/clip/forged-1/0 -f '$T/junk'"
rejected() { bk_sql "$DB" "SELECT count(*) FROM clips WHERE box = 'box-forger' AND state = 'rejected'"; }
ok "both manifests are rejected" wait_until 10 bk_at_least 2 rejected
reason1=$(bk_sql "$DB" "SELECT reason FROM clips WHERE clip_id = 'forged-1'")
reason2=$(bk_sql "$DB" "SELECT reason FROM clips WHERE clip_id = 'forged-2'")
echo "# forged-1: $reason1"
echo "# forged-2: $reason2"
ok "a certificate of another box is named as such" grep -q "box-clip" <<<"$reason1"
ok "a signature that does not verify is named as such" grep -qi "signature" <<<"$reason2"
ok "a chunk of a rejected clip is refused" wait_until 10 bash -c "
	'$BK_BIN/bkctl' --db '$DB' rejects --box box-forger | grep -q 'forged-1'"

bk_stop capture
ok "captured manifests and acks conform to schemas/" \
	python3 "$BK_ROOT/tests/schema/check.py" captured "$T/capture.log"
bk_done
