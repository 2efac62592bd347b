/*
 * rrset.c - the RRset cache, used by the iterator (delegations, glue) and the
 * validator (DNSKEY, DS). Not on the client hot path: values are serialised
 * RRs, rebuilt into fresh ldns objects on lookup, outside the shard lock.
 *
 * Key: kind byte, lower-cased owner, type, class. Credibility follows
 * RFC 2181 §5.4.1: unexpired data is only replaced by data as trustworthy.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

/*
 * The value: this header, then nrr + nsig records, each a 32-bit length
 * (host order) and the record in uncompressed wire form with its TTL as
 * stored; RRSIGs come last.
 */
struct rrset_value {
	time_t stored_at;
	uint32_t nrr;
	uint32_t nsig;
	uint32_t trust;
};

/* Copy of a value taken under the shard lock, parsed after it is released. */
struct rrset_copy {
	uint8_t *blob;
	size_t len;
};

static size_t rrset_key(uint8_t *key, const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass)
{
	if (owner == NULL || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME)
		return 0;
	size_t n = ldns_rdf_size(owner);
	const uint8_t *name = ldns_rdf_data(owner);
	if (n == 0 || n > WIRE_DNAME_MAX || wire_dname_len(name) != n)
		return 0;
	key[0] = CACHE__KIND_RRSET;
	memcpy(key + 1, name, n);
	wire_dname_to_lower(key + 1);
	wire_write_u16(key + 1 + n, (uint16_t)type);
	wire_write_u16(key + 3 + n, (uint16_t)klass);
	return 5 + n;
}

/* Every record has the same owner, type and class; the signatures cover that set. */
static bool rrset_valid(const ldns_rr_list *rrset, const ldns_rr_list *sigs)
{
	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0)
		return false;
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	if (ldns_rr_owner(first) == NULL)
		return false;
	for (size_t i = 1; i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(first)) != 0)
			return false;
	}
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);
		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG || covered == NULL ||
		    ldns_rdf2rr_type(covered) != ldns_rr_get_type(first) ||
		    ldns_dname_compare(ldns_rr_owner(sig), ldns_rr_owner(first)) != 0)
			return false;
	}
	return true;
}

static uint32_t rrset_min_ttl(const ldns_rr_list *rrset)
{
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(rrset, i));
		if (t & 0x80000000u)
			t = 0; /* RFC 2181 §8 */
		if (t < ttl)
			ttl = t;
	}
	return ttl;
}

/* Append each record of list to buf with its owner lower-cased and its TTL at most max_ttl. */
static int rrset_append(ldns_buffer *buf, const ldns_rr_list *list, uint32_t max_ttl)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		size_t at = ldns_buffer_position(buf);
		/* ldns_buffer_write_*() do not grow the buffer: reserve first. */
		if (!ldns_buffer_reserve(buf, 4))
			return ERR_NOMEM;
		ldns_buffer_write_u32(buf, 0);
		if (ldns_rr2buffer_wire(buf, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
		    !ldns_buffer_status_ok(buf))
			return ERR_NOMEM;
		uint8_t *rec = ldns_buffer_at(buf, at + 4);
		uint32_t len = (uint32_t)(ldns_buffer_position(buf) - at - 4);
		memcpy(ldns_buffer_at(buf, at), &len, 4);
		size_t owner_len = ldns_rdf_size(ldns_rr_owner(rr));
		wire_dname_to_lower(rec);
		uint32_t ttl = wire_read_u32(rec + owner_len + 4);
		if ((ttl & 0x80000000u) || ttl > max_ttl)
			wire_write_u32(rec + owner_len + 4, ttl & 0x80000000u ? 0 : max_ttl);
	}
	return 0;
}

/* RFC 2181 §5.4.1: keep unexpired data that is more trustworthy than the new data. */
static bool rrset_keep_cb(const struct cache__entry *old, const struct cache__entry *new_e,
                          time_t now)
{
	const struct rrset_value *o = (const struct rrset_value *)cache__entry_cvalue(old);
	const struct rrset_value *n = (const struct rrset_value *)cache__entry_cvalue(new_e);
	return now < old->expiry && o->trust > n->trust;
}

static struct cache__entry *rrset_entry(const uint8_t *key, size_t klen, ldns_buffer *buf,
                                        const struct rrset_value *hdr, time_t expiry)
{
	size_t len = ldns_buffer_position(buf);
	struct cache__entry *e = cache__entry_new(key, klen, sizeof(*hdr) + len, expiry);
	if (e == NULL)
		return NULL;
	memcpy(cache__entry_value(e), hdr, sizeof(*hdr));
	memcpy(cache__entry_value(e) + sizeof(*hdr), ldns_buffer_begin(buf), len);
	return e;
}

