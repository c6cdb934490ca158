/*
 * clipstore_dir.c — the clip store's "file" backend (see clipstore.h): a
 * directory, local or on a filesystem that several collectors share (NFS,
 * CephFS).
 *
 *   ROOT/<xx>/<sha256>.<ext>            verified objects (xx: the hash's first two hex digits)
 *   ROOT/tmp/<box>/<clip>/<n>.chunk     chunks of assemblies in progress, shared
 *   ROOT/tmp/<box>/<clip>/.<n>.XXXXXX   a chunk being written
 *   ROOT/tmp/.<sha256>.<ext>.XXXXXX     an object being written
 *
 * Invariants: a name without a leading dot holds complete bytes. Every file
 * is written under a name of its own (mkstemp: O_EXCL, which NFSv3 and later
 * honour too) and renamed or linked into place, which is atomic on POSIX
 * filesystems and on NFS: no reader, on any machine, sees half a chunk, and
 * two collectors writing the same chunk at once leave one of two equal
 * files. An object is fsynced before it is linked to its address; link()
 * never replaces, so of two collectors publishing the same object one
 * creates it and the other gets EEXIST (the same bytes: content-addressed);
 * its directory is fsynced after. Chunks are not fsynced: the front checks
 * the whole before publishing and asks again for a chunk a crash damaged.
 *
 * NFS caches attributes and (negative) look-ups: another machine's chunk may
 * be seen late, which delays a verdict, never corrupts one (see README).
 *
 * Costs: per chunk a mkstemp, a write and a rename; per object the chunks
 * read back, one write, an fsync, a link and a directory fsync.
 */
#include "clipstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

struct dir_store {
	char *root, *tmp;
};

struct dir_object {
	int fd;
	char *tmp, *dir, *dest;
};

static bool id_ok(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static void *dir_open(const char *location, char *err, size_t errlen)
{
	struct dir_store *ds;
	char *root, *host = NULL, *tmp;
	GError *gerr = NULL;

	if (g_str_has_prefix(location, "file://")) {
		root = g_filename_from_uri(location, &host, &gerr);
		if (!root || (host && strcmp(host, "localhost") != 0)) {
			snprintf(err, errlen, "cannot open the clip store '%s': %s", location,
				 root ? "a file URL names no host (file:///path)" : gerr->message);
			g_clear_error(&gerr);
			g_free(host);
			g_free(root);
			return NULL;
		}
		g_free(host);
	} else if (*location) {
		root = g_strdup(location);
	} else {
		snprintf(err, errlen, "cannot open the clip store '': no directory given");
		return NULL;
	}
	tmp = g_build_filename(root, "tmp", NULL);
	if (g_mkdir_with_parents(tmp, 0750) != 0) {
		snprintf(err, errlen, "cannot create the clip store '%s': %s", tmp,
			 g_strerror(errno));
		g_free(tmp);
		g_free(root);
		return NULL;
	}
	ds = g_new0(struct dir_store, 1);
	ds->root = root;
	ds->tmp = tmp;
	return ds;
}

static void dir_close(void *be)
{
	struct dir_store *ds = be;

	g_free(ds->root);
	g_free(ds->tmp);
	g_free(ds);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t put = write(fd, p, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return put < 0 ? -errno : -EIO;
		p += put;
		len -= (size_t)put;
	}
	return 0;
}

static char *assembly_dir(const struct dir_store *ds, const char *box, const char *clip_id)
{
	return g_build_filename(ds->tmp, box, clip_id, NULL);
}

static char *chunk_path(const struct dir_store *ds, const char *box, const char *clip_id, int n)
{
	char name[32];

	snprintf(name, sizeof name, "%d.chunk", n);
	return g_build_filename(ds->tmp, box, clip_id, name, NULL);
}

/* n of "<n>.chunk", else -1. */
static int chunk_number(const char *name)
{
	int n = 0, digits = 0;

	for (; g_ascii_isdigit(name[digits]) && digits < 7; digits++)
		n = n * 10 + (name[digits] - '0');
	if (!digits || (name[0] == '0' && digits > 1) || strcmp(name + digits, ".chunk") != 0)
		return -1;
	return n;
}

static int dir_chunk_put(void *be, const char *box, const char *clip_id, int n, const void *data,
			 size_t len)
{
	struct dir_store *ds = be;
	char *dir, *tmp = NULL, *dest;
	int fd = -1, rc = 0;

	if (!id_ok(box) || !id_ok(clip_id) || n < 0)
		return -EINVAL;
	dir = assembly_dir(ds, box, clip_id);
	/* again when another collector (a sweep, or one that just published the
	 * clip) removes the directories, empty, between the mkdir and the mkstemp */
	for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
		if (g_mkdir_with_parents(dir, 0750) != 0) {
			rc = -errno;
			break;
		}
		g_free(tmp);
		tmp = g_strdup_printf("%s/.%d.XXXXXX", dir, n);
		fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0640);
		rc = fd < 0 ? -errno : 0;
	}
	if (fd >= 0) {
		rc = write_all(fd, data, len);
		/* NFS reports a failed write at close */
		if (close(fd) != 0 && !rc)
			rc = -errno;
		dest = chunk_path(ds, box, clip_id, n);
		if (!rc && rename(tmp, dest) != 0)
			rc = -errno;
		if (rc)
			g_unlink(tmp);
		g_free(dest);
	}
	g_free(tmp);
	g_free(dir);
	return rc;
}

