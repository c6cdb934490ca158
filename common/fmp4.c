/*
 * fmp4.c — inspect one chunk of a live fragmented MP4 stream (see fmp4.h).
 *
 * Box walking: a box is read only inside its parent's bounds (the chunk for
 * the top level); a size of 1 means a 64-bit size follows, a size of 0 "to
 * the end" is allowed at the top level only (ISO/IEC 14496-12 4.2: the last
 * box of a file). Only the boxes on the paths that matter are entered; the
 * others are skipped by their size.
 *
 * Key fragments: the first sample's flags are the trun's first_sample_flags
 * (trun flag 0x4), else its per-sample flags (0x400), else tfhd's
 * default_sample_flags (tfhd flag 0x20), else trex's. The sample is a key
 * when sample_is_non_sync_sample (0x10000) is clear and sample_depends_on is
 * not 1 ("depends on others": no decoder starts there). A sample marked
 * non-sync is never a key even with sample_depends_on 2 (an I picture of an
 * open GOP): Chromium's MSE takes exactly the non-sync bit as the random
 * access point, and a viewer must start where the browser can.
 *
 * Refused on purpose, though ISO allows them: a fragment without tfdt (a
 * viewer joining mid-stream could not place it in time), more than one traf
 * in a moof, a tfhd with an absolute base-data-offset (meaningless outside a
 * file), sample data that does not lie inside the mdat that follows the moof.
 */
#include "fmp4.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FOURCC(a, b, c, d)                                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* trun flags */
#define TRUN_DATA_OFFSET 0x1
#define TRUN_FIRST_FLAGS 0x4
#define TRUN_DURATION	 0x100
#define TRUN_SIZE	 0x200
#define TRUN_FLAGS	 0x400
#define TRUN_CTS	 0x800
/* tfhd flags */
#define TFHD_BASE_OFFSET 0x1
#define TFHD_DESC_INDEX	 0x2
#define TFHD_DURATION	 0x8
#define TFHD_SIZE	 0x10
#define TFHD_FLAGS	 0x20
/* sample flags */
#define SAMPLE_NON_SYNC	     0x10000
#define SAMPLE_DEPENDS_ON(f) (((f) >> 24) & 0x3)

struct ctx {
	const uint8_t *p;
	size_t n;
	char *err;
	size_t errlen;
};

struct box {
	uint32_t type;
	size_t start; /* the header's first byte */
	size_t body;  /* the payload's first byte */
	size_t end;   /* one past the last byte */
};

/* A cursor over the fields of one box. */
struct rd {
	struct ctx *c;
	const struct box *b;
	size_t pos;
};

static bool fail(struct ctx *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct ctx *c, size_t at, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!c->err || c->errlen == 0)
		return false;
	k = snprintf(c->err, c->errlen, "byte %zu: ", at);
	if (k < 0 || (size_t)k >= c->errlen)
		return false;
	va_start(ap, fmt);
	vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	return false;
}

/* A box type as an operator reads it: 'moof', or 0x00ff0001 when not printable. */
static const char *fourcc(uint32_t t, char buf[16])
{
	char s[4] = { (char)(t >> 24), (char)(t >> 16), (char)(t >> 8), (char)t };

	for (int i = 0; i < 4; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			snprintf(buf, 16, "0x%08x", (unsigned)t);
			return buf;
		}
	}
	snprintf(buf, 16, "'%.4s'", s);
	return buf;
}

#define FCC(t) fourcc((t), (char[16]){ 0 })

static uint32_t be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

static uint64_t be64(const uint8_t *q)
{
	return (uint64_t)be32(q) << 32 | be32(q + 4);
}

