/*
 * sensor_modbus.c — the Modbus driver (libmodbus; the only module that
 * uses it): one value per sensor, read from a controller or transmitter
 * over Modbus TCP or RTU (RS-485).
 *
 *   transport = tcp   host, port (502)
 *             | rtu   device, baud (9600), parity N|E|O (N), data_bits (8),
 *                     stop_bits (1)
 *   unit_id = 1       register = 100 (required, 0..65535)
 *   function = holding (FC3) | input (FC4) | coil (FC1) | discrete (FC2)
 *   type = uint16 | int16 | uint32 | int32 | float32, word_order = big|little
 *   scale = 0.1  offset = 0   value = raw * scale + offset
 *   timeout = 1s      for the connect and each response
 *
 * Invariants: the libmodbus context is made at open (so a bad setting is a
 * configuration problem) but connected lazily at a read; any error closes
 * the connection and the next read reconnects, so a controller that
 * reboots needs no restart of the box. Errors are -errno (libmodbus codes
 * translated here); the driver logs the libmodbus detail once per fault,
 * when the sensor layer logs the failure, and once when the device answers
 * again. A read blocks the calling (main) thread for at most about twice
 * `timeout` (connect, then response): a dead controller slows the loop.
 * Static names use mb_, not modbus_, which is libmodbus's namespace.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <modbus.h>

#include "clock.h"
#include "log.h"
#include "sensor.h"

enum mb_function { MB_HOLDING, MB_INPUT, MB_COIL, MB_DISCRETE };
enum mb_type { MB_UINT16, MB_INT16, MB_UINT32, MB_INT32, MB_FLOAT32 };

static const char *const mb_functions[] = { "holding", "input", "coil", "discrete", NULL };
static const char *const mb_types[] = { "uint16", "int16", "uint32", "int32", "float32", NULL };
static const char *const mb_tcp_keys[] = { "host", "port", NULL };
static const char *const mb_rtu_keys[] = { "device",	"baud",	     "parity",
					   "data_bits", "stop_bits", NULL };

struct mb {
	modbus_t *ctx;
	bool connected;
	char *where; /* "127.0.0.1:502 unit 1", for log lines */
	int reg;
	enum mb_function function;
	enum mb_type type;
	bool word_little; /* low word in the first register */
	double scale, offset;
	int64_t retry_at_ms; /* no connect attempt before this (monotonic) */
	int64_t backoff_ms;  /* doubles after each failure, up to MB_BACKOFF_MAX_MS */
};

/* A connect to a dead controller blocks the box's main loop for up to twice
 * `timeout`: after a failure, the next attempts wait, doubling, so a dead
 * device costs a few blocked seconds a minute, and a rebooted one is found
 * again within this. */
#define MB_BACKOFF_MAX_MS 5000

static void mb_free(struct mb *m)
{
	if (!m)
		return;
	if (m->ctx) {
		modbus_close(m->ctx);
		modbus_free(m->ctx);
	}
	g_free(m->where);
	g_free(m);
}

/* Index of key's value in names (default dflt); -1 with a problem if unknown. */
static int mb_choice(struct config *c, const char *group, const char *key, const char *dflt,
		     const char *const *names)
{
	char *v = config_string(c, group, key, dflt);
	int found = -1;

	for (int i = 0; v && names[i]; i++) {
		if (!strcmp(v, names[i]))
			found = i;
	}
	if (v && found < 0) {
		GString *list = g_string_new(names[0]);

		for (int i = 1; names[i]; i++)
			g_string_append_printf(list, "%s%s", names[i + 1] ? ", " : " or ",
					       names[i]);
		config_problem(c, group, key, "'%s' is not %s", v, list->str);
		g_string_free(list, TRUE);
	}
	g_free(v);
	return found;
}

/* Record a problem for each of keys present in group: they belong elsewhere. */
static bool mb_reject_keys(struct config *c, const char *group, const char *const *keys,
			   const char *why)
{
	bool ok = true;

	for (int i = 0; keys[i]; i++) {
		if (g_key_file_has_key(c->kf, group, keys[i], NULL)) {
			config_problem(c, group, keys[i], "%s", why);
			ok = false;
		}
	}
	return ok;
}

/* The context for a TCP transport; NULL when the settings are unusable. */
static modbus_t *mb_new_tcp(struct mb *m, struct config *c, const char *group, int unit)
{
	char *host = config_string(c, group, "host", NULL);
	int64_t port = config_int(c, group, "port", 502, 1, 65535);
	char service[8];
	modbus_t *ctx = NULL;

	if (host) {
		snprintf(service, sizeof service, "%d", (int)port);
		/* _pi: host may be a name or an IPv6 address, not only IPv4 */
		ctx = modbus_new_tcp_pi(host, service);
		if (!ctx)
			config_problem(c, group, "host", "cannot use '%s': %s", host,
				       modbus_strerror(errno));
		m->where = g_strdup_printf("%s:%s unit %d", host, service, unit);
	}
	g_free(host);
	return ctx;
}

