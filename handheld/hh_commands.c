/*
 * hh_commands.c — see hh_commands.h. Each command opens the store, checks
 * the task's local state, makes its change and queues the matching report
 * in one transaction, so the local state and what the centre will hear
 * never disagree.
 *
 * Decision numbers: they are serial per agency and year and handed out by
 * the centre (penalty.h), so a penalty leaves the handheld without one. A
 * decision printed before the number is known carries "（待编号）" in its
 * place — the paper says plainly that it is not numbered yet — and
 * `print … decision --number N` prints (and remembers locally) the number
 * the centre gave, once the inspector has it. The same holds for an order
 * to correct, which has no number from the centre in this protocol.
 */
#include "hh_commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "checklist.h"
#include "clock.h"
#include "config.h"
#include "documents.h"
#include "hh_store.h"
#include "hh_sync.h"
#include "log.h"
#include "message.h"
#include "penalty.h"

#define UNNUMBERED "（待编号）"

const char hh_commands_usage[] =
    "Commands:\n"
    "  tasks [--json]                         the tasks on this handheld\n"
    "  show TASK                              one task, its record and penalties\n"
    "  start TASK                             begin the inspection\n"
    "  record TASK [--file answers.ini|json]  answer the checklist (prompts on a terminal)\n"
    "  penalty TASK --party P --party-type individual|organisation --type warning|fine\n"
    "          [--amount CNY] --violation V --basis B [--payment bank|on_the_spot] …\n"
    "  submit TASK                            hand the inspection in\n"
    "  print TASK record|order|decision [--paper a4|roll80] -o FILE.pdf [--number N]\n"
    "  sync [--follow] [--timeout DURATION]   exchange with the centre\n"
    "Any command but sync takes --sync: exchange with the centre afterwards.\n";

struct hh {
	const struct hh_config *cfg;
	struct hh_store *store;
	bool sync_after;
};

/* --- reports --------------------------------------------------------- */

/* Stamp, build, check against the schema rules and queue one report
 * (inside the caller's transaction). 0 or -errno, with the reason printed. */
static int queue_report(struct hh *h, const struct report_info *r, cJSON **member)
{
	char topic[TOPIC_MAX], err[128];
	struct envelope e;
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	int64_t seq = hh_store_last_seq(h->store) + 1;
	cJSON *msg;
	char *text;
	int rc;

	envelope_stamp(&e, h->cfg->id, seq);
	msg = message_report(&e, r);
	topic_format(topic, MSG_REPORT, h->cfg->id);
	if (!topic_parse(topic, &t, err, sizeof err) || !message_validate(&t, msg, &m, &jc)) {
		fprintf(stderr, "bk-handheld: cannot queue the %s report of task '%s': %s\n",
			r->kind, r->task_id, jc.error[0] ? jc.error : err);
		cJSON_Delete(msg);
		return -EINVAL;
	}
	text = cJSON_PrintUnformatted(msg);
	rc = hh_store_outbox_put(h->store, seq, topic, text);
	cJSON_free(text);
	if (rc == 0 && member)
		*member = cJSON_DetachItemFromObject(msg, r->kind);
	cJSON_Delete(msg);
	return rc;
}

static int queue_state(struct hh *h, const char *task_id, const char *state)
{
	struct report_info r = { .task_id = task_id, .kind = "state", .state = state };

	return queue_report(h, &r, NULL);
}

/* --- tasks arriving ---------------------------------------------------- */

/* Dedupe by task id: a repeated dispatch is ignored, a cancellation applies
 * once, and a dispatch after a cancellation stays cancelled. */
static void on_task(void *ctx, const struct message *m, const char *payload)
{
	struct hh *h = ctx;
	const char *id = m->u.task.task_id;
	bool cancel = strcmp(m->u.task.state, "cancelled") == 0;
	struct hh_task t;
	int rc = hh_store_task_get(h->store, id, &t);

	if (rc == -EIO || hh_store_begin(h->store) != 0)
		goto out;
	if (rc == -ENOENT) {
		rc = hh_store_task_add(h->store, id, cancel ? "cancelled" : "received", payload);
		if (rc == 0 && !cancel)
			rc = queue_state(h, id, "received");
		if (rc == 0)
			log_info("task %s %s: %s, due %s", id,
				 cancel ? "cancelled before it arrived" : "received",
				 m->u.task.name, m->u.task.due);
	} else if (cancel && strcmp(t.state, "cancelled") != 0) {
		rc = hh_store_task_set_state(h->store, id, "cancelled");
		if (rc == 0)
			log_info("task %s cancelled by the centre (was %s)", id, t.state);
	} else {
		log_debug("task %s (%s) again: already %s, ignored", id, m->u.task.state, t.state);
	}
	if (rc == 0)
		rc = hh_store_commit(h->store);
	else
		hh_store_rollback(h->store);
	if (rc)
		log_error("cannot store task '%s': the centre will send it again", id);
out:
	hh_task_clear(&t);
}

/* --- helpers ------------------------------------------------------------ */

/* The task with its message parsed; 0, or 1 after printing why not. */
static int load_task(struct hh *h, const char *id, struct hh_task *t, cJSON **task)
{
	int rc = hh_store_task_get(h->store, id, t);

	*task = NULL;
	if (rc == -ENOENT) {
		fprintf(stderr, "bk-handheld: no task '%s' on this handheld (bk-handheld tasks)\n",
			id);
		return 1;
	}
	if (rc)
		return 1;
	*task = t->json ? cJSON_Parse(t->json) : cJSON_CreateObject();
	return 0;
}

static const char *jstr(const cJSON *o, const char *path)
{
	char **parts = g_strsplit(path, ".", 2);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, parts[0]);

	if (parts[1])
		v = cJSON_GetObjectItemCaseSensitive(v, parts[1]);
	g_strfreev(parts);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 0 when the task is in state want; else 1 after saying why not. */
