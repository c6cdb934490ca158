/*
 * Unit tests: the rule engine, table-driven. Each case is a script of
 * samples (time step, value, or a read error) and the events it must give,
 * in order: "open temperature_high", "close sensor_fault", ….
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

#define ERR	  1e300 /* a failed read instead of a value */
#define MAX_STEPS 700

struct step {
	int64_t dt_ms;	 /* monotonic time since the previous step */
	int64_t jump_ms; /* extra wall-clock jump before this step (NTP) */
	double value;
};

struct rule_case {
	const char *name;
	const char *kind;
	const char *overrides; /* extra INI lines for the sensor group */
	struct step steps[MAX_STEPS];
	int n_steps;	    /* 0: until the first zeroed step */
	const char *expect; /* events as "phase type; phase type; …" */
};

static const char *const phase_names[] = { "open", "update", "close" };

/* Load a rule config for kind plus overrides through the real config path. */
static void load_config(struct rule_config *rc, const char *kind, const char *overrides)
{
	struct config c = { 0 };
	GError *err = NULL;
	char *text = g_strdup_printf("[sensor s]\n%s\n", overrides ? overrides : "");

	c.kf = g_key_file_new();
	c.path = g_strdup("test");
	c.problems = g_ptr_array_new_with_free_func(g_free);
	assert_true(g_key_file_load_from_data(c.kf, text, (gsize)-1, G_KEY_FILE_NONE, &err));
	rules_config_load(rc, &c, "sensor s", kind);
	if (!config_ok(&c))
		fail_msg("config problem: %s", (char *)g_ptr_array_index(c.problems, 0));
	config_release(&c);
	g_free(text);
}

/* Run a case; return the events as text, and details of the last event. */
static char *run_case(const struct rule_case *tc, struct rule_event *last)
{
	struct rule_config rc;
	struct rules r;
	struct rule_event evs[RULES_MAX_EVENTS];
	GString *got = g_string_new("");
	int64_t mono = 1000000, wall = 1764000000000LL;

	load_config(&rc, tc->kind, tc->overrides);
	rules_init(&r, &rc, "s");
	for (int i = 0; i < MAX_STEPS; i++) {
		const struct step *st = &tc->steps[i];
		int n;

		if (tc->n_steps ? i >= tc->n_steps : (st->dt_ms == 0 && st->value == 0 && i > 0))
			break;
		mono += st->dt_ms;
		wall += st->dt_ms + st->jump_ms;
		n = st->value == ERR ? rules_feed_error(&r, mono, wall, -5, evs)
				     : rules_feed(&r, mono, wall, st->value, evs);
		for (int k = 0; k < n; k++) {
			g_string_append_printf(got, "%s%s %s", got->len ? "; " : "",
					       phase_names[evs[k].phase], evs[k].type);
			if (last)
				*last = evs[k];
		}
	}
	return g_string_free(got, FALSE);
}

/* Fill steps with count samples of value, period_ms apart; returns next index. */
static int hold(struct step *steps, int at, int count, int64_t period_ms, double value)
{
	for (int i = 0; i < count; i++)
		steps[at + i] = (struct step){ period_ms, 0, value };
	return at + count;
}

static void check(const struct rule_case *tc)
{
	char *got = run_case(tc, NULL);

	if (strcmp(got, tc->expect) != 0)
		fail_msg("%s: got '%s', want '%s'", tc->name, got, tc->expect);
	g_free(got);
}

#define FRIDGE "duration = 60s\nhysteresis = 0.5\nstuck_after = 0"

