/*
 * query.c - the zero-copy parser of client queries (the hot path: no
 * allocation, no copy of the packet).
 *
 * It is deliberately strict. A standard query is one question, no answer
 * and no authority records (RFC 1035 §4.1, RFC 9619 for QDCOUNT), plus an
 * additional section that may hold one OPT (RFC 6891) and other records
 * such as TSIG. Authority records only appear in queries of other opcodes
 * (NOTIFY, UPDATE), which are answered NOTIMP, so any here means a
 * confused or hostile client: FORMERR costs it nothing and keeps the
 * parser's surface small. Every violation is a FORMERR, never a guess.
 */
#include "config.h"

#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define RR_FIXED_LEN     10 /* type, class, TTL, RDLENGTH after the owner */
#define EDNS_DO_BIT      0x8000u
#define COOKIE_CLIENT    8
#define COOKIE_SERVER_LO 8
#define COOKIE_SERVER_HI 32

/*
 * Read the question. Its name must be uncompressed: it is the first name in
 * the message, so there is nothing earlier it could legitimately point to,
 * and keeping it flat lets q->qname point straight into the packet.
 */
static int parse_question(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	size_t p = WIRE_HDR_LEN;
	for (;;) {
		if (p >= len)
			return ERR_FORMERR;
		uint8_t c = pkt[p];
		if (c > 63)
			return ERR_FORMERR; /* a pointer or a label type we do not know */
		if (p - WIRE_HDR_LEN + 1 + c > WIRE_DNAME_MAX)
			return ERR_FORMERR;
		p += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	if (p > len || len - p < 4)
		return ERR_FORMERR;
	q->qname = pkt + WIRE_HDR_LEN;
	q->qname_len = p - WIRE_HDR_LEN;
	q->qtype = wire_read_u16(pkt + p);
	q->qclass = wire_read_u16(pkt + p + 2);
	q->question_end = p + 4;
	q->has_question = true;
	return 0;
}

/* RFC 7873 §4: an 8-byte client cookie, optionally a 8..32-byte server cookie. */
static int parse_cookie(const uint8_t *data, size_t n, struct wire_query *q)
{
	if (q->has_cookie)
		return ERR_FORMERR; /* two COOKIE options: reject rather than pick one */
	if (n != COOKIE_CLIENT &&
	    (n < COOKIE_CLIENT + COOKIE_SERVER_LO || n > COOKIE_CLIENT + COOKIE_SERVER_HI))
		return ERR_FORMERR; /* RFC 7873 §5.2.2 */
	memcpy(q->client_cookie, data, COOKIE_CLIENT);
	q->server_cookie_len = (uint8_t)(n - COOKIE_CLIENT);
	memcpy(q->server_cookie, data + COOKIE_CLIENT, n - COOKIE_CLIENT);
	q->has_cookie = true;
	return 0;
}

/* The options of a version-0 OPT: each must fit exactly inside the RDATA. */
static int parse_options(const uint8_t *rd, size_t rdlen, struct wire_query *q)
{
	size_t p = 0;
	while (p < rdlen) {
		if (rdlen - p < 4)
			return ERR_FORMERR;
		uint16_t code = wire_read_u16(rd + p);
		size_t n = wire_read_u16(rd + p + 2);
		p += 4;
		if (rdlen - p < n)
			return ERR_FORMERR;
		if (code == WIRE_EDNS_COOKIE && parse_cookie(rd + p, n, q) != 0)
			return ERR_FORMERR;
		p += n;
	}
	return 0;
}

/* One OPT RR; pos is at its owner, rr at its type field. */
static int parse_opt(const uint8_t *pkt, size_t pos, const uint8_t *rr, struct wire_query *q)
{
	/* RFC 6891 §6.1.2: the owner is the root; §6.1.1: only one OPT. */
	if (pkt[pos] != 0 || q->has_edns)
		return ERR_FORMERR;
	q->has_edns = true;
	q->edns_udp_size = wire_read_u16(rr + 2);
	uint32_t ttl = wire_read_u32(rr + 4);
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & EDNS_DO_BIT) != 0;
	/* The option layout of a later version is unknown: leave it unread (§6.1.3). */
	if (q->edns_version != 0)
		return 0;
	return parse_options(rr + RR_FIXED_LEN, wire_read_u16(rr + 8), q);
}

