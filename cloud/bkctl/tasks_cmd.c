/*
 * tasks_cmd.c — see tasks_cmd.h.
 *
 * "Now" is the wall clock, or --now TIMESTAMP (replays and tests: grades,
 * schedules and "overdue" are all relative to it). Writes run in the
 * archive's savepoints, one short transaction each; a collector running
 * beside waits for them at most its busy timeout.
 */
#include "tasks_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "archive.h"
#include "command_word.h"
#include "clock.h"
#include "log.h"
#include "output.h"

static const char *const commands[] = { "tasks", "task",      "grades", "grade-history",
					"list",	 "complaint", NULL };

/* Options that stand alone (all the others take a value). */
static const char *const flags[] = { "--json",	      "-j",	"--overdue", "--open-alerts",
				     "--not-covered", "--help", "-h",	     NULL };

bool bkctl_tasks_wants(int argc, char **argv)
{
	return bkctl_command_word_is(argc, argv, commands, flags);
}

/* --- the configuration file -------------------------------------------------- */

static const struct task_rule default_rules[] = {
	{ .name = "cold-chain-2h",
	  .kind = RULE_NOT_CLOSED,
	  .types = "temperature_high,temperature_low",
	  .hours = 2,
	  .due_days = 1 },
	{ .name = "no-mask-week",
	  .kind = RULE_REPEATED,
	  .types = "no_mask",
	  .count = 3,
	  .days = 7,
	  .due_days = 3 },
};

static const char *own(struct tasks_config *c, char *text)
{
	if (text)
		g_ptr_array_add(c->owned, text);
	return text;
}

/* key of group as a number in [min, max]; absent: *v unchanged. */
static void key_number(GKeyFile *kf, const char *group, const char *key, double min, double max,
		       double *v, GString *errors)
{
	GError *err = NULL;
	double d;

	if (!g_key_file_has_key(kf, group, key, NULL))
		return;
	d = g_key_file_get_double(kf, group, key, &err);
	if (err || !(d >= min && d <= max)) {
		g_string_append_printf(errors, "[%s] %s: not a number from %g to %g\n", group, key,
				       min, max);
		g_clear_error(&err);
		return;
	}
	*v = d;
}

static void key_int(GKeyFile *kf, const char *group, const char *key, int min, int max, int *v,
		    GString *errors)
{
	double d = *v;

	key_number(kf, group, key, min, max, &d, errors);
	if (d != (int)d)
		g_string_append_printf(errors, "[%s] %s: not a whole number\n", group, key);
	*v = (int)d;
}

int tasks_config_load(const char *path, struct tasks_config *c, GString *errors)
{
	static const char *const grades = "abcd";
	GKeyFile *kf;
	GError *err = NULL;
	gchar **groups;
	size_t before = errors->len;

	archive_task_config_default(&c->cfg);
	c->rules = g_array_new(FALSE, TRUE, sizeof(struct task_rule));
	c->owned = g_ptr_array_new_with_free_func(g_free);
	if (!path) {
		g_array_append_vals(c->rules, default_rules, G_N_ELEMENTS(default_rules));
		return 0;
	}
	kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
		g_string_append_printf(errors, "cannot read '%s': %s\n", path, err->message);
		g_error_free(err);
		g_key_file_free(kf);
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++) {
		char key[16];

		snprintf(key, sizeof key, "cutoff_%c", grades[i]);
		key_number(kf, "grading", key, 0, 100, &c->cfg.cutoff[i], errors);
	}
	for (int i = 0; i < 4; i++) {
		char key[16];

		snprintf(key, sizeof key, "visits_%c", grades[i]);
		key_int(kf, "grading", key, 0, 12, &c->cfg.visits[i], errors);
	}
	if (!(c->cfg.cutoff[0] < c->cfg.cutoff[1] && c->cfg.cutoff[1] < c->cfg.cutoff[2]))
		g_string_append(errors, "[grading] cutoff_a < cutoff_b < cutoff_c is needed\n");
	key_int(kf, "grading", "ahead_days", 1, 366, &c->cfg.ahead_days, errors);
	key_int(kf, "grading", "team", TASK_MIN_INSPECTORS, 10, &c->cfg.team, errors);
	key_number(kf, "grading", "coverage", 0, 1, &c->cfg.coverage, errors);
	groups = g_key_file_get_groups(kf, NULL);
	for (gchar **g = groups; *g; g++) {
		struct task_rule r = { .due_days = 3 };
		char *kind;

		if (!strcmp(*g, "grading"))
			continue;
		if (strncmp(*g, "rule ", 5) != 0 || !(*g)[5]) {
			g_string_append_printf(errors,
					       "[%s]: not a section of this file ([grading] or "
					       "[rule NAME])\n",
					       *g);
			continue;
		}
		r.name = own(c, g_strdup(*g + 5));
		kind = g_key_file_get_string(kf, *g, "kind", NULL);
		r.types = own(c, g_key_file_get_string(kf, *g, "types", NULL));
		if (kind && !strcmp(kind, "not_closed")) {
			r.kind = RULE_NOT_CLOSED;
			key_number(kf, *g, "hours", 0.01, 24 * 366, &r.hours, errors);
			if (r.hours <= 0)
				g_string_append_printf(errors, "[%s] hours: needed\n", *g);
		} else if (kind && !strcmp(kind, "repeated")) {
			r.kind = RULE_REPEATED;
			key_int(kf, *g, "count", 1, 10000, &r.count, errors);
			key_number(kf, *g, "days", 0.01, 366, &r.days, errors);
			if (r.count < 1 || r.days <= 0)
				g_string_append_printf(errors, "[%s] count and days: needed\n", *g);
		} else {
			g_string_append_printf(errors,
					       "[%s] kind: '%s' is not not_closed or repeated\n",
					       *g, kind ? kind : "");
		}
		key_int(kf, *g, "due_days", 0, 366, &r.due_days, errors);
		g_free(kind);
		g_array_append_val(c->rules, r);
	}
	g_strfreev(groups);
	g_key_file_free(kf);
	return errors->len > before ? -EINVAL : 0;
}