/* The context for an RTU (serial) transport; NULL when unusable. */
static modbus_t *mb_new_rtu(struct mb *m, struct config *c, const char *group, int unit)
{
	char *device = config_string(c, group, "device", NULL);
	int64_t baud = config_int(c, group, "baud", 9600, 50, 4000000);
	int64_t data_bits = config_int(c, group, "data_bits", 8, 5, 8);
	int64_t stop_bits = config_int(c, group, "stop_bits", 1, 1, 2);
	char *parity = config_string(c, group, "parity", "N");
	modbus_t *ctx = NULL;
	char p = 0;

	if (parity && strlen(parity) == 1 && strchr("NEOneo", parity[0]))
		p = g_ascii_toupper(parity[0]);
	else if (parity)
		config_problem(c, group, "parity", "'%s' is not N, E or O", parity);
	if (device && p) {
		ctx = modbus_new_rtu(device, (int)baud, p, (int)data_bits, (int)stop_bits);
		if (!ctx)
			config_problem(c, group, "device", "cannot use '%s': %s", device,
				       modbus_strerror(errno));
		m->where = g_strdup_printf("%s unit %d", device, unit);
	}
	g_free(device);
	g_free(parity);
	return ctx;
}

static int mb_open(struct sensor *s, struct config *c, const char *group)
{
	struct mb *m = g_new0(struct mb, 1);
	int transport =
	    mb_choice(c, group, "transport", "tcp", (const char *const[]){ "tcp", "rtu", NULL });
	bool registers, ok = true;
	int word, function, type, unit;
	int64_t timeout_ms;

	/* unit 0 is broadcast on a serial line (no answer); 248..255 are reserved
	 * there, but TCP devices commonly answer as 0 or 255 */
	unit = (int)config_int(c, group, "unit_id", 1, transport == 1 ? 1 : 0,
			       transport == 1 ? 247 : 255);
	m->reg = (int)config_int(c, group, "register", -1, 0, 65535);
	if (!g_key_file_has_key(c->kf, group, "register", NULL)) {
		config_problem(c, group, "register", "missing (required)");
		ok = false;
	}
	function = mb_choice(c, group, "function", "holding", mb_functions);
	type = mb_choice(c, group, "type", "uint16", mb_types);
	word = mb_choice(c, group, "word_order", "big",
			 (const char *const[]){ "big", "little", NULL });
	m->scale = config_double(c, group, "scale", 1, -1e12, 1e12);
	m->offset = config_double(c, group, "offset", 0, -1e12, 1e12);
	timeout_ms = config_duration_ms(c, group, "timeout", 1000, 10, 60000);
	ok = ok && m->reg >= 0 && function >= 0 && type >= 0 && word >= 0;
	m->function = function < 0 ? MB_HOLDING : (enum mb_function)function;
	m->type = type < 0 ? MB_UINT16 : (enum mb_type)type;
	m->word_little = word == 1;

	/* Keys that would be silently ignored are mistakes worth a line. */
	registers = m->function == MB_HOLDING || m->function == MB_INPUT;
	if (!registers)
		ok = mb_reject_keys(c, group, (const char *const[]){ "type", "word_order", NULL },
				    "only for function = holding or input") &&
		     ok;
	else if (m->type == MB_UINT16 || m->type == MB_INT16)
		ok = mb_reject_keys(c, group, (const char *const[]){ "word_order", NULL },
				    "only for 32-bit types") &&
		     ok;
	if (registers && m->type >= MB_UINT32 && m->reg == 65535) {
		config_problem(c, group, "register",
			       "65535 has no next register for a 32-bit type");
		ok = false;
	}

	if (transport == 0) {
		ok = mb_reject_keys(c, group, mb_rtu_keys, "only for transport = rtu") && ok;
		m->ctx = mb_new_tcp(m, c, group, unit);
	} else if (transport == 1) {
		ok = mb_reject_keys(c, group, mb_tcp_keys, "only for transport = tcp") && ok;
		m->ctx = mb_new_rtu(m, c, group, unit);
	}
	/* libmodbus refuses TCP unit ids 248..254 (reserved); say so here */
	if (m->ctx && modbus_set_slave(m->ctx, unit) < 0) {
		config_problem(c, group, "unit_id", "%d is not 0..247 or 255", unit);
		ok = false;
	}
	if (!m->ctx || !ok) {
		mb_free(m);
		return -EINVAL;
	}
	modbus_set_response_timeout(m->ctx, (uint32_t)(timeout_ms / 1000),
				    (uint32_t)(timeout_ms % 1000) * 1000);
	/* libmodbus's recovery would sleep and retry inside a read; the box's
	 * own period is the retry */
	modbus_set_error_recovery(m->ctx, MODBUS_ERROR_RECOVERY_NONE);
	s->driver = m;
	return 0;
}

