/*
 * bench_outbox — how many messages per second the edge outbox accepts.
 *
 *   bench_outbox DB N full|normal [SECONDS [SAMPLES]]
 *
 * Creates the outbox DB (which must not exist yet: a fresh file, so runs
 * do not inherit each other's WAL), then accepts N reading messages, or as
 * many as fit in SECONDS (default 5; a slow disk must not stall the whole
 * benchmark), the way
 * bk-edge does: stamp the envelope, build the reading with SAMPLES samples
 * (default 9, about 1 KB of JSON), print it, outbox_put it in its own
 * transaction. The clock covers the whole accept path; with synchronous=FULL
 * it is one fsync per message and the JSON work is noise beside it.
 *
 * Prints one line of key=value pairs for tests/bench/run.sh:
 *   sync=full n=20000 bytes=1014 seconds=2.353 rate=8498.9 cpu=1.210
 * (n: the puts done; cpu: the process's user + system seconds, whole run)
 * Exit 1 when the outbox cannot be opened or a put fails. Not a test: it
 * measures, it does not check (tests/unit/test_outbox.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "topic.h"

#define BOX_ID	    "box-bench-outbox"
#define MAX_SAMPLES 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_outbox DB N full|normal [SECONDS [SAMPLES 1-%d]]\n",
		MAX_SAMPLES);
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const sensors[] = { "fridge-1",    "fridge-2",	"freezer-1",
					       "cleanroom-1", "disinfection-1", "uv-lamp-1",
					       "rinse-1",     "gas-1" };
	static const char *const kinds[] = { "fridge",	     "fridge",	"freezer", "cleanroom",
					     "disinfection", "uv_lamp", "rinse",   "gas" };
	static const char *const units[] = { "C", "C", "C", "C", "C", "on", "C", "alarm" };
	struct reading_sample s[MAX_SAMPLES];
	char topic[TOPIC_MAX];
	struct outbox *o;
	size_t bytes = 0;
	long n, done = 0, samples = 9;
	double seconds = 5;
	bool full;
	double t0, t1, cpu;
	struct rusage ru;

	if (argc < 4 || argc > 6)
		return usage();
	n = strtol(argv[2], NULL, 10);
	if (n < 1 || n > 10000000)
		return usage();
	if (!strcmp(argv[3], "full"))
		full = true;
	else if (!strcmp(argv[3], "normal"))
		full = false;
	else
		return usage();
	if (argc >= 5) {
		seconds = strtod(argv[4], NULL);
		if (!(seconds > 0 && seconds <= 3600))
			return usage();
	}
	if (argc == 6) {
		samples = strtol(argv[5], NULL, 10);
		if (samples < 1 || samples > MAX_SAMPLES)
			return usage();
	}
	if (access(argv[1], F_OK) == 0) {
		fprintf(stderr, "bench_outbox: cannot use '%s': it exists (give a fresh path)\n",
			argv[1]);
		return 1;
	}
	log_init("bench_outbox", LOG_WARN);
	o = outbox_open(argv[1], full);
	if (!o)
		return 1;
	topic_format(topic, MSG_READING, BOX_ID);

	t0 = now_s();
	for (long i = 0; i < n; i++) {
		int64_t seq = outbox_last_seq(o) + 1;
		int64_t t_ms = clock_wall_ms();
		struct envelope e;
		cJSON *msg;
		char *text;
		int rc;

		for (long k = 0; k < samples; k++) {
			s[k] = (struct reading_sample){
				.sensor = sensors[k % 8],
				.kind = kinds[k % 8],
				.t_ms = t_ms - 1000 * (samples - 1 - k),
				.value = 3.0 + (double)((i * 7 + k * 13) % 200) / 100.0 + 0.123456,
				.unit = units[k % 8],
			};
		}
		envelope_stamp(&e, BOX_ID, seq);
		msg = message_reading(&e, s, (size_t)samples);
		text = cJSON_PrintUnformatted(msg);
		bytes = strlen(text);
		rc = outbox_put(o, seq, OUTBOX_READING, topic, text, bytes);
		cJSON_free(text);
		cJSON_Delete(msg);
		if (rc) {
			fprintf(stderr, "bench_outbox: cannot put message %ld into '%s': %s\n",
				i + 1, argv[1], strerror(-rc));
			outbox_close(o);
			return 1;
		}
		done = i + 1;
		/* the clock is cheap beside a commit; look every 100 puts */
		if (done % 100 == 0 && now_s() - t0 >= seconds)
			break;
	}
	t1 = now_s();
	outbox_close(o);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

	printf("sync=%s n=%ld bytes=%zu seconds=%.3f rate=%.1f cpu=%.3f\n",
	       full ? "full" : "normal", done, bytes, t1 - t0, (double)done / (t1 - t0), cpu);
	return 0;
}
