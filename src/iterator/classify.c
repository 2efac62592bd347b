/*
 * classify.c - what a reply means for the question asked: an answer, a
 * CNAME/DNAME chain to follow, NXDOMAIN, NODATA, a referral, or a server
 * problem (truncation, EDNS trouble, lameness, SERVFAIL).
 *
 * Only records inside the zone of the server that sent them are believed
 * (RFC 2181 §5.4.1): a server for example.test cannot tell us about
 * other.test, and whatever it says about it is neither used nor cached.
 */
#include "config.h"

#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/log.h"
#include "iter_internal.h"

static const char *const class_names[ITER_CLS_MAX_] = {
        [ITER_CLS_ANSWER] = "answer",           [ITER_CLS_CNAME] = "cname",
        [ITER_CLS_NXDOMAIN] = "nxdomain",       [ITER_CLS_NODATA] = "nodata",
        [ITER_CLS_REFERRAL] = "referral",       [ITER_CLS_TRUNCATED] = "truncated",
        [ITER_CLS_EDNS_FAIL] = "edns-fail",     [ITER_CLS_LAME] = "lame",
        [ITER_CLS_SERVER_FAIL] = "server-fail",
};

const char *iter__class_name(enum iter_class c)
{
	return c < ITER_CLS_MAX_ ? class_names[c] : "?";
}

static bool rr_in_zone(const ldns_rr *rr, const uint8_t *zone)
{
	return wire_dname_is_subdomain(iter__owner(rr), zone);
}

void iter__cache_section(struct iter *it, const ldns_rr_list *rrs, const uint8_t *zone,
                         enum cache_trust trust)
{
	size_t n = rrs == NULL ? 0 : ldns_rr_list_rr_count(rrs);
	bool done[n > 0 ? n : 1];
	memset(done, 0, sizeof(done));
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *first = ldns_rr_list_rr(rrs, i);
		ldns_rr_type type = ldns_rr_get_type(first);
		if (done[i] || type == LDNS_RR_TYPE_RRSIG || type == LDNS_RR_TYPE_OPT ||
		    !rr_in_zone(first, zone))
			continue;
		ldns_rr_list *set = ldns_rr_list_new();
		if (set == NULL)
			return;
		for (size_t j = i; j < n; j++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, j);
			if (ldns_rr_get_type(rr) == type &&
			    ldns_rr_get_class(rr) == ldns_rr_get_class(first) &&
			    wire_dname_equal(iter__owner(rr), iter__owner(first))) {
				done[j] = true;
				ldns_rr_list_push_rr(set, (ldns_rr *)rr);
			}
		}
		cache_rrset_store(it->env->cache, set, NULL, trust, clock_wall());
		ldns_rr_list_free(set); /* the records belong to rrs */
	}
}

/* Copy into dst every record of sec with this owner and type that lies in zone. */
static size_t take_rrset(ldns_rr_list *dst, const ldns_rr_list *sec, const uint8_t *owner,
                         uint16_t type, const uint8_t *zone)
{
	size_t found = 0;
	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(rr) != type || !wire_dname_equal(iter__owner(rr), owner) ||
		    !rr_in_zone(rr, zone))
			continue;
		ldns_rr *copy = ldns_rr_clone(rr);
		if (copy == NULL || !ldns_rr_list_push_rr(dst, copy)) {
			ldns_rr_free(copy);
			break;
		}
		found++;
	}
	return found;
}

static const ldns_rr *find_rr(const ldns_rr_list *sec, const uint8_t *owner, uint16_t type,
                              const uint8_t *zone)
{
	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(rr) == type && wire_dname_equal(iter__owner(rr), owner) &&
		    rr_in_zone(rr, zone))
			return rr;
	}
	return NULL;
}

/* A DNAME in the answer whose owner is a proper ancestor of name (RFC 6672 §2.2). */
static const ldns_rr *find_dname(const ldns_rr_list *sec, const uint8_t *name, const uint8_t *zone)
{
	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME && rr_in_zone(rr, zone) &&
		    ldns_rr_rd_count(rr) == 1 && wire_dname_is_subdomain(name, iter__owner(rr)) &&
		    !wire_dname_equal(name, iter__owner(rr)))
			return rr;
	}
	return NULL;
}

