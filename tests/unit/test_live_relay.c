/* Unit tests: the collector's live relay (cloud/collector/live_relay.h), fed
 * with a real H.264 fMP4 stream cut into chunks (tests/fixtures/fmp4/h264.mp4:
 * init, then 11 fragments, key fragments 1, 5 and 9) and an H.265 one for a
 * restart: joins at every moment, slow viewers, new inits, the end, partial
 * reads, garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "live_relay.h"

/* --- the fixtures, cut into chunks -------------------------------------------------- */

struct chunks {
	uint8_t *file;
	int n;
	size_t off[64], len[64];
};

static struct chunks h264, h265;

static uint32_t be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* ftyp+moov together, moof+mdat together, anything else alone */
static int load(const char *path, struct chunks *c)
{
	FILE *f = fopen(path, "rb");
	size_t size, pos = 0;

	memset(c, 0, sizeof *c);
	if (!f) {
		fprintf(stderr, "cannot open fixture '%s' (tests run from the repository root)\n",
			path);
		return -1;
	}
	c->file = malloc(1 << 20);
	size = fread(c->file, 1, 1 << 20, f);
	fclose(f);
	while (pos + 8 <= size && c->n < 64) {
		size_t len = be32(c->file + pos);
		uint32_t t = be32(c->file + pos + 4);

		if (t == be32((const uint8_t *)"ftyp") || t == be32((const uint8_t *)"moof"))
			len += be32(c->file + pos + len);
		c->off[c->n] = pos;
		c->len[c->n] = len;
		c->n++;
		pos += len;
	}
	return pos == size ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	if (load("tests/fixtures/fmp4/h264.mp4", &h264) != 0 ||
	    load("tests/fixtures/fmp4/h265.mp4", &h265) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(h264.file);
	free(h265.file);
	return 0;
}

#define BOX  "box-a"
#define CAM  "cam1"
#define INIT 0

static char err[256];

static int feed_from(struct live_relay *r, const struct chunks *c, int i)
{
	return live_relay_feed(r, BOX, CAM, c->file + c->off[i], c->len[i], 1000 + i, err,
			       sizeof err);
}

static void feed(struct live_relay *r, int i)
{
	int rc = feed_from(r, &h264, i);

	if (rc != 0)
		fail_msg("chunk %d refused (%d): %s", i, rc, err);
}

static void feed_range(struct live_relay *r, int from, int to)
{
	for (int i = from; i <= to; i++)
		feed(r, i);
}

/* --- what a viewer reads ------------------------------------------------------------- */

struct bytes {
	uint8_t *d;
	size_t n, cap;
};

static void bytes_add(struct bytes *b, const uint8_t *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->d = realloc(b->d, b->cap);
		assert_non_null(b->d);
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

/* The expected stream: the chunks listed (h264 unless negative: -1-i is h265's i), -100 ends. */
static void expect(struct bytes *b, const int *list)
{
	memset(b, 0, sizeof *b);
	for (; *list != -100; list++) {
		const struct chunks *c = *list >= 0 ? &h264 : &h265;
		int i = *list >= 0 ? *list : -1 - *list;

		bytes_add(b, c->file + c->off[i], c->len[i]);
	}
}

/* Read until nothing is left, max bytes at a time; *ended when the end came. */
static void drain(struct live_viewer *v, size_t max, struct bytes *out, bool *ended,
		  const char **why)
{
	uint8_t *buf = malloc(max);
	size_t k;

	memset(out, 0, sizeof *out);
	*ended = false;
	while ((k = live_viewer_read(v, buf, max, ended, why)) > 0) {
		assert_true(k <= max);
		assert_false(*ended);
		bytes_add(out, buf, k);
	}
	free(buf);
}

static void assert_reads(struct live_viewer *v, size_t max, const int *list)
{
	struct bytes got, want;
	bool ended;
	const char *why;

	drain(v, max, &got, &ended, &why);
	expect(&want, list);
	assert_false(ended);
	if (got.n != want.n || (want.n && memcmp(got.d, want.d, want.n) != 0))
		fail_msg("read %zu bytes, expected %zu (or other bytes)", got.n, want.n);
	free(got.d);
	free(want.d);
}

#define READS(v, ...) assert_reads((v), 4096, (const int[]){ __VA_ARGS__, -100 })
#define NOTHING	      -100

static void wake_count(void *ctx)
{
	(*(int *)ctx)++;
}

/* --- joins -------------------------------------------------------------------------------- */

static void test_join_before_init(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	int woken = 0;
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "officer-1", 500, wake_count, &woken);
	struct live_viewer_stats st;

	(void)state;
	assert_null(live_relay_init(r, BOX, CAM));
	assert_int_equal(live_relay_viewer_count(r, BOX, CAM), 1);
	READS(v, NOTHING);
	/* a fragment before any init: dropped, nothing for the viewer */
	assert_int_equal(feed_from(r, &h264, 1), -ENOENT);
	assert_string_equal(err, "a fragment (sequence 1) before any init segment");
	assert_int_equal(woken, 0);
	READS(v, NOTHING);
	feed(r, INIT);
	assert_int_equal(woken, 1);
	assert_non_null(live_relay_init(r, BOX, CAM));
	assert_string_equal(live_relay_init(r, BOX, CAM)->codec, "avc1.640009");
	/* not read yet: no second wake */
	feed(r, 1);
	assert_int_equal(woken, 1);
	READS(v, INIT, 1);
	feed_range(r, 2, 3);
	assert_int_equal(woken, 2);
	READS(v, 2, 3);
	live_viewer_stats(v, &st);
	assert_string_equal(st.who, "officer-1");
	assert_int_equal(st.joined_ms, 500);
	assert_int_equal(st.bytes_sent, h264.len[0] + h264.len[1] + h264.len[2] + h264.len[3]);
	assert_int_equal(st.bytes_queued, 0);
	assert_int_equal(st.fragments_sent, 3);
	assert_int_equal(st.inits_sent, 1);
	assert_int_equal(st.fragments_dropped, 0);
	live_viewer_leave(v);
	live_relay_free(r);
}

static void test_join_mid_gop(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *a, *b;

	(void)state;
	feed_range(r, 0, 3);
	a = live_relay_join(r, BOX, CAM, "a", 0, NULL, NULL);
	/* at once: the init and the fragments since the key fragment 1 */
	READS(a, INIT, 1, 2, 3);
	feed(r, 4);
	READS(a, 4);
	feed_range(r, 5, 6);
	b = live_relay_join(r, BOX, CAM, "b", 0, NULL, NULL);
	READS(b, INIT, 5, 6);
	READS(a, 5, 6);
	feed(r, 7);
	READS(a, 7);
	READS(b, 7);
	live_viewer_leave(a);
	live_viewer_leave(b);
	live_relay_free(r);
}

static void test_join_right_after_key(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *v;
	struct live_stream_stats st;

	(void)state;
	feed_range(r, 0, 5);
	assert_true(live_relay_stream_stats(r, BOX, CAM, &st));
	assert_int_equal(st.cache_fragments, 1);
	assert_int_equal(st.cache_bytes, h264.len[5]);
	v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	READS(v, INIT, 5);
	live_viewer_leave(v);
	live_relay_free(r);
}

/* The box sends its init again with every request: the same bytes again
 * change nothing (no restart, the cache and queues stay). */
static void test_same_init_again(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL), *late;
	struct live_stream_stats st;

	(void)state;
	feed_range(r, 0, 6);
	feed(r, INIT);
	feed(r, 7);
	assert_true(live_relay_stream_stats(r, BOX, CAM, &st));
	assert_int_equal(st.inits, 1);
	assert_int_equal(st.cache_fragments, 3);
	READS(v, INIT, 1, 2, 3, 4, 5, 6, 7);
	late = live_relay_join(r, BOX, CAM, "late", 0, NULL, NULL);
	READS(late, INIT, 5, 6, 7);
	live_viewer_leave(v);
	live_viewer_leave(late);
	live_relay_free(r);
}

