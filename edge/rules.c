/*
 * rules.c — see rules.h.
 */
#include "rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const rules_config_keys[] = {
	"min",	     "max",	    "duration",	    "hysteresis", "update_step",
	"severity",  "cycle_start", "cycle_level",  "cycle_min",  "valid_min",
	"valid_max", "stuck_after", "fault_errors", NULL,
};

/* DOMAIN.md's thresholds; every one can be overridden per sensor. */
static const struct kind_defaults {
	const char *kind;
	struct rule_config rc;
} kind_defaults[] = {
	{ "fridge",
	  { .has_min = true,
	    .min = 0,
	    .has_max = true,
	    .max = 8,
	    .duration_ms = 600000,
	    .hysteresis = 0.5,
	    .update_step = 0.5,
	    .high_type = "temperature_high",
	    .low_type = "temperature_low",
	    .severity = "warning",
	    .valid_min = -40,
	    .valid_max = 60,
	    .stuck_ms = 6 * 3600000LL,
	    .fault_errors = 3 } },
	{ "freezer",
	  { .has_max = true,
	    .max = -12,
	    .duration_ms = 900000,
	    .hysteresis = 1,
	    .update_step = 1,
	    .high_type = "temperature_high",
	    .low_type = "temperature_low",
	    .severity = "warning",
	    .valid_min = -60,
	    .valid_max = 60,
	    .stuck_ms = 6 * 3600000LL,
	    .fault_errors = 3 } },
	{ "cleanroom",
	  { .has_max = true,
	    .max = 25,
	    .duration_ms = 900000,
	    .hysteresis = 0.5,
	    .update_step = 0.5,
	    .high_type = "temperature_high",
	    .low_type = "temperature_low",
	    .severity = "warning",
	    .valid_min = -20,
	    .valid_max = 60,
	    .stuck_ms = 6 * 3600000LL,
	    .fault_errors = 3 } },
	{ "disinfection",
	  { .has_cycle = true,
	    .cycle_start = 50,
	    .cycle_level = 120,
	    .cycle_min_ms = 600000,
	    .severity = "warning",
	    .valid_min = -20,
	    .valid_max = 300,
	    .fault_errors = 3 } },
	{ "uv_lamp",
	  { .has_cycle = true,
	    .cycle_start = 0.5,
	    .cycle_level = 0.5,
	    .cycle_min_ms = 1800000,
	    .severity = "warning",
	    .valid_min = 0,
	    .valid_max = 1,
	    .fault_errors = 3 } },
	{ "rinse",
	  { .has_cycle = true,
	    .cycle_start = 60,
	    .cycle_level = 85,
	    .cycle_min_ms = 40000,
	    .severity = "warning",
	    .valid_min = -20,
	    .valid_max = 120,
	    .fault_errors = 3 } },
	{ "gas",
	  { .has_max = true,
	    .max = 0.5,
	    .duration_ms = 0,
	    .hysteresis = 0.5,
	    .update_step = 1,
	    .high_type = "gas_alarm",
	    .low_type = "gas_low",
	    .severity = "critical",
	    .valid_min = 0,
	    .valid_max = 1,
	    .fault_errors = 3 } },
	{ "generic",
	  { .high_type = "value_high",
	    .low_type = "value_low",
	    .severity = "warning",
	    .update_step = 1,
	    .valid_min = -1e9,
	    .valid_max = 1e9,
	    .fault_errors = 3 } },
};

static const char *const severities[] = { "info", "warning", "critical", NULL };

