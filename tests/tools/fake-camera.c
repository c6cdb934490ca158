/*
 * fake-camera — an RTSP IP camera for tests, made with gst-rtsp-server.
 *
 *   fake-camera --port P [--path /stream] [--codec h264|h265]
 *               [--width 640 --height 360 --fps 15 --bitrate 500] [--stamp]
 *
 * Serves a videotestsrc pattern with the running time burnt in
 * (timeoverlay), encoded like a real camera: x264enc tune=zerolatency or
 * x265enc, a key frame every second (key-int-max = fps), bitrate in kbit/s.
 *
 * Invariants: binds 127.0.0.1 only; prints "listening on
 * rtsp://127.0.0.1:P/stream" once clients can connect; the media is shared
 * between clients (one encoder, whoever connects); exits 0 on SIGTERM or
 * SIGINT, 1 on bad options or a failed bind. Cost: one encoder at the
 * chosen size, only while a client is connected.
 *
 * --stamp: each frame also carries the wall clock at its capture, in ms
 * since 1970, as 48 black or white 16x16 blocks (two rows of 24, most
 * significant bit first) in the top-left 384x32 pixels — a clock a page
 * can read back from the decoded picture (tests/bench/live.sh measures
 * glass-to-page latency with it). Needs --width 384 or more.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void usage(void)
{
	fprintf(stderr, "usage: fake-camera --port P [--path /stream] [--codec h264|h265] "
			"[--width W --height H --fps F --bitrate KBPS] [--stamp]\n");
}

#define STAMP_BITS  48
#define STAMP_BLOCK 16

/* Write the wall clock into the luma plane of an I420 frame (see --stamp). */
static GstPadProbeReturn on_stamp(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	int width = GPOINTER_TO_INT(data), stride = (width + 3) & ~3;
	GstBuffer *buf = gst_buffer_make_writable(gst_pad_probe_info_get_buffer(info));
	uint64_t ms = (uint64_t)(g_get_real_time() / 1000);
	GstMapInfo m;

	(void)pad;
	GST_PAD_PROBE_INFO_DATA(info) = buf;
	if (!gst_buffer_map(buf, &m, GST_MAP_WRITE))
		return GST_PAD_PROBE_OK;
	if (m.size >= (gsize)stride * 2 * STAMP_BLOCK) {
		for (int bit = 0; bit < STAMP_BITS; bit++) {
			int row = bit / 24, col = bit % 24;
			int v = (ms >> (STAMP_BITS - 1 - bit)) & 1 ? 235 : 16;

			for (int y = 0; y < STAMP_BLOCK; y++)
				memset(m.data + (size_t)(row * STAMP_BLOCK + y) * stride +
					   col * STAMP_BLOCK,
				       v, STAMP_BLOCK);
		}
	}
	gst_buffer_unmap(buf, &m);
	return GST_PAD_PROBE_OK;
}

static void on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer data)
{
	GstElement *top = gst_rtsp_media_get_element(media);
	GstElement *stamp = gst_bin_get_by_name_recurse_up(GST_BIN(top), "stamp");
	GstPad *pad;

	(void)factory;
	if (stamp) {
		pad = gst_element_get_static_pad(stamp, "src");
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_stamp, data, NULL);
		gst_object_unref(pad);
		gst_object_unref(stamp);
	}
	gst_object_unref(top);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'a' },
		{ "codec", required_argument, NULL, 'c' },
		{ "width", required_argument, NULL, 'w' },
		{ "height", required_argument, NULL, 'h' },
		{ "fps", required_argument, NULL, 'f' },
		{ "bitrate", required_argument, NULL, 'b' },
		{ "stamp", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int port = -1, width = 640, height = 360, fps = 15, bitrate = 500;
	const char *path = "/stream", *codec = "h264";
	bool stamp = false;
	int c;

	gst_init(&argc, &argv);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'a':
			path = optarg;
			break;
		case 'c':
			codec = optarg;
			break;
		case 'w':
			width = atoi(optarg);
			break;
		case 'h':
			height = atoi(optarg);
			break;
		case 'f':
			fps = atoi(optarg);
			break;
		case 'b':
			bitrate = atoi(optarg);
			break;
		case 's':
			stamp = true;
			break;
		default:
			usage();
			return 1;
		}
	}
	if (port < 1 || port > 65535 || path[0] != '/' || width < 16 || height < 16 || fps < 1 ||
	    fps > 120 || bitrate < 16 || (stamp && width < 24 * STAMP_BLOCK)) {
		usage();
		return 1;
	}
	bool h265 = strcmp(codec, "h265") == 0;
	if (!h265 && strcmp(codec, "h264") != 0) {
		usage();
		return 1;
	}

	/* config-interval=-1: SPS/PPS with every key frame, so a client that
	 * joins late (a box reconnecting) can start at the next key frame. */
	char *launch;
	if (h265)
		launch = g_strdup_printf(
		    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=%d,height=%d,"
		    "framerate=%d/1 ! timeoverlay font-desc=\"Sans 24\" ! videoconvert ! "
		    "video/x-raw,format=I420 ! identity name=stamp ! "
		    "x265enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
		    "key-int-max=%d ! h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1 )",
		    width, height, fps, bitrate, fps);
	else
		launch = g_strdup_printf(
		    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=%d,height=%d,"
		    "framerate=%d/1 ! timeoverlay font-desc=\"Sans 24\" ! videoconvert ! "
		    "video/x-raw,format=I420 ! identity name=stamp ! "
		    "x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d ! "
		    "video/x-h264,profile=baseline ! h264parse ! "
		    "rtph264pay name=pay0 pt=96 config-interval=-1 )",
		    width, height, fps, bitrate, fps);

	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	GstRTSPServer *server = gst_rtsp_server_new();
	char service[8];
	snprintf(service, sizeof service, "%d", port);
	gst_rtsp_server_set_address(server, "127.0.0.1");
	gst_rtsp_server_set_service(server, service);

	GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new();
	gst_rtsp_media_factory_set_launch(factory, launch);
	gst_rtsp_media_factory_set_shared(factory, TRUE);
	if (stamp)
		g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure),
				 GINT_TO_POINTER(width));
	GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(server);
	gst_rtsp_mount_points_add_factory(mounts, path, factory);
	g_object_unref(mounts);
	g_free(launch);

	if (gst_rtsp_server_attach(server, NULL) == 0) {
		fprintf(stderr, "fake-camera: cannot listen on 127.0.0.1:%d: address in use?\n",
			port);
		return 1;
	}
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	printf("listening on rtsp://127.0.0.1:%d%s\n", port, path);
	fflush(stdout);
	g_main_loop_run(loop);
	g_object_unref(server);
	g_main_loop_unref(loop);
	return 0;
}
