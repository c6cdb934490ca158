/*
 * Unit tests: delivery platforms' listings cross-checked against the
 * registry (cloud/archive_platforms.c, 以网管网). Each test opens a fresh
 * archive with this registry (business hours 10:00-11:00 local, so that
 * an hour of video a day covers a kitchen):
 *
 *   E1 文三路88号, scope hot, covered          clean shops m1 (meituan), e1 (eleme)
 *   E2 文二路10号, expired 2026-01-31, no box  m2: licence_expired, not_covered
 *   E3 教工路5号, scope hot, covered           m3: sells 三文鱼刺身 (raw), 凉拌黄瓜 (cold)
 *   E4 学院路20号, covered                     m4: picks up at 学院路22号
 *   E5 天目山路1号, covered                    m5a, m5b: both show E5's licence (and
 *                                              so share its address)
 *   E6 古墩路9号, covered                      m6: shares the address with m9
 *   m8: no licence shown; m9: a licence not in the registry, at 古墩路9号;
 *   m0: offline, no licence (never a finding)
 *
 * "Now" is fixed: NOW_MS = 2026-06-15 12:00 local (04:00Z).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "archive.h"
#include "clock.h"
#include "log.h"
#include "scope.h"
#include "unit_tmpdir.h"

#define HOUR_MS (3600 * INT64_C(1000))
#define DAY_MS	(24 * HOUR_MS)

static struct archive *a;
static int64_t NOW_MS;
static int db_n;
static struct platform_check_config cfg = { .coverage = 0.8 };

#define HEADER_E                                                                                  \
	"licence,name,category,district,address,floor_area,meals_per_day,business_hours,"          \
	"licence_expires,scope\n"

static const char establishments_csv[] =
    HEADER_E "JY13301060000001,文三路饭店,restaurant,330106,浙江省杭州市西湖区文三路88号,,,"
	     "10:00-11:00,2027-12-31,热食类食品制售\n"
	     "JY13301060000002,文二路面馆,small_eatery,330106,杭州市西湖区文二路10号,,,"
	     "10:00-11:00,2026-01-31,hot\n"
	     "JY13301060000003,教工路小吃,small_eatery,330106,西湖区教工路5号,,,10:00-11:00,,"
	     "hot\n"
	     "JY13301060000004,学院路餐厅,restaurant,330106,西湖区学院路20号,,,10:00-11:00,,\n"
	     "JY13301060000005,天目山路快餐,restaurant,330106,西湖区天目山路1号,,,10:00-11:00,,\n"
	     "JY13301060000006,古墩路食堂,restaurant,330106,西湖区古墩路9号,,,10:00-11:00,,\n";

static const char inspectors_csv[] = "id,name,district,phone\n"
				     "hh-a,甲,330106,\nhh-b,乙,330106,\nhh-c,丙,330106,\n";

#define HEADER_L "platform,shop_id,shop_name,licence,pickup_address,dishes,status\n"

static const char listing_csv[] =
    HEADER_L "meituan,m1,文三路饭店,JY13301060000001,杭州市西湖区文三路８８号,宫保鸡丁;米饭,营业中\n"
	     "meituan,m2,文二路面馆,JY13301060000002,西湖区文二路10号,牛肉面,open\n"
	     "meituan,m3,教工路小吃,JY13301060000003,西湖区教工路5号,"
	     "三文鱼刺身;凉拌黄瓜;蛋炒饭,open\n"
	     "meituan,m4,学院路餐厅,JY13301060000004,西湖区学院路22号,炒青菜,open\n"
	     "meituan,m5a,天目山路快餐,JY13301060000005,西湖区天目山路1号,盖饭,open\n"
	     "meituan,m5b,天目山路快餐二店,JY13301060000005,天目山路1号,盖饭,open\n"
	     "meituan,m6,古墩路食堂,JY13301060000006,西湖区古墩路9号,米饭,open\n"
	     "meituan,m8,无证小馆,,西湖区莫干山路3号,炒饭,open\n"
	     "meituan,m9,影子厨房,JY19999999999999,古墩路9号,炸鸡,open\n"
	     "meituan,m0,已下线小店,,西湖区某路1号,炒饭,offline\n"
	     "eleme,e1,文三路饭店,JY13301060000001,文三路88号,宫保鸡丁,open\n";

/* The findings each check must find in the listing above, sorted. */
static const char expected_findings[] =
    "meituan m2 licence_expired\n"
    "meituan m2 not_covered\n"
    "meituan m3 dish_out_of_scope\n"
    "meituan m4 address_mismatch\n"
    "meituan m5a address_shared\n"
    "meituan m5a licence_shared\n"
    "meituan m5b address_shared\n"
    "meituan m5b licence_shared\n"
    "meituan m6 address_shared\n"
    "meituan m8 no_licence\n"
    "meituan m9 address_shared\n"
    "meituan m9 licence_unknown\n";

