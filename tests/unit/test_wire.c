/* test_wire.c - unit tests for the wire module (names, query parser, EDNS, TTL map). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "mangrove/errors.h"
#include "mangrove/wire.h"

/* ---- helpers ---- */

/* A message under construction. */
struct msg {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct msg *m, uint8_t v)
{
	assert_true(m->n + 1 <= sizeof(m->b));
	m->b[m->n++] = v;
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static void putn(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_name(struct msg *m, const char *text)
{
	uint8_t w[WIRE_DNAME_MAX];
	size_t len;
	assert_int_equal(wire_dname_from_str(text, w, &len), 0);
	putn(m, w, len);
}

static void put_hdr(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                    uint16_t ns, uint16_t ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* A query for www.example.com/A with the given counts (question included). */
static void put_query(struct msg *m, uint16_t flags, uint16_t an, uint16_t ns, uint16_t ar)
{
	put_hdr(m, 0xbeef, flags, 1, an, ns, ar);
	put_name(m, "www.example.com");
	put16(m, WIRE_TYPE_A);
	put16(m, WIRE_CLASS_IN);
}

/* An OPT RR with a root owner and the given RDATA. */
static void put_opt(struct msg *m, uint16_t udp, uint8_t version, bool do_bit, const uint8_t *rd,
                    uint16_t rdlen)
{
	put8(m, 0);
	put16(m, WIRE_TYPE_OPT);
	put16(m, udp);
	put32(m, ((uint32_t)version << 16) | (do_bit ? 0x8000u : 0));
	put16(m, rdlen);
	if (rdlen > 0)
		putn(m, rd, rdlen);
}

/* An OPT carrying one COOKIE option of n bytes (0x11, 0x12, ...). */
static void put_cookie_opt(struct msg *m, uint16_t n)
{
	uint8_t rd[64];
	assert_true(n + 4u <= sizeof(rd));
	rd[0] = 0;
	rd[1] = WIRE_EDNS_COOKIE;
	rd[2] = (uint8_t)(n >> 8);
	rd[3] = (uint8_t)n;
	for (uint16_t i = 0; i < n; i++)
		rd[4 + i] = (uint8_t)(0x11 + i);
	put_opt(m, 1232, 0, false, rd, (uint16_t)(n + 4));
}

static void name(const char *text, uint8_t *out)
{
	assert_int_equal(wire_dname_from_str(text, out, NULL), 0);
}

/* ---- names ---- */

static void test_wire_dname_unpack_compressed(void **state)
{
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	put_name(&m, "example.com");
	size_t second = m.n;
	putn(&m, "\x03www\xc0\x0c", 6);
	uint8_t out[WIRE_DNAME_MAX], want[WIRE_DNAME_MAX];
	size_t outlen = 0, pos = second;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), 0);
	assert_int_equal(pos, second + 6);
	name("www.example.com", want);
	assert_int_equal(outlen, 17);
	assert_memory_equal(out, want, 17);
}

static void test_wire_dname_unpack_keeps_case(void **state)
{
	const uint8_t pkt[] = "\x03WwW\x00";
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 0;
	assert_int_equal(wire_dname_unpack(pkt, 5, &pos, out, &outlen), 0);
	assert_int_equal(pos, 5);
	assert_memory_equal(out, "\x03WwW\x00", 5);
}

static void test_wire_dname_unpack_pointer_to_itself(void **state)
{
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	putn(&m, "\xc0\x0c", 2);
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 12;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
	assert_int_equal(pos, 12);
}

static void test_wire_dname_unpack_loop(void **state)
{
	/* 12: "a" -> 16, 16: "b" -> 12: each pointer is backwards from itself. */
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	putn(&m,
	     "\x01"
	     "a\xc0\x10",
	     4);
	putn(&m,
	     "\x01"
	     "b\xc0\x0c",
	     4);
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 16;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
	pos = 16;
	assert_int_equal(wire_dname_skip(m.b, m.n, &pos), ERR_FORMERR);
	/* 20: "c" -> 20 through its own start. */
	putn(&m,
	     "\x01"
	     "c\xc0\x14",
	     4);
	pos = 20;
	assert_int_equal(wire_dname_skip(m.b, m.n, &pos), ERR_FORMERR);
}

static void test_wire_dname_unpack_forward_pointer(void **state)
{
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	putn(&m, "\xc0\x0e", 2);
	put_name(&m, "example.com");
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 12;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_pointer_into_own_name(void **state)
{
	/* 12: a label holding "\x01x\0", then a pointer to 13 inside it. */
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	putn(&m, "\x03\x01x\x00\xc0\x0d", 6);
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 13;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), 0);
	pos = 12;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_pointer_chain(void **state)
{
	/* Pointers to pointers add no length; the jump count bounds them. */
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	put8(&m, 0);
	for (int i = 0; i < 300; i++)
		put16(&m, (uint16_t)(0xc000 | (m.n - (i == 0 ? 1 : 2))));
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 13 + 2 * 9;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), 0);
	assert_int_equal(outlen, 1);
	pos = m.n - 2;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_too_long_via_pointer(void **state)
{
	/* 129 bytes at 12, then 128 bytes of labels pointing to it: 257 in all. */
	struct msg m;
	uint8_t label[64];
	label[0] = 63;
	memset(label + 1, 'x', 63);
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	putn(&m, label, 64);
	putn(&m, label, 64);
	put8(&m, 0);
	size_t second = m.n;
	putn(&m, label, 64);
	putn(&m, label, 64);
	putn(&m, "\xc0\x0c", 2);
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 12;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), 0);
	assert_int_equal(outlen, 129);
	pos = second;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_too_long_flat(void **state)
{
	struct msg m;
	m.n = 0;
	for (int i = 0; i < 4; i++) {
		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'a');
	}
	put8(&m, 0);
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 0;
	assert_int_equal(wire_dname_unpack(m.b, m.n, &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_label_type_bits(void **state)
{
	/* 0x40 and 0x80 are the extended and reserved label types, not lengths. */
	uint8_t pkt[80] = {0x40};
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 0;
	assert_int_equal(wire_dname_unpack(pkt, sizeof(pkt), &pos, out, &outlen), ERR_FORMERR);
	pkt[0] = 0x80;
	assert_int_equal(wire_dname_unpack(pkt, sizeof(pkt), &pos, out, &outlen), ERR_FORMERR);
}

static void test_wire_dname_unpack_past_end(void **state)
{
	uint8_t out[WIRE_DNAME_MAX];
	size_t outlen, pos = 0;
	assert_int_equal(wire_dname_unpack((const uint8_t *)"\x07"
	                                                    "exam",
	                                   5, &pos, out, &outlen),
	                 ERR_FORMERR);
	pos = 0;
	assert_int_equal(wire_dname_unpack((const uint8_t *)"\x03"
	                                                    "com",
	                                   4, &pos, out, &outlen),
	                 ERR_FORMERR); /* no root label */
	pos = 1;
	assert_int_equal(wire_dname_unpack((const uint8_t *)"\x00\xc0", 2, &pos, out, &outlen),
	                 ERR_FORMERR); /* half a pointer */
	pos = 0;
	assert_int_equal(wire_dname_unpack((const uint8_t *)"", 0, &pos, out, &outlen),
	                 ERR_FORMERR);
}

static void test_wire_dname_skip_compressed(void **state)
{
	struct msg m;
	put_hdr(&m, 1, 0, 0, 0, 0, 0);
	put_name(&m, "example.com");
	putn(&m, "\x03www\xc0\x0c", 6);
	size_t pos = 12;
	assert_int_equal(wire_dname_skip(m.b, m.n, &pos), 0);
	assert_int_equal(pos, 25);
	assert_int_equal(wire_dname_skip(m.b, m.n, &pos), 0);
	assert_int_equal(pos, m.n);
}

static void test_wire_dname_len_values(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	name(".", w);
	assert_int_equal(wire_dname_len(w), 1);
	name("www.example.com", w);
	assert_int_equal(wire_dname_len(w), 17);
}

static void test_wire_dname_from_str_plain(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	size_t len;
	assert_int_equal(wire_dname_from_str("www.example.com", w, &len), 0);
	assert_int_equal(len, 17);
	assert_memory_equal(w,
	                    "\x03www\x07"
	                    "example\x03"
	                    "com\x00",
	                    17);
	assert_int_equal(wire_dname_from_str("www.example.com.", w, &len), 0);
	assert_int_equal(len, 17);
	assert_memory_equal(w,
	                    "\x03www\x07"
	                    "example\x03"
	                    "com\x00",
	                    17);
}

static void test_wire_dname_from_str_root(void **state)
{
	uint8_t w[WIRE_DNAME_MAX] = {0xff};
	size_t len;
	assert_int_equal(wire_dname_from_str(".", w, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(w[0], 0);
}

static void test_wire_dname_from_str_escapes(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	size_t len;
	assert_int_equal(wire_dname_from_str("a\\.b.c", w, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(w,
	                    "\x03"
	                    "a.b\x01"
	                    "c\x00",
	                    7);
	assert_int_equal(wire_dname_from_str("\\065\\000\\\\", w, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(w,
	                    "\x03"
	                    "A\x00\\\x00",
	                    5);
}

static void test_wire_dname_from_str_bad_escapes(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	assert_int_equal(wire_dname_from_str("\\256", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("a\\12", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("a\\1b", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("a\\", w, NULL), ERR_SYNTAX);
}

static void test_wire_dname_from_str_empty_labels(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	assert_int_equal(wire_dname_from_str("a..b", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str(".a", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("a..", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("..", w, NULL), ERR_SYNTAX);
	assert_int_equal(wire_dname_from_str("", w, NULL), ERR_SYNTAX);
}

static void test_wire_dname_from_str_label_limit(void **state)
{
	char text[80];
	uint8_t w[WIRE_DNAME_MAX];
	size_t len;
	memset(text, 'a', 63);
	strcpy(text + 63, ".com");
	assert_int_equal(wire_dname_from_str(text, w, &len), 0);
	assert_int_equal(len, 64 + 5);
	memset(text, 'a', 64);
	strcpy(text + 64, ".com");
	assert_int_equal(wire_dname_from_str(text, w, NULL), ERR_RANGE);
}

/* Four labels of 63, 63, 63 and last characters, with a trailing dot. */
static void four_labels(char *text, size_t last)
{
	size_t sizes[4] = {63, 63, 63, last};
	size_t t = 0;
	for (int i = 0; i < 4; i++) {
		memset(text + t, 'b', sizes[i]);
		t += sizes[i];
		text[t++] = '.';
	}
	text[t] = '\0';
}

static void test_wire_dname_from_str_name_limit(void **state)
{
	char text[300];
	uint8_t w[WIRE_DNAME_MAX];
	size_t len;
	four_labels(text, 61); /* 4 + 250 + 1 = 255 bytes */
	assert_int_equal(wire_dname_from_str(text, w, &len), 0);
	assert_int_equal(len, 255);
	four_labels(text, 62); /* 256 bytes */
	assert_int_equal(wire_dname_from_str(text, w, NULL), ERR_RANGE);
}

static void test_wire_dname_to_str_round_trip(void **state)
{
	const char *names[] = {"www.example.com.",  ".",       "a\\.b.c.",
	                       "\\000\\032x\\127.", "a\\\\b.", "\\;\\(\\)\\\"."};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t w[WIRE_DNAME_MAX], w2[WIRE_DNAME_MAX];
		char buf[WIRE_DNAME_STR_MAX];
		size_t len, len2;
		assert_int_equal(wire_dname_from_str(names[i], w, &len), 0);
		assert_string_equal(wire_dname_to_str(w, buf, sizeof(buf)), names[i]);
		assert_int_equal(wire_dname_from_str(buf, w2, &len2), 0);
		assert_int_equal(len, len2);
		assert_memory_equal(w, w2, len);
	}
}

static void test_wire_dname_to_str_escapes(void **state)
{
	const uint8_t w[] = "\x04"
	                    "a.\x01\xff"
	                    "\x03"
	                    "com\x00";
	char buf[WIRE_DNAME_STR_MAX];
	assert_string_equal(wire_dname_to_str(w, buf, sizeof(buf)), "a\\.\\001\\255.com.");
}

static void test_wire_dname_to_str_truncates(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	char buf[8];
	memset(buf, 'Z', sizeof(buf));
	name("www.example.com", w);
	assert_string_equal(wire_dname_to_str(w, buf, 5), "www.");
	assert_int_equal(buf[5], 'Z');
}

static void test_wire_dname_to_str_worst_case_fits(void **state)
{
	/* 127 one-byte labels of 0xff: every byte becomes \255. */
	uint8_t w[WIRE_DNAME_MAX];
	char buf[WIRE_DNAME_STR_MAX];
	for (int i = 0; i < 127; i++) {
		w[2 * i] = 1;
		w[2 * i + 1] = 0xff;
	}
	w[254] = 0;
	wire_dname_to_str(w, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 127 * 5);
}

static void test_wire_dname_equal_case(void **state)
{
	uint8_t a[WIRE_DNAME_MAX], b[WIRE_DNAME_MAX];
	name("WWW.Example.COM", a);
	name("www.example.com", b);
	assert_true(wire_dname_equal(a, b));
	name("www.example.org", b);
	assert_false(wire_dname_equal(a, b));
	name("www.example.com.x", b);
	assert_false(wire_dname_equal(a, b));
	name("ww.example.com", b);
	assert_false(wire_dname_equal(a, b));
}

static void test_wire_dname_to_lower_letters_only(void **state)
{
	/* '@' and '[' sit just outside A-Z and must not fold. */
	uint8_t w[WIRE_DNAME_MAX], want[WIRE_DNAME_MAX];
	name("WwW.\\064EXAMPLE\\091.Com", w);
	wire_dname_to_lower(w);
	name("www.\\064example\\091.com", want);
	assert_memory_equal(w, want, wire_dname_len(want));
}

static void test_wire_dname_labels_count(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	name(".", w);
	assert_int_equal(wire_dname_labels(w), 0);
	name("com", w);
	assert_int_equal(wire_dname_labels(w), 1);
	name("www.example.com.", w);
	assert_int_equal(wire_dname_labels(w), 3);
}

static void test_wire_dname_is_subdomain_cases(void **state)
{
	uint8_t c[WIRE_DNAME_MAX], p[WIRE_DNAME_MAX];
	name("www.example.com", c);
	name("Example.COM", p);
	assert_true(wire_dname_is_subdomain(c, p));
	assert_true(wire_dname_is_subdomain(p, p));
	name(".", p);
	assert_true(wire_dname_is_subdomain(c, p));
	name("w.www.example.com", p);
	assert_false(wire_dname_is_subdomain(c, p));
	name("badexample.com", c);
	name("example.com", p);
	assert_false(wire_dname_is_subdomain(c, p));
	name("example.org", c);
	assert_false(wire_dname_is_subdomain(c, p));
}

static void test_wire_dname_parent_walk(void **state)
{
	uint8_t w[WIRE_DNAME_MAX], want[WIRE_DNAME_MAX];
	name("www.example.com", w);
	const uint8_t *p = wire_dname_parent(w);
	name("example.com", want);
	assert_true(wire_dname_equal(p, want));
	p = wire_dname_parent(wire_dname_parent(p));
	assert_int_equal(p[0], 0);
	assert_null(wire_dname_parent(p));
}

static void test_wire_dname_suffix_labels(void **state)
{
	uint8_t w[WIRE_DNAME_MAX];
	name("www.example.com", w);
	assert_ptr_equal(wire_dname_suffix(w, 1), w + 12);
	assert_ptr_equal(wire_dname_suffix(w, 2), w + 4);
	assert_ptr_equal(wire_dname_suffix(w, 3), w);
	assert_ptr_equal(wire_dname_suffix(w, 7), w);
	assert_ptr_equal(wire_dname_suffix(w, 0), w + 16);
}

static void test_wire_dname_canonical_cmp_rfc4034_order(void **state)
{
	/* RFC 4034 §6.1, the example list in canonical order. */
	const char *order[] = {"example",         "a.example",      "yljkjljk.a.example",
	                       "Z.a.example",     "zABC.a.EXAMPLE", "z.example",
	                       "\\001.z.example", "*.z.example",    "\\200.z.example"};
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			uint8_t a[WIRE_DNAME_MAX], b[WIRE_DNAME_MAX];
			name(order[i], a);
			name(order[j], b);
			int c = wire_dname_canonical_cmp(a, b);
			if (i < j)
				assert_true(c < 0);
			else if (i > j)
				assert_true(c > 0);
			else
				assert_int_equal(c, 0);
		}
	}
}

static void test_wire_dname_canonical_cmp_case(void **state)
{
	uint8_t a[WIRE_DNAME_MAX], b[WIRE_DNAME_MAX];
	name("Www.EXAMPLE", a);
	name("www.example", b);
	assert_int_equal(wire_dname_canonical_cmp(a, b), 0);
	name(".", a);
	assert_true(wire_dname_canonical_cmp(a, b) < 0);
}

/* ---- query parser ---- */

static void test_wire_query_parse_plain(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, WIRE_FLAG_RD, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_ptr_equal(q.pkt, m.b);
	assert_int_equal(q.len, m.n);
	assert_int_equal(q.id, 0xbeef);
	assert_int_equal(q.flags, WIRE_FLAG_RD);
	assert_int_equal(q.opcode, 0);
	assert_true(q.has_question);
	assert_ptr_equal(q.qname, m.b + 12);
	assert_int_equal(q.qname_len, 17);
	assert_int_equal(q.qtype, WIRE_TYPE_A);
	assert_int_equal(q.qclass, WIRE_CLASS_IN);
	assert_int_equal(q.question_end, m.n);
	assert_false(q.has_edns);
	assert_false(q.has_cookie);
}

static void test_wire_query_parse_edns(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 4096, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_true(q.has_edns);
	assert_int_equal(q.edns_version, 0);
	assert_int_equal(q.edns_udp_size, 4096);
	assert_false(q.edns_do);
	assert_int_equal(q.question_end, 12 + 17 + 4);
}

static void test_wire_query_parse_do_bit(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, true, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_true(q.edns_do);
}

static void test_wire_query_parse_other_additional(void **state)
{
	/* A non-OPT additional record with a compressed owner is allowed. */
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 2);
	putn(&m, "\xc0\x0c", 2);
	put16(&m, WIRE_TYPE_TXT);
	put16(&m, WIRE_CLASS_IN);
	put32(&m, 0);
	put16(&m, 2);
	putn(&m, "\x01x", 2);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_true(q.has_edns);
}

static void test_wire_query_parse_short_header(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, 11, &q), ERR_SHORT);
	assert_int_equal(wire_query_parse(m.b, 0, &q), ERR_SHORT);
}

static void test_wire_query_parse_response_dropped(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, WIRE_FLAG_QR, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_SHORT);
}

static void test_wire_query_parse_truncated_question(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 0);
	for (size_t len = 12; len < m.n; len++) {
		assert_int_equal(wire_query_parse(m.b, len, &q), ERR_FORMERR);
		assert_int_equal(q.id, 0xbeef);
		assert_false(q.has_question);
	}
}

static void test_wire_query_parse_notify(void **state)
{
	/* NOTIFY (opcode 4, RFC 1996) with an SOA in the answer and an OPT. */
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 7, 4 << 11 | WIRE_FLAG_AA, 1, 1, 0, 1);
	put_name(&m, "example.com");
	put16(&m, WIRE_TYPE_SOA);
	put16(&m, WIRE_CLASS_IN);
	putn(&m, "\xc0\x0c", 2);
	put16(&m, WIRE_TYPE_SOA);
	put16(&m, WIRE_CLASS_IN);
	put32(&m, 3600);
	put16(&m, 0);
	put_opt(&m, 1400, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_NOTIMP);
	assert_int_equal(q.id, 7);
	assert_int_equal(q.opcode, 4);
	assert_true(q.has_question);
	assert_int_equal(q.qtype, WIRE_TYPE_SOA);
	assert_true(q.has_edns);
	assert_int_equal(q.edns_udp_size, 1400);
}

static void test_wire_query_parse_notimp_unreadable_question(void **state)
{
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 9, 5 << 11, 1, 0, 0, 0);
	putn(&m, "\x03ww", 3);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_NOTIMP);
	assert_int_equal(q.opcode, 5);
	assert_false(q.has_question);
}

static void test_wire_query_parse_qdcount_zero(void **state)
{
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 3, 0, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_int_equal(q.id, 3);
	assert_false(q.has_question);
}

static void test_wire_query_parse_qdcount_two(void **state)
{
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 3, 0, 2, 0, 0, 0);
	put_name(&m, "a.example");
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	put_name(&m, "b.example");
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_true(q.has_question); /* the first one, for the FORMERR reply */
	assert_int_equal(q.qname_len, 11);
}

static void test_wire_query_parse_compressed_question(void **state)
{
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 3, 0, 1, 0, 0, 0);
	putn(&m, "\x03www\xc0\x04", 6);
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_false(q.has_question);
}

static void test_wire_query_parse_oversized_name(void **state)
{
	struct msg m;
	struct wire_query q;
	put_hdr(&m, 3, 0, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'q');
	}
	put8(&m, 0);
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
}

