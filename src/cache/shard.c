/*
 * shard.c - the hash table under the message and RRset caches: split into
 * shards by a keyed hash, each with its own mutex, its own share of the
 * memory budget and its own LRU list (DESIGN.md "Threads").
 *
 * The hash is SipHash-2-4 keyed with 128 random bits per cache, so a client
 * choosing query names cannot predict which shard or bucket they land in and
 * cannot pile entries on one of them. Entries are freed after the shard lock
 * is released, so a lock is held only for list and pointer work and copies.
 *
 * The walks behind the control commands (selective flushes, the dump) take
 * one shard lock at a time, never two, and hold it for one scan of a shard.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "mangrove/errors.h"
#include "mangrove/hash.h"
#include "mangrove/random.h"
#include "mangrove/wire.h"

#define SHARD_BUCKETS_MIN 16u

struct cache_shard {
	pthread_mutex_t lock;
	struct cache__entry **buckets;
	size_t nbuckets; /* a power of two */
	struct lru lru;  /* most recently used first */
	uint64_t budget;
	uint64_t entries;
	uint64_t bytes; /* entries plus the bucket array */
	uint64_t inserts;
	uint64_t evictions;
	uint64_t hits;
	uint64_t misses;
	struct cache_kind_stats kind[CACHE_KIND_MAX_]; /* the same, per kind of entry */
} __attribute__((aligned(64))); /* one cache line apart: no false sharing between shards */

struct cache {
	uint8_t seed[16];
	unsigned nshards; /* a power of two */
	uint64_t max_bytes;
	struct cache_shard *shards;
};

/* ---- entries ---- */

size_t cache__entry_size(size_t klen, size_t vlen)
{
	return CACHE__ENTRY_OVERHEAD + klen + vlen;
}

struct cache__entry *cache__entry_new(const uint8_t *key, size_t klen, size_t vlen, time_t expiry)
{
	if (klen == 0 || klen > CACHE__KEY_MAX || vlen > UINT32_MAX - CACHE__KEY_MAX)
		return NULL;
	struct cache__entry *e = malloc(sizeof(*e) + vlen + klen);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->expiry = expiry;
	e->vlen = (uint32_t)vlen;
	e->klen = (uint16_t)klen;
	memcpy(e->data + vlen, key, klen);
	return e;
}

void cache__entry_free(struct cache__entry *e)
{
	free(e);
}

static const uint8_t *entry_key(const struct cache__entry *e)
{
	return cache__entry_ckey(e);
}

static void free_chain(struct cache__entry *e)
{
	while (e != NULL) {
		struct cache__entry *next = e->hnext;
		free(e);
		e = next;
	}
}

/* Free every entry of an LRU list taken out of its shard. */
static void free_lru(struct lru_node *n)
{
	while (n != NULL) {
		struct lru_node *next = n->next;
		free(lru_entry(n, struct cache__entry, lru));
		n = next;
	}
}

/* ---- one shard; every function here runs with s->lock held ---- */

static struct cache_shard *shard_of(struct cache *c, uint64_t hash)
{
	/* High bits choose the shard, low bits the bucket: the two are independent. */
	return &c->shards[(hash >> 40) & (c->nshards - 1)];
}

