/*
 * test_iterator.c - the iterator driven through req_step() against the fake
 * authoritative world of fake_auth.h on the fake clock: the delegation walk,
 * QNAME minimisation, negative answers, CNAME/DNAME, glue rules, server
 * failures and fallbacks, the limits of DESIGN.md, priming and the cache;
 * and server selection on its own.
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
#include "fake_auth.h"
#include "mangrove/anchor.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/request.h"
#include "mangrove/wire.h"

#define SOA_LINE(zone) zone " 3600 IN SOA ns1." zone " hostmaster." zone " 1 1800 900 604800 300\n"

static const char root_zone[] = FAKE_ROOT_ZONE;

static const char test_zone[] = SOA_LINE("test.") "test. 86400 IN NS ns1.test.\n"
                                                  "ns1.test. 86400 IN A 192.0.2.10\n"
                                                  "example.test. 86400 IN NS ns1.example.test.\n"
                                                  "ns1.example.test. 86400 IN A 192.0.2.11\n"
                                                  "glueless.test. 86400 IN NS ns.example.other.\n"
                                                  "loop1.test. 86400 IN NS ns.loop2.test.\n"
                                                  "loop2.test. 86400 IN NS ns.loop1.test.\n"
                                                  "sideways.test. 86400 IN NS ns1.test.\n"
                                                  "sideways.test. 86400 IN NS "
                                                  "ns.example.other.\n"
                                                  "both.test. 86400 IN NS ns1.test.\n"
                                                  "many.test. 86400 IN NS l1.ns.test.\n"
                                                  "many.test. 86400 IN NS l2.ns.test.\n"
                                                  "many.test. 86400 IN NS l3.ns.test.\n"
                                                  "many.test. 86400 IN NS l4.ns.test.\n"
                                                  "many.test. 86400 IN NS l5.ns.test.\n"
                                                  "many.test. 86400 IN NS l6.ns.test.\n"
                                                  "many.test. 86400 IN NS l7.ns.test.\n"
                                                  "many.test. 86400 IN NS ns.example.other.\n"
                                                  "l1.ns.test. 86400 IN A 192.0.2.51\n"
                                                  "l2.ns.test. 86400 IN A 192.0.2.52\n"
                                                  "l3.ns.test. 86400 IN A 192.0.2.53\n"
                                                  "l4.ns.test. 86400 IN A 192.0.2.54\n"
                                                  "l5.ns.test. 86400 IN A 192.0.2.55\n"
                                                  "l6.ns.test. 86400 IN A 192.0.2.56\n"
                                                  "l7.ns.test. 86400 IN A 192.0.2.57\n";

static const char example_test_zone[] =
        SOA_LINE("example.test.") "example.test. 3600 IN NS ns1.example.test.\n"
                                  "ns1.example.test. 3600 IN A 192.0.2.11\n"
                                  "www.example.test. 3600 IN A 192.0.2.80\n"
                                  "www2.example.test. 3600 IN A 192.0.2.83\n"
                                  "mail.example.test. 3600 IN MX 10 www.example.test.\n"
                                  "alias.example.test. 3600 IN CNAME www.example.test.\n"
                                  "ext.example.test. 3600 IN CNAME www.example.other.\n"
                                  "dn.example.test. 3600 IN DNAME example.other.\n"
                                  "ping.example.test. 3600 IN CNAME pong.example.other.\n"
                                  "broken.example.test. 3600 IN CNAME nothere.example.test.\n";

static const char other_zone[] =
        SOA_LINE("other.") "other. 86400 IN NS ns1.other.\n"
                           "ns1.other. 86400 IN A 192.0.2.20\n"
                           "example.other. 86400 IN NS ns1.example.other.\n"
                           "ns1.example.other. 86400 IN A 192.0.2.21\n";

static const char example_other_zone[] =
        SOA_LINE("example.other.") "example.other. 3600 IN NS ns1.example.other.\n"
                                   "ns1.example.other. 3600 IN A 192.0.2.21\n"
                                   "www.example.other. 3600 IN A 192.0.2.81\n"
                                   "ns.example.other. 3600 IN A 192.0.2.12\n"
                                   "pong.example.other. 3600 IN CNAME ping.example.test.\n";

static const char glueless_zone[] = SOA_LINE("glueless.test.") "glueless.test. 3600 IN NS "
                                                               "ns.example.other.\n"
                                                               "www.glueless.test. 3600 IN A "
                                                               "192.0.2.82\n"
                                                               "mail.glueless.test. 3600 IN A "
                                                               "192.0.2.87\n";

/* The standard world: a root, two TLDs, and leaf zones below them. */
struct fx {
	struct fake_env env;
	struct fake_world *w;
	struct fake_server *root, *tld, *leaf, *other, *eo, *gl;
};

static struct fake_server *add(struct fake_world *w, const char *addr, const char *origin,
                               const char *text)
{
	struct fake_server *s = fake_server_add(w, addr);
	assert_non_null(s);
	if (origin != NULL)
		assert_int_equal(fake_server_zone(s, origin, text), 0);
	return s;
}

