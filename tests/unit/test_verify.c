/*
 * test_verify.c - unit tests for the validator's cryptography (verify.c):
 * keys, key tags, DS digests, RRSIG time windows, signatures over RRsets in
 * canonical form for every supported algorithm, and NSEC3 hashes.
 *
 * Keys are generated with ldns and RRsets signed with ldns_sign_public();
 * known answers come from RFC 5702 §6, RFC 6605 §6, RFC 8080 §6 (with
 * erratum 4935), RFC 5155 Appendix A and the root zone's KSKs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "mangrove/errors.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

/* ---- helpers ---- */

#define N_ALGS 8

static const uint8_t test_algs[N_ALGS] = {5, 7, 8, 10, 13, 14, 15, 16};

/* A generated key of one algorithm, its DNSKEY and its parsed form. */
struct signer {
	uint8_t algorithm;
	ldns_key_list *keys; /* owns the ldns_key */
	ldns_rr *dnskey;
	struct val_key *vkey;
};

static struct signer signers[N_ALGS];

static ldns_rr *rr_new(const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL);
	if (st != LDNS_STATUS_OK)
		fail_msg("cannot parse \"%s\": %s", text, ldns_get_errorstr_by_id(st));
	return rr;
}

/* An RR list from NULL-terminated presentation strings. */
static ldns_rr_list *rrset_new(const char *first, ...)
{
	ldns_rr_list *list = ldns_rr_list_new();
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		ldns_rr_list_push_rr(list, rr_new(s));
	va_end(ap);
	return list;
}

static int signer_init(struct signer *s, uint8_t algorithm, uint16_t flags)
{
	uint16_t bits = algorithm == 14 ? 384 : algorithm == 13 ? 256 : 1024;
	ldns_key *key = ldns_key_new_frm_algorithm((ldns_signing_algorithm)algorithm, bits);
	if (key == NULL)
		return -1;
	ldns_key_set_pubkey_owner(key, ldns_dname_new_frm_str("example.com."));
	ldns_key_set_flags(key, flags);
	ldns_key_set_inception(key, (uint32_t)time(NULL) - 3600);
	ldns_key_set_expiration(key, (uint32_t)time(NULL) + 86400);
	s->algorithm = algorithm;
	s->dnskey = ldns_key2rr(key);
	ldns_key_set_keytag(key, ldns_calc_keytag(s->dnskey));
	s->keys = ldns_key_list_new();
	ldns_key_list_push_key(s->keys, key);
	return val_key_new(s->dnskey, &s->vkey) == 0 ? 0 : -1;
}

static void signer_deinit(struct signer *s)
{
	val_key_free(s->vkey);
	ldns_rr_free(s->dnskey);
	ldns_key_list_free(s->keys);
	memset(s, 0, sizeof(*s));
}

static int group_setup(void **state)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (signer_init(&signers[i], test_algs[i], 256) != 0)
			return -1;
	return 0;
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < N_ALGS; i++)
		signer_deinit(&signers[i]);
	return 0;
}

/* One RRSIG over rrset made by ldns with the signer's key. */
static ldns_rr *sign(const struct signer *s, const ldns_rr_list *rrset)
{
	ldns_rr_list *copy = ldns_rr_list_clone(rrset);
	ldns_rr_list *sigs = ldns_sign_public(copy, s->keys);
	assert_non_null(sigs);
	assert_int_equal(ldns_rr_list_rr_count(sigs), 1);
	ldns_rr *sig = ldns_rr_list_pop_rr(sigs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(copy);
	return sig;
}

/* Sign `signed_set` with every algorithm and check `checked_set` gives want. */
static void check_all_algorithms(const ldns_rr_list *signed_set, const ldns_rr_list *checked_set,
                                 int want)
{
	for (size_t i = 0; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], signed_set);
		int rc = val_rrsig_verify(checked_set, sig, signers[i].vkey);
		if (rc != want)
			fail_msg("algorithm %u: got %s, want %s", test_algs[i], err_str(rc),
			         err_str(want));
		ldns_rr_free(sig);
	}
}

static ldns_rdf *rrsig_rdf(ldns_rr *sig, size_t i)
{
	return ldns_rr_rdf(sig, i);
}

/* Replace RRSIG rdf i with an rdf made from text. */
static void rrsig_set(ldns_rr *sig, size_t i, ldns_rdf_type type, const char *text)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_str(type, text);
	assert_non_null(rdf);
	ldns_rdf_deep_free(ldns_rr_set_rdf(sig, rdf, i));
}

/* A DNSKEY with the given algorithm and raw public key bytes. */
static ldns_rr *dnskey_raw(uint16_t flags, uint8_t protocol, uint8_t algorithm, const uint8_t *key,
                           size_t len)
{
	ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_DNSKEY);
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str("example.com."));
	ldns_rr_set_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, flags), 0);
	ldns_rr_set_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, protocol), 1);
	ldns_rr_set_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_ALG, algorithm), 2);
	ldns_rr_set_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, len, key), 3);
	return rr;
}

/* Replace the owner of rr, freeing the old one. */
static void owner_set(ldns_rr *rr, const char *name)
{
	ldns_rdf_deep_free(ldns_rr_owner(rr));
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
}

static int key_new_rc(ldns_rr *dnskey)
{
	struct val_key *k = NULL;
	int rc = val_key_new(dnskey, &k);
	val_key_free(k);
	ldns_rr_free(dnskey);
	return rc;
}

/* ---- algorithms and digest types ---- */

static void test_val_algorithm_supported_list(void **state)
{
	for (size_t i = 0; i < N_ALGS; i++)
		assert_true(val_algorithm_supported(test_algs[i]));
	const uint8_t no[] = {0, 1, 2, 3, 4, 6, 9, 11, 12, 17, 23, 253, 254, 255};
	for (size_t i = 0; i < sizeof(no); i++)
		assert_false(val_algorithm_supported(no[i]));
}

static void test_val_digest_supported_list(void **state)
{
	assert_true(val_digest_supported(1));
	assert_true(val_digest_supported(2));
	assert_true(val_digest_supported(4));
	assert_false(val_digest_supported(0));
	assert_false(val_digest_supported(3));
	assert_false(val_digest_supported(5));
	assert_false(val_digest_supported(255));
}

