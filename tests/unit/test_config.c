/* Unit tests: configuration loading and its error messages. */
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

#include "collector_config.h"
#include "config.h"
#include "edge_config.h"
#include "mqtt_settings.h"
#include "sensor.h"

/* All problems of loading text with config helpers, joined by newlines. */
static char *problems_of(struct config *c)
{
	GString *s = g_string_new("");

	for (guint i = 0; i < c->problems->len; i++)
		g_string_append_printf(s, "%s\n", (char *)g_ptr_array_index(c->problems, i));
	return g_string_free(s, FALSE);
}

static void assert_mentions(const char *all, const char *want)
{
	if (!strstr(all, want))
		fail_msg("problems '%s' do not mention '%s'", all, want);
}

static void test_parsers(void **state)
{
	int64_t v;

	(void)state;
	assert_true(config_parse_bytes("512M", &v));
	assert_int_equal(v, 512LL << 20);
	assert_true(config_parse_bytes("4096", &v));
	assert_int_equal(v, 4096);
	assert_false(config_parse_bytes("12 M", &v));
	assert_false(config_parse_bytes("-1G", &v));
	assert_false(config_parse_bytes("G", &v));
	assert_true(config_parse_duration_ms("250ms", &v));
	assert_int_equal(v, 250);
	assert_true(config_parse_duration_ms("7d", &v));
	assert_int_equal(v, 7LL * 86400000);
	assert_true(config_parse_duration_ms("1.5s", &v));
	assert_int_equal(v, 1500);
	assert_false(config_parse_duration_ms("30", &v));
	assert_true(config_parse_duration_ms("0", &v));
	assert_int_equal(v, 0);
	assert_false(config_parse_duration_ms("5 minutes", &v));
}

static void test_getters_report_every_problem(void **state)
{
	struct config c = { 0 };
	const char *path = tmpdir_write("a.conf", "[g]\nnum = 12x\nsize = big\nwhen = soon\n"
						  "flag = maybe\ntypo = 1\n");
	char *all;

	(void)state;
	assert_true(config_load(&c, path));
	assert_int_equal(config_int(&c, "g", "num", 5, 0, 100), 5);
	assert_int_equal(config_bytes(&c, "g", "size", 7, 0), 7);
	assert_int_equal(config_duration_ms(&c, "g", "when", 9, 0, 100000), 9);
	assert_true(config_bool(&c, "g", "flag", true));
	assert_null(config_string(&c, "g", "required", NULL));
	config_check_keys(&c, "g", (const char *const[]){ "num", "size", "when", "flag", NULL });
	assert_false(config_ok(&c));
	all = problems_of(&c);
	assert_mentions(all, "[g] num: '12x' is not a whole number");
	assert_mentions(all, "[g] size: 'big' is not a size");
	assert_mentions(all, "[g] when: 'soon' is not a duration");
	assert_mentions(all, "[g] flag: 'maybe' is not true or false");
	assert_mentions(all, "[g] required: missing (required)");
	assert_mentions(all, "[g] typo: unknown key");
	assert_mentions(all, path);
	g_free(all);
	config_release(&c);
}

static void test_unreadable_file(void **state)
{
	struct config c = { 0 };
	char *all;

	(void)state;
	assert_false(config_load(&c, "/nonexistent/bk.conf"));
	all = problems_of(&c);
	assert_mentions(all, "/nonexistent/bk.conf: cannot load");
	g_free(all);
	config_release(&c);
}

static const char *mqtt_group(void)
{
	static char text[512];

	snprintf(text, sizeof text,
		 "[mqtt]\nuri = ssl://127.0.0.1:8883\nca = %s/ca\ncert = %s/ca\nkey = %s/ca\n", dir,
		 dir, dir);
	tmpdir_write("ca", "not really a certificate\n");
	return text;
}