static void test_threshold_cases(void **state)
{
	static struct rule_case cases[] = {
		{ .name = "in range: nothing",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "" },
		{ .name = "exactly at the threshold for an hour",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "" },
		{ .name = "a breach one sample short of the duration",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "" },
		{ .name = "a breach that lasts the duration",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "open temperature_high; close temperature_high" },
		{ .name = "flickering across 8 within the hysteresis: one alert",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "open temperature_high; close temperature_high" },
		{ .name = "flickering out past the hysteresis: never long enough",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "" },
		{ .name = "a new peak updates, small rises do not",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect =
		      "open temperature_high; update temperature_high; update temperature_high; "
		      "close temperature_high" },
		{ .name = "too cold",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "open temperature_low; close temperature_low" },
	};
	struct step *s;
	int i;

	(void)state;
	hold(cases[0].steps, 0, 100, 10000, 4.0);
	hold(cases[1].steps, 0, 360, 10000, 8.0);
	/* breach starts at the first 9.0; 6 more samples 10 s apart = 60 s */
	i = hold(cases[2].steps, 0, 1, 10000, 4.0);
	i = hold(cases[2].steps, i, 6, 10000, 9.0);
	hold(cases[2].steps, i, 3, 10000, 4.0);
	i = hold(cases[3].steps, 0, 1, 10000, 4.0);
	i = hold(cases[3].steps, i, 7, 10000, 9.0);
	hold(cases[3].steps, i, 3, 10000, 4.0);
	s = cases[4].steps;
	for (i = 0; i < 120; i++)
		s[i] = (struct step){ 10000, 0, i % 2 ? 7.9 : 8.1 };
	hold(s, i, 3, 10000, 7.0);
	s = cases[5].steps;
	for (i = 0; i < 120; i++)
		s[i] = (struct step){ 10000, 0, i % 2 ? 7.4 : 8.5 };
	i = hold(cases[6].steps, 0, 8, 10000, 9.0);
	i = hold(cases[6].steps, i, 1, 10000, 9.6);  /* +0.6: update */
	i = hold(cases[6].steps, i, 1, 10000, 9.8);  /* +0.2: no update */
	i = hold(cases[6].steps, i, 1, 10000, 10.1); /* +0.5 over the last report: update */
	hold(cases[6].steps, i, 2, 10000, 5.0);
	i = hold(cases[7].steps, 0, 8, 10000, -1.0);
	hold(cases[7].steps, i, 2, 10000, 3.0);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		check(&cases[k]);
}

static void test_alert_details(void **state)
{
	static struct rule_case tc = { .name = "details", .kind = "fridge", .overrides = FRIDGE };
	struct rule_event last;
	char *got;
	int i;

	(void)state;
	i = hold(tc.steps, 0, 1, 10000, 4.0);
	i = hold(tc.steps, i, 10, 10000, 9.2); /* breach from the first 9.2 for 90 s */
	hold(tc.steps, i, 1, 10000, 7.5);      /* back by exactly the hysteresis: closes */
	got = run_case(&tc, &last);
	assert_string_equal(got, "open temperature_high; close temperature_high");
	assert_int_equal(last.phase, RULE_CLOSE);
	assert_true(last.has_peak);
	assert_true(last.peak > 9.19 && last.peak < 9.21);
	assert_int_equal(last.end_ms - last.start_ms, 100000); /* 9.2 at t0 .. 7.5 at t0+100 s */
	assert_non_null(strstr(last.event_id, "s:temperature_high:"));
	g_free(got);
}

static void test_clock_jump(void **state)
{
	static struct rule_case forward = { .name = "NTP jump forward mid-breach",
					    .kind = "fridge",
					    .overrides = FRIDGE,
					    .expect = "" };
	static struct rule_case backward = { .name = "NTP jump back while open",
					     .kind = "fridge",
					     .overrides = FRIDGE,
					     .expect =
						 "open temperature_high; close temperature_high" };
	struct rule_event last;
	char *got;
	int i;

	(void)state;
	/* 30 s of breach, but the wall clock leaps an hour: still not long enough */
	i = hold(forward.steps, 0, 3, 10000, 9.0);
	forward.steps[1].jump_ms = 3600000;
	hold(forward.steps, i, 2, 10000, 4.0);
	check(&forward);
	/* open, then the wall clock goes back a day: it neither closes nor reopens */
	i = hold(backward.steps, 0, 8, 10000, 9.0);
	backward.steps[i] = (struct step){ 10000, -86400000, 9.1 };
	i++;
	i = hold(backward.steps, i, 3, 10000, 9.0);
	hold(backward.steps, i, 1, 10000, 4.0);
	got = run_case(&backward, &last);
	assert_string_equal(got, backward.expect);
	/* the duration is the monotonic one: 12 steps of 10 s, not a day less */
	assert_int_equal(last.end_ms - last.start_ms, 120000);
	g_free(got);
}

