/*
 * worker.c - one worker: a thread running its own libuv loop with its own
 * listening sockets, in-flight table and counters, and the client path from
 * a received query to its reply.
 *
 * A client question is parsed in place, checked against the ACL, answered
 * from the cache when it can be (no allocation), and otherwise joined to
 * the identical question already in flight or given a new request. The
 * request is driven with req_step(); outbound.c carries its upstream
 * exchanges. Nothing here blocks.
 *
 * Non-goals: the wire format (wire/), resolution (request/), socket details
 * (net/udp.c, net/tcp.c, net/outbound.c), signals (daemon/main.c).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/hash.h"
#include "mangrove/log.h"
#include "mangrove/random.h"

#include "../net/net_internal.h"

/** Bound sockets for every worker, made before privileges are dropped. */
struct net_listeners {
	unsigned workers;
	size_t n_addrs;
	struct sa *addrs;
	int *udp; /* [worker * n_addrs + i], -1 once handed over */
	int *tcp;
};

enum flight_end {
	FLIGHT_ANSWER = 0, /* answer every waiter with req_answer() */
	FLIGHT_SERVFAIL,   /* answer every waiter SERVFAIL */
	FLIGHT_SILENT,     /* worker stop: drop the waiters */
};

static void flight_end(struct net__flight *f, enum flight_end how);

/* ---- keyed hash ---- */

uint64_t net__hash(const struct net_worker *w, const void *data, size_t len)
{
	return hash_siphash(w->hash_key, data, len);
}

/* ---- listening sockets ---- */

static void socket_tune_udp(int fd, int family)
{
	/*
	 * Do not set DF on replies, and ignore path MTU hints: a forged ICMP
	 * "fragmentation needed" must not shrink what we send (as Unbound does).
	 * Best effort: older kernels lack the option.
	 */
#if defined(IP_MTU_DISCOVER) && defined(IP_PMTUDISC_OMIT)
	int omit = IP_PMTUDISC_OMIT;
	if (family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
#endif
#if defined(IPV6_MTU_DISCOVER) && defined(IPV6_PMTUDISC_OMIT)
	int omit6 = IPV6_PMTUDISC_OMIT;
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit6, sizeof(omit6));
#endif
}

