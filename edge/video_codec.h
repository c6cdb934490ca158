/*
 * video_codec.h — which video codec an rtspsrc pad carries: shared by the
 * two GStreamer modules that take a camera's RTSP stream, the recording
 * (camera.c) and live view (live.c). Any thread (rtspsrc calls pad-added on
 * its streaming thread).
 */
#ifndef BK_VIDEO_CODEC_H
#define BK_VIDEO_CODEC_H

#include <gst/gst.h>

enum video_codec { CODEC_NONE, CODEC_H264, CODEC_H265 };

/* H.264 or H.265 when pad is an RTP video stream of that encoding;
 * CODEC_NONE for anything else (audio, metadata, other codecs). */
enum video_codec video_pad_codec(GstPad *pad);

#endif
