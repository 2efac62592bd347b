/*
 * test_request.c - the request module: the client reply (req_reply_finish:
 * ID, flags, question case, OPT, EDE, truncation), the cache-hit path and
 * its counters, TTL clamping and the negative TTL of RFC 2308 §5, what is
 * not cached, and root hints loading.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/iterator/iter_internal.h"
#include "alloc_count.h"
#include "fake_auth.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/request.h"
#include "mangrove/wire.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/* The root delegates example.test. straight to its server. */
static const char root_zone[] =
        ". 86400 IN SOA a.root-servers.test. hostmaster.root-servers.test. 1 1800 900 604800 "
        "86400\n"
        ". 518400 IN NS a.root-servers.test.\n"
        "a.root-servers.test. 518400 IN A 192.0.2.1\n"
        "example.test. 172800 IN NS ns1.example.test.\n"
        "ns1.example.test. 172800 IN A 192.0.2.11\n";

#define LEAF_HEAD                                                                                  \
	"example.test. 3600 IN NS ns1.example.test.\n"                                             \
	"ns1.example.test. 3600 IN A 192.0.2.11\n"                                                 \
	"www.example.test. 3600 IN A 192.0.2.80\n"                                                 \
	"big.example.test. 604800 IN A 192.0.2.81\n"                                               \
	"small.example.test. 5 IN A 192.0.2.82\n"

/* SOA TTL 3600, MINIMUM 300. */
static const char leaf_zone[] = "example.test. 3600 IN SOA ns1.example.test. h.example.test. 1 "
                                "1800 900 604800 300\n" LEAF_HEAD;
/* SOA TTL 60, MINIMUM 600. */
static const char leaf_zone_short_soa[] = "example.test. 60 IN SOA ns1.example.test. "
                                          "h.example.test. 1 1800 900 604800 600\n" LEAF_HEAD;

struct fx {
	struct fake_env env;
	struct fake_world *w;
	struct fake_server *root, *leaf;
};

static void world_build(struct fx *f, const char *leaf_text)
{
	fake_world_free(f->w);
	f->w = fake_world_new();
	assert_non_null(f->w);
	f->root = fake_server_add(f->w, "192.0.2.1");
	f->leaf = fake_server_add(f->w, "192.0.2.11");
	assert_non_null(f->root);
	assert_non_null(f->leaf);
	assert_int_equal(fake_server_zone(f->root, ".", root_zone), 0);
	assert_int_equal(fake_server_zone(f->leaf, "example.test.", leaf_text), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fake_clock_start();
	assert_int_equal(fake_env_init(&f->env, "a.root-servers.test.", "192.0.2.1"), 0);
	world_build(f, leaf_zone);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fake_world_free(f->w);
	fake_env_deinit(&f->env);
	clock_fake_clear();
	free(f);
	return 0;
}

static ldns_pkt *resolve(struct fx *f, const char *name, uint16_t type, struct wire_ede *ede,
                         struct fake_run *run)
{
	ldns_pkt *p = fake_resolve(&f->env, f->w, name, type, ede, run);
	assert_non_null(p);
	return p;
}

/* ---- client queries and answers built with ldns ---- */

struct client_query {
	uint8_t *wire;
	size_t len;
	struct wire_query q;
};

static void client_query(struct client_query *c, const char *name, uint16_t type, uint16_t id,
                         bool edns, bool do_bit, bool cd)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_cd(p, cd);
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_do(p, do_bit);
	}
	assert_int_equal(ldns_pkt2wire(&c->wire, p, &c->len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	assert_int_equal(wire_query_parse(c->wire, c->len, &c->q), 0);
	assert_int_equal(c->q.has_edns, edns);
}

/* An answer as req_answer() gives it: lower-case question, n A records, no OPT. */
static size_t answer_wire(uint8_t *buf, size_t cap, const char *name, unsigned n)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_aa(p, true); /* the reply must not keep it: a resolver is not authoritative */
	for (unsigned i = 0; i < n; i++) {
		char text[128];
		ldns_rr *rr = NULL;
		snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.%u", name, i % 250);
		assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	uint8_t *wire = NULL;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_true(len <= cap);
	memcpy(buf, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

static ldns_pkt *parse(const uint8_t *wire, size_t len)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, wire, len), LDNS_STATUS_OK);
	return p;
}

