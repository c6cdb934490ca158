/*
 * live_cmd.h — bkctl's live view:
 *
 *   live --config FILE --db ARCHIVE --box B --camera C [--seconds N] [--out FILE]
 *        watch a camera: asks the box (the command live, a lease renewed
 *        while it runs, live_stop at the end) and writes its fragmented MP4
 *        to FILE (or "-", stdout, for a player: `… --out - | ffplay -`);
 *        without --out only counts. The viewing goes to the archive's
 *        audit trail (who: the [bkctl] id and the login user).
 *   live views [--box B] [--camera C] [--limit N]
 *        the audit trail: every viewing, by the page or by bkctl.
 *
 * Exit status: 0 (video received; views listed), 1 (refused, no video, an
 * error: the reason on stderr), 2 (usage). Main thread only.
 */
#ifndef BK_BKCTL_LIVE_CMD_H
#define BK_BKCTL_LIVE_CMD_H

#include <stdbool.h>

/* True when argv's command word is "live". */
bool bkctl_live_wants(int argc, char **argv);

/* Run it (bkctl's whole command line). */
int bkctl_live(int argc, char **argv);

#endif
