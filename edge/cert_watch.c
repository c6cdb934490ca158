/*
 * cert_watch.c — see cert_watch.h.
 */
#include "cert_watch.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

#define DAY_MS INT64_C(86400000)

int cert_watch_check(const struct cert_info *ci, int64_t now_ms, int warn_days, const char *open_id,
		     int64_t open_start_ms, struct rule_event out[2])
{
	char id[128], until[CLOCK_TS_LEN];
	int64_t left_ms = ci->not_after_ms - now_ms;
	int n = 0;

	snprintf(id, sizeof id, "cert:%s", ci->serial);
	if (open_id && strcmp(open_id, id) == 0)
		return 0; /* still this certificate: the event stays open */
	clock_format_ms(ci->not_after_ms, until);
	if (open_id) {
		out[n] = (struct rule_event){ .phase = RULE_CLOSE,
					      .type = CERT_WATCH_TYPE,
					      .severity = "warning",
					      .start_ms = open_start_ms,
					      .end_ms = now_ms };
		snprintf(out[n].event_id, sizeof out[n].event_id, "%s", open_id);
		snprintf(out[n].message, sizeof out[n].message,
			 "renewed: now certificate %.40s, valid until %s", ci->serial, until);
		n++;
	}
	if (left_ms < (int64_t)warn_days * DAY_MS) {
		out[n] = (struct rule_event){ .phase = RULE_OPEN,
					      .type = CERT_WATCH_TYPE,
					      .severity = "warning",
					      .start_ms = now_ms };
		snprintf(out[n].event_id, sizeof out[n].event_id, "%s", id);
		snprintf(
		    out[n].message, sizeof out[n].message,
		    "certificate %.40s ends %s (%lld days left): renew it (bk-provision box renew)",
		    ci->serial, until, (long long)(left_ms > 0 ? left_ms / DAY_MS : 0));
		n++;
	}
	return n;
}
