/*
 * metrics.h (daemon) - the Prometheus endpoint: GET /metrics over HTTP on
 * metrics-interface, served by the main thread on the main loop. The text
 * itself is written by the stats module (include/mangrove/prom.h).
 */
#ifndef MANGROVE_DAEMON_METRICS_H
#define MANGROVE_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mangrove/cache.h"
#include "mangrove/net.h"
#include "mangrove/sockaddr.h"

struct metrics_server;

/** What the exposition reads; borrowed, must outlive the server. */
struct metrics_env {
	struct net_worker *const *workers; /* their counters are summed per request */
	unsigned n_workers;
	struct cache *cache;
	uint64_t started_ms; /* clock_mono_ms() at start */
};

/**
 * Listen on addr (TCP). NULL with the reason in err ("metrics-interface
 * ADDR@PORT: address already in use").
 */
struct metrics_server *metrics_server_start(uv_loop_t *loop, const struct sa *addr,
                                            const struct metrics_env *env, char *err,
                                            size_t errlen);
/** Close the listener and every connection; the memory goes with the last close callback. NULL is a
 * no-op. */
void metrics_server_close(struct metrics_server *s);

#endif
