/*
 * checklist.c — see checklist.h.
 *
 * GKeyFile reads the values, but it forgives what a checklist must not: a
 * group written twice is merged, a key written twice keeps the last value,
 * and its syntax errors carry no line number. So a first pass over the lines
 * checks the syntax, UTF-8 and duplicates and remembers where each group and
 * key is, for the messages; GKeyFile then parses a text known to be clean.
 * Cost: linear in the file; evaluation is O(items × answers), a few hundred
 * each at most.
 */
#include "checklist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "jcheck.h"

#define MAX_PROBLEMS	100
#define MAX_TEXT	2048 /* bytes of an item's text, section or basis */
#define ITEM_GROUP	"item "
#define CHECKLIST_GROUP "checklist"

const char *const checklist_reply_names[] = {
	[CHECKLIST_YES] = "yes", [CHECKLIST_NO] = "no", [CHECKLIST_NA] = "na", NULL
};
const char *const checklist_result_names[] = {
	[CHECKLIST_COMPLIANT] = "compliant",
	[CHECKLIST_BASICALLY_COMPLIANT] = "basically_compliant",
	[CHECKLIST_NON_COMPLIANT] = "non_compliant",
	NULL,
};
const char *const checklist_result_labels[] = {
	[CHECKLIST_COMPLIANT] = "符合",
	[CHECKLIST_BASICALLY_COMPLIANT] = "基本符合",
	[CHECKLIST_NON_COMPLIANT] = "不符合",
	NULL,
};

/* Where things are in the text, and the problems found so far. */
struct parse {
	const char *name;
	GArray *problems; /* struct problem, sorted by line when reported */
	int n_problems;
	GHashTable *lines; /* "group" and "group\nkey" → line number */
};