/* A cache over its limit is given up until the next key fragment: a joiner waits for it. */
static void test_join_cache_over_limit(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 5000);
	struct live_viewer *v;
	struct live_stream_stats st;
	struct live_viewer_stats vs;

	(void)state;
	feed_range(r, 0, 2); /* 4336 + 2790 > 5000 */
	assert_true(live_relay_stream_stats(r, BOX, CAM, &st));
	assert_int_equal(st.cache_fragments, 0);
	v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	READS(v, INIT);
	feed_range(r, 3, 4);
	READS(v, NOTHING);
	feed(r, 5);
	READS(v, 5);
	live_viewer_stats(v, &vs);
	assert_int_equal(vs.fragments_dropped, 0); /* never had them: not dropped */
	/* a key fragment larger than the cache is not cached */
	live_viewer_leave(v);
	live_relay_free(r);

	r = live_relay_new(1 << 20, 4000);
	feed_range(r, 0, 1); /* 4336 > 4000 */
	assert_true(live_relay_stream_stats(r, BOX, CAM, &st));
	assert_int_equal(st.cache_fragments, 0);
	assert_int_equal(st.cache_bytes, 0);
	live_relay_free(r);
}

/* An init, then fragments without a key yet: a joiner gets the init and waits. */
static void test_join_before_first_key(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *early = live_relay_join(r, BOX, CAM, "early", 0, NULL, NULL), *late;

	(void)state;
	feed(r, INIT);
	feed_range(r, 2, 3);
	late = live_relay_join(r, BOX, CAM, "late", 0, NULL, NULL);
	READS(early, INIT);
	READS(late, INIT);
	feed(r, 4);
	READS(early, NOTHING);
	READS(late, NOTHING);
	feed_range(r, 5, 6);
	READS(early, 5, 6);
	READS(late, 5, 6);
	live_viewer_leave(early);
	live_viewer_leave(late);
	live_relay_free(r);
}