void tasks_config_release(struct tasks_config *c)
{
	if (c->rules)
		g_array_free(c->rules, TRUE);
	if (c->owned)
		g_ptr_array_free(c->owned, TRUE);
	c->rules = NULL;
	c->owned = NULL;
}

/* --- options ------------------------------------------------------------------- */

struct opts {
	char *db, *now, *state, *inspector, *kind, *inspectors, *due, *note, *checklist, *by;
	char *grade, *category, *district, *rules, *text, *at;
	char **licences;
	gboolean json, overdue, open_alerts, not_covered;
	int expiring_days, limit;
	int64_t now_ms;
};

static void opts_free(struct opts *o)
{
	g_free(o->db);
	g_free(o->now);
	g_free(o->state);
	g_free(o->inspector);
	g_free(o->kind);
	g_free(o->inspectors);
	g_free(o->due);
	g_free(o->note);
	g_free(o->checklist);
	g_free(o->by);
	g_free(o->grade);
	g_free(o->category);
	g_free(o->district);
	g_free(o->rules);
	g_free(o->text);
	g_free(o->at);
	g_strfreev(o->licences);
}

static int fail(int rc, const char *what, GString *why)
{
	if (why && why->len) {
		gchar **lines = g_strsplit(why->str, "\n", -1);

		for (gchar **l = lines; *l; l++) {
			if (**l)
				fprintf(stderr, "bkctl: cannot %s: %s\n", what, *l);
		}
		g_strfreev(lines);
	} else if (rc == -EINVAL) {
		fprintf(stderr, "bkctl: cannot %s: invalid arguments (see --help)\n", what);
	} else if (rc == -ENOENT) {
		fprintf(stderr, "bkctl: cannot %s: not found\n", what);
	} else if (rc == -EPERM) {
		fprintf(stderr, "bkctl: cannot %s: only the task's inspectors take this step\n",
			what);
	}
	/* -EIO: the archive logged why */
	return rc ? 1 : 0;
}

static struct list_filter filter_of(const struct opts *o)
{
	return (struct list_filter){
		.grade = o->grade,
		.category = o->category,
		.district = o->district,
		.overdue = o->overdue,
		.open_alerts = o->open_alerts,
		.expiring_days = o->expiring_days,
		.not_covered = o->not_covered,
	};
}

static bool any_filter(const struct opts *o)
{
	return o->grade || o->category || o->district || o->overdue || o->open_alerts ||
	       o->expiring_days > 0 || o->not_covered;
}

/* Run fn over a read-only archive into a table / JSON. */
static int show(const struct opts *o,
		int (*fn)(struct archive *, const struct opts *, const struct tasks_config *,
			  const char *, struct output *),
		const struct tasks_config *c, const char *arg, const char *what)
{
	struct archive *a = archive_open(o->db, true);
	struct output *out;
	int rc;

	if (!a)
		return 1;
	out = output_new(o->json);
	rc = fn(a, o, c, arg, out);
	output_finish(out, rc ? NULL : stdout);
	archive_close(a);
	return fail(rc, what, NULL);
}

