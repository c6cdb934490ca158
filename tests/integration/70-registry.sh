#!/bin/bash
# The registry through the real bkctl: CSV import (UTF-8, Chinese text) of
# every kind from tests/fixtures/registry/, export and list; bad files are
# refused with FILE:LINE:COLUMN: reason for every problem and store nothing;
# a GB18030 file is refused with an iconv hint; re-importing changes
# nothing; SQL in text fields is stored literally. No broker needed.
source "$(dirname "$0")/../lib/common.sh"
source "$BK_ROOT/tests/lib/daemons.sh"
bk_tmpdir

F=$BK_ROOT/tests/fixtures/registry
DB=$T/archive.db
bkctl() { "$BK_BIN/bkctl" --db "$DB" "$@"; }
count() { bk_sql "$DB" "SELECT count(*) FROM $1"; }

# --- good files, in the order references need -------------------------------
for kind in establishments boxes cameras sensors inspectors regulators; do
	ok "import $kind.csv" bkctl registry import "$kind" "$F/$kind.csv"
done
is "6 establishments stored" "$(count establishments)" 6
is "3 boxes, 4 cameras, 3 sensors" "$(count registry_boxes) $(count registry_cameras) $(count registry_sensors)" "3 4 3"
is "Chinese category names are mapped to codes" \
	"$(bk_sql "$DB" "SELECT category FROM establishments WHERE licence = '浙餐证字2015330102000123'")" small_eatery
is "quoted text with commas and \"\" is stored as written" \
	"$(bk_sql "$DB" "SELECT name || '|' || address FROM establishments WHERE licence IN ('JY13301030000034', 'JY13301020000011') ORDER BY licence")" \
	"城关第一小学食堂|城关镇学府路 1 号, 教学楼北侧
颐康养老院 \"夕阳红\" 食堂|东山乡敬老路 3 号"
is "a regulator's districts are normalised (，→ space)" \
	"$(bk_sql "$DB" "SELECT districts FROM regulators WHERE id = 'reg-chengguan'")" "330102 330103"

# --- re-importing changes nothing ---------------------------------------------
before=$(bk_sql "$DB" "SELECT group_concat(updated) FROM establishments")
sleep 0.01
out=$(bkctl registry import establishments "$F/establishments.csv")
is "re-import reports nothing changed" "$out" "$F/establishments.csv: 0 establishments added or changed"
is "... and no row's updated moved" "$(bk_sql "$DB" "SELECT group_concat(updated) FROM establishments")" "$before"

# --- export: the same columns, imports again unchanged -------------------------
bkctl registry export establishments >"$T/export.csv"
ok "export exits 0" test -s "$T/export.csv"
is "export header" "$(head -n 1 "$T/export.csv")" \
	"licence,name,category,district,address,floor_area,meals_per_day,business_hours,licence_expires,scope"
ok "export quotes fields with commas and quotes" grep -qF '"颐康养老院 ""夕阳红"" 食堂",care_home' "$T/export.csv"
out=$(bkctl registry import establishments - <"$T/export.csv")
is "the export re-imported from stdin changes nothing" "$out" "-: 0 establishments added or changed"
bkctl registry export cameras >"$T/cameras.csv"
ok "cameras export equals the fixture (already canonical)" diff "$F/cameras.csv" "$T/cameras.csv"

# --- list ---------------------------------------------------------------------
ok "list boxes prints a table with the establishment and camera count" \
	bash -c "'$BK_BIN/bkctl' --db '$DB' registry list boxes | grep -E '^box-school-1 +JY13301020000011 +城关第一小学食堂 +2026-11-02 +never seen +- +2 +2 '"
n=$(bkctl registry list establishments --json | "$BK_PY" -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[0]["meals_per_day"])')
is "list --json: 6 rows, numbers as numbers" "$n" "6 1500"

