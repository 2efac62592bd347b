/*
 * test_explain.c - the validation trace behind mangrove-control explain:
 * requests made with req_new_explain() against a signed fake world
 * (fake_auth.h), one scenario per way a name can be secure, insecure or
 * bogus, checked on the steps the trace receives (kinds, zones, RRsets,
 * results, their order), on the verdict (the same as the resolver gives
 * without a trace) and on the first failing step; then the formatter's
 * lines, exactly.
 *
 * Link with -Wl,--wrap=val_rrsig_verify: the wrapper counts signature
 * checks, to show a traced validation does the same work as an untraced one.
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

#include "fake_auth.h"
#include "mangrove/anchor.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/request.h"
#include "mangrove/stats.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

#define ANCHOR_MAX 2048
#define MAX_STEPS  256
#define TEXT_MAX   (WIRE_DNAME_MAX * 4 + 2)

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

/* ---- the signed world (as in test_validator.c, fewer zones) ---- */

struct leaf {
	const char *label; /* the zone is <label>.test. */
	const char *addr;
	bool sign;
	struct fake_sign opts;
	const char *extra;
};

static const struct leaf leaves[] = {
        {.label = "secure",
         .addr = "192.0.2.11",
         .sign = true,
         .extra = "chain 3600 IN CNAME a.insecure.test.\n"},
        {.label = "nsec3",
         .addr = "192.0.2.12",
         .sign = true,
         .opts = {.algorithm = LDNS_SIGN_ED25519, .csk = true, .nsec3 = true}},
        {.label = "optout",
         .addr = "192.0.2.13",
         .sign = true,
         .opts = {.algorithm = LDNS_SIGN_RSASHA256, .nsec3 = true, .nsec3_optout = true},
         .extra = "child 3600 IN NS ns1.child\nns1.child 3600 IN A 192.0.2.14\n"},
        {.label = "insecure", .addr = "192.0.2.15", .extra = "a 3600 IN CNAME www.nsec3.test.\n"},
        {.label = "badsig",
         .addr = "192.0.2.16",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_BAD_SIG, .target = "www.badsig.test. A"}},
        {.label = "expired",
         .addr = "192.0.2.17",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_EXPIRED}},
        {.label = "future",
         .addr = "192.0.2.18",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_NOT_YET_VALID}},
        {.label = "expone",
         .addr = "192.0.2.19",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_EXPIRED, .target = "www.expone.test. A"}},
        {.label = "dsnokey",
         .addr = "192.0.2.30",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_DS_NO_KEY}},
        {.label = "zskonly",
         .addr = "192.0.2.31",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_DNSKEY_ZSK_ONLY}},
        {.label = "nosig",
         .addr = "192.0.2.32",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_UNSIGNED}},
        {.label = "alg",
         .addr = "192.0.2.33",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_ALGORITHM}},
        {.label = "digest",
         .addr = "192.0.2.34",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_DS_DIGEST}},
        {.label = "iter",
         .addr = "192.0.2.35",
         .sign = true,
         .opts = {.nsec3 = true, .nsec3_iterations = 200}},
        {.label = "keytrap",
         .addr = "192.0.2.36",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_KEYTRAP}},
        {.label = "norrsig",
         .addr = "192.0.2.37",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_NO_RRSIGS}},
        {.label = "nodenial",
         .addr = "192.0.2.38",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_NO_DENIAL}},
        {.label = "nowild",
         .addr = "192.0.2.39",
         .sign = true,
         .opts = {.breaks = FAKE_BREAK_NO_WILDCARD_PROOF}},
};

#define N_LEAVES (sizeof(leaves) / sizeof(leaves[0]))

static const char leaf_format[] = "@ 3600 IN SOA ns1 hostmaster 1 1800 900 604800 300\n"
                                  "@ 3600 IN NS ns1\n"
                                  "ns1 3600 IN A %s\n"
                                  "www 3600 IN A 192.0.2.80\n"
                                  "mail 3600 IN MX 10 www\n"
                                  "alias 3600 IN CNAME www\n"
                                  "*.wild 3600 IN A 192.0.2.81\n"
                                  "deep.ent 3600 IN TXT \"below an empty non-terminal\"\n"
                                  "%s";

static const char other_zone[] = "@ 86400 IN SOA ns1 hostmaster 1 1800 900 604800 300\n"
                                 "@ 86400 IN NS ns1\n"
                                 "ns1 86400 IN A 192.0.2.20\n";

