/*
 * jcheck.h — checks on parsed JSON (cJSON) that mirror the rules of
 * the schemas/ files, with an error that names the field.
 *
 * Usage: a struct jcheck starts zeroed; each jc_* call checks one field and,
 * on the first failure, records "field 'readings[2].value': expected a
 * number" and makes every later call a no-op returning false/NULL. So a
 * validator is a straight list of calls followed by one jc_ok() test.
 * Not thread-safe per struct; distinct structs are independent.
 */
#ifndef BK_JCHECK_H
#define BK_JCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct jcheck {
	bool failed;
	char prefix[64]; /* prepended to field names, e.g. "readings[2]." */
	char error[256];
};

bool jc_ok(const struct jcheck *jc);
void jc_fail(struct jcheck *jc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the field-name prefix for nested objects ("" to clear). */
void jc_prefix(struct jcheck *jc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Each returns the value (or true) when present and valid; NULL/false when
 * absent-and-optional or invalid. Absent-and-required fails the check. */
const char *jc_string(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		      size_t max_len);
/* An id: 1..63 characters of [A-Za-z0-9_.-], starting alphanumeric; extra
 * is a further allowed character set (e.g. ":" for event ids) or NULL. */
const char *jc_ident(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		     const char *extra, size_t max_len);
const char *jc_timestamp(struct jcheck *jc, const cJSON *obj, const char *key, bool required);
bool jc_int(struct jcheck *jc, const cJSON *obj, const char *key, bool required, int64_t min,
	    int64_t max, int64_t *out);
bool jc_number(struct jcheck *jc, const cJSON *obj, const char *key, bool required, double *out);
/* Index into values[] (NULL-terminated) of the string found, or -1. */
int jc_enum(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
	    const char *const *values);
const cJSON *jc_array(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
		      int min_items, int max_items);
const cJSON *jc_object(struct jcheck *jc, const cJSON *obj, const char *key, bool required);
/* Fail on any member of obj not named in allowed[] (NULL-terminated), and
 * on any key that appears twice. */
bool jc_only_keys(struct jcheck *jc, const cJSON *obj, const char *const *allowed);

/* True for a SHA-256 as our messages carry it: 64 lower-case hex digits.
 * NULL is false. */
bool jc_is_sha256_hex(const char *text);

/* True for an event type: 1..64 of [a-z0-9_], starting with a letter. */
bool jc_is_event_type(const char *text);

/* True when text is an identifier in the sense of jc_ident. */
bool jc_is_ident(const char *text, const char *extra, size_t max_len);

#endif