/* ---- req_reply_finish ---- */

static void test_req_reply_finish_patches_header_and_question(void **state)
{
	uint8_t buf[4096];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 1);
	struct client_query c;
	client_query(&c, "WwW.ExAmPlE.tEsT.", LDNS_RR_TYPE_A, 0xbeef, false, false, true);
	size_t n = req_reply_finish(buf, len, sizeof(buf), &c.q, 512, NULL, 1232);
	assert_int_equal(n, len);
	ldns_pkt *p = parse(buf, n);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_ra(p));
	assert_true(ldns_pkt_rd(p));
	assert_true(ldns_pkt_cd(p));
	assert_false(ldns_pkt_aa(p));
	assert_false(ldns_pkt_tc(p));
	/* RFC 1035 §7.3 / 0x20: the question exactly as the client spelled it. */
	assert_memory_equal(buf + WIRE_HDR_LEN, c.q.qname, c.q.qname_len);
	assert_false(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	free(c.wire);
}

static void test_req_reply_finish_appends_opt_with_do(void **state)
{
	uint8_t buf[4096];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 1);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 7, true, true, false);
	size_t n = req_reply_finish(buf, len, sizeof(buf), &c.q, 1232, NULL, 1232);
	assert_true(n > len);
	ldns_pkt *p = parse(buf, n);
	assert_true(ldns_pkt_edns(p));
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_int_equal(ldns_pkt_arcount(p), 0); /* ldns keeps the OPT apart */
	assert_int_equal(wire_read_u16(buf + 10), 1);
	assert_int_equal(fake_pkt_ede(p), -1);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	free(c.wire);
}

static void test_req_reply_finish_opt_without_do(void **state)
{
	uint8_t buf[4096];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 1);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 7, true, false, false);
	size_t n = req_reply_finish(buf, len, sizeof(buf), &c.q, 1232, NULL, 1232);
	ldns_pkt *p = parse(buf, n);
	assert_true(ldns_pkt_edns(p));
	assert_false(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);
	free(c.wire);
}

static void test_req_reply_finish_ede(void **state)
{
	uint8_t buf[4096];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 0);
	wire_write_u16(buf + 2, (uint16_t)(wire_read_u16(buf + 2) | WIRE_RCODE_SERVFAIL));
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 7, true, false, false);
	struct wire_ede ede = {.code = WIRE_EDE_NO_REACHABLE_AUTHORITY,
	                       .text = "no reachable authority"};
	size_t n = req_reply_finish(buf, len, sizeof(buf), &c.q, 1232, &ede, 1232);
	ldns_pkt *p = parse(buf, n);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(fake_pkt_ede(p), WIRE_EDE_NO_REACHABLE_AUTHORITY);
	ldns_pkt_free(p);
	free(c.wire);
}

static void test_req_reply_finish_truncates_over_limit(void **state)
{
	uint8_t buf[8192];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 100);
	assert_true(len > 1232);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 9, true, true, false);
	size_t n = req_reply_finish(buf, len, sizeof(buf), &c.q, 1232, NULL, 1232);
	/* RFC 6891 §7: header, question and OPT, TC=1. */
	assert_int_equal(n, WIRE_HDR_LEN + c.q.qname_len + 4 + 11);
	ldns_pkt *p = parse(buf, n);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_id(p), 9);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	assert_true(ldns_pkt_edns(p));
	assert_true(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);
	free(c.wire);
}

