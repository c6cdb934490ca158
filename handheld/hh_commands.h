/*
 * hh_commands.h — the command words of bk-handheld, each working on the
 * local store alone (offline) and, with --sync, exchanging afterwards:
 *
 *   tasks [--json]            show TASK            start TASK
 *   record TASK [--file F]    penalty TASK …       submit TASK
 *   print TASK record|order|decision [--paper a4|roll80] -o FILE
 *   sync [--follow] [--timeout DURATION]
 *
 * Task lifecycle on the handheld: received (automatically, when the task
 * arrives) → in_progress (start) → submitted (submit); cancelled when the
 * centre withdraws it. Every step is a state report in the outbox.
 * Main thread only.
 */
#ifndef BK_HH_COMMANDS_H
#define BK_HH_COMMANDS_H

#include "hh_config.h"

/* Run the command in argv[0..argc) (argv[0] is the command word); the
 * process exit status: 0 done, 1 refused or failed (the reason on stderr),
 * 2 bad usage. */
int hh_commands_run(const struct hh_config *cfg, int argc, char **argv);

/* One line per command, for --help. */
extern const char hh_commands_usage[];

#endif
