/*
 * output.h — bkctl's two output forms for rows of named values: an aligned
 * text table (display width counts CJK characters as two columns) or a
 * JSON array of objects. Rows are collected, then printed by output_finish.
 */
#ifndef BK_OUTPUT_H
#define BK_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "archive.h"

struct output;

struct output *output_new(bool json);
/* An archive_row_fn: pass output as ctx. */
void output_row(void *output, int ncols, const char *const *names,
		const struct archive_value *values);
/* Print everything to out (NULL: print nothing, e.g. after an error) and free. */
void output_finish(struct output *o, FILE *out);

/* Display width of UTF-8 text in terminal columns. */
int output_width(const char *text);

/* text for a terminal (g_free it): control characters (C0, DEL, C1) as
 * \u001b and bytes that are not UTF-8 as \xff, so that text from a box or a
 * CSV file cannot move the cursor, clear the screen or retitle the window
 * of whoever reads a table. The JSON form prints text exactly. */
char *output_printable(const char *text);

#endif