static void problem(struct parse *p, int line, const char *group, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct problem {
	int line, seq;
	char *text;
};

static void problem(struct parse *p, int line, const char *group, const char *fmt, ...)
{
	struct problem pr = { line, p->n_problems, NULL };
	GString *t;
	va_list ap;

	if (++p->n_problems > MAX_PROBLEMS)
		return;
	t = g_string_new(NULL);
	g_string_append_printf(t, "%s:%d: ", p->name, line);
	if (group)
		g_string_append_printf(t, "[%s] ", group);
	va_start(ap, fmt);
	g_string_append_vprintf(t, fmt, ap);
	va_end(ap);
	/* values are quoted in the text, and GKeyFile unescapes \n in them:
	 * one problem stays one line */
	for (gsize i = 0; i < t->len; i++) {
		if ((unsigned char)t->str[i] < 0x20 || t->str[i] == 0x7f)
			t->str[i] = '?';
	}
	g_string_append_c(t, '\n');
	pr.text = g_string_free(t, FALSE);
	g_array_append_val(p->problems, pr);
}

static gint by_line(gconstpointer a, gconstpointer b)
{
	const struct problem *x = a, *y = b;

	return x->line != y->line ? (x->line > y->line) - (x->line < y->line)
				  : (x->seq > y->seq) - (x->seq < y->seq);
}

/* All problems, in the order of the file, as one text; frees them. */
static char *report(struct parse *p)
{
	GString *all = g_string_new(NULL);

	g_array_sort(p->problems, by_line);
	for (guint i = 0; i < p->problems->len; i++) {
		struct problem *pr = &g_array_index(p->problems, struct problem, i);

		g_string_append(all, pr->text);
		g_free(pr->text);
	}
	if (p->n_problems > MAX_PROBLEMS)
		g_string_append_printf(all, "%s: %d more problems not shown\n", p->name,
				       p->n_problems - MAX_PROBLEMS);
	g_array_free(p->problems, TRUE);
	return g_string_free(all, FALSE);
}

static int line_of(struct parse *p, const char *group, const char *key)
{
	char *k = key ? g_strconcat(group, "\n", key, NULL) : g_strdup(group);
	int line = GPOINTER_TO_INT(g_hash_table_lookup(p->lines, k));

	g_free(k);
	return line;
}

static bool is_key_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isalnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* The first pass: one line at a time, as GKeyFile will see them. */
static void scan_lines(struct parse *p, const char *text, size_t len)
{
	char *group = NULL;
	int line = 0;

	for (size_t at = 0; at < len; line++) {
		const char *start = text + at, *nl = memchr(start, '\n', len - at);
		size_t n = nl ? (size_t)(nl - start) : len - at;
		char *l;

		at += n + 1;
		if (n && start[n - 1] == '\r')
			n--;
		if (memchr(start, '\0', n)) {
			problem(p, line + 1, NULL, "a NUL byte in the line");
			continue;
		}
		if (!g_utf8_validate(start, (gssize)n, NULL)) {
			problem(p, line + 1, NULL, "not UTF-8");
			continue;
		}
		l = g_strstrip(g_strndup(start, n));
		if (!*l || *l == '#') {
			g_free(l);
			continue;
		}
		if (*l == '[') {
			size_t m = strlen(l);

			if (m < 3 || l[m - 1] != ']' || strpbrk(l + 1, "[]") != l + m - 1) {
				problem(p, line + 1, NULL, "'%.60s' is not a [group] line", l);
			} else {
				g_free(group);
				group = g_strndup(l + 1, m - 2);
				for (const char *c = group; *c; c++) {
					if ((unsigned char)*c < 0x20 || *c == 0x7f) {
						problem(p, line + 1, NULL,
							"a control character in a group name");
						break;
					}
				}
				if (g_hash_table_contains(p->lines, group))
					problem(p, line + 1, group,
						"group repeated (first on line %d)",
						line_of(p, group, NULL));
				else
					g_hash_table_insert(p->lines, g_strdup(group),
							    GINT_TO_POINTER(line + 1));
			}
		} else {
			const char *eq = strchr(l, '=');
			size_t kn = eq ? (size_t)(eq - l) : 0;

			while (kn && g_ascii_isspace(l[kn - 1]))
				kn--;
			if (!eq) {
				problem(p, line + 1, group, "'%.60s' is not 'key = value'", l);
			} else if (!is_key_name(l, kn)) {
				problem(p, line + 1, group,
					"key '%.*s': only letters, digits, '_' and '-'",
					(int)(kn > 60 ? 60 : kn), l);
			} else if (!group) {
				problem(p, line + 1, NULL, "key '%.*s' before the first [group]",
					(int)kn, l);
			} else {
				char *k = g_strdup_printf("%s\n%.*s", group, (int)kn, l);

				if (g_hash_table_contains(p->lines, k)) {
					problem(p, line + 1, group,
						"key '%.*s' repeated (first on line %d)", (int)kn,
						l,
						GPOINTER_TO_INT(g_hash_table_lookup(p->lines, k)));
					g_free(k);
				} else {
					g_hash_table_insert(p->lines, k, GINT_TO_POINTER(line + 1));
				}
			}
		}
		g_free(l);
	}
	g_free(group);
}

/* Keys of group not in allowed[] (NULL-terminated) are problems. */
static void only_keys(struct parse *p, GKeyFile *kf, const char *group, const char *const *allowed)
{
	gchar **keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (gchar **k = keys; k && *k; k++) {
		if (!g_strv_contains(allowed, *k))
			problem(p, line_of(p, group, *k), group, "key '%s' is not known here", *k);
	}
	g_strfreev(keys);
}

/* A required (or optional) string: NULL with a problem when missing or bad. */
static char *text_value(struct parse *p, GKeyFile *kf, const char *group, const char *key,
			bool required)
{
	GError *e = NULL;
	char *v;

	if (!g_key_file_has_key(kf, group, key, NULL)) {
		if (required)
			problem(p, line_of(p, group, NULL), group, "key '%s' is missing", key);
		return NULL;
	}
	v = g_key_file_get_string(kf, group, key, &e);
	if (!v) {
		problem(p, line_of(p, group, key), group, "key '%s': %s", key, e->message);
		g_error_free(e);
		return NULL;
	}
	if (!*v || strlen(v) > MAX_TEXT) {
		problem(p, line_of(p, group, key), group, "key '%s': %s", key,
			*v ? "longer than 2048 bytes" : "empty");
		g_free(v);
		return NULL;
	}
	return v;
}

/* A list of idents, none twice; NULL with a problem when bad or (required) missing. */
static char **ident_list(struct parse *p, GKeyFile *kf, const char *group, const char *key,
			 bool required)
{
	int line = line_of(p, group, key);
	gsize n = 0;
	char **v;

	if (!g_key_file_has_key(kf, group, key, NULL)) {
		if (required)
			problem(p, line_of(p, group, NULL), group, "key '%s' is missing", key);
		return NULL;
	}
	v = g_key_file_get_string_list(kf, group, key, &n, NULL);
	if (!v || n == 0) {
		problem(p, line, group, "key '%s': an empty list", key);
		g_strfreev(v);
		return NULL;
	}
	for (gsize i = 0; i < n; i++) {
		if (!jc_is_ident(v[i], NULL, 63)) {
			problem(p, line, group, "key '%s': '%.60s' is not a category code", key,
				v[i]);
			g_strfreev(v);
			return NULL;
		}
		for (gsize j = 0; j < i; j++) {
			if (strcmp(v[i], v[j]) == 0) {
				problem(p, line, group, "key '%s': '%s' is listed twice", key,
					v[i]);
				g_strfreev(v);
				return NULL;
			}
		}
	}
	return v;
}

static bool int_value(struct parse *p, GKeyFile *kf, const char *group, const char *key, int min,
		      int max, int *out)
{
	char *raw = g_key_file_get_value(kf, group, key, NULL);
	char *end = NULL;
	gint64 v;

	if (!raw) {
		problem(p, line_of(p, group, NULL), group, "key '%s' is missing", key);
		return false;
	}
	v = g_ascii_strtoll(raw, &end, 10);
	if (!*raw || *end || !g_ascii_isdigit(*raw) || v < min || v > max) {
		problem(p, line_of(p, group, key), group,
			"key '%s': '%.30s' is not a whole number in %d..%d", key, raw, min, max);
		g_free(raw);
		return false;
	}
	g_free(raw);
	*out = (int)v;
	return true;
}

static void read_head(struct parse *p, GKeyFile *kf, struct checklist *cl)
{
	static const char *const keys[] = {
		"id", "version", "title", "categories", "max_general_failures", NULL
	};
	const char *g = CHECKLIST_GROUP;

	only_keys(p, kf, g, keys);
	cl->id = text_value(p, kf, g, "id", true);
	if (cl->id && !jc_is_ident(cl->id, NULL, 63))
		problem(p, line_of(p, g, "id"), g,
			"key 'id': '%.60s' is not 1..63 of A-Z a-z 0-9 _ . -", cl->id);
	int_value(p, kf, g, "version", 1, 1000000, &cl->version);
	cl->title = text_value(p, kf, g, "title", true);
	cl->categories = ident_list(p, kf, g, "categories", true);
	if (!cl->categories)
		cl->categories = g_new0(char *, 1);
	cl->max_general_failures = CHECKLIST_DEFAULT_MAX_GENERAL;
	if (g_key_file_has_key(kf, g, "max_general_failures", NULL))
		int_value(p, kf, g, "max_general_failures", 0, CHECKLIST_MAX_ITEMS,
			  &cl->max_general_failures);
}

static void read_item(struct parse *p, GKeyFile *kf, const char *g, struct checklist *cl,
		      struct checklist_item *it)
{
	static const char *const keys[] = { "section", "text", "key", "categories", "basis", NULL };
	GError *e = NULL;

	it->id = g_strdup(g + strlen(ITEM_GROUP));
	if (!jc_is_ident(it->id, NULL, CHECKLIST_ITEM_ID_MAX))
		problem(p, line_of(p, g, NULL), g,
			"'%.30s' is not an item number: 1..16 of A-Z a-z 0-9 _ . - like 1.1",
			it->id);
	only_keys(p, kf, g, keys);
	it->section = text_value(p, kf, g, "section", true);
	it->text = text_value(p, kf, g, "text", true);
	it->basis = text_value(p, kf, g, "basis", false);
	if (!g_key_file_has_key(kf, g, "key", NULL)) {
		problem(p, line_of(p, g, NULL), g, "key 'key' is missing (true for a 重点项)");
	} else {
		it->key = g_key_file_get_boolean(kf, g, "key", &e);
		if (e) {
			char *raw = g_key_file_get_value(kf, g, "key", NULL);

			problem(p, line_of(p, g, "key"), g,
				"key 'key': '%.30s' is not true or false", raw ? raw : "");
			g_free(raw);
			g_clear_error(&e);
		}
	}
	it->categories = ident_list(p, kf, g, "categories", false);
	for (char **c = it->categories; c && *c; c++) {
		if (!g_strv_contains((const char *const *)cl->categories, *c))
			problem(p, line_of(p, g, "categories"), g,
				"key 'categories': '%s' is not among [checklist] categories", *c);
	}
}

static void release(struct checklist *cl)
{
	for (size_t i = 0; i < cl->n_items; i++) {
		struct checklist_item *it = &cl->items[i];

		g_free(it->id);
		g_free(it->section);
		g_free(it->text);
		g_free(it->basis);
		g_strfreev(it->categories);
	}
	g_free(cl->items);
	g_free(cl->id);
	g_free(cl->title);
	g_strfreev(cl->categories);
}

void checklist_free(struct checklist *cl)
{
	if (!cl)
		return;
	release(cl);
	g_free(cl);
}

int checklist_parse(const char *text, size_t len, const char *name, struct checklist **out,
		    char **problems)
{
	struct parse p = { .name = name ? name : "checklist",
			   .problems = g_array_new(FALSE, FALSE, sizeof(struct problem)) };
	struct checklist *cl = g_new0(struct checklist, 1);
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	gchar **groups = NULL;
	gsize n_groups = 0;

	*out = NULL;
	p.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (len > CHECKLIST_MAX_BYTES) {
		problem(&p, 0, NULL, "larger than %d bytes", CHECKLIST_MAX_BYTES);
		goto out_done;
	}
	scan_lines(&p, text, len);
	if (p.n_problems)
		goto out_done;
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
		/* the first pass should have caught it: say what GKeyFile says */
		problem(&p, 0, NULL, "%s", e->message);
		g_error_free(e);
		goto out_done;
	}
	if (!g_key_file_has_group(kf, CHECKLIST_GROUP)) {
		problem(&p, 1, NULL, "no [checklist] group (id, version, title, categories)");
		goto out_done;
	}
	read_head(&p, kf, cl);
	groups = g_key_file_get_groups(kf, &n_groups);
	cl->items = g_new0(struct checklist_item, n_groups);
	for (gsize i = 0; i < n_groups; i++) {
		const char *g = groups[i];

		if (strcmp(g, CHECKLIST_GROUP) == 0)
			continue;
		if (!g_str_has_prefix(g, ITEM_GROUP)) {
			problem(&p, line_of(&p, g, NULL), g,
				"not a group of a checklist: [checklist] or [item NUMBER]");
			continue;
		}
		if (cl->n_items == CHECKLIST_MAX_ITEMS) {
			problem(&p, line_of(&p, g, NULL), g, "more than %d items",
				CHECKLIST_MAX_ITEMS);
			break;
		}
		read_item(&p, kf, g, cl, &cl->items[cl->n_items]);
		cl->n_key += cl->items[cl->n_items].key;
		cl->n_items++;
	}
	if (cl->n_items == 0)
		problem(&p, 0, NULL, "no [item NUMBER] groups: a checklist needs items");
out_done:
	g_strfreev(groups);
	g_key_file_free(kf);
	g_hash_table_destroy(p.lines);
	if (p.n_problems) {
		char *all = report(&p);

		checklist_free(cl);
		if (problems)
			*problems = all;
		else
			g_free(all);
		return -EINVAL;
	}
	g_array_free(p.problems, TRUE);
	if (problems)
		*problems = NULL;
	*out = cl;
	return 0;
}