static void test_wire_query_parse_answer_or_authority(void **state)
{
	struct msg m;
	struct wire_query q;
	const uint16_t counts[2][2] = {{1, 0}, {0, 1}};
	for (int i = 0; i < 2; i++) {
		put_query(&m, 0, counts[i][0], counts[i][1], 1);
		putn(&m, "\xc0\x0c", 2);
		put16(&m, WIRE_TYPE_NS);
		put16(&m, WIRE_CLASS_IN);
		put32(&m, 60);
		put16(&m, 2);
		putn(&m, "\xc0\x0c", 2);
		put_opt(&m, 1232, 0, false, NULL, 0);
		assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
		assert_true(q.has_question);
		assert_true(q.has_edns); /* so the FORMERR can still carry an OPT */
	}
}

static void test_wire_query_parse_opt_in_answer(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 1, 0, 0);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_false(q.has_edns);
}

static void test_wire_query_parse_two_opts(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 2);
	put_opt(&m, 1232, 0, false, NULL, 0);
	put_opt(&m, 4096, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
}

static void test_wire_query_parse_opt_not_root(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	putn(&m, "\xc0\x0c", 2);
	put16(&m, WIRE_TYPE_OPT);
	put16(&m, 1232);
	put32(&m, 0);
	put16(&m, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_false(q.has_edns);
}

static void test_wire_query_parse_bad_option_length(void **state)
{
	struct msg m;
	struct wire_query q;
	/* The option claims 9 bytes, the RDATA holds 4 + 8. */
	const uint8_t over[] = {0, 3, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, over, sizeof(over));
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	/* Three bytes are too few for an option header. */
	const uint8_t stub[] = {0, 8, 0};
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, stub, sizeof(stub));
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
}

