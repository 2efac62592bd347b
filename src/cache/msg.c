/*
 * msg.c - the message cache: whole replies kept as wire bytes with the
 * offsets of their TTL fields, so a hit is one copy and a few 4-byte patches
 * under one shard lock, with no allocation and no ldns object (DESIGN.md
 * "The hot path").
 *
 * Key: kind byte, lower-cased qname (RFC 4343: names compare without case),
 * qtype, qclass and the flags that change the answer (CD, DO).
 *
 * Also what the management commands need to know about a stored reply:
 * whether it is bogus or negative (the flushes), and its text-ready copy
 * (the dump, dump.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

/* Most records a cached reply may hold; bigger replies are not cached. */
#define MSG_RRS_MAX 1024

/* The value: this header, nttl TTL offsets, then the reply bytes. */
struct msg_value {
	time_t stored_at;
	uint32_t len;
	uint32_t nttl;
	int32_t ede; /* RFC 8914 code to attach to every copy, -1 for none */
};

struct msg_read {
	uint8_t *out;
	size_t cap;
	size_t *outlen;
	int *ede;
};

static const uint16_t *msg_offsets(const struct msg_value *v)
{
	return (const uint16_t *)(v + 1);
}

static const uint8_t *msg_wire(const struct msg_value *v)
{
	return (const uint8_t *)(msg_offsets(v) + v->nttl);
}

/* Build the key into key[CACHE__KEY_MAX]; its length, or 0 for a bad name. */
static size_t msg_key(uint8_t *key, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                      uint8_t flags)
{
	if (qname == NULL)
		return 0;
	size_t n = wire_dname_len(qname);
	if (n == 0 || n > WIRE_DNAME_MAX)
		return 0;
	key[0] = CACHE__KIND_MSG;
	memcpy(key + 1, qname, n);
	wire_dname_to_lower(key + 1);
	wire_write_u16(key + 1 + n, qtype);
	wire_write_u16(key + 3 + n, qclass);
	key[5 + n] = flags;
	return 6 + n;
}

int cache_msg_store(struct cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                    uint8_t flags, const uint8_t *wire, size_t len, uint32_t ttl, time_t now,
                    int ede)
{
	uint8_t key[CACHE__KEY_MAX];
	size_t klen = msg_key(key, qname, qtype, qclass, flags);
	if (klen == 0 || wire == NULL)
		return ERR_INVAL;
	uint16_t offsets[MSG_RRS_MAX];
	struct wire_ttl_map map = {.offsets = offsets, .cap = MSG_RRS_MAX};
	int err = wire_msg_ttl_map(wire, len, &map);
	if (err != 0)
		return err == ERR_SPACE ? ERR_SPACE : ERR_FORMERR;
	for (size_t i = 0; i < map.count; i++) {
		if ((size_t)offsets[i] + 4 > len)
			return ERR_FORMERR;
	}
	if (ttl == 0) {
		/* Nothing to keep, but the old answer is no longer the one to give. */
		cache__remove(c, key, klen);
		return 0;
	}
	size_t olen = map.count * sizeof(uint16_t);
	size_t vlen = sizeof(struct msg_value) + olen + len;
	struct cache__entry *e = cache__entry_new(key, klen, vlen, now + (time_t)ttl);
	if (e == NULL)
		return ERR_NOMEM;
	struct msg_value *v = (struct msg_value *)cache__entry_value(e);
	v->stored_at = now;
	v->len = (uint32_t)len;
	v->nttl = (uint32_t)map.count;
	v->ede = ede < 0 || ede > 0xffff ? -1 : ede;
	memcpy(v + 1, offsets, olen);
	memcpy((uint8_t *)(v + 1) + olen, wire, len);
	return cache__insert(c, e, now, NULL);
}

/* Copy the reply into out (v->len bytes) with every TTL counted down to now. */
static void msg_copy_out(const struct msg_value *v, time_t now, uint8_t *out)
{
	const uint8_t *wire = msg_wire(v);
	memcpy(out, wire, v->len);
	uint64_t elapsed = now > v->stored_at ? (uint64_t)(now - v->stored_at) : 0;
	const uint16_t *off = msg_offsets(v);
	for (uint32_t i = 0; i < v->nttl; i++) {
		uint32_t ttl = wire_read_u32(wire + off[i]);
		if (ttl & 0x80000000u)
			ttl = 0; /* RFC 2181 §8 */
		wire_write_u32(out + off[i], ttl > elapsed ? (uint32_t)(ttl - elapsed) : 0);
	}
}

