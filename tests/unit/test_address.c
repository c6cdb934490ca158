/* Unit tests: addresses made comparable (cloud/address.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>

#include "address.h"

/* normalises to want, and want normalises to itself */
#define assert_norm(text, want)                                                                    \
	do {                                                                                       \
		char *got_ = address_normalise(text), *again_;                                     \
		assert_string_equal(got_, want);                                                   \
		again_ = address_normalise(got_);                                                  \
		assert_string_equal(again_, got_);                                                 \
		g_free(again_);                                                                    \
		g_free(got_);                                                                      \
	} while (0)

static void test_same_place(void **state)
{
	(void)state;
	/* the prefix written in full, without the province, only the county;
	 * full-width digits; Chinese numerals */
	assert_norm("浙江省杭州市西湖区文三路88号", "文三路88号");
	assert_true(address_same("浙江省杭州市西湖区文三路88号", "杭州市西湖区文三路８８号"));
	assert_true(address_same("浙江省杭州市西湖区文三路88号", "西湖区文三路八十八号"));
	assert_true(address_same("杭州市西湖区文三路８８号", "文三路88号"));
	/* spaces, brackets (not what they hold), 层 → 楼, a city without 市 */
	assert_norm("杭州西湖区文三路 88 号（华星大厦1层）", "文三路88号华星大厦1楼");
	assert_true(address_same("杭州西湖区文三路 88 号（华星大厦1层）", "文三路88号华星大厦1楼"));
	assert_false(address_same("文三路88号", "文三路88号华星大厦1楼"));
	assert_false(address_same("文三路88号", "文三路86号"));
	assert_false(address_same("西湖区文三路八十八号", "文三路86号"));
	/* municipalities, with or without 市 */
	assert_true(address_same("北京市朝阳区建国路1号", "北京朝阳区建国路1号"));
	assert_norm("北京朝阳区建国路1号", "建国路1号");
	assert_norm("上海市浦东新区碧波路2号", "碧波路2号");
	assert_norm("中国上海市浦东新区碧波路2号", "碧波路2号");
	assert_norm("重庆渝中区解放碑1号", "解放碑1号");
	/* autonomous regions and prefectures, a special administrative region */
	assert_norm("内蒙古自治区呼和浩特市新城区中山路3号", "中山路3号");
	assert_norm("新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "解放北路1号");
	assert_norm("吉林省延边朝鲜族自治州延吉市光明街2号", "光明街2号");
	assert_norm("云南省临沧市双江拉祜族佤族布朗族傣族自治县勐勐镇1号", "勐勐镇1号");
	assert_norm("西藏自治区阿里地区噶尔县狮泉河镇1号", "狮泉河镇1号");
	assert_norm("内蒙古自治区锡林郭勒盟锡林浩特市1号", "1号");
	/* 内蒙古锡林郭勒盟 is 8 characters: not one part */
	assert_norm("内蒙古锡林郭勒盟1号", "内蒙古锡林郭勒盟1号");
	assert_norm("香港特别行政区中环皇后大道中1号", "中环皇后大道中1号");
	/* a county-level city */
	assert_norm("浙江省宁波市余姚市阳明街道1号", "阳明街道1号");
	/* nothing left, or nothing at all */
	assert_norm("浙江省", "");
	assert_norm("（，。）", "");
	assert_norm("", "");
	assert_norm(NULL, "");
	assert_false(address_same("浙江省", "浙江省"));
	assert_false(address_same("", ""));
	assert_false(address_same(NULL, NULL));
	assert_true(address_same("文三路88号", "文三路88号"));
}

static void test_prefix_only_at_the_start(void **state)
{
	(void)state;
	/* 市 in a street name after the prefix */
	assert_norm("杭州市西湖区市府路1号", "市府路1号");
	assert_norm("西湖区市民中心", "市民中心");
	assert_true(address_same("杭州市西湖区市民中心", "西湖区市民中心"));
	/* a compound is not a district, taken or not, at the start or not */
	assert_norm("杭州市西湖区翠苑小区十二栋", "翠苑小区12栋");
	assert_norm("翠苑小区3幢二〇三室", "翠苑小区3栋203室");
	assert_norm("西湖区翠苑社区1号", "翠苑社区1号");
	assert_norm("浙江大学紫金港校区1号", "浙江大学紫金港校区1号");
	/* street names that look like prefixes */
	assert_norm("红旗路5号", "红旗路5号");
	assert_norm("上海市黄浦区北京东路9号", "北京东路9号");
	assert_norm("北京路88号", "北京路88号");
	assert_norm("天津大道1号", "天津大道1号");
	assert_norm("杭州市西湖区新市街3号", "新市街3号");
	assert_norm("农贸市场3号摊位", "农贸市场3号摊位");
	assert_norm("万象城旗舰店", "万象城旗舰店");
	assert_norm("北京市市场监督管理局", "市场监督管理局");
	assert_norm("杭州市政府", "杭州市政府");
	/* a part is Han characters only, and not too long */
	assert_norm("A区3栋", "A区3栋");
	assert_norm("123栋小区", "123栋小区");
	assert_norm("文三路八号西溪新天地商业区", "文三路8号西溪新天地商业区");
	assert_norm("很长很长很长很长的区1号", "很长很长很长很长的区1号");
	/* a prefix left after a prefix goes too: the result is a fixed point */
	assert_norm("朝阳区朝阳区文三路", "文三路");
	assert_norm("西湖区杭州市文三路", "文三路");
	/* 中国 only at the start */
	assert_norm("文三路中国银行", "文三路中国银行");
}

static void test_house_numbers(void **state)
{
	(void)state;
	assert_norm("八十八号", "88号");
	assert_norm("十二栋", "12栋");
	assert_norm("二〇三室", "203室");
	assert_norm("零三室", "03室");
	assert_norm("十号", "10号");
	assert_norm("一百零三号", "103号");
	assert_norm("一百〇三号", "103号");
	assert_norm("一百一十号", "110号");
	assert_norm("三百二十号", "320号");
	assert_norm("三百二号", "320号");
	assert_norm("一千五号", "1500号");
	assert_norm("一千零五号", "1005号");
	assert_norm("两千号", "2000号");
	assert_norm("九千九百九十九号", "9999号");
	assert_norm("三单元", "3单元");
	assert_norm("一弄", "1弄");
	assert_norm("二巷", "2巷");
	/* not a number: kept as written */
	assert_norm("十十号", "十十号");
	assert_norm("百号", "百号");
	assert_norm("二三十号", "二三十号");
	assert_norm("千百十号", "千百十号");
	/* not before a unit */
	assert_norm("三里屯", "三里屯");
	assert_norm("五一路", "五一路");
	assert_norm("百货楼", "百货楼");
	assert_norm("第三单", "第三单");
}

static void test_units(void **state)
{
	(void)state;
	assert_norm("3号楼", "3栋");
	assert_norm("三号楼", "3栋");
	assert_norm("5幢", "5栋");
	assert_norm("A座", "A栋");
	assert_norm("a座", "A栋");
	assert_norm("Ｂ座５Ｆ", "B栋5楼");
	assert_norm("3F", "3楼");
	assert_norm("3f", "3楼");
	assert_norm("B1F", "B1楼");
	assert_norm("3层", "3楼");
	assert_norm("三层楼", "3楼");
	/* 楼 and F after no number, 88号楼下 is downstairs */
	assert_norm("88号楼下", "88号楼下");
	assert_norm("讲座", "讲座");
	assert_norm("3FL", "3FL");
	assert_norm("F3", "F3");
	assert_norm("楼层", "楼层");
	/* 3#楼 is 3号楼 */
	assert_norm("5#楼3单元", "5栋3单元");
	assert_norm("5＃楼", "5栋");
	assert_norm("#5", "5");
	assert_true(address_same("文三路88号3幢201室", "文三路88号3号楼201室"));
	assert_true(address_same("文三路88号3幢201室", "文三路88号三栋二〇一室"));
}

static void test_punctuation_and_dashes(void **state)
{
	(void)state;
	assert_norm("88-1号", "88-1号");
	assert_norm("88－1号", "88-1号");
	assert_norm("88—1号", "88-1号");
	assert_norm("88--1号", "88-1号");
	assert_norm("B-3", "B-3");
	/* a dash between a Chinese character and anything separates nothing */
	assert_norm("杭州市-西湖区-文三路", "文三路");
	assert_norm("3栋-201", "3栋201");
	assert_norm("-88-", "88");
	/* 3F-2: the F becomes 楼 and the dash no longer sits between two
	 * letters or digits */
	assert_norm("3F-2", "3楼2");
	/* every kind of space, punctuation, symbol and invisible character */
	assert_norm("文三路\t88号\u3000\u00A0（“华星”）★\u200B·。", "文三路88号华星");
	assert_norm("文三路 88号 ~!@$%^&*()_+={}[]|\\:;\"'<>,.?/`", "文三路88号");
	/* combining marks compose once what separated them is gone */
	assert_norm("e.\xCC\x81", "\xC3\x89");
}

static void test_bad_input(void **state)
{
	char *s;

	(void)state;
	/* invalid UTF-8: the bad bytes go, like the symbol U+FFFD */
	s = address_normalise("文三路\37788\xC0号");
	assert_string_equal(s, "文三路88号");
	g_free(s);
	/* spelt out by NFKC in more than 4 times its bytes: dropped */
	assert_norm("\343\215\2121号", "1号");	 /* ㍊ ミリバール */
	assert_norm("\xEF\xB7\xBA", "");	 /* U+FDFA */
	assert_norm("\xE3\x8C\x80", "アパート"); /* ㌀ is 4 times: kept */
	/* long input */
	{
		GString *g = g_string_new("");

		for (int i = 0; i < 2000; i++)
			g_string_append(g, "八十八号-（");
		s = address_normalise(g->str);
		assert_true(strlen(s) <= 4 * g->len);
		assert_true(g_str_has_prefix(s, "88号88号"));
		g_free(s);
		g_string_free(g, TRUE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_place),
		cmocka_unit_test(test_prefix_only_at_the_start),
		cmocka_unit_test(test_house_numbers),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_punctuation_and_dashes),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
