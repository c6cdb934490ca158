/*
 * csv.c — see csv.h.
 *
 * Structure is read byte by byte: ',', '"', CR and LF are ASCII and never
 * occur inside a UTF-8 (or a GBK) multi-byte character, so a file in the
 * wrong encoding still splits into the right fields, and the encoding is
 * checked per field, where the line and the field are known.
 */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct csv {
	const char *data, *p, *end;
	int line;	   /* the physical line p is on */
	int expect;	   /* fields per record: the header's, 0 before it */
	bool failed;	   /* a fatal error was reported */
	GPtrArray *fields; /* the current record's (char *) */
	GArray *lines;	   /* the current record's field lines (int) */
	GString *buf;
};

struct csv *csv_new(const char *data, size_t len)
{
	struct csv *c = g_new0(struct csv, 1);

	c->data = data;
	c->p = data;
	c->end = data + len;
	c->line = 1;
	c->fields = g_ptr_array_new_with_free_func(g_free);
	c->lines = g_array_new(FALSE, FALSE, sizeof(int));
	c->buf = g_string_new("");
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		c->p += 3;
	return c;
}

void csv_free(struct csv *c)
{
	if (!c)
		return;
	g_ptr_array_free(c->fields, TRUE);
	g_array_free(c->lines, TRUE);
	g_string_free(c->buf, TRUE);
	g_free(c);
}

__attribute__((format(printf, 5, 6))) static int fail(struct csv *c, struct csv_error *err,
						      int line, int column, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->column = column;
	err->fatal = true;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof err->reason, fmt, ap);
	va_end(ap);
	c->failed = true;
	return -EINVAL;
}

/* Whether the whole input reads as GB18030 (of which GBK and GB2312 are
 * subsets): the usual encoding of a CSV saved by Chinese Excel or WPS. */
static bool looks_gb18030(const struct csv *c)
{
	gsize n = (gsize)(c->end - c->data);
	char *utf8 = g_convert(c->data, (gssize)n, "UTF-8", "GB18030", NULL, NULL, NULL);
	bool ok = utf8 != NULL;

	g_free(utf8);
	return ok;
}

/* Check one field's encoding; on failure report the line of the bad byte. */
static int check_utf8(struct csv *c, struct csv_error *err, const char *text, size_t len, int line,
		      int column)
{
	const char *bad;

	if (g_utf8_validate_len(text, len, &bad))
		return 0;
	for (const char *q = text; q < bad; q++) {
		if (*q == '\n' || (*q == '\r' && !(q + 1 < bad && q[1] == '\n')))
			line++;
	}
	if (looks_gb18030(c))
		return fail(c, err, line, column,
			    "not UTF-8 (it reads as GBK/GB18030): convert it, e.g. iconv -f "
			    "GB18030 -t UTF-8");
	return fail(c, err, line, column, "not UTF-8 (byte 0x%02X): save it as UTF-8",
		    (unsigned char)*bad);
}

/* At a line break (CRLF, LF or a lone CR): step over it. */
static bool line_break(struct csv *c)
{
	if (c->p < c->end && *c->p == '\r') {
		c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
	} else if (c->p < c->end && *c->p == '\n') {
		c->p++;
	} else {
		return false;
	}
	c->line++;
	return true;
}

/* A quoted field, c->p just after its opening quote, into c->buf. */
static int quoted(struct csv *c, struct csv_error *err, int column)
{
	int start = c->line;

	for (;;) {
		if (c->p == c->end)
			return fail(c, err, start, column,
				    "a quoted field is not closed: a '\"' is missing (or one too "
				    "many) from this line on");
		char ch = *c->p;

		if (ch == '\0')
			return fail(c, err, c->line, column, "a NUL byte: is it a text file?");
		if (ch == '"') {
			if (c->p + 1 < c->end && c->p[1] == '"') {
				g_string_append_c(c->buf, '"');
				c->p += 2;
				continue;
			}
			c->p++;
			break;
		}
		if (ch == '\n' || (ch == '\r' && !(c->p + 1 < c->end && c->p[1] == '\n')))
			c->line++;
		g_string_append_c(c->buf, ch);
		c->p++;
	}
	if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
		return fail(c, err, c->line, column,
			    "text after a closing quote: a quote inside a quoted field is "
			    "written \"\"");
	return 0;
}

/* An unquoted field, up to ',' or the end of the line, into c->buf. */
static int unquoted(struct csv *c, struct csv_error *err, int column)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
		if (*c->p == '\0')
			return fail(c, err, c->line, column, "a NUL byte: is it a text file?");
		if (*c->p == '"')
			return fail(c, err, c->line, column,
				    "a quote inside an unquoted field: quote the whole field and "
				    "write the quote as \"\"");
		c->p++;
	}
	g_string_append_len(c->buf, start, c->p - start);
	return 0;
}

int csv_next(struct csv *c, struct csv_record *rec, struct csv_error *err)
{
	int column = 1, line;

	memset(err, 0, sizeof *err);
	if (c->failed)
		return 0;
	if (c->p == c->data && c->end - c->data >= 2 &&
	    (memcmp(c->data, "\xFF\xFE", 2) == 0 || memcmp(c->data, "\xFE\xFF", 2) == 0))
		return fail(c, err, 1, 0, "UTF-16 text: save it as UTF-8 (\"CSV UTF-8\")");
	while (line_break(c)) {
		/* empty lines are skipped */
	}
	if (c->p == c->end)
		return 0;
	g_ptr_array_set_size(c->fields, 0);
	g_array_set_size(c->lines, 0);
	line = c->line;
	for (;;) {
		int field_line = c->line;
		int rc;

		g_string_truncate(c->buf, 0);
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			rc = quoted(c, err, column);
		} else {
			rc = unquoted(c, err, column);
		}
		if (!rc)
			rc = check_utf8(c, err, c->buf->str, c->buf->len, field_line, column);
		if (rc)
			return rc;
		g_ptr_array_add(c->fields, g_strndup(c->buf->str, c->buf->len));
		g_array_append_val(c->lines, field_line);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			column++;
			continue;
		}
		line_break(c);
		break;
	}
	rec->line = line;
	rec->nfields = (int)c->fields->len;
	rec->fields = (char **)c->fields->pdata;
	rec->field_lines = (const int *)(void *)c->lines->data;
	if (c->expect == 0) {
		c->expect = rec->nfields;
	} else if (rec->nfields != c->expect) {
		bool more = rec->nfields > c->expect;

		err->line = more ? rec->field_lines[c->expect] : line;
		err->column = more ? c->expect + 1 : rec->nfields + 1;
		err->fatal = false;
		snprintf(err->reason, sizeof err->reason, "%d fields, the header has %d%s",
			 rec->nfields, c->expect,
			 more ? " (a comma inside a value must be quoted)" : "");
		return -EINVAL;
	}
	return 1;
}

void csv_append_field(GString *out, const char *text)
{
	size_t n = strlen(text);
	bool quote =
	    strpbrk(text, ",\"\r\n") != NULL || (n > 0 && (text[0] == ' ' || text[n - 1] == ' '));

	if (!quote) {
		g_string_append(out, text);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}
