/*
 * camera.c — see camera.h.
 *
 * Pipelines:
 *   rtsp  rtspsrc (tcp) ⇢ rtph264depay|rtph265depay ! h264parse|h265parse ! tee
 *         (the depayloader is chosen from the pad's encoding-name when
 *         rtspsrc adds it; the recording decodes nothing)
 *   v4l2  v4l2src ! videoconvert ! x264enc ! h264parse ! tee
 *   test  videotestsrc (bars scrolling, so that motion shows) ! x264enc ! h264parse ! tee
 *   tee ! splitmuxsink                                   the recording
 *   tee ⇢ [gate] errorignore ! queue ! decodebin3 ! videoscale ! videoconvert
 *         ! video/x-raw,width≤1280 ! [pick] jpegenc ! fakesink [post]   snapshots
 *   tee ⇢ [gate] errorignore ! queue ! decodebin3 ! videorate (≤ 5/s) ! videoscale
 *         ! videoconvert ! GRAY8 160x90 ! fakesink [post]        motion, cc->motion only
 * splitmuxsink muxes MPEG-TS (readable up to the last packet if the box
 * dies mid-segment, unlike MP4) and cuts at the first key frame after
 * `segment`. Files are STATE_DIR/video/<id>/<build>-<n>.ts, <build> the
 * wall-clock ms the pipeline was built, so names never repeat.
 *
 * Wall-clock times of a segment come from the running time splitmuxsink
 * puts in its fragment-opened/-closed messages: the pipeline runs on the
 * system monotonic clock, so base time + running time is a CLOCK_MONOTONIC
 * instant, turned into wall clock by the current offset between the two.
 * Consecutive segments of one build therefore share their boundary exactly.
 *
 * Side branches. [gate] is a buffer probe on the tee's pad: idle, it drops
 * every buffer before it is queued, so an unused branch costs one atomic
 * load per frame. For a snapshot it is armed from the main loop, waits for
 * a key frame, marks it DISCONT (the decoder starts afresh) and lets the
 * stream through; [pick] lets the first decoded frame at or after that key
 * frame reach the encoder and closes the gate. Decoders keep frames back
 * (threads, reordering), hence the pick by timestamp. The motion gate lets
 * everything through but, when its queue is nearly full, skips to the next
 * key frame instead of letting the queue leak a reference frame (a
 * half-decoded picture would look like motion). errorignore turns a
 * failing branch's flow errors into OK so that the tee, and the recording,
 * never see them; the branch's error messages on the bus are recognised by
 * their origin and only switch that branch off until the next build.
 * [post] hands the JPEG or the small grey frame to the main loop through
 * an async queue and one idle source.
 *
 * Invariants: at most one pipeline per camera; every segment file that
 * was closed, or open when the pipeline was torn down, is indexed once;
 * every accepted snapshot request is answered once; no pipeline outside
 * the schedule.
 * Cost: passing through costs a parser and a muxer per camera, ~1–2 % of
 * a core for a 640x360 stream; motion adds decoding every frame plus a
 * 160x90 comparison 5 times a second on the main loop; a snapshot decodes
 * from one key frame to the next picture. One health tick every 500 ms,
 * one retention pass a minute (and after a segment when retention_bytes
 * is exceeded: one index scan of this camera), one schedule check a minute.
 */
#include "camera.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clock.h"
#include "log.h"
#include "video_codec.h"

#define HEALTH_TICK_MS	     500
#define RETENTION_MS	     60000
#define BACKOFF_FIRST_MS     1000
#define BACKOFF_MAX_MS	     30000
#define SNAPSHOT_MIN_WAIT_MS 5000
#define MOTION_W	     160
#define MOTION_H	     90
#define MOTION_FPS	     5
#define MOTION_NOISE	     25 /* grey levels: compression noise and flicker stay below */
#define MOTION_DEBOUNCE_MS   10000
#define MOTION_QUEUE	     30 /* encoded frames: 2 s at 15/s */

enum camera_state { CAMERA_CONNECTING, CAMERA_RECORDING, CAMERA_OFFLINE, CAMERA_DISABLED };


/* The snapshot gate, written by the main loop (IDLE → ARMED, any → IDLE)
 * and by streaming threads (ARMED → PASSING at a key frame, PASSING → IDLE
 * when a frame is picked). */
enum snap_gate { SNAP_IDLE, SNAP_ARMED, SNAP_PASSING };

struct snap_request {
	char *path;
	camera_snapshot_fn fn;
	void *ctx;
	int64_t asked_us;    /* monotonic µs: key frames after this one satisfy it */
	int64_t deadline_ms; /* monotonic */
};

/* What streaming threads hand to the main loop. */
struct delivery {
	enum { DELIVER_JPEG, DELIVER_MOTION } kind;
	GstBuffer *buf;
	int64_t frame_us; /* monotonic µs the frame's key frame (JPEG) or frame reached the box */
	int build;	  /* the build it comes from; older ones are stale */
};

struct camera {
	const struct camera_config *cc;
	struct outbox *ob;
	camera_state_fn fn;
	void *ctx;
	char *dir; /* STATE_DIR/video/<id> */

	GstElement *pipeline;		   /* NULL between a tear-down and the next build */
	GstElement *mux;		   /* the splitmuxsink, owned by the pipeline */
	GstElement *tee;		   /* owned by the pipeline */
	GstElement *snap_bin, *motion_bin; /* the side branches, owned by the pipeline; or NULL */
	GstElement *motion_queue;	   /* inside motion_bin, read by the motion gate */
	guint bus_watch, health_source, rebuild_source, retention_source, schedule_source;
	int64_t built_mono_ms; /* when the current pipeline was built */
	int64_t backoff_ms;
	enum camera_state state;
	int64_t recorded_ms;
	char why[256]; /* why it last went offline */

	/* the segment splitmuxsink is writing, from its fragment-opened message */
	char *open_path;
	int64_t open_start_ms;

	/* retention_bytes: the camera's indexed bytes at the last pass, plus since */
	int64_t swept_bytes, bytes_since_sweep;
	bool pinned_over; /* pinned segments alone exceed it (warned once) */

	/* snapshots (main loop) */
	bool can_snapshot;
	GQueue snaps; /* of struct snap_request*, oldest first */
	guint snap_idle;

	/* motion (main loop) */
	bool can_motion;
	camera_motion_fn motion_fn;
	void *motion_ctx;
	guint8 *motion_prev; /* MOTION_W x MOTION_H grey, or NULL */
	int motion_prev_build;
	int64_t motion_last_ms; /* monotonic time of the last report, 0: none */

	/* hand-over from streaming threads */
	GAsyncQueue *inbox; /* of struct delivery* */
	atomic_bool inbox_scheduled;

