/* Unit tests: shop listings of the delivery platforms (cloud/listing.h):
 * CSV with English or Chinese headers, JSON arrays and JSON Lines, every
 * field's values and refusals with their line and field, the lines of
 * JSON elements, duplicates, the problem cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>

#include "listing.h"

#define EN_HEADER "platform,shop_id,shop_name,licence,pickup_address,dishes,status\n"
#define ADDR	  "浙江省杭州市西湖区文三路 1 号"

struct result {
	char *shops;  /* one line a shop, see parse() */
	char *errors; /* as listing_parse wrote them */
	int problems;
};

/* Parse text; each shop as "LINE platform/shop_id name|licence|address|
 * dish;dish|status\n", licence "(none)" when NULL. Checks what holds for
 * every input: problems counts the error lines (the cap's line aside), a
 * shop has every field, a refused file has no shops. */
static void parse(const char *text, size_t len, struct result *r)
{
	GString *errors = g_string_new("");
	GString *out = g_string_new("");
	GPtrArray *shops = listing_parse(text, len, errors, &r->problems);
	int lines = 0;

	assert_non_null(shops);
	for (guint i = 0; i < shops->len; i++) {
		const struct listing_shop *s = g_ptr_array_index(shops, i);

		assert_true(s->line >= 1);
		assert_non_null(s->platform);
		assert_non_null(s->shop_id);
		assert_non_null(s->name);
		assert_non_null(s->address);
		assert_non_null(s->dishes);
		assert_non_null(s->status);
		g_string_append_printf(out, "%d %s/%s %s|%s|%s|", s->line, s->platform, s->shop_id,
				       s->name, s->licence ? s->licence : "(none)", s->address);
		for (guint d = 0; d < s->dishes->len; d++)
			g_string_append_printf(out, "%s%s", d ? ";" : "",
					       (char *)g_ptr_array_index(s->dishes, d));
		g_string_append_printf(out, "|%s\n", s->status);
	}
	for (const char *p = errors->str; *p; p++)
		lines += *p == '\n';
	if (strstr(errors->str, "checking stopped"))
		assert_int_equal(lines, LISTING_MAX_PROBLEMS + 1);
	else
		assert_int_equal(lines, r->problems);
	g_ptr_array_free(shops, TRUE);
	r->shops = g_string_free(out, FALSE);
	r->errors = g_string_free(errors, FALSE);
}

static void result_clear(struct result *r)
{
	g_free(r->shops);
	g_free(r->errors);
}

/* Each line of want is the start of the same line of got: LINE:FIELD and
 * the beginning of the reason, so that a test names what matters. */
static bool errors_start(const char *got, const char *want)
{
	/* a last line may be given without its line break */
	char *want_nl = g_strconcat(want, *want && !g_str_has_suffix(want, "\n") ? "\n" : "", NULL);
	char **g = g_strsplit(got, "\n", -1), **w = g_strsplit(want_nl, "\n", -1);
	bool ok = g_strv_length(g) == g_strv_length(w);

	for (int i = 0; ok && w[i]; i++)
		ok = g_str_has_prefix(g[i], w[i]);
	if (!ok)
		print_error("errors:\n%s\nwant lines starting:\n%s\n", got, want);
	g_strfreev(g);
	g_strfreev(w);
	g_free(want_nl);
	return ok;
}

#define assert_listing(text, want_shops, want_errors)                                              \
	do {                                                                                       \
		struct result r_;                                                                  \
		parse(text, strlen(text), &r_);                                                    \
		assert_string_equal(r_.shops, want_shops);                                         \
		assert_true(errors_start(r_.errors, want_errors));                                 \
		result_clear(&r_);                                                                 \
	} while (0)

/* --- CSV --------------------------------------------------------------------- */

