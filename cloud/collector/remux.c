/*
 * remux.c — see remux.h.
 */
#include "remux.h"

#include <errno.h>
#include <stdbool.h>
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
	for (guint i = 0; i < j->waiters->len; i++) {
		struct waiter *w = &g_array_index(j->waiters, struct waiter, i);

		w->fn(w->ctx, ok ? j->mp4_path : NULL);
	}
	g_array_free(j->waiters, TRUE);
	g_free(j->name);
	g_free(j->tmp_path);
	g_free(j->mp4_path);
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

/* filesrc/filesink take paths as properties: no quoting of the launch line needed. */
static GstElement *make_pipeline(const char *src, const char *dst)
{
	GError *err = NULL;
	GstElement *p = gst_parse_launch("filesrc name=src ! tsdemux ! h264parse ! "
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

int remux_get(struct remux *r, const char *ts_path, const char *name, char **mp4_path,
	      remux_done_fn fn, void *ctx)
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
	*mp4_path = g_build_filename(r->cache_dir, file, NULL);
	g_free(file);
	if (g_file_test(*mp4_path, G_FILE_TEST_IS_REGULAR))
		return 0;

	j = g_new0(struct job, 1);
	j->r = r;
	j->name = g_strdup(name);
	j->mp4_path = *mp4_path;
	*mp4_path = NULL;
	j->tmp_path = g_strdup_printf("%s.part", j->mp4_path);
	j->waiters = g_array_new(FALSE, FALSE, sizeof(struct waiter));
	j->pipeline = make_pipeline(ts_path, j->tmp_path);
	if (!j->pipeline) {
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
