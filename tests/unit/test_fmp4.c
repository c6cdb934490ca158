/* Unit tests: fmp4_inspect on real fragmented MP4 (mp4mux's, H.264 and
 * H.265, tests/fixtures/fmp4/), on every prefix of it, and on chunks built
 * by hand for each key-frame rule, each box-size case and each refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fmp4.h"

/* --- fixtures: a file split into chunks as a box sends them -------------------- */

struct chunks {
	uint8_t *file;
	size_t size;
	int n;
	size_t off[64], len[64];
};

static uint32_t be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* ftyp+moov together, moof+mdat together, anything else alone */
static void load(const char *path, struct chunks *c)
{
	FILE *f = fopen(path, "rb");
	size_t pos = 0;

	memset(c, 0, sizeof *c);
	if (!f)
		fail_msg("cannot open fixture '%s' (tests run from the repository root)", path);
	c->file = malloc(1 << 20);
	assert_non_null(c->file);
	c->size = fread(c->file, 1, 1 << 20, f);
	fclose(f);
	while (pos + 8 <= c->size) {
		size_t len = be32(c->file + pos);
		uint32_t t = be32(c->file + pos + 4);

		assert_true(len >= 8 && pos + len <= c->size);
		if (t == be32((const uint8_t *)"ftyp") || t == be32((const uint8_t *)"moof"))
			len += be32(c->file + pos + len);
		assert_true(c->n < 64);
		c->off[c->n] = pos;
		c->len[c->n] = len;
		c->n++;
		pos += len;
	}
	assert_int_equal(pos, c->size);
}

/* A heap copy of exactly the chunk, so that ASan sees a read past its end. */
static uint8_t *dup_chunk(const struct chunks *c, int i)
{
	uint8_t *p = malloc(c->len[i]);

	assert_non_null(p);
	memcpy(p, c->file + c->off[i], c->len[i]);
	return p;
}

/* --- a builder of boxes -------------------------------------------------------- */

struct buf {
	uint8_t d[8192];
	size_t n;
	size_t open[16];
	int depth;
};

static void u8(struct buf *b, uint8_t v)
{
	assert_true(b->n < sizeof b->d);
	b->d[b->n++] = v;
}

static void u16(struct buf *b, uint16_t v)
{
	u8(b, (uint8_t)(v >> 8));
	u8(b, (uint8_t)v);
}

static void u32(struct buf *b, uint32_t v)
{
	u16(b, (uint16_t)(v >> 16));
	u16(b, (uint16_t)v);
}

static void u64(struct buf *b, uint64_t v)
{
	u32(b, (uint32_t)(v >> 32));
	u32(b, (uint32_t)v);
}

static void fcc(struct buf *b, const char *t)
{
	for (int i = 0; i < 4; i++)
		u8(b, (uint8_t)t[i]);
}

static void zeros(struct buf *b, size_t k)
{
	while (k--)
		u8(b, 0);
}

static void box(struct buf *b, const char *t)
{
	b->open[b->depth++] = b->n;
	u32(b, 0);
	fcc(b, t);
}

static void fullbox(struct buf *b, const char *t, uint8_t version, uint32_t flags)
{
	box(b, t);
	u32(b, (uint32_t)version << 24 | flags);
}

static void put32_at(struct buf *b, size_t at, uint32_t v)
{
	b->d[at] = (uint8_t)(v >> 24);
	b->d[at + 1] = (uint8_t)(v >> 16);
	b->d[at + 2] = (uint8_t)(v >> 8);
	b->d[at + 3] = (uint8_t)v;
}

static void end(struct buf *b)
{
	size_t s = b->open[--b->depth];

	put32_at(b, s, (uint32_t)(b->n - s));
}

/* an empty box of type t */
static void leaf(struct buf *b, const char *t, size_t payload)
{
	box(b, t);
	zeros(b, payload);
	end(b);
}

/* --- init segments ------------------------------------------------------------- */

struct ispec {
	const char *entry, *handler;
	uint32_t track, trex_track, timescale;
	uint32_t trex_dur, trex_size, trex_flags;
	int traks, stsd_count, tkhd_v, mdhd_v;
	bool no_mvex, no_trex, no_cfg, two_trex;
	uint8_t cfg_version;
	uint8_t hvcc_ptl;      /* hvcC byte 1: profile space, tier, profile idc */
	uint8_t constraint[6]; /* hvcC */
	size_t cfg_len;	       /* bytes of the avcC / hvcC payload */
};

static struct ispec ispec_default(void)
{
	return (struct ispec){ .entry = "avc1",
			       .handler = "vide",
			       .track = 1,
			       .trex_track = 1,
			       .timescale = 90000,
			       .traks = 1,
			       .stsd_count = 1,
			       .cfg_version = 1,
			       .hvcc_ptl = 0x01,
			       .constraint = { 0x90 } };
}

static void build_trak(struct buf *b, const struct ispec *s)
{
	bool hevc = s->entry[0] == 'h';

	box(b, "trak");
	fullbox(b, "tkhd", (uint8_t)s->tkhd_v, 7);
	zeros(b, s->tkhd_v == 1 ? 16 : 8);
	u32(b, s->track);
	zeros(b, s->tkhd_v == 1 ? 68 : 64);
	end(b);
	box(b, "mdia");
	fullbox(b, "mdhd", (uint8_t)s->mdhd_v, 0);
	zeros(b, s->mdhd_v == 1 ? 16 : 8);
	u32(b, s->timescale);
	zeros(b, s->mdhd_v == 1 ? 12 : 8);
	end(b);
	fullbox(b, "hdlr", 0, 0);
	u32(b, 0);
	fcc(b, s->handler);
	zeros(b, 13);
	end(b);
	box(b, "minf");
	leaf(b, "vmhd", 12);
	box(b, "stbl");
	fullbox(b, "stsd", 0, 0);
	u32(b, (uint32_t)s->stsd_count);
	box(b, s->entry);
	zeros(b, 6);
	u16(b, 1);
	zeros(b, 16);
	u16(b, 640);
	u16(b, 360);
	zeros(b, 50);
	if (!s->no_cfg) {
		box(b, hevc ? "hvcC" : "avcC");
		if (hevc) {
			size_t len = s->cfg_len ? s->cfg_len : 23;
			uint8_t q[23] = { s->cfg_version, s->hvcc_ptl, 0x60, 0, 0, 0 };

			memcpy(q + 6, s->constraint, 6);
			q[12] = 93;
			for (size_t i = 0; i < len; i++)
				u8(b, i < sizeof q ? q[i] : 0);
		} else {
			size_t len = s->cfg_len ? s->cfg_len : 7;
			uint8_t q[7] = { s->cfg_version, 0x64, 0x00, 0x1f, 0xff, 0xe0, 0x00 };

			for (size_t i = 0; i < len; i++)
				u8(b, i < sizeof q ? q[i] : 0);
		}
		end(b);
	}
	end(b); /* entry */
	end(b); /* stsd */
	fullbox(b, "stts", 0, 0);
	u32(b, 0);
	end(b);
	end(b); /* stbl */
	end(b); /* minf */
	end(b); /* mdia */
	end(b); /* trak */
}

