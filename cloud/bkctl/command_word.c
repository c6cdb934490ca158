/*
 * command_word.c — see command_word.h.
 */
#include "command_word.h"

#include <string.h>

static bool in(const char *word, const char *const *list)
{
	for (; *list; list++) {
		if (!strcmp(word, *list))
			return true;
	}
	return false;
}

bool bkctl_command_word_is(int argc, char **argv, const char *const *commands,
			   const char *const *flags)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (!strchr(argv[i], '=') && !in(argv[i], flags))
				i++; /* its value */
			continue;
		}
		return in(argv[i], commands);
	}
	return false;
}