/* A new standard world, with these root and example.test. zones. */
static void world_build(struct fx *f, const char *root_text, const char *leaf_text)
{
	fake_world_free(f->w);
	f->w = fake_world_new();
	assert_non_null(f->w);
	f->root = add(f->w, "192.0.2.1", ".", root_text);
	f->tld = add(f->w, "192.0.2.10", "test.", test_zone);
	f->leaf = add(f->w, "192.0.2.11", "example.test.", leaf_text);
	f->other = add(f->w, "192.0.2.20", "other.", other_zone);
	f->eo = add(f->w, "192.0.2.21", "example.other.", example_other_zone);
	f->gl = add(f->w, "192.0.2.12", "glueless.test.", glueless_zone);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fake_clock_start();
	assert_int_equal(fake_env_init(&f->env, "a.root-servers.test.", "192.0.2.1"), 0);
	world_build(f, root_zone, example_test_zone);
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

/* Log entry i asked server s for (name, type). */
static void assert_asked(struct fx *f, size_t i, const struct fake_server *s, const char *name,
                         uint16_t type)
{
	size_t n;
	const struct fake_query *log = fake_world_log(f->w, &n);
	assert_true(i < n);
	if (!fake_query_is(&log[i], s, name, type)) {
		char text[WIRE_DNAME_STR_MAX];
		fail_msg("query %zu: server %u asked %s type %u; expected %s type %u", i,
		         log[i].server, wire_dname_to_str(log[i].qname, text, sizeof(text)),
		         log[i].qtype, name, type);
	}
}

static size_t log_len(struct fx *f)
{
	size_t n;
	fake_world_log(f->w, &n);
	return n;
}

/* Queries sent to an address no server of the world has (poisoned glue). */
static unsigned unknown_queries(struct fx *f)
{
	size_t n;
	unsigned count = 0;
	const struct fake_query *log = fake_world_log(f->w, &n);
	for (size_t i = 0; i < n; i++)
		count += log[i].server == FAKE_NO_SERVER;
	return count;
}

/* ---- the delegation walk ---- */

static void test_iter_resolve_a_from_root(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(fake_server_queries(f->tld), 1);
	assert_int_equal(fake_server_queries(f->leaf), 1);
	assert_int_equal(fake_server_queries(f->other), 0);
	ldns_pkt_free(p);
}

static void test_iter_qname_minimisation_on(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "mail.example.test.", LDNS_RR_TYPE_MX, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_MX), 1);
	/* RFC 9156 §2.3: one label more per server, type A, the full question last. */
	assert_int_equal(log_len(f), 4);
	assert_asked(f, 0, f->root, ".", LDNS_RR_TYPE_NS);
	assert_asked(f, 1, f->root, "test.", LDNS_RR_TYPE_A);
	assert_asked(f, 2, f->tld, "example.test.", LDNS_RR_TYPE_A);
	assert_asked(f, 3, f->leaf, "mail.example.test.", LDNS_RR_TYPE_MX);
	ldns_pkt_free(p);
}

static void test_iter_qname_minimisation_off(void **state)
{
	struct fx *f = *state;
	f->env.conf->qname_minimisation = false;
	ldns_pkt *p = resolve(f, "mail.example.test.", LDNS_RR_TYPE_MX, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_MX), 1);
	assert_int_equal(log_len(f), 4);
	assert_asked(f, 0, f->root, ".", LDNS_RR_TYPE_NS);
	assert_asked(f, 1, f->root, "mail.example.test.", LDNS_RR_TYPE_MX);
	assert_asked(f, 2, f->tld, "mail.example.test.", LDNS_RR_TYPE_MX);
	assert_asked(f, 3, f->leaf, "mail.example.test.", LDNS_RR_TYPE_MX);
	ldns_pkt_free(p);
}

static void test_iter_nxdomain_with_soa(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "nope.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 1);
	assert_true(fake_pkt_has(p, LDNS_SECTION_AUTHORITY,
	                         "example.test. IN SOA ns1.example.test. hostmaster.example.test. "
	                         "1 1800 900 604800 300"));
	ldns_pkt_free(p);
}

static void test_iter_nodata_with_soa(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(p);
}

/* ---- CNAME and DNAME ---- */

static void test_iter_cname_in_zone(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "alias.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER,
	                         "alias.example.test. IN CNAME www.example.test."));
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(fake_server_queries(f->leaf), 1);
	ldns_pkt_free(p);
}

static void test_iter_cname_across_zones(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "ext.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER,
	                         "ext.example.test. IN CNAME www.example.other."));
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	/* The target was resolved anew, from the root down to its own zone. */
	assert_int_equal(fake_server_queries(f->other), 1);
	assert_int_equal(fake_server_queries(f->eo), 1);
	ldns_pkt_free(p);
}

static void test_iter_dname(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.dn.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	/* RFC 6672 §3.4: the DNAME and the CNAME synthesised from it, then the target. */
	assert_true(
	        fake_pkt_has(p, LDNS_SECTION_ANSWER, "dn.example.test. IN DNAME example.other."));
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER,
	                         "www.dn.example.test. IN CNAME www.example.other."));
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_int_equal(ldns_pkt_ancount(p), 3);
	ldns_pkt_free(p);
}

static void test_iter_cname_to_nxdomain(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "broken.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	/* RFC 6604 §2.1: the rcode is about the last name of the chain. */
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER,
	                         "broken.example.test. IN CNAME nothere.example.test."));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(p);
}

/* ---- delegations and glue ---- */

static void test_iter_ds_asked_at_parent(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "example.test.", LDNS_RR_TYPE_DS, NULL, NULL);
	/* RFC 4035 §3.1.4.1: the DS of a zone is in its parent. */
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_true(fake_pkt_has(p, LDNS_SECTION_AUTHORITY,
	                         "test. IN SOA ns1.test. hostmaster.test. 1 1800 900 604800 300"));
	assert_int_equal(fake_server_queries(f->leaf), 0);
	assert_int_equal(fake_server_queries(f->tld), 1);
	ldns_pkt_free(p);
}

static void test_iter_ns_query_at_apex(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "example.test.", LDNS_RR_TYPE_NS, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	/* The child's own NS set, not the parent's referral. */
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "example.test. IN NS ns1.example.test."));
	assert_int_equal(fake_server_queries(f->leaf), 1);
	ldns_pkt_free(p);
}

static void test_iter_parent_and_child_on_one_server(void **state)
{
	struct fx *f = *state;
	static const char both_zone[] = SOA_LINE("both.test.") "both.test. 3600 IN NS ns1.test.\n"
	                                                       "www.both.test. 3600 IN A "
	                                                       "192.0.2.85\n";
	assert_int_equal(fake_server_zone(f->tld, "both.test.", both_zone), 0);
	ldns_pkt *p = resolve(f, "www.both.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.both.test. IN A 192.0.2.85"));
	assert_int_equal(fake_server_queries(f->tld), 2);
	ldns_pkt_free(p);
}

static void test_iter_referral_to_same_zone_is_lame(void **state)
{
	struct fx *f = *state;
	/* sideways.test. names the test. server, which only knows the delegation. */
	static const char sideways_zone[] =
	        SOA_LINE("sideways.test.") "sideways.test. 3600 IN NS "
	                                   "ns.example.other.\n"
	                                   "www.sideways.test. 3600 IN A "
	                                   "192.0.2.86\n";
	assert_int_equal(fake_server_zone(f->gl, "sideways.test.", sideways_zone), 0);
	ldns_pkt *p = resolve(f, "www.sideways.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.sideways.test. IN A 192.0.2.86"));
	uint8_t zone[WIRE_DNAME_MAX];
	assert_true(infra_is_lame(f->env.infra, fake_server_addr(f->tld),
	                          fake_dname("sideways.test.", zone), clock_mono_ms()));
	assert_false(infra_is_lame(f->env.infra, fake_server_addr(f->tld),
	                           fake_dname("test.", zone), clock_mono_ms()));
	ldns_pkt_free(p);
}

