/*
 * bk-synth — write a year of synthetic county data into an archive, for
 * the statistics benchmark (tests/bench/stats.sh): establishments of every
 * category in 12 districts, their boxes and cameras, a year of hourly
 * recorded-video minutes with outages, status changes, camera_offline
 * events, and alerts handled by regulators.
 *
 *   bk-synth DB [ESTABLISHMENTS (1000)] [YEAR (2026)] [SEED (1)]
 *   bk-synth --bench DB [RUNS (5)] [YEAR (2026)]
 *
 * --bench times each coverage and alert statistics query on such an
 * archive (opened read-only, as bkctl does), RUNS times each, and prints
 * one raw line per run: "stats query=NAME run=N ms=MS rows=ROWS".
 *
 * Deterministic for a seed. Everything goes through the archive's own
 * functions (registry rows by SQL through archive_query, as the registry
 * import would store them): archive_rollup_samples (one call per box for
 * its year of video_recorded samples: the per-hour samples are not stored
 * as readings, the statistics never read them), archive_put_status,
 * archive_put_event + archive_alert_from_event, archive_alert_step.
 * About 2 % of boxes never connect, 3 % of establishments have no box,
 * 3 % two boxes; each box has a reliability that decides its outage days.
 * Prints what it wrote. Single-threaded; the archive must be new.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "clock.h"
#include "log.h"

#define LOCAL_OFFSET_MS (8 * 3600 * INT64_C(1000))
#define HOUR_MS		(3600 * INT64_C(1000))
#define DAY_MS		(24 * HOUR_MS)

static const struct {
	const char *category, *hours;
	int weight;	     /* share of establishments, per 100 */
	int alerts_per_year; /* mean */
} kinds[] = {
	{ "school_canteen", "06:30-13:30,16:00-19:00", 20, 40 },
	{ "kindergarten", "07:00-17:00", 10, 30 },
	{ "care_home", "05:30-19:00", 5, 30 },
	{ "central_kitchen", "04:00-16:00", 3, 60 },
	{ "group_meal", "05:00-14:00", 2, 60 },
	{ "restaurant", "10:00-14:00,17:00-22:00", 40, 50 },
	{ "small_eatery", "18:00-02:00", 20, 40 },
};

static const char *const alert_types[] = { "no_mask",	       "no_chef_hat",	  "no_work_clothes",
					   "smoking",	       "phone_use",	  "rodent",
					   "temperature_high", "cycle_incomplete" };

static const char *const regulators[] = { "reg-li", "reg-wang", "reg-zhang", "reg-liu",
					  "reg-chen" };

