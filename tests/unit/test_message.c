/*
 * Unit tests: every message the code builds passes the validator, and the
 * validator refuses what the schemas refuse. When BK_CAPTURE is set, the
 * built messages are also appended there as "topic<TAB>payload" lines for
 * the independent JSON Schema check (tests/schema/check.py captured).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"

/* Validate msg as received on topic; capture it; return the parsed check. */
static bool check_built(const char *topic, cJSON *msg, char *error, size_t errlen)
{
	char *text = cJSON_PrintUnformatted(msg);
	cJSON *root = cJSON_Parse(text);
	const char *capture = getenv("BK_CAPTURE");
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	bool ok;

	assert_true(topic_parse(topic, &t, error, errlen));
	ok = message_validate(&t, root, &m, &jc);
	snprintf(error, errlen, "%s", jc.error);
	if (capture) {
		FILE *f = fopen(capture, "a");

		assert_non_null(f);
		fprintf(f, "%s\t%s\n", topic, text);
		fclose(f);
	}
	cJSON_Delete(root);
	cJSON_free(text);
	cJSON_Delete(msg);
	return ok;
}

static void test_reading_builds_valid(void **state)
{
	struct reading_sample s[] = {
		{ "fridge-1", "fridge", 1764084529123LL, 4.25, "C" },
		{ "uv-1", "uv_lamp", 1764084529500LL, 1, "on" },
	};
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "box-a", 7);
	assert_true(
	    check_built("bk/v1/box/box-a/reading", message_reading(&e, s, 2), err, sizeof err));
}

static void test_status_builds_valid(void **state)
{
	struct status_health h = { 3, 1.5, 2, 0, 40960, 1 << 30 };
	struct status_sensor sensors[] = { { "fridge-1", "fridge", false },
					   { "gas-1", "gas", true } };
	struct status_info online = { true, "0.1.0", 1764084529123LL, &h, sensors, 2, NULL, 0 };
	struct status_info offline = { .online = false };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "box-a", 7);
	assert_true(
	    check_built("bk/v1/box/box-a/status", message_status(&e, &online), err, sizeof err));
	envelope_stamp(&e, "box-a", 0);
	assert_true(
	    check_built("bk/v1/box/box-a/status", message_status(&e, &offline), err, sizeof err));
}

static void test_ack_builds_valid(void **state)
{
	struct seq_range missing[] = { { 11, 12 }, { 14, 14 } };
	const char *verified[] = { "clip:cam1:1764057600000" };
	const int chunks[] = { 0, 3 };
	struct ack_clip_missing cm[] = { { "clip:cam1:1764057660000", chunks, 2 } };
	struct ack_info a = { .box = "box-a", 10, 20, missing, 2 };
	struct ack_info none = { .box = "box-a" };
	struct ack_info clips = { .box = "box-a",
				  .clips_verified = verified,
				  .n_verified = 1,
				  .clips_missing = cm,
				  .n_clips_missing = 1 };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "svc-collector", 3);
	assert_true(check_built("bk/v1/box/box-a/ack", message_ack(&e, &a), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/ack", message_ack(&e, &none), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/ack", message_ack(&e, &clips), err, sizeof err));
}

static void test_cmd_builds_valid(void **state)
{
	struct cmd_info ping = { "cmd-1", "box-a", CMD_PING, NULL, 0, 0 };
	struct cmd_info snap = { "cmd-2", "box-a", CMD_SNAPSHOT, "cam1", 0, 0 };
	struct cmd_info range = { "cmd-3", "box-a", CMD_UPLOAD_RANGE, "cam1", 1764057600000,
				  1764057660000 };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "svc-bkctl", 1);
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &ping), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &snap), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &range), err, sizeof err));
}

/* The validator's verdict and error for text on topic. */
static bool validate_text(const char *topic, const char *text, char *err, size_t errlen)
{
	cJSON *root = cJSON_Parse(text);
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	bool ok;

	assert_non_null(root);
	assert_true(topic_parse(topic, &t, err, errlen));
	ok = message_validate(&t, root, &m, &jc);
	snprintf(err, errlen, "%s", jc.error);
	cJSON_Delete(root);
	return ok;
}

