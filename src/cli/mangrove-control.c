/*
 * mangrove-control.c - send one command to the daemon's control socket and
 * print the reply (protocol in include/mangrove/control.h).
 *
 * Exit status: 0 the daemon said ok, 1 it said error (or bad usage),
 * 2 the daemon could not be reached.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mangrove/conf.h"
#include "mangrove/control.h"
#include "mangrove/sockaddr.h"

/* First reply line read before the rest is streamed: "ok" or "error: ...". */
#define FIRST_LINE_MAX 4096

static void usage(FILE *out)
{
	fprintf(out, "usage: mangrove-control [-c FILE] [-s SOCKET | -i ADDR@PORT [-k FILE]] [-j]\n"
	             "                        COMMAND [ARGS]\n"
	             "  -c FILE       read control-socket (or control-interface and its secret)\n"
	             "                from the configuration FILE\n"
	             "  -s SOCKET     the daemon's control socket (wins over -c)\n"
	             "  -i ADDR@PORT  the daemon's control-interface (TCP on loopback)\n"
	             "  -k FILE       the control-secret-file for -i (else the one -c names)\n"
	             "  -j, --json    print the reply as one JSON object\n"
	             "  -h            print this help and exit\n"
	             "commands:\n"
	             "  status | stats [--reset] | verbosity N | reload | stop\n"
	             "  flush NAME [TYPE] | flush-zone NAME | flush-bogus | flush-negative\n"
	             "  flush-infra [ADDR|all] | flush-all\n"
	             "  dump-cache | load-cache (the dump on standard input) | lookup NAME\n"
	             "  nta add NAME [LIFETIME] | nta remove NAME | nta list\n");
}

/* The request line from the words of the command line; -1 if too long. */
static int build_request(bool json, int argc, char **argv, char *out, size_t outlen)
{
	size_t n = 0;
	if (json) {
		memcpy(out, "--json ", 7);
		n = 7;
	}
	for (int i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]);
		if (n + k + 2 > outlen || memchr(argv[i], '\n', k) != NULL)
			return -1;
		if (i > 0)
			out[n++] = ' ';
		memcpy(out + n, argv[i], k);
		n += k;
	}
	out[n++] = '\n';
	return (int)n;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static ssize_t read_some(int fd, char *buf, size_t len)
{
	ssize_t k;
	do
		k = read(fd, buf, len);
	while (k < 0 && errno == EINTR);
	return k;
}

/* Copy standard input to the socket, then close our sending side. */
static int send_stdin(int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t k = read_some(STDIN_FILENO, buf, sizeof(buf));
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		if (write_all(fd, buf, (size_t)k) != 0)
			return -1;
	}
	return shutdown(fd, SHUT_WR);
}

/* Where the daemon is: a unix socket path, or a loopback TCP address and its secret. */
struct target {
	const char *path;
	bool tcp;
	struct sa addr;
	char name[128]; /* for messages: the path or ADDR@PORT */
	const char *secret;
};

