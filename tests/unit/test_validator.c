/*
 * test_validator.c - DNSSEC validation end to end: requests driven through
 * req_step() against a signed fake world (fake_auth.h) on the fake clock,
 * one scenario per way an answer can be secure, insecure or bogus, judged
 * by what a client sees: the rcode, the AD flag and the Extended DNS Error
 * (RFC 8914) of req_answer().
 *
 * The first group checks the signed world itself with ldns's verifier, so
 * that a failing scenario points at the validator, not at the world.
 *
 * Link with -Wl,--wrap=val_rrsig_verify: the wrapper below counts the
 * signature verifications, so the KeyTrap scenario can show the budget held.
 *
 * The last group checks the negative trust anchor table (nta.c) alone.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_auth.h"
#include "mangrove/anchor.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/request.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

#define ANCHOR_MAX 2048

/* ---- counting signature checks ---- */

int __real_val_rrsig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig,
                            const struct val_key *key);
int __wrap_val_rrsig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig,
                            const struct val_key *key);

static unsigned sig_checks;

int __wrap_val_rrsig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig,
                            const struct val_key *key)
{
	sig_checks++;
	return __real_val_rrsig_verify(rrset, rrsig, key);
}

/* ---- the signed world ---- */

/* A zone below test., served by its own server. */
struct leaf {
	const char *label; /* the zone is <label>.test. */
	const char *addr;
	bool sign;
	bool ds; /* its DS goes into test. */
	struct fake_sign opts;
	const char *extra; /* more records, names relative to the zone */
};

static const struct leaf leaves[] = {
        {.label = "secure",
         .addr = "192.0.2.11",
         .sign = true,
         .ds = true,
         .extra = "chain 3600 IN CNAME a.insecure.test.\n"},
        {.label = "nsec3",
         .addr = "192.0.2.12",
         .sign = true,
         .ds = true,
         .opts = {.algorithm = LDNS_SIGN_ED25519, .csk = true, .nsec3 = true}},
        {.label = "optout",
         .addr = "192.0.2.13",
         .sign = true,
         .ds = true,
         .opts = {.algorithm = LDNS_SIGN_RSASHA256,
                  .nsec3 = true,
                  .nsec3_optout = true,
                  .nsec3_salt = "c0ffee"},
         .extra = "child 3600 IN NS ns1.child\nns1.child 3600 IN A 192.0.2.14\n"},
        {.label = "insecure", .addr = "192.0.2.15", .extra = "a 3600 IN CNAME www.nsec3.test.\n"},
        {.label = "badsig",
         .addr = "192.0.2.16",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_BAD_SIG, .target = "www.badsig.test. A"}},
        {.label = "expired",
         .addr = "192.0.2.17",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_EXPIRED}},
        {.label = "future",
         .addr = "192.0.2.18",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_NOT_YET_VALID}},
        {.label = "expone",
         .addr = "192.0.2.19",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_EXPIRED, .target = "www.expone.test. A"}},
        {.label = "dsnokey",
         .addr = "192.0.2.30",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_DS_NO_KEY}},
        {.label = "zskonly",
         .addr = "192.0.2.31",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_DNSKEY_ZSK_ONLY}},
        {.label = "nosig",
         .addr = "192.0.2.32",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_UNSIGNED}},
        {.label = "alg",
         .addr = "192.0.2.33",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_ALGORITHM}},
        {.label = "digest",
         .addr = "192.0.2.34",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_DS_DIGEST}},
        {.label = "iter",
         .addr = "192.0.2.35",
         .sign = true,
         .ds = true,
         .opts = {.nsec3 = true, .nsec3_iterations = 200}},
        {.label = "keytrap",
         .addr = "192.0.2.36",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_KEYTRAP}},
        {.label = "norrsig",
         .addr = "192.0.2.37",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_NO_RRSIGS}},
        {.label = "nodenial",
         .addr = "192.0.2.38",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_NO_DENIAL}},
        {.label = "nowild",
         .addr = "192.0.2.39",
         .sign = true,
         .ds = true,
         .opts = {.breaks = FAKE_BREAK_NO_WILDCARD_PROOF}},
};

#define N_LEAVES (sizeof(leaves) / sizeof(leaves[0]))

/* Every leaf holds the same names: data, a CNAME, a wildcard, an empty non-terminal. */
static const char leaf_format[] = "@ 3600 IN SOA ns1 hostmaster 1 1800 900 604800 300\n"
                                  "@ 3600 IN NS ns1\n"
                                  "ns1 3600 IN A %s\n"
                                  "www 3600 IN A 192.0.2.80\n"
                                  "mail 3600 IN MX 10 www\n"
                                  "alias 3600 IN CNAME www\n"
                                  "*.wild 3600 IN A 192.0.2.81\n"
                                  "deep.ent 3600 IN TXT \"below an empty non-terminal\"\n"
                                  "%s";

static const char root_zone[] = FAKE_ROOT_ZONE;

/* An unsigned TLD with a signed zone below it: an island of trust. */
static const char other_zone[] = "@ 86400 IN SOA ns1 hostmaster 1 1800 900 604800 300\n"
                                 "@ 86400 IN NS ns1\n"
                                 "ns1 86400 IN A 192.0.2.20\n"
                                 "island 86400 IN NS ns1.island\n"
                                 "ns1.island 86400 IN A 192.0.2.21\n";

struct world {
	struct fake_world *w;
	struct fake_server *root, *tld, *other, *island, *child;
	struct fake_server *leaf[N_LEAVES];
	char root_anchor[ANCHOR_MAX];
	char island_anchor[ANCHOR_MAX];
};

static struct world *W;

static struct fake_server *add(const char *addr, const char *origin, const char *text)
{
	struct fake_server *s = fake_server_add(W->w, addr);
	assert_non_null(s);
	assert_int_equal(fake_server_zone(s, origin, text), 0);
	return s;
}

static struct fake_server *add_leaf(const char *addr, const char *origin, const char *extra)
{
	char text[2048];
	snprintf(text, sizeof(text), leaf_format, addr, extra != NULL ? extra : "");
	return add(addr, origin, text);
}

static void tld_text(char *text, size_t len)
{
	size_t n = (size_t)snprintf(text, len,
	                            "@ 86400 IN SOA ns1 hostmaster 1 1800 900 604800 300\n"
	                            "@ 86400 IN NS ns1\n"
	                            "ns1 86400 IN A 192.0.2.10\n"
	                            "a.root-servers 86400 IN A 192.0.2.1\n");
	for (size_t i = 0; i < N_LEAVES; i++)
		n += (size_t)snprintf(
		        text + n, len - n, "%s 86400 IN NS ns1.%s\nns1.%s 86400 IN A %s\n",
		        leaves[i].label, leaves[i].label, leaves[i].label, leaves[i].addr);
	assert_true(n < len);
}

/* Children first: each DS goes into the parent before the parent is signed. */
static void leaves_build(void)
{
	for (size_t i = 0; i < N_LEAVES; i++) {
		const struct leaf *l = &leaves[i];
		char origin[64];
		snprintf(origin, sizeof(origin), "%s.test.", l->label);
		W->leaf[i] = add_leaf(l->addr, origin, l->extra);
		if (l->sign)
			assert_int_equal(fake_server_sign(W->leaf[i], origin, &l->opts), 0);
		if (l->ds)
			assert_int_equal(fake_server_ds_copy(W->leaf[i], origin, W->tld), 0);
	}
}

static int world_setup(void **state)
{
	char text[8192];
	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	W->w = fake_world_new();
	assert_non_null(W->w);
	W->root = add("192.0.2.1", ".", root_zone);
	tld_text(text, sizeof(text));
	W->tld = add("192.0.2.10", "test.", text);
	W->other = add("192.0.2.20", "other.", other_zone);
	W->island = add_leaf("192.0.2.21", "island.other.", NULL);
	W->child = add_leaf("192.0.2.14", "child.optout.test.", NULL);
	leaves_build();
	assert_int_equal(fake_server_sign(W->tld, "test.", NULL), 0);
	assert_int_equal(fake_server_ds_copy(W->tld, "test.", W->root), 0);
	assert_int_equal(fake_server_sign(W->island, "island.other.", NULL), 0);
	assert_int_equal(fake_server_sign(W->root, ".", NULL), 0);
	assert_int_equal(fake_server_anchor(W->root, ".", W->root_anchor, ANCHOR_MAX), 0);
	assert_int_equal(
	        fake_server_anchor(W->island, "island.other.", W->island_anchor, ANCHOR_MAX), 0);
	return 0;
}

static int world_teardown(void **state)
{
	fake_world_free(W->w);
	free(W);
	W = NULL;
	return 0;
}

static struct fake_server *leaf(const char *label)
{
	for (size_t i = 0; i < N_LEAVES; i++)
		if (strcmp(leaves[i].label, label) == 0)
			return W->leaf[i];
	fail_msg("no leaf %s", label);
	return NULL;
}

/* ---- looking at replies with ldns ---- */

static ldns_rr_list *select_rrs(const ldns_pkt *p, ldns_pkt_section sec, const char *owner,
                                uint16_t type, bool sigs)
{
	ldns_rr_list *all = ldns_pkt_get_section_clone(p, sec);
	ldns_rr_list *out = ldns_rr_list_new();
	ldns_rdf *o = owner != NULL ? ldns_dname_new_frm_str(owner) : NULL;
	for (size_t i = 0; all != NULL && i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		bool is_sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
		uint16_t t = is_sig ? ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr))
		                    : ldns_rr_get_type(rr);
		if (is_sig == sigs && t == type &&
		    (o == NULL || ldns_dname_compare(ldns_rr_owner(rr), o) == 0))
			ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	ldns_rdf_deep_free(o);
	ldns_rr_list_deep_free(all);
	return out;
}

