"""bench.py — the arithmetic of `make bench` (tests/bench/run.sh calls it).

  bench.py wait-acked DB BOXES PER_BOX SECONDS   poll the archive's progress table every
                                                  20 ms until every box has acked == PER_BOX;
                                                  print the wall time it saw that (or
                                                  "timeout") and its own CPU seconds;
                                                  exit 1 on time-out
  bench.py ticks PID...                           CPU seconds (user + system) of the PIDs
  bench.py tree PID                               CPU seconds of PID, its live children and the
                                                  children it has reaped (cutime, cstime): a
                                                  server's processes, e.g. PostgreSQL's postmaster
  bench.py oncpu PID...                           for each PID: CPU seconds to the ns (the sum of
                                                  its threads' schedstat), a fingerprint of the
                                                  thread set (a thread that ended between two
                                                  readings takes its time with it: compare) and
                                                  utime + stime (10 ms ticks)
  bench.py proc PID...                            the PIDs' CPU seconds and memory, summed:
                                                  "cpu=S rss_kb=K hwm_kb=K pss_kb=K"
  bench.py cpustat                                /proc/stat totals: "busy iowait total" ticks
  bench.py busy SECONDS                           percent of the machine's CPU busy over SECONDS
  bench.py e2e KEY=VALUE...                       the figures of one end-to-end run
  bench.py report RAW                             the markdown table from the raw lines
  bench.py details RAW                            per box count: CPU per message, duplicates…
  bench.py livelat JSON                           one glass-to-page run's figures from the
                                                  page's samples (tests/bench/live.sh)

Raw lines are "kind key=value ..." (kind: machine, outbox, e2e, videocfg, video,
clip, cliphash, statsgen, stats, platforms, ingest, latency, conns, footprint,
drain, pgingest, livecfg, livelat, livecpu, livetranscode); every figure in
the table is the median of the runs with their min-max, and every ratio is taken
inside one run before the median is taken.
"""

import datetime
import os
import resource
import sqlite3
import statistics
import sys
import time


def parse_ts(text):
    """The envelope's and the archive's timestamps: 2026-01-31T08:00:00.000Z."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def ro(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    return con


def wait_acked(db, boxes, per_box, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            con = ro(db)
            n = con.execute("SELECT count(*) FROM progress WHERE acked >= ?",
                            (per_box,)).fetchone()[0]
            con.close()
            if n >= boxes:
                ru = resource.getrusage(resource.RUSAGE_SELF)
                print(f"{time.time():.6f} {ru.ru_utime + ru.ru_stime:.2f}")
                return 0
        except sqlite3.Error:
            pass  # the archive is being created, or busy: look again
        time.sleep(0.02)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"timeout {ru.ru_utime + ru.ru_stime:.2f}")
    return 1


def ticks(pids):
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass  # gone already: counted as 0
    print(f"{total / hz:.2f}")


def tree(pid):
    """CPU seconds of PID and its children: its own utime + stime, its reaped
    children's (cutime + cstime: backends that have exited) and every live
    child's utime + stime. A difference of two readings is exact for the
    interval as long as PID itself lives; a PID that is gone counts as 0."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    except (OSError, IndexError, ValueError):
        print("0.00")
        return
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[1] == str(pid):  # ppid
                total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass  # gone meanwhile: its time is in the parent's cutime now
    print(f"{total / hz:.2f}")


def oncpu(pids):
    """utime + stime count 10 ms ticks: too coarse for a process that uses
    a few ms a second. schedstat's first field is a thread's time on a CPU
    in ns. For each PID, in one reading: the sum over its live threads, a
    fingerprint of the thread set, and utime + stime (all threads, ticks)."""
    import zlib
    hz = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in pids:
        total, tids, ticks = 0, [], 0
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                        total += int(f.read().split()[0])
                    tids.append(tid)
                except (OSError, IndexError, ValueError):
                    pass  # ended meanwhile
        except (OSError, IndexError, ValueError):
            pass  # gone: 0
        fp = f"{len(tids)}-{zlib.crc32(' '.join(sorted(tids)).encode()):08x}"
        out.append(f"{total / 1e9:.6f} {fp} {ticks / hz:.2f}")
    print(" ".join(out))


def proc(pids):
    """CPU seconds (utime + stime: all the threads, exact to the tick) and
    VmRSS, VmHWM (peak) and Pss (shared pages split between their users) of
    the PIDs, summed; a process that is gone counts as 0."""
    hz = os.sysconf("SC_CLK_TCK")
    cpu = 0
    mem = {"VmRSS": 0, "VmHWM": 0, "Pss": 0}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += int(fields[11]) + int(fields[12])
            for name in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
                with open(name) as f:
                    for line in f:
                        key, _, rest = line.partition(":")
                        if key in mem:
                            mem[key] += int(rest.split()[0])
        except (OSError, IndexError, ValueError):
            pass
    print(f"cpu={cpu / hz:.2f} rss_kb={mem['VmRSS']} hwm_kb={mem['VmHWM']} pss_kb={mem['Pss']}")


def cpustat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle, iowait = v[3], v[4]
    total = sum(v[:8])  # user nice system idle iowait irq softirq steal
    print(total - idle - iowait, iowait, total)


def other_pct(cpu0, cpu1, ours_s):
    """Percent of the machine's CPU that processes outside the benchmark used
    between two cpustat readings ("busy,iowait,total" ticks)."""
    try:
        c0 = [int(x) for x in cpu0.split(",")]
        c1 = [int(x) for x in cpu1.split(",")]
    except (AttributeError, ValueError):
        return float("nan")
    dt = c1[2] - c0[2]
    if dt <= 0:
        return float("nan")
    hz = os.sysconf("SC_CLK_TCK")
    return max(0.0, 100 * ((c1[0] - c0[0]) - ours_s * hz) / dt)


def busy(seconds):
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v[:8]) - v[3] - v[4], sum(v[:8])
    b0, t0 = read()
    time.sleep(seconds)
    b1, t1 = read()
    print(round(100 * (b1 - b0) / max(1, t1 - t0)))


