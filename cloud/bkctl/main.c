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
#include "command.h"
#include "envelope.h"
#include "live_cmd.h"
#include "log.h"
#include "output.h"
#include "platform_cmd.h"
#include "registry_cmd.h"
#include "stats_cmd.h"
#include "storage_cmd.h"
#include "tasks_cmd.h"
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
		char *detail = output_printable(v[3].type == VALUE_TEXT ? v[3].text : "");

		/* the time of day is enough on a live screen */
		printf("%.12s  %-16s %-14s %s\n", v[0].text + 11, v[1].text, v[2].text, detail);
		g_free(detail);
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

/* Evidence retrieval's outcome in the archive: the box's answer (an
 * evidence_request event, id cmd:<cmd_id>) and the clip it sent. */
struct retrieval {
	const char *event_id;
	char *answer;
	char *clip_state, *clip_path;
};

static void find_answer(void *ctx, int ncols, const char *const *names,
			const struct archive_value *v)
{
	struct retrieval *r = ctx;
	const char *id = archive_column_text(ncols, names, v, "event_id");

	if (id && !strcmp(id, r->event_id) && !r->answer)
		r->answer = g_strdup(archive_column_text(ncols, names, v, "message"));
}

static void find_clip(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct retrieval *r = ctx;
	const char *id = archive_column_text(ncols, names, v, "event_id");

	if (id && !strcmp(id, r->event_id)) {
		g_free(r->clip_state);
		g_free(r->clip_path);
		r->clip_state = g_strdup(archive_column_text(ncols, names, v, "state"));
		r->clip_path = g_strdup(archive_column_text(ncols, names, v, "path"));
	}
}

/* Follow a retrieval in the archive for up to wait_s seconds. */
static int wait_retrieval(const char *db, const char *box, const char *camera, const char *cmd_id,
			  int wait_s)
{
	char *event_id = g_strdup_printf("cmd:%s", cmd_id);
	struct retrieval r = { .event_id = event_id };
	struct archive_filter f = { .box = box, .sensor = camera, .limit = 1000 };
	int64_t deadline = clock_mono_ms() + (int64_t)wait_s * 1000;
	int status = 1;

	while (clock_mono_ms() < deadline) {
		struct archive *a = archive_open(db, true);

		if (a) {
			if (!r.answer)
				archive_report(
				    a, REPORT_EVENTS,
				    &(struct archive_filter){ .box = box, .limit = 1000 },
				    find_answer, &r);
			archive_report(a, REPORT_CLIPS, &f, find_clip, &r);
			archive_close(a);
		}
		if (r.answer && r.clip_state && strcmp(r.clip_state, "receiving") != 0)
			break;
		g_usleep(500000);
	}
	printf("box: %s\n", r.answer ? r.answer : "(no answer yet)");
	printf("clip: %s%s%s\n", r.clip_state ? r.clip_state : "(not received yet)",
	       r.clip_path ? " " : "", r.clip_path ? r.clip_path : "");
	if (r.clip_state && !strcmp(r.clip_state, "verified"))
		status = 0;
	g_free(r.answer);
	g_free(r.clip_state);
	g_free(r.clip_path);
	g_free(event_id);
	return status;
}

/* bkctl clip request / snapshot / ping: a command to a box. */
static int box_command(int argc, char **argv, const char *config, const char *db, const char *box,
		       const char *camera, const char *from, const char *to, int wait_s)
{
	struct cmd_info c = { .box = box, .camera = camera };
	char cmd_id[64];
	bool range = argc == 3 && !strcmp(argv[1], "clip") && !strcmp(argv[2], "request");

	if (range)
		c.action = CMD_UPLOAD_RANGE;
	else if (argc == 2 && !strcmp(argv[1], "snapshot"))
		c.action = CMD_SNAPSHOT;
	else
		c.action = CMD_PING;
	if (!config || !box || envelope_party(box) != PARTY_BOX ||
	    (c.action != CMD_PING && !camera)) {
		fprintf(stderr, "bkctl: %s needs --config, --box (a box id)%s\n", argv[1],
			c.action != CMD_PING ? " and --camera" : "");
		return 2;
	}
	if (range &&
	    (!from || !to || !clock_parse_ts(from, &c.from_ms) || !clock_parse_ts(to, &c.to_ms) ||
	     c.to_ms <= c.from_ms || c.to_ms - c.from_ms > MESSAGE_MAX_RANGE_MS)) {
		fprintf(stderr,
			"bkctl: clip request needs --from and --to, timestamps like "
			"2026-01-31T08:00:00.000Z, at most %d minutes apart\n",
			MESSAGE_MAX_RANGE_MS / 60000);
		return 2;
	}
	if (command_send(config, &c, cmd_id) != 0)
		return 1;
	printf("sent %s %s to %s\n", message_cmd_actions[c.action], cmd_id, box);
	fflush(stdout);
	if (range && wait_s > 0 && db)
		return wait_retrieval(db, box, camera, cmd_id, wait_s);
	return 0;
}