static int socket_open(const struct sa *addr, int type)
{
	int one = 1;
	int family = sa_family(addr);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEPORT: one socket per worker on the same address (DESIGN.md "Threads"). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (type == SOCK_DGRAM)
		socket_tune_udp(fd, family);
	if (bind(fd, &addr->u.sa, addr->len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, NET__TCP_BACKLOG) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

static bool sa_is_wildcard(const struct sa *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	if (sa_family(a) == AF_INET)
		return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&a->u.in6.sin6_addr, &any6, sizeof(any6)) == 0;
}

static int listeners_bind(struct net_listeners *l, char *err, size_t errlen)
{
	char addr[80];
	for (unsigned w = 0; w < l->workers; w++) {
		for (size_t i = 0; i < l->n_addrs; i++) {
			size_t k = w * l->n_addrs + i;
			l->udp[k] = socket_open(&l->addrs[i], SOCK_DGRAM);
			if (l->udp[k] < 0) {
				snprintf(err, errlen, "cannot listen on %s (udp): %s",
				         sa_str(&l->addrs[i], addr, sizeof(addr)),
				         strerror(-l->udp[k]));
				return ERR_IO;
			}
			l->tcp[k] = socket_open(&l->addrs[i], SOCK_STREAM);
			if (l->tcp[k] < 0) {
				snprintf(err, errlen, "cannot listen on %s (tcp): %s",
				         sa_str(&l->addrs[i], addr, sizeof(addr)),
				         strerror(-l->tcp[k]));
				return ERR_IO;
			}
		}
	}
	return 0;
}

int net_listeners_open(const struct conf *conf, unsigned workers, struct net_listeners **out,
                       char *err, size_t errlen)
{
	*out = NULL;
	struct net_listeners *l = calloc(1, sizeof(*l));
	size_t n = conf->n_interfaces * (workers ? workers : 1);
	if (l == NULL)
		goto nomem;
	l->workers = workers;
	l->n_addrs = conf->n_interfaces;
	l->addrs = calloc(conf->n_interfaces + 1, sizeof(*l->addrs));
	l->udp = malloc((n + 1) * sizeof(int));
	l->tcp = malloc((n + 1) * sizeof(int));
	if (l->addrs == NULL || l->udp == NULL || l->tcp == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		l->udp[i] = l->tcp[i] = -1;
	memcpy(l->addrs, conf->interfaces, conf->n_interfaces * sizeof(*l->addrs));
	int rc = listeners_bind(l, err, errlen);
	if (rc != 0) {
		net_listeners_free(l);
		return rc;
	}
	for (size_t i = 0; i < l->n_addrs; i++) {
		char addr[80];
		if (sa_is_wildcard(&l->addrs[i]))
			log_warn("listening on %s: UDP replies leave from the address the kernel "
			         "picks; on a multi-homed host list each address instead",
			         sa_str(&l->addrs[i], addr, sizeof(addr)));
	}
	*out = l;
	return 0;
nomem:
	snprintf(err, errlen, "cannot set up the listening sockets: %s", err_str(ERR_NOMEM));
	net_listeners_free(l);
	return ERR_NOMEM;
}

void net_listeners_free(struct net_listeners *l)
{
	if (l == NULL)
		return;
	size_t n = l->n_addrs * l->workers;
	for (size_t i = 0; l->udp != NULL && l->tcp != NULL && i < n; i++) {
		if (l->udp[i] >= 0)
			close(l->udp[i]);
		if (l->tcp[i] >= 0)
			close(l->tcp[i]);
	}
	free(l->udp);
	free(l->tcp);
	free(l->addrs);
	free(l);
}

/* ---- sending replies ---- */

void net__client_send(struct net_worker *w, const struct net__client *c, const uint8_t *buf,
                      size_t len, int ede_code, uint64_t started_ms)
{
	if (len >= WIRE_HDR_LEN)
		STATS_INC(&w->stats, answers_rcode[buf[3] & 0x0f]);
	if (ede_code >= 0)
		STATS_INC(&w->stats, answers_ede[stats_ede_index(ede_code)]);
	uint64_t ms = 0;
	if (started_ms != 0) {
		uint64_t now = uv_now(&w->loop);
		ms = now > started_ms ? now - started_ms : 0;
		STATS_ADD(&w->stats, latency_ms_sum, ms);
	}
	STATS_INC(&w->stats, latency[stats_latency_index(ms)]);
	if (c->udp != NULL)
		net__udp_send(c->udp, &c->addr, buf, len);
	else if (c->conn != NULL)
		net__tcp_send(c->conn, buf, len);
}

static size_t client_limit(const struct net_worker *w, const struct net__client *c,
                           const struct wire_query *q)
{
	if (c->udp == NULL)
		return WIRE_MSG_MAX;
	return wire_query_udp_limit(q, w->conf->edns_buffer_size);
}

static void reply_error(struct net_worker *w, const struct net__client *c,
                        const struct wire_query *q, uint16_t rcode, const struct wire_ede *ede)
{
	size_t n =
	        wire_reply_error(q, rcode, ede, w->conf->edns_buffer_size, w->reply, WIRE_MSG_MAX);
	if (n > 0)
		net__client_send(w, c, w->reply, n, ede != NULL ? ede->code : -1, 0);
}

/* Answer one waiter with the request's answer (ans NULL: SERVFAIL). */
static void waiter_answer(struct net_worker *w, struct net__waiter *wt, const uint8_t *ans,
                          size_t len, const struct wire_ede *ede)
{
	const struct net__client *c = &wt->client;
	if (c->udp == NULL && c->conn == NULL)
		return; /* its TCP connection closed: nobody to answer */
	size_t n = 0;
	if (ans != NULL && len <= WIRE_MSG_MAX) {
		memcpy(w->reply, ans, len);
		n = req_reply_finish(w->reply, len, WIRE_MSG_MAX, &wt->q,
		                     client_limit(w, c, &wt->q), ede, w->conf->edns_buffer_size);
	}
	if (n == 0) {
		reply_error(w, c, &wt->q, WIRE_RCODE_SERVFAIL, NULL);
		return;
	}
	net__client_send(w, c, w->reply, n, ede != NULL ? ede->code : -1, wt->started_ms);
}

/* ---- the in-flight table ---- */

static struct net__flight *flight_find(struct net_worker *w, const uint8_t *key, size_t len,
                                       uint64_t hash)
{
	struct net__flight *f = w->flights[hash & w->flights_mask];
	for (; f != NULL; f = f->hash_next) {
		if (f->hash == hash && f->key_len == len && memcmp(f->key, key, len) == 0)
			return f;
	}
	return NULL;
}

static void flight_unlink(struct net__flight *f)
{
	struct net_worker *w = f->w;
	struct net__flight **p = &w->flights[f->hash & w->flights_mask];
	if (f->job != NULL) {
		for (p = &w->job_flights; *p != NULL && *p != f; p = &(*p)->hash_next)
			;
		if (*p != NULL)
			*p = f->hash_next;
		f->hash_next = NULL;
		return;
	}
	while (*p != NULL && *p != f)
		p = &(*p)->hash_next;
	if (*p == NULL)
		return;
	*p = f->hash_next;
	f->hash_next = NULL;
	w->n_flights--;
	STATS_SET(&w->stats, requests_inflight, w->n_flights);
}

/* The table key: lower-cased qname, qtype, qclass, message-cache flags. */
static bool flight_key(const struct wire_query *q, uint8_t *key, size_t *len)
{
	if (q->qname == NULL || q->qname_len == 0 || q->qname_len > WIRE_DNAME_MAX)
		return false;
	memcpy(key, q->qname, q->qname_len);
	wire_dname_to_lower(key);
	size_t n = q->qname_len;
	wire_write_u16(key + n, q->qtype);
	wire_write_u16(key + n + 2, q->qclass);
	key[n + 4] = req_query_flags(q);
	*len = n + 5;
	return true;
}

static void flight_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void deadline_cb(uv_timer_t *t);

static void deadline_arm(struct net__flight *f)
{
	uint64_t now = clock_mono_ms();
	uint64_t when = req_deadline(f->req);
	/* The loop's cached time may be behind: refresh it so the timer is not late. */
	uv_update_time(&f->w->loop);
	uv_timer_start(&f->deadline, deadline_cb, when > now ? when - now : 0, 0);
}

/*
 * The request's time is up: stop its upstream exchange and let the core
 * end it. Past its deadline the core answers (SERVFAIL with an EDE, or
 * stale data); a core that keeps asking to send is failed after a bound.
 */
static void deadline_cb(uv_timer_t *t)
{
	struct net__flight *f = t->data;
	if (f->req == NULL)
		return;
	if (req_deadline(f->req) > clock_mono_ms()) {
		deadline_arm(f); /* the timer fired a little early, by rounding */
		return;
	}
	if (f->up != NULL) {
		net__upstream_cancel(f->up);
		req_on_timeout(f->req, false);
	}
	struct req_send s;
	for (unsigned i = 0; i < NET__STEP_MAX; i++) {
		if (req_step(f->req, &s) == REQ_DONE) {
			flight_end(f, FLIGHT_ANSWER);
			return;
		}
		req_on_timeout(f->req, false);
	}
	log_debug(LOG_LEVEL_DEBUG, "request still sending after its deadline: SERVFAIL");
	flight_end(f, FLIGHT_SERVFAIL);
}

static struct net__flight *flight_new(struct net_worker *w, const uint8_t *key, size_t len,
                                      uint64_t hash, const struct wire_query *q)
{
	struct net__flight *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->w = w;
	memcpy(f->key, key, len);
	f->key_len = len;
	f->hash = hash;
	f->waiters_tail = &f->waiters;
	/* The key starts with the lower-cased qname; the core copies what it keeps. */
	f->req = req_new(&w->env, f->key, q->qtype, q->qclass, key[len - 1]);
	if (f->req == NULL) {
		free(f);
		return NULL;
	}
	uv_timer_init(&w->loop, &f->deadline);
	f->deadline.data = f;
	struct net__flight **slot = &w->flights[hash & w->flights_mask];
	f->hash_next = *slot;
	*slot = f;
	w->n_flights++;
	STATS_SET(&w->stats, requests_inflight, w->n_flights);
	if (w->n_flights > STATS_GET(&w->stats, requests_inflight_peak))
		STATS_SET(&w->stats, requests_inflight_peak, w->n_flights);
	deadline_arm(f);
	return f;
}

/* End a flight: answer (or drop) its waiters, free the request, close its timer. */
static void flight_end(struct net__flight *f, enum flight_end how)
{
	struct net_worker *w = f->w;
	flight_unlink(f);
	if (f->up != NULL)
		net__upstream_cancel(f->up);
	const uint8_t *ans = NULL;
	size_t len = 0;
	struct wire_ede ede = {.code = -1, .text = NULL};
	if (how == FLIGHT_ANSWER)
		ans = req_answer(f->req, &len, &ede);
	struct net__waiter *wt = f->waiters, *next;
	f->waiters = NULL;
	f->waiters_tail = &f->waiters;
	for (; wt != NULL; wt = next) {
		next = wt->next;
		if (how != FLIGHT_SILENT)
			waiter_answer(w, wt, ans, len, &ede);
		net__tcp_waiter_detach(wt);
		free(wt);
	}
	if (f->job != NULL)
		f->job->done(f->job, how == FLIGHT_SILENT ? NULL : f->req);
	req_free(f->req);
	f->req = NULL;
	uv_close((uv_handle_t *)&f->deadline, flight_close_cb);
}

void net__flight_drive(struct net__flight *f)
{
	struct req_send s;
	for (unsigned i = 0; i < NET__STEP_MAX; i++) {
		if (req_step(f->req, &s) == REQ_DONE) {
			flight_end(f, FLIGHT_ANSWER);
			return;
		}
		if (net__upstream_start(f, &s) == 0)
			return;
		req_on_timeout(f->req, true);
	}
	log_debug(LOG_LEVEL_DEBUG, "request made no progress after %u steps: SERVFAIL",
	          NET__STEP_MAX);
	flight_end(f, FLIGHT_SERVFAIL);
}

/* ---- the client path ---- */

static struct net__waiter *waiter_new(struct net_worker *w, const struct net__client *c,
                                      const struct wire_query *q)
{
	struct net__waiter *wt;
	size_t end = q->question_end;
	if (end > sizeof(wt->pkt) || end > q->len || q->qname < q->pkt ||
	    q->qname + q->qname_len > q->pkt + end)
		return NULL;
	wt = malloc(sizeof(*wt));
	if (wt == NULL)
		return NULL;
	wt->next = NULL;
	wt->conn_prev = wt->conn_next = NULL;
	wt->client = *c;
	wt->started_ms = uv_now(&w->loop);
	if (wt->started_ms == 0)
		wt->started_ms = 1; /* 0 means "not timed" to net__client_send() */
	memcpy(wt->pkt, q->pkt, end);
	wt->q = *q;
	wt->q.pkt = wt->pkt;
	wt->q.len = end;
	wt->q.qname = wt->pkt + (q->qname - q->pkt);
	return wt;
}

static void flight_add(struct net__flight *f, struct net__waiter *wt)
{
	*f->waiters_tail = wt;
	f->waiters_tail = &wt->next;
	f->n_waiters++;
	if (wt->client.conn != NULL)
		net__tcp_waiter_attach(wt->client.conn, wt);
}

/*
 * Too many requests in flight (or clients joined to one): SERVFAIL at once,
 * as mangrove.conf(5) says, so memory stays bounded during a flood of
 * random names and a real client does not wait for its own timeout.
 */
static void query_overload(struct net_worker *w, const struct net__client *c,
                           const struct wire_query *q)
{
	STATS_INC(&w->stats, dropped[STATS_DROP_INFLIGHT]);
	log_debug(LOG_LEVEL_DEBUG, "in-flight limit reached (%zu requests)", w->n_flights);
	reply_error(w, c, q, WIRE_RCODE_SERVFAIL, NULL);
}

/* A cache miss: join the same question in flight, or start a request. */
static void query_resolve(struct net_worker *w, const struct net__client *c,
                          const struct wire_query *q)
{
	uint8_t key[WIRE_DNAME_MAX + 5];
	size_t len;
	if (!flight_key(q, key, &len)) {
		STATS_INC(&w->stats, formerr);
		reply_error(w, c, q, WIRE_RCODE_FORMERR, NULL);
		return;
	}
	uint64_t hash = net__hash(w, key, len);
	struct net__flight *f = flight_find(w, key, len, hash);
	if (f != NULL ? f->n_waiters >= NET__FLIGHT_WAITERS_MAX
	              : w->n_flights >= w->conf->max_inflight) {
		query_overload(w, c, q);
		return;
	}
	struct net__waiter *wt = waiter_new(w, c, q);
	if (wt == NULL) {
		reply_error(w, c, q, WIRE_RCODE_SERVFAIL, NULL);
		return;
	}
	if (f != NULL) {
		STATS_INC(&w->stats, joined);
		flight_add(f, wt);
		return;
	}
	f = flight_new(w, key, len, hash, q);
	if (f == NULL) {
		free(wt);
		reply_error(w, c, q, WIRE_RCODE_SERVFAIL, NULL);
		return;
	}
	flight_add(f, wt);
	net__flight_drive(f);
}

static void query_log(const struct net__client *c, const struct wire_query *q, const char *what)
{
	char addr[64], name[WIRE_DNAME_MAX * 4 + 2];
	wire_dname_to_str(q->qname, name, sizeof(name));
	log_msg(LOG_LEVEL_QUERY, "%s %s %s type %u class %u: %s", c->udp ? "udp" : "tcp",
	        sa_addr_str(&c->addr, addr, sizeof(addr)), name, q->qtype, q->qclass, what);
}

/* A query the parser rejected: FORMERR, NOTIMP or BADVERS (RFC 6891 §6.1.3). */
static void query_error(struct net_worker *w, const struct net__client *c,
                        const struct wire_query *q, int rc)
{
	uint16_t rcode = WIRE_RCODE_FORMERR;
	if (rc == ERR_NOTIMP) {
		rcode = WIRE_RCODE_NOTIMP;
		STATS_INC(&w->stats, notimp);
	} else if (rc == ERR_BADVERS) {
		rcode = WIRE_RCODE_BADVERS;
		STATS_INC(&w->stats, badvers);
	} else {
		STATS_INC(&w->stats, formerr);
	}
	reply_error(w, c, q, rcode, NULL);
}

void net__query_handle(struct net_worker *w, const struct net__client *c, const uint8_t *pkt,
                       size_t len)
{
	struct wire_query q;
	int rc = wire_query_parse(pkt, len, &q);
	if (rc == ERR_SHORT) {
		STATS_INC(&w->stats, dropped[STATS_DROP_SHORT]);
		return;
	}
	switch (conf_acl_check(w->conf, &c->addr)) {
	case CONF_ACL_ALLOW:
		STATS_INC(&w->stats, acl_allowed);
		break;
	case CONF_ACL_REFUSE: {
		struct wire_ede ede = {.code = WIRE_EDE_PROHIBITED, .text = NULL};
		STATS_INC(&w->stats, refused_acl);
		reply_error(w, c, &q, WIRE_RCODE_REFUSED, &ede);
		return;
	}
	default:
		STATS_INC(&w->stats, dropped[STATS_DROP_ACL_DENY]);
		return;
	}
	if (rc == 0 && (!q.has_question || q.qname == NULL))
		rc = ERR_FORMERR;
	if (rc != 0) {
		query_error(w, c, &q, rc);
		return;
	}
	STATS_INC(&w->stats, queries_qtype[stats_qtype_index(q.qtype)]);
	size_t n = req_cache_answer(&w->env, &q, client_limit(w, c, &q), w->reply, WIRE_MSG_MAX);
	if (n > 0) {
		if (log_enabled(LOG_LEVEL_QUERY))
			query_log(c, &q, "cache");
		net__client_send(w, c, w->reply, n, -1, 0); /* req_cache_answer() counted its EDE */
		return;
	}
	if (log_enabled(LOG_LEVEL_QUERY))
		query_log(c, &q, "resolve");
	query_resolve(w, c, &q);
}

/* ---- the worker ---- */

/* Close everything on the loop so that uv_run() returns. Worker thread only. */
static void worker_shutdown(struct net_worker *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	for (size_t i = 0; i < w->n_udp; i++)
		net__udp_listener_close(&w->udp[i]);
	for (size_t i = 0; i < w->n_tcp; i++)
		net__tcp_listener_close(&w->tcp[i]);
	net__tcp_close_all(w);
	for (size_t i = 0; w->flights != NULL && i <= w->flights_mask; i++) {
		while (w->flights[i] != NULL)
			flight_end(w->flights[i], FLIGHT_SILENT);
	}
	while (w->job_flights != NULL)
		flight_end(w->job_flights, FLIGHT_SILENT);
	uv_close((uv_handle_t *)&w->stop_async, NULL);
	uv_close((uv_handle_t *)&w->env_async, NULL);
	uv_close((uv_handle_t *)&w->job_async, NULL);
	/* Jobs never started end now, so their owners can let go of them. */
	uv_mutex_lock(&w->env_lock);
	struct net_job *j = w->jobs;
	w->jobs = NULL;
	w->jobs_closed = true;
	uv_mutex_unlock(&w->env_lock);
	while (j != NULL) {
		struct net_job *next = j->next;
		j->done(j, NULL);
		j = next;
	}
}

static void stop_cb(uv_async_t *a)
{
	worker_shutdown(a->data);
}

/* A reload's new env: from the next query on, requests and clients use it. */
static void env_cb(uv_async_t *a)
{
	struct net_worker *w = a->data;
	uv_mutex_lock(&w->env_lock);
	if (w->env_next != NULL) {
		w->env = *w->env_next;
		w->env.stats = &w->stats;
		w->conf = w->env.conf;
		w->env_next = NULL;
		uv_cond_signal(&w->env_taken);
	}
	uv_mutex_unlock(&w->env_lock);
}

/* Start one job: an explain request, outside the in-flight table. */
static void job_start(struct net_worker *w, struct net_job *j)
{
	struct net__flight *f = calloc(1, sizeof(*f));
	if (f != NULL)
		f->req = req_new_explain(&w->env, j->qname, j->qtype, j->trace);
	if (f == NULL || f->req == NULL) {
		free(f);
		j->done(j, NULL);
		return;
	}
	f->w = w;
	f->job = j;
	f->waiters_tail = &f->waiters;
	f->hash_next = w->job_flights;
	w->job_flights = f;
	uv_timer_init(&w->loop, &f->deadline);
	f->deadline.data = f;
	deadline_arm(f);
	net__flight_drive(f);
}

static void job_cb(uv_async_t *a)
{
	struct net_worker *w = a->data;
	uv_mutex_lock(&w->env_lock);
	struct net_job *j = w->jobs;
	w->jobs = NULL;
	uv_mutex_unlock(&w->env_lock);
	while (j != NULL) {
		struct net_job *next = j->next;
		job_start(w, j);
		j = next;
	}
}

int net_worker_run(struct net_worker *w, struct net_job *j)
{
	uv_mutex_lock(&w->env_lock);
	bool closed = w->jobs_closed;
	if (!closed) {
		j->next = w->jobs;
		w->jobs = j;
	}
	uv_mutex_unlock(&w->env_lock);
	if (closed)
		return ERR_AGAIN;
	uv_async_send(&w->job_async);
	return 0;
}

int net_worker_set_env(struct net_worker *w, const struct req_env *env, uint64_t timeout_ms)
{
	int rc = 0;
	uv_mutex_lock(&w->env_lock);
	w->env_next = env;
	uv_async_send(&w->env_async);
	uint64_t end = uv_hrtime() + timeout_ms * 1000000u;
	while (w->env_next != NULL && rc == 0) {
		uint64_t now = uv_hrtime();
		if (now >= end || uv_cond_timedwait(&w->env_taken, &w->env_lock, end - now) != 0)
			rc = w->env_next != NULL ? ERR_TIMEOUT : 0;
	}
	uv_mutex_unlock(&w->env_lock);
	return rc;
}

static size_t pow2_at_least(size_t n, size_t lo, size_t hi)
{
	size_t p = lo;
	while (p < n && p < hi)
		p <<= 1;
	return p;
}

static int worker_alloc(struct net_worker *w, size_t n_addrs)
{
	w->flights_mask = pow2_at_least(w->conf->max_inflight, 64, (size_t)1 << 20) - 1;
	w->flights = calloc(w->flights_mask + 1, sizeof(*w->flights));
	w->rx = malloc((size_t)NET__RX_BATCH * 65536);
	w->up_rx = malloc(65536);
	w->reply = malloc(WIRE_MSG_MAX);
	w->udp = calloc(n_addrs + 1, sizeof(*w->udp));
	w->tcp = calloc(n_addrs + 1, sizeof(*w->tcp));
	if (w->flights == NULL || w->rx == NULL || w->up_rx == NULL || w->reply == NULL ||
	    w->udp == NULL || w->tcp == NULL)
		return ERR_NOMEM;
	return net__tcp_clients_init(w);
}

/* Free what worker_alloc() allocated, and the worker (its loop is closed or never ran). */
static void worker_release(struct net_worker *w)
{
	net__tcp_clients_free(w);
	free(w->flights);
	free(w->rx);
	free(w->up_rx);
	free(w->reply);
	free(w->udp);
	free(w->tcp);
	uv_cond_destroy(&w->env_taken);
	uv_mutex_destroy(&w->env_lock);
	free(w);
}

/* Put worker id's sockets on the loop; the fds are the worker's from here on. */
static int worker_take_sockets(struct net_worker *w, struct net_listeners *l, char *err,
                               size_t errlen)
{
	char addr[80];
	for (size_t i = 0; i < l->n_addrs; i++) {
		size_t k = w->id * l->n_addrs + i;
		int fd = l->udp[k];
		l->udp[k] = -1;
		int rc = net__udp_listener_init(w, &w->udp[w->n_udp], fd, &l->addrs[i]);
		if (rc == 0)
			w->n_udp++;
		if (rc == 0)
			rc = net__udp_listener_start(&w->udp[w->n_udp - 1]);
		if (rc == 0) {
			fd = l->tcp[k];
			l->tcp[k] = -1;
			rc = net__tcp_listener_init(w, &w->tcp[w->n_tcp], fd, &l->addrs[i]);
			if (rc == 0)
				w->n_tcp++;
		}
		if (rc == 0)
			rc = net__tcp_listener_start(&w->tcp[w->n_tcp - 1]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot listen on %s: %s",
			         sa_str(&l->addrs[i], addr, sizeof(addr)), uv_strerror(rc));
			return ERR_IO;
		}
	}
	return 0;
}

struct net_worker *net_worker_new(unsigned id, const struct req_env *env, struct net_listeners *l,
                                  char *err, size_t errlen)
{
	struct net_worker *w = calloc(1, sizeof(*w));
	if (w == NULL || id >= l->workers) {
		snprintf(err, errlen, "cannot create worker %u: %s", id,
		         err_str(w == NULL ? ERR_NOMEM : ERR_INVAL));
		free(w);
		return NULL;
	}
	w->id = id;
	w->env = *env;
	w->env.stats = &w->stats;
	w->conf = env->conf;
	rnd_bytes(w->hash_key, sizeof(w->hash_key));
	if (uv_mutex_init(&w->env_lock) != 0) {
		free(w);
		snprintf(err, errlen, "cannot create worker %u: %s", id, err_str(ERR_NOMEM));
		return NULL;
	}
	if (uv_cond_init(&w->env_taken) != 0) {
		uv_mutex_destroy(&w->env_lock);
		free(w);
		snprintf(err, errlen, "cannot create worker %u: %s", id, err_str(ERR_NOMEM));
		return NULL;
	}
	if (worker_alloc(w, l->n_addrs) != 0 || uv_loop_init(&w->loop) != 0) {
		snprintf(err, errlen, "cannot create worker %u: %s", id, err_str(ERR_NOMEM));
		worker_release(w);
		return NULL;
	}
	uv_async_init(&w->loop, &w->stop_async, stop_cb);
	w->stop_async.data = w;
	uv_async_init(&w->loop, &w->env_async, env_cb);
	w->env_async.data = w;
	uv_async_init(&w->loop, &w->job_async, job_cb);
	w->job_async.data = w;
	if (worker_take_sockets(w, l, err, errlen) != 0) {
		net_worker_free(w);
		return NULL;
	}
	return w;
}

static void worker_run(void *arg)
{
	struct net_worker *w = arg;
	log_debug(LOG_LEVEL_DETAIL, "worker %u running", w->id);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	log_debug(LOG_LEVEL_DETAIL, "worker %u stopped", w->id);
}

int net_worker_start(struct net_worker *w)
{
	if (uv_thread_create(&w->thread, worker_run, w) != 0)
		return ERR_IO;
	w->started = true;
	return 0;
}

void net_worker_stop(struct net_worker *w)
{
	if (w != NULL && w->started)
		uv_async_send(&w->stop_async);
}

void net_worker_join(struct net_worker *w)
{
	if (w == NULL || !w->started)
		return;
	uv_thread_join(&w->thread);
	w->started = false;
	w->stopping = true;
}

void net_worker_free(struct net_worker *w)
{
	if (w == NULL)
		return;
	if (!w->stopping) {
		/* Never started: close its handles here and let the loop finish. */
		worker_shutdown(w);
		uv_run(&w->loop, UV_RUN_DEFAULT);
	}
	if (uv_loop_close(&w->loop) != 0)
		log_warn("worker %u: handles still open at exit", w->id);
	worker_release(w);
}

const struct stats *net_worker_stats(const struct net_worker *w)
{
	return &w->stats;
}
