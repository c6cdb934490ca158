/*
 * live.c — see live.h.
 *
 * Pipelines:
 *   rtsp h264  rtspsrc (tcp, latency 200 ms) ⇢ rtph264depay ! h264parse ! [head]
 *   rtsp h265  rtspsrc ⇢ rtph265depay ! h265parse ! avdec_h265 ! videoscale
 *              ! videoconvert ! capsfilter (size) ! x264enc ! h264parse ! [head]
 *   test       videotestsrc ! timeoverlay ! clockoverlay ! x264enc ! h264parse ! [head]
 *   [head] capsfilter (H.264 avc, whole frames) ! mp4mux (fragmented) ! fakesink [post]
 * The depayloading branch is chosen from the encoding-name of the pad
 * rtspsrc adds, as camera.c does. The transcoder's size is set when the
 * decoder announces its caps (a pad probe): transcode_width or the
 * camera's own width if smaller, the height from the display aspect,
 * rounded to even. The encoder is asked for a key frame a second by
 * force-key-unit events (timestamps, not frame counts: RTSP caps rarely
 * carry a frame rate).
 *
 * mp4mux in fragmented mode (fragment-duration > 0; GStreamer 1.22
 * gst_qt_mux_pad_fragment_add_buffer) closes the fragment being built
 * before a sample when the sample is a sync sample (every key frame) or
 * when the sample's duration would take the fragment past
 * fragment-duration. Fragments therefore start at every key frame, and
 * between key frames every ~fragment_ms (a group of 15 frames at 15/s
 * with 500 ms comes out as 7 + 7 + 1 frames). streamable=true: no mfra
 * index grows with the stream and nothing is rewritten at the end. The
 * muxer pushes the moof, the mdat's 8-byte header and each sample as
 * separate buffers (and ftyp, moov separately at the start), and keeps
 * one sample back (its duration is the next one's DTS minus its own): one
 * frame of latency. [post] (a probe on the fakesink's pad, streaming
 * thread) hands each buffer to the main loop through an async queue and
 * one idle source, where they are cut into top-level boxes and grouped:
 * ftyp + moov into the init chunk, each moof with its mdat into a
 * fragment chunk; anything else (mfra, free) is dropped. A fragment's kind
 * comes from its first sample's flags (trun first-sample-flags, per-sample
 * flags, tfhd or trex defaults: sample_is_non_sync_sample).
 *
 * [head]'s sink pad drops everything before the first key frame: an RTSP
 * session joins a camera's stream mid-GOP, and MSE starts at a key frame.
 *
 * Invariants: end() at most once, never from live_stream_new, nothing
 * after it or after live_stream_free; chunks are whole boxes, the init
 * chunk first. Cost: see live.h; one 250 ms tick on the main loop.
 */
#include "live.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gst/gst.h>

#include "log.h"
#include "video_codec.h"

#define TICK_MS		    250
#define RTSP_LATENCY_MS	    200
#define DEFAULT_WIDTH	    640
#define DEFAULT_KBPS	    500
#define DEFAULT_FRAGMENT_MS 500
#define DEFAULT_TIMEOUT_MS  5000
#define MAX_BACKLOG	    (32 * 1024 * 1024) /* bytes waiting for the main loop */
#define SAMPLE_NON_SYNC	    0x00010000u	       /* ISO/IEC 14496-12 sample_flags */


struct live_stream {
	const struct camera_config *cc;
	struct live_options o;
	live_chunk_fn chunk;
	live_end_fn end;
	void *ctx;
	const char *uri; /* RTSP: the source; NULL: the test pattern */
	char *secret;	 /* the URI's password, kept out of every message; or NULL */
	bool can_transcode;

	GstElement *pipeline; /* NULL once stopped */
	GstElement *head;     /* owned by the pipeline */
	GstElement *src;      /* rtspsrc or the test source, owned by the pipeline */
	guint bus_watch, tick;
	int64_t started_ms, last_chunk_ms; /* monotonic */

	/* box assembly (main loop) */
	GByteArray *pending; /* muxer output not yet a whole box */
	GByteArray *group;   /* ftyp (+ moov), or a moof waiting for its mdat */
	enum live_chunk_kind group_kind;
	bool init_sent;
	uint32_t trex_flags; /* default_sample_flags from the init segment */
	int64_t bytes;

