/*
 * metrics.c - the Prometheus endpoint: a small HTTP server on the main
 * loop that answers GET (and HEAD) /metrics with the counters summed over
 * the workers, in the text format prom.h writes, and closes.
 *
 * Every connection is bounded like the control socket's: at most
 * METRICS_CLIENTS at once, one request of at most METRICS_REQUEST_MAX
 * bytes up to the blank line after the headers, METRICS_TIMEOUT_MS to send
 * it, one response, then the connection is closed. Anything else gets a
 * status code: 400 malformed, 404 another path, 405 another method, 431
 * too long. A client that stalls or goes away costs one slot until then.
 *
 * Non-goals: keep-alive, request bodies, TLS, authentication (bind it to
 * an address only the monitoring system reaches).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metrics.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/lru.h"
#include "mangrove/prom.h"
#include "mangrove/stats.h"

#define METRICS_CLIENTS     16
#define METRICS_REQUEST_MAX 4096    /* request line and headers, blank line included */
#define METRICS_TIMEOUT_MS  5000    /* from accept to the whole request */
#define METRICS_LINGER_MS   1000    /* after the response, for the client to close first */
#define METRICS_BODY_MAX    1048576 /* the exposition is ~12 KiB */

enum metrics_state {
	METRICS_READING, /* waiting for the whole request */
	METRICS_WRITING, /* the response is being sent */
	METRICS_LINGER,  /* sent and shut down: reading what is left until EOF */
};

struct metrics_client {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sh;
	struct metrics_server *s;
	struct lru_node link; /* in the server's clients */
	int open_handles;
	enum metrics_state state;
	bool eof; /* the client shut its side down */
	size_t len;
	char req[METRICS_REQUEST_MAX];
	char head[512];
	size_t head_len;
	struct prom_out body;
	bool send_body; /* not for HEAD or errors without one */
};

struct metrics_server {
	uv_tcp_t tcp;
	struct metrics_env env;
	struct lru clients; /* the open connections (an intrusive list) */
	unsigned n_clients;
	/* Written and read by the main thread only. */
	uint64_t responses[PROM_HTTP_MAX_];
	uint64_t dropped; /* closed without a response: EOF, timeout, too many clients */
	bool closing;
	bool tcp_closed;
};

/* What one request asks for. */
struct metrics_request {
	enum prom_http status; /* PROM_HTTP_200 when it is GET or HEAD /metrics */
	bool head;             /* HEAD: the headers of GET only (RFC 9110 §9.3.2) */
};

static const struct {
	const char *reason;
	const char *body;
} statuses[PROM_HTTP_MAX_] = {
        [PROM_HTTP_200] = {"OK", ""},
        [PROM_HTTP_400] = {"Bad Request", "400 bad request\n"},
        [PROM_HTTP_404] = {"Not Found", "404 not found: the metrics are at /metrics\n"},
        [PROM_HTTP_405] = {"Method Not Allowed", "405 method not allowed: use GET\n"},
        [PROM_HTTP_431] = {"Request Header Fields Too Large",
                           "431 request header fields too large\n"},
        [PROM_HTTP_500] = {"Internal Server Error", "500 internal server error\n"},
};

static void server_maybe_free(struct metrics_server *s)
{
	if (!s->tcp_closed || s->n_clients > 0)
		return;
	free(s);
}

static void on_client_closed(uv_handle_t *h)
{
	struct metrics_client *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct metrics_server *s = c->s;
	lru_unlink(&s->clients, &c->link);
	s->n_clients--;
	prom_out_free(&c->body);
	free(c);
	if (s->closing)
		server_maybe_free(s);
}

static void client_close(struct metrics_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_client_closed);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

/* ---- the request ---- */

/* RFC 9110 §5.6.2: token characters (method and field names). */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Length of the line at p (before "\r\n" or "\n"); *next is after it. */
static size_t line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*next = nl + 1;
	return (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
}

