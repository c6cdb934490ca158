/* Unit tests: licensed scope items and dish keywords (cloud/scope.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>

#include "scope.h"
#include "unit_tmpdir.h"

static void test_items(void **state)
{
	int n = 0;

	(void)state;
	while (scope_item_ids[n])
		n++;
	assert_int_equal(n, 11);
	assert_string_equal(scope_item_ids[0], "prepackaged");
	assert_string_equal(scope_item_ids[10], "other_made");
	assert_string_equal(scope_item_name("hot"), "热食类食品制售");
	assert_string_equal(scope_item_name("drinks"), "自制饮品制售");
	assert_string_equal(scope_item_name("other_sale"), "其他类食品销售");
	assert_null(scope_item_name("HOT"));
	assert_null(scope_item_name(""));
	assert_null(scope_item_name(NULL));
	for (int i = 0; i < n; i++)
		assert_non_null(scope_item_name(scope_item_ids[i]));
}

/* parses to want (NULL: refused, with why starting so) */
static void parses(const char *text, const char *want, const char *why_start)
{
	GString *why = g_string_new("");
	char *got = scope_parse(text, why);

	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
		assert_string_equal(why->str, "");
	} else {
		assert_null(got);
		if (!g_str_has_prefix(why->str, why_start))
			fail_msg("'%s': why is '%s'", text, why->str);
		assert_null(strchr(why->str, '\n'));
	}
	g_free(got);
	g_string_free(why, TRUE);
}

static void test_parse(void **state)
{
	(void)state;
	parses("", "", NULL);
	parses(NULL, "", NULL);
	parses(" ，、 ", "", NULL);
	parses("hot", "hot", NULL);
	parses("cold hot", "hot cold", NULL);
	parses("HOT,Cold;hot", "hot cold", NULL);
	parses("热食类食品制售", "hot", NULL);
	parses("热食类食品", "hot", NULL);
	parses("热食类", "hot", NULL);
	parses("冷食类食品制售、热食类", "hot cold", NULL);
	parses("自制饮品；半成品，预包装食品 散装食品销售\t特殊食品",
	       "prepackaged bulk special drinks semi", NULL);
	parses("其他类食品销售、其他类食品制售", "other_sale other_made", NULL);
	/* full-width letters and separators */
	parses("ｈｏｔ，ｃｏｌｄ；ｒａｗ", "hot cold raw", NULL);
	/* what a licence adds in brackets, with its own separators */
	parses("预包装食品销售（含冷藏冷冻食品、不含婴幼儿配方乳粉）、热食类食品制售",
	       "prepackaged hot", NULL);
	parses("预包装食品（含冷藏冷冻食品）销售", "prepackaged", NULL);
	parses("(备注)hot", "hot", NULL);
	/* every item by id and by name */
	for (int i = 0; scope_item_ids[i]; i++) {
		parses(scope_item_ids[i], scope_item_ids[i], NULL);
		parses(scope_item_name(scope_item_ids[i]), scope_item_ids[i], NULL);
	}
	/* refusals, each saying what */
	parses("盒饭", NULL, "'盒饭' is not a scope item: prepackaged 预包装食品销售, bulk");
	parses("hot、盒饭、外卖", NULL, "'盒饭' is not a scope item");
	parses("热食", NULL, "'热食' is not a scope item");
	parses("其他类食品", NULL, "'其他类食品' is ambiguous: write 其他类食品销售 (other_sale)");
	parses("其他类", NULL, "'其他类' is ambiguous");
	parses("hot (cold", NULL, "'hot (cold' has a '(' without its ')'");
	parses("hot) cold", NULL, "'hot) cold' has a ')' without its '('");
	parses("hot\xFF", NULL, "the scope is not UTF-8");
	parses("a\nb", NULL, "'a' is not a scope item");
	parses("x\x01y", NULL, "'x?y' is not a scope item");
	{
		/* a long text is quoted in part */
		GString *why = g_string_new(""), *t = g_string_new("");

		for (int i = 0; i < 100; i++)
			g_string_append(t, "盒饭");
		assert_null(scope_parse(t->str, why));
		assert_true(g_str_has_prefix(why->str, "'盒饭盒饭"));
		assert_non_null(strstr(why->str, "…' is not a scope item"));
		assert_true(why->len < 1000);
		assert_null(scope_parse("盒饭", NULL));
		g_string_free(t, TRUE);
		g_string_free(why, TRUE);
	}
}

