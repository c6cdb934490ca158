/* Unit tests: envelope encode/decode, timestamps, topics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "envelope.h"
#include "topic.h"

static void test_timestamp_round_trip(void **state)
{
	char ts[CLOCK_TS_LEN];
	int64_t ms = 0;

	(void)state;
	clock_format_ms(1764084529123LL, ts);
	assert_string_equal(ts, "2025-11-25T15:28:49.123Z");
	assert_true(clock_parse_ts(ts, &ms));
	assert_int_equal(ms, 1764084529123LL);
	clock_format_ms(-1, ts);
	assert_string_equal(ts, "1969-12-31T23:59:59.999Z");
}

static void test_timestamp_rejects(void **state)
{
	static const char *const bad[] = {
		"2025-11-25T15:28:49Z",
		"2025-11-25T15:28:49.123+08:00",
		"2025-13-25T15:28:49.123Z",
		"2025-11-25 15:28:49.123Z",
		"2025-11-25T15:28:49.12aZ",
		"2025-11-25T15:28:49.123Zx",
		"",
		"+025-11-25T15:28:49.123Z",
		"2025-02-29T00:00:00.000Z",
		"2024-04-31T00:00:00.000Z",
		"2025-12-31T23:59:60.000Z",
	};
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (clock_parse_ts(bad[i], &ms))
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_true(clock_parse_ts("2024-02-29T00:00:00.000Z", &ms)); /* a leap year */
}

static void test_envelope_round_trip(void **state)
{
	struct envelope in, out;
	struct jcheck jc = { 0 };
	cJSON *obj = cJSON_CreateObject();

	(void)state;
	envelope_stamp(&in, "box-kitchen-7", 42);
	envelope_add(obj, &in);
	assert_true(envelope_read(&jc, obj, &out));
	assert_string_equal(out.id, "box-kitchen-7");
	assert_int_equal(out.seq, 42);
	assert_string_equal(out.ts, in.ts);
	assert_int_equal(out.mono, in.mono);
	assert_int_equal(out.synced, in.synced);
	cJSON_Delete(obj);
}

/* Parse text and check that envelope_read fails naming want in the error. */
static void expect_invalid(const char *text, const char *want)
{
	cJSON *obj = cJSON_Parse(text);
	struct jcheck jc = { 0 };
	struct envelope e;

	assert_non_null(obj);
	assert_false(envelope_read(&jc, obj, &e));
	if (!strstr(jc.error, want))
		fail_msg("error '%s' does not mention '%s'", jc.error, want);
	cJSON_Delete(obj);
}

#define GOOD_TAIL "\"ts\":\"2026-11-25T08:00:00.000Z\",\"mono\":5,\"clock\":\"synced\""

static void test_envelope_rejects(void **state)
{
	(void)state;
	expect_invalid("{\"v\":2,\"id\":\"box-a\",\"seq\":1," GOOD_TAIL "}",
		       "unsupported version 2");
	expect_invalid("{\"id\":\"box-a\",\"seq\":1," GOOD_TAIL "}", "'v': missing");
	expect_invalid("{\"v\":1,\"id\":\"pc-a\",\"seq\":1," GOOD_TAIL "}", "field 'id'");
	expect_invalid("{\"v\":1,\"id\":\"box-\",\"seq\":1," GOOD_TAIL "}", "field 'id'");
	expect_invalid("{\"v\":1,\"id\":\"box-a\",\"seq\":\"1\"," GOOD_TAIL "}",
		       "'seq': expected an integer");
	expect_invalid("{\"v\":1,\"id\":\"box-a\",\"seq\":1.5," GOOD_TAIL "}",
		       "'seq': expected an integer");
	expect_invalid("{\"v\":1,\"id\":\"box-a\",\"seq\":-1," GOOD_TAIL "}", "'seq'");
	expect_invalid("{\"v\":1,\"id\":\"box-a\",\"seq\":1,\"ts\":\"yesterday\",\"mono\":5,"
		       "\"clock\":\"synced\"}",
		       "'ts'");
	expect_invalid("{\"v\":1,\"id\":\"box-a\",\"seq\":1,\"ts\":\"2026-11-25T08:00:00.000Z\","
		       "\"mono\":5,\"clock\":\"gps\"}",
		       "'clock'");
	expect_invalid("[1,2,3]", "JSON object");
}

static void test_party(void **state)
{
	(void)state;
	assert_int_equal(envelope_party("box-1"), PARTY_BOX);
	assert_int_equal(envelope_party("svc-collector"), PARTY_SERVICE);
	assert_int_equal(envelope_party("hh-zhang.san"), PARTY_HANDHELD);
	assert_int_equal(envelope_party("reg-1"), PARTY_REGULATOR);
	assert_int_equal(envelope_party("box-"), PARTY_INVALID);
	assert_int_equal(envelope_party("box-/x"), PARTY_INVALID);
	assert_int_equal(envelope_party("box-_x"), PARTY_INVALID);
	assert_int_equal(envelope_party("admin"), PARTY_INVALID);
}

static void test_topics(void **state)
{
	struct topic t;
	char err[128], buf[TOPIC_MAX];

	(void)state;
	assert_true(topic_parse("bk/v1/box/box-1/reading", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_READING);
	assert_string_equal(t.owner, "box-1");
	assert_true(topic_parse("bk/v1/box/box-1/clip/c-9/12", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_CHUNK);
	assert_string_equal(t.clip_id, "c-9");
	assert_int_equal(t.chunk, 12);
	assert_true(topic_parse("bk/v1/alert/330102", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_ALERT);
	assert_true(topic_parse("bk/v1/hh/hh-1/report", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_REPORT);
	assert_true(topic_parse("bk/v1/box/box-1/live", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_LIVE);
	assert_true(topic_parse("bk/v1/box/box-1/live/cam-1", &t, err, sizeof err));
	assert_int_equal(t.kind, MSG_LIVE_CHUNK);
	assert_string_equal(t.owner, "box-1");
	assert_string_equal(t.camera, "cam-1");
	topic_format_live(buf, "box-1", "cam-1");
	assert_string_equal(buf, "bk/v1/box/box-1/live/cam-1");
	assert_false(topic_parse("bk/v1/box/box-1/live/cam 1", &t, err, sizeof err));
	assert_string_equal(err, "topic has an invalid camera id");
	assert_false(topic_parse("bk/v1/box/box-1/live/cam-1/x", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/hh-1/live/cam-1", &t, err, sizeof err));

	assert_false(topic_parse("bk/v2/box/box-1/reading", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/readings", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/reading/", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box//reading", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/clip/c-9/-1", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/clip/c-9/x", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/clip/c-9/1/2", &t, err, sizeof err));
	assert_false(topic_parse("bk/v1/box/box-1/chunk", &t, err, sizeof err));

	topic_format(buf, MSG_ACK, "box-1");
	assert_string_equal(buf, "bk/v1/box/box-1/ack");
	topic_format(buf, MSG_TASK, "hh-2");
	assert_string_equal(buf, "bk/v1/hh/hh-2/task");
	topic_format(buf, MSG_ALERT, "330102");
	assert_string_equal(buf, "bk/v1/alert/330102");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamp_round_trip),
		cmocka_unit_test(test_timestamp_rejects),
		cmocka_unit_test(test_envelope_round_trip),
		cmocka_unit_test(test_envelope_rejects),
		cmocka_unit_test(test_party),
		cmocka_unit_test(test_topics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
