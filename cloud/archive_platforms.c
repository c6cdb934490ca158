/*
 * archive_platforms.c — delivery platforms' shop listings cross-checked
 * against the registry (以网管网; archive.h, "delivery platforms").
 *
 * Invariants:
 *  - a platform's shops are what its last import listed (listed = 1); a
 *    shop missing from a later import stays, listed = 0, so its history
 *    and findings remain;
 *  - at most one open finding per (platform, shop, kind) (unique partial
 *    index); a check computes the whole set of findings a platform has now
 *    and moves the stored set to it: new ones open, vanished ones close,
 *    evidence follows; nothing else is written, so repeating an import
 *    or a check changes nothing;
 *  - shops are compared within their platform only.
 *
 * Costs: a check reads the platform's listed shops once, looks each
 * licence up once (one indexed query, and one coverage probe: a few
 * indexed queries), and groups licences and addresses in hash tables.
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "address.h"
#include "clock.h"
#include "csv.h"
#include "listing.h"
#include "log.h"
#include "message.h"
#include "scope.h"

/* Shops named in one finding's evidence, and dishes in one. */
#define EVIDENCE_MAX_ITEMS 10

const char archive_platforms_schema[] =
    "ALTER TABLE establishments ADD COLUMN scope TEXT;"
    "CREATE TABLE platform_shops(platform TEXT NOT NULL, shop_id TEXT NOT NULL,"
    " name TEXT NOT NULL, licence TEXT, address TEXT NOT NULL, address_norm TEXT NOT NULL,"
    " dishes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(dishes)),"
    " status TEXT NOT NULL CHECK (status IN ('open', 'closed', 'offline')),"
    " listed INTEGER NOT NULL DEFAULT 1, first_seen TEXT NOT NULL, updated TEXT NOT NULL,"
    " PRIMARY KEY(platform, shop_id)) WITHOUT ROWID;"
    "CREATE INDEX platform_shops_by_licence ON platform_shops(licence);"
    "CREATE TABLE platform_imports(platform TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " shops INTEGER NOT NULL, imported_at TEXT NOT NULL, imported_by TEXT,"
    " PRIMARY KEY(platform, sha256)) WITHOUT ROWID;"
    "CREATE TABLE platform_findings(id INTEGER PRIMARY KEY, platform TEXT NOT NULL,"
    " shop_id TEXT NOT NULL, kind TEXT NOT NULL, licence TEXT, evidence TEXT NOT NULL,"
    " opened_at TEXT NOT NULL, updated TEXT NOT NULL, closed_at TEXT, closed_why TEXT,"
    " notice_at TEXT, notice_by TEXT, task_id TEXT);"
    "CREATE UNIQUE INDEX platform_findings_open ON platform_findings(platform, shop_id, kind)"
    " WHERE closed_at IS NULL;"
    "CREATE INDEX platform_findings_by_shop ON platform_findings(platform, shop_id);";

const char *const platform_finding_kinds[] = {
	"no_licence",	    "licence_unknown",	"licence_expired",   "licence_shared",
	"address_shared",   "address_mismatch", "dish_out_of_scope", "not_covered",
	NULL,
};

static const char *const finding_labels[] = {
	"未公示许可证",	  "许可证不在登记库", "许可证已过期",		"一证多店",
	"一址多店",	  "取餐地址与许可地址不符", "超出许可经营项目", "后厨未有效接入明厨亮灶",
};

G_STATIC_ASSERT(G_N_ELEMENTS(finding_labels) == G_N_ELEMENTS(platform_finding_kinds) - 1);

static int kind_index(const char *kind)
{
	for (int i = 0; kind && platform_finding_kinds[i]; i++) {
		if (!strcmp(kind, platform_finding_kinds[i]))
			return i;
	}
	return -1;
}

const char *platform_finding_label(const char *kind)
{
	int i = kind_index(kind);

	return i < 0 ? NULL : finding_labels[i];
}

/* --- importing shops ------------------------------------------------------ */

static char *dishes_json(const GPtrArray *dishes)
{
	cJSON *j = cJSON_CreateArray();
	char *text, *out;

	for (guint i = 0; i < dishes->len; i++)
		cJSON_AddItemToArray(j, cJSON_CreateString(g_ptr_array_index(dishes, i)));
	text = cJSON_PrintUnformatted(j);
	out = g_strdup(text);
	cJSON_free(text);
	cJSON_Delete(j);
	return out;
}

static void count_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1 && v[0].type == VALUE_INT)
		*(int64_t *)ctx = v[0].i;
}

static void strings_row(void *ctx, int ncols, const char *const *names,
			const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1 && value_text(&v[0]))
		g_ptr_array_add(ctx, g_strdup(v[0].text));
}

/* The shops of one platform in the file: upsert each, then mark the
 * platform's other listed shops as no longer listed. */
static int import_platform(struct archive *a, const char *platform, const GPtrArray *shops,
			   const char *sha256, const char *by, const char *now,
			   struct platform_run *run)
{
	static const char upsert[] =
	    "INSERT INTO platform_shops AS s(platform, shop_id, name, licence, address, address_norm,"
	    " dishes, status, listed, first_seen, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9)"
	    " ON CONFLICT(platform, shop_id) DO UPDATE SET name = excluded.name,"
	    " licence = excluded.licence, address = excluded.address,"
	    " address_norm = excluded.address_norm, dishes = excluded.dishes,"
	    " status = excluded.status, listed = 1, updated = excluded.updated"
	    " WHERE s.name IS NOT excluded.name OR s.licence IS NOT excluded.licence"
	    " OR s.address IS NOT excluded.address OR s.dishes IS NOT excluded.dishes"
	    " OR s.status IS NOT excluded.status OR s.listed = 0";
	GHashTable *in_file = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *before = g_ptr_array_new_with_free_func(g_free);
	struct archive_value p[9];
	int64_t count0 = 0, count1 = 0;
	int rc, changes = 0, shops_here = 0;

