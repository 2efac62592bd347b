/*
 * fake_auth.c - the fake authoritative world of fake_auth.h: zone data in
 * ldns lists, answers built the way RFC 1034 §4.3.2 describes an
 * authoritative server's algorithm (referrals at zone cuts with glue, DNAME
 * and CNAME chains, wildcards as RFC 4592 has them, NXDOMAIN and NODATA with
 * the SOA of RFC 2308 §3), and a driver that runs a request against it on
 * the fake clock.
 *
 * Signed zones are signed once at set-up with ldns (ldns_dnssec_zone_sign*),
 * then kept as flat lists like unsigned ones; the breakage knobs edit those
 * lists afterwards, or act when replies are built.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_auth.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"

#define FAKE_MAX_SERVERS  64
#define FAKE_MAX_ZONES    24
#define FAKE_MAX_CHAIN    32   /* CNAME/DNAME links a server follows inside its zone */
#define FAKE_RSA_BITS     1024 /* small RSA keys: quick to make, as good for tests */
#define FAKE_TTL          3600
#define FAKE_DAY          86400u
#define FAKE_KEYTRAP_KEYS 32
#define FAKE_KEYTRAP_SIGS 16

struct fake_zone {
	ldns_rdf *origin;
	ldns_rr *soa;
	ldns_rr_list *rrs;     /* every record but the SOA and the NSEC3 chain; RRSIGs too */
	ldns_rr_list *nsec3;   /* NSEC3 records and their RRSIGs (hashed owners are no names) */
	ldns_key_list *keys;   /* the signing keys once signed, else NULL */
	ldns_rr_list *dnskeys; /* the DNSKEY RRset (forged keys included) */
	ldns_rr_list *ds;      /* the DS RRset for the parent */
	bool dnssec;           /* serve RRSIGs and denial records to DO queries */
	unsigned breaks;       /* FAKE_BREAK_* */
	ldns_rdf *target;      /* owner of the RRset some breaks act on, or NULL */
	ldns_rr_type target_type;
};

struct fake_server {
	struct fake_world *world;
	uint32_t index;
	struct sa addr;
	enum fake_mode mode;
	uint32_t rtt_ms;
	struct fake_zone zones[FAKE_MAX_ZONES];
	unsigned n_zones;
	ldns_rr_list *poison[3]; /* answer, authority, additional */
	unsigned queries;
};

struct fake_world {
	struct fake_server *srv[FAKE_MAX_SERVERS];
	unsigned n_srv;
	struct fake_query *log;
	size_t n_log;
	size_t cap_log;
};

/* What a server does with one query. */
struct fake_outcome {
	bool timeout;
	bool refused;
	uint8_t *spoof; /* a reply that must not be accepted, sent first */
	size_t spoof_len;
	uint8_t *wire; /* the genuine reply */
	size_t len;
	uint32_t rtt_ms;
};

/* ---- world and servers ---- */

struct fake_world *fake_world_new(void)
{
	return calloc(1, sizeof(struct fake_world));
}

static void zone_free(struct fake_zone *z)
{
	ldns_rdf_deep_free(z->origin);
	ldns_rr_free(z->soa);
	ldns_rr_list_deep_free(z->rrs);
	ldns_rr_list_deep_free(z->nsec3);
	if (z->keys != NULL)
		ldns_key_list_free(z->keys); /* frees the keys too */
	ldns_rr_list_deep_free(z->dnskeys);
	ldns_rr_list_deep_free(z->ds);
	ldns_rdf_deep_free(z->target);
}

static void server_free(struct fake_server *s)
{
	for (unsigned i = 0; i < s->n_zones; i++)
		zone_free(&s->zones[i]);
	for (int i = 0; i < 3; i++)
		ldns_rr_list_deep_free(s->poison[i]);
	free(s);
}

void fake_world_free(struct fake_world *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; i < w->n_srv; i++)
		server_free(w->srv[i]);
	free(w->log);
	free(w);
}

struct fake_server *fake_server_add(struct fake_world *w, const char *addr)
{
	if (w->n_srv == FAKE_MAX_SERVERS)
		return NULL;
	struct fake_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (sa_parse(addr, 53, &s->addr) != 0) {
		free(s);
		return NULL;
	}
	s->world = w;
	s->index = w->n_srv;
	s->rtt_ms = FAKE_RTT_MS;
	for (int i = 0; i < 3; i++)
		s->poison[i] = ldns_rr_list_new();
	w->srv[w->n_srv++] = s;
	return s;
}

/* Records of zone-file text, relative names ending at origin; the SOA apart (NULL: none). */
static int parse_text(const ldns_rdf *origin, const char *text, ldns_rr **soa, ldns_rr_list **rrs)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	ldns_zone *z = NULL;
	int line = 1;
	ldns_status st = LDNS_STATUS_MEM_ERR;
	if (fp != NULL) {
		st = ldns_zone_new_frm_fp_l(&z, fp, origin, FAKE_TTL, LDNS_RR_CLASS_IN, &line);
		fclose(fp);
	}
	if (st != LDNS_STATUS_OK) {
		char *o = ldns_rdf2str(origin);
		fprintf(stderr, "fake zone %s line %d: %s\n", o, line, ldns_get_errorstr_by_id(st));
		free(o);
		return ERR_SYNTAX;
	}
	*soa = ldns_zone_soa(z) != NULL ? ldns_rr_clone(ldns_zone_soa(z)) : NULL;
	*rrs = ldns_rr_list_clone(ldns_zone_rrs(z));
	ldns_zone_deep_free(z);
	return 0;
}

int fake_server_zone(struct fake_server *s, const char *origin, const char *text)
{
	if (s->n_zones == FAKE_MAX_ZONES)
		return ERR_SPACE;
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	ldns_rr *soa = NULL;
	ldns_rr_list *rrs = NULL;
	int rc = o == NULL ? ERR_SYNTAX : parse_text(o, text, &soa, &rrs);
	if (rc == 0 && soa == NULL) {
		fprintf(stderr, "fake zone %s: no SOA\n", origin);
		rc = ERR_SYNTAX;
	}
	if (rc != 0) {
		ldns_rdf_deep_free(o);
		ldns_rr_free(soa);
		ldns_rr_list_deep_free(rrs);
		return rc;
	}
	struct fake_zone *fz = &s->zones[s->n_zones++];
	memset(fz, 0, sizeof(*fz));
	ldns_dname2canonical(o);
	fz->origin = o;
	fz->soa = soa;
	fz->rrs = rrs;
	fz->nsec3 = ldns_rr_list_new();
	return 0;
}

void fake_server_mode(struct fake_server *s, enum fake_mode mode)
{
	s->mode = mode;
}

void fake_server_rtt(struct fake_server *s, uint32_t rtt_ms)
{
	s->rtt_ms = rtt_ms;
}

int fake_server_poison(struct fake_server *s, ldns_pkt_section section, const char *rr)
{
	ldns_rr *r = NULL;
	if (section < LDNS_SECTION_ANSWER || section > LDNS_SECTION_ADDITIONAL)
		return ERR_INVAL;
	if (ldns_rr_new_frm_str(&r, rr, 3600, NULL, NULL) != LDNS_STATUS_OK)
		return ERR_SYNTAX;
	ldns_rr_list_push_rr(s->poison[section - LDNS_SECTION_ANSWER], r);
	return 0;
}

void fake_server_poison_clear(struct fake_server *s)
{
	for (int i = 0; i < 3; i++) {
		ldns_rr_list_deep_free(s->poison[i]);
		s->poison[i] = ldns_rr_list_new();
	}
}

unsigned fake_server_queries(const struct fake_server *s)
{
	return s->queries;
}

const struct sa *fake_server_addr(const struct fake_server *s)
{
	return &s->addr;
}

uint32_t fake_server_index(const struct fake_server *s)
{
	return s->index;
}

const struct fake_query *fake_world_log(const struct fake_world *w, size_t *n)
{
	*n = w->n_log;
	return w->log;
}

void fake_world_log_clear(struct fake_world *w)
{
	w->n_log = 0;
	for (unsigned i = 0; i < w->n_srv; i++)
		w->srv[i]->queries = 0;
}

uint8_t *fake_dname(const char *text, uint8_t *out)
{
	if (wire_dname_from_str(text, out, NULL) != 0)
		out[0] = 0;
	return out;
}

bool fake_query_is(const struct fake_query *q, const struct fake_server *s, const char *name,
                   uint16_t qtype)
{
	uint8_t want[WIRE_DNAME_MAX];
	return q->server == s->index && q->qtype == qtype &&
	       wire_dname_equal(q->qname, fake_dname(name, want));
}

/* ---- zone data ---- */

static bool same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

static bool rr_is(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	return ldns_rr_get_type(rr) == type && same_name(ldns_rr_owner(rr), owner);
}

/* An RRSIG over (owner, type). */
static bool sig_is(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	return rr_is(rr, owner, LDNS_RR_TYPE_RRSIG) &&
	       ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type;
}

