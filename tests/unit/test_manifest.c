/*
 * Unit tests: the clip manifest round trip, its refusals, and that a box's
 * signature over it verifies at the collector only for the text it signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_tmpdir.h"
#include <glib.h>

#include "manifest.h"
#include "signing.h"

static const char *chunks[] = {
	"0000000000000000000000000000000000000000000000000000000000000001",
	"0000000000000000000000000000000000000000000000000000000000000002",
	NULL,
};

static int setup(void **state)
{
	if (tmpdir_setup(state) != 0)
		return -1;
	return tmpdir_pki("pki", (const char *const[]){ "box-a", NULL });
}

static struct clip_manifest sample(void)
{
	return (struct clip_manifest){
		.box = "box-a",
		.clip_id = "kitchen-1:1764000000000",
		.camera = "kitchen-1",
		.event_id = "fridge-1:temperature_high:1764000000000",
		.start = "2026-11-25T08:00:00.000Z",
		.end = "2026-11-25T08:01:00.000Z",
		.mime = "video/mp2t",
		.sha256 = "00000000000000000000000000000000000000000000000000000000000000ff",
		.bytes = 300000,
		.chunk_size = 262144,
		.chunk_count = 2,
		.chunks = chunks,
	};
}

static void test_round_trip_and_signature(void **state)
{
	struct clip_manifest m = sample(), back;
	char err[256];
	char *key = g_strdup_printf("%s/pki/box-a.key", dir);
	char *crt = g_strdup_printf("%s/pki/box-a.crt", dir);
	char *ca = g_strdup_printf("%s/pki/ca.crt", dir);
	struct signer *s = signer_new(key, crt, err, sizeof err);
	struct envelope e;
	struct jcheck jc = { 0 };
	char *text, *sig, *text_back, *json;
	cJSON *msg, *root;

	(void)state;
	assert_non_null(s);
	text = manifest_signed_text(&m);
	sig = signer_sign(s, text, strlen(text));
	m.signature = sig;
	m.cert = signer_cert_pem(s);
	envelope_stamp(&e, "box-a", 42);
	msg = manifest_build(&e, &m);
	json = cJSON_PrintUnformatted(msg);
	if (getenv("BK_CAPTURE")) { /* for the independent schema check (tests/schema/built.sh) */
		FILE *f = fopen(getenv("BK_CAPTURE"), "a");

		assert_non_null(f);
		fprintf(f, "bk/v1/box/box-a/clip\t%s\n", json);
		fclose(f);
	}
	root = cJSON_Parse(json);
	assert_true(envelope_read(&jc, root, &e));
	if (!manifest_read(&jc, root, "box-a", &back))
		fail_msg("%s", jc.error);
	text_back = manifest_signed_text(&back);
	assert_string_equal(text_back, text);
	assert_true(signing_verify(ca, back.cert, "box-a", text_back, strlen(text_back),
				   back.signature, err, sizeof err));
	/* the same signature over a manifest with one chunk hash changed */
	back.chunks[1] = chunks[0];
	g_free(text_back);
	text_back = manifest_signed_text(&back);
	assert_false(signing_verify(ca, back.cert, "box-a", text_back, strlen(text_back),
				    back.signature, err, sizeof err));
	manifest_release(&back);
	g_free(text_back);
	cJSON_Delete(root);
	cJSON_free(json);
	cJSON_Delete(msg);
	g_free(text);
	g_free(sig);
	signer_free(s);
	g_free(key);
	g_free(crt);
	g_free(ca);
}

static void expect_refused(const char *json, const char *want)
{
	cJSON *root = cJSON_Parse(json);
	struct clip_manifest m;
	struct jcheck jc = { 0 };

	assert_non_null(root);
	if (manifest_read(&jc, root, "box-a", &m))
		fail_msg("accepted, wanted '%s'", want);
	if (!strstr(jc.error, want))
		fail_msg("error '%s' does not mention '%s'", jc.error, want);
	cJSON_Delete(root);
}

#define BASE                                                                                       \
	"\"clip_id\":\"c1\",\"camera\":\"k1\",\"start\":\"2026-11-25T08:00:00.000Z\","             \
	"\"end\":\"2026-11-25T08:01:00.000Z\",\"bytes\":10,\"chunk_size\":10,\"mime\":\"video/"    \
	"mp2t\","                                                                                  \
	"\"signature\":\"AAAA\",\"cert\":\"-----BEGIN CERTIFICATE-----\\nx\\n\""
#define H1 "\"0000000000000000000000000000000000000000000000000000000000000001\""

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("{" BASE ",\"sha256\":" H1 ",\"chunk_count\":2,\"chunks\":[" H1 "]}",
		       "1 hashes for 2 chunks");
	expect_refused("{" BASE ",\"sha256\":" H1 ",\"chunk_count\":1,\"chunks\":[\"xyz\"]}",
		       "chunks[0]");
	expect_refused("{" BASE ",\"sha256\":\"ABC\",\"chunk_count\":1,\"chunks\":[" H1 "]}",
		       "'sha256'");
	expect_refused("{" BASE ",\"sha256\":" H1 ",\"chunk_count\":1,\"chunks\":[" H1 "],\"x\":1}",
		       "'x': not allowed");
	expect_refused(
	    "{\"clip_id\":\"c1\",\"camera\":\"k1\",\"start\":\"2026-11-25T08:00:00.000Z\","
	    "\"end\":\"2026-11-25T08:01:00.000Z\",\"bytes\":10,\"chunk_size\":10,"
	    "\"mime\":\"video/mp2t\",\"signature\":\"%%%\",\"cert\":\"-----BEGIN "
	    "CERTIFICATE-----\","
	    "\"sha256\":" H1 ",\"chunk_count\":1,\"chunks\":[" H1 "]}",
	    "not base64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_signature),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