	p[0] = text_value(platform);
	rc = archive_query(a, "SELECT count(*) FROM platform_shops WHERE platform = ?1", p, 1,
			   count_row, &count0);
	if (!rc)
		rc = archive_query(a,
				   "SELECT shop_id FROM platform_shops WHERE platform = ?1"
				   " AND listed = 1",
				   p, 1, strings_row, before);
	for (guint i = 0; !rc && i < shops->len; i++) {
		const struct listing_shop *s = g_ptr_array_index(shops, i);
		char *norm, *dishes;
		int64_t changed = 0;

		if (strcmp(s->platform, platform) != 0)
			continue;
		shops_here++;
		g_hash_table_add(in_file, s->shop_id);
		norm = address_normalise(s->address);
		dishes = dishes_json(s->dishes);
		p[1] = text_value(s->shop_id);
		p[2] = text_value(s->name);
		p[3] = text_value(s->licence);
		p[4] = text_value(s->address);
		p[5] = text_value(norm);
		p[6] = text_value(dishes);
		p[7] = text_value(s->status);
		p[8] = text_value(now);
		rc = archive_query(a, upsert, p, 9, NULL, NULL);
		if (!rc)
			rc = archive_changes(a, &changed);
		changes += (int)changed;
		g_free(norm);
		g_free(dishes);
	}
	for (guint i = 0; !rc && i < before->len; i++) {
		const char *id = g_ptr_array_index(before, i);

		if (g_hash_table_contains(in_file, id))
			continue;
		p[1] = text_value(id);
		p[2] = text_value(now);
		rc = archive_query(a,
				   "UPDATE platform_shops SET listed = 0, updated = ?3"
				   " WHERE platform = ?1 AND shop_id = ?2",
				   p, 3, NULL, NULL);
		run->delisted++;
	}
	if (!rc)
		rc = archive_query(a, "SELECT count(*) FROM platform_shops WHERE platform = ?1", p,
				   1, count_row, &count1);
	if (!rc) {
		int64_t logged = 0;

		run->added += (int)(count1 - count0);
		run->changed += changes - (int)(count1 - count0);
		run->shops += shops_here;
		p[1] = text_value(sha256);
		p[2] = int_value(shops_here);
		p[3] = text_value(now);
		p[4] = text_value(by);
		rc = archive_query(a,
				   "INSERT OR IGNORE INTO platform_imports(platform, sha256, shops,"
				   " imported_at, imported_by) VALUES (?1, ?2, ?3, ?4, ?5)",
				   p, 5, NULL, NULL);
		if (!rc)
			rc = archive_changes(a, &logged);
		if (!rc && logged)
			run->seen_before = false;
	}
	g_hash_table_destroy(in_file);
	g_ptr_array_free(before, TRUE);
	return rc;
}

int archive_platform_import(struct archive *a, const GPtrArray *shops, const char *sha256,
			    const char *by, const struct platform_check_config *cfg,
			    int64_t now_ms, struct platform_run *run)
{
	GPtrArray *platforms = g_ptr_array_new();
	char now[CLOCK_TS_LEN];
	int rc;

	memset(run, 0, sizeof *run);
	if (!shops || !shops->len || !sha256) {
		g_ptr_array_free(platforms, TRUE);
		return -EINVAL;
	}
	for (guint i = 0; i < shops->len; i++) {
		const struct listing_shop *s = g_ptr_array_index(shops, i);
		bool known = false;

		for (guint j = 0; j < platforms->len && !known; j++)
			known = !strcmp(g_ptr_array_index(platforms, j), s->platform);
		if (!known)
			g_ptr_array_add(platforms, s->platform);
	}
	run->platforms = (int)platforms->len;
	run->seen_before = true; /* until one platform's part is new to the log */
	clock_format_ms(now_ms, now);
	rc = archive_savepoint(a, "platform_import");
	if (rc)
		goto out;
	for (guint j = 0; !rc && j < platforms->len; j++)
		rc = import_platform(a, g_ptr_array_index(platforms, j), shops, sha256, by, now,
				     run);
	for (guint j = 0; !rc && j < platforms->len; j++)
		rc = archive_platform_check(a, g_ptr_array_index(platforms, j), cfg, now_ms, run);
	rc = archive_savepoint_end(a, "platform_import", rc);
out:
	g_ptr_array_free(platforms, TRUE);
	return rc;
}

int archive_platform_import_text(struct archive *a, const char *text, size_t len, const char *by,
				 const struct platform_check_config *cfg, int64_t now_ms,
				 struct platform_run *run, GString *errors)
{
	int problems = 0, rc;
	GPtrArray *shops = listing_parse(text, len, errors, &problems);
	char *sha256;