/* Where the records of this type live. */
static ldns_rr_list *zone_list(const struct fake_zone *z, ldns_rr_type type)
{
	return type == LDNS_RR_TYPE_NSEC3 ? z->nsec3 : z->rrs;
}

static const ldns_rr *zone_find(const struct fake_zone *z, const ldns_rdf *owner, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (rr_is(rr, owner, type))
			return rr;
	}
	return NULL;
}

static bool zone_has_owner(const struct fake_zone *z, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++)
		if (same_name(ldns_rr_owner(ldns_rr_list_rr(z->rrs, i)), name))
			return true;
	return false;
}

/* The name owns records, or is an empty non-terminal above some (RFC 8020). */
static bool zone_name_exists(const struct fake_zone *z, const ldns_rdf *name)
{
	if (same_name(name, z->origin))
		return true;
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(z->rrs, i));
		if (same_name(owner, name) || ldns_dname_is_subdomain(owner, name))
			return true;
	}
	return false;
}

/* The ancestor of name that has this many labels (name itself for all of them). */
static ldns_rdf *name_at_depth(const ldns_rdf *name, size_t labels)
{
	size_t total = ldns_dname_label_count(name);
	return ldns_dname_clone_from(name, (uint16_t)(total - labels));
}

/* "*." + name (RFC 4592 §2.1.1), or NULL when too long. */
static ldns_rdf *wildcard_at(const ldns_rdf *name)
{
	uint8_t buf[WIRE_DNAME_MAX];
	if (ldns_rdf_size(name) + 2 > WIRE_DNAME_MAX)
		return NULL;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, ldns_rdf_data(name), ldns_rdf_size(name));
	return ldns_dname_new_frm_data((uint16_t)(ldns_rdf_size(name) + 2), buf);
}

/* The deepest ancestor of a name that does not exist which does (RFC 4592 §3.3.1). */
static ldns_rdf *closest_encloser(const struct fake_zone *z, const ldns_rdf *name)
{
	size_t apex = ldns_dname_label_count(z->origin);
	for (size_t k = ldns_dname_label_count(name) - 1; k > apex; k--) {
		ldns_rdf *up = name_at_depth(name, k);
		if (zone_name_exists(z, up))
			return up;
		ldns_rdf_deep_free(up);
	}
	return ldns_rdf_clone(z->origin);
}

/* The NSEC record that matches name or covers it (RFC 4034 §4.1.1, canonical order). */
static const ldns_rr *nsec_for(const struct fake_zone *z, const ldns_rdf *name)
{
	for (size_t i = 0; name != NULL && i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC && ldns_nsec_covers_name(rr, name))
			return rr;
	}
	return NULL;
}

static const ldns_rr *nsec3_first(const struct fake_zone *z)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->nsec3); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(z->nsec3, i)) == LDNS_RR_TYPE_NSEC3)
			return ldns_rr_list_rr(z->nsec3, i);
	return NULL;
}

/* The NSEC3 owner name of name in the zone (RFC 5155 §5), with the chain's parameters. */
static ldns_rdf *nsec3_hashed(const struct fake_zone *z, const ldns_rdf *name)
{
	const ldns_rr *first = nsec3_first(z);
	ldns_rdf *h = first != NULL ? ldns_nsec3_hash_name_frm_nsec3(first, name) : NULL;
	if (h != NULL && ldns_dname_cat(h, z->origin) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		h = NULL;
	}
	return h;
}

/* The NSEC3 record that matches name (exact) or covers it without matching. */
static const ldns_rr *nsec3_find(const struct fake_zone *z, const ldns_rdf *name, bool exact)
{
	ldns_rdf *h = name != NULL ? nsec3_hashed(z, name) : NULL;
	const ldns_rr *found = NULL;
	for (size_t i = 0; h != NULL && found == NULL && i < ldns_rr_list_rr_count(z->nsec3); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->nsec3, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
			continue;
		bool match = same_name(ldns_rr_owner(rr), h);
		if (exact ? match : !match && ldns_nsec_covers_name(rr, h))
			found = rr;
	}
	ldns_rdf_deep_free(h);
	return found;
}

/* The zone of s whose apex is origin (text). */
static struct fake_zone *zone_by_origin(const struct fake_server *s, const char *origin)
{
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	struct fake_zone *found = NULL;
	for (unsigned i = 0; o != NULL && found == NULL && i < s->n_zones; i++)
		if (same_name(s->zones[i].origin, o))
			found = (struct fake_zone *)&s->zones[i];
	ldns_rdf_deep_free(o);
	return found;
}

/* ---- signing ---- */

/* Drop the records of list for which drop() says so (freed). */
static void list_filter(ldns_rr_list *list, bool (*drop)(const ldns_rr *, const void *),
                        const void *arg)
{
	size_t kept = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (drop(rr, arg))
			ldns_rr_free(rr);
		else
			ldns_rr_list_set_rr(list, rr, kept++);
	}
	ldns_rr_list_set_rr_count(list, kept);
}

/* Append a copy of every record of src to dst. */
static void list_add_copies(ldns_rr_list *dst, const ldns_rr_list *src)
{
	for (size_t i = 0; src != NULL && i < ldns_rr_list_rr_count(src); i++)
		ldns_rr_list_push_rr(dst, ldns_rr_clone(ldns_rr_list_rr(src, i)));
}

static bool is_rsa(uint8_t algorithm)
{
	return algorithm == LDNS_SIGN_RSASHA1 || algorithm == LDNS_SIGN_RSASHA1_NSEC3 ||
	       algorithm == LDNS_SIGN_RSASHA256 || algorithm == LDNS_SIGN_RSASHA512;
}

static bool key_is_ksk(const ldns_key *k)
{
	return (ldns_key_flags(k) & LDNS_KEY_SEP_KEY) != 0;
}

static bool zone_has_zsk(const struct fake_zone *z)
{
	for (size_t i = 0; i < ldns_key_list_key_count(z->keys); i++)
		if (!key_is_ksk(ldns_key_list_key(z->keys, i)))
			return true;
	return false;
}

/* A new key of the zone with these DNSKEY flags; its DNSKEY record goes into z->dnskeys. */
static ldns_key *key_make(struct fake_zone *z, uint8_t algorithm, uint16_t flags,
                          uint32_t inception, uint32_t expiration)
{
	ldns_key *k = ldns_key_new_frm_algorithm((ldns_signing_algorithm)algorithm,
	                                         is_rsa(algorithm) ? FAKE_RSA_BITS : 256);
	if (k == NULL)
		return NULL;
	ldns_key_set_pubkey_owner(k, ldns_rdf_clone(z->origin));
	ldns_key_set_flags(k, flags);
	ldns_key_set_inception(k, inception);
	ldns_key_set_expiration(k, expiration);
	ldns_rr *rr = ldns_key2rr(k);
	if (rr == NULL) {
		ldns_key_deep_free(k);
		return NULL;
	}
	ldns_rr_set_ttl(rr, FAKE_TTL);
	/* ldns signs with the tag stored in the key, which it does not compute. */
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_rr_list_push_rr(z->dnskeys, rr);
	return k;
}

/* The validity window the breaks ask for, else the default around FAKE_T0. */
static void sig_window(unsigned breaks, uint32_t *inception, uint32_t *expiration)
{
	*inception = FAKE_SIG_INCEPTION;
	*expiration = FAKE_SIG_EXPIRATION;
	if (breaks & FAKE_BREAK_EXPIRED) {
		*inception = FAKE_T0 - 60 * FAKE_DAY;
		*expiration = FAKE_T0 - 30 * FAKE_DAY;
	} else if (breaks & FAKE_BREAK_NOT_YET_VALID) {
		*inception = FAKE_T0 + 30 * FAKE_DAY;
		*expiration = FAKE_T0 + 60 * FAKE_DAY;
	}
}

/* A KSK and a ZSK, or one CSK; signatures valid as the breaks say unless they name a target. */
static int keys_make(struct fake_zone *z, const struct fake_sign *o)
{
	uint8_t alg = o->algorithm != 0 ? o->algorithm : LDNS_SIGN_ECDSAP256SHA256;
	if (o->breaks & FAKE_BREAK_KEYTRAP)
		alg = LDNS_SIGN_RSASHA256; /* any modulus parses: every forged key costs a check */
	uint32_t inception, expiration;
	sig_window(z->target != NULL ? 0 : o->breaks, &inception, &expiration);
	z->keys = ldns_key_list_new();
	z->dnskeys = ldns_rr_list_new();
	if (z->keys == NULL || z->dnskeys == NULL)
		return ERR_NOMEM;
	ldns_key *ksk =
	        key_make(z, alg, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY, inception, expiration);
	if (ksk == NULL || !ldns_key_list_push_key(z->keys, ksk))
		return ERR_NOMEM;
	if (o->csk && !(o->breaks & (FAKE_BREAK_DNSKEY_ZSK_ONLY | FAKE_BREAK_KEYTRAP)))
		return 0;
	ldns_key *zsk = key_make(z, alg, LDNS_KEY_ZONE_KEY, inception, expiration);
	if (zsk == NULL || !ldns_key_list_push_key(z->keys, zsk))
		return ERR_NOMEM;
	return 0;
}

