/*
 * ctl_cmds.c - the control commands. They run on the main thread while the
 * workers run: counters are read with relaxed loads (stats.h), the caches
 * and tables they touch are shared and locked inside their own modules.
 */
#include "config.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmds.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/iterator.h"
#include "mangrove/net.h"
#include "mangrove/request.h"
#include "mangrove/log.h"
#include "mangrove/prom.h"
#include "mangrove/validator.h"
#include "mangrove/wire.h"

/*
 * Memory figures: the process's resident set, and the bytes the heap has
 * handed out and not had back (all threads). The heap figure does not move
 * with pages the kernel has or has not reclaimed, so it is the one that
 * shows a leak or a structure that keeps growing.
 */
static void out_memory(struct ctl_out *o)
{
	uint64_t rss, heap;
	unsigned known = prom_memory(&rss, &heap);
	if (known & PROM_MEM_RSS)
		ctl_out_u64(o, "memory.rss_bytes", rss);
	if (known & PROM_MEM_HEAP)
		ctl_out_u64(o, "memory.heap_bytes", heap);
}

static void out_cache(const struct ctl_env *env, struct ctl_out *o, bool all)
{
	struct cache_stats cs;
	cache_stats_get(env->cache, &cs);
	ctl_out_u64(o, "cache.entries", cs.entries);
	ctl_out_u64(o, "cache.bytes", cs.bytes);
	ctl_out_u64(o, "cache.max_bytes", cs.max_bytes);
	if (!all)
		return;
	ctl_out_u64(o, "cache.inserts", cs.inserts);
	ctl_out_u64(o, "cache.evictions", cs.evictions);
	ctl_out_u64(o, "cache.hits", cs.hits);
	ctl_out_u64(o, "cache.misses", cs.misses);
	static const char *const kinds[CACHE_KIND_MAX_] = {"message", "rrset"};
	char name[64];
	for (unsigned k = 0; k < CACHE_KIND_MAX_; k++) {
		const struct cache_kind_stats *ks = &cs.kind[k];
		const uint64_t v[] = {ks->entries,   ks->bytes, ks->inserts,
		                      ks->evictions, ks->hits,  ks->misses};
		static const char *const what[] = {"entries",   "bytes", "inserts",
		                                   "evictions", "hits",  "misses"};
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			snprintf(name, sizeof(name), "cache.%s.%s", kinds[k], what[i]);
			ctl_out_u64(o, name, v[i]);
		}
	}
	ctl_out_u64(o, "cache.infra_servers", infra_count(env->infra));
}

static uint64_t uptime_s(const struct ctl_env *env)
{
	return (clock_mono_ms() - env->started_ms) / 1000;
}

static int cmd_status(struct ctl_state *st, struct ctl_out *o)
{
	const struct ctl_env *env = st->env;
	char version[64];
	snprintf(version, sizeof(version), "%s %s", PACKAGE_NAME, PACKAGE_VERSION);
	ctl_out_str(o, "version", version);
	ctl_out_u64(o, "uptime", uptime_s(env));
	ctl_out_u64(o, "workers", env->n_workers);
	ctl_out_str(o, "config-file",
	            env->config_file != NULL ? env->config_file : "(built-in defaults)");
	out_cache(env, o, false);
	out_memory(o);
	return 0;
}

/* Every counter of struct stats by name; arrays as name.label. */
static void out_counters(const struct stats *t, struct ctl_out *o)
{
	char name[96];
	for (size_t r = 0; r < stats_n_descs; r++) {
		const struct stats_desc *d = &stats_descs[r];
		for (unsigned i = 0; i < d->n; i++) {
			if (d->n == 1)
				snprintf(name, sizeof(name), "%s", d->name);
			else
				snprintf(name, sizeof(name), "%s.%s", d->name, d->label_values[i]);
			ctl_out_u64(o, name, stats_value(t, d, i));
		}
	}
}

static int cmd_stats(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o)
{
	const struct ctl_env *env = st->env;
	struct stats t;
	memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < env->n_workers; i++)
		stats_add(&t, net_worker_stats(env->workers[i]));
	struct stats since = t;
	stats_sub(&since, &st->base);
	ctl_out_u64(o, "uptime", uptime_s(env));
	ctl_out_u64(o, "seconds_since_reset",
	            (clock_mono_ms() - (st->reset_ms ? st->reset_ms : env->started_ms)) / 1000);
	out_counters(&since, o);
	out_cache(env, o, true);
	out_memory(o);
	ctl_out_u64(o, "control.requests", st->requests);
	ctl_out_u64(o, "control.rejected", st->rejected);
	ctl_out_u64(o, "control.dropped", st->dropped);
	ctl_out_u64(o, "control.unauthorised", st->unauthorised);
	if (r->reset) {
		st->base = t;
		st->reset_ms = clock_mono_ms();
		log_info("control: counters reset");
	}
	return 0;
}

