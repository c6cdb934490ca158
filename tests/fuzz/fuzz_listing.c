/*
 * fuzz_listing.c — libFuzzer target for the delivery platforms' shop
 * listings (cloud/listing.h): CSV, JSON arrays and JSON Lines.
 *
 * Input: the file. abort() when
 *   - problems is not the number of error lines (or LISTING_MAX_PROBLEMS
 *     and one more line saying checking stopped), or a line is not
 *     "LINE:FIELD: reason" with LINE in the file, FIELD a field's English
 *     name or "-", the reason printable UTF-8;
 *   - a shop breaks the rules of the header: a required field NULL, not
 *     UTF-8, a control character, a length out of bounds, a platform that
 *     is not an id, a status not open/closed/offline, more than 2,000
 *     dishes; its line is outside the file or goes backwards; two shops
 *     have the same (platform, shop_id);
 *   - the shops do not add up with the rows, counted here apart (the CSV
 *     reader's records after the header, a JSON array's elements, the
 *     non-blank lines of JSON Lines): never more shops than rows; no
 *     problem means every row is a shop; a problem means at least one row
 *     fewer, or none at all;
 *   - accepted shops, written again as a JSON array (and as CSV when no
 *     dish holds a separator), do not read back to the same shops.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "csv.h"
#include "listing.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_listing: %s\n  detail: %s\n", what, detail ? detail : "");
	abort();
}

static bool printable(const char *s)
{
	if (!g_utf8_validate(s, -1, NULL))
		return false;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0))
			return false;
	}
	return true;
}

static bool no_space(const char *s)
{
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		if (!g_unichar_isgraph(g_utf8_get_char(p)))
			return false;
	}
	return true;
}

static int count_lines(const char *data, size_t len)
{
	int n = 1;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < len && data[i + 1] == '\n')))
			n++;
	}
	return n;
}

static bool all_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] > ' ')
			return false;
	}
	return true;
}

/* The rows of the file, counted without listing.c; -1 when it does not
 * read as what its first character says. */
static int count_rows(const char *data, size_t len)
{
	size_t skip = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0, first = skip;
	int rows = 0;

	while (first < len && (data[first] == ' ' || data[first] == '\t' || data[first] == '\r' ||
			       data[first] == '\n'))
		first++;
	if (first < len && data[first] == '[') {
		cJSON *root = cJSON_ParseWithLength(data + skip, len - skip);

		rows = root && cJSON_IsArray(root) ? cJSON_GetArraySize(root) : -1;
		cJSON_Delete(root);
	} else if (first < len && data[first] == '{') {
		size_t start = skip;

		while (start < len) {
			size_t stop = start;

			while (stop < len && data[stop] != '\n' && data[stop] != '\r')
				stop++;
			if (!all_space(data + start, stop - start))
				rows++;
			start = stop + 1;
		}
	} else {
		struct csv *c = csv_new(data, len);
		struct csv_record rec;
		struct csv_error err;
		int rc;

		while ((rc = csv_next(c, &rec, &err)) != 0) {
			if (rc > 0 || !err.fatal)
				rows++;
		}
		csv_free(c);
		rows = rows > 0 ? rows - 1 : 0; /* the header */
	}
	return rows;
}

static bool is_field(const char *s, size_t n)
{
	static const char *const names[] = { "platform",       "shop_id", "shop_name", "licence",
					     "pickup_address", "dishes",  "status",    "-" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strlen(names[i]) == n && !memcmp(s, names[i], n))
			return true;
	}
	return false;
}