	bool ended;	  /* end() called, or the stream stopped for it */
	bool dispatching; /* inside on_inbox: live_stream_free defers */
	bool freed;	  /* live_stream_free called while dispatching */

	/* hand-over from streaming threads */
	GAsyncQueue *inbox; /* of GstBuffer* */
	atomic_bool inbox_scheduled;
	_Atomic int64_t backlog; /* bytes in inbox */
	atomic_bool overflow;

	/* written by streaming threads */
	_Atomic int codec;	  /* enum video_codec of the source */
	atomic_bool keyed;	  /* the first key frame reached [head] */
	_Atomic int out_w, out_h; /* transcoded size, once known */
	int64_t forced_pts;	  /* the encoder's thread only: last key frame asked, or -1 */
};

static int64_t mono_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

/* --- messages --------------------------------------------------------- */

/* The password of rtsp://user:password@host/…, or NULL. */
static char *uri_secret(const char *uri)
{
	const char *p = uri ? strstr(uri, "://") : NULL, *at, *slash, *colon;

	if (!p)
		return NULL;
	p += 3;
	slash = strchr(p, '/');
	at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (!at)
		return NULL;
	colon = memchr(p, ':', (size_t)(at - p));
	if (!colon || colon + 1 == at)
		return NULL;
	return g_strndup(colon + 1, (size_t)(at - colon - 1));
}

/* text with every occurrence of the URI's password replaced; g_free it. */
static char *scrub(const struct live_stream *ls, const char *text)
{
	GString *s;
	const char *p, *hit;
	size_t n;

	if (!ls->secret)
		return g_strdup(text);
	s = g_string_new(NULL);
	n = strlen(ls->secret);
	for (p = text; (hit = strstr(p, ls->secret)); p = hit + n) {
		g_string_append_len(s, p, hit - p);
		g_string_append(s, "***");
	}
	g_string_append(s, p);
	return g_string_free(s, FALSE);
}

/* --- stopping ---------------------------------------------------------- */

/* set_state(NULL) joins the streaming threads: no probe runs afterwards. */
static void stop(struct live_stream *ls)
{
	if (ls->pipeline) {
		gst_element_set_state(ls->pipeline, GST_STATE_NULL);
		gst_object_unref(ls->pipeline);
		ls->pipeline = NULL;
		ls->head = ls->src = NULL;
	}
	if (ls->bus_watch)
		g_source_remove(ls->bus_watch);
	ls->bus_watch = 0;
	if (ls->tick)
		g_source_remove(ls->tick);
	ls->tick = 0;
}

/* Stop and tell the owner, once. The owner may free ls inside end():
 * callers touch nothing of ls afterwards (but on_inbox's deferred free). */
static void end_stream(struct live_stream *ls, const char *why)
{
	char *clean;

	if (ls->ended)
		return;
	ls->ended = true;
	stop(ls);
	clean = scrub(ls, why);
	log_info("camera '%s': live stream ended: %s", ls->cc->id, clean);
	ls->end(ls->ctx, ls, clean);
	g_free(clean);
}

/* --- box assembly (main loop) ----------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The size of the box at p (n bytes available) into *size and its header
 * length into *hdr: 1 when whole, 0 when more bytes are needed, -1 when
 * malformed (a size smaller than its header, or "to the end of file"). */
static int box_at(const uint8_t *p, size_t n, uint64_t *size, size_t *hdr)
{
	if (n < 8)
		return 0;
	*size = be32(p);
	*hdr = 8;
	if (*size == 1) {
		if (n < 16)
			return 0;
		*size = be64(p + 8);
		*hdr = 16;
	}
	if (*size < *hdr)
		return -1;
	return *size <= n ? 1 : 0;
}

/* The payload of the first child box of type inside [p, p+n), or NULL. */
static const uint8_t *box_child(const uint8_t *p, size_t n, const char *type, size_t *len)
{
	uint64_t size;
	size_t hdr;

	while (box_at(p, n, &size, &hdr) == 1) {
		if (!memcmp(p + 4, type, 4)) {
			*len = (size_t)size - hdr;
			return p + hdr;
		}
		p += size;
		n -= (size_t)size;
	}
	return NULL;
}

