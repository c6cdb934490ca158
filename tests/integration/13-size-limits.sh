#!/bin/bash
# 13-size-limits — every size limit on input from outside, at the limit
# (accepted) and one past it (refused with a reason that names the limit,
# counted), and the daemons keep running. Bytes, not characters, unless said.
#
# limit                              value        enforced in
# broker: MQTT packet                1114112 (*)  broker-conf/mosquitto.conf max_packet_size: disconnects the sender
# collector: payload                 262144       [collector] max_payload (cloud/collector/collector.c ingest): reject
# reading: samples                   1000         common/message.c MESSAGE_MAX_READINGS
#   sensor id / unit                 63 / 16      common/message.c validate_reading (jc_ident, jc_string)
# event: zone / message              64 / 512     common/message.c validate_event
#   event_id / type / source         128 / 64 / 63
#   dropped ranges                   256          MESSAGE_MAX_RANGES
# status: version                    64           common/message.c validate_status
#   sensors / cameras                256 / 256
# clip manifest: clip_id / camera    128 / 63     common/manifest.c manifest_read
#   mime / signature / cert          64 / 1024 / 8192
#   chunk_size                       1048576      MANIFEST_MAX_CHUNK_SIZE (edge: [clips] chunk_size 4K-1M)
#   chunk_count                      100000       MANIFEST_MAX_CHUNKS; in practice max_payload first (**)
# clip chunk: its bytes              chunk_size   cloud/clipstore.c clipstore_put_chunk: "length does not fit"
#   number                           < 100000     cloud/collector/clip_intake.c CLIPSTORE_MAX_CHUNKS
#                                    <= 1000000   common/topic.c topic_parse (the topic itself)
# report: task_id                    128          common/message.c validate_report
#   record facts / place             16384 / 512  validate_record
#   answers / answer note / photos   512 / 2048 / 20
#   inspectors                       16           MESSAGE_MAX_INSPECTORS
#   penalty party / violation        256 / 2048   validate_penalty
#   legal_basis / place              1024 / 512
# box id (certificate CN)            64           X.509 ub-common-name: openssl refuses a longer CN
#                                                 (bk-pki's pattern and envelope.json allow 67)
# task (bkctl task create) note      2048         cloud/archive_tasks.c, as handhelds check task.json
#   inspectors                       16           (common/message.c validate_task)
# registry CSV: name / address       255 / 512    cloud/archive_registry.c text_max
#   zone / licence                   64 / 63      check_zone, check_licence
# box config: zone / unit            64 / 16      edge/sensor.c, edge/edge_config.c (what the collector takes)
#   [clips] chunk_size               4K..1M       edge/edge_config.c
# detections socket: line            4096         edge/detections.c DETECTION_LINE_MAX
#   ref / detector                   128 / 63     DETECTION_REF_MAX, DETECTION_DETECTOR_MAX
# HTTP API: limit / expiring_days    10000 / 3650 cloud/collector/http_api.c: 400
#
# (*) Mosquitto 2.0.11 counts the fixed header's first byte and the remaining
#     length, not the 1-4 bytes that encode it: a PUBLISH passes while
#     1 + remaining length <= 1114112 (payload + topic + 5 for QoS 1).
# (**) a manifest lists 67 bytes per chunk: at max_payload (256 KiB) a clip
#     has at most ~3,900 chunks, ~1 GB at the default 256 KiB chunk size.
# Not tested here: common/topic.c's TOPIC_MAX (256) cannot be reached through
# the broker (the longest topic the collector subscribes to is ~216 bytes).
# About 10 s.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
BOX=box-lim
LONG_BOX=box-$(printf 'L%.0s' $(seq 60)) # 64 bytes: the longest CN a certificate holds
TOKEN=tok-limits-0123456789abcdef

