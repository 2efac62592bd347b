/*
 * request.c - one client question: resolve it with the iterator under a
 * budget and a deadline, then hand back the reply wire (answer.c builds it
 * and puts it in the message cache).
 */
#include "config.h"

#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "request_internal.h"

#define EDE_NO_REACHABLE_AUTHORITY 22

struct req *req_new(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                    uint16_t qclass, uint8_t flags)
{
	struct req *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->env = env;
	memcpy(r->qname, qname, wire_dname_len(qname));
	wire_dname_to_lower(r->qname);
	r->qtype = qtype;
	r->qclass = qclass;
	r->flags = flags;
	r->deadline = clock_mono_ms() + env->conf->request_timeout_ms;
	r->ede.code = -1;
	r->it = iter_new(env, r->qname, qtype, qclass, &r->budget);
	if (r->it == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void req_free(struct req *r)
{
	if (r == NULL)
		return;
	iter_free(r->it);
	free(r->answer);
	free(r);
}

uint64_t req_deadline(const struct req *r)
{
	return r->deadline;
}

static enum req_action req_finish(struct req *r)
{
	struct iter_result res;
	iter_result_get(r->it, &res);
	r->ede = res.ede;
	if (req__answer_build(r, &res) != 0) {
		log_err("out of memory building an answer");
		r->answer_len = 0;
	}
	r->done = true;
	return REQ_DONE;
}

enum req_action req_step(struct req *r, struct req_send *out)
{
	if (r->done)
		return REQ_DONE;
	uint64_t now = clock_mono_ms();
	if (now >= r->deadline) {
		r->env->stats->limits[STATS_LIMIT_TIMEOUT]++;
		log_debug(LOG_LEVEL_QUERY, "request timed out after %u ms",
		          r->env->conf->request_timeout_ms);
		iter_abort(r->it, EDE_NO_REACHABLE_AUTHORITY, "request timed out");
	}
	if (iter_step(r->it, out) == ITER_DONE)
		return req_finish(r);
	if (out->timeout_ms > r->deadline - now)
		out->timeout_ms = (uint32_t)(r->deadline - now);
	if (out->timeout_ms == 0)
		out->timeout_ms = 1;
	if (out->tcp)
		r->env->stats->upstream_sent_tcp++;
	else
		r->env->stats->upstream_sent_udp++;
	return REQ_SEND;
}

int req_on_reply(struct req *r, const uint8_t *wire, size_t len, uint32_t rtt_ms)
{
	if (r->done)
		return ERR_MISMATCH;
	return iter_on_reply(r->it, wire, len, rtt_ms);
}

void req_on_timeout(struct req *r, bool refused)
{
	if (!r->done)
		iter_on_timeout(r->it, refused);
}

const uint8_t *req_answer(const struct req *r, size_t *len, struct wire_ede *ede)
{
	*len = r->answer_len;
	if (ede != NULL)
		*ede = r->ede;
	return r->answer;
}