void rules_config_load(struct rule_config *rc, struct config *c, const char *group,
		       const char *kind)
{
	char *severity;

	*rc = kind_defaults[G_N_ELEMENTS(kind_defaults) - 1].rc;
	for (size_t i = 0; kind && i < G_N_ELEMENTS(kind_defaults); i++) {
		if (!strcmp(kind, kind_defaults[i].kind))
			*rc = kind_defaults[i].rc;
	}
	if (g_key_file_has_key(c->kf, group, "min", NULL)) {
		rc->has_min = true;
		rc->min = config_double(c, group, "min", rc->min, -1e9, 1e9);
	}
	if (g_key_file_has_key(c->kf, group, "max", NULL)) {
		rc->has_max = true;
		rc->max = config_double(c, group, "max", rc->max, -1e9, 1e9);
	}
	if (rc->has_min && rc->has_max && rc->min > rc->max)
		config_problem(c, group, "min", "%g is above max %g", rc->min, rc->max);
	rc->duration_ms = config_duration_ms(c, group, "duration", rc->duration_ms, 0, 86400000);
	rc->hysteresis = config_double(c, group, "hysteresis", rc->hysteresis, 0, 1e6);
	rc->update_step = config_double(c, group, "update_step", rc->update_step, 0, 1e6);
	severity = config_string(c, group, "severity", rc->severity);
	for (int i = 0; severity && severities[i]; i++) {
		if (!strcmp(severity, severities[i]))
			rc->severity = severities[i];
	}
	if (severity && strcmp(severity, rc->severity))
		config_problem(c, group, "severity", "'%s' is not info, warning or critical",
			       severity);
	g_free(severity);
	if (g_key_file_has_key(c->kf, group, "cycle_level", NULL))
		rc->has_cycle = true;
	rc->cycle_start = config_double(c, group, "cycle_start", rc->cycle_start, -1e9, 1e9);
	rc->cycle_level = config_double(c, group, "cycle_level", rc->cycle_level, -1e9, 1e9);
	rc->cycle_min_ms = config_duration_ms(c, group, "cycle_min", rc->cycle_min_ms, 0, 86400000);
	if (rc->has_cycle && rc->cycle_start > rc->cycle_level)
		config_problem(c, group, "cycle_start", "%g is above cycle_level %g",
			       rc->cycle_start, rc->cycle_level);
	rc->valid_min = config_double(c, group, "valid_min", rc->valid_min, -1e9, 1e9);
	rc->valid_max = config_double(c, group, "valid_max", rc->valid_max, -1e9, 1e9);
	if (rc->valid_min > rc->valid_max)
		config_problem(c, group, "valid_min", "%g is above valid_max %g", rc->valid_min,
			       rc->valid_max);
	rc->stuck_ms =
	    config_duration_ms(c, group, "stuck_after", rc->stuck_ms, 0, 30 * 86400000LL);
	rc->fault_errors = (int)config_int(c, group, "fault_errors", rc->fault_errors, 1, 1000000);
}

void rules_init(struct rules *r, const struct rule_config *cfg, const char *sensor)
{
	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	r->sensor = sensor;
}

/* Wall time of an instant `ago_ms` before now: durations come from the
 * monotonic clock, so a wall-clock jump moves timestamps, never lengths. */
static int64_t wall_before(int64_t wall_ms, int64_t ago_ms)
{
	return wall_ms - ago_ms;
}

static struct rule_event *emit(struct rule_event *out, int *n, enum rule_phase phase,
			       const char *type, const char *severity, const char *event_id)
{
	struct rule_event *ev = &out[(*n)++];

	memset(ev, 0, sizeof *ev);
	ev->phase = phase;
	ev->type = type;
	ev->severity = severity;
	snprintf(ev->event_id, sizeof ev->event_id, "%s", event_id);
	return ev;
}

/* One threshold; sign +1 watches the maximum, -1 the minimum (values are
 * compared as sign * value so both directions share the code). */
static void watch_threshold(struct rules *r, struct threshold_state *t, int sign, double limit,
			    const char *type, int64_t mono, int64_t wall, double value,
			    struct rule_event *out, int *n)
{
	const struct rule_config *cfg = r->cfg;
	double v = sign * value, lim = sign * limit;
	struct rule_event *ev;

