/*
 * Unit tests: the judgements behind `bk-edge --selftest` (edge/selftest.c)
 * — clock, offset to the centre, disk budget, the box's certificate, the
 * plain words for GStreamer's and the broker's failures, acks — and the
 * state directory's lock (edge/state_lock.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "selftest.h"
#include "state_lock.h"
#include "unit_tmpdir.h"

#define DAY INT64_C(86400000)
#define NOW INT64_C(1795000000000) /* 2026-11-18 */

#define assert_has(text, part)                                                                     \
	do {                                                                                       \
		if (!strstr((text), (part)))                                                       \
			fail_msg("'%s' does not contain '%s'", (text), (part));                    \
	} while (0)

static void test_clock(void **state)
{
	struct selftest_line l;

	(void)state;
	selftest_judge_clock(NOW, true, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	assert_string_equal(l.what, "clock");
	assert_has(l.fact, "2026-11-18 ");
	assert_has(l.fact, " UTC, synchronised by NTP");
	/* not synchronised: only a warning, the centre's clock decides */
	selftest_judge_clock(NOW, false, &l);
	assert_int_equal(l.mark, SELFTEST_WARN);
	assert_has(l.fact, "not synchronised by NTP");
	assert_has(l.hint, "timedatectl set-ntp true");
	/* a clock that has never been set fails, synchronised or not */
	selftest_judge_clock(3000, true, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "1970-01-01 00:00:03 UTC: it has never been set");
	selftest_judge_clock(INT64_C(1704067199000), false, &l); /* 2023-12-31 23:59:59 */
	assert_int_equal(l.mark, SELFTEST_FAIL);
	selftest_judge_clock(INT64_C(1704067200000), false, &l); /* 2024-01-01 */
	assert_int_equal(l.mark, SELFTEST_WARN);
}

static void test_offset(void **state)
{
	struct selftest_line l;

	(void)state;
	selftest_judge_offset(120, 40, true, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	assert_has(l.fact, "+0.12 s from ours (± 0.02 s)");
	/* the limit counts against the measurement's uncertainty, half the trip */
	selftest_judge_offset(-SELFTEST_MAX_OFFSET_MS - 900, 2000, true, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	selftest_judge_offset(-SELFTEST_MAX_OFFSET_MS - 1100, 2000, true, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "-6.10 s from ours");
	assert_has(l.hint, "NTP");
	selftest_judge_offset(SELFTEST_MAX_OFFSET_MS + 1, 0, true, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	/* the centre's own clock unsynchronised is said, not failed */
	selftest_judge_offset(0, 10, false, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	assert_has(l.fact, "the centre's own clock is not synchronised");
}

static void test_disk(void **state)
{
	struct selftest_line l;
	char b[32];

	(void)state;
	selftest_format_bytes(512, b, sizeof b);
	assert_string_equal(b, "512 B");
	selftest_format_bytes(1536, b, sizeof b);
	assert_string_equal(b, "1.5 KiB");
	selftest_format_bytes(INT64_C(16) << 30, b, sizeof b);
	assert_string_equal(b, "16.0 GiB");

	selftest_judge_disk("/data", INT64_C(20) << 30, 0, INT64_C(16) << 30, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	assert_has(l.fact, "20.0 GiB free + 0 B used by the box ≥ disk_budget 16.0 GiB");
	/* what the box already uses counts: the budget includes it */
	selftest_judge_disk("/data", INT64_C(10) << 30, INT64_C(6) << 30, INT64_C(16) << 30, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	selftest_judge_disk("/data", INT64_C(3) << 30, INT64_C(1) << 30, INT64_C(16) << 30, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "only 3.0 GiB free + 1.0 GiB used by the box, less than disk_budget");
	assert_has(l.hint, "disk_budget to at most 4096M");
}

static struct cert_info cert(const char *cn, int64_t from, int64_t until)
{
	struct cert_info ci = { .not_before_ms = from, .not_after_ms = until };

	snprintf(ci.serial, sizeof ci.serial, "0A1B");
	snprintf(ci.cn, sizeof ci.cn, "%s", cn);
	return ci;
}

static void test_cert(void **state)
{
	struct selftest_line l;
	struct cert_info ci = cert("box-a", NOW - DAY, NOW + 400 * DAY);

	(void)state;
	selftest_judge_cert(&ci, "/etc/a.crt", "box-a", NOW, 30, &l);
	assert_int_equal(l.mark, SELFTEST_PASS);
	assert_has(l.fact, "box-a, valid until 2027-12-23");
	assert_has(l.fact, "(400 days left)");
	ci = cert("box-a", NOW - DAY, NOW + 29 * DAY + 1);
	selftest_judge_cert(&ci, "/etc/a.crt", "box-a", NOW, 30, &l);
	assert_int_equal(l.mark, SELFTEST_WARN);
	assert_has(l.fact, "only 29 days left");
	ci = cert("box-a", NOW - 400 * DAY, NOW - 1);
	selftest_judge_cert(&ci, "/etc/a.crt", "box-a", NOW, 30, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "box-a expired on 2026-11-18");
	assert_has(l.hint, "renewed certificate");
	ci = cert("box-a", NOW + DAY, NOW + 400 * DAY);
	selftest_judge_cert(&ci, "/etc/a.crt", "box-a", NOW, 30, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "valid only from 2026-11-19");
	assert_has(l.hint, "clock");
	ci = cert("box-b", NOW - DAY, NOW + 400 * DAY);
	selftest_judge_cert(&ci, "/etc/a.crt", "box-a", NOW, 30, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "'/etc/a.crt' is issued to 'box-b', not to this box 'box-a'");
}

static void test_camera_words(void **state)
{
	struct camera_config cc = { .id = "cam1",
				    .kind = CAMERA_RTSP,
				    .uri =
					"rtsp://admin:s3cret@192.168.1.64/Streaming/Channels/101" };
	struct camera_config v4l2 = { .id = "usb", .kind = CAMERA_V4L2, .uri = "/dev/video0" };
	struct selftest_line l;

	(void)state;
	selftest_judge_camera(&cc, "Could not open resource for reading and writing.", &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_string_equal(l.what, "camera cam1");
	assert_has(l.fact, "cannot connect to 192.168.1.64:554 (Could not open resource for "
			   "reading and writing)");
	assert_has(l.hint, "[camera cam1] source");
	assert_has(l.hint, "ping 192.168.1.64");
	assert_null(strstr(l.fact, "s3cret"));
	assert_null(strstr(l.hint, "s3cret"));
	selftest_judge_camera(&cc, "Unauthorized", &l);
	assert_has(l.fact, "refused the user name or password (401 Unauthorized)");
	assert_has(l.hint, "rtsp://USER:PASSWORD@192.168.1.64:554/");
	selftest_judge_camera(&cc, "Not Found", &l);
	assert_has(l.fact, "no stream at rtsp://192.168.1.64:554/Streaming/Channels/101 (404");
	assert_null(strstr(l.fact, "s3cret"));
	selftest_judge_camera(&cc, "no frames for 10000 ms", &l);
	assert_has(l.fact, "connected to rtsp://192.168.1.64:554/Streaming/Channels/101, but no "
			   "video came");
	assert_has(l.hint, "H.264 or H.265");
	selftest_judge_camera(&v4l2, "Cannot identify device '/dev/video0'.", &l);
	assert_has(l.fact, "cannot record from /dev/video0");
	assert_has(l.hint, "ls -l /dev/video0");
}

static void test_broker_words(void **state)
{
	const char *uri = "ssl://mqtt.example.org:8883";
	struct selftest_line l;

	(void)state;
	selftest_judge_broker(uri,
			      "connect failed: socket error (code -1); tls: C0:error:0A000086:SSL "
			      "routines:tls_post_process_server_certificate:certificate verify "
			      "failed:statem_clnt.c:1889:",
			      true, &l);
	assert_int_equal(l.mark, SELFTEST_FAIL);
	assert_has(l.fact, "mqtt.example.org:8883: the broker's certificate is not trusted");
	assert_has(l.hint, "[mqtt] ca");
	selftest_judge_broker(uri, "connect failed: socket error (code -1)", true, &l);
	assert_has(l.fact, "accepts TCP, then closes the connection during TLS: it refuses this "
			   "box's certificate");
	assert_has(l.hint, "revoked");
	selftest_judge_broker(uri, "connect failed: TCP/TLS connect failure (code -1)", false, &l);
	assert_has(l.hint, "see certificate above");
	selftest_judge_broker(uri, "connect failed: CONNACK return code (code 5)", true, &l);
	assert_has(l.fact, "refused the MQTT connection");
	assert_has(l.hint, "ACL");
	selftest_judge_broker(uri, "connect failed: tls: sslv3 alert certificate revoked (code -1)",
			      true, &l);
	assert_has(l.fact, "it is revoked");
}

static void test_ack_covers(void **state)
{
	cJSON *missing = cJSON_Parse("[[5,7],[10,10]]");

	(void)state;
	assert_true(selftest_ack_covers(4, 4, 12, missing));  /* under the mark */
	assert_false(selftest_ack_covers(6, 4, 12, missing)); /* in a gap */
	assert_false(selftest_ack_covers(10, 4, 12, missing));
	assert_true(selftest_ack_covers(8, 4, 12, missing)); /* seen between gaps */
	assert_true(selftest_ack_covers(12, 4, 12, missing));
	assert_false(selftest_ack_covers(13, 4, 12, missing)); /* not seen yet */
	assert_true(selftest_ack_covers(3, 3, 3, NULL));
	cJSON_Delete(missing);
}

static void test_state_lock(void **state)
{
	char *sub = g_build_filename(dir, "state", "deep", NULL);
	char *file = g_build_filename(dir, "afile", NULL);
	char *under = g_build_filename(file, "state", NULL);
	struct state_lock *a, *b;
	long holder = -1;

	(void)state;
	/* the directory is made (0700), and the lock taken */
	assert_int_equal(state_lock_take(sub, &a, &holder), 0);
	assert_non_null(a);
	assert_true(g_file_test(sub, G_FILE_TEST_IS_DIR));
	/* flock is per open file: a second taker, even in this process, is refused
	 * and told who holds it */
	assert_int_equal(state_lock_take(sub, &b, &holder), -EWOULDBLOCK);
	assert_null(b);
	assert_int_equal(holder, (long)getpid());
	state_lock_release(a);
	assert_int_equal(state_lock_take(sub, &b, &holder), 0);
	state_lock_release(b);
	state_lock_release(NULL);
	/* a directory that cannot be made */
	assert_true(g_file_set_contents(file, "", 0, NULL));
	assert_int_equal(state_lock_take(under, &a, &holder), -ENOTDIR);
	assert_null(a);
	g_free(sub);
	g_free(file);
	g_free(under);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),	     cmocka_unit_test(test_offset),
		cmocka_unit_test(test_disk),	     cmocka_unit_test(test_cert),
		cmocka_unit_test(test_camera_words), cmocka_unit_test(test_broker_words),
		cmocka_unit_test(test_ack_covers),   cmocka_unit_test(test_state_lock),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