static int cmd_reload(struct ctl_state *st, struct ctl_out *o, char *err, size_t errlen)
{
	char msg[640];
	int rc = st->env->reload(st->env->arg, msg, sizeof(msg));
	if (rc != 0) {
		snprintf(err, errlen, "%s", msg);
		return rc;
	}
	ctl_out_str(o, "result", msg);
	return 0;
}

static int cmd_flush_all(struct ctl_state *st, struct ctl_out *o)
{
	struct cache_stats before;
	cache_stats_get(st->env->cache, &before);
	cache_flush(st->env->cache);
	val_keycache_flush(st->env->keys);
	log_info("control: cache flushed (%llu entries)", (unsigned long long)before.entries);
	ctl_out_u64(o, "removed", before.entries);
	return 0;
}

/* lookup NAME: the zone cut the iterator would start from, and its servers. */
static int cmd_lookup(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o,
                      char *err, size_t errlen)
{
	const struct ctl_env *env = st->env;
	struct iter_cut cut;
	char text[WIRE_DNAME_STR_MAX], addr[64];
	if (iter_cut_lookup(env->current(env->arg), r->name, &cut) != 0) {
		snprintf(err, errlen, "%s", err_str(ERR_NOMEM));
		return ERR_NOMEM;
	}
	uint64_t now = clock_mono_ms();
	ctl_out_str(o, "zone", wire_dname_to_str(cut.zone, text, sizeof(text)));
	ctl_out_str(o, "source", cut.from_hints ? "root-hints" : "cache");
	ctl_out_list_begin(o, "servers");
	for (unsigned i = 0; i < cut.n_srv; i++) {
		struct infra_server s;
		infra_get(env->infra, &cut.srv[i].addr, now, &s);
		ctl_out_item_begin(o);
		ctl_out_str(o, "ns", wire_dname_to_str(cut.ns[cut.srv[i].ns], text, sizeof(text)));
		ctl_out_str(o, "addr", sa_addr_str(&cut.srv[i].addr, addr, sizeof(addr)));
		ctl_out_bool(o, "known", s.known);
		ctl_out_u64(o, "rtt_ms", s.srtt_ms);
		ctl_out_u64(o, "rto_ms", infra_rto_ms(&s));
		ctl_out_u64(o, "timeouts", s.timeouts);
		ctl_out_u64(o, "avoid_ms", s.avoid_until > now ? s.avoid_until - now : 0);
		ctl_out_bool(o, "edns", !s.no_edns);
		ctl_out_bool(o, "lame", infra_is_lame(env->infra, &cut.srv[i].addr, cut.zone, now));
		ctl_out_item_end(o);
	}
	ctl_out_list_end(o);
	/* NS names without an address in the cache: looked up when needed. */
	ctl_out_list_begin(o, "unresolved");
	for (unsigned n = 0; n < cut.n_ns; n++) {
		bool has = false;
		for (unsigned i = 0; i < cut.n_srv && !has; i++)
			has = cut.srv[i].ns == n;
		if (has)
			continue;
		ctl_out_item_begin(o);
		ctl_out_str(o, "ns", wire_dname_to_str(cut.ns[n], text, sizeof(text)));
		ctl_out_item_end(o);
	}
	ctl_out_list_end(o);
	return 0;
}

static void nta_item(const uint8_t *name, uint32_t remaining, void *arg)
{
	struct ctl_out *o = arg;
	char text[WIRE_DNAME_STR_MAX];
	ctl_out_item_begin(o);
	ctl_out_str(o, "name", wire_dname_to_str(name, text, sizeof(text)));
	ctl_out_u64(o, "expires_in", remaining);
	ctl_out_item_end(o);
}

