/*
 * main.c - the mangrove daemon: command line, configuration, privileges,
 * worker threads and signals.
 *
 * The order of start-up is the point of this file. Everything that may
 * need root happens first: the log file is opened and every listening
 * socket bound. Then the process detaches (without -d), writes its pid
 * file and switches to the configured user; only then do the worker
 * threads start (a fork copies the calling thread only). The parent of a
 * detaching daemon waits until the workers run, so its exit status says
 * whether the start worked.
 *
 * The control socket (control.c) is served by this thread's loop, next to
 * the signal handlers. A reload (SIGHUP or mangrove-control reload) reads
 * the file again into a new runtime (runtime.h) and hands it to the
 * workers; the caches and sockets stay.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "control.h"
#include "metrics.h"
#include "runtime.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/anchor.h"
#include "mangrove/conf.h"
#include "mangrove/errors.h"
#include "mangrove/log.h"
#include "mangrove/net.h"
#include "mangrove/request.h"
#include "mangrove/stats.h"

/* Servers remembered by the infrastructure cache. */
#define INFRA_ENTRIES    65536
#define KEYCACHE_ENTRIES 16384 /* zones whose validation state is kept */

struct options {
	const char *config; /* -c, NULL for the built-in defaults */
	bool check;         /* -n */
	bool foreground;    /* -d */
};

struct daemon {
	struct options opt;
	struct runtime *rt;      /* the configuration in force */
	struct runtime *retired; /* earlier ones, until their requests have ended */
	struct runtime_shared shared;
	struct net_listeners *listeners;
	struct net_worker **workers;
	unsigned n_wanted;  /* conf->workers, at least 1 */
	unsigned n_workers; /* created so far */
	bool log_to_file;
	bool pidfile_written;
	int ready_fd; /* detached: tell the waiting parent we run, then close */
	bool loop_open;
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int, sig_hup;
	struct ctl_server *ctl;
	struct metrics_server *metrics;
	uint64_t started_ms;
	bool stopping;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mangrove [-c FILE] [-n] [-d] [-V] [-h]\n"
	             "  -c FILE  read the configuration from FILE (default: built-in defaults)\n"
	             "  -n       check the configuration and root hints, then exit\n"
	             "  -d       stay in the foreground and log to stderr\n"
	             "  -V       print the version and exit\n"
	             "  -h       print this help and exit\n");
}

