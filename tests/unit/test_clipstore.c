/* Unit tests: clip reassembly, chunk and whole-file checks, content
 * addresses; the backend interface (an in-memory backend next to the
 * directory); two store instances on one directory, as two collectors of a
 * share group; concurrent publishing; crash leftovers. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* --- the interface: an in-memory backend, as an object store would be --- */

struct mem {
	GHashTable *chunks;  /* "box/clip/n" → GBytes */
	GHashTable *objects; /* "sha.ext" → GBytes */
	char *cache;	     /* object_path's local copies */
};

struct mem_writer {
	struct mem *m;
	GByteArray *bytes;
	char *name;
};

static void *mem_open(const char *location, char *err, size_t errlen)
{
	struct mem *m = g_new0(struct mem, 1);

	(void)err, (void)errlen;
	m->chunks =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	m->objects =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
	m->cache = g_strdup_printf("%s/%s", dir, location + strlen("mem://"));
	g_mkdir_with_parents(m->cache, 0700);
	return m;
}

static void mem_close(void *be)
{
	struct mem *m = be;

	g_hash_table_destroy(m->chunks);
	g_hash_table_destroy(m->objects);
	g_free(m->cache);
	g_free(m);
}

static char *chunk_key(const char *box, const char *clip_id, int n)
{
	return g_strdup_printf("%s/%s/%d", box, clip_id, n);
}

static int mem_chunk_put(void *be, const char *box, const char *clip_id, int n, const void *data,
			 size_t len)
{
	g_hash_table_replace(((struct mem *)be)->chunks, chunk_key(box, clip_id, n),
			     g_bytes_new(data, len));
	return 0;
}

static int mem_chunk_read(void *be, const char *box, const char *clip_id, int n, void *buf,
			  size_t len)
{
	char *key = chunk_key(box, clip_id, n);
	GBytes *b = g_hash_table_lookup(((struct mem *)be)->chunks, key);
	gsize size;
	const void *p = b ? g_bytes_get_data(b, &size) : NULL;

	g_free(key);
	if (!b)
		return -ENOENT;
	memcpy(buf, p, MIN(size, len));
	return (int)size;
}

static int mem_chunk_present(void *be, const char *box, const char *clip_id, int n)
{
	char *key = chunk_key(box, clip_id, n);
	int rc = g_hash_table_contains(((struct mem *)be)->chunks, key);

	g_free(key);
	return rc;
}

static int mem_chunk_list(void *be, const char *box, const char *clip_id, uint8_t *have, int count)
{
	for (int n = 0; n < count; n++)
		have[n] = (uint8_t)mem_chunk_present(be, box, clip_id, n);
	return 0;
}

static int mem_chunk_remove(void *be, const char *box, const char *clip_id, int n)
{
	for (int i = n < 0 ? 0 : n; i <= (n < 0 ? CLIPSTORE_MAX_CHUNKS : n); i++) {
		char *key = chunk_key(box, clip_id, i);

		g_hash_table_remove(((struct mem *)be)->chunks, key);
		g_free(key);
	}
	return 0;
}

static void *mem_object_begin(void *be, const char *sha256, const char *ext)
{
	struct mem_writer *w = g_new0(struct mem_writer, 1);

	w->m = be;
	w->bytes = g_byte_array_new();
	w->name = g_strdup_printf("%s.%s", sha256, ext);
	return w;
}

static int mem_object_append(void *wp, const void *data, size_t len)
{
	g_byte_array_append(((struct mem_writer *)wp)->bytes, data, (guint)len);
	return 0;
}

static void mem_object_abort(void *wp)
{
	struct mem_writer *w = wp;

	g_byte_array_unref(w->bytes);
	g_free(w->name);
	g_free(w);
}

static int mem_object_commit(void *wp)
{
	struct mem_writer *w = wp;
	int rc = 0;

	if (g_hash_table_contains(w->m->objects, w->name)) {
		rc = CLIPSTORE_ALREADY;
		g_byte_array_unref(w->bytes);
	} else {
		g_hash_table_insert(w->m->objects, w->name, g_byte_array_free_to_bytes(w->bytes));
		w->name = NULL;
	}
	g_free(w->name);
	g_free(w);
	return rc;
}