	if (!t->breached) {
		if (v <= lim)
			return;
		t->breached = true;
		t->since_mono = mono;
		t->peak = value;
	} else if (v <= lim - cfg->hysteresis) {
		if (t->open) {
			ev = emit(out, n, RULE_CLOSE, type, cfg->severity, t->event_id);
			ev->start_ms = wall_before(wall, mono - t->since_mono);
			ev->end_ms = wall;
			ev->peak = t->peak;
			ev->has_peak = true;
			snprintf(ev->message, sizeof ev->message,
				 "back within %g by %g after %.0f s, peak %.1f", limit,
				 cfg->hysteresis, (double)(mono - t->since_mono) / 1000.0, t->peak);
		}
		memset(t, 0, sizeof *t);
		return;
	}
	if (sign * value > sign * t->peak)
		t->peak = value;
	if (!t->open) {
		if (mono - t->since_mono < cfg->duration_ms)
			return;
		t->open = true;
		t->start_wall = wall_before(wall, mono - t->since_mono);
		snprintf(t->event_id, sizeof t->event_id, "%s:%s:%lld", r->sensor, type,
			 (long long)t->start_wall);
		ev = emit(out, n, RULE_OPEN, type, cfg->severity, t->event_id);
		snprintf(ev->message, sizeof ev->message, "%s %g for %.0f s",
			 sign > 0 ? "above" : "below", limit,
			 (double)(mono - t->since_mono) / 1000.0);
	} else if (sign * (t->peak - t->last_reported) >= cfg->update_step &&
		   cfg->update_step > 0) {
		ev = emit(out, n, RULE_UPDATE, type, cfg->severity, t->event_id);
		snprintf(ev->message, sizeof ev->message, "new peak %.1f", t->peak);
	} else {
		return;
	}
	ev->start_ms = t->start_wall;
	ev->peak = t->peak;
	ev->has_peak = true;
	t->last_reported = t->peak;
}

static void watch_cycle(struct rules *r, int64_t mono, int64_t wall, double value,
			struct rule_event *out, int *n)
{
	const struct rule_config *cfg = r->cfg;
	struct rule_event *ev;
	char id[128];

	if (!r->cycle_active) {
		if (value < cfg->cycle_start)
			return;
		r->cycle_active = true;
		r->cycle_since = mono;
		r->best_at_level = 0;
		r->level_since = -1;
		r->cycle_peak = value;
	}
	r->cycle_peak = MAX(r->cycle_peak, value);
	if (value >= cfg->cycle_level) {
		if (r->level_since < 0)
			r->level_since = mono;
		r->best_at_level = MAX(r->best_at_level, mono - r->level_since);
	} else {
		r->level_since = -1;
	}
	if (value >= cfg->cycle_start)
		return;
	/* the cycle is over */
	r->cycle_active = false;
	if (r->best_at_level >= cfg->cycle_min_ms)
		return;
	snprintf(id, sizeof id, "%s:cycle_incomplete:%lld", r->sensor,
		 (long long)wall_before(wall, mono - r->cycle_since));
	ev = emit(out, n, RULE_CLOSE, "cycle_incomplete", cfg->severity, id);
	ev->start_ms = wall_before(wall, mono - r->cycle_since);
	ev->end_ms = wall;
	ev->peak = r->cycle_peak;
	ev->has_peak = true;
	snprintf(ev->message, sizeof ev->message,
		 "held >= %g for %.0f s of the %.0f s required (cycle of %.0f s)", cfg->cycle_level,
		 (double)r->best_at_level / 1000.0, (double)cfg->cycle_min_ms / 1000.0,
		 (double)(mono - r->cycle_since) / 1000.0);
}

