/* request_internal.h - what request.c and answer.c share. */
#ifndef MANGROVE_REQUEST_INTERNAL_H
#define MANGROVE_REQUEST_INTERNAL_H

#include "mangrove/iterator.h"
#include "mangrove/request.h"

struct req_explain;

/** One client question being resolved. */
struct req {
	const struct req_env *env;
	uint8_t qname[WIRE_DNAME_MAX];
	uint16_t qtype;
	uint16_t qclass;
	uint8_t flags; /* CACHE_MSG_* */
	struct iter_budget budget;
	struct iter *it;
	struct val_budget vbudget; /* validation work left, shared by every fetch */
	struct val *val;           /* validating the answer, or NULL */
	struct iter *fetch;        /* resolving a DS/DNSKEY RRset for the validator, or NULL */
	enum val_status vstatus;   /* VAL_INDETERMINATE when the answer was not validated */
	uint64_t deadline;         /* monotonic ms */
	bool started;
	bool done;
	struct req_explain *explain; /* req_new_explain(): its own environment, or NULL */
	uint8_t *answer;             /* malloc'd reply wire once done */
	size_t answer_len;
	struct wire_ede ede;
};

/**
 * Build the reply wire for a finished resolution into r->answer (TTLs
 * clamped per the configuration) and store it in the message cache when
 * it may be cached. 0 or ERR_NOMEM.
 */
int req__answer_build(struct req *r, const struct iter_result *res);

#endif
