/*
 * remux.c — see remux.h.
 */
#include "remux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "log.h"

#define REMUX_TIMEOUT_S 60 /* a clip is minutes at most; a stuck pipeline must not hang requests   \
			    */

struct waiter {
	remux_done_fn fn;
	void *ctx;
};

struct job {
	struct remux *r;
	char *name, *tmp_path, *mp4_path;
	char *src_tmp; /* a concatenation made for the job, deleted with it; or NULL */
	GstElement *pipeline;
	guint bus_watch, timeout;
	GArray *waiters; /* of struct waiter */
};

struct remux {
	char *cache_dir;
	GHashTable *jobs; /* name → struct job*, running only */
};

/* Take the job out, tell its waiters (mp4_path NULL: failed), free it. */
static void job_finish(struct job *j, bool ok)
{
	g_hash_table_steal(j->r->jobs, j->name);
	if (j->bus_watch)
		g_source_remove(j->bus_watch);
	if (j->timeout)
		g_source_remove(j->timeout);
	gst_element_set_state(j->pipeline, GST_STATE_NULL);
	gst_object_unref(j->pipeline);
	if (ok && g_rename(j->tmp_path, j->mp4_path) != 0) {
		log_error("cannot rename '%s' to '%s': %s", j->tmp_path, j->mp4_path,
			  g_strerror(errno));
		ok = false;
	}
	if (!ok)
		g_unlink(j->tmp_path);
	if (j->src_tmp)
		g_unlink(j->src_tmp);
	for (guint i = 0; i < j->waiters->len; i++) {
		struct waiter *w = &g_array_index(j->waiters, struct waiter, i);

		w->fn(w->ctx, ok ? j->mp4_path : NULL);
	}
	g_array_free(j->waiters, TRUE);
	g_free(j->name);
	g_free(j->tmp_path);
	g_free(j->mp4_path);
	g_free(j->src_tmp);
	g_free(j);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
	struct job *j = data;
	GError *err = NULL;
	char *debug = NULL;

	(void)bus;
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_EOS:
		j->bus_watch = 0;
		job_finish(j, true);
		return G_SOURCE_REMOVE;
	case GST_MESSAGE_ERROR:
		gst_message_parse_error(msg, &err, &debug);
		log_error("cannot remux clip %s to MP4: %s (%s)", j->name, err->message,
			  debug ? debug : "no detail");
		g_error_free(err);
		g_free(debug);
		j->bus_watch = 0;
		job_finish(j, false);
		return G_SOURCE_REMOVE;
	default:
		return G_SOURCE_CONTINUE;
	}
}

static gboolean on_timeout(gpointer data)
{
	struct job *j = data;

	log_error("cannot remux clip %s to MP4: not done after %d s", j->name, REMUX_TIMEOUT_S);
	j->timeout = 0;
	job_finish(j, false);
	return G_SOURCE_REMOVE;
}

struct remux *remux_new(const char *cache_dir)
{
	struct remux *r;

	if (g_mkdir_with_parents(cache_dir, 0750) != 0) {
		log_error("cannot create the MP4 cache '%s': %s", cache_dir, g_strerror(errno));
		return NULL;
	}
	gst_init(NULL, NULL);
	r = g_new0(struct remux, 1);
	r->cache_dir = g_strdup(cache_dir);
	r->jobs = g_hash_table_new(g_str_hash, g_str_equal);
	return r;
}

void remux_free(struct remux *r)
{
	GHashTableIter it;
	gpointer job;

	if (!r)
		return;
	while (g_hash_table_size(r->jobs)) {
		g_hash_table_iter_init(&it, r->jobs);
		g_hash_table_iter_next(&it, NULL, &job);
		job_finish(job, false);
	}
	g_hash_table_destroy(r->jobs);
	g_free(r->cache_dir);
	g_free(r);
}

/* filesrc/filesink take paths as properties: no quoting of the launch line needed.
 * A range of segments joined: h264timestamper gives every frame the PTS
 * mp4mux needs ("Buffer has no PTS" at segment starts otherwise). */
static GstElement *make_pipeline(const char *src, const char *dst, bool joined)
{
	GError *err = NULL;
	GstElement *p = gst_parse_launch(joined ? "filesrc name=src ! tsdemux ! h264parse ! "
						  "h264timestamper ! mp4mux faststart=true ! "
						  "filesink name=dst"
						: "filesrc name=src ! tsdemux ! h264parse ! "
						  "mp4mux faststart=true ! filesink name=dst",
					 &err);
	GstElement *e;

	if (!p) {
		log_error("cannot build the remux pipeline: %s", err ? err->message : "unknown");
		g_clear_error(&err);
		return NULL;
	}
	g_clear_error(&err); /* a warning about a missing element still returns p */
	e = gst_bin_get_by_name(GST_BIN(p), "src");
	g_object_set(e, "location", src, NULL);
	gst_object_unref(e);
	e = gst_bin_get_by_name(GST_BIN(p), "dst");
	g_object_set(e, "location", dst, NULL);
	gst_object_unref(e);
	return p;
}

/* remux_get into dir; src_tmp (taken over, may be NULL) is deleted when
 * the job ends. */