static char *mem_object_path(void *be, const char *sha256, const char *ext)
{
	struct mem *m = be;
	char *name = g_strdup_printf("%s.%s", sha256, ext);
	GBytes *b = g_hash_table_lookup(m->objects, name);
	char *path = NULL;

	if (b) {
		path = g_build_filename(m->cache, name, NULL);
		g_file_set_contents(path, g_bytes_get_data(b, NULL), (gssize)g_bytes_get_size(b),
				    NULL);
	}
	g_free(name);
	return path;
}

static int mem_object_remove(void *be, const char *sha256, const char *ext)
{
	char *name = g_strdup_printf("%s.%s", sha256, ext);
	int rc = g_hash_table_remove(((struct mem *)be)->objects, name) ? 0 : -ENOENT;

	g_free(name);
	return rc;
}

static int mem_sweep(void *be, int64_t temp_age_s, int64_t assembly_age_s)
{
	(void)be, (void)temp_age_s, (void)assembly_age_s;
	return 0;
}

static const struct clip_store_ops mem_ops = {
	.scheme = "mem",
	.open = mem_open,
	.close = mem_close,
	.chunk_put = mem_chunk_put,
	.chunk_read = mem_chunk_read,
	.chunk_present = mem_chunk_present,
	.chunk_list = mem_chunk_list,
	.chunk_remove = mem_chunk_remove,
	.object_begin = mem_object_begin,
	.object_append = mem_object_append,
	.object_commit = mem_object_commit,
	.object_abort = mem_object_abort,
	.object_path = mem_object_path,
	.object_remove = mem_object_remove,
	.sweep = mem_sweep,
};

static void test_other_backend(void **state)
{
	char err[256];
	struct clipstore *cs = clipstore_open_backend(&mem_ops, "mem://cache", err, sizeof err);
	struct clip_spec s = spec("m1");
	char *path = NULL, *again;
	gchar *got;
	gsize len;

	(void)state;
	assert_non_null(cs);
	assert_int_equal(clipstore_expect(cs, &s), 0);
	for (int n = 3; n >= 0; n--)
		assert_int_equal(put(cs, "m1", n), CHUNK_STORED);
	assert_true(clipstore_complete(cs, "box-a", "m1"));
	assert_int_equal(clipstore_finish(cs, "box-a", "m1", &path), 0);
	assert_true(g_file_get_contents(path, &got, &len, NULL));
	assert_int_equal(len, BYTES);
	assert_memory_equal(got, clip, BYTES);
	g_free(got);
	again = clipstore_object_path(cs, whole_sum, "ts");
	assert_string_equal(again, path);
	assert_null(clipstore_object_path(cs, whole_sum, "jpg"));
	assert_null(clipstore_object_path(cs, "../../etc/passwd", "ts"));
	assert_int_equal(clipstore_remove(cs, whole_sum, "ts"), 0);
	assert_int_equal(clipstore_remove(cs, whole_sum, "ts"), -ENOENT);
	g_free(again);
	g_free(path);
	clipstore_close(cs);
}

static void test_locations(void **state)
{
	char err[256], *url = g_strdup_printf("file://%s/by-url", dir), *path = NULL;
	char *expect_path = g_strdup_printf("%s/by-url/%.2s/%s.ts", dir, whole_sum, whole_sum);
	struct clipstore *cs = clipstore_open(url, err, sizeof err);
	struct clip_spec s = spec("u1");

	(void)state;
	assert_non_null(cs);
	assert_int_equal(clipstore_expect(cs, &s), 0);
	for (int n = 0; n < 4; n++)
		assert_int_equal(put(cs, "u1", n), CHUNK_STORED);
	assert_int_equal(clipstore_finish(cs, "box-a", "u1", &path), 0);
	assert_string_equal(path, expect_path);
	assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	clipstore_close(cs);
	assert_null(clipstore_open("s3://bucket/clips", err, sizeof err));
	assert_non_null(strstr(err, "no backend for 's3://'"));
	assert_null(clipstore_open("file://elsewhere/srv/clips", err, sizeof err));
	assert_non_null(strstr(err, "file:///path"));
	/* an id no file can be named after */
	cs = clipstore_open(dir, err, sizeof err);
	s.clip_id = "..";
	assert_int_equal(clipstore_expect(cs, &s), -EINVAL);
	s.clip_id = "a/b";
	assert_int_equal(clipstore_expect(cs, &s), -EINVAL);
	clipstore_close(cs);
	g_free(path);
	g_free(expect_path);
	g_free(url);
}

