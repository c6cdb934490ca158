/*
 * platform_cmd.h — bkctl's delivery-platform commands (以网管网; archive.h,
 * "delivery platforms"):
 *
 *   platform import FILE… [--by NAME] [--scope FILE] [--rules FILE]
 *                                 shop listings (CSV or JSON), then the checks
 *   platform check [--platform P] the checks again (after a registry change)
 *   platform findings [--platform P] [--kind K] [--state open|closed|all]
 *                     [--licence L] [--limit N]
 *   platform shops [--platform P]
 *   platform stats                per platform and kind of finding
 *   platform notice add (--finding ID | --platform P [--kind K]) --by NAME
 *   platform notice export --platform P [--out FILE]   the platform's CSV
 *   platform task --finding ID --by NAME [--inspectors hh-a,hh-b] [--due D]
 *                 [--note TEXT]   an inspection task for the shop's kitchen
 *
 * --scope: the dish keywords per scope item (scope.h; built-in without);
 * --rules: tasks_cmd.h's file, for [grading] coverage and team. Reading
 * commands open the archive read-only. Main thread only.
 */
#ifndef BK_BKCTL_PLATFORM_CMD_H
#define BK_BKCTL_PLATFORM_CMD_H

#include <stdbool.h>

/* True when argv's command word is "platform". */
bool bkctl_platform_wants(int argc, char **argv);

/* Run it (bkctl's whole command line). Exit status: 0, 1 (refused or
 * failed), 2 (usage). */
int bkctl_platform(int argc, char **argv);

#endif
