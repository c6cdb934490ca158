/*
 * clipstore.h — the collector's clip store: reassembles a clip from its
 * chunks, checks each chunk and the whole file against the (signed)
 * manifest, and keeps verified clips content-addressed:
 * ROOT/<first two hex digits>/<sha256>.<ext>. A clip that two events share is
 * stored once.
 *
 * Assembly state (which chunks are in) lives in memory; the chunks
 * themselves go straight to ROOT/tmp/<box>/<clip>.part. After a collector
 * restart an unfinished assembly starts over when its manifest comes again
 * (the box resends what is not acked verified). One thread.
 */
#ifndef BK_CLIPSTORE_H
#define BK_CLIPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIPSTORE_MAX_CHUNKS	 100000
#define CLIPSTORE_MAX_CHUNK_SIZE (1 << 20)

struct clip_spec {
	const char *box;
	const char *clip_id;
	int64_t bytes;
	int chunk_size;
	int chunk_count;
	const char *sha256;		 /* of the whole file, 64 hex */
	const char *const *chunk_sha256; /* chunk_count entries, 64 hex each */
	const char *ext;		 /* file name extension: "ts", "jpg"; NULL: "ts" */
};

enum chunk_result { CHUNK_STORED = 0, CHUNK_DUPLICATE = 1 };

struct clipstore;

/* Open (creating ROOT and ROOT/tmp). NULL with the reason in err[errlen]. */
struct clipstore *clipstore_open(const char *root, char *err, size_t errlen);
void clipstore_close(struct clipstore *cs);

/* Start assembling the clip of spec (copied), or do nothing if it already is
 * being assembled with the same spec. -EINVAL for an impossible spec (sizes
 * that do not add up, too many chunks), -EEXIST when a different spec holds
 * the same (box, clip) id. */
int clipstore_expect(struct clipstore *cs, const struct clip_spec *spec);

/* Store chunk n. CHUNK_STORED or CHUNK_DUPLICATE; -ENOENT when no manifest
 * announced the clip, -ERANGE for n or a length that does not fit, -EBADMSG
 * when the chunk's sha256 is not the manifest's (it stays missing), -EIO. */
int clipstore_put_chunk(struct clipstore *cs, const char *box, const char *clip_id, int n,
			const void *data, size_t len);

/* Chunk numbers still missing, ascending, at most max into out (NULL when
 * max is 0); returns how many are missing in all (may exceed max).
 * -ENOENT if unknown. */
int clipstore_missing(struct clipstore *cs, const char *box, const char *clip_id, int *out,
		      int max);

/* The clip's number of chunks, -ENOENT if unknown. */
int clipstore_chunk_count(struct clipstore *cs, const char *box, const char *clip_id);

/* When every chunk is in: check the whole file's sha256 and move it to its
 * content address (newly allocated path in *path, g_free). 0 verified,
 * -EAGAIN chunks missing, -EBADMSG the whole does not hash to the manifest's
 * sha256 (assembly restarts: every chunk is missing again), -ENOENT, -EIO. */
int clipstore_finish(struct clipstore *cs, const char *box, const char *clip_id, char **path);

#endif
