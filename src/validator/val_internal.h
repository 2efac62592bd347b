/*
 * val_internal.h - what the validator's source files share (prefix val__).
 * The validator's interface is include/mangrove/validator.h; nothing here is
 * for other modules.
 *
 * Names are uncompressed wire names. Functions taking a bare name expect a
 * valid one; data from records goes through val__rdf_dname() first.
 */
#ifndef MANGROVE_VAL_INTERNAL_H
#define MANGROVE_VAL_INTERNAL_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/validator.h"
#include "mangrove/wire.h"

/* SHA-1, the only NSEC3 hash algorithm (RFC 5155 §11). */
#define VAL__NSEC3_HASH_SHA1 1
#define VAL__NSEC3_HASH_LEN  20
/* The Opt-Out bit of the NSEC3 flags field (RFC 5155 §3.1.2.1). */
#define VAL__NSEC3_OPTOUT 0x01

/* ---- names and type bitmaps (nsec.c) ---- */

/** True when data[0, len) is exactly one valid uncompressed wire name. */
bool val__dname_valid(const uint8_t *data, size_t len);
/** The name held by a DNAME rdf when it is well formed, else NULL (rdf may be NULL). */
const uint8_t *val__rdf_dname(const ldns_rdf *rdf);
/** How many labels a and b share, counted from the root. */
unsigned val__dname_common_labels(const uint8_t *a, const uint8_t *b);
/** Write "*." + name into out (WIRE_DNAME_MAX bytes); false when it would not fit. */
bool val__dname_wildcard(const uint8_t *name, uint8_t out[WIRE_DNAME_MAX]);
/** Is a type bitmap well formed (RFC 4034 §4.1.2: windows ascending, 1-32 bytes each)? */
bool val__bitmap_valid(const uint8_t *bitmap, size_t len);
/** Does a well-formed type bitmap list type? */
bool val__bitmap_has_type(const uint8_t *bitmap, size_t len, uint16_t type);
/**
 * What the NSEC or NSEC3 record whose (original) owner is d->qname proves
 * with its bitmap: NODATA, NO_DS (a DS question at an unsigned delegation)
 * or NONE.
 */
enum val_proof val__bitmap_nodata(const struct val_denial *d, const uint8_t *bitmap, size_t len);
/** What the record of the wildcard at the closest encloser proves: WILDCARD_NODATA or NONE. */
enum val_proof val__bitmap_wildcard_nodata(const struct val_denial *d, const uint8_t *bitmap,
                                           size_t len);

/* ---- the proofs, called by the dispatcher in nsec.c ---- */

/** val_denial_prove() with the NSEC records of d->records (RFC 4035 §5.4). */
enum val_proof val__nsec_prove(const struct val_denial *d);
/** val_denial_wildcard() with NSEC records; labels is already checked against qname and zone. */
enum val_proof val__nsec_wildcard(const struct val_denial *d, unsigned labels);
/** val_denial_prove() with the NSEC3 records of d->records (RFC 5155 §8). */
enum val_proof val__nsec3_prove(const struct val_denial *d);
/** val_denial_wildcard() with NSEC3 records (RFC 5155 §8.8); labels already checked. */
enum val_proof val__nsec3_wildcard(const struct val_denial *d, unsigned labels);

/* ---- base32hex (nsec3.c) ---- */

/**
 * Decode unpadded, case-insensitive base32hex (RFC 4648 §7) into out.
 * Returns the bytes written, or -1 for a bad digit, non-zero trailing bits
 * or an output larger than cap.
 */
int val__base32hex_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
