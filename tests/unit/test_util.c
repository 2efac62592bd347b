/* test_util.c - unit tests for src/util: errors, sockaddr, arena, random, clock. */
#include "config.h"

#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mangrove/arena.h"
#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "mangrove/hash.h"
#include "mangrove/random.h"
#include "mangrove/sockaddr.h"

/* ---- errors ---- */

static void test_err_str_every_code(void **state)
{
	for (int c = ERR_FIRST_ + 1; c < ERR_LAST_; c++) {
		const char *text = err_str(c);
		assert_non_null(text);
		assert_true(text[0] != '\0');
		assert_string_not_equal(text, "unknown error");
		assert_true(c < 0);
		/* No two codes share a text. */
		for (int d = ERR_FIRST_ + 1; d < c; d++)
			assert_string_not_equal(err_str(d), text);
	}
	assert_string_equal(err_str(ERR_FORMERR), "malformed message");
	assert_string_equal(err_str(0), "success");
}

static void test_err_str_unknown(void **state)
{
	assert_string_equal(err_str(1), "unknown error");
	assert_string_equal(err_str(-1), "unknown error");
	assert_string_equal(err_str(ERR_FIRST_), "unknown error");
	assert_string_equal(err_str(ERR_LAST_), "unknown error");
}

/* ---- sockaddr ---- */

static struct sa addr(const char *text)
{
	struct sa a;
	assert_int_equal(sa_parse(text, 53, &a), 0);
	return a;
}

static void test_sa_parse_v4(void **state)
{
	char buf[64];
	struct sa a = addr("192.0.2.1");
	assert_int_equal(sa_family(&a), AF_INET);
	assert_int_equal(sa_port(&a), 53);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_string_equal(sa_addr_str(&a, buf, sizeof(buf)), "192.0.2.1");
}

