/*
 * message.h — the messages of schemas/: builders that produce them and
 * validators that check received ones against the same rules.
 *
 * Builders return a new cJSON object the caller owns (cJSON_Delete), with
 * the envelope e in it. Validators never keep pointers into root beyond the
 * call except where the out-struct says so. Pure, thread-safe.
 */
#ifndef BK_MESSAGE_H
#define BK_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "envelope.h"
#include "jcheck.h"
#include "topic.h"

#define MESSAGE_MAX_READINGS 1000
#define MESSAGE_MAX_RANGES   256

/* An inclusive seq range [first, last]. */
struct seq_range {
	int64_t first;
	int64_t last;
};

/* Sensor kinds (schemas/reading.json); NULL-terminated. */
extern const char *const message_sensor_kinds[];

/* An event type about the box itself (camera_offline, sensor_fault,
 * data_dropped, evidence_request, cert_expiring, selftest), not about the kitchen:
 * no clip of it, no alert to regulators. */
bool message_event_about_box(const char *type);

struct reading_sample {
	const char *sensor;
	const char *kind; /* one of message_sensor_kinds */
	int64_t t_ms;	  /* Unix ms */
	double value;
	const char *unit;
};

struct status_health {
	int64_t outbox_depth;
	double oldest_unacked_s;
	int64_t resends;
	int64_t evictions;
	int64_t disk_used_bytes;
	int64_t disk_budget_bytes;
};

struct status_sensor {
	const char *id;
	const char *kind;
	bool fault;
};

/* A camera's state in the status message (schemas/status.json). */
struct status_camera {
	const char *id;
	const char *state; /* "recording", "offline" or "disabled" */
};

/* The certificate the box connects with (schemas/status.json). */
struct status_cert {
	const char *serial; /* hex, as in the CA's index */
	int64_t not_after_ms;
};

struct status_info {
	bool online;
	const char *version;		    /* NULL in the last will */
	int64_t started_ms;		    /* 0: leave out */
	const struct status_health *health; /* NULL: leave out */
	const struct status_sensor *sensors;
	size_t n_sensors;
	const struct status_camera *cameras; /* NULL: leave out */
	size_t n_cameras;
	const struct status_cert *cert; /* NULL: leave out */
};

/* A clip whose chunks are not all in yet, in an ack. */
struct ack_clip_missing {
	const char *clip_id;
	const int *chunks; /* numbers of the chunks not received, ascending */
	size_t n_chunks;
};

#define MESSAGE_MAX_ACK_CLIPS  64   /* clips named in one ack, each list */
#define MESSAGE_MAX_ACK_CHUNKS 1000 /* chunk numbers named for one clip */

struct ack_info {
	const char *box;
	int64_t acked; /* every seq <= acked is accounted for */
	int64_t max_seen;
	const struct seq_range *missing; /* gaps in (acked, max_seen] */
	size_t n_missing;
	const char *const *clips_verified; /* may be NULL */
	size_t n_verified;
	const struct ack_clip_missing *clips_missing; /* may be NULL */
	size_t n_clips_missing;
};

/* Commands to a box (schemas/cmd.json). */
enum cmd_action {
	CMD_PING,
	CMD_SNAPSHOT,
	CMD_UPLOAD_RANGE,
	CMD_CONFIG,
	CMD_RESEND,
	CMD_LIVE,     /* stream camera live, or keep streaming, for lease_s more */
	CMD_LIVE_STOP /* this sender no longer wants camera live */
};
extern const char *const message_cmd_actions[]; /* by enum cmd_action, NULL-terminated */

struct cmd_info {
	const char *cmd_id;
	const char *box;
	enum cmd_action action;
	const char *camera;	/* snapshot, upload_range, live, live_stop */
	int64_t from_ms, to_ms; /* upload_range */
	int lease_s;		/* live: MESSAGE_LIVE_LEASE_MIN..MAX */
};

#define MESSAGE_LIVE_LEASE_MIN 5
#define MESSAGE_LIVE_LEASE_MAX 300

/* Where a box's live stream of one camera stands (schemas/live.json),
 * its answer to live and live_stop. */
enum live_state { LIVE_STARTING, LIVE_REFUSED, LIVE_ENDED };
extern const char *const message_live_states[]; /* by enum live_state, NULL-terminated */

