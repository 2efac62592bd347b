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
#include <openssl/crypto.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
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
#include "ctl_cmds.h"
#include "ctl_out.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/control.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/lru.h"
#include "mangrove/stats.h"

#define CTL_CLIENTS    16
#define CTL_TIMEOUT_MS 10000
#define CTL_REPLY_MAX  65536
#define CTL_STR_(x)    #x
#define CTL_STR(x)     CTL_STR_(x)

struct ctl_client {
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} conn;
	uv_timer_t timer;
	uv_write_t wr;
	struct ctl_server *s;
	struct lru_node link; /* in the server's clients */
	int open_handles;
	bool done;   /* the request was read (or refused): read no more */
	bool authed; /* the unix socket, or a TCP client that sent the secret */
	bool stop_after;
	size_t len;
	char req[CTL_REQUEST_MAX + 3]; /* a request, '\r', '\n', one byte more */
	char *reply;
	size_t reply_len;
	/* load-cache: the dump that follows the request line, up to EOF. */
	bool body;
	struct ctl_request body_req;
	char *body_buf;
	size_t body_len, body_cap, body_max;
	struct ctl_explain *explain; /* an explain running for this client, or NULL */
};

struct ctl_server {
	uv_pipe_t pipe; /* the unix socket, when path is set */
	uv_tcp_t tcp;   /* control-interface, when set */
	unsigned open_listeners;
	struct ctl_env env;
	struct ctl_state st; /* counters and the stats baseline; main thread only */
	char *path;
	struct lru clients; /* the open connections (an intrusive list) */
	/* explain: finished on a worker, handed to the main loop under explain_lock. */
	uv_async_t explain_async;
	uv_mutex_t explain_lock;
	struct ctl_explain *explained;
	unsigned explains_running;
	unsigned n_clients;
	bool closing;
};

static void server_maybe_free(struct ctl_server *s)
{
	if (s->open_listeners > 0 || s->n_clients > 0)
		return;
	if (s->explains_running > 0) {
		/* Never after the workers stopped; a worker could still write to it. */
		log_warn("control: %u explains still running at exit", s->explains_running);
		return;
	}
	uv_mutex_destroy(&s->explain_lock);
	free(s->path);
	free(s);
}

static void on_client_closed(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct ctl_server *s = c->s;
	lru_unlink(&s->clients, &c->link);
	s->n_clients--;
	if (c->explain != NULL) /* it runs on: it is freed when it ends */
		*ctl_explain_owner(c->explain) = NULL;
	free(c->reply);
	free(c->body_buf);
	free(c);
	if (s->closing)
		server_maybe_free(s);
}

static void on_timeout(uv_timer_t *t);

static void client_close(struct ctl_client *c)
{
	if (!uv_is_closing(&c->conn.handle))
		uv_close(&c->conn.handle, on_client_closed);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void reply_error(struct ctl_out *o, const char *why)
{
	ctl_out_raw(o, "error: ", 7);
	ctl_out_line(o, why);
}

/* The reply to one request line: "ok" and the body, or "error: reason". */
/* "ok" and the body, or "error: reason" when rc says so or the body did not fit. */
static void reply_body(struct ctl_out *o, const struct ctl_out *body, int rc, const char *err)
{
	char why[128];
	if (rc != 0) {
		reply_error(o, err[0] != '\0' ? err : err_str(rc));
	} else if (ctl_out_truncated(body)) {
		snprintf(why, sizeof(why), "reply larger than %d bytes", CTL_REPLY_MAX);
		reply_error(o, why);
	} else {
		ctl_out_line(o, "ok");
		ctl_out_raw(o, body->buf != NULL ? body->buf : "", body->len);
	}
}

/* The reply to one parsed request: "ok" and the body, or "error: reason". */
static void run_request(struct ctl_client *c, const struct ctl_request *r, struct ctl_out *o)
{
	struct ctl_out body;
	char err[800];
	ctl_out_init(&body, r->json, CTL_REPLY_MAX);
	ctl_out_begin(&body);
	int rc;
	if (c->body)
		rc = ctl_cmd_load(&c->s->st, c->body_buf, c->body_len, &body, err, sizeof(err));
	else
		rc = ctl_cmd_run(&c->s->st, r, &body, &c->stop_after, err, sizeof(err));
	ctl_out_end(&body);
	reply_body(o, &body, rc, err);
	ctl_out_free(&body);
}

/* Write all of buf to the client, waiting at most CTL_TIMEOUT_MS in all. */
static int write_blocking(int fd, const char *buf, size_t len, uint64_t deadline_ms)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len);
		if (k > 0) {
			buf += k;
			len -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return ERR_IO;
		uint64_t now = clock_mono_ms();
		if (now >= deadline_ms)
			return ERR_TIMEOUT;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		poll(&p, 1, (int)(deadline_ms - now));
	}
	return 0;
}

