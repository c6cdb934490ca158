#!/bin/bash
# 12-literal-text — text from outside is only text. SQL-injection strings,
# printf conversions, an RTL override, zero-width joiners, emoji and
# astral-plane characters, combining marks, long CJK, backslashes, quotes and
# <script> go into every free-text field that enters the centre:
#   - the registry's CSV files (establishment name and address, camera and
#     sensor zones, inspector and regulator names, an odd licence number),
#   - what a box sends (an event's zone and message, a reading's unit, the
#     status's version), published with box-lit's own certificate,
#   - alert handling (bkctl alert ack --by --note), tasks (bkctl task create
#     and step --by --note), complaints (--text),
#   - a handheld's reports (answer notes, facts, place; a penalty's party,
#     violation, legal basis, place).
# Each is read back byte for byte: bkctl --json, the HTTPS API (token), the
# alert a regulator receives, the task a handheld receives, the regulators'
# page in headless Chromium (as text: the <script> and <img onerror> in a name
# run nothing), or the archive itself where nothing shows it yet. The archive
# keeps all its tables. Control characters: refused where the README says so
# (registry, task notes); sent escaped by a box, stored and shown exactly by
# --json but never written raw to an operator's terminal (bkctl's tables);
# sent raw (not JSON), as bytes that are not UTF-8, or as \u0000 (which would
# cut the text short): rejected with the reason. About 10 s.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/broker.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir
BOX=box-lit
TOKEN=tok-literal-0123456789abcdef

