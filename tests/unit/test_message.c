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
#include <glib.h>

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
	struct status_cert cert = { "5C1A7F0E93D2", 1864084529123LL };
	struct status_info online = {
		true, "0.1.0", 1764084529123LL, &h, sensors, 2, NULL, 0, &cert
	};
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
	struct cmd_info ping = { .cmd_id = "cmd-1", .box = "box-a", .action = CMD_PING };
	struct cmd_info snap = { .cmd_id = "cmd-2", .box = "box-a", .action = CMD_SNAPSHOT,
				 .camera = "cam1" };
	struct cmd_info range = { .cmd_id = "cmd-3",
				  .box = "box-a",
				  .action = CMD_UPLOAD_RANGE,
				  .camera = "cam1",
				  .from_ms = 1764057600000,
				  .to_ms = 1764057660000 };
	struct cmd_info live = { .cmd_id = "cmd-4", .box = "box-a", .action = CMD_LIVE,
				 .camera = "cam1", .lease_s = 30 };
	struct cmd_info stop = { .cmd_id = "cmd-5", .box = "box-a", .action = CMD_LIVE_STOP,
				 .camera = "cam1" };
	struct live_info starting = { .camera = "cam1", .state = LIVE_STARTING, .codec = "h265>h264",
				      .streams = 1, .max_streams = 2 };
	struct live_info refused = { .camera = "cam2", .state = LIVE_REFUSED,
				     .why = "box-a streams 1 camera live already", .streams = 1,
				     .max_streams = 1 };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "svc-bkctl", 1);
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &ping), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &snap), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &range), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &live), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/cmd", message_cmd(&e, &stop), err, sizeof err));
	envelope_stamp(&e, "box-a", 7);
	assert_true(check_built("bk/v1/box/box-a/live", message_live(&e, &starting), err, sizeof err));
	assert_true(check_built("bk/v1/box/box-a/live", message_live(&e, &refused), err, sizeof err));
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
	struct alert_info full = {
		"box-a:fridge:1",   "fridge:1",		"box-a",
		"330106",	    "JY13301060012345", "文三路小学食堂",
		"temperature_high", "warning",		"2026-11-25T08:00:00.000Z",
		"冷藏间",	    "fridge-1",		NULL,
		"clip:cam1:1:1",    "above 8 for 60 s"
	};
	struct alert_info bare = { .alert_id = "a",
				   .event_id = "e",
				   .box = "box-a",
				   .district = "330106",
				   .licence = "L",
				   .name = "N",
				   .type = "no_mask",
				   .severity = "critical",
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
	expect_reject(cmd,
		      "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
					  "\"action\":\"reboot\"}",
		      "'action'");
	expect_reject(cmd,
		      "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-b\","
					  "\"action\":\"ping\"}",
		      "does not match the topic");
	expect_reject(cmd,
		      "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
					  "\"action\":\"upload_range\"}",
		      "field 'args': required");
	expect_reject(
	    cmd,
	    "{" ENV(
		"svc-c",
		1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
		   "\"action\":\"upload_range\",\"args\":{\"camera\":\"cam1\","
		   "\"from\":\"2026-11-25T08:00:00.000Z\",\"to\":\"2026-11-25T07:00:00.000Z\"}}",
	    "'args.to': not after");
	expect_reject(
	    cmd,
	    "{" ENV(
		"svc-c",
		1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
		   "\"action\":\"upload_range\",\"args\":{\"camera\":\"cam1\","
		   "\"from\":\"2026-11-25T08:00:00.000Z\",\"to\":\"2026-11-25T10:00:00.000Z\"}}",
	    "longer than 60 minutes");
	expect_reject(cmd,
		      "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
					  "\"action\":\"snapshot\",\"args\":{\"camera\":\"../x\"}}",
		      "'args.camera'");
	expect_reject(cmd,
		      "{" ENV("box-a", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
					  "\"action\":\"ping\"}",
		      "may not send cmd");
#define LIVE_CMD(args)                                                                             \
	"{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\",\"action\":\"live\",\"args\":" args "}"
	expect_reject(cmd, LIVE_CMD("{\"camera\":\"cam1\"}"), "'args.lease': missing");
	expect_reject(cmd, LIVE_CMD("{\"camera\":\"cam1\",\"lease\":4}"), "'args.lease'");
	expect_reject(cmd, LIVE_CMD("{\"camera\":\"cam1\",\"lease\":301}"), "'args.lease'");
	expect_reject(cmd, LIVE_CMD("{\"lease\":30}"), "'args.camera': missing");
	expect_reject(cmd,
		      LIVE_CMD("{\"camera\":\"cam1\",\"lease\":30,"
			       "\"from\":\"2026-11-25T08:00:00.000Z\"}"),
		      "only for upload_range");
	expect_reject(cmd,
		      "{" ENV("svc-c", 1) ",\"cmd_id\":\"c1\",\"box\":\"box-a\","
					  "\"action\":\"live_stop\",\"args\":{\"camera\":\"cam1\",\"lease\":30}}",
		      "'args.lease': only for live");
#define LIVE_STATE(rest)                                                                           \
	"{" ENV("box-a", 1) ",\"camera\":\"cam1\",\"streams\":1,\"max_streams\":1," rest "}"
	expect_reject("bk/v1/box/box-a/live", LIVE_STATE("\"state\":\"refused\""),
		      "'why': required");
	expect_reject("bk/v1/box/box-a/live", LIVE_STATE("\"state\":\"playing\""), "'state'");
	expect_reject("bk/v1/box/box-a/live",
		      LIVE_STATE("\"state\":\"starting\",\"codec\":\"h264 main\""), "'codec'");
	expect_reject("bk/v1/box/box-b/live", LIVE_STATE("\"state\":\"starting\""),
		      "does not match the topic");
	expect_reject(ack,
		      "{" ENV("svc-c", 1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
					  "\"missing\":[],\"clips_verified\":[\"a b\"]}",
		      "'clips_verified[0]'");
	expect_reject(
	    ack,
	    "{" ENV("svc-c",
		    1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
		       "\"missing\":[],\"clips_missing\":[{\"clip_id\":\"c\",\"chunks\":[-1]}]}",
	    "'clips_missing[0].chunks[0]'");
	expect_reject(ack,
		      "{" ENV("svc-c", 1) ",\"box\":\"box-a\",\"acked\":0,\"max_seen\":0,"
					  "\"missing\":[],\"clips_missing\":[{\"clip_id\":\"c\"}]}",
		      "'clips_missing[0].chunks': missing");
#define ALERT(district, est)                                                                       \
	"{" ENV("svc-c", 1) ",\"alert_id\":\"a\",\"event_id\":\"e\",\"box\":\"box-a\","            \
			    "\"district\":\"" district "\",\"establishment\":" est ","             \
			    "\"type\":\"no_mask\",\"severity\":\"warning\","                       \
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
	    "bk/v1/box/box-a/status",
	    "{" ENV("box-a", 0) ",\"state\":\"online\",\"certificate\":{\"serial\":\"0x1F\","
				"\"not_after\":\"2028-01-01T00:00:00.000Z\"}}",
	    "certificate.serial");
	expect_reject(
	    "bk/v1/box/box-a/status",
	    "{" ENV("box-a", 0) ",\"state\":\"online\",\"certificate\":{\"serial\":\"1F\"}}",
	    "certificate.not_after");
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

/* --- tasks and reports ------------------------------------------------ */

static void test_task_builds_valid(void **state)
{
	const char *two[] = { "hh-330106-017", "hh-330106-023" };
	const char *reason[] = { "alr-330106-20250314-0007" };
	struct task_info full = { "task-330106-2026-0412",
				  "dispatched",
				  "JY13301060012345",
				  "文三路小学食堂",
				  "文三路 188 号",
				  "330106",
				  "school_canteen",
				  "alert",
				  "2026-03-15",
				  two,
				  2,
				  reason,
				  1,
				  "catering-2026",
				  "冷藏柜连续超温" };
	struct task_info bare = { .task_id = "t-1",
				  .state = "cancelled",
				  .licence = "L",
				  .name = "N",
				  .kind = "routine",
				  .due = "2026-12-31",
				  .inspectors = two,
				  .n_inspectors = 2 };
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "svc-collector", 11);
	assert_true(
	    check_built("bk/v1/hh/hh-330106-017/task", message_task(&e, &full), err, sizeof err));
	assert_true(
	    check_built("bk/v1/hh/hh-330106-023/task", message_task(&e, &bare), err, sizeof err));
	/* an inspector not on the task does not get it */
	assert_false(
	    check_built("bk/v1/hh/hh-330106-099/task", message_task(&e, &bare), err, sizeof err));
	assert_non_null(strstr(err, "field 'inspectors': 'hh-330106-099' is not among them"));
}

static void test_report_builds_valid(void **state)
{
	const char *two[] = { "hh-330106-017", "hh-330106-023" };
	const char *photos[] = { "photo:hh-330106-017:20260315T012044-01.jpg" };
	struct report_answer answers[] = { { "4.2", "no", "冷藏柜温度 9°C", photos, 1 },
					   { "4.3", "yes", NULL, NULL, 0 },
					   { "10.1", "na", NULL, NULL, 0 } };
	struct report_record rec = { "catering-2026",
				     1,
				     answers,
				     3,
				     "basically_compliant",
				     two,
				     2,
				     "2026-03-15T01:05:00.000Z",
				     "文三路 188 号",
				     "冷藏柜显示温度 9°C，未见超温处置记录。",
				     "2026-03-22" };
	struct report_penalty warning = { .party = "文三路小学",
					  .party_type = "organisation",
					  .penalty_type = "warning",
					  .violation = "冷藏超温",
					  .legal_basis = "《食品安全法》第一百二十六条" };
	struct report_penalty cash = { "张三",
				       "individual",
				       "fine",
				       100,
				       "无健康证明",
				       "《食品安全法》第一百二十六条",
				       "on_the_spot",
				       "西市监〔2026〕简易第0007号",
				       "2026-03-15T01:40:00.000Z",
				       "文三路 188 号",
				       true };
	struct report_penalty bank = { .party = "某餐饮有限公司",
				       .party_type = "organisation",
				       .penalty_type = "fine",
				       .amount_cny = 2999.5,
				       .violation = "v",
				       .legal_basis = "b",
				       .payment = "bank" };
	struct report_info st = { "task-1", "state", "in_progress", NULL, NULL };
	struct report_info r_rec = { "task-1", "record", NULL, &rec, NULL };
	struct report_info r_warn = { "task-1", "penalty", NULL, NULL, &warning };
	struct report_info r_cash = { "task-1", "penalty", NULL, NULL, &cash };
	struct report_info r_bank = { "task-1", "penalty", NULL, NULL, &bank };
	const char *topic = "bk/v1/hh/hh-330106-017/report";
	struct envelope e;
	char err[256];

	(void)state;
	envelope_stamp(&e, "hh-330106-017", 5);
	assert_true(check_built(topic, message_report(&e, &st), err, sizeof err));
	if (!check_built(topic, message_report(&e, &r_rec), err, sizeof err))
		fail_msg("%s", err);
	assert_true(check_built(topic, message_report(&e, &r_warn), err, sizeof err));
	if (!check_built(topic, message_report(&e, &r_cash), err, sizeof err))
		fail_msg("%s", err);
	assert_true(check_built(topic, message_report(&e, &r_bank), err, sizeof err));
	rec.result = "compliant";
	answers[0].answer = "yes";
	rec.deadline = NULL;
	assert_true(check_built(topic, message_report(&e, &r_rec), err, sizeof err));
}

#define TASK(inspectors, extra)                                                                    \
	"{" ENV("svc-c",                                                                           \
		1) ",\"task_id\":\"t1\",\"state\":\"dispatched\","                                 \
		   "\"establishment\":{\"licence\":\"L\",\"name\":\"N\"},\"kind\":\"routine\","    \
		   "\"due\":\"2026-03-15\",\"inspectors\":" inspectors extra "}"
#define REPORT(kind, body) "{" ENV("hh-a", 1) ",\"task_id\":\"t1\",\"kind\":\"" kind "\"" body "}"
#define ANSWERS		   "[{\"item\":\"1.1\",\"answer\":\"no\"},{\"item\":\"1.2\",\"answer\":\"yes\"}]"
#define RECORD(answers, result, extra)                                                             \
	REPORT("record",                                                                           \
	       ",\"record\":{\"checklist\":{\"id\":\"catering-2026\",\"version\":1},"              \
	       "\"answers\":" answers ",\"result\":\"" result "\","                                \
	       "\"inspectors\":[\"hh-a\",\"hh-b\"],\"time\":\"2026-03-15T01:05:00.000Z\","         \
	       "\"place\":\"P\",\"facts\":\"F\"" extra "}")
#define PENALTY(party_type, type, amount, extra)                                                   \
	REPORT("penalty", ",\"penalty\":{\"party\":\"P\",\"party_type\":\"" party_type "\","       \
			  "\"penalty_type\":\"" type "\",\"amount_cny\":" amount ","               \
			  "\"violation\":\"V\",\"legal_basis\":\"B\"" extra "}")

static void test_task_and_report_rejects(void **state)
{
	const char *task = "bk/v1/hh/hh-a/task", *rep = "bk/v1/hh/hh-a/report";
	char err[256];

	(void)state;
	assert_true(validate_text(task, TASK("[\"hh-a\",\"hh-b\"]", ""), err, sizeof err));
	expect_reject(task, TASK("[\"hh-a\"]", ""), "field 'inspectors': 1 items");
	expect_reject(task, TASK("[\"hh-a\",\"hh-a\"]", ""),
		      "'inspectors[1]': 'hh-a' is listed twice");
	expect_reject(task, TASK("[\"hh-a\",\"box-b\"]", ""), "'inspectors[1]': not a handheld id");
	expect_reject(task, TASK("[\"hh-b\",\"hh-c\"]", ""),
		      "'inspectors': 'hh-a' is not among them");
	expect_reject(task, TASK("[\"hh-a\",\"hh-b\"]", ",\"due\":\"x\""), "duplicate");
	expect_reject(task, TASK("[\"hh-a\",\"hh-b\"]", ",\"checklist\":\"../x\""), "'checklist'");
	expect_reject(task, TASK("[\"hh-a\",\"hh-b\"]", ",\"reason\":[\"\"]"), "'reason[0]'");
	expect_reject(task, TASK("[\"hh-a\",\"hh-b\"]", ",\"priority\":1"),
		      "'priority': not allowed");
	expect_reject(
	    task,
	    "{" ENV("svc-c",
		    1) ",\"task_id\":\"t1\",\"state\":\"dispatched\","
		       "\"establishment\":{\"licence\":\"L\",\"name\":\"N\",\"category\":\"学校\"},"
		       "\"kind\":\"routine\",\"due\":\"2026-03-15\",\"inspectors\":[\"hh-a\",\"hh-"
		       "b\"]}",
	    "'establishment.category'");
	expect_reject(
	    task,
	    "{" ENV("svc-c",
		    1) ",\"task_id\":\"t1\",\"state\":\"dispatched\","
		       "\"establishment\":{\"licence\":\"L\",\"name\":\"N\"},\"kind\":\"routine\","
		       "\"due\":\"2026/03/15\",\"inspectors\":[\"hh-a\",\"hh-b\"]}",
	    "field 'due': not a date");
	expect_reject(
	    task,
	    "{" ENV("hh-a",
		    1) ",\"task_id\":\"t1\",\"state\":\"dispatched\","
		       "\"establishment\":{\"licence\":\"L\",\"name\":\"N\"},\"kind\":\"routine\","
		       "\"due\":\"2026-03-15\",\"inspectors\":[\"hh-a\",\"hh-b\"]}",
	    "may not send task");

	assert_true(
	    validate_text(rep, REPORT("state", ",\"state\":\"received\""), err, sizeof err));
	expect_reject("bk/v1/hh/hh-b/report", REPORT("state", ",\"state\":\"received\""),
		      "does not match the topic");
	expect_reject(rep, REPORT("state", ",\"state\":\"lost\""), "field 'state'");
	expect_reject(rep, REPORT("state", ""), "field 'state': missing");
	expect_reject(rep, REPORT("state", ",\"state\":\"received\",\"penalty\":{}"),
		      "field 'penalty': not allowed in a report of kind state");
	expect_reject(rep, REPORT("record", ""), "field 'record': missing");

	if (!validate_text(rep, RECORD(ANSWERS, "non_compliant", ""), err, sizeof err))
		fail_msg("%s", err);
	expect_reject(rep, RECORD(ANSWERS, "compliant", ""),
		      "field 'record.result': compliant, but 1 item(s) answered no");
	expect_reject(rep, RECORD("[{\"item\":\"1.1\",\"answer\":\"na\"}]", "non_compliant", ""),
		      "field 'record.result': non_compliant, but no item answered no");
	expect_reject(rep, RECORD(ANSWERS, "basically_compliant", ""),
		      "field 'record.deadline': missing, required for basically_compliant");
	expect_reject(rep,
		      RECORD("[{\"item\":\"1.1\",\"answer\":\"yes\"}]", "compliant",
			     ",\"deadline\":\"2026-03-22\""),
		      "field 'record.deadline': not allowed when compliant");
	expect_reject(rep, RECORD("[]", "compliant", ""), "field 'record.answers': 0 items");
	expect_reject(
	    rep,
	    RECORD("[{\"item\":\"1.1\",\"answer\":\"no\"},{\"item\":\"1.1\",\"answer\":\"yes\"}]",
		   "non_compliant", ""),
	    "field 'record.answers[1].item': '1.1' is answered twice");
	expect_reject(rep, RECORD("[{\"item\":\"1.1\",\"answer\":\"maybe\"}]", "compliant", ""),
		      "record.answers[0].answer");
	expect_reject(rep,
		      RECORD("[{\"item\":\"1.1\",\"answer\":\"no\",\"photos\":[\"ok\",\"../x\"]}]",
			     "non_compliant", ""),
		      "field 'record.answers[0].photos[1]': not a photo reference");
	expect_reject(
	    rep, RECORD("[{\"item\":\"1.1\",\"answer\":\"no\",\"score\":3}]", "non_compliant", ""),
	    "record.answers[0].score");
	expect_reject(rep, RECORD(ANSWERS, "non_compliant", ",\"weather\":\"晴\""),
		      "'record.weather': not allowed");
	expect_reject(rep, RECORD(ANSWERS, "non_compliant", ",\"facts\":\"\""), "duplicate");
	expect_reject(
	    rep,
	    REPORT("record",
		   ",\"record\":{\"checklist\":{\"id\":\"c\",\"version\":0},"
		   "\"answers\":" ANSWERS ",\"result\":\"non_compliant\","
		   "\"inspectors\":[\"hh-a\",\"hh-b\"],"
		   "\"time\":\"2026-03-15T01:05:00.000Z\",\"place\":\"P\",\"facts\":\"F\"}"),
	    "record.checklist.version");
	expect_reject(
	    rep,
	    REPORT("record",
		   ",\"record\":{\"checklist\":{\"id\":\"c\",\"version\":1},"
		   "\"answers\":" ANSWERS ",\"result\":\"non_compliant\","
		   "\"inspectors\":[\"hh-b\",\"hh-c\"],"
		   "\"time\":\"2026-03-15T01:05:00.000Z\",\"place\":\"P\",\"facts\":\"F\"}"),
	    "field 'record.inspectors': 'hh-a' is not among them");
	expect_reject(
	    rep,
	    REPORT("record",
		   ",\"record\":{\"checklist\":{\"id\":\"c\",\"version\":1},"
		   "\"answers\":" ANSWERS ",\"result\":\"non_compliant\","
		   "\"inspectors\":[\"hh-a\",\"hh-b\"],"
		   "\"time\":\"2026-03-15T01:05:00.000Z\",\"place\":\"\",\"facts\":\"F\"}"),
	    "field 'record.place': empty");

	assert_true(validate_text(rep, PENALTY("individual", "warning", "0", ""), err, sizeof err));
	assert_true(validate_text(
	    rep, PENALTY("individual", "fine", "200", ",\"payment\":\"bank\""), err, sizeof err));
	expect_reject(rep, PENALTY("individual", "fine", "200.01", ",\"payment\":\"bank\""),
		      "field 'penalty.amount_cny': a fine of 200.01 CNY for an individual exceeds "
		      "the simple procedure's cap of 200.00 CNY: use the ordinary procedure");
	expect_reject(rep, PENALTY("organisation", "fine", "3500", ",\"payment\":\"bank\""),
		      "cap of 3000.00 CNY");
	expect_reject(rep, PENALTY("organisation", "fine", "10.005", ",\"payment\":\"bank\""),
		      "below 0.01 CNY");
	expect_reject(rep, PENALTY("organisation", "warning", "5", ""), "warning carries no fine");
	expect_reject(rep, PENALTY("organisation", "fine", "-5", ",\"payment\":\"bank\""),
		      "negative");
	expect_reject(rep, PENALTY("organisation", "fine", "50", ""),
		      "field 'penalty.payment': missing, required for a fine");
	expect_reject(rep, PENALTY("organisation", "warning", "0", ",\"payment\":\"bank\""),
		      "field 'penalty.payment': not allowed for a warning");
	expect_reject(rep, PENALTY("individual", "fine", "100.5", ",\"payment\":\"on_the_spot\""),
		      "field 'penalty.payment': on_the_spot only up to 100 CNY");
	expect_reject(rep, PENALTY("company", "fine", "10", ",\"payment\":\"bank\""),
		      "penalty.party_type");
	expect_reject(rep, PENALTY("individual", "fine", "\"10\"", ",\"payment\":\"bank\""),
		      "penalty.amount_cny");
	expect_reject(rep, PENALTY("individual", "warning", "0", ",\"refused_to_sign\":1"),
		      "field 'penalty.refused_to_sign'");
	expect_reject(rep, PENALTY("individual", "warning", "0", ",\"decision_number\":\"\""),
		      "field 'penalty.decision_number': empty");
}

/* The C validator agrees with the schema examples (tests/schema/check.py
 * checks them against the JSON Schemas): read from schemas/examples/. */
static void test_task_report_examples(void **state)
{
	const char *dir = "schemas/examples";
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	(void)state;
	if (!d)
		skip();
	while ((name = g_dir_read_name(d))) {
		bool is_task = g_str_has_prefix(name, "task."),
		     valid = strstr(name, ".valid") != NULL;
		char *path, *text, topic[TOPIC_MAX], err[256];
		cJSON *root;
		const cJSON *who;

		if (!is_task && !g_str_has_prefix(name, "report."))
			continue;
		path = g_build_filename(dir, name, NULL);
		assert_true(g_file_get_contents(path, &text, NULL, NULL));
		root = cJSON_Parse(text);
		assert_non_null(root);
		who = is_task ? cJSON_GetArrayItem(cJSON_GetObjectItem(root, "inspectors"), 0)
			      : cJSON_GetObjectItem(root, "id");
		topic_format(topic, is_task ? MSG_TASK : MSG_REPORT,
			     cJSON_IsString(who) ? who->valuestring : "hh-x");
		if (validate_text(topic, text, err, sizeof err) != valid)
			fail_msg("%s: %s by the C validator (%s)", name,
				 valid ? "rejected" : "accepted", err);
		cJSON_Delete(root);
		g_free(text);
		g_free(path);
		n++;
	}
	g_dir_close(d);
	assert_true(n >= 10);
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
		cmocka_unit_test(test_task_builds_valid),
		cmocka_unit_test(test_report_builds_valid),
		cmocka_unit_test(test_task_and_report_rejects),
		cmocka_unit_test(test_task_report_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
