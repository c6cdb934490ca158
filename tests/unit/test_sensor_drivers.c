/*
 * Unit tests: the sensor drivers that need no network — file (hwmon-like
 * and w1_slave files in a temporary directory), sim with a CSV script (real
 * monotonic time, short steps; each check allows for the time the read
 * itself took) — and the configuration problems of all three drivers,
 * modbus included (its settings are checked at open, before any connect).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include "clock.h"
#include "config.h"
#include "sensor.h"

/* dir/name, newly allocated. */
static char *path_of(const char *name)
{
	return g_strdup_printf("%s/%s", dir, name);
}

/* Write text to dir/name (replacing it whole, as sysfs would show it). */
static void write_atomic(const char *name, const char *text)
{
	char *path = path_of(name), *tmp = g_strdup_printf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
	g_free(path);
	g_free(tmp);
}

/* Load a configuration file holding text into c and create [group]. */
static struct sensor *sensor_from(struct config *c, const char *text, const char *group)
{
	char *path = path_of("sensor.conf");

	write_atomic("sensor.conf", text);
	assert_true(config_load(c, path));
	g_free(path);
	return sensor_new(c, group);
}

static char *problems_of(const struct config *c)
{
	GString *s = g_string_new("");

	for (guint i = 0; i < c->problems->len; i++)
		g_string_append_printf(s, "%s\n", (char *)g_ptr_array_index(c->problems, i));
	return g_string_free(s, FALSE);
}

static void assert_mentions(const char *all, const char *want)
{
	if (!strstr(all, want)) {
		fprintf(stderr, "# problems:\n%s", all); /* too long for fail_msg */
		fail_msg("the problems do not mention '%s'", want);
	}
}

static void assert_reads(struct sensor *s, double want)
{
	double v = NAN;
	int rc = sensor_read(s, &v);

	if (rc != 0 || fabs(v - want) > 1e-9)
		fail_msg("sensor '%s' read rc %d value %.17g, want 0 and %.17g", s->id, rc, v,
			 want);
}

static void test_file_number(void **state)
{
	struct config c = { 0 };
	char *text =
	    g_strdup_printf("[sensor hw]\nkind = fridge\ndriver = file\n"
			    "path = %s/temp1_input\nscale = 0.001\noffset = -0.5\n"
			    "[sensor text]\nkind = generic\ndriver = file\npath = %s/text\n",
			    dir, dir);
	struct sensor *hw, *tx;
	char *gone;
	double v;

	(void)state;
	write_atomic("temp1_input", "23125\n");
	write_atomic("text", "temp1: -3.5e1 C (max 80)\n");
	hw = sensor_from(&c, text, "sensor hw");
	tx = sensor_new(&c, "sensor text");
	assert_non_null(hw);
	assert_non_null(tx);
	assert_true(config_ok(&c));
	assert_reads(hw, 22.625);
	assert_reads(tx, -35); /* the 1 of "temp1" is part of a word */

	/* read anew each time, no cached descriptor */
	write_atomic("temp1_input", "-1500");
	assert_reads(hw, -2.0);

	write_atomic("temp1_input", "n/a\n");
	assert_int_equal(sensor_read(hw, &v), -EINVAL);
	write_atomic("temp1_input", "");
	assert_int_equal(sensor_read(hw, &v), -EINVAL);
	write_atomic("temp1_input", "1e999\n");
	assert_int_equal(sensor_read(hw, &v), -EINVAL);
	gone = path_of("temp1_input");
	assert_int_equal(unlink(gone), 0);
	g_free(gone);
	assert_int_equal(sensor_read(hw, &v), -ENOENT);
	assert_int_equal(hw->read_errors, 4);
	assert_true(hw->fault);

	/* a sensor plugged in later just starts working */
	write_atomic("temp1_input", "4000\n");
	assert_reads(hw, 3.5);
	assert_false(hw->fault);

	sensor_free(hw);
	sensor_free(tx);
	config_release(&c);
	g_free(text);
}

