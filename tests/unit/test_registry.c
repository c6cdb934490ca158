/* Unit tests: the registry (cloud/archive_registry.c) over a real archive
 * in a temporary directory: CSV import and export, every refusal with its
 * line and column, all-or-nothing imports, idempotent re-imports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include <glib.h>

#include "archive.h"
#include "log.h"

static struct archive *a;
static int counter;

/* what an empty table exports: every column, scope too */
static const char *const establishments_export_header =
    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
    "licence_expires,scope\n";
static const char *const establishments_header =
    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
    "licence_expires\n";

/* A fresh archive for each test. */
static int setup(void **state)
{
	char path[512];

	(void)state;
	if (unit_archive_target(path, sizeof path, "registry", ++counter))
		return -1;
	a = archive_open(path, false);
	return a ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	archive_close(a);
	a = NULL;
	return 0;
}

/* Import text; errors (if any) into *errors (g_free) when errors is not NULL. */
static int import(enum registry_kind kind, const char *text, char **errors)
{
	GString *e = g_string_new("");
	int rc = archive_registry_import(a, kind, text, strlen(text), e);

	if (errors)
		*errors = g_string_free(e, FALSE);
	else
		g_string_free(e, TRUE);
	return rc;
}

static char *export(enum registry_kind kind)
{
	GString *out = g_string_new("");

	assert_int_equal(archive_registry_export(a, kind, out), 0);
	return g_string_free(out, FALSE);
}

static void assert_refused(enum registry_kind kind, const char *text, const char *want)
{
	char *errors;

	assert_int_equal(import(kind, text, &errors), -EINVAL);
	assert_string_equal(errors, want);
	g_free(errors);
}

struct column_text {
	const char *name;
	GString *out;
};

static void collect(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct column_text *c = ctx;

	for (int i = 0; i < ncols; i++) {
		if (strcmp(names[i], c->name) != 0)
			continue;
		if (v[i].type == VALUE_TEXT)
			g_string_append(c->out, v[i].text);
		else if (v[i].type == VALUE_INT)
			g_string_append_printf(c->out, "%lld", (long long)v[i].i);
		else
			g_string_append(c->out, "-");
		g_string_append_c(c->out, ';');
	}
}

/* One column of registry list, the rows' values joined by ';'. */
static char *list_column(enum registry_kind kind, const char *name)
{
	struct column_text c = { name, g_string_new("") };

	assert_int_equal(archive_registry_list(a, kind, collect, &c), 0);
	return g_string_free(c.out, FALSE);
}

static const char *const good_establishments =
    "\xEF\xBB\xBF"
    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
    "licence_expires\r\n"
    "JY11101010001234,\"第一实验小学食堂\",学校食堂,110101,\"北京市东城区, 和平里 1 号\","
    "320.5,1200,\"06:30-09:00, 11:00-13:30\",2027-06-30\r\n"
    "JY11101010005678,\"阳光幼儿园 \"\"小太阳\"\" 厨房\",kindergarten,110101,东城区 2 号,"
    "85,,,\r\n"
    "京餐证字2015110101000123,老张面馆,餐馆,110102,\"西城区 \"\"胡同\"\" 3 "
    "号\",40.00,300,10:00-14:00,"
    "2025-01-31\r\n";

static const char *const good_establishments_export =
    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
    "licence_expires,scope\n"
    "JY11101010001234,第一实验小学食堂,school_canteen,110101,\"北京市东城区, 和平里 1 号\","
    "320.5,1200,\"06:30-09:00,11:00-13:30\",2027-06-30,\n"
    "JY11101010005678,\"阳光幼儿园 \"\"小太阳\"\" 厨房\",kindergarten,110101,东城区 2 号,"
    "85,,06:00-20:00,,\n"
    "京餐证字2015110101000123,老张面馆,restaurant,110102,\"西城区 \"\"胡同\"\" 3 号\",40,300,"
    "10:00-14:00,2025-01-31,\n";

/* The licensed scope (a column added later): by id or Chinese name,
 * stored as ids; a file without the column leaves it as it was. */
