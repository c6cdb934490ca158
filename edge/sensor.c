/*
 * sensor.c — see sensor.h: the driver table and the keys common to all
 * sensors (kind, driver, period, unit).
 */
#include "sensor.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "message.h"

static const struct sensor_ops *const drivers[] = { &sensor_sim_ops, &sensor_file_ops,
						    &sensor_modbus_ops, NULL };

/* The unit a kind reports in unless configured otherwise. */
static const char *default_unit(const char *kind)
{
	if (!strcmp(kind, "uv_lamp"))
		return "on";
	if (!strcmp(kind, "gas"))
		return "alarm";
	return "C";
}

static bool known_kind(const char *kind)
{
	if (!strcmp(kind, "video_recorded"))
		return false; /* the cameras' own readings (edge.c), not a sensor's */
	for (int i = 0; message_sensor_kinds[i]; i++) {
		if (!strcmp(kind, message_sensor_kinds[i]))
			return true;
	}
	return false;
}

struct sensor *sensor_new(struct config *c, const char *group)
{
	static const char *const common_keys[] = { "kind", "driver", "period", "unit", "zone" };
	struct sensor *s = g_new0(struct sensor, 1);
	const char *allowed[64];
	size_t n = 0;
	char *driver;

	s->id = g_strdup(group + strlen("sensor "));
	if (!jc_is_ident(s->id, NULL, 63))
		config_problem(c, group, NULL, "'%s' is not a valid sensor id", s->id);
	s->kind = config_string(c, group, "kind", NULL);
	if (s->kind && !known_kind(s->kind))
		config_problem(c, group, "kind", "unknown kind '%s'", s->kind);
	s->unit = config_string(c, group, "unit", s->kind ? default_unit(s->kind) : "C");
	s->zone = g_key_file_has_key(c->kf, group, "zone", NULL)
		      ? config_string(c, group, "zone", NULL)
		      : NULL;
	/* the collector's limits (schemas/): past them it would reject every
	 * reading or event of this sensor, and the outbox would keep them */
	if (s->unit && strlen(s->unit) > 16)
		config_problem(c, group, "unit", "'%s' is longer than 16 bytes", s->unit);
	if (s->zone && strlen(s->zone) > 64)
		config_problem(c, group, "zone", "longer than 64 bytes (%zu)", strlen(s->zone));
	s->period_ms = config_duration_ms(c, group, "period", 1000, 1, 3600000);
	rules_config_load(&s->rules, c, group, s->kind);
	driver = config_string(c, group, "driver", NULL);
	for (int i = 0; driver && drivers[i]; i++) {
		if (!strcmp(driver, drivers[i]->name))
			s->ops = drivers[i];
	}
	if (driver && !s->ops)
		config_problem(c, group, "driver", "unknown driver '%s'", driver);
	g_free(driver);

	for (size_t i = 0; i < G_N_ELEMENTS(common_keys); i++)
		allowed[n++] = common_keys[i];
	for (size_t i = 0; rules_config_keys[i] && n < 63; i++)
		allowed[n++] = rules_config_keys[i];
	for (size_t i = 0; s->ops && s->ops->keys[i] && n < 63; i++)
		allowed[n++] = s->ops->keys[i];
	allowed[n] = NULL;
	config_check_keys(c, group, allowed);
	if (!s->ops || !s->kind || s->ops->open(s, c, group) != 0) {
		s->ops = NULL;
		sensor_free(s);
		return NULL;
	}
	return s;
}

int sensor_read(struct sensor *s, double *value)
{
	int rc = s->ops->read(s, value);

	if (rc > 0)
		return rc;
	if (rc) {
		s->read_errors++;
		if (!s->fault)
			log_warn("cannot read sensor '%s': %s", s->id, strerror(-rc));
	}
	s->fault = rc != 0;
	return rc;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->close)
		s->ops->close(s);
	g_free(s->id);
	g_free(s->kind);
	g_free(s->unit);
	g_free(s->zone);
	g_free(s);
}
