/*
 * outbound.c - the upstream transport: one exchange at a time per request,
 * as req_step() asks for it.
 *
 * UDP: a fresh socket per query, bound to a random source port (RFC 5452
 * §9.2: port and ID together are what a spoofer must guess) on the
 * configured outgoing interface, and connect()ed to the server, so the
 * kernel drops datagrams from any other address and an ICMP port
 * unreachable shows up at once as ECONNREFUSED. A reply must also carry the
 * query's ID; anything else is counted and ignored, as is a reply the core
 * finds does not match the question (ERR_MISMATCH): we keep waiting.
 * TCP: a fresh connection with RFC 7766 framing and the same timeout.
 *
 * Which servers to ask (do-ip4/6, do-not-query-localhost, SRTT) is the
 * core's business; this file sends what it is told.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/random.h"

#include "net_internal.h"

/** One upstream exchange; freed in the close callback of its last handle. */
struct net__upstream {
	struct net_worker *w;
	struct net__flight *f; /* NULL once finished or cancelled */
	union {
		uv_handle_t h;
		uv_stream_t stream;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} sock;
	uv_timer_t timer;
	uv_connect_t connect;
	uv_write_t write;
	unsigned handles; /* initialised and not yet closed */
	bool sock_open;
	bool tcp;
	struct sa server;
	uint16_t id;
	uint64_t sent_us;
	uint8_t *rbuf; /* TCP: the reply being read */
	size_t rlen;
	size_t qlen;
	uint8_t query[]; /* TCP: after its 2-byte length */
};

#define UP_RBUF_LEN (2 + WIRE_MSG_MAX)

static void up_close_cb(uv_handle_t *h)
{
	struct net__upstream *up = h->data;
	if (--up->handles > 0)
		return;
	free(up->rbuf);
	free(up);
}

/* Detach from the flight and close the sockets; the memory goes in the close callbacks. */
static void up_finish(struct net__upstream *up)
{
	if (up->f != NULL && up->f->up == up)
		up->f->up = NULL;
	up->f = NULL;
	if (!uv_is_closing((uv_handle_t *)&up->timer))
		uv_close((uv_handle_t *)&up->timer, up_close_cb);
	if (up->sock_open && !uv_is_closing(&up->sock.h))
		uv_close(&up->sock.h, up_close_cb);
}

void net__upstream_cancel(struct net__upstream *up)
{
	up_finish(up);
}

/* The exchange failed for good (refused, reset, unreachable): tell the core at once. */
static void up_fail(struct net__upstream *up, int uverr)
{
	struct net__flight *f = up->f;
	char addr[80];
	log_debug(LOG_LEVEL_DEBUG, "upstream %s (%s): %s", sa_str(&up->server, addr, sizeof(addr)),
	          up->tcp ? "tcp" : "udp", uv_strerror(uverr));
	up_finish(up);
	req_on_timeout(f->req, true);
	net__flight_drive(f);
}

static void up_timeout_cb(uv_timer_t *t)
{
	struct net__upstream *up = t->data;
	struct net__flight *f = up->f;
	if (f == NULL)
		return;
	up_finish(up);
	req_on_timeout(f->req, false);
	net__flight_drive(f);
}

/* A message from the server: hand it to the core if its ID is ours. */
static void up_reply(struct net__upstream *up, const uint8_t *pkt, size_t len)
{
	struct net__flight *f = up->f;
	if (len < WIRE_HDR_LEN || wire_read_u16(pkt) != up->id) {
		STATS_INC(&up->w->stats, upstream_mismatch);
		return;
	}
	uint64_t now = clock_mono_us();
	uint64_t rtt = now > up->sent_us ? (now - up->sent_us) / 1000 : 0;
	/* ERR_MISMATCH: the core counted it; keep waiting for the right reply. */
	if (req_on_reply(f->req, pkt, len, rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt) ==
	    ERR_MISMATCH)
		return;
	up_finish(up);
	net__flight_drive(f);
}

/* ---- UDP ---- */