/* Check (owner, type) of a section with its RRSIGs and these keys, at time t. */
static ldns_status verify_at(const ldns_pkt *p, ldns_pkt_section sec, const char *owner,
                             uint16_t type, const ldns_rr_list *keys, time_t t)
{
	ldns_rr_list *set = select_rrs(p, sec, owner, type, false);
	ldns_rr_list *sigs = select_rrs(p, sec, owner, type, true);
	ldns_rr_list *k = ldns_rr_list_clone(keys);
	ldns_status st = LDNS_STATUS_ERR;
	if (ldns_rr_list_rr_count(set) > 0 && ldns_rr_list_rr_count(sigs) > 0)
		st = ldns_verify_time(set, sigs, k, t, NULL);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(k);
	return st;
}

static ldns_status verify(const ldns_pkt *p, ldns_pkt_section sec, const char *owner, uint16_t type,
                          const ldns_rr_list *keys)
{
	return verify_at(p, sec, owner, type, keys, FAKE_T0);
}

static size_t count_rrs(const ldns_pkt *p, ldns_pkt_section sec, const char *owner, uint16_t type,
                        bool sigs)
{
	ldns_rr_list *l = select_rrs(p, sec, owner, type, sigs);
	size_t n = ldns_rr_list_rr_count(l);
	ldns_rr_list_deep_free(l);
	return n;
}

static ldns_pkt *ask_server(const struct fake_server *s, const char *name, uint16_t type)
{
	ldns_pkt *p = fake_server_ask(s, name, type, true);
	assert_non_null(p);
	return p;
}

static const ldns_rr_list *keys_of(const struct fake_server *s, const char *origin)
{
	const ldns_rr_list *k = fake_server_dnskeys(s, origin);
	assert_non_null(k);
	return k;
}

static uint16_t dnskey_flags(const ldns_rr *key)
{
	return ldns_rdf2native_int16(ldns_rr_rdf(key, 0));
}

/* The key tag of the zone's first DNSKEY with (sep) or without the SEP flag. */
static uint16_t key_tag(const ldns_rr_list *keys, bool sep)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (((dnskey_flags(k) & LDNS_KEY_SEP_KEY) != 0) == sep)
			return ldns_calc_keytag(k);
	}
	fail_msg("no such key");
	return 0;
}

/* A copy of the first record that select_rrs() would give; NULL when none. Caller frees. */
static ldns_rr *find_rr(const ldns_pkt *p, ldns_pkt_section sec, const char *owner, uint16_t type,
                        bool sigs)
{
	ldns_rr_list *l = select_rrs(p, sec, owner, type, sigs);
	ldns_rr *rr = ldns_rr_list_rr_count(l) > 0 ? ldns_rr_clone(ldns_rr_list_rr(l, 0)) : NULL;
	ldns_rr_list_deep_free(l);
	return rr;
}

static uint32_t rdf_u32(const ldns_rr *rr, size_t i)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(rr, i));
}

static uint8_t rdf_u8(const ldns_rr *rr, size_t i)
{
	return ldns_rdf2native_int8(ldns_rr_rdf(rr, i));
}

/* Does some DS of the list match some DNSKEY of keys? */
static bool ds_matches(const ldns_rr_list *ds, const ldns_rr_list *keys)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(ds); i++)
		for (size_t j = 0; j < ldns_rr_list_rr_count(keys); j++)
			if (ldns_rr_compare_ds(ldns_rr_list_rr(ds, i), ldns_rr_list_rr(keys, j)))
				return true;
	return false;
}

static ldns_rdf *dname(const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	assert_non_null(d);
	return d;
}

/* ---- the signed world itself ---- */

static void test_fake_sign_answer_verifies(void **state)
{
	ldns_pkt *p = ask_server(leaf("secure"), "www.secure.test.", LDNS_RR_TYPE_A);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(
	        count_rrs(p, LDNS_SECTION_ANSWER, "www.secure.test.", LDNS_RR_TYPE_A, true), 1);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "www.secure.test.", LDNS_RR_TYPE_A,
	                        keys_of(leaf("secure"), "secure.test.")),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

static void test_fake_sign_nothing_without_do(void **state)
{
	ldns_pkt *p =
	        fake_server_ask(leaf("secure"), "nothere.secure.test.", LDNS_RR_TYPE_A, false);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(p);
}

/* KSK + ZSK: the DNSKEY RRset is signed by the KSK only, the DS names the KSK. */
static void test_fake_sign_dnskey_by_ksk(void **state)
{
	const ldns_rr_list *keys = keys_of(leaf("secure"), "secure.test.");
	ldns_pkt *p = ask_server(leaf("secure"), "secure.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(count_rrs(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_DNSKEY, false), 2);
	assert_int_equal(count_rrs(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_DNSKEY, true), 1);
	ldns_rr *sig = find_rr(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_DNSKEY, true);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)), key_tag(keys, true));
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "secure.test.", LDNS_RR_TYPE_DNSKEY, keys),
	                 LDNS_STATUS_OK);
	const ldns_rr_list *ds = fake_server_ds(leaf("secure"), "secure.test.");
	assert_int_equal(ldns_rr_list_rr_count(ds), 1);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(ds, 0), 0)),
	                 key_tag(keys, true));
	assert_true(ds_matches(ds, keys));
	ldns_rr_free(sig);
	ldns_pkt_free(p);
}

/* ED25519 with one key, RSASHA256 with two: both verify. */
static void test_fake_sign_algorithms(void **state)
{
	const ldns_rr_list *csk = keys_of(leaf("nsec3"), "nsec3.test.");
	assert_int_equal(ldns_rr_list_rr_count(csk), 1);
	assert_int_equal(rdf_u8(ldns_rr_list_rr(csk, 0), 2), LDNS_ED25519);
	ldns_pkt *p = ask_server(leaf("nsec3"), "www.nsec3.test.", LDNS_RR_TYPE_A);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "www.nsec3.test.", LDNS_RR_TYPE_A, csk),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
	const ldns_rr_list *rsa = keys_of(leaf("optout"), "optout.test.");
	assert_int_equal(rdf_u8(ldns_rr_list_rr(rsa, 0), 2), LDNS_RSASHA256);
	p = ask_server(leaf("optout"), "www.optout.test.", LDNS_RR_TYPE_A);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "www.optout.test.", LDNS_RR_TYPE_A, rsa),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.4: a referral to a signed child carries its DS RRset, signed. */
static void test_fake_referral_has_ds(void **state)
{
	ldns_pkt *p = ask_server(W->tld, "www.secure.test.", LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NS), 1);
	assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, "secure.test.", LDNS_RR_TYPE_DS,
	                        keys_of(W->tld, "test.")),
	                 LDNS_STATUS_OK);
	ldns_rr_list *ds = select_rrs(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_DS, false);
	assert_true(ds_matches(ds, keys_of(leaf("secure"), "secure.test.")));
	ldns_rr_list_deep_free(ds);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.4: to an unsigned child, the NSEC of the cut: NS, no DS. */
static void test_fake_referral_unsigned_child_nsec(void **state)
{
	ldns_pkt *p = ask_server(W->tld, "www.insecure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_DS), 0);
	ldns_rr *nsec =
	        find_rr(p, LDNS_SECTION_AUTHORITY, "insecure.test.", LDNS_RR_TYPE_NSEC, false);
	assert_non_null(nsec);
	assert_true(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), LDNS_RR_TYPE_NS));
	assert_false(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), LDNS_RR_TYPE_DS));
	assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, "insecure.test.", LDNS_RR_TYPE_NSEC,
	                        keys_of(W->tld, "test.")),
	                 LDNS_STATUS_OK);
	ldns_rr_free(nsec);
	ldns_pkt_free(p);
}

/* ldns's own NXDOMAIN check of a reply; every NSEC/NSEC3 RRSIG verifies too. */
static void assert_denial(const ldns_pkt *p, const char *name, uint16_t qtype,
                          const ldns_rr_list *keys)
{
	bool nsec3 = fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC3) > 0;
	uint16_t type = nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
	ldns_rr_list *recs = select_rrs(p, LDNS_SECTION_AUTHORITY, NULL, type, false);
	ldns_rr_list *sigs = select_rrs(p, LDNS_SECTION_AUTHORITY, NULL, type, true);
	assert_true(ldns_rr_list_rr_count(recs) > 0);
	assert_int_equal(ldns_rr_list_rr_count(sigs), ldns_rr_list_rr_count(recs));
	for (size_t i = 0; i < ldns_rr_list_rr_count(recs); i++) {
		char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(recs, i)));
		assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, owner, type, keys),
		                 LDNS_STATUS_OK);
		free(owner);
	}
	ldns_rr *q = ldns_rr_new_frm_type(qtype);
	ldns_rr_set_owner(q, dname(name));
	ldns_status st;
	if (nsec3)
		st = ldns_dnssec_verify_denial_nsec3(q, recs, sigs, ldns_pkt_get_rcode(p), qtype,
		                                     ldns_pkt_ancount(p) == 0);
	else
		st = ldns_dnssec_verify_denial(q, recs, sigs);
	assert_int_equal(st, LDNS_STATUS_OK);
	ldns_rr_free(q);
	ldns_rr_list_deep_free(recs);
	ldns_rr_list_deep_free(sigs);
}