/* ---- keys ---- */

/* The root zone KSKs (IANA root-anchors; /usr/share/dns/root.key). */
static const char root_ksk_2017[] =
        ". 172800 IN DNSKEY 257 3 8 "
        "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/"
        "4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXg"
        "nLh4+"
        "B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/"
        "EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/"
        "ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
static const char root_ksk_2024[] =
        ". 172800 IN DNSKEY 257 3 8 "
        "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/"
        "cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQW"
        "OmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+"
        "siFUiRAAxm9qyJNg/"
        "wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/"
        "7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBu"
        "zZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=";
static const char root_ds_2017[] =
        ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";
static const char root_ds_2024[] =
        ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16";

static void test_val_key_new_every_algorithm(void **state)
{
	for (size_t i = 0; i < N_ALGS; i++) {
		assert_non_null(signers[i].vkey);
		assert_int_equal(val_key_get_algorithm(signers[i].vkey), test_algs[i]);
		assert_int_equal(val_key_get_flags(signers[i].vkey), 256);
		assert_int_equal(val_key_get_tag(signers[i].vkey),
		                 ldns_calc_keytag(signers[i].dnskey));
	}
}

static void test_val_key_new_root_ksk(void **state)
{
	ldns_rr *rr = rr_new(root_ksk_2017);
	struct val_key *k = NULL;
	assert_int_equal(val_key_new(rr, &k), 0);
	assert_int_equal(val_key_get_tag(k), 20326);
	assert_int_equal(val_key_get_algorithm(k), 8);
	assert_int_equal(val_key_get_flags(k), 257);
	val_key_free(k);
	ldns_rr_free(rr);
}

static void test_val_key_new_unsupported_algorithm(void **state)
{
	/* A well-formed RSA-style key under algorithms we do not validate. */
	const uint8_t key[] = {0x03, 0x01, 0x00, 0x01, 0xc1, 0x5c, 0x1a, 0xc6, 0xb1, 0xc5};
	const uint8_t algs[] = {1, 3, 6, 12, 253};
	for (size_t i = 0; i < sizeof(algs); i++)
		assert_int_equal(key_new_rc(dnskey_raw(256, 3, algs[i], key, sizeof(key))),
		                 ERR_NOTIMP);
}

static void test_val_key_new_rsa_truncated_exponent_length(void **state)
{
	/* A zero octet announces a two-octet exponent length; only one follows. */
	const uint8_t key[] = {0x00, 0x01};
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 8, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_rsa_exponent_past_end(void **state)
{
	const uint8_t key[] = {0x05, 0x01, 0x00, 0x01};
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 8, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_rsa_no_modulus(void **state)
{
	const uint8_t key[] = {0x03, 0x01, 0x00, 0x01};
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 8, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_rsa_zero_exponent_length(void **state)
{
	const uint8_t key[] = {0x00, 0x00, 0x00, 0xc1, 0x5c};
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 5, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_rsa_modulus_too_large(void **state)
{
	/* RFC 3110 §2: at most 4096 bits; this modulus has 4104. */
	uint8_t key[4 + 513];
	memcpy(key, "\x03\x01\x00\x01", 4);
	memset(key + 4, 0xff, sizeof(key) - 4);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 8, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_rsa_exponent_too_large(void **state)
{
	/* A 9-octet (72-bit) exponent would only make each check slow. */
	uint8_t key[1 + 9 + 64];
	key[0] = 9;
	memset(key + 1, 0x01, 9);
	memset(key + 10, 0xc3, 64);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 8, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_ecdsa_wrong_point_size(void **state)
{
	uint8_t key[97];
	memset(key, 0x11, sizeof(key));
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 13, key, 63)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 13, key, 65)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 13, key, 96)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 14, key, 64)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 14, key, 97)), ERR_FORMERR);
}

static void test_val_key_new_ecdsa_point_not_on_curve(void **state)
{
	uint8_t key[64];
	memset(key, 0x01, sizeof(key));
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 13, key, sizeof(key))), ERR_FORMERR);
}

static void test_val_key_new_eddsa_wrong_size(void **state)
{
	uint8_t key[58];
	memset(key, 0x22, sizeof(key));
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 15, key, 31)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 15, key, 33)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 16, key, 56)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 16, key, 58)), ERR_FORMERR);
}

static void test_val_key_new_bad_protocol(void **state)
{
	const uint8_t *key = ldns_rdf_data(ldns_rr_rdf(signers[6].dnskey, 3));
	assert_int_equal(key_new_rc(dnskey_raw(256, 2, 15, key, 32)), ERR_FORMERR);
	assert_int_equal(key_new_rc(dnskey_raw(256, 3, 15, key, 32)), 0);
}

static void test_val_key_new_not_a_dnskey(void **state)
{
	struct val_key *k = (struct val_key *)&k;
	assert_int_equal(key_new_rc(rr_new("example.com. IN A 192.0.2.1")), ERR_FORMERR);
	assert_int_equal(val_key_new(NULL, &k), ERR_FORMERR);
	assert_null(k);
	assert_int_equal(val_key_new(signers[0].dnskey, NULL), ERR_INVAL);
}

static void test_val_key_free_null(void **state)
{
	val_key_free(NULL);
}

/* ---- key tags ---- */

static void test_val_key_tag_root_ksks(void **state)
{
	ldns_rr *k2017 = rr_new(root_ksk_2017);
	ldns_rr *k2024 = rr_new(root_ksk_2024);
	assert_int_equal(val_key_tag(k2017), 20326);
	assert_int_equal(val_key_tag(k2024), 38696);
	ldns_rr_free(k2017);
	ldns_rr_free(k2024);
}

static void test_val_key_tag_matches_ldns(void **state)
{
	for (size_t i = 0; i < N_ALGS; i++)
		assert_int_equal(val_key_tag(signers[i].dnskey),
		                 ldns_calc_keytag(signers[i].dnskey));
}

