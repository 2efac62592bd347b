/*
 * infra.c - the infrastructure cache: per server address (port included) the
 * smoothed RTT and its variance (RFC 6298), consecutive timeouts with RTO
 * backoff and a hold-down for dead servers, EDNS behaviour and lameness per
 * zone. Used by the iterator's server selection; it never sends anything.
 *
 * A few mutex-protected shards, each a fixed hash table with an LRU list and
 * an entry limit. Entries not updated for INFRA_HOST_TTL_MS are forgotten, so
 * a server that changed behaviour is learnt again, and infra_flush() forgets
 * a server on the admin's word.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "mangrove/errors.h"
#include "mangrove/hash.h"
#include "mangrove/lru.h"
#include "mangrove/random.h"
#include "mangrove/wire.h"

#define INFRA_UNKNOWN_SRTT_MS 376u /* Unbound's estimate for a server never heard from */
#define INFRA_UNKNOWN_RTO_MS  400u /* a dead server costs well under 2 s before backoff */
#define INFRA_RTO_MIN_MS      50u
#define INFRA_RTO_MAX_MS      3000u
#define INFRA_RTT_MAX_MS      120000u /* larger samples are clamped */
#define INFRA_BACKOFF_MAX     16u     /* doublings counted at most */
#define INFRA_AVOID_AFTER     3u      /* consecutive timeouts */
#define INFRA_AVOID_MS        60000u
#define INFRA_LAME_MS         (15u * 60u * 1000u)
#define INFRA_HOST_TTL_MS     (15u * 60u * 1000u)
#define INFRA_LAME_ZONES      4
#define INFRA_SHARDS_MAX      16u
#define INFRA_SHARD_MIN_CAP   64u /* fewer shards than that for small caches */
#define INFRA_BUCKETS_MAX     65536u
#define INFRA_KEY_LEN         19 /* family, 16 address bytes, port */

struct infra_lame {
	uint64_t until;
	uint8_t zone[]; /* lower-cased wire name */
};

struct infra_entry {
	struct infra_entry *hnext;
	struct lru_node lru;
	uint64_t hash;
	uint64_t expiry_ms;
	uint8_t key[INFRA_KEY_LEN];
	struct infra_server srv;
	struct infra_lame *lame[INFRA_LAME_ZONES];
};

struct infra_shard {
	pthread_mutex_t lock;
	struct infra_entry **buckets;
	size_t nbuckets; /* a power of two */
	struct lru lru;  /* most recently used first */
	size_t count;
	size_t cap;
} __attribute__((aligned(64)));

struct infra {
	uint8_t seed[16];
	unsigned nshards; /* a power of two */
	struct infra_shard *shards;
};

static void entry_free(struct infra_entry *e)
{
	for (int i = 0; i < INFRA_LAME_ZONES; i++)
		free(e->lame[i]);
	free(e);
}

/* ---- one shard; these run with s->lock held ---- */

static struct infra_entry **chain_find(struct infra_shard *s, uint64_t hash, const uint8_t *key)
{
	struct infra_entry **pp = &s->buckets[hash & (s->nbuckets - 1)];
	while (*pp != NULL && ((*pp)->hash != hash || memcmp((*pp)->key, key, INFRA_KEY_LEN) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

static void shard_remove(struct infra_shard *s, struct infra_entry *e)
{
	struct infra_entry **pp = chain_find(s, e->hash, e->key);
	*pp = e->hnext;
	lru_unlink(&s->lru, &e->lru);
	s->count--;
	entry_free(e);
}

static struct infra_entry *shard_create(struct infra_shard *s, uint64_t hash, const uint8_t *key)
{
	struct infra_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	while (s->count >= s->cap && s->lru.tail != NULL)
		shard_remove(s, lru_entry(s->lru.tail, struct infra_entry, lru));
	e->hash = hash;
	memcpy(e->key, key, INFRA_KEY_LEN);
	e->srv.srtt_ms = INFRA_UNKNOWN_SRTT_MS;
	struct infra_entry **head = &s->buckets[hash & (s->nbuckets - 1)];
	e->hnext = *head;
	*head = e;
	lru_push_front(&s->lru, &e->lru);
	s->count++;
	return e;
}

/* ---- lookups ---- */

static bool infra_key(const struct sa *addr, uint8_t *key)
{
	memset(key, 0, INFRA_KEY_LEN);
	if (addr == NULL)
		return false;
	if (sa_family(addr) == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &addr->u.in4.sin_addr, 4);
	} else if (sa_family(addr) == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &addr->u.in6.sin6_addr, 16);
	} else {
		return false;
	}
	wire_write_u16(key + 17, sa_port(addr));
	return true;
}

/*
 * The entry for addr with its shard locked (*sp; the caller unlocks), created
 * when create is set. NULL, with nothing locked, when absent or on no memory.
 */
static struct infra_entry *entry_lock(struct infra *inf, const struct sa *addr, uint64_t now_ms,
                                      bool create, struct infra_shard **sp)
{
	uint8_t key[INFRA_KEY_LEN];
	if (inf == NULL || !infra_key(addr, key))
		return NULL;
	uint64_t hash = hash_siphash(inf->seed, key, sizeof(key));
	struct infra_shard *s = &inf->shards[(hash >> 40) & (inf->nshards - 1)];
	pthread_mutex_lock(&s->lock);
	struct infra_entry *e = *chain_find(s, hash, key);
	if (e != NULL && now_ms >= e->expiry_ms) {
		shard_remove(s, e);
		e = NULL;
	}
	if (e == NULL && create)
		e = shard_create(s, hash, key);
	if (e == NULL) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	lru_touch(&s->lru, &e->lru);
	if (create)
		e->expiry_ms = now_ms + INFRA_HOST_TTL_MS;
	*sp = s;
	return e;
}

static void server_defaults(struct infra_server *out)
{
	memset(out, 0, sizeof(*out));
	out->srtt_ms = INFRA_UNKNOWN_SRTT_MS;
}

void infra_get(struct infra *inf, const struct sa *addr, uint64_t now_ms, struct infra_server *out)
{
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, false, &s);
	if (e == NULL) {
		server_defaults(out);
		return;
	}
	*out = e->srv;
	pthread_mutex_unlock(&s->lock);
	if (out->avoid_until <= now_ms)
		out->avoid_until = 0;
}

