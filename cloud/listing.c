/*
 * listing.c — see listing.h.
 *
 * Both formats come down to one path: a row (a CSV record, a JSON object)
 * hands each field's text to take_text(), which checks it and fills a
 * struct listing_shop; end_row() keeps the shop when nothing was wrong.
 * cJSON keeps no positions, so the lines of a JSON array's elements and of
 * their keys come from a second pass over the text cJSON accepted: valid
 * JSON, so that pass only has to follow strings and nesting.
 * Costs: one pass of the CSV reader or of cJSON (the whole tree in memory),
 * one more over JSON text, a copy of each value, one hash table of keys.
 */
#include "listing.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "csv.h"

/* Bytes of a reason shown (they quote the values, which may be long). */
#define MAX_REASON 400
/* Bytes of a value quoted in a reason. */
#define SHOW_MAX 64

enum field { F_PLATFORM, F_SHOP_ID, F_NAME, F_LICENCE, F_ADDRESS, F_DISHES, F_STATUS, NFIELDS };

static const char *const field_names[NFIELDS] = {
	"platform", "shop_id", "shop_name", "licence", "pickup_address", "dishes", "status",
};

/* CSV headers may name a column in Chinese as well. */
static const char *const field_aliases[NFIELDS][3] = {
	[F_PLATFORM] = { "平台" },
	[F_SHOP_ID] = { "店铺ID", "店铺编号" },
	[F_NAME] = { "店铺名称", "店名" },
	[F_LICENCE] = { "许可证号", "许可证编号" },
	[F_ADDRESS] = { "取餐地址", "地址" },
	[F_DISHES] = { "菜品" },
	[F_STATUS] = { "状态" },
};

static bool field_required(enum field f)
{
	return f != F_LICENCE && f != F_DISHES && f != F_STATUS;
}

#define FIELD_LIST                                                                                         \
	"platform (平台), shop_id (店铺ID), shop_name (店铺名称), pickup_address (取餐地址), " \
	"licence (许可证号), dishes (菜品), status (状态)"
#define KEY_LIST "platform, shop_id, shop_name, pickup_address, licence, dishes, status"

struct parse {
	GString *errors;
	int problems;
	bool stopped;	 /* LISTING_MAX_PROBLEMS reached */
	bool unreadable; /* the file cannot be read on */
	GPtrArray *shops;
	GHashTable *keys; /* "platform\x1fshop_id" → the line of its first shop */
};

__attribute__((format(printf, 4, 5))) static void problem(struct parse *ps, int line,
							  const char *field, const char *fmt, ...)
{
	va_list ap;
	char *reason;

	if (ps->stopped)
		return;
	if (ps->problems == LISTING_MAX_PROBLEMS) {
		g_string_append_printf(ps->errors,
				       "%d:%s: more than %d problems: checking stopped here\n",
				       line, field, LISTING_MAX_PROBLEMS);
		ps->stopped = true;
		return;
	}
	ps->problems++;
	g_string_append_printf(ps->errors, "%d:%s: ", line, field);
	va_start(ap, fmt);
	reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* reasons quote the values: keep each on one line (C1 controls and
	 * U+2028/9 break lines in some viewers too), and short */
	for (const char *p = reason; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (p - reason >= MAX_REASON) {
			g_string_append(ps->errors, "…");
			break;
		}
		if (ch < 0x20 || ch == 0x7F)
			g_string_append_printf(ps->errors, "\\x%02X", (unsigned)ch);
		else if ((ch >= 0x80 && ch < 0xA0) || ch == 0x2028 || ch == 0x2029)
			g_string_append_printf(ps->errors, "\\u%04X", (unsigned)ch);
		else
			g_string_append_len(ps->errors, p, g_utf8_next_char(p) - p);
	}
	g_free(reason);
	g_string_append_c(ps->errors, '\n');
}

/* text (valid UTF-8) cut to SHOW_MAX bytes at a character boundary, for
 * quoting in a reason; buf holds SHOW_MAX + 4 bytes. */
static const char *show(const char *text, char *buf)
{
	size_t n = strlen(text);

	if (n <= SHOW_MAX)
		return text;
	n = (size_t)(g_utf8_find_prev_char(text, text + SHOW_MAX + 1) - text);
	memcpy(buf, text, n);
	strcpy(buf + n, "…");
	return buf;
}

