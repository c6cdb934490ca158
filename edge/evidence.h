/*
 * evidence.h — clips and snapshots, from the request to the collector's
 * "verified" (DESIGN.md, "Video"; schemas/clip.json).
 *
 * A request is written to the outbox's clips table at once, so a power cut
 * loses none; while it waits for its time range to be recorded, the
 * segments it needs are pinned. Once the range is recorded (or can no longer
 * be), the clip is built from whole segments without transcoding
 * (edge/clip.c), its manifest is signed with the box's key and committed to
 * the outbox as BULK in the same transaction that marks the clip built.
 * When the collector acks the manifest, the chunks follow, paced by the
 * box's send-rate cap and after everything else in the outbox. The
 * collector answers the last chunk of each pass with the chunks it still
 * misses or with "verified"; a clip whose pass got no answer within
 * ack_timeout has its last chunk sent again to ask. Verified: the file and
 * the row go.
 *
 * Central storage. Every segment a camera marked central_storage records
 * from the moment it is marked goes the same way: its file is hashed in
 * place (not copied), its manifest (clip id "segment:<camera>:<start
 * ms>:<sha256 prefix>", no event) is committed as ROUTINE, after
 * everything else in the outbox, and its chunks go only when no clip has
 * chunks waiting. At most CENTRAL_WINDOW segments per camera are announced
 * and not verified; the rest wait in the segment index, oldest first,
 * pinned against the box's retention (outbox.h), so that an outage is
 * caught up in order once the link is back. Verified: the upload is
 * forgotten, the segment stays in the box's ring.
 *
 * Main thread only.
 */
#ifndef BK_EVIDENCE_H
#define BK_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "edge_config.h"
#include "outbox.h"

struct evidence_ops {
	/* Commit msg (a manifest built with seq = outbox_last_seq + 1) to the
	 * outbox in class cls (BULK: clips and snapshots; ROUTINE: central
	 * storage's segments); called inside a transaction evidence opened.
	 * 0 or -errno. */
	int (*put_manifest)(void *ctx, cJSON *msg, enum outbox_class cls);
	/* Publish a chunk now if the send-rate cap allows: 0; -EAGAIN when the
	 * cap is reached (the box pumps again when it has refilled); other
	 * -errno when it cannot be sent (disconnected). */
	int (*send_chunk)(void *ctx, const char *topic, const void *data, size_t len);
	/* Take a snapshot of camera for event_id and hand it to evidence_add_file
	 * when it comes ([clips] snapshots: with every alert that opens). */
	void (*snapshot)(void *ctx, const char *camera, const char *event_id);
	void *ctx;
};

struct evidence_counters {
	uint64_t requested, built, verified, unavailable, failed;
	uint64_t chunks_sent, chunks_resent, pokes;
	uint64_t segments_announced, segments_verified, segments_lost; /* central storage */
};

struct evidence;

/* cfg, ob and ops must outlive it. NULL with a log line when the box's key
 * and certificate cannot be loaded for signing, or the clip directory
 * cannot be made; the box then runs without clips. */
struct evidence *evidence_new(const struct edge_config *cfg, struct outbox *ob,
			      const struct evidence_ops *ops);
void evidence_free(struct evidence *ev);

/* An event step from a sensor, camera or detector: on open, each camera
 * of the event's zone (all cameras when none is in it) is asked for a clip
 * [start − pre-roll, start + post-roll]; on close the clip is stretched to
 * end + post-roll if it is not built yet and stays within max_length, or a
 * closing clip [end − pre-roll, end + post-roll] is asked for; an opening
 * also asks each such camera for a snapshot. camera, when
 * not NULL, names the only camera concerned (a detection). Types that
 * speak of the box itself (camera_offline, sensor_fault, data_dropped…)
 * get no clip. */
void evidence_event(struct evidence *ev, const char *event_id, const char *type, const char *zone,
		    const char *camera, bool closing, int64_t start_ms, int64_t end_ms);

/* Ask for camera's [from_ms, to_ms] (evidence retrieval); the clip id in
 * clip_id[128]. 0 or -errno. */
int evidence_want_range(struct evidence *ev, const char *camera, const char *event_id,
			int64_t from_ms, int64_t to_ms, char *clip_id);

/* Upload an existing file (a JPEG snapshot) the same way; evidence takes
 * the file over (moves it under its directory). 0 or -errno. */
int evidence_add_file(struct evidence *ev, const char *camera, const char *event_id,
		      const char *kind, const char *mime, const char *path, int64_t wall_ms);

/* The outbox rows up to acked are acked: manifests among them let their chunks go. */
void evidence_acked(struct evidence *ev, int64_t acked);
/* An ack's clips_verified and clips_missing (checked arrays, or NULL). */
void evidence_ack_clips(struct evidence *ev, const cJSON *verified, const cJSON *missing);
/* Send chunks while the cap allows. */
void evidence_pump(struct evidence *ev);
/* A new connection: chunks of a pass in progress may have been lost; ask. */
void evidence_connected(struct evidence *ev);

/* Bytes of clip files waiting for verification. */
int64_t evidence_bytes(struct evidence *ev);
const struct evidence_counters *evidence_counters(const struct evidence *ev);

#endif