static int do_tasks(struct archive *a, const struct opts *o, const struct tasks_config *c,
		    const char *arg, struct output *out)
{
	struct task_query q = { .state = o->state,
				.inspector = o->inspector,
				.licence = o->licences ? o->licences[0] : NULL,
				.kind = o->kind,
				.limit = o->limit };

	(void)c;
	(void)arg;
	return archive_tasks(a, &q, o->now_ms, output_row, out);
}

static int do_task_show(struct archive *a, const struct opts *o, const struct tasks_config *c,
			const char *arg, struct output *out)
{
	(void)o;
	(void)c;
	return archive_task_steps(a, arg, output_row, out);
}

static int do_grades(struct archive *a, const struct opts *o, const struct tasks_config *c,
		     const char *arg, struct output *out)
{
	(void)c;
	(void)arg;
	return archive_grades(a, o->licences ? o->licences[0] : NULL, output_row, out);
}

static int do_history(struct archive *a, const struct opts *o, const struct tasks_config *c,
		      const char *arg, struct output *out)
{
	(void)o;
	(void)c;
	return archive_grade_history(a, arg, output_row, out);
}

static int do_list(struct archive *a, const struct opts *o, const struct tasks_config *c,
		   const char *arg, struct output *out)
{
	struct list_filter f = filter_of(o);

	(void)arg;
	return archive_list(a, &f, &c->cfg, o->now_ms, output_row, out);
}

/* --- writing commands -------------------------------------------------------------- */

static int task_create(const struct opts *o, const struct tasks_config *c)
{
	gchar **team = o->inspectors ? g_strsplit(o->inspectors, ",", -1) : NULL;
	struct task_spec s = { .kind = o->kind ? o->kind : "special",
			       .due = o->due,
			       .inspectors = (const char *const *)team,
			       .note = o->note,
			       .checklist = o->checklist,
			       .created_by = o->by };
	struct list_filter f = filter_of(o);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GString *why = g_string_new("");
	struct archive *a;
	int rc, status;

	if (!o->due || !team || !o->by || (!o->licences && !any_filter(o)) ||
	    (o->licences && any_filter(o))) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE task create --kind special "
				"--inspectors hh-a,hh-b --due YYYY-MM-DD --by NAME [--note TEXT] "
				"(--licence L … | --grade G --category C --district D --overdue "
				"--open-alerts --expiring-days N --not-covered)\n");
		status = 2;
		goto out;
	}
	a = archive_open(o->db, false);
	if (!a) {
		status = 1;
		goto out;
	}
	rc = archive_task_campaign(a, (const char *const *)o->licences, &f, &c->cfg, &s, o->now_ms,
				   ids, why);
	archive_close(a);
	if (rc < 0) {
		status = fail(rc, "create the tasks", why);
		goto out;
	}
	for (guint i = 0; i < ids->len; i++)
		printf("%s\n", (char *)ids->pdata[i]);
	fprintf(stderr, "bkctl: %d task(s) dispatched\n", rc);
	status = 0;
out:
	g_strfreev(team);
	g_ptr_array_free(ids, TRUE);
	g_string_free(why, TRUE);
	return status;
}

static int task_step(const struct opts *o, const char *id, const char *state)
{
	struct archive *a;
	char *what;
	int rc;

	if (!o->by) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE task step TASK_ID "
				"received|in_progress|submitted|reviewed|cancelled --by NAME "
				"[--note TEXT] [--at TIMESTAMP]\n");
		return 2;
	}
	a = archive_open(o->db, false);
	if (!a)
		return 1;
	rc = archive_task_step(a, id, state, o->by, o->note, o->at, o->now_ms);
	archive_close(a);
	what = g_strdup_printf("move task '%s' to '%s'", id, state);
	if (rc == -EINVAL)
		fprintf(stderr,
			"bkctl: cannot %s: not allowed from its current state (dispatched → "
			"received → in_progress → submitted → reviewed; cancelled before "
			"submitted)\n",
			what);
	else if (rc == -ENOENT)
		fprintf(stderr, "bkctl: cannot %s: no such task\n", what);
	else if (rc)
		fail(rc, what, NULL);
	else
		printf("%s: %s by %s\n", id, state, o->by);
	g_free(what);
	return rc ? 1 : 0;
}