static void test_req_reply_finish_limit_512_without_edns(void **state)
{
	uint8_t buf[4096];
	size_t len = answer_wire(buf, sizeof(buf), "www.example.test.", 40); /* ~ 680 bytes */
	assert_true(len > 512 && len < 1232);
	struct client_query plain, edns;
	client_query(&plain, "www.example.test.", LDNS_RR_TYPE_A, 1, false, false, false);
	client_query(&edns, "www.example.test.", LDNS_RR_TYPE_A, 2, true, false, false);
	/* RFC 1035 §4.2.1: 512 bytes for a client without EDNS. */
	assert_int_equal(wire_query_udp_limit(&plain.q, 4096), 512);
	size_t n = req_reply_finish(buf, len, sizeof(buf), &plain.q,
	                            wire_query_udp_limit(&plain.q, 4096), NULL, 1232);
	assert_int_equal(n, WIRE_HDR_LEN + plain.q.qname_len + 4);
	ldns_pkt *p = parse(buf, n);
	assert_true(ldns_pkt_tc(p));
	assert_false(ldns_pkt_edns(p));
	ldns_pkt_free(p);

	len = answer_wire(buf, sizeof(buf), "www.example.test.", 40);
	n = req_reply_finish(buf, len, sizeof(buf), &edns.q, wire_query_udp_limit(&edns.q, 4096),
	                     NULL, 1232);
	p = parse(buf, n);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 40);
	ldns_pkt_free(p);
	free(plain.wire);
	free(edns.wire);
}

static void test_req_reply_finish_short_answer_fails(void **state)
{
	uint8_t buf[4096];
	answer_wire(buf, sizeof(buf), "www.example.test.", 1);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 1, false, false, false);
	/* A buffer too short for the question cannot be finished. */
	assert_int_equal(req_reply_finish(buf, WIRE_HDR_LEN + 2, sizeof(buf), &c.q, 512, NULL, 0),
	                 0);
	free(c.wire);
}

/* ---- the cache-hit path ---- */

static void store_answer(struct fx *f, const char *name, uint8_t flags, uint32_t ttl)
{
	uint8_t buf[4096], qname[WIRE_DNAME_MAX];
	size_t len = answer_wire(buf, sizeof(buf), name, 1);
	assert_int_equal(cache_msg_store(f->env.cache, fake_dname(name, qname), LDNS_RR_TYPE_A,
	                                 LDNS_RR_CLASS_IN, flags, buf, len, ttl, clock_wall(), -1),
	                 0);
}