/* The DNSKEY record of the zone's ZSK (the first without the SEP flag). */
static const ldns_rr *zsk_dnskey(const struct fake_zone *z)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->dnskeys); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->dnskeys, i);
		if (!(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) & LDNS_KEY_SEP_KEY))
			return rr;
	}
	return NULL;
}

/*
 * KeyTrap (CVE-2023-50387): DNSKEYs with the ZSK's key tag. The tag is a
 * sum over the RDATA where bytes at even offsets count as high bytes
 * (RFC 4034 Appendix B), so adding d to one byte and taking d from another
 * byte two places on keeps the sum, and the tag. Copy i changes the pair at
 * offsets (p, p + 2) inside the RSA modulus, past its first two bytes: no
 * two copies are equal, and each is a well-formed key a validator must try.
 */
static int keytrap_keys(struct fake_zone *z, unsigned count)
{
	const ldns_rr *zsk = zsk_dnskey(z);
	const ldns_rdf *key = ldns_rr_rdf(zsk, 3);
	size_t len = ldns_rdf_size(key);
	size_t start = 1 + (size_t)ldns_rdf_data(key)[0] + 2; /* RFC 3110 §2: exponent, then n */
	unsigned made = 0;
	for (size_t p = start; made < count && p + 2 < len; p++) {
		ldns_rr *copy = ldns_rr_clone(zsk);
		uint8_t *b = ldns_rdf_data(ldns_rr_rdf(copy, 3));
		unsigned up = 255u - b[p] < b[p + 2] ? 255u - b[p] : b[p + 2];
		unsigned down = b[p] < 255u - b[p + 2] ? b[p] : 255u - b[p + 2];
		int d = up > 0 ? (int)up : -(int)down;
		b[p] = (uint8_t)(b[p] + d);
		b[p + 2] = (uint8_t)(b[p + 2] - d);
		if (d == 0)
			ldns_rr_free(copy);
		else if (ldns_rr_list_push_rr(z->dnskeys, copy))
			made++;
	}
	return made == count ? 0 : ERR_RANGE;
}

/* Parse the hex salt of the options into salt (255 bytes); its length, or -1. */
static int salt_parse(const char *hex, uint8_t *salt)
{
	size_t n = hex != NULL ? strlen(hex) : 0;
	if (n % 2 != 0 || n > 510)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		salt[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static void flatten_rrs(ldns_rr_list *dst, const ldns_dnssec_rrs *r, bool skip_soa)
{
	for (; r != NULL; r = r->next)
		if (!skip_soa || ldns_rr_get_type(r->rr) != LDNS_RR_TYPE_SOA)
			ldns_rr_list_push_rr(dst, ldns_rr_clone(r->rr));
}

/* Copy the signed zone into z's flat lists, replacing z->rrs. */
static void flatten(const ldns_dnssec_zone *dz, struct fake_zone *z)
{
	ldns_rr_list *rrs = ldns_rr_list_new();
	for (ldns_rbnode_t *n = ldns_rbtree_first(dz->names); n != LDNS_RBTREE_NULL;
	     n = ldns_rbtree_next(n)) {
		const ldns_dnssec_name *name = n->data;
		for (const ldns_dnssec_rrsets *set = name->rrsets; set != NULL; set = set->next) {
			flatten_rrs(rrs, set->rrs, true);
			flatten_rrs(rrs, set->signatures, false);
		}
		if (name->nsec == NULL)
			continue;
		ldns_rr_list *to =
		        ldns_rr_get_type(name->nsec) == LDNS_RR_TYPE_NSEC3 ? z->nsec3 : rrs;
		ldns_rr_list_push_rr(to, ldns_rr_clone(name->nsec));
		flatten_rrs(to, name->nsec_signatures, false);
	}
	ldns_rr_list_deep_free(z->rrs);
	z->rrs = rrs;
}

/* Sign the zone data with ldns: the DNSKEY RRset by the KSK, the rest by the ZSK. */
static int zone_sign_data(struct fake_zone *z, const struct fake_sign *o)
{
	uint8_t salt[255];
	int salt_len = salt_parse(o->nsec3_salt, salt);
	if (salt_len < 0)
		return ERR_SYNTAX;
	ldns_dnssec_zone *dz = ldns_dnssec_zone_new();
	ldns_rr_list *added = ldns_rr_list_new();
	ldns_rr_list *all = ldns_rr_list_new();
	ldns_status st =
	        dz != NULL && added != NULL && all != NULL ? LDNS_STATUS_OK : LDNS_STATUS_MEM_ERR;
	ldns_rr_list_push_rr(all, ldns_rr_clone(z->soa));
	list_add_copies(all, z->rrs);
	list_add_copies(all, z->dnskeys);
	/* The zone takes each record it accepts; the rest stays in all. */
	for (size_t i = 0; st == LDNS_STATUS_OK && i < ldns_rr_list_rr_count(all); i++) {
		st = ldns_dnssec_zone_add_rr(dz, ldns_rr_list_rr(all, i));
		if (st == LDNS_STATUS_OK)
			ldns_rr_list_set_rr(all, NULL, i);
	}
	if (st == LDNS_STATUS_OK && o->nsec3)
		st = ldns_dnssec_zone_sign_nsec3_flg(
		        dz, added, z->keys, ldns_dnssec_default_replace_signatures, NULL, 1,
		        o->nsec3_optout ? LDNS_NSEC3_VARS_OPTOUT_MASK : 0, o->nsec3_iterations,
		        (uint8_t)salt_len, salt, 0);
	else if (st == LDNS_STATUS_OK)
		st = ldns_dnssec_zone_sign_flg(dz, added, z->keys,
		                               ldns_dnssec_default_replace_signatures, NULL, 0);
	if (st == LDNS_STATUS_OK)
		flatten(dz, z);
	else
		fprintf(stderr, "fake zone signing: %s\n", ldns_get_errorstr_by_id(st));
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
		ldns_rr_free(ldns_rr_list_rr(all, i));
	ldns_rr_list_free(all);
	ldns_dnssec_zone_deep_free(dz);
	ldns_rr_list_free(added); /* its records belonged to dz */
	return st == LDNS_STATUS_OK ? 0 : ERR_NOMEM;
}

struct rrset_ref {
	const ldns_rdf *owner;
	ldns_rr_type type;
};

static bool drop_sig_of(const ldns_rr *rr, const void *arg)
{
	const struct rrset_ref *ref = arg;
	return sig_is(rr, ref->owner, ref->type);
}

/* Sign (owner, type) again with one key, valid from inception to expiration (0: the key's). */
static int sign_with(ldns_rr_list *list, const ldns_rr_list *set, ldns_key *k, uint32_t inception,
                     uint32_t expiration)
{
	uint32_t was_inception = ldns_key_inception(k), was_expiration = ldns_key_expiration(k);
	ldns_key_list *one = ldns_key_list_new();
	if (one == NULL || !ldns_key_list_push_key(one, k)) {
		if (one != NULL)
			ldns_key_list_free(one);
		return ERR_NOMEM;
	}
	if (inception != 0) {
		ldns_key_set_inception(k, inception);
		ldns_key_set_expiration(k, expiration);
	}
	ldns_key_set_use(k, true);
	ldns_rr_list *sigs = ldns_sign_public((ldns_rr_list *)set, one);
	ldns_key_set_inception(k, was_inception);
	ldns_key_set_expiration(k, was_expiration);
	/* The key stays the zone's (ldns_key_list_pop_key() would free the array twice). */
	ldns_key_list_set_key_count(one, 0);
	ldns_key_list_free(one);
	if (sigs == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_rr_list_push_rr(list, ldns_rr_list_rr(sigs, i));
	ldns_rr_list_free(sigs);
	return 0;
}

/*
 * Replace the RRSIGs of (owner, type) with new ones: by the KSK for the
 * DNSKEY RRset and the ZSK for the others (a CSK signs both), or by the ZSK
 * only (zsk_only); valid from inception to expiration, 0: as the keys say.
 */
static int resign(struct fake_zone *z, const ldns_rdf *owner, ldns_rr_type type, bool zsk_only,
                  uint32_t inception, uint32_t expiration)
{
	ldns_rr_list *list = zone_list(z, type);
	struct rrset_ref ref = {owner, type};
	list_filter(list, drop_sig_of, &ref);
	ldns_rr_list *set = ldns_rr_list_new();
	for (size_t i = 0; set != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (rr_is(ldns_rr_list_rr(list, i), owner, type))
			ldns_rr_list_push_rr(set, ldns_rr_list_rr(list, i));
	int rc = set == NULL ? ERR_NOMEM : 0;
	bool csk = !zone_has_zsk(z);
	for (size_t i = 0;
	     rc == 0 && ldns_rr_list_rr_count(set) > 0 && i < ldns_key_list_key_count(z->keys);
	     i++) {
		ldns_key *k = ldns_key_list_key(z->keys, i);
		bool use = zsk_only ? !key_is_ksk(k)
		                    : csk || key_is_ksk(k) == (type == LDNS_RR_TYPE_DNSKEY);
		if (use)
			rc = sign_with(list, set, k, inception, expiration);
	}
	ldns_rr_list_free(set); /* shallow: the records are list's */
	return rc;
}

static bool is_insecure_cut(const struct fake_zone *z, const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
	       !same_name(ldns_rr_owner(rr), z->origin) &&
	       zone_find(z, ldns_rr_owner(rr), LDNS_RR_TYPE_DS) == NULL;
}

static bool drop_owner(const ldns_rr *rr, const void *arg)
{
	return same_name(ldns_rr_owner(rr), arg);
}

static bool drop_nsec3_sig(const ldns_rr *rr, const void *arg)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
}

/* Point each NSEC3 of the sorted chain at the next one, the last at the first. */
static int nsec3_relink(ldns_rr_list *chain)
{
	size_t n = ldns_rr_list_rr_count(chain);
	for (size_t i = 0; i < n; i++) {
		ldns_rdf *label =
		        ldns_dname_label(ldns_rr_owner(ldns_rr_list_rr(chain, (i + 1) % n)), 0);
		char *text = label != NULL ? ldns_rdf2str(label) : NULL;
		ldns_rdf *next = NULL;
		if (text != NULL && strlen(text) > 0 && text[strlen(text) - 1] == '.')
			text[strlen(text) - 1] = '\0';
		ldns_status st =
		        text != NULL ? ldns_str2rdf_b32_ext(&next, text) : LDNS_STATUS_MEM_ERR;
		free(text);
		ldns_rdf_deep_free(label);
		if (st != LDNS_STATUS_OK)
			return ERR_NOMEM;
		ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(chain, i), next, 4));
	}
	return 0;
}

/*
 * RFC 5155 §6: with Opt-Out, insecure delegations need no NSEC3 (ldns
 * makes one anyway): drop theirs, link the chain again and re-sign it.
 */
static int optout_prune(struct fake_zone *z)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		ldns_rdf *h = is_insecure_cut(z, rr) ? nsec3_hashed(z, ldns_rr_owner(rr)) : NULL;
		if (h != NULL)
			list_filter(z->nsec3, drop_owner, h);
		ldns_rdf_deep_free(h);
	}
	list_filter(z->nsec3, drop_nsec3_sig, NULL);
	ldns_rr_list *chain = ldns_rr_list_clone(z->nsec3);
	if (chain == NULL)
		return ERR_NOMEM;
	ldns_rr_list_deep_free(z->nsec3);
	z->nsec3 = chain;
	ldns_rr_list_sort(chain); /* canonical order of "hash.zone." is the hash order */
	int rc = nsec3_relink(chain);
	size_t n = ldns_rr_list_rr_count(chain);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = resign(z, ldns_rr_owner(ldns_rr_list_rr(chain, i)), LDNS_RR_TYPE_NSEC3, false,
		            0, 0);
	return rc;
}

