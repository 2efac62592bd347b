/*
 * nsec3.c - denial of existence with NSEC3 records (RFC 5155 §8, RFC 9276).
 *
 * Choices made here:
 * - The records used together must share hash algorithm, iterations and
 *   salt (RFC 5155 §8.2 speaks of one NSEC3 chain); the parameters of the
 *   first usable record are taken and records with other parameters are
 *   ignored. Records with an unknown hash algorithm (§8.1), flags other
 *   than Opt-Out (§8.2), a malformed RDATA or an owner that is not one
 *   hash label directly below the zone (§3) are ignored.
 * - Iterations above the configured limit give VAL_PROOF_ITERATIONS before
 *   any hash is computed (RFC 9276 §3.2); every hash computed draws one from
 *   the question's budget (CVE-2023-50868).
 * - Whenever a proof rests on an Opt-Out NSEC3 covering the next closer
 *   name, the result is VAL_PROOF_OPTOUT, not a secure denial: such a record
 *   may span unsigned delegations (RFC 5155 §6, §9.2), so the next closer
 *   name may be one, with anything below it. That is the DS case of §8.6,
 *   the empty non-terminal of RFC 5155 erratum 3441 (§8.5), and also name
 *   errors, wildcard no-data and wildcard answers, which §8.4, §8.7 and §8.8
 *   do not single out but which rest on the same unprovable absence.
 *
 * Nothing here allocates; each lookup walks the (short) record list again
 * rather than copying it.
 */
#include "config.h"

#include <string.h>

#include "mangrove/validator.h"
#include "mangrove/wire.h"
#include "val_internal.h"

#define HASH_LEN VAL__NSEC3_HASH_LEN
/* A SHA-1 hash is 32 base32hex digits (RFC 5155 §3.3, RFC 4648 §7). */
#define HASH_LABEL_LEN 32

/* ---- base32hex ---- */

static int base32hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'v')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'V')
		return c - 'A' + 10;
	return -1;
}

int val__base32hex_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = base32hex_digit(in[i]);
		if (v < 0)
			return -1;
		acc = ((acc << 5) | (uint32_t)v) & 0x1fff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Unpadded: fewer than 5 bits may remain, and they must be zero (RFC 4648 §3.5). */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)n;
}

/* ---- records ---- */

/* One usable NSEC3 record; pointers borrow from the ldns record. */
struct nsec3 {
	uint8_t owner[HASH_LEN]; /* decoded from the first owner label */
	const uint8_t *next;     /* HASH_LEN bytes */
	const uint8_t *salt;
	const uint8_t *bitmap;
	size_t bitmap_len;
	uint16_t iterations;
	uint8_t salt_len;
	uint8_t flags;
};

/* The parameters every record used in one proof shares, and the question. */
struct nsec3_set {
	const struct val_denial *d;
	uint16_t iterations;
	const uint8_t *salt;
	uint8_t salt_len;
};

/* Owner: one base32hex hash label prepended to the zone (RFC 5155 §3). */
static bool nsec3_parse_owner(const ldns_rr *rr, const uint8_t *zone, struct nsec3 *out)
{
	const uint8_t *owner = val__rdf_dname(ldns_rr_owner(rr));
	if (owner == NULL || owner[0] != HASH_LABEL_LEN ||
	    !wire_dname_equal(owner + 1 + HASH_LABEL_LEN, zone))
		return false;
	return val__base32hex_decode(owner + 1, HASH_LABEL_LEN, out->owner, HASH_LEN) == HASH_LEN;
}

/* RDATA (RFC 5155 §3.2): algorithm, flags, iterations, salt, next hash, type bitmap. */
static bool nsec3_parse_rdata(const ldns_rr *rr, struct nsec3 *out)
{
	size_t rdc = ldns_rr_rd_count(rr);
	if (rdc != 5 && rdc != 6)
		return false;
	const ldns_rdf *f[6] = {NULL};
	for (size_t i = 0; i < rdc; i++) {
		f[i] = ldns_rr_rdf(rr, i);
		if (f[i] == NULL || (ldns_rdf_size(f[i]) > 0 && ldns_rdf_data(f[i]) == NULL))
			return false;
	}
	if (ldns_rdf_size(f[0]) != 1 || ldns_rdf_size(f[1]) != 1 || ldns_rdf_size(f[2]) != 2)
		return false;
	/* §8.1: unknown hash algorithms are ignored; §8.2: so are unknown flags. */
	if (ldns_rdf_data(f[0])[0] != VAL__NSEC3_HASH_SHA1)
		return false;
	out->flags = ldns_rdf_data(f[1])[0];
	if ((out->flags & ~VAL__NSEC3_OPTOUT) != 0)
		return false;
	out->iterations = wire_read_u16(ldns_rdf_data(f[2]));
	/* ldns keeps the salt and the next hash with their length byte in front. */
	const uint8_t *salt = ldns_rdf_data(f[3]);
	const uint8_t *next = ldns_rdf_data(f[4]);
	if (ldns_rdf_size(f[3]) < 1 || salt[0] != ldns_rdf_size(f[3]) - 1 ||
	    ldns_rdf_size(f[4]) != 1 + HASH_LEN || next[0] != HASH_LEN)
		return false;
	out->salt_len = salt[0];
	out->salt = salt + 1;
	out->next = next + 1;
	out->bitmap = rdc == 6 ? ldns_rdf_data(f[5]) : NULL;
	out->bitmap_len = rdc == 6 ? ldns_rdf_size(f[5]) : 0;
	return val__bitmap_valid(out->bitmap, out->bitmap_len);
}

