/*
 * fake-camera — an RTSP IP camera for tests, made with gst-rtsp-server.
 *
 *   fake-camera --port P [--path /stream] [--codec h264|h265]
 *               [--width 640 --height 360 --fps 15 --bitrate 500]
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
 */
#include <getopt.h>
#include <stdbool.h>
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
			"[--width W --height H --fps F --bitrate KBPS]\n");
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
		{ NULL, 0, NULL, 0 },
	};
	int port = -1, width = 640, height = 360, fps = 15, bitrate = 500;
	const char *path = "/stream", *codec = "h264";
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
		default:
			usage();
			return 1;
		}
	}
	if (port < 1 || port > 65535 || path[0] != '/' || width < 16 || height < 16 || fps < 1 ||
	    fps > 120 || bitrate < 16) {
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
		    "x265enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
		    "key-int-max=%d ! h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1 )",
		    width, height, fps, bitrate, fps);
	else
		launch = g_strdup_printf(
		    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=%d,height=%d,"
		    "framerate=%d/1 ! timeoverlay font-desc=\"Sans 24\" ! videoconvert ! "
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