static int cmd_nta(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o, char *err,
                   size_t errlen)
{
	const struct ctl_env *env = st->env;
	char text[WIRE_DNAME_STR_MAX];
	time_t now = clock_wall();
	wire_dname_to_str(r->name, text, sizeof(text));
	int rc = 0;
	if (r->cmd == CTL_NTA_LIST) {
		ctl_out_list_begin(o, "nta");
		val_nta_list(env->nta, now, nta_item, o);
		ctl_out_list_end(o);
		return 0;
	}
	if (r->cmd == CTL_NTA_REMOVE) {
		rc = val_nta_remove(env->nta, r->name, now);
		if (rc == ERR_NOTFOUND)
			snprintf(err, errlen, "no negative trust anchor at %s", text);
	} else {
		rc = val_nta_add(env->nta, r->name, r->lifetime, now);
		if (rc == ERR_RANGE)
			snprintf(err, errlen, "lifetime over the maximum of %u seconds",
			         VAL_NTA_MAX_LIFETIME);
		else if (rc == ERR_SPACE)
			snprintf(err, errlen, "table full (%u negative trust anchors)",
			         VAL_NTA_MAX);
	}
	if (rc != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", err_str(rc));
		return rc;
	}
	/* Zone states and answers judged before the change must be judged again. */
	val_keycache_flush(env->keys);
	long long removed = cache_flush_zone(env->cache, r->name);
	log_info("control: negative trust anchor %s %s", text,
	         r->cmd == CTL_NTA_ADD ? "added" : "removed");
	ctl_out_str(o, "name", text);
	ctl_out_u64(o, "flushed", removed > 0 ? (uint64_t)removed : 0);
	return 0;
}

/* Log and print what a flush removed. */
static int flushed(struct ctl_out *o, long n, const char *what, const char *name)
{
	if (n < 0)
		return (int)n;
	log_info("control: %s%s%s: %ld entries removed", what, name ? " " : "", name ? name : "",
	         n);
	ctl_out_u64(o, "removed", (uint64_t)n);
	return 0;
}

static int cmd_flush(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o,
                     char *err, size_t errlen)
{
	const struct ctl_env *env = st->env;
	char text[WIRE_DNAME_STR_MAX], addr[64];
	if (r->name_len > 0)
		wire_dname_to_str(r->name, text, sizeof(text));
	switch (r->cmd) {
	case CTL_FLUSH:
		return flushed(o, cache_flush_name(env->cache, r->name, r->type), "flush", text);
	case CTL_FLUSH_ZONE:
		/* The zone's DNSSEC state goes too: it is judged again on the next question. */
		val_keycache_flush(env->keys);
		return flushed(o, cache_flush_zone(env->cache, r->name), "flush-zone", text);
	case CTL_FLUSH_BOGUS:
		val_keycache_flush(env->keys); /* bogus zone states are kept there too */
		return flushed(o, cache_flush_bogus(env->cache), "flush-bogus", NULL);
	case CTL_FLUSH_NEGATIVE:
		return flushed(o, cache_flush_negative(env->cache), "flush-negative", NULL);
	case CTL_FLUSH_INFRA:
		return flushed(o, infra_flush(env->infra, r->all ? NULL : &r->addr), "flush-infra",
		               r->all ? "all" : sa_addr_str(&r->addr, addr, sizeof(addr)));
	default:
		snprintf(err, errlen, "%s", err_str(ERR_INVAL));
		return ERR_INVAL;
	}
}

size_t ctl_load_max(const struct ctl_env *env)
{
	struct cache_stats cs;
	cache_stats_get(env->cache, &cs);
	return (size_t)(4 * cs.max_bytes + 16u * 1024 * 1024);
}

int ctl_cmd_load(struct ctl_state *st, const char *text, size_t len, struct ctl_out *o, char *err,
                 size_t errlen)
{
	size_t loaded = 0, skipped = 0;
	char why[256];
	int rc = cache_load(st->env->cache, text, len, clock_wall(), why, sizeof(why), &loaded,
	                    &skipped);
	if (rc != 0) {
		snprintf(err, errlen, "load-cache: %s (%zu entries loaded before it)", why, loaded);
		log_warn("control: load-cache stopped: %s (%zu entries loaded)", why, loaded);
		return rc;
	}
	log_info("control: load-cache: %zu entries loaded, %zu expired ones skipped", loaded,
	         skipped);
	ctl_out_u64(o, "loaded", loaded);
	ctl_out_u64(o, "skipped", skipped);
	return 0;
}

int ctl_cmd_dump(struct ctl_state *st, cache_write_cb write, void *arg)
{
	int rc = cache_dump(st->env->cache, clock_wall(), write, arg);
	log_info("control: dump-cache %s", rc == 0 ? "sent" : "cut short");
	return rc;
}

/* ---- explain ---- */

/* Most steps an explain prints; a longer trace is cut, and says so. */
#define EXPLAIN_STEPS_MAX 400

