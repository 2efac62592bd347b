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
 *
 * With a trace (val_env.trace, for mangrove-control explain) each check is
 * also reported as a struct val_step, from the code path that made it. A
 * zone's steps are reported when its state is worked out, which the key
 * cache makes once per validation; the answer's own steps are reported on
 * the first pass that gets through them (later passes are quiet).
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
	bool ds_secure; /* a DS memo, validated with usable records: the DNSKEY decides */
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
	/* Tracing (env->trace set) */
	enum val_check why; /* explains the last verify_rrset() outcome */
	bool quiet;         /* re-checking an answer RRset an earlier pass traced */
	size_t traced;      /* answer records before this index have been traced */
	bool noted;         /* stop_zone says where the last walk stopped */
	uint8_t stop_zone[WIRE_DNAME_MAX];
	bool has_fail;        /* fail holds the first bogus conclusion traced */
	struct val_step fail; /* its names point into fail_names */
	uint8_t fail_names[3][WIRE_DNAME_MAX];
};

/* Keys to check signatures with; borrowed. */
struct keyset {
	struct val_key *const *keys;
	size_t n;
};

/* What a check came to, and why; ede -1 for none. */
struct outcome {
	enum val_status status;
	int ede;
	enum val_check check;
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

static uint8_t rdf_u8(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);
	return f != NULL && ldns_rdf_size(f) == 1 ? ldns_rdf_data(f)[0] : 0;
}

static uint16_t rdf_u16(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);
	return f != NULL && ldns_rdf_size(f) == 2 ? wire_read_u16(ldns_rdf_data(f)) : 0;
}

/* ---- the trace ---- */

static bool tracing(const struct val *v)
{
	return v->env->trace != NULL && !v->quiet;
}

static struct val_step step_new(enum val_step_kind kind, const uint8_t *zone)
{
	return (struct val_step){.kind = kind, .ede = -1, .zone = zone};
}

static const uint8_t *name_copy(uint8_t *buf, const uint8_t *name)
{
	if (name == NULL)
		return NULL;
	memcpy(buf, name, wire_dname_len(name));
	return buf;
}

/* Hand a step to the trace; the first bogus conclusion is kept for the verdict. */
static void emit(struct val *v, const struct val_step *s)
{
	if (s->status == VAL_BOGUS && !v->has_fail) {
		v->fail = *s;
		v->fail.zone = name_copy(v->fail_names[0], s->zone);
		v->fail.owner = name_copy(v->fail_names[1], s->owner);
		v->fail.signer = name_copy(v->fail_names[2], s->signer);
		v->fail.failure = NULL;
		v->has_fail = true;
	}
	v->env->trace->step(s, v->env->trace->arg);
}

/* Where a walk stopped (insecure or bogus), for the conclusions that follow. */
static void note_zone(struct val *v, const uint8_t *name)
{
	if (!tracing(v) || name == NULL)
		return;
	memcpy(v->stop_zone, name, wire_dname_len(name));
	v->noted = true;
}

/* Report a conclusion s with outcome o. */
static void emit_outcome(struct val *v, struct val_step *s, const struct outcome *o)
{
	s->status = o->status;
	s->ede = o->ede;
	s->check = o->check;
	emit(v, s);
}

/* An RRSIG time field as wall-clock time: the serial nearest now (RFC 4034 §3.1.5). */
static time_t sig_time(const ldns_rr *sig, size_t field)
{
	const ldns_rdf *f = ldns_rr_rdf(sig, field);
	if (f == NULL || ldns_rdf_size(f) != 4)
		return 0;
	time_t now = clock_wall();
	uint32_t d = wire_read_u32(ldns_rdf_data(f)) - (uint32_t)now;
	return now + (d < 0x80000000u ? (time_t)d : (time_t)d - (time_t)0x100000000LL);
}

/* One signature over set, checked with the keys of zone. */
static void trace_sig(struct val *v, const ldns_rr_list *set, const ldns_rr *sig,
                      const uint8_t *zone, enum val_check check)
{
	if (!tracing(v))
		return;
	struct val_step s = step_new(VAL_STEP_RRSIG, zone);
	s.owner = owner_of(ldns_rr_list_rr(set, 0));
	s.type = ldns_rr_get_type(ldns_rr_list_rr(set, 0));
	s.signer = sig_signer(sig);
	s.key_tag = rdf_u16(sig, 6);
	s.algorithm = rdf_u8(sig, 1);
	s.inception = sig_time(sig, 5);
	s.expiration = sig_time(sig, 4);
	s.check = check;
	emit(v, &s);
}