static void check_errors(const char *errors, int problems, int lines)
{
	char **l = g_strsplit(errors, "\n", -1);
	int n = 0;
	bool stopped = false;

	if (*errors && !g_str_has_suffix(errors, "\n"))
		fail("the errors do not end with a line break", errors);
	for (char **p = l; *p && **p; p++, n++) {
		const char *s = *p, *colon;
		long line = strtol(s, NULL, 10);

		if (stopped)
			fail("a problem after checking stopped", errors);
		if (!g_ascii_isdigit(*s) || line < 1 || line > lines)
			fail("a problem line without a line of the file", *p);
		s += strspn(s, "0123456789");
		colon = *s == ':' ? strstr(s + 1, ": ") : NULL;
		if (!colon || !is_field(s + 1, (size_t)(colon - s - 1)) || !colon[2])
			fail("a problem line is not LINE:FIELD: reason", *p);
		if (!printable(colon + 2))
			fail("a reason is not printable UTF-8", *p);
		/* (a reason quoting a value holds quotes: it never equals this) */
		stopped = !strcmp(colon + 2, "more than 50 problems: checking stopped here");
	}
	if (stopped ? problems != LISTING_MAX_PROBLEMS || n != problems + 1 : n != problems)
		fail("problems is not the number of error lines", errors);
	g_strfreev(l);
}

