/*
 * iterator.c - the iterator's state machine: one stack of tasks per client
 * question (the question itself, then sub-questions for name server
 * addresses and priming), one function per state, a switch to dispatch.
 *
 * Every loop driven by what servers send is bounded by the budget shared
 * by the whole client question (DESIGN.md "Limits").
 */
#include "config.h"

#include <string.h>

#include "mangrove/anchor.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/random.h"
#include "iter_internal.h"

/* A safety net: no client question needs this many state changes. */
#define ITER_MAX_STEPS 10000

static const char *const state_names[ITER_ST_MAX_] = {
        [ITER_ST_INIT] = "init",         [ITER_ST_FIND_CUT] = "find-cut",
        [ITER_ST_SELECT] = "select",     [ITER_ST_SENT] = "sent",
        [ITER_ST_REPLY] = "reply",       [ITER_ST_WAIT_SUB] = "wait-sub",
        [ITER_ST_FINISHED] = "finished",
};

const char *iter_state_name(int state)
{
	return state >= 0 && state < ITER_ST_MAX_ ? state_names[state] : "?";
}

const uint8_t *iter__owner(const ldns_rr *rr)
{
	return ldns_rdf_data(ldns_rr_owner(rr));
}

const uint8_t *iter__rdf_name(const ldns_rdf *rdf)
{
	return ldns_rdf_data(rdf);
}

struct iter_task *iter__top(struct iter *it)
{
	return it->tasks[it->n_tasks - 1];
}

static void task_free(struct iter_task *t)
{
	if (t == NULL)
		return;
	ldns_rr_list_deep_free(t->answer);
	ldns_rr_list_deep_free(t->authority);
	ldns_pkt_free(t->reply);
	free(t->dp);
	free(t);
}

static struct iter_task *task_new(enum iter_task_kind kind, const uint8_t *qname, uint16_t qtype,
                                  uint16_t qclass)
{
	struct iter_task *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->kind = kind;
	memcpy(t->qname, qname, wire_dname_len(qname));
	t->qtype = qtype;
	t->qclass = qclass;
	t->cur = -1;
	t->ede_code = -1;
	t->cacheable = true;
	t->answer = ldns_rr_list_new();
	t->authority = ldns_rr_list_new();
	if (t->answer == NULL || t->authority == NULL) {
		task_free(t);
		return NULL;
	}
	return t;
}

static bool task_push(struct iter *it, enum iter_task_kind kind, const uint8_t *qname,
                      uint16_t qtype)
{
	if (it->n_tasks == ITER_MAX_TASKS)
		return false;
	struct iter_task *t = task_new(kind, qname, qtype, LDNS_RR_CLASS_IN);
	if (t == NULL)
		return false;
	it->tasks[it->n_tasks++] = t;
	return true;
}

struct iter *iter_new(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                      uint16_t qclass, struct iter_budget *budget)
{
	struct iter *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return NULL;
	it->env = env;
	it->budget = budget;
	struct iter_task *t = task_new(ITER_TASK_MAIN, qname, qtype, qclass);
	if (t == NULL) {
		free(it);
		return NULL;
	}
	it->tasks[it->n_tasks++] = t;
	return it;
}

void iter_free(struct iter *it)
{
	if (it == NULL)
		return;
	for (unsigned i = 0; i < it->n_tasks; i++)
		task_free(it->tasks[i]);
	free(it);
}

static void task_finish(struct iter_task *t, uint16_t rcode)
{
	t->rcode = rcode;
	t->state = ITER_ST_FINISHED;
}

void iter_abort(struct iter *it, int ede_code, const char *ede_text)
{
	while (it->n_tasks > 1)
		task_free(it->tasks[--it->n_tasks]);
	struct iter_task *t = it->tasks[0];
	ldns_rr_list_deep_free(t->answer);
	ldns_rr_list_deep_free(t->authority);
	t->answer = ldns_rr_list_new();
	t->authority = ldns_rr_list_new();
	t->ede_code = ede_code;
	t->ede_text = ede_text;
	t->cacheable = false;
	it->aborted = true;
	task_finish(t, LDNS_RCODE_SERVFAIL);
}