/* The chain of trust ends at zone (looking at owner), not bogus. */
static void trace_insecure(struct val *v, const uint8_t *zone, const uint8_t *owner,
                           enum val_insecure why, int ede)
{
	if (!tracing(v))
		return;
	struct val_step s = step_new(VAL_STEP_INSECURE, zone);
	s.owner = owner;
	s.insecure = why;
	s.status = VAL_INSECURE;
	s.ede = ede;
	emit(v, &s);
}

/* What the name z->name turned out to be, decided by its RRset of this type. */
static void trace_zone(struct val *v, const struct val__zone *z, uint16_t type, enum val_check why)
{
	if (!tracing(v) || z == NULL)
		return;
	struct val_step s = step_new(VAL_STEP_ZONE, z->name);
	s.owner = z->name;
	s.type = type;
	s.cut = z->kind != VAL__ZONE_NOT_CUT;
	s.count = (unsigned)z->n_keys;
	s.status = z->kind == VAL__ZONE_BOGUS ? VAL_BOGUS : VAL_SECURE;
	s.ede = z->ede;
	s.check = z->kind == VAL__ZONE_BOGUS ? why : VAL_CHECK_OK;
	emit(v, &s);
}

/* What the NSEC/NSEC3 records recs of zone proved about (owner, type). */
static struct val_step denial_step(const uint8_t *zone, const uint8_t *owner, uint16_t type,
                                   const ldns_rr_list *recs, enum val_proof p)
{
	struct val_step s = step_new(VAL_STEP_DENIAL, zone);
	s.owner = owner;
	s.type = type;
	s.proof = p;
	s.count = recs != NULL ? (unsigned)ldns_rr_list_rr_count(recs) : 0;
	for (unsigned i = 0; i < s.count; i++)
		s.nsec3 =
		        s.nsec3 || ldns_rr_get_type(ldns_rr_list_rr(recs, i)) == LDNS_RR_TYPE_NSEC3;
	return s;
}

/* The trust anchor records configured for a zone. */
static void trace_anchor(struct val *v, const struct val_anchor *a)
{
	const ldns_rr_list *ds = val_anchor_ds(a), *keys = val_anchor_dnskey(a);
	for (size_t i = 0; tracing(v) && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);
		struct val_step s = step_new(VAL_STEP_ANCHOR, val_anchor_name(a));
		s.type = LDNS_RR_TYPE_DS;
		s.key_tag = rdf_u16(d, 0);
		s.algorithm = rdf_u8(d, 1);
		s.digest_type = rdf_u8(d, 2);
		s.check = !val_algorithm_supported(s.algorithm)  ? VAL_CHECK_UNSUPPORTED_ALG
		          : !val_digest_supported(s.digest_type) ? VAL_CHECK_UNSUPPORTED_DIGEST
		                                                 : VAL_CHECK_OK;
		emit(v, &s);
	}
	for (size_t i = 0; tracing(v) && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		struct val_step s = step_new(VAL_STEP_ANCHOR, val_anchor_name(a));
		s.type = LDNS_RR_TYPE_DNSKEY;
		s.key_tag = val_key_tag(k);
		s.flags = rdf_u16(k, 0);
		s.algorithm = rdf_u8(k, 2);
		s.check = val_algorithm_supported(s.algorithm) ? VAL_CHECK_OK
		                                               : VAL_CHECK_UNSUPPORTED_ALG;
		emit(v, &s);
	}
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

static struct val_memo *fetched(struct val *v, const uint8_t *name, uint16_t type)
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

/* Take a better explanation than the one we have (RFC 8914: the most specific). */
static void ede_pick(struct outcome *have, int ede, enum val_check check)
{
	if (have->ede == WIRE_EDE_RRSIGS_MISSING || have->ede == WIRE_EDE_DNSKEY_MISSING) {
		have->ede = ede;
		have->check = check;
	}
}

/* Try the keys with the RRSIG's tag and algorithm: 0 when one verifies. */
static int verify_sig(struct val *v, const ldns_rr_list *set, const ldns_rr *sig,
                      const struct keyset *ks, struct outcome *o)
{
	const uint8_t *signer = sig_signer(sig); /* the zone, checked by the caller */
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
	unsigned tried = 0;
	ede_pick(o, WIRE_EDE_DNSKEY_MISSING, VAL_CHECK_NO_KEY);
	for (size_t k = 0; k < ks->n; k++) {
		if (val_key_get_tag(ks->keys[k]) != tag ||
		    val_key_get_algorithm(ks->keys[k]) != alg)
			continue;
		/* KeyTrap (CVE-2023-50387): few keys per tag, few checks per question. */
		if (tried++ >= v->budget->key_collisions || !budget_draw_sig(v->budget)) {
			trace_sig(v, set, sig, signer, VAL_CHECK_KEY_LIMIT);
			return -1;
		}
		if (val_rrsig_verify(set, sig, ks->keys[k]) == 0) {
			trace_sig(v, set, sig, signer, VAL_CHECK_OK);
			return 0;
		}
		trace_sig(v, set, sig, signer, VAL_CHECK_BAD_SIG);
		*o = (struct outcome){VAL_BOGUS, WIRE_EDE_BOGUS, VAL_CHECK_BAD_SIG};
	}
	if (tried == 0)
		trace_sig(v, set, sig, signer, VAL_CHECK_NO_KEY);
	return -1;
}