def kv(args):
    out = {}
    for a in args:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def e2e(args):
    """Figures of one run. Inputs: db, per_box, boxes, sub (the plain
    subscriber's output: one %U timestamp per message, among -d lines),
    t_acked (wall time all acked), cpu0/cpu1 (cpustat), cpu_* (seconds)."""
    a = kv(args)
    boxes, per_box = int(a["boxes"]), int(a["per_box"])
    total = boxes * per_box
    con = ro(a["db"])
    n, ts0, ts1, rx0, rx1 = con.execute(
        "SELECT count(*), min(ts), max(ts), min(received_at), max(received_at)"
        " FROM messages WHERE kind = 'reading'").fetchone()
    per = con.execute(
        "SELECT count(*), min(ts), max(ts) FROM messages WHERE kind = 'reading'"
        " GROUP BY sender").fetchall()
    resends = con.execute(
        "SELECT coalesce(sum(json_extract(health, '$.resends')), 0) FROM boxes").fetchone()[0]
    con.close()
    out = {"boxes": boxes, "per_box": per_box, "total": total, "archived": n}
    if n == 0:
        print("e2e " + " ".join(f"{k}={v}" for k, v in out.items()) + " ok=0")
        return
    # box side: from the first message stamped to the last, over all boxes
    issue_s = parse_ts(ts1) - parse_ts(ts0)
    out["issue_s"] = f"{issue_s:.3f}"
    out["issue_rate"] = f"{n / issue_s:.1f}" if issue_s > 0 else "nan"
    box_rates = [c / (parse_ts(b) - parse_ts(f)) for c, f, b in per
                 if parse_ts(b) > parse_ts(f)]
    firsts = [parse_ts(f) for _, f, _ in per]
    out["start_spread_s"] = f"{max(firsts) - min(firsts):.3f}"
    out["box_rate"] = f"{statistics.median(box_rates):.1f}" if box_rates else "nan"
    # collector: first archived message to everything acked
    t_acked = a.get("t_acked", "timeout")
    if t_acked != "timeout":
        coll_s = float(t_acked) - parse_ts(rx0)
        out["coll_s"] = f"{coll_s:.3f}"
        out["coll_rate"] = f"{n / coll_s:.1f}"
    out["last_archived_to_acked_s"] = (
        f"{float(t_acked) - parse_ts(rx1):.3f}" if t_acked != "timeout" else "nan")
    # plain subscriber: its first to its last message
    stamps = []
    with open(a["sub"], errors="replace") as f:
        for line in f:
            line = line.strip()
            head = line.split(".")[0]
            if head.isdigit() and len(head) >= 9:
                try:
                    stamps.append(float(line))
                except ValueError:
                    pass
    out["plain_n"] = len(stamps)
    if len(stamps) >= total and stamps[-1] > stamps[0]:
        # the run's messages over the span that carried them all (the span
        # also carried the duplicates, as the collector's did)
        plain_s = stamps[-1] - stamps[0]
        out["plain_s"] = f"{plain_s:.3f}"
        out["plain_rate"] = f"{total / plain_s:.1f}"
        if "coll_rate" in out:
            out["ratio"] = f"{float(out['coll_rate']) / float(out['plain_rate']):.3f}"
    # the machine and the processes during the run (boxes started .. all acked)
    c0 = [int(x) for x in a["cpu0"].split(",")]
    c1 = [int(x) for x in a["cpu1"].split(",")]
    dt = c1[2] - c0[2]
    if dt > 0:
        out["busy_pct"] = f"{100 * (c1[0] - c0[0]) / dt:.0f}"
        out["iowait_pct"] = f"{100 * (c1[1] - c0[1]) / dt:.0f}"
    wall = float(a["wall_s"])
    ours = 0.0
    for k in ("broker", "collector", "boxes", "sub", "poller"):
        out[f"cpu_{k}"] = a.get(f"cpu_{k}", "nan")
        try:
            ours += float(out[f"cpu_{k}"])
        except ValueError:
            pass
    out["other_pct"] = f"{other_pct(a['cpu0'], a['cpu1'], ours):.0f}"
    out["wall_s"] = f"{wall:.2f}"
    out["duplicates"] = a.get("duplicates", "?")
    out["resends"] = resends  # as of each box's last status (every 2 s)
    out["batches"] = a.get("batches", "?")
    out["ok"] = int(n == total and t_acked != "timeout")
    print("e2e " + " ".join(f"{k}={v}" for k, v in out.items()))


