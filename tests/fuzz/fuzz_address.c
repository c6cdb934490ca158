/*
 * fuzz_address.c — libFuzzer target for what the delivery-platform checks
 * read from outside: pickup addresses (cloud/address.h), licensed scopes
 * and dish names (cloud/scope.h), and, for an input that starts with '[',
 * a keyword config.
 *
 * Input: text (up to its first NUL). abort() when
 *   - address_normalise gives text that is not UTF-8, more than 4 times
 *     the input's bytes, with an ASCII space, control or punctuation
 *     character (but '-' between two ASCII letters or digits), or that
 *     does not normalise to itself; or address_same(x, x) is not "x
 *     normalises to something";
 *   - scope_parse refuses without a one-line UTF-8 reason, or accepts and
 *     gives anything but known ids, in order, once each, one space apart,
 *     that parse to themselves and that scope_has agrees with;
 *   - scope_classify (built-in keywords) names an unknown item, or an item
 *     without its keyword, or a keyword that is not classified as itself;
 *   - a config is refused without problems or with a line that does not
 *     start "FILE:LINE: " or "FILE: ", more than 51 lines, or accepted
 *     with problems; what it accepts classifies as above.
 * Invalid UTF-8 only goes to address_normalise (the output must still be
 * UTF-8 and no longer than 4 times) and the scope functions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "address.h"
#include "scope.h"

static struct scope_config *builtin;
static char *tmpdir, *ini;
static FILE *report; /* the real stderr */

static void fail(const char *what, const char *input, const char *detail)
{
	fprintf(report, "fuzz_address: %s\n  input: %s\n  detail: %s\n", what, input,
		detail ? detail : "");
	abort();
}

static void cleanup(void)
{
	if (ini)
		unlink(ini);
	if (tmpdir)
		rmdir(tmpdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	report = stderr;
	builtin = scope_config_default();
	tmpdir = g_dir_make_tmp("bk-fuzz-address.XXXXXX", NULL);
	if (!tmpdir) {
		fprintf(report, "fuzz_address: cannot make a temporary directory\n");
		abort();
	}
	ini = g_build_filename(tmpdir, "scope.ini", NULL);
	atexit(cleanup);
	if (!getenv("BK_FUZZ_VERBOSE") || strcmp(getenv("BK_FUZZ_VERBOSE"), "1") != 0) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
	return 0;
}

static bool ascii_alnum(char c)
{
	return c > 0 && g_ascii_isalnum(c);
}

static void check_address(const char *text, bool valid)
{
	char *out = address_normalise(text), *again;
	size_t n = strlen(out);

	if (!g_utf8_validate(out, -1, NULL))
		fail("the normalised address is not UTF-8", text, out);
	if (n > 4 * strlen(text))
		fail("the normalised address is more than 4 times as long", text, out);
	if (!valid) {
		g_free(out);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = out[i];

		if (c == '-' && i > 0 && ascii_alnum(out[i - 1]) && ascii_alnum(out[i + 1]))
			continue;
		if (c > 0 && (g_ascii_isspace(c) || g_ascii_ispunct(c) || g_ascii_iscntrl(c)))
			fail("a space, control or punctuation character in a normalised address",
			     text, out);
	}
	again = address_normalise(out);
	if (strcmp(again, out) != 0)
		fail("normalising twice is not normalising once", text, again);
	if (address_same(text, text) != (n > 0))
		fail("address_same(x, x) disagrees with the normal form", text, out);
	g_free(again);
	g_free(out);
}

static void check_scope(const char *text)
{
	GString *why = g_string_new("");
	char *ids = scope_parse(text, why), *again;
	char **tokens;
	int last = -1;

	if (!ids) {
		if (!why->len || strchr(why->str, '\n') || !g_utf8_validate(why->str, -1, NULL))
			fail("a scope refused without a one-line reason", text, why->str);
		g_string_free(why, TRUE);
		return;
	}
	if (why->len)
		fail("a scope accepted with a reason", text, why->str);
	tokens = g_strsplit(ids, " ", -1);
	for (char **t = tokens; *ids && *t; t++) {
		int i = 0;

		while (scope_item_ids[i] && strcmp(scope_item_ids[i], *t) != 0)
			i++;
		if (!scope_item_ids[i] || i <= last)
			fail("a parsed scope is not known ids in order, once each", text, ids);
		last = i;
	}
	for (int i = 0; scope_item_ids[i]; i++) {
		bool listed = false;

		for (char **t = tokens; *t; t++)
			listed |= strcmp(*t, scope_item_ids[i]) == 0;
		if (scope_has(ids, scope_item_ids[i]) != listed)
			fail("scope_has disagrees with the parsed scope", text, scope_item_ids[i]);
	}
	g_strfreev(tokens);
	again = scope_parse(ids, why);
	if (!again || strcmp(again, ids) != 0)
		fail("a parsed scope does not parse to itself", text, again ? again : why->str);
	g_free(again);
	g_free(ids);
	g_string_free(why, TRUE);
}

static void check_classify(const struct scope_config *c, const char *text)
{
	const char *kw = "x", *kw2 = "y";
	const char *item = scope_classify(c, text, &kw), *item2;
	int i = 0;

	if (!item) {
		if (kw)
			fail("a dish not recognised, yet a keyword", text, kw);
		return;
	}
	while (scope_item_ids[i] && strcmp(scope_item_ids[i], item) != 0)
		i++;
	if (!scope_item_ids[i] || !kw || !*kw)
		fail("a dish classified as an unknown item or without a keyword", text, item);
	/* a keyword contains no longer or earlier keyword but itself */
	item2 = scope_classify(c, kw, &kw2);
	if (item2 != item || kw2 != kw)
		fail("a keyword is not classified as itself", text, kw);
}

static void check_config(const char *data, size_t size, const char *text)
{
	GString *errors = g_string_new("");
	struct scope_config *c;
	FILE *f = fopen(ini, "w");
	char **lines;
	size_t prefix = strlen(ini);
	int n = 0;

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fail("cannot write the config", "", ini);
	c = scope_config_load(ini, errors);
	if (c) {
		if (errors->len)
			fail("a config accepted with problems", text, errors->str);
		check_classify(c, text);
		scope_config_free(c);
		g_string_free(errors, TRUE);
		return;
	}
	lines = g_strsplit(errors->str, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *p = *l + prefix;

		if (!**l && !l[1])
			break;
		n++;
		if (strncmp(*l, ini, prefix) != 0 || *p != ':')
			fail("a config problem does not start with the file", text, *l);
		p++;
		if (g_ascii_isdigit(*p)) {
			p += strspn(p, "0123456789");
			if (*p != ':')
				fail("a config problem's line is not FILE:LINE: ", text, *l);
			p++;
		}
		if (*p != ' ' || !p[1] || !g_utf8_validate(*l, -1, NULL))
			fail("a config problem without a reason", text, *l);
	}
	if (n == 0 || n > 51)
		fail("a config refused with no problem or too many", text, errors->str);
	g_strfreev(lines);
	g_string_free(errors, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	bool valid = g_utf8_validate(text, -1, NULL);

	check_address(text, valid);
	check_scope(text);
	check_classify(builtin, text);
	if (size > 0 && data[0] == '[')
		check_config((const char *)data, size, text);
	g_free(text);
	return 0;
}