	/* written by streaming threads, read on the main loop (or the reverse) */
	_Atomic int64_t last_frame_mono_ms;	/* 0: no frame since the build */
	_Atomic int codec;			/* enum video_codec linked, RTSP */
	_Atomic int build;			/* counts builds */
	_Atomic int snap_gate;			/* enum snap_gate */
	atomic_bool snap_broken, motion_broken; /* the branch failed: gate shut until rebuild */
	_Atomic int64_t snap_key_pts;		/* PTS of the key frame let through, or -1 */
	_Atomic int64_t snap_key_us;		/* when it came */
	_Atomic int64_t snap_frame_us;		/* snap_key_us of the frame picked for the JPEG */
	atomic_bool motion_skipping;		/* waiting for a key frame */
};

static int64_t mono_ms(void)
{
	return g_get_monotonic_time() / 1000; /* CLOCK_MONOTONIC, as GstSystemClock */
}

static int64_t mono_to_wall_ms(int64_t mono)
{
	return mono + (g_get_real_time() / 1000 - mono_ms());
}

/* --- hand-over to the main loop -------------------------------------- */

static void delivery_free(struct delivery *d)
{
	gst_buffer_unref(d->buf);
	g_free(d);
}

static void on_jpeg(struct camera *cam, struct delivery *d);
static void on_motion_frame(struct camera *cam, struct delivery *d);

static gboolean on_inbox(gpointer data)
{
	struct camera *cam = data;
	struct delivery *d;

	atomic_store(&cam->inbox_scheduled, false);
	while ((d = g_async_queue_try_pop(cam->inbox))) {
		if (d->build == atomic_load(&cam->build) && cam->pipeline) {
			if (d->kind == DELIVER_JPEG)
				on_jpeg(cam, d);
			else
				on_motion_frame(cam, d);
		}
		delivery_free(d);
	}
	return G_SOURCE_REMOVE;
}

/* Streaming thread: queue buf (a reference is taken) for the main loop. One
 * idle source at a time; camera_free removes it after the threads are joined. */
static void post(struct camera *cam, int kind, GstBuffer *buf, int64_t frame_us)
{
	struct delivery *d = g_new(struct delivery, 1);

	d->kind = kind;
	d->buf = gst_buffer_ref(buf);
	d->frame_us = frame_us;
	d->build = atomic_load(&cam->build);
	g_async_queue_push(cam->inbox, d);
	if (!atomic_exchange(&cam->inbox_scheduled, true))
		g_idle_add(on_inbox, cam);
}

/* --- pipelines ------------------------------------------------------- */

static GstPadProbeReturn on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct camera *cam = data;

	(void)pad;
	(void)info;
	atomic_store(&cam->last_frame_mono_ms, mono_ms());
	return GST_PAD_PROBE_OK;
}

/* Stamp every buffer leaving the parser: what the no-frames check reads. */
static void watch_frames(struct camera *cam, GstElement *parse)
{
	GstPad *src = gst_element_get_static_pad(parse, "src");

	gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_frame, cam, NULL);
	gst_object_unref(src);
}

static bool is_key(GstBuffer *buf)
{
	return !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
}

/* The buffer of info, marked DISCONT: the decoder forgets what it had. */
static void mark_discont(GstPadProbeInfo *info)
{
	GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));

	GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
	GST_PAD_PROBE_INFO_DATA(info) = buf;
}

/* [gate] of the snapshot branch (the tee's streaming thread). */
static GstPadProbeReturn snap_gate(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct camera *cam = data;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	int gate = atomic_load(&cam->snap_gate), armed = SNAP_ARMED;

	(void)pad;
	if (gate == SNAP_IDLE || atomic_load(&cam->snap_broken))
		return GST_PAD_PROBE_DROP;
	if (gate == SNAP_PASSING)
		return GST_PAD_PROBE_OK;
	if (!is_key(buf))
		return GST_PAD_PROBE_DROP;
	atomic_store(&cam->snap_key_pts,
		     GST_BUFFER_PTS_IS_VALID(buf) ? (int64_t)GST_BUFFER_PTS(buf) : -1);
	atomic_store(&cam->snap_key_us, g_get_monotonic_time());
	/* the main loop may have given up meanwhile (IDLE): then drop */
	if (!atomic_compare_exchange_strong(&cam->snap_gate, &armed, SNAP_PASSING))
		return GST_PAD_PROBE_DROP;
	mark_discont(info);
	return GST_PAD_PROBE_OK;
}

/* [pick]: the first decoded frame from the key frame on goes to the
 * encoder, and the gate closes (the branch's streaming thread). */
static GstPadProbeReturn snap_pick(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct camera *cam = data;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	int64_t key = atomic_load(&cam->snap_key_pts);
	int passing = SNAP_PASSING;

	(void)pad;
	if (atomic_load(&cam->snap_gate) != SNAP_PASSING)
		return GST_PAD_PROBE_DROP;
	/* a frame held back from before the key frame */
	if (key >= 0 && GST_BUFFER_PTS_IS_VALID(buf) && (int64_t)GST_BUFFER_PTS(buf) < key)
		return GST_PAD_PROBE_DROP;
	atomic_store(&cam->snap_frame_us, atomic_load(&cam->snap_key_us));
	if (!atomic_compare_exchange_strong(&cam->snap_gate, &passing, SNAP_IDLE))
		return GST_PAD_PROBE_DROP;
	return GST_PAD_PROBE_OK;
}

/* [post] of the snapshot branch: the JPEG. */
static GstPadProbeReturn snap_post(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct camera *cam = data;

	(void)pad;
	post(cam, DELIVER_JPEG, GST_PAD_PROBE_INFO_BUFFER(info), atomic_load(&cam->snap_frame_us));
	return GST_PAD_PROBE_OK;
}

/* [gate] of the motion branch: everything, but whole GOPs when behind. */
static GstPadProbeReturn motion_gate(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct camera *cam = data;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	guint queued = 0;

	(void)pad;
	if (atomic_load(&cam->motion_broken))
		return GST_PAD_PROBE_DROP;
	g_object_get(cam->motion_queue, "current-level-buffers", &queued, NULL);
	if (queued >= MOTION_QUEUE - 1) {
		atomic_store(&cam->motion_skipping, true);
		return GST_PAD_PROBE_DROP;
	}
	if (atomic_load(&cam->motion_skipping)) {
		if (!is_key(buf))
			return GST_PAD_PROBE_DROP;
		atomic_store(&cam->motion_skipping, false);
		mark_discont(info);
	}
	return GST_PAD_PROBE_OK;
}

/* [post] of the motion branch: a grey frame. */
static GstPadProbeReturn motion_post(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	(void)pad;
	post(data, DELIVER_MOTION, GST_PAD_PROBE_INFO_BUFFER(info), g_get_monotonic_time());
	return GST_PAD_PROBE_OK;
}