	memset(run, 0, sizeof *run);
	if (problems || !shops || !shops->len) {
		if (!problems)
			g_string_append(errors, "1:-: no shops in the file\n");
		if (shops)
			g_ptr_array_free(shops, TRUE);
		return -EINVAL;
	}
	sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
	rc = archive_platform_import(a, shops, sha256, by, cfg, now_ms, run);
	g_free(sha256);
	g_ptr_array_free(shops, TRUE);
	return rc;
}

/* --- checking ----------------------------------------------------------------- */

struct shop {
	char *shop_id, *name, *licence, *address, *address_norm, *dishes;
};

static void shop_free(gpointer p)
{
	struct shop *s = p;

	g_free(s->shop_id);
	g_free(s->name);
	g_free(s->licence);
	g_free(s->address);
	g_free(s->address_norm);
	g_free(s->dishes);
	g_free(s);
}

static void shop_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct shop *s = g_new0(struct shop, 1);

	(void)names;
	if (ncols < 6) {
		g_free(s);
		return;
	}
	s->shop_id = g_strdup(value_text(&v[0]));
	s->name = g_strdup(value_text(&v[1]));
	s->licence = g_strdup(value_text(&v[2]));
	s->address = g_strdup(value_text(&v[3]));
	s->address_norm = g_strdup(value_text(&v[4]));
	s->dishes = g_strdup(value_text(&v[5]));
	g_ptr_array_add(ctx, s);
}

/* An establishment as the checks need it, looked up once per licence. */
struct licensed {
	bool found;
	char *address, *expires, *scope;
	bool covered_checked, effective;
	double covered_pct;
	bool installed;
};

static void licensed_free(gpointer p)
{
	struct licensed *l = p;

	g_free(l->address);
	g_free(l->expires);
	g_free(l->scope);
	g_free(l);
}

static void licensed_row(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct licensed *l = ctx;

	(void)names;
	if (ncols < 4)
		return;
	l->found = true;
	l->address = g_strdup(value_text(&v[0]));
	l->expires = g_strdup(value_text(&v[1]));
	l->scope = g_strdup(value_text(&v[2]));
	l->installed = v[3].type == VALUE_INT && v[3].i > 0;
}

struct check {
	struct archive *a;
	const char *platform;
	const struct platform_check_config *cfg;
	const struct scope_config *scope;
	int64_t now_ms;
	char today[DATE_LEN];
	GHashTable *licences; /* licence → struct licensed */
	GHashTable *found;    /* "shop_id\x1fkind" → struct found */
};

struct found {
	char *shop_id, *kind, *licence, *evidence;
};

static void found_free(gpointer p)
{
	struct found *f = p;

	g_free(f->shop_id);
	g_free(f->kind);
	g_free(f->licence);
	g_free(f->evidence);
	g_free(f);
}

static void add_finding(struct check *c, const struct shop *s, const char *kind, char *evidence)
{
	struct found *f = g_new0(struct found, 1);

	f->shop_id = g_strdup(s->shop_id);
	f->kind = g_strdup(kind);
	f->licence = g_strdup(s->licence);
	f->evidence = evidence;
	g_hash_table_replace(c->found, g_strdup_printf("%s\x1f%s", s->shop_id, kind), f);
}

static int lookup_licence(struct check *c, const char *licence, struct licensed **out)
{
	struct licensed *l = g_hash_table_lookup(c->licences, licence);
	int rc;

	if (l) {
		*out = l;
		return 0;
	}
	l = g_new0(struct licensed, 1);
	rc = archive_query(c->a,
			   "SELECT address, licence_expires, scope, (SELECT count(*) FROM"
			   " registry_boxes b WHERE b.licence = e.licence) FROM establishments e"
			   " WHERE licence = ?1",
			   &(struct archive_value){ .type = VALUE_TEXT, .text = licence }, 1,
			   licensed_row, l);
	if (!rc && l->found) {
		rc = archive_covered(c->a, licence, c->now_ms, c->cfg->coverage, &l->effective,
				     &l->covered_pct);
		l->covered_checked = rc == 0;
	}
	if (rc) {
		licensed_free(l);
		return rc;
	}
	g_hash_table_insert(c->licences, g_strdup(licence), l);
	*out = l;
	return 0;
}

/* Dishes recognised as scope items the licence lacks, as evidence; NULL
 * when none (or the scope is not known). */
static char *dishes_out_of_scope(const struct check *c, const struct shop *s,
				 const struct licensed *l)
{
	cJSON *dishes = cJSON_Parse(s->dishes), *d;
	GString *list = g_string_new("");
	GString *scope_names = g_string_new("");
	int n = 0;
	char **ids, *evidence;

	if (!l->scope || !*l->scope || !cJSON_IsArray(dishes))
		goto out;
	cJSON_ArrayForEach (d, dishes) {
		const char *keyword = NULL, *item;

		if (!cJSON_IsString(d))
			continue;
		item = scope_classify(c->scope, d->valuestring, &keyword);
		if (!item || scope_has(l->scope, item))
			continue;
		if (n++ < EVIDENCE_MAX_ITEMS)
			g_string_append_printf(list, "%s'%s' (%s: %s)", list->len ? ", " : "",
					       d->valuestring, scope_item_name(item), keyword);
	}
out:
	cJSON_Delete(dishes);
	if (!n) {
		g_string_free(list, TRUE);
		g_string_free(scope_names, TRUE);
		return NULL;
	}
	ids = g_strsplit(l->scope, " ", -1);
	for (char **i = ids; *i; i++)
		g_string_append_printf(scope_names, "%s%s", i == ids ? "" : "、",
				       scope_item_name(*i) ? scope_item_name(*i) : *i);
	g_strfreev(ids);
	if (n > EVIDENCE_MAX_ITEMS)
		g_string_append_printf(list, " and %d more", n - EVIDENCE_MAX_ITEMS);
	evidence = g_strdup_printf("%d dish%s outside the licensed scope (%s): %s", n,
				   n == 1 ? "" : "es", scope_names->str, list->str);
	g_string_free(list, TRUE);
	g_string_free(scope_names, TRUE);
	return evidence;
}