static void test_req_cache_answer_hit_counts(void **state)
{
	struct fx *f = *state;
	store_answer(f, "www.example.test.", 0, 300);
	struct client_query c;
	client_query(&c, "WWW.example.test.", LDNS_RR_TYPE_A, 0x1234, true, false, false);
	uint8_t out[4096];
	size_t n = req_cache_answer(&f->env.env, &c.q, 1232, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(f->env.stats.cache_hits, 1);
	assert_int_equal(f->env.stats.cache_misses, 0);
	ldns_pkt *p = parse(out, n);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_true(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_memory_equal(out + WIRE_HDR_LEN, c.q.qname, c.q.qname_len);
	ldns_pkt_free(p);
	free(c.wire);
}

/* DESIGN.md "The hot path": parse, cache copy and reply finishing allocate nothing. */
static void test_req_cache_answer_no_alloc(void **state)
{
#ifdef COUNT_ALLOCS
	struct fx *f = *state;
	store_answer(f, "www.example.test.", 0, 300);
	struct client_query c;
	client_query(&c, "www.EXAMPLE.test.", LDNS_RR_TYPE_A, 7, true, false, false);
	uint8_t out[4096];
	struct wire_query q;
	alloc_calls = 0;
	alloc_counting = 1;
	int rc = wire_query_parse(c.wire, c.len, &q);
	size_t n = req_cache_answer(&f->env.env, &q, 1232, out, sizeof(out));
	alloc_counting = 0;
	assert_int_equal(rc, 0);
	assert_true(n > 0);
	assert_int_equal(alloc_calls, 0);
	/* The counter is live: a miss that builds an answer would be seen. */
	alloc_counting = 1;
	store_answer(f, "other.example.test.", 0, 300);
	alloc_counting = 0;
	assert_true(alloc_calls > 0);
	free(c.wire);
#else
	skip();
#endif
}

static void test_req_cache_answer_miss_counts(void **state)
{
	struct fx *f = *state;
	store_answer(f, "www.example.test.", 0, 300);
	struct client_query c;
	client_query(&c, "other.example.test.", LDNS_RR_TYPE_A, 1, false, false, false);
	uint8_t out[4096];
	assert_int_equal(req_cache_answer(&f->env.env, &c.q, 512, out, sizeof(out)), 0);
	assert_int_equal(f->env.stats.cache_misses, 1);
	assert_int_equal(f->env.stats.cache_hits, 0);
	free(c.wire);
}

static void test_req_cache_answer_cd_is_another_entry(void **state)
{
	struct fx *f = *state;
	store_answer(f, "www.example.test.", 0, 300);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 1, false, false, true);
	assert_int_equal(req_query_flags(&c.q), CACHE_MSG_CD);
	uint8_t out[4096];
	assert_int_equal(req_cache_answer(&f->env.env, &c.q, 512, out, sizeof(out)), 0);
	assert_int_equal(f->env.stats.cache_misses, 1);
	free(c.wire);
}

static void test_req_cache_answer_expires(void **state)
{
	struct fx *f = *state;
	store_answer(f, "www.example.test.", 0, 300);
	struct client_query c;
	client_query(&c, "www.example.test.", LDNS_RR_TYPE_A, 1, false, false, false);
	uint8_t out[4096];
	fake_clock_advance(299 * 1000);
	size_t n = req_cache_answer(&f->env.env, &c.q, 512, out, sizeof(out));
	assert_true(n > 0);
	ldns_pkt *p = parse(out, n);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 1);
	ldns_pkt_free(p);
	fake_clock_advance(1000);
	assert_int_equal(req_cache_answer(&f->env.env, &c.q, 512, out, sizeof(out)), 0);
	free(c.wire);
}

/* ---- TTLs of fresh answers ---- */

/* The reply the cache gives for (name, type) now, or NULL on a miss. */
static ldns_pkt *cached(struct fx *f, const char *name, uint16_t type)
{
	struct client_query c;
	client_query(&c, name, type, 1, true, false, false);
	uint8_t out[4096];
	size_t n = req_cache_answer(&f->env.env, &c.q, 4096, out, sizeof(out));
	free(c.wire);
	return n > 0 ? parse(out, n) : NULL;
}

static void test_req_answer_ttl_capped_by_cache_max_ttl(void **state)
{
	struct fx *f = *state;
	f->env.conf->cache_max_ttl = 3600;
	ldns_pkt *p = resolve(f, "big.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 3600);
	ldns_pkt_free(p);
	/* Held no longer than that either: after it the servers are asked again. */
	fake_clock_advance(3601 * 1000);
	assert_null(cached(f, "big.example.test.", LDNS_RR_TYPE_A));
	struct fake_run run;
	p = resolve(f, "big.example.test.", LDNS_RR_TYPE_A, NULL, &run);
	assert_true(run.sends > 0);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 3600);
	ldns_pkt_free(p);
}

static void test_req_answer_ttl_raised_by_cache_min_ttl(void **state)
{
	struct fx *f = *state;
	f->env.conf->cache_min_ttl = 300;
	ldns_pkt *p = resolve(f, "small.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 300);
	ldns_pkt_free(p);
	fake_clock_advance(200 * 1000);
	p = cached(f, "small.example.test.", LDNS_RR_TYPE_A);
	assert_non_null(p);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 100);
	ldns_pkt_free(p);
}

