/*
 * validator.c - the chain of trust for one answer (RFC 4035 §5).
 *
 * From the closest trust anchor down to each signer, every zone cut is
 * learnt from its DS RRset (validated with the parent's keys) or from the
 * proof that there is none, and every zone's DNSKEY RRset is matched to its
 * DS and checked with the key that matched. The key cache keeps what was
 * learnt, so this happens once per zone and TTL.
 *
 * The validator does no I/O. When it lacks a DS or DNSKEY RRset it asks
 * for it (VAL_FETCH); the request resolves it with the iterator and hands
 * it back. Each val_step() then starts over from the top with what it has
 * learnt: the key cache and the fetched results make the rerun cheap, and
 * signatures of the answer itself are only checked once every zone it
 * depends on is known.
 */
#include "config.h"

#include <string.h>

#include "mangrove/anchor.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "keys_internal.h"

/* Fetches one validation may make; each is one DS or DNSKEY RRset. */
#define VAL_MAX_FETCHES 32

/* Zone facts are kept at most this long, whatever the TTLs say. */
#define VAL_MAX_KEEP 86400

struct val_memo {
	uint8_t name[WIRE_DNAME_MAX];
	uint16_t type;
	uint16_t rcode;
	ldns_rr_list *answer;
	ldns_rr_list *authority;
};

struct val {
	const struct val_env *env;
	struct val_budget *budget;
	struct val_input in;
	struct val_memo memo[VAL_MAX_FETCHES];
	unsigned n_memo;
	struct val_fetch want; /* set when a step needs a fetch */
	bool wanting;
	bool done;
	enum val_status status;
	int ede;          /* explains status */
	int zs_ede;       /* explains the last zone_status() outcome */
	bool nta;         /* a negative trust anchor made part of this pass insecure */
	time_t nta_until; /* the earliest expiry of those NTAs */
};

/* What finding the state of a name came to. */
enum zs {
	ZS_SECURE = 0, /* *zone is the signed zone holding the name, referenced */
	ZS_INSECURE,
	ZS_BOGUS, /* v->zs_ede says why */
	ZS_NEED,  /* v->want names a fetch */
};

static const char *const status_names[] = {
        [VAL_INDETERMINATE] = "indeterminate",
        [VAL_SECURE] = "secure",
        [VAL_INSECURE] = "insecure",
        [VAL_BOGUS] = "bogus",
};

const char *val_status_name(enum val_status s)
{
	return s <= VAL_BOGUS ? status_names[s] : "?";
}

static const uint8_t *owner_of(const ldns_rr *rr)
{
	return ldns_rdf_data(ldns_rr_owner(rr));
}

static uint16_t sig_covers(const ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) < 9)
		return 0;
	return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
}

static const uint8_t *sig_signer(const ldns_rr *sig)
{
	return ldns_rdf_data(ldns_rr_rrsig_signame(sig));
}

/* ---- building lists ---- */

/* A new list with the records of src with this owner and type (borrowed pointers). */
static ldns_rr_list *select_rrs(const ldns_rr_list *src, const uint8_t *owner, uint16_t type,
                                bool sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && src != NULL && i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *rr = ldns_rr_list_rr(src, i);
		uint16_t t = sigs ? sig_covers(rr) : ldns_rr_get_type(rr);
		if (t == type && (sigs || t != LDNS_RR_TYPE_RRSIG) &&
		    wire_dname_equal(owner_of(rr), owner))
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

static time_t keep_until(const ldns_rr_list *rrs, uint32_t cap)
{
	uint32_t ttl = cap;
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
	}
	return clock_wall() + (time_t)ttl;
}

/* ---- fetched results ---- */

static const struct val_memo *fetched(struct val *v, const uint8_t *name, uint16_t type)
{
	for (unsigned i = 0; i < v->n_memo; i++) {
		if (v->memo[i].type == type && wire_dname_equal(v->memo[i].name, name))
			return &v->memo[i];
	}
	memcpy(v->want.name, name, wire_dname_len(name));
	v->want.type = type;
	v->wanting = true;
	return NULL;
}

static ldns_rr_list *clone_list(const ldns_rr_list *l)
{
	return l == NULL ? ldns_rr_list_new() : ldns_rr_list_clone(l);
}

