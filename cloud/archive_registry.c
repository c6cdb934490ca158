/*
 * archive_registry.c — the registry: establishments, the boxes bound to
 * them, their cameras and sensors, inspectors and regulators (see
 * archive.h, "Registry", and README.md, "Registry", for the CSV columns).
 *
 * An import is all or nothing: every row of the file is read and checked
 * (fields, duplicate keys inside the file, references to rows already
 * stored) inside one write transaction before anything is written, and
 * one problem anywhere rolls everything back. Rows are upserted with bound
 * parameters only; a row's `updated` moves only when one of its values
 * changes, so importing the same file twice changes nothing. Nothing is
 * ever deleted by an import. Costs: the whole file is held in memory once
 * more, checked; one indexed look-up per reference, one upsert per row.
 */
#include "archive_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "csv.h"
#include "envelope.h"
#include "jcheck.h"
#include "message.h"
#include "scope.h"

/* Categories (DOMAIN.md): school_canteen, kindergarten, care_home,
 * central_kitchen, group_meal (group-meal supplier), restaurant,
 * small_eatery. Business hours are local time (Asia/Shanghai, UTC+8, no
 * DST), "HH:MM-HH:MM[,…]" as in the box's camera schedule; an interval may
 * run past midnight. Dates are YYYY-MM-DD; `updated` is a UTC timestamp.
 * A camera may carry its GB/T 28181 id (20 digits). A regulator's
 * districts are 6-digit codes separated by one space, '' for the whole
 * county. */
const char archive_registry_schema[] =
    "CREATE TABLE establishments(licence TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " category TEXT NOT NULL CHECK (category IN ('school_canteen', 'kindergarten',"
    " 'care_home', 'central_kitchen', 'group_meal', 'restaurant', 'small_eatery')),"
    " district TEXT NOT NULL CHECK (length(district) = 6 AND district NOT GLOB '*[^0-9]*'),"
    " address TEXT NOT NULL, floor_area REAL, meals_per_day INTEGER,"
    " business_hours TEXT NOT NULL DEFAULT '06:00-20:00', licence_expires TEXT,"
    " updated TEXT NOT NULL);"
    "CREATE INDEX establishments_by_district ON establishments(district, category);"
    "CREATE TABLE registry_boxes(box TEXT PRIMARY KEY, licence TEXT NOT NULL"
    " REFERENCES establishments(licence), provisioned TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE INDEX registry_boxes_by_licence ON registry_boxes(licence);"
    "CREATE TABLE registry_cameras(box TEXT NOT NULL, camera TEXT NOT NULL, zone TEXT,"
    " gb28181_id TEXT, updated TEXT NOT NULL, PRIMARY KEY(box, camera)) WITHOUT ROWID;"
    "CREATE TABLE registry_sensors(box TEXT NOT NULL, sensor TEXT NOT NULL, kind TEXT NOT NULL,"
    " zone TEXT, updated TEXT NOT NULL, PRIMARY KEY(box, sensor)) WITHOUT ROWID;"
    "CREATE TABLE inspectors(id TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL,"
    " phone TEXT, updated TEXT NOT NULL);"
    "CREATE TABLE regulators(id TEXT PRIMARY KEY, name TEXT NOT NULL, districts TEXT NOT NULL"
    " DEFAULT '', updated TEXT NOT NULL);";

const char *const registry_kind_names[] = {
	[REGISTRY_ESTABLISHMENTS] = "establishments",
	[REGISTRY_BOXES] = "boxes",
	[REGISTRY_CAMERAS] = "cameras",
	[REGISTRY_SENSORS] = "sensors",
	[REGISTRY_INSPECTORS] = "inspectors",
	[REGISTRY_REGULATORS] = "regulators",
	[REGISTRY_KINDS] = NULL,
};

/* Problems reported per import before checking stops. */
#define MAX_PROBLEMS 50
/* Bytes of a reason shown (they quote the values, which may be long). */
#define MAX_REASON 400

/* --- checking one field --------------------------------------------------
 * A check gets the field's text (valid UTF-8, no NUL) and returns the value
 * to store (g_malloc'd, possibly normalised) or NULL with the reason in why. */
typedef char *(*check_fn)(const char *text, GString *why);

/* Printable text of at most max bytes: no control characters (C0, DEL,
 * C1); anything else, SQL or odd Unicode included, is stored as written. */
static char *text_max(const char *text, size_t max, GString *why)
{
	size_t n = strlen(text);

	if (n > max) {
		g_string_printf(why, "longer than %zu bytes (%zu)", max, n);
		return NULL;
	}
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0)) {
			g_string_printf(why, "a control character (U+%04X): write it on one line",
					(unsigned)ch);
			return NULL;
		}
	}
	return g_strdup(text);
}