static void test_sa_parse_v6(void **state)
{
	char buf[64];
	struct sa a = addr("2001:DB8::1");
	assert_int_equal(sa_family(&a), AF_INET6);
	assert_int_equal(sa_port(&a), 53);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_string_equal(sa_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
}

static void test_sa_parse_with_port(void **state)
{
	struct sa a = addr("192.0.2.1@5353");
	assert_int_equal(sa_port(&a), 5353);
	a = addr("::1@853");
	assert_int_equal(sa_family(&a), AF_INET6);
	assert_int_equal(sa_port(&a), 853);
	a = addr("127.0.0.1@0");
	assert_int_equal(sa_port(&a), 0);
	a = addr("127.0.0.1@65535");
	assert_int_equal(sa_port(&a), 65535);
}

static void test_sa_parse_bad(void **state)
{
	const char *bad[] = {"",
	                     "example.com",
	                     "192.0.2",
	                     "192.0.2.256",
	                     "192.0.2.1@",
	                     "192.0.2.1@65536",
	                     "192.0.2.1@abc",
	                     "192.0.2.1@53x",
	                     "192.0.2.1@+53",
	                     "192.0.2.1@ 53",
	                     "192.0.2.1@-0",
	                     "::1@1@2",
	                     "@53",
	                     "1::2::3",
	                     "[::1]:53",
	                     "192.0.2.1@999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sa a;
		assert_int_equal(sa_parse(bad[i], 53, &a), ERR_SYNTAX);
	}
	char longtext[200];
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	struct sa a;
	assert_int_equal(sa_parse(longtext, 53, &a), ERR_SYNTAX);
}

static void test_sa_str_formats(void **state)
{
	char buf[80];
	struct sa a = addr("192.0.2.1@5353");
	assert_string_equal(sa_str(&a, buf, sizeof(buf)), "192.0.2.1@5353");
	a = addr("2001:db8::53");
	assert_string_equal(sa_str(&a, buf, sizeof(buf)), "2001:db8::53@53");
}

static void test_sa_set_port_and_equal(void **state)
{
	struct sa a = addr("192.0.2.1"), b = addr("192.0.2.1@54");
	assert_true(sa_addr_equal(&a, &b));
	assert_false(sa_equal(&a, &b));
	sa_set_port(&a, 54);
	assert_true(sa_equal(&a, &b));
	struct sa c = addr("::ffff:192.0.2.1@54");
	assert_false(sa_addr_equal(&a, &c)); /* different families */
	struct sa d = addr("2001:db8::1"), e = addr("2001:db8::2");
	assert_false(sa_addr_equal(&d, &e));
	sa_set_port(&d, 99);
	assert_int_equal(sa_port(&d), 99);
}

static void test_sa_is_loopback_cases(void **state)
{
	const char *yes[] = {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1",
	                     "::ffff:127.1.2.3"};
	const char *no[] = {"128.0.0.1", "126.255.255.255", "10.0.0.1",    "::2",
	                    "::",        "::ffff:10.0.0.1", "::127.0.0.1", "2001:db8::1"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		struct sa a = addr(yes[i]);
		assert_true(sa_is_loopback(&a));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct sa a = addr(no[i]);
		assert_false(sa_is_loopback(&a));
	}
}

static void test_sa_from_sockaddr_lengths(void **state)
{
	struct sa a = addr("192.0.2.7@99"), b;
	assert_int_equal(sa_from_sockaddr(&b, &a.u.sa, sizeof(struct sockaddr_in)), 0);
	assert_true(sa_equal(&a, &b));
	assert_int_equal(sa_from_sockaddr(&b, &a.u.sa, sizeof(struct sockaddr_in) - 1), ERR_INVAL);
	a = addr("2001:db8::7@99");
	assert_int_equal(sa_from_sockaddr(&b, &a.u.sa, sizeof(struct sockaddr_in)), ERR_INVAL);
	assert_int_equal(sa_from_sockaddr(&b, &a.u.sa, sizeof(struct sockaddr_in6)), 0);
	assert_true(sa_equal(&a, &b));
}

static void test_sa_prefix_parse_lengths(void **state)
{
	struct sa_prefix p;
	assert_int_equal(sa_prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.bits, 8);
	assert_int_equal(sa_prefix_parse("192.0.2.1", &p), 0);
	assert_int_equal(p.bits, 32);
	assert_int_equal(sa_prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.bits, 32);
	assert_int_equal(sa_prefix_parse("::1", &p), 0);
	assert_int_equal(p.bits, 128);
	assert_int_equal(sa_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(p.bits, 0);
	assert_int_equal(sa_prefix_parse("::/128", &p), 0);
	assert_int_equal(sa_prefix_parse("1.2.3.4/32", &p), 0);
}

static void test_sa_prefix_parse_bad(void **state)
{
	const char *bad[] = {"10.0.0.0/33", "::/129",
	                     "10.0.0.0/",   "10.0.0.0/x",
	                     "10.0.0.0/-1", "10.0.0.0/+8",
	                     "10.0.0.0/ 8", "10.0.0.0/8/8",
	                     "/8",          "",
	                     "example/8",   "10.0.0.0/4294967304"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sa_prefix p;
		assert_int_equal(sa_prefix_parse(bad[i], &p), ERR_SYNTAX);
	}
}

static void test_sa_prefix_parse_masks_host_bits(void **state)
{
	struct sa_prefix p;
	assert_int_equal(sa_prefix_parse("10.1.2.3/8", &p), 0);
	assert_memory_equal(p.addr, "\x0a\x00\x00\x00", 4);
	assert_int_equal(sa_prefix_parse("192.0.2.255/25", &p), 0);
	assert_memory_equal(p.addr, "\xc0\x00\x02\x80", 4);
	assert_int_equal(sa_prefix_parse("2001:db8:ffff::1/36", &p), 0);
	assert_memory_equal(p.addr,
	                    "\x20\x01\x0d\xb8\xf0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
}

static bool in_prefix(const char *prefix, const char *address)
{
	struct sa_prefix p;
	struct sa a = addr(address);
	assert_int_equal(sa_prefix_parse(prefix, &p), 0);
	return sa_prefix_match(&p, &a);
}

static void test_sa_prefix_match_v4(void **state)
{
	assert_true(in_prefix("192.0.2.0/24", "192.0.2.77"));
	assert_false(in_prefix("192.0.2.0/24", "192.0.3.1"));
	assert_true(in_prefix("192.0.2.128/25", "192.0.2.200"));
	assert_false(in_prefix("192.0.2.128/25", "192.0.2.127"));
	assert_true(in_prefix("0.0.0.0/0", "203.0.113.9"));
	assert_true(in_prefix("192.0.2.1", "192.0.2.1"));
	assert_false(in_prefix("192.0.2.1", "192.0.2.2"));
	assert_false(in_prefix("192.0.2.0/24", "2001:db8::1"));
}

static void test_sa_prefix_match_v6(void **state)
{
	assert_true(in_prefix("2001:db8::/32", "2001:db8:1::1"));
	assert_false(in_prefix("2001:db8::/32", "2001:db9::1"));
	assert_true(in_prefix("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(in_prefix("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(in_prefix("::/0", "2001:db8::1"));
	assert_false(in_prefix("2001:db8::/32", "192.0.2.1"));
}

static void test_sa_prefix_match_mapped(void **state)
{
	assert_true(in_prefix("192.0.2.0/24", "::ffff:192.0.2.5"));
	assert_false(in_prefix("192.0.2.0/24", "::ffff:192.0.3.5"));
	assert_true(in_prefix("127.0.0.0/8", "::ffff:127.0.0.1"));
	/* Only the ::ffff:0:0/96 form is an IPv4 address. */
	assert_false(in_prefix("192.0.2.0/24", "::192.0.2.5"));
}

/* ---- arena ---- */

static void test_arena_many_allocations(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	enum { N = 5000 };
	static uint8_t *ptrs[N];
	for (size_t i = 0; i < N; i++) {
		size_t n = 1 + (i * 37) % 300;
		ptrs[i] = arena_alloc(a, n);
		assert_non_null(ptrs[i]);
		memset(ptrs[i], (int)(i & 0xff), n);
	}
	/* Nothing overlapped: every block still holds its own pattern. */
	for (size_t i = 0; i < N; i++) {
		size_t n = 1 + (i * 37) % 300;
		for (size_t j = 0; j < n; j++)
			assert_int_equal(ptrs[i][j], i & 0xff);
	}
	arena_free(a);
}

static void test_arena_alignment(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	const size_t sizes[] = {1, 3, 7, 8, 13, 17, 0, 100, 8191, 8192, 20000, 5};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = arena_alloc(a, sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
	}
	arena_free(a);
}

static void test_arena_large_block(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	uint8_t *small = arena_alloc(a, 10);
	uint8_t *big = arena_alloc(a, 100000);
	assert_non_null(big);
	memset(big, 0x5a, 100000);
	memset(small, 0x11, 10);
	assert_int_equal(big[99999], 0x5a);
	assert_int_equal(big[0], 0x5a);
	arena_free(a);
}

static void test_arena_overflow_size(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 8));
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 1));
	arena_free(a);
}

static void test_arena_memdup_copies(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	char src[] = "hello, arena";
	char *copy = arena_memdup(a, src, sizeof(src));
	assert_non_null(copy);
	assert_ptr_not_equal(copy, src);
	src[0] = 'J';
	assert_string_equal(copy, "hello, arena");
	assert_non_null(arena_memdup(a, src, 0));
	arena_free(a);
}

static void test_arena_used_counts(void **state)
{
	struct arena *a = arena_new();
	assert_non_null(a);
	assert_int_equal(arena_used(a), 0);
	size_t total = 0;
	for (size_t n = 1; n < 2000; n += 97) {
		assert_non_null(arena_alloc(a, n));
		total += n;
		assert_true(arena_used(a) >= total);
		/* Padding is at most the alignment per block. */
		assert_true(arena_used(a) <= total + (n / 97 + 1) * alignof(max_align_t));
	}
	arena_free(a);
}

static void test_arena_free_null(void **state)
{
	arena_free(NULL);
}

/* ---- random ---- */

static void test_rnd_uniform_in_range(void **state)
{
	const uint32_t bounds[] = {1, 2, 7, 65536};
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		for (int i = 0; i < 5000; i++)
			assert_true(rnd_uniform(bounds[b]) < bounds[b]);
	}
}