/* A sub-question fails alone (its parent tries other servers); the client's fails all. */
static void task_fail(struct iter *it, struct iter_task *t, int ede_code, const char *ede_text)
{
	if (t != it->tasks[0]) {
		t->ede_code = ede_code;
		t->ede_text = ede_text;
		task_finish(t, LDNS_RCODE_SERVFAIL);
		return;
	}
	iter_abort(it, ede_code, ede_text);
}

/* A bound from DESIGN.md "Limits" was reached: SERVFAIL, counter, debug log. */
static void iter_limit(struct iter *it, enum stats_limit which, const char *text)
{
	char name[LDNS_MAX_DOMAINLEN + 1];
	STATS_INC(it->env->stats, limits[which]);
	log_debug(LOG_LEVEL_QUERY, "query %s: %s",
	          wire_dname_to_str(it->tasks[0]->qname, name, sizeof(name)), text);
	iter_abort(it, WIRE_EDE_OTHER, text);
}

static bool chain_too_long(struct iter *it, struct iter_task *t)
{
	if (t->chain <= it->env->conf->max_cname_chain)
		return false;
	iter_limit(it, STATS_LIMIT_CNAME, "CNAME/DNAME chain too long");
	return true;
}

/* ---- ITER_ST_INIT ---- */

static ldns_rr_list *cached_answer(struct iter *it, const uint8_t *name, uint16_t type)
{
	enum cache_trust trust;
	ldns_rdf *owner = ldns_dname_new_frm_data((uint16_t)wire_dname_len(name), name);
	if (owner == NULL)
		return NULL;
	ldns_rr_list *sigs = NULL;
	ldns_rr_list *rrs = cache_rrset_lookup(it->env->cache, owner, type, LDNS_RR_CLASS_IN,
	                                       clock_wall(), &trust, &sigs);
	ldns_rdf_deep_free(owner);
	/* Glue and referral data are for finding servers, never for answers. */
	if (rrs != NULL && trust < CACHE_TRUST_ANSWER_NA) {
		ldns_rr_list_deep_free(rrs);
		ldns_rr_list_deep_free(sigs);
		return NULL;
	}
	/* The RRSIGs travel with the records, for the validator and DO clients. */
	if (rrs != NULL && sigs != NULL)
		ldns_rr_list_cat(rrs, sigs);
	ldns_rr_list_free(sigs);
	return rrs;
}

static bool append_all(ldns_rr_list *dst, ldns_rr_list *src)
{
	bool ok = ldns_rr_list_cat(dst, src);
	ldns_rr_list_free(src); /* the records now belong to dst */
	return ok;
}

static void st_init(struct iter *it, struct iter_task *t)
{
	ldns_rr_list *rrs = cached_answer(it, t->qname, t->qtype);
	if (rrs != NULL) {
		append_all(t->answer, rrs);
		task_finish(t, LDNS_RCODE_NOERROR);
		return;
	}
	if (t->qtype != LDNS_RR_TYPE_CNAME &&
	    (rrs = cached_answer(it, t->qname, LDNS_RR_TYPE_CNAME)) != NULL) {
		const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(rrs, 0), 0);
		memcpy(t->qname, iter__rdf_name(target), ldns_rdf_size(target));
		append_all(t->answer, rrs);
		t->chain++;
		if (!chain_too_long(it, t))
			t->state = ITER_ST_INIT;
		return;
	}
	t->state = ITER_ST_FIND_CUT;
}

/* ---- ITER_ST_FIND_CUT ---- */

/* Usable: some server address, or an NS name outside the zone we can look up. */
static bool deleg_usable(const struct iter_deleg *dp)
{
	if (dp->n_srv > 0)
		return true;
	for (unsigned i = 0; i < dp->n_ns; i++) {
		if (!wire_dname_is_subdomain(dp->ns[i].name, dp->zone))
			return true;
	}
	return false;
}

/* The closest cached zone cut at or above name with servers we can reach. */
static struct iter_deleg *closest_cut(const struct req_env *env, const uint8_t *name)
{
	for (;;) {
		struct iter_deleg *dp = iter__deleg_from_cache(env, name);
		if (dp != NULL && deleg_usable(dp))
			return dp;
		free(dp);
		if (name[0] == 0)
			return NULL;
		name = wire_dname_parent(name);
	}
}

