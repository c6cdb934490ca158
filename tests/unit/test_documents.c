/*
 * Unit tests: printed documents (common/documents.h). Each kind is rendered
 * on A4 and on the 80 mm roll; the PDFs are read back with poppler's
 * pdftotext and pdfinfo (poppler-utils). With BK_ARTIFACTS set, the PDFs
 * are kept in $BK_BUILD/test-artifacts/ (build/ by default).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <glib.h>

#include "documents.h"
#include "unit_tmpdir.h"

/* --- capital numerals ------------------------------------------------------ */

static void test_amount_capital(void **state)
{
	static const struct {
		int64_t fen;
		const char *want;
	} cases[] = {
		{ 0, "零元整" },
		{ 20000, "贰佰元整" },
		{ 300000, "叁仟元整" },
		{ 10000, "壹佰元整" },
		{ 1000, "壹拾元整" },
		{ 1500, "壹拾伍元整" },
		{ 10500, "壹佰零伍元整" },
		{ 100500, "壹仟零伍元整" },
		{ 105000, "壹仟零伍拾元整" },
		{ 1000000, "壹万元整" },
		{ 10001000, "壹拾万零壹拾元整" },
		{ 100100000, "壹佰万零壹仟元整" },
		{ 10000000000, "壹亿元整" },
		{ 10000000100, "壹亿零壹元整" },
		{ 10001000000, "壹亿零壹万元整" },
		{ 10050, "壹佰元伍角整" },
		{ 10005, "壹佰元零伍分" },
		{ 168032, "壹仟陆佰捌拾元叁角贰分" },
		{ 50, "伍角整" },
		{ 5, "伍分" },
		{ 55, "伍角伍分" },
		{ 99999999999999, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分" },
	};
	char buf[96];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(document_amount_capital(cases[i].fen, buf, sizeof buf), 0);
		assert_string_equal(buf, cases[i].want);
	}
	assert_int_equal(document_amount_capital(-1, buf, sizeof buf), -EINVAL);
	assert_int_equal(document_amount_capital(100000000000000, buf, sizeof buf), -ERANGE);
	/* "贰佰元整" is 12 bytes and its NUL */
	assert_int_equal(document_amount_capital(20000, buf, 12), -ENOSPC);
	assert_int_equal(document_amount_capital(20000, buf, 13), 0);
}

/* --- fixtures ---------------------------------------------------------------- */

static const struct document_officer officers[] = {
	{ "王建国", "35010020230017" },
	{ "李秀兰", "35010020230042" },
};

static const struct document_item problems[] = {
	{ "2.3", "食品处理区冷藏设施温度超过8℃，未能保证冷藏食品的贮存温度" },
	{ "4.1", "从业人员未按规定佩戴口罩" },
	{ "6.7", "未按要求建立并执行进货查验记录制度，部分肉类无法提供检验检疫证明" },
};

#define AGENCY	 "青山县市场监督管理局"
#define PARTY	 "青山县幸福小厨餐饮店"
#define LICENCE	 "JY23501230004567"
#define DECISION "青市监简罚〔2024〕0017号"

static struct document_fields onsite_fields(void)
{
	return (struct document_fields){
		.agency = AGENCY,
		.number = "青市监现〔2024〕0231号",
		.party_name = PARTY,
		.party_type = DOC_PARTY_ORGANISATION,
		.party_id = LICENCE,
		.party_address = "青山县城关镇解放路128号",
		.time = "2024年6月3日 10:20至11:05",
		.place = "当事人经营场所后厨",
		.officers = officers,
		.officer_count = 2,
		.facts = "执法人员进入后厨时，冷藏柜温度显示为12℃，柜内存放熟肉制品约5公斤。\n"
			 "两名切配人员未佩戴口罩。",
		.party_statement = "冷藏柜昨晚故障，已联系维修。",
		.date = "2024年6月3日",
	};
}