int checklist_load(const char *path, struct checklist **out, char **problems)
{
	GError *e = NULL;
	gchar *text = NULL;
	gsize len = 0;
	int rc;

	*out = NULL;
	if (problems)
		*problems = NULL;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		rc = e->domain == G_FILE_ERROR && e->code == G_FILE_ERROR_NOENT	  ? -ENOENT
		     : e->domain == G_FILE_ERROR && e->code == G_FILE_ERROR_ACCES ? -EACCES
										  : -EIO;
		if (problems)
			*problems =
			    g_strdup_printf("cannot read checklist '%s': %s\n", path, e->message);
		g_error_free(e);
		return rc;
	}
	if (len > CHECKLIST_MAX_BYTES) {
		if (problems)
			*problems =
			    g_strdup_printf("cannot read checklist '%s': larger than %d bytes\n",
					    path, CHECKLIST_MAX_BYTES);
		g_free(text);
		return -EFBIG;
	}
	rc = checklist_parse(text, len, path, out, problems);
	g_free(text);
	return rc;
}

const struct checklist_item *checklist_find(const struct checklist *cl, const char *id)
{
	for (size_t i = 0; id && i < cl->n_items; i++) {
		if (strcmp(cl->items[i].id, id) == 0)
			return &cl->items[i];
	}
	return NULL;
}