static void test_csv_english(void **state)
{
	(void)state;
	assert_listing(EN_HEADER "meituan,MT1001,老王家常菜,JY13301060000001," ADDR
				 ",宫保鸡丁;米饭;凉拌黄瓜,营业\n"
				 "eleme,E-2002,小李奶茶,JY13301060000002,浙江省杭州市西湖区教工路 "
				 "18 号,珍珠奶茶,休息\n",
		       "2 meituan/MT1001 老王家常菜|JY13301060000001|" ADDR
		       "|宫保鸡丁;米饭;凉拌黄瓜|open\n"
		       "3 eleme/E-2002 小李奶茶|JY13301060000002|浙江省杭州市西湖区教工路 18 "
		       "号|珍珠奶茶|closed\n",
		       "");
	/* English headers in any case, with spaces around them */
	assert_listing("Platform, SHOP_ID ,Shop_Name,pickup_address\nmeituan,1,店,址\n",
		       "2 meituan/1 店|(none)|址||open\n", "");
}

static void test_csv_chinese_any_order(void **state)
{
	(void)state;
	/* columns in any order; licence, dishes and status left out */
	assert_listing("店铺名称,取餐地址,平台,店铺ID\n老王家常菜," ADDR ",美团,MT1001\n",
		       "2 meituan/MT1001 老王家常菜|(none)|" ADDR "||open\n", "");
	/* the other Chinese names */
	assert_listing("状态,菜品,许可证编号,地址,店名,店铺编号,平台\n"
		       "打烊,三文鱼刺身,JY13301060000003,西湖区 2 号,寿司店,S3,饿了么\n",
		       "2 eleme/S3 寿司店|JY13301060000003|西湖区 2 号|三文鱼刺身|closed\n", "");
	assert_listing("平台,店铺id,店名,地址,许可证号\n京东,J1,店,址,JY13301060000004\n",
		       "2 jd/J1 店|JY13301060000004|址||open\n", "");
}

static void test_csv_bom_crlf_quotes(void **state)
{
	(void)state;
	/* a BOM, CRLF, a comma in a quoted address, dishes over three lines:
	 * the next row starts on line 5 */
	assert_listing("\xEF\xBB\xBF" EN_HEADER "meituan,M1,\"店, 一号\",,\"" ADDR ", 2 楼\","
		       "\"宫保鸡丁;\r\n米饭;\r\n凉拌黄瓜\",\r\n"
		       "meituan,M2,店二,,址,,\r\n"
		       "\r\n"
		       "meituan,M3,店三,,址,,\r\n",
		       "2 meituan/M1 店, 一号|(none)|" ADDR ", 2 楼|宫保鸡丁;米饭;凉拌黄瓜|open\n"
		       "5 meituan/M2 店二|(none)|址||open\n"
		       "7 meituan/M3 店三|(none)|址||open\n",
		       "");
	/* a lone CR ends a line too */
	assert_listing(EN_HEADER "meituan,M1,店,,址,,\rmeituan,M2,店,,址,,\r",
		       "2 meituan/M1 店|(none)|址||open\n3 meituan/M2 店|(none)|址||open\n", "");
	/* a line break inside a shop name is refused on the line it starts */
	assert_listing(EN_HEADER "meituan,M1,\"店\n名\",,址,,\nmeituan,M2,\"a\",,址,,\n",
		       "4 meituan/M2 a|(none)|址||open\n",
		       "2:shop_name: a control character (U+000A) in '店\\x0A名': write it on "
		       "one line\n");
}

