/*
 * platform_cmd.c — see platform_cmd.h.
 *
 * An import is one transaction per file: its problems are printed as
 * FILE:LINE:FIELD: reason and nothing of it is stored; files given
 * together are imported one after the other (a platform's last file wins,
 * since each is that platform's whole listing).
 */
#include "platform_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "archive.h"
#include "clock.h"
#include "command_word.h"
#include "log.h"
#include "output.h"
#include "registry_cmd.h"
#include "scope.h"
#include "tasks_cmd.h"

static const char *const commands[] = { "platform", NULL };
static const char *const flags[] = { "--json", "-j", "--help", "-h", NULL };

struct opts {
	char *db, *now, *by, *scope, *rules, *platform, *kind, *state, *licence;
	char *inspectors, *due, *note, *out;
	gint64 finding;
	int limit;
	gboolean json;
	int64_t now_ms;
	struct tasks_config tasks;
	struct scope_config *keywords;
};

bool bkctl_platform_wants(int argc, char **argv)
{
	return bkctl_command_word_is(argc, argv, commands, flags);
}

static int usage(void)
{
	fprintf(stderr,
		"bkctl: usage: bkctl --db FILE platform import FILE… [--by NAME]\n"
		"       bkctl --db FILE platform check [--platform P]\n"
		"       bkctl --db FILE platform findings [--platform P] [--kind K] [--state S]\n"
		"       bkctl --db FILE platform shops [--platform P]\n"
		"       bkctl --db FILE platform stats\n"
		"       bkctl --db FILE platform notice add (--finding ID | --platform P "
		"[--kind K]) --by NAME\n"
		"       bkctl --db FILE platform notice export --platform P [--out FILE]\n"
		"       bkctl --db FILE platform task --finding ID --by NAME [--inspectors "
		"hh-a,hh-b] [--due YYYY-MM-DD]\n");
	return 2;
}

static struct platform_check_config check_config(const struct opts *o)
{
	return (struct platform_check_config){ .scope = o->keywords,
					       .coverage = o->tasks.cfg.coverage };
}

static void print_run(const char *file, const struct platform_run *r, bool json)
{
	if (json) {
		cJSON *j = cJSON_CreateObject();
		char *text;

		if (file)
			cJSON_AddStringToObject(j, "file", file);
		cJSON_AddNumberToObject(j, "platforms", r->platforms);
		cJSON_AddNumberToObject(j, "shops", r->shops);
		cJSON_AddNumberToObject(j, "added", r->added);
		cJSON_AddNumberToObject(j, "changed", r->changed);
		cJSON_AddNumberToObject(j, "delisted", r->delisted);
		cJSON_AddNumberToObject(j, "opened", r->opened);
		cJSON_AddNumberToObject(j, "updated", r->updated);
		cJSON_AddNumberToObject(j, "closed", r->closed);
		cJSON_AddNumberToObject(j, "open", r->open);
		if (file)
			cJSON_AddBoolToObject(j, "seen_before", r->seen_before);
		text = cJSON_PrintUnformatted(j);
		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(j);
		return;
	}
	if (file)
		printf("%s: %d shop%s of %d platform%s (%d new, %d changed, %d no longer "
		       "listed)%s\n",
		       file, r->shops, r->shops == 1 ? "" : "s", r->platforms,
		       r->platforms == 1 ? "" : "s", r->added, r->changed, r->delisted,
		       r->seen_before ? "; this file was imported before" : "");
	printf("findings: %d opened, %d updated, %d closed; %d open\n", r->opened, r->updated,
	       r->closed, r->open);
}

static int import(const struct opts *o, int nfiles, char **files)
{
	struct platform_check_config cfg = check_config(o);
	struct archive *a = archive_open(o->db, false);
	int status = 0;

	if (!a)
		return 1;
	for (int i = 0; i < nfiles; i++) {
		GString *errors = g_string_new("");
		struct platform_run run;
		char *data = NULL;
		size_t len;
		int rc;

		if (!bkctl_read_input(files[i], &data, &len)) {
			status = 1;
			g_string_free(errors, TRUE);
			continue;
		}
		rc = archive_platform_import_text(a, data, len, o->by ? o->by : g_get_user_name(),
						  &cfg, o->now_ms, &run, errors);
		if (rc == -EINVAL)
			bkctl_print_refused(files[i], errors->str);
		else if (!rc)
			print_run(files[i], &run, o->json);
		if (rc)
			status = 1;
		g_free(data);
		g_string_free(errors, TRUE);
	}
	archive_close(a);
	return status;
}

static int check(const struct opts *o)
{
	struct platform_check_config cfg = check_config(o);
	struct platform_run run = { 0 };
	struct archive *a = archive_open(o->db, false);
	int rc;

	if (!a)
		return 1;
	rc = archive_platform_check(a, o->platform, &cfg, o->now_ms, &run);
	archive_close(a);
	if (!rc)
		print_run(NULL, &run, o->json);
	return rc ? 1 : 0;
}

