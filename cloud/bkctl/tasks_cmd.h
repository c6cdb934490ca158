/*
 * tasks_cmd.h — bkctl's inspection tasks, risk grades and list filtering
 * (名单筛选) over the archive (cloud/archive.h, "tasks, grading and lists"):
 *
 *   tasks [--state S] [--inspector HH] [--licence L] [--kind K] [--limit N]
 *   tasks auto [--rules FILE]            grades, alert rules, risk schedule, now
 *   task create --kind special --inspectors hh-a,hh-b --due 2026-12-15 --by NAME
 *        [--note TEXT] [--checklist ID] (--licence L … | list filters)
 *   task step TASK_ID received|in_progress|submitted|reviewed|cancelled --by NAME [--note]
 *   task show TASK_ID                    every step, who and when
 *   grades [--licence L]
 *   grade-history LICENCE
 *   list [--grade G] [--category C] [--district D] [--overdue] [--open-alerts]
 *        [--expiring-days N] [--not-covered]
 *   complaint add LICENCE --text TEXT [--at TIMESTAMP]
 *
 * Reading commands open the archive read-only; the others for writing.
 * Main thread only; prints to stdout, errors to stderr.
 */
#ifndef BK_BKCTL_TASKS_CMD_H
#define BK_BKCTL_TASKS_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "archive.h"

/* True when the command word of argv (the first word that is neither an
 * option nor an option's value) is one of the commands above. */
bool bkctl_tasks_wants(int argc, char **argv);

/* Run the command in argv (bkctl's whole command line; this parses its
 * own options, --db and --json included). Exit status: 0, 1 (failed),
 * 2 (usage). */
int bkctl_tasks(int argc, char **argv);

/* The grading figures and alert rules of an INI file (README, "Tasks"):
 *   [grading] cutoff_a cutoff_b cutoff_c visits_a … visits_d ahead_days
 *             team coverage
 *   [rule NAME] kind = not_closed | repeated, types, hours, count, days,
 *             due_days
 * path NULL: the defaults (archive_task_config_default and two rules:
 * cold-chain-2h, no-mask-week). The struct owns its strings; release with
 * tasks_config_release. 0, or -EINVAL with one line per problem in
 * errors. */
struct tasks_config {
	struct task_config cfg;
	GArray *rules;	  /* struct task_rule */
	GPtrArray *owned; /* the rules' strings */
};
int tasks_config_load(const char *path, struct tasks_config *c, GString *errors);
void tasks_config_release(struct tasks_config *c);

#endif
