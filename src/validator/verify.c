/*
 * verify.c - the only cryptography in Mangrove's resolver: DNSKEY parsing,
 * RRSIG verification, DS digests and NSEC3 hashing, with OpenSSL 3.
 *
 * Keys are parsed once into an EVP_PKEY (the key cache keeps them); a
 * verification then costs one EVP_MD_CTX and the signed data. Nothing here
 * decides trust: callers check signer, type covered, labels, time, key tag
 * and flags, and count the work against the budget.
 */
#include "config.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

/* RFC 3110 §2, RFC 5702 §2: RSA moduli are at most 4096 bits. */
#define RSA_MAX_MODULUS_BITS 4096
#define RSA_MAX_BYTES        (RSA_MAX_MODULUS_BITS / 8)
/* Real exponents are 3, 65537 or 2^32+1; a huge one only makes checks slow. */
#define RSA_MAX_EXPONENT_BITS 64
/* SEQUENCE { INTEGER r, INTEGER s } for P-384: 2 + 2 * (2 + 1 + 48). */
#define ECDSA_DER_MAX 104
/* RRSIG RDATA before the signer's name (RFC 4034 §3.1). */
#define RRSIG_FIXED_LEN 18
/* Type, class, TTL and RDLENGTH of an RR in wire form. */
#define RR_FIXED_LEN 10

enum key_kind {
	KIND_RSA,
	KIND_ECDSA,
	KIND_EDDSA,
};

/* One row per DNSKEY algorithm we validate (RFC 8624 §3.1). */
struct alg_info {
	uint8_t algorithm;
	enum key_kind kind;
	const EVP_MD *(*md)(void); /* NULL: EdDSA hashes internally */
	const char *group;         /* ECDSA curve */
	int pkey_type;             /* EdDSA key type */
	size_t key_len;            /* fixed public key length, 0 for RSA */
	size_t sig_len;            /* fixed signature length, 0 for RSA */
};

static const struct alg_info algorithms[] = {
        {5, KIND_RSA, EVP_sha1, NULL, 0, 0, 0},                 /* RFC 3110 */
        {7, KIND_RSA, EVP_sha1, NULL, 0, 0, 0},                 /* RFC 5155 §2 */
        {8, KIND_RSA, EVP_sha256, NULL, 0, 0, 0},               /* RFC 5702 */
        {10, KIND_RSA, EVP_sha512, NULL, 0, 0, 0},              /* RFC 5702 */
        {13, KIND_ECDSA, EVP_sha256, "P-256", 0, 64, 64},       /* RFC 6605 */
        {14, KIND_ECDSA, EVP_sha384, "P-384", 0, 96, 96},       /* RFC 6605 */
        {15, KIND_EDDSA, NULL, NULL, EVP_PKEY_ED25519, 32, 64}, /* RFC 8080 */
        {16, KIND_EDDSA, NULL, NULL, EVP_PKEY_ED448, 57, 114},  /* RFC 8080 */
};

struct val_key {
	EVP_PKEY *pkey;
	const struct alg_info *alg;
	size_t sig_len; /* RSA: the modulus length in bytes */
	uint16_t tag;
	uint16_t flags;
};

/* The fields of a DNSKEY record, pointing into its ldns rdfs. */
struct dnskey_view {
	uint16_t flags;
	uint8_t protocol;
	uint8_t algorithm;
	const uint8_t *key;
	size_t key_len;
};

/* The fields of an RRSIG record, pointing into its ldns rdfs. */
struct rrsig_view {
	const ldns_rr *rr;
	uint8_t algorithm;
	uint8_t labels;
	uint32_t original_ttl;
	uint32_t expiration;
	uint32_t inception;
	const uint8_t *signer;
	size_t signer_len;
	const uint8_t *sig;
	size_t sig_len;
};

/* One RR of the set in canonical wire form (RFC 4034 §6.2). */
struct canon_rr {
	const uint8_t *wire;
	size_t len;
	size_t rdata_off;
};

static const struct alg_info *alg_find(uint8_t algorithm)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (algorithms[i].algorithm == algorithm)
			return &algorithms[i];
	return NULL;
}

bool val_algorithm_supported(uint8_t algorithm)
{
	return alg_find(algorithm) != NULL;
}

