/*
 * Unit tests for checklist.c: the catering template loads with 20 key and
 * 36 general items; results at the boundaries (8 vs 9 general failures, one
 * key failure, na answers, the category filter); every template problem is
 * reported with its line and group. Run from the repository root (as
 * tests/run.sh does): the template is read from checklists/.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "checklist.h"

#define CATERING "checklists/catering-2026.ini"

static struct checklist *load_catering(void)
{
	struct checklist *cl = NULL;
	char *problems = NULL;
	int rc = checklist_load(CATERING, &cl, &problems);

	if (rc != 0)
		fail_msg("cannot load %s: %s", CATERING, problems ? problems : "?");
	return cl;
}

static void test_catering_template(void **state)
{
	struct checklist *cl = load_catering();
	const struct checklist_item *it;
	size_t key = 0;

	(void)state;
	assert_string_equal(cl->id, "catering-2026");
	assert_int_equal(cl->version, 1);
	assert_int_equal(cl->n_items, 56);
	assert_int_equal(cl->n_key, 20);
	assert_int_equal(cl->max_general_failures, 8);
	for (size_t i = 0; i < cl->n_items; i++)
		key += cl->items[i].key;
	assert_int_equal(key, 20);
	it = checklist_find(cl, "1.1");
	assert_non_null(it);
	assert_string_equal(it->section, "许可管理");
	assert_true(it->key);
	assert_null(it->categories);
	it = checklist_find(cl, "10.1");
	assert_non_null(it);
	assert_true(checklist_applies(it, "school_canteen"));
	assert_false(checklist_applies(it, "restaurant"));
	assert_true(checklist_applies(it, NULL));
	assert_null(checklist_find(cl, "99.9"));
	checklist_free(cl);
	checklist_free(NULL);
}

/* Answers to every item of cl: yes, except the first n_general general and
 * n_key key items ("no") and the next n_na items of any kind ("na"). Items
 * of other categories than category are answered "no" to show they do not
 * count. */
static int evaluate(const struct checklist *cl, const char *category, int n_general, int n_key,
		    int n_na, struct checklist_outcome *out, char *err, size_t errlen)
{
	struct checklist_answer *a = calloc(cl->n_items, sizeof *a);
	int rc;

	for (size_t i = 0; i < cl->n_items; i++) {
		const struct checklist_item *it = &cl->items[i];

		a[i].item = it->id;
		a[i].reply = CHECKLIST_YES;
		if (!checklist_applies(it, category))
			a[i].reply = CHECKLIST_NO;
		else if (!it->key && n_general > 0 && n_general--)
			a[i].reply = CHECKLIST_NO;
		else if (it->key && n_key > 0 && n_key--)
			a[i].reply = CHECKLIST_NO;
		else if (n_na > 0 && n_na--)
			a[i].reply = CHECKLIST_NA;
	}
	rc = checklist_evaluate(cl, category, a, cl->n_items, out, err, errlen);
	free(a);
	return rc;
}

static void test_results_table(void **state)
{
	const struct {
		const char *category;
		int general, key, na;
		enum checklist_result want;
		int key_failed, general_failed, skipped;
	} cases[] = {
		{ NULL, 0, 0, 0, CHECKLIST_COMPLIANT, 0, 0, 0 },
		{ NULL, 1, 0, 0, CHECKLIST_BASICALLY_COMPLIANT, 0, 1, 0 },
		{ NULL, 8, 0, 0, CHECKLIST_BASICALLY_COMPLIANT, 0, 8, 0 },
		{ NULL, 9, 0, 0, CHECKLIST_NON_COMPLIANT, 0, 9, 0 },
		{ NULL, 36, 0, 0, CHECKLIST_NON_COMPLIANT, 0, 36, 0 },
		{ NULL, 0, 1, 0, CHECKLIST_NON_COMPLIANT, 1, 0, 0 },
		{ NULL, 1, 1, 0, CHECKLIST_NON_COMPLIANT, 1, 1, 0 },
		{ NULL, 0, 20, 0, CHECKLIST_NON_COMPLIANT, 20, 0, 0 },
		/* na counts for nothing: not as a failure, not as a pass */
		{ NULL, 0, 0, 56, CHECKLIST_COMPLIANT, 0, 0, 0 },
		{ NULL, 8, 0, 30, CHECKLIST_BASICALLY_COMPLIANT, 0, 8, 0 },
		{ NULL, 9, 0, 30, CHECKLIST_NON_COMPLIANT, 0, 9, 0 },
		/* a restaurant: 10.1-10.4 and 10.7 do not apply, their "no" is skipped */
		{ "restaurant", 0, 0, 0, CHECKLIST_COMPLIANT, 0, 0, 5 },
		{ "restaurant", 8, 0, 0, CHECKLIST_BASICALLY_COMPLIANT, 0, 8, 5 },
		{ "restaurant", 9, 0, 0, CHECKLIST_NON_COMPLIANT, 0, 9, 5 },
		{ "school_canteen", 0, 0, 0, CHECKLIST_COMPLIANT, 0, 0, 4 },
		{ "small_eatery", 0, 0, 0, CHECKLIST_COMPLIANT, 0, 0, 4 },
	};
	struct checklist *cl = load_catering();

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct checklist_outcome out;
		char err[256] = "";

		if (evaluate(cl, cases[i].category, cases[i].general, cases[i].key, cases[i].na,
			     &out, err, sizeof err) != 0)
			fail_msg("case %zu: %s", i, err);
		if (out.result != cases[i].want || out.key_failed != cases[i].key_failed ||
		    out.general_failed != cases[i].general_failed ||
		    out.skipped != cases[i].skipped)
			fail_msg("case %zu: %s key %d general %d skipped %d, want %s %d %d %d", i,
				 checklist_result_names[out.result], out.key_failed,
				 out.general_failed, out.skipped,
				 checklist_result_names[cases[i].want], cases[i].key_failed,
				 cases[i].general_failed, cases[i].skipped);
		assert_int_equal(out.passed + out.not_applicable + out.key_failed +
				     out.general_failed + out.skipped,
				 56);
	}
	checklist_free(cl);
}

