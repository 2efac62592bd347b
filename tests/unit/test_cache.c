/*
 * test_cache.c - the sharded cache (messages, RRsets) and the infrastructure
 * cache: TTL countdown, expiry, trust rules, LRU eviction, the memory bound,
 * concurrent use, and a check that a message-cache hit allocates nothing.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/cache/cache_internal.h"
#include "mangrove/cache.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

#include "alloc_count.h"
#include "cache_util.h"

/* ---- lifecycle ---- */

static void test_cache_new_zero_shards(void **state)
{
	struct cache *c = cache_new(1 << 20, 0);
	assert_non_null(c);
	assert_int_equal(store_a(c, "a.example", 0, 1, 60, 1, T0), 0);
	assert_true(present(c, "a.example", T0));
	cache_free(c);
}

static void test_cache_new_huge_inputs(void **state)
{
	struct cache *c = cache_new(UINT64_MAX, UINT_MAX);
	assert_non_null(c);
	struct cache_stats st;
	cache_stats_get(c, &st);
	assert_true(st.max_bytes == UINT64_MAX);
	/* Capped at 1024 shards: each holds its 128-byte bucket array. */
	assert_int_equal(st.bytes, 1024 * 16 * sizeof(void *));
	assert_int_equal(store_a(c, "a.example", 0, 1, 60, 1, T0), 0);
	assert_true(present(c, "a.example", T0));
	cache_free(c);
}

static void test_cache_new_zero_bytes_refuses(void **state)
{
	struct cache *c = cache_new(0, 4);
	assert_non_null(c);
	assert_int_equal(store_a(c, "a.example", 0, 1, 60, 1, T0), ERR_SPACE);
	assert_false(present(c, "a.example", T0));
	cache_free(c);
}

static void test_cache_free_null(void **state)
{
	cache_free(NULL);
	infra_free(NULL);
}

/* ---- message cache ---- */

static void test_cache_msg_lookup_ttl_counted_down(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t orig[512], out[512];
	size_t olen = make_reply(orig, sizeof(orig), "www.example.com", 3, 300, 7);
	clock_fake_set(T0, 0);
	assert_int_equal(store_a(c, "www.example.com", 0, 3, 300, 7, clock_wall()), 0);
	clock_fake_set(T0 + 100, 100000);
	size_t len = 0;
	assert_int_equal(lookup_a(c, "www.example.com", 0, clock_wall(), out, sizeof(out), &len),
	                 0);
	clock_fake_clear();
	assert_int_equal(len, olen);
	size_t qlen = wire_dname_len(orig + WIRE_HDR_LEN);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(reply_ttl(out, qlen, i), 200);
		assert_int_equal(reply_tag(out, qlen, i), 7 + i);
		/* Everything but the TTLs is the stored reply. */
		wire_write_u32(out + WIRE_HDR_LEN + qlen + 4 + i * 16 + 6, 300);
	}
	assert_memory_equal(out, orig, olen);
	cache_free(c);
}

static void test_cache_msg_lookup_ttl_floor_zero(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t q[WIRE_DNAME_MAX], wire[512], out[512];
	dname("short.example", q);
	size_t len = make_reply(wire, sizeof(wire), "short.example", 1, 30, 1);
	/* The entry lives 100 s though the record says 30: shown as 0, never wrapped. */
	assert_int_equal(
	        cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len, 100, T0, -1), 0);
	size_t olen;
	assert_int_equal(lookup_a(c, "short.example", 0, T0 + 50, out, sizeof(out), &olen), 0);
	assert_int_equal(reply_ttl(out, wire_dname_len(q), 0), 0);
	cache_free(c);
}

static void test_cache_msg_lookup_case_insensitive(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t out[512];
	size_t len;
	assert_int_equal(store_a(c, "WWW.Example.COM", 0, 1, 300, 1, T0), 0);
	assert_int_equal(lookup_a(c, "www.example.com", 0, T0, out, sizeof(out), &len), 0);
	assert_int_equal(lookup_a(c, "wWw.eXample.com", 0, T0, out, sizeof(out), &len), 0);
	assert_int_equal(lookup_a(c, "www.example.net", 0, T0, out, sizeof(out), &len),
	                 ERR_NOTFOUND);
	cache_free(c);
}

static void test_cache_msg_lookup_flags_distinguish(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t out[512];
	size_t len;
	size_t qlen = wire_dname_len((const uint8_t *)"\1a\7example\0");
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 100, T0), 0);
	assert_int_equal(lookup_a(c, "a.example", CACHE_MSG_DO, T0, out, sizeof(out), &len),
	                 ERR_NOTFOUND);
	assert_int_equal(store_a(c, "a.example", CACHE_MSG_DO, 1, 300, 200, T0), 0);
	assert_int_equal(store_a(c, "a.example", CACHE_MSG_CD, 1, 300, 300, T0), 0);
	assert_int_equal(lookup_a(c, "a.example", 0, T0, out, sizeof(out), &len), 0);
	assert_int_equal(reply_tag(out, qlen, 0), 100);
	assert_int_equal(lookup_a(c, "a.example", CACHE_MSG_DO, T0, out, sizeof(out), &len), 0);
	assert_int_equal(reply_tag(out, qlen, 0), 200);
	assert_int_equal(lookup_a(c, "a.example", CACHE_MSG_CD, T0, out, sizeof(out), &len), 0);
	assert_int_equal(reply_tag(out, qlen, 0), 300);
	cache_free(c);
}

