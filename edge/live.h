/*
 * live.h — one camera's live view: its H.264 as fragmented MP4 for a
 * browser's Media Source Extensions, in whole-box chunks on the main loop.
 *
 * The source is the camera's live_source when it has one, else a second
 * RTSP session to the recorded URI (cameras serve several clients), or, for
 * the test camera, a test pattern with the running time and the wall clock
 * burnt in. H.264 is passed through, never re-encoded. H.265, which
 * browsers do not play through MSE, is decoded and encoded again as H.264
 * at transcode_width (the camera's aspect, even height; never upscaled),
 * transcode_kbps, a key frame a second. A V4L2 camera needs a live_source:
 * its device belongs to the recording.
 *
 * Chunks: the first is the init segment (ftyp + moov with mvex/trex), every
 * later one a fragment (moof + mdat) of at most ~fragment_ms. mp4mux also
 * cuts a fragment at every key frame, so a fragment starts either with a
 * key frame (LIVE_CHUNK_KEY: a new viewer may start here, after the init
 * segment) or in the middle of a group of pictures (LIVE_CHUNK_DELTA: only
 * for viewers that had the previous ones). Video before the stream's first
 * key frame is dropped: the first fragment is always LIVE_CHUNK_KEY.
 *
 * Threads: every function and every callback is main loop (GLib default
 * context) only. Cost (tests/bench/bench_live.c, the fake camera's test
 * pattern, one EPYC core): passing through ~0.7 % of a core whatever the
 * size; transcoding to 640 wide ~7 % from 640x360, ~12-13 % from 720p or
 * 1080p H.265, ~17-20 times passing through (real scenes decode dearer).
 */
#ifndef BK_LIVE_H
#define BK_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_config.h"

struct live_stream;

enum live_chunk_kind {
	LIVE_CHUNK_INIT,  /* ftyp + moov: once, first */
	LIVE_CHUNK_KEY,	  /* moof + mdat starting with a key frame */
	LIVE_CHUNK_DELTA, /* moof + mdat continuing the previous one */
};

/* One chunk of whole top-level MP4 boxes (see above). data is valid during
 * the call only. The callback may call live_stream_free(ls). */
typedef void (*live_chunk_fn)(void *ctx, struct live_stream *ls, enum live_chunk_kind kind,
			      const uint8_t *data, size_t len);

/* The stream ended by itself: camera unreachable, no init segment within
 * connect_timeout_ms, no video for as long afterwards, a pipeline error,
 * the camera ending the stream. why is plain words for the viewer and the
 * log, never a password from the URI, valid during the call only. Called
 * at most once, never from inside live_stream_new and never after
 * live_stream_free; no chunk follows it. The owner still frees the stream,
 * inside the callback or later. */
typedef void (*live_end_fn)(void *ctx, struct live_stream *ls, const char *why);

struct live_options {
	int transcode_width;	    /* H.265 sources: the H.264 width; <= 0: 640 */
	int transcode_kbps;	    /* ... and bitrate; <= 0: 500 */
	int64_t fragment_ms;	    /* longest fragment; <= 0: 500 */
	int64_t connect_timeout_ms; /* to the init segment, and longest silence; <= 0: 5000 */
};

/* Start streaming cc. cc and ctx must outlive the stream; o is copied (NULL:
 * every default). NULL with the reason in err (errlen bytes) when the
 * camera cannot stream live (V4L2 without live_source), an element is
 * missing, or the pipeline cannot start; chunk and end are then never
 * called. An unreachable camera is not refused here: end() reports it. */
struct live_stream *live_stream_new(const struct camera_config *cc, const struct live_options *o,
				    live_chunk_fn chunk, live_end_fn end, void *ctx, char *err,
				    size_t errlen);

/* Stop and free; no callback afterwards. NULL is fine. Allowed inside this
 * stream's own callbacks. */
void live_stream_free(struct live_stream *ls);

/* Whether the source is H.265 being transcoded: false until the source's
 * codec is known (at the latest with the init segment). */
bool live_stream_transcoding(const struct live_stream *ls);

/* Bytes of chunks delivered so far, the init segment included. */
int64_t live_stream_bytes(const struct live_stream *ls);

#endif