static void test_req_answer_negative_ttl_soa_minimum(void **state)
{
	struct fx *f = *state;
	/* RFC 2308 §5: min(SOA TTL 3600, MINIMUM 300) = 300. */
	ldns_pkt *p = resolve(f, "nope.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 300);
	ldns_pkt_free(p);
	fake_clock_advance(299 * 1000);
	p = cached(f, "nope.example.test.", LDNS_RR_TYPE_A);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	fake_clock_advance(1000);
	assert_null(cached(f, "nope.example.test.", LDNS_RR_TYPE_A));
}

static void test_req_answer_negative_ttl_soa_ttl(void **state)
{
	struct fx *f = *state;
	world_build(f, leaf_zone_short_soa);
	/* min(SOA TTL 60, MINIMUM 600) = 60, for NODATA as for NXDOMAIN. */
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 60);
	ldns_pkt_free(p);
	fake_clock_advance(61 * 1000);
	assert_null(cached(f, "www.example.test.", LDNS_RR_TYPE_AAAA));
}

static void test_req_answer_negative_ttl_capped(void **state)
{
	struct fx *f = *state;
	f->env.conf->cache_max_negative_ttl = 30;
	ldns_pkt *p = resolve(f, "nope.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(fake_pkt_ttl(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 30);
	ldns_pkt_free(p);
	fake_clock_advance(31 * 1000);
	assert_null(cached(f, "nope.example.test.", LDNS_RR_TYPE_A));
}

/* ---- what is not cached ---- */

static void test_req_answer_servfail_not_cached(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_DEAD);
	struct wire_ede ede;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	ldns_pkt_free(p);
	assert_null(cached(f, "www.example.test.", LDNS_RR_TYPE_A));
	fake_server_mode(f->leaf, FAKE_OK);
	fake_clock_advance(1000);
	p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

static void test_req_answer_nodata_without_soa_not_cached(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_NO_SOA);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	/* RFC 2308 §5: without the SOA there is no TTL to keep it for. */
	assert_null(cached(f, "www.example.test.", LDNS_RR_TYPE_AAAA));
	fake_world_log_clear(f->w);
	p = resolve(f, "www.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(fake_server_queries(f->leaf), 1);
	ldns_pkt_free(p);
}

static void test_req_answer_nxdomain_without_soa_not_cached(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_NO_SOA);
	ldns_pkt *p = resolve(f, "nope.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	assert_null(cached(f, "nope.example.test.", LDNS_RR_TYPE_A));
}

static void test_req_answer_positive_cached(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	p = cached(f, "www.example.test.", LDNS_RR_TYPE_A);
	assert_non_null(p);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

/* ---- root hints ---- */

/* Every NS target and address of a has the same in b (names compared without case). */
static bool hints_subset(const struct iter_hints *a, const struct iter_hints *b)
{
	const ldns_rr_list *lists[2][2] = {{a->ns, a->addrs}, {b->ns, b->addrs}};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(lists[0][k]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(lists[0][k], i);
			bool found = false;
			for (size_t j = 0; !found && j < ldns_rr_list_rr_count(lists[1][k]); j++) {
				const ldns_rr *o = ldns_rr_list_rr(lists[1][k], j);
				found = ldns_rr_get_type(rr) == ldns_rr_get_type(o) &&
				        ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(o)) ==
				                0 &&
				        ldns_rdf_compare(ldns_rr_rdf(rr, 0), ldns_rr_rdf(o, 0)) ==
				                0;
				if (!found && ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS)
					found = ldns_dname_compare(ldns_rr_rdf(rr, 0),
					                           ldns_rr_rdf(o, 0)) == 0;
			}
			if (!found)
				return false;
		}
	}
	return true;
}

static void test_iter_hints_load_file_equals_builtin(void **state)
{
	char err[256] = "";
	struct iter_hints *file = NULL, *builtin = NULL;
	assert_int_equal(iter_hints_load(SRCDIR "/etc/root.hints", &file, err, sizeof(err)), 0);
	assert_int_equal(iter_hints_load(NULL, &builtin, err, sizeof(err)), 0);
	assert_int_equal(ldns_rr_list_rr_count(file->ns), 13);
	assert_int_equal(ldns_rr_list_rr_count(file->ns), ldns_rr_list_rr_count(builtin->ns));
	assert_int_equal(ldns_rr_list_rr_count(file->addrs), ldns_rr_list_rr_count(builtin->addrs));
	assert_true(hints_subset(file, builtin));
	assert_true(hints_subset(builtin, file));
	iter_hints_free(file);
	iter_hints_free(builtin);
}

