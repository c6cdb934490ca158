/*
 * clipstore.h — the collector's clip store. Two layers:
 *
 *  - the front (clipstore_*, clipstore.c) reassembles a clip from its chunks:
 *    each chunk is checked against the (signed) manifest on arrival, the
 *    whole file against the manifest's sha256 before it is published, so no
 *    backend ever publishes bytes the box did not sign;
 *  - a backend (struct clip_store_ops) only keeps bytes: the chunks of
 *    assemblies in progress, and verified objects by content address
 *    <sha256>.<ext> (a clip that two events share is stored once). The
 *    default, "file" (clipstore_dir.c), is a directory:
 *    ROOT/<first two hex digits>/<sha256>.<ext>, assemblies under ROOT/tmp/.
 *
 * A location names the store: a directory, or scheme://… for a backend
 * ("file:///srv/clips" is the directory /srv/clips).
 *
 * Several collectors, one store. A share group spreads a box's chunks over
 * its collectors, so an assembly belongs to the store, not to a collector:
 * every instance on the same location (other processes, other machines on
 * a shared filesystem) sees every chunk any of them stored. A chunk becomes
 * visible whole or not at all; whoever finds every chunk present assembles,
 * verifies and publishes; two instances publishing the same object is
 * harmless (the same bytes under the same address). What an instance keeps
 * in memory — the manifest's spec, which chunks it knows are in — is a
 * cache of the backend; chunks found gone are asked for again. A restart
 * resumes an assembly from the chunks stored.
 *
 * One thread per instance; instances are independent.
 */
#ifndef BK_CLIPSTORE_H
#define BK_CLIPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIPSTORE_MAX_CHUNKS	 100000
#define CLIPSTORE_MAX_CHUNK_SIZE (1 << 20)

/* Crash leftovers (clipstore_sweep): a temporary file is written within
 * seconds; an assembly untouched for a week belongs to a clip its box gave
 * up or had verified elsewhere (its box sends again what is missing). */
#define CLIPSTORE_TEMP_AGE_S	 3600
#define CLIPSTORE_ASSEMBLY_AGE_S (7 * 86400)

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

/* clipstore_finish: the object was already stored (by another instance, or
 * for another clip with the same content). */
#define CLIPSTORE_ALREADY 1

/*
 * A backend. be is what open returned; w what object_begin returned. Every
 * function returns 0 or a negative errno unless said otherwise. box and
 * clip_id are identifiers (no '/', never "." or ".."); a backend refuses
 * others with -EINVAL. Strings returned are newly allocated (g_free).
 */
struct clip_store_ops {
	const char *scheme; /* of its locations, "scheme://…" */
	void *(*open)(const char *location, char *err, size_t errlen); /* NULL: err says why */
	void (*close)(void *be);

	/* Chunk n of an assembly, shared by every instance on the store: put
	 * makes it visible whole or not at all (replacing an equal one); read
	 * returns its length (at most len bytes read; more than len if it is
	 * longer) or -ENOENT; present 1 or 0; list sets have[n] for each chunk
	 * n < count stored; remove one chunk, or with n < 0 the assembly. */
	int (*chunk_put)(void *be, const char *box, const char *clip_id, int n, const void *data,
			 size_t len);
	int (*chunk_read)(void *be, const char *box, const char *clip_id, int n, void *buf,
			  size_t len);
	int (*chunk_present)(void *be, const char *box, const char *clip_id, int n);
	int (*chunk_list)(void *be, const char *box, const char *clip_id, uint8_t *have, int count);
	int (*chunk_remove)(void *be, const char *box, const char *clip_id, int n);