static void test_iter_out_of_bailiwick_ns_in_referral_ignored(void **state)
{
	struct fx *f = *state;
	/* The test. server tries to take over other. through its authority section. */
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_AUTHORITY,
	                                    "other. 86400 IN NS ns.evil.test."),
	                 0);
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ADDITIONAL,
	                                    "ns.evil.test. 86400 IN A 203.0.113.99"),
	                 0);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	p = resolve(f, "www.example.other.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_int_equal(fake_server_queries(f->other), 1);
	assert_int_equal(unknown_queries(f), 0);
	ldns_pkt_free(p);
}

static void test_iter_glueless_delegation(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.glueless.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.glueless.test. IN A 192.0.2.82"));
	/* The NS name's address came from its own zone as a sub-question. */
	assert_true(fake_server_queries(f->eo) >= 1);
	assert_int_equal(fake_server_queries(f->gl), 1);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_SUBQUERIES], 0);
	ldns_pkt_free(p);
}

static void test_iter_out_of_bailiwick_glue_ignored(void **state)
{
	struct fx *f = *state;
	/* The test. server claims addresses for names in other.: RFC 2181 §5.4.1. */
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ADDITIONAL,
	                                    "ns.example.other. 3600 IN A 203.0.113.53"),
	                 0);
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ADDITIONAL,
	                                    "www.example.other. 3600 IN A 203.0.113.66"),
	                 0);
	ldns_pkt *p = resolve(f, "www.glueless.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.glueless.test. IN A 192.0.2.82"));
	assert_int_equal(unknown_queries(f), 0);
	ldns_pkt_free(p);

	/* Not cached either: the real answer wins. */
	ldns_rdf *owner = ldns_dname_new_frm_str("www.example.other.");
	ldns_rr_list *cached = cache_rrset_lookup(f->env.cache, owner, LDNS_RR_TYPE_A,
	                                          LDNS_RR_CLASS_IN, clock_wall(), NULL, NULL);
	assert_null(cached);
	ldns_rdf_deep_free(owner);
	p = resolve(f, "www.example.other.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_false(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 203.0.113.66"));
	assert_int_equal(fake_server_queries(f->eo), 2);
	ldns_pkt_free(p);
}

static void test_iter_out_of_zone_answer_ignored(void **state)
{
	struct fx *f = *state;
	assert_int_equal(fake_server_poison(f->leaf, LDNS_SECTION_ANSWER,
	                                    "www.example.other. 3600 IN A 203.0.113.66"),
	                 0);
	/* The leaf's CNAME points out of its zone, and it adds an address for the target. */
	ldns_pkt *p = resolve(f, "ext.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_false(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 203.0.113.66"));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	p = resolve(f, "www.example.other.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.other. IN A 192.0.2.81"));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}

static void test_iter_unrelated_answer_not_cached(void **state)
{
	struct fx *f = *state;
	/*
	 * The stand-in for a forged reply (the Kaminsky attack): the answer section
	 * carries an RRset of the same zone that is not on the question's chain.
	 */
	assert_int_equal(fake_server_poison(f->leaf, LDNS_SECTION_ANSWER,
	                                    "www2.example.test. 3600 IN A 203.0.113.66"),
	                 0);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fake_server_poison_clear(f->leaf);
	p = resolve(f, "www2.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 192.0.2.83"));
	assert_false(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 203.0.113.66"));
	ldns_pkt_free(p);
}

static void test_iter_unrelated_authority_not_cached(void **state)
{
	struct fx *f = *state;
	/* A NODATA reply whose authority section carries more than the SOA. */
	assert_int_equal(fake_server_poison(f->leaf, LDNS_SECTION_AUTHORITY,
	                                    "www2.example.test. 3600 IN A 203.0.113.66"),
	                 0);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	fake_server_poison_clear(f->leaf);
	p = resolve(f, "www2.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 192.0.2.83"));
	assert_false(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 203.0.113.66"));
	ldns_pkt_free(p);
}

static void test_iter_referral_other_ns_not_cached(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.glueless.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	/* A referral for example.test. that also re-delegates glueless.test. */
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_AUTHORITY,
	                                    "glueless.test. 86400 IN NS ns.evil.test."),
	                 0);
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ADDITIONAL,
	                                    "ns.evil.test. 86400 IN A 203.0.113.99"),
	                 0);
	p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	fake_world_log_clear(f->w);
	p = resolve(f, "mail.glueless.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "mail.glueless.test. IN A 192.0.2.87"));
	assert_int_equal(unknown_queries(f), 0);
	assert_int_equal(fake_server_queries(f->gl), 1);
	ldns_pkt_free(p);
}

static void test_iter_referral_other_glue_not_cached(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	/* A referral for glueless.test. with an address for example.test.'s server. */
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ADDITIONAL,
	                                    "ns1.example.test. 86400 IN A 203.0.113.66"),
	                 0);
	p = resolve(f, "www.glueless.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	fake_world_log_clear(f->w);
	p = resolve(f, "www2.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 192.0.2.83"));
	assert_int_equal(unknown_queries(f), 0);
	ldns_pkt_free(p);
}

