/*
 * fuzz_chunks.c — libFuzzer target for clip reassembly at the collector:
 * signed manifests and their chunks through the real intake
 * (cloud/collector/clip_intake.h: the signature check, the archive's clip
 * row, cloud/clipstore.c's assembly, the whole-file check, the publishing
 * at the content address), by two collectors of a share group: two
 * clip_intakes on one archive and one store directory, which the input's
 * chunks go to in any interleaving.
 *
 * At start-up the target makes a throwaway deployment CA with box-a and box-b
 * certificates (tools/bk-pki, so it runs from the repository root, as the
 * fuzz scripts do) in a scratch directory, on /dev/shm when there is one
 * (clipstore_finish fsyncs), and an in-memory archive. Each input runs in a
 * transaction rolled back at its end, with fresh clip_intakes and an empty
 * store, so inputs stay independent.
 *
 * Input (missing bytes read as 0): a header
 *   flags     bits 0-1 signature: 1 box-b's key and certificate for box-a's
 *             manifest, 2 a field changed after signing, else good;
 *             bit 2 the whole file's sha256 is wrong; bit 3 one chunk hash
 *             is wrong; bit 4 image/jpeg; bit 5 declared sizes skewed;
 *             bit 6 a complete pass of good chunks at the end; bit 7 the
 *             clip id comes from the input
 *   chunk size 1 + byte; length 1 + byte + 256 × (byte & 3); content seed;
 *   [skew: bytes delta, count delta] [bad chunk] [clip id: length, bytes]
 * then operations of two bytes (op, arg), op % 8:
 *   0, 1 chunk arg of the current clip, as it is, to collector A (0) or B (1)
 *   2 one byte changed                                 3 one byte more or less
 *   4 on another topic (box-b's, another clip's, a clip id topic_parse
 *     refuses) or with a number past the store's limit
 *   5 restart of collector A or B (new clip_intake, archive and store kept)
 *   6 another manifest: the same, new content under the same id, the same
 *     id from box-b, or a certificate that is not one
 *   7 a complete pass of good chunks (while fewer than MAX_SENT were sent),
 *     to A, to B, or alternating
 * Operations 2-4 go to A or B by bit 5 of op; manifests go to A. Chunks
 * travel as the collector's take_chunk() sends them: topic_format_chunk,
 * topic_parse, then clip_intake_chunk.
 *
 * abort() when
 *   - a clip row says verified while its file is missing, outside ROOT or not
 *     at ROOT/<2 hex>/<sha256>.<ext>, or the file does not hash to the row's
 *     sha256, or that sha256 is not one a correctly signed manifest from that
 *     box gave for that clip;
 *   - a verdict says stored or verified while the row does not; a verdict
 *     lists missing chunks out of order or out of range; a refusal has no
 *     reason;
 *   - the store holds anything but tmp/<box>/<clip>/<n>.chunk and
 *     content-addressed files (a temporary file left: nothing crashed), or
 *     anything appears in the scratch directory outside it; a verified
 *     clip's assembly is still there;
 *   - a good clip (good signature, sizes and hashes, one manifest) is not
 *     verified after a complete pass at the end (to A), whatever came before
 *     and whichever collector had its chunks.
 * BK_FUZZ_VERBOSE=1 shows the collector's log lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "archive.h"
#include "clip_intake.h"
#include "clipstore.h"
#include "log.h"
#include "manifest.h"
#include "message.h"
#include "signing.h"
#include "topic.h"

#define MAX_DEFS 8
#define MAX_OPS	 256
#define MAX_LEN	 1024
#define MAX_SENT 2048 /* chunks sent before operation 7 stops passing: passes are O(n²) */
#define SCRATCH	 "bk-fuzz-chunks."

static FILE *report; /* the real stderr */
static char scratch[4096], root[4096], ca[4096];
static struct signer *signer_a, *signer_b;
static struct archive *archive;

/*
 * A clip of many chunks makes allocations of tens of KiB (the manifest, its
 * signed text, the archived row of chunk hashes). ASan's quarantine (256 MiB)
 * then fills with one size class after another, and each class keeps what it
 * once held: the RSS passed 2 GiB (-rss_limit_mb) within a minute. A small
 * quarantine still catches use-after-free of what the last chunks freed.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static void fail(const char *what, const char *detail)
{
	fprintf(report, "fuzz_chunks: %s\n  detail: %s\n", what, detail ? detail : "");
	abort();
}

/* --- the scratch directory --------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_scratch(void)
{
	if (scratch[0])
		rm_tree(scratch);
}

/* Scratch directories of fuzz_chunks processes that are gone (a crash or a
 * timeout ends a process without atexit()). */
