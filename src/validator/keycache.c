/*
 * keycache.c - validated zone keys and chain-of-trust facts, shared by all
 * workers: each DNSKEY set is checked and its keys parsed once, then
 * reused until its TTL runs out (so repeated validation does not re-parse
 * keys). Entries are reference counted: a reader keeps its entry alive
 * after the lock is released, even if the entry is replaced meanwhile.
 *
 * A few shards, each a mutex, a chained hash table and an LRU list.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mangrove/hash.h"
#include "mangrove/lru.h"
#include "mangrove/random.h"
#include "keys_internal.h"

#define KEYCACHE_SHARDS  16u
#define KEYCACHE_BUCKETS 1024u

struct kc_entry {
	struct kc_entry *hnext;
	struct lru_node lru;
	uint64_t hash;
	struct val__zone *zone;
};

struct kc_shard {
	pthread_mutex_t lock;
	struct kc_entry *buckets[KEYCACHE_BUCKETS];
	struct lru lru;
	size_t count;
};

struct val_keycache {
	uint8_t seed[16];
	size_t cap_per_shard;
	struct kc_shard shards[KEYCACHE_SHARDS];
};

struct val__zone *val__zone_new(const uint8_t *name, enum val__zone_kind kind, int ede,
                                time_t expiry, struct val_key **keys, size_t n_keys)
{
	struct val__zone *z = calloc(1, sizeof(*z));
	if (z == NULL)
		return NULL;
	atomic_init(&z->refs, 1);
	z->kind = kind;
	z->ede = ede;
	z->expiry = expiry;
	memcpy(z->name, name, wire_dname_len(name));
	wire_dname_to_lower(z->name);
	z->keys = keys;
	z->n_keys = n_keys;
	return z;
}

void val__zone_release(struct val__zone *z)
{
	if (z == NULL || atomic_fetch_sub(&z->refs, 1) != 1)
		return;
	for (size_t i = 0; i < z->n_keys; i++)
		val_key_free(z->keys[i]);
	free(z->keys);
	free(z);
}

struct val_keycache *val_keycache_new(size_t max_entries)
{
	struct val_keycache *kc = calloc(1, sizeof(*kc));
	if (kc == NULL)
		return NULL;
	rnd_bytes(kc->seed, sizeof(kc->seed));
	kc->cap_per_shard = max_entries / KEYCACHE_SHARDS;
	if (kc->cap_per_shard < 16)
		kc->cap_per_shard = 16;
	for (unsigned i = 0; i < KEYCACHE_SHARDS; i++)
		pthread_mutex_init(&kc->shards[i].lock, NULL);
	return kc;
}

static void shard_clear(struct kc_shard *s)
{
	struct lru_node *n = s->lru.head;
	while (n != NULL) {
		struct lru_node *next = n->next;
		struct kc_entry *e = lru_entry(n, struct kc_entry, lru);
		val__zone_release(e->zone);
		free(e);
		n = next;
	}
	memset(s->buckets, 0, sizeof(s->buckets));
	s->lru.head = s->lru.tail = NULL;
	s->count = 0;
}

void val_keycache_free(struct val_keycache *kc)
{
	if (kc == NULL)
		return;
	for (unsigned i = 0; i < KEYCACHE_SHARDS; i++) {
		shard_clear(&kc->shards[i]);
		pthread_mutex_destroy(&kc->shards[i].lock);
	}
	free(kc);
}

void val_keycache_flush(struct val_keycache *kc)
{
	for (unsigned i = 0; i < KEYCACHE_SHARDS; i++) {
		pthread_mutex_lock(&kc->shards[i].lock);
		shard_clear(&kc->shards[i]);
		pthread_mutex_unlock(&kc->shards[i].lock);
	}
}

static uint64_t name_hash(const struct val_keycache *kc, const uint8_t *name, uint8_t *lower)
{
	size_t len = wire_dname_len(name);
	memcpy(lower, name, len);
	wire_dname_to_lower(lower);
	return hash_siphash(kc->seed, lower, len);
}

/* The link to the entry for name in its bucket (the link holding NULL when absent). */
static struct kc_entry **shard_find(struct kc_shard *s, uint64_t hash, const uint8_t *lower)
{
	struct kc_entry **pp = &s->buckets[(hash >> 8) % KEYCACHE_BUCKETS];
	while (*pp != NULL && ((*pp)->hash != hash || !wire_dname_equal((*pp)->zone->name, lower)))
		pp = &(*pp)->hnext;
	return pp;
}

static void shard_unlink(struct kc_shard *s, struct kc_entry **pp)
{
	struct kc_entry *e = *pp;
	*pp = e->hnext;
	lru_unlink(&s->lru, &e->lru);
	s->count--;
	val__zone_release(e->zone);
	free(e);
}

struct val__zone *val__keycache_get(struct val_keycache *kc, const uint8_t *name, time_t now)
{
	uint8_t lower[WIRE_DNAME_MAX];
	uint64_t hash = name_hash(kc, name, lower);
	struct kc_shard *s = &kc->shards[hash % KEYCACHE_SHARDS];
	struct val__zone *z = NULL;
	pthread_mutex_lock(&s->lock);
	struct kc_entry **pp = shard_find(s, hash, lower);
	if (*pp != NULL && (*pp)->zone->expiry <= now) {
		shard_unlink(s, pp);
	} else if (*pp != NULL) {
		z = (*pp)->zone;
		atomic_fetch_add(&z->refs, 1);
		lru_touch(&s->lru, &(*pp)->lru);
	}
	pthread_mutex_unlock(&s->lock);
	return z;
}

void val__keycache_put(struct val_keycache *kc, struct val__zone *z)
{
	uint8_t lower[WIRE_DNAME_MAX];
	uint64_t hash = name_hash(kc, z->name, lower);
	struct kc_shard *s = &kc->shards[hash % KEYCACHE_SHARDS];
	struct kc_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->hash = hash;
	e->zone = z;
	atomic_fetch_add(&z->refs, 1);
	pthread_mutex_lock(&s->lock);
	struct kc_entry **pp = shard_find(s, hash, lower);
	if (*pp != NULL)
		shard_unlink(s, pp);
	while (s->count >= kc->cap_per_shard && s->lru.tail != NULL) {
		struct kc_entry *old = lru_entry(s->lru.tail, struct kc_entry, lru);
		shard_unlink(s, shard_find(s, old->hash, old->zone->name));
	}
	e->hnext = s->buckets[(hash >> 8) % KEYCACHE_BUCKETS];
	s->buckets[(hash >> 8) % KEYCACHE_BUCKETS] = e;
	lru_push_front(&s->lru, &e->lru);
	s->count++;
	pthread_mutex_unlock(&s->lock);
}