static void test_iter_ns_answer_other_glue_not_cached(void **state)
{
	struct fx *f = *state;
	static const char sub_zone[] = SOA_LINE("sub.example.test.") "sub.example.test. 3600 IN NS "
	                                                             "ns.sub.example.test.\n"
	                                                             "mail.sub.example.test. 3600 "
	                                                             "IN A 192.0.2.89\n";
	char leaf_text[4096];
	snprintf(leaf_text, sizeof(leaf_text),
	         "%ssub.example.test. 3600 IN NS ns.sub.example.test.\n"
	         "ns.sub.example.test. 3600 IN A 192.0.2.13\n",
	         example_test_zone);
	world_build(f, root_zone, leaf_text);
	add(f->w, "192.0.2.13", "sub.example.test.", sub_zone);
	ldns_pkt *p = resolve(f, "mail.sub.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	/* An NS answer whose additional section re-addresses another delegation's server. */
	assert_int_equal(fake_server_poison(f->leaf, LDNS_SECTION_ADDITIONAL,
	                                    "ns.sub.example.test. 3600 IN A 203.0.113.66"),
	                 0);
	p = resolve(f, "example.test.", LDNS_RR_TYPE_NS, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "example.test. IN NS ns1.example.test."));
	ldns_pkt_free(p);
	fake_server_poison_clear(f->leaf);
	fake_world_log_clear(f->w);
	p = resolve(f, "mail.sub.example.test.", LDNS_RR_TYPE_AAAA, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(unknown_queries(f), 0);
	ldns_pkt_free(p);
}

static void test_iter_referral_answer_section_not_cached(void **state)
{
	struct fx *f = *state;
	/* A parent has no say over its child's data: not in a referral's answer section. */
	assert_int_equal(fake_server_poison(f->tld, LDNS_SECTION_ANSWER,
	                                    "www.example.test. 3600 IN A 203.0.113.66"),
	                 0);
	ldns_pkt *p = resolve(f, "mail.example.test.", LDNS_RR_TYPE_MX, NULL, NULL);
	ldns_pkt_free(p);
	p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	assert_false(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 203.0.113.66"));
	ldns_pkt_free(p);
}

/*
 * test. is served by a dead server (glue) and one reachable only by name;
 * example.test. by the dead one, a lame one and a good one reachable only
 * by name. Without glue for the good servers the order is forced, so the
 * dead server reaches the avoid threshold within the first resolution.
 */
static const char dead_root_zone[] =
        ". 86400 IN SOA a.root-servers.test. hostmaster.root-servers.test. 1 1800 900 604800 "
        "86400\n"
        ". 518400 IN NS a.root-servers.test.\n"
        "a.root-servers.test. 518400 IN A 192.0.2.1\n"
        "test. 172800 IN NS a.ns.test.\n"
        "test. 172800 IN NS b.ns.other.\n"
        "a.ns.test. 172800 IN A 192.0.2.30\n"
        "other. 172800 IN NS ns1.other.\n"
        "ns1.other. 172800 IN A 192.0.2.20\n";
static const char dead_other_zone[] = SOA_LINE("other.") "other. 86400 IN NS ns1.other.\n"
                                                         "ns1.other. 86400 IN A 192.0.2.20\n"
                                                         "b.ns.other. 86400 IN A 192.0.2.31\n"
                                                         "c.ns.other. 86400 IN A 192.0.2.33\n";
static const char dead_test_zone[] = SOA_LINE("test.") "test. 86400 IN NS a.ns.test.\n"
                                                       "test. 86400 IN NS b.ns.other.\n"
                                                       "a.ns.test. 86400 IN A 192.0.2.30\n"
                                                       "lame.ns.test. 86400 IN A 192.0.2.32\n"
                                                       "example.test. 86400 IN NS a.ns.test.\n"
                                                       "example.test. 86400 IN NS lame.ns.test.\n"
                                                       "example.test. 86400 IN NS c.ns.other.\n";

static void test_iter_dead_and_lame_servers_avoided(void **state)
{
	struct fx *f = *state;
	fake_world_free(f->w);
	f->w = fake_world_new();
	add(f->w, "192.0.2.1", ".", dead_root_zone);
	add(f->w, "192.0.2.20", "other.", dead_other_zone);
	add(f->w, "192.0.2.31", "test.", dead_test_zone);
	struct fake_server *dead = add(f->w, "192.0.2.30", NULL, NULL);
	struct fake_server *lame = add(f->w, "192.0.2.32", NULL, NULL);
	struct fake_server *good = add(f->w, "192.0.2.33", "example.test.", example_test_zone);
	fake_server_mode(dead, FAKE_DEAD);
	fake_server_mode(lame, FAKE_LAME);

	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	assert_int_equal(fake_server_queries(lame), 1);
	assert_int_equal(fake_server_queries(good), 1);
	assert_true(fake_server_queries(dead) <= 2 * ITER_TRIES_PER_SERVER);
	struct infra_server info;
	infra_get(f->env.infra, fake_server_addr(dead), clock_mono_ms(), &info);
	assert_true(info.avoid_until > clock_mono_ms());
	uint8_t zone[WIRE_DNAME_MAX];
	assert_true(infra_is_lame(f->env.infra, fake_server_addr(lame),
	                          fake_dname("example.test.", zone), clock_mono_ms()));

	/* Within the avoid window the next question goes straight to the good one. */
	fake_clock_advance(1000);
	fake_world_log_clear(f->w);
	struct fake_run run;
	p = resolve(f, "www2.example.test.", LDNS_RR_TYPE_A, NULL, &run);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 192.0.2.83"));
	assert_int_equal(fake_server_queries(dead), 0);
	assert_int_equal(fake_server_queries(lame), 0);
	assert_int_equal(fake_server_queries(good), 1);
	assert_int_equal(run.sends, 1);
	ldns_pkt_free(p);
}

/*
 * many.test. has seven lame servers with glue and one good one known only
 * by name. The NS name without any address is looked up before addresses
 * the glue already gave are looked up again, so max-ns-lookups is not spent
 * on those and the good server is reached.
 */
static void test_iter_ns_lookup_prefers_names_without_address(void **state)
{
	struct fx *f = *state;
	static const char many_zone[] = SOA_LINE("many.test.") "many.test. 3600 IN NS "
	                                                       "ns.example.other.\n"
	                                                       "www.many.test. 3600 IN A "
	                                                       "192.0.2.84\n";
	assert_int_equal(fake_server_zone(f->gl, "many.test.", many_zone), 0);
	struct fake_server *lame[7];
	for (unsigned i = 0; i < 7; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%u", 51 + i);
		lame[i] = add(f->w, addr, NULL, NULL);
		fake_server_mode(lame[i], FAKE_LAME);
	}
	struct wire_ede ede;
	ldns_pkt *p = resolve(f, "www.many.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.many.test. IN A 192.0.2.84"));
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_NS_LOOKUPS], 0);
	for (unsigned i = 0; i < 7; i++)
		assert_true(fake_server_queries(lame[i]) <= 1);
	ldns_pkt_free(p);
}

/* ---- server problems and fallbacks ---- */

