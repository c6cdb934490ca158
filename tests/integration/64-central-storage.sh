#!/bin/bash
# Central continuous storage: a box records a fake RTSP camera twice, as
# kitchen-1 (central_storage = true) and kitchen-2 (unmarked), in 2 s
# segments. Every segment of kitchen-1 arrives at the collector verified,
# with the sha256 of the box's own file; kitchen-2 uploads nothing. The
# broker goes down for 12 s: afterwards every segment recorded meanwhile
# arrives, none missing (the box's segment index against the centre's).
# With the box stopped, a range plays from the centre as one MP4 of the
# expected duration (gst-discoverer-1.0); a range with no recording is a
# 404 naming the gap; bad parameters are 400s naming them. Retention: a
# recording faked 8 days old goes (retention_days = 7), and a collector
# restarted with a budget of about half deletes the oldest first, no more
# than needed, objects and all.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
FAKE=${BK_BIN%/bin}/tests/tools/fake-camera
BOX=box-store
TOKEN=storage-token-$RANDOM$RANDOM$RANDOM

ok "fake-camera is built" test -x "$FAKE"
[ -x "$FAKE" ] || { bk_done; exit 1; }

bk_pki_setup "$BOX" svc-collector || exit 1
bk_broker_start || exit 1
ok "collector starts with its HTTPS API" bk_https_collector reg-test "$TOKEN" \
	"$(printf '\n[storage]\nretention_days = 7\n')"
DB=$T/collector.db
STORE_DIR=$T/clips
api() { curl -sS --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "$@"; }
PORT=$(free_port)
bk_bg cam env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$FAKE" --port "$PORT" \
	--codec h264 --width 640 --height 360 --fps 15 --bitrate 1500
ok "the camera listens" wait_until 10 grep -q "listening on rtsp://127.0.0.1:$PORT/stream" "$T/cam.log"

EXTRA=$(printf '[camera kitchen-1]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\ncentral_storage = true\n\n[camera kitchen-2]\nsource = rtsp://127.0.0.1:%s/stream\nsegment = 2s\n\n[clips]\nchunk_size = 64K\n' "$PORT" "$PORT")
bk_edge_conf "$BOX" "$EXTRA" >/dev/null
ok "the box's configuration is valid" "$BK_BIN/bk-edge" -t -c "$T/$BOX.conf"
bk_bg "$BOX" "$BK_BIN/bk-edge" -c "$T/$BOX.conf"
OUTBOX=$T/$BOX/outbox.db

recs() { bk_sql "$DB" "SELECT count(*) FROM recordings WHERE box = '$BOX' AND camera = 'kitchen-1'" 2>/dev/null || echo 0; }
ok "segments of kitchen-1 arrive verified" wait_until 30 bk_at_least 3 recs

# every stored segment has the sha256 of the box's file of the same start
check_hashes() {
	local bad=0 n=0 start sha path bpath
	while IFS='|' read -r start sha path; do
		bpath=$(bk_sql "$OUTBOX" "SELECT path FROM segments WHERE camera = 'kitchen-1' AND start_ms = $start")
		[ -n "$bpath" ] || continue # gone from the box's ring: nothing to compare
		n=$((n + 1))
		[ "$(sha256sum "$bpath" | cut -c1-64)" = "$sha" ] || bad=$((bad + 1))
		[ "$(sha256sum "$path" | cut -c1-64)" = "$sha" ] || bad=$((bad + 1))
	done < <(bk_sql "$DB" "SELECT start_ms, sha256, path FROM recordings WHERE box = '$BOX'")
	echo "# $n segments compared, $bad mismatches"
	[ "$n" -ge 3 ] && [ "$bad" = 0 ]
}
ok "the centre's files and the box's have the sha256 of the manifest" check_hashes