/* trex's default_sample_flags, from the moov payload (0 when absent). */
static uint32_t trex_default_flags(const uint8_t *moov, size_t n)
{
	size_t mvex_n, trex_n;
	const uint8_t *mvex = box_child(moov, n, "mvex", &mvex_n);
	const uint8_t *trex = mvex ? box_child(mvex, mvex_n, "trex", &trex_n) : NULL;

	/* version/flags, track_ID, description index, duration, size, flags */
	return trex && trex_n >= 24 ? be32(trex + 20) : 0;
}

/* Whether the fragment whose moof payload is [p, p+n) starts with a sync
 * sample (the only track's first sample). */
static bool starts_with_key(const struct live_stream *ls, const uint8_t *moof, size_t n)
{
	size_t traf_n, tfhd_n, trun_n, off;
	const uint8_t *traf = box_child(moof, n, "traf", &traf_n), *tfhd, *trun;
	uint32_t flags = ls->trex_flags, tf;

	if (!traf)
		return false;
	tfhd = box_child(traf, traf_n, "tfhd", &tfhd_n);
	if (tfhd && tfhd_n >= 8) {
		tf = be32(tfhd) & 0xffffff;
		off = 8 + (tf & 0x1 ? 8 : 0) + (tf & 0x2 ? 4 : 0) + (tf & 0x8 ? 4 : 0) +
		      (tf & 0x10 ? 4 : 0);
		if (tf & 0x20 && tfhd_n >= off + 4)
			flags = be32(tfhd + off);
	}
	trun = box_child(traf, traf_n, "trun", &trun_n);
	if (trun && trun_n >= 8) {
		tf = be32(trun) & 0xffffff;
		off = 8 + (tf & 0x1 ? 4 : 0);
		if (tf & 0x4) {
			if (trun_n >= off + 4)
				flags = be32(trun + off);
		} else if (tf & 0x400) {
			off += (tf & 0x100 ? 4 : 0) + (tf & 0x200 ? 4 : 0);
			if (trun_n >= off + 4)
				flags = be32(trun + off);
		}
	}
	return !(flags & SAMPLE_NON_SYNC);
}

/* Hand the group to the owner; false when the owner freed the stream. */
static bool deliver(struct live_stream *ls, enum live_chunk_kind kind)
{
	ls->bytes += ls->group->len;
	ls->last_chunk_ms = mono_ms();
	ls->chunk(ls->ctx, ls, kind, ls->group->data, ls->group->len);
	g_byte_array_set_size(ls->group, 0);
	return !ls->freed;
}

static void log_start(struct live_stream *ls)
{
	if (atomic_load(&ls->codec) == CODEC_H265)
		log_info("camera '%s': live stream started, H.265 transcoded to %dx%d H.264",
			 ls->cc->id, atomic_load(&ls->out_w), atomic_load(&ls->out_h));
	else if (ls->uri)
		log_info("camera '%s': live stream started, H.264 passed through", ls->cc->id);
	else
		log_info("camera '%s': live stream started, the test pattern", ls->cc->id);
}

/* One whole top-level box; false when the stream is gone or ended. */
static bool on_box(struct live_stream *ls, const uint8_t *p, size_t size, size_t hdr)
{
	const char *type = (const char *)p + 4;

	if (!ls->init_sent) {
		if (!memcmp(type, "ftyp", 4)) {
			g_byte_array_set_size(ls->group, 0);
			g_byte_array_append(ls->group, p, (guint)size);
		} else if (!memcmp(type, "moov", 4) && ls->group->len) {
			g_byte_array_append(ls->group, p, (guint)size);
			ls->trex_flags = trex_default_flags(p + hdr, size - hdr);
			ls->init_sent = true;
			log_start(ls);
			return deliver(ls, LIVE_CHUNK_INIT);
		}
		return true;
	}
	if (!memcmp(type, "moof", 4)) {
		g_byte_array_set_size(ls->group, 0);
		g_byte_array_append(ls->group, p, (guint)size);
		ls->group_kind =
		    starts_with_key(ls, p + hdr, size - hdr) ? LIVE_CHUNK_KEY : LIVE_CHUNK_DELTA;
	} else if (!memcmp(type, "mdat", 4) && ls->group->len) {
		g_byte_array_append(ls->group, p, (guint)size);
		return deliver(ls, ls->group_kind);
	}
	return true;
}