static void test_cycles(void **state)
{
	static struct rule_case cases[] = {
		{ .name = "disinfection one second short",
		  .kind = "disinfection",
		  .expect = "close cycle_incomplete" },
		{ .name = "disinfection exactly ten minutes",
		  .kind = "disinfection",
		  .expect = "" },
		{ .name = "UV lamp on 20 minutes",
		  .kind = "uv_lamp",
		  .expect = "close cycle_incomplete" },
		{ .name = "UV lamp on 31 minutes", .kind = "uv_lamp", .expect = "" },
		{ .name = "rinse 85 for 40 s in two stretches",
		  .kind = "rinse",
		  .expect = "close cycle_incomplete" },
	};
	int i;

	(void)state;
	/* heat up, 120 °C from t to t + 599 s, cool down */
	i = hold(cases[0].steps, 0, 1, 1000, 20);
	i = hold(cases[0].steps, i, 1, 1000, 80);
	i = hold(cases[0].steps, i, 600, 1000, 121); /* first at t, last at t + 599 s */
	hold(cases[0].steps, i, 2, 1000, 30);
	i = hold(cases[1].steps, 0, 1, 1000, 80);
	i = hold(cases[1].steps, i, 601, 1000, 121);
	hold(cases[1].steps, i, 2, 1000, 30);
	i = hold(cases[2].steps, 0, 1, 60000, 0);
	i = hold(cases[2].steps, i, 21, 60000, 1);
	hold(cases[2].steps, i, 2, 60000, 0);
	i = hold(cases[3].steps, 0, 1, 60000, 0);
	i = hold(cases[3].steps, i, 32, 60000, 1);
	hold(cases[3].steps, i, 2, 60000, 0);
	i = hold(cases[4].steps, 0, 1, 1000, 70);
	i = hold(cases[4].steps, i, 25, 1000, 86);
	i = hold(cases[4].steps, i, 2, 1000, 80); /* dips under 85 but the cycle goes on */
	i = hold(cases[4].steps, i, 25, 1000, 86);
	hold(cases[4].steps, i, 2, 1000, 40);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		check(&cases[k]);
}

static void test_sensor_faults(void **state)
{
	static struct rule_case cases[] = {
		{ .name = "three read errors open a fault, a good read closes it",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "open sensor_fault; close sensor_fault" },
		{ .name = "two read errors are tolerated",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "" },
		{ .name = "an impossible value is a fault, not an alert",
		  .kind = "fridge",
		  .overrides = FRIDGE,
		  .expect = "open sensor_fault; close sensor_fault" },
		{ .name = "a stuck value",
		  .kind = "fridge",
		  .overrides = "stuck_after = 30m",
		  .expect = "open sensor_fault; close sensor_fault" },
	};
	int i;

	(void)state;
	i = hold(cases[0].steps, 0, 3, 1000, ERR);
	hold(cases[0].steps, i, 2, 1000, 4.0);
	i = hold(cases[1].steps, 0, 2, 1000, ERR);
	i = hold(cases[1].steps, i, 1, 1000, 4.0);
	hold(cases[1].steps, i, 2, 1000, ERR);
	i = hold(cases[2].steps, 0, 1, 1000, 4.0);
	i = hold(cases[2].steps, i, 100, 1000, 85.0); /* a probe out of its socket, 100 s */
	hold(cases[2].steps, i, 1, 1000, 4.0);
	i = hold(cases[3].steps, 0, 32, 60000, 4.0);
	hold(cases[3].steps, i, 1, 60000, 4.1);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		check(&cases[k]);
}

static void test_gas_alarm_is_immediate(void **state)
{
	static struct rule_case tc = { .name = "gas",
				       .kind = "gas",
				       .expect = "open gas_alarm; close gas_alarm" };
	struct rule_event last;
	char *got;
	int i;

	(void)state;
	i = hold(tc.steps, 0, 2, 1000, 0);
	i = hold(tc.steps, i, 1, 1000, 1);
	hold(tc.steps, i, 1, 1000, 0);
	got = run_case(&tc, &last);
	assert_string_equal(got, tc.expect);
	assert_string_equal(last.severity, "critical");
	g_free(got);
}

