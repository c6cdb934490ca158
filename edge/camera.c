/*
 * camera.c — see camera.h.
 *
 * Pipelines:
 *   rtsp  rtspsrc (tcp) ⇢ rtph264depay|rtph265depay ! h264parse|h265parse ! splitmuxsink
 *         (the depayloader is chosen from the pad's encoding-name when
 *         rtspsrc adds it; nothing is decoded)
 *   v4l2  v4l2src ! videoconvert ! x264enc ! h264parse ! splitmuxsink
 *   test  videotestsrc ! x264enc ! h264parse ! splitmuxsink
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
 * Invariants: at most one pipeline per camera; every segment file that
 * was closed, or open when the pipeline was torn down, is indexed once.
 * Cost: passing through costs a parser and a muxer per camera, ~1–2 % of
 * a core for a 640x360 stream; one health tick every 500 ms and one
 * retention pass a minute.
 */
#include "camera.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clock.h"
#include "log.h"

#define HEALTH_TICK_MS	 500
#define RETENTION_MS	 60000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS	 30000

enum camera_state { CAMERA_CONNECTING, CAMERA_RECORDING, CAMERA_OFFLINE };

enum camera_codec { CODEC_NONE, CODEC_H264, CODEC_H265 };

struct camera {
	const struct camera_config *cc;
	struct outbox *ob;
	camera_state_fn fn;
	void *ctx;
	char *dir; /* STATE_DIR/video/<id> */

	GstElement *pipeline; /* NULL between a tear-down and the next build */
	GstElement *mux;      /* the splitmuxsink, owned by the pipeline */
	guint bus_watch, health_source, rebuild_source, retention_source;
	int64_t built_mono_ms; /* when the current pipeline was built */
	int64_t backoff_ms;
	enum camera_state state;
	int64_t recorded_ms;

	/* the segment splitmuxsink is writing, from its fragment-opened message */
	char *open_path;
	int64_t open_start_ms;

	/* written by streaming threads, read on the main loop */
	_Atomic int64_t last_frame_mono_ms; /* 0: no frame since the build */
	_Atomic int codec;		    /* enum camera_codec linked, RTSP */
};

static int64_t mono_ms(void)
{
	return g_get_monotonic_time() / 1000; /* CLOCK_MONOTONIC, as GstSystemClock */
}