/* RFC 4035 §3.1.3.2: the NSEC covering the name and the one covering the wildcard. */
static void test_fake_nxdomain_nsec(void **state)
{
	ldns_pkt *p = ask_server(leaf("secure"), "nothere.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	const ldns_rr_list *keys = keys_of(leaf("secure"), "secure.test.");
	assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, "secure.test.", LDNS_RR_TYPE_SOA, keys),
	                 LDNS_STATUS_OK);
	assert_denial(p, "nothere.secure.test.", LDNS_RR_TYPE_A, keys);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.3.1: the NSEC of the name, without the type. */
static void test_fake_nodata_nsec(void **state)
{
	ldns_pkt *p = ask_server(leaf("secure"), "www.secure.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_rr *nsec =
	        find_rr(p, LDNS_SECTION_AUTHORITY, "www.secure.test.", LDNS_RR_TYPE_NSEC, false);
	assert_non_null(nsec);
	assert_true(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), LDNS_RR_TYPE_A));
	assert_false(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), LDNS_RR_TYPE_AAAA));
	assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, "www.secure.test.", LDNS_RR_TYPE_NSEC,
	                        keys_of(leaf("secure"), "secure.test.")),
	                 LDNS_STATUS_OK);
	ldns_rr_free(nsec);
	ldns_pkt_free(p);
}

/* An empty non-terminal: NODATA, proved by the NSEC that covers it (next name below it). */
static void test_fake_ent_nodata_nsec(void **state)
{
	ldns_pkt *p = ask_server(leaf("secure"), "ent.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_rr *nsec = find_rr(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC, false);
	assert_non_null(nsec);
	ldns_rdf *ent = dname("ent.secure.test.");
	assert_true(ldns_nsec_covers_name(nsec, ent));
	assert_true(ldns_dname_is_subdomain(ldns_rr_rdf(nsec, 0), ent));
	ldns_rdf_deep_free(ent);
	ldns_rr_free(nsec);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.3.3: expanded records, RRSIG labels of the wildcard, NSEC for the name. */
static void test_fake_wildcard_nsec(void **state)
{
	const ldns_rr_list *keys = keys_of(leaf("secure"), "secure.test.");
	ldns_pkt *p = ask_server(leaf("secure"), "x.wild.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "x.wild.secure.test. 0 IN A 192.0.2.81"));
	ldns_rr *sig = find_rr(p, LDNS_SECTION_ANSWER, "x.wild.secure.test.", LDNS_RR_TYPE_A, true);
	assert_non_null(sig);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)), 3);
	assert_int_equal(
	        verify(p, LDNS_SECTION_ANSWER, "x.wild.secure.test.", LDNS_RR_TYPE_A, keys),
	        LDNS_STATUS_OK);
	ldns_rr *nsec = find_rr(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC, false);
	assert_non_null(nsec);
	ldns_rdf *name = dname("x.wild.secure.test.");
	assert_true(ldns_nsec_covers_name(nsec, name));
	ldns_rdf_deep_free(name);
	ldns_rr_free(nsec);
	ldns_rr_free(sig);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.3.4: NSEC covering the name, NSEC of the wildcard without the type. */
static void test_fake_wildcard_nodata_nsec(void **state)
{
	ldns_pkt *p = ask_server(leaf("secure"), "x.wild.secure.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_rr *wild =
	        find_rr(p, LDNS_SECTION_AUTHORITY, "*.wild.secure.test.", LDNS_RR_TYPE_NSEC, false);
	assert_non_null(wild);
	assert_false(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(wild), LDNS_RR_TYPE_AAAA));
	/* "*.wild" sorts before "x.wild": its NSEC also covers the name, and is sent once. */
	ldns_rdf *name = dname("x.wild.secure.test.");
	assert_true(ldns_nsec_covers_name(wild, name));
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 1);
	ldns_rdf_deep_free(name);
	ldns_rr_free(wild);
	ldns_pkt_free(p);
}

/* RFC 5155 §7.2.2: closest encloser, next closer name and wildcard. */
static void test_fake_nxdomain_nsec3(void **state)
{
	ldns_pkt *p = ask_server(leaf("nsec3"), "a.nothere.nsec3.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	assert_true(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC3) >= 2);
	assert_denial(p, "a.nothere.nsec3.test.", LDNS_RR_TYPE_A,
	              keys_of(leaf("nsec3"), "nsec3.test."));
	ldns_pkt_free(p);
}

/* RFC 5155 §7.2.3: the NSEC3 matching the name. */
static void test_fake_nodata_nsec3(void **state)
{
	ldns_pkt *p = ask_server(leaf("nsec3"), "www.nsec3.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC3), 1);
	ldns_rr *n3 = find_rr(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, false);
	ldns_rdf *www = dname("www.nsec3.test.");
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(n3, www);
	ldns_rdf *label = ldns_dname_label(ldns_rr_owner(n3), 0);
	assert_int_equal(ldns_dname_compare(label, h), 0);
	ldns_rdf_deep_free(label);
	/* By hand: ldns_dnssec_verify_denial_nsec3() leaks memory on NODATA. */
	char *owner = ldns_rdf2str(ldns_rr_owner(n3));
	assert_int_equal(verify(p, LDNS_SECTION_AUTHORITY, owner, LDNS_RR_TYPE_NSEC3,
	                        keys_of(leaf("nsec3"), "nsec3.test.")),
	                 LDNS_STATUS_OK);
	assert_true(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(n3), LDNS_RR_TYPE_A));
	assert_false(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(n3), LDNS_RR_TYPE_AAAA));
	free(owner);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(www);
	ldns_rr_free(n3);
	ldns_pkt_free(p);
}

/* RFC 5155 §7.2.6: a wildcard answer carries the NSEC3 covering the next closer name. */
static void test_fake_wildcard_nsec3(void **state)
{
	ldns_pkt *p = ask_server(leaf("nsec3"), "x.wild.nsec3.test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 1);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC3), 1);
	ldns_rr *n3 = find_rr(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, false);
	ldns_rdf *name = dname("x.wild.nsec3.test.");
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(n3, name);
	ldns_rdf *zone = dname("nsec3.test.");
	assert_int_equal(ldns_dname_cat(h, zone), LDNS_STATUS_OK);
	assert_true(ldns_nsec_covers_name(n3, h));
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(name);
	ldns_rr_free(n3);
	ldns_pkt_free(p);
}

/*
 * RFC 5155 §6, §7.2.7: the insecure child of an Opt-Out zone has no NSEC3;
 * the referral proves the closest provable encloser and covers the child
 * with an Opt-Out NSEC3.
 */
static void test_fake_optout_referral(void **state)
{
	ldns_pkt *p = ask_server(leaf("optout"), "www.child.optout.test.", LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_DS), 0);
	ldns_rr_list *n3 = select_rrs(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, false);
	assert_int_equal(ldns_rr_list_rr_count(n3), 2);
	ldns_rdf *child = dname("child.optout.test.");
	ldns_rdf *apex = dname("optout.test.");
	bool apex_matched = false, child_covered = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(n3); i++) {
		ldns_rr *rr = ldns_rr_list_rr(n3, i);
		assert_true(ldns_nsec3_optout(rr));
		ldns_rdf *hc = ldns_nsec3_hash_name_frm_nsec3(rr, child);
		ldns_rdf *ha = ldns_nsec3_hash_name_frm_nsec3(rr, apex);
		ldns_rdf *label = ldns_dname_label(ldns_rr_owner(rr), 0);
		assert_int_not_equal(ldns_dname_compare(label, hc), 0);
		apex_matched |= ldns_dname_compare(label, ha) == 0;
		assert_int_equal(ldns_dname_cat(hc, apex), LDNS_STATUS_OK);
		child_covered |= ldns_nsec_covers_name(rr, hc);
		ldns_rdf_deep_free(label);
		ldns_rdf_deep_free(ha);
		ldns_rdf_deep_free(hc);
	}
	assert_true(apex_matched);
	assert_true(child_covered);
	ldns_rdf_deep_free(apex);
	ldns_rdf_deep_free(child);
	ldns_rr_list_deep_free(n3);
	ldns_pkt_free(p);
}

/* RFC 4035 §3.1.4.1: a server with both sides of a cut answers DS from the parent. */
static void test_fake_ds_question_from_parent(void **state)
{
	struct fake_world *w = fake_world_new();
	struct fake_server *s = fake_server_add(w, "192.0.2.99");
	char text[2048];
	snprintf(text, sizeof(text), leaf_format, "192.0.2.99", "c 3600 IN NS ns1.c\n");
	assert_int_equal(fake_server_zone(s, "p.test.", text), 0);
	snprintf(text, sizeof(text), leaf_format, "192.0.2.99", "");
	assert_int_equal(fake_server_zone(s, "c.p.test.", text), 0);
	assert_int_equal(fake_server_sign(s, "c.p.test.", NULL), 0);
	assert_int_equal(fake_server_ds_copy(s, "c.p.test.", s), 0);
	assert_int_equal(fake_server_sign(s, "p.test.", NULL), 0);
	assert_int_equal(fake_server_ds_copy(s, "c.p.test.", s), ERR_EXISTS);
	ldns_pkt *p = ask_server(s, "c.p.test.", LDNS_RR_TYPE_DS);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(
	        verify(p, LDNS_SECTION_ANSWER, "c.p.test.", LDNS_RR_TYPE_DS, keys_of(s, "p.test.")),
	        LDNS_STATUS_OK);
	ldns_pkt_free(p);
	p = ask_server(s, "c.p.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "c.p.test.", LDNS_RR_TYPE_DNSKEY,
	                        keys_of(s, "c.p.test.")),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
	fake_world_free(w);
}

/* ---- the breakage knobs ---- */

