/*
 * state_lock.c — see state_lock.h. flock, not fcntl locks: an fcntl lock
 * belongs to the process and is dropped when any descriptor of the file
 * closes, which a library could do behind our back.
 */
#include "state_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib.h>

struct state_lock {
	int fd;
};

static long read_holder(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	return n > 0 ? strtol(buf, NULL, 10) : 0;
}

int state_lock_take(const char *state_dir, struct state_lock **out, long *holder)
{
	char *path, pid[32];
	int fd, len, rc = 0;

	*out = NULL;
	*holder = 0;
	if (g_mkdir_with_parents(state_dir, 0700) != 0)
		return -errno;
	path = g_build_filename(state_dir, "bk-edge.lock", NULL);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	g_free(path);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		if (rc == -EWOULDBLOCK)
			*holder = read_holder(fd);
		goto out_close;
	}
	len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		rc = -errno;
		goto out_close;
	}
	*out = g_new0(struct state_lock, 1);
	(*out)->fd = fd;
	return 0;

out_close:
	close(fd);
	return rc;
}

void state_lock_release(struct state_lock *l)
{
	if (!l)
		return;
	close(l->fd); /* drops the flock; the file stays, harmless */
	g_free(l);
}
