/*
 * clip_intake.c — see clip_intake.h. Crash leftovers in the store (its
 * temporary files, assemblies nobody touched for a week) are swept at
 * start and then at most hourly, on the chunk that comes after the hour;
 * every collector of a group sweeps, which is harmless.
 */
#include "clip_intake.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "clipstore.h"
#include "clock.h"
#include "log.h"
#include "manifest.h"
#include "signing.h"

struct clip_intake {
	struct archive *archive;
	struct clipstore *store;
	char *ca_path;
	gint64 swept; /* g_get_monotonic_time() of the last sweep */
	gint64 expired; /* g_get_monotonic_time() of the last retention run */
	int retention_days;
	int64_t budget;
	struct clip_intake_counters n;
};

#define SWEEP_PERIOD_US (INT64_C(3600) * G_USEC_PER_SEC)

static void sweep(struct clip_intake *ci)
{
	int gone = clipstore_sweep(ci->store, CLIPSTORE_TEMP_AGE_S, CLIPSTORE_ASSEMBLY_AGE_S);

	ci->swept = g_get_monotonic_time();
	if (gone < 0)
		log_warn("cannot sweep the clip store: %s", g_strerror(-gone));
	else if (gone > 0)
		log_info("clip store: %d files left by crashes or abandoned uploads removed", gone);
}

struct clip_intake *clip_intake_new(struct archive *a, const char *store, const char *ca_path)
{
	struct clip_intake *ci = g_new0(struct clip_intake, 1);
	char err[256];

	ci->archive = a;
	ci->ca_path = g_strdup(ca_path);
	ci->retention_days = 30;
	ci->store = clipstore_open(store, err, sizeof err);
	if (!ci->store) {
		log_error("%s", err);
		clip_intake_free(ci);
		return NULL;
	}
	sweep(ci);
	return ci;
}

void clip_intake_free(struct clip_intake *ci)
{
	if (!ci)
		return;
	clipstore_close(ci->store);
	g_free(ci->ca_path);
	g_free(ci);
}

static const char *ext_of(const char *mime)
{
	return !strcmp(mime, "image/jpeg") ? "jpg" : !strcmp(mime, "video/mp2t") ? "ts" : "bin";
}

static void on_any_clip(void *ctx, const struct archive_clip *c)
{
	(void)ctx, (void)c;
}

int clip_intake_manifest(struct clip_intake *ci, const struct message *m)
{
	struct jcheck jc = { 0 };
	struct clip_manifest cm;
	char why[256] = "";
	char *text, *chunks;
	int rc;

	ci->n.manifests++;
	if (!manifest_read(&jc, m->root, m->env.id, &cm)) {
		manifest_release(&cm);
		return 0; /* message_validate let it through: cannot happen */
	}
	/* A clip the archive holds keeps the manifest it came with: another one
	 * under its id (a new seq) changes nothing, else it could point a
	 * verified row at other content or mark it rejected (found by fuzz_chunks) */
	rc = archive_get_clip(ci->archive, m->env.id, cm.clip_id, on_any_clip, NULL);
	if (rc != -ENOENT) {
		if (rc == 0) {
			ci->n.manifests_rejected++;
			log_warn("clip %s of %s: another manifest under the same id ignored",
				 cm.clip_id, m->env.id);
		}
		manifest_release(&cm);
		return rc;
	}
	text = manifest_signed_text(&cm);
	if (!signing_verify(ci->ca_path, cm.cert, m->env.id, text, strlen(text), cm.signature, why,
			    sizeof why)) {
		ci->n.manifests_rejected++;
		log_warn("clip %s of %s rejected: %s", cm.clip_id, m->env.id, why);
	} else {
		struct clip_spec spec = {
			.box = m->env.id,
			.clip_id = cm.clip_id,
			.bytes = cm.bytes,
			.chunk_size = cm.chunk_size,
			.chunk_count = cm.chunk_count,
			.sha256 = cm.sha256,
			.chunk_sha256 = cm.chunks,
			.ext = ext_of(cm.mime),
		};

		rc = clipstore_expect(ci->store, &spec);
		if (rc == -EEXIST)
			snprintf(why, sizeof why, "another clip with the id '%s' is being received",
				 cm.clip_id);
		else if (rc)
			snprintf(why, sizeof why, "chunk sizes do not add up to %lld bytes",
				 (long long)cm.bytes);
		if (rc) {
			ci->n.manifests_rejected++;
			log_warn("clip %s of %s rejected: %s", cm.clip_id, m->env.id, why);
		}
	}
	g_free(text);
	chunks = g_strjoinv(" ", (char **)cm.chunks);
	{
		struct archive_clip ac = {
			.box = m->env.id,
			.clip_id = cm.clip_id,
			.camera = cm.camera,
			.event_id = cm.event_id,
			.mime = cm.mime,
			.start = cm.start,
			.end = cm.end,
			.sha256 = cm.sha256,
			.seq = m->env.seq,
			.bytes = cm.bytes,
			.chunk_size = cm.chunk_size,
			.chunk_count = cm.chunk_count,
			.chunks = chunks,
			.state = why[0] ? "rejected" : "receiving",
		};

		rc = archive_put_clip(ci->archive, &ac);
		if (rc >= 0 && why[0])
			rc = archive_set_clip_state(ci->archive, m->env.id, cm.clip_id, "rejected",
						    NULL, why);
	}
	g_free(chunks);
	manifest_release(&cm);
	return rc < 0 ? rc : 0;
}

