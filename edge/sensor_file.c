/*
 * sensor_file.c — the file driver: a value the kernel (or another program)
 * exposes as a small text file, read anew at every sample.
 *
 *   path = /sys/class/hwmon/hwmon0/temp1_input    (required)
 *   format = number     the first number in the file (hwmon: "23125")
 *          | w1_slave   a DS18B20 through w1-gpio: line 1 ends in YES when
 *                       the CRC is good, line 2 holds "t=23125"
 *   scale = 0.001  offset = 0   value = number * scale + offset
 *
 * Invariants: no file descriptor is kept between reads (sysfs files only
 * refresh on a new open, and a USB sensor may come and go), so a read costs
 * one open/read/close of at most FILE_MAX_BYTES. The path need not exist at
 * open; a read of a missing file is -ENOENT, a bad CRC -EIO, text that is
 * not what the format says -EINVAL. A value is always finite.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sensor.h"

/* sysfs pages are 4 KiB; a w1_slave file is about 75 bytes. */
#define FILE_MAX_BYTES 4096

enum file_format { FILE_NUMBER, FILE_W1_SLAVE };

struct file {
	char *path;
	enum file_format format;
	double scale, offset;
};

static void file_free(struct file *f)
{
	if (!f)
		return;
	g_free(f->path);
	g_free(f);
}

static int file_open(struct sensor *s, struct config *c, const char *group)
{
	struct file *f = g_new0(struct file, 1);
	char *format = config_string(c, group, "format", "number");
	bool ok = true;

	f->path = config_string(c, group, "path", NULL);
	f->scale = config_double(c, group, "scale", 1, -1e12, 1e12);
	f->offset = config_double(c, group, "offset", 0, -1e12, 1e12);
	if (format && !strcmp(format, "w1_slave")) {
		f->format = FILE_W1_SLAVE;
	} else if (format && strcmp(format, "number")) {
		config_problem(c, group, "format", "'%s' is not number or w1_slave", format);
		ok = false;
	}
	g_free(format);
	if (!f->path || !ok) {
		file_free(f);
		return -EINVAL;
	}
	/* Not an error: a USB or 1-Wire sensor may be plugged in later. */
	if (access(f->path, F_OK) != 0)
		log_warn("sensor '%s': '%s' does not exist yet: %s", s->id, f->path,
			 strerror(errno));
	s->driver = f;
	return 0;
}

/*
 * The first number in text: an optional sign, digits with at most one
 * point, an optional exponent; not glued to a word before it, so the 1 of
 * "temp1: 23.5" is not taken. Spelled out because strtod would also
 * accept hex, "inf" and "nan".
 */
static bool file_first_number(const char *text, double *out)
{
	for (const char *p = text; *p; p++) {
		const char *q = p;
		char buf[64];
		bool digits = false;

		if (p > text && (g_ascii_isalnum(p[-1]) || p[-1] == '_' || p[-1] == '.'))
			continue;
		if (*q == '-' || *q == '+')
			q++;
		while (g_ascii_isdigit(*q)) {
			q++;
			digits = true;
		}
		if (*q == '.') {
			q++;
			while (g_ascii_isdigit(*q)) {
				q++;
				digits = true;
			}
		}
		if (!digits)
			continue;
		if (*q == 'e' || *q == 'E') {
			const char *e = q + 1;

			if (*e == '-' || *e == '+')
				e++;
			if (g_ascii_isdigit(*e)) {
				while (g_ascii_isdigit(*e))
					e++;
				q = e;
			}
		}
		if ((size_t)(q - p) >= sizeof buf)
			return false;
		memcpy(buf, p, (size_t)(q - p));
		buf[q - p] = '\0';
		*out = g_ascii_strtod(buf, NULL);
		return isfinite(*out);
	}
	return false;
}

/*
 * w1_slave, as the w1_therm kernel driver writes it:
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 */
static int file_w1_slave(const char *text, double *out)
{
	const char *nl = strchr(text, '\n');
	const char *t;
	char *end;
	long long milli;
	size_t len;

	if (!nl)
		return -EINVAL;
	len = (size_t)(nl - text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\r'))
		len--;
	if (len >= 2 && !strncmp(text + len - 2, "NO", 2))
		return -EIO; /* the kernel read the bus, but the CRC did not match */
	if (len < 3 || strncmp(text + len - 3, "YES", 3))
		return -EINVAL;
	t = strstr(nl + 1, "t=");
	if (!t)
		return -EINVAL;
	errno = 0;
	milli = strtoll(t + 2, &end, 10);
	if (errno || end == t + 2 || (*end && !g_ascii_isspace(*end)))
		return -EINVAL;
	*out = (double)milli;
	return 0;
}

/*
 * Say what is wrong with the file once a fault (the sensor layer only
 * logs the errno, which for "garbage" or "bad CRC" says little); rc back.
 */
static int file_fail(struct sensor *s, const struct file *f, int rc, const char *why)
{
	if (!s->fault)
		log_warn("sensor '%s': cannot use '%s': %s", s->id, f->path,
			 why ? why : strerror(-rc));
	return rc;
}

static int file_read(struct sensor *s, double *value)
{
	struct file *f = s->driver;
	char text[FILE_MAX_BYTES + 1];
	size_t len = 0;
	double raw;
	int fd, rc = 0;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_fail(s, f, errno ? -errno : -EIO, NULL);
	/* sysfs may hand the text over in pieces: read to the end. */
	while (len < FILE_MAX_BYTES) {
		ssize_t n = read(fd, text + len, FILE_MAX_BYTES - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno ? -errno : -EIO;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (rc)
		return file_fail(s, f, rc, NULL);
	text[len] = '\0';
	if (strlen(text) != len)
		return file_fail(s, f, -EINVAL, "a NUL byte: not a text file");
	if (f->format == FILE_W1_SLAVE) {
		rc = file_w1_slave(text, &raw);
		if (rc == -EIO)
			return file_fail(s, f, rc, "the 1-Wire CRC check failed (NO)");
		if (rc)
			return file_fail(s, f, rc, "not a w1_slave reading (YES, then t=)");
	} else if (!file_first_number(text, &raw)) {
		return file_fail(s, f, -EINVAL, "no finite number in it");
	}
	*value = raw * f->scale + f->offset;
	if (!isfinite(*value))
		return file_fail(s, f, -ERANGE, "the scaled value is not finite");
	return 0;
}

static void file_close(struct sensor *s)
{
	file_free(s->driver);
	s->driver = NULL;
}

const struct sensor_ops sensor_file_ops = {
	.name = "file",
	.keys = (const char *const[]){ "path", "format", "scale", "offset", NULL },
	.open = file_open,
	.read = file_read,
	.close = file_close,
};
