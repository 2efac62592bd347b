/*
 * tcp.c - client queries over TCP (RFC 7766): 2-byte length framing,
 * several queries in flight per connection, each answered when it is ready
 * (out of order, §6.2.1.1), an idle timeout (§6.2.3), and limits on
 * connections per worker and per client address.
 *
 * A connection that closes while its questions are in flight detaches them:
 * their answers are discarded. A client that half-closes (EOF) still gets
 * the answers to the queries it sent; the connection closes after them. A connection that sends
 * faster than its answers are read stops being read (NET__TCP_PIPELINE_MAX) until it catches up.
 * Memory of a connection is freed in the close callback of its last handle.
 *
 * Non-goals: DoT (tls.c), upstream TCP (outbound.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mangrove/errors.h"
#include "mangrove/log.h"

#include "net_internal.h"

/* Read buffer kept per connection; grown for a larger message, shrunk back after. */
#define TCP_BUF_MIN 2048

/** A reply that could not be written at once: copied, freed in the write callback. */
struct tcp_write {
	uv_write_t req;
	struct net__tcp_conn *conn;
	uint8_t data[];
};

static void conn_process(struct net__tcp_conn *conn);

/* ---- connections per client address ---- */

int net__tcp_clients_init(struct net_worker *w)
{
	size_t n = 64;
	while (n < w->conf->tcp_max_connections && n < 65536)
		n <<= 1;
	w->clients = calloc(n, sizeof(*w->clients));
	if (w->clients == NULL)
		return ERR_NOMEM;
	w->clients_mask = n - 1;
	return 0;
}

void net__tcp_clients_free(struct net_worker *w)
{
	for (size_t i = 0; w->clients != NULL && i <= w->clients_mask; i++) {
		struct net__client_count *cc = w->clients[i], *next;
		for (; cc != NULL; cc = next) {
			next = cc->next;
			free(cc);
		}
	}
	free(w->clients);
	w->clients = NULL;
}

static struct net__client_count **client_slot(struct net_worker *w, const struct sa *addr)
{
	uint64_t h;
	if (sa_family(addr) == AF_INET)
		h = net__hash(w, &addr->u.in4.sin_addr, 4);
	else
		h = net__hash(w, &addr->u.in6.sin6_addr, 16);
	return &w->clients[h & w->clients_mask];
}

/* The count for addr, created at 0 when absent; NULL on no memory. */
static struct net__client_count *client_count_get(struct net_worker *w, const struct sa *addr)
{
	struct net__client_count **slot = client_slot(w, addr);
	for (struct net__client_count *cc = *slot; cc != NULL; cc = cc->next) {
		if (sa_addr_equal(&cc->addr, addr))
			return cc;
	}
	struct net__client_count *cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return NULL;
	cc->addr = *addr;
	sa_set_port(&cc->addr, 0);
	cc->next = *slot;
	*slot = cc;
	return cc;
}

/* Drop an entry whose count is 0. */
static void client_count_release(struct net_worker *w, struct net__client_count *cc)
{
	if (cc->n > 0)
		return;
	struct net__client_count **p = client_slot(w, &cc->addr);
	while (*p != NULL && *p != cc)
		p = &(*p)->next;
	if (*p != NULL)
		*p = cc->next;
	free(cc);
}

/* ---- closing ---- */

static void conn_close_cb(uv_handle_t *h)
{
	struct net__tcp_conn *conn = h->data;
	if (--conn->handles > 0)
		return;
	free(conn->buf);
	free(conn);
}

static void conn_close(struct net__tcp_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = true;
	struct net_worker *w = conn->w;
	/* Questions still in flight keep their place; their answers go nowhere. */
	struct net__waiter *wt = conn->waiters, *next;
	for (; wt != NULL; wt = next) {
		next = wt->conn_next;
		wt->client.conn = NULL;
		wt->conn_prev = wt->conn_next = NULL;
	}
	conn->waiters = NULL;
	conn->pending = 0;
	if (conn->prev != NULL || w->conns == conn) {
		if (conn->prev != NULL)
			conn->prev->next = conn->next;
		else
			w->conns = conn->next;
		if (conn->next != NULL)
			conn->next->prev = conn->prev;
		conn->prev = conn->next = NULL;
		w->n_conns--;
	}
	if (conn->count != NULL) {
		conn->count->n--;
		client_count_release(w, conn->count);
		conn->count = NULL;
	}
	uv_close((uv_handle_t *)&conn->handle, conn_close_cb);
	if (conn->handles == 3) {
		uv_close((uv_handle_t *)&conn->idle, conn_close_cb);
		uv_close((uv_handle_t *)&conn->resume, conn_close_cb);
	}
}