/* The path of a request-target: origin form, or absolute form (RFC 9112 §3.2.2). */
static bool target_is_metrics(const char *t, size_t n)
{
	if (n > 7 && strncasecmp(t, "http://", 7) == 0) {
		const char *slash = memchr(t + 7, '/', n - 7);
		if (slash == NULL)
			return false;
		n -= (size_t)(slash - t);
		t = slash;
	}
	const char *q = memchr(t, '?', n); /* a query string changes nothing */
	if (q != NULL)
		n = (size_t)(q - t);
	return n == 8 && memcmp(t, "/metrics", 8) == 0;
}

/*
 * The header fields: "name: value" lines, a token name right before the
 * colon (RFC 9112 §5.1: whitespace there is rejected), no obsolete line
 * folding (§5.2). HTTP/1.1 needs a Host field (§3.2).
 */
static bool headers_ok(const char *p, const char *end, bool need_host)
{
	bool host = false;
	while (p < end) {
		const char *next;
		size_t n = line_len(p, end, &next);
		if (n == 0)
			break; /* the blank line */
		size_t k = 0;
		while (k < n && is_tchar(p[k]))
			k++;
		if (k == 0 || k == n || p[k] != ':')
			return false;
		if (k == 4 && strncasecmp(p, "host", 4) == 0)
			host = true;
		p = next;
	}
	return host || !need_host;
}

/*
 * One request, len bytes up to and with the blank line that ends the
 * header section (RFC 9112 §2.1). A bare LF is taken as a line end (§2.2).
 */
static struct metrics_request request_parse(const char *req, size_t len)
{
	struct metrics_request r = {.status = PROM_HTTP_400};
	const char *p = req, *end = req + len, *next;
	while (p < end && (*p == '\r' || *p == '\n'))
		p++; /* §2.2: empty lines before the request line */
	size_t n = line_len(p, end, &next);
	/* request-line = method SP request-target SP HTTP-version (§3) */
	const char *sp1 = memchr(p, ' ', n);
	const char *sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p)) : NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == p || sp2 == sp1 + 1)
		return r;
	size_t mlen = (size_t)(sp1 - p), tlen = (size_t)(sp2 - sp1 - 1);
	const char *v = sp2 + 1;
	size_t vlen = n - (size_t)(v - p);
	for (size_t i = 0; i < mlen; i++) {
		if (!is_tchar(p[i]))
			return r;
	}
	for (size_t i = 0; i < tlen; i++) {
		if ((unsigned char)sp1[1 + i] <= ' ' || sp1[1 + i] == 0x7f)
			return r;
	}
	if (vlen != 8 || memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9')
		return r;
	if (!headers_ok(next, end, v[7] != '0'))
		return r;
	bool get = mlen == 3 && memcmp(p, "GET", 3) == 0;
	r.head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
	if (!target_is_metrics(sp1 + 1, tlen))
		r.status = PROM_HTTP_404;
	else if (!get && !r.head)
		r.status = PROM_HTTP_405;
	else
		r.status = PROM_HTTP_200;
	return r;
}

