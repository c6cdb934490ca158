/*
 * manifest.h — the clip manifest (schemas/clip.json): the message that
 * announces a clip, lists its chunks' SHA-256 and carries the box's
 * signature and certificate. Both sides build the signed text the same
 * way here, so what the box signs is exactly what the collector checks.
 * Pure functions, thread-safe.
 */
#ifndef BK_MANIFEST_H
#define BK_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "envelope.h"
#include "jcheck.h"

struct clip_manifest {
	const char *box;			 /* the sender (envelope id) */
	const char *clip_id, *camera, *event_id; /* event_id may be NULL */
	const char *start, *end;		 /* timestamps */
	const char *mime;
	const char *sha256; /* whole file, 64 hex */
	int64_t bytes;
	int chunk_size, chunk_count;
	const char **chunks;   /* chunk_count × 64 hex */
	const char *signature; /* base64; NULL while building the text to sign */
	const char *cert;      /* PEM */
};

/* The text the signature covers: a fixed header line, the fields one per
 * line in a fixed order, then every chunk's hash. Newly allocated (g_free). */
char *manifest_signed_text(const struct clip_manifest *m);

/* The manifest message with envelope e (the caller owns it, cJSON_Delete). */
cJSON *manifest_build(const struct envelope *e, const struct clip_manifest *m);

/* Check root's clip fields and read them into m (strings point into root;
 * m->chunks is allocated: release with manifest_release). box is the
 * sender. false with jc->error naming the field. */
bool manifest_read(struct jcheck *jc, const cJSON *root, const char *box, struct clip_manifest *m);
void manifest_release(struct clip_manifest *m);

#endif