uint32_t infra_rto_ms(const struct infra_server *s)
{
	uint64_t rto = INFRA_UNKNOWN_RTO_MS;
	if (s->known) {
		rto = (uint64_t)s->srtt_ms + 4u * (uint64_t)s->rttvar_ms;
		if (rto < INFRA_RTO_MIN_MS)
			rto = INFRA_RTO_MIN_MS;
	}
	/* RFC 6298 §5.5: double the RTO after each timeout, up to the same ceiling. */
	unsigned shift = s->timeouts < INFRA_BACKOFF_MAX ? s->timeouts : INFRA_BACKOFF_MAX;
	rto <<= shift;
	return rto > INFRA_RTO_MAX_MS ? INFRA_RTO_MAX_MS : (uint32_t)rto;
}

void infra_rtt_update(struct infra *inf, const struct sa *addr, uint32_t rtt_ms, uint64_t now_ms)
{
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, true, &s);
	if (e == NULL)
		return;
	struct infra_server *v = &e->srv;
	if (rtt_ms > INFRA_RTT_MAX_MS)
		rtt_ms = INFRA_RTT_MAX_MS;
	if (!v->known) {
		/* RFC 6298 §2.2: the first measurement. */
		v->srtt_ms = rtt_ms;
		v->rttvar_ms = rtt_ms / 2;
		v->known = true;
	} else {
		/* RFC 6298 §2.3, alpha 1/8 and beta 1/4, rounded; RTTVAR uses the old SRTT. */
		uint32_t diff = v->srtt_ms > rtt_ms ? v->srtt_ms - rtt_ms : rtt_ms - v->srtt_ms;
		v->rttvar_ms = (3u * v->rttvar_ms + diff + 2u) / 4u;
		v->srtt_ms = (7u * v->srtt_ms + rtt_ms + 4u) / 8u;
	}
	v->timeouts = 0;
	v->avoid_until = 0;
	pthread_mutex_unlock(&s->lock);
}

void infra_timeout(struct infra *inf, const struct sa *addr, uint64_t now_ms)
{
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, true, &s);
	if (e == NULL)
		return;
	if (e->srv.timeouts < UINT32_MAX)
		e->srv.timeouts++;
	if (e->srv.timeouts >= INFRA_AVOID_AFTER)
		e->srv.avoid_until = now_ms + INFRA_AVOID_MS;
	pthread_mutex_unlock(&s->lock);
}

void infra_edns_set(struct infra *inf, const struct sa *addr, bool no_edns, uint64_t now_ms)
{
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, true, &s);
	if (e == NULL)
		return;
	e->srv.no_edns = no_edns;
	pthread_mutex_unlock(&s->lock);
}

/* The slot holding zone, else a free one, else the one that expires first. */
static int lame_slot(const struct infra_entry *e, const uint8_t *zone, bool *same)
{
	int best = 0;
	*same = false;
	for (int i = 0; i < INFRA_LAME_ZONES; i++) {
		if (e->lame[i] != NULL && wire_dname_equal(e->lame[i]->zone, zone)) {
			*same = true;
			return i;
		}
	}
	for (int i = 0; i < INFRA_LAME_ZONES; i++) {
		if (e->lame[i] == NULL)
			return i;
		if (e->lame[i]->until < e->lame[best]->until)
			best = i;
	}
	return best;
}