bool checklist_applies(const struct checklist_item *item, const char *category)
{
	if (!category || !item->categories)
		return true;
	return g_strv_contains((const char *const *)item->categories, category);
}

int checklist_evaluate(const struct checklist *cl, const char *category,
		       const struct checklist_answer *answers, size_t n,
		       struct checklist_outcome *out, char *err, size_t errlen)
{
	const struct checklist_answer **by_item =
	    g_new0(const struct checklist_answer *, cl->n_items);
	int rc = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct checklist_item *it = checklist_find(cl, answers[i].item);
		size_t k = it ? (size_t)(it - cl->items) : 0;

		if (!it) {
			snprintf(err, errlen, "answers[%zu]: item '%.40s' is not in checklist %s",
				 i, answers[i].item ? answers[i].item : "", cl->id);
			rc = -EINVAL;
		} else if (by_item[k]) {
			snprintf(err, errlen, "answers[%zu]: item '%s' answered twice", i, it->id);
			rc = -EINVAL;
		} else if (answers[i].reply != CHECKLIST_YES && answers[i].reply != CHECKLIST_NO &&
			   answers[i].reply != CHECKLIST_NA) {
			snprintf(err, errlen, "answers[%zu]: not yes, no or na", i);
			rc = -EINVAL;
		} else {
			by_item[k] = &answers[i];
		}
	}
	for (size_t k = 0; k < cl->n_items && rc == 0; k++) {
		const struct checklist_item *it = &cl->items[k];

		if (!checklist_applies(it, category)) {
			out->skipped++;
			continue;
		}
		if (!by_item[k]) {
			snprintf(err, errlen, "item '%s' is not answered (na if it does not apply)",
				 it->id);
			rc = -EINVAL;
			break;
		}
		switch (by_item[k]->reply) {
		case CHECKLIST_YES:
			out->passed++;
			break;
		case CHECKLIST_NA:
			out->not_applicable++;
			break;
		case CHECKLIST_NO:
			if (it->key)
				out->key_failed++;
			else
				out->general_failed++;
			break;
		}
	}
	g_free(by_item);
	if (rc < 0)
		return rc;
	if (out->key_failed == 0 && out->general_failed == 0)
		out->result = CHECKLIST_COMPLIANT;
	else if (out->key_failed == 0 && out->general_failed <= cl->max_general_failures)
		out->result = CHECKLIST_BASICALLY_COMPLIANT;
	else
		out->result = CHECKLIST_NON_COMPLIANT;
	return 0;
}