/* Cut pending into whole boxes; false when the stream is gone or ended. */
static bool assemble(struct live_stream *ls)
{
	size_t off = 0, hdr;
	uint64_t size;
	int rc;
	bool alive = true;

	while ((rc = box_at(ls->pending->data + off, ls->pending->len - off, &size, &hdr)) == 1) {
		alive = on_box(ls, ls->pending->data + off, (size_t)size, hdr);
		if (!alive)
			break;
		off += (size_t)size;
	}
	if (alive && rc < 0) {
		end_stream(ls, "the muxer produced a malformed MP4 box");
		return false;
	}
	if (alive)
		g_byte_array_remove_range(ls->pending, 0, (guint)off);
	return alive && !ls->ended;
}

static void destroy(struct live_stream *ls);

static gboolean on_inbox(gpointer data)
{
	struct live_stream *ls = data;
	GstBuffer *buf;
	GstMapInfo map;

	atomic_store(&ls->inbox_scheduled, false);
	ls->dispatching = true;
	while (!ls->ended && !ls->freed && (buf = g_async_queue_try_pop(ls->inbox))) {
		atomic_fetch_sub(&ls->backlog, (int64_t)gst_buffer_get_size(buf));
		if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
			g_byte_array_append(ls->pending, map.data, (guint)map.size);
			gst_buffer_unmap(buf, &map);
		}
		gst_buffer_unref(buf);
		if (!assemble(ls))
			break;
	}
	ls->dispatching = false;
	if (ls->freed)
		destroy(ls);
	return G_SOURCE_REMOVE;
}

/* --- streaming threads ----------------------------------------------- */

static void post(struct live_stream *ls, GstBuffer *buf)
{
	int64_t size = (int64_t)gst_buffer_get_size(buf);

	if (atomic_load(&ls->backlog) + size > MAX_BACKLOG) {
		atomic_store(&ls->overflow, true);
		return;
	}
	atomic_fetch_add(&ls->backlog, size);
	g_async_queue_push(ls->inbox, gst_buffer_ref(buf));
	if (!atomic_exchange(&ls->inbox_scheduled, true))
		g_idle_add(on_inbox, ls);
}

static gboolean post_each(GstBuffer **buf, guint i, gpointer data)
{
	(void)i;
	post(data, *buf);
	return TRUE;
}

/* [post]: what the muxer pushed, to the main loop. */
static GstPadProbeReturn on_output(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	(void)pad;
	if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
		post(data, GST_PAD_PROBE_INFO_BUFFER(info));
	else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
		gst_buffer_list_foreach(GST_PAD_PROBE_INFO_BUFFER_LIST(info), post_each, data);
	return GST_PAD_PROBE_OK;
}

/* [head]: nothing before the first key frame. */
static GstPadProbeReturn on_head(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct live_stream *ls = data;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);

	(void)pad;
	if (atomic_load(&ls->keyed))
		return GST_PAD_PROBE_OK;
	if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT))
		return GST_PAD_PROBE_DROP;
	atomic_store(&ls->keyed, true);
	return GST_PAD_PROBE_OK;
}

/* An error found on a streaming thread, onto the bus (src's name). */
static void post_error(GstElement *src, const char *what)
{
	GError *err = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND, what);

	gst_element_post_message(src, gst_message_new_error(GST_OBJECT(src), err, NULL));
	g_error_free(err);
}

/* A key frame a second from the transcoder whatever the frame rate (RTSP
 * caps rarely carry one): a force-key-unit event ahead of the first frame
 * a second after the last one asked for (the encoder's streaming thread).
 * The event is GstForceKeyUnit as gst_video_event_new_downstream_
 * force_key_unit makes it, spelled out: libgstvideo is not linked. */
static GstPadProbeReturn on_encoder_input(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct live_stream *ls = data;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	int64_t pts;
	GstStructure *s;

	if (!GST_BUFFER_PTS_IS_VALID(buf))
		return GST_PAD_PROBE_OK;
	pts = (int64_t)GST_BUFFER_PTS(buf);
	if (ls->forced_pts >= 0 && pts - ls->forced_pts < (int64_t)GST_SECOND)
		return GST_PAD_PROBE_OK;
	ls->forced_pts = pts;
	s = gst_structure_new("GstForceKeyUnit", "timestamp", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
			      "stream-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE, "running-time",
			      G_TYPE_UINT64, GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN,
			      TRUE, "count", G_TYPE_UINT, 0u, NULL);
	gst_pad_send_event(pad, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, s));
	return GST_PAD_PROBE_OK;
}

/* The decoder's caps (streaming thread): the transcoded size and the key
 * frame interval, set before the caps reach videoscale and the encoder. */