bk_pki_setup "$BOX" svc-collector hh-lit-a hh-lit-b reg-lit || exit 1
bk_broker_start --regulator reg-lit || exit 1
ok "collector starts with its HTTPS API" bk_https_collector reg-lit "$TOKEN"
DB=$T/collector.db
# bkctl ARGS...: the real bkctl on the archive.
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }
api() { curl -sS --max-time 10 --cacert "$BK_PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "$URL$1"; }
tables() { bk_sql "$DB" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)"; }
TABLES=$(tables)

# --- the strings, and every file made of them ---------------------------------
# gen.py writes $T/odd.json (key → string) and the CSV files and payloads
# below; check.py KEY-FIELD... compares what a reader printed with them.
cat >"$T/gen.py" <<'PY'
import csv, datetime, json, sys
T = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
odd = {
    "sql": "Robert'); DROP TABLE establishments;--",
    "sql2": "' OR '1'='1'; DELETE FROM events WHERE ''='",
    "fmt": "%s %n %x %p %1$s %%d",
    "rtl": "\u202eexe.txt\u202c 右到左",
    "zwj": "👨\u200d👩\u200d👧 a\u200db\u200cc\ufeffd",
    "astral": "😀🍜 𝕳𝖊𝖑𝖑𝖔 𠀀𪚥",
    "combining": "Z\u0337\u0324a\u0301\u0302\u0303l\u0308g\u0327o\u20dd",
    "backslash": "C:\\new\\table \\u0000 \\\" \\\\ \\x1b",
    "html": "<script>alert(1)</script><img src=x onerror=__bkXss=1>&amp;",
    "quotes": "\"dq\" 'sq' `bt` “curly” 「括号」,;",
}
keys = list(odd) + ["cjk"]
def val(k, room):
    """the string for key k in a field of room bytes: long CJK fills it"""
    return "食" * (room // 3) if k == "cjk" else odd[k]
# one establishment per string (name 255 bytes, address 512), and one whose
# licence is odd (printable, no spaces: all a licence must be)
est = [dict(licence="JY1330102%07d" % i, name=val(k, 255), address=val(k, 512))
       for i, k in enumerate(keys)]
est.append(dict(licence="<i>'\";--%n`", name="odd licence", address="-"))
fields = {}
def write(name, header, rows):
    with open(f"{T}/{name}.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
write("establishments", ["licence", "name", "category", "district", "address", "floor_area",
                         "meals_per_day", "business_hours", "licence_expires"],
      [[e["licence"], e["name"], "school_canteen", "330102", e["address"], "", "", "", ""]
       for e in est])
write("boxes", ["box", "licence", "provisioned"], [["box-lit", est[0]["licence"], "2026-01-05"]])
write("cameras", ["box", "camera", "zone", "gb28181_id"],
      [["box-lit", f"cam-{i}", val(k, 64), ""] for i, k in enumerate(keys)])
write("sensors", ["box", "sensor", "kind", "zone"],
      [["box-lit", f"s-{i}", "fridge", val(k, 64)] for i, k in enumerate(keys)])
write("inspectors", ["id", "name", "district", "phone"],
      [["hh-lit-a", val("sql", 255), "330102", ""], ["hh-lit-b", val("html", 255), "330102", ""]] +
      [[f"hh-odd-{i}", val(k, 255), "330102", ""] for i, k in enumerate(keys)])
write("regulators", ["id", "name", "districts"],
      [[f"reg-odd-{i}", val(k, 255), "330102"] for i, k in enumerate(keys)])
want = {"establishments": est}
# what box-lit sends: an alert per string (zone 64 bytes, message 512),
# one reading with a sample per string (unit 16 bytes), its status (version 64)
env = lambda seq: {"v": 1, "id": "box-lit", "seq": seq, "ts": NOW,
                   "mono": seq, "clock": "synced"}
units = ["°C'--", "%n%s%x", "\u202eC", "👨\u200d👩", "𠀀😀", "a\u0301\u0302",
         "\\u0000\\", "<b>&amp;", "\"'`", "';--", "食食食食食"]
events = []
for i, k in enumerate(keys):
    ev = dict(env(i + 1), event_id=f"s-{i}:temperature_high:1", phase="open",
              type="temperature_high", severity="warning", start=NOW,
              source=f"s-{i}", zone=val(k, 64), peak=12.5, unit="C", message=val(k, 512))
    events.append(ev)
    json.dump(ev, open(f"{T}/event-{i}.json", "w"), ensure_ascii=False)
samples = [dict(sensor=f"s-{i}", kind="fridge", t=NOW, value=i,
                unit=u) for i, u in enumerate(units)]
json.dump(dict(env(len(keys) + 1), readings=samples), open(f"{T}/reading.json", "w"),
          ensure_ascii=False)
status = dict(env(len(keys) + 1), state="online", version=odd["quotes"] + odd["rtl"])
json.dump(status, open(f"{T}/status.json", "w"), ensure_ascii=False)
want.update(events=events, samples=samples, status=status, keys=keys,
            odd={k: val(k, 255) for k in keys}, units=units,
            zones={k: val(k, 64) for k in keys})
for k in keys:  # one file per string, for the command line
    open(f"{T}/odd-{k}.txt", "w").write(val(k, 512))
    open(f"{T}/odd-{k}.by", "w").write(val(k, 128))
# a handheld's reports on task @TASK@: received, the record, a warning
hh = lambda seq: dict(env(seq), id="hh-lit-a", task_id="@TASK@")
answers = [dict(item=f"1.{i + 1}", answer="yes", note=val(k, 2048)) for i, k in enumerate(keys)]
record = dict(checklist=dict(id="catering-2026", version=1), answers=answers, result="compliant",
              inspectors=["hh-lit-a", "hh-lit-b"], time=NOW, place=odd["html"] + odd["rtl"],
              facts="\n".join(val(k, 512) for k in keys) + "\n\ttabbed")
penalty = dict(party=val("sql", 256), party_type="organisation", penalty_type="warning",
               amount_cny=0, violation=odd["fmt"] + odd["backslash"],
               legal_basis=odd["quotes"] + odd["combining"], place=odd["zwj"] + odd["astral"])
reports = [dict(hh(1), kind="state", state="received"), dict(hh(2), kind="record", record=record),
           dict(hh(3), kind="penalty", penalty=penalty)]
for i, r in enumerate(reports):
    json.dump(r, open(f"{T}/report-{i + 1}.json", "w"), ensure_ascii=False)
want.update(record=record, penalty=penalty)
want["long"] = {k: val(k, 512) for k in keys}
want["by"] = {k: val(k, 128) for k in keys}
json.dump(want, open(f"{T}/want.json", "w"), ensure_ascii=False)
PY
"$BK_PY" "$T/gen.py" "$T" || exit 1
KEYS=$("$BK_PY" -c "import json; print(' '.join(json.load(open('$T/want.json'))['keys']))")
odd() { cat "$T/odd-$1.txt"; }

# check PYTHON: run PYTHON with w = want.json and d = the JSON on stdin;
# it asserts (a failed assert says what differed)
check() {
	"$BK_PY" -c "
import json, sys
w = json.load(open('$T/want.json'))
d = json.load(sys.stdin)
def same(got, want, what):
    assert got == want, f'{what}: got {got!r}, want {want!r}'
$1"
}

# --- the registry ---------------------------------------------------------------
for kind in establishments boxes cameras sensors inspectors regulators; do
	ok "registry import $kind with odd text" bkctl registry import "$kind" "$T/$kind.csv"
done
ok "establishment names and addresses read back exactly (bkctl --json)" check "
byl = {r['licence']: r for r in d}
for e in w['establishments']:
    same(byl[e['licence']]['name'], e['name'], e['licence'] + ' name')
    same(byl[e['licence']]['address'] or '', e['address'], e['licence'] + ' address')
" < <(bkctl registry list establishments --json)
ok "... and through the HTTPS API" check "
byl = {r['licence']: r for r in d}
for e in w['establishments']:
    same(byl[e['licence']]['name'], e['name'], e['licence'] + ' name')
" < <(api /api/establishments)
odd_licence=$("$BK_PY" -c "import json, urllib.parse; print(urllib.parse.quote(json.load(open('$T/want.json'))['establishments'][-1]['licence'], safe=''))")
ok "the odd licence is a key like any other (/api/establishments/LICENCE)" check "
same(d['establishment']['licence'], w['establishments'][-1]['licence'], 'licence')
" < <(api "/api/establishments/$odd_licence")
ok "camera zones read back exactly" check "
got = {r['camera']: r['zone'] for r in d}
for i, k in enumerate(w['keys']):
    same(got[f'cam-{i}'], w['zones'][k], k)
" < <(bkctl registry list cameras --json)
ok "sensor zones read back exactly" check "
got = {r['sensor']: r['zone'] for r in d}
for i, k in enumerate(w['keys']):
    same(got[f's-{i}'], w['zones'][k], k)
" < <(bkctl registry list sensors --json)
ok "inspector names read back exactly" check "
got = {r['id']: r['name'] for r in d}
for i, k in enumerate(w['keys']):
    same(got[f'hh-odd-{i}'], w['odd'][k], k)
" < <(bkctl registry list inspectors --json)
ok "regulator names read back exactly" check "
got = {r['id']: r['name'] for r in d}
for i, k in enumerate(w['keys']):
    same(got[f'reg-odd-{i}'], w['odd'][k], k)
" < <(bkctl registry list regulators --json)
bkctl registry export establishments >"$T/export.csv"
ok "the export re-imports unchanged" bash -c "
	[ \"\$('$BK_BIN/bkctl' --db '$DB' registry import establishments '$T/export.csv')\" = '$T/export.csv: 0 establishments added or changed' ]"

# --- what a box sends -------------------------------------------------------------
bk_sub_bg alerts reg-lit -q 1 -v -t 'bk/v1/alert/#'
wait_until 5 grep -q 'reg-lit 1 bk/v1/alert/#' "$T/broker.log"
for i in $(seq 0 10); do
	bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/event" -f "$T/event-$i.json"
done
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/reading" -f "$T/reading.json"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/status" -f "$T/status.json"
archived() { bk_sql "$DB" "SELECT (SELECT count(*) FROM messages WHERE sender = '$BOX') + (SELECT count(*) FROM boxes WHERE version IS NOT NULL)"; }
ok "box-lit's 11 events, its reading and its status are archived" wait_until 10 bk_at_least 13 archived
is "... none rejected" "$(bk_sql "$DB" "SELECT count(*) FROM rejects")" 0
ok "event zones and messages read back exactly (bkctl events --json)" check "
got = {r['event_id']: r for r in d}
for e in w['events']:
    same(got[e['event_id']]['zone'], e['zone'], e['event_id'] + ' zone')
    same(got[e['event_id']]['message'], e['message'], e['event_id'] + ' message')
" < <(bkctl events --box "$BOX" --json)
ok "... every step too (bkctl event-steps --json)" check "
got = {r['event_id']: r for r in d}
for e in w['events']:
    same(got[e['event_id']]['message'], e['message'], e['event_id'] + ' message')
" < <(bkctl event-steps --box "$BOX" --json)
ok "... and through the HTTPS API (/api/events)" check "
got = {r['event_id']: r for r in d}
for e in w['events']:
    same(got[e['event_id']]['zone'], e['zone'], e['event_id'] + ' zone')
    same(got[e['event_id']]['message'], e['message'], e['event_id'] + ' message')
" < <(api "/api/events?box=$BOX")
ok "reading units read back exactly (bkctl readings --json)" check "
got = {r['sensor']: r['unit'] for r in d}
for s in w['samples']:
    same(got[s['sensor']], s['unit'], s['sensor'])
" < <(bkctl readings --box "$BOX" --json)
ok "the status's version reads back exactly (bkctl boxes --json)" check "
same(d[0]['version'], w['status']['version'], 'version')
" < <(bkctl boxes --box "$BOX" --json)
ok "... and through the HTTPS API (/api/boxes)" check "
same([r for r in d if r['box'] == 'box-lit'][0]['version'], w['status']['version'], 'version')
" < <(api /api/boxes)
ok "alerts: the establishment's name and each message exactly (bkctl alerts --json)" check "
got = {r['event_id']: r for r in d}
for e in w['events']:
    same(got[e['event_id']]['name'], w['establishments'][0]['name'], 'name')
    same(got[e['event_id']]['message'], e['message'], e['event_id'] + ' message')
" < <(bkctl alerts --json)
ok "... and through the HTTPS API (/api/alerts)" check "
got = {r['event_id']: r for r in d['alerts']}
for e in w['events']:
    same(got[e['event_id']]['name'], w['establishments'][0]['name'], 'name')
    same(got[e['event_id']]['message'], e['message'], e['event_id'] + ' message')
" < <(api /api/alerts)
fanned() { grep -c '^bk/v1/alert/330102 ' "$T/alerts.log"; }
ok "the regulator receives the 11 alerts" wait_until 10 bk_at_least 11 fanned
ok "... with name, zone and message exactly as sent" check "
got = {}
for line in open('$T/alerts.log', encoding='utf-8'):
    topic, payload = line.rstrip('\n').split(' ', 1)
    a = json.loads(payload)
    got[a['event_id']] = a
for e in w['events']:
    a = got[e['event_id']]
    same(a['establishment']['name'], w['establishments'][0]['name'], 'name')
    same(a['zone'], e['zone'], e['event_id'] + ' zone')
    same(a['message'], e['message'], e['event_id'] + ' message')
" <<<null

# --- alert handling, tasks, complaints (bkctl) -------------------------------------
i=0
for k in $KEYS; do
	bkctl alert ack "$BOX" "s-$i:temperature_high:1" --by "$(cat "$T/odd-$k.by")" --note "$(odd "$k")" >/dev/null ||
		echo "# alert ack with '$k' text failed"
	i=$((i + 1))
done
ok "alert handlers' names read back exactly (bkctl alerts --json)" check "
got = {r['event_id']: r for r in d}
for i, k in enumerate(w['keys']):
    same(got[f's-{i}:temperature_high:1']['acknowledged_by'], w['by'][k], k)
" < <(bkctl alerts --json)
ok "... and through the HTTPS API (/api/alerts)" check "
got = {r['event_id']: r for r in d['alerts']}
for i, k in enumerate(w['keys']):
    same(got[f's-{i}:temperature_high:1']['acknowledged_by'], w['by'][k], k)
" < <(api /api/alerts)
ok "handling notes are stored exactly (alert_steps: nothing shows them yet)" check "
for i, k in enumerate(w['keys']):
    same(d.get(f's-{i}:temperature_high:1'), w['long'][k], k)
" < <(bk_sql "$DB" "SELECT json_group_object(event_id, note) FROM alert_steps WHERE state = 'acknowledged'")

# tasks: one per string, created, sent to the handhelds, then cancelled
bk_sub_bg hh hh-lit-a -q 1 -v -t 'bk/v1/hh/hh-lit-a/task'
wait_until 5 grep -q 'hh-lit-a 1 bk/v1/hh/hh-lit-a/task' "$T/broker.log"
due=$(date -d '+7 days' +%F)
i=0
for k in $KEYS; do
	bkctl task create --licence "$(printf 'JY1330102%07d' $i)" --inspectors hh-lit-a,hh-lit-b \
		--due "$due" --by "$(cat "$T/odd-$k.by")" --note "$(odd "$k")" >>"$T/created" 2>&1 ||
		echo "# task create with '$k' text failed"
	i=$((i + 1))
done
mapfile -t TASKS < <(grep -o 'tk-[0-9-]*' "$T/created")
is "11 tasks created" "${#TASKS[@]}" 11
ok "task notes, who created them and the names read back exactly (bkctl tasks --json)" check "
got = {r['licence']: r for r in d}
for i, k in enumerate(w['keys']):
    e = w['establishments'][i]
    same(got[e['licence']]['note'], w['long'][k], k + ' note')
    same(got[e['licence']]['created_by'], w['by'][k], k + ' created_by')
    same(got[e['licence']]['name'], e['name'], k + ' name')
" < <(bkctl tasks --json)
ok "... and through the HTTPS API (/api/tasks)" check "
got = {r['licence']: r for r in d}
for i, k in enumerate(w['keys']):
    same(got[w['establishments'][i]['licence']]['note'], w['long'][k], k + ' note')
" < <(api /api/tasks)
sent() { grep -c '^bk/v1/hh/hh-lit-a/task ' "$T/hh.log"; }
ok "the handheld receives the 11 tasks" wait_until 10 bk_at_least 11 sent
ok "... with note, establishment name and address exactly" check "
got = {}
for line in open('$T/hh.log', encoding='utf-8'):
    t = json.loads(line.rstrip('\n').split(' ', 1)[1])
    got[t['establishment']['licence']] = t
for i, k in enumerate(w['keys']):
    e = w['establishments'][i]
    t = got[e['licence']]
    same(t['note'], w['long'][k], k + ' note')
    same(t['establishment']['name'], e['name'], k + ' name')
    same(t['establishment']['address'], e['address'], k + ' address')
" <<<null
i=0
for k in $KEYS; do
	[ $i -eq 0 ] || bkctl task step "${TASKS[$i]:-none}" cancelled --by "$(cat "$T/odd-$k.by")" --note "$(odd "$k")" >/dev/null ||
		echo "# task step with '$k' text failed"
	i=$((i + 1))
done
for i in $(seq 1 10); do bkctl task show "${TASKS[$i]:-none}" --json; done | "$BK_PY" -c '
import json, sys
rows = json.JSONDecoder()
text = sys.stdin.read()
out, pos = [], 0
while pos < len(text.rstrip()):
    d, pos = rows.raw_decode(text, pos)
    out.append(d)
    while pos < len(text) and text[pos].isspace():
        pos += 1
json.dump(out, sys.stdout)' >"$T/steps.json"
ok "a step's who and note read back exactly (bkctl task show --json)" check "
for i, k in enumerate(w['keys'][1:]):
    c = [s for s in d[i] if s['state'] == 'cancelled'][0]
    same(c['note'], w['long'][k], k + ' note')
    same(c['by'], w['by'][k], k + ' by')
" <"$T/steps.json"

# the handheld's reports on the first task
for n in 1 2 3; do
	sed "s/@TASK@/${TASKS[0]:-none}/" "$T/report-$n.json" >"$T/report.json"
	bk_pub hh-lit-a -q 1 -i hh-lit-a-pub -t bk/v1/hh/hh-lit-a/report -f "$T/report.json"
done
applied() { bk_sql "$DB" "SELECT (SELECT count(*) FROM inspections) + (SELECT count(*) FROM penalties)"; }
ok "the record and the penalty are applied" wait_until 10 bk_at_least 2 applied
ok "answer notes are stored exactly (inspections.answers)" check "
for a, want in zip(json.loads(d['answers']), w['record']['answers']):
    same(a['note'], want['note'], want['item'])
" < <(bk_sql "$DB" "SELECT json_object('answers', answers) FROM inspections")
ok "facts and place are archived exactly (the report as received)" check "
same(d['facts'], w['record']['facts'], 'facts')
same(d['place'], w['record']['place'], 'place')
" < <(bk_sql "$DB" "SELECT json_extract(CAST(payload AS TEXT), '\$.record') FROM messages WHERE sender = 'hh-lit-a' AND seq = 2")
ok "the penalty's party, violation and legal basis are stored exactly" check "
for f in ('party', 'violation', 'legal_basis'):
    same(d[f], w['penalty'][f], f)
" < <(bk_sql "$DB" "SELECT json_object('party', party, 'violation', violation, 'legal_basis', legal_basis) FROM penalties")
for k in $KEYS; do
	bkctl complaint add JY13301020000000 --text "$(odd "$k")" >/dev/null || echo "# complaint with '$k' text failed"
done
ok "complaints are stored exactly" check "
same(d, [w['long'][k] for k in w['keys']], 'complaints')
" < <(bk_sql "$DB" "SELECT json_group_array(text) FROM (SELECT text FROM complaints ORDER BY id)")

# --- control characters ----------------------------------------------------------
# The registry refuses them (write an address on one line), naming the character.
printf 'id,name,district,phone\nhh-ctl,"bell\a and \033[2J",330102,\n' >"$T/ctl.csv"
bkctl registry import inspectors "$T/ctl.csv" 2>"$T/err"
is "a control character in a CSV field refuses the file" "$?" 1
ok "... naming it" grep -qF "$T/ctl.csv:2:name: a control character (U+0007)" "$T/err"
# A box may send them escaped (valid JSON): stored and shown exactly by --json,
# and written out visibly in bkctl's tables.
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
ctl_event() { # SEQ MESSAGE-AS-JSON-TEXT
	printf '{"v":1,"id":"%s","seq":%d,"ts":"%s","mono":1,"clock":"synced","event_id":"ctl-%d","phase":"open","type":"door_open","severity":"warning","start":"%s","zone":"z\\t1","message":"%s"}' \
		"$BOX" "$1" "$NOW" "$1" "$NOW" "$2"
}
ctl_event 20 'clear\u001b[2J\u001b]0;title\u0007 tab\t nl\n del\u007f c1\u0085 end' >"$T/ctl.json"
bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/event" -f "$T/ctl.json"
ctl_events() { bk_sql "$DB" "SELECT count(*) FROM events WHERE event_id = 'ctl-20'"; }
ok "an event with escaped control characters is archived" wait_until 10 bk_at_least 1 ctl_events
ok "... and reads back exactly (--json)" check "
got = [r for r in d if r['event_id'] == 'ctl-20'][0]
same(got['message'], 'clear\x1b[2J\x1b]0;title\x07 tab\t nl\n del\x7f c1\x85 end', 'message')
same(got['zone'], 'z\t1', 'zone')
" < <(bkctl events --box "$BOX" --json)
bkctl events --box "$BOX" >"$T/table"
ok "bkctl's table writes no control character to the terminal" bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <'$T/table')"
ok "... but shows them escaped" grep -qF 'clear\u001b[2J\u001b]0;title\u0007 tab\u0009 nl\u000a del\u007f c1\u0085 end' "$T/table"
bkctl alert ack "$BOX" ctl-20 --by $'\033[2J\033]0;x\007' >/dev/null 2>"$T/err"
is "a handler's name with control characters is refused (printable text, as task notes)" "$?" 1
ok "... saying what must be printable" grep -q -- "--by (1–128 bytes) and --note (up to 2048) must be printable text" "$T/err"
is "... and the alert is not acknowledged" \
	"$(bk_sql "$DB" "SELECT state FROM alerts WHERE event_id = 'ctl-20'")" new
bkctl alert ack "$BOX" ctl-20 --by 值班员 --note "$(head -c 2049 /dev/zero | tr '\0' n)" >/dev/null 2>&1
is "a note of 2049 bytes is refused" "$?" 1
ok "one of 2048 bytes is taken" bkctl alert ack "$BOX" ctl-20 --by 值班员 --note "$(head -c 2048 /dev/zero | tr '\0' n)"
bkctl task create --licence JY13301020000000 --inspectors hh-lit-a,hh-lit-b --due "$due" --by x \
	--note $'one\033[2Jline' >/dev/null 2>&1
is "a task note with a control character is refused (one line of text)" "$?" 1
# What is not text is refused at the door, counted, with the reason.
ctl_event 21 'raw escape:'$'\033''[2J' >"$T/raw.json"
ctl_event 22 $'not UTF-8: \xff\xfe' >"$T/latin.json"
ctl_event 23 'nul \u0000 hides the rest' >"$T/nul.json"
rejects_before=$(bk_sql "$DB" "SELECT count(*) FROM rejects")
for f in raw latin nul; do bk_pub "$BOX" -q 1 -t "bk/v1/box/$BOX/event" -f "$T/$f.json"; done
rejected() { bk_sql "$DB" "SELECT count(*) - $rejects_before FROM rejects"; }
ok "an unescaped control character, bytes that are not UTF-8 and a \\u0000 are rejected" wait_until 10 bk_at_least 3 rejected
ok "... each with its reason" bash -c "
	'$BK_BIN/bkctl' --db '$DB' rejects --json >'$T/rejects.json' &&
	grep -q 'control character 0x1B at byte' '$T/rejects.json' &&
	grep -q 'payload is not UTF-8 (byte' '$T/rejects.json' &&
	grep -q 'u0000 (NUL) escape at byte' '$T/rejects.json'"
ok "... bkctl rejects --json stays valid UTF-8 JSON" "$BK_PY" -c "import json; json.load(open('$T/rejects.json', encoding='utf-8'))"
ok "... and its table writes none of their bytes raw" bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' <('$BK_BIN/bkctl' --db '$DB' rejects | tr -d '\n')"
is "none of them was archived" "$(bk_sql "$DB" "SELECT count(*) FROM events WHERE event_id IN ('ctl-21', 'ctl-22', 'ctl-23')")" 0

# --- the page, and the archive -----------------------------------------------------
curl -sS --max-time 10 --cacert "$BK_PKI/ca.crt" "$URL/app.js" >"$T/app.js"
# and in a browser: headless Chromium shows every name and address as text,
# and the <script>/<img onerror> of one of them runs and injects nothing
CDP_PORT=$(free_port)
CDP="$BK_PY $BK_ROOT/tests/tools/cdp.py $CDP_PORT"
bk_bg chromium chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--remote-debugging-port="$CDP_PORT" --remote-allow-origins='*' --user-data-dir="$T/chrome" \
	--ignore-certificate-errors --disable-background-networking --disable-component-update \
	--disable-sync --disable-default-apps --no-first-run --no-default-browser-check about:blank
ok "chromium listens for DevTools" wait_until 30 "$BK_PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$CDP_PORT/json/list', timeout=2)"
ok "the page's establishment list loads, signed in with the token" bash -c "
	$CDP navigate '$URL/#/establishments' >/dev/null && $CDP wait 15 \"(() => {
		if (!window.__bkSubmitted && !document.querySelector('#login').hidden) {
			window.__bkSubmitted = true;
			document.querySelector('#token').value = '$TOKEN';
			document.querySelector('#login-form').requestSubmit();
		}
		return document.querySelectorAll('#est-table tbody tr').length === 12;
	})()\""
ok "... every name and address shown exactly, as text" check "
rows = json.loads(d)
got = {r[0]: r for r in rows}
for e in w['establishments']:
    same(got[e['licence']][1], e['name'], e['licence'] + ' name')
    same(got[e['licence']][2], e['address'], e['licence'] + ' address')
" < <($CDP eval "JSON.stringify([...document.querySelectorAll('#est-table tbody tr')].map(tr => [tr.cells[0].textContent, tr.cells[1].textContent, tr.cells[4].textContent]))")
html_licence=$("$BK_PY" -c "import json; w = json.load(open('$T/want.json')); print(w['establishments'][w['keys'].index('html')]['licence'])")
$CDP eval "location.hash = '#/establishment/$html_licence'" >/dev/null
ok "the establishment page with <script> in its name shows it as text" $CDP wait 10 \
	"document.querySelector('#est-name').textContent.startsWith('<script>alert(1)</script><img src=x onerror=')"
is "... and nothing it holds ran or became an element" \
	"$($CDP eval "[typeof window.__bkXss, document.querySelectorAll('img[src=\"x\"], #view-establishment script, #view-establishments script').length].join(' ')")" \
	'"undefined 0"'
bk_stop chromium
ok "the page (as served) puts data in the DOM as text only: no innerHTML and the like" bash -c "
	grep -q 'createTextNode' '$T/app.js' && ! grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' '$T/app.js'"
is "the archive still has all its tables" "$(tables)" "$TABLES"
is "... and every establishment" "$(bk_sql "$DB" "SELECT count(*) FROM establishments")" 12
ok "the collector is still running" kill -0 "$(bk_pid collector)"

bk_done