/* --- chunks ---------------------------------------------------------- */

/* What the archive says of a clip the store does not know. */
struct known_clip {
	struct clip_intake *ci;
	char state[16];
	char reason_or_path[256];
	int chunk_count;
	int expect_rc;
};

static void on_known_clip(void *ctx, const struct archive_clip *c)
{
	struct known_clip *k = ctx;
	char **hashes;

	snprintf(k->state, sizeof k->state, "%s", c->state);
	k->chunk_count = c->chunk_count;
	if (strcmp(c->state, "receiving") != 0)
		return;
	/* unknown to this collector: announced to another one of the group, or
	 * before a restart; the chunks already in the store count */
	hashes = g_strsplit(c->chunks, " ", -1);
	{
		struct clip_spec spec = {
			.box = c->box,
			.clip_id = c->clip_id,
			.bytes = c->bytes,
			.chunk_size = c->chunk_size,
			.chunk_count = c->chunk_count,
			.sha256 = c->sha256,
			.chunk_sha256 = (const char *const *)hashes,
			.ext = ext_of(c->mime),
		};

		k->expect_rc = (int)g_strv_length(hashes) == c->chunk_count
				   ? clipstore_expect(k->ci->store, &spec)
				   : -EINVAL;
	}
	g_strfreev(hashes);
}

/* The chunks still missing, for the box's verdict: the store's full list
 * (other collectors' chunks count). How many (0: none, no answer). */
static int say_missing(struct clip_intake *ci, const char *box, const char *clip_id,
		       struct clip_verdict *v)
{
	int n =
	    clipstore_missing(ci->store, box, clip_id, v->missing, (int)G_N_ELEMENTS(v->missing));

	v->answer = n > 0;
	v->n_missing = (size_t)MIN(MAX(n, 0), (int)G_N_ELEMENTS(v->missing));
	return n;
}

#define STATE_LEN 16

static void on_clip_state(void *ctx, const struct archive_clip *c)
{
	snprintf(ctx, STATE_LEN, "%s", c->state); /* ctx: char[STATE_LEN] */
}

/* Mark the clip verified; a segment is indexed in recordings in the same
 * transaction, so that a crash leaves neither or both. 0 or -errno. */
static int mark_verified(struct clip_intake *ci, const char *box, const char *clip_id,
			 const char *path)
{
	int rc;

	if (!archive_is_segment_clip(clip_id))
		return archive_set_clip_state(ci->archive, box, clip_id, "verified", path, NULL);
	rc = archive_recording_verified(ci->archive, box, clip_id, path);
	if (rc == -EINVAL)
		log_error("segment %s of %s: its manifest's times or camera cannot be indexed",
			  clip_id, box);
	if (rc < 0)
		return rc;
	ci->n.segments++;
	if (g_get_monotonic_time() - ci->expired >= G_USEC_PER_SEC)
		clip_intake_expire(ci);
	return 0;
}

/* All chunks are in (or the object is stored already): check the whole
 * and store it, or take the stored one. */
static void finish(struct clip_intake *ci, const char *box, const char *clip_id,
		   struct clip_verdict *v)
{
	char *path = NULL, state[STATE_LEN] = "";
	int rc = clipstore_finish(ci->store, box, clip_id, &path);

	if (rc == -EAGAIN) {
		/* a chunk went from the store (another collector found it
		 * damaged, or restarted the assembly) */
		log_warn("clip %s of %s: chunks missing from the store; asked for again", clip_id,
			 box);
		say_missing(ci, box, clip_id, v);
		return;
	}
	if (rc == -EBADMSG) {
		ci->n.whole_mismatch++;
		log_warn(
		    "clip %s of %s: every chunk matched, the whole did not; receiving it again",
		    clip_id, box);
		say_missing(ci, box, clip_id, v);
		return;
	}
	if (rc < 0) {
		log_error("clip %s of %s: cannot store it: %s", clip_id, box, g_strerror(-rc));
		return;
	}
	/* stored before: by another collector of the group, which may have
	 * marked it verified already (then this is only a repeat), or as
	 * another clip with the same content */
	if (rc == CLIPSTORE_ALREADY &&
	    archive_get_clip(ci->archive, box, clip_id, on_clip_state, state) == 0 &&
	    !strcmp(state, "verified")) {
		v->answer = v->verified = true;
		g_free(path);
		return;
	}
	if (mark_verified(ci, box, clip_id, path) == 0) {
		ci->n.verified++;
		v->answer = v->verified = v->stored = true;
		/* a segment of central storage every few seconds per camera: not logged */
		if (!archive_is_segment_clip(clip_id))
			log_info("clip %s of %s verified, stored as %s%s", clip_id, box, path,
				 rc == CLIPSTORE_ALREADY ? " (there already)" : "");
	}
	g_free(path);
}

