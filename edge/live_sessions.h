/*
 * live_sessions.h — the box's side of live view: which cameras stream live
 * now, for whom, and within what the kitchen's uplink allows.
 *
 * A collector asks with the command live {camera, lease}: it wants the
 * camera for lease seconds more and renews before the end; live_stop ends
 * its wish at once. A camera streams (edge/live.c) while any requester's
 * lease runs, one stream per camera whoever asks, so two viewers (or two
 * collectors) share it; the init segment goes again with every request, for
 * a collector that joined late or restarted. The box answers on bk/v1/box/{box}/live
 * (schemas/live.json): starting (to each new requester), refused (with
 * why: unknown camera, camera offline, the limit of streams), ended (no
 * lease left, [live] max_length reached, camera lost).
 *
 * Limits ([live]): at most max_streams cameras at once; all streams
 * together within max_kbps, measured by a token bucket of two seconds: a
 * fragment that does not fit is dropped, and so is every one after it up
 * to the next that starts with a key frame (a viewer sees the picture stop,
 * never a broken one); a fragment over 1 MiB, which the broker would
 * refuse, is dropped the same way. A stream ends max_length after it
 * started, however often it is renewed; a new request starts it again.
 * Video goes at QoS 0
 * outside the outbox: a fragment that cannot be sent now is worth nothing
 * later, so it is dropped like one over the cap.
 *
 * Main loop only (GLib default context), like edge/live.c.
 */
#ifndef BK_LIVE_SESSIONS_H
#define BK_LIVE_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "edge_config.h"
#include "message.h"

struct live_sessions;

struct live_sessions_ops {
	/* Publish a chunk of camera's fragmented MP4: 0, or -errno when it
	 * cannot go now (not connected, Paho's buffer full). */
	int (*send_chunk)(void *ctx, const char *camera, const uint8_t *data, size_t len);
	/* Publish an answer (schemas/live.json). */
	void (*send_state)(void *ctx, const struct live_info *li);
	/* Why camera cannot stream now (offline, outside its schedule), in
	 * buf[n]; NULL when it can. */
	const char *(*camera_unavailable)(void *ctx, const struct camera_config *cc, char *buf,
					  size_t n);
};

struct live_sessions_counters {
	uint64_t started, refused, ended;
	uint64_t bytes_sent;
	uint64_t chunks_dropped_cap;  /* over max_kbps (with what followed up to a key frame) */
	uint64_t chunks_dropped_link; /* not connected, Paho's buffer full */
};

/* cfg (its id, cameras and [live]) and ctx must outlive the sessions; ops
 * is copied. Starts a one-second timer for leases and time limits. */
struct live_sessions *live_sessions_new(const struct edge_config *cfg,
					const struct live_sessions_ops *ops, void *ctx);
/* Stop every stream (each requester is told it ended) and free. NULL is fine. */
void live_sessions_free(struct live_sessions *s);

/* The command live: requester (the sender's id) wants camera for lease_s more. */
void live_sessions_want(struct live_sessions *s, const char *requester, const char *camera,
			int lease_s);
/* The command live_stop: requester no longer wants camera. */
void live_sessions_unwant(struct live_sessions *s, const char *requester, const char *camera);

/* Cameras streaming now. */
int live_sessions_count(const struct live_sessions *s);
const struct live_sessions_counters *live_sessions_counters(const struct live_sessions *s);

#endif
