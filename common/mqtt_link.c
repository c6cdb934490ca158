/*
 * mqtt_link.c — see mqtt_link.h.
 *
 * Reconnection is ours, not Paho's automaticReconnect: Paho retries only
 * after a first successful connect, and a box that boots while the kitchen
 * network is down must keep trying too. Back-off doubles from
 * reconnect_min_ms to reconnect_max_ms, with jitter so that a hundred boxes
 * do not come back in step after a broker restart.
 *
 * Several brokers: each attempt goes to one of them, handed to Paho as a
 * one-entry serverURIs. A lost connection is retried (after the back-off)
 * on the next broker of the list, not the one just lost: that one is likely
 * down, and a dead host costs connectTimeout (10 s) before Paho gives up on
 * it. An attempt that fails moves on to the next broker at once; when every
 * broker has failed once, the back-off applies and the next round starts
 * from the first of the list. Not Paho's own walk through a longer
 * serverURIs: it always starts from the first, and Paho 1.3.12 names the
 * wrong broker in the connect's success data once it has moved on (a box on
 * B reported A in test 45), where we must say which broker we are on.
 * Measured there: a reconnect takes about a second inside Paho however fast
 * the broker answers (the first connect some 60 ms), so a failover on
 * loopback takes the back-off plus about 1.1 s.
 */
#include "mqtt_link.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <glib-unix.h>
#include <glib.h>

#include "log.h"

struct mqtt_link {
	MQTTAsync client;
	char *uri;   /* the first broker: what Paho is created with */
	char **uris; /* every broker to try, in order */
	int n_uris;
	int current;  /* the broker of the attempt under way, or of the connection */
	int tried;    /* brokers that failed in this round (main thread) */
	char *server; /* the broker connected to, or last connected to (main thread) */
	char *client_id, *ca_file, *cert_file, *key_file;
	char **subscriptions;
	int keepalive_s;
	bool clean_session;
	int reconnect_min_ms, reconnect_max_ms, backoff_ms;
	mqtt_event_fn on_event;
	void *ctx;

	char *will_topic, *will_payload;
	bool will_retained;

	atomic_bool connected; /* Paho's view, set on its threads */
	bool up;	       /* the main thread's view: set when it handles CONNECTED */
	bool connecting;       /* main thread only */
	guint retry_source;
	GAsyncQueue *events; /* of struct mqtt_event*, filled by Paho threads */
	int wake_fd;	     /* eventfd: Paho threads write, main loop reads */
	guint wake_source;

	GMutex disconnect_lock;
	GCond disconnect_done;
	bool disconnected;

	/* OpenSSL's last complaint, added to the failed connect's reason:
	 * Paho's own words ("socket error", "TCP/TLS connect failure") do not
	 * say that the broker's certificate failed to verify. Set and taken on
	 * Paho's threads. */
	GMutex tls_lock;
	char tls_error[256];
};

/* --- Paho threads: copy, queue, wake --------------------------------- */