static void test_rnd_uniform_hits_every_value(void **state)
{
	/* 7 values in 5000 draws: missing one has probability about 7 * (6/7)^5000. */
	unsigned seen[7] = {0};
	for (int i = 0; i < 5000; i++)
		seen[rnd_uniform(7)]++;
	for (int v = 0; v < 7; v++)
		assert_true(seen[v] > 0);
	bool both[2] = {false, false};
	for (int i = 0; i < 200; i++)
		both[rnd_uniform(2)] = true;
	assert_true(both[0] && both[1]);
}

static void test_rnd_bytes_fills(void **state)
{
	/* 1000 bytes spanning pool refills; all zero has probability 2^-8000. */
	uint8_t buf[1000];
	memset(buf, 0, sizeof(buf));
	rnd_bytes(buf, sizeof(buf));
	size_t nonzero = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		nonzero += buf[i] != 0;
	assert_true(nonzero > 900);
}

/* ---- clock ---- */

static void test_clock_fake_set(void **state)
{
	clock_fake_set(1700000000, 123456);
	assert_int_equal(clock_wall(), 1700000000);
	assert_int_equal(clock_mono_ms(), 123456);
	assert_int_equal(clock_mono_us(), 123456000);
	clock_fake_set(1700000100, 123999);
	assert_int_equal(clock_wall(), 1700000100);
	assert_int_equal(clock_mono_ms(), 123999);
	clock_fake_clear();
}