struct ctl_explain {
	struct net_job job;
	struct val_trace trace;
	struct ctl_out steps; /* written on the worker, read on the main thread after done */
	unsigned n_steps;
	struct ctl_request req;
	/* The outcome, written on the worker before done. */
	bool has_verdict;
	enum val_status verdict;
	int verdict_ede;
	char failure[1024]; /* the first failing step, formatted; "" for none */
	bool finished;
	uint16_t rcode;
	bool ad;
	unsigned answers;
	int ede;
	char ede_text[128];
	ctl_explain_done_cb done;
	void *done_arg;
	struct ctl_explain *next; /* the owner's list */
	void *owner;
};

/* The fields of a step for JSON; text shows only the formatted line. */
static void explain_step_fields(struct ctl_out *o, const struct val_step *s, const char *line)
{
	char name[WIRE_DNAME_STR_MAX];
	ctl_out_item_begin(o);
	ctl_out_str(o, "kind", val_step_kind_name(s->kind));
	if (s->zone != NULL)
		ctl_out_str(o, "zone", wire_dname_to_str(s->zone, name, sizeof(name)));
	if (s->owner != NULL)
		ctl_out_str(o, "owner", wire_dname_to_str(s->owner, name, sizeof(name)));
	if (s->type != 0)
		ctl_out_u64(o, "type", s->type);
	if (s->key_tag != 0 || s->algorithm != 0) {
		ctl_out_u64(o, "key_tag", s->key_tag);
		ctl_out_u64(o, "algorithm", s->algorithm);
	}
	ctl_out_str(o, "check", val_check_name(s->check));
	ctl_out_str(o, "status", val_status_name(s->status));
	ctl_out_i64(o, "ede", s->ede);
	ctl_out_str(o, "text", line);
	ctl_out_item_end(o);
}

/* One traced step, on the worker: a line of text, or a JSON object. */
static void explain_step(const struct val_step *s, void *arg)
{
	struct ctl_explain *e = arg;
	char line[1024];
	if (s->kind == VAL_STEP_VERDICT) {
		e->has_verdict = true;
		e->verdict = s->status;
		e->verdict_ede = s->ede;
		e->failure[0] = '\0';
		if (s->failure != NULL)
			val_step_format(s->failure, e->failure, sizeof(e->failure));
	}
	if (++e->n_steps > EXPLAIN_STEPS_MAX)
		return;
	val_step_format(s, line, sizeof(line));
	if (e->steps.json) {
		explain_step_fields(&e->steps, s, line);
	} else {
		ctl_out_raw(&e->steps, "  ", 2);
		ctl_out_line(&e->steps, line);
	}
}

/* On the worker: the request is over (r NULL: it never ran, or the worker stopped). */
static void explain_done(struct net_job *j, struct req *r)
{
	struct ctl_explain *e = j->arg;
	size_t len = 0;
	struct wire_ede ede = {.code = -1, .text = NULL};
	const uint8_t *ans = r != NULL ? req_answer(r, &len, &ede) : NULL;
	e->finished = ans != NULL && len >= WIRE_HDR_LEN;
	if (e->finished) {
		e->rcode = ans[3] & 0x0f;
		e->ad = (ans[3] & 0x20) != 0;
		e->answers = wire_read_u16(ans + 6);
		e->ede = ede.code;
		snprintf(e->ede_text, sizeof(e->ede_text), "%s", ede.text != NULL ? ede.text : "");
	}
	e->done(e, e->done_arg);
}

struct ctl_explain *ctl_explain_start(struct ctl_state *st, const struct ctl_request *r,
                                      ctl_explain_done_cb done, void *arg, char *err, size_t errlen)
{
	const struct ctl_env *env = st->env;
	struct ctl_explain *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "%s", err_str(ERR_NOMEM));
		return NULL;
	}
	e->req = *r;
	e->done = done;
	e->done_arg = arg;
	e->trace = (struct val_trace){.step = explain_step, .arg = e};
	ctl_out_init(&e->steps, r->json, 48 * 1024);
	if (r->json)
		ctl_out_list_begin(&e->steps, "steps");
	memcpy(e->job.qname, r->name, r->name_len);
	e->job.qtype = r->type != 0 ? r->type : LDNS_RR_TYPE_A;
	e->job.trace = &e->trace;
	e->job.done = explain_done;
	e->job.arg = e;
	unsigned w = st->next_worker++ % env->n_workers;
	if (net_worker_run(env->workers[w], &e->job) != 0) {
		ctl_explain_free(e);
		snprintf(err, errlen, "the daemon is stopping");
		return NULL;
	}
	return e;
}

