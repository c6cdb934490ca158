/*
 * bkctl — the regulators' and operators' command line over the archive.
 *
 *   bkctl --db FILE boxes    [--box ID] [--json]
 *   bkctl --db FILE readings [--box ID] [--sensor ID] [--since TS] [--limit N] [--json]
 *   bkctl --db FILE rejects  [--box ID] [--limit N] [--json]
 *   bkctl --db FILE events   [--box ID] [--sensor ID] [--since TS] [--limit N] [--json]
 *   bkctl --db FILE event-steps [same filters]
 *   bkctl --db FILE gaps     [--box ID] [--json]
 *   bkctl --db FILE watch    [--box ID] [--since TS]    (until Ctrl-C)
 *
 * It opens the archive read-only, so it is safe beside a running collector.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "clock.h"
#include "log.h"
#include "output.h"
#include "version.h"

static const struct {
	const char *name;
	enum archive_report report;
	const char *help;
} commands[] = {
	{ "boxes", REPORT_BOXES, "boxes seen, their state and delivery progress" },
	{ "readings", REPORT_READINGS, "sensor readings, newest first" },
	{ "rejects", REPORT_REJECTS, "messages refused by the collector, newest first" },
	{ "events", REPORT_EVENTS, "events with their current state, newest first" },
	{ "event-steps", REPORT_EVENT_STEPS, "every step (open, update, close) of every event" },
	{ "gaps", REPORT_GAPS, "per box, seqs neither archived nor reported dropped" },
	{ "clips", REPORT_CLIPS, "clips and snapshots: state, checks, where they are stored" },
	{ "watch", REPORT_ACTIVITY, "follow what is archived, as it arrives" },
};

struct watch {
	char since[CLOCK_TS_LEN];
	bool json;
};

static void print_activity(void *ctx, int ncols, const char *const *names,
			   const struct archive_value *v)
{
	struct watch *w = ctx;

	(void)names;
	if (ncols < 4)
		return;
	if (w->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "at", v[0].text);
		cJSON_AddStringToObject(o, "source", v[1].text);
		cJSON_AddStringToObject(o, "what", v[2].text);
		cJSON_AddStringToObject(o, "detail", v[3].type == VALUE_TEXT ? v[3].text : "");
		text = cJSON_PrintUnformatted(o);
		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else {
		/* the time of day is enough on a live screen */
		printf("%.12s  %-16s %-14s %s\n", v[0].text + 11, v[1].text, v[2].text,
		       v[3].type == VALUE_TEXT ? v[3].text : "");
	}
	g_strlcpy(w->since, v[0].text, sizeof w->since);
}

/* Poll the archive twice a second and print what arrived since the last
 * look. Rows archived in the same millisecond as the last one shown, after
 * it was shown, are missed: acceptable for a live view, not for an audit. */
static int watch(struct archive *a, const char *box, const char *since, bool json)
{
	struct watch w = { .json = json };
	struct archive_filter f = { .box = box, .limit = 1000 };

	if (since)
		g_strlcpy(w.since, since, sizeof w.since);
	else
		clock_format_ms(clock_wall_ms(), w.since);
	for (;;) {
		f.since = w.since;
		if (archive_report(a, REPORT_ACTIVITY, &f, print_activity, &w))
			return 1;
		fflush(stdout);
		g_usleep(500000);
	}
}

int main(int argc, char **argv)
{
	char *db = NULL, *box = NULL, *sensor = NULL, *since = NULL;
	int limit = 0;
	gboolean json = FALSE, show_version = FALSE;
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, "print JSON instead of a table", NULL },
		{ "box", 'b', 0, G_OPTION_ARG_STRING, &box, "only this box", "ID" },
		{ "sensor", 's', 0, G_OPTION_ARG_STRING, &sensor, "only this sensor", "ID" },
		{ "camera", 'c', 0, G_OPTION_ARG_STRING, &sensor, "only this camera (clips)", "ID" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "only from this time on",
		  "2026-01-31T08:00:00.000Z" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N rows (default 100)", "N" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &show_version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new("COMMAND - query the brightkitchen archive");
	GString *summary = g_string_new("Commands:");
	GError *err = NULL;
	struct archive_filter filter;
	struct archive *a;
	struct output *out;
	int64_t ms;
	int status = 2;

	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(summary, "\n  %-10s %s", commands[i].name, commands[i].help);
	g_option_context_set_summary(octx, summary->str);
	g_string_free(summary, TRUE);
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (show_version) {
		printf("bkctl %s\n", BK_VERSION);
		status = 0;
		goto out;
	}
	if (argc != 2 || !db) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE COMMAND (see --help)\n");
		goto out;
	}
	if (since && !clock_parse_ts(since, &ms)) {
		fprintf(stderr,
			"bkctl: --since '%s' is not a timestamp like 2026-01-31T08:00:00.000Z\n",
			since);
		goto out;
	}
	log_init("bkctl", LOG_WARN);
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		a = archive_open(db, true);
		if (!a) {
			status = 1;
			goto out;
		}
		if (commands[i].report == REPORT_ACTIVITY) {
			status = watch(a, box, since, json);
			archive_close(a);
			goto out;
		}
		filter = (struct archive_filter){ box, sensor, since, limit };
		out = output_new(json);
		status = archive_report(a, commands[i].report, &filter, output_row, out) ? 1 : 0;
		output_finish(out, status ? NULL : stdout);
		archive_close(a);
		goto out;
	}
	fprintf(stderr, "bkctl: unknown command '%s' (see --help)\n", argv[1]);
out:
	g_option_context_free(octx);
	g_free(db);
	g_free(box);
	g_free(sensor);
	g_free(since);
	return status;
}