static void remove_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid;
		char *end, *path;

		if (strncmp(e->d_name, SCRATCH, strlen(SCRATCH)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(SCRATCH), &end, 10);
		if (*end != '.' || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
			path = g_build_filename(tmp, e->d_name, NULL);
			rm_tree(path);
			g_free(path);
		}
	}
	closedir(d);
}

static void make_pki(void)
{
	char *cmd, key[4200], crt[4200], err[256];

	if (access("tools/bk-pki", X_OK) != 0)
		fail("tools/bk-pki not found: run from the repository root", NULL);
	cmd = g_strdup_printf("tools/bk-pki init %s/pki >/dev/null && tools/bk-pki issue %s/pki "
			      "box-a >/dev/null && tools/bk-pki issue %s/pki box-b >/dev/null",
			      scratch, scratch, scratch);
	if (system(cmd) != 0)
		fail("cannot make a CA with tools/bk-pki", cmd);
	g_free(cmd);
	snprintf(ca, sizeof ca, "%s/pki/ca.crt", scratch);
	snprintf(key, sizeof key, "%s/pki/box-a.key", scratch);
	snprintf(crt, sizeof crt, "%s/pki/box-a.crt", scratch);
	if (!(signer_a = signer_new(key, crt, err, sizeof err)))
		fail("cannot load box-a's key", err);
	snprintf(key, sizeof key, "%s/pki/box-b.key", scratch);
	snprintf(crt, sizeof crt, "%s/pki/box-b.crt", scratch);
	if (!(signer_b = signer_new(key, crt, err, sizeof err)))
		fail("cannot load box-b's key", err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	bool verbose = getenv("BK_FUZZ_VERBOSE") && !strcmp(getenv("BK_FUZZ_VERBOSE"), "1");

	(void)argc, (void)argv;
	report = stderr;
	if (access("/dev/shm", W_OK | X_OK) == 0)
		tmp = "/dev/shm";
	else if (!tmp || !*tmp)
		tmp = "/tmp";
	remove_stale(tmp);
	snprintf(scratch, sizeof scratch, "%s/" SCRATCH "%ld.XXXXXX", tmp, (long)getpid());
	if (!mkdtemp(scratch))
		fail("cannot create a scratch directory", strerror(errno));
	atexit(remove_scratch);
	make_pki();
	snprintf(root, sizeof root, "%s/in/store", scratch);
	log_init("fuzz_chunks", verbose ? LOG_DEBUG : LOG_ERROR);
	archive = archive_open(":memory:", false);
	if (!archive)
		fail("cannot open an archive in memory", NULL);
	if (!verbose) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
	return 0;
}

/* --- the input ----------------------------------------------------------- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

typedef char hex64[65]; /* a sha256 as hex */

/* A clip as one manifest announced it. */
struct def {
	const char *box;
	char clip_id[32];
	uint8_t content[MAX_LEN];
	int len, size, count; /* real: bytes, chunk size, number of chunks */
	int64_t d_bytes;      /* declared */
	int d_count;	      /* declared */
	char whole[65];	      /* declared sha256 of the whole file */
	hex64 *chunks;	      /* declared chunk hashes, d_count (when >= 1) */
	bool good;	      /* correctly signed by its box */
};

struct run {
	struct clip_intake *ci[2]; /* collectors A and B */
	struct def defs[MAX_DEFS];
	int n_defs, cur;
	int sent; /* chunks sent so far */
	int64_t seq;
	bool clean; /* one good manifest, sizes and hashes right: must end verified */
};

static void sha256_hex(const void *data, size_t len, char out[65])
{
	char *s = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);

	snprintf(out, 65, "%s", s);
	g_free(s);
}

static void fill(struct def *d, uint8_t seed, int len, int size)
{
	uint32_t x = 0x9e3779b9u ^ (uint32_t)seed * 0x01000193u;

	d->len = len;
	d->size = size;
	d->count = (len + size - 1) / size;
	for (int i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		d->content[i] = (uint8_t)(seed & 1 ? x : x % 4); /* even seeds: repetitive */
	}
}