static void test_cache_msg_lookup_type_distinguishes(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t q[WIRE_DNAME_MAX], out[512];
	size_t len;
	dname("a.example", q);
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(cache_msg_lookup(c, q, WIRE_TYPE_AAAA, WIRE_CLASS_IN, 0, T0, out,
	                                  sizeof(out), &len, NULL),
	                 ERR_NOTFOUND);
	assert_int_equal(
	        cache_msg_lookup(c, q, WIRE_TYPE_A, 3, 0, T0, out, sizeof(out), &len, NULL),
	        ERR_NOTFOUND);
	cache_free(c);
}

static void test_cache_msg_lookup_expired(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct cache_stats st;
	assert_int_equal(store_a(c, "a.example", 0, 1, 60, 1, T0), 0);
	assert_true(present(c, "a.example", T0 + 59));
	assert_false(present(c, "a.example", T0 + 60));
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 0); /* removed when found expired */
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	cache_free(c);
}

static void test_cache_msg_store_replaces(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t out[512];
	size_t len;
	struct cache_stats st;
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "A.example", 0, 2, 600, 50, T0 + 10), 0);
	assert_int_equal(lookup_a(c, "a.example", 0, T0 + 20, out, sizeof(out), &len), 0);
	assert_int_equal(wire_read_u16(out + 6), 2);
	assert_int_equal(reply_tag(out, 11, 1), 51);
	assert_int_equal(reply_ttl(out, 11, 0), 590);
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.inserts, 2);
	cache_free(c);
}

static void test_cache_msg_store_ttl_zero_removes(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct cache_stats st;
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "a.example", 0, 1, 0, 1, T0), 0);
	assert_false(present(c, "a.example", T0));
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 0);
	cache_free(c);
}

static void test_cache_msg_lookup_out_too_small(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t out[512];
	size_t len;
	assert_int_equal(store_a(c, "a.example", 0, 4, 300, 1, T0), 0);
	assert_int_equal(lookup_a(c, "a.example", 0, T0, out, 40, &len), ERR_SPACE);
	assert_int_equal(lookup_a(c, "a.example", 0, T0, out, sizeof(out), &len), 0);
	assert_int_equal(len, WIRE_HDR_LEN + 11 + 4 + 4 * 16);
	cache_free(c);
}

static void test_cache_msg_store_formerr(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t q[WIRE_DNAME_MAX], wire[512];
	dname("a.example", q);
	size_t len = make_reply(wire, sizeof(wire), "a.example", 2, 300, 1);
	/* Truncated in the middle of the last record. */
	assert_int_equal(
	        cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len - 3, 300, T0, -1),
	        ERR_FORMERR);
	assert_int_equal(cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, 5, 300, T0, -1),
	                 ERR_FORMERR);
	assert_false(present(c, "a.example", T0));
	cache_free(c);
}

static void test_cache_msg_store_too_many_records(void **state)
{
	struct cache *c = cache_new(1 << 24, 1);
	static uint8_t wire[WIRE_HDR_LEN + 64 + 1025 * 16];
	uint8_t q[WIRE_DNAME_MAX];
	dname("big.example", q);
	size_t len = make_reply(wire, sizeof(wire), "big.example", 1025, 300, 1);
	assert_int_equal(
	        cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len, 300, T0, -1),
	        ERR_SPACE);
	len = make_reply(wire, sizeof(wire), "big.example", 1024, 300, 1);
	assert_int_equal(
	        cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len, 300, T0, -1), 0);
	cache_free(c);
}

static void test_cache_msg_store_bad_qname(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t wire[512], out[512];
	size_t len = make_reply(wire, sizeof(wire), "a.example", 1, 300, 1);
	assert_int_equal(
	        cache_msg_store(c, NULL, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len, 300, T0, -1),
	        ERR_INVAL);
	assert_int_equal(cache_msg_lookup(c, NULL, WIRE_TYPE_A, WIRE_CLASS_IN, 0, T0, out,
	                                  sizeof(out), &len, NULL),
	                 ERR_NOTFOUND);
	cache_free(c);
}

static void test_cache_msg_lookup_no_alloc(void **state)
{
#ifdef COUNT_ALLOCS
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t q[WIRE_DNAME_MAX], out[512];
	size_t len;
	dname("www.Example.com", q);
	assert_int_equal(store_a(c, "www.example.com", 0, 3, 300, 1, T0), 0);
	/* The counter is live: the store path allocates and is seen. */
	alloc_calls = 0;
	alloc_counting = 1;
	int rc = store_a(c, "other.example.com", 0, 1, 300, 1, T0);
	alloc_counting = 0;
	assert_int_equal(rc, 0);
	assert_true(alloc_calls > 0);

	alloc_calls = 0;
	alloc_counting = 1;
	rc = cache_msg_lookup(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, T0 + 5, out, sizeof(out), &len,
	                      NULL);
	alloc_counting = 0;
	assert_int_equal(rc, 0);
	assert_int_equal(alloc_calls, 0);
	cache_free(c);
#else
	skip();
#endif
}

/* ---- shard: LRU and memory ---- */