static struct cache__entry **chain_find(struct cache_shard *s, uint64_t hash, const uint8_t *key,
                                        size_t klen)
{
	struct cache__entry **pp = &s->buckets[hash & (s->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->hnext) {
		const struct cache__entry *e = *pp;
		if (e->hash == hash && e->klen == klen && memcmp(entry_key(e), key, klen) == 0)
			break;
	}
	return pp;
}

/* The per-kind counters of an entry with this key (first byte: CACHE__KIND_*). */
static struct cache_kind_stats *kind_stats(struct cache_shard *s, const uint8_t *key)
{
	return &s->kind[key[0] == CACHE__KIND_MSG ? CACHE_KIND_MSG : CACHE_KIND_RRSET];
}

/* Take e out of the shard (pp points at the chain link to it) and onto *garbage. */
static void shard_unlink(struct cache_shard *s, struct cache__entry **pp,
                         struct cache__entry **garbage)
{
	struct cache__entry *e = *pp;
	*pp = e->hnext;
	lru_unlink(&s->lru, &e->lru);
	struct cache_kind_stats *k = kind_stats(s, entry_key(e));
	s->entries--;
	s->bytes -= cache__entry_size(e->klen, e->vlen);
	k->entries--;
	k->bytes -= cache__entry_size(e->klen, e->vlen);
	e->hnext = *garbage;
	*garbage = e;
}

static void shard_evict_lru(struct cache_shard *s, struct cache__entry **garbage)
{
	struct cache__entry *e = lru_entry(s->lru.tail, struct cache__entry, lru);
	struct cache__entry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	kind_stats(s, entry_key(e))->evictions++;
	shard_unlink(s, pp, garbage);
	s->evictions++;
}

/* Double the bucket array when chains grow long; on no memory keep the old one. */
static void shard_grow(struct cache_shard *s)
{
	if (s->entries < s->nbuckets || s->nbuckets > SIZE_MAX / 2 / sizeof(void *))
		return;
	size_t n = s->nbuckets * 2;
	if ((uint64_t)n * sizeof(void *) > s->budget / 4)
		return; /* the array would crowd out the entries it indexes */
	struct cache__entry **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct cache__entry *e = s->buckets[i];
		while (e != NULL) {
			struct cache__entry *next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(s->buckets);
	s->bytes += (uint64_t)(n - s->nbuckets) * sizeof(void *);
	s->buckets = b;
	s->nbuckets = n;
}

/* ---- the table ---- */

static uint64_t key_hash(const struct cache *c, const uint8_t *key, size_t klen)
{
	return hash_siphash(c->seed, key, klen);
}

int cache__insert(struct cache *c, struct cache__entry *e, time_t now, cache__keep_cb keep)
{
	uint64_t need = cache__entry_size(e->klen, e->vlen);
	e->hash = key_hash(c, entry_key(e), e->klen);
	struct cache_shard *s = shard_of(c, e->hash);
	struct cache__entry *garbage = NULL;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	uint64_t fixed = (uint64_t)s->nbuckets * sizeof(void *);
	struct cache__entry **pp = chain_find(s, e->hash, entry_key(e), e->klen);
	if (need > s->budget || s->budget - need < fixed) {
		rc = ERR_SPACE;
	} else if (*pp != NULL && keep != NULL && keep(*pp, e, now)) {
		rc = ERR_EXISTS;
	} else {
		if (*pp != NULL)
			shard_unlink(s, pp, &garbage);
		shard_grow(s);
		while (s->bytes + need > s->budget && s->lru.tail != NULL)
			shard_evict_lru(s, &garbage);
		if (s->bytes + need > s->budget)
			rc = ERR_SPACE;
	}
	if (rc == 0) {
		struct cache__entry **head = &s->buckets[e->hash & (s->nbuckets - 1)];
		e->hnext = *head;
		*head = e;
		lru_push_front(&s->lru, &e->lru);
		struct cache_kind_stats *k = kind_stats(s, entry_key(e));
		s->entries++;
		s->bytes += need;
		s->inserts++;
		k->entries++;
		k->bytes += need;
		k->inserts++;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc != 0)
		cache__entry_free(e);
	free_chain(garbage);
	return rc;
}

int cache__lookup(struct cache *c, const uint8_t *key, size_t klen, time_t now, cache__read_cb read,
                  void *arg)
{
	uint64_t hash = key_hash(c, key, klen);
	struct cache_shard *s = shard_of(c, hash);
	struct cache__entry *garbage = NULL;
	int rc;

	pthread_mutex_lock(&s->lock);
	struct cache__entry **pp = chain_find(s, hash, key, klen);
	struct cache__entry *e = *pp;
	if (e == NULL || now >= e->expiry) {
		if (e != NULL)
			shard_unlink(s, pp, &garbage);
		s->misses++;
		kind_stats(s, key)->misses++;
		rc = ERR_NOTFOUND;
	} else {
		lru_touch(&s->lru, &e->lru);
		s->hits++;
		kind_stats(s, key)->hits++;
		rc = read(e, now, arg);
	}
	pthread_mutex_unlock(&s->lock);
	free_chain(garbage);
	return rc;
}

bool cache__remove(struct cache *c, const uint8_t *key, size_t klen)
{
	uint64_t hash = key_hash(c, key, klen);
	struct cache_shard *s = shard_of(c, hash);
	struct cache__entry *garbage = NULL;

	pthread_mutex_lock(&s->lock);
	struct cache__entry **pp = chain_find(s, hash, key, klen);
	if (*pp != NULL)
		shard_unlink(s, pp, &garbage);
	pthread_mutex_unlock(&s->lock);
	free_chain(garbage);
	return garbage != NULL;
}

/* ---- walks: selective flushes and copies for the dump ---- */

size_t cache__remove_if(struct cache *c, cache__match_cb match, void *arg)
{
	size_t removed = 0;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct cache_shard *s = &c->shards[i];
		struct cache__entry *garbage = NULL;
		pthread_mutex_lock(&s->lock);
		for (size_t b = 0; b < s->nbuckets; b++) {
			struct cache__entry **pp = &s->buckets[b];
			while (*pp != NULL) {
				if (match(*pp, arg)) {
					shard_unlink(s, pp, &garbage); /* *pp is now the next one */
					removed++;
				} else {
					pp = &(*pp)->hnext;
				}
			}
		}
		pthread_mutex_unlock(&s->lock);
		free_chain(garbage);
	}
	return removed;
}

#define ALIGN16(n) (((size_t)(n) + 15u) & ~(size_t)15u)

/* Room one entry takes in a snapshot: its description, then value and key, each aligned. */
static size_t copy_size(size_t klen, size_t vlen)
{
	return ALIGN16(sizeof(struct cache__copy)) + ALIGN16(vlen) + ALIGN16(klen);
}

/* Bytes a snapshot of the entries unexpired at now needs; s->lock is held. */
static size_t shard_copy_need(const struct cache_shard *s, time_t now)
{
	size_t need = 0;
	for (const struct lru_node *n = s->lru.head; n != NULL; n = n->next) {
		const struct cache__entry *e = lru_entry(n, const struct cache__entry, lru);
		if (now < e->expiry)
			need += copy_size(e->klen, e->vlen);
	}
	return need;
}

/* Copy the entries unexpired at now into buf (as sized by shard_copy_need); s->lock is held. */
static size_t shard_copy(const struct cache_shard *s, time_t now, uint8_t *buf)
{
	size_t count = 0;
	for (const struct lru_node *n = s->lru.head; n != NULL; n = n->next) {
		const struct cache__entry *e = lru_entry(n, const struct cache__entry, lru);
		if (now >= e->expiry)
			continue;
		struct cache__copy *cp = (struct cache__copy *)(void *)buf;
		uint8_t *value = buf + ALIGN16(sizeof(*cp));
		uint8_t *key = value + ALIGN16(e->vlen);
		memcpy(value, cache__entry_cvalue(e), e->vlen);
		memcpy(key, entry_key(e), e->klen);
		*cp = (struct cache__copy){.expiry = e->expiry,
		                           .key = key,
		                           .klen = e->klen,
		                           .value = value,
		                           .vlen = e->vlen};
		buf += copy_size(e->klen, e->vlen);
		count++;
	}
	return count;
}

/*
 * Copy one shard's unexpired entries into *buf (grown as needed, 16-byte
 * aligned); the buffer is allocated with the lock released, and the size
 * checked again once it is taken back.
 */
static int shard_snapshot(struct cache_shard *s, time_t now, uint8_t **buf, size_t *cap,
                          size_t *count)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		size_t need = shard_copy_need(s, now);
		if (need <= *cap) {
			*count = shard_copy(s, now, *buf);
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		pthread_mutex_unlock(&s->lock);
		free(*buf);
		*buf = NULL;
		*cap = 0;
		void *mem = NULL;
		size_t want = need + need / 8; /* room for a few inserts in between */
		if (posix_memalign(&mem, 16, want) != 0)
			return ERR_NOMEM;
		*buf = mem;
		*cap = want;
	}
}

