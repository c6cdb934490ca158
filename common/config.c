/*
 * config.c — see config.h. A key that is present but malformed is a
 * problem, never silently replaced by the default.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool config_load(struct config *c, const char *path)
{
	GError *err = NULL;

	c->kf = g_key_file_new();
	c->path = g_strdup(path);
	c->problems = g_ptr_array_new_with_free_func(g_free);
	if (!g_key_file_load_from_file(c->kf, path, G_KEY_FILE_NONE, &err)) {
		g_ptr_array_add(c->problems,
				g_strdup_printf("%s: cannot load: %s", path, err->message));
		g_error_free(err);
		return false;
	}
	return true;
}

void config_release(struct config *c)
{
	if (c->kf)
		g_key_file_free(c->kf);
	g_free(c->path);
	if (c->problems)
		g_ptr_array_free(c->problems, TRUE);
	memset(c, 0, sizeof *c);
}

void config_problem(struct config *c, const char *group, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_ptr_array_add(c->problems,
				g_strdup_printf("%s: [%s] %s: %s", c->path, group, key, what));
	else
		g_ptr_array_add(c->problems, g_strdup_printf("%s: [%s]: %s", c->path, group, what));
	g_free(what);
}

bool config_has_group(struct config *c, const char *group)
{
	return g_key_file_has_group(c->kf, group);
}

/* The raw value, or NULL when absent (a problem if required). */
static char *raw(struct config *c, const char *group, const char *key, bool required)
{
	char *v = g_key_file_get_string(c->kf, group, key, NULL);

	if (v)
		g_strstrip(v);
	if (!v && required)
		config_problem(c, group, key, "missing (required)");
	return v;
}

char *config_string(struct config *c, const char *group, const char *key, const char *dflt)
{
	char *v = raw(c, group, key, dflt == NULL);

	if (v && !*v) {
		config_problem(c, group, key, "empty");
		g_free(v);
		return NULL;
	}
	return v ? v : g_strdup(dflt);
}

char *config_file(struct config *c, const char *group, const char *key, const char *dflt)
{
	char *v = config_string(c, group, key, dflt);

	if (v && access(v, R_OK) != 0) {
		config_problem(c, group, key, "cannot read '%s': %s", v, strerror(errno));
		g_free(v);
		return NULL;
	}
	return v;
}

int64_t config_int(struct config *c, const char *group, const char *key, int64_t dflt, int64_t min,
		   int64_t max)
{
	char *v = raw(c, group, key, false);
	char *end;
	long long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end) {
		config_problem(c, group, key, "'%s' is not a whole number", v);
		n = dflt;
	} else if (n < min || n > max) {
		config_problem(c, group, key, "%lld is out of range [%lld, %lld]", n,
			       (long long)min, (long long)max);
		n = dflt;
	}
	g_free(v);
	return n;
}

double config_double(struct config *c, const char *group, const char *key, double dflt, double min,
		     double max)
{
	char *v = raw(c, group, key, false);
	char *end;
	double d;

	if (!v)
		return dflt;
	d = g_ascii_strtod(v, &end);
	if (end == v || *end || d != d) {
		config_problem(c, group, key, "'%s' is not a number", v);
		d = dflt;
	} else if (d < min || d > max) {
		config_problem(c, group, key, "%g is out of range [%g, %g]", d, min, max);
		d = dflt;
	}
	g_free(v);
	return d;
}

bool config_bool(struct config *c, const char *group, const char *key, bool dflt)
{
	char *v = raw(c, group, key, false);
	bool b = dflt;

	if (!v)
		return dflt;
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		b = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		b = false;
	else
		config_problem(c, group, key, "'%s' is not true or false", v);
	g_free(v);
	return b;
}

/* Parse "<number><unit>" with the units given; false on any junk. */
static bool parse_scaled(const char *text, const char *const *units, const int64_t *scale,
			 int64_t *out)
{
	char *end;
	double n;

	if (!text || !*text || !(text[0] >= '0' && text[0] <= '9'))
		return false;
	n = g_ascii_strtod(text, &end);
	for (int i = 0; units[i]; i++) {
		if (strcmp(end, units[i]) == 0) {
			double v = n * (double)scale[i];

			if (v > 9.2e18)
				return false;
			*out = (int64_t)v;
			return true;
		}
	}
	return false;
}

bool config_parse_bytes(const char *text, int64_t *out)
{
	static const char *const units[] = { "", "K", "M", "G", "T", NULL };
	static const int64_t scale[] = { 1, 1LL << 10, 1LL << 20, 1LL << 30, 1LL << 40 };

	return parse_scaled(text, units, scale, out);
}

bool config_parse_duration_ms(const char *text, int64_t *out)
{
	if (text && strcmp(text, "0") == 0) { /* nothing needs no unit */
		*out = 0;
		return true;
	}
	static const char *const units[] = { "ms", "s", "m", "h", "d", NULL };
	static const int64_t scale[] = { 1, 1000, 60000, 3600000, 86400000 };

	return parse_scaled(text, units, scale, out);
}

int64_t config_bytes(struct config *c, const char *group, const char *key, int64_t dflt,
		     int64_t min)
{
	char *v = raw(c, group, key, false);
	int64_t n = dflt;

	if (!v)
		return dflt;
	if (!config_parse_bytes(v, &n))
		config_problem(c, group, key, "'%s' is not a size like 512M or 2G", v);
	else if (n < min)
		config_problem(c, group, key, "%s is below the minimum of %lld bytes", v,
			       (long long)min);
	g_free(v);
	return n < min ? dflt : n;
}

int64_t config_duration_ms(struct config *c, const char *group, const char *key, int64_t dflt,
			   int64_t min, int64_t max)
{
	char *v = raw(c, group, key, false);
	int64_t n = dflt;

	if (!v)
		return dflt;
	if (!config_parse_duration_ms(v, &n)) {
		config_problem(c, group, key, "'%s' is not a duration like 250ms, 30s, 5m or 7d",
			       v);
		n = dflt;
	} else if (n < min || n > max) {
		config_problem(c, group, key, "%s is out of range [%lldms, %lldms]", v,
			       (long long)min, (long long)max);
		n = dflt;
	}
	g_free(v);
	return n;
}

static bool in_list(const char *s, const char *const *list)
{
	for (int i = 0; list && list[i]; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

void config_check_keys(struct config *c, const char *group, const char *const *allowed)
{
	gsize n = 0;
	char **keys = g_key_file_get_keys(c->kf, group, &n, NULL);

	for (gsize i = 0; i < n; i++) {
		if (!in_list(keys[i], allowed))
			config_problem(c, group, keys[i], "unknown key (a typo?)");
	}
	g_strfreev(keys);
}

void config_check_groups(struct config *c, const char *const *names, const char *const *prefixes)
{
	gsize n = 0;
	char **groups = g_key_file_get_groups(c->kf, &n);

	for (gsize i = 0; i < n; i++) {
		bool known = in_list(groups[i], names);

		for (int p = 0; prefixes && prefixes[p] && !known; p++)
			known = g_str_has_prefix(groups[i], prefixes[p]);
		if (!known)
			config_problem(c, groups[i], NULL, "unknown group");
	}
	g_strfreev(groups);
}

bool config_ok(const struct config *c)
{
	return c->problems && c->problems->len == 0;
}

void config_print_problems(const struct config *c, FILE *out)
{
	for (guint i = 0; c->problems && i < c->problems->len; i++)
		fprintf(out, "%s\n", (const char *)g_ptr_array_index(c->problems, i));
}