static int64_t ms_of(const char *ts)
{
	int64_t ms;

	assert_true(clock_parse_ts(ts, &ms));
	return ms;
}

static void import_registry(enum registry_kind kind, const char *csv)
{
	GString *errors = g_string_new("");
	int rc = archive_registry_import(a, kind, csv, strlen(csv), errors);

	if (rc < 0)
		fprintf(stderr, "%s", errors->str);
	assert_true(rc >= 0);
	g_string_free(errors, TRUE);
}

/* A box with camera cam-1 for each covered licence, and an hour of video
 * in its business hour on each of the 30 days before today. */
static void cover(const char *box, const char *licence)
{
	char *boxes = g_strdup_printf("box,licence,provisioned\n%s,%s,2026-01-01\n", box, licence);
	char *cams = g_strdup_printf("box,camera,zone,gb28181_id\n%s,cam-1,,\n", box);
	int64_t today = (NOW_MS + 8 * HOUR_MS) / DAY_MS;

	import_registry(REGISTRY_BOXES, boxes);
	import_registry(REGISTRY_CAMERAS, cams);
	for (int d = 1; d <= 30; d++) {
		char t[CLOCK_TS_LEN];

		clock_format_ms((today - d) * DAY_MS + 2 * HOUR_MS, t); /* 10:00 local */
		assert_int_equal(archive_put_message(a, box, d, "reading", t, "{}", 2), 1);
		assert_int_equal(
		    archive_put_reading(a, box, d, 0, "cam-1", "video_recorded", t, 60, "min"), 0);
	}
	g_free(boxes);
	g_free(cams);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	NOW_MS = ms_of("2026-06-15T04:00:00.000Z");
	assert_int_equal(unit_archive_target(path, sizeof path, "platforms", db_n++), 0);
	a = archive_open(path, false);
	assert_non_null(a);
	import_registry(REGISTRY_ESTABLISHMENTS, establishments_csv);
	import_registry(REGISTRY_INSPECTORS, inspectors_csv);
	cover("box-e1", "JY13301060000001");
	cover("box-e3", "JY13301060000003");
	cover("box-e4", "JY13301060000004");
	cover("box-e5", "JY13301060000005");
	cover("box-e6", "JY13301060000006");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	archive_close(a);
	a = NULL;
	return 0;
}

static int import_listing(const char *text, struct platform_run *run, GString *errors)
{
	GString *own = errors ? NULL : g_string_new("");
	int rc = archive_platform_import_text(a, text, strlen(text), "test", &cfg, NOW_MS, run,
					      errors ? errors : own);

	if (own) {
		if (rc)
			fprintf(stderr, "%s", own->str);
		g_string_free(own, TRUE);
	}
	return rc;
}

static void finding_row(void *ctx, int ncols, const char *const *names,
			const struct archive_value *v)
{
	const char *platform = archive_column_text(ncols, names, v, "platform");
	const char *shop = archive_column_text(ncols, names, v, "shop_id");
	const char *kind = archive_column_text(ncols, names, v, "kind");

	g_ptr_array_add(ctx, g_strdup_printf("%s %s %s\n", platform, shop, kind));
}

static int compare_str(gconstpointer x, gconstpointer y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The findings in state ("open", "closed"), one "platform shop kind" line
 * each, sorted (static buffer). */
static const char *findings(const char *state)
{
	static char out[4096];
	GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
	GString *s = g_string_new("");

	assert_int_equal(archive_platform_findings(
			     a, &(struct finding_query){ .state = state, .limit = 1000 },
			     finding_row, rows),
			 0);
	g_ptr_array_sort(rows, compare_str);
	for (guint i = 0; i < rows->len; i++)
		g_string_append(s, g_ptr_array_index(rows, i));
	g_strlcpy(out, s->str, sizeof out);
	g_string_free(s, TRUE);
	g_ptr_array_free(rows, TRUE);
	return out;
}

struct evidence {
	const char *shop, *kind;
	char text[1024];
};

static void evidence_row(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct evidence *e = ctx;

	if (!strcmp(archive_column_text(ncols, names, v, "shop_id"), e->shop) &&
	    !strcmp(archive_column_text(ncols, names, v, "kind"), e->kind))
		g_strlcpy(e->text, archive_column_text(ncols, names, v, "evidence"),
			  sizeof e->text);
}

static const char *evidence_of(const char *shop, const char *kind)
{
	static struct evidence e;

	e = (struct evidence){ .shop = shop, .kind = kind };
	assert_int_equal(archive_platform_findings(a, &(struct finding_query){ .limit = 1000 },
						   evidence_row, &e),
			 0);
	return e.text;
}

static void append_row(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1 && v[0].type == VALUE_TEXT)
		g_string_append_printf(ctx, "%s\n", v[0].text);
}