void infra_lame_set(struct infra *inf, const struct sa *addr, const uint8_t *zone, uint64_t now_ms)
{
	if (zone == NULL)
		return;
	size_t n = wire_dname_len(zone);
	if (n == 0 || n > WIRE_DNAME_MAX)
		return;
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, true, &s);
	if (e == NULL)
		return;
	bool same;
	int i = lame_slot(e, zone, &same);
	if (!same) {
		struct infra_lame *l = malloc(sizeof(*l) + n);
		if (l != NULL) {
			memcpy(l->zone, zone, n);
			wire_dname_to_lower(l->zone);
			free(e->lame[i]);
			e->lame[i] = l;
		}
	}
	if (e->lame[i] != NULL)
		e->lame[i]->until = now_ms + INFRA_LAME_MS;
	pthread_mutex_unlock(&s->lock);
}

bool infra_is_lame(struct infra *inf, const struct sa *addr, const uint8_t *zone, uint64_t now_ms)
{
	if (zone == NULL)
		return false;
	size_t n = wire_dname_len(zone);
	if (n == 0 || n > WIRE_DNAME_MAX)
		return false;
	struct infra_shard *s;
	struct infra_entry *e = entry_lock(inf, addr, now_ms, false, &s);
	if (e == NULL)
		return false;
	bool lame = false;
	for (int i = 0; i < INFRA_LAME_ZONES && !lame; i++) {
		const struct infra_lame *l = e->lame[i];
		lame = l != NULL && now_ms < l->until && wire_dname_equal(l->zone, zone);
	}
	pthread_mutex_unlock(&s->lock);
	return lame;
}

size_t infra_count(struct infra *inf)
{
	size_t n = 0;
	for (unsigned i = 0; i < inf->nshards; i++) {
		pthread_mutex_lock(&inf->shards[i].lock);
		n += inf->shards[i].count;
		pthread_mutex_unlock(&inf->shards[i].lock);
	}
	return n;
}

/* Does an entry's key name addr? Port 0 in addr stands for every port. */
static bool key_matches(const uint8_t *key, const uint8_t *want, bool any_port)
{
	return memcmp(key, want, any_port ? INFRA_KEY_LEN - 2 : INFRA_KEY_LEN) == 0;
}

long infra_flush(struct infra *inf, const struct sa *addr)
{
	uint8_t want[INFRA_KEY_LEN];
	if (inf == NULL || (addr != NULL && !infra_key(addr, want)))
		return ERR_INVAL;
	bool any_port = addr != NULL && sa_port(addr) == 0;
	long removed = 0;
	for (unsigned i = 0; i < inf->nshards; i++) {
		struct infra_shard *s = &inf->shards[i];
		struct infra_entry *garbage = NULL;
		pthread_mutex_lock(&s->lock);
		for (size_t b = 0; b < s->nbuckets; b++) {
			struct infra_entry **pp = &s->buckets[b];
			while (*pp != NULL) {
				struct infra_entry *e = *pp;
				if (addr != NULL && !key_matches(e->key, want, any_port)) {
					pp = &e->hnext;
					continue;
				}
				*pp = e->hnext;
				lru_unlink(&s->lru, &e->lru);
				s->count--;
				e->hnext = garbage;
				garbage = e;
				removed++;
			}
		}
		pthread_mutex_unlock(&s->lock);
		while (garbage != NULL) {
			struct infra_entry *next = garbage->hnext;
			entry_free(garbage);
			garbage = next;
		}
	}
	return removed;
}

/* ---- lifecycle ---- */

static int shard_init(struct infra_shard *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->nbuckets = 16;
	while (s->nbuckets < cap && s->nbuckets < INFRA_BUCKETS_MAX)
		s->nbuckets *= 2;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (s->buckets == NULL)
		return -1;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->buckets);
		return -1;
	}
	return 0;
}

struct infra *infra_new(size_t max_entries)
{
	struct infra *inf = calloc(1, sizeof(*inf));
	if (inf == NULL)
		return NULL;
	if (max_entries == 0)
		max_entries = 1;
	inf->nshards = 1;
	while (inf->nshards < INFRA_SHARDS_MAX &&
	       max_entries / (inf->nshards * 2) >= INFRA_SHARD_MIN_CAP)
		inf->nshards *= 2;
	rnd_bytes(inf->seed, sizeof(inf->seed));
	void *mem = NULL;
	if (posix_memalign(&mem, 64, inf->nshards * sizeof(struct infra_shard)) != 0) {
		free(inf);
		return NULL;
	}
	inf->shards = mem;
	for (unsigned i = 0; i < inf->nshards; i++) {
		if (shard_init(&inf->shards[i], max_entries / inf->nshards) != 0) {
			inf->nshards = i;
			infra_free(inf);
			return NULL;
		}
	}
	return inf;
}

void infra_free(struct infra *inf)
{
	if (inf == NULL)
		return;
	for (unsigned i = 0; i < inf->nshards; i++) {
		struct infra_shard *s = &inf->shards[i];
		struct lru_node *n = s->lru.head;
		while (n != NULL) {
			struct lru_node *next = n->next;
			entry_free(lru_entry(n, struct infra_entry, lru));
			n = next;
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(inf->shards);
	free(inf);
}
