/*
 * clipstore.c — the front of the clip store (see clipstore.h): specs,
 * chunk and whole-file checks, and what this instance knows of each
 * assembly; bytes go to a backend. Costs: a SHA-256 over each chunk on
 * arrival and over the whole file once complete (GLib's GChecksum; a
 * second pass over the chunks only when the whole does not match), the
 * file read back from the backend once; per chunk one backend put and one
 * look-up of the object, and while chunks are spread over collectors a
 * look-up of each chunk this instance did not store, once.
 */
#include "clipstore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "jcheck.h"

struct assembly {
	struct clip_spec spec; /* strings owned below */
	char *box, *clip_id, *sha256, *ext;
	char **chunk_sha256;
	uint8_t *have; /* one byte per chunk: known to be in the backend */
	int cursor;    /* have[i] for every i < cursor */
	gint64 used;   /* g_get_monotonic_time() of the last chunk or look */
};

struct clipstore {
	const struct clip_store_ops *ops;
	void *be;
	GHashTable *assemblies; /* "box/clip" → struct assembly* */
};

static const struct clip_store_ops *const backends[] = { &clipstore_dir_ops };

static void assembly_free(gpointer data)
{
	struct assembly *a = data;

	g_free(a->box);
	g_free(a->clip_id);
	g_free(a->sha256);
	g_free(a->ext);
	g_strfreev(a->chunk_sha256);
	g_free(a->have);
	g_free(a);
}

struct clipstore *clipstore_open_backend(const struct clip_store_ops *ops, const char *location,
					 char *err, size_t errlen)
{
	struct clipstore *cs;
	void *be = ops->open(location, err, errlen);

	if (!be)
		return NULL;
	cs = g_new0(struct clipstore, 1);
	cs->ops = ops;
	cs->be = be;
	cs->assemblies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, assembly_free);
	return cs;
}

struct clipstore *clipstore_open(const char *location, char *err, size_t errlen)
{
	const char *sep = strstr(location, "://");
	size_t len = sep ? (size_t)(sep - location) : 0;

	/* a scheme is a letter, then letters, digits, "+", "-", "." (RFC 3986) */
	if (!sep || !len || !g_ascii_isalpha(location[0]) ||
	    strspn(location, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") !=
		len)
		return clipstore_open_backend(&clipstore_dir_ops, location, err, errlen);
	for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
		if (strlen(backends[i]->scheme) == len &&
		    !g_ascii_strncasecmp(location, backends[i]->scheme, len))
			return clipstore_open_backend(backends[i], location, err, errlen);
	}
	snprintf(err, errlen,
		 "cannot open the clip store '%s': no backend for '%.*s://' (known: "
		 "a directory, file:///path)",
		 location, (int)len, location);
	return NULL;
}

void clipstore_close(struct clipstore *cs)
{
	if (!cs)
		return;
	g_hash_table_destroy(cs->assemblies);
	cs->ops->close(cs->be);
	g_free(cs);
}

static char *key_of(const char *box, const char *clip_id)
{
	return g_strdup_printf("%s/%s", box, clip_id);
}

/* Something a backend can name a file or an object after. */
static bool good_id(const char *s)
{
	return s && *s && strlen(s) <= 128 && !strchr(s, '/') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

static bool good_ext(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isalnum(s[i]))
			return false;
	}
	return true;
}

static bool same_spec(const struct assembly *a, const struct clip_spec *s)
{
	if (a->spec.bytes != s->bytes || a->spec.chunk_size != s->chunk_size ||
	    a->spec.chunk_count != s->chunk_count || strcmp(a->sha256, s->sha256) != 0)
		return false;
	for (int i = 0; i < s->chunk_count; i++) {
		if (strcmp(a->chunk_sha256[i], s->chunk_sha256[i]) != 0)
			return false;
	}
	return true;
}

int clipstore_expect(struct clipstore *cs, const struct clip_spec *s)
{
	char *key;
	struct assembly *a;

	if (!good_id(s->box) || !good_id(s->clip_id) || (s->ext && !good_ext(s->ext)))
		return -EINVAL;
	key = key_of(s->box, s->clip_id);
	a = g_hash_table_lookup(cs->assemblies, key);
	if (a) {
		g_free(key);
		return same_spec(a, s) ? 0 : -EEXIST;
	}
	if (s->chunk_count < 1 || s->chunk_count > CLIPSTORE_MAX_CHUNKS || s->chunk_size < 1 ||
	    s->chunk_size > CLIPSTORE_MAX_CHUNK_SIZE || s->bytes < 0 ||
	    s->bytes > (int64_t)s->chunk_size * s->chunk_count ||
	    s->bytes <= (int64_t)s->chunk_size * (s->chunk_count - 1) ||
	    !jc_is_sha256_hex(s->sha256)) {
		g_free(key);
		return -EINVAL;
	}
	for (int i = 0; i < s->chunk_count; i++) {
		if (!jc_is_sha256_hex(s->chunk_sha256[i])) {
			g_free(key);
			return -EINVAL;
		}
	}
	a = g_new0(struct assembly, 1);
	a->spec = *s;
	a->box = g_strdup(s->box);
	a->clip_id = g_strdup(s->clip_id);
	a->sha256 = g_strdup(s->sha256);
	a->ext = g_strdup(s->ext ? s->ext : "ts");
	a->chunk_sha256 = g_new0(char *, (gsize)s->chunk_count + 1);
	for (int i = 0; i < s->chunk_count; i++)
		a->chunk_sha256[i] = g_strdup(s->chunk_sha256[i]);
	a->spec.box = a->box;
	a->spec.clip_id = a->clip_id;
	a->spec.sha256 = a->sha256;
	a->spec.ext = a->ext;
	a->spec.chunk_sha256 = (const char *const *)a->chunk_sha256;
	a->have = g_new0(uint8_t, s->chunk_count);
	a->used = g_get_monotonic_time();
	/* nothing is written: the backend's chunks, if any, are another
	 * instance's (or this one's before a restart) and count */
	g_hash_table_insert(cs->assemblies, key, a);
	return 0;
}

