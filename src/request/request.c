/*
 * request.c - one client question: resolve it with the iterator under a
 * budget and a deadline, then hand back the reply wire (answer.c builds it
 * and puts it in the message cache).
 *
 * An explain request (req_new_explain()) is the same resolution with its own
 * copy of the environment: a private key cache and a validation trace, no
 * message cache, no aggressive answers, no counters of validation outcomes.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mangrove/anchor.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "request_internal.h"

/* A safety net: resolution and validation never need this many turns per step. */
#define REQ_STEP_GUARD 256

/* Zones an explain request's private key cache holds: far more than one chain has. */
#define REQ_EXPLAIN_KEYS 1024

/* What an explain request owns: the environment it runs in and its trace. */
struct req_explain {
	struct req_env env;             /* the caller's, with val pointing to val below */
	struct val_env val;             /* the caller's, with a private key cache and trace */
	struct val_trace trace;         /* forwards to caller and notes the verdict */
	const struct val_trace *caller; /* may be NULL */
	bool verdict;                   /* a VERDICT step was reported */
	char ede_text[320];             /* the first failing step, for req_answer() */
};

struct req *req_new(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                    uint16_t qclass, uint8_t flags)
{
	struct req *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->env = env;
	memcpy(r->qname, qname, wire_dname_len(qname));
	wire_dname_to_lower(r->qname);
	r->qtype = qtype;
	r->qclass = qclass;
	r->flags = flags;
	r->deadline = clock_mono_ms() + env->conf->request_timeout_ms;
	r->ede.code = -1;
	r->vbudget = env->val_budget;
	r->it = iter_new(env, r->qname, qtype, qclass, &r->budget);
	if (r->it == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

struct val_budget req_val_budget(const struct conf *conf)
{
	return (struct val_budget){.sig_checks = conf->max_sig_checks,
	                           .key_collisions = conf->max_key_tag_collisions,
	                           .ds_mismatches = conf->max_ds_mismatches,
	                           .nsec3_hashes = conf->max_nsec3_hashes};
}

/* The validator's steps, on their way to the caller's trace. */
static void explain_step(const struct val_step *s, void *arg)
{
	struct req_explain *x = arg;
	if (s->kind == VAL_STEP_VERDICT) {
		x->verdict = true;
		if (s->failure != NULL)
			val_step_format(s->failure, x->ede_text, sizeof(x->ede_text));
	}
	if (x->caller != NULL && x->caller->step != NULL)
		x->caller->step(s, x->caller->arg);
}

static void explain_free(struct req_explain *x)
{
	if (x != NULL && x->env.val == &x->val)
		val_keycache_free(x->val.keys);
	free(x);
}

struct req *req_new_explain(const struct req_env *env, const uint8_t *qname, uint16_t qtype,
                            const struct val_trace *trace)
{
	struct req_explain *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->env = *env;
	x->caller = trace;
	x->trace = (struct val_trace){.step = explain_step, .arg = x};
	if (env->val != NULL) {
		x->val = *env->val;
		x->val.keys = val_keycache_new(REQ_EXPLAIN_KEYS);
		x->val.trace = &x->trace;
		x->env.val = &x->val;
		if (x->val.keys == NULL) {
			free(x);
			return NULL;
		}
	}
	/* DO: the answer keeps its RRSIGs and denial records to show; never CD. */
	struct req *r = req_new(&x->env, qname, qtype, LDNS_RR_CLASS_IN, CACHE_MSG_DO);
	if (r == NULL) {
		explain_free(x);
		return NULL;
	}
	r->explain = x;
	return r;
}

void req_free(struct req *r)
{
	if (r == NULL)
		return;
	iter_free(r->it);
	iter_free(r->fetch);
	val_free(r->val);
	explain_free(r->explain);
	free(r->answer);
	free(r);
}

enum val_status req_val_status(const struct req *r)
{
	return r->vstatus;
}

uint64_t req_deadline(const struct req *r)
{
	return r->deadline;
}

/*
 * RFC 8509 root key sentinel: for a secure answer whose first label is
 * "root-key-sentinel-is-ta-NNNNN" or "...-not-ta-NNNNN", SERVFAIL tells the
 * client whether key tag NNNNN is one of our root trust anchors (§3.2).
 */
static bool sentinel_fails(const struct req *r)
{
	static const char is_ta[] = "root-key-sentinel-is-ta-";
	static const char not_ta[] = "root-key-sentinel-not-ta-";
	const uint8_t *label = r->qname + 1;
	size_t len = r->qname[0];
	bool is;
	if (len == sizeof(is_ta) - 1 + 5 && strncasecmp((const char *)label, is_ta, 24) == 0)
		is = true;
	else if (len == sizeof(not_ta) - 1 + 5 && strncasecmp((const char *)label, not_ta, 25) == 0)
		is = false;
	else
		return false;
	unsigned tag = 0;
	for (size_t i = len - 5; i < len; i++) {
		if (label[i] < '0' || label[i] > '9')
			return false;
		tag = tag * 10 + (unsigned)(label[i] - '0');
	}
	static const uint8_t root[1] = {0};
	const struct val_anchor *a = val_anchors_closest(r->env->val->anchors, root);
	size_t n = 0;
	const uint16_t *tags = a != NULL ? val_anchor_key_tags(a, &n) : NULL;
	bool trusted = false;
	for (size_t i = 0; i < n; i++)
		trusted = trusted || tags[i] == tag;
	return is ? !trusted : trusted;
}

/* The counters and the debug line a validation leaves behind. */
static void count_validation(struct req *r)
{
	struct stats *st = r->env->stats;
	if (r->vstatus == VAL_SECURE)
		STATS_INC(st, val_secure);
	else if (r->vstatus == VAL_INSECURE &&
	         val_anchors_closest(r->env->val->anchors, r->qname) == NULL)
		STATS_INC(st, val_indeterminate); /* RFC 4035 §4.3: no trust anchor */
	else if (r->vstatus == VAL_INSECURE)
		STATS_INC(st, val_insecure);
	else if (r->vstatus == VAL_BOGUS)
		STATS_INC(st, val_bogus);
	if (r->vbudget.exhausted) {
		char name[WIRE_DNAME_MAX * 4 + 2];
		STATS_INC(st, val_budget);
		log_debug(LOG_LEVEL_QUERY, "validation: %s: work budget exhausted",
		          wire_dname_to_str(r->qname, name, sizeof(name)));
	}
}

/*
 * An explain request's last word: the verdict when the validator gave none
 * (not validated: validation off, no answer, deadline), and the first
 * failure as the EDE text.
 */
static void explain_finish(struct req *r, const struct iter_result *res)
{
	struct req_explain *x = r->explain;
	if (!x->verdict) {
		struct val_step s = {.kind = VAL_STEP_VERDICT,
		                     .zone = r->qname,
		                     .owner = r->qname,
		                     .type = r->qtype,
		                     .status = r->vstatus,
		                     .ede = r->ede.code,
		                     .check = res->rcode == LDNS_RCODE_SERVFAIL
		                                      ? VAL_CHECK_UNREACHABLE
		                                      : VAL_CHECK_OK};
		explain_step(&s, x);
	}
	if (r->ede.text == NULL && x->ede_text[0] != '\0')
		r->ede.text = x->ede_text;
}

static enum req_action req_finish(struct req *r)
{
	struct iter_result res;
	iter_result_get(r->it, &res);
	r->ede = res.ede;
	if (r->val != NULL)
		r->vstatus = val_result(r->val, &r->ede);
	if (r->explain != NULL)
		explain_finish(r, &res);
	else
		count_validation(r);
	/* Explain reports validation: the sentinel is for clients (RFC 8509 §3.2). */
	if (r->explain == NULL && r->vstatus == VAL_SECURE && sentinel_fails(r)) {
		r->vstatus = VAL_INDETERMINATE;
		iter_abort(r->it, -1, NULL);
		iter_result_get(r->it, &res);
		r->ede = res.ede;
	}
	if (r->vstatus != VAL_INDETERMINATE && log_enabled(LOG_LEVEL_QUERY)) {
		char name[WIRE_DNAME_MAX * 4 + 2];
		log_msg(LOG_LEVEL_QUERY, "validation: %s type %u is %s (EDE %d)",
		        wire_dname_to_str(r->qname, name, sizeof(name)), r->qtype,
		        val_status_name(r->vstatus), r->ede.code);
	}
	if (req__answer_build(r, &res) != 0) {
		log_err("out of memory building an answer");
		r->answer_len = 0;
	}
	r->done = true;
	return REQ_DONE;
}

/* Validate this answer? Not with CD (RFC 4035 §3.2.2), not without anchors. */
static bool wants_validation(const struct req *r, const struct iter_result *res)
{
	return r->env->val != NULL && !(r->flags & CACHE_MSG_CD) && r->qclass == LDNS_RR_CLASS_IN &&
	       (res->rcode == LDNS_RCODE_NOERROR || res->rcode == LDNS_RCODE_NXDOMAIN);
}

/* The main resolution is done: start validating, or finish. */
static bool start_validation(struct req *r)
{
	struct iter_result res;
	iter_result_get(r->it, &res);
	if (!wants_validation(r, &res))
		return false;
	struct val_input in = {.qname = r->qname,
	                       .qtype = r->qtype,
	                       .rcode = res.rcode,
	                       .answer = res.answer,
	                       .authority = res.authority};
	r->val = val_new(r->env->val, &in, &r->vbudget);
	return r->val != NULL;
}

/* Advance the validator; true when it needs a fetch (r->fetch started). */
static bool validation_step(struct req *r)
{
	struct val_fetch f;
	if (val_step(r->val, &f) == VAL_DONE)
		return false;
	r->fetch = iter_new(r->env, f.name, f.type, LDNS_RR_CLASS_IN, &r->budget);
	if (r->fetch == NULL)
		val_on_fetch(r->val, LDNS_RCODE_SERVFAIL, NULL, NULL);
	return true;
}

/* The iterator that owns the network now: a validator fetch, or the main one. */
static struct iter *active(struct req *r)
{
	return r->fetch != NULL ? r->fetch : r->it;
}

static void fetch_done(struct req *r)
{
	struct iter_result res;
	iter_result_get(r->fetch, &res);
	val_on_fetch(r->val, res.rcode, res.answer, res.authority);
	iter_free(r->fetch);
	r->fetch = NULL;
}

static enum req_action req_send(struct req *r, struct req_send *out, uint64_t now)
{
	if (out->timeout_ms > r->deadline - now)
		out->timeout_ms = (uint32_t)(r->deadline - now);
	if (out->timeout_ms == 0)
		out->timeout_ms = 1;
	if (out->tcp)
		STATS_INC(r->env->stats, upstream_sent_tcp);
	else
		STATS_INC(r->env->stats, upstream_sent_udp);
	if (out->server.u.sa.sa_family == AF_INET6)
		STATS_INC(r->env->stats, upstream_sent_ip6);
	else
		STATS_INC(r->env->stats, upstream_sent_ip4);
	return REQ_SEND;
}

/* RFC 8198: a validated denial already in the cache may answer the question. */
static bool try_aggressive(struct req *r)
{
	const struct val_env *val = r->env->val;
	uint16_t rcode;
	ldns_rr_list *authority = NULL;
	if (val == NULL || r->explain != NULL || (r->flags & CACHE_MSG_CD) ||
	    r->qclass != LDNS_RR_CLASS_IN ||
	    val_aggressive_answer(val, r->qname, r->qtype, &r->vbudget, &rcode, &authority) != 0)
		return false;
	ldns_rr_list *answer = ldns_rr_list_new();
	struct iter_result res = {.rcode = rcode,
	                          .answer = answer,
	                          .authority = authority,
	                          .ede = {.code = -1, .text = NULL},
	                          .cacheable = true};
	r->vstatus = VAL_SECURE;
	STATS_INC(r->env->stats, val_aggressive);
	int rc = req__answer_build(r, &res);
	ldns_rr_list_free(answer);
	ldns_rr_list_deep_free(authority);
	if (rc != 0)
		return false;
	r->done = true;
	return true;
}

enum req_action req_step(struct req *r, struct req_send *out)
{
	if (r->done)
		return REQ_DONE;
	if (!r->started) {
		r->started = true;
		if (try_aggressive(r))
			return REQ_DONE;
	}
	uint64_t now = clock_mono_ms();
	if (now >= r->deadline) {
		STATS_INC(r->env->stats, limits[STATS_LIMIT_TIMEOUT]);
		log_debug(LOG_LEVEL_QUERY, "request timed out after %u ms",
		          r->env->conf->request_timeout_ms);
		iter_free(r->fetch);
		r->fetch = NULL;
		val_free(r->val);
		r->val = NULL;
		iter_abort(r->it, WIRE_EDE_NO_REACHABLE_AUTHORITY, "request timed out");
	}
	for (unsigned guard = 0; guard < REQ_STEP_GUARD; guard++) {
		if (r->fetch != NULL) {
			if (iter_step(r->fetch, out) == ITER_SEND)
				return req_send(r, out, now);
			fetch_done(r);
		} else if (r->val != NULL) {
			if (!validation_step(r))
				return req_finish(r);
		} else {
			if (iter_step(r->it, out) == ITER_SEND)
				return req_send(r, out, now);
			if (!start_validation(r))
				return req_finish(r);
		}
	}
	return req_finish(r);
}

int req_on_reply(struct req *r, const uint8_t *wire, size_t len, uint32_t rtt_ms)
{
	if (r->done)
		return ERR_MISMATCH;
	return iter_on_reply(active(r), wire, len, rtt_ms);
}

void req_on_timeout(struct req *r, bool refused)
{
	if (!r->done)
		iter_on_timeout(active(r), refused);
}

const uint8_t *req_answer(const struct req *r, size_t *len, struct wire_ede *ede)
{
	*len = r->answer_len;
	if (ede != NULL)
		*ede = r->ede;
	return r->answer;
}