static void test_edge_config_good(void **state)
{
	struct edge_config cfg;
	char *text =
	    g_strdup_printf("[box]\nid = box-test\nstate_dir = %s/state\n%s"
			    "[sensor fridge-1]\nkind = fridge\ndriver = sim\nperiod = 500ms\n"
			    "[sensor uv-1]\nkind = uv_lamp\ndriver = sim\n",
			    dir, mqtt_group());

	(void)state;
	assert_true(edge_config_load(tmpdir_write("edge.conf", text), &cfg));
	assert_string_equal(cfg.id, "box-test");
	assert_int_equal(cfg.sensors->len, 2);
	assert_int_equal(((struct sensor *)g_ptr_array_index(cfg.sensors, 0))->period_ms, 500);
	assert_string_equal(((struct sensor *)g_ptr_array_index(cfg.sensors, 1))->unit, "on");
	assert_int_equal(cfg.window, 256);
	assert_true(cfg.outbox_sync_full);
	/* [live] defaults */
	assert_int_equal(cfg.live.max_streams, 1);
	assert_int_equal(cfg.live.max_kbps, 4000);
	assert_int_equal(cfg.live.max_length_ms, 600000);
	assert_int_equal(cfg.live.transcode_width, 640);
	edge_config_release(&cfg);
	g_free(text);

	text = g_strdup_printf("[box]\nid = box-test\nstate_dir = %s/state\n%s"
			       "[camera c1]\nsource = test\nlive_source = rtsp://cam/sub\n"
			       "central_storage = true\n[live]\nmax_streams = 2\nmax_kbps = 800\n",
			       dir, mqtt_group());
	assert_true(edge_config_load(tmpdir_write("edge-live.conf", text), &cfg));
	assert_string_equal(((struct camera_config *)g_ptr_array_index(cfg.cameras, 0))->live_source,
			    "rtsp://cam/sub");
	assert_true(((struct camera_config *)g_ptr_array_index(cfg.cameras, 0))->central_storage);
	assert_int_equal(cfg.live.max_streams, 2);
	assert_int_equal(cfg.live.max_kbps, 800);
	edge_config_release(&cfg);
	g_free(text);
}

static void test_edge_config_bad(void **state)
{
	struct edge_config cfg;
	char *text = g_strdup_printf("[box]\nid = svc-wrong\n%s"
				     "[outbox]\nsync = sometimes\n"
				     "[sensor fridge-1]\nkind = toaster\ndriver = sim\n"
				     "[sensor x]\nkind = fridge\ndriver = telepathy\n"
				     "[camera 1]\n",
				     mqtt_group());

	(void)state;
	assert_false(edge_config_load(tmpdir_write("bad.conf", text), &cfg));
	edge_config_release(&cfg);
	g_free(text);
	/* live view: a live_source that is not RTSP, an odd width, a typo */
	text = g_strdup_printf("[box]\nid = box-test\n%s[camera c1]\nsource = test\n"
			       "live_source = http://cam/sub\n",
			       mqtt_group());
	assert_false(edge_config_load(tmpdir_write("bad-live1.conf", text), &cfg));
	edge_config_release(&cfg);
	g_free(text);
	text = g_strdup_printf("[box]\nid = box-test\n%s[live]\ntranscode_width = 641\n",
			       mqtt_group());
	assert_false(edge_config_load(tmpdir_write("bad-live2.conf", text), &cfg));
	edge_config_release(&cfg);
	g_free(text);
	text = g_strdup_printf("[box]\nid = box-test\n%s[live]\nmax_stream = 2\n", mqtt_group());
	assert_false(edge_config_load(tmpdir_write("bad-live3.conf", text), &cfg));
	edge_config_release(&cfg);
	g_free(text);
}

static void test_collector_config(void **state)
{
	struct collector_config cfg;
	char *good = g_strdup_printf("[collector]\nid = svc-collector\narchive = %s/a.db\n%s", dir,
				     mqtt_group());
	char *bad = g_strdup_printf("[collector]\nid = box-1\nbatch_max = 0\n%s", mqtt_group());

	(void)state;
	assert_true(collector_config_load(tmpdir_write("c.conf", good), &cfg));
	assert_string_equal(cfg.share_group, "collectors");
	assert_int_equal(cfg.max_payload, 256 * 1024);
	collector_config_release(&cfg);
	assert_false(collector_config_load(tmpdir_write("c-bad.conf", bad), &cfg));
	collector_config_release(&cfg);
	g_free(good);
	g_free(bad);

	/* an archive on a server: the clip store must be named; the MP4
	 * cache goes beside it; [live] and [storage] defaults and bounds */
	good = g_strdup_printf("[collector]\nid = svc-collector\narchive = postgresql://bk@db/bk\n"
			       "%s\n[http]\nlisten = 127.0.0.1:1\ncert = %s/c.conf\nkey = %s/c.conf\n",
			       mqtt_group(), dir, dir);
	assert_false(collector_config_load(tmpdir_write("c-pg.conf", good), &cfg));
	collector_config_release(&cfg);
	g_free(good);
	good = g_strdup_printf("[collector]\nid = svc-collector\narchive = postgresql://bk@db/bk\n"
			       "clips = %s/store/clips\n%s\n[http]\nlisten = 127.0.0.1:1\ncert = "
			       "%s/c.conf\nkey = %s/c.conf\n",
			       dir, mqtt_group(), dir, dir);
	assert_true(collector_config_load(tmpdir_write("c-pg2.conf", good), &cfg));
	assert_true(g_str_has_suffix(cfg.http.cache, "/store/mp4-cache"));
	assert_int_equal(cfg.live.max_viewers, 32);
	assert_int_equal(cfg.storage.retention_days, 30);
	collector_config_release(&cfg);
	g_free(good);
	good = g_strdup_printf("[collector]\nid = svc-collector\narchive = %s/a.db\n%s\n"
			       "[storage]\nretention_days = 6\n",
			       dir, mqtt_group());
	assert_false(collector_config_load(tmpdir_write("c-days.conf", good), &cfg));
	collector_config_release(&cfg);
	g_free(good);
}