static void test_wire_query_parse_rdlength_overrun(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, NULL, 0);
	m.b[m.n - 1] = 4; /* RDLENGTH 4, no bytes follow */
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
}

static void test_wire_query_parse_truncated_additional(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	size_t qend = m.n;
	put_opt(&m, 1232, 0, false, NULL, 0);
	for (size_t len = qend; len < m.n; len++)
		assert_int_equal(wire_query_parse(m.b, len, &q), ERR_FORMERR);
}

static void test_wire_query_parse_cookie_client_only(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 1);
	put_cookie_opt(&m, 8);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_true(q.has_cookie);
	assert_memory_equal(q.client_cookie, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	assert_int_equal(q.server_cookie_len, 0);
}

static void test_wire_query_parse_cookie_with_server(void **state)
{
	struct msg m;
	struct wire_query q;
	const uint16_t good[] = {16, 24, 40};
	for (size_t i = 0; i < 3; i++) {
		put_query(&m, 0, 0, 0, 1);
		put_cookie_opt(&m, good[i]);
		assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
		assert_true(q.has_cookie);
		assert_int_equal(q.server_cookie_len, good[i] - 8);
		assert_int_equal(q.server_cookie[0], 0x19);
		assert_int_equal(q.server_cookie[good[i] - 9], 0x11 + good[i] - 1);
	}
}

