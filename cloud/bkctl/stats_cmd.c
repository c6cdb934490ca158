/*
 * stats_cmd.c — see stats_cmd.h.
 *
 * Times: --from/--to take a local date (2026-11-25: midnight in
 * Asia/Shanghai) or a full UTC timestamp; periods are [from, to). Reading
 * commands open the archive read-only, beside a running collector; alert
 * handling opens it for writing (a short transaction, the collector waits
 * for it at most its busy timeout).
 */
#include "stats_cmd.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "command_word.h"
#include "clock.h"
#include "log.h"
#include "output.h"

#define LOCAL_OFFSET_MS (8 * 3600 * INT64_C(1000)) /* Asia/Shanghai */
#define DAY_MS		(86400 * INT64_C(1000))
#define DEFAULT_DAYS	30
#define MAX_TARGETS	16
/* The county's founding target (DOMAIN.md): school canteens 50 %. Given
 * again with --target, or replaced by any --target. */
#define DEFAULT_TARGET "school_canteen=50"

static const char *const commands[] = { "alerts",	   "alert",  "alert-stats", "coverage",
					"coverage-detail", "report", NULL };

/* Options that stand alone (all the others take a value). */
static const char *const flags[] = { "--json", "-j", "--follow",  "-f", "--csv",
				     "--help", "-h", "--version", NULL };

bool bkctl_stats_wants(int argc, char **argv)
{
	return bkctl_command_word_is(argc, argv, commands, flags);
}

struct opts {
	char *db, *from, *to, *district, *category, *state, *by, *note, *group_by;
	char **targets;
	gboolean json, follow, csv;
	double threshold;
	int limit, year;
	char from_ts[CLOCK_TS_LEN], to_ts[CLOCK_TS_LEN];
};

static void opts_free(struct opts *o)
{
	g_free(o->db);
	g_free(o->from);
	g_free(o->to);
	g_free(o->district);
	g_free(o->category);
	g_free(o->state);
	g_free(o->by);
	g_free(o->note);
	g_free(o->group_by);
	g_strfreev(o->targets);
}

static int64_t local_midnight(int64_t ms)
{
	int64_t d = (ms + LOCAL_OFFSET_MS) / DAY_MS;

	return d * DAY_MS - LOCAL_OFFSET_MS;
}

/* --from/--to into o->from_ts/to_ts; defaults when absent: alert-stats
 * the DEFAULT_DAYS local days to the end of today, coverage the
 * DEFAULT_DAYS whole days to the end of yesterday, else no bound. */
static int period(struct opts *o, const char *cmd)
{
	int64_t from, to, today = local_midnight(clock_wall_ms());
	bool need = !strcmp(cmd, "alert-stats") || !strncmp(cmd, "coverage", 8);

	if (o->from && !archive_parse_when(o->from, &from)) {
		fprintf(stderr,
			"bkctl: --from '%s' is neither a date like 2026-11-25 nor a "
			"timestamp like 2026-11-25T08:00:00.000Z\n",
			o->from);
		return 2;
	}
	if (o->to && !archive_parse_when(o->to, &to)) {
		fprintf(stderr,
			"bkctl: --to '%s' is neither a date like 2026-11-25 nor a "
			"timestamp like 2026-11-25T08:00:00.000Z\n",
			o->to);
		return 2;
	}
	if (!o->to && need)
		to = !strcmp(cmd, "alert-stats") ? today + DAY_MS : today;
	if (!o->from && need)
		from = to - DEFAULT_DAYS * DAY_MS;
	if (o->from || need)
		clock_format_ms(from, o->from_ts);
	if (o->to || need)
		clock_format_ms(to, o->to_ts);
	if (o->from_ts[0] && o->to_ts[0] && strcmp(o->from_ts, o->to_ts) >= 0) {
		fprintf(stderr, "bkctl: --from %s is not before --to %s\n", o->from_ts, o->to_ts);
		return 2;
	}
	return 0;
}

static struct stats_query query_of(const struct opts *o)
{
	return (struct stats_query){
		.from = o->from_ts[0] ? o->from_ts : NULL,
		.to = o->to_ts[0] ? o->to_ts : NULL,
		.district = o->district,
		.category = o->category,
		.limit = o->limit,
	};
}