static void test_cache__insert_evicts_lru(void **state)
{
	uint64_t each = msg_entry_bytes("n1.example", 1);
	/* One shard: the bucket array plus room for three entries, not four. */
	struct cache *c = cache_new(16 * sizeof(void *) + 3 * each + each / 2, 1);
	struct cache_stats st;
	assert_int_equal(store_a(c, "n1.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "n2.example", 0, 1, 300, 2, T0), 0);
	assert_int_equal(store_a(c, "n3.example", 0, 1, 300, 3, T0), 0);
	assert_true(present(c, "n1.example", T0)); /* n2 is now the least recently used */
	assert_int_equal(store_a(c, "n4.example", 0, 1, 300, 4, T0), 0);
	assert_false(present(c, "n2.example", T0));
	assert_true(present(c, "n1.example", T0));
	assert_true(present(c, "n3.example", T0));
	assert_true(present(c, "n4.example", T0));
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.bytes, 16 * sizeof(void *) + 3 * each);
	cache_free(c);
}

static void test_cache_stats_by_kind(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	uint8_t out[512];
	size_t len;
	assert_int_equal(store_a(c, "a.example", 0, 2, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "b.example", 0, 2, 300, 1, T0), 0);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 192.0.2.1", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	assert_int_equal(lookup_a(c, "a.example", 0, T0, out, sizeof(out), &len), 0);
	assert_int_equal(lookup_a(c, "c.example", 0, T0, out, sizeof(out), &len), ERR_NOTFOUND);
	ldns_rr_list *got = rrset_get(c, "ns1.example.", LDNS_RR_TYPE_A, T0, NULL, NULL);
	assert_non_null(got);
	ldns_rr_list_deep_free(got);
	struct cache_stats cs;
	cache_stats_get(c, &cs);
	const struct cache_kind_stats *m = &cs.kind[CACHE_KIND_MSG],
	                              *r = &cs.kind[CACHE_KIND_RRSET];
	assert_int_equal(m->entries, 2);
	assert_int_equal(r->entries, 1);
	assert_int_equal(m->entries + r->entries, cs.entries);
	assert_int_equal(m->inserts, 2);
	assert_int_equal(r->inserts, 1);
	assert_int_equal(m->hits, 1);
	assert_int_equal(m->misses, 1);
	assert_int_equal(r->hits, 1);
	assert_int_equal(m->bytes, 2 * msg_entry_bytes("a.example", 2));
	assert_true(r->bytes > 0 && m->bytes + r->bytes < cs.bytes); /* + the bucket arrays */
	cache_flush(c);
	cache_stats_get(c, &cs);
	assert_int_equal(cs.kind[CACHE_KIND_MSG].entries + cs.kind[CACHE_KIND_RRSET].entries, 0);
	assert_int_equal(cs.kind[CACHE_KIND_MSG].bytes + cs.kind[CACHE_KIND_RRSET].bytes, 0);
	cache_free(c);
}

static void test_cache_stats_bytes_within_max(void **state)
{
	const uint64_t max = 64 * 1024;
	struct cache *c = cache_new(max, 4);
	struct cache_stats st;
	char name[64];
	for (unsigned i = 0; i < 4000; i++) {
		snprintf(name, sizeof(name), "host%u.example.com", i);
		assert_int_equal(store_a(c, name, 0, 1 + i % 8, 300, i, T0), 0);
		if (i % 500 == 0) {
			cache_stats_get(c, &st);
			assert_true(st.bytes <= max);
		}
	}
	cache_stats_get(c, &st);
	assert_true(st.bytes <= max);
	assert_true(st.bytes > max / 2);
	assert_int_equal(st.inserts, 4000);
	assert_true(st.evictions > 3000);
	assert_int_equal(st.entries, st.inserts - st.evictions);
	/* Charged at least what was stored. */
	assert_true(st.bytes >= st.entries * (CACHE__ENTRY_OVERHEAD + 12 + 16));
	snprintf(name, sizeof(name), "host%u.example.com", 3999);
	assert_true(present(c, name, T0));
	assert_false(present(c, "host0.example.com", T0));
	cache_free(c);
}

static void test_cache__insert_larger_than_shard(void **state)
{
	struct cache *c = cache_new(8192, 4); /* 2048 bytes per shard */
	static uint8_t wire[WIRE_HDR_LEN + 64 + 200 * 16];
	uint8_t q[WIRE_DNAME_MAX];
	struct cache_stats st;
	char name[32];
	for (unsigned i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%u.example", i);
		assert_int_equal(store_a(c, name, 0, 1, 300, i, T0), 0);
	}
	cache_stats_get(c, &st);
	uint64_t entries = st.entries;
	dname("big.example", q);
	size_t len = make_reply(wire, sizeof(wire), "big.example", 200, 300, 1);
	assert_int_equal(
	        cache_msg_store(c, q, WIRE_TYPE_A, WIRE_CLASS_IN, 0, wire, len, 300, T0, -1),
	        ERR_SPACE);
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, entries); /* nothing evicted for it */
	assert_int_equal(st.evictions, 0);
	cache_free(c);
}

static void test_cache_flush_empties(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	struct cache_stats st;
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(store_a(c, "b.example", 0, 1, 300, 1, T0), 0);
	cache_flush(c);
	assert_false(present(c, "a.example", T0));
	assert_false(present(c, "b.example", T0));
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 4 * 16 * sizeof(void *));
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_true(present(c, "a.example", T0));
	cache_free(c);
}

/* ---- concurrency ---- */

#define THREAD_OPS 20000

