/*
 * cache_internal.h - the sharded table shared by the message and RRset
 * caches (shard.c), and the keyed hash also used by the infrastructure cache.
 *
 * One table holds every kind of entry; the first key byte says which kind
 * (CACHE__KIND_*), so a message key never equals an RRset key.
 *
 * Lock order: a shard lock is the innermost lock; it is held only inside
 * shard.c and the callbacks it runs, and those callbacks call no other module.
 */
#ifndef MANGROVE_CACHE_INTERNAL_H
#define MANGROVE_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mangrove/cache.h"
#include "mangrove/lru.h"

/* First key byte: what kind of entry a key names. */
#define CACHE__KIND_MSG   0x01u
#define CACHE__KIND_RRSET 0x02u

/* Most shards a cache is split into; more only costs memory. */
#define CACHE__SHARDS_MAX 1024u

/* Longest key: kind byte, a wire name, type, class and one flags byte. */
#define CACHE__KEY_MAX (1 + 255 + 2 + 2 + 1)

/*
 * One cached item in one allocation: the value first (aligned, so callers may
 * lay out structs in it), then the key.
 */
struct cache__entry {
	struct cache__entry *hnext; /* hash chain */
	struct lru_node lru;
	uint64_t hash;
	time_t expiry; /* unusable from this second on */
	uint32_t vlen;
	uint16_t klen;
	_Alignas(16) uint8_t data[]; /* vlen value bytes, then klen key bytes */
};

/*
 * Bytes charged per entry besides key and value: the entry header and the
 * malloc chunk header plus rounding (at most 8 + 15 bytes on glibc). Each
 * shard's bucket array is charged to the shard as it grows.
 */
#define CACHE__ENTRY_OVERHEAD (sizeof(struct cache__entry) + 3 * sizeof(void *))

/** Decide whether an existing unexpired-or-not entry old is kept instead of storing new. */
typedef bool (*cache__keep_cb)(const struct cache__entry *old, const struct cache__entry *new_e,
                               time_t now);
/** Read a found, unexpired entry under its shard lock; the result is returned by cache__lookup. */
typedef int (*cache__read_cb)(const struct cache__entry *e, time_t now, void *arg);

/** The value bytes of an entry. */
static inline uint8_t *cache__entry_value(struct cache__entry *e)
{
	return e->data;
}

/** The value bytes of an entry, read-only. */
static inline const uint8_t *cache__entry_cvalue(const struct cache__entry *e)
{
	return e->data;
}

/** Bytes an entry with these key and value lengths is charged. */
size_t cache__entry_size(size_t klen, size_t vlen);
/** A new entry with the key copied and vlen value bytes for the caller to fill; NULL on no memory.
 */
struct cache__entry *cache__entry_new(const uint8_t *key, size_t klen, size_t vlen, time_t expiry);
/** Free an entry not in a table; NULL is a no-op. */
void cache__entry_free(struct cache__entry *e);

/**
 * Store e (ownership taken in every case), replacing an entry with the same
 * key unless keep (may be NULL) says to keep it: then ERR_EXISTS. Evicts least
 * recently used entries to make room; ERR_SPACE when e can never fit a shard.
 */
int cache__insert(struct cache *c, struct cache__entry *e, time_t now, cache__keep_cb keep);
/**
 * Find the entry for key: when present and now < expiry, move it to the LRU
 * front, count a hit and return read(e, now, arg) with the shard locked;
 * otherwise count a miss, drop it when expired and return ERR_NOTFOUND.
 * Allocates nothing.
 */
int cache__lookup(struct cache *c, const uint8_t *key, size_t klen, time_t now, cache__read_cb read,
                  void *arg);
/** Remove the entry for key; true when there was one. */
bool cache__remove(struct cache *c, const uint8_t *key, size_t klen);

/** The key bytes of an entry. */
static inline const uint8_t *cache__entry_ckey(const struct cache__entry *e)
{
	return e->data + e->vlen;
}

/**
 * Length of the (lower-cased, uncompressed) name that starts a key at key + 1;
 * 0 when the key is too short to hold one. Keys are built by this module, so
 * the name is well formed; the bound only guards the walk.
 */
static inline size_t cache__key_name_len(const uint8_t *key, size_t klen)
{
	size_t n = 0;
	while (1 + n < klen && key[1 + n] != 0)
		n += 1 + (size_t)key[1 + n];
	return 1 + n < klen ? n + 1 : 0;
}

/** Decide, under the shard lock, whether an entry goes; it must call no other module. */
typedef bool (*cache__match_cb)(const struct cache__entry *e, void *arg);
/**
 * Remove every entry match says to, one shard at a time (one lock held at a
 * time, only while that shard is scanned; entries are freed after it is
 * released). The accounting is kept exact. Returns how many were removed.
 */
size_t cache__remove_if(struct cache *c, cache__match_cb match, void *arg);

/** An entry copied out of its shard, read with no lock held. */
struct cache__copy {
	time_t expiry;
	const uint8_t *key;
	size_t klen;
	const uint8_t *value; /* 16-byte aligned, as in an entry */
	size_t vlen;
};
/** Called for each copied entry, no lock held; non-zero stops the walk and is returned. */
typedef int (*cache__visit_cb)(const struct cache__copy *e, void *arg);
/**
 * Visit every entry unexpired at now, shard by shard: a shard's entries are
 * copied out under its lock, then visited once it is released. Returns 0,
 * the first non-zero visit result, or ERR_NOMEM.
 */
int cache__walk(struct cache *c, time_t now, cache__visit_cb visit, void *arg);

/** What a copied message entry holds (msg.c). */
struct cache__msg_info {
	uint8_t *wire; /* malloc'd reply with every TTL counted down to now; caller frees */
	size_t len;
	int ede; /* -1 for none */
};
/** Read a copied message entry as a lookup at now would; 0, ERR_NOMEM or ERR_FORMERR. */
int cache__msg_read(const struct cache__copy *e, time_t now, struct cache__msg_info *out);
/**
 * Read a copied RRset entry as a lookup at now would (rrset.c): fresh lists
 * the caller frees (*sigs NULL when there are none). 0 or ERR_FORMERR (also
 * on no memory).
 */
int cache__rrset_read(const struct cache__copy *e, time_t now, ldns_rr_list **rrs,
                      ldns_rr_list **sigs, enum cache_trust *trust);

#endif
