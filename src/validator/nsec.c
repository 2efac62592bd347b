/*
 * nsec.c - denial of existence with NSEC records (RFC 4034 §4, RFC 4035
 * §5.4, RFC 6840 §4), the entry points that choose between NSEC and NSEC3,
 * and the name and type-bitmap helpers both kinds of proof share.
 *
 * The records were signature-checked by the caller; this file only decides
 * what they prove. Non-goals: fetching missing proofs, caching NSEC ranges
 * for aggressive use (RFC 8198).
 */
#include "config.h"

#include <string.h>

#include "mangrove/validator.h"
#include "mangrove/wire.h"
#include "val_internal.h"

#define LABEL_MAX 63

/* ---- names ---- */

bool val__dname_valid(const uint8_t *data, size_t len)
{
	if (data == NULL || len == 0 || len > WIRE_DNAME_MAX)
		return false;
	size_t i = 0;
	while (i < len) {
		uint8_t l = data[i];
		if (l == 0)
			return i + 1 == len;
		if (l > LABEL_MAX)
			return false;
		i += 1 + (size_t)l;
	}
	return false;
}

const uint8_t *val__rdf_dname(const ldns_rdf *rdf)
{
	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	const uint8_t *data = ldns_rdf_data(rdf);
	return val__dname_valid(data, ldns_rdf_size(rdf)) ? data : NULL;
}

unsigned val__dname_common_labels(const uint8_t *a, const uint8_t *b)
{
	unsigned na = wire_dname_labels(a);
	unsigned nb = wire_dname_labels(b);
	unsigned n = na < nb ? na : nb;
	unsigned k = 0;
	while (k < n && wire_dname_equal(wire_dname_suffix(a, k + 1), wire_dname_suffix(b, k + 1)))
		k++;
	return k;
}

bool val__dname_wildcard(const uint8_t *name, uint8_t out[WIRE_DNAME_MAX])
{
	size_t len = wire_dname_len(name);
	if (len + 2 > WIRE_DNAME_MAX)
		return false;
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, name, len);
	return true;
}

/* ---- type bitmaps ---- */

bool val__bitmap_valid(const uint8_t *bitmap, size_t len)
{
	size_t i = 0;
	int last = -1;
	while (i < len) {
		if (len - i < 2)
			return false;
		uint8_t window = bitmap[i];
		uint8_t n = bitmap[i + 1];
		if (n == 0 || n > 32 || (int)window <= last || len - i - 2 < n)
			return false;
		last = window;
		i += 2 + (size_t)n;
	}
	return true;
}

bool val__bitmap_has_type(const uint8_t *bitmap, size_t len, uint16_t type)
{
	uint8_t window = (uint8_t)(type >> 8);
	uint8_t bit = (uint8_t)type;
	size_t i = 0;
	while (len - i >= 2) {
		uint8_t n = bitmap[i + 1];
		if (len - i - 2 < n)
			return false;
		if (bitmap[i] == window)
			return bit / 8 < n && (bitmap[i + 2 + bit / 8] & (0x80 >> (bit % 8))) != 0;
		i += 2 + (size_t)n;
	}
	return false;
}

/* An NSEC or NSEC3 from the parent side of a zone cut: NS without SOA. */
static bool bitmap_is_delegation(const uint8_t *bitmap, size_t len)
{
	return val__bitmap_has_type(bitmap, len, WIRE_TYPE_NS) &&
	       !val__bitmap_has_type(bitmap, len, WIRE_TYPE_SOA);
}

/* The type is absent and so is a CNAME that would have answered instead (RFC 6840 §4.3). */
static bool bitmap_lacks_qtype(const struct val_denial *d, const uint8_t *bitmap, size_t len)
{
	return !val__bitmap_has_type(bitmap, len, d->qtype) &&
	       !val__bitmap_has_type(bitmap, len, WIRE_TYPE_CNAME);
}

enum val_proof val__bitmap_nodata(const struct val_denial *d, const uint8_t *bitmap, size_t len)
{
	if (!bitmap_lacks_qtype(d, bitmap, len))
		return VAL_PROOF_NONE;
	bool cut = bitmap_is_delegation(bitmap, len);
	if (d->qtype != WIRE_TYPE_DS) {
		/*
		 * RFC 6840 §4.1, RFC 4035 §2.3: at a zone cut the parent is
		 * authoritative only for DS (and the NSEC itself); every other
		 * type lives in the child, which this record cannot speak for.
		 */
		return cut ? VAL_PROOF_NONE : VAL_PROOF_NODATA;
	}
	/*
	 * DS lives on the parent side (RFC 4035 §3.1.4.1): a record with SOA is
	 * the child's apex and proves nothing about the DS above it (RFC 4035
	 * Appendix B.8, RFC 5155 Appendix B.6).
	 */
	if (val__bitmap_has_type(bitmap, len, WIRE_TYPE_SOA))
		return VAL_PROOF_NONE;
	/* RFC 4035 §5.2, RFC 6840 §4.4: NS present, DS and SOA absent: an unsigned delegation. */
	return cut ? VAL_PROOF_NO_DS : VAL_PROOF_NODATA;
}