/* --- several collectors on one directory ------------------------------- */

/* Another clip, its content and hashes, so that tests do not share objects. */
struct other {
	guint8 bytes[BYTES];
	char *chunks[5], *whole;
};

static void other_make(struct other *o, guint8 seed)
{
	for (int i = 0; i < BYTES; i++)
		o->bytes[i] = (guint8)(i * 13 + seed);
	for (int n = 0; n < 4; n++)
		o->chunks[n] = g_compute_checksum_for_data(G_CHECKSUM_SHA256, o->bytes + n * CHUNK,
							   n < 3 ? CHUNK : BYTES - 3 * CHUNK);
	o->chunks[4] = NULL;
	o->whole = g_compute_checksum_for_data(G_CHECKSUM_SHA256, o->bytes, BYTES);
}

static void other_free(struct other *o)
{
	for (int n = 0; n < 4; n++)
		g_free(o->chunks[n]);
	g_free(o->whole);
}

static struct clip_spec other_spec(const struct other *o, const char *clip_id)
{
	return (struct clip_spec){
		"box-a", clip_id, BYTES, CHUNK, 4, o->whole, (const char *const *)o->chunks, "ts"
	};
}

static int other_put(struct clipstore *cs, const struct other *o, const char *id, int n)
{
	return clipstore_put_chunk(cs, "box-a", id, n, o->bytes + n * CHUNK,
				   n < 3 ? CHUNK : BYTES - 3 * CHUNK);
}

static int count_files(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	int n = 0;

	while (d && g_dir_read_name(d))
		n++;
	if (d)
		g_dir_close(d);
	return d ? n : -1;
}

static void test_two_collectors_share_an_assembly(void **state)
{
	char err[256], *root = g_strdup_printf("%s/shared", dir), *assembly;
	struct clipstore *a = clipstore_open(root, err, sizeof err);
	struct clipstore *b = clipstore_open(root, err, sizeof err);
	struct other o;
	struct clip_spec s;
	char *path_a = NULL, *path_b = NULL;
	int missing[8];
	gchar *got;
	gsize len;

	(void)state;
	other_make(&o, 1);
	s = other_spec(&o, "k1");
	assembly = g_strdup_printf("%s/tmp/box-a/k1", root);
	assert_non_null(a);
	assert_non_null(b);
	/* A received the manifest; B learns of the clip from the archive */
	assert_int_equal(clipstore_expect(a, &s), 0);
	assert_int_equal(clipstore_expect(b, &s), 0);
	/* the share group interleaves the first pass; chunk 2 is lost */
	assert_int_equal(other_put(a, &o, "k1", 0), CHUNK_STORED);
	assert_int_equal(other_put(b, &o, "k1", 1), CHUNK_STORED);
	assert_false(clipstore_complete(b, "box-a", "k1"));
	assert_int_equal(other_put(b, &o, "k1", 3), CHUNK_STORED);
	/* B answers the end of the pass with what the store misses, not what B missed */
	assert_int_equal(clipstore_missing(b, "box-a", "k1", missing, 8), 1);
	assert_int_equal(missing[0], 2);
	assert_int_equal(clipstore_missing(a, "box-a", "k1", missing, 8), 1);
	assert_int_equal(count_files(assembly), 3);
	/* the resent chunk reaches A, which finds the others in and publishes */
	assert_int_equal(other_put(a, &o, "k1", 2), CHUNK_STORED);
	assert_true(clipstore_complete(a, "box-a", "k1"));
	assert_int_equal(clipstore_finish(a, "box-a", "k1", &path_a), 0);
	assert_false(g_file_test(assembly, G_FILE_TEST_EXISTS));
	/* B, late: a repeated chunk writes nothing and B reaches the same object */
	assert_int_equal(other_put(b, &o, "k1", 2), CHUNK_DUPLICATE);
	assert_false(g_file_test(assembly, G_FILE_TEST_EXISTS));
	assert_true(clipstore_complete(b, "box-a", "k1"));
	assert_int_equal(clipstore_finish(b, "box-a", "k1", &path_b), CLIPSTORE_ALREADY);
	assert_string_equal(path_a, path_b);
	assert_true(g_file_get_contents(path_a, &got, &len, NULL));
	assert_int_equal(len, BYTES);
	assert_memory_equal(got, o.bytes, BYTES);
	g_free(got);
	/* nothing left behind but the object */
	g_free(assembly);
	assembly = g_strdup_printf("%s/tmp", root);
	assert_int_equal(count_files(assembly), 0);
	g_free(path_a);
	g_free(path_b);

	/* both see every chunk and both finish: one publishes, one finds it there */
	other_free(&o);
	other_make(&o, 2);
	s = other_spec(&o, "k2");
	assert_int_equal(clipstore_expect(a, &s), 0);
	assert_int_equal(clipstore_expect(b, &s), 0);
	for (int n = 0; n < 4; n++)
		assert_int_equal(other_put(n % 2 ? a : b, &o, "k2", n), CHUNK_STORED);
	assert_true(clipstore_complete(a, "box-a", "k2"));
	assert_true(clipstore_complete(b, "box-a", "k2"));
	assert_int_equal(clipstore_finish(b, "box-a", "k2", &path_b), 0);
	assert_int_equal(clipstore_finish(a, "box-a", "k2", &path_a), CLIPSTORE_ALREADY);
	assert_string_equal(path_a, path_b);
	g_free(path_a);
	g_free(path_b);
	other_free(&o);
	g_free(assembly);
	clipstore_close(a);
	clipstore_close(b);
	g_free(root);
}