static void build_init(struct buf *b, const struct ispec *s)
{
	memset(b, 0, sizeof *b);
	box(b, "ftyp");
	fcc(b, "iso6");
	u32(b, 0);
	fcc(b, "iso6");
	end(b);
	box(b, "moov");
	fullbox(b, "mvhd", 0, 0);
	zeros(b, 96);
	end(b);
	for (int i = 0; i < s->traks; i++)
		build_trak(b, s);
	if (!s->no_mvex) {
		box(b, "mvex");
		fullbox(b, "mehd", 0, 0);
		u32(b, 0);
		end(b);
		for (int i = 0; i < (s->no_trex ? 0 : s->two_trex ? 2 : 1); i++) {
			fullbox(b, "trex", 0, 0);
			u32(b, s->trex_track);
			u32(b, 1);
			u32(b, s->trex_dur);
			u32(b, s->trex_size);
			u32(b, s->trex_flags);
			end(b);
		}
		end(b);
	}
	end(b);
}

/* --- fragments ------------------------------------------------------------------- */

#define SYNC	 0x02000000u /* depends on nothing */
#define NON_SYNC 0x01010000u /* depends on others, non-sync */

struct fspec {
	uint32_t seq, track;
	uint32_t tfhd_flags, tfhd_dur, tfhd_size, tfhd_sflags;
	int tfdt_v;
	uint64_t tfdt;
	uint32_t trun_flags, count, first_flags;
	uint32_t dur[8], size[8], sflags[8];
	int32_t offset_adjust; /* added to the right data offset */
	size_t mdat_extra;
	bool no_tfdt, no_mfhd, no_tfhd, no_trun, two_traf, empty_first_trun, second_trun;
	bool no_mdat;
	const char *after_moof; /* a box between moof and mdat */
};

static struct fspec fspec_default(void)
{
	struct fspec f = { .seq = 7, .track = 1, .tfdt = 9000, .trun_flags = 0x701, .count = 3 };

	for (int i = 0; i < 8; i++) {
		f.dur[i] = 3000;
		f.size[i] = 10;
		f.sflags[i] = i == 0 ? SYNC : NON_SYNC;
	}
	return f;
}

static size_t trun_data(const struct fspec *s)
{
	size_t sum = 0;

	for (uint32_t i = 0; i < s->count && i < 8; i++)
		sum += (s->trun_flags & 0x200)	? s->size[i]
		       : (s->tfhd_flags & 0x10) ? s->tfhd_size
						: 0;
	return sum;
}

/* one trun; returns where its data offset is, 0 when it has none */
static size_t build_trun(struct buf *b, const struct fspec *s, uint32_t flags, uint32_t count)
{
	size_t at = 0;

	fullbox(b, "trun", 0, flags);
	u32(b, count);
	if (flags & 0x1) {
		at = b->n;
		u32(b, 0);
	}
	if (flags & 0x4)
		u32(b, s->first_flags);
	for (uint32_t i = 0; i < count && i < 8; i++) {
		if (flags & 0x100)
			u32(b, s->dur[i]);
		if (flags & 0x200)
			u32(b, s->size[i]);
		if (flags & 0x400)
			u32(b, s->sflags[i]);
		if (flags & 0x800)
			u32(b, 0);
	}
	end(b);
	return at;
}

static void build_traf(struct buf *b, const struct fspec *s, size_t *offset_at, size_t *offset2_at)
{
	box(b, "traf");
	if (!s->no_tfhd) {
		fullbox(b, "tfhd", 0, s->tfhd_flags);
		u32(b, s->track);
		if (s->tfhd_flags & 0x1)
			u64(b, 0);
		if (s->tfhd_flags & 0x2)
			u32(b, 1);
		if (s->tfhd_flags & 0x8)
			u32(b, s->tfhd_dur);
		if (s->tfhd_flags & 0x10)
			u32(b, s->tfhd_size);
		if (s->tfhd_flags & 0x20)
			u32(b, s->tfhd_sflags);
		end(b);
	}
	if (!s->no_tfdt) {
		fullbox(b, "tfdt", (uint8_t)s->tfdt_v, 0);
		if (s->tfdt_v == 1)
			u64(b, s->tfdt);
		else
			u32(b, (uint32_t)s->tfdt);
		end(b);
	}
	leaf(b, "sdtp", 4); /* skipped */
	if (s->empty_first_trun)
		build_trun(b, s, 0x4, 0);
	if (!s->no_trun)
		*offset_at = build_trun(b, s, s->trun_flags, s->count);
	if (s->second_trun) /* the same samples again, right after */
		*offset2_at = build_trun(b, s, s->trun_flags & ~0x1u, s->count);
	end(b);
}