static bool nsec3_parse(const ldns_rr *rr, const uint8_t *zone, struct nsec3 *out)
{
	return rr != NULL && ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 &&
	       nsec3_parse_owner(rr, zone, out) && nsec3_parse_rdata(rr, out);
}

/* Take the parameters of the first usable record; false when there is none. */
static bool nsec3_set_init(struct nsec3_set *s, const struct val_denial *d)
{
	size_t count = ldns_rr_list_rr_count(d->records);
	for (size_t i = 0; i < count; i++) {
		struct nsec3 n;
		if (!nsec3_parse(ldns_rr_list_rr(d->records, i), d->zone, &n))
			continue;
		s->d = d;
		s->iterations = n.iterations;
		s->salt = n.salt;
		s->salt_len = n.salt_len;
		return true;
	}
	return false;
}

static bool nsec3_in_set(const struct nsec3_set *s, const struct nsec3 *n)
{
	return n->iterations == s->iterations && n->salt_len == s->salt_len &&
	       memcmp(n->salt, s->salt, s->salt_len) == 0;
}

/*
 * Does the record cover hash h? Owner < h < next, byte-wise; the last
 * record of the chain points back to the first (RFC 5155 §3.1.7), so its
 * range wraps around the end of the hash space.
 */
static bool nsec3_covers(const struct nsec3 *n, const uint8_t h[HASH_LEN])
{
	int lo = memcmp(n->owner, h, HASH_LEN);
	int hi = memcmp(h, n->next, HASH_LEN);
	if (memcmp(n->owner, n->next, HASH_LEN) < 0)
		return lo < 0 && hi < 0;
	return lo < 0 || hi < 0;
}

/* The first record of the set that matches (cover false) or covers (cover true) h. */
static bool nsec3_find(const struct nsec3_set *s, const uint8_t h[HASH_LEN], bool cover,
                       struct nsec3 *out)
{
	size_t count = ldns_rr_list_rr_count(s->d->records);
	for (size_t i = 0; i < count; i++) {
		if (!nsec3_parse(ldns_rr_list_rr(s->d->records, i), s->d->zone, out) ||
		    !nsec3_in_set(s, out))
			continue;
		if (cover ? nsec3_covers(out, h) : memcmp(out->owner, h, HASH_LEN) == 0)
			return true;
	}
	return false;
}

/* ---- hashing under the budget ---- */

/*
 * Hash name with the set's parameters into out. False with *fail set when
 * there is no hash: VAL_PROOF_BUDGET when the question may hash no more (the
 * budget is then marked exhausted), VAL_PROOF_NONE when hashing failed. A
 * NULL budget sets no limit.
 */
static bool nsec3_hash(const struct nsec3_set *s, const uint8_t *name, uint8_t out[HASH_LEN],
                       enum val_proof *fail)
{
	struct val_budget *b = s->d->budget;
	if (b != NULL) {
		if (b->nsec3_hashes == 0) {
			b->exhausted = true;
			*fail = VAL_PROOF_BUDGET;
			return false;
		}
		b->nsec3_hashes--;
	}
	if (val_nsec3_hash(name, VAL__NSEC3_HASH_SHA1, s->iterations, s->salt, s->salt_len, out) !=
	    0) {
		*fail = VAL_PROOF_NONE;
		return false;
	}
	return true;
}

/* ---- proofs ---- */

struct nsec3_ce {
	const uint8_t *name; /* the closest provable encloser, a suffix of qname */
	bool optout;         /* the next closer name is covered by an Opt-Out record */
};

/*
 * RFC 5155 §8.3: walk up from qname's parent to the zone apex; the first
 * ancestor with a matching record is the closest provable encloser, and the
 * name one label longer (the next closer name) must be covered. hq is the
 * hash of qname. Returns VAL_PROOF_BUDGET, or VAL_PROOF_NONE with ce->name
 * set to the encloser, or to NULL when the records prove none.
 */