/* RFC 4509 (SHA-256), RFC 6605 §2 (SHA-384), RFC 4034 §5.1.4 (SHA-1). */
static const EVP_MD *ds_digest_md(uint8_t digest_type)
{
	switch (digest_type) {
	case 1:
		return EVP_sha1();
	case 2:
		return EVP_sha256();
	case 4:
		return EVP_sha384();
	default:
		return NULL;
	}
}

bool val_digest_supported(uint8_t digest_type)
{
	return ds_digest_md(digest_type) != NULL;
}

/* ---- records ---- */

static bool rdf_is(const ldns_rr *rr, size_t i, size_t size)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
	return rdf != NULL && ldns_rdf_size(rdf) == size;
}

/* Rdf i of rr when present and not empty. */
static const ldns_rdf *rdf_nonempty(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
	return rdf != NULL && ldns_rdf_size(rdf) > 0 ? rdf : NULL;
}

/*
 * Number of labels of a wire name of exactly size bytes (root not counted),
 * or -1 when it is not one well-formed uncompressed name.
 */
static int dname_labels(const uint8_t *name, size_t size)
{
	size_t pos = 0;
	int labels = 0;
	if (size == 0 || size > WIRE_DNAME_MAX)
		return -1;
	while (pos < size && name[pos] != 0) {
		if (name[pos] > 63)
			return -1;
		pos += 1 + (size_t)name[pos];
		labels++;
	}
	return pos + 1 == size ? labels : -1;
}

/* US-ASCII letters only (RFC 4034 §6.2); label lengths stay below 'A'. */
static void lower_bytes(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (uint8_t)(p[i] + ('a' - 'A'));
}

static const uint8_t *rdf_name(const ldns_rdf *rdf, size_t *len)
{
	if (rdf == NULL || dname_labels(ldns_rdf_data(rdf), ldns_rdf_size(rdf)) < 0)
		return NULL;
	*len = ldns_rdf_size(rdf);
	return ldns_rdf_data(rdf);
}

static int dnskey_view(const ldns_rr *rr, struct dnskey_view *v)
{
	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY ||
	    ldns_rr_rd_count(rr) != 4 || !rdf_is(rr, 0, 2) || !rdf_is(rr, 1, 1) ||
	    !rdf_is(rr, 2, 1) || rdf_nonempty(rr, 3) == NULL)
		return ERR_FORMERR;
	v->flags = wire_read_u16(ldns_rdf_data(ldns_rr_rdf(rr, 0)));
	v->protocol = ldns_rdf_data(ldns_rr_rdf(rr, 1))[0];
	v->algorithm = ldns_rdf_data(ldns_rr_rdf(rr, 2))[0];
	v->key = ldns_rdf_data(ldns_rr_rdf(rr, 3));
	v->key_len = ldns_rdf_size(ldns_rr_rdf(rr, 3));
	return 0;
}

static int rrsig_view(const ldns_rr *rr, struct rrsig_view *v)
{
	static const size_t sizes[7] = {2, 1, 1, 4, 4, 4, 2};
	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) != 9)
		return ERR_FORMERR;
	for (size_t i = 0; i < 7; i++)
		if (!rdf_is(rr, i, sizes[i]))
			return ERR_FORMERR;
	v->rr = rr;
	v->algorithm = ldns_rdf_data(ldns_rr_rdf(rr, 1))[0];
	v->labels = ldns_rdf_data(ldns_rr_rdf(rr, 2))[0];
	v->original_ttl = wire_read_u32(ldns_rdf_data(ldns_rr_rdf(rr, 3)));
	v->expiration = wire_read_u32(ldns_rdf_data(ldns_rr_rdf(rr, 4)));
	v->inception = wire_read_u32(ldns_rdf_data(ldns_rr_rdf(rr, 5)));
	v->signer = rdf_name(ldns_rr_rdf(rr, 7), &v->signer_len);
	const ldns_rdf *sig = rdf_nonempty(rr, 8);
	if (v->signer == NULL || sig == NULL)
		return ERR_FORMERR;
	v->sig = ldns_rdf_data(sig);
	v->sig_len = ldns_rdf_size(sig);
	return 0;
}

/* ---- key tags and DS ---- */