static int tasks_auto(const struct opts *o, const struct tasks_config *c)
{
	struct task_run alerts = { .ids = g_ptr_array_new_with_free_func(g_free) };
	struct task_run sched = { .ids = alerts.ids };
	struct archive *a = archive_open(o->db, false);
	int rc;

	if (!a) {
		g_ptr_array_free(alerts.ids, TRUE);
		return 1;
	}
	/* grades first: the schedule follows them */
	rc = archive_grade_compute(a, NULL, &c->cfg, o->now_ms);
	if (!rc)
		rc = archive_tasks_from_alerts(a, (const struct task_rule *)c->rules->data,
					       c->rules->len, &c->cfg, o->now_ms, &alerts);
	if (!rc)
		rc = archive_tasks_schedule(a, &c->cfg, o->now_ms, &sched);
	archive_close(a);
	if (!rc) {
		for (guint i = 0; i < alerts.ids->len; i++)
			printf("%s\n", (char *)alerts.ids->pdata[i]);
		fprintf(stderr,
			"bkctl: grades computed; %d alert task(s) (%d held back by an open "
			"one), %d routine task(s) (%d held back); %d without two inspectors in "
			"the district\n",
			alerts.created, alerts.skipped_open, sched.created, sched.skipped_open,
			alerts.no_inspectors + sched.no_inspectors);
	}
	g_ptr_array_free(alerts.ids, TRUE);
	return fail(rc, "run the automatic tasks", NULL);
}

static int complaint_add(const struct opts *o, const struct tasks_config *c, const char *licence)
{
	struct archive *a;
	int rc;

	if (!o->text) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE complaint add LICENCE --text TEXT "
				"[--at TIMESTAMP]\n");
		return 2;
	}
	a = archive_open(o->db, false);
	if (!a)
		return 1;
	rc = archive_complaint_add(a, licence, o->at, o->text, &c->cfg, o->now_ms);
	archive_close(a);
	if (!rc)
		printf("complaint about %s recorded; grade recomputed\n", licence);
	return fail(rc, "record the complaint", NULL);
}

static int run(const struct opts *o, const struct tasks_config *c, int argc, char **argv)
{
	const char *cmd = argv[1];

	if (!strcmp(cmd, "tasks") && argc == 3 && !strcmp(argv[2], "auto"))
		return tasks_auto(o, c);
	if (!strcmp(cmd, "tasks") && argc == 2)
		return show(o, do_tasks, c, NULL, "list the tasks");
	if (!strcmp(cmd, "task") && argc == 3 && !strcmp(argv[2], "create"))
		return task_create(o, c);
	if (!strcmp(cmd, "task") && argc == 5 && !strcmp(argv[2], "step"))
		return task_step(o, argv[3], argv[4]);
	if (!strcmp(cmd, "task") && argc == 4 && !strcmp(argv[2], "show"))
		return show(o, do_task_show, c, argv[3], "show the task");
	if (!strcmp(cmd, "grades") && argc == 2)
		return show(o, do_grades, c, NULL, "list the grades");
	if (!strcmp(cmd, "grade-history") && argc == 3)
		return show(o, do_history, c, argv[2], "show the grade history");
	if (!strcmp(cmd, "list") && argc == 2)
		return show(o, do_list, c, NULL, "make the list");
	if (!strcmp(cmd, "complaint") && argc == 4 && !strcmp(argv[2], "add"))
		return complaint_add(o, c, argv[3]);
	fprintf(stderr, "bkctl: usage: bkctl --db FILE %s … (see bkctl %s --help)\n", cmd, cmd);
	return 2;
}