static void test_status_synonyms(void **state)
{
	static const char *const words[][2] = {
		{ "", "open" },
		{ "open", "open" },
		{ "OPEN", "open" },
		{ "营业", "open" },
		{ "营业中", "open" },
		{ "正常", "open" },
		{ "closed", "closed" },
		{ "休息", "closed" },
		{ "休息中", "closed" },
		{ "暂停营业", "closed" },
		{ "打烊", "closed" },
		{ "offline", "offline" },
		{ "下线", "offline" },
		{ "已下线", "offline" },
		{ "关店", "offline" },
		{ "delisted", "offline" },
		{ "Delisted", "offline" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
		char *text = g_strdup_printf(EN_HEADER "meituan,M1,店,,址,,%s\n", words[i][0]);
		char *want = g_strdup_printf("2 meituan/M1 店|(none)|址||%s\n", words[i][1]);

		assert_listing(text, want, "");
		g_free(text);
		g_free(want);
	}
	assert_listing(EN_HEADER "meituan,M1,店,,址,,营业吗\n", "",
		       "2:status: '营业吗' is not a status: open (营业, 营业中, 正常), closed");
	/* no spaces around a status */
	assert_listing(EN_HEADER "meituan,M1,店,,址,, open\n", "",
		       "2:status: ' open' is not a status");
}

static void test_licence_none(void **state)
{
	static const char *const none[] = { "",	    "无",     "暂无",	       "未公示",
					    "-",    "N/A",    "n/a",	       "none",
					    "NONE", " 暂无 ", "\xE3\x80\x80无" };

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(none); i++) {
		char *text = g_strdup_printf(EN_HEADER "meituan,M1,店,%s,址,,\n", none[i]);

		assert_listing(text, "2 meituan/M1 店|(none)|址||open\n", "");
		g_free(text);
	}
	/* spaces around a licence are dropped (a full-width one too); other
	 * licences are kept as shown: checking them is the archive's work */
	assert_listing(EN_HEADER "meituan,M1,店,\" JY13301060000001\xE3\x80\x80\",址,,\n"
				 "meituan,M2,店,餐饮服务许可证2011-330106-000123,址,,\n",
		       "2 meituan/M1 店|JY13301060000001|址||open\n"
		       "3 meituan/M2 店|餐饮服务许可证2011-330106-000123|址||open\n",
		       "");
}