/* xorshift64*: deterministic, good enough for synthetic data */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static double uniform(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int below(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

static void sql(struct archive *a, const char *text, const struct archive_value *p, int n)
{
	if (archive_query(a, text, p, n, NULL, NULL) != 0) {
		fprintf(stderr, "bk-synth: cannot run '%.60s…'\n", text);
		exit(1);
	}
}

static struct archive_value T(const char *text) {
	return (struct archive_value){ .type = VALUE_TEXT, .text = text };
}

/* Business minutes of each local hour, for "HH:MM-HH:MM[,…]" (well formed here). */
static void
open_hours(const char *text, int per_hour[24])
{
	bool minute[1440] = { false };
	const char *p = text;
	int h1, m1, h2, m2, n;

	memset(per_hour, 0, 24 * sizeof *per_hour);
	while (sscanf(p, "%d:%d-%d:%d%n", &h1, &m1, &h2, &m2, &n) == 4) {
		int s = h1 * 60 + m1, e = h2 * 60 + m2;

		if (e <= s)
			e += 1440;
		for (int m = s; m < e; m++)
			minute[m % 1440] = true;
		p += n;
		if (*p != ',')
			break;
		p++;
	}
	for (int m = 0; m < 1440; m++)
		per_hour[m / 60] += minute[m];
}

struct counts {
	long establishments, boxes, cameras, samples, outages, alerts, steps;
};

/* One box's year: video samples (its cameras record business hours and
 * the hour around them, unless the box is down), status changes at its
 * outages, a camera_offline event now and then. */
static void put_status(struct archive *a, const char *box, bool online, const char *ts, int64_t seq)
{
	struct archive_box_status s = { .box = box,
					.online = online,
					.version = online ? "1.0" : NULL,
					.ts = ts,
					.last_seq = seq };

	archive_put_status(a, &s);
}

static void box_year(struct archive *a, const char *box, int cameras, const int per_hour[24],
		     int64_t year_ms, int days, double reliability, struct counts *c)
{
	GArray *samples = g_array_new(FALSE, FALSE, sizeof(struct reading_sample));
	char **names = g_new0(char *, cameras + 1);
	char ts[CLOCK_TS_LEN];
	int64_t seq = 1;

	for (int k = 0; k < cameras; k++)
		names[k] = g_strdup_printf("cam-%d", k + 1);
	clock_format_ms(year_ms - DAY_MS, ts);
	put_status(a, box, true, ts, 0);
	for (int d = 0; d < days; d++) {
		int64_t day_ms = year_ms + (int64_t)d * DAY_MS;
		int down_from = 25, down_to = 25;

		if (uniform() > reliability) {
			/* an outage: from some hour, for 1–10 hours */
			down_from = below(24);
			down_to = down_from + 1 + below(10);
			clock_format_ms(day_ms + down_from * HOUR_MS + below(60) * 60000, ts);
			put_status(a, box, false, ts, seq);
			clock_format_ms(day_ms + MIN(down_to, 24) * HOUR_MS, ts);
			put_status(a, box, true, ts, seq);
			c->outages++;
		}
		for (int k = 0; k < cameras; k++) {
			if (k > 0 && uniform() < 0.002) {
				struct message m = { .kind = MSG_EVENT };
				char start[CLOCK_TS_LEN], end[CLOCK_TS_LEN], *id;

				clock_format_ms(day_ms + 12 * HOUR_MS, start);
				clock_format_ms(day_ms + 13 * HOUR_MS, end);
				id = g_strdup_printf("camera_offline:%s:%d", names[k], d);
				g_strlcpy(m.env.id, box, sizeof m.env.id);
				m.env.seq = seq++;
				m.u.event.event_id = id;
				m.u.event.phase = "close";
				m.u.event.type = "camera_offline";
				m.u.event.severity = "warning";
				m.u.event.start = start;
				m.u.event.end = end;
				m.u.event.source = names[k];
				archive_put_event(a, &m);
				g_free(id);
			}
			for (int h = 0; h < 24; h++) {
				bool near = per_hour[h] || per_hour[(h + 1) % 24] ||
					    per_hour[(h + 23) % 24];
				struct reading_sample s = { names[k], "video_recorded",
							    day_ms + h * HOUR_MS, 0, "min" };

				if (!near || (h >= down_from && h < down_to))
					continue;
				s.value = uniform() < 0.97 ? 60 : 30 + below(30);
				g_array_append_val(samples, s);
			}
		}
	}
	if (archive_rollup_samples(a, box, (struct reading_sample *)samples->data, samples->len)) {
		fprintf(stderr, "bk-synth: cannot store the video of '%s'\n", box);
		exit(1);
	}
	c->samples += samples->len;
	g_array_free(samples, TRUE);
	g_strfreev(names);
}

/* An establishment's alerts over the year and their handling. */
static void alerts_year(struct archive *a, const char *box, int mean, int64_t year_ms, int days,
			struct counts *c)
{
	int n = mean / 2 + below(mean + 1);

	for (int i = 0; i < n; i++) {
		struct message m = { .kind = MSG_EVENT };
		char start[CLOCK_TS_LEN], at[CLOCK_TS_LEN], *id = g_strdup_printf("ev-%d", i);
		int64_t t = year_ms + (int64_t)(uniform() * (double)days * (double)DAY_MS);
		const char *by = regulators[below(G_N_ELEMENTS(regulators))];

		t -= t % 1000;
		clock_format_ms(t, start);
		g_strlcpy(m.env.id, box, sizeof m.env.id);
		m.env.seq = 1000000 + i;
		m.u.event.event_id = id;
		m.u.event.phase = "open";
		m.u.event.type = alert_types[below(G_N_ELEMENTS(alert_types))];
		m.u.event.severity = uniform() < 0.2 ? "critical" : "warning";
		m.u.event.start = start;
		m.u.event.source = "cam-1";
		if (archive_put_event(a, &m) || archive_alert_from_event(a, &m) != 1) {
			fprintf(stderr, "bk-synth: cannot store alert %s of '%s'\n", id, box);
			exit(1);
		}
		c->alerts++;
		if (uniform() < 0.92) {
			t += (int64_t)(2 + uniform() * uniform() * 240) * 60000;
			clock_format_ms(t, at);
			c->steps +=
			    archive_alert_step(a, box, id, "acknowledged", by, NULL, at) == 0;
			if (uniform() < 0.6) {
				t += (int64_t)(5 + uniform() * 60) * 60000;
				clock_format_ms(t, at);
				c->steps += archive_alert_step(a, box, id, "in_progress", by, NULL,
							       at) == 0;
			}
			if (uniform() < 0.85) {
				t += (int64_t)(10 + uniform() * uniform() * 1440) * 60000;
				clock_format_ms(t, at);
				c->steps += archive_alert_step(a, box, id, "closed", by,
							       "dealt with", at) == 0;
			}
		}
		g_free(id);
	}
}

static int generate(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 1000, year = argc > 3 ? atoi(argv[3]) : 2026;
	struct counts c = { 0 };
	struct archive *a;
	char first[24], ts[CLOCK_TS_LEN];
	int64_t year_ms, next_ms;
	int days;

	if (argc < 2 || n <= 0 || year < 2000) {
		fprintf(stderr, "usage: bk-synth DB [ESTABLISHMENTS] [YEAR] [SEED]\n");
		return 2;
	}
	rng_state = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(argc > 4 ? atoi(argv[4]) : 1) | 1;
	log_init("bk-synth", LOG_WARN);
	a = archive_open(argv[1], false);
	if (!a)
		return 1;
	snprintf(first, sizeof first, "%04d-01-01", year);
	archive_parse_when(first, &year_ms);
	snprintf(first, sizeof first, "%04d-01-01", year + 1);
	archive_parse_when(first, &next_ms);
	days = (int)((next_ms - year_ms) / DAY_MS);
	clock_format_ms(year_ms - 30 * DAY_MS, ts);
	for (int e = 0; e < n; e++) {
		int w = below(100), k = 0, per_hour[24], boxes;
		char licence[32], name[64], district[8];

		for (int acc = kinds[0].weight; w >= acc && k + 1 < (int)G_N_ELEMENTS(kinds);)
			acc += kinds[++k].weight;
		if (e % 50 == 0 && archive_begin(a))
			return 1;
		snprintf(licence, sizeof licence, "JY1%06d", e + 1);
		snprintf(name, sizeof name, "synthetic %s %d", kinds[k].category, e + 1);
		snprintf(district, sizeof district, "1101%02d", 1 + below(12));
		sql(a,
		    "INSERT INTO establishments(licence, name, category, district, address,"
		    " business_hours, updated) VALUES (?1, ?2, ?3, ?4, '-', ?5, ?6)",
		    (struct archive_value[]){ T(licence), T(name), T(kinds[k].category),
					      T(district), T(kinds[k].hours), T(ts) },
		    6);
		c.establishments++;
		open_hours(kinds[k].hours, per_hour);
		boxes = below(100) < 3 ? 0 : below(100) < 3 ? 2 : 1;
		for (int b = 0; b < boxes; b++) {
			char box[32];
			int cameras = 1 + below(3);
			bool never = below(100) < 2;

			snprintf(box, sizeof box, "box-synth-%05d-%d", e + 1, b);
			sql(a,
			    "INSERT INTO registry_boxes(box, licence, provisioned, updated)"
			    " VALUES (?1, ?2, ?3, ?3)",
			    (struct archive_value[]){ T(box), T(licence), T(ts) }, 3);
			/* one box in ten has its cameras only in its reports */
			bool listed = below(10) > 0;

			for (int cam = 0; listed && cam < cameras; cam++) {
				char id[16];

				snprintf(id, sizeof id, "cam-%d", cam + 1);
				sql(a,
				    "INSERT INTO registry_cameras(box, camera, updated)"
				    " VALUES (?1, ?2, ?3)",
				    (struct archive_value[]){ T(box), T(id), T(ts) }, 3);
			}
			c.boxes++;
			c.cameras += cameras;
			if (!never)
				box_year(a, box, cameras, per_hour, year_ms, days,
					 0.80 + 0.2 * uniform(), &c);
			if (b == 0 && !never)
				alerts_year(a, box, kinds[k].alerts_per_year, year_ms, days, &c);
		}
		if ((e % 50 == 49 || e == n - 1) && archive_commit(a))
			return 1;
	}
	archive_close(a);
	printf("bk-synth: %ld establishments, %ld boxes, %ld cameras, %ld video hours, "
	       "%ld outages, %ld alerts, %ld handling steps in %d\n",
	       c.establishments, c.boxes, c.cameras, c.samples, c.outages, c.alerts, c.steps, year);
	return 0;
}

/* --- --bench ------------------------------------------------------------- */

static void count_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)ncols;
	(void)names;
	(void)v;
	(*(long *)ctx)++;
}