struct world {
	struct fake_world *w;
	struct fake_server *root, *tld, *other, *child;
	struct fake_server *leaf[N_LEAVES];
	char root_anchor[ANCHOR_MAX];
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

static int world_setup(void **state)
{
	char text[8192];
	W = calloc(1, sizeof(*W));
	assert_non_null(W);
	W->w = fake_world_new();
	assert_non_null(W->w);
	W->root = add("192.0.2.1", ".", FAKE_ROOT_ZONE);
	tld_text(text, sizeof(text));
	W->tld = add("192.0.2.10", "test.", text);
	W->other = add("192.0.2.20", "other.", other_zone);
	W->child = add_leaf("192.0.2.14", "child.optout.test.", NULL);
	for (size_t i = 0; i < N_LEAVES; i++) {
		const struct leaf *l = &leaves[i];
		char origin[64];
		snprintf(origin, sizeof(origin), "%s.test.", l->label);
		W->leaf[i] = add_leaf(l->addr, origin, l->extra);
		if (l->sign) {
			assert_int_equal(fake_server_sign(W->leaf[i], origin, &l->opts), 0);
			assert_int_equal(fake_server_ds_copy(W->leaf[i], origin, W->tld), 0);
		}
	}
	assert_int_equal(fake_server_sign(W->tld, "test.", NULL), 0);
	assert_int_equal(fake_server_ds_copy(W->tld, "test.", W->root), 0);
	assert_int_equal(fake_server_sign(W->root, ".", NULL), 0);
	assert_int_equal(fake_server_anchor(W->root, ".", W->root_anchor, ANCHOR_MAX), 0);
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

/* The key tag of a signed zone's first DNSKEY with (sep) or without the SEP flag. */
static uint16_t key_tag(const char *label, bool sep)
{
	char origin[64];
	snprintf(origin, sizeof(origin), "%s.test.", label);
	const ldns_rr_list *keys = fake_server_dnskeys(leaf(label), origin);
	assert_non_null(keys);
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (((ldns_rdf2native_int16(ldns_rr_rdf(k, 0)) & LDNS_KEY_SEP_KEY) != 0) == sep)
			return ldns_calc_keytag(k);
	}
	fail_msg("no such key in %s", label);
	return 0;
}

/* ---- fixture: a worker's environment with validation on ---- */

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

/* As test_validator.c's val_setup(): as src/daemon builds it, no trace. */
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

/* ---- collecting a trace ---- */

/* A step as received, names as text, and its line. */
struct rec {
	struct val_step s; /* names NULL: see the text fields */
	char zone[TEXT_MAX], owner[TEXT_MAX], signer[TEXT_MAX];
	char line[1024];
	bool has_failure;
	struct val_step failure;
	char failure_zone[TEXT_MAX], failure_owner[TEXT_MAX];
};

struct trace {
	struct rec steps[MAX_STEPS];
	size_t n;
	bool overflow;
	enum val_status status; /* req_val_status() */
	struct wire_ede ede;    /* req_answer() */
	char ede_text[512];
	ldns_pkt *answer;
};

static void text_of(const uint8_t *name, char *out)
{
	out[0] = '\0';
	if (name != NULL)
		assert_non_null(wire_dname_to_str(name, out, TEXT_MAX));
}

static void collect(const struct val_step *s, void *arg)
{
	struct trace *t = arg;
	if (t->n == MAX_STEPS) {
		t->overflow = true;
		return;
	}
	struct rec *r = &t->steps[t->n++];
	r->s = *s;
	text_of(s->zone, r->zone);
	text_of(s->owner, r->owner);
	text_of(s->signer, r->signer);
	r->s.zone = r->s.owner = r->s.signer = NULL;
	r->s.failure = NULL;
	val_step_format(s, r->line, sizeof(r->line));
	if (s->failure != NULL) {
		r->has_failure = true;
		r->failure = *s->failure;
		text_of(s->failure->zone, r->failure_zone);
		text_of(s->failure->owner, r->failure_owner);
	}
	if (getenv("EXPLAIN_TRACE") != NULL)
		fprintf(stderr, ";; %s\n", r->line);
}

/* Explain (name, type) with a fresh request; the trace is the caller's to free (trace_free). */
static struct trace *explain(struct fx *f, const char *name, uint16_t type)
{
	struct trace *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	uint8_t qname[WIRE_DNAME_MAX];
	struct val_trace sink = {.step = collect, .arg = t};
	struct req *r = req_new_explain(&f->env.env, fake_dname(name, qname), type, &sink);
	assert_non_null(r);
	struct fake_run run;
	assert_true(fake_world_run(W->w, r, 1000, &run));
	size_t len;
	const uint8_t *wire = req_answer(r, &len, &t->ede);
	if (t->ede.text != NULL)
		snprintf(t->ede_text, sizeof(t->ede_text), "%s", t->ede.text);
	t->ede.text = NULL;
	t->status = req_val_status(r);
	assert_non_null(wire);
	assert_int_equal(ldns_wire2pkt(&t->answer, wire, len), LDNS_STATUS_OK);
	req_free(r);
	assert_false(t->overflow);
	return t;
}

static void trace_free(struct trace *t)
{
	ldns_pkt_free(t->answer);
	free(t);
}

/* The verdict: always the last step, and the only one of its kind. */
static const struct rec *verdict_of(const struct trace *t)
{
	assert_true(t->n > 0);
	for (size_t i = 0; i + 1 < t->n; i++)
		assert_int_not_equal(t->steps[i].s.kind, VAL_STEP_VERDICT);
	assert_int_equal(t->steps[t->n - 1].s.kind, VAL_STEP_VERDICT);
	return &t->steps[t->n - 1];
}

/* Index of the first step of this kind (zone, owner NULL: any) at or after from; -1 none. */
static int find_from(const struct trace *t, size_t from, enum val_step_kind kind, const char *zone,
                     const char *owner, uint16_t type)
{
	for (size_t i = from; i < t->n; i++) {
		const struct rec *r = &t->steps[i];
		if (r->s.kind == kind && (zone == NULL || strcmp(r->zone, zone) == 0) &&
		    (owner == NULL || strcmp(r->owner, owner) == 0) &&
		    (type == 0 || r->s.type == type))
			return (int)i;
	}
	return -1;
}

static int find(const struct trace *t, enum val_step_kind kind, const char *zone, const char *owner,
                uint16_t type)
{
	return find_from(t, 0, kind, zone, owner, type);
}

/* A step that must be there; returns it. */
static const struct rec *must(const struct trace *t, enum val_step_kind kind, const char *zone,
                              const char *owner, uint16_t type)
{
	int i = find(t, kind, zone, owner, type);
	if (i < 0)
		fail_msg("no %s step for zone %s owner %s type %u", val_step_kind_name(kind),
		         zone ? zone : "*", owner ? owner : "*", type);
	return &t->steps[i];
}

static size_t count(const struct trace *t, enum val_step_kind kind, const char *zone,
                    const char *owner, uint16_t type)
{
	size_t n = 0;
	for (int i = find(t, kind, zone, owner, type); i >= 0;
	     i = find_from(t, (size_t)i + 1, kind, zone, owner, type))
		n++;
	return n;
}

/* The first conclusion that came out bogus, or NULL. */
static const struct rec *first_bogus(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->steps[i].s.status == VAL_BOGUS)
			return &t->steps[i];
	return NULL;
}

/* What the resolver tells a DO client without a trace: the verdict and EDE it implies. */
static void resolve_plain(struct fx *f, const char *name, uint16_t type, enum val_status *status,
                          int *ede)
{
	struct wire_ede e = {.code = WIRE_EDE_NONE, .text = NULL};
	ldns_pkt *p = fake_resolve_flags(&f->env, W->w, name, type, CACHE_MSG_DO, &e, NULL);
	assert_non_null(p);
	*ede = e.code;
	if (ldns_pkt_get_rcode(p) == LDNS_RCODE_SERVFAIL)
		*status = VAL_BOGUS;
	else
		*status = ldns_pkt_ad(p) ? VAL_SECURE : VAL_INSECURE;
	ldns_pkt_free(p);
}

/* ---- secure ---- */

static void test_explain_secure_answer_walks_chain(void **state)
{
	struct trace *t = explain(*state, "www.secure.test.", LDNS_RR_TYPE_A);
	const struct rec *v = verdict_of(t);
	assert_int_equal(v->s.status, VAL_SECURE);
	assert_int_equal(v->s.ede, -1);
	assert_false(v->has_failure);
	assert_int_equal(t->status, VAL_SECURE);
	assert_int_equal(t->ede.code, -1);
	/* In order: the anchor, the root, test., secure.test., the answer. */
	int anchor = find(t, VAL_STEP_ANCHOR, ".", NULL, LDNS_RR_TYPE_DS);
	int root = find(t, VAL_STEP_ZONE, ".", NULL, 0);
	int tld = find(t, VAL_STEP_ZONE, "test.", NULL, 0);
	int zone = find(t, VAL_STEP_ZONE, "secure.test.", NULL, 0);
	int sig = find(t, VAL_STEP_RRSIG, "secure.test.", "www.secure.test.", LDNS_RR_TYPE_A);
	int rrset = find(t, VAL_STEP_RRSET, "secure.test.", "www.secure.test.", LDNS_RR_TYPE_A);
	assert_true(anchor >= 0 && anchor < root && root < tld && tld < zone && zone < sig &&
	            sig < rrset && rrset < (int)t->n - 1);
	for (int i = root; i <= zone;
	     i = find_from(t, (size_t)i + 1, VAL_STEP_ZONE, NULL, NULL, 0)) {
		assert_int_equal(t->steps[i].s.status, VAL_SECURE);
		assert_true(t->steps[i].s.cut);
		if (i == zone)
			break;
	}
	assert_int_equal(t->steps[sig].s.check, VAL_CHECK_OK);
	assert_int_equal(t->steps[sig].s.key_tag, key_tag("secure", false));
	assert_int_equal(t->steps[rrset].s.status, VAL_SECURE);
	trace_free(t);
}

