/*
 * net.h - the daemon side of Mangrove: worker threads that own a libuv
 * loop each, with their own listening sockets (SO_REUSEPORT, so the kernel
 * spreads clients between workers), their own upstream sockets, their own
 * in-flight request table and their own counters.
 *
 * The listening sockets are created and bound by net_listeners_open() in
 * the main thread, before privileges are dropped; each worker then takes
 * its share. This header does not include <uv.h>: only src/net and
 * src/daemon see libuv.
 *
 * Non-goals: DoT (net/tls.c), the control socket (daemon/control.c).
 */
#ifndef MANGROVE_NET_H
#define MANGROVE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "mangrove/conf.h"
#include "mangrove/request.h"
#include "mangrove/stats.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

struct net_listeners;
struct net_worker;

/**
 * Create, configure and bind one UDP and one TCP socket per interface for
 * each of `workers` workers. On failure returns a negative ERR_* code and
 * writes "cannot bind ADDR (udp|tcp): errno text" into err.
 */
int net_listeners_open(const struct conf *conf, unsigned workers, struct net_listeners **out,
                       char *err, size_t errlen);
/** Close the sockets not handed to a worker and free; NULL is a no-op. */
void net_listeners_free(struct net_listeners *l);

/**
 * A worker with its own loop, taking ownership of worker `id`'s sockets in l.
 * env is copied (its stats pointer is replaced by the worker's own counters);
 * what it points to is borrowed and must outlive the worker. NULL on failure
 * with the reason in err.
 */
struct net_worker *net_worker_new(unsigned id, const struct req_env *env, struct net_listeners *l,
                                  char *err, size_t errlen);
/** Start the worker's thread; 0 or ERR_NOMEM/ERR_IO. */
int net_worker_start(struct net_worker *w);
/** Ask a started worker to stop (any thread): it closes its handles and ends its loop. */
void net_worker_stop(struct net_worker *w);
/** Wait until a started worker's thread has ended. */
void net_worker_join(struct net_worker *w);
/** Free a worker that was never started or has been joined; NULL is a no-op. */
void net_worker_free(struct net_worker *w);
/**
 * Hand a started worker a new env (reload, from the main thread) and wait
 * until its thread has taken it, at most timeout_ms: 0 or ERR_TIMEOUT (it
 * takes it later). Requests already in flight keep reading the worker's env,
 * so what the old env pointed to must stay valid until they have ended.
 */
int net_worker_set_env(struct net_worker *w, const struct req_env *env, uint64_t timeout_ms);
/**
 * One question a worker explains for the daemon itself (mangrove-control
 * explain, req_new_explain()), outside the client path: never joined to
 * client questions, never answered from or stored in the message cache.
 * done() runs on the worker's thread; the job belongs to the caller and
 * must stay valid until done() has run.
 */
struct net_job {
	uint8_t qname[WIRE_DNAME_MAX]; /* lower-cased wire name */
	uint16_t qtype;
	const struct val_trace *trace; /* the validation's steps go there (worker thread) */
	/* The request is over (r is NULL when it could not start or the worker stopped). */
	void (*done)(struct net_job *j, struct req *r);
	void *arg;
	struct net_job *next; /* the worker's queue */
};

/** Queue j on a started worker (any thread); 0, or ERR_AGAIN when it is stopping. */
int net_worker_run(struct net_worker *w, struct net_job *j);
/** The worker's counters (written by its thread only; read them as a snapshot). */
const struct stats *net_worker_stats(const struct net_worker *w);

#endif
