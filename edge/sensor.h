/*
 * sensor.h — a sensor is a driver (an ops table) plus its configuration.
 * Drivers: "sim" (simulated, for demos and tests; sensor_sim.c), "file"
 * (sysfs hwmon, 1-Wire w1_slave; sensor_file.c) and "modbus" (TCP or RTU;
 * sensor_modbus.c): entries in one table, never `if (testing)`.
 * A sensor is used from the main thread only.
 */
#ifndef BK_SENSOR_H
#define BK_SENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "rules.h"

struct sensor;

struct sensor_ops {
	const char *name;
	/* NULL-terminated keys the driver reads from the sensor's group. */
	const char *const *keys;
	/* Read the driver's keys from [group] of c (problems go to c) and set up. */
	int (*open)(struct sensor *s, struct config *c, const char *group);
	/* One sample: 0 with *value set, 1 when there is no sample this time
	 * (not a fault), or -errno (the reading is skipped and counted). */
	int (*read)(struct sensor *s, double *value);
	void (*close)(struct sensor *s);
};

struct sensor {
	char *id;   /* from the group name "sensor <id>" */
	char *kind; /* one of message_sensor_kinds */
	char *unit;
	char *zone; /* kitchen area, e.g. 冷藏间; may be NULL */
	int64_t period_ms;
	struct rule_config rules; /* thresholds and checks for its events */
	const struct sensor_ops *ops;
	void *driver; /* the driver's own state */
	uint64_t read_errors;
	bool fault;
};

/* Create the sensor described by [group] ("sensor <id>"); NULL when the
 * configuration is unusable (problems recorded in c). */
struct sensor *sensor_new(struct config *c, const char *group);
int sensor_read(struct sensor *s, double *value);
void sensor_free(struct sensor *s);

extern const struct sensor_ops sensor_sim_ops;
extern const struct sensor_ops sensor_file_ops;
extern const struct sensor_ops sensor_modbus_ops;

#endif
