/*
 * bk-edge — the kitchen box: reads sensors, turns breaches into events,
 * keeps every message in its outbox until the centre has archived it.
 *
 *   bk-edge -c FILE        run
 *   bk-edge -c FILE -t     check the configuration and exit
 */
#include "daemon.h"
#include "edge.h"
#include "edge_config.h"

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
	edge_free(state);
}

static enum log_level level(const void *cfg)
{
	return ((const struct edge_config *)cfg)->log_level;
}

static void *start(const void *cfg)
{
	struct edge *e = edge_new(cfg);

	if (e && edge_start(e) != 0) {
		edge_free(e);
		return NULL;
	}
	return e;
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
	};

	return daemon_run(argc, argv, &ops);
}