static struct document_fields correction_fields(void)
{
	return (struct document_fields){
		.agency = AGENCY,
		.number = "青市监责改〔2024〕0088号",
		.party_name = PARTY,
		.party_type = DOC_PARTY_ORGANISATION,
		.party_id = LICENCE,
		.party_address = "青山县城关镇解放路128号",
		.time = "2024年6月3日",
		.place = "当事人经营场所",
		.problems = problems,
		.problem_count = 3,
		.legal_basis = "《中华人民共和国食品安全法》第五十四条、第五十五条",
		.deadline = "2024年6月10日",
		.date = "2024年6月3日",
	};
}

static struct document_fields decision_fields(void)
{
	return (struct document_fields){
		.agency = AGENCY,
		.number = DECISION,
		.party_name = "张小明",
		.party_type = DOC_PARTY_INDIVIDUAL,
		.party_id = "350123198805061234",
		.party_address = "青山县城关镇解放路128号",
		.time = "2024年6月3日 11:10",
		.place = "青山县城关镇解放路128号",
		.officers = officers,
		.officer_count = 2,
		.violation = "当事人从事接触直接入口食品工作时未佩戴口罩。",
		.legal_basis = "《中华人民共和国食品安全法》第一百二十六条第一款",
		.penalty = DOC_PENALTY_FINE,
		.amount_fen = 20000,
		.payment_bank = "中国农业银行青山县支行",
		.review_body = "青山县人民政府",
		.court = "青山县人民法院",
		.date = "2024年6月3日",
	};
}

/* --- reading the PDFs back ------------------------------------------------------ */

static char *run(const char *const *argv)
{
	char *out = NULL, *errout = NULL;
	GError *error = NULL;
	int status = 0;
	gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   &errout, &status, &error);

	if (!ok || !g_spawn_check_wait_status(status, NULL))
		fail_msg("%s failed: %s %s", argv[0], error ? error->message : "", errout);
	g_free(errout);
	return out;
}

/* The text of pages first..last (0: to the end) without line breaks or the
 * spaces -layout puts between columns, so that a wrapped phrase is found. */
static char *pdf_text(const char *path, int first, int last)
{
	char f[16], l[16];
	const char *argv[] = { "pdftotext", "-layout", "-f", f, "-l", l, path, "-", NULL };
	char *raw, *flat;
	GString *s = g_string_new("");

	snprintf(f, sizeof f, "%d", first);
	snprintf(l, sizeof l, "%d", last ? last : 9999);
	raw = run(argv);
	for (char *p = raw; *p; p++)
		if (*p != ' ' && *p != '\n' && *p != '\f')
			g_string_append_c(s, *p);
	flat = g_string_free(s, FALSE);
	g_free(raw);
	return flat;
}

struct pdf_info {
	double w, h;
	int pages;
};

static struct pdf_info pdf_info(const char *path)
{
	const char *argv[] = { "pdfinfo", path, NULL };
	struct pdf_info in = { 0 };
	char *out = run(argv), *p;

	p = strstr(out, "Pages:");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "Pages: %d", &in.pages), 1);
	p = strstr(out, "Page size:");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "Page size: %lf x %lf", &in.w, &in.h), 2);
	g_free(out);
	return in;
}

static void keep_artifact(const char *path)
{
	const char *build = g_getenv("BK_BUILD") ? g_getenv("BK_BUILD") : "build";
	char *dest_dir, *dest, *data;
	gsize len;

	if (!g_getenv("BK_ARTIFACTS"))
		return;
	dest_dir = g_build_filename(build, "test-artifacts", NULL);
	dest = g_build_filename(dest_dir, strrchr(path, '/') + 1, NULL);
	g_mkdir_with_parents(dest_dir, 0755);
	if (g_file_get_contents(path, &data, &len, NULL)) {
		g_file_set_contents(dest, data, (gssize)len, NULL);
		g_free(data);
	}
	g_free(dest);
	g_free(dest_dir);
}

/* Render into dir/name.pdf; the path, to g_free. */
static char *render_ok(enum document_kind kind, enum paper paper, const struct document_fields *f,
		       const char *name)
{
	char err[256] = "";
	char *path = g_strdup_printf("%s/%s.pdf", dir, name);
	int rc = document_render(kind, paper, f, path, err, sizeof err);

	if (rc != 0)
		fail_msg("render %s: %d %s", name, rc, err);
	keep_artifact(path);
	return path;
}

