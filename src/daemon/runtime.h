/*
 * runtime.h - what one reading of the configuration decides: the snapshot
 * of options, the root hints and trust anchors it names, and the
 * environments built from them for the workers. A reload builds a new
 * runtime next to the running one, hands it to every worker, and frees the
 * old one only once no request that started under it can still be running.
 * The caches, the key cache and the NTA table are shared and outlive it.
 */
#ifndef MANGROVE_DAEMON_RUNTIME_H
#define MANGROVE_DAEMON_RUNTIME_H

#include <stdbool.h>
#include <uv.h>

#include "mangrove/conf.h"
#include "mangrove/request.h"
#include "mangrove/validator.h"

/** What outlives every runtime: the caches and the validator's shared state. */
struct runtime_shared {
	struct cache *cache;
	struct infra *infra;
	struct val_keycache *keys;
	struct val_nta *nta;
};

struct runtime {
	struct conf *conf;
	struct iter_hints *hints;
	struct val_anchors *anchors;
	struct val_env val;
	struct req_env env; /* what each worker copies; env.stats is the worker's */
	uv_timer_t retire;  /* runtime_retire(): frees this runtime when it fires */
	struct runtime *retired_next, **retired_list;
};

/**
 * A runtime for conf (ownership taken, freed on failure too): reads the root
 * hints and trust anchors it names. 0, or a negative ERR_* with the reason
 * in err.
 */
int runtime_new(struct conf *conf, const struct runtime_shared *shared, struct runtime **out,
                char *err, size_t errlen);
/** Free a runtime nobody uses any more; NULL is a no-op. */
void runtime_free(struct runtime *rt);
/**
 * Free rt on loop once every request that may have started under it has
 * ended: after its request-timeout and a second more. It is kept on *list
 * until then.
 */
void runtime_retire(uv_loop_t *loop, struct runtime *rt, struct runtime **list);
/** Stopping: free every runtime on list now (once the loop runs their close callbacks). */
void runtime_retire_all(struct runtime *list);

#endif
