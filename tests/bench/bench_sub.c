/*
 * bench_sub — a plain Paho subscriber for make bench: no archive, no ack,
 * only what the broker hands over (through common/mqtt_link.c, Paho as the
 * collector uses it), to set the collector's rate against in the same run.
 *
 *   bench_sub count URI CA CERT KEY FILTER EXPECTED SECONDS
 *       counts messages on FILTER; ends once EXPECTED (0: any number) have
 *       come and none for 0.5 s, on SIGTERM, or after SECONDS. Prints "count=N first_ms=… last_ms=…
 * rate=…" (rate: messages / first to last arrival). bench_sub alerts URI CA CERT KEY FILTER
 * EXPECTED SECONDS a regulator: for the first copy of each alert, the delay from the event's start
 * (the breach, by the box's clock: the same machine) to its arrival here. Prints "alerts=N p50_ms=…
 * p90_ms=… p99_ms=… max_ms=…".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>

#include "clock.h"
#include "log.h"
#include "mqtt_link.h"
#include "mqtt_settings.h"

struct sub {
	bool alerts;
	long expected, count;
	int64_t first_ms, last_ms; /* monotonic */
	GArray *delays;		   /* alerts: double ms */
	GHashTable *seen;	   /* alerts: alert ids */
	GMainLoop *loop;
};

static int64_t mono(void)
{
	return g_get_monotonic_time() / 1000;
}

static void on_alert(struct sub *s, const struct mqtt_event *ev)
{
	cJSON *root = cJSON_ParseWithLength(ev->payload, ev->len);
	const cJSON *id = cJSON_GetObjectItem(root, "alert_id");
	const cJSON *start = cJSON_GetObjectItem(root, "start");
	int64_t start_ms;
	double d;

	if (cJSON_IsString(id) && cJSON_IsString(start) &&
	    !g_hash_table_contains(s->seen, id->valuestring) &&
	    clock_parse_ts(start->valuestring, &start_ms)) {
		g_hash_table_add(s->seen, g_strdup(id->valuestring));
		d = (double)(clock_wall_ms() - start_ms);
		g_array_append_val(s->delays, d);
	}
	cJSON_Delete(root);
}

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct sub *s = ctx;

	if (ev->kind == MQTT_EVENT_CONNECTED)
		fprintf(stderr, "bench_sub: subscribed\n");
	if (ev->kind != MQTT_EVENT_MESSAGE)
		return;
	s->last_ms = mono();
	if (!s->count++)
		s->first_ms = s->last_ms;
	if (s->alerts)
		on_alert(s, ev);
}

static gboolean on_check(gpointer data)
{
	struct sub *s = data;
	long have = s->alerts ? (long)s->delays->len : s->count;

	if (s->expected > 0 && have >= s->expected && mono() - s->last_ms >= 500)
		g_main_loop_quit(s->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigterm(gpointer data)
{
	g_main_loop_quit(((struct sub *)data)->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer data)
{
	g_main_loop_quit(((struct sub *)data)->loop);
	return G_SOURCE_REMOVE;
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(GArray *v, double p)
{
	size_t i = (size_t)ceil(p / 100 * v->len);

	return v->len ? g_array_index(v, double, MIN(MAX(i, 1), v->len) - 1) : NAN;
}

int main(int argc, char **argv)
{
	struct sub s = { 0 };
	struct mqtt_settings ms = { 0 };
	const char *subs[2] = { NULL, NULL };
	struct mqtt_link *link;
	char *cn;

	if (argc != 9 || (strcmp(argv[1], "count") && strcmp(argv[1], "alerts"))) {
		fprintf(stderr,
			"usage: bench_sub count|alerts URI CA CERT KEY FILTER EXPECTED SECONDS\n");
		return 2;
	}
	log_init("bench_sub", LOG_WARN);
	s.alerts = !strcmp(argv[1], "alerts");
	ms = (struct mqtt_settings){ .uri = argv[2],
				     .ca = argv[3],
				     .cert = argv[4],
				     .key = argv[5],
				     .keepalive_s = 30,
				     .reconnect_max_ms = 2000 };
	subs[0] = argv[6];
	s.expected = atol(argv[7]);
	s.delays = g_array_new(FALSE, FALSE, sizeof(double));
	s.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s.loop = g_main_loop_new(NULL, FALSE);
	/* the client id is the certificate's CN: the file name without .crt */
	cn = g_path_get_basename(argv[4]);
	*strrchr(cn, '.') = '\0';
	struct mqtt_link_options opt = { &ms, cn, true, subs, on_event, &s };
	link = mqtt_link_new(&opt);
	if (!link || mqtt_link_start(link) != 0)
		return 1;
	g_timeout_add(100, on_check, &s);
	g_unix_signal_add(SIGTERM, on_sigterm, &s);
	g_timeout_add_seconds((guint)atoi(argv[8]), on_timeout, &s);
	g_main_loop_run(s.loop);
	mqtt_link_free(link, 100);
	if (s.alerts) {
		g_array_sort(s.delays, cmp_double);
		printf("alerts=%u p50_ms=%.0f p90_ms=%.0f p99_ms=%.0f max_ms=%.0f\n", s.delays->len,
		       pct(s.delays, 50), pct(s.delays, 90), pct(s.delays, 99), pct(s.delays, 100));
	} else {
		printf("count=%ld rate=%.1f\n", s.count,
		       s.count > 1 && s.last_ms > s.first_ms
			   ? (double)(s.count - 1) * 1000 / (double)(s.last_ms - s.first_ms)
			   : 0.0);
	}
	g_free(cn);
	return 0;
}