struct worker_arg {
	struct cache *c;
	unsigned id;
	unsigned long lookups;
	unsigned long stores;
	unsigned long bad;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	uint8_t out[512];
	char name[64];
	for (unsigned i = 0; i < THREAD_OPS; i++) {
		/*
		 * Half the keys are shared by both threads, half are this thread's
		 * own; 293 is prime, so stores and lookups reach every key.
		 */
		unsigned k = (i * 7919u) % 293;
		if (k % 2 == 1)
			snprintf(name, sizeof(name), "own%u-%u.example", a->id, k);
		else
			snprintf(name, sizeof(name), "shared%u.example", k);
		uint32_t tag = k * 16 + (k % 2 == 1 ? a->id : 0);
		size_t len;
		if (i % 3 == 0) {
			if (store_a(a->c, name, 0, 1 + k % 4, 300, tag, T0) == 0)
				a->stores++;
		} else {
			a->lookups++;
			if (lookup_a(a->c, name, 0, T0, out, sizeof(out), &len) == 0) {
				size_t qlen = wire_dname_len(out + WIRE_HDR_LEN);
				/* The copy is whole and is the one stored under this name. */
				if (len != WIRE_HDR_LEN + qlen + 4 + (1 + k % 4) * 16 ||
				    reply_tag(out, qlen, 0) != tag)
					a->bad++;
			}
		}
	}
	return NULL;
}

static void test_cache_msg_concurrent(void **state)
{
	const uint64_t max = 48 * 1024; /* small: the threads also race evictions */
	struct cache *c = cache_new(max, 4);
	struct worker_arg a[2] = {{.c = c, .id = 1}, {.c = c, .id = 2}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	struct cache_stats st;
	cache_stats_get(c, &st);
	assert_int_equal(a[0].bad + a[1].bad, 0);
	assert_int_equal(st.hits + st.misses, a[0].lookups + a[1].lookups);
	assert_int_equal(st.inserts, a[0].stores + a[1].stores);
	assert_true(st.hits > 0);
	assert_true(st.bytes <= max);
	/* Replacements free the old entry without counting an eviction. */
	assert_true(st.entries <= st.inserts - st.evictions);
	assert_true(st.entries <= 147 + 2 * 146); /* shared keys + each thread's own */
	cache_free(c);
}

static int count_write(const char *text, size_t len, void *arg)
{
	size_t *entries = arg;
	/* Each entry is written in one piece starting with its directive. */
	if (len > 0 && text[0] == '$' && strncmp(text, "$END", 4) != 0)
		(*entries)++;
	return 0;
}

static void test_cache_flush_dump_concurrent(void **state)
{
	/* Flushes and dumps walk the shards while two threads store and look up. */
	const uint64_t max = 48 * 1024;
	struct cache *c = cache_new(max, 4);
	struct worker_arg a[2] = {{.c = c, .id = 1}, {.c = c, .id = 2}};
	pthread_t t[2];
	uint8_t zone[WIRE_DNAME_MAX];
	dname("example", zone);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
	for (int i = 0; i < 50; i++) {
		size_t entries = 0;
		assert_int_equal(cache_dump(c, T0, count_write, &entries), 0);
		assert_true(cache_flush_negative(c) == 0);
		assert_true(cache_flush_zone(c, zone) >= 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(a[0].bad + a[1].bad, 0);
	struct cache_stats st;
	cache_stats_get(c, &st);
	assert_true(st.bytes <= max);
	size_t entries = 0;
	assert_int_equal(cache_dump(c, T0, count_write, &entries), 0);
	assert_int_equal(entries, st.entries);
	assert_true(cache_flush_zone(c, (const uint8_t *)"") == (long)st.entries);
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 0);
	cache_free(c);
}

/* ---- RRset cache ---- */

static void test_cache_rrset_lookup_round_trip(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *set = rrs("www.example.com. 300 IN A 192.0.2.1",
	                        "www.example.com. 300 IN A 192.0.2.2", NULL);
	ldns_rr_list *expect = ldns_rr_list_clone(set);
	assert_int_equal(rrset_put(c, set, NULL, CACHE_TRUST_ANSWER_AA, T0), 0);
	enum cache_trust trust = CACHE_TRUST_HINT;
	ldns_rr_list *sigs = (ldns_rr_list *)1;
	ldns_rr_list *got =
	        rrset_get(c, "www.example.com.", LDNS_RR_TYPE_A, T0 + 100, &trust, &sigs);
	assert_non_null(got);
	assert_null(sigs);
	assert_int_equal(trust, CACHE_TRUST_ANSWER_AA);
	assert_int_equal(ldns_rr_list_rr_count(got), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, i)), 200);
		ldns_rr_set_ttl(ldns_rr_list_rr(expect, i), 200);
		assert_int_equal(
		        ldns_rr_compare(ldns_rr_list_rr(got, i), ldns_rr_list_rr(expect, i)), 0);
	}
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(expect);
	cache_free(c);
}

/*
 * Records with large RDATA, at every length over a range, so that one of
 * them ends exactly where the serialisation buffer does: the next length
 * field must grow the buffer, not write past it.
 */
static void test_cache_rrset_store_large_rdata(void **state)
{
	struct cache *c = cache_new(16 << 20, 4);
	char text[2200];
	for (size_t n = 600; n < 1200; n++) {
		ldns_rr_list *set = ldns_rr_list_new();
		for (int k = 0; k < 2; k++) {
			/* One TXT record: several 200-octet strings, n octets of text in all. */
			size_t pos =
			        (size_t)snprintf(text, sizeof(text), "big.example. 300 IN TXT");
			for (size_t left = n; left > 0;) {
				size_t chunk = left > 200 ? 200 : left;
				text[pos++] = ' ';
				text[pos++] = '"';
				memset(text + pos, k ? 'b' : 'a', chunk);
				pos += chunk;
				text[pos++] = '"';
				left -= chunk;
			}
			text[pos] = '\0';
			ldns_rr *rr = NULL;
			assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL),
			                 LDNS_STATUS_OK);
			ldns_rr_list_push_rr(set, rr);
		}
		assert_int_equal(cache_rrset_store(c, set, NULL, CACHE_TRUST_ANSWER_AA, T0), 0);
		ldns_rr_list *got =
		        cache_rrset_lookup(c, ldns_rr_owner(ldns_rr_list_rr(set, 0)),
		                           LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, T0, NULL, NULL);
		assert_non_null(got);
		assert_int_equal(ldns_rr_list_rr_count(got), 2);
		ldns_rr_list_deep_free(got);
		ldns_rr_list_deep_free(set);
	}
	cache_free(c);
}

