/*
 * documents.c — 现场笔录, 责令改正通知书 and 当场行政处罚决定书 as PDF,
 * with cairo and pango (the only module that links them).
 *
 * A document is built as a list of blocks (a centred title, a "label: value"
 * row, a paragraph, a signature line), each one pango layout wrapped to the
 * paper's width. Rendering is two passes: the layout pass gives every line
 * of every block a page and a baseline, breaking A4 pages between lines
 * (blocks marked keep move whole, headings stay with what follows); the
 * drawing pass then writes the lines page by page. The roll's height is only
 * known after the layout pass, so the PDF surface is created between them.
 *
 * Metrics are taken with hinting off, in PDF points (pango's absolute sizes,
 * so its 96-dpi default never applies), which makes the measuring pass and
 * the PDF agree. Each call has its own font map: no state between calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include "documents.h"
#include "penalty.h" /* the simple procedure's caps, constants only */

#define PT_PER_MM   (72.0 / 25.4)
#define FONT_FAMILY "WenQuanYi Zen Hei"
/* PDF viewers and printers refuse pages beyond 14,400 units (200 in). */
#define ROLL_MAX_PT 14400.0

struct geometry {
	double width, height; /* points; height 0 is a roll */
	double margin_x, margin_top, margin_bottom;
	double title_pt, head_pt, body_pt, small_pt;
	double gap;	 /* between blocks */
	double label_em; /* width of the label column, in body ems */
	const char *blank;
};

static const struct geometry geom_a4 = {
	.width = 210 * PT_PER_MM,
	.height = 297 * PT_PER_MM,
	.margin_x = 22 * PT_PER_MM,
	.margin_top = 20 * PT_PER_MM,
	.margin_bottom = 20 * PT_PER_MM,
	.title_pt = 20,
	.head_pt = 13,
	.body_pt = 11.5,
	.small_pt = 9,
	.gap = 7,
	.label_em = 7,
	.blank = "____________________",
};

/* Thermal printers print about 72 mm of the 80; the bottom margin leaves
 * room for the tear-off edge. */
static const struct geometry geom_roll = {
	.width = 80 * PT_PER_MM,
	.height = 0,
	.margin_x = 4 * PT_PER_MM,
	.margin_top = 4 * PT_PER_MM,
	.margin_bottom = 12 * PT_PER_MM,
	.title_pt = 13,
	.head_pt = 9.5,
	.body_pt = 8.5,
	.small_pt = 7,
	.gap = 3.5,
	.label_em = 7,
	.blank = "______________",
};

struct block {
	PangoLayout *label; /* a row's label, in the left column; else NULL */
	PangoLayout *body;
	double x; /* of body, from the left margin */
	double space_before;
	bool keep;	     /* moved whole to the next page rather than split */
	bool keep_with_next; /* a heading: never last on a page */
};

struct piece { /* one line, placed */
	int page;
	double x, baseline;
	PangoLayoutLine *line; /* owned by its block's layout */
};