static struct iter_deleg *task_cut(struct iter *it, const struct iter_task *t)
{
	const uint8_t *name = t->qname;
	/* RFC 4035 §3.1.4.1: DS lives in the parent zone. */
	if (t->qtype == LDNS_RR_TYPE_DS && name[0] != 0)
		name = wire_dname_parent(name);
	return closest_cut(it->env, name);
}

int iter_cut_lookup(const struct req_env *env, const uint8_t *name, struct iter_cut *out)
{
	struct iter_deleg *dp = closest_cut(env, name);
	if (dp == NULL)
		dp = iter__deleg_from_hints(env);
	if (dp == NULL)
		return ERR_NOMEM;
	memset(out, 0, sizeof(*out));
	memcpy(out->zone, dp->zone, wire_dname_len(dp->zone));
	out->from_hints = dp->from_hints;
	for (unsigned i = 0; i < dp->n_ns && i < ITER_CUT_NS; i++, out->n_ns++)
		memcpy(out->ns[i], dp->ns[i].name, wire_dname_len(dp->ns[i].name));
	for (unsigned i = 0; i < dp->n_srv && i < ITER_CUT_SERVERS; i++, out->n_srv++) {
		out->srv[i].addr = dp->srv[i].addr;
		out->srv[i].ns = dp->srv[i].ns;
	}
	free(dp);
	return 0;
}

static void qmin_reset(struct iter *it, struct iter_task *t)
{
	unsigned zone_labels = wire_dname_labels(t->dp->zone);
	t->qmin = it->env->conf->qname_minimisation && t->qtype != LDNS_RR_TYPE_DS &&
	          zone_labels + 1 < wire_dname_labels(t->qname);
	t->qmin_labels = zone_labels + 1;
	t->qmin_steps = 0;
}

static void st_find_cut(struct iter *it, struct iter_task *t)
{
	static const uint8_t root[1] = {0};
	free(t->dp);
	t->dp = t->kind == ITER_TASK_PRIME ? NULL : task_cut(it, t);
	if (t->dp == NULL) {
		/* RFC 8109: learn the current root NS set from the hints once. */
		if (t->kind != ITER_TASK_PRIME && !t->primed) {
			t->primed = true;
			if (task_push(it, ITER_TASK_PRIME, root, LDNS_RR_TYPE_NS)) {
				t->state = ITER_ST_WAIT_SUB;
				return;
			}
		}
		t->dp = iter__deleg_from_hints(it->env);
	}
	if (t->dp == NULL) {
		iter_abort(it, WIRE_EDE_OTHER, "out of memory");
		return;
	}
	qmin_reset(it, t);
	t->state = ITER_ST_SELECT;
}

/* ---- ITER_ST_SELECT ---- */

/* True when a task lower in the stack already resolves this name. */
static bool resolving(struct iter *it, const uint8_t *name)
{
	for (unsigned i = 0; i < it->n_tasks; i++) {
		if (wire_dname_equal(it->tasks[i]->qname, name))
			return true;
	}
	return false;
}

/* An address of this family is already known for NS name index i. */
static bool ns_has_family(const struct iter_deleg *dp, unsigned i, int family)
{
	for (unsigned k = 0; k < dp->n_srv; k++) {
		if (dp->srv[k].ns == i && sa_family(&dp->srv[k].addr) == family)
			return true;
	}
	return false;
}

/*
 * The NS name and type to look up next, -1 when none: names with no address
 * at all first, so that max-ns-lookups is not spent on names the glue already
 * gave an address for; never a family the delegation already has for a name.
 */
static int ns_lookup_pick(struct iter *it, const struct iter_deleg *dp, uint16_t *type)
{
	const struct conf *conf = it->env->conf;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < dp->n_ns; i++) {
			const struct iter_ns *ns = &dp->ns[i];
			bool has4 = ns_has_family(dp, i, AF_INET);
			bool has6 = ns_has_family(dp, i, AF_INET6);
			/* An NS name inside the zone without glue cannot be found through it. */
			if (wire_dname_is_subdomain(ns->name, dp->zone) ||
			    resolving(it, ns->name) || (pass == 0 && (has4 || has6)))
				continue;
			*type = LDNS_RR_TYPE_A;
			if (!ns->looked_up_a && conf->do_ip4 && !has4)
				return (int)i;
			*type = LDNS_RR_TYPE_AAAA;
			if (!ns->looked_up_aaaa && conf->do_ip6 && !has6)
				return (int)i;
		}
	}
	return -1;
}