static struct assembly *find(struct clipstore *cs, const char *box, const char *clip_id)
{
	char *key = key_of(box, clip_id);
	struct assembly *a = g_hash_table_lookup(cs->assemblies, key);

	g_free(key);
	if (a)
		a->used = g_get_monotonic_time();
	return a;
}

static void drop(struct clipstore *cs, struct assembly *a)
{
	char *key = key_of(a->box, a->clip_id);

	g_hash_table_remove(cs->assemblies, key);
	g_free(key);
}

static void forget(struct assembly *a, int n)
{
	a->have[n] = 0;
	a->cursor = MIN(a->cursor, n);
}

static int64_t chunk_len(const struct assembly *a, int n)
{
	return n + 1 < a->spec.chunk_count
		   ? a->spec.chunk_size
		   : a->spec.bytes - (int64_t)a->spec.chunk_size * (a->spec.chunk_count - 1);
}

static bool object_stored(struct clipstore *cs, const struct assembly *a)
{
	char *path = cs->ops->object_path(cs->be, a->sha256, a->ext);

	g_free(path);
	return path != NULL;
}

int clipstore_put_chunk(struct clipstore *cs, const char *box, const char *clip_id, int n,
			const void *data, size_t len)
{
	struct assembly *a = find(cs, box, clip_id);
	char *sum;
	bool good;
	int rc;

	if (!a)
		return -ENOENT;
	if (n < 0 || n >= a->spec.chunk_count)
		return -ERANGE;
	if ((int64_t)len != chunk_len(a, n))
		return -ERANGE;
	if (a->have[n]) {
		/* another instance may have found it damaged and removed it */
		rc = cs->ops->chunk_present(cs->be, box, clip_id, n);
		if (rc != 0)
			return rc < 0 ? rc : CHUNK_DUPLICATE;
		forget(a, n);
	}
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
	good = strcmp(sum, a->chunk_sha256[n]) == 0;
	g_free(sum);
	if (!good)
		return -EBADMSG;
	if (object_stored(cs, a)) {
		/* published by another instance, or the content of another clip:
		 * clipstore_finish has nothing left to do */
		memset(a->have, 1, (size_t)a->spec.chunk_count);
		a->cursor = a->spec.chunk_count;
		return CHUNK_DUPLICATE;
	}
	rc = cs->ops->chunk_put(cs->be, box, clip_id, n, data, len);
	if (rc) {
		/* the instance that published it meanwhile removed the assembly */
		if (object_stored(cs, a)) {
			memset(a->have, 1, (size_t)a->spec.chunk_count);
			a->cursor = a->spec.chunk_count;
			return CHUNK_DUPLICATE;
		}
		return rc;
	}
	a->have[n] = 1;
	return CHUNK_STORED;
}

/* Move the cursor over chunks known to be in, looking up the others until
 * one is missing: each chunk another instance stored is looked up once. */
static bool complete(struct clipstore *cs, struct assembly *a)
{
	while (a->cursor < a->spec.chunk_count) {
		if (!a->have[a->cursor]) {
			if (cs->ops->chunk_present(cs->be, a->box, a->clip_id, a->cursor) != 1)
				return false;
			a->have[a->cursor] = 1;
		}
		a->cursor++;
	}
	return true;
}

bool clipstore_complete(struct clipstore *cs, const char *box, const char *clip_id)
{
	struct assembly *a = find(cs, box, clip_id);

	return a && complete(cs, a);
}

int clipstore_missing(struct clipstore *cs, const char *box, const char *clip_id, int *out, int max)
{
	struct assembly *a = find(cs, box, clip_id);
	int missing = 0, rc;

	if (!a)
		return -ENOENT;
	/* the backend's list replaces what this instance knew: chunks stored
	 * elsewhere come in, chunks removed elsewhere go */
	memset(a->have, 0, (size_t)a->spec.chunk_count);
	a->cursor = 0;
	rc = cs->ops->chunk_list(cs->be, box, clip_id, a->have, a->spec.chunk_count);
	if (rc < 0)
		return rc;
	for (int i = 0; i < a->spec.chunk_count; i++) {
		if (!a->have[i] && missing++ < max)
			out[missing - 1] = i;
	}
	while (a->cursor < a->spec.chunk_count && a->have[a->cursor])
		a->cursor++;
	return missing;
}