struct live_info {
	const char *camera;
	enum live_state state;
	const char *why;   /* refused, ended: in plain words; NULL otherwise */
	const char *codec; /* starting: "h264" or "h265>h264" (transcoded); NULL if not known */
	int streams, max_streams; /* the box's live streams now, and its limit */
};

#define MESSAGE_MAX_RANGE_MS (3600 * 1000) /* longest range upload_range may ask for */

/* One step of an event's life (schemas/event.json). Optional fields:
 * NULL strings, end_ms 0, has_peak false, n_dropped 0 leave them out. */
struct event_info {
	const char *event_id;
	const char *phase;    /* open, update, close */
	const char *type;     /* temperature_high, sensor_fault, data_dropped, … */
	const char *severity; /* info, warning, critical */
	int64_t start_ms;
	int64_t end_ms;
	const char *source;
	const char *zone;
	bool has_peak;
	double peak;
	const char *unit;
	const struct seq_range *dropped;
	size_t n_dropped;
	const char *message;
};

cJSON *message_reading(const struct envelope *e, const struct reading_sample *s, size_t n);
cJSON *message_event(const struct envelope *e, const struct event_info *ev);
cJSON *message_status(const struct envelope *e, const struct status_info *st);
cJSON *message_ack(const struct envelope *e, const struct ack_info *a);
cJSON *message_cmd(const struct envelope *e, const struct cmd_info *c);
cJSON *message_live(const struct envelope *e, const struct live_info *l);

/* An alert fanned out to regulators (schemas/alert.json). Optional
 * fields NULL to leave out. */
struct alert_info {
	const char *alert_id, *event_id, *box, *district;
	const char *licence, *name;	     /* the establishment */
	const char *type, *severity, *start; /* start: a timestamp */
	const char *zone, *source, *snapshot, *clip, *message;
};
cJSON *message_alert(const struct envelope *e, const struct alert_info *a);

/* An inspection task to handhelds (schemas/task.json), sent on the topic of
 * each of its inspectors. Optional fields NULL (n 0) to leave out. */
#define MESSAGE_MAX_INSPECTORS 16
#define MESSAGE_MAX_REASONS    64
#define MESSAGE_MAX_TASK_NOTE  2048 /* bytes; what a task may carry, checked at creation too */
extern const char *const message_task_states[]; /* dispatched, cancelled; NULL-terminated */
extern const char *const message_task_kinds[];	/* routine, special, alert, followup */

struct task_info {
	const char *task_id;
	const char *state;					    /* one of message_task_states */
	const char *licence, *name, *address, *district, *category; /* the establishment */
	const char *kind;					    /* one of message_task_kinds */
	const char *due;					    /* YYYY-MM-DD */
	const char *const *inspectors; /* hh ids, at least two, none twice */
	size_t n_inspectors;
	const char *const *reason; /* alert ids */
	size_t n_reason;
	const char *checklist; /* template id, e.g. catering-2026 */
	const char *note;
};
cJSON *message_task(const struct envelope *e, const struct task_info *t);

/* A report from a handheld (schemas/report.json): kind state, record or
 * penalty, with exactly the matching member set. */
#define MESSAGE_MAX_ANSWERS 512			  /* CHECKLIST_MAX_ITEMS */
#define MESSAGE_MAX_PHOTOS  20			  /* per answer */
extern const char *const message_report_kinds[];  /* state, record, penalty */
extern const char *const message_report_states[]; /* received, in_progress, submitted */
extern const char *const message_payments[];	  /* on_the_spot, bank */

struct report_answer {
	const char *item;	   /* checklist item number, "1.1" */
	const char *answer;	   /* yes, no, na */
	const char *note;	   /* NULL: leave out */
	const char *const *photos; /* photo references; NULL: leave out */
	size_t n_photos;
};

/* The inspection record: also what 现场笔录 and 责令改正通知书 print. */
struct report_record {
	const char *checklist_id;
	int64_t checklist_version;
	const struct report_answer *answers;
	size_t n_answers;
	const char *result;	       /* compliant, basically_compliant, non_compliant */
	const char *const *inspectors; /* hh ids of all inspectors present, >= 2 */
	size_t n_inspectors;
	const char *time;     /* timestamp: when the inspection took place */
	const char *place;    /* where */
	const char *facts;    /* 现场笔录: what was found, objectively */
	const char *deadline; /* YYYY-MM-DD to correct by; required for basically_compliant,
			       * allowed for non_compliant, NULL to leave out */
};

