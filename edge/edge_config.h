/*
 * edge_config.h — bk-edge's configuration file (INI, GKeyFile):
 *
 *   [box]          id, state_dir, log_level, status_period, reading_batch, disk_budget
 *   [mqtt]         uri, ca, cert, key, keepalive, reconnect_max
 *   [outbox]       path, sync, window, ack_timeout, max_rate, max_bytes_rate
 *   [sensor <id>]  kind, driver, period, unit, and the driver's own keys
 *   [camera <id>]  source, zone, gb28181_id, segment, retention, retention_bytes,
 *                  no_frames_timeout, schedule, motion, motion_threshold,
 *                  live_source, central_storage
 *   [live]         max_streams, max_kbps, max_length, transcode_width, transcode_kbps
 *   [clips]        pre_roll, post_roll, max_length, chunk_size, snapshots
 *   [clips <type>] pre_roll, post_roll: the defaults for one event type
 *   [detections]   socket, min_confidence
 *
 * See README.md, "Configuration", for every key and its default.
 */
#ifndef BK_EDGE_CONFIG_H
#define BK_EDGE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "log.h"
#include "mqtt_settings.h"

/* Where a camera's video comes from. */
enum camera_source {
	CAMERA_RTSP, /* rtsp://…: H.264/H.265 passed through */
	CAMERA_V4L2, /* v4l2:/dev/videoN: raw frames, encoded on the box */
	CAMERA_TEST  /* a test pattern encoded on the box, for demos */
};

struct camera_config {
	char *id;
	enum camera_source kind;
	char *uri;	  /* CAMERA_RTSP: the URI; CAMERA_V4L2: the device path */
	char *zone;	  /* NULL: none */
	char *gb28181_id; /* NULL: none; else 20 digits */
	int64_t segment_ms;
	int64_t retention_ms;
	int64_t retention_bytes; /* 0: only the box's disk budget limits it */
	int64_t no_frames_timeout_ms;
	/* Recording hours, local time: minute-of-day intervals [from, to),
	 * n_schedule == 0 means always. */
	struct {
		int from_min, to_min;
	} schedule[8];
	int n_schedule;
	bool motion;		 /* run the motion detector on this camera */
	double motion_threshold; /* share of the picture that must change, 0..1 */
	/* Live view: an rtsp:// URI of the camera's smaller H.264 stream; NULL:
	 * the recorded source itself (transcoded at low resolution if H.265). */
	char *live_source;
	bool central_storage; /* upload every recorded segment to the centre */
};

/* [live]: what live view may cost the kitchen's uplink. */
struct live_config {
	int max_streams;     /* cameras streamed live at once */
	int64_t max_kbps;    /* all live streams together, kbit/s */
	int64_t max_length_ms; /* a stream ends this long after its start unless renewed */
	int transcode_width; /* H.265-only cameras: the H.264 width sent live */
	int transcode_kbps;  /* ... and its bitrate */
};

/* Pre- and post-roll of the clips one event type asks for; -1: not set. */
struct clip_roll {
	char *type; /* NULL: the [clips] defaults */
	int64_t pre_ms, post_ms;
};

struct clips_config {
	int64_t pre_ms, post_ms; /* -1: the built-in default of each event type */
	int64_t max_length_ms;	 /* longer events get an opening and a closing clip */
	int chunk_size;
	bool snapshots; /* a JPEG with every alert */
	GArray *rolls;	/* of struct clip_roll, from [clips <type>] */
};

struct detections_config {
	char *socket; /* Unix socket path; "" or NULL: no local detections interface */
	double min_confidence;
};

struct edge_config {
	char *id; /* box-…, the certificate's CN */
	char *state_dir;
	enum log_level log_level;
	int64_t status_period_ms;
	int64_t reading_batch_ms; /* 0: every sample is its own message */
	int64_t disk_budget;	  /* bytes for the outbox, video segments and clips */
	int cert_warn_days;	  /* cert_expiring event this long before the end */
	struct mqtt_settings mqtt;
	char *outbox_path;
	bool outbox_sync_full;
	int window; /* messages sent and not yet acknowledged by the collector */
	int64_t ack_timeout_ms;
	double max_rate;       /* messages/s sent, resends included */
	double max_bytes_rate; /* payload bytes/s sent */
	GPtrArray *sensors;    /* of struct sensor*, owned */
	GPtrArray *cameras;    /* of struct camera_config*, owned */
	struct clips_config clips;
	struct detections_config detections;
	struct live_config live;
};

/* Load and check path, creating the sensors. On problems, prints each to
 * stderr and returns false. */
bool edge_config_load(const char *path, struct edge_config *cfg);
void edge_config_release(struct edge_config *cfg);

#endif
