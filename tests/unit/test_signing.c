/*
 * Unit tests: evidence signatures. Certificates come from the project's own
 * tools/bk-pki (run from the repository root, as tests/run.sh does).
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

#include "signing.h"

static char *path(const char *name)
{
	return g_strdup_printf("%s/%s", dir, name);
}

static int setup(void **state)
{
	if (tmpdir_setup(state) != 0)
		return -1;
	if (tmpdir_pki("pki", (const char *const[]){ "box-a", "box-b", NULL }) != 0)
		return -1;
	/* the same name under another CA: an impostor */
	return tmpdir_pki("other", (const char *const[]){ "box-a", NULL });
}

static struct signer *load(const char *pki, const char *id)
{
	char err[256];
	char *key = g_strdup_printf("%s/%s/%s.key", dir, pki, id);
	char *crt = g_strdup_printf("%s/%s/%s.crt", dir, pki, id);
	struct signer *s = signer_new(key, crt, err, sizeof err);

	if (!s)
		fail_msg("%s", err);
	g_free(key);
	g_free(crt);
	return s;
}

static const char manifest[] = "bk-clip-v1\nbox-a\nclip-1\nkitchen-1\n…";

static void test_sign_and_verify(void **state)
{
	struct signer *a = load("pki", "box-a");
	char *ca = path("pki/ca.crt");
	char *sig = signer_sign(a, manifest, sizeof manifest);
	char err[256];

	(void)state;
	assert_non_null(sig);
	assert_true(signing_verify(ca, signer_cert_pem(a), "box-a", manifest, sizeof manifest, sig,
				   err, sizeof err));
	g_free(sig);
	g_free(ca);
	signer_free(a);
}

/* Expect signing_verify to fail, naming want in its reason. */
static void expect_refused(const char *ca, const char *cert, const char *cn, const void *data,
			   size_t len, const char *sig, const char *want)
{
	char err[256] = "";

	if (signing_verify(ca, cert, cn, data, len, sig, err, sizeof err))
		fail_msg("accepted, wanted a refusal mentioning '%s'", want);
	if (!strstr(err, want))
		fail_msg("reason '%s' does not mention '%s'", err, want);
}

static void test_refusals(void **state)
{
	struct signer *a = load("pki", "box-a");
	struct signer *b = load("pki", "box-b");
	struct signer *impostor = load("other", "box-a");
	char *ca = path("pki/ca.crt");
	char *sig = signer_sign(a, manifest, sizeof manifest);
	char *sig_b = signer_sign(b, manifest, sizeof manifest);
	char *sig_x = signer_sign(impostor, manifest, sizeof manifest);
	char tampered[sizeof manifest];

	(void)state;
	memcpy(tampered, manifest, sizeof manifest);
	tampered[12] ^= 1;
	expect_refused(ca, signer_cert_pem(a), "box-a", tampered, sizeof tampered, sig,
		       "does not match");
	/* box-b's own valid signature, sent as box-a's */
	expect_refused(ca, signer_cert_pem(b), "box-a", manifest, sizeof manifest, sig_b,
		       "not the sender");
	/* box-a's certificate with box-b's signature */
	expect_refused(ca, signer_cert_pem(a), "box-a", manifest, sizeof manifest, sig_b,
		       "does not match");
	/* a certificate with the right name from another CA */
	expect_refused(ca, signer_cert_pem(impostor), "box-a", manifest, sizeof manifest, sig_x,
		       "not trusted");
	expect_refused(ca, "not a certificate", "box-a", manifest, sizeof manifest, sig, "not PEM");
	expect_refused(ca, signer_cert_pem(a), "box-a", manifest, sizeof manifest, "%%%%",
		       "signature");
	g_free(sig);
	g_free(sig_b);
	g_free(sig_x);
	g_free(ca);
	signer_free(a);
	signer_free(b);
	signer_free(impostor);
}

static void test_mismatched_key(void **state)
{
	char err[256];
	char *key = path("pki/box-a.key");
	char *crt = path("pki/box-b.crt");

	(void)state;
	assert_null(signer_new(key, crt, err, sizeof err));
	assert_non_null(strstr(err, "does not belong"));
	g_free(crt);
	crt = path("pki/none.crt");
	assert_null(signer_new(key, crt, err, sizeof err));
	g_free(key);
	g_free(crt);
}

/* What openssl x509 prints of crt: the serial and notAfter as Unix ms. */
static void openssl_says(const char *crt, char *serial, size_t len, int64_t *not_after_ms)
{
	char *cmd =
	    g_strdup_printf("openssl x509 -in '%s' -noout -serial -enddate -dateopt iso_8601", crt);
	char *out = NULL, **lines;
	GDateTime *t;
	int status;

	assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL) && status == 0);
	lines = g_strsplit(out, "\n", 0);
	assert_true(g_str_has_prefix(lines[0], "serial=") &&
		    g_str_has_prefix(lines[1], "notAfter="));
	snprintf(serial, len, "%s", lines[0] + strlen("serial="));
	g_strdelimit(lines[1], " ", 'T');
	t = g_date_time_new_from_iso8601(lines[1] + strlen("notAfter="), NULL);
	assert_non_null(t);
	*not_after_ms = g_date_time_to_unix(t) * 1000;
	g_date_time_unref(t);
	g_strfreev(lines);
	g_free(out);
	g_free(cmd);
}

static void test_cert_info(void **state)
{
	char *crt = path("pki/box-b.crt"), *none = path("pki/none.crt");
	char serial[80], err[256];
	struct cert_info ci;
	int64_t not_after_ms;

	(void)state;
	openssl_says(crt, serial, sizeof serial, &not_after_ms);
	assert_true(signing_cert_info(crt, &ci, err, sizeof err));
	assert_string_equal(ci.serial, serial);
	assert_string_equal(ci.cn, "box-b");
	assert_int_equal(ci.not_after_ms, not_after_ms);
	assert_true(ci.not_before_ms < ci.not_after_ms);
	assert_false(signing_cert_info(none, &ci, err, sizeof err));
	assert_non_null(strstr(err, "none.crt"));
	g_free(crt);
	g_free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_mismatched_key),
		cmocka_unit_test(test_cert_info),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
