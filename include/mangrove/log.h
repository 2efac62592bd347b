/*
 * log.h - logging to stderr, a file or syslog, filtered by verbosity.
 *
 * Verbosity: 0 errors and warnings only, 1 operational (default), 2 detail,
 * 3 per query, 4 per upstream exchange and algorithm detail.
 */
#ifndef MANGROVE_LOG_H
#define MANGROVE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DETAIL = 2,
	LOG_LEVEL_QUERY = 3,
	LOG_LEVEL_DEBUG = 4,
};

/** Send log lines to stderr (path NULL) or append to a file; 0 or negative ERR_IO. */
int log_open(const char *path);
/** Close a log file opened by log_open() and go back to stderr. */
void log_close(void);
/** Set the verbosity (0-5); lines above it are not written. */
void log_set_verbosity(int verbosity);
/** Current verbosity. */
int log_verbosity(void);
/** True when a line at this level would be written. */
bool log_enabled(int level);
/** Write one line (a newline is added) at a level. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)  log_msg(LOG_LEVEL_ERR, "error: " __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, "warning: " __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(level, ...)                                                                      \
	do {                                                                                       \
		if (log_enabled(level))                                                            \
			log_msg(level, __VA_ARGS__);                                               \
	} while (0)

#endif