/* --- slow viewers ------------------------------------------------------------------------- */

static void test_slow_viewer_drops_and_resumes_at_key(void **state)
{
	struct live_relay *r = live_relay_new(8000, 1 << 20);
	struct live_viewer *fast = live_relay_join(r, BOX, CAM, "fast", 0, NULL, NULL);
	struct live_viewer *slow = live_relay_join(r, BOX, CAM, "slow", 0, NULL, NULL);
	struct live_viewer_stats st;

	(void)state;
	for (int i = 0; i <= 10; i++) {
		feed(r, i);
		live_viewer_stats(slow, &st);
		/* never more than the limit plus a key fragment */
		assert_true(st.bytes_queued <= 8000 + 4336);
		READS(fast, i);
	}
	/* init, 1 (894 + 4336), 2 → over 8000: 1 and 2 dropped, 3 and 4 skipped;
	 * 5, 6, 7 → over again: 5, 6, 7 dropped, 8 skipped; then 9 and 10 */
	READS(slow, INIT, 9, 10);
	live_viewer_stats(slow, &st);
	assert_int_equal(st.fragments_dropped, 8);
	assert_int_equal(st.drops, 2);
	assert_int_equal(st.fragments_sent, 2);
	assert_int_equal(st.inits_sent, 1);
	live_viewer_stats(fast, &st);
	assert_int_equal(st.fragments_dropped, 0);
	assert_int_equal(st.fragments_sent, 10);
	live_viewer_leave(fast);
	live_viewer_leave(slow);
	live_relay_free(r);
}

