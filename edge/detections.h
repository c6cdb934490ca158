/*
 * detections.h — the box's local interface for detections made outside it:
 * a camera's own AI, or a detector process on the box, hands over what it
 * saw ("no mask on cam1 at 08:01:02") and the box turns it into its events.
 *
 * Transport: a Unix stream socket at [detections] socket (default
 * STATE_DIR/detections.sock). At start a stale socket file there is
 * removed (a live one, or anything that is not a socket, is an error); the
 * socket gets mode 0660, so the detector needs the box's user or group and
 * search permission on the directory (STATE_DIR is 0700: point `socket`
 * elsewhere, e.g. /run/brightkitchen/detections.sock, for another user).
 *
 * Protocol: the client writes newline-terminated lines, each one JSON
 * object, one detection per line, UTF-8, at most DETECTION_LINE_MAX (4096)
 * bytes before the '\n' (a '\r' before it is dropped). Example:
 *
 *   {"type":"no_mask","camera":"cam1","confidence":0.93,
 *    "time":"2026-11-25T08:01:02.345Z","detector":"hik-ai","ref":"evt-88812"}
 *
 *   type        required  one of detection_types[]: no_chef_hat, no_mask,
 *                         no_work_clothes, smoking, phone_use, rodent,
 *                         unattended_flame, stranger, bin_overflow,
 *                         wet_floor, motion
 *   camera      required  the id of one of the box's cameras ([camera ID])
 *   confidence  required  a number, 0 to 1
 *   time        optional  when it was seen, UTC with milliseconds exactly
 *                         as 2026-11-25T08:01:02.345Z; default: arrival.
 *                         More than 1 h ahead of the box's clock or 24 h
 *                         behind it is refused
 *   detector    optional  who detected it: 1..63 of [A-Za-z0-9_.-],
 *                         starting with a letter or digit
 *   ref         optional  the detector's own id for it: 1..128 bytes of
 *                         UTF-8 without control characters
 * Any other key, a key given twice, null for an optional field, a NUL
 * byte or an escaped \u0000 anywhere in the line are refused.
 *
 * The box answers every line with exactly one line, in order, ASCII:
 *   ok <n>                 accepted; n counts accepted detections, from 1,
 *                          since the box started
 *   ignored: confidence 0.31 below 0.50
 *                          valid, but under [detections] min_confidence
 *   error: <reason>        refused; the reason names the field, e.g.
 *                          "error: field 'camera': unknown camera 'cam9'",
 *                          or the line ("error: line longer than 4096
 *                          bytes": the rest of that line, up to its '\n',
 *                          is skipped and gets no further answer)
 * A refused line never closes the connection. A client may pipeline lines
 * without waiting for answers, but must read them: while more than 64 KiB
 * of answers wait, the box stops reading from it. At most 16 clients are
 * connected at once (the 17th is told "error: too many clients (16)"
 * and closed); a client silent for 5 minutes is disconnected. On end of input
 * an unterminated last line is still answered, then the box closes.
 *
 * Threads and ownership: everything runs on the GLib main loop (default
 * context) of the thread that called detections_new; no call blocks it.
 * Refused lines are counted and logged with the client (pid, uid) and the
 * reason, at most 10 log lines a minute, then a count of those not shown.
 */
#ifndef BK_DETECTIONS_H
#define BK_DETECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_config.h"

#define DETECTION_LINE_MAX     4096 /* bytes of a line before its '\n' */
#define DETECTION_DETECTOR_MAX 63
#define DETECTION_REF_MAX      128
#define DETECTION_FUTURE_MS    (3600 * INT64_C(1000))	   /* "time" at most this ahead */
#define DETECTION_PAST_MS      (24 * 3600 * INT64_C(1000)) /* and at most this behind */

/* The detection types a line may carry; NULL-terminated. */
extern const char *const detection_types[];

/* One accepted detection. Strings are never NULL except detector and ref
 * (not given); all are valid only while the callback or the parsed struct
 * they come from lives. */
struct detection {
	const char *type;     /* one of detection_types */
	const char *camera;   /* one of the camera ids the module was given */
	const char *detector; /* NULL: not given */
	const char *ref;      /* NULL: not given */
	double confidence;    /* 0..1 */
	int64_t t_ms;	      /* Unix ms; the time of arrival when not given */
};

/* detection_parse's result: d points into this struct, camera_ids and
 * detection_types, so do not copy it by value. */
struct detection_parsed {
	struct detection d;
	char detector[DETECTION_DETECTOR_MAX + 1];
	char ref[DETECTION_REF_MAX + 1];
};

/*
 * Parse and check one line (len bytes, without its '\n'; need not be
 * NUL-terminated) against camera_ids (NULL-terminated; NULL: none) with
 * now_ms as the box's wall clock. true with *out filled; false with the
 * reason in err[errlen] ("field 'confidence': 1.5 is out of range [0, 1]",
 * "malformed JSON at byte 17"), always printable ASCII. min_confidence is
 * not applied here. Pure: no allocation survives the call.
 */
bool detection_parse(const char *line, size_t len, const char *const *camera_ids, int64_t now_ms,
		     struct detection_parsed *out, char *err, size_t errlen);

/* Called on the main loop for each accepted detection, in arrival order;
 * d is valid during the call only. It must not call detections_free. */
typedef void (*detection_fn)(void *ctx, const struct detection *d);

/* What the interface has seen since detections_new. */
struct detection_counters {
	uint64_t lines;		  /* every line answered */
	uint64_t accepted;	  /* "ok" */
	uint64_t ignored;	  /* "ignored": below min_confidence */
	uint64_t rejected;	  /* "error", too_long included */
	uint64_t too_long;	  /* lines over DETECTION_LINE_MAX */
	uint64_t clients;	  /* connections accepted */
	uint64_t clients_refused; /* turned away: too many clients */
	uint64_t clients_idle;	  /* closed for silence */
};

struct detections;

/*
 * Listen on cfg->socket for detections on the cameras camera_ids
 * (NULL-terminated, copied; NULL: none), handing each accepted one to fn.
 * cfg->socket NULL or "": the interface is disabled, and a valid object
 * that listens nowhere is returned (counters stay 0). NULL with a log
 * line when the socket cannot be set up. cfg need not outlive the call;
 * ctx must outlive the object. Main thread only.
 */
struct detections *detections_new(const struct detections_config *cfg,
				  const char *const *camera_ids, detection_fn fn, void *ctx);
/* Close every client and the socket, remove the socket file. NULL is fine. */
void detections_free(struct detections *d);

/* Valid until detections_free; updated as lines arrive. */
const struct detection_counters *detections_counters(const struct detections *d);

/* Tuning and tests: at most max_clients (≥ 1) at once, idle_ms (≥ 1) of
 * silence before a client is closed. Defaults: 16 and 5 minutes. */
void detections_set_limits(struct detections *d, unsigned max_clients, int64_t idle_ms);

#endif