static int need_state(const struct hh_task *t, const char *want, const char *cmd)
{
	if (strcmp(t->state, want) == 0)
		return 0;
	if (strcmp(t->state, "cancelled") == 0)
		fprintf(stderr, "bk-handheld: cannot %s task '%s': the centre cancelled it\n", cmd,
			t->task_id);
	else if (strcmp(t->state, "submitted") == 0)
		fprintf(stderr, "bk-handheld: cannot %s task '%s': already submitted\n", cmd,
			t->task_id);
	else
		fprintf(stderr, "bk-handheld: cannot %s task '%s': it is %s, not %s%s\n", cmd,
			t->task_id, t->state, want,
			strcmp(want, "in_progress") == 0 ? " (bk-handheld start first)" : "");
	return 1;
}

static const char *result_label(const char *result)
{
	for (int i = 0; checklist_result_names[i]; i++)
		if (strcmp(checklist_result_names[i], result) == 0)
			return checklist_result_labels[i];
	return result;
}

/* Parse per-command options; argv[0] is the command word. false after
 * printing the problem. */
static bool parse_opts(int *argc, char ***argv, GOptionEntry *entries, const char *params)
{
	GOptionContext *octx = g_option_context_new(params);
	GError *err = NULL;
	bool ok;

	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_help_enabled(octx, TRUE);
	ok = g_option_context_parse(octx, argc, argv, &err);
	if (!ok) {
		fprintf(stderr, "bk-handheld %s: %s\n", (*argv)[0], err->message);
		g_error_free(err);
	}
	g_option_context_free(octx);
	return ok;
}

static struct checklist *load_checklist(struct hh *h, const char *id)
{
	char *file = g_strdup_printf("%s.ini", id);
	char *path = g_build_filename(h->cfg->checklists, file, NULL);
	struct checklist *cl = NULL;
	char *problems = NULL;
	int rc = checklist_load(path, &cl, &problems);

	if (rc)
		fprintf(stderr, "bk-handheld: cannot load checklist '%s': %s\n%s", path,
			rc == -EINVAL ? "not a valid template" : g_strerror(-rc),
			problems ? problems : "");
	g_free(problems);
	g_free(path);
	g_free(file);
	return cl;
}

/* "2026年11月25日 10:20" (local time) from a timestamp; newly allocated. */
static char *local_time(const char *ts, bool with_time)
{
	int64_t ms = clock_wall_ms();
	GDateTime *d;
	char *out;

	if (ts)
		clock_parse_ts(ts, &ms);
	d = g_date_time_new_from_unix_local(ms / 1000);
	out = g_date_time_format(d, with_time ? "%Y年%-m月%-d日 %H:%M" : "%Y年%-m月%-d日");
	g_date_time_unref(d);
	return out;
}

/* "2026年12月10日" from "2026-12-10"; newly allocated (a copy if malformed). */
static char *chinese_date(const char *ymd)
{
	int y, m, d;

	if (sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return g_strdup(ymd);
	return g_strdup_printf("%d年%d月%d日", y, m, d);
}

/* --- tasks, show ---------------------------------------------------------- */

struct listing {
	struct hh *h;
	cJSON *array; /* --json */
};

static void list_one(void *ctx, const struct hh_task *t)
{
	struct listing *l = ctx;
	cJSON *task = t->json ? cJSON_Parse(t->json) : NULL;
	char *record = hh_store_record_get(l->h->store, t->task_id);
	cJSON *rec = record ? cJSON_Parse(record) : NULL;
	const char *result = rec ? jstr(rec, "result") : NULL;

	if (l->array) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "task_id", t->task_id);
		cJSON_AddStringToObject(o, "state", t->state);
		if (task) {
			cJSON_AddItemToObject(o, "task", task);
			task = NULL;
		}
		if (result)
			cJSON_AddStringToObject(o, "result", result);
		cJSON_AddNumberToObject(o, "penalties",
					hh_store_penalty_count(l->h->store, t->task_id));
		cJSON_AddItemToArray(l->array, o);
	} else {
		printf("%-28s %-11s %-10s %-8s %s%s%s\n", t->task_id, t->state,
		       task && jstr(task, "due") ? jstr(task, "due") : "-",
		       task && jstr(task, "kind") ? jstr(task, "kind") : "-",
		       task && jstr(task, "establishment.name") ? jstr(task, "establishment.name")
								: "-",
		       result ? "  " : "", result ? result_label(result) : "");
	}
	cJSON_Delete(rec);
	cJSON_Delete(task);
	g_free(record);
}

static int cmd_tasks(struct hh *h, int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, "as JSON", NULL },
				   { NULL, 0, 0, 0, NULL, NULL, NULL } };
	struct listing l = { .h = h };
	int rc;

	if (!parse_opts(&argc, &argv, entries, "- the tasks on this handheld") || argc != 1)
		return 2;
	if (json)
		l.array = cJSON_CreateArray();
	else
		printf("%-28s %-11s %-10s %-8s %s\n", "TASK", "STATE", "DUE", "KIND",
		       "ESTABLISHMENT");
	rc = hh_store_tasks(h->store, list_one, &l);
	if (json) {
		char *text = cJSON_Print(l.array);

		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(l.array);
	}
	return rc ? 1 : 0;
}

