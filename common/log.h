/*
 * log.h — one-line diagnostics on stderr, shared by every program.
 *
 * A line is "<UTC time> <program> <level>: <message>". Messages follow
 * STYLE.md: what failed, then why, subject quoted, lowercase, no full stop.
 * Thread-safe (each line is one fprintf on an unbuffered stream).
 */
#ifndef BK_LOG_H
#define BK_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Program name shown on each line and the lowest level printed. */
void log_init(const char *program, enum log_level min_level);

/* Parse "debug", "info", "warn" or "error"; false when unknown. */
_Bool log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