static void flip_sig(ldns_rr *sig, size_t at)
{
	ldns_rdf *s = ldns_rr_rdf(sig, 8);
	ldns_rdf_data(s)[at % ldns_rdf_size(s)] ^= 0x5a;
}

/* FAKE_BREAK_BAD_SIG: a byte flipped in each RRSIG of the target (of all without one). */
static void bad_sigs(struct fake_zone *z, ldns_rr_list *list)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		if (z->target == NULL || sig_is(rr, z->target, z->target_type))
			flip_sig(rr, ldns_rdf_size(ldns_rr_rdf(rr, 8)) / 2);
	}
}

/* KeyTrap: each RRSIG made with tag becomes count RRSIGs with that tag, none valid. */
static int keytrap_sigs(ldns_rr_list **list, uint16_t tag, unsigned count)
{
	ldns_rr_list *out = ldns_rr_list_new();
	if (out == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < ldns_rr_list_rr_count(*list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(*list, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(rr)) != tag) {
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
			continue;
		}
		for (unsigned j = 0; j < count; j++) {
			ldns_rr *bad = ldns_rr_clone(rr);
			flip_sig(bad, j);
			ldns_rr_list_push_rr(out, bad);
		}
	}
	ldns_rr_list_deep_free(*list);
	*list = out;
	return 0;
}

static void set_u8(ldns_rr *rr, size_t field, uint8_t v)
{
	ldns_rdf_data(ldns_rr_rdf(rr, field))[0] = v;
}

/* FAKE_BREAK_ALGORITHM in one list: apex DNSKEYs, and RRSIGs (algorithm, key tag from[i] -> to[i]).
 */
static void algorithm_rewrite(const struct fake_zone *z, ldns_rr_list *list, const uint16_t *from,
                              const uint16_t *to, size_t n)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (rr_is(rr, z->origin, LDNS_RR_TYPE_DNSKEY)) {
			set_u8(rr, 2, FAKE_ALG_UNSUPPORTED);
			continue;
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		set_u8(rr, 1, FAKE_ALG_UNSUPPORTED);
		uint8_t *tag = ldns_rdf_data(ldns_rr_rdf(rr, 6));
		for (size_t k = 0; k < n; k++) {
			if (wire_read_u16(tag) == from[k]) {
				wire_write_u16(tag, to[k]);
				break;
			}
		}
	}
}

/* FAKE_BREAK_ALGORITHM: keys and signatures say 253; the key tags change with it. */
static int algorithm_break(struct fake_zone *z)
{
	size_t n = ldns_rr_list_rr_count(z->dnskeys);
	uint16_t *tags = calloc(2 * n + 1, sizeof(*tags));
	if (tags == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *key = ldns_rr_list_rr(z->dnskeys, i);
		tags[i] = ldns_calc_keytag(key);
		set_u8(key, 2, FAKE_ALG_UNSUPPORTED);
		tags[n + i] = ldns_calc_keytag(key);
	}
	algorithm_rewrite(z, z->rrs, tags, tags + n, n);
	algorithm_rewrite(z, z->nsec3, tags, tags + n, n);
	free(tags);
	return 0;
}