/* The line of data[pos]: line breaks are CRLF, LF or a lone CR, as the CSV
 * reader counts them. */
static int line_at(const char *data, size_t len, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos && i < len; i++) {
		if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < len && data[i + 1] == '\n')))
			line++;
	}
	return line;
}

static bool is_control(gunichar ch)
{
	return ch < 0x20 || (ch >= 0x7F && ch < 0xA0);
}

/* --- checking one field --------------------------------------------------
 * A check gets the field's text (valid UTF-8, no NUL, maybe empty) and
 * returns true with the value to store in *out (g_malloc'd, normalised;
 * NULL for a licence not shown), or false with the reason in why. */

/* Printable text, 1..max bytes: no control characters (C0, DEL, C1);
 * anything else is kept as written. */
static bool check_text(const char *text, size_t max, const char *field, char **out, GString *why)
{
	size_t n = strlen(text);
	char q[SHOW_MAX + 4];

	if (n == 0) {
		g_string_printf(why, "empty: %s is required", field);
		return false;
	}
	if (n > max) {
		g_string_printf(why, "longer than %zu bytes (%zu): '%s'", max, n, show(text, q));
		return false;
	}
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (is_control(ch)) {
			g_string_printf(
			    why, "a control character (U+%04X) in '%s': write it on one line",
			    (unsigned)ch, show(text, q));
			return false;
		}
	}
	*out = g_strdup(text);
	return true;
}

/* The first character that is a space or not printable, or 0. */
static gunichar first_not_graph(const char *text)
{
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (!g_unichar_isgraph(ch))
			return ch;
	}
	return 0;
}

static const char *const platform_names[][2] = {
	{ "美团", "meituan" }, { "美团外卖", "meituan" }, { "饿了么", "eleme" },
	{ "抖音", "douyin" },  { "抖音外卖", "douyin" },  { "京东", "jd" },
	{ "京东外卖", "jd" },
};

static bool check_platform(const char *text, char **out, GString *why)
{
	size_t n = strlen(text);
	char q[SHOW_MAX + 4];

	if (n == 0) {
		g_string_printf(why, "empty: platform is required");
		return false;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(platform_names); i++) {
		if (!strcmp(text, platform_names[i][0])) {
			*out = g_strdup(platform_names[i][1]);
			return true;
		}
	}
	if (n <= 32 && g_ascii_isalpha(text[0]) &&
	    strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n) {
		*out = g_ascii_strdown(text, -1);
		return true;
	}
	g_string_printf(
	    why,
	    "'%s' is not a platform: an id (a letter, then up to 31 letters, digits, "
	    "'_' or '-', e.g. meituan) or 美团, 美团外卖, 饿了么, 抖音, 抖音外卖, 京东, "
	    "京东外卖",
	    show(text, q));
	return false;
}

static bool check_shop_id(const char *text, char **out, GString *why)
{
	size_t n = strlen(text);
	gunichar bad;
	char q[SHOW_MAX + 4];

	if (n == 0) {
		g_string_printf(why, "empty: shop_id is required");
		return false;
	}
	if (n > 64) {
		g_string_printf(why, "longer than 64 bytes (%zu): '%s'", n, show(text, q));
		return false;
	}
	if ((bad = first_not_graph(text)) != 0) {
		g_string_printf(why, "a space or control character (U+%04X) in the shop id '%s'",
				(unsigned)bad, show(text, q));
		return false;
	}
	*out = g_strdup(text);
	return true;
}

static bool check_name(const char *text, char **out, GString *why)
{
	return check_text(text, 255, "shop_name", out, why);
}

static bool check_address(const char *text, char **out, GString *why)
{
	return check_text(text, 512, "pickup_address", out, why);
}

/* text without the white space (any Unicode kind: the full-width U+3000
 * too) at either end, g_malloc'd. */
static char *trim(const char *text, size_t len)
{
	const char *start = text, *end = text + len;

	while (start < end && g_unichar_isspace(g_utf8_get_char(start)))
		start = g_utf8_next_char(start);
	while (end > start) {
		const char *prev = g_utf8_find_prev_char(start, end);

		if (!prev || !g_unichar_isspace(g_utf8_get_char(prev)))
			break;
		end = prev;
	}
	return g_strndup(start, (gsize)(end - start));
}