#define assert_has(text, needle)                                                                   \
	do {                                                                                       \
		if (!strstr(text, needle))                                                         \
			fail_msg("'%s' not in the PDF's text:\n%s", needle, text);                 \
	} while (0)

#define assert_lacks(text, needle)                                                                 \
	do {                                                                                       \
		if (strstr(text, needle))                                                          \
			fail_msg("'%s' unexpectedly in the PDF's text", needle);                   \
	} while (0)

static void assert_paper(const char *path, enum paper paper)
{
	struct pdf_info in = pdf_info(path);

	if (paper == PAPER_A4) {
		assert_true(in.w > 594.5 && in.w < 596);
		assert_true(in.h > 841.5 && in.h < 842.5);
	} else {
		assert_true(in.w > 226.3 && in.w < 227.3); /* 80 mm */
		assert_int_equal(in.pages, 1);
		assert_true(in.h > 100 && in.h < 14400);
	}
}

static const enum paper papers[] = { PAPER_A4, PAPER_ROLL_80MM };
static const char *const paper_names[] = { "a4", "roll80" };

/* --- the three documents ---------------------------------------------------------- */

static void test_onsite_record(void **state)
{
	struct document_fields f = onsite_fields();

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *name = g_strdup_printf("onsite-record-%s", paper_names[i]);
		char *path = render_ok(DOC_ONSITE_RECORD, papers[i], &f, name);
		char *t = pdf_text(path, 1, 0);

		assert_paper(path, papers[i]);
		assert_has(t, AGENCY);
		assert_has(t, "现场笔录");
		assert_has(t, "青市监现〔2024〕0231号");
		assert_has(t, "被检查单位：");
		assert_has(t, PARTY);
		assert_has(t, LICENCE);
		assert_has(t, "检查时间：");
		assert_has(t, "检查地点：");
		assert_has(t, "王建国（执法证号：35010020230017）");
		assert_has(t, "李秀兰");
		assert_has(t, "现场检查情况：");
		assert_has(t, "冷藏柜温度显示为12℃");
		assert_has(t, "两名切配人员未佩戴口罩");
		assert_has(t, "当事人陈述：");
		assert_has(t, "冷藏柜昨晚故障");
		assert_has(t, "当事人签名：");
		assert_lacks(t, "拒绝签字");
		g_free(t);
		g_free(path);
		g_free(name);
	}
}

static void test_correction_order(void **state)
{
	struct document_fields f = correction_fields();

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *name = g_strdup_printf("correction-order-%s", paper_names[i]);
		char *path = render_ok(DOC_CORRECTION_ORDER, papers[i], &f, name);
		char *t = pdf_text(path, 1, 0);

		assert_paper(path, papers[i]);
		assert_has(t, AGENCY);
		assert_has(t, "责令改正通知书");
		assert_has(t, "青市监责改〔2024〕0088号");
		assert_has(t, PARTY "：");
		assert_has(t, "你单位存在下列问题");
		assert_has(t, "1.[2.3]食品处理区冷藏设施温度超过8℃");
		assert_has(t, "2.[4.1]从业人员未按规定佩戴口罩");
		assert_has(t, "3.[6.7]未按要求建立并执行进货查验记录制度");
		assert_has(t, "第五十四条、第五十五条");
		assert_has(t, "于2024年6月10日前改正");
		assert_has(t, "（印章）");
		assert_has(t, "当事人签收：");
		g_free(t);
		g_free(path);
		g_free(name);
	}
}