static int cmd_show(struct hh *h, int argc, char **argv)
{
	GOptionEntry entries[] = { { NULL, 0, 0, 0, NULL, NULL, NULL } };
	struct hh_task t;
	cJSON *task, *rec = NULL, *pen = NULL;
	char *text, *record, *penalty;
	int64_t pid;

	if (!parse_opts(&argc, &argv, entries, "TASK - one task") || argc != 2)
		return 2;
	if (load_task(h, argv[1], &t, &task))
		return 1;
	printf("task:       %s (%s)\n", t.task_id, t.state);
	text = cJSON_Print(task);
	printf("message:    %s\n", text);
	cJSON_free(text);
	record = hh_store_record_get(h->store, t.task_id);
	if (record && (rec = cJSON_Parse(record))) {
		printf("record:     %s (%s), %s at %s\n", result_label(jstr(rec, "result")),
		       jstr(rec, "result"), jstr(rec, "time"), jstr(rec, "place"));
		if (jstr(rec, "deadline"))
			printf("deadline:   %s\n", jstr(rec, "deadline"));
		printf("facts:      %s\n", jstr(rec, "facts"));
	}
	penalty = hh_store_penalty_last(h->store, t.task_id, &pid);
	if (penalty && (pen = cJSON_Parse(penalty))) {
		const cJSON *p = cJSON_GetObjectItem(pen, "penalty");
		char *number = hh_store_penalty_number(h->store, pid);

		printf("penalty:    %s %s %.2f CNY to %s (%s), decision %s\n",
		       jstr(p, "penalty_type"), jstr(p, "party_type"),
		       cJSON_GetObjectItem(p, "amount_cny")->valuedouble, jstr(p, "party"),
		       jstr(p, "violation"), number ? number : UNNUMBERED);
		g_free(number);
	}
	cJSON_Delete(pen);
	cJSON_Delete(rec);
	g_free(penalty);
	g_free(record);
	cJSON_Delete(task);
	hh_task_clear(&t);
	return 0;
}

/* --- start, submit -------------------------------------------------------- */

/* Move the task from `from` to `to`, reporting it. */
static int transition(struct hh *h, const char *id, const char *from, const char *to,
		      const char *cmd, bool need_record)
{
	struct hh_task t;
	cJSON *task;
	char *record = NULL;
	int rc = 1;

	if (load_task(h, id, &t, &task))
		return 1;
	if (strcmp(t.state, to) == 0) {
		printf("task %s is already %s\n", id, to);
		rc = 0;
		goto out;
	}
	if (need_state(&t, from, cmd))
		goto out;
	if (need_record && !(record = hh_store_record_get(h->store, id))) {
		fprintf(stderr,
			"bk-handheld: cannot submit task '%s': no inspection record yet "
			"(bk-handheld record %s)\n",
			id, id);
		goto out;
	}
	if (hh_store_begin(h->store))
		goto out;
	if (hh_store_task_set_state(h->store, id, to) || queue_state(h, id, to) ||
	    hh_store_commit(h->store)) {
		hh_store_rollback(h->store);
		goto out;
	}
	printf("task %s is %s\n", id, to);
	rc = 0;
out:
	g_free(record);
	cJSON_Delete(task);
	hh_task_clear(&t);
	return rc;
}

static int cmd_start(struct hh *h, int argc, char **argv)
{
	GOptionEntry entries[] = { { NULL, 0, 0, 0, NULL, NULL, NULL } };

	if (!parse_opts(&argc, &argv, entries, "TASK - begin the inspection") || argc != 2)
		return 2;
	return transition(h, argv[1], "received", "in_progress", "start", false);
}

static int cmd_submit(struct hh *h, int argc, char **argv)
{
	GOptionEntry entries[] = { { NULL, 0, 0, 0, NULL, NULL, NULL } };

	if (!parse_opts(&argc, &argv, entries, "TASK - hand the inspection in") || argc != 2)
		return 2;
	return transition(h, argv[1], "in_progress", "submitted", "submit", true);
}

/* --- record --------------------------------------------------------------- */

struct answers {
	GStringChunk *strings;
	struct report_answer a[MESSAGE_MAX_ANSWERS];
	const char *photos[MESSAGE_MAX_ANSWERS][MESSAGE_MAX_PHOTOS];
	size_t n;
	char *facts, *place, *deadline, *dflt; /* from the file, or NULL */
};

static const char *keep(struct answers *as, const char *s)
{
	return s ? g_string_chunk_insert(as->strings, s) : NULL;
}

static int find_answer(const struct answers *as, const char *item)
{
	for (size_t i = 0; i < as->n; i++)
		if (strcmp(as->a[i].item, item) == 0)
			return (int)i;
	return -1;
}

static bool add_answer(struct answers *as, const char *item, const char *answer, const char *note,
		       char **photos, const char *from)
{
	struct report_answer *a;
	size_t k = 0;

	if (strcmp(answer, "y") == 0)
		answer = "yes";
	else if (strcmp(answer, "n") == 0)
		answer = "no";
	if (strcmp(answer, "yes") && strcmp(answer, "no") && strcmp(answer, "na")) {
		fprintf(stderr, "bk-handheld: %s: item '%s': answer '%s' is not yes, no or na\n",
			from, item, answer);
		return false;
	}
	if (find_answer(as, item) >= 0) {
		fprintf(stderr, "bk-handheld: %s: item '%s' is answered twice\n", from, item);
		return false;
	}
	if (as->n == MESSAGE_MAX_ANSWERS)
		return false;
	a = &as->a[as->n];
	a->item = keep(as, item);
	a->answer = keep(as, answer);
	a->note = note && *note ? keep(as, note) : NULL;
	for (; photos && photos[k] && k < MESSAGE_MAX_PHOTOS; k++)
		as->photos[as->n][k] = keep(as, g_strstrip(photos[k]));
	a->photos = k ? as->photos[as->n] : NULL;
	a->n_photos = k;
	as->n++;
	return true;
}

/* answers.ini: [record] facts, place, deadline, default; [item N] answer,
 * note, photos (a;b). */
