/*
 * net_internal.h - what udp.c, tcp.c, outbound.c and daemon/worker.c share.
 *
 * Everything here belongs to one worker and is touched by that worker's
 * thread only. Handle memory is freed in close callbacks (libuv's rule):
 * a struct holding several handles counts them and is freed when the last
 * close callback has run.
 */
#ifndef MANGROVE_NET_INTERNAL_H
#define MANGROVE_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mangrove/conf.h"
#include "mangrove/net.h"
#include "mangrove/request.h"
#include "mangrove/sockaddr.h"
#include "mangrove/stats.h"
#include "mangrove/wire.h"

/* Datagrams read per recvmmsg() call on a listening UDP socket (64 KiB each). */
#define NET__RX_BATCH 8
/* Client questions joined to one request before further ones are dropped. */
#define NET__FLIGHT_WAITERS_MAX 256
/* Queries plus queued replies per TCP connection before we stop reading it. */
#define NET__TCP_PIPELINE_MAX 64
/* Reply bytes queued on a TCP connection before we stop reading it... */
#define NET__TCP_QUEUE_STALL (128 * 1024)
/* ...and before we close it: the client is not reading its answers. */
#define NET__TCP_QUEUE_MAX (1024 * 1024)
/* Random source ports tried before an upstream query gives up (RFC 5452 §9.2). */
#define NET__PORT_TRIES 8
/* req_step() rounds without any network I/O before a request is failed. */
#define NET__STEP_MAX 1000
/* Listen backlog of the client TCP sockets (the kernel caps it at somaxconn). */
#define NET__TCP_BACKLOG 1024

struct net__tcp_conn;
struct net__upstream;

/** A listening UDP socket of one worker. */
struct net__udp_listener {
	uv_udp_t handle;
	struct net_worker *w;
	struct sa addr;
};

/** A listening TCP socket of one worker. */
struct net__tcp_listener {
	uv_tcp_t handle;
	struct net_worker *w;
	struct sa addr;
};

/** Where a reply goes: a UDP socket and address, or a TCP connection. */
struct net__client {
	struct net__udp_listener *udp; /* UDP: the socket the query came in on */
	struct net__tcp_conn *conn;    /* TCP: the connection; NULL once it closed */
	struct sa addr;                /* the client's address */
};

/**
 * One client question waiting for a request. The query is copied up to the
 * end of the question, and q points into that copy, so the reply can be
 * built after the packet it came in is gone.
 */
struct net__waiter {
	struct net__waiter *next;                  /* the flight's list */
	struct net__waiter *conn_prev, *conn_next; /* the TCP connection's list */
	struct net__client client;
	uint64_t started_ms; /* uv_now() when the question came in, for the latency histogram */
	struct wire_query q;
	uint8_t pkt[WIRE_HDR_LEN + WIRE_DNAME_MAX + 4]; /* header and question */
};

/** A request in flight, with every client question joined to it. */
struct net__flight {
	struct net__flight *hash_next;
	struct net_worker *w;
	struct req *req;          /* NULL once answered */
	struct net_job *job;      /* a daemon's own question (not in the table), or NULL */
	struct net__upstream *up; /* the upstream exchange under way, or NULL */
	uv_timer_t deadline;      /* req_deadline(); the flight is freed in its close callback */
	struct net__waiter *waiters;
	struct net__waiter **waiters_tail;
	unsigned n_waiters;
	uint64_t hash;
	size_t key_len;
	uint8_t key[WIRE_DNAME_MAX + 5]; /* lower-cased qname, qtype, qclass, flags */
};

/** A client TCP connection (RFC 7766). */
struct net__tcp_conn {
	uv_tcp_t handle;
	uv_timer_t idle;   /* idle timeout */
	uv_timer_t resume; /* zero-delay: read again after a stall */
	struct net_worker *w;
	struct net__tcp_conn *prev, *next; /* the worker's list */
	struct net__client_count *count;   /* per-client count, NULL when not counted */
	struct net__waiter *waiters;       /* questions in flight on this connection */
	unsigned pending;                  /* number of those */
	unsigned writes;                   /* replies queued in uv_write */
	unsigned handles;                  /* handles not yet closed */
	bool reading;                      /* uv_read_start() in effect */
	bool stalled;    /* reading stopped: too many queries or replies pending */
	bool eof;        /* the client half-closed: answer what is pending, then close */
	bool processing; /* inside conn_process(): do not close on a half-close yet */
	bool closing;
	uint8_t *buf; /* bytes read and not yet handled */
	size_t len, cap;
	struct sa peer;
};

/** Open TCP connections from one client address, in a worker. */
struct net__client_count {
	struct net__client_count *next;
	unsigned n;
	struct sa addr; /* port 0 */
};