static void declare(struct def *d, int64_t d_bytes, int d_count)
{
	d->d_bytes = d_bytes;
	d->d_count = d_count;
	sha256_hex(d->content, (size_t)d->len, d->whole);
	g_free(d->chunks);
	d->chunks = d_count > 0 ? g_new0(hex64, d_count) : NULL;
	for (int i = 0; i < d_count; i++) {
		if (i < d->count)
			sha256_hex(d->content + i * d->size,
				   (size_t)MIN(d->size, d->len - i * d->size), d->chunks[i]);
		else
			memset(d->chunks[i], '0', 64);
	}
}

/* sha256 of a chunk (or the whole) with its first byte changed: valid hex, wrong. */
static void spoil(const struct def *d, int n, char out[65])
{
	uint8_t buf[MAX_LEN];
	int off = n < 0 ? 0 : n * d->size;
	int len = n < 0 ? d->len : MIN(d->size, d->len - off);

	if (n >= d->count) {
		memset(out, 'f', 64);
		return;
	}
	memcpy(buf, d->content + off, (size_t)len);
	buf[0] ^= 1;
	sha256_hex(buf, (size_t)len, out);
}

/* The manifest of d as box sends it, through the collector's ingest steps
 * and clip_intake_manifest. signature: 0 good, 1 another box's key and
 * certificate, 2 a field changed after signing, 3 a certificate that is none. */
static void send_manifest(struct run *r, struct def *d, int signature, const char *mime)
{
	const char **hashes = g_new0(const char *, (gsize)MAX(d->d_count, 0) + 1);
	struct signer *s = signature == 1 ? (d->box[4] == 'a' ? signer_b : signer_a)
					  : (d->box[4] == 'a' ? signer_a : signer_b);
	struct clip_manifest cm = {
		.box = d->box,
		.clip_id = d->clip_id,
		.camera = "kitchen-1",
		.event_id = "fridge-1:temperature_high:1764057600000",
		.start = "2026-11-25T08:00:00.000Z",
		.end = "2026-11-25T08:01:00.000Z",
		.mime = mime,
		.sha256 = d->whole,
		.bytes = d->d_bytes,
		.chunk_size = d->size,
		.chunk_count = d->d_count,
		.chunks = hashes,
	};
	struct envelope env = { .seq = ++r->seq, .ts = "2026-11-25T08:01:01.000Z", .mono = 1 };
	char topic[TOPIC_MAX], err[256], *signed_text, *sig, *payload;
	struct jcheck jc = { 0 };
	struct message m;
	struct topic t;
	cJSON *msg, *root_;

	snprintf(env.id, sizeof env.id, "%s", d->box);
	env.synced = true;
	for (int i = 0; i < d->d_count; i++)
		hashes[i] = d->chunks[i];
	signed_text = manifest_signed_text(&cm);
	sig = signer_sign(s, signed_text, strlen(signed_text));
	if (!sig)
		fail("cannot sign a manifest", NULL);
	cm.signature = sig;
	cm.cert = signature == 3 ? "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END "
				   "CERTIFICATE-----\n"
				 : signer_cert_pem(s);
	if (signature == 2)
		cm.camera = "kitchen-2";
	d->good = signature == 0;
	msg = manifest_build(&env, &cm);
	payload = cJSON_PrintUnformatted(msg);
	topic_format(topic, MSG_CLIP, d->box);
	if (!topic_parse(topic, &t, err, sizeof err))
		fail("a manifest topic does not parse", topic);
	root_ = message_parse(payload, strlen(payload), err, sizeof err);
	if (!root_ && jc_is_ident(d->clip_id, ":", 128))
		fail("a built manifest does not parse", err);
	if (root_ && message_validate(&t, root_, &m, &jc)) {
		if (clip_intake_manifest(r->ci[0], &m) != 0)
			fail("clip_intake_manifest failed on an archive in memory", NULL);
	} else {
		d->good = false;
	}
	cJSON_Delete(root_);
	cJSON_free(payload);
	cJSON_Delete(msg);
	g_free(sig);
	g_free(signed_text);
	g_free(hashes);
}

/* --- checks -------------------------------------------------------------- */

struct row {
	bool found;
	char state[16], sha256[65], path[4200];
};

static void on_row(void *ctx, const struct archive_clip *c)
{
	struct row *w = ctx;

	w->found = true;
	snprintf(w->state, sizeof w->state, "%s", c->state);
	snprintf(w->sha256, sizeof w->sha256, "%s", c->sha256 ? c->sha256 : "");
	snprintf(w->path, sizeof w->path, "%s", c->path ? c->path : "");
}