/* The box at pos of a parent ending at end; top: the chunk itself is the parent. */
static bool box_at(struct ctx *c, size_t pos, size_t end, bool top, struct box *b)
{
	size_t left = end - pos;
	uint64_t size;
	size_t hdr = 8;

	if (left < 8)
		return fail(c, pos, "%zu bytes left, too few for a box header", left);
	size = be32(c->p + pos);
	b->type = be32(c->p + pos + 4);
	if (size == 1) {
		if (left < 16)
			return fail(c, pos, "box %s: its 64-bit size is cut off", FCC(b->type));
		size = be64(c->p + pos + 8);
		hdr = 16;
	} else if (size == 0) {
		if (!top)
			return fail(c, pos,
				    "box %s: size 0 (to the end of the file) inside another box",
				    FCC(b->type));
		size = left;
	}
	if (b->type == FOURCC('u', 'u', 'i', 'd'))
		hdr += 16; /* the extended type */
	if (size < hdr)
		return fail(c, pos, "box %s: size %llu, smaller than its header (%zu)",
			    FCC(b->type), (unsigned long long)size, hdr);
	if (size > left)
		return fail(c, pos, "box %s: size %llu, only %zu bytes left%s", FCC(b->type),
			    (unsigned long long)size, left,
			    top ? " in the chunk" : " in its parent");
	b->start = pos;
	b->body = pos + hdr;
	b->end = pos + (size_t)size;
	return true;
}

static void rd_init(struct rd *r, struct ctx *c, const struct box *b)
{
	r->c = c;
	r->b = b;
	r->pos = b->body;
}

static bool rd_need(struct rd *r, size_t k)
{
	size_t left = r->b->end - r->pos;

	if (left >= k)
		return true;
	return fail(r->c, r->pos, "box %s is too short: %zu more bytes needed, %zu left",
		    FCC(r->b->type), k, left);
}

static bool rd_skip(struct rd *r, size_t k)
{
	if (!rd_need(r, k))
		return false;
	r->pos += k;
	return true;
}

static bool rd_u32(struct rd *r, uint32_t *v)
{
	if (!rd_need(r, 4))
		return false;
	*v = be32(r->c->p + r->pos);
	r->pos += 4;
	return true;
}

static bool rd_u64(struct rd *r, uint64_t *v)
{
	if (!rd_need(r, 8))
		return false;
	*v = be64(r->c->p + r->pos);
	r->pos += 8;
	return true;
}

/* version and flags of a full box */
static bool rd_full(struct rd *r, uint8_t *version, uint32_t *flags)
{
	uint32_t vf;

	if (!rd_u32(r, &vf))
		return false;
	*version = (uint8_t)(vf >> 24);
	*flags = vf & 0xffffff;
	return true;
}

/* The only child of type t in parent's children from pos: *found false when none. */
static bool find_child(struct ctx *c, const struct box *parent, size_t pos, uint32_t t,
		       struct box *out, bool *found)
{
	struct box ch;

	*found = false;
	for (; pos < parent->end; pos = ch.end) {
		if (!box_at(c, pos, parent->end, false, &ch))
			return false;
		if (ch.type != t)
			continue;
		if (*found)
			return fail(c, ch.start, "a second box %s in %s", FCC(t),
				    FCC(parent->type));
		*out = ch;
		*found = true;
	}
	return true;
}

static bool need_child(struct ctx *c, const struct box *parent, uint32_t t, struct box *out)
{
	bool found;

	if (!find_child(c, parent, parent->body, t, out, &found))
		return false;
	if (!found)
		return fail(c, parent->start, "box %s has no %s", FCC(parent->type), FCC(t));
	return true;
}

/* --- init segment ------------------------------------------------------------- */

static bool parse_avcc(struct ctx *c, uint32_t entry, const struct box *b, struct fmp4_init *out)
{
	const uint8_t *q = c->p + b->body;

	if (b->end - b->body < 4)
		return fail(c, b->start,
			    "box 'avcC' is too short (%zu bytes) for the profile and level",
			    b->end - b->body);
	if (q[0] != 1)
		return fail(c, b->start, "box 'avcC' has configuration version %u, not 1", q[0]);
	/* the sample entry's type, avc1 or avc3, then profile, compatibility, level */
	snprintf(out->codec, sizeof out->codec, "%c%c%c%c.%02x%02x%02x", (char)(entry >> 24),
		 (char)(entry >> 16), (char)(entry >> 8), (char)entry, q[1], q[2], q[3]);
	return true;
}

