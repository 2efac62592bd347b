/*
 * ctl_cmds.h - the control commands (control.h), run by the control
 * server on the main thread. Each writes its reply body into a ctl_out and
 * returns 0, or an error with the reason for the "error:" line.
 */
#ifndef MANGROVE_DAEMON_CTL_CMDS_H
#define MANGROVE_DAEMON_CTL_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "ctl_out.h"
#include "mangrove/cache.h"
#include "mangrove/control.h"
#include "mangrove/stats.h"

/** What the commands keep between requests; the server owns it. */
struct ctl_state {
	const struct ctl_env *env;
	uint64_t requests;     /* well-formed requests */
	uint64_t rejected;     /* malformed or too long: answered with an error */
	uint64_t dropped;      /* closed without a request: EOF, timeout, too many clients */
	uint64_t unauthorised; /* control-interface clients without the secret */
	struct stats base;     /* the sums at the last stats --reset (zero before one) */
	uint64_t reset_ms;     /* clock_mono_ms() of the last stats --reset, 0 for none */
};

/**
 * Run one request. 0 with the body in o, or a negative ERR_* with the
 * reason in err. *stop is set when the daemon should stop once the reply
 * is sent.
 */
int ctl_cmd_run(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o, bool *stop,
                char *err, size_t errlen);

/** load-cache: read a dump (cache_dump() text) of len bytes into the cache. */
int ctl_cmd_load(struct ctl_state *st, const char *text, size_t len, struct ctl_out *o, char *err,
                 size_t errlen);
/** dump-cache: the cache as text through write (see cache_dump()); 0 or its error. */
int ctl_cmd_dump(struct ctl_state *st, cache_write_cb write, void *arg);
/** Longest dump load-cache accepts: four times cache-size, and 16 MiB more. */
size_t ctl_load_max(const struct ctl_env *env);

#endif
