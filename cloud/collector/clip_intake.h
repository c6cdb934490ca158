/*
 * clip_intake.h — the collector's side of clip uploads (schemas/clip.json):
 * a manifest's signature is checked against the box's certificate (which
 * must chain to the deployment CA and name the box) and the clip recorded
 * in the archive; chunks go to the clip store (cloud/clipstore.c), which
 * checks each against the manifest; the complete file is checked whole and
 * stored content-addressed, and the clip marked verified.
 *
 * The box learns where its clip stands from a verdict after the last chunk
 * of each pass (and after any chunk of a clip already verified): verified,
 * or the chunks still missing.
 *
 * Several collectors: a share group spreads a clip's manifest and chunks
 * over them, so everything a collector needs about a clip it did not see
 * announced is in the (shared) archive and the (shared) clip store: a
 * chunk of a clip unknown here takes its manifest from the archive, the
 * chunks other collectors stored count, whoever finds them all in finishes
 * the clip, and a verdict lists what the store misses, not what this
 * collector missed. A restart resumes an assembly the same way.
 * Main thread only.
 */
#ifndef BK_CLIP_INTAKE_H
#define BK_CLIP_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "message.h"

struct clip_intake_counters {
	uint64_t manifests, manifests_rejected;
	uint64_t chunks, chunks_duplicate, chunks_bad, chunks_rejected;
	uint64_t verified, whole_mismatch;
	uint64_t segments; /* continuous-storage segments verified and indexed */
	uint64_t segments_expired, bytes_expired; /* deleted by retention (this collector) */
};

/* What the box is told about one clip, when answer is set. */
struct clip_verdict {
	bool answer;
	bool verified;
	bool stored; /* verified by this very chunk (not a repeat of an earlier verdict) */
	char clip_id[129];
	int missing[MESSAGE_MAX_ACK_CHUNKS];
	size_t n_missing;
};

struct clip_intake;

/* store: the clip store's location (a directory, or file:///path; see
 * clipstore.h); ca_path: the deployment CA that box certificates must chain
 * to. NULL with a log line on error. */
struct clip_intake *clip_intake_new(struct archive *a, const char *store, const char *ca_path);
void clip_intake_free(struct clip_intake *ci);

/* A manifest (checked by message_validate) archived for the first time in
 * the archive's open transaction: check its signature, record the clip as
 * receiving or rejected; one for a clip id the archive already holds
 * changes nothing. 0, or -errno when the archive fails (the batch
 * rolls back and the box sends the manifest again). */
int clip_intake_manifest(struct clip_intake *ci, const struct message *m);

/* Chunk n of a box's clip. 0 when taken (stored, duplicate, or refused for
 * its hash: it stays missing and is asked for again); -errno with the
 * reason in err[errlen] when it is refused outright (unknown or rejected
 * clip, impossible number or length). *v says whether and what to answer. */
int clip_intake_chunk(struct clip_intake *ci, const char *box, const char *clip_id, long n,
		      const void *data, size_t len, struct clip_verdict *v, char *err,
		      size_t errlen);

/* Central continuous storage ([storage]): a clip whose id starts
 * "segment:" is a segment of a camera marked central_storage; verified, it
 * is indexed in the archive's recordings (archive.h). Retention keeps
 * retention_days and at most budget bytes (0: no limit) of them. */
void clip_intake_set_storage(struct clip_intake *ci, int retention_days, int64_t budget);
/* Apply retention now (on a timer, and by intake itself at most once a
 * second after a segment is stored): delete the expired segments' rows,
 * then their objects no verified clip references. Segments deleted by this
 * call, or -errno. */
int clip_intake_expire(struct clip_intake *ci);

const struct clip_intake_counters *clip_intake_counters(const struct clip_intake *ci);

#endif
