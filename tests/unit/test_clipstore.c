/* Unit tests: clip reassembly, chunk and whole-file checks, content addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_tmpdir.h"
#include <glib.h>

#include "clipstore.h"

#define CHUNK 1000
#define BYTES 3500 /* four chunks, the last one short */

static guint8 clip[BYTES];
static char *chunk_sums[5];
static char *whole_sum;

static int setup(void **state)
{
	(void)state;
	if (tmpdir_setup(state) != 0)
		return -1;
	for (int i = 0; i < BYTES; i++)
		clip[i] = (guint8)(i * 7 + 3);
	for (int n = 0; n < 4; n++)
		chunk_sums[n] = g_compute_checksum_for_data(G_CHECKSUM_SHA256, clip + n * CHUNK,
							    n < 3 ? CHUNK : BYTES - 3 * CHUNK);
	whole_sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, clip, BYTES);
	return 0;
}

static struct clip_spec spec(const char *clip_id)
{
	return (struct clip_spec){
		"box-a", clip_id, BYTES, CHUNK, 4, whole_sum, (const char *const *)chunk_sums, "ts"
	};
}

static int put(struct clipstore *cs, const char *id, int n)
{
	return clipstore_put_chunk(cs, "box-a", id, n, clip + n * CHUNK,
				   n < 3 ? CHUNK : BYTES - 3 * CHUNK);
}

static void test_out_of_order_with_duplicates(void **state)
{
	char err[256];
	struct clipstore *cs = clipstore_open(dir, err, sizeof err);
	struct clip_spec s = spec("c1");
	int missing[8];
	char *path = NULL;
	gchar *got;
	gsize len;

	(void)state;
	assert_non_null(cs);
	assert_int_equal(put(cs, "c1", 0), -ENOENT); /* before its manifest */
	assert_int_equal(clipstore_expect(cs, &s), 0);
	assert_int_equal(clipstore_expect(cs, &s), 0); /* the manifest again: fine */
	assert_int_equal(put(cs, "c1", 3), CHUNK_STORED);
	assert_int_equal(put(cs, "c1", 1), CHUNK_STORED);
	assert_int_equal(put(cs, "c1", 1), CHUNK_DUPLICATE);
	assert_int_equal(clipstore_missing(cs, "box-a", "c1", missing, 8), 2);
	assert_int_equal(missing[0], 0);
	assert_int_equal(missing[1], 2);
	assert_int_equal(clipstore_finish(cs, "box-a", "c1", &path), -EAGAIN);
	assert_int_equal(put(cs, "c1", 0), CHUNK_STORED);
	assert_int_equal(put(cs, "c1", 2), CHUNK_STORED);
	assert_int_equal(clipstore_finish(cs, "box-a", "c1", &path), 0);
	assert_non_null(strstr(path, whole_sum));
	assert_true(g_file_get_contents(path, &got, &len, NULL));
	assert_int_equal(len, BYTES);
	assert_memory_equal(got, clip, BYTES);
	g_free(got);
	g_free(path);
	/* done: the assembly is gone */
	assert_int_equal(clipstore_missing(cs, "box-a", "c1", missing, 8), -ENOENT);
	clipstore_close(cs);
}

static void test_bad_chunks_and_specs(void **state)
{
	char err[256];
	struct clipstore *cs = clipstore_open(dir, err, sizeof err);
	struct clip_spec s = spec("c2"), bad;
	guint8 corrupt[CHUNK];
	int missing[8];

	(void)state;
	assert_int_equal(clipstore_expect(cs, &s), 0);
	memcpy(corrupt, clip, CHUNK);
	corrupt[10] ^= 0x40;
	assert_int_equal(clipstore_put_chunk(cs, "box-a", "c2", 0, corrupt, CHUNK), -EBADMSG);
	assert_int_equal(clipstore_missing(cs, "box-a", "c2", missing, 8), 4); /* still missing */
	assert_int_equal(clipstore_put_chunk(cs, "box-a", "c2", 0, clip, CHUNK - 1), -ERANGE);
	assert_int_equal(clipstore_put_chunk(cs, "box-a", "c2", 4, clip, CHUNK), -ERANGE);
	assert_int_equal(clipstore_put_chunk(cs, "box-a", "c2", -1, clip, CHUNK), -ERANGE);
	bad = s;
	bad.bytes = BYTES + 1000; /* five chunks' worth for four */
	assert_int_equal(
	    clipstore_expect(cs, &(struct clip_spec){ .box = "box-a",
						      .clip_id = "c3",
						      .bytes = bad.bytes,
						      .chunk_size = CHUNK,
						      .chunk_count = 4,
						      .sha256 = whole_sum,
						      .chunk_sha256 = s.chunk_sha256 }),
	    -EINVAL);
	bad = s;
	bad.sha256 = "not-hex";
	bad.clip_id = "c4";
	assert_int_equal(clipstore_expect(cs, &bad), -EINVAL);
	bad = s;
	bad.bytes = BYTES - 1; /* the same id, another spec */
	assert_int_equal(clipstore_expect(cs, &bad), -EEXIST);
	clipstore_close(cs);
}

static void test_whole_file_mismatch_restarts(void **state)
{
	char err[256];
	struct clipstore *cs = clipstore_open(dir, err, sizeof err);
	struct clip_spec s = spec("c5");
	char *path = NULL;
	int missing[8];

	(void)state;
	/* every chunk fine, but the manifest's whole-file hash is of something else */
	s.sha256 = chunk_sums[0];
	assert_int_equal(clipstore_expect(cs, &s), 0);
	for (int n = 0; n < 4; n++)
		assert_int_equal(put(cs, "c5", n), CHUNK_STORED);
	assert_int_equal(clipstore_finish(cs, "box-a", "c5", &path), -EBADMSG);
	assert_int_equal(clipstore_missing(cs, "box-a", "c5", missing, 8), 4);
	clipstore_close(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_order_with_duplicates),
		cmocka_unit_test(test_bad_chunks_and_specs),
		cmocka_unit_test(test_whole_file_mismatch_restarts),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