static void build_fragment_into(struct buf *b, const struct fspec *s)
{
	size_t moof = b->n, offset_at = 0, offset2_at = 0, data = trun_data(s);

	(void)offset2_at;
	box(b, "moof");
	if (!s->no_mfhd) {
		fullbox(b, "mfhd", 0, 0);
		u32(b, s->seq);
		end(b);
	}
	build_traf(b, s, &offset_at, &offset2_at);
	if (s->two_traf)
		build_traf(b, s, &(size_t){ 0 }, &(size_t){ 0 });
	end(b);
	if (s->after_moof)
		leaf(b, s->after_moof, 0);
	if (offset_at)
		put32_at(b, offset_at, (uint32_t)((int64_t)(b->n - moof) + 8 + s->offset_adjust));
	if (s->no_mdat)
		return;
	box(b, "mdat");
	zeros(b, data * (s->second_trun ? 2 : 1) + s->mdat_extra);
	end(b);
}

static void build_fragment(struct buf *b, const struct fspec *s)
{
	memset(b, 0, sizeof *b);
	build_fragment_into(b, s);
}

/* --- helpers --------------------------------------------------------------------- */

static char err[256];

static bool inspect(const struct buf *b, const struct fmp4_init *init, struct fmp4_info *info)
{
	uint8_t *p = malloc(b->n ? b->n : 1);
	bool ok;

	memcpy(p, b->d, b->n);
	ok = fmp4_inspect(p, b->n, init, NULL, info, err, sizeof err);
	free(p);
	return ok;
}

static void refused(const struct buf *b, const struct fmp4_init *init, const char *why)
{
	struct fmp4_info info;

	if (inspect(b, init, &info))
		fail_msg("accepted, expected a refusal with '%s'", why);
	if (!strstr(err, why))
		fail_msg("refused with '%s', expected '%s'", err, why);
}

static void frag_refused(const struct fspec *s, const struct fmp4_init *init, const char *why)
{
	struct buf b;

	build_fragment(&b, s);
	refused(&b, init, why);
}

static void init_refused(const struct ispec *s, const char *why)
{
	struct buf b;

	build_init(&b, s);
	refused(&b, NULL, why);
}

static struct fmp4_init good_init(void)
{
	struct ispec s = ispec_default();
	struct buf b;
	struct fmp4_init init;

	build_init(&b, &s);
	assert_true(fmp4_inspect(b.d, b.n, NULL, &init, NULL, err, sizeof err));
	return init;
}

static bool key_of(const struct fspec *s, const struct fmp4_init *init)
{
	struct buf b;
	struct fmp4_info info;

	build_fragment(&b, s);
	if (!inspect(&b, init, &info))
		fail_msg("refused: %s", err);
	assert_int_equal(info.kind, FMP4_FRAGMENT);
	return info.key;
}

/* --- real streams ------------------------------------------------------------------ */

static void check_stream(const char *path, const char *codec, int width, int height,
			 const int *keys, int fragments, uint32_t samples)
{
	struct chunks c;
	struct fmp4_init init, again;
	struct fmp4_info info;
	uint64_t next_dt = 0;
	uint32_t total = 0;
	int k = 0;

	load(path, &c);
	assert_int_equal(c.n, fragments + 2); /* init, fragments, mfra */
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, &init, &info, err, sizeof err));
	assert_int_equal(info.kind, FMP4_INIT);
	assert_false(info.key);
	assert_int_equal(init.track_id, 1);
	assert_int_equal(init.timescale, 1500);
	assert_int_equal(init.width, width);
	assert_int_equal(init.height, height);
	assert_string_equal(init.codec, codec);
	for (int i = 1; i <= fragments; i++) {
		uint8_t *p = dup_chunk(&c, i);
		struct fmp4_info alone;

		if (!fmp4_inspect(p, c.len[i], &init, NULL, &info, err, sizeof err))
			fail_msg("fragment %d refused: %s", i, err);
		assert_int_equal(info.kind, FMP4_FRAGMENT);
		assert_int_equal(info.sequence, (uint32_t)i);
		assert_int_equal(info.fragments, 1);
		assert_int_equal(info.decode_time, next_dt); /* contiguous */
		assert_true(info.samples > 0 && info.duration == 100u * info.samples);
		if (info.key) {
			assert_true(k < 8);
			assert_int_equal(keys[k++], i);
		}
		/* without the init: the moofs carry their flags, the same verdict */
		assert_true(fmp4_inspect(p, c.len[i], NULL, NULL, &alone, err, sizeof err));
		assert_int_equal(alone.key, info.key);
		assert_int_equal(alone.duration, info.duration);
		next_dt += info.duration;
		total += info.samples;
		free(p);
	}
	assert_int_equal(keys[k], 0);
	assert_int_equal(total, samples);
	/* mp4mux's mfra at the end of the file is no live chunk */
	assert_false(fmp4_inspect(c.file + c.off[c.n - 1], c.len[c.n - 1], &init, NULL, &info, err,
				  sizeof err));
	assert_string_equal(
	    err, "byte 0: box 'mfra' is not part of a live chunk (ftyp moov, or [styp] moof mdat)");
	/* init_out NULL and info NULL are fine */
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, NULL, NULL, NULL, 0));
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, &again, NULL, NULL, 0));
	assert_memory_equal(&again, &init, sizeof init);
	free(c.file);
}

static void test_h264_stream(void **state)
{
	static const int keys[] = { 1, 5, 9, 0 };

	(void)state;
	check_stream("tests/fixtures/fmp4/h264.mp4", "avc1.640009", 160, 120, keys, 11, 30);
}

static void test_h265_stream(void **state)
{
	static const int keys[] = { 1, 4, 0 };

	(void)state;
	check_stream("tests/fixtures/fmp4/h265.mp4", "hvc1.1.6.L30.90", 160, 128, keys, 6, 20);
}

/* Every proper prefix of a real init and fragment is refused, without a read past it. */
static void test_every_prefix_refused(void **state)
{
	struct chunks c;
	struct fmp4_init init;

	(void)state;
	load("tests/fixtures/fmp4/h264.mp4", &c);
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, &init, NULL, err, sizeof err));
	for (int i = 0; i <= 4; i++) {
		uint8_t *p = dup_chunk(&c, i);

		for (size_t k = 0; k < c.len[i]; k++) {
			uint8_t *q = malloc(k ? k : 1);

			memcpy(q, p, k);
			if (fmp4_inspect(q, k, &init, NULL, NULL, err, sizeof err))
				fail_msg("chunk %d cut to %zu of %zu bytes accepted", i, k,
					 c.len[i]);
			assert_true(err[0] != '\0');
			free(q);
		}
		free(p);
	}
	free(c.file);
}

