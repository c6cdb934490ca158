/*
 * live_relay.h — the collector's hub of live streams (issue 12): one stream
 * per (box, camera), fed with the fMP4 chunks the box sends (common/fmp4.h),
 * read by any number of viewers (browsers over HTTP, Media Source Extensions).
 *
 * What a viewer gets, as one byte stream: the stream's init segment, then
 * fragments starting at a key fragment, in order, each whole. Joining
 * mid-stream it gets the init and the fragments cached since the last key
 * fragment, so that playback starts at once; it never gets a fragment before
 * the init it got. A viewer more than viewer_queue_max bytes behind (a slow
 * browser) loses what it has queued and resumes at the next key fragment
 * (counted in its stats): one slow viewer never holds memory or the others
 * back. An init equal to the stream's is ignored (the box sends it again
 * with every request). A new init (the box restarted the stream) reaches every viewer after
 * what it has queued, then fragments from the next key. The end (the box
 * stopped) reaches every viewer after what it has queued.
 *
 * Memory: chunks are shared by reference between the key cache and the
 * viewers' queues; a viewer holds at most viewer_queue_max bytes plus one key
 * fragment plus the chunk it is in the middle of; a stream holds its init
 * and at most key_cache_max bytes of cached fragments.
 *
 * Lifetime of a stream's state: created by a join or an init; freed when it
 * has neither viewers nor an init (after live_relay_end and the last leave,
 * or when the last viewer of a stream that never got an init leaves). A
 * stream fed by a box but watched by nobody keeps its init and cache until
 * live_relay_end: the caller, seeing live_relay_viewer_count() reach 0, tells
 * the box to stop and calls live_relay_end.
 *
 * Main thread only (no locks): every function, and the wake callbacks, which
 * are called from inside live_relay_feed / live_relay_end.
 */
#ifndef BK_LIVE_RELAY_H
#define BK_LIVE_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmp4.h"

struct live_relay;
struct live_viewer;

/* viewer_queue_max, key_cache_max: bytes (> 0). Keep key_cache_max well under
 * viewer_queue_max (say a GOP against three): a joiner starts with the cache
 * queued, and a queue over its limit is dropped at the next fragment.
 * Never NULL (aborts on no memory, GLib). */
struct live_relay *live_relay_new(size_t viewer_queue_max, size_t key_cache_max);
/* Frees every stream and every viewer still joined (their pointers die). NULL is fine. */
void live_relay_free(struct live_relay *r);

/*
 * A chunk from box/camera, p[0..n) (copied; the caller keeps p), checked
 * with fmp4_inspect. An init replaces the stream's init (a new stream: the
 * key cache is emptied, viewers restart from it); a fragment goes to every
 * viewer's queue and to the key cache.
 *   0        accepted
 *   -EINVAL  not a valid chunk (err says what and where): nothing changed;
 *            the caller counts and logs it
 *   -ENOENT  a fragment while the relay has no init for this stream (the
 *            collector restarted, or the stream ended): dropped, nothing
 *            changed; when viewers wait (live_relay_viewer_count > 0) the
 *            box should be asked to start the stream again (it then sends
 *            an init first)
 */
int live_relay_feed(struct live_relay *r, const char *box, const char *camera, const uint8_t *p,
		    size_t n, int64_t now_ms, char *err, size_t errlen);

/* The box says the stream ended (why: copied): each viewer gets the end after
 * its queued bytes; the init and the cache are dropped (a new stream needs a
 * new init). A viewer joining later waits for a new init. Unknown stream: no-op. */
void live_relay_end(struct live_relay *r, const char *box, const char *camera, const char *why);

/* Called once when a viewer whose last live_viewer_read returned "nothing
 * now" has data or the end: resume its HTTP connection. It must not call
 * back into the relay (schedule a read instead). */
typedef void (*live_wake_fn)(void *ctx);

/* A new viewer of box/camera (who: for the audit; copied). Never NULL. Owned
 * by the caller until live_viewer_leave. */
struct live_viewer *live_relay_join(struct live_relay *r, const char *box, const char *camera,
				    const char *who, int64_t now_ms, live_wake_fn wake, void *ctx);

/*
 * Copy up to max queued bytes into buf: the init first, then fragments; a
 * chunk larger than max is carried over to the next reads. Returns the bytes
 * copied (*ended false). 0 with *ended false: nothing now, wake will be
 * called. 0 with *ended true: the end, *why (owned by the viewer, valid until
 * it leaves) says why; later reads say the same. max 0 only asks: 0, with
 * *ended true when the end came and nothing is left to read (no wake is
 * promised either way). why may be NULL.
 */
size_t live_viewer_read(struct live_viewer *v, uint8_t *buf, size_t max, bool *ended,
			const char **why);

/* Leave and free v. NULL is fine. May free the stream's state (see above). */
void live_viewer_leave(struct live_viewer *v);

struct live_viewer_stats {
	const char *who;	   /* as joined, owned by the viewer */
	const char *end_why;	   /* the end's reason once it came (bytes may still be queued),
				      else NULL; owned by the viewer */
	int64_t joined_ms;	   /* now_ms of live_relay_join */
	int64_t bytes_sent;	   /* bytes returned by live_viewer_read */
	int64_t bytes_queued;	   /* bytes waiting for the viewer now */
	int64_t fragments_sent;	   /* whole fragments read */
	int64_t fragments_dropped; /* fragments it lost for being too slow */
	int64_t drops;		   /* times it fell behind */
	int64_t inits_sent;	   /* init segments queued for it */
};
void live_viewer_stats(const struct live_viewer *v, struct live_viewer_stats *st);

/* Viewers of box/camera (0 for an unknown stream), and of every stream. */
int live_relay_viewer_count(const struct live_relay *r, const char *box, const char *camera);
int live_relay_total_viewers(const struct live_relay *r);
/* Streams with state (with viewers or an init). */
int live_relay_stream_count(const struct live_relay *r);

/* The stream's init (codec string, size, timescale) for the HTTP response;
 * NULL until an init came (or after the end). Owned by the relay, valid
 * until the next feed / end / leave of that stream. */
const struct fmp4_init *live_relay_init(const struct live_relay *r, const char *box,
					const char *camera);

struct live_stream_stats {
	int viewers;
	bool has_init;
	int64_t chunks, bytes;	   /* accepted since the stream's state was created */
	int64_t inits;		   /* init segments accepted */
	int64_t last_chunk_ms;	   /* now_ms of the last accepted chunk, 0 before */
	uint64_t last_decode_time; /* tfdt of the last fragment, in the init's timescale */
	size_t cache_bytes;	   /* fragments cached since the last key fragment */
	int cache_fragments;
};
/* False for an unknown stream. */
bool live_relay_stream_stats(const struct live_relay *r, const char *box, const char *camera,
			     struct live_stream_stats *st);

#endif
