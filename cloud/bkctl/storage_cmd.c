/*
 * storage_cmd.c — see storage_cmd.h. Reads the archive read-only; --out
 * reads the segments from the clip store's directory (--store) and writes
 * them one after the other, which is a valid MPEG-TS stream (the box cut
 * them from one recording): any player takes it, no remux needed.
 */
#include "storage_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "archive.h"
#include "clipstore.h"
#include "clock.h"
#include "command_word.h"
#include "log.h"
#include "output.h"

#define SEGMENT_SLACK_MS 1500 /* as the HTTP API: segments closer than this meet */

static const char *const commands[] = { "storage", "recordings", NULL };
static const char *const flags[] = { "--json", "-j", "--partial", "--help", "-h", NULL };

bool bkctl_storage_wants(int argc, char **argv)
{
	return bkctl_command_word_is(argc, argv, commands, flags);
}

/* --- storage ----------------------------------------------------------- */

struct use_rows {
	struct output *out;
	int64_t days, budget;
};

static void on_use(void *ctx, const struct archive_storage_use *u)
{
	struct use_rows *r = ctx;
	static const char *const names[] = { "box",	  "camera",	    "segments",
					     "bytes",	  "oldest",	    "newest",
					     "kept_days", "retention_days", "budget_share" };
	char oldest[CLOCK_TS_LEN], newest[CLOCK_TS_LEN];
	struct archive_value v[9] = {
		{ .type = VALUE_TEXT, .text = u->box },
		{ .type = VALUE_TEXT, .text = u->camera },
		{ .type = VALUE_INT, .i = u->segments },
		{ .type = VALUE_INT, .i = u->bytes },
		{ .type = VALUE_TEXT, .text = oldest },
		{ .type = VALUE_TEXT, .text = newest },
		{ .type = VALUE_REAL, .r = (double)(u->newest_ms - u->oldest_ms) / 86400000.0 },
		{ .type = VALUE_INT, .i = r->days },
		{ .type = r->budget > 0 ? VALUE_REAL : VALUE_NULL,
		  .r = r->budget > 0 ? (double)u->bytes / (double)r->budget : 0 },
	};

	clock_format_ms(u->oldest_ms, oldest);
	clock_format_ms(u->newest_ms, newest);
	output_row(r->out, 9, names, v);
}

static int storage(struct archive *a, const char *box, bool json)
{
	struct use_rows r = { .out = output_new(json) };
	int rc = archive_meta_get(a, "storage_retention_days", &r.days);

	if (!rc)
		rc = archive_meta_get(a, "storage_budget", &r.budget);
	if (!rc)
		rc = archive_storage_use(a, box, on_use, &r);
	output_finish(r.out, rc ? NULL : stdout);
	if (!rc && !json && r.days == 0)
		printf("retention: not known (no collector has started on this archive)\n");
	else if (!rc && !json && r.budget == 0)
		printf("retention %lld days, no byte budget\n", (long long)r.days);
	else if (!rc && !json)
		printf("retention %lld days, budget %lld bytes\n", (long long)r.days,
		       (long long)r.budget);
	return rc ? 1 : 0;
}

/* --- recordings -------------------------------------------------------- */

struct segs {
	GArray *spans;
	GPtrArray *shas;
	int64_t bytes;
};

static void on_seg(void *ctx, const struct archive_recording *r)
{
	struct segs *s = ctx;
	struct archive_span sp = { r->start_ms, r->end_ms };

	g_array_append_val(s->spans, sp);
	g_ptr_array_add(s->shas, g_strdup(r->sha256));
	s->bytes += r->bytes;
}