/* The additional section: any records, at most one of them OPT. */
static int parse_additional(const uint8_t *pkt, size_t len, size_t pos, unsigned count,
                            struct wire_query *q)
{
	for (unsigned i = 0; i < count; i++) {
		size_t owner = pos;
		if (wire_dname_skip(pkt, len, &pos) != 0 || len - pos < RR_FIXED_LEN)
			return ERR_FORMERR;
		const uint8_t *rr = pkt + pos;
		size_t rdlen = wire_read_u16(rr + 8);
		if (len - pos - RR_FIXED_LEN < rdlen)
			return ERR_FORMERR;
		if (wire_read_u16(rr) == WIRE_TYPE_OPT && parse_opt(pkt, owner, rr, q) != 0)
			return ERR_FORMERR;
		pos += RR_FIXED_LEN + rdlen;
	}
	/* Bytes after the last declared record are not part of any query. */
	return pos == len ? 0 : ERR_FORMERR;
}

/*
 * Best-effort read of the OPT after the question, for replies to queries
 * whose other sections break the rules here (other opcodes follow RFC 2136 or
 * RFC 1996; a query with answer records is FORMERR anyway): the reply then
 * still speaks EDNS to an EDNS client. q changes only when all of it reads.
 */
static void parse_edns_lenient(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	struct wire_query tmp = *q;
	size_t pos = q->question_end;
	unsigned n = (unsigned)wire_read_u16(pkt + 6) + wire_read_u16(pkt + 8);
	for (unsigned i = 0; i < n; i++) {
		if (wire_dname_skip(pkt, len, &pos) != 0 || len - pos < RR_FIXED_LEN)
			return;
		size_t rdlen = wire_read_u16(pkt + pos + 8);
		if (wire_read_u16(pkt + pos) == WIRE_TYPE_OPT || len - pos - RR_FIXED_LEN < rdlen)
			return;
		pos += RR_FIXED_LEN + rdlen;
	}
	if (parse_additional(pkt, len, pos, wire_read_u16(pkt + 10), &tmp) == 0)
		*q = tmp;
}

int wire_query_parse(const uint8_t *pkt, size_t len, struct wire_query *q)
{
	memset(q, 0, sizeof(*q));
	q->pkt = pkt;
	q->len = len;
	if (len < WIRE_HDR_LEN)
		return ERR_SHORT;
	q->id = wire_read_u16(pkt);
	q->flags = wire_read_u16(pkt + 2);
	q->opcode = (uint8_t)((q->flags >> 11) & 0x0f);
	/* A response sent to a server port is never answered (no reflection loops). */
	if (q->flags & WIRE_FLAG_QR)
		return ERR_SHORT;
	/* With several questions the first still fills q for the reply (RFC 9619). */
	uint16_t qdcount = wire_read_u16(pkt + 4);
	if (qdcount > 0)
		(void)parse_question(pkt, len, q);
	bool one_question = qdcount == 1 && q->has_question;
	if (q->opcode != 0 || wire_read_u16(pkt + 6) != 0 || wire_read_u16(pkt + 8) != 0) {
		if (one_question)
			parse_edns_lenient(pkt, len, q);
		return q->opcode != 0 ? ERR_NOTIMP : ERR_FORMERR;
	}
	if (!one_question)
		return ERR_FORMERR;
	if (parse_additional(pkt, len, q->question_end, wire_read_u16(pkt + 10), q) != 0)
		return ERR_FORMERR;
	/* RFC 6891 §6.1.3: a version we do not speak gets BADVERS. */
	if (q->has_edns && q->edns_version > 0)
		return ERR_BADVERS;
	return 0;
}

/* RFC 6891 §6.2.5: sizes below 512 are treated as 512. */
uint16_t wire_query_udp_limit(const struct wire_query *q, uint16_t max)
{
	if (max < 512)
		max = 512;
	if (!q->has_edns || q->edns_udp_size <= 512)
		return 512;
	return q->edns_udp_size < max ? q->edns_udp_size : max;
}
