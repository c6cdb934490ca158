/*
 * fuzz_fmp4.c — libFuzzer target for fmp4_inspect (common/fmp4.h), the
 * parser of the live-view chunks boxes send, and for the relay that feeds
 * them to viewers (cloud/collector/live_relay.h).
 *
 * Every input is inspected whole three times: with no init, and with two
 * fixed inits (trex defaults 0; trex defaults that make samples 16-byte
 * non-sync ones). abort() when:
 *   - a refusal's message is empty, not printable ASCII or not "byte N: …"
 *     with N at most the input's size;
 *   - an accepted init has track 0, timescale 0 or a codec string that is
 *     empty, unterminated or not printable; an accepted fragment has no
 *     moof, more samples than FMP4_SAMPLES_MAX, or a key with no sample;
 *   - the verdict is not the same twice.
 * ASan catches any read outside the input (libFuzzer's buffer is exact).
 *
 * An input whose first byte has bit 7 set is also a script for the relay
 * (tiny limits: 4 KiB a viewer, 8 KiB of key cache), two streams, up to 8
 * viewers, operations of 1..3 bytes:
 *   op&7 in 0..2  feed the next LEN bytes (LEN: 2 bytes, little-endian) to
 *                 stream op>>3&1
 *   3 join, 4 read (viewer, size), 5 leave (viewer), 6 end, 7 feed as 0
 * abort() when feed's verdict differs from fmp4_inspect's with the init the
 * harness knows the stream has, when a viewer's first bytes are not an
 * 'ftyp' box, when a read returns more than asked, when bytes_sent differs
 * from what was read, when a queue holds more than its limit plus three
 * chunks (a partly read one, an init, a key fragment), or when the viewer counts disagree. Leaks
 * show at exit (ASan).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmp4.h"
#include "live_relay.h"

#define QUEUE_MAX 4096
#define CACHE_MAX 8192
#define VIEWERS	  8

/*
 * The relay copies every chunk (up to 16 KiB here, any size class): with
 * ASan's 256 MiB quarantine the RSS passed 680 MiB within two minutes, as in
 * fuzz_chunks.c. A small quarantine still catches a use after free of what
 * the last inputs freed.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_fmp4: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static bool printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return i < max;
}

static void check_one(const uint8_t *p, size_t n, const struct fmp4_init *init)
{
	struct fmp4_init out, out2;
	struct fmp4_info info, info2;
	char err[256], err2[256];
	bool ok = fmp4_inspect(p, n, init, &out, &info, err, sizeof err);
	bool ok2 = fmp4_inspect(p, n, init, &out2, &info2, err2, sizeof err2);

	if (ok != ok2 || (!ok && strcmp(err, err2) != 0))
		die("two verdicts on one input", err);
	if (!ok) {
		unsigned long long at;

		if (!printable(err, sizeof err) || sscanf(err, "byte %llu: ", &at) != 1 || at > n ||
		    !strstr(err, ": "))
			die("refusal message not 'byte N: …'", err);
		return;
	}
	if (memcmp(&info, &info2, sizeof info) != 0)
		die("two infos on one input", NULL);
	if (info.kind == FMP4_INIT) {
		if (out.track_id == 0 || out.timescale == 0)
			die("init with track 0 or timescale 0", NULL);
		if (!printable(out.codec, sizeof out.codec) || !out.codec[0] ||
		    memcmp(&out, &out2, sizeof out) != 0)
			die("init codec string", out.codec);
		return;
	}
	if (info.kind != FMP4_FRAGMENT || info.fragments == 0 || info.samples > FMP4_SAMPLES_MAX ||
	    (info.key && info.samples == 0))
		die("fragment info", NULL);
}

/* --- the relay ------------------------------------------------------------------- */

struct viewer {
	struct live_viewer *v;
	int stream;
	int64_t read;
	uint8_t first[8];
	bool ended;
};

struct harness {
	struct live_relay *r;
	struct viewer viewers[VIEWERS];
	int nviewers[2];
	bool has_init[2];
	struct fmp4_init init[2];
	size_t biggest; /* the largest chunk accepted */
};

static const char *const cams[2] = { "cam-a", "cam-b" };