static void test_val_key_tag_algorithm_1(void **state)
{
	/* RFC 4034 B.1: bits 8-23 of the modulus, i.e. octets n-3 and n-2. */
	const uint8_t key[] = {0x01, 0x03, 0xd2, 0x2a, 0x6c, 0xa7, 0x7f, 0x35, 0xb8, 0x93};
	ldns_rr *rr = dnskey_raw(256, 3, 1, key, sizeof(key));
	assert_int_equal(val_key_tag(rr), 0x35b8);
	assert_int_equal(val_key_tag(rr), ldns_calc_keytag(rr));
	ldns_rr_free(rr);
}

static void test_val_key_tag_malformed(void **state)
{
	ldns_rr *a = rr_new("example.com. IN A 192.0.2.1");
	assert_int_equal(val_key_tag(a), 0);
	assert_int_equal(val_key_tag(NULL), 0);
	ldns_rr_free(a);
}

/* ---- DS ---- */

static int ds_match_rc(const char *ds_text, const char *dnskey_text)
{
	ldns_rr *ds = rr_new(ds_text);
	ldns_rr *dnskey = rr_new(dnskey_text);
	int rc = val_ds_match(ds, dnskey);
	ldns_rr_free(ds);
	ldns_rr_free(dnskey);
	return rc;
}

static void test_val_ds_match_root_ksks(void **state)
{
	assert_int_equal(ds_match_rc(root_ds_2017, root_ksk_2017), 0);
	assert_int_equal(ds_match_rc(root_ds_2024, root_ksk_2024), 0);
	assert_int_equal(ds_match_rc(root_ds_2017, root_ksk_2024), ERR_MISMATCH);
	assert_int_equal(ds_match_rc(root_ds_2024, root_ksk_2017), ERR_MISMATCH);
}

static void test_val_ds_match_digest_types(void **state)
{
	const ldns_hash hashes[] = {LDNS_SHA1, LDNS_SHA256, LDNS_SHA384};
	for (size_t i = 0; i < N_ALGS; i++) {
		for (size_t h = 0; h < 3; h++) {
			ldns_rr *ds = ldns_key_rr2ds(signers[i].dnskey, hashes[h]);
			assert_non_null(ds);
			assert_int_equal(val_ds_match(ds, signers[i].dnskey), 0);
			ldns_rr_free(ds);
		}
	}
}

