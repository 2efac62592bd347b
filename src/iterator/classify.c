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

/*
 * A copy of rr with its TTL inside [cache-min-ttl, cache-max-ttl]: the
 * options bound how long data is kept, not only the TTLs shown to clients.
 */
static ldns_rr *clamped_clone(const struct conf *conf, const ldns_rr *rr)
{
	ldns_rr *copy = ldns_rr_clone(rr);
	if (copy == NULL)
		return NULL;
	uint32_t ttl = ldns_rr_ttl(copy);
	if (ttl < conf->cache_min_ttl)
		ttl = conf->cache_min_ttl;
	if (ttl > conf->cache_max_ttl)
		ttl = conf->cache_max_ttl;
	ldns_rr_set_ttl(copy, ttl);
	return copy;
}

/* The type an RRSIG covers, 0 when it is not a well-formed RRSIG. */
static uint16_t rrsig_covers(const ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) < 8)
		return 0;
	return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
}

/* True when an RRSIG says its RRset was expanded from a wildcard (labels field). */
static bool wildcard_expanded(const ldns_rr_list *sigs)
{
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) <
		    ldns_dname_label_count(ldns_rr_owner(sig)))
			return true;
	}
	return false;
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
				ldns_rr *copy = clamped_clone(it->env->conf, rr);
				if (copy != NULL && !ldns_rr_list_push_rr(set, copy))
					ldns_rr_free(copy);
			}
		}
		ldns_rr_list *sigs = ldns_rr_list_new();
		for (size_t j = 0; sigs != NULL && j < n; j++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, j);
			if (rrsig_covers(rr) != type ||
			    !wire_dname_equal(iter__owner(rr), iter__owner(first)))
				continue;
			ldns_rr *copy = clamped_clone(it->env->conf, rr);
			if (copy != NULL && !ldns_rr_list_push_rr(sigs, copy))
				ldns_rr_free(copy);
		}
		/* A wildcard expansion is only valid with the proof that came
		 * with it (RFC 4035 §5.3.4); the RRset cache keeps no proofs. */
		if (!wildcard_expanded(sigs))
			cache_rrset_store(it->env->cache, set,
			                  sigs != NULL && ldns_rr_list_rr_count(sigs) > 0 ? sigs
			                                                                  : NULL,
			                  trust, clock_wall());
		ldns_rr_list_deep_free(set);
		ldns_rr_list_deep_free(sigs);
	}
}

/* Is rr of this type, or an RRSIG over this type (kept for the validator)? */
static bool rr_is_type(const ldns_rr *rr, uint16_t type)
{
	return ldns_rr_get_type(rr) == type || rrsig_covers(rr) == type;
}

/*
 * Copy into dst every record of sec with this owner and type that lies in
 * zone, with the RRSIGs over them. Returns how many records of the type.
 */