# --- an outage ----------------------------------------------------------
bk_stop broker TERM
down_at=$(date +%s%3N)
sleep 12
up_at=$(date +%s%3N)
ok "the broker is back" bk_broker_restart
in_outage() { bk_sql "$OUTBOX" "SELECT count(*) FROM segments WHERE camera = 'kitchen-1' AND start_ms >= $down_at AND end_ms <= $up_at"; }
echo "# $(in_outage) segments of kitchen-1 recorded while the broker was down"
ok "the box recorded through the outage" bk_at_least 4 in_outage
# what the box has (closed segments of kitchen-1 since it was marked)
# against what the centre has, up to a point safely behind recording
missing() {
	local upto=$1 box_list centre_list
	box_list=$(bk_sql "$OUTBOX" "SELECT start_ms FROM segments WHERE camera = 'kitchen-1' AND end_ms <= $upto ORDER BY start_ms")
	centre_list=$(bk_sql "$DB" "SELECT start_ms FROM recordings WHERE box = '$BOX' AND camera = 'kitchen-1' AND end_ms <= $upto ORDER BY start_ms")
	comm -23 <(echo "$box_list") <(echo "$centre_list") | grep -c . || true
}
caught_up_to=$((up_at + 4000))
sleep 4
none_missing() { [ "$(missing $caught_up_to)" = 0 ]; }
ok "after the outage every segment arrives, none missing" wait_until 40 none_missing
echo "# box: $(bk_sql "$OUTBOX" "SELECT count(*) FROM segments WHERE camera = 'kitchen-1' AND end_ms <= $caught_up_to") segments, centre: $(bk_sql "$DB" "SELECT count(*) FROM recordings WHERE box = '$BOX' AND end_ms <= $caught_up_to"), missing: $(missing $caught_up_to)"
ok "the box's uploads are verified and forgotten (no segment rows left beyond the window)" \
	wait_until 20 bash -c "[ \$(sqlite3 '$OUTBOX' \"SELECT count(*) FROM clips WHERE kind = 'segment'\") -le 4 ]"
is "the unmarked camera uploads nothing" \
	"$(bk_sql "$DB" "SELECT count(*) FROM clips WHERE camera = 'kitchen-2'")|$(bk_sql "$DB" "SELECT count(*) FROM recordings WHERE camera = 'kitchen-2'")" "0|0"
ok "kitchen-2 did record" bk_at_least 4 bk_sql "$OUTBOX" "SELECT count(*) FROM segments WHERE camera = 'kitchen-2'"
is "segment clips stay out of bkctl clips" "$("$BK_BIN/bkctl" --db "$DB" clips --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0

# --- playback with the box off -------------------------------------------
bk_stop "$BOX" TERM
ms2ts() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
IFS='|' read -r s0 e2 <<<"$(bk_sql "$DB" "SELECT a.start_ms, c.end_ms FROM recordings a
	JOIN recordings c ON c.box = a.box AND c.camera = a.camera
	WHERE a.box = '$BOX' AND a.start_ms >= $down_at
	AND (SELECT count(*) FROM recordings m WHERE m.box = a.box AND m.start_ms >= a.start_ms AND m.end_ms <= c.end_ms) = 3
	ORDER BY a.start_ms LIMIT 1")"
from=$(ms2ts $((s0 + 300)))
to=$(ms2ts $((e2 - 300)))
echo "# asking for $from – $to (segments $(ms2ts "$s0") – $(ms2ts "$e2"))"
code=$(api -o "$T/range.mp4" -w '%{http_code}' "$URL/api/recordings/$BOX/kitchen-1?from=$from&to=$to")
is "a range plays from the centre with the box off (HTTP status)" "$code" 200
dur=$(gst-discoverer-1.0 "$T/range.mp4" 2>/dev/null | sed -n 's/^ *Duration: \([0-9:.]*\).*/\1/p' | head -1)
dur_ms=$(awk -F: -v d="$dur" 'BEGIN{split(d, p, ":"); printf "%d", (p[1] * 3600 + p[2] * 60 + p[3]) * 1000}')
want_ms=$((e2 - s0))
echo "# gst-discoverer-1.0: $dur ($dur_ms ms); the covering segments span $want_ms ms, the range asked $((want_ms - 600)) ms"
ok "... an MP4 of the range's duration (the covering segments, ±1.5 s)" \
	awk -v a="$dur_ms" -v b="$want_ms" 'BEGIN{d = a - b; exit !(a > 0 && d < 1500 && d > -1500)}'