/* What platforms show when a shop has published no licence. */
static const char *const no_licence[] = { "", "无", "暂无", "未公示", "-", "N/A", "none" };

static bool check_licence(const char *text, char **out, GString *why)
{
	char *t = trim(text, strlen(text));
	size_t n = strlen(t);
	char q[SHOW_MAX + 4];
	gunichar bad;

	for (size_t i = 0; i < G_N_ELEMENTS(no_licence); i++) {
		if (!g_ascii_strcasecmp(t, no_licence[i])) {
			g_free(t);
			*out = NULL;
			return true;
		}
	}
	if (n > 63) {
		g_string_printf(why, "longer than 63 bytes (%zu): '%s'", n, show(t, q));
	} else if ((bad = first_not_graph(t)) != 0) {
		g_string_printf(why,
				"a space or control character (U+%04X) in the licence number '%s'",
				(unsigned)bad, show(t, q));
	} else {
		*out = t;
		return true;
	}
	g_free(t);
	return false;
}

static const char *const statuses[][5] = {
	{ "open", "营业", "营业中", "正常" },
	{ "closed", "休息", "休息中", "暂停营业", "打烊" },
	{ "offline", "下线", "已下线", "关店", "delisted" },
};

static bool check_status(const char *text, char **out, GString *why)
{
	char q[SHOW_MAX + 4];

	if (!*text) {
		*out = g_strdup("open");
		return true;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(statuses); i++) {
		for (size_t j = 0; j < G_N_ELEMENTS(statuses[i]) && statuses[i][j]; j++) {
			if (!g_ascii_strcasecmp(text, statuses[i][j])) {
				*out = g_strdup(statuses[i][0]);
				return true;
			}
		}
	}
	g_string_printf(why,
			"'%s' is not a status: open (营业, 营业中, 正常), closed (休息, 休息中, "
			"暂停营业, 打烊) or offline (下线, 已下线, 关店, delisted)",
			show(text, q));
	return false;
}

#define MAX_DISHES 2000

/* One dish name of len bytes, trimmed, appended to dishes; an empty one
 * is skipped. */
static bool add_dish(GPtrArray *dishes, const char *text, size_t len, GString *why)
{
	char *dish = trim(text, len);
	char *kept = NULL;
	size_t n = strlen(dish);
	char q[SHOW_MAX + 4];

	if (n == 0) {
		g_free(dish);
		return true;
	}
	if (dishes->len == MAX_DISHES) {
		g_string_printf(why, "more than %d dishes", MAX_DISHES);
	} else if (n > 128) {
		g_string_printf(why, "a dish longer than 128 bytes (%zu): '%s'", n, show(dish, q));
	} else if (check_text(dish, 128, "dishes", &kept, why)) {
		g_ptr_array_add(dishes, kept);
		g_free(dish);
		return true;
	}
	g_free(dish);
	return false;
}

/* Dish names separated by ';', '；', '、' or '|'. */
static bool add_dishes(GPtrArray *dishes, const char *text, GString *why)
{
	const char *start = text;

	for (const char *p = text;; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch && ch != ';' && ch != '|' && ch != 0xFF1B && ch != 0x3001)
			continue;
		if (!add_dish(dishes, start, (size_t)(p - start), why))
			return false;
		if (!ch)
			return true;
		start = g_utf8_next_char(p);
	}
}

/* --- rows ------------------------------------------------------------------ */

static void shop_free(gpointer p)
{
	struct listing_shop *s = p;

	if (!s)
		return;
	g_free(s->platform);
	g_free(s->shop_id);
	g_free(s->name);
	g_free(s->licence);
	g_free(s->address);
	g_ptr_array_free(s->dishes, TRUE);
	g_free(s->status);
	g_free(s);
}

struct row {
	struct listing_shop *shop;
	bool seen[NFIELDS];
	bool bad; /* a problem was reported: the shop is left out */
};

static void begin_row(struct row *r, int line)
{
	memset(r, 0, sizeof *r);
	r->shop = g_new0(struct listing_shop, 1);
	r->shop->line = line;
	r->shop->dishes = g_ptr_array_new_with_free_func(g_free);
}

static void row_problem(struct parse *ps, struct row *r, int line, enum field f, const char *why)
{
	problem(ps, line, field_names[f], "%s", why);
	r->bad = true;
}

