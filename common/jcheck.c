/*
 * jcheck.c — see jcheck.h. Integers are taken from cJSON's double, so only
 * values exactly representable (|n| < 2^53) are accepted as integers.
 */
#include "jcheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

bool jc_ok(const struct jcheck *jc)
{
	return !jc->failed;
}

void jc_fail(struct jcheck *jc, const char *fmt, ...)
{
	va_list ap;

	if (jc->failed)
		return;
	jc->failed = true;
	va_start(ap, fmt);
	vsnprintf(jc->error, sizeof jc->error, fmt, ap);
	va_end(ap);
}

void jc_prefix(struct jcheck *jc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(jc->prefix, sizeof jc->prefix, fmt, ap);
	va_end(ap);
}

/* The member, or NULL; fails the check when required and absent. */
static const cJSON *member(struct jcheck *jc, const cJSON *obj, const char *key, bool required)
{
	const cJSON *item;

	if (jc->failed)
		return NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!item && required)
		jc_fail(jc, "field '%s%s': missing", jc->prefix, key);
	return item;
}

const char *jc_string(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		      size_t max_len)
{
	const cJSON *item = member(jc, obj, key, required);

	if (!item)
		return NULL;
	if (!cJSON_IsString(item)) {
		jc_fail(jc, "field '%s%s': expected a string", jc->prefix, key);
		return NULL;
	}
	if (strlen(item->valuestring) > max_len) {
		jc_fail(jc, "field '%s%s': longer than %zu bytes", jc->prefix, key, max_len);
		return NULL;
	}
	return item->valuestring;
}

bool jc_is_ident(const char *text, const char *extra, size_t max_len)
{
	size_t n = strlen(text);

	if (n == 0 || n > max_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if (i == 0)
			return false;
		if (c != '_' && c != '.' && c != '-' && !(extra && c && strchr(extra, c)))
			return false;
	}
	return true;
}

bool jc_is_sha256_hex(const char *text)
{
	if (!text || strlen(text) != 64)
		return false;
	for (int i = 0; i < 64; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

bool jc_is_event_type(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n > 64 || text[0] < 'a' || text[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

const char *jc_ident(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		     const char *extra, size_t max_len)
{
	const char *s = jc_string(jc, obj, key, required, max_len);

	if (s && !jc_is_ident(s, extra, max_len)) {
		jc_fail(jc, "field '%s%s': not a valid identifier", jc->prefix, key);
		return NULL;
	}
	return s;
}

const char *jc_timestamp(struct jcheck *jc, const cJSON *obj, const char *key, bool required)
{
	const char *s = jc_string(jc, obj, key, required, CLOCK_TS_LEN);
	int64_t ms;

	if (s && !clock_parse_ts(s, &ms)) {
		jc_fail(jc, "field '%s%s': not a UTC timestamp like 2026-01-31T08:00:00.000Z",
			jc->prefix, key);
		return NULL;
	}
	return s;
}

bool jc_int(struct jcheck *jc, const cJSON *obj, const char *key, bool required, int64_t min,
	    int64_t max, int64_t *out)
{
	const cJSON *item = member(jc, obj, key, required);
	double d;

	if (!item)
		return false;
	d = item->valuedouble;
	if (!cJSON_IsNumber(item) || d != floor(d) || fabs(d) > 9007199254740992.0) {
		jc_fail(jc, "field '%s%s': expected an integer", jc->prefix, key);
		return false;
	}
	if (d < (double)min || d > (double)max) {
		jc_fail(jc, "field '%s%s': %.0f is out of range [%lld, %lld]", jc->prefix, key, d,
			(long long)min, (long long)max);
		return false;
	}
	if (out)
		*out = (int64_t)d;
	return true;
}

bool jc_number(struct jcheck *jc, const cJSON *obj, const char *key, bool required, double *out)
{
	const cJSON *item = member(jc, obj, key, required);

	if (!item)
		return false;
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
		jc_fail(jc, "field '%s%s': expected a number", jc->prefix, key);
		return false;
	}
	if (out)
		*out = item->valuedouble;
	return true;
}

int jc_enum(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
	    const char *const *values)
{
	const char *s = jc_string(jc, obj, key, required, 64);

	if (!s)
		return -1;
	for (int i = 0; values[i]; i++) {
		if (strcmp(s, values[i]) == 0)
			return i;
	}
	jc_fail(jc, "field '%s%s': unknown value '%.32s'", jc->prefix, key, s);
	return -1;
}

const cJSON *jc_array(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		      int min_items, int max_items)
{
	const cJSON *item = member(jc, obj, key, required);
	int n;

	if (!item)
		return NULL;
	if (!cJSON_IsArray(item)) {
		jc_fail(jc, "field '%s%s': expected an array", jc->prefix, key);
		return NULL;
	}
	n = cJSON_GetArraySize(item);
	if (n < min_items || n > max_items) {
		jc_fail(jc, "field '%s%s': %d items, expected %d to %d", jc->prefix, key, n,
			min_items, max_items);
		return NULL;
	}
	return item;
}

const cJSON *jc_object(struct jcheck *jc, const cJSON *obj, const char *key, bool required)
{
	const cJSON *item = member(jc, obj, key, required);

	if (item && !cJSON_IsObject(item)) {
		jc_fail(jc, "field '%s%s': expected an object", jc->prefix, key);
		return NULL;
	}
	return item;
}

bool jc_only_keys(struct jcheck *jc, const cJSON *obj, const char *const *allowed)
{
	const cJSON *item;

	if (jc->failed)
		return false;
	cJSON_ArrayForEach (item, obj) {
		bool known = false;

		for (int i = 0; allowed[i] && !known; i++)
			known = item->string && strcmp(item->string, allowed[i]) == 0;
		if (!known) {
			jc_fail(jc, "field '%s%.40s': not allowed here", jc->prefix,
				item->string ? item->string : "?");
			return false;
		}
		/* cJSON keeps both copies of a repeated key and other parsers take
		 * the last: refuse, so no two readers see different messages */
		for (const cJSON *other = item->next; other; other = other->next) {
			if (strcmp(item->string, other->string) == 0) {
				jc_fail(jc, "field '%s%.40s': duplicate key", jc->prefix,
					item->string);
				return false;
			}
		}
	}
	return true;
}