	/* A verified object, written in order: begin (NULL on error, errno
	 * set), append, then commit — durable first, then visible under its
	 * address: 0, or CLIPSTORE_ALREADY when it was there already — or
	 * abort. Both free w. */
	void *(*object_begin)(void *be, const char *sha256, const char *ext);
	int (*object_append)(void *w, const void *data, size_t len);
	int (*object_commit)(void *w);
	void (*object_abort)(void *w);
	/* The stored object as a local file readers open, NULL when it is not
	 * stored (a backend without local files gives its cached copy). */
	char *(*object_path)(void *be, const char *sha256, const char *ext);
	int (*object_remove)(void *be, const char *sha256, const char *ext);

	/* Remove temporary files older than temp_age_s and assemblies untouched
	 * for assembly_age_s (wall clock, seconds): how many, or -errno. */
	int (*sweep)(void *be, int64_t temp_age_s, int64_t assembly_age_s);
};

extern const struct clip_store_ops clipstore_dir_ops; /* "file", the default */

struct clipstore;

/* Open the store at location (a directory, or scheme://… of a known
 * backend); NULL with the reason in err[errlen]. _backend: with the given
 * backend, whatever the location says (tests, other backends). */
struct clipstore *clipstore_open(const char *location, char *err, size_t errlen);
struct clipstore *clipstore_open_backend(const struct clip_store_ops *ops, const char *location,
					 char *err, size_t errlen);
void clipstore_close(struct clipstore *cs);

/* Start assembling the clip of spec (copied), or do nothing if it already is
 * being assembled with the same spec; chunks already in the store count.
 * -EINVAL for an impossible spec (sizes that do not add up, too many
 * chunks, ids a backend cannot take), -EEXIST when a different spec holds
 * the same (box, clip) id in this instance. */
int clipstore_expect(struct clipstore *cs, const struct clip_spec *spec);

/* Store chunk n. CHUNK_STORED or CHUNK_DUPLICATE (also when the clip's
 * object is stored already: nothing is written); -ENOENT when no manifest
 * announced the clip, -ERANGE for n or a length that does not fit, -EBADMSG
 * when the chunk's sha256 is not the manifest's (it stays missing), or the
 * backend's -errno. */
int clipstore_put_chunk(struct clipstore *cs, const char *box, const char *clip_id, int n,
			const void *data, size_t len);

/* true when every chunk is known to be in: cheap (looks up in the backend
 * only chunks it does not know of, until one is missing). */
bool clipstore_complete(struct clipstore *cs, const char *box, const char *clip_id);

/* Chunk numbers missing, ascending, at most max into out (NULL when max is
 * 0), after listing the backend's chunks (O(chunks)); returns how many are
 * missing in all (may exceed max). -ENOENT if unknown. */
int clipstore_missing(struct clipstore *cs, const char *box, const char *clip_id, int *out,
		      int max);

/* The clip's number of chunks, -ENOENT if unknown. */
int clipstore_chunk_count(struct clipstore *cs, const char *box, const char *clip_id);

/* When every chunk is in: check the whole file's sha256 and publish it at
 * its content address; *path: the object's local path (g_free). 0 stored
 * now, CLIPSTORE_ALREADY stored before (nothing written; also when chunks
 * are missing). Then the assembly is gone. -EAGAIN chunks missing (some may
 * have been found gone or damaged: asked for again), -EBADMSG every chunk
 * matches but the whole does not hash to the manifest's sha256 (the
 * assembly restarts: every chunk is missing again), -ENOENT, -EIO. */
int clipstore_finish(struct clipstore *cs, const char *box, const char *clip_id, char **path);

/* A stored object's local path (g_free), NULL if not stored; sha256 is
 * checked to be 64 lowercase hex, ext to be alphanumeric. */
char *clipstore_object_path(struct clipstore *cs, const char *sha256, const char *ext);
int clipstore_remove(struct clipstore *cs, const char *sha256, const char *ext);

/* Crash leftovers out of the backend (ages above), and this instance's
 * assemblies idle for assembly_age_s out of memory: how many backend
 * entries went, or -errno. */
int clipstore_sweep(struct clipstore *cs, int64_t temp_age_s, int64_t assembly_age_s);

#endif