void net__tcp_close_all(struct net_worker *w)
{
	while (w->conns != NULL)
		conn_close(w->conns);
}

/* ---- flow control ---- */

static void resume_cb(uv_timer_t *t);

/* Too much pending on this connection to read more queries now. */
static bool conn_busy(const struct net__tcp_conn *conn)
{
	return conn->pending + conn->writes >= NET__TCP_PIPELINE_MAX ||
	       uv_stream_get_write_queue_size((const uv_stream_t *)&conn->handle) >=
	               NET__TCP_QUEUE_STALL;
}

/*
 * After a reply went out or a question was dropped: read again after a
 * stall, or close a half-closed connection that has nothing left to answer.
 */
static void conn_check(struct net__tcp_conn *conn)
{
	if (conn->closing)
		return;
	if (conn->eof && !conn->stalled && !conn->processing && conn->pending == 0 &&
	    conn->writes == 0) {
		conn_close(conn);
		return;
	}
	bool busy = conn_busy(conn);
	if (conn->stalled && !busy && !uv_is_active((uv_handle_t *)&conn->resume))
		uv_timer_start(&conn->resume, resume_cb, 0, 0);
}

static void conn_stall(struct net__tcp_conn *conn)
{
	if (conn->reading)
		uv_read_stop((uv_stream_t *)&conn->handle);
	conn->reading = false;
	conn->stalled = true;
}

void net__tcp_waiter_attach(struct net__tcp_conn *c, struct net__waiter *wt)
{
	wt->conn_prev = NULL;
	wt->conn_next = c->waiters;
	if (c->waiters != NULL)
		c->waiters->conn_prev = wt;
	c->waiters = wt;
	c->pending++;
}

void net__tcp_waiter_detach(struct net__waiter *wt)
{
	struct net__tcp_conn *c = wt->client.conn;
	if (c == NULL)
		return;
	if (wt->conn_prev != NULL)
		wt->conn_prev->conn_next = wt->conn_next;
	else
		c->waiters = wt->conn_next;
	if (wt->conn_next != NULL)
		wt->conn_next->conn_prev = wt->conn_prev;
	wt->conn_prev = wt->conn_next = NULL;
	wt->client.conn = NULL;
	c->pending--;
	conn_check(c);
}

/* ---- writing ---- */

static void conn_write_cb(uv_write_t *req, int status)
{
	struct tcp_write *wr = (struct tcp_write *)req;
	struct net__tcp_conn *conn = wr->conn;
	free(wr);
	conn->writes--;
	if (conn->closing)
		return;
	if (status < 0) {
		STATS_INC(&conn->w->stats, send_errors);
		conn_close(conn);
		return;
	}
	conn_check(conn);
}

/* Queue what uv_try_write() left of the framed reply (hdr then buf), from byte done on. */
static void conn_write_queue(struct net__tcp_conn *conn, const uint8_t *hdr, const uint8_t *buf,
                             size_t len, size_t done)
{
	size_t total = len + 2;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&conn->handle) + total - done >
	    NET__TCP_QUEUE_MAX) {
		log_debug(LOG_LEVEL_DEBUG, "tcp: client does not read its answers: closed");
		STATS_INC(&conn->w->stats, send_errors);
		conn_close(conn);
		return;
	}
	struct tcp_write *wr = malloc(sizeof(*wr) + total - done);
	if (wr == NULL) {
		STATS_INC(&conn->w->stats, send_errors);
		conn_close(conn);
		return;
	}
	wr->conn = conn;
	size_t k = 0;
	for (size_t i = done; i < 2; i++)
		wr->data[k++] = hdr[i];
	size_t from = done > 2 ? done - 2 : 0;
	memcpy(wr->data + k, buf + from, len - from);
	uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)(total - done));
	if (uv_write(&wr->req, (uv_stream_t *)&conn->handle, &b, 1, conn_write_cb) != 0) {
		free(wr);
		STATS_INC(&conn->w->stats, send_errors);
		conn_close(conn);
		return;
	}
	conn->writes++;
}