static void print_spans(struct output *out, const char *kind, GArray *spans)
{
	static const char *const names[] = { "kind", "from", "to", "seconds" };

	for (guint i = 0; i < spans->len; i++) {
		const struct archive_span *sp = &g_array_index(spans, struct archive_span, i);
		char from[CLOCK_TS_LEN], to[CLOCK_TS_LEN];
		struct archive_value v[4] = {
			{ .type = VALUE_TEXT, .text = kind },
			{ .type = VALUE_TEXT, .text = from },
			{ .type = VALUE_TEXT, .text = to },
			{ .type = VALUE_REAL, .r = (double)(sp->to_ms - sp->from_ms) / 1000.0 },
		};

		clock_format_ms(sp->from_ms, from);
		clock_format_ms(sp->to_ms, to);
		output_row(out, 4, names, v);
	}
}

struct bounds {
	const char *camera;
	int64_t from, to;
};

static void on_bounds(void *ctx, const struct archive_storage_use *u)
{
	struct bounds *b = ctx;

	if (!strcmp(u->camera, b->camera)) {
		b->from = u->oldest_ms;
		b->to = u->newest_ms;
	}
}

/* Write the segments one after the other into out_path (under a temporary
 * name, renamed when whole). 0, or 1 with a line on stderr. */
static int write_range(const char *store_dir, GPtrArray *shas, const char *out_path)
{
	char err[256];
	struct clipstore *cs = clipstore_open(store_dir, err, sizeof err);
	char *tmp = g_strdup_printf("%s.part", out_path);
	FILE *out = NULL;
	int status = 1;

	if (!cs) {
		fprintf(stderr, "bkctl: %s\n", err);
		goto out;
	}
	out = fopen(tmp, "wb");
	if (!out) {
		fprintf(stderr, "bkctl: cannot create '%s': %s\n", tmp, g_strerror(errno));
		goto out;
	}
	for (guint i = 0; i < shas->len; i++) {
		char *path = clipstore_object_path(cs, g_ptr_array_index(shas, i), "ts");
		gchar *data = NULL;
		gsize len = 0;

		if (!path || !g_file_get_contents(path, &data, &len, NULL)) {
			fprintf(stderr, "bkctl: segment %s is not in the clip store '%s'\n",
				(char *)g_ptr_array_index(shas, i), store_dir);
			g_free(path);
			goto out;
		}
		g_free(path);
		if (fwrite(data, 1, len, out) != len) {
			fprintf(stderr, "bkctl: cannot write '%s': %s\n", tmp, g_strerror(errno));
			g_free(data);
			goto out;
		}
		g_free(data);
	}
	if (fclose(out) != 0) {
		out = NULL;
		fprintf(stderr, "bkctl: cannot write '%s': %s\n", tmp, g_strerror(errno));
		goto out;
	}
	out = NULL;
	if (g_rename(tmp, out_path) != 0) {
		fprintf(stderr, "bkctl: cannot rename '%s' to '%s': %s\n", tmp, out_path,
			g_strerror(errno));
		goto out;
	}
	status = 0;
out:
	if (out)
		fclose(out);
	if (status)
		g_unlink(tmp);
	g_free(tmp);
	clipstore_close(cs);
	return status;
}