int clipstore_chunk_count(struct clipstore *cs, const char *box, const char *clip_id)
{
	struct assembly *a = find(cs, box, clip_id);

	return a ? a->spec.chunk_count : -ENOENT;
}

/* The whole did not match: which chunks in the backend are not what the
 * manifest says (damaged after their check: a crash before they reached
 * the disk)? Those are removed and missing again: true. */
static bool drop_damaged(struct clipstore *cs, struct assembly *a, guint8 *buf)
{
	bool found = false;

	for (int n = 0; n < a->spec.chunk_count; n++) {
		int64_t want = chunk_len(a, n);
		int got = cs->ops->chunk_read(cs->be, a->box, a->clip_id, n, buf, (size_t)want);
		char *sum = got == want
				? g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, (gsize)want)
				: NULL;

		if (!sum || strcmp(sum, a->chunk_sha256[n]) != 0) {
			cs->ops->chunk_remove(cs->be, a->box, a->clip_id, n);
			forget(a, n);
			found = true;
		}
		g_free(sum);
	}
	return found;
}

int clipstore_finish(struct clipstore *cs, const char *box, const char *clip_id, char **path)
{
	struct assembly *a = find(cs, box, clip_id);
	GChecksum *whole;
	guint8 *buf;
	void *w;
	int rc = 0;

	if (!a)
		return -ENOENT;
	*path = cs->ops->object_path(cs->be, a->sha256, a->ext);
	if (*path) {
		cs->ops->chunk_remove(cs->be, box, clip_id, -1);
		drop(cs, a);
		return CLIPSTORE_ALREADY;
	}
	if (!complete(cs, a))
		return -EAGAIN;
	w = cs->ops->object_begin(cs->be, a->sha256, a->ext);
	if (!w)
		return -EIO;
	whole = g_checksum_new(G_CHECKSUM_SHA256);
	buf = g_malloc((gsize)a->spec.chunk_size);
	for (int n = 0; n < a->spec.chunk_count && !rc; n++) {
		int64_t want = chunk_len(a, n);
		int got = cs->ops->chunk_read(cs->be, box, clip_id, n, buf, (size_t)want);

		if (got == -ENOENT || (got >= 0 && got != want)) {
			/* gone (another instance found it damaged) or cut short */
			if (got >= 0)
				cs->ops->chunk_remove(cs->be, box, clip_id, n);
			forget(a, n);
			rc = -EAGAIN;
		} else if (got < 0 || cs->ops->object_append(w, buf, (size_t)want) != 0) {
			rc = -EIO;
		} else {
			g_checksum_update(whole, buf, (gssize)want);
		}
	}
	if (!rc && strcmp(g_checksum_get_string(whole), a->sha256) != 0) {
		if (drop_damaged(cs, a, buf)) {
			rc = -EAGAIN;
		} else {
			/* every chunk matches its own hash, yet the whole does
			 * not: start over */
			cs->ops->chunk_remove(cs->be, box, clip_id, -1);
			memset(a->have, 0, (size_t)a->spec.chunk_count);
			a->cursor = 0;
			rc = -EBADMSG;
		}
	}
	g_checksum_free(whole);
	g_free(buf);
	if (rc) {
		cs->ops->object_abort(w);
		/* chunks gone or unreadable: another instance may have just
		 * published the clip and removed them */
		if (rc != -EBADMSG && (*path = cs->ops->object_path(cs->be, a->sha256, a->ext))) {
			drop(cs, a);
			return CLIPSTORE_ALREADY;
		}
		return rc;
	}
	rc = cs->ops->object_commit(w);
	if (rc < 0)
		return -EIO;
	*path = cs->ops->object_path(cs->be, a->sha256, a->ext);
	if (!*path)
		return -EIO;
	cs->ops->chunk_remove(cs->be, box, clip_id, -1);
	drop(cs, a);
	return rc;
}

char *clipstore_object_path(struct clipstore *cs, const char *sha256, const char *ext)
{
	if (!jc_is_sha256_hex(sha256) || !good_ext(ext))
		return NULL;
	return cs->ops->object_path(cs->be, sha256, ext);
}

int clipstore_remove(struct clipstore *cs, const char *sha256, const char *ext)
{
	if (!jc_is_sha256_hex(sha256) || !good_ext(ext))
		return -EINVAL;
	return cs->ops->object_remove(cs->be, sha256, ext);
}

static gboolean idle(gpointer key, gpointer value, gpointer ctx)
{
	const struct assembly *a = value;

	(void)key;
	return a->used < *(const gint64 *)ctx;
}

int clipstore_sweep(struct clipstore *cs, int64_t temp_age_s, int64_t assembly_age_s)
{
	gint64 before = g_get_monotonic_time() - assembly_age_s * (gint64)G_USEC_PER_SEC;

	g_hash_table_foreach_remove(cs->assemblies, idle, &before);
	return cs->ops->sweep(cs->be, temp_age_s, assembly_age_s);
}