/* "CATEGORY=PCT" into targets; n is how many. */
static int parse_targets(char **texts, struct coverage_target *t, size_t *n)
{
	static const char *const defaults[] = { DEFAULT_TARGET, NULL };
	const char *const *list = texts ? (const char *const *)texts : defaults;

	*n = 0;
	for (; *list; list++) {
		const char *eq = strchr(*list, '=');
		char *end;
		double pct;

		if (*n == MAX_TARGETS || !eq || eq == *list ||
		    ((pct = strtod(eq + 1, &end)), end == eq + 1 || *end || pct < 0 || pct > 100)) {
			fprintf(stderr,
				"bkctl: --target '%s' is not CATEGORY=PERCENT, e.g. "
				"school_canteen=50\n",
				*list);
			return 2;
		}
		t[*n].category = g_strndup(*list, (gsize)(eq - *list));
		t[*n].share = pct / 100.0;
		(*n)++;
	}
	return 0;
}

static int report_error(int rc, const char *what)
{
	if (rc == -EINVAL)
		fprintf(stderr, "bkctl: cannot %s: invalid arguments (see --help)\n", what);
	else if (rc == -ENOENT)
		fprintf(stderr, "bkctl: cannot %s: not found\n", what);
	/* -EIO: the archive logged why */
	return rc ? 1 : 0;
}

/* --- alerts --follow ------------------------------------------------------ */

struct follow {
	bool json;
	char after[CLOCK_TS_LEN];
};

static const char *col(int ncols, const char *const *names, const struct archive_value *v,
		       const char *name)
{
	const char *text = archive_column_text(ncols, names, v, name);

	return text ? text : "-";
}

static void follow_row(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	struct follow *f = ctx;

	if (f->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		for (int i = 0; i < ncols; i++) {
			if (v[i].type == VALUE_TEXT)
				cJSON_AddStringToObject(o, names[i], v[i].text);
			else if (v[i].type == VALUE_INT)
				cJSON_AddNumberToObject(o, names[i], (double)v[i].i);
			else if (v[i].type == VALUE_REAL)
				cJSON_AddNumberToObject(o, names[i], v[i].r);
			else
				cJSON_AddNullToObject(o, names[i]);
		}
		text = cJSON_PrintUnformatted(o);
		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else {
		printf("%s  %-9s %-18s %-16s %-8s %s %s (%s, %s)\n", col(ncols, names, v, "start"),
		       col(ncols, names, v, "severity"), col(ncols, names, v, "type"),
		       col(ncols, names, v, "box"), col(ncols, names, v, "district"),
		       col(ncols, names, v, "licence"), col(ncols, names, v, "name"),
		       col(ncols, names, v, "event_id"), col(ncols, names, v, "state"));
	}
	g_strlcpy(f->after, col(ncols, names, v, "archived_at"), sizeof f->after);
}

/* Poll twice a second; print alerts archived since the last look, oldest
 * first. An alert archived in the same millisecond as the last one shown,
 * after it was shown, is missed: fine for a live view (bkctl alerts
 * --from … lists them all). */
static int follow(struct archive *a, const struct opts *o)
{
	struct follow f = { .json = o->json };
	struct stats_query q = query_of(o);

	clock_format_ms(clock_wall_ms(), f.after);
	q.from = q.to = NULL; /* a live view: whatever arrives */
	q.limit = 1000;
	for (;;) {
		q.archived_after = f.after;
		if (archive_alerts(a, &q, o->state, follow_row, &f))
			return 1;
		fflush(stdout);
		g_usleep(500000);
	}
}

/* --- report --csv ------------------------------------------------------------ */

static void csv_field(const char *text)
{
	if (!strpbrk(text, ",\"\n\r")) {
		fputs(text, stdout);
		return;
	}
	putchar('"');
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void csv_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	bool *header = ctx;

	if (!*header) {
		for (int i = 0; i < ncols; i++) {
			if (i)
				putchar(',');
			csv_field(names[i]);
		}
		printf("\r\n");
		*header = true;
	}
	for (int i = 0; i < ncols; i++) {
		char buf[64];

		if (i)
			putchar(',');
		if (v[i].type == VALUE_TEXT)
			csv_field(v[i].text);
		else if (v[i].type == VALUE_INT)
			printf("%lld", (long long)v[i].i);
		else if (v[i].type == VALUE_REAL)
			fputs(g_ascii_formatd(buf, sizeof buf, "%.2f", v[i].r), stdout);
	}
	printf("\r\n");
}

/* --- the commands ---------------------------------------------------------------- */

static int alert_step(const struct opts *o, int argc, char **argv)
{
	static const char *const steps[][2] = { { "ack", "acknowledged" },
						{ "start", "in_progress" },
						{ "close", "closed" } };
	const char *state = NULL;
	struct archive *a;
	char *what;
	int rc;

	for (size_t i = 0; argc == 5 && i < G_N_ELEMENTS(steps); i++) {
		if (!strcmp(argv[2], steps[i][0]))
			state = steps[i][1];
	}
	if (!state || !o->by || !*o->by) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE alert ack|start|close BOX EVENT_ID "
				"--by NAME [--note TEXT]\n");
		return 2;
	}
	a = archive_open(o->db, false);
	if (!a)
		return 1;
	rc = archive_alert_step(a, argv[3], argv[4], state, o->by, o->note, NULL);
	archive_close(a);
	what = g_strdup_printf("%s alert '%s' of '%s'", argv[2], argv[4], argv[3]);
	if (rc == -EINVAL)
		fprintf(stderr,
			"bkctl: cannot %s: not allowed from its current state (new → ack → start "
			"→ close; ack → close)\n",
			what);
	else if (rc == -ENOENT)
		fprintf(stderr, "bkctl: cannot %s: no such alert\n", what);
	else if (rc == -EILSEQ)
		fprintf(stderr,
			"bkctl: cannot %s: --by (1–128 bytes) and --note (up to 2048) must be "
			"printable text\n",
			what);
	else if (!rc)
		printf("%s: %s by %s\n", argv[4], state, o->by);
	g_free(what);
	return rc ? 1 : 0;
}