/* The chunk a slow viewer is in the middle of is finished before the jump. */
static void test_slow_viewer_keeps_partial_chunk(void **state)
{
	struct live_relay *r = live_relay_new(8000, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	uint8_t buf[1000];
	bool ended;
	struct bytes got, want;

	(void)state;
	feed_range(r, 0, 1);
	assert_int_equal(live_viewer_read(v, buf, 994, &ended, NULL), 994); /* init + 100 of 1 */
	feed_range(r, 2, 3); /* 4236 + 2790 + 2756 > 8000 */
	feed_range(r, 4, 5);
	drain(v, 777, &got, &ended, NULL);
	expect(&want, (const int[]){ INIT, 1, 5, -100 });
	assert_int_equal(got.n + 994, want.n);
	assert_memory_equal(got.d, want.d + 994, got.n);
	free(got.d);
	free(want.d);
	live_viewer_leave(v);
	live_relay_free(r);
}

/* A key fragment larger than the whole queue still gets through, alone. */
static void test_key_larger_than_queue(void **state)
{
	struct live_relay *r = live_relay_new(1000, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	struct live_viewer_stats st;

	(void)state;
	feed_range(r, 0, 5);
	READS(v, INIT, 5);
	live_viewer_stats(v, &st);
	assert_int_equal(st.fragments_dropped, 4); /* 1 (dropped for 2), 2, 3, 4 */
	/* reading promptly, each fragment alone is over the limit: delivered */
	for (int i = 6; i <= 11; i++) {
		feed(r, i);
		READS(v, i);
	}
	live_viewer_leave(v);
	live_relay_free(r);
}

/* --- independent viewers, partial reads ------------------------------------------------------ */

static void test_partial_reads_any_size(void **state)
{
	static const size_t sizes[] = { 1, 7, 893, 894, 895, 4096, 65536 };
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *v[7];

	(void)state;
	for (int k = 0; k < 7; k++)
		v[k] = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	feed_range(r, 0, 11);
	for (int k = 0; k < 7; k++)
		assert_reads(v[k], sizes[k],
			     (const int[]){ INIT, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -100 });
	assert_int_equal(live_relay_total_viewers(r), 7);
	for (int k = 0; k < 7; k++)
		live_viewer_leave(v[k]);
	assert_int_equal(live_relay_total_viewers(r), 0);
	live_relay_free(r);
}

static void test_two_viewers_independent(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	int wa = 0, wb = 0;
	struct live_viewer *a = live_relay_join(r, BOX, CAM, "a", 0, wake_count, &wa);
	struct live_viewer *b = live_relay_join(r, BOX, CAM, "b", 0, wake_count, &wb);
	uint8_t buf[100];
	bool ended;

	(void)state;
	/* asking (max 0) promises no wake */
	{
		int wc = 0;
		struct live_viewer *c = live_relay_join(r, BOX, "cam9", "c", 0, wake_count, &wc);

		assert_int_equal(live_viewer_read(c, NULL, 0, &ended, NULL), 0);
		assert_false(ended);
		assert_int_equal(
		    live_relay_feed(r, BOX, "cam9", h264.file, h264.len[0], 0, err, sizeof err), 0);
		assert_int_equal(wc, 0);
		live_viewer_leave(c);
		live_relay_end(r, BOX, "cam9", "done");
	}
	READS(a, NOTHING);
	READS(b, NOTHING);
	feed_range(r, 0, 2);
	assert_int_equal(wa, 1);
	assert_int_equal(wb, 1);
	/* a reads a little, b everything */
	assert_int_equal(live_viewer_read(a, buf, sizeof buf, &ended, NULL), 100);
	READS(b, INIT, 1, 2);
	feed(r, 3);
	assert_int_equal(wa, 1); /* a never said it waits */
	assert_int_equal(wb, 2);
	live_viewer_leave(b); /* b leaving changes nothing for a */
	feed(r, 4);
	{
		struct bytes got, want;

		drain(a, 4096, &got, &ended, NULL);
		expect(&want, (const int[]){ INIT, 1, 2, 3, 4, -100 });
		assert_int_equal(got.n + 100, want.n);
		assert_memory_equal(got.d, want.d + 100, got.n);
		free(got.d);
		free(want.d);
	}
	live_viewer_leave(a);
	live_relay_free(r);
}

/* --- a new init ----------------------------------------------------------------------------------
 */

static void test_new_init(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL), *late;
	uint8_t buf[100];
	bool ended;
	struct bytes got, want;
	struct live_viewer_stats st;
	struct live_stream_stats ss;

	(void)state;
	feed_range(r, 0, 3);
	assert_int_equal(live_viewer_read(v, buf, sizeof buf, &ended, NULL), 100);
	/* the box restarts, now in H.265: the old queue goes first, then the new init, then
	 * fragments from the next key (h265's 2 and 3 are not keys) */
	assert_int_equal(feed_from(r, &h265, 0), 0);
	assert_string_equal(live_relay_init(r, BOX, CAM)->codec, "hvc1.1.6.L30.90");
	assert_true(live_relay_stream_stats(r, BOX, CAM, &ss));
	assert_int_equal(ss.cache_fragments, 0);
	assert_int_equal(ss.inits, 2);
	assert_int_equal(feed_from(r, &h265, 2), 0);
	assert_int_equal(feed_from(r, &h265, 3), 0);
	late = live_relay_join(r, BOX, CAM, "late", 0, NULL, NULL);
	assert_int_equal(feed_from(r, &h265, 4), 0);
	assert_int_equal(feed_from(r, &h265, 5), 0);
	drain(v, 333, &got, &ended, NULL);
	expect(&want, (const int[]){ INIT, 1, 2, 3, -1, -5, -6, -100 });
	assert_int_equal(got.n + 100, want.n);
	assert_memory_equal(got.d, want.d + 100, got.n);
	free(got.d);
	free(want.d);
	READS(late, -1, -5, -6);
	live_viewer_stats(v, &st);
	assert_int_equal(st.inits_sent, 2);
	assert_int_equal(st.fragments_dropped, 0);
	/* an h264 fragment now is judged against the h265 init: same track, accepted */
	live_viewer_leave(v);
	live_viewer_leave(late);
	live_relay_free(r);
}

/* A drop keeps the newest queued init: what follows stays decodable. Older
 * inits go, with their fragments: a box restarting in a loop cannot fill a
 * slow viewer's queue with inits. */
static void test_drop_keeps_last_init(void **state)
{
	struct live_relay *r = live_relay_new(6000, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);
	struct live_viewer_stats st;

	(void)state;
	feed_range(r, 0, 1);			     /* 894 + 4336 */
	assert_int_equal(feed_from(r, &h265, 0), 0); /* + its init */
	assert_int_equal(feed_from(r, &h265, 1), 0); /* over: h264's init and 1 go */
	READS(v, -1, -2);
	live_viewer_stats(v, &st);
	assert_int_equal(st.fragments_dropped, 1);
	assert_int_equal(st.inits_sent, 2);

	/* inits only, again and again: the queue stays bounded */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(feed_from(r, &h264, 0), 0);
		assert_int_equal(feed_from(r, &h265, 0), 0);
		live_viewer_stats(v, &st);
		assert_true(st.bytes_queued <= 6000 + (int64_t)h265.len[0]);
	}
	{
		uint8_t buf[10];
		bool ended;
		struct bytes got;

		drain(v, 4096, &got, &ended, NULL);
		assert_true(got.n > 0 && got.n <= 6000 + h265.len[0]);
		assert_memory_equal(got.d + 4, "ftyp", 4);
		free(got.d);
		/* (the stream's init is h265's now: the same again would change nothing) */
		assert_int_equal(feed_from(r, &h264, 0), 0);
		assert_int_equal(live_viewer_read(v, buf, sizeof buf, &ended, NULL), 10);
		for (int i = 0; i < 10; i++) {
			assert_int_equal(feed_from(r, &h265, 0), 0);
			assert_int_equal(feed_from(r, &h264, 0), 0);
		}
		assert_int_equal(feed_from(r, &h264, 1), 0);
		/* a partly read init is finished first, then the newest init and its key */
		live_viewer_stats(v, &st);
		assert_int_equal(st.bytes_queued, h264.len[0] - 10 + h264.len[0] + h264.len[1]);
	}
	live_viewer_leave(v);
	live_relay_free(r);
}