/* Several fragments in one chunk, with styp, sidx and prft before them. */
static void test_several_fragments(void **state)
{
	struct chunks c;
	struct fmp4_init init;
	struct fmp4_info info;
	struct buf b = { 0 };
	uint8_t *p;
	size_t n;

	(void)state;
	load("tests/fixtures/fmp4/h264.mp4", &c);
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, &init, NULL, err, sizeof err));
	/* fragments 2, 3, 4 of the file, as one chunk: not a key (2 is not) */
	n = c.len[2] + c.len[3] + c.len[4];
	assert_true(fmp4_inspect(c.file + c.off[2], n, &init, NULL, &info, err, sizeof err));
	assert_false(info.key);
	assert_int_equal(info.fragments, 3);
	assert_int_equal(info.sequence, 2);
	assert_int_equal(info.decode_time, 300);
	assert_int_equal(info.samples, 7);
	assert_int_equal(info.duration, 700);

	/* styp sidx prft, then fragments 5 and 6: a key */
	box(&b, "styp");
	fcc(&b, "msdh");
	u32(&b, 0);
	end(&b);
	leaf(&b, "sidx", 24);
	leaf(&b, "prft", 16);
	n = b.n + c.len[5] + c.len[6];
	p = malloc(n);
	memcpy(p, b.d, b.n);
	memcpy(p + b.n, c.file + c.off[5], c.len[5] + c.len[6]);
	/* the truns' data offsets are relative to their moof: still right */
	assert_true(fmp4_inspect(p, n, &init, NULL, &info, err, sizeof err));
	assert_true(info.key);
	assert_int_equal(info.fragments, 2);
	assert_int_equal(info.sequence, 5);
	assert_int_equal(info.decode_time, 1000);
	free(p);

	/* styp anywhere but first is refused */
	n = c.len[5] + b.n;
	p = malloc(n);
	memcpy(p, c.file + c.off[5], c.len[5]);
	memcpy(p + c.len[5], b.d, b.n);
	assert_false(fmp4_inspect(p, n, &init, NULL, &info, err, sizeof err));
	assert_non_null(strstr(err, "box 'styp' only starts a chunk"));
	free(p);

	/* an init and a fragment in one chunk */
	n = c.len[0] + c.len[1];
	assert_false(fmp4_inspect(c.file, n, NULL, NULL, &info, err, sizeof err));
	assert_string_equal(err, "byte 894: 4336 bytes after the init segment's 'moov'");
	free(c.file);
}

/* --- the key-frame rules ------------------------------------------------------------- */

static void test_key_first_sample_flags(void **state)
{
	struct fspec s = fspec_default();

	(void)state;
	/* trun 0x4 wins over the per-sample flags */
	s.trun_flags = 0x705;
	s.first_flags = SYNC;
	s.sflags[0] = NON_SYNC;
	assert_true(key_of(&s, NULL));
	s.first_flags = NON_SYNC;
	s.sflags[0] = SYNC;
	assert_false(key_of(&s, NULL));
	/* ... and over tfhd's and trex's defaults */
	s.tfhd_flags = 0x20;
	s.tfhd_sflags = SYNC;
	s.trun_flags = 0x305;
	s.first_flags = NON_SYNC;
	assert_false(key_of(&s, NULL));
	s.first_flags = 0;
	assert_true(key_of(&s, NULL));
}

static void test_key_per_sample_flags(void **state)
{
	struct fspec s = fspec_default();

	(void)state;
	assert_true(key_of(&s, NULL));
	s.sflags[0] = NON_SYNC;
	s.sflags[1] = SYNC; /* a key later in the fragment: not a key fragment */
	assert_false(key_of(&s, NULL));
	/* per-sample flags win over tfhd's default */
	s.tfhd_flags = 0x20;
	s.tfhd_sflags = SYNC;
	assert_false(key_of(&s, NULL));
}

static void test_key_tfhd_default(void **state)
{
	struct fspec s = fspec_default();
	struct fmp4_init init = good_init();

	(void)state;
	s.trun_flags = 0x301;
	s.tfhd_flags = 0x20;
	s.tfhd_sflags = NON_SYNC;
	init.trex_default_sample_flags = 0; /* trex says sync: tfhd wins */
	assert_false(key_of(&s, &init));
	s.tfhd_sflags = 0;
	init.trex_default_sample_flags = NON_SYNC;
	assert_true(key_of(&s, &init));
}

static void test_key_trex_default(void **state)
{
	struct fspec s = fspec_default();
	struct fmp4_init init = good_init();

	(void)state;
	s.trun_flags = 0x301;
	init.trex_default_sample_flags = NON_SYNC;
	assert_false(key_of(&s, &init));
	init.trex_default_sample_flags = 0x00010000; /* just the non-sync bit */
	assert_false(key_of(&s, &init));
	init.trex_default_sample_flags = SYNC;
	assert_true(key_of(&s, &init));
	/* without an init the trex defaults are 0: a sync sample */
	assert_true(key_of(&s, NULL));
}

static void test_key_depends_on(void **state)
{
	struct fspec s = fspec_default();

	(void)state;
	s.sflags[0] = 0; /* nothing said: sync */
	assert_true(key_of(&s, NULL));
	s.sflags[0] = 0x02000000; /* depends on nothing */
	assert_true(key_of(&s, NULL));
	s.sflags[0] = 0x01000000; /* sync bit clear but depends on others */
	assert_false(key_of(&s, NULL));
	s.sflags[0] = 0x02010000; /* an I picture marked non-sync (open GOP) */
	assert_false(key_of(&s, NULL));
	s.sflags[0] = 0x0000ffff; /* degradation priority, other bits: sync */
	assert_true(key_of(&s, NULL));
}