static void feed(struct harness *h, int s, const uint8_t *p, size_t n)
{
	char err[256];
	struct fmp4_init init;
	struct fmp4_info info;
	bool ok =
	    fmp4_inspect(p, n, h->has_init[s] ? &h->init[s] : NULL, &init, &info, err, sizeof err);
	int rc = live_relay_feed(h->r, "box-f", cams[s], p, n, 1, err, sizeof err);
	int want = !ok ? -EINVAL : info.kind == FMP4_FRAGMENT && !h->has_init[s] ? -ENOENT : 0;

	if (rc != want)
		die("feed's verdict is not fmp4_inspect's", err);
	if (rc == 0 && info.kind == FMP4_INIT) {
		h->has_init[s] = true;
		h->init[s] = init;
	}
	if (rc == 0 && n > h->biggest)
		h->biggest = n;
	if ((live_relay_init(h->r, "box-f", cams[s]) != NULL) != h->has_init[s])
		die("live_relay_init disagrees", NULL);
}

static void viewer_read(struct harness *h, struct viewer *w, size_t max)
{
	static uint8_t buf[16384];
	bool ended;
	const char *why;
	size_t k = live_viewer_read(w->v, buf, max, &ended, &why);
	struct live_viewer_stats st;

	if (k > max || (k > 0 && ended))
		die("read returned more than asked, or data with the end", NULL);
	if (ended && !why)
		die("an end without a reason", NULL);
	for (size_t i = 0; i < k && w->read + (int64_t)i < 8; i++)
		w->first[w->read + i] = buf[i];
	w->read += (int64_t)k;
	if (w->read >= 8 && memcmp(w->first + 4, "ftyp", 4) != 0)
		die("a viewer's stream does not start with 'ftyp'", NULL);
	live_viewer_stats(w->v, &st);
	if (st.bytes_sent != w->read)
		die("bytes_sent is not what was read", NULL);
	if ((size_t)st.bytes_queued > QUEUE_MAX + 3 * h->biggest)
		die("a queue beyond its limit", NULL);
	w->ended = ended;
}

static void relay_script(const uint8_t *p, size_t n)
{
	struct harness h = { 0 };
	size_t pos = 0;

	h.r = live_relay_new(QUEUE_MAX, CACHE_MAX);
	while (pos < n) {
		uint8_t op = p[pos++];
		int s = (op >> 3) & 1;
		uint8_t arg = pos < n ? p[pos] : 0;
		struct viewer *w = &h.viewers[arg % VIEWERS];

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 7: {
			size_t len;

			if (pos + 2 > n)
				goto out;
			len = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
			pos += 2;
			if (len > n - pos)
				len = n - pos;
			feed(&h, s, p + pos, len);
			pos += len;
			break;
		}
		case 3:
			pos++;
			if (w->v)
				break;
			memset(w, 0, sizeof *w);
			w->v = live_relay_join(h.r, "box-f", cams[s], "fuzz", 0, NULL, NULL);
			w->stream = s;
			h.nviewers[s]++;
			break;
		case 4:
			pos++;
			if (w->v)
				viewer_read(&h, w, 1 + (size_t)(pos < n ? p[pos++] : 0) * 64);
			break;
		case 5:
			pos++;
			if (!w->v)
				break;
			live_viewer_leave(w->v);
			w->v = NULL;
			h.nviewers[w->stream]--;
			break;
		case 6:
			live_relay_end(h.r, "box-f", cams[s], "fuzz");
			h.has_init[s] = false;
			break;
		}
		if (live_relay_viewer_count(h.r, "box-f", cams[0]) != h.nviewers[0] ||
		    live_relay_viewer_count(h.r, "box-f", cams[1]) != h.nviewers[1] ||
		    live_relay_total_viewers(h.r) != h.nviewers[0] + h.nviewers[1])
			die("viewer counts", NULL);
	}
out:
	/* every viewer reads what is left: whole, then nothing or the end */
	for (int i = 0; i < VIEWERS; i++) {
		struct viewer *w = &h.viewers[i];

		if (!w->v)
			continue;
		for (int k = 0; k < 10000; k++) {
			int64_t before = w->read;

			viewer_read(&h, w, 16384);
			if (w->read == before)
				break;
		}
		if (i % 2)
			live_viewer_leave(w->v); /* the others are freed by live_relay_free */
	}
	live_relay_free(h.r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fmp4_init plain = { .track_id = 1,
						.timescale = 1500,
						.codec = "avc1.640009" };
	static const struct fmp4_init defaults = { .track_id = 1,
						   .timescale = 90000,
						   .trex_default_sample_duration = 3000,
						   .trex_default_sample_size = 16,
						   .trex_default_sample_flags = 0x01010000,
						   .codec = "avc1.640009" };

	check_one(data, size, NULL);
	check_one(data, size, &plain);
	check_one(data, size, &defaults);
	if (size > 0 && (data[0] & 0x80))
		relay_script(data + 1, size - 1);
	return 0;
}
