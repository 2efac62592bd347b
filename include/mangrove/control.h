/*
 * control.h - the control protocol between mangrove-control and the
 * daemon's control socket (a unix stream socket named by control-socket).
 *
 * The client sends one request line: a command and its arguments
 * separated by blanks, UTF-8, at most CTL_REQUEST_MAX bytes before the
 * newline. The daemon replies with "ok" or "error: reason" on the first
 * line, then text lines, and closes the connection.
 *
 * ctl_parse() is I/O free; the server is in src/daemon/control.c.
 */
#ifndef MANGROVE_CONTROL_H
#define MANGROVE_CONTROL_H

#include <stddef.h>

/** Longest request line in bytes, without its newline. */
#define CTL_REQUEST_MAX 4096

/** The commands. */
enum ctl_cmd {
	CTL_STATUS = 0, /* version, uptime, workers, configuration file, cache */
	CTL_STATS,      /* every counter summed over the workers, and the cache's */
	CTL_VERBOSITY,  /* set the log verbosity to arg */
	CTL_FLUSH_ALL,  /* empty the cache and the validator's key cache */
	CTL_STOP,       /* stop cleanly, as on SIGTERM */
};

/** One parsed request. */
struct ctl_request {
	enum ctl_cmd cmd;
	int arg; /* CTL_VERBOSITY: 0-5 */
};

/**
 * Parse one request line of len bytes (no newline; a trailing '\r' is
 * ignored). 0 and *out filled, or ERR_SYNTAX/ERR_RANGE/ERR_NOTFOUND with
 * the reason for the "error:" line in err.
 */
int ctl_parse(const char *line, size_t len, struct ctl_request *out, char *err, size_t errlen);

#endif