static void probe_pad(GstElement *bin, const char *element, const char *pad, GstPadProbeCallback cb,
		      struct camera *cam)
{
	GstElement *e = gst_bin_get_by_name(GST_BIN(bin), element);
	GstPad *p = gst_element_get_static_pad(e, pad);

	gst_pad_add_probe(p, GST_PAD_PROBE_TYPE_BUFFER, cb, cam, NULL);
	gst_object_unref(p);
	gst_object_unref(e);
}

/* A decoder decodebin3 just made (its streaming thread): one thread.
 * libav's frame threads showed byte-stream key frames half grey (a whole
 * picture of false motion every GOP), and one thread is what a small
 * picture a few times a second needs. */
static void on_branch_element(GstBin *bin, GstBin *sub, GstElement *e, gpointer data)
{
	GstElementFactory *f = gst_element_get_factory(e);

	(void)bin, (void)sub, (void)data;
	if (f && g_str_has_prefix(GST_OBJECT_NAME(f), "avdec_"))
		g_object_set(e, "max-threads", 1, NULL);
}

/* A side branch from fixed text (no configuration is spliced in), hung on
 * a new pad of the tee behind gate. NULL with a log line on failure: the
 * camera then records without it. */
static GstElement *add_branch(struct camera *cam, const char *what, const char *desc,
			      GstPadProbeCallback gate)
{
	GError *err = NULL;
	/* the sink pad ghosted by hand: with ghost_unlinked_pads, the pad
	 * after decodebin (linked only later) could be the one chosen */
	GstElement *bin = gst_parse_bin_from_description(desc, FALSE, &err), *head;
	GstPad *src, *sink;
	bool linked;

	if (!bin) {
		log_warn("camera '%s': no %s: %s", cam->cc->id, what, err->message);
		g_error_free(err);
		return NULL;
	}
	head = gst_bin_get_by_name(GST_BIN(bin), "head");
	sink = gst_element_get_static_pad(head, "sink");
	gst_element_add_pad(bin, gst_ghost_pad_new("sink", sink));
	gst_object_unref(sink);
	gst_object_unref(head);
	g_signal_connect(bin, "deep-element-added", G_CALLBACK(on_branch_element), NULL);
	gst_bin_add(GST_BIN(cam->pipeline), bin);
	src = gst_element_request_pad_simple(cam->tee, "src_%u");
	sink = gst_element_get_static_pad(bin, "sink");
	linked = src && sink && gst_pad_link(src, sink) == GST_PAD_LINK_OK;
	if (linked)
		gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, gate, cam, NULL);
	if (src)
		gst_object_unref(src);
	if (sink)
		gst_object_unref(sink);
	if (!linked) {
		log_warn("camera '%s': no %s: cannot link the branch", cam->cc->id, what);
		gst_bin_remove(GST_BIN(cam->pipeline), bin);
		return NULL;
	}
	return bin;
}

/* Branch heads: errorignore keeps the branch's flow errors from the tee;
 * the queue gives it its own thread (leaky: a stalled branch never holds
 * the recording back). */
#define BRANCH_HEAD                                                                                \
	"errorignore name=head convert-to=ok ignore-notlinked=true ignore-eos=true ! "             \
	"queue leaky=downstream max-size-bytes=0 max-size-time=0 "
#define SINK " ! fakesink name=out sync=false async=false enable-last-sample=false"

static void add_branches(struct camera *cam)
{
	static const char snap_desc[] = BRANCH_HEAD
	    "max-size-buffers=60 ! decodebin3 ! videoscale ! videoconvert ! "
	    "video/x-raw,width=[16,1280],pixel-aspect-ratio=1/1 ! jpegenc name=jpeg" SINK;
	static const char motion_desc[] = BRANCH_HEAD "max-size-buffers=" G_STRINGIFY(
	    MOTION_QUEUE) " name=queue ! decodebin3 ! "
			  "videorate drop-only=true max-rate=" G_STRINGIFY(
			      MOTION_FPS) " ! videoscale ! "
					  "videoconvert ! "
					  "video/x-raw,format=GRAY8,width=" G_STRINGIFY(
					      MOTION_W) ",height=" G_STRINGIFY(MOTION_H) SINK;

	atomic_store(&cam->snap_broken, false);
	atomic_store(&cam->motion_broken, false);
	atomic_store(&cam->motion_skipping, true); /* decoding starts at a key frame */
	atomic_store(&cam->snap_gate, g_queue_is_empty(&cam->snaps) ? SNAP_IDLE : SNAP_ARMED);
	if (cam->can_snapshot) {
		cam->snap_bin = add_branch(cam, "snapshots", snap_desc, snap_gate);
		if (cam->snap_bin) {
			probe_pad(cam->snap_bin, "jpeg", "sink", snap_pick, cam);
			probe_pad(cam->snap_bin, "out", "sink", snap_post, cam);
		}
	}
	if (cam->cc->motion && cam->can_motion) {
		cam->motion_bin = add_branch(cam, "motion detection", motion_desc, motion_gate);
		if (cam->motion_bin) {
			/* the bin holds it as long as the pipeline lives */
			cam->motion_queue = gst_bin_get_by_name(GST_BIN(cam->motion_bin), "queue");
			gst_object_unref(cam->motion_queue);
			probe_pad(cam->motion_bin, "out", "sink", motion_post, cam);
		}
	}
}

/* What the parser hands the tee, said explicitly: left to negotiate over
 * the tee's branches, h264parse chose a form the decoders could not read. */
#define BYTE_STREAM(codec) "video/x-" codec ",stream-format=byte-stream,alignment=au"

static bool link_to_tee(struct camera *cam, GstElement *parse)
{
	return gst_element_link(parse, cam->tee);
}

/* rtspsrc adds a pad per stream once the session is set up (streaming
 * thread). The first H.264 or H.265 video stream is recorded; others
 * (audio, metadata) are left unlinked. Only the atomics of cam are touched. */
static void on_rtsp_pad(GstElement *src, GstPad *pad, gpointer data)
{
	struct camera *cam = data;
	enum video_codec codec = video_pad_codec(pad);
	GstElement *depay, *parse;
	GstCaps *caps;
	GstPad *sink;
	int none = CODEC_NONE;

	(void)src;
	if (codec == CODEC_NONE || !atomic_compare_exchange_strong(&cam->codec, &none, (int)codec))
		return;
	depay =
	    gst_element_factory_make(codec == CODEC_H264 ? "rtph264depay" : "rtph265depay", NULL);
	parse = gst_element_factory_make(codec == CODEC_H264 ? "h264parse" : "h265parse", NULL);
	if (!depay || !parse) {
		/* camera_new checked the factories; only memory could fail here */
		if (depay)
			gst_object_unref(depay);
		if (parse)
			gst_object_unref(parse);
		return;
	}
	/* a camera that sends parameter sets only once must not starve later
	 * segments, nor a snapshot decoder that starts at a later key frame */
	g_object_set(parse, "config-interval", -1, NULL);
	caps =
	    gst_caps_from_string(codec == CODEC_H264 ? BYTE_STREAM("h264") : BYTE_STREAM("h265"));
	gst_bin_add_many(GST_BIN(cam->pipeline), depay, parse, NULL);
	gst_element_link(depay, parse);
	gst_element_link_filtered(parse, cam->tee, caps);
	gst_caps_unref(caps);
	watch_frames(cam, parse);
	gst_element_sync_state_with_parent(parse);
	gst_element_sync_state_with_parent(depay);
	sink = gst_element_get_static_pad(depay, "sink");
	gst_pad_link(pad, sink);
	gst_object_unref(sink);
}