/* ISO/IEC 14496-15 annex E: hvc1.[A-C]?PROFILE.COMPAT.(L|H)LEVEL(.CONSTRAINT)* */
static bool parse_hvcc(struct ctx *c, uint32_t entry, const struct box *b, struct fmp4_init *out)
{
	const uint8_t *q = c->p + b->body;
	uint32_t compat, reversed = 0;
	int k, last;
	size_t len = sizeof out->codec;
	char *s = out->codec;

	if (b->end - b->body < 13)
		return fail(c, b->start,
			    "box 'hvcC' is too short (%zu bytes) for the profile and level",
			    b->end - b->body);
	if (q[0] != 1)
		return fail(c, b->start, "box 'hvcC' has configuration version %u, not 1", q[0]);
	compat = be32(q + 2);
	for (int i = 0; i < 32; i++)
		reversed |= ((compat >> i) & 1u) << (31 - i);
	k = snprintf(s, len, "%c%c%c%c.%s%u.%x.%c%u", (char)(entry >> 24), (char)(entry >> 16),
		     (char)(entry >> 8), (char)entry,
		     (const char *[]){ "", "A", "B", "C" }[q[1] >> 6], q[1] & 0x1f,
		     (unsigned)reversed, (q[1] & 0x20) ? 'H' : 'L', q[12]);
	/* the six constraint bytes, trailing zero bytes left out */
	for (last = 5; last >= 0 && q[6 + last] == 0; last--)
		;
	for (int i = 0; i <= last && k > 0 && (size_t)k < len; i++)
		k += snprintf(s + k, len - (size_t)k, ".%X", q[6 + i]);
	return true;
}

static bool parse_stsd(struct ctx *c, const struct box *stsd, struct fmp4_init *out)
{
	struct rd r;
	uint8_t version;
	uint32_t flags, count;
	struct box entry, cfg;
	uint32_t want;

	rd_init(&r, c, stsd);
	if (!rd_full(&r, &version, &flags) || !rd_u32(&r, &count))
		return false;
	if (count != 1)
		return fail(c, stsd->start, "box 'stsd' has %u sample entries, one expected",
			    count);
	if (!box_at(c, r.pos, stsd->end, false, &entry))
		return false;
	switch (entry.type) {
	case FOURCC('a', 'v', 'c', '1'):
	case FOURCC('a', 'v', 'c', '3'):
		want = FOURCC('a', 'v', 'c', 'C');
		break;
	case FOURCC('h', 'v', 'c', '1'):
	case FOURCC('h', 'e', 'v', '1'):
		want = FOURCC('h', 'v', 'c', 'C');
		break;
	default:
		return fail(
		    c, entry.start,
		    "sample entry %s is not a video codec browsers play (avc1, avc3, hvc1, hev1)",
		    FCC(entry.type));
	}
	/* VisualSampleEntry: 8 bytes of SampleEntry, 16 reserved, width, height, … 78 in all */
	if (entry.end - entry.body < 78)
		return fail(c, entry.start, "sample entry %s is too short (%zu bytes, 78 needed)",
			    FCC(entry.type), entry.end - entry.body);
	out->width = (int)(be32(c->p + entry.body + 24) >> 16);
	out->height = (int)(be32(c->p + entry.body + 24) & 0xffff);
	{
		bool found;

		if (!find_child(c, &entry, entry.body + 78, want, &cfg, &found))
			return false;
		if (!found)
			return fail(c, entry.start, "sample entry %s has no %s", FCC(entry.type),
				    FCC(want));
	}
	if (want == FOURCC('a', 'v', 'c', 'C'))
		return parse_avcc(c, entry.type, &cfg, out);
	return parse_hvcc(c, entry.type, &cfg, out);
}

