/*
 * hh_sync.c — see hh_sync.h. A handheld sends a few reports a day, so
 * there is no window or rate limit: everything unacknowledged goes on each
 * connect, and at most once per ack_timeout afterwards.
 */
#include "hh_sync.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mqtt_link.h"
#include "topic.h"

#define SETTLE_MS 1000 /* quiet time after which a one-shot sync may end */
#define TICK_MS	  200

struct sync {
	const struct hh_config *cfg;
	struct hh_store *store;
	struct mqtt_link *link;
	GMainLoop *loop;
	bool follow;
	int64_t started_ms, deadline_ms, last_activity_ms;
	int64_t cursor;	     /* highest seq sent on this connection */
	GHashTable *sent_at; /* seq → mono ms of the last send, for resends */
	hh_sync_task_fn on_task;
	void *ctx;
	struct hh_sync_result *res;
};

#define SEQ_KEY(s) ((gpointer)(intptr_t)(s))
#define KEY_SEQ(k) ((int64_t)(intptr_t)(k))

/* Publish the first row with seq > after; with exact, only if it is seq
 * exact (a resend of a row that may have been acked meanwhile). 0, -ENOENT,
 * or mqtt_link_publish's error. */
static int send_next(struct sync *s, int64_t after, int64_t exact, int64_t *seq)
{
	char *topic = NULL, *payload = NULL;
	int rc = hh_store_outbox_next(s->store, after, seq, &topic, &payload);

	if (rc == 0 && exact && *seq != exact)
		rc = -ENOENT;
	if (rc == 0) {
		rc = mqtt_link_publish(s->link, topic, payload, strlen(payload), false);
		if (rc == 0) {
			g_hash_table_insert(s->sent_at, SEQ_KEY(*seq), SEQ_KEY(clock_mono_ms()));
			s->res->sent++;
			log_debug("sent report seq %lld", (long long)*seq);
		}
	}
	g_free(topic);
	g_free(payload);
	return rc;
}

/* Send what this connection has not sent yet. */
static void pump(struct sync *s)
{
	int64_t seq;

	while (mqtt_link_connected(s->link) && send_next(s, s->cursor, 0, &seq) == 0)
		s->cursor = seq;
}

static void resend_overdue(struct sync *s)
{
	int64_t now = clock_mono_ms();
	GHashTableIter it;
	gpointer k, v;
	GArray *due = g_array_new(FALSE, FALSE, sizeof(int64_t));

	g_hash_table_iter_init(&it, s->sent_at);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (now - KEY_SEQ(v) >= s->cfg->ack_timeout_ms) {
			int64_t seq = KEY_SEQ(k);

			g_array_append_val(due, seq);
		}
	}
	for (guint i = 0; i < due->len && mqtt_link_connected(s->link); i++) {
		int64_t want = g_array_index(due, int64_t, i), got;

		g_hash_table_remove(s->sent_at, SEQ_KEY(want));
		if (send_next(s, want - 1, want, &got) == 0)
			log_info("resent report seq %lld: no ack within %lld ms", (long long)want,
				 (long long)s->cfg->ack_timeout_ms);
	}
	g_array_free(due, TRUE);
}

static void handle_ack(struct sync *s, const struct message *m)
{
	int64_t acked = m->u.ack.acked, last = hh_store_last_seq(s->store);
	GHashTableIter it;
	gpointer k;
	int n;

	if (acked > last) {
		log_warn("ack for seq %lld beyond the last issued %lld (store replaced?); ignored",
			 (long long)acked, (long long)last);
		return;
	}
	n = hh_store_outbox_ack(s->store, acked);
	if (n < 0)
		return; /* rows stay; the next ack retries */
	if (n > 0)
		log_info("centre acknowledged reports up to seq %lld (%d deleted)",
			 (long long)acked, n);
	g_hash_table_iter_init(&it, s->sent_at);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (KEY_SEQ(k) <= acked)
			g_hash_table_iter_remove(&it);
}