void val_on_fetch(struct val *v, uint16_t rcode, const ldns_rr_list *answer,
                  const ldns_rr_list *authority)
{
	if (!v->wanting || v->n_memo == VAL_MAX_FETCHES)
		return;
	struct val_memo *m = &v->memo[v->n_memo++];
	memcpy(m->name, v->want.name, wire_dname_len(v->want.name));
	m->type = v->want.type;
	m->rcode = rcode;
	m->answer = clone_list(answer);
	m->authority = clone_list(authority);
	v->wanting = false;
}

/* ---- signatures ---- */

static bool budget_draw_sig(struct val_budget *b)
{
	if (b->sig_checks == 0) {
		b->exhausted = true;
		return false;
	}
	b->sig_checks--;
	return true;
}

/* A better explanation than the one we have (RFC 8914: the most specific). */
static int ede_pick(int have, int got)
{
	return have == WIRE_EDE_RRSIGS_MISSING || have == WIRE_EDE_DNSKEY_MISSING ? got : have;
}

/*
 * Check an RRset with the RRSIGs in sigs made by signer, with these keys
 * (RFC 4035 §5.3). 0 when one signature is good, else the EDE code.
 */
static int verify_rrset(struct val *v, const ldns_rr_list *set, const ldns_rr_list *sigs,
                        const uint8_t *signer, struct val_key *const *keys, size_t n_keys)
{
	const uint8_t *owner = owner_of(ldns_rr_list_rr(set, 0));
	int ede = WIRE_EDE_RRSIGS_MISSING;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		/* RFC 4035 §5.3.1: signer is the zone, labels no more than the owner's. */
		if (!wire_dname_equal(sig_signer(sig), signer) ||
		    ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) > wire_dname_labels(owner)) {
			ede = ede_pick(ede, WIRE_EDE_BOGUS);
			continue;
		}
		enum val_sig_time when = val_rrsig_time(sig, clock_wall(), v->env->sig_skew);
		if (when != VAL_SIG_TIME_OK) {
			ede = ede_pick(ede, when == VAL_SIG_EXPIRED ? WIRE_EDE_SIG_EXPIRED
			                                            : WIRE_EDE_SIG_NOT_YET);
			continue;
		}
		uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
		unsigned tried = 0;
		ede = ede_pick(ede, WIRE_EDE_DNSKEY_MISSING);
		for (size_t k = 0; k < n_keys; k++) {
			if (val_key_get_tag(keys[k]) != tag ||
			    val_key_get_algorithm(keys[k]) != alg)
				continue;
			/* KeyTrap (CVE-2023-50387): few keys per tag, few checks per question. */
			if (tried++ >= v->budget->key_collisions || !budget_draw_sig(v->budget))
				break;
			if (val_rrsig_verify(set, sig, keys[k]) == 0)
				return 0;
			ede = WIRE_EDE_BOGUS;
		}
		if (v->budget->exhausted)
			return WIRE_EDE_BOGUS;
	}
	return ede;
}

/* ---- zone keys ---- */

/* Usable DNSKEYs: zone key flag set, not revoked (RFC 4034 §2.1.1, RFC 5011 §3). */
static bool zone_key(const ldns_rr *dnskey)
{
	uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(dnskey, 0));
	return (flags & 0x0100u) && !(flags & 0x0080u);
}

static struct val_key **parse_keys(const ldns_rr_list *dnskeys, size_t *n)
{
	size_t count = ldns_rr_list_rr_count(dnskeys);
	struct val_key **keys = calloc(count > 0 ? count : 1, sizeof(*keys));
	*n = 0;
	for (size_t i = 0; keys != NULL && i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(dnskeys, i);
		struct val_key *k;
		if (ldns_rr_rd_count(rr) == 4 && zone_key(rr) && val_key_new(rr, &k) == 0)
			keys[(*n)++] = k;
	}
	return keys;
}

static void free_keys(struct val_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		val_key_free(keys[i]);
	free(keys);
}

/* The DNSKEYs of the set that a trusted DS or anchor DNSKEY vouches for. */
static ldns_rr_list *trusted_keys(struct val *v, const ldns_rr_list *dnskeys,
                                  const ldns_rr_list *ds, const ldns_rr_list *anchor_keys)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && i < ldns_rr_list_rr_count(dnskeys); i++) {
		ldns_rr *key = ldns_rr_list_rr(dnskeys, i);
		bool ok = false;
		for (size_t j = 0;
		     !ok && anchor_keys != NULL && j < ldns_rr_list_rr_count(anchor_keys); j++)
			ok = ldns_rr_compare_no_rdata(key, ldns_rr_list_rr(anchor_keys, j)) == 0 &&
			     ldns_rr_compare(key, ldns_rr_list_rr(anchor_keys, j)) == 0;
		for (size_t j = 0; !ok && ds != NULL && j < ldns_rr_list_rr_count(ds); j++) {
			const ldns_rr *d = ldns_rr_list_rr(ds, j);
			if (ldns_rr_rd_count(d) < 4 ||
			    ldns_rdf2native_int16(ldns_rr_rdf(d, 0)) != val_key_tag(key))
				continue;
			int rc = val_ds_match(d, key);
			if (rc == 0)
				ok = true;
			else if (rc == ERR_MISMATCH && v->budget->ds_mismatches-- == 0) {
				v->budget->ds_mismatches = 0;
				v->budget->exhausted = true;
				break;
			}
		}
		if (ok)
			ldns_rr_list_push_rr(out, key);
	}
	return out;
}

