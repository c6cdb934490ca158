/*
 * camera.h — recording one camera into continuous segment files, taking
 * snapshots and watching for motion: the one module of the box that
 * touches GStreamer.
 *
 * One pipeline per camera: RTSP H.264/H.265 is depayloaded, parsed and
 * muxed into MPEG-TS segments of `segment` length without re-encoding
 * (V4L2 and the test pattern are encoded on the box with x264). Each closed
 * segment is indexed in the outbox (outbox_segment_add) with wall-clock
 * start and end; segments older than `retention` are deleted, and while the
 * camera's indexed bytes exceed `retention_bytes` (when set) its oldest
 * segments too, never a pinned one. No frames for `no_frames_timeout`, or a
 * pipeline error, tear the pipeline down and build it again after a
 * back-off (1 s doubling to 30 s, back to 1 s once frames flow). Outside
 * the camera's `schedule` (local time) there is no pipeline at all.
 *
 * Snapshots and motion decode the stream on side branches that cannot stop
 * the recording: a failing decoder fails the snapshots (or ends motion
 * detection) until the pipeline is next rebuilt, never the recording.
 *
 * Everything here runs on the GLib main loop (default context): the bus
 * watch, the timers and every callback. All functions are main loop only.
 * Streaming threads only link pads, stamp atomics and hand buffers over.
 */
#ifndef BK_CAMERA_H
#define BK_CAMERA_H

#include <stdbool.h>
#include <stdint.h>

#include "edge_config.h"
#include "outbox.h"

struct camera;

/* Called on the main loop when the camera starts recording (online) or
 * stops (offline: stream lost, no frames, cannot connect). wall_ms is when
 * it happened: the first frame, or the last frame before the loss (the
 * time of the decision if there never was one). why is a short reason for
 * offline, NULL for online; valid during the call only.
 *
 * The schedule is not a loss: leaving it stops the pipeline without a
 * call (an offline already reported stays as it was), and entering it
 * again reports online with the first frame, or offline if none come. */
typedef void (*camera_state_fn)(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
				const char *why);

/* Start recording cc into STATE_DIR/video/<id>/, indexing into ob. cc, ob
 * and ctx must outlive the camera. NULL with a log line when GStreamer or
 * an element it needs to record is missing, or the directory cannot be
 * made (missing snapshot or motion elements only log a warning). */
struct camera *camera_new(const struct camera_config *cc, const char *state_dir, struct outbox *ob,
			  camera_state_fn fn, void *ctx);
/* Stop, index the segment being written, fail pending snapshots (their
 * fn is called before this returns, why "the camera is stopping"), free.
 * NULL is fine. Not from within a callback of this camera. */
void camera_free(struct camera *cam);

const struct camera_config *camera_config(const struct camera *cam);
/* "recording", "offline" or "disabled" (outside the schedule): status.json's
 * camera states. A camera still connecting counts as offline. */
const char *camera_state_name(const struct camera *cam);
/* Milliseconds of video indexed since the camera was created. */
int64_t camera_recorded_ms(const struct camera *cam);

/* Whether wall_ms falls inside cc's recording schedule (local time of the
 * box; no intervals means always). Pure; any thread. */
bool camera_in_schedule(const struct camera_config *cc, int64_t wall_ms);

/* A snapshot's outcome, on the main loop, exactly once per request that
 * camera_snapshot accepted, and never from within camera_snapshot.
 * Success: path is the JPEG written, wall_ms when its frame reached the
 * box, why NULL. Failure: path NULL, wall_ms when it failed, why the
 * reason (offline, outside the schedule, timed out, decoder failed, cannot
 * write). Strings valid during the call only. fn may call camera_snapshot. */
typedef void (*camera_snapshot_fn)(void *ctx, struct camera *cam, const char *path, int64_t wall_ms,
				   const char *why);

/* Write a JPEG (at most 1280 pixels wide, the camera's aspect) of the
 * first frame decoded from a key frame that arrives after this call to
 * path (written beside it, then renamed: path is complete or absent).
 * Requests pending together share one decoded frame. They fail after
 * max(5 s, no_frames_timeout) without a picture, at once when the camera
 * is offline or outside its schedule, and when it goes offline. 0 when
 * accepted; -ENOTSUP when this box lacks the elements to decode (logged
 * at camera_new), fn is then never called. path is copied. */
int camera_snapshot(struct camera *cam, const char *path, camera_snapshot_fn fn, void *ctx);

/* Motion (cc->motion only): called on the main loop when, between two
 * frames sampled about 5 times a second at 160x90, at least
 * cc->motion_threshold of the pixels changed by more than a noise margin;
 * at most once every 10 s while the motion continues. wall_ms is when the
 * frame reached the box, score the share of pixels changed (0..1). */
typedef void (*camera_motion_fn)(void *ctx, struct camera *cam, int64_t wall_ms, double score);

/* Set (or, with fn NULL, clear) the motion callback. Without one, the
 * detector still runs when cc->motion is set (and logs at debug level). */
void camera_on_motion(struct camera *cam, camera_motion_fn fn, void *ctx);

#endif