struct dump_sink {
	int fd;
	uint64_t deadline_ms;
	char buf[65536];
	size_t len;
};

static int dump_write(const char *text, size_t len, void *arg)
{
	struct dump_sink *d = arg;
	if (d->len + len > sizeof(d->buf)) {
		int rc = write_blocking(d->fd, d->buf, d->len, d->deadline_ms);
		d->len = 0;
		if (rc != 0)
			return rc;
		if (len > sizeof(d->buf))
			return write_blocking(d->fd, text, len, d->deadline_ms);
	}
	memcpy(d->buf + d->len, text, len);
	d->len += len;
	return 0;
}

/*
 * dump-cache: "ok", then the dump written straight to the socket as it is
 * made, one shard at a time, so memory stays at one shard's copy whatever
 * the cache size. The main thread waits for a slow reader (workers go on);
 * a reader that takes more than CTL_TIMEOUT_MS in all is cut off.
 */
static void dump_send(struct ctl_client *c)
{
	uv_os_fd_t fd;
	c->done = true;
	uv_read_stop(&c->conn.stream);
	if (uv_fileno(&c->conn.handle, &fd) != 0) {
		client_close(c);
		return;
	}
	struct dump_sink *d = malloc(sizeof(*d));
	int rc = ERR_NOMEM;
	if (d != NULL) {
		d->fd = fd;
		d->deadline_ms = clock_mono_ms() + CTL_TIMEOUT_MS;
		d->len = 0;
		rc = dump_write("ok\n", 3, d);
		if (rc == 0)
			rc = ctl_cmd_dump(&c->s->st, dump_write, d);
		if (rc == 0)
			rc = write_blocking(fd, d->buf, d->len, d->deadline_ms);
		free(d);
	}
	if (rc != 0)
		log_warn("control: dump-cache not sent whole: %s", err_str(rc));
	client_close(c);
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
	uv_read_stop(&c->conn.stream);
	if (ctl_out_truncated(o)) /* only "ok" and a body that fit, or an error: no room */
		ctl_out_free(o);
	c->reply = o->buf;
	c->reply_len = o->len;
	uv_buf_t b = uv_buf_init(c->reply != NULL ? c->reply : "error: out of memory\n",
	                         c->reply != NULL ? (unsigned)c->reply_len : 21);
	c->wr.data = c;
	if (uv_write(&c->wr, &c->conn.stream, &b, 1, on_write) != 0) {
		bool stop = c->stop_after;
		client_close(c);
		if (stop && !c->s->closing)
			c->s->env.stop(c->s->env.arg, "control socket");
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	if (c->body) {
		/* Room for 64 KiB more, and one byte past the limit to see it passed. */
		size_t want = c->body_len + 65536;
		if (want > c->body_max + 1)
			want = c->body_max + 1;
		if (want > c->body_cap) {
			char *b = realloc(c->body_buf, want);
			if (b != NULL) {
				c->body_buf = b;
				c->body_cap = want;
			}
		}
		buf->base = c->body_buf + c->body_len;
		buf->len = c->body_cap - c->body_len;
		return;
	}
	/* One byte more than a request may have, to see that it is too long. */
	buf->base = c->req + c->len;
	buf->len = sizeof(c->req) - c->len;
}

/* load-cache: keep reading the dump after the line, up to EOF. */
static void body_start(struct ctl_client *c, const struct ctl_request *r, size_t used)
{
	const struct ctl_env *env = &c->s->env;
	c->body = true;
	c->body_req = *r;
	c->body_max = ctl_load_max(env);
	size_t extra = c->len - used;
	c->body_cap = extra > 65536 ? extra : 65536;
	c->body_buf = malloc(c->body_cap);
	if (c->body_buf != NULL)
		memcpy(c->body_buf, c->req + used, extra);
	c->body_len = c->body_buf != NULL ? extra : 0;
	/* The dump may be long: the timeout counts from the last data read. */
	uv_timer_start(&c->timer, on_timeout, CTL_TIMEOUT_MS, 0);
}

static void body_read(struct ctl_client *c, ssize_t nread)
{
	struct ctl_out o;
	ctl_out_init(&o, false, CTL_REPLY_MAX + 1024);
	if (nread == UV_EOF && c->body_buf != NULL && c->body_len <= c->body_max) {
		run_request(c, &c->body_req, &o);
	} else if (nread >= 0 && c->body_buf != NULL &&
	           c->body_len + (size_t)nread <= c->body_max) {
		c->body_len += (size_t)nread;
		uv_timer_start(&c->timer, on_timeout, CTL_TIMEOUT_MS, 0);
		return;
	} else if (nread < 0 && nread != UV_EOF) {
		c->s->st.dropped++;
		client_close(c);
		return;
	} else {
		char err[128];
		snprintf(err, sizeof(err), "load-cache: dump larger than %zu bytes", c->body_max);
		reply_error(&o, c->body_buf != NULL ? err : err_str(ERR_NOMEM));
	}
	reply_send(c, &o);
}

/*
 * The first line from a control-interface client: "auth SECRET". True when
 * it matches (compared in constant time); the request line comes next.
 */
static bool auth_line(struct ctl_client *c, size_t line_len)
{
	const char *secret = c->s->env.current(c->s->env.arg)->conf->control_secret;
	size_t n = secret != NULL ? strlen(secret) : 0;
	if (line_len > 0 && c->req[line_len - 1] == '\r')
		line_len--;
	return secret != NULL && line_len == 5 + n && memcmp(c->req, "auth ", 5) == 0 &&
	       CRYPTO_memcmp(c->req + 5, secret, n) == 0;
}

/* On a worker's thread: an explain is over; the main loop answers it. */
static void explain_finished(struct ctl_explain *e, void *arg)
{
	struct ctl_server *s = arg;
	uv_mutex_lock(&s->explain_lock);
	*ctl_explain_next(e) = s->explained;
	s->explained = e;
	uv_mutex_unlock(&s->explain_lock);
	uv_async_send(&s->explain_async);
}

/* The main loop: answer each finished explain whose client is still there. */
static void explain_answer_all(struct ctl_server *s)
{
	uv_mutex_lock(&s->explain_lock);
	struct ctl_explain *e = s->explained;
	s->explained = NULL;
	uv_mutex_unlock(&s->explain_lock);
	while (e != NULL) {
		struct ctl_explain *next = *ctl_explain_next(e);
		struct ctl_client *c = *ctl_explain_owner(e);
		s->explains_running--;
		if (c != NULL) {
			struct ctl_out o, body;
			char err[256];
			c->explain = NULL;
			ctl_out_init(&o, false, CTL_REPLY_MAX + 1024);
			ctl_out_init(&body, c->body_req.json, CTL_REPLY_MAX);
			ctl_out_begin(&body);
			int rc = ctl_explain_reply(e, &body, err, sizeof(err));
			ctl_out_end(&body);
			reply_body(&o, &body, rc, err);
			ctl_out_free(&body);
			reply_send(c, &o);
		}
		ctl_explain_free(e);
		e = next;
	}
}

static void on_explain_async(uv_async_t *a)
{
	explain_answer_all(a->data);
}

/* explain: run on a worker; the reply waits until it is over (request-timeout at most). */
static void explain_begin(struct ctl_client *c, const struct ctl_request *r)
{
	struct ctl_server *s = c->s;
	char err[256];
	c->done = true;
	uv_read_stop(&c->conn.stream);
	c->body_req = *r; /* for --json when the answer comes */
	c->explain = ctl_explain_start(&s->st, r, explain_finished, s, err, sizeof(err));
	if (c->explain == NULL) {
		struct ctl_out o;
		ctl_out_init(&o, false, 1024);
		reply_error(&o, err);
		reply_send(c, &o);
		return;
	}
	s->explains_running++;
	*ctl_explain_owner(c->explain) = c;
	uint64_t wait = s->env.current(s->env.arg)->conf->request_timeout_ms + CTL_TIMEOUT_MS;
	uv_timer_start(&c->timer, on_timeout, wait, 0);
}

/* A whole request line: parse it and answer, or go on reading a dump. */
static void line_read(struct ctl_client *c, size_t line_len, size_t used)
{
	struct ctl_out o;
	struct ctl_request r;
	char err[800];
	ctl_out_init(&o, false, CTL_REPLY_MAX + 1024);
	if (line_len > CTL_REQUEST_MAX + 1) { /* ctl_parse() judges a trailing '\r' */
		reply_error(&o, "request longer than " CTL_STR(CTL_REQUEST_MAX) " bytes");
		c->s->st.rejected++;
	} else if (ctl_parse(c->req, line_len, &r, err, sizeof(err)) != 0) {
		reply_error(&o, err);
		c->s->st.rejected++;
	} else {
		c->s->st.requests++;
		if (r.cmd == CTL_LOAD_CACHE && !r.json) {
			body_start(c, &r, used);
			return;
		}
		if (r.cmd == CTL_EXPLAIN) {
			explain_begin(c, &r);
			return;
		}
		if (r.cmd == CTL_DUMP_CACHE && !r.json) {
			dump_send(c);
			return;
		}
		run_request(c, &r, &o);
	}
	reply_send(c, &o);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = st->data;
	if (c->done)
		return;
	if (c->body) {
		body_read(c, nread);
		return;
	}
	if (nread < 0) {
		c->s->st.dropped++;
		client_close(c); /* gone, or sent no newline before EOF */
		return;
	}
	size_t start = c->len;
	c->len += (size_t)nread;
	char *nl = memchr(c->req + start, '\n', c->len - start);
	if (nl != NULL && !c->authed) {
		size_t used = (size_t)(nl - c->req) + 1;
		if (!auth_line(c, used - 1)) {
			struct ctl_out o;
			ctl_out_init(&o, false, 256);
			reply_error(&o, "not authorised: send \"auth SECRET\" first");
			c->s->st.unauthorised++;
			log_warn("control: a control-interface client sent no valid secret");
			reply_send(c, &o);
			return;
		}
		c->authed = true;
		memmove(c->req, c->req + used, c->len - used);
		c->len -= used;
		nl = memchr(c->req, '\n', c->len);
	}
	if (nl != NULL) {
		line_read(c, (size_t)(nl - c->req), (size_t)(nl - c->req) + 1);
	} else if (c->len >= sizeof(c->req)) {
		struct ctl_out o;
		ctl_out_init(&o, false, CTL_REPLY_MAX + 1024);
		reply_error(&o, "request longer than " CTL_STR(CTL_REQUEST_MAX) " bytes");
		c->s->st.rejected++;
		reply_send(c, &o);
	}
}

static void on_timeout(uv_timer_t *t)
{
	struct ctl_client *c = t->data;
	if (!c->done)
		c->s->st.dropped++;
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
	if (server->type == UV_TCP) {
		uv_tcp_init(server->loop, &c->conn.tcp);
	} else {
		uv_pipe_init(server->loop, &c->conn.pipe, 0);
		c->authed = true; /* the socket's mode says who may connect */
	}
	uv_timer_init(server->loop, &c->timer);
	c->conn.handle.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	lru_push_front(&s->clients, &c->link);
	s->n_clients++;
	if (uv_accept(server, &c->conn.stream) != 0 || s->n_clients > CTL_CLIENTS) {
		s->st.dropped++;
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, CTL_TIMEOUT_MS, 0);
	if (uv_read_start(&c->conn.stream, on_alloc, on_read) != 0)
		client_close(c);
}

/* True when a daemon accepts connections on the socket at path. */
static bool socket_live(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

/*
 * Remove a socket left by an earlier run; refuse to touch any other file,
 * or a socket another daemon still answers on.
 */
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
	if (socket_live(path)) {
		snprintf(err, errlen, "control socket %s: another daemon is listening on it", path);
		return ERR_EXISTS;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "control socket %s: cannot remove the old one: %s", path,
		         strerror(errno));
		return ERR_IO;
	}
	return 0;
}

