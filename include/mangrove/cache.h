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

/**
 * The private qtype (RFC 6895 §3.1) under which the validator keeps a zone's
 * validated denial records (RFC 8198) as a message entry at the zone apex.
 */
#define CACHE_MSG_TYPE_DENIAL 65351u

/** Credibility of cached RRset data, RFC 2181 §5.4.1 (higher wins). */
enum cache_trust {
	CACHE_TRUST_HINT = 0,         /* root hints */
	CACHE_TRUST_GLUE = 1,         /* additional section, glue */
	CACHE_TRUST_AUTHORITY_NA = 2, /* authority section of a non-authoritative reply */
	CACHE_TRUST_ANSWER_NA = 3,    /* answer section, not authoritative */
	CACHE_TRUST_AUTHORITY_AA = 4, /* authority section of an authoritative answer */
	CACHE_TRUST_ANSWER_AA = 5,    /* answer section of an authoritative answer */
};

/** The kinds of entry the shared cache holds. */
enum cache_kind {
	CACHE_KIND_MSG = 0, /* whole answers (cache_msg_*) */
	CACHE_KIND_RRSET,   /* RRsets (cache_rrset_*) */
	CACHE_KIND_MAX_,
};

/** The counters of one kind of entry. */
struct cache_kind_stats {
	uint64_t entries;
	uint64_t bytes; /* entries and their overhead (the bucket arrays count in the total only) */
	uint64_t inserts;
	uint64_t evictions;
	uint64_t hits;
	uint64_t misses;
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
	struct cache_kind_stats kind[CACHE_KIND_MAX_]; /* the same by kind of entry */
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

/* ---- management: selective flushes, dump and load (control commands) ---- */

/*
 * The flushes walk the cache one shard at a time, each shard locked only
 * while it is scanned; they return how many entries they removed (expired
 * ones included when they match) or a negative ERR_* code.
 */

/**
 * Remove the message entries for the wire name (any CD/DO variant, class IN)
 * with qtype type and the RRset entry (RRSIGs included) of that type at the
 * name; type 0 removes every type at the name. Names match without case.
 * Names below it stay. ERR_INVAL for a bad name.
 */
long cache_flush_name(struct cache *c, const uint8_t *name, uint16_t type);
/**
 * Remove every message and RRset entry (any type, any class) whose qname or
 * owner is the wire name or below it, the validator's denial entries
 * (CACHE_MSG_TYPE_DENIAL) of zones there included; the root removes
 * everything. ERR_INVAL for a bad name.
 */
long cache_flush_zone(struct cache *c, const uint8_t *name);
/**
 * Remove the cached DNSSEC-bogus answers: message entries whose rcode is
 * SERVFAIL (the request module caches a SERVFAIL only for a bogus answer).
 */
long cache_flush_bogus(struct cache *c);
/**
 * Remove the negative message entries (RFC 2308): NXDOMAIN, NODATA (NOERROR
 * with no record of the question's type in the answer section), and the
 * validator's denial entries (CACHE_MSG_TYPE_DENIAL).
 */
long cache_flush_negative(struct cache *c);

/** Receives dump text; a non-zero return stops the dump and is returned by cache_dump(). */
typedef int (*cache_write_cb)(const char *text, size_t len, void *arg);

/*
 * The dump format, version 1: zone-file-like text, one line per item, every
 * line at most CACHE_DUMP_LINE_MAX bytes. Lines starting with ';' are
 * comments and blank lines are ignored, except that the first line is
 *   ; mangrove cache dump version 1 time <unix seconds of the dump>
 * Each entry starts with a directive line of key=value fields, followed by
 * its records in presentation format, one per line (RFC 1035 §5.1, as
 * ldns_rr2str writes them, owner fully qualified) with their REMAINING TTL:
 *
 *   $RRSET trust=answer-aa ttl=3594 rrs=2 sigs=1
 *   example.com.  3594  IN  NS  a.iana-servers.net.
 *   example.com.  3594  IN  NS  b.iana-servers.net.
 *   example.com.  3594  IN  RRSIG  NS 13 2 86400 20250101000000 ...
 *   $MSG qname=www.example.com. qtype=A qclass=IN keyflags=do ttl=293
 *        id=0 opcode=QUERY rcode=NOERROR flags=qr,ra,ad ede=none qd=1 an=1 ns=0 ar=0
 *   $QUESTION
 *   www.example.com.  IN  A
 *   $ANSWER
 *   www.example.com.  293  IN  A  192.0.2.1
 *   $AUTHORITY
 *   $ADDITIONAL
 *   $END entries=2
 *
 * (The $MSG directive is one line.) $RRSET: trust is hint, glue,
 * authority-na, answer-na, authority-aa or answer-aa; ttl the seconds left;
 * the rrs records come first, then the sigs RRSIGs. $MSG: the cache key
 * (qname, qtype, qclass, keyflags: cd, do, both as "cd,do", or "-"), the
 * seconds left, the stored header (id, opcode, rcode, flags among
 * qr,aa,tc,rd,ra,ad,cd or "-"; ad marks a validated secure answer), the EDE
 * code or none, the section counts, then the four section markers each
 * followed by its records (question lines are "name class type").
 * $END closes the dump with the number of entries written; a dump without it
 * was cut short. Types and classes unknown to ldns are written TYPEn/CLASSn,
 * and a record whose text would not read back identically is written in the
 * RFC 3597 generic form. An OPT record in a stored reply is not written
 * (Mangrove stores replies without one). An entry that cannot be written
 * (a line over the limit, unparseable data) is replaced by a comment.
 */

/** Longest dump line, newline excluded; cache_load() refuses longer ones. */
#define CACHE_DUMP_LINE_MAX 65536

/**
 * Write every entry unexpired at now in the dump format through write (a
 * header line, the entries, the $END line). Each shard's entries are copied
 * out under its lock and written after it is released, so the dump is not a
 * single instant's picture. 0, write's non-zero result, or ERR_NOMEM.
 */
int cache_dump(struct cache *c, time_t now, cache_write_cb write, void *arg);
/**
 * Read a dump (len bytes of text, no NUL needed) into the cache: each entry
 * is stored with its remaining TTL counted from now, so it expires when it
 * would have in the dumping resolver, give or take the time between dump and
 * load. Entries with ttl=0 and RRsets with a record of TTL 0 are skipped;
 * so are RRsets that a better-trusted cached one keeps out and entries too
 * large for a shard. *loaded and *skipped (may be NULL) count entries. Returns 0,
 * ERR_NOMEM, or ERR_SYNTAX with "line N: what is wrong" in err (errlen
 * bytes, may be NULL): loading stops at the first error and the entries
 * before it stay loaded. A dump without its $END line is an error after
 * every entry in it was loaded. Replies are rebuilt with ldns_pkt2wire() and
 * stored with cache_msg_store(), RRsets with cache_rrset_store(): a reply
 * that ldns built (as the request module's are) comes back byte for byte,
 * another one may come back with its names compressed differently.
 * ERR_INVAL when c is NULL.
 */
int cache_load(struct cache *c, const char *text, size_t len, time_t now, char *err, size_t errlen,
               size_t *loaded, size_t *skipped);

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
/**
 * Forget what is known about addr (its port 0 stands for every port), or
 * about every server when addr is NULL. Returns how many entries were
 * removed, or ERR_INVAL for an address that is neither IPv4 nor IPv6.
 */
long infra_flush(struct infra *inf, const struct sa *addr);

#endif
