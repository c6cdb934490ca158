/*
 * mqtt_link.h — the one module that touches Eclipse Paho (MQTTAsync):
 * a mutual-TLS MQTT 3.1.1 connection that reconnects by itself with
 * back-off and delivers its events on the GLib main loop.
 *
 * Threads: Paho runs its own threads. Its callbacks only copy what arrived
 * into a queue and wake the main loop through an eventfd; the handler given
 * to mqtt_link_new therefore always runs on the thread running the default
 * GMainContext. Every function here must be called from that thread too.
 *
 * Delivery: every publish is QoS 0. Paho's acknowledgements were never a
 * durability guarantee (DESIGN.md, pitfalls): the box keeps each message in
 * its outbox until the collector's application ack. And Paho C 1.3.12 (the
 * Debian 12 package) has a use-after-free on QoS 1 publishes: when the socket
 * fails mid-write, the send thread frees the topic that the stored in-flight
 * publication still points at, and the next reconnect's retry reads it
 * (seen under AddressSanitizer in tests 40 and 41; upstream issues 1621/1622
 * describe the same family). At QoS 0 Paho stores no publication, so the
 * path does not exist. The broker queues QoS 0 for absent persistent
 * sessions (queue_qos0_messages in broker-conf/mosquitto.conf).
 * Subscriptions are QoS 1, so what others publish at QoS 1 reaches us so.
 *
 * Several brokers (settings listing more than one): the first connect
 * tries them in the order given; a lost connection is retried on the next
 * one after the broker lost; a failed attempt moves on to the next at once,
 * and only a round in which all have failed waits for the back-off (and
 * starts again from the first). So a box fails over when its broker goes
 * and stays on the new one until that one goes too. Its owner resends what
 * was not acknowledged on every connect, so a failover loses nothing. The
 * collector instead makes one link per broker, each given settings that
 * name only that one.
 */
#ifndef BK_MQTT_LINK_H
#define BK_MQTT_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "mqtt_settings.h"

enum mqtt_event_kind {
	MQTT_EVENT_CONNECTED,	 /* subscriptions have been requested */
	MQTT_EVENT_DISCONNECTED, /* lost, or a connect attempt failed; a retry is scheduled */
	MQTT_EVENT_MESSAGE,
};

struct mqtt_event {
	enum mqtt_event_kind kind;
	char *topic;   /* MESSAGE: NUL-terminated */
	void *payload; /* MESSAGE: len bytes plus a NUL (so text can be parsed in place) */
	size_t len;
	char *reason;  /* DISCONNECTED: why, for the log */
	char *broker;  /* CONNECTED: the broker connected to (ssl://host:port) */
	bool retained; /* MESSAGE: sent from the broker's retained store on subscribing,
			* not live (a stale state may come so from another broker) */
};

/* Called on the main thread; ev and everything in it is freed after return. */
typedef void (*mqtt_event_fn)(void *ctx, const struct mqtt_event *ev);

struct mqtt_link_options {
	const struct mqtt_settings *settings; /* brokers, certificates, timings */
	const char *client_id;		      /* also the certificate's CN */
	bool clean_session;
	const char *const *subscriptions; /* NULL-terminated filters, QoS 1 */
	mqtt_event_fn on_event;
	void *ctx;
};

struct mqtt_link;

/* Create (does not connect yet). Strings are copied. NULL with a log line on error. */
struct mqtt_link *mqtt_link_new(const struct mqtt_link_options *opt);

/* Set the last will used by the next connect attempt (payload copied). */
void mqtt_link_set_will(struct mqtt_link *link, const char *topic, const char *payload,
			bool retained);

/* Start connecting; events follow on the main loop. 0 or -errno. */
int mqtt_link_start(struct mqtt_link *link);

/* Connected, and the owner has been told (MQTT_EVENT_CONNECTED handled). */
bool mqtt_link_connected(const struct mqtt_link *link);

/* Hand a message to Paho (QoS 0, see above). 0, -ENOTCONN when not
 * connected, -EAGAIN when Paho's buffer is full, -EIO otherwise. */
int mqtt_link_publish(struct mqtt_link *link, const char *topic, const void *payload, size_t len,
		      bool retained);

/* Disconnect (waiting up to timeout_ms for in-flight messages), then free. NULL is fine. */
void mqtt_link_free(struct mqtt_link *link, int timeout_ms);

#endif
