/*
 * nta.c - negative trust anchors (RFC 7646): names at and below which
 * DNSSEC validation is off for a while, set from the control socket and
 * read by every validation on every worker.
 *
 * Reads far outnumber writes, so the table is a sorted array under a
 * rwlock (writers preferred, so a busy resolver cannot starve the control
 * socket), and an atomic count lets the usual empty table be skipped
 * without touching the lock. Expiry is lazy: readers ignore expired
 * entries; writers drop them, and so does a reader that finds the earliest
 * expiry past and gets the write lock without waiting.
 *
 * Non-goals: keeping NTAs across restarts; RFC 7646's optional automatic
 * removal once the zone validates again.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/validator.h"

/* Entries allocated at first; the array doubles up to VAL_NTA_MAX. */
#define NTA_FIRST_CAP 16

struct nta_entry {
	time_t expiry;                /* wall clock: dead from this second on */
	uint8_t name[WIRE_DNAME_MAX]; /* lower-cased */
};

struct val_nta {
	pthread_rwlock_t lock;
	atomic_size_t count;     /* == n, for readers that skip the lock */
	_Atomic time_t earliest; /* earliest expiry among the entries */
	size_t n, cap;
	struct nta_entry *entries; /* canonical order (RFC 4034 §6.1), no duplicates */
};