/* --- the end
 * --------------------------------------------------------------------------------------- */

static void test_end_after_queued_data(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	int woken = 0;
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, wake_count, &woken), *after;
	struct live_viewer_stats st;
	struct bytes got, want;
	bool ended;
	const char *why;

	(void)state;
	feed_range(r, 0, 2);
	live_viewer_stats(v, &st);
	assert_null(st.end_why);
	live_relay_end(r, BOX, CAM, "camera stopped");
	assert_int_equal(woken, 0); /* it never read: it never waited, nothing to wake */
	/* the end came, bytes are still queued: stats say why, a read of 0 asks and is told
	 * "not yet" */
	live_viewer_stats(v, &st);
	assert_string_equal(st.end_why, "camera stopped");
	assert_int_equal(live_viewer_read(v, NULL, 0, &ended, &why), 0);
	assert_false(ended);
	assert_null(live_relay_init(r, BOX, CAM));
	drain(v, 1000, &got, &ended, &why);
	expect(&want, (const int[]){ INIT, 1, 2, -100 });
	assert_int_equal(got.n, want.n);
	assert_memory_equal(got.d, want.d, got.n);
	free(got.d);
	free(want.d);
	assert_true(ended);
	assert_string_equal(why, "camera stopped");
	/* and again, also when only asking */
	assert_int_equal(live_viewer_read(v, (uint8_t[8]){ 0 }, 8, &ended, &why), 0);
	assert_true(ended);
	assert_string_equal(why, "camera stopped");
	assert_int_equal(live_viewer_read(v, NULL, 0, &ended, NULL), 0);
	assert_true(ended);
	/* fragments after the end: no init */
	assert_int_equal(feed_from(r, &h264, 3), -ENOENT);
	/* a viewer joining after the end waits for a new stream; the ended one stays ended */
	after = live_relay_join(r, BOX, CAM, "after", 0, NULL, NULL);
	READS(after, NOTHING);
	assert_int_equal(live_relay_viewer_count(r, BOX, CAM), 2);
	feed(r, INIT);
	feed(r, 1);
	READS(after, INIT, 1);
	assert_int_equal(live_viewer_read(v, (uint8_t[8]){ 0 }, 8, &ended, &why), 0);
	assert_true(ended);
	live_viewer_leave(v);
	live_viewer_leave(after);
	/* the stream still has an init: kept until the end */
	assert_int_equal(live_relay_stream_count(r), 1);
	live_relay_end(r, BOX, CAM, "no viewer");
	assert_int_equal(live_relay_stream_count(r), 0);
	live_relay_free(r);
}

