/*
 * control.c - the control socket: a unix stream socket served by the main
 * thread on the main loop (protocol in include/mangrove/control.h).
 *
 * Every connection is bounded: at most CTL_CLIENTS at once, one request
 * line of at most CTL_REQUEST_MAX bytes, CTL_TIMEOUT_MS to send it, one
 * reply of at most CTL_REPLY_MAX bytes, then the connection is closed. A
 * client that sends garbage, stalls or goes away costs one slot until then,
 * and the workers never see it. Counters are read with relaxed loads while
 * the workers run (stats.h).
 */
#include "config.h"

#include <errno.h>
#ifdef HAVE_MALLINFO2
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/control.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/stats.h"

#define CTL_CLIENTS    16
#define CTL_TIMEOUT_MS 10000
#define CTL_REPLY_MAX  65536

struct ctl_client {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	struct ctl_server *s;
	struct ctl_client *next, *prev;
	int open_handles;
	bool done; /* the request was read (or refused): read no more */
	bool stop_after;
	size_t len;
	char req[CTL_REQUEST_MAX + 3]; /* a request, '\r', '\n', one byte more */
	char *reply;
	size_t reply_len;
};

struct ctl_server {
	uv_pipe_t pipe;
	struct ctl_env env;
	char *path;
	struct ctl_client *clients;
	unsigned n_clients;
	/* Written and read by the main thread only. */
	uint64_t n_requests; /* well-formed requests */
	uint64_t n_rejected; /* malformed or too long: answered with an error */
	uint64_t n_dropped;  /* closed without a request: EOF, timeout, too many clients */
	bool closing;
	bool pipe_closed;
};

/* A growing reply; once it would pass CTL_REPLY_MAX it stays truncated. */
struct ctl_out {
	char *buf;
	size_t len, cap;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct ctl_out *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || o->full)
		return;
	size_t k = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (o->len + k > CTL_REPLY_MAX) {
		o->full = true;
		return;
	}
	if (o->len + k > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		while (cap < o->len + k)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->full = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, line, k);
	o->len += k;
}

static void server_maybe_free(struct ctl_server *s)
{
	if (!s->pipe_closed || s->n_clients > 0)
		return;
	free(s->path);
	free(s);
}

static void on_client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct ctl_server *s = c->s;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_clients--;
	free(c->reply);
	free(c);
	if (s->closing)
		server_maybe_free(s);
}

static void client_close(struct ctl_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, on_client_closed);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void sum_stats(const struct ctl_env *env, struct stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < env->n_workers; i++)
		stats_add(t, net_worker_stats(env->workers[i]));
}

#define STAT_ROW(f)                                                                                \
	{                                                                                          \
#f, offsetof(struct stats, f), 1                                                   \
	}
#define STAT_ARRAY(f, n)                                                                           \
	{                                                                                          \
#f, offsetof(struct stats, f), n                                                   \
	}

/* Every field of struct stats, in its order; arrays print as name.index. */
static const struct {
	const char *name;
	size_t off;
	unsigned n;
} stat_rows[] = {
        STAT_ROW(queries_udp),
        STAT_ROW(queries_tcp),
        STAT_ARRAY(answers_rcode, 16),
        STAT_ROW(formerr),
        STAT_ROW(notimp),
        STAT_ROW(badvers),
        STAT_ROW(refused_acl),
        STAT_ARRAY(dropped, STATS_DROP_MAX_),
        STAT_ROW(cache_hits),
        STAT_ROW(cache_misses),
        STAT_ROW(joined),
        STAT_ROW(requests_inflight),
        STAT_ROW(requests_inflight_peak),
        STAT_ROW(upstream_sent_udp),
        STAT_ROW(upstream_sent_tcp),
        STAT_ROW(upstream_timeouts),
        STAT_ROW(upstream_errors),
        STAT_ROW(upstream_tcp_fallback),
        STAT_ROW(upstream_edns_fallback),
        STAT_ROW(upstream_mismatch),
        STAT_ARRAY(limits, STATS_LIMIT_MAX_),
        STAT_ROW(tcp_connections),
        STAT_ROW(val_secure),
        STAT_ROW(val_insecure),
        STAT_ROW(val_bogus),
        STAT_ROW(val_budget),
        STAT_ROW(val_aggressive),
        STAT_ROW(send_errors),
};

static const char *const rcode_names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "11",       "12",     "13",      "14",       "15"};
static const char *const drop_names[STATS_DROP_MAX_] = {"short", "acl_deny", "inflight",
                                                        "tcp_limit"};
static const char *const limit_names[STATS_LIMIT_MAX_] = {"queries",    "referrals",  "cname",
                                                          "ns_lookups", "subqueries", "timeout"};

static const char *index_name(const char *field, unsigned i)
{
	if (strcmp(field, "answers_rcode") == 0)
		return rcode_names[i];
	if (strcmp(field, "dropped") == 0)
		return drop_names[i];
	return limit_names[i];
}

