/*
 * mqtt_settings.h — the [mqtt] group every brightkitchen program's config
 * has: where the broker is and which certificate to show it.
 */
#ifndef BK_MQTT_SETTINGS_H
#define BK_MQTT_SETTINGS_H

#include "config.h"

struct mqtt_settings {
	char *uri;  /* ssl://host:port */
	char *ca;   /* the deployment CA */
	char *cert; /* this party's certificate; its CN is the id */
	char *key;
	int keepalive_s;
	int reconnect_max_ms;
};

/* Read [mqtt]; problems go to c. extra_keys: further allowed keys or NULL. */
void mqtt_settings_load(struct config *c, struct mqtt_settings *m, const char *const *extra_keys);
void mqtt_settings_release(struct mqtt_settings *m);

#endif