int checklist_evaluate_json(const struct checklist *cl, const char *category, const cJSON *answers,
			    struct checklist_outcome *out, char *err, size_t errlen)
{
	int n = cJSON_GetArraySize(answers), i = 0, rc;
	struct checklist_answer *a;
	const cJSON *o;

	if (!cJSON_IsArray(answers)) {
		snprintf(err, errlen, "answers: not an array");
		return -EINVAL;
	}
	a = g_new0(struct checklist_answer, n ? n : 1);
	cJSON_ArrayForEach (o, answers) {
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, "item");
		const cJSON *reply = cJSON_GetObjectItemCaseSensitive(o, "answer");
		int r = -1;

		for (int k = 0; cJSON_IsString(reply) && checklist_reply_names[k]; k++) {
			if (strcmp(reply->valuestring, checklist_reply_names[k]) == 0)
				r = k;
		}
		if (!cJSON_IsString(item) || r < 0) {
			snprintf(err, errlen, "answers[%d]: needs a string item and yes, no or na",
				 i);
			g_free(a);
			return -EINVAL;
		}
		a[i].item = item->valuestring;
		a[i++].reply = (enum checklist_reply)r;
	}
	rc = checklist_evaluate(cl, category, a, (size_t)i, out, err, errlen);
	g_free(a);
	return rc;
}
