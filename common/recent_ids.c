/*
 * recent_ids.c — see recent_ids.h.
 */
#include "recent_ids.h"

#include <glib.h>

struct recent_ids {
	GHashTable *set; /* owns the ids */
	GQueue order;	 /* the same, oldest first */
	unsigned max;
};

struct recent_ids *recent_ids_new(unsigned max)
{
	struct recent_ids *r = g_new0(struct recent_ids, 1);

	r->set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_init(&r->order);
	r->max = max;
	return r;
}

void recent_ids_free(struct recent_ids *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->set);
	g_queue_clear(&r->order);
	g_free(r);
}

bool recent_ids_add(struct recent_ids *r, const char *id)
{
	char *copy;

	if (g_hash_table_contains(r->set, id))
		return false;
	copy = g_strdup(id);
	g_hash_table_add(r->set, copy);
	g_queue_push_tail(&r->order, copy);
	if (r->order.length > r->max)
		g_hash_table_remove(r->set, g_queue_pop_head(&r->order));
	return true;
}