void net__tcp_send(struct net__tcp_conn *conn, const uint8_t *buf, size_t len)
{
	if (conn->closing || len > WIRE_MSG_MAX)
		return;
	uint8_t hdr[2];
	wire_write_u16(hdr, (uint16_t)len);
	size_t done = 0;
	if (conn->writes == 0) {
		uv_buf_t b[2] = {uv_buf_init((char *)hdr, 2),
		                 uv_buf_init((char *)buf, (unsigned)len)};
		int n = uv_try_write((uv_stream_t *)&conn->handle, b, 2);
		if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) {
			STATS_INC(&conn->w->stats, send_errors);
			conn_close(conn);
			return;
		}
		done = n > 0 ? (size_t)n : 0;
		if (done == len + 2)
			return;
	}
	conn_write_queue(conn, hdr, buf, len, done);
}

/* ---- reading ---- */

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct net__tcp_conn *conn = h->data;
	size_t need = TCP_BUF_MIN;
	if (conn->len >= 2 && (size_t)2 + wire_read_u16(conn->buf) > need)
		need = (size_t)2 + wire_read_u16(conn->buf);
	if (need <= conn->len)
		need = conn->len + TCP_BUF_MIN;
	if (conn->cap < need) {
		uint8_t *p = realloc(conn->buf, need);
		if (p == NULL) {
			*buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS: closed */
			return;
		}
		conn->buf = p;
		conn->cap = need;
	}
	*buf = uv_buf_init((char *)conn->buf + conn->len, (unsigned)(conn->cap - conn->len));
}

/* Handle every complete message in the buffer (RFC 7766 §8: any split across reads). */
static void conn_process(struct net__tcp_conn *conn)
{
	struct net_worker *w = conn->w;
	struct net__client c = {.udp = NULL, .conn = conn, .addr = conn->peer};
	size_t off = 0;
	conn->processing = true;
	while (!conn->closing && conn->len - off >= 2) {
		if (conn_busy(conn)) {
			conn_stall(conn);
			break;
		}
		size_t mlen = wire_read_u16(conn->buf + off);
		if (conn->len - off - 2 < mlen)
			break;
		STATS_INC(&w->stats, queries_tcp);
		/* A zero length is parsed as a short message: dropped and counted. */
		net__query_handle(w, &c, conn->buf + off + 2, mlen);
		off += 2 + mlen;
	}
	conn->processing = false;
	if (conn->closing)
		return;
	memmove(conn->buf, conn->buf + off, conn->len - off);
	conn->len -= off;
	if (conn->cap > TCP_BUF_MIN && conn->len <= TCP_BUF_MIN) {
		uint8_t *p = realloc(conn->buf, TCP_BUF_MIN);
		if (p != NULL) {
			conn->buf = p;
			conn->cap = TCP_BUF_MIN;
		}
	}
}

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct net__tcp_conn *conn = s->data;
	if (nread == UV_EOF) {
		/* Half-closed: no more queries, but those already read are answered. */
		uv_read_stop(s);
		conn->reading = false;
		conn->eof = true;
		conn_check(conn);
		return;
	}
	if (nread < 0) {
		log_debug(LOG_LEVEL_DEBUG, "tcp read: %s", uv_strerror((int)nread));
		conn_close(conn);
		return;
	}
	if (nread == 0)
		return;
	conn->len += (size_t)nread;
	uv_timer_again(&conn->idle);
	conn_process(conn);
}

/* Go on after a stall: the messages already buffered first, then the socket. */
static void resume_cb(uv_timer_t *t)
{
	struct net__tcp_conn *conn = t->data;
	if (conn->closing || !conn->stalled)
		return;
	conn->stalled = false;
	if (!conn->eof) {
		if (uv_read_start((uv_stream_t *)&conn->handle, conn_alloc_cb, conn_read_cb) != 0) {
			conn_close(conn);
			return;
		}
		conn->reading = true;
	}
	conn_process(conn);
	conn_check(conn);
}

