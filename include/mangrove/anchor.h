/*
 * anchor.h - the trust anchors of one configuration snapshot, grouped by
 * owner name: the built-in root KSK DS records (root-trust-anchor), the
 * records of trust-anchor-file and trust-anchor (read and checked by conf),
 * and the negative trust anchors of domain-insecure (RFC 7646).
 *
 * The store organises records; it judges no algorithm. An anchor whose
 * DNSKEY algorithm or DS digest type the validator does not support is kept
 * like any other: the validator skips it and, when no usable anchor is left
 * at a name, treats the names below it as insecure (RFC 4035 §5.2).
 *
 * A store copies what it needs from the snapshot (which may be freed first),
 * never changes once built, and may be read from any thread. Names are wire
 * names as wire.h reads them; comparisons ignore case (RFC 4343).
 */
#ifndef MANGROVE_ANCHOR_H
#define MANGROVE_ANCHOR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/conf.h"

/** The anchors at one owner name: DS records, DNSKEY records, or both. */
struct val_anchor;
/** Every anchor and negative anchor of a snapshot. */
struct val_anchors;

/**
 * Build the store from a snapshot: the built-in root anchors when
 * c->root_trust_anchor, then c->trust_anchors; duplicates are kept once.
 * 0 and *out (caller frees with val_anchors_free), or ERR_NOMEM with a
 * message in err.
 */
int val_anchors_new(const struct conf *c, struct val_anchors **out, char *err, size_t errlen);
/** Free a store; NULL is a no-op. */
void val_anchors_free(struct val_anchors *a);

/**
 * The anchor at name or at the closest name above it, or NULL when none
 * encloses name (nothing there can be validated). Borrowed from a.
 */
const struct val_anchor *val_anchors_closest(const struct val_anchors *a, const uint8_t *name);
/**
 * Is name at or below a domain-insecure name (label boundaries: example.com
 * covers www.example.com, not badexample.com)? An anchor below that
 * domain-insecure name which encloses name takes precedence: then false.
 */
bool val_anchors_insecure(const struct val_anchors *a, const uint8_t *name);
/** The domain-insecure name that makes name insecure (see above), or NULL. Borrowed. */
const uint8_t *val_anchors_insecure_cover(const struct val_anchors *a, const uint8_t *name);

/** Number of owner names with anchors. */
size_t val_anchors_count(const struct val_anchors *a);
/** Anchor i, 0 <= i < count, in canonical name order (RFC 4034 §6.1); NULL past the end. */
const struct val_anchor *val_anchors_get(const struct val_anchors *a, size_t i);
/** Number of domain-insecure names. */
size_t val_anchors_insecure_count(const struct val_anchors *a);
/** Domain-insecure name i (lower-cased), in canonical order; NULL past the end. */
const uint8_t *val_anchors_insecure_get(const struct val_anchors *a, size_t i);

/** The owner name of an anchor, lower-cased. */
const uint8_t *val_anchor_name(const struct val_anchor *t);
/** Its DS records, owners lower-cased, in the order configured; never NULL, may be empty. */
const ldns_rr_list *val_anchor_ds(const struct val_anchor *t);
/** Its DNSKEY records, as val_anchor_ds(); never NULL, may be empty. */
const ldns_rr_list *val_anchor_dnskey(const struct val_anchor *t);
/**
 * The key tags of its DS and DNSKEY records, ascending, each once, for
 * trust-anchor signaling (RFC 8145 §5.1); *n gets how many. Borrowed.
 */
const uint16_t *val_anchor_key_tags(const struct val_anchor *t, size_t *n);

#endif