int clip_intake_chunk(struct clip_intake *ci, const char *box, const char *clip_id, long n,
		      const void *data, size_t len, struct clip_verdict *v, char *err,
		      size_t errlen)
{
	struct known_clip k = { .ci = ci };
	int rc;

	memset(v, 0, sizeof *v);
	snprintf(v->clip_id, sizeof v->clip_id, "%s", clip_id);
	ci->n.chunks++;
	if (g_get_monotonic_time() - ci->swept >= SWEEP_PERIOD_US)
		sweep(ci);
	if (n < 0 || n >= CLIPSTORE_MAX_CHUNKS) {
		ci->n.chunks_rejected++;
		snprintf(err, errlen, "chunk number %ld out of range", n);
		return -ERANGE;
	}
	rc = clipstore_put_chunk(ci->store, box, clip_id, (int)n, data, len);
	if (rc == -ENOENT) {
		rc = archive_get_clip(ci->archive, box, clip_id, on_known_clip, &k);
		if (rc == -ENOENT) {
			ci->n.chunks_rejected++;
			snprintf(err, errlen, "no manifest announced clip '%s'", clip_id);
			return -ENOENT;
		}
		if (rc)
			return rc;
		if (!strcmp(k.state, "verified")) {
			/* the box missed the verdict */
			ci->n.chunks_duplicate++;
			v->answer = v->verified = true;
			return 0;
		}
		if (strcmp(k.state, "receiving") != 0 || k.expect_rc) {
			ci->n.chunks_rejected++;
			snprintf(err, errlen, "clip '%s' was rejected", clip_id);
			return -EPERM;
		}
		rc = clipstore_put_chunk(ci->store, box, clip_id, (int)n, data, len);
	}
	if (rc == -ERANGE) {
		ci->n.chunks_rejected++;
		snprintf(err, errlen, "chunk %ld of clip '%s': number or length does not fit", n,
			 clip_id);
		return rc;
	}
	if (rc == -EBADMSG) {
		ci->n.chunks_bad++;
		log_warn("chunk %ld of clip %s of %s does not match its hash; asked for again", n,
			 clip_id, box);
	} else if (rc == CHUNK_DUPLICATE) {
		ci->n.chunks_duplicate++;
	} else if (rc < 0) {
		log_error("chunk %ld of clip %s of %s: %s", n, clip_id, box, g_strerror(-rc));
		return 0; /* our trouble, not the box's: it stays missing */
	}
	/* the end of a pass is answered from the store's full list: another
	 * collector's chunks may have completed the clip */
	if (clipstore_complete(ci->store, box, clip_id) ||
	    (n == clipstore_chunk_count(ci->store, box, clip_id) - 1 &&
	     say_missing(ci, box, clip_id, v) == 0))
		finish(ci, box, clip_id, v);
	return 0;
}

void clip_intake_set_storage(struct clip_intake *ci, int retention_days, int64_t budget)
{
	ci->retention_days = retention_days;
	ci->budget = budget;
}

int clip_intake_expire(struct clip_intake *ci)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
	int64_t cutoff = clock_wall_ms() - (int64_t)ci->retention_days * 86400 * 1000;
	int64_t rows = 0, bytes = 0;
	int rc;

	ci->expired = g_get_monotonic_time();
	rc = archive_recordings_expire(ci->archive, cutoff, ci->budget, &rows, &bytes, gone);
	if (rc == 0) {
		for (guint i = 0; i < gone->len; i++) {
			int r = clipstore_remove(ci->store, g_ptr_array_index(gone, i), "ts");

			if (r && r != -ENOENT) /* ENOENT: another collector removed it */
				log_warn("central storage: cannot remove object %s: %s",
					 (const char *)g_ptr_array_index(gone, i), g_strerror(-r));
		}
		ci->n.segments_expired += (uint64_t)rows;
		ci->n.bytes_expired += (uint64_t)bytes;
		if (rows > 0)
			log_info("central storage: %lld segments (%lld bytes) past %d days or over "
				 "the budget of %lld bytes deleted",
				 (long long)rows, (long long)bytes, ci->retention_days,
				 (long long)ci->budget);
	}
	g_ptr_array_free(gone, TRUE);
	return rc < 0 ? rc : (int)rows;
}

const struct clip_intake_counters *clip_intake_counters(const struct clip_intake *ci)
{
	return &ci->n;
}