static void fault_open(struct rules *r, int64_t wall, const char *why, struct rule_event *out,
		       int *n)
{
	struct rule_event *ev;

	if (r->fault_open)
		return;
	r->fault_open = true;
	r->fault_start_wall = wall;
	snprintf(r->fault_id, sizeof r->fault_id, "%s:sensor_fault:%lld", r->sensor,
		 (long long)wall);
	ev = emit(out, n, RULE_OPEN, "sensor_fault", "warning", r->fault_id);
	ev->start_ms = wall;
	snprintf(ev->message, sizeof ev->message, "%s", why);
}

static void fault_close(struct rules *r, int64_t wall, struct rule_event *out, int *n)
{
	struct rule_event *ev;

	if (!r->fault_open)
		return;
	r->fault_open = false;
	ev = emit(out, n, RULE_CLOSE, "sensor_fault", "warning", r->fault_id);
	ev->start_ms = r->fault_start_wall;
	ev->end_ms = MAX(wall, r->fault_start_wall);
	snprintf(ev->message, sizeof ev->message, "recovered");
}

bool rules_restore(struct rules *r, const char *event_id, const char *type, int64_t start_wall,
		   double peak, int64_t mono_ms, int64_t wall_ms)
{
	const struct rule_config *cfg = r->cfg;
	struct threshold_state *t = NULL;
	/* the time away is known only from the wall clock; never negative */
	int64_t elapsed = MAX(0, wall_ms - start_wall);

	if (!strcmp(type, "sensor_fault")) {
		r->fault_open = true;
		r->fault_start_wall = start_wall;
		snprintf(r->fault_id, sizeof r->fault_id, "%s", event_id);
		return true;
	}
	if (cfg->has_max && !strcmp(type, cfg->high_type))
		t = &r->high;
	else if (cfg->has_min && !strcmp(type, cfg->low_type))
		t = &r->low;
	if (!t)
		return false;
	t->breached = t->open = true;
	t->since_mono = mono_ms - elapsed;
	t->start_wall = start_wall;
	t->peak = t->last_reported = peak;
	snprintf(t->event_id, sizeof t->event_id, "%s", event_id);
	return true;
}

int rules_feed(struct rules *r, int64_t mono_ms, int64_t wall_ms, double value,
	       struct rule_event *out)
{
	const struct rule_config *cfg = r->cfg;
	char why[128];
	int n = 0;

	r->errors = 0;
	if (!isfinite(value) || value < cfg->valid_min || value > cfg->valid_max) {
		snprintf(why, sizeof why, "impossible value %g (valid %g to %g)", value,
			 cfg->valid_min, cfg->valid_max);
		fault_open(r, wall_ms, why, out, &n);
		return n;
	}
	if (!r->have_last || value != r->last_value) {
		r->have_last = true;
		r->last_value = value;
		r->last_change_mono = mono_ms;
	}
	if (cfg->stuck_ms > 0 && mono_ms - r->last_change_mono >= cfg->stuck_ms) {
		snprintf(why, sizeof why, "value stuck at %g for %.0f s", value,
			 (double)(mono_ms - r->last_change_mono) / 1000.0);
		fault_open(r, wall_ms, why, out, &n);
		return n;
	}
	fault_close(r, wall_ms, out, &n);
	if (cfg->has_max)
		watch_threshold(r, &r->high, +1, cfg->max, cfg->high_type, mono_ms, wall_ms, value,
				out, &n);
	if (cfg->has_min)
		watch_threshold(r, &r->low, -1, cfg->min, cfg->low_type, mono_ms, wall_ms, value,
				out, &n);
	if (cfg->has_cycle)
		watch_cycle(r, mono_ms, wall_ms, value, out, &n);
	return n;
}

int rules_feed_error(struct rules *r, int64_t mono_ms, int64_t wall_ms, int err,
		     struct rule_event *out)
{
	char why[128];
	int n = 0;

	(void)mono_ms;
	if (++r->errors < r->cfg->fault_errors)
		return 0;
	snprintf(why, sizeof why, "%d read errors in a row, the last: %s", r->errors,
		 g_strerror(-err));
	fault_open(r, wall_ms, why, out, &n);
	return n;
}