/*
 * The state of zone `name` from its DNSKEY RRset, trusted through a DS
 * RRset (validated) or anchor DNSKEYs (RFC 4035 §5.2).
 */
static struct val__zone *zone_from_dnskey(struct val *v, const uint8_t *name,
                                          const struct val_memo *m, const ldns_rr_list *ds,
                                          const ldns_rr_list *anchor_keys)
{
	ldns_rr_list *dnskeys = select_rrs(m->answer, name, LDNS_RR_TYPE_DNSKEY, false);
	ldns_rr_list *sigs = select_rrs(m->answer, name, LDNS_RR_TYPE_DNSKEY, true);
	ldns_rr_list *trusted = NULL;
	time_t bogus_until = clock_wall() + v->env->bogus_ttl;
	struct val__zone *z = NULL;
	int ede = WIRE_EDE_DNSKEY_MISSING;
	if (dnskeys != NULL && sigs != NULL && ldns_rr_list_rr_count(dnskeys) > 0)
		trusted = trusted_keys(v, dnskeys, ds, anchor_keys);
	if (trusted != NULL && ldns_rr_list_rr_count(trusted) > 0) {
		size_t n_trusted;
		struct val_key **tk = parse_keys(trusted, &n_trusted);
		ede = tk == NULL ? WIRE_EDE_BOGUS
		                 : verify_rrset(v, dnskeys, sigs, name, tk, n_trusted);
		free_keys(tk, n_trusted);
	}
	if (ede == 0) {
		size_t n;
		struct val_key **keys = parse_keys(dnskeys, &n);
		z = val__zone_new(name, VAL__ZONE_SECURE, -1, keep_until(dnskeys, VAL_MAX_KEEP),
		                  keys, n);
	} else {
		z = val__zone_new(name, VAL__ZONE_BOGUS, ede, bogus_until, NULL, 0);
	}
	ldns_rr_list_free(dnskeys);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(trusted);
	return z;
}

/* Keep only DS (or anchor) records we can use: RFC 4035 §5.2, RFC 6840 §5.2. */
static ldns_rr_list *usable_ds(const ldns_rr_list *ds)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		ldns_rr *d = ldns_rr_list_rr(ds, i);
		if (ldns_rr_rd_count(d) == 4 &&
		    val_algorithm_supported(ldns_rdf2native_int8(ldns_rr_rdf(d, 1))) &&
		    val_digest_supported(ldns_rdf2native_int8(ldns_rr_rdf(d, 2))))
			ldns_rr_list_push_rr(out, d);
	}
	return out;
}

/* RFC 8914 code for a DS set none of which we can use: 1 if an algorithm is unknown, else 2. */
static int unusable_ds_ede(const ldns_rr_list *ds)
{
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);
		if (ldns_rr_rd_count(d) == 4 &&
		    !val_algorithm_supported(ldns_rdf2native_int8(ldns_rr_rdf(d, 1))))
			return WIRE_EDE_UNSUPPORTED_ALG;
	}
	return WIRE_EDE_UNSUPPORTED_DIGEST;
}

static bool usable_anchor_keys(const ldns_rr_list *keys)
{
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (ldns_rr_rd_count(k) == 4 &&
		    val_algorithm_supported(ldns_rdf2native_int8(ldns_rr_rdf(k, 2))))
			return true;
	}
	return false;
}

/* Cache a new entry and hand it to the caller as the result. */
static enum zs zone_result(struct val *v, struct val__zone *z, struct val__zone **out)
{
	if (z == NULL) {
		v->zs_ede = WIRE_EDE_BOGUS;
		return ZS_BOGUS;
	}
	val__keycache_put(v->env->keys, z);
	*out = z;
	return ZS_SECURE; /* the caller looks at z->kind */
}

