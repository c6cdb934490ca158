/*
 * command.h — bkctl's commands to boxes (schemas/cmd.json), sent over MQTT
 * with a service identity from a small INI file:
 *
 *   [bkctl]  id = svc-…   (the certificate's CN; the ACL lets services
 *                          write bk/v1/box/+/cmd)
 *   [mqtt]   uri, ca, cert, key, keepalive, reconnect_max
 *
 * A box offline at the time gets the command when it reconnects (its
 * session is persistent and the broker queues for it). With several
 * brokers in [mqtt] uri a command goes out on each (they are not bridged:
 * a box hears only its own); the box carries a cmd_id out once.
 */
#ifndef BK_BKCTL_COMMAND_H
#define BK_BKCTL_COMMAND_H

#include "message.h"

#include "mqtt_link.h"

struct command_conn;

/* Connect as the identity of config_path, subscribed to subs (NULL-
 * terminated, may be NULL), waiting up to 15 s; events (those after the
 * connect too) go to fn on the main loop, fn may be NULL. NULL with the
 * reason on stderr. */
struct command_conn *command_conn_open(const char *config_path, const char *const *subs,
				       mqtt_event_fn fn, void *ctx);
/* Publish c (its cmd_id filled in, into cmd_id[64]). 0, or 1 with the reason on stderr. */
int command_conn_send(struct command_conn *cc, struct cmd_info *c, char *cmd_id);
/* The [bkctl] id it connected as. */
const char *command_conn_id(const struct command_conn *cc);
/* Disconnect (waiting up to 2 s for what was published) and free. NULL is fine. */
void command_conn_close(struct command_conn *cc);

/* Connect, publish c (its cmd_id is filled in when NULL), disconnect.
 * 0, or 1 with the reason on stderr. cmd_id receives the id (64 bytes). */
int command_send(const char *config_path, struct cmd_info *c, char *cmd_id);

#endif