def read_raw(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts:
                rows.append((parts[0], kv(parts[1:])))
    return rows


def fnum(x, digits=0):
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def cell(values, digits=0, suffix=""):
    """median (min–max) of the values that are numbers."""
    vs = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if f == f:  # not nan
            vs.append(f)
    if not vs:
        return "n/a"
    med = statistics.median(vs)
    if len(vs) == 1:
        return f"{fnum(med, digits)}{suffix} (1 run)"
    return (f"{fnum(med, digits)}{suffix} ({fnum(min(vs), digits)}–"
            f"{fnum(max(vs), digits)}{suffix})")


def med(values):
    vs = []
    for v in values:
        try:
            vs.append(float(v))
        except (TypeError, ValueError):
            pass
    vs = [v for v in vs if v == v]
    return statistics.median(vs) if vs else float("nan")


def bottleneck(runs, outbox_full):
    """Which component sets the pace, from the medians of one box count."""
    issue = med(r.get("issue_rate") for r in runs)
    box = med(r.get("box_rate") for r in runs)
    plain = med(r.get("plain_rate") for r in runs)
    ratio = med(r.get("ratio") for r in runs)
    busy = med(r.get("busy_pct") for r in runs)
    cpu = {k: med(r.get(f"cpu_{k}") for r in runs)
           for k in ("boxes", "collector", "broker", "sub")}
    used = sum(v for v in cpu.values() if v == v)
    share = ", ".join(f"{k} {100 * v / used:.0f}%" for k, v in cpu.items()
                      if used > 0 and v == v)
    if any(int(r.get("ok", "0")) == 0 for r in runs):
        return "incomplete run(s): see the notes"
    if ratio < 0.8:
        return (f"**the collector**: it archives and acks at {ratio:.2f}× the rate the "
                f"broker delivers to a plain subscriber")
    other = med(r.get("other_pct") for r in runs)
    total = int(runs[0]["boxes"]) * int(runs[0]["per_box"])
    coll_us = med(float(r.get("cpu_collector", "nan")) * 1e6 / total for r in runs)
    cost = (f" Its own cost, {coll_us:.0f} µs of CPU per message, is "
            f"~{round(1e6 / coll_us, -3):,.0f} msg/s per core" if coll_us == coll_us and coll_us > 0 else "")
    if busy >= 85:
        taken = (f", {other:.0f}% of it outside the bench's processes (other work on the "
                 f"machine, kernel threads)" if other >= 20 else "")
        return (f"**CPU**: {busy:.0f}% of {os.cpu_count()} cores busy{taken}; the bench's "
                f"CPU time: {share}. The simulated boxes share the machine with the centre; "
                f"the collector keeps pace ({ratio:.2f}× plain).{cost}")
    if plain < 0.8 * issue:
        return ("**delivery** (broker, or the boxes' send window): the boxes issue "
                "faster than messages reach a plain subscriber")
    fsync = ""
    if outbox_full == outbox_full and box < 0.5 * outbox_full:
        fsync = (f"; its outbox alone accepts {outbox_full:,.0f}/s with FULL, so the limit "
                 f"is the box's loop (1 ms sample timer + its own work), not fsync")
    return (f"**the box**: it issues {box:,.0f} msg/s{fsync}. "
            f"Broker and collector keep pace ({ratio:.2f}×; {busy:.0f}% CPU busy)")


def report(path):
    rows = read_raw(path)
    machine = next((r for k, r in rows if k == "machine"), {})
    outbox = [r for k, r in rows if k == "outbox"]
    e2e_rows = [r for k, r in rows if k == "e2e"]
    full_rate = med(r.get("rate") for r in outbox if r.get("sync") == "full")
    out = []
    video_ran = any(k == "videocfg" for k, _ in rows)
    stats_ran = any(k.startswith("stats") or k in ("platforms", "livecfg", "livetranscode")
                    for k, _ in rows)
    msg_ran = bool(outbox or e2e_rows)
    # the video and statistics rows state their own units (% of a core, MiB, s, ms)
    if not msg_ran and (video_ran or stats_ran):
        unit = "value"
    elif video_ran or stats_ran:
        unit = "msg/s (video, stats: as stated)"
    else:
        unit = "msg/s"
    out.append(f"| benchmark | what is measured | {unit}, median (min–max) "
               "| ratio, median (min–max) | bottleneck |")
    out.append("| --- | --- | --- | --- | --- |")
    if outbox:
        full = [r for r in outbox if r.get("sync") == "full"]
        normal = [r for r in outbox if r.get("sync") == "normal"]
        ratios = []
        for r in normal:
            f = next((x for x in full if x.get("run") == r.get("run")), None)
            if f:
                ratios.append(float(r["rate"]) / float(f["rate"]))
        nb = outbox[0].get("bytes", "?")
        out.append(f"| outbox, `synchronous=FULL` | {med(r.get('n') for r in full):,.0f} puts "
                   f"(median; a run stops at {med(r.get('max_n') for r in full):,.0f} or "
                   f"{med(r.get('max_s') for r in full):.0f} s) of a "
                   f"{nb}-byte reading, one transaction each | "
                   f"{cell(r['rate'] for r in full)} | 1 (reference) | one fsync per commit |")
        out.append(f"| outbox, `synchronous=NORMAL` | {med(r.get('n') for r in normal):,.0f} puts "
                   f"(median; {med(r.get('max_n') for r in normal):,.0f} or "
                   f"{med(r.get('max_s') for r in normal):.0f} s), same message | "
                   f"{cell(r['rate'] for r in normal)} | "
                   f"NORMAL/FULL {cell(ratios, 2, '×')} | WAL synced at checkpoints only |")
    sizes = []
    for r in e2e_rows:
        key = (int(r["boxes"]), int(r["per_box"]))
        if key not in sizes:
            sizes.append(key)
    for boxes, per_box in sizes:
        runs = [r for r in e2e_rows if int(r["boxes"]) == boxes and int(r["per_box"]) == per_box]
        label = f"end to end, {boxes} box{'es' if boxes > 1 else ''} × {per_box:,}"
        total = boxes * per_box
        out.append(f"| {label} | box acceptance: {total:,} messages issued / time to issue "
                   f"(per box: {cell(r.get('box_rate') for r in runs)}) | "
                   f"{cell(r.get('issue_rate') for r in runs)} | | |")
        out.append(f"| {label} | plain subscriber (`mosquitto_sub`), first to last message | "
                   f"{cell(r.get('plain_rate') for r in runs)} | | |")
        out.append(f"| {label} | collector, archived and acked: first archived to all acked | "
                   f"{cell(r.get('coll_rate') for r in runs)} | collector/plain "
                   f"{cell((r.get('ratio') for r in runs), 2, '×')} | "
                   f"{bottleneck(runs, full_rate)} |")
    out.extend(load_rows(rows))
    out.extend(video_rows(rows))
    out.extend(stats_rows(rows))
    out.extend(platforms_rows(rows))
    out.extend(pgingest_rows(rows))
    out.extend(live_rows(rows))
    return "\n".join(out), machine, e2e_rows


def core_pct(r):
    """Percent of one core a video phase's processes used over its window."""
    try:
        return 100 * float(r["cpu"]) / float(r["wall_s"])
    except (KeyError, ValueError, ZeroDivisionError):
        return float("nan")


def mib(kb):
    try:
        return float(kb) / 1024
    except (TypeError, ValueError):
        return float("nan")


def video_phases(rows):
    video = [r for k, r in rows if k == "video"]
    bare = {r["run"]: r for r in video if r.get("phase") == "bare"}
    daemon = {r["run"]: r for r in video if r.get("phase") == "daemon"}
    return bare, daemon


def video_rows(rows):
    """The video section's rows: recording CPU and memory, bk-edge against
    bare gst-launch pipelines on the same streams; building a clip."""
    cfg = next((r for k, r in rows if k == "videocfg"), None)
    if cfg is None:
        return []
    out = []
    bare, daemon = video_phases(rows)
    n = cfg.get("streams", "2")
    streams = (f"{n} × {cfg.get('width')}x{cfg.get('height')} {cfg.get('fps')} fps "
               f"~{float(cfg.get('kbps', 0)) / 1000:g} Mbit/s RTSP H.264 (fake-camera, "
               f"not counted)")
    window = f"{cfg.get('measure_s')} s after a {cfg.get('warmup_s')} s warm-up"
    ratios = [core_pct(daemon[k]) / core_pct(bare[k]) for k in daemon
              if k in bare and core_pct(bare[k]) > 0]
    if bare:
        rate = [8 * float(r.get("bytes", "nan")) / float(r["wall_s"]) / 1e6
                for r in bare.values()]
        out.append(f"| video, bare `gst-launch-1.0` × {n} | CPU (utime+stime) of one "
                   f"`rtspsrc ! rtph264depay ! h264parse ! splitmuxsink muxer=mpegtsmux` "
                   f"per stream, {streams}, {window}; sum, % of one core | "
                   f"{cell((core_pct(r) for r in bare.values()), 2, ' %')} | 1 (reference) | "
                   f"recorded {med(rate):.2f} Mbit/s in all |")
    if daemon:
        per_cam = [core_pct(r) / int(n) for r in daemon.values()]
        out.append(f"| video, `bk-edge`, {n} cameras | CPU of the whole daemon recording the "
                   f"same streams in the same run, same window, % of one core | "
                   f"{cell((core_pct(r) for r in daemon.values()), 2, ' %')} | "
                   f"bk-edge/bare {cell(ratios, 2, '×')} | aim ≤ 1.5× bare and ~1.5 % of a "
                   f"core per camera: {med(per_cam):.2f} % per camera |")
        out.append(f"| video, `bk-edge`, {n} cameras | memory: VmRSS at the end of the window "
                   f"(peak VmHWM {cell((mib(r.get('hwm_kb')) for r in daemon.values()), 1, ' MiB')}) | "
                   f"{cell((mib(r.get('rss_kb')) for r in daemon.values()), 1, ' MiB')} | | "
                   f"aim < 40 MiB; bare, {n} processes: VmRSS "
                   f"{cell((mib(r.get('rss_kb')) for r in bare.values()), 1, ' MiB')} "
                   f"in all (each counts the GStreamer libraries once) |")
    clips = [r for k, r in rows if k == "clip"]
    hashes = [r for k, r in rows if k == "cliphash"]
    for cache, how in (("warm", "segments in the page cache, as just recorded"),
                       ("cold", "segments dropped from the page cache first "
                                "(`posix_fadvise` DONTNEED)")):
        rs = [r for r in clips if r.get("cache") == cache]
        if not rs:
            continue
        hash_rate = med(r.get("mb_s") for r in hashes)
        clip_rate = med(r.get("mb_s") for r in rs)
        hashing = (f"SHA-256 alone (whole + per chunk: every byte twice) runs at "
                   f"{hash_rate:,.0f} MB/s, {100 * clip_rate / hash_rate:.0f}% of the build's "
                   f"time; the rest is read, write and fsync" if hash_rate == hash_rate else "")
        out.append(f"| clip build, {rs[0].get('target_s', '?')} s clip ({cache}) | "
                   f"`clip_build` (bench_clip) of one camera's "
                   f"{rs[0].get('segments')} recorded segments (whole segments covering "
                   f"{rs[0].get('target_s', '?')} s: {float(rs[0].get('video_s', 'nan')):.1f} s), "
                   f"{float(rs[0].get('bytes', 'nan')) / 1e6:.1f} MB, "
                   f"{int(rs[0].get('chunk', 0)) // 1024} KiB chunks, fsync included; "
                   f"{how} | {cell((r.get('seconds') for r in rs), 3, ' s')}; "
                   f"{cell((r.get('mb_s') for r in rs), 0, ' MB/s')} | | {hashing} |")
    ups = [r for k, r in rows if k == "upload"]
    if ups:
        r0 = ups[0]
        out.append(f"| clip upload, {r0.get('video_s')} s of a {int(r0.get('kbps', 0)) // 1000} "
                   f"Mbit/s camera | one `bkctl clip request` through a TLS broker to "
                   f"`bk-edge` (send-rate cap lifted) and `bk-collector`: bytes / (manifest "
                   f"archived → verified: every chunk sent, checked on arrival, written, the "
                   f"whole hashed), {float(r0.get('bytes', 'nan')) / 1e6:.1f} MB in "
                   f"{r0.get('chunks')} chunks of 256 KiB | "
                   f"{cell((r.get('seconds') for r in ups), 2, ' s')}; "
                   f"{cell((r.get('mb_s') for r in ups), 1, ' MB/s')} | | "
                   f"with the default cap (`max_bytes_rate = 1M`) the same clip takes "
                   f"~{float(r0.get('bytes', 'nan')) / 1048576:.0f} s: the cap, not the system, "
                   f"sets a kitchen's upload time |")
    return out


def stats_rows(rows):
    """The statistics section: each query's time on the synthetic year."""
    gen = next((r for k, r in rows if k == "statsgen"), None)
    stats = [r for k, r in rows if k == "stats"]
    if gen is None or not stats:
        return []
    seconds = gen.get("seconds", "?")
    made = ("reused" if seconds == "reused" else f"generated in {float(seconds):.0f} s")
    out = []
    names = []
    for r in stats:
        if r["query"] not in names:
            names.append(r["query"])
    for name in names:
        rs = [r for r in stats if r["query"] == name]
        worst = max(float(r["ms"]) for r in rs)
        out.append(f"| stats, {name} | one call on a year of synthetic data for "
                   f"{gen.get('establishments')} establishments ({float(gen.get('bytes', 0)) / 1e6:.0f} MB "
                   f"archive, {made}; tools/bk-synth), {rs[0].get('rows')} rows | "
                   f"{cell((r.get('ms') for r in rs), 1, ' ms')} | | "
                   f"aim < 200 ms: {'met' if worst < 200 else 'NOT met'} |")
    return out


def platforms_rows(rows):
    """The delivery-platforms section (tests/bench/platforms.sh)."""
    runs = [r for k, r in rows if k == "platforms"]
    if not runs:
        return []
    shops = runs[0].get("shops", "?")
    what = (f"{shops} shops of two platforms against 1,000 establishments with a year of "
            f"video (tests/bench/platforms.sh), {runs[0].get('findings', '?')} findings")
    rate = [float(shops) / (float(r["first_ms"]) / 1000) for r in runs
            if float(r.get("first_ms", 0)) > 0]
    return [
        f"| platforms, first import | bkctl platform import: parse, store, check; {what} | "
        f"{cell((r.get('first_ms') for r in runs), 0, ' ms')} | "
        f"{cell(rate, 0, ' shops/s')} | one coverage probe per licence |",
        f"| platforms, the same import again | nothing changes | "
        f"{cell((r.get('again_ms') for r in runs), 0, ' ms')} | | |",
        f"| platforms, check alone | bkctl platform check, every platform | "
        f"{cell((r.get('check_ms') for r in runs), 0, ' ms')} | | |",
    ]


def load_rows(rows):
    """The bk-loadgen sections (tests/bench/load.sh)."""
    out = []
    ingest = [r for k, r in rows if k == "ingest"]
    sizes = []
    for r in ingest:
        key = (int(r["boxes"]), int(r["rate"]))
        if key not in sizes:
            sizes.append(key)
    for boxes, rate in sizes:
        rs = [r for r in ingest if int(r["boxes"]) == boxes and int(r["rate"]) == rate]
        ratios = [float(r["collector"]) / float(r["plain"]) for r in rs
                  if r.get("plain") not in (None, "nan") and float(r["plain"]) > 0]
        lost = [int(r["generated"]) - int(r["acked"]) for r in rs]
        coll_us = [float(r["cpu_collector"]) * 1e6 / int(r["acked"]) for r in rs if int(r["acked"]) > 0]
        ratio = med(ratios)
        out.append(f"| ingest, {boxes} bk-loadgen boxes × {rate} msg/s (offered {boxes * rate:,}/s) | "
                   f"collector archived and acked (first generated → last acked); plain Paho "
                   f"subscriber: {cell(r.get('plain') for r in rs)} msg/s | "
                   f"{cell(r.get('collector') for r in rs)} | collector/plain {cell(ratios, 2, '×')} | "
                   f"aim ≥ 0.9: {'met' if ratio == ratio and ratio >= 0.9 else 'NOT met'}; collector "
                   f"{med(coll_us):.0f} µs CPU/msg; generation→ack p50 "
                   f"{med(r.get('p50_ms') for r in rs):.0f} ms, p99 {med(r.get('p99_ms') for r in rs):.0f} ms"
                   f"{'' if max(lost, default=0) == 0 else f'; **{max(lost)} not acked**'} |")
    lat = [r for k, r in rows if k == "latency"]
    for load in dict.fromkeys(r["load"] for r in lat):
        rs = [r for r in lat if r["load"] == load]
        what = ("idle" if load == "idle" else
                f"under load: bk-loadgen offering {int(load):,} msg/s (acked "
                f"{cell(r.get('background') for r in rs)} msg/s)")
        out.append(f"| latency, breach → regulator, {what} | 4 bk-edge boxes, a fridge crossing 8 °C "
                   f"every 4 s, rule duration 0; {med(r.get('alerts') for r in rs):.0f} alerts a run | "
                   f"p50 {cell((r.get('p50_ms') for r in rs), 0, ' ms')}; p99 "
                   f"{cell((r.get('p99_ms') for r in rs), 0, ' ms')} | | max "
                   f"{max(float(r.get('max_ms', 'nan')) for r in rs):.0f} ms |")
    for r in (r for k, r in rows if k == "conns"):
        wall = float(r["wall_s"])
        out.append(f"| connections, {int(r['boxes']):,} bk-loadgen boxes | {r['connected']} connected in "
                   f"{float(r['connect_s']):.1f} s (200 started/s); status every 30 s and a reading every "
                   f"10 s each; 60 s measured | collector CPU {100 * float(r['cpu_collector']) / wall:.1f} % of a "
                   f"core, RSS {int(r['collector_rss_kb']) / 1024:.0f} MiB; broker CPU "
                   f"{100 * float(r['cpu_broker']) / wall:.1f} %, RSS {int(r['broker_rss_kb']) / 1024:.0f} MiB | | "
                   f"1 run; {r['acked']} of {r['generated']} readings acked |")
    foot = [r for k, r in rows if k == "footprint"]
    if foot:
        cpu = [100 * float(r["cpu_s"]) / float(r["seconds"]) for r in foot]
        out.append(f"| edge footprint, bk-edge with 2 cameras (720p H.264 2 Mbit/s) and 8 sensors, "
                   f"connected | {len(foot)} one-minute windows (median, min–max) | CPU "
                   f"{cell(cpu, 1, ' %')} of a core; RSS {cell((int(r['rss_kb']) / 1024 for r in foot), 0, ' MiB')} | | "
                   f"peak RSS {max(int(r['hwm_kb']) for r in foot) / 1024:.0f} MiB |")
    drain = [r for k, r in rows if k == "drain"]
    for batch in dict.fromkeys(r["batch_ms"] for r in drain):
        rs = [r for r in drain if r["batch_ms"] == batch]
        out.append(f"| outbox drain, one hour offline (8 sensors at 1 Hz, batches of "
                   f"{int(batch) // 1000} s: {med(r.get('messages') for r in rs):,.0f} messages) | from "
                   f"reconnect to all acked, default max_rate 200 msg/s | "
                   f"{cell((r.get('seconds') for r in rs), 1, ' s')} | | "
                   f"archived {med(r.get('archived') for r in rs):,.0f} |")
    return out


def busy_pct(r):
    """Percent of the machine's CPU busy between a raw line's cpu0 and cpu1."""
    try:
        c0 = [int(x) for x in r["cpu0"].split(",")]
        c1 = [int(x) for x in r["cpu1"].split(",")]
    except (KeyError, ValueError):
        return float("nan")
    dt = c1[2] - c0[2]
    return 100 * (c1[0] - c0[0]) / dt if dt > 0 else float("nan")


def per_msg_us(r, key):
    """CPU µs of r[key] per generated message."""
    try:
        return float(r[key]) * 1e6 / int(r["generated"])
    except (KeyError, ValueError, ZeroDivisionError):
        return float("nan")


def pgingest_rows(rows):
    """The pgingest section (tests/bench/pgingest.sh): 1, 2, 3 collectors of one
    share group on one PostgreSQL archive, against a plain subscriber."""
    runs = [r for k, r in rows if k == "pgingest"]
    out = []
    counts = sorted(set(int(r["collectors"]) for r in runs))
    if not counts:
        return out
    first = [r for r in runs if int(r["collectors"]) == counts[0]]
    base_rate = med(r.get("collector") for r in first)
    base_us = (med(per_msg_us(r, "cpu_collectors") for r in first)
               + med(per_msg_us(r, "cpu_postgres") for r in first))
    for n in counts:
        rs = [r for r in runs if int(r["collectors"]) == n]
        offered = int(rs[0].get("offered", 0))
        cores = rs[0].get("cores", "?")
        ratios = [float(r["collector"]) / float(r["plain"]) for r in rs
                  if r.get("plain") not in (None, "nan") and float(r["plain"]) > 0]
        lost = [int(r["generated"]) - int(r["acked"]) for r in rs
                if r.get("generated", "").isdigit() and r.get("acked", "").isdigit()]
        rate, ratio = med(r.get("collector") for r in rs), med(ratios)
        resends, generated = med(r.get("resends") for r in rs), med(r.get("generated") for r in rs)
        p50, p99 = med(r.get("p50_ms") for r in rs), med(r.get("p99_ms") for r in rs)
        coll_us = med(per_msg_us(r, "cpu_collectors") for r in rs)
        pg_us = med(per_msg_us(r, "cpu_postgres") for r in rs)
        busy = med(busy_pct(r) for r in rs)
        plural_n = f"{n} collector{'s' if n > 1 else ''}"
        what = (f"bk-loadgen {rs[0].get('boxes')} boxes × {rs[0].get('rate')} msg/s for "
                f"{med(r.get('wall_s') for r in rs):.0f} s with connect and drain; collector: "
                f"archived and acked, first generated → last acked; plain Paho subscriber "
                f"{cell(r.get('plain') for r in rs)} msg/s, {med(r.get('plain_count') for r in rs):,.0f} "
                f"messages of {generated:,.0f} generated (resent copies count); resends "
                f"{cell(r.get('resends') for r in rs)}, archived-as-duplicate "
                f"{med(r.get('duplicates') for r in rs):,.0f}; generation→ack p50 {p50:,.0f} ms, "
                f"p99 {p99:,.0f} ms; CPU s over the run: collectors "
                f"{med(r.get('cpu_collectors') for r in rs):.1f}, PostgreSQL "
                f"{med(r.get('cpu_postgres') for r in rs):.1f}, broker "
                f"{med(r.get('cpu_broker') for r in rs):.1f}")
        cost = f"collectors {coll_us:,.0f} µs + PostgreSQL {pg_us:,.0f} µs of CPU per message generated"
        if n != counts[0] and base_rate == base_rate and base_rate > 0:
            cost += (f" ({base_us:,.0f} µs with {counts[0]}); {rate / base_rate:.2f}× the acked rate "
                     f"of {counts[0]} collector{'s' if counts[0] > 1 else ''}")
        most = (f" (and most of that CPU went on {resends / generated:.0f}× as many resent copies "
                f"as messages)" if generated == generated and generated > 0 and resends > generated else "")
        if busy >= 85:
            verdict = (f"**CPU**: {busy:.0f}% of {cores} cores busy, shared by the broker, "
                       f"bk-loadgen, {plural_n} and PostgreSQL: more collectors cannot go faster "
                       f"than the cores allow{most}; {cost}")
        elif ratio == ratio and ratio >= 0.9 and rate >= 0.9 * offered:
            verdict = (f"**the offered load**: {rate:,.0f} of {offered:,} msg/s acked, keeping pace "
                       f"({ratio:.2f}× plain, {busy:.0f}% of {cores} cores busy); more collectors only "
                       f"add CPU: {cost}")
        else:
            verdict = (f"**the archive path, not the CPU** ({busy:.0f}% of {cores} cores busy): "
                       f"{rate:,.0f} of {offered:,} msg/s acked; {cost}")
        notes = [verdict]
        if generated == generated and generated > 0 and (resends > 0.01 * generated or max(lost, default=0) > 0):
            why = []
            ack_s = med(r.get("ack_timeout_s") for r in rs)
            if p99 >= 1000 * ack_s:
                why.append(f"acks came later than bk-loadgen's {ack_s:.0f} s ack timeout")
            if n > 1:
                why.append("a collector acks only what it archived itself, so boxes resend what "
                           "the other collectors archived")
            never = max(lost, default=0)
            notes.append(f"**resends** {resends:,.0f} ({resends / generated:.1f}× the messages generated"
                         f"{f', up to {never:,} never acked' if never > 0 else ''})"
                         f"{': ' + '; '.join(why) if why else ''}; they load every process, and "
                         f"the plain rate counts them")
        out.append(f"| pgingest, {plural_n} on one PostgreSQL archive, offered {offered:,} msg/s | "
                   f"{what} | {cell(r.get('collector') for r in rs)} | collector/plain "
                   f"{cell(ratios, 2, '×')} | {'; '.join(notes)} |")
    return out


def pct(sorted_vs, q):
    """The q-quantile (0..1) of sorted values, nearest rank."""
    if not sorted_vs:
        return float("nan")
    k = max(0, min(len(sorted_vs) - 1, int(round(q * len(sorted_vs) + 0.5)) - 1))
    return sorted_vs[k]


def livelat(path):
    """One glass-to-page run (tests/bench/live.sh): the page's samples
    [now_ms, stamp_ms, margin, ahead_ms, currentTime_ms]. A sample is kept
    when every block is clearly dark or light (luma margin >= 24 of 128), the
    stamp is within 10 s of now and not older than the last one kept.
    ahead (buffered end − shown): its median is video waiting in the page,
    its 5th percentile the page's own slack. latency − ahead is the age of
    the newest frame the page has: its 5th percentile, right as a fragment
    arrives, the transit from capture to the page of a fragment's last frame."""
    import json
    doc = json.load(open(path))
    lat, ahead, bad, last = [], [], 0, 0
    for now, stamp, margin, ahd, _ in doc["samples"]:
        if margin < 24 or abs(now - stamp) > 10000 or stamp < last:
            bad += 1
            continue
        last = stamp
        lat.append(now - stamp)
        if ahd >= 0:
            ahead.append(ahd)
    # latency − ahead: the age of the newest frame in the page; lowest right
    # as a fragment arrives, where it is the transit of a fragment's last frame
    up = sorted(lat[i] - ahead[i] for i in range(min(len(lat), len(ahead))))
    lat.sort()
    ahead.sort()
    f = lambda x: "nan" if x != x else f"{x:.0f}"
    print(f"samples={len(lat)} bad={bad} p50_ms={f(pct(lat, 0.5))} p95_ms={f(pct(lat, 0.95))} "
          f"min_ms={f(lat[0] if lat else float('nan'))} max_ms={f(lat[-1] if lat else float('nan'))} "
          f"ahead_p50_ms={f(pct(ahead, 0.5))} ahead_p5_ms={f(pct(ahead, 0.05))} ahead_max_ms={f(ahead[-1] if ahead else float('nan'))} "
          f"newest_p5_ms={f(pct(up, 0.05))} seeks={doc.get('seeks')} waits={doc.get('waits')} "
          f"frames={doc.get('frames')} dropped={doc.get('dropped')}")


def live_rows(rows):
    """The live section (tests/bench/live.sh): glass-to-page latency, the
    collector's CPU per viewer, the box's transcoding."""
    out = []
    cfg = next((r for k, r in rows if k == "livecfg"), {})
    cam = (f"{cfg.get('width')}x{cfg.get('height')} {cfg.get('fps')} fps "
           f"{float(cfg.get('kbps', 0)) / 1000:g} Mbit/s H.264 (fake-camera --stamp)")
    lat = [r for k, r in rows if k == "livelat"]
    if lat:
        kept = sum(int(r.get("samples", 0)) for r in lat)
        bad = sum(int(r.get("bad", 0)) for r in lat)
        out.append(
            f"| live, glass to page | {cam} → bk-edge → MQTT/TLS → bk-collector → HTTPS → the "
            f"regulators' page in headless Chromium (Watch clicked); every 100 ms for "
            f"{cfg.get('lat_seconds')} s after {cfg.get('settle_s')} s of play: Date.now() − the "
            f"capture clock read from the picture shown; {kept} samples kept, {bad} discarded "
            f"| p50 {cell((r.get('p50_ms') for r in lat), 0, ' ms')}; p95 "
            f"{cell((r.get('p95_ms') for r in lat), 0, ' ms')} | | the box's 500 ms fragments set "
            f"it: a frame waits for its fragment to close, and the page plays every frame as late "
            f"as the first of a fragment. Transit of a fragment's last frame, capture → the "
            f"page's buffer (5th percentile of latency − (buffered end − shown)) "
            f"{cell((r.get('newest_p5_ms') for r in lat), 0, ' ms')}; the page's own slack "
            f"(5th percentile of buffered end − shown) {cell((r.get('ahead_p5_ms') for r in lat), 0, ' ms')}, "
            f"median {cell((r.get('ahead_p50_ms') for r in lat), 0, ' ms')} in its buffer; "
            f"min–max over all samples {min(float(r['min_ms']) for r in lat if r.get('min_ms') != 'nan'):.0f}–"
            f"{max(float(r['max_ms']) for r in lat if r.get('max_ms') != 'nan'):.0f} ms; the page's "
            f"seeks {sum(int(r.get('seeks', 0)) for r in lat)}, stalls "
            f"{sum(int(r.get('waits', 0)) for r in lat)}; first picture "
            f"{cell((r.get('start_s') for r in lat), 1, ' s')} after Watch |")
    cpu = [r for k, r in rows if k == "livecpu"]
    if cpu:
        def share(r, key="oncpu_collector"):
            return 100 * float(r[key]) / float(r["wall_s"])
        by = {}
        for r in cpu:
            by.setdefault(r["run"], {})[int(r["viewers"])] = r
        counts = sorted({int(r["viewers"]) for r in cpu})
        base = 1 if 1 in counts else counts[0]
        for n in counts:
            rs = [r for r in cpu if int(r["viewers"]) == n]
            notes = [f"collector utime+stime {cell((share(r, 'ticks_collector') for r in rs), 2, ' %')}; "
                     f"broker {cell((share(r, 'cpu_broker') for r in rs), 2, ' %')}, "
                     f"bk-edge {cell((share(r, 'cpu_box') for r in rs), 2, ' %')} (utime+stime; "]
            if n == 0:
                out.append(f"| live, collector CPU, no viewer | no stream (it runs only while someone "
                           f"watches): the collector archiving the same box's status and 2 simulated "
                           f"sensors (5 messages/s); schedstat over {cfg.get('window_s')} s, % of one "
                           f"core | {cell((share(r) for r in rs), 2, ' %')} | | "
                           f"{notes[0]}bk-edge recording the camera) |")
                continue
            per_viewer = [8 * float(r["bytes"]) / n / float(r["wall_s"]) / 1000 for r in rs]
            what = (f"{n} curl viewer{'s' if n > 1 else ''} of one stream ({cam}), HTTPS; "
                    f"collector CPU (its threads' schedstat) over {cfg.get('window_s')} s, % of "
                    f"one core; kbit/s per viewer {cell(per_viewer, 0)}")
            notes[0] += "bk-edge: one stream, and recording the camera)"
            inc = []
            if n == base and 0 in counts:
                over = [share(v[n]) - share(v[0]) for v in by.values() if n in v and 0 in v]
                notes.append(f"the stream and its first viewer over no viewer: {cell(over, 2, ' %')} "
                             f"(MQTT/TLS in, fMP4 boxes, the key cache, HTTPS out)")
            if n != base:
                inc = [(share(v[n]) - share(v[base])) / (n - base) for v in by.values()
                       if n in v and base in v]

                def rate(r, key):
                    return float(r[key]) / float(r["wall_s"])
                us = [1e12 * (rate(v[n], "oncpu_collector") - rate(v[base], "oncpu_collector")) /
                      (rate(v[n], "bytes") - rate(v[base], "bytes"))
                      for v in by.values() if n in v and base in v and
                      rate(v[n], "bytes") > rate(v[base], "bytes")]
                notes.append(f"{cell(us, 0, ' µs')} of collector CPU per MB relayed to the "
                             f"extra viewers")
            out.append(f"| live, collector CPU, {n} viewer{'s' if n > 1 else ''} | {what} | "
                       f"{cell((share(r) for r in rs), 2, ' %')} | "
                       f"{'per viewer beyond ' + str(base) + ': ' + cell(inc, 3, ' %') if inc else ''} | "
                       f"{'; '.join(notes)} |")
    tr = [r for k, r in rows if k == "livetranscode"]
    if tr:
        r0 = tr[0]
        out.append(f"| live on the box, passed through | bench_live (edge/live.c in-process): "
                   f"fake-camera H.264 {r0.get('camera')} 15 fps 2 Mbit/s to fragmented MP4, "
                   f"{r0.get('pass_seconds')} s; CPU % of one core | "
                   f"{cell((100 * float(r['pass_cpu_per_s']) for r in tr), 2, ' %')} | 1 (reference) | "
                   f"{cell((r.get('pass_kbit_s') for r in tr), 0, ' kbit/s')} out |")
        out.append(f"| live on the box, H.265 transcoded | the same camera in H.265, decoded, scaled "
                   f"to {r0.get('transcode_width')} px wide, x264 ultrafast zerolatency 500 kbit/s | "
                   f"{cell((100 * float(r['trans_cpu_per_s']) for r in tr), 2, ' %')} | "
                   f"transcode/passthrough {cell((r.get('ratio') for r in tr), 1, '×')} | "
                   f"{cell((r.get('trans_kbit_s') for r in tr), 0, ' kbit/s')} out; the camera's "
                   f"own encoder not counted |")
    return out


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def details(path):
    """Per box count, the medians behind the bottleneck column."""
    rows = read_raw(path)
    e2e_rows = [r for k, r in rows if k == "e2e"]
    out = []
    sizes = []
    for r in e2e_rows:
        key = (int(r["boxes"]), int(r["per_box"]))
        if key not in sizes:
            sizes.append(key)
    for boxes, per_box in sizes:
        runs = [r for r in e2e_rows if int(r["boxes"]) == boxes and int(r["per_box"]) == per_box]
        total = boxes * per_box
        us = {k: med(float(r.get(f"cpu_{k}", "nan")) * 1e6 / total for r in runs)
              for k in ("boxes", "broker", "collector", "sub")}
        dups = med(r.get("duplicates") for r in runs)
        out.append(
            f"- {boxes} box{'es' if boxes > 1 else ''} × {per_box:,} ({plural(len(runs), 'run')}): "
            f"CPU per message: box {us['boxes']:.0f} µs, broker {us['broker']:.0f} µs, "
            f"collector {us['collector']:.0f} µs, plain subscriber {us['sub']:.0f} µs; "
            f"machine {med(r.get('busy_pct') for r in runs):.0f}% busy "
            f"({med(r.get('other_pct') for r in runs):.0f}% outside the bench's processes: "
            f"other work, kernel threads), "
            f"{med(r.get('iowait_pct') for r in runs):.0f}% iowait; "
            f"boxes started within {med(r.get('start_spread_s') for r in runs):.2f} s; "
            f"duplicates at the collector {dups:,.0f} ({100 * dups / total:.1f}%); "
            f"resends {med(r.get('resends') for r in runs):,.0f}; "
            f"last archive to all acked {1000 * med(r.get('last_archived_to_acked_s') for r in runs):.0f} ms; "
            f"run {med(r.get('wall_s') for r in runs):.1f} s")
    outbox = [r for k, r in rows if k == "outbox"]
    others = [other_pct(r.get("cpu0"), r.get("cpu1"), float(r.get("cpu", "nan")))
              for r in outbox] + [r.get("other_pct") for r in e2e_rows]
    busy_elsewhere = med(others)
    if busy_elsewhere >= 20:
        out.insert(0, f"- **The machine was not quiet**: processes outside the bench used "
                      f"{busy_elsewhere:.0f}% of its CPU (median over the runs); every rate "
                      f"here is lower, and its spread wider, than on an idle machine")
    out.extend(video_details(rows))
    for mode in ("full", "normal"):
        rs = [r for r in outbox if r.get("sync") == mode]
        if rs:
            others = [other_pct(r.get("cpu0"), r.get("cpu1"), float(r.get("cpu", "nan")))
                      for r in rs]
            out.append(f"- outbox {mode.upper()} ({plural(len(rs), 'run')}): "
                       f"{med(r.get('n') for r in rs):,.0f} puts in "
                       f"{med(r.get('seconds') for r in rs):.2f} s, the bench itself "
                       f"{med(r.get('cpu') for r in rs):.2f} CPU s; processes outside the "
                       f"bench used {med(others):.0f}% of the CPU meanwhile")
    return "\n".join(out)


def video_details(rows):
    """Per video phase: the machine meanwhile, the fake cameras' own cost,
    what was recorded, the memory in other measures."""
    out = []
    bare, daemon = video_phases(rows)
    for name, runs in (("bare gst-launch", bare), ("bk-edge", daemon)):
        rs = list(runs.values())
        if not rs:
            continue
        others = [other_pct(r.get("cpu0"), r.get("cpu1"),
                            float(r.get("cpu", "nan")) + float(r.get("cam_cpu", "nan")))
                  for r in rs]
        busy = []
        for r in rs:
            try:
                c0 = [int(x) for x in r["cpu0"].split(",")]
                c1 = [int(x) for x in r["cpu1"].split(",")]
                busy.append(100 * (c1[0] - c0[0]) / (c1[2] - c0[2]))
            except (KeyError, ValueError, ZeroDivisionError):
                pass
        quiet = " — **not quiet**: every figure is less clean" if med(others) >= 20 else ""
        out.append(
            f"- video, {name} ({plural(len(rs), 'run')}): recorded "
            f"{med(8 * float(r.get('bytes', 'nan')) / float(r['wall_s']) / 1e6 for r in rs):.2f} "
            f"Mbit/s in all; the fake cameras' own CPU (not counted) "
            f"{med(100 * float(r.get('cam_cpu', 'nan')) / float(r['wall_s']) for r in rs):.1f} % "
            f"of a core; memory VmRSS {med(mib(r.get('rss_kb')) for r in rs):.1f} MiB, VmHWM "
            f"{med(mib(r.get('hwm_kb')) for r in rs):.1f} MiB, Pss "
            f"{med(mib(r.get('pss_kb')) for r in rs):.1f} MiB ({rs[0].get('procs', '?')} "
            f"process{'es' if rs[0].get('procs') != '1' else ''}; Pss splits shared pages, the "
            f"GStreamer libraries included, with every process mapping them, the fake "
            f"cameras too); machine {med(busy):.0f}% busy, {med(others):.0f}% outside the "
            f"bench's processes and the cameras{quiet}")
    return out


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "wait-acked" and len(argv) == 6:
        return wait_acked(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    if cmd == "ticks":
        ticks(argv[2:])
        return 0
    if cmd == "tree" and len(argv) == 3:
        tree(argv[2])
        return 0
    if cmd == "oncpu":
        oncpu(argv[2:])
        return 0
    if cmd == "proc":
        proc(argv[2:])
        return 0
    if cmd == "busy" and len(argv) == 3:
        busy(float(argv[2]))
        return 0
    if cmd == "cpustat":
        cpustat()
        return 0
    if cmd == "e2e":
        e2e(argv[2:])
        return 0
    if cmd == "livelat" and len(argv) == 3:
        livelat(argv[2])
        return 0
    if cmd == "details" and len(argv) == 3:
        print(details(argv[2]))
        return 0
    if cmd == "report" and len(argv) == 3:
        table, _, _ = report(argv[2])
        print(table)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