int ctl_explain_reply(struct ctl_explain *e, struct ctl_out *o, char *err, size_t errlen)
{
	char name[WIRE_DNAME_STR_MAX], type[32], ede[192];
	if (!e->finished) {
		snprintf(err, errlen, "explain: the daemon stopped before the answer");
		return ERR_AGAIN;
	}
	const ldns_rr_descriptor *d = ldns_rr_descript(e->job.qtype);
	if (d != NULL && d->_name != NULL)
		snprintf(type, sizeof(type), "%s", d->_name);
	else
		snprintf(type, sizeof(type), "TYPE%u", e->job.qtype);
	const ldns_lookup_table *rc = ldns_lookup_by_id(ldns_rcodes, e->rcode);
	ctl_out_str(o, "question", wire_dname_to_str(e->job.qname, name, sizeof(name)));
	ctl_out_str(o, "type", type);
	ctl_out_str(o, "verdict", e->has_verdict ? val_status_name(e->verdict) : "not validated");
	int code = e->has_verdict && e->verdict_ede >= 0 ? e->verdict_ede : e->ede;
	if (code >= 0) {
		snprintf(ede, sizeof(ede), "%d (%s)%s%s", code, val_ede_name(code),
		         e->ede_text[0] ? ": " : "", e->ede_text);
		ctl_out_str(o, "ede", ede);
	}
	if (e->failure[0] != '\0')
		ctl_out_str(o, "first-failure", e->failure);
	ctl_out_str(o, "rcode", rc != NULL ? rc->name : "?");
	ctl_out_bool(o, "ad", e->ad);
	ctl_out_u64(o, "answer-records", e->answers);
	if (e->req.json) {
		ctl_out_list_end(&e->steps);
		ctl_out_raw(o, ",", 1);
	} else {
		ctl_out_line(o, "steps:");
	}
	ctl_out_raw(o, e->steps.buf != NULL ? e->steps.buf : "", e->steps.len);
	if (e->n_steps > EXPLAIN_STEPS_MAX && !e->req.json) {
		snprintf(ede, sizeof(ede), "  ... %u more steps not shown",
		         e->n_steps - EXPLAIN_STEPS_MAX);
		ctl_out_line(o, ede);
	}
	return 0;
}

void ctl_explain_free(struct ctl_explain *e)
{
	if (e == NULL)
		return;
	ctl_out_free(&e->steps);
	free(e);
}

struct ctl_explain **ctl_explain_next(struct ctl_explain *e)
{
	return &e->next;
}

void **ctl_explain_owner(struct ctl_explain *e)
{
	return &e->owner;
}

int ctl_cmd_run(struct ctl_state *st, const struct ctl_request *r, struct ctl_out *o, bool *stop,
                char *err, size_t errlen)
{
	err[0] = '\0';
	switch (r->cmd) {
	case CTL_STATUS:
		return cmd_status(st, o);
	case CTL_STATS:
		return cmd_stats(st, r, o);
	case CTL_VERBOSITY:
		log_set_verbosity(r->level);
		log_info("control: verbosity %d", r->level);
		return 0;
	case CTL_RELOAD:
		return cmd_reload(st, o, err, errlen);
	case CTL_STOP:
		*stop = true;
		return 0;
	case CTL_FLUSH_ALL:
		return cmd_flush_all(st, o);
	case CTL_LOOKUP:
		return cmd_lookup(st, r, o, err, errlen);
	case CTL_NTA_ADD:
	case CTL_NTA_REMOVE:
	case CTL_NTA_LIST:
		return cmd_nta(st, r, o, err, errlen);
	case CTL_FLUSH:
	case CTL_FLUSH_ZONE:
	case CTL_FLUSH_BOGUS:
	case CTL_FLUSH_NEGATIVE:
	case CTL_FLUSH_INFRA:
		return cmd_flush(st, r, o, err, errlen);
	case CTL_DUMP_CACHE:
	case CTL_LOAD_CACHE:
		/* Text both ways; the server streams them (control.c). */
		snprintf(err, errlen, "%s has no JSON form",
		         r->cmd == CTL_DUMP_CACHE ? "dump-cache" : "load-cache");
		return ERR_INVAL;
	case CTL_EXPLAIN:
		break;
	}
	snprintf(err, errlen, "not implemented");
	return ERR_NOTIMP;
}