static GstPadProbeReturn on_decoded_caps(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct live_stream *ls = data;
	GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
	GstElement *dec, *bin, *size, *enc;
	const GstStructure *s;
	GstCaps *caps;
	int w = 0, h = 0, pn = 1, pd = 1, fn = 0, fd = 1, out_w, out_h, fps;
	double display_w;

	if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
		return GST_PAD_PROBE_OK;
	gst_event_parse_caps(ev, &caps);
	s = gst_caps_get_structure(caps, 0);
	if (!gst_structure_get_int(s, "width", &w) || !gst_structure_get_int(s, "height", &h) ||
	    w <= 0 || h <= 0)
		return GST_PAD_PROBE_OK;
	gst_structure_get_fraction(s, "pixel-aspect-ratio", &pn, &pd);
	gst_structure_get_fraction(s, "framerate", &fn, &fd);
	if (pn <= 0 || pd <= 0)
		pn = pd = 1;
	display_w = (double)w * pn / pd;
	out_w = MIN(ls->o.transcode_width, (int)display_w) & ~1;
	out_h = MAX(2, (int)(out_w * (double)h / display_w / 2.0 + 0.5) * 2);
	out_w = MAX(2, out_w);
	/* the forced key frames make it one a second; this only stops x264
	 * adding its own in between */
	fps = fn > 0 && fd > 0 ? (fn + fd / 2) / fd : 60;
	atomic_store(&ls->out_w, out_w);
	atomic_store(&ls->out_h, out_h);

	dec = gst_pad_get_parent_element(pad);
	bin = dec ? GST_ELEMENT(gst_object_get_parent(GST_OBJECT(dec))) : NULL;
	if (dec)
		gst_object_unref(dec);
	if (!bin)
		return GST_PAD_PROBE_OK;
	size = gst_bin_get_by_name(GST_BIN(bin), "size");
	enc = gst_bin_get_by_name(GST_BIN(bin), "enc");
	/* 4:2:0: left to negotiate, x264enc takes 4:4:4 (High 4:4:4 Predictive),
	 * which browsers do not decode */
	caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
				   G_TYPE_INT, out_w, "height", G_TYPE_INT, out_h,
				   "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
	g_object_set(size, "caps", caps, NULL);
	g_object_set(enc, "key-int-max", (guint)MAX(1, fps), NULL);
	gst_caps_unref(caps);
	gst_object_unref(size);
	gst_object_unref(enc);
	gst_object_unref(bin);
	return GST_PAD_PROBE_REMOVE;
}

/* Fixed text; sizes and rates are set as properties afterwards. */
static const char h264_desc[] = "rtph264depay ! h264parse";
static const char h265_desc[] =
    "rtph265depay ! h265parse ! avdec_h265 name=dec ! videoscale ! videoconvert ! "
    "capsfilter name=size ! "
    "x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! h264parse";

/* rtspsrc adds a pad per stream once the session is set up (streaming
 * thread): the first H.264 or H.265 video stream is linked to [head]. */
static void on_rtsp_pad(GstElement *src, GstPad *pad, gpointer data)
{
	struct live_stream *ls = data;
	enum video_codec codec = video_pad_codec(pad);
	GstElement *bin, *e;
	GstPad *sink;
	GError *err = NULL;
	int none = CODEC_NONE;

	if (codec == CODEC_NONE || !atomic_compare_exchange_strong(&ls->codec, &none, (int)codec))
		return;
	if (codec == CODEC_H265 && !ls->can_transcode) {
		post_error(src, "the camera sends H.265 and this box lacks the GStreamer elements "
				"to transcode it (make deps)");
		return;
	}
	bin =
	    gst_parse_bin_from_description(codec == CODEC_H264 ? h264_desc : h265_desc, TRUE, &err);
	if (!bin) {
		post_error(src, err->message);
		g_error_free(err);
		return;
	}
	if (codec == CODEC_H265) {
		GstPad *dec_src, *enc_sink;

		e = gst_bin_get_by_name(GST_BIN(bin), "enc");
		g_object_set(e, "bitrate", (guint)ls->o.transcode_kbps, NULL);
		enc_sink = gst_element_get_static_pad(e, "sink");
		ls->forced_pts = -1;
		gst_pad_add_probe(enc_sink, GST_PAD_PROBE_TYPE_BUFFER, on_encoder_input, ls, NULL);
		gst_object_unref(enc_sink);
		gst_object_unref(e);
		e = gst_bin_get_by_name(GST_BIN(bin), "dec");
		dec_src = gst_element_get_static_pad(e, "src");
		gst_pad_add_probe(dec_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_decoded_caps, ls,
				  NULL);
		gst_object_unref(dec_src);
		gst_object_unref(e);
	}
	gst_bin_add(GST_BIN(ls->pipeline), bin);
	if (!gst_element_link(bin, ls->head)) {
		post_error(src, "cannot link the camera's stream to the muxer");
		return;
	}
	gst_element_sync_state_with_parent(bin);
	sink = gst_element_get_static_pad(bin, "sink");
	if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
		post_error(src, "cannot link the camera's stream to the depayloader");
	gst_object_unref(sink);
}