static void test_end_wakes_waiting_viewer(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	int woken = 0;
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, wake_count, &woken);
	bool ended;
	const char *why = NULL;

	(void)state;
	feed_range(r, 0, 1);
	READS(v, INIT, 1);
	assert_int_equal(woken, 0);
	live_relay_end(r, BOX, CAM, NULL);
	assert_int_equal(woken, 1);
	assert_int_equal(live_viewer_read(v, (uint8_t[8]){ 0 }, 8, &ended, &why), 0);
	assert_true(ended);
	assert_string_equal(why, "");
	/* a second end changes nothing */
	live_relay_end(r, BOX, CAM, "again");
	assert_int_equal(woken, 1);
	live_viewer_read(v, (uint8_t[8]){ 0 }, 8, &ended, &why);
	assert_string_equal(why, "");
	live_viewer_leave(v);
	assert_int_equal(live_relay_stream_count(r), 0);
	live_relay_end(r, "box-x", CAM, "unknown"); /* no-op */
	live_relay_free(r);
}

/* --- garbage
 * ------------------------------------------------------------------------------------------ */

static void test_garbage_changes_nothing(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	int woken = 0;
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, wake_count, &woken);
	struct live_stream_stats before, after;
	struct live_viewer_stats vs_before, vs_after;
	const uint8_t junk[] = "hello, not an mp4";
	uint8_t wrong_track[8192];

	(void)state;
	feed_range(r, 0, 2);
	READS(v, INIT, 1, 2);
	woken = 0;
	assert_true(live_relay_stream_stats(r, BOX, CAM, &before));
	live_viewer_stats(v, &vs_before);
	assert_int_equal(live_relay_feed(r, BOX, CAM, junk, sizeof junk, 9, err, sizeof err),
			 -EINVAL);
	assert_true(err[0] != '\0');
	/* a fragment cut short, an init cut short */
	assert_int_equal(live_relay_feed(r, BOX, CAM, h264.file + h264.off[5], h264.len[5] - 1, 9,
					 err, sizeof err),
			 -EINVAL);
	assert_int_equal(
	    live_relay_feed(r, BOX, CAM, h264.file, h264.len[0] - 1, 9, err, sizeof err), -EINVAL);
	/* a key fragment of another track */
	memcpy(wrong_track, h264.file + h264.off[5], h264.len[5]);
	for (size_t i = 0; i + 12 < h264.len[5]; i++) {
		if (be32(wrong_track + i + 4) == be32((const uint8_t *)"tfhd")) {
			wrong_track[i + 15] = 2;
			break;
		}
	}
	assert_int_equal(live_relay_feed(r, BOX, CAM, wrong_track, h264.len[5], 9, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "the stream's track is 1"));
	assert_true(live_relay_stream_stats(r, BOX, CAM, &after));
	assert_memory_equal(&before, &after, sizeof before);
	live_viewer_stats(v, &vs_after);
	assert_memory_equal(&vs_before, &vs_after, sizeof vs_before);
	assert_int_equal(woken, 0);
	assert_string_equal(live_relay_init(r, BOX, CAM)->codec, "avc1.640009");
	READS(v, NOTHING);
	/* the next good fragment follows as if nothing happened */
	feed(r, 3);
	READS(v, 3);
	/* garbage for an unknown stream creates nothing */
	assert_int_equal(live_relay_stream_count(r), 1);
	assert_int_equal(live_relay_feed(r, "box-b", CAM, junk, sizeof junk, 9, err, sizeof err),
			 -EINVAL);
	assert_int_equal(live_relay_feed(r, "box-b", CAM, h264.file + h264.off[1], h264.len[1], 9,
					 err, sizeof err),
			 -ENOENT);
	assert_int_equal(live_relay_stream_count(r), 1);
	live_viewer_leave(v);
	live_relay_free(r);
}

