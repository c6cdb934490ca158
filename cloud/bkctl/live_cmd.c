/*
 * live_cmd.c — see live_cmd.h.
 *
 * Like a collector's viewer, bkctl asks the box with the command live and
 * a lease, renews it every third of the lease, and says live_stop when it
 * is done; the box sends its init segment with every request, so bkctl
 * starts with it even when the stream was already running for someone
 * else. Each chunk is checked (common/fmp4.h) before it is written.
 */
#include "live_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "archive.h"
#include "clock.h"
#include "command.h"
#include "command_word.h"
#include "envelope.h"
#include "fmp4.h"
#include "jcheck.h"
#include "output.h"
#include "topic.h"

#define LEASE_S	 30
#define ANSWER_S 10 /* no video within this: the box does not answer */

static const char *const commands[] = { "live", NULL };
static const char *const flags[] = { "--json", "-j", "--help", "-h", NULL };

struct viewing {
	GMainLoop *loop;
	struct command_conn *conn;
	const char *box, *camera;
	FILE *out;	     /* NULL: count only */
	struct fmp4_init init;
	bool have_init;
	int64_t bytes, fragments, rejected;
	char codec[FMP4_CODEC_MAX];
	char *why; /* the end, when the box or bkctl ended it */
	bool failed;
	guint answer_timer, done_timer;
};

bool bkctl_live_wants(int argc, char **argv)
{
	return bkctl_command_word_is(argc, argv, commands, flags);
}

static void finish(struct viewing *v, const char *why, bool failed)
{
	if (!v->why) {
		v->why = g_strdup(why);
		v->failed = failed;
	}
	g_main_loop_quit(v->loop);
}

static void on_chunk(struct viewing *v, const uint8_t *p, size_t n)
{
	struct fmp4_init init;
	struct fmp4_info info;
	char err[200];

	if (!fmp4_inspect(p, n, v->have_init ? &v->init : NULL, &init, &info, err, sizeof err)) {
		v->rejected++;
		fprintf(stderr, "bkctl: skipped a chunk of %zu bytes that is not fragmented MP4: %s\n",
			n, err);
		return;
	}
	if (info.kind == FMP4_INIT) {
		/* sent again with every renewal: write it once */
		if (v->have_init && memcmp(&init, &v->init, sizeof init) == 0)
			return;
		if (v->have_init) {
			fprintf(stderr, "bkctl: the box restarted the stream with another format\n");
			finish(v, "the stream changed format", v->fragments == 0);
			return;
		}
		v->init = init;
		v->have_init = true;
		g_strlcpy(v->codec, init.codec, sizeof v->codec);
	} else if (!v->have_init) {
		return; /* from before our init: undecodable here */
	} else {
		v->fragments++;
	}
	v->bytes += (int64_t)n;
	if (v->out && fwrite(p, 1, n, v->out) != n)
		finish(v, "cannot write the video out", true);
}

static void on_answer(struct viewing *v, const struct mqtt_event *ev, const struct topic *t)
{
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root = message_parse(ev->payload, ev->len, err, sizeof err);

	if (!root)
		return;
	if (message_validate(t, root, &m, &jc) && !strcmp(m.u.live.camera, v->camera)) {
		if (m.u.live.state == LIVE_STARTING)
			fprintf(stderr, "bkctl: %s streams camera '%s' live (%d of %d streams)\n",
				v->box, v->camera, m.u.live.streams, m.u.live.max_streams);
		else
			finish(v, m.u.live.why, v->fragments == 0);
	}
	cJSON_Delete(root);
}

static void on_event(void *ctx, const struct mqtt_event *ev)
{
	struct viewing *v = ctx;
	struct topic t;
	char err[128];

	if (ev->kind != MQTT_EVENT_MESSAGE || ev->retained)
		return;
	if (!topic_parse(ev->topic, &t, err, sizeof err) || strcmp(t.owner, v->box) != 0)
		return;
	if (t.kind == MSG_LIVE_CHUNK && !strcmp(t.camera, v->camera))
		on_chunk(v, ev->payload, ev->len);
	else if (t.kind == MSG_LIVE)
		on_answer(v, ev, &t);
}

static void ask(struct viewing *v, enum cmd_action action)
{
	struct cmd_info c = { .box = v->box,
			      .camera = v->camera,
			      .action = action,
			      .lease_s = action == CMD_LIVE ? LEASE_S : 0 };
	char cmd_id[64];

	if (command_conn_send(v->conn, &c, cmd_id) != 0 && action == CMD_LIVE)
		finish(v, "cannot send the command live", true);
}

static gboolean on_renew(gpointer data)
{
	ask(data, CMD_LIVE);
	return G_SOURCE_CONTINUE;
}

static gboolean on_answer_timeout(gpointer data)
{
	struct viewing *v = data;
	char why[128];

	if (v->fragments == 0) {
		snprintf(why, sizeof why, "%s sent no video within %d s", v->box, ANSWER_S);
		finish(v, why, true);
	}
	v->answer_timer = 0;
	return G_SOURCE_REMOVE;
}

static gboolean on_done(gpointer data)
{
	struct viewing *v = data;

	v->done_timer = 0;
	finish(v, "the time asked for is over", false);
	return G_SOURCE_REMOVE;
}