static void test_file_w1_slave(void **state)
{
	struct config c = { 0 };
	char *text =
	    g_strdup_printf("[sensor w1]\nkind = fridge\ndriver = file\nformat = w1_slave\n"
			    "path = %s/w1_slave\nscale = 0.001\n",
			    dir);
	struct sensor *s;
	double v;

	(void)state;
	/* at open the file need not exist yet: a warning, not a problem */
	s = sensor_from(&c, text, "sensor w1");
	assert_non_null(s);
	assert_true(config_ok(&c));
	assert_int_equal(sensor_read(s, &v), -ENOENT);

	write_atomic("w1_slave", "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n"
				 "72 01 4b 46 7f ff 0e 10 57 t=23125\n");
	assert_reads(s, 23.125);
	write_atomic("w1_slave", "e8 ff 4b 46 7f ff 0c 10 1c : crc=1c YES\n"
				 "e8 ff 4b 46 7f ff 0c 10 1c t=-1500\n");
	assert_reads(s, -1.5);

	write_atomic("w1_slave", "72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n"
				 "72 01 4b 46 7f ff 0e 10 57 t=23125\n");
	assert_int_equal(sensor_read(s, &v), -EIO);
	write_atomic("w1_slave", "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n"
				 "72 01 4b 46 7f ff 0e 10 57 t=warm\n");
	assert_int_equal(sensor_read(s, &v), -EINVAL);
	write_atomic("w1_slave", "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n");
	assert_int_equal(sensor_read(s, &v), -EINVAL);
	write_atomic("w1_slave", "23125\n");
	assert_int_equal(sensor_read(s, &v), -EINVAL);

	sensor_free(s);
	config_release(&c);
	g_free(text);
}

/* The expected step value of rows at elapsed ms: 0, or 1 before the first. */
struct step {
	int64_t t_ms;
	double value;
};

static int step_at(const struct step *rows, size_t n, bool loop, int64_t e, double *v)
{
	int rc = 1;

	if (loop)
		e %= rows[n - 1].t_ms;
	for (size_t i = 0; i < n && rows[i].t_ms <= e; i++) {
		*v = rows[i].value;
		rc = 0;
	}
	return rc;
}

/*
 * Read s and compare with rows at the elapsed time, which lies between
 * [r0 - o1, r1 - o0] (o: the open, r: the read). When the bounds straddle a
 * step, either value is right.
 */
static void check_step(struct sensor *s, const struct step *rows, size_t n, bool loop, int64_t o0,
		       int64_t o1)
{
	double got = NAN, lo = NAN, hi = NAN;
	int64_t r0 = clock_mono_ms();
	int rc = sensor_read(s, &got);
	int64_t r1 = clock_mono_ms();
	int rc_lo = step_at(rows, n, loop, r0 - o1, &lo);
	int rc_hi = step_at(rows, n, loop, r1 - o0, &hi);

	if ((rc == rc_lo && (rc || got == lo)) || (rc == rc_hi && (rc || got == hi)))
		return;
	fail_msg(
	    "sensor '%s' at %lld..%lld ms: rc %d value %g, want rc %d value %g or rc %d value %g",
	    s->id, (long long)(r0 - o1), (long long)(r1 - o0), rc, got, rc_lo, lo, rc_hi, hi);
}

static void sleep_until(int64_t since, int64_t ms)
{
	int64_t left = since + ms - clock_mono_ms();

	if (left > 0)
		g_usleep((gulong)left * 1000);
}

