/*
 * web_assets.h — the regulators' page (the files of cloud/web/) compiled into
 * bk-collector: tools/web-embed generates BUILD/gen/web_assets.c with one
 * entry per file, in no particular order. Read-only, any thread.
 */
#ifndef BK_WEB_ASSETS_H
#define BK_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *name; /* file name, e.g. "app.js" */
	const unsigned char *data;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