static void test_cache_rrset_store_min_ttl(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *set = rrs("ns.example. 300 IN AAAA 2001:db8::1",
	                        "ns.example. 100 IN AAAA 2001:db8::2", NULL);
	assert_int_equal(rrset_put(c, set, NULL, CACHE_TRUST_GLUE, T0), 0);
	ldns_rr_list *got = rrset_get(c, "ns.example.", LDNS_RR_TYPE_AAAA, T0 + 40, NULL, NULL);
	assert_non_null(got);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, 0)), 60);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, 1)), 60);
	ldns_rr_list_deep_free(got);
	assert_null(rrset_get(c, "ns.example.", LDNS_RR_TYPE_AAAA, T0 + 100, NULL, NULL));
	cache_free(c);
}

static void test_cache_rrset_lookup_case_insensitive(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *set = rrs("WWW.Example.COM. 300 IN A 192.0.2.1", NULL);
	assert_int_equal(rrset_put(c, set, NULL, CACHE_TRUST_ANSWER_NA, T0), 0);
	ldns_rr_list *got = rrset_get(c, "www.example.com.", LDNS_RR_TYPE_A, T0, NULL, NULL);
	assert_non_null(got);
	ldns_rdf *lower = ldns_dname_new_frm_str("www.example.com.");
	/* Stored with the owner lower-cased: compare the bytes, not case-insensitively. */
	assert_int_equal(ldns_rdf_size(ldns_rr_owner(ldns_rr_list_rr(got, 0))),
	                 ldns_rdf_size(lower));
	assert_memory_equal(ldns_rdf_data(ldns_rr_owner(ldns_rr_list_rr(got, 0))),
	                    ldns_rdf_data(lower), ldns_rdf_size(lower));
	ldns_rdf_deep_free(lower);
	ldns_rr_list_deep_free(got);
	assert_null(rrset_get(c, "www.example.com.", LDNS_RR_TYPE_AAAA, T0, NULL, NULL));
	cache_free(c);
}

static void test_cache_rrset_store_lower_trust_kept_out(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	enum cache_trust trust;
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 192.0.2.1", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 198.51.100.1", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0 + 10),
	                 ERR_EXISTS);
	ldns_rr_list *got = rrset_get(c, "ns1.example.", LDNS_RR_TYPE_A, T0 + 10, &trust, NULL);
	assert_non_null(got);
	assert_int_equal(trust, CACHE_TRUST_ANSWER_AA);
	char *text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(got, 0), 0));
	assert_string_equal(text, "192.0.2.1");
	free(text);
	ldns_rr_list_deep_free(got);
	cache_free(c);
}

static void test_cache_rrset_store_higher_trust_replaces(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	enum cache_trust trust;
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 198.51.100.1", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0),
	                 0);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 192.0.2.1", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0 + 10),
	                 0);
	/* Equal trust replaces too. */
	assert_int_equal(rrset_put(c, rrs("ns1.example. 600 IN A 192.0.2.9", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0 + 20),
	                 0);
	ldns_rr_list *got = rrset_get(c, "ns1.example.", LDNS_RR_TYPE_A, T0 + 20, &trust, NULL);
	assert_non_null(got);
	assert_int_equal(trust, CACHE_TRUST_ANSWER_AA);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, 0)), 600);
	char *text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(got, 0), 0));
	assert_string_equal(text, "192.0.2.9");
	free(text);
	ldns_rr_list_deep_free(got);
	cache_free(c);
}

static void test_cache_rrset_store_expired_replaced(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	enum cache_trust trust;
	assert_int_equal(rrset_put(c, rrs("ns1.example. 60 IN A 192.0.2.1", NULL), NULL,
	                           CACHE_TRUST_ANSWER_AA, T0),
	                 0);
	assert_int_equal(rrset_put(c, rrs("ns1.example. 300 IN A 198.51.100.1", NULL), NULL,
	                           CACHE_TRUST_GLUE, T0 + 60),
	                 0);
	ldns_rr_list *got = rrset_get(c, "ns1.example.", LDNS_RR_TYPE_A, T0 + 61, &trust, NULL);
	assert_non_null(got);
	assert_int_equal(trust, CACHE_TRUST_GLUE);
	ldns_rr_list_deep_free(got);
	cache_free(c);
}