static void test_has(void **state)
{
	(void)state;
	assert_true(scope_has("hot cold", "hot"));
	assert_true(scope_has("hot cold", "cold"));
	assert_false(scope_has("hot cold", "raw"));
	assert_false(scope_has("other_sale", "other"));
	assert_false(scope_has("other_sale other_made", "sale"));
	assert_true(scope_has("other_sale other_made", "other_made"));
	assert_false(scope_has("hotcold", "hot"));
	assert_false(scope_has("", "hot"));
	assert_false(scope_has(NULL, "hot"));
	assert_false(scope_has("hot", NULL));
	assert_false(scope_has("hot", ""));
}

/* the item and keyword dish falls under with c */
#define assert_classify(c, dish, item, kw)                                                         \
	do {                                                                                       \
		const char *k_ = "x";                                                              \
		const char *i_ = scope_classify(c, dish, &k_);                                     \
		if (item) {                                                                        \
			assert_non_null(i_);                                                       \
			assert_string_equal(i_, item);                                             \
			assert_string_equal(k_, kw);                                               \
		} else {                                                                           \
			assert_null(i_);                                                           \
			assert_null(k_);                                                           \
		}                                                                                  \
	} while (0)

static void test_default_keywords(void **state)
{
	struct scope_config *c = scope_config_default();
	const char *none = NULL;

	(void)state;
	assert_non_null(c);
	assert_classify(c, "凉拌面", "cold", "凉拌");
	assert_classify(c, "蛋炒饭", "hot", "炒饭");
	assert_classify(c, "三文鱼刺身", "raw", "三文鱼");
	assert_classify(c, "冰豆浆", "drinks", "豆浆");
	assert_classify(c, "鲜肉月饼", "pastry", "月饼");
	assert_classify(c, "面包", "pastry", "面包");
	assert_classify(c, "牛肉面", "hot", "面");
	assert_classify(c, "凉面", "cold", "凉面");
	assert_classify(c, "凉拌黄瓜", "cold", "凉拌");
	assert_classify(c, "香酥鸡", "hot", "香酥");
	assert_classify(c, "桃酥", "pastry", "桃酥");
	assert_classify(c, "烤生蚝", "hot", "烤生蚝");
	assert_classify(c, "生蚝", "raw", "生蚝");
	assert_classify(c, "香煎三文鱼", "hot", "煎三文鱼");
	assert_classify(c, "卤肉饭", "hot", "卤肉饭");
	assert_classify(c, "卤鸭", "cold", "卤");
	assert_classify(c, "珍珠奶茶（大杯）", "drinks", "奶茶");
	assert_classify(c, "摩卡咖啡蛋糕", "pastry", "蛋糕"); /* a tie: pastry comes first */
	assert_classify(c, "酸梅汤", "drinks", "酸梅汤");
	assert_classify(c, "宫保鸡丁", none, NULL);
	assert_classify(c, "", none, NULL);
	assert_classify(c, "\xFF\xFE", none, NULL);
	assert_null(scope_classify(c, NULL, NULL));
	assert_null(scope_classify(NULL, "凉拌面", NULL));
	assert_string_equal(scope_classify(c, "凉拌面", NULL), "cold");
	scope_config_free(c);
	scope_config_free(NULL);
}

/* loads (errors stay empty) */
static struct scope_config *loads(const char *text)
{
	GString *errors = g_string_new("");
	struct scope_config *c = scope_config_load(tmpdir_write("ok.ini", text), errors);

	if (!c || errors->len)
		fail_msg("refused: %s", errors->str);
	g_string_free(errors, TRUE);
	return c;
}

