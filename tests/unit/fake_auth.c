/*
 * fake_auth.c - the fake authoritative world of fake_auth.h: zone data in
 * ldns lists, answers built the way RFC 1034 §4.3.2 describes an
 * authoritative server's algorithm (referrals at zone cuts with glue, DNAME
 * and CNAME chains, NXDOMAIN and NODATA with the SOA of RFC 2308 §3), and a
 * driver that runs a request against it on the fake clock.
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

#define FAKE_MAX_SERVERS 64
#define FAKE_MAX_ZONES   16
#define FAKE_MAX_CHAIN   32 /* CNAME/DNAME links a server follows inside its zone */

struct fake_zone {
	ldns_rdf *origin;
	ldns_rr *soa;
	ldns_rr_list *rrs; /* every record but the SOA */
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

static void server_free(struct fake_server *s)
{
	for (unsigned i = 0; i < s->n_zones; i++) {
		ldns_rdf_deep_free(s->zones[i].origin);
		ldns_rr_free(s->zones[i].soa);
		ldns_rr_list_deep_free(s->zones[i].rrs);
	}
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

int fake_server_zone(struct fake_server *s, const char *origin, const char *text)
{
	if (s->n_zones == FAKE_MAX_ZONES)
		return ERR_SPACE;
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	ldns_zone *z = NULL;
	int line = 1;
	ldns_status st = LDNS_STATUS_MEM_ERR;
	if (o != NULL && fp != NULL)
		st = ldns_zone_new_frm_fp_l(&z, fp, o, 3600, LDNS_RR_CLASS_IN, &line);
	if (fp != NULL)
		fclose(fp);
	if (st != LDNS_STATUS_OK || ldns_zone_soa(z) == NULL) {
		fprintf(stderr, "fake zone %s line %d: %s\n", origin, line,
		        st == LDNS_STATUS_OK ? "no SOA" : ldns_get_errorstr_by_id(st));
		ldns_rdf_deep_free(o);
		if (z != NULL)
			ldns_zone_deep_free(z);
		return ERR_SYNTAX;
	}
	struct fake_zone *fz = &s->zones[s->n_zones++];
	ldns_dname2canonical(o);
	fz->origin = o;
	fz->soa = ldns_rr_clone(ldns_zone_soa(z));
	fz->rrs = ldns_rr_list_clone(ldns_zone_rrs(z));
	ldns_zone_deep_free(z);
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

/* ---- answering ---- */

static bool same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
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
		if (ldns_rr_get_type(rr) == type && same_name(ldns_rr_owner(rr), owner)) {
			ldns_pkt_push_rr(pkt, sec, ldns_rr_clone(rr));
			n++;
		}
	}
	return n;
}

static const ldns_rr *zone_find(const struct fake_zone *z, const ldns_rdf *owner, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		if (ldns_rr_get_type(rr) == type && same_name(ldns_rr_owner(rr), owner))
			return rr;
	}
	return NULL;
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
static ldns_rdf *apply_dname(const struct fake_zone *z, const ldns_rdf *name, const ldns_rdf *owner,
                             ldns_pkt *pkt)
{
	const ldns_rr *d = zone_find(z, owner, LDNS_RR_TYPE_DNAME);
	const ldns_rdf *target = ldns_rr_rdf(d, 0);
	/* The labels of name below owner, then the target (RFC 6672 §2.2). */
	size_t keep = ldns_rdf_size(name) - ldns_rdf_size(owner);
	uint8_t buf[WIRE_DNAME_MAX];
	if (keep + ldns_rdf_size(target) > WIRE_DNAME_MAX)
		return NULL; /* RFC 6672 §2.2: YXDOMAIN; not needed by the tests */
	memcpy(buf, ldns_rdf_data(name), keep);
	memcpy(buf + keep, ldns_rdf_data(target), ldns_rdf_size(target));
	ldns_rdf *out = ldns_dname_new_frm_data((uint16_t)(keep + ldns_rdf_size(target)), buf);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(d));
	ldns_rr *cname = ldns_rr_new_frm_type(LDNS_RR_TYPE_CNAME);
	ldns_rr_set_owner(cname, ldns_rdf_clone(name));
	ldns_rr_set_ttl(cname, ldns_rr_ttl(d));
	ldns_rr_set_class(cname, LDNS_RR_CLASS_IN);
	ldns_rr_set_rdf(cname, ldns_rdf_clone(out), 0);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, cname);
	return out;
}

static void referral(const struct fake_zone *z, const ldns_rdf *cut, ldns_pkt *pkt)
{
	zone_take(z, cut, LDNS_RR_TYPE_NS, pkt, LDNS_SECTION_AUTHORITY);
	add_glue(z, pkt, LDNS_SECTION_AUTHORITY);
}

