/*
 * clock.h — the three clocks of the envelope: wall time (RFC 3339, UTC,
 * milliseconds), monotonic milliseconds since boot, and whether the kernel
 * says the wall clock is synchronised (NTP). All functions are thread-safe.
 */
#ifndef BK_CLOCK_H
#define BK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* "2026-11-25T15:28:49.123Z" plus the terminating NUL. */
#define CLOCK_TS_LEN 25

int64_t clock_wall_ms(void); /* Unix time in ms */
int64_t clock_mono_ms(void); /* ms since boot, including suspend */
bool clock_is_synced(void);  /* kernel NTP status; false when unknown */

/* Format Unix ms as the envelope's timestamp into buf[CLOCK_TS_LEN]. */
void clock_format_ms(int64_t unix_ms, char *buf);

/* Parse the envelope's timestamp format (exactly, UTC 'Z'); false if malformed. */
bool clock_parse_ts(const char *text, int64_t *unix_ms);

#endif