static size_t take_rrset(ldns_rr_list *dst, const ldns_rr_list *sec, const uint8_t *owner,
                         uint16_t type, const uint8_t *zone)
{
	size_t found = 0;
	for (size_t i = 0; sec != NULL && i < ldns_rr_list_rr_count(sec); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (!rr_is_type(rr, type) || !wire_dname_equal(iter__owner(rr), owner) ||
		    !rr_in_zone(rr, zone))
			continue;
		ldns_rr *copy = ldns_rr_clone(rr);
		if (copy == NULL || !ldns_rr_list_push_rr(dst, copy)) {
			ldns_rr_free(copy);
			break;
		}
		found += ldns_rr_get_type(rr) == type;
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

/* name under a DNAME owned by its ancestor, rewritten into out (RFC 6672 §2.2); 0 if too long. */
static size_t dname_rewrite(const ldns_rr *dname, const uint8_t *name, uint8_t *out)
{
	const uint8_t *target = iter__rdf_name(ldns_rr_rdf(dname, 0));
	size_t keep = wire_dname_len(name) - wire_dname_len(iter__owner(dname));
	size_t tlen = wire_dname_len(target);
	if (keep + tlen > WIRE_DNAME_MAX)
		return 0;
	memmove(out, name, keep);
	memcpy(out + keep, target, tlen);
	return keep + tlen;
}

/*
 * Replace the owner suffix of name by the DNAME target and add the DNAME and
 * a CNAME we synthesise ourselves (RFC 6672 §3.3: the server's CNAME is not
 * trusted). False when the new name would exceed 255 bytes.
 */
static bool apply_dname(struct iter_task *t, const ldns_rr *dname, uint8_t *name)
{
	uint8_t out[WIRE_DNAME_MAX];
	size_t len = dname_rewrite(dname, name, out);
	if (len == 0)
		return false;
	ldns_rr *cname = ldns_rr_new();
	if (cname == NULL)
		return false;
	ldns_rr_set_owner(cname, ldns_dname_new_frm_data((uint16_t)wire_dname_len(name), name));
	ldns_rr_set_type(cname, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(cname, ldns_rr_get_class(dname));
	ldns_rr_set_ttl(cname, ldns_rr_ttl(dname));
	ldns_rr_push_rdf(cname, ldns_dname_new_frm_data((uint16_t)len, out));
	/* The DNAME with its RRSIGs; the synthesised CNAME has none (RFC 6672 §5.3.1). */
	take_rrset(t->answer, ldns_pkt_answer(t->reply), iter__owner(dname), LDNS_RR_TYPE_DNAME,
	           t->dp->zone);
	ldns_rr_list_push_rr(t->answer, cname);
	memcpy(name, out, len);
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
			const uint8_t *target = iter__rdf_name(ldns_rr_rdf(rr, 0));
			if (take_rrset(t->answer, ans, t->qname, LDNS_RR_TYPE_CNAME, zone) == 0)
				break;
			memmove(t->qname, target, wire_dname_len(target));
		} else {
			break;
		}
		t->chain++;
		moved = true;
	}
	return moved ? CHAIN_MOVED : CHAIN_NONE;
}

/* Is rr part of a denial of existence: NSEC, NSEC3 or an RRSIG over one? */
static bool rr_is_denial(const ldns_rr *rr)
{
	return rr_is_type(rr, LDNS_RR_TYPE_NSEC) || rr_is_type(rr, LDNS_RR_TYPE_NSEC3);
}

/*
 * What proves a negative answer (RFC 2308 §2, RFC 4035 §3.1.3): the SOA of
 * the zone with its RRSIGs, and the in-zone NSEC/NSEC3 records with theirs.
 * With soa false only the NSEC/NSEC3 part is taken (wildcard answers).
 */
static void take_denial(struct iter_task *t, bool soa)
{
	const ldns_rr_list *auth = ldns_pkt_authority(t->reply);
	const ldns_rr *soa_rr = NULL;
	for (size_t i = 0; soa && auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && rr_in_zone(rr, t->dp->zone) &&
		    wire_dname_is_subdomain(t->qname, iter__owner(rr))) {
			soa_rr = rr;
			break;
		}
	}
	if (soa_rr != NULL)
		take_rrset(t->authority, auth, iter__owner(soa_rr), LDNS_RR_TYPE_SOA, t->dp->zone);
	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (!rr_is_denial(rr) || !rr_in_zone(rr, t->dp->zone))
			continue;
		ldns_rr *copy = ldns_rr_clone(rr);
		if (copy != NULL && !ldns_rr_list_push_rr(t->authority, copy))
			ldns_rr_free(copy);
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

/* The next name of a chain at name: a covering DNAME first (RFC 6672 §3.4), else a CNAME. */
static bool chain_next(const ldns_rr_list *ans, const uint8_t *name, uint8_t *next)
{
	const ldns_rr *cname = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		const uint8_t *owner = iter__owner(rr);
		if (ldns_rr_rd_count(rr) != 1)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME && !wire_dname_equal(name, owner) &&
		    wire_dname_is_subdomain(name, owner))
			return dname_rewrite(rr, name, next) > 0;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && wire_dname_equal(name, owner))
			cname = rr;
	}
	if (cname == NULL)
		return false;
	const uint8_t *target = iter__rdf_name(ldns_rr_rdf(cname, 0));
	memcpy(next, target, wire_dname_len(target));
	return true;
}