static int recordings(struct archive *a, const char *box, const char *camera, const char *from_s,
		      const char *to_s, const char *out_path, const char *store, bool partial,
		      bool json)
{
	struct segs s = { g_array_new(FALSE, FALSE, sizeof(struct archive_span)),
			  g_ptr_array_new_with_free_func(g_free), 0 };
	GArray *ranges = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	GArray *gaps = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	struct bounds b = { .camera = camera };
	int64_t from = 0, to = 0;
	struct output *out;
	int status = 2;

	if ((from_s && !archive_parse_when(from_s, &from)) ||
	    (to_s && !archive_parse_when(to_s, &to))) {
		fprintf(stderr, "bkctl: --%s '%s' is not a time like 2026-01-31T08:00:00.000Z\n",
			from_s && !archive_parse_when(from_s, &from) ? "from" : "to",
			from_s && !archive_parse_when(from_s, &from) ? from_s : to_s);
		goto out;
	}
	if (out_path && (!from_s || !to_s || !store)) {
		fprintf(stderr, "bkctl: recordings --out needs --from, --to and --store DIR (the "
				"collector's clip store)\n");
		goto out;
	}
	status = 1;
	if (!from_s || !to_s) {
		if (archive_storage_use(a, box, on_bounds, &b))
			goto out;
		from = from_s ? from : b.from;
		to = to_s ? to : b.to;
	}
	if (to < from) {
		fprintf(stderr, "bkctl: --to is before --from\n");
		status = 2;
		goto out;
	}
	if (archive_recordings_between(a, box, camera, from, to, on_seg, &s))
		goto out;
	archive_recordings_spans((const struct archive_span *)(void *)s.spans->data, s.spans->len,
				 from, to, SEGMENT_SLACK_MS, ranges, gaps);
	if (out_path) {
		if (s.spans->len == 0 || (gaps->len && !partial)) {
			fprintf(stderr,
				"bkctl: %s of %s has %s in that range; nothing written (--partial: "
				"what there is)\n",
				camera, box, s.spans->len ? "gaps" : "no recording");
			out = output_new(false);
			print_spans(out, "gap", gaps);
			output_finish(out, stderr);
			goto out;
		}
		status = write_range(store, s.shas, out_path);
		if (!status)
			printf("%s: %u segments, %lld bytes (MPEG-TS)\n", out_path, s.shas->len,
			       (long long)s.bytes);
		goto out;
	}
	out = output_new(json);
	print_spans(out, "recorded", ranges);
	print_spans(out, "gap", gaps);
	output_finish(out, stdout);
	if (!json)
		printf("%u segments, %lld bytes\n", s.spans->len, (long long)s.bytes);
	status = 0;
out:
	g_array_free(s.spans, TRUE);
	g_ptr_array_free(s.shas, TRUE);
	g_array_free(ranges, TRUE);
	g_array_free(gaps, TRUE);
	return status;
}

int bkctl_storage(int argc, char **argv)
{
	char *db = NULL, *box = NULL, *from = NULL, *to = NULL, *out_path = NULL, *store = NULL;
	gboolean json = FALSE, partial = FALSE;
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, "print JSON instead of a table", NULL },
		{ "box", 'b', 0, G_OPTION_ARG_FILENAME, &box, "storage: only this box", "ID" },
		{ "from", 0, 0, G_OPTION_ARG_FILENAME, &from, "recordings: range start",
		  "TIMESTAMP" },
		{ "to", 0, 0, G_OPTION_ARG_FILENAME, &to, "recordings: range end", "TIMESTAMP" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
		  "recordings: write the range to FILE (MPEG-TS)", "FILE" },
		{ "store", 0, 0, G_OPTION_ARG_FILENAME, &store,
		  "recordings --out: the collector's clip store directory", "DIR" },
		{ "partial", 0, 0, G_OPTION_ARG_NONE, &partial,
		  "recordings --out: write what there is despite gaps", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx =
	    g_option_context_new("storage|recordings BOX CAMERA - central continuous storage");
	GError *err = NULL;
	char **args = g_new0(char *, argc + 1);
	struct archive *a = NULL;
	int status = 2;

	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &args, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (!db) {
		fprintf(stderr, "bkctl: --db FILE is required\n");
		goto out;
	}
	if (!strcmp(args[1], "recordings") && argc != 4) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE recordings BOX CAMERA [--from T "
				"--to T] [--out FILE --store DIR]\n");
		goto out;
	}
	if (!strcmp(args[1], "storage") && argc != 2) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE storage [--box BOX]\n");
		goto out;
	}
	log_init("bkctl", LOG_WARN);
	a = archive_open(db, true);
	if (!a) {
		status = 1;
		goto out;
	}
	if (!strcmp(args[1], "storage"))
		status = storage(a, box, json);
	else
		status = recordings(a, args[2], args[3], from, to, out_path, store, partial, json);
out:
	archive_close(a);
	g_option_context_free(octx);
	g_free(args);
	g_free(db);
	g_free(box);
	g_free(from);
	g_free(to);
	g_free(out_path);
	g_free(store);
	return status;
}