static void on_message(struct sync *s, const struct mqtt_event *ev)
{
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root;

	s->last_activity_ms = clock_mono_ms();
	if (!topic_parse(ev->topic, &t, err, sizeof err) || strcmp(t.owner, s->cfg->id) != 0) {
		log_warn("ignored a message on '%.128s': not for this handheld", ev->topic);
		return;
	}
	root = message_parse(ev->payload, ev->len, err, sizeof err);
	if (!root) {
		log_warn("ignored a message on '%.128s': %s", ev->topic, err);
		return;
	}
	if (!message_validate(&t, root, &m, &jc)) {
		log_warn("ignored a message on '%.128s': %s", ev->topic, jc.error);
	} else if (t.kind == MSG_ACK) {
		handle_ack(s, &m);
	} else if (t.kind == MSG_TASK) {
		s->res->tasks++;
		s->on_task(s->ctx, &m, ev->payload);
		pump(s);
	}
	cJSON_Delete(root);
}

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct sync *s = ctx;

	switch (ev->kind) {
	case MQTT_EVENT_CONNECTED:
		/* a new connection: everything unacknowledged goes again */
		s->res->connected = true;
		s->last_activity_ms = clock_mono_ms();
		s->cursor = 0;
		g_hash_table_remove_all(s->sent_at);
		pump(s);
		break;
	case MQTT_EVENT_DISCONNECTED:
		log_debug("not connected: %s", ev->reason ? ev->reason : "unknown reason");
		break;
	case MQTT_EVENT_MESSAGE:
		on_message(s, ev);
		break;
	}
}

static gboolean on_tick(gpointer data)
{
	struct sync *s = data;
	int64_t now = clock_mono_ms();

	if (mqtt_link_connected(s->link))
		resend_overdue(s);
	if (s->follow)
		return G_SOURCE_CONTINUE;
	if (now >= s->deadline_ms ||
	    (mqtt_link_connected(s->link) && hh_store_outbox_depth(s->store) == 0 &&
	     now - s->last_activity_ms >= SETTLE_MS))
		g_main_loop_quit(s->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int hh_sync_run(const struct hh_config *cfg, struct hh_store *store, bool follow,
		int64_t timeout_ms, hh_sync_task_fn on_task, void *ctx, struct hh_sync_result *res)
{
	char task_topic[TOPIC_MAX], ack_topic[TOPIC_MAX];
	const char *subs[] = { task_topic, ack_topic, NULL };
	struct sync s = {
		.cfg = cfg,
		.store = store,
		.follow = follow,
		.on_task = on_task,
		.ctx = ctx,
		.res = res,
	};
	struct mqtt_link_options opt = {
		.settings = &cfg->mqtt,
		.client_id = cfg->id,
		.clean_session = false, /* the broker keeps our tasks while we are away */
		.subscriptions = subs,
		.on_event = on_event,
		.ctx = &s,
	};
	guint tick, sigint, sigterm;
	int64_t depth;

	memset(res, 0, sizeof *res);
	topic_format(task_topic, MSG_TASK, cfg->id);
	topic_format(ack_topic, MSG_ACK, cfg->id);
	s.link = mqtt_link_new(&opt);
	if (!s.link)
		return -EIO;
	s.sent_at = g_hash_table_new(g_direct_hash, g_direct_equal);
	s.loop = g_main_loop_new(NULL, FALSE);
	s.started_ms = s.last_activity_ms = clock_mono_ms();
	s.deadline_ms = s.started_ms + timeout_ms;
	tick = g_timeout_add(TICK_MS, on_tick, &s);
	sigint = g_unix_signal_add(SIGINT, on_signal, s.loop);
	sigterm = g_unix_signal_add(SIGTERM, on_signal, s.loop);
	if (mqtt_link_start(s.link) == 0)
		g_main_loop_run(s.loop);
	g_source_remove(tick);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	mqtt_link_free(s.link, 2000);
	depth = hh_store_outbox_depth(store);
	res->waiting = depth < 0 ? 0 : depth;
	g_hash_table_destroy(s.sent_at);
	g_main_loop_unref(s.loop);
	return 0;
}