static void negative(const struct fake_zone *z, const ldns_rdf *name, ldns_pkt *pkt, bool soa)
{
	if (!zone_name_exists(z, name))
		ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
	/* RFC 2308 §3: the SOA goes in the authority section (sent as is: the
	 * resolver must take the smaller of its TTL and MINIMUM itself, §5). */
	if (soa)
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(z->soa));
}

/* One step of RFC 1034 §4.3.2 step 3 for name; returns the next name of a chain or NULL. */
static ldns_rdf *zone_step(const struct fake_zone *z, const ldns_rdf *name, ldns_rr_type qtype,
                           bool first, bool soa, ldns_pkt *pkt)
{
	ldns_rdf *at = NULL;
	enum walk wk = zone_walk(z, name, qtype, &at);
	if (wk == WALK_REFERRAL) {
		/* Chains into a child zone stop here: the resolver goes on from there. */
		if (first) {
			ldns_pkt_set_aa(pkt, false);
			referral(z, at, pkt);
		}
		ldns_rdf_deep_free(at);
		return NULL;
	}
	ldns_pkt_set_aa(pkt, true);
	if (wk == WALK_DNAME) {
		ldns_rdf *next = apply_dname(z, name, at, pkt);
		ldns_rdf_deep_free(at);
		return next;
	}
	if (zone_take(z, name, qtype, pkt, LDNS_SECTION_ANSWER) > 0) {
		if (qtype == LDNS_RR_TYPE_NS)
			add_glue(z, pkt, LDNS_SECTION_ANSWER);
		return NULL;
	}
	const ldns_rr *cname = zone_find(z, name, LDNS_RR_TYPE_CNAME);
	if (cname != NULL && qtype != LDNS_RR_TYPE_CNAME) {
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(cname));
		return ldns_rdf_clone(ldns_rr_rdf(cname, 0));
	}
	negative(z, name, pkt, soa);
	return NULL;
}

static void zone_answer(const struct fake_zone *z, const ldns_rdf *qname, ldns_rr_type qtype,
                        bool soa, ldns_pkt *pkt)
{
	ldns_rdf *name = ldns_rdf_clone(qname);
	for (unsigned links = 0; name != NULL && links < FAKE_MAX_CHAIN; links++) {
		ldns_rdf *next = zone_step(z, name, qtype, links == 0, soa, pkt);
		ldns_rdf_deep_free(name);
		name = next;
		/* A chain that leaves the zone is the resolver's to follow. */
		if (name != NULL && !ldns_dname_is_subdomain(name, z->origin) &&
		    !same_name(name, z->origin)) {
			ldns_rdf_deep_free(name);
			name = NULL;
		}
	}
	ldns_rdf_deep_free(name);
}

/* The zone of the server closest to the name (the deepest apex above it). */
static const struct fake_zone *server_zone(const struct fake_server *s, const ldns_rdf *name)
{
	const struct fake_zone *best = NULL;
	for (unsigned i = 0; i < s->n_zones; i++) {
		const struct fake_zone *z = &s->zones[i];
		if (!same_name(name, z->origin) && !ldns_dname_is_subdomain(name, z->origin))
			continue;
		if (best == NULL ||
		    ldns_dname_label_count(z->origin) > ldns_dname_label_count(best->origin))
			best = z;
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
	if (edns)
		ldns_pkt_set_edns_udp_size(p, 1232);
	if (s->mode == FAKE_SERVFAIL || question == NULL) {
		ldns_pkt_set_rcode(p, question == NULL ? LDNS_RCODE_FORMERR : LDNS_RCODE_SERVFAIL);
		return p;
	}
	const struct fake_zone *z = server_zone(s, ldns_rr_owner(question));
	if (s->mode == FAKE_LAME || z == NULL) {
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		return p;
	}
	if (s->mode == FAKE_TC_UDP && !tcp) {
		ldns_pkt_set_tc(p, true);
		return p;
	}
	zone_answer(z, ldns_rr_owner(question), ldns_rr_get_type(question), s->mode != FAKE_NO_SOA,
	            p);
	for (int i = 0; i < 3; i++)
		push_all(p, (ldns_pkt_section)(LDNS_SECTION_ANSWER + i), s->poison[i]);
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
	uint8_t qname[WIRE_DNAME_MAX];
	struct fake_run local;
	if (run == NULL)
		run = &local;
	struct req *r = req_new(&e->env, fake_dname(name, qname), type, LDNS_RR_CLASS_IN, 0);
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
