/*
 * registry_cmd.h — bkctl's registry commands (archive.h, "Registry"):
 *
 *   bkctl --db FILE registry import KIND CSV   check every row, store all or nothing
 *   bkctl --db FILE registry export KIND       the table as CSV on stdout
 *   bkctl --db FILE registry list KIND [--json]  a table (or JSON) for people
 *
 * KIND is one of registry_kind_names; CSV may be '-' for stdin. Import opens
 * the archive read-write (creating it if needed); the others read-only.
 */
#ifndef BK_BKCTL_REGISTRY_CMD_H
#define BK_BKCTL_REGISTRY_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* argv[0] is "registry", argv[1] the action. Problems go to stderr, one
 * per line ("CSV:LINE:COLUMN: reason" for a refused file). Exit status:
 * 0 done, 1 refused or failed, 2 usage. */
int bkctl_registry(int argc, char **argv, const char *db, bool json);

/* Read file ('-': stdin) whole, up to 64 MiB; false with a message on
 * stderr. *data is g_free'd by the caller. */
bool bkctl_read_input(const char *file, char **data, size_t *len);
/* Print an import's problems ("LINE:FIELD: reason" lines) as FILE:LINE:…
 * on stderr, then that nothing was imported. */
void bkctl_print_refused(const char *file, const char *errors);

#endif