/*
 * The owner and group the socket gets: control-socket-user (else username),
 * control-socket-group (else the user's group); -1 keeps what bind() gave.
 */
static int socket_owner(const struct conf *conf, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	const char *user = conf->control_socket_user;
	const char *group = conf->control_socket_group;
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (user == NULL || user[0] == '\0')
		user = conf->username;
	if (user != NULL && user[0] != '\0') {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "control socket: no such user %s", user);
			return ERR_NOTFOUND;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "control socket: no such group %s", group);
			return ERR_NOTFOUND;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * The socket's folder: created (mode 0755, owned like the socket so the
 * daemon can remove its socket after dropping privileges) when missing.
 */
static int make_folder(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "control socket %s: cannot create %s: %s", path, dir,
		         strerror(errno));
		return ERR_IO;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(dir, uid, gid) != 0) {
		snprintf(err, errlen, "control socket %s: cannot give %s away: %s", path, dir,
		         strerror(errno));
		return ERR_IO;
	}
	return 0;
}

static int server_listen(struct ctl_server *s, uv_loop_t *loop, char *err, size_t errlen)
{
	const char *path = s->path;
	uid_t uid;
	gid_t gid;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return ERR_RANGE;
	}
	int rc = socket_owner(s->env.current(s->env.arg)->conf, &uid, &gid, err, errlen);
	if (rc == 0)
		rc = make_folder(path, uid, gid, err, errlen);
	if (rc == 0)
		rc = remove_stale(path, err, errlen);
	if (rc != 0)
		return rc;
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	s->open_listeners++;
	mode_t old = umask(0117); /* never a moment with a wider mode than 0660 */
	int e = uv_pipe_bind(&s->pipe, path);
	umask(old);
	if (e != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(e));
		return ERR_IO;
	}
	if (chmod(path, 0660) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0))
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
	s->open_listeners--;
	server_maybe_free(s);
}