static bool parse_trak(struct ctx *c, const struct box *trak, struct fmp4_init *out)
{
	struct box tkhd, mdia, mdhd, hdlr, minf, stbl, stsd;
	struct rd r;
	uint8_t version;
	uint32_t flags, handler;

	if (!need_child(c, trak, FOURCC('t', 'k', 'h', 'd'), &tkhd))
		return false;
	rd_init(&r, c, &tkhd);
	if (!rd_full(&r, &version, &flags) || !rd_skip(&r, version == 1 ? 16 : 8) ||
	    !rd_u32(&r, &out->track_id))
		return false;
	if (out->track_id == 0)
		return fail(c, tkhd.start, "box 'tkhd' has track id 0");

	if (!need_child(c, trak, FOURCC('m', 'd', 'i', 'a'), &mdia) ||
	    !need_child(c, &mdia, FOURCC('m', 'd', 'h', 'd'), &mdhd))
		return false;
	rd_init(&r, c, &mdhd);
	if (!rd_full(&r, &version, &flags) || !rd_skip(&r, version == 1 ? 16 : 8) ||
	    !rd_u32(&r, &out->timescale))
		return false;
	if (out->timescale == 0)
		return fail(c, mdhd.start, "box 'mdhd' has timescale 0");

	if (!need_child(c, &mdia, FOURCC('h', 'd', 'l', 'r'), &hdlr))
		return false;
	rd_init(&r, c, &hdlr);
	if (!rd_full(&r, &version, &flags) || !rd_skip(&r, 4) || !rd_u32(&r, &handler))
		return false;
	if (handler != FOURCC('v', 'i', 'd', 'e'))
		return fail(c, hdlr.start, "the track's handler is %s, not 'vide'", FCC(handler));

	return need_child(c, &mdia, FOURCC('m', 'i', 'n', 'f'), &minf) &&
	       need_child(c, &minf, FOURCC('s', 't', 'b', 'l'), &stbl) &&
	       need_child(c, &stbl, FOURCC('s', 't', 's', 'd'), &stsd) && parse_stsd(c, &stsd, out);
}

/* The trex of track_id in mvex. */
static bool parse_mvex(struct ctx *c, const struct box *mvex, struct fmp4_init *out)
{
	struct box ch;
	bool found = false;

	for (size_t pos = mvex->body; pos < mvex->end; pos = ch.end) {
		struct rd r;
		uint8_t version;
		uint32_t flags, track, index;

		if (!box_at(c, pos, mvex->end, false, &ch))
			return false;
		if (ch.type != FOURCC('t', 'r', 'e', 'x'))
			continue;
		rd_init(&r, c, &ch);
		if (!rd_full(&r, &version, &flags) || !rd_u32(&r, &track))
			return false;
		if (track != out->track_id)
			return fail(c, ch.start, "box 'trex' is for track %u, the only track is %u",
				    track, out->track_id);
		if (found)
			return fail(c, ch.start, "a second box 'trex' for track %u", track);
		found = true;
		if (!rd_u32(&r, &index) || !rd_u32(&r, &out->trex_default_sample_duration) ||
		    !rd_u32(&r, &out->trex_default_sample_size) ||
		    !rd_u32(&r, &out->trex_default_sample_flags))
			return false;
	}
	if (!found)
		return fail(c, mvex->start, "box 'mvex' has no 'trex' for track %u", out->track_id);
	return true;
}

static bool parse_init(struct ctx *c, const struct box *ftyp, const struct box *moov,
		       struct fmp4_init *out)
{
	struct box ch, trak, mvex;
	int traks = 0;
	bool found;

	if (ftyp->end - ftyp->body < 8)
		return fail(c, ftyp->start, "box 'ftyp' is too short (%zu bytes) for its brands",
			    ftyp->end - ftyp->body);
	for (size_t pos = moov->body; pos < moov->end; pos = ch.end) {
		if (!box_at(c, pos, moov->end, false, &ch))
			return false;
		if (ch.type != FOURCC('t', 'r', 'a', 'k'))
			continue;
		if (++traks > 1)
			return fail(c, ch.start, "a second track: a live stream has one (video)");
		trak = ch;
	}
	if (traks == 0)
		return fail(c, moov->start, "box 'moov' has no 'trak'");
	if (!parse_trak(c, &trak, out))
		return false;
	if (!find_child(c, moov, moov->body, FOURCC('m', 'v', 'e', 'x'), &mvex, &found))
		return false;
	if (!found)
		return fail(c, moov->start, "box 'moov' has no 'mvex': not a fragmented stream");
	return parse_mvex(c, &mvex, out);
}

