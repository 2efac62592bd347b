/*
 * edns.c - OPT records (RFC 6891), error replies built straight from a parsed
 * query, and the TTL map of a whole message used to patch cached answers.
 * Nothing here allocates.
 */
#include "config.h"

#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define OPT_FIXED_LEN 11 /* root owner, type, class, TTL, RDLENGTH */
#define RR_FIXED_LEN  10 /* type, class, TTL, RDLENGTH after the owner */
#define EDNS_DO_BIT   0x8000u

size_t wire_edns_write(uint8_t *out, size_t cap, uint16_t udp_size, uint16_t rcode, bool do_bit,
                       const struct wire_ede *ede)
{
	size_t rdlen = 0;
	size_t text_len = 0;
	bool with_ede = ede != NULL && ede->code >= 0 && ede->code <= 0xffff;
	if (with_ede) {
		text_len = ede->text != NULL ? strlen(ede->text) : 0;
		rdlen = 4 + 2 + text_len; /* option code, length, INFO-CODE, text */
	}
	if (rdlen > 0xffff || cap < OPT_FIXED_LEN || cap - OPT_FIXED_LEN < rdlen)
		return 0;
	out[0] = 0; /* RFC 6891 §6.1.2: the owner is the root */
	wire_write_u16(out + 1, WIRE_TYPE_OPT);
	wire_write_u16(out + 3, udp_size);
	/* RFC 6891 §6.1.3: EXTENDED-RCODE holds the upper 8 bits of the 12-bit
	 * rcode; VERSION is 0; then the DO bit (RFC 3225). */
	uint32_t ttl = ((uint32_t)((rcode >> 4) & 0xff) << 24) | (do_bit ? EDNS_DO_BIT : 0);
	wire_write_u32(out + 5, ttl);
	wire_write_u16(out + 9, (uint16_t)rdlen);
	if (with_ede) {
		/* RFC 8914 §2: INFO-CODE then UTF-8 EXTRA-TEXT, not NUL-terminated. */
		uint8_t *o = out + OPT_FIXED_LEN;
		wire_write_u16(o, WIRE_EDNS_EDE);
		wire_write_u16(o + 2, (uint16_t)(2 + text_len));
		wire_write_u16(o + 4, (uint16_t)ede->code);
		if (text_len > 0)
			memcpy(o + 6, ede->text, text_len);
	}
	return OPT_FIXED_LEN + rdlen;
}

/*
 * An rcode above 15 needs an OPT to carry its upper bits (RFC 6891 §6.1.3).
 * Without one it cannot be expressed, and a truncated value would lie (16
 * would read as NOERROR), so such replies say SERVFAIL instead.
 */
size_t wire_reply_error(const struct wire_query *q, uint16_t rcode, const struct wire_ede *ede,
                        uint16_t udp_size, uint8_t *out, size_t cap)
{
	if (rcode > 15 && !q->has_edns)
		rcode = WIRE_RCODE_SERVFAIL;
	if (cap < WIRE_HDR_LEN)
		return 0;
	uint16_t flags = (uint16_t)(WIRE_FLAG_QR | ((q->opcode & 0x0fu) << 11) |
	                            (q->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD)) | WIRE_FLAG_RA |
	                            (rcode & 0x0fu));
	wire_write_u16(out, q->id);
	wire_write_u16(out + 2, flags);
	wire_write_u16(out + 4, q->has_question ? 1 : 0);
	wire_write_u16(out + 6, 0);
	wire_write_u16(out + 8, 0);
	wire_write_u16(out + 10, q->has_edns ? 1 : 0);
	size_t n = WIRE_HDR_LEN;
	if (q->has_question) {
		/* The question as sent, case kept (RFC 1035 §7.3 matching by the client). */
		size_t qlen = q->qname_len + 4;
		if (cap - n < qlen)
			return 0;
		memcpy(out + n, q->qname, q->qname_len);
		wire_write_u16(out + n + q->qname_len, q->qtype);
		wire_write_u16(out + n + q->qname_len + 2, q->qclass);
		n += qlen;
	}
	if (q->has_edns) {
		size_t k = wire_edns_write(out + n, cap - n, udp_size, rcode, q->edns_do, ede);
		if (k == 0)
			return 0;
		n += k;
	}
	return n;
}

/* Skip the question section. */
static int skip_questions(const uint8_t *pkt, size_t len, size_t *pos, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (wire_dname_skip(pkt, len, pos) != 0)
			return ERR_FORMERR;
		if (len - *pos < 4)
			return ERR_FORMERR;
		*pos += 4;
	}
	return 0;
}

/* Record one TTL; RFC 2181 §8: a TTL with the top bit set counts as 0. */
static int map_add(struct wire_ttl_map *map, size_t off, uint32_t ttl)
{
	if (map->count >= map->cap)
		return ERR_SPACE;
	map->offsets[map->count++] = (uint16_t)off;
	if (ttl & 0x80000000u)
		ttl = 0;
	if (ttl < map->min_ttl)
		map->min_ttl = ttl;
	return 0;
}

int wire_msg_ttl_map(const uint8_t *pkt, size_t len, struct wire_ttl_map *map)
{
	map->count = 0;
	map->min_ttl = UINT32_MAX;
	if (len < WIRE_HDR_LEN || len > WIRE_MSG_MAX)
		return ERR_FORMERR;
	size_t pos = WIRE_HDR_LEN;
	if (skip_questions(pkt, len, &pos, wire_read_u16(pkt + 4)) != 0)
		return ERR_FORMERR;
	unsigned an = wire_read_u16(pkt + 6), ns = wire_read_u16(pkt + 8);
	unsigned total = an + ns + wire_read_u16(pkt + 10);
	bool seen_opt = false;
	for (unsigned i = 0; i < total; i++) {
		if (wire_dname_skip(pkt, len, &pos) != 0 || len - pos < RR_FIXED_LEN)
			return ERR_FORMERR;
		uint16_t type = wire_read_u16(pkt + pos);
		size_t rdlen = wire_read_u16(pkt + pos + 8);
		if (len - pos - RR_FIXED_LEN < rdlen)
			return ERR_FORMERR;
		if (type == WIRE_TYPE_OPT) {
			/* RFC 6891 §6.1.1: at most one OPT, only in the additional section. */
			if (seen_opt || i < an + ns)
				return ERR_FORMERR;
			seen_opt = true;
		} else {
			int err = map_add(map, pos + 4, wire_read_u32(pkt + pos + 4));
			if (err != 0)
				return err;
		}
		pos += RR_FIXED_LEN + rdlen;
	}
	return pos == len ? 0 : ERR_FORMERR;
}
