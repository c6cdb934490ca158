/*
 * fuzz_checklist.c — libFuzzer target for checklist templates
 * (common/checklist.h): the input is the template text, parsed in memory
 * with checklist_parse.
 *
 * A refusal must come with problems: 1..101 lines, each "t.ini:LINE: …"
 * with a non-empty reason, lines in ascending order. An accepted template
 * must obey what the loader promises (items 1..CHECKLIST_MAX_ITEMS, ids
 * valid and unique, text and section non-empty, categories from the
 * vocabulary, n_key right), and evaluating it must follow DOMAIN.md: all
 * yes → compliant, all na → compliant, all no → non_compliant exactly when
 * a key item or more than max_general_failures general items apply.
 * abort() otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "checklist.h"
#include "jcheck.h"

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_checklist: %s\n  detail: %s\n", what, detail ? detail : "");
	abort();
}

static void check_problems(const char *problems)
{
	int lines = 0;
	long last = -1;

	if (!problems || !*problems)
		fail("refused without a problem", NULL);
	for (const char *p = problems; *p;) {
		const char *nl = strchr(p, '\n');
		char *end;
		long line;

		if (!nl)
			fail("a problem does not end in a newline", p);
		if (strncmp(p, "t.ini: ", 7) == 0) {
			if (!strstr(p, "more problems not shown") || nl[1])
				fail("a summary line that is not the last", p);
		} else if (strncmp(p, "t.ini:", 6) == 0) {
			line = strtol(p + 6, &end, 10);
			if (end == p + 6 || *end != ':' || end[1] != ' ' || end + 2 >= nl)
				fail("a problem is not 't.ini:LINE: reason'", p);
			if (line < last)
				fail("problems out of line order", problems);
			last = line;
		} else {
			fail("a problem does not start with the name", p);
		}
		lines++;
		p = nl + 1;
	}
	if (lines > 101)
		fail("more than 101 problem lines", NULL);
}

static void check_template(const struct checklist *cl)
{
	size_t n_key = 0, applicable_key = 0, applicable_general = 0;
	struct checklist_answer *a;
	struct checklist_outcome out;
	char err[256];
	const char *category = cl->categories[0]; /* NULL: every item */

	if (!cl->id || !jc_is_ident(cl->id, NULL, 63) || cl->version < 1 || !cl->title ||
	    !*cl->title || cl->n_items == 0 || cl->n_items > CHECKLIST_MAX_ITEMS ||
	    cl->max_general_failures < 0)
		fail("accepted a template with a bad [checklist] group", cl->id);
	for (size_t i = 0; i < cl->n_items; i++) {
		const struct checklist_item *it = &cl->items[i];

		if (!jc_is_ident(it->id, NULL, CHECKLIST_ITEM_ID_MAX) || !it->text || !*it->text ||
		    !it->section || !*it->section || checklist_find(cl, it->id) != it)
			fail("accepted a bad or repeated item", it->id);
		for (char **c = it->categories; c && *c; c++) {
			if (!g_strv_contains((const char *const *)cl->categories, *c))
				fail("accepted a category outside the vocabulary", *c);
		}
		n_key += it->key;
		if (checklist_applies(it, category)) {
			applicable_key += it->key;
			applicable_general += !it->key;
		}
	}
	if (n_key != cl->n_key)
		fail("n_key is wrong", cl->id);

	a = g_new(struct checklist_answer, cl->n_items);
	for (int reply = CHECKLIST_YES; reply <= CHECKLIST_NA; reply++) {
		enum checklist_result want = CHECKLIST_COMPLIANT;

		for (size_t i = 0; i < cl->n_items; i++)
			a[i] = (struct checklist_answer){ cl->items[i].id,
							  (enum checklist_reply)reply };
		if (checklist_evaluate(cl, category, a, cl->n_items, &out, err, sizeof err) != 0)
			fail("a full set of answers is refused", err);
		if (reply == CHECKLIST_NO) {
			if (applicable_key || applicable_general > (size_t)cl->max_general_failures)
				want = CHECKLIST_NON_COMPLIANT;
			else if (applicable_general)
				want = CHECKLIST_BASICALLY_COMPLIANT;
		}
		if (out.result != want)
			fail("the result does not follow DOMAIN.md",
			     checklist_result_names[out.result]);
		if ((size_t)(out.passed + out.not_applicable + out.key_failed + out.general_failed +
			     out.skipped) != cl->n_items)
			fail("the outcome's counts do not add up", NULL);
	}
	/* one answer short is refused, when the missing item applies */
	if (checklist_applies(&cl->items[cl->n_items - 1], category) &&
	    checklist_evaluate(cl, category, a, cl->n_items - 1, &out, err, sizeof err) != -EINVAL)
		fail("a missing answer is not refused", NULL);
	g_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checklist *cl = NULL;
	char *problems = NULL;
	int rc = checklist_parse((const char *)data, size, "t.ini", &cl, &problems);

	if (rc == 0) {
		if (!cl || problems)
			fail("accepted without a checklist, or with problems", problems);
		check_template(cl);
	} else {
		if (rc != -EINVAL || cl)
			fail("refused with a checklist or an unexpected code", NULL);
		check_problems(problems);
	}
	checklist_free(cl);
	g_free(problems);
	return 0;
}