/* Check one field's text (valid UTF-8) and keep its value. */
static void take_text(struct parse *ps, struct row *r, enum field f, const char *text, int line)
{
	struct listing_shop *s = r->shop;
	GString *why = g_string_new("");
	bool ok = false;

	r->seen[f] = true;
	switch (f) {
	case F_PLATFORM:
		ok = check_platform(text, &s->platform, why);
		break;
	case F_SHOP_ID:
		ok = check_shop_id(text, &s->shop_id, why);
		break;
	case F_NAME:
		ok = check_name(text, &s->name, why);
		break;
	case F_LICENCE:
		ok = check_licence(text, &s->licence, why);
		break;
	case F_ADDRESS:
		ok = check_address(text, &s->address, why);
		break;
	case F_DISHES:
		ok = add_dishes(s->dishes, text, why);
		break;
	case F_STATUS:
		ok = check_status(text, &s->status, why);
		break;
	case NFIELDS:
		break;
	}
	if (!ok)
		row_problem(ps, r, line, f, why->str);
	g_string_free(why, TRUE);
}

/* The row is complete: report what is missing or repeated, keep the shop
 * if all is well. */
static void end_row(struct parse *ps, struct row *r)
{
	struct listing_shop *s = r->shop;

	for (int f = 0; f < NFIELDS; f++) {
		if (!r->seen[f] && field_required((enum field)f)) {
			problem(ps, s->line, field_names[f], "missing: %s is required",
				field_names[f]);
			r->bad = true;
		}
	}
	if (!s->status)
		s->status = g_strdup("open");
	/* a key is remembered even for a shop with other problems, so that one
	 * round of corrections is enough */
	if (s->platform && s->shop_id) {
		char *key = g_strdup_printf("%s\x1f%s", s->platform, s->shop_id);
		gpointer first;
		char q[SHOW_MAX + 4];

		if (g_hash_table_lookup_extended(ps->keys, key, NULL, &first)) {
			problem(ps, s->line, "shop_id",
				"shop '%s' of %s appears twice, on lines %d and %d",
				show(s->shop_id, q), s->platform, GPOINTER_TO_INT(first), s->line);
			r->bad = true;
			g_free(key);
		} else {
			g_hash_table_insert(ps->keys, key, GINT_TO_POINTER(s->line));
		}
	}
	if (r->bad)
		shop_free(s);
	else
		g_ptr_array_add(ps->shops, s);
	r->shop = NULL;
}

/* --- CSV ------------------------------------------------------------------- */

static int field_by_header(const char *name)
{
	for (int f = 0; f < NFIELDS; f++) {
		if (!g_ascii_strcasecmp(name, field_names[f]))
			return f;
		for (int i = 0; i < 3 && field_aliases[f][i]; i++) {
			if (!g_ascii_strcasecmp(name, field_aliases[f][i]))
				return f;
		}
	}
	return -1;
}

/* The header: known columns, each once, the required ones all there. */
static bool read_header(struct parse *ps, const struct csv_record *rec, int *map)
{
	bool have[NFIELDS] = { false };
	int before = ps->problems;
	char q[SHOW_MAX + 4];

	for (int i = 0; i < rec->nfields; i++) {
		int f = field_by_header(g_strstrip(rec->fields[i]));

		map[i] = f;
		if (f < 0)
			problem(ps, rec->line, "-",
				"unknown column %d '%s': columns are " FIELD_LIST, i + 1,
				show(rec->fields[i], q));
		else if (have[f])
			problem(ps, rec->line, field_names[f], "column %d '%s' names %s again",
				i + 1, show(rec->fields[i], q), field_names[f]);
		else
			have[f] = true;
	}
	for (int f = 0; f < NFIELDS; f++) {
		if (!have[f] && field_required((enum field)f))
			problem(ps, rec->line, field_names[f],
				"missing column %s in the header: columns are " FIELD_LIST,
				field_names[f]);
	}
	return ps->problems == before && !ps->stopped;
}

