/*
 * log.c — see log.h. The program name and level are set once at start-up,
 * before any thread exists, and only read afterwards.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static const char *log_program = "bk";
static enum log_level log_min = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *program, enum log_level min_level)
{
	log_program = program;
	log_min = min_level;
}

_Bool log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 1;
		}
	}
	return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char ts[CLOCK_TS_LEN];
	char text[1024];
	va_list ap;

	if (level < log_min)
		return;
	clock_format_ms(clock_wall_ms(), ts);
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s: %s\n", ts, log_program, level_names[level], text);
}