static void test_iter_truncated_retried_over_tcp(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_TC_UDP);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	size_t n = log_len(f);
	assert_int_equal(fake_server_queries(f->leaf), 2);
	assert_asked(f, n - 2, f->leaf, "www.example.test.", LDNS_RR_TYPE_A);
	assert_asked(f, n - 1, f->leaf, "www.example.test.", LDNS_RR_TYPE_A);
	const struct fake_query *log = fake_world_log(f->w, &n);
	assert_false(log[n - 2].tcp);
	assert_true(log[n - 1].tcp);
	assert_int_equal(f->env.stats.upstream_tcp_fallback, 1);
	assert_int_equal(f->env.stats.upstream_sent_tcp, 1);
	ldns_pkt_free(p);
}

/* Servers that predate EDNS often send FORMERR with no question at all. */
static void test_iter_formerr_without_question_retried_without_edns(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_FORMERR_BARE);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	assert_int_equal(fake_server_queries(f->leaf), 2);
	assert_int_equal(f->env.stats.upstream_edns_fallback, 1);
	assert_int_equal(f->env.stats.upstream_timeouts, 0);
}

static void test_iter_formerr_retried_without_edns(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_FORMERR_EDNS);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	size_t n;
	const struct fake_query *log = fake_world_log(f->w, &n);
	assert_int_equal(fake_server_queries(f->leaf), 2);
	assert_true(log[n - 2].edns);
	assert_false(log[n - 1].edns);
	assert_int_equal(f->env.stats.upstream_edns_fallback, 1);
	struct infra_server info;
	infra_get(f->env.infra, fake_server_addr(f->leaf), clock_mono_ms(), &info);
	assert_true(info.no_edns);

	/* Remembered: the next question to that server goes without EDNS at once. */
	fake_world_log_clear(f->w);
	p = resolve(f, "mail.example.test.", LDNS_RR_TYPE_MX, NULL, NULL);
	assert_int_equal(fake_pkt_count(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_MX), 1);
	log = fake_world_log(f->w, &n);
	assert_int_equal(fake_server_queries(f->leaf), 1);
	assert_false(log[n - 1].edns);
	ldns_pkt_free(p);
}

static void test_iter_on_reply_wrong_question_mismatch(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_WRONG_QUESTION);
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, &run);
	assert_int_equal(run.mismatches, 1);
	assert_int_equal(run.spoof_accepted, 0);
	assert_int_equal(f->env.stats.upstream_mismatch, 1);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	ldns_rdf *owner = ldns_dname_new_frm_str("spoofed.invalid.");
	assert_null(cache_rrset_lookup(f->env.cache, owner, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	                               clock_wall(), NULL, NULL));
	ldns_rdf_deep_free(owner);
}

static void test_iter_on_reply_wrong_id_mismatch(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_WRONG_ID);
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, &run);
	assert_int_equal(run.mismatches, 1);
	assert_int_equal(run.spoof_accepted, 0);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
}

static void test_iter_servfail_server_skipped(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_SERVFAIL);
	struct wire_ede ede;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	/* A server that said SERVFAIL is not asked again for the same question. */
	assert_int_equal(fake_server_queries(f->leaf), 1);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	ldns_pkt_free(p);
}

static void test_iter_leaf_dead_servfail_ede22(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->leaf, FAKE_DEAD);
	struct wire_ede ede;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	assert_int_equal(fake_server_queries(f->leaf), ITER_TRIES_PER_SERVER);
	assert_int_equal(f->env.stats.upstream_timeouts, ITER_TRIES_PER_SERVER);
	ldns_pkt_free(p);
}

static void test_iter_all_dead_servfail_ede22(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->root, FAKE_DEAD);
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	assert_int_equal(run.timeouts, run.sends);
	assert_true(run.sends <= 2 * ITER_TRIES_PER_SERVER);
	ldns_pkt_free(p);
}

static void test_iter_connection_refused_tries_next(void **state)
{
	struct fx *f = *state;
	fake_server_mode(f->root, FAKE_CONN_REFUSED);
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	/* A refused send marks the server bad at once: no second try per task. */
	assert_true(fake_server_queries(f->root) <= 2);
	assert_int_equal(f->env.stats.upstream_errors, fake_server_queries(f->root));
	ldns_pkt_free(p);
}

/* ---- limits ---- */

/* Zones loop., l1.loop., l2.l1.loop. ... delegated alternately between two servers. */
static void build_deep_referrals(struct fx *f, unsigned depth)
{
	static const char *const addr[2] = {"192.0.2.40", "192.0.2.41"};
	char root_text[2048];
	snprintf(root_text, sizeof(root_text),
	         "%sloop. 3600 IN NS ns.loop.\nns.loop. 3600 IN A %s\n", root_zone, addr[0]);
	world_build(f, root_text, example_test_zone);
	struct fake_server *s[2] = {add(f->w, addr[0], NULL, NULL), add(f->w, addr[1], NULL, NULL)};
	char zone[16][96], text[4096];
	assert_true(depth < 16);
	strcpy(zone[0], "loop.");
	for (unsigned i = 1; i <= depth; i++) {
		int n = snprintf(zone[i], sizeof(zone[i]), "l%u.", i);
		memcpy(zone[i] + n, zone[i - 1], strlen(zone[i - 1]) + 1);
	}
	for (unsigned i = 0; i <= depth; i++) {
		const char *z = zone[i];
		int n = snprintf(
		        text, sizeof(text),
		        "%s 3600 IN SOA ns.%s h.%s 1 1800 900 604800 300\n%s 3600 IN NS ns.%s\n", z,
		        z, z, z, z);
		if (i < depth)
			snprintf(text + n, sizeof(text) - (size_t)n,
			         "%s 3600 IN NS ns.%s\nns.%s 3600 IN A %s\n", zone[i + 1],
			         zone[i + 1], zone[i + 1], addr[(i + 1) % 2]);
		assert_int_equal(fake_server_zone(s[i % 2], z, text), 0);
	}
}

static void test_iter_referral_limit(void **state)
{
	struct fx *f = *state;
	f->env.conf->max_referrals = 5;
	build_deep_referrals(f, 10);
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p =
	        resolve(f, "x.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1.loop.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ede.code >= 0);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_REFERRALS], 1);
	assert_int_equal(run.sends, 1 + 5 + 1); /* priming, 5 referrals, the one too many */
	ldns_pkt_free(p);
}

static void test_iter_referral_chain_within_limit(void **state)
{
	struct fx *f = *state;
	f->env.conf->max_referrals = 12;
	build_deep_referrals(f, 10);
	struct wire_ede ede;
	ldns_pkt *p =
	        resolve(f, "x.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1.loop.", LDNS_RR_TYPE_A, &ede, NULL);
	/* The last zone has no x: the walk itself ends well. */
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_REFERRALS], 0);
	ldns_pkt_free(p);
}

