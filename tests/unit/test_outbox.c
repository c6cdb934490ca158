/* Unit tests: the edge outbox (SQLite in a temporary directory). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include <glib.h>

#include "outbox.h"

static char path[256];

static int setup(void **state)
{
	(void)state;
	if (tmpdir_setup(state) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/outbox.db", dir);
	return 0;
}

static void put(struct outbox *o, enum outbox_class cls)
{
	char payload[64];
	int64_t seq = outbox_last_seq(o) + 1;

	snprintf(payload, sizeof payload, "{\"seq\":%lld}", (long long)seq);
	assert_int_equal(
	    outbox_put(o, seq, cls, "bk/v1/box/box-a/reading", payload, strlen(payload)), 0);
}

static void test_order_ack_and_persistence(void **state)
{
	struct outbox *o = outbox_open(path, true);
	struct outbox_row row;

	(void)state;
	assert_non_null(o);
	assert_int_equal(outbox_last_seq(o), 0);
	put(o, OUTBOX_READING); /* 1 */
	put(o, OUTBOX_ALERT);	/* 2 */
	put(o, OUTBOX_READING); /* 3 */
	put(o, OUTBOX_ALERT);	/* 4 */
	assert_int_equal(outbox_depth(o), 4);
	assert_int_equal(outbox_put(o, 9, OUTBOX_READING, "t", "x", 1), -EINVAL);

	assert_int_equal(outbox_next(o, OUTBOX_ALERT, 0, &row), 0);
	assert_int_equal(row.seq, 2);
	assert_string_equal(row.payload, "{\"seq\":2}");
	outbox_row_clear(&row);
	assert_int_equal(outbox_next(o, OUTBOX_ALERT, 2, &row), 0);
	assert_int_equal(row.seq, 4);
	outbox_row_clear(&row);
	assert_int_equal(outbox_next(o, OUTBOX_ALERT, 4, &row), -ENOENT);
	assert_int_equal(outbox_next(o, OUTBOX_BULK, 0, &row), -ENOENT);

	assert_int_equal(outbox_ack(o, 3), 3);
	assert_int_equal(outbox_depth(o), 1);
	assert_int_equal(outbox_get(o, 1, &row), -ENOENT);
	assert_int_equal(outbox_get(o, 4, &row), 0);
	outbox_row_clear(&row);
	assert_true(outbox_oldest_ms(o) > 0);
	assert_true(outbox_disk_bytes(o) > 0);
	outbox_close(o);

	/* seq survives a restart, also once everything is acked */
	o = outbox_open(path, false);
	assert_non_null(o);
	assert_int_equal(outbox_last_seq(o), 4);
	assert_int_equal(outbox_ack(o, 4), 1);
	outbox_close(o);
	o = outbox_open(path, true);
	assert_int_equal(outbox_last_seq(o), 4);
	assert_int_equal(outbox_depth(o), 0);
	assert_int_equal(outbox_oldest_ms(o), 0);
	put(o, OUTBOX_BULK);
	assert_int_equal(outbox_last_seq(o), 5);
	outbox_close(o);
}

static void count_event(void *ctx, const char *event_id, const char *sensor, const char *type,
			int64_t start_ms, double peak)
{
	(void)event_id, (void)sensor, (void)type, (void)start_ms, (void)peak;
	(*(int *)ctx)++;
}

static void test_transaction(void **state)
{
	char *p = g_strdup_printf("%s/txn.db", dir);
	struct outbox *o = outbox_open(p, true);
	struct outbox_row row;
	int events = 0;

	(void)state;
	assert_non_null(o);
	/* a message and an open event, taken back together */
	assert_int_equal(outbox_begin(o), 0);
	assert_int_equal(outbox_put(o, 1, OUTBOX_ALERT, "t", "a", 1), 0);
	assert_int_equal(outbox_event_set(o, "e1", "s", "temperature_high", 1000, 9.0), 0);
	outbox_rollback(o);
	assert_int_equal(outbox_last_seq(o), 0);
	assert_int_equal(outbox_get(o, 1, &row), -ENOENT);
	assert_int_equal(outbox_events(o, count_event, &events), 0);
	assert_int_equal(events, 0);
	/* and kept together */
	assert_int_equal(outbox_begin(o), 0);
	assert_int_equal(outbox_put(o, 1, OUTBOX_ALERT, "t", "a", 1), 0);
	assert_int_equal(outbox_event_set(o, "e1", "s", "temperature_high", 1000, 9.0), 0);
	assert_int_equal(outbox_commit(o), 0);
	outbox_close(o);
	o = outbox_open(p, true);
	assert_int_equal(outbox_last_seq(o), 1);
	assert_int_equal(outbox_events(o, count_event, &events), 0);
	assert_int_equal(events, 1);
	outbox_close(o);
	g_free(p);
}

static void test_open_failure(void **state)
{
	(void)state;
	assert_null(outbox_open("/nonexistent/dir/outbox.db", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_ack_and_persistence),
		cmocka_unit_test(test_transaction),
		cmocka_unit_test(test_open_failure),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
