/*
 * Unit tests: the cert_expiring event of the box's own certificate
 * (edge/cert_watch.c): when it opens, that a restart does not repeat it,
 * and that a renewed certificate closes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cert_watch.h"

#define DAY INT64_C(86400000)
#define NOW INT64_C(1795000000000) /* 2026-11-18 */

static struct cert_info cert(const char *serial, int64_t not_after_ms)
{
	struct cert_info ci = { .not_before_ms = NOW - 700 * DAY, .not_after_ms = not_after_ms };

	snprintf(ci.serial, sizeof ci.serial, "%s", serial);
	snprintf(ci.cn, sizeof ci.cn, "box-a");
	return ci;
}

static void test_quiet_until_the_window(void **state)
{
	struct cert_info ci = cert("0A1B", NOW + 30 * DAY);
	struct rule_event out[2];

	(void)state;
	assert_int_equal(cert_watch_check(&ci, NOW, 30, NULL, 0, out), 0);
	assert_int_equal(cert_watch_check(&ci, NOW + 1, 30, NULL, 0, out), 1);
	assert_int_equal(out[0].phase, RULE_OPEN);
	assert_string_equal(out[0].type, "cert_expiring");
	assert_string_equal(out[0].severity, "warning");
	assert_string_equal(out[0].event_id, "cert:0A1B");
	assert_int_equal(out[0].start_ms, NOW + 1);
	assert_non_null(strstr(out[0].message, "29 days left"));
	assert_non_null(strstr(out[0].message, "2026-12-18T"));
	/* a shorter window, configured */
	assert_int_equal(cert_watch_check(&ci, NOW + 1, 7, NULL, 0, out), 0);
}

static void test_open_once(void **state)
{
	struct cert_info ci = cert("0A1B", NOW + 3 * DAY);
	struct rule_event out[2];

	(void)state;
	/* after a restart the box finds its own event open: nothing new */
	assert_int_equal(cert_watch_check(&ci, NOW, 30, "cert:0A1B", NOW - DAY, out), 0);
	/* expired: still one open event, 0 days left */
	ci = cert("0A1B", NOW - DAY);
	assert_int_equal(cert_watch_check(&ci, NOW, 30, NULL, 0, out), 1);
	assert_non_null(strstr(out[0].message, "(0 days left)"));
}

static void test_renewal_closes(void **state)
{
	struct cert_info renewed = cert("7C", NOW + 800 * DAY);
	struct cert_info short_renewal = cert("7D", NOW + 10 * DAY);
	struct rule_event out[2];

	(void)state;
	assert_int_equal(cert_watch_check(&renewed, NOW, 30, "cert:0A1B", NOW - 5 * DAY, out), 1);
	assert_int_equal(out[0].phase, RULE_CLOSE);
	assert_string_equal(out[0].event_id, "cert:0A1B");
	assert_int_equal(out[0].start_ms, NOW - 5 * DAY);
	assert_int_equal(out[0].end_ms, NOW);
	assert_non_null(strstr(out[0].message, "renewed: now certificate 7C"));
	/* renewed with one that ends soon too: close the old, open the new */
	assert_int_equal(cert_watch_check(&short_renewal, NOW, 30, "cert:0A1B", NOW - 5 * DAY, out),
			 2);
	assert_int_equal(out[0].phase, RULE_CLOSE);
	assert_int_equal(out[1].phase, RULE_OPEN);
	assert_string_equal(out[1].event_id, "cert:7D");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_until_the_window),
		cmocka_unit_test(test_open_once),
		cmocka_unit_test(test_renewal_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
