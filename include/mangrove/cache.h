/*
 * cache.h - the shared caches: messages (wire answers), RRsets, and the
 * infrastructure cache (per-server RTT, EDNS behaviour, lameness).
 *
 * All are split into shards by a keyed hash (random seed per process, so a
 * client cannot aim entries at one shard); each shard has its own lock and
 * its own share of the memory budget and evicts least-recently-used entries
 * to stay inside it. Every function is safe to call from any thread.
 *
 * Lock order: a caller holds at most one shard lock at a time, and never
 * while calling back into other modules.
 */
#ifndef MANGROVE_CACHE_H
#define MANGROVE_CACHE_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mangrove/sockaddr.h"

struct cache;

/** Message-cache key flags: answers differ by these query bits. */
#define CACHE_MSG_CD 0x01u
#define CACHE_MSG_DO 0x02u

/** Credibility of cached RRset data, RFC 2181 §5.4.1 (higher wins). */
enum cache_trust {
	CACHE_TRUST_HINT = 0,         /* root hints */
	CACHE_TRUST_GLUE = 1,         /* additional section, glue */
	CACHE_TRUST_AUTHORITY_NA = 2, /* authority section of a non-authoritative reply */
	CACHE_TRUST_ANSWER_NA = 3,    /* answer section, not authoritative */
	CACHE_TRUST_AUTHORITY_AA = 4, /* authority section of an authoritative answer */
	CACHE_TRUST_ANSWER_AA = 5,    /* answer section of an authoritative answer */
};

/** Cache counters, summed over shards when read. */
struct cache_stats {
	uint64_t entries;
	uint64_t bytes; /* accounted bytes: entries plus their overhead, and the bucket arrays */
	uint64_t max_bytes;
	uint64_t inserts;
	uint64_t evictions;
	uint64_t hits;
	uint64_t misses;
};

/**
 * A cache of at most max_bytes split into nshards (rounded up to a power of
 * two, 0 taken as 1, at most 1024); each shard holds max_bytes / shards, so an
 * entry larger than that is refused. NULL on no memory.
 */
struct cache *cache_new(uint64_t max_bytes, unsigned nshards);
/** Free the cache and every entry; NULL is a no-op. */
void cache_free(struct cache *c);
/** Read the counters. */
void cache_stats_get(struct cache *c, struct cache_stats *out);
/** Remove every entry (messages and RRsets); the counters other than entries and bytes stay. */
void cache_flush(struct cache *c);

/**
 * Store a complete reply (wire bytes from the header on) as the answer to
 * (qname, qtype, qclass, flags) for ttl seconds from now. The record TTLs in
 * wire must already be clamped as the caller wants them shown; on each hit
 * they are shown minus the seconds elapsed. Replaces an older entry; ttl 0
 * only removes the older entry. qname is an uncompressed wire name, matched
 * without case. Returns 0, ERR_INVAL (bad qname), ERR_FORMERR (unparseable
 * wire), ERR_SPACE (larger than a shard may hold or more than 1024 records)
 * or ERR_NOMEM. ede is the RFC 8914 code every copy carries (-1 for none).
 */
int cache_msg_store(struct cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                    uint8_t flags, const uint8_t *wire, size_t len, uint32_t ttl, time_t now,
                    int ede);
/**
 * Copy the cached reply for the question into out, with every record TTL
 * counted down to now. No allocation; one shard lock held for the copy.
 * The ID, flags and question case are the stored ones: the caller patches
 * them; *ede (when not NULL) gets the stored EDE code or -1. Returns 0,
 * ERR_NOTFOUND (absent or expired) or ERR_SPACE (out too small).
 */
int cache_msg_lookup(struct cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                     uint8_t flags, time_t now, uint8_t *out, size_t cap, size_t *outlen, int *ede);

/**
 * Store an RRset (every record the same owner, type and class; TTL is the
 * smallest; RRSIG TTLs are capped to it) with its RRSIGs (sigs may be NULL,
 * else RRSIGs of the same owner covering the type), unless an unexpired entry
 * of higher trust is there: equal or higher trust replaces (RFC 2181 §5.4.1).
 * Owners are kept lower-cased. Returns 0, ERR_EXISTS (kept the better entry),
 * ERR_INVAL, ERR_SPACE or ERR_NOMEM.
 */
int cache_rrset_store(struct cache *c, const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                      enum cache_trust trust, time_t now);
/**
 * A fresh copy of a cached RRset with TTLs counted down to now (caller frees
 * with ldns_rr_list_deep_free), or NULL when absent or expired. *trust and
 * *sigs (a fresh copy or NULL) are filled when not NULL.
 */
ldns_rr_list *cache_rrset_lookup(struct cache *c, const ldns_rdf *owner, ldns_rr_type type,
                                 ldns_rr_class klass, time_t now, enum cache_trust *trust,
                                 ldns_rr_list **sigs);

/* ---- infrastructure cache ---- */

struct infra;

/** What is known about one server address. */
struct infra_server {
	bool known;           /* false: never heard from, defaults below */
	uint32_t srtt_ms;     /* smoothed RTT */
	uint32_t rttvar_ms;   /* RTT variance */
	uint32_t timeouts;    /* consecutive timeouts */
	uint64_t avoid_until; /* monotonic ms: avoid (dead) until then, 0 when usable */
	bool no_edns;         /* answered FORMERR/NOTIMP to EDNS: query without it */
};

/**
 * An infrastructure cache holding at most max_entries servers (least recently
 * used dropped first; an entry not updated for 15 minutes is forgotten);
 * NULL on no memory.
 */
struct infra *infra_new(size_t max_entries);
/** Free it; NULL is a no-op. */
void infra_free(struct infra *inf);
/** What is known about addr (port included) as of now_ms; defaults when unknown. */
void infra_get(struct infra *inf, const struct sa *addr, uint64_t now_ms, struct infra_server *out);
/**
 * The retransmission timeout to use for a server: srtt + 4 * rttvar (400 ms
 * when unknown), doubled per consecutive timeout, within [50, 3000] ms.
 */
uint32_t infra_rto_ms(const struct infra_server *s);
/** Record a measured round-trip time (RFC 6298 smoothing); clears the timeouts and avoidance. */
void infra_rtt_update(struct infra *inf, const struct sa *addr, uint32_t rtt_ms, uint64_t now_ms);
/** Record a timeout: back off the RTO and, after 3 in a row, avoid the server for 60 s. */
void infra_timeout(struct infra *inf, const struct sa *addr, uint64_t now_ms);
/** Record that a server mishandles EDNS (true) or handles it (false). */
void infra_edns_set(struct infra *inf, const struct sa *addr, bool no_edns, uint64_t now_ms);
/** Mark a server lame for a zone (wire name) for 15 minutes; 4 zones per server, oldest replaced.
 */
void infra_lame_set(struct infra *inf, const struct sa *addr, const uint8_t *zone, uint64_t now_ms);
/** True when the server was marked lame for the zone and that has not expired. */
bool infra_is_lame(struct infra *inf, const struct sa *addr, const uint8_t *zone, uint64_t now_ms);
/** Number of servers held (expired ones included until found). */
size_t infra_count(struct infra *inf);

#endif
