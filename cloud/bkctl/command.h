/*
 * command.h — bkctl's commands to boxes (schemas/cmd.json), sent over MQTT
 * with a service identity from a small INI file:
 *
 *   [bkctl]  id = svc-…   (the certificate's CN; the ACL lets services
 *                          write bk/v1/box/+/cmd)
 *   [mqtt]   uri, ca, cert, key, keepalive, reconnect_max
 *
 * A box offline at the time gets the command when it reconnects (its
 * session is persistent and the broker queues for it).
 */
#ifndef BK_BKCTL_COMMAND_H
#define BK_BKCTL_COMMAND_H

#include "message.h"

/* Connect, publish c (its cmd_id is filled in when NULL), disconnect.
 * 0, or 1 with the reason on stderr. cmd_id receives the id (64 bytes). */
int command_send(const char *config_path, struct cmd_info *c, char *cmd_id);

#endif