uint16_t val_key_tag(const ldns_rr *dnskey)
{
	struct dnskey_view v;
	if (dnskey_view(dnskey, &v) != 0)
		return 0;
	/*
	 * RFC 4034 Appendix B.1: algorithm 1 (RSA/MD5, obsolete) uses the most
	 * significant 16 of the least significant 24 bits of the modulus, which
	 * ends the RDATA (as BIND and ldns read it).
	 */
	if (v.algorithm == 1)
		return v.key_len < 3 ? 0 : wire_read_u16(v.key + v.key_len - 3);
	/* RFC 4034 Appendix B: a ones'-complement-like sum over the RDATA. */
	uint32_t ac = ((uint32_t)v.flags) + ((uint32_t)v.protocol << 8) + v.algorithm;
	for (size_t i = 0; i < v.key_len; i++)
		ac += (i & 1) ? v.key[i] : (uint32_t)v.key[i] << 8;
	ac += (ac >> 16) & 0xFFFF;
	return (uint16_t)(ac & 0xFFFF);
}

/* The owner of rr lower-cased into out; its length, or 0 when malformed. */
static size_t owner_canonical(const ldns_rr *rr, uint8_t out[WIRE_DNAME_MAX])
{
	size_t len = 0;
	const uint8_t *name = rdf_name(ldns_rr_owner(rr), &len);
	if (name == NULL)
		return 0;
	memcpy(out, name, len);
	lower_bytes(out, len);
	return len;
}

/* RFC 4034 §5.1.4: digest = hash(canonical owner name | DNSKEY RDATA). */
static int ds_digest(const EVP_MD *md, const uint8_t *owner, size_t owner_len,
                     const struct dnskey_view *k, uint8_t *out, unsigned *out_len)
{
	uint8_t head[4] = {(uint8_t)(k->flags >> 8), (uint8_t)k->flags, k->protocol, k->algorithm};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return ERR_NOMEM;
	int ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	         EVP_DigestUpdate(ctx, owner, owner_len) == 1 &&
	         EVP_DigestUpdate(ctx, head, sizeof(head)) == 1 &&
	         EVP_DigestUpdate(ctx, k->key, k->key_len) == 1 &&
	         EVP_DigestFinal_ex(ctx, out, out_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : ERR_NOMEM;
}

int val_ds_match(const ldns_rr *ds, const ldns_rr *dnskey)
{
	struct dnskey_view k;
	if (ds == NULL || ldns_rr_get_type(ds) != LDNS_RR_TYPE_DS || ldns_rr_rd_count(ds) != 4 ||
	    !rdf_is(ds, 0, 2) || !rdf_is(ds, 1, 1) || !rdf_is(ds, 2, 1) ||
	    dnskey_view(dnskey, &k) != 0)
		return ERR_FORMERR;
	const EVP_MD *md = ds_digest_md(ldns_rdf_data(ldns_rr_rdf(ds, 2))[0]);
	if (md == NULL)
		return ERR_NOTIMP;
	if (wire_read_u16(ldns_rdf_data(ldns_rr_rdf(ds, 0))) != val_key_tag(dnskey) ||
	    ldns_rdf_data(ldns_rr_rdf(ds, 1))[0] != k.algorithm)
		return ERR_MISMATCH;
	/* The DS must sit at the key's name: the digest covers the key's owner only. */
	uint8_t owner[WIRE_DNAME_MAX], ds_owner[WIRE_DNAME_MAX];
	size_t owner_len = owner_canonical(dnskey, owner);
	size_t ds_owner_len = owner_canonical(ds, ds_owner);
	if (owner_len == 0 || ds_owner_len == 0)
		return ERR_FORMERR;
	if (owner_len != ds_owner_len || memcmp(owner, ds_owner, owner_len) != 0)
		return ERR_MISMATCH;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	int rc = ds_digest(md, owner, owner_len, &k, digest, &digest_len);
	if (rc != 0)
		return rc;
	const ldns_rdf *want = ldns_rr_rdf(ds, 3);
	if (want == NULL || ldns_rdf_size(want) != digest_len ||
	    memcmp(ldns_rdf_data(want), digest, digest_len) != 0)
		return ERR_MISMATCH;
	return 0;
}

/* ---- keys ---- */

static int pkey_fromdata(const char *type, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL)
		return ERR_NOMEM;
	int rc = ERR_FORMERR;
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* n and e as OpenSSL parameters; ERR_FORMERR outside the limits above. */
static int rsa_pkey_build(BIGNUM *n, BIGNUM *e, EVP_PKEY **out)
{
	if (BN_is_zero(n) || BN_num_bits(n) > RSA_MAX_MODULUS_BITS || BN_is_zero(e) ||
	    BN_num_bits(e) > RSA_MAX_EXPONENT_BITS)
		return ERR_FORMERR;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (bld == NULL)
		return ERR_NOMEM;
	int rc = ERR_NOMEM;
	OSSL_PARAM *params = NULL;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
		rc = pkey_fromdata("RSA", params, out);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/*
 * RFC 3110 §2: one octet of exponent length, or a zero octet and two octets
 * of length; then the exponent; the rest is the modulus.
 */
static int rsa_pkey(const uint8_t *key, size_t len, EVP_PKEY **out)
{
	size_t pos = 1;
	size_t exp_len = key[0];
	if (exp_len == 0) {
		if (len < 3)
			return ERR_FORMERR;
		exp_len = wire_read_u16(key + 1);
		pos = 3;
	}
	if (exp_len == 0 || len - pos <= exp_len)
		return ERR_FORMERR;
	BIGNUM *e = BN_bin2bn(key + pos, (int)exp_len, NULL);
	BIGNUM *n = BN_bin2bn(key + pos + exp_len, (int)(len - pos - exp_len), NULL);
	int rc = (e == NULL || n == NULL) ? ERR_NOMEM : rsa_pkey_build(n, e, out);
	BN_free(e);
	BN_free(n);
	return rc;
}

/* RFC 6605 §4: the key is x | y; OpenSSL takes the uncompressed point 0x04 | x | y. */
static int ecdsa_pkey(const struct alg_info *alg, const uint8_t *key, size_t len, EVP_PKEY **out)
{
	uint8_t point[1 + 96];
	if (len != alg->key_len || len + 1 > sizeof(point))
		return ERR_FORMERR;
	point[0] = 0x04;
	memcpy(point + 1, key, len);
	OSSL_PARAM params[] = {
	        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)alg->group, 0),
	        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1),
	        OSSL_PARAM_construct_end(),
	};
	return pkey_fromdata("EC", params, out);
}

