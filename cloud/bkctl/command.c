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

struct command_conn {
	GMainLoop *loop;
	bool connected;
	mqtt_event_fn fn;
	void *ctx;
	char *id;
	struct mqtt_settings ms;
	struct mqtt_link *link;
	int64_t serial; /* envelope seq of this run's commands */
};

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct command_conn *cc = ctx;

	if (ev->kind == MQTT_EVENT_CONNECTED && !cc->connected) {
		cc->connected = true;
		g_main_loop_quit(cc->loop);
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
	{
		struct mqtt_link_options opt = {
			.settings = &cc->ms,
			.client_id = cc->id,
			.clean_session = true,
			.subscriptions = subs,
			.on_event = on_event,
			.ctx = cc,
		};

		cc->link = mqtt_link_new(&opt);
	}
	if (!cc->link || mqtt_link_start(cc->link) != 0)
		goto fail;
	timer = g_timeout_add_seconds(CONNECT_TIMEOUT_S, on_timeout, cc->loop);
	g_main_loop_run(cc->loop);
	if (!cc->connected) {
		fprintf(stderr, "bkctl: cannot connect to %s as '%s' within %d s\n", cc->ms.uri,
			cc->id, CONNECT_TIMEOUT_S);
		goto fail;
	}
	g_source_remove(timer);
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
	int rc;

	snprintf(cmd_id, 64, "cmd-%lld-%d", (long long)cc->serial, (int)getpid());
	c->cmd_id = cmd_id;
	envelope_stamp(&env, cc->id, cc->serial++);
	msg = message_cmd(&env, c);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	topic_format(topic, MSG_CMD, c->box);
	rc = mqtt_link_publish(cc->link, topic, text, strlen(text), false);
	cJSON_free(text);
	if (rc) {
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
	mqtt_link_free(cc->link, 2000); /* waits for the publish to go out */
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