/* The zone at an anchor's owner (RFC 4035 §5: the anchor starts the chain). */
static enum zs anchor_zone(struct val *v, const struct val_anchor *a, struct val__zone **out)
{
	const uint8_t *name = val_anchor_name(a);
	*out = val__keycache_get(v->env->keys, name, clock_wall());
	if (*out != NULL)
		return ZS_SECURE;
	ldns_rr_list *ds = usable_ds(val_anchor_ds(a));
	bool keys = usable_anchor_keys(val_anchor_dnskey(a));
	if (ds != NULL && ldns_rr_list_rr_count(ds) == 0 && !keys) {
		/* Only algorithms or digests we do not implement: insecure. */
		ldns_rr_list_free(ds);
		return zone_result(v,
		                   val__zone_new(name, VAL__ZONE_INSECURE, -1,
		                                 clock_wall() + VAL_MAX_KEEP, NULL, 0),
		                   out);
	}
	const struct val_memo *m = fetched(v, name, LDNS_RR_TYPE_DNSKEY);
	if (m == NULL) {
		ldns_rr_list_free(ds);
		return ZS_NEED;
	}
	struct val__zone *z = zone_from_dnskey(v, name, m, ds, val_anchor_dnskey(a));
	ldns_rr_list_free(ds);
	return zone_result(v, z, out);
}