struct doc {
	const struct geometry *g;
	double content_w;
	PangoContext *pc;
	GPtrArray *blocks; /* struct block *, owned */
	GArray *pieces;	   /* struct piece, in page order */
	int pages;
	double end_y; /* below the last line, on the last page */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *document_kind_title(enum document_kind kind)
{
	switch (kind) {
	case DOC_ONSITE_RECORD:
		return "现场笔录";
	case DOC_CORRECTION_ORDER:
		return "责令改正通知书";
	case DOC_PENALTY_DECISION:
		return "当场行政处罚决定书";
	}
	return "?";
}

/* --- amounts in capital numerals ------------------------------------------ */

static const char *const cap_digit[] = {
	"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"
};

int document_amount_capital(int64_t fen, char *buf, size_t len)
{
	static const char *const unit[] = { "仟", "佰", "拾", "" };
	static const char *const group_unit[] = { "亿", "万", "" };
	GString *s;
	int64_t yuan, groups[3];
	int jiao, f;
	bool zero = false; /* a zero is owed before the next digit written */

	if (fen < 0)
		return -EINVAL;
	if (fen >= INT64_C(100000000000000)) /* 1e12 yuan */
		return -ERANGE;
	yuan = fen / 100;
	jiao = (int)(fen / 10 % 10);
	f = (int)(fen % 10);
	groups[0] = yuan / 100000000;
	groups[1] = yuan / 10000 % 10000;
	groups[2] = yuan % 10000;

	s = g_string_new("");
	for (int gi = 0; gi < 3; gi++) {
		int64_t grp = groups[gi];

		if (grp == 0) {
			zero = s->len > 0;
			continue;
		}
		for (int di = 0, div = 1000; di < 4; di++, div /= 10) {
			int d = (int)(grp / div % 10);

			if (d == 0) {
				zero = zero || s->len > 0;
				continue;
			}
			if (zero)
				g_string_append(s, cap_digit[0]);
			zero = false;
			g_string_append(s, cap_digit[d]);
			g_string_append(s, unit[di]);
		}
		g_string_append(s, group_unit[gi]);
	}
	if (yuan > 0 || (jiao == 0 && f == 0))
		g_string_append(s, yuan > 0 ? "元" : "零元");
	/* 元 then 分 with no 角 between is written 元零分; amounts ending at
	 * 元 or 角 close with 整, those with 分 do not. */
	if (jiao > 0)
		g_string_append_printf(s, "%s角", cap_digit[jiao]);
	else if (f > 0 && yuan > 0)
		g_string_append(s, cap_digit[0]);
	if (f > 0)
		g_string_append_printf(s, "%s分", cap_digit[f]);
	else
		g_string_append(s, "整");

	if (s->len + 1 > len) {
		g_string_free(s, TRUE);
		return -ENOSPC;
	}
	memcpy(buf, s->str, s->len + 1);
	g_string_free(s, TRUE);
	return 0;
}

/* --- blocks ------------------------------------------------------------- */

static PangoLayout *new_layout(struct doc *d, const char *text, double pt, bool bold,
			       PangoAlignment align, double width)
{
	PangoLayout *l = pango_layout_new(d->pc);
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, FONT_FAMILY);
	pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	/* CJK breaks between any characters; long numbers and URLs too */
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align);
	pango_layout_set_line_spacing(l, 1.35f);
	pango_layout_set_text(l, text, -1);
	return l;
}

static struct block *add_block(struct doc *d, PangoLayout *body, double space_before)
{
	struct block *b = g_new0(struct block, 1);

	b->body = body;
	b->space_before = space_before;
	g_ptr_array_add(d->blocks, b);
	return b;
}

static void block_free(gpointer p)
{
	struct block *b = p;

	if (b->label)
		g_object_unref(b->label);
	g_object_unref(b->body);
	g_free(b);
}

static bool present(const char *s)
{
	return s && *s;
}

static void add_line(struct doc *d, const char *text, double pt, bool bold, PangoAlignment align,
		     double space_before)
{
	add_block(d, new_layout(d, text, pt, bold, align, d->content_w), space_before)->keep = true;
}

/* A paragraph; indent_em > 0 indents the first line of each paragraph,
 * < 0 hangs the lines after the first (list items). */
static void add_para(struct doc *d, const char *text, double indent_em)
{
	PangoLayout *l = new_layout(d, text, d->g->body_pt, false, PANGO_ALIGN_LEFT, d->content_w);

	pango_layout_set_indent(l, (int)(indent_em * d->g->body_pt * PANGO_SCALE));
	add_block(d, l, d->g->gap / 2);
}

static void add_heading(struct doc *d, const char *text)
{
	struct block *b = add_block(
	    d, new_layout(d, text, d->g->body_pt, true, PANGO_ALIGN_LEFT, d->content_w), d->g->gap);

	b->keep = b->keep_with_next = true;
}

/* "label：value", the value wrapping in its own column. Nothing when the
 * value is absent (optional fields). */