static void test_fake_break_bad_sig(void **state)
{
	const ldns_rr_list *keys = keys_of(leaf("badsig"), "badsig.test.");
	ldns_pkt *p = ask_server(leaf("badsig"), "www.badsig.test.", LDNS_RR_TYPE_A);
	assert_int_equal(count_rrs(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_A, true), 1);
	assert_int_not_equal(
	        verify(p, LDNS_SECTION_ANSWER, "www.badsig.test.", LDNS_RR_TYPE_A, keys),
	        LDNS_STATUS_OK);
	ldns_pkt_free(p);
	p = ask_server(leaf("badsig"), "mail.badsig.test.", LDNS_RR_TYPE_MX);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "mail.badsig.test.", LDNS_RR_TYPE_MX, keys),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

/* Good signatures outside their validity period: they verify at another time. */
static void assert_sig_window(const char *label, const char *name, uint16_t type, time_t good,
                              bool expired)
{
	char origin[64];
	snprintf(origin, sizeof(origin), "%s.test.", label);
	const ldns_rr_list *keys = keys_of(leaf(label), origin);
	ldns_pkt *p = ask_server(leaf(label), name, type);
	ldns_rr *sig = find_rr(p, LDNS_SECTION_ANSWER, name, type, true);
	assert_non_null(sig);
	if (expired)
		assert_true(rdf_u32(sig, 4) < FAKE_T0); /* expiration */
	else
		assert_true(rdf_u32(sig, 5) > FAKE_T0); /* inception */
	assert_int_not_equal(verify(p, LDNS_SECTION_ANSWER, name, type, keys), LDNS_STATUS_OK);
	assert_int_equal(verify_at(p, LDNS_SECTION_ANSWER, name, type, keys, good), LDNS_STATUS_OK);
	ldns_rr_free(sig);
	ldns_pkt_free(p);
}

static void test_fake_break_times(void **state)
{
	assert_sig_window("expired", "www.expired.test.", LDNS_RR_TYPE_A, FAKE_T0 - 40 * 86400,
	                  true);
	assert_sig_window("expired", "expired.test.", LDNS_RR_TYPE_DNSKEY, FAKE_T0 - 40 * 86400,
	                  true);
	assert_sig_window("future", "www.future.test.", LDNS_RR_TYPE_A, FAKE_T0 + 40 * 86400,
	                  false);
	assert_sig_window("expone", "www.expone.test.", LDNS_RR_TYPE_A, FAKE_T0 - 40 * 86400, true);
	/* The target alone: the rest of the zone is fine. */
	ldns_pkt *p = ask_server(leaf("expone"), "mail.expone.test.", LDNS_RR_TYPE_MX);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "mail.expone.test.", LDNS_RR_TYPE_MX,
	                        keys_of(leaf("expone"), "expone.test.")),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

static void test_fake_break_ds(void **state)
{
	/* No key matches the DS. */
	assert_false(ds_matches(fake_server_ds(leaf("dsnokey"), "dsnokey.test."),
	                        keys_of(leaf("dsnokey"), "dsnokey.test.")));
	/* An unsupported digest type. */
	const ldns_rr_list *ds = fake_server_ds(leaf("digest"), "digest.test.");
	assert_int_equal(rdf_u8(ldns_rr_list_rr(ds, 0), 2), FAKE_DIGEST_UNSUPPORTED);
	/* Algorithm 253 everywhere, and the DS still matches the key. */
	const ldns_rr_list *keys = keys_of(leaf("alg"), "alg.test.");
	ds = fake_server_ds(leaf("alg"), "alg.test.");
	assert_int_equal(rdf_u8(ldns_rr_list_rr(keys, 0), 2), FAKE_ALG_UNSUPPORTED);
	assert_int_equal(rdf_u8(ldns_rr_list_rr(ds, 0), 1), FAKE_ALG_UNSUPPORTED);
	assert_true(ds_matches(ds, keys));
	ldns_pkt *p = ask_server(leaf("alg"), "www.alg.test.", LDNS_RR_TYPE_A);
	ldns_rr *sig = find_rr(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig)), FAKE_ALG_UNSUPPORTED);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)), key_tag(keys, false));
	ldns_rr_free(sig);
	ldns_pkt_free(p);
}

/* The DS names the KSK, the DNSKEY RRset is signed by the ZSK only. */
static void test_fake_break_dnskey_zsk_only(void **state)
{
	const ldns_rr_list *keys = keys_of(leaf("zskonly"), "zskonly.test.");
	ldns_pkt *p = ask_server(leaf("zskonly"), "zskonly.test.", LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *sigs = select_rrs(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_DNSKEY, true);
	assert_int_equal(ldns_rr_list_rr_count(sigs), 1);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(ldns_rr_list_rr(sigs, 0))),
	                 key_tag(keys, false));
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "zskonly.test.", LDNS_RR_TYPE_DNSKEY, keys),
	                 LDNS_STATUS_OK);
	const ldns_rr_list *ds = fake_server_ds(leaf("zskonly"), "zskonly.test.");
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(ds, 0), 0)),
	                 key_tag(keys, true));
	ldns_rr_list_deep_free(sigs);
	ldns_pkt_free(p);
}