static bool read_ini(struct answers *as, const char *path)
{
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	char **groups;
	bool ok = true;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
		fprintf(stderr, "bk-handheld: cannot read answers '%s': %s\n", path, err->message);
		g_error_free(err);
		g_key_file_free(kf);
		return false;
	}
	as->facts = g_key_file_get_string(kf, "record", "facts", NULL);
	as->place = g_key_file_get_string(kf, "record", "place", NULL);
	as->deadline = g_key_file_get_string(kf, "record", "deadline", NULL);
	as->dflt = g_key_file_get_string(kf, "record", "default", NULL);
	groups = g_key_file_get_groups(kf, NULL);
	for (int i = 0; ok && groups[i]; i++) {
		char *answer, *note;
		char **photos;

		if (strcmp(groups[i], "record") == 0)
			continue;
		if (!g_str_has_prefix(groups[i], "item ")) {
			fprintf(stderr, "bk-handheld: %s: unknown group [%s]\n", path, groups[i]);
			ok = false;
			break;
		}
		answer = g_key_file_get_string(kf, groups[i], "answer", NULL);
		note = g_key_file_get_string(kf, groups[i], "note", NULL);
		photos = g_key_file_get_string_list(kf, groups[i], "photos", NULL, NULL);
		if (!answer) {
			fprintf(stderr, "bk-handheld: %s: [%s] has no answer\n", path, groups[i]);
			ok = false;
		} else {
			ok = add_answer(as, groups[i] + 5, answer, note, photos, path);
		}
		g_free(answer);
		g_free(note);
		g_strfreev(photos);
	}
	g_strfreev(groups);
	g_key_file_free(kf);
	return ok;
}

/* answers.json: {"facts", "place", "deadline", "default", "answers": [{item,
 * answer, note?, photos?}]} — the record's own shape. */
static bool read_json(struct answers *as, const char *path)
{
	char *text = NULL;
	cJSON *root, *a;
	bool ok = true;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(root = cJSON_Parse(text))) {
		fprintf(stderr, "bk-handheld: cannot read answers '%s': %s\n", path,
			text ? "not JSON" : "unreadable");
		g_free(text);
		return false;
	}
	as->facts = g_strdup(jstr(root, "facts"));
	as->place = g_strdup(jstr(root, "place"));
	as->deadline = g_strdup(jstr(root, "deadline"));
	as->dflt = g_strdup(jstr(root, "default"));
	cJSON_ArrayForEach (a, cJSON_GetObjectItem(root, "answers")) {
		const cJSON *ph = cJSON_GetObjectItem(a, "photos"), *p;
		GPtrArray *photos = g_ptr_array_new();

		cJSON_ArrayForEach (p, ph)
			if (cJSON_IsString(p))
				g_ptr_array_add(photos, p->valuestring);
		g_ptr_array_add(photos, NULL);
		if (!jstr(a, "item") || !jstr(a, "answer")) {
			fprintf(stderr, "bk-handheld: %s: an answer without item or answer\n",
				path);
			ok = false;
		} else {
			ok = add_answer(as, jstr(a, "item"), jstr(a, "answer"), jstr(a, "note"),
					(char **)photos->pdata, path);
		}
		g_ptr_array_free(photos, TRUE);
		if (!ok)
			break;
	}
	cJSON_Delete(root);
	g_free(text);
	return ok;
}

static char *prompt(const char *question)
{
	char line[4096];

	fputs(question, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return NULL;
	return g_strdup(g_strstrip(line));
}

/* Ask each applicable item on the terminal: y/n/na, then a note. */
static bool read_tty(struct answers *as, const struct checklist *cl, const char *category)
{
	for (size_t i = 0; i < cl->n_items; i++) {
		const struct checklist_item *it = &cl->items[i];
		char *reply = NULL, *note = NULL;
		bool ok;

		if (!checklist_applies(it, category))
			continue;
		printf("\n%s %s%s %s\n", it->id, it->key ? "*" : "", it->section, it->text);
		while ((reply = prompt("  符合? y/n/na: ")) && strcmp(reply, "y") &&
		       strcmp(reply, "n") && strcmp(reply, "na") && strcmp(reply, "yes") &&
		       strcmp(reply, "no"))
			g_free(reply);
		if (!reply)
			return false;
		note = prompt("  备注 (enter: none): ");
		ok = add_answer(as, it->id, reply, note, NULL, "terminal");
		g_free(reply);
		g_free(note);
		if (!ok)
			return false;
	}
	if (!as->facts)
		as->facts = prompt("\n现场检查情况 (facts; enter: list the failed items): ");
	return true;
}

/* Facts when none were given: the failed items and their notes, objectively. */
static char *default_facts(const struct answers *as, const struct checklist *cl)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < as->n; i++) {
		const struct checklist_item *it = checklist_find(cl, as->a[i].item);

		if (strcmp(as->a[i].answer, "no") || !it)
			continue;
		g_string_append_printf(s, "%s%s %s：不符合%s%s。", s->len ? "\n" : "", it->id,
				       it->text, as->a[i].note ? "，" : "",
				       as->a[i].note ? as->a[i].note : "");
	}
	if (!s->len)
		g_string_append(s, "按检查要点表逐项检查，未发现不符合项。");
	return g_string_free(s, FALSE);
}

