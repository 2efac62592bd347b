/*
 * iter_internal.h - what the iterator's files share: the task stack, the
 * delegation point, reply classification and server selection.
 */
#ifndef MANGROVE_ITER_INTERNAL_H
#define MANGROVE_ITER_INTERNAL_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>

#include "mangrove/iterator.h"
#include "mangrove/wire.h"

#define ITER_MAX_TASKS        6           /* nesting of sub-questions (NS addresses, priming) */
#define ITER_MAX_NS           ITER_CUT_NS /* NS names kept per delegation */
#define ITER_MAX_SERVERS      ITER_CUT_SERVERS /* addresses kept per delegation */
#define ITER_TRIES_PER_SERVER 2
#define ITER_QMIN_MAX_STEPS   10 /* RFC 9156 §2.3 MAX_MINIMISE_COUNT */
#define ITER_QBUF_MAX         512

/** Root hints: the NS set of the root and the addresses of its servers. */
struct iter_hints {
	ldns_rr_list *ns;
	ldns_rr_list *addrs;
};

/** One server address of a delegation. */
struct iter_server {
	struct sa addr;
	uint8_t ns;    /* index of the NS name it belongs to */
	uint8_t tries; /* queries sent to it for this task */
	bool bad;      /* answered unusably: do not ask again in this task */
};

/** One NS name of a delegation. */
struct iter_ns {
	uint8_t name[WIRE_DNAME_MAX];
	bool looked_up_a;
	bool looked_up_aaaa;
};

/** A zone cut and the servers to ask there. */
struct iter_deleg {
	uint8_t zone[WIRE_DNAME_MAX];
	struct iter_ns ns[ITER_MAX_NS];
	unsigned n_ns;
	struct iter_server srv[ITER_MAX_SERVERS];
	unsigned n_srv;
	unsigned ns_lookups; /* sub-questions started for this delegation */
	bool from_hints;
};

enum iter_state {
	ITER_ST_INIT = 0, /* answer from cached RRsets, follow cached CNAMEs */
	ITER_ST_FIND_CUT, /* closest zone cut from the cache, hints or priming */
	ITER_ST_SELECT,   /* pick a server (or look up an NS address) and send */
	ITER_ST_SENT,     /* waiting for the reply */
	ITER_ST_REPLY,    /* classify the reply */
	ITER_ST_WAIT_SUB, /* waiting for a sub-question */
	ITER_ST_FINISHED,
	ITER_ST_MAX_,
};

enum iter_task_kind {
	ITER_TASK_MAIN = 0,
	ITER_TASK_NS_ADDR, /* the address of an NS name of the parent's delegation */
	ITER_TASK_PRIME,   /* RFC 8109 priming: ". NS" at the hints */
};

/** One question being resolved: the client's, or a sub-question. */
struct iter_task {
	enum iter_state state;
	enum iter_task_kind kind;
	unsigned parent_ns; /* ITER_TASK_NS_ADDR: index into the parent's delegation */

	uint8_t qname[WIRE_DNAME_MAX]; /* current name: moves along CNAME/DNAME */
	uint16_t qtype;
	uint16_t qclass;
	unsigned chain; /* CNAME/DNAME links followed */

	struct iter_deleg *dp;
	bool primed; /* priming already tried for this task */

	/* QNAME minimisation (RFC 9156) */
	bool qmin;
	unsigned qmin_labels;
	unsigned qmin_steps;

	/* the query in flight */
	int cur; /* server index in dp, -1 none */
	bool tcp;
	bool edns;
	bool resend; /* send the same question to the same server again (TCP or no EDNS) */
	uint8_t sent_name[WIRE_DNAME_MAX];
	uint16_t sent_type;
	uint16_t sent_id;
	uint8_t cut[WIRE_DNAME_MAX]; /* ITER_CLS_REFERRAL: the zone delegated to */
	uint8_t qbuf[ITER_QBUF_MAX];
	size_t qlen;
	ldns_pkt *reply;

	/* the result */
	uint16_t rcode;
	ldns_rr_list *answer;
	ldns_rr_list *authority;
	int ede_code;
	const char *ede_text;
	bool cacheable;
};

/** The iterator of one client question: a stack of tasks. */
struct iter {
	const struct req_env *env;
	struct iter_budget *budget;
	struct iter_task *tasks[ITER_MAX_TASKS];
	unsigned n_tasks;
	bool aborted;
};

/* ---- classify.c ---- */

enum iter_class {
	ITER_CLS_ANSWER = 0, /* the asked RRset (possibly after a CNAME/DNAME chain) */
	ITER_CLS_CNAME,      /* a chain that leaves this response: follow its target */
	ITER_CLS_NXDOMAIN,
	ITER_CLS_NODATA,
	ITER_CLS_REFERRAL, /* a delegation to a zone below the current one */
	ITER_CLS_TRUNCATED,
	ITER_CLS_EDNS_FAIL,   /* FORMERR/NOTIMP to a query with EDNS */
	ITER_CLS_LAME,        /* not authoritative: upward referral, REFUSED, empty */
	ITER_CLS_SERVER_FAIL, /* SERVFAIL or another rcode we cannot use */
	ITER_CLS_MAX_,
};

/** Name of a class, for logs. */
const char *iter__class_name(enum iter_class c);
/**
 * Classify the reply of the task's last query against the question it asked
 * and the zone it asked. For ANSWER/CNAME, the chain of in-zone records is
 * appended to t->answer and t->qname is moved to the chain's end.
 */
enum iter_class iter__classify(struct iter *it, struct iter_task *t);
/** Put the in-bailiwick RRsets of a section into the RRset cache at a trust level. */
void iter__cache_section(struct iter *it, const ldns_rr_list *rrs, const uint8_t *zone,
                         enum cache_trust trust);

/* ---- delegation.c ---- */

/** A delegation from the cached NS RRset at zone; NULL when none is cached or usable. */
struct iter_deleg *iter__deleg_from_cache(const struct req_env *env, const uint8_t *zone);
/** A delegation for the root from the hints. */
struct iter_deleg *iter__deleg_from_hints(const struct req_env *env);
/**
 * A delegation from a referral: the NS RRset at zone in the reply's
 * authority section and glue from the additional section that lies inside
 * bailiwick (the zone of the server that sent it). Caches both.
 */
struct iter_deleg *iter__deleg_from_referral(struct iter *it, const ldns_pkt *reply,
                                             const uint8_t *zone, const uint8_t *bailiwick);
/** Add an address for NS name index ns (family and localhost filters applied); false when dropped.
 */
bool iter__deleg_add_addr(const struct req_env *env, struct iter_deleg *dp, unsigned ns,
                          const ldns_rr *rr);
/** Add the A/AAAA records of a list whose owner is NS name index ns. */
void iter__deleg_add_addrs(const struct req_env *env, struct iter_deleg *dp, unsigned ns,
                           const ldns_rr_list *rrs);

/* ---- select.c ---- */

/** Index of the server to ask next, or -1 when none is left. */
int iter__select_server(struct iter *it, struct iter_deleg *dp, uint64_t now_ms);
/** The timeout to use for a server. */
uint32_t iter__server_timeout(struct iter *it, const struct iter_server *s, uint64_t now_ms);

/* ---- iterator.c ---- */

/** The task on top of the stack. */
struct iter_task *iter__top(struct iter *it);
/** The owner name of an RR as wire bytes. */
const uint8_t *iter__owner(const ldns_rr *rr);
/** The wire bytes of a name rdf. */
const uint8_t *iter__rdf_name(const ldns_rdf *rdf);

#endif