/* The NSEC/NSEC3 records of a list inside zone, each checked with the zone's keys. */
static ldns_rr_list *checked_denial(struct val *v, const ldns_rr_list *auth,
                                    const struct val__zone *zone, int *ede)
{
	ldns_rr_list *out = ldns_rr_list_new();
	*ede = 0;
	for (size_t i = 0; out != NULL && auth != NULL && i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		uint16_t t = ldns_rr_get_type(rr);
		if ((t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_NSEC3) ||
		    !wire_dname_is_subdomain(owner_of(rr), zone->name))
			continue;
		ldns_rr_list *set = select_rrs(auth, owner_of(rr), t, false);
		ldns_rr_list *sigs = select_rrs(auth, owner_of(rr), t, true);
		int e = set == NULL || sigs == NULL
		                ? WIRE_EDE_BOGUS
		                : verify_rrset(v, set, sigs, zone->name, zone->keys, zone->n_keys);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
		if (e != 0) {
			*ede = e;
			break;
		}
		ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

/*
 * A name below a secure zone, from its DS answer: a secure cut (returns NULL
 * with *need_dnskey set: the child's DNSKEY decides), an insecure cut, no cut
 * at all, or a broken chain (RFC 4035 §5.2).
 */
static struct val__zone *cut_from_ds(struct val *v, const struct val__zone *parent,
                                     const uint8_t *name, const struct val_memo *m,
                                     bool *need_dnskey)
{
	time_t bogus_until = clock_wall() + v->env->bogus_ttl;
	ldns_rr_list *ds = select_rrs(m->answer, name, LDNS_RR_TYPE_DS, false);
	ldns_rr_list *sigs = select_rrs(m->answer, name, LDNS_RR_TYPE_DS, true);
	struct val__zone *z = NULL;
	*need_dnskey = false;
	if (m->rcode == LDNS_RCODE_NOERROR && ds != NULL && ldns_rr_list_rr_count(ds) > 0) {
		int ede = verify_rrset(v, ds, sigs, parent->name, parent->keys, parent->n_keys);
		ldns_rr_list *usable = ede == 0 ? usable_ds(ds) : NULL;
		if (ede != 0)
			z = val__zone_new(name, VAL__ZONE_BOGUS, ede, bogus_until, NULL, 0);
		else if (usable == NULL || ldns_rr_list_rr_count(usable) == 0)
			/* Only algorithms or digests we do not implement: insecure,
			 * and the EDE says which (RFC 4035 §5.2, RFC 8914 §4.2, §4.3). */
			z = val__zone_new(name, VAL__ZONE_INSECURE, unusable_ds_ede(ds),
			                  keep_until(ds, VAL_MAX_KEEP), NULL, 0);
		else
			*need_dnskey = true;
		ldns_rr_list_free(usable);
	} else if (m->rcode == LDNS_RCODE_NOERROR || m->rcode == LDNS_RCODE_NXDOMAIN) {
		int ede;
		ldns_rr_list *recs = checked_denial(v, m->authority, parent, &ede);
		struct val_denial d = {.records = recs,
		                       .zone = parent->name,
		                       .qname = name,
		                       .qtype = LDNS_RR_TYPE_DS,
		                       .nsec3_max_iterations = v->env->nsec3_max_iterations,
		                       .budget = v->budget};
		enum val_proof p = ede == 0 && recs != NULL ? val_denial_prove(&d) : VAL_PROOF_NONE;
		enum val__zone_kind kind = VAL__ZONE_BOGUS;
		int zede = ede != 0 ? ede : WIRE_EDE_NSEC_MISSING;
		if (p == VAL_PROOF_NO_DS || p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS) {
			kind = VAL__ZONE_INSECURE;
			zede = p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1;
		} else if (p == VAL_PROOF_NODATA && m->rcode == LDNS_RCODE_NOERROR) {
			kind = VAL__ZONE_NOT_CUT;
			zede = -1;
		}
		z = val__zone_new(name, kind, zede,
		                  kind == VAL__ZONE_BOGUS ? bogus_until
		                                          : keep_until(recs, VAL_MAX_KEEP),
		                  NULL, 0);
		ldns_rr_list_free(recs);
	} else {
		z = val__zone_new(name, VAL__ZONE_BOGUS, WIRE_EDE_NO_REACHABLE_AUTHORITY,
		                  bogus_until, NULL, 0);
	}
	ldns_rr_list_free(ds);
	ldns_rr_list_free(sigs);
	return z;
}

/* What the name one label below a secure zone is; fetches DS, then DNSKEY. */
static enum zs zone_below(struct val *v, const struct val__zone *parent, const uint8_t *name,
                          struct val__zone **out)
{
	const struct val_memo *m = fetched(v, name, LDNS_RR_TYPE_DS);
	if (m == NULL)
		return ZS_NEED;
	bool need_dnskey;
	struct val__zone *z = cut_from_ds(v, parent, name, m, &need_dnskey);
	if (!need_dnskey || v->budget->exhausted)
		return zone_result(v, z, out);
	/* A validated DS with usable digests: the child's DNSKEY must match one. */
	const struct val_memo *k = fetched(v, name, LDNS_RR_TYPE_DNSKEY);
	if (k == NULL)
		return ZS_NEED;
	ldns_rr_list *ds = select_rrs(m->answer, name, LDNS_RR_TYPE_DS, false);
	ldns_rr_list *usable = usable_ds(ds);
	z = zone_from_dnskey(v, name, k, usable, NULL);
	ldns_rr_list_free(usable);
	ldns_rr_list_free(ds);
	return zone_result(v, z, out);
}

/* Fold an entry into the walk: returns true when the walk goes on below it. */
static bool walk_take(struct val *v, struct val__zone **cur, struct val__zone *z, enum zs *rc)
{
	switch (z->kind) {
	case VAL__ZONE_SECURE:
		val__zone_release(*cur);
		*cur = z;
		return true;
	case VAL__ZONE_NOT_CUT:
		val__zone_release(z);
		return true;
	case VAL__ZONE_INSECURE:
		*rc = ZS_INSECURE;
		v->zs_ede = z->ede;
		break;
	case VAL__ZONE_BOGUS:
		*rc = ZS_BOGUS;
		v->zs_ede = z->ede;
		break;
	}
	val__zone_release(z);
	return false;
}

/*
 * Is name at or below a negative trust anchor (RFC 7646 §2)? A configured
 * anchor below the NTA that encloses name starts validation again there
 * (as for domain-insecure); one at the NTA's own name is overridden by it.
 * The earliest expiry of the NTAs that applied is kept for val_result_nta().
 */
static bool nta_covers(struct val *v, const uint8_t *name)
{
	unsigned labels;
	time_t until;
	if (v->env->nta == NULL ||
	    val_nta_find(v->env->nta, name, clock_wall(), &labels, &until) != 0)
		return false;
	const struct val_anchor *a = val_anchors_closest(v->env->anchors, name);
	if (a != NULL && wire_dname_labels(val_anchor_name(a)) > labels)
		return false;
	if (!v->nta || until < v->nta_until)
		v->nta_until = until;
	v->nta = true;
	return true;
}

/*
 * The state of the zone that holds name: walk from the closest trust anchor
 * down one label at a time (RFC 4035 §5.1, §5.2). On ZS_SECURE, *zone is
 * the innermost secure zone at or above name (caller releases it).
 */
static enum zs zone_status(struct val *v, const uint8_t *name, struct val__zone **zone)
{
	*zone = NULL;
	v->zs_ede = -1;
	/* RFC 7646: domain-insecure, or an NTA: the walk stops being checked there. */
	if (val_anchors_insecure(v->env->anchors, name) || nta_covers(v, name))
		return ZS_INSECURE;
	const struct val_anchor *a = val_anchors_closest(v->env->anchors, name);
	if (a == NULL)
		return ZS_INSECURE;
	struct val__zone *cur = NULL, *z = NULL;
	enum zs rc = anchor_zone(v, a, &z);
	if (rc != ZS_SECURE)
		return rc;
	if (!walk_take(v, &cur, z, &rc))
		return rc;
	unsigned top = wire_dname_labels(val_anchor_name(a)), depth = wire_dname_labels(name);
	for (unsigned l = top + 1; l <= depth; l++) {
		const uint8_t *n = wire_dname_suffix(name, l);
		z = val__keycache_get(v->env->keys, n, clock_wall());
		if (z == NULL && (rc = zone_below(v, cur, n, &z)) != ZS_SECURE) {
			val__zone_release(cur);
			return rc;
		}
		if (!walk_take(v, &cur, z, &rc)) {
			val__zone_release(cur);
			return rc;
		}
	}
	*zone = cur;
	return ZS_SECURE;
}

/* ---- the answer ---- */

/* Combine a part's verdict into the whole: bogus beats insecure beats secure. */
static void verdict(struct val *v, enum val_status s, int ede)
{
	if (s == VAL_BOGUS && v->status != VAL_BOGUS) {
		v->status = VAL_BOGUS;
		v->ede = ede;
	} else if (s == VAL_INSECURE && v->status == VAL_SECURE) {
		v->status = VAL_INSECURE;
		if (ede >= 0)
			v->ede = ede;
	}
}

/* From a zone_status() outcome: SECURE needs more checks, the rest are verdicts. */
static bool zone_verdict(struct val *v, enum zs rc)
{
	if (rc == ZS_INSECURE)
		verdict(v, VAL_INSECURE, v->zs_ede);
	else if (rc == ZS_BOGUS)
		verdict(v, VAL_BOGUS, v->zs_ede);
	return rc == ZS_SECURE;
}

/* A CNAME we synthesised from a DNAME of the answer carries no RRSIG (RFC 6672 §5.3.1). */
static bool synthesised(const ldns_rr_list *answer, const ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		const ldns_rr *d = ldns_rr_list_rr(answer, i);
		if (ldns_rr_get_type(d) == LDNS_RR_TYPE_DNAME &&
		    wire_dname_is_subdomain(owner_of(rr), owner_of(d)) &&
		    !wire_dname_equal(owner_of(rr), owner_of(d)))
			return true;
	}
	return false;
}

/* RFC 4035 §5.3.4: an expanded wildcard needs proof that the name itself is absent. */
static void check_wildcard(struct val *v, const ldns_rr *sig, const uint8_t *owner,
                           const struct val__zone *zone)
{
	unsigned labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	if (labels >= wire_dname_labels(owner))
		return;
	int ede;
	ldns_rr_list *recs = checked_denial(v, v->in.authority, zone, &ede);
	struct val_denial d = {.records = recs,
	                       .zone = zone->name,
	                       .qname = owner,
	                       .qtype = v->in.qtype,
	                       .nsec3_max_iterations = v->env->nsec3_max_iterations,
	                       .budget = v->budget};
	enum val_proof p =
	        ede == 0 && recs != NULL ? val_denial_wildcard(&d, labels) : VAL_PROOF_NONE;
	ldns_rr_list_free(recs);
	if (p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS)
		verdict(v, VAL_INSECURE,
		        p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1);
	else if (p != VAL_PROOF_WILDCARD_ANSWER)
		verdict(v, VAL_BOGUS, ede != 0 ? ede : WIRE_EDE_NSEC_MISSING);
}

/* One RRset of the answer section. Returns false when a fetch is needed. */
static bool check_rrset(struct val *v, const ldns_rr *first)
{
	const uint8_t *owner = owner_of(first);
	uint16_t type = ldns_rr_get_type(first);
	ldns_rr_list *set = select_rrs(v->in.answer, owner, type, false);
	ldns_rr_list *sigs = select_rrs(v->in.answer, owner, type, true);
	struct val__zone *zone = NULL;
	bool more = true;
	if (set == NULL || sigs == NULL) {
		verdict(v, VAL_BOGUS, WIRE_EDE_BOGUS);
	} else if (nta_covers(v, owner)) {
		/* RFC 7646 §2: at or below an NTA, even inside its signer's zone. No EDE:
		 * RFC 8914 has no code for it, and an unsigned zone's answer has none. */
		verdict(v, VAL_INSECURE, -1);
	} else if (ldns_rr_list_rr_count(sigs) == 0) {
		/* Unsigned: fine only inside an insecure zone (RFC 4035 §5.2). */
		enum zs rc = zone_status(v, owner, &zone);
		more = rc != ZS_NEED;
		if (zone_verdict(v, rc))
			verdict(v, VAL_BOGUS, WIRE_EDE_RRSIGS_MISSING);
	} else {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, 0);
		const uint8_t *signer = sig_signer(sig);
		enum zs rc = ZS_BOGUS;
		v->zs_ede = WIRE_EDE_BOGUS; /* RFC 4035 §5.3.1: the signer must enclose the owner */
		if (wire_dname_is_subdomain(owner, signer))
			rc = zone_status(v, signer, &zone);
		more = rc != ZS_NEED;
		if (zone_verdict(v, rc)) {
			if (!wire_dname_equal(zone->name, signer))
				verdict(v, VAL_BOGUS, WIRE_EDE_DNSKEY_MISSING);
			else if ((rc = verify_rrset(v, set, sigs, signer, zone->keys,
			                            zone->n_keys)) != 0)
				verdict(v, VAL_BOGUS, rc);
			else
				check_wildcard(v, sig, owner, zone);
		}
	}
	val__zone_release(zone);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	return more;
}