static void cmd_cache(const struct ctl_env *env, struct ctl_out *o, bool all)
{
	struct cache_stats cs;
	cache_stats_get(env->cache, &cs);
	out_printf(o, "cache.entries: %llu\n", (unsigned long long)cs.entries);
	out_printf(o, "cache.bytes: %llu\n", (unsigned long long)cs.bytes);
	out_printf(o, "cache.max_bytes: %llu\n", (unsigned long long)cs.max_bytes);
	if (!all)
		return;
	out_printf(o, "cache.inserts: %llu\n", (unsigned long long)cs.inserts);
	out_printf(o, "cache.evictions: %llu\n", (unsigned long long)cs.evictions);
	out_printf(o, "cache.hits: %llu\n", (unsigned long long)cs.hits);
	out_printf(o, "cache.misses: %llu\n", (unsigned long long)cs.misses);
}

/* Resident set size of the process in bytes, 0 if /proc cannot say. */
static uint64_t rss_bytes(void)
{
	unsigned long long pages_total = 0, pages_resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &pages_total, &pages_resident) != 2)
		pages_resident = 0;
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? pages_resident * (uint64_t)page : 0;
}

/*
 * Memory figures: the process's resident set, and the bytes the heap has
 * handed out and not had back (all threads). The heap figure does not move
 * with pages the kernel has or has not reclaimed, so it is the one that
 * shows a leak or a structure that keeps growing.
 */
static void cmd_memory(struct ctl_out *o)
{
	out_printf(o, "memory.rss_bytes: %llu\n", (unsigned long long)rss_bytes());
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();
	out_printf(o, "memory.heap_bytes: %llu\n", (unsigned long long)(mi.uordblks + mi.hblkhd));
#endif
}

static void cmd_status(const struct ctl_env *env, struct ctl_out *o)
{
	out_printf(o, "ok\nversion: %s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	out_printf(o, "uptime: %llu\n",
	           (unsigned long long)((clock_mono_ms() - env->started_ms) / 1000));
	out_printf(o, "workers: %u\n", env->n_workers);
	out_printf(o, "config-file: %s\n",
	           env->conf->file != NULL ? env->conf->file : "(built-in defaults)");
	cmd_cache(env, o, false);
	cmd_memory(o);
}

static void cmd_stats(const struct ctl_server *s, struct ctl_out *o)
{
	const struct ctl_env *env = &s->env;
	struct stats t;
	sum_stats(env, &t);
	out_printf(o, "ok\n");
	for (size_t r = 0; r < sizeof(stat_rows) / sizeof(stat_rows[0]); r++) {
		const _Atomic uint64_t *v =
		        (const _Atomic uint64_t *)((const char *)&t + stat_rows[r].off);
		for (unsigned i = 0; i < stat_rows[r].n; i++) {
			unsigned long long x = atomic_load_explicit(&v[i], memory_order_relaxed);
			if (stat_rows[r].n == 1)
				out_printf(o, "%s: %llu\n", stat_rows[r].name, x);
			else
				out_printf(o, "%s.%s: %llu\n", stat_rows[r].name,
				           index_name(stat_rows[r].name, i), x);
		}
	}
	cmd_cache(env, o, true);
	cmd_memory(o);
	out_printf(o, "control.requests: %llu\n", (unsigned long long)s->n_requests);
	out_printf(o, "control.rejected: %llu\n", (unsigned long long)s->n_rejected);
	out_printf(o, "control.dropped: %llu\n", (unsigned long long)s->n_dropped);
}

static void cmd_flush_all(const struct ctl_env *env, struct ctl_out *o)
{
	struct cache_stats before;
	cache_stats_get(env->cache, &before);
	cache_flush(env->cache);
	val_keycache_flush(env->keys);
	log_info("control: cache flushed (%llu entries)", (unsigned long long)before.entries);
	out_printf(o, "ok\nremoved %llu cache entries\n", (unsigned long long)before.entries);
}

/* The reply to one request line; sets *stop for the stop command. */
static void run_request(struct ctl_client *c, struct ctl_out *o)
{
	const struct ctl_env *env = &c->s->env;
	struct ctl_request r;
	char err[160];
	if (ctl_parse(c->req, c->len, &r, err, sizeof(err)) != 0) {
		out_printf(o, "error: %s\n", err);
		c->s->n_rejected++;
		return;
	}
	c->s->n_requests++;
	switch (r.cmd) {
	case CTL_STATUS:
		cmd_status(env, o);
		break;
	case CTL_STATS:
		cmd_stats(c->s, o);
		break;
	case CTL_VERBOSITY:
		log_set_verbosity(r.arg);
		log_info("control: verbosity %d", r.arg);
		out_printf(o, "ok\n");
		break;
	case CTL_FLUSH_ALL:
		cmd_flush_all(env, o);
		break;
	case CTL_STOP:
		out_printf(o, "ok\n");
		c->stop_after = true;
		break;
	}
}