static struct row get_row(const char *box, const char *clip_id)
{
	struct row w = { 0 };

	if (archive_get_clip(archive, box, clip_id, on_row, &w) < 0 && w.found)
		fail("archive_get_clip failed", clip_id);
	return w;
}

static bool announced(const struct run *r, const char *box, const char *clip_id, const char *sha256)
{
	for (int i = 0; i < r->n_defs; i++) {
		const struct def *d = &r->defs[i];

		if (d->good && !strcmp(d->box, box) && !strcmp(d->clip_id, clip_id) &&
		    !strcmp(d->whole, sha256))
			return true;
	}
	return false;
}

/* A verified row: its file is where and what the row says (the file read
 * when file is set). false when the row is not verified. */
static bool check_verified(const struct run *r, const char *box, const char *clip_id, bool file)
{
	struct row w = get_row(box, clip_id);
	char want[4300], *contents = NULL, got[65];
	gsize len = 0;
	const char *ext;

	if (!w.found || strcmp(w.state, "verified") != 0)
		return false;
	if (!announced(r, box, clip_id, w.sha256))
		fail("a verified clip's sha256 is not one its box signed for it", w.sha256);
	if (!file)
		return true;
	ext = strrchr(w.path, '.');
	snprintf(want, sizeof want, "%s/%.2s/%s%s", root, w.sha256, w.sha256, ext ? ext : "");
	if (!ext || strcmp(w.path, want) != 0 || (strcmp(ext, ".ts") && strcmp(ext, ".jpg")))
		fail("a verified clip's path is not its content address under the store", w.path);
	if (!g_file_get_contents(w.path, &contents, &len, NULL))
		fail("a verified clip's file is missing", w.path);
	sha256_hex(contents, len, got);
	g_free(contents);
	if (strcmp(got, w.sha256) != 0)
		fail("a verified clip's file does not hash to the archived sha256", w.path);
	return true;
}

static void check_verdict(const struct run *r, const char *box, const char *clip_id,
			  const struct clip_verdict *v, int rc, const char *err)
{
	int count = 1;

	for (int i = 0; i < r->n_defs; i++)
		count = MAX(count, r->defs[i].d_count);

	if (rc != 0 && !err[0])
		fail("a chunk refused without a reason", clip_id);
	if ((v->stored || v->verified) && !v->answer)
		fail("verified without an answer", clip_id);
	if (v->stored && !v->verified)
		fail("stored but not verified", clip_id);
	if (v->answer && strcmp(v->clip_id, clip_id) != 0)
		fail("a verdict names another clip", v->clip_id);
	if (v->n_missing > MESSAGE_MAX_ACK_CHUNKS)
		fail("a verdict lists too many missing chunks", clip_id);
	for (size_t i = 0; i < v->n_missing; i++) {
		if (v->missing[i] < 0 || v->missing[i] >= MAX(count, 1) ||
		    (i && v->missing[i] <= v->missing[i - 1]))
			fail("missing chunks out of order or range", clip_id);
	}
	if (v->verified && !check_verified(r, box, clip_id, v->stored))
		fail("a verdict says verified, the archive does not", clip_id);
}

/* "<sha256>.ts" or "<sha256>.jpg" whose sha256 starts with prefix. */
static bool content_name(const char *prefix, const char *name)
{
	char hex[65];

	if (strlen(name) < 65 || strncmp(name, prefix, 2) != 0)
		return false;
	memcpy(hex, name, 64);
	hex[64] = '\0';
	return jc_is_sha256_hex(hex) && (!strcmp(name + 64, ".ts") || !strcmp(name + 64, ".jpg"));
}

/* "<n>.chunk", n a chunk number without leading zeros. */
static bool chunk_name(const char *name)
{
	size_t digits = strspn(name, "0123456789");

	return digits >= 1 && digits <= 6 && (name[0] != '0' || digits == 1) &&
	       !strcmp(name + digits, ".chunk") && atoi(name) < CLIPSTORE_MAX_CHUNKS;
}