static void test_category_key_item(void **state)
{
	struct checklist *cl = load_catering();
	struct checklist_answer a[56];
	struct checklist_outcome out;
	char err[256];

	(void)state;
	for (size_t i = 0; i < cl->n_items; i++)
		a[i] = (struct checklist_answer){ cl->items[i].id, CHECKLIST_YES };
	a[checklist_find(cl, "10.1") - cl->items].reply = CHECKLIST_NO; /* 留样, key, schools */
	assert_int_equal(checklist_evaluate(cl, "restaurant", a, 56, &out, err, sizeof err), 0);
	assert_int_equal(out.result, CHECKLIST_COMPLIANT);
	assert_int_equal(checklist_evaluate(cl, "school_canteen", a, 56, &out, err, sizeof err), 0);
	assert_int_equal(out.result, CHECKLIST_NON_COMPLIANT);
	assert_int_equal(out.key_failed, 1);
	assert_string_equal(checklist_result_labels[out.result], "不符合");
	/* a restaurant need not answer the items of other categories at all */
	size_t n = 0;
	for (size_t i = 0; i < cl->n_items; i++) {
		if (checklist_applies(&cl->items[i], "restaurant"))
			a[n++] = (struct checklist_answer){ cl->items[i].id, CHECKLIST_YES };
	}
	assert_int_equal(n, 51);
	assert_int_equal(checklist_evaluate(cl, "restaurant", a, n, &out, err, sizeof err), 0);
	assert_int_equal(out.result, CHECKLIST_COMPLIANT);
	assert_int_equal(out.skipped, 5);
	checklist_free(cl);
}

static void test_evaluate_rejects(void **state)
{
	struct checklist *cl = load_catering();
	struct checklist_answer a[57];
	struct checklist_outcome out;
	char err[256];

	(void)state;
	for (size_t i = 0; i < cl->n_items; i++)
		a[i] = (struct checklist_answer){ cl->items[i].id, CHECKLIST_YES };
	assert_int_equal(checklist_evaluate(cl, NULL, a, 55, &out, err, sizeof err), -EINVAL);
	assert_string_equal(err, "item '10.7' is not answered (na if it does not apply)");
	assert_int_equal(checklist_evaluate(cl, "school_canteen", a, 51, &out, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "item '10.5' is not answered"));
	a[56] = (struct checklist_answer){ "1.1", CHECKLIST_NO };
	assert_int_equal(checklist_evaluate(cl, NULL, a, 57, &out, err, sizeof err), -EINVAL);
	assert_string_equal(err, "answers[56]: item '1.1' answered twice");
	a[56] = (struct checklist_answer){ "11.1", CHECKLIST_NO };
	assert_int_equal(checklist_evaluate(cl, NULL, a, 57, &out, err, sizeof err), -EINVAL);
	assert_string_equal(err, "answers[56]: item '11.1' is not in checklist catering-2026");
	checklist_free(cl);
}