/* The encoding branch for V4L2 and the test pattern: fixed text, the device
 * is set as a property afterwards (never spliced into the description).
 * The test bars scroll by 2 pixels a frame: moving enough for the motion
 * detector, still recognisable. 4:2:0 before the encoder: left to choose,
 * x264enc takes 4:4:4 (High 4:4:4), which browsers cannot play. */
static GstElement *encoded_source(const struct camera_config *cc)
{
	const char *desc =
	    cc->kind == CAMERA_TEST
		? "videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! "
		  "video/x-raw,format=I420,width=640,height=360,framerate=15/1 ! "
		  "x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=15 ! "
		  "h264parse config-interval=-1 name=parse ! capsfilter caps=\"" BYTE_STREAM(
		      "h264") "\""
		: "v4l2src name=src ! videoconvert ! video/x-raw,format=I420 ! "
		  "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=25 ! "
		  "h264parse config-interval=-1 name=parse ! capsfilter caps=\"" BYTE_STREAM(
		      "h264") "\"";
	GError *err = NULL;
	GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);

	if (!bin) {
		log_error("camera '%s': cannot build the %s source: %s", cc->id,
			  cc->kind == CAMERA_TEST ? "test" : "v4l2", err->message);
		g_error_free(err);
		return NULL;
	}
	if (cc->kind == CAMERA_V4L2) {
		GstElement *v4l2 = gst_bin_get_by_name(GST_BIN(bin), "src");

		g_object_set(v4l2, "device", cc->uri, NULL);
		gst_object_unref(v4l2);
	}
	return bin;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data);

/* The tee's first pad feeds splitmuxsink's video pad (asked for by name:
 * linking by template could pick an audio pad before caps are known). */
static bool link_tee_to_mux(struct camera *cam)
{
	GstPad *src = gst_element_request_pad_simple(cam->tee, "src_%u");
	GstPad *sink = gst_element_request_pad_simple(cam->mux, "video");
	bool ok = src && sink && gst_pad_link(src, sink) == GST_PAD_LINK_OK;

	if (src)
		gst_object_unref(src);
	if (sink)
		gst_object_unref(sink);
	return ok;
}

static int build(struct camera *cam)
{
	const struct camera_config *cc = cam->cc;
	int64_t now_wall = clock_wall_ms();
	GstElement *muxer = gst_element_factory_make("mpegtsmux", NULL);
	GstClock *clock;
	GstBus *bus;
	char *location;

	atomic_fetch_add(&cam->build, 1);
	cam->pipeline = gst_pipeline_new(cc->id);
	cam->mux = gst_element_factory_make("splitmuxsink", NULL);
	cam->tee = gst_element_factory_make("tee", NULL);
	if (!cam->pipeline || !cam->mux || !cam->tee || !muxer) {
		/* none is in a bin yet: ours to drop (tear_down takes the pipeline) */
		g_clear_pointer(&cam->mux, gst_object_unref);
		g_clear_pointer(&cam->tee, gst_object_unref);
		goto out_fail;
	}
	location = g_strdup_printf("%s/%lld-%%06d.ts", cam->dir, (long long)now_wall);
	/* splitmuxsink cuts one GOP early when segment is an exact multiple of
	 * the GOP (2 s segments of 1 s GOPs came out 1 s long): a small margin
	 * keeps whole GOPs up to segment in a file */
	g_object_set(cam->mux, "muxer", muxer, "location", location, "max-size-time",
		     (guint64)(cc->segment_ms + CLAMP(cc->segment_ms / 20, 100, 500)) * GST_MSECOND,
		     NULL);
	muxer = NULL; /* the splitmuxsink took it */
	g_free(location);
	gst_bin_add_many(GST_BIN(cam->pipeline), cam->mux, cam->tee, NULL);
	if (!link_tee_to_mux(cam)) {
		log_error("camera '%s': cannot link the recorder", cc->id);
		return -EIO;
	}
	add_branches(cam);
	atomic_store(&cam->codec, CODEC_NONE);
	atomic_store(&cam->last_frame_mono_ms, 0);
	if (cc->kind == CAMERA_RTSP) {
		GstElement *src = gst_element_factory_make("rtspsrc", NULL);

		if (!src)
			goto out_fail;
		/* tcp: no UDP ports to open through a kitchen's NAT, and no loss to
		 * conceal; latency small, we only record */
		g_object_set(src, "location", cc->uri, "protocols",
			     0x4 /* GST_RTSP_LOWER_TRANS_TCP */, "latency", 200, NULL);
		g_signal_connect(src, "pad-added", G_CALLBACK(on_rtsp_pad), cam);
		gst_bin_add(GST_BIN(cam->pipeline), src);
	} else {
		GstElement *bin = encoded_source(cc);
		GstElement *parse;

		if (!bin)
			goto out_fail;
		gst_bin_add(GST_BIN(cam->pipeline), bin);
		parse = gst_bin_get_by_name(GST_BIN(bin), "parse");
		watch_frames(cam, parse);
		gst_object_unref(parse);
		if (!link_to_tee(cam, bin)) {
			log_error("camera '%s': cannot link the source to the recorder", cc->id);
			return -EIO;
		}
		atomic_store(&cam->codec, CODEC_H264);
	}
	/* our wall-clock arithmetic needs the monotonic system clock, whatever
	 * an element might offer */
	clock = gst_system_clock_obtain();
	gst_pipeline_use_clock(GST_PIPELINE(cam->pipeline), clock);
	gst_object_unref(clock);
	bus = gst_pipeline_get_bus(GST_PIPELINE(cam->pipeline));
	cam->bus_watch = gst_bus_add_watch(bus, on_bus, cam);
	gst_object_unref(bus);
	cam->built_mono_ms = mono_ms();
	if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		log_warn("camera '%s': cannot start the pipeline", cc->id);
		return -EIO; /* the caller tears down */
	}
	log_debug("camera '%s': pipeline built", cc->id);
	return 0;

out_fail:
	if (muxer)
		gst_object_unref(muxer);
	return -ENOMEM;
}

/* --- the segment index ----------------------------------------------- */

static gboolean on_retention(gpointer data);