static void listeners_close(struct ctl_server *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->explain_async))
		uv_close((uv_handle_t *)&s->explain_async, on_server_closed);
	if (s->pipe.loop != NULL && !uv_is_closing((uv_handle_t *)&s->pipe))
		uv_close((uv_handle_t *)&s->pipe, on_server_closed);
	if (s->tcp.loop != NULL && !uv_is_closing((uv_handle_t *)&s->tcp))
		uv_close((uv_handle_t *)&s->tcp, on_server_closed);
}

/* control-interface: TCP on a loopback address; clients must send the secret first. */
static int tcp_listen(struct ctl_server *s, uv_loop_t *loop, const struct conf *conf, char *err,
                      size_t errlen)
{
	char addr[64];
	uv_tcp_init(loop, &s->tcp);
	s->tcp.data = s;
	s->open_listeners++;
	int e = uv_tcp_bind(&s->tcp, &conf->control_interface.u.sa, 0);
	if (e == 0)
		e = uv_listen((uv_stream_t *)&s->tcp, 8, on_connection);
	if (e != 0) {
		snprintf(err, errlen, "control-interface %s: %s",
		         sa_str(&conf->control_interface, addr, sizeof(addr)), uv_strerror(e));
		return ERR_IO;
	}
	log_debug(LOG_LEVEL_DETAIL, "control interface %s",
	          sa_str(&conf->control_interface, addr, sizeof(addr)));
	return 0;
}

