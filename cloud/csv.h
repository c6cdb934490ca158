/*
 * csv.h — a small RFC 4180 reader for the registry's CSV files.
 *
 * Accepted: fields separated by ',', records ended by CRLF, LF or a lone CR
 * (old Mac exports), fields quoted with '"' ("" inside is one quote, line
 * breaks inside are kept), a UTF-8 byte-order mark at the start, empty lines
 * (skipped), no line break after the last record.
 * Refused, with the line and the field's number: text that is not UTF-8
 * (with an iconv hint when it reads as GBK/GB18030), UTF-16, NUL bytes, an
 * unterminated quote, a quote inside an unquoted field, text after a
 * closing quote, and a record whose number of fields differs from the
 * first record's (the header).
 *
 * Lines are physical lines of the input, counted from 1; a field's line is
 * the one where it starts (a quoted field may span several). Costs: one
 * pass, one copy of each field. Not thread-safe: one struct csv per user.
 */
#ifndef BK_CSV_H
#define BK_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

struct csv;

/* One record. fields[i] is NUL-terminated valid UTF-8 (the reader refuses
 * NUL bytes, so strlen is its length); all of it is owned by the reader
 * and valid until the next csv_next or csv_free. */
struct csv_record {
	int line; /* where the record starts */
	int nfields;
	char **fields;
	const int *field_lines; /* where each field starts */
};

struct csv_error {
	int line;
	int column; /* the field's number, from 1; 0: the whole line */
	bool fatal; /* the input cannot be read on: csv_next returns 0 from now on */
	char reason[200];
};

/* A reader over data[0..len), which must outlive it (it is not copied). */
struct csv *csv_new(const char *data, size_t len);
void csv_free(struct csv *c);

/* The next record: 1 with rec filled, 0 at the end of the input, -EINVAL
 * with err filled. After a non-fatal error (a wrong number of fields) the
 * next call goes on with the following record. */
int csv_next(struct csv *c, struct csv_record *rec, struct csv_error *err);

/* Append text to out as one CSV field: quoted (with "" for ") when it holds
 * a comma, a quote, a line break or a leading or trailing space. */
void csv_append_field(GString *out, const char *text);

#endif