int cache_rrset_store(struct cache *c, const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                      enum cache_trust trust, time_t now)
{
	if ((int)trust < (int)CACHE_TRUST_HINT || (int)trust > (int)CACHE_TRUST_ANSWER_AA ||
	    !rrset_valid(rrset, sigs))
		return ERR_INVAL;
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	uint8_t key[CACHE__KEY_MAX];
	size_t klen = rrset_key(key, ldns_rr_owner(first), ldns_rr_get_type(first),
	                        ldns_rr_get_class(first));
	if (klen == 0)
		return ERR_INVAL;
	uint32_t ttl = rrset_min_ttl(rrset);
	ldns_buffer *buf = ldns_buffer_new(512);
	if (buf == NULL)
		return ERR_NOMEM;
	int err = rrset_append(buf, rrset, ttl);
	if (err == 0)
		err = rrset_append(buf, sigs, ttl);
	if (err == 0 && ldns_buffer_position(buf) > UINT32_MAX / 2)
		err = ERR_SPACE;
	struct cache__entry *e = NULL;
	if (err == 0) {
		struct rrset_value hdr = {
		        .stored_at = now,
		        .nrr = (uint32_t)ldns_rr_list_rr_count(rrset),
		        .nsig = sigs != NULL ? (uint32_t)ldns_rr_list_rr_count(sigs) : 0,
		        .trust = (uint32_t)trust,
		};
		e = rrset_entry(key, klen, buf, &hdr, now + (time_t)ttl);
		if (e == NULL)
			err = ERR_NOMEM;
	}
	ldns_buffer_free(buf);
	if (err != 0)
		return err;
	return cache__insert(c, e, now, rrset_keep_cb);
}

/* Runs under the shard lock: take a private copy to parse once the lock is released. */
static int rrset_read_cb(const struct cache__entry *e, time_t now, void *arg)
{
	struct rrset_copy *copy = arg;
	copy->blob = malloc(e->vlen);
	if (copy->blob == NULL)
		return ERR_NOMEM;
	memcpy(copy->blob, cache__entry_cvalue(e), e->vlen);
	copy->len = e->vlen;
	return 0;
}

/* Parse n records of blob (len bytes) from *pos into a new list, TTLs counted down by elapsed. */
static ldns_rr_list *rrset_parse(const uint8_t *blob, size_t len, size_t *pos, uint32_t n,
                                 uint64_t elapsed)
{
	ldns_rr_list *list = ldns_rr_list_new();
	for (uint32_t i = 0; list != NULL && i < n; i++) {
		uint32_t rlen;
		ldns_rr *rr = NULL;
		size_t rpos = 0;
		if (len - *pos < 4)
			goto fail;
		memcpy(&rlen, blob + *pos, 4);
		*pos += 4;
		if (len - *pos < rlen || ldns_wire2rr(&rr, blob + *pos, rlen, &rpos,
		                                      LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			goto fail;
		*pos += rlen;
		uint32_t ttl = ldns_rr_ttl(rr);
		ldns_rr_set_ttl(rr, ttl > elapsed ? (uint32_t)(ttl - elapsed) : 0);
		if (!ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			goto fail;
		}
	}
	return list;
fail:
	ldns_rr_list_deep_free(list);
	return NULL;
}

/*
 * Rebuild the records of a value (len bytes, at least the header) as of now;
 * *sigs is filled when sigs is not NULL. 0 or ERR_FORMERR (also on no memory).
 */
static int rrset_decode(const uint8_t *blob, size_t len, time_t now, ldns_rr_list **rrs,
                        ldns_rr_list **sigs, enum cache_trust *trust)
{
	struct rrset_value hdr;
	if (len < sizeof(hdr))
		return ERR_FORMERR;
	memcpy(&hdr, blob, sizeof(hdr));
	uint64_t elapsed = now > hdr.stored_at ? (uint64_t)(now - hdr.stored_at) : 0;
	size_t pos = sizeof(hdr);
	*rrs = rrset_parse(blob, len, &pos, hdr.nrr, elapsed);
	if (*rrs == NULL)
		return ERR_FORMERR;
	if (sigs != NULL && hdr.nsig > 0) {
		*sigs = rrset_parse(blob, len, &pos, hdr.nsig, elapsed);
		if (*sigs == NULL) {
			ldns_rr_list_deep_free(*rrs);
			*rrs = NULL;
			return ERR_FORMERR;
		}
	}
	if (trust != NULL)
		*trust = (enum cache_trust)hdr.trust;
	return 0;
}

ldns_rr_list *cache_rrset_lookup(struct cache *c, const ldns_rdf *owner, ldns_rr_type type,
                                 ldns_rr_class klass, time_t now, enum cache_trust *trust,
                                 ldns_rr_list **sigs)
{
	if (sigs != NULL)
		*sigs = NULL;
	uint8_t key[CACHE__KEY_MAX];
	size_t klen = rrset_key(key, owner, type, klass);
	struct rrset_copy copy = {0};
	if (klen == 0 || cache__lookup(c, key, klen, now, rrset_read_cb, &copy) != 0)
		return NULL;
	ldns_rr_list *rrs = NULL;
	int rc = rrset_decode(copy.blob, copy.len, now, &rrs, sigs, trust);
	free(copy.blob);
	return rc == 0 ? rrs : NULL;
}

int cache__rrset_read(const struct cache__copy *e, time_t now, ldns_rr_list **rrs,
                      ldns_rr_list **sigs, enum cache_trust *trust)
{
	*sigs = NULL;
	return rrset_decode(e->value, e->vlen, now, rrs, sigs, trust);
}
