/*
 * delegation.c - zone cuts and their servers: from the cache, from the root
 * hints, and from referrals (with in-bailiwick glue only, RFC 2181 §5.4.1).
 */
#include "config.h"

#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/log.h"
#include "iter_internal.h"

static struct iter_deleg *deleg_new(const uint8_t *zone)
{
	struct iter_deleg *dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return NULL;
	memcpy(dp->zone, zone, wire_dname_len(zone));
	return dp;
}

/* Index of an NS name in the delegation, adding it when new; -1 when full. */
static int deleg_add_ns(struct iter_deleg *dp, const uint8_t *name)
{
	for (unsigned i = 0; i < dp->n_ns; i++) {
		if (wire_dname_equal(dp->ns[i].name, name))
			return (int)i;
	}
	if (dp->n_ns == ITER_MAX_NS)
		return -1;
	memcpy(dp->ns[dp->n_ns].name, name, wire_dname_len(name));
	return (int)dp->n_ns++;
}

static bool addr_from_rr(const ldns_rr *rr, struct sa *out)
{
	const ldns_rdf *rd = ldns_rr_rdf(rr, 0);
	memset(out, 0, sizeof(*out));
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && rd != NULL && ldns_rdf_size(rd) == 4) {
		out->u.in4.sin_family = AF_INET;
		out->u.in4.sin_port = htons(53);
		memcpy(&out->u.in4.sin_addr, ldns_rdf_data(rd), 4);
		out->len = sizeof(struct sockaddr_in);
		return true;
	}
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && rd != NULL && ldns_rdf_size(rd) == 16) {
		out->u.in6.sin6_family = AF_INET6;
		out->u.in6.sin6_port = htons(53);
		memcpy(&out->u.in6.sin6_addr, ldns_rdf_data(rd), 16);
		out->len = sizeof(struct sockaddr_in6);
		return true;
	}
	return false;
}

bool iter__deleg_add_addr(const struct req_env *env, struct iter_deleg *dp, unsigned ns,
                          const ldns_rr *rr)
{
	const struct conf *conf = env->conf;
	struct sa a;
	if (!addr_from_rr(rr, &a))
		return false;
	if ((sa_family(&a) == AF_INET && !conf->do_ip4) ||
	    (sa_family(&a) == AF_INET6 && !conf->do_ip6))
		return false;
	if (conf->do_not_query_localhost && sa_is_loopback(&a))
		return false;
	for (unsigned i = 0; i < dp->n_srv; i++) {
		if (sa_addr_equal(&dp->srv[i].addr, &a))
			return true;
	}
	if (dp->n_srv == ITER_MAX_SERVERS)
		return false;
	struct iter_server *s = &dp->srv[dp->n_srv++];
	memset(s, 0, sizeof(*s));
	s->addr = a;
	s->ns = (uint8_t)ns;
	return true;
}

void iter__deleg_add_addrs(const struct req_env *env, struct iter_deleg *dp, unsigned ns,
                           const ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (wire_dname_equal(iter__owner(rr), dp->ns[ns].name))
			iter__deleg_add_addr(env, dp, ns, rr);
	}
}

/* Addresses of an NS name from the cache (any trust: glue counts here). */
static void deleg_cached_addrs(const struct req_env *env, struct iter_deleg *dp, unsigned ns)
{
	static const ldns_rr_type types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	ldns_rdf *name =
	        ldns_dname_new_frm_data((uint16_t)wire_dname_len(dp->ns[ns].name), dp->ns[ns].name);
	if (name == NULL)
		return;
	for (size_t k = 0; k < 2; k++) {
		ldns_rr_list *rrs = cache_rrset_lookup(env->cache, name, types[k], LDNS_RR_CLASS_IN,
		                                       clock_wall(), NULL, NULL);
		if (rrs == NULL)
			continue;
		iter__deleg_add_addrs(env, dp, ns, rrs);
		ldns_rr_list_deep_free(rrs);
	}
	ldns_rdf_deep_free(name);
}

/* Fill NS names from an NS RRset owned by dp->zone. */
static void deleg_take_ns(struct iter_deleg *dp, const ldns_rr_list *rrs)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_rr_rd_count(rr) < 1 ||
		    !wire_dname_equal(iter__owner(rr), dp->zone))
			continue;
		deleg_add_ns(dp, iter__rdf_name(ldns_rr_rdf(rr, 0)));
	}
}

