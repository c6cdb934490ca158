/*
 * clip.c — see clip.h.
 */
#include "clip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

void clip_file_release(struct clip_file *clip)
{
	g_free(clip->path);
	g_strfreev(clip->chunk_sha256);
	memset(clip, 0, sizeof *clip);
}

/* Write all of buf to fd. */
static int write_all(int fd, const guchar *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int clip_chunk_size(int64_t bytes, int preferred)
{
	int64_t size = preferred;

	while (size < CLIP_MAX_CHUNK_SIZE && (bytes + size - 1) / size > CLIP_MAX_CHUNKS)
		size *= 2;
	size = size > CLIP_MAX_CHUNK_SIZE ? CLIP_MAX_CHUNK_SIZE : size;
	return (bytes + size - 1) / size > CLIP_MAX_CHUNKS ? 0 : (int)size;
}

/* A file hashed whole: clip takes path, the chunk sums (the array's strings
 * move to it; the array is freed) and the whole file's sha256. */
static void clip_take_sums(struct clip_file *clip, const char *path, int chunk_size,
			   GPtrArray *chunk_sums, GChecksum *whole)
{
	g_ptr_array_add(chunk_sums, NULL);
	g_ptr_array_set_free_func(chunk_sums, NULL);
	clip->path = g_strdup(path);
	clip->chunk_size = chunk_size;
	clip->chunk_count = (int)chunk_sums->len - 1;
	clip->chunk_sha256 = (char **)g_ptr_array_free(chunk_sums, FALSE);
	g_strlcpy(clip->sha256, g_checksum_get_string(whole), sizeof clip->sha256);
}

int clip_build(const char *const *segments, size_t n, const char *out_path, int chunk_size,
	       struct clip_file *clip, char *err, size_t errlen)
{
	GChecksum *whole = g_checksum_new(G_CHECKSUM_SHA256);
	GChecksum *part = g_checksum_new(G_CHECKSUM_SHA256);
	GPtrArray *chunk_sums = g_ptr_array_new_with_free_func(g_free);
	guchar *buf = g_malloc((size_t)chunk_size);
	size_t in_chunk = 0; /* bytes of the current chunk so far */
	int out = -1, rc = 0;

	memset(clip, 0, sizeof *clip);
	if (chunk_size < 1 || n == 0) {
		snprintf(err, errlen, "a clip needs segments and a chunk size");
		rc = -EINVAL;
		goto out;
	}
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create clip '%s': %s", out_path, g_strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		int in = open(segments[i], O_RDONLY | O_CLOEXEC);
		ssize_t got;

		if (in < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot open segment '%s': %s", segments[i],
				 g_strerror(errno));
			break;
		}
		/* read so that chunk boundaries fall at multiples of chunk_size */
		while ((got = read(in, buf, (size_t)chunk_size - in_chunk)) > 0) {
			rc = write_all(out, buf, (size_t)got);
			if (rc) {
				snprintf(err, errlen, "cannot write clip '%s': %s", out_path,
					 g_strerror(-rc));
				break;
			}
			g_checksum_update(whole, buf, got);
			g_checksum_update(part, buf, got);
			clip->bytes += got;
			in_chunk += (size_t)got;
			if (in_chunk == (size_t)chunk_size) {
				g_ptr_array_add(chunk_sums, g_strdup(g_checksum_get_string(part)));
				g_checksum_reset(part);
				in_chunk = 0;
			}
		}
		if (got < 0 && !rc) {
			rc = -errno;
			snprintf(err, errlen, "cannot read segment '%s': %s", segments[i],
				 g_strerror(errno));
		}
		close(in);
	}
	if (!rc && in_chunk > 0)
		g_ptr_array_add(chunk_sums, g_strdup(g_checksum_get_string(part)));
	if (!rc && clip->bytes == 0) {
		snprintf(err, errlen, "the segments are empty");
		rc = -ENODATA;
	}
	if (!rc && fsync(out) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot sync clip '%s': %s", out_path, g_strerror(errno));
	}
out:
	if (out >= 0)
		close(out);
	if (rc) {
		g_unlink(out_path);
		g_ptr_array_free(chunk_sums, TRUE);
		clip_file_release(clip);
	} else {
		clip_take_sums(clip, out_path, chunk_size, chunk_sums, whole);
	}
	g_checksum_free(whole);
	g_checksum_free(part);
	g_free(buf);
	return rc;
}

int clip_hash_file(const char *path, int chunk_size, struct clip_file *clip, char *err,
		   size_t errlen)
{
	GChecksum *whole = g_checksum_new(G_CHECKSUM_SHA256);
	GChecksum *part = g_checksum_new(G_CHECKSUM_SHA256);
	GPtrArray *chunk_sums = g_ptr_array_new_with_free_func(g_free);
	guchar *buf = g_malloc((size_t)MAX(chunk_size, 1));
	int fd = -1, rc = 0;
	ssize_t got = 0;

	memset(clip, 0, sizeof *clip);
	if (chunk_size < 1) {
		snprintf(err, errlen, "a chunk size is needed");
		rc = -EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open segment '%s': %s", path, g_strerror(errno));
		goto out;
	}
	for (;;) {
		size_t have = 0;

		/* a whole chunk (or the end) per round */
		while (have < (size_t)chunk_size &&
		       (got = read(fd, buf + have, (size_t)chunk_size - have)) > 0)
			have += (size_t)got;
		if (got < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read segment '%s': %s", path,
				 g_strerror(errno));
			goto out;
		}
		if (have == 0)
			break;
		g_checksum_update(whole, buf, (gssize)have);
		g_checksum_update(part, buf, (gssize)have);
		g_ptr_array_add(chunk_sums, g_strdup(g_checksum_get_string(part)));
		g_checksum_reset(part);
		clip->bytes += (int64_t)have;
		if (have < (size_t)chunk_size)
			break;
	}
	if (clip->bytes == 0) {
		snprintf(err, errlen, "segment '%s' is empty", path);
		rc = -ENODATA;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc) {
		g_ptr_array_free(chunk_sums, TRUE);
		clip_file_release(clip);
	} else {
		clip_take_sums(clip, path, chunk_size, chunk_sums, whole);
	}
	g_checksum_free(whole);
	g_checksum_free(part);
	g_free(buf);
	return rc;
}

int clip_read_chunk(const struct clip_file *clip, int k, void *buf, size_t *len)
{
	off_t off = (off_t)k * clip->chunk_size;
	int fd;
	ssize_t got;

	if (k < 0 || k >= clip->chunk_count)
		return -ERANGE;
	fd = open(clip->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, buf, (size_t)MIN((int64_t)clip->chunk_size, clip->bytes - off), off);
	close(fd);
	if (got < 0)
		return -errno;
	*len = (size_t)got;
	return 0;
}