/* A DS in the parent, but no DNSKEY, RRSIG or NSEC in the child. */
static void test_fake_break_unsigned(void **state)
{
	ldns_pkt *p = ask_server(leaf("nosig"), "nosig.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	ldns_pkt_free(p);
	p = ask_server(W->tld, "www.nosig.test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_DS), 1);
	ldns_pkt_free(p);
}

/* Many DNSKEYs with the ZSK's tag; every RRSIG of an answer has that tag; none is good. */
static void test_fake_break_keytrap(void **state)
{
	const ldns_rr_list *keys = keys_of(leaf("keytrap"), "keytrap.test.");
	uint16_t tag = key_tag(keys, false);
	size_t same = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		same += ldns_calc_keytag(k) == tag;
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(ldns_rr_compare(k, ldns_rr_list_rr(keys, j)), 0);
	}
	assert_int_equal(same, 33);
	ldns_pkt *p = ask_server(leaf("keytrap"), "keytrap.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(ldns_pkt_ancount(p), 34 + 1);
	assert_int_equal(verify(p, LDNS_SECTION_ANSWER, "keytrap.test.", LDNS_RR_TYPE_DNSKEY, keys),
	                 LDNS_STATUS_OK);
	ldns_pkt_free(p);
	p = ask_server(leaf("keytrap"), "www.keytrap.test.", LDNS_RR_TYPE_A);
	ldns_rr_list *sigs = select_rrs(p, LDNS_SECTION_ANSWER, NULL, LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_rr_list_rr_count(sigs), 16);
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		assert_int_equal(
		        ldns_rdf2native_int16(ldns_rr_rrsig_keytag(ldns_rr_list_rr(sigs, i))), tag);
	assert_int_not_equal(
	        verify(p, LDNS_SECTION_ANSWER, "www.keytrap.test.", LDNS_RR_TYPE_A, keys),
	        LDNS_STATUS_OK);
	ldns_rr_list_deep_free(sigs);
	ldns_pkt_free(p);
}

static void test_fake_break_serving(void **state)
{
	/* RRSIGs missing, but the DNSKEY RRset keeps its own. */
	ldns_pkt *p = ask_server(leaf("norrsig"), "www.norrsig.test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 1);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 0);
	ldns_pkt_free(p);
	p = ask_server(leaf("norrsig"), "norrsig.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);
	ldns_pkt_free(p);
	/* A signed SOA, no NSEC. */
	p = ask_server(leaf("nodenial"), "nothere.nodenial.test.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_RRSIG), 1);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
	ldns_pkt_free(p);
	/* A wildcard answer without the NSEC for the name. */
	p = ask_server(leaf("nowild"), "x.wild.nowild.test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	/* NSEC3 with 200 iterations. */
	p = ask_server(leaf("iter"), "nothere.iter.test.", LDNS_RR_TYPE_A);
	ldns_rr *n3 = find_rr(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, false);
	assert_non_null(n3);
	assert_int_equal(ldns_nsec3_iterations(n3), 200);
	ldns_rr_free(n3);
	ldns_pkt_free(p);
}

/* ---- validation scenarios ---- */

struct fx {
	struct fake_env env;
	struct val_anchors *anchors;
	struct val_keycache *keys;
	struct val_nta *nta;
	struct val_env val;
};

static void val_free_state(struct fx *f)
{
	f->env.env.val = NULL;
	val_keycache_free(f->keys);
	val_anchors_free(f->anchors);
	val_nta_free(f->nta);
	f->keys = NULL;
	f->anchors = NULL;
	f->nta = NULL;
}

/*
 * The environment a worker gives its requests, with validation on, built
 * as src/daemon/main.c builds it: the configuration (defaults plus body:
 * anchors, domain-insecure, limits), the anchor store, a key cache and the
 * per-question budget. The one place to change when that set-up changes.
 */
static void val_setup(struct fx *f, const char *body)
{
	char err[256];
	val_free_state(f);
	assert_int_equal(fake_env_conf(&f->env, body), 0);
	assert_int_equal(val_anchors_new(f->env.conf, &f->anchors, err, sizeof(err)), 0);
	f->keys = val_keycache_new(1000);
	assert_non_null(f->keys);
	f->nta = val_nta_new();
	assert_non_null(f->nta);
	f->val = (struct val_env){.anchors = f->anchors,
	                          .keys = f->keys,
	                          .sig_skew = f->env.conf->val_sig_skew,
	                          .nsec3_max_iterations = f->env.conf->nsec3_max_iterations,
	                          .bogus_ttl = f->env.conf->val_bogus_ttl,
	                          .nta = f->nta};
	f->env.env.val = &f->val;
	f->env.env.val_budget = req_val_budget(f->env.conf);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fake_clock_start();
	assert_int_equal(fake_env_init(&f->env, "a.root-servers.test.", "192.0.2.1"), 0);
	val_setup(f, W->root_anchor);
	fake_world_log_clear(W->w);
	sig_checks = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	val_free_state(f);
	fake_env_deinit(&f->env);
	clock_fake_clear();
	free(f);
	return 0;
}

/* Resolve for a client with DO (and flags); the answer's EDE into *ede. */
static ldns_pkt *ask_flags(struct fx *f, const char *name, uint16_t type, uint8_t flags, int *ede,
                           struct fake_run *run)
{
	struct wire_ede e = {.code = WIRE_EDE_NONE, .text = NULL};
	struct fake_run local;
	ldns_pkt *p = fake_resolve_flags(&f->env, W->w, name, type, CACHE_MSG_DO | flags, &e,
	                                 run != NULL ? run : &local);
	if (p == NULL)
		fail_msg("%s type %u: no answer", name, type);
	*ede = e.code;
	return p;
}

static ldns_pkt *ask(struct fx *f, const char *name, uint16_t type, int *ede)
{
	return ask_flags(f, name, type, 0, ede, NULL);
}

/* The client's view: rcode, AD and EDE; returns the answer for more checks. */
static ldns_pkt *expect(struct fx *f, const char *name, uint16_t type, ldns_pkt_rcode rcode,
                        bool ad, int ede)
{
	int got;
	ldns_pkt *p = ask(f, name, type, &got);
	if (ldns_pkt_get_rcode(p) != rcode || ldns_pkt_ad(p) != ad || got != ede)
		fail_msg("%s type %u: rcode %d AD %d EDE %d; expected rcode %d AD %d EDE %d", name,
		         type, ldns_pkt_get_rcode(p), ldns_pkt_ad(p), got, rcode, ad, ede);
	return p;
}

static void expect_only(struct fx *f, const char *name, uint16_t type, ldns_pkt_rcode rcode,
                        bool ad, int ede)
{
	ldns_pkt_free(expect(f, name, type, rcode, ad, ede));
}

/* Where RFC 8914 leaves a choice between two codes, either is right. */
static void expect_either(struct fx *f, const char *name, uint16_t type, ldns_pkt_rcode rcode,
                          bool ad, int ede1, int ede2)
{
	int got;
	ldns_pkt *p = ask(f, name, type, &got);
	if (ldns_pkt_get_rcode(p) != rcode || ldns_pkt_ad(p) != ad || (got != ede1 && got != ede2))
		fail_msg("%s type %u: rcode %d AD %d EDE %d; expected rcode %d AD %d EDE %d or %d",
		         name, type, ldns_pkt_get_rcode(p), ldns_pkt_ad(p), got, rcode, ad, ede1,
		         ede2);
	ldns_pkt_free(p);
}

/* -- secure -- */

static void test_val_secure_answer(void **state)
{
	ldns_pkt *p = expect(*state, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	                     WIRE_EDE_NONE);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.secure.test. 0 IN A 192.0.2.80"));
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 1);
	ldns_pkt_free(p);
}

static void test_val_secure_ed25519_nsec3(void **state)
{
	expect_only(*state, "www.nsec3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_secure_rsasha256_optout_zone(void **state)
{
	expect_only(*state, "www.optout.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_secure_cname_in_zone(void **state)
{
	ldns_pkt *p = expect(*state, "alias.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	                     WIRE_EDE_NONE);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME), 1);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 1);
	ldns_pkt_free(p);
}

/* A second question is answered from what the first one learnt: no new signature checks
 * of the zones on the way. */
static void test_val_secure_keys_cached(void **state)
{
	expect_only(*state, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
	unsigned first = sig_checks;
	sig_checks = 0;
	expect_only(*state, "mail.secure.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
	assert_true(first >= 4); /* root and test. DNSKEY and DS, secure.test. DNSKEY, the answer */
	assert_int_equal(sig_checks, 1);
}

/* -- denial of existence -- */

static void test_val_nxdomain_nsec(void **state)
{
	ldns_pkt *p = expect(*state, "nothere.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
	                     true, WIRE_EDE_NONE);
	assert_true(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC) > 0);
	ldns_pkt_free(p);
}

static void test_val_nodata_nsec(void **state)
{
	ldns_pkt *p = expect(*state, "www.secure.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
	                     true, WIRE_EDE_NONE);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA), 0);
	ldns_pkt_free(p);
}

static void test_val_nodata_empty_non_terminal_nsec(void **state)
{
	expect_only(*state, "ent.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_nxdomain_nsec3(void **state)
{
	ldns_pkt *p = expect(*state, "a.nothere.nsec3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
	                     true, WIRE_EDE_NONE);
	assert_true(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC3) >= 2);
	ldns_pkt_free(p);
}

static void test_val_nodata_nsec3(void **state)
{
	expect_only(*state, "www.nsec3.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_nodata_empty_non_terminal_nsec3(void **state)
{
	expect_only(*state, "ent.nsec3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* A denial without its NSEC records: RFC 8914 §4.13. */
static void test_val_nxdomain_without_nsec_bogus(void **state)
{
	expect_only(*state, "nothere.nodenial.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_NSEC_MISSING);
}

static void test_val_nodata_without_nsec_bogus(void **state)
{
	expect_only(*state, "www.nodenial.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_NSEC_MISSING);
}

/* -- wildcards -- */

static void test_val_wildcard_nsec(void **state)
{
	ldns_pkt *p = expect(*state, "x.wild.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	                     true, WIRE_EDE_NONE);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "x.wild.secure.test. 0 IN A 192.0.2.81"));
	ldns_pkt_free(p);
}

static void test_val_wildcard_nsec3(void **state)
{
	expect_only(*state, "x.wild.nsec3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_wildcard_nodata_nsec(void **state)
{
	expect_only(*state, "x.wild.secure.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

static void test_val_wildcard_nodata_nsec3(void **state)
{
	expect_only(*state, "x.wild.nsec3.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* RFC 4035 §5.3.4: without proof that the name is absent, the expansion is bogus. */
static void test_val_wildcard_without_proof_bogus(void **state)
{
	expect_either(*state, "x.wild.nowild.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	              WIRE_EDE_BOGUS, WIRE_EDE_NSEC_MISSING);
}

/* -- insecure -- */

static void test_val_insecure_delegation(void **state)
{
	ldns_pkt *p = expect(*state, "www.insecure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	                     false, WIRE_EDE_NONE);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.insecure.test. 0 IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

static void test_val_insecure_nxdomain(void **state)
{
	expect_only(*state, "nothere.insecure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false,
	            WIRE_EDE_NONE);
}

static void test_val_optout_insecure_child(void **state)
{
	expect_only(*state, "www.child.optout.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* RFC 4035 §5.2: a DS with only an algorithm we do not implement makes the zone insecure. */
static void test_val_unsupported_algorithm_insecure(void **state)
{
	expect_either(*state, "www.alg.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	              WIRE_EDE_UNSUPPORTED_ALG, WIRE_EDE_UNSUPPORTED_ALG);
}

/* RFC 6840 §5.2: so does a DS with only a digest type we do not implement. */
static void test_val_unsupported_digest_insecure(void **state)
{
	expect_either(*state, "www.digest.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	              WIRE_EDE_UNSUPPORTED_DIGEST, WIRE_EDE_UNSUPPORTED_DIGEST);
}

/* RFC 9276 §3.2: NSEC3 iterations above nsec3-max-iterations: insecure, EDE 27. */
static void test_val_nsec3_iterations_insecure(void **state)
{
	expect_only(*state, "nothere.iter.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false,
	            WIRE_EDE_NSEC3_ITERATIONS);
}

/* An answer that needs no NSEC3 is still secure in that zone. */
static void test_val_nsec3_iterations_positive_secure(void **state)
{
	expect_only(*state, "www.iter.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* Part of the chain insecure: the whole answer is (RFC 4035 §3.2.3: AD for all or none). */
static void test_val_cname_secure_insecure_secure(void **state)
{
	ldns_pkt *p = expect(*state, "chain.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	                     false, WIRE_EDE_NONE);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_CNAME), 2);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.nsec3.test. 0 IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

/* -- bogus -- */

static void test_val_bad_signature_bogus(void **state)
{
	ldns_pkt *p = expect(*state, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	                     WIRE_EDE_BOGUS);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
}

static void test_val_bad_signature_other_rrset_secure(void **state)
{
	expect_only(*state, "mail.badsig.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* RFC 4035 §3.2.2: with CD the client gets the data, unvalidated. */
static void test_val_bad_signature_checking_disabled(void **state)
{
	int ede;
	ldns_pkt *p =
	        ask_flags(*state, "www.badsig.test.", LDNS_RR_TYPE_A, CACHE_MSG_CD, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_false(ldns_pkt_ad(p));
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.badsig.test. 0 IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

/* A bogus answer is remembered: asked again, no upstream query, same verdict. */
static void test_val_bogus_answer_cached(void **state)
{
	struct fake_run run;
	int ede;
	expect_only(*state, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_BOGUS);
	ldns_pkt *p = ask_flags(*state, "www.badsig.test.", LDNS_RR_TYPE_A, 0, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede, WIRE_EDE_BOGUS);
	assert_int_equal(run.sends, 0);
	ldns_pkt_free(p);
}

static void test_val_expired_bogus(void **state)
{
	expect_only(*state, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_EXPIRED);
}

static void test_val_not_yet_valid_bogus(void **state)
{
	expect_only(*state, "www.future.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_NOT_YET);
}

static void test_val_expired_one_rrset(void **state)
{
	expect_only(*state, "www.expone.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_EXPIRED);
	expect_only(*state, "mail.expone.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* RFC 8914 §4.10: a DS existed, no DNSKEY matches it. */
static void test_val_ds_matches_no_key_bogus(void **state)
{
	expect_only(*state, "www.dsnokey.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_DNSKEY_MISSING);
}

/*
 * The key the DS names does not sign the DNSKEY RRset: bogus. RFC 8914
 * fits either 6 (Bogus) or 9 (no DNSKEY for the DS that signed anything).
 */
static void test_val_dnskey_not_signed_by_ds_key_bogus(void **state)
{
	expect_either(*state, "www.zskonly.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	              WIRE_EDE_BOGUS, WIRE_EDE_DNSKEY_MISSING);
}

/* A DS in the parent, the child serves no DNSKEY: RFC 8914 §4.10. */
static void test_val_ds_but_child_unsigned_bogus(void **state)
{
	expect_only(*state, "www.nosig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_DNSKEY_MISSING);
}

/* RFC 8914 §4.11: signed zone, answer without RRSIGs. */
static void test_val_rrsigs_missing_bogus(void **state)
{
	expect_only(*state, "www.norrsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_RRSIGS_MISSING);
}

/*
 * KeyTrap (CVE-2023-50387): 16 signatures times 33 keys with one key tag
 * would be 528 checks; the budget (max-sig-checks, max-key-tag-collisions)
 * stops it, and the answer is SERVFAIL.
 */
static void test_val_keytrap_bounded(void **state)
{
	struct fx *f = *state;
	int ede;
	ldns_pkt *p = ask(f, "www.keytrap.test.", LDNS_RR_TYPE_A, &ede);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_false(ldns_pkt_ad(p));
	assert_int_not_equal(ede, WIRE_EDE_NONE);
	assert_true(sig_checks > 0);
	assert_true(sig_checks <= f->env.conf->max_sig_checks);
	ldns_pkt_free(p);
}

/* -- trust anchors -- */

/* An anchor below an unsigned TLD: the island is secure. */
static void test_val_anchor_inner_name(void **state)
{
	struct fx *f = *state;
	char body[2 * ANCHOR_MAX];
	snprintf(body, sizeof(body), "%s%s", W->root_anchor, W->island_anchor);
	val_setup(f, body);
	expect_only(f, "www.island.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* Without it, the island is just below an insecure delegation. */
static void test_val_island_without_anchor_insecure(void **state)
{
	expect_only(*state, "www.island.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* Only the island anchor: names outside it cannot be validated, so they are insecure. */
static void test_val_anchor_only_inner_name(void **state)
{
	struct fx *f = *state;
	val_setup(f, W->island_anchor);
	expect_only(f, "www.island.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
	expect_only(f, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* RFC 7646: domain-insecure over a bogus zone gives its data, without AD. */
static void test_val_domain_insecure_over_bogus(void **state)
{
	struct fx *f = *state;
	char body[2 * ANCHOR_MAX];
	snprintf(body, sizeof(body), "%sdomain-insecure: badsig.test.\n", W->root_anchor);
	val_setup(f, body);
	ldns_pkt *p = expect(f, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	                     WIRE_EDE_NONE);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.badsig.test. 0 IN A 192.0.2.80"));
	ldns_pkt_free(p);
	expect_only(f, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, WIRE_EDE_NONE);
}

/* A root anchor that matches no root key: everything is bogus. */
static void test_val_wrong_root_anchor_bogus(void **state)
{
	struct fx *f = *state;
	val_setup(f, "trust-anchor: \". 3600 IN DS 12345 13 2 "
	             "0000000000000000000000000000000000000000000000000000000000000000\"\n");
	expect_only(f, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_DNSKEY_MISSING);
}

/* -- negative trust anchors (RFC 7646) -- */

/* A wire name from text, in one of a few rotating buffers (enough for one call's arguments). */
static const uint8_t *dn(const char *text)
{
	static uint8_t bufs[4][WIRE_DNAME_MAX];
	static unsigned next;
	uint8_t *b = bufs[next++ % 4];
	if (wire_dname_from_str(text, b, NULL) != 0)
		fail_msg("bad name %s", text);
	return b;
}

/*
 * Add an NTA now, and flush the answer cache as the control command does
 * (an answer cached as bogus before would hide it).
 */
static void nta_add_now(struct fx *f, const char *name, uint32_t lifetime)
{
	assert_int_equal(val_nta_add(f->nta, dn(name), lifetime, clock_wall()), 0);
	cache_flush(f->env.cache);
}

static void nta_remove_now(struct fx *f, const char *name)
{
	assert_int_equal(val_nta_remove(f->nta, dn(name), clock_wall()), 0);
	cache_flush(f->env.cache);
}

/* An NTA over a zone whose whole chain is bogus: its answers come back, without AD or EDE. */
static void test_val_nta_bogus_zone_insecure(void **state)
{
	struct fx *f = *state;
	expect_only(f, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_EXPIRED);
	nta_add_now(f, "expired.test.", 0);
	ldns_pkt *p = expect(f, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	                     WIRE_EDE_NONE);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.expired.test. 0 IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

/* A bad signature on one RRset of a zone whose keys are fine. */
static void test_val_nta_bad_signature_insecure(void **state)
{
	struct fx *f = *state;
	expect_only(f, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_BOGUS);
	nta_add_now(f, "badsig.test.", 0);
	expect_only(f, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* A negative answer that proves nothing (no NSEC) is insecure under an NTA, not bogus. */
static void test_val_nta_nxdomain_insecure(void **state)
{
	struct fx *f = *state;
	expect_only(f, "nothere.nodenial.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_NSEC_MISSING);
	nta_add_now(f, "nodenial.test.", 0);
	expect_only(f, "nothere.nodenial.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false,
	            WIRE_EDE_NONE);
}

static void test_val_nta_removed_bogus_again(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "expired.test.", 0);
	expect_only(f, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
	nta_remove_now(f, "expired.test.");
	expect_only(f, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_EXPIRED);
}

/* Nothing removes an expired NTA: the next validation after its last second ignores it. */
static void test_val_nta_expired_bogus_again(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "expired.test.", 60);
	expect_only(f, "www.expired.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
	fake_clock_advance(60 * 1000);
	/* A name not asked before, so no cached answer stands in for the validator. */
	expect_only(f, "mail.expired.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_SIG_EXPIRED);
	assert_int_equal(val_nta_list(f->nta, clock_wall(), NULL, NULL), 0);
}

/* A sibling zone, and the parent zone above the NTA, still validate. */
static void test_val_nta_sibling_and_parent_secure(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "badsig.test.", 0);
	expect_only(f, "www.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, WIRE_EDE_NONE);
	expect_only(f, "test.", LDNS_RR_TYPE_SOA, LDNS_RCODE_NOERROR, true, WIRE_EDE_NONE);
}

/* An NTA below a zone cut covers the names under it, not the rest of the zone. */
static void test_val_nta_below_zone_cut(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "www.badsig.test.", 0);
	expect_only(f, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
	expect_only(f, "mail.badsig.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* So does it for a denial: the name denied is what counts, not the zone's SOA. */
static void test_val_nta_below_zone_cut_nxdomain(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "b.nodenial.test.", 0);
	expect_only(f, "a.b.nodenial.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false,
	            WIRE_EDE_NONE);
	expect_only(f, "c.nodenial.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_NSEC_MISSING);
}

/* Whole labels only: an NTA at adsig.test. leaves badsig.test. alone. */
static void test_val_nta_label_boundary(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "adsig.test.", 0);
	expect_only(f, "www.badsig.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, false,
	            WIRE_EDE_BOGUS);
}

static void test_val_nta_case_insensitive(void **state)
{
	struct fx *f = *state;
	nta_add_now(f, "BadSig.TEST.", 0);
	expect_only(f, "WWW.badsig.Test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* An anchor configured below the NTA starts validation again there. */
static void test_val_nta_anchor_below_secure(void **state)
{
	struct fx *f = *state;
	char body[2 * ANCHOR_MAX];
	snprintf(body, sizeof(body), "%s%s", W->root_anchor, W->island_anchor);
	val_setup(f, body);
	nta_add_now(f, "other.", 0);
	expect_only(f, "www.island.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
	            WIRE_EDE_NONE);
}

/* An NTA at the anchor's own name overrides the anchor. */
static void test_val_nta_at_anchor_insecure(void **state)
{
	struct fx *f = *state;
	char body[2 * ANCHOR_MAX];
	snprintf(body, sizeof(body), "%s%s", W->root_anchor, W->island_anchor);
	val_setup(f, body);
	nta_add_now(f, "island.other.", 0);
	expect_only(f, "www.island.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false,
	            WIRE_EDE_NONE);
}

/* Validate an upstream reply on its own, with no fetches allowed; the verdict. */
static enum val_status validate_reply(struct fx *f, const char *zone, const char *name,
                                      uint16_t type, struct val **out)
{
	ldns_pkt *p = ask_server(leaf(zone), name, type);
	struct val_budget budget = req_val_budget(f->env.conf);
	struct val_input in = {.qname = dn(name),
	                       .qtype = type,
	                       .rcode = ldns_pkt_get_rcode(p),
	                       .answer = ldns_pkt_answer(p),
	                       .authority = ldns_pkt_authority(p)};
	struct val *v = val_new(&f->val, &in, &budget);
	struct val_fetch fetch;
	assert_non_null(v);
	assert_int_equal(val_step(v, &fetch), VAL_DONE);
	enum val_status st = val_result(v, NULL);
	ldns_pkt_free(p);
	*out = v;
	return st;
}

/* val_result_nta() says when the first NTA that made the verdict ends, for the cache TTL. */
static void test_val_nta_result_until(void **state)
{
	struct fx *f = *state;
	struct val *v;
	/* alias.badsig.test. CNAME www.badsig.test.: each RRset under a different NTA. */
	assert_int_equal(val_nta_add(f->nta, dn("badsig.test."), 600, clock_wall()), 0);
	assert_int_equal(val_nta_add(f->nta, dn("www.badsig.test."), 60, clock_wall()), 0);
	assert_int_equal(validate_reply(f, "badsig", "alias.badsig.test.", LDNS_RR_TYPE_A, &v),
	                 VAL_INSECURE);
	time_t until = 0;
	assert_true(val_result_nta(v, &until));
	assert_int_equal(until, clock_wall() + 60);
	val_free(v);
}

/* Insecure for another reason (no anchor encloses the name): not the NTA's doing. */
static void test_val_nta_result_other_insecure(void **state)
{
	struct fx *f = *state;
	struct val *v;
	val_setup(f, W->island_anchor);
	assert_int_equal(val_nta_add(f->nta, dn("badsig.test."), 0, clock_wall()), 0);
	assert_int_equal(validate_reply(f, "secure", "www.secure.test.", LDNS_RR_TYPE_A, &v),
	                 VAL_INSECURE);
	assert_false(val_result_nta(v, NULL));
	val_free(v);
}

/* ---- the NTA table alone ---- */

#define T_NOW ((time_t)FAKE_T0)

static struct val_nta *nta_new_checked(void)
{
	struct val_nta *t = val_nta_new();
	assert_non_null(t);
	return t;
}

/* What val_nta_list() reported. */
struct listed {
	size_t n;
	char names[8][WIRE_DNAME_STR_MAX];
	uint32_t remaining[8];
};

static void list_cb(const uint8_t *name, uint32_t remaining, void *arg)
{
	struct listed *l = arg;
	if (l->n < 8) {
		wire_dname_to_str(name, l->names[l->n], sizeof(l->names[l->n]));
		l->remaining[l->n] = remaining;
	}
	l->n++;
}

static void test_val_nta_covers_empty(void **state)
{
	struct val_nta *t = nta_new_checked();
	assert_false(val_nta_covers(t, dn("www.example.test."), T_NOW));
	assert_false(val_nta_covers(NULL, dn("www.example.test."), T_NOW));
	val_nta_free(t);
}

/* The name itself and every name below it, by whole labels; not its parent. */
static void test_val_nta_covers_at_and_below(void **state)
{
	struct val_nta *t = nta_new_checked();
	assert_int_equal(val_nta_add(t, dn("example.test."), 0, T_NOW), 0);
	assert_true(val_nta_covers(t, dn("example.test."), T_NOW));
	assert_true(val_nta_covers(t, dn("a.b.example.test."), T_NOW));
	assert_false(val_nta_covers(t, dn("test."), T_NOW));
	assert_false(val_nta_covers(t, dn("badexample.test."), T_NOW));
	assert_false(val_nta_covers(t, dn("example.other."), T_NOW));
	val_nta_free(t);
}

static void test_val_nta_case_insensitive_table(void **state)
{
	struct val_nta *t = nta_new_checked();
	struct listed l = {0};
	assert_int_equal(val_nta_add(t, dn("ExAmple.TEST."), 0, T_NOW), 0);
	assert_true(val_nta_covers(t, dn("WWW.example.Test."), T_NOW));
	assert_int_equal(val_nta_add(t, dn("example.test."), 0, T_NOW), 0); /* the same one */
	assert_int_equal(val_nta_list(t, T_NOW, list_cb, &l), 1);
	assert_string_equal(l.names[0], "example.test.");
	assert_int_equal(val_nta_remove(t, dn("EXAMPLE.test."), T_NOW), 0);
	assert_false(val_nta_covers(t, dn("www.example.test."), T_NOW));
	val_nta_free(t);
}

/* The deepest NTA is the one found; it is never one across a label boundary. */
static void test_val_nta_find_deepest(void **state)
{
	struct val_nta *t = nta_new_checked();
	unsigned labels = 0;
	time_t expiry = 0;
	assert_int_equal(val_nta_add(t, dn("test."), 100, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("example.test."), 200, T_NOW), 0);
	assert_int_equal(val_nta_find(t, dn("www.example.test."), T_NOW, &labels, &expiry), 0);
	assert_int_equal(labels, 2);
	assert_int_equal(expiry, T_NOW + 200);
	assert_int_equal(val_nta_find(t, dn("www.other.test."), T_NOW, &labels, &expiry), 0);
	assert_int_equal(labels, 1);
	assert_int_equal(val_nta_find(t, dn("example.other."), T_NOW, &labels, &expiry),
	                 ERR_NOTFOUND);
	val_nta_free(t);
}

/* Lifetime 0 is the default; up to one week is accepted, not a second more. */
static void test_val_nta_add_lifetime_bounds(void **state)
{
	struct val_nta *t = nta_new_checked();
	struct listed l = {0};
	assert_int_equal(val_nta_add(t, dn("a.test."), 0, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("b.test."), VAL_NTA_MAX_LIFETIME, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("c.test."), VAL_NTA_MAX_LIFETIME + 1, T_NOW), ERR_RANGE);
	assert_int_equal(val_nta_list(t, T_NOW, list_cb, &l), 2);
	assert_int_equal(l.remaining[0], VAL_NTA_DEFAULT_LIFETIME);
	assert_int_equal(l.remaining[0], 3600);
	assert_int_equal(l.remaining[1], 7 * 86400);
	assert_false(val_nta_covers(t, dn("c.test."), T_NOW));
	val_nta_free(t);
}

/* Adding an NTA again gives it the new lifetime, shorter or longer. */
static void test_val_nta_add_replaces_lifetime(void **state)
{
	struct val_nta *t = nta_new_checked();
	struct listed l = {0};
	assert_int_equal(val_nta_add(t, dn("a.test."), 1000, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("a.test."), 10, T_NOW + 5), 0);
	assert_int_equal(val_nta_list(t, T_NOW + 5, list_cb, &l), 1);
	assert_int_equal(l.remaining[0], 10);
	assert_false(val_nta_covers(t, dn("a.test."), T_NOW + 15));
	val_nta_free(t);
}

/* Live while now < added + lifetime; then not covered, not listed, not removable. */
static void test_val_nta_expiry(void **state)
{
	struct val_nta *t = nta_new_checked();
	assert_int_equal(val_nta_add(t, dn("a.test."), 60, T_NOW), 0);
	assert_true(val_nta_covers(t, dn("www.a.test."), T_NOW + 59));
	assert_false(val_nta_covers(t, dn("www.a.test."), T_NOW + 60));
	assert_int_equal(val_nta_list(t, T_NOW + 60, NULL, NULL), 0);
	assert_int_equal(val_nta_remove(t, dn("a.test."), T_NOW + 60), ERR_NOTFOUND);
	val_nta_free(t);
}

static void test_val_nta_remove_exact_name_only(void **state)
{
	struct val_nta *t = nta_new_checked();
	assert_int_equal(val_nta_add(t, dn("a.test."), 0, T_NOW), 0);
	assert_int_equal(val_nta_remove(t, dn("www.a.test."), T_NOW), ERR_NOTFOUND);
	assert_int_equal(val_nta_remove(t, dn("test."), T_NOW), ERR_NOTFOUND);
	assert_true(val_nta_covers(t, dn("www.a.test."), T_NOW));
	assert_int_equal(val_nta_remove(t, dn("a.test."), T_NOW), 0);
	assert_int_equal(val_nta_remove(t, dn("a.test."), T_NOW), ERR_NOTFOUND);
	val_nta_free(t);
}

/* Listed in canonical order (RFC 4034 §6.1) with the seconds left. */
static void test_val_nta_list_order(void **state)
{
	struct val_nta *t = nta_new_checked();
	struct listed l = {0};
	assert_int_equal(val_nta_add(t, dn("z.test."), 30, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("b.a.test."), 20, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("a.test."), 10, T_NOW), 0);
	assert_int_equal(val_nta_add(t, dn("other."), 40, T_NOW), 0);
	assert_int_equal(val_nta_list(t, T_NOW + 5, list_cb, &l), 4);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.names[0], "other.");
	assert_string_equal(l.names[1], "a.test.");
	assert_string_equal(l.names[2], "b.a.test.");
	assert_string_equal(l.names[3], "z.test.");
	assert_int_equal(l.remaining[0], 35);
	assert_int_equal(l.remaining[1], 5);
	assert_int_equal(l.remaining[2], 15);
	assert_int_equal(l.remaining[3], 25);
	val_nta_free(t);
}

/* Name i of a series, "a<i>.test." or "z<i>.test.": on both sides of m.test. */
static const uint8_t *numbered(unsigned i)
{
	char name[32];
	snprintf(name, sizeof(name), "%c%u.test.", i % 2 != 0 ? 'a' : 'z', i);
	return dn(name);
}

static void add_numbered(struct val_nta *t, unsigned i, uint32_t lifetime, time_t now, int rc)
{
	assert_int_equal(val_nta_add(t, numbered(i), lifetime, now), rc);
}

/* At most VAL_NTA_MAX names; a full table still takes new lifetimes for its names. */
static void test_val_nta_add_table_full(void **state)
{
	struct val_nta *t = nta_new_checked();
	for (unsigned i = 0; i < VAL_NTA_MAX; i++)
		add_numbered(t, i, 60, T_NOW, 0);
	add_numbered(t, VAL_NTA_MAX, 60, T_NOW, ERR_SPACE);
	add_numbered(t, 7, 120, T_NOW, 0);
	assert_int_equal(val_nta_list(t, T_NOW, NULL, NULL), VAL_NTA_MAX);
	assert_true(val_nta_covers(t, dn("www.a1023.test."), T_NOW));
	assert_true(val_nta_covers(t, dn("www.z1022.test."), T_NOW));
	val_nta_free(t);
}

/* Expired names make room: they are dropped when the next one is added. */
static void test_val_nta_add_full_after_expiry(void **state)
{
	struct val_nta *t = nta_new_checked();
	for (unsigned i = 0; i < VAL_NTA_MAX; i++)
		add_numbered(t, i, i == 5 ? 10 : 60, T_NOW, 0);
	add_numbered(t, VAL_NTA_MAX, 60, T_NOW + 9, ERR_SPACE);
	add_numbered(t, VAL_NTA_MAX, 60, T_NOW + 10, 0);
	assert_int_equal(val_nta_list(t, T_NOW + 10, NULL, NULL), VAL_NTA_MAX);
	val_nta_free(t);
}

static void test_val_nta_add_bad_name(void **state)
{
	struct val_nta *t = nta_new_checked();
	uint8_t bad[8] = {64, 'a', 0};
	assert_int_equal(val_nta_add(t, bad, 0, T_NOW), ERR_INVAL);
	assert_int_equal(val_nta_list(t, T_NOW, NULL, NULL), 0);
	val_nta_free(t);
}

/* Readers on another thread while the table is rewritten: the NTA they look for never
 * disappears and the names they must not see never appear. */
struct reader {
	struct val_nta *t;
	unsigned misses;
	_Atomic bool stop;
};

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	uint8_t in[WIRE_DNAME_MAX], out[WIRE_DNAME_MAX];
	/* No cmocka asserts off the main thread: a failure here counts as a miss. */
	if (wire_dname_from_str("www.m.test.", in, NULL) != 0 ||
	    wire_dname_from_str("www.test.", out, NULL) != 0) {
		r->misses++;
		return NULL;
	}
	while (!r->stop) {
		if (!val_nta_covers(r->t, in, T_NOW) || val_nta_covers(r->t, out, T_NOW))
			r->misses++;
	}
	return NULL;
}

static void test_val_nta_concurrent_readers(void **state)
{
	struct reader r = {.t = nta_new_checked(), .misses = 0, .stop = false};
	pthread_t th;
	assert_int_equal(val_nta_add(r.t, dn("m.test."), 0, T_NOW), 0);
	assert_int_equal(pthread_create(&th, NULL, reader_run, &r), 0);
	/* Half the names sort before m.test.: adding and removing them moves its entry. */
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned i = 0; i < 40; i++)
			add_numbered(r.t, i, 0, T_NOW, 0);
		for (unsigned i = 0; i < 40; i++)
			assert_int_equal(val_nta_remove(r.t, numbered(i), T_NOW), 0);
	}
	r.stop = true;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.misses, 0);
	val_nta_free(r.t);
}

#define WORLD_TEST(t) cmocka_unit_test(t)
#define VAL_TEST(t)   cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest world[] = {
	        WORLD_TEST(test_fake_sign_answer_verifies),
	        WORLD_TEST(test_fake_sign_nothing_without_do),
	        WORLD_TEST(test_fake_sign_dnskey_by_ksk),
	        WORLD_TEST(test_fake_sign_algorithms),
	        WORLD_TEST(test_fake_referral_has_ds),
	        WORLD_TEST(test_fake_referral_unsigned_child_nsec),
	        WORLD_TEST(test_fake_nxdomain_nsec),
	        WORLD_TEST(test_fake_nodata_nsec),
	        WORLD_TEST(test_fake_ent_nodata_nsec),
	        WORLD_TEST(test_fake_wildcard_nsec),
	        WORLD_TEST(test_fake_wildcard_nodata_nsec),
	        WORLD_TEST(test_fake_nxdomain_nsec3),
	        WORLD_TEST(test_fake_nodata_nsec3),
	        WORLD_TEST(test_fake_wildcard_nsec3),
	        WORLD_TEST(test_fake_optout_referral),
	        WORLD_TEST(test_fake_ds_question_from_parent),
	        WORLD_TEST(test_fake_break_bad_sig),
	        WORLD_TEST(test_fake_break_times),
	        WORLD_TEST(test_fake_break_ds),
	        WORLD_TEST(test_fake_break_dnskey_zsk_only),
	        WORLD_TEST(test_fake_break_unsigned),
	        WORLD_TEST(test_fake_break_keytrap),
	        WORLD_TEST(test_fake_break_serving),
	};
	const struct CMUnitTest val[] = {
	        VAL_TEST(test_val_secure_answer),
	        VAL_TEST(test_val_secure_ed25519_nsec3),
	        VAL_TEST(test_val_secure_rsasha256_optout_zone),
	        VAL_TEST(test_val_secure_cname_in_zone),
	        VAL_TEST(test_val_secure_keys_cached),
	        VAL_TEST(test_val_nxdomain_nsec),
	        VAL_TEST(test_val_nodata_nsec),
	        VAL_TEST(test_val_nodata_empty_non_terminal_nsec),
	        VAL_TEST(test_val_nxdomain_nsec3),
	        VAL_TEST(test_val_nodata_nsec3),
	        VAL_TEST(test_val_nodata_empty_non_terminal_nsec3),
	        VAL_TEST(test_val_nxdomain_without_nsec_bogus),
	        VAL_TEST(test_val_nodata_without_nsec_bogus),
	        VAL_TEST(test_val_wildcard_nsec),
	        VAL_TEST(test_val_wildcard_nsec3),
	        VAL_TEST(test_val_wildcard_nodata_nsec),
	        VAL_TEST(test_val_wildcard_nodata_nsec3),
	        VAL_TEST(test_val_wildcard_without_proof_bogus),
	        VAL_TEST(test_val_insecure_delegation),
	        VAL_TEST(test_val_insecure_nxdomain),
	        VAL_TEST(test_val_optout_insecure_child),
	        VAL_TEST(test_val_unsupported_algorithm_insecure),
	        VAL_TEST(test_val_unsupported_digest_insecure),
	        VAL_TEST(test_val_nsec3_iterations_insecure),
	        VAL_TEST(test_val_nsec3_iterations_positive_secure),
	        VAL_TEST(test_val_cname_secure_insecure_secure),
	        VAL_TEST(test_val_bad_signature_bogus),
	        VAL_TEST(test_val_bad_signature_other_rrset_secure),
	        VAL_TEST(test_val_bad_signature_checking_disabled),
	        VAL_TEST(test_val_bogus_answer_cached),
	        VAL_TEST(test_val_expired_bogus),
	        VAL_TEST(test_val_not_yet_valid_bogus),
	        VAL_TEST(test_val_expired_one_rrset),
	        VAL_TEST(test_val_ds_matches_no_key_bogus),
	        VAL_TEST(test_val_dnskey_not_signed_by_ds_key_bogus),
	        VAL_TEST(test_val_ds_but_child_unsigned_bogus),
	        VAL_TEST(test_val_rrsigs_missing_bogus),
	        VAL_TEST(test_val_keytrap_bounded),
	        VAL_TEST(test_val_anchor_inner_name),
	        VAL_TEST(test_val_island_without_anchor_insecure),
	        VAL_TEST(test_val_anchor_only_inner_name),
	        VAL_TEST(test_val_domain_insecure_over_bogus),
	        VAL_TEST(test_val_wrong_root_anchor_bogus),
	        VAL_TEST(test_val_nta_bogus_zone_insecure),
	        VAL_TEST(test_val_nta_bad_signature_insecure),
	        VAL_TEST(test_val_nta_nxdomain_insecure),
	        VAL_TEST(test_val_nta_removed_bogus_again),
	        VAL_TEST(test_val_nta_expired_bogus_again),
	        VAL_TEST(test_val_nta_sibling_and_parent_secure),
	        VAL_TEST(test_val_nta_below_zone_cut),
	        VAL_TEST(test_val_nta_below_zone_cut_nxdomain),
	        VAL_TEST(test_val_nta_label_boundary),
	        VAL_TEST(test_val_nta_case_insensitive),
	        VAL_TEST(test_val_nta_anchor_below_secure),
	        VAL_TEST(test_val_nta_at_anchor_insecure),
	        VAL_TEST(test_val_nta_result_until),
	        VAL_TEST(test_val_nta_result_other_insecure),
	};
	const struct CMUnitTest nta[] = {
	        cmocka_unit_test(test_val_nta_covers_empty),
	        cmocka_unit_test(test_val_nta_covers_at_and_below),
	        cmocka_unit_test(test_val_nta_case_insensitive_table),
	        cmocka_unit_test(test_val_nta_find_deepest),
	        cmocka_unit_test(test_val_nta_add_lifetime_bounds),
	        cmocka_unit_test(test_val_nta_add_replaces_lifetime),
	        cmocka_unit_test(test_val_nta_expiry),
	        cmocka_unit_test(test_val_nta_remove_exact_name_only),
	        cmocka_unit_test(test_val_nta_list_order),
	        cmocka_unit_test(test_val_nta_add_table_full),
	        cmocka_unit_test(test_val_nta_add_full_after_expiry),
	        cmocka_unit_test(test_val_nta_add_bad_name),
	        cmocka_unit_test(test_val_nta_concurrent_readers),
	};
	int failed = cmocka_run_group_tests_name("fakeworld", world, world_setup, world_teardown);
	failed += cmocka_run_group_tests_name("validator", val, world_setup, world_teardown);
	failed += cmocka_run_group_tests_name("nta", nta, NULL, NULL);
	return failed;
}