/*
 * Check an RRset with the RRSIGs in sigs made by signer, with these keys
 * (RFC 4035 §5.3). 0 when one signature is good, else the EDE code;
 * v->why says which check failed.
 */
static int verify_rrset(struct val *v, const ldns_rr_list *set, const ldns_rr_list *sigs,
                        const uint8_t *signer, struct keyset ks)
{
	const uint8_t *owner = owner_of(ldns_rr_list_rr(set, 0));
	struct outcome o = {VAL_BOGUS, WIRE_EDE_RRSIGS_MISSING, VAL_CHECK_RRSIGS_MISSING};
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		/* RFC 4035 §5.3.1: signer is the zone, labels no more than the owner's. */
		if (!wire_dname_equal(sig_signer(sig), signer) ||
		    ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) > wire_dname_labels(owner)) {
			ede_pick(&o, WIRE_EDE_BOGUS, VAL_CHECK_WRONG_SIGNER);
			trace_sig(v, set, sig, signer, VAL_CHECK_WRONG_SIGNER);
			continue;
		}
		enum val_sig_time when = val_rrsig_time(sig, clock_wall(), v->env->sig_skew);
		if (when != VAL_SIG_TIME_OK) {
			enum val_check c = when == VAL_SIG_EXPIRED ? VAL_CHECK_EXPIRED
			                                           : VAL_CHECK_NOT_YET_VALID;
			ede_pick(&o,
			         when == VAL_SIG_EXPIRED ? WIRE_EDE_SIG_EXPIRED
			                                 : WIRE_EDE_SIG_NOT_YET,
			         c);
			trace_sig(v, set, sig, signer, c);
			continue;
		}
		if (verify_sig(v, set, sig, &ks, &o) == 0) {
			v->why = VAL_CHECK_OK;
			return 0;
		}
		if (v->budget->exhausted) {
			v->why = VAL_CHECK_BUDGET;
			return WIRE_EDE_BOGUS;
		}
	}
	v->why = o.check;
	return o.ede;
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

static struct keyset zone_keys(const struct val__zone *z)
{
	return (struct keyset){z->keys, z->n_keys};
}

/* What comparing a DS with the DNSKEYs came to, for the trace. */
enum ds_seen {
	DS_UNSEEN = 0, /* no DNSKEY has its tag */
	DS_MISMATCH,
	DS_MATCH,
};

/* Each DS of a zone, and whether a DNSKEY matched it (seen[] from trusted_keys()). */
static void trace_ds(struct val *v, const uint8_t *name, const ldns_rr_list *ds,
                     const uint8_t *seen)
{
	for (size_t j = 0; j < ldns_rr_list_rr_count(ds); j++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, j);
		struct val_step s = step_new(VAL_STEP_DS, name);
		s.type = LDNS_RR_TYPE_DS;
		s.key_tag = rdf_u16(d, 0);
		s.algorithm = rdf_u8(d, 1);
		s.digest_type = rdf_u8(d, 2);
		s.check = seen[j] == DS_MATCH      ? VAL_CHECK_OK
		          : seen[j] == DS_MISMATCH ? VAL_CHECK_DIGEST_MISMATCH
		          : v->budget->exhausted   ? VAL_CHECK_BUDGET
		                                   : VAL_CHECK_NO_KEY;
		emit(v, &s);
	}
}

/* The DS records of a validated DS RRset that are ignored: unknown algorithm or digest. */
static void trace_unusable_ds(struct val *v, const uint8_t *name, const ldns_rr_list *ds)
{
	for (size_t j = 0; tracing(v) && j < ldns_rr_list_rr_count(ds); j++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, j);
		struct val_step s = step_new(VAL_STEP_DS, name);
		s.type = LDNS_RR_TYPE_DS;
		s.key_tag = rdf_u16(d, 0);
		s.algorithm = rdf_u8(d, 1);
		s.digest_type = rdf_u8(d, 2);
		if (!val_algorithm_supported(s.algorithm))
			s.check = VAL_CHECK_UNSUPPORTED_ALG;
		else if (!val_digest_supported(s.digest_type))
			s.check = VAL_CHECK_UNSUPPORTED_DIGEST;
		else
			continue; /* usable: trace_ds() reports it with the DNSKEYs */
		emit(v, &s);
	}
}