/* The DS RRset for the parent: SHA-256 of each KSK (RFC 4509), broken as asked. */
static int ds_make(struct fake_zone *z, unsigned breaks)
{
	z->ds = ldns_rr_list_new();
	for (size_t i = 0; z->ds != NULL && i < ldns_rr_list_rr_count(z->dnskeys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(z->dnskeys, i);
		if (!(ldns_rdf2native_int16(ldns_rr_rdf(key, 0)) & LDNS_KEY_SEP_KEY))
			continue;
		ldns_rr *ds = ldns_key_rr2ds(key, LDNS_SHA256);
		if (ds == NULL)
			return ERR_NOMEM;
		ldns_rr_set_ttl(ds, FAKE_TTL);
		if (breaks & FAKE_BREAK_DS_NO_KEY)
			ldns_rdf_data(ldns_rr_rdf(ds, 3))[0] ^= 0xff;
		if (breaks & FAKE_BREAK_DS_DIGEST)
			set_u8(ds, 2, FAKE_DIGEST_UNSUPPORTED);
		ldns_rr_list_push_rr(z->ds, ds);
	}
	return z->ds == NULL ? ERR_NOMEM : 0;
}

/* The breaks that edit the signed data, in an order that keeps each one's effect. */
static int breaks_apply(struct fake_zone *z, const struct fake_sign *o)
{
	int rc = 0;
	if (z->target != NULL && (o->breaks & (FAKE_BREAK_EXPIRED | FAKE_BREAK_NOT_YET_VALID))) {
		uint32_t inception, expiration;
		sig_window(o->breaks, &inception, &expiration);
		rc = resign(z, z->target, z->target_type, false, inception, expiration);
	}
	if (rc == 0 && (o->breaks & FAKE_BREAK_DNSKEY_ZSK_ONLY))
		rc = resign(z, z->origin, LDNS_RR_TYPE_DNSKEY, true, 0, 0);
	if (rc == 0 && (o->breaks & FAKE_BREAK_KEYTRAP)) {
		uint16_t tag = ldns_calc_keytag(zsk_dnskey(z));
		unsigned n = o->keytrap_sigs != 0 ? o->keytrap_sigs : FAKE_KEYTRAP_SIGS;
		rc = keytrap_sigs(&z->rrs, tag, n);
		if (rc == 0)
			rc = keytrap_sigs(&z->nsec3, tag, n);
	}
	if (rc == 0 && (o->breaks & FAKE_BREAK_ALGORITHM))
		rc = algorithm_break(z);
	if (o->breaks & FAKE_BREAK_BAD_SIG) {
		bad_sigs(z, z->rrs);
		bad_sigs(z, z->nsec3);
	}
	return rc;
}

/* "owner TYPE" of the options into z->target. */
static int target_parse(struct fake_zone *z, const char *text)
{
	char owner[WIRE_DNAME_STR_MAX], type[32];
	if (text == NULL)
		return 0;
	if (sscanf(text, "%1023s %31s", owner, type) != 2)
		return ERR_SYNTAX;
	z->target = ldns_dname_new_frm_str(owner);
	z->target_type = ldns_get_rr_type_by_name(type);
	return z->target != NULL && z->target_type != 0 ? 0 : ERR_SYNTAX;
}

int fake_server_sign(struct fake_server *s, const char *origin, const struct fake_sign *opts)
{
	static const struct fake_sign defaults;
	const struct fake_sign *o = opts != NULL ? opts : &defaults;
	struct fake_zone *z = zone_by_origin(s, origin);
	if (z == NULL)
		return ERR_NOTFOUND;
	if (z->keys != NULL)
		return ERR_EXISTS;
	z->breaks = o->breaks;
	int rc = target_parse(z, o->target);
	if (rc == 0)
		rc = keys_make(z, o);
	if (rc == 0 && (o->breaks & FAKE_BREAK_KEYTRAP))
		rc = keytrap_keys(z, o->keytrap_keys != 0 ? o->keytrap_keys : FAKE_KEYTRAP_KEYS);
	bool served = !(o->breaks & FAKE_BREAK_UNSIGNED);
	if (rc == 0 && served)
		rc = zone_sign_data(z, o);
	if (rc == 0 && served && o->nsec3 && o->nsec3_optout)
		rc = optout_prune(z);
	if (rc == 0 && served)
		rc = breaks_apply(z, o);
	if (rc == 0)
		rc = ds_make(z, o->breaks);
	z->dnssec = rc == 0 && served;
	return rc;
}

int fake_server_zone_add(struct fake_server *s, const char *origin, const char *text)
{
	struct fake_zone *z = zone_by_origin(s, origin);
	ldns_rr *soa = NULL;
	ldns_rr_list *rrs = NULL;
	if (z == NULL)
		return ERR_NOTFOUND;
	if (z->keys != NULL)
		return ERR_EXISTS; /* signed already */
	int rc = parse_text(z->origin, text, &soa, &rrs);
	if (rc == 0 && soa != NULL)
		rc = ERR_SYNTAX;
	if (rc == 0)
		list_add_copies(z->rrs, rrs);
	ldns_rr_free(soa);
	ldns_rr_list_deep_free(rrs);
	return rc;
}

/* The zone of s that holds the delegation to child: the deepest proper ancestor. */
static struct fake_zone *zone_above(const struct fake_server *s, const ldns_rdf *child)
{
	struct fake_zone *best = NULL;
	for (unsigned i = 0; i < s->n_zones; i++) {
		struct fake_zone *z = (struct fake_zone *)&s->zones[i];
		if (!ldns_dname_is_subdomain(child, z->origin))
			continue;
		if (best == NULL ||
		    ldns_dname_label_count(z->origin) > ldns_dname_label_count(best->origin))
			best = z;
	}
	return best;
}

int fake_server_ds_copy(const struct fake_server *child, const char *origin,
                        struct fake_server *parent)
{
	const struct fake_zone *c = zone_by_origin(child, origin);
	if (c == NULL || c->ds == NULL)
		return ERR_NOTFOUND;
	struct fake_zone *p = zone_above(parent, c->origin);
	if (p == NULL)
		return ERR_NOTFOUND;
	if (p->keys != NULL)
		return ERR_EXISTS; /* sign children first */
	list_add_copies(p->rrs, c->ds);
	return 0;
}

const ldns_rr_list *fake_server_ds(const struct fake_server *s, const char *origin)
{
	const struct fake_zone *z = zone_by_origin(s, origin);
	return z != NULL ? z->ds : NULL;
}

const ldns_rr_list *fake_server_dnskeys(const struct fake_server *s, const char *origin)
{
	const struct fake_zone *z = zone_by_origin(s, origin);
	return z != NULL ? z->dnskeys : NULL;
}

int fake_server_anchor(const struct fake_server *s, const char *origin, char *buf, size_t len)
{
	const ldns_rr_list *ds = fake_server_ds(s, origin);
	size_t used = 0;
	if (ds == NULL || ldns_rr_list_rr_count(ds) == 0)
		return ERR_NOTFOUND;
	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(ds); i++) {
		char *text = ldns_rr2str(ldns_rr_list_rr(ds, i));
		if (text == NULL)
			return ERR_NOMEM;
		for (char *c = text; *c != '\0'; c++)
			*c = *c == '\t' ? ' ' : *c == '\n' ? '\0' : *c;
		int n = snprintf(buf + used, len - used, "trust-anchor: \"%s\"\n", text);
		free(text);
		if (n < 0 || (size_t)n >= len - used)
			return ERR_SPACE;
		used += (size_t)n;
	}
	return 0;
}

/* ---- answering ---- */

/* One reply being built from one zone. */
struct answer {
	const struct fake_zone *z;
	ldns_pkt *pkt;
	bool dnssec; /* a DO query to a signed zone: RRSIGs and denial records too */
	bool soa;    /* negative answers carry the SOA (not FAKE_NO_SOA) */
};

/* Push rr unless the section has it already; rr is taken either way. */
static void push_once(ldns_pkt *pkt, ldns_pkt_section sec, ldns_rr *rr)
{
	if (rr != NULL && !ldns_pkt_safe_push_rr(pkt, sec, rr))
		ldns_rr_free(rr);
}

/* Push a copy of every record of the zone with this owner and type. */
static size_t zone_take(const struct fake_zone *z, const ldns_rdf *owner, ldns_rr_type type,
                        ldns_pkt *pkt, ldns_pkt_section sec)
{
	size_t n = 0;
	if (type == LDNS_RR_TYPE_SOA && same_name(owner, z->origin)) {
		ldns_pkt_push_rr(pkt, sec, ldns_rr_clone(z->soa));
		return 1;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (rr_is(rr, owner, type)) {
			ldns_pkt_push_rr(pkt, sec, ldns_rr_clone(rr));
			n++;
		}
	}
	return n;
}

/* FAKE_BREAK_NO_RRSIGS leaves these out: the target's, or all but the DNSKEY RRset's. */
static bool sigs_dropped(const struct fake_zone *z, const ldns_rdf *owner, ldns_rr_type type)
{
	if (!(z->breaks & FAKE_BREAK_NO_RRSIGS))
		return false;
	if (z->target != NULL)
		return type == z->target_type && same_name(owner, z->target);
	return type != LDNS_RR_TYPE_DNSKEY;
}

/* The RRSIGs of (owner, type) for a DO query; as renames them (wildcard expansion). */
static void add_sigs(const struct answer *a, const ldns_rdf *owner, ldns_rr_type type,
                     ldns_pkt_section sec, const ldns_rdf *as)
{
	const ldns_rr_list *list = zone_list(a->z, type);
	if (!a->dnssec || sigs_dropped(a->z, owner, type))
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (!sig_is(rr, owner, type))
			continue;
		ldns_rr *copy = ldns_rr_clone(rr);
		if (as != NULL) {
			/* RFC 4035 §3.1.3.3: the labels field still names the wildcard. */
			ldns_rdf_deep_free(ldns_rr_owner(copy));
			ldns_rr_set_owner(copy, ldns_rdf_clone(as));
		}
		push_once(a->pkt, sec, copy);
	}
}

/* An RRset of the zone and, for DO queries, its RRSIGs. */
static size_t add_rrset(const struct answer *a, const ldns_rdf *owner, ldns_rr_type type,
                        ldns_pkt_section sec)
{
	size_t n = zone_take(a->z, owner, type, a->pkt, sec);
	if (n > 0)
		add_sigs(a, owner, type, sec, NULL);
	return n;
}

/* An NSEC or NSEC3 record and its RRSIGs, in the authority section once. */
static void add_denial(const struct answer *a, const ldns_rr *rr)
{
	if (rr == NULL)
		return;
	push_once(a->pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(rr));
	add_sigs(a, ldns_rr_owner(rr), ldns_rr_get_type(rr), LDNS_SECTION_AUTHORITY, NULL);
}

static bool zone_nsec3(const struct fake_zone *z)
{
	return nsec3_first(z) != NULL;
}

/*
 * RFC 5155 §7.2.1: the NSEC3 matching the closest provable encloser of
 * name, and the one covering the next closer name (Opt-Out may be why).
 */
static void nsec3_closest_encloser(const struct answer *a, const ldns_rdf *name)
{
	size_t apex = ldns_dname_label_count(a->z->origin);
	for (size_t k = ldns_dname_label_count(name); k-- > apex;) {
		ldns_rdf *ce = name_at_depth(name, k);
		const ldns_rr *match = nsec3_find(a->z, ce, true);
		ldns_rdf_deep_free(ce);
		if (match == NULL)
			continue;
		ldns_rdf *next_closer = name_at_depth(name, k + 1);
		add_denial(a, match);
		add_denial(a, nsec3_find(a->z, next_closer, false));
		ldns_rdf_deep_free(next_closer);
		return;
	}
}

