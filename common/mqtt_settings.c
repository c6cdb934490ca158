/*
 * mqtt_settings.c — see mqtt_settings.h.
 */
#include "mqtt_settings.h"

#include <string.h>

void mqtt_settings_load(struct config *c, struct mqtt_settings *m, const char *const *extra_keys)
{
	static const char *const keys[] = {
		"uri", "ca", "cert", "key", "keepalive", "reconnect_max"
	};
	const char *allowed[32];
	size_t n = 0;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		allowed[n++] = keys[i];
	for (size_t i = 0; extra_keys && extra_keys[i] && n < 31; i++)
		allowed[n++] = extra_keys[i];
	allowed[n] = NULL;
	config_check_keys(c, "mqtt", allowed);

	m->uri = config_string(c, "mqtt", "uri", NULL);
	if (m->uri && !g_str_has_prefix(m->uri, "ssl://")) {
		config_problem(c, "mqtt", "uri", "'%s' must start with ssl:// (TLS is required)",
			       m->uri);
	}
	m->ca = config_file(c, "mqtt", "ca", NULL);
	m->cert = config_file(c, "mqtt", "cert", NULL);
	m->key = config_file(c, "mqtt", "key", NULL);
	m->keepalive_s =
	    (int)(config_duration_ms(c, "mqtt", "keepalive", 30000, 5000, 3600000) / 1000);
	m->reconnect_max_ms =
	    (int)config_duration_ms(c, "mqtt", "reconnect_max", 30000, 1000, 3600000);
}

void mqtt_settings_release(struct mqtt_settings *m)
{
	g_free(m->uri);
	g_free(m->ca);
	g_free(m->cert);
	g_free(m->key);
	memset(m, 0, sizeof *m);
}