static void parse_csv(struct parse *ps, const char *text, size_t len)
{
	struct csv *c = csv_new(text, len);
	struct csv_record rec;
	struct csv_error err;
	int *map = NULL, nmap = 0;
	int rc;

	while (!ps->stopped && (rc = csv_next(c, &rec, &err)) != 0) {
		if (rc < 0) {
			bool known =
			    err.column >= 1 && err.column <= nmap && map[err.column - 1] >= 0;

			problem(ps, err.line, known ? field_names[map[err.column - 1]] : "-", "%s",
				err.reason);
			if (err.fatal) {
				ps->unreadable = true;
				break;
			}
		} else if (!map) {
			map = g_new(int, rec.nfields);
			nmap = rec.nfields;
			if (!read_header(ps, &rec, map)) {
				ps->unreadable = true;
				break;
			}
		} else {
			struct row r;

			begin_row(&r, rec.line);
			/* columns left out of the header take their defaults */
			for (int f = 0; f < NFIELDS; f++)
				r.seen[f] = !field_required((enum field)f);
			for (int i = 0; i < rec.nfields; i++)
				take_text(ps, &r, (enum field)map[i], rec.fields[i],
					  rec.field_lines[i]);
			end_row(ps, &r);
		}
	}
	csv_free(c);
	if (!map && !ps->problems) {
		problem(ps, 1, "-", "no header row: columns are " FIELD_LIST);
		ps->unreadable = true;
	}
	g_free(map);
}

/* --- JSON ------------------------------------------------------------------ */

/* Where the JSON text puts things, found after cJSON accepted it. */
struct element {
	int line;
	GArray *keys; /* the line of each key, for an object (int) */
};

static void element_clear(gpointer p)
{
	struct element *e = p;

	if (e->keys)
		g_array_free(e->keys, TRUE);
}

struct scan {
	GArray *elements; /* struct element, the top array's; NULL: not wanted */
	int nul_line;	  /* the first \u0000 in a string, 0: none */
};

/* Walk data[0..len), valid JSON, starting on line. Whitespace is what cJSON
 * skips (any byte up to ' '); a raw line break inside a string counts too,
 * since cJSON takes it. */
static void scan_json(const char *data, size_t len, int line, struct scan *sc)
{
	int depth = 0;
	bool in_string = false, want_element = false, want_key = false;
	struct element *cur = NULL;

	for (size_t i = 0; i < len; i++) {
		char ch = data[i];

		if (ch == '\n' || (ch == '\r' && !(i + 1 < len && data[i + 1] == '\n'))) {
			line++;
			continue;
		}
		if (in_string) {
			if (ch == '\\') {
				/* escapes are ASCII and never a line break */
				if (i + 5 < len && !memcmp(data + i + 1, "u0000", 5) &&
				    !sc->nul_line)
					sc->nul_line = line;
				i++;
			} else if (ch == '"') {
				in_string = false;
			}
			continue;
		}
		if ((unsigned char)ch <= ' ')
			continue;
		if (want_element && ch != ']' && sc->elements) {
			struct element e = { .line = line };

			g_array_append_val(sc->elements, e);
			cur = &g_array_index(sc->elements, struct element, sc->elements->len - 1);
		}
		if (want_key && ch != '}' && cur)
			g_array_append_val(cur->keys, line);
		want_element = want_key = false;
		switch (ch) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			depth++;
			if (depth == 1)
				want_element = ch == '[';
			if (depth == 2 && ch == '{' && cur) {
				cur->keys = g_array_new(FALSE, FALSE, sizeof(int));
				want_key = true;
			}
			break;
		case ']':
		case '}':
			depth--;
			break;
		case ',':
			want_element = depth == 1;
			want_key = depth == 2 && cur && cur->keys;
			break;
		default:
			break;
		}
	}
}

static const char *json_type(const cJSON *item)
{
	if (cJSON_IsNumber(item))
		return "a number: quote it";
	if (cJSON_IsBool(item))
		return "true or false";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsObject(item))
		return "an object";
	return "something else";
}