static void test_scope_column(void **state)
{
	char *errors, *scope;

	(void)state;
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS,
				"licence,name,category,district,address,floor_area,meals_per_day,"
				"business_hours,licence_expires,scope\n"
				"JY11101010001234,甲,restaurant,110101,路1号,,,,,冷食类食品制售、热食类\n",
				&errors),
			 1);
	assert_string_equal(errors, "");
	g_free(errors);
	scope = list_column(REGISTRY_ESTABLISHMENTS, "scope");
	assert_string_equal(scope, "hot cold;");
	g_free(scope);
	/* without the column: the scope stays, nothing else changed either */
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS,
				"licence,name,category,district,address,floor_area,meals_per_day,"
				"business_hours,licence_expires\n"
				"JY11101010001234,甲,restaurant,110101,路1号,,,,\n",
				NULL),
			 0);
	scope = list_column(REGISTRY_ESTABLISHMENTS, "scope");
	assert_string_equal(scope, "hot cold;");
	g_free(scope);
	/* an empty scope: unknown (NULL), as written */
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS,
				"licence,name,category,district,address,floor_area,meals_per_day,"
				"business_hours,licence_expires,scope\n"
				"JY11101010001234,甲,restaurant,110101,路1号,,,,,\n",
				NULL),
			 1);
	scope = list_column(REGISTRY_ESTABLISHMENTS, "scope");
	assert_string_equal(scope, "-;");
	g_free(scope);
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS,
				"licence,name,category,district,address,floor_area,meals_per_day,"
				"business_hours,licence_expires,scope\n"
				"JY11101010001234,甲,restaurant,110101,路1号,,,,,盒饭\n",
				&errors),
			 -EINVAL);
	assert_true(g_str_has_prefix(errors, "2:scope: '盒饭' is not a scope item"));
	g_free(errors);
}

static void test_round_trip(void **state)
{
	char *csv, *errors;
	int rc;

	(void)state;
	rc = import(REGISTRY_ESTABLISHMENTS, good_establishments, &errors);
	assert_string_equal(errors, "");
	assert_int_equal(rc, 3);
	g_free(errors);
	csv = export(REGISTRY_ESTABLISHMENTS);
	assert_string_equal(csv, good_establishments_export);
	/* the export imports again, changing nothing */
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, csv, NULL), 0);
	g_free(csv);

	/* the lists: numbers as numbers, joined figures */
	csv = list_column(REGISTRY_ESTABLISHMENTS, "meals_per_day");
	assert_string_equal(csv, "1200;-;300;");
	g_free(csv);
}

static void test_idempotent_and_updated(void **state)
{
	char *before, *after, *csv;

	(void)state;
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, good_establishments, NULL), 3);
	before = list_column(REGISTRY_ESTABLISHMENTS, "updated");
	g_usleep(5000);
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, good_establishments, NULL), 0);
	after = list_column(REGISTRY_ESTABLISHMENTS, "updated");
	assert_string_equal(before, after);
	g_free(after);

	/* one value changed: one row changed, only its `updated` moves */
	csv = g_strdup(good_establishments_export);
	memcpy(strstr(csv, ",300,"), ",301,", 5);
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, csv, NULL), 1);
	after = list_column(REGISTRY_ESTABLISHMENTS, "updated");
	assert_string_not_equal(before, after);
	/* rows sorted by district then licence: the 110101 pair is untouched */
	assert_memory_equal(before, after, 2 * 25);
	g_free(csv);
	g_free(before);
	g_free(after);
}

