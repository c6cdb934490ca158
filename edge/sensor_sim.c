/*
 * sensor_sim.c — the simulated driver, in one of two modes:
 *
 * A slow sine around a base value with a little noise, so a demo's charts
 * look like a real fridge:
 *   sim_base = 4        sim_amplitude = 1.5     sim_period = 10m
 *   sim_noise = 0.2     sim_seed = 1 (0: random)
 *
 * Or a scripted waveform from a CSV file of "seconds,value" rows (seconds
 * since the sensor was opened, strictly ascending; '#' starts a comment; the
 * first row may be a header), for tests and demos that need known values:
 *   sim_csv = /path/fridge-door-open.csv   sim_loop = true (default false)
 * The value is the last row at or before the elapsed time (a step function);
 * before the first row there is no sample. Without sim_loop the last row
 * holds for ever; with it, the script repeats every <last row's seconds>, so
 * the last row only marks the cycle's length.
 *
 * Both modes:
 *   sim_samples = 4000  stop after this many samples (0: never) — for
 *                       load and fault tests that must know the total
 *
 * Invariants: the CSV is parsed whole at open (a bad row is a configuration
 * problem, never a runtime surprise) into rows[] with strictly ascending
 * t_ms; a read is a binary search, O(log rows), and never touches the file.
 */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <string.h>

#include "clock.h"
#include "sensor.h"

/* The sine's keys, which mean nothing next to sim_csv. */
static const char *const sim_sine_keys[] = { "sim_base",   "sim_amplitude", "sim_noise",
					     "sim_period", "sim_seed",	    NULL };

struct sim_row {
	int64_t t_ms;
	double value;
};

struct sim {
	double base, amplitude, noise;
	int64_t period_ms;
	int64_t samples_left; /* -1: unlimited */
	GRand *rand;
	GArray *rows; /* of struct sim_row; NULL in sine mode */
	bool loop;
	int64_t start_ms; /* clock_mono_ms() at open: the CSV's second 0 */
};

/* Parse one CSV field as a finite number; false on anything else. */
static bool sim_parse_number(const char *field, double *out)
{
	char *end;

	if (!*field)
		return false;
	*out = g_ascii_strtod(field, &end);
	return !*end && isfinite(*out);
}

/*
 * Load path into sim->rows. Every malformed line is a problem naming the
 * file, the line and the reason, so one -t run shows them all.
 */
#define SIM_CSV_MAX (4 << 20)

