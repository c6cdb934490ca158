/*
 * state_lock.h — one bk-edge per state directory.
 *
 * Two processes on one outbox would issue the same seqs twice and delete
 * each other's segments, and two clients with the box's certificate kick
 * each other off the broker. The daemon (and `bk-edge --selftest`) holds an
 * exclusive flock on STATE_DIR/bk-edge.lock for as long as it runs; the
 * file says the holder's pid. The kernel drops the lock when the process
 * ends, however it ends, so a crash never leaves a stale lock behind.
 * Main thread only.
 */
#ifndef BK_STATE_LOCK_H
#define BK_STATE_LOCK_H

struct state_lock;

/* Create state_dir (0700) if missing and take its lock into *out. 0;
 * -EWOULDBLOCK when another process holds it (its pid in *holder, 0 if
 * unknown); or -errno when the directory or the file cannot be made. Logs
 * nothing: the caller says what it means. */
int state_lock_take(const char *state_dir, struct state_lock **out, long *holder);

/* Release and free. NULL is fine. */
void state_lock_release(struct state_lock *l);

#endif