static enum val_proof nsec3_closest_encloser(const struct nsec3_set *s, const uint8_t hq[HASH_LEN],
                                             struct nsec3_ce *ce)
{
	const struct val_denial *d = s->d;
	uint8_t child[HASH_LEN], h[HASH_LEN];
	memcpy(child, hq, HASH_LEN);
	unsigned zone_labels = wire_dname_labels(d->zone);
	const uint8_t *name = d->qname;
	ce->name = NULL;
	for (unsigned n = wire_dname_labels(name); n > zone_labels; n--) {
		name = wire_dname_parent(name);
		enum val_proof fail;
		if (!nsec3_hash(s, name, h, &fail))
			return fail;
		struct nsec3 m, nc;
		if (!nsec3_find(s, h, false, &m)) {
			memcpy(child, h, HASH_LEN);
			continue;
		}
		/* Step 5: a match without a covered next closer name is bogus. */
		if (!nsec3_find(s, child, true, &nc))
			return VAL_PROOF_NONE;
		/* The encloser's record must be from this zone: no DNAME, NS only at the apex. */
		if (val__bitmap_has_type(m.bitmap, m.bitmap_len, WIRE_TYPE_DNAME) ||
		    (val__bitmap_has_type(m.bitmap, m.bitmap_len, WIRE_TYPE_NS) &&
		     !val__bitmap_has_type(m.bitmap, m.bitmap_len, WIRE_TYPE_SOA)))
			return VAL_PROOF_NONE;
		ce->name = name;
		ce->optout = (nc.flags & VAL__NSEC3_OPTOUT) != 0;
		return VAL_PROOF_NONE;
	}
	return VAL_PROOF_NONE;
}

/* RFC 5155 §8.4 and §8.7: what the records say of the wildcard at the closest encloser. */
static enum val_proof nsec3_wildcard_at(const struct nsec3_set *s, const uint8_t *ce)
{
	uint8_t wildcard[WIRE_DNAME_MAX], h[HASH_LEN];
	enum val_proof fail;
	if (!val__dname_wildcard(ce, wildcard))
		return VAL_PROOF_NONE;
	if (!nsec3_hash(s, wildcard, h, &fail))
		return fail;
	struct nsec3 w;
	if (nsec3_find(s, h, false, &w))
		return val__bitmap_wildcard_nodata(s->d, w.bitmap, w.bitmap_len);
	if (nsec3_find(s, h, true, &w))
		return VAL_PROOF_NXDOMAIN;
	return VAL_PROOF_NONE;
}

enum val_proof val__nsec3_prove(const struct val_denial *d)
{
	struct nsec3_set s;
	if (!nsec3_set_init(&s, d))
		return VAL_PROOF_NONE;
	/* RFC 9276 §3.2: over the limit, decided before any hashing. */
	if (s.iterations > d->nsec3_max_iterations)
		return VAL_PROOF_ITERATIONS;
	uint8_t h[HASH_LEN];
	enum val_proof fail;
	if (!nsec3_hash(&s, d->qname, h, &fail))
		return fail;
	struct nsec3 m;
	/* §8.5, §8.6: a record matching qname lists its types (none for an empty non-terminal). */
	if (nsec3_find(&s, h, false, &m))
		return val__bitmap_nodata(d, m.bitmap, m.bitmap_len);
	struct nsec3_ce ce;
	enum val_proof p = nsec3_closest_encloser(&s, h, &ce);
	if (p != VAL_PROOF_NONE || ce.name == NULL)
		return p;
	/* §8.6 for DS, erratum 3441 for other types, and see the file comment. */
	if (ce.optout)
		return VAL_PROOF_OPTOUT;
	return nsec3_wildcard_at(&s, ce.name);
}

enum val_proof val__nsec3_wildcard(const struct val_denial *d, unsigned labels)
{
	struct nsec3_set s;
	if (!nsec3_set_init(&s, d))
		return VAL_PROOF_NONE;
	if (s.iterations > d->nsec3_max_iterations)
		return VAL_PROOF_ITERATIONS;
	/* §8.8: the next closer name, one label below the closest encloser, must be covered. */
	const uint8_t *next_closer = wire_dname_suffix(d->qname, labels + 1);
	uint8_t h[HASH_LEN];
	enum val_proof fail;
	if (!nsec3_hash(&s, next_closer, h, &fail))
		return fail;
	struct nsec3 c;
	if (!nsec3_find(&s, h, true, &c))
		return VAL_PROOF_NONE;
	return (c.flags & VAL__NSEC3_OPTOUT) != 0 ? VAL_PROOF_OPTOUT : VAL_PROOF_WILDCARD_ANSWER;
}
