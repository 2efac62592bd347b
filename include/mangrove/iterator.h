/*
 * iterator.h - iterative resolution of one question from the root: the
 * delegation walk from the closest cached zone cut, server selection,
 * referrals, CNAME/DNAME, QNAME minimisation (RFC 9156), retries, TCP and
 * no-EDNS fallback, sub-questions for name server addresses and priming
 * (RFC 8109). No I/O: iter_step() says what to send and the caller sends.
 *
 * Non-goals: validation (the validator's job), the client reply (request).
 */
#ifndef MANGROVE_ITERATOR_H
#define MANGROVE_ITERATOR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>

#include "mangrove/request.h"

struct iter;

/** The work a client question may cause, shared by all its sub-questions. */
struct iter_budget {
	unsigned queries;    /* outbound queries sent */
	unsigned subqueries; /* sub-questions started */
	unsigned referrals;  /* referrals followed */
};

enum iter_status {
	ITER_SEND = 0, /* send *out, then iter_on_reply / iter_on_timeout */
	ITER_DONE,     /* iter_result() */
};

/** The outcome of a finished resolution. */
struct iter_result {
	uint16_t rcode;                /* NOERROR, NXDOMAIN or SERVFAIL */
	const ldns_rr_list *answer;    /* CNAME/DNAME chain and the final RRset; borrowed */
	const ldns_rr_list *authority; /* SOA for negative answers; borrowed */
	struct wire_ede ede;           /* why a SERVFAIL happened (code -1: none) */
	bool cacheable;                /* false when the answer must not be cached */
};

/** Start resolving (qname, qtype, qclass); the budget is borrowed; NULL on no memory. */
struct iter *iter_new(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                      uint16_t qclass, struct iter_budget *budget);
/** Free the iterator; NULL is a no-op. */
void iter_free(struct iter *it);
/** Advance until a query must be sent or the result is ready. */
enum iter_status iter_step(struct iter *it, struct req_send *out);
/** The reply to the last ITER_SEND; 0, or ERR_MISMATCH when it is not an answer to it. */
int iter_on_reply(struct iter *it, const uint8_t *wire, size_t len, uint32_t rtt_ms);
/** The last ITER_SEND timed out, or failed at once (refused). */
void iter_on_timeout(struct iter *it, bool refused);
/** End the resolution now with SERVFAIL and this EDE (deadline reached). */
void iter_abort(struct iter *it, int ede_code, const char *ede_text);
/** The result once ITER_DONE; pointers borrowed until iter_free(). */
void iter_result_get(const struct iter *it, struct iter_result *out);
#define ITER_CUT_NS      16 /* as ITER_MAX_NS */
#define ITER_CUT_SERVERS 32 /* as ITER_MAX_SERVERS */

/** A zone cut as the cache knows it (mangrove-control lookup). */
struct iter_cut {
	uint8_t zone[WIRE_DNAME_MAX];
	bool from_hints; /* nothing cached: the root hints */
	unsigned n_ns;
	uint8_t ns[ITER_CUT_NS][WIRE_DNAME_MAX];
	unsigned n_srv;
	struct {
		struct sa addr;
		unsigned ns; /* index in ns[] of the name it belongs to */
	} srv[ITER_CUT_SERVERS];
};

/**
 * The closest zone cut at or above name that the cache holds with servers
 * a query could go to, as the iterator would start from it now (the root
 * hints when there is none). 0, or ERR_NOMEM.
 */
int iter_cut_lookup(const struct req_env *env, const uint8_t *name, struct iter_cut *out);
/** Name for a state, for logs. */
const char *iter_state_name(int state);

#endif
