/*
 * select.c - which server of a delegation to ask next: the fastest by
 * smoothed RTT, now and then another one so RTTs stay fresh, never one
 * that is lame for the zone, and one that is avoided as dead only when
 * nothing else is left.
 */
#include "config.h"

#include "mangrove/random.h"
#include "iter_internal.h"

/* One query in this many goes to a random usable server (exploration). */
#define SELECT_EXPLORE_ONE_IN 16

struct select_candidate {
	int index;
	uint32_t srtt;
};

static unsigned select_gather(struct iter *it, struct iter_deleg *dp, uint64_t now_ms,
                              bool allow_avoided, struct select_candidate *out)
{
	unsigned n = 0, min_tries = ITER_TRIES_PER_SERVER;
	uint8_t tries[ITER_MAX_SERVERS];
	for (unsigned i = 0; i < dp->n_srv; i++) {
		struct iter_server *s = &dp->srv[i];
		struct infra_server info;
		if (s->bad || s->tries >= ITER_TRIES_PER_SERVER)
			continue;
		if (infra_is_lame(it->env->infra, &s->addr, dp->zone, now_ms))
			continue;
		infra_get(it->env->infra, &s->addr, now_ms, &info);
		if (!allow_avoided && info.avoid_until > now_ms)
			continue;
		out[n].index = (int)i;
		/* A server that just timed out ranks by its backed-off RTO. */
		out[n].srtt = info.timeouts > 0 ? infra_rto_ms(&info) : info.srtt_ms;
		tries[n] = s->tries;
		if (s->tries < min_tries)
			min_tries = s->tries;
		n++;
	}
	/* Every server once before any server twice. */
	unsigned kept = 0;
	for (unsigned i = 0; i < n; i++) {
		if (tries[i] == min_tries)
			out[kept++] = out[i];
	}
	return kept;
}

int iter__select_server(struct iter *it, struct iter_deleg *dp, uint64_t now_ms)
{
	struct select_candidate c[ITER_MAX_SERVERS];
	unsigned n = select_gather(it, dp, now_ms, false, c);
	if (n == 0)
		n = select_gather(it, dp, now_ms, true, c);
	if (n == 0)
		return -1;
	if (n > 1 && rnd_uniform(SELECT_EXPLORE_ONE_IN) == 0)
		return c[rnd_uniform(n)].index;
	unsigned best = 0;
	for (unsigned i = 1; i < n; i++) {
		if (c[i].srtt < c[best].srtt)
			best = i;
	}
	return c[best].index;
}

uint32_t iter__server_timeout(struct iter *it, const struct iter_server *s, uint64_t now_ms)
{
	struct infra_server info;
	infra_get(it->env->infra, &s->addr, now_ms, &info);
	return infra_rto_ms(&info);
}
