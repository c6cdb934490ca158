/*
 * stats_cmd.h — bkctl's alert and statistics commands over the archive
 * (cloud/archive.h, "alerts and statistics"):
 *
 *   alerts [--from --to --district --category --state --limit] [--follow]
 *   alert ack|start|close BOX EVENT_ID --by NAME [--note TEXT]
 *   alert-stats --by type|establishment|district|category|day|week|month
 *   coverage [--threshold 0.8] [--target CATEGORY=PCT]…
 *   coverage-detail LICENCE
 *   report --year YYYY [--csv]
 *
 * Main thread only; prints to stdout, errors to stderr.
 */
#ifndef BK_BKCTL_STATS_CMD_H
#define BK_BKCTL_STATS_CMD_H

#include <stdbool.h>

/* True when the command word of argv (the first word that is neither an
 * option nor an option's value) is one of the commands above. */
bool bkctl_stats_wants(int argc, char **argv);

/* Run the command in argv (bkctl's whole command line: this parses its
 * own options, --db and --json included; db and json are defaults, may be
 * NULL / false). Returns the exit status: 0, 1 (failed), 2 (usage). */
int bkctl_stats(int argc, char **argv, const char *db, bool json);

#endif
