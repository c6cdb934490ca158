/*
 * recent_ids.h — the last N ids seen, to do something once per id when a
 * copy may come again (a command through a second broker, an alert through
 * every broker). The oldest is forgotten first. Not thread-safe: one owner.
 */
#ifndef BK_RECENT_IDS_H
#define BK_RECENT_IDS_H

#include <stdbool.h>

struct recent_ids;

/* Remembers at most max ids. Never NULL (GLib aborts on no memory). */
struct recent_ids *recent_ids_new(unsigned max);
/* NULL is fine. */
void recent_ids_free(struct recent_ids *r);

/* true when id is new (now remembered, copied); false when seen lately. */
bool recent_ids_add(struct recent_ids *r, const char *id);

#endif