static void test_evaluate_json(void **state)
{
	const char *head = "[checklist]\nid = t\nversion = 3\ntitle = 测试\n"
			   "categories = restaurant;school_canteen\nmax_general_failures = 1\n"
			   "[item 1]\nsection = 甲\ntext = 一\nkey = true\n"
			   "[item 2]\nsection = 甲\ntext = 二\nkey = false\n"
			   "[item 3]\nsection = 乙\ntext = 三\nkey = false\n"
			   "[item 4]\nsection = 乙\ntext = 四\nkey = false\n"
			   "categories = school_canteen\n";
	const struct {
		const char *answers;
		const char *category;
		int rc;
		enum checklist_result want;
	} cases[] = {
		{ "[{\"item\":\"1\",\"answer\":\"yes\"},{\"item\":\"2\",\"answer\":\"no\"},"
		  "{\"item\":\"3\",\"answer\":\"na\"}]",
		  "restaurant", 0, CHECKLIST_BASICALLY_COMPLIANT },
		{ "[{\"item\":\"1\",\"answer\":\"yes\"},{\"item\":\"2\",\"answer\":\"no\"},"
		  "{\"item\":\"3\",\"answer\":\"no\"}]",
		  "restaurant", 0, CHECKLIST_NON_COMPLIANT },
		{ "[{\"item\":\"1\",\"answer\":\"yes\"},{\"item\":\"2\",\"answer\":\"no\"},"
		  "{\"item\":\"3\",\"answer\":\"yes\"},{\"item\":\"4\",\"answer\":\"no\"}]",
		  "school_canteen", 0, CHECKLIST_NON_COMPLIANT },
		{ "[{\"item\":\"1\",\"answer\":\"maybe\"}]", NULL, -EINVAL, 0 },
		{ "[{\"item\":1,\"answer\":\"yes\"}]", NULL, -EINVAL, 0 },
		{ "{}", NULL, -EINVAL, 0 },
		{ "[]", NULL, -EINVAL, 0 },
	};
	struct checklist *cl;
	char *problems;

	(void)state;
	assert_int_equal(checklist_parse(head, strlen(head), "t.ini", &cl, &problems), 0);
	assert_null(problems);
	assert_int_equal(cl->max_general_failures, 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *a = cJSON_Parse(cases[i].answers);
		struct checklist_outcome out;
		char err[256] = "";
		int rc = checklist_evaluate_json(cl, cases[i].category, a, &out, err, sizeof err);

		if (rc != cases[i].rc || (rc == 0 && out.result != cases[i].want))
			fail_msg("case %zu: rc %d result %d (%s)", i, rc, rc ? -1 : (int)out.result,
				 err);
		cJSON_Delete(a);
	}
	checklist_free(cl);
}

#define HEAD                                                                                       \
	"[checklist]\nid = t\nversion = 1\ntitle = 测试\ncategories = restaurant;school_canteen\n"
#define ITEM(n) "[item " n "]\nsection = 许可管理\ntext = 文本\nkey = true\n"