/* --- fragments ----------------------------------------------------------------- */

struct frag {
	const struct fmp4_init *init;
	struct fmp4_info *info;
	bool first_seen; /* the chunk's first sample has been judged */
	/* sample data the last moof's truns point to, from the chunk's start (a
	 * data offset may point anywhere); checked against its mdat */
	int64_t data_lo, data_hi;
	bool data_any;
};

static bool is_key(uint32_t flags)
{
	return !(flags & SAMPLE_NON_SYNC) && SAMPLE_DEPENDS_ON(flags) != 1;
}

struct tfhd {
	uint32_t flags;
	uint32_t duration, size, sample_flags;
};

static bool parse_trun(struct ctx *c, const struct box *trun, const struct box *moof,
		       const struct tfhd *h, struct frag *f, int64_t *next_data)
{
	const struct fmp4_init *init = f->init;
	struct rd r;
	uint8_t version;
	uint32_t flags, count, first_flags = 0;
	size_t per, left;
	int64_t start;
	uint64_t size_sum = 0;

	rd_init(&r, c, trun);
	if (!rd_full(&r, &version, &flags) || !rd_u32(&r, &count))
		return false;
	start = *next_data;
	if (flags & TRUN_DATA_OFFSET) {
		uint32_t off;

		if (!rd_u32(&r, &off))
			return false;
		/* relative to the moof: the only base we accept (see tfhd) */
		start = (int64_t)moof->start + (int32_t)off; /* checked against the mdat */
	}
	if ((flags & TRUN_FIRST_FLAGS) && !rd_u32(&r, &first_flags))
		return false;
	per = 4 * (size_t)(!!(flags & TRUN_DURATION) + !!(flags & TRUN_SIZE) +
			   !!(flags & TRUN_FLAGS) + !!(flags & TRUN_CTS));
	left = trun->end - r.pos;
	if (per && count > left / per)
		return fail(c, trun->start, "box 'trun' says %u samples, only %zu bytes left",
			    count, left);
	if (count > FMP4_SAMPLES_MAX - f->info->samples)
		return fail(c, trun->start, "box 'trun' says %u samples, more than %u in a chunk",
			    count, FMP4_SAMPLES_MAX);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t d = (h->flags & TFHD_DURATION) ? h->duration
			     : init			? init->trex_default_sample_duration
							: 0;
		uint32_t s = (h->flags & TFHD_SIZE) ? h->size
			     : init		    ? init->trex_default_sample_size
						    : 0;
		uint32_t fl = (h->flags & TFHD_FLAGS) ? h->sample_flags
			      : init		      ? init->trex_default_sample_flags
						      : 0;
		uint32_t cts;

		/* fields in the order of ISO/IEC 14496-12 8.8.8.2; rd cannot fail (checked above)
		 */
		if (flags & TRUN_DURATION)
			rd_u32(&r, &d);
		if (flags & TRUN_SIZE)
			rd_u32(&r, &s);
		if (flags & TRUN_FLAGS)
			rd_u32(&r, &fl);
		if (flags & TRUN_CTS)
			rd_u32(&r, &cts);
		if (i == 0 && (flags & TRUN_FIRST_FLAGS))
			fl = first_flags;
		if (!f->first_seen) {
			f->first_seen = true;
			f->info->key = is_key(fl);
		}
		f->info->duration += d;
		size_sum += s;
	}
	f->info->samples += count;
	if (count > 0) {
		/* at most 2^16 samples of 2^32 bytes: no overflow */
		int64_t end = start + (int64_t)size_sum;

		if (!f->data_any || start < f->data_lo)
			f->data_lo = start;
		if (!f->data_any || end > f->data_hi)
			f->data_hi = end;
		f->data_any = true;
		*next_data = end;
	} else {
		*next_data = start;
	}
	return true;
}