int cache__walk(struct cache *c, time_t now, cache__visit_cb visit, void *arg)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int rc = 0;
	for (unsigned i = 0; i < c->nshards && rc == 0; i++) {
		size_t count = 0;
		rc = shard_snapshot(&c->shards[i], now, &buf, &cap, &count);
		const uint8_t *p = buf;
		for (size_t k = 0; rc == 0 && k < count; k++) {
			const struct cache__copy *cp = (const struct cache__copy *)(const void *)p;
			rc = visit(cp, arg);
			p += copy_size(cp->klen, cp->vlen);
		}
	}
	free(buf);
	return rc;
}

/* What cache_flush_name() and cache_flush_zone() remove. */
struct name_match {
	uint8_t name[WIRE_DNAME_MAX]; /* lower-cased, like the names in keys */
	size_t len;
	uint16_t type; /* 0: any */
	bool below;    /* the name and everything below it, any type and class */
};

/* Is name (n bytes, lower-cased) at or below zone? Both are uncompressed wire names. */
static bool name_at_or_below(const uint8_t *name, size_t n, const uint8_t *zone, size_t zlen)
{
	for (size_t p = 0; p < n; p += 1 + (size_t)name[p]) {
		if (n - p == zlen && memcmp(name + p, zone, zlen) == 0)
			return true;
		if (name[p] == 0)
			break;
	}
	return false;
}

