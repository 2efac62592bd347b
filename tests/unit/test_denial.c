/*
 * test_denial.c - unit tests for the validator's denial of existence
 * (src/validator/nsec.c, nsec3.c): the example responses of RFC 4035
 * Appendix B (NSEC) and RFC 5155 Appendix B (NSEC3), whose records are
 * typed in below, and the limits and malformed input around them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "mangrove/validator.h"
#include "mangrove/wire.h"
#include "src/validator/val_internal.h"

/* ---- helpers ---- */

#define MAX_ITER 150 /* the default limit used by most tests, above the RFC's 12 */

/* Parse NULL-terminated zone-file lines; optout 0 rewrites NSEC3 flags 1 to 0. */
static ldns_rr_list *rr_list(const char *const *lines, int optout)
{
	ldns_rr_list *l = ldns_rr_list_new();
	assert_non_null(l);
	for (; *lines != NULL; lines++) {
		char buf[512];
		assert_true(strlen(*lines) < sizeof(buf));
		strcpy(buf, *lines);
		char *flags = strstr(buf, "NSEC3 1 1 ");
		if (optout == 0 && flags != NULL)
			flags[8] = '0';
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, buf, 3600, NULL, NULL), LDNS_STATUS_OK);
		assert_true(ldns_rr_list_push_rr(l, rr));
	}
	return l;
}

static void name(const char *text, uint8_t out[WIRE_DNAME_MAX])
{
	assert_int_equal(wire_dname_from_str(text, out, NULL), 0);
}

/* A question against a record list, with its own names and budget. */
struct question {
	uint8_t zone[WIRE_DNAME_MAX];
	uint8_t qname[WIRE_DNAME_MAX];
	struct val_budget budget;
	struct val_denial d;
};

static void question_init(struct question *q, const ldns_rr_list *l, const char *zone,
                          const char *qname, uint16_t qtype)
{
	memset(q, 0, sizeof(*q));
	name(zone, q->zone);
	name(qname, q->qname);
	q->budget.nsec3_hashes = 100;
	q->d.records = l;
	q->d.zone = q->zone;
	q->d.qname = q->qname;
	q->d.qtype = qtype;
	q->d.nsec3_max_iterations = MAX_ITER;
	q->d.budget = &q->budget;
}

/* val_denial_prove() for records as text. */
static enum val_proof prove(const char *const *lines, int optout, const char *zone,
                            const char *qname, uint16_t qtype)
{
	ldns_rr_list *l = rr_list(lines, optout);
	struct question q;
	question_init(&q, l, zone, qname, qtype);
	enum val_proof p = val_denial_prove(&q.d);
	ldns_rr_list_deep_free(l);
	return p;
}

/* val_denial_wildcard() for records as text. */
static enum val_proof wildcard(const char *const *lines, int optout, const char *zone,
                               const char *qname, unsigned labels)
{
	ldns_rr_list *l = rr_list(lines, optout);
	struct question q;
	question_init(&q, l, zone, qname, WIRE_TYPE_MX);
	enum val_proof p = val_denial_wildcard(&q.d, labels);
	ldns_rr_list_deep_free(l);
	return p;
}

/* ---- RFC 4035 Appendix A: the NSEC records of the example zone ---- */

#define NSEC_APEX "example. NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY"
#define NSEC_A    "a.example. NSEC ai.example. NS DS RRSIG NSEC"
#define NSEC_B    "b.example. NSEC ns1.example. NS RRSIG NSEC"
#define NSEC_NS1  "ns1.example. NSEC ns2.example. A RRSIG NSEC"
#define NSEC_WILD "*.w.example. NSEC x.w.example. MX RRSIG NSEC"
#define NSEC_XW   "x.w.example. NSEC x.y.w.example. MX RRSIG NSEC"
#define NSEC_XYW  "x.y.w.example. NSEC xx.example. MX RRSIG NSEC"
#define NSEC_XX   "xx.example. NSEC example. A HINFO AAAA RRSIG NSEC"

/* B.2: ml.example MX, name error. */
static const char *const b2_name_error[] = {NSEC_B, NSEC_APEX, NULL};

static void test_val_denial_prove_nsec_name_error(void **state)
{
	(void)state;
	assert_int_equal(prove(b2_name_error, 1, "example", "ml.example", WIRE_TYPE_MX),
	                 VAL_PROOF_NXDOMAIN);
}