static void test_platform_aliases(void **state)
{
	static const char *const names[][2] = {
		{ "美团", "meituan" },
		{ "美团外卖", "meituan" },
		{ "饿了么", "eleme" },
		{ "抖音", "douyin" },
		{ "抖音外卖", "douyin" },
		{ "京东", "jd" },
		{ "京东外卖", "jd" },
		{ "MeiTuan", "meituan" },
		{ "Ele_me-2", "ele_me-2" },
		{ "x", "x" },
		{ "a2345678901234567890123456789012", "a2345678901234567890123456789012" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *text = g_strdup_printf(EN_HEADER "%s,M1,店,,址,,\n", names[i][0]);
		char *want = g_strdup_printf("2 %s/M1 店|(none)|址||open\n", names[i][1]);

		assert_listing(text, want, "");
		g_free(text);
		g_free(want);
	}
}

static void test_dishes(void **state)
{
	GString *many = g_string_new(EN_HEADER "meituan,M1,店,,址,");
	struct result r;

	(void)state;
	assert_listing(
	    EN_HEADER "meituan,M1,店,,址,宫保鸡丁;米饭；凉拌黄瓜、三文鱼刺身|珍珠奶茶,\n",
	    "2 meituan/M1 店|(none)|址|宫保鸡丁;米饭;凉拌黄瓜;三文鱼刺身;珍珠奶茶|open\n", "");
	/* empty names skipped, spaces around names dropped, spaces inside kept */
	assert_listing(EN_HEADER "meituan,M1,店,,址,\";; 宫保 鸡丁 ;\xE3\x80\x80;|米饭;\",\n",
		       "2 meituan/M1 店|(none)|址|宫保 鸡丁;米饭|open\n", "");
	/* 2,000 dishes are fine, 2,001 are not */
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(many, "%s菜%d", i ? ";" : "", i);
	g_string_append(many, ",\n");
	parse(many->str, many->len, &r);
	assert_int_equal(r.problems, 0);
	assert_true(g_str_has_suffix(r.shops, ";菜1999|open\n"));
	result_clear(&r);
	g_string_insert(many, (gssize)(many->len - 2), ";one more");
	parse(many->str, many->len, &r);
	assert_string_equal(r.shops, "");
	assert_string_equal(r.errors, "2:dishes: more than 2000 dishes\n");
	result_clear(&r);
	g_string_free(many, TRUE);
}

/* Every field's refusals, each with its line and field. */
static void test_field_refusals(void **state)
{
	char *long_id = g_strnfill(65, 'x');
	char *long_name = g_strnfill(256, 'n');
	char *long_licence = g_strnfill(64, 'L');
	char *long_address = g_strnfill(513, 'a');
	char *long_dish = g_strnfill(129, 'd');
	char *ok_lengths, *text;

	(void)state;
	/* the longest of each are fine */
	ok_lengths = g_strdup_printf(EN_HEADER "%.32s,%.64s,%.255s,%.63s,%.512s,%.128s,\n",
				     "a234567890123456789012345678901234", long_id, long_name,
				     long_licence, long_address, long_dish);
	{
		struct result r;

		parse(ok_lengths, strlen(ok_lengths), &r);
		assert_int_equal(r.problems, 0);
		assert_true(g_str_has_prefix(r.shops, "2 a2345678901234567890123456789012/xxx"));
		result_clear(&r);
	}
	text = g_strdup_printf(EN_HEADER ",M1,店,,址,,\n"	/* 2 */
					 "美团网,M2,店,,址,,\n" /* 3 */
					 "1mt,M3,店,,址,,\n"
					 "mei tuan,M4,店,,址,,\n"
					 "a234567890123456789012345678901234,M5,店,,址,,\n"
					 "meituan,,店,,址,,\n" /* 7 */
					 "meituan,M 8,店,,址,,\n"
					 "meituan,%s,店,,址,,\n"
					 "meituan,\"M\t10\",店,,址,,\n"
					 "meituan,M11,,,址,,\n" /* 11 */
					 "meituan,M12,%s,,址,,\n"
					 "meituan,M13,\"店\x7F\",,址,,\n"
					 "meituan,M14,店\xC2\x85,,址,,\n"
					 "meituan,M15,店,%s,址,,\n" /* 15 */
					 "meituan,M16,店,JY 13301060000001,址,,\n"
					 "meituan,M17,店,\"JY\t1\",址,,\n"
					 "meituan,M18,店,,,,\n" /* 18 */
					 "meituan,M19,店,,%s,,\n"
					 "meituan,M20,店,,\"址\x01\",,\n"
					 "meituan,M21,店,,址,米饭;%s,\n" /* 21 */
					 "meituan,M22,店,,址,\"米饭;凉\t拌\",\n"
					 "meituan,M23,店,,址,,休业\n",
			       long_id, long_name, long_licence, long_address, long_dish);
	assert_listing(
	    text, "",
	    "2:platform: empty: platform is required\n"
	    "3:platform: '美团网' is not a platform: an id (a letter, then up to 31 letters, "
	    "digits, '_' or '-', e.g. meituan) or 美团, 美团外卖, 饿了么, 抖音, 抖音外卖, 京东, "
	    "京东外卖\n"
	    "4:platform: '1mt' is not a platform\n"
	    "5:platform: 'mei tuan' is not a platform\n"
	    "6:platform: 'a234567890123456789012345678901234' is not a platform\n"
	    "7:shop_id: empty: shop_id is required\n"
	    "8:shop_id: a space or control character (U+0020) in the shop id 'M 8'\n"
	    "9:shop_id: longer than 64 bytes (65): "
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxx…'\n"
	    "10:shop_id: a space or control character (U+0009) in the shop id 'M\\x0910'\n"
	    "11:shop_name: empty: shop_name is required\n"
	    "12:shop_name: longer than 255 bytes (256): 'nnnn\n"
	    "13:shop_name: a control character (U+007F) in '店\\x7F': write it on one line\n"
	    "14:shop_name: a control character (U+0085) in '店\\u0085': write it on one line\n"
	    "15:licence: longer than 63 bytes (64): 'LLL\n"
	    "16:licence: a space or control character (U+0020) in the licence number 'JY "
	    "13301060000001'\n"
	    "17:licence: a space or control character (U+0009) in the licence number "
	    "'JY\\x091'\n"
	    "18:pickup_address: empty: pickup_address is required\n"
	    "19:pickup_address: longer than 512 bytes (513): 'aaa\n"
	    "20:pickup_address: a control character (U+0001) in '址\\x01'\n"
	    "21:dishes: a dish longer than 128 bytes (129): 'ddd\n"
	    "22:dishes: a control character (U+0009) in '凉\\x09拌'\n"
	    "23:status: '休业' is not a status\n");
	g_free(text);
	/* several problems in one row: each reported, the row left out */
	assert_listing(EN_HEADER ",,,,,,x\nmeituan,M1,店,,址,,\n",
		       "3 meituan/M1 店|(none)|址||open\n",
		       "2:platform: empty\n2:shop_id: empty\n2:shop_name: empty\n"
		       "2:pickup_address: empty\n2:status: 'x' is not a status\n");
	g_free(ok_lengths);
	g_free(long_id);
	g_free(long_name);
	g_free(long_licence);
	g_free(long_address);
	g_free(long_dish);
}

static void test_duplicates(void **state)
{
	(void)state;
	/* 美团 is meituan: the same shop; the same id on another platform is not */
	assert_listing(EN_HEADER "meituan,MT1,店一,,址,,\n"
				 "eleme,MT1,店一,,址,,\n"
				 "美团,MT1,店一 (重复),,址,,\n"
				 "meituan,MT1,店一,,址,,\n",
		       "2 meituan/MT1 店一|(none)|址||open\n3 eleme/MT1 店一|(none)|址||open\n",
		       "4:shop_id: shop 'MT1' of meituan appears twice, on lines 2 and 4\n"
		       "5:shop_id: shop 'MT1' of meituan appears twice, on lines 2 and 5\n");
	/* a first row with another problem still counts */
	assert_listing(EN_HEADER "meituan,MT1,,,址,,\nmeituan,MT1,店,,址,,\n", "",
		       "2:shop_name: empty\n"
		       "3:shop_id: shop 'MT1' of meituan appears twice, on lines 2 and 3\n");
}

static void test_csv_structure(void **state)
{
	(void)state;
	assert_listing("", "", "1:-: no header row: columns are platform (平台), shop_id");
	assert_listing("\n\n", "", "1:-: no header row");
	assert_listing("platform,shop_id,name,pickup_address\nmeituan,1,店,址\n", "",
		       "1:-: unknown column 3 'name': columns are platform (平台)\n"
		       "1:shop_name: missing column shop_name in the header\n");
	assert_listing("platform,shop_id,店铺ID,shop_name,pickup_address\n", "",
		       "1:shop_id: column 3 '店铺ID' names shop_id again\n");
	/* a wrong number of fields refuses that row only */
	assert_listing(EN_HEADER "meituan,M1,店,,址\nmeituan,M2,店,,址,,,\nmeituan,M3,店,,址,,\n",
		       "4 meituan/M3 店|(none)|址||open\n",
		       "2:dishes: 5 fields, the header has 7\n"
		       "3:-: 8 fields, the header has 7 (a comma inside a value must be quoted)\n");
	/* an unclosed quote: nothing is read, not even the rows before */
	assert_listing(EN_HEADER "meituan,M1,店,,址,,\nmeituan,M2,\"店,,址,,\n", "",
		       "3:shop_name: a quoted field is not closed");
	/* GBK: 美团 = C3 C0 CD C5 (the whole file must read as GBK for the hint) */
	assert_listing(EN_HEADER "meituan,M1,shop,,addr,,\n\xC3\xC0\xCD\xC5,M2,shop,,addr,,\n", "",
		       "3:platform: not UTF-8 (it reads as GBK/GB18030)");
	{
		static const char nul[] = EN_HEADER "meituan,M1,店\0,,址,,\n";
		struct result r;

		parse(nul, sizeof nul - 1, &r);
		assert_string_equal(r.shops, "");
		assert_string_equal(r.errors, "2:shop_name: a NUL byte: is it a text file?\n");
		result_clear(&r);
	}
}

/* --- JSON -------------------------------------------------------------------- */

static void test_json_array_lines(void **state)
{
	(void)state;
	assert_listing(
	    "\xEF\xBB\xBF  [\n"
	    "  {\"platform\": \"meituan\", \"shop_id\": \"A1\", \"shop_name\": \"老王家常菜\","
	    " \"pickup_address\": \"" ADDR "\", \"dishes\": [\"宫保鸡丁\", \"米饭\"]},\n" /* 2 */
	    "\n"
	    "  {\n" /* 4 */
	    "    \"platform\": \"饿了么\",\n"
	    "    \"shop_id\": \"E1\",\n"
	    "    \"shop_name\": \"小李奶茶 \\\"正宗\\\"\",\n"
	    "    \"licence\": \"JY13301060000002\",\n"
	    "    \"pickup_address\": \"教工路 18 号\",\n"
	    "    \"dishes\": \"珍珠奶茶;杨枝甘露\",\n"
	    "    \"status\": \"休息中\"\n"
	    "  }, {\"platform\": \"jd\", \"shop_id\": \"J1\", \"shop_name\": \"[店]{,}\","
	    " \"pickup_address\": \"址\", \"licence\": null, \"status\": null,"
	    " \"dishes\": null}," /* 12 */
	    "\r\n{\"platform\": \"jd\", \"shop_id\": \"J2\", \"shop_name\": \"店\","
	    " \"pickup_address\": \"址\", \"dishes\": []}]\n", /* 13 */
	    "2 meituan/A1 老王家常菜|(none)|" ADDR "|宫保鸡丁;米饭|open\n"
	    "4 eleme/E1 小李奶茶 \"正宗\"|JY13301060000002|教工路 18 号|珍珠奶茶;杨枝甘露|closed\n"
	    "12 jd/J1 [店]{,}|(none)|址||open\n"
	    "13 jd/J2 店|(none)|址||open\n",
	    "");
	assert_listing("[]", "", "");
	assert_listing(" [ ]\n", "", "");
}

static void test_json_refusals(void **state)
{
	(void)state;
	/* a problem is on the line of its key */
	assert_listing("[\n"
		       "  {\n"
		       "    \"platform\": \"meituan\",\n"
		       "    \"shop_id\": 12345,\n" /* 4 */
		       "    \"shop_name\": true,\n"
		       "    \"pickup_address\": {\"city\": \"杭州\"},\n"
		       "    \"dishes\": 3,\n"
		       "    \"status\": [\"open\"],\n"
		       "    \"Licence\": \"JY13301060000001\"\n" /* 9 */
		       "  },\n"
		       "  {\"platform\": \"meituan\", \"shop_id\": \"M2\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\", \"dishes\": [\"米饭\", 2]},\n" /* 11 */
		       "  {\"platform\": \"meituan\", \"shop_id\": \"M3\", \"shop_id\": \"M4\"},\n"
		       "  \"shop\", 7, null, [],\n"
		       "  {\"platform\": \"meituan\", \"shop_name\": \"店\\t名\"}\n" /* 14 */
		       "]\n",
		       "",
		       "4:shop_id: must be a string, not a number: quote it\n"
		       "5:shop_name: must be a string, not true or false\n"
		       "6:pickup_address: must be a string, not an object\n"
		       "7:dishes: must be an array of strings or a string, not a number\n"
		       "8:status: must be a string, not an array\n"
		       "9:-: unknown key 'Licence': keys are platform, shop_id, shop_name, "
		       "pickup_address, licence, dishes, status\n"
		       "11:dishes: dishes[1] must be a string, not a number\n"
		       "12:shop_id: key shop_id twice\n"
		       "12:shop_name: missing: shop_name is required\n"
		       "12:pickup_address: missing: pickup_address is required\n"
		       "13:-: element 4 is not an object but a string: each is one shop\n"
		       "13:-: element 5 is not an object but a number\n"
		       "13:-: element 6 is not an object but null\n"
		       "13:-: element 7 is not an object but an array\n"
		       "14:shop_name: a control character (U+0009) in '店\\x09名'\n"
		       "14:shop_id: missing: shop_id is required\n"
		       "14:pickup_address: missing\n");
	/* values spanning lines, nested brackets and commas: only the element's
	 * own keys count */
	assert_listing("[{\"dishes\": [\n"
		       "  \"米饭\",\n"
		       "  {\"a\": [1, {\"b\": \"],}\"}]}\n"
		       "], \"shop_name\":\n"
		       "\"店\", \"x\": {\n"
		       "}, \"platform\": \"meituan\", \"shop_id\": \"M1\",\n"
		       "\"pickup_address\": \"址\", \"status\": 1}]",
		       "",
		       "1:dishes: dishes[1] must be a string, not an object\n"
		       "5:-: unknown key 'x'\n"
		       "7:status: must be a string, not a number\n");
	/* duplicates across elements, lines of both named */
	assert_listing("[{\"platform\": \"meituan\", \"shop_id\": \"M1\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\"},\n"
		       "{\"platform\": \"美团外卖\", \"shop_id\": \"M1\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\"}]",
		       "1 meituan/M1 店|(none)|址||open\n",
		       "2:shop_id: shop 'M1' of meituan appears twice, on lines 1 and 2\n");
}

static void test_json_unreadable(void **state)
{
	(void)state;
	/* the line of the syntax error, nothing read */
	assert_listing("[\n{\"platform\": \"meituan\"},\n{\"platform\" \"eleme\"}\n]\n", "",
		       "3:-: not JSON: a syntax error at");
	assert_listing("[\n{\"platform\": \"meituan\",\n", "", "2:-: not JSON");
	assert_listing("[{\"platform\": \"meituan\", \"shop_id\": \"M1\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\"}]\n\n]\n",
		       "", "3:-: text after the JSON array: a syntax error at ']'\n");
	assert_listing("[\n{\"shop_name\": \"店\\u0000名\"}]", "",
		       "2:-: a NUL character (\\u0000) in a string\n");
	/* a lone surrogate is not JSON (cJSON refuses it) */
	assert_listing("[{\"shop_name\": \"\\ud800\"}]", "", "1:-: not JSON");
	assert_listing("[\n\"\xC3\xC0\xCD\xC5\"]", "", "2:-: not UTF-8 (it reads as GBK/GB18030)");
	assert_listing("[\n\"\xFF\"]", "", "2:-: not UTF-8 (byte 0xFF): save it as UTF-8\n");
	{
		static const char nul[] = "[\n\n\"a\0\"]";
		struct result r;

		parse(nul, sizeof nul - 1, &r);
		assert_string_equal(r.errors, "3:-: a NUL byte: is it a text file?\n");
		result_clear(&r);
	}
}

static void test_json_lines(void **state)
{
	(void)state;
	assert_listing("{\"platform\": \"meituan\", \"shop_id\": \"M1\", \"shop_name\": \"店一\","
		       " \"pickup_address\": \"址\", \"dishes\": [\"米饭\"]}\n"
		       "\n"
		       "   \n"
		       "{\"platform\": \"抖音\", \"shop_id\": \"D1\", \"shop_name\": \"店二\","
		       " \"pickup_address\": \"址\", \"status\": \"下线\"}\r\n"
		       "{\"platform\": \"jd\", \"shop_id\": \"J1\", \"shop_name\": \"店三\","
		       " \"pickup_address\": \"址\"}",
		       "1 meituan/M1 店一|(none)|址|米饭|open\n"
		       "4 douyin/D1 店二|(none)|址||offline\n"
		       "5 jd/J1 店三|(none)|址||open\n",
		       "");
	/* a bad line refuses that line; the others are checked on */
	assert_listing("{\"platform\": \"meituan\", \"shop_id\": \"M1\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\"}\n"
		       "{\"platform\": \"meituan\",\n"
		       "[1]\n"
		       "{\"platform\": \"meituan\"} {}\n"
		       "{\"platform\": \"meituan\", \"shop_id\": \"M1\", \"shop_name\": \"店\","
		       " \"pickup_address\": \"址\", \"extra\": 1}\n",
		       "1 meituan/M1 店|(none)|址||open\n",
		       "2:-: not JSON (JSON Lines: one object a line)\n"
		       "3:-: not an object: JSON Lines hold one shop, an object, a line\n"
		       "4:-: text after the object (JSON Lines: one object a line): a syntax "
		       "error at '{}'\n"
		       "5:-: unknown key 'extra'\n"
		       "5:shop_id: shop 'M1' of meituan appears twice, on lines 1 and 5\n");
}

/* More than LISTING_MAX_PROBLEMS: a last line says checking stopped, and
 * no shops come back. */
static void test_problem_cap(void **state)
{
	GString *text = g_string_new(EN_HEADER "meituan,OK,店,,址,,\n");
	struct result r;

	(void)state;
	for (int i = 0; i < 60; i++)
		g_string_append_printf(text, "美团网,M%d,店,,址,,\n", i);
	parse(text->str, text->len, &r);
	assert_int_equal(r.problems, LISTING_MAX_PROBLEMS);
	assert_string_equal(r.shops, "");
	assert_true(g_str_has_prefix(r.errors, "3:platform: '美团网' is not a platform"));
	assert_true(g_str_has_suffix(r.errors, "\n53:platform: more than 50 problems: checking "
					       "stopped here\n"));
	result_clear(&r);
	g_string_free(text, TRUE);

	/* JSON too */
	text = g_string_new("[");
	for (int i = 0; i < 60; i++)
		g_string_append_printf(text, "%s\n{\"x\": 1}", i ? "," : "");
	g_string_append(text, "]");
	parse(text->str, text->len, &r);
	assert_int_equal(r.problems, LISTING_MAX_PROBLEMS);
	assert_true(g_str_has_suffix(r.errors, "\n12:-: more than 50 problems: checking "
					       "stopped here\n"));
	result_clear(&r);
	g_string_free(text, TRUE);
}

/* Long values are quoted short, and each reason stays on one line. */
static void test_reasons_short(void **state)
{
	GString *text = g_string_new(EN_HEADER "");
	struct result r;

	(void)state;
	g_string_append(text, "\"");
	for (int i = 0; i < 300; i++)
		g_string_append(text, "美\n");
	g_string_append(text, "\",M1,店,,址,,\n");
	parse(text->str, text->len, &r);
	assert_int_equal(r.problems, 1);
	assert_non_null(strstr(r.errors, "…'"));
	assert_true(strlen(r.errors) < 600);
	assert_ptr_equal(strchr(r.errors, '\n'), r.errors + strlen(r.errors) - 1);
	result_clear(&r);
	g_string_free(text, TRUE);
}

/* Callers may leave out errors and problems. */
static void test_null_outputs(void **state)
{
	static const char text[] = EN_HEADER "meituan,M1,店,,址,,\nx y,M2,店,,址,,\n";
	GPtrArray *shops;

	(void)state;
	shops = listing_parse(text, sizeof text - 1, NULL, NULL);
	assert_int_equal(shops->len, 1);
	g_ptr_array_free(shops, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_english),
		cmocka_unit_test(test_csv_chinese_any_order),
		cmocka_unit_test(test_csv_bom_crlf_quotes),
		cmocka_unit_test(test_status_synonyms),
		cmocka_unit_test(test_licence_none),
		cmocka_unit_test(test_platform_aliases),
		cmocka_unit_test(test_dishes),
		cmocka_unit_test(test_field_refusals),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_csv_structure),
		cmocka_unit_test(test_json_array_lines),
		cmocka_unit_test(test_json_refusals),
		cmocka_unit_test(test_json_unreadable),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_problem_cap),
		cmocka_unit_test(test_reasons_short),
		cmocka_unit_test(test_null_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