static void get_int(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1)
		*(int64_t *)ctx = v[0].type == VALUE_INT ? v[0].i : -1;
}

static int64_t count(const char *sql)
{
	int64_t n = -1;

	assert_int_equal(archive_query(a, sql, NULL, 0, get_int, &n), 0);
	return n;
}

static void test_every_finding(void **state)
{
	struct platform_run run;

	(void)state;
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	assert_int_equal(run.platforms, 2);
	assert_int_equal(run.shops, 11);
	assert_int_equal(run.added, 11);
	assert_int_equal(run.opened, 12);
	assert_int_equal(run.open, 12);
	assert_false(run.seen_before);
	assert_string_equal(findings("open"), expected_findings);
	/* the evidence says what was seen */
	assert_non_null(strstr(evidence_of("m2", "licence_expired"), "expired on 2026-01-31"));
	assert_non_null(strstr(evidence_of("m2", "not_covered"), "no 明厨亮灶 box"));
	assert_non_null(strstr(evidence_of("m3", "dish_out_of_scope"), "2 dishes"));
	assert_non_null(strstr(evidence_of("m3", "dish_out_of_scope"), "三文鱼刺身"));
	assert_non_null(strstr(evidence_of("m3", "dish_out_of_scope"), "凉拌黄瓜"));
	assert_null(strstr(evidence_of("m3", "dish_out_of_scope"), "蛋炒饭"));
	assert_non_null(strstr(evidence_of("m4", "address_mismatch"), "学院路22号"));
	assert_non_null(strstr(evidence_of("m5a", "licence_shared"), "m5b"));
	assert_non_null(strstr(evidence_of("m9", "address_shared"), "m6"));
	assert_non_null(strstr(evidence_of("m9", "licence_unknown"), "JY19999999999999"));
}

/* Every row's `updated` and the import log, as one text: what a write
 * would move. */
static char *snapshot(void)
{
	GString *s = g_string_new("");

	assert_int_equal(archive_query(a,
				       "SELECT shop_id || updated FROM platform_shops UNION ALL"
				       " SELECT id || updated || coalesce(closed_at, '') FROM"
				       " platform_findings UNION ALL SELECT sha256 || imported_at FROM"
				       " platform_imports ORDER BY 1",
				       NULL, 0, append_row, s),
			 0);
	return g_string_free(s, FALSE);
}

/* SQLite counts every row written on a connection; PostgreSQL has no such
 * function: there the snapshot above has to do. */
static int64_t total_changes(void)
{
	return getenv("BK_TEST_PG") ? 0 : count("SELECT total_changes()");
}

static void test_reimport_changes_nothing(void **state)
{
	struct platform_run run;
	int64_t changes;
	char *before, *after;

	(void)state;
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	changes = total_changes();
	before = snapshot();
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	assert_true(run.seen_before);
	assert_int_equal(run.added + run.changed + run.delisted, 0);
	assert_int_equal(run.opened + run.updated + run.closed, 0);
	assert_int_equal(run.open, 12);
	/* not a row written: total_changes counts every row inserted, updated
	 * or deleted on this connection */
	assert_int_equal(total_changes(), changes);
	/* the checks alone, again: the same */
	memset(&run, 0, sizeof run);
	assert_int_equal(archive_platform_check(a, NULL, &cfg, NOW_MS, &run), 0);
	assert_int_equal(run.opened + run.updated + run.closed, 0);
	assert_int_equal(total_changes(), changes);
	assert_string_equal(findings("open"), expected_findings);
	after = snapshot();
	assert_string_equal(before, after);
	g_free(before);
	g_free(after);
}

