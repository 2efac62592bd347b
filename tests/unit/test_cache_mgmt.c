/*
 * test_cache_mgmt.c - managing the cache from the control socket: flushing
 * by name, zone and kind, forgetting servers, and the dump and load of the
 * whole cache as text.
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cache/cache_internal.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

#include "alloc_count.h"
#include "cache_util.h"

/* ---- management: selective flushes ---- */

/* A reply built with ldns as the request module builds them: the question, then records. */
struct msg_spec {
	const char *qname; /* NULL: no question (the validator's denial entries) */
	uint16_t qtype;
	uint8_t rcode;
	bool ad;
	const char *an[4];
	const char *ns[4];
};

static size_t build_msg(const struct msg_spec *m, uint8_t **wire)
{
	ldns_pkt *pkt = ldns_pkt_new();
	assert_non_null(pkt);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_ad(pkt, m->ad);
	ldns_pkt_set_rcode(pkt, m->rcode);
	if (m->qname != NULL) {
		ldns_rr *q = ldns_rr_new();
		ldns_rr_set_question(q, true);
		ldns_rr_set_owner(q, ldns_dname_new_frm_str(m->qname));
		ldns_rr_set_type(q, m->qtype);
		ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q));
	}
	const char *const *lists[2] = {m->an, m->ns};
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < 4 && lists[s][i] != NULL; i++) {
			ldns_rr *rr = NULL;
			assert_int_equal(ldns_rr_new_frm_str(&rr, lists[s][i], 0, NULL, NULL),
			                 LDNS_STATUS_OK);
			assert_true(ldns_pkt_push_rr(
			        pkt, s == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr));
		}
	}
	size_t len = 0;
	*wire = NULL;
	assert_int_equal(ldns_pkt2wire(wire, pkt, &len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return len;
}

/* Store m under (name, m->qtype, IN, flags) for ttl seconds from now. */
static int store_msg(struct cache *c, const char *name, const struct msg_spec *m, uint8_t flags,
                     uint32_t ttl, time_t now, int ede)
{
	uint8_t q[WIRE_DNAME_MAX], *wire;
	dname(name, q);
	size_t len = build_msg(m, &wire);
	int rc = cache_msg_store(c, q, m->qtype, WIRE_CLASS_IN, flags, wire, len, ttl, now, ede);
	free(wire);
	return rc;
}

static bool msg_present(struct cache *c, const char *name, uint16_t qtype, uint8_t flags,
                        time_t now)
{
	uint8_t q[WIRE_DNAME_MAX], out[WIRE_MSG_MAX];
	size_t len;
	dname(name, q);
	return cache_msg_lookup(c, q, qtype, WIRE_CLASS_IN, flags, now, out, sizeof(out), &len,
	                        NULL) == 0;
}

static bool rrset_present(struct cache *c, const char *owner, ldns_rr_type type, time_t now)
{
	ldns_rr_list *l = rrset_get(c, owner, type, now, NULL, NULL);
	ldns_rr_list_deep_free(l);
	return l != NULL;
}

static void put_a_rrset(struct cache *c, const char *owner)
{
	char text[300];
	snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.1", owner);
	assert_int_equal(rrset_put(c, rrs(text, NULL), NULL, CACHE_TRUST_ANSWER_AA, T0), 0);
}

static long flush_name_str(struct cache *c, const char *name, uint16_t type)
{
	uint8_t n[WIRE_DNAME_MAX];
	dname(name, n);
	return cache_flush_name(c, n, type);
}

static long flush_zone_str(struct cache *c, const char *name)
{
	uint8_t n[WIRE_DNAME_MAX];
	dname(name, n);
	return cache_flush_zone(c, n);
}

static void test_cache_flush_name_leaves_sibling(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "a.example", CACHE_MSG_DO, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "a.example", CACHE_MSG_CD | CACHE_MSG_DO, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "b.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "x.a.example", 0, 1, 300, 1, T0), 0);
	put_a_rrset(c, "a.example.");
	put_a_rrset(c, "b.example.");
	assert_int_equal(rrset_put(c, rrs("a.example. 300 IN NS ns.example.", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	/* Every flags variant of the message and the RRset: 4 entries. */
	assert_int_equal(flush_name_str(c, "a.example", WIRE_TYPE_A), 4);
	assert_false(present(c, "a.example", T0));
	assert_false(msg_present(c, "a.example", WIRE_TYPE_A, CACHE_MSG_DO, T0));
	assert_false(rrset_present(c, "a.example.", LDNS_RR_TYPE_A, T0));
	assert_true(rrset_present(c, "a.example.", LDNS_RR_TYPE_NS, T0)); /* other type */
	assert_true(present(c, "b.example", T0));
	assert_true(present(c, "x.a.example", T0)); /* below it */
	assert_true(rrset_present(c, "b.example.", LDNS_RR_TYPE_A, T0));
	assert_int_equal(flush_name_str(c, "a.example", WIRE_TYPE_A), 0);
	cache_free(c);
}

static void test_cache_flush_name_case_insensitive(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	assert_int_equal(store_a(c, "www.Example.COM", 0, 1, 300, 1, T0), 0);
	put_a_rrset(c, "WWW.example.com.");
	assert_int_equal(flush_name_str(c, "WwW.eXample.cOm", WIRE_TYPE_A), 2);
	assert_false(present(c, "www.example.com", T0));
	assert_false(rrset_present(c, "www.example.com.", LDNS_RR_TYPE_A, T0));
	cache_free(c);
}

static void test_cache_flush_name_type_zero_every_type(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct msg_spec aaaa = {.qname = "a.example.",
	                        .qtype = WIRE_TYPE_AAAA,
	                        .an = {"a.example. 300 IN AAAA 2001:db8::1"}};
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_msg(c, "a.example", &aaaa, 0, 300, T0, -1), 0);
	put_a_rrset(c, "a.example.");
	ldns_rr_list *sigs = rrs("a.example. 300 IN RRSIG NS 8 2 300 20300101000000 "
	                         "20200101000000 1 example. AAAA",
	                         NULL);
	assert_int_equal(rrset_put(c, rrs("a.example. 300 IN NS ns.example.", NULL), sigs,
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	put_a_rrset(c, "b.example.");
	assert_int_equal(flush_name_str(c, "a.example", 0), 4);
	assert_false(msg_present(c, "a.example", WIRE_TYPE_AAAA, 0, T0));
	assert_false(rrset_present(c, "a.example.", LDNS_RR_TYPE_NS, T0));
	assert_true(rrset_present(c, "b.example.", LDNS_RR_TYPE_A, T0));
	cache_free(c);
}

static void test_cache_flush_name_bad_name(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t bad[300];
	memset(bad, 63, sizeof(bad)); /* labels running past 255 bytes */
	assert_int_equal(cache_flush_name(c, NULL, 1), ERR_INVAL);
	assert_int_equal(cache_flush_name(c, bad, 1), ERR_INVAL);
	assert_int_equal(cache_flush_zone(c, bad), ERR_INVAL);
	cache_free(c);
}

/* The validator's per-zone denial entry (src/validator/aggressive.c): no question. */
static int store_denial(struct cache *c, const char *zone, time_t now)
{
	char nsec[300];
	snprintf(nsec, sizeof(nsec), "%s 300 IN NSEC z.%s A NS SOA RRSIG NSEC", zone, zone);
	struct msg_spec m = {.qtype = CACHE_MSG_TYPE_DENIAL, .ns = {nsec}};
	return store_msg(c, zone, &m, 0, 300, now, -1);
}

static void test_cache_flush_zone_subtree(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	const char *gone[] = {"example", "a.example", "b.a.example"};
	const char *kept[] = {"example.com", "notexample", "com"};
	for (int i = 0; i < 3; i++) {
		char owner[64];
		assert_int_equal(store_a(c, gone[i], 0, 1, 300, 1, T0), 0);
		assert_int_equal(store_a(c, kept[i], 0, 1, 300, 1, T0), 0);
		snprintf(owner, sizeof(owner), "%s.", gone[i]);
		put_a_rrset(c, owner);
		snprintf(owner, sizeof(owner), "%s.", kept[i]);
		put_a_rrset(c, owner);
	}
	assert_int_equal(store_denial(c, "example.", T0), 0);
	assert_int_equal(store_denial(c, "example.com.", T0), 0);
	assert_int_equal(flush_zone_str(c, "EXAMPLE"), 7);
	for (int i = 0; i < 3; i++) {
		char owner[64];
		snprintf(owner, sizeof(owner), "%s.", gone[i]);
		assert_false(present(c, gone[i], T0));
		assert_false(rrset_present(c, owner, LDNS_RR_TYPE_A, T0));
		snprintf(owner, sizeof(owner), "%s.", kept[i]);
		assert_true(present(c, kept[i], T0));
		assert_true(rrset_present(c, owner, LDNS_RR_TYPE_A, T0));
	}
	assert_false(msg_present(c, "example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	assert_true(msg_present(c, "example.com", CACHE_MSG_TYPE_DENIAL, 0, T0));
	cache_free(c);
}

/* The kept denials of enclosing zones would answer for a flushed name: they go too. */
static void test_cache_flush_name_drops_enclosing_denials(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	assert_int_equal(store_denial(c, "example.", T0), 0);
	assert_int_equal(store_denial(c, "a.example.", T0), 0);
	assert_int_equal(store_denial(c, "b.example.", T0), 0);
	assert_int_equal(store_denial(c, "x.a.example.", T0), 0);
	assert_int_equal(store_a(c, "w.a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(flush_name_str(c, "w.a.example", 0), 3);
	assert_false(msg_present(c, "example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	assert_false(msg_present(c, "a.example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	assert_true(msg_present(c, "b.example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	assert_true(msg_present(c, "x.a.example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	/* A subtree flush inside a zone drops the zone's denials as well. */
	assert_int_equal(flush_zone_str(c, "sub.b.example"), 1);
	assert_false(msg_present(c, "b.example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	cache_free(c);
}

static void test_cache_flush_zone_root_everything(void **state)
{
	struct cache *c = cache_new(1 << 20, 8);
	struct cache_stats st;
	char name[32];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "h%d.example.org", i);
		assert_int_equal(store_a(c, name, 0, 1, 300, 1, T0), 0);
	}
	put_a_rrset(c, ".");
	assert_int_equal(store_a(c, ".", 0, 1, 300, 1, T0), 0);
	assert_int_equal(flush_zone_str(c, "."), 12);
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 8 * 16 * sizeof(void *));
	cache_free(c);
}

/* One of each kind of message the flushes tell apart. */
static void store_kinds(struct cache *c)
{
	struct msg_spec bogus = {.qname = "bogus.example.", .qtype = WIRE_TYPE_A, .rcode = 2};
	struct msg_spec nx = {.qname = "nx.example.",
	                      .qtype = WIRE_TYPE_A,
	                      .rcode = 3,
	                      .ns = {"example. 300 IN SOA ns. h. 1 2 3 4 300"}};
	struct msg_spec nodata = {.qname = "nodata.example.",
	                          .qtype = WIRE_TYPE_A,
	                          .ns = {"example. 300 IN SOA ns. h. 1 2 3 4 300"}};
	struct msg_spec cname_nodata = {.qname = "alias.example.",
	                                .qtype = WIRE_TYPE_A,
	                                .an = {"alias.example. 300 IN CNAME nodata.example."},
	                                .ns = {"example. 300 IN SOA ns. h. 1 2 3 4 300"}};
	struct msg_spec cname_pos = {.qname = "www.example.",
	                             .qtype = WIRE_TYPE_A,
	                             .ad = true,
	                             .an = {"www.example. 300 IN CNAME host.example.",
	                                    "host.example. 300 IN A 192.0.2.7"}};
	struct msg_spec any = {.qname = "any.example.",
	                       .qtype = WIRE_TYPE_ANY,
	                       .an = {"any.example. 300 IN TXT \"x\""}};
	assert_int_equal(store_msg(c, "bogus.example", &bogus, CACHE_MSG_DO, 60, T0, 6), 0);
	assert_int_equal(store_msg(c, "bogus.example", &bogus, 0, 60, T0, 6), 0);
	assert_int_equal(store_msg(c, "nx.example", &nx, 0, 300, T0, -1), 0);
	assert_int_equal(store_msg(c, "nodata.example", &nodata, 0, 300, T0, -1), 0);
	assert_int_equal(store_msg(c, "alias.example", &cname_nodata, 0, 300, T0, -1), 0);
	assert_int_equal(store_msg(c, "www.example", &cname_pos, 0, 300, T0, -1), 0);
	assert_int_equal(store_msg(c, "any.example", &any, 0, 300, T0, -1), 0);
	assert_int_equal(store_a(c, "pos.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_denial(c, "example.", T0), 0);
	put_a_rrset(c, "pos.example.");
}

static void test_cache_flush_bogus_only_bogus(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct cache_stats st;
	store_kinds(c);
	assert_int_equal(cache_flush_bogus(c), 2);
	assert_false(msg_present(c, "bogus.example", WIRE_TYPE_A, 0, T0));
	assert_false(msg_present(c, "bogus.example", WIRE_TYPE_A, CACHE_MSG_DO, T0));
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 8);
	assert_int_equal(cache_flush_bogus(c), 0);
	cache_free(c);
}

static void test_cache_flush_negative_only_negative(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	store_kinds(c);
	/* NXDOMAIN, NODATA, NODATA behind a CNAME, and the zone's denial records. */
	assert_int_equal(cache_flush_negative(c), 4);
	assert_false(msg_present(c, "nx.example", WIRE_TYPE_A, 0, T0));
	assert_false(msg_present(c, "nodata.example", WIRE_TYPE_A, 0, T0));
	assert_false(msg_present(c, "alias.example", WIRE_TYPE_A, 0, T0));
	assert_false(msg_present(c, "example", CACHE_MSG_TYPE_DENIAL, 0, T0));
	assert_true(msg_present(c, "bogus.example", WIRE_TYPE_A, 0, T0));
	assert_true(msg_present(c, "www.example", WIRE_TYPE_A, 0, T0));
	assert_true(msg_present(c, "any.example", WIRE_TYPE_ANY, 0, T0));
	assert_true(present(c, "pos.example", T0));
	assert_true(rrset_present(c, "pos.example.", LDNS_RR_TYPE_A, T0));
	cache_free(c);
}

static void test_cache_flush_accounting_exact(void **state)
{
	/* Few entries per shard, so no bucket array grows: the bytes go back exactly. */
	struct cache *c = cache_new(1 << 20, 2);
	struct cache_stats empty, kept, after;
	cache_stats_get(c, &empty);
	assert_int_equal(store_a(c, "keep.example.org", 0, 2, 300, 1, T0), 0);
	put_a_rrset(c, "keep.example.org.");
	cache_stats_get(c, &kept);
	store_kinds(c);
	put_a_rrset(c, "a.example.");
	assert_true(cache_flush_bogus(c) == 2);
	assert_true(cache_flush_negative(c) == 4);
	assert_true(flush_name_str(c, "a.example", WIRE_TYPE_A) == 1);
	assert_true(flush_zone_str(c, "example") == 4);
	cache_stats_get(c, &after);
	assert_int_equal(after.entries, kept.entries);
	assert_int_equal(after.bytes, kept.bytes);
	assert_true(flush_zone_str(c, ".") == 2);
	cache_stats_get(c, &after);
	assert_int_equal(after.entries, 0);
	assert_int_equal(after.bytes, empty.bytes);
	cache_free(c);
}

static void test_infra_flush_one_address(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a53 = addr("192.0.2.1"), a853 = addr("192.0.2.1@853"), b = addr("192.0.2.2");
	struct sa a6 = addr("2001:db8::1"), any = addr("192.0.2.1");
	struct infra_server s;
	sa_set_port(&any, 0);
	infra_rtt_update(inf, &a53, 10, 1000);
	infra_rtt_update(inf, &a853, 10, 1000);
	infra_rtt_update(inf, &b, 10, 1000);
	infra_rtt_update(inf, &a6, 10, 1000);
	assert_int_equal(infra_flush(inf, &a53), 1); /* that port only */
	infra_get(inf, &a53, 1000, &s);
	assert_false(s.known);
	infra_get(inf, &a853, 1000, &s);
	assert_true(s.known);
	infra_rtt_update(inf, &a53, 10, 1000);
	assert_int_equal(infra_flush(inf, &any), 2); /* port 0: every port */
	infra_get(inf, &b, 1000, &s);
	assert_true(s.known);
	assert_int_equal(infra_count(inf), 2);
	infra_free(inf);
}

static void test_infra_flush_all(void **state)
{
	struct infra *inf = infra_new(5000);
	char text[32];
	for (int i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 200, i % 200);
		struct sa a = addr(text);
		infra_lame_set(inf, &a, (const uint8_t *)"\7example\0", 1000);
	}
	assert_int_equal(infra_count(inf), 300);
	assert_int_equal(infra_flush(inf, NULL), 300);
	assert_int_equal(infra_count(inf), 0);
	assert_int_equal(infra_flush(inf, NULL), 0);
	struct sa bad = {0};
	assert_int_equal(infra_flush(inf, &bad), ERR_INVAL);
	infra_free(inf);
}

/* ---- management: dump and load ---- */

struct text {
	char *p;
	size_t len;
	size_t cap;
	unsigned writes;
	int fail_at; /* write number to fail with 7, 0 never */
};

static int text_write(const char *s, size_t len, void *arg)
{
	struct text *t = arg;
	if (++t->writes == (unsigned)t->fail_at)
		return 7;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memcpy(t->p + t->len, s, len);
	t->len += len;
	t->p[t->len] = '\0';
	return 0;
}

static struct text dump_text(struct cache *c, time_t now)
{
	struct text t = {0};
	assert_int_equal(cache_dump(c, now, text_write, &t), 0);
	return t;
}

/* The message keys put in the cache by fill_for_dump(). */
static const struct {
	const char *name;
	uint16_t qtype;
	uint8_t flags;
} dump_keys[] = {
        {"www.example", WIRE_TYPE_A, 0},       {"www.example", WIRE_TYPE_A, CACHE_MSG_DO},
        {"nx.example", WIRE_TYPE_A, 0},        {"bogus.example", WIRE_TYPE_A, CACHE_MSG_DO},
        {"example", CACHE_MSG_TYPE_DENIAL, 0}, {"pos.example", WIRE_TYPE_A, CACHE_MSG_CD},
        {"txt.example", WIRE_TYPE_TXT, 0},
};

static void fill_for_dump(struct cache *c)
{
	struct msg_spec www = {.qname = "WWW.Example.",
	                       .qtype = WIRE_TYPE_A,
	                       .ad = true,
	                       .an = {"www.example. 300 IN CNAME host.example.",
	                              "host.example. 200 IN A 192.0.2.7"}};
	struct msg_spec www_do = www;
	www_do.an[2] = "www.example. 300 IN RRSIG CNAME 8 2 300 20300101000000 "
	               "20200101000000 1 example. AAAA";
	struct msg_spec nx = {.qname = "nx.example.",
	                      .qtype = WIRE_TYPE_A,
	                      .rcode = 3,
	                      .ns = {"example. 300 IN SOA ns. h. 1 2 3 4 300",
	                             "a.example. 300 IN NSEC z.example. A RRSIG NSEC"}};
	struct msg_spec bogus = {.qname = "bogus.example.", .qtype = WIRE_TYPE_A, .rcode = 2};
	struct msg_spec txt = {.qname = "txt.example.",
	                       .qtype = WIRE_TYPE_TXT,
	                       .an = {"txt.example. 300 IN TXT \"a b;c\\\"d\" \"\\010\\255\""}};
	assert_int_equal(store_msg(c, "www.example", &www, 0, 200, T0, -1), 0);
	assert_int_equal(store_msg(c, "www.example", &www_do, CACHE_MSG_DO, 200, T0, -1), 0);
	assert_int_equal(store_msg(c, "nx.example", &nx, 0, 300, T0, -1), 0);
	assert_int_equal(store_msg(c, "bogus.example", &bogus, CACHE_MSG_DO, 60, T0, 9), 0);
	assert_int_equal(store_denial(c, "example.", T0), 0);
	assert_int_equal(store_a(c, "pos.example", CACHE_MSG_CD, 3, 300, 5, T0), 0);
	assert_int_equal(store_msg(c, "txt.example", &txt, 0, 300, T0, 22), 0);
	assert_int_equal(rrset_put(c,
	                           rrs("example. 300 IN NS ns1.example.",
	                               "example. 300 IN NS ns2.example.", NULL),
	                           rrs("example. 300 IN RRSIG NS 8 1 300 20300101000000 "
	                               "20200101000000 1 example. AAAA",
	                               NULL),
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 100 IN A 192.0.2.53", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0),
	                 0);
	/* Unknown to ldns: written and read as TYPE65000. */
	assert_int_equal(rrset_put(c, rrs("odd.example. 300 IN TYPE65000 \\# 3 010203", NULL), NULL,
	                           CACHE_TRUST_ANSWER_NA, T0),
	                 0);
}

/* The same answers (or the same absence) for every key; returns how many were found. */
static int assert_same_msgs(struct cache *a, time_t at_a, struct cache *b, time_t at_b)
{
	static uint8_t out_a[WIRE_MSG_MAX], out_b[WIRE_MSG_MAX];
	int found = 0;
	for (size_t i = 0; i < sizeof(dump_keys) / sizeof(dump_keys[0]); i++) {
		uint8_t q[WIRE_DNAME_MAX];
		size_t la = 0, lb = 0;
		int ede_a = -2, ede_b = -2;
		dname(dump_keys[i].name, q);
		int rc = cache_msg_lookup(a, q, dump_keys[i].qtype, WIRE_CLASS_IN,
		                          dump_keys[i].flags, at_a, out_a, sizeof(out_a), &la,
		                          &ede_a);
		assert_int_equal(cache_msg_lookup(b, q, dump_keys[i].qtype, WIRE_CLASS_IN,
		                                  dump_keys[i].flags, at_b, out_b, sizeof(out_b),
		                                  &lb, &ede_b),
		                 rc);
		if (rc != 0)
			continue;
		found++;
		assert_int_equal(la, lb);
		assert_memory_equal(out_a, out_b, la);
		assert_int_equal(ede_a, ede_b);
	}
	return found;
}

static void assert_same_rrset(struct cache *a, time_t at_a, struct cache *b, time_t at_b,
                              const char *owner, ldns_rr_type type)
{
	enum cache_trust ta, tb;
	ldns_rr_list *sa = NULL, *sb = NULL;
	ldns_rr_list *ra = rrset_get(a, owner, type, at_a, &ta, &sa);
	ldns_rr_list *rb = rrset_get(b, owner, type, at_b, &tb, &sb);
	assert_true((ra == NULL) == (rb == NULL));
	if (ra == NULL)
		return;
	assert_int_equal(ldns_rr_list_compare(ra, rb), 0);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ra); i++)
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ra, i)),
		                 ldns_rr_ttl(ldns_rr_list_rr(rb, i)));
	assert_int_equal(ta, tb);
	assert_true((sa == NULL) == (sb == NULL));
	if (sa != NULL)
		assert_int_equal(ldns_rr_list_compare(sa, sb), 0);
	ldns_rr_list_deep_free(ra);
	ldns_rr_list_deep_free(rb);
	ldns_rr_list_deep_free(sa);
	ldns_rr_list_deep_free(sb);
}

static void test_cache_dump_load_round_trip(void **state)
{
	struct cache *a = cache_new(1 << 20, 4), *b = cache_new(1 << 20, 2);
	fill_for_dump(a);
	clock_fake_set(T0 + 30, 0);
	struct text t = dump_text(a, clock_wall());
	clock_fake_set(T0 + 1000, 0); /* loaded much later: TTLs count from the load */
	char err[200];
	size_t loaded = 0, skipped = 0;
	assert_int_equal(
	        cache_load(b, t.p, t.len, clock_wall(), err, sizeof(err), &loaded, &skipped), 0);
	assert_int_equal(loaded, 10);
	assert_int_equal(skipped, 0);
	struct cache_stats sa, sb;
	cache_stats_get(a, &sa);
	cache_stats_get(b, &sb);
	assert_int_equal(sa.entries, sb.entries);
	/* Expiry moves with the load: the bogus answer had 30 s left at the dump. */
	assert_true(msg_present(b, "bogus.example", WIRE_TYPE_A, CACHE_MSG_DO, T0 + 1029));
	assert_int_equal(assert_same_msgs(a, T0 + 30, b, T0 + 1000), 7);
	assert_true(rrset_present(b, "odd.example.", 65000, T0 + 1000));
	/* Second by second, as the entries count down and expire one after another. */
	for (time_t k = 0; k <= 300; k++) {
		assert_same_msgs(a, T0 + 30 + k, b, T0 + 1000 + k);
		assert_same_rrset(a, T0 + 30 + k, b, T0 + 1000 + k, "example.", LDNS_RR_TYPE_NS);
		assert_same_rrset(a, T0 + 30 + k, b, T0 + 1000 + k, "odd.example.", 65000);
		assert_same_rrset(a, T0 + 30 + k, b, T0 + 1000 + k, "ns1.example.", LDNS_RR_TYPE_A);
	}
	assert_int_equal(assert_same_msgs(a, T0 + 330, b, T0 + 1300), 0);
	clock_fake_clear();
	free(t.p);
	cache_free(a);
	cache_free(b);
}

static void test_cache_dump_ttls_remaining(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 100 IN A 192.0.2.53", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0),
	                 0);
	assert_int_equal(store_a(c, "pos.example", CACHE_MSG_DO, 1, 300, 5, T0), 0);
	struct text t = dump_text(c, T0 + 40);
	assert_non_null(strstr(t.p, "$RRSET trust=glue ttl=60 rrs=1 sigs=0\n"
	                            "ns1.example.\t60\tIN\tA\t192.0.2.53\n"));
	assert_non_null(strstr(t.p, "$MSG qname=pos.example. qtype=A qclass=IN keyflags=do "
	                            "ttl=260 id=4660 opcode=QUERY rcode=NOERROR flags=qr,rd,ra "
	                            "ede=none qd=1 an=1 ns=0 ar=0\n$QUESTION\npos.example.\tIN\tA\n"
	                            "$ANSWER\npos.example.\t260\tIN\tA\t0.0.0.5\n$AUTHORITY\n"
	                            "$ADDITIONAL\n"));
	free(t.p);
	cache_free(c);
}

static void test_cache_dump_header_and_end(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct text t = dump_text(c, T0);
	assert_string_equal(t.p, "; mangrove cache dump version 1 time 1700000000\n"
	                         "$END entries=0\n");
	free(t.p);
	fill_for_dump(c);
	t = dump_text(c, T0);
	assert_true(strncmp(t.p, "; mangrove cache dump version 1 time 1700000000\n", 48) == 0);
	assert_non_null(strstr(t.p, "\n$END entries=10\n"));
	free(t.p);
	cache_free(c);
}

static void test_cache_dump_expired_not_dumped(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	assert_int_equal(store_a(c, "short.example", 0, 1, 10, 1, T0), 0);
	assert_int_equal(store_a(c, "long.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(rrset_put(c, rrs("gone.example. 10 IN A 192.0.2.1", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0),
	                 0);
	struct text t = dump_text(c, T0 + 10);
	assert_null(strstr(t.p, "short.example"));
	assert_null(strstr(t.p, "gone.example"));
	assert_non_null(strstr(t.p, "long.example"));
	assert_non_null(strstr(t.p, "$END entries=1\n"));
	free(t.p);
	cache_free(c);
}

static void test_cache_dump_write_error_stops(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	fill_for_dump(c);
	struct text t = {.fail_at = 3};
	assert_int_equal(cache_dump(c, T0, text_write, &t), 7);
	assert_int_equal(t.writes, 3);
	free(t.p);
	cache_free(c);
}

static void test_cache_dump_unreadable_rdata_generic(void **state)
{
	/* ldns prints an MX without its exchange as "MX 1" and a CAA whose tag has a space not at
	 * all, and reads neither back: both go out in the RFC 3597 form and come back the same. */
	struct cache *a = cache_new(1 << 20, 4), *b = cache_new(1 << 20, 4);
	ldns_rr_list *set = rrs("odd.example. 300 IN MX 1 mx.example.", NULL);
	ldns_rdf_deep_free(ldns_rr_pop_rdf(ldns_rr_list_rr(set, 0)));
	assert_int_equal(rrset_put(a, set, NULL, CACHE_TRUST_ANSWER_NA, T0), 0);
	struct msg_spec caa = {.qname = "caa.example.",
	                       .qtype = 257,
	                       .an = {"caa.example. 300 IN TYPE257 \\# 6 000361206378"}};
	assert_int_equal(store_msg(a, "caa.example", &caa, 0, 300, T0, -1), 0);
	struct text t = dump_text(a, T0);
	assert_non_null(strstr(t.p, "\nodd.example.\t300\tCLASS1\tTYPE15\t\\# 2 0001\n"));
	assert_non_null(strstr(t.p, "\ncaa.example.\t300\tCLASS1\tTYPE257\t\\# 6 000361206378\n"));
	size_t loaded = 0;
	assert_int_equal(cache_load(b, t.p, t.len, T0, NULL, 0, &loaded, NULL), 0);
	assert_int_equal(loaded, 2);
	struct text t2 = dump_text(b, T0);
	assert_int_equal(t.len, t2.len); /* same entries, maybe in another order */
	uint8_t q[WIRE_DNAME_MAX], out_a[512], out_b[512];
	size_t la, lb;
	dname("caa.example", q);
	assert_int_equal(cache_msg_lookup(a, q, 257, 1, 0, T0, out_a, sizeof(out_a), &la, NULL), 0);
	assert_int_equal(cache_msg_lookup(b, q, 257, 1, 0, T0, out_b, sizeof(out_b), &lb, NULL), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(out_a, out_b, la);
	assert_same_rrset(a, T0, b, T0, "odd.example.", LDNS_RR_TYPE_MX);
	free(t.p);
	free(t2.p);
	cache_free(a);
	cache_free(b);
}

/* cache_load() of text into a fresh cache; err gets the message. */
static int load_str(const char *text, char *err, size_t errlen, size_t *loaded, size_t *skipped)
{
	struct cache *c = cache_new(1 << 20, 4);
	int rc = cache_load(c, text, strlen(text), T0, err, errlen, loaded, skipped);
	cache_free(c);
	return rc;
}

#define HDR "; mangrove cache dump version 1 time 1700000000\n"

static void test_cache_load_ttl_zero_skipped(void **state)
{
	size_t loaded = 9, skipped = 9;
	char err[200];
	const char *text = HDR "$RRSET trust=glue ttl=0 rrs=1 sigs=0\n"
	                       "a.example. 0 IN A 192.0.2.1\n"
	                       "$RRSET trust=glue ttl=5 rrs=1 sigs=0\n"
	                       "b.example. 0 IN A 192.0.2.1\n"
	                       "$MSG qname=c.example. qtype=A qclass=IN keyflags=- ttl=0 id=0 "
	                       "opcode=QUERY rcode=NXDOMAIN flags=qr ede=none qd=0 an=0 ns=0 ar=0\n"
	                       "$QUESTION\n$ANSWER\n$AUTHORITY\n$ADDITIONAL\n"
	                       "; a comment\n\n"
	                       "$RRSET trust=answer-aa ttl=5 rrs=1 sigs=0\n"
	                       "d.example. 5 IN A 192.0.2.1\n"
	                       "$END entries=4\n";
	assert_int_equal(load_str(text, err, sizeof(err), &loaded, &skipped), 0);
	assert_int_equal(loaded, 1);
	assert_int_equal(skipped, 3);
}

static void test_cache_load_error_keeps_earlier(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	char err[200];
	size_t loaded = 0;
	const char *text = HDR "$RRSET trust=glue ttl=50 rrs=1 sigs=0\n"
	                       "a.example. 50 IN A 192.0.2.1\n"
	                       "$RRSET trust=glue ttl=50 rrs=1 sigs=0\n"
	                       "b.example. 50 IN A 192.0.2.300\n"
	                       "$RRSET trust=glue ttl=50 rrs=1 sigs=0\n"
	                       "c.example. 50 IN A 192.0.2.1\n"
	                       "$END entries=3\n";
	assert_int_equal(cache_load(c, text, strlen(text), T0, err, sizeof(err), &loaded, NULL),
	                 ERR_SYNTAX);
	assert_true(strncmp(err, "line 5: bad record", 18) == 0);
	assert_int_equal(loaded, 1);
	assert_true(rrset_present(c, "a.example.", LDNS_RR_TYPE_A, T0));
	assert_false(rrset_present(c, "c.example.", LDNS_RR_TYPE_A, T0));
	cache_free(c);
}

/* Each bad text, and the start of the message it must give. */
static const struct {
	const char *text;
	const char *err;
} bad_dumps[] = {
        {"", "line 1: not a mangrove cache dump"},
        {"$END entries=0\n", "line 1: not a mangrove cache dump"},
        {"; mangrove cache dump version 2 time 1\n$END entries=0\n", "line 1: dump version 2"},
        {"; mangrove cache dump version x\n", "line 1: bad header"},
        {HDR, "line 2: the dump ends without $END"},
        {HDR "\n; only comments\n", "line 4: the dump ends without $END"},
        {HDR "$END entries=1\n", "line 2: $END says 1 entries, 0 were read"},
        {HDR "$END entries=0\n$END entries=0\n", "line 3: text after $END"},
        {HDR "$END\n", "line 2: missing field 'entries'"},
        {HDR "$FOO x=1\n", "line 2: $RRSET, $MSG or $END expected"},
        {HDR "$RRSET trust=glue ttl=5 rrs=1\n", "line 2: missing field 'sigs'"},
        {HDR "$RRSET trust=glue ttl=5 rrs=1 sigs=0 sigs=0\n", "line 2: field 'sigs' given twice"},
        {HDR "$RRSET trust=glue ttl=5 rrs=1 sigs=0 x=0\n", "line 2: unknown field 'x'"},
        {HDR "$RRSET trust=glue ttl=5 rrs=1 sigs\n", "line 2: 'sigs' is not key=value"},
        {HDR "$RRSET trust=best ttl=5 rrs=1 sigs=0\n", "line 2: bad trust"},
        {HDR "$RRSET trust=glue ttl=-5 rrs=1 sigs=0\n", "line 2: bad ttl"},
        {HDR "$RRSET trust=glue ttl=4294967296 rrs=1 sigs=0\n", "line 2: bad ttl"},
        {HDR "$RRSET trust=glue ttl=5 rrs=0 sigs=0\n", "line 2: an RRset needs records"},
        {HDR "$RRSET trust=glue ttl=5 rrs=99999999 sigs=0\n", "line 2: bad rrs"},
        {HDR "$RRSET trust=glue ttl=5 rrs=2 sigs=0\na. 5 IN A 192.0.2.1\n",
         "line 4: the text ends inside an entry (1 of 2 records)"},
        {HDR "$RRSET trust=glue ttl=5 rrs=2 sigs=0\na. 5 IN A 192.0.2.1\n$END entries=0\n",
         "line 4: a record expected (1 of 2)"},
        {HDR "$RRSET trust=glue ttl=5 rrs=2 sigs=0\na. 5 IN A 192.0.2.1\nb. 5 IN A 192.0.2.1\n",
         "line 2: entry not accepted by the cache"},
        {HDR "$RRSET trust=glue ttl=5 rrs=1 sigs=0\na. 5 IN A 192.0.2\n", "line 3: bad record"},
        {HDR "$MSG qname=a. qtype=A\n", "line 2: missing field 'qclass'"},
        {HDR "$MSG qname=a.. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad qname"},
        {HDR "$MSG qname=a. qtype=BOGUS qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad qtype"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=do,do ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad keyflags"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=65536 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad id"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=16 flags=qr ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad rcode"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr,zz ede=none qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad flags"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=x qd=0 an=0 ns=0 ar=0\n",
         "line 2: bad ede"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n$ANSWER\n",
         "line 3: $QUESTION expected"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=1 an=0 ns=0 ar=0\n$QUESTION\n",
         "line 4: the text ends inside an entry (0 of 1 records)"},
        {HDR "$MSG qname=a. qtype=A qclass=IN keyflags=- ttl=5 id=0 opcode=QUERY "
             "rcode=NOERROR flags=qr ede=none qd=0 an=0 ns=0 ar=0\n$QUESTION\n$ANSWER\n",
         "line 5: the text ends inside an entry ($AUTHORITY expected)"},
};

static void test_cache_load_bad_input_line_numbers(void **state)
{
	for (size_t i = 0; i < sizeof(bad_dumps) / sizeof(bad_dumps[0]); i++) {
		char err[300] = "unset";
		size_t loaded = 9;
		int rc = load_str(bad_dumps[i].text, err, sizeof(err), &loaded, NULL);
		if (rc != ERR_SYNTAX ||
		    strncmp(err, bad_dumps[i].err, strlen(bad_dumps[i].err)) != 0)
			fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err,
			         bad_dumps[i].err);
		assert_int_equal(loaded, 0);
	}
}

static void test_cache_load_nul_byte(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	char err[200];
	static const char text[] =
	        HDR "$RRSET trust=glue ttl=5 rrs=1 sigs=0\na. 5 IN A 1.2.3.4\0x\n";
	assert_int_equal(cache_load(c, text, sizeof(text) - 1, T0, err, sizeof(err), NULL, NULL),
	                 ERR_SYNTAX);
	assert_string_equal(err, "line 3: NUL byte in the text");
	cache_free(c);
}

static void test_cache_load_line_too_long(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	size_t len = strlen(HDR) + CACHE_DUMP_LINE_MAX + 2;
	char *text = malloc(len);
	char err[200];
	memcpy(text, HDR, strlen(HDR));
	memset(text + strlen(HDR), ';', CACHE_DUMP_LINE_MAX + 1);
	text[len - 1] = '\n';
	assert_int_equal(cache_load(c, text, len, T0, err, sizeof(err), NULL, NULL), ERR_SYNTAX);
	assert_string_equal(err, "line 2: line longer than 65536 bytes");
	/* One byte less is a (comment) line like any other. */
	text[len - 2] = '\n';
	assert_int_equal(cache_load(c, text, len - 1, T0, err, sizeof(err), NULL, NULL),
	                 ERR_SYNTAX);
	assert_string_equal(err, "line 3: the dump ends without $END (cut short?)");
	free(text);
	cache_free(c);
}

static void test_cache_load_truncated_dumps(void **state)
{
	struct cache *a = cache_new(1 << 20, 4);
	fill_for_dump(a);
	struct text t = dump_text(a, T0);
	/* Every cut short of the last newline is an error with a line number, never a crash. */
	for (size_t cut = 0; cut + 1 < t.len; cut++) {
		struct cache *b = cache_new(1 << 20, 4);
		char err[300] = "";
		size_t loaded = 0;
		int rc = cache_load(b, t.p, cut, T0, err, sizeof(err), &loaded, NULL);
		if (rc != ERR_SYNTAX || strncmp(err, "line ", 5) != 0)
			fail_msg("cut at %zu: rc %d, err '%s'", cut, rc, err);
		assert_true(loaded <= 10);
		cache_free(b);
	}
	free(t.p);
	cache_free(a);
}

static void test_cache_load_garbled_dumps(void **state)
{
	struct cache *a = cache_new(1 << 20, 4);
	fill_for_dump(a);
	struct text t = dump_text(a, T0);
	char *copy = malloc(t.len);
	uint32_t x = 12345; /* fixed seed: the same garbling every run */
	static const char junk[] = "$=;\\#()\"\n\r\t 0a.-\xff";
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, t.p, t.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % t.len;
			x = x * 1103515245u + 12345u;
			copy[at] =
			        (round & 1) ? junk[(x >> 8) % (sizeof(junk) - 1)] : (char)(x >> 16);
		}
		struct cache *b = cache_new(1 << 20, 4);
		char err[300] = "";
		int rc = cache_load(b, copy, t.len, T0, err, sizeof(err), NULL, NULL);
		if (rc != 0 && (rc != ERR_SYNTAX || strncmp(err, "line ", 5) != 0))
			fail_msg("round %d: rc %d, err '%s'", round, rc, err);
		cache_free(b);
	}
	free(copy);
	free(t.p);
	cache_free(a);
}

static void test_cache_dump_line_too_long_commented(void **state)
{
	/* 140 strings of 255 unprintable bytes: too long for ldns to read back as text, and
	 * still over the line limit in the generic form (72 KB of hex). */
	struct cache *c = cache_new(1 << 20, 1);
	ldns_rr_list *set = rrs("big.example. 300 IN TXT \"x\"", NULL);
	static uint8_t rd[140 * 256];
	for (int i = 0; i < 140; i++) {
		rd[i * 256] = 255;
		memset(rd + i * 256 + 1, 1, 255);
	}
	ldns_rdf *old = ldns_rr_pop_rdf(ldns_rr_list_rr(set, 0));
	ldns_rdf_deep_free(old);
	for (int i = 0; i < 140; i++)
		ldns_rr_push_rdf(ldns_rr_list_rr(set, 0),
		                 ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 256, rd + i * 256));
	assert_int_equal(rrset_put(c, set, NULL, CACHE_TRUST_ANSWER_AA, T0), 0);
	put_a_rrset(c, "small.example.");
	struct text t = dump_text(c, T0);
	assert_non_null(strstr(
	        t.p, "\n; not dumped: RRset big.example. type TXT: a line would be too long\n"));
	assert_non_null(strstr(t.p, "\n$END entries=1\n"));
	size_t loaded = 0;
	struct cache *b = cache_new(1 << 20, 1);
	assert_int_equal(cache_load(b, t.p, t.len, T0, NULL, 0, &loaded, NULL), 0);
	assert_int_equal(loaded, 1);
	free(t.p);
	cache_free(b);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cache_flush_name_leaves_sibling),
	        cmocka_unit_test(test_cache_flush_name_case_insensitive),
	        cmocka_unit_test(test_cache_flush_name_type_zero_every_type),
	        cmocka_unit_test(test_cache_flush_name_bad_name),
	        cmocka_unit_test(test_cache_flush_zone_subtree),
	        cmocka_unit_test(test_cache_flush_name_drops_enclosing_denials),
	        cmocka_unit_test(test_cache_flush_zone_root_everything),
	        cmocka_unit_test(test_cache_flush_bogus_only_bogus),
	        cmocka_unit_test(test_cache_flush_negative_only_negative),
	        cmocka_unit_test(test_cache_flush_accounting_exact),
	        cmocka_unit_test(test_infra_flush_one_address),
	        cmocka_unit_test(test_infra_flush_all),
	        cmocka_unit_test(test_cache_dump_load_round_trip),
	        cmocka_unit_test(test_cache_dump_ttls_remaining),
	        cmocka_unit_test(test_cache_dump_header_and_end),
	        cmocka_unit_test(test_cache_dump_expired_not_dumped),
	        cmocka_unit_test(test_cache_dump_write_error_stops),
	        cmocka_unit_test(test_cache_dump_unreadable_rdata_generic),
	        cmocka_unit_test(test_cache_load_ttl_zero_skipped),
	        cmocka_unit_test(test_cache_load_error_keeps_earlier),
	        cmocka_unit_test(test_cache_load_bad_input_line_numbers),
	        cmocka_unit_test(test_cache_load_nul_byte),
	        cmocka_unit_test(test_cache_load_line_too_long),
	        cmocka_unit_test(test_cache_load_truncated_dumps),
	        cmocka_unit_test(test_cache_load_garbled_dumps),
	        cmocka_unit_test(test_cache_dump_line_too_long_commented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