static void test_field_refusals(void **state)
{
	GString *csv = g_string_new(establishments_header);

	(void)state;
	g_string_append(
	    csv,
	    /* 2 */ "JY1234,n,restaurant,110101,a,,,,\n"
		    /* 3 */ "JY11101010001234,,食堂,11010,a,-1,1.5,25:00-26:00,2025-02-30\n"
		    /* 4 */ "has space,n,restaurant,110101,,12.345,x,09:00-09:00,31/12/2025\n"
		    /* 5, 6 */ ",\"two\nlines\",restaurant,abcdef,a,1e3,10000001,9:00-10:00,\n"
		    /* 7 */ "JY11101010009999,n,restaurant,110101,a,,,\n"
		    /* 8 */ "JY11101010009998,n,restaurant,110101,a,,,,,\n");
	assert_refused(
	    REGISTRY_ESTABLISHMENTS, csv->str,
	    "2:licence: 'JY1234' is not a food business licence number: JY and 14 digits\n"
	    "3:name: empty: name is required\n"
	    "3:category: '食堂' is not a category: school_canteen (学校食堂), kindergarten "
	    "(幼儿园), care_home (养老机构), central_kitchen (中央厨房), group_meal "
	    "(集体用餐配送单位), restaurant (餐馆) or small_eatery (小餐饮)\n"
	    "3:district: '11010' is not a district code: 6 digits (GB/T 2260)\n"
	    "3:floor_area: '-1' is not a number (like 120 or 85.5, 2 decimals at most) from 0 "
	    "to 10000000\n"
	    "3:meals_per_day: '1.5' is not a whole number from 0 to 10000000\n"
	    "3:business_hours: '25:00-26:00' is not HH:MM-HH:MM (a non-empty interval of the "
	    "day, e.g. 06:00-09:30,10:30-13:00)\n"
	    "3:licence_expires: '2025-02-30' is not a date YYYY-MM-DD\n"
	    "4:licence: a space or control character (U+0020) in the licence number\n"
	    "4:address: empty: address is required\n"
	    "4:floor_area: '12.345' is not a number (like 120 or 85.5, 2 decimals at most) from 0 "
	    "to 10000000\n"
	    "4:meals_per_day: 'x' is not a whole number from 0 to 10000000\n"
	    "4:business_hours: '09:00-09:00' is not HH:MM-HH:MM (a non-empty interval of the "
	    "day, e.g. 06:00-09:30,10:30-13:00)\n"
	    "4:licence_expires: '31/12/2025' is not a date YYYY-MM-DD\n"
	    "5:licence: empty: licence is required\n"
	    "5:name: a control character (U+000A): write it on one line\n"
	    "6:district: 'abcdef' is not a district code: 6 digits (GB/T 2260)\n"
	    "6:floor_area: '1e3' is not a number (like 120 or 85.5, 2 decimals at most) from 0 to "
	    "10000000\n"
	    "6:meals_per_day: '10000001' is not a whole number from 0 to 10000000\n"
	    "6:business_hours: '9:00-10:00' is not HH:MM-HH:MM (a non-empty interval of the "
	    "day, e.g. 06:00-09:30,10:30-13:00)\n"
	    "7:licence_expires: 8 fields, the header has 9\n"
	    "8:10: 10 fields, the header has 9 (a comma inside a value must be quoted)\n");
	g_string_free(csv, TRUE);
	/* nothing stored */
	{
		char *out = export(REGISTRY_ESTABLISHMENTS);

		assert_string_equal(out, establishments_export_header);
		g_free(out);
	}
}

static void test_one_bad_row_stores_nothing(void **state)
{
	GString *csv = g_string_new(establishments_header);
	char *out;

	(void)state;
	for (int i = 0; i < 200; i++)
		g_string_append_printf(
		    csv, "JY1110101%07d,食堂 %d,school_canteen,110101,地址,,,,\n", i, i);
	g_string_append(csv, "JY11101019999999,坏,school_canteen,1101,地址,,,,\n");
	assert_refused(REGISTRY_ESTABLISHMENTS, csv->str,
		       "202:district: '1101' is not a district code: 6 digits (GB/T 2260)\n");
	out = export(REGISTRY_ESTABLISHMENTS);
	assert_string_equal(out, establishments_export_header);
	g_free(out);
	/* without it, all 200 */
	g_string_truncate(csv, (gsize)(strstr(csv->str, "JY11101019999999") - csv->str));
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, csv->str, NULL), 200);
	g_string_free(csv, TRUE);
}

static void test_duplicates(void **state)
{
	GString *csv = g_string_new(establishments_header);

	(void)state;
	g_string_append(csv, "JY11101010000001,甲,餐馆,110101,a,,,,\n"
			     "JY11101010000002,乙,餐馆,110101,a,,,,\n"
			     "JY11101010000001,丙,餐馆,110101,a,,,,\n");
	assert_refused(REGISTRY_ESTABLISHMENTS, csv->str,
		       "4:licence: licence 'JY11101010000001' appears twice, on lines 2 and 4\n");
	g_string_free(csv, TRUE);

	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, good_establishments, NULL), 3);
	assert_int_equal(import(REGISTRY_BOXES,
				"box,licence,provisioned\nbox-a,JY11101010001234,2026-11-01\n",
				NULL),
			 1);
	assert_refused(REGISTRY_CAMERAS,
		       "box,camera,zone,gb28181_id\nbox-a,cam1,专间,\nbox-a,cam2,,\n"
		       "box-a,cam1,烹饪区,\n",
		       "4:camera: camera 'cam1' of box 'box-a' appears twice, on lines 2 and 4\n");
}

