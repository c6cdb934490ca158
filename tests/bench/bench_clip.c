/*
 * bench_clip — how long bk-edge takes to build a clip from recorded segments.
 *
 *   bench_clip [--cold] OUT CHUNK_SIZE RUNS SEGMENT...
 *
 * Builds the clip RUNS times with clip_build (edge/clip.h), the box's own
 * code: the segments concatenated into OUT, hashed whole and per chunk of
 * CHUNK_SIZE bytes, OUT fsynced. OUT is removed after each run (it must not
 * exist before: a fresh path, so that no run writes over another's file).
 * The segments are read as they are, normally still in the page cache from
 * recording (a clip is built right after its event); --cold first syncs
 * each segment and asks the kernel to drop its pages (posix_fadvise
 * DONTNEED), so that the segments are read from the disk.
 *
 * Then times the hashing alone (whole + per chunk, as clip_build does) over
 * the same bytes held in memory: what is left of a run is reading, writing
 * and the fsync.
 *
 * Prints one line per run, then one for the hashing, key=value for
 * tests/bench/run.sh (MB = 10^6 bytes):
 *   cache=warm run=1 segments=6 bytes=16512000 chunks=63 seconds=0.104 mb_s=158.8
 *   hash bytes=16512000 seconds=0.061 mb_s=270.7
 * Exit 1 when a build fails (the reason on stderr). Not a test: it
 * measures, it does not check (tests/unit/ do).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "clip.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_clip [--cold] OUT CHUNK_SIZE RUNS SEGMENT...\n");
	return 2;
}

/* Write back and drop the cached pages of each segment (dirty pages cannot
 * be dropped: recording does not fsync). */
static int evict(const char *const *segments, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd = open(segments[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "bench_clip: cannot open segment '%s': %s\n", segments[i],
				strerror(errno));
			return -1;
		}
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return 0;
}

/* The hashing clip_build does, over bytes already in memory. */
static double hash_seconds(const char *const *segments, size_t n, int chunk_size, size_t *bytes)
{
	GByteArray *all = g_byte_array_new();
	GChecksum *whole = g_checksum_new(G_CHECKSUM_SHA256);
	GChecksum *part = g_checksum_new(G_CHECKSUM_SHA256);
	double t0, t;

	for (size_t i = 0; i < n; i++) {
		gchar *data;
		gsize len;

		if (!g_file_get_contents(segments[i], &data, &len, NULL))
			continue; /* clip_build would have failed first */
		g_byte_array_append(all, (const guint8 *)data, (guint)len);
		g_free(data);
	}
	t0 = now_s();
	for (size_t off = 0; off < all->len; off += (size_t)chunk_size) {
		size_t len = MIN((size_t)chunk_size, all->len - off);

		g_checksum_update(whole, all->data + off, (gssize)len);
		g_checksum_update(part, all->data + off, (gssize)len);
		(void)g_checksum_get_string(part);
		g_checksum_reset(part);
	}
	(void)g_checksum_get_string(whole);
	t = now_s() - t0;
	*bytes = all->len;
	g_checksum_free(whole);
	g_checksum_free(part);
	g_byte_array_free(all, TRUE);
	return t;
}

int main(int argc, char **argv)
{
	const char *const *segments;
	const char *out;
	bool cold = false;
	long chunk_size, runs;
	size_t n, hashed;
	double t;
	int a = 1;

	if (argc > 1 && !strcmp(argv[1], "--cold")) {
		cold = true;
		a++;
	}
	if (argc - a < 4)
		return usage();
	out = argv[a];
	chunk_size = strtol(argv[a + 1], NULL, 10);
	runs = strtol(argv[a + 2], NULL, 10);
	segments = (const char *const *)&argv[a + 3];
	n = (size_t)(argc - a - 3);
	if (chunk_size < 4096 || chunk_size > (1 << 20) || runs < 1 || runs > 1000)
		return usage();
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "bench_clip: cannot use '%s': it exists (give a fresh path)\n",
			out);
		return 1;
	}

	for (long r = 1; r <= runs; r++) {
		struct clip_file clip;
		char err[512];
		double t0, t1;
		int rc;

		if (cold && evict(segments, n) != 0)
			return 1;
		t0 = now_s();
		rc = clip_build(segments, n, out, (int)chunk_size, &clip, err, sizeof err);
		t1 = now_s();
		if (rc) {
			fprintf(stderr, "bench_clip: cannot build clip: %s\n", err);
			return 1;
		}
		printf("cache=%s run=%ld segments=%zu bytes=%lld chunks=%d seconds=%.4f "
		       "mb_s=%.1f\n",
		       cold ? "cold" : "warm", r, n, (long long)clip.bytes, clip.chunk_count,
		       t1 - t0, (double)clip.bytes / 1e6 / (t1 - t0));
		fflush(stdout);
		unlink(out);
		clip_file_release(&clip);
	}

	t = hash_seconds(segments, n, (int)chunk_size, &hashed);
	printf("hash bytes=%zu seconds=%.4f mb_s=%.1f\n", hashed, t, (double)hashed / 1e6 / t);
	return 0;
}