static int archive_main(int argc, char **argv)
{
	char *db = NULL, *box = NULL, *sensor = NULL, *since = NULL;
	char *config = NULL, *from = NULL, *to = NULL;
	int limit = 0, wait_s = 0;
	gboolean json = FALSE, show_version = FALSE;
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, "print JSON instead of a table", NULL },
		{ "box", 'b', 0, G_OPTION_ARG_FILENAME, &box, "only this box", "ID" },
		{ "sensor", 's', 0, G_OPTION_ARG_FILENAME, &sensor, "only this sensor", "ID" },
		{ "camera", 'c', 0, G_OPTION_ARG_FILENAME, &sensor, "only this camera (clips)",
		  "ID" },
		{ "since", 0, 0, G_OPTION_ARG_FILENAME, &since, "only from this time on",
		  "2026-01-31T08:00:00.000Z" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N rows (default 100)", "N" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
		  "for commands to boxes: [bkctl] id and [mqtt]", "FILE" },
		{ "from", 0, 0, G_OPTION_ARG_FILENAME, &from, "clip request: start", "TIMESTAMP" },
		{ "to", 0, 0, G_OPTION_ARG_FILENAME, &to, "clip request: end", "TIMESTAMP" },
		{ "wait", 'w', 0, G_OPTION_ARG_INT, &wait_s,
		  "clip request: follow the answer in --db for up to S seconds", "S" },
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
	g_string_append(
	    summary,
	    "\nCommands to a box (--config, --box):"
	    "\n  clip request  upload --camera's video --from … --to … (--wait S: follow it)"
	    "\n  snapshot      upload a JPEG of --camera's live picture"
	    "\n  ping          ask the box for its status now"
	    "\n  live          watch --camera live (--db for the audit trail; bkctl live --help)");
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
	if (argc >= 2 && !strcmp(argv[1], "registry")) {
		status = bkctl_registry(argc - 1, argv + 1, db, json);
		goto out;
	}
	if ((argc == 3 && !strcmp(argv[1], "clip")) ||
	    (argc == 2 && (!strcmp(argv[1], "snapshot") || !strcmp(argv[1], "ping")))) {
		log_init("bkctl", LOG_WARN);
		status = box_command(argc, argv, config, db, box, sensor, from, to, wait_s);
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
	g_free(config);
	g_free(from);
	g_free(to);
	return status;
}

int main(int argc, char **argv)
{
	/* Options are taken as bytes (G_OPTION_ARG_FILENAME: no conversion from
	 * the locale, which is often C where bkctl runs) and must be UTF-8. */
	for (int i = 1; i < argc; i++) {
		if (!g_utf8_validate(argv[i], -1, NULL)) {
			fprintf(stderr, "bkctl: argument %d is not UTF-8 text\n", i);
			return 2;
		}
	}
	/* delivery platforms parse their own options (platform_cmd.c) */
	if (bkctl_platform_wants(argc, argv))
		return bkctl_platform(argc, argv);
	/* tasks, grades and lists parse their own options (tasks_cmd.c) */
	if (bkctl_tasks_wants(argc, argv))
		return bkctl_tasks(argc, argv);
	/* live view parses its own options (live_cmd.c) */
	if (bkctl_live_wants(argc, argv))
		return bkctl_live(argc, argv);
	/* central storage parses its own options (storage_cmd.c) */
	if (bkctl_storage_wants(argc, argv))
		return bkctl_storage(argc, argv);
	/* alerts, statistics and coverage parse their own options (stats_cmd.c) */
	if (bkctl_stats_wants(argc, argv))
		return bkctl_stats(argc, argv, NULL, false);
	return archive_main(argc, argv);
}