static void up_udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct net__upstream *up = h->data;
	*buf = uv_buf_init((char *)up->w->up_rx, 65536);
}

static void up_udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *addr, unsigned flags)
{
	struct net__upstream *up = h->data;
	if (up->f == NULL || (nread == 0 && addr == NULL))
		return;
	if (nread < 0) {
		up_fail(up, (int)nread); /* ECONNREFUSED: ICMP port unreachable */
		return;
	}
	struct sa from;
	socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                             : sizeof(struct sockaddr_in);
	/* The socket is connected, so the kernel filters already; check anyway. */
	if ((flags & UV_UDP_PARTIAL) || sa_from_sockaddr(&from, addr, alen) != 0 ||
	    !sa_equal(&from, &up->server)) {
		STATS_INC(&up->w->stats, upstream_mismatch);
		return;
	}
	up_reply(up, (const uint8_t *)buf->base, (size_t)nread);
}

/* The local address: a configured outgoing interface of the family, or the wildcard. */
static bool up_local_addr(const struct conf *cf, int family, struct sa *out)
{
	size_t n = 0;
	for (size_t i = 0; i < cf->n_outgoing_interfaces; i++)
		n += sa_family(&cf->outgoing_interfaces[i]) == family;
	memset(out, 0, sizeof(*out));
	if (cf->n_outgoing_interfaces == 0) {
		out->u.sa.sa_family = (sa_family_t)family;
		out->len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                              : sizeof(struct sockaddr_in);
		return true;
	}
	if (n == 0)
		return false; /* interfaces configured, none of this family: do not leak */
	size_t pick = rnd_uniform((uint32_t)n);
	for (size_t i = 0; i < cf->n_outgoing_interfaces; i++) {
		if (sa_family(&cf->outgoing_interfaces[i]) != family)
			continue;
		if (pick-- == 0) {
			*out = cf->outgoing_interfaces[i];
			break;
		}
	}
	sa_set_port(out, 0);
	return true;
}

static int up_udp_bind(struct net__upstream *up, int family)
{
	struct sa local;
	if (!up_local_addr(up->w->conf, family, &local))
		return UV_EAFNOSUPPORT;
	int rc = UV_EADDRINUSE;
	for (unsigned i = 0; i < NET__PORT_TRIES && rc == UV_EADDRINUSE; i++) {
		sa_set_port(&local, (uint16_t)(1024 + rnd_uniform(65536 - 1024)));
		rc = uv_udp_bind(&up->sock.udp, &local.u.sa, 0);
	}
	return rc;
}

static int up_udp_start(struct net__upstream *up)
{
	int family = sa_family(&up->server);
	int rc = uv_udp_init_ex(&up->w->loop, &up->sock.udp, (unsigned)family);
	if (rc != 0)
		return rc;
	up->sock_open = true;
	up->handles++;
	up->sock.udp.data = up;
	rc = up_udp_bind(up, family);
	if (rc == 0)
		rc = uv_udp_connect(&up->sock.udp, &up->server.u.sa);
	if (rc == 0)
		rc = uv_udp_recv_start(&up->sock.udp, up_udp_alloc_cb, up_udp_recv_cb);
	if (rc != 0)
		return rc;
	uv_buf_t b = uv_buf_init((char *)up->query, (unsigned)up->qlen);
	up->sent_us = clock_mono_us();
	/* A fresh socket has an empty send buffer: EAGAIN here is a failure too. */
	rc = uv_udp_try_send(&up->sock.udp, &b, 1, NULL);
	return rc < 0 ? rc : 0;
}

/* ---- TCP ---- */

static void up_tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct net__upstream *up = h->data;
	if (up->rbuf == NULL)
		up->rbuf = malloc(UP_RBUF_LEN);
	if (up->rbuf == NULL || up->rlen >= UP_RBUF_LEN) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)up->rbuf + up->rlen, (unsigned)(UP_RBUF_LEN - up->rlen));
}