/* Start a sub-question for an NS address: 1 started, 0 nothing to look up, <0 limit. */
static int start_ns_lookup(struct iter *it, struct iter_task *t)
{
	const struct conf *conf = it->env->conf;
	struct iter_deleg *dp = t->dp;
	uint16_t type;
	int i = ns_lookup_pick(it, dp, &type);
	if (i < 0)
		return 0;
	if (dp->ns_lookups >= conf->max_ns_lookups) {
		STATS_INC(it->env->stats, limits[STATS_LIMIT_NS_LOOKUPS]);
		return -1;
	}
	if (it->budget->subqueries >= conf->max_subqueries) {
		iter_limit(it, STATS_LIMIT_SUBQUERIES, "sub-query limit reached");
		return -1;
	}
	struct iter_ns *ns = &dp->ns[i];
	if (!task_push(it, ITER_TASK_NS_ADDR, ns->name, type))
		return 0;
	if (type == LDNS_RR_TYPE_A)
		ns->looked_up_a = true;
	else
		ns->looked_up_aaaa = true;
	dp->ns_lookups++;
	it->budget->subqueries++;
	iter__top(it)->parent_ns = (unsigned)i;
	t->state = ITER_ST_WAIT_SUB;
	return 1;
}

/* RFC 8145 §4: edns-key-tag, option 14. */
#define EDNS_KEY_TAG 14

/*
 * Trust-anchor signaling (RFC 8145 §4): a DNSKEY query for a zone with a
 * trust anchor carries the anchor's key tags, so the zone's operator can
 * see which keys resolvers trust before a rollover. Appended to the OPT
 * record at opt; returns the bytes added.
 */
static size_t add_key_tags(struct iter *it, struct iter_task *t, uint8_t *opt, size_t opt_len,
                           size_t room)
{
	const struct val_env *val = it->env->val;
	if (val == NULL || !it->env->conf->trust_anchor_signaling ||
	    t->sent_type != LDNS_RR_TYPE_DNSKEY || opt_len < 11)
		return 0;
	const struct val_anchor *a = val_anchors_closest(val->anchors, t->sent_name);
	size_t n = 0;
	const uint16_t *tags = a != NULL && wire_dname_equal(val_anchor_name(a), t->sent_name)
	                               ? val_anchor_key_tags(a, &n)
	                               : NULL;
	if (n == 0 || 4 + 2 * n > room || n > 64)
		return 0;
	uint8_t *p = opt + opt_len;
	wire_write_u16(p, EDNS_KEY_TAG);
	wire_write_u16(p + 2, (uint16_t)(2 * n));
	for (size_t i = 0; i < n; i++)
		wire_write_u16(p + 4 + 2 * i, tags[i]);
	size_t added = 4 + 2 * n;
	wire_write_u16(opt + 9, (uint16_t)(wire_read_u16(opt + 9) + added)); /* RDLENGTH */
	return added;
}

static size_t build_query(struct iter *it, struct iter_task *t, uint16_t udp_size)
{
	size_t nlen = wire_dname_len(t->sent_name);
	uint8_t *q = t->qbuf;
	memset(q, 0, WIRE_HDR_LEN);
	wire_write_u16(q, t->sent_id);
	wire_write_u16(q + 4, 1);
	memcpy(q + WIRE_HDR_LEN, t->sent_name, nlen);
	size_t len = WIRE_HDR_LEN + nlen;
	wire_write_u16(q + len, t->sent_type);
	wire_write_u16(q + len + 2, t->qclass);
	len += 4;
	if (t->edns) {
		/* DO=1 (RFC 3225): the RRSIGs and denial records come back for validation. */
		size_t opt =
		        wire_edns_write(q + len, sizeof(t->qbuf) - len, udp_size, 0, true, NULL);
		opt += add_key_tags(it, t, q + len, opt, sizeof(t->qbuf) - len - opt);
		len += opt;
		wire_write_u16(q + 10, 1);
	}
	return len;
}

