/*
 * selftest.h — `bk-edge -c FILE --selftest`, the installer's on-site check.
 *
 * Prints a checklist on stdout, one line per check — "✓" passed, "!"
 * passed with a warning, "✗" failed, "-" not run because of an earlier
 * failure — with the fact measured, and under each "!" or "✗" a line
 * "  → what to do". Then one summary line. In order:
 *
 *   config        the file loads and is valid (the loader's problems on stderr)
 *   clock         plausible (year ≥ 2024: else ✗); the kernel's NTP status
 *                 (not synchronised: only "!", the centre's clock decides below)
 *   disk          state_dir can be made and written; free + what the box
 *                 already uses ≥ disk_budget
 *   camera ID     each camera records into a scratch directory until a
 *                 segment is written (recording hours and motion ignored)
 *   sensor ID     each sensor read 3 times; a value its rules call impossible
 *                 (valid_min..valid_max, rules.c) is ✗; outside min..max "!"
 *   certificate   [mqtt] cert matches key, names the box, is valid now and
 *                 chains to [mqtt] ca; "!" within cert_warn_days of its end
 *   broker        TCP, then TLS and MQTT CONNECT as the box: network, TLS
 *                 (which side refused) and "not authorised" told apart
 *   round trip    a `selftest` event (info, closed at once, its message the
 *                 checklist so far) committed to the outbox and sent; passes
 *                 when the collector's ack covers its seq. Archived like any
 *                 event: the centre keeps a record of the self-test.
 *   clock vs centre  the ack's timestamp against the midpoint of the round
 *                 trip: ✗ beyond SELFTEST_MAX_OFFSET_MS (± half the round trip)
 *
 * The self-test refuses to run beside a bk-edge on the same state directory
 * (state_lock.h: it would share the outbox, and the broker lets one client
 * per certificate connect): "✗ bk-edge: already running …", nothing else is
 * tried. It holds the lock itself, so a daemon started meanwhile refuses.
 * It connects as the box with the box's persistent session (clean session
 * off, as the daemon): a command the centre queued while the box was away
 * arrives during the self-test and is not carried out (said with "!").
 *
 * Exit status: 0 when nothing failed (warnings allowed), 1 when a check
 * failed, 2 when the configuration does not load. Main thread only; runs
 * the default GLib main context itself.
 */
#ifndef BK_SELFTEST_H
#define BK_SELFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "edge_config.h"
#include "signing.h"

#define SELFTEST_MAX_OFFSET_MS 5000 /* clock vs centre beyond this (± rtt/2): ✗ */
#define SELFTEST_MIN_YEAR      2024 /* a clock before this has never been set */

/* Run every check on cfg (NULL: the configuration did not load), print the
 * checklist; the exit status. */
int selftest_run(const char *config_path, const struct edge_config *cfg);

/* --- the judgements behind the lines: pure, any thread (for tests) ------ */

enum selftest_mark { SELFTEST_PASS, SELFTEST_WARN, SELFTEST_FAIL, SELFTEST_SKIP };

struct selftest_line {
	enum selftest_mark mark;
	char what[96];	/* "camera cam1" */
	char fact[512]; /* what was measured */
	char hint[512]; /* what to do: "" when nothing */
};

/* The wall clock now and the kernel's NTP status. */
void selftest_judge_clock(int64_t wall_ms, bool synced, struct selftest_line *l);
/* The centre's clock minus ours, measured over a round trip of rtt_ms;
 * centre_synced is what its ack said about its own clock. */
void selftest_judge_offset(int64_t offset_ms, int64_t rtt_ms, bool centre_synced,
			   struct selftest_line *l);
/* Room for the disk budget: free bytes on dir's filesystem plus the bytes
 * the box already uses (which the budget counts) against budget. */
void selftest_judge_disk(const char *dir, int64_t free_bytes, int64_t ours, int64_t budget,
			 struct selftest_line *l);
/* The box's certificate (read from cert_path) at now_ms. */
void selftest_judge_cert(const struct cert_info *ci, const char *cert_path, const char *box_id,
			 int64_t now_ms, int warn_days, struct selftest_line *l);
/* A camera that went offline before recording: why is camera.c's reason
 * (GStreamer's message). Plain words and a hint; source's password is never
 * shown. */
void selftest_judge_camera(const struct camera_config *cc, const char *why,
			   struct selftest_line *l);
/* A failed connect to the broker at uri, which accepted TCP: reason is
 * mqtt_link's (Paho's words, then "; tls: " and OpenSSL's last complaint
 * when there is one); cert_ok whether the box's certificate passed its
 * own checks. */
void selftest_judge_broker(const char *uri, const char *reason, bool cert_ok,
			   struct selftest_line *l);
/* Whether an ack (acked, max_seen and its missing ranges, a cJSON array of
 * [first, last]; NULL: none) says seq is archived. */
bool selftest_ack_covers(int64_t seq, int64_t acked, int64_t max_seen, const cJSON *missing);
/* "512 B", "1.5 KiB", "16.0 GiB" into buf[len]. */
void selftest_format_bytes(int64_t bytes, char *buf, size_t len);

#endif
