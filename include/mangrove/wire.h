/*
 * wire.h - DNS wire format without ldns: domain names, the zero-copy client
 * query parser, EDNS OPT records and small reply builders. This is the
 * cache-hit path, so nothing here allocates.
 *
 * Names handled here are uncompressed wire names (length-prefixed labels
 * ending in the root label), at most WIRE_DNAME_MAX bytes.
 */
#ifndef MANGROVE_WIRE_H
#define MANGROVE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_DNAME_MAX 255
#define WIRE_HDR_LEN   12
#define WIRE_MSG_MAX   65535
/* Room for any name as text from wire_dname_to_str(), NUL included. */
#define WIRE_DNAME_STR_MAX 1024

/* Header flag bits in the 16-bit flags word (after the ID). */
#define WIRE_FLAG_QR 0x8000u
#define WIRE_FLAG_AA 0x0400u
#define WIRE_FLAG_TC 0x0200u
#define WIRE_FLAG_RD 0x0100u
#define WIRE_FLAG_RA 0x0080u
#define WIRE_FLAG_AD 0x0020u
#define WIRE_FLAG_CD 0x0010u

enum wire_rcode {
	WIRE_RCODE_NOERROR = 0,
	WIRE_RCODE_FORMERR = 1,
	WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3,
	WIRE_RCODE_NOTIMP = 4,
	WIRE_RCODE_REFUSED = 5,
	WIRE_RCODE_BADVERS = 16, /* extended: needs OPT */
};

enum wire_type {
	WIRE_TYPE_A = 1,
	WIRE_TYPE_NS = 2,
	WIRE_TYPE_CNAME = 5,
	WIRE_TYPE_SOA = 6,
	WIRE_TYPE_PTR = 12,
	WIRE_TYPE_MX = 15,
	WIRE_TYPE_TXT = 16,
	WIRE_TYPE_AAAA = 28,
	WIRE_TYPE_DNAME = 39,
	WIRE_TYPE_OPT = 41,
	WIRE_TYPE_DS = 43,
	WIRE_TYPE_RRSIG = 46,
	WIRE_TYPE_NSEC = 47,
	WIRE_TYPE_DNSKEY = 48,
	WIRE_TYPE_NSEC3 = 50,
	WIRE_TYPE_IXFR = 251,
	WIRE_TYPE_AXFR = 252,
	WIRE_TYPE_ANY = 255,
};

#define WIRE_CLASS_IN 1

/* EDNS option codes. */
#define WIRE_EDNS_COOKIE 10
#define WIRE_EDNS_EDE    15

/** Read a 16-bit big-endian value. */
static inline uint16_t wire_read_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/** Read a 32-bit big-endian value. */
static inline uint32_t wire_read_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/** Write a 16-bit big-endian value. */
static inline void wire_write_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** Write a 32-bit big-endian value. */
static inline void wire_write_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- names ---- */

/** Length of a valid uncompressed wire name including the root label. */
size_t wire_dname_len(const uint8_t *dname);
/**
 * Read a possibly compressed name at *pos in a message into out (room for
 * WIRE_DNAME_MAX bytes; uncompressed, case kept), set *outlen (may be NULL)
 * and advance *pos past it. Pointers must point before the labels being read
 * (so loops and forward pointers fail); pointer loops, labels over 63 bytes,
 * unknown label types, names over 255 bytes and reads past len give
 * ERR_FORMERR, leaving *pos unchanged.
 */
int wire_dname_unpack(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen);
/** Advance *pos past a possibly compressed name, checked as by unpack; 0 or ERR_FORMERR. */
int wire_dname_skip(const uint8_t *pkt, size_t len, size_t *pos);
/** Lower-case a wire name in place. */
void wire_dname_to_lower(uint8_t *dname);
/** Case-insensitive equality of two wire names. */
bool wire_dname_equal(const uint8_t *a, const uint8_t *b);
/** Number of labels, the root not counted ("." is 0, "com." is 1). */
unsigned wire_dname_labels(const uint8_t *dname);
/** True when child is parent or below it (case-insensitive). */
bool wire_dname_is_subdomain(const uint8_t *child, const uint8_t *parent);
/** The name with its first label removed; NULL for the root. */
const uint8_t *wire_dname_parent(const uint8_t *dname);
/** The last `labels` labels of dname (a pointer into it). */
const uint8_t *wire_dname_suffix(const uint8_t *dname, unsigned labels);
/**
 * Parse presentation text ("www.example.com", trailing dot optional, "." is
 * the root, "\\X" and "\\DDD" escapes) into out (room for WIRE_DNAME_MAX
 * bytes); *outlen (may be NULL) gets the length. ERR_SYNTAX for empty text,
 * empty labels or bad escapes; ERR_RANGE for labels over 63 or names over 255.
 */
