/*
 * dname.c - wire-format domain names: reading compressed names out of
 * messages, comparing, walking labels, and converting to and from
 * presentation text. Nothing here allocates.
 *
 * Functions taking a bare `const uint8_t *dname` expect a valid uncompressed
 * name (as produced by wire_dname_unpack() or wire_dname_from_str()); the
 * message readers defend against any input.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define LABEL_MAX 63
/* A 255-byte name has at most 127 labels; each jump must land further back,
 * so this bound is never reached by a well-formed message. */
#define MAX_JUMPS 128

static inline uint8_t lower(uint8_t c)
{
	/* RFC 4343 §3: only US-ASCII letters fold. */
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

/*
 * The one reader of names in messages. out may be NULL (skip only).
 * RFC 1035 §4.1.4: a pointer is two bytes with the top bits 11. Each pointer
 * must point before the start of the labels currently being read, so every
 * jump goes strictly backwards and loops are impossible; the jump count is
 * bounded as well. Label types 01 and 10 (RFC 6891 §5) are rejected.
 */
static int dname_read(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen)
{
	size_t p = *pos;
	size_t seg_start = p; /* start of the labels being read now */
	size_t end = 0;       /* where *pos goes: set at the first pointer */
	size_t total = 0;
	unsigned jumps = 0;
	for (;;) {
		if (p >= len)
			return ERR_FORMERR;
		uint8_t c = pkt[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return ERR_FORMERR;
			size_t target = ((size_t)(c & 0x3f) << 8) | pkt[p + 1];
			if (target >= seg_start || ++jumps > MAX_JUMPS)
				return ERR_FORMERR;
			if (end == 0)
				end = p + 2;
			p = seg_start = target;
			continue;
		}
		if (c > LABEL_MAX)
			return ERR_FORMERR;
		if (total + 1 + c > WIRE_DNAME_MAX || p + 1 + c > len)
			return ERR_FORMERR;
		if (out != NULL)
			memcpy(out + total, pkt + p, 1 + (size_t)c);
		total += 1 + (size_t)c;
		p += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	*pos = end != 0 ? end : p;
	if (outlen != NULL)
		*outlen = total;
	return 0;
}

size_t wire_dname_len(const uint8_t *dname)
{
	size_t n = 0;
	while (dname[n] != 0 && n < WIRE_DNAME_MAX)
		n += 1 + (size_t)dname[n];
	return n + 1;
}

int wire_dname_unpack(const uint8_t *pkt, size_t len, size_t *pos, uint8_t *out, size_t *outlen)
{
	return dname_read(pkt, len, pos, out, outlen);
}

int wire_dname_skip(const uint8_t *pkt, size_t len, size_t *pos)
{
	return dname_read(pkt, len, pos, NULL, NULL);
}

void wire_dname_to_lower(uint8_t *dname)
{
	while (*dname != 0) {
		uint8_t n = *dname++;
		for (uint8_t i = 0; i < n; i++, dname++)
			*dname = lower(*dname);
	}
}

bool wire_dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		uint8_t n = *a;
		if (n == 0)
			return true;
		for (uint8_t i = 1; i <= n; i++) {
			if (lower(a[i]) != lower(b[i]))
				return false;
		}
		a += 1 + n;
		b += 1 + n;
	}
}

unsigned wire_dname_labels(const uint8_t *dname)
{
	unsigned n = 0;
	while (*dname != 0) {
		dname += 1 + *dname;
		n++;
	}
	return n;
}

bool wire_dname_is_subdomain(const uint8_t *child, const uint8_t *parent)
{
	unsigned c = wire_dname_labels(child);
	unsigned p = wire_dname_labels(parent);
	if (c < p)
		return false;
	return wire_dname_equal(wire_dname_suffix(child, p), parent);
}

const uint8_t *wire_dname_parent(const uint8_t *dname)
{
	if (*dname == 0)
		return NULL;
	return dname + 1 + *dname;
}

const uint8_t *wire_dname_suffix(const uint8_t *dname, unsigned labels)
{
	unsigned n = wire_dname_labels(dname);
	while (n > labels) {
		dname += 1 + *dname;
		n--;
	}
	return dname;
}

