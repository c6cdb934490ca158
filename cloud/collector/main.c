/*
 * bk-collector — the centre's archivist: subscribes to every box's topics
 * through a shared subscription, validates, archives, acknowledges.
 *
 *   bk-collector -c FILE        run
 *   bk-collector -c FILE -t     check the configuration and exit
 */
#include "collector.h"
#include "collector_config.h"
#include "daemon.h"

/* Adapters from the generic daemon_ops to this daemon's typed functions. */
static bool load(const char *path, void *cfg)
{
	return collector_config_load(path, cfg);
}

static void release(void *cfg)
{
	collector_config_release(cfg);
}

static void stop(void *state)
{
	collector_free(state);
}

static enum log_level level(const void *cfg)
{
	return ((const struct collector_config *)cfg)->log_level;
}

static void *start(const void *cfg)
{
	struct collector *col = collector_new(cfg);

	if (col && collector_start(col) != 0) {
		collector_free(col);
		return NULL;
	}
	if (col)
		log_info("archiving to '%s'", ((const struct collector_config *)cfg)->archive_path);
	return col;
}

int main(int argc, char **argv)
{
	static const struct daemon_ops ops = {
		.name = "bk-collector",
		.summary = "- brightkitchen central collector",
		.config_size = sizeof(struct collector_config),
		.config_load = load,
		.config_release = release,
		.log_level = level,
		.start = start,
		.stop = stop,
	};

	return daemon_run(argc, argv, &ops);
}