/* libmodbus's error code as -errno: its own codes are beyond errno's range. */
static int mb_errno(int err)
{
	switch (err) {
	case EMBXILFUN:
		return -EOPNOTSUPP;
	case EMBXILADD:
		return -EFAULT;
	case EMBXILVAL:
		return -EINVAL;
	case EMBXSBUSY:
	case EMBXACK:
		return -EBUSY;
	case EMBXGPATH:
		return -ENETUNREACH;
	case EMBXGTAR:
		return -EHOSTUNREACH;
	case EMBBADCRC:
	case EMBBADDATA:
	case EMBBADEXC:
	case EMBUNKEXC:
	case EMBMDATA:
	case EMBBADSLAVE:
		return -EPROTO;
	default:
		if (err > 0 && err < MODBUS_ENOBASE)
			return -err;
		return -EIO; /* device failure, NACK, memory parity, unknown */
	}
}

/* A failed connect or read: drop the connection and say why, once a fault. */
static int mb_fail(struct sensor *s, struct mb *m, const char *what)
{
	int err = errno;

	if (!s->fault)
		log_warn("sensor '%s': cannot %s modbus %s: %s", s->id, what, m->where,
			 modbus_strerror(err));
	modbus_close(m->ctx);
	m->connected = false;
	m->backoff_ms = MIN(MB_BACKOFF_MAX_MS, MAX(2 * m->backoff_ms, 500));
	m->retry_at_ms = clock_mono_ms() + m->backoff_ms;
	return mb_errno(err);
}

/* Two registers as one 32-bit word, in the configured word order. */
static uint32_t mb_u32(const struct mb *m, const uint16_t *r)
{
	return m->word_little ? (uint32_t)r[1] << 16 | r[0] : (uint32_t)r[0] << 16 | r[1];
}

static int mb_read(struct sensor *s, double *value)
{
	struct mb *m = s->driver;
	uint16_t r[2] = { 0, 0 };
	uint8_t bit = 0;
	int n = m->type >= MB_UINT32 ? 2 : 1, got;
	double raw;
	float f;
	uint32_t u;

	if (!m->connected) {
		if (clock_mono_ms() < m->retry_at_ms)
			return -EAGAIN; /* still backing off: a failed read, without blocking */
		if (modbus_connect(m->ctx) < 0)
			return mb_fail(s, m, "connect to");
		m->connected = true;
	}
	if (m->function == MB_COIL || m->function == MB_DISCRETE)
		n = 1;
	switch (m->function) {
	case MB_HOLDING:
		got = modbus_read_registers(m->ctx, m->reg, n, r);
		break;
	case MB_INPUT:
		got = modbus_read_input_registers(m->ctx, m->reg, n, r);
		break;
	case MB_COIL:
		got = modbus_read_bits(m->ctx, m->reg, 1, &bit);
		break;
	default:
		got = modbus_read_input_bits(m->ctx, m->reg, 1, &bit);
		break;
	}
	if (got != n) {
		if (got >= 0)
			errno = EMBMDATA; /* a short answer leaves errno as it was */
		return mb_fail(s, m, "read from");
	}

	switch (m->function == MB_COIL || m->function == MB_DISCRETE ? -1 : (int)m->type) {
	case -1:
		raw = bit ? 1 : 0;
		break;
	case MB_UINT16:
		raw = r[0];
		break;
	case MB_INT16:
		raw = (int16_t)r[0];
		break;
	case MB_UINT32:
		raw = mb_u32(m, r);
		break;
	case MB_INT32:
		raw = (int32_t)mb_u32(m, r);
		break;
	default:
		u = mb_u32(m, r);
		memcpy(&f, &u, sizeof f); /* IEEE 754 single, as the registers carry it */
		raw = f;
		break;
	}
	m->backoff_ms = 0;
	*value = raw * m->scale + m->offset;
	if (!isfinite(*value)) {
		if (!s->fault)
			log_warn("sensor '%s': register %d of modbus %s holds no finite number",
				 s->id, m->reg, m->where);
		return -ERANGE;
	}
	/* Not at connect: a device may accept connections and still not answer. */
	if (s->fault)
		log_info("sensor '%s': modbus %s answers again", s->id, m->where);
	return 0;
}

static void mb_close(struct sensor *s)
{
	mb_free(s->driver);
	s->driver = NULL;
}

const struct sensor_ops sensor_modbus_ops = {
	.name = "modbus",
	.keys = (const char *const[]){ "transport", "host", "port", "device", "baud", "parity",
				       "data_bits", "stop_bits", "unit_id", "register", "function",
				       "type", "word_order", "scale", "offset", "timeout", NULL },
	.open = mb_open,
	.read = mb_read,
	.close = mb_close,
};