static int bench(const char *db, int runs, int year)
{
	char d[8][24], ts[8][CLOCK_TS_LEN];
	const char *dates[8] = { "%04d-01-01", "%04d-01-01", "%04d-06-01", "%04d-07-01",
				 "%04d-06-08", "%04d-06-15", "%04d-11-01", "%04d-12-01" };
	struct archive *a = archive_open(db, true);
	int64_t ms;

	if (!a)
		return 1;
	for (int i = 0; i < 8; i++) {
		snprintf(d[i], sizeof d[i], dates[i], year + (i == 1));
		archive_parse_when(d[i], &ms);
		clock_format_ms(ms, ts[i]);
	}
	const struct stats_query yr = { ts[0], ts[1], NULL, NULL, 0, NULL },
				 mo = { ts[2], ts[3], NULL, NULL, 0, NULL },
				 wk = { ts[4], ts[5], NULL, NULL, 0, NULL },
				 yd = { ts[0], ts[1], "110105", NULL, 0, NULL },
				 yc = { ts[0], ts[1], NULL, "school_canteen", 0, NULL },
				 nov = { ts[6], ts[7], NULL, NULL, 100, NULL },
				 top = { ts[0], ts[1], NULL, NULL, 10, NULL };
	static const char *const groups[] = { "type", "establishment", "district", "category",
					      "day",  "week",	       "month" };

	for (int run = 1; run <= runs; run++) {
		for (int q = 0; q < 17; q++) {
			const char *name = NULL;
			long rows = 0;
			int64_t t0 = clock_mono_ms(), t1;
			struct timespec s0, s1;
			int rc;

			clock_gettime(CLOCK_MONOTONIC, &s0);
			(void)t0;
			switch (q) {
			case 0:
				name = "coverage-year";
				rc = archive_coverage(a, &yr, 0.8, NULL, 0, count_row, &rows);
				break;
			case 1:
				name = "coverage-month";
				rc = archive_coverage(a, &mo, 0.8, NULL, 0, count_row, &rows);
				break;
			case 2:
				name = "coverage-week";
				rc = archive_coverage(a, &wk, 0.8, NULL, 0, count_row, &rows);
				break;
			case 3:
				name = "coverage-year-district";
				rc = archive_coverage(a, &yd, 0.8, NULL, 0, count_row, &rows);
				break;
			case 4:
				name = "coverage-year-category";
				rc = archive_coverage(a, &yc, 0.8, NULL, 0, count_row, &rows);
				break;
			case 5:
				name = "coverage-detail-year";
				rc = archive_coverage_detail(a, "JY1000005", &yr, count_row, &rows);
				break;
			case 6:
				name = "alerts-month";
				rc = archive_alerts(a, &nov, NULL, count_row, &rows);
				break;
			case 7:
				name = "alerts-month-new";
				rc = archive_alerts(a, &nov, "new", count_row, &rows);
				break;
			case 15:
				name = "alert-stats-top10-year";
				rc =
				    archive_alert_stats(a, &top, "establishment", count_row, &rows);
				break;
			case 16:
				name = "year-report";
				rc = archive_year_report(a, year, 0.8, NULL, 0, count_row, &rows);
				break;
			default: {
				static char label[64];

				snprintf(label, sizeof label, "alert-stats-%s-year", groups[q - 8]);
				name = label;
				rc = archive_alert_stats(a, &yr, groups[q - 8], count_row, &rows);
				break;
			}
			}
			clock_gettime(CLOCK_MONOTONIC, &s1);
			t1 = (int64_t)(s1.tv_sec - s0.tv_sec) * 1000000000 +
			     (s1.tv_nsec - s0.tv_nsec);
			if (rc) {
				fprintf(stderr, "bk-synth: %s failed (%d)\n", name, rc);
				archive_close(a);
				return 1;
			}
			printf("stats query=%s run=%d ms=%.2f rows=%ld\n", name, run,
			       (double)t1 / 1e6, rows);
		}
	}
	archive_close(a);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--bench")) {
		log_init("bk-synth", LOG_WARN);
		return bench(argv[2], argc > 3 ? atoi(argv[3]) : 5,
			     argc > 4 ? atoi(argv[4]) : 2026);
	}
	return generate(argc, argv);
}