static void post(struct mqtt_link *link, struct mqtt_event *ev)
{
	uint64_t one = 1;

	g_async_queue_push(link->events, ev);
	if (write(link->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_error("cannot wake the main loop: %s", strerror(errno));
}

static void post_disconnected(struct mqtt_link *link, const char *reason)
{
	struct mqtt_event *ev = g_new0(struct mqtt_event, 1);

	atomic_store(&link->connected, false);
	ev->kind = MQTT_EVENT_DISCONNECTED;
	ev->reason = g_strdup(reason ? reason : "no reason given");
	post(link, ev);
}

static void on_connection_lost(void *context, char *cause)
{
	post_disconnected(context, cause ? cause : "connection lost");
	free(cause);
}

static int on_message_arrived(void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct mqtt_link *link = context;
	struct mqtt_event *ev = g_new0(struct mqtt_event, 1);

	ev->kind = MQTT_EVENT_MESSAGE;
	ev->retained = msg->retained != 0;
	ev->topic = topic_len > 0 ? g_strndup(topic, (gsize)topic_len) : g_strdup(topic);
	ev->len = (size_t)msg->payloadlen;
	ev->payload = g_malloc(ev->len + 1);
	memcpy(ev->payload, msg->payload, ev->len);
	((char *)ev->payload)[ev->len] = '\0';
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	post(link, ev);
	return 1;
}

static void on_connect_success(void *context, MQTTAsync_successData *resp)
{
	struct mqtt_link *link = context;
	struct mqtt_event *ev = g_new0(struct mqtt_event, 1);

	(void)resp; /* its serverURI is not reliable (above); the main thread knows */
	atomic_store(&link->connected, true);
	ev->kind = MQTT_EVENT_CONNECTED;
	post(link, ev);
}

static void on_connect_failure(void *context, MQTTAsync_failureData *resp)
{
	struct mqtt_link *link = context;
	char reason[600];

	g_mutex_lock(&link->tls_lock);
	snprintf(reason, sizeof reason, "connect failed: %s (code %d)%s%s",
		 resp && resp->message ? resp->message : MQTTAsync_strerror(resp ? resp->code : 0),
		 resp ? resp->code : 0, link->tls_error[0] ? "; tls: " : "", link->tls_error);
	link->tls_error[0] = '\0';
	g_mutex_unlock(&link->tls_lock);
	post_disconnected(context, reason);
}

static void on_subscribe_failure(void *context, MQTTAsync_failureData *resp)
{
	(void)context;
	log_error("cannot subscribe: %s (code %d)",
		  resp && resp->message ? resp->message : "refused", resp ? resp->code : 0);
}

static int on_ssl_error(const char *str, size_t len, void *u)
{
	struct mqtt_link *link = u;
	int n = (int)(len && str[len - 1] == '\n' ? len - 1 : len);

	log_warn("tls: %.*s", n, str);
	g_mutex_lock(&link->tls_lock);
	snprintf(link->tls_error, sizeof link->tls_error, "%.*s", n, str);
	g_mutex_unlock(&link->tls_lock);
	return 0;
}

static void on_disconnect_done(void *context, MQTTAsync_successData *resp)
{
	struct mqtt_link *link = context;

	(void)resp;
	g_mutex_lock(&link->disconnect_lock);
	link->disconnected = true;
	g_cond_signal(&link->disconnect_done);
	g_mutex_unlock(&link->disconnect_lock);
}

static void on_disconnect_failed(void *context, MQTTAsync_failureData *resp)
{
	(void)resp;
	on_disconnect_done(context, NULL);
}

/* --- main thread ----------------------------------------------------- */

static void free_event(struct mqtt_event *ev)
{
	g_free(ev->topic);
	g_free(ev->payload);
	g_free(ev->reason);
	g_free(ev->broker);
	g_free(ev);
}

static gboolean retry_connect(gpointer data)
{
	struct mqtt_link *link = data;

	link->retry_source = 0;
	mqtt_link_start(link);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct mqtt_link *link)
{
	int delay = link->backoff_ms / 2 + g_random_int_range(0, link->backoff_ms / 2 + 1);

	if (link->retry_source)
		return;
	link->retry_source = g_timeout_add((guint)delay, retry_connect, link);
	link->backoff_ms = MIN(link->backoff_ms * 2, link->reconnect_max_ms);
}

/* An attempt failed or a connection was lost: the next broker at once, or
 * after the back-off when this round has tried them all. */
static void next_broker(struct mqtt_link *link, bool was_up)
{
	if (was_up) {
		link->current = (link->current + 1) % link->n_uris;
		link->tried = 0;
	} else if (++link->tried < link->n_uris) {
		link->current = (link->current + 1) % link->n_uris;
		if (!link->retry_source)
			link->retry_source = g_idle_add(retry_connect, link);
		return;
	} else {
		link->current = 0;
		link->tried = 0;
	}
	schedule_retry(link);
}

static void subscribe_all(struct mqtt_link *link)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int n = (int)g_strv_length(link->subscriptions);
	int *qos;
	int rc;

	if (n == 0)
		return;
	qos = g_new(int, n);
	for (int i = 0; i < n; i++)
		qos[i] = 1;
	ro.onFailure = on_subscribe_failure;
	ro.context = link;
	rc = MQTTAsync_subscribeMany(link->client, n, link->subscriptions, qos, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_error("cannot subscribe to %d topics: %s", n, MQTTAsync_strerror(rc));
	g_free(qos);
}

static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	struct mqtt_link *link = data;
	struct mqtt_event *ev;
	uint64_t count;
	bool was_up;

	(void)cond;
	if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN)
		log_error("cannot read the wake-up eventfd: %s", strerror(errno));
	while ((ev = g_async_queue_try_pop(link->events))) {
		switch (ev->kind) {
		case MQTT_EVENT_CONNECTED:
			link->connecting = false;
			link->up = true;
			link->backoff_ms = link->reconnect_min_ms;
			link->tried = 0;
			g_free(link->server);
			link->server = g_strdup(link->uris[link->current]);
			ev->broker = g_strdup(link->server);
			log_info("connected to %s as '%s'", link->server, link->client_id);
			subscribe_all(link);
			break;
		case MQTT_EVENT_DISCONNECTED:
			was_up = link->up;
			link->connecting = false;
			link->up = false;
			/* a lost connection, or the broker this attempt tried */
			log_warn("not connected to %s: %s",
				 was_up ? link->server : link->uris[link->current], ev->reason);
			next_broker(link, was_up);
			break;
		case MQTT_EVENT_MESSAGE:
			break;
		}
		link->on_event(link->ctx, ev);
		free_event(ev);
	}
	return G_SOURCE_CONTINUE;
}