/*
 * The answer-section records on the chain of the question sent (borrowed):
 * owned by the name asked or by a name its CNAME/DNAME chain leads to, and
 * DNAMEs above those names. Only these are cached: other records, even of
 * the same zone, are what a forged reply for a random name carries to
 * poison the cache (the Kaminsky attack, CVE-2008-1447).
 */
static ldns_rr_list *answer_chain(const struct iter_task *t, unsigned max)
{
	const ldns_rr_list *ans = ldns_pkt_answer(t->reply);
	size_t n = ans == NULL ? 0 : ldns_rr_list_rr_count(ans);
	ldns_rr_list *keep = ldns_rr_list_new();
	bool taken[n > 0 ? n : 1];
	uint8_t name[WIRE_DNAME_MAX];
	memset(taken, 0, sizeof(taken));
	memcpy(name, t->sent_name, wire_dname_len(t->sent_name));
	for (unsigned links = 0; keep != NULL && n > 0 && links <= max; links++) {
		for (size_t i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			const uint8_t *owner = iter__owner(rr);
			if (taken[i] || !(wire_dname_equal(owner, name) ||
			                  (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
			                   wire_dname_is_subdomain(name, owner))))
				continue;
			taken[i] = true;
			ldns_rr_list_push_rr(keep, (ldns_rr *)rr);
		}
		if (!chain_next(ans, name, name))
			break;
	}
	return keep;
}

/* The SOA records of the authority section (borrowed): all a negative answer may cache. */
static ldns_rr_list *authority_soa(const struct iter_task *t)
{
	const ldns_rr_list *auth = ldns_pkt_authority(t->reply);
	ldns_rr_list *keep = ldns_rr_list_new();
	for (size_t i = 0; keep != NULL && auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_SOA)
			ldns_rr_list_push_rr(keep, ldns_rr_list_rr(auth, i));
	}
	return keep;
}

enum iter_class iter__classify(struct iter *it, struct iter_task *t)
{
	enum iter_class c = classify_rcode(t);
	if (c != ITER_CLS_MAX_)
		return c;
	bool aa = ldns_pkt_aa(t->reply);
	const uint8_t *zone = t->dp->zone;
	ldns_rr_list *chain = answer_chain(t, it->env->conf->max_cname_chain);
	iter__cache_section(it, chain, zone, aa ? CACHE_TRUST_ANSWER_AA : CACHE_TRUST_ANSWER_NA);
	ldns_rr_list_free(chain);
	if (!wire_dname_equal(t->sent_name, t->qname) || t->sent_type != t->qtype)
		return classify_minimised(it, t);
	enum chain_result cr = follow_chain(it, t);
	if (cr == CHAIN_FOUND) {
		/* A wildcard expansion comes with the proof the name itself is absent. */
		take_denial(t, false);
		return ITER_CLS_ANSWER;
	}
	/* A chain that left the zone is resolved again from its target. */
	if (cr == CHAIN_MOVED && !wire_dname_is_subdomain(t->qname, zone))
		return ITER_CLS_CNAME;
	if (ldns_pkt_get_rcode(t->reply) == LDNS_RCODE_NXDOMAIN) {
		take_denial(t, true);
		return ITER_CLS_NXDOMAIN;
	}
	if (cr == CHAIN_NONE && !aa && take_referral(t))
		return ITER_CLS_REFERRAL;
	/* RFC 2308 §2.2: NODATA carries the SOA; an authoritative empty answer
	 * without one is NODATA too, only not cacheable. */
	if (has_type(ldns_pkt_authority(t->reply), LDNS_RR_TYPE_SOA) || (aa && cr == CHAIN_NONE)) {
		ldns_rr_list *soa = authority_soa(t);
		iter__cache_section(it, soa, zone,
		                    aa ? CACHE_TRUST_AUTHORITY_AA : CACHE_TRUST_AUTHORITY_NA);
		ldns_rr_list_free(soa);
		take_denial(t, true);
		return ITER_CLS_NODATA;
	}
	if (cr == CHAIN_MOVED)
		return ITER_CLS_CNAME;
	return ITER_CLS_LAME;
}