/* 0: go on; 1: done, exit 0; -1: bad usage, exit 1. */
static int parse_args(int argc, char **argv, struct options *opt)
{
	int ch;
	while ((ch = getopt(argc, argv, "c:ndVh")) != -1) {
		switch (ch) {
		case 'c':
			opt->config = optarg;
			break;
		case 'n':
			opt->check = true;
			break;
		case 'd':
			opt->foreground = true;
			break;
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mangrove: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* A start-up error: to the log, and to stderr too when the log is a file. */
static void __attribute__((format(printf, 2, 3)))
fatal(const struct daemon *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	if (d->log_to_file)
		fprintf(stderr, "mangrove: %s\n", msg);
}

/* -n: the configuration and the root hints it names, without starting anything. */
static int check_config(const struct options *opt)
{
	char err[512];
	struct conf *conf = NULL;
	struct runtime *rt = NULL;
	struct runtime_shared none = {0};
	if (conf_load(opt->config, &conf, err, sizeof(err)) != 0 ||
	    runtime_new(conf, &none, &rt, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", opt->config ? opt->config : "built-in defaults");
	runtime_free(rt);
	return 0;
}

/* Configuration, logging, hints, caches and the bound sockets. */
static int daemon_load(struct daemon *d)
{
	char err[512];
	struct conf *conf;
	if (conf_load(d->opt.config, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	log_set_verbosity(conf->verbosity);
	if (!d->opt.foreground && conf->logfile != NULL && conf->logfile[0] != '\0') {
		if (log_open(conf->logfile) != 0) {
			fprintf(stderr, "mangrove: cannot open log file %s: %s\n", conf->logfile,
			        strerror(errno));
			conf_free(conf);
			return -1;
		}
		d->log_to_file = true;
	}
	d->shared.cache = cache_new(conf->cache_size, conf->cache_shards);
	d->shared.infra = infra_new(INFRA_ENTRIES);
	d->shared.keys = val_keycache_new(KEYCACHE_ENTRIES);
	d->shared.nta = val_nta_new();
	if (d->shared.cache == NULL || d->shared.infra == NULL || d->shared.keys == NULL ||
	    d->shared.nta == NULL) {
		conf_free(conf);
		fatal(d, "cannot create the cache: %s", err_str(ERR_NOMEM));
		return -1;
	}
	if (runtime_new(conf, &d->shared, &d->rt, err, sizeof(err)) != 0) {
		fatal(d, "%s", err);
		return -1;
	}
	d->n_wanted = d->rt->conf->workers ? d->rt->conf->workers : 1;
	d->workers = calloc(d->n_wanted, sizeof(*d->workers));
	if (d->workers == NULL) {
		fatal(d, "cannot start the workers: %s", err_str(ERR_NOMEM));
		return -1;
	}
	if (net_listeners_open(d->rt->conf, d->n_wanted, &d->listeners, err, sizeof(err)) != 0) {
		fatal(d, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * Detach from the terminal: fork, setsid, fork again so the daemon can
 * never regain a controlling terminal. The first parent waits on a pipe
 * for the daemon's "running" byte and exits 0, or 1 if the pipe closes
 * without it (the daemon failed and said why on stderr).
 */
static int daemonize(struct daemon *d)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		char c = 1;
		ssize_t n;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		waitpid(pid, NULL, 0);
		_exit(n == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -errno;
	umask(022);
	d->ready_fd = p[1];
	return 0;
}

/* Detached: let go of the terminal and release the waiting parent. */
static void notify_ready(struct daemon *d)
{
	if (d->ready_fd < 0)
		return;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	char ok = 0;
	ssize_t n;
	do
		n = write(d->ready_fd, &ok, 1);
	while (n < 0 && errno == EINTR);
	close(d->ready_fd);
	d->ready_fd = -1;
}

static int pidfile_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t k = write(fd, buf, (size_t)n);
	int e = k == n ? 0 : (k < 0 ? errno : EIO);
	if (close(fd) != 0 && e == 0)
		e = errno;
	return -e;
}

/* Switch to the configured user for good, or refuse to run. */
static int drop_privileges(const struct daemon *d)
{
	const char *user = d->rt->conf->username;
	if (user == NULL || user[0] == '\0')
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		fatal(d, "cannot switch to user %s: %s", user,
		      errno ? strerror(errno) : "no such user");
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid)
		return 0;
	if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		fatal(d, "cannot switch to user %s: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		fatal(d, "cannot switch to user %s: root privileges could be regained", user);
		return -1;
	}
	log_debug(LOG_LEVEL_DETAIL, "running as user %s (uid %ld)", user, (long)uid);
	return 0;
}

static int workers_start(struct daemon *d)
{
	char err[512];
	unsigned n = d->n_wanted;
	for (unsigned i = 0; i < n; i++) {
		d->workers[i] = net_worker_new(i, &d->rt->env, d->listeners, err, sizeof(err));
		if (d->workers[i] == NULL) {
			fatal(d, "%s", err);
			return -1;
		}
		d->n_workers = i + 1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (net_worker_start(d->workers[i]) != 0) {
			fatal(d, "cannot start worker thread %u", i);
			return -1;
		}
	}
	return 0;
}

static void workers_stop(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_workers; i++)
		net_worker_stop(d->workers[i]);
	for (unsigned i = 0; i < d->n_workers; i++)
		net_worker_join(d->workers[i]);
}

/* A clean stop (a signal or the control socket's stop): the main loop then ends. */
static void daemon_stop(void *arg, const char *why)
{
	struct daemon *d = arg;
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: stopping", why);
	workers_stop(d);
	ctl_server_close(d->ctl);
	d->ctl = NULL;
	metrics_server_close(d->metrics);
	d->metrics = NULL;
	uv_close((uv_handle_t *)&d->sig_term, NULL);
	uv_close((uv_handle_t *)&d->sig_int, NULL);
	uv_close((uv_handle_t *)&d->sig_hup, NULL);
	runtime_retire_all(d->retired);
}

/*
 * Read the configuration file again and hand the new runtime to every
 * worker. Refused, with nothing changed, when the file is bad or changes an
 * option only a restart can change. The message says what happened.
 */
static int daemon_reload(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;
	char err[512], names[256];
	struct conf *conf;
	struct runtime *rt;
	const char *file = d->opt.config ? d->opt.config : "built-in defaults";
	int rc = conf_load(d->opt.config, &conf, err, sizeof(err));
	if (rc == 0 && conf_restart_diff(d->rt->conf, conf, names, sizeof(names)) > 0) {
		snprintf(err, sizeof(err), "%s: only a restart can change %s", file, names);
		conf_free(conf);
		rc = ERR_INVAL;
	}
	if (rc == 0)
		rc = runtime_new(conf, &d->shared, &rt, err, sizeof(err));
	if (rc != 0) {
		log_err("reload refused, the running configuration stays: %s", err);
		snprintf(msg, len, "%s; the running configuration stays", err);
		return rc;
	}
	for (unsigned i = 0; i < d->n_workers; i++) {
		if (net_worker_set_env(d->workers[i], &rt->env, 2000) != 0)
			log_warn("reload: worker %u is slow to take the new configuration", i);
	}
	runtime_retire(&d->loop, d->rt, &d->retired);
	d->rt = rt;
	log_set_verbosity(rt->conf->verbosity);
	/* Zone trust states were judged under the old anchors: judge them again. */
	val_keycache_flush(d->shared.keys);
	log_info("reloaded %s", file);
	snprintf(msg, len, "reloaded %s", file);
	return 0;
}

static const struct req_env *daemon_env(void *arg)
{
	return &((struct daemon *)arg)->rt->env;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	if (signum == SIGHUP) {
		char msg[640];
		daemon_reload(d, msg, sizeof(msg));
		return;
	}
	daemon_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* The control socket, when control-socket names one. */
static int control_start(struct daemon *d)
{
	const struct conf *conf = d->rt->conf;
	if ((conf->control_socket == NULL || conf->control_socket[0] == '\0') &&
	    !conf->has_control_interface)
		return 0;
	char err[512];
	struct ctl_env env = {.cache = d->shared.cache,
	                      .infra = d->shared.infra,
	                      .keys = d->shared.keys,
	                      .nta = d->shared.nta,
	                      .workers = d->workers,
	                      .n_workers = d->n_wanted, /* all started before uv_run() */
	                      .started_ms = d->started_ms,
	                      .config_file = d->opt.config,
	                      .current = daemon_env,
	                      .reload = daemon_reload,
	                      .stop = daemon_stop,
	                      .arg = d};
	d->ctl = ctl_server_start(&d->loop, &env, err, sizeof(err));
	if (d->ctl == NULL) {
		fatal(d, "%s", err);
		return -1;
	}
	return 0;
}

/* The Prometheus endpoint, when metrics-interface names one (bound while still root). */
static int metrics_start(struct daemon *d)
{
	const struct conf *conf = d->rt->conf;
	if (!conf->has_metrics_interface)
		return 0;
	char err[512];
	struct metrics_env env = {.workers = d->workers,
	                          .n_workers = d->n_wanted, /* all started before uv_run() */
	                          .cache = d->shared.cache,
	                          .started_ms = d->started_ms};
	d->metrics =
	        metrics_server_start(&d->loop, &conf->metrics_interface, &env, err, sizeof(err));
	if (d->metrics == NULL) {
		fatal(d, "%s", err);
		return -1;
	}
	return 0;
}

static int signals_start(struct daemon *d)
{
	if (uv_loop_init(&d->loop) != 0) {
		fatal(d, "cannot create the main loop");
		return -1;
	}
	d->loop_open = true;
	uv_signal_t *h[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
	int sig[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t i = 0; i < 3; i++) {
		uv_signal_init(&d->loop, h[i]);
		h[i]->data = d;
		if (uv_signal_start(h[i], on_signal, sig[i]) != 0) {
			fatal(d, "cannot handle signal %d", sig[i]);
			return -1;
		}
	}
	return 0;
}

static void log_totals(const struct daemon *d)
{
	struct stats t;
	memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < d->n_workers; i++)
		stats_add(&t, net_worker_stats(d->workers[i]));
	log_info("totals: %llu udp and %llu tcp queries, %llu cache hits, %llu misses, "
	         "%llu joined, %llu upstream queries, %llu upstream timeouts",
	         (unsigned long long)t.queries_udp, (unsigned long long)t.queries_tcp,
	         (unsigned long long)t.cache_hits, (unsigned long long)t.cache_misses,
	         (unsigned long long)t.joined,
	         (unsigned long long)(t.upstream_sent_udp + t.upstream_sent_tcp),
	         (unsigned long long)t.upstream_timeouts);
}

static void daemon_free(struct daemon *d)
{
	if (d->loop_open) {
		/* Close what an early failure left open, then let the loop finish. */
		if (!d->stopping) {
			workers_stop(d);
			ctl_server_close(d->ctl);
			metrics_server_close(d->metrics);
			uv_close((uv_handle_t *)&d->sig_term, NULL);
			uv_close((uv_handle_t *)&d->sig_int, NULL);
			uv_close((uv_handle_t *)&d->sig_hup, NULL);
			runtime_retire_all(d->retired);
			uv_run(&d->loop, UV_RUN_DEFAULT);
		}
		uv_loop_close(&d->loop);
	} else {
		workers_stop(d);
	}
	for (unsigned i = 0; i < d->n_workers; i++)
		net_worker_free(d->workers[i]);
	free(d->workers);
	net_listeners_free(d->listeners);
	if (d->pidfile_written && unlink(d->rt->conf->pidfile) != 0 && errno != ENOENT)
		log_warn("cannot remove pid file %s: %s", d->rt->conf->pidfile, strerror(errno));
	runtime_free(d->rt);
	infra_free(d->shared.infra);
	cache_free(d->shared.cache);
	val_keycache_free(d->shared.keys);
	val_nta_free(d->shared.nta);
	log_close();
}

/* Everything from the bound sockets to running workers; then the main loop. */
static int daemon_run(struct daemon *d)
{
	if (!d->opt.foreground && daemonize(d) != 0) {
		fatal(d, "cannot detach: %s", strerror(errno));
		return -1;
	}
	const struct conf *conf = d->rt->conf;
	if (conf->pidfile != NULL && conf->pidfile[0] != '\0') {
		int rc = pidfile_write(conf->pidfile);
		if (rc != 0) {
			fatal(d, "cannot write pid file %s: %s", conf->pidfile, strerror(-rc));
			return -1;
		}
		d->pidfile_written = true;
	}
	d->started_ms = clock_mono_ms();
	/* The control socket is bound (and given its owner) while still root;
	 * nothing on the main loop runs before uv_run() below. */
	if (signals_start(d) != 0 || control_start(d) != 0 || metrics_start(d) != 0 ||
	    drop_privileges(d) != 0 || workers_start(d) != 0)
		return -1;
	log_info("%s %s started: %u workers, %zu interfaces", PACKAGE_NAME, PACKAGE_VERSION,
	         d->n_workers, conf->n_interfaces);
	notify_ready(d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	log_totals(d);
	log_info("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d;
	memset(&d, 0, sizeof(d));
	d.ready_fd = -1;
	int rc = parse_args(argc, argv, &d.opt);
	if (rc != 0)
		return rc > 0 ? 0 : 1;
	if (d.opt.check)
		return check_config(&d.opt);
	/* A client closing its TCP connection must not kill the daemon on write. */
	signal(SIGPIPE, SIG_IGN);
	rc = daemon_load(&d) == 0 ? daemon_run(&d) : -1;
	daemon_free(&d);
	return rc == 0 ? 0 : 1;
}