enum val_proof val__bitmap_wildcard_nodata(const struct val_denial *d, const uint8_t *bitmap,
                                           size_t len)
{
	/* RFC 4035 §3.1.3.4, RFC 5155 §8.7: the wildcard that would have matched lacks the type. */
	if (!bitmap_lacks_qtype(d, bitmap, len) || bitmap_is_delegation(bitmap, len))
		return VAL_PROOF_NONE;
	return VAL_PROOF_WILDCARD_NODATA;
}

/* ---- NSEC records ---- */

/* One usable NSEC record; pointers borrow from the ldns record. */
struct nsec {
	const uint8_t *owner;
	const uint8_t *next;
	const uint8_t *bitmap;
	size_t bitmap_len;
};

/*
 * An NSEC whose owner and next name are inside the zone and whose RDATA is
 * well formed: RFC 4034 §4.1 (next name, then the type bitmap). An NSEC is
 * only meaningful inside its signer's zone (RFC 4035 §5.4). Anything else
 * is skipped.
 */
static bool nsec_parse(const ldns_rr *rr, const uint8_t *zone, struct nsec *out)
{
	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC)
		return false;
	size_t rdc = ldns_rr_rd_count(rr);
	if (rdc < 1 || rdc > 2)
		return false;
	out->owner = val__rdf_dname(ldns_rr_owner(rr));
	out->next = val__rdf_dname(ldns_rr_rdf(rr, 0));
	if (out->owner == NULL || out->next == NULL || !wire_dname_is_subdomain(out->owner, zone) ||
	    !wire_dname_is_subdomain(out->next, zone))
		return false;
	out->bitmap = NULL;
	out->bitmap_len = 0;
	if (rdc == 2) {
		const ldns_rdf *bm = ldns_rr_rdf(rr, 1);
		if (bm == NULL)
			return false;
		out->bitmap = ldns_rdf_data(bm);
		out->bitmap_len = ldns_rdf_size(bm);
		if (out->bitmap_len > 0 && out->bitmap == NULL)
			return false;
	}
	return val__bitmap_valid(out->bitmap, out->bitmap_len);
}

/*
 * Does the NSEC cover name, i.e. prove it absent? RFC 4034 §4.1.1 and §6.1:
 * owner < name < next in canonical order, where the last NSEC of the zone
 * points back to the apex, so its range runs to the end of the zone.
 */
static bool nsec_covers(const struct nsec *n, const uint8_t *name)
{
	int lo = wire_dname_canonical_cmp(n->owner, name);
	int hi = wire_dname_canonical_cmp(name, n->next);
	bool in;
	if (wire_dname_canonical_cmp(n->owner, n->next) < 0)
		in = lo < 0 && hi < 0;
	else
		in = lo < 0 || hi < 0;
	if (!in)
		return false;
	/*
	 * RFC 6840 §4.1: an NSEC at a zone cut (NS without SOA) or at a DNAME
	 * must not deny anything below its owner: those names are in the
	 * child zone, or are redirected, whatever the canonical order says.
	 */
	if (wire_dname_is_subdomain(name, n->owner) &&
	    (bitmap_is_delegation(n->bitmap, n->bitmap_len) ||
	     val__bitmap_has_type(n->bitmap, n->bitmap_len, WIRE_TYPE_DNAME)))
		return false;
	return true;
}

/* The first usable NSEC owned by name. */
static bool nsec_find_owner(const struct val_denial *d, const uint8_t *name, struct nsec *out)
{
	size_t count = ldns_rr_list_rr_count(d->records);
	for (size_t i = 0; i < count; i++) {
		if (nsec_parse(ldns_rr_list_rr(d->records, i), d->zone, out) &&
		    wire_dname_equal(out->owner, name))
			return true;
	}
	return false;
}

/* The first usable NSEC that covers name. */
static bool nsec_find_cover(const struct val_denial *d, const uint8_t *name, struct nsec *out)
{
	size_t count = ldns_rr_list_rr_count(d->records);
	for (size_t i = 0; i < count; i++) {
		if (nsec_parse(ldns_rr_list_rr(d->records, i), d->zone, out) &&
		    nsec_covers(out, name))
			return true;
	}
	return false;
}