/*
 * NODATA (RFC 4035 §3.1.3.1; RFC 5155 §7.2.3, and §7.2.4 for a DS question
 * at an Opt-Out delegation), and "no DS" in a referral (RFC 4035 §3.1.4,
 * RFC 5155 §7.2.7). An empty non-terminal's NSEC is the one covering it.
 */
static void deny_nodata(const struct answer *a, const ldns_rdf *name)
{
	if (!zone_nsec3(a->z)) {
		add_denial(a, nsec_for(a->z, name));
		return;
	}
	const ldns_rr *match = nsec3_find(a->z, name, true);
	if (match != NULL)
		add_denial(a, match);
	else
		nsec3_closest_encloser(a, name);
}

/* NXDOMAIN: no name, no wildcard at the closest encloser (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2). */
static void deny_name(const struct answer *a, const ldns_rdf *name, const ldns_rdf *wild)
{
	if (zone_nsec3(a->z)) {
		nsec3_closest_encloser(a, name);
		add_denial(a, nsec3_find(a->z, wild, false));
	} else {
		add_denial(a, nsec_for(a->z, name));
		add_denial(a, nsec_for(a->z, wild));
	}
}

/* Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5). */
static void deny_wildcard_nodata(const struct answer *a, const ldns_rdf *name, const ldns_rdf *wild)
{
	if (zone_nsec3(a->z)) {
		nsec3_closest_encloser(a, name);
		add_denial(a, nsec3_find(a->z, wild, true));
	} else {
		add_denial(a, nsec_for(a->z, name));
		add_denial(a, nsec_for(a->z, wild));
	}
}

/* A wildcard expansion: the next closer name does not exist (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6).
 */
static void deny_next_closer(const struct answer *a, const ldns_rdf *name, const ldns_rdf *ce)
{
	if (!zone_nsec3(a->z)) {
		add_denial(a, nsec_for(a->z, name));
		return;
	}
	ldns_rdf *next_closer = name_at_depth(name, ldns_dname_label_count(ce) + 1);
	add_denial(a, nsec3_find(a->z, next_closer, false));
	ldns_rdf_deep_free(next_closer);
}

static bool denials(const struct answer *a)
{
	return a->dnssec && !(a->z->breaks & FAKE_BREAK_NO_DENIAL);
}

/* RFC 2308 §3: the SOA goes in the authority section (sent as is: the
 * resolver must take the smaller of its TTL and MINIMUM itself, §5). */
static void add_soa(const struct answer *a)
{
	if (!a->soa)
		return;
	ldns_pkt_push_rr(a->pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(a->z->soa));
	add_sigs(a, a->z->origin, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY, NULL);
}

/* The addresses of the NS targets of an NS answer or referral, from the zone data. */
static void add_glue(const struct fake_zone *z, ldns_pkt *pkt, ldns_pkt_section from)
{
	ldns_rr_list *src = ldns_pkt_get_section_clone(pkt, from);
	for (size_t i = 0; src != NULL && i < ldns_rr_list_rr_count(src); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(src, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
			continue;
		zone_take(z, ldns_rr_rdf(rr, 0), LDNS_RR_TYPE_A, pkt, LDNS_SECTION_ADDITIONAL);
		zone_take(z, ldns_rr_rdf(rr, 0), LDNS_RR_TYPE_AAAA, pkt, LDNS_SECTION_ADDITIONAL);
	}
	ldns_rr_list_deep_free(src);
}

enum walk { WALK_NONE = 0, WALK_REFERRAL, WALK_DNAME };

/*
 * Walk down from the apex towards name: a cut (NS below the apex) gives a
 * referral, a DNAME at a proper ancestor (RFC 6672 §2.2) a rewrite. A DS
 * question at the cut itself belongs to the parent (RFC 4035 §3.1.4.1).
 */
static enum walk zone_walk(const struct fake_zone *z, const ldns_rdf *name, ldns_rr_type qtype,
                           ldns_rdf **at)
{
	size_t apex = ldns_dname_label_count(z->origin);
	size_t total = ldns_dname_label_count(name);
	for (size_t k = apex + 1; k <= total; k++) {
		ldns_rdf *n = name_at_depth(name, k);
		bool is_name = k == total;
		if (zone_find(z, n, LDNS_RR_TYPE_NS) != NULL &&
		    !(is_name && qtype == LDNS_RR_TYPE_DS)) {
			*at = n;
			return WALK_REFERRAL;
		}
		if (!is_name && zone_find(z, n, LDNS_RR_TYPE_DNAME) != NULL) {
			*at = n;
			return WALK_DNAME;
		}
		ldns_rdf_deep_free(n);
	}
	return WALK_NONE;
}

/* Rewrite name under a DNAME at owner and answer DNAME + synthesised CNAME. */
static ldns_rdf *apply_dname(const struct answer *a, const ldns_rdf *name, const ldns_rdf *owner)
{
	const ldns_rr *d = zone_find(a->z, owner, LDNS_RR_TYPE_DNAME);
	const ldns_rdf *target = ldns_rr_rdf(d, 0);
	/* The labels of name below owner, then the target (RFC 6672 §2.2). */
	size_t keep = ldns_rdf_size(name) - ldns_rdf_size(owner);
	uint8_t buf[WIRE_DNAME_MAX];
	if (keep + ldns_rdf_size(target) > WIRE_DNAME_MAX)
		return NULL; /* RFC 6672 §2.2: YXDOMAIN; not needed by the tests */
	memcpy(buf, ldns_rdf_data(name), keep);
	memcpy(buf + keep, ldns_rdf_data(target), ldns_rdf_size(target));
	ldns_rdf *out = ldns_dname_new_frm_data((uint16_t)(keep + ldns_rdf_size(target)), buf);
	ldns_pkt_push_rr(a->pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(d));
	add_sigs(a, owner, LDNS_RR_TYPE_DNAME, LDNS_SECTION_ANSWER, NULL);
	ldns_rr *cname = ldns_rr_new_frm_type(LDNS_RR_TYPE_CNAME);
	ldns_rr_set_owner(cname, ldns_rdf_clone(name));
	ldns_rr_set_ttl(cname, ldns_rr_ttl(d));
	ldns_rr_set_class(cname, LDNS_RR_CLASS_IN);
	ldns_rr_set_rdf(cname, ldns_rdf_clone(out), 0);
	ldns_pkt_push_rr(a->pkt, LDNS_SECTION_ANSWER, cname);
	return out;
}

/* NS, then the DS RRset or the proof that there is none (RFC 4035 §3.1.4), then glue. */
static void referral(const struct answer *a, const ldns_rdf *cut)
{
	zone_take(a->z, cut, LDNS_RR_TYPE_NS, a->pkt, LDNS_SECTION_AUTHORITY);
	if (a->dnssec && add_rrset(a, cut, LDNS_RR_TYPE_DS, LDNS_SECTION_AUTHORITY) == 0)
		deny_nodata(a, cut);
	add_glue(a->z, a->pkt, LDNS_SECTION_AUTHORITY);
}

/* The records of the wildcard with this type, renamed to name; how many. */
static size_t synthesise(const struct answer *a, const ldns_rdf *name, const ldns_rdf *wild,
                         ldns_rr_type type)
{
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(a->z->rrs, i);
		if (!rr_is(rr, wild, type))
			continue;
		ldns_rr *copy = ldns_rr_clone(rr);
		ldns_rdf_deep_free(ldns_rr_owner(copy));
		ldns_rr_set_owner(copy, ldns_rdf_clone(name));
		ldns_pkt_push_rr(a->pkt, LDNS_SECTION_ANSWER, copy);
		n++;
	}
	if (n > 0)
		add_sigs(a, wild, type, LDNS_SECTION_ANSWER, name);
	return n;
}

/* RFC 4592 §3.3.1 / §4.3: answer name from the wildcard wild at ce; the next name of a chain. */
static ldns_rdf *wildcard(const struct answer *a, const ldns_rdf *name, ldns_rr_type qtype,
                          const ldns_rdf *ce, const ldns_rdf *wild)
{
	ldns_rdf *next = NULL;
	if (synthesise(a, name, wild, qtype) == 0) {
		if (qtype == LDNS_RR_TYPE_CNAME ||
		    synthesise(a, name, wild, LDNS_RR_TYPE_CNAME) == 0) {
			add_soa(a);
			if (denials(a))
				deny_wildcard_nodata(a, name, wild);
			return NULL;
		}
		next = ldns_rdf_clone(ldns_rr_rdf(zone_find(a->z, wild, LDNS_RR_TYPE_CNAME), 0));
	}
	if (a->dnssec && !(a->z->breaks & FAKE_BREAK_NO_WILDCARD_PROOF))
		deny_next_closer(a, name, ce);
	return next;
}