bk_pki_setup "$BOX" "$LONG_BOX" box-det hh-lim svc-collector || exit 1
bk_broker_start || exit 1
# the production default max_payload (256K): not set here
ok "collector starts" bk_https_collector reg-lim "$TOKEN"
# (a shared subscription holds nothing for a group not subscribed yet)
ok "... and has subscribed" wait_until 10 grep -q 'svc-collector [0-2] \$share/collectors/bk/v1/hh/+/report' "$T/broker.log"
DB=$T/collector.db
# bkctl ARGS...: the real bkctl on the archive.
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }
rejects() { bk_sql "$DB" "SELECT count(*) FROM rejects"; }
# reason_of SENDER SEQ: the reason of the reject whose payload began with that seq
reason_of() {
	bk_sql "$DB" "SELECT reason FROM rejects WHERE CAST(head AS TEXT) LIKE '{\"v\":1,\"id\":\"$1\",\"seq\":$2,%'"
}

# --- the broker's packet limit ---------------------------------------------------
# Chunks of unknown clips (lim0, lim1: topics of one length): what gets
# through, the collector rejects by name. lim1 is looked for at the end, when
# everything published after it has gone through.
topic_len=$((${#BOX} + 22)) # bk/v1/box/BOX/clip/lim0/0
max=$((1114112 - 1 - (2 + topic_len + 2))) # 1 + remaining length <= 1114112 (QoS 1: 2 bytes of packet id)
head -c "$max" /dev/zero >"$T/at"
head -c $((max + 1)) /dev/zero >"$T/over"
fails() { ! "$@" 2>/dev/null; }
ok "a PUBLISH at max_packet_size passes the broker ($max bytes of payload)" \
	bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/lim0/0" -f "$T/at"
chunk_seen() { bk_sql "$DB" "SELECT count(*) FROM rejects WHERE reason = 'no manifest announced clip ''$1'''"; }
ok "... and reaches the collector" wait_until 10 bk_at_least 1 chunk_seen lim0
ok "one byte more disconnects the sender" fails bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/lim1/0" -f "$T/over"

# --- the collector's max_payload, and each field's limit ------------------------------
# gen.py writes, for each case, case-N-at.json (at the limit) and
# case-N-over.json (one past it), and cases.tsv: N, topic, sender, seqs, the
# reason expected for the one past.
cat >"$T/gen.py" <<'PY'
import datetime, functools, json, sys
T, box, long_box = sys.argv[1:4]
# compact, as our daemons write it: a reject's head starts {"v":1,"id":…,"seq":N,
json.dump = functools.partial(json.dump, separators=(",", ":"))
json.dumps = functools.partial(json.dumps, separators=(",", ":"))
NOW = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
seqs = {}
def env(who):
    seqs[who] = seqs.get(who, 0) + 1
    return {"v": 1, "id": who, "seq": seqs[who], "ts": NOW, "mono": seqs[who], "clock": "synced"}
def reading(who, samples):
    return dict(env(who), readings=samples)
def sample(sensor="f-1", unit="C"):
    return dict(sensor=sensor, kind="fridge", t=NOW, value=4, unit=unit)
def event(who, **kw):
    ev = dict(env(who), event_id="e:1", phase="open", type="temperature_high", severity="info",
              start=NOW, source="f-1", zone="冷藏间", message="m")
    ev.update(kw)
    return ev
def status(**kw):
    return dict(env(box), state="online", **kw)
def manifest(**kw):
    m = dict(env(box), clip_id="c-1", camera="cam-1", start=NOW, end=NOW, bytes=1, sha256="0" * 64,
             chunk_size=1, chunk_count=1, chunks=["0" * 64], mime="video/mp2t", signature="AAAA",
             cert="-----BEGIN CERTIFICATE-----\n")
    m.update(kw)
    return m
def report(**kw):
    r = dict(env("hh-lim"), task_id="tk-1", kind="record")
    r.update(kw)
    return r
def record(**kw):
    rec = dict(checklist=dict(id="catering-2026", version=1), answers=[dict(item="1.1", answer="yes")],
               result="compliant", inspectors=["hh-lim", "hh-other"], time=NOW, place="p", facts="f")
    rec.update(kw)
    return dict(record=rec)
def penalty(**kw):
    p = dict(party="p", party_type="organisation", penalty_type="warning", amount_cny=0,
             violation="v", legal_basis="b")
    p.update(kw)
    return dict(kind="penalty", penalty=p)
cjk = lambda n: "冷" * (n // 3) + "x" * (n % 3)  # n bytes, CJK as far as it goes
ident = lambda n: "s" + "x" * (n - 1)
B, H = f"bk/v1/box/{box}/", "bk/v1/hh/hh-lim/"
cases = [  # name, topic, at the limit, one past it, the reason expected
    ("readings: 1000 samples", B + "reading", lambda: reading(box, [sample()] * 1000),
     lambda: reading(box, [sample()] * 1001), "field 'readings': 1001 items, expected 1 to 1000"),
    ("a sample's sensor id: 63", B + "reading", lambda: reading(box, [sample(sensor=ident(63))]),
     lambda: reading(box, [sample(sensor=ident(64))]), "field 'readings[0].sensor': longer than 63 bytes"),
    ("a sample's unit: 16", B + "reading", lambda: reading(box, [sample(unit=cjk(16))]),
     lambda: reading(box, [sample(unit=cjk(17))]), "field 'readings[0].unit': longer than 16 bytes"),
    ("an event's zone: 64 (CJK)", B + "event", lambda: event(box, zone=cjk(64)),
     lambda: event(box, zone=cjk(65)), "field 'zone': longer than 64 bytes"),
    ("an event's message: 512", B + "event", lambda: event(box, message=cjk(512)),
     lambda: event(box, message=cjk(513)), "field 'message': longer than 512 bytes"),
    ("an event's id: 128", B + "event", lambda: event(box, event_id=ident(128)),
     lambda: event(box, event_id=ident(129)), "field 'event_id': longer than 128 bytes"),
    ("an event's type: 64", B + "event", lambda: event(box, type="t" * 64),
     lambda: event(box, type="t" * 65), "field 'type': longer than 64 bytes"),
    ("an event's source: 63", B + "event", lambda: event(box, source=ident(63)),
     lambda: event(box, source=ident(64)), "field 'source': longer than 63 bytes"),
    ("an event's dropped ranges: 256", B + "event", lambda: event(box, dropped=[[1, 1]] * 256),
     lambda: event(box, dropped=[[1, 1]] * 257), "field 'dropped': 257 items, expected 0 to 256"),
    ("the status's version: 64", B + "status", lambda: status(version="v" * 64),
     lambda: status(version="v" * 65), "field 'version': longer than 64 bytes"),
    ("the status's sensors: 256", B + "status",
     lambda: status(sensors=[dict(id="f-1", kind="fridge", state="ok")] * 256),
     lambda: status(sensors=[dict(id="f-1", kind="fridge", state="ok")] * 257),
     "field 'sensors': 257 items, expected 0 to 256"),
    ("the status's cameras: 256", B + "status",
     lambda: status(cameras=[dict(id="c-1", state="recording")] * 256),
     lambda: status(cameras=[dict(id="c-1", state="recording")] * 257),
     "field 'cameras': 257 items, expected 0 to 256"),
    ("a manifest's clip_id: 128", B + "clip", lambda: manifest(clip_id=ident(128)),
     lambda: manifest(clip_id=ident(129)), "field 'clip_id': longer than 128 bytes"),
    ("a manifest's camera: 63", B + "clip", lambda: manifest(camera=ident(63)),
     lambda: manifest(camera=ident(64)), "field 'camera': longer than 63 bytes"),
    ("a manifest's mime: 64", B + "clip", lambda: manifest(mime="m" * 64),
     lambda: manifest(mime="m" * 65), "field 'mime': longer than 64 bytes"),
    ("a manifest's signature: 1024", B + "clip", lambda: manifest(signature="A" * 1024),
     lambda: manifest(signature="A" * 1025), "field 'signature': longer than 1024 bytes"),
    ("a manifest's cert: 8192", B + "clip",
     lambda: manifest(cert="-----BEGIN CERTIFICATE-----" + "A" * (8192 - 27)),
     lambda: manifest(cert="-----BEGIN CERTIFICATE-----" + "A" * (8193 - 27)),
     "field 'cert': longer than 8192 bytes"),
    ("a manifest's chunk_size: 1048576", B + "clip", lambda: manifest(chunk_size=1048576),
     lambda: manifest(chunk_size=1048577), "field 'chunk_size': 1048577 is out of range [1, 1048576]"),
    ("a report's task_id: 128", H + "report", lambda: report(task_id=ident(128), kind="state", state="received"),
     lambda: report(task_id=ident(129), kind="state", state="received"), "field 'task_id': longer than 128 bytes"),
    ("a record's facts: 16384", H + "report", lambda: report(**record(facts=cjk(16384))),
     lambda: report(**record(facts=cjk(16385))), "field 'record.facts': longer than 16384 bytes"),
    ("a record's place: 512", H + "report", lambda: report(**record(place=cjk(512))),
     lambda: report(**record(place=cjk(513))), "field 'record.place': longer than 512 bytes"),
    ("a record's answers: 512", H + "report",
     lambda: report(**record(answers=[dict(item=f"{i}.1", answer="yes") for i in range(512)])),
     lambda: report(**record(answers=[dict(item=f"{i}.1", answer="yes") for i in range(513)])),
     "field 'record.answers': 513 items, expected 1 to 512"),
    ("an answer's note: 2048", H + "report",
     lambda: report(**record(answers=[dict(item="1.1", answer="yes", note=cjk(2048))])),
     lambda: report(**record(answers=[dict(item="1.1", answer="yes", note=cjk(2049))])),
     "field 'record.answers[0].note': longer than 2048 bytes"),
    ("an answer's photos: 20", H + "report",
     lambda: report(**record(answers=[dict(item="1.1", answer="yes", photos=["ph-1"] * 20)])),
     lambda: report(**record(answers=[dict(item="1.1", answer="yes", photos=["ph-1"] * 21)])),
     "field 'record.answers[0].photos': 21 items, expected 0 to 20"),
    ("a record's inspectors: 16", H + "report",
     lambda: report(**record(inspectors=["hh-lim"] + [f"hh-{i}" for i in range(15)])),
     lambda: report(**record(inspectors=["hh-lim"] + [f"hh-{i}" for i in range(16)])),
     "field 'record.inspectors': 17 items, expected 2 to 16"),
    ("a penalty's party: 256", H + "report", lambda: report(**penalty(party=cjk(256))),
     lambda: report(**penalty(party=cjk(257))), "field 'penalty.party': longer than 256 bytes"),
    ("a penalty's violation: 2048", H + "report", lambda: report(**penalty(violation=cjk(2048))),
     lambda: report(**penalty(violation=cjk(2049))), "field 'penalty.violation': longer than 2048 bytes"),
    ("a penalty's legal_basis: 1024", H + "report", lambda: report(**penalty(legal_basis=cjk(1024))),
     lambda: report(**penalty(legal_basis=cjk(1025))), "field 'penalty.legal_basis': longer than 1024 bytes"),
    ("a penalty's place: 512", H + "report", lambda: report(**penalty(place=cjk(512))),
     lambda: report(**penalty(place=cjk(513))), "field 'penalty.place': longer than 512 bytes"),
]
# max_payload: a reading padded with JSON whitespace to exactly 262144 bytes, and 262145 (seqs 1, 2)
r = json.dumps(reading(box, [sample()]))
open(f"{T}/payload-at.json", "w").write(r[:-1] + " " * (262144 - len(r)) + "}")
r = json.dumps(reading(box, [sample()]))
open(f"{T}/payload-over.json", "w").write(r[:-1] + " " * (262145 - len(r)) + "}")
with open(f"{T}/cases.tsv", "w") as idx:
    for n, (name, topic, at, over, reason) in enumerate(cases):
        a, o = at(), over()
        assert "\t" not in name + reason
        json.dump(a, open(f"{T}/case-{n}-at.json", "w"), ensure_ascii=False)
        json.dump(o, open(f"{T}/case-{n}-over.json", "w"), ensure_ascii=False)
        print(n, name, topic, a["id"], a["seq"], o["seq"], reason, sep="\t", file=idx)
json.dump(reading(long_box, [sample()]), open(f"{T}/long-box.json", "w"))
json.dump(reading(box, [sample()]), open(f"{T}/good.json", "w"))
json.dump(seqs, open(f"{T}/seqs.json", "w"))
PY
"$BK_PY" "$T/gen.py" "$T" "$BOX" "$LONG_BOX" || exit 1
before=$(rejects)
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/reading" -f "$T/payload-at.json"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/reading" -f "$T/payload-over.json"
while IFS=$'\t' read -r n name topic who at over reason; do
	bk_pub "$who" -q 1 -t "$topic" -f "$T/case-$n-at.json"
	bk_pub "$who" -q 1 -t "$topic" -f "$T/case-$n-over.json"
done <"$T/cases.tsv"
ncases=$(wc -l <"$T/cases.tsv")
refused() { echo $(($(rejects) - before)); }
ok "the $((ncases + 1)) messages one past a limit are all rejected" wait_until 15 bk_at_least $((ncases + 1)) refused
is "... and none at a limit" "$(refused)" $((ncases + 1))
ok "a payload of exactly max_payload (262144 bytes) is archived" \
	test "$(bk_sql "$DB" "SELECT length(payload) FROM messages WHERE sender = '$BOX' AND seq = 1")" = 262144
is "262145 bytes are rejected, saying so" "$(reason_of "$BOX" 2)" "payload of 262145 bytes exceeds max_payload (262144)"
while IFS=$'\t' read -r n name topic who at over reason; do
	if [[ $topic == */status ]]; then
		got=$(bk_sql "$DB" "SELECT count(*) FROM boxes WHERE id = '$who'")
	else
		got=$(bk_sql "$DB" "SELECT count(*) FROM messages WHERE sender = '$who' AND seq = $at")
	fi
	is "$name: at the limit, archived" "$got" 1
	is "... one past, rejected: $reason" "$(reason_of "$who" "$over")" "$reason"
done <"$T/cases.tsv"
ok "the status at its limits is stored" test "$(bk_sql "$DB" "SELECT length(version) FROM boxes WHERE id = '$BOX'")" -eq 64

# --- clips: a chunk of the largest chunk_size, a chunk one byte longer ------------------
# A real signed manifest (the text of schemas/README.md, signed with the box's
# key as common/signing.c does: ECDSA SHA-256, base64).
cat >"$T/clip.py" <<'PY'
import base64, datetime, hashlib, json, subprocess, sys
T, box, pki, seq, clip_id, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
NOW = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
data = bytes([7]) * size
open(f"{T}/{clip_id}.bin", "wb").write(data)
sha = hashlib.sha256(data).hexdigest()
m = dict(v=1, id=box, seq=seq, ts=NOW, mono=seq, clock="synced", clip_id=clip_id, camera="cam-1",
         start=NOW, end=NOW, bytes=size, sha256=sha, chunk_size=size, chunk_count=1, chunks=[sha],
         mime="video/mp2t")
text = "\n".join(["bk-clip-v1", box, clip_id, "cam-1", "", NOW, NOW, "video/mp2t", str(size), sha,
                  str(size), "1", sha]) + "\n"
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{pki}/{box}.key"], input=text.encode(),
                     capture_output=True, check=True).stdout
m["signature"] = base64.b64encode(sig).decode()
m["cert"] = open(f"{pki}/{box}.crt").read()
json.dump(m, open(f"{T}/{clip_id}.json", "w"))
PY
seq=$("$BK_PY" -c "import json; print(json.load(open('$T/seqs.json'))['$BOX'])")
"$BK_PY" "$T/clip.py" "$T" "$BOX" "$BK_PKI" $((seq + 1)) c-big 1048576 &&
	"$BK_PY" "$T/clip.py" "$T" "$BOX" "$BK_PKI" $((seq + 2)) c-long 1048576 || exit 1
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip" -f "$T/c-big.json"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip" -f "$T/c-long.json"
clip_state() { bk_sql "$DB" "SELECT state FROM clips WHERE box = '$BOX' AND clip_id = '$1'"; }
ok "two signed manifests of chunk_size 1048576 are taken" wait_until 10 bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT count(*) FROM clips WHERE state = 'receiving'\")\" = 2 ]"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/c-big/0" -f "$T/c-big.bin"
head -c 1048577 /dev/zero >"$T/c-long.bin"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/c-long/0" -f "$T/c-long.bin"
ok "a 1 MiB chunk (the largest chunk_size) completes its clip: verified" wait_until 10 bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT state FROM clips WHERE clip_id = 'c-big'\")\" = verified ]"
ok "a chunk one byte longer than its chunk_size is rejected, saying so" wait_until 10 bash -c "
	sqlite3 'file:$DB?mode=ro' \"SELECT reason FROM rejects WHERE topic LIKE '%/c-long/0'\" |
	grep -qF \"chunk 0 of clip 'c-long': number or length does not fit\""
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/c-none/99999" -m x
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/c-none/100000" -m x
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/clip/c-none/1000001" -m x
chunk_reason() { bk_sql "$DB" "SELECT reason FROM rejects WHERE topic = 'bk/v1/box/$BOX/clip/c-none/$1'"; }
ok "chunk number 99999 is in range (its clip is unknown)" wait_until 10 bash -c "
	sqlite3 'file:$DB?mode=ro' \"SELECT reason FROM rejects WHERE topic LIKE '%/c-none/99999'\" | grep -q 'no manifest announced'"
is "chunk number 100000 is not" "$(chunk_reason 100000)" "chunk number 100000 out of range"
is "chunk number 1000001 is not even a chunk topic" "$(chunk_reason 1000001)" "topic has an invalid chunk number"

# --- ids: the longest a certificate can carry ---------------------------------------
bk_pub "$LONG_BOX" -q 1 -t "bk/v1/box/$LONG_BOX/reading" -f "$T/long-box.json"
ok "a box id of 64 bytes (the longest certificate CN) is archived" wait_until 10 bk_at_least 1 bk_archived "$DB" "$LONG_BOX"
ok "65 bytes: no certificate can carry it (openssl refuses the CN)" bash -c "
	! '$BK_ROOT/tools/bk-pki' issue '$BK_PKI' 'box-$(printf 'L%.0s' $(seq 61))' >/dev/null 2>&1"

# --- the registry's CSV fields ------------------------------------------------------
est_row() { # LICENCE NAME ADDRESS
	printf 'licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires\n%s,%s,restaurant,330102,%s,,,,\n' "$@"
}
b() { "$BK_PY" -c "import sys; n = int(sys.argv[1]); print('食' * (n // 3) + 'x' * (n % 3), end='')" "$1"; }
csv_ok() { # WHAT CSV-TEXT KIND
	printf '%s' "$2" >"$T/r.csv"
	ok "registry: $1 is accepted" bkctl registry import "$3" "$T/r.csv"
}
csv_refused() { # WHAT CSV-TEXT KIND REASON
	printf '%s' "$2" >"$T/r.csv"
	bkctl registry import "$3" "$T/r.csv" 2>"$T/err" >/dev/null
	is "registry: $1 is refused" "$?" 1
	ok "... saying: $4" grep -qF "$4" "$T/err"
}
csv_ok "a name of 255 bytes" "$(est_row JY13301020000001 "$(b 255)" x)" establishments
csv_refused "a name of 256 bytes" "$(est_row JY13301020000002 "$(b 256)" x)" establishments "r.csv:2:name: longer than 255 bytes (256)"
csv_ok "an address of 512 bytes" "$(est_row JY13301020000003 x "$(b 512)")" establishments
csv_refused "an address of 513 bytes" "$(est_row JY13301020000004 x "$(b 513)")" establishments "r.csv:2:address: longer than 512 bytes (513)"
csv_ok "a licence of 63 bytes" "$(est_row "L$(printf '9%.0s' $(seq 62))" x x)" establishments
csv_refused "a licence of 64 bytes" "$(est_row "L$(printf '9%.0s' $(seq 63))" x x)" establishments "r.csv:2:licence: licence number longer than 63 bytes (64)"
printf 'box,licence,provisioned\n%s,JY13301020000001,2026-01-05\n' "$BOX" >"$T/boxes.csv"
bkctl registry import boxes "$T/boxes.csv" >/dev/null
csv_ok "a zone of 64 bytes" "$(printf 'box,sensor,kind,zone\n%s,f-1,fridge,%s\n' "$BOX" "$(b 64)")" sensors
csv_refused "a zone of 65 bytes" "$(printf 'box,sensor,kind,zone\n%s,f-2,fridge,%s\n' "$BOX" "$(b 65)")" sensors "r.csv:2:zone: longer than 64 bytes (65)"

# --- tasks: what bkctl takes, a handheld must take too ----------------------------------
inspectors=$(for i in $(seq 1 17); do echo "hh-i$i"; done)
{ echo id,name,district,phone; for i in $inspectors; do echo "$i,n,330102,"; done; } >"$T/insp.csv"
bkctl registry import inspectors "$T/insp.csv" >/dev/null
due=$(date -d '+7 days' +%F)
task() { bkctl task create --licence JY13301020000001 --due "$due" --by 主任 "$@" >/dev/null 2>"$T/err"; }
ok "a task note of 2048 bytes (task.json's limit, as handhelds check it) is accepted" \
	task --inspectors hh-i1,hh-i2 --note "$(b 2048)"
task --inspectors hh-i1,hh-i2 --note "$(b 2049)"
is "2049 bytes are refused by bkctl, not by every handheld later" "$?" 1
ok "... saying why" grep -q "note" "$T/err"
ok "a task for 16 inspectors is accepted" task --inspectors "$(echo $inspectors | tr ' ' ',' | cut -d, -f1-16)"
task --inspectors "$(echo $inspectors | tr ' ' ',')"
is "17 are refused (a task message names at most 16)" "$?" 1
ok "... saying why" grep -q "16" "$T/err"

# --- the box: what its configuration may say, and its detections socket -----------------
edge_t() { "$BK_BIN/bk-edge" -t -c "$(bk_edge_conf box-det "$1")" >"$T/err" 2>&1; }
sensor_with() { printf '[sensor s-1]\nkind = fridge\ndriver = sim\n%s\n' "$1"; }
ok "box config: a sensor zone of 64 bytes is good" edge_t "$(sensor_with "zone = $(b 64)")"
edge_t "$(sensor_with "zone = $(b 65)")"
is "... 65 bytes (every event of it would be rejected) is refused" "$?" 1
ok "... naming the key" grep -q "zone" "$T/err"
ok "box config: a unit of 16 bytes is good" edge_t "$(sensor_with "unit = $(b 16)")"
edge_t "$(sensor_with "unit = $(b 17)")"
is "... 17 bytes (every reading would be rejected) is refused" "$?" 1
ok "... naming the key" grep -q "unit" "$T/err"
ok "box config: a camera zone of 64 bytes is good" edge_t "$(printf '[camera c-1]\nsource = test\nzone = %s\n' "$(b 64)")"
edge_t "$(printf '[camera c-1]\nsource = test\nzone = %s\n' "$(b 65)")"
is "... 65 bytes is refused" "$?" 1
ok "box config: [clips] chunk_size = 1M is good" edge_t "$(printf '[clips]\nchunk_size = 1M\n')"
edge_t "$(printf '[clips]\nchunk_size = 1048577\n')"
is "... one byte more is refused" "$?" 1

# the detections socket of a box with a (test-pattern) camera
ok "a box with a camera starts" bk_edge_start box-det "$(printf '[camera cam1]\nsource = test\n[detections]\nsocket = %s/det.sock\n' "$T")"
ok "... and opens its detections socket" wait_until 15 test -S "$T/det.sock"
"$BK_PY" - "$T/det.sock" >"$T/det.out" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def line(n=None, **kw):
    d = dict(type="no_mask", camera="cam1", confidence=0.9, **kw)
    t = json.dumps(d, separators=(",", ":"))
    if n:  # pad with JSON whitespace to n bytes
        t = t[:-1] + " " * (n - len(t)) + "}"
    return t
for t in (line(4096), line(4097), line(ref="r" * 128), line(ref="r" * 129),
          line(detector="d" * 63), line(detector="d" * 64)):
    f.write(t.encode() + b"\n")
    f.flush()
    print(f.readline().decode().rstrip("\n"))
PY
mapfile -t ans <"$T/det.out"
ok "a detection line of 4096 bytes is taken" grep -q '^ok [0-9]' <<<"${ans[0]}"
is "4097 bytes are refused" "${ans[1]}" "error: line longer than 4096 bytes"
ok "a ref of 128 bytes is taken" grep -q '^ok [0-9]' <<<"${ans[2]}"
is "129 are refused" "${ans[3]}" "error: field 'ref': longer than 128 bytes"
ok "a detector of 63 bytes is taken" grep -q '^ok [0-9]' <<<"${ans[4]}"
is "64 are refused" "${ans[5]}" "error: field 'detector': longer than 63 bytes"
ok "the refusals are logged" grep -q "line longer than 4096 bytes" "$T/box-det.log"
ok "the box is still running" kill -0 "$(bk_pid box-det)"
bk_stop box-det

# --- the HTTP API's parameters ------------------------------------------------------
code() { curl -sS --max-time 10 --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN" -o "$T/body" -w '%{http_code}' "$URL$1"; }
is "/api/events?limit=10000: 200" "$(code '/api/events?limit=10000')" 200
is "/api/events?limit=10001: 400" "$(code '/api/events?limit=10001')" 400
ok "... saying the range" grep -q "1 to 10000" "$T/body"
is "/api/list?expiring_days=3650: 200" "$(code '/api/list?expiring_days=3650')" 200
is "/api/list?expiring_days=3651: 400" "$(code '/api/list?expiring_days=3651')" 400

# --- still running, still archiving, every reject counted ------------------------------
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/reading" -f "$T/good.json"
good_seq=$("$BK_PY" -c "import json; print(json.load(open('$T/good.json'))['seq'])")
ok "the collector still archives a good message" wait_until 10 bash -c "
	[ \"\$(sqlite3 'file:$DB?mode=ro' \"SELECT count(*) FROM messages WHERE sender = '$BOX' AND seq = $good_seq\")\" = 1 ]"
ok "/metrics counts every reject" bash -c "
	curl -sS --cacert '$BK_PKI/ca.crt' -H 'Authorization: Bearer $TOKEN' '$URL/metrics' |
	grep -qx \"bk_collector_rejected_total \$(sqlite3 'file:$DB?mode=ro' 'SELECT count(*) FROM rejects')\""
is "the packet one byte over max_packet_size never reached the collector" "$(chunk_seen lim1)" 0
ok "the collector is still running" kill -0 "$(bk_pid collector)"
ok "so is the broker" kill -0 "$(bk_pid broker)"

bk_done