/* RFC 7766 §6.2.3: close a connection idle for tcp_idle_timeout_ms. */
static void idle_cb(uv_timer_t *t)
{
	struct net__tcp_conn *conn = t->data;
	if (conn->pending > 0) {
		uv_timer_again(&conn->idle); /* still resolving; requests have their own deadline */
		return;
	}
	conn_close(conn);
}

/* ---- accepting ---- */

/* Over a limit or denied by the ACL: close before reading anything. */
static bool conn_admit(struct net_worker *w, struct net__tcp_conn *conn)
{
	const struct conf *cf = w->conf;
	if (conf_acl_check(cf, &conn->peer) == CONF_ACL_DENY) {
		STATS_INC(&w->stats, dropped[STATS_DROP_ACL_DENY]);
		return false;
	}
	if (w->n_conns >= cf->tcp_max_connections) {
		STATS_INC(&w->stats, dropped[STATS_DROP_TCP_LIMIT]);
		log_debug(LOG_LEVEL_DEBUG, "tcp: connection limit (%u) reached", w->n_conns);
		return false;
	}
	struct net__client_count *cc = client_count_get(w, &conn->peer);
	if (cc == NULL || cc->n >= cf->tcp_max_per_client) {
		STATS_INC(&w->stats, dropped[STATS_DROP_TCP_LIMIT]);
		if (cc != NULL)
			client_count_release(w, cc);
		return false;
	}
	cc->n++;
	conn->count = cc;
	return true;
}

static int conn_start(struct net_worker *w, struct net__tcp_conn *conn)
{
	uv_timer_init(&w->loop, &conn->idle);
	uv_timer_init(&w->loop, &conn->resume);
	conn->idle.data = conn;
	conn->resume.data = conn;
	conn->handles = 3;
	conn->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = conn;
	w->conns = conn;
	w->n_conns++;
	STATS_INC(&w->stats, tcp_connections);
	uv_tcp_nodelay(&conn->handle, 1);
	uint64_t idle = w->conf->tcp_idle_timeout_ms ? w->conf->tcp_idle_timeout_ms : 1;
	uv_timer_start(&conn->idle, idle_cb, idle, idle);
	int rc = uv_read_start((uv_stream_t *)&conn->handle, conn_alloc_cb, conn_read_cb);
	conn->reading = rc == 0;
	return rc;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct net__tcp_listener *l = server->data;
	struct net_worker *w = l->w;
	if (status < 0) {
		log_debug(LOG_LEVEL_DEBUG, "tcp accept: %s", uv_strerror(status));
		return;
	}
	struct net__tcp_conn *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		/* libuv stops accepting on this socket until we accept again. */
		log_err("tcp accept: %s", err_str(ERR_NOMEM));
		return;
	}
	conn->w = w;
	uv_tcp_init(&w->loop, &conn->handle);
	conn->handle.data = conn;
	conn->handles = 1;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	if (uv_accept(server, (uv_stream_t *)&conn->handle) != 0 ||
	    uv_tcp_getpeername(&conn->handle, (struct sockaddr *)&ss, &sslen) != 0 ||
	    sa_from_sockaddr(&conn->peer, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 ||
	    !conn_admit(w, conn)) {
		conn_close(conn);
		return;
	}
	if (conn_start(w, conn) != 0)
		conn_close(conn);
}

int net__tcp_listener_init(struct net_worker *w, struct net__tcp_listener *l, int fd,
                           const struct sa *addr)
{
	l->w = w;
	l->addr = *addr;
	int rc = uv_tcp_init(&w->loop, &l->handle);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	l->handle.data = l;
	rc = uv_tcp_open(&l->handle, fd);
	if (rc != 0) {
		close(fd);
		uv_close((uv_handle_t *)&l->handle, NULL);
	}
	return rc;
}

int net__tcp_listener_start(struct net__tcp_listener *l)
{
	return uv_listen((uv_stream_t *)&l->handle, NET__TCP_BACKLOG, on_connection);
}

void net__tcp_listener_close(struct net__tcp_listener *l)
{
	if (!uv_is_closing((uv_handle_t *)&l->handle))
		uv_close((uv_handle_t *)&l->handle, NULL);
}