static void test_key_empty_first_trun(void **state)
{
	struct fspec s = fspec_default();
	struct buf b;
	struct fmp4_info info;

	(void)state;
	/* an empty trun whose first_sample_flags say non-sync does not decide */
	s.empty_first_trun = true;
	s.first_flags = NON_SYNC;
	assert_true(key_of(&s, NULL));
	/* a second trun: samples and durations add up, its data follows the first's */
	s.second_trun = true;
	build_fragment(&b, &s);
	assert_true(inspect(&b, NULL, &info));
	assert_int_equal(info.samples, 6);
	assert_int_equal(info.duration, 18000);
}

/* --- durations, sizes, times ------------------------------------------------------------ */

static void test_durations(void **state)
{
	struct fspec s = fspec_default();
	struct fmp4_init init = good_init();
	struct buf b;
	struct fmp4_info info;

	(void)state;
	s.dur[1] = 1;
	s.dur[2] = 4000000000u;
	build_fragment(&b, &s);
	assert_true(inspect(&b, &init, &info));
	assert_int_equal(info.duration, 3000 + 1 + 4000000000ull);
	assert_int_equal(info.samples, 3);
	assert_int_equal(info.decode_time, 9000);
	assert_int_equal(info.sequence, 7);
	assert_int_equal(info.fragments, 1);
	/* tfhd's default duration */
	s.trun_flags = 0x601;
	s.tfhd_flags = 0x8;
	s.tfhd_dur = 1500;
	build_fragment(&b, &s);
	assert_true(inspect(&b, &init, &info));
	assert_int_equal(info.duration, 4500);
	/* trex's */
	s.tfhd_flags = 0;
	init.trex_default_sample_duration = 3003;
	build_fragment(&b, &s);
	assert_true(inspect(&b, &init, &info));
	assert_int_equal(info.duration, 9009);
	/* no init: 0 */
	assert_true(inspect(&b, NULL, &info));
	assert_int_equal(info.duration, 0);
}

static void test_sizes_from_defaults(void **state)
{
	struct fspec s = fspec_default();
	struct fmp4_init init = good_init();
	struct buf b;
	struct fmp4_info info;

	(void)state;
	/* tfhd's default size: 3 × 50 bytes, the mdat holds them */
	s.trun_flags = 0x501;
	s.tfhd_flags = 0x10;
	s.tfhd_size = 50;
	build_fragment(&b, &s);
	assert_true(inspect(&b, &init, &info));
	/* trex's default size, larger than the mdat */
	s.tfhd_flags = 0;
	s.mdat_extra = 30;
	init.trex_default_sample_size = 10;
	build_fragment(&b, &s);
	assert_true(inspect(&b, &init, &info)); /* 30 bytes in 30 */
	init.trex_default_sample_size = 11;
	refused(&b, &init, "outside its 'mdat'");
}

static void test_tfdt_versions(void **state)
{
	struct fspec s = fspec_default();
	struct buf b;
	struct fmp4_info info;

	(void)state;
	s.tfdt_v = 1;
	s.tfdt = 0x123456789abcull;
	build_fragment(&b, &s);
	assert_true(inspect(&b, NULL, &info));
	assert_int_equal(info.decode_time, 0x123456789abcull);
	s.tfdt_v = 0;
	s.tfdt = 0xfffffffful;
	build_fragment(&b, &s);
	assert_true(inspect(&b, NULL, &info));
	assert_int_equal(info.decode_time, 0xfffffffful);
}

/* --- box sizes ----------------------------------------------------------------------------- */

static void test_large_and_open_sizes(void **state)
{
	struct fspec s = fspec_default();
	struct buf b;
	struct fmp4_info info;
	size_t mdat;

	(void)state;
	build_fragment(&b, &s);
	mdat = b.n - (8 + 30);
	assert_int_equal(be32(b.d + mdat + 4), be32((const uint8_t *)"mdat"));

	/* the mdat with a 64-bit size: 8 more header bytes, the data offset moves too */
	{
		struct buf l;
		size_t moof_len = mdat;

		memcpy(&l, &b, sizeof l);
		memcpy(l.d + mdat + 16, b.d + mdat + 8, 30);
		put32_at(&l, mdat, 1);
		put32_at(&l, mdat + 8, 0);
		put32_at(&l, mdat + 12, 16 + 30);
		l.n = b.n + 8;
		/* data offset: moof + 16 */
		for (size_t i = 0; i + 4 < moof_len; i++) {
			if (be32(l.d + i + 4) == be32((const uint8_t *)"trun")) {
				put32_at(&l, i + 16, (uint32_t)moof_len + 16);
				break;
			}
		}
		assert_true(inspect(&l, NULL, &info));
		assert_int_equal(info.samples, 3);
		/* a largesize smaller than its header */
		put32_at(&l, mdat + 12, 15);
		refused(&l, NULL, "size 15, smaller than its header (16)");
		/* larger than what is left */
		put32_at(&l, mdat + 12, 16 + 31);
		refused(&l, NULL, "box 'mdat': size 47, only 46 bytes left in the chunk");
		put32_at(&l, mdat + 8, 1); /* 2^32 + 46 */
		put32_at(&l, mdat + 12, 46);
		refused(&l, NULL, "size 4294967342, only 46 bytes left");
		/* cut inside the 64-bit size */
		l.n = mdat + 12;
		refused(&l, NULL, "its 64-bit size is cut off");
	}
	/* an mdat of size 0: to the end of the chunk */
	put32_at(&b, mdat, 0);
	assert_true(inspect(&b, NULL, &info));
	/* size 0 inside a box is refused */
	build_fragment(&b, &s);
	put32_at(&b, 8, 0); /* mfhd */
	refused(&b, NULL, "byte 8: box 'mfhd': size 0 (to the end of the file) inside another box");
	/* sizes 2..7 */
	build_fragment(&b, &s);
	put32_at(&b, mdat, 7);
	refused(&b, NULL, "size 7, smaller than its header (8)");
	/* a child larger than its parent */
	build_fragment(&b, &s);
	put32_at(&b, 8, 200);
	refused(&b, NULL, "byte 8: box 'mfhd': size 200, only");
	/* a non-printable type is shown in hex */
	build_fragment(&b, &s);
	put32_at(&b, 4, 0x00010203);
	refused(&b, NULL, "byte 0: box 0x00010203 is not part of a live chunk");
}