/* The problems rules_config_load records for overrides, joined by newlines. */
static char *config_problems(const char *kind, const char *overrides)
{
	struct rule_config rc;
	struct config c = { 0 };
	GString *all = g_string_new("");
	char *text = g_strdup_printf("[sensor s]\n%s\n", overrides);

	c.kf = g_key_file_new();
	c.path = g_strdup("edge.conf");
	c.problems = g_ptr_array_new_with_free_func(g_free);
	assert_true(g_key_file_load_from_data(c.kf, text, (gsize)-1, G_KEY_FILE_NONE, NULL));
	rules_config_load(&rc, &c, "sensor s", kind);
	for (guint i = 0; i < c.problems->len; i++)
		g_string_append_printf(all, "%s\n", (char *)g_ptr_array_index(c.problems, i));
	config_release(&c);
	g_free(text);
	return g_string_free(all, FALSE);
}

static void test_bad_rule_config(void **state)
{
	static const struct {
		const char *kind, *overrides, *want;
	} cases[] = {
		{ "fridge", "min = 9\nmax = 3", "edge.conf: [sensor s] min: 9 is above max 3" },
		{ "fridge", "max = -1", "edge.conf: [sensor s] min: 0 is above max -1" },
		{ "fridge", "duration = soon", "[sensor s] duration: 'soon' is not a duration" },
		{ "fridge", "severity = apocalyptic", "[sensor s] severity: 'apocalyptic' is not" },
		{ "disinfection", "cycle_start = 130",
		  "[sensor s] cycle_start: 130 is above cycle_level 120" },
		{ "generic", "valid_min = 5\nvalid_max = 1",
		  "[sensor s] valid_min: 5 is above valid_max 1" },
		{ "fridge", "hysteresis = -1", "[sensor s] hysteresis: -1 is out of range" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = config_problems(cases[i].kind, cases[i].overrides);

		if (!strstr(got, cases[i].want))
			fail_msg("'%s': problems '%s' do not mention '%s'", cases[i].overrides, got,
				 cases[i].want);
		g_free(got);
	}
}

static void test_restore_after_restart(void **state)
{
	struct rule_config rc;
	struct rules r;
	struct rule_event evs[RULES_MAX_EVENTS];
	int64_t mono = 5000, wall = 1764000000000LL;

	(void)state;
	load_config(&rc, "fridge", FRIDGE);
	rules_init(&r, &rc, "s");
	/* opened 5 minutes before this (new) run started */
	assert_true(rules_restore(&r, "s:temperature_high:1", "temperature_high", wall - 300000,
				  9.5, mono, wall));
	assert_false(rules_restore(&r, "s:gas_alarm:1", "gas_alarm", wall, 1, mono, wall));
	/* still too warm: no second open */
	assert_int_equal(rules_feed(&r, mono + 10000, wall + 10000, 9.0, evs), 0);
	/* recovered: it closes, with the whole duration and its id */
	assert_int_equal(rules_feed(&r, mono + 20000, wall + 20000, 4.0, evs), 1);
	assert_int_equal(evs[0].phase, RULE_CLOSE);
	assert_string_equal(evs[0].event_id, "s:temperature_high:1");
	assert_int_equal(evs[0].end_ms - evs[0].start_ms, 320000);
	assert_true(evs[0].peak > 9.4);
	/* a restored fault closes on the next good reading */
	assert_true(rules_restore(&r, "s:sensor_fault:1", "sensor_fault", wall, 0, mono, wall));
	assert_int_equal(rules_feed(&r, mono + 30000, wall + 30000, 4.0, evs), 1);
	assert_string_equal(evs[0].event_id, "s:sensor_fault:1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_cases),
		cmocka_unit_test(test_alert_details),
		cmocka_unit_test(test_clock_jump),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_sensor_faults),
		cmocka_unit_test(test_gas_alarm_is_immediate),
		cmocka_unit_test(test_restore_after_restart),
		cmocka_unit_test(test_bad_rule_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
