#!/usr/bin/python3
"""Write the fuzzers' seed corpora into tests/fuzz/corpus/<target>/.

Seeds are real inputs: the messages of schemas/examples/ (valid and invalid)
on the topic they travel on, the messages the C builders produce (when
build/tests/test_message exists), the configurations of tests/lib/daemons.sh
and tools/demo, timestamps, every kind of topic, and clip uploads in the
binary form fuzz_chunks.c reads (good, out of order, corrupt, restarted,
forged, re-announced), and the live view's fMP4 chunks (tests/fixtures/fmp4/,
alone and as relay scripts for fuzz_fmp4.c). Run it from anywhere after a
schema or config change; it replaces the files named seed-* and leaves others
alone.

Config seeds name files relative to the repository root (the fuzz scripts run
there), never /dev/…: a mutated /dev/null is /dev/zero or /dev/stdin, and a
driver that reads its file at open would read for ever.
"""

import glob
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def owner(party, candidate, fallback):
    """candidate when it is an id of party (topic_parse refuses a topic whose
    owner is not), else fallback: an invalid example still reaches the
    validator."""
    rule = r"^%s-[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" % party
    return candidate if isinstance(candidate, str) and re.match(rule, candidate) else fallback


def topic_for(kind, msg):
    if kind in ("status", "reading", "event", "clip", "envelope"):
        return "bk/v1/box/%s/%s" % (owner("box", msg.get("id"), "box-a"),
                                    "status" if kind == "envelope" else kind)
    if kind in ("ack", "cmd"):
        return "bk/v1/box/%s/%s" % (owner("box", msg.get("box"), "box-a"), kind)
    if kind == "alert":
        return "bk/v1/alert/%s" % msg.get("district")
    if kind == "task":
        return "bk/v1/hh/%s/task" % owner("hh", (msg.get("inspectors") or ["hh-x"])[0], "hh-x")
    if kind == "report":
        return "bk/v1/hh/%s/report" % owner("hh", msg.get("id"), "hh-x")
    raise ValueError(kind)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear(target):
    for p in glob.glob(os.path.join(CORPUS, target, "seed-*")):
        os.remove(p)