/* Only tmp/<box>/<clip>/<n>.chunk and <2 hex>/<sha256>.<ext> under ROOT. */
static int check_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + strlen(root);
	char **parts;
	int n;
	bool ok;

	(void)st, (void)ftw;
	if (!*rel)
		return 0;
	parts = g_strsplit(rel + 1, "/", -1);
	n = (int)g_strv_length(parts);
	if (!strcmp(parts[0], "tmp"))
		ok = (n == 1 && flag == FTW_D) ||
		     (n == 2 && flag == FTW_D && envelope_party(parts[1]) == PARTY_BOX) ||
		     (n == 3 && flag == FTW_D && jc_is_ident(parts[2], ":", 128)) ||
		     (n == 4 && flag == FTW_F && chunk_name(parts[3]));
	else
		ok = strlen(parts[0]) == 2 && g_ascii_isxdigit(parts[0][0]) &&
		     g_ascii_isxdigit(parts[0][1]) &&
		     ((n == 1 && flag == FTW_D) ||
		      (n == 2 && flag == FTW_F && content_name(parts[0], parts[1])));
	g_strfreev(parts);
	if (!ok)
		fail("the store holds what it should not", path);
	return 0;
}

static void check_store(const struct run *r)
{
	const char *allowed_scratch[] = { ".", "..", "pki", "in", NULL };
	DIR *d;
	struct dirent *e;
	char in[4200];

	nftw(root, check_entry, 16, FTW_PHYS);
	for (int i = 0; i < r->n_defs; i++) {
		struct row w = get_row(r->defs[i].box, r->defs[i].clip_id);
		char *assembly;

		if (!w.found || strcmp(w.state, "verified") != 0)
			continue;
		assembly = g_build_filename(root, "tmp", r->defs[i].box, r->defs[i].clip_id, NULL);
		if (g_file_test(assembly, G_FILE_TEST_EXISTS))
			fail("a verified clip's assembly is still in the store", assembly);
		g_free(assembly);
	}
	d = opendir(scratch);
	while (d && (e = readdir(d))) {
		if (!g_strv_contains(allowed_scratch, e->d_name))
			fail("something was written outside the store", e->d_name);
	}
	if (d)
		closedir(d);
	snprintf(in, sizeof in, "%s/in", scratch);
	d = opendir(in);
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "store"))
			fail("something was written outside the store", e->d_name);
	}
	if (d)
		closedir(d);
}

/* --- chunks -------------------------------------------------------------- */

/* Chunk n of d's content (bytes beyond it are zero), changed as asked, on the
 * topic of box/clip_id: the collector's take_chunk(). */
static void send_chunk(struct run *r, int to, const struct def *d, const char *box,
		       const char *clip_id, int n, int change, int where, struct clip_verdict *v)
{
	uint8_t buf[MAX_LEN + 2] = { 0 };
	int off = n * d->size;
	int len = n < d->count ? MIN(d->size, d->len - off) : d->size;
	char topic[TOPIC_MAX], err[256] = "";
	struct topic t;
	int rc;

	if (n < d->count)
		memcpy(buf, d->content + off, (size_t)len);
	if (change == 1 && len > 0)
		buf[where % len] ^= 1;
	else if (change == 2)
		len = where & 1 ? len + 1 : MAX(len - 1, 0);
	topic_format_chunk(topic, box, clip_id, n);
	memset(v, 0, sizeof *v);
	r->sent++;
	if (!topic_parse(topic, &t, err, sizeof err) || t.kind != MSG_CHUNK)
		return;
	rc = clip_intake_chunk(r->ci[to], t.owner, t.clip_id, t.chunk, buf, (size_t)len, v, err,
			       sizeof err);
	check_verdict(r, t.owner, t.clip_id, v, rc, err);
}

/* A complete pass: to A (0), B (1), or alternating (2, 3: as a share group
 * would spread it). The last verdict says verified. */
static bool pass(struct run *r, int to)
{
	const struct def *d = &r->defs[r->cur];
	struct clip_verdict v = { 0 };

	for (int n = 0; n < d->count; n++)
		send_chunk(r, to < 2 ? to : (n + to) % 2, d, d->box, d->clip_id, n, 0, 0, &v);
	return v.verified;
}