static int run(struct opts *o, int argc, char **argv)
{
	const char *cmd = argv[1];
	struct coverage_target targets[MAX_TARGETS];
	size_t n_targets = 0;
	struct stats_query q;
	struct archive *a;
	struct output *out;
	int rc, status;

	if (!strcmp(cmd, "alert"))
		return alert_step(o, argc, argv);
	if (argc != (!strcmp(cmd, "coverage-detail") ? 3 : 2)) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE %s%s [options] (see --help)\n", cmd,
			!strcmp(cmd, "coverage-detail") ? " LICENCE" : "");
		return 2;
	}
	if ((status = period(o, cmd)) != 0)
		return status;
	if (!strcmp(cmd, "report") && (o->year < 2000 || o->year > 9999)) {
		fprintf(stderr, "bkctl: report needs --year YYYY\n");
		return 2;
	}
	if (!strcmp(cmd, "alert-stats") && !o->group_by) {
		fprintf(stderr,
			"bkctl: alert-stats needs --by type|establishment|district|category|"
			"day|week|month\n");
		return 2;
	}
	if (!(o->threshold >= 0 && o->threshold <= 1)) {
		fprintf(stderr, "bkctl: --threshold %g is not a share between 0 and 1 (e.g. 0.8)\n",
			o->threshold);
		return 2;
	}
	if ((!strcmp(cmd, "coverage") || !strcmp(cmd, "report")) &&
	    (status = parse_targets(o->targets, targets, &n_targets)) != 0)
		goto out_targets;
	a = archive_open(o->db, true);
	if (!a) {
		status = 1;
		goto out_targets;
	}
	q = query_of(o);
	if (!strcmp(cmd, "alerts") && o->follow) {
		status = follow(a, o);
		archive_close(a);
		goto out_targets;
	}
	if (!strcmp(cmd, "report") && o->csv) {
		bool header = false;

		rc = archive_year_report(a, o->year, o->threshold, targets, n_targets, csv_row,
					 &header);
		archive_close(a);
		status = report_error(rc, "make the year report");
		goto out_targets;
	}
	out = output_new(o->json);
	if (!strcmp(cmd, "alerts"))
		rc = archive_alerts(a, &q, o->state, output_row, out);
	else if (!strcmp(cmd, "alert-stats"))
		rc = archive_alert_stats(a, &q, o->group_by, output_row, out);
	else if (!strcmp(cmd, "coverage"))
		rc = archive_coverage(a, &q, o->threshold, targets, n_targets, output_row, out);
	else if (!strcmp(cmd, "coverage-detail"))
		rc = archive_coverage_detail(a, argv[2], &q, output_row, out);
	else
		rc = archive_year_report(a, o->year, o->threshold, targets, n_targets, output_row,
					 out);
	output_finish(out, rc ? NULL : stdout);
	archive_close(a);
	status = report_error(rc, cmd);