/* Runs under the shard lock: copy and count the TTLs down. Allocates nothing. */
static int msg_read_cb(const struct cache__entry *e, time_t now, void *arg)
{
	struct msg_read *r = arg;
	const struct msg_value *v = (const struct msg_value *)cache__entry_cvalue(e);
	if (v->len > r->cap)
		return ERR_SPACE;
	msg_copy_out(v, now, r->out);
	*r->outlen = v->len;
	if (r->ede != NULL)
		*r->ede = v->ede;
	return 0;
}

int cache_msg_lookup(struct cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                     uint8_t flags, time_t now, uint8_t *out, size_t cap, size_t *outlen, int *ede)
{
	uint8_t key[CACHE__KEY_MAX];
	size_t klen = msg_key(key, qname, qtype, qclass, flags);
	if (klen == 0)
		return ERR_NOTFOUND;
	struct msg_read r = {.out = out, .cap = cap, .outlen = outlen, .ede = ede};
	return cache__lookup(c, key, klen, now, msg_read_cb, &r);
}

/* ---- management: selective flushes, reading copies for the dump ---- */

int cache__msg_read(const struct cache__copy *e, time_t now, struct cache__msg_info *out)
{
	const struct msg_value *v = (const struct msg_value *)(const void *)e->value;
	if (e->vlen < sizeof(*v) || (e->vlen - sizeof(*v)) / sizeof(uint16_t) < v->nttl ||
	    e->vlen - sizeof(*v) - v->nttl * sizeof(uint16_t) != v->len)
		return ERR_FORMERR;
	out->wire = malloc(v->len > 0 ? v->len : 1);
	if (out->wire == NULL)
		return ERR_NOMEM;
	msg_copy_out(v, now, out->wire);
	out->len = v->len;
	out->ede = v->ede;
	return 0;
}

/* The stored reply's rcode, or -1 when it has no header. */
static int msg_rcode(const struct msg_value *v)
{
	return v->len >= WIRE_HDR_LEN ? wire_read_u16(msg_wire(v) + 2) & 0x000f : -1;
}

/*
 * Runs under a shard lock. answer.c caches a SERVFAIL only for an answer the
 * validator found bogus (other failures are not cached), with the EDE code
 * it gave (RFC 8914 §4.7-4.13 mostly; 22 when the chain could not be
 * fetched), so the rcode alone tells a cached bogus answer.
 */
static bool bogus_cb(const struct cache__entry *e, void *arg)
{
	if (e->klen == 0 || cache__entry_ckey(e)[0] != CACHE__KIND_MSG)
		return false;
	const struct msg_value *v = (const struct msg_value *)cache__entry_cvalue(e);
	return msg_rcode(v) == WIRE_RCODE_SERVFAIL;
}

long cache_flush_bogus(struct cache *c)
{
	if (c == NULL)
		return ERR_INVAL;
	return (long)cache__remove_if(c, bogus_cb, NULL);
}

/*
 * Runs under a shard lock. RFC 2308 §2: NXDOMAIN, or NODATA, a NOERROR reply
 * with no record of the question's type in the answer section (a CNAME
 * chain that ends without one is NODATA for its target). The answer records
 * are the first ancount entries of the TTL map (OPT is only ever in the
 * additional section), and a record's type sits 4 bytes before its TTL.
 */
static bool negative_cb(const struct cache__entry *e, void *arg)
{
	const uint8_t *key = cache__entry_ckey(e);
	size_t n = cache__key_name_len(key, e->klen);
	if (key[0] != CACHE__KIND_MSG || n == 0 || e->klen < 1 + n + 4)
		return false;
	uint16_t qtype = wire_read_u16(key + 1 + n);
	const struct msg_value *v = (const struct msg_value *)cache__entry_cvalue(e);
	int rcode = msg_rcode(v);
	if (qtype == CACHE_MSG_TYPE_DENIAL || rcode == WIRE_RCODE_NXDOMAIN)
		return true;
	if (rcode != WIRE_RCODE_NOERROR)
		return false;
	const uint8_t *wire = msg_wire(v);
	const uint16_t *off = msg_offsets(v);
	uint32_t an = wire_read_u16(wire + 6);
	for (uint32_t i = 0; i < an && i < v->nttl; i++) {
		if (qtype == WIRE_TYPE_ANY || wire_read_u16(wire + off[i] - 4) == qtype)
			return false;
	}
	return true;
}

long cache_flush_negative(struct cache *c)
{
	if (c == NULL)
		return ERR_INVAL;
	return (long)cache__remove_if(c, negative_cb, NULL);
}
