/*
 * signing.h — evidence signatures, the one module that touches OpenSSL's
 * C API (TLS itself is Paho's business).
 *
 * A box signs what it vouches for (a clip manifest) with its private key;
 * the collector checks the signature against the certificate sent with it,
 * after checking that this certificate chains to the deployment CA, is
 * valid now, and names the sender (CN). ECDSA or RSA over SHA-256,
 * whatever the key is; signatures travel as base64.
 * A struct signer is used from one thread; signing_verify is thread-safe.
 */
#ifndef BK_SIGNING_H
#define BK_SIGNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct signer;

/* Load a PEM private key and its certificate. NULL with the reason in
 * err[errlen] (unreadable, not PEM, key and certificate do not match). */
struct signer *signer_new(const char *key_path, const char *cert_path, char *err, size_t errlen);
void signer_free(struct signer *s);

/* The certificate as PEM text, owned by the signer. */
const char *signer_cert_pem(const struct signer *s);

/* Sign len bytes of data: a newly allocated base64 string (g_free), or NULL. */
char *signer_sign(struct signer *s, const void *data, size_t len);

/* Check a base64 signature over data made with the key of cert_pem, and that
 * cert_pem chains to the CA in ca_path, is valid now and has CN expected_cn.
 * false with the reason in err[errlen]. */
bool signing_verify(const char *ca_path, const char *cert_pem, const char *expected_cn,
		    const void *data, size_t len, const char *signature_b64, char *err,
		    size_t errlen);

/* What a certificate says about itself: its identity and validity. */
struct cert_info {
	char serial[68]; /* hex, upper case, as openssl x509 -serial and db/index.txt */
	char cn[128];
	int64_t not_before_ms; /* Unix ms */
	int64_t not_after_ms;
};

/* Read the first certificate of the PEM file at path. false with the reason
 * in err[errlen]. Reads only: says nothing about trust (see signing_verify). */
bool signing_cert_info(const char *path, struct cert_info *ci, char *err, size_t errlen);

#endif
