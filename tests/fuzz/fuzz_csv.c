/*
 * fuzz_csv.c — libFuzzer target for the registry's CSV files: the reader
 * (cloud/csv.h) and the import's checks (archive_registry_import).
 *
 * Input: one byte choosing the kind (modulo the number of kinds), then the
 * file. abort() when
 *   - the reader hands out a field that is not UTF-8, a record or field line
 *     that goes backwards, an error without a reason or line, or a record
 *     after a fatal error;
 *   - an import is refused without problems, or a problem line is not
 *     "LINE:COLUMN: reason", or more than 51 lines;
 *   - an import accepted reports problems, or its export does not import
 *     again unchanged (0 rows changed) and export again to the same bytes.
 * The archive is SQLite in memory with one establishment and one box
 * already registered (so that box and camera rows can pass); it is made
 * again after an input that changed it, so inputs stay independent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "archive.h"
#include "csv.h"
#include "log.h"

static struct archive *a;
static FILE *report; /* the real stderr */

static void fail(const char *what, const char *detail)
{
	fprintf(report, "fuzz_csv: %s\n  detail: %s\n", what, detail ? detail : "");
	abort();
}

static void fresh_archive(void)
{
	GString *errors = g_string_new("");
	static const char est[] =
	    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
	    "licence_expires\nJY11101010001234,食堂,school_canteen,110101,地址,,,,\n";
	static const char box[] = "box,licence,provisioned\nbox-a,JY11101010001234,2026-11-01\n";

	archive_close(a);
	a = archive_open(":memory:", false);
	if (!a ||
	    archive_registry_import(a, REGISTRY_ESTABLISHMENTS, est, strlen(est), errors) != 1 ||
	    archive_registry_import(a, REGISTRY_BOXES, box, strlen(box), errors) != 1)
		fail("cannot set up the archive", errors->str);
	g_string_free(errors, TRUE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report = stderr;
	log_init("fuzz_csv", LOG_ERROR);
	fresh_archive();
	if (!getenv("BK_FUZZ_VERBOSE") || strcmp(getenv("BK_FUZZ_VERBOSE"), "1") != 0) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
	return 0;
}

static void read_all(const char *data, size_t size)
{
	struct csv *c = csv_new(data, size);
	struct csv_record rec;
	struct csv_error err;
	int rc, last = 0;
	bool fatal = false;

	while ((rc = csv_next(c, &rec, &err)) != 0) {
		if (fatal)
			fail("a record after a fatal error", NULL);
		if (rc < 0) {
			if (!err.reason[0] || err.line < 1)
				fail("an error without a reason or a line", err.reason);
			fatal = err.fatal;
			continue;
		}
		if (rec.line < last || rec.nfields < 1)
			fail("a record line goes backwards", NULL);
		last = rec.line;
		for (int i = 0; i < rec.nfields; i++) {
			if (!g_utf8_validate(rec.fields[i], -1, NULL))
				fail("a field is not UTF-8", NULL);
			if (rec.field_lines[i] < last)
				fail("a field line goes backwards", rec.fields[i]);
			last = rec.field_lines[i];
		}
	}
	csv_free(c);
}

static void check_problems(const char *errors)
{
	char **lines = g_strsplit(errors, "\n", -1);
	int n = 0;

	for (char **l = lines; *l; l++) {
		const char *p = *l, *colon;

		if (!*p) {
			if (l[1])
				fail("an empty problem line", errors);
			continue;
		}
		n++;
		if (!g_ascii_isdigit(*p))
			fail("a problem line without a line number", *l);
		p += strspn(p, "0123456789");
		colon = *p == ':' ? strstr(p + 1, ": ") : NULL;
		if (!colon || colon == p + 1 || memchr(p + 1, ':', (size_t)(colon - p - 1)) ||
		    !colon[2])
			fail("a problem line is not LINE:COLUMN: reason", *l);
	}
	if (n == 0 || n > 51)
		fail("refused with no problem or too many", errors);
	g_strfreev(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum registry_kind kind;
	GString *errors, *out, *again;
	const char *csv = (const char *)data + 1;
	int rc;

	if (size < 1)
		return 0;
	kind = (enum registry_kind)(data[0] % REGISTRY_KINDS);
	read_all(csv, size - 1);

	errors = g_string_new("");
	rc = archive_registry_import(a, kind, csv, size - 1, errors);
	if (rc == -EINVAL) {
		check_problems(errors->str);
	} else if (rc < 0) {
		fail("import failed", errors->str);
	} else {
		if (errors->len)
			fail("accepted with problems", errors->str);
		out = g_string_new("");
		again = g_string_new("");
		if (archive_registry_export(a, kind, out) != 0)
			fail("export failed", NULL);
		rc = archive_registry_import(a, kind, out->str, out->len, errors);
		if (rc != 0)
			fail(rc < 0 ? "the export does not import" : "the export changes rows",
			     errors->len ? errors->str : out->str);
		if (archive_registry_export(a, kind, again) != 0 || strcmp(out->str, again->str))
			fail("export, import, export is not the same", again->str);
		g_string_free(out, TRUE);
		g_string_free(again, TRUE);
		fresh_archive();
	}
	g_string_free(errors, TRUE);
	return 0;
}
