/*
 * control.h (daemon) - the control socket server, run by the main thread
 * on the main loop. The protocol is in include/mangrove/control.h.
 */
#ifndef MANGROVE_DAEMON_CONTROL_H
#define MANGROVE_DAEMON_CONTROL_H

#include <stdint.h>
#include <uv.h>

#include "mangrove/conf.h"
#include "mangrove/net.h"
#include "mangrove/request.h"
#include "mangrove/validator.h"

struct ctl_server;

/** What the commands read and act on; borrowed, must outlive the server. */
struct ctl_env {
	struct cache *cache;
	struct infra *infra;
	struct val_keycache *keys;
	struct val_nta *nta;
	struct net_worker *const *workers;
	unsigned n_workers;
	uint64_t started_ms;     /* clock_mono_ms() at start */
	const char *config_file; /* NULL: the built-in defaults */
	/* The configuration in force now, with the root hints (it changes on reload). */
	const struct req_env *(*current)(void *arg);
	/* Reload the configuration file; 0, or an error; msg says what happened. */
	int (*reload)(void *arg, char *msg, size_t len);
	void (*stop)(void *arg, const char *why); /* the stop command, after its reply */
	void *arg;
};

/**
 * Listen on the control-socket of env->current() (mode 0660; a stale socket file there is
 * removed first, anything else is an error). NULL with the reason in err.
 */
struct ctl_server *ctl_server_start(uv_loop_t *loop, const struct ctl_env *env, char *err,
                                    size_t errlen);
/** Close the socket and every connection, remove the socket file; NULL is a no-op. */
void ctl_server_close(struct ctl_server *s);

#endif
