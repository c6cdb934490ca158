/*
 * clipstore.c — see clipstore.h. Costs: one pwrite per chunk, one SHA-256
 * over the chunk on arrival and one over the whole file at the end (GLib's
 * GChecksum), one rename.
 */
#include "clipstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "jcheck.h"

struct assembly {
	struct clip_spec spec; /* strings owned below */
	char *box, *clip_id, *sha256, *ext;
	char **chunk_sha256;
	char *part; /* ROOT/tmp/<box>/<clip>.part */
	int fd;
	guint8 *have; /* one byte per chunk */
	int have_count;
};

struct clipstore {
	char *root;
	GHashTable *assemblies; /* "box/clip" → struct assembly* */
};

static void assembly_free(gpointer data)
{
	struct assembly *a = data;

	if (a->fd >= 0)
		close(a->fd);
	g_free(a->box);
	g_free(a->clip_id);
	g_free(a->sha256);
	g_free(a->ext);
	g_strfreev(a->chunk_sha256);
	g_free(a->part);
	g_free(a->have);
	g_free(a);
}

struct clipstore *clipstore_open(const char *root, char *err, size_t errlen)
{
	struct clipstore *cs;
	char *tmp = g_build_filename(root, "tmp", NULL);

	if (g_mkdir_with_parents(tmp, 0750) != 0) {
		snprintf(err, errlen, "cannot create the clip store '%s': %s", tmp,
			 g_strerror(errno));
		g_free(tmp);
		return NULL;
	}
	g_free(tmp);
	cs = g_new0(struct clipstore, 1);
	cs->root = g_strdup(root);
	cs->assemblies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, assembly_free);
	return cs;
}

void clipstore_close(struct clipstore *cs)
{
	if (!cs)
		return;
	g_hash_table_destroy(cs->assemblies);
	g_free(cs->root);
	g_free(cs);
}

static char *key_of(const char *box, const char *clip_id)
{
	return g_strdup_printf("%s/%s", box, clip_id);
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

/* (Re)start with no chunk in: an empty .part file of the final size. */
static int reset(struct assembly *a)
{
	memset(a->have, 0, (size_t)a->spec.chunk_count);
	a->have_count = 0;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = open(a->part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (a->fd < 0 || ftruncate(a->fd, a->spec.bytes) != 0)
		return -errno;
	return 0;
}

int clipstore_expect(struct clipstore *cs, const struct clip_spec *s)
{
	char *key = key_of(s->box, s->clip_id);
	struct assembly *a = g_hash_table_lookup(cs->assemblies, key);
	char *dir;
	int rc;

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
	a->have = g_new0(guint8, s->chunk_count);
	a->fd = -1;
	dir = g_build_filename(cs->root, "tmp", s->box, NULL);
	a->part = g_strdup_printf("%s/%s.part", dir, s->clip_id);
	rc = g_mkdir_with_parents(dir, 0750) == 0 ? reset(a) : -errno;
	g_free(dir);
	if (rc) {
		assembly_free(a);
		g_free(key);
		return rc;
	}
	g_hash_table_insert(cs->assemblies, key, a);
	return 0;
}

static struct assembly *find(struct clipstore *cs, const char *box, const char *clip_id)
{
	char *key = key_of(box, clip_id);
	struct assembly *a = g_hash_table_lookup(cs->assemblies, key);

	g_free(key);
	return a;
}

int clipstore_put_chunk(struct clipstore *cs, const char *box, const char *clip_id, int n,
			const void *data, size_t len)
{
	struct assembly *a = find(cs, box, clip_id);
	int64_t want;
	char *sum;
	bool good;

	if (!a)
		return -ENOENT;
	if (n < 0 || n >= a->spec.chunk_count)
		return -ERANGE;
	want = n + 1 < a->spec.chunk_count
		   ? a->spec.chunk_size
		   : a->spec.bytes - (int64_t)a->spec.chunk_size * (a->spec.chunk_count - 1);
	if ((int64_t)len != want)
		return -ERANGE;
	if (a->have[n])
		return CHUNK_DUPLICATE;
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
	good = strcmp(sum, a->chunk_sha256[n]) == 0;
	g_free(sum);
	if (!good)
		return -EBADMSG;
	if (pwrite(a->fd, data, len, (off_t)n * a->spec.chunk_size) != (ssize_t)len)
		return -EIO;
	a->have[n] = 1;
	a->have_count++;
	return CHUNK_STORED;
}

int clipstore_missing(struct clipstore *cs, const char *box, const char *clip_id, int *out, int max)
{
	struct assembly *a = find(cs, box, clip_id);
	int missing = 0;

	if (!a)
		return -ENOENT;
	for (int i = 0; i < a->spec.chunk_count; i++) {
		if (!a->have[i] && missing++ < max)
			out[missing - 1] = i;
	}
	return missing;
}

int clipstore_chunk_count(struct clipstore *cs, const char *box, const char *clip_id)
{
	struct assembly *a = find(cs, box, clip_id);

	return a ? a->spec.chunk_count : -ENOENT;
}

/* SHA-256 of the whole file behind fd, as hex (g_free), or NULL. */
static char *hash_file(int fd)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	guchar buf[65536];
	ssize_t got;
	off_t off = 0;
	char *hex = NULL;

	while ((got = pread(fd, buf, sizeof buf, off)) > 0) {
		g_checksum_update(sum, buf, (gssize)got);
		off += got;
	}
	if (got == 0)
		hex = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	return hex;
}

int clipstore_finish(struct clipstore *cs, const char *box, const char *clip_id, char **path)
{
	struct assembly *a = find(cs, box, clip_id);
	char *hex, *dir, *dest, *key;
	char prefix[3];
	int rc = 0;

	if (!a)
		return -ENOENT;
	if (a->have_count < a->spec.chunk_count)
		return -EAGAIN;
	if (fsync(a->fd) != 0)
		return -EIO;
	hex = hash_file(a->fd);
	if (!hex)
		return -EIO;
	if (strcmp(hex, a->sha256) != 0) {
		/* every chunk matched its own hash, yet the whole does not: start over */
		g_free(hex);
		reset(a);
		return -EBADMSG;
	}
	g_free(hex);
	memcpy(prefix, a->sha256, 2);
	prefix[2] = '\0';
	dir = g_build_filename(cs->root, prefix, NULL);
	dest = g_strdup_printf("%s/%s.%s", dir, a->sha256, a->ext);
	if (g_mkdir_with_parents(dir, 0750) != 0 || g_rename(a->part, dest) != 0)
		rc = -errno;
	g_free(dir);
	if (rc) {
		g_free(dest);
		return rc;
	}
	*path = dest;
	key = key_of(box, clip_id);
	g_hash_table_remove(cs->assemblies, key);
	g_free(key);
	return 0;
}