/* Length of the request up to the end of its header section, or 0 if not all there yet. */
static size_t request_end(const char *req, size_t len, size_t from)
{
	size_t i = from > 3 ? from - 3 : 0;
	size_t start = 0;
	while (start < len && (req[start] == '\r' || req[start] == '\n'))
		start++; /* empty lines before the request line end nothing */
	for (i = i > start ? i : start; i < len; i++) {
		if (req[i] != '\n')
			continue;
		if (i + 1 < len && req[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && req[i + 1] == '\r' && req[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* ---- the response ---- */

static void sum_counters(const struct metrics_server *s, struct stats *t, struct prom_extra *x)
{
	const struct metrics_env *env = &s->env;
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < env->n_workers; i++) {
		if (env->workers[i] != NULL) /* all are there once the main loop runs */
			stats_add(t, net_worker_stats(env->workers[i]));
	}
	memset(x, 0, sizeof(*x));
	if (env->cache != NULL) {
		struct cache_stats cs;
		cache_stats_get(env->cache, &cs);
		x->cache_entries = cs.entries;
		x->cache_bytes = cs.bytes;
		x->cache_max_bytes = cs.max_bytes;
		x->cache_inserts = cs.inserts;
		x->cache_evictions = cs.evictions;
		x->cache_hits = cs.hits;
		x->cache_misses = cs.misses;
		for (unsigned k = 0; k < CACHE_KIND_MAX_ && k < 2; k++) {
			x->kind_entries[k] = cs.kind[k].entries;
			x->kind_bytes[k] = cs.kind[k].bytes;
			x->kind_inserts[k] = cs.kind[k].inserts;
			x->kind_evictions[k] = cs.kind[k].evictions;
			x->kind_hits[k] = cs.kind[k].hits;
			x->kind_misses[k] = cs.kind[k].misses;
		}
	}
	x->memory_known = prom_memory(&x->memory_rss_bytes, &x->memory_heap_bytes);
	x->uptime_seconds = (clock_mono_ms() - env->started_ms) / 1000;
	x->workers = env->n_workers;
	memcpy(x->metrics_responses, s->responses, sizeof(x->metrics_responses));
	x->metrics_dropped = s->dropped;
}

/* The exposition into c->body; the status to answer with. */
static enum prom_http body_metrics(struct metrics_client *c)
{
	struct stats t;
	struct prom_extra x;
	/* This response counts in the text it carries. */
	c->s->responses[PROM_HTTP_200]++;
	sum_counters(c->s, &t, &x);
	prom_out_init(&c->body, METRICS_BODY_MAX);
	int rc = prom_write(&c->body, &t, &x);
	if (rc == 0)
		return PROM_HTTP_200;
	c->s->responses[PROM_HTTP_200]--;
	log_warn("metrics: cannot write the exposition: %s", err_str(rc));
	prom_out_free(&c->body);
	return PROM_HTTP_500;
}

/* Status line and header fields into c->head (RFC 9112 §4, RFC 9110 §6.6.1 Date). */
static void head_write(struct metrics_client *c, enum prom_http status, size_t body_len)
{
	char date[64];
	time_t now = clock_wall();
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		date[0] = '\0';
	int n = snprintf(c->head, sizeof(c->head),
	                 "HTTP/1.1 %s %s\r\n%s%s%sContent-Type: %s\r\nContent-Length: %zu\r\n"
	                 "%sConnection: close\r\n\r\n",
	                 prom_http_name(status), statuses[status].reason,
	                 date[0] != '\0' ? "Date: " : "", date, date[0] != '\0' ? "\r\n" : "",
	                 status == PROM_HTTP_200 ? PROM_CONTENT_TYPE : "text/plain; charset=utf-8",
	                 body_len, status == PROM_HTTP_405 ? "Allow: GET, HEAD\r\n" : "");
	c->head_len = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
}

static void on_timeout(uv_timer_t *t)
{
	struct metrics_client *c = t->data;
	if (c->state == METRICS_READING)
		c->s->dropped++;
	client_close(c); /* also cancels a response the client does not read */
}

static void on_shutdown(uv_shutdown_t *sh, int status)
{
	struct metrics_client *c = sh->data;
	if (status != 0 || c->eof)
		client_close(c);
}

static void on_write(uv_write_t *wr, int status)
{
	struct metrics_client *c = wr->data;
	if (status != 0 || c->eof) {
		client_close(c);
		return;
	}
	/*
	 * Closing with unread bytes from the client would reset the connection
	 * and could destroy the response before the client reads it: send FIN,
	 * read until the client closes, for at most METRICS_LINGER_MS.
	 */
	c->state = METRICS_LINGER;
	uv_timer_start(&c->timer, on_timeout, METRICS_LINGER_MS, 0);
	c->sh.data = c;
	if (uv_shutdown(&c->sh, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
		client_close(c);
}

static void respond(struct metrics_client *c, struct metrics_request r)
{
	enum prom_http status = r.status == PROM_HTTP_200 ? body_metrics(c) : r.status;
	if (status != PROM_HTTP_200)
		c->s->responses[status]++;
	const char *body = status == PROM_HTTP_200 ? c->body.buf : statuses[status].body;
	size_t body_len = status == PROM_HTTP_200 ? c->body.len : strlen(body);
	head_write(c, status, body_len);
	c->send_body = !r.head;
	c->state = METRICS_WRITING;
	uv_buf_t b[2] = {uv_buf_init(c->head, (unsigned)c->head_len),
	                 uv_buf_init((char *)body, (unsigned)body_len)};
	c->wr.data = c;
	if (c->head_len == 0 || uv_write(&c->wr, (uv_stream_t *)&c->tcp, b,
	                                 c->send_body && body_len > 0 ? 2 : 1, on_write) != 0)
		client_close(c);
}

/* ---- the connection ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct metrics_client *c = h->data;
	if (c->state != METRICS_READING)
		c->len = 0; /* after the request: read to throw away */
	buf->base = c->req + c->len;
	buf->len = sizeof(c->req) - c->len;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct metrics_client *c = st->data;
	if (nread < 0) {
		c->eof = true;
		uv_read_stop(st);
		if (c->state == METRICS_READING)
			c->s->dropped++; /* gone before a whole request */
		if (c->state != METRICS_WRITING)
			client_close(c); /* while writing, on_write closes */
		return;
	}
	if (c->state != METRICS_READING || nread == 0)
		return;
	size_t from = c->len;
	c->len += (size_t)nread;
	size_t end = request_end(c->req, c->len, from);
	if (end > 0) {
		respond(c, request_parse(c->req, end));
	} else if (c->len == sizeof(c->req)) {
		struct metrics_request r = {.status = PROM_HTTP_431};
		respond(c, r);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct metrics_server *s = server->data;
	if (status != 0 || s->closing)
		return;
	struct metrics_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->s = s;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	lru_push_front(&s->clients, &c->link);
	s->n_clients++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || s->n_clients > METRICS_CLIENTS) {
		s->dropped++;
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, METRICS_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		client_close(c);
}

/* "addr:port", "[addr]:port" for IPv6 (RFC 3986 §3.2.2), for the log line. */
static void url_host(const struct sa *a, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	sa_addr_str(a, addr, sizeof(addr));
	bool v6 = sa_family(a) == AF_INET6;
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", sa_port(a));
}

static void on_server_closed(uv_handle_t *h)
{
	struct metrics_server *s = h->data;
	s->tcp_closed = true;
	server_maybe_free(s);
}

struct metrics_server *metrics_server_start(uv_loop_t *loop, const struct sa *addr,
                                            const struct metrics_env *env, char *err, size_t errlen)
{
	char where[INET6_ADDRSTRLEN + 8], url[INET6_ADDRSTRLEN + 8];
	sa_str(addr, where, sizeof(where));
	url_host(addr, url, sizeof(url));
	struct metrics_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "metrics-interface %s: %s", where, err_str(ERR_NOMEM));
		return NULL;
	}
	s->env = *env;
	uv_tcp_init(loop, &s->tcp);
	s->tcp.data = s;
	int e = uv_tcp_bind(&s->tcp, &addr->u.sa, 0);
	if (e == 0)
		e = uv_listen((uv_stream_t *)&s->tcp, METRICS_CLIENTS, on_connection);
	if (e != 0) {
		snprintf(err, errlen, "metrics-interface %s: %s", where, uv_strerror(e));
		s->closing = true;
		uv_close((uv_handle_t *)&s->tcp, on_server_closed);
		return NULL;
	}
	log_debug(LOG_LEVEL_DETAIL, "metrics on http://%s/metrics", url);
	return s;
}

void metrics_server_close(struct metrics_server *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	for (struct lru_node *n = s->clients.head; n != NULL; n = n->next)
		client_close(lru_entry(n, struct metrics_client, link));
	uv_close((uv_handle_t *)&s->tcp, on_server_closed);
}
