/*
 * request.h - one client question from cache to answer: the resolution core.
 *
 * The core does no I/O. req_step() says "send this question to this server"
 * or "the answer is ready"; the caller (a daemon worker, or a replay test)
 * does the sending and reports back with req_on_reply() or req_on_timeout().
 * A request sends at most one upstream query at a time.
 *
 * Typical caller loop:
 *
 *	struct req_send s;
 *	while (req_step(r, &s) == REQ_SEND) {
 *		... send s.query to s.server, wait at most s.timeout_ms ...
 *		req_on_reply(r, reply, len, rtt_ms) or req_on_timeout(r);
 *	}
 *	answer = req_answer(r, &len, &ede);
 */
#ifndef MANGROVE_REQUEST_H
#define MANGROVE_REQUEST_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/cache.h"
#include "mangrove/conf.h"
#include "mangrove/sockaddr.h"
#include "mangrove/stats.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

struct req;
struct iter_hints;

/** What every request of a worker shares; borrowed, must outlive the requests. */
struct req_env {
	const struct conf *conf;
	struct cache *cache;
	struct infra *infra;
	const struct iter_hints *hints; /* root hints */
	struct stats *stats;            /* the worker's counters */
	const struct val_env *val;      /* DNSSEC validation; NULL: answers are not validated */
	struct val_budget val_budget;   /* the validation work each client question may do */
};

enum req_action {
	REQ_SEND = 0, /* send out->query to out->server, then report back */
	REQ_DONE,     /* the answer is ready: req_answer() */
};

/** An upstream query the caller must send; the buffer is the request's until the next call. */
struct req_send {
	struct sa server;
	const uint8_t *query;
	size_t len;
	uint16_t id; /* the ID in query, for matching replies */
	bool tcp;    /* send over TCP (RFC 7766 framing is the caller's) */
	uint32_t timeout_ms;
};

/** A new request for one client question (flags: CACHE_MSG_CD ...); NULL on no memory. */
struct req *req_new(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                    uint16_t qclass, uint8_t flags);
/**
 * A request that explains how (qname, qtype, IN) validates, for
 * mangrove-control explain. It resolves as a client with DO would, but it
 * never answers from the message cache nor stores its answer there (the
 * RRset cache is used), always validates when env->val is set, and does so
 * with a private, empty key cache, so that every zone on the chain of trust
 * is worked out and reported to trace (borrowed until req_free(); may be
 * NULL), step by step, the last step being a VAL_STEP_VERDICT. Without
 * validation (off, or no answer to validate) the request reports that
 * verdict itself, as VAL_INDETERMINATE. req_answer() gives the answer and
 * the EDE, whose text names the first failing step. NULL on no memory.
 */
struct req *req_new_explain(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                            const struct val_trace *trace);
/** Free a request; NULL is a no-op. */
void req_free(struct req *r);
/** Advance the request until it needs the network or is done. */
enum req_action req_step(struct req *r, struct req_send *out);
/**
 * Report the reply to the last REQ_SEND (already matched on address, port
 * and ID by the caller). Returns 0, or ERR_MISMATCH when the question does
 * not match (the caller keeps waiting for the right reply).
 */
int req_on_reply(struct req *r, const uint8_t *wire, size_t len, uint32_t rtt_ms);
/** Report that the last REQ_SEND timed out (or could not be sent, refused = true). */
void req_on_timeout(struct req *r, bool refused);
/**
 * The answer once REQ_DONE: reply wire from the header on (ID and question
 * case to be patched, no OPT) and the EDE to attach (code -1 for none).
 * Borrowed until req_free().
 */
const uint8_t *req_answer(const struct req *r, size_t *len, struct wire_ede *ede);
/** Monotonic ms at which the request must be answered, whatever state it is in. */
uint64_t req_deadline(const struct req *r);
/** The validation verdict once REQ_DONE; VAL_INDETERMINATE when the answer was not validated. */
enum val_status req_val_status(const struct req *r);

/**
 * Turn an answer (from req_answer() or a cache hit, already in buf) into
 * the reply to client query q, in place: ID, QR/RA/RD/CD flags, the
 * question as the client spelled it, OPT when the client sent one, and
 * truncation (TC=1) when it exceeds limit bytes. Returns the new length,
 * 0 when it cannot be done (caller answers SERVFAIL).
 */
size_t req_reply_finish(uint8_t *buf, size_t len, size_t cap, const struct wire_query *q,
                        size_t limit, const struct wire_ede *ede, uint16_t edns_size);
/**
 * The cache-hit path: answer q from the message cache into out. No
 * allocation. Returns the reply length, or 0 on a miss.
 */
size_t req_cache_answer(const struct req_env *env, const struct wire_query *q, size_t limit,
                        uint8_t *out, size_t cap);
/** The validation work budget of one client question, from the configuration. */
struct val_budget req_val_budget(const struct conf *conf);
/** Message-cache flags (CACHE_MSG_*) for a client query. */
uint8_t req_query_flags(const struct wire_query *q);

/* ---- root hints (iterator/hints.c) ---- */

/**
 * Load root hints from a zone-format file (path NULL: the built-in IANA
 * hints). On error returns ERR_* and writes "file:line: reason" into err.
 */
int iter_hints_load(const char *path, struct iter_hints **out, char *err, size_t errlen);
/** Free hints; NULL is a no-op. */
void iter_hints_free(struct iter_hints *h);

#endif