struct iter_deleg *iter__deleg_from_cache(const struct req_env *env, const uint8_t *zone)
{
	ldns_rdf *owner = ldns_dname_new_frm_data((uint16_t)wire_dname_len(zone), zone);
	if (owner == NULL)
		return NULL;
	ldns_rr_list *ns = cache_rrset_lookup(env->cache, owner, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
	                                      clock_wall(), NULL, NULL);
	ldns_rdf_deep_free(owner);
	if (ns == NULL)
		return NULL;
	struct iter_deleg *dp = deleg_new(zone);
	if (dp != NULL) {
		deleg_take_ns(dp, ns);
		for (unsigned i = 0; i < dp->n_ns; i++)
			deleg_cached_addrs(env, dp, i);
	}
	ldns_rr_list_deep_free(ns);
	if (dp != NULL && dp->n_ns == 0) {
		free(dp);
		return NULL;
	}
	return dp;
}

struct iter_deleg *iter__deleg_from_hints(const struct req_env *env)
{
	static const uint8_t root[1] = {0};
	const struct iter_hints *h = env->hints;
	struct iter_deleg *dp = deleg_new(root);
	if (dp == NULL)
		return NULL;
	dp->from_hints = true;
	deleg_take_ns(dp, h->ns);
	for (unsigned i = 0; i < dp->n_ns; i++)
		iter__deleg_add_addrs(env, dp, i, h->addrs);
	return dp;
}

/* True when name is one of the delegation's NS names. */
static bool deleg_has_ns(const struct iter_deleg *dp, const uint8_t *name)
{
	for (unsigned i = 0; i < dp->n_ns; i++) {
		if (wire_dname_equal(dp->ns[i].name, name))
			return true;
	}
	return false;
}

/*
 * Cache what a referral says about its own delegation only: the NS set of
 * the cut and the addresses of those NS names. Other records, even inside
 * the sender's bailiwick, are what a forged reply would carry to take over
 * other zones (the Kaminsky attack, CVE-2008-1447): not cached.
 */
static void deleg_cache_referral(struct iter *it, const struct iter_deleg *dp,
                                 const ldns_rr_list *auth, const ldns_rr_list *add,
                                 const uint8_t *bailiwick)
{
	ldns_rr_list *ns = ldns_rr_list_new(), *glue = ldns_rr_list_new();
	for (size_t i = 0; ns != NULL && auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    wire_dname_equal(iter__owner(rr), dp->zone))
			ldns_rr_list_push_rr(ns, rr);
	}
	for (size_t i = 0; glue != NULL && add != NULL && i < ldns_rr_list_rr_count(add); i++) {
		ldns_rr *rr = ldns_rr_list_rr(add, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) &&
		    deleg_has_ns(dp, iter__owner(rr)))
			ldns_rr_list_push_rr(glue, rr);
	}
	iter__cache_section(it, ns, bailiwick, CACHE_TRUST_AUTHORITY_NA);
	iter__cache_section(it, glue, bailiwick, CACHE_TRUST_GLUE);
	ldns_rr_list_free(ns);
	ldns_rr_list_free(glue);
}

struct iter_deleg *iter__deleg_from_referral(struct iter *it, const ldns_pkt *reply,
                                             const uint8_t *zone, const uint8_t *bailiwick)
{
	ldns_rr_list *auth = ldns_pkt_authority(reply);
	ldns_rr_list *add = ldns_pkt_additional(reply);
	struct iter_deleg *dp = deleg_new(zone);
	if (dp == NULL)
		return NULL;
	deleg_take_ns(dp, auth);
	if (dp->n_ns == 0) {
		free(dp);
		return NULL;
	}
	/* Glue is used and cached only when it lies inside the zone of the
	 * server that sent it: RFC 2181 §5.4.1, and the Kaminsky-era rule that
	 * nothing from a server is believed for names outside its zone. */
	for (unsigned i = 0; i < dp->n_ns; i++) {
		if (!wire_dname_is_subdomain(dp->ns[i].name, bailiwick))
			continue;
		for (size_t j = 0; add != NULL && j < ldns_rr_list_rr_count(add); j++) {
			const ldns_rr *rr = ldns_rr_list_rr(add, j);
			if (wire_dname_equal(iter__owner(rr), dp->ns[i].name))
				iter__deleg_add_addr(it->env, dp, i, rr);
		}
	}
	deleg_cache_referral(it, dp, auth, add, bailiwick);
	/* Cached addresses fill in NS names that came without glue. */
	for (unsigned i = 0; i < dp->n_ns; i++)
		deleg_cached_addrs(it->env, dp, i);
	return dp;
}