static bool pick_server(struct iter *it, struct iter_task *t, uint64_t now)
{
	int idx = iter__select_server(it, t->dp, now);
	if (idx >= 0) {
		struct infra_server info;
		t->cur = idx;
		t->tcp = false;
		infra_get(it->env->infra, &t->dp->srv[idx].addr, now, &info);
		t->edns = !info.no_edns;
		t->dp->srv[idx].tries++;
		return true;
	}
	int rc = start_ns_lookup(it, t);
	if (rc == 0)
		task_fail(it, t, WIRE_EDE_NO_REACHABLE_AUTHORITY, "no reachable authority");
	else if (rc < 0 && !it->aborted)
		task_fail(it, t, WIRE_EDE_NO_REACHABLE_AUTHORITY,
		          "name server lookup limit reached");
	return false;
}

static void log_query(const struct iter_task *t, const struct iter_server *s)
{
	char name[LDNS_MAX_DOMAINLEN + 1], zone[LDNS_MAX_DOMAINLEN + 1], addr[64];
	log_msg(LOG_LEVEL_DEBUG, "upstream: %s type %u to %s (zone %s)%s%s",
	        wire_dname_to_str(t->sent_name, name, sizeof(name)), t->sent_type,
	        sa_str(&s->addr, addr, sizeof(addr)),
	        wire_dname_to_str(t->dp->zone, zone, sizeof(zone)), t->tcp ? " tcp" : "",
	        t->edns ? "" : " no-edns");
}

/* Returns true when *out holds a query to send. */
static bool st_select(struct iter *it, struct iter_task *t, struct req_send *out)
{
	const struct conf *conf = it->env->conf;
	uint64_t now = clock_mono_ms();
	if (!t->resend && !pick_server(it, t, now))
		return false;
	t->resend = false;
	if (it->budget->queries >= conf->max_queries_per_request) {
		iter_limit(it, STATS_LIMIT_QUERIES, "outbound query limit reached");
		return false;
	}
	it->budget->queries++;
	const uint8_t *name = t->qmin ? wire_dname_suffix(t->qname, t->qmin_labels) : t->qname;
	memmove(t->sent_name, name, wire_dname_len(name));
	/* RFC 9156 §2.3: minimised questions ask for A, which old servers handle best. */
	t->sent_type = t->qmin ? LDNS_RR_TYPE_A : t->qtype;
	t->sent_id = rnd_u16();
	t->qlen = build_query(it, t, conf->edns_buffer_size);
	struct iter_server *s = &t->dp->srv[t->cur];
	out->server = s->addr;
	out->query = t->qbuf;
	out->len = t->qlen;
	out->id = t->sent_id;
	out->tcp = t->tcp;
	out->timeout_ms = iter__server_timeout(it, s, now);
	if (t->tcp && out->timeout_ms < 1000)
		out->timeout_ms = 1000; /* a handshake more than UDP */
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_query(t, s);
	t->state = ITER_ST_SENT;
	return true;
}

/* ---- ITER_ST_REPLY ---- */

static void on_referral(struct iter *it, struct iter_task *t)
{
	if (++it->budget->referrals > it->env->conf->max_referrals) {
		iter_limit(it, STATS_LIMIT_REFERRALS, "referral limit reached");
		return;
	}
	struct iter_deleg *dp = iter__deleg_from_referral(it, t->reply, t->cut, t->dp->zone);
	if (dp == NULL) {
		t->dp->srv[t->cur].bad = true;
		t->state = ITER_ST_SELECT;
		return;
	}
	free(t->dp);
	t->dp = dp;
	qmin_reset(it, t);
	t->state = ITER_ST_SELECT;
}

/* A minimised question told us nothing final: ask one label more (RFC 9156 §3). */
static void qmin_next(struct iter_task *t)
{
	t->qmin_labels++;
	t->qmin_steps++;
	if (t->qmin_labels >= wire_dname_labels(t->qname) || t->qmin_steps >= ITER_QMIN_MAX_STEPS)
		t->qmin = false;
	t->state = ITER_ST_SELECT;
}