static void test_val_ds_match_wrong_digest(void **state)
{
	ldns_rr *ds = ldns_key_rr2ds(signers[2].dnskey, LDNS_SHA256);
	ldns_rdf_data(ldns_rr_rdf(ds, 3))[5] ^= 0x40;
	assert_int_equal(val_ds_match(ds, signers[2].dnskey), ERR_MISMATCH);
	ldns_rr_free(ds);
	/* A digest of the wrong length for its type. */
	assert_int_equal(
	        ds_match_rc(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D084", root_ksk_2017),
	        ERR_MISMATCH);
}

static void test_val_ds_match_wrong_tag_or_algorithm(void **state)
{
	assert_int_equal(
	        ds_match_rc(". IN DS 20327 8 2 "
	                    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	                    root_ksk_2017),
	        ERR_MISMATCH);
	assert_int_equal(
	        ds_match_rc(". IN DS 20326 10 2 "
	                    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	                    root_ksk_2017),
	        ERR_MISMATCH);
}

static void test_val_ds_match_unsupported_digest_type(void **state)
{
	/* Type 3 is GOST R 34.11-94 (RFC 5933), which we do not check. */
	assert_int_equal(
	        ds_match_rc(". IN DS 20326 8 3 "
	                    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	                    root_ksk_2017),
	        ERR_NOTIMP);
	assert_int_equal(ds_match_rc(". IN DS 20326 8 6 E06D44B80B8F1D39", root_ksk_2017),
	                 ERR_NOTIMP);
}

static void test_val_ds_match_owner(void **state)
{
	ldns_rr *ds = ldns_key_rr2ds(signers[4].dnskey, LDNS_SHA256);
	owner_set(ds, "EXAMPLE.Com.");
	assert_int_equal(val_ds_match(ds, signers[4].dnskey), 0);
	owner_set(ds, "other.example.");
	assert_int_equal(val_ds_match(ds, signers[4].dnskey), ERR_MISMATCH);
	ldns_rr_free(ds);
}

static void test_val_ds_match_key_owner_case(void **state)
{
	/* RFC 4034 §5.1.4: the digest covers the canonical (lower-case) owner. */
	ldns_rr *ds = ldns_key_rr2ds(signers[4].dnskey, LDNS_SHA256);
	ldns_rr *key = ldns_rr_clone(signers[4].dnskey);
	owner_set(key, "Example.COM.");
	assert_int_equal(val_ds_match(ds, key), 0);
	ldns_rr_free(key);
	ldns_rr_free(ds);
}

static void test_val_ds_match_malformed(void **state)
{
	ldns_rr *a = rr_new("example.com. IN A 192.0.2.1");
	assert_int_equal(val_ds_match(a, signers[0].dnskey), ERR_FORMERR);
	assert_int_equal(val_ds_match(NULL, signers[0].dnskey), ERR_FORMERR);
	ldns_rr *ds = ldns_key_rr2ds(signers[0].dnskey, LDNS_SHA256);
	assert_int_equal(val_ds_match(ds, a), ERR_FORMERR);
	assert_int_equal(val_ds_match(ds, NULL), ERR_FORMERR);
	ldns_rr_free(ds);
	ldns_rr_free(a);
}

/* ---- signature time ---- */

static ldns_rr *rrsig_times(uint32_t inception, uint32_t expiration)
{
	char text[256];
	snprintf(text, sizeof(text),
	         "www.example.com. IN RRSIG A 8 3 3600 %u %u 9033 example.com. AQID", expiration,
	         inception);
	return rr_new(text);
}

static enum val_sig_time sig_time(uint32_t inception, uint32_t expiration, time_t now,
                                  uint32_t skew)
{
	ldns_rr *sig = rrsig_times(inception, expiration);
	enum val_sig_time t = val_rrsig_time(sig, now, skew);
	ldns_rr_free(sig);
	return t;
}

static void test_val_rrsig_time_inside(void **state)
{
	assert_int_equal(sig_time(1000000, 2000000, 1500000, 0), VAL_SIG_TIME_OK);
	/* RFC 4035 §5.3.1: both ends are inclusive. */
	assert_int_equal(sig_time(1000000, 2000000, 1000000, 0), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(1000000, 2000000, 2000000, 0), VAL_SIG_TIME_OK);
}

static void test_val_rrsig_time_expired(void **state)
{
	assert_int_equal(sig_time(1000000, 2000000, 2000001, 0), VAL_SIG_EXPIRED);
	assert_int_equal(sig_time(1000000, 2000000, 2100000000, 0), VAL_SIG_EXPIRED);
}

static void test_val_rrsig_time_not_yet_valid(void **state)
{
	assert_int_equal(sig_time(1000000, 2000000, 999999, 0), VAL_SIG_NOT_YET_VALID);
	assert_int_equal(sig_time(1000000, 2000000, 10, 0), VAL_SIG_NOT_YET_VALID);
}

static void test_val_rrsig_time_skew(void **state)
{
	assert_int_equal(sig_time(1000000, 2000000, 2000060, 60), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(1000000, 2000000, 2000061, 60), VAL_SIG_EXPIRED);
	assert_int_equal(sig_time(1000000, 2000000, 999940, 60), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(1000000, 2000000, 999939, 60), VAL_SIG_NOT_YET_VALID);
}

static void test_val_rrsig_time_huge_skew(void **state)
{
	/* A skew near 2^32 must widen the window, not wrap it into a narrower one. */
	assert_int_equal(sig_time(1000000, 2000000, 2000000, 0xFFFFFFFFu), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(1000000, 2000000, 1000000, 0xFFFFFFFFu), VAL_SIG_TIME_OK);
}

static void test_val_rrsig_time_wraparound(void **state)
{
	/* RFC 4034 §3.1.5: a window across 2^32 (the year 2106). */
	const uint32_t inception = 0xFFFFFF00u, expiration = 0x00000100u;
	const time_t wrap = (time_t)1 << 32;
	assert_int_equal(sig_time(inception, expiration, wrap - 0x10, 0), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(inception, expiration, wrap + 0x50, 0), VAL_SIG_TIME_OK);
	assert_int_equal(sig_time(inception, expiration, wrap + 0x101, 0), VAL_SIG_EXPIRED);
	assert_int_equal(sig_time(inception, expiration, wrap - 0x101, 0), VAL_SIG_NOT_YET_VALID);
	/* Skew across the wrap too. */
	assert_int_equal(sig_time(inception, expiration, wrap + 0x110, 0x10), VAL_SIG_TIME_OK);
	/* A 2030 signature still checks against a 64-bit "now" of 2030. */
	assert_int_equal(sig_time(1893456000u - 100, 1893456000u + 100, 1893456000, 0),
	                 VAL_SIG_TIME_OK);
}

static void test_val_rrsig_time_malformed(void **state)
{
	ldns_rr *a = rr_new("www.example.com. IN A 192.0.2.1");
	assert_int_equal(val_rrsig_time(a, 1500000, 0), VAL_SIG_EXPIRED);
	assert_int_equal(val_rrsig_time(NULL, 1500000, 0), VAL_SIG_EXPIRED);
	ldns_rr_free(a);
}

/* ---- signatures, every algorithm ---- */

static void test_val_rrsig_verify_valid(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1",
	                              "www.example.com. 300 IN A 192.0.2.2", NULL);
	check_all_algorithms(set, set, 0);
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_agrees_with_ldns(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN TXT \"one\"",
	                              "www.example.com. 300 IN TXT \"two\"", NULL);
	for (size_t i = 0; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], set);
		assert_int_equal(ldns_verify_rrsig(set, sig, signers[i].dnskey), LDNS_STATUS_OK);
		assert_int_equal(val_rrsig_verify(set, sig, signers[i].vkey), 0);
		ldns_rdf_data(rrsig_rdf(sig, 8))[7] ^= 0x20;
		assert_int_not_equal(ldns_verify_rrsig(set, sig, signers[i].dnskey),
		                     LDNS_STATUS_OK);
		assert_int_equal(val_rrsig_verify(set, sig, signers[i].vkey), ERR_MISMATCH);
		ldns_rr_free(sig);
	}
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_flipped_signature_bit(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	for (size_t i = 0; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], set);
		size_t len = ldns_rdf_size(rrsig_rdf(sig, 8));
		size_t bits[] = {0, len * 4 + 3, len * 8 - 1};
		for (size_t b = 0; b < 3; b++) {
			ldns_rr *bad = ldns_rr_clone(sig);
			ldns_rdf_data(rrsig_rdf(bad, 8))[bits[b] / 8] ^=
			        (uint8_t)(1u << (bits[b] % 8));
			if (val_rrsig_verify(set, bad, signers[i].vkey) != ERR_MISMATCH)
				fail_msg("algorithm %u bit %zu accepted", test_algs[i], bits[b]);
			ldns_rr_free(bad);
		}
		ldns_rr_free(sig);
	}
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_changed_rr(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1",
	                              "www.example.com. 300 IN A 192.0.2.2", NULL);
	ldns_rr_list *changed = rrset_new("www.example.com. 300 IN A 192.0.2.1",
	                                  "www.example.com. 300 IN A 192.0.2.3", NULL);
	ldns_rr_list *owner = rrset_new("ww.example.com. 300 IN A 192.0.2.1",
	                                "ww.example.com. 300 IN A 192.0.2.2", NULL);
	ldns_rr_list *fewer = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	check_all_algorithms(set, changed, ERR_MISMATCH);
	check_all_algorithms(set, owner, ERR_MISMATCH);
	check_all_algorithms(set, fewer, ERR_MISMATCH);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(changed);
	ldns_rr_list_deep_free(owner);
	ldns_rr_list_deep_free(fewer);
}

