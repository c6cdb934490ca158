/*
 * signing.c — see signing.h.
 */
#include "signing.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

struct signer {
	EVP_PKEY *key;
	char *cert_pem;
};

/* The last OpenSSL error as text, for a message. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	return e ? ERR_reason_error_string(e) : "unknown reason";
}

struct signer *signer_new(const char *key_path, const char *cert_path, char *err, size_t errlen)
{
	struct signer *s = g_new0(struct signer, 1);
	X509 *cert = NULL;
	EVP_PKEY *pub = NULL;
	BIO *bio;
	gsize len;

	bio = BIO_new_file(key_path, "r");
	s->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!s->key) {
		snprintf(err, errlen, "cannot load private key '%s': %s", key_path, ssl_reason());
		goto out_free;
	}
	if (!g_file_get_contents(cert_path, &s->cert_pem, &len, NULL)) {
		snprintf(err, errlen, "cannot read certificate '%s'", cert_path);
		goto out_free;
	}
	bio = BIO_new_mem_buf(s->cert_pem, (int)len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	pub = cert ? X509_get0_pubkey(cert) : NULL;
	if (!pub) {
		snprintf(err, errlen, "cannot parse certificate '%s': %s", cert_path, ssl_reason());
		goto out_free;
	}
	if (EVP_PKEY_eq(pub, s->key) != 1) {
		snprintf(err, errlen, "key '%s' does not belong to certificate '%s'", key_path,
			 cert_path);
		goto out_free;
	}
	X509_free(cert);
	return s;

out_free:
	X509_free(cert);
	signer_free(s);
	return NULL;
}

void signer_free(struct signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	g_free(s->cert_pem);
	g_free(s);
}

const char *signer_cert_pem(const struct signer *s)
{
	return s->cert_pem;
}

char *signer_sign(struct signer *s, const void *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	char *b64 = NULL;

	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &sig_len, data, len) == 1) {
		sig = g_malloc(sig_len);
		if (EVP_DigestSign(ctx, sig, &sig_len, data, len) == 1)
			b64 = g_base64_encode(sig, sig_len);
	}
	g_free(sig);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return b64;
}

/* The certificate's subject CN into cn[len]; false when it has none. */
static bool common_name(X509 *cert, char *cn, int len)
{
	return X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, len) > 0;
}

static bool chain_ok(const char *ca_path, X509 *cert, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	if (!store || !ctx || X509_STORE_load_file(store, ca_path) != 1) {
		snprintf(err, errlen, "cannot load the CA '%s': %s", ca_path, ssl_reason());
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
		snprintf(err, errlen, "cannot check the certificate: %s", ssl_reason());
		goto out;
	}
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		snprintf(err, errlen, "certificate not trusted: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

bool signing_verify(const char *ca_path, const char *cert_pem, const char *expected_cn,
		    const void *data, size_t len, const char *signature_b64, char *err,
		    size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	gsize sig_len = 0;
	char cn[128];
	bool ok = false;

	BIO_free(bio);
	if (!cert) {
		snprintf(err, errlen, "the certificate is not PEM: %s", ssl_reason());
		goto out;
	}
	if (!chain_ok(ca_path, cert, err, errlen))
		goto out;
	if (!common_name(cert, cn, sizeof cn) || strcmp(cn, expected_cn) != 0) {
		snprintf(err, errlen, "the certificate names '%.64s', not the sender '%.64s'",
			 common_name(cert, cn, sizeof cn) ? cn : "nobody", expected_cn);
		goto out;
	}
	sig = g_base64_decode(signature_b64, &sig_len);
	ctx = EVP_MD_CTX_new();
	if (!sig_len || !ctx ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) != 1) {
		snprintf(err, errlen, "cannot check the signature: %s", ssl_reason());
		goto out;
	}
	ok = EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	if (!ok)
		snprintf(err, errlen, "the signature does not match");
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	g_free(sig);
	X509_free(cert);
	return ok;
}

/* An ASN1_TIME as Unix ms: its distance from the epoch, as OpenSSL counts it. */
static bool asn1_ms(const ASN1_TIME *t, int64_t *ms)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	bool ok = epoch && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;

	ASN1_TIME_free(epoch);
	*ms = ((int64_t)days * 86400 + secs) * 1000;
	return ok;
}

bool signing_cert_info(const char *path, struct cert_info *ci, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	bool ok = false;

	BIO_free(bio);
	memset(ci, 0, sizeof *ci);
	if (!cert) {
		snprintf(err, errlen, "cannot read certificate '%s': %s", path, ssl_reason());
		return false;
	}
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (!hex || strlen(hex) >= sizeof ci->serial)
		snprintf(err, errlen, "certificate '%s': unreadable serial number", path);
	else if (!asn1_ms(X509_get0_notBefore(cert), &ci->not_before_ms) ||
		 !asn1_ms(X509_get0_notAfter(cert), &ci->not_after_ms))
		snprintf(err, errlen, "certificate '%s': unreadable validity dates", path);
	else
		ok = true;
	if (ok) {
		snprintf(ci->serial, sizeof ci->serial, "%s", hex);
		common_name(cert, ci->cn, sizeof ci->cn);
	}
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(cert);
	return ok;
}
