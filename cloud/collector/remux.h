/*
 * remux.h — MP4 copies of stored MPEG-TS clips, for browsers (Chromium
 * plays no MPEG-TS). The video is remuxed, never re-encoded:
 * filesrc ! tsdemux ! h264parse ! mp4mux faststart=true ! filesink, into a
 * cache directory, one file per clip sha256, written under a temporary name
 * and renamed when complete, so a file in the cache is always whole.
 * The only GStreamer user at the centre.
 *
 * Costs: a remux reads and writes the clip once (tens of ms for a one-minute
 * clip); the pipeline runs on GStreamer's threads and reports on the GLib
 * default main context, so callers never block. The clips' cache is not
 * pruned: it is at most the size of the H.264 clips in the store, and may be
 * deleted whole at any time (recorded ranges, below, are pruned). Limits:
 * H.264 only (H.265 clips fail with a log line: browsers do not play H.265
 * either). Everything is called on the main thread.
 */
#ifndef BK_REMUX_H
#define BK_REMUX_H

#include <stddef.h>

struct remux;

/* ok: the MP4's path (owned by remux, valid during the call) or NULL on failure. */
typedef void (*remux_done_fn)(void *ctx, const char *mp4_path);

/* NULL with a log line when cache_dir cannot be created. */
struct remux *remux_new(const char *cache_dir);
/* Stops running remuxes; their callbacks are called with NULL first. NULL is fine. */
void remux_free(struct remux *r);

/* The MP4 of ts_path, named name.mp4 in the cache (name: the clip's sha256).
 * 0 with *mp4_path (newly allocated, g_free) when it is in the cache;
 * -EINPROGRESS when a remux was started (or one is running): fn(ctx, …) is
 * called later from the main loop, exactly once; -EIO on failure to start. */
int remux_get(struct remux *r, const char *ts_path, const char *name, char **mp4_path,
	      remux_done_fn fn, void *ctx);

/* Central storage: the MP4 of n MPEG-TS segments played one after the
 * other (a recorded range), named name.mp4 under the cache's "ranges"
 * directory (name: a digest of the segments, so a range asked for twice is
 * remuxed once). The segments are joined into one file first, on the
 * calling thread (a read and a write of the range's bytes; deleted when the
 * remux ends). Range files untouched for an hour are deleted on the next
 * call. Returns as remux_get. */
int remux_get_range(struct remux *r, const char *const *ts_paths, size_t n, const char *name,
		    char **mp4_path, remux_done_fn fn, void *ctx);

#endif