/* Before SETUP (streaming thread): video only, audio and metadata are
 * not asked for. */
static gboolean on_select_stream(GstElement *src, guint num, GstCaps *caps, gpointer data)
{
	const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
	const char *media = s ? gst_structure_get_string(s, "media") : NULL;

	(void)src, (void)num, (void)data;
	return media && !strcmp(media, "video");
}

/* Every stream is set up (streaming thread): none was video we can use. */
static void on_no_more_pads(GstElement *src, gpointer data)
{
	struct live_stream *ls = data;

	if (atomic_load(&ls->codec) == CODEC_NONE)
		post_error(src, "the camera offers no H.264 or H.265 video");
}

/* --- main loop -------------------------------------------------------- */

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
	struct live_stream *ls = data;
	GError *err = NULL;
	char *debug = NULL, why[512];
	GstObject *src = GST_MESSAGE_SRC(msg);
	bool from_source;

	(void)bus;
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR: {
		const char *detail;

		gst_message_parse_error(msg, &err, &debug);
		/* rtspsrc's own errors before any video: it could not reach it */
		from_source = ls->uri && !ls->init_sent && atomic_load(&ls->codec) == CODEC_NONE &&
			      src && ls->src &&
			      (src == GST_OBJECT(ls->src) ||
			       gst_object_has_as_ancestor(src, GST_OBJECT(ls->src)));
		/* the debug text's last line says why ("Failed to connect. …");
		 * the lines before it are source positions and element paths */
		detail = debug ? strrchr(debug, '\n') : NULL;
		detail = detail ? detail + 1 : NULL;
		snprintf(why, sizeof why, "%s%s%s%s%s", from_source ? "camera unreachable: " : "",
			 err->message, detail && *detail ? " (" : "", detail ? detail : "",
			 detail && *detail ? ")" : "");
		{
			char *clean_debug = scrub(ls, debug ? debug : "");

			log_debug("camera '%s': live: %s (%s)", ls->cc->id, err->message,
				  clean_debug);
			g_free(clean_debug);
		}
		g_error_free(err);
		g_free(debug);
		ls->bus_watch = 0; /* removed by returning FALSE */
		end_stream(ls, why);
		return G_SOURCE_REMOVE;
	}
	case GST_MESSAGE_EOS:
		ls->bus_watch = 0;
		end_stream(ls, "the camera ended the stream");
		return G_SOURCE_REMOVE;
	default:
		return G_SOURCE_CONTINUE;
	}
}

static gboolean on_tick(gpointer data)
{
	struct live_stream *ls = data;
	int64_t now = mono_ms(), timeout = ls->o.connect_timeout_ms;
	char why[128];

	if (atomic_load(&ls->overflow)) {
		ls->tick = 0;
		end_stream(ls, "the box could not keep up with the stream");
		return G_SOURCE_REMOVE;
	}
	if (!ls->init_sent && now - ls->started_ms >= timeout) {
		if (ls->uri && atomic_load(&ls->codec) == CODEC_NONE)
			snprintf(why, sizeof why, "camera unreachable: no answer within %lld ms",
				 (long long)timeout);
		else
			snprintf(why, sizeof why, "no video from the camera within %lld ms",
				 (long long)timeout);
	} else if (ls->init_sent &&
		   now - ls->last_chunk_ms >= MAX(timeout, 4 * ls->o.fragment_ms)) {
		snprintf(why, sizeof why, "no video from the camera for %lld ms",
			 (long long)(now - ls->last_chunk_ms));
	} else {
		return G_SOURCE_CONTINUE;
	}
	ls->tick = 0;
	end_stream(ls, why);
	return G_SOURCE_REMOVE;
}