/* name does not exist: a wildcard answers, or NXDOMAIN. */
static ldns_rdf *no_name(const struct answer *a, const ldns_rdf *name, ldns_rr_type qtype)
{
	ldns_rdf *ce = closest_encloser(a->z, name);
	ldns_rdf *wild = wildcard_at(ce);
	ldns_rdf *next = NULL;
	if (wild != NULL && zone_has_owner(a->z, wild)) {
		next = wildcard(a, name, qtype, ce, wild);
	} else {
		ldns_pkt_set_rcode(a->pkt, LDNS_RCODE_NXDOMAIN);
		add_soa(a);
		if (denials(a) && wild != NULL)
			deny_name(a, name, wild);
	}
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return next;
}

/* One step of RFC 1034 §4.3.2 step 3 for name; returns the next name of a chain or NULL. */
static ldns_rdf *zone_step(const struct answer *a, const ldns_rdf *name, ldns_rr_type qtype,
                           bool first)
{
	ldns_rdf *at = NULL;
	enum walk wk = zone_walk(a->z, name, qtype, &at);
	if (wk == WALK_REFERRAL) {
		/* Chains into a child zone stop here: the resolver goes on from there. */
		if (first) {
			ldns_pkt_set_aa(a->pkt, false);
			referral(a, at);
		}
		ldns_rdf_deep_free(at);
		return NULL;
	}
	ldns_pkt_set_aa(a->pkt, true);
	if (wk == WALK_DNAME) {
		ldns_rdf *next = apply_dname(a, name, at);
		ldns_rdf_deep_free(at);
		return next;
	}
	if (add_rrset(a, name, qtype, LDNS_SECTION_ANSWER) > 0) {
		if (qtype == LDNS_RR_TYPE_NS)
			add_glue(a->z, a->pkt, LDNS_SECTION_ANSWER);
		return NULL;
	}
	const ldns_rr *cname = zone_find(a->z, name, LDNS_RR_TYPE_CNAME);
	if (cname != NULL && qtype != LDNS_RR_TYPE_CNAME) {
		add_rrset(a, name, LDNS_RR_TYPE_CNAME, LDNS_SECTION_ANSWER);
		return ldns_rdf_clone(ldns_rr_rdf(cname, 0));
	}
	if (!zone_name_exists(a->z, name))
		return no_name(a, name, qtype);
	add_soa(a);
	if (denials(a))
		deny_nodata(a, name);
	return NULL;
}

static void zone_answer(const struct answer *a, const ldns_rdf *qname, ldns_rr_type qtype)
{
	ldns_rdf *name = ldns_rdf_clone(qname);
	for (unsigned links = 0; name != NULL && links < FAKE_MAX_CHAIN; links++) {
		ldns_rdf *next = zone_step(a, name, qtype, links == 0);
		ldns_rdf_deep_free(name);
		name = next;
		/* A chain that leaves the zone is the resolver's to follow. */
		if (name != NULL && !ldns_dname_is_subdomain(name, a->z->origin) &&
		    !same_name(name, a->z->origin)) {
			ldns_rdf_deep_free(name);
			name = NULL;
		}
	}
	ldns_rdf_deep_free(name);
}

/*
 * The zone of the server closest to the name (the deepest apex above it).
 * A DS question at an apex is for the zone above it when the server has
 * that one too (RFC 4035 §3.1.4.1).
 */
static const struct fake_zone *server_zone(const struct fake_server *s, const ldns_rdf *name,
                                           ldns_rr_type qtype)
{
	const struct fake_zone *best = NULL;
	for (int pass = 0; pass < 2 && best == NULL; pass++) {
		for (unsigned i = 0; i < s->n_zones; i++) {
			const struct fake_zone *z = &s->zones[i];
			bool apex = same_name(name, z->origin);
			if (!apex && !ldns_dname_is_subdomain(name, z->origin))
				continue;
			if (pass == 0 && apex && qtype == LDNS_RR_TYPE_DS)
				continue;
			if (best == NULL || ldns_dname_label_count(z->origin) >
			                            ldns_dname_label_count(best->origin))
				best = z;
		}
	}
	return best;
}

static void push_all(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr_list *rrs)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		ldns_pkt_push_rr(pkt, sec, ldns_rr_clone(ldns_rr_list_rr(rrs, i)));
}

static ldns_pkt *reply_new(const ldns_pkt *q, const ldns_rr *question)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, ldns_pkt_rd(q));
	ldns_pkt_set_cd(p, ldns_pkt_cd(q));
	if (question != NULL)
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
	return p;
}

/* The reply a server sends to query q, before spoofing. */
static ldns_pkt *server_reply(const struct fake_server *s, const ldns_pkt *q, bool tcp)
{
	const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	bool edns = ldns_pkt_edns(q);
	ldns_pkt *p = reply_new(q, s->mode == FAKE_FORMERR_BARE && edns ? NULL : question);
	if (s->mode == FAKE_FORMERR_BARE && edns) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_FORMERR);
		return p;
	}
	if (s->mode == FAKE_FORMERR_EDNS && edns) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_FORMERR);
		return p;
	}
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_do(p, ldns_pkt_edns_do(q)); /* RFC 3225 §3: copied */
	}
	if (s->mode == FAKE_SERVFAIL || question == NULL) {
		ldns_pkt_set_rcode(p, question == NULL ? LDNS_RCODE_FORMERR : LDNS_RCODE_SERVFAIL);
		return p;
	}
	const struct fake_zone *z =
	        server_zone(s, ldns_rr_owner(question), ldns_rr_get_type(question));
	if (s->mode == FAKE_LAME || z == NULL) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		return p;
	}
	if (s->mode == FAKE_TC_UDP && !tcp) {
		ldns_pkt_set_tc(p, true);
		return p;
	}
	/* RFC 4035 §3.1: DNSSEC records only for queries with DO. */
	struct answer a = {.z = z,
	                   .pkt = p,
	                   .dnssec = z->dnssec && edns && ldns_pkt_edns_do(q),
	                   .soa = s->mode != FAKE_NO_SOA};
	zone_answer(&a, ldns_rr_owner(question), ldns_rr_get_type(question));
	for (int i = 0; i < 3; i++)
		push_all(p, (ldns_pkt_section)(LDNS_SECTION_ANSWER + i), s->poison[i]);
	return p;
}

ldns_pkt *fake_server_ask(const struct fake_server *s, const char *name, uint16_t type, bool dnssec)
{
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	if (qname == NULL)
		return NULL;
	ldns_pkt *q = ldns_pkt_query_new(qname, (ldns_rr_type)type, LDNS_RR_CLASS_IN, 0);
	if (q == NULL)
		return NULL;
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_do(q, dnssec);
	ldns_pkt *p = server_reply(s, q, false);
	ldns_pkt_free(q);
	return p;
}