#define ENV(id, seq)                                                                               \
	"\"v\":1,\"id\":\"" id "\",\"seq\":" #seq                                                  \
	",\"ts\":\"2026-11-25T08:00:00.000Z\",\"mono\":1,\"clock\":\"synced\""
#define SAMPLE                                                                                     \
	"{\"sensor\":\"f-1\",\"kind\":\"fridge\",\"t\":\"2026-11-25T08:00:00.000Z\",\"value\":4,"  \
	"\"unit\":\"C\"}"

static void expect_reject(const char *topic, const char *text, const char *want)
{
	char err[256];

	assert_false(validate_text(topic, text, err, sizeof err));
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void test_reading_rejects(void **state)
{
	const char *topic = "bk/v1/box/box-a/reading";
	char err[256];

	(void)state;
	assert_true(validate_text(topic, "{" ENV("box-a", 1) ",\"readings\":[" SAMPLE "]}", err,
				  sizeof err));
	expect_reject(topic, "{" ENV("box-b", 1) ",\"readings\":[" SAMPLE "]}",
		      "does not match the topic");
	expect_reject(topic, "{" ENV("svc-x", 1) ",\"readings\":[" SAMPLE "]}", "may not send");
	expect_reject(topic, "{" ENV("box-a", 0) ",\"readings\":[" SAMPLE "]}", "start at 1");
	expect_reject(topic, "{" ENV("box-a", 1) ",\"readings\":[]}", "0 items");
	expect_reject(topic, "{" ENV("box-a", 1) "}", "'readings': missing");
	expect_reject(topic, "{" ENV("box-a", 1) ",\"readings\":{}}", "expected an array");
	expect_reject(topic, "{" ENV("box-a", 1) ",\"readings\":[1]}", "readings[0]");
	expect_reject(topic, "{" ENV("box-a", 1) ",\"extra\":1,\"readings\":[" SAMPLE "]}",
		      "'extra': not allowed");
	expect_reject(
	    topic,
	    "{" ENV("box-a",
		    1) ",\"readings\":[" SAMPLE ",{\"sensor\":\"f-1\",\"kind\":\"fridge\","
		       "\"t\":\"2026-11-25T08:00:00.000Z\",\"value\":\"4\",\"unit\":\"C\"}]}",
	    "readings[1].value");
	expect_reject(
	    topic,
	    "{" ENV("box-a", 1) ",\"readings\":[{\"sensor\":\"f-1\",\"kind\":\"toaster\","
				"\"t\":\"2026-11-25T08:00:00.000Z\",\"value\":4,\"unit\":\"C\"}]}",
	    "readings[0].kind");
	expect_reject(topic, "{" ENV("box-a", 1) ",\"seq\":2,\"readings\":[" SAMPLE "]}",
		      "duplicate");
}

static void test_alert_builds_valid(void **state)
{
	struct alert_info full = { "box-a:fridge:1", "fridge:1", "box-a", "330106",
				   "JY13301060012345", "文三路小学食堂", "temperature_high",
				   "warning", "2026-11-25T08:00:00.000Z", "冷藏间", "fridge-1",
				   NULL, "clip:cam1:1:1", "above 8 for 60 s" };
	struct alert_info bare = { .alert_id = "a", .event_id = "e", .box = "box-a",
				   .district = "330106", .licence = "L", .name = "N",
				   .type = "no_mask", .severity = "critical",
				   .start = "2026-11-25T08:00:00.000Z" };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "svc-collector", 9);
	assert_true(check_built("bk/v1/alert/330106", message_alert(&e, &full), err, sizeof err));
	assert_true(check_built("bk/v1/alert/330106", message_alert(&e, &bare), err, sizeof err));
}