/* --- life cycle ------------------------------------------------------- */

static bool have(const char *const *need, char *err, size_t errlen, const char *what)
{
	for (size_t i = 0; need[i]; i++) {
		GstElementFactory *f = gst_element_factory_find(need[i]);

		if (!f) {
			if (err)
				snprintf(err, errlen,
					 "cannot %s: GStreamer element '%s' is missing (make deps)",
					 what, need[i]);
			return false;
		}
		gst_object_unref(f);
	}
	return true;
}

/* The test pattern: 640x360 at 15/s, running time (top left) and wall
 * clock (top right) burnt in, so the viewer can see the latency. */
static GstElement *test_source(char *err, size_t errlen)
{
	static const char desc[] =
	    "videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! "
	    "video/x-raw,width=640,height=360,framerate=15/1 ! "
	    "timeoverlay halignment=left valignment=top font-desc=\"Sans 18\" ! "
	    "clockoverlay halignment=right valignment=top font-desc=\"Sans 18\" "
	    "time-format=\"%H:%M:%S\" ! videoconvert ! video/x-raw,format=I420 ! "
	    "x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max=15 ! "
	    "h264parse";
	GError *e = NULL;
	GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &e);

	if (!bin) {
		snprintf(err, errlen, "cannot build the test source: %s", e->message);
		g_error_free(e);
	}
	return bin;
}

static void destroy(struct live_stream *ls)
{
	GstBuffer *buf;

	stop(ls);
	/* the hand-over idle, if one is pending: the threads that add it are gone */
	while (g_idle_remove_by_data(ls))
		;
	while ((buf = g_async_queue_try_pop(ls->inbox)))
		gst_buffer_unref(buf);
	g_async_queue_unref(ls->inbox);
	g_byte_array_unref(ls->pending);
	g_byte_array_unref(ls->group);
	g_free(ls->secret);
	g_free(ls);
}

void live_stream_free(struct live_stream *ls)
{
	if (!ls)
		return;
	if (ls->dispatching) {
		/* inside a chunk or end callback of on_inbox: it frees on return */
		stop(ls);
		ls->freed = true;
		return;
	}
	destroy(ls);
}

