/*
 * aggressive.c - aggressive use of the validated cache (RFC 8198): the
 * NSEC/NSEC3 records of secure negative answers are kept per zone, with
 * the zone's SOA and every RRSIG, and a later question they already answer
 * (a name inside a range they cover, a type their bitmap lacks) is
 * answered NXDOMAIN or NODATA from them without asking the zone's servers.
 *
 * The records of a zone are kept as one message-cache entry under the
 * zone's name and a private type, so TTLs count down and the memory budget
 * and eviction are the cache's. The records were validated when they came
 * in; the proofs are decided again by nsec.c/nsec3.c for each question.
 */
#include "config.h"

#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "keys_internal.h"

/* Kept under CACHE_MSG_TYPE_DENIAL, a private-range type (RFC 6895 §3.1). */
/* Denial records kept per zone; the oldest go first. */
#define AGGR_MAX_RECORDS 16

static bool is_denial(const ldns_rr *rr)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(rr) >= 1) {
		t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
		return t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 || t == LDNS_RR_TYPE_SOA;
	}
	return t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 || t == LDNS_RR_TYPE_SOA;
}

/* The zone's stored records (authority section of the entry), or NULL. */
static ldns_pkt *aggr_load(struct cache *c, const uint8_t *zone)
{
	static _Thread_local uint8_t buf[WIRE_MSG_MAX];
	size_t len;
	if (cache_msg_lookup(c, zone, CACHE_MSG_TYPE_DENIAL, LDNS_RR_CLASS_IN, 0, clock_wall(), buf,
	                     sizeof(buf), &len, NULL) != 0)
		return NULL;
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK)
		return NULL;
	return pkt;
}

/* Has list an identical record (owner, type, rdata)? */
static bool has_rr(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		if (ldns_rr_compare(ldns_rr_list_rr(list, i), rr) == 0)
			return true;
	}
	return false;
}

void val__aggr_store(struct cache *c, const uint8_t *zone, const ldns_rr_list *records)
{
	ldns_pkt *old = aggr_load(c, zone);
	ldns_pkt *pkt = ldns_pkt_new();
	if (pkt == NULL) {
		ldns_pkt_free(old);
		return;
	}
	ldns_pkt_set_qr(pkt, true);
	uint32_t ttl = UINT32_MAX;
	const ldns_rr_list *lists[2] = {records, old != NULL ? ldns_pkt_authority(old) : NULL};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; lists[l] != NULL && i < ldns_rr_list_rr_count(lists[l]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(lists[l], i);
			if (!is_denial(rr) || has_rr(ldns_pkt_authority(pkt), rr) ||
			    ldns_pkt_nscount(pkt) >= AGGR_MAX_RECORDS * 2)
				continue;
			ldns_rr *copy = ldns_rr_clone(rr);
			if (copy == NULL || !ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, copy)) {
				ldns_rr_free(copy);
				continue;
			}
			if (ldns_rr_ttl(rr) < ttl)
				ttl = ldns_rr_ttl(rr);
		}
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ttl != UINT32_MAX && ttl > 0 && ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK &&
	    len <= WIRE_MSG_MAX)
		cache_msg_store(c, zone, CACHE_MSG_TYPE_DENIAL, LDNS_RR_CLASS_IN, 0, wire, len, ttl,
		                clock_wall(), -1);
	free(wire);
	ldns_pkt_free(pkt);
	ldns_pkt_free(old);
}

/* The records of one type of list (with the RRSIGs over them when sigs). */
static ldns_rr_list *of_type(const ldns_rr_list *list, ldns_rr_type type, bool sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_RRSIG && sigs && ldns_rr_rd_count(rr) >= 1)
			t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
		if (t == type)
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

/* What the stored records of zone prove for the question. */
static enum val_proof aggr_prove(const struct val_env *env, const ldns_rr_list *stored,
                                 const uint8_t *zone, const uint8_t *qname, uint16_t qtype,
                                 struct val_budget *budget)
{
	ldns_rr_list *nsec = of_type(stored, LDNS_RR_TYPE_NSEC, false);
	ldns_rr_list *nsec3 = of_type(stored, LDNS_RR_TYPE_NSEC3, false);
	enum val_proof p = VAL_PROOF_NONE;
	const ldns_rr_list *recs = ldns_rr_list_rr_count(nsec) > 0 ? nsec : nsec3;
	if (recs != NULL && ldns_rr_list_rr_count(recs) > 0) {
		struct val_denial d = {.records = recs,
		                       .zone = zone,
		                       .qname = qname,
		                       .qtype = qtype,
		                       .nsec3_max_iterations = env->nsec3_max_iterations,
		                       .budget = budget};
		p = val_denial_prove(&d);
	}
	ldns_rr_list_free(nsec);
	ldns_rr_list_free(nsec3);
	return p;
}

int val_aggressive_answer(const struct val_env *env, const uint8_t *qname, uint16_t qtype,
                          struct val_budget *budget, uint16_t *rcode, ldns_rr_list **authority)
{
	if (env->cache == NULL || !env->aggressive || qtype == LDNS_RR_TYPE_DS)
		return ERR_NOTFOUND;
	/* RFC 7646: under a negative trust anchor nothing is answered as validated. */
	if (env->nta != NULL && val_nta_covers(env->nta, qname, clock_wall()))
		return ERR_NOTFOUND;
	/* The closest enclosing zone whose denial records we keep. */
	for (const uint8_t *zone = qname; zone != NULL; zone = wire_dname_parent(zone)) {
		ldns_pkt *pkt = aggr_load(env->cache, zone);
		if (pkt == NULL)
			continue;
		enum val_proof p =
		        aggr_prove(env, ldns_pkt_authority(pkt), zone, qname, qtype, budget);
		int rc = ERR_NOTFOUND;
		if (p == VAL_PROOF_NXDOMAIN || p == VAL_PROOF_NODATA ||
		    p == VAL_PROOF_WILDCARD_NODATA) {
			*rcode = p == VAL_PROOF_NXDOMAIN ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;
			*authority = ldns_rr_list_clone(ldns_pkt_authority(pkt));
			rc = *authority != NULL ? 0 : ERR_NOMEM;
		}
		ldns_pkt_free(pkt);
		return rc;
	}
	return ERR_NOTFOUND;
}