/* RFC 8080 §3: the key is the raw public key. */
static int eddsa_pkey(const struct alg_info *alg, const uint8_t *key, size_t len, EVP_PKEY **out)
{
	if (len != alg->key_len)
		return ERR_FORMERR;
	*out = EVP_PKEY_new_raw_public_key(alg->pkey_type, NULL, key, len);
	return *out == NULL ? ERR_FORMERR : 0;
}

static int pkey_parse(const struct alg_info *alg, const struct dnskey_view *v, EVP_PKEY **out)
{
	switch (alg->kind) {
	case KIND_RSA:
		return rsa_pkey(v->key, v->key_len, out);
	case KIND_ECDSA:
		return ecdsa_pkey(alg, v->key, v->key_len, out);
	case KIND_EDDSA:
		return eddsa_pkey(alg, v->key, v->key_len, out);
	}
	return ERR_NOTIMP;
}

int val_key_new(const ldns_rr *dnskey, struct val_key **out)
{
	struct dnskey_view v;
	if (out == NULL)
		return ERR_INVAL;
	*out = NULL;
	int rc = dnskey_view(dnskey, &v);
	if (rc != 0)
		return rc;
	const struct alg_info *alg = alg_find(v.algorithm);
	if (alg == NULL)
		return ERR_NOTIMP;
	/* RFC 4034 §2.1.2: a protocol other than 3 makes the key invalid. */
	if (v.protocol != 3)
		return ERR_FORMERR;
	EVP_PKEY *pkey = NULL;
	rc = pkey_parse(alg, &v, &pkey);
	if (rc != 0) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return rc;
	}
	struct val_key *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return ERR_NOMEM;
	}
	k->pkey = pkey;
	k->alg = alg;
	k->sig_len = alg->kind == KIND_RSA ? (size_t)EVP_PKEY_get_size(pkey) : alg->sig_len;
	k->tag = val_key_tag(dnskey);
	k->flags = v.flags;
	*out = k;
	return 0;
}