/* True when name is the target of an NS record of rrs. */
static bool is_ns_target(const ldns_rr_list *rrs, const uint8_t *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_rr_rd_count(rr) == 1 &&
		    wire_dname_equal(iter__rdf_name(ldns_rr_rdf(rr, 0)), name))
			return true;
	}
	return false;
}

/*
 * An NS answer (priming, RFC 8109) comes with the servers' addresses: cache
 * those, and only those, as glue. Other additional records are what a
 * forged reply would carry to re-address other servers (the Kaminsky attack, CVE-2008-1447).
 */
static void cache_ns_addrs(struct iter *it, struct iter_task *t)
{
	const ldns_rr_list *add = ldns_pkt_additional(t->reply);
	ldns_rr_list *glue = ldns_rr_list_new();
	for (size_t i = 0; glue != NULL && add != NULL && i < ldns_rr_list_rr_count(add); i++) {
		ldns_rr *rr = ldns_rr_list_rr(add, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) &&
		    is_ns_target(t->answer, iter__owner(rr)))
			ldns_rr_list_push_rr(glue, rr);
	}
	iter__cache_section(it, glue, t->dp->zone, CACHE_TRUST_GLUE);
	ldns_rr_list_free(glue);
}

static void on_answer(struct iter *it, struct iter_task *t)
{
	if (t->qtype == LDNS_RR_TYPE_NS)
		cache_ns_addrs(it, t);
	if (!chain_too_long(it, t))
		task_finish(t, LDNS_RCODE_NOERROR);
}

static void st_reply(struct iter *it, struct iter_task *t)
{
	struct iter_server *s = &t->dp->srv[t->cur];
	bool minimised = t->qmin;
	enum iter_class c = iter__classify(it, t);
	log_debug(LOG_LEVEL_DEBUG, "upstream: reply is %s", iter__class_name(c));
	t->state = ITER_ST_SELECT;
	switch (c) {
	case ITER_CLS_TRUNCATED:
		STATS_INC(it->env->stats, upstream_tcp_fallback);
		t->tcp = true;
		t->resend = true;
		break;
	case ITER_CLS_EDNS_FAIL:
		STATS_INC(it->env->stats, upstream_edns_fallback);
		infra_edns_set(it->env->infra, &s->addr, true, clock_mono_ms());
		t->edns = false;
		t->resend = true;
		break;
	case ITER_CLS_LAME:
		infra_lame_set(it->env->infra, &s->addr, t->dp->zone, clock_mono_ms());
		s->bad = true;
		break;
	case ITER_CLS_SERVER_FAIL:
		s->bad = true;
		break;
	case ITER_CLS_ANSWER:
		on_answer(it, t);
		break;
	case ITER_CLS_CNAME:
		if (!chain_too_long(it, t))
			t->state = ITER_ST_INIT;
		break;
	case ITER_CLS_NXDOMAIN:
		/* Relaxed minimisation: a server that says NXDOMAIN for an empty
		 * non-terminal is wrong, so ask it the full name instead. */
		if (minimised)
			t->qmin = false;
		else
			task_finish(t, LDNS_RCODE_NXDOMAIN);
		break;
	case ITER_CLS_NODATA:
		if (minimised)
			qmin_next(t);
		else
			task_finish(t, LDNS_RCODE_NOERROR);
		break;
	case ITER_CLS_REFERRAL:
		on_referral(it, t);
		break;
	case ITER_CLS_MAX_:
		s->bad = true;
		break;
	}
	ldns_pkt_free(t->reply);
	t->reply = NULL;
}

/* ---- sub-questions ---- */

static void sub_done(struct iter *it)
{
	struct iter_task *child = it->tasks[--it->n_tasks];
	struct iter_task *parent = iter__top(it);
	if (child->kind == ITER_TASK_NS_ADDR) {
		if (child->rcode == LDNS_RCODE_NOERROR && parent->dp != NULL)
			iter__deleg_add_addrs(it->env, parent->dp, child->parent_ns, child->answer);
		parent->state = ITER_ST_SELECT;
	} else {
		parent->state = ITER_ST_FIND_CUT;
	}
	task_free(child);
}