static int dir_chunk_read(void *be, const char *box, const char *clip_id, int n, void *buf,
			  size_t len)
{
	struct dir_store *ds = be;
	char *path;
	struct stat st;
	size_t got = 0;
	int fd, rc;

	if (!id_ok(box) || !id_ok(clip_id) || n < 0)
		return -EINVAL;
	path = chunk_path(ds, box, clip_id, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	rc = fd < 0 ? -errno : 0;
	g_free(path);
	if (rc)
		return rc;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
	} else if ((uint64_t)st.st_size > len) {
		rc = (int)MIN((uint64_t)st.st_size, (uint64_t)G_MAXINT);
	} else {
		while (got < len) {
			ssize_t r = read(fd, (char *)buf + got, len - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = -errno;
				break;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		if (!rc)
			rc = (int)got;
	}
	close(fd);
	return rc;
}

static int dir_chunk_present(void *be, const char *box, const char *clip_id, int n)
{
	struct dir_store *ds = be;
	char *path;
	struct stat st;
	int rc;

	if (!id_ok(box) || !id_ok(clip_id) || n < 0)
		return -EINVAL;
	path = chunk_path(ds, box, clip_id, n);
	rc = stat(path, &st) == 0		   ? S_ISREG(st.st_mode)
	     : errno == ENOENT || errno == ENOTDIR ? 0
						   : -errno;
	g_free(path);
	return rc;
}

static int dir_chunk_list(void *be, const char *box, const char *clip_id, uint8_t *have, int count)
{
	struct dir_store *ds = be;
	char *dir;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!id_ok(box) || !id_ok(clip_id))
		return -EINVAL;
	dir = assembly_dir(ds, box, clip_id);
	d = opendir(dir);
	g_free(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		int n = chunk_number(e->d_name);

		if (n >= 0 && n < count)
			have[n] = 1;
	}
	closedir(d);
	return rc;
}

/* Every entry of dir whose name all(…) or chunk_number accepts; then the
 * directory itself if that empties it. How many files went. */
static int empty_dir(const char *dir, bool all)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int gone = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (all || chunk_number(e->d_name) >= 0) {
			char *path = g_build_filename(dir, e->d_name, NULL);

			gone += g_unlink(path) == 0;
			g_free(path);
		}
	}
	closedir(d);
	g_rmdir(dir); /* ENOTEMPTY: a chunk being written; a sweep takes it later */
	return gone;
}

static int dir_chunk_remove(void *be, const char *box, const char *clip_id, int n)
{
	struct dir_store *ds = be;
	char *path;
	int rc = 0;

	if (!id_ok(box) || !id_ok(clip_id))
		return -EINVAL;
	if (n >= 0) {
		path = chunk_path(ds, box, clip_id, n);
		if (g_unlink(path) != 0 && errno != ENOENT)
			rc = -errno;
	} else {
		path = assembly_dir(ds, box, clip_id);
		empty_dir(path, false);
		g_free(path);
		path = g_build_filename(ds->tmp, box, NULL);
		g_rmdir(path); /* when it was the box's last */
	}
	g_free(path);
	return rc;
}

static char *object_dir(const struct dir_store *ds, const char *sha256)
{
	char prefix[3] = { sha256[0], sha256[1], '\0' };

	return g_build_filename(ds->root, prefix, NULL);
}

static char *object_file(const struct dir_store *ds, const char *sha256, const char *ext)
{
	char *dir = object_dir(ds, sha256);
	char *path = g_strdup_printf("%s/%s.%s", dir, sha256, ext);

	g_free(dir);
	return path;
}

static void *dir_object_begin(void *be, const char *sha256, const char *ext)
{
	struct dir_store *ds = be;
	struct dir_object *w = g_new0(struct dir_object, 1);

	w->tmp = g_strdup_printf("%s/.%s.%s.XXXXXX", ds->tmp, sha256, ext);
	w->fd = g_mkstemp_full(w->tmp, O_RDWR | O_CLOEXEC, 0640);
	if (w->fd < 0 && errno == ENOENT && g_mkdir_with_parents(ds->tmp, 0750) == 0) {
		g_free(w->tmp);
		w->tmp = g_strdup_printf("%s/.%s.%s.XXXXXX", ds->tmp, sha256, ext);
		w->fd = g_mkstemp_full(w->tmp, O_RDWR | O_CLOEXEC, 0640);
	}
	if (w->fd < 0) {
		int saved = errno;

		g_free(w->tmp);
		g_free(w);
		errno = saved;
		return NULL;
	}
	w->dir = object_dir(ds, sha256);
	w->dest = object_file(ds, sha256, ext);
	return w;
}