static void test_trailing_bytes(void **state)
{
	struct fspec s = fspec_default();
	struct buf b;

	(void)state;
	build_fragment(&b, &s);
	zeros(&b, 3);
	refused(&b, NULL, "3 bytes left, too few for a box header");
	build_fragment(&b, &s);
	leaf(&b, "free", 0);
	refused(&b, NULL, "box 'free' is not part of a live chunk");
	{
		struct ispec i = ispec_default();

		build_init(&b, &i);
		leaf(&b, "free", 4);
		refused(&b, NULL, "12 bytes after the init segment's 'moov'");
	}
}

/* --- refusals: the top level ----------------------------------------------------------------- */

static void test_top_level_refusals(void **state)
{
	struct fspec s = fspec_default();
	struct buf b = { 0 };
	uint8_t *big;

	(void)state;
	refused(&b, NULL, "byte 0: an empty chunk");
	leaf(&b, "mdat", 10);
	refused(&b, NULL, "byte 0: box 'mdat' without a 'moof' before it");
	s.no_mdat = true;
	frag_refused(&s, NULL, "box 'moof' has no 'mdat' after it");
	s.no_mdat = false;
	s.after_moof = "free";
	frag_refused(&s, NULL, "box 'free' after a 'moof', 'mdat' expected");
	s = fspec_default();
	build_fragment(&b, &s);
	build_fragment_into(&b, &s);
	leaf(&b, "mdat", 0);
	refused(&b, NULL, "box 'mdat' without a 'moof' before it");
	memset(&b, 0, sizeof b);
	leaf(&b, "styp", 8);
	refused(&b, NULL, "no 'moof' in the chunk");
	memset(&b, 0, sizeof b);
	leaf(&b, "moov", 8);
	refused(&b, NULL, "byte 0: box 'moov' without 'ftyp' before it");
	memset(&b, 0, sizeof b);
	leaf(&b, "ftyp", 8);
	refused(&b, NULL, "byte 16: box 'ftyp' without a 'moov' after it");
	leaf(&b, "free", 8);
	refused(&b, NULL, "byte 16: box 'free' after 'ftyp', 'moov' expected");
	memset(&b, 0, sizeof b);
	leaf(&b, "ftyp", 4);
	leaf(&b, "moov", 0);
	refused(&b, NULL, "byte 0: box 'ftyp' is too short (4 bytes) for its brands");
	/* an init segment after a fragment */
	build_fragment(&b, &s);
	leaf(&b, "moov", 0);
	refused(&b, NULL, "an init segment comes alone, 'ftyp' first");
	/* over the limit, before anything is read */
	big = calloc(1, FMP4_CHUNK_MAX + 1);
	assert_non_null(big);
	assert_false(fmp4_inspect(big, FMP4_CHUNK_MAX + 1, NULL, NULL, NULL, err, sizeof err));
	assert_string_equal(err, "byte 0: a chunk of 16777217 bytes, more than 16777216");
	free(big);
	/* a NULL pointer is an empty chunk */
	assert_false(fmp4_inspect(NULL, 0, NULL, NULL, NULL, err, sizeof err));
}

/* --- refusals: fragments ------------------------------------------------------------------------
 */

static void test_fragment_refusals(void **state)
{
	struct fspec s;
	struct fmp4_init init = good_init();

	(void)state;
	s = fspec_default();
	s.no_mfhd = true;
	frag_refused(&s, NULL, "byte 0: box 'moof' has no 'mfhd'");
	s = fspec_default();
	s.two_traf = true;
	frag_refused(&s, NULL, "a second box 'traf' in 'moof'");
	s = fspec_default();
	s.no_tfhd = true;
	frag_refused(&s, NULL, "box 'traf' has no 'tfhd'");
	s = fspec_default();
	s.no_tfdt = true;
	frag_refused(&s, NULL, "box 'traf' has no 'tfdt'");
	s = fspec_default();
	s.no_trun = true;
	frag_refused(&s, NULL, "box 'traf' has no 'trun'");
	s = fspec_default();
	s.track = 2;
	frag_refused(&s, &init, "box 'tfhd' is for track 2, the stream's track is 1");
}

static void test_fragment_field_refusals(void **state)
{
	struct fspec s;
	struct buf b;
	size_t trun = 0;

	(void)state;
	s = fspec_default();
	s.tfhd_flags = 0x1;
	frag_refused(&s, NULL, "box 'tfhd' gives an absolute base data offset");
	/* the trun's count larger than its table: the message of the brief */
	s = fspec_default();
	build_fragment(&b, &s);
	for (size_t i = 0; i + 8 < b.n; i++) {
		if (be32(b.d + i + 4) == be32((const uint8_t *)"trun")) {
			trun = i;
			break;
		}
	}
	assert_true(trun > 0);
	put32_at(&b, trun + 12, 9000);
	{
		char want[128];

		snprintf(want, sizeof want,
			 "byte %zu: box 'trun' says 9000 samples, only 36 bytes left", trun);
		refused(&b, NULL, want);
	}
	/* over the samples limit, with no table at all */
	s = fspec_default();
	s.trun_flags = 0x1;
	s.count = FMP4_SAMPLES_MAX + 1;
	frag_refused(&s, NULL, "box 'trun' says 65537 samples, more than 65536 in a chunk");
	s.count = FMP4_SAMPLES_MAX; /* at the limit: fine (no sizes: nothing in the mdat) */
	build_fragment(&b, &s);
	{
		struct fmp4_info info;

		assert_true(inspect(&b, NULL, &info));
		assert_int_equal(info.samples, FMP4_SAMPLES_MAX);
	}
	/* data outside the mdat */
	s = fspec_default();
	s.offset_adjust = -8; /* points at the mdat's header */
	frag_refused(&s, NULL, "outside its 'mdat'");
	s.offset_adjust = 1; /* its last sample's end past the chunk */
	frag_refused(&s, NULL, "outside its 'mdat'");
	s.mdat_extra = 1; /* the same, with a byte more: inside again */
	build_fragment(&b, &s);
	assert_true(inspect(&b, NULL, NULL));
	s.offset_adjust = -1000;
	frag_refused(&s, NULL, "byte 0: the samples of box 'moof' lie at bytes -");
	s.offset_adjust = 100000;
	frag_refused(&s, NULL, "outside its 'mdat'");
	/* no data offset: the data would start at the moof */
	s = fspec_default();
	s.trun_flags = 0x700;
	frag_refused(&s, NULL, "outside its 'mdat'");
	/* fields cut short */
	s = fspec_default();
	s.tfhd_flags = 0x38; /* says three defaults follow; give none */
	build_fragment(&b, &s);
	for (size_t i = 0; i + 8 < b.n; i++) {
		if (be32(b.d + i + 4) == be32((const uint8_t *)"tfhd")) {
			put32_at(&b, i, 16); /* only version, flags and track */
			memmove(b.d + i + 16, b.d + i + 28, b.n - (i + 28));
			b.n -= 12;
			put32_at(&b, 0, be32(b.d) - 12);       /* moof */
			put32_at(&b, 24, be32(b.d + 24) - 12); /* traf */
			break;
		}
	}
	refused(&b, NULL, "box 'tfhd' is too short: 4 more bytes needed, 0 left");
}

