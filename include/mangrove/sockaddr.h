/*
 * sockaddr.h - socket addresses for IPv4 and IPv6: parse, print, compare,
 * prefix match (access control, do-not-query-localhost).
 */
#ifndef MANGROVE_SOCKADDR_H
#define MANGROVE_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** An IPv4 or IPv6 address with port; embedded by callers. */
struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

/** Parse "addr" or "addr@port" (IPv4 or IPv6); default_port when none. 0 or ERR_SYNTAX. */
int sa_parse(const char *text, uint16_t default_port, struct sa *out);
/** Write "addr" (no port) into buf; returns buf. */
const char *sa_addr_str(const struct sa *a, char *buf, size_t len);
/** Write "addr@port" into buf; returns buf. */
const char *sa_str(const struct sa *a, char *buf, size_t len);
/** Port in host order. */
uint16_t sa_port(const struct sa *a);
/** Set the port (host order). */
void sa_set_port(struct sa *a, uint16_t port);
/** AF_INET or AF_INET6. */
int sa_family(const struct sa *a);
/** Same family, address and port. */
bool sa_equal(const struct sa *a, const struct sa *b);
/** Same family and address (port ignored). */
bool sa_addr_equal(const struct sa *a, const struct sa *b);
/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
bool sa_is_loopback(const struct sa *a);
/** Fill a struct sa from a raw sockaddr of the given length; 0 or ERR_INVAL. */
int sa_from_sockaddr(struct sa *out, const struct sockaddr *s, socklen_t len);

/** An address prefix, for access control. */
struct sa_prefix {
	int family;
	uint8_t addr[16];
	unsigned bits;
};

/** Parse "addr/bits" or "addr" (full length); host bits are masked off. 0 or ERR_SYNTAX. */
int sa_prefix_parse(const char *text, struct sa_prefix *out);
/** True when the address lies inside the prefix (IPv4-mapped IPv6 matches IPv4 prefixes). */
bool sa_prefix_match(const struct sa_prefix *p, const struct sa *a);

#endif
