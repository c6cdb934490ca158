/*
 * penalty.c — see penalty.h. The refusal text is what the inspector reads
 * on the handheld, so it says what to do instead: the ordinary procedure.
 */
#include "penalty.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

const char *const penalty_party_names[] = {
	[PENALTY_INDIVIDUAL] = "individual", [PENALTY_ORGANISATION] = "organisation", NULL
};
const char *const penalty_type_names[] = {
	[PENALTY_WARNING] = "warning", [PENALTY_FINE] = "fine", NULL
};

static int refuse(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void penalty_format_cny(int64_t fen, char buf[PENALTY_AMOUNT_LEN])
{
	snprintf(buf, PENALTY_AMOUNT_LEN, "%s%lld.%02lld", fen < 0 ? "-" : "",
		 (long long)(fen < 0 ? -(fen / 100) : fen / 100),
		 (long long)(fen < 0 ? -(fen % 100) : fen % 100));
}

int penalty_amount_fen(double amount_cny, int64_t *fen, char *err, size_t errlen)
{
	double scaled;
	int64_t whole;

	if (isnan(amount_cny) || isinf(amount_cny))
		return refuse(err, errlen, -EINVAL, "amount: not a number");
	if (amount_cny < 0)
		return refuse(err, errlen, -EINVAL, "amount: %g CNY is negative", amount_cny);
	if (amount_cny > PENALTY_AMOUNT_MAX_CNY)
		return refuse(err, errlen, -EINVAL, "amount: %g CNY is not a plausible amount",
			      amount_cny);
	/* 0.07 * 100 is 7.000000000000001: allow that much, refuse 200.005 */
	scaled = amount_cny * 100.0;
	whole = llround(scaled);
	if (fabs(scaled - (double)whole) > 1e-6)
		return refuse(err, errlen, -EINVAL,
			      "amount: %.4f CNY has a fraction below 0.01 CNY (one fen)",
			      amount_cny);
	*fen = whole;
	return 0;
}

int penalty_check(enum penalty_party party, enum penalty_type type, double amount_cny,
		  struct penalty_decision *out, char *err, size_t errlen)
{
	int64_t fen, cap;
	char amount[PENALTY_AMOUNT_LEN], cap_text[PENALTY_AMOUNT_LEN];
	int rc;

	if ((party != PENALTY_INDIVIDUAL && party != PENALTY_ORGANISATION) ||
	    (type != PENALTY_WARNING && type != PENALTY_FINE))
		return refuse(err, errlen, -EINVAL, "penalty: unknown party or penalty type");
	rc = penalty_amount_fen(amount_cny, &fen, err, errlen);
	if (rc < 0)
		return rc;
	penalty_format_cny(fen, amount);
	if (type == PENALTY_WARNING && fen != 0)
		return refuse(err, errlen, -EINVAL,
			      "amount: a warning carries no fine, but %s CNY was given", amount);
	if (type == PENALTY_FINE && fen == 0)
		return refuse(err, errlen, -EINVAL, "amount: a fine of 0 CNY: decide a warning");
	cap =
	    party == PENALTY_INDIVIDUAL ? PENALTY_CAP_INDIVIDUAL_FEN : PENALTY_CAP_ORGANISATION_FEN;
	if (fen > cap) {
		penalty_format_cny(cap, cap_text);
		return refuse(err, errlen, -ERANGE,
			      "amount: a fine of %s CNY for %s exceeds the simple procedure's "
			      "cap of %s CNY: use the ordinary procedure (普通程序)",
			      amount,
			      party == PENALTY_INDIVIDUAL ? "an individual" : "an organisation",
			      cap_text);
	}
	out->party = party;
	out->type = type;
	out->amount_fen = fen;
	out->cash_allowed = type == PENALTY_FINE && fen <= PENALTY_CASH_MAX_FEN;
	out->pay_within_days = type == PENALTY_FINE ? PENALTY_PAYMENT_DAYS : 0;
	return 0;
}

int penalty_decision_number(const char *agency, int year, long serial, char *buf, size_t len)
{
	size_t n;
	int w;

	if (!agency || !buf)
		return -EINVAL;
	n = strlen(agency);
	if (n == 0 || n > PENALTY_AGENCY_MAX || !g_utf8_validate(agency, (gssize)n, NULL))
		return -EINVAL;
	for (const char *p = agency; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || g_unichar_iscntrl(c) || c == 0x3014 || c == 0x3015)
			return -EINVAL; /* 〔 〕 would make the number ambiguous */
	}
	if (year < 2000 || year > 9999 || serial < 1 || serial > 99999999L)
		return -EINVAL;
	w = snprintf(buf, len, "%s〔%d〕简易第%04ld号", agency, year, serial);
	if (w < 0 || (size_t)w >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}
