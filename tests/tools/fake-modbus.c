/*
 * fake-modbus — a Modbus TCP server for tests, made with libmodbus.
 *
 *   fake-modbus --port P --script FILE
 *
 * FILE holds one change a line, applied that many seconds after start:
 *   SECONDS [holding|input|coil|discrete] ADDRESS VALUE
 * e.g. "0 100 40", "12.5 input 7 -10" (the table defaults to holding;
 * register values are 16-bit, -32768..65535, stored as uint16; bits 0|1).
 * '#' starts a comment. Every address of every table exists and reads 0
 * until the script sets it.
 *
 * Invariants: binds 127.0.0.1 only; prints "listening on 127.0.0.1:P" (P is
 * the real port, so --port 0 works) once clients can connect; serves any
 * number of clients, one after another or at once (a box reconnecting
 * while its old socket lingers); exits 0 on SIGTERM or SIGINT, 1 on a bad
 * script or a failed bind. One thread; the only global is the stop flag.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#define FAKE_MAX_CLIENTS 16
#define FAKE_TABLE_SIZE	 65536

enum fake_table { FAKE_HOLDING, FAKE_INPUT, FAKE_COIL, FAKE_DISCRETE };

struct fake_change {
	long long at_ms;
	enum fake_table table;
	int address;
	int value;
};

struct fake {
	struct fake_change *changes;
	size_t n_changes, next; /* changes[next..] are still to come, in time order */
	modbus_t *ctx;
	modbus_mapping_t *map;
	int listen_fd;
	struct pollfd fds[1 + FAKE_MAX_CLIENTS]; /* [0]: the listening socket */
	nfds_t n_fds;
	long long start_ms;
};

static volatile sig_atomic_t fake_stop;

static void fake_on_signal(int sig)
{
	(void)sig;
	fake_stop = 1;
}

static long long fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fake_table_of(const char *word)
{
	static const char *const names[] = { "holding", "input", "coil", "discrete" };

	for (int i = 0; i < 4; i++) {
		if (!strcmp(word, names[i]))
			return i;
	}
	return -1;
}

/* Parse path into f->changes: 0, or -1 having said why on stderr. */
static int fake_load_script(struct fake *f, const char *path)
{
	FILE *in = fopen(path, "r");
	char line[512];
	int lineno = 0;
	size_t cap = 0;

	if (!in) {
		fprintf(stderr, "fake-modbus: cannot open script '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, in)) {
		char *hash = strchr(line, '#'), *w[4], *save = NULL, *end;
		struct fake_change c = { 0 };
		double seconds;
		long address, value;
		int n = 0, table;

		lineno++;
		if (hash)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t\r\n", &save); t;
		     t = strtok_r(NULL, " \t\r\n", &save)) {
			if (n < 4)
				w[n] = t;
			n++;
		}
		if (n == 0)
			continue;
		if (n != 3 && n != 4)
			goto bad;
		table = n == 4 ? fake_table_of(w[1]) : FAKE_HOLDING;
		seconds = strtod(w[0], &end);
		if (*end || !isfinite(seconds) || seconds < 0 || table < 0)
			goto bad;
		address = strtol(w[n - 2], &end, 10);
		if (*end || address < 0 || address >= FAKE_TABLE_SIZE)
			goto bad;
		value = strtol(w[n - 1], &end, 10);
		if (*end || value < (table <= FAKE_INPUT ? -32768 : 0) ||
		    value > (table <= FAKE_INPUT ? 65535 : 1))
			goto bad;
		c = (struct fake_change){ llround(seconds * 1000), table, (int)address,
					  (int)value };
		if (f->n_changes && c.at_ms < f->changes[f->n_changes - 1].at_ms) {
			fprintf(stderr, "fake-modbus: '%s' line %d: time goes backwards\n", path,
				lineno);
			fclose(in);
			return -1;
		}
		if (f->n_changes == cap) {
			cap = cap ? 2 * cap : 16;
			f->changes = realloc(f->changes, cap * sizeof *f->changes);
			if (!f->changes) {
				fclose(in);
				return -1;
			}
		}
		f->changes[f->n_changes++] = c;
		continue;
	bad:
		fprintf(stderr,
			"fake-modbus: '%s' line %d: want SECONDS [holding|input|coil|discrete] "
			"ADDRESS VALUE\n",
			path, lineno);
		fclose(in);
		return -1;
	}
	fclose(in);
	return 0;
}

