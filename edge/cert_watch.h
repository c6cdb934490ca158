/*
 * cert_watch.h — the box's own certificate: a cert_expiring warning event
 * some days before it ends, closed once a renewed certificate is in use.
 *
 * Pure: given what the certificate says, the time and the event the box
 * left open (if any), it says which event steps to commit. The event's id
 * names the serial ("cert:<serial>"), so a restart with the same
 * certificate finds its event open and issues nothing new.
 */
#ifndef BK_CERT_WATCH_H
#define BK_CERT_WATCH_H

#include <stdint.h>

#include "rules.h"
#include "signing.h"

#define CERT_WATCH_SOURCE "certificate" /* the event's source, in the outbox too */
#define CERT_WATCH_TYPE	  "cert_expiring"

/* Up to two steps into out[2]: the close of the open event open_id (NULL:
 * none; opened at open_start_ms) when it is of another certificate, and the
 * open of this one's when it ends within warn_days of now_ms. Returns how
 * many. */
int cert_watch_check(const struct cert_info *ci, int64_t now_ms, int warn_days, const char *open_id,
		     int64_t open_start_ms, struct rule_event out[2]);

#endif