static void add_row(struct doc *d, const char *label, const char *value)
{
	double lw = d->g->label_em * d->g->body_pt, gutter = d->g->body_pt / 2;
	PangoLayout *body;
	struct block *b;
	char *lt;

	if (!present(value))
		return;
	lt = g_strconcat(label, "：", NULL);
	body = new_layout(d, value, d->g->body_pt, false, PANGO_ALIGN_LEFT,
			  d->content_w - lw - gutter);
	b = add_block(d, body, d->g->gap / 2);
	b->label = new_layout(d, lt, d->g->body_pt, true, PANGO_ALIGN_LEFT, lw);
	b->x = lw + gutter;
	g_free(lt);
}

/* --- the documents ------------------------------------------------------- */

static const char *party_id_label(const struct document_fields *f)
{
	return f->party_type == DOC_PARTY_INDIVIDUAL ? "身份证件号码" : "许可证编号";
}

static char *officer_list(const struct document_fields *f)
{
	GString *s = g_string_new("");

	for (size_t i = 0; i < f->officer_count; i++)
		g_string_append_printf(s, "%s%s（执法证号：%s）", i ? "、" : "",
				       f->officers[i].name, f->officers[i].id);
	return g_string_free(s, FALSE);
}

static void add_header(struct doc *d, enum document_kind kind, const struct document_fields *f)
{
	const struct geometry *g = d->g;

	add_line(d, f->agency, g->head_pt, true, PANGO_ALIGN_CENTER, 0);
	add_line(d, document_kind_title(kind), g->title_pt, true, PANGO_ALIGN_CENTER, g->gap / 2);
	if (present(f->number)) {
		char *t = g_strconcat("编号：", f->number, NULL);

		add_line(d, t, g->body_pt, false, PANGO_ALIGN_RIGHT, g->gap);
		g_free(t);
	}
}

/* The party's signature, or the note that it refused; then, with
 * officers, each officer's. */
static void add_signatures(struct doc *d, const struct document_fields *f, const char *party_line,
			   bool officers)
{
	const struct geometry *g = d->g;
	char *t;

	if (f->party_refused)
		t = g_strdup("当事人拒绝签字（由执法人员在场注明）");
	else
		t = g_strdup_printf("%s：%s  日期：%s", party_line, g->blank, "____年__月__日");
	add_line(d, t, g->body_pt, f->party_refused, PANGO_ALIGN_LEFT, g->gap * 2);
	g_free(t);
	for (size_t i = 0; officers && i < f->officer_count; i++) {
		t = g_strdup_printf("执法人员：%s（执法证号：%s）  签名：%s", f->officers[i].name,
				    f->officers[i].id, g->blank);
		add_line(d, t, g->body_pt, false, PANGO_ALIGN_LEFT, g->gap * 1.5);
		g_free(t);
	}
}

/* The agency's seal block, right-aligned. */
static void add_seal(struct doc *d, const struct document_fields *f)
{
	char *t = g_strdup_printf("%s（印章）\n%s", f->agency, present(f->date) ? f->date : "");

	add_line(d, t, d->g->body_pt, false, PANGO_ALIGN_RIGHT, d->g->gap * 3);
	g_free(t);
}

static void build_onsite_record(struct doc *d, const struct document_fields *f)
{
	char *officers = officer_list(f);

	add_header(d, DOC_ONSITE_RECORD, f);
	add_row(d, "被检查单位", f->party_name);
	add_row(d, party_id_label(f), f->party_id);
	add_row(d, "地址", f->party_address);
	add_row(d, "检查时间", f->time);
	add_row(d, "检查地点", f->place);
	add_row(d, "执法人员", officers);
	add_para(d,
		 "执法人员已向当事人出示执法证件，表明身份，告知当事人依法享有陈述、申辩和"
		 "申请回避的权利。",
		 2);
	add_heading(d, "现场检查情况：");
	add_para(d, f->facts, 2);
	add_heading(d, "当事人陈述：");
	add_para(d, present(f->party_statement) ? f->party_statement : "（当事人未作陈述）", 2);
	add_signatures(d, f, "当事人签名", true);
	if (present(f->date))
		add_line(d, f->date, d->g->body_pt, false, PANGO_ALIGN_RIGHT, d->g->gap * 2);
	g_free(officers);
}