/* --- counts, stats, lifetimes
 * ------------------------------------------------------------------------- */

static void test_counts_and_streams(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *a1 = live_relay_join(r, "box-a", "cam1", "x", 0, NULL, NULL);
	struct live_viewer *a2 = live_relay_join(r, "box-a", "cam1", "y", 0, NULL, NULL);
	struct live_viewer *b = live_relay_join(r, "box-a", "cam2", "x", 0, NULL, NULL);
	struct live_viewer *odd1 = live_relay_join(r, "a/b", "c", "x", 0, NULL, NULL);
	struct live_viewer *odd2 = live_relay_join(r, "a", "b/c", "x", 0, NULL, NULL);

	(void)state;
	assert_int_equal(live_relay_viewer_count(r, "box-a", "cam1"), 2);
	assert_int_equal(live_relay_viewer_count(r, "box-a", "cam2"), 1);
	assert_int_equal(live_relay_viewer_count(r, "box-a", "cam3"), 0);
	assert_int_equal(live_relay_viewer_count(r, "a/b", "c"), 1);
	assert_int_equal(live_relay_viewer_count(r, "a", "b/c"), 1);
	assert_int_equal(live_relay_total_viewers(r), 5);
	assert_int_equal(live_relay_stream_count(r), 4);
	/* streams are apart: cam1's init is not cam2's */
	feed(r, INIT);
	assert_non_null(live_relay_init(r, "box-a", "cam1"));
	assert_null(live_relay_init(r, "box-a", "cam2"));
	READS(b, NOTHING);
	live_viewer_leave(a1);
	assert_int_equal(live_relay_viewer_count(r, "box-a", "cam1"), 1);
	live_viewer_leave(a2);
	assert_int_equal(live_relay_viewer_count(r, "box-a", "cam1"), 0);
	/* cam1 has an init: kept; cam2 had none: gone with its last viewer */
	live_viewer_leave(b);
	assert_int_equal(live_relay_stream_count(r), 3);
	live_viewer_leave(odd1);
	live_viewer_leave(odd2);
	assert_int_equal(live_relay_stream_count(r), 1);
	assert_int_equal(live_relay_total_viewers(r), 0);
	live_viewer_leave(NULL);
	live_relay_free(r);
	live_relay_free(NULL);
}

