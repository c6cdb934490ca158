/*
 * address.c — see address.h.
 *
 * One pass works on code points (UCS-4): NFKC, then a filter (spaces,
 * punctuation and symbols out, '#' after a number made 号, dashes kept
 * only inside an ASCII token), then house numbers (Chinese numerals to
 * digits, unit words made one), then the administrative prefix. A pass
 * can leave work for another (dropping a '.' lets NFKC compose what it
 * separated; 3F-2 becomes 3楼-2, whose dash no longer sits in an ASCII
 * token), so passes repeat until one changes nothing: the result is then
 * a fixed point, and normalising it again gives it back. Two passes for
 * almost every address, each linear in its length.
 */
#include "address.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Passes before giving up; each pass that changes the text shortens it or
 * replaces characters by ones no rule touches again, so a handful do. */
#define MAX_PASSES 16
/* An administrative part is 2–7 characters, or up to 15 when autonomous
 * (双江拉祜族佤族布朗族傣族自治县) or a special administrative region. */
#define PART_MAX      7
#define PART_MAX_LONG 15

/* --- NFKC, bounded ------------------------------------------------------ */

/* Whether NFKC would spell ch out in more than 4 times its UTF-8 bytes
 * (squared katakana words like ㍊ ミリバール, U+FDFA): such characters are
 * dropped, which bounds the result at 4 times the address. */
static bool spelt_out(gunichar ch)
{
	gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
	char one[8], *nfkc;
	gsize n, bytes = 0;
	int own = g_unichar_to_utf8(ch, one);
	bool too_long;

	if (ch < 0x80)
		return false;
	n = g_unichar_fully_decompose(ch, TRUE, d, G_N_ELEMENTS(d));
	for (gsize i = 0; i < n; i++)
		bytes += (gsize)g_unichar_to_utf8(d[i], NULL);
	if (bytes <= 4 * (gsize)own)
		return false;
	/* decomposed, it may be long only until composed again (kana with
	 * dakuten, hangul) */
	nfkc = g_utf8_normalize(one, own, G_NORMALIZE_ALL_COMPOSE);
	too_long = !nfkc || strlen(nfkc) > 4 * (size_t)own;
	g_free(nfkc);
	return too_long;
}

/* NFKC of valid UTF-8 text, as code points; *n receives their number. */
static gunichar *nfkc_ucs4(const char *text, glong *n)
{
	GString *kept = g_string_sized_new(strlen(text));
	gunichar *u;
	char *norm;

	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		if (!spelt_out(g_utf8_get_char(p)))
			g_string_append_len(kept, p, g_utf8_next_char(p) - p);
	}
	norm = g_utf8_normalize(kept->str, (gssize)kept->len, G_NORMALIZE_ALL_COMPOSE);
	g_string_free(kept, TRUE);
	u = g_utf8_to_ucs4_fast(norm ? norm : "", -1, n);
	g_free(norm);
	return u;
}

/* --- filter ------------------------------------------------------------- */

static bool ascii_alnum(gunichar ch)
{
	return ch < 0x80 && g_ascii_isalnum((char)ch);
}