static void test_penalty_decision(void **state)
{
	struct document_fields f = decision_fields();

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *name = g_strdup_printf("penalty-decision-%s", paper_names[i]);
		char *path = render_ok(DOC_PENALTY_DECISION, papers[i], &f, name);
		char *t = pdf_text(path, 1, 0);

		assert_paper(path, papers[i]);
		assert_has(t, AGENCY);
		assert_has(t, "当场行政处罚决定书");
		assert_has(t, DECISION);
		assert_has(t, "当事人：张小明");
		assert_has(t, "当事人类型：个人");
		assert_has(t, "身份证件号码：350123198805061234");
		assert_has(t, "违法事实：");
		assert_has(t, "未佩戴口罩");
		assert_has(t, "处罚依据：");
		assert_has(t, "第一百二十六条第一款");
		assert_has(t, "处罚种类：罚款");
		assert_has(t, "200.00");
		assert_has(t, "贰佰元整");
		assert_has(t, "十五日内到中国农业银行青山县支行缴纳罚款");
		assert_has(t, "六十日内向青山县人民政府申请行政复议");
		assert_has(t, "六个月内依法向青山县人民法院提起行政诉讼");
		assert_has(t, "王建国（执法证号：35010020230017）");
		assert_has(t, "李秀兰（执法证号：35010020230042）");
		assert_has(t, "当事人签名：");
		assert_lacks(t, "拒绝签字");
		g_free(t);
		g_free(path);
		g_free(name);
	}
}

/* An organisation's fine at the cap, paid in cash below 100 CNY, the party
 * refusing to sign; and a warning, which prints no amount. */
static void test_decision_variants(void **state)
{
	struct document_fields f = decision_fields();
	char *path, *t;

	(void)state;
	f.party_name = PARTY;
	f.party_type = DOC_PARTY_ORGANISATION;
	f.party_id = LICENCE;
	f.amount_fen = 300000;
	path = render_ok(DOC_PENALTY_DECISION, PAPER_A4, &f, "decision-organisation");
	t = pdf_text(path, 1, 0);
	assert_has(t, "当事人类型：单位");
	assert_has(t, "许可证编号：" LICENCE);
	assert_has(t, "3000.00");
	assert_has(t, "叁仟元整");
	g_free(t);
	g_free(path);

	f = decision_fields();
	f.amount_fen = 5050;
	f.cash_on_spot = true;
	f.payment_bank = NULL;
	f.party_refused = true;
	path = render_ok(DOC_PENALTY_DECISION, PAPER_ROLL_80MM, &f, "decision-cash-refused");
	t = pdf_text(path, 1, 0);
	assert_has(t, "50.50");
	assert_has(t, "伍拾元伍角整");
	assert_has(t, "当场收缴");
	assert_lacks(t, "十五日内");
	assert_has(t, "当事人拒绝签字");
	assert_lacks(t, "当事人签名");
	g_free(t);
	g_free(path);

	f = decision_fields();
	f.penalty = DOC_PENALTY_WARNING;
	f.amount_fen = 0;
	path = render_ok(DOC_PENALTY_DECISION, PAPER_A4, &f, "decision-warning");
	t = pdf_text(path, 1, 0);
	assert_has(t, "处罚种类：警告");
	assert_lacks(t, "罚款金额");
	assert_lacks(t, "元整");
	g_free(t);
	g_free(path);
}

static void test_refused_record(void **state)
{
	struct document_fields f = onsite_fields();

	(void)state;
	f.party_refused = true;
	f.party_statement = NULL;
	for (int i = 0; i < 2; i++) {
		char *name = g_strdup_printf("onsite-refused-%s", paper_names[i]);
		char *path = render_ok(DOC_ONSITE_RECORD, papers[i], &f, name);
		char *t = pdf_text(path, 1, 0);

		assert_has(t, "当事人拒绝签字");
		assert_has(t, "当事人未作陈述");
		assert_lacks(t, "当事人签名");
		assert_has(t, "执法人员：王建国");
		g_free(t);
		g_free(path);
		g_free(name);
	}
}

/* Facts longer than a sheet: A4 breaks onto more pages, every line once;
 * the roll stays one page, longer than a sheet. */