static void test_wire_query_parse_cookie_bad_length(void **state)
{
	struct msg m;
	struct wire_query q;
	const uint16_t bad[] = {0, 7, 9, 15, 41};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_query(&m, 0, 0, 0, 1);
		put_cookie_opt(&m, bad[i]);
		assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
		assert_false(q.has_cookie);
	}
}

static void test_wire_query_parse_badvers(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, WIRE_FLAG_RD, 0, 0, 1);
	put_opt(&m, 4096, 1, true, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_BADVERS);
	assert_true(q.has_question);
	assert_true(q.has_edns);
	assert_int_equal(q.edns_version, 1);
	assert_int_equal(q.edns_udp_size, 4096);
	assert_true(q.edns_do);
}

static void test_wire_query_parse_trailing_garbage(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 0);
	put8(&m, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	assert_true(q.has_question);
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, NULL, 0);
	put16(&m, 0xdead);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
}

static void test_wire_query_udp_limit_clamping(void **state)
{
	struct msg m;
	struct wire_query q;
	put_query(&m, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_int_equal(wire_query_udp_limit(&q, 1232), 512);
	const uint16_t sizes[][3] = {
	        /* sent, max, expected */
	        {100, 1232, 512},   {512, 1232, 512},    {1000, 1232, 1000},
	        {4096, 1232, 1232}, {65535, 4096, 4096}, {4096, 100, 512},
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		put_query(&m, 0, 0, 0, 1);
		put_opt(&m, sizes[i][0], 0, false, NULL, 0);
		assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
		assert_int_equal(wire_query_udp_limit(&q, sizes[i][1]), sizes[i][2]);
	}
}

/* ---- EDNS and error replies ---- */

static void test_wire_edns_write_ede_bytes(void **state)
{
	const struct wire_ede ede = {18, "no"};
	uint8_t out[64];
	const uint8_t want[] = {
	        0,                   /* root owner */
	        0,    41,            /* type OPT */
	        0x04, 0xd0,          /* 1232 */
	        0,    0,    0x80, 0, /* ext rcode 0, version 0, DO */
	        0,    8,             /* RDLENGTH */
	        0,    15,   0,    4, /* EDE, length 4 */
	        0,    18,   'n',  'o',
	};
	size_t n = wire_edns_write(out, sizeof(out), 1232, WIRE_RCODE_SERVFAIL, true, &ede);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_wire_edns_write_no_ede(void **state)
{
	const struct wire_ede none = {-1, "ignored"};
	uint8_t out[16];
	const uint8_t want[] = {0, 0, 41, 0x10, 0x00, 1, 0, 0, 0, 0, 0};
	assert_int_equal(wire_edns_write(out, sizeof(out), 4096, WIRE_RCODE_BADVERS, false, &none),
	                 11);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(wire_edns_write(out, sizeof(out), 4096, 0, false, NULL), 11);
}

static void test_wire_edns_write_ede_without_text(void **state)
{
	const struct wire_ede ede = {0, NULL};
	uint8_t out[32];
	const uint8_t want_opts[] = {0, 15, 0, 2, 0, 0};
	assert_int_equal(wire_edns_write(out, sizeof(out), 1232, 0, false, &ede), 17);
	assert_int_equal(wire_read_u16(out + 9), 6);
	assert_memory_equal(out + 11, want_opts, sizeof(want_opts));
}

static void test_wire_edns_write_no_room(void **state)
{
	const struct wire_ede ede = {18, "no"};
	uint8_t out[64];
	assert_int_equal(wire_edns_write(out, 10, 1232, 0, false, NULL), 0);
	assert_int_equal(wire_edns_write(out, 18, 1232, 0, false, &ede), 0);
	assert_int_equal(wire_edns_write(out, 19, 1232, 0, false, &ede), 19);
}

static void test_wire_reply_error_formerr_with_question(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	put_query(&m, WIRE_FLAG_RD | WIRE_FLAG_CD | WIRE_FLAG_AD, 0, 0, 0);
	put8(&m, 0); /* trailing garbage */
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	size_t n = wire_reply_error(&q, WIRE_RCODE_FORMERR, NULL, 1232, out, sizeof(out));
	assert_int_equal(n, 12 + 17 + 4);
	const uint8_t hdr[] = {0xbe, 0xef, 0x81, 0x91, 0, 1, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(out, hdr, 12);
	assert_memory_equal(out + 12, m.b + 12, 17 + 4);
}

static void test_wire_reply_error_formerr_without_question(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	put_hdr(&m, 0x0102, WIRE_FLAG_RD, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_FORMERR);
	size_t n = wire_reply_error(&q, WIRE_RCODE_FORMERR, NULL, 1232, out, sizeof(out));
	const uint8_t want[] = {1, 2, 0x81, 0x81, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void test_wire_reply_error_notimp_copies_opcode(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	put_hdr(&m, 5, 2 << 11, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_NOTIMP);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_NOTIMP, NULL, 1232, out, sizeof(out)), 12);
	assert_int_equal(wire_read_u16(out + 2), 0x8000 | 2 << 11 | 0x0080 | 4);
}

static void test_wire_reply_error_badvers_opt(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 4096, 3, true, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), ERR_BADVERS);
	size_t n = wire_reply_error(&q, WIRE_RCODE_BADVERS, NULL, 1232, out, sizeof(out));
	assert_int_equal(n, 12 + 21 + 11);
	assert_int_equal(out[3] & 0x0f, 0); /* low rcode bits of 16 */
	assert_int_equal(wire_read_u16(out + 10), 1);
	const uint8_t *opt = out + 12 + 21;
	const uint8_t want[] = {0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0};
	assert_memory_equal(opt, want, sizeof(want));
	/* ldns reads the same 12-bit rcode back. */
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	assert_int_equal(((unsigned)ldns_pkt_edns_extended_rcode(p) << 4) | ldns_pkt_get_rcode(p),
	                 16);
	assert_int_equal(ldns_pkt_edns_version(p), 0);
	ldns_pkt_free(p);
}

static void test_wire_reply_error_ede_in_opt(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	const struct wire_ede ede = {20, "lame"};
	put_query(&m, WIRE_FLAG_RD, 0, 0, 1);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	size_t n = wire_reply_error(&q, WIRE_RCODE_SERVFAIL, &ede, 1400, out, sizeof(out));
	const uint8_t want[] = {0, 0,  41, 0x05, 0x78, 0,  0,   0,   0,   0,  10,
	                        0, 15, 0,  6,    0,    20, 'l', 'a', 'm', 'e'};
	assert_int_equal(n, 12 + 21 + sizeof(want));
	assert_int_equal(out[3] & 0x0f, WIRE_RCODE_SERVFAIL);
	assert_memory_equal(out + 33, want, sizeof(want));
}

static void test_wire_reply_error_no_edns_no_opt(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	const struct wire_ede ede = {20, "lame"};
	put_query(&m, 0, 0, 0, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_REFUSED, &ede, 1232, out, sizeof(out)),
	                 33);
	assert_int_equal(wire_read_u16(out + 10), 0);
	/* An extended rcode cannot be sent without an OPT. */
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_BADVERS, NULL, 1232, out, sizeof(out)),
	                 33);
	assert_int_equal(out[3] & 0x0f, WIRE_RCODE_SERVFAIL);
}

