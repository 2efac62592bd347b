/*
 * mangrove-control.c - send one command to the daemon's control socket and
 * print the reply (protocol in include/mangrove/control.h).
 *
 * Exit status: 0 the daemon said ok, 1 it said error (or bad usage),
 * 2 the daemon could not be reached.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mangrove/conf.h"
#include "mangrove/control.h"

#define REPLY_MAX (1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out, "usage: mangrove-control [-c FILE] [-s SOCKET] COMMAND [ARGS]\n"
	             "  -c FILE    read control-socket from the configuration FILE\n"
	             "  -s SOCKET  the daemon's control socket (wins over -c)\n"
	             "  -h         print this help and exit\n"
	             "commands: status, stats, verbosity N, flush-all, stop\n");
}

/* The request line from the words of the command line; -1 if too long. */
static int build_request(int argc, char **argv, char *out, size_t outlen)
{
	size_t n = 0;
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

/* Connect, send, read the whole reply; NULL with errno set on failure. */
static char *exchange(const char *path, const char *req, size_t reqlen, size_t *outlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    write_all(fd, req, reqlen) != 0)
		goto fail;
	buf = malloc(REPLY_MAX + 1);
	if (buf == NULL)
		goto fail;
	for (;;) {
		ssize_t k = read(fd, buf + len, REPLY_MAX - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		if (k == 0 || (len += (size_t)k) == REPLY_MAX)
			break;
	}
	close(fd);
	buf[len] = '\0';
	*outlen = len;
	return buf;
fail:;
	int e = errno;
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}

/* The socket path from -s, or from the configuration's control-socket. */
static const char *socket_path(const char *sock, const char *file, struct conf **conf)
{
	if (sock != NULL)
		return sock;
	char err[512];
	if (conf_load(file, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "mangrove-control: %s\n", err);
		return NULL;
	}
	const char *p = (*conf)->control_socket;
	if (p == NULL || p[0] == '\0') {
		fprintf(stderr, "mangrove-control: %s sets no control-socket (use -s SOCKET)\n",
		        file != NULL ? file : "the built-in configuration");
		return NULL;
	}
	return p;
}

/* Print the reply: text after "ok" to stdout, an error line to stderr. */
static int print_reply(const char *path, const char *r, size_t len)
{
	const char *nl = memchr(r, '\n', len);
	size_t first = nl != NULL ? (size_t)(nl - r) : len;
	const char *rest = nl != NULL ? nl + 1 : r + len;
	if (first == 2 && memcmp(r, "ok", 2) == 0) {
		fwrite(rest, 1, len - (size_t)(rest - r), stdout);
		return 0;
	}
	if (first >= 6 && memcmp(r, "error:", 6) == 0) {
		fprintf(stderr, "mangrove-control: %.*s\n", (int)first, r);
		fwrite(rest, 1, len - (size_t)(rest - r), stderr);
		return 1;
	}
	fprintf(stderr, "mangrove-control: %s: no valid reply from the daemon\n", path);
	return 2;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *sock = NULL;
	int ch;
	while ((ch = getopt(argc, argv, "+c:s:h")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 's':
			sock = optarg;
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
	int reqlen = build_request(argc - optind, argv + optind, req, sizeof(req));
	if (reqlen < 0) {
		fprintf(stderr, "mangrove-control: command longer than %d bytes\n",
		        CTL_REQUEST_MAX);
		return 1;
	}
	struct conf *conf = NULL;
	const char *path = socket_path(sock, file, &conf);
	if (path == NULL) {
		conf_free(conf);
		return 1;
	}
	size_t len = 0;
	char *reply = exchange(path, req, (size_t)reqlen, &len);
	int rc;
	if (reply == NULL) {
		fprintf(stderr, "mangrove-control: cannot reach the daemon at %s: %s\n", path,
		        strerror(errno));
		rc = 2;
	} else {
		rc = print_reply(path, reply, len);
	}
	free(reply);
	conf_free(conf);
	return rc;
}