static void take_json(struct parse *ps, struct row *r, enum field f, const cJSON *item, int line)
{
	if (cJSON_IsNull(item)) {
		take_text(ps, r, f, "", line);
	} else if (cJSON_IsString(item)) {
		take_text(ps, r, f, item->valuestring, line);
	} else if (f == F_DISHES && cJSON_IsArray(item)) {
		GString *why = g_string_new("");
		int i = 0;
		const cJSON *d;

		r->seen[f] = true;
		cJSON_ArrayForEach (d, item) {
			if (!cJSON_IsString(d)) {
				g_string_printf(why, "dishes[%d] must be a string, not %s", i,
						json_type(d));
				break;
			}
			if (!add_dish(r->shop->dishes, d->valuestring, strlen(d->valuestring), why))
				break;
			i++;
		}
		if (why->len)
			row_problem(ps, r, line, f, why->str);
		g_string_free(why, TRUE);
	} else {
		r->seen[f] = true;
		problem(ps, line, field_names[f], "must be %s, not %s",
			f == F_DISHES ? "an array of strings or a string" : "a string",
			json_type(item));
		r->bad = true;
	}
}

static int field_by_key(const char *key)
{
	for (int f = 0; f < NFIELDS; f++) {
		if (!strcmp(key, field_names[f]))
			return f;
	}
	return -1;
}

/* One shop: obj's members, keys[i] the line of member i (NULL: all on line). */
static void read_object(struct parse *ps, const cJSON *obj, int line, const GArray *keys)
{
	struct row r;
	const cJSON *m;
	guint i = 0;
	char q[SHOW_MAX + 4];

	begin_row(&r, line);
	for (m = obj->child; m; m = m->next, i++) {
		int at = keys && i < keys->len ? g_array_index(keys, int, i) : line;
		int f = field_by_key(m->string);

		if (f < 0) {
			problem(ps, at, "-", "unknown key '%s': keys are " KEY_LIST,
				show(m->string, q));
			r.bad = true;
		} else if (r.seen[f]) {
			problem(ps, at, field_names[f], "key %s twice", field_names[f]);
			r.bad = true;
		} else {
			take_json(ps, &r, (enum field)f, m, at);
		}
	}
	end_row(ps, &r);
}

/* A syntax error at data[pos]: quote a little of what is there. */
static void syntax_error(struct parse *ps, const char *data, size_t len, size_t pos,
			 const char *what)
{
	size_t n;
	char *near;

	if (pos > len)
		pos = len;
	/* cJSON's position is a byte: start the quote on a character */
	while (pos > 0 && pos < len && ((unsigned char)data[pos] & 0xC0) == 0x80)
		pos--;
	for (n = 0; pos + n < len && n < 24 && data[pos + n] != '\n' && data[pos + n] != '\r';)
		n += (size_t)(g_utf8_next_char(data + pos + n) - (data + pos + n));
	if (pos + n > len)
		n = len - pos;
	near = g_strndup(data + pos, n);
	if (n)
		problem(ps, line_at(data, len, pos), "-", "%s: a syntax error at '%s'", what, near);
	else
		problem(ps, line_at(data, len, pos), "-", "%s: it ends too early", what);
	g_free(near);
}

/* Whether data[from..len) is only what cJSON takes for whitespace. */
static bool only_space(const char *data, size_t from, size_t len)
{
	for (size_t i = from; i < len; i++) {
		if ((unsigned char)data[i] > ' ')
			return false;
	}
	return true;
}

/* The whole text, after a BOM: one array of objects. */
static void parse_json_array(struct parse *ps, const char *data, size_t len)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, false);
	struct scan sc = { .elements = g_array_new(FALSE, TRUE, sizeof(struct element)) };
	const cJSON *e;
	guint i = 0;

	g_array_set_clear_func(sc.elements, element_clear);
	if (!root || !cJSON_IsArray(root)) {
		syntax_error(ps, data, len, end ? (size_t)(end - data) : 0, "not JSON");
		ps->unreadable = true;
		goto out;
	}
	if (!only_space(data, (size_t)(end - data), len)) {
		size_t pos = (size_t)(end - data);

		while (pos < len && (unsigned char)data[pos] <= ' ')
			pos++;
		syntax_error(ps, data, len, pos, "text after the JSON array");
		ps->unreadable = true;
		goto out;
	}
	scan_json(data, len, 1, &sc);
	if (sc.nul_line) {
		problem(ps, sc.nul_line, "-", "a NUL character (\\u0000) in a string");
		ps->unreadable = true;
		goto out;
	}
	cJSON_ArrayForEach (e, root) {
		const struct element *at =
		    i < sc.elements->len ? &g_array_index(sc.elements, struct element, i) : NULL;
		int line = at ? at->line : 1;

		if (ps->stopped)
			break;
		if (cJSON_IsObject(e))
			read_object(ps, e, line, at ? at->keys : NULL);
		else
			problem(ps, line, "-",
				"element %u is not an object but %s: each is one shop", i + 1,
				cJSON_IsString(e)   ? "a string"
				: cJSON_IsNull(e)   ? "null"
				: cJSON_IsNumber(e) ? "a number"
						    : json_type(e));
		i++;
	}
