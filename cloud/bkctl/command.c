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

struct sender {
	GMainLoop *loop;
	bool connected;
};

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct sender *s = ctx;

	if (ev->kind == MQTT_EVENT_CONNECTED) {
		s->connected = true;
		g_main_loop_quit(s->loop);
	}
}

static gboolean on_timeout(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

int command_send(const char *config_path, struct cmd_info *c, char *cmd_id)
{
	static const char *const groups[] = { "bkctl", "mqtt", NULL };
	static const char *const keys[] = { "id", NULL };
	struct config cf = { 0 };
	struct mqtt_settings ms = { 0 };
	struct sender s = { .loop = g_main_loop_new(NULL, FALSE) };
	struct mqtt_link *link = NULL;
	char *id = NULL, *text = NULL, topic[TOPIC_MAX];
	struct envelope env;
	cJSON *msg;
	guint timer;
	int status = 1;

	if (config_load(&cf, config_path)) {
		config_check_groups(&cf, groups, NULL);
		config_check_keys(&cf, "bkctl", keys);
		id = config_string(&cf, "bkctl", "id", NULL);
		if (id && envelope_party(id) != PARTY_SERVICE)
			config_problem(&cf, "bkctl", "id", "'%s' is not a service id (svc-…)", id);
		mqtt_settings_load(&cf, &ms, NULL);
	}
	if (!config_ok(&cf)) {
		config_print_problems(&cf, stderr);
		goto out;
	}
	{
		struct mqtt_link_options opt = {
			.settings = &ms,
			.client_id = id,
			.clean_session = true,
			.on_event = on_event,
			.ctx = &s,
		};

		link = mqtt_link_new(&opt);
	}
	if (!link || mqtt_link_start(link) != 0)
		goto out;
	timer = g_timeout_add_seconds(CONNECT_TIMEOUT_S, on_timeout, s.loop);
	g_main_loop_run(s.loop);
	if (!s.connected) {
		fprintf(stderr, "bkctl: cannot connect to %s as '%s' within %d s\n", ms.uri, id,
			CONNECT_TIMEOUT_S);
		goto out;
	}
	g_source_remove(timer);
	snprintf(cmd_id, 64, "cmd-%lld-%d", (long long)clock_wall_ms(), (int)getpid());
	c->cmd_id = cmd_id;
	/* bkctl keeps no state between runs: the wall clock in ms is its seq,
	 * increasing from one command to the next */
	envelope_stamp(&env, id, clock_wall_ms());
	msg = message_cmd(&env, c);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	topic_format(topic, MSG_CMD, c->box);
	if (mqtt_link_publish(link, topic, text, strlen(text), false) != 0)
		fprintf(stderr, "bkctl: cannot publish to %s\n", topic);
	else
		status = 0;
out:
	mqtt_link_free(link, 2000); /* waits for the publish to go out */
	cJSON_free(text);
	g_main_loop_unref(s.loop);
	mqtt_settings_release(&ms);
	config_release(&cf);
	g_free(id);
	return status;
}