/*
 * Replace the owner suffix of name by the DNAME target and add the DNAME and
 * a CNAME we synthesise ourselves (RFC 6672 §3.3: the server's CNAME is not
 * trusted). False when the new name would exceed 255 bytes.
 */
static bool apply_dname(struct iter_task *t, const ldns_rr *dname, uint8_t *name)
{
	const uint8_t *owner = iter__owner(dname);
	const uint8_t *target = iter__rdf_name(ldns_rr_rdf(dname, 0));
	size_t keep = wire_dname_len(name) - wire_dname_len(owner);
	size_t tlen = wire_dname_len(target);
	if (keep + tlen > WIRE_DNAME_MAX)
		return false;
	uint8_t out[WIRE_DNAME_MAX];
	memcpy(out, name, keep);
	memcpy(out + keep, target, tlen);
	ldns_rr *cname = ldns_rr_new();
	ldns_rr *dcopy = ldns_rr_clone(dname);
	if (cname == NULL || dcopy == NULL) {
		ldns_rr_free(cname);
		ldns_rr_free(dcopy);
		return false;
	}
	ldns_rr_set_owner(cname, ldns_dname_new_frm_data((uint16_t)wire_dname_len(name), name));
	ldns_rr_set_type(cname, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(cname, ldns_rr_get_class(dname));
	ldns_rr_set_ttl(cname, ldns_rr_ttl(dname));
	ldns_rr_push_rdf(cname, ldns_dname_new_frm_data((uint16_t)(keep + tlen), out));
	ldns_rr_list_push_rr(t->answer, dcopy);
	ldns_rr_list_push_rr(t->answer, cname);
	memcpy(name, out, keep + tlen);
	return true;
}

enum chain_result {
	CHAIN_NONE = 0, /* nothing about the name in the answer section */
	CHAIN_FOUND,    /* the asked RRset is in t->answer */
	CHAIN_MOVED,    /* a CNAME/DNAME chain ends at t->qname, not answered here */
};

/* Follow CNAME/DNAME records inside this reply from t->qname (RFC 1034 §4.3.2). */
static enum chain_result follow_chain(struct iter *it, struct iter_task *t)
{
	const ldns_rr_list *ans = ldns_pkt_answer(t->reply);
	const uint8_t *zone = t->dp->zone;
	unsigned max = it->env->conf->max_cname_chain;
	bool moved = false;
	while (t->chain <= max) {
		if (take_rrset(t->answer, ans, t->qname, t->qtype, zone) > 0)
			return CHAIN_FOUND;
		/* RFC 6672 §3.4: the DNAME decides, not the CNAME synthesised from it. */
		const ldns_rr *rr = NULL;
		if (t->qtype != LDNS_RR_TYPE_DNAME &&
		    (rr = find_dname(ans, t->qname, zone)) != NULL) {
			if (!apply_dname(t, rr, t->qname))
				break;
		} else if (t->qtype != LDNS_RR_TYPE_CNAME &&
		           (rr = find_rr(ans, t->qname, LDNS_RR_TYPE_CNAME, zone)) != NULL &&
		           ldns_rr_rd_count(rr) == 1) {
			ldns_rr *copy = ldns_rr_clone(rr);
			if (copy == NULL || !ldns_rr_list_push_rr(t->answer, copy)) {
				ldns_rr_free(copy);
				break;
			}
			const uint8_t *target = iter__rdf_name(ldns_rr_rdf(rr, 0));
			memmove(t->qname, target, wire_dname_len(target));
		} else {
			break;
		}
		t->chain++;
		moved = true;
	}
	return moved ? CHAIN_MOVED : CHAIN_NONE;
}

/* The SOA that proves a negative answer: in the authority section, inside the zone. */
static void take_soa(struct iter_task *t)
{
	const ldns_rr_list *auth = ldns_pkt_authority(t->reply);
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && rr_in_zone(rr, t->dp->zone) &&
		    wire_dname_is_subdomain(t->qname, iter__owner(rr))) {
			ldns_rr *copy = ldns_rr_clone(rr);
			if (copy != NULL && !ldns_rr_list_push_rr(t->authority, copy))
				ldns_rr_free(copy);
			return;
		}
	}
}

