/*
 * mqtt_settings.c — see mqtt_settings.h.
 */
#include "mqtt_settings.h"

#include <stdlib.h>
#include <string.h>

bool mqtt_settings_check_uri(const char *uri, char *err, size_t errlen)
{
	const char *host, *end, *port;
	char *stop;
	long n;

	if (!g_str_has_prefix(uri, "ssl://")) {
		snprintf(err, errlen, "'%s' must start with ssl:// (TLS is required)", uri);
		return false;
	}
	host = uri + strlen("ssl://");
	if (*host == '[') { /* an IPv6 address, [::1]:8883 */
		end = strchr(host, ']');
		if (!end || end == host + 1) {
			snprintf(err, errlen, "'%s' has an unclosed or empty [IPv6 address]", uri);
			return false;
		}
		end++;
	} else {
		end = host + strcspn(host, ":/?#@[]");
		if (end == host) {
			snprintf(err, errlen, "'%s' names no host (want ssl://HOST:PORT)", uri);
			return false;
		}
	}
	if (*end != ':' || !g_ascii_isdigit(end[1])) {
		snprintf(
		    err, errlen,
		    "'%s' names no port (want ssl://HOST:PORT, e.g. ssl://mqtt.example.org:8883)",
		    uri);
		return false;
	}
	port = end + 1;
	n = strtol(port, &stop, 10);
	if (*stop) {
		snprintf(err, errlen, "'%s' is not ssl://HOST:PORT: '%s' after the port", uri,
			 stop);
		return false;
	}
	if (n < 1 || n > 65535 || stop - port > 5) {
		snprintf(err, errlen, "'%s': port %s out of range (1-65535)", uri, port);
		return false;
	}
	return true;
}

/* [mqtt] uri: one or more brokers, each checked; a problem per bad one. */
static void load_uris(struct config *c, struct mqtt_settings *m)
{
	char *text = config_string(c, "mqtt", "uri", NULL);
	char **words, err[512];
	GPtrArray *uris;
	bool bad = false;

	if (!text)
		return;
	words = g_strsplit_set(text, " \t,", -1);
	uris = g_ptr_array_new();
	for (int i = 0; words[i]; i++) {
		bool twice = false;

		if (!*words[i])
			continue; /* runs of separators */
		for (guint j = 0; j < uris->len && !twice; j++)
			twice = !g_ascii_strcasecmp(g_ptr_array_index(uris, j), words[i]);
		if (twice) {
			/* the collector would connect to it twice as one client id,
			 * each connection kicking the other off */
			config_problem(c, "mqtt", "uri", "'%s' is listed twice", words[i]);
			bad = true;
		} else if (!mqtt_settings_check_uri(words[i], err, sizeof err)) {
			config_problem(c, "mqtt", "uri", "%s", err);
			bad = true;
		} else if (uris->len == MQTT_MAX_BROKERS) {
			config_problem(c, "mqtt", "uri", "more than %d brokers listed ('%s')",
				       MQTT_MAX_BROKERS, words[i]);
			bad = true;
			break;
		} else {
			g_ptr_array_add(uris, g_strdup(words[i]));
		}
	}
	if (uris->len == 0 && !bad)
		config_problem(c, "mqtt", "uri", "no broker given (want ssl://HOST:PORT, …)");
	if (uris->len > 0) {
		m->uri = g_strdup(g_ptr_array_index(uris, 0));
		g_ptr_array_add(uris, NULL);
		m->uris = (char **)g_ptr_array_free(uris, FALSE);
	} else {
		g_ptr_array_free(uris, TRUE);
	}
	g_strfreev(words);
	g_free(text);
}

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

	load_uris(c, m);
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
	g_strfreev(m->uris);
	memset(m, 0, sizeof *m);
}

int mqtt_settings_broker_count(const struct mqtt_settings *m)
{
	if (m->uris)
		return (int)g_strv_length(m->uris);
	return m->uri ? 1 : 0;
}

const char *mqtt_settings_broker(const struct mqtt_settings *m, int i)
{
	if (i < 0 || i >= mqtt_settings_broker_count(m))
		return NULL;
	return m->uris ? m->uris[i] : m->uri;
}

struct mqtt_settings mqtt_settings_only(const struct mqtt_settings *m, int i)
{
	struct mqtt_settings one = *m;

	one.uri = (char *)mqtt_settings_broker(m, i);
	one.uris = NULL;
	return one;
}
