/*
 * hh_config.h — bk-handheld's INI configuration:
 *
 *   [handheld]
 *   id = hh-330106-017          # the inspector's handheld; its certificate's CN
 *   state_dir = /var/lib/brightkitchen/handheld   # store.db lives here
 *   checklists = /usr/share/brightkitchen/checklists  # default: that, else ./checklists
 *   agency = 杭州市西湖区市场监督管理局   # printed on every document
 *   log_level = info
 *   ack_timeout = 10s           # resend a report not acked within
 *   sync_timeout = 30s          # a one-shot sync gives up after
 *   payment_bank = …            # where fines are paid (decisions with bank payment)
 *   review_body = …             # optional, printed on decisions
 *   court = …                   # optional, printed on decisions
 *
 *   [officers]                  # law-enforcement officers by handheld id
 *   hh-330106-017 = 王伟;33010600017   # name;certificate number (执法证号)
 *
 *   [mqtt]                      # as every brightkitchen program (mqtt_settings.h)
 *
 * Loaded once on the main thread; read-only afterwards.
 */
#ifndef BK_HH_CONFIG_H
#define BK_HH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "log.h"
#include "mqtt_settings.h"

struct hh_config {
	char *id;
	char *state_dir;
	char *store_path; /* state_dir/store.db */
	char *checklists; /* directory of *.ini templates */
	char *agency;
	enum log_level log_level;
	int64_t ack_timeout_ms, sync_timeout_ms;
	char *payment_bank, *review_body, *court; /* NULL when not set */
	struct mqtt_settings mqtt;
	GHashTable *officers; /* [officers]: hh id → "name;cert", owned */
};

/* Load and check path into cfg (zeroed first); print problems to stderr; false if any. */
bool hh_config_load(const char *path, struct hh_config *cfg);
void hh_config_release(struct hh_config *cfg);

/* The officer of handheld id: 0 with *name, *cert newly allocated (g_free),
 * or -ENOENT when [officers] does not name it, -EINVAL when malformed. */
int hh_config_officer(const struct hh_config *cfg, const char *id, char **name, char **cert);

#endif