static bool sim_load_csv(struct sim *sim, struct config *c, const char *group, const char *path)
{
	char *text = NULL;
	char **lines;
	GError *err = NULL;
	bool ok = true, seen_row = false;

	struct stat sb;

	/* a script is a small regular file: not /dev/zero, not a FIFO that blocks -t */
	if (stat(path, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size > SIM_CSV_MAX)) {
		config_problem(c, group, "sim_csv",
			       "'%s' is not a regular file of at most %d bytes", path, SIM_CSV_MAX);
		return false;
	}
	if (!g_file_get_contents(path, &text, NULL, &err)) {
		config_problem(c, group, "sim_csv", "cannot read '%s': %s", path, err->message);
		g_error_free(err);
		return false;
	}
	sim->rows = g_array_new(FALSE, FALSE, sizeof(struct sim_row));
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (int i = 0; lines[i]; i++) {
		char *line = lines[i], *hash = strchr(line, '#');
		char **f;
		struct sim_row row;
		double seconds;
		bool first = !seen_row;

		if (hash)
			*hash = '\0';
		g_strstrip(line); /* also drops the '\r' of a CRLF file */
		if (!*line)
			continue;
		seen_row = true;
		f = g_strsplit(line, ",", -1);
		for (int j = 0; f[j]; j++)
			g_strstrip(f[j]);
		if (g_strv_length(f) != 2) {
			config_problem(c, group, "sim_csv",
				       "'%s' line %d: %u fields, want seconds,value", path, i + 1,
				       g_strv_length(f));
			ok = false;
		} else if (!sim_parse_number(f[0], &seconds)) {
			/* A header is words, and only the first row may be one. */
			if (!first || sim_parse_number(f[1], &row.value)) {
				config_problem(c, group, "sim_csv",
					       "'%s' line %d: '%s' is not a number", path, i + 1,
					       f[0]);
				ok = false;
			}
		} else if (!sim_parse_number(f[1], &row.value)) {
			config_problem(c, group, "sim_csv", "'%s' line %d: '%s' is not a number",
				       path, i + 1, f[1]);
			ok = false;
		} else if (seconds < 0 || seconds > 1e9) {
			config_problem(c, group, "sim_csv",
				       "'%s' line %d: %s s is out of range [0, 1e9]", path, i + 1,
				       f[0]);
			ok = false;
		} else {
			row.t_ms = (int64_t)llround(seconds * 1000);
			if (sim->rows->len &&
			    row.t_ms <=
				g_array_index(sim->rows, struct sim_row, sim->rows->len - 1).t_ms) {
				config_problem(c, group, "sim_csv",
					       "'%s' line %d: %s s is not after the previous row's",
					       path, i + 1, f[0]);
				ok = false;
			} else {
				g_array_append_val(sim->rows, row);
			}
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	if (ok && sim->rows->len == 0) {
		config_problem(c, group, "sim_csv", "'%s' has no seconds,value rows", path);
		ok = false;
	} else if (ok && sim->loop && sim->rows->len < 2) {
		config_problem(c, group, "sim_loop",
			       "'%s' needs two rows or more to loop (the last is the cycle's end)",
			       path);
		ok = false;
	}
	return ok;
}

static void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	if (sim->rand)
		g_rand_free(sim->rand);
	if (sim->rows)
		g_array_free(sim->rows, TRUE);
	g_free(sim);
}

static int sim_open(struct sensor *s, struct config *c, const char *group)
{
	struct sim *sim = g_new0(struct sim, 1);
	char *csv = config_string(c, group, "sim_csv", "");
	bool ok = true;
	int64_t seed;

	sim->base = config_double(c, group, "sim_base", 4.0, -1000, 1000);
	sim->amplitude = config_double(c, group, "sim_amplitude", 1.0, 0, 1000);
	sim->noise = config_double(c, group, "sim_noise", 0.1, 0, 100);
	sim->period_ms = config_duration_ms(c, group, "sim_period", 600000, 1000, 86400000);
	seed = config_int(c, group, "sim_seed", 0, 0, UINT32_MAX);
	sim->samples_left = config_int(c, group, "sim_samples", 0, 0, INT64_MAX);
	if (sim->samples_left == 0)
		sim->samples_left = -1;
	sim->loop = config_bool(c, group, "sim_loop", false);
	sim->rand = seed ? g_rand_new_with_seed((guint32)seed) : g_rand_new();

	if (csv && *csv) {
		/* A sine key next to sim_csv would be silently ignored: say so. */
		for (int i = 0; sim_sine_keys[i]; i++) {
			if (g_key_file_has_key(c->kf, group, sim_sine_keys[i], NULL)) {
				config_problem(c, group, sim_sine_keys[i], "not used with sim_csv");
				ok = false;
			}
		}
		ok = sim_load_csv(sim, c, group, csv) && ok;
	} else if (g_key_file_has_key(c->kf, group, "sim_loop", NULL)) {
		config_problem(c, group, "sim_loop", "only used with sim_csv");
		ok = false;
	}
	g_free(csv);
	if (!ok) {
		sim_free(sim);
		return -EINVAL;
	}
	sim->start_ms = clock_mono_ms();
	s->driver = sim;
	return 0;
}

/* The CSV's value at elapsed_ms: 0, or 1 before the first row. */
static int sim_csv_value(const struct sim *sim, int64_t elapsed_ms, double *value)
{
	const struct sim_row *rows = (const struct sim_row *)(void *)sim->rows->data;
	guint lo = 0, hi = sim->rows->len; /* answer: the last row in [0, lo) */
	int64_t cycle_ms = rows[sim->rows->len - 1].t_ms;

	if (sim->loop && cycle_ms > 0)
		elapsed_ms %= cycle_ms;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (rows[mid].t_ms <= elapsed_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 1;
	*value = rows[lo - 1].value;
	return 0;
}

static int sim_read(struct sensor *s, double *value)
{
	struct sim *sim = s->driver;
	double phase;

	if (sim->samples_left == 0)
		return 1;
	if (sim->rows) {
		int rc = sim_csv_value(sim, clock_mono_ms() - sim->start_ms, value);

		if (rc == 0 && sim->samples_left > 0)
			sim->samples_left--;
		return rc;
	}
	if (sim->samples_left > 0)
		sim->samples_left--;

	phase = (double)(clock_mono_ms() % sim->period_ms) / (double)sim->period_ms;
	*value = sim->base + sim->amplitude * sin(2 * M_PI * phase) +
		 g_rand_double_range(sim->rand, -sim->noise, sim->noise);
	return 0;
}

static void sim_close(struct sensor *s)
{
	sim_free(s->driver);
	s->driver = NULL;
}

const struct sensor_ops sensor_sim_ops = {
	.name = "sim",
	.keys = (const char *const[]){ "sim_base", "sim_amplitude", "sim_noise", "sim_period",
				       "sim_seed", "sim_samples", "sim_csv", "sim_loop", NULL },
	.open = sim_open,
	.read = sim_read,
	.close = sim_close,
};
