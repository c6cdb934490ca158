/*
 * config.h — INI configuration files (GLib GKeyFile) with checked getters.
 *
 * Every getter records a problem instead of stopping at the first, so
 * `-t` shows an installer every mistake at once, each as
 * "FILE: [group] key: problem". A struct config is used from one thread.
 */
#ifndef BK_CONFIG_H
#define BK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

struct config {
	GKeyFile *kf;
	char *path;
	GPtrArray *problems; /* of char*, owned */
};

/* Load path; false with a problem recorded when unreadable or not INI. */
bool config_load(struct config *c, const char *path);
void config_release(struct config *c);

/* Record a problem about [group] key (key may be NULL). */
void config_problem(struct config *c, const char *group, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

bool config_has_group(struct config *c, const char *group);

/* Getters: dflt NULL / required true means the key must be present.
 * Returned strings are newly allocated (g_free); NULL when missing or bad. */
char *config_string(struct config *c, const char *group, const char *key, const char *dflt);
/* A path that must name an existing, readable file. */
char *config_file(struct config *c, const char *group, const char *key, const char *dflt);
int64_t config_int(struct config *c, const char *group, const char *key, int64_t dflt, int64_t min,
		   int64_t max);
double config_double(struct config *c, const char *group, const char *key, double dflt, double min,
		     double max);
bool config_bool(struct config *c, const char *group, const char *key, bool dflt);
/* A size like "512M", "2G", "4096"; bytes. */
int64_t config_bytes(struct config *c, const char *group, const char *key, int64_t dflt,
		     int64_t min);
/* A duration like "90s", "5m", "250ms", "2h", "7d"; milliseconds. */
int64_t config_duration_ms(struct config *c, const char *group, const char *key, int64_t dflt,
			   int64_t min, int64_t max);

/* Record a problem for every key of group not in allowed (NULL-terminated):
 * a typo must not silently fall back to a default. */
void config_check_keys(struct config *c, const char *group, const char *const *allowed);
/* Likewise for groups: a group must equal one of names or start with one of
 * prefixes (e.g. "sensor "). */
void config_check_groups(struct config *c, const char *const *names, const char *const *prefixes);

bool config_ok(const struct config *c);
/* Print each problem on its own line to out. */
void config_print_problems(const struct config *c, FILE *out);

/* Parsers behind config_bytes/config_duration_ms, exposed for tests. */
bool config_parse_bytes(const char *text, int64_t *out);
bool config_parse_duration_ms(const char *text, int64_t *out);

#endif