static void test_long_facts(void **state)
{
	struct document_fields f = onsite_fields();
	GString *facts = g_string_new("");
	struct pdf_info a4, roll;
	char *path, *t, *t1;

	(void)state;
	for (int i = 1; i <= 60; i++)
		g_string_append_printf(
		    facts,
		    "第%d项：执法人员检查了冷藏柜、留样柜和餐具消毒设施，记录了温"
		    "度读数与台账。\n",
		    i);
	g_string_append(facts, "【记录完】");
	f.facts = facts->str;

	path = render_ok(DOC_ONSITE_RECORD, PAPER_A4, &f, "onsite-long-a4");
	a4 = pdf_info(path);
	assert_true(a4.pages >= 2);
	t1 = pdf_text(path, 1, 1);
	assert_has(t1, "现场笔录");
	assert_has(t1, "第1项：");
	assert_has(t1, "第1页共");
	assert_lacks(t1, "【记录完】");
	t = pdf_text(path, 2, 0);
	assert_has(t, "【记录完】");
	assert_has(t, "当事人陈述：");
	assert_has(t, "第2页共");
	assert_has(t, "现场笔录青市监现〔2024〕0231号第2页"); /* the footer names the document */
	g_free(t);
	/* no line lost or printed twice at the break */
	t = pdf_text(path, 1, 0);
	for (int i = 1; i <= 60; i++) {
		char needle[32];
		char *first, *again;

		snprintf(needle, sizeof needle, "第%d项：", i);
		first = strstr(t, needle);
		assert_non_null(first);
		again = strstr(first + 1, needle);
		assert_null(again);
	}
	g_free(t);
	g_free(t1);
	g_free(path);

	path = render_ok(DOC_ONSITE_RECORD, PAPER_ROLL_80MM, &f, "onsite-long-roll80");
	roll = pdf_info(path);
	assert_int_equal(roll.pages, 1);
	assert_true(roll.w > 226.3 && roll.w < 227.3);
	assert_true(roll.h > 842);
	t = pdf_text(path, 1, 0);
	assert_has(t, "第60项：");
	assert_has(t, "【记录完】");
	g_free(t);
	g_free(path);
	g_string_free(facts, TRUE);
}

/* --- refusals ------------------------------------------------------------------ */

static void assert_refused(enum document_kind kind, const struct document_fields *f, int want_rc,
			   const char *want_in_err)
{
	char err[256] = "";
	char *path = g_strdup_printf("%s/refused.pdf", dir);

	for (int i = 0; i < 2; i++) {
		err[0] = '\0';
		assert_int_equal(document_render(kind, papers[i], f, path, err, sizeof err),
				 want_rc);
		if (!strstr(err, want_in_err))
			fail_msg("'%s' not in the error '%s'", want_in_err, err);
		assert_int_equal(access(path, F_OK), -1);
	}
	g_free(path);
}

static void test_missing_fields(void **state)
{
	struct document_fields f;
	struct document_officer half[] = { { "王建国", "35010020230017" }, { "李秀兰", "" } };
	struct document_item bad_item[] = { { "2.3", NULL } };

	(void)state;
	f = onsite_fields();
	f.agency = NULL;
	assert_refused(DOC_ONSITE_RECORD, &f, -EINVAL, "missing field 'agency'");
	f = onsite_fields();
	f.facts = "";
	assert_refused(DOC_ONSITE_RECORD, &f, -EINVAL, "现场笔录: missing field 'facts'");
	f = onsite_fields();
	f.officer_count = 1;
	assert_refused(DOC_ONSITE_RECORD, &f, -EINVAL, "missing field 'officers'");
	f = onsite_fields();
	f.officers = half;
	assert_refused(DOC_ONSITE_RECORD, &f, -EINVAL, "missing field 'officers[1].id'");

	f = correction_fields();
	f.deadline = NULL;
	assert_refused(DOC_CORRECTION_ORDER, &f, -EINVAL, "missing field 'deadline'");
	f = correction_fields();
	f.problem_count = 0;
	assert_refused(DOC_CORRECTION_ORDER, &f, -EINVAL, "missing field 'problems'");
	f = correction_fields();
	f.problems = bad_item;
	f.problem_count = 1;
	assert_refused(DOC_CORRECTION_ORDER, &f, -EINVAL, "missing field 'problems[0].text'");

	f = decision_fields();
	f.number = NULL;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL,
		       "当场行政处罚决定书: missing field 'number'");
	f = decision_fields();
	f.violation = NULL;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "missing field 'violation'");
	f = decision_fields();
	f.party_type = DOC_PARTY_UNSET;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "missing field 'party_type'");
	f = decision_fields();
	f.penalty = DOC_PENALTY_UNSET;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "missing field 'penalty'");
	f = decision_fields();
	f.payment_bank = NULL;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "missing field 'payment_bank'");

	/* text pango would print as boxes */
	f = decision_fields();
	f.party_address = "\xe9\x9d";
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL,
		       "field 'party_address' is not valid UTF-8");
	f = onsite_fields();
	f.officers = (struct document_officer[]){ officers[0], { "\xff", "1" } };
	assert_refused(DOC_ONSITE_RECORD, &f, -EINVAL, "field 'officers[1]' is not valid UTF-8");
}