/* --- refusals: init segments
 * ------------------------------------------------------------------------ */

static void test_init_variants(void **state)
{
	struct ispec s = ispec_default();
	struct buf b;
	struct fmp4_init init;

	(void)state;
	s.tkhd_v = 1;
	s.mdhd_v = 1;
	s.track = s.trex_track = 3;
	s.timescale = 15360;
	s.trex_dur = 512;
	s.trex_size = 1000;
	s.trex_flags = NON_SYNC;
	s.entry = "avc3";
	build_init(&b, &s);
	assert_true(fmp4_inspect(b.d, b.n, NULL, &init, NULL, err, sizeof err));
	assert_int_equal(init.track_id, 3);
	assert_int_equal(init.timescale, 15360);
	assert_int_equal(init.width, 640);
	assert_int_equal(init.height, 360);
	assert_int_equal(init.trex_default_sample_duration, 512);
	assert_int_equal(init.trex_default_sample_size, 1000);
	assert_int_equal(init.trex_default_sample_flags, NON_SYNC);
	assert_string_equal(init.codec, "avc3.64001f");

	s = ispec_default();
	s.entry = "hev1";
	build_init(&b, &s);
	assert_true(fmp4_inspect(b.d, b.n, NULL, &init, NULL, err, sizeof err));
	assert_string_equal(init.codec, "hev1.1.6.L93.90");
	/* profile space A, high tier, profile 2; constraint bytes with a zero inside */
	s.entry = "hvc1";
	s.hvcc_ptl = 0x40 | 0x20 | 2;
	memcpy(s.constraint, (uint8_t[6]){ 0xb0, 0, 0x1, 0, 0, 0 }, 6);
	build_init(&b, &s);
	assert_true(fmp4_inspect(b.d, b.n, NULL, &init, NULL, err, sizeof err));
	assert_string_equal(init.codec, "hvc1.A2.6.H93.B0.0.1");
	/* no constraint bits at all */
	memset(s.constraint, 0, 6);
	s.hvcc_ptl = 1;
	build_init(&b, &s);
	assert_true(fmp4_inspect(b.d, b.n, NULL, &init, NULL, err, sizeof err));
	assert_string_equal(init.codec, "hvc1.1.6.L93");
}

static void test_init_refusals(void **state)
{
	struct ispec s;

	(void)state;
	s = ispec_default();
	s.traks = 2;
	init_refused(&s, "a second track: a live stream has one (video)");
	s = ispec_default();
	s.traks = 0;
	init_refused(&s, "box 'moov' has no 'trak'");
	s = ispec_default();
	s.no_mvex = true;
	init_refused(&s, "box 'moov' has no 'mvex': not a fragmented stream");
	s = ispec_default();
	s.no_trex = true;
	init_refused(&s, "box 'mvex' has no 'trex' for track 1");
	s = ispec_default();
	s.trex_track = 2;
	init_refused(&s, "box 'trex' is for track 2, the only track is 1");
	s = ispec_default();
	s.two_trex = true;
	init_refused(&s, "a second box 'trex' for track 1");
	s = ispec_default();
	s.handler = "soun";
	init_refused(&s, "the track's handler is 'soun', not 'vide'");
	s = ispec_default();
	s.entry = "mp4v";
	init_refused(
	    &s, "sample entry 'mp4v' is not a video codec browsers play (avc1, avc3, hvc1, hev1)");
	s = ispec_default();
	s.stsd_count = 2;
	init_refused(&s, "box 'stsd' has 2 sample entries, one expected");
	s = ispec_default();
	s.no_cfg = true;
	init_refused(&s, "sample entry 'avc1' has no 'avcC'");
	s.entry = "hvc1";
	init_refused(&s, "sample entry 'hvc1' has no 'hvcC'");
	s = ispec_default();
	s.cfg_version = 2;
	init_refused(&s, "box 'avcC' has configuration version 2, not 1");
	s.entry = "hvc1";
	init_refused(&s, "box 'hvcC' has configuration version 2, not 1");
	s = ispec_default();
	s.cfg_len = 3;
	init_refused(&s, "box 'avcC' is too short (3 bytes) for the profile and level");
	s.entry = "hvc1";
	s.cfg_len = 12;
	init_refused(&s, "box 'hvcC' is too short (12 bytes) for the profile and level");
	s = ispec_default();
	s.timescale = 0;
	init_refused(&s, "box 'mdhd' has timescale 0");
	s = ispec_default();
	s.track = 0;
	init_refused(&s, "box 'tkhd' has track id 0");
}

static void test_init_cut_entry(void **state)
{
	struct ispec s = ispec_default();
	struct buf b;

	(void)state;
	/* a sample entry too short for a VisualSampleEntry: cut its payload to 40 bytes */
	s.no_cfg = true;
	build_init(&b, &s);
	for (size_t i = 0; i + 8 < b.n; i++) {
		if (be32(b.d + i + 4) == be32((const uint8_t *)"avc1")) {
			put32_at(&b, i, 48);
			break;
		}
	}
	refused(&b, NULL, "sample entry 'avc1' is too short (40 bytes, 78 needed)");
}