static void build_correction_order(struct doc *d, const struct document_fields *f)
{
	const char *you = f->party_type == DOC_PARTY_INDIVIDUAL ? "你" : "你单位";
	char *t;

	add_header(d, DOC_CORRECTION_ORDER, f);
	t = g_strconcat(f->party_name, "：", NULL);
	add_line(d, t, d->g->body_pt, true, PANGO_ALIGN_LEFT, d->g->gap);
	g_free(t);
	add_row(d, party_id_label(f), f->party_id);
	add_row(d, "地址", f->party_address);
	if (present(f->time) && present(f->place))
		t = g_strdup_printf("本机关执法人员于%s在%s检查时发现，%s存在下列问题：", f->time,
				    f->place, you);
	else
		t = g_strdup_printf("经查，%s存在下列问题：", you);
	add_para(d, t, 2);
	g_free(t);
	for (size_t i = 0; i < f->problem_count; i++) {
		t = g_strdup_printf("%zu. [%s] %s", i + 1, f->problems[i].number,
				    f->problems[i].text);
		add_para(d, t, -2);
		g_free(t);
	}
	t = g_strdup_printf("依据%s的规定，现责令%s于%s前改正上述问题，并将改正情况书面报告本机"
			    "关。逾期不改正的，本机关将依法处理。",
			    f->legal_basis, you, f->deadline);
	add_para(d, t, 2);
	g_free(t);
	if (f->officer_count) {
		t = officer_list(f);
		add_row(d, "执法人员", t);
		g_free(t);
	}
	add_seal(d, f);
	add_signatures(d, f, "当事人签收", false);
}

static void build_penalty_decision(struct doc *d, const struct document_fields *f)
{
	char capital[96], *t;

	add_header(d, DOC_PENALTY_DECISION, f);
	add_row(d, "当事人", f->party_name);
	add_row(d, "当事人类型", f->party_type == DOC_PARTY_INDIVIDUAL ? "个人" : "单位");
	add_row(d, party_id_label(f), f->party_id);
	add_row(d, "地址", f->party_address);
	add_row(d, "处罚时间", f->time);
	add_row(d, "处罚地点", f->place);
	add_heading(d, "违法事实：");
	add_para(d, f->violation, 2);
	add_row(d, "处罚依据", f->legal_basis);
	add_row(d, "处罚种类", f->penalty == DOC_PENALTY_FINE ? "罚款" : "警告");
	if (f->penalty == DOC_PENALTY_FINE) {
		document_amount_capital(f->amount_fen, capital, sizeof capital);
		t = g_strdup_printf("人民币 %" PRId64 ".%02d 元（大写：%s）", f->amount_fen / 100,
				    (int)(f->amount_fen % 100), capital);
		add_row(d, "罚款金额", t);
		g_free(t);
		if (f->cash_on_spot)
			t = g_strdup(
			    "当场收缴（《中华人民共和国行政处罚法》第六十八条），执法人员当"
			    "场出具专用票据。");
		else
			t = g_strdup_printf("自收到本决定书之日起十五日内到%s缴纳罚款。到期不缴纳"
					    "罚款的，每日按罚款数额的百分之三加处罚款。",
					    f->payment_bank);
		add_row(d, "缴纳方式", t);
		g_free(t);
	}
	t = g_strdup_printf("当事人如不服本处罚决定，可以在收到本决定书之日起六十日内向%s申请行政"
			    "复议，或者在六个月内依法向%s提起行政诉讼。行政复议或者行政诉讼期间，"
			    "本处罚决定不停止执行，法律另有规定的除外。",
			    present(f->review_body) ? f->review_body : "依法有权受理的行政复议机关",
			    present(f->court) ? f->court : "有管辖权的人民法院");
	add_para(d, t, 2);
	g_free(t);
	add_signatures(d, f, "当事人签名", true);
	add_seal(d, f);
}

/* --- checking the fields ---------------------------------------------------- */