static int build(struct live_stream *ls, char *err, size_t errlen)
{
	GstElement *mux = gst_element_factory_make("mp4mux", NULL);
	GstElement *out = gst_element_factory_make("fakesink", NULL);
	GstElement *src;
	GstCaps *caps;
	GstPad *pad;
	GstBus *bus;
	char *name = g_strdup_printf("live-%s", ls->cc->id);

	ls->pipeline = gst_pipeline_new(name);
	g_free(name);
	ls->head = gst_element_factory_make("capsfilter", NULL);
	if (!ls->pipeline || !ls->head || !mux || !out) {
		snprintf(err, errlen, "cannot make the live pipeline");
		g_clear_pointer(&ls->head, gst_object_unref);
		g_clear_pointer(&mux, gst_object_unref);
		g_clear_pointer(&out, gst_object_unref);
		return -ENOMEM;
	}
	caps = gst_caps_from_string("video/x-h264,stream-format=avc,alignment=au");
	g_object_set(ls->head, "caps", caps, NULL);
	gst_caps_unref(caps);
	/* streamable is deprecated in 1.22 but still what keeps mfra out */
	g_object_set(mux, "fragment-duration", (guint)ls->o.fragment_ms, "streamable", TRUE, NULL);
	g_object_set(out, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
	gst_bin_add_many(GST_BIN(ls->pipeline), ls->head, mux, out, NULL);
	if (!gst_element_link_many(ls->head, mux, out, NULL)) {
		snprintf(err, errlen, "cannot link the muxer");
		return -EIO;
	}
	pad = gst_element_get_static_pad(ls->head, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_head, ls, NULL);
	gst_object_unref(pad);
	pad = gst_element_get_static_pad(out, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  on_output, ls, NULL);
	gst_object_unref(pad);

	if (ls->uri) {
		src = gst_element_factory_make("rtspsrc", NULL);
		if (!src) {
			snprintf(err, errlen, "cannot make rtspsrc");
			return -ENOMEM;
		}
		/* tcp as the recording: no UDP through the kitchen's NAT */
		g_object_set(src, "location", ls->uri, "protocols",
			     0x4 /* GST_RTSP_LOWER_TRANS_TCP */, "latency", RTSP_LATENCY_MS, NULL);
		g_signal_connect(src, "pad-added", G_CALLBACK(on_rtsp_pad), ls);
		g_signal_connect(src, "no-more-pads", G_CALLBACK(on_no_more_pads), ls);
		g_signal_connect(src, "select-stream", G_CALLBACK(on_select_stream), ls);
		gst_bin_add(GST_BIN(ls->pipeline), src);
		ls->src = src;
	} else {
		src = test_source(err, errlen);
		if (!src)
			return -EIO;
		gst_bin_add(GST_BIN(ls->pipeline), src);
		ls->src = src;
		if (!gst_element_link(src, ls->head)) {
			snprintf(err, errlen, "cannot link the test source");
			return -EIO;
		}
		atomic_store(&ls->codec, CODEC_H264);
	}
	bus = gst_pipeline_get_bus(GST_PIPELINE(ls->pipeline));
	ls->bus_watch = gst_bus_add_watch(bus, on_bus, ls);
	gst_object_unref(bus);
	if (gst_element_set_state(ls->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		snprintf(err, errlen, "cannot start the live pipeline");
		return -EIO;
	}
	return 0;
}

struct live_stream *live_stream_new(const struct camera_config *cc, const struct live_options *o,
				    live_chunk_fn chunk, live_end_fn end, void *ctx, char *err,
				    size_t errlen)
{
	static const char *const common[] = { "capsfilter", "mp4mux", "fakesink", NULL };
	static const char *const rtsp[] = { "rtspsrc", "rtph264depay", "h264parse", NULL };
	static const char *const transcode[] = {
		"rtph265depay", "h265parse", "avdec_h265", "videoscale",
		"videoconvert", "x264enc",   NULL
	};
	static const char *const test[] = {
		"videotestsrc", "timeoverlay", "clockoverlay", "videoconvert", "x264enc",
		"h264parse",	NULL
	};
	struct live_options defaults = { 0 };
	struct live_stream *ls;
	GError *gerr = NULL;
	char dummy[1];

	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	if (!gst_init_check(NULL, NULL, &gerr)) {
		snprintf(err, errlen, "cannot start GStreamer: %s", gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	if (cc->kind == CAMERA_V4L2 && !cc->live_source) {
		snprintf(err, errlen,
			 "camera '%s' has no live view: the recording holds its V4L2 device "
			 "(set live_source)",
			 cc->id);
		return NULL;
	}
	ls = g_new0(struct live_stream, 1);
	ls->cc = cc;
	ls->o = o ? *o : defaults;
	if (ls->o.transcode_width <= 0)
		ls->o.transcode_width = DEFAULT_WIDTH;
	ls->o.transcode_width &= ~1;
	if (ls->o.transcode_kbps <= 0)
		ls->o.transcode_kbps = DEFAULT_KBPS;
	if (ls->o.fragment_ms <= 0)
		ls->o.fragment_ms = DEFAULT_FRAGMENT_MS;
	if (ls->o.connect_timeout_ms <= 0)
		ls->o.connect_timeout_ms = DEFAULT_TIMEOUT_MS;
	ls->chunk = chunk;
	ls->end = end;
	ls->ctx = ctx;
	ls->uri = cc->live_source ? cc->live_source : cc->kind == CAMERA_RTSP ? cc->uri : NULL;
	ls->secret = uri_secret(ls->uri);
	ls->inbox = g_async_queue_new();
	ls->pending = g_byte_array_new();
	ls->group = g_byte_array_new();
	if (!have(common, err, errlen, "stream live") ||
	    !have(ls->uri ? rtsp : test, err, errlen, "stream live")) {
		destroy(ls);
		return NULL;
	}
	ls->can_transcode = ls->uri && have(transcode, NULL, 0, NULL);
	ls->started_ms = mono_ms();
	if (build(ls, err, errlen) != 0) {
		destroy(ls);
		return NULL;
	}
	ls->tick = g_timeout_add(TICK_MS, on_tick, ls);
	log_debug("camera '%s': live stream starting", cc->id);
	return ls;
}

bool live_stream_transcoding(const struct live_stream *ls)
{
	return atomic_load(&ls->codec) == CODEC_H265;
}

int64_t live_stream_bytes(const struct live_stream *ls)
{
	return ls->bytes;
}
