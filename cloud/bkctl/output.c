/*
 * output.c — see output.h.
 */
#include "output.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <string.h>

struct output {
	bool json;
	cJSON *array;	  /* json */
	GPtrArray *names; /* table: column names (char*) */
	GPtrArray *rows;  /* table: GPtrArray of char* cells */
};

struct output *output_new(bool json)
{
	struct output *o = g_new0(struct output, 1);

	o->json = json;
	o->array = cJSON_CreateArray();
	o->names = g_ptr_array_new_with_free_func(g_free);
	o->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	return o;
}

static char *cell_text(const struct archive_value *v)
{
	switch (v->type) {
	case VALUE_INT:
		return g_strdup_printf("%lld", (long long)v->i);
	case VALUE_REAL:
		return g_strdup_printf("%.2f", v->r);
	case VALUE_TEXT:
		return output_printable(v->text);
	default:
		return g_strdup("-");
	}
}

static cJSON *json_value(const struct archive_value *v)
{
	switch (v->type) {
	case VALUE_INT:
		return cJSON_CreateNumber((double)v->i);
	case VALUE_REAL:
		return cJSON_CreateNumber(v->r);
	case VALUE_TEXT:
		/* archived messages are UTF-8; a reject's head may be any bytes */
		if (!g_utf8_validate(v->text, -1, NULL)) {
			char *valid = g_utf8_make_valid(v->text, -1);
			cJSON *s = cJSON_CreateString(valid);

			g_free(valid);
			return s;
		}
		return cJSON_CreateString(v->text);
	default:
		return cJSON_CreateNull();
	}
}

void output_row(void *output, int ncols, const char *const *names,
		const struct archive_value *values)
{
	struct output *o = output;

	if (o->json) {
		cJSON *obj = cJSON_CreateObject();

		for (int i = 0; i < ncols; i++)
			cJSON_AddItemToObject(obj, names[i], json_value(&values[i]));
		cJSON_AddItemToArray(o->array, obj);
		return;
	}
	if (o->names->len == 0) {
		for (int i = 0; i < ncols; i++)
			g_ptr_array_add(o->names, g_ascii_strup(names[i], -1));
	}
	GPtrArray *row = g_ptr_array_new_with_free_func(g_free);

	for (int i = 0; i < ncols; i++)
		g_ptr_array_add(row, cell_text(&values[i]));
	g_ptr_array_add(o->rows, row);
}

int output_width(const char *text)
{
	int w = 0;

	if (!g_utf8_validate(text, -1, NULL))
		return (int)strlen(text);
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		w += g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
	}
	return w;
}

char *output_printable(const char *text)
{
	GString *s = g_string_sized_new(strlen(text));

	for (const char *p = text; *p;) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(s, "\\x%02x", (unsigned char)*p++);
			continue;
		}
		if (c < 0x20 || (c >= 0x7F && c < 0xA0))
			g_string_append_printf(s, "\\u%04x", (unsigned)c);
		else
			g_string_append_len(s, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(s, FALSE);
}

static void print_cell(FILE *out, const char *text, int width, bool last)
{
	fputs(text, out);
	if (!last)
		fprintf(out, "%*s", width - output_width(text) + 2, "");
}

void output_finish(struct output *o, FILE *out)
{
	if (!out) {
		/* nothing to print: just free */
	} else if (o->json) {
		char *text = cJSON_Print(o->array);

		fprintf(out, "%s\n", text);
		cJSON_free(text);
	} else if (o->rows->len == 0) {
		fprintf(out, "(no rows)\n");
	} else {
		guint ncols = o->names->len;
		int *width = g_new0(int, ncols);

		for (guint c = 0; c < ncols; c++)
			width[c] = output_width(g_ptr_array_index(o->names, c));
		for (guint r = 0; r < o->rows->len; r++) {
			GPtrArray *row = g_ptr_array_index(o->rows, r);

			for (guint c = 0; c < ncols; c++)
				width[c] = MAX(width[c], output_width(g_ptr_array_index(row, c)));
		}
		for (guint c = 0; c < ncols; c++)
			print_cell(out, g_ptr_array_index(o->names, c), width[c], c + 1 == ncols);
		fputc('\n', out);
		for (guint r = 0; r < o->rows->len; r++) {
			GPtrArray *row = g_ptr_array_index(o->rows, r);

			for (guint c = 0; c < ncols; c++)
				print_cell(out, g_ptr_array_index(row, c), width[c],
					   c + 1 == ncols);
			fputc('\n', out);
		}
		g_free(width);
	}
	cJSON_Delete(o->array);
	g_ptr_array_free(o->names, TRUE);
	g_ptr_array_free(o->rows, TRUE);
	g_free(o);
}
