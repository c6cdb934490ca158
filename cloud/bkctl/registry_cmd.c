/*
 * registry_cmd.c — see registry_cmd.h.
 */
#include "registry_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "archive.h"
#include "log.h"
#include "output.h"

/* A registry file is a few thousand rows; this only stops a wrong file. */
#define MAX_CSV_BYTES (64 * 1024 * 1024)

static int usage(void)
{
	fprintf(stderr,
		"bkctl: usage: bkctl --db FILE registry import KIND CSV\n"
		"       bkctl --db FILE registry export KIND\n"
		"       bkctl --db FILE registry list KIND [--json]\n"
		"  KIND: establishments, boxes, cameras, sensors, inspectors or regulators\n");
	return 2;
}

bool bkctl_read_input(const char *file, char **data, size_t *len)
{
	GError *err = NULL;
	gsize n = 0;

	if (strcmp(file, "-") != 0) {
		if (!g_file_get_contents(file, data, &n, &err)) {
			fprintf(stderr, "bkctl: cannot read '%s': %s\n", file, err->message);
			g_error_free(err);
			return false;
		}
	} else {
		GString *in = g_string_new("");
		char buf[65536];
		size_t got;

		while ((got = fread(buf, 1, sizeof buf, stdin)) > 0 && in->len <= MAX_CSV_BYTES)
			g_string_append_len(in, buf, (gssize)got);
		if (ferror(stdin)) {
			fprintf(stderr, "bkctl: cannot read stdin: %s\n", strerror(errno));
			g_string_free(in, TRUE);
			return false;
		}
		n = in->len;
		*data = g_string_free(in, FALSE);
	}
	if (n > MAX_CSV_BYTES) {
		fprintf(stderr, "bkctl: cannot import '%s': larger than %d MiB\n", file,
			MAX_CSV_BYTES >> 20);
		g_free(*data);
		return false;
	}
	*len = n;
	return true;
}

void bkctl_print_refused(const char *file, const char *errors)
{
	char **lines = g_strsplit(errors, "\n", -1);
	int n = 0;

	for (char **l = lines; *l; l++) {
		if (**l) {
			fprintf(stderr, "%s:%s\n", file, *l);
			n++;
		}
	}
	g_strfreev(lines);
	fprintf(stderr, "bkctl: '%s' refused (%d problem%s): nothing imported\n", file, n,
		n == 1 ? "" : "s");
}

static int import(const char *db, enum registry_kind kind, const char *file, bool json)
{
	GString *errors = g_string_new("");
	struct archive *a;
	char *data = NULL;
	size_t len;
	int rc;

	if (!bkctl_read_input(file, &data, &len)) {
		g_string_free(errors, TRUE);
		return 1;
	}
	a = archive_open(db, false);
	if (!a) {
		g_free(data);
		g_string_free(errors, TRUE);
		return 1;
	}
	rc = archive_registry_import(a, kind, data, len, errors);
	archive_close(a);
	g_free(data);
	if (rc == -EINVAL) {
		bkctl_print_refused(file, errors->str);
	} else if (rc >= 0 && json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "kind", registry_kind_names[kind]);
		cJSON_AddStringToObject(o, "file", file);
		cJSON_AddNumberToObject(o, "changed", rc);
		text = cJSON_Print(o);
		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else if (rc >= 0) {
		printf("%s: %d %s added or changed\n", file, rc, registry_kind_names[kind]);
	}
	g_string_free(errors, TRUE);
	return rc >= 0 ? 0 : 1;
}

static int export(const char *db, enum registry_kind kind)
{
	struct archive *a = archive_open(db, true);
	GString *out;
	int rc;

	if (!a)
		return 1;
	out = g_string_new("");
	rc = archive_registry_export(a, kind, out);
	archive_close(a);
	if (!rc && fwrite(out->str, 1, out->len, stdout) != out->len)
		rc = -EIO;
	g_string_free(out, TRUE);
	return rc ? 1 : 0;
}

static int list(const char *db, enum registry_kind kind, bool json)
{
	struct archive *a = archive_open(db, true);
	struct output *out;
	int rc;

	if (!a)
		return 1;
	out = output_new(json);
	rc = archive_registry_list(a, kind, output_row, out);
	output_finish(out, rc ? NULL : stdout);
	archive_close(a);
	return rc ? 1 : 0;
}

int bkctl_registry(int argc, char **argv, const char *db, bool json)
{
	const char *action = argc >= 2 ? argv[1] : "";
	bool is_import = !strcmp(action, "import");
	int kind;

	log_init("bkctl", LOG_WARN);
	if (argc != (is_import ? 4 : 3) ||
	    (!is_import && strcmp(action, "export") != 0 && strcmp(action, "list") != 0))
		return usage();
	if (!db) {
		fprintf(stderr, "bkctl: registry %s needs --db FILE\n", action);
		return 2;
	}
	for (kind = 0; kind < REGISTRY_KINDS; kind++) {
		if (!strcmp(argv[2], registry_kind_names[kind]))
			break;
	}
	if (kind == REGISTRY_KINDS) {
		fprintf(stderr,
			"bkctl: unknown registry kind '%s': establishments, boxes, cameras, "
			"sensors, inspectors or regulators\n",
			argv[2]);
		return 2;
	}
	if (is_import)
		return import(db, (enum registry_kind)kind, argv[3], json);
	if (!strcmp(action, "export"))
		return export(db, (enum registry_kind)kind);
	return list(db, (enum registry_kind)kind, json);
}
