/*
 * command.c — see command.h.
 */
#include "command.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "mqtt_link.h"
#include "mqtt_settings.h"
#include "topic.h"

#define CONNECT_TIMEOUT_S 15
#define OTHERS_WAIT_MS	  3000 /* after the first broker, how long the others may take */

/* Brokers are not bridged (README, "Delivery"): a box hears only the one it
 * is connected to, so a command goes out on every broker of [mqtt] uri. A
 * box may then get it twice (a copy queued for it on a broker it left);
 * it carries each cmd_id out once (edge.c). */
struct command_conn;

struct link_ctx {
	struct command_conn *cc;
	bool connected;
};

struct command_conn {
	GMainLoop *loop;
	mqtt_event_fn fn;
	void *ctx;
	char *id;
	struct mqtt_settings ms;
	struct mqtt_link *links[MQTT_MAX_BROKERS];
	struct link_ctx ctxs[MQTT_MAX_BROKERS]; /* each link's, for its events */
	int n_links, n_connected;
	guint others_timer;
	int64_t serial; /* envelope seq of this run's commands */
};

static gboolean on_others_timeout(gpointer data)
{
	struct command_conn *cc = data;

	cc->others_timer = 0;
	g_main_loop_quit(cc->loop);
	return G_SOURCE_REMOVE;
}

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct link_ctx *lc = ctx;
	struct command_conn *cc = lc->cc;

	if (ev->kind == MQTT_EVENT_CONNECTED && !lc->connected) {
		lc->connected = true;
		/* all there, or the first: the others get a little longer */
		if (++cc->n_connected == cc->n_links)
			g_main_loop_quit(cc->loop);
		else if (cc->n_connected == 1)
			cc->others_timer = g_timeout_add(OTHERS_WAIT_MS, on_others_timeout, cc);
	}
	if (cc->fn)
		cc->fn(cc->ctx, ev);
}

static gboolean on_timeout(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

struct command_conn *command_conn_open(const char *config_path, const char *const *subs,
				       mqtt_event_fn fn, void *ctx)
{
	static const char *const groups[] = { "bkctl", "mqtt", NULL };
	static const char *const keys[] = { "id", NULL };
	struct command_conn *cc = g_new0(struct command_conn, 1);
	struct config cf = { 0 };
	guint timer;
	int n;

	cc->loop = g_main_loop_new(NULL, FALSE);
	cc->fn = fn;
	cc->ctx = ctx;
	if (config_load(&cf, config_path)) {
		config_check_groups(&cf, groups, NULL);
		config_check_keys(&cf, "bkctl", keys);
		cc->id = config_string(&cf, "bkctl", "id", NULL);
		if (cc->id && envelope_party(cc->id) != PARTY_SERVICE)
			config_problem(&cf, "bkctl", "id", "'%s' is not a service id (svc-…)",
				       cc->id);
		mqtt_settings_load(&cf, &cc->ms, NULL);
	}
	if (!config_ok(&cf)) {
		config_print_problems(&cf, stderr);
		config_release(&cf);
		goto fail;
	}
	config_release(&cf);
	n = mqtt_settings_broker_count(&cc->ms);
	for (int i = 0; i < n && i < MQTT_MAX_BROKERS; i++) {
		struct mqtt_settings one = mqtt_settings_only(&cc->ms, i);
		struct mqtt_link_options opt = {
			.settings = &one,
			.client_id = cc->id,
			.clean_session = true,
			.subscriptions = subs,
			.on_event = on_event,
			.ctx = &cc->ctxs[i],
		};

		cc->ctxs[i] = (struct link_ctx){ .cc = cc };
		cc->links[i] = mqtt_link_new(&opt);
		if (!cc->links[i] || mqtt_link_start(cc->links[i]) != 0)
			goto fail;
		cc->n_links++;
	}
	timer = g_timeout_add_seconds(CONNECT_TIMEOUT_S, on_timeout, cc->loop);
	g_main_loop_run(cc->loop);
	g_source_remove(timer);
	if (cc->others_timer)
		g_source_remove(cc->others_timer);
	cc->others_timer = 0;
	if (!cc->n_connected) {
		fprintf(stderr, "bkctl: cannot connect to %s%s as '%s' within %d s\n", cc->ms.uri,
			n > 1 ? " nor the other brokers" : "", cc->id, CONNECT_TIMEOUT_S);
		goto fail;
	}
	for (int i = 0; i < cc->n_links; i++)
		if (!cc->ctxs[i].connected)
			fprintf(stderr, "bkctl: broker %s not reached: boxes connected to it miss "
					"this run's commands\n",
				mqtt_settings_broker(&cc->ms, i));
	/* bkctl keeps no state between runs: the wall clock in ms is its seq,
	 * increasing from one run to the next */
	cc->serial = clock_wall_ms();
	return cc;
fail:
	command_conn_close(cc);
	return NULL;
}

int command_conn_send(struct command_conn *cc, struct cmd_info *c, char *cmd_id)
{
	char topic[TOPIC_MAX], *text;
	struct envelope env;
	cJSON *msg;
	int sent = 0;

	snprintf(cmd_id, 64, "cmd-%lld-%d", (long long)cc->serial, (int)getpid());
	c->cmd_id = cmd_id;
	envelope_stamp(&env, cc->id, cc->serial++);
	msg = message_cmd(&env, c);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	topic_format(topic, MSG_CMD, c->box);
	for (int i = 0; i < cc->n_links; i++)
		sent += mqtt_link_publish(cc->links[i], topic, text, strlen(text), false) == 0;
	cJSON_free(text);
	if (!sent) {
		fprintf(stderr, "bkctl: cannot publish to %s\n", topic);
		return 1;
	}
	return 0;
}

const char *command_conn_id(const struct command_conn *cc)
{
	return cc->id;
}

void command_conn_close(struct command_conn *cc)
{
	if (!cc)
		return;
	for (int i = 0; i < cc->n_links; i++)
		mqtt_link_free(cc->links[i], 2000); /* waits for the publish to go out */
	if (cc->n_links < MQTT_MAX_BROKERS && cc->links[cc->n_links])
		mqtt_link_free(cc->links[cc->n_links], 0); /* made, did not start */
	g_main_loop_unref(cc->loop);
	mqtt_settings_release(&cc->ms);
	g_free(cc->id);
	g_free(cc);
}

int command_send(const char *config_path, struct cmd_info *c, char *cmd_id)
{
	struct command_conn *cc = command_conn_open(config_path, NULL, NULL, NULL);
	int status;

	if (!cc)
		return 1;
	status = command_conn_send(cc, c, cmd_id);
	command_conn_close(cc);
	return status;
}