static void test_cache_rrset_lookup_sigs(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *set =
	        rrs("example. 3600 IN DNSKEY 257 3 13 "
	            "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLU"
	            "T0rAK9iUzy1L53eKGQ==",
	            NULL);
	ldns_rr_list *sigs =
	        rrs("example. 600 IN RRSIG DNSKEY 13 1 3600 20300101000000 20200101000000 "
	            "12345 example. AAAA",
	            NULL);
	ldns_rr_list *expect = ldns_rr_list_clone(sigs);
	assert_int_equal(rrset_put(c, set, sigs, CACHE_TRUST_ANSWER_AA, T0), 0);
	ldns_rr_list *got_sigs = NULL;
	ldns_rr_list *got =
	        rrset_get(c, "example.", LDNS_RR_TYPE_DNSKEY, T0 + 100, NULL, &got_sigs);
	assert_non_null(got);
	assert_non_null(got_sigs);
	assert_int_equal(ldns_rr_list_rr_count(got_sigs), 1);
	/* The set's TTL is its own (3600); the signature's TTL counts down from its own. */
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, 0)), 3500);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got_sigs, 0)), 500);
	ldns_rr_set_ttl(ldns_rr_list_rr(expect, 0), 500);
	assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(got_sigs, 0), ldns_rr_list_rr(expect, 0)),
	                 0);
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(got_sigs);
	/* Not asked for: none returned. */
	got = rrset_get(c, "example.", LDNS_RR_TYPE_DNSKEY, T0 + 100, NULL, NULL);
	assert_non_null(got);
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(expect);
	cache_free(c);
}

static void test_cache_rrset_store_sig_ttl_capped(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *set = rrs("a.example. 100 IN A 192.0.2.1", NULL);
	ldns_rr_list *sigs = rrs("a.example. 900 IN RRSIG A 13 2 100 20300101000000 "
	                         "20200101000000 12345 example. AAAA",
	                         NULL);
	assert_int_equal(rrset_put(c, set, sigs, CACHE_TRUST_ANSWER_AA, T0), 0);
	ldns_rr_list *got_sigs = NULL;
	ldns_rr_list *got = rrset_get(c, "a.example.", LDNS_RR_TYPE_A, T0, NULL, &got_sigs);
	assert_non_null(got);
	assert_non_null(got_sigs);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got_sigs, 0)), 100);
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(got_sigs);
	cache_free(c);
}

static void test_cache_rrset_store_invalid(void **state)
{
	struct cache *c = cache_new(1 << 20, 4);
	ldns_rr_list *empty = ldns_rr_list_new();
	assert_int_equal(cache_rrset_store(c, NULL, NULL, CACHE_TRUST_GLUE, T0), ERR_INVAL);
	assert_int_equal(cache_rrset_store(c, empty, NULL, CACHE_TRUST_GLUE, T0), ERR_INVAL);
	ldns_rr_list_free(empty);
	/* Mixed owners, mixed types. */
	assert_int_equal(
	        rrset_put(c,
	                  rrs("a.example. 60 IN A 192.0.2.1", "b.example. 60 IN A 192.0.2.2", NULL),
	                  NULL, CACHE_TRUST_GLUE, T0),
	        ERR_INVAL);
	assert_int_equal(
	        rrset_put(c, rrs("a.example. 60 IN A 192.0.2.1", "a.example. 60 IN AAAA ::1", NULL),
	                  NULL, CACHE_TRUST_GLUE, T0),
	        ERR_INVAL);
	/* A signature over another type, and a non-signature in sigs. */
	assert_int_equal(rrset_put(c, rrs("a.example. 60 IN A 192.0.2.1", NULL),
	                           rrs("a.example. 60 IN RRSIG AAAA 13 2 60 20300101000000 "
	                               "20200101000000 1 example. AAAA",
	                               NULL),
	                           CACHE_TRUST_GLUE, T0),
	                 ERR_INVAL);
	assert_int_equal(rrset_put(c, rrs("a.example. 60 IN A 192.0.2.1", NULL),
	                           rrs("a.example. 60 IN A 192.0.2.1", NULL), CACHE_TRUST_GLUE, T0),
	                 ERR_INVAL);
	assert_int_equal(rrset_put(c, rrs("a.example. 60 IN A 192.0.2.1", NULL), NULL,
	                           (enum cache_trust)42, T0),
	                 ERR_INVAL);
	assert_null(rrset_get(c, "a.example.", LDNS_RR_TYPE_A, T0, NULL, NULL));
	cache_free(c);
}

static void test_cache_rrset_msg_separate(void **state)
{
	/* One table holds both kinds; the same name and type are two entries. */
	struct cache *c = cache_new(1 << 20, 4);
	struct cache_stats st;
	assert_int_equal(store_a(c, "a.example", 0, 1, 300, 1, T0), 0);
	assert_int_equal(
	        rrset_put(c, rrs("a.example. 60 IN A 192.0.2.1", NULL), NULL, CACHE_TRUST_GLUE, T0),
	        0);
	cache_stats_get(c, &st);
	assert_int_equal(st.entries, 2);
	assert_true(present(c, "a.example", T0));
	ldns_rr_list *got = rrset_get(c, "a.example.", LDNS_RR_TYPE_A, T0, NULL, NULL);
	assert_non_null(got);
	ldns_rr_list_deep_free(got);
	cache_free(c);
}

/* ---- infrastructure cache ---- */

static void test_infra_get_unknown_defaults(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct infra_server s;
	infra_get(inf, &a, 1000, &s);
	assert_false(s.known);
	assert_int_equal(s.srtt_ms, 376);
	assert_int_equal(s.rttvar_ms, 0);
	assert_int_equal(s.timeouts, 0);
	assert_true(s.avoid_until == 0);
	assert_false(s.no_edns);
	assert_int_equal(infra_rto_ms(&s), 400);
	assert_int_equal(infra_count(inf), 0);
	infra_free(inf);
}