static void test_iter_glueless_loop_ends(void **state)
{
	struct fx *f = *state;
	/* loop1.test is served by ns.loop2.test and loop2.test by ns.loop1.test, no glue. */
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.loop1.test.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ede.code >= 0);
	assert_true(run.done);
	assert_true(run.sends <= f->env.conf->max_queries_per_request);
	ldns_pkt_free(p);
}

static void test_iter_cname_chain_limit(void **state)
{
	struct fx *f = *state;
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s", example_test_zone);
	for (unsigned i = 0; i < 10; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		                      "c%u.example.test. 3600 IN CNAME c%u.example.test.\n", i,
		                      i + 1);
	snprintf(text + n, sizeof(text) - n, "c10.example.test. 3600 IN A 192.0.2.90\n");
	world_build(f, root_zone, text);
	f->env.conf->max_cname_chain = 5;

	struct wire_ede ede;
	ldns_pkt *p = resolve(f, "c0.example.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ede.code >= 0);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_CNAME], 1);
	ldns_pkt_free(p);

	/* A chain of exactly max-cname-chain links is fine. */
	p = resolve(f, "c5.example.test.", LDNS_RR_TYPE_A, &ede, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 6);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "c10.example.test. IN A 192.0.2.90"));
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_CNAME], 1);
	ldns_pkt_free(p);
}

static void test_iter_cname_loop_across_zones(void **state)
{
	struct fx *f = *state;
	/* ping.example.test -> pong.example.other -> ping.example.test ... */
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p = resolve(f, "ping.example.test.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ede.code >= 0);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_CNAME], 1);
	assert_true(run.sends < 20);
	ldns_pkt_free(p);
}

static void test_iter_max_queries_per_request(void **state)
{
	struct fx *f = *state;
	f->env.conf->max_queries_per_request = 3;
	struct wire_ede ede;
	struct fake_run run;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, &ede, &run);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ede.code >= 0);
	assert_int_equal(run.sends, 3);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_QUERIES], 1);
	ldns_pkt_free(p);
}

static void test_req_step_deadline_servfail(void **state)
{
	struct fx *f = *state;
	uint8_t qname[WIRE_DNAME_MAX];
	struct req *r = req_new(&f->env.env, fake_dname("www.example.test.", qname), LDNS_RR_TYPE_A,
	                        LDNS_RR_CLASS_IN, 0);
	assert_non_null(r);
	struct req_send s;
	assert_int_equal(req_step(r, &s), REQ_SEND);
	assert_int_equal(req_deadline(r), clock_mono_ms() + f->env.conf->request_timeout_ms);
	fake_clock_advance(f->env.conf->request_timeout_ms);
	assert_int_equal(req_step(r, &s), REQ_DONE);
	size_t len;
	struct wire_ede ede;
	const uint8_t *wire = req_answer(r, &len, &ede);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, wire, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ede.code, WIRE_EDE_NO_REACHABLE_AUTHORITY);
	assert_int_equal(f->env.stats.limits[STATS_LIMIT_TIMEOUT], 1);
	/* A late reply is not taken. */
	assert_int_equal(req_on_reply(r, wire, len, 10), ERR_MISMATCH);
	ldns_pkt_free(p);
	req_free(r);
}

static void test_req_step_timeout_clamped_to_deadline(void **state)
{
	struct fx *f = *state;
	uint8_t qname[WIRE_DNAME_MAX];
	struct req *r = req_new(&f->env.env, fake_dname("www.example.test.", qname), LDNS_RR_TYPE_A,
	                        LDNS_RR_CLASS_IN, 0);
	struct req_send s;
	assert_int_equal(req_step(r, &s), REQ_SEND);
	fake_clock_advance(f->env.conf->request_timeout_ms - 100);
	req_on_timeout(r, false);
	assert_int_equal(req_step(r, &s), REQ_SEND);
	assert_true(s.timeout_ms <= 100);
	assert_true(s.timeout_ms > 0);
	req_free(r);
}

/* ---- priming and the cache ---- */

static const char primed_root_zone[] =
        ". 86400 IN SOA b.root-servers.test. hostmaster.root-servers.test. 1 1800 900 604800 "
        "86400\n"
        ". 518400 IN NS b.root-servers.test.\n"
        "b.root-servers.test. 518400 IN A 192.0.2.2\n"
        "test. 172800 IN NS ns1.test.\n"
        "ns1.test. 172800 IN A 192.0.2.10\n";

static void test_iter_priming_first(void **state)
{
	struct fx *f = *state;
	/* The hints name 192.0.2.1; the root NS set it gives names 192.0.2.2 only. */
	world_build(f, primed_root_zone, example_test_zone);
	struct fake_server *hint = f->root;
	struct fake_server *root = add(f->w, "192.0.2.2", ".", primed_root_zone);
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	assert_asked(f, 0, hint, ".", LDNS_RR_TYPE_NS);
	assert_int_equal(fake_server_queries(hint), 1);
	assert_asked(f, 1, root, "test.", LDNS_RR_TYPE_A);
	assert_int_equal(fake_server_queries(root), 1);
}

static void test_iter_second_question_from_cache(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	size_t asked = log_len(f);

	/* The cache-hit path of a client query. */
	ldns_pkt *query = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&query, "WWW.Example.test.", LDNS_RR_TYPE_A,
	                                            LDNS_RR_CLASS_IN, LDNS_RD),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(query, 0x4242);
	uint8_t *qwire = NULL;
	size_t qlen;
	assert_int_equal(ldns_pkt2wire(&qwire, query, &qlen), LDNS_STATUS_OK);
	struct wire_query q;
	assert_int_equal(wire_query_parse(qwire, qlen, &q), 0);
	uint8_t out[WIRE_MSG_MAX];
	size_t n = req_cache_answer(&f->env.env, &q, 512, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(f->env.stats.cache_hits, 1);
	ldns_pkt *hit = NULL;
	assert_int_equal(ldns_wire2pkt(&hit, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(hit), 0x4242);
	assert_true(fake_pkt_has(hit, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));

	/* A new request for it asks nobody. */
	struct fake_run run;
	p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, &run);
	assert_int_equal(run.sends, 0);
	assert_int_equal(log_len(f), asked);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www.example.test. IN A 192.0.2.80"));
	ldns_pkt_free(p);
	ldns_pkt_free(hit);
	ldns_pkt_free(query);
	free(qwire);
}