int wire_dname_from_str(const char *text, uint8_t *out, size_t *outlen);
/**
 * Write presentation text with a trailing dot into buf, escaping dots,
 * backslashes and non-printable bytes inside labels; truncated to len
 * (WIRE_DNAME_STR_MAX always suffices), NUL-terminated when len > 0. Returns buf.
 */
char *wire_dname_to_str(const uint8_t *dname, char *buf, size_t len);
/** Order by RFC 4034 §6.1 canonical ordering: <0, 0, >0. */
int wire_dname_canonical_cmp(const uint8_t *a, const uint8_t *b);

/* ---- client queries ---- */

/** A client query parsed in place; pointers borrow from the packet. */
struct wire_query {
	const uint8_t *pkt;
	size_t len;
	uint16_t id;
	uint16_t flags; /* the raw flags word */
	uint8_t opcode;
	const uint8_t *qname; /* into pkt, uncompressed, case as sent */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end; /* offset just past the question */
	bool has_question;
	bool has_edns;
	uint8_t edns_version;
	uint16_t edns_udp_size; /* as sent, not clamped */
	bool edns_do;
	bool has_cookie;
	uint8_t client_cookie[8];
	uint8_t server_cookie_len; /* 0 when only a client cookie was sent */
	uint8_t server_cookie[32];
};

/**
 * Parse a client query without copying.
 * 0: a normal query. ERR_SHORT: no header, or a response (QR=1): drop.
 * ERR_FORMERR: header readable, rest malformed: answer FORMERR.
 * ERR_NOTIMP: opcode is not QUERY. ERR_BADVERS: EDNS version above 0.
 * Whenever the result is not ERR_SHORT, q->id, flags and opcode are set, and
 * the question and EDNS fields are set as far as they could be read.
 */
int wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q);
/**
 * Largest UDP reply the client accepts: 512 without EDNS, else its size
 * clamped to [512, max] (max below 512 counts as 512).
 */
uint16_t wire_query_udp_limit(const struct wire_query *q, uint16_t max);

/* ---- EDNS and replies ---- */

/** Extended DNS Error info codes (RFC 8914 §4) that Mangrove gives. */
enum wire_ede_code {
	WIRE_EDE_NONE = -1, /* no EDE option */
	WIRE_EDE_OTHER = 0,
	WIRE_EDE_UNSUPPORTED_ALG = 1,
	WIRE_EDE_UNSUPPORTED_DIGEST = 2,
	WIRE_EDE_BOGUS = 6,
	WIRE_EDE_SIG_EXPIRED = 7,
	WIRE_EDE_SIG_NOT_YET = 8,
	WIRE_EDE_DNSKEY_MISSING = 9,
	WIRE_EDE_RRSIGS_MISSING = 10,
	WIRE_EDE_NSEC_MISSING = 12,
	WIRE_EDE_PROHIBITED = 18,
	WIRE_EDE_NO_REACHABLE_AUTHORITY = 22,
	WIRE_EDE_NSEC3_ITERATIONS = 27,
};

/** Extended DNS Error to attach to a reply (RFC 8914); code < 0 means none. */
struct wire_ede {
	int code;
	const char *text; /* may be NULL */
};

/**
 * Write an OPT RR (root owner) at out: payload size, extended rcode bits,
 * DO bit and an optional EDE option. Returns the bytes written or 0 when it
 * does not fit.
 */
size_t wire_edns_write(uint8_t *out, size_t cap, uint16_t udp_size, uint16_t rcode, bool do_bit,
                       const struct wire_ede *ede);
/**
 * Build a reply carrying only the header and (when readable) the question,
 * with the given rcode (BADVERS and other extended codes go in the OPT);
 * an OPT with udp_size, the query's DO bit and ede is added when the query
 * had one. An rcode above 15 for a query without EDNS becomes SERVFAIL.
 * Returns the length, 0 on no room.
 */
size_t wire_reply_error(const struct wire_query *q, uint16_t rcode, const struct wire_ede *ede,
                        uint16_t udp_size, uint8_t *out, size_t cap);

/* ---- whole messages ---- */

/** Where the TTLs of a message's records are, for patching cached answers. */
struct wire_ttl_map {
	uint16_t *offsets; /* byte offsets of each TTL field (OPT excluded) */
	size_t count;
	size_t cap;
	uint32_t min_ttl; /* smallest TTL seen, UINT32_MAX when none */
};

/**
 * Walk every record of a message (compressed names allowed) and record the
 * offset of each TTL field in map (OPT records skipped); min_ttl counts a TTL
 * with the top bit set as 0 (RFC 2181 §8). 0, ERR_FORMERR (also for trailing
 * bytes, an OPT outside the additional section or a second OPT), or
 * ERR_SPACE when more records than map->cap.
 */
int wire_msg_ttl_map(const uint8_t *pkt, size_t len, struct wire_ttl_map *map);

#endif
