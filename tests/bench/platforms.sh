# tests/bench/platforms.sh — the delivery-platforms section of `make bench`
# (bash, sourced by tests/bench/run.sh after stats.sh: T, RAW, RUNS, BUILD,
# BK_BIN, BK_PY, note, quiet_wait, stats_archive). Measures, asserts nothing.
#
# On a copy of the statistics section's synthetic year (1,000
# establishments with their boxes, cameras and a year of recorded video, so
# that every coverage probe reads real rollups), each establishment gets an
# address and a scope; two platforms list its shops: meituan one per
# establishment, eleme one for 60 % of them, with the faults a county sees
# (2 % no licence, 3 % a second page on the same licence and address, 5 %
# another pickup address, 1 % an unknown licence, dishes outside the scope).
# Then, RUNS times on a fresh copy, the wall time of:
#   first   bkctl platform import of both exports (parse, store, check)
#   again   the same import again (nothing changes)
#   check   bkctl platform check (every platform's checks, no import)
# Raw lines: platforms (one per run).

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

bench_platforms() {
	local db run t0 t1 t2 t3 findings shops
	[ -n "${STATS_DB:-}" ] || stats_archive || return 1
	# a writable open brings the copy to the current schema (scope column)
	cp "$STATS_DB" "$T/pf-base.db" &&
		"$BK_BIN/bkctl" --db "$T/pf-base.db" platform check >/dev/null || {
		note "platforms: bkctl cannot open the synthetic archive"
		return 1
	}
	"$BK_PY" - "$T/pf-base.db" "$T/meituan.csv" "$T/eleme.csv" <<'PY' || {
import random, sqlite3, sys
dst, meituan, eleme = sys.argv[1:4]
rng = random.Random(7)
con = sqlite3.connect(dst)
licences = [r[0] for r in con.execute("SELECT licence FROM establishments ORDER BY licence")]
with con:
    for i, lic in enumerate(licences):
        con.execute("UPDATE establishments SET address = ?, scope = 'hot' WHERE licence = ?",
                    (f"浙江省杭州市西湖区文三路{i + 1}号", lic))
con.close()
dishes_hot = ["宫保鸡丁盖饭", "牛肉面", "蛋炒饭", "红烧肉", "馄饨", "麻辣烫"]
dishes_other = ["凉拌黄瓜", "三文鱼刺身", "珍珠奶茶", "蛋糕"]
def shops(name, share):
    rows = []
    for i, lic in enumerate(licences):
        if rng.random() >= share:
            continue
        address = f"杭州市西湖区文三路{i + 1}号"
        shown = lic
        r = rng.random()
        if r < 0.02:
            shown = ""
        elif r < 0.03:
            shown = f"JY9{i:013d}"
        elif r < 0.08:
            address = f"西湖区教工路{i + 1}号"
        dishes = rng.sample(dishes_hot, 3)
        if rng.random() < 0.1:
            dishes.append(rng.choice(dishes_other))
        rows.append((f"{name}-{i}", f"店{i}", shown, address, ";".join(dishes)))
        if rng.random() < 0.03:
            rows.append((f"{name}-{i}b", f"店{i}分店", shown, address, "蛋炒饭"))
    return rows
for path, name, share in ((meituan, "meituan", 1.0), (eleme, "eleme", 0.6)):
    with open(path, "w") as f:
        f.write("platform,shop_id,shop_name,licence,pickup_address,dishes,status\n")
        for sid, sname, lic, addr, dishes in shops(name, share):
            f.write(f"{name},{sid},{sname},{lic},{addr},{dishes},open\n")
PY
		note "platforms: cannot make the listings"
		return 1
	}
	shops=$(($(wc -l <"$T/meituan.csv") + $(wc -l <"$T/eleme.csv") - 2))
	quiet_wait "platform imports"
	for run in $(seq "$RUNS"); do
		db=$T/pf-$run.db
		cp "$T/pf-base.db" "$db"
		t0=$(date +%s.%N)
		"$BK_BIN/bkctl" --db "$db" platform import "$T/meituan.csv" "$T/eleme.csv" \
			>/dev/null || { note "platforms: import failed"; return 1; }
		t1=$(date +%s.%N)
		"$BK_BIN/bkctl" --db "$db" platform import "$T/meituan.csv" "$T/eleme.csv" >/dev/null
		t2=$(date +%s.%N)
		"$BK_BIN/bkctl" --db "$db" platform check >/dev/null
		t3=$(date +%s.%N)
		findings=$("$BK_BIN/bkctl" --db "$db" platform findings --limit 100000 --json |
			"$BK_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
		echo "platforms run=$run shops=$shops findings=$findings" \
			"first_ms=$(ms_between "$t0" "$t1")" "again_ms=$(ms_between "$t1" "$t2")" \
			"check_ms=$(ms_between "$t2" "$t3")" >>"$RAW"
		rm -f "$db"*
	done
	echo "# platforms: $RUNS runs, $shops shops" >&2
}