/*
 * The closest encloser shown by an NSEC covering qname (RFC 4592 §3.3.1,
 * RFC 4035 §5.4): owner and next exist, so do their ancestors; every
 * ancestor of qname deeper than both common ancestors sorts between owner
 * and next, so it does not exist. Returns the encloser's label count.
 */
static unsigned nsec_ce_labels(const struct nsec *n, const uint8_t *qname)
{
	unsigned a = val__dname_common_labels(qname, n->owner);
	unsigned b = val__dname_common_labels(qname, n->next);
	return a > b ? a : b;
}

enum val_proof val__nsec_prove(const struct val_denial *d)
{
	struct nsec n;
	/* RFC 4035 §5.4: the NSEC at qname lists every type present there. */
	if (nsec_find_owner(d, d->qname, &n))
		return val__bitmap_nodata(d, n.bitmap, n.bitmap_len);
	if (!nsec_find_cover(d, d->qname, &n))
		return VAL_PROOF_NONE;
	/*
	 * The next name lies below qname: qname is an empty non-terminal. It
	 * exists (RFC 4592 §2.2.2, RFC 8020 §2) and owns no type at all.
	 */
	if (!wire_dname_equal(n.next, d->qname) && wire_dname_is_subdomain(n.next, d->qname))
		return VAL_PROOF_NODATA;
	/* RFC 4035 §5.4: no wildcard at the closest encloser could have answered. */
	const uint8_t *ce = wire_dname_suffix(d->qname, nsec_ce_labels(&n, d->qname));
	uint8_t wildcard[WIRE_DNAME_MAX];
	if (!val__dname_wildcard(ce, wildcard))
		return VAL_PROOF_NONE;
	if (nsec_find_owner(d, wildcard, &n))
		return val__bitmap_wildcard_nodata(d, n.bitmap, n.bitmap_len);
	if (nsec_find_cover(d, wildcard, &n))
		return VAL_PROOF_NXDOMAIN;
	return VAL_PROOF_NONE;
}

enum val_proof val__nsec_wildcard(const struct val_denial *d, unsigned labels)
{
	/*
	 * RFC 4035 §5.3.4: qname itself must not exist, and no name closer to
	 * it than the wildcard's parent may exist either (else that closer
	 * name, not this wildcard, would have been the source of synthesis).
	 */
	struct nsec n;
	if (!nsec_find_cover(d, d->qname, &n))
		return VAL_PROOF_NONE;
	return nsec_ce_labels(&n, d->qname) == labels ? VAL_PROOF_WILDCARD_ANSWER : VAL_PROOF_NONE;
}

/* ---- entry points ---- */

static bool denial_usable(const struct val_denial *d)
{
	return d != NULL && d->records != NULL && d->zone != NULL && d->qname != NULL &&
	       wire_dname_is_subdomain(d->qname, d->zone);
}

enum val_proof val_denial_prove(const struct val_denial *d)
{
	if (!denial_usable(d))
		return VAL_PROOF_NONE;
	/* NSEC is tried first: it costs no hashing. A zone may carry both chains. */
	enum val_proof p = val__nsec_prove(d);
	if (p != VAL_PROOF_NONE)
		return p;
	return val__nsec3_prove(d);
}

enum val_proof val_denial_wildcard(const struct val_denial *d, unsigned labels)
{
	if (!denial_usable(d))
		return VAL_PROOF_NONE;
	unsigned qlabels = wire_dname_labels(d->qname);
	if (labels >= qlabels || labels < wire_dname_labels(d->zone))
		return VAL_PROOF_NONE;
	/*
	 * The labels field never counts a leading "*" (RFC 4034 §3.1.3): a
	 * question for the wildcard name itself is answered by the wildcard's
	 * own RRset, which exists; there is nothing to deny.
	 */
	if (labels + 1 == qlabels && d->qname[0] == 1 && d->qname[1] == '*')
		return VAL_PROOF_WILDCARD_ANSWER;
	enum val_proof p = val__nsec_wildcard(d, labels);
	if (p != VAL_PROOF_NONE)
		return p;
	return val__nsec3_wildcard(d, labels);
}

const char *val_proof_name(enum val_proof p)
{
	switch (p) {
	case VAL_PROOF_NONE:
		return "none";
	case VAL_PROOF_NXDOMAIN:
		return "nxdomain";
	case VAL_PROOF_NODATA:
		return "nodata";
	case VAL_PROOF_WILDCARD_NODATA:
		return "wildcard-nodata";
	case VAL_PROOF_NO_DS:
		return "no-ds";
	case VAL_PROOF_OPTOUT:
		return "opt-out";
	case VAL_PROOF_WILDCARD_ANSWER:
		return "wildcard-answer";
	case VAL_PROOF_ITERATIONS:
		return "nsec3-iterations";
	case VAL_PROOF_BUDGET:
		return "budget";
	}
	return "unknown";
}