/* Runs under a shard lock; keys of both kinds start with kind, name, type, class. */
static bool name_match_cb(const struct cache__entry *e, void *arg)
{
	const struct name_match *m = arg;
	const uint8_t *key = entry_key(e);
	size_t n = cache__key_name_len(key, e->klen);
	if (n == 0 || e->klen < 1 + n + 4)
		return false;
	uint16_t type = wire_read_u16(key + 1 + n);
	/* The validator's kept denials of an enclosing zone would answer for the
	 * flushed names again (RFC 8198): they go too. */
	if (key[0] == CACHE__KIND_MSG && type == CACHE_MSG_TYPE_DENIAL &&
	    name_at_or_below(m->name, m->len, key + 1, n))
		return true;
	if (m->below)
		return name_at_or_below(key + 1, n, m->name, m->len);
	uint16_t klass = wire_read_u16(key + 3 + n);
	return n == m->len && memcmp(key + 1, m->name, n) == 0 && klass == WIRE_CLASS_IN &&
	       (m->type == 0 || type == m->type);
}

static long flush_by_name(struct cache *c, const uint8_t *name, uint16_t type, bool below)
{
	if (c == NULL || name == NULL)
		return ERR_INVAL;
	size_t n = wire_dname_len(name);
	if (n == 0 || n > WIRE_DNAME_MAX)
		return ERR_INVAL;
	struct name_match m = {.len = n, .type = type, .below = below};
	memcpy(m.name, name, n);
	wire_dname_to_lower(m.name);
	return (long)cache__remove_if(c, name_match_cb, &m);
}

long cache_flush_name(struct cache *c, const uint8_t *name, uint16_t type)
{
	return flush_by_name(c, name, type, false);
}

long cache_flush_zone(struct cache *c, const uint8_t *name)
{
	return flush_by_name(c, name, 0, true);
}

/* ---- public ---- */

static unsigned shard_count(unsigned want)
{
	unsigned n = 1;
	while (n < want && n < CACHE__SHARDS_MAX)
		n *= 2;
	return n;
}

static int shard_init(struct cache_shard *s, uint64_t budget)
{
	memset(s, 0, sizeof(*s));
	s->nbuckets = SHARD_BUCKETS_MIN;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (s->buckets == NULL)
		return ERR_NOMEM;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->buckets);
		return ERR_NOMEM;
	}
	s->budget = budget;
	s->bytes = s->nbuckets * sizeof(*s->buckets);
	return 0;
}

static void shard_deinit(struct cache_shard *s)
{
	free_lru(s->lru.head);
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
}

struct cache *cache_new(uint64_t max_bytes, unsigned nshards)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->nshards = shard_count(nshards);
	c->max_bytes = max_bytes;
	rnd_bytes(c->seed, sizeof(c->seed));
	void *mem = NULL;
	if (posix_memalign(&mem, 64, c->nshards * sizeof(struct cache_shard)) != 0) {
		free(c);
		return NULL;
	}
	c->shards = mem;
	for (unsigned i = 0; i < c->nshards; i++) {
		if (shard_init(&c->shards[i], max_bytes / c->nshards) != 0) {
			c->nshards = i; /* free what was set up */
			cache_free(c);
			return NULL;
		}
	}
	return c;
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->nshards; i++)
		shard_deinit(&c->shards[i]);
	free(c->shards);
	free(c);
}

void cache_flush(struct cache *c)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		struct cache_shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		struct lru_node *list = s->lru.head;
		s->lru.head = s->lru.tail = NULL;
		memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
		s->bytes = s->nbuckets * sizeof(*s->buckets);
		s->entries = 0;
		for (unsigned k = 0; k < CACHE_KIND_MAX_; k++)
			s->kind[k].entries = s->kind[k].bytes = 0;
		pthread_mutex_unlock(&s->lock);
		free_lru(list);
	}
}

void cache_stats_get(struct cache *c, struct cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->max_bytes = c->max_bytes;
	for (unsigned i = 0; i < c->nshards; i++) {
		struct cache_shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		out->entries += s->entries;
		out->bytes += s->bytes;
		out->inserts += s->inserts;
		out->evictions += s->evictions;
		out->hits += s->hits;
		out->misses += s->misses;
		for (unsigned k = 0; k < CACHE_KIND_MAX_; k++) {
			out->kind[k].entries += s->kind[k].entries;
			out->kind[k].bytes += s->kind[k].bytes;
			out->kind[k].inserts += s->kind[k].inserts;
			out->kind[k].evictions += s->kind[k].evictions;
			out->kind[k].hits += s->kind[k].hits;
			out->kind[k].misses += s->kind[k].misses;
		}
		pthread_mutex_unlock(&s->lock);
	}
}