first=$(bk_sql "$DB" "SELECT min(start_ms) FROM recordings WHERE box = '$BOX'")
code=$(api -o "$T/gap.json" -w '%{http_code}' "$URL/api/recordings/$BOX/kitchen-1?from=$(ms2ts $((first - 60000)))&to=$(ms2ts $((first - 30000)))")
is "a range with no recording is a 404" "$code" 404
ok "... naming the gap" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["gaps"] and "error" in d and d["segments"] == 0))' "$T/gap.json"
code=$(api -o "$T/bad.json" -w '%{http_code}' "$URL/api/recordings/$BOX/kitchen-1?from=yesterday&to=$to")
is "a bad parameter is a 400" "$code" 400
ok "... naming it" grep -q "from 'yesterday'" "$T/bad.json"
ok "... and counted" bash -c "curl -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/metrics' | grep -q '^bk_http_recordings_refused_total [1-9]'"
api -o "$T/list.json" "$URL/api/recordings/$BOX/kitchen-1"
ok "the listing shows what is kept, ranges and gaps" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("# listing: %d segments, %d ranges, %d gaps" % (d["segments"], len(d["ranges"]), len(d["gaps"])))
sys.exit(not (d["segments"] >= 8 and len(d["ranges"]) >= 1))' "$T/list.json"
api -o "$T/storage.json" "$URL/api/storage"
total=$(bk_sql "$DB" "SELECT sum(bytes) FROM recordings")
ok "/api/storage shows bytes per box and camera and the retention" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cameras"]
sys.exit(not (d["retention_days"] == 7 and len(c) == 1 and c[0]["camera"] == "kitchen-1"
	and c[0]["bytes"] == int(sys.argv[2]) and c[0]["oldest"] < c[0]["newest"]))' "$T/storage.json" "$total"
