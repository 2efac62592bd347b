/*
 * ctl_cmds.c - the control commands. They run on the main thread while the
 * workers run: counters are read with relaxed loads (stats.h), the caches
 * and tables they touch are shared and locked inside their own modules.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl_cmds.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/iterator.h"
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
