/*
 * live_view.h — the collector's side of live view: a viewer (the HTTPS API's
 * GET /api/live/{box}/{camera}) asks for a camera; the box is asked with
 * the command live and a lease (LIVE_VIEW_LEASE_S), renewed while anyone
 * here watches, and told live_stop when the last viewer leaves; the video it
 * sends is relayed to every viewer (live_relay.h); and every viewing is
 * written to the audit trail (who, what, from when to when, bytes, why it
 * ended) — kitchen staff are filmed.
 *
 * A viewing ends: when the viewer leaves, when the box refuses or ends the
 * stream (its reason reaches the viewer), when the box sends nothing within
 * LIVE_VIEW_ANSWER_S (at the start or later), or after [live] max_length. Refused at once: more
 * than [live] max_viewers here, or a box or camera the archive shows
 * offline (ops->unavailable) — a camera the box cannot reach is never a
 * spinner.
 *
 * Several collectors: each relays to its own viewers and keeps its own
 * lease with the box (the box streams while any lease runs), so a collector
 * that dies only lets its lease run out.
 *
 * Main thread only.
 */
#ifndef BK_LIVE_VIEW_H
#define BK_LIVE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector_config.h"
#include "live_relay.h"
#include "message.h"

#define LIVE_VIEW_LEASE_S  30 /* asked of the box; renewed every third of it */
#define LIVE_VIEW_ANSWER_S 10 /* a box that sends no video within this is "not answering" */

struct live_view_ops {
	/* Send a command to its box: 0 or -errno. */
	int (*send_cmd)(void *ctx, const struct cmd_info *c);
	/* Why box/camera cannot be watched now (unknown, offline), in buf[n];
	 * NULL when it can. */
	const char *(*unavailable)(void *ctx, const char *box, const char *camera, char *buf,
				   size_t n);
	/* The audit trail: a viewing began (its id, < 0 when it could not be
	 * written: the viewing goes on, logged), and ended. */
	int64_t (*audit_begin)(void *ctx, const char *who, const char *box, const char *camera,
			       int64_t wall_ms);
	void (*audit_end)(void *ctx, int64_t id, int64_t wall_ms, int64_t bytes, const char *why);
};

struct live_view_counters {
	uint64_t chunks, bytes; /* video accepted from boxes */
	uint64_t rejected;	/* chunks that were not valid fragmented MP4 */
	uint64_t watches, refused;
};

struct live_view;
struct live_watch;

/* cfg, ctx must outlive it; ops is copied. Starts a one-second timer. */
struct live_view *live_view_new(const struct live_settings *cfg, const char *collector_id,
				const struct live_view_ops *ops, void *ctx);
/* Ends every viewing (audited) and frees. NULL is fine. */
void live_view_free(struct live_view *lv);

/* who wants box/camera. 0 with *out (the caller reads it until the end,
 * then leaves); -EBUSY (too many viewers) or -EHOSTUNREACH (unavailable)
 * with why[n] for the viewer, audited too. wake: as in live_relay.h. */
int live_view_watch(struct live_view *lv, const char *who, const char *box, const char *camera,
		    live_wake_fn wake, void *wake_ctx, struct live_watch **out, char *why,
		    size_t n);
/* As live_viewer_read. */
size_t live_watch_read(struct live_watch *w, uint8_t *buf, size_t max, bool *ended,
		       const char **why);
/* The stream's RFC 6381 codec ("avc1.64001f") once its init came, else NULL. */
const char *live_watch_codec(const struct live_watch *w);
/* The viewer is gone (or read the end): audit, free; the last viewer of a
 * stream here tells the box. NULL is fine. */
void live_watch_leave(struct live_watch *w);

/* From MQTT: a chunk of box/camera's video, and a box's answer (a
 * validated MSG_LIVE message). */
void live_view_chunk(struct live_view *lv, const char *box, const char *camera,
		     const uint8_t *data, size_t len);
void live_view_answer(struct live_view *lv, const char *box, const struct message *m);

/* Viewers here now, streams with viewers, and the counters. */
int live_view_viewers(const struct live_view *lv);
int live_view_streams(const struct live_view *lv);
const struct live_view_counters *live_view_counters(const struct live_view *lv);

#endif