static int get(struct remux *r, const char *ts_path, const char *name, const char *dir,
	       char *src_tmp, char **mp4_path, remux_done_fn fn, void *ctx);

int remux_get(struct remux *r, const char *ts_path, const char *name, char **mp4_path,
	      remux_done_fn fn, void *ctx)
{
	return get(r, ts_path, name, r->cache_dir, NULL, mp4_path, fn, ctx);
}

#define RANGE_KEEP_S 3600

/* Range MP4s nobody asked for within the hour go. */
static void prune_ranges(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		GStatBuf st;

		if (g_stat(path, &st) == 0 && now - (gint64)st.st_mtime > RANGE_KEEP_S)
			g_unlink(path);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
}

/* Concatenate the files into path: 0 or -errno. */
static int concat(const char *const *paths, size_t n, const char *path)
{
	char buf[1 << 16];
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), rc = 0;

	if (out < 0)
		return -errno;
	for (size_t i = 0; i < n && !rc; i++) {
		int in = open(paths[i], O_RDONLY | O_CLOEXEC);
		ssize_t got;

		if (in < 0) {
			rc = -errno;
			break;
		}
		while (!rc && (got = read(in, buf, sizeof buf)) > 0) {
			for (ssize_t off = 0; off < got && !rc;) {
				ssize_t w = write(out, buf + off, (size_t)(got - off));

				if (w < 0 && errno != EINTR)
					rc = -errno;
				else if (w > 0)
					off += w;
			}
		}
		if (!rc && got < 0)
			rc = -errno;
		close(in);
	}
	close(out);
	if (rc)
		g_unlink(path);
	return rc;
}

int remux_get_range(struct remux *r, const char *const *ts_paths, size_t n, const char *name,
		    char **mp4_path, remux_done_fn fn, void *ctx)
{
	char *dir = g_build_filename(r->cache_dir, "ranges", NULL);
	char *file = g_strdup_printf("%s.mp4", name), *src;
	int rc;

	*mp4_path = NULL;
	if (g_mkdir_with_parents(dir, 0750) != 0) {
		log_error("cannot create '%s': %s", dir, g_strerror(errno));
		rc = -EIO;
		goto out;
	}
	*mp4_path = g_build_filename(dir, file, NULL);
	if (g_hash_table_lookup(r->jobs, name) == NULL &&
	    g_file_test(*mp4_path, G_FILE_TEST_IS_REGULAR)) {
		g_utime(*mp4_path, NULL); /* asked for again: kept another hour */
		rc = 0;
		goto out;
	}
	g_free(*mp4_path);
	*mp4_path = NULL;
	prune_ranges(dir);
	src = NULL;
	if (g_hash_table_lookup(r->jobs, name) == NULL) {
		src = g_strdup_printf("%s/%s.ts", dir, name);
		rc = concat(ts_paths, n, src);
		if (rc) {
			log_error("cannot join the segments of %s into '%s': %s", name, src,
				  g_strerror(-rc));
			g_free(src);
			goto out;
		}
	}
	rc = get(r, src ? src : "", name, dir, src, mp4_path, fn, ctx);
out:
	g_free(file);
	g_free(dir);
	return rc;
}

static int get(struct remux *r, const char *ts_path, const char *name, const char *dir,
	       char *src_tmp, char **mp4_path, remux_done_fn fn, void *ctx)
{
	struct waiter w = { fn, ctx };
	struct job *j = g_hash_table_lookup(r->jobs, name);
	char *file;
	GstBus *bus;

	if (j) {
		g_array_append_val(j->waiters, w);
		return -EINPROGRESS;
	}
	file = g_strdup_printf("%s.mp4", name);
	*mp4_path = g_build_filename(dir, file, NULL);
	g_free(file);
	if (g_file_test(*mp4_path, G_FILE_TEST_IS_REGULAR)) {
		if (src_tmp)
			g_unlink(src_tmp);
		g_free(src_tmp);
		return 0;
	}

	j = g_new0(struct job, 1);
	j->r = r;
	j->name = g_strdup(name);
	j->mp4_path = *mp4_path;
	*mp4_path = NULL;
	j->tmp_path = g_strdup_printf("%s.part", j->mp4_path);
	j->waiters = g_array_new(FALSE, FALSE, sizeof(struct waiter));
	j->src_tmp = src_tmp;
	j->pipeline = make_pipeline(ts_path, j->tmp_path, src_tmp != NULL);
	if (!j->pipeline) {
		if (src_tmp)
			g_unlink(src_tmp);
		g_free(src_tmp);
		g_array_free(j->waiters, TRUE);
		g_free(j->name);
		g_free(j->tmp_path);
		g_free(j->mp4_path);
		g_free(j);
		return -EIO;
	}
	g_array_append_val(j->waiters, w);
	g_hash_table_insert(r->jobs, j->name, j);
	bus = gst_element_get_bus(j->pipeline);
	j->bus_watch = gst_bus_add_watch(bus, on_bus, j);
	gst_object_unref(bus);
	j->timeout = g_timeout_add_seconds(REMUX_TIMEOUT_S, on_timeout, j);
	if (gst_element_set_state(j->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		/* the bus carries the reason; finishing here would call fn at once */
		log_warn("remux of clip %s did not start", name);
	}
	return -EINPROGRESS;
}