static char *check_name(const char *text, GString *why)
{
	/* struct establishment_ref's name holds 255 bytes: 85 Chinese characters */
	return text_max(text, 255, why);
}

static char *check_address(const char *text, GString *why)
{
	return text_max(text, 512, why);
}

static char *check_zone(const char *text, GString *why)
{
	return text_max(text, 64, why);
}

/* A licence number: 食品经营许可证 numbers are JY + 14 digits, and anything
 * starting "JY" and a digit must be one; older licences (餐饮服务许可证, with
 * Chinese characters), 小餐饮 registrations and 18-character unified
 * social credit codes are accepted as they are: printable, no spaces, at
 * most 63 bytes (struct establishment_ref). */
static char *check_licence(const char *text, GString *why)
{
	size_t n = strlen(text);

	if (n > 63) {
		g_string_printf(why, "licence number longer than 63 bytes (%zu)", n);
		return NULL;
	}
	if (text[0] == 'J' && text[1] == 'Y' && g_ascii_isdigit(text[2]) &&
	    (n != 16 || strspn(text + 2, "0123456789") != 14)) {
		g_string_printf(why, "'%s' is not a food business licence number: JY and 14 digits",
				text);
		return NULL;
	}
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (!g_unichar_isgraph(ch)) {
			g_string_printf(why,
					"a space or control character (U+%04X) in the licence "
					"number",
					(unsigned)ch);
			return NULL;
		}
	}
	return g_strdup(text);
}

static const char *const categories[][2] = {
	{ "school_canteen", "学校食堂" },     { "kindergarten", "幼儿园" },
	{ "care_home", "养老机构" },	      { "central_kitchen", "中央厨房" },
	{ "group_meal", "集体用餐配送单位" }, { "restaurant", "餐馆" },
	{ "small_eatery", "小餐饮" },
};

static char *check_category(const char *text, GString *why)
{
	for (size_t i = 0; i < G_N_ELEMENTS(categories); i++) {
		if (!strcmp(text, categories[i][0]) || !strcmp(text, categories[i][1]))
			return g_strdup(categories[i][0]);
	}
	g_string_printf(why,
			"'%s' is not a category: school_canteen (学校食堂), kindergarten "
			"(幼儿园), care_home (养老机构), central_kitchen (中央厨房), group_meal "
			"(集体用餐配送单位), restaurant (餐馆) or small_eatery (小餐饮)",
			text);
	return NULL;
}

/* The licensed scope (经营项目): scope.h's items, by id or Chinese name. */
static char *check_scope(const char *text, GString *why)
{
	return scope_parse(text, why);
}

static bool is_district(const char *text)
{
	return strlen(text) == 6 && strspn(text, "0123456789") == 6;
}

static char *check_district(const char *text, GString *why)
{
	if (is_district(text))
		return g_strdup(text);
	g_string_printf(why, "'%s' is not a district code: 6 digits (GB/T 2260)", text);
	return NULL;
}

/* 6-digit codes separated by spaces, commas or semicolons (ASCII or
 * Chinese: ，；、), stored sorted, once each, separated by one space. */
static int compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *check_districts(const char *text, GString *why)
{
	GPtrArray *codes = g_ptr_array_new_with_free_func(g_free);
	GString *code = g_string_new("");
	GString *out = NULL;

	for (const char *p = text;; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch && !strchr(" ,;", (int)ch) && ch != 0xFF0C && ch != 0xFF1B && ch != 0x3001) {
			g_string_append_unichar(code, ch);
			continue;
		}
		if (code->len) {
			if (!is_district(code->str)) {
				g_string_printf(
				    why,
				    "'%s' is not a district code: 6 digits (GB/T 2260), "
				    "separated by spaces",
				    code->str);
				goto out;
			}
			g_ptr_array_add(codes, g_strdup(code->str));
			g_string_truncate(code, 0);
		}
		if (!ch)
			break;
	}
	g_ptr_array_sort(codes, compare_str);
	out = g_string_new("");
	for (guint i = 0; i < codes->len; i++) {
		const char *c = g_ptr_array_index(codes, i);

		if (i == 0 || strcmp(c, g_ptr_array_index(codes, i - 1)) != 0)
			g_string_append_printf(out, "%s%s", out->len ? " " : "", c);
	}
