/*
 * cache_util.c - helpers shared by the cache unit tests (cache_util.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache_util.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

void dname(const char *text, uint8_t *out)
{
	assert_int_equal(wire_dname_from_str(text, out, NULL), 0);
}

/*
 * A reply to name/A carrying n A records (owner compressed to the question),
 * each with the given TTL and rdata tag + i. Returns its length.
 */
size_t make_reply(uint8_t *buf, size_t cap, const char *name, unsigned n, uint32_t ttl,
                  uint32_t tag)
{
	uint8_t q[WIRE_DNAME_MAX];
	size_t qlen;
	assert_int_equal(wire_dname_from_str(name, q, &qlen), 0);
	size_t len = WIRE_HDR_LEN + qlen + 4 + (size_t)n * 16;
	assert_true(len <= cap && n <= 65535);
	memset(buf, 0, WIRE_HDR_LEN);
	wire_write_u16(buf, 0x1234);
	wire_write_u16(buf + 2, WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA);
	wire_write_u16(buf + 4, 1);
	wire_write_u16(buf + 6, (uint16_t)n);
	size_t pos = WIRE_HDR_LEN;
	memcpy(buf + pos, q, qlen);
	pos += qlen;
	wire_write_u16(buf + pos, WIRE_TYPE_A);
	wire_write_u16(buf + pos + 2, WIRE_CLASS_IN);
	pos += 4;
	for (unsigned i = 0; i < n; i++) {
		wire_write_u16(buf + pos, 0xc000 | WIRE_HDR_LEN);
		wire_write_u16(buf + pos + 2, WIRE_TYPE_A);
		wire_write_u16(buf + pos + 4, WIRE_CLASS_IN);
		wire_write_u32(buf + pos + 6, ttl);
		wire_write_u16(buf + pos + 10, 4);
		wire_write_u32(buf + pos + 12, tag + i);
		pos += 16;
	}
	return pos;
}

/* The TTL of answer record i in a reply made by make_reply. */
uint32_t reply_ttl(const uint8_t *buf, size_t qlen, unsigned i)
{
	return wire_read_u32(buf + WIRE_HDR_LEN + qlen + 4 + (size_t)i * 16 + 6);
}

uint32_t reply_tag(const uint8_t *buf, size_t qlen, unsigned i)
{
	return wire_read_u32(buf + WIRE_HDR_LEN + qlen + 4 + (size_t)i * 16 + 12);
}

int store_a(struct cache *c, const char *name, uint8_t flags, unsigned n, uint32_t ttl,
            uint32_t tag, time_t now)
{
	uint8_t q[WIRE_DNAME_MAX], wire[512];
	dname(name, q);
	size_t len = make_reply(wire, sizeof(wire), name, n, ttl, tag);
	return cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, flags, wire, len, ttl, now, -1);
}

int lookup_a(struct cache *c, const char *name, uint8_t flags, time_t now, uint8_t *out, size_t cap,
             size_t *outlen)
{
	uint8_t q[WIRE_DNAME_MAX];
	dname(name, q);
	return cache_msg_lookup(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, flags, now, out, cap, outlen,
	                        NULL);
}

bool present(struct cache *c, const char *name, time_t now)
{
	uint8_t out[512];
	size_t len;
	return lookup_a(c, name, 0, now, out, sizeof(out), &len) == 0;
}

ldns_rr_list *rrs(const char *first, ...)
{
	ldns_rr_list *list = ldns_rr_list_new();
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_rr_list_push_rr(list, rr);
	}
	va_end(ap);
	return list;
}

ldns_rr_list *rrset_get(struct cache *c, const char *owner, ldns_rr_type type, time_t now,
                        enum cache_trust *trust, ldns_rr_list **sigs)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	assert_non_null(o);
	ldns_rr_list *l = cache_rrset_lookup(c, o, type, LDNS_RR_CLASS_IN, now, trust, sigs);
	ldns_rdf_deep_free(o);
	return l;
}

int rrset_put(struct cache *c, ldns_rr_list *set, ldns_rr_list *sigs, enum cache_trust trust,
              time_t now)
{
	int rc = cache_rrset_store(c, set, sigs, trust, now);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	return rc;
}

/* Bytes one entry made by store_a(c, name, ..., n, ...) is charged. */
uint64_t msg_entry_bytes(const char *name, unsigned n)
{
	struct cache *c = cache_new(1 << 20, 1);
	struct cache_stats before, after;
	cache_stats_get(c, &before);
	assert_int_equal(store_a(c, name, 0, n, 300, 0, T0), 0);
	cache_stats_get(c, &after);
	cache_free(c);
	return after.bytes - before.bytes;
}

struct sa addr(const char *text)
{
	struct sa a;
	assert_int_equal(sa_parse(text, 53, &a), 0);
	return a;
}