static bool ascii_digit(gunichar ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_dash(gunichar ch)
{
	return g_unichar_type(ch) == G_UNICODE_DASH_PUNCTUATION || ch == 0x2212; /* − */
}

/* Spaces, punctuation (brackets, not what they hold), symbols, controls
 * and invisible format characters. Letters, digits, marks and anything
 * unassigned stay. */
static bool dropped(gunichar ch)
{
	switch (g_unichar_type(ch)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT:
	case G_UNICODE_SPACE_SEPARATOR:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_CONNECT_PUNCTUATION:
	case G_UNICODE_DASH_PUNCTUATION:
	case G_UNICODE_OPEN_PUNCTUATION:
	case G_UNICODE_CLOSE_PUNCTUATION:
	case G_UNICODE_INITIAL_PUNCTUATION:
	case G_UNICODE_FINAL_PUNCTUATION:
	case G_UNICODE_OTHER_PUNCTUATION:
	case G_UNICODE_MATH_SYMBOL:
	case G_UNICODE_CURRENCY_SYMBOL:
	case G_UNICODE_MODIFIER_SYMBOL:
	case G_UNICODE_OTHER_SYMBOL:
		return true;
	default:
		return false;
	}
}

#define DASH_MARK 0xFFFFFFFFu /* a dash seen, decided once both neighbours are known */

/* u[0..n) filtered into out; returns the new length. '-' is kept only
 * between two ASCII letters or digits (88-1, B-3): elsewhere (杭州市-西湖区,
 * 3栋-201) it separates nothing a comparison needs. */
static glong filter(const gunichar *u, glong n, gunichar *out)
{
	glong m = 0, k = 0;

	for (glong i = 0; i < n; i++) {
		gunichar ch = u[i];

		if (ch == '#' && m > 0 && ascii_digit(out[m - 1])) {
			out[m++] = 0x53F7; /* 号: 3#楼 is 3号楼 */
		} else if (is_dash(ch)) {
			if (m == 0 || out[m - 1] != DASH_MARK)
				out[m++] = DASH_MARK;
		} else if (!dropped(ch)) {
			out[m++] = ch < 0x80 ? (gunichar)g_ascii_toupper((char)ch) : ch;
		}
	}
	for (glong i = 0; i < m; i++) {
		if (out[i] != DASH_MARK)
			out[k++] = out[i];
		else if (k > 0 && ascii_alnum(out[k - 1]) && i + 1 < m && ascii_alnum(out[i + 1]))
			out[k++] = '-';
	}
	return k;
}

/* --- house numbers -------------------------------------------------------- */

/* The digit a Chinese numeral stands for, 10/100/1000 for 十百千, or -1. */
static int numeral(gunichar ch)
{
	switch (ch) {
	case 0x96F6: /* 零 */
	case 0x3007: /* 〇 */
		return 0;
	case 0x4E00: /* 一 */
		return 1;
	case 0x4E8C: /* 二 */
	case 0x4E24: /* 两 */
		return 2;
	case 0x4E09: /* 三 */
		return 3;
	case 0x56DB: /* 四 */
		return 4;
	case 0x4E94: /* 五 */
		return 5;
	case 0x516D: /* 六 */
		return 6;
	case 0x4E03: /* 七 */
		return 7;
	case 0x516B: /* 八 */
		return 8;
	case 0x4E5D: /* 九 */
		return 9;
	case 0x5341: /* 十 */
		return 10;
	case 0x767E: /* 百 */
		return 100;
	case 0x5343: /* 千 */
		return 1000;
	default:
		return -1;
	}
}

/* Characters of the house-number unit starting at u[i], 0 if none. */
static int unit_at(const gunichar *u, glong i, glong n)
{
	if (i >= n)
		return 0;
	switch (u[i]) {
	case 0x53F7: /* 号 */
	case 0x680B: /* 栋 */
	case 0x5E62: /* 幢 */
	case 0x5EA7: /* 座 */
	case 0x697C: /* 楼 */
	case 0x5C42: /* 层 */
	case 0x5BA4: /* 室 */
	case 0x5F04: /* 弄 */
	case 0x5DF7: /* 巷 */
		return 1;
	case 0x5355: /* 单元 */
		return i + 1 < n && u[i + 1] == 0x5143 ? 2 : 0;
	default:
		return 0;
	}
}

/* The value of a positional numeral (八十八, 一百零三, 十二, 三百二 = 320),
 * or -1 when the run is not one (十十, 百, 二三十). */
static int positional(const gunichar *u, glong len)
{
	int value = 0, pending = -1, last = 10000;
	bool zero = false, prev_unit = false, tail = false;

	for (glong i = 0; i < len; i++) {
		int v = numeral(u[i]);

		if (v < 10) {
			if (pending >= 0)
				return -1;
			if (v == 0)
				zero = true;
			else
				pending = v;
			tail = prev_unit && v != 0;
			prev_unit = false;
			continue;
		}
		if (v >= last)
			return -1;
		if (pending < 0) {
			if (v != 10)
				return -1;
			pending = 1; /* 十二, 一百一十 and 一百零十 alike */
		}
		value += pending * v;
		pending = -1;
		last = v;
		zero = false;
		prev_unit = true;
	}
	if (pending >= 0) {
		/* 三百二 is 320, 一千五 1500; 三百零二 is 302 */
		if (!zero && tail && last >= 100)
			pending *= last / 10;
		value += pending;
	}
	return value;
}

/* A run of Chinese numerals u[0..len) as digits into out (returns how
 * many), or 0 when it cannot be read (then it is kept as written). */
static glong numeral_digits(const gunichar *u, glong len, gunichar *out)
{
	bool has_unit = false;
	char buf[16];
	int v;

	for (glong i = 0; i < len; i++)
		has_unit |= numeral(u[i]) >= 10;
	if (!has_unit) {
		/* 二〇三 digit by digit */
		for (glong i = 0; i < len; i++)
			out[i] = (gunichar)('0' + numeral(u[i]));
		return len;
	}
	v = positional(u, len);
	if (v < 0)
		return 0;
	snprintf(buf, sizeof buf, "%d", v);
	for (size_t i = 0; buf[i]; i++)
		out[i] = (gunichar)buf[i];
	return (glong)strlen(buf);
}

/* Numerals before a unit become digits; 幢 座 号楼 after a number or
 * letter become 栋, 层 and F after a number 楼. u[0..n) into out (at
 * most 2n code points: 十 is 10); returns the new length. */
static glong house_numbers(const gunichar *u, glong n, gunichar *out)
{
	glong m = 0, i = 0;

	while (i < n) {
		gunichar ch = u[i], next = i + 1 < n ? u[i + 1] : 0;
		bool after_number = m > 0 && ascii_digit(out[m - 1]);
		bool after_alnum = m > 0 && ascii_alnum(out[m - 1]);

		if (numeral(ch) >= 0) {
			glong j = i, got;

			while (j < n && numeral(u[j]) >= 0)
				j++;
			got = unit_at(u, j, n) ? numeral_digits(u + i, j - i, out + m) : 0;
			if (got == 0) {
				memcpy(out + m, u + i, (size_t)(j - i) * sizeof *u);
				got = j - i;
			}
			m += got;
			i = j;
			continue;
		}
		if (after_alnum && ch == 0x53F7 && next == 0x697C &&
		    !(i + 2 < n && (u[i + 2] == 0x4E0B || u[i + 2] == 0x4E0A))) {
			/* 3号楼 is building 3; 88号楼下 is downstairs at No. 88 */
			out[m++] = 0x680B;
			i += 2;
			continue;
		}
		if (after_alnum && (ch == 0x5E62 || ch == 0x5EA7)) {
			out[m++] = 0x680B; /* 幢 座 → 栋 */
			i++;
			continue;
		}
		if (after_number && ch == 0x5C42) {
			out[m++] = 0x697C; /* 层 → 楼, and 3层楼 is 3楼 */
			i += next == 0x697C ? 2 : 1;
			continue;
		}
		if (after_number && ch == 'F' && !(next < 0x80 && g_ascii_isalpha((char)next))) {
			out[m++] = 0x697C; /* 3F, B1F; not 3FL */
			i++;
			continue;
		}
		out[m++] = ch;
		i++;
	}
	return m;
}

/* --- administrative prefix ----------------------------------------------- */

static bool has_at(const gunichar *u, glong n, glong i, const char *text)
{
	for (const char *p = text; *p; p = g_utf8_next_char(p), i++) {
		if (i >= n || u[i] != g_utf8_get_char(p))
			return false;
	}
	return true;
}

static bool ends_with(const gunichar *u, glong end, const char *suffix)
{
	glong len = g_utf8_strlen(suffix, -1);

	return end >= len && has_at(u, end, end - len, suffix);
}

/* What may follow an administrative part: not a road (北京路, 红旗路,
 * 上海东路, 天津大道: names of streets). */
static bool part_may_end(const gunichar *u, glong n, glong end)
{
	static const gunichar roads[] = { 0x8DEF, 0x8857, 0x9053, 0x5DF7, 0x5F04 }; /* 路街道巷弄 */
	static const gunichar sides[] = {
		0x4E1C, 0x5357, 0x897F, 0x5317, 0x4E2D, 0x5927
	}; /* 东南西北中大 */
	glong i = end;

	if (i < n) {
		for (size_t k = 0; k < G_N_ELEMENTS(sides); k++) {
			if (u[i] == sides[k] && i + 1 < n) {
				i++;
				break;
			}
		}
		for (size_t k = 0; k < G_N_ELEMENTS(roads); k++) {
			if (u[i] == roads[k])
				return false;
		}
	}
	return true;
}

/* Whether u[end - 1] ends an administrative part: 省 市 区 县 旗 盟, or
 * the 州 of 自治州 (杭州 is no part). */
static bool part_end(const gunichar *u, glong end)
{
	switch (u[end - 1]) {
	case 0x7701: /* 省 */
	case 0x5E02: /* 市 */
	case 0x533A: /* 区 */
	case 0x53BF: /* 县 */
	case 0x65D7: /* 旗 */
	case 0x76DF: /* 盟 */
		return true;
	case 0x5DDE: /* 州 */
		return ends_with(u, end, "自治州");
	default:
		return false;
	}
}

/* The length of the administrative part at the start of u[0..n), 0 if
 * none. It runs to the first character that ends a part, its second or
 * later, all Han; its level does not matter, as parts are dropped in any
 * order. */
static glong part_at(const gunichar *u, glong n)
{
	/* compounds that are not districts: a residential compound, a
	 * neighbourhood, a campus, a scenic area, a factory */
	static const char *const not_district[] = { "小区", "社区", "校区", "景区", "厂区" };
	static const char *const long_ones[] = { "自治区", "自治州", "自治县", "自治旗",
						 "特别行政区" };
	glong end;
	bool long_ok = false;

	for (end = 1;; end++) {
		if (end > PART_MAX_LONG || end > n ||
		    g_unichar_get_script(u[end - 1]) != G_UNICODE_SCRIPT_HAN)
			return 0;
		if (end >= 2 && part_end(u, end))
			break;
	}
	for (size_t k = 0; k < G_N_ELEMENTS(long_ones); k++)
		long_ok |= ends_with(u, end, long_ones[k]);
	if (end > PART_MAX && !long_ok)
		return 0;
	for (size_t k = 0; k < G_N_ELEMENTS(not_district); k++) {
		if (ends_with(u, end, not_district[k]))
			return 0;
	}
	if (ends_with(u, end, "联盟") || (end < n && u[end - 1] == 0x65D7 && u[end] == 0x8230))
		return 0; /* an alliance; a flagship store (旗舰店) */
	/* 市场 market, 市府 市政 city hall, 市集 fair */
	if (u[end - 1] == 0x5E02 && end < n &&
	    (u[end] == 0x573A || u[end] == 0x5E9C || u[end] == 0x653F || u[end] == 0x96C6))
		return 0;
	return part_may_end(u, n, end) ? end : 0;
}

/* Code points at the start of u[0..n) that are 中国 or an administrative
 * prefix: parts are dropped while the rest starts with one, in whatever
 * order they come (a province, a city, a county, each written in one of
 * several ways), which makes the result a fixed point. */
static glong prefix_len(const gunichar *u, glong n)
{
	static const char *const municipalities[] = { "北京", "上海", "天津", "重庆" };
	glong s = 0;

	for (;;) {
		glong len = 0;

		if (has_at(u, n, s, "中国") && part_may_end(u, n, s + 2))
			len = 2;
		for (size_t k = 0; !len && k < G_N_ELEMENTS(municipalities); k++) {
			if (!has_at(u, n, s, municipalities[k]))
				continue;
			/* 北京市 or 北京, the 市 taken unless it starts a word (北京市场) */
			len = part_at(u + s, n - s) == 3 && u[s + 2] == 0x5E02 ? 3 : 2;
			if (!part_may_end(u, n, s + len))
				len = 0;
		}
		if (!len)
			len = part_at(u + s, n - s);
		if (!len)
			return s;
		s += len;
	}
}

/* --- the whole -------------------------------------------------------- */

static char *normalise_pass(const char *text)
{
	glong n, m;
	gunichar *u = nfkc_ucs4(text, &n), *a = g_new(gunichar, n + 1);
	gunichar *b = g_new(gunichar, 2 * n + 1);
	glong skip;
	char *out;

	m = filter(u, n, a);
	m = house_numbers(a, m, b);
	skip = prefix_len(b, m);
	out = g_ucs4_to_utf8(b + skip, m - skip, NULL, NULL, NULL);
	g_free(u);
	g_free(a);
	g_free(b);
	return out ? out : g_strdup("");
}

char *address_normalise(const char *address)
{
	char *s = g_utf8_make_valid(address ? address : "", -1);

	for (int pass = 0; pass < MAX_PASSES; pass++) {
		char *t = normalise_pass(s);
		bool same = strcmp(s, t) == 0;

		g_free(s);
		s = t;
		if (same)
			break;
	}
	return s;
}

bool address_same(const char *a, const char *b)
{
	char *na = address_normalise(a), *nb = address_normalise(b);
	bool same = *na && strcmp(na, nb) == 0;

	g_free(na);
	g_free(nb);
	return same;
}