out:
	g_array_free(sc.elements, TRUE);
	cJSON_Delete(root);
}

/* One object per line; a line that is not one is that line's problem. */
static void parse_json_lines(struct parse *ps, const char *data, size_t len)
{
	size_t start = 0;
	int line = 1;

	while (start < len && !ps->stopped && !ps->unreadable) {
		size_t stop = start, next;
		const char *end = NULL;
		cJSON *obj;

		while (stop < len && data[stop] != '\n' && data[stop] != '\r')
			stop++;
		next = stop < len ? stop + 1 : len;
		if (next < len && data[stop] == '\r' && data[next] == '\n')
			next++;
		if (!only_space(data, start, stop)) {
			obj = cJSON_ParseWithLengthOpts(data + start, stop - start, &end, false);
			if (!obj) {
				syntax_error(ps, data, len,
					     start + (end ? (size_t)(end - (data + start)) : 0),
					     "not JSON (JSON Lines: one object a line)");
			} else if (!only_space(data, (size_t)(end - data), stop)) {
				size_t pos = (size_t)(end - data);

				while ((unsigned char)data[pos] <= ' ')
					pos++;
				syntax_error(ps, data, len, pos,
					     "text after the object (JSON Lines: one object a "
					     "line)");
			} else if (!cJSON_IsObject(obj)) {
				problem(
				    ps, line, "-",
				    "not an object: JSON Lines hold one shop, an object, a line");
			} else {
				struct scan sc = { 0 };

				scan_json(data + start, stop - start, line, &sc);
				if (sc.nul_line) {
					problem(ps, line, "-",
						"a NUL character (\\u0000) in a string");
					ps->unreadable = true;
				} else {
					read_object(ps, obj, line, NULL);
				}
			}
			cJSON_Delete(obj);
		}
		start = next;
		line++;
	}
}

/* JSON text must be UTF-8 without NUL; the CSV reader checks its own. */
static bool json_encoding(struct parse *ps, const char *text, size_t len)
{
	const char *bad;
	char *gb;

	if (g_utf8_validate_len(text, len, &bad))
		return true;
	if (!*bad) {
		problem(ps, line_at(text, len, (size_t)(bad - text)), "-",
			"a NUL byte: is it a text file?");
		return false;
	}
	gb = g_convert(text, (gssize)len, "UTF-8", "GB18030", NULL, NULL, NULL);
	if (gb)
		problem(ps, line_at(text, len, (size_t)(bad - text)), "-",
			"not UTF-8 (it reads as GBK/GB18030): convert it, e.g. iconv -f GB18030 -t "
			"UTF-8");
	else
		problem(ps, line_at(text, len, (size_t)(bad - text)), "-",
			"not UTF-8 (byte 0x%02X): save it as UTF-8", (unsigned char)*bad);
	g_free(gb);
	return false;
}

GPtrArray *listing_parse(const char *text, size_t len, GString *errors, int *problems)
{
	struct parse ps = {
		.errors = errors ? errors : g_string_new(""),
		.shops = g_ptr_array_new_with_free_func(shop_free),
		.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	size_t skip = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
	size_t first = skip;

	while (first < len && text[first] && strchr(" \t\r\n", text[first]))
		first++;
	if (first < len && (text[first] == '[' || text[first] == '{')) {
		if (json_encoding(&ps, text, len)) {
			if (text[first] == '[')
				parse_json_array(&ps, text + skip, len - skip);
			else
				parse_json_lines(&ps, text + skip, len - skip);
		} else {
			ps.unreadable = true;
		}
	} else {
		parse_csv(&ps, text, len);
	}
	/* a partial list would look like a whole one */
	if (ps.unreadable || ps.stopped)
		g_ptr_array_set_size(ps.shops, 0);
	g_hash_table_destroy(ps.keys);
	if (!errors)
		g_string_free(ps.errors, TRUE);
	if (problems)
		*problems = ps.problems;
	return ps.shops;
}