struct val_nta *val_nta_new(void)
{
	struct val_nta *t = calloc(1, sizeof(*t));
	pthread_rwlockattr_t attr;
	if (t == NULL || pthread_rwlockattr_init(&attr) != 0) {
		free(t);
		return NULL;
	}
#ifdef __GLIBC__
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	int rc = pthread_rwlock_init(&t->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (rc != 0) {
		free(t);
		return NULL;
	}
	atomic_init(&t->count, 0);
	atomic_init(&t->earliest, 0);
	return t;
}

void val_nta_free(struct val_nta *t)
{
	if (t == NULL)
		return;
	pthread_rwlock_destroy(&t->lock);
	free(t->entries);
	free(t);
}

/* A wire name within WIRE_DNAME_MAX bytes, labels of at most 63 (RFC 1035 §2.3.4). */
static bool name_ok(const uint8_t *name)
{
	size_t n = 0;
	while (n < WIRE_DNAME_MAX && name[n] != 0) {
		if (name[n] > 63)
			return false;
		n += 1 + (size_t)name[n];
	}
	return n < WIRE_DNAME_MAX;
}

/* Where name is in the table, or where it would go; *found says which. Lock held. */
static size_t slot(const struct val_nta *t, const uint8_t *name, bool *found)
{
	size_t lo = 0, hi = t->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = wire_dname_canonical_cmp(name, t->entries[mid].name);
		if (r == 0) {
			*found = true;
			return mid;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Drop the entries expired by now and publish count and earliest. Write lock held. */
static void prune_locked(struct val_nta *t, time_t now)
{
	size_t k = 0;
	time_t earliest = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->entries[i].expiry <= now)
			continue;
		if (k != i)
			t->entries[k] = t->entries[i];
		if (k == 0 || t->entries[k].expiry < earliest)
			earliest = t->entries[k].expiry;
		k++;
	}
	t->n = k;
	atomic_store_explicit(&t->earliest, earliest, memory_order_relaxed);
	atomic_store_explicit(&t->count, k, memory_order_release);
}

/* Room for one more entry: 0, ERR_SPACE at VAL_NTA_MAX, or ERR_NOMEM. Write lock held. */
static int reserve_locked(struct val_nta *t)
{
	if (t->n >= VAL_NTA_MAX)
		return ERR_SPACE;
	if (t->n < t->cap)
		return 0;
	size_t cap = t->cap == 0 ? NTA_FIRST_CAP : t->cap * 2;
	if (cap > VAL_NTA_MAX)
		cap = VAL_NTA_MAX;
	struct nta_entry *e = realloc(t->entries, cap * sizeof(*e));
	if (e == NULL)
		return ERR_NOMEM;
	t->entries = e;
	t->cap = cap;
	return 0;
}

int val_nta_add(struct val_nta *t, const uint8_t *name, uint32_t lifetime, time_t now)
{
	if (t == NULL || name == NULL || !name_ok(name))
		return ERR_INVAL;
	if (lifetime > VAL_NTA_MAX_LIFETIME)
		return ERR_RANGE;
	if (lifetime == 0)
		lifetime = VAL_NTA_DEFAULT_LIFETIME;
	struct nta_entry e = {.expiry = now + (time_t)lifetime};
	memcpy(e.name, name, wire_dname_len(name));
	wire_dname_to_lower(e.name);
	pthread_rwlock_wrlock(&t->lock);
	prune_locked(t, now);
	bool found;
	size_t i = slot(t, e.name, &found);
	int rc = 0;
	if (found) {
		t->entries[i].expiry = e.expiry; /* a new lifetime, longer or shorter */
	} else if ((rc = reserve_locked(t)) == 0) {
		memmove(&t->entries[i + 1], &t->entries[i], (t->n - i) * sizeof(*t->entries));
		t->entries[i] = e;
		t->n++;
	}
	prune_locked(t, now); /* publishes the new count and earliest expiry */
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

int val_nta_remove(struct val_nta *t, const uint8_t *name, time_t now)
{
	if (t == NULL || name == NULL || !name_ok(name))
		return ERR_INVAL;
	pthread_rwlock_wrlock(&t->lock);
	prune_locked(t, now);
	bool found;
	size_t i = slot(t, name, &found);
	if (found) {
		memmove(&t->entries[i], &t->entries[i + 1], (t->n - i - 1) * sizeof(*t->entries));
		t->n--;
		prune_locked(t, now);
	}
	pthread_rwlock_unlock(&t->lock);
	return found ? 0 : ERR_NOTFOUND;
}

size_t val_nta_list(struct val_nta *t, time_t now, val_nta_list_cb cb, void *arg)
{
	if (t == NULL)
		return 0;
	pthread_rwlock_wrlock(&t->lock);
	prune_locked(t, now);
	pthread_rwlock_unlock(&t->lock);
	size_t listed = 0;
	pthread_rwlock_rdlock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (t->entries[i].expiry <= now)
			continue;
		listed++;
		if (cb != NULL)
			cb(t->entries[i].name, (uint32_t)(t->entries[i].expiry - now), arg);
	}
	pthread_rwlock_unlock(&t->lock);
	return listed;
}

/* Past the earliest expiry: drop what expired if no one holds the lock (never wait). */
static void prune_if_due(struct val_nta *t, time_t now)
{
	if (now < atomic_load_explicit(&t->earliest, memory_order_relaxed) ||
	    pthread_rwlock_trywrlock(&t->lock) != 0)
		return;
	prune_locked(t, now);
	pthread_rwlock_unlock(&t->lock);
}

/* Walks from name up to the root, label by label, so a match is always at a label boundary. */
int val_nta_find(struct val_nta *t, const uint8_t *name, time_t now, unsigned *labels,
                 time_t *expiry)
{
	if (t == NULL || atomic_load_explicit(&t->count, memory_order_acquire) == 0)
		return ERR_NOTFOUND;
	prune_if_due(t, now);
	int rc = ERR_NOTFOUND;
	pthread_rwlock_rdlock(&t->lock);
	for (const uint8_t *n = name; t->n > 0 && n != NULL; n = wire_dname_parent(n)) {
		bool found;
		size_t i = slot(t, n, &found);
		if (!found || t->entries[i].expiry <= now)
			continue;
		if (labels != NULL)
			*labels = wire_dname_labels(n);
		if (expiry != NULL)
			*expiry = t->entries[i].expiry;
		rc = 0;
		break;
	}
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

bool val_nta_covers(struct val_nta *t, const uint8_t *name, time_t now)
{
	return val_nta_find(t, name, now, NULL, NULL) == 0;
}