static void test_iter_second_name_uses_cached_cut(void **state)
{
	struct fx *f = *state;
	ldns_pkt *p = resolve(f, "www.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	ldns_pkt_free(p);
	fake_world_log_clear(f->w);
	p = resolve(f, "www2.example.test.", LDNS_RR_TYPE_A, NULL, NULL);
	assert_true(fake_pkt_has(p, LDNS_SECTION_ANSWER, "www2.example.test. IN A 192.0.2.83"));
	assert_int_equal(log_len(f), 1);
	assert_asked(f, 0, f->leaf, "www2.example.test.", LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
}

/* ---- server selection ---- */

struct sel {
	struct iter_budget budget;
	struct iter *it;
	struct iter_deleg dp;
};

static void sel_init(struct fx *f, struct sel *s, unsigned n)
{
	uint8_t qname[WIRE_DNAME_MAX];
	memset(s, 0, sizeof(*s));
	s->it = iter_new(&f->env.env, fake_dname("www.example.test.", qname), LDNS_RR_TYPE_A,
	                 LDNS_RR_CLASS_IN, &s->budget);
	assert_non_null(s->it);
	fake_dname("example.test.", s->dp.zone);
	for (unsigned i = 0; i < n; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%u", 100 + i);
		assert_int_equal(sa_parse(addr, 53, &s->dp.srv[i].addr), 0);
	}
	s->dp.n_srv = n;
}

#define SELECT_ROUNDS 256

static void test_iter__select_server_prefers_low_srtt(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 3);
	uint64_t now = clock_mono_ms();
	infra_rtt_update(f->env.infra, &s.dp.srv[0].addr, 120, now);
	infra_rtt_update(f->env.infra, &s.dp.srv[1].addr, 15, now);
	infra_rtt_update(f->env.infra, &s.dp.srv[2].addr, 300, now);
	unsigned picks[3] = {0, 0, 0};
	for (unsigned i = 0; i < SELECT_ROUNDS; i++) {
		int idx = iter__select_server(s.it, &s.dp, now);
		assert_in_range(idx, 0, 2);
		picks[idx]++;
	}
	/* Exploration sends one query in 16 elsewhere: the fastest gets the rest. */
	assert_true(picks[1] >= SELECT_ROUNDS * 3 / 4);
	iter_free(s.it);
}

/* A fast server that just timed out ranks behind a slower one that answers. */
static void test_iter__select_server_timeout_ranks_by_backoff(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 2);
	uint64_t now = clock_mono_ms();
	infra_rtt_update(f->env.infra, &s.dp.srv[0].addr, 5, now);
	infra_rtt_update(f->env.infra, &s.dp.srv[1].addr, 80, now);
	infra_timeout(f->env.infra, &s.dp.srv[0].addr, now);
	infra_timeout(f->env.infra, &s.dp.srv[0].addr, now);
	unsigned picks[2] = {0, 0};
	for (unsigned i = 0; i < SELECT_ROUNDS; i++)
		picks[iter__select_server(s.it, &s.dp, now)]++;
	assert_true(picks[1] >= SELECT_ROUNDS * 3 / 4);
	iter_free(s.it);
}

static void test_iter__select_server_never_lame(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 2);
	uint64_t now = clock_mono_ms();
	infra_rtt_update(f->env.infra, &s.dp.srv[0].addr, 1, now);
	infra_rtt_update(f->env.infra, &s.dp.srv[1].addr, 900, now);
	infra_lame_set(f->env.infra, &s.dp.srv[0].addr, s.dp.zone, now);
	for (unsigned i = 0; i < SELECT_ROUNDS; i++)
		assert_int_equal(iter__select_server(s.it, &s.dp, now), 1);
	/* Lame for this zone only. */
	uint8_t zone[WIRE_DNAME_MAX];
	assert_false(
	        infra_is_lame(f->env.infra, &s.dp.srv[0].addr, fake_dname("test.", zone), now));
	iter_free(s.it);
}

static void test_iter__select_server_none_left(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 2);
	uint64_t now = clock_mono_ms();
	infra_lame_set(f->env.infra, &s.dp.srv[0].addr, s.dp.zone, now);
	s.dp.srv[1].bad = true;
	assert_int_equal(iter__select_server(s.it, &s.dp, now), -1);
	iter_free(s.it);
}

static void test_iter__select_server_avoided_only_as_last_resort(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 2);
	uint64_t now = clock_mono_ms();
	infra_rtt_update(f->env.infra, &s.dp.srv[1].addr, 900, now);
	for (int i = 0; i < 3; i++)
		infra_timeout(f->env.infra, &s.dp.srv[0].addr, now);
	for (unsigned i = 0; i < SELECT_ROUNDS; i++)
		assert_int_equal(iter__select_server(s.it, &s.dp, now), 1);
	s.dp.srv[1].bad = true;
	assert_int_equal(iter__select_server(s.it, &s.dp, now), 0);
	iter_free(s.it);
}