static void test_cmd_and_ack_clip_rejects(void **state)
{
	const char *cmd = "bk/v1/box/box-a/cmd", *ack = "bk/v1/box/box-a/ack";

	(void)state;
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"reboot\"}",
		      "'action'");
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-b\","
			   "\"action\":\"ping\"}",
		      "does not match the topic");
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"upload_range\"}",
		      "field 'args': required");
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"upload_range\",\"args\":{\"camera\":\"cam1\","
			   "\"from\":\"2026-11-25T08:00:00.000Z\",\"to\":\"2026-11-25T07:00:00.000Z\"}}",
		      "'args.to': not after");
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"upload_range\",\"args\":{\"camera\":\"cam1\","
			   "\"from\":\"2026-11-25T08:00:00.000Z\",\"to\":\"2026-11-25T10:00:00.000Z\"}}",
		      "longer than 60 minutes");
	expect_reject(cmd, "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"snapshot\",\"args\":{\"camera\":\"../x\"}}",
		      "'args.camera'");
	expect_reject(cmd, "{" ENV("box-a", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
			   "\"action\":\"ping\"}",
		      "may not send cmd");
	expect_reject(ack, "{" ENV("svc-c", 1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
			   "\"missing\":[],\"clips_verified\":[\"a b\"]}",
		      "'clips_verified[0]'");
	expect_reject(ack, "{" ENV("svc-c", 1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
			   "\"missing\":[],\"clips_missing\":[{\"clip_id\":\"c\",\"chunks\":[-1]}]}",
		      "'clips_missing[0].chunks[0]'");
	expect_reject(ack, "{" ENV("svc-c", 1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
			   "\"missing\":[],\"clips_missing\":[{\"clip_id\":\"c\"}]}",
		      "'clips_missing[0].chunks': missing");
#define ALERT(district, est)                                                                       \
	"{" ENV("svc-c", 1) ",\"alert_id\":\"a\",\"event_id\":\"e\",\"box\":\"box-a\","             \
			    "\"district\":\"" district "\",\"establishment\":" est ","                  \
			    "\"type\":\"no_mask\",\"severity\":\"warning\","                            \
			    "\"start\":\"2026-11-25T08:00:00.000Z\"}"
	expect_reject("bk/v1/alert/330102", ALERT("330106", "{\"licence\":\"L\",\"name\":\"N\"}"),
		      "does not match the topic");
	expect_reject("bk/v1/alert/33010", ALERT("33010", "{\"licence\":\"L\",\"name\":\"N\"}"),
		      "'district': not 6 digits");
	expect_reject("bk/v1/alert/330106", ALERT("330106", "{\"licence\":\"L\"}"),
		      "'establishment.name': missing");
	expect_reject("bk/v1/alert/330106",
		      ALERT("330106", "{\"licence\":\"L\",\"name\":\"N\",\"x\":1}"),
		      "establishment.x");
}

static void test_status_and_ack_rejects(void **state)
{
	(void)state;
	expect_reject("bk/v1/box/box-a/status", "{" ENV("box-a", 0) "}", "'state': missing");
	expect_reject("bk/v1/box/box-a/status", "{" ENV("box-a", 0) ",\"state\":\"asleep\"}",
		      "'state'");
	expect_reject("bk/v1/box/box-a/status",
		      "{" ENV("box-a", 0) ",\"state\":\"online\",\"health\":{\"outbox_depth\":-1}}",
		      "health.outbox_depth");
	expect_reject(
	    "bk/v1/box/box-a/ack",
	    "{" ENV("svc-c", 1) ",\"box\":\"box-b\",\"acked\":1,\"max_seen\":1,\"missing\":[]}",
	    "does not match the topic");
	expect_reject(
	    "bk/v1/box/box-a/ack",
	    "{" ENV("svc-c",
		    1) ",\"box\":\"box-a\",\"acked\":1,\"max_seen\":1,\"missing\":[[5,2]]}",
	    "missing[0]");
	expect_reject(
	    "bk/v1/box/box-a/ack",
	    "{" ENV("box-a", 1) ",\"box\":\"box-a\",\"acked\":1,\"max_seen\":1,\"missing\":[]}",
	    "may not send");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reading_builds_valid),
		cmocka_unit_test(test_status_builds_valid),
		cmocka_unit_test(test_ack_builds_valid),
		cmocka_unit_test(test_cmd_builds_valid),
		cmocka_unit_test(test_cmd_and_ack_clip_rejects),
		cmocka_unit_test(test_alert_builds_valid),
		cmocka_unit_test(test_reading_rejects),
		cmocka_unit_test(test_status_and_ack_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
