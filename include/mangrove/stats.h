/*
 * stats.h - per-worker counters, written only by their own worker thread
 * and summed only when read. Each counter is a C11 atomic accessed with
 * memory_order_relaxed, so another thread (the control socket) may read
 * them while the worker runs without a data race; with one writer an
 * increment is a relaxed load and store, which compiles to a plain add
 * without a lock prefix. Write them only through the STATS_* macros.
 */
#ifndef MANGROVE_STATS_H
#define MANGROVE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/** Reasons a client query was dropped or refused. */
enum stats_drop {
	STATS_DROP_SHORT = 0, /* no header, or a response */
	STATS_DROP_ACL_DENY,
	STATS_DROP_INFLIGHT, /* in-flight request limit reached */
	STATS_DROP_TCP_LIMIT,
	STATS_DROP_MAX_,
};

/** Limits from DESIGN.md "Limits" that end a request with SERVFAIL. */
enum stats_limit {
	STATS_LIMIT_QUERIES = 0, /* outbound queries per client question */
	STATS_LIMIT_REFERRALS,
	STATS_LIMIT_CNAME,
	STATS_LIMIT_NS_LOOKUPS,
	STATS_LIMIT_SUBQUERIES,
	STATS_LIMIT_TIMEOUT, /* time a request may live */
	STATS_LIMIT_MAX_,
};

/** One worker's counters. */
struct stats {
	_Atomic uint64_t queries_udp;
	_Atomic uint64_t queries_tcp;
	_Atomic uint64_t answers_rcode[16];
	_Atomic uint64_t formerr;
	_Atomic uint64_t notimp;
	_Atomic uint64_t badvers;
	_Atomic uint64_t refused_acl;
	_Atomic uint64_t dropped[STATS_DROP_MAX_];
	_Atomic uint64_t cache_hits;
	_Atomic uint64_t cache_misses;
	_Atomic uint64_t joined; /* client questions joined to one already in flight */
	_Atomic uint64_t requests_inflight;
	_Atomic uint64_t requests_inflight_peak;
	_Atomic uint64_t upstream_sent_udp;
	_Atomic uint64_t upstream_sent_tcp;
	_Atomic uint64_t upstream_timeouts;
	_Atomic uint64_t upstream_errors;
	_Atomic uint64_t upstream_tcp_fallback;
	_Atomic uint64_t upstream_edns_fallback;
	_Atomic uint64_t upstream_mismatch; /* replies dropped: wrong ID, address or question */
	_Atomic uint64_t limits[STATS_LIMIT_MAX_];
	_Atomic uint64_t tcp_connections;
	_Atomic uint64_t val_secure; /* answers validated secure */
	_Atomic uint64_t val_insecure;
	_Atomic uint64_t val_bogus;
	_Atomic uint64_t val_budget; /* validations stopped by the work budget */
	_Atomic uint64_t
	        val_aggressive;       /* negative answers made from cached NSEC/NSEC3 (RFC 8198) */
	_Atomic uint64_t send_errors; /* replies to clients that could not be sent */
};

/** Add n to counter `field` of *st (its own worker thread only). */
#define STATS_ADD(st, field, n)                                                                    \
	atomic_store_explicit(&(st)->field,                                                        \
	                      atomic_load_explicit(&(st)->field, memory_order_relaxed) + (n),      \
	                      memory_order_relaxed)
/** Add one to counter `field` of *st (its own worker thread only). */
#define STATS_INC(st, field) STATS_ADD(st, field, 1)
/** Set gauge `field` of *st to v (its own worker thread only). */
#define STATS_SET(st, field, v) atomic_store_explicit(&(st)->field, (v), memory_order_relaxed)
/** Read counter `field` of *st from any thread. */
#define STATS_GET(st, field) atomic_load_explicit(&(st)->field, memory_order_relaxed)

/** Add every counter of src into dst with relaxed loads (any thread; dst must be private). */
void stats_add(struct stats *dst, const struct stats *src);

#endif
