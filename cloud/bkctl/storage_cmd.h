/*
 * storage_cmd.h — bkctl's central storage commands over the archive
 * (cloud/archive.h, "central continuous storage"):
 *
 *   storage [--box BOX]                  bytes, segments, oldest, newest per
 *                                        box and camera; retention and budget
 *   recordings BOX CAMERA [--from --to]  the ranges kept and the gaps
 *     [--out FILE --store DIR [--partial]]  the range as one MPEG-TS file
 *
 * Main thread only; prints to stdout, errors to stderr.
 */
#ifndef BK_BKCTL_STORAGE_CMD_H
#define BK_BKCTL_STORAGE_CMD_H

#include <stdbool.h>

/* True when the command word of argv is storage or recordings. */
bool bkctl_storage_wants(int argc, char **argv);

/* Run it (bkctl's whole command line; parses its own options). Exit status:
 * 0, 1 (failed, or gaps in the range asked for with --out), 2 (usage). */
int bkctl_storage(int argc, char **argv);

#endif