/* The DS of secure.test. matches its KSK, which then signs the DNSKEY RRset. */
static void test_explain_secure_ds_and_keys(void **state)
{
	struct trace *t = explain(*state, "www.secure.test.", LDNS_RR_TYPE_A);
	uint16_t ksk = key_tag("secure", true), zsk = key_tag("secure", false);
	const struct rec *ds = must(t, VAL_STEP_DS, "secure.test.", NULL, 0);
	assert_int_equal(ds->s.key_tag, ksk);
	assert_int_equal(ds->s.algorithm, LDNS_ECDSAP256SHA256);
	assert_int_equal(ds->s.digest_type, LDNS_SHA256);
	assert_int_equal(ds->s.check, VAL_CHECK_OK);
	int k = find(t, VAL_STEP_DNSKEY, "secure.test.", NULL, 0);
	int n = 0;
	for (; k >= 0; k = find_from(t, (size_t)k + 1, VAL_STEP_DNSKEY, "secure.test.", NULL, 0)) {
		const struct rec *r = &t->steps[k];
		assert_int_equal(r->s.check,
		                 r->s.key_tag == ksk ? VAL_CHECK_OK : VAL_CHECK_UNTRUSTED);
		assert_true(r->s.key_tag == ksk || r->s.key_tag == zsk);
		n++;
	}
	assert_int_equal(n, 2);
	const struct rec *sig =
	        must(t, VAL_STEP_RRSIG, "secure.test.", "secure.test.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(sig->s.key_tag, ksk);
	assert_string_equal(sig->signer, "secure.test.");
	assert_int_equal(sig->s.inception, FAKE_SIG_INCEPTION);
	assert_int_equal(sig->s.expiration, FAKE_SIG_EXPIRATION);
	/* The DS RRset itself was checked with test.'s key, once (not again after the DNSKEY
	 * fetch). */
	const struct rec *dssig = must(t, VAL_STEP_RRSIG, "test.", "secure.test.", LDNS_RR_TYPE_DS);
	assert_int_equal(dssig->s.check, VAL_CHECK_OK);
	assert_int_equal(count(t, VAL_STEP_RRSIG, "test.", "secure.test.", LDNS_RR_TYPE_DS), 1);
	assert_int_equal(count(t, VAL_STEP_DS, "secure.test.", NULL, 0), 1);
	trace_free(t);
}

/* The shared key cache knows the chain already: explain still walks all of it. */
static void test_explain_private_key_cache(void **state)
{
	struct fx *f = *state;
	enum val_status st;
	int ede;
	resolve_plain(f, "www.secure.test.", LDNS_RR_TYPE_A, &st, &ede);
	assert_int_equal(st, VAL_SECURE);
	struct trace *t = explain(f, "mail.secure.test.", LDNS_RR_TYPE_MX);
	assert_int_equal(count(t, VAL_STEP_ZONE, ".", NULL, 0), 1);
	assert_int_equal(count(t, VAL_STEP_ZONE, "test.", NULL, 0), 1);
	assert_int_equal(count(t, VAL_STEP_ZONE, "secure.test.", NULL, 0), 1);
	assert_int_equal(verdict_of(t)->s.status, VAL_SECURE);
	trace_free(t);
}

/* A cold validation does the same signature checks with a trace as without. */
static void test_explain_same_work_as_untraced(void **state)
{
	struct fx *f = *state;
	enum val_status st;
	int ede;
	resolve_plain(f, "www.secure.test.", LDNS_RR_TYPE_A, &st, &ede);
	unsigned plain = sig_checks;
	sig_checks = 0;
	struct trace *t = explain(f, "www.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(sig_checks, plain);
	assert_int_equal(count(t, VAL_STEP_RRSIG, NULL, NULL, 0), plain);
	trace_free(t);
}

/*
 * A CNAME chain across three zones takes several passes of the validator:
 * each RRset is reported once all the same, and each zone once.
 */
static void test_explain_chain_each_step_once(void **state)
{
	struct trace *t = explain(*state, "chain.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(count(t, VAL_STEP_RRSET, NULL, "chain.secure.test.", LDNS_RR_TYPE_CNAME),
	                 1);
	assert_int_equal(count(t, VAL_STEP_RRSET, NULL, "a.insecure.test.", LDNS_RR_TYPE_CNAME), 1);
	assert_int_equal(count(t, VAL_STEP_RRSET, NULL, "www.nsec3.test.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(count(t, VAL_STEP_RRSIG, NULL, "chain.secure.test.", LDNS_RR_TYPE_CNAME),
	                 1);
	assert_int_equal(count(t, VAL_STEP_ZONE, "secure.test.", NULL, 0), 1);
	assert_int_equal(count(t, VAL_STEP_ZONE, "nsec3.test.", NULL, 0), 1);
	assert_int_equal(count(t, VAL_STEP_INSECURE, "insecure.test.", NULL, 0), 1);
	assert_int_equal(
	        must(t, VAL_STEP_RRSET, NULL, "a.insecure.test.", LDNS_RR_TYPE_CNAME)->s.status,
	        VAL_INSECURE);
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

/* ---- denial of existence ---- */

static void test_explain_nxdomain_nsec(void **state)
{
	struct trace *t = explain(*state, "nothere.secure.test.", LDNS_RR_TYPE_A);
	const struct rec *d =
	        must(t, VAL_STEP_DENIAL, "secure.test.", "nothere.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(d->s.proof, VAL_PROOF_NXDOMAIN);
	assert_false(d->s.nsec3);
	assert_true(d->s.count >= 1);
	assert_int_equal(d->s.status, VAL_SECURE);
	assert_true(find(t, VAL_STEP_RRSIG, "secure.test.", NULL, LDNS_RR_TYPE_NSEC) >= 0);
	assert_int_equal(verdict_of(t)->s.status, VAL_SECURE);
	assert_int_equal(ldns_pkt_get_rcode(t->answer), LDNS_RCODE_NXDOMAIN);
	trace_free(t);
}

static void test_explain_nxdomain_nsec3(void **state)
{
	struct trace *t = explain(*state, "a.nothere.nsec3.test.", LDNS_RR_TYPE_A);
	const struct rec *d =
	        must(t, VAL_STEP_DENIAL, "nsec3.test.", "a.nothere.nsec3.test.", LDNS_RR_TYPE_A);
	assert_int_equal(d->s.proof, VAL_PROOF_NXDOMAIN);
	assert_true(d->s.nsec3);
	assert_true(d->s.count >= 2);
	assert_int_equal(verdict_of(t)->s.status, VAL_SECURE);
	trace_free(t);
}

static void test_explain_wildcard_answer(void **state)
{
	struct trace *t = explain(*state, "x.wild.secure.test.", LDNS_RR_TYPE_A);
	const struct rec *d =
	        must(t, VAL_STEP_DENIAL, "secure.test.", "x.wild.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(d->s.proof, VAL_PROOF_WILDCARD_ANSWER);
	assert_int_equal(d->s.status, VAL_SECURE);
	assert_true(find(t, VAL_STEP_RRSIG, NULL, NULL, LDNS_RR_TYPE_A) <
	            find(t, VAL_STEP_DENIAL, NULL, NULL, 0));
	assert_int_equal(verdict_of(t)->s.status, VAL_SECURE);
	trace_free(t);
}

/* ---- insecure ---- */

static void test_explain_insecure_delegation(void **state)
{
	struct trace *t = explain(*state, "www.insecure.test.", LDNS_RR_TYPE_A);
	const struct rec *d = must(t, VAL_STEP_DENIAL, "test.", "insecure.test.", LDNS_RR_TYPE_DS);
	assert_int_equal(d->s.proof, VAL_PROOF_NO_DS);
	assert_int_equal(d->s.status, VAL_INSECURE);
	const struct rec *i = must(t, VAL_STEP_INSECURE, "insecure.test.", NULL, 0);
	assert_int_equal(i->s.insecure, VAL_INSECURE_NO_DS);
	assert_true(d < i);
	assert_int_equal(
	        must(t, VAL_STEP_RRSET, "insecure.test.", "www.insecure.test.", LDNS_RR_TYPE_A)
	                ->s.status,
	        VAL_INSECURE);
	const struct rec *v = verdict_of(t);
	assert_int_equal(v->s.status, VAL_INSECURE);
	assert_int_equal(v->s.ede, -1);
	assert_null(first_bogus(t));
	trace_free(t);
}

static void test_explain_optout_child(void **state)
{
	struct trace *t = explain(*state, "www.child.optout.test.", LDNS_RR_TYPE_A);
	const struct rec *d =
	        must(t, VAL_STEP_DENIAL, "optout.test.", "child.optout.test.", LDNS_RR_TYPE_DS);
	assert_int_equal(d->s.proof, VAL_PROOF_OPTOUT);
	assert_true(d->s.nsec3);
	assert_int_equal(must(t, VAL_STEP_INSECURE, "child.optout.test.", NULL, 0)->s.insecure,
	                 VAL_INSECURE_OPTOUT);
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

static void test_explain_unsupported_algorithm(void **state)
{
	struct trace *t = explain(*state, "www.alg.test.", LDNS_RR_TYPE_A);
	const struct rec *ds = must(t, VAL_STEP_DS, "alg.test.", NULL, 0);
	assert_int_equal(ds->s.algorithm, FAKE_ALG_UNSUPPORTED);
	assert_int_equal(ds->s.check, VAL_CHECK_UNSUPPORTED_ALG);
	const struct rec *i = must(t, VAL_STEP_INSECURE, "alg.test.", NULL, 0);
	assert_int_equal(i->s.insecure, VAL_INSECURE_ALGORITHM);
	assert_int_equal(i->s.ede, WIRE_EDE_UNSUPPORTED_ALG);
	assert_int_equal(verdict_of(t)->s.ede, WIRE_EDE_UNSUPPORTED_ALG);
	trace_free(t);
}

static void test_explain_unsupported_digest(void **state)
{
	struct trace *t = explain(*state, "www.digest.test.", LDNS_RR_TYPE_A);
	const struct rec *ds = must(t, VAL_STEP_DS, "digest.test.", NULL, 0);
	assert_int_equal(ds->s.digest_type, FAKE_DIGEST_UNSUPPORTED);
	assert_int_equal(ds->s.check, VAL_CHECK_UNSUPPORTED_DIGEST);
	assert_int_equal(must(t, VAL_STEP_INSECURE, "digest.test.", NULL, 0)->s.insecure,
	                 VAL_INSECURE_DIGEST);
	assert_int_equal(verdict_of(t)->s.ede, WIRE_EDE_UNSUPPORTED_DIGEST);
	trace_free(t);
}

/* RFC 9276: the NSEC3 iteration cap makes the denial insecure, EDE 27. */
static void test_explain_nsec3_iterations(void **state)
{
	struct trace *t = explain(*state, "nothere.iter.test.", LDNS_RR_TYPE_A);
	const struct rec *d =
	        must(t, VAL_STEP_DENIAL, "iter.test.", "nothere.iter.test.", LDNS_RR_TYPE_A);
	assert_int_equal(d->s.proof, VAL_PROOF_ITERATIONS);
	assert_int_equal(d->s.status, VAL_INSECURE);
	assert_int_equal(d->s.ede, WIRE_EDE_NSEC3_ITERATIONS);
	const struct rec *v = verdict_of(t);
	assert_int_equal(v->s.status, VAL_INSECURE);
	assert_int_equal(v->s.ede, WIRE_EDE_NSEC3_ITERATIONS);
	trace_free(t);
}

/* An unsigned TLD: the root proves there is no DS for other. */
static void test_explain_unsigned_tld(void **state)
{
	struct trace *t = explain(*state, "ns1.other.", LDNS_RR_TYPE_A);
	assert_int_equal(must(t, VAL_STEP_INSECURE, "other.", NULL, 0)->s.insecure,
	                 VAL_INSECURE_NO_DS);
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

static void test_explain_no_anchor(void **state)
{
	struct fx *f = *state;
	/* An anchor elsewhere replaces the built-in root anchor. */
	val_setup(f, "trust-anchor: \"elsewhere. 3600 IN DS 12345 13 2 "
	             "0000000000000000000000000000000000000000000000000000000000000000\"\n");
	struct trace *t = explain(f, "www.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(must(t, VAL_STEP_INSECURE, "secure.test.", NULL, 0)->s.insecure,
	                 VAL_INSECURE_NO_ANCHOR);
	assert_int_equal(find(t, VAL_STEP_ZONE, NULL, NULL, 0), -1);
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

static void test_explain_domain_insecure(void **state)
{
	struct fx *f = *state;
	char body[2 * ANCHOR_MAX];
	snprintf(body, sizeof(body), "%sdomain-insecure: badsig.test.\n", W->root_anchor);
	val_setup(f, body);
	struct trace *t = explain(f, "www.badsig.test.", LDNS_RR_TYPE_A);
	const struct rec *i = must(t, VAL_STEP_INSECURE, "badsig.test.", NULL, 0);
	assert_int_equal(i->s.insecure, VAL_INSECURE_DOMAIN);
	assert_string_equal(i->owner, "badsig.test."); /* the signer being looked up */
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

static void test_explain_nta(void **state)
{
	struct fx *f = *state;
	uint8_t name[WIRE_DNAME_MAX];
	assert_int_equal(val_nta_add(f->nta, fake_dname("expired.test.", name), 600, clock_wall()),
	                 0);
	struct trace *t = explain(f, "www.expired.test.", LDNS_RR_TYPE_A);
	const struct rec *n = must(t, VAL_STEP_NTA, "expired.test.", "www.expired.test.", 0);
	assert_int_equal(n->s.until, clock_wall() + 600);
	assert_int_equal(
	        must(t, VAL_STEP_RRSET, "expired.test.", "www.expired.test.", LDNS_RR_TYPE_A)
	                ->s.status,
	        VAL_INSECURE);
	assert_null(first_bogus(t));
	assert_int_equal(verdict_of(t)->s.status, VAL_INSECURE);
	trace_free(t);
}

/* ---- bogus: the first failing step, and the same EDE as without a trace ---- */

struct bogus_case {
	const char *name;
	uint16_t qtype;
	enum val_step_kind kind; /* of the first failing step */
	const char *zone;
	const char *owner;
	uint16_t type;
	enum val_check check;
	int ede; /* -1: whatever the untraced resolver gives (RFC 8914 leaves a choice) */
};

static const struct bogus_case bogus_cases[] = {
        {"www.badsig.test.", LDNS_RR_TYPE_A, VAL_STEP_RRSET, "badsig.test.", "www.badsig.test.",
         LDNS_RR_TYPE_A, VAL_CHECK_BAD_SIG, WIRE_EDE_BOGUS},
        {"www.expired.test.", LDNS_RR_TYPE_A, VAL_STEP_ZONE, "expired.test.", "expired.test.",
         LDNS_RR_TYPE_DNSKEY, VAL_CHECK_EXPIRED, WIRE_EDE_SIG_EXPIRED},
        {"www.future.test.", LDNS_RR_TYPE_A, VAL_STEP_ZONE, "future.test.", "future.test.",
         LDNS_RR_TYPE_DNSKEY, VAL_CHECK_NOT_YET_VALID, WIRE_EDE_SIG_NOT_YET},
        {"www.expone.test.", LDNS_RR_TYPE_A, VAL_STEP_RRSET, "expone.test.", "www.expone.test.",
         LDNS_RR_TYPE_A, VAL_CHECK_EXPIRED, WIRE_EDE_SIG_EXPIRED},
        {"www.dsnokey.test.", LDNS_RR_TYPE_A, VAL_STEP_ZONE, "dsnokey.test.", "dsnokey.test.",
         LDNS_RR_TYPE_DNSKEY, VAL_CHECK_NO_TRUSTED_KEY, WIRE_EDE_DNSKEY_MISSING},
        {"www.zskonly.test.", LDNS_RR_TYPE_A, VAL_STEP_ZONE, "zskonly.test.", "zskonly.test.",
         LDNS_RR_TYPE_DNSKEY, VAL_CHECK_NO_KEY, -1},
        {"www.nosig.test.", LDNS_RR_TYPE_A, VAL_STEP_ZONE, "nosig.test.", "nosig.test.",
         LDNS_RR_TYPE_DNSKEY, VAL_CHECK_NO_DNSKEYS, WIRE_EDE_DNSKEY_MISSING},
        /* An unsigned RRset: the walk goes down to its owner, and the NSEC that
         * says www has no DS is unsigned too. */
        {"www.norrsig.test.", LDNS_RR_TYPE_A, VAL_STEP_DENIAL, "norrsig.test.", "www.norrsig.test.",
         LDNS_RR_TYPE_DS, VAL_CHECK_RRSIGS_MISSING, WIRE_EDE_RRSIGS_MISSING},
        {"nothere.nodenial.test.", LDNS_RR_TYPE_A, VAL_STEP_DENIAL, "nodenial.test.",
         "nothere.nodenial.test.", LDNS_RR_TYPE_A, VAL_CHECK_NO_PROOF, WIRE_EDE_NSEC_MISSING},
        {"www.nodenial.test.", LDNS_RR_TYPE_AAAA, VAL_STEP_DENIAL, "nodenial.test.",
         "www.nodenial.test.", LDNS_RR_TYPE_AAAA, VAL_CHECK_NO_PROOF, WIRE_EDE_NSEC_MISSING},
        {"x.wild.nowild.test.", LDNS_RR_TYPE_A, VAL_STEP_DENIAL, "nowild.test.",
         "x.wild.nowild.test.", LDNS_RR_TYPE_A, VAL_CHECK_NO_PROOF, -1},
};

static void check_bogus(struct fx *f, const struct bogus_case *c)
{
	enum val_status plain_status;
	int plain_ede;
	resolve_plain(f, c->name, c->qtype, &plain_status, &plain_ede);
	assert_int_equal(plain_status, VAL_BOGUS);
	if (c->ede >= 0)
		assert_int_equal(plain_ede, c->ede);
	struct trace *t = explain(f, c->name, c->qtype);
	const struct rec *v = verdict_of(t);
	const struct rec *b = first_bogus(t);
	assert_non_null(b);
	if (b->s.kind != c->kind || strcmp(b->zone, c->zone) != 0 ||
	    strcmp(b->owner, c->owner) != 0 || b->s.type != c->type || b->s.check != c->check)
		fail_msg("%s: first failure is \"%s\"", c->name, b->line);
	/* The verdict names that step, with the resolver's own EDE. */
	assert_int_equal(v->s.status, VAL_BOGUS);
	assert_int_equal(v->s.ede, plain_ede);
	assert_int_equal(t->ede.code, plain_ede);
	assert_int_equal(t->status, VAL_BOGUS);
	assert_true(v->has_failure);
	assert_int_equal(v->failure.kind, c->kind);
	assert_string_equal(v->failure_zone, c->zone);
	assert_string_equal(v->failure_owner, c->owner);
	assert_int_equal(v->failure.check, c->check);
	/* The answer's EDE text is the failing step's line. */
	assert_string_equal(t->ede_text, b->line);
	assert_int_equal(ldns_pkt_get_rcode(t->answer), LDNS_RCODE_SERVFAIL);
	trace_free(t);
}

static void test_explain_bogus_zones(void **state)
{
	for (size_t i = 0; i < sizeof(bogus_cases) / sizeof(bogus_cases[0]); i++) {
		struct fx *f = *state;
		cache_flush(f->env.cache);
		check_bogus(f, &bogus_cases[i]);
	}
}

/* The signature step before the failure says what was wrong with it. */
static void test_explain_bad_signature_rrsig_step(void **state)
{
	struct trace *t = explain(*state, "www.badsig.test.", LDNS_RR_TYPE_A);
	int sig = find(t, VAL_STEP_RRSIG, "badsig.test.", "www.badsig.test.", LDNS_RR_TYPE_A);
	int end = find(t, VAL_STEP_RRSET, "badsig.test.", "www.badsig.test.", LDNS_RR_TYPE_A);
	assert_true(sig >= 0 && sig < end);
	assert_int_equal(t->steps[sig].s.check, VAL_CHECK_BAD_SIG);
	assert_int_equal(t->steps[sig].s.key_tag, key_tag("badsig", false));
	trace_free(t);
}

/* The DS that matches no key is named, with its tag. */
static void test_explain_ds_mismatch_step(void **state)
{
	struct trace *t = explain(*state, "www.dsnokey.test.", LDNS_RR_TYPE_A);
	const struct rec *ds = must(t, VAL_STEP_DS, "dsnokey.test.", NULL, 0);
	assert_int_equal(ds->s.check, VAL_CHECK_DIGEST_MISMATCH);
	assert_int_equal(ds->s.key_tag, key_tag("dsnokey", true));
	assert_int_equal(must(t, VAL_STEP_DNSKEY, "dsnokey.test.", NULL, 0)->s.check,
	                 VAL_CHECK_UNTRUSTED);
	trace_free(t);
}

/* A root anchor that matches no root key: the chain fails at the very top. */
static void test_explain_wrong_root_anchor(void **state)
{
	struct fx *f = *state;
	val_setup(f, "trust-anchor: \". 3600 IN DS 12345 13 2 "
	             "0000000000000000000000000000000000000000000000000000000000000000\"\n");
	struct trace *t = explain(f, "www.secure.test.", LDNS_RR_TYPE_A);
	const struct rec *a = must(t, VAL_STEP_ANCHOR, ".", NULL, LDNS_RR_TYPE_DS);
	assert_int_equal(a->s.key_tag, 12345);
	const struct rec *ds = must(t, VAL_STEP_DS, ".", NULL, 0);
	assert_int_equal(ds->s.check, VAL_CHECK_NO_KEY);
	const struct rec *b = first_bogus(t);
	assert_non_null(b);
	assert_int_equal(b->s.kind, VAL_STEP_ZONE);
	assert_string_equal(b->zone, ".");
	assert_int_equal(b->s.check, VAL_CHECK_NO_TRUSTED_KEY);
	assert_int_equal(verdict_of(t)->s.ede, WIRE_EDE_DNSKEY_MISSING);
	trace_free(t);
}

/* KeyTrap: the trace shows the limit that stopped the checks. */
static void test_explain_keytrap_limit(void **state)
{
	struct fx *f = *state;
	struct trace *t = explain(f, "www.keytrap.test.", LDNS_RR_TYPE_A);
	size_t limits = 0, checked = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct rec *r = &t->steps[i];
		if (r->s.kind != VAL_STEP_RRSIG)
			continue;
		if (r->s.check == VAL_CHECK_KEY_LIMIT)
			limits++;
		else if (r->s.check == VAL_CHECK_OK || r->s.check == VAL_CHECK_BAD_SIG)
			checked++;
	}
	assert_true(limits > 0);
	assert_int_equal(checked, sig_checks); /* one step per signature verification */
	assert_true(checked <= f->env.conf->max_sig_checks);
	const struct rec *v = verdict_of(t);
	assert_int_equal(v->s.status, VAL_BOGUS);
	assert_int_equal(v->failure.check, VAL_CHECK_BUDGET);
	trace_free(t);
}

/* ---- tracing off changes nothing; explain changes no cache a client reads ---- */

static const struct {
	const char *name;
	uint16_t type;
} names[] = {
        {"www.secure.test.", LDNS_RR_TYPE_A},       {"nothere.secure.test.", LDNS_RR_TYPE_A},
        {"www.nsec3.test.", LDNS_RR_TYPE_AAAA},     {"x.wild.nsec3.test.", LDNS_RR_TYPE_A},
        {"www.insecure.test.", LDNS_RR_TYPE_A},     {"chain.secure.test.", LDNS_RR_TYPE_A},
        {"www.alg.test.", LDNS_RR_TYPE_A},          {"nothere.iter.test.", LDNS_RR_TYPE_A},
        {"www.badsig.test.", LDNS_RR_TYPE_A},       {"www.expired.test.", LDNS_RR_TYPE_A},
        {"www.keytrap.test.", LDNS_RR_TYPE_A},      {"x.wild.nowild.test.", LDNS_RR_TYPE_A},
        {"www.child.optout.test.", LDNS_RR_TYPE_A}, {"mail.badsig.test.", LDNS_RR_TYPE_MX},
};

static void test_explain_verdicts_match_untraced(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum val_status st;
		int ede;
		resolve_plain(f, names[i].name, names[i].type, &st, &ede);
		struct trace *t = explain(f, names[i].name, names[i].type);
		const struct rec *v = verdict_of(t);
		if (v->s.status != st || v->s.ede != ede)
			fail_msg("%s: explain says %s EDE %d, the resolver %s EDE %d",
			         names[i].name, val_status_name(v->s.status), v->s.ede,
			         val_status_name(st), ede);
		trace_free(t);
	}
}

static bool msg_cached(struct fx *f, const char *name, uint16_t type, uint8_t flags)
{
	uint8_t qname[WIRE_DNAME_MAX], buf[WIRE_MSG_MAX];
	size_t len;
	int ede;
	return cache_msg_lookup(f->env.cache, fake_dname(name, qname), type, LDNS_RR_CLASS_IN,
	                        flags, clock_wall(), buf, sizeof(buf), &len, &ede) == 0;
}

static void test_explain_not_stored_in_message_cache(void **state)
{
	struct fx *f = *state;
	struct trace *t = explain(f, "www.badsig.test.", LDNS_RR_TYPE_A);
	trace_free(t);
	assert_false(msg_cached(f, "www.badsig.test.", LDNS_RR_TYPE_A, CACHE_MSG_DO));
	assert_false(msg_cached(f, "www.badsig.test.", LDNS_RR_TYPE_A, 0));
}

/* A bogus answer in the message cache does not stand in for the walk. */
static void test_explain_not_answered_from_message_cache(void **state)
{
	struct fx *f = *state;
	enum val_status st;
	int ede;
	resolve_plain(f, "www.badsig.test.", LDNS_RR_TYPE_A, &st, &ede);
	assert_true(msg_cached(f, "www.badsig.test.", LDNS_RR_TYPE_A, CACHE_MSG_DO));
	struct trace *t = explain(f, "www.badsig.test.", LDNS_RR_TYPE_A);
	assert_int_equal(count(t, VAL_STEP_ZONE, "badsig.test.", NULL, 0), 1);
	assert_true(verdict_of(t)->has_failure);
	trace_free(t);
}

/* RFC 8198 answers from validated denials would skip the walk: not for explain. */
static void test_explain_not_aggressive(void **state)
{
	struct fx *f = *state;
	f->val.cache = f->env.cache;
	f->val.aggressive = true;
	enum val_status st;
	int ede;
	resolve_plain(f, "nothere.secure.test.", LDNS_RR_TYPE_A, &st, &ede);
	struct trace *t = explain(f, "nothere2.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(STATS_GET(&f->env.stats, val_aggressive), 0);
	assert_true(find(t, VAL_STEP_DENIAL, "secure.test.", NULL, 0) >= 0);
	assert_int_equal(verdict_of(t)->s.status, VAL_SECURE);
	trace_free(t);
	/* A client's question would have been answered from them. */
	resolve_plain(f, "nothere3.secure.test.", LDNS_RR_TYPE_A, &st, &ede);
	assert_int_equal(STATS_GET(&f->env.stats, val_aggressive), 1);
}

/* The validation counters are about clients' answers: an explain does not count. */
static void test_explain_not_counted(void **state)
{
	struct fx *f = *state;
	trace_free(explain(f, "www.secure.test.", LDNS_RR_TYPE_A));
	trace_free(explain(f, "www.badsig.test.", LDNS_RR_TYPE_A));
	assert_int_equal(STATS_GET(&f->env.stats, val_secure), 0);
	assert_int_equal(STATS_GET(&f->env.stats, val_bogus), 0);
}

/* Validation off: the request itself reports that nothing was validated. */
static void test_explain_validation_off(void **state)
{
	struct fx *f = *state;
	f->env.env.val = NULL;
	struct trace *t = explain(f, "www.secure.test.", LDNS_RR_TYPE_A);
	assert_int_equal(t->n, 1);
	assert_int_equal(verdict_of(t)->s.status, VAL_INDETERMINATE);
	assert_int_equal(t->status, VAL_INDETERMINATE);
	assert_int_equal(ldns_pkt_get_rcode(t->answer), LDNS_RCODE_NOERROR);
	trace_free(t);
}

/* No trace given: an explain request still resolves and validates. */
static void test_explain_null_trace(void **state)
{
	struct fx *f = *state;
	uint8_t qname[WIRE_DNAME_MAX];
	struct req *r = req_new_explain(&f->env.env, fake_dname("www.badsig.test.", qname),
	                                LDNS_RR_TYPE_A, NULL);
	assert_non_null(r);
	struct fake_run run;
	assert_true(fake_world_run(W->w, r, 1000, &run));
	struct wire_ede ede;
	size_t len;
	assert_non_null(req_answer(r, &len, &ede));
	assert_int_equal(req_val_status(r), VAL_BOGUS);
	assert_int_equal(ede.code, WIRE_EDE_BOGUS);
	assert_non_null(ede.text);
	req_free(r);
}

/* ---- the formatter ---- */

static const uint8_t *dn(const char *text)
{
	static uint8_t bufs[4][WIRE_DNAME_MAX];
	static unsigned next;
	uint8_t *b = bufs[next++ % 4];
	if (wire_dname_from_str(text, b, NULL) != 0)
		fail_msg("bad name %s", text);
	return b;
}

static void expect_line(const struct val_step *s, const char *want)
{
	char buf[512];
	size_t n = val_step_format(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* 2026-11-01T00:00:00Z and 2026-12-01T00:00:00Z */
#define T_NOV 1793491200
#define T_DEC 1796083200

static void test_val_step_format_ds(void **state)
{
	struct val_step s = {.kind = VAL_STEP_DS,
	                     .ede = -1,
	                     .zone = dn("example."),
	                     .type = LDNS_RR_TYPE_DS,
	                     .key_tag = 12345,
	                     .algorithm = 13,
	                     .digest_type = 2};
	expect_line(&s, "zone example. DS tag=12345 alg=13 (ECDSAP256SHA256) digest=2 matches "
	                "DNSKEY 12345");
	s.check = VAL_CHECK_DIGEST_MISMATCH;
	expect_line(&s, "zone example. DS tag=12345 alg=13 (ECDSAP256SHA256) digest=2: digest "
	                "matches no DNSKEY");
}

static void test_val_step_format_dnskey(void **state)
{
	struct val_step s = {.kind = VAL_STEP_DNSKEY,
	                     .ede = -1,
	                     .zone = dn("example."),
	                     .type = LDNS_RR_TYPE_DNSKEY,
	                     .key_tag = 12345,
	                     .algorithm = 15,
	                     .flags = 257};
	expect_line(&s, "zone example. DNSKEY tag=12345 alg=15 (ED25519) flags=257 (KSK): trusted "
	                "(matches a DS or anchor)");
	s.flags = 256;
	s.check = VAL_CHECK_UNTRUSTED;
	expect_line(&s, "zone example. DNSKEY tag=12345 alg=15 (ED25519) flags=256 (ZSK): not "
	                "matched by a DS or anchor");
}

static void test_val_step_format_rrsig(void **state)
{
	struct val_step s = {.kind = VAL_STEP_RRSIG,
	                     .check = VAL_CHECK_BAD_SIG,
	                     .ede = -1,
	                     .zone = dn("example."),
	                     .owner = dn("www.example."),
	                     .type = LDNS_RR_TYPE_A,
	                     .signer = dn("example."),
	                     .key_tag = 12345,
	                     .algorithm = 13,
	                     .inception = T_NOV,
	                     .expiration = T_DEC};
	expect_line(&s, "zone example. RRSIG A www.example. by 12345/13 valid "
	                "2026-11-01T00:00:00Z..2026-12-01T00:00:00Z: bad signature");
	s.check = VAL_CHECK_OK;
	expect_line(&s, "zone example. RRSIG A www.example. by 12345/13 valid "
	                "2026-11-01T00:00:00Z..2026-12-01T00:00:00Z: valid");
}

static void test_val_step_format_zone(void **state)
{
	struct val_step s = {.kind = VAL_STEP_ZONE,
	                     .status = VAL_SECURE,
	                     .ede = -1,
	                     .zone = dn("example."),
	                     .owner = dn("example."),
	                     .type = LDNS_RR_TYPE_DNSKEY,
	                     .cut = true,
	                     .count = 2};
	expect_line(&s, "zone example. secure, 2 usable DNSKEYs");
	s.status = VAL_BOGUS;
	s.check = VAL_CHECK_EXPIRED;
	s.ede = WIRE_EDE_SIG_EXPIRED;
	expect_line(&s, "zone example. DNSKEY bogus: signature expired EDE 7 (Signature Expired)");
	s = (struct val_step){
	        .kind = VAL_STEP_ZONE, .status = VAL_SECURE, .zone = dn("a.example.")};
	expect_line(&s, "zone a.example. is not a zone cut");
}

static void test_val_step_format_denial(void **state)
{
	struct val_step s = {.kind = VAL_STEP_DENIAL,
	                     .status = VAL_INSECURE,
	                     .ede = WIRE_EDE_NSEC3_ITERATIONS,
	                     .zone = dn("example."),
	                     .owner = dn("nothere.example."),
	                     .type = LDNS_RR_TYPE_A,
	                     .proof = VAL_PROOF_ITERATIONS,
	                     .nsec3 = true,
	                     .count = 3};
	expect_line(&s, "zone example. NSEC3 denial of nothere.example. A: proves nsec3-iterations "
	                "-> insecure EDE 27 (Unsupported NSEC3 Iterations Value)");
	s = (struct val_step){.kind = VAL_STEP_DENIAL,
	                      .status = VAL_BOGUS,
	                      .check = VAL_CHECK_NO_PROOF,
	                      .ede = WIRE_EDE_NSEC_MISSING,
	                      .zone = dn("example."),
	                      .owner = dn("www.example."),
	                      .type = LDNS_RR_TYPE_AAAA};
	expect_line(&s, "zone example. denial of www.example. AAAA: no validated NSEC/NSEC3 -> "
	                "bogus: no valid denial proof EDE 12 (NSEC Missing)");
	s = (struct val_step){.kind = VAL_STEP_DENIAL,
	                      .status = VAL_INSECURE,
	                      .ede = -1,
	                      .zone = dn("example."),
	                      .owner = dn("www.example."),
	                      .type = LDNS_RR_TYPE_AAAA};
	expect_line(&s, "zone example. denial of www.example. AAAA not checked -> insecure");
}

static void test_val_step_format_insecure_and_nta(void **state)
{
	struct val_step s = {.kind = VAL_STEP_INSECURE,
	                     .status = VAL_INSECURE,
	                     .ede = -1,
	                     .zone = dn("example."),
	                     .owner = dn("example."),
	                     .insecure = VAL_INSECURE_NO_DS};
	expect_line(&s, "zone example. insecure: no DS (proven by the parent)");
	s.insecure = VAL_INSECURE_ALGORITHM;
	s.ede = WIRE_EDE_UNSUPPORTED_ALG;
	expect_line(&s, "zone example. insecure: only unsupported algorithms EDE 1 (Unsupported "
	                "DNSKEY Algorithm)");
	s = (struct val_step){.kind = VAL_STEP_NTA,
	                      .status = VAL_INSECURE,
	                      .ede = -1,
	                      .zone = dn("example."),
	                      .owner = dn("www.example."),
	                      .until = T_NOV};
	expect_line(&s, "negative trust anchor example. covers www.example. until "
	                "2026-11-01T00:00:00Z");
}

static void test_val_step_format_verdict(void **state)
{
	struct val_step fail = {.kind = VAL_STEP_RRSET,
	                        .status = VAL_BOGUS,
	                        .check = VAL_CHECK_BAD_SIG,
	                        .ede = WIRE_EDE_BOGUS,
	                        .zone = dn("example."),
	                        .owner = dn("www.example."),
	                        .type = LDNS_RR_TYPE_A};
	struct val_step s = {.kind = VAL_STEP_VERDICT,
	                     .status = VAL_BOGUS,
	                     .check = VAL_CHECK_BAD_SIG,
	                     .ede = WIRE_EDE_BOGUS,
	                     .zone = dn("www.example."),
	                     .owner = dn("www.example."),
	                     .type = LDNS_RR_TYPE_A,
	                     .failure = &fail};
	expect_line(&s, "verdict bogus EDE 6 (DNSSEC Bogus): first failure at www.example. A in "
	                "zone example.: bad signature");
	expect_line(&fail, "rrset www.example. A in example.: bogus: bad signature EDE 6 (DNSSEC "
	                   "Bogus)");
	s = (struct val_step){.kind = VAL_STEP_VERDICT, .status = VAL_SECURE, .ede = -1};
	expect_line(&s, "verdict secure");
	s = (struct val_step){.kind = VAL_STEP_VERDICT,
	                      .status = VAL_BOGUS,
	                      .check = VAL_CHECK_BUDGET,
	                      .ede = WIRE_EDE_BOGUS};
	expect_line(&s, "verdict bogus EDE 6 (DNSSEC Bogus): validation work budget exhausted");
}

/* Like snprintf: the whole length back, the buffer cut and terminated. */
static void test_val_step_format_truncates(void **state)
{
	struct val_step s = {.kind = VAL_STEP_VERDICT, .status = VAL_SECURE, .ede = -1};
	char buf[5];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(val_step_format(&s, buf, sizeof(buf)), strlen("verdict secure"));
	assert_string_equal(buf, "verd");
	assert_int_equal(val_step_format(&s, NULL, 0), strlen("verdict secure"));
}

static void test_val_trace_names(void **state)
{
	assert_string_equal(val_step_kind_name(VAL_STEP_RRSIG), "rrsig");
	assert_string_equal(val_step_kind_name((enum val_step_kind)99), "?");
	assert_string_equal(val_check_name(VAL_CHECK_EXPIRED), "signature expired");
	assert_string_equal(val_check_name((enum val_check)99), "?");
	assert_string_equal(val_insecure_name(VAL_INSECURE_OPTOUT), "no DS (NSEC3 opt-out)");
	assert_string_equal(val_algorithm_name(8), "RSASHA256");
	assert_string_equal(val_algorithm_name(200), "unknown");
	assert_string_equal(val_ede_name(27), "Unsupported NSEC3 Iterations Value");
	assert_string_equal(val_ede_name(9), "DNSKEY Missing");
	assert_string_equal(val_ede_name(-1), "unknown");
	assert_string_equal(val_ede_name(1000), "unknown");
}

#define EX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest world[] = {
	        EX_TEST(test_explain_secure_answer_walks_chain),
	        EX_TEST(test_explain_secure_ds_and_keys),
	        EX_TEST(test_explain_private_key_cache),
	        EX_TEST(test_explain_same_work_as_untraced),
	        EX_TEST(test_explain_chain_each_step_once),
	        EX_TEST(test_explain_nxdomain_nsec),
	        EX_TEST(test_explain_nxdomain_nsec3),
	        EX_TEST(test_explain_wildcard_answer),
	        EX_TEST(test_explain_insecure_delegation),
	        EX_TEST(test_explain_optout_child),
	        EX_TEST(test_explain_unsupported_algorithm),
	        EX_TEST(test_explain_unsupported_digest),
	        EX_TEST(test_explain_nsec3_iterations),
	        EX_TEST(test_explain_unsigned_tld),
	        EX_TEST(test_explain_no_anchor),
	        EX_TEST(test_explain_domain_insecure),
	        EX_TEST(test_explain_nta),
	        EX_TEST(test_explain_bogus_zones),
	        EX_TEST(test_explain_bad_signature_rrsig_step),
	        EX_TEST(test_explain_ds_mismatch_step),
	        EX_TEST(test_explain_wrong_root_anchor),
	        EX_TEST(test_explain_keytrap_limit),
	        EX_TEST(test_explain_verdicts_match_untraced),
	        EX_TEST(test_explain_not_stored_in_message_cache),
	        EX_TEST(test_explain_not_answered_from_message_cache),
	        EX_TEST(test_explain_not_aggressive),
	        EX_TEST(test_explain_not_counted),
	        EX_TEST(test_explain_validation_off),
	        EX_TEST(test_explain_null_trace),
	};
	const struct CMUnitTest format[] = {
	        cmocka_unit_test(test_val_step_format_ds),
	        cmocka_unit_test(test_val_step_format_dnskey),
	        cmocka_unit_test(test_val_step_format_rrsig),
	        cmocka_unit_test(test_val_step_format_zone),
	        cmocka_unit_test(test_val_step_format_denial),
	        cmocka_unit_test(test_val_step_format_insecure_and_nta),
	        cmocka_unit_test(test_val_step_format_verdict),
	        cmocka_unit_test(test_val_step_format_truncates),
	        cmocka_unit_test(test_val_trace_names),
	};
	int failed = cmocka_run_group_tests_name("explain", world, world_setup, world_teardown);
	failed += cmocka_run_group_tests_name("format", format, NULL, NULL);
	return failed;
}
