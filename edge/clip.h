/*
 * clip.h — a clip file built from recorded segments, without transcoding:
 * MPEG-TS segments are concatenated byte for byte (a valid TS stream), then
 * hashed whole and per chunk, so that the collector can check every chunk
 * on arrival and the whole at the end (cloud/clipstore.c).
 * Cost: one read and one write of the clip's bytes. One thread.
 */
#ifndef BK_CLIP_H
#define BK_CLIP_H

#include <stddef.h>
#include <stdint.h>

struct clip_file {
	char *path; /* owned */
	int64_t bytes;
	char sha256[65];
	int chunk_size;
	int chunk_count;
	char **chunk_sha256; /* chunk_count entries, NULL-terminated, owned */
};

/* A manifest lists every chunk's SHA-256 (67 bytes each) and must stay under
 * the collector's payload limit (256 KiB, the certificate included): at most
 * this many chunks. */
#define CLIP_MAX_CHUNKS 3000
#define CLIP_MAX_CHUNK_SIZE (1 << 20) /* an MQTT packet must carry one */

/* The chunk size for a clip of bytes: preferred, doubled until the clip
 * fits in CLIP_MAX_CHUNKS chunks; 0 when even CLIP_MAX_CHUNK_SIZE does not
 * (about 3 GB: the range must be shorter). */
int clip_chunk_size(int64_t bytes, int preferred);

/* Concatenate the n segment files into out_path and hash them. 0, or -errno
 * with the reason (naming the file) in err[errlen]; nothing is left at
 * out_path on failure. */
int clip_build(const char *const *segments, size_t n, const char *out_path, int chunk_size,
	       struct clip_file *clip, char *err, size_t errlen);
void clip_file_release(struct clip_file *clip);

/* Hash the existing file path in place, as clip_build would have built it
 * (a central-storage segment is uploaded as it is, not copied). 0, or
 * -errno with the reason in err[errlen] (-ENOENT: the file is gone). */
int clip_hash_file(const char *path, int chunk_size, struct clip_file *clip, char *err,
		   size_t errlen);

/* Read chunk k into buf (at least chunk_size bytes); its length in *len. */
int clip_read_chunk(const struct clip_file *clip, int k, void *buf, size_t *len);

#endif