static void restart(struct run *r, int which)
{
	clip_intake_free(r->ci[which]);
	r->ci[which] = clip_intake_new(archive, root, ca);
	if (!r->ci[which])
		fail("cannot make a clip_intake", root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	struct in in = { data, size };
	uint8_t flags = byte(&in);
	int chunk_size = 1 + byte(&in);
	int len = 1 + byte(&in);
	struct def *d = &r.defs[0];
	const char *mime = flags & 16 ? "image/jpeg" : "video/mp2t";
	int64_t d_bytes;
	int d_count, ops = 0;
	struct clip_verdict v;

	len += 256 * (byte(&in) & 3);
	memset(&r, 0, sizeof r);
	r.ci[0] = clip_intake_new(archive, root, ca);
	r.ci[1] = clip_intake_new(archive, root, ca);
	if (!r.ci[0] || !r.ci[1] || archive_begin(archive) != 0)
		fail("cannot start an input", root);
	d->box = "box-a";
	fill(d, byte(&in), len, chunk_size);
	d_bytes = d->len;
	d_count = d->count;
	if (flags & 32) {
		d_bytes += (int8_t)byte(&in);
		d_count += (int8_t)byte(&in) % 4;
	}
	declare(d, d_bytes, d_count);
	if (flags & 4)
		spoil(d, -1, d->whole);
	if ((flags & 8) && d_count > 0) {
		int k = byte(&in) % d_count;

		spoil(d, k, d->chunks[k]);
	}
	snprintf(d->clip_id, sizeof d->clip_id, "kitchen-1:1764057600000");
	if (flags & 128) {
		int n = byte(&in) % 24;

		for (int i = 0; i < n; i++)
			d->clip_id[i] = (char)byte(&in);
		d->clip_id[n] = '\0';
	}
	r.n_defs = 1;
	send_manifest(&r, d, flags & 3 ? (flags & 3) % 3 : 0, mime);
	r.clean = d->good && !(flags & (4 | 8 | 32));

	while (in.n && ops++ < MAX_OPS) {
		uint8_t op = byte(&in), arg = byte(&in);
		const struct def *c = &r.defs[r.cur];
		static const char *const boxes[] = { "box-b", "box-a", "box-a", NULL };
		static const char *const clips[] = { NULL, "kitchen-1:1", "..", NULL };
		int far = CLIPSTORE_MAX_CHUNKS - 1 + arg * 3600; /* topic_parse allows 1000000 */

		switch (op % 8) {
		case 0:
		case 1:
			send_chunk(&r, op % 8, c, c->box, c->clip_id, arg, 0, 0, &v);
			break;
		case 2:
		case 3:
			send_chunk(&r, (op >> 5) & 1, c, c->box, c->clip_id, arg,
				   op % 8 == 3 ? 2 : 1, op >> 3, &v);
			break;
		case 4:
			send_chunk(&r, (op >> 5) & 1, c,
				   boxes[(op >> 3) % 4] ? boxes[(op >> 3) % 4] : c->box,
				   clips[(op >> 3) % 4] ? clips[(op >> 3) % 4] : c->clip_id,
				   (op >> 3) % 4 == 3 ? far : arg, 0, 0, &v);
			break;
		case 5:
			restart(&r, (op >> 3) & 1);
			break;
		case 6:
			if (r.n_defs == MAX_DEFS)
				break;
			r.clean = false;
			d = &r.defs[r.n_defs++];
			*d = r.defs[0];
			if ((op >> 3) % 4 == 1) { /* new content under the same id */
				d->chunks = NULL;
				fill(d, arg, d->len, d->size);
				declare(d, d->len, d->count);
			} else {
				d->chunks = r.defs[0].chunks
						? g_memdup2(r.defs[0].chunks,
							    sizeof(hex64) * (gsize)d->d_count)
						: NULL;
			}
			if ((op >> 3) % 4 == 2)
				d->box = "box-b";
			send_manifest(&r, d, (op >> 3) % 4 == 3 ? 3 : 0, mime);
			r.cur = r.n_defs - 1;
			break;
		case 7:
			if (r.sent < MAX_SENT)
				pass(&r, (op >> 3) % 4);
			break;
		}
	}
	if ((flags & 64) && pass(&r, 0) != true && r.clean)
		fail("a good clip is not verified after a complete pass", r.defs[r.cur].clip_id);
	for (int i = 0; i < r.n_defs; i++)
		check_verified(&r, r.defs[i].box, r.defs[i].clip_id, true);
	check_store(&r);
	clip_intake_free(r.ci[0]);
	clip_intake_free(r.ci[1]);
	archive_rollback(archive);
	for (int i = 0; i < r.n_defs; i++)
		g_free(r.defs[i].chunks);
	rm_tree(root);
	return 0;
}