static void test_config(void **state)
{
	struct scope_config *c;
	const char *none = NULL;

	(void)state;
	c = loads("# dishes\n"
		  "[cold]\n"
		  "keywords = 凉拌 ; 冷菜；ＤＩＹ沙拉;\n"
		  "\n"
		  "  [raw]  \r\n"
		  "keywords=刺身;生鱼片;醉虾\r\n"
		  "[hot]\n"
		  "keywords = 面;炒;拌面\n");
	assert_classify(c, "凉拌面", "cold", "凉拌"); /* 凉拌 and 拌面 tie: cold first */
	assert_classify(c, "炸酱拌面", "hot", "拌面");
	assert_classify(c, "diy沙拉", "cold", "ＤＩＹ沙拉");
	assert_classify(c, "三文鱼刺身", "raw", "刺身");
	assert_classify(c, "冷菜", "cold", "冷菜");
	assert_classify(c, "蛋糕", none, NULL);
	scope_config_free(c);
	/* the defaults' format is the file format; a group with one keyword */
	c = loads("[pastry]\nkeywords = 蛋糕\n");
	assert_classify(c, "蛋糕", "pastry", "蛋糕");
	assert_classify(c, "凉拌面", none, NULL);
	scope_config_free(c);
}

/* refused, with exactly these problem lines (PATH for the file's path) */
static void refuses(const char *text, const char *want)
{
	GString *errors = g_string_new("");
	const char *path = tmpdir_write("bad.ini", text);
	struct scope_config *c = scope_config_load(path, errors);
	GString *expect = g_string_new(want);

	g_string_replace(expect, "PATH", path, 0);
	if (c || strcmp(errors->str, expect->str) != 0)
		fail_msg("%s\n  loaded: %s\n  errors: %s\n  wanted: %s", text, c ? "yes" : "no",
			 errors->str, expect->str);
	g_string_free(expect, TRUE);
	g_string_free(errors, TRUE);
}

static void c_ok(const char *text)
{
	scope_config_free(loads(text));
}