/* A chunk one collector stored, damaged on disk (a crash before it reached
 * the disk): whoever assembles finds it, removes it and asks for it again;
 * the other collector's next copy of it is written, not taken for a duplicate. */
static void test_damaged_chunk_asked_again(void **state)
{
	char err[256], *root = g_strdup_printf("%s/damaged", dir), *chunk, *path = NULL;
	struct clipstore *a = clipstore_open(root, err, sizeof err);
	struct clipstore *b = clipstore_open(root, err, sizeof err);
	struct other o;
	struct clip_spec s;
	int missing[8];

	(void)state;
	other_make(&o, 3);
	s = other_spec(&o, "d1");
	assert_int_equal(clipstore_expect(a, &s), 0);
	assert_int_equal(clipstore_expect(b, &s), 0);
	for (int n = 0; n < 4; n++)
		assert_int_equal(other_put(a, &o, "d1", n), CHUNK_STORED);
	chunk = g_strdup_printf("%s/tmp/box-a/d1/1.chunk", root);
	assert_true(g_file_set_contents(chunk, "\0\0\0\0", 4, NULL)); /* cut short */
	assert_true(clipstore_complete(b, "box-a", "d1"));
	assert_int_equal(clipstore_finish(b, "box-a", "d1", &path), -EAGAIN);
	assert_int_equal(clipstore_missing(b, "box-a", "d1", missing, 8), 1);
	assert_int_equal(missing[0], 1);
	/* the same length, other bytes: found by the whole-file check */
	assert_int_equal(other_put(b, &o, "d1", 1), CHUNK_STORED);
	assert_true(g_file_set_contents(chunk, (const char *)o.bytes, CHUNK, NULL));
	assert_int_equal(clipstore_finish(b, "box-a", "d1", &path), -EAGAIN);
	/* A thinks it has chunk 1: its copy is still written */
	assert_int_equal(other_put(a, &o, "d1", 1), CHUNK_STORED);
	assert_int_equal(clipstore_finish(b, "box-a", "d1", &path), 0);
	g_free(path);
	other_free(&o);
	g_free(chunk);
	clipstore_close(a);
	clipstore_close(b);
	g_free(root);
}

/* Many collectors publish the same object at once (processes, as on several
 * machines): exactly one creates it, every other finds it there; all agree
 * on the path and the bytes are whole. */