/* The findings of one shop that only need its own listing and licence. */
static int check_shop(struct check *c, const struct shop *s)
{
	struct licensed *l;
	char *out_of_scope;
	int rc;

	if (!s->licence) {
		add_finding(c, s, "no_licence", g_strdup("no licence shown on the shop's page"));
		return 0;
	}
	rc = lookup_licence(c, s->licence, &l);
	if (rc)
		return rc;
	if (!l->found) {
		add_finding(c, s, "licence_unknown",
			    g_strdup_printf("licence '%s' is not in the registry", s->licence));
		return 0;
	}
	if (l->expires && strcmp(l->expires, c->today) < 0)
		add_finding(c, s, "licence_expired",
			    g_strdup_printf("licence '%s' expired on %s", s->licence, l->expires));
	if (!address_same(s->address, l->address)) {
		char *norm = address_normalise(l->address);

		add_finding(c, s, "address_mismatch",
			    g_strdup_printf("pickup address '%s' (compared as '%s') is not the "
					    "licensed address '%s' ('%s')",
					    s->address, s->address_norm, l->address, norm));
		g_free(norm);
	}
	out_of_scope = dishes_out_of_scope(c, s, l);
	if (out_of_scope)
		add_finding(c, s, "dish_out_of_scope", out_of_scope);
	if (!l->effective) {
		if (!l->installed)
			add_finding(c, s, "not_covered",
				    g_strdup_printf("no 明厨亮灶 box is installed in the kitchen "
						    "of licence '%s'",
						    s->licence));
		else
			add_finding(c, s, "not_covered",
				    g_strdup_printf("the kitchen's video covered %.0f%% of its "
						    "business hours over the last 30 days "
						    "(%.0f%% needed)",
						    l->covered_pct, c->cfg->coverage * 100));
	}
	return 0;
}

/* Several shops sharing one key (a licence, an address): a finding of
 * kind for each, naming the others. */
static void check_shared(struct check *c, GPtrArray *shops, bool by_licence)
{
	GHashTable *groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						   (GDestroyNotify)g_ptr_array_unref);
	GHashTableIter it;
	gpointer key, value;

	for (guint i = 0; i < shops->len; i++) {
		struct shop *s = g_ptr_array_index(shops, i);
		const char *k = by_licence ? s->licence : s->address_norm;
		GPtrArray *g;

		if (!k || !*k)
			continue;
		g = g_hash_table_lookup(groups, k);
		if (!g) {
			g = g_ptr_array_new();
			g_hash_table_insert(groups, (gpointer)k, g);
		}
		g_ptr_array_add(g, s);
	}
	g_hash_table_iter_init(&it, groups);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		GPtrArray *g = value;

		if (g->len < 2)
			continue;
		for (guint i = 0; i < g->len; i++) {
			const struct shop *s = g_ptr_array_index(g, i);
			GString *ev = g_string_new("");
			int named = 0;

			if (by_licence)
				g_string_printf(ev, "licence '%s' is shown by %u shops:",
						s->licence, g->len);
			else
				g_string_printf(ev, "%u shops at pickup address '%s':", g->len,
						s->address);
			for (guint j = 0; j < g->len; j++) {
				const struct shop *o = g_ptr_array_index(g, j);

				if (o == s)
					continue;
				if (named++ == EVIDENCE_MAX_ITEMS) {
					g_string_append_printf(ev, " and %u more",
							       g->len - 1 - EVIDENCE_MAX_ITEMS);
					break;
				}
				g_string_append_printf(ev, "%s %s '%s'", named > 1 ? "," : "",
						       o->shop_id, o->name);
				if (!by_licence)
					g_string_append_printf(ev, " (licence %s)",
							       o->licence ? o->licence : "none");
			}
			add_finding(c, s, by_licence ? "licence_shared" : "address_shared",
				    g_string_free(ev, FALSE));
		}
	}
	g_hash_table_destroy(groups);
}

struct stored {
	int64_t id;
	char *evidence, *listed_status; /* the shop's state now: listed 0/1, status */
};

static void stored_free(gpointer p)
{
	struct stored *s = p;

	g_free(s->evidence);
	g_free(s->listed_status);
	g_free(s);
}

static void stored_row(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	struct stored *s;

	(void)names;
	if (ncols < 5 || v[0].type != VALUE_INT)
		return;
	s = g_new0(struct stored, 1);
	s->id = v[0].i;
	s->evidence = g_strdup(value_text(&v[3]));
	s->listed_status = g_strdup(value_text(&v[4]));
	g_hash_table_insert(ctx, g_strdup_printf("%s\x1f%s", value_text(&v[1]), value_text(&v[2])),
			    s);
}