static void test_infra_rtt_update_smoothing(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("2001:db8::53");
	struct infra_server s;
	infra_rtt_update(inf, &a, 100, 1000);
	infra_get(inf, &a, 1000, &s);
	assert_true(s.known);
	assert_int_equal(s.srtt_ms, 100); /* RFC 6298 §2.2 */
	assert_int_equal(s.rttvar_ms, 50);
	assert_int_equal(infra_rto_ms(&s), 300);
	infra_rtt_update(inf, &a, 200, 2000);
	infra_get(inf, &a, 2000, &s);
	assert_int_equal(s.rttvar_ms, 63); /* (3 * 50 + 100) / 4, rounded */
	assert_int_equal(s.srtt_ms, 113);  /* (7 * 100 + 200) / 8, rounded */
	assert_int_equal(infra_rto_ms(&s), 113 + 4 * 63);
	infra_free(inf);
}

static void test_infra_rto_ms_bounds(void **state)
{
	struct infra_server s = {.known = true, .srtt_ms = 2, .rttvar_ms = 1};
	assert_int_equal(infra_rto_ms(&s), 50);
	s.srtt_ms = 2000;
	s.rttvar_ms = 1000;
	assert_int_equal(infra_rto_ms(&s), 3000);
	s.srtt_ms = UINT32_MAX;
	s.rttvar_ms = UINT32_MAX;
	s.timeouts = UINT32_MAX;
	assert_int_equal(infra_rto_ms(&s), 3000);
}

static void test_infra_timeout_backoff(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct sa b = addr("192.0.2.2");
	struct infra_server s;
	infra_timeout(inf, &a, 1000);
	infra_get(inf, &a, 1000, &s);
	assert_false(s.known);
	assert_int_equal(s.timeouts, 1);
	assert_int_equal(infra_rto_ms(&s), 800);
	infra_timeout(inf, &a, 2000);
	infra_get(inf, &a, 2000, &s);
	assert_int_equal(infra_rto_ms(&s), 1600);
	assert_true(s.avoid_until == 0);
	/* A known server backs off from its own RTO. */
	infra_rtt_update(inf, &b, 100, 1000);
	infra_timeout(inf, &b, 1500);
	infra_get(inf, &b, 1500, &s);
	assert_int_equal(infra_rto_ms(&s), 600);
	infra_free(inf);
}

static void test_infra_timeout_avoid_after_three(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct infra_server s;
	infra_timeout(inf, &a, 1000);
	infra_timeout(inf, &a, 2000);
	infra_timeout(inf, &a, 3000);
	infra_get(inf, &a, 3000, &s);
	assert_int_equal(s.timeouts, 3);
	assert_true(s.avoid_until == 63000);
	infra_get(inf, &a, 62999, &s);
	assert_true(s.avoid_until == 63000);
	infra_get(inf, &a, 63000, &s);
	assert_true(s.avoid_until == 0); /* the hold-down is over: probe it again */
	infra_free(inf);
}

static void test_infra_rtt_update_clears_avoid(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct infra_server s;
	for (int i = 0; i < 3; i++)
		infra_timeout(inf, &a, 1000);
	infra_rtt_update(inf, &a, 40, 2000);
	infra_get(inf, &a, 2000, &s);
	assert_true(s.known);
	assert_int_equal(s.timeouts, 0);
	assert_true(s.avoid_until == 0);
	assert_int_equal(infra_rto_ms(&s), 40 + 4 * 20);
	infra_free(inf);
}

static void test_infra_edns_set(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct sa other_port = addr("192.0.2.1@5353");
	struct infra_server s;
	infra_edns_set(inf, &a, true, 1000);
	infra_get(inf, &a, 1000, &s);
	assert_true(s.no_edns);
	infra_get(inf, &other_port, 1000, &s);
	assert_false(s.no_edns); /* the port is part of the server */
	infra_edns_set(inf, &a, false, 2000);
	infra_get(inf, &a, 2000, &s);
	assert_false(s.no_edns);
	infra_free(inf);
}

static void test_infra_is_lame_per_zone(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct sa b = addr("192.0.2.2");
	uint8_t zone[WIRE_DNAME_MAX], upper[WIRE_DNAME_MAX], other[WIRE_DNAME_MAX];
	dname("example.com", zone);
	dname("EXAMPLE.Com", upper);
	dname("example.net", other);
	assert_false(infra_is_lame(inf, &a, zone, 1000));
	infra_lame_set(inf, &a, upper, 1000);
	assert_true(infra_is_lame(inf, &a, zone, 1000));
	assert_false(infra_is_lame(inf, &a, other, 1000));
	assert_false(infra_is_lame(inf, &b, zone, 1000));
	assert_true(infra_is_lame(inf, &a, zone, 1000 + 15 * 60 * 1000 - 1));
	assert_false(infra_is_lame(inf, &a, zone, 1000 + 15 * 60 * 1000));
	infra_free(inf);
}

static void test_infra_lame_set_oldest_replaced(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	uint8_t z[6][WIRE_DNAME_MAX];
	char text[32];
	for (int i = 0; i < 6; i++) {
		snprintf(text, sizeof(text), "zone%d.example", i);
		dname(text, z[i]);
	}
	for (int i = 0; i < 4; i++)
		infra_lame_set(inf, &a, z[i], 1000 + i);
	infra_lame_set(inf, &a, z[0], 2000); /* refreshed: zone1 is now the oldest */
	infra_lame_set(inf, &a, z[4], 3000);
	assert_true(infra_is_lame(inf, &a, z[0], 3000));
	assert_false(infra_is_lame(inf, &a, z[1], 3000));
	assert_true(infra_is_lame(inf, &a, z[2], 3000));
	assert_true(infra_is_lame(inf, &a, z[3], 3000));
	assert_true(infra_is_lame(inf, &a, z[4], 3000));
	assert_false(infra_is_lame(inf, &a, z[5], 3000));
	infra_free(inf);
}

