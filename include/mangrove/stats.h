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

/** Client query types counted by name; the rest count as STATS_QTYPE_OTHER. */
enum stats_qtype {
	STATS_QTYPE_A = 0,
	STATS_QTYPE_AAAA,
	STATS_QTYPE_ANY,
	STATS_QTYPE_CAA,
	STATS_QTYPE_CNAME,
	STATS_QTYPE_DNSKEY,
	STATS_QTYPE_DS,
	STATS_QTYPE_HTTPS,
	STATS_QTYPE_MX,
	STATS_QTYPE_NAPTR,
	STATS_QTYPE_NS,
	STATS_QTYPE_PTR,
	STATS_QTYPE_SOA,
	STATS_QTYPE_SRV,
	STATS_QTYPE_SVCB,
	STATS_QTYPE_TXT,
	STATS_QTYPE_OTHER,
	STATS_QTYPE_MAX_,
};

/** Extended DNS Error codes counted one by one (RFC 8914 §4: 0-30); higher ones share the last. */
#define STATS_EDE_MAX 32

/**
 * Upper bounds of the answer latency buckets in milliseconds; the last
 * bucket takes everything slower. Answers from the cache are not timed and
 * count in the first bucket.
 */
#define STATS_LATENCY_BOUNDS_MS                                                                    \
	{                                                                                          \
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000                        \
	}
#define STATS_LATENCY_MAX 14 /* the bounds above and one for slower */

/** One worker's counters. */
struct stats {
	_Atomic uint64_t queries_udp;
	_Atomic uint64_t queries_tcp;
	_Atomic uint64_t queries_qtype[STATS_QTYPE_MAX_];
	_Atomic uint64_t answers_rcode[16];
	_Atomic uint64_t answers_ede[STATS_EDE_MAX];
	_Atomic uint64_t latency[STATS_LATENCY_MAX];
	_Atomic uint64_t latency_ms_sum; /* milliseconds, timed answers only */
	_Atomic uint64_t formerr;
	_Atomic uint64_t notimp;
	_Atomic uint64_t badvers;
	_Atomic uint64_t acl_allowed;
	_Atomic uint64_t refused_acl;
	_Atomic uint64_t dropped[STATS_DROP_MAX_];
	_Atomic uint64_t cache_hits;
	_Atomic uint64_t cache_misses;
	_Atomic uint64_t joined; /* client questions joined to one already in flight */
	_Atomic uint64_t requests_inflight;
	_Atomic uint64_t requests_inflight_peak;
	_Atomic uint64_t upstream_sent_udp;
	_Atomic uint64_t upstream_sent_tcp;
	_Atomic uint64_t upstream_sent_ip4;
	_Atomic uint64_t upstream_sent_ip6;
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
	_Atomic uint64_t val_indeterminate; /* no trust anchor above the name: not validated */
	_Atomic uint64_t val_budget;        /* validations stopped by the work budget */
	_Atomic uint64_t
	        val_aggressive;       /* negative answers made from cached NSEC/NSEC3 (RFC 8198) */
	_Atomic uint64_t send_errors; /* replies to clients that could not be sent */
};

/** How a counter is read: it only grows, it goes up and down, or it is a histogram. */
enum stats_kind {
	STATS_COUNTER = 0,
	STATS_GAUGE,
	STATS_HISTOGRAM, /* per-bucket counts (not cumulative) */
};

/** One field of struct stats, for printing it by name (mangrove-control, /metrics). */
struct stats_desc {
	const char *name;                /* as mangrove-control prints it; arrays add ".label" */
	const char *help;                /* one line for the Prometheus HELP comment */
	size_t off;                      /* offsetof(struct stats, field) */
	unsigned n;                      /* 1, or the array's length */
	const char *label_key;           /* arrays: the Prometheus label name */
	const char *const *label_values; /* arrays: n names */
	enum stats_kind kind;
};

/** Every field of struct stats, in its order. */
extern const struct stats_desc stats_descs[];
/** Number of entries in stats_descs. */
extern const size_t stats_n_descs;

/** Index of qtype among the named query types. */
enum stats_qtype stats_qtype_index(uint16_t qtype);
/** Index of an EDE code among the answers_ede counters. */
static inline unsigned stats_ede_index(int code)
{
	return code >= 0 && code < STATS_EDE_MAX - 1 ? (unsigned)code : STATS_EDE_MAX - 1;
}
/** Index of the latency bucket for an answer that took ms milliseconds. */
unsigned stats_latency_index(uint64_t ms);
/** Upper bound of latency bucket i in milliseconds (0 for the last, unbounded one). */
uint64_t stats_latency_bound_ms(unsigned i);
/** Value i of field d in s (relaxed load). */
uint64_t stats_value(const struct stats *s, const struct stats_desc *d, unsigned i);

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
/**
 * Subtract every counter of base from dst (dst private), for counts since a
 * reset; gauges (requests_inflight and the peak) are left as they are.
 */
void stats_sub(struct stats *dst, const struct stats *base);

#endif
