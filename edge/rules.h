/*
 * rules.h — the box's rule engine: turns one sensor's samples into events.
 *
 * Per sensor, up to four watchers run side by side:
 *   - high and low thresholds: a Schmitt trigger with an on-delay. A breach
 *     starts when the value goes past the limit and ends only when it is
 *     back by the hysteresis; an alert opens when a breach has lasted
 *     `duration`, updates when its peak worsens by `update_step`, and closes
 *     when the breach ends. A thermometer flickering across 8 °C therefore
 *     gives at most one alert, not fifty.
 *   - a cycle check (disinfection cabinet, UV lamp, dishwasher rinse): a
 *     cycle runs while the value is at or above `cycle_start`; it is
 *     complete if the value stayed at or above `cycle_level` for
 *     `cycle_min` in one stretch. An incomplete cycle is reported when it
 *     ends, as a one-step event (phase close).
 *   - sensor health: consecutive read errors, a physically impossible value,
 *     or a value stuck for too long open a sensor_fault event; it closes on
 *     recovery. Impossible values are not fed to the other watchers.
 *
 * Durations are measured on the monotonic clock only: a wall-clock jump (NTP
 * after boot) cannot open or close anything. Wall time is used only to
 * express when things happened (start = now − monotonic elapsed).
 * Pure computation, no I/O; one struct rules per sensor, one thread.
 */
#ifndef BK_RULES_H
#define BK_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct rule_config {
	bool has_min, has_max;
	double min, max;		  /* the allowed range, inclusive */
	int64_t duration_ms;		  /* a breach must last this long to open */
	double hysteresis;		  /* back inside by this much to end a breach */
	double update_step;		  /* peak must worsen this much for an update */
	const char *high_type, *low_type; /* event types, e.g. temperature_high */
	const char *severity;		  /* of threshold events */
	bool has_cycle;
	double cycle_start, cycle_level;
	int64_t cycle_min_ms;
	double valid_min, valid_max; /* outside: physically impossible */
	int64_t stuck_ms;	     /* same value this long: fault (0: never) */
	int fault_errors;	     /* consecutive read errors for a fault */
};

/* NULL-terminated config keys of rules, for a sensor group's allowed list. */
extern const char *const rules_config_keys[];

/* Defaults for kind (DOMAIN.md), then overrides from [group]; problems (min
 * above max, …) are recorded in c. Strings point to static storage. */
void rules_config_load(struct rule_config *rc, struct config *c, const char *group,
		       const char *kind);

enum rule_phase { RULE_OPEN, RULE_UPDATE, RULE_CLOSE };

struct rule_event {
	enum rule_phase phase;
	const char *type;
	const char *severity;
	char event_id[128];
	int64_t start_ms; /* wall clock */
	int64_t end_ms;	  /* wall clock; 0 unless closed */
	double peak;
	bool has_peak;
	char message[160];
};

struct threshold_state {
	bool breached, open;
	int64_t since_mono; /* breach start */
	double peak, last_reported;
	char event_id[128];
	int64_t start_wall;
};

struct rules {
	const struct rule_config *cfg;
	const char *sensor;
	struct threshold_state high, low;
	bool cycle_active;
	int64_t cycle_since, level_since; /* level_since 0: not at level */
	int64_t best_at_level;
	double cycle_peak;
	bool fault_open;
	int errors;
	double last_value;
	bool have_last;
	int64_t last_change_mono;
	char fault_id[128];
	int64_t fault_start_wall;
};

#define RULES_MAX_EVENTS 4 /* at most this many events come out of one call */

/* cfg and sensor (its id) must outlive r. */
void rules_init(struct rules *r, const struct rule_config *cfg, const char *sensor);

/* Resume an event that was open when the box stopped (from the outbox):
 * its breach is taken to have lasted since start_wall, so it closes with
 * its whole duration once the value recovers. false when type is not one
 * this sensor's rules open (the caller should then close it). */
bool rules_restore(struct rules *r, const char *event_id, const char *type, int64_t start_wall,
		   double peak, int64_t mono_ms, int64_t wall_ms);

/* Feed one sample taken at (mono_ms, wall_ms); returns the number of events
 * written to out[RULES_MAX_EVENTS]. */
int rules_feed(struct rules *r, int64_t mono_ms, int64_t wall_ms, double value,
	       struct rule_event *out);

/* A failed read at (mono_ms, wall_ms) with -errno err. */
int rules_feed_error(struct rules *r, int64_t mono_ms, int64_t wall_ms, int err,
		     struct rule_event *out);

#endif