/* The name a negative answer is about: the end of the CNAME/DNAME chain. */
static const uint8_t *denied_name(const struct val *v)
{
	const uint8_t *name = v->in.qname;
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->in.answer); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(v->in.answer, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
		    wire_dname_equal(owner_of(rr), name))
			name = ldns_rdf_data(ldns_rr_rdf(rr, 0));
	}
	return name;
}

static bool has_final(const struct val *v)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->in.answer); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(v->in.answer, i)) == v->in.qtype)
			return true;
	}
	return false;
}

/* What a proof means for a NXDOMAIN or NODATA answer. */
static void denial_verdict(struct val *v, enum val_proof p, int ede)
{
	bool nx = v->in.rcode == LDNS_RCODE_NXDOMAIN;
	if (p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS)
		verdict(v, VAL_INSECURE,
		        p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1);
	else if ((nx && p == VAL_PROOF_NXDOMAIN) ||
	         (!nx && (p == VAL_PROOF_NODATA || p == VAL_PROOF_WILDCARD_NODATA ||
	                  p == VAL_PROOF_NO_DS)))
		return;
	else
		verdict(v, VAL_BOGUS, ede != 0 ? ede : WIRE_EDE_NSEC_MISSING);
}

/* RFC 8198: keep the validated denial for later questions it also answers. */
static void keep_denial(struct val *v, const struct val__zone *zone, const ldns_rr_list *recs)
{
	if (v->env->cache == NULL || !v->env->aggressive || recs == NULL)
		return;
	ldns_rr_list *keep = ldns_rr_list_new();
	for (size_t i = 0; keep != NULL && i < ldns_rr_list_rr_count(v->in.authority); i++) {
		ldns_rr *rr = ldns_rr_list_rr(v->in.authority, i);
		/* The SOA of the zone and the checked records, each with its RRSIGs. */
		const uint8_t *owner = owner_of(rr);
		bool take = wire_dname_equal(owner, zone->name) &&
		            (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA ||
		             sig_covers(rr) == LDNS_RR_TYPE_SOA);
		for (size_t j = 0; !take && j < ldns_rr_list_rr_count(recs); j++) {
			const ldns_rr *r = ldns_rr_list_rr(recs, j);
			take = wire_dname_equal(owner, owner_of(r)) &&
			       (ldns_rr_compare(rr, r) == 0 ||
			        sig_covers(rr) == ldns_rr_get_type(r));
		}
		if (take)
			ldns_rr_list_push_rr(keep, rr);
	}
	if (keep != NULL)
		val__aggr_store(v->env->cache, zone->name, keep);
	ldns_rr_list_free(keep);
}

