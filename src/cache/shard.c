/*
 * shard.c - the hash table under the message and RRset caches: split into
 * shards by a keyed hash, each with its own mutex, its own share of the
 * memory budget and its own LRU list (DESIGN.md "Threads").
 *
 * The hash is SipHash-2-4 keyed with 128 random bits per cache, so a client
 * choosing query names cannot predict which shard or bucket they land in and
 * cannot pile entries on one of them. Entries are freed after the shard lock
 * is released, so a lock is held only for list and pointer work and copies.
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
	return e->data + e->vlen;
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

/* Take e out of the shard (pp points at the chain link to it) and onto *garbage. */
static void shard_unlink(struct cache_shard *s, struct cache__entry **pp,
                         struct cache__entry **garbage)
{
	struct cache__entry *e = *pp;
	*pp = e->hnext;
	lru_unlink(&s->lru, &e->lru);
	s->entries--;
	s->bytes -= cache__entry_size(e->klen, e->vlen);
	e->hnext = *garbage;
	*garbage = e;
}

static void shard_evict_lru(struct cache_shard *s, struct cache__entry **garbage)
{
	struct cache__entry *e = lru_entry(s->lru.tail, struct cache__entry, lru);
	struct cache__entry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
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
		s->entries++;
		s->bytes += need;
		s->inserts++;
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
		rc = ERR_NOTFOUND;
	} else {
		lru_touch(&s->lru, &e->lru);
		s->hits++;
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
		pthread_mutex_unlock(&s->lock);
	}
}