struct mqtt_link *mqtt_link_new(const struct mqtt_link_options *opt)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
	int n = mqtt_settings_broker_count(opt->settings);
	struct mqtt_link *link;
	int rc;

	if (n == 0) {
		log_error("cannot create an mqtt client for '%s': no broker given", opt->client_id);
		return NULL;
	}
	link = g_new0(struct mqtt_link, 1);
	link->uris = g_new0(char *, n + 1);
	for (int i = 0; i < n; i++)
		link->uris[i] = g_strdup(mqtt_settings_broker(opt->settings, i));
	link->n_uris = n;
	link->uri = g_strdup(link->uris[0]);
	link->client_id = g_strdup(opt->client_id);
	link->ca_file = g_strdup(opt->settings->ca);
	link->cert_file = g_strdup(opt->settings->cert);
	link->key_file = g_strdup(opt->settings->key);
	link->subscriptions = g_strdupv(
	    (char **)(opt->subscriptions ? opt->subscriptions : (const char *const[]){ NULL }));
	link->keepalive_s = opt->settings->keepalive_s > 0 ? opt->settings->keepalive_s : 30;
	link->clean_session = opt->clean_session;
	link->reconnect_min_ms = 500;
	link->reconnect_max_ms = MAX(opt->settings->reconnect_max_ms, link->reconnect_min_ms);
	link->backoff_ms = link->reconnect_min_ms;
	link->on_event = opt->on_event;
	link->ctx = opt->ctx;
	link->events = g_async_queue_new();
	g_mutex_init(&link->disconnect_lock);
	g_cond_init(&link->disconnect_done);
	g_mutex_init(&link->tls_lock);

	link->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (link->wake_fd < 0) {
		log_error("cannot create an eventfd: %s", strerror(errno));
		goto out_free;
	}
	/* Messages are never sent while disconnected: the caller's outbox holds them. */
	co.sendWhileDisconnected = 0;
	co.MQTTVersion = MQTTVERSION_3_1_1;
	rc = MQTTAsync_createWithOptions(&link->client, link->uri, link->client_id,
					 MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		log_error("cannot create an mqtt client for '%s': %s", link->uri,
			  MQTTAsync_strerror(rc));
		goto out_close_fd;
	}
	rc = MQTTAsync_setCallbacks(link->client, link, on_connection_lost, on_message_arrived,
				    NULL);
	if (rc != MQTTASYNC_SUCCESS) {
		log_error("cannot set mqtt callbacks: %s", MQTTAsync_strerror(rc));
		goto out_destroy;
	}
	link->wake_source = g_unix_fd_add(link->wake_fd, G_IO_IN, on_wake, link);
	return link;

out_destroy:
	MQTTAsync_destroy(&link->client);
out_close_fd:
	close(link->wake_fd);
out_free:
	link->wake_fd = -1;
	mqtt_link_free(link, 0);
	return NULL;
}

void mqtt_link_set_will(struct mqtt_link *link, const char *topic, const char *payload,
			bool retained)
{
	g_free(link->will_topic);
	g_free(link->will_payload);
	link->will_topic = g_strdup(topic);
	link->will_payload = g_strdup(payload);
	link->will_retained = retained;
}