void val_key_free(struct val_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

uint16_t val_key_get_tag(const struct val_key *k)
{
	return k->tag;
}

uint8_t val_key_get_algorithm(const struct val_key *k)
{
	return k->alg->algorithm;
}

uint16_t val_key_get_flags(const struct val_key *k)
{
	return k->flags;
}

/* ---- signature time ---- */

/* RFC 1982 §3.2: a is greater than b in 32-bit serial number arithmetic. */
static bool serial_gt(uint32_t a, uint32_t b)
{
	return (a < b && b - a > 0x80000000u) || (a > b && a - b < 0x80000000u);
}

enum val_sig_time val_rrsig_time(const ldns_rr *rrsig, time_t now, uint32_t skew)
{
	struct rrsig_view v;
	if (rrsig_view(rrsig, &v) != 0)
		return VAL_SIG_EXPIRED;
	/* Keep the widened window far from the 2^31 ambiguity of serial numbers. */
	if (skew > 0x40000000u)
		skew = 0x40000000u;
	/* RFC 4034 §3.1.5: the times are serial numbers modulo 2^32. */
	uint32_t t = (uint32_t)now;
	if (serial_gt(t, v.expiration + skew))
		return VAL_SIG_EXPIRED;
	if (serial_gt(v.inception - skew, t))
		return VAL_SIG_NOT_YET_VALID;
	return VAL_SIG_TIME_OK;
}

/* ---- signed data (RFC 4034 §3.1.8.1) ---- */

/* RFC 4034 §6.2 item 3 with RFC 6840 §5.1: names in these RDATA are lower-cased; not NSEC. */
static bool type_has_canonical_names(ldns_rr_type type)
{
	switch (type) {
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_MD:
	case LDNS_RR_TYPE_MF:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_MB:
	case LDNS_RR_TYPE_MG:
	case LDNS_RR_TYPE_MR:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MINFO:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_RP:
	case LDNS_RR_TYPE_AFSDB:
	case LDNS_RR_TYPE_RT:
	case LDNS_RR_TYPE_SIG:
	case LDNS_RR_TYPE_PX:
	case LDNS_RR_TYPE_NXT:
	case LDNS_RR_TYPE_NAPTR:
	case LDNS_RR_TYPE_KX:
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_DNAME:
	case LDNS_RR_TYPE_A6:
	case LDNS_RR_TYPE_RRSIG:
		return true;
	default:
		return false;
	}
}

/*
 * The owner as signed: lower-cased, and for a wildcard expansion (RRSIG
 * labels below the owner's count) "*." and the rightmost `labels` labels
 * (RFC 4035 §5.3.2). Returns the length, 0 when malformed (ERR_FORMERR) or
 * when labels exceeds the owner's count (RFC 4035 §5.3.1: cannot match).
 */
static size_t owner_signed(const ldns_rr *rr, unsigned labels, uint8_t out[WIRE_DNAME_MAX], int *rc)
{
	size_t len = 0;
	const uint8_t *name = rdf_name(ldns_rr_owner(rr), &len);
	int count = name == NULL ? -1 : dname_labels(name, len);
	if (count < 0 || labels > (unsigned)count) {
		*rc = count < 0 ? ERR_FORMERR : ERR_MISMATCH;
		return 0;
	}
	size_t pos = 0;
	for (unsigned skip = (unsigned)count - labels; skip > 0; skip--)
		pos += 1 + (size_t)name[pos];
	size_t n = 0;
	if (pos > 0) {
		out[n++] = 1;
		out[n++] = '*';
	}
	memcpy(out + n, name + pos, len - pos);
	n += len - pos;
	lower_bytes(out, n);
	return n;
}

/* The RDATA length of rr; over 0xFFFF when too long or an rdf is missing. */
static size_t rdata_len(const ldns_rr *rr)
{
	size_t len = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr) && len <= 0xFFFF; i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		len += rdf == NULL ? 0x10000 : ldns_rdf_size(rdf);
	}
	return len;
}