/* A simple-procedure penalty (penalty.h's rules). */
struct report_penalty {
	const char *party;
	const char *party_type;	  /* individual, organisation */
	const char *penalty_type; /* warning, fine */
	double amount_cny;	  /* 0 for a warning */
	const char *violation;
	const char *legal_basis;
	const char *payment;	     /* fine: on_the_spot (cash, <= 100 CNY) or bank (15 days) */
	const char *decision_number; /* NULL: not yet numbered */
	const char *time, *place;    /* NULL: leave out */
	bool refused_to_sign;	     /* the party refused to sign the decision */
};

struct report_info {
	const char *task_id;
	const char *kind;		      /* one of message_report_kinds */
	const char *state;		      /* kind state */
	const struct report_record *record;   /* kind record */
	const struct report_penalty *penalty; /* kind penalty */
};
cJSON *message_report(const struct envelope *e, const struct report_info *r);

/* A received message, checked. Pointers point into the cJSON root. */
struct message {
	struct envelope env;
	enum msg_kind kind;
	const cJSON *root;
	union {
		struct {
			const cJSON *items; /* array of checked samples */
		} reading;
		struct {
			bool online;
			const char *version;	    /* may be NULL */
			const char *cert_serial;    /* may be NULL */
			const char *cert_not_after; /* may be NULL */
		} status;
		struct {
			const char *box;
			int64_t acked;
			int64_t max_seen;
			const cJSON *clips_verified; /* array of checked clip ids, or NULL */
			const cJSON
			    *clips_missing; /* array of checked {clip_id, chunks}, or NULL */
		} ack;
		struct {
			const char *alert_id, *event_id, *box, *district, *licence, *name;
			const char *type, *severity, *start;
		} alert;
		struct {
			const char *cmd_id, *box, *camera; /* camera: NULL unless needed */
			enum cmd_action action;
			int64_t from_ms, to_ms; /* upload_range */
			int lease_s;		/* live */
		} cmd;
		struct {
			const char *camera, *why, *codec; /* why, codec: NULL if absent */
			enum live_state state;
			int streams, max_streams;
		} live;
		struct {
			const char *event_id, *phase, *type, *severity, *start, *end;
			const char *source, *zone, *unit, *message;
			bool has_peak;
			double peak;
			const cJSON *dropped; /* array of checked [first, last], or NULL */
		} event;
		struct {
			const char *task_id, *state, *kind, *due, *checklist, *note;
			const char *licence, *name, *address, *district, *category;
			const cJSON
			    *inspectors;     /* array of checked hh ids, the topic's among them */
			const cJSON *reason; /* array of strings, or NULL */
		} task;
		struct {
			const char *task_id, *kind;
			const char *state; /* kind state */
			/* kind record: */
			const char *checklist_id, *result, *time, *place, *facts, *deadline;
			int64_t checklist_version;
			const cJSON *answers;	 /* checked {item, answer, note?, photos?} */
			const cJSON *inspectors; /* checked hh ids, the sender among them */
			/* kind penalty: */
			const char *party, *party_type, *penalty_type, *violation, *legal_basis;
			const char *payment, *decision_number; /* may be NULL */
			int64_t amount_fen;		       /* passed penalty_check */
			bool refused_to_sign;
		} report;
	} u;
};

/* Parse a received payload (len bytes, payload[len] == '\0' as mqtt_link
 * guarantees) as one JSON value and nothing else: no NUL byte inside, no
 * trailing garbage. NULL with the reason in err[errlen]; else the caller
 * owns the result (cJSON_Delete). */
cJSON *message_parse(const char *payload, size_t len, char *err, size_t errlen);

/*
 * Check root as a message of kind received on topic t: envelope, the
 * kind's own fields, and that the sender id matches the topic's owner.
 * false with jc->error naming the field when it does not conform.
 */
bool message_validate(const struct topic *t, const cJSON *root, struct message *m,
		      struct jcheck *jc);

#endif