/* A reading command into a table or JSON. */
static int show(const struct opts *o, const char *what)
{
	struct archive *a = archive_open(o->db, true);
	struct output *out;
	int rc;

	if (!a)
		return 1;
	out = output_new(o->json);
	if (!strcmp(what, "findings")) {
		struct finding_query q = { .platform = o->platform,
					   .kind = o->kind,
					   .state = o->state,
					   .licence = o->licence,
					   .limit = o->limit };

		rc = archive_platform_findings(a, &q, output_row, out);
		if (rc == -EINVAL)
			fprintf(stderr,
				"bkctl: --state is open, closed or all; --kind one of the "
				"findings (see README, \"Delivery platforms\")\n");
	} else if (!strcmp(what, "shops")) {
		rc = archive_platform_shops(a, o->platform, output_row, out);
	} else {
		rc = archive_platform_stats(a, output_row, out);
	}
	output_finish(out, rc ? NULL : stdout);
	archive_close(a);
	return rc ? 1 : 0;
}

static int notice_add(const struct opts *o)
{
	struct archive *a;
	int rc, n = 0;

	if (!o->by || (o->finding <= 0 && !o->platform) || (o->finding > 0 && o->platform)) {
		fprintf(stderr, "bkctl: platform notice add takes --finding ID, or --platform P "
				"[--kind K], and --by NAME\n");
		return 2;
	}
	a = archive_open(o->db, false);
	if (!a)
		return 1;
	rc = archive_platform_notice_add(a, o->finding, o->platform, o->kind, o->by, o->now_ms,
					 &n);
	archive_close(a);
	if (rc == -ENOENT)
		fprintf(stderr, "bkctl: no open finding %" G_GINT64_FORMAT "\n", o->finding);
	else if (rc == -EINVAL)
		fprintf(stderr, "bkctl: cannot put on the notice list: --by must be printable "
				"text, --kind a kind of finding\n");
	else if (!rc)
		printf("%d finding%s put on the notice list\n", n, n == 1 ? "" : "s");
	return rc ? 1 : 0;
}

static int notice_export(const struct opts *o)
{
	struct archive *a;
	GString *csv;
	GError *err = NULL;
	int rc;

	if (!o->platform) {
		fprintf(stderr, "bkctl: platform notice export needs --platform P\n");
		return 2;
	}
	a = archive_open(o->db, true);
	if (!a)
		return 1;
	csv = g_string_new("");
	rc = archive_platform_notice_csv(a, o->platform, csv);
	archive_close(a);
	if (!rc && o->out && !g_file_set_contents(o->out, csv->str, (gssize)csv->len, &err)) {
		fprintf(stderr, "bkctl: cannot write '%s': %s\n", o->out, err->message);
		g_error_free(err);
		rc = -EIO;
	} else if (!rc && !o->out && fwrite(csv->str, 1, csv->len, stdout) != csv->len) {
		rc = -EIO;
	}
	g_string_free(csv, TRUE);
	return rc ? 1 : 0;
}

static int task(const struct opts *o)
{
	gchar **team = o->inspectors ? g_strsplit(o->inspectors, ",", -1) : NULL;
	GString *why = g_string_new("");
	char due[16], id[ARCHIVE_TASK_ID_LEN];
	struct archive *a;
	int rc, status = 1;

	if (o->finding <= 0 || !o->by) {
		g_strfreev(team);
		g_string_free(why, TRUE);
		fprintf(stderr, "bkctl: platform task needs --finding ID and --by NAME\n");
		return 2;
	}
	if (o->due) {
		g_strlcpy(due, o->due, sizeof due);
	} else {
		/* a week from today, local time */
		GDateTime *t = g_date_time_new_from_unix_utc(o->now_ms / 1000 + 8 * 3600 +
							     7 * 86400);
		char *text = g_date_time_format(t, "%Y-%m-%d");

		g_strlcpy(due, text, sizeof due);
		g_free(text);
		g_date_time_unref(t);
	}
	struct task_spec s = { .kind = "special",
			       .due = due,
			       .inspectors = (const char *const *)team,
			       .note = o->note,
			       .created_by = o->by };
	a = archive_open(o->db, false);
	if (a) {
		rc = archive_platform_task(a, o->finding, &s, &o->tasks.cfg, o->now_ms, id, why);
		archive_close(a);
		if (!rc) {
			printf("%s\n", id);
			status = 0;
		} else if (why->len) {
			gchar **lines = g_strsplit(why->str, "\n", -1);

			for (gchar **l = lines; *l; l++) {
				if (**l)
					fprintf(stderr, "bkctl: no task: %s\n", *l);
			}
			g_strfreev(lines);
		}
	}
	g_strfreev(team);
	g_string_free(why, TRUE);
	return status;
}