ok "bkctl storage shows the same" bash -c "'$BK_BIN/bkctl' --db '$DB' storage --json |
	python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(not (len(r) == 1 and r[0][\"bytes\"] == $total and r[0][\"retention_days\"] == 7))'"
ok "bkctl recordings --out writes the range" \
	"$BK_BIN/bkctl" --db "$DB" recordings "$BOX" kitchen-1 --from "$from" --to "$to" --out "$T/range.ts" --store "$STORE_DIR"
ok "... the segments byte for byte" bash -c "
	for sha in \$(sqlite3 '$DB' \"SELECT sha256 FROM recordings WHERE start_ms < $((e2 - 300)) AND end_ms > $((s0 + 300)) ORDER BY start_ms\"); do
		cat '$STORE_DIR'/\${sha:0:2}/\$sha.ts
	done | cmp -s - '$T/range.ts'"

# --- retention -------------------------------------------------------------
bk_stop collector TERM
old_ms=$(($(date +%s%3N) - 8 * 86400000))
old_sha=$(printf 'an old segment' | sha256sum | cut -c1-64)
mkdir -p "$STORE_DIR/${old_sha:0:2}"
printf 'an old segment' >"$STORE_DIR/${old_sha:0:2}/$old_sha.ts"
sqlite3 "$DB" "INSERT INTO clips(box, clip_id, seq, camera, mime, start, end, bytes, sha256, chunk_size, chunk_count, chunks, state, path, received_at)
	VALUES ('$BOX', 'segment:kitchen-1:$old_ms:${old_sha:0:8}', 1, 'kitchen-1', 'video/mp2t', '$(ms2ts $old_ms)', '$(ms2ts $((old_ms + 2000)))', 14, '$old_sha', 65536, 1, '$old_sha', 'verified', '$STORE_DIR/${old_sha:0:2}/$old_sha.ts', '$(ms2ts $old_ms)');
	INSERT INTO recordings VALUES ('$BOX', 'segment:kitchen-1:$old_ms:${old_sha:0:8}', 'kitchen-1', $old_ms, $((old_ms + 2000)), 14, '$old_sha', '$STORE_DIR/${old_sha:0:2}/$old_sha.ts', '$(ms2ts $old_ms)')"
before=$(bk_sql "$DB" "SELECT count(*) FROM recordings")
snapshot=$(bk_sql "$DB" "SELECT start_ms, bytes FROM recordings WHERE start_ms <> $old_ms ORDER BY start_ms, box, clip_id")
budget=$((total / 2 > 1048576 ? total / 2 : 1048576)) # [storage] budget >= 1 MiB
ok "the collector restarts with a budget of $budget bytes (about half)" bk_https_collector reg-test "$TOKEN" \
	"$(printf '\n[storage]\nretention_days = 7\nbudget = %s\n' "$budget")"
ok "the recording 8 days old is deleted (retention_days = 7)" wait_until 10 \
	test "$(bk_sql "$DB" "SELECT count(*) FROM recordings WHERE start_ms = $old_ms")" = 0
ok "... its object too" test ! -e "$STORE_DIR/${old_sha:0:2}/$old_sha.ts"
after_total=$(bk_sql "$DB" "SELECT sum(bytes) FROM recordings")
after=$(bk_sql "$DB" "SELECT count(*) FROM recordings")
echo "# $before recordings, $total bytes before; $after, $after_total bytes after (budget $budget)"
ok "the total stays under the budget" test "$after_total" -le "$budget"
gone_objects=$(sqlite3 "$DB" "SELECT count(*) FROM clips WHERE clip_id LIKE 'segment:%' AND state = 'verified'")
is "the deleted segments' clips rows went with them" "$gone_objects" "$after"
ok "their objects are gone from the store, the kept ones are there" bash -c "
	kept=\$(sqlite3 '$DB' 'SELECT sha256 FROM recordings' | sort)
	files=\$(find '$STORE_DIR' -path '*/tmp' -prune -o -name '*.ts' -print | xargs -n1 basename | sed 's/\.ts\$//' | sort)
	[ \"\$kept\" = \"\$files\" ]"
ok "the oldest went first, no more than needed" python3 -c '
import sys, sqlite3
before = [tuple(map(int, l.split("|"))) for l in sys.argv[3].split()]
budget = int(sys.argv[2])
total = sum(b for _, b in before)
while total > budget:
	total -= before.pop(0)[1]
kept = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT start_ms FROM recordings ORDER BY start_ms")]
print("# expected %d kept, %d kept" % (len(before), len(kept)))
sys.exit(kept != [s for s, _ in before])' "$DB" "$budget" "$snapshot"

# --- the box's disk budget takes owed segments only as a last resort ------
bk_stop broker TERM
bk_edge_conf "$BOX" "$(printf '%s\n[box]\ndisk_budget = 2M\n' "$EXTRA")" >/dev/null
bk_bg "$BOX" "$BK_BIN/bk-edge" -c "$T/$BOX.conf"
ok "over its disk budget with the broker down, the box deletes owed segments and says so" \
	wait_until 30 grep -q 'deleted before their upload to central storage' "$T/$BOX.log"
ok "... after every routine one (kitchen-2 keeps at most the segment being written)" \
	test "$(sqlite3 "$OUTBOX" "SELECT count(*) FROM segments WHERE camera = 'kitchen-2'")" -le 1
ok "the broker is back" bk_broker_restart
ok "the centre learns it: a data_dropped event naming the camera" wait_until 20 \
	bk_at_least 1 bk_sql "$DB" "SELECT count(*) FROM event_state WHERE box = '$BOX' AND type = 'data_dropped' AND source = 'kitchen-1'"
bk_done