/** One worker: a thread, a loop and everything on it. */
struct net_worker {
	uv_loop_t loop;
	uv_async_t stop_async;
	uv_thread_t thread;
	bool started, stopping;
	unsigned id;
	struct req_env env; /* env.stats points at stats below */
	const struct conf *conf;
	/* A reload hands a new env over (net_worker_set_env), under env_lock. */
	uv_async_t env_async;
	uv_mutex_t env_lock;
	uv_cond_t env_taken;
	const struct req_env *env_next; /* NULL once taken */
	/* Jobs (net_worker_run) wait here, under env_lock, until job_async runs them. */
	uv_async_t job_async;
	struct net_job *jobs;
	bool jobs_closed;                /* stopping: no more jobs taken */
	struct net__flight *job_flights; /* the jobs' requests under way, by hash_next */
	struct stats stats;
	uint8_t hash_key[16]; /* random per worker: clients cannot aim at a bucket */

	struct net__udp_listener *udp;
	struct net__tcp_listener *tcp;
	size_t n_udp, n_tcp;

	struct net__flight **flights; /* in-flight table, chained */
	size_t flights_mask;
	size_t n_flights;

	struct net__tcp_conn *conns;
	unsigned n_conns;
	struct net__client_count **clients; /* per-client connection counts, chained */
	size_t clients_mask;

	uint8_t *rx;    /* NET__RX_BATCH * 64 KiB, listening UDP sockets */
	uint8_t *up_rx; /* 64 KiB, upstream UDP replies */
	uint8_t *reply; /* WIRE_MSG_MAX, the reply being built */
};

/* ---- worker.c ---- */

/** Keyed hash (SipHash-2-4 with the worker's key). */
uint64_t net__hash(const struct net_worker *w, const void *data, size_t len);
/** The client path: parse, ACL, cache, join or start a request. pkt is borrowed. */
void net__query_handle(struct net_worker *w, const struct net__client *c, const uint8_t *pkt,
                       size_t len);
/**
 * Send a reply to a client and count it: by RCODE, by EDE code (ede_code,
 * -1 for none) and by latency from started_ms (uv_now() at the query; 0 for
 * answers made at once, counted in the first bucket).
 */
void net__client_send(struct net_worker *w, const struct net__client *c, const uint8_t *buf,
                      size_t len, int ede_code, uint64_t started_ms);
/** Run req_step() and act on it: start the next upstream exchange or answer. */
void net__flight_drive(struct net__flight *f);

/* ---- udp.c ---- */

/** Put a bound UDP socket on the worker's loop (takes the fd, closes it on error). */
int net__udp_listener_init(struct net_worker *w, struct net__udp_listener *l, int fd,
                           const struct sa *addr);
/** Start reading queries. */
int net__udp_listener_start(struct net__udp_listener *l);
/** Close the socket (the struct is the worker's; nothing is freed). */
void net__udp_listener_close(struct net__udp_listener *l);
/** Send one reply datagram; copied when it cannot go out at once. */
void net__udp_send(struct net__udp_listener *l, const struct sa *to, const uint8_t *buf,
                   size_t len);

/* ---- tcp.c ---- */

/** Put a bound, listening TCP socket on the worker's loop (takes the fd). */
int net__tcp_listener_init(struct net_worker *w, struct net__tcp_listener *l, int fd,
                           const struct sa *addr);
/** Start accepting connections. */
int net__tcp_listener_start(struct net__tcp_listener *l);
/** Close the socket (the struct is the worker's; nothing is freed). */
void net__tcp_listener_close(struct net__tcp_listener *l);
/** Send one reply with its 2-byte length; copied when it cannot go out at once. */
void net__tcp_send(struct net__tcp_conn *c, const uint8_t *buf, size_t len);
/** Record a question in flight on the connection (counts toward the pipeline limit). */
void net__tcp_waiter_attach(struct net__tcp_conn *c, struct net__waiter *wt);
/** Forget a question in flight (answered or dropped); NULL connection is a no-op. */
void net__tcp_waiter_detach(struct net__waiter *wt);
/** Close every client connection (worker stop). */
void net__tcp_close_all(struct net_worker *w);
/** The per-client count table; 0 or ERR_NOMEM. */
int net__tcp_clients_init(struct net_worker *w);
/** Free the per-client count table. */
void net__tcp_clients_free(struct net_worker *w);

/* ---- outbound.c ---- */

/**
 * Start the upstream exchange s for flight f (f->up is set). Returns 0, or
 * a negative ERR_* when it could not be started: the caller reports it with
 * req_on_timeout(r, true). Completion calls net__flight_drive().
 */
int net__upstream_start(struct net__flight *f, const struct req_send *s);
/** Abandon an exchange (deadline or stop): close its sockets; f->up is cleared. */
void net__upstream_cancel(struct net__upstream *up);

#endif