/* Each DNSKEY of a zone: usable or not, vouched for by a DS or anchor or not. */
static void trace_dnskeys(struct val *v, const uint8_t *name, const ldns_rr_list *dnskeys,
                          const ldns_rr_list *trusted)
{
	for (size_t i = 0; tracing(v) && i < ldns_rr_list_rr_count(dnskeys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(dnskeys, i);
		struct val_step s = step_new(VAL_STEP_DNSKEY, name);
		s.type = LDNS_RR_TYPE_DNSKEY;
		s.key_tag = val_key_tag(k);
		s.flags = rdf_u16(k, 0);
		s.algorithm = rdf_u8(k, 2);
		s.check = VAL_CHECK_UNTRUSTED;
		for (size_t j = 0; j < ldns_rr_list_rr_count(trusted); j++)
			if (ldns_rr_list_rr(trusted, j) == k)
				s.check = VAL_CHECK_OK;
		if (!(s.flags & 0x0100u))
			s.check = VAL_CHECK_NOT_ZONE_KEY;
		else if (s.flags & 0x0080u)
			s.check = VAL_CHECK_REVOKED;
		else if (!val_algorithm_supported(s.algorithm))
			s.check = VAL_CHECK_UNSUPPORTED_ALG;
		emit(v, &s);
	}
}

/* Does the DNSKEY match a trust anchor DNSKEY? */
static bool anchor_key(const ldns_rr *key, const ldns_rr_list *anchor_keys)
{
	for (size_t j = 0; anchor_keys != NULL && j < ldns_rr_list_rr_count(anchor_keys); j++)
		if (ldns_rr_compare_no_rdata(key, ldns_rr_list_rr(anchor_keys, j)) == 0 &&
		    ldns_rr_compare(key, ldns_rr_list_rr(anchor_keys, j)) == 0)
			return true;
	return false;
}

/*
 * The DNSKEYs of zone name's set that a trusted DS or anchor DNSKEY vouches
 * for (RFC 4035 §5.2); with a trace, each DS is reported with what it matched.
 */
static ldns_rr_list *trusted_keys(struct val *v, const uint8_t *name, const ldns_rr_list *dnskeys,
                                  const ldns_rr_list *ds, const ldns_rr_list *anchor_keys)
{
	size_t n_ds = ds != NULL ? ldns_rr_list_rr_count(ds) : 0;
	uint8_t *seen = tracing(v) && n_ds > 0 ? calloc(n_ds, 1) : NULL;
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; out != NULL && i < ldns_rr_list_rr_count(dnskeys); i++) {
		ldns_rr *key = ldns_rr_list_rr(dnskeys, i);
		bool ok = anchor_key(key, anchor_keys);
		for (size_t j = 0; !ok && j < n_ds; j++) {
			const ldns_rr *d = ldns_rr_list_rr(ds, j);
			if (ldns_rr_rd_count(d) < 4 ||
			    ldns_rdf2native_int16(ldns_rr_rdf(d, 0)) != val_key_tag(key))
				continue;
			int rc = val_ds_match(d, key);
			if (seen != NULL && (rc == 0 || seen[j] != DS_MATCH))
				seen[j] = rc == 0 ? DS_MATCH : DS_MISMATCH;
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
	if (seen != NULL)
		trace_ds(v, name, ds, seen);
	free(seen);
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
	struct val__zone *z = NULL;
	int ede = WIRE_EDE_DNSKEY_MISSING;
	enum val_check why = VAL_CHECK_NO_DNSKEYS;
	if (dnskeys != NULL && sigs != NULL && ldns_rr_list_rr_count(dnskeys) > 0) {
		trusted = trusted_keys(v, name, dnskeys, ds, anchor_keys);
		why = VAL_CHECK_NO_TRUSTED_KEY;
		if (trusted != NULL)
			trace_dnskeys(v, name, dnskeys, trusted);
	}
	if (trusted != NULL && ldns_rr_list_rr_count(trusted) > 0) {
		size_t n_trusted;
		struct val_key **tk = parse_keys(trusted, &n_trusted);
		ede = tk == NULL ? WIRE_EDE_BOGUS
		                 : verify_rrset(v, dnskeys, sigs, name,
		                                (struct keyset){tk, n_trusted});
		why = tk == NULL ? VAL_CHECK_NO_TRUSTED_KEY : v->why;
		free_keys(tk, n_trusted);
	}
	if (ede == 0) {
		size_t n;
		struct val_key **keys = parse_keys(dnskeys, &n);
		z = val__zone_new(name, VAL__ZONE_SECURE, -1, keep_until(dnskeys, VAL_MAX_KEEP),
		                  keys, n);
	} else {
		z = val__zone_new(name, VAL__ZONE_BOGUS, ede, clock_wall() + v->env->bogus_ttl,
		                  NULL, 0);
	}
	trace_zone(v, z, LDNS_RR_TYPE_DNSKEY, why);
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
		bool alg = unusable_ds_ede(val_anchor_ds(a)) == WIRE_EDE_UNSUPPORTED_ALG ||
		           ldns_rr_list_rr_count(val_anchor_dnskey(a)) > 0;
		ldns_rr_list_free(ds);
		trace_anchor(v, a);
		trace_insecure(v, name, name, alg ? VAL_INSECURE_ALGORITHM : VAL_INSECURE_DIGEST,
		               -1);
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
	trace_anchor(v, a);
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
		                : verify_rrset(v, set, sigs, zone->name, zone_keys(zone));
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

/* Why a denial makes a cut insecure. */
static enum val_insecure insecure_by(enum val_proof p)
{
	return p == VAL_PROOF_ITERATIONS ? VAL_INSECURE_ITERATIONS
	       : p == VAL_PROOF_OPTOUT   ? VAL_INSECURE_OPTOUT
	                                 : VAL_INSECURE_NO_DS;
}

/*
 * A name below a secure zone whose parent answered the DS question with a
 * denial: an insecure cut, no cut at all, or a broken chain (RFC 4035 §5.2).
 */
static struct val__zone *cut_from_denial(struct val *v, const struct val__zone *parent,
                                         const uint8_t *name, const struct val_memo *m)
{
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
	struct outcome o = {VAL_BOGUS, ede != 0 ? ede : WIRE_EDE_NSEC_MISSING,
	                    ede != 0 ? v->why : VAL_CHECK_NO_PROOF};
	if (p == VAL_PROOF_NO_DS || p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS) {
		kind = VAL__ZONE_INSECURE;
		o = (struct outcome){VAL_INSECURE,
		                     p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1,
		                     VAL_CHECK_OK};
	} else if (p == VAL_PROOF_NODATA && m->rcode == LDNS_RCODE_NOERROR) {
		kind = VAL__ZONE_NOT_CUT;
		o = (struct outcome){VAL_SECURE, -1, VAL_CHECK_OK};
	}
	struct val__zone *z =
	        val__zone_new(name, kind, o.ede,
	                      kind == VAL__ZONE_BOGUS ? clock_wall() + v->env->bogus_ttl
	                                              : keep_until(recs, VAL_MAX_KEEP),
	                      NULL, 0);
	if (tracing(v)) {
		struct val_step s = denial_step(parent->name, name, LDNS_RR_TYPE_DS, recs, p);
		emit_outcome(v, &s, &o);
	}
	if (kind == VAL__ZONE_INSECURE)
		trace_insecure(v, name, name, insecure_by(p), o.ede);
	else
		trace_zone(v, z, LDNS_RR_TYPE_DS, o.check);
	ldns_rr_list_free(recs);
	return z;
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
		int ede = verify_rrset(v, ds, sigs, parent->name, zone_keys(parent));
		ldns_rr_list *usable = ede == 0 ? usable_ds(ds) : NULL;
		if (ede != 0) {
			z = val__zone_new(name, VAL__ZONE_BOGUS, ede, bogus_until, NULL, 0);
			trace_zone(v, z, LDNS_RR_TYPE_DS, v->why);
		} else if (usable == NULL || ldns_rr_list_rr_count(usable) == 0) {
			/* Only algorithms or digests we do not implement: insecure,
			 * and the EDE says which (RFC 4035 §5.2, RFC 8914 §4.2, §4.3). */
			int e = unusable_ds_ede(ds);
			z = val__zone_new(name, VAL__ZONE_INSECURE, e, keep_until(ds, VAL_MAX_KEEP),
			                  NULL, 0);
			trace_unusable_ds(v, name, ds);
			trace_insecure(v, name, name,
			               e == WIRE_EDE_UNSUPPORTED_ALG ? VAL_INSECURE_ALGORITHM
			                                             : VAL_INSECURE_DIGEST,
			               e);
		} else {
			trace_unusable_ds(v, name, ds);
			*need_dnskey = true;
		}
		ldns_rr_list_free(usable);
	} else if (m->rcode == LDNS_RCODE_NOERROR || m->rcode == LDNS_RCODE_NXDOMAIN) {
		z = cut_from_denial(v, parent, name, m);
	} else {
		z = val__zone_new(name, VAL__ZONE_BOGUS, WIRE_EDE_NO_REACHABLE_AUTHORITY,
		                  bogus_until, NULL, 0);
		trace_zone(v, z, LDNS_RR_TYPE_DS, VAL_CHECK_UNREACHABLE);
	}
	ldns_rr_list_free(ds);
	ldns_rr_list_free(sigs);
	return z;
}

/* The walk stopped at name for want of budget, with the DS checked: bogus. */
static void trace_budget(struct val *v, const uint8_t *name)
{
	if (!tracing(v))
		return;
	struct val_step s = step_new(VAL_STEP_ZONE, name);
	s.owner = name;
	s.type = LDNS_RR_TYPE_DNSKEY;
	s.cut = true;
	emit_outcome(v, &s, &(struct outcome){VAL_BOGUS, WIRE_EDE_BOGUS, VAL_CHECK_BUDGET});
}

/*
 * What the name one label below a secure zone is; fetches DS, then DNSKEY.
 * A DS that needs the DNSKEY is checked once: the memo remembers it.
 */
static enum zs zone_below(struct val *v, const struct val__zone *parent, const uint8_t *name,
                          struct val__zone **out)
{
	struct val_memo *m = fetched(v, name, LDNS_RR_TYPE_DS);
	if (m == NULL)
		return ZS_NEED;
	if (!m->ds_secure) {
		bool need_dnskey;
		struct val__zone *z = cut_from_ds(v, parent, name, m, &need_dnskey);
		if (need_dnskey && v->budget->exhausted)
			trace_budget(v, name);
		if (!need_dnskey || v->budget->exhausted)
			return zone_result(v, z, out);
		m->ds_secure = true;
	}
	/* A validated DS with usable digests: the child's DNSKEY must match one. */
	const struct val_memo *k = fetched(v, name, LDNS_RR_TYPE_DNSKEY);
	if (k == NULL)
		return ZS_NEED;
	ldns_rr_list *ds = select_rrs(m->answer, name, LDNS_RR_TYPE_DS, false);
	ldns_rr_list *usable = usable_ds(ds);
	struct val__zone *z = zone_from_dnskey(v, name, k, usable, NULL);
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
	note_zone(v, z->name);
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
	note_zone(v, wire_dname_suffix(name, labels));
	if (tracing(v)) {
		struct val_step s = step_new(VAL_STEP_NTA, wire_dname_suffix(name, labels));
		s.owner = name;
		s.until = until;
		s.status = VAL_INSECURE;
		emit(v, &s);
	}
	return true;
}

/* Where the walk for name starts, or why there is none (RFC 4035 §4.3, RFC 7646). */
static const struct val_anchor *walk_start(struct val *v, const uint8_t *name)
{
	if (val_anchors_insecure(v->env->anchors, name)) {
		const uint8_t *cover = val_anchors_insecure_cover(v->env->anchors, name);
		trace_insecure(v, cover, name, VAL_INSECURE_DOMAIN, -1);
		note_zone(v, cover);
		return NULL;
	}
	if (nta_covers(v, name))
		return NULL;
	const struct val_anchor *a = val_anchors_closest(v->env->anchors, name);
	if (a == NULL) {
		trace_insecure(v, name, name, VAL_INSECURE_NO_ANCHOR, -1);
		note_zone(v, name);
	}
	return a;
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
	const struct val_anchor *a = walk_start(v, name);
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

/* From a zone_status() outcome: SECURE needs more checks, the rest are outcomes. */
static bool zone_outcome(const struct val *v, enum zs rc, struct outcome *o)
{
	if (rc == ZS_INSECURE)
		*o = (struct outcome){VAL_INSECURE, v->zs_ede, VAL_CHECK_OK};
	else if (rc == ZS_BOGUS)
		*o = (struct outcome){VAL_BOGUS, v->zs_ede, VAL_CHECK_BOGUS_CHAIN};
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
                           const struct val__zone *zone, struct outcome *o)
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
	if (p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS)
		*o = (struct outcome){VAL_INSECURE,
		                      p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1,
		                      VAL_CHECK_OK};
	else if (p != VAL_PROOF_WILDCARD_ANSWER)
		*o = (struct outcome){VAL_BOGUS, ede != 0 ? ede : WIRE_EDE_NSEC_MISSING,
		                      ede != 0 ? v->why : VAL_CHECK_NO_PROOF};
	if (tracing(v)) {
		struct val_step s = denial_step(zone->name, owner, v->in.qtype, recs, p);
		emit_outcome(v, &s, o);
	}
	ldns_rr_list_free(recs);
}

/* A signed RRset of the answer: its signer's zone, the signatures, a wildcard's proof. */
static enum zs check_signed(struct val *v, const ldns_rr_list *set, const ldns_rr_list *sigs,
                            struct val__zone **zone, struct outcome *o)
{
	const ldns_rr *sig = ldns_rr_list_rr(sigs, 0);
	const uint8_t *owner = owner_of(ldns_rr_list_rr(set, 0)), *signer = sig_signer(sig);
	if (!wire_dname_is_subdomain(owner, signer)) {
		/* RFC 4035 §5.3.1: the signer must enclose the owner */
		*o = (struct outcome){VAL_BOGUS, WIRE_EDE_BOGUS, VAL_CHECK_WRONG_SIGNER};
		return ZS_BOGUS;
	}
	enum zs rc = zone_status(v, signer, zone);
	if (!zone_outcome(v, rc, o))
		return rc;
	int ede;
	if (!wire_dname_equal((*zone)->name, signer))
		*o = (struct outcome){VAL_BOGUS, WIRE_EDE_DNSKEY_MISSING, VAL_CHECK_NOT_APEX};
	else if ((ede = verify_rrset(v, set, sigs, signer, zone_keys(*zone))) != 0)
		*o = (struct outcome){VAL_BOGUS, ede, v->why};
	else
		check_wildcard(v, sig, owner, *zone, o);
	return rc;
}

/* One RRset of the answer section. Returns false when a fetch is needed. */
static bool check_rrset(struct val *v, const ldns_rr *first)
{
	const uint8_t *owner = owner_of(first);
	uint16_t type = ldns_rr_get_type(first);
	ldns_rr_list *set = select_rrs(v->in.answer, owner, type, false);
	ldns_rr_list *sigs = select_rrs(v->in.answer, owner, type, true);
	struct val__zone *zone = NULL;
	struct outcome o = {VAL_SECURE, -1, VAL_CHECK_OK};
	enum zs rc = ZS_SECURE;
	v->noted = false;
	if (set == NULL || sigs == NULL) {
		o = (struct outcome){VAL_BOGUS, WIRE_EDE_BOGUS, VAL_CHECK_OK}; /* no memory */
	} else if (nta_covers(v, owner)) {
		/* RFC 7646 §2: at or below an NTA, even inside its signer's zone. No EDE:
		 * RFC 8914 has no code for it, and an unsigned zone's answer has none. */
		o.status = VAL_INSECURE;
	} else if (ldns_rr_list_rr_count(sigs) == 0) {
		/* Unsigned: fine only inside an insecure zone (RFC 4035 §5.2). */
		rc = zone_status(v, owner, &zone);
		if (zone_outcome(v, rc, &o))
			o = (struct outcome){VAL_BOGUS, WIRE_EDE_RRSIGS_MISSING,
			                     VAL_CHECK_RRSIGS_MISSING};
	} else {
		rc = check_signed(v, set, sigs, &zone, &o);
	}
	if (rc != ZS_NEED) {
		verdict(v, o.status, o.ede);
		if (tracing(v)) {
			/* The signer's zone, or where the walk stopped, or the signer named. */
			const uint8_t *where = zone != NULL ? zone->name
			                       : v->noted   ? v->stop_zone
			                       : ldns_rr_list_rr_count(sigs) > 0
			                               ? sig_signer(ldns_rr_list_rr(sigs, 0))
			                               : owner;
			struct val_step s = step_new(VAL_STEP_RRSET, where);
			s.owner = owner;
			s.type = type;
			emit_outcome(v, &s, &o);
		}
	}
	val__zone_release(zone);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	return rc != ZS_NEED;
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

/* What a proof means for a NXDOMAIN or NODATA answer (ede: of the records' check). */
static void proof_outcome(const struct val *v, enum val_proof p, int ede, struct outcome *o)
{
	bool nx = v->in.rcode == LDNS_RCODE_NXDOMAIN;
	if (p == VAL_PROOF_OPTOUT || p == VAL_PROOF_ITERATIONS)
		*o = (struct outcome){VAL_INSECURE,
		                      p == VAL_PROOF_ITERATIONS ? WIRE_EDE_NSEC3_ITERATIONS : -1,
		                      VAL_CHECK_OK};
	else if (!(nx && p == VAL_PROOF_NXDOMAIN) &&
	         !(!nx && (p == VAL_PROOF_NODATA || p == VAL_PROOF_WILDCARD_NODATA ||
	                   p == VAL_PROOF_NO_DS)))
		*o = (struct outcome){VAL_BOGUS, ede != 0 ? ede : WIRE_EDE_NSEC_MISSING,
		                      ede != 0 ? v->why : VAL_CHECK_NO_PROOF};
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

/* The proof itself, in a secure zone: NSEC/NSEC3 records checked, then what they prove. */
static void prove_denial(struct val *v, const struct val__zone *zone, const ldns_rr *soa,
                         const uint8_t *name, struct outcome *o)
{
	int ede;
	ldns_rr_list *recs = checked_denial(v, v->in.authority, zone, &ede);
	struct val_denial d = {.records = recs,
	                       .zone = zone->name,
	                       .qname = name,
	                       .qtype = v->in.qtype,
	                       .nsec3_max_iterations = v->env->nsec3_max_iterations,
	                       .budget = v->budget};
	enum val_proof p = ede == 0 && recs != NULL ? val_denial_prove(&d) : VAL_PROOF_NONE;
	proof_outcome(v, p, ede, o);
	if (soa != NULL &&
	    (p == VAL_PROOF_NXDOMAIN || p == VAL_PROOF_NODATA || p == VAL_PROOF_WILDCARD_NODATA))
		keep_denial(v, zone, recs);
	if (tracing(v)) {
		struct val_step s = denial_step(zone->name, name, v->in.qtype, recs, p);
		emit_outcome(v, &s, o);
	}
	ldns_rr_list_free(recs);
}

/* The SOA of a negative answer, signed by its zone (RFC 4035 §5.4): 0 or the EDE. */
static int check_soa(struct val *v, const struct val__zone *zone, const ldns_rr *soa)
{
	ldns_rr_list *set = select_rrs(v->in.authority, owner_of(soa), LDNS_RR_TYPE_SOA, false);
	ldns_rr_list *sigs = select_rrs(v->in.authority, owner_of(soa), LDNS_RR_TYPE_SOA, true);
	int ede = verify_rrset(v, set, sigs, zone->name, zone_keys(zone));
	if (ede != 0 && ede != WIRE_EDE_NSEC_MISSING && tracing(v)) {
		struct val_step s = step_new(VAL_STEP_RRSET, zone->name);
		s.owner = owner_of(soa);
		s.type = LDNS_RR_TYPE_SOA;
		emit_outcome(v, &s, &(struct outcome){VAL_BOGUS, ede, v->why});
	}
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	return ede;
}

/* The negative part: SOA and NSEC/NSEC3 signed by the zone, and a proof. */
static bool check_denial(struct val *v)
{
	const uint8_t *name = denied_name(v);
	const ldns_rr *soa = NULL;
	struct val__zone *zone = NULL;
	struct outcome o = {VAL_SECURE, -1, VAL_CHECK_OK};
	enum zs rc = ZS_INSECURE;
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->in.authority); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(v->in.authority, i)) == LDNS_RR_TYPE_SOA)
			soa = ldns_rr_list_rr(v->in.authority, i);
	}
	const uint8_t *where = soa != NULL ? owner_of(soa) : name;
	v->noted = false;
	if (nta_covers(v, name)) /* RFC 7646 §2, as in check_rrset() */
		o.status = VAL_INSECURE;
	else if ((rc = zone_status(v, where, &zone)) == ZS_NEED)
		return false;
	else if (zone_outcome(v, rc, &o)) {
		int ede = soa != NULL ? check_soa(v, zone, soa) : WIRE_EDE_NSEC_MISSING;
		if (ede != 0 && ede != WIRE_EDE_NSEC_MISSING)
			o = (struct outcome){VAL_BOGUS, ede, v->why};
		else
			prove_denial(v, zone, soa, name, &o);
	}
	verdict(v, o.status, o.ede);
	if (rc != ZS_SECURE && tracing(v)) {
		/* Not checked: the zone is insecure, or bogus above. */
		struct val_step s = denial_step(v->noted ? v->stop_zone : where, name, v->in.qtype,
		                                NULL, VAL_PROOF_NONE);
		emit_outcome(v, &s, &o);
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
		/* An earlier pass traced this RRset: check it again, quietly. */
		v->quiet = i < v->traced;
		bool more = check_rrset(v, rr);
		v->quiet = false;
		if (!more)
			return false;
		if (i >= v->traced)
			v->traced = i + 1;
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

/* The last step: the verdict, and the first failure that led to a bogus one. */
static void trace_verdict(struct val *v, enum val_check why)
{
	struct val_step s = step_new(VAL_STEP_VERDICT, v->in.qname);
	s.owner = v->in.qname;
	s.type = v->in.qtype;
	s.status = v->status;
	s.ede = v->ede;
	s.check = why;
	if (v->status == VAL_BOGUS && v->has_fail) {
		s.failure = &v->fail;
		if (why == VAL_CHECK_OK)
			s.check = v->fail.check;
	}
	v->env->trace->step(&s, v->env->trace->arg);
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
	enum val_check why = VAL_CHECK_OK;
	if (v->wanting) {
		/* Out of fetches or budget with the chain unknown: fail closed. */
		v->status = VAL_BOGUS;
		v->ede = v->budget->exhausted ? WIRE_EDE_BOGUS : WIRE_EDE_NO_REACHABLE_AUTHORITY;
		why = v->budget->exhausted ? VAL_CHECK_BUDGET : VAL_CHECK_UNREACHABLE;
	} else if (v->budget->exhausted && v->status != VAL_BOGUS) {
		v->status = VAL_BOGUS;
		v->ede = WIRE_EDE_BOGUS;
		why = VAL_CHECK_BUDGET;
	}
	v->done = true;
	if (v->env->trace != NULL)
		trace_verdict(v, why);
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