static void test_concurrent_publish(void **state)
{
	enum { WRITERS = 8 };
	char err[256], *root = g_strdup_printf("%s/race", dir), *path = NULL;
	struct other o;
	struct clip_spec s;
	int go[2], created = 0, found = 0;
	pid_t pids[WRITERS];
	struct clipstore *cs;
	gchar *got;
	gsize len;

	(void)state;
	other_make(&o, 4);
	s = other_spec(&o, "r1");
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c, *p = NULL;
			struct clipstore *mine;
			int rc;

			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* EOF: everyone starts */
				_exit(90);
			mine = clipstore_open(root, err, sizeof err);
			if (!mine || clipstore_expect(mine, &s) != 0)
				_exit(91);
			for (int k = 0; k < 4; k++) {
				int n = (k + i) % 4;

				int put_rc = other_put(mine, &o, "r1", n);

				if (put_rc < 0) {
					fprintf(stderr, "writer %d: chunk %d: %s\n", i, n,
						g_strerror(-put_rc));
					_exit(92);
				}
			}
			rc = clipstore_finish(mine, "box-a", "r1", &p);
			clipstore_close(mine);
			_exit(rc == 0 ? 0 : rc == CLIPSTORE_ALREADY ? 1 : rc == -EAGAIN ? 2 : 93);
		}
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < WRITERS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		/* 2: its chunks were taken by a publisher before it could finish;
		 * its next chunk would find the object */
		assert_in_range(WEXITSTATUS(status), 0, 2);
		created += WEXITSTATUS(status) == 0;
		found += WEXITSTATUS(status) != 0;
	}
	assert_int_equal(created, 1);
	assert_int_equal(found, WRITERS - 1);
	cs = clipstore_open(root, err, sizeof err);
	path = clipstore_object_path(cs, o.whole, "ts");
	assert_non_null(path);
	assert_true(g_file_get_contents(path, &got, &len, NULL));
	assert_int_equal(len, BYTES);
	assert_memory_equal(got, o.bytes, BYTES);
	g_free(got);
	/* a late instance: its chunk writes nothing, it finds the object */
	assert_int_equal(clipstore_expect(cs, &s), 0);
	assert_int_equal(other_put(cs, &o, "r1", 2), CHUNK_DUPLICATE);
	g_free(path);
	assert_int_equal(clipstore_finish(cs, "box-a", "r1", &path), CLIPSTORE_ALREADY);
	g_free(path);
	/* the objects' temporary files went, whatever the interleaving */
	path = g_strdup_printf("%s/tmp", root);
	assert_int_equal(count_files(path), 0);
	g_free(path);
	clipstore_close(cs);
	other_free(&o);
	g_free(root);
}

static void age(const char *path, int64_t seconds)
{
	struct timespec t[2] = { { .tv_sec = time(NULL) - seconds },
				 { .tv_sec = time(NULL) - seconds } };

	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static char *touch(const char *root, const char *rel, int64_t seconds)
{
	char *path = g_build_filename(root, rel, NULL), *parent = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(parent, 0750), 0);
	assert_true(g_file_set_contents(path, "x", 1, NULL));
	age(path, seconds);
	g_free(parent);
	return path;
}

/* What crashes leave: temporary files, and assemblies nobody comes back to.
 * A restarted collector resumes a live assembly from the chunks stored. */