static int64_t running_to_wall_ms(const struct camera *cam, GstClockTime running)
{
	GstClockTime base = gst_element_get_base_time(cam->pipeline);

	return mono_to_wall_ms((int64_t)((base + running) / GST_MSECOND));
}

static void index_segment(struct camera *cam, const char *path, int64_t start_ms, int64_t end_ms)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0 || st.st_size == 0 || end_ms <= start_ms) {
		/* nothing recorded (torn down before the first frame was muxed) */
		g_unlink(path);
		return;
	}
	if (outbox_segment_add(cam->ob, cam->cc->id, start_ms, end_ms, path, (int64_t)st.st_size)) {
		log_error("camera '%s': cannot index segment '%s'; the file stays unindexed",
			  cam->cc->id, path);
		return;
	}
	cam->recorded_ms += end_ms - start_ms;
	cam->bytes_since_sweep += (int64_t)st.st_size;
	log_debug("camera '%s': segment %s, %lld ms, %lld bytes", cam->cc->id, path,
		  (long long)(end_ms - start_ms), (long long)st.st_size);
	/* over retention_bytes already: do not wait up to a minute */
	if (cam->cc->retention_bytes > 0 &&
	    cam->swept_bytes + cam->bytes_since_sweep > cam->cc->retention_bytes)
		on_retention(cam);
}

static void close_open_segment(struct camera *cam, int64_t end_ms)
{
	if (!cam->open_path)
		return;
	index_segment(cam, cam->open_path, cam->open_start_ms, end_ms);
	g_clear_pointer(&cam->open_path, g_free);
}

static void on_fragment(struct camera *cam, const GstStructure *s, bool opened)
{
	const char *location = gst_structure_get_string(s, "location");
	GstClockTime running = GST_CLOCK_TIME_NONE;
	int64_t wall;

	if (!location || !gst_structure_get_clock_time(s, "running-time", &running))
		return;
	wall = running_to_wall_ms(cam, running);
	if (opened) {
		close_open_segment(cam, wall); /* a closed message we never saw */
		cam->open_path = g_strdup(location);
		cam->open_start_ms = wall;
	} else if (cam->open_path && !strcmp(cam->open_path, location)) {
		close_open_segment(cam, wall);
	}
}

/* --- snapshots (main loop) ------------------------------------------- */

static void snap_answer(struct camera *cam, struct snap_request *r, const char *path,
			int64_t wall_ms, const char *why)
{
	r->fn(r->ctx, cam, path, wall_ms, why);
	g_free(r->path);
	g_free(r);
}

/* Fail every pending request. The queue is emptied first: a callback may
 * ask again. */
static void snap_fail_all(struct camera *cam, const char *why)
{
	GQueue q = cam->snaps;
	struct snap_request *r;
	int64_t now = clock_wall_ms();

	g_queue_init(&cam->snaps);
	atomic_store(&cam->snap_gate, SNAP_IDLE);
	while ((r = g_queue_pop_head(&q))) {
		log_debug("camera '%s': snapshot '%s' failed: %s", cam->cc->id, r->path, why);
		snap_answer(cam, r, NULL, now, why);
	}
}

/* Fail requests past their deadline; shut the gate when none is left. */
static void snap_expire(struct camera *cam)
{
	int64_t now = mono_ms();
	GQueue expired = G_QUEUE_INIT;
	struct snap_request *r;
	char why[96];

	for (GList *l = cam->snaps.head, *next; l; l = next) {
		next = l->next;
		r = l->data;
		if (r->deadline_ms <= now) {
			g_queue_unlink(&cam->snaps, l);
			g_queue_push_tail_link(&expired, l);
		}
	}
	if (g_queue_is_empty(&cam->snaps))
		atomic_store(&cam->snap_gate, SNAP_IDLE);
	while ((r = g_queue_pop_head(&expired))) {
		snprintf(why, sizeof why, "no picture decoded within %lld ms",
			 (long long)MAX(SNAPSHOT_MIN_WAIT_MS, cam->cc->no_frames_timeout_ms));
		log_warn("camera '%s': snapshot '%s' failed: %s", cam->cc->id, r->path, why);
		snap_answer(cam, r, NULL, clock_wall_ms(), why);
	}
}

/* Why a snapshot cannot be had now (into why[n]), or false. */
static bool snap_unavailable(struct camera *cam, char *why, size_t n)
{
	if (cam->state == CAMERA_DISABLED)
		snprintf(why, n, "outside the recording schedule");
	else if (cam->state == CAMERA_OFFLINE || !cam->pipeline)
		snprintf(why, n, "the camera is offline%s%s", cam->why[0] ? ": " : "", cam->why);
	else if (!cam->snap_bin || atomic_load(&cam->snap_broken))
		snprintf(why, n, "snapshots do not work on this camera (see the log)");
	else
		return false;
	return true;
}

static gboolean on_snap_idle(gpointer data)
{
	struct camera *cam = data;
	char why[sizeof cam->why + 64];

	cam->snap_idle = 0;
	if (snap_unavailable(cam, why, sizeof why))
		snap_fail_all(cam, why);
	return G_SOURCE_REMOVE;
}

int camera_snapshot(struct camera *cam, const char *path, camera_snapshot_fn fn, void *ctx)
{
	struct snap_request *r;
	int idle = SNAP_IDLE;
	char why[sizeof cam->why + 64];

	if (!cam->can_snapshot)
		return -ENOTSUP;
	r = g_new(struct snap_request, 1);
	r->path = g_strdup(path);
	r->fn = fn;
	r->ctx = ctx;
	r->asked_us = g_get_monotonic_time();
	r->deadline_ms = mono_ms() + MAX(SNAPSHOT_MIN_WAIT_MS, cam->cc->no_frames_timeout_ms);
	g_queue_push_tail(&cam->snaps, r);
	if (snap_unavailable(cam, why, sizeof why)) {
		if (!cam->snap_idle)
			cam->snap_idle = g_idle_add(on_snap_idle, cam);
		return 0;
	}
	/* already ARMED: that key frame is still to come; PASSING: on_jpeg
	 * arms again for the requests its frame is too old for */
	atomic_compare_exchange_strong(&cam->snap_gate, &idle, SNAP_ARMED);
	return 0;
}