enum iter_status iter_step(struct iter *it, struct req_send *out)
{
	for (unsigned steps = 0; steps < ITER_MAX_STEPS; steps++) {
		struct iter_task *t = iter__top(it);
		switch (t->state) {
		case ITER_ST_INIT:
			st_init(it, t);
			break;
		case ITER_ST_FIND_CUT:
			st_find_cut(it, t);
			break;
		case ITER_ST_SELECT:
			if (st_select(it, t, out))
				return ITER_SEND;
			break;
		case ITER_ST_SENT:
			/* Asked again while waiting: the same query is still due. */
			t->resend = true;
			t->state = ITER_ST_SELECT;
			it->budget->queries--;
			break;
		case ITER_ST_REPLY:
			st_reply(it, t);
			break;
		case ITER_ST_WAIT_SUB:
			/* Only a task below the top waits; reaching it means a bug. */
			iter_abort(it, WIRE_EDE_OTHER, "internal error");
			break;
		case ITER_ST_FINISHED:
		case ITER_ST_MAX_:
			if (it->n_tasks == 1)
				return ITER_DONE;
			sub_done(it);
			break;
		}
	}
	iter_abort(it, WIRE_EDE_OTHER, "internal step limit");
	return ITER_DONE;
}

/* True when the reply's header and question answer the query in flight. */
static bool reply_matches(const struct iter_task *t, const uint8_t *wire, size_t len)
{
	uint8_t name[WIRE_DNAME_MAX];
	size_t pos = WIRE_HDR_LEN, nlen;
	if (len < WIRE_HDR_LEN || wire_read_u16(wire) != t->sent_id ||
	    !(wire_read_u16(wire + 2) & WIRE_FLAG_QR))
		return false;
	/* Servers from before EDNS may answer an OPT with a bare FORMERR or
	 * NOTIMP header (RFC 6891 §7); address, port and ID still match. */
	uint16_t rcode = wire_read_u16(wire + 2) & 0x000fu;
	if (wire_read_u16(wire + 4) == 0 && t->edns &&
	    (rcode == WIRE_RCODE_FORMERR || rcode == WIRE_RCODE_NOTIMP))
		return true;
	if (wire_read_u16(wire + 4) != 1)
		return false;
	if (wire_dname_unpack(wire, len, &pos, name, &nlen) != 0 || pos + 4 > len)
		return false;
	return wire_dname_equal(name, t->sent_name) && wire_read_u16(wire + pos) == t->sent_type &&
	       wire_read_u16(wire + pos + 2) == t->qclass;
}

int iter_on_reply(struct iter *it, const uint8_t *wire, size_t len, uint32_t rtt_ms)
{
	struct iter_task *t = iter__top(it);
	if (t->state != ITER_ST_SENT || !reply_matches(t, wire, len)) {
		STATS_INC(it->env->stats, upstream_mismatch);
		return ERR_MISMATCH;
	}
	struct iter_server *s = &t->dp->srv[t->cur];
	infra_rtt_update(it->env->infra, &s->addr, rtt_ms, clock_mono_ms());
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		s->bad = true;
		t->state = ITER_ST_SELECT;
		return 0;
	}
	t->reply = pkt;
	t->state = ITER_ST_REPLY;
	return 0;
}

void iter_on_timeout(struct iter *it, bool refused)
{
	struct iter_task *t = iter__top(it);
	if (t->state != ITER_ST_SENT)
		return;
	struct iter_server *s = &t->dp->srv[t->cur];
	infra_timeout(it->env->infra, &s->addr, clock_mono_ms());
	if (refused) {
		STATS_INC(it->env->stats, upstream_errors);
		s->bad = true;
	} else {
		STATS_INC(it->env->stats, upstream_timeouts);
	}
	if (t->tcp)
		s->bad = true;
	t->state = ITER_ST_SELECT;
}

void iter_result_get(const struct iter *it, struct iter_result *out)
{
	const struct iter_task *t = it->tasks[0];
	out->rcode = t->rcode;
	out->answer = t->answer;
	out->authority = t->authority;
	out->ede.code = t->ede_code;
	out->ede.text = t->ede_text;
	out->cacheable = t->cacheable && !it->aborted;
}