/* Move the stored open findings of the platform to c->found. */
static int reconcile(struct check *c, struct platform_run *run)
{
	GHashTable *open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stored_free);
	char now[CLOCK_TS_LEN];
	struct archive_value p[7];
	GHashTableIter it;
	gpointer key, value;
	int rc;

	clock_format_ms(c->now_ms, now);
	p[0] = text_value(c->platform);
	rc = archive_query(c->a,
			   "SELECT f.id, f.shop_id, f.kind, f.evidence,"
			   " CASE WHEN s.listed = 0 OR s.listed IS NULL THEN 'delisted'"
			   " ELSE s.status END FROM platform_findings f LEFT JOIN platform_shops s"
			   " ON s.platform = f.platform AND s.shop_id = f.shop_id"
			   " WHERE f.platform = ?1 AND f.closed_at IS NULL",
			   p, 1, stored_row, open);
	g_hash_table_iter_init(&it, c->found);
	while (!rc && g_hash_table_iter_next(&it, &key, &value)) {
		const struct found *f = value;
		const struct stored *s = g_hash_table_lookup(open, key);

		if (s && !strcmp(s->evidence, f->evidence))
			continue;
		if (s) {
			p[0] = int_value(s->id);
			p[1] = text_value(f->evidence);
			p[2] = text_value(now);
			p[3] = text_value(f->licence);
			rc = archive_query(c->a,
					   "UPDATE platform_findings SET evidence = ?2, updated = ?3,"
					   " licence = ?4 WHERE id = ?1",
					   p, 4, NULL, NULL);
			run->updated++;
			continue;
		}
		p[0] = text_value(c->platform);
		p[1] = text_value(f->shop_id);
		p[2] = text_value(f->kind);
		p[3] = text_value(f->licence);
		p[4] = text_value(f->evidence);
		p[5] = text_value(now);
		rc = archive_query(c->a,
				   "INSERT INTO platform_findings(platform, shop_id, kind, licence,"
				   " evidence, opened_at, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
				   p, 6, NULL, NULL);
		run->opened++;
	}
	g_hash_table_iter_init(&it, open);
	while (!rc && g_hash_table_iter_next(&it, &key, &value)) {
		const struct stored *s = value;
		const char *why = !strcmp(s->listed_status, "delisted") ? "shop no longer listed"
				  : !strcmp(s->listed_status, "offline") ? "shop offline"
									  : "no longer found";

		if (g_hash_table_contains(c->found, key))
			continue;
		p[0] = int_value(s->id);
		p[1] = text_value(now);
		p[2] = text_value(why);
		rc = archive_query(c->a,
				   "UPDATE platform_findings SET closed_at = ?2, updated = ?2,"
				   " closed_why = ?3 WHERE id = ?1",
				   p, 3, NULL, NULL);
		run->closed++;
	}
	g_hash_table_destroy(open);
	return rc;
}

static int check_platform(struct archive *a, const char *platform,
			  const struct platform_check_config *cfg, int64_t now_ms,
			  struct platform_run *run)
{
	struct check c = {
		.a = a,
		.platform = platform,
		.cfg = cfg,
		.now_ms = now_ms,
		.licences = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, licensed_free),
		.found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, found_free),
	};
	struct scope_config *own_scope = cfg->scope ? NULL : scope_config_default();
	GPtrArray *shops = g_ptr_array_new_with_free_func(shop_free);
	int64_t open = 0;
	int rc;

	c.scope = cfg->scope ? cfg->scope : own_scope;
	archive_day_text(archive_local_day(now_ms), c.today);
	rc = archive_query(a,
			   "SELECT shop_id, name, licence, address, address_norm, dishes"
			   " FROM platform_shops WHERE platform = ?1 AND listed = 1"
			   " AND status != 'offline' ORDER BY shop_id",
			   &(struct archive_value){ .type = VALUE_TEXT, .text = platform }, 1,
			   shop_row, shops);
	for (guint i = 0; !rc && i < shops->len; i++)
		rc = check_shop(&c, g_ptr_array_index(shops, i));
	if (!rc) {
		check_shared(&c, shops, true);
		check_shared(&c, shops, false);
		rc = reconcile(&c, run);
	}
	if (!rc)
		rc = archive_query(a,
				   "SELECT count(*) FROM platform_findings WHERE platform = ?1"
				   " AND closed_at IS NULL",
				   &(struct archive_value){ .type = VALUE_TEXT, .text = platform },
				   1, count_row, &open);
	run->open += (int)open;
	g_ptr_array_free(shops, TRUE);
	g_hash_table_destroy(c.licences);
	g_hash_table_destroy(c.found);
	scope_config_free(own_scope);
	return rc;
}

int archive_platform_check(struct archive *a, const char *platform,
			   const struct platform_check_config *cfg, int64_t now_ms,
			   struct platform_run *run)
{
	GPtrArray *platforms = g_ptr_array_new_with_free_func(g_free);
	int rc;

	if (platform)
		g_ptr_array_add(platforms, g_strdup(platform));
	else if ((rc = archive_query(a, "SELECT DISTINCT platform FROM platform_shops ORDER BY 1",
				     NULL, 0, strings_row, platforms)))
		goto out;
	rc = archive_savepoint(a, "platform_check");
	for (guint i = 0; !rc && i < platforms->len; i++)
		rc = check_platform(a, g_ptr_array_index(platforms, i), cfg, now_ms, run);
	rc = archive_savepoint_end(a, "platform_check", rc);
out:
	g_ptr_array_free(platforms, TRUE);
	return rc;
}

