/*
 * runtime.c - building, and retiring, what one reading of the
 * configuration decides (runtime.h).
 */
#include "config.h"

#include <stdlib.h>

#include "mangrove/anchor.h"
#include "mangrove/errors.h"
#include "mangrove/iterator.h"
#include "runtime.h"

/* Grace after a retired runtime's request-timeout before it is freed. */
#define RUNTIME_RETIRE_MARGIN_MS 1000

int runtime_new(struct conf *conf, const struct runtime_shared *shared, struct runtime **out,
                char *err, size_t errlen)
{
	*out = NULL;
	struct runtime *rt = calloc(1, sizeof(*rt));
	if (rt == NULL) {
		conf_free(conf);
		snprintf(err, errlen, "%s", err_str(ERR_NOMEM));
		return ERR_NOMEM;
	}
	rt->conf = conf;
	int rc = iter_hints_load(conf->root_hints, &rt->hints, err, errlen);
	if (rc == 0)
		rc = val_anchors_new(conf, &rt->anchors, err, errlen);
	if (rc != 0) {
		runtime_free(rt);
		return rc;
	}
	rt->val = (struct val_env){.anchors = rt->anchors,
	                           .keys = shared->keys,
	                           .sig_skew = conf->val_sig_skew,
	                           .nsec3_max_iterations = conf->nsec3_max_iterations,
	                           .bogus_ttl = conf->val_bogus_ttl,
	                           .cache = shared->cache,
	                           .aggressive = conf->aggressive_nsec,
	                           .nta = shared->nta};
	rt->env = (struct req_env){.conf = conf,
	                           .cache = shared->cache,
	                           .infra = shared->infra,
	                           .hints = rt->hints,
	                           .stats = NULL,
	                           .val = &rt->val,
	                           .val_budget = req_val_budget(conf)};
	*out = rt;
	return 0;
}

void runtime_free(struct runtime *rt)
{
	if (rt == NULL)
		return;
	val_anchors_free(rt->anchors);
	iter_hints_free(rt->hints);
	conf_free(rt->conf);
	free(rt);
}

static void on_retired_closed(uv_handle_t *h)
{
	struct runtime *rt = h->data;
	struct runtime **p = rt->retired_list;
	while (*p != NULL && *p != rt)
		p = &(*p)->retired_next;
	if (*p != NULL)
		*p = rt->retired_next;
	runtime_free(rt);
}

static void on_retire(uv_timer_t *t)
{
	uv_close((uv_handle_t *)t, on_retired_closed);
}

void runtime_retire(uv_loop_t *loop, struct runtime *rt, struct runtime **list)
{
	if (rt == NULL)
		return;
	rt->retired_list = list;
	rt->retired_next = *list;
	*list = rt;
	uv_timer_init(loop, &rt->retire);
	rt->retire.data = rt;
	uv_timer_start(&rt->retire, on_retire,
	               (uint64_t)rt->conf->request_timeout_ms + RUNTIME_RETIRE_MARGIN_MS, 0);
}

void runtime_retire_all(struct runtime *list)
{
	for (struct runtime *rt = list; rt != NULL; rt = rt->retired_next) {
		if (!uv_is_closing((uv_handle_t *)&rt->retire))
			uv_close((uv_handle_t *)&rt->retire, on_retired_closed);
	}
}