static void test_wire_reply_error_no_room(void **state)
{
	struct msg m;
	struct wire_query q;
	uint8_t out[512];
	put_query(&m, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_query_parse(m.b, m.n, &q), 0);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_SERVFAIL, NULL, 1232, out, 11), 0);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_SERVFAIL, NULL, 1232, out, 20), 0);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_SERVFAIL, NULL, 1232, out, 43), 0);
	assert_int_equal(wire_reply_error(&q, WIRE_RCODE_SERVFAIL, NULL, 1232, out, 44), 44);
}

/* ---- TTL map ---- */

static void push_rr(ldns_pkt *p, ldns_pkt_section s, const char *text)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	assert_true(ldns_pkt_push_rr(p, s, rr));
}

/* A response with answer, authority, additional and an OPT, compressed by ldns. */
static uint8_t *build_response(size_t *len)
{
	ldns_pkt *p = ldns_pkt_new();
	assert_non_null(p);
	ldns_pkt_set_id(p, 77);
	ldns_pkt_set_qr(p, true);
	ldns_rr *q = NULL;
	assert_int_equal(ldns_rr_new_question_frm_str(&q, "www.example.com. IN A", NULL, NULL),
	                 LDNS_STATUS_OK);
	assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q));
	push_rr(p, LDNS_SECTION_ANSWER, "www.example.com. 300 IN CNAME web.example.com.");
	push_rr(p, LDNS_SECTION_ANSWER, "web.example.com. 301 IN A 192.0.2.1");
	push_rr(p, LDNS_SECTION_AUTHORITY, "example.com. 3600 IN NS ns1.example.com.");
	push_rr(p, LDNS_SECTION_ADDITIONAL, "ns1.example.com. 60 IN A 192.0.2.53");
	push_rr(p, LDNS_SECTION_ADDITIONAL, "ns1.example.com. 61 IN AAAA 2001:db8::53");
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_do(p, true);
	uint8_t *wire = NULL;
	assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static void test_wire_msg_ttl_map_offsets(void **state)
{
	size_t len;
	uint8_t *pkt = build_response(&len);
	assert_int_equal(wire_read_u16(pkt + 10), 3);      /* two records and the OPT */
	assert_non_null(memchr(pkt + 12, 0xc0, len - 12)); /* names are compressed */
	uint16_t offs[8];
	struct wire_ttl_map map = {offs, 0, 8, 0};
	assert_int_equal(wire_msg_ttl_map(pkt, len, &map), 0);
	const uint32_t want[] = {300, 301, 3600, 60, 61};
	assert_int_equal(map.count, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(wire_read_u32(pkt + offs[i]), want[i]);
		/* The two bytes before the TTL are the class. */
		assert_int_equal(wire_read_u16(pkt + offs[i] - 2), WIRE_CLASS_IN);
	}
	assert_int_equal(map.min_ttl, 60);
	free(pkt);
}