static void test_gb18030_refused(void **state)
{
	char *gb;
	gsize n;
	GString *errors = g_string_new("");

	(void)state;
	gb = g_convert(good_establishments + 3, -1, "GB18030", "UTF-8", NULL, &n, NULL);
	assert_non_null(gb);
	assert_int_equal(archive_registry_import(a, REGISTRY_ESTABLISHMENTS, gb, n, errors),
			 -EINVAL);
	assert_string_equal(errors->str, "2:name: not UTF-8 (it reads as GBK/GB18030): convert "
					 "it, e.g. iconv -f GB18030 -t UTF-8\n");
	g_free(gb);
	g_string_free(errors, TRUE);
}

static void test_literal_text(void **state)
{
	const char *evil = "x'); DROP TABLE establishments; --";
	GString *csv = g_string_new(establishments_header);
	char *out;

	(void)state;
	g_string_append_printf(csv,
			       "JY11101010000001,\"%s\",餐馆,110101,\"\"\"; DELETE FROM "
			       "registry_boxes; --\",,,,\n"
			       "\"Robert');--\",\"\xE2\x80\xAE\xD8\xA7\xF0\x9F\x8D\x9C\xE2\x80\x8B"
			       "\xEF\xBB\xBF\",餐馆,110101,\xE3\x80\x80,,,,\n",
			       evil);
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, csv->str, NULL), 2);
	out = export(REGISTRY_ESTABLISHMENTS);
	assert_non_null(strstr(out, "JY11101010000001,x'); DROP TABLE establishments; --,"
				    "restaurant,110101,\"\"\"; DELETE FROM registry_boxes; --\""));
	assert_non_null(strstr(out, "Robert');--,\xE2\x80\xAE\xD8\xA7\xF0\x9F\x8D\x9C\xE2\x80\x8B"
				    "\xEF\xBB\xBF,restaurant,110101,\xE3\x80\x80,"));
	g_free(out);
	/* the table is still there, and the same file changes nothing */
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, csv->str, NULL), 0);
	g_string_free(csv, TRUE);
}

static void test_header(void **state)
{
	(void)state;
	assert_refused(REGISTRY_INSPECTORS, "id,name,phone,distrct\nhh-1,张三,,110101\n",
		       "1:4: unknown column 'distrct': inspectors take id,name,district,phone\n"
		       "1:district: missing column 'district' in the header: inspectors take "
		       "id,name,district,phone\n");
	assert_refused(REGISTRY_INSPECTORS, "",
		       "1:1: no header row: inspectors take "
		       "id,name,district,phone\n");
	assert_refused(REGISTRY_REGULATORS, "id,name,name,districts\n",
		       "1:name: column 'name' twice\n");
	/* any order, any case, a header alone */
	assert_int_equal(import(REGISTRY_INSPECTORS, "Phone,District,NAME,id\n", NULL), 0);
	assert_int_equal(import(REGISTRY_INSPECTORS,
				"phone,district,name,id\n138 0000 0000,110101,张三,hh-zhang\n"
				",110102,李四,hh-li\n",
				NULL),
			 2);
	{
		char *out = export(REGISTRY_INSPECTORS);

		assert_string_equal(out, "id,name,district,phone\nhh-li,李四,110102,\n"
					 "hh-zhang,张三,110101,138 0000 0000\n");
		g_free(out);
	}
}

