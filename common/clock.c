/*
 * clock.c — see clock.h. Wall-clock formatting uses gmtime_r rather than
 * GDateTime because it runs for every log line and every message: no
 * allocation, no locale.
 */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool clock_is_synced(void)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);

	return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

void clock_format_ms(int64_t unix_ms, char *buf)
{
	time_t secs = (time_t)(unix_ms / 1000);
	int ms = (int)(unix_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	char wide[64]; /* room for any int, so the compiler can prove no truncation */

	gmtime_r(&secs, &tm);
	snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	memcpy(buf, wide, CLOCK_TS_LEN - 1);
	buf[CLOCK_TS_LEN - 1] = '\0';
}

bool clock_parse_ts(const char *text, int64_t *unix_ms)
{
	struct tm tm = { 0 }, want, back;
	time_t secs;
	int ms;
	char z;
	int n = 0;

	if (strlen(text) != CLOCK_TS_LEN - 1)
		return false;
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z, &n) != 8 ||
	    n != CLOCK_TS_LEN - 1 || z != 'Z')
		return false;
	for (int i = 0; i < CLOCK_TS_LEN - 1; i++) {
		bool digit_place =
		    !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == 19 || i == 23);
		if (digit_place && (text[i] < '0' || text[i] > '9'))
			return false;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	want = tm;
	secs = timegm(&tm);
	/* timegm normalises 2025-02-31 to March: a date that does not come back
	 * unchanged does not exist */
	if (!gmtime_r(&secs, &back) || back.tm_mday != want.tm_mday || back.tm_mon != want.tm_mon ||
	    back.tm_sec != want.tm_sec)
		return false;
	*unix_ms = (int64_t)secs * 1000 + ms;
	return true;
}