static void test_iter__select_server_every_server_once_first(void **state)
{
	struct fx *f = *state;
	struct sel s;
	sel_init(f, &s, 2);
	uint64_t now = clock_mono_ms();
	infra_rtt_update(f->env.infra, &s.dp.srv[0].addr, 10, now);
	infra_rtt_update(f->env.infra, &s.dp.srv[1].addr, 900, now);
	s.dp.srv[0].tries = 1;
	assert_int_equal(iter__select_server(s.it, &s.dp, now), 1);
	s.dp.srv[1].tries = ITER_TRIES_PER_SERVER;
	s.dp.srv[0].tries = ITER_TRIES_PER_SERVER;
	assert_int_equal(iter__select_server(s.it, &s.dp, now), -1);
	iter_free(s.it);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- trust-anchor signaling (RFC 8145 §4) ---- */

/* The first query an iterator sends for (name, type), root delegation cached. */
static ldns_pkt *first_query(const char *conf_text, const char *name, uint16_t type)
{
	char path[] = "/tmp/mangrove-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf_text, strlen(conf_text)), (ssize_t)strlen(conf_text));
	close(fd);
	char err[256];
	struct conf *conf = NULL;
	assert_int_equal(conf_load(path, &conf, err, sizeof(err)), 0);
	unlink(path);
	struct val_anchors *anchors = NULL;
	assert_int_equal(val_anchors_new(conf, &anchors, err, sizeof(err)), 0);
	struct iter_hints *hints = NULL;
	assert_int_equal(iter_hints_load(NULL, &hints, err, sizeof(err)), 0);
	struct stats stats = {0};
	struct val_env val = {.anchors = anchors};
	struct req_env env = {.conf = conf,
	                      .cache = cache_new(1 << 20, 4),
	                      .infra = infra_new(64),
	                      .hints = hints,
	                      .stats = &stats,
	                      .val = &val};
	ldns_rr_list *ns = ldns_rr_list_new(), *a = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, ". 3600 IN NS ns.root.", 0, NULL, NULL), 0);
	ldns_rr_list_push_rr(ns, rr);
	assert_int_equal(ldns_rr_new_frm_str(&rr, "ns.root. 3600 IN A 192.0.2.1", 0, NULL, NULL),
	                 0);
	ldns_rr_list_push_rr(a, rr);
	cache_rrset_store(env.cache, ns, NULL, CACHE_TRUST_ANSWER_AA, clock_wall());
	cache_rrset_store(env.cache, a, NULL, CACHE_TRUST_GLUE, clock_wall());
	uint8_t qname[WIRE_DNAME_MAX];
	size_t qlen;
	assert_int_equal(wire_dname_from_str(name, qname, &qlen), 0);
	struct iter_budget budget = {0};
	struct iter *it = iter_new(&env, qname, type, LDNS_RR_CLASS_IN, &budget);
	struct req_send out;
	assert_int_equal(iter_step(it, &out), ITER_SEND);
	ldns_pkt *q = NULL;
	assert_int_equal(ldns_wire2pkt(&q, out.query, out.len), LDNS_STATUS_OK);
	iter_free(it);
	ldns_rr_list_deep_free(ns);
	ldns_rr_list_deep_free(a);
	cache_free(env.cache);
	infra_free(env.infra);
	iter_hints_free(hints);
	val_anchors_free(anchors);
	conf_free(conf);
	return q;
}

/* The key tags in a query's edns-key-tag option, or -1 when it has none. */
static long key_tag_option(const ldns_pkt *q)
{
	ldns_edns_option_list *opts = ldns_pkt_edns_get_option_list((ldns_pkt *)q);
	for (size_t i = 0; opts != NULL && i < ldns_edns_option_list_get_count(opts); i++) {
		ldns_edns_option *o = ldns_edns_option_list_get_option(opts, i);
		if (ldns_edns_get_code(o) != 14)
			continue;
		const uint8_t *d = ldns_edns_get_data(o);
		return ldns_edns_get_size(o) == 2 ? (long)((d[0] << 8) | d[1]) : 0;
	}
	return -1;
}

#define DS_20326                                                                                   \
	"\". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\""

static void test_iter_dnskey_query_signals_anchor_tags(void **state)
{
	ldns_pkt *q =
	        first_query("server:\n trust-anchor: " DS_20326 "\n", ".", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(key_tag_option(q), 20326);
	ldns_pkt_free(q);
}

static void test_iter_signaling_off_or_other_types(void **state)
{
	ldns_pkt *q =
	        first_query("server:\n trust-anchor: " DS_20326 "\n trust-anchor-signaling: no\n",
	                    ".", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(key_tag_option(q), -1);
	ldns_pkt_free(q);
	q = first_query("server:\n trust-anchor: " DS_20326 "\n", ".", LDNS_RR_TYPE_SOA);
	assert_int_equal(key_tag_option(q), -1);
	ldns_pkt_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_iter_resolve_a_from_root),
	        T(test_iter_dnskey_query_signals_anchor_tags),
	        T(test_iter_signaling_off_or_other_types),
	        T(test_iter_qname_minimisation_on),
	        T(test_iter_qname_minimisation_off),
	        T(test_iter_nxdomain_with_soa),
	        T(test_iter_nodata_with_soa),
	        T(test_iter_cname_in_zone),
	        T(test_iter_cname_across_zones),
	        T(test_iter_dname),
	        T(test_iter_cname_to_nxdomain),
	        T(test_iter_ds_asked_at_parent),
	        T(test_iter_ns_query_at_apex),
	        T(test_iter_parent_and_child_on_one_server),
	        T(test_iter_referral_to_same_zone_is_lame),
	        T(test_iter_out_of_bailiwick_ns_in_referral_ignored),
	        T(test_iter_glueless_delegation),
	        T(test_iter_out_of_bailiwick_glue_ignored),
	        T(test_iter_out_of_zone_answer_ignored),
	        T(test_iter_unrelated_answer_not_cached),
	        T(test_iter_referral_answer_section_not_cached),
	        T(test_iter_unrelated_authority_not_cached),
	        T(test_iter_referral_other_ns_not_cached),
	        T(test_iter_referral_other_glue_not_cached),
	        T(test_iter_ns_answer_other_glue_not_cached),
	        T(test_iter_dead_and_lame_servers_avoided),
	        T(test_iter_ns_lookup_prefers_names_without_address),
	        T(test_iter_truncated_retried_over_tcp),
	        T(test_iter_formerr_retried_without_edns),
	        T(test_iter_formerr_without_question_retried_without_edns),
	        T(test_iter_on_reply_wrong_question_mismatch),
	        T(test_iter_on_reply_wrong_id_mismatch),
	        T(test_iter_servfail_server_skipped),
	        T(test_iter_leaf_dead_servfail_ede22),
	        T(test_iter_all_dead_servfail_ede22),
	        T(test_iter_connection_refused_tries_next),
	        T(test_iter_referral_limit),
	        T(test_iter_referral_chain_within_limit),
	        T(test_iter_glueless_loop_ends),
	        T(test_iter_cname_chain_limit),
	        T(test_iter_cname_loop_across_zones),
	        T(test_iter_max_queries_per_request),
	        T(test_req_step_deadline_servfail),
	        T(test_req_step_timeout_clamped_to_deadline),
	        T(test_iter_priming_first),
	        T(test_iter_second_question_from_cache),
	        T(test_iter_second_name_uses_cached_cut),
	        T(test_iter__select_server_prefers_low_srtt),
	        T(test_iter__select_server_never_lame),
	        T(test_iter__select_server_timeout_ranks_by_backoff),
	        T(test_iter__select_server_none_left),
	        T(test_iter__select_server_avoided_only_as_last_resort),
	        T(test_iter__select_server_every_server_once_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