def message_seeds():
    clear("fuzz_message")
    for path in sorted(glob.glob(os.path.join(ROOT, "schemas", "examples", "*.json"))):
        base = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as f:
            text = f.read()
        msg = json.loads(text)
        topic = topic_for(base.split(".")[0], msg)
        compact = json.dumps(msg, ensure_ascii=False, separators=(",", ":"))
        write("fuzz_message", base, topic + "\n" + compact)
        if ".valid" in base:  # the example as written, whitespace and all
            write("fuzz_message", base + ".pretty", topic + "\n" + text)
    # the C builders' own output
    test_message = os.path.join(ROOT, "build", "tests", "test_message")
    if os.access(test_message, os.X_OK):
        with tempfile.NamedTemporaryFile(prefix="bk-seed.") as cap:
            env = dict(os.environ, BK_CAPTURE=cap.name)
            subprocess.run([test_message], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            lines = open(cap.name, encoding="utf-8").read().splitlines()
        for i, line in enumerate(lines):
            topic, payload = line.split("\t", 1)
            write("fuzz_message", "built-%d" % i, topic + "\n" + payload)
    # an ack to a handheld: its own subtree (topic_format), "box" is the hh id
    write("fuzz_message", "hh-ack",
          'bk/v1/hh/hh-330106-017/ack\n{"v":1,"id":"svc-collector","seq":7,'
          '"ts":"2026-11-25T08:00:00.000Z","mono":1,"clock":"synced",'
          '"box":"hh-330106-017","acked":3,"max_seen":3,"missing":[]}')
    # topics the collector refuses before parsing: a clip chunk, strangers
    write("fuzz_message", "chunk", "bk/v1/box/box-a/clip/cam-1:000317/17\n\x00\x01binary")
    write("fuzz_message", "unknown-kind", "bk/v1/box/box-a/video\n{}")
    write("fuzz_message", "nul-in-payload",
          'bk/v1/box/box-a/status\n{"v":1,"id":"box-a"\x00}')


def timestamp_seeds():
    clear("fuzz_timestamp")
    for i, ts in enumerate([
        "2025-03-14T02:15:07.123Z", "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
        "2024-02-29T12:00:00.500Z", "2025-02-29T00:00:00.000Z", "2016-12-31T23:59:60.000Z",
        "1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00.000Z", "2025-03-14T02:15:07Z",
        "2025-03-14T02:15:07.123+08:00", "2025-03-14 02:15:07.123Z",
    ]):
        write("fuzz_timestamp", "ts-%02d" % i, ts)


MQTT = """[mqtt]
uri = ssl://127.0.0.1:8883
ca = tests/fuzz/seed-corpus.py
cert = tests/fuzz/seed-corpus.py
key = tests/fuzz/seed-corpus.py
keepalive = 10s
reconnect_max = 2s
"""

EDGE = """[box]
id = box-fuzz
state_dir = /nonexistent/box-fuzz
log_level = info
status_period = 2s
reading_batch = 200ms

""" + MQTT + """
[outbox]
ack_timeout = 3s

[sensor fridge-1]
kind = fridge
driver = sim
period = 100ms
sim_base = 4

[sensor freezer-1]
kind = freezer
driver = sim
period = 100ms
sim_base = -18
"""

BURST = """[box]
id = box-burst
state_dir = /nonexistent/box-burst
status_period = 2s
reading_batch = 0
disk_budget = 512M

""" + MQTT + """
[outbox]
path = /nonexistent/outbox.db
sync = normal
window = 64
ack_timeout = 3s
max_rate = 20000
max_bytes_rate = 20M

[sensor burst-1]
kind = fridge
driver = sim
period = 1ms
sim_samples = 4000
"""

DEMO = """# A school canteen: walk-in fridge, freezer, the clean room and its cabinet.
[box]
id = box-demo-canteen
state_dir = /nonexistent/box-demo-canteen
status_period = 10s
reading_batch = 5s

""" + MQTT + """
[sensor fridge-1]
kind = fridge
driver = sim
period = 1s
sim_base = 4
sim_amplitude = 2
sim_period = 2m

[sensor freezer-1]
kind = freezer
driver = sim
period = 1s
sim_base = -18
sim_amplitude = 1.5

[sensor cleanroom-1]
kind = cleanroom
driver = sim
period = 2s
sim_base = 22

[sensor uv-1]
kind = uv_lamp
driver = sim
period = 1s
sim_csv = tests/fuzz/data/door-open.csv
sim_loop = true
"""

DRIVERS = """[box]
id = box-drivers
state_dir = /nonexistent/box-drivers

""" + MQTT + """
[sensor hwmon-1]
kind = cleanroom
driver = file
path = /nonexistent/hwmon0/temp1_input
format = number
scale = 0.001
offset = 0

[sensor probe-1]
kind = fridge
driver = file
path = /nonexistent/w1/28-0000/w1_slave
format = w1_slave

[sensor plc-1]
kind = freezer
driver = modbus
transport = tcp
host = 127.0.0.1
port = 1502
unit_id = 1
register = 100
function = holding
type = float32
word_order = little
scale = 0.1
offset = -40
timeout = 20ms

[sensor rinse-1]
kind = rinse
driver = modbus
transport = rtu
device = /nonexistent/ttyUSB0
baud = 19200
parity = E
data_bits = 8
stop_bits = 1
register = 7
function = input
type = int16
"""

RULES = """[box]
id = box-rules
state_dir = /nonexistent/box-rules

""" + MQTT + """
[sensor fridge-1]
kind = fridge
driver = sim
min = 0
max = 8
duration = 10m
hysteresis = 0.5
update_step = 0.5
severity = warning
valid_min = -40
valid_max = 60
stuck_after = 2h
fault_errors = 5

[sensor cab-1]
kind = disinfection
driver = sim
sim_base = 20
cycle_start = 50
cycle_level = 120
cycle_min = 10m
severity = critical

[sensor gas-1]
kind = gas
driver = sim
sim_base = 0
sim_amplitude = 0
max = 0.5
duration = 0
"""

COLLECTOR = """[collector]
id = svc-collector
archive = /nonexistent/archive.db
log_level = info
stats_period = 5s
max_payload = 256K
batch_max = 1000

""" + MQTT + """share_group = collectors
"""

BROKEN = """[box]
id = fridge
status_period = 5 minutes
disk_budget = 1X
typo_key = 1

[mqtt]
uri = tcp://127.0.0.1:1883
ca = /nonexistent/ca.crt

[outbox]
sync = sometimes
window = 0
max_rate = nan

[sensor bad id!]
kind = toaster
driver = magic
period = -1s

[sensor csv-1]
kind = fridge
driver = sim
sim_csv = tests/fuzz/data/door-open.csv
sim_base = 4

[elsewhere]
x = y
"""


HANDHELD = """[handheld]
id = hh-wang
state_dir = /nonexistent/hh-wang
checklists = checklists
agency = 杭州市西湖区市场监督管理局
log_level = info
ack_timeout = 2s
sync_timeout = 5s
payment_bank = 中国工商银行杭州西湖支行
review_body = 杭州市西湖区人民政府
court = 杭州市西湖区人民法院

[officers]
hh-wang = 王伟;33010600017
hh-li = 李娜 ; 33010600023
hh-bad = no certificate number
box-a = 王伟;1

""" + MQTT

TASK_RULES = """[grading]
cutoff_a = 30
cutoff_b = 45
cutoff_c = 60
visits_a = 1
visits_b = 2
visits_c = 3
visits_d = 4
ahead_days = 30
team = 2
coverage = 0.8

[rule cold-chain-2h]
kind = not_closed
types = temperature_high,temperature_low
hours = 2
due_days = 1

[rule no-mask-week]
kind = repeated
types = no_mask
count = 3
days = 7
due_days = 3
"""


def config_seeds():
    clear("fuzz_config")
    for name, text in [("edge-daemons", EDGE), ("edge-burst", BURST), ("edge-demo", DEMO),
                       ("edge-drivers", DRIVERS), ("edge-rules", RULES),
                       ("collector", COLLECTOR), ("broken", BROKEN),
                       ("both", COLLECTOR + "\n" + EDGE.replace("[mqtt]", "[mqtt2]")),
                       ("handheld", HANDHELD), ("task-rules", TASK_RULES),
                       ("task-rules-broken",
                        TASK_RULES.replace("cutoff_b = 45", "cutoff_b = 20")
                        .replace("kind = repeated", "kind = sometimes")
                        .replace("visits_d = 4", "visits_d = 4.5"))]:
        write("fuzz_config", name, text)


def detection_seeds():
    clear("fuzz_detection")
    for i, line in enumerate([
        '{"type":"no_mask","camera":"cam1","confidence":0.93,"time":"2026-11-25T08:01:02.345Z","detector":"hik-ai","ref":"evt-88812"}',
        '{"type":"motion","camera":"kitchen.3","confidence":0}',
        '{"type":"wet_floor","camera":"cam-2","confidence":1,"ref":"后厨 🐀"}',
        '{"type":"smoking","camera":"cam1","confidence":0.7,"time":"2026-11-24T08:00:00.000Z"}',
        '{"type":"rodent","camera":"cam1","confidence":0.7,"time":"2026-11-25T09:00:00.001Z"}',
        '{"type":"no_mask","type":"smoking","camera":"cam1","confidence":0.5}',
        '{"type":"no_mask","camera":"cam9","confidence":1e999,"zone":"x"}',
        '{"type":"stranger","camera":"cam1\\u0000x","confidence":0.5,"ref":"\\ud83d\\udc00\\u0085"}',
        '[{"type":"bin_overflow"}]',
    ]):
        write("fuzz_detection", "%02d" % i, line)


def topic_seeds():
    clear("fuzz_topic")
    box, hh, clip = "box-a", "hh-330106-017", "kitchen-1:1764057600000"
    long_box = "box-" + "a" * 63  # the longest id the rules allow
    topics = ["bk/v1/box/%s/%s" % (box, k) for k in
              ("status", "reading", "event", "clip", "ack", "cmd")]
    topics += ["bk/v1/hh/%s/%s" % (hh, k) for k in ("task", "report", "ack")]
    topics += [
        "bk/v1/box/%s/clip/%s/0" % (box, clip), "bk/v1/box/%s/clip/%s/1000000" % (box, clip),
        "bk/v1/alert/330106", "bk/v1/box/%s/status" % long_box,
        # refused: each for one reason
        "bk/v1/box/x/status", "bk/v1/hh/box-a/ack", "bk/v1/box/hh-1/ack",
        "bk/v1/box/box-a/clip/c-1/07", "bk/v1/box/box-a/clip/c-1/ 7",
        "bk/v1/box/box-a/clip/c-1/-1", "bk/v1/box/box-a/clip/c-1/1000001",
        "bk/v1/box/box-a/clip/../0", "bk/v1/box/box-a/chunk", "bk/v1/box/box-a/status/",
        "bk/v1/box//status", "bk/v2/box/box-a/status", "bk/v1/alert/330106/x",
        "bk/v1/box/%s/status" % (long_box + "a"),
    ]
    for i, topic in enumerate(topics):
        write("fuzz_topic", "%02d" % i, topic)
    # kind byte, owner, '\n', clip id, '\n', number: topics to build
    for i, (kind, rest) in enumerate([(0, box), (4, box + "\n" + clip + "\n17"), (5, hh),
                                      (5, box), (7, "330106"), (8, hh), (0, long_box)]):
        write("fuzz_topic", "build-%d" % i, bytes([kind]) + rest.encode())


def chunk_input(flags, size, length, seed, extra=b"", ops=()):
    """fuzz_chunks.c's input: header, then (op, arg) pairs."""
    head = bytes([flags, size - 1, (length - 1) & 255, (length - 1) >> 8, seed]) + extra
    return head + b"".join(bytes([op, arg]) for op, arg in ops)


def chunks_seeds():
    clear("fuzz_chunks")
    good, whole_wrong, chunk_wrong, jpeg, skew, finish, own_id = 0, 4, 8, 16, 32, 64, 128
    for name, data in [
        ("in-order", chunk_input(finish, 100, 300, 7)),
        ("out-of-order-duplicates",
         chunk_input(good, 64, 200, 8, ops=[(0, 3), (0, 1), (0, 1), (1, 0), (0, 2)])),
        ("corrupt-then-pass", chunk_input(good, 64, 200, 9, ops=[(2, 1), (3, 0), (7, 0)])),
        ("restart-midway",
         chunk_input(good, 32, 100, 10, ops=[(0, 0), (0, 1), (5, 0), (0, 2), (0, 3), (7, 0)])),
        ("whole-hash-wrong", chunk_input(whole_wrong | finish, 50, 120, 11)),
        ("chunk-hash-wrong-matched",
         chunk_input(chunk_wrong, 50, 120, 12, b"\x00", ops=[(2, 0), (0, 1), (0, 2), (7, 0)])),
        ("certificate-of-another-box", chunk_input(1 | finish, 100, 150, 13)),
        ("changed-after-signing", chunk_input(2 | finish, 100, 150, 14)),
        ("sizes-skewed", chunk_input(skew | finish, 100, 250, 15, b"\x01\x00")),
        ("jpeg-one-chunk", chunk_input(jpeg | finish, 256, 100, 16)),
        ("other-topics", chunk_input(good, 64, 128, 17,
                                     ops=[(4, 0), (12, 0), (20, 0), (28, 0), (28, 1), (0, 0), (0, 1)])),
        ("second-manifest-new-content",
         chunk_input(good, 64, 200, 18, ops=[(7, 0), (14, 99), (7, 0)])),
        ("second-manifest-while-receiving",
         chunk_input(good, 64, 200, 19, ops=[(0, 0), (14, 5), (7, 0), (6, 0)])),
        ("same-id-from-box-b", chunk_input(good, 64, 200, 20, ops=[(22, 0), (7, 0), (0, 9)])),
        ("certificate-that-is-none", chunk_input(good, 64, 200, 21, ops=[(30, 0), (7, 0)])),
        ("clip-id-from-input", chunk_input(own_id | finish, 40, 90, 22, b"\x05c-1:x")),
        ("chunk-out-of-range", chunk_input(good, 10, 30, 23, ops=[(0, 3), (0, 200), (3, 1)])),
        ("one-byte-chunks", chunk_input(finish, 1, 64, 24)),
    ]:
        write("fuzz_chunks", name, data)


def fmp4_chunks(path):
    """A fixture cut as a box sends it: ftyp+moov, each moof+mdat, the rest alone."""
    with open(os.path.join(ROOT, "tests", "fixtures", "fmp4", path), "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] in (b"ftyp", b"moof"):
            size += int.from_bytes(data[pos + size:pos + size + 4], "big")
        out.append(data[pos:pos + size])
        pos += size
    return out


def fmp4_seeds():
    """fuzz_fmp4.c: chunks alone; a first byte with bit 7 set makes the rest a relay
    script: op&7 0 feed (2-byte little-endian length, bytes), 3 join, 4 read
    (viewer, size), 5 leave, 6 end; op bit 3: the second stream."""
    clear("fuzz_fmp4")
    h264, h265 = fmp4_chunks("h264.mp4"), fmp4_chunks("h265.mp4")
    for name, chunks in (("h264", h264), ("h265", h265)):
        for i, c in enumerate(chunks):
            write("fuzz_fmp4", "%s-%02d" % (name, i), c)
    write("fuzz_fmp4", "h264-fragments-2-4", b"".join(h264[2:5]))

    def fd(c, stream=0):
        return bytes([stream << 3, len(c) & 255, len(c) >> 8]) + c

    join, leave, end = (lambda v, s=0: bytes([3 | s << 3, v])), (lambda v: bytes([5, v])), b"\x06"
    read = lambda v, k: bytes([4, v, k])
    write("fuzz_fmp4", "relay-join-read-end",
          b"\x80" + join(0) + fd(h264[0]) + fd(h264[1]) + read(0, 63) + fd(h264[2]) + join(1)
          + read(1, 0) + read(0, 255) + end + read(0, 255) + leave(0) + leave(1))
    write("fuzz_fmp4", "relay-slow-viewer-restart",
          b"\x80" + join(0) + join(1) + b"".join(fd(h264[i]) for i in (0, 1, 2, 4)) + read(1, 20)
          + fd(h265[0]) + fd(h265[3]) + read(0, 255) + join(2, 1) + fd(h265[0], 1) + read(2, 3))


if __name__ == "__main__":
    message_seeds()
    timestamp_seeds()
    config_seeds()
    detection_seeds()
    topic_seeds()
    chunks_seeds()
    fmp4_seeds()