static int run(const struct opts *o, int argc, char **argv)
{
	const char *action = argc >= 3 ? argv[2] : "";

	if (!strcmp(action, "import") && argc >= 4)
		return import(o, argc - 3, argv + 3);
	if (argc == 3 && !strcmp(action, "check"))
		return check(o);
	if (argc == 3 && (!strcmp(action, "findings") || !strcmp(action, "shops") ||
			  !strcmp(action, "stats")))
		return show(o, action);
	if (argc == 4 && !strcmp(action, "notice") && !strcmp(argv[3], "add"))
		return notice_add(o);
	if (argc == 4 && !strcmp(action, "notice") && !strcmp(argv[3], "export"))
		return notice_export(o);
	if (argc == 3 && !strcmp(action, "task"))
		return task(o);
	return usage();
}

int bkctl_platform(int argc, char **argv)
{
	struct opts o = { 0 };
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &o.db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &o.json, "print JSON instead of a table",
		  NULL },
		{ "now", 0, 0, G_OPTION_ARG_FILENAME, &o.now,
		  "take this UTC time as now (replays, tests)", "TIMESTAMP" },
		{ "by", 0, 0, G_OPTION_ARG_FILENAME, &o.by, "who imports or acts", "NAME" },
		{ "scope", 0, 0, G_OPTION_ARG_FILENAME, &o.scope,
		  "dish keywords per scope item (INI; README, \"Delivery platforms\")", "FILE" },
		{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &o.rules,
		  "grading figures: [grading] coverage and team", "FILE" },
		{ "platform", 0, 0, G_OPTION_ARG_FILENAME, &o.platform, "only this platform",
		  "meituan" },
		{ "kind", 0, 0, G_OPTION_ARG_FILENAME, &o.kind, "only this kind of finding",
		  "no_licence" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &o.state, "findings: open (default)",
		  "open|closed|all" },
		{ "licence", 0, 0, G_OPTION_ARG_FILENAME, &o.licence, "findings: of this licence",
		  "LICENCE" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &o.limit, "findings: at most N (100)", "N" },
		{ "finding", 0, 0, G_OPTION_ARG_INT64, &o.finding, "the finding to act on", "ID" },
		{ "inspectors", 0, 0, G_OPTION_ARG_FILENAME, &o.inspectors,
		  "task: at least two (default: the district's least loaded)", "hh-a,hh-b" },
		{ "due", 0, 0, G_OPTION_ARG_FILENAME, &o.due, "task: due date (a week)",
		  "YYYY-MM-DD" },
		{ "note", 0, 0, G_OPTION_ARG_FILENAME, &o.note, "task: note (the finding)", "TEXT" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out, "notice export: write to FILE",
		  "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new("platform ACTION - delivery platforms");
	GString *why = g_string_new("");
	GError *err = NULL;
	char **args = g_new0(char *, argc + 1);
	int status = 2;

	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	g_option_context_set_summary(
	    octx, "  import FILE…   shop listings (CSV or JSON), then the checks\n"
		  "  check          the checks again\n"
		  "  findings       open findings (--state closed|all)\n"
		  "  shops          the shops as listed\n"
		  "  stats          per platform and kind of finding\n"
		  "  notice add     put findings on their platform's notice list\n"
		  "  notice export  the platform's notice list as CSV\n"
		  "  task           an inspection task for a finding's kitchen");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &args, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (!o.db) {
		fprintf(stderr, "bkctl: platform needs --db FILE\n");
		goto out;
	}
	o.now_ms = clock_wall_ms();
	if (o.now && !clock_parse_ts(o.now, &o.now_ms)) {
		fprintf(stderr,
			"bkctl: --now '%s' is not a timestamp like 2026-11-25T08:00:00.000Z\n",
			o.now);
		goto out;
	}
	status = 1;
	if (tasks_config_load(o.rules, &o.tasks, why)) {
		fprintf(stderr, "bkctl: cannot read the rules: %s", why->str);
		goto out;
	}
	o.keywords = o.scope ? scope_config_load(o.scope, why) : scope_config_default();
	if (!o.keywords) {
		fprintf(stderr, "bkctl: cannot read the dish keywords: %s", why->str);
		goto out;
	}
	log_init("bkctl", LOG_WARN);
	status = run(&o, argc, args);
out:
	scope_config_free(o.keywords);
	tasks_config_release(&o.tasks);
	g_string_free(why, TRUE);
	g_option_context_free(octx);
	g_free(args);
	g_free(o.db);
	g_free(o.now);
	g_free(o.by);
	g_free(o.scope);
	g_free(o.rules);
	g_free(o.platform);
	g_free(o.kind);
	g_free(o.state);
	g_free(o.licence);
	g_free(o.inspectors);
	g_free(o.due);
	g_free(o.note);
	g_free(o.out);
	return status;
}
