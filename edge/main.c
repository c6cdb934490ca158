/*
 * bk-edge — the kitchen box: reads sensors, turns breaches into events,
 * keeps every message in its outbox until the centre has archived it.
 *
 *   bk-edge -c FILE             run
 *   bk-edge -c FILE -t          check the configuration and exit
 *   bk-edge -c FILE --selftest  the installer's on-site check (selftest.h)
 *
 * One bk-edge per state directory (state_lock.h): a second one refuses
 * to start.
 */
#include <errno.h>

#include <glib.h>

#include "daemon.h"
#include "edge.h"
#include "edge_config.h"
#include "selftest.h"
#include "state_lock.h"

struct running {
	struct state_lock *lock;
	struct edge *edge;
};

/* Adapters from the generic daemon_ops to this daemon's typed functions. */
static bool load(const char *path, void *cfg)
{
	return edge_config_load(path, cfg);
}

static void release(void *cfg)
{
	edge_config_release(cfg);
}

static void stop(void *state)
{
	struct running *r = state;

	edge_free(r->edge); /* still commits to the outbox: under the lock */
	state_lock_release(r->lock);
	g_free(r);
}

static enum log_level level(const void *cfg)
{
	return ((const struct edge_config *)cfg)->log_level;
}

static void *start(const void *cfgp)
{
	const struct edge_config *cfg = cfgp;
	struct running *r = g_new0(struct running, 1);
	long holder;
	int rc = state_lock_take(cfg->state_dir, &r->lock, &holder);

	if (rc == -EWOULDBLOCK) {
		log_error(
		    "cannot start: another bk-edge (pid %ld) runs on the state directory "
		    "'%s'; two cannot share one outbox (stop it first: systemctl stop bk-edge)",
		    holder, cfg->state_dir);
		goto out_free;
	}
	if (rc) {
		log_error("cannot lock the state directory '%s': %s", cfg->state_dir,
			  g_strerror(-rc));
		goto out_free;
	}
	r->edge = edge_new(cfg);
	if (r->edge && edge_start(r->edge) == 0)
		return r;
	edge_free(r->edge);
	state_lock_release(r->lock);
out_free:
	g_free(r);
	return NULL;
}

static int selftest(const char *config_path, const void *cfg)
{
	return selftest_run(config_path, cfg);
}

int main(int argc, char **argv)
{
	static const struct daemon_ops ops = {
		.name = "bk-edge",
		.summary = "- brightkitchen kitchen box",
		.config_size = sizeof(struct edge_config),
		.config_load = load,
		.config_release = release,
		.log_level = level,
		.start = start,
		.stop = stop,
		.selftest = selftest,
	};

	return daemon_run(argc, argv, &ops);
}