static bool parse_traf(struct ctx *c, const struct box *traf, const struct box *moof,
		       struct frag *f)
{
	struct box tfhd_box, tfdt, ch;
	struct tfhd h = { 0 };
	struct rd r;
	uint8_t version;
	uint32_t track;
	int64_t next_data = (int64_t)moof->start;
	int truns = 0;
	bool first_fragment = f->info->fragments == 0;

	if (!need_child(c, traf, FOURCC('t', 'f', 'h', 'd'), &tfhd_box))
		return false;
	rd_init(&r, c, &tfhd_box);
	if (!rd_full(&r, &version, &h.flags) || !rd_u32(&r, &track))
		return false;
	if (f->init && track != f->init->track_id)
		return fail(c, tfhd_box.start,
			    "box 'tfhd' is for track %u, the stream's track is %u", track,
			    f->init->track_id);
	if (h.flags & TFHD_BASE_OFFSET)
		return fail(c, tfhd_box.start,
			    "box 'tfhd' gives an absolute base data offset: a live fragment must "
			    "be self-contained");
	if ((h.flags & TFHD_DESC_INDEX) && !rd_skip(&r, 4))
		return false;
	if ((h.flags & TFHD_DURATION) && !rd_u32(&r, &h.duration))
		return false;
	if ((h.flags & TFHD_SIZE) && !rd_u32(&r, &h.size))
		return false;
	if ((h.flags & TFHD_FLAGS) && !rd_u32(&r, &h.sample_flags))
		return false;

	if (!need_child(c, traf, FOURCC('t', 'f', 'd', 't'), &tfdt))
		return false;
	rd_init(&r, c, &tfdt);
	{
		uint32_t flags, t32;
		uint64_t t;

		if (!rd_full(&r, &version, &flags))
			return false;
		if (version == 1) {
			if (!rd_u64(&r, &t))
				return false;
		} else {
			if (!rd_u32(&r, &t32))
				return false;
			t = t32;
		}
		if (first_fragment)
			f->info->decode_time = t;
	}

	f->data_any = false;
	for (size_t pos = traf->body; pos < traf->end; pos = ch.end) {
		if (!box_at(c, pos, traf->end, false, &ch))
			return false;
		if (ch.type != FOURCC('t', 'r', 'u', 'n'))
			continue;
		truns++;
		if (!parse_trun(c, &ch, moof, &h, f, &next_data))
			return false;
	}
	if (truns == 0)
		return fail(c, traf->start, "box 'traf' has no 'trun'");
	return true;
}

static bool parse_moof(struct ctx *c, const struct box *moof, struct frag *f)
{
	struct box mfhd, traf;
	struct rd r;
	uint8_t version;
	uint32_t flags, seq;

	if (!need_child(c, moof, FOURCC('m', 'f', 'h', 'd'), &mfhd))
		return false;
	rd_init(&r, c, &mfhd);
	if (!rd_full(&r, &version, &flags) || !rd_u32(&r, &seq))
		return false;
	if (f->info->fragments == 0)
		f->info->sequence = seq;
	/* need_child refuses a second traf: one track, one traf */
	if (!need_child(c, moof, FOURCC('t', 'r', 'a', 'f'), &traf))
		return false;
	return parse_traf(c, &traf, moof, f);
}

/* The samples of the moof just parsed must lie in mdat's payload. */
static bool check_mdat(struct ctx *c, const struct box *moof, const struct box *mdat,
		       const struct frag *f)
{
	if (f->data_any && (f->data_lo < (int64_t)mdat->body || f->data_hi > (int64_t)mdat->end))
		return fail(c, moof->start,
			    "the samples of box 'moof' lie at bytes %lld..%lld, outside its 'mdat' "
			    "(%zu..%zu)",
			    (long long)f->data_lo, (long long)f->data_hi, mdat->body, mdat->end);
	return true;
}

