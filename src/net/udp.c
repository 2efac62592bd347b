/*
 * udp.c - client queries over UDP: one SO_REUSEPORT socket per interface
 * and worker, read in batches with recvmmsg() into the worker's buffer,
 * replies sent at once with uv_udp_try_send() (copied and queued only when
 * the socket buffer is full).
 *
 * Non-goals: upstream UDP (outbound.c), socket creation and binding
 * (daemon/worker.c, before privileges are dropped).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mangrove/log.h"

#include "net_internal.h"

/* Reply bytes queued on one socket before further replies are dropped. */
#define UDP_SEND_QUEUE_MAX (4 * 1024 * 1024)

/** A reply that could not go out at once: copied, freed in the send callback. */
struct udp_send {
	uv_udp_send_t req;
	struct net_worker *w;
	size_t len;
	uint8_t data[];
};

int net__udp_listener_init(struct net_worker *w, struct net__udp_listener *l, int fd,
                           const struct sa *addr)
{
	l->w = w;
	l->addr = *addr;
	int rc = uv_udp_init_ex(&w->loop, &l->handle, AF_UNSPEC | UV_UDP_RECVMMSG);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	l->handle.data = l;
	rc = uv_udp_open(&l->handle, fd);
	if (rc != 0) {
		close(fd);
		uv_close((uv_handle_t *)&l->handle, NULL);
	}
	return rc;
}

static void udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct net__udp_listener *l = h->data;
	/* One buffer per worker: each datagram is handled before the next read. */
	buf->base = (char *)l->w->rx;
	buf->len = (size_t)NET__RX_BATCH * 65536;
}

static void udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
	struct net__udp_listener *l = h->data;
	struct net_worker *w = l->w;
	/* nread 0 with no address: nothing more to read, or the end of a batch. */
	if (addr == NULL || nread < 0 || (flags & UV_UDP_MMSG_FREE)) {
		if (nread < 0)
			log_debug(LOG_LEVEL_DEBUG, "udp receive: %s", uv_strerror((int)nread));
		return;
	}
	STATS_INC(&w->stats, queries_udp);
	struct net__client c = {.udp = l, .conn = NULL};
	socklen_t alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                             : sizeof(struct sockaddr_in);
	/* Port 0 cannot be answered; a truncated datagram is not a query we can read. */
	if ((flags & UV_UDP_PARTIAL) || sa_from_sockaddr(&c.addr, addr, alen) != 0 ||
	    sa_port(&c.addr) == 0) {
		STATS_INC(&w->stats, dropped[STATS_DROP_SHORT]);
		return;
	}
	net__query_handle(w, &c, (const uint8_t *)buf->base, (size_t)nread);
}

int net__udp_listener_start(struct net__udp_listener *l)
{
	return uv_udp_recv_start(&l->handle, udp_alloc_cb, udp_recv_cb);
}

void net__udp_listener_close(struct net__udp_listener *l)
{
	if (!uv_is_closing((uv_handle_t *)&l->handle))
		uv_close((uv_handle_t *)&l->handle, NULL);
}

static void udp_send_cb(uv_udp_send_t *req, int status)
{
	struct udp_send *s = (struct udp_send *)req;
	if (status < 0 && status != UV_ECANCELED)
		STATS_INC(&s->w->stats, send_errors);
	free(s);
}

void net__udp_send(struct net__udp_listener *l, const struct sa *to, const uint8_t *buf, size_t len)
{
	struct net_worker *w = l->w;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int rc = uv_udp_try_send(&l->handle, &b, 1, &to->u.sa);
	if (rc >= 0)
		return;
	if (rc != UV_EAGAIN || uv_udp_get_send_queue_size(&l->handle) + len > UDP_SEND_QUEUE_MAX) {
		STATS_INC(&w->stats, send_errors);
		log_debug(LOG_LEVEL_DEBUG, "udp send: %s", uv_strerror(rc));
		return;
	}
	struct udp_send *s = malloc(sizeof(*s) + len);
	if (s == NULL) {
		STATS_INC(&w->stats, send_errors);
		return;
	}
	s->w = w;
	s->len = len;
	memcpy(s->data, buf, len);
	b = uv_buf_init((char *)s->data, (unsigned)len);
	if (uv_udp_send(&s->req, &l->handle, &b, 1, &to->u.sa, udp_send_cb) != 0) {
		STATS_INC(&w->stats, send_errors);
		free(s);
	}
}
