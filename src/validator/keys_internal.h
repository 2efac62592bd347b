/*
 * keys_internal.h - the validator's view of the key cache: what is known
 * about a name on the way down the chain of trust.
 */
#ifndef MANGROVE_KEYS_INTERNAL_H
#define MANGROVE_KEYS_INTERNAL_H

#include <stdatomic.h>

#include "mangrove/validator.h"

enum val__zone_kind {
	VAL__ZONE_SECURE = 0, /* a zone apex with validated keys */
	VAL__ZONE_INSECURE,   /* an unsigned delegation (or unsupported algorithms) */
	VAL__ZONE_BOGUS,      /* the chain is broken here: ede says why */
	VAL__ZONE_NOT_CUT,    /* proven to be no zone cut: keep walking */
};

/** What is known about one name; shared and reference counted. */
struct val__zone {
	atomic_uint refs;
	enum val__zone_kind kind;
	int ede;       /* RFC 8914 code for BOGUS, or 27 for INSECURE by iterations; -1 none */
	time_t expiry; /* wall clock */
	uint8_t name[WIRE_DNAME_MAX];
	size_t n_keys;
	struct val_key **keys; /* SECURE: the zone's usable keys */
};

/** A new entry with one reference (keys taken over, may be NULL); NULL on no memory. */
struct val__zone *val__zone_new(const uint8_t *name, enum val__zone_kind kind, int ede,
                                time_t expiry, struct val_key **keys, size_t n_keys);
/** Drop a reference; the last one frees the entry and its keys. NULL is a no-op. */
void val__zone_release(struct val__zone *z);
/** A referenced entry for name that has not expired, or NULL. */
struct val__zone *val__keycache_get(struct val_keycache *kc, const uint8_t *name, time_t now);
/** Store an entry (the cache takes its own reference), replacing the old one. */
void val__keycache_put(struct val_keycache *kc, struct val__zone *z);

/** Keep a secure negative answer's SOA, NSEC/NSEC3 and RRSIGs for zone (RFC 8198). */
void val__aggr_store(struct cache *c, const uint8_t *zone, const ldns_rr_list *records);

#endif