static void test_clock_fake_clear(void **state)
{
	clock_fake_set(42, 7);
	clock_fake_clear();
	time_t now = time(NULL);
	time_t w = clock_wall();
	assert_true(w >= now && w <= now + 1);
	/* The real monotonic clock: not the fake 7 ms, and never going back. */
	uint64_t m1 = clock_mono_ms();
	assert_true(m1 > 7);
	assert_true(clock_mono_us() / 1000 >= m1);
}

/* ---- the hash ---- */

static void test_hash_siphash_vectors(void **state)
{
	/* Reference vectors of the SipHash paper: key 00..0f, message 00..(len-1). */
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(hash_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(hash_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(hash_siphash(key, msg, 63) == 0x958a324ceb064572ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_err_str_every_code),
	        cmocka_unit_test(test_err_str_unknown),
	        cmocka_unit_test(test_sa_parse_v4),
	        cmocka_unit_test(test_sa_parse_v6),
	        cmocka_unit_test(test_sa_parse_with_port),
	        cmocka_unit_test(test_sa_parse_bad),
	        cmocka_unit_test(test_sa_str_formats),
	        cmocka_unit_test(test_sa_set_port_and_equal),
	        cmocka_unit_test(test_sa_is_loopback_cases),
	        cmocka_unit_test(test_sa_from_sockaddr_lengths),
	        cmocka_unit_test(test_sa_prefix_parse_lengths),
	        cmocka_unit_test(test_sa_prefix_parse_bad),
	        cmocka_unit_test(test_sa_prefix_parse_masks_host_bits),
	        cmocka_unit_test(test_sa_prefix_match_v4),
	        cmocka_unit_test(test_sa_prefix_match_v6),
	        cmocka_unit_test(test_sa_prefix_match_mapped),
	        cmocka_unit_test(test_arena_many_allocations),
	        cmocka_unit_test(test_arena_alignment),
	        cmocka_unit_test(test_arena_large_block),
	        cmocka_unit_test(test_arena_overflow_size),
	        cmocka_unit_test(test_arena_memdup_copies),
	        cmocka_unit_test(test_arena_used_counts),
	        cmocka_unit_test(test_arena_free_null),
	        cmocka_unit_test(test_rnd_uniform_in_range),
	        cmocka_unit_test(test_rnd_uniform_hits_every_value),
	        cmocka_unit_test(test_rnd_bytes_fills),
	        cmocka_unit_test(test_clock_fake_set),
	        cmocka_unit_test(test_clock_fake_clear),
	        cmocka_unit_test(test_hash_siphash_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