static void test_sim_csv(void **state)
{
	static const struct step rows[] = { { 0, 1 }, { 200, 2 }, { 400, 3 } };
	static const struct step late[] = { { 300, 7 }, { 600, 8 } };
	struct config c = { 0 };
	char *text = g_strdup_printf(
	    "[sensor hold]\nkind = fridge\ndriver = sim\nsim_csv = %s/steps.csv\n"
	    "[sensor loop]\nkind = fridge\ndriver = sim\nsim_csv = %s/steps.csv\nsim_loop = true\n"
	    "[sensor late]\nkind = fridge\ndriver = sim\nsim_csv = %s/late.csv\nsim_samples = 2\n",
	    dir, dir, dir);
	struct sensor *hold, *loop, *lt;
	int64_t o0, o1;
	double v;

	(void)state;
	write_atomic("steps.csv", "# a door opened twice\r\nseconds, value\r\n0,1\r\n"
				  "0.2 , 2 # warmer\r\n\r\n0.4,3\r\n");
	write_atomic("late.csv", "0.3,7\n0.6,8\n");
	o0 = clock_mono_ms();
	hold = sensor_from(&c, text, "sensor hold");
	loop = sensor_new(&c, "sensor loop");
	lt = sensor_new(&c, "sensor late");
	o1 = clock_mono_ms();
	assert_non_null(hold);
	assert_non_null(loop);
	assert_non_null(lt);
	assert_true(config_ok(&c));

	for (int64_t at = 50; at <= 750; at += 100) {
		sleep_until(o1, at);
		check_step(hold, rows, 3, false, o0, o1);
		check_step(loop, rows, 3, true, o0, o1);
		if (at <= 250) /* keep lt's two samples for later */
			check_step(lt, late, 2, false, o0, o1);
	}
	/* past its last row: held (step_at holds too), then sim_samples = 2 ends it */
	check_step(lt, late, 2, false, o0, o1);
	check_step(lt, late, 2, false, o0, o1);
	assert_int_equal(sensor_read(lt, &v), 1);
	assert_int_equal(lt->read_errors, 0);

	sensor_free(hold);
	sensor_free(loop);
	sensor_free(lt);
	config_release(&c);
	g_free(text);
}

static void test_modbus_opens_without_network(void **state)
{
	struct config c = { 0 };
	struct sensor *tcp, *rtu, *coil;

	(void)state;
	tcp = sensor_from(&c,
			  "[sensor plc]\nkind = fridge\ndriver = modbus\nhost = 127.0.0.1\n"
			  "port = 1502\nunit_id = 3\nregister = 100\ntype = float32\n"
			  "word_order = little\nscale = 0.1\ntimeout = 250ms\n"
			  "[sensor rs485]\nkind = freezer\ndriver = modbus\ntransport = rtu\n"
			  "device = /dev/ttyUSB-absent\nbaud = 19200\nparity = E\n"
			  "register = 0\nfunction = input\ntype = int16\n"
			  "[sensor door]\nkind = generic\ndriver = modbus\nhost = 127.0.0.1\n"
			  "register = 5\nfunction = discrete\n",
			  "sensor plc");
	rtu = sensor_new(&c, "sensor rs485");
	coil = sensor_new(&c, "sensor door");
	if (!config_ok(&c))
		fail_msg("unexpected problems: %s", problems_of(&c));
	assert_non_null(tcp);
	assert_non_null(rtu);
	assert_non_null(coil);
	sensor_free(tcp);
	sensor_free(rtu);
	sensor_free(coil);
	config_release(&c);
}

/* Each bad group gives a problem naming the group and key (and no sensor
 * when the driver cannot work with it). */