/* --- reading ------------------------------------------------------------------ */

/* SQL giving f.kind's Chinese label (g_free): the labels live in C, once. */
static char *label_sql(void)
{
	GString *sql = g_string_new("CASE f.kind");

	for (int i = 0; platform_finding_kinds[i]; i++)
		g_string_append_printf(sql, " WHEN '%s' THEN '%s'", platform_finding_kinds[i],
				       finding_labels[i]);
	g_string_append(sql, " END");
	return g_string_free(sql, FALSE);
}

int archive_platform_findings(struct archive *a, const struct finding_query *q, archive_row_fn fn,
			      void *ctx)
{
	const char *state = q->state ? q->state : "open";
	struct archive_value p[] = {
		text_value(q->platform), text_value(q->kind),	 text_value(q->licence),
		text_value(state),	 int_value(q->limit > 0 ? q->limit : 100),
	};
	char *labels, *sql;
	int rc;

	if (strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "all"))
		return -EINVAL;
	if (q->kind && kind_index(q->kind) < 0)
		return -EINVAL;
	labels = label_sql();
	sql = g_strdup_printf(
	    "SELECT f.id, f.platform, f.shop_id, s.name AS shop_name, f.licence, f.kind,"
	    " %s AS label, f.evidence, f.opened_at, f.closed_at, f.closed_why, f.notice_at,"
	    " f.task_id, t.state AS task_state FROM platform_findings f"
	    " LEFT JOIN platform_shops s ON s.platform = f.platform AND s.shop_id = f.shop_id"
	    " LEFT JOIN tasks t ON t.task_id = f.task_id"
	    " WHERE (?1 IS NULL OR f.platform = ?1) AND (?2 IS NULL OR f.kind = ?2)"
	    " AND (?3 IS NULL OR f.licence = ?3) AND (?4 = 'all' OR (?4 = 'open') ="
	    " (f.closed_at IS NULL)) ORDER BY f.opened_at DESC, f.id DESC LIMIT ?5",
	    labels);
	rc = archive_query(a, sql, p, G_N_ELEMENTS(p), fn, ctx);
	g_free(sql);
	g_free(labels);
	return rc;
}

int archive_platform_shops(struct archive *a, const char *platform, archive_row_fn fn, void *ctx)
{
	return archive_query(
	    a,
	    "SELECT s.platform, s.shop_id, s.name, s.licence, s.address, s.status, s.listed,"
	    " json_array_length(s.dishes) AS dishes, (SELECT count(*) FROM platform_findings f"
	    " WHERE f.platform = s.platform AND f.shop_id = s.shop_id AND f.closed_at IS NULL)"
	    " AS open_findings, s.first_seen, s.updated FROM platform_shops s"
	    " WHERE ?1 IS NULL OR s.platform = ?1 ORDER BY s.platform, s.shop_id",
	    &(struct archive_value){ .type = platform ? VALUE_TEXT : VALUE_NULL, .text = platform },
	    1, fn, ctx);
}

/* Figures of one (platform, kind) cell of the statistics. */
struct cell {
	int64_t shops_listed, shops_with_open, open, closed, on_notice, with_task;
	char *last_import;
};

struct stats {
	GPtrArray *platforms; /* names, in order */
	GHashTable *cells;    /* "platform\x1fkind" → struct cell */
};

static void cell_free(gpointer p)
{
	struct cell *c = p;

	g_free(c->last_import);
	g_free(c);
}

static struct cell *cell_of(struct stats *st, const char *platform, const char *kind)
{
	char *key = g_strdup_printf("%s\x1f%s", platform, kind);
	struct cell *c = g_hash_table_lookup(st->cells, key);

	if (!c) {
		c = g_new0(struct cell, 1);
		g_hash_table_insert(st->cells, key, c);
	} else {
		g_free(key);
	}
	return c;
}

static int64_t int_at(const struct archive_value *v)
{
	return v->type == VALUE_INT ? v->i : 0;
}

static void stats_platform_row(void *ctx, int ncols, const char *const *names,
			       const struct archive_value *v)
{
	struct stats *st = ctx;
	struct cell *c;

	(void)names;
	if (ncols < 4 || !value_text(&v[0]))
		return;
	g_ptr_array_add(st->platforms, g_strdup(v[0].text));
	c = cell_of(st, v[0].text, "all");
	c->shops_listed = int_at(&v[1]);
	c->shops_with_open = int_at(&v[2]);
	c->last_import = g_strdup(value_text(&v[3]));
}

static void stats_kind_row(void *ctx, int ncols, const char *const *names,
			   const struct archive_value *v)
{
	struct stats *st = ctx;
	const char *platform = value_text(&v[0]), *kind = value_text(&v[1]);

	(void)names;
	if (ncols < 7 || !platform || !kind)
		return;
	/* each figure adds to its kind's cell, the platform's "all" and the totals' */
	const char *keys[][2] = { { platform, kind }, { platform, "all" },
				  { "all", kind },    { "all", "all" } };
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		struct cell *c = cell_of(st, keys[i][0], keys[i][1]);

		c->open += int_at(&v[3]);
		c->closed += int_at(&v[4]);
		c->on_notice += int_at(&v[5]);
		c->with_task += int_at(&v[6]);
		if (strcmp(keys[i][1], "all") != 0)
			c->shops_with_open += int_at(&v[2]);
	}
}

