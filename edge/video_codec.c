/*
 * video_codec.c — see video_codec.h.
 */
#include "video_codec.h"

#include <string.h>

enum video_codec video_pad_codec(GstPad *pad)
{
	GstCaps *caps = gst_pad_get_current_caps(pad);
	const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
	const char *media = s ? gst_structure_get_string(s, "media") : NULL;
	const char *enc = s ? gst_structure_get_string(s, "encoding-name") : NULL;
	enum video_codec codec = CODEC_NONE;

	if (media && enc && !strcmp(media, "video") && !g_ascii_strcasecmp(enc, "H264"))
		codec = CODEC_H264;
	else if (media && enc && !strcmp(media, "video") && !g_ascii_strcasecmp(enc, "H265"))
		codec = CODEC_H265;
	if (caps)
		gst_caps_unref(caps);
	return codec;
}