static void test_wire_msg_ttl_map_patch(void **state)
{
	/* Patching through the map changes what ldns reads, and only the TTLs. */
	size_t len;
	uint8_t *pkt = build_response(&len);
	uint16_t offs[8];
	struct wire_ttl_map map = {offs, 0, 8, 0};
	assert_int_equal(wire_msg_ttl_map(pkt, len, &map), 0);
	for (size_t i = 0; i < map.count; i++)
		wire_write_u32(pkt + offs[i], 7);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, pkt, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 1)), 7);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 7);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_additional(p), 1)), 7);
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	ldns_pkt_free(p);
	free(pkt);
}

static void test_wire_msg_ttl_map_space(void **state)
{
	size_t len;
	uint8_t *pkt = build_response(&len);
	uint16_t offs[5];
	struct wire_ttl_map map = {offs, 0, 4, 0};
	assert_int_equal(wire_msg_ttl_map(pkt, len, &map), ERR_SPACE);
	map.cap = 5;
	assert_int_equal(wire_msg_ttl_map(pkt, len, &map), 0);
	free(pkt);
}

static void test_wire_msg_ttl_map_malformed(void **state)
{
	size_t len;
	uint8_t *pkt = build_response(&len);
	uint8_t buf[1024];
	uint16_t offs[8];
	struct wire_ttl_map map = {offs, 0, 8, 0};
	assert_true(len + 1 <= sizeof(buf));
	memcpy(buf, pkt, len);
	/* Every truncation fails. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(wire_msg_ttl_map(buf, n, &map), ERR_FORMERR);
	/* Trailing garbage. */
	buf[len] = 0;
	assert_int_equal(wire_msg_ttl_map(buf, len + 1, &map), ERR_FORMERR);
	/* One record more declared than present. */
	wire_write_u16(buf + 6, 3);
	assert_int_equal(wire_msg_ttl_map(buf, len, &map), ERR_FORMERR);
	wire_write_u16(buf + 6, 2);
	/* The same six records with the OPT counted in the authority section. */
	wire_write_u16(buf + 8, 4);
	wire_write_u16(buf + 10, 0);
	assert_int_equal(wire_msg_ttl_map(buf, len, &map), ERR_FORMERR);
	free(pkt);
}

