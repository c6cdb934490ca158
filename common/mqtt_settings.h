/*
 * mqtt_settings.h — the [mqtt] group every brightkitchen program's config
 * has: where the brokers are and which certificate to show them.
 *
 * `uri` lists one or more brokers, separated by spaces or commas, each
 * ssl://HOST:PORT ([v6]:PORT for IPv6). Every broker is a full peer
 * (README, "Delivery"): a box or handheld connects to the first that
 * answers, in the order given, and fails over to the next; the collector
 * connects to every one.
 */
#ifndef BK_MQTT_SETTINGS_H
#define BK_MQTT_SETTINGS_H

#include "config.h"

#define MQTT_MAX_BROKERS 16

struct mqtt_settings {
	char *uri;  /* the first broker, ssl://host:port (what one-broker code reads) */
	char *ca;   /* the deployment CA */
	char *cert; /* this party's certificate; its CN is the id */
	char *key;
	int keepalive_s;
	int reconnect_max_ms;
	/* Every broker in the order given, uris[0] equal to uri; NULL-terminated.
	 * Last, so that a struct filled by hand ({ uri, ca, … }) leaves it NULL:
	 * then uri is the only broker (mqtt_settings_broker_count). */
	char **uris;
};

/* Read [mqtt]; problems go to c. extra_keys: further allowed keys or NULL.
 * m owns the strings until mqtt_settings_release. */
void mqtt_settings_load(struct config *c, struct mqtt_settings *m, const char *const *extra_keys);
void mqtt_settings_release(struct mqtt_settings *m);

/* How many brokers m names (uris, or uri alone when uris is NULL; 0 when
 * neither is set), and the i-th of them (NULL past the end). */
int mqtt_settings_broker_count(const struct mqtt_settings *m);
const char *mqtt_settings_broker(const struct mqtt_settings *m, int i);
/* m naming only its i-th broker (0 <= i < the count): for a link to that
 * one alone. Borrows m's strings: valid while m is; mqtt_link_new copies. */
struct mqtt_settings mqtt_settings_only(const struct mqtt_settings *m, int i);

/* Check one broker URI: ssl://, a host, a port in 1–65535, nothing else.
 * true, or false with why (a phrase naming the URI) in err. */
bool mqtt_settings_check_uri(const char *uri, char *err, size_t errlen);

#endif