static void test_infra_get_forgets_old(void **state)
{
	struct infra *inf = infra_new(100);
	struct sa a = addr("192.0.2.1");
	struct infra_server s;
	infra_rtt_update(inf, &a, 100, 1000);
	infra_edns_set(inf, &a, true, 1000);
	infra_get(inf, &a, 1000 + 15 * 60 * 1000 - 1, &s);
	assert_true(s.known);
	infra_get(inf, &a, 1000 + 15 * 60 * 1000, &s);
	assert_false(s.known);
	assert_false(s.no_edns);
	assert_int_equal(infra_count(inf), 0);
	infra_free(inf);
}

static void test_infra_new_max_entries(void **state)
{
	struct infra *inf = infra_new(10);
	char text[32];
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d", i / 250, i % 250 + 1);
		struct sa a = addr(text);
		infra_rtt_update(inf, &a, 10, 1000 + i);
		assert_true(infra_count(inf) <= 10);
	}
	assert_int_equal(infra_count(inf), 10);
	/* The most recent one is kept. */
	struct sa last = addr("10.0.0.200");
	struct infra_server s;
	infra_get(inf, &last, 2000, &s);
	assert_true(s.known);
	infra_free(inf);

	inf = infra_new(0);
	assert_non_null(inf);
	infra_rtt_update(inf, &last, 10, 1000);
	assert_int_equal(infra_count(inf), 1);
	infra_free(inf);

	/* Many entries: sharded, still bounded. */
	inf = infra_new(5000);
	for (int i = 0; i < 6000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 250, i % 250);
		struct sa a = addr(text);
		infra_timeout(inf, &a, 1000);
	}
	assert_true(infra_count(inf) <= 5000);
	assert_true(infra_count(inf) > 4000);
	infra_free(inf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cache_new_zero_shards),
	        cmocka_unit_test(test_cache_new_huge_inputs),
	        cmocka_unit_test(test_cache_new_zero_bytes_refuses),
	        cmocka_unit_test(test_cache_free_null),
	        cmocka_unit_test(test_cache_msg_lookup_ttl_counted_down),
	        cmocka_unit_test(test_cache_msg_lookup_ttl_floor_zero),
	        cmocka_unit_test(test_cache_msg_lookup_case_insensitive),
	        cmocka_unit_test(test_cache_msg_lookup_flags_distinguish),
	        cmocka_unit_test(test_cache_msg_lookup_type_distinguishes),
	        cmocka_unit_test(test_cache_msg_lookup_expired),
	        cmocka_unit_test(test_cache_msg_store_replaces),
	        cmocka_unit_test(test_cache_msg_store_ttl_zero_removes),
	        cmocka_unit_test(test_cache_msg_lookup_out_too_small),
	        cmocka_unit_test(test_cache_msg_store_formerr),
	        cmocka_unit_test(test_cache_msg_store_too_many_records),
	        cmocka_unit_test(test_cache_msg_store_bad_qname),
	        cmocka_unit_test(test_cache_msg_lookup_no_alloc),
	        cmocka_unit_test(test_cache__insert_evicts_lru),
	        cmocka_unit_test(test_cache_stats_by_kind),
	        cmocka_unit_test(test_cache_stats_bytes_within_max),
	        cmocka_unit_test(test_cache__insert_larger_than_shard),
	        cmocka_unit_test(test_cache_flush_empties),
	        cmocka_unit_test(test_cache_msg_concurrent),
	        cmocka_unit_test(test_cache_flush_dump_concurrent),
	        cmocka_unit_test(test_cache_rrset_lookup_round_trip),
	        cmocka_unit_test(test_cache_rrset_store_min_ttl),
	        cmocka_unit_test(test_cache_rrset_store_large_rdata),
	        cmocka_unit_test(test_cache_rrset_lookup_case_insensitive),
	        cmocka_unit_test(test_cache_rrset_store_lower_trust_kept_out),
	        cmocka_unit_test(test_cache_rrset_store_higher_trust_replaces),
	        cmocka_unit_test(test_cache_rrset_store_expired_replaced),
	        cmocka_unit_test(test_cache_rrset_lookup_sigs),
	        cmocka_unit_test(test_cache_rrset_store_sig_ttl_capped),
	        cmocka_unit_test(test_cache_rrset_store_invalid),
	        cmocka_unit_test(test_cache_rrset_msg_separate),
	        cmocka_unit_test(test_infra_get_unknown_defaults),
	        cmocka_unit_test(test_infra_rtt_update_smoothing),
	        cmocka_unit_test(test_infra_rto_ms_bounds),
	        cmocka_unit_test(test_infra_timeout_backoff),
	        cmocka_unit_test(test_infra_timeout_avoid_after_three),
	        cmocka_unit_test(test_infra_rtt_update_clears_avoid),
	        cmocka_unit_test(test_infra_edns_set),
	        cmocka_unit_test(test_infra_is_lame_per_zone),
	        cmocka_unit_test(test_infra_lame_set_oldest_replaced),
	        cmocka_unit_test(test_infra_get_forgets_old),
	        cmocka_unit_test(test_infra_new_max_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