static bool parse_fragments(struct ctx *c, struct frag *f)
{
	struct box b, mdat;
	char tbuf[16];

	for (size_t pos = 0; pos < c->n; pos = b.end) {
		if (!box_at(c, pos, c->n, true, &b))
			return false;
		switch (b.type) {
		case FOURCC('s', 't', 'y', 'p'):
			if (pos != 0)
				return fail(c, pos, "box 'styp' only starts a chunk");
			break;
		case FOURCC('s', 'i', 'd', 'x'):
		case FOURCC('p', 'r', 'f', 't'):
			break;
		case FOURCC('m', 'o', 'o', 'f'):
			if (!parse_moof(c, &b, f))
				return false;
			if (b.end == c->n)
				return fail(c, pos, "box 'moof' has no 'mdat' after it");
			if (!box_at(c, b.end, c->n, true, &mdat))
				return false;
			if (mdat.type != FOURCC('m', 'd', 'a', 't'))
				return fail(c, mdat.start, "box %s after a 'moof', 'mdat' expected",
					    FCC(mdat.type));
			if (!check_mdat(c, &b, &mdat, f))
				return false;
			f->info->fragments++;
			b = mdat;
			break;
		case FOURCC('m', 'd', 'a', 't'):
			return fail(c, pos, "box 'mdat' without a 'moof' before it");
		case FOURCC('f', 't', 'y', 'p'):
		case FOURCC('m', 'o', 'o', 'v'):
			return fail(
			    c, pos,
			    "box %s in a fragment: an init segment comes alone, 'ftyp' first",
			    fourcc(b.type, tbuf));
		default:
			return fail(
			    c, pos,
			    "box %s is not part of a live chunk (ftyp moov, or [styp] moof mdat)",
			    fourcc(b.type, tbuf));
		}
	}
	if (f->info->fragments == 0)
		return fail(c, c->n, "no 'moof' in the chunk");
	return true;
}

bool fmp4_inspect(const uint8_t *p, size_t n, const struct fmp4_init *init,
		  struct fmp4_init *init_out, struct fmp4_info *info, char *err, size_t errlen)
{
	struct ctx c = { p, n, err, errlen };
	struct fmp4_info scratch_info;
	struct fmp4_init scratch_init;
	struct box first, moov;

	if (!info)
		info = &scratch_info;
	if (!init_out)
		init_out = &scratch_init;
	memset(info, 0, sizeof *info);
	if (err && errlen)
		err[0] = '\0';
	if (n > FMP4_CHUNK_MAX)
		return fail(&c, 0, "a chunk of %zu bytes, more than %u", n, FMP4_CHUNK_MAX);
	if (n == 0 || !p)
		return fail(&c, 0, "an empty chunk");
	if (!box_at(&c, 0, n, true, &first))
		return false;
	if (first.type == FOURCC('f', 't', 'y', 'p')) {
		info->kind = FMP4_INIT;
		memset(init_out, 0, sizeof *init_out);
		if (first.end == n)
			return fail(&c, n, "box 'ftyp' without a 'moov' after it");
		if (!box_at(&c, first.end, n, true, &moov))
			return false;
		if (moov.type != FOURCC('m', 'o', 'o', 'v'))
			return fail(&c, moov.start, "box %s after 'ftyp', 'moov' expected",
				    FCC(moov.type));
		if (moov.end != n)
			return fail(&c, moov.end, "%zu bytes after the init segment's 'moov'",
				    n - moov.end);
		return parse_init(&c, &first, &moov, init_out);
	}
	if (first.type == FOURCC('m', 'o', 'o', 'v'))
		return fail(&c, 0, "box 'moov' without 'ftyp' before it");
	{
		struct frag f = { .init = init, .info = info };

		info->kind = FMP4_FRAGMENT;
		return parse_fragments(&c, &f);
	}
}