static void test_fixed_shops_close(void **state)
{
	struct platform_run run;
	GString *fixed = g_string_new(listing_csv);

	(void)state;
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	/* m8 shows E6's licence now... at E6's address; m3 drops the raw and
	 * cold dishes; m4 moves its pickup to the licensed address; m5b goes
	 * offline; m9 leaves the platform; E2's licence is renewed */
	g_string_replace(fixed, "m8,无证小馆,,西湖区莫干山路3号", "m8,无证小馆,JY13301060000004,学院路20号",
			 1);
	g_string_replace(fixed, "三文鱼刺身;凉拌黄瓜;蛋炒饭", "蛋炒饭", 1);
	g_string_replace(fixed, "西湖区学院路22号", "浙江省杭州市西湖区学院路二十号", 1);
	g_string_replace(fixed, "盖饭,open\nmeituan,m6", "盖饭,下线\nmeituan,m6", 1);
	g_string_replace(fixed, "meituan,m9,影子厨房,JY19999999999999,古墩路9号,炸鸡,open\n", "", 1);
	import_registry(REGISTRY_ESTABLISHMENTS,
			HEADER_E "JY13301060000002,文二路面馆,small_eatery,330106,"
				 "杭州市西湖区文二路10号,,,10:00-11:00,2028-01-31,hot\n");
	assert_int_equal(import_listing(fixed->str, &run, NULL), 0);
	assert_false(run.seen_before);
	assert_int_equal(run.delisted, 1);
	/* m4 and m8 now share E4's licence and address: new findings */
	assert_string_equal(findings("open"), "meituan m2 not_covered\n"
					      "meituan m4 address_shared\n"
					      "meituan m4 licence_shared\n"
					      "meituan m8 address_shared\n"
					      "meituan m8 licence_shared\n");
	assert_string_equal(findings("closed"), "meituan m2 licence_expired\n"
						"meituan m3 dish_out_of_scope\n"
						"meituan m4 address_mismatch\n"
						"meituan m5a address_shared\n"
						"meituan m5a licence_shared\n"
						"meituan m5b address_shared\n"
						"meituan m5b licence_shared\n"
						"meituan m6 address_shared\n"
						"meituan m8 no_licence\n"
						"meituan m9 address_shared\n"
						"meituan m9 licence_unknown\n");
	assert_int_equal(count("SELECT count(*) FROM platform_findings WHERE shop_id = 'm9'"
			       " AND closed_why = 'shop no longer listed'"),
			 2);
	assert_int_equal(count("SELECT count(*) FROM platform_findings WHERE shop_id = 'm5b'"
			       " AND closed_why = 'shop offline'"),
			 2);
	assert_int_equal(count("SELECT count(*) FROM platform_findings WHERE shop_id = 'm3'"
			       " AND closed_why = 'no longer found'"),
			 1);
	/* found again later: a new finding, the closed one stays as history */
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	assert_true(run.seen_before);
	assert_int_equal(count("SELECT count(*) FROM platform_findings WHERE shop_id = 'm3'"), 2);
	g_string_free(fixed, TRUE);
}

static void test_malformed_refused(void **state)
{
	static const char bad[] =
	    HEADER_L "meituan,m1,文三路饭店,JY13301060000001,文三路88号,米饭,open\n"
		     "meituan,,无名,,某路1号,,open\n"
		     "meituan,m3,某店,,某路2号,,maybe\n";
	struct platform_run run;
	GString *errors = g_string_new("");

	(void)state;
	assert_int_equal(import_listing(bad, &run, errors), -EINVAL);
	assert_non_null(strstr(errors->str, "3:shop_id: "));
	assert_non_null(strstr(errors->str, "4:status: "));
	assert_int_equal(count("SELECT count(*) FROM platform_shops"), 0);
	assert_int_equal(count("SELECT count(*) FROM platform_imports"), 0);
	g_string_truncate(errors, 0);
	assert_int_equal(import_listing(HEADER_L, &run, errors), -EINVAL);
	assert_non_null(strstr(errors->str, "no shops"));
	g_string_free(errors, TRUE);
}

static void test_unknown_scope_not_checked(void **state)
{
	struct platform_run run;

	(void)state;
	/* E4 has no scope in the registry: its raw fish is not a finding */
	assert_int_equal(
	    import_listing(HEADER_L "meituan,x4,学院路餐厅,JY13301060000004,学院路20号,刺身拼盘,\n",
			   &run, NULL),
	    0);
	assert_string_equal(findings("open"), "");
}

static void stats_row(void *ctx, int ncols, const char *const *names,
		      const struct archive_value *v)
{
	GString *s = ctx;
	const char *platform = archive_column_text(ncols, names, v, "platform");
	const char *kind = archive_column_text(ncols, names, v, "kind");
	const struct archive_value *open = archive_column(ncols, names, v, "open");
	const struct archive_value *listed = archive_column(ncols, names, v, "shops_listed");
	const struct archive_value *with = archive_column(ncols, names, v, "shops_with_open");

	if (open->i || !strcmp(kind, "all"))
		g_string_append_printf(s, "%s %s %lld %lld %lld\n", platform, kind,
				       (long long)open->i,
				       listed->type == VALUE_INT ? (long long)listed->i : -1LL,
				       (long long)with->i);
}

