/*
 * cache_util.h - helpers shared by the cache unit tests (test_cache.c,
 * test_cache_mgmt.c): building replies and RRsets, storing and looking up.
 */
#ifndef MANGROVE_TEST_CACHE_UTIL_H
#define MANGROVE_TEST_CACHE_UTIL_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mangrove/cache.h"
#include "mangrove/sockaddr.h"

#define T0 1700000000

/** A wire name from text (asserts it parses). */
void dname(const char *text, uint8_t *out);
/** A reply to name/A with n A records of the given TTL, rdata tag + i; its length. */
size_t make_reply(uint8_t *buf, size_t cap, const char *name, unsigned n, uint32_t ttl,
                  uint32_t tag);
/** The TTL of answer record i in a reply made by make_reply(). */
uint32_t reply_ttl(const uint8_t *buf, size_t qlen, unsigned i);
/** The rdata tag of answer record i in a reply made by make_reply(). */
uint32_t reply_tag(const uint8_t *buf, size_t qlen, unsigned i);
/** Store make_reply(name, n, ttl) as the answer to name/A. */
int store_a(struct cache *c, const char *name, uint8_t flags, unsigned n, uint32_t ttl,
            uint32_t tag, time_t now);
/** Look name/A up in the message cache. */
int lookup_a(struct cache *c, const char *name, uint8_t flags, time_t now, uint8_t *out, size_t cap,
             size_t *outlen);
/** True when name/A is in the message cache at now. */
bool present(struct cache *c, const char *name, time_t now);
/** An RR list from presentation lines, NULL-terminated. */
ldns_rr_list *rrs(const char *first, ...);
/** cache_rrset_lookup() with a text owner. */
ldns_rr_list *rrset_get(struct cache *c, const char *owner, ldns_rr_type type, time_t now,
                        enum cache_trust *trust, ldns_rr_list **sigs);
/** cache_rrset_store() that frees set and sigs. */
int rrset_put(struct cache *c, ldns_rr_list *set, ldns_rr_list *sigs, enum cache_trust trust,
              time_t now);
/** Bytes one entry made by store_a(c, name, ..., n, ...) is charged. */
uint64_t msg_entry_bytes(const char *name, unsigned n);
/** A server address from text, port 53 when none given. */
struct sa addr(const char *text);

#endif
