/* Unit tests: the CSV reader (cloud/csv.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>

#include "csv.h"

/* Read all of text; each record as "f1|f2|…@line\n", each error as
 * "!line:column fatal? reason\n". */
static char *read_all(const char *text, size_t len)
{
	struct csv *c = csv_new(text, len);
	GString *out = g_string_new("");
	struct csv_record rec;
	struct csv_error err;
	int rc;

	while ((rc = csv_next(c, &rec, &err)) != 0) {
		if (rc < 0) {
			g_string_append_printf(out, "!%d:%d%s %s\n", err.line, err.column,
					       err.fatal ? " fatal" : "", err.reason);
			continue;
		}
		for (int i = 0; i < rec.nfields; i++)
			g_string_append_printf(out, "%s%s", i ? "|" : "", rec.fields[i]);
		g_string_append_printf(out, "@%d\n", rec.line);
	}
	csv_free(c);
	return g_string_free(out, FALSE);
}

#define assert_reads(text, want)                                                                   \
	do {                                                                                       \
		char *got_ = read_all(text, sizeof(text) - 1);                                     \
		assert_string_equal(got_, want);                                                   \
		g_free(got_);                                                                      \
	} while (0)

static void test_plain_and_line_ends(void **state)
{
	(void)state;
	assert_reads("a,b\n1,2\n", "a|b@1\n1|2@2\n");
	assert_reads("a,b\r\n1,2\r\n3,4", "a|b@1\n1|2@2\n3|4@3\n");
	assert_reads("a,b\r1,2\r", "a|b@1\n1|2@2\n");
	/* empty lines skipped, line numbers kept */
	assert_reads("a,b\n\n\r\n1,2\n\n", "a|b@1\n1|2@4\n");
	/* empty fields, a trailing comma */
	assert_reads("a,b,c\n,,\n1,,\n", "a|b|c@1\n||@2\n1||@3\n");
	assert_reads("", "");
	assert_reads("\n\n", "");
}

static void test_quotes(void **state)
{
	(void)state;
	assert_reads("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", "a|b@1\nx,y|say \"hi\"@2\n");
	/* a line break inside quotes: the record starts on line 2, the next on 4 */
	assert_reads("a,b\n\"one\ntwo\r\nthree\",2\n3,4\n",
		     "a|b@1\none\ntwo\r\nthree|2@2\n3|4@5\n");
	assert_reads("a,b\n\"\",\"\"\n", "a|b@1\n|@2\n");
}

static void test_bom_and_utf8(void **state)
{
	(void)state;
	assert_reads("\xEF\xBB\xBF"
		     "名称,地址\n学校食堂,\"北京市, 东城区\"\n",
		     "名称|地址@1\n学校食堂|北京市, 东城区@2\n");
	/* odd Unicode is text like any other */
	assert_reads("a\n\xE2\x80\xAE\xF0\x9F\x8D\x9C\xE2\x80\x8B\n",
		     "a@1\n\xE2\x80\xAE\xF0\x9F\x8D\x9C\xE2\x80\x8B@2\n");
}

static void test_refusals(void **state)
{
	(void)state;
	/* GBK "学校食堂" = D1 A7 D0 A3 CA B3 CC C3 */
	assert_reads("a,b\n1,\xD1\xA7\xD0\xA3\xCA\xB3\xCC\xC3\n",
		     "a|b@1\n!2:2 fatal not UTF-8 (it reads as GBK/GB18030): convert it, e.g. "
		     "iconv -f GB18030 -t UTF-8\n");
	/* not GB18030 either: a lone continuation byte before a comma */
	assert_reads("a,b\n\x80,2\n",
		     "a|b@1\n!2:1 fatal not UTF-8 (byte 0x80): save it as UTF-8\n");
	/* the bad byte is on the third line of a quoted field */
	assert_reads("a,b\n1,\"x\ny\n\xC3(\"\n", "a|b@1\n!4:2 fatal not UTF-8 (byte 0xC3): save it "
						 "as UTF-8\n");
	assert_reads("a,b\n1,2\x00"
		     "3\n",
		     "a|b@1\n!2:2 fatal a NUL byte: is it a text file?\n");
	assert_reads("\xFF\xFE"
		     "a\x00,\x00",
		     "!1:0 fatal UTF-16 text: save it as UTF-8 (\"CSV UTF-8\")\n");
	assert_reads("a,b\n1,\"open\n2,3\n",
		     "a|b@1\n!2:2 fatal a quoted field is not closed: a '\"' is missing (or one "
		     "too many) from this line on\n");
	assert_reads("a,b\n\"x\"y,2\n", "a|b@1\n!2:1 fatal text after a closing quote: a quote "
					"inside a quoted field is written \"\"\n");
	assert_reads("a,b\nx\"y,2\n",
		     "a|b@1\n!2:1 fatal a quote inside an unquoted field: quote the whole field "
		     "and write the quote as \"\"\n");
}

static void test_column_count(void **state)
{
	(void)state;
	/* not fatal: the reader goes on with the next record */
	assert_reads("a,b,c\n1,2\n1,2,3,4\n5,6,7\n",
		     "a|b|c@1\n!2:3 2 fields, the header has 3\n"
		     "!3:4 4 fields, the header has 3 (a comma inside a value must be quoted)\n"
		     "5|6|7@4\n");
}

static void test_append_field(void **state)
{
	GString *s = g_string_new("");

	(void)state;
	csv_append_field(s, "plain 文本");
	g_string_append_c(s, ',');
	csv_append_field(s, "a,b");
	g_string_append_c(s, ',');
	csv_append_field(s, "say \"hi\"");
	g_string_append_c(s, ',');
	csv_append_field(s, " lead");
	g_string_append_c(s, ',');
	csv_append_field(s, "two\nlines");
	assert_string_equal(s->str,
			    "plain 文本,\"a,b\",\"say \"\"hi\"\"\",\" lead\",\"two\nlines\"");
	/* and it reads back */
	g_string_prepend(s, "a,b,c,d,e\n");
	{
		char *got = read_all(s->str, s->len);

		assert_string_equal(got,
				    "a|b|c|d|e@1\nplain 文本|a,b|say \"hi\"| lead|two\nlines@2\n");
		g_free(got);
	}
	g_string_free(s, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_line_ends), cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_bom_and_utf8),	    cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_column_count),	    cmocka_unit_test(test_append_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
