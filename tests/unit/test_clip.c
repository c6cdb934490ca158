/*
 * Unit tests: a clip built on the box is exactly what the collector's clip
 * store accepts (the two sides' hashing must agree chunk by chunk).
 */
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

#include "clip.h"
#include "clipstore.h"

/* A fake segment of len bytes filled from seed. */
static char *segment(const char *name, size_t len, int seed)
{
	char *path = g_strdup_printf("%s/%s", dir, name);
	guint8 *data = g_malloc(len);

	for (size_t i = 0; i < len; i++)
		data[i] = (guint8)(i * 31 + (size_t)seed);
	assert_true(g_file_set_contents(path, (char *)data, (gssize)len, NULL));
	g_free(data);
	return path;
}

static void test_build_and_reassemble(void **state)
{
	char *segs[3] = { segment("s1.ts", 188 * 100, 1), segment("s2.ts", 188 * 57, 2),
			  segment("s3.ts", 188 * 3, 3) };
	char *out = g_strdup_printf("%s/clip.ts", dir);
	char *store_root = g_strdup_printf("%s/store", dir);
	struct clip_file clip;
	struct clipstore *cs;
	char err[256];
	guint8 buf[4096];
	size_t len;
	char *path = NULL;
	gchar *whole, *stored;
	gsize wlen, slen;

	(void)state;
	assert_int_equal(
	    clip_build((const char *const *)segs, 3, out, 4096, &clip, err, sizeof err), 0);
	assert_int_equal(clip.bytes, 188 * 160);
	assert_int_equal(clip.chunk_count, (188 * 160 + 4095) / 4096);
	assert_true(g_file_get_contents(out, &whole, &wlen, NULL));
	assert_int_equal(wlen, 188 * 160);

	cs = clipstore_open(store_root, err, sizeof err);
	assert_non_null(cs);
	assert_int_equal(
	    clipstore_expect(cs, &(struct clip_spec){ "box-a", "c", clip.bytes, clip.chunk_size,
						      clip.chunk_count, clip.sha256,
						      (const char *const *)clip.chunk_sha256, "ts" }),
	    0);
	for (int k = clip.chunk_count - 1; k >= 0; k--) {
		assert_int_equal(clip_read_chunk(&clip, k, buf, &len), 0);
		assert_int_equal(clipstore_put_chunk(cs, "box-a", "c", k, buf, len), CHUNK_STORED);
	}
	assert_int_equal(clipstore_finish(cs, "box-a", "c", &path), 0);
	assert_true(g_file_get_contents(path, &stored, &slen, NULL));
	assert_int_equal(slen, wlen);
	assert_memory_equal(stored, whole, wlen);
	assert_int_equal(clip_read_chunk(&clip, clip.chunk_count, buf, &len), -ERANGE);
	g_free(whole);
	g_free(stored);
	g_free(path);
	clipstore_close(cs);
	clip_file_release(&clip);
	for (int i = 0; i < 3; i++)
		g_free(segs[i]);
	g_free(out);
	g_free(store_root);
}

static void test_missing_segment(void **state)
{
	const char *segs[] = { "/nonexistent/segment.ts" };
	char *out = g_strdup_printf("%s/bad.ts", dir);
	struct clip_file clip;
	char err[256];

	(void)state;
	assert_int_equal(clip_build(segs, 1, out, 4096, &clip, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/segment.ts"));
	assert_false(g_file_test(out, G_FILE_TEST_EXISTS)); /* nothing left behind */
	g_free(out);
}

static void test_chunk_size(void **state)
{
	(void)state;
	/* small clips keep the configured size */
	assert_int_equal(clip_chunk_size(0, 256 << 10), 256 << 10);
	assert_int_equal(clip_chunk_size((int64_t)CLIP_MAX_CHUNKS << 18, 256 << 10), 256 << 10);
	/* one byte more would need 3,001 chunks: 512 KiB */
	assert_int_equal(clip_chunk_size(((int64_t)CLIP_MAX_CHUNKS << 18) + 1, 256 << 10), 512 << 10);
	/* an hour at 4 Mbit/s (1.8 GB): 1 MiB chunks, 1,717 of them */
	assert_int_equal(clip_chunk_size(1800000000, 256 << 10), 1 << 20);
	/* past 3,000 MiB nothing fits */
	assert_int_equal(clip_chunk_size(((int64_t)CLIP_MAX_CHUNKS << 20) + 1, 256 << 10), 0);
	/* a configured size that is not a power of two doubles too */
	assert_int_equal(clip_chunk_size(4000LL * 100000, 100000), 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_reassemble),
		cmocka_unit_test(test_missing_segment),
		cmocka_unit_test(test_chunk_size),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