static int watch(const char *config, const char *db, const char *box, const char *camera,
		 int seconds, const char *out_path)
{
	struct viewing v = { .box = box, .camera = camera };
	char topic_answer[TOPIC_MAX], topic_video[TOPIC_MAX], who[160];
	const char *subs[] = { topic_answer, topic_video, NULL };
	struct archive *a = archive_open(db, false);
	int64_t id;
	guint renew;
	const char *user = g_get_user_name();

	if (!a)
		return 1;
	if (out_path && strcmp(out_path, "-") != 0) {
		v.out = fopen(out_path, "wb");
		if (!v.out) {
			fprintf(stderr, "bkctl: cannot write '%s': %s\n", out_path, g_strerror(errno));
			archive_close(a);
			return 1;
		}
	} else if (out_path) {
		v.out = stdout;
	}
	topic_format(topic_answer, MSG_LIVE, box);
	topic_format_live(topic_video, box, camera);
	v.loop = g_main_loop_new(NULL, FALSE);
	v.conn = command_conn_open(config, subs, on_event, &v);
	if (!v.conn) {
		g_main_loop_unref(v.loop);
		if (v.out && v.out != stdout)
			fclose(v.out);
		archive_close(a);
		return 1;
	}
	snprintf(who, sizeof who, "%s (bkctl, user %s)", command_conn_id(v.conn),
		 user ? user : "unknown");
	id = archive_live_view_begin(a, who, box, camera, clock_wall_ms());
	ask(&v, CMD_LIVE);
	renew = g_timeout_add_seconds(LEASE_S / 3, on_renew, &v);
	v.answer_timer = g_timeout_add_seconds(ANSWER_S, on_answer_timeout, &v);
	v.done_timer = g_timeout_add_seconds((guint)seconds, on_done, &v);
	if (!v.why)
		g_main_loop_run(v.loop);
	g_source_remove(renew);
	if (v.answer_timer)
		g_source_remove(v.answer_timer);
	if (v.done_timer)
		g_source_remove(v.done_timer);
	ask(&v, CMD_LIVE_STOP);
	command_conn_close(v.conn);
	if (id > 0)
		archive_live_view_end(a, id, clock_wall_ms(), v.bytes, v.why);
	archive_close(a);
	if (v.out && v.out != stdout && fclose(v.out) != 0 && !v.failed) {
		fprintf(stderr, "bkctl: cannot write '%s': %s\n", out_path, g_strerror(errno));
		v.failed = true;
	}
	fprintf(stderr, "bkctl: %s/%s: %lld bytes, %lld fragments%s%s%s, %s\n", box, camera,
		(long long)v.bytes, (long long)v.fragments, v.codec[0] ? " (" : "", v.codec,
		v.codec[0] ? ")" : "", v.why);
	if (v.rejected)
		fprintf(stderr, "bkctl: %lld chunks were not fragmented MP4\n",
			(long long)v.rejected);
	g_main_loop_unref(v.loop);
	g_free(v.why);
	return v.failed || v.fragments == 0 ? 1 : 0;
}

static int views(const char *db, const char *box, const char *camera, int limit, bool json)
{
	struct archive *a = archive_open(db, true);
	struct output *out;
	int rc;

	if (!a)
		return 1;
	out = output_new(json);
	rc = archive_report(
	    a, REPORT_LIVE_VIEWS,
	    &(struct archive_filter){ .box = box, .sensor = camera, .limit = limit }, output_row,
	    out);
	output_finish(out, rc ? NULL : stdout);
	archive_close(a);
	return rc ? 1 : 0;
}

int bkctl_live(int argc, char **argv)
{
	char *config = NULL, *db = NULL, *box = NULL, *camera = NULL, *out = NULL;
	int seconds = 10, limit = 0;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config,
		  "the identity to ask with: [bkctl] id and [mqtt]", "FILE" },
		{ "db", 'd', 0, G_OPTION_ARG_FILENAME, &db, "archive (the audit trail)", "FILE" },
		{ "box", 'b', 0, G_OPTION_ARG_FILENAME, &box, "the box", "ID" },
		{ "camera", 'c', 0, G_OPTION_ARG_FILENAME, &camera, "the camera", "ID" },
		{ "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "watch this long (10, at most 3600)",
		  "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		  "write the fragmented MP4 to FILE (- for stdout)", "FILE" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "views: at most N rows (100)", "N" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, "views: JSON instead of a table", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new("live [views] - watch a camera live");
	GError *err = NULL;
	int status = 2;

	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "bkctl: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (!db) {
		fprintf(stderr, "bkctl: live needs --db (every viewing goes to the audit trail)\n");
		goto out;
	}
	if (argc == 3 && !strcmp(argv[2], "views")) {
		status = views(db, box, camera, limit, json);
	} else if (argc == 2) {
		if (!config || !box || envelope_party(box) != PARTY_BOX || !camera ||
		    !jc_is_ident(camera, NULL, 63) || seconds < 1 || seconds > 3600) {
			fprintf(stderr, "bkctl: live needs --config, --box (a box id), --camera (a "
					"camera id) and --seconds between 1 and 3600\n");
			goto out;
		}
		status = watch(config, db, box, camera, seconds, out);
	} else {
		fprintf(stderr, "bkctl: usage: bkctl live --config FILE --db ARCHIVE --box B "
				"--camera C [--seconds N] [--out FILE|-]\n"
				"       bkctl live views --db ARCHIVE [--box B] [--camera C]\n");
	}
out:
	g_option_context_free(octx);
	g_free(config);
	g_free(db);
	g_free(box);
	g_free(camera);
	g_free(out);
	return status;
}