/* The negative part: SOA and NSEC/NSEC3 signed by the zone, and a proof. */
static bool check_denial(struct val *v)
{
	const uint8_t *name = denied_name(v);
	const ldns_rr *soa = NULL;
	if (nta_covers(v, name)) {
		verdict(v, VAL_INSECURE, -1); /* RFC 7646 §2, as in check_rrset() */
		return true;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->in.authority); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(v->in.authority, i)) == LDNS_RR_TYPE_SOA)
			soa = ldns_rr_list_rr(v->in.authority, i);
	}
	struct val__zone *zone = NULL;
	enum zs rc = zone_status(v, soa != NULL ? owner_of(soa) : name, &zone);
	if (rc == ZS_NEED)
		return false;
	if (zone_verdict(v, rc)) {
		int ede = WIRE_EDE_NSEC_MISSING;
		if (soa != NULL) {
			ldns_rr_list *set =
			        select_rrs(v->in.authority, owner_of(soa), LDNS_RR_TYPE_SOA, false);
			ldns_rr_list *sigs =
			        select_rrs(v->in.authority, owner_of(soa), LDNS_RR_TYPE_SOA, true);
			ede = verify_rrset(v, set, sigs, zone->name, zone->keys, zone->n_keys);
			ldns_rr_list_free(set);
			ldns_rr_list_free(sigs);
		}
		if (ede != 0 && ede != WIRE_EDE_NSEC_MISSING) {
			verdict(v, VAL_BOGUS, ede);
		} else {
			ldns_rr_list *recs = checked_denial(v, v->in.authority, zone, &ede);
			struct val_denial d = {.records = recs,
			                       .zone = zone->name,
			                       .qname = name,
			                       .qtype = v->in.qtype,
			                       .nsec3_max_iterations = v->env->nsec3_max_iterations,
			                       .budget = v->budget};
			enum val_proof p =
			        ede == 0 && recs != NULL ? val_denial_prove(&d) : VAL_PROOF_NONE;
			denial_verdict(v, p, ede);
			if (soa != NULL && (p == VAL_PROOF_NXDOMAIN || p == VAL_PROOF_NODATA ||
			                    p == VAL_PROOF_WILDCARD_NODATA))
				keep_denial(v, zone, recs);
			ldns_rr_list_free(recs);
		}
	}
	val__zone_release(zone);
	return true;
}