/* Write data to path.tmp, then rename: path is whole or absent. */
static int write_file(const char *path, const void *data, size_t len)
{
	char *tmp = g_strconcat(path, ".tmp", NULL);
	FILE *f = fopen(tmp, "wb");
	int rc = 0;

	if (!f) {
		rc = -errno;
		goto out_free;
	}
	if (fwrite(data, 1, len, f) != len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		g_unlink(tmp);
out_free:
	g_free(tmp);
	return rc;
}

static void on_jpeg(struct camera *cam, struct delivery *d)
{
	GQueue served = G_QUEUE_INIT;
	struct snap_request *r;
	int64_t wall = mono_to_wall_ms(d->frame_us / 1000);
	GstMapInfo map;
	char why[512];
	int idle = SNAP_IDLE;

	for (GList *l = cam->snaps.head, *next; l; l = next) {
		next = l->next;
		r = l->data;
		if (r->asked_us <= d->frame_us) {
			g_queue_unlink(&cam->snaps, l);
			g_queue_push_tail_link(&served, l);
		}
	}
	/* asked after that key frame went by: the next one */
	if (!g_queue_is_empty(&cam->snaps))
		atomic_compare_exchange_strong(&cam->snap_gate, &idle, SNAP_ARMED);
	if (g_queue_is_empty(&served))
		return;
	if (!gst_buffer_map(d->buf, &map, GST_MAP_READ)) {
		while ((r = g_queue_pop_head(&served)))
			snap_answer(cam, r, NULL, clock_wall_ms(),
				    "cannot read the encoded picture");
		return;
	}
	while ((r = g_queue_pop_head(&served))) {
		int rc = write_file(r->path, map.data, map.size);

		if (rc) {
			snprintf(why, sizeof why, "cannot write '%s': %s", r->path,
				 g_strerror(-rc));
			log_warn("camera '%s': snapshot failed: %s", cam->cc->id, why);
			snap_answer(cam, r, NULL, clock_wall_ms(), why);
		} else {
			log_debug("camera '%s': snapshot '%s', %zu bytes", cam->cc->id, r->path,
				  map.size);
			snap_answer(cam, r, r->path, wall, NULL);
		}
	}
	gst_buffer_unmap(d->buf, &map);
}

/* --- motion (main loop) ---------------------------------------------- */

void camera_on_motion(struct camera *cam, camera_motion_fn fn, void *ctx)
{
	cam->motion_fn = fn;
	cam->motion_ctx = ctx;
}

static void on_motion_frame(struct camera *cam, struct delivery *d)
{
	const size_t n = (size_t)MOTION_W * MOTION_H; /* GRAY8 rows of 160: no padding */
	GstMapInfo map;
	size_t changed = 0;
	double score;
	int64_t now = mono_ms();

	if (!gst_buffer_map(d->buf, &map, GST_MAP_READ))
		return;
	if (map.size < n) {
		gst_buffer_unmap(d->buf, &map);
		return;
	}
	if (!cam->motion_prev || cam->motion_prev_build != d->build) {
		if (!cam->motion_prev)
			cam->motion_prev = g_malloc(n);
		memcpy(cam->motion_prev, map.data, n);
		cam->motion_prev_build = d->build;
		gst_buffer_unmap(d->buf, &map);
		return;
	}
	for (size_t i = 0; i < n; i++)
		changed += abs((int)map.data[i] - (int)cam->motion_prev[i]) > MOTION_NOISE;
	memcpy(cam->motion_prev, map.data, n);
	gst_buffer_unmap(d->buf, &map);
	score = (double)changed / (double)n;
	if (score < cam->cc->motion_threshold)
		return;
	if (cam->motion_last_ms && now - cam->motion_last_ms < MOTION_DEBOUNCE_MS)
		return;
	cam->motion_last_ms = now;
	log_debug("camera '%s': motion, %.3f of the picture changed", cam->cc->id, score);
	if (cam->motion_fn)
		cam->motion_fn(cam->motion_ctx, cam, mono_to_wall_ms(d->frame_us / 1000), score);
}

/* --- health ---------------------------------------------------------- */

static gboolean on_rebuild(gpointer data);

/* Index what was being written (it ends at the last frame), stop the
 * pipeline. set_state(NULL) joins the streaming threads: afterwards no
 * callback of theirs can run. */
static void tear_down(struct camera *cam)
{
	int64_t last = atomic_load(&cam->last_frame_mono_ms);

	if (!cam->pipeline)
		return;
	gst_element_set_state(cam->pipeline, GST_STATE_NULL);
	if (cam->bus_watch)
		g_source_remove(cam->bus_watch);
	cam->bus_watch = 0;
	close_open_segment(cam, last ? mono_to_wall_ms(last) : 0);
	gst_object_unref(cam->pipeline);
	cam->pipeline = NULL;
	cam->mux = cam->tee = cam->snap_bin = cam->motion_bin = cam->motion_queue = NULL;
}

static void go_offline(struct camera *cam, const char *why)
{
	int64_t last = atomic_load(&cam->last_frame_mono_ms);
	int64_t when = last ? mono_to_wall_ms(last) : clock_wall_ms();
	char snap_why[sizeof cam->why + 64];

	tear_down(cam);
	snprintf(cam->why, sizeof cam->why, "%s", why);
	if (cam->state != CAMERA_OFFLINE) {
		log_warn("camera '%s' offline: %s; reconnecting in %lld ms", cam->cc->id, why,
			 (long long)cam->backoff_ms);
		cam->state = CAMERA_OFFLINE;
		cam->fn(cam->ctx, cam, false, when, why);
	} else {
		log_debug("camera '%s' still offline: %s; next try in %lld ms", cam->cc->id, why,
			  (long long)cam->backoff_ms);
	}
	if (!cam->rebuild_source)
		cam->rebuild_source = g_timeout_add((guint)cam->backoff_ms, on_rebuild, cam);
	cam->backoff_ms = MIN(cam->backoff_ms * 2, BACKOFF_MAX_MS);
	snprintf(snap_why, sizeof snap_why, "the camera is offline: %s", cam->why);
	snap_fail_all(cam, snap_why);
}

static gboolean on_rebuild(gpointer data)
{
	struct camera *cam = data;

	cam->rebuild_source = 0;
	if (build(cam) != 0)
		go_offline(cam, "cannot build the pipeline");
	return G_SOURCE_REMOVE;
}

static gboolean on_health(gpointer data)
{
	struct camera *cam = data;
	int64_t now = mono_ms(), last = atomic_load(&cam->last_frame_mono_ms);
	int64_t timeout = cam->cc->no_frames_timeout_ms;
	char why[96];

	if (!g_queue_is_empty(&cam->snaps))
		snap_expire(cam);
	if (!cam->pipeline)
		return G_SOURCE_CONTINUE; /* waiting for the rebuild, or disabled */
	if (last && cam->state != CAMERA_RECORDING && now - last < timeout) {
		int codec = atomic_load(&cam->codec);

		log_info("camera '%s' recording %s", cam->cc->id,
			 codec == CODEC_H265 ? "H.265" : "H.264");
		cam->state = CAMERA_RECORDING;
		cam->backoff_ms = BACKOFF_FIRST_MS;
		cam->why[0] = '\0';
		cam->fn(cam->ctx, cam, true, mono_to_wall_ms(last), NULL);
	}
	if (now - (last ? last : cam->built_mono_ms) >= timeout) {
		snprintf(why, sizeof why, "no frames for %lld ms",
			 (long long)(now - (last ? last : cam->built_mono_ms)));
		go_offline(cam, why);
	}
	return G_SOURCE_CONTINUE;
}

/* An error of a side branch: that branch stops until the next build, the
 * recording goes on. */
static bool branch_error(struct camera *cam, GstMessage *msg, const char *why)
{
	GstObject *src = GST_MESSAGE_SRC(msg);
	char snap_why[sizeof cam->why + 64];

	if (cam->snap_bin && (src == GST_OBJECT(cam->snap_bin) ||
			      gst_object_has_as_ancestor(src, GST_OBJECT(cam->snap_bin)))) {
		atomic_store(&cam->snap_broken, true);
		log_warn("camera '%s': snapshots fail until the camera reconnects: %s", cam->cc->id,
			 why);
		snprintf(snap_why, sizeof snap_why, "cannot decode the camera's stream: %s", why);
		snap_fail_all(cam, snap_why);
		return true;
	}
	if (cam->motion_bin && (src == GST_OBJECT(cam->motion_bin) ||
				gst_object_has_as_ancestor(src, GST_OBJECT(cam->motion_bin)))) {
		atomic_store(&cam->motion_broken, true);
		log_warn("camera '%s': no motion detection until the camera reconnects: %s",
			 cam->cc->id, why);
		return true;
	}
	return false;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
	struct camera *cam = data;
	GError *err = NULL;
	char *debug = NULL;
	char why[256];

	(void)bus;
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR:
		gst_message_parse_error(msg, &err, &debug);
		snprintf(why, sizeof why, "%s", err->message);
		log_debug("camera '%s': %s (%s)", cam->cc->id, err->message, debug ? debug : "");
		g_error_free(err);
		g_free(debug);
		if (branch_error(cam, msg, why))
			break;
		cam->bus_watch = 0; /* removed by returning FALSE below */
		go_offline(cam, why);
		return G_SOURCE_REMOVE;
	case GST_MESSAGE_EOS:
		cam->bus_watch = 0;
		go_offline(cam, "the stream ended");
		return G_SOURCE_REMOVE;
	case GST_MESSAGE_ELEMENT: {
		const GstStructure *s = gst_message_get_structure(msg);

		if (s && gst_structure_has_name(s, "splitmuxsink-fragment-opened"))
			on_fragment(cam, s, true);
		else if (s && gst_structure_has_name(s, "splitmuxsink-fragment-closed"))
			on_fragment(cam, s, false);
		break;
	}
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

/* --- schedule -------------------------------------------------------- */

bool camera_in_schedule(const struct camera_config *cc, int64_t wall_ms)
{
	GDateTime *t;
	int m;

	if (cc->n_schedule == 0)
		return true;
	t = g_date_time_new_from_unix_local(wall_ms / 1000);
	if (!t)
		return true; /* out of GDateTime's range: not a time we will see */
	m = g_date_time_get_hour(t) * 60 + g_date_time_get_minute(t);
	g_date_time_unref(t);
	for (int i = 0; i < cc->n_schedule; i++) {
		int from = cc->schedule[i].from_min, to = cc->schedule[i].to_min;

		if (from < to ? m >= from && m < to : m >= from || m < to)
			return true;
	}
	return false;
}

static void start(struct camera *cam)
{
	cam->state = CAMERA_CONNECTING;
	cam->backoff_ms = BACKOFF_FIRST_MS;
	cam->why[0] = '\0';
	if (build(cam) != 0)
		go_offline(cam, "cannot build the pipeline");
}

/* Leaving the schedule is not a loss: no state callback (camera.h). */
static void stop_for_schedule(struct camera *cam)
{
	tear_down(cam);
	if (cam->rebuild_source)
		g_source_remove(cam->rebuild_source);
	cam->rebuild_source = 0;
	cam->state = CAMERA_DISABLED;
	snap_fail_all(cam, "outside the recording schedule");
}

/* Boundaries fall on whole minutes (of local time, hence of UTC too: zones
 * are whole minutes apart): check just after each. */
static gboolean on_schedule(gpointer data)
{
	struct camera *cam = data;
	int64_t now = clock_wall_ms();
	bool in = camera_in_schedule(cam->cc, now);

	if (in && cam->state == CAMERA_DISABLED) {
		log_info("camera '%s': recording hours begin", cam->cc->id);
		start(cam);
	} else if (!in && cam->state != CAMERA_DISABLED) {
		log_info("camera '%s': recording hours end", cam->cc->id);
		stop_for_schedule(cam);
	}
	cam->schedule_source = g_timeout_add((guint)(60000 - now % 60000 + 50), on_schedule, cam);
	return G_SOURCE_REMOVE;
}

/* --- retention ------------------------------------------------------- */

struct sweep {
	int64_t cutoff_ms; /* segments ending before: expired */
	int64_t total;	   /* bytes of every segment of the camera */
	int64_t excess;	   /* bytes over retention_bytes still to free (second pass) */
	GArray *ids;	   /* to delete, of int64_t */
	GArray *bytes;	   /* same order, of int64_t */
	GPtrArray *paths;  /* same order, owned */
};

static void sweep_add(struct sweep *x, const struct outbox_segment *seg)
{
	g_array_append_val(x->ids, seg->id);
	g_array_append_val(x->bytes, seg->bytes);
	g_ptr_array_add(x->paths, g_strdup(seg->path));
}

/* First pass: what age expires, and the total. */
static void collect_expired(void *ctx, const struct outbox_segment *seg)
{
	struct sweep *x = ctx;

	x->total += seg->bytes;
	if (!seg->pinned && seg->end_ms <= x->cutoff_ms)
		sweep_add(x, seg);
}

/* Second pass, oldest first: unpinned segments age left, until enough. */
static void collect_excess(void *ctx, const struct outbox_segment *seg)
{
	struct sweep *x = ctx;

	if (x->excess <= 0 || seg->pinned || seg->end_ms <= x->cutoff_ms)
		return; /* enough, pinned, or already taken by age */
	sweep_add(x, seg);
	x->excess -= seg->bytes;
}

/* Age, then retention_bytes. Pinned segments count towards the bytes but
 * are never deleted. */
static gboolean on_retention(gpointer data)
{
	struct camera *cam = data;
	int64_t cap = cam->cc->retention_bytes, deleted = 0;
	struct sweep x = { .cutoff_ms = clock_wall_ms() - cam->cc->retention_ms,
			   .ids = g_array_new(FALSE, FALSE, sizeof(int64_t)),
			   .bytes = g_array_new(FALSE, FALSE, sizeof(int64_t)),
			   .paths = g_ptr_array_new_with_free_func(g_free) };
	guint n_aged;

	/* with a byte cap the total counts, hence every segment */
	if (outbox_segments_between(cam->ob, cam->cc->id, INT64_MIN,
				    cap > 0 ? INT64_MAX : x.cutoff_ms, collect_expired, &x) != 0)
		goto out_free;
	n_aged = x.ids->len;
	if (cap > 0) {
		x.excess = x.total - cap;
		for (guint i = 0; i < n_aged; i++)
			x.excess -= g_array_index(x.bytes, int64_t, i);
		if (x.excess > 0)
			outbox_segments_between(cam->ob, cam->cc->id, INT64_MIN, INT64_MAX,
						collect_excess, &x);
		if (x.excess > 0 && !cam->pinned_over)
			log_warn("camera '%s': %lld bytes over retention_bytes are held by unsent "
				 "clips (pinned)",
				 cam->cc->id, (long long)x.excess);
		cam->pinned_over = x.excess > 0;
	}
	for (guint i = 0; i < x.ids->len; i++) {
		const char *path = g_ptr_array_index(x.paths, i);

		/* the file first: a row without a file would promise video */
		if (g_unlink(path) != 0 && errno != ENOENT) {
			log_warn("camera '%s': cannot delete segment '%s': %s", cam->cc->id, path,
				 g_strerror(errno));
			continue;
		}
		if (outbox_segment_delete(cam->ob, g_array_index(x.ids, int64_t, i)) == 0)
			deleted += g_array_index(x.bytes, int64_t, i);
	}
	if (x.ids->len)
		log_debug("camera '%s': %u expired and %u segments over retention_bytes deleted",
			  cam->cc->id, n_aged, x.ids->len - n_aged);
	cam->swept_bytes = x.total - deleted;
	cam->bytes_since_sweep = 0;
out_free:
	g_array_free(x.ids, TRUE);
	g_array_free(x.bytes, TRUE);
	g_ptr_array_free(x.paths, TRUE);
	return G_SOURCE_CONTINUE;
}

/* --- life cycle ------------------------------------------------------ */

static bool have(const char *const *need, const struct camera_config *cc, const char *what,
		 bool required)
{
	for (size_t i = 0; need[i]; i++) {
		GstElementFactory *f = gst_element_factory_find(need[i]);

		if (!f) {
			if (required)
				log_error("camera '%s': cannot %s: GStreamer element '%s' is "
					  "missing (make deps)",
					  cc->id, what, need[i]);
			else
				log_warn("camera '%s': no %s: GStreamer element '%s' is missing "
					 "(make deps)",
					 cc->id, what, need[i]);
			return false;
		}
		gst_object_unref(f);
	}
	return true;
}

static bool have_elements(struct camera *cam)
{
	static const char *const rtsp[] = { "rtspsrc",	 "rtph264depay", "rtph265depay",
					    "h264parse", "h265parse",	 "splitmuxsink",
					    "mpegtsmux", "tee",		 NULL };
	static const char *const encoded[] = {
		"x264enc", "h264parse", "videoconvert", "splitmuxsink", "mpegtsmux", "tee", NULL
	};
	/* decodebin3, not decodebin: behind a tee, decodebin's caps queries
	 * stalled the recording of RTSP pass-through (GStreamer 1.22). The
	 * decoders themselves (avdec_h264, avdec_h265) decodebin3 finds at
	 * run time; without one, the branch fails on the bus, not the recording */
	static const char *const snapshot[] = { "errorignore",	"queue",
						"decodebin3",	"videoscale",
						"videoconvert", "jpegenc",
						"fakesink",	NULL };
	static const char *const motion[] = { "errorignore", "queue",	   "decodebin3",
					      "videorate",   "videoscale", "videoconvert",
					      "fakesink",    NULL };
	const struct camera_config *cc = cam->cc;

	if (!have(cc->kind == CAMERA_RTSP ? rtsp : encoded, cc, "record", true))
		return false;
	cam->can_snapshot = have(snapshot, cc, "snapshots", false);
	cam->can_motion = cc->motion && have(motion, cc, "motion detection", false);
	return true;
}

struct camera *camera_new(const struct camera_config *cc, const char *state_dir, struct outbox *ob,
			  camera_state_fn fn, void *ctx)
{
	GError *err = NULL;
	struct camera *cam;

	if (!gst_init_check(NULL, NULL, &err)) {
		log_error("camera '%s': cannot start GStreamer: %s", cc->id, err->message);
		g_error_free(err);
		return NULL;
	}
	cam = g_new0(struct camera, 1);
	cam->cc = cc;
	cam->ob = ob;
	cam->fn = fn;
	cam->ctx = ctx;
	cam->backoff_ms = BACKOFF_FIRST_MS;
	g_queue_init(&cam->snaps);
	cam->inbox = g_async_queue_new();
	cam->dir = g_build_filename(state_dir, "video", cc->id, NULL);
	if (!have_elements(cam)) {
		camera_free(cam);
		return NULL;
	}
	if (g_mkdir_with_parents(cam->dir, 0700) != 0) {
		log_error("camera '%s': cannot create '%s': %s", cc->id, cam->dir,
			  g_strerror(errno));
		camera_free(cam);
		return NULL;
	}
	cam->health_source = g_timeout_add(HEALTH_TICK_MS, on_health, cam);
	cam->retention_source = g_timeout_add(RETENTION_MS, on_retention, cam);
	on_retention(cam);
	if (cc->n_schedule > 0) {
		cam->state = CAMERA_DISABLED;
		on_schedule(cam); /* starts when inside, and sets the timer */
		if (cam->state == CAMERA_DISABLED)
			log_info("camera '%s': outside its recording hours", cc->id);
	} else {
		start(cam);
	}
	return cam;
}

void camera_free(struct camera *cam)
{
	struct delivery *d;

	if (!cam)
		return;
	tear_down(cam);
	if (cam->health_source)
		g_source_remove(cam->health_source);
	if (cam->retention_source)
		g_source_remove(cam->retention_source);
	if (cam->rebuild_source)
		g_source_remove(cam->rebuild_source);
	if (cam->schedule_source)
		g_source_remove(cam->schedule_source);
	if (cam->snap_idle)
		g_source_remove(cam->snap_idle);
	/* the hand-over idle, if one is pending: the threads that add it are gone */
	while (g_idle_remove_by_data(cam))
		;
	snap_fail_all(cam, "the camera is stopping");
	while ((d = g_async_queue_try_pop(cam->inbox)))
		delivery_free(d);
	g_async_queue_unref(cam->inbox);
	g_free(cam->motion_prev);
	g_free(cam->open_path);
	g_free(cam->dir);
	g_free(cam);
}

const struct camera_config *camera_config(const struct camera *cam)
{
	return cam->cc;
}

const char *camera_state_name(const struct camera *cam)
{
	switch (cam->state) {
	case CAMERA_RECORDING:
		return "recording";
	case CAMERA_DISABLED:
		return "disabled";
	default:
		return "offline";
	}
}

int64_t camera_recorded_ms(const struct camera *cam)
{
	return cam->recorded_ms;
}