/* Apply the changes whose time has come. */
static void fake_apply(struct fake *f)
{
	long long now = fake_now_ms() - f->start_ms;

	for (; f->next < f->n_changes && f->changes[f->next].at_ms <= now; f->next++) {
		const struct fake_change *c = &f->changes[f->next];

		switch (c->table) {
		case FAKE_HOLDING:
			f->map->tab_registers[c->address] = (uint16_t)c->value;
			break;
		case FAKE_INPUT:
			f->map->tab_input_registers[c->address] = (uint16_t)c->value;
			break;
		case FAKE_COIL:
			f->map->tab_bits[c->address] = (uint8_t)c->value;
			break;
		case FAKE_DISCRETE:
			f->map->tab_input_bits[c->address] = (uint8_t)c->value;
			break;
		}
		fprintf(stderr, "fake-modbus: at %.1f s: table %d address %d = %d\n",
			(double)now / 1000, (int)c->table, c->address, c->value);
	}
}

/* Milliseconds until the next change (capped), for poll. */
static int fake_wait_ms(const struct fake *f)
{
	long long left;

	if (f->next >= f->n_changes)
		return 200; /* still wake up now and then: the stop flag */
	left = f->changes[f->next].at_ms - (fake_now_ms() - f->start_ms);
	return left < 0 ? 0 : left > 200 ? 200 : (int)left;
}

static void fake_drop_client(struct fake *f, nfds_t i)
{
	close(f->fds[i].fd);
	f->fds[i] = f->fds[--f->n_fds];
	fprintf(stderr, "fake-modbus: client gone\n");
}

/* One request from client i, answered from the mapping. */
static void fake_serve(struct fake *f, nfds_t i)
{
	uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
	int n;

	modbus_set_socket(f->ctx, f->fds[i].fd);
	n = modbus_receive(f->ctx, query);
	if (n > 0)
		modbus_reply(f->ctx, query, n, f->map);
	else if (n < 0)
		fake_drop_client(f, i); /* closed, reset or garbage: forget it */
}

static void fake_accept(struct fake *f)
{
	int fd = accept(f->listen_fd, NULL, NULL);

	if (fd < 0)
		return;
	if (f->n_fds == 1 + FAKE_MAX_CLIENTS) {
		close(fd);
		return;
	}
	f->fds[f->n_fds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	fprintf(stderr, "fake-modbus: client connected\n");
}

static void fake_usage(void)
{
	fprintf(stderr, "usage: fake-modbus --port P --script FILE\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = { { "port", required_argument, NULL, 'p' },
						 { "script", required_argument, NULL, 's' },
						 { NULL, 0, NULL, 0 } };
	struct fake f = { .listen_fd = -1 };
	struct sigaction sa = { .sa_handler = fake_on_signal };
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	const char *script = NULL;
	long port = -1;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "p:s:", options, NULL)) != -1) {
		if (opt == 'p')
			port = strtol(optarg, NULL, 10);
		else if (opt == 's')
			script = optarg;
		else
			return fake_usage(), 2;
	}
	if (port < 0 || port > 65535 || !script || optind != argc)
		return fake_usage(), 2;
	if (fake_load_script(&f, script) < 0)
		return 1;

	/* no SA_RESTART: a signal must cut poll() short */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply is not our death */

	f.ctx = modbus_new_tcp("127.0.0.1", (int)port);
	f.map =
	    modbus_mapping_new(FAKE_TABLE_SIZE, FAKE_TABLE_SIZE, FAKE_TABLE_SIZE, FAKE_TABLE_SIZE);
	if (!f.ctx || !f.map) {
		fprintf(stderr, "fake-modbus: cannot set up: %s\n", modbus_strerror(errno));
		goto out;
	}
	f.listen_fd = modbus_tcp_listen(f.ctx, 8);
	if (f.listen_fd < 0 || getsockname(f.listen_fd, (struct sockaddr *)&addr, &len) < 0) {
		fprintf(stderr, "fake-modbus: cannot listen on 127.0.0.1:%ld: %s\n", port,
			modbus_strerror(errno));
		goto out;
	}
	f.fds[0] = (struct pollfd){ .fd = f.listen_fd, .events = POLLIN };
	f.n_fds = 1;
	f.start_ms = fake_now_ms();
	fake_apply(&f);
	printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	while (!fake_stop) {
		int ready = poll(f.fds, f.n_fds, fake_wait_ms(&f));

		fake_apply(&f);
		if (ready <= 0)
			continue; /* timeout, or EINTR from the stop signal */
		/* from the end: fake_drop_client moves the last entry into i */
		for (nfds_t i = f.n_fds; i-- > 1;) {
			if (f.fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				fake_serve(&f, i);
		}
		if (f.fds[0].revents & POLLIN)
			fake_accept(&f);
	}
	rc = 0;
out:
	for (nfds_t i = 1; i < f.n_fds; i++)
		close(f.fds[i].fd);
	if (f.listen_fd >= 0)
		close(f.listen_fd);
	modbus_mapping_free(f.map);
	if (f.ctx)
		modbus_free(f.ctx);
	free(f.changes);
	return rc;
}
