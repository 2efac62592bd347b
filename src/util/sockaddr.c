/* sockaddr.c - IPv4/IPv6 address helpers (see sockaddr.h). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/sockaddr.h"

/* A decimal number of digits only (strtoul alone would take " 5", "+5", "-0"). */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return ERR_SYNTAX;
	unsigned long v = strtoul(s, NULL, 10);
	if (v > max)
		return ERR_SYNTAX;
	*out = v;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	if (parse_num(s, 65535, &v) != 0)
		return ERR_SYNTAX;
	*port = (uint16_t)v;
	return 0;
}

int sa_parse(const char *text, uint16_t default_port, struct sa *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	uint16_t port = default_port;
	if (strlen(text) >= sizeof(buf))
		return ERR_SYNTAX;
	strcpy(buf, text);
	char *at = strchr(buf, '@');
	if (at != NULL) {
		*at = '\0';
		if (parse_port(at + 1, &port) != 0)
			return ERR_SYNTAX;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &out->u.in4.sin_addr) == 1) {
		out->u.in4.sin_family = AF_INET;
		out->u.in4.sin_port = htons(port);
		out->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &out->u.in6.sin6_addr) == 1) {
		out->u.in6.sin6_family = AF_INET6;
		out->u.in6.sin6_port = htons(port);
		out->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return ERR_SYNTAX;
}

const char *sa_addr_str(const struct sa *a, char *buf, size_t len)
{
	const void *src = a->u.sa.sa_family == AF_INET ? (const void *)&a->u.in4.sin_addr
	                                               : (const void *)&a->u.in6.sin6_addr;
	if (inet_ntop(a->u.sa.sa_family, src, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

const char *sa_str(const struct sa *a, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	snprintf(buf, len, "%s@%u", sa_addr_str(a, addr, sizeof(addr)), sa_port(a));
	return buf;
}

uint16_t sa_port(const struct sa *a)
{
	return ntohs(a->u.sa.sa_family == AF_INET ? a->u.in4.sin_port : a->u.in6.sin6_port);
}

void sa_set_port(struct sa *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = htons(port);
	else
		a->u.in6.sin6_port = htons(port);
}

int sa_family(const struct sa *a)
{
	return a->u.sa.sa_family;
}

bool sa_addr_equal(const struct sa *a, const struct sa *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
}

bool sa_equal(const struct sa *a, const struct sa *b)
{
	return sa_addr_equal(a, b) && sa_port(a) == sa_port(b);
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool sa_is_loopback(const struct sa *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return (ntohl(a->u.in4.sin_addr.s_addr) >> 24) == 127;
	const uint8_t *b = a->u.in6.sin6_addr.s6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr))
		return true;
	return memcmp(b, v4mapped, 12) == 0 && b[12] == 127;
}

int sa_from_sockaddr(struct sa *out, const struct sockaddr *s, socklen_t len)
{
	memset(out, 0, sizeof(*out));
	if (s->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(&out->u.in4, s, sizeof(struct sockaddr_in));
		out->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (s->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(&out->u.in6, s, sizeof(struct sockaddr_in6));
		out->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return ERR_INVAL;
}

int sa_prefix_parse(const char *text, struct sa_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(text) >= sizeof(buf))
		return ERR_SYNTAX;
	strcpy(buf, text);
	memset(out, 0, sizeof(*out));
	char *slash = strchr(buf, '/');
	long bits = -1;
	if (slash != NULL) {
		unsigned long v;
		*slash = '\0';
		if (parse_num(slash + 1, 128, &v) != 0)
			return ERR_SYNTAX;
		bits = (long)v;
	}
	unsigned maxbits;
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		maxbits = 128;
	} else {
		return ERR_SYNTAX;
	}
	if (bits > (long)maxbits)
		return ERR_SYNTAX;
	out->bits = bits < 0 ? maxbits : (unsigned)bits;
	for (unsigned i = out->bits; i < maxbits; i++)
		out->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	return 0;
}

static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> (bits % 8));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool sa_prefix_match(const struct sa_prefix *p, const struct sa *a)
{
	if (a->u.sa.sa_family == AF_INET) {
		if (p->family != AF_INET)
			return false;
		return bits_match(p->addr, (const uint8_t *)&a->u.in4.sin_addr, p->bits);
	}
	const uint8_t *b = a->u.in6.sin6_addr.s6_addr;
	if (p->family == AF_INET6)
		return bits_match(p->addr, b, p->bits);
	if (memcmp(b, v4mapped, 12) == 0)
		return bits_match(p->addr, b + 12, p->bits);
	return false;
}