static void up_tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct net__upstream *up = s->data;
	if (up->f == NULL)
		return;
	if (nread < 0) {
		up_fail(up, (int)nread); /* closed before the reply: try elsewhere */
		return;
	}
	up->rlen += (size_t)nread;
	size_t off = 0;
	while (up->f != NULL && up->rlen - off >= 2) {
		size_t mlen = wire_read_u16(up->rbuf + off);
		if (up->rlen - off - 2 < mlen)
			break;
		up_reply(up, up->rbuf + off + 2, mlen);
		off += 2 + mlen;
	}
	if (up->f == NULL)
		return;
	memmove(up->rbuf, up->rbuf + off, up->rlen - off);
	up->rlen -= off;
}

static void up_write_cb(uv_write_t *req, int status)
{
	struct net__upstream *up = req->data;
	if (up->f != NULL && status < 0)
		up_fail(up, status);
}

static void up_connect_cb(uv_connect_t *req, int status)
{
	struct net__upstream *up = req->data;
	if (up->f == NULL)
		return;
	if (status < 0) {
		up_fail(up, status);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)up->query, (unsigned)up->qlen);
	up->write.data = up;
	int rc = uv_write(&up->write, &up->sock.stream, &b, 1, up_write_cb);
	if (rc == 0)
		rc = uv_read_start(&up->sock.stream, up_tcp_alloc_cb, up_tcp_read_cb);
	if (rc != 0) {
		up_fail(up, rc);
		return;
	}
	/* The RTT counts from the query, not the handshake, to compare with UDP. */
	up->sent_us = clock_mono_us();
}

static int up_tcp_start(struct net__upstream *up)
{
	int family = sa_family(&up->server);
	int rc = uv_tcp_init_ex(&up->w->loop, &up->sock.tcp, (unsigned)family);
	if (rc != 0)
		return rc;
	up->sock_open = true;
	up->handles++;
	up->sock.tcp.data = up;
	if (up->w->conf->n_outgoing_interfaces > 0) {
		struct sa local;
		if (!up_local_addr(up->w->conf, family, &local))
			return UV_EAFNOSUPPORT;
		rc = uv_tcp_bind(&up->sock.tcp, &local.u.sa, 0);
		if (rc != 0)
			return rc;
	}
	up->connect.data = up;
	return uv_tcp_connect(&up->connect, &up->sock.tcp, &up->server.u.sa, up_connect_cb);
}

/* ---- start ---- */

int net__upstream_start(struct net__flight *f, const struct req_send *s)
{
	struct net_worker *w = f->w;
	if (s->len < WIRE_HDR_LEN || s->len > WIRE_MSG_MAX)
		return ERR_INVAL;
	size_t qlen = s->len + (s->tcp ? 2 : 0);
	struct net__upstream *up = calloc(1, sizeof(*up) + qlen);
	if (up == NULL)
		return ERR_NOMEM;
	up->w = w;
	up->f = f;
	up->tcp = s->tcp;
	up->server = s->server;
	up->id = s->id;
	up->qlen = qlen;
	if (s->tcp)
		wire_write_u16(up->query, (uint16_t)s->len);
	memcpy(up->query + (s->tcp ? 2 : 0), s->query, s->len);
	uv_timer_init(&w->loop, &up->timer);
	up->timer.data = up;
	up->handles = 1;
	int rc = s->tcp ? up_tcp_start(up) : up_udp_start(up);
	if (rc != 0) {
		char addr[80];
		log_debug(LOG_LEVEL_DEBUG, "upstream %s (%s): %s",
		          sa_str(&s->server, addr, sizeof(addr)), s->tcp ? "tcp" : "udp",
		          uv_strerror(rc));
		up->f = NULL;
		up_finish(up);
		return ERR_IO;
	}
	uv_timer_start(&up->timer, up_timeout_cb, s->timeout_ms ? s->timeout_ms : 1, 0);
	f->up = up;
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char addr[80];
		log_msg(LOG_LEVEL_DEBUG, "upstream query id %u to %s (%s), timeout %u ms", s->id,
		        sa_str(&s->server, addr, sizeof(addr)), s->tcp ? "tcp" : "udp",
		        s->timeout_ms);
	}
	return 0;
}
