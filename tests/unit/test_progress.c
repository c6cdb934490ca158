/* Unit tests: the collector's per-box accounting of seqs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "progress.h"

static void test_in_order(void **state)
{
	struct progress p;

	(void)state;
	progress_init(&p, 0);
	for (int64_t s = 1; s <= 100; s++)
		progress_add(&p, s);
	assert_int_equal(p.acked, 100);
	assert_int_equal(progress_max_seen(&p), 100);
	assert_int_equal(p.above->len, 0);
	progress_release(&p);
}

static void test_gaps_and_fill(void **state)
{
	struct progress p;
	struct seq_range m[8];
	int64_t described;

	(void)state;
	progress_init(&p, 10);
	progress_add(&p, 15);
	progress_add(&p, 13);
	progress_add(&p, 20);
	progress_add(&p, 5); /* at or below acked: ignored */
	assert_int_equal(p.acked, 10);
	assert_int_equal(progress_max_seen(&p), 20);
	assert_int_equal(progress_missing(&p, m, 8, &described), 3);
	assert_int_equal(described, 20);
	assert_int_equal(m[0].first, 11);
	assert_int_equal(m[0].last, 12);
	assert_int_equal(m[1].first, 14);
	assert_int_equal(m[1].last, 14);
	assert_int_equal(m[2].first, 16);
	assert_int_equal(m[2].last, 19);
	/* only two gaps fit: the description stops before the third (16..19) */
	assert_int_equal(progress_missing(&p, m, 2, &described), 2);
	assert_int_equal(described, 15);

	progress_add_range(&p, 11, 12);
	assert_int_equal(p.acked, 13);
	progress_add(&p, 14);
	assert_int_equal(p.acked, 15);
	progress_add_range(&p, 16, 25);
	assert_int_equal(p.acked, 25);
	assert_int_equal(progress_missing(&p, m, 8, &described), 0);
	assert_int_equal(described, 25);
	progress_release(&p);
}

static void test_overlapping_ranges(void **state)
{
	struct progress p;

	(void)state;
	progress_init(&p, 0);
	progress_add_range(&p, 10, 20);
	progress_add_range(&p, 30, 40);
	progress_add_range(&p, 15, 35); /* bridges both */
	assert_int_equal(p.above->len, 1);
	assert_int_equal(progress_max_seen(&p), 40);
	progress_add_range(&p, 41, 41); /* touches: merged */
	assert_int_equal(p.above->len, 1);
	progress_add_range(&p, 1, 9);
	assert_int_equal(p.acked, 41);
	assert_int_equal(p.above->len, 0);
	progress_add(&p, 41); /* duplicate below acked */
	assert_int_equal(p.acked, 41);
	progress_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_gaps_and_fill),
		cmocka_unit_test(test_overlapping_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