static void test_val_denial_prove_nsec_name_error_needs_wildcard_proof(void **state)
{
	(void)state;
	static const char *const only_name[] = {NSEC_B, NULL};
	assert_int_equal(prove(only_name, 1, "example", "ml.example", WIRE_TYPE_MX),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_name_error_last_wraps(void **state)
{
	(void)state;
	/* z.example sorts after xx.example, the last NSEC, which points back to the apex. */
	static const char *const last[] = {NSEC_XX, NSEC_APEX, NULL};
	assert_int_equal(prove(last, 1, "example", "z.example", WIRE_TYPE_A), VAL_PROOF_NXDOMAIN);
}

static void test_val_denial_prove_nsec_name_error_one_record(void **state)
{
	(void)state;
	/* ns1.example -> ns2.example covers both a.ns1.example and *.ns1.example. */
	static const char *const one[] = {NSEC_NS1, NULL};
	assert_int_equal(prove(one, 1, "example", "a.ns1.example", WIRE_TYPE_A),
	                 VAL_PROOF_NXDOMAIN);
}

/* B.3: ns1.example MX, no data. */
static void test_val_denial_prove_nsec_no_data(void **state)
{
	(void)state;
	static const char *const b3[] = {NSEC_NS1, NULL};
	assert_int_equal(prove(b3, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NODATA);
}

static void test_val_denial_prove_nsec_no_data_type_present(void **state)
{
	(void)state;
	static const char *const b3[] = {NSEC_NS1, NULL};
	assert_int_equal(prove(b3, 1, "example", "ns1.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_no_data_cname_present(void **state)
{
	(void)state;
	/* RFC 6840 §4.3: a CNAME would have been the answer. */
	static const char *const cname[] = {"ns1.example. NSEC ns2.example. CNAME RRSIG NSEC",
	                                    NULL};
	assert_int_equal(prove(cname, 1, "example", "ns1.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_empty_non_terminal(void **state)
{
	(void)state;
	/* y.w.example has no records but x.y.w.example exists: it is no name error. */
	static const char *const ent[] = {NSEC_XW, NSEC_APEX, NULL};
	assert_int_equal(prove(ent, 1, "example", "y.w.example", WIRE_TYPE_A), VAL_PROOF_NODATA);
}

/* B.4: mc.a.example MX, referral to a signed zone: the NSEC at a.example has DS. */
static void test_val_denial_prove_nsec_ds_present(void **state)
{
	(void)state;
	static const char *const b4[] = {NSEC_A, NULL};
	assert_int_equal(prove(b4, 1, "example", "a.example", WIRE_TYPE_DS), VAL_PROOF_NONE);
}

/* B.5: mc.b.example MX, referral to an unsigned zone. */
static const char *const b5_unsigned[] = {NSEC_B, NULL};

static void test_val_denial_prove_nsec_no_ds(void **state)
{
	(void)state;
	assert_int_equal(prove(b5_unsigned, 1, "example", "b.example", WIRE_TYPE_DS),
	                 VAL_PROOF_NO_DS);
}

static void test_val_denial_prove_nsec_parent_side_not_nodata(void **state)
{
	(void)state;
	/* RFC 6840 §4.1: the parent cannot deny the child's A record. */
	assert_int_equal(prove(b5_unsigned, 1, "example", "b.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_parent_side_not_nxdomain(void **state)
{
	(void)state;
	static const char *const cut[] = {NSEC_B, NSEC_APEX, NULL};
	assert_int_equal(prove(cut, 1, "example", "mc.b.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_dname_not_nxdomain(void **state)
{
	(void)state;
	static const char *const dname[] = {"d.example. NSEC e.example. DNAME RRSIG NSEC",
	                                    NSEC_APEX, NULL};
	assert_int_equal(prove(dname, 1, "example", "x.d.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_dname_owner_nodata(void **state)
{
	(void)state;
	/* The DNAME owner itself is not redirected: its other types can be denied. */
	static const char *const dname[] = {"d.example. NSEC e.example. DNAME RRSIG NSEC", NULL};
	assert_int_equal(prove(dname, 1, "example", "d.example", WIRE_TYPE_A), VAL_PROOF_NODATA);
}

/* B.6: a.z.w.example MX, wildcard expansion (RRSIG labels 2: *.w.example). */
static const char *const b6_wildcard[] = {NSEC_XYW, NULL};

static void test_val_denial_wildcard_nsec_answer(void **state)
{
	(void)state;
	assert_int_equal(wildcard(b6_wildcard, 1, "example", "a.z.w.example", 2),
	                 VAL_PROOF_WILDCARD_ANSWER);
}

static void test_val_denial_wildcard_nsec_closer_name_exists(void **state)
{
	(void)state;
	/* A claimed *.example expansion: the NSEC shows w.example exists, a closer encloser. */
	assert_int_equal(wildcard(b6_wildcard, 1, "example", "a.z.w.example", 1), VAL_PROOF_NONE);
}

static void test_val_denial_wildcard_nsec_qname_exists(void **state)
{
	(void)state;
	static const char *const exists[] = {NSEC_XW, NULL};
	assert_int_equal(wildcard(exists, 1, "example", "x.w.example", 2), VAL_PROOF_NONE);
}

/* B.7: a.z.w.example AAAA, wildcard no data. */
static const char *const b7_wildcard_nodata[] = {NSEC_XYW, NSEC_WILD, NULL};

static void test_val_denial_prove_nsec_wildcard_no_data(void **state)
{
	(void)state;
	assert_int_equal(prove(b7_wildcard_nodata, 1, "example", "a.z.w.example", WIRE_TYPE_AAAA),
	                 VAL_PROOF_WILDCARD_NODATA);
}

static void test_val_denial_prove_nsec_wildcard_has_type(void **state)
{
	(void)state;
	/* *.w.example has MX: the answer should have been synthesised. */
	assert_int_equal(prove(b7_wildcard_nodata, 1, "example", "a.z.w.example", WIRE_TYPE_MX),
	                 VAL_PROOF_NONE);
}

/* B.8: example DS asked of the child: its apex NSEC cannot deny a parent-side DS. */
static void test_val_denial_prove_nsec_ds_from_child(void **state)
{
	(void)state;
	static const char *const b8[] = {NSEC_APEX, NULL};
	assert_int_equal(prove(b8, 1, "example", "example", WIRE_TYPE_DS), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_outside_zone_ignored(void **state)
{
	(void)state;
	/* Signed by ml.example, the records of example. must not deny ml.example. */
	assert_int_equal(prove(b2_name_error, 1, "ml.example", "ml.example", WIRE_TYPE_MX),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_owner_outside_zone_ignored(void **state)
{
	(void)state;
	/* Its range would cover b.w.example and *.w.example, but the owner is not in w.example. */
	static const char *const outside[] = {"a.example. NSEC c.w.example. A RRSIG NSEC", NULL};
	assert_int_equal(prove(outside, 1, "w.example", "b.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_next_outside_zone_ignored(void **state)
{
	(void)state;
	/* In the zone w.example the last NSEC must point back to w.example, not xx.example. */
	static const char *const outside[] = {
	        "w.example. NSEC x.w.example. NS SOA RRSIG NSEC DNSKEY", NSEC_XYW, NULL};
	assert_int_equal(prove(outside, 1, "w.example", "z.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_qname_outside_zone(void **state)
{
	(void)state;
	assert_int_equal(prove(b2_name_error, 1, "example", "ml.example.net", WIRE_TYPE_MX),
	                 VAL_PROOF_NONE);
}

/* Run B.3 (no data for ns1.example MX) with its one NSEC modified by f. */
static enum val_proof prove_b3_modified(void (*f)(ldns_rr *))
{
	static const char *const b3[] = {NSEC_NS1, NULL};
	ldns_rr_list *l = rr_list(b3, 1);
	f(ldns_rr_list_rr(l, 0));
	struct question q;
	question_init(&q, l, "example", "ns1.example", WIRE_TYPE_MX);
	enum val_proof p = val_denial_prove(&q.d);
	ldns_rr_list_deep_free(l);
	return p;
}

static void push_extra_rdf(ldns_rr *rr)
{
	assert_true(ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 7)));
}

static void next_not_a_name(ldns_rr *rr)
{
	ldns_rdf_deep_free(ldns_rr_set_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 7), 0));
}

static void bitmap_overrun(ldns_rr *rr)
{
	static const uint8_t bad[] = {0, 6, 0x40, 0x01}; /* says 6 bytes, has 2 */
	ldns_rdf *bm = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_BITMAP, sizeof(bad), bad);
	assert_non_null(bm);
	ldns_rdf_deep_free(ldns_rr_set_rdf(rr, bm, 1));
}

static void test_val_denial_prove_nsec_malformed_rdata_count(void **state)
{
	(void)state;
	assert_int_equal(prove_b3_modified(push_extra_rdf), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_malformed_next_name(void **state)
{
	(void)state;
	assert_int_equal(prove_b3_modified(next_not_a_name), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec_malformed_bitmap(void **state)
{
	(void)state;
	assert_int_equal(prove_b3_modified(bitmap_overrun), VAL_PROOF_NONE);
}

/* ---- RFC 5155 Appendix A: the NSEC3 records of the example zone (1 1 12 aabbccdd) ---- */

/* H(example) */
#define N3_APEX                                                                                    \
	"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd "                         \
	"2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM"
/* H(ns1.example) */
#define N3_NS1                                                                                     \
	"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 1 12 aabbccdd "                         \
	"2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"
/* H(x.y.w.example) */
#define N3_XYW                                                                                     \
	"2vptu5timamqttgl4luu9kg21e0aor3s.example. NSEC3 1 1 12 aabbccdd "                         \
	"35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG"
/* H(a.example), the delegation to a signed zone */
#define N3_A                                                                                       \
	"35mthgpgcu1qg68fab165klnsnk3dpvl.example. NSEC3 1 1 12 aabbccdd "                         \
	"b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG"
/* H(x.w.example) */
#define N3_XW                                                                                      \
	"b4um86eghhds6nea196smvmlo4ors995.example. NSEC3 1 1 12 aabbccdd "                         \
	"gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG"
/* H(ai.example) */
#define N3_AI                                                                                      \
	"gjeqe526plbf1g8mklp59enfd789njgi.example. NSEC3 1 1 12 aabbccdd "                         \
	"ji6neoaepv8b5o6k4ev33abha8ht9fgc A HINFO AAAA RRSIG"
/* H(y.w.example), an empty non-terminal */
#define N3_YW                                                                                      \
	"ji6neoaepv8b5o6k4ev33abha8ht9fgc.example. NSEC3 1 1 12 aabbccdd "                         \
	"k8udemvp1j2f7eg6jebps17vp3n8i58h"
/* H(w.example), an empty non-terminal */
#define N3_W                                                                                       \
	"k8udemvp1j2f7eg6jebps17vp3n8i58h.example. NSEC3 1 1 12 aabbccdd "                         \
	"kohar7mbb8dc2ce8a9qvl8hon4k53uhi"
/* H(2t7b4g4vsa5smi47k61mv5bv1a22bojr.example) */
#define N3_HASHNAME                                                                                \
	"kohar7mbb8dc2ce8a9qvl8hon4k53uhi.example. NSEC3 1 1 12 aabbccdd "                         \
	"q04jkcevqvmu85r014c7dkba38o0ji5r A HINFO AAAA RRSIG"
/* H(ns2.example) */
#define N3_NS2                                                                                     \
	"q04jkcevqvmu85r014c7dkba38o0ji5r.example. NSEC3 1 1 12 aabbccdd "                         \
	"r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG"
/* H(*.w.example) */
#define N3_WILD                                                                                    \
	"r53bq7cc2uvmubfu5ocmm6pers9tk9en.example. NSEC3 1 1 12 aabbccdd "                         \
	"t644ebqk9bibcna874givr6joj62mlhv MX RRSIG"
/* H(xx.example), the last of the chain */
#define N3_XX                                                                                      \
	"t644ebqk9bibcna874givr6joj62mlhv.example. NSEC3 1 1 12 aabbccdd "                         \
	"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG"

/* B.1: a.c.x.w.example, name error: x.w.example is the closest encloser. */
static const char *const n3_b1[] = {N3_APEX, N3_XW, N3_A, NULL};

static void test_val_denial_prove_nsec3_name_error(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b1, 0, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NXDOMAIN);
}

static void test_val_denial_prove_nsec3_name_error_optout(void **state)
{
	(void)state;
	/* As published: c.x.w.example is covered by an Opt-Out record, so it may be a cut. */
	assert_int_equal(prove(n3_b1, 1, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_OPTOUT);
}

static void test_val_denial_prove_nsec3_name_error_needs_wildcard(void **state)
{
	(void)state;
	static const char *const no_wildcard[] = {N3_XW, N3_A, NULL};
	assert_int_equal(prove(no_wildcard, 0, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_name_error_needs_next_closer(void **state)
{
	(void)state;
	/* §8.3 step 5: the encloser matches but c.x.w.example is not covered. */
	static const char *const no_next_closer[] = {N3_APEX, N3_XW, NULL};
	assert_int_equal(prove(no_next_closer, 0, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static const char *const n3_chain[] = {N3_APEX, N3_NS1,      N3_XYW, N3_A,    N3_XW, N3_AI, N3_YW,
                                       N3_W,    N3_HASHNAME, N3_NS2, N3_WILD, N3_XX, NULL};

static void test_val_denial_prove_nsec3_name_error_chain_wraps(void **state)
{
	(void)state;
	/* H(o.example) = ufc8... sorts after H(xx.example), the last hash of the chain. */
	assert_int_equal(prove(n3_chain, 0, "example", "o.example", WIRE_TYPE_A),
	                 VAL_PROOF_NXDOMAIN);
}

/* B.2: ns1.example MX, no data. */
static const char *const n3_b2[] = {N3_NS1, NULL};

static void test_val_denial_prove_nsec3_no_data(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b2, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NODATA);
}

static void test_val_denial_prove_nsec3_no_data_type_present(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b2, 1, "example", "ns1.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

/* B.2.1: y.w.example A, no data at an empty non-terminal. */
static void test_val_denial_prove_nsec3_no_data_empty_non_terminal(void **state)
{
	(void)state;
	static const char *const b21[] = {N3_YW, NULL};
	assert_int_equal(prove(b21, 1, "example", "y.w.example", WIRE_TYPE_A), VAL_PROOF_NODATA);
}

/* B.3: mc.c.example MX, referral to an unsigned zone under Opt-Out: the DS question. */
static const char *const n3_b3[] = {N3_A, N3_APEX, NULL};

static void test_val_denial_prove_nsec3_ds_optout(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b3, 1, "example", "c.example", WIRE_TYPE_DS), VAL_PROOF_OPTOUT);
}

static void test_val_denial_prove_nsec3_ds_not_optout(void **state)
{
	(void)state;
	/* Without the Opt-Out bit, c.example simply does not exist: that needs *.example too. */
	assert_int_equal(prove(n3_b3, 0, "example", "c.example", WIRE_TYPE_DS), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_ds_present(void **state)
{
	(void)state;
	static const char *const signed_cut[] = {N3_A, NULL};
	assert_int_equal(prove(signed_cut, 1, "example", "a.example", WIRE_TYPE_DS),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_no_ds(void **state)
{
	(void)state;
	static const char *const unsigned_cut[] = {
	        "35mthgpgcu1qg68fab165klnsnk3dpvl.example. NSEC3 1 0 12 aabbccdd "
	        "b4um86eghhds6nea196smvmlo4ors995 NS RRSIG",
	        NULL};
	assert_int_equal(prove(unsigned_cut, 1, "example", "a.example", WIRE_TYPE_DS),
	                 VAL_PROOF_NO_DS);
}

static void test_val_denial_prove_nsec3_parent_side_not_nodata(void **state)
{
	(void)state;
	static const char *const cut[] = {N3_A, NULL};
	assert_int_equal(prove(cut, 1, "example", "a.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_delegation_not_encloser(void **state)
{
	(void)state;
	/*
	 * §8.3: a.example is a cut; its record cannot be the closest encloser
	 * of x.a.example, which belongs to the child zone.
	 */
	assert_int_equal(prove(n3_chain, 0, "example", "x.a.example", WIRE_TYPE_A), VAL_PROOF_NONE);
}

/* B.4: a.z.w.example MX from *.w.example: z.w.example is covered. */
static const char *const n3_b4[] = {N3_NS2, NULL};

static void test_val_denial_wildcard_nsec3_answer(void **state)
{
	(void)state;
	assert_int_equal(wildcard(n3_b4, 0, "example", "a.z.w.example", 2),
	                 VAL_PROOF_WILDCARD_ANSWER);
}

static void test_val_denial_wildcard_nsec3_answer_optout(void **state)
{
	(void)state;
	assert_int_equal(wildcard(n3_b4, 1, "example", "a.z.w.example", 2), VAL_PROOF_OPTOUT);
}

static void test_val_denial_wildcard_nsec3_wrong_next_closer(void **state)
{
	(void)state;
	/* Claimed *.example: w.example would be the next closer name, and it is not covered. */
	assert_int_equal(wildcard(n3_b4, 0, "example", "a.z.w.example", 1), VAL_PROOF_NONE);
}

static void test_val_denial_wildcard_qname_is_wildcard(void **state)
{
	(void)state;
	/* *.w.example MX: the labels field leaves out the "*"; nothing was expanded. */
	static const char *const none[] = {NULL};
	assert_int_equal(wildcard(none, 0, "example", "*.w.example", 2), VAL_PROOF_WILDCARD_ANSWER);
}

static void test_val_denial_wildcard_labels_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(wildcard(n3_b4, 0, "example", "a.z.w.example", 4), VAL_PROOF_NONE);
	assert_int_equal(wildcard(n3_b4, 0, "w.example", "a.z.w.example", 1), VAL_PROOF_NONE);
}

/* B.5: a.z.w.example AAAA, wildcard no data. */
static const char *const n3_b5[] = {N3_W, N3_NS2, N3_WILD, NULL};

static void test_val_denial_prove_nsec3_wildcard_no_data(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b5, 0, "example", "a.z.w.example", WIRE_TYPE_AAAA),
	                 VAL_PROOF_WILDCARD_NODATA);
}

static void test_val_denial_prove_nsec3_wildcard_no_data_optout(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b5, 1, "example", "a.z.w.example", WIRE_TYPE_AAAA),
	                 VAL_PROOF_OPTOUT);
}

static void test_val_denial_prove_nsec3_wildcard_has_type(void **state)
{
	(void)state;
	assert_int_equal(prove(n3_b5, 0, "example", "a.z.w.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

/* B.6: example DS asked of the child zone. */
static void test_val_denial_prove_nsec3_ds_from_child(void **state)
{
	(void)state;
	static const char *const b6[] = {N3_APEX, NULL};
	assert_int_equal(prove(b6, 1, "example", "example", WIRE_TYPE_DS), VAL_PROOF_NONE);
}

/* ---- NSEC3 limits and bad records ---- */

static void test_val_denial_prove_nsec3_iterations_over_limit(void **state)
{
	(void)state;
	ldns_rr_list *l = rr_list(n3_b2, 1);
	struct question q;
	question_init(&q, l, "example", "ns1.example", WIRE_TYPE_MX);
	q.d.nsec3_max_iterations = 11;
	assert_int_equal(val_denial_prove(&q.d), VAL_PROOF_ITERATIONS);
	assert_int_equal(q.budget.nsec3_hashes, 100); /* decided before hashing */
	assert_false(q.budget.exhausted);
	ldns_rr_list_deep_free(l);
}

static void test_val_denial_wildcard_nsec3_iterations_over_limit(void **state)
{
	(void)state;
	ldns_rr_list *l = rr_list(n3_b4, 0);
	struct question q;
	question_init(&q, l, "example", "a.z.w.example", WIRE_TYPE_MX);
	q.d.nsec3_max_iterations = 0;
	assert_int_equal(val_denial_wildcard(&q.d, 2), VAL_PROOF_ITERATIONS);
	assert_int_equal(q.budget.nsec3_hashes, 100);
	ldns_rr_list_deep_free(l);
}

/* B.1 takes four hashes: qname, c.x.w.example, x.w.example and *.x.w.example. */
static enum val_proof prove_b1_budget(unsigned hashes, struct val_budget *out)
{
	ldns_rr_list *l = rr_list(n3_b1, 0);
	struct question q;
	question_init(&q, l, "example", "a.c.x.w.example", WIRE_TYPE_A);
	q.budget.nsec3_hashes = hashes;
	enum val_proof p = val_denial_prove(&q.d);
	*out = q.budget;
	ldns_rr_list_deep_free(l);
	return p;
}

static void test_val_denial_prove_nsec3_budget_exhausted(void **state)
{
	(void)state;
	struct val_budget b;
	assert_int_equal(prove_b1_budget(3, &b), VAL_PROOF_BUDGET);
	assert_true(b.exhausted);
	assert_int_equal(b.nsec3_hashes, 0);
}

static void test_val_denial_prove_nsec3_budget_just_enough(void **state)
{
	(void)state;
	struct val_budget b;
	assert_int_equal(prove_b1_budget(4, &b), VAL_PROOF_NXDOMAIN);
	assert_false(b.exhausted);
	assert_int_equal(b.nsec3_hashes, 0);
}

static void test_val_denial_prove_nsec3_mixed_params_ignored(void **state)
{
	(void)state;
	/* The encloser's record with 11 iterations is not part of the 12-iteration chain. */
	static const char *const mixed[] = {
	        N3_APEX,
	        "b4um86eghhds6nea196smvmlo4ors995.example. NSEC3 1 0 11 aabbccdd "
	        "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG",
	        N3_A, NULL};
	assert_int_equal(prove(mixed, 0, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_other_salt_ignored(void **state)
{
	(void)state;
	static const char *const salted[] = {
	        N3_APEX,
	        "b4um86eghhds6nea196smvmlo4ors995.example. NSEC3 1 0 12 aabbccde "
	        "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG",
	        N3_A, NULL};
	assert_int_equal(prove(salted, 0, "example", "a.c.x.w.example", WIRE_TYPE_A),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_unknown_flags_ignored(void **state)
{
	(void)state;
	static const char *const flags[] = {
	        "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 2 12 "
	        "aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	        NULL};
	assert_int_equal(prove(flags, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_unknown_algorithm_ignored(void **state)
{
	(void)state;
	static const char *const alg[] = {"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 2 1 12 "
	                                  "aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	                                  NULL};
	assert_int_equal(prove(alg, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_outside_zone_ignored(void **state)
{
	(void)state;
	static const char *const other[] = {
	        "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.net. NSEC3 1 1 12 aabbccdd "
	        "2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	        "2t7b4g4vsa5smi47k61mv5bv1a22bojr.w.example. NSEC3 1 1 12 aabbccdd "
	        "2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	        NULL};
	assert_int_equal(prove(other, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_bad_owner_label_ignored(void **state)
{
	(void)state;
	/* "w" is not a base32hex digit; a 31-digit label is not a SHA-1 hash. */
	static const char *const bad[] = {"wt7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 1 12 "
	                                  "aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	                                  "2t7b4g4vsa5smi47k61mv5bv1a22boj.example. NSEC3 1 1 12 "
	                                  "aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
	                                  NULL};
	assert_int_equal(prove(bad, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_short_next_hash_ignored(void **state)
{
	(void)state;
	static const char *const shorthash[] = {
	        "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 1 12 aabbccdd 2vptu5ti A RRSIG",
	        NULL};
	assert_int_equal(prove(shorthash, 1, "example", "ns1.example", WIRE_TYPE_MX),
	                 VAL_PROOF_NONE);
}

static void test_val_denial_prove_nsec3_malformed_rdata_count(void **state)
{
	(void)state;
	ldns_rr_list *l = rr_list(n3_b2, 1);
	ldns_rr *rr = ldns_rr_list_rr(l, 0);
	ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
	ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
	assert_int_equal(ldns_rr_rd_count(rr), 4);
	struct question q;
	question_init(&q, l, "example", "ns1.example", WIRE_TYPE_MX);
	assert_int_equal(val_denial_prove(&q.d), VAL_PROOF_NONE);
	ldns_rr_list_deep_free(l);
}

static void test_val_denial_prove_nsec3_malformed_salt(void **state)
{
	(void)state;
	ldns_rr_list *l = rr_list(n3_b2, 1);
	static const uint8_t bad[] = {9, 0xaa, 0xbb}; /* says 9 bytes of salt, has 2 */
	ldns_rdf *salt = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_NSEC3_SALT, sizeof(bad), bad);
	assert_non_null(salt);
	ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(l, 0), salt, 3));
	struct question q;
	question_init(&q, l, "example", "ns1.example", WIRE_TYPE_MX);
	assert_int_equal(val_denial_prove(&q.d), VAL_PROOF_NONE);
	ldns_rr_list_deep_free(l);
}

static void test_val_denial_prove_nsec3_malformed_bitmap(void **state)
{
	(void)state;
	ldns_rr_list *l = rr_list(n3_b2, 1);
	static const uint8_t bad[] = {0, 6, 0x40, 0x01}; /* says 6 bytes, has 2 */
	ldns_rdf *bm = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_BITMAP, sizeof(bad), bad);
	assert_non_null(bm);
	ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(l, 0), bm, 5));
	struct question q;
	question_init(&q, l, "example", "ns1.example", WIRE_TYPE_MX);
	assert_int_equal(val_denial_prove(&q.d), VAL_PROOF_NONE);
	ldns_rr_list_deep_free(l);
}

static void test_val_denial_prove_no_records(void **state)
{
	(void)state;
	static const char *const none[] = {NULL};
	assert_int_equal(prove(none, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
	assert_int_equal(val_denial_prove(NULL), VAL_PROOF_NONE);
}

static void test_val_denial_prove_ignores_other_types(void **state)
{
	(void)state;
	static const char *const other[] = {"ns1.example. A 192.0.2.1",
	                                    "ns1.example. RRSIG NSEC 7 2 3600 20150420235959 "
	                                    "20051021000000 40430 example. AAAA",
	                                    NULL};
	assert_int_equal(prove(other, 1, "example", "ns1.example", WIRE_TYPE_MX), VAL_PROOF_NONE);
}

/* ---- helpers shared by the proofs ---- */

static void test_val__base32hex_decode_rfc4648_vector(void **state)
{
	(void)state;
	/* RFC 4648 §10: BASE32-HEX("foobar") = "CPNMUOJ1E8======", here unpadded. */
	uint8_t out[8];
	assert_int_equal(val__base32hex_decode((const uint8_t *)"CPNMUOJ1E8", 10, out, sizeof(out)),
	                 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(val__base32hex_decode((const uint8_t *)"cpnmuoj1e8", 10, out, sizeof(out)),
	                 6);
}

static void test_val__base32hex_decode_rejects_bad_input(void **state)
{
	(void)state;
	uint8_t out[8];
	assert_int_equal(val__base32hex_decode((const uint8_t *)"CW", 2, out, sizeof(out)), -1);
	assert_int_equal(val__base32hex_decode((const uint8_t *)"CP", 2, out, sizeof(out)), -1);
	assert_int_equal(val__base32hex_decode((const uint8_t *)"CPNMUOJ1E8", 10, out, 5), -1);
}

static void test_val__bitmap_has_type_windows(void **state)
{
	(void)state;
	/* Window 0: A (1) and MX (15); window 1: CAA (257). */
	static const uint8_t bm[] = {0, 2, 0x40, 0x01, 1, 1, 0x40};
	assert_true(val__bitmap_valid(bm, sizeof(bm)));
	assert_true(val__bitmap_has_type(bm, sizeof(bm), WIRE_TYPE_A));
	assert_true(val__bitmap_has_type(bm, sizeof(bm), WIRE_TYPE_MX));
	assert_true(val__bitmap_has_type(bm, sizeof(bm), 257));
	assert_false(val__bitmap_has_type(bm, sizeof(bm), WIRE_TYPE_NS));
	assert_false(val__bitmap_has_type(bm, sizeof(bm), WIRE_TYPE_AAAA));
	assert_false(val__bitmap_has_type(bm, sizeof(bm), 256));
}

static void test_val__bitmap_valid_rejects_malformed(void **state)
{
	(void)state;
	static const uint8_t zero_len[] = {0, 0};
	static const uint8_t too_long[] = {0, 33};
	static const uint8_t descending[] = {1, 1, 0x40, 0, 1, 0x40};
	static const uint8_t truncated[] = {0};
	assert_false(val__bitmap_valid(zero_len, sizeof(zero_len)));
	assert_false(val__bitmap_valid(too_long, sizeof(too_long)));
	assert_false(val__bitmap_valid(descending, sizeof(descending)));
	assert_false(val__bitmap_valid(truncated, sizeof(truncated)));
	assert_true(val__bitmap_valid(NULL, 0));
}

static void test_val_proof_name_all(void **state)
{
	(void)state;
	for (int p = VAL_PROOF_NONE; p <= VAL_PROOF_BUDGET; p++) {
		const char *n = val_proof_name((enum val_proof)p);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (int o = VAL_PROOF_NONE; o < p; o++)
			assert_string_not_equal(n, val_proof_name((enum val_proof)o));
	}
	assert_string_equal(val_proof_name((enum val_proof)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_val_denial_prove_nsec_name_error),
	        cmocka_unit_test(test_val_denial_prove_nsec_name_error_needs_wildcard_proof),
	        cmocka_unit_test(test_val_denial_prove_nsec_name_error_last_wraps),
	        cmocka_unit_test(test_val_denial_prove_nsec_name_error_one_record),
	        cmocka_unit_test(test_val_denial_prove_nsec_no_data),
	        cmocka_unit_test(test_val_denial_prove_nsec_no_data_type_present),
	        cmocka_unit_test(test_val_denial_prove_nsec_no_data_cname_present),
	        cmocka_unit_test(test_val_denial_prove_nsec_empty_non_terminal),
	        cmocka_unit_test(test_val_denial_prove_nsec_ds_present),
	        cmocka_unit_test(test_val_denial_prove_nsec_no_ds),
	        cmocka_unit_test(test_val_denial_prove_nsec_parent_side_not_nodata),
	        cmocka_unit_test(test_val_denial_prove_nsec_parent_side_not_nxdomain),
	        cmocka_unit_test(test_val_denial_prove_nsec_dname_not_nxdomain),
	        cmocka_unit_test(test_val_denial_prove_nsec_dname_owner_nodata),
	        cmocka_unit_test(test_val_denial_wildcard_nsec_answer),
	        cmocka_unit_test(test_val_denial_wildcard_nsec_closer_name_exists),
	        cmocka_unit_test(test_val_denial_wildcard_nsec_qname_exists),
	        cmocka_unit_test(test_val_denial_prove_nsec_wildcard_no_data),
	        cmocka_unit_test(test_val_denial_prove_nsec_wildcard_has_type),
	        cmocka_unit_test(test_val_denial_prove_nsec_ds_from_child),
	        cmocka_unit_test(test_val_denial_prove_nsec_outside_zone_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec_owner_outside_zone_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec_next_outside_zone_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec_qname_outside_zone),
	        cmocka_unit_test(test_val_denial_prove_nsec_malformed_rdata_count),
	        cmocka_unit_test(test_val_denial_prove_nsec_malformed_next_name),
	        cmocka_unit_test(test_val_denial_prove_nsec_malformed_bitmap),
	        cmocka_unit_test(test_val_denial_prove_nsec3_name_error),
	        cmocka_unit_test(test_val_denial_prove_nsec3_name_error_optout),
	        cmocka_unit_test(test_val_denial_prove_nsec3_name_error_needs_wildcard),
	        cmocka_unit_test(test_val_denial_prove_nsec3_name_error_needs_next_closer),
	        cmocka_unit_test(test_val_denial_prove_nsec3_name_error_chain_wraps),
	        cmocka_unit_test(test_val_denial_prove_nsec3_no_data),
	        cmocka_unit_test(test_val_denial_prove_nsec3_no_data_type_present),
	        cmocka_unit_test(test_val_denial_prove_nsec3_no_data_empty_non_terminal),
	        cmocka_unit_test(test_val_denial_prove_nsec3_ds_optout),
	        cmocka_unit_test(test_val_denial_prove_nsec3_ds_not_optout),
	        cmocka_unit_test(test_val_denial_prove_nsec3_ds_present),
	        cmocka_unit_test(test_val_denial_prove_nsec3_no_ds),
	        cmocka_unit_test(test_val_denial_prove_nsec3_parent_side_not_nodata),
	        cmocka_unit_test(test_val_denial_prove_nsec3_delegation_not_encloser),
	        cmocka_unit_test(test_val_denial_wildcard_nsec3_answer),
	        cmocka_unit_test(test_val_denial_wildcard_nsec3_answer_optout),
	        cmocka_unit_test(test_val_denial_wildcard_nsec3_wrong_next_closer),
	        cmocka_unit_test(test_val_denial_wildcard_qname_is_wildcard),
	        cmocka_unit_test(test_val_denial_wildcard_labels_out_of_range),
	        cmocka_unit_test(test_val_denial_prove_nsec3_wildcard_no_data),
	        cmocka_unit_test(test_val_denial_prove_nsec3_wildcard_no_data_optout),
	        cmocka_unit_test(test_val_denial_prove_nsec3_wildcard_has_type),
	        cmocka_unit_test(test_val_denial_prove_nsec3_ds_from_child),
	        cmocka_unit_test(test_val_denial_prove_nsec3_iterations_over_limit),
	        cmocka_unit_test(test_val_denial_wildcard_nsec3_iterations_over_limit),
	        cmocka_unit_test(test_val_denial_prove_nsec3_budget_exhausted),
	        cmocka_unit_test(test_val_denial_prove_nsec3_budget_just_enough),
	        cmocka_unit_test(test_val_denial_prove_nsec3_mixed_params_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_other_salt_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_unknown_flags_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_unknown_algorithm_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_outside_zone_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_bad_owner_label_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_short_next_hash_ignored),
	        cmocka_unit_test(test_val_denial_prove_nsec3_malformed_rdata_count),
	        cmocka_unit_test(test_val_denial_prove_nsec3_malformed_salt),
	        cmocka_unit_test(test_val_denial_prove_nsec3_malformed_bitmap),
	        cmocka_unit_test(test_val_denial_prove_no_records),
	        cmocka_unit_test(test_val_denial_prove_ignores_other_types),
	        cmocka_unit_test(test_val__base32hex_decode_rfc4648_vector),
	        cmocka_unit_test(test_val__base32hex_decode_rejects_bad_input),
	        cmocka_unit_test(test_val__bitmap_has_type_windows),
	        cmocka_unit_test(test_val__bitmap_valid_rejects_malformed),
	        cmocka_unit_test(test_val_proof_name_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