static void test_val_rrsig_verify_order_ignored(void **state)
{
	/* RFC 4034 §6.3: the signer sorted; the answer may come in any order. */
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1",
	                              "www.example.com. 300 IN A 192.0.2.20",
	                              "www.example.com. 300 IN A 192.0.2.3", NULL);
	ldns_rr_list *shuffled = rrset_new("www.example.com. 300 IN A 192.0.2.3",
	                                   "www.example.com. 300 IN A 192.0.2.1",
	                                   "www.example.com. 300 IN A 192.0.2.20", NULL);
	check_all_algorithms(set, shuffled, 0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(shuffled);
}

static void test_val_rrsig_verify_order_by_rdata_octets(void **state)
{
	/*
	 * RFC 4034 §6.3: RDATA compare as left-justified octets: 0105 sorts
	 * before 02 although it is longer, and a prefix (61) before 6162.
	 */
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN TYPE65400 \\# 1 02",
	                              "www.example.com. 300 IN TYPE65400 \\# 2 0105",
	                              "www.example.com. 300 IN TYPE65400 \\# 2 6162",
	                              "www.example.com. 300 IN TYPE65400 \\# 1 61", NULL);
	ldns_rr_list *shuffled = rrset_new("www.example.com. 300 IN TYPE65400 \\# 1 61",
	                                   "www.example.com. 300 IN TYPE65400 \\# 2 6162",
	                                   "www.example.com. 300 IN TYPE65400 \\# 1 02",
	                                   "www.example.com. 300 IN TYPE65400 \\# 2 0105", NULL);
	check_all_algorithms(set, shuffled, 0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(shuffled);
}

static void test_val_rrsig_verify_owner_case_ignored(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *upper = rrset_new("WWW.Example.COM. 300 IN A 192.0.2.1", NULL);
	check_all_algorithms(set, upper, 0);
	check_all_algorithms(upper, set, 0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(upper);
}

static void test_val_rrsig_verify_rdata_name_case_ignored(void **state)
{
	/* RFC 4034 §6.2 item 3: names in MX, NS, SOA ... RDATA are lower-cased. */
	ldns_rr_list *mx = rrset_new("example.com. 300 IN MX 10 mail.example.com.",
	                             "example.com. 300 IN MX 20 Backup.Example.com.", NULL);
	ldns_rr_list *mx_upper = rrset_new("example.com. 300 IN MX 10 MAIL.example.COM.",
	                                   "example.com. 300 IN MX 20 backup.example.com.", NULL);
	ldns_rr_list *soa = rrset_new(
	        "example.com. 300 IN SOA NS1.example.com. Hostmaster.Example.com. 1 2 3 4 5", NULL);
	ldns_rr_list *soa_lower = rrset_new(
	        "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5", NULL);
	check_all_algorithms(mx, mx_upper, 0);
	check_all_algorithms(soa, soa_lower, 0);
	ldns_rr_list_deep_free(mx);
	ldns_rr_list_deep_free(mx_upper);
	ldns_rr_list_deep_free(soa);
	ldns_rr_list_deep_free(soa_lower);
}

static void test_val_rrsig_verify_nsec_name_case_kept(void **state)
{
	/* RFC 6840 §5.1: the next name of an NSEC is signed as it is. */
	ldns_rr_list *set =
	        rrset_new("a.example.com. 300 IN NSEC Zz.example.com. A RRSIG NSEC", NULL);
	ldns_rr_list *lower =
	        rrset_new("a.example.com. 300 IN NSEC zz.example.com. A RRSIG NSEC", NULL);
	check_all_algorithms(set, set, 0);
	check_all_algorithms(set, lower, ERR_MISMATCH);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(lower);
}

static void test_val_rrsig_verify_signer_case_ignored(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	for (size_t i = 0; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], set);
		rrsig_set(sig, 7, LDNS_RDF_TYPE_DNAME, "EXAMPLE.Com.");
		assert_int_equal(val_rrsig_verify(set, sig, signers[i].vkey), 0);
		ldns_rr_free(sig);
	}
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_duplicates_ignored(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1",
	                              "www.example.com. 300 IN A 192.0.2.2", NULL);
	ldns_rr_list *dup = rrset_new("www.example.com. 300 IN A 192.0.2.2",
	                              "www.example.com. 300 IN A 192.0.2.1",
	                              "WWW.example.com. 300 IN A 192.0.2.2", NULL);
	check_all_algorithms(set, dup, 0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(dup);
}

static void test_val_rrsig_verify_ttl_ignored(void **state)
{
	/* RFC 4034 §6.2 item 5: the original TTL is signed, not the current one. */
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *aged = rrset_new("www.example.com. 17 IN A 192.0.2.1", NULL);
	check_all_algorithms(set, aged, 0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(aged);
}

static void test_val_rrsig_verify_wildcard_expansion(void **state)
{
	/* RFC 4035 §5.3.2: labels=2, so the signed owner is *.example.com. */
	ldns_rr_list *wild = rrset_new("*.example.com. 300 IN A 192.0.2.7", NULL);
	ldns_rr_list *expanded = rrset_new("a.b.example.com. 300 IN A 192.0.2.7", NULL);
	ldns_rr_list *one = rrset_new("c.example.com. 300 IN A 192.0.2.7", NULL);
	ldns_rr_list *other = rrset_new("a.b.example.org. 300 IN A 192.0.2.7", NULL);
	for (size_t i = 0; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], wild);
		assert_int_equal(ldns_rdf_data(rrsig_rdf(sig, 2))[0], 2);
		assert_int_equal(val_rrsig_verify(wild, sig, signers[i].vkey), 0);
		assert_int_equal(val_rrsig_verify(expanded, sig, signers[i].vkey), 0);
		assert_int_equal(val_rrsig_verify(one, sig, signers[i].vkey), 0);
		assert_int_equal(val_rrsig_verify(other, sig, signers[i].vkey), ERR_MISMATCH);
		ldns_rr_free(sig);
	}
	ldns_rr_list_deep_free(wild);
	ldns_rr_list_deep_free(expanded);
	ldns_rr_list_deep_free(one);
	ldns_rr_list_deep_free(other);
}

