/*
 * camera.h — recording one camera into continuous segment files, the one
 * module of the box that touches GStreamer.
 *
 * One pipeline per camera: RTSP H.264/H.265 is depayloaded, parsed and
 * muxed into MPEG-TS segments of `segment` length without re-encoding
 * (V4L2 and the test pattern are encoded on the box with x264). Each closed
 * segment is indexed in the outbox (outbox_segment_add) with wall-clock
 * start and end; segments older than `retention` are deleted, never a
 * pinned one. No frames for `no_frames_timeout`, or a pipeline error, tear
 * the pipeline down and build it again after a back-off (1 s doubling to
 * 30 s, back to 1 s once frames flow).
 *
 * Everything here runs on the GLib main loop (default context): the bus
 * watch, the health and retention timers and the state callback. Streaming
 * threads only link pads and stamp an atomic "last frame" time.
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
 * offline, NULL for online; valid during the call only. */
typedef void (*camera_state_fn)(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
				const char *why);

/* Start recording cc into STATE_DIR/video/<id>/, indexing into ob. cc, ob
 * and ctx must outlive the camera. NULL with a log line when GStreamer or
 * an element it needs is missing, or the directory cannot be made. */
struct camera *camera_new(const struct camera_config *cc, const char *state_dir, struct outbox *ob,
			  camera_state_fn fn, void *ctx);
/* Stop, index the segment being written, free. NULL is fine. */
void camera_free(struct camera *cam);

const struct camera_config *camera_config(const struct camera *cam);
/* "recording" or "offline" (status.json's camera states). */
const char *camera_state_name(const struct camera *cam);
/* Milliseconds of video indexed since the camera was created. */
int64_t camera_recorded_ms(const struct camera *cam);

#endif