struct ctl_server *ctl_server_start(uv_loop_t *loop, const struct ctl_env *env, char *err,
                                    size_t errlen)
{
	const struct conf *conf = env->current(env->arg)->conf;
	bool unix_socket = conf->control_socket != NULL && conf->control_socket[0] != '\0';
	struct ctl_server *s = calloc(1, sizeof(*s));
	if (s == NULL || (unix_socket && (s->path = strdup(conf->control_socket)) == NULL)) {
		free(s);
		snprintf(err, errlen, "control socket: %s", err_str(ERR_NOMEM));
		return NULL;
	}
	s->env = *env;
	s->st.env = &s->env;
	if (uv_mutex_init(&s->explain_lock) != 0) {
		free(s->path);
		free(s);
		snprintf(err, errlen, "control socket: %s", err_str(ERR_NOMEM));
		return NULL;
	}
	uv_async_init(loop, &s->explain_async, on_explain_async);
	s->explain_async.data = s;
	s->open_listeners++; /* the async handle: the server is freed once it is closed too */
	int rc = unix_socket ? server_listen(s, loop, err, errlen) : 0;
	if (rc == 0 && conf->has_control_interface)
		rc = tcp_listen(s, loop, conf, err, errlen);
	if (rc != 0) {
		s->closing = true;
		if (s->path != NULL && s->pipe.loop != NULL && unlink(s->path) != 0 &&
		    errno != ENOENT)
			log_warn("cannot remove control socket %s: %s", s->path, strerror(errno));
		listeners_close(s);
		server_maybe_free(s);
		return NULL;
	}
	if (s->path != NULL)
		log_debug(LOG_LEVEL_DETAIL, "control socket %s", s->path);
	return s;
}

void ctl_server_close(struct ctl_server *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	for (struct lru_node *n = s->clients.head; n != NULL; n = n->next) {
		struct ctl_client *c = lru_entry(n, struct ctl_client, link);
		if (c->explain != NULL) { /* nobody to answer now */
			*ctl_explain_owner(c->explain) = NULL;
			c->explain = NULL;
		}
		client_close(c);
	}
	if (s->path != NULL && unlink(s->path) != 0 && errno != ENOENT)
		log_warn("cannot remove control socket %s: %s", s->path, strerror(errno));
	/* The workers have stopped: every explain has ended and waits here. */
	explain_answer_all(s);
	listeners_close(s);
}
