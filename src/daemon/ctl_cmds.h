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
	unsigned next_worker;  /* explain: the worker to run the next one, round robin */
};

/**
 * Run one request. 0 with the body in o, or a negative ERR_* with the
 * reason in err. *stop is set when the daemon should stop once the reply
 * is sent.
 */
int ctl_cmd_run(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o, bool *stop,
                char *err, size_t errlen);

/** explain: one question resolved and validated on a worker, its steps traced. */
struct ctl_explain;
/** Called on the worker's thread when an explain is over; must be thread-safe. */
typedef void (*ctl_explain_done_cb)(struct ctl_explain *e, void *arg);

/**
 * Start explaining r (CTL_EXPLAIN) on one of the workers; done(e, arg) runs
 * on that worker's thread when it is over. NULL, with the reason in err,
 * when it cannot start. The caller owns e and frees it (ctl_explain_free)
 * once done has run.
 */
struct ctl_explain *ctl_explain_start(struct ctl_state *st, const struct ctl_request *r,
                                      ctl_explain_done_cb done, void *arg, char *err,
                                      size_t errlen);
/** The reply body of a finished explain into o (main thread); 0 or an error with err. */
int ctl_explain_reply(struct ctl_explain *e, struct ctl_out *o, char *err, size_t errlen);
/** Free a finished explain; NULL is a no-op. */
void ctl_explain_free(struct ctl_explain *e);
/** The explain's link in its owner's list (the owner's to use). */
struct ctl_explain **ctl_explain_next(struct ctl_explain *e);
/** The owner's pointer kept with the explain (its client), main thread only. */
void **ctl_explain_owner(struct ctl_explain *e);

/** load-cache: read a dump (cache_dump() text) of len bytes into the cache. */
int ctl_cmd_load(struct ctl_state *st, const char *text, size_t len, struct ctl_out *o, char *err,
                 size_t errlen);
/** dump-cache: the cache as text through write (see cache_dump()); 0 or its error. */
int ctl_cmd_dump(struct ctl_state *st, cache_write_cb write, void *arg);
/** Longest dump load-cache accepts: four times cache-size, and 16 MiB more. */
size_t ctl_load_max(const struct ctl_env *env);

#endif