static int dir_object_append(void *wp, const void *data, size_t len)
{
	struct dir_object *w = wp;

	return write_all(w->fd, data, len);
}

static void object_free(struct dir_object *w)
{
	if (w->fd >= 0)
		close(w->fd);
	g_unlink(w->tmp);
	g_free(w->tmp);
	g_free(w->dir);
	g_free(w->dest);
	g_free(w);
}

static void dir_object_abort(void *wp)
{
	object_free(wp);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	/* some filesystems cannot sync a directory (EINVAL): nothing to do there */
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

static int dir_object_commit(void *wp)
{
	struct dir_object *w = wp;
	int rc = 0, fd = w->fd;

	w->fd = -1;
	if (fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && g_mkdir_with_parents(w->dir, 0750) != 0)
		rc = -errno;
	if (!rc && link(w->tmp, w->dest) != 0) {
		int e = errno;

		if (e == EEXIST || g_file_test(w->dest, G_FILE_TEST_IS_REGULAR)) {
			/* there already (or an NFS link whose reply was lost):
			 * the same bytes, whoever put them there */
			rc = CLIPSTORE_ALREADY;
		} else if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK ||
			   e == ENOSYS) {
			/* no hard links here: rename replaces, which is
			 * harmless for content-addressed files */
			rc = rename(w->tmp, w->dest) == 0 ? 0 : -errno;
		} else {
			rc = -e;
		}
	}
	if (rc >= 0 && fsync_dir(w->dir) != 0)
		rc = -EIO;
	object_free(w);
	return rc;
}

static char *dir_object_path(void *be, const char *sha256, const char *ext)
{
	char *path = object_file(be, sha256, ext);
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_free(path);
		return NULL;
	}
	return path;
}

static int dir_object_remove(void *be, const char *sha256, const char *ext)
{
	char *path = object_file(be, sha256, ext);
	int rc = g_unlink(path) == 0 ? 0 : -errno;

	g_free(path);
	return rc;
}

/* An assembly directory: its old temporary files go, and all of it when
 * nothing in it (nor itself) changed for assembly_age, or when it is empty
 * (a chunk_put that just made it tries again). How many files went. */
static int sweep_assembly(const char *dir, time_t now, int64_t temp_age, int64_t assembly_age)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	time_t newest;
	int gone = 0;

	if (!d || fstat(dirfd(d), &st) != 0) {
		if (d)
			closedir(d);
		return 0;
	}
	newest = st.st_mtime;
	while ((e = readdir(d))) {
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = g_build_filename(dir, e->d_name, NULL);
		if (lstat(path, &st) == 0) {
			if (e->d_name[0] == '.' && now - st.st_mtime > temp_age)
				gone += g_unlink(path) == 0;
			else if (st.st_mtime > newest)
				newest = st.st_mtime;
		}
		g_free(path);
	}
	closedir(d);
	if (now - newest > assembly_age)
		gone += empty_dir(dir, true);
	else
		g_rmdir(dir); /* when empty: a finished clip's, once its stragglers went */
	return gone;
}

static int dir_sweep(void *be, int64_t temp_age, int64_t assembly_age)
{
	struct dir_store *ds = be;
	DIR *d = opendir(ds->tmp), *bd;
	struct dirent *e, *c;
	time_t now = time(NULL);
	int gone = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *path;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = g_build_filename(ds->tmp, e->d_name, NULL);
		if (lstat(path, &st) != 0) {
			g_free(path);
			continue;
		}
		if (e->d_name[0] == '.' && S_ISREG(st.st_mode)) {
			if (now - st.st_mtime > temp_age)
				gone += g_unlink(path) == 0;
		} else if (S_ISDIR(st.st_mode) && (bd = opendir(path))) {
			while ((c = readdir(bd))) {
				char *sub;

				if (!strcmp(c->d_name, ".") || !strcmp(c->d_name, ".."))
					continue;
				sub = g_build_filename(path, c->d_name, NULL);
				gone += sweep_assembly(sub, now, temp_age, assembly_age);
				g_free(sub);
			}
			closedir(bd);
			g_rmdir(path); /* when it holds nothing more */
		}
		g_free(path);
	}
	closedir(d);
	return gone;
}

const struct clip_store_ops clipstore_dir_ops = {
	.scheme = "file",
	.open = dir_open,
	.close = dir_close,
	.chunk_put = dir_chunk_put,
	.chunk_read = dir_chunk_read,
	.chunk_present = dir_chunk_present,
	.chunk_list = dir_chunk_list,
	.chunk_remove = dir_chunk_remove,
	.object_begin = dir_object_begin,
	.object_append = dir_object_append,
	.object_commit = dir_object_commit,
	.object_abort = dir_object_abort,
	.object_path = dir_object_path,
	.object_remove = dir_object_remove,
	.sweep = dir_sweep,
};