static void emit_cell(struct stats *st, const char *platform, const char *kind, archive_row_fn fn,
		      void *ctx)
{
	static const char *const names[] = { "platform",	"kind",	  "label",
					     "shops_listed",	"shops_with_open",
					     "open",		"closed", "on_notice",
					     "with_task",	"last_import" };
	struct cell *c = cell_of(st, platform, kind);
	bool all = !strcmp(kind, "all");
	struct archive_value v[] = {
		text_value(platform),
		text_value(kind),
		text_value(all ? "合计" : platform_finding_label(kind)),
		all ? int_value(c->shops_listed) : (struct archive_value){ .type = VALUE_NULL },
		int_value(c->shops_with_open),
		int_value(c->open),
		int_value(c->closed),
		int_value(c->on_notice),
		int_value(c->with_task),
		text_value(c->last_import),
	};

	fn(ctx, G_N_ELEMENTS(v), names, v);
}

int archive_platform_stats(struct archive *a, archive_row_fn fn, void *ctx)
{
	struct stats st = {
		.platforms = g_ptr_array_new_with_free_func(g_free),
		.cells = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cell_free),
	};
	int rc = archive_query(
	    a,
	    "SELECT s.platform, sum(s.listed), (SELECT count(DISTINCT f.shop_id) FROM"
	    " platform_findings f WHERE f.platform = s.platform AND f.closed_at IS NULL),"
	    " (SELECT max(imported_at) FROM platform_imports i WHERE i.platform = s.platform)"
	    " FROM platform_shops s GROUP BY s.platform ORDER BY s.platform",
	    NULL, 0, stats_platform_row, &st);

	if (!rc)
		rc = archive_query(
		    a,
		    "SELECT platform, kind, count(DISTINCT shop_id) FILTER (WHERE closed_at IS NULL),"
		    " sum(closed_at IS NULL), sum(closed_at IS NOT NULL),"
		    " sum(closed_at IS NULL AND notice_at IS NOT NULL),"
		    " sum(closed_at IS NULL AND task_id IS NOT NULL)"
		    " FROM platform_findings GROUP BY platform, kind",
		    NULL, 0, stats_kind_row, &st);
	if (!rc) {
		struct cell *total = cell_of(&st, "all", "all");

		/* the totals' shop counts add the platforms' */
		total->shops_listed = total->shops_with_open = 0;
		for (guint i = 0; i < st.platforms->len; i++) {
			struct cell *c = cell_of(&st, g_ptr_array_index(st.platforms, i), "all");

			total->shops_listed += c->shops_listed;
			total->shops_with_open += c->shops_with_open;
		}
		g_ptr_array_add(st.platforms, g_strdup("all"));
		for (guint i = 0; i < st.platforms->len; i++) {
			const char *platform = g_ptr_array_index(st.platforms, i);

			for (int k = 0; platform_finding_kinds[k]; k++)
				emit_cell(&st, platform, platform_finding_kinds[k], fn, ctx);
			emit_cell(&st, platform, "all", fn, ctx);
		}
	}
	g_ptr_array_free(st.platforms, TRUE);
	g_hash_table_destroy(st.cells);
	return rc;
}

/* --- acting on findings ------------------------------------------------------- */

int archive_platform_notice_add(struct archive *a, int64_t id, const char *platform,
				const char *kind, const char *by, int64_t now_ms, int *count)
{
	char now[CLOCK_TS_LEN];
	struct archive_value p[5];
	int64_t n = 0, exists = 0;
	int rc;

	if (count)
		*count = 0;
	if (!archive_good_text(by, 128, false) || (kind && kind_index(kind) < 0) ||
	    (id <= 0 && !platform))
		return -EINVAL;
	clock_format_ms(now_ms, now);
	p[0] = int_value(id);
	p[1] = text_value(platform);
	p[2] = text_value(kind);
	p[3] = text_value(now);
	p[4] = text_value(by);
	rc = archive_savepoint(a, "platform_notice");
	if (!rc && id > 0)
		rc = archive_query(a,
				   "SELECT count(*) FROM platform_findings WHERE id = ?1"
				   " AND closed_at IS NULL",
				   p, 1, count_row, &exists);
	if (!rc && id > 0 && !exists)
		rc = -ENOENT;
	if (!rc)
		rc = archive_query(a,
				   "UPDATE platform_findings SET notice_at = ?4, notice_by = ?5"
				   " WHERE closed_at IS NULL AND notice_at IS NULL"
				   " AND (?1 <= 0 OR id = ?1) AND (?2 IS NULL OR platform = ?2)"
				   " AND (?3 IS NULL OR kind = ?3)",
				   p, 5, NULL, NULL);
	if (!rc)
		rc = archive_changes(a, &n);
	rc = archive_savepoint_end(a, "platform_notice", rc);
	if (!rc && count)
		*count = (int)n;
	return rc;
}

static void notice_row(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	GString *out = ctx;

	(void)names;
	for (int i = 0; i < ncols; i++) {
		if (i)
			g_string_append_c(out, ',');
		if (value_text(&v[i]))
			csv_append_field(out, v[i].text);
	}
	g_string_append_c(out, '\n');
}