out_targets:
	for (size_t i = 0; i < n_targets; i++)
		g_free((char *)targets[i].category);
	return status;
}

int bkctl_stats(int argc, char **argv, const char *db, bool json)
{
	struct opts o = { .threshold = 0.8, .json = json, .db = g_strdup(db) };
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &o.db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &o.json, "print JSON instead of a table",
		  NULL },
		{ "from", 0, 0, G_OPTION_ARG_FILENAME, &o.from,
		  "period start: local date (Asia/Shanghai midnight) or UTC timestamp",
		  "2026-11-01" },
		{ "to", 0, 0, G_OPTION_ARG_FILENAME, &o.to, "period end, excluded", "2026-12-01" },
		{ "district", 0, 0, G_OPTION_ARG_FILENAME, &o.district, "only this district",
		  "CODE" },
		{ "category", 0, 0, G_OPTION_ARG_FILENAME, &o.category, "only this category",
		  "school_canteen" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &o.state, "alerts: only in this state",
		  "new|acknowledged|in_progress|closed" },
		{ "follow", 'f', 0, G_OPTION_ARG_NONE, &o.follow,
		  "alerts: print new ones as they come", NULL },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &o.limit, "at most N rows (default 100)",
		  "N" },
		{ "by", 0, 0, G_OPTION_ARG_FILENAME, &o.group_by,
		  "alert-stats: group by (alert: who handles it)",
		  "type|establishment|district|category|day|week|month" },
		{ "note", 0, 0, G_OPTION_ARG_FILENAME, &o.note, "alert: a note with the step",
		  "TEXT" },
		{ "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &o.threshold,
		  "coverage: share of business hours with video to count as effective (0.8)",
		  "0.8" },
		{ "target", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.targets,
		  "coverage target, repeatable (default " DEFAULT_TARGET ")", "CATEGORY=PCT" },
		{ "year", 0, 0, G_OPTION_ARG_INT, &o.year, "report: the year", "YYYY" },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv, "report: CSV instead of a table", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new(
	    "alerts|alert|alert-stats|coverage|coverage-detail|report - alerts and statistics");
	GError *err = NULL;
	char **args = g_new0(char *, argc + 1);
	int status = 2;

	/* g_option_context_parse rearranges the array it is given: a copy */
	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	g_option_context_set_summary(
	    octx,
	    "  alerts          alerts in the period, newest first (--follow: live)\n"
	    "  alert ack|start|close BOX EVENT_ID --by NAME [--note TEXT]\n"
	    "  alert-stats     counts and handling times --by …, against the previous period\n"
	    "  coverage        installed and effective coverage by district × category\n"
	    "  coverage-detail LICENCE: business and recorded minutes, cameras, outages\n"
	    "  report          the bureau's yearly figures --year YYYY [--csv]");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &args, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	/* the handler's name: --by after "alert", the grouping after "alert-stats" */
	if (argc >= 2 && !strcmp(args[1], "alert")) {
		o.by = o.group_by;
		o.group_by = NULL;
	}
	if (argc < 2 || !o.db) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE COMMAND (see --help)\n");
		goto out;
	}
	log_init("bkctl", LOG_WARN);
	status = run(&o, argc, args);
out:
	g_option_context_free(octx);
	g_free(args);
	opts_free(&o);
	return status;
}