static char *write_temp(const char *text, char *path, size_t len)
{
	snprintf(path, len, "/tmp/mangrove-test-hints-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_iter_hints_load_bad_record_names_line(void **state)
{
	char path[64], err[512] = "", want[128];
	/* Blank lines after a record and comment lines before one both count. */
	write_temp(". 3600000 NS a.root.test.\n"
	           "\n"
	           "; a comment\n"
	           "\n"
	           "a.root.test. 3600000 A 300.1.2.3\n",
	           path, sizeof(path));
	struct iter_hints *h = NULL;
	int rc = iter_hints_load(path, &h, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, ERR_SYNTAX);
	assert_null(h);
	snprintf(want, sizeof(want), "%s:5:", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
}

static void test_iter_hints_load_wrong_type_names_line(void **state)
{
	char path[64], err[512] = "", want[128];
	write_temp(". 3600000 NS a.root.test.\n"
	           "a.root.test. 3600000 A 192.0.2.1\n"
	           "a.root.test. 3600000 MX 10 mail.root.test.\n",
	           path, sizeof(path));
	struct iter_hints *h = NULL;
	int rc = iter_hints_load(path, &h, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, ERR_SYNTAX);
	snprintf(want, sizeof(want), "%s:3:", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, want);
}

static void test_iter_hints_load_no_address(void **state)
{
	char path[64], err[512] = "";
	write_temp(". 3600000 NS a.root.test.\nb.root.test. 3600000 A 192.0.2.1\n", path,
	           sizeof(path));
	struct iter_hints *h = NULL;
	int rc = iter_hints_load(path, &h, err, sizeof(err));
	unlink(path);
	assert_int_equal(rc, ERR_SYNTAX);
	assert_non_null(strstr(err, path));
}

static void test_iter_hints_load_missing_file(void **state)
{
	char err[512] = "";
	struct iter_hints *h = NULL;
	assert_int_equal(iter_hints_load("/nonexistent/root.hints", &h, err, sizeof(err)), ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/root.hints"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_req_reply_finish_patches_header_and_question),
	        cmocka_unit_test(test_req_reply_finish_appends_opt_with_do),
	        cmocka_unit_test(test_req_reply_finish_opt_without_do),
	        cmocka_unit_test(test_req_reply_finish_ede),
	        cmocka_unit_test(test_req_reply_finish_truncates_over_limit),
	        cmocka_unit_test(test_req_reply_finish_limit_512_without_edns),
	        cmocka_unit_test(test_req_reply_finish_short_answer_fails),
	        T(test_req_cache_answer_hit_counts),
	        T(test_req_cache_answer_miss_counts),
	        T(test_req_cache_answer_no_alloc),
	        T(test_req_cache_answer_cd_is_another_entry),
	        T(test_req_cache_answer_expires),
	        T(test_req_answer_ttl_capped_by_cache_max_ttl),
	        T(test_req_answer_ttl_raised_by_cache_min_ttl),
	        T(test_req_answer_negative_ttl_soa_minimum),
	        T(test_req_answer_negative_ttl_soa_ttl),
	        T(test_req_answer_negative_ttl_capped),
	        T(test_req_answer_servfail_not_cached),
	        T(test_req_answer_nodata_without_soa_not_cached),
	        T(test_req_answer_nxdomain_without_soa_not_cached),
	        T(test_req_answer_positive_cached),
	        cmocka_unit_test(test_iter_hints_load_file_equals_builtin),
	        cmocka_unit_test(test_iter_hints_load_bad_record_names_line),
	        cmocka_unit_test(test_iter_hints_load_wrong_type_names_line),
	        cmocka_unit_test(test_iter_hints_load_no_address),
	        cmocka_unit_test(test_iter_hints_load_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
