/*
 * Unit tests for penalty.c: the simple procedure's caps, amounts in fen,
 * payment on the spot, and decision numbers. Table-driven.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "penalty.h"

struct check_case {
	enum penalty_party party;
	enum penalty_type type;
	double amount;
	int rc;		    /* 0, -EINVAL or -ERANGE */
	int64_t fen;	    /* when rc == 0 */
	bool cash;	    /* when rc == 0 */
	const char *reason; /* a part of err when rc != 0 */
};

static void test_check_table(void **state)
{
	const struct check_case cases[] = {
		{ PENALTY_INDIVIDUAL, PENALTY_WARNING, 0, 0, 0, false, NULL },
		{ PENALTY_ORGANISATION, PENALTY_WARNING, 0, 0, 0, false, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_WARNING, 50, -EINVAL, 0, false,
		  "warning carries no fine" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 0, -EINVAL, 0, false, "decide a warning" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 0.01, 0, 1, true, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 0.07, 0, 7, true, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 100, 0, 10000, true, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 100.01, 0, 10001, false, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 199.99, 0, 19999, false, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 200, 0, 20000, false, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 200.01, -ERANGE, 0, false,
		  "a fine of 200.01 CNY for an individual exceeds the simple procedure's cap of "
		  "200.00 CNY: use the ordinary procedure (普通程序)" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 3000, -ERANGE, 0, false, "cap of 200.00 CNY" },
		{ PENALTY_ORGANISATION, PENALTY_FINE, 200.01, 0, 20001, false, NULL },
		{ PENALTY_ORGANISATION, PENALTY_FINE, 3000, 0, 300000, false, NULL },
		{ PENALTY_ORGANISATION, PENALTY_FINE, 3000.01, -ERANGE, 0, false,
		  "a fine of 3000.01 CNY for an organisation exceeds the simple procedure's cap of "
		  "3000.00 CNY: use the ordinary procedure (普通程序)" },
		{ PENALTY_ORGANISATION, PENALTY_FINE, 5000, -ERANGE, 0, false, "普通程序" },
		{ PENALTY_ORGANISATION, PENALTY_FINE, 1e300, -EINVAL, 0, false, "not a plausible" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 200.005, -EINVAL, 0, false, "below 0.01 CNY" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, 0.001, -EINVAL, 0, false, "below 0.01 CNY" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, -5, -EINVAL, 0, false, "negative" },
		{ PENALTY_INDIVIDUAL, PENALTY_WARNING, -0.0, 0, 0, false, NULL },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, NAN, -EINVAL, 0, false, "not a number" },
		{ PENALTY_INDIVIDUAL, PENALTY_FINE, INFINITY, -EINVAL, 0, false, "not a number" },
		{ (enum penalty_party)7, PENALTY_FINE, 10, -EINVAL, 0, false, "unknown party" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct check_case *c = &cases[i];
		struct penalty_decision d;
		char err[256] = "";
		int rc = penalty_check(c->party, c->type, c->amount, &d, err, sizeof err);

		if (rc != c->rc)
			fail_msg("case %zu (%.3f): rc %d, want %d (%s)", i, c->amount, rc, c->rc,
				 err);
		if (rc == 0) {
			assert_int_equal(d.amount_fen, c->fen);
			assert_int_equal(d.cash_allowed, c->cash);
			assert_int_equal(d.pay_within_days,
					 c->type == PENALTY_FINE ? PENALTY_PAYMENT_DAYS : 0);
			assert_int_equal(d.party, c->party);
			assert_int_equal(d.type, c->type);
		} else if (!strstr(err, c->reason)) {
			fail_msg("case %zu: error '%s' does not mention '%s'", i, err, c->reason);
		}
	}
}

static void test_amount_format(void **state)
{
	const struct {
		int64_t fen;
		const char *text;
	} cases[] = { { 0, "0.00" },
		      { 1, "0.01" },
		      { 20000, "200.00" },
		      { 300050, "3000.50" },
		      { -150, "-1.50" } };
	char buf[PENALTY_AMOUNT_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		penalty_format_cny(cases[i].fen, buf);
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_decision_number(void **state)
{
	const struct {
		const char *agency;
		int year;
		long serial;
		int rc;
		const char *want;
	} cases[] = {
		{ "西市监", 2026, 7, 0, "西市监〔2026〕简易第0007号" },
		{ "杭西市监", 2026, 12345, 0, "杭西市监〔2026〕简易第12345号" },
		{ "XH-AMR", 2000, 1, 0, "XH-AMR〔2000〕简易第0001号" },
		{ "西市监", 2026, 0, -EINVAL, NULL },
		{ "西市监", 2026, -3, -EINVAL, NULL },
		{ "西市监", 1999, 1, -EINVAL, NULL },
		{ "西市监", 10000, 1, -EINVAL, NULL },
		{ "", 2026, 1, -EINVAL, NULL },
		{ NULL, 2026, 1, -EINVAL, NULL },
		{ "西 市监", 2026, 1, -EINVAL, NULL },
		{ "西\u3000市监", 2026, 1, -EINVAL, NULL },
		{ "西〔市监", 2026, 1, -EINVAL, NULL },
		{ "\xff\xfe", 2026, 1, -EINVAL, NULL },
		{ "a\tb", 2026, 1, -EINVAL, NULL },
	};
	char buf[PENALTY_NUMBER_MAX], small[12];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = penalty_decision_number(cases[i].agency, cases[i].year, cases[i].serial,
						 buf, sizeof buf);

		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
		if (cases[i].want)
			assert_string_equal(buf, cases[i].want);
	}
	assert_int_equal(penalty_decision_number("西市监", 2026, 7, small, sizeof small), -ENOSPC);
	assert_string_equal(small, "");
	/* the longest agency and serial fit the documented maximum */
	char agency[PENALTY_AGENCY_MAX + 2]; /* room for one byte over the maximum */
	memset(agency, 'A', PENALTY_AGENCY_MAX);
	agency[PENALTY_AGENCY_MAX] = '\0';
	assert_int_equal(penalty_decision_number(agency, 9999, 99999999L, buf, sizeof buf), 0);
	agency[PENALTY_AGENCY_MAX - 1] = '\0';
	strcat(agency, "AA");
	assert_int_equal(penalty_decision_number(agency, 2026, 1, buf, sizeof buf), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(penalty_party_names[PENALTY_INDIVIDUAL], "individual");
	assert_string_equal(penalty_party_names[PENALTY_ORGANISATION], "organisation");
	assert_null(penalty_party_names[2]);
	assert_string_equal(penalty_type_names[PENALTY_WARNING], "warning");
	assert_string_equal(penalty_type_names[PENALTY_FINE], "fine");
	assert_null(penalty_type_names[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_amount_format),
		cmocka_unit_test(test_decision_number),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