/* A box inside traf with an extended type (uuid) is skipped; at the top level refused. */
static void test_uuid_and_cts(void **state)
{
	struct fspec s = fspec_default();
	struct buf b = { 0 };
	struct fmp4_info info;

	(void)state;
	/* composition offsets in the table: read past, durations still right */
	s.trun_flags = 0xf01;
	build_fragment(&b, &s);
	assert_true(inspect(&b, NULL, &info));
	assert_int_equal(info.duration, 9000);
	assert_true(info.key);

	memset(&b, 0, sizeof b);
	leaf(&b, "uuid", 20);
	refused(&b, NULL, "byte 0: box 'uuid' is not part of a live chunk");
	memset(&b, 0, sizeof b);
	leaf(&b, "uuid", 15);
	refused(&b, NULL, "byte 0: box 'uuid': size 23, smaller than its header (24)");
	/* in a traf: a uuid box of 16 + 8 bytes after tfdt, then the rest */
	s = fspec_default();
	build_fragment(&b, &s);
	for (size_t i = 0; i + 8 < b.n; i++) {
		if (be32(b.d + i + 4) == be32((const uint8_t *)"sdtp")) {
			memcpy(b.d + i + 4, "uuid", 4); /* sdtp had 4 bytes: too few for the uuid */
			refused(&b, NULL, "box 'uuid': size 12, smaller than its header (24)");
			break;
		}
	}
}

/* Every box of a real init and fragment cut short (its parents' sizes fixed up):
 * never a read outside the chunk, always a clean verdict. */
struct cut_ctx {
	const uint8_t *p;
	size_t n;
	const struct fmp4_init *init;
	int refused, accepted;
};

static bool is_container(uint32_t t)
{
	static const char *const c[] = { "moov", "trak", "mdia", "minf",
					 "stbl", "mvex", "moof", "traf" };

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		if (t == be32((const uint8_t *)c[i]))
			return true;
	}
	return false;
}

static void cut_box(struct cut_ctx *x, const size_t *parents, int depth, size_t start, size_t len)
{
	for (size_t keep = 8; keep < len; keep++) {
		size_t gone = len - keep, n = x->n - gone;
		uint8_t *q = malloc(n);
		struct fmp4_init out;

		memcpy(q, x->p, start + keep);
		memcpy(q + start + keep, x->p + start + len, x->n - start - len);
		for (int d = 0; d < depth; d++) {
			uint32_t sz = be32(q + parents[d]) - (uint32_t)gone;

			q[parents[d]] = (uint8_t)(sz >> 24);
			q[parents[d] + 1] = (uint8_t)(sz >> 16);
			q[parents[d] + 2] = (uint8_t)(sz >> 8);
			q[parents[d] + 3] = (uint8_t)sz;
		}
		q[start] = (uint8_t)(keep >> 24);
		q[start + 1] = (uint8_t)(keep >> 16);
		q[start + 2] = (uint8_t)(keep >> 8);
		q[start + 3] = (uint8_t)keep;
		if (fmp4_inspect(q, n, x->init, &out, NULL, err, sizeof err)) {
			x->accepted++;
		} else {
			assert_memory_equal(err, "byte ", 5);
			x->refused++;
		}
		free(q);
	}
}

static void cut_walk(struct cut_ctx *x, size_t *parents, int depth, size_t from, size_t to)
{
	for (size_t pos = from; pos + 8 <= to;) {
		size_t len = be32(x->p + pos);
		uint32_t t = be32(x->p + pos + 4);

		assert_true(len >= 8 && pos + len <= to);
		cut_box(x, parents, depth, pos, len);
		if (is_container(t)) {
			parents[depth] = pos;
			cut_walk(x, parents, depth + 1, pos + 8, pos + len);
		}
		pos += len;
	}
}

static void test_every_box_cut(void **state)
{
	struct chunks c;
	struct fmp4_init init;
	size_t parents[16];

	(void)state;
	load("tests/fixtures/fmp4/h264.mp4", &c);
	assert_true(fmp4_inspect(c.file, c.len[0], NULL, &init, NULL, err, sizeof err));
	for (int i = 0; i <= 4; i++) {
		struct cut_ctx x = { c.file + c.off[i], c.len[i], i ? &init : NULL, 0, 0 };

		cut_walk(&x, parents, 0, 0, x.n);
		assert_true(x.refused > 0);
	}
	free(c.file);
}

/* err NULL or tiny: no crash, the message is cut */
static void test_small_err(void **state)
{
	char small[12];
	uint8_t junk[8] = { 0, 0, 0, 8, 'm', 'd', 'a', 't' };

	(void)state;
	assert_false(fmp4_inspect(junk, sizeof junk, NULL, NULL, NULL, NULL, 100));
	assert_false(fmp4_inspect(junk, sizeof junk, NULL, NULL, NULL, small, 0));
	assert_false(fmp4_inspect(junk, sizeof junk, NULL, NULL, NULL, small, 5));
	assert_string_equal(small, "byte");
	assert_false(fmp4_inspect(junk, sizeof junk, NULL, NULL, NULL, small, sizeof small));
	assert_string_equal(small, "byte 0: box");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h264_stream),
		cmocka_unit_test(test_h265_stream),
		cmocka_unit_test(test_every_prefix_refused),
		cmocka_unit_test(test_several_fragments),
		cmocka_unit_test(test_key_first_sample_flags),
		cmocka_unit_test(test_key_per_sample_flags),
		cmocka_unit_test(test_key_tfhd_default),
		cmocka_unit_test(test_key_trex_default),
		cmocka_unit_test(test_key_depends_on),
		cmocka_unit_test(test_key_empty_first_trun),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes_from_defaults),
		cmocka_unit_test(test_tfdt_versions),
		cmocka_unit_test(test_large_and_open_sizes),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_top_level_refusals),
		cmocka_unit_test(test_fragment_refusals),
		cmocka_unit_test(test_fragment_field_refusals),
		cmocka_unit_test(test_init_variants),
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_init_cut_entry),
		cmocka_unit_test(test_uuid_and_cts),
		cmocka_unit_test(test_every_box_cut),
		cmocka_unit_test(test_small_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