/* One pass over the whole answer; false when it stopped for a fetch. */
static bool check_all(struct val *v)
{
	const ldns_rr_list *ans = v->in.answer;
	size_t n = ans == NULL ? 0 : ldns_rr_list_rr_count(ans);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const ldns_rr *o = ldns_rr_list_rr(ans, j);
			seen = ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
			       wire_dname_equal(owner_of(o), owner_of(rr));
		}
		if (seen || ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG || synthesised(ans, rr))
			continue;
		if (!check_rrset(v, rr))
			return false;
	}
	bool negative = v->in.rcode == LDNS_RCODE_NXDOMAIN ||
	                (v->in.rcode == LDNS_RCODE_NOERROR && !has_final(v));
	return !negative || check_denial(v);
}

struct val *val_new(const struct val_env *env, const struct val_input *in,
                    struct val_budget *budget)
{
	struct val *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->env = env;
	v->budget = budget;
	v->in = *in;
	v->ede = -1;
	return v;
}

void val_free(struct val *v)
{
	if (v == NULL)
		return;
	for (unsigned i = 0; i < v->n_memo; i++) {
		ldns_rr_list_deep_free(v->memo[i].answer);
		ldns_rr_list_deep_free(v->memo[i].authority);
	}
	free(v);
}

enum val_action val_step(struct val *v, struct val_fetch *out)
{
	if (v->done)
		return VAL_DONE;
	v->status = VAL_SECURE;
	v->ede = -1;
	v->wanting = false;
	v->nta = false;
	if (!check_all(v) && v->wanting && v->n_memo < VAL_MAX_FETCHES && !v->budget->exhausted) {
		*out = v->want;
		return VAL_FETCH;
	}
	if (v->wanting) {
		/* Out of fetches or budget with the chain unknown: fail closed. */
		v->status = VAL_BOGUS;
		v->ede = v->budget->exhausted ? WIRE_EDE_BOGUS : WIRE_EDE_NO_REACHABLE_AUTHORITY;
	} else if (v->budget->exhausted && v->status != VAL_BOGUS) {
		v->status = VAL_BOGUS;
		v->ede = WIRE_EDE_BOGUS;
	}
	v->done = true;
	return VAL_DONE;
}

bool val_result_nta(const struct val *v, time_t *until)
{
	bool nta = v->done && v->status == VAL_INSECURE && v->nta;
	if (nta && until != NULL)
		*until = v->nta_until;
	return nta;
}

enum val_status val_result(const struct val *v, struct wire_ede *ede)
{
	if (ede != NULL) {
		ede->code = v->ede;
		ede->text = NULL;
	}
	return v->status;
}