static void test_fine_rules(void **state)
{
	struct document_fields f;

	(void)state;
	f = decision_fields(); /* an individual: 200 CNY at most */
	f.amount_fen = 20001;
	assert_refused(DOC_PENALTY_DECISION, &f, -ERANGE,
		       "a fine of 200.01 CNY exceeds the simple procedure's cap of 200 CNY for an "
		       "individual; use the ordinary procedure");
	f = decision_fields();
	f.party_type = DOC_PARTY_ORGANISATION;
	f.amount_fen = 300001;
	assert_refused(DOC_PENALTY_DECISION, &f, -ERANGE, "cap of 3000 CNY for an organisation");
	f = decision_fields();
	f.amount_fen = 10001;
	f.cash_on_spot = true;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "only up to 100 CNY");
	f = decision_fields();
	f.amount_fen = 0;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "'amount_fen' is 0");
	f = decision_fields();
	f.penalty = DOC_PENALTY_WARNING;
	assert_refused(DOC_PENALTY_DECISION, &f, -EINVAL, "a warning carries no fine");
}

static void test_unwritable_path(void **state)
{
	struct document_fields f = onsite_fields();
	char err[256] = "";

	(void)state;
	assert_true(document_render(DOC_ONSITE_RECORD, PAPER_A4, &f, "/nonexistent/dir/x.pdf", err,
				    sizeof err) < 0);
	assert_non_null(strstr(err, "cannot create '/nonexistent/dir/x.pdf': No such file"));
	/* err may be NULL */
	f.agency = NULL;
	assert_int_equal(document_render(DOC_ONSITE_RECORD, PAPER_A4, &f, "/tmp/x.pdf", NULL, 0),
			 -EINVAL);
}

/* Without the font, fontconfig would substitute one that may lack Chinese
 * glyphs: refused. In a child, before this process has loaded any font,
 * with a fontconfig configuration that knows no fonts. */
static void test_font_missing(void **state)
{
	const char *conf = tmpdir_write("empty-fonts.conf", "<?xml version=\"1.0\"?>\n"
							    "<fontconfig></fontconfig>\n");
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct document_fields f = onsite_fields();
		char err[256] = "", *path = g_strdup_printf("%s/nofont.pdf", dir);
		int rc;

		setenv("FONTCONFIG_FILE", conf, 1);
		rc = document_render(DOC_ONSITE_RECORD, PAPER_A4, &f, path, err, sizeof err);
		_exit(rc == -ENOENT && strstr(err, "install Debian's fonts-wqy-zenhei") &&
			      access(path, F_OK) != 0
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amount_capital),	 cmocka_unit_test(test_font_missing),
		cmocka_unit_test(test_onsite_record),	 cmocka_unit_test(test_correction_order),
		cmocka_unit_test(test_penalty_decision), cmocka_unit_test(test_decision_variants),
		cmocka_unit_test(test_refused_record),	 cmocka_unit_test(test_long_facts),
		cmocka_unit_test(test_missing_fields),	 cmocka_unit_test(test_fine_rules),
		cmocka_unit_test(test_unwritable_path),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