static void test_val_rrsig_verify_labels_above_owner(void **state)
{
	/* RFC 4035 §5.3.1: labels may not exceed the owner's label count. */
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *shorter = rrset_new("example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr *sig = sign(&signers[2], set);
	assert_int_equal(val_rrsig_verify(shorter, sig, signers[2].vkey), ERR_MISMATCH);
	ldns_rr_free(sig);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(shorter);
}

static void test_val_rrsig_verify_wrong_key(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	struct signer other;
	assert_int_equal(signer_init(&other, 13, 256), 0);
	ldns_rr *sig = sign(&signers[4], set);
	assert_int_equal(val_rrsig_verify(set, sig, other.vkey), ERR_MISMATCH);
	/* A key of another algorithm. */
	assert_int_equal(val_rrsig_verify(set, sig, signers[6].vkey), ERR_MISMATCH);
	ldns_rr_free(sig);
	signer_deinit(&other);
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_signature_length(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	/* ECDSA and EdDSA signatures have one length per algorithm. */
	for (size_t i = 4; i < N_ALGS; i++) {
		ldns_rr *sig = sign(&signers[i], set);
		rrsig_set(sig, 8, LDNS_RDF_TYPE_B64, "AQIDBAUGBwg=");
		assert_int_equal(val_rrsig_verify(set, sig, signers[i].vkey), ERR_FORMERR);
		ldns_rr_free(sig);
	}
	/* An RSA signature longer than the modulus cannot be one of this key. */
	ldns_rr *sig = sign(&signers[2], set);
	size_t len = ldns_rdf_size(rrsig_rdf(sig, 8));
	uint8_t *longer = calloc(1, len + 1);
	memcpy(longer + 1, ldns_rdf_data(rrsig_rdf(sig, 8)), len);
	longer[0] = 0x01;
	ldns_rdf_deep_free(
	        ldns_rr_set_rdf(sig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, len + 1, longer), 8));
	assert_int_equal(val_rrsig_verify(set, sig, signers[2].vkey), ERR_MISMATCH);
	free(longer);
	ldns_rr_free(sig);
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_rsa_leading_zero_stripped(void **state)
{
	/* Signatures are numbers: one sent without its leading zero octets still checks. */
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	int found = 0;
	for (int n = 0; n < 4000 && !found; n++) {
		char text[64];
		snprintf(text, sizeof(text), "www.example.com. 300 IN TXT \"%d\"", n);
		ldns_rr_list_deep_free(set);
		set = rrset_new(text, NULL);
		ldns_rr *sig = sign(&signers[2], set);
		const uint8_t *s = ldns_rdf_data(rrsig_rdf(sig, 8));
		size_t len = ldns_rdf_size(rrsig_rdf(sig, 8));
		if (s[0] == 0) {
			found = 1;
			ldns_rdf_deep_free(ldns_rr_set_rdf(
			        sig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, len - 1, s + 1), 8));
			assert_int_equal(val_rrsig_verify(set, sig, signers[2].vkey), 0);
		}
		ldns_rr_free(sig);
	}
	assert_true(found);
	ldns_rr_list_deep_free(set);
}

static void test_val_rrsig_verify_malformed(void **state)
{
	ldns_rr_list *set = rrset_new("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *empty = ldns_rr_list_new();
	ldns_rr *sig = sign(&signers[6], set);
	ldns_rr *a = rr_new("www.example.com. IN A 192.0.2.1");
	assert_int_equal(val_rrsig_verify(empty, sig, signers[6].vkey), ERR_FORMERR);
	assert_int_equal(val_rrsig_verify(set, a, signers[6].vkey), ERR_FORMERR);
	assert_int_equal(val_rrsig_verify(set, NULL, signers[6].vkey), ERR_FORMERR);
	assert_int_equal(val_rrsig_verify(NULL, sig, signers[6].vkey), ERR_INVAL);
	assert_int_equal(val_rrsig_verify(set, sig, NULL), ERR_INVAL);
	/* An RRSIG missing its signature field. */
	ldns_rr *cut = ldns_rr_clone(sig);
	ldns_rdf_deep_free(ldns_rr_pop_rdf(cut));
	assert_int_equal(val_rrsig_verify(set, cut, signers[6].vkey), ERR_FORMERR);
	ldns_rr_free(cut);
	ldns_rr_free(a);
	ldns_rr_free(sig);
	ldns_rr_list_free(empty);
	ldns_rr_list_deep_free(set);
}

/* ---- known answers from the RFCs ---- */

struct known_answer {
	const char *dnskey;
	const char *rr;
	const char *rrsig;
	const char *ds;
	uint16_t tag;
};

static void check_known_answer(const struct known_answer *ka)
{
	ldns_rr *dnskey = rr_new(ka->dnskey);
	ldns_rr_list *set = rrset_new(ka->rr, NULL);
	ldns_rr *sig = rr_new(ka->rrsig);
	struct val_key *k = NULL;
	assert_int_equal(val_key_tag(dnskey), ka->tag);
	assert_int_equal(val_key_new(dnskey, &k), 0);
	assert_int_equal(val_rrsig_verify(set, sig, k), 0);
	ldns_rdf_data(rrsig_rdf(sig, 8))[1] ^= 0x01;
	assert_int_equal(val_rrsig_verify(set, sig, k), ERR_MISMATCH);
	if (ka->ds != NULL)
		assert_int_equal(ds_match_rc(ka->ds, ka->dnskey), 0);
	val_key_free(k);
	ldns_rr_free(sig);
	ldns_rr_list_deep_free(set);
	ldns_rr_free(dnskey);
}

static void test_val_rrsig_verify_rfc5702_rsasha256(void **state)
{
	const struct known_answer ka = {
	        "example.net. 3600 IN DNSKEY 256 3 8 "
	        "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh"
	        "36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
	        "www.example.net. 3600 IN A 192.0.2.91",
	        "www.example.net. 3600 IN RRSIG A 8 3 3600 20300101000000 20000101000000 9033 "
	        "example.net. "
	        "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacF"
	        "YK/lPtPiVYP4bwg==",
	        NULL,
	        9033,
	};
	check_known_answer(&ka);
}

static void test_val_rrsig_verify_rfc5702_rsasha512(void **state)
{
	const struct known_answer ka = {
	        "example.net. 3600 IN DNSKEY 256 3 10 "
	        "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLro"
	        "ROUkN6X0O6pnWnjJQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/"
	        "D7QNPsgVsMu1J2Q8gpMpz"
	        "tNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
	        "www.example.net. 3600 IN A 192.0.2.91",
	        "www.example.net. 3600 IN RRSIG A 10 3 3600 20300101000000 20000101000000 3740 "
	        "example.net. "
	        "tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw"
	        "1ep94PzEWzr0iGYgZBWm/"
	        "zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1"
	        "MBGk0fthPgxdDLw=",
	        NULL,
	        3740,
	};
	check_known_answer(&ka);
}

static void test_val_rrsig_verify_rfc6605_p256(void **state)
{
	const struct known_answer ka = {
	        "example.net. 3600 IN DNSKEY 257 3 13 "
	        "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSq"
	        "QpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	        "www.example.net. 3600 IN A 192.0.2.1",
	        "www.example.net. 3600 IN RRSIG A 13 3 3600 20100909100439 20100812100439 55648 "
	        "example.net. "
	        "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus"
	        "7ZwmwWep666VCw==",
	        "example.net. 3600 IN DS 55648 13 2 "
	        "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17",
	        55648,
	};
	check_known_answer(&ka);
}

static void test_val_rrsig_verify_rfc6605_p384(void **state)
{
	const struct known_answer ka = {
	        "example.net. 3600 IN DNSKEY 257 3 14 "
	        "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egs"
	        "XvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
	        "www.example.net. 3600 IN A 192.0.2.1",
	        "www.example.net. 3600 IN RRSIG A 14 3 3600 20100909102025 20100812102025 10771 "
	        "example.net. "
	        "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74"
	        "hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm",
	        "example.net. 3600 IN DS 10771 14 4 "
	        "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3"
	        "00"
	        "8a946df983d6",
	        10771,
	};
	check_known_answer(&ka);
}

static void test_val_rrsig_verify_rfc8080_ed25519(void **state)
{
	/* RFC 8080 §6.1 as corrected by erratum 4935 (labels 2). */
	const struct known_answer ka = {
	        "example.com. 3600 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
	        "example.com. 3600 IN MX 10 mail.example.com.",
	        "example.com. 3600 IN RRSIG MX 15 2 3600 1440021600 1438207200 3613 example.com. "
	        "oL9krJun7xfBOIWcGHi7mag5/"
	        "hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqN"
	        "Ag==",
	        "example.com. 3600 IN DS 3613 15 2 "
	        "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b",
	        3613,
	};
	check_known_answer(&ka);
}

static void test_val_rrsig_verify_rfc8080_ed448(void **state)
{
	/* RFC 8080 §6.2 as corrected by erratum 4935 (labels 2). */
	const struct known_answer ka = {
	        "example.com. 3600 IN DNSKEY 257 3 16 "
	        "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/O"
	        "iBVHHSfPodx1FYYUcJKm1MDpJtIA",
	        "example.com. 3600 IN MX 10 mail.example.com.",
	        "example.com. 3600 IN RRSIG MX 16 2 3600 1440021600 1438207200 9713 example.com. "
	        "3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0amxWndkmnBZ6SKiwZSAxGILn/"
	        "NB"
	        "tOXft0+Gj7FSvOKxE/07+4RQvE581N3Aj/JtIyaiYVdnYtyMWbSNyGEY2213WKsJlwEA",
	        "example.com. 3600 IN DS 9713 16 2 "
	        "6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7",
	        9713,
	};
	check_known_answer(&ka);
}

/* ---- NSEC3 ---- */

static void nsec3_b32(const char *name, const char *salt_hex, uint16_t iterations, char *out)
{
	uint8_t wire[WIRE_DNAME_MAX], salt[255], hash[20];
	size_t salt_len = strlen(salt_hex) / 2;
	for (size_t i = 0; i < salt_len; i++)
		salt[i] = (uint8_t)ldns_hexdigit_to_int(salt_hex[2 * i]) << 4 |
		          (uint8_t)ldns_hexdigit_to_int(salt_hex[2 * i + 1]);
	assert_int_equal(wire_dname_from_str(name, wire, NULL), 0);
	assert_int_equal(
	        val_nsec3_hash(wire, 1, iterations, salt_len ? salt : NULL, salt_len, hash), 0);
	assert_int_equal(ldns_b32_ntop_extended_hex(hash, 20, out, 33), 32);
	for (char *p = out; *p != '\0'; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + ('a' - 'A') : *p);
}

static void test_val_nsec3_hash_rfc5155_examples(void **state)
{
	/* RFC 5155 Appendix A: salt aabbccdd, 12 additional iterations. */
	static const char *const cases[][2] = {
	        {"example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
	        {"a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
	        {"ai.example", "gjeqe526plbf1g8mklp59enfd789njgi"},
	        {"ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
	        {"*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
	        {"x.y.w.example", "2vptu5timamqttgl4luu9kg21e0aor3s"},
	        {"EXAMPLE", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b32[40];
		nsec3_b32(cases[i][0], "aabbccdd", 12, b32);
		assert_string_equal(b32, cases[i][1]);
	}
}

static void test_val_nsec3_hash_matches_ldns(void **state)
{
	static const uint8_t salt[] = {0x01, 0x02, 0x03};
	const uint16_t iterations[] = {0, 1, 10};
	const size_t salt_lens[] = {0, 3};
	ldns_rdf *name = ldns_dname_new_frm_str("Host.Example.COM.");
	for (size_t i = 0; i < 3; i++) {
		for (size_t s = 0; s < 2; s++) {
			uint8_t hash[20], want[20];
			ldns_rdf *lower = ldns_rdf_clone(name);
			ldns_dname2canonical(lower);
			ldns_rdf *h = ldns_nsec3_hash_name(lower, 1, iterations[i],
			                                   (uint8_t)salt_lens[s], salt);
			/* ldns returns the base32hex label as a name. */
			assert_int_equal(
			        ldns_b32_pton_extended_hex((const char *)ldns_rdf_data(h) + 1,
			                                   ldns_rdf_data(h)[0], want, 20),
			        20);
			assert_int_equal(val_nsec3_hash(ldns_rdf_data(name), 1, iterations[i],
			                                salt_lens[s] ? salt : NULL, salt_lens[s],
			                                hash),
			                 0);
			assert_memory_equal(hash, want, 20);
			ldns_rdf_deep_free(h);
			ldns_rdf_deep_free(lower);
		}
	}
	ldns_rdf_deep_free(name);
}

static void test_val_nsec3_hash_unknown_algorithm(void **state)
{
	static const uint8_t name[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
	uint8_t hash[20];
	assert_int_equal(val_nsec3_hash(name, 2, 0, NULL, 0, hash), ERR_NOTIMP);
	assert_int_equal(val_nsec3_hash(name, 0, 0, NULL, 0, hash), ERR_NOTIMP);
}

static void test_val_nsec3_hash_name_too_long(void **state)
{
	/* Five labels of 63 octets: 321 octets, over the 255 of RFC 1035 §2.3.4. */
	uint8_t name[5 * 64 + 1];
	uint8_t hash[20];
	memset(name, 'a', sizeof(name));
	for (size_t i = 0; i < 5; i++)
		name[i * 64] = 63;
	name[sizeof(name) - 1] = 0;
	assert_int_equal(val_nsec3_hash(name, 1, 0, NULL, 0, hash), ERR_FORMERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_val_algorithm_supported_list),
	        cmocka_unit_test(test_val_digest_supported_list),
	        cmocka_unit_test(test_val_key_new_every_algorithm),
	        cmocka_unit_test(test_val_key_new_root_ksk),
	        cmocka_unit_test(test_val_key_new_unsupported_algorithm),
	        cmocka_unit_test(test_val_key_new_rsa_truncated_exponent_length),
	        cmocka_unit_test(test_val_key_new_rsa_exponent_past_end),
	        cmocka_unit_test(test_val_key_new_rsa_no_modulus),
	        cmocka_unit_test(test_val_key_new_rsa_zero_exponent_length),
	        cmocka_unit_test(test_val_key_new_rsa_modulus_too_large),
	        cmocka_unit_test(test_val_key_new_rsa_exponent_too_large),
	        cmocka_unit_test(test_val_key_new_ecdsa_wrong_point_size),
	        cmocka_unit_test(test_val_key_new_ecdsa_point_not_on_curve),
	        cmocka_unit_test(test_val_key_new_eddsa_wrong_size),
	        cmocka_unit_test(test_val_key_new_bad_protocol),
	        cmocka_unit_test(test_val_key_new_not_a_dnskey),
	        cmocka_unit_test(test_val_key_free_null),
	        cmocka_unit_test(test_val_key_tag_root_ksks),
	        cmocka_unit_test(test_val_key_tag_matches_ldns),
	        cmocka_unit_test(test_val_key_tag_algorithm_1),
	        cmocka_unit_test(test_val_key_tag_malformed),
	        cmocka_unit_test(test_val_ds_match_root_ksks),
	        cmocka_unit_test(test_val_ds_match_digest_types),
	        cmocka_unit_test(test_val_ds_match_wrong_digest),
	        cmocka_unit_test(test_val_ds_match_wrong_tag_or_algorithm),
	        cmocka_unit_test(test_val_ds_match_unsupported_digest_type),
	        cmocka_unit_test(test_val_ds_match_owner),
	        cmocka_unit_test(test_val_ds_match_key_owner_case),
	        cmocka_unit_test(test_val_ds_match_malformed),
	        cmocka_unit_test(test_val_rrsig_time_inside),
	        cmocka_unit_test(test_val_rrsig_time_expired),
	        cmocka_unit_test(test_val_rrsig_time_not_yet_valid),
	        cmocka_unit_test(test_val_rrsig_time_skew),
	        cmocka_unit_test(test_val_rrsig_time_huge_skew),
	        cmocka_unit_test(test_val_rrsig_time_wraparound),
	        cmocka_unit_test(test_val_rrsig_time_malformed),
	        cmocka_unit_test(test_val_rrsig_verify_valid),
	        cmocka_unit_test(test_val_rrsig_verify_agrees_with_ldns),
	        cmocka_unit_test(test_val_rrsig_verify_flipped_signature_bit),
	        cmocka_unit_test(test_val_rrsig_verify_changed_rr),
	        cmocka_unit_test(test_val_rrsig_verify_order_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_order_by_rdata_octets),
	        cmocka_unit_test(test_val_rrsig_verify_owner_case_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_rdata_name_case_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_nsec_name_case_kept),
	        cmocka_unit_test(test_val_rrsig_verify_signer_case_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_duplicates_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_ttl_ignored),
	        cmocka_unit_test(test_val_rrsig_verify_wildcard_expansion),
	        cmocka_unit_test(test_val_rrsig_verify_labels_above_owner),
	        cmocka_unit_test(test_val_rrsig_verify_wrong_key),
	        cmocka_unit_test(test_val_rrsig_verify_signature_length),
	        cmocka_unit_test(test_val_rrsig_verify_rsa_leading_zero_stripped),
	        cmocka_unit_test(test_val_rrsig_verify_malformed),
	        cmocka_unit_test(test_val_rrsig_verify_rfc5702_rsasha256),
	        cmocka_unit_test(test_val_rrsig_verify_rfc5702_rsasha512),
	        cmocka_unit_test(test_val_rrsig_verify_rfc6605_p256),
	        cmocka_unit_test(test_val_rrsig_verify_rfc6605_p384),
	        cmocka_unit_test(test_val_rrsig_verify_rfc8080_ed25519),
	        cmocka_unit_test(test_val_rrsig_verify_rfc8080_ed448),
	        cmocka_unit_test(test_val_nsec3_hash_rfc5155_examples),
	        cmocka_unit_test(test_val_nsec3_hash_matches_ldns),
	        cmocka_unit_test(test_val_nsec3_hash_unknown_algorithm),
	        cmocka_unit_test(test_val_nsec3_hash_name_too_long),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