/* The owner of a referral's NS set: below the zone asked, at or above the name asked. */
static const ldns_rr *find_referral(const struct iter_task *t)
{
	const ldns_rr_list *auth = ldns_pkt_authority(t->reply);
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const uint8_t *owner = iter__owner(rr);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && rr_in_zone(rr, t->dp->zone) &&
		    !wire_dname_equal(owner, t->dp->zone) &&
		    wire_dname_is_subdomain(t->sent_name, owner))
			return rr;
	}
	return NULL;
}

/* Note the zone a referral delegates to in t->cut; false when the reply is none. */
static bool take_referral(struct iter_task *t)
{
	const ldns_rr *ns = find_referral(t);
	if (ns == NULL)
		return false;
	memcpy(t->cut, iter__owner(ns), wire_dname_len(iter__owner(ns)));
	return true;
}

static bool has_type(const ldns_rr_list *sec, ldns_rr_type type)
{
	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(sec, i)) == type)
			return true;
	}
	return false;
}

static enum iter_class classify_rcode(const struct iter_task *t)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(t->reply);
	if (ldns_pkt_tc(t->reply) && !t->tcp)
		return ITER_CLS_TRUNCATED;
	if ((rc == LDNS_RCODE_FORMERR || rc == LDNS_RCODE_NOTIMPL) && t->edns)
		return ITER_CLS_EDNS_FAIL;
	if (rc == LDNS_RCODE_REFUSED || rc == LDNS_RCODE_NOTAUTH)
		return ITER_CLS_LAME;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN)
		return ITER_CLS_SERVER_FAIL;
	return ITER_CLS_MAX_;
}

/* A minimised question (RFC 9156): only cuts, NXDOMAIN and DNAMEs matter. */
static enum iter_class classify_minimised(struct iter *it, struct iter_task *t)
{
	if (take_referral(t) && !ldns_pkt_aa(t->reply))
		return ITER_CLS_REFERRAL;
	if (ldns_pkt_get_rcode(t->reply) == LDNS_RCODE_NXDOMAIN)
		return ITER_CLS_NXDOMAIN;
	if (find_dname(ldns_pkt_answer(t->reply), t->sent_name, t->dp->zone) != NULL) {
		enum chain_result cr = follow_chain(it, t);
		return cr == CHAIN_FOUND ? ITER_CLS_ANSWER : ITER_CLS_CNAME;
	}
	return ITER_CLS_NODATA;
}

enum iter_class iter__classify(struct iter *it, struct iter_task *t)
{
	enum iter_class c = classify_rcode(t);
	if (c != ITER_CLS_MAX_)
		return c;
	bool aa = ldns_pkt_aa(t->reply);
	const uint8_t *zone = t->dp->zone;
	iter__cache_section(it, ldns_pkt_answer(t->reply), zone,
	                    aa ? CACHE_TRUST_ANSWER_AA : CACHE_TRUST_ANSWER_NA);
	if (!wire_dname_equal(t->sent_name, t->qname) || t->sent_type != t->qtype)
		return classify_minimised(it, t);
	enum chain_result cr = follow_chain(it, t);
	if (cr == CHAIN_FOUND)
		return ITER_CLS_ANSWER;
	/* A chain that left the zone is resolved again from its target. */
	if (cr == CHAIN_MOVED && !wire_dname_is_subdomain(t->qname, zone))
		return ITER_CLS_CNAME;
	if (ldns_pkt_get_rcode(t->reply) == LDNS_RCODE_NXDOMAIN) {
		take_soa(t);
		return ITER_CLS_NXDOMAIN;
	}
	if (cr == CHAIN_NONE && !aa && take_referral(t))
		return ITER_CLS_REFERRAL;
	/* RFC 2308 §2.2: NODATA carries the SOA; an authoritative empty answer
	 * without one is NODATA too, only not cacheable. */
	if (has_type(ldns_pkt_authority(t->reply), LDNS_RR_TYPE_SOA) || (aa && cr == CHAIN_NONE)) {
		iter__cache_section(it, ldns_pkt_authority(t->reply), zone,
		                    aa ? CACHE_TRUST_AUTHORITY_AA : CACHE_TRUST_AUTHORITY_NA);
		take_soa(t);
		return ITER_CLS_NODATA;
	}
	if (cr == CHAIN_MOVED)
		return ITER_CLS_CNAME;
	return ITER_CLS_LAME;
}