static void test_wire_msg_ttl_map_bad_pointer(void **state)
{
	struct msg m;
	uint16_t offs[4];
	struct wire_ttl_map map = {offs, 0, 4, 0};
	put_hdr(&m, 1, WIRE_FLAG_QR, 1, 1, 0, 0);
	put_name(&m, "example.com");
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	size_t owner = m.n;
	putn(&m, "\xc0\x0c", 2);
	put16(&m, WIRE_TYPE_A);
	put16(&m, WIRE_CLASS_IN);
	put32(&m, 30);
	put16(&m, 4);
	put32(&m, 0xc0000201);
	assert_int_equal(wire_msg_ttl_map(m.b, m.n, &map), 0);
	assert_int_equal(map.count, 1);
	assert_int_equal(offs[0], owner + 6);
	m.b[owner + 1] = (uint8_t)owner; /* points at itself */
	assert_int_equal(wire_msg_ttl_map(m.b, m.n, &map), ERR_FORMERR);
}

static void test_wire_msg_ttl_map_two_opts(void **state)
{
	struct msg m;
	uint16_t offs[4];
	struct wire_ttl_map map = {offs, 0, 4, 0};
	put_hdr(&m, 1, WIRE_FLAG_QR, 0, 0, 0, 2);
	put_opt(&m, 1232, 0, false, NULL, 0);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_msg_ttl_map(m.b, m.n, &map), ERR_FORMERR);
}

static void test_wire_msg_ttl_map_empty(void **state)
{
	struct msg m;
	struct wire_ttl_map map = {NULL, 5, 0, 0};
	put_hdr(&m, 1, WIRE_FLAG_QR, 0, 0, 0, 1);
	put_opt(&m, 1232, 0, false, NULL, 0);
	assert_int_equal(wire_msg_ttl_map(m.b, m.n, &map), 0);
	assert_int_equal(map.count, 0);
	assert_int_equal(map.min_ttl, UINT32_MAX);
}