static void test_stats_notice_task(void **state)
{
	struct platform_run run;
	GString *s = g_string_new(""), *why = g_string_new("");
	const char *team[] = { "hh-a", "hh-b", NULL };
	char id[ARCHIVE_TASK_ID_LEN];
	int n = -1;
	int64_t fid;

	(void)state;
	assert_int_equal(import_listing(listing_csv, &run, NULL), 0);
	assert_int_equal(archive_platform_stats(a, stats_row, s), 0);
	/* platform kind open shops_listed shops_with_open */
	assert_string_equal(s->str, "eleme all 0 1 0\n"
				    "meituan no_licence 1 -1 1\n"
				    "meituan licence_unknown 1 -1 1\n"
				    "meituan licence_expired 1 -1 1\n"
				    "meituan licence_shared 2 -1 2\n"
				    "meituan address_shared 4 -1 4\n"
				    "meituan address_mismatch 1 -1 1\n"
				    "meituan dish_out_of_scope 1 -1 1\n"
				    "meituan not_covered 1 -1 1\n"
				    "meituan all 12 10 8\n"
				    "all no_licence 1 -1 1\n"
				    "all licence_unknown 1 -1 1\n"
				    "all licence_expired 1 -1 1\n"
				    "all licence_shared 2 -1 2\n"
				    "all address_shared 4 -1 4\n"
				    "all address_mismatch 1 -1 1\n"
				    "all dish_out_of_scope 1 -1 1\n"
				    "all not_covered 1 -1 1\n"
				    "all all 12 11 8\n");

	/* the notice list: the platform's shared-address findings */
	assert_int_equal(archive_platform_notice_add(a, 0, "meituan", "address_shared", "reg-x",
						     NOW_MS, &n),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(archive_platform_notice_add(a, 0, "meituan", "address_shared", "reg-x",
						     NOW_MS, &n),
			 0);
	assert_int_equal(n, 0);
	g_string_truncate(s, 0);
	assert_int_equal(archive_platform_notice_csv(a, "meituan", s), 0);
	assert_true(g_str_has_prefix(s->str, "platform,shop_id,shop_name,licence,finding,问题,"));
	assert_non_null(strstr(s->str, "meituan,m9,影子厨房,JY19999999999999,address_shared,一址多店,"));
	{
		gchar **lines = g_strsplit(s->str, "\n", -1);

		assert_int_equal(g_strv_length(lines), 6); /* header, 4 rows, "" */
		g_strfreev(lines);
	}
	g_string_truncate(s, 0);
	assert_int_equal(archive_platform_notice_csv(a, "eleme", s), 0);
	assert_ptr_equal(strchr(s->str, '\n'), strrchr(s->str, '\n')); /* the header alone */

	/* a task for the expired licence's kitchen: inspectors picked */
	fid = count("SELECT id FROM platform_findings WHERE shop_id = 'm2'"
		    " AND kind = 'licence_expired'");
	assert_int_equal(archive_platform_task(a, fid,
					       &(struct task_spec){ .due = "2026-06-22",
								    .created_by = "reg-x" },
					       NULL, NOW_MS, id, why),
			 0);
	assert_int_equal(count("SELECT count(*) FROM task_inspectors"), 2);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE licence = 'JY13301060000002'"
			       " AND kind = 'special' AND note LIKE '%许可证已过期%'"),
			 1);
	assert_int_equal(archive_platform_task(a, fid,
					       &(struct task_spec){ .due = "2026-06-22",
								    .inspectors = team,
								    .created_by = "reg-x" },
					       NULL, NOW_MS, id, why),
			 -EEXIST);
	/* no licence: no kitchen to send inspectors to */
	fid = count("SELECT id FROM platform_findings WHERE shop_id = 'm8'");
	g_string_truncate(why, 0);
	assert_int_equal(archive_platform_task(a, fid,
					       &(struct task_spec){ .due = "2026-06-22",
								    .created_by = "reg-x" },
					       NULL, NOW_MS, id, why),
			 -ENOENT);
	assert_non_null(strstr(why->str, "notice list"));
	g_string_free(s, TRUE);
	g_string_free(why, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reimport_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_shops_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_scope_not_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_notice_task, setup, teardown),
	};

	log_init("test_platforms", (enum log_level)(LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
