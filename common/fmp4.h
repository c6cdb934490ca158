/*
 * fmp4.h — the inspector of one chunk of a live fragmented MP4 stream (ISO
 * BMFF, ISO/IEC 14496-12), as boxes send it over MQTT for the live view. A
 * chunk is one or more whole top-level boxes, either
 *   an init segment:   ftyp moov          (moov: one video track, mvex/trex)
 *   or a fragment:     [styp] { (sidx|prft)* moof mdat }+
 * Nothing else is accepted (no mfra, free, uuid … at top level; an init and
 * a fragment in one chunk are refused: send them apart).
 *
 * Outside input: every size is checked against its parent before it is
 * used, nothing is read outside p[0..n), nothing is allocated. Pure
 * functions, thread-safe. Cost: one pass over the box headers and the trun
 * tables; the media data (mdat) is never read.
 */
#ifndef BK_FMP4_H
#define BK_FMP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMP4_CHUNK_MAX	 (16u * 1024 * 1024) /* larger chunks are refused */
#define FMP4_SAMPLES_MAX 65536		     /* samples in one chunk (18 min at 60 fps) */
#define FMP4_CODEC_MAX	 48

/* What fragments are judged with, from the init segment. */
struct fmp4_init {
	uint32_t track_id;
	uint32_t timescale; /* mdhd, ticks a second, > 0 */
	uint32_t trex_default_sample_duration;
	uint32_t trex_default_sample_size;
	uint32_t trex_default_sample_flags;
	int width, height; /* the visual sample entry's */
	/* RFC 6381 for MSE's addSourceBuffer: "avc1.64001f" (avc1/avc3, from
	 * avcC), "hvc1.1.6.L93.B0" (hvc1/hev1, from hvcC, ISO/IEC 14496-15
	 * annex E) */
	char codec[FMP4_CODEC_MAX];
};

enum fmp4_kind { FMP4_INIT, FMP4_FRAGMENT };

struct fmp4_info {
	enum fmp4_kind kind;
	/* FRAGMENT only (zero for an INIT): */
	bool key;	      /* the chunk's first sample is a sync sample (see fmp4.c) */
	uint64_t decode_time; /* the first fragment's tfdt, in the track's timescale */
	uint64_t duration;    /* sum of the sample durations, same unit */
	uint32_t samples;     /* samples in the chunk */
	uint32_t sequence;    /* the first fragment's mfhd sequence number */
	uint32_t fragments;   /* moof+mdat pairs */
};

/*
 * Inspect chunk p[0..n). An INIT fills *init_out (may be NULL). A FRAGMENT is
 * judged with init, the stream's init segment: its track id must match and
 * the trex defaults apply; with init NULL the trex defaults are taken as 0
 * (a sample without flags is then a sync sample) and the track id is not
 * checked. info may be NULL.
 * False with err[errlen] naming what and where, e.g. "byte 1042: box 'trun'
 * says 9000 samples, only 12 bytes left"; *init_out and *info are then
 * unspecified.
 */
bool fmp4_inspect(const uint8_t *p, size_t n, const struct fmp4_init *init,
		  struct fmp4_init *init_out, struct fmp4_info *info, char *err, size_t errlen);

#endif
