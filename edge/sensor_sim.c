/*
 * sensor_sim.c — the simulated driver: a slow sine around a base value
 * with a little noise, so a demo's charts look like a real fridge.
 *
 *   sim_base = 4        sim_amplitude = 1.5     sim_period = 10m
 *   sim_noise = 0.2     sim_seed = 1 (0: random)
 *   sim_samples = 4000  stop after this many samples (0: never) — for
 *                       load and fault tests that must know the total
 */
#include <math.h>

#include "clock.h"
#include "sensor.h"

struct sim {
	double base, amplitude, noise;
	int64_t period_ms;
	int64_t samples_left;	/* -1: unlimited */
	GRand *rand;
};

static int sim_open(struct sensor *s, struct config *c, const char *group)
{
	struct sim *sim = g_new0(struct sim, 1);
	int64_t seed;

	sim->base = config_double(c, group, "sim_base", 4.0, -1000, 1000);
	sim->amplitude = config_double(c, group, "sim_amplitude", 1.0, 0, 1000);
	sim->noise = config_double(c, group, "sim_noise", 0.1, 0, 100);
	sim->period_ms = config_duration_ms(c, group, "sim_period", 600000, 1000, 86400000);
	seed = config_int(c, group, "sim_seed", 0, 0, UINT32_MAX);
	sim->samples_left = config_int(c, group, "sim_samples", 0, 0, INT64_MAX);
	if (sim->samples_left == 0)
		sim->samples_left = -1;
	sim->rand = seed ? g_rand_new_with_seed((guint32)seed) : g_rand_new();
	s->driver = sim;
	return 0;
}

static int sim_read(struct sensor *s, double *value)
{
	struct sim *sim = s->driver;
	double phase = (double)(clock_mono_ms() % sim->period_ms) / (double)sim->period_ms;

	if (sim->samples_left == 0)
		return 1;
	if (sim->samples_left > 0)
		sim->samples_left--;

	*value = sim->base + sim->amplitude * sin(2 * M_PI * phase) +
		 g_rand_double_range(sim->rand, -sim->noise, sim->noise);
	return 0;
}

static void sim_close(struct sensor *s)
{
	struct sim *sim = s->driver;

	if (sim)
		g_rand_free(sim->rand);
	g_free(sim);
}

const struct sensor_ops sensor_sim_ops = {
	.name = "sim",
	.keys = (const char *const[]){ "sim_base", "sim_amplitude", "sim_noise", "sim_period",
				       "sim_seed", "sim_samples", NULL },
	.open = sim_open,
	.read = sim_read,
	.close = sim_close,
};