static int cmd_record(struct hh *h, int argc, char **argv)
{
	char *file = NULL, *facts = NULL, *place = NULL, *deadline = NULL, *checklist_id = NULL;
	GOptionEntry entries[] = {
		{ "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "answers (.ini or .json)", "FILE" },
		{ "facts", 0, 0, G_OPTION_ARG_FILENAME, &facts, "what was found (现场笔录)",
		  "TEXT" },
		{ "place", 0, 0, G_OPTION_ARG_FILENAME, &place, "where (default: the address)",
		  "TEXT" },
		{ "deadline", 0, 0, G_OPTION_ARG_FILENAME, &deadline, "correct by", "YYYY-MM-DD" },
		{ "checklist", 0, 0, G_OPTION_ARG_FILENAME, &checklist_id,
		  "template when the task names none", "ID" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct answers *as = g_new0(struct answers, 1);
	struct checklist_answer ca[MESSAGE_MAX_ANSWERS];
	struct report_answer kept[MESSAGE_MAX_ANSWERS];
	const char *inspectors[MESSAGE_MAX_INSPECTORS];
	struct checklist_outcome out;
	struct checklist *cl = NULL;
	struct hh_task t = { 0 };
	cJSON *task = NULL, *member = NULL, *insp;
	const char *category, *cl_id;
	char err[256], ts[CLOCK_TS_LEN], *text;
	size_t n = 0, ni = 0;
	int rc = 1;

	as->strings = g_string_chunk_new(4096);
	if (!parse_opts(&argc, &argv, entries, "TASK - answer the checklist") || argc != 2) {
		rc = 2;
		goto out;
	}
	if (load_task(h, argv[1], &t, &task) || need_state(&t, "in_progress", "record"))
		goto out;
	category = jstr(task, "establishment.category");
	cl_id = checklist_id ? checklist_id : jstr(task, "checklist");
	if (!cl_id) {
		fprintf(stderr,
			"bk-handheld: cannot record task '%s': it names no checklist (--checklist "
			"ID)\n",
			t.task_id);
		goto out;
	}
	if (!(cl = load_checklist(h, cl_id)))
		goto out;
	if (file && !(g_str_has_suffix(file, ".json") ? read_json(as, file) : read_ini(as, file)))
		goto out;
	if (!file && !isatty(0)) {
		fprintf(stderr,
			"bk-handheld: cannot record task '%s': no answers (--file, or run "
			"on a terminal to be asked)\n",
			t.task_id);
		goto out;
	}
	if (!file && !read_tty(as, cl, category))
		goto out;
	/* items not answered take the file's default, if it has one */
	for (size_t i = 0; as->dflt && i < cl->n_items; i++)
		if (checklist_applies(&cl->items[i], category) &&
		    find_answer(as, cl->items[i].id) < 0 &&
		    !add_answer(as, cl->items[i].id, as->dflt, NULL, NULL, "default"))
			goto out;
	/* only the items that apply to this establishment go into the record */
	for (size_t i = 0; i < as->n; i++) {
		const struct checklist_item *it = checklist_find(cl, as->a[i].item);

		if (!it) {
			fprintf(stderr,
				"bk-handheld: cannot record task '%s': item '%s' is not in "
				"checklist %s\n",
				t.task_id, as->a[i].item, cl->id);
			goto out;
		}
		if (!checklist_applies(it, category))
			continue;
		kept[n] = as->a[i];
		ca[n].item = as->a[i].item;
		ca[n].reply = strcmp(as->a[i].answer, "yes") == 0  ? CHECKLIST_YES
			      : strcmp(as->a[i].answer, "no") == 0 ? CHECKLIST_NO
								   : CHECKLIST_NA;
		n++;
	}
	if (checklist_evaluate(cl, category, ca, n, &out, err, sizeof err)) {
		fprintf(stderr, "bk-handheld: cannot record task '%s': %s\n", t.task_id, err);
		goto out;
	}
	if (!deadline && as->deadline)
		deadline = g_strdup(as->deadline);
	if (out.result == CHECKLIST_BASICALLY_COMPLIANT && !deadline) {
		fprintf(
		    stderr,
		    "bk-handheld: cannot record task '%s': 基本符合 (basically_compliant) needs "
		    "a correction deadline (--deadline YYYY-MM-DD)\n",
		    t.task_id);
		goto out;
	}
	if (out.result == CHECKLIST_COMPLIANT && deadline) {
		g_free(deadline); /* nothing to correct */
		deadline = NULL;
	}
	cJSON_ArrayForEach (insp, cJSON_GetObjectItem(task, "inspectors"))
		if (cJSON_IsString(insp) && ni < MESSAGE_MAX_INSPECTORS)
			inspectors[ni++] = insp->valuestring;
	if (!facts && as->facts && *as->facts)
		facts = g_strdup(as->facts);
	if (!facts)
		facts = default_facts(as, cl);
	if (!place)
		place = g_strdup(as->place ? as->place
				 : jstr(task, "establishment.address")
				     ? jstr(task, "establishment.address")
				     : jstr(task, "establishment.name"));
	clock_format_ms(clock_wall_ms(), ts);
	{
		struct report_record rec = {
			.checklist_id = cl->id,
			.checklist_version = cl->version,
			.answers = kept,
			.n_answers = n,
			.result = checklist_result_names[out.result],
			.inspectors = inspectors,
			.n_inspectors = ni,
			.time = ts,
			.place = place,
			.facts = facts,
			.deadline = deadline,
		};
		struct report_info r = { .task_id = t.task_id, .kind = "record", .record = &rec };

		if (hh_store_begin(h->store))
			goto out;
		if (queue_report(h, &r, &member) ||
		    hh_store_record_put(h->store, t.task_id,
					text = cJSON_PrintUnformatted(member)) ||
		    hh_store_commit(h->store)) {
			hh_store_rollback(h->store);
			goto out;
		}
		cJSON_free(text);
	}
	printf("record of task %s: %s (%s): %d key and %d general item(s) failed, %d passed, "
	       "%d not applicable\n",
	       t.task_id, checklist_result_labels[out.result], checklist_result_names[out.result],
	       out.key_failed, out.general_failed, out.passed, out.not_applicable);
	rc = 0;
out:
	cJSON_Delete(member);
	cJSON_Delete(task);
	hh_task_clear(&t);
	checklist_free(cl);
	g_string_chunk_free(as->strings);
	g_free(as->facts);
	g_free(as->place);
	g_free(as->deadline);
	g_free(as->dflt);
	g_free(as);
	g_free(file);
	g_free(facts);
	g_free(place);
	g_free(deadline);
	g_free(checklist_id);
	return rc;
}

/* --- penalty -------------------------------------------------------------- */

static int name_index(const char *const *names, const char *v)
{
	for (int i = 0; v && names[i]; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static int cmd_penalty(struct hh *h, int argc, char **argv)
{
	char *party = NULL, *party_type = NULL, *type = NULL, *amount = NULL, *violation = NULL,
	     *basis = NULL, *payment = NULL, *place = NULL, *party_id = NULL, *address = NULL;
	gboolean refused = FALSE;
	GOptionEntry entries[] = {
		{ "party", 0, 0, G_OPTION_ARG_FILENAME, &party, "the party's name", "NAME" },
		{ "party-type", 0, 0, G_OPTION_ARG_FILENAME, &party_type, "individual|organisation",
		  "T" },
		{ "party-id", 0, 0, G_OPTION_ARG_FILENAME, &party_id,
		  "licence or identity document (printed; default: the licence)", "ID" },
		{ "party-address", 0, 0, G_OPTION_ARG_FILENAME, &address,
		  "printed; default: the establishment's", "A" },
		{ "type", 0, 0, G_OPTION_ARG_FILENAME, &type, "warning|fine", "T" },
		{ "amount", 0, 0, G_OPTION_ARG_FILENAME, &amount, "fine in CNY", "N" },
		{ "violation", 0, 0, G_OPTION_ARG_FILENAME, &violation, "the violation", "TEXT" },
		{ "basis", 0, 0, G_OPTION_ARG_FILENAME, &basis, "legal basis", "TEXT" },
		{ "payment", 0, 0, G_OPTION_ARG_FILENAME, &payment, "bank (default) or on_the_spot",
		  "P" },
		{ "place", 0, 0, G_OPTION_ARG_FILENAME, &place, "default: the address", "TEXT" },
		{ "refused-to-sign", 0, 0, G_OPTION_ARG_NONE, &refused, "the party refused to sign",
		  NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct penalty_decision d;
	struct hh_task t = { 0 };
	cJSON *task = NULL, *member = NULL, *wrap;
	char err[256], ts[CLOCK_TS_LEN], *end, *text;
	double cny = 0;
	int pt, ty, rc = 1;

	if (!parse_opts(&argc, &argv, entries, "TASK - a simple-procedure penalty") || argc != 2) {
		rc = 2;
		goto out;
	}
	pt = name_index(penalty_party_names, party_type);
	ty = name_index(penalty_type_names, type);
	if (!party || !*party || !violation || !*violation || !basis || !*basis || pt < 0 ||
	    ty < 0) {
		fprintf(stderr,
			"bk-handheld penalty: --party, --party-type individual|organisation, "
			"--type warning|fine, --violation and --basis are required\n");
		rc = 2;
		goto out;
	}
	if (amount) {
		cny = g_ascii_strtod(amount, &end);
		if (end == amount || *end) {
			fprintf(stderr, "bk-handheld penalty: --amount '%s' is not a number\n",
				amount);
			rc = 2;
			goto out;
		}
	}
	if (load_task(h, argv[1], &t, &task) || need_state(&t, "in_progress", "penalise in"))
		goto out;
	/* the law's caps first: refused, never clipped (DOMAIN.md) */
	if (penalty_check((enum penalty_party)pt, (enum penalty_type)ty, cny, &d, err,
			  sizeof err)) {
		fprintf(stderr, "bk-handheld: penalty refused: %s\n", err);
		goto out;
	}
	if (!payment && ty == PENALTY_FINE)
		payment = g_strdup("bank");
	if (!place)
		place = g_strdup(jstr(task, "establishment.address")
				     ? jstr(task, "establishment.address")
				     : jstr(task, "establishment.name"));
	clock_format_ms(clock_wall_ms(), ts);
	{
		struct report_penalty p = {
			.party = party,
			.party_type = penalty_party_names[pt],
			.penalty_type = penalty_type_names[ty],
			.amount_cny = cny,
			.violation = violation,
			.legal_basis = basis,
			.payment = ty == PENALTY_FINE ? payment : NULL,
			.decision_number = NULL, /* the centre numbers it */
			.time = ts,
			.place = place,
			.refused_to_sign = refused,
		};
		struct report_info r = { .task_id = t.task_id, .kind = "penalty", .penalty = &p };

		if (hh_store_begin(h->store))
			goto out;
		if (queue_report(h, &r, &member)) {
			hh_store_rollback(h->store);
			goto out;
		}
		/* what only the printed decision needs stays beside the report's member */
		wrap = cJSON_CreateObject();
		cJSON_AddItemToObject(wrap, "penalty", member);
		member = wrap;
		if (party_id)
			cJSON_AddStringToObject(wrap, "party_id", party_id);
		if (address)
			cJSON_AddStringToObject(wrap, "party_address", address);
		text = cJSON_PrintUnformatted(wrap);
		if (hh_store_penalty_add(h->store, t.task_id, text) || hh_store_commit(h->store)) {
			cJSON_free(text);
			hh_store_rollback(h->store);
			goto out;
		}
		cJSON_free(text);
	}
	printf("penalty of task %s: %s%s%s to %s; decision number to be given by the centre\n",
	       t.task_id, penalty_type_names[ty], ty == PENALTY_FINE ? " of " : "",
	       ty == PENALTY_FINE ? amount : "", party);
	rc = 0;
out:
	cJSON_Delete(member);
	cJSON_Delete(task);
	hh_task_clear(&t);
	g_free(party);
	g_free(party_type);
	g_free(type);
	g_free(amount);
	g_free(violation);
	g_free(basis);
	g_free(payment);
	g_free(place);
	g_free(party_id);
	g_free(address);
	return rc;
}

/* --- print ----------------------------------------------------------------- */

struct officers {
	struct document_officer o[MESSAGE_MAX_INSPECTORS];
	size_t n;
};

/* The officers of the inspectors' handhelds, from [officers]; 0 or 1. */
static int officers_of(struct hh *h, const cJSON *ids, struct officers *of)
{
	const cJSON *id;

	of->n = 0;
	cJSON_ArrayForEach (id, ids) {
		char *name, *cert;

		if (!cJSON_IsString(id) || of->n == MESSAGE_MAX_INSPECTORS)
			continue;
		if (hh_config_officer(h->cfg, id->valuestring, &name, &cert)) {
			fprintf(stderr,
				"bk-handheld: cannot print: officer of handheld '%s' unknown "
				"(add '%s = NAME;CERTIFICATE' to [officers])\n",
				id->valuestring, id->valuestring);
			return 1;
		}
		of->o[of->n].name = name;
		of->o[of->n].id = cert;
		of->n++;
	}
	return 0;
}

static void officers_release(struct officers *of)
{
	for (size_t i = 0; i < of->n; i++) {
		g_free((char *)of->o[i].name);
		g_free((char *)of->o[i].id);
	}
	of->n = 0;
}

static int cmd_print(struct hh *h, int argc, char **argv)
{
	char *paper = NULL, *output = NULL, *number = NULL;
	GOptionEntry entries[] = {
		{ "paper", 0, 0, G_OPTION_ARG_FILENAME, &paper, "a4 (default) or roll80", "P" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "the PDF to write", "FILE" },
		{ "number", 0, 0, G_OPTION_ARG_FILENAME, &number,
		  "the document number the centre gave", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct document_fields f = { 0 };
	struct document_item problems[CHECKLIST_MAX_ITEMS];
	struct officers of = { .n = 0 };
	struct hh_task t = { 0 };
	struct checklist *cl = NULL;
	enum document_kind kind;
	cJSON *task = NULL, *rec = NULL, *pen = NULL, *a;
	const cJSON *p;
	char err[512], *record = NULL, *penalty = NULL, *time = NULL, *date = NULL;
	char *stored = NULL, *deadline = NULL;
	GString *basis = NULL;
	int64_t pid = 0;
	int rc = 1;

	if (!parse_opts(&argc, &argv, entries, "TASK record|order|decision - print a document") ||
	    argc != 3 || !output || (paper && strcmp(paper, "a4") && strcmp(paper, "roll80"))) {
		fprintf(stderr, "bk-handheld print: TASK record|order|decision [--paper "
				"a4|roll80] -o FILE.pdf\n");
		rc = 2;
		goto out;
	}
	if (strcmp(argv[2], "record") == 0)
		kind = DOC_ONSITE_RECORD;
	else if (strcmp(argv[2], "order") == 0)
		kind = DOC_CORRECTION_ORDER;
	else if (strcmp(argv[2], "decision") == 0)
		kind = DOC_PENALTY_DECISION;
	else {
		fprintf(stderr, "bk-handheld print: '%s' is not record, order or decision\n",
			argv[2]);
		rc = 2;
		goto out;
	}
	if (load_task(h, argv[1], &t, &task))
		goto out;
	if (!h->cfg->agency) {
		fprintf(stderr, "bk-handheld: cannot print: no [handheld] agency configured\n");
		goto out;
	}
	f.agency = h->cfg->agency;
	f.party_name = jstr(task, "establishment.name");
	f.party_type = DOC_PARTY_ORGANISATION;
	f.party_id = jstr(task, "establishment.licence");
	f.party_address = jstr(task, "establishment.address");
	f.date = date = local_time(NULL, false);
	f.review_body = h->cfg->review_body;
	f.court = h->cfg->court;
	if (kind != DOC_PENALTY_DECISION) {
		record = hh_store_record_get(h->store, t.task_id);
		if (!record || !(rec = cJSON_Parse(record))) {
			fprintf(stderr,
				"bk-handheld: cannot print %s of task '%s': no record yet\n",
				document_kind_title(kind), t.task_id);
			goto out;
		}
		if (officers_of(h, cJSON_GetObjectItem(rec, "inspectors"), &of))
			goto out;
		f.time = time = local_time(jstr(rec, "time"), true);
		f.place = jstr(rec, "place");
		f.facts = jstr(rec, "facts");
		if (!f.party_address)
			f.party_address = f.place;
	}
	if (kind == DOC_CORRECTION_ORDER) {
		if (strcmp(jstr(rec, "result"), "compliant") == 0 || !jstr(rec, "deadline")) {
			fprintf(stderr,
				"bk-handheld: cannot print 责令改正通知书 of task '%s': %s\n",
				t.task_id,
				strcmp(jstr(rec, "result"), "compliant") == 0
				    ? "the record is 符合, nothing to correct"
				    : "the record has no correction deadline");
			goto out;
		}
		if (!(cl = load_checklist(h, jstr(rec, "checklist.id"))))
			goto out;
		basis = g_string_new(NULL);
		cJSON_ArrayForEach (a, cJSON_GetObjectItem(rec, "answers")) {
			const struct checklist_item *it;

			if (strcmp(jstr(a, "answer"), "no") ||
			    !(it = checklist_find(cl, jstr(a, "item"))))
				continue;
			problems[f.problem_count].number = it->id;
			problems[f.problem_count++].text = it->text;
			if (it->basis && !strstr(basis->str, it->basis))
				g_string_append_printf(basis, "%s%s", basis->len ? "；" : "",
						       it->basis);
		}
		f.problems = problems;
		f.legal_basis = basis->len ? basis->str : "《中华人民共和国食品安全法》";
		f.deadline = deadline = chinese_date(jstr(rec, "deadline"));
		f.number = number ? number : UNNUMBERED;
	}
	if (kind == DOC_PENALTY_DECISION) {
		penalty = hh_store_penalty_last(h->store, t.task_id, &pid);
		if (!penalty || !(pen = cJSON_Parse(penalty))) {
			fprintf(stderr,
				"bk-handheld: cannot print 当场行政处罚决定书 of task '%s': no "
				"penalty yet\n",
				t.task_id);
			goto out;
		}
		p = cJSON_GetObjectItem(pen, "penalty");
		if (officers_of(h, cJSON_GetObjectItem(task, "inspectors"), &of))
			goto out;
		if (number && hh_store_penalty_set_number(h->store, pid, number))
			goto out;
		stored = hh_store_penalty_number(h->store, pid);
		f.number = stored ? stored : UNNUMBERED;
		f.party_name = jstr(p, "party");
		f.party_type = strcmp(jstr(p, "party_type"), "individual") == 0
				   ? DOC_PARTY_INDIVIDUAL
				   : DOC_PARTY_ORGANISATION;
		if (jstr(pen, "party_id"))
			f.party_id = jstr(pen, "party_id");
		else if (f.party_type == DOC_PARTY_INDIVIDUAL)
			f.party_id = NULL; /* a licence is not an individual's id */
		if (jstr(pen, "party_address"))
			f.party_address = jstr(pen, "party_address");
		f.time = time = local_time(jstr(p, "time"), true);
		f.place = jstr(p, "place");
		f.violation = jstr(p, "violation");
		f.legal_basis = jstr(p, "legal_basis");
		f.penalty = strcmp(jstr(p, "penalty_type"), "fine") == 0 ? DOC_PENALTY_FINE
									 : DOC_PENALTY_WARNING;
		if (penalty_amount_fen(cJSON_GetObjectItem(p, "amount_cny")->valuedouble,
				       &f.amount_fen, err, sizeof err)) {
			fprintf(stderr, "bk-handheld: cannot print: %s\n", err);
			goto out;
		}
		f.cash_on_spot =
		    jstr(p, "payment") && strcmp(jstr(p, "payment"), "on_the_spot") == 0;
		f.payment_bank = h->cfg->payment_bank;
		f.party_refused = cJSON_IsTrue(cJSON_GetObjectItem(p, "refused_to_sign"));
	}
	f.officers = of.o;
	f.officer_count = of.n;
	if (document_render(kind,
			    paper && strcmp(paper, "roll80") == 0 ? PAPER_ROLL_80MM : PAPER_A4, &f,
			    output, err, sizeof err)) {
		fprintf(stderr, "bk-handheld: %s\n", err);
		goto out;
	}
	printf("%s of task %s written to %s%s\n", document_kind_title(kind), t.task_id, output,
	       f.number && strcmp(f.number, UNNUMBERED) == 0 ? " (not yet numbered: 待编号)" : "");
	rc = 0;
out:
	if (basis)
		g_string_free(basis, TRUE);
	officers_release(&of);
	checklist_free(cl);
	cJSON_Delete(pen);
	cJSON_Delete(rec);
	cJSON_Delete(task);
	hh_task_clear(&t);
	g_free(stored);
	g_free(deadline);
	g_free(record);
	g_free(penalty);
	g_free(time);
	g_free(date);
	g_free(paper);
	g_free(output);
	g_free(number);
	return rc;
}

/* --- sync ------------------------------------------------------------------ */

static int do_sync(struct hh *h, bool follow, int64_t timeout_ms)
{
	struct hh_sync_result res;

	if (hh_sync_run(h->cfg, h->store, follow, timeout_ms, on_task, h, &res))
		return 1;
	if (!res.connected) {
		/* every broker it tried, when it lists several */
		char *brokers = h->cfg->mqtt.uris ? g_strjoinv("', '", h->cfg->mqtt.uris)
						  : g_strdup(h->cfg->mqtt.uri);

		fprintf(stderr,
			"bk-handheld: cannot reach the centre at '%s': working offline; %lld "
			"report(s) wait for the next sync\n",
			brokers, (long long)res.waiting);
		g_free(brokers);
		return 1;
	}
	printf("synced: %d task message(s) received, %lld report(s) sent, %lld waiting for the "
	       "centre's ack\n",
	       res.tasks, (long long)res.sent, (long long)res.waiting);
	return 0;
}

static int cmd_sync(struct hh *h, int argc, char **argv)
{
	gboolean follow = FALSE;
	char *timeout = NULL;
	GOptionEntry entries[] = { { "follow", 0, 0, G_OPTION_ARG_NONE, &follow,
				     "keep exchanging until a signal", NULL },
				   { "timeout", 0, 0, G_OPTION_ARG_FILENAME, &timeout,
				     "give up after (default [handheld] sync_timeout)",
				     "DURATION" },
				   { NULL, 0, 0, 0, NULL, NULL, NULL } };
	int64_t ms = h->cfg->sync_timeout_ms;
	int rc;

	if (!parse_opts(&argc, &argv, entries, "- exchange with the centre") || argc != 1)
		return 2;
	if (timeout && !config_parse_duration_ms(timeout, &ms)) {
		fprintf(stderr, "bk-handheld sync: --timeout '%s' is not a duration (30s, 2m)\n",
			timeout);
		g_free(timeout);
		return 2;
	}
	g_free(timeout);
	h->sync_after = false;
	rc = do_sync(h, follow, ms);
	return rc;
}

/* --- dispatch -------------------------------------------------------------- */

static const struct {
	const char *word;
	int (*run)(struct hh *h, int argc, char **argv);
} commands[] = {
	{ "tasks", cmd_tasks },	  { "show", cmd_show },	      { "start", cmd_start },
	{ "record", cmd_record }, { "penalty", cmd_penalty }, { "submit", cmd_submit },
	{ "print", cmd_print },	  { "sync", cmd_sync },
};

int hh_commands_run(const struct hh_config *cfg, int argc, char **argv)
{
	struct hh h = { .cfg = cfg };
	char **args = g_new0(char *, argc + 1);
	int n = 0, rc = 2;

	/* Text options are taken as bytes (G_OPTION_ARG_FILENAME): GLib would
	 * convert G_OPTION_ARG_STRING from the locale's charset and refuse
	 * Chinese under LANG=C. So every argument is checked as UTF-8 here. */
	for (int i = 0; i < argc; i++) {
		if (!g_utf8_validate(argv[i], -1, NULL)) {
			fprintf(stderr, "bk-handheld: argument %d is not valid UTF-8\n", i + 1);
			g_free(args);
			return 2;
		}
	}
	/* --sync belongs to every command: take it out before the command's own options */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--sync") == 0)
			h.sync_after = true;
		else
			args[n++] = argv[i];
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(args[0], commands[i].word) != 0)
			continue;
		if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0) {
			fprintf(stderr, "bk-handheld: cannot create state_dir '%s': %s\n",
				cfg->state_dir, g_strerror(errno));
			rc = 1;
			goto out;
		}
		h.store = hh_store_open(cfg->store_path);
		if (!h.store) {
			rc = 1;
			goto out;
		}
		rc = commands[i].run(&h, n, args);
		if (rc == 0 && h.sync_after)
			rc = do_sync(&h, false, cfg->sync_timeout_ms);
		hh_store_free(h.store);
		goto out;
	}
	fprintf(stderr, "bk-handheld: unknown command '%s'\n%s", args[0], hh_commands_usage);
out:
	g_free(args);
	return rc;
}