#define REQUIRE(field)                                                                             \
	do {                                                                                       \
		if (!present(f->field)) {                                                          \
			set_err(err, errlen, "cannot render %s: missing field '%s'", title,        \
				#field);                                                           \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

static int check_officers(const char *title, const struct document_fields *f, size_t at_least,
			  char *err, size_t errlen)
{
	if (f->officer_count < at_least || !f->officers) {
		set_err(err, errlen,
			"cannot render %s: missing field 'officers': %zu given, at least %zu law-"
			"enforcement officers are required",
			title, f->officers ? f->officer_count : 0, at_least);
		return -EINVAL;
	}
	for (size_t i = 0; i < f->officer_count; i++) {
		const char *which = !present(f->officers[i].name) ? "name"
				    : !present(f->officers[i].id) ? "id"
								  : NULL;
		if (which) {
			set_err(err, errlen, "cannot render %s: missing field 'officers[%zu].%s'",
				title, i, which);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_fine(const char *title, const struct document_fields *f, char *err, size_t errlen)
{
	bool person = f->party_type == DOC_PARTY_INDIVIDUAL;
	int64_t cap = person ? PENALTY_CAP_INDIVIDUAL_FEN : PENALTY_CAP_ORGANISATION_FEN;

	if (f->penalty == DOC_PENALTY_UNSET) {
		set_err(err, errlen, "cannot render %s: missing field 'penalty'", title);
		return -EINVAL;
	}
	if (f->penalty == DOC_PENALTY_WARNING) {
		if (f->amount_fen != 0) {
			set_err(err, errlen,
				"cannot render %s: field 'amount_fen' is %" PRId64
				" but a warning carries no fine",
				title, f->amount_fen);
			return -EINVAL;
		}
		return 0;
	}
	if (f->amount_fen <= 0) {
		set_err(err, errlen,
			"cannot render %s: field 'amount_fen' is %" PRId64
			", a fine must be positive",
			title, f->amount_fen);
		return -EINVAL;
	}
	if (f->amount_fen > cap) {
		set_err(err, errlen,
			"cannot render %s: a fine of %" PRId64 ".%02d CNY exceeds the simple "
			"procedure's cap of %" PRId64 " CNY for %s; use the ordinary procedure",
			title, f->amount_fen / 100, (int)(f->amount_fen % 100), cap / 100,
			person ? "an individual" : "an organisation");
		return -ERANGE;
	}
	if (f->cash_on_spot && f->amount_fen > PENALTY_CASH_MAX_FEN) {
		set_err(err, errlen,
			"cannot render %s: field 'cash_on_spot' is set but cash is collected on "
			"the spot only up to 100 CNY; this fine is paid at a bank within 15 days",
			title);
		return -EINVAL;
	}
	if (!f->cash_on_spot)
		REQUIRE(payment_bank);
	return 0;
}

/* pango would print invalid UTF-8 as boxes and warn; refuse it instead. */
static int check_utf8(const char *title, const struct document_fields *f, char *err, size_t errlen)
{
	const struct {
		const char *name, *value;
	} fields[] = {
		{ "agency", f->agency },
		{ "number", f->number },
		{ "party_name", f->party_name },
		{ "party_id", f->party_id },
		{ "party_address", f->party_address },
		{ "time", f->time },
		{ "place", f->place },
		{ "date", f->date },
		{ "facts", f->facts },
		{ "party_statement", f->party_statement },
		{ "deadline", f->deadline },
		{ "legal_basis", f->legal_basis },
		{ "violation", f->violation },
		{ "payment_bank", f->payment_bank },
		{ "review_body", f->review_body },
		{ "court", f->court },
	};
	const char *bad = NULL;
	size_t index = 0;

	for (size_t i = 0; !bad && i < G_N_ELEMENTS(fields); i++)
		if (fields[i].value && !g_utf8_validate(fields[i].value, -1, NULL))
			bad = fields[i].name;
	for (size_t i = 0; !bad && f->officers && i < f->officer_count; i++)
		if ((f->officers[i].name && !g_utf8_validate(f->officers[i].name, -1, NULL)) ||
		    (f->officers[i].id && !g_utf8_validate(f->officers[i].id, -1, NULL)))
			bad = "officers", index = i;
	for (size_t i = 0; !bad && f->problems && i < f->problem_count; i++)
		if ((f->problems[i].number && !g_utf8_validate(f->problems[i].number, -1, NULL)) ||
		    (f->problems[i].text && !g_utf8_validate(f->problems[i].text, -1, NULL)))
			bad = "problems", index = i;
	if (!bad)
		return 0;
	if (strcmp(bad, "officers") == 0 || strcmp(bad, "problems") == 0)
		set_err(err, errlen, "cannot render %s: field '%s[%zu]' is not valid UTF-8", title,
			bad, index);
	else
		set_err(err, errlen, "cannot render %s: field '%s' is not valid UTF-8", title, bad);
	return -EINVAL;
}

static int check_fields(enum document_kind kind, const struct document_fields *f, char *err,
			size_t errlen)
{
	const char *title = document_kind_title(kind);

	if (check_utf8(title, f, err, errlen) < 0)
		return -EINVAL;

	REQUIRE(agency);
	REQUIRE(party_name);
	switch (kind) {
	case DOC_ONSITE_RECORD:
		REQUIRE(party_id);
		REQUIRE(party_address);
		REQUIRE(time);
		REQUIRE(place);
		REQUIRE(facts);
		return check_officers(title, f, 2, err, errlen);
	case DOC_CORRECTION_ORDER:
		REQUIRE(number);
		if (!f->problems || f->problem_count == 0) {
			set_err(err, errlen,
				"cannot render %s: missing field 'problems': no failed item given",
				title);
			return -EINVAL;
		}
		for (size_t i = 0; i < f->problem_count; i++) {
			const char *which = !present(f->problems[i].number) ? "number"
					    : !present(f->problems[i].text) ? "text"
									    : NULL;
			if (which) {
				set_err(err, errlen,
					"cannot render %s: missing field 'problems[%zu].%s'", title,
					i, which);
				return -EINVAL;
			}
		}
		REQUIRE(legal_basis);
		REQUIRE(deadline);
		REQUIRE(date);
		return f->officer_count ? check_officers(title, f, 1, err, errlen) : 0;
	case DOC_PENALTY_DECISION:
		REQUIRE(number);
		if (f->party_type == DOC_PARTY_UNSET) {
			set_err(err, errlen,
				"cannot render %s: missing field 'party_type' (individual or "
				"organisation)",
				title);
			return -EINVAL;
		}
		REQUIRE(party_id);
		REQUIRE(party_address);
		REQUIRE(time);
		REQUIRE(place);
		REQUIRE(violation);
		REQUIRE(legal_basis);
		REQUIRE(date);
		if (check_officers(title, f, 2, err, errlen) < 0)
			return -EINVAL;
		return check_fine(title, f, err, errlen);
	}
	set_err(err, errlen, "cannot render document: unknown kind %d", (int)kind);
	return -EINVAL;
}

/* fontconfig would silently substitute a font without Chinese glyphs. */
static int check_font(PangoFontMap *fm, PangoContext *pc, const char *title, char *err,
		      size_t errlen)
{
	PangoFontDescription *fd = pango_font_description_from_string(FONT_FAMILY);
	PangoFont *font = pango_font_map_load_font(fm, pc, fd);
	PangoFontDescription *got = font ? pango_font_describe(font) : NULL;
	const char *family = got ? pango_font_description_get_family(got) : NULL;
	int rc = 0;

	if (!family || g_ascii_strcasecmp(family, FONT_FAMILY) != 0) {
		set_err(err, errlen,
			"cannot render %s: font '%s' is not installed (got '%s'); install "
			"Debian's fonts-wqy-zenhei",
			title, FONT_FAMILY, family ? family : "none");
		rc = -ENOENT;
	}
	if (got)
		pango_font_description_free(got);
	if (font)
		g_object_unref(font);
	pango_font_description_free(fd);
	return rc;
}

/* --- layout and drawing ------------------------------------------------------ */

static void place_lines(struct doc *d, PangoLayout *l, double x, double *y, int *page, double top,
			double bottom, bool may_break)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);

	do {
		PangoRectangle logical;
		int y0, y1, base;
		double h;
		struct piece p;

		pango_layout_iter_get_line_yrange(it, &y0, &y1);
		pango_layout_iter_get_line_extents(it, NULL, &logical);
		base = pango_layout_iter_get_baseline(it);
		h = (double)(y1 - y0) / PANGO_SCALE;
		if (may_break && *y + h > bottom && *y > top) {
			(*page)++;
			*y = top;
		}
		p.page = *page;
		p.x = x + (double)logical.x / PANGO_SCALE;
		p.baseline = *y + (double)(base - y0) / PANGO_SCALE;
		p.line = pango_layout_iter_get_line_readonly(it);
		g_array_append_val(d->pieces, p);
		*y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

static double layout_h(PangoLayout *l)
{
	int h;

	pango_layout_get_size(l, NULL, &h);
	return (double)h / PANGO_SCALE;
}

static double first_line_h(PangoLayout *l)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int y0, y1;

	pango_layout_iter_get_line_yrange(it, &y0, &y1);
	pango_layout_iter_free(it);
	return (double)(y1 - y0) / PANGO_SCALE;
}

/* Height the block needs on the page it starts on. */
static double block_need(const struct block *b, double page_h)
{
	double label_h = b->label ? layout_h(b->label) : 0;
	double whole = MAX(layout_h(b->body), label_h);

	if (b->keep && whole <= page_h)
		return whole;
	return MAX(first_line_h(b->body), label_h);
}

static void layout_pass(struct doc *d)
{
	const struct geometry *g = d->g;
	double top = g->margin_top;
	double bottom = g->height > 0 ? g->height - g->margin_bottom : INFINITY;
	double y = top;
	int page = 0;

	for (guint i = 0; i < d->blocks->len; i++) {
		const struct block *b = d->blocks->pdata[i];
		double need = block_need(b, bottom - top);
		double label_y;
		int start_page;

		if (y > top)
			y += b->space_before;
		if (b->keep_with_next && i + 1 < d->blocks->len) {
			const struct block *n = d->blocks->pdata[i + 1];

			need += n->space_before + block_need(n, bottom - top);
		}
		if (y + need > bottom && y > top) {
			page++;
			y = top;
		}
		label_y = y;
		start_page = page;
		if (b->label)
			place_lines(d, b->label, g->margin_x, &label_y, &page, top, bottom, false);
		place_lines(d, b->body, g->margin_x + b->x, &y, &page, top, bottom,
			    !(b->keep && layout_h(b->body) <= bottom - top));
		if (page == start_page && label_y > y)
			y = label_y;
	}
	d->pages = page + 1;
	d->end_y = y;
}

/* Each A4 page: which document (title and number) and which page of it. */
static void draw_footer(struct doc *d, cairo_t *cr, int page, const char *name)
{
	char *t = g_strdup_printf("%s  第 %d 页 共 %d 页", name, page + 1, d->pages);
	PangoLayout *l = new_layout(d, t, d->g->small_pt, false, PANGO_ALIGN_CENTER, d->content_w);

	cairo_move_to(cr, d->g->margin_x, d->g->height - d->g->margin_bottom / 2 - layout_h(l) / 2);
	pango_cairo_show_layout(cr, l);
	g_object_unref(l);
	g_free(t);
}

static void draw_pass(struct doc *d, cairo_t *cr, const char *name)
{
	int page = 0;

	cairo_set_source_rgb(cr, 0, 0, 0);
	for (guint i = 0; i < d->pieces->len; i++) {
		const struct piece *p = &g_array_index(d->pieces, struct piece, i);

		while (p->page > page) {
			if (d->g->height > 0)
				draw_footer(d, cr, page, name);
			cairo_show_page(cr);
			page++;
		}
		cairo_move_to(cr, p->x, p->baseline);
		pango_cairo_show_layout_line(cr, p->line);
	}
	if (d->g->height > 0)
		draw_footer(d, cr, page, name);
	cairo_show_page(cr);
}

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int length)
{
	return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
							  : CAIRO_STATUS_WRITE_ERROR;
}

/* Draw d into a new PDF at path, through a temporary file renamed into
 * place. */
static int write_pdf(struct doc *d, double page_h, const char *title, const char *number,
		     const char *path, char *err, size_t errlen)
{
	char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	char *name;
	cairo_surface_t *surface;
	cairo_status_t st;
	cairo_t *cr;
	FILE *fp;
	int fd, rc = 0;

	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		goto out_free;
	}
	fp = fdopen(fd, "wb");
	if (!fp) {
		rc = -errno;
		set_err(err, errlen, "cannot open '%s': %s", tmp, strerror(errno));
		close(fd);
		goto out_unlink;
	}

	surface = cairo_pdf_surface_create_for_stream(write_stream, fp, d->g->width, page_h);
	name = present(number) ? g_strdup_printf("%s %s", title, number) : g_strdup(title);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, name);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "brightkitchen");
	cr = cairo_create(surface);
	draw_pass(d, cr, name);
	g_free(name);
	st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS) {
		set_err(err, errlen, "cannot write '%s': %s", path, cairo_status_to_string(st));
		fclose(fp);
		rc = -EIO;
		goto out_unlink;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0 || fclose(fp) != 0) {
		rc = -errno;
		set_err(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		set_err(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto out_unlink;
	}
	goto out_free;

out_unlink:
	unlink(tmp);
out_free:
	g_free(tmp);
	return rc;
}

int document_render(enum document_kind kind, enum paper paper, const struct document_fields *f,
		    const char *pdf_path, char *err, size_t errlen)
{
	const char *title = document_kind_title(kind);
	struct doc d = { 0 };
	PangoFontMap *fm;
	cairo_font_options_t *fo;
	double page_h;
	int rc;

	if (!f || !pdf_path) {
		set_err(err, errlen, "cannot render %s: no %s given", title,
			f ? "output path" : "fields");
		return -EINVAL;
	}
	if (paper != PAPER_A4 && paper != PAPER_ROLL_80MM) {
		set_err(err, errlen, "cannot render %s: unknown paper %d", title, (int)paper);
		return -EINVAL;
	}
	rc = check_fields(kind, f, err, errlen);
	if (rc < 0)
		return rc;

	d.g = paper == PAPER_A4 ? &geom_a4 : &geom_roll;
	d.content_w = d.g->width - 2 * d.g->margin_x;
	fm = pango_cairo_font_map_new();
	d.pc = pango_font_map_create_context(fm);
	fo = cairo_font_options_create();
	/* unhinted metrics: what is measured is what the PDF shows */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(d.pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(d.pc, FALSE);
	d.blocks = g_ptr_array_new_with_free_func(block_free);
	d.pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	rc = check_font(fm, d.pc, title, err, errlen);
	if (rc < 0)
		goto out;

	switch (kind) {
	case DOC_ONSITE_RECORD:
		build_onsite_record(&d, f);
		break;
	case DOC_CORRECTION_ORDER:
		build_correction_order(&d, f);
		break;
	case DOC_PENALTY_DECISION:
		build_penalty_decision(&d, f);
		break;
	}
	layout_pass(&d);

	page_h = d.g->height > 0 ? d.g->height : ceil(d.end_y + d.g->margin_bottom);
	if (page_h > ROLL_MAX_PT) {
		set_err(err, errlen,
			"cannot render %s on an 80 mm roll: %.0f mm long, more than a PDF page "
			"may be (%.0f mm); print it on A4",
			title, page_h / PT_PER_MM, ROLL_MAX_PT / PT_PER_MM);
		rc = -EFBIG;
	} else {
		rc = write_pdf(&d, page_h, title, f->number, pdf_path, err, errlen);
	}
out:
	g_array_free(d.pieces, TRUE);
	g_ptr_array_free(d.blocks, TRUE);
	g_object_unref(d.pc);
	g_object_unref(fm);
	return rc;
}