/* [mqtt] uri: one or more brokers, by spaces or commas, each checked. */
static void test_mqtt_uris(void **state)
{
	struct config c = { 0 };
	struct mqtt_settings m = { 0 };
	char *text = g_strdup_printf("[mqtt]\nuri = ssl://a.example:8883 ssl://b.example:1,"
				     "ssl://[::1]:8884\n%s",
				     strstr(mqtt_group(), "ca ="));
	char *all;

	(void)state;
	assert_true(config_load(&c, tmpdir_write("m.conf", text)));
	mqtt_settings_load(&c, &m, NULL);
	assert_true(config_ok(&c));
	assert_int_equal(mqtt_settings_broker_count(&m), 3);
	assert_string_equal(m.uri, "ssl://a.example:8883"); /* the first, as before */
	assert_string_equal(mqtt_settings_broker(&m, 1), "ssl://b.example:1");
	assert_string_equal(mqtt_settings_broker(&m, 2), "ssl://[::1]:8884");
	assert_null(mqtt_settings_broker(&m, 3));
	mqtt_settings_release(&m);
	config_release(&c);
	g_free(text);

	/* one broker: a single URI, as ever */
	assert_true(config_load(&c, tmpdir_write("m1.conf", mqtt_group())));
	mqtt_settings_load(&c, &m, NULL);
	assert_true(config_ok(&c));
	assert_int_equal(mqtt_settings_broker_count(&m), 1);
	assert_string_equal(mqtt_settings_broker(&m, 0), "ssl://127.0.0.1:8883");
	mqtt_settings_release(&m);
	config_release(&c);

	/* every bad one named, each its own problem */
	text = g_strdup_printf("[mqtt]\nuri = ssl://a:1, tcp://b:1883 ssl://c ssl://:5 "
			       "ssl://d:70000 ssl://e:8883/x ssl://[::1 ssl://A:1\n%s",
			       strstr(mqtt_group(), "ca ="));
	assert_true(config_load(&c, tmpdir_write("m-bad.conf", text)));
	mqtt_settings_load(&c, &m, NULL);
	assert_false(config_ok(&c));
	all = problems_of(&c);
	assert_mentions(all, "[mqtt] uri: 'tcp://b:1883' must start with ssl:// (TLS is required)");
	assert_mentions(all, "[mqtt] uri: 'ssl://c' names no port");
	assert_mentions(all, "[mqtt] uri: 'ssl://:5' names no host");
	assert_mentions(all, "[mqtt] uri: 'ssl://d:70000': port 70000 out of range");
	assert_mentions(all, "[mqtt] uri: 'ssl://e:8883/x' is not ssl://HOST:PORT");
	assert_mentions(all, "[mqtt] uri: 'ssl://[::1' has an unclosed");
	assert_mentions(all, "[mqtt] uri: 'ssl://A:1' is listed twice");
	assert_int_equal(c.problems->len, 7);
	g_free(all);
	mqtt_settings_release(&m);
	config_release(&c);
	g_free(text);

	/* separators only */
	text = g_strdup_printf("[mqtt]\nuri = , ,\n%s", strstr(mqtt_group(), "ca ="));
	assert_true(config_load(&c, tmpdir_write("m-none.conf", text)));
	mqtt_settings_load(&c, &m, NULL);
	all = problems_of(&c);
	assert_mentions(all, "[mqtt] uri: no broker given");
	assert_int_equal(mqtt_settings_broker_count(&m), 0);
	g_free(all);
	mqtt_settings_release(&m);
	config_release(&c);
	g_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_getters_report_every_problem),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_edge_config_good),
		cmocka_unit_test(test_edge_config_bad),
		cmocka_unit_test(test_collector_config),
		cmocka_unit_test(test_mqtt_uris),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