int archive_platform_notice_csv(struct archive *a, const char *platform, GString *out)
{
	char *labels = label_sql(), *sql;
	int rc;

	sql = g_strdup_printf(
	    "SELECT f.platform, f.shop_id, s.name, f.licence, f.kind, %s, f.evidence,"
	    " f.opened_at, f.notice_at FROM platform_findings f LEFT JOIN platform_shops s"
	    " ON s.platform = f.platform AND s.shop_id = f.shop_id WHERE f.platform = ?1"
	    " AND f.closed_at IS NULL AND f.notice_at IS NOT NULL ORDER BY f.shop_id, f.kind",
	    labels);
	g_string_append(out, "platform,shop_id,shop_name,licence,finding,问题,evidence,opened_at,"
			     "noticed_at\n");
	rc = archive_query(a, sql, &(struct archive_value){ .type = VALUE_TEXT, .text = platform },
			   1, notice_row, out);
	g_free(sql);
	g_free(labels);
	return rc;
}

struct finding_ref {
	bool found;
	char *licence, *kind, *shop_id, *platform, *name, *evidence, *task_id, *district;
};

static void finding_ref_row(void *ctx, int ncols, const char *const *names,
			    const struct archive_value *v)
{
	struct finding_ref *f = ctx;

	(void)names;
	if (ncols < 8)
		return;
	f->found = true;
	f->licence = g_strdup(value_text(&v[0]));
	f->kind = g_strdup(value_text(&v[1]));
	f->shop_id = g_strdup(value_text(&v[2]));
	f->platform = g_strdup(value_text(&v[3]));
	f->name = g_strdup(value_text(&v[4]));
	f->evidence = g_strdup(value_text(&v[5]));
	f->task_id = g_strdup(value_text(&v[6]));
	f->district = g_strdup(value_text(&v[7]));
}

static void finding_ref_release(struct finding_ref *f)
{
	g_free(f->licence);
	g_free(f->kind);
	g_free(f->shop_id);
	g_free(f->platform);
	g_free(f->name);
	g_free(f->evidence);
	g_free(f->task_id);
	g_free(f->district);
}

int archive_platform_task(struct archive *a, int64_t id, const struct task_spec *spec,
			  const struct task_config *cfg, int64_t now_ms, char *task_id,
			  GString *errors)
{
	struct finding_ref f = { 0 };
	GPtrArray *team = g_ptr_array_new_with_free_func(g_free);
	struct task_spec s = *spec;
	struct task_config dflt;
	char reason[64], *note = NULL;
	char id_buf[ARCHIVE_TASK_ID_LEN];
	int rc;

	if (!cfg) {
		archive_task_config_default(&dflt);
		cfg = &dflt;
	}
	rc = archive_savepoint(a, "platform_task");
	if (!rc)
		rc = archive_query(a,
				   "SELECT f.licence, f.kind, f.shop_id, f.platform, s.name,"
				   " f.evidence, f.task_id, e.district FROM platform_findings f"
				   " LEFT JOIN platform_shops s ON s.platform = f.platform"
				   " AND s.shop_id = f.shop_id"
				   " LEFT JOIN establishments e ON e.licence = f.licence"
				   " WHERE f.id = ?1 AND f.closed_at IS NULL",
				   &(struct archive_value){ .type = VALUE_INT, .i = id }, 1,
				   finding_ref_row, &f);
	if (rc)
		goto out;
	if (!f.found) {
		g_string_append_printf(errors, "no open finding %" G_GINT64_FORMAT "\n", id);
		rc = -ENOENT;
		goto out;
	}
	if (f.task_id) {
		g_string_append_printf(errors, "finding %" G_GINT64_FORMAT " has task %s already\n",
				       id, f.task_id);
		rc = -EEXIST;
		goto out;
	}
	if (!f.district) {
		g_string_append_printf(errors,
				       "finding %" G_GINT64_FORMAT ": licence '%s' is not in the "
				       "registry, so there is no kitchen to inspect: put it on "
				       "the platform's notice list instead\n",
				       id, f.licence ? f.licence : "(none shown)");
		rc = -ENOENT;
		goto out;
	}
	if (!s.kind)
		s.kind = "special";
	if (!s.inspectors) {
		rc = archive_pick_inspectors(a, f.district, MAX(cfg->team, TASK_MIN_INSPECTORS),
					     team);
		if (rc)
			goto out;
		g_ptr_array_add(team, NULL);
		s.inspectors = (const char *const *)team->pdata;
	}
	snprintf(reason, sizeof reason, "[\"platform:%" G_GINT64_FORMAT "\"]", id);
	s.reason = reason;
	if (!s.note) {
		note = g_strdup_printf("以网管网 %s: %s shop %s '%s': %s", platform_finding_label(f.kind),
				       f.platform, f.shop_id, f.name ? f.name : "", f.evidence);
		/* a task note travels to the handhelds, whose limit is in bytes */
		if (strlen(note) > MESSAGE_MAX_TASK_NOTE)
			note[g_utf8_find_prev_char(note, note + MESSAGE_MAX_TASK_NOTE - 3) - note] =
			    '\0';
		s.note = note;
	}
	rc = archive_task_create(a, f.licence, &s, now_ms, task_id ? task_id : id_buf, errors);
	if (!rc)
		rc = archive_query(a, "UPDATE platform_findings SET task_id = ?2 WHERE id = ?1",
				   (struct archive_value[]){ int_value(id),
							     text_value(task_id ? task_id : id_buf) },
				   2, NULL, NULL);
out:
	rc = archive_savepoint_end(a, "platform_task", rc);
	finding_ref_release(&f);
	g_ptr_array_free(team, TRUE);
	g_free(note);
	return rc;
}