out:
	g_string_free(code, TRUE);
	g_ptr_array_free(codes, TRUE);
	return out ? g_string_free(out, FALSE) : NULL;
}

static int parse_minute(const char *s, size_t n)
{
	int h, m;

	if (n != 5 || !g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]) || s[2] != ':' ||
	    !g_ascii_isdigit(s[3]) || !g_ascii_isdigit(s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* HH:MM-HH:MM[,HH:MM-HH:MM…], as a camera's schedule (edge_config.c): at
 * most 8 non-empty intervals; one may run past midnight (22:00-02:00).
 * Spaces around the commas are dropped. Empty: the table's default. */
static char *check_hours(const char *text, GString *why)
{
	char **parts = g_strsplit(text, ",", -1);
	GString *out = g_string_new("");
	int n = 0;

	for (char **p = parts; *p; p++, n++) {
		char *iv = g_strstrip(*p);
		const char *dash = strchr(iv, '-');
		int from = dash ? parse_minute(iv, (size_t)(dash - iv)) : -1;
		int to = dash ? parse_minute(dash + 1, strlen(dash + 1)) : -1;

		if (from < 0 || to < 0 || from == to || from == 24 * 60) {
			g_string_printf(why,
					"'%s' is not HH:MM-HH:MM (a non-empty interval of the "
					"day, e.g. 06:00-09:30,10:30-13:00)",
					iv);
			goto out_fail;
		}
		if (n == 8) {
			g_string_printf(why, "more than 8 intervals");
			goto out_fail;
		}
		g_string_append_printf(out, "%s%s", n ? "," : "", iv);
	}
	g_strfreev(parts);
	return g_string_free(out, FALSE);

out_fail:
	g_strfreev(parts);
	g_string_free(out, TRUE);
	return NULL;
}

static char *check_date(const char *text, GString *why)
{
	unsigned y, m, d;
	char end;

	if (strlen(text) == 10 && text[4] == '-' && text[7] == '-' &&
	    strspn(text, "0123456789-") == 10 &&
	    sscanf(text, "%4u-%2u-%2u%c", &y, &m, &d, &end) == 3 && y >= 1900 &&
	    g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return g_strdup(text);
	g_string_printf(why, "'%s' is not a date YYYY-MM-DD", text);
	return NULL;
}

/* A non-negative decimal number up to 10^7, no sign or exponent; a real
 * one with at most 2 decimals, so that export writes it back as given. */
static char *check_number(const char *text, bool integer, GString *why)
{
	size_t digits = strspn(text, "0123456789");
	size_t frac = text[digits] == '.' ? strspn(text + digits + 1, "0123456789") : 0;
	bool ok = digits > 0 && digits <= 8 &&
		  (text[digits] == '\0' || (!integer && text[digits] == '.' && frac > 0 &&
					    frac <= 2 && text[digits + 1 + frac] == '\0'));

	if (ok && g_ascii_strtod(text, NULL) <= 1e7)
		return g_strdup(text);
	g_string_printf(why, "'%s' is not %s from 0 to 10000000", text,
			integer ? "a whole number"
				: "a number (like 120 or 85.5, 2 decimals at most)");
	return NULL;
}

static char *check_area(const char *text, GString *why)
{
	return check_number(text, false, why);
}

static char *check_count(const char *text, GString *why)
{
	return check_number(text, true, why);
}

static char *check_party(const char *text, enum party party, const char *what, GString *why)
{
	if (envelope_party(text) == party)
		return g_strdup(text);
	g_string_printf(why, "'%s' is not %s", text, what);
	return NULL;
}

static char *check_box(const char *text, GString *why)
{
	return check_party(text, PARTY_BOX,
			   "a box id: box- and up to 63 letters, digits, '.', '_' or '-'", why);
}

static char *check_inspector(const char *text, GString *why)
{
	return check_party(text, PARTY_HANDHELD,
			   "an inspector id: hh- and up to 63 letters, digits, '.', '_' or '-'",
			   why);
}

static char *check_regulator(const char *text, GString *why)
{
	return check_party(text, PARTY_REGULATOR,
			   "a regulator id: reg- and up to 63 letters, digits, '.', '_' or '-'",
			   why);
}

/* A camera or sensor id, as in the box's configuration. */
static char *check_ident(const char *text, GString *why)
{
	if (jc_is_ident(text, NULL, 63))
		return g_strdup(text);
	g_string_printf(why,
			"'%s' is not an id: a letter or digit, then up to 62 letters, digits, '.', "
			"'_' or '-'",
			text);
	return NULL;
}

static char *check_gb28181(const char *text, GString *why)
{
	if (strlen(text) == 20 && strspn(text, "0123456789") == 20)
		return g_strdup(text);
	g_string_printf(why, "'%s' is not a GB/T 28181 device id: 20 digits", text);
	return NULL;
}

static char *check_sensor_kind(const char *text, GString *why)
{
	GString *list = g_string_new("");

	for (int i = 0; message_sensor_kinds[i]; i++) {
		/* video_recorded is the boxes' coverage reading, not a device */
		if (!strcmp(message_sensor_kinds[i], "video_recorded"))
			continue;
		if (!strcmp(text, message_sensor_kinds[i])) {
			g_string_free(list, TRUE);
			return g_strdup(text);
		}
		g_string_append_printf(list, "%s%s", list->len ? ", " : "",
				       message_sensor_kinds[i]);
	}
	g_string_printf(why, "'%s' is not a sensor kind: %s", text, list->str);
	g_string_free(list, TRUE);
	return NULL;
}

static char *check_phone(const char *text, GString *why)
{
	size_t n = strlen(text);

	if (n <= 32 && strspn(text, "0123456789+- ") == n && strspn(text, "+- ") < n)
		return g_strdup(text);
	g_string_printf(why, "'%s' is not a phone number: digits, '+', '-' and spaces", text);
	return NULL;
}

/* --- the kinds ------------------------------------------------------------ */

enum ctype { C_TEXT, C_INT, C_REAL };

struct column {
	const char *name;
	check_fn check;
	bool optional;	  /* may be empty */
	const char *dflt; /* stored when empty (NULL: SQL NULL) */
	enum ctype type;
	bool omissible; /* may be left out of the header (a column added later):
			 * then the stored value stays as it was */
};

#define MAX_COLS 10

struct kind {
	const char *table;
	int nkeys; /* the first nkeys columns are the key */
	int ncols;
	struct column cols[MAX_COLS];
	/* a column that must name a row already stored, and that row's table/column */
	int ref_col; /* -1: none */
	const char *ref_sql, *ref_what;
	const char *list_sql;
};

static const struct kind kinds[REGISTRY_KINDS] = {
	[REGISTRY_ESTABLISHMENTS] = {
	    .table = "establishments", .nkeys = 1, .ncols = 10,
	    .cols = { { "licence", check_licence, false, NULL, C_TEXT },
		      { "name", check_name, false, NULL, C_TEXT },
		      { "category", check_category, false, NULL, C_TEXT },
		      { "district", check_district, false, NULL, C_TEXT },
		      { "address", check_address, false, NULL, C_TEXT },
		      { "floor_area", check_area, true, NULL, C_REAL },
		      { "meals_per_day", check_count, true, NULL, C_INT },
		      { "business_hours", check_hours, true, "06:00-20:00", C_TEXT },
		      { "licence_expires", check_date, true, NULL, C_TEXT },
		      { "scope", check_scope, true, NULL, C_TEXT, true } },
	    .ref_col = -1,
	    .list_sql = "SELECT e.licence, e.name, e.category, e.district, e.address,"
			" e.floor_area, e.meals_per_day, e.business_hours, e.licence_expires,"
			" e.scope,"
			" (SELECT count(*) FROM registry_boxes b WHERE b.licence = e.licence)"
			" AS boxes, e.updated FROM establishments e ORDER BY e.district, e.licence",
	},
	[REGISTRY_BOXES] = {
	    .table = "registry_boxes", .nkeys = 1, .ncols = 3,
	    .cols = { { "box", check_box, false, NULL, C_TEXT },
		      { "licence", check_licence, false, NULL, C_TEXT },
		      { "provisioned", check_date, false, NULL, C_TEXT } },
	    .ref_col = 1,
	    .ref_sql = "SELECT 1 FROM establishments WHERE licence = ?1",
	    .ref_what = "no establishment with licence '%s': import it first (registry import "
			"establishments)",
	    .list_sql = "SELECT r.box, r.licence, e.name, r.provisioned,"
			" coalesce(b.state, 'never seen') AS state, b.last_seen,"
			" (SELECT count(*) FROM registry_cameras c WHERE c.box = r.box) AS cameras,"
			" (SELECT count(*) FROM registry_sensors s WHERE s.box = r.box) AS sensors,"
			" r.updated FROM registry_boxes r"
			" LEFT JOIN establishments e ON e.licence = r.licence"
			" LEFT JOIN boxes b ON b.id = r.box ORDER BY r.box",
	},
	[REGISTRY_CAMERAS] = {
	    .table = "registry_cameras", .nkeys = 2, .ncols = 4,
	    .cols = { { "box", check_box, false, NULL, C_TEXT },
		      { "camera", check_ident, false, NULL, C_TEXT },
		      { "zone", check_zone, true, NULL, C_TEXT },
		      { "gb28181_id", check_gb28181, true, NULL, C_TEXT } },
	    .ref_col = 0,
	    .ref_sql = "SELECT 1 FROM registry_boxes WHERE box = ?1",
	    .ref_what = "no box '%s' in the registry: import it first (registry import boxes)",
	    .list_sql = "SELECT box, camera, zone, gb28181_id, updated FROM registry_cameras"
			" ORDER BY box, camera",
	},
	[REGISTRY_SENSORS] = {
	    .table = "registry_sensors", .nkeys = 2, .ncols = 4,
	    .cols = { { "box", check_box, false, NULL, C_TEXT },
		      { "sensor", check_ident, false, NULL, C_TEXT },
		      { "kind", check_sensor_kind, false, NULL, C_TEXT },
		      { "zone", check_zone, true, NULL, C_TEXT } },
	    .ref_col = 0,
	    .ref_sql = "SELECT 1 FROM registry_boxes WHERE box = ?1",
	    .ref_what = "no box '%s' in the registry: import it first (registry import boxes)",
	    .list_sql = "SELECT box, sensor, kind, zone, updated FROM registry_sensors"
			" ORDER BY box, sensor",
	},
	[REGISTRY_INSPECTORS] = {
	    .table = "inspectors", .nkeys = 1, .ncols = 4,
	    .cols = { { "id", check_inspector, false, NULL, C_TEXT },
		      { "name", check_name, false, NULL, C_TEXT },
		      { "district", check_district, false, NULL, C_TEXT },
		      { "phone", check_phone, true, NULL, C_TEXT } },
	    .ref_col = -1,
	    .list_sql = "SELECT id, name, district, phone, updated FROM inspectors ORDER BY id",
	},
	[REGISTRY_REGULATORS] = {
	    .table = "regulators", .nkeys = 1, .ncols = 3,
	    .cols = { { "id", check_regulator, false, NULL, C_TEXT },
		      { "name", check_name, false, NULL, C_TEXT },
		      { "districts", check_districts, true, "", C_TEXT } },
	    .ref_col = -1,
	    .list_sql = "SELECT id, name, districts, updated FROM regulators ORDER BY id",
	},
};

/* --- import ---------------------------------------------------------------- */

struct row {
	int lines[MAX_COLS];
	char *vals[MAX_COLS]; /* in the kind's column order; NULL: SQL NULL */
};

static void row_free(gpointer p)
{
	struct row *r = p;

	for (int i = 0; i < MAX_COLS; i++)
		g_free(r->vals[i]);
	g_free(r);
}

struct import {
	const struct kind *k;
	GString *errors;
	int problems;
	bool stopped; /* MAX_PROBLEMS reached */
	int map[MAX_COLS]; /* the file's column i is the kind's column map[i] */
	int nmap;
	bool present[MAX_COLS]; /* the kind's column j is in the file */
	GPtrArray *rows;
	GHashTable *keys; /* a row's key → its line (GINT_TO_POINTER) */
};

__attribute__((format(printf, 4, 5))) static void problem(struct import *im, int line,
							  const char *column, const char *fmt, ...)
{
	va_list ap;
	char *reason;

	if (im->stopped)
		return;
	if (im->problems == MAX_PROBLEMS) {
		g_string_append_printf(im->errors,
				       "%d:%s: more than %d problems: checking stopped here\n",
				       line, column, MAX_PROBLEMS);
		im->stopped = true;
		return;
	}
	im->problems++;
	g_string_append_printf(im->errors, "%d:%s: ", line, column);
	va_start(ap, fmt);
	reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* reasons quote the values: keep each on one line, and short */
	for (const char *p = reason; *p; p = g_utf8_next_char(p)) {
		if (p - reason >= MAX_REASON) {
			g_string_append(im->errors, "…");
			break;
		}
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			g_string_append_printf(im->errors, "\\x%02X", (unsigned char)*p);
		else
			g_string_append_len(im->errors, p, g_utf8_next_char(p) - p);
	}
	g_free(reason);
	g_string_append_c(im->errors, '\n');
}

/* The name of the file's column number (from 1), once the header is known. */
static const char *column_name(const struct import *im, int number, char *buf, size_t size)
{
	if (number >= 1 && number <= im->nmap)
		return im->k->cols[im->map[number - 1]].name;
	snprintf(buf, size, "%d", number > 0 ? number : 1);
	return buf;
}

static void expected_columns(const struct kind *k, GString *out)
{
	for (int i = 0; i < k->ncols; i++)
		g_string_append_printf(out, "%s%s", i ? "," : "", k->cols[i].name);
}

/* The header: every column of the kind, once, in any order. */
static bool read_header(struct import *im, const struct csv_record *rec)
{
	const struct kind *k = im->k;
	bool have[MAX_COLS] = { false };
	GString *list = g_string_new("");
	int before = im->problems;

	expected_columns(k, list);
	for (int i = 0; i < rec->nfields; i++) {
		int found = -1;

		for (int j = 0; j < k->ncols; j++) {
			if (!g_ascii_strcasecmp(g_strstrip(rec->fields[i]), k->cols[j].name))
				found = j;
		}
		if (found < 0) {
			problem(im, rec->line, column_name(im, i + 1, (char[16]){ 0 }, 16),
				"unknown column '%s': %s take %s", rec->fields[i],
				registry_kind_names[k - kinds], list->str);
		} else if (have[found]) {
			problem(im, rec->line, k->cols[found].name, "column '%s' twice",
				k->cols[found].name);
		} else {
			have[found] = true;
		}
		if (i < MAX_COLS)
			im->map[i] = found;
	}
	for (int j = 0; j < k->ncols; j++) {
		im->present[j] = have[j];
		if (!have[j] && !k->cols[j].omissible)
			problem(im, rec->line, k->cols[j].name,
				"missing column '%s' in the header: %s take %s", k->cols[j].name,
				registry_kind_names[k - kinds], list->str);
	}
	g_string_free(list, TRUE);
	if (im->problems != before)
		return false;
	im->nmap = rec->nfields;
	return true;
}

static void check_row(struct import *im, const struct csv_record *rec)
{
	const struct kind *k = im->k;
	struct row *r = g_new0(struct row, 1);
	GString *why = g_string_new("");
	bool key_ok = true;

	for (int i = 0; i < rec->nfields; i++) {
		const struct column *col = &k->cols[im->map[i]];
		int c = im->map[i];
		const char *text = rec->fields[i];

		r->lines[c] = rec->field_lines[i];
		if (!*text) {
			if (col->optional) {
				r->vals[c] = g_strdup(col->dflt);
				continue;
			}
			problem(im, r->lines[c], col->name, "empty: %s is required", col->name);
		} else if (!(r->vals[c] = col->check(text, why))) {
			problem(im, r->lines[c], col->name, "%s", why->str);
		} else {
			continue;
		}
		if (c < k->nkeys)
			key_ok = false;
	}
	g_string_free(why, TRUE);
	if (key_ok) {
		GString *key = g_string_new("");
		int last = k->nkeys - 1;
		gpointer line;

		for (int c = 0; c < k->nkeys; c++)
			g_string_append_printf(key, "%s%s", c ? "\x1f" : "", r->vals[c]);
		if (g_hash_table_lookup_extended(im->keys, key->str, NULL, &line)) {
			if (k->nkeys == 2)
				problem(im, r->lines[last], k->cols[last].name,
					"%s '%s' of %s '%s' appears twice, on lines %d and %d",
					k->cols[1].name, r->vals[1], k->cols[0].name, r->vals[0],
					GPOINTER_TO_INT(line), r->lines[last]);
			else
				problem(im, r->lines[0], k->cols[0].name,
					"%s '%s' appears twice, on lines %d and %d",
					k->cols[0].name, r->vals[0], GPOINTER_TO_INT(line),
					r->lines[0]);
			g_string_free(key, TRUE);
		} else {
			g_hash_table_insert(im->keys, g_string_free(key, FALSE),
					    GINT_TO_POINTER(r->lines[last]));
		}
	}
	g_ptr_array_add(im->rows, r);
}

/* Each row's reference (a box's establishment, a camera's box) must be
 * stored already. Inside the import's transaction. */
static int check_refs(struct archive *a, struct import *im)
{
	const struct kind *k = im->k;
	GHashTable *known = g_hash_table_new(g_str_hash, g_str_equal);
	struct db_stmt *st;
	int rc = 0;

	if (k->ref_col < 0)
		goto out;
	if (!(st = db_prepare(a->db, k->ref_sql, false))) {
		rc = archive_fail(a, "prepare a registry look-up");
		goto out;
	}
	for (guint i = 0; i < im->rows->len && !im->stopped; i++) {
		struct row *r = g_ptr_array_index(im->rows, i);
		const char *v = r->vals[k->ref_col];
		int step;

		if (!v || g_hash_table_contains(known, v))
			continue;
		archive_bind_text(st, 1, v);
		step = db_step(st);
		db_reset(st);
		if (step == DB_ROW) {
			g_hash_table_add(known, (gpointer)v);
		} else if (step == DB_DONE) {
			problem(im, r->lines[k->ref_col], k->cols[k->ref_col].name, k->ref_what, v);
		} else {
			rc = archive_fail(a, "look up a registry reference");
			break;
		}
	}
	db_finalize(st);
out:
	g_hash_table_destroy(known);
	return rc;
}

/* Parameters are numbered by the kind's columns (?ncols+1 is `updated`);
 * a column the file leaves out is neither inserted nor updated. */
static char *upsert_sql(const struct kind *k, const bool *present)
{
	GString *sql = g_string_new("");
	const char *sep = "";

	g_string_append_printf(sql, "INSERT INTO %s(", k->table);
	for (int i = 0; i < k->ncols; i++) {
		if (present[i])
			g_string_append_printf(sql, "%s, ", k->cols[i].name);
	}
	g_string_append(sql, "updated) VALUES (");
	for (int i = 0; i < k->ncols; i++) {
		if (present[i])
			g_string_append_printf(sql, "?%d, ", i + 1);
	}
	g_string_append_printf(sql, "?%d) ON CONFLICT(", k->ncols + 1);
	for (int i = 0; i < k->nkeys; i++)
		g_string_append_printf(sql, "%s%s", i ? ", " : "", k->cols[i].name);
	g_string_append(sql, ") DO UPDATE SET ");
	for (int i = k->nkeys; i < k->ncols; i++) {
		if (present[i])
			g_string_append_printf(sql, "%s = excluded.%s, ", k->cols[i].name,
					       k->cols[i].name);
	}
	g_string_append(sql, "updated = excluded.updated WHERE ");
	for (int i = k->nkeys; i < k->ncols; i++) {
		if (!present[i])
			continue;
		g_string_append_printf(sql, "%s%s.%s IS NOT excluded.%s", sep, k->table,
				       k->cols[i].name, k->cols[i].name);
		sep = " OR ";
	}
	return g_string_free(sql, FALSE);
}

/* Upsert every row; the number added or changed, or -EIO. */
static int write_rows(struct archive *a, const struct import *im)
{
	const struct kind *k = im->k;
	char *sql = upsert_sql(k, im->present);
	char now[CLOCK_TS_LEN];
	struct db_stmt *st;
	int changed = 0;

	clock_format_ms(clock_wall_ms(), now);
	if (!(st = db_prepare(a->db, sql, false))) {
		g_free(sql);
		return archive_fail(a, "prepare a registry upsert");
	}
	g_free(sql);
	for (guint i = 0; i < im->rows->len; i++) {
		const struct row *r = g_ptr_array_index(im->rows, i);

		for (int c = 0; c < k->ncols; c++) {
			const char *v = r->vals[c];

			if (!im->present[c])
				continue;
			if (!v)
				db_bind_null(st, c + 1);
			else if (k->cols[c].type == C_INT)
				db_bind_int64(st, c + 1, g_ascii_strtoll(v, NULL, 10));
			else if (k->cols[c].type == C_REAL)
				db_bind_double(st, c + 1, g_ascii_strtod(v, NULL));
			else
				archive_bind_text(st, c + 1, v);
		}
		archive_bind_text(st, k->ncols + 1, now);
		if (db_step(st) != DB_DONE) {
			changed = archive_fail(a, "store a registry row");
			break;
		}
		changed += db_changes(a->db);
		db_reset(st);
	}
	db_finalize(st);
	return changed;
}

int archive_registry_import(struct archive *a, enum registry_kind kind, const char *csv, size_t len,
			    GString *errors)
{
	struct import im = {
		.k = &kinds[kind],
		.errors = errors,
		.rows = g_ptr_array_new_with_free_func(row_free),
		.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	struct csv *c = csv_new(csv, len);
	struct csv_record rec;
	struct csv_error err;
	bool header = false, readable = true; /* every row was read */
	char num[16];
	int rc;

	while (!im.stopped && (rc = csv_next(c, &rec, &err)) != 0) {
		if (rc < 0) {
			problem(&im, err.line, column_name(&im, err.column, num, sizeof num), "%s",
				err.reason);
			if (err.fatal) {
				readable = false;
				break;
			}
		} else if (!header) {
			header = true;
			if (!read_header(&im, &rec)) {
				readable = false;
				break;
			}
		} else {
			check_row(&im, &rec);
		}
	}
	csv_free(c);
	if (!header && !im.problems) {
		GString *list = g_string_new("");

		expected_columns(im.k, list);
		problem(&im, 1, "1", "no header row: %s take %s", registry_kind_names[kind],
			list->str);
		g_string_free(list, TRUE);
	}
	if (!readable || im.stopped) {
		rc = -EINVAL;
		goto out;
	}
	/* references are checked even after other problems, so that one
	 * round of corrections is enough */
	rc = archive_begin(a);
	if (!rc)
		rc = check_refs(a, &im);
	if (!rc && im.problems)
		rc = -EINVAL;
	if (!rc)
		rc = write_rows(a, &im);
	if (rc >= 0) {
		int changed = rc;

		rc = archive_commit(a);
		if (!rc)
			rc = changed;
	}
	if (rc < 0)
		archive_rollback(a);
out:
	g_ptr_array_free(im.rows, TRUE);
	g_hash_table_destroy(im.keys);
	return rc;
}

/* --- export, list, look-up --------------------------------------------------- */

static void append_value(GString *out, struct db_stmt *st, int i)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	size_t n;

	switch (db_column_type(st, i)) {
	case DB_NULL:
		break;
	case DB_INT:
		g_string_append_printf(out, "%lld", (long long)db_column_int64(st, i));
		break;
	case DB_REAL:
		/* 2 decimals at most were accepted: print them, without trailing zeros */
		g_ascii_formatd(buf, sizeof buf, "%.2f", db_column_double(st, i));
		n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
		g_string_append(out, buf);
		break;
	default:
		csv_append_field(out, db_column_text(st, i));
		break;
	}
}

int archive_registry_export(struct archive *a, enum registry_kind kind, GString *out)
{
	const struct kind *k = &kinds[kind];
	GString *sql = g_string_new("SELECT ");
	struct db_stmt *st;
	int rc;

	for (int i = 0; i < k->ncols; i++)
		g_string_append_printf(sql, "%s%s", i ? ", " : "", k->cols[i].name);
	g_string_append_printf(sql, " FROM %s ORDER BY ", k->table);
	for (int i = 0; i < k->nkeys; i++)
		g_string_append_printf(sql, "%s%s", i ? ", " : "", k->cols[i].name);
	st = db_prepare(a->db, sql->str, false);
	g_string_free(sql, TRUE);
	if (!st)
		return archive_fail(a, "prepare a registry export");
	expected_columns(k, out);
	g_string_append_c(out, '\n');
	while ((rc = db_step(st)) == DB_ROW) {
		for (int i = 0; i < k->ncols; i++) {
			if (i)
				g_string_append_c(out, ',');
			append_value(out, st, i);
		}
		g_string_append_c(out, '\n');
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : archive_fail(a, "export the registry");
}

int archive_registry_list(struct archive *a, enum registry_kind kind, archive_row_fn fn, void *ctx)
{
	return archive_query(a, kinds[kind].list_sql, NULL, 0, fn, ctx);
}

int archive_box_establishment(struct archive *a, const char *box, struct establishment_ref *out)
{
	struct db_stmt *st;
	int rc;

	if (!(st = db_prepare(a->db,
			      "SELECT e.licence, e.name, e.category, e.district"
			      " FROM registry_boxes b JOIN establishments e"
			      " ON e.licence = b.licence WHERE b.box = ?1",
			      false)))
		return archive_fail(a, "prepare a box's establishment look-up");
	archive_bind_text(st, 1, box);
	rc = db_step(st);
	if (rc == DB_ROW) {
		g_strlcpy(out->licence, db_column_text(st, 0),
			  sizeof out->licence);
		g_strlcpy(out->name, db_column_text(st, 1), sizeof out->name);
		g_strlcpy(out->category, db_column_text(st, 2),
			  sizeof out->category);
		g_strlcpy(out->district, db_column_text(st, 3),
			  sizeof out->district);
	}
	db_finalize(st);
	return rc == DB_ROW	   ? 0
	       : rc == DB_DONE ? -ENOENT
				   : archive_fail(a, "look up a box's establishment");
}
