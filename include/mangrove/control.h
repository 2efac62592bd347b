/*
 * control.h - the control protocol between mangrove-control and the
 * daemon's control socket (a unix stream socket named by control-socket).
 *
 * The client sends one request line: an optional "--json", a command and
 * its arguments separated by blanks, at most CTL_REQUEST_MAX bytes before
 * the newline. load-cache alone sends more after the line: the dump text,
 * ended by closing its side of the connection. The daemon replies with
 * "ok" or "error: reason" on the first line, then the reply as text lines
 * ("name: value" lines and "key=value ..." lines for lists) or, with
 * --json, as one JSON object, and closes the connection.
 *
 * ctl_parse() is I/O free; the server is in src/daemon/control.c.
 */
#ifndef MANGROVE_CONTROL_H
#define MANGROVE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/sockaddr.h"

/** Longest request line in bytes, without its newline. */
#define CTL_REQUEST_MAX 4096

/** The commands. */
enum ctl_cmd {
	CTL_STATUS = 0,     /* version, uptime, workers, configuration file, cache, memory */
	CTL_STATS,          /* every counter summed over the workers (reset: since now) */
	CTL_VERBOSITY,      /* set the log verbosity to level */
	CTL_RELOAD,         /* re-read the configuration file */
	CTL_STOP,           /* stop cleanly, as on SIGTERM */
	CTL_FLUSH,          /* one name (and type) */
	CTL_FLUSH_ZONE,     /* a name and everything below it */
	CTL_FLUSH_BOGUS,    /* cached bogus answers */
	CTL_FLUSH_NEGATIVE, /* cached NXDOMAIN and NODATA answers */
	CTL_FLUSH_INFRA,    /* what is known about one server address, or all */
	CTL_FLUSH_ALL,      /* empty the cache and the validator's key cache */
	CTL_DUMP_CACHE,     /* the cache as text */
	CTL_LOAD_CACHE,     /* read that text back */
	CTL_LOOKUP,         /* the cached delegation for a name */
	CTL_NTA_ADD,        /* a negative trust anchor (RFC 7646) */
	CTL_NTA_REMOVE,
	CTL_NTA_LIST,
	CTL_EXPLAIN, /* the chain of trust for a name and type, step by step */
};

/** One parsed request. */
struct ctl_request {
	enum ctl_cmd cmd;
	bool json;         /* --json: the reply body is one JSON object */
	bool reset;        /* stats --reset */
	int level;         /* verbosity: 0-5 */
	uint8_t name[256]; /* flush, flush-zone, lookup, nta, explain: a wire name */
	size_t name_len;   /* 0: no name */
	uint16_t type;     /* flush, explain: the type (0: flush every type; explain A) */
	bool all;          /* flush-infra all (or no address) */
	struct sa addr;    /* flush-infra ADDR */
	uint32_t lifetime; /* nta add: seconds, 0 for the default */
};

/**
 * Parse one request line of len bytes (no newline; a trailing '\r' is
 * ignored). 0 and *out filled, or ERR_SYNTAX/ERR_RANGE/ERR_NOTFOUND with
 * the reason for the "error:" line in err.
 */
int ctl_parse(const char *line, size_t len, struct ctl_request *out, char *err, size_t errlen);

/** Number of commands ctl_parse() knows. */
size_t ctl_command_count(void);
/** The usage line of command i, e.g. "flush NAME [TYPE]"; NULL past the end. */
const char *ctl_command_usage(size_t i);

/**
 * Parse a lifetime such as "3600", "90s", "30m", "12h" or "7d" into seconds.
 * 0, or ERR_SYNTAX when it is not one.
 */
int ctl_parse_duration(const char *text, size_t len, uint32_t *out);

#endif