static void test_boxes_cameras_sensors(void **state)
{
	struct establishment_ref ref;
	char *out;

	(void)state;
	assert_int_equal(import(REGISTRY_ESTABLISHMENTS, good_establishments, NULL), 3);
	assert_refused(REGISTRY_BOXES,
		       "box,licence,provisioned\nbox-a,JY11101010001234,2026-11-01\n"
		       "svc-x,JY11101010009999,2026-11-01\n"
		       "box-b,JY11101010009999,yesterday\n",
		       "3:box: 'svc-x' is not a box id: box- and up to 63 letters, digits, '.', "
		       "'_' or '-'\n"
		       "4:provisioned: 'yesterday' is not a date YYYY-MM-DD\n"
		       "3:licence: no establishment with licence 'JY11101010009999': import it "
		       "first (registry import establishments)\n"
		       "4:licence: no establishment with licence 'JY11101010009999': import it "
		       "first (registry import establishments)\n");
	assert_int_equal(import(REGISTRY_BOXES,
				"box,licence,provisioned\nbox-a,JY11101010001234,2026-11-01\n"
				"box-b,京餐证字2015110101000123,2026-11-02\n",
				NULL),
			 2);
	assert_int_equal(archive_box_establishment(a, "box-b", &ref), 0);
	assert_string_equal(ref.licence, "京餐证字2015110101000123");
	assert_string_equal(ref.name, "老张面馆");
	assert_string_equal(ref.category, "restaurant");
	assert_string_equal(ref.district, "110102");
	assert_int_equal(archive_box_establishment(a, "box-zz", &ref), -ENOENT);

	assert_refused(REGISTRY_CAMERAS,
		       "box,camera,zone,gb28181_id\nbox-a,cam1,专间,11010100001320000001\n"
		       "box-c,cam1,,\nbox-a,-cam,,\nbox-a,cam2,,1101010000132\n",
		       "4:camera: '-cam' is not an id: a letter or digit, then up to 62 letters, "
		       "digits, '.', '_' or '-'\n"
		       "5:gb28181_id: '1101010000132' is not a GB/T 28181 device id: 20 digits\n"
		       "3:box: no box 'box-c' in the registry: import it first (registry import "
		       "boxes)\n");
	assert_int_equal(import(REGISTRY_CAMERAS,
				"box,camera,zone,gb28181_id\nbox-a,cam1,专间,11010100001320000001\n"
				"box-a,cam2,烹饪区,\n",
				NULL),
			 2);
	assert_refused(REGISTRY_SENSORS,
		       "box,sensor,kind,zone\nbox-a,f1,fridge,冷藏间\n"
		       "box-a,t1,thermometer,\nbox-a,v1,video_recorded,\n",
		       "3:kind: 'thermometer' is not a sensor kind: fridge, freezer, cleanroom, "
		       "disinfection, uv_lamp, rinse, gas, generic\n"
		       "4:kind: 'video_recorded' is not a sensor kind: fridge, freezer, cleanroom, "
		       "disinfection, uv_lamp, rinse, gas, generic\n");
	assert_int_equal(
	    import(REGISTRY_SENSORS, "box,sensor,kind,zone\nbox-a,f1,fridge,冷藏间\n", NULL), 1);
	out = list_column(REGISTRY_BOXES, "cameras");
	assert_string_equal(out, "2;0;");
	g_free(out);
	out = list_column(REGISTRY_BOXES, "state");
	assert_string_equal(out, "never seen;never seen;");
	g_free(out);
	out = export(REGISTRY_CAMERAS);
	assert_string_equal(out,
			    "box,camera,zone,gb28181_id\nbox-a,cam1,专间,11010100001320000001\n"
			    "box-a,cam2,烹饪区,\n");
	g_free(out);
}

static void test_regulators(void **state)
{
	char *out;

	(void)state;
	assert_refused(REGISTRY_REGULATORS,
		       "id,name,districts\nreg-1,市局,\"110102, 110101；110101\"\nhh-2,x,\n"
		       "reg-3,区局,110101 11010\n",
		       "3:id: 'hh-2' is not a regulator id: reg- and up to 63 letters, digits, "
		       "'.', '_' or '-'\n"
		       "4:districts: '11010' is not a district code: 6 digits (GB/T 2260), "
		       "separated by spaces\n");
	assert_int_equal(import(REGISTRY_REGULATORS,
				"id,name,districts\nreg-1,市局,\"110102, 110101；110101\"\n"
				"reg-2,东城区局,110101\nreg-county,县局,\n",
				NULL),
			 3);
	out = export(REGISTRY_REGULATORS);
	assert_string_equal(out, "id,name,districts\nreg-1,市局,110101 110102\n"
				 "reg-2,东城区局,110101\nreg-county,县局,\n");
	assert_int_equal(import(REGISTRY_REGULATORS, out, NULL), 0);
	g_free(out);
}

static void test_problem_cap(void **state)
{
	GString *csv = g_string_new("id,name,district,phone\n");
	char *errors;
	int lines = 0;

	(void)state;
	for (int i = 0; i < 80; i++)
		g_string_append_printf(csv, "hh-%d,n,bad,\n", i);
	assert_int_equal(import(REGISTRY_INSPECTORS, csv->str, &errors), -EINVAL);
	for (char *p = errors; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 51);
	assert_non_null(strstr(errors, "52:district: more than 50 problems: checking stopped "
				       "here\n"));
	g_free(errors);
	g_string_free(csv, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_and_updated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_bad_row_stores_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gb18030_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boxes_cameras_sensors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regulators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_cap, setup, teardown),
	};

	log_init("test_registry", LOG_ERROR);
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