static void test_crash_leftovers(void **state)
{
	char err[256], *root = g_strdup_printf("%s/crash", dir), *path = NULL;
	struct clipstore *cs = clipstore_open(root, err, sizeof err);
	struct other o;
	struct clip_spec s;
	int missing[8];
	char *old_obj, *new_obj, *old_tmp, *new_tmp, *old_a1, *old_a2, *dir_a;
	int64_t week = CLIPSTORE_ASSEMBLY_AGE_S;

	(void)state;
	assert_non_null(cs);
	/* a live assembly: two chunks in before a crash */
	other_make(&o, 5);
	s = other_spec(&o, "live");
	assert_int_equal(clipstore_expect(cs, &s), 0);
	assert_int_equal(other_put(cs, &o, "live", 0), CHUNK_STORED);
	assert_int_equal(other_put(cs, &o, "live", 3), CHUNK_STORED);
	old_obj = touch(root, "tmp/.0123.ts.AbCdEf", 2 * 3600);
	new_obj = touch(root, "tmp/.4567.ts.GhIjKl", 60);
	old_tmp = touch(root, "tmp/box-a/live/.1.MnOpQr", 2 * 3600);
	new_tmp = touch(root, "tmp/box-a/live/.2.StUvWx", 60);
	old_a1 = touch(root, "tmp/box-b/gone/0.chunk", week + 3600);
	old_a2 = touch(root, "tmp/box-b/gone/.1.YzAbCd", week + 3600);
	dir_a = g_build_filename(root, "tmp/box-b/gone", NULL);
	age(dir_a, week + 3600);
	clipstore_close(cs);

	cs = clipstore_open(root, err, sizeof err);
	assert_int_equal(clipstore_sweep(cs, CLIPSTORE_TEMP_AGE_S, CLIPSTORE_ASSEMBLY_AGE_S), 4);
	assert_false(g_file_test(old_obj, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(new_obj, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(old_tmp, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(new_tmp, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(old_a1, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(old_a2, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(dir_a, G_FILE_TEST_EXISTS));
	path = g_build_filename(root, "tmp/box-b", NULL);
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS)); /* emptied: gone */
	g_free(path);
	path = NULL;
	/* the restarted instance resumes: chunks 0 and 3 count */
	assert_int_equal(clipstore_expect(cs, &s), 0);
	assert_int_equal(clipstore_missing(cs, "box-a", "live", missing, 8), 2);
	assert_int_equal(missing[0], 1);
	assert_int_equal(missing[1], 2);
	assert_int_equal(other_put(cs, &o, "live", 1), CHUNK_STORED);
	assert_int_equal(other_put(cs, &o, "live", 2), CHUNK_STORED);
	assert_int_equal(clipstore_finish(cs, "box-a", "live", &path), 0);
	g_free(path);
	/* the fresh temporaries stay until they are old too; then the
	 * finished assembly's directory goes with the last of them */
	assert_int_equal(clipstore_sweep(cs, CLIPSTORE_TEMP_AGE_S, CLIPSTORE_ASSEMBLY_AGE_S), 0);
	assert_true(g_file_test(new_tmp, G_FILE_TEST_EXISTS));
	assert_int_equal(clipstore_sweep(cs, 30, CLIPSTORE_ASSEMBLY_AGE_S), 2);
	assert_false(g_file_test(new_obj, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(new_tmp, G_FILE_TEST_EXISTS));
	path = g_build_filename(root, "tmp", NULL);
	assert_int_equal(count_files(path), 0);
	g_free(path);
	clipstore_close(cs);
	other_free(&o);
	g_free(old_obj);
	g_free(new_obj);
	g_free(old_tmp);
	g_free(new_tmp);
	g_free(old_a1);
	g_free(old_a2);
	g_free(dir_a);
	g_free(root);
}

/* A clip whose content is stored already (another clip, another event):
 * verified without writing a chunk. */
static void test_same_content_stored_once(void **state)
{
	char err[256], *path = NULL;
	struct clipstore *cs = clipstore_open(dir, err, sizeof err);
	struct clip_spec s = spec("c6"); /* c1's content */

	(void)state;
	assert_int_equal(clipstore_expect(cs, &s), 0);
	assert_int_equal(put(cs, "c6", 2), CHUNK_DUPLICATE);
	assert_true(clipstore_complete(cs, "box-a", "c6"));
	assert_int_equal(clipstore_finish(cs, "box-a", "c6", &path), CLIPSTORE_ALREADY);
	assert_non_null(strstr(path, whole_sum));
	g_free(path);
	path = g_strdup_printf("%s/tmp/box-a/c6", dir);
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_free(path);
	clipstore_close(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_order_with_duplicates),
		cmocka_unit_test(test_bad_chunks_and_specs),
		cmocka_unit_test(test_whole_file_mismatch_restarts),
		cmocka_unit_test(test_same_content_stored_once),
		cmocka_unit_test(test_other_backend),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_two_collectors_share_an_assembly),
		cmocka_unit_test(test_damaged_chunk_asked_again),
		cmocka_unit_test(test_concurrent_publish),
		cmocka_unit_test(test_crash_leftovers),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