static void test_template_problems(void **state)
{
	const struct {
		const char *text;
		const char *want; /* a part of the problems; NULL: valid */
	} cases[] = {
		{ HEAD ITEM("1.1"), NULL },
		{ "# only a comment\n\n[checklist]\r\nid = t\r\nversion = 7\r\ntitle = x\r\n"
		  "categories = a;b;\r\n" ITEM("1"),
		  NULL },
		{ "", "t.ini:1: no [checklist] group" },
		{ ITEM("1.1"), "t.ini:1: no [checklist] group" },
		{ "id = t\n" HEAD ITEM("1.1"), "t.ini:1: key 'id' before the first [group]" },
		{ HEAD "just words\n" ITEM("1.1"),
		  "t.ini:6: [checklist] 'just words' is not 'key = value'" },
		{ HEAD "[item 1.1\n", "t.ini:6: '[item 1.1' is not a [group] line" },
		{ HEAD ITEM("1.1") ITEM("1.1"),
		  "t.ini:10: [item 1.1] group repeated (first on line 6)" },
		{ HEAD ITEM("1.1") "text = 又一次\n",
		  "t.ini:10: [item 1.1] key 'text' repeated (first on line 8)" },
		{ HEAD "text[en] = x\n" ITEM("1.1"),
		  "t.ini:6: [checklist] key 'text[en]': only letters" },
		{ HEAD "[item 1.1]\nsection = s\ntext = t\nkey = maybe\n",
		  "t.ini:9: [item 1.1] key 'key': 'maybe' is not true or false" },
		{ HEAD "[item 1.1]\nsection = s\nkey = true\n",
		  "t.ini:6: [item 1.1] key 'text' is missing" },
		{ HEAD "[item 1.1]\nsection = s\ntext = t\n",
		  "t.ini:6: [item 1.1] key 'key' is missing" },
		{ HEAD "[item 1.1]\nsection = s\ntext =\nkey = true\n",
		  "t.ini:8: [item 1.1] key 'text': empty" },
		{ HEAD ITEM("1.1") "colour = red\n",
		  "t.ini:10: [item 1.1] key 'colour' is not known here" },
		{ HEAD ITEM("1.1") "[section 1]\nname = x\n",
		  "t.ini:10: [section 1] not a group of a checklist" },
		{ HEAD ITEM("1/1"), "t.ini:6: [item 1/1] '1/1' is not an item number" },
		{ HEAD ITEM("1.1") "categories = school\n",
		  "t.ini:10: [item 1.1] key 'categories': 'school' is not among [checklist] "
		  "categories" },
		{ HEAD ITEM("1.1") "categories = restaurant;restaurant\n",
		  "'restaurant' is listed twice" },
		{ "[checklist]\nid = t\nversion = 0\ntitle = x\ncategories = a\n" ITEM("1"),
		  "t.ini:3: [checklist] key 'version': '0' is not a whole number in 1..1000000" },
		{ "[checklist]\nid = t\nversion = 1x\ntitle = x\ncategories = a\n" ITEM("1"),
		  "key 'version': '1x' is not a whole number" },
		{ "[checklist]\nid = t t\nversion = 1\ntitle = x\ncategories = a\n" ITEM("1"),
		  "t.ini:2: [checklist] key 'id': 't t' is not 1..63" },
		{ "[checklist]\nid = t\nversion = 1\ncategories = a\n" ITEM("1"),
		  "t.ini:1: [checklist] key 'title' is missing" },
		{ "[checklist]\nid = t\nversion = 1\ntitle = x\ncategories = 学校\n" ITEM("1"),
		  "'学校' is not a category code" },
		{ HEAD, "t.ini:0: no [item NUMBER] groups" },
		{ HEAD "[item 1.1]\nsection = \xe8\xae\n", "t.ini:7: not UTF-8" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct checklist *cl = NULL;
		char *problems = NULL;
		int rc =
		    checklist_parse(cases[i].text, strlen(cases[i].text), "t.ini", &cl, &problems);

		if (!cases[i].want) {
			if (rc != 0)
				fail_msg("case %zu: refused: %s", i, problems);
			assert_non_null(cl);
			checklist_free(cl);
			continue;
		}
		if (rc != -EINVAL || cl)
			fail_msg("case %zu: accepted, want '%s'", i, cases[i].want);
		if (!problems || !strstr(problems, cases[i].want))
			fail_msg("case %zu: problems '%s' do not mention '%s'", i,
				 problems ? problems : "(none)", cases[i].want);
		g_free(problems);
	}
}

/* Every problem is reported, not only the first; a NUL byte is one. */
static void test_all_problems_and_files(void **state)
{
	const char text[] = HEAD "[item 1]\nsection = s\nkey = perhaps\ncolour = red\n"
				 "[item 2]\ntext = t\nkey = true\ncategories = nowhere\n";
	const char nul[] = HEAD "[item 1]\ntext = a\0b\nsection = s\nkey = true\n";
	struct checklist *cl;
	char *problems;
	int lines = 0;

	(void)state;
	assert_int_equal(checklist_parse(text, strlen(text), "t.ini", &cl, &problems), -EINVAL);
	for (const char *p = problems; *p; p++)
		lines += *p == '\n';
	if (lines != 5)
		fail_msg("want 5 problems, got:\n%s", problems);
	/* in the order of the file */
	assert_non_null(strstr(problems,
			       "t.ini:6: [item 1] key 'text' is missing\n"
			       "t.ini:8: [item 1] key 'key': 'perhaps' is not true or false\n"
			       "t.ini:9: [item 1] key 'colour' is not known here\n"
			       "t.ini:10: [item 2] key 'section' is missing\n"));
	g_free(problems);
	assert_int_equal(checklist_parse(nul, sizeof nul - 1, "t.ini", &cl, &problems), -EINVAL);
	assert_non_null(strstr(problems, "t.ini:7: a NUL byte in the line"));
	g_free(problems);
	assert_int_equal(checklist_load("/nonexistent/x.ini", &cl, &problems), -ENOENT);
	assert_null(cl);
	assert_non_null(strstr(problems, "cannot read checklist '/nonexistent/x.ini'"));
	g_free(problems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catering_template),
		cmocka_unit_test(test_results_table),
		cmocka_unit_test(test_category_key_item),
		cmocka_unit_test(test_evaluate_rejects),
		cmocka_unit_test(test_evaluate_json),
		cmocka_unit_test(test_template_problems),
		cmocka_unit_test(test_all_problems_and_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