/* A reply to another question with the right ID: what an off-path spoofer sends. */
static ldns_pkt *spoof_reply(const ldns_pkt *q)
{
	const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rr *other = ldns_rr_clone(question);
	ldns_rdf_deep_free(ldns_rr_owner(other));
	ldns_rr_set_owner(other, ldns_dname_new_frm_str("spoofed.invalid."));
	ldns_pkt *p = reply_new(q, other);
	ldns_rr_free(other);
	ldns_pkt_set_aa(p, true);
	ldns_rr *a = NULL;
	ldns_rr_new_frm_str(&a, "spoofed.invalid. 3600 IN A 203.0.113.66", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
	return p;
}

static void log_query(struct fake_world *w, uint32_t server, const ldns_pkt *q, bool tcp)
{
	if (w->n_log == w->cap_log) {
		size_t cap = w->cap_log ? 2 * w->cap_log : 64;
		struct fake_query *n = realloc(w->log, cap * sizeof(*n));
		if (n == NULL)
			return;
		w->log = n;
		w->cap_log = cap;
	}
	struct fake_query *e = &w->log[w->n_log++];
	memset(e, 0, sizeof(*e));
	e->server = server;
	e->tcp = tcp;
	e->edns = ldns_pkt_edns(q);
	const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	if (question != NULL) {
		const ldns_rdf *o = ldns_rr_owner(question);
		memcpy(e->qname, ldns_rdf_data(o), ldns_rdf_size(o));
		e->qtype = ldns_rr_get_type(question);
	}
}

static struct fake_server *world_find(struct fake_world *w, const struct sa *addr)
{
	for (unsigned i = 0; i < w->n_srv; i++) {
		if (sa_equal(&w->srv[i]->addr, addr))
			return w->srv[i];
	}
	return NULL;
}

/* FAKE_AUTH_TRACE=1 in the environment prints every query and reply. */
static void trace(const struct fake_server *srv, const ldns_pkt *q, const ldns_pkt *p, bool tcp)
{
	if (getenv("FAKE_AUTH_TRACE") == NULL)
		return;
	char addr[64];
	fprintf(stderr, ";; ---- to %s%s%s\n", sa_str(&srv->addr, addr, sizeof(addr)),
	        tcp ? " tcp" : "", ldns_pkt_edns(q) ? " edns" : "");
	ldns_rr_list_print(stderr, ldns_pkt_question(q));
	if (p != NULL)
		ldns_pkt_print(stderr, p);
	else
		fprintf(stderr, ";; no reply\n");
}

/* What the world does with one REQ_SEND. */
static void world_ask(struct fake_world *w, const struct req_send *s, struct fake_outcome *out)
{
	memset(out, 0, sizeof(*out));
	ldns_pkt *q = NULL;
	struct fake_server *srv = world_find(w, &s->server);
	if (ldns_wire2pkt(&q, s->query, s->len) != LDNS_STATUS_OK) {
		out->timeout = true; /* a server drops what it cannot parse */
		return;
	}
	log_query(w, srv != NULL ? srv->index : FAKE_NO_SERVER, q, s->tcp);
	if (srv == NULL || srv->mode == FAKE_DEAD || srv->mode == FAKE_CONN_REFUSED) {
		out->timeout = true;
		out->refused = srv != NULL && srv->mode == FAKE_CONN_REFUSED;
		if (srv != NULL) {
			srv->queries++;
			trace(srv, q, NULL, s->tcp);
		}
		ldns_pkt_free(q);
		return;
	}
	srv->queries++;
	out->rtt_ms = srv->rtt_ms;
	ldns_pkt *p = server_reply(srv, q, s->tcp);
	trace(srv, q, p, s->tcp);
	ldns_pkt2wire(&out->wire, p, &out->len);
	ldns_pkt_free(p);
	if (srv->mode == FAKE_WRONG_ID) {
		out->spoof = malloc(out->len);
		memcpy(out->spoof, out->wire, out->len);
		out->spoof_len = out->len;
		wire_write_u16(out->spoof, (uint16_t)(s->id + 1));
	} else if (srv->mode == FAKE_WRONG_QUESTION) {
		ldns_pkt *sp = spoof_reply(q);
		ldns_pkt2wire(&out->spoof, sp, &out->spoof_len);
		ldns_pkt_free(sp);
	}
	ldns_pkt_free(q);
}

/* ---- the fake clock ---- */

static uint64_t fake_mono = FAKE_MONO0;

void fake_clock_start(void)
{
	fake_mono = FAKE_MONO0;
	clock_fake_set(FAKE_T0, fake_mono);
}

void fake_clock_advance(uint64_t ms)
{
	fake_mono += ms;
	clock_fake_set(FAKE_T0 + (time_t)((fake_mono - FAKE_MONO0) / 1000u), fake_mono);
}

/* ---- environment and driver ---- */

int fake_env_init(struct fake_env *e, const char *root_ns, const char *root_addr)
{
	char err[256], path[] = "/tmp/mangrove-hints-XXXXXX";
	memset(e, 0, sizeof(*e));
	int rc = conf_load(NULL, &e->conf, err, sizeof(err));
	if (rc != 0)
		return rc;
	e->conf->do_not_query_localhost = false;
	e->cache = cache_new(4u << 20, 4);
	e->infra = infra_new(1000);
	if (e->cache == NULL || e->infra == NULL)
		return ERR_NOMEM;
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fp == NULL) {
		if (fd >= 0)
			close(fd);
		return ERR_IO;
	}
	fprintf(fp, ". 3600000 IN NS %s\n%s 3600000 IN A %s\n", root_ns, root_ns, root_addr);
	fclose(fp);
	rc = iter_hints_load(path, &e->hints, err, sizeof(err));
	unlink(path);
	if (rc != 0) {
		fprintf(stderr, "hints: %s\n", err);
		return rc;
	}
	e->env.conf = e->conf;
	e->env.cache = e->cache;
	e->env.infra = e->infra;
	e->env.hints = e->hints;
	e->env.stats = &e->stats;
	return 0;
}

int fake_env_conf(struct fake_env *e, const char *body)
{
	char err[512], path[] = "/tmp/mangrove-conf-XXXXXX";
	struct conf *c = NULL;
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fp == NULL) {
		if (fd >= 0)
			close(fd);
		return ERR_IO;
	}
	fprintf(fp, "server:\n%s\n", body);
	fclose(fp);
	int rc = conf_load(path, &c, err, sizeof(err));
	unlink(path);
	if (rc != 0) {
		fprintf(stderr, "conf: %s\n", err);
		return rc;
	}
	c->do_not_query_localhost = false;
	conf_free(e->conf);
	e->conf = c;
	e->env.conf = c;
	return 0;
}

void fake_env_deinit(struct fake_env *e)
{
	iter_hints_free(e->hints);
	infra_free(e->infra);
	cache_free(e->cache);
	conf_free(e->conf);
	memset(e, 0, sizeof(*e));
}

static void deliver(struct req *r, const struct req_send *s, struct fake_outcome *o,
                    struct fake_run *run)
{
	if (o->timeout) {
		run->timeouts++;
		fake_clock_advance(o->refused ? 1 : s->timeout_ms);
		req_on_timeout(r, o->refused);
		return;
	}
	fake_clock_advance(o->rtt_ms);
	if (o->spoof != NULL) {
		if (req_on_reply(r, o->spoof, o->spoof_len, o->rtt_ms) == ERR_MISMATCH) {
			run->mismatches++;
		} else {
			run->spoof_accepted++;
			return;
		}
	}
	req_on_reply(r, o->wire, o->len, o->rtt_ms);
}

bool fake_world_run(struct fake_world *w, struct req *r, unsigned max_sends, struct fake_run *run)
{
	struct req_send s;
	memset(run, 0, sizeof(*run));
	for (;;) {
		if (req_step(r, &s) == REQ_DONE) {
			run->done = true;
			return true;
		}
		if (run->sends == max_sends)
			return false;
		run->sends++;
		struct fake_outcome o;
		world_ask(w, &s, &o);
		deliver(r, &s, &o, run);
		free(o.spoof);
		free(o.wire);
	}
}

ldns_pkt *fake_resolve(struct fake_env *e, struct fake_world *w, const char *name, uint16_t type,
                       struct wire_ede *ede, struct fake_run *run)
{
	return fake_resolve_flags(e, w, name, type, 0, ede, run);
}

ldns_pkt *fake_resolve_flags(struct fake_env *e, struct fake_world *w, const char *name,
                             uint16_t type, uint8_t flags, struct wire_ede *ede,
                             struct fake_run *run)
{
	uint8_t qname[WIRE_DNAME_MAX];
	struct fake_run local;
	if (run == NULL)
		run = &local;
	struct req *r = req_new(&e->env, fake_dname(name, qname), type, LDNS_RR_CLASS_IN, flags);
	if (r == NULL)
		return NULL;
	ldns_pkt *pkt = NULL;
	if (fake_world_run(w, r, 1000, run)) {
		size_t len;
		const uint8_t *wire = req_answer(r, &len, ede);
		if (wire == NULL || ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
			pkt = NULL;
		if (pkt != NULL && getenv("FAKE_AUTH_TRACE") != NULL) {
			fprintf(stderr, ";; ==== answer to %s\n", name);
			ldns_pkt_print(stderr, pkt);
		}
	}
	req_free(r);
	return pkt;
}

/* ---- looking at answers ---- */

size_t fake_pkt_count(const ldns_pkt *pkt, ldns_pkt_section sec, uint16_t type)
{
	ldns_rr_list *rrs = ldns_pkt_get_section_clone(pkt, sec);
	size_t n = 0;
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(rrs, i)) == type;
	ldns_rr_list_deep_free(rrs);
	return n;
}

bool fake_pkt_has(const ldns_pkt *pkt, ldns_pkt_section sec, const char *text)
{
	ldns_rr *want = NULL;
	if (ldns_rr_new_frm_str(&want, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return false;
	ldns_rr_list *rrs = ldns_pkt_get_section_clone(pkt, sec);
	bool found = false;
	for (size_t i = 0; !found && rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_set_ttl(rr, ldns_rr_ttl(want));
		found = ldns_rr_compare(rr, want) == 0;
	}
	ldns_rr_list_deep_free(rrs);
	ldns_rr_free(want);
	return found;
}

int64_t fake_pkt_ttl(const ldns_pkt *pkt, ldns_pkt_section sec, uint16_t type)
{
	ldns_rr_list *rrs = ldns_pkt_get_section_clone(pkt, sec);
	int64_t ttl = -1;
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(rrs, i)) == type) {
			ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
			break;
		}
	}
	ldns_rr_list_deep_free(rrs);
	return ttl;
}

int fake_pkt_ede(const ldns_pkt *pkt)
{
	const ldns_rdf *data = ldns_pkt_edns_data(pkt);
	if (data == NULL)
		return -1;
	const uint8_t *p = ldns_rdf_data(data);
	size_t len = ldns_rdf_size(data);
	/* RFC 6891 §6.1.2: OPTION-CODE, OPTION-LENGTH, OPTION-DATA, repeated. */
	for (size_t pos = 0; pos + 4 <= len;) {
		uint16_t code = wire_read_u16(p + pos), olen = wire_read_u16(p + pos + 2);
		if (pos + 4 + olen > len)
			break;
		if (code == WIRE_EDNS_EDE && olen >= 2)
			return wire_read_u16(p + pos + 4);
		pos += 4 + olen;
	}
	return -1;
}