/* A connected socket with the request sent; -1 with errno set. */
static int connect_send(const struct target *t, const char *req, size_t reqlen, bool with_stdin)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;
	if (t->tcp) {
		fd = socket(t->addr.u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else {
		if (strlen(t->path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(sun.sun_path, t->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -1;
	int rc = t->tcp ? connect(fd, &t->addr.u.sa, t->addr.len)
	                : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc == 0 && t->tcp &&
	    (write_all(fd, "auth ", 5) != 0 || write_all(fd, t->secret, strlen(t->secret)) != 0 ||
	     write_all(fd, "\n", 1) != 0))
		rc = -1;
	if (rc != 0 || write_all(fd, req, reqlen) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* A daemon that refuses the dump closes early: its reply says why. */
	if (with_stdin && send_stdin(fd) != 0)
		shutdown(fd, SHUT_WR);
	return fd;
}

/* -k FILE: its first line, as the daemon reads control-secret-file. */
static char *read_secret(const char *file)
{
	char buf[1024];
	FILE *f = fopen(file, "r");
	if (f == NULL) {
		fprintf(stderr, "mangrove-control: cannot read %s: %s\n", file, strerror(errno));
		return NULL;
	}
	char *line = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (line == NULL) {
		fprintf(stderr, "mangrove-control: %s is empty\n", file);
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	char *s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return s;
}

/*
 * The target from -s, -i (with -k or the secret of -c), or the
 * configuration: its control-socket, else its control-interface.
 */
static int find_target(const char *sock, const char *iface, const char *keyfile, const char *file,
                       struct conf **conf, char **secret, struct target *t)
{
	char err[512];
	memset(t, 0, sizeof(*t));
	if (sock != NULL) {
		t->path = sock;
		snprintf(t->name, sizeof(t->name), "%s", sock);
		return 0;
	}
	if ((iface == NULL || keyfile == NULL) && conf_load(file, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "mangrove-control: %s\n", err);
		return -1;
	}
	const char *p = *conf != NULL ? (*conf)->control_socket : NULL;
	if (iface == NULL && p != NULL && p[0] != '\0') {
		t->path = p;
		snprintf(t->name, sizeof(t->name), "%s", p);
		return 0;
	}
	if (iface != NULL) {
		if (strchr(iface, '@') == NULL || sa_parse(iface, 0, &t->addr) != 0 ||
		    sa_port(&t->addr) == 0) {
			fprintf(stderr, "mangrove-control: -i %s: not ADDR@PORT\n", iface);
			return -1;
		}
	} else if (*conf != NULL && (*conf)->has_control_interface) {
		t->addr = (*conf)->control_interface;
	} else {
		fprintf(stderr,
		        "mangrove-control: %s sets neither control-socket nor control-interface "
		        "(use -s SOCKET or -i ADDR@PORT)\n",
		        file != NULL ? file : "the built-in configuration");
		return -1;
	}
	t->tcp = true;
	sa_str(&t->addr, t->name, sizeof(t->name));
	if (keyfile != NULL)
		t->secret = *secret = read_secret(keyfile);
	else if (*conf != NULL)
		t->secret = (*conf)->control_secret;
	if (t->secret == NULL) {
		if (keyfile == NULL)
			fprintf(stderr,
			        "mangrove-control: no secret for %s (use -k FILE, or -c with "
			        "control-secret-file)\n",
			        t->name);
		return -1;
	}
	return 0;
}

/* Print a JSON string (for the error object of --json). */
static void json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/*
 * Read the reply: after "ok", everything else goes to stdout as it comes;
 * after "error: ...", the line goes to stderr (and, with --json, an error
 * object to stdout). 0, 1 or 2 as the exit status.
 */
static int relay_reply(const char *path, int fd, bool json)
{
	char buf[65536];
	size_t len = 0;
	char *nl = NULL;
	while (nl == NULL && len < FIRST_LINE_MAX) {
		ssize_t k = read_some(fd, buf + len, FIRST_LINE_MAX - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		nl = memchr(buf, '\n', len);
	}
	if (nl == NULL) {
		fprintf(stderr, "mangrove-control: %s: no valid reply from the daemon\n", path);
		return 2;
	}
	size_t first = (size_t)(nl - buf), rest = len - first - 1;
	if (first >= 6 && memcmp(buf, "error:", 6) == 0) {
		fprintf(stderr, "mangrove-control: %.*s\n", (int)first, buf);
		if (json) {
			const char *why = buf + 6 + (first > 6 && buf[6] == ' ');
			fputs("{\"error\":", stdout);
			json_string(stdout, why, first - (size_t)(why - buf));
			fputs("}\n", stdout);
		}
		return 1;
	}
	if (first != 2 || memcmp(buf, "ok", 2) != 0) {
		fprintf(stderr, "mangrove-control: %s: no valid reply from the daemon\n", path);
		return 2;
	}
	fwrite(nl + 1, 1, rest, stdout);
	for (;;) {
		ssize_t k = read_some(fd, buf, sizeof(buf));
		if (k < 0) {
			fprintf(stderr, "mangrove-control: %s: reply cut short: %s\n", path,
			        strerror(errno));
			return 2;
		}
		if (k == 0)
			break;
		fwrite(buf, 1, (size_t)k, stdout);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	const char *file = NULL, *sock = NULL, *iface = NULL, *keyfile = NULL;
	bool json = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "+c:s:i:k:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	char req[CTL_REQUEST_MAX + 2];
	int reqlen = build_request(json, argc - optind, argv + optind, req, sizeof(req));
	if (reqlen < 0) {
		fprintf(stderr, "mangrove-control: command longer than %d bytes\n",
		        CTL_REQUEST_MAX);
		return 1;
	}
	struct conf *conf = NULL;
	char *secret = NULL;
	struct target t;
	if (find_target(sock, iface, keyfile, file, &conf, &secret, &t) != 0) {
		free(secret);
		conf_free(conf);
		return 1;
	}
	bool with_stdin = strcmp(argv[optind], "load-cache") == 0;
	signal(SIGPIPE, SIG_IGN); /* a daemon that closes early must not kill us mid-write */
	int fd = connect_send(&t, req, (size_t)reqlen, with_stdin);
	int rc;
	if (fd < 0) {
		fprintf(stderr, "mangrove-control: cannot reach the daemon at %s: %s\n", t.name,
		        strerror(errno));
		rc = 2;
	} else {
		rc = relay_reply(t.name, fd, json);
		close(fd);
	}
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	conf_free(conf);
	return rc;
}