int mqtt_link_start(struct mqtt_link *link)
{
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	int rc;

	if (link->connecting || atomic_load(&link->connected))
		return 0;
	ssl.trustStore = link->ca_file;
	ssl.keyStore = link->cert_file;
	ssl.privateKey = link->key_file;
	ssl.enableServerCertAuth = 1;
	ssl.verify = 1; /* check the broker's name against its certificate */
	ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
	ssl.disableDefaultTrustStore = 1; /* only the deployment's CA is trusted */
	ssl.ssl_error_cb = on_ssl_error;
	ssl.ssl_error_context = link;
	co.ssl = &ssl;
	co.keepAliveInterval = link->keepalive_s;
	co.cleansession = link->clean_session;
	co.connectTimeout = 10;
	co.onSuccess = on_connect_success;
	co.onFailure = on_connect_failure;
	co.context = link;
	if (link->n_uris > 1) { /* this attempt's broker (above) */
		co.serverURIcount = 1;
		co.serverURIs = &link->uris[link->current];
	}
	if (link->will_topic) {
		will.topicName = link->will_topic;
		will.message = NULL;
		will.payload.data = link->will_payload;
		will.payload.len = (int)strlen(link->will_payload);
		will.qos = 1;
		will.retained = link->will_retained;
		co.will = &will;
	}
	rc = MQTTAsync_connect(link->client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		log_warn("cannot start connecting to %s: %s", link->uris[link->current],
			 MQTTAsync_strerror(rc));
		schedule_retry(link);
		return -EIO;
	}
	link->connecting = true;
	return 0;
}

bool mqtt_link_connected(const struct mqtt_link *link)
{
	/* Both views: Paho's says at once when the connection is lost; ours
	 * waits until the owner has handled CONNECTED, so nothing is sent in
	 * between only to be sent again by the owner's reconnect handling. */
	return link->up && atomic_load(&((struct mqtt_link *)link)->connected);
}

int mqtt_link_publish(struct mqtt_link *link, const char *topic, const void *payload, size_t len,
		      bool retained)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	if (!atomic_load(&link->connected))
		return -ENOTCONN;
	rc = MQTTAsync_send(link->client, topic, (int)len, payload, 0, retained, &ro);
	switch (rc) {
	case MQTTASYNC_SUCCESS:
		return 0;
	case MQTTASYNC_DISCONNECTED:
		return -ENOTCONN;
	case MQTTASYNC_MAX_BUFFERED_MESSAGES:
	case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
		return -EAGAIN;
	default:
		log_warn("cannot publish to '%s': %s", topic, MQTTAsync_strerror(rc));
		return -EIO;
	}
}

void mqtt_link_free(struct mqtt_link *link, int timeout_ms)
{
	struct mqtt_event *ev;

	if (!link)
		return;
	if (link->client) {
		if (atomic_load(&link->connected)) {
			MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
			gint64 deadline =
			    g_get_monotonic_time() + (gint64)timeout_ms * 1000 + 500000;

			dopt.timeout = timeout_ms;
			dopt.onSuccess = on_disconnect_done;
			dopt.onFailure = on_disconnect_failed;
			dopt.context = link;
			if (MQTTAsync_disconnect(link->client, &dopt) == MQTTASYNC_SUCCESS) {
				g_mutex_lock(&link->disconnect_lock);
				while (!link->disconnected &&
				       g_cond_wait_until(&link->disconnect_done,
							 &link->disconnect_lock, deadline))
					;
				g_mutex_unlock(&link->disconnect_lock);
			}
		}
		MQTTAsync_destroy(&link->client);
	}
	if (link->wake_source)
		g_source_remove(link->wake_source);
	if (link->retry_source)
		g_source_remove(link->retry_source);
	if (link->wake_fd >= 0)
		close(link->wake_fd);
	while ((ev = g_async_queue_try_pop(link->events)))
		free_event(ev);
	g_async_queue_unref(link->events);
	g_mutex_clear(&link->disconnect_lock);
	g_cond_clear(&link->disconnect_done);
	g_mutex_clear(&link->tls_lock);
	g_free(link->uri);
	g_strfreev(link->uris);
	g_free(link->server);
	g_free(link->client_id);
	g_free(link->ca_file);
	g_free(link->cert_file);
	g_free(link->key_file);
	g_strfreev(link->subscriptions);
	g_free(link->will_topic);
	g_free(link->will_payload);
	g_free(link);
}