/* Read one character of a label, resolving "\X" and "\DDD" (RFC 1035 §5.1). */
static int text_char(const char **sp, uint8_t *c)
{
	const char *s = *sp;
	if (*s != '\\') {
		*c = (uint8_t)*s;
		*sp = s + 1;
		return 0;
	}
	s++;
	if (*s == '\0')
		return ERR_SYNTAX;
	if (s[0] >= '0' && s[0] <= '9') {
		if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
			return ERR_SYNTAX;
		int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
		if (v > 255)
			return ERR_SYNTAX;
		*c = (uint8_t)v;
		*sp = s + 3;
		return 0;
	}
	*c = (uint8_t)*s;
	*sp = s + 1;
	return 0;
}

/*
 * Errors: ERR_SYNTAX for empty text, empty labels and bad escapes, ERR_RANGE
 * for labels over 63 bytes and names over 255 bytes (RFC 1035 §2.3.4).
 */
int wire_dname_from_str(const char *text, uint8_t *out, size_t *outlen)
{
	size_t n = 0;
	if (text[0] == '\0')
		return ERR_SYNTAX;
	if (text[0] == '.' && text[1] == '\0')
		text++; /* the root */
	while (*text != '\0') {
		size_t lab = n++; /* length byte */
		while (*text != '\0' && *text != '.') {
			uint8_t c;
			if (text_char(&text, &c) != 0)
				return ERR_SYNTAX;
			if (n - lab > LABEL_MAX)
				return ERR_RANGE;
			if (n + 1 >= WIRE_DNAME_MAX)
				return ERR_RANGE;
			out[n++] = c;
		}
		if (n - lab == 1)
			return ERR_SYNTAX; /* empty label: "a..b" or ".a" */
		out[lab] = (uint8_t)(n - lab - 1);
		if (*text == '.')
			text++;
	}
	out[n++] = 0;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/* Append formatted text; keeps buf NUL-terminated and stops when full. */
static void put(char *buf, size_t len, size_t *at, const char *s)
{
	while (*s != '\0' && *at + 1 < len)
		buf[(*at)++] = *s++;
	buf[*at] = '\0';
}

char *wire_dname_to_str(const uint8_t *dname, char *buf, size_t len)
{
	size_t at = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (*dname == 0) {
		put(buf, len, &at, ".");
		return buf;
	}
	size_t off = 0;
	while (dname[off] != 0 && off < WIRE_DNAME_MAX) {
		uint8_t n = dname[off++];
		for (uint8_t i = 0; i < n; i++) {
			uint8_t c = dname[off++];
			char tmp[5];
			/* Escape what presentation format would misread (as ldns does). */
			if (c == '.' || c == '\\' || c == ';' || c == '(' || c == ')' || c == '"')
				snprintf(tmp, sizeof(tmp), "\\%c", c);
			else if (c <= 0x20 || c >= 0x7f)
				snprintf(tmp, sizeof(tmp), "\\%03u", c);
			else
				snprintf(tmp, sizeof(tmp), "%c", c);
			put(buf, len, &at, tmp);
		}
		put(buf, len, &at, ".");
	}
	return buf;
}

/* Offsets of the labels of a name, leftmost first; returns the count. */
static unsigned label_offsets(const uint8_t *dname, uint8_t off[WIRE_DNAME_MAX / 2])
{
	unsigned n = 0;
	size_t p = 0;
	while (dname[p] != 0 && n < WIRE_DNAME_MAX / 2) {
		off[n++] = (uint8_t)p;
		p += 1 + (size_t)dname[p];
	}
	return n;
}

/*
 * RFC 4034 §6.1: compare label by label from the rightmost, each label as a
 * lower-cased octet string where a shorter prefix sorts first; a name that
 * runs out of labels first sorts first.
 */
int wire_dname_canonical_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[WIRE_DNAME_MAX / 2], ob[WIRE_DNAME_MAX / 2];
	unsigned na = label_offsets(a, oa);
	unsigned nb = label_offsets(b, ob);
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na];
		const uint8_t *lb = b + ob[--nb];
		unsigned n = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned i = 1; i <= n; i++) {
			int d = (int)lower(la[i]) - (int)lower(lb[i]);
			if (d != 0)
				return d;
		}
		if (la[0] != lb[0])
			return (int)la[0] - (int)lb[0];
	}
	return (int)na - (int)nb;
}