static void test_wire_msg_ttl_map_high_bit_ttl(void **state)
{
	/* RFC 2181 §8: a TTL with the top bit set counts as zero. */
	struct msg m;
	uint16_t offs[4];
	struct wire_ttl_map map = {offs, 0, 4, 0};
	put_hdr(&m, 1, WIRE_FLAG_QR, 0, 2, 0, 0);
	put8(&m, 0);
	put16(&m, WIRE_TYPE_TXT);
	put16(&m, WIRE_CLASS_IN);
	put32(&m, 0x80000001u);
	put16(&m, 0);
	put8(&m, 0);
	put16(&m, WIRE_TYPE_TXT);
	put16(&m, WIRE_CLASS_IN);
	put32(&m, 100);
	put16(&m, 0);
	assert_int_equal(wire_msg_ttl_map(m.b, m.n, &map), 0);
	assert_int_equal(map.count, 2);
	assert_int_equal(map.min_ttl, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_wire_dname_unpack_compressed),
	        cmocka_unit_test(test_wire_dname_unpack_keeps_case),
	        cmocka_unit_test(test_wire_dname_unpack_pointer_to_itself),
	        cmocka_unit_test(test_wire_dname_unpack_loop),
	        cmocka_unit_test(test_wire_dname_unpack_forward_pointer),
	        cmocka_unit_test(test_wire_dname_unpack_pointer_into_own_name),
	        cmocka_unit_test(test_wire_dname_unpack_pointer_chain),
	        cmocka_unit_test(test_wire_dname_unpack_too_long_via_pointer),
	        cmocka_unit_test(test_wire_dname_unpack_too_long_flat),
	        cmocka_unit_test(test_wire_dname_unpack_label_type_bits),
	        cmocka_unit_test(test_wire_dname_unpack_past_end),
	        cmocka_unit_test(test_wire_dname_skip_compressed),
	        cmocka_unit_test(test_wire_dname_len_values),
	        cmocka_unit_test(test_wire_dname_from_str_plain),
	        cmocka_unit_test(test_wire_dname_from_str_root),
	        cmocka_unit_test(test_wire_dname_from_str_escapes),
	        cmocka_unit_test(test_wire_dname_from_str_bad_escapes),
	        cmocka_unit_test(test_wire_dname_from_str_empty_labels),
	        cmocka_unit_test(test_wire_dname_from_str_label_limit),
	        cmocka_unit_test(test_wire_dname_from_str_name_limit),
	        cmocka_unit_test(test_wire_dname_to_str_round_trip),
	        cmocka_unit_test(test_wire_dname_to_str_escapes),
	        cmocka_unit_test(test_wire_dname_to_str_truncates),
	        cmocka_unit_test(test_wire_dname_to_str_worst_case_fits),
	        cmocka_unit_test(test_wire_dname_equal_case),
	        cmocka_unit_test(test_wire_dname_to_lower_letters_only),
	        cmocka_unit_test(test_wire_dname_labels_count),
	        cmocka_unit_test(test_wire_dname_is_subdomain_cases),
	        cmocka_unit_test(test_wire_dname_parent_walk),
	        cmocka_unit_test(test_wire_dname_suffix_labels),
	        cmocka_unit_test(test_wire_dname_canonical_cmp_rfc4034_order),
	        cmocka_unit_test(test_wire_dname_canonical_cmp_case),
	        cmocka_unit_test(test_wire_query_parse_plain),
	        cmocka_unit_test(test_wire_query_parse_edns),
	        cmocka_unit_test(test_wire_query_parse_do_bit),
	        cmocka_unit_test(test_wire_query_parse_other_additional),
	        cmocka_unit_test(test_wire_query_parse_short_header),
	        cmocka_unit_test(test_wire_query_parse_response_dropped),
	        cmocka_unit_test(test_wire_query_parse_truncated_question),
	        cmocka_unit_test(test_wire_query_parse_notify),
	        cmocka_unit_test(test_wire_query_parse_notimp_unreadable_question),
	        cmocka_unit_test(test_wire_query_parse_qdcount_zero),
	        cmocka_unit_test(test_wire_query_parse_qdcount_two),
	        cmocka_unit_test(test_wire_query_parse_compressed_question),
	        cmocka_unit_test(test_wire_query_parse_oversized_name),
	        cmocka_unit_test(test_wire_query_parse_answer_or_authority),
	        cmocka_unit_test(test_wire_query_parse_opt_in_answer),
	        cmocka_unit_test(test_wire_query_parse_two_opts),
	        cmocka_unit_test(test_wire_query_parse_opt_not_root),
	        cmocka_unit_test(test_wire_query_parse_bad_option_length),
	        cmocka_unit_test(test_wire_query_parse_rdlength_overrun),
	        cmocka_unit_test(test_wire_query_parse_truncated_additional),
	        cmocka_unit_test(test_wire_query_parse_cookie_client_only),
	        cmocka_unit_test(test_wire_query_parse_cookie_with_server),
	        cmocka_unit_test(test_wire_query_parse_cookie_bad_length),
	        cmocka_unit_test(test_wire_query_parse_badvers),
	        cmocka_unit_test(test_wire_query_parse_trailing_garbage),
	        cmocka_unit_test(test_wire_query_udp_limit_clamping),
	        cmocka_unit_test(test_wire_edns_write_ede_bytes),
	        cmocka_unit_test(test_wire_edns_write_no_ede),
	        cmocka_unit_test(test_wire_edns_write_ede_without_text),
	        cmocka_unit_test(test_wire_edns_write_no_room),
	        cmocka_unit_test(test_wire_reply_error_formerr_with_question),
	        cmocka_unit_test(test_wire_reply_error_formerr_without_question),
	        cmocka_unit_test(test_wire_reply_error_notimp_copies_opcode),
	        cmocka_unit_test(test_wire_reply_error_badvers_opt),
	        cmocka_unit_test(test_wire_reply_error_ede_in_opt),
	        cmocka_unit_test(test_wire_reply_error_no_edns_no_opt),
	        cmocka_unit_test(test_wire_reply_error_no_room),
	        cmocka_unit_test(test_wire_msg_ttl_map_offsets),
	        cmocka_unit_test(test_wire_msg_ttl_map_patch),
	        cmocka_unit_test(test_wire_msg_ttl_map_space),
	        cmocka_unit_test(test_wire_msg_ttl_map_malformed),
	        cmocka_unit_test(test_wire_msg_ttl_map_bad_pointer),
	        cmocka_unit_test(test_wire_msg_ttl_map_two_opts),
	        cmocka_unit_test(test_wire_msg_ttl_map_empty),
	        cmocka_unit_test(test_wire_msg_ttl_map_high_bit_ttl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