/* Write rr in canonical form (RFC 4034 §6.2) at out, room for `room` bytes. */
static int canon_rr_write(const ldns_rr *rr, const struct rrsig_view *sig, uint8_t *out,
                          size_t room, struct canon_rr *c)
{
	int rc = 0;
	size_t n = owner_signed(rr, sig->labels, out, &rc);
	size_t rdlen = rdata_len(rr);
	if (n == 0)
		return rc;
	if (rdlen > 0xFFFF || n + RR_FIXED_LEN + rdlen > room)
		return ERR_FORMERR;
	wire_write_u16(out + n, (uint16_t)ldns_rr_get_type(rr));
	wire_write_u16(out + n + 2, (uint16_t)ldns_rr_get_class(rr));
	wire_write_u32(out + n + 4, sig->original_ttl); /* RFC 4034 §6.2 item 5 */
	wire_write_u16(out + n + 8, (uint16_t)rdlen);
	c->wire = out;
	c->rdata_off = n + RR_FIXED_LEN;
	n += RR_FIXED_LEN;
	bool lower = type_has_canonical_names(ldns_rr_get_type(rr));
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		memcpy(out + n, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
		if (lower && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
			lower_bytes(out + n, ldns_rdf_size(rdf));
		n += ldns_rdf_size(rdf);
	}
	c->len = n;
	return 0;
}

/* RFC 4034 §6.3: by RDATA as left-justified octets; then whole RRs, for dedupe. */
static int canon_rr_cmp(const void *pa, const void *pb)
{
	const struct canon_rr *a = pa, *b = pb;
	size_t alen = a->len - a->rdata_off, blen = b->len - b->rdata_off;
	int c = memcmp(a->wire + a->rdata_off, b->wire + b->rdata_off, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->wire, b->wire, a->len);
}

/* The RRSIG RDATA without its signature, signer's name lower-cased. */
static size_t rrsig_prefix_write(const struct rrsig_view *sig, uint8_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < 7; i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(sig->rr, i);
		memcpy(out + n, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
		n += ldns_rdf_size(rdf);
	}
	memcpy(out + n, sig->signer, sig->signer_len);
	lower_bytes(out + n, sig->signer_len);
	return n + sig->signer_len;
}

/* Room for the RRs of the set in canonical form; 0 when there are none. */
static size_t rrset_room(const ldns_rr_list *rrset)
{
	size_t room = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		room += WIRE_DNAME_MAX + RR_FIXED_LEN + rdata_len(ldns_rr_list_rr(rrset, i));
	return room;
}

/*
 * Build the signed data of RFC 4034 §3.1.8.1 into a new buffer (caller
 * frees): RRSIG RDATA | RR(1) | RR(2) ..., sorted, duplicates removed.
 */
static int signed_data_build(const ldns_rr_list *rrset, const struct rrsig_view *sig, uint8_t **out,
                             size_t *out_len)
{
	size_t count = ldns_rr_list_rr_count(rrset), room = rrset_room(rrset);
	if (count == 0)
		return ERR_FORMERR;
	struct canon_rr *rrs = calloc(count, sizeof(*rrs));
	uint8_t *scratch = malloc(room);
	uint8_t *data = malloc(RRSIG_FIXED_LEN + WIRE_DNAME_MAX + room);
	int rc = (rrs == NULL || scratch == NULL || data == NULL) ? ERR_NOMEM : 0;
	for (size_t i = 0, used = 0; i < count && rc == 0; i++) {
		rc = canon_rr_write(ldns_rr_list_rr(rrset, i), sig, scratch + used, room - used,
		                    &rrs[i]);
		used += rrs[i].len;
	}
	if (rc == 0) {
		qsort(rrs, count, sizeof(*rrs), canon_rr_cmp);
		size_t n = rrsig_prefix_write(sig, data);
		for (size_t i = 0; i < count; i++) {
			/* RFC 4034 §6.3: duplicate RRs are dropped. */
			if (i > 0 && canon_rr_cmp(&rrs[i - 1], &rrs[i]) == 0)
				continue;
			memcpy(data + n, rrs[i].wire, rrs[i].len);
			n += rrs[i].len;
		}
		*out = data;
		*out_len = n;
		data = NULL;
	}
	free(rrs);
	free(scratch);
	free(data);
	return rc;
}

/* ---- signatures ---- */

/* DER INTEGER (X.690 §8.3) of an unsigned big-endian number; its length. */
static size_t der_integer(uint8_t *out, const uint8_t *num, size_t len)
{
	while (len > 1 && num[0] == 0) {
		num++;
		len--;
	}
	size_t pad = (num[0] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(len + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, num, len);
	return 2 + pad + len;
}

/* RFC 6605 §4: the signature is r | s; OpenSSL wants SEQUENCE { r, s } in DER. */
static size_t ecdsa_sig_der(uint8_t out[ECDSA_DER_MAX], const uint8_t *sig, size_t len)
{
	size_t half = len / 2;
	size_t n = 2;
	n += der_integer(out + n, sig, half);
	n += der_integer(out + n, sig + half, half);
	out[0] = 0x30;
	out[1] = (uint8_t)(n - 2);
	return n;
}

static int sig_check(const struct val_key *k, const uint8_t *data, size_t data_len,
                     const uint8_t *sig, size_t sig_len)
{
	uint8_t buf[RSA_MAX_BYTES > ECDSA_DER_MAX ? RSA_MAX_BYTES : ECDSA_DER_MAX];
	if (k->alg->kind == KIND_RSA) {
		/* A shorter signature is the same number without its leading zeros. */
		if (sig_len > k->sig_len || k->sig_len > sizeof(buf))
			return ERR_MISMATCH;
		memset(buf, 0, k->sig_len - sig_len);
		memcpy(buf + k->sig_len - sig_len, sig, sig_len);
		sig = buf;
		sig_len = k->sig_len;
	} else if (sig_len != k->sig_len) {
		return ERR_FORMERR;
	} else if (k->alg->kind == KIND_ECDSA) {
		sig_len = ecdsa_sig_der(buf, sig, sig_len);
		sig = buf;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return ERR_NOMEM;
	const EVP_MD *md = k->alg->md == NULL ? NULL : k->alg->md();
	int rc = ERR_MISMATCH;
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, data, data_len) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	if (rc != 0)
		ERR_clear_error();
	return rc;
}

int val_rrsig_verify(const ldns_rr_list *rrset, const ldns_rr *rrsig, const struct val_key *key)
{
	struct rrsig_view sig;
	if (rrset == NULL || key == NULL)
		return ERR_INVAL;
	if (rrsig_view(rrsig, &sig) != 0)
		return ERR_FORMERR;
	if (sig.algorithm != key->alg->algorithm)
		return ERR_MISMATCH;
	uint8_t *data = NULL;
	size_t data_len = 0;
	int rc = signed_data_build(rrset, &sig, &data, &data_len);
	if (rc == 0)
		rc = sig_check(key, data, data_len, sig.sig, sig.sig_len);
	free(data);
	return rc;
}

/* ---- NSEC3 ---- */

int val_nsec3_hash(const uint8_t *name, uint8_t algorithm, uint16_t iterations, const uint8_t *salt,
                   size_t salt_len, uint8_t out[20])
{
	/* RFC 5155 §5: IH(salt, x, 0) = H(x || salt), IH(salt, x, k) = H(IH(k-1) || salt). */
	if (algorithm != 1)
		return ERR_NOTIMP;
	uint8_t lower[WIRE_DNAME_MAX];
	size_t len = wire_dname_len(name);
	if (len > WIRE_DNAME_MAX)
		return ERR_FORMERR;
	memcpy(lower, name, len);
	wire_dname_to_lower(lower);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return ERR_NOMEM;
	const uint8_t *in = lower;
	size_t in_len = len;
	int rc = 0;
	for (unsigned i = 0; i <= iterations && rc == 0; i++) {
		unsigned int out_len = 0;
		/* Reuse the digest fetched in round 0: a fetch per round costs 4x. */
		if (EVP_DigestInit_ex(ctx, i == 0 ? EVP_sha1() : NULL, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, in, in_len) != 1 ||
		    EVP_DigestUpdate(ctx, salt, salt_len) != 1 ||
		    EVP_DigestFinal_ex(ctx, out, &out_len) != 1 || out_len != 20)
			rc = ERR_NOMEM;
		in = out;
		in_len = 20;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}