# --- a bad file: every problem with FILE:LINE:COLUMN, nothing stored ------------
bkctl registry import establishments "$F/establishments-bad.csv" >"$T/out" 2>"$T/err"
rc=$?
is "a bad file exits 1" "$rc" 1
bad=$F/establishments-bad.csv
ok "licence format named with line and column" grep -qF "$bad:3:licence: 'JY1330102' is not a food business licence number: JY and 14 digits" "$T/err"
ok "unknown category" grep -qF "$bad:4:category: '快餐店' is not a category" "$T/err"
ok "district" grep -qF "$bad:4:district: '33010' is not a district code: 6 digits" "$T/err"
ok "negative number" grep -qF "$bad:4:floor_area: '-5' is not a number" "$T/err"
ok "business hours" grep -qF "$bad:4:business_hours: '10:00-25:00' is not HH:MM-HH:MM" "$T/err"
ok "impossible date" grep -qF "$bad:4:licence_expires: '2026-13-01' is not a date YYYY-MM-DD" "$T/err"
ok "duplicate licence, both lines named" grep -qF "$bad:5:licence: licence 'JY13301020000066' appears twice, on lines 2 and 5" "$T/err"
ok "wrong column count" grep -qF "$bad:6:licence_expires: 8 fields, the header has 9" "$T/err"
ok "a summary line" grep -qF "bkctl: '$bad' refused (10 problems): nothing imported" "$T/err"
is "nothing on stdout" "$(cat "$T/out")" ""
is "the good row of the bad file was not stored" \
	"$(bk_sql "$DB" "SELECT count(*) FROM establishments WHERE licence = 'JY13301020000066'")" 0
is "no establishment changed" "$(bk_sql "$DB" "SELECT group_concat(updated) FROM establishments")" "$before"

bkctl registry import boxes "$F/boxes-bad.csv" 2>"$T/err"
is "a box of an unknown establishment is refused" "$?" 1
ok "... naming the licence" grep -qF "$F/boxes-bad.csv:2:licence: no establishment with licence 'JY99999999999999'" "$T/err"
is "... and not stored" "$(count registry_boxes)" 3

# --- encodings ------------------------------------------------------------------
iconv -f UTF-8 -t GB18030 "$F/inspectors.csv" >"$T/inspectors-gb.csv"
bkctl registry import inspectors "$T/inspectors-gb.csv" 2>"$T/err"
is "a GB18030 file is refused" "$?" 1
ok "... with the iconv hint" grep -qF "$T/inspectors-gb.csv:2:name: not UTF-8 (it reads as GBK/GB18030): convert it, e.g. iconv -f GB18030 -t UTF-8" "$T/err"
iconv -f UTF-8 -t UTF-16 "$F/inspectors.csv" >"$T/inspectors-16.csv"
bkctl registry import inspectors "$T/inspectors-16.csv" 2>"$T/err"
is "a UTF-16 file is refused" "$?" 1
ok "... saying so" grep -qF "$T/inspectors-16.csv:1:1: UTF-16 text: save it as UTF-8" "$T/err"
# CRLF line ends and a BOM (Excel's "CSV UTF-8") are fine
printf '\xEF\xBB\xBFid,name,district,phone\r\nhh-wang,王芳,330102,\r\n' >"$T/excel.csv"
ok "CRLF and a BOM are accepted" bkctl registry import inspectors "$T/excel.csv"
is "3 inspectors now" "$(count inspectors)" 3

# --- SQL in text is only text -----------------------------------------------------
ok "a row with SQL in its text imports" bkctl registry import establishments "$F/sql-injection.csv"
is "the SQL is stored literally" \
	"$(bk_sql "$DB" "SELECT name || '|' || address FROM establishments WHERE licence = 'JY13301020000099'")" \
	"Robert'); DROP TABLE establishments;--|1' OR '1'='1"
is "the table is still there" "$(count establishments)" 7

# --- usage ------------------------------------------------------------------------
bkctl registry import shops "$F/boxes.csv" 2>/dev/null
is "an unknown kind is a usage error" "$?" 2
bkctl registry import establishments 2>/dev/null
is "a missing file argument is a usage error" "$?" 2
bkctl registry import establishments "$T/nonexistent.csv" 2>"$T/err"
is "an unreadable file exits 1" "$?" 1
ok "... saying why" grep -qF "bkctl: cannot read '$T/nonexistent.csv'" "$T/err"

# --- a new archive opened by several at once ---------------------------------------
# Each migration step runs under the write lock with the version read again
# there: two processes creating the archive together (the demo's bkctl and its
# collector) must not both run a step ("duplicate column name").
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$BK_BIN/bkctl" --db "$T/fresh.db" registry import establishments "$F/establishments.csv" \
		>/dev/null 2>"$T/fresh-$i.err" &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
is "eight imports at once into a new archive all succeed" "$failed" 0
ok "... none saw a migration twice" bash -c "! cat '$T'/fresh-*.err | grep -q ."
is "... and the establishments are there once" "$(bk_sql "$T/fresh.db" "SELECT count(*) FROM establishments")" 6
bk_done