int bkctl_tasks(int argc, char **argv)
{
	struct opts o = { 0 };
	GOptionEntry entries[] = {
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &o.db, "archive database (SQLite)", "FILE" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &o.json, "print JSON instead of a table",
		  NULL },
		{ "now", 0, 0, G_OPTION_ARG_FILENAME, &o.now,
		  "take this UTC time as now (replays, tests)", "TIMESTAMP" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &o.state, "tasks: only in this state",
		  "dispatched|received|in_progress|submitted|reviewed|cancelled" },
		{ "inspector", 0, 0, G_OPTION_ARG_FILENAME, &o.inspector,
		  "tasks: only those of this inspector", "hh-…" },
		{ "licence", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.licences,
		  "tasks, grades: only this establishment; task create: repeatable", "LICENCE" },
		{ "kind", 0, 0, G_OPTION_ARG_FILENAME, &o.kind, "task kind",
		  "routine|special|alert|followup" },
		{ "inspectors", 0, 0, G_OPTION_ARG_FILENAME, &o.inspectors,
		  "task create: at least two, comma-separated", "hh-a,hh-b" },
		{ "due", 0, 0, G_OPTION_ARG_FILENAME, &o.due, "task create: due date (local)",
		  "YYYY-MM-DD" },
		{ "note", 0, 0, G_OPTION_ARG_FILENAME, &o.note, "a note with the task or step",
		  "TEXT" },
		{ "checklist", 0, 0, G_OPTION_ARG_FILENAME, &o.checklist,
		  "task create: checklist template id", "ID" },
		{ "by", 0, 0, G_OPTION_ARG_FILENAME, &o.by,
		  "who creates the task or takes the step", "NAME" },
		{ "at", 0, 0, G_OPTION_ARG_FILENAME, &o.at,
		  "task step, complaint: when it happened (default now)", "TIMESTAMP" },
		{ "grade", 0, 0, G_OPTION_ARG_FILENAME, &o.grade, "list: risk grade", "A|B|C|D" },
		{ "category", 0, 0, G_OPTION_ARG_FILENAME, &o.category, "list: category",
		  "school_canteen" },
		{ "district", 0, 0, G_OPTION_ARG_FILENAME, &o.district, "list: district", "CODE" },
		{ "overdue", 0, 0, G_OPTION_ARG_NONE, &o.overdue,
		  "list: a task past due, or no inspection within the grade's interval", NULL },
		{ "open-alerts", 0, 0, G_OPTION_ARG_NONE, &o.open_alerts, "list: alerts not closed",
		  NULL },
		{ "expiring-days", 0, 0, G_OPTION_ARG_INT, &o.expiring_days,
		  "list: licence expired or expiring within N days", "N" },
		{ "not-covered", 0, 0, G_OPTION_ARG_NONE, &o.not_covered,
		  "list: not effectively covered over the last 30 days", NULL },
		{ "rules", 0, 0, G_OPTION_ARG_FILENAME, &o.rules,
		  "grading figures and alert rules (INI; README, \"Tasks\")", "FILE" },
		{ "text", 0, 0, G_OPTION_ARG_FILENAME, &o.text, "complaint: what was reported",
		  "TEXT" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &o.limit, "tasks: at most N rows (100)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx =
	    g_option_context_new("tasks|task|grades|grade-history|list|complaint - inspections");
	struct tasks_config c = { 0 };
	GString *why = g_string_new("");
	GError *err = NULL;
	char **args = g_new0(char *, argc + 1);
	int status = 2;

	for (int i = 0; i < argc; i++)
		args[i] = argv[i];
	g_option_context_set_summary(
	    octx,
	    "  tasks [--state --inspector --licence --kind]   tasks, soonest due first\n"
	    "  tasks auto [--rules FILE]   grades, then alert rules and the risk schedule\n"
	    "  task create --inspectors hh-a,hh-b --due D --by NAME (--licence L… | filters)\n"
	    "  task step TASK_ID STATE --by NAME [--note TEXT]\n"
	    "  task show TASK_ID            every step: who, when\n"
	    "  grades [--licence L]         risk grades, highest score first\n"
	    "  grade-history LICENCE\n"
	    "  list [filters]               名单筛选: --grade --category --district --overdue\n"
	    "                               --open-alerts --expiring-days N --not-covered\n"
	    "  complaint add LICENCE --text TEXT");
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &args, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (argc < 2 || !o.db) {
		fprintf(stderr, "bkctl: usage: bkctl --db FILE COMMAND (see --help)\n");
		goto out;
	}
	o.now_ms = clock_wall_ms();
	if (o.now && !clock_parse_ts(o.now, &o.now_ms)) {
		fprintf(stderr,
			"bkctl: --now '%s' is not a timestamp like 2026-11-25T08:00:00.000Z\n",
			o.now);
		goto out;
	}
	if (o.expiring_days < 0) {
		fprintf(stderr, "bkctl: --expiring-days %d: give a number of days, 1 or more\n",
			o.expiring_days);
		goto out;
	}
	if (tasks_config_load(o.rules, &c, why)) {
		fail(-EINVAL, "read the rules", why);
		status = 1;
		goto out;
	}
	log_init("bkctl", LOG_WARN);
	status = run(&o, &c, argc, args);
out:
	tasks_config_release(&c);
	g_string_free(why, TRUE);
	g_option_context_free(octx);
	g_free(args);
	opts_free(&o);
	return status;
}
