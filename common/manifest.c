/*
 * manifest.c — see manifest.h.
 */
#include "manifest.h"

#include <string.h>

#include <glib.h>

#define MANIFEST_MAX_CHUNKS	100000
#define MANIFEST_MAX_CHUNK_SIZE (1 << 20)
#define SEQ_MAX			INT64_C(9007199254740991)

char *manifest_signed_text(const struct clip_manifest *m)
{
	GString *t = g_string_new("bk-clip-v1\n");

	g_string_append_printf(t, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%lld\n%s\n%d\n%d\n", m->box,
			       m->clip_id, m->camera, m->event_id ? m->event_id : "", m->start,
			       m->end, m->mime, (long long)m->bytes, m->sha256, m->chunk_size,
			       m->chunk_count);
	for (int i = 0; i < m->chunk_count; i++)
		g_string_append_printf(t, "%s\n", m->chunks[i]);
	return g_string_free(t, FALSE);
}

cJSON *manifest_build(const struct envelope *e, const struct clip_manifest *m)
{
	cJSON *obj = cJSON_CreateObject();
	cJSON *chunks;

	envelope_add(obj, e);
	cJSON_AddStringToObject(obj, "clip_id", m->clip_id);
	cJSON_AddStringToObject(obj, "camera", m->camera);
	if (m->event_id)
		cJSON_AddStringToObject(obj, "event_id", m->event_id);
	cJSON_AddStringToObject(obj, "start", m->start);
	cJSON_AddStringToObject(obj, "end", m->end);
	cJSON_AddNumberToObject(obj, "bytes", (double)m->bytes);
	cJSON_AddStringToObject(obj, "sha256", m->sha256);
	cJSON_AddNumberToObject(obj, "chunk_size", m->chunk_size);
	cJSON_AddNumberToObject(obj, "chunk_count", m->chunk_count);
	chunks = cJSON_AddArrayToObject(obj, "chunks");
	for (int i = 0; i < m->chunk_count; i++)
		cJSON_AddItemToArray(chunks, cJSON_CreateString(m->chunks[i]));
	cJSON_AddStringToObject(obj, "mime", m->mime);
	cJSON_AddStringToObject(obj, "signature", m->signature);
	cJSON_AddStringToObject(obj, "cert", m->cert);
	return obj;
}

static bool is_base64(const char *s)
{
	size_t n = strlen(s), pad = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=') {
			pad++;
		} else if (pad || !(g_ascii_isalnum(c) || c == '+' || c == '/')) {
			return false;
		}
	}
	return pad <= 2;
}

bool manifest_read(struct jcheck *jc, const cJSON *root, const char *box, struct clip_manifest *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "clip_id",	  "camera", "event_id",
					    "start",	   "end",	  "bytes",  "sha256",
					    "chunk_size",  "chunk_count", "chunks", "mime",
					    "signature",   "cert",	  NULL };
	int64_t chunk_size = 0, chunk_count = 0;
	const cJSON *chunks, *item;
	int i = 0;

	memset(m, 0, sizeof *m);
	m->box = box;
	jc_only_keys(jc, root, keys);
	m->clip_id = jc_ident(jc, root, "clip_id", true, ":", 128);
	m->camera = jc_ident(jc, root, "camera", true, NULL, 63);
	m->event_id = jc_ident(jc, root, "event_id", false, ":", 128);
	m->start = jc_timestamp(jc, root, "start", true);
	m->end = jc_timestamp(jc, root, "end", true);
	jc_int(jc, root, "bytes", true, 0, SEQ_MAX, &m->bytes);
	m->sha256 = jc_string(jc, root, "sha256", true, 64);
	if (m->sha256 && !jc_is_sha256_hex(m->sha256))
		jc_fail(jc, "field 'sha256': not 64 lower-case hex digits");
	jc_int(jc, root, "chunk_size", true, 1, MANIFEST_MAX_CHUNK_SIZE, &chunk_size);
	jc_int(jc, root, "chunk_count", true, 1, MANIFEST_MAX_CHUNKS, &chunk_count);
	chunks = jc_array(jc, root, "chunks", true, 1, MANIFEST_MAX_CHUNKS);
	if (jc_ok(jc) && cJSON_GetArraySize(chunks) != chunk_count)
		jc_fail(jc, "field 'chunks': %d hashes for %lld chunks", cJSON_GetArraySize(chunks),
			(long long)chunk_count);
	m->mime = jc_string(jc, root, "mime", true, 64);
	m->signature = jc_string(jc, root, "signature", true, 1024);
	if (m->signature && !is_base64(m->signature))
		jc_fail(jc, "field 'signature': not base64");
	m->cert = jc_string(jc, root, "cert", true, 8192);
	if (m->cert && strncmp(m->cert, "-----BEGIN CERTIFICATE-----", 27) != 0)
		jc_fail(jc, "field 'cert': not a PEM certificate");
	if (!jc_ok(jc))
		return false;
	m->chunk_size = (int)chunk_size;
	m->chunk_count = (int)chunk_count;
	m->chunks = g_new0(const char *, (gsize)chunk_count + 1);
	cJSON_ArrayForEach (item, chunks) {
		if (!cJSON_IsString(item) || !jc_is_sha256_hex(item->valuestring)) {
			jc_fail(jc, "field 'chunks[%d]': not 64 lower-case hex digits", i);
			manifest_release(m);
			return false;
		}
		m->chunks[i++] = item->valuestring;
	}
	return true;
}

void manifest_release(struct clip_manifest *m)
{
	g_free(m->chunks);
	m->chunks = NULL;
}