static void test_stream_stats(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_stream_stats st;

	(void)state;
	assert_false(live_relay_stream_stats(r, BOX, CAM, &st));
	/* an init with no viewer creates the stream: a joiner may come */
	feed_range(r, 0, 6);
	assert_true(live_relay_stream_stats(r, BOX, CAM, &st));
	assert_int_equal(st.viewers, 0);
	assert_true(st.has_init);
	assert_int_equal(st.chunks, 7);
	assert_int_equal(st.inits, 1);
	assert_int_equal(st.bytes, (int64_t)(h264.off[7] - h264.off[0]));
	assert_int_equal(st.last_chunk_ms, 1006);
	assert_int_equal(st.last_decode_time, 1300);
	assert_int_equal(st.cache_fragments, 2);
	assert_int_equal(st.cache_bytes, h264.len[5] + h264.len[6]);
	live_relay_free(r);
}

/* Leaving with data queued, or freeing the relay with viewers joined: no leak (ASan). */
static void test_leave_with_queue_and_free_with_viewers(void **state)
{
	struct live_relay *r = live_relay_new(1 << 20, 1 << 20);
	struct live_viewer *v = live_relay_join(r, BOX, CAM, "v", 0, NULL, NULL);

	(void)state;
	live_relay_join(r, BOX, CAM, "w", 0, NULL, NULL);
	live_relay_join(r, "box-b", CAM, "w", 0, NULL, NULL);
	feed_range(r, 0, 11);
	live_viewer_leave(v);
	assert_int_equal(live_relay_total_viewers(r), 2);
	live_relay_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_before_init),
		cmocka_unit_test(test_join_mid_gop),
		cmocka_unit_test(test_join_right_after_key),
		cmocka_unit_test(test_join_cache_over_limit),
		cmocka_unit_test(test_join_before_first_key),
		cmocka_unit_test(test_slow_viewer_drops_and_resumes_at_key),
		cmocka_unit_test(test_slow_viewer_keeps_partial_chunk),
		cmocka_unit_test(test_key_larger_than_queue),
		cmocka_unit_test(test_partial_reads_any_size),
		cmocka_unit_test(test_two_viewers_independent),
		cmocka_unit_test(test_same_init_again),
		cmocka_unit_test(test_new_init),
		cmocka_unit_test(test_drop_keeps_last_init),
		cmocka_unit_test(test_end_after_queued_data),
		cmocka_unit_test(test_end_wakes_waiting_viewer),
		cmocka_unit_test(test_garbage_changes_nothing),
		cmocka_unit_test(test_counts_and_streams),
		cmocka_unit_test(test_stream_stats),
		cmocka_unit_test(test_leave_with_queue_and_free_with_viewers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