static int64_t mono_to_wall_ms(int64_t mono)
{
	return mono + (g_get_real_time() / 1000 - mono_ms());
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

static bool link_to_mux(struct camera *cam, GstElement *parse)
{
	GstPad *src = gst_element_get_static_pad(parse, "src");
	GstPad *sink = gst_element_request_pad_simple(cam->mux, "video");
	bool ok = sink && gst_pad_link(src, sink) == GST_PAD_LINK_OK;

	gst_object_unref(src);
	if (sink)
		gst_object_unref(sink);
	return ok;
}

/* rtspsrc adds a pad per stream once the session is set up (streaming
 * thread). The first H.264 or H.265 video stream is recorded; others
 * (audio, metadata) are left unlinked. Only the atomics of cam are touched. */
static void on_rtsp_pad(GstElement *src, GstPad *pad, gpointer data)
{
	struct camera *cam = data;
	GstCaps *caps = gst_pad_get_current_caps(pad);
	const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
	const char *media = s ? gst_structure_get_string(s, "media") : NULL;
	const char *enc = s ? gst_structure_get_string(s, "encoding-name") : NULL;
	enum camera_codec codec = CODEC_NONE;
	GstElement *depay, *parse;
	GstPad *sink;
	int none = CODEC_NONE;

	(void)src;
	if (media && enc && !strcmp(media, "video") && !g_ascii_strcasecmp(enc, "H264"))
		codec = CODEC_H264;
	else if (media && enc && !strcmp(media, "video") && !g_ascii_strcasecmp(enc, "H265"))
		codec = CODEC_H265;
	if (caps)
		gst_caps_unref(caps);
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
	/* a camera that sends parameter sets only once must not starve later segments */
	g_object_set(parse, "config-interval", -1, NULL);
	gst_bin_add_many(GST_BIN(cam->pipeline), depay, parse, NULL);
	gst_element_link(depay, parse);
	link_to_mux(cam, parse);
	watch_frames(cam, parse);
	gst_element_sync_state_with_parent(parse);
	gst_element_sync_state_with_parent(depay);
	sink = gst_element_get_static_pad(depay, "sink");
	gst_pad_link(pad, sink);
	gst_object_unref(sink);
}

/* The encoding branch for V4L2 and the test pattern: fixed text, the device
 * is set as a property afterwards (never spliced into the description). */
static GstElement *encoded_source(const struct camera_config *cc)
{
	const char *desc =
	    cc->kind == CAMERA_TEST
		? "videotestsrc is-live=true pattern=smpte ! "
		  "video/x-raw,width=640,height=360,framerate=15/1 ! "
		  "x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=15 ! "
		  "h264parse name=parse"
		: "v4l2src name=src ! videoconvert ! "
		  "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=25 ! "
		  "h264parse name=parse";
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

static int build(struct camera *cam)
{
	const struct camera_config *cc = cam->cc;
	int64_t now_wall = clock_wall_ms();
	GstElement *muxer = gst_element_factory_make("mpegtsmux", NULL);
	GstClock *clock;
	GstBus *bus;
	char *location;

	cam->pipeline = gst_pipeline_new(cc->id);
	cam->mux = gst_element_factory_make("splitmuxsink", NULL);
	if (!cam->pipeline || !cam->mux || !muxer)
		goto out_fail;
	location = g_strdup_printf("%s/%lld-%%06d.ts", cam->dir, (long long)now_wall);
	/* splitmuxsink cuts one GOP early when segment is an exact multiple of
	 * the GOP (2 s segments of 1 s GOPs came out 1 s long): a small margin
	 * keeps whole GOPs up to segment in a file */
	g_object_set(cam->mux, "muxer", muxer, "location", location, "max-size-time",
		     (guint64)(cc->segment_ms + CLAMP(cc->segment_ms / 20, 100, 500)) * GST_MSECOND,
		     NULL);
	muxer = NULL; /* the splitmuxsink took it */
	g_free(location);
	gst_bin_add(GST_BIN(cam->pipeline), cam->mux);
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
		if (!gst_element_link(bin, cam->mux)) {
			log_error("camera '%s': cannot link the source to the recorder", cc->id);
			goto out_fail;
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
	if (outbox_segment_add(cam->ob, cam->cc->id, start_ms, end_ms, path, (int64_t)st.st_size))
		log_error("camera '%s': cannot index segment '%s'; the file stays unindexed",
			  cam->cc->id, path);
	else
		cam->recorded_ms += end_ms - start_ms;
	log_debug("camera '%s': segment %s, %lld ms, %lld bytes", cam->cc->id, path,
		  (long long)(end_ms - start_ms), (long long)st.st_size);
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
	cam->mux = NULL;
}

static void go_offline(struct camera *cam, const char *why)
{
	int64_t last = atomic_load(&cam->last_frame_mono_ms);
	int64_t when = last ? mono_to_wall_ms(last) : clock_wall_ms();

	tear_down(cam);
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

	if (!cam->pipeline)
		return G_SOURCE_CONTINUE; /* waiting for the rebuild */
	if (last && cam->state != CAMERA_RECORDING && now - last < timeout) {
		int codec = atomic_load(&cam->codec);

		log_info("camera '%s' recording %s", cam->cc->id,
			 codec == CODEC_H265 ? "H.265" : "H.264");
		cam->state = CAMERA_RECORDING;
		cam->backoff_ms = BACKOFF_FIRST_MS;
		cam->fn(cam->ctx, cam, true, mono_to_wall_ms(last), NULL);
	}
	if (now - (last ? last : cam->built_mono_ms) >= timeout) {
		snprintf(why, sizeof why, "no frames for %lld ms",
			 (long long)(now - (last ? last : cam->built_mono_ms)));
		go_offline(cam, why);
	}
	return G_SOURCE_CONTINUE;
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

/* --- retention ------------------------------------------------------- */

struct expired {
	GArray *ids;	  /* of int64_t */
	GPtrArray *paths; /* same order, owned */
	int64_t cutoff_ms;
};

static void collect_expired(void *ctx, const struct outbox_segment *seg)
{
	struct expired *x = ctx;

	if (seg->end_ms > x->cutoff_ms || seg->pinned)
		return;
	g_array_append_val(x->ids, seg->id);
	g_ptr_array_add(x->paths, g_strdup(seg->path));
}

static gboolean on_retention(gpointer data)
{
	struct camera *cam = data;
	struct expired x = { g_array_new(FALSE, FALSE, sizeof(int64_t)),
			     g_ptr_array_new_with_free_func(g_free),
			     clock_wall_ms() - cam->cc->retention_ms };

	if (outbox_segments_between(cam->ob, cam->cc->id, INT64_MIN, x.cutoff_ms, collect_expired,
				    &x) == 0) {
		for (guint i = 0; i < x.ids->len; i++) {
			const char *path = g_ptr_array_index(x.paths, i);

			/* the file first: a row without a file would promise video */
			if (g_unlink(path) != 0 && errno != ENOENT) {
				log_warn("camera '%s': cannot delete expired segment '%s': %s",
					 cam->cc->id, path, g_strerror(errno));
				continue;
			}
			outbox_segment_delete(cam->ob, g_array_index(x.ids, int64_t, i));
		}
		if (x.ids->len)
			log_debug("camera '%s': %u expired segments deleted", cam->cc->id,
				  x.ids->len);
	}
	g_array_free(x.ids, TRUE);
	g_ptr_array_free(x.paths, TRUE);
	return G_SOURCE_CONTINUE;
}

/* --- life cycle ------------------------------------------------------ */

static bool have_elements(const struct camera_config *cc)
{
	static const char *const rtsp[] = { "rtspsrc",	    "rtph264depay",
					    "rtph265depay", "h264parse",
					    "h265parse",    "splitmuxsink",
					    "mpegtsmux",    NULL };
	static const char *const encoded[] = { "x264enc",      "h264parse", "videoconvert",
					       "splitmuxsink", "mpegtsmux", NULL };
	const char *const *need = cc->kind == CAMERA_RTSP ? rtsp : encoded;

	for (size_t i = 0; need[i]; i++) {
		GstElementFactory *f = gst_element_factory_find(need[i]);

		if (!f) {
			log_error("camera '%s': cannot record: GStreamer element '%s' is missing "
				  "(make deps)",
				  cc->id, need[i]);
			return false;
		}
		gst_object_unref(f);
	}
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
	if (!have_elements(cc))
		return NULL;
	cam = g_new0(struct camera, 1);
	cam->cc = cc;
	cam->ob = ob;
	cam->fn = fn;
	cam->ctx = ctx;
	cam->backoff_ms = BACKOFF_FIRST_MS;
	cam->dir = g_build_filename(state_dir, "video", cc->id, NULL);
	if (g_mkdir_with_parents(cam->dir, 0700) != 0) {
		log_error("camera '%s': cannot create '%s': %s", cc->id, cam->dir,
			  g_strerror(errno));
		camera_free(cam);
		return NULL;
	}
	cam->health_source = g_timeout_add(HEALTH_TICK_MS, on_health, cam);
	cam->retention_source = g_timeout_add(RETENTION_MS, on_retention, cam);
	on_retention(cam);
	if (build(cam) != 0)
		go_offline(cam, "cannot build the pipeline");
	return cam;
}

void camera_free(struct camera *cam)
{
	if (!cam)
		return;
	tear_down(cam);
	if (cam->health_source)
		g_source_remove(cam->health_source);
	if (cam->retention_source)
		g_source_remove(cam->retention_source);
	if (cam->rebuild_source)
		g_source_remove(cam->rebuild_source);
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
	return cam->state == CAMERA_RECORDING ? "recording" : "offline";
}

int64_t camera_recorded_ms(const struct camera *cam)
{
	return cam->recorded_ms;
}