static void on_write(uv_write_t *wr, int status)
{
	struct ctl_client *c = wr->data;
	struct ctl_server *s = c->s;
	bool stop = c->stop_after;
	client_close(c);
	if (stop && !s->closing)
		s->env.stop(s->env.arg, "control socket");
}

static void reply_send(struct ctl_client *c, struct ctl_out *o)
{
	c->done = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (o->full && o->len == 0) {
		free(o->buf);
		o->buf = NULL;
	}
	c->reply = o->buf;
	c->reply_len = o->len;
	uv_buf_t b = uv_buf_init(c->reply != NULL ? c->reply : "error: out of memory\n",
	                         c->reply != NULL ? (unsigned)c->reply_len : 21);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, on_write) != 0) {
		bool stop = c->stop_after;
		client_close(c);
		if (stop && !c->s->closing)
			c->s->env.stop(c->s->env.arg, "control socket");
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	/* One byte more than a request may have, to see that it is too long. */
	buf->base = c->req + c->len;
	buf->len = sizeof(c->req) - c->len;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = st->data;
	struct ctl_out o = {0};
	if (c->done)
		return;
	if (nread < 0) {
		c->s->n_dropped++;
		client_close(c); /* gone, or sent no newline before EOF */
		return;
	}
	size_t start = c->len;
	c->len += (size_t)nread;
	char *nl = memchr(c->req + start, '\n', c->len - start);
	if (nl != NULL) {
		c->len = (size_t)(nl - c->req);
		if (c->len > CTL_REQUEST_MAX + 1) { /* ctl_parse() judges a trailing '\r' */
			out_printf(&o, "error: request longer than %d bytes\n", CTL_REQUEST_MAX);
			c->s->n_rejected++;
		} else {
			run_request(c, &o);
		}
		reply_send(c, &o);
	} else if (c->len >= sizeof(c->req)) {
		out_printf(&o, "error: request longer than %d bytes\n", CTL_REQUEST_MAX);
		c->s->n_rejected++;
		reply_send(c, &o);
	}
}

static void on_timeout(uv_timer_t *t)
{
	struct ctl_client *c = t->data;
	if (!c->done)
		c->s->n_dropped++;
	client_close(c); /* also cancels a reply the client does not read */
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl_server *s = server->data;
	if (status != 0 || s->closing)
		return;
	struct ctl_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->s = s;
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_timer_init(server->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 || s->n_clients > CTL_CLIENTS) {
		s->n_dropped++;
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, CTL_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		client_close(c);
}

/* Remove a socket left by an earlier run; refuse to touch any other file. */
static int remove_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return ERR_EXISTS;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "control socket %s: cannot remove the old one: %s", path,
		         strerror(errno));
		return ERR_IO;
	}
	return 0;
}

static int server_listen(struct ctl_server *s, uv_loop_t *loop, char *err, size_t errlen)
{
	const char *path = s->path;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return ERR_RANGE;
	}
	int rc = remove_stale(path, err, errlen);
	if (rc != 0)
		return rc;
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	mode_t old = umask(0117); /* never a moment with a wider mode than 0660 */
	int e = uv_pipe_bind(&s->pipe, path);
	umask(old);
	if (e != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(e));
		return ERR_IO;
	}
	if (chmod(path, 0660) != 0)
		e = uv_translate_sys_error(errno);
	if (e == 0)
		e = uv_listen((uv_stream_t *)&s->pipe, 8, on_connection);
	if (e != 0) {
		unlink(path);
		snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(e));
		return ERR_IO;
	}
	return 0;
}

static void on_server_closed(uv_handle_t *h)
{
	struct ctl_server *s = h->data;
	s->pipe_closed = true;
	server_maybe_free(s);
}

struct ctl_server *ctl_server_start(uv_loop_t *loop, const struct ctl_env *env, char *err,
                                    size_t errlen)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(env->conf->control_socket)) == NULL) {
		free(s);
		snprintf(err, errlen, "control socket: %s", err_str(ERR_NOMEM));
		return NULL;
	}
	s->env = *env;
	if (server_listen(s, loop, err, errlen) != 0) {
		if (s->pipe.loop != NULL) {
			s->closing = true;
			uv_close((uv_handle_t *)&s->pipe, on_server_closed);
		} else {
			free(s->path);
			free(s);
		}
		return NULL;
	}
	log_debug(LOG_LEVEL_DETAIL, "control socket %s", s->path);
	return s;
}

void ctl_server_close(struct ctl_server *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	for (struct ctl_client *c = s->clients; c != NULL; c = c->next)
		client_close(c);
	if (unlink(s->path) != 0 && errno != ENOENT)
		log_warn("cannot remove control socket %s: %s", s->path, strerror(errno));
	uv_close((uv_handle_t *)&s->pipe, on_server_closed);
}
