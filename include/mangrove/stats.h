/*
 * stats.h - per-worker counters: plain integers written only by their own
 * worker thread and summed only when read.
 */
#ifndef MANGROVE_STATS_H
#define MANGROVE_STATS_H

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
	uint64_t queries_udp;
	uint64_t queries_tcp;
	uint64_t answers_rcode[16];
	uint64_t formerr;
	uint64_t notimp;
	uint64_t badvers;
	uint64_t refused_acl;
	uint64_t dropped[STATS_DROP_MAX_];
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t joined; /* client questions joined to one already in flight */
	uint64_t requests_inflight;
	uint64_t requests_inflight_peak;
	uint64_t upstream_sent_udp;
	uint64_t upstream_sent_tcp;
	uint64_t upstream_timeouts;
	uint64_t upstream_errors;
	uint64_t upstream_tcp_fallback;
	uint64_t upstream_edns_fallback;
	uint64_t upstream_mismatch; /* replies dropped: wrong ID, address or question */
	uint64_t limits[STATS_LIMIT_MAX_];
	uint64_t tcp_connections;
	uint64_t val_secure; /* answers validated secure */
	uint64_t val_insecure;
	uint64_t val_bogus;
	uint64_t val_budget;     /* validations stopped by the work budget */
	uint64_t val_aggressive; /* negative answers made from cached NSEC/NSEC3 (RFC 8198) */
	uint64_t send_errors;    /* replies to clients that could not be sent */
};

/** Add every counter of src into dst (for reads that sum the workers). */
void stats_add(struct stats *dst, const struct stats *src);

#endif