static void check_shop(const struct listing_shop *s, int lines, int last)
{
	static const char *const statuses[] = { "open", "closed", "offline" };
	bool status_ok = false;
	size_t n;

	if (!s->platform || !s->shop_id || !s->name || !s->address || !s->dishes || !s->status)
		fail("a shop without a required field", s->shop_id);
	if (s->line < 1 || s->line > lines || s->line < last)
		fail("a shop's line is outside the file or goes backwards", s->shop_id);
	n = strlen(s->platform);
	if (n < 1 || n > 32 || !g_ascii_islower(s->platform[0]) ||
	    strspn(s->platform, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		fail("a platform that is not a lower-case id", s->platform);
	n = strlen(s->shop_id);
	if (n < 1 || n > 64 || !printable(s->shop_id) || !no_space(s->shop_id))
		fail("a bad shop id", s->shop_id);
	n = strlen(s->name);
	if (n < 1 || n > 255 || !printable(s->name))
		fail("a bad shop name", s->name);
	n = strlen(s->address);
	if (n < 1 || n > 512 || !printable(s->address))
		fail("a bad address", s->address);
	if (s->licence) {
		n = strlen(s->licence);
		if (n < 1 || n > 63 || !printable(s->licence) || !no_space(s->licence))
			fail("a bad licence", s->licence);
	}
	if (s->dishes->len > 2000)
		fail("more than 2,000 dishes", s->shop_id);
	for (guint i = 0; i < s->dishes->len; i++) {
		const char *d = g_ptr_array_index(s->dishes, i);

		n = strlen(d);
		if (n < 1 || n > 128 || !printable(d))
			fail("a bad dish", d);
		if (g_unichar_isspace(g_utf8_get_char(d)) ||
		    g_unichar_isspace(g_utf8_get_char(g_utf8_prev_char(d + n))))
			fail("a dish with a space at one end", d);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(statuses); i++)
		status_ok |= !strcmp(s->status, statuses[i]);
	if (!status_ok)
		fail("a status not open, closed or offline", s->status);
}

static bool same_shop(const struct listing_shop *a, const struct listing_shop *b)
{
	if (strcmp(a->platform, b->platform) || strcmp(a->shop_id, b->shop_id) ||
	    strcmp(a->name, b->name) || strcmp(a->address, b->address) ||
	    strcmp(a->status, b->status) || !a->licence != !b->licence ||
	    (a->licence && strcmp(a->licence, b->licence)) || a->dishes->len != b->dishes->len)
		return false;
	for (guint i = 0; i < a->dishes->len; i++) {
		if (strcmp(g_ptr_array_index(a->dishes, i), g_ptr_array_index(b->dishes, i)))
			return false;
	}
	return true;
}

static void read_back(const GPtrArray *shops, const char *text, size_t len, const char *how)
{
	GString *errors = g_string_new("");
	int problems = -1;
	GPtrArray *again = listing_parse(text, len, errors, &problems);

	if (problems != 0 || again->len != shops->len)
		fail(how, errors->len ? errors->str : text);
	for (guint i = 0; i < shops->len; i++) {
		if (!same_shop(g_ptr_array_index(shops, i), g_ptr_array_index(again, i)))
			fail(how, text);
	}
	g_ptr_array_free(again, TRUE);
	g_string_free(errors, TRUE);
}

static bool has_separator(const char *dish)
{
	return strpbrk(dish, ";|") || strstr(dish, "；") || strstr(dish, "、");
}

static void round_trip(const GPtrArray *shops)
{
	cJSON *array = cJSON_CreateArray();
	GString *csv =
	    g_string_new("platform,shop_id,shop_name,licence,pickup_address,dishes,status\n");
	bool csv_ok = true;
	char *json;

	for (guint i = 0; i < shops->len; i++) {
		const struct listing_shop *s = g_ptr_array_index(shops, i);
		cJSON *o = cJSON_CreateObject(), *dishes = cJSON_CreateArray();
		const char *cols[] = { s->platform, s->shop_id, s->name,
				       s->licence ? s->licence : "", s->address };

		cJSON_AddStringToObject(o, "platform", s->platform);
		cJSON_AddStringToObject(o, "shop_id", s->shop_id);
		cJSON_AddStringToObject(o, "shop_name", s->name);
		if (s->licence)
			cJSON_AddStringToObject(o, "licence", s->licence);
		else
			cJSON_AddNullToObject(o, "licence");
		cJSON_AddStringToObject(o, "pickup_address", s->address);
		for (guint d = 0; d < s->dishes->len; d++)
			cJSON_AddItemToArray(dishes,
					     cJSON_CreateString(g_ptr_array_index(s->dishes, d)));
		cJSON_AddItemToObject(o, "dishes", dishes);
		cJSON_AddStringToObject(o, "status", s->status);
		cJSON_AddItemToArray(array, o);

		for (size_t c = 0; c < G_N_ELEMENTS(cols); c++) {
			csv_append_field(csv, cols[c]);
			g_string_append_c(csv, ',');
		}
		{
			GString *joined = g_string_new("");

			for (guint d = 0; d < s->dishes->len; d++) {
				const char *dish = g_ptr_array_index(s->dishes, d);

				csv_ok &= !has_separator(dish);
				g_string_append_printf(joined, "%s%s", d ? ";" : "", dish);
			}
			csv_append_field(csv, joined->str);
			g_string_free(joined, TRUE);
		}
		g_string_append_printf(csv, ",%s\r\n", s->status);
	}
	json = cJSON_Print(array);
	read_back(shops, json, strlen(json), "shops written as JSON do not read back the same");
	if (csv_ok)
		read_back(shops, csv->str, csv->len,
			  "shops written as CSV do not read back the same");
	cJSON_free(json);
	cJSON_Delete(array);
	g_string_free(csv, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	GString *errors = g_string_new("");
	int problems = -1, lines = count_lines(text, size), rows = count_rows(text, size), last = 0;
	GPtrArray *shops = listing_parse(text, size, errors, &problems);
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (!shops)
		fail("no array", NULL);
	if (getenv("BK_FUZZ_VERBOSE"))
		fprintf(stderr, "%u shops, %d rows, %d problems\n%s", shops->len, rows, problems,
			errors->str);
	check_errors(errors->str, problems, lines);
	for (guint i = 0; i < shops->len; i++) {
		const struct listing_shop *s = g_ptr_array_index(shops, i);

		check_shop(s, lines, last);
		last = s->line;
		if (!g_hash_table_add(keys, g_strdup_printf("%s\x1f%s", s->platform, s->shop_id)))
			fail("the same shop twice", s->shop_id);
	}
	if ((int)shops->len > (rows < 0 ? 0 : rows))
		fail("more shops than rows", errors->str);
	if (problems == 0 && (int)shops->len != rows)
		fail("no problem, but not every row is a shop", NULL);
	if (problems > 0 && shops->len > 0 && (int)shops->len + 1 > rows)
		fail("a problem, yet every row is a shop", errors->str);
	if (problems == 0 && shops->len > 0)
		round_trip(shops);
	g_hash_table_destroy(keys);
	g_ptr_array_free(shops, TRUE);
	g_string_free(errors, TRUE);
	return 0;
}
