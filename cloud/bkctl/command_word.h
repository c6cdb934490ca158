/*
 * command_word.h — which command a bkctl command line names, before any
 * option parser has run: command families that parse their own options
 * (stats_cmd.c, tasks_cmd.c) claim their lines with it.
 */
#ifndef BK_BKCTL_COMMAND_WORD_H
#define BK_BKCTL_COMMAND_WORD_H

#include <stdbool.h>
#include <stddef.h>

/* True when the first word of argv that is not an option (nor an option's
 * value) is one of commands. flags (NULL-terminated) are the options that
 * take no value; "--name=value" is one word as well. */
bool bkctl_command_word_is(int argc, char **argv, const char *const *commands,
			   const char *const *flags);

#endif