static void test_config_problems(void **state)
{
	GString *errors = g_string_new("already\n"), *big;

	(void)state;
	/* the file */
	assert_null(scope_config_load("/nonexistent/scope.ini", errors));
	assert_true(
	    g_str_has_prefix(errors->str, "already\n/nonexistent/scope.ini: cannot read: "));
	g_string_free(errors, TRUE);
	refuses("", "PATH: no [item] group: no dish would be recognised\n");
	refuses("# only a comment\n", "PATH: no [item] group: no dish would be recognised\n");
	/* its structure, with line numbers */
	refuses("keywords = 炒\n[hot]\nkeywords = 炒\n",
		"PATH:1: a key before the first [group]\n");
	refuses("[hot]\nkeywords = 炒\njust text\n",
		"PATH:3: not a [group], key = value or # comment\n");
	refuses("[hot]\n; comment\nkeywords = 炒\n",
		"PATH:2: a comment starts with '#', not ';'\n");
	refuses("[hot\nkeywords = 炒\n[]\n[a]b]\n",
		"PATH:1: a group is written [name], the name without brackets or control "
		"characters\n"
		"PATH:3: a group is written [name], the name without brackets or control "
		"characters\n"
		"PATH:4: a group is written [name], the name without brackets or control "
		"characters\n");
	refuses("[hot]\nkeywords = 炒\n[cold]\nkeywords = 凉拌\n[hot]\nkeywords = 煮\n",
		"PATH:5: [hot]: again (first on line 1): write each item once\n"
		"PATH:6: [hot]: keywords again (first on line 2)\n");
	refuses("[hot]\nkeywords = 炒\nkeywords = 煮\n",
		"PATH:3: [hot]: keywords again (first on line 2)\n");
	refuses("[hot]\nkeywords[zh] = 炒\n",
		"PATH:2: [hot]: 'keywords[zh]' is not a key: only keywords\n");
	refuses("[hot]\nkeywords = \xFF\n", "PATH:2: not UTF-8: save the file as UTF-8\n");
	{
		static const char nul[] = "[hot]\nkeywords = 炒\n\0\n";
		const char *path = tmpdir_write("nul.ini", "");
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(nul, 1, sizeof nul - 1, f), sizeof nul - 1);
		fclose(f);
		errors = g_string_new("");
		assert_null(scope_config_load(path, errors));
		assert_true(
		    g_str_has_suffix(errors->str, "nul.ini:3: a NUL byte: is it a text file?\n"));
		g_string_free(errors, TRUE);
	}
	/* its groups and keys */
	refuses(
	    "[hot]\nkeywords = 炒\n[盒饭]\nkeywords = 盒饭\n",
	    "PATH: [盒饭]: not a scope item: one of prepackaged, bulk, special, other_sale, hot, "
	    "cold, raw, pastry, drinks, semi, other_made\n");
	refuses("[hot]\n", "PATH: [hot]: keywords: missing\n");
	refuses("[hot]\nkeywords =\n", "PATH: [hot]: keywords: empty\n");
	refuses("[hot]\nkeywords = \\s \n", "PATH: [hot]: keywords: empty\n");
	refuses("[hot]\nkeywords = 炒\nwords = 煮\n",
		"PATH: [hot]: unknown key 'words': only keywords\n");
	refuses("[hot]\nkeywords = 炒\\x\n",
		"PATH: [hot]: keywords: a '\\' that is not \\s \\n \\t \\r or \\\\\n");
	refuses("[hot]\nkeywords = 炒\\ \n", "PATH:2: [hot]: a value ends with a lone '\\'\n");
	c_ok("[hot]\nkeywords = 炒\\\\\n");
	/* its keywords */
	refuses("[hot]\nkeywords = 炒;;煮\n",
		"PATH: [hot]: keyword 2 is empty (two ';' in a row?)\n");
	refuses("[hot]\nkeywords = 炒；　；煮\n",
		"PATH: [hot]: keyword 2 is empty (two ';' in a row?)\n");
	refuses("[hot]\nkeywords = ;炒\n", "PATH: [hot]: keyword 1 is empty (two ';' in a row?)\n");
	refuses(
	    "[hot]\nkeywords = 炒;"
	    "一二三四五六七八九十一二三四五六七八九十一二\n",
	    "PATH: [hot]: keyword '一二三四五六七八九十一二三四五六七八九十一二' is longer than "
	    "64 bytes (66)\n");
	refuses("[hot]\nkeywords = 炒;a\\tb\n",
		"PATH: [hot]: keyword 'a?b' has a control character\n");
	refuses("[hot]\nkeywords = 炒;煮;炒\n", "PATH: [hot]: keyword '炒' is given twice\n");
	refuses("[hot]\nkeywords = 面;炒\n[pastry]\nkeywords = 面包;ｍｉａｎ\n[cold]\nkeywords = "
		"面;MIAN\n",
		"PATH: [cold]: keyword '面' is given in [hot] too\n"
		"PATH: [cold]: keyword 'MIAN' is given in [pastry] too\n");
	/* more than 1,000 keywords: said once, where */
	big = g_string_new("[hot]\nkeywords = ");
	for (int i = 0; i < 600; i++)
		g_string_append_printf(big, "h%d;", i);
	g_string_append(big, "\n[cold]\nkeywords = ");
	for (int i = 0; i < 600; i++)
		g_string_append_printf(big, "c%d;", i);
	g_string_append(big, "\n[raw]\nkeywords = r\n");
	refuses(big->str, "PATH: [cold]: more than 1000 keywords in the file\n");
	g_string_free(big, TRUE);
	/* all problems, up to 50 */
	big = g_string_new("");
	for (int i = 0; i < 60; i++)
		g_string_append_printf(big, "text %d\n", i);
	errors = g_string_new("");
	assert_null(scope_config_load(tmpdir_write("many.ini", big->str), errors));
	{
		char **lines = g_strsplit(errors->str, "\n", -1);

		assert_int_equal(g_strv_length(lines), 52);
		assert_true(
		    g_str_has_suffix(lines[49], ":50: not a [group], key = value or # comment"));
		assert_true(g_str_has_suffix(lines[50], "many.ini: more problems, not shown"));
		g_strfreev(lines);
	}
	g_string_free(errors, TRUE);
	g_string_free(big, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),  cmocka_unit_test(test_parse),
		cmocka_unit_test(test_has),    cmocka_unit_test(test_default_keywords),
		cmocka_unit_test(test_config), cmocka_unit_test(test_config_problems),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