static void test_config_problems(void **state)
{
	static const char *const groups[] = {
		"m-noreg", "m-type",  "m-rtu-key", "m-rtu-dev", "m-coil",   "m-range",
		"m-word",  "m-last",  "m-parity",  "m-unit",	"f-nopath", "f-format",
		"s-csv",   "s-mixed", "s-loop",	   "s-none",	"s-loop1",  "d-unknown",
	};
	struct config c = { 0 };
	char *text, *all;

	(void)state;
	write_atomic("bad.csv", "seconds,value\n0,1\n1,abc\n2,5\n1.5,2\n3,3,4\n-1,2\nwhen,5\n");
	write_atomic("empty.csv", "# nothing but a comment\nseconds,value\n");
	write_atomic("one.csv", "0,4\n");
	text = g_strdup_printf(
	    "[sensor m-noreg]\nkind = fridge\ndriver = modbus\nhost = 127.0.0.1\n"
	    "[sensor m-type]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 1\ntype = "
	    "int64\n"
	    "[sensor m-rtu-key]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 1\nbaud = "
	    "9600\n"
	    "[sensor m-rtu-dev]\nkind = fridge\ndriver = modbus\ntransport = rtu\nregister = 1\n"
	    "[sensor m-coil]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 1\n"
	    "function = coil\ntype = int16\n"
	    "[sensor m-range]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 70000\n"
	    "[sensor m-word]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 1\n"
	    "word_order = little\n"
	    "[sensor m-last]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 65535\n"
	    "type = uint32\n"
	    "[sensor m-parity]\nkind = fridge\ndriver = modbus\ntransport = rtu\n"
	    "device = /dev/ttyS0\nregister = 1\nparity = X\n"
	    "[sensor m-unit]\nkind = fridge\ndriver = modbus\nhost = h\nregister = 1\nunit_id = "
	    "250\n"
	    "[sensor f-nopath]\nkind = fridge\ndriver = file\n"
	    "[sensor f-format]\nkind = fridge\ndriver = file\npath = /x\nformat = csv\n"
	    "[sensor f-typo]\nkind = fridge\ndriver = file\npath = /x\npth = /y\n"
	    "[sensor s-csv]\nkind = fridge\ndriver = sim\nsim_csv = %s/bad.csv\n"
	    "[sensor s-mixed]\nkind = fridge\ndriver = sim\nsim_csv = %s/one.csv\nsim_base = 3\n"
	    "[sensor s-loop]\nkind = fridge\ndriver = sim\nsim_loop = true\n"
	    "[sensor s-none]\nkind = fridge\ndriver = sim\nsim_csv = %s/empty.csv\n"
	    "[sensor s-loop1]\nkind = fridge\ndriver = sim\nsim_csv = %s/one.csv\nsim_loop = yes\n"
	    "[sensor d-unknown]\nkind = fridge\ndriver = onewire\n",
	    dir, dir, dir, dir);
	write_atomic("sensor.conf", text);
	{
		char *path = path_of("sensor.conf");

		assert_true(config_load(&c, path));
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
		char *group = g_strdup_printf("sensor %s", groups[i]);
		struct sensor *s = sensor_new(&c, group);

		if (s)
			fail_msg("[%s] was accepted", group);
		g_free(group);
	}
	/* an unknown key is a problem of the file (-t fails), not of the driver */
	sensor_free(sensor_new(&c, "sensor f-typo"));
	all = problems_of(&c);
	assert_mentions(all, "sensor.conf: [sensor m-noreg] register: missing (required)");
	assert_mentions(
	    all, "[sensor m-type] type: 'int64' is not uint16, int16, uint32, int32 or float32");
	assert_mentions(all, "[sensor m-rtu-key] baud: only for transport = rtu");
	assert_mentions(all, "[sensor m-rtu-dev] device: missing (required)");
	assert_mentions(all, "[sensor m-coil] type: only for function = holding or input");
	assert_mentions(all, "[sensor m-range] register: 70000 is out of range");
	assert_mentions(all, "[sensor m-word] word_order: only for 32-bit types");
	assert_mentions(all, "[sensor m-last] register: 65535 has no next register");
	assert_mentions(all, "[sensor m-parity] parity: 'X' is not N, E or O");
	assert_mentions(all, "[sensor m-unit] unit_id: 250 is not 0..247 or 255");
	assert_mentions(all, "[sensor f-nopath] path: missing (required)");
	assert_mentions(all, "[sensor f-format] format: 'csv' is not number or w1_slave");
	assert_mentions(all, "[sensor f-typo] pth: unknown key");
	assert_mentions(all, "bad.csv' line 3: 'abc' is not a number");
	assert_mentions(all, "bad.csv' line 5: 1.5 s is not after the previous row's");
	assert_mentions(all, "bad.csv' line 6: 3 fields, want seconds,value");
	assert_mentions(all, "bad.csv' line 7: -1 s is out of range");
	assert_mentions(all, "bad.csv' line 8: 'when' is not a number"); /* a header only first */
	assert_mentions(all, "[sensor s-csv] sim_csv: '");
	assert_mentions(all, "[sensor s-mixed] sim_base: not used with sim_csv");
	assert_mentions(all, "[sensor s-loop] sim_loop: only used with sim_csv");
	assert_mentions(all, "[sensor s-none] sim_csv: '");
	assert_mentions(all, "empty.csv' has no seconds,value rows");
	assert_mentions(all, "[sensor s-loop1] sim_loop: '");
	assert_mentions(all, "[sensor d-unknown] driver: unknown driver 'onewire'");
	g_free(all);
	config_release(&c);
	g_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_number),
		cmocka_unit_test(test_file_w1_slave),
		cmocka_unit_test(test_sim_csv),
		cmocka_unit_test(test_modbus_opens_without_network),
		cmocka_unit_test(test_config_problems),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
