/*
 * dump.c - the cache as text, for the control commands: cache_dump() writes
 * every live entry in the zone-file-like format described in cache.h and
 * cache_load() reads it back (a warm start after a restart, or moving a
 * cache to another resolver). Not a query path: both use ldns for records.
 *
 * The dump copies one shard at a time (cache__walk) and formats and writes
 * with no lock held. The loader treats its input as hostile: every line is
 * bounded, every count checked, every record parsed by ldns, and the first
 * problem stops it with the line number.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "mangrove/errors.h"
#include "mangrove/wire.h"

#define DUMP_VERSION 1
#define DUMP_MAGIC   "; mangrove cache dump version"
/* Most records a dumped entry may say it has (a message holds at most 65535 per section). */
#define DUMP_RRS_MAX 65535u

static const char *const trust_names[] = {
        [CACHE_TRUST_HINT] = "hint",
        [CACHE_TRUST_GLUE] = "glue",
        [CACHE_TRUST_AUTHORITY_NA] = "authority-na",
        [CACHE_TRUST_ANSWER_NA] = "answer-na",
        [CACHE_TRUST_AUTHORITY_AA] = "authority-aa",
        [CACHE_TRUST_ANSWER_AA] = "answer-aa",
};
#define TRUST_COUNT (sizeof(trust_names) / sizeof(trust_names[0]))

struct flag_name {
	const char *name;
	uint16_t bit;
};

/* Header bits of a stored reply, in the order they are written. */
static const struct flag_name hdr_flags[] = {
        {"qr", WIRE_FLAG_QR}, {"aa", WIRE_FLAG_AA}, {"tc", WIRE_FLAG_TC}, {"rd", WIRE_FLAG_RD},
        {"ra", WIRE_FLAG_RA}, {"ad", WIRE_FLAG_AD}, {"cd", WIRE_FLAG_CD}, {NULL, 0},
};

/* The message-cache key flags. */
static const struct flag_name key_flags[] = {
        {"cd", CACHE_MSG_CD},
        {"do", CACHE_MSG_DO},
        {NULL, 0},
};

/* The sections of a $MSG entry, in order. */
static const struct {
	const char *marker;
	ldns_pkt_section section;
} msg_sections[4] = {
        {"$QUESTION", LDNS_SECTION_QUESTION},
        {"$ANSWER", LDNS_SECTION_ANSWER},
        {"$AUTHORITY", LDNS_SECTION_AUTHORITY},
        {"$ADDITIONAL", LDNS_SECTION_ADDITIONAL},
};

/* ---- writing ---- */

struct dump {
	time_t now;
	cache_write_cb write;
	void *arg;
	ldns_buffer *buf; /* the entry being formatted */
	size_t entries;
};

/* Is rr's text, just written at buf[at..] (one line), read back by ldns as exactly rr? */
static bool reads_back(ldns_buffer *buf, size_t at, const ldns_rr *rr)
{
	size_t n = ldns_buffer_position(buf) - at;
	char *line = malloc(n + 1);
	if (line == NULL)
		return false;
	memcpy(line, ldns_buffer_at(buf, at), n);
	line[n > 0 && line[n - 1] == '\n' ? n - 1 : n] = '\0';
	ldns_rr *back = NULL;
	uint8_t *wa = NULL, *wb = NULL;
	size_t la = 0, lb = 0;
	bool same = ldns_rr_new_frm_str(&back, line, 0, NULL, NULL) == LDNS_STATUS_OK &&
	            ldns_rr2wire(&wa, rr, LDNS_SECTION_ANSWER, &la) == LDNS_STATUS_OK &&
	            ldns_rr2wire(&wb, back, LDNS_SECTION_ANSWER, &lb) == LDNS_STATUS_OK &&
	            la == lb && memcmp(wa, wb, la) == 0;
	free(wa);
	free(wb);
	ldns_rr_free(back);
	free(line);
	return same;
}

/* rr in the RFC 3597 §5 generic form: "owner ttl CLASSn TYPEn \# len hex". */
static int write_generic(ldns_buffer *buf, const ldns_rr *rr)
{
	ldns_buffer *rd = ldns_buffer_new(256);
	if (rd == NULL)
		return ERR_NOMEM;
	int rc = 0;
	if (ldns_rr_rdata2buffer_wire(rd, rr) != LDNS_STATUS_OK ||
	    ldns_rdf2buffer_str(buf, ldns_rr_owner(rr)) != LDNS_STATUS_OK) {
		rc = ERR_FORMERR;
	} else {
		ldns_buffer_printf(buf, "\t%u\tCLASS%u\tTYPE%u\t\\# %zu ", ldns_rr_ttl(rr),
		                   (unsigned)ldns_rr_get_class(rr), (unsigned)ldns_rr_get_type(rr),
		                   ldns_buffer_position(rd));
		for (size_t i = 0; i < ldns_buffer_position(rd); i++)
			ldns_buffer_printf(buf, "%02x", ldns_buffer_at(rd, 0)[i]);
		ldns_buffer_printf(buf, "\n");
	}
	ldns_buffer_free(rd);
	return rc;
}

/* Is the line written at buf[at..] (newline included) within the limit? */
static bool line_fits(ldns_buffer *buf, size_t at)
{
	return ldns_buffer_position(buf) - at <= CACHE_DUMP_LINE_MAX + 1;
}

/*
 * One record line: as ldns prints it, or in the generic form when that would
 * not read back the same. ERR_RANGE when even the generic form is longer than
 * a line may be, ERR_FORMERR when no form reads back, ERR_NOMEM.
 */
static int write_rr(ldns_buffer *buf, const ldns_rr *rr)
{
	size_t at = ldns_buffer_position(buf);
	if (ldns_rr2buffer_str_fmt(buf, ldns_output_format_nocomments, rr) == LDNS_STATUS_OK &&
	    ldns_buffer_status_ok(buf) && line_fits(buf, at) && reads_back(buf, at, rr))
		return 0;
	ldns_buffer_set_position(buf, at);
	int rc = write_generic(buf, rr);
	if (rc != 0)
		return rc;
	if (!ldns_buffer_status_ok(buf))
		return ERR_NOMEM;
	if (!line_fits(buf, at))
		return ERR_RANGE;
	return reads_back(buf, at, rr) ? 0 : ERR_FORMERR;
}

static int write_rrs(ldns_buffer *buf, const ldns_rr_list *list)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && list != NULL && i < ldns_rr_list_rr_count(list); i++)
		rc = write_rr(buf, ldns_rr_list_rr(list, i));
	return rc;
}

/* "a,b" for the named bits set in bits, "-" for none. */
static void write_flags(ldns_buffer *buf, const struct flag_name *names, unsigned bits)
{
	bool first = true;
	for (const struct flag_name *f = names; f->name != NULL; f++) {
		if (bits & f->bit) {
			ldns_buffer_printf(buf, "%s%s", first ? "" : ",", f->name);
			first = false;
		}
	}
	if (first)
		ldns_buffer_printf(buf, "-");
}

/* A name from a lookup table, or the number when the table has none. */
static void write_code(ldns_buffer *buf, ldns_lookup_table *table, int code)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(table, code);
	if (t != NULL && t->name != NULL)
		ldns_buffer_printf(buf, "%s", t->name);
	else
		ldns_buffer_printf(buf, "%d", code);
}

static int dump_rrset(struct dump *d, const struct cache__copy *e)
{
	ldns_rr_list *rrs = NULL, *sigs = NULL;
	enum cache_trust trust = CACHE_TRUST_HINT;
	int rc = cache__rrset_read(e, d->now, &rrs, &sigs, &trust);
	if (rc != 0)
		return rc;
	ldns_buffer_printf(d->buf, "$RRSET trust=%s ttl=%lld rrs=%zu sigs=%zu\n",
	                   (size_t)trust < TRUST_COUNT ? trust_names[trust] : "?",
	                   (long long)(e->expiry - d->now), ldns_rr_list_rr_count(rrs),
	                   sigs != NULL ? ldns_rr_list_rr_count(sigs) : 0);
	rc = write_rrs(d->buf, rrs);
	if (rc == 0)
		rc = write_rrs(d->buf, sigs);
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	return rc;
}

/* The $MSG line: the key, the seconds left and the stored header (read from the wire). */
static void dump_msg_head(struct dump *d, const struct cache__copy *e, const uint8_t *wire,
                          const ldns_pkt *pkt, int ede)
{
	const uint8_t *qname = e->key + 1;
	size_t n = cache__key_name_len(e->key, e->klen);
	char name[WIRE_DNAME_STR_MAX];
	uint16_t hdr = wire_read_u16(wire + 2);
	ldns_buffer_printf(d->buf,
	                   "$MSG qname=%s qtype=", wire_dname_to_str(qname, name, sizeof(name)));
	ldns_rr_type2buffer_str(d->buf, (ldns_rr_type)wire_read_u16(qname + n));
	ldns_buffer_printf(d->buf, " qclass=");
	ldns_rr_class2buffer_str(d->buf, (ldns_rr_class)wire_read_u16(qname + n + 2));
	ldns_buffer_printf(d->buf, " keyflags=");
	write_flags(d->buf, key_flags, qname[n + 4]);
	ldns_buffer_printf(d->buf, " ttl=%lld id=%u opcode=", (long long)(e->expiry - d->now),
	                   wire_read_u16(wire));
	write_code(d->buf, ldns_opcodes, (hdr >> 11) & 0x0f);
	ldns_buffer_printf(d->buf, " rcode=");
	write_code(d->buf, ldns_rcodes, hdr & 0x0f);
	ldns_buffer_printf(d->buf, " flags=");
	write_flags(d->buf, hdr_flags, hdr);
	if (ede >= 0)
		ldns_buffer_printf(d->buf, " ede=%d", ede);
	else
		ldns_buffer_printf(d->buf, " ede=none");
	ldns_buffer_printf(d->buf, " qd=%zu an=%zu ns=%zu ar=%zu\n", ldns_pkt_qdcount(pkt),
	                   ldns_pkt_ancount(pkt), ldns_pkt_nscount(pkt), ldns_pkt_arcount(pkt));
}

/* The question lines: "name class type". */
static void dump_question(struct dump *d, const ldns_rr_list *qs)
{
	for (size_t i = 0; qs != NULL && i < ldns_rr_list_rr_count(qs); i++) {
		const ldns_rr *q = ldns_rr_list_rr(qs, i);
		ldns_rdf2buffer_str(d->buf, ldns_rr_owner(q));
		ldns_buffer_printf(d->buf, "\t");
		ldns_rr_class2buffer_str(d->buf, ldns_rr_get_class(q));
		ldns_buffer_printf(d->buf, "\t");
		ldns_rr_type2buffer_str(d->buf, ldns_rr_get_type(q));
		ldns_buffer_printf(d->buf, "\n");
	}
}

/* A section's records, borrowed from pkt. */
static const ldns_rr_list *pkt_section(const ldns_pkt *pkt, ldns_pkt_section section)
{
	switch (section) {
	case LDNS_SECTION_ANSWER:
		return ldns_pkt_answer(pkt);
	case LDNS_SECTION_AUTHORITY:
		return ldns_pkt_authority(pkt);
	case LDNS_SECTION_ADDITIONAL:
		return ldns_pkt_additional(pkt);
	default:
		return ldns_pkt_question(pkt);
	}
}

static int dump_msg(struct dump *d, const struct cache__copy *e)
{
	struct cache__msg_info info;
	size_t n = cache__key_name_len(e->key, e->klen);
	if (n == 0 || e->klen != 1 + n + 5)
		return ERR_FORMERR;
	int rc = cache__msg_read(e, d->now, &info);
	if (rc != 0)
		return rc;
	ldns_pkt *pkt = NULL;
	/* ldns takes an OPT record out of the sections; Mangrove stores none. */
	if (info.len < WIRE_HDR_LEN || ldns_wire2pkt(&pkt, info.wire, info.len) != LDNS_STATUS_OK) {
		free(info.wire);
		return ERR_FORMERR;
	}
	dump_msg_head(d, e, info.wire, pkt, info.ede);
	ldns_buffer_printf(d->buf, "%s\n", msg_sections[0].marker);
	dump_question(d, ldns_pkt_question(pkt));
	for (int s = 1; rc == 0 && s < 4; s++) {
		ldns_buffer_printf(d->buf, "%s\n", msg_sections[s].marker);
		rc = write_rrs(d->buf, pkt_section(pkt, msg_sections[s].section));
	}
	ldns_pkt_free(pkt);
	free(info.wire);
	return rc;
}

/* In place of an entry that cannot be written: a comment saying which and why. */
static void dump_skipped(struct dump *d, const struct cache__copy *e, int why)
{
	char name[WIRE_DNAME_STR_MAX] = "?";
	size_t n = cache__key_name_len(e->key, e->klen);
	ldns_buffer_clear(d->buf);
	if (n > 0 && e->klen >= 1 + n + 2)
		wire_dname_to_str(e->key + 1, name, sizeof(name));
	ldns_buffer_printf(d->buf, "; not dumped: %s %s type ",
	                   e->key[0] == CACHE__KIND_MSG ? "message" : "RRset", name);
	if (n > 0 && e->klen >= 1 + n + 2)
		ldns_rr_type2buffer_str(d->buf, (ldns_rr_type)wire_read_u16(e->key + 1 + n));
	ldns_buffer_printf(d->buf, ": %s\n",
	                   why == ERR_RANGE ? "a line would be too long" : "unreadable data");
}

static int dump_visit(const struct cache__copy *e, void *arg)
{
	struct dump *d = arg;
	int rc;
	ldns_buffer_clear(d->buf);
	if (e->klen > 0 && e->key[0] == CACHE__KIND_RRSET)
		rc = dump_rrset(d, e);
	else if (e->klen > 0 && e->key[0] == CACHE__KIND_MSG)
		rc = dump_msg(d, e);
	else
		return 0;
	if (rc == 0 && !ldns_buffer_status_ok(d->buf))
		rc = ERR_NOMEM;
	if (rc == ERR_NOMEM)
		return rc;
	if (rc != 0)
		dump_skipped(d, e, rc);
	else
		d->entries++;
	if (!ldns_buffer_status_ok(d->buf))
		return ERR_NOMEM;
	return d->write((const char *)ldns_buffer_begin(d->buf), ldns_buffer_position(d->buf),
	                d->arg);
}

int cache_dump(struct cache *c, time_t now, cache_write_cb write, void *arg)
{
	if (c == NULL || write == NULL)
		return ERR_INVAL;
	struct dump d = {.now = now, .write = write, .arg = arg, .buf = ldns_buffer_new(4096)};
	if (d.buf == NULL)
		return ERR_NOMEM;
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %d time %lld\n", DUMP_MAGIC, DUMP_VERSION,
	                 (long long)now);
	int rc = write(line, (size_t)n, arg);
	if (rc == 0)
		rc = cache__walk(c, now, dump_visit, &d);
	if (rc == 0) {
		n = snprintf(line, sizeof(line), "$END entries=%zu\n", d.entries);
		rc = write(line, (size_t)n, arg);
	}
	ldns_buffer_free(d.buf);
	return rc;
}

/* ---- reading ---- */

struct load {
	struct cache *c;
	time_t now;
	const char *text;
	size_t len;
	size_t pos;
	size_t line; /* number of the line in buf */
	char *buf;   /* that line, NUL-terminated; CACHE_DUMP_LINE_MAX + 1 bytes */
	char *err;
	size_t errlen;
	size_t loaded;
	size_t skipped;
	bool done; /* $END read */
};

/* Say what is wrong at a line; returns ERR_SYNTAX. */
__attribute__((format(printf, 3, 4))) static int load_fail(struct load *l, size_t line,
                                                           const char *fmt, ...)
{
	if (l->err != NULL && l->errlen > 0) {
		int n = snprintf(l->err, l->errlen, "line %zu: ", line);
		if (n >= 0 && (size_t)n < l->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return ERR_SYNTAX;
}

/* The next line into l->buf: 1, 0 at the end of the text, or ERR_SYNTAX. */
static int next_line(struct load *l)
{
	if (l->pos >= l->len)
		return 0;
	const char *start = l->text + l->pos;
	size_t rest = l->len - l->pos;
	const char *nl = memchr(start, '\n', rest);
	size_t n = nl != NULL ? (size_t)(nl - start) : rest;
	l->pos += nl != NULL ? n + 1 : n;
	l->line++;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > CACHE_DUMP_LINE_MAX)
		return load_fail(l, l->line, "line longer than %d bytes", CACHE_DUMP_LINE_MAX);
	if (memchr(start, '\0', n) != NULL)
		return load_fail(l, l->line, "NUL byte in the text");
	memcpy(l->buf, start, n);
	l->buf[n] = '\0';
	return 1;
}

/* The next line that is neither blank nor a comment: 1, 0 at the end, or ERR_SYNTAX. */
static int next_item(struct load *l)
{
	int rc;
	while ((rc = next_line(l)) == 1) {
		const char *p = l->buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != ';')
			return 1;
	}
	return rc;
}

/* The next whitespace-separated token of *s, NUL-terminated in place; NULL when none is left. */
static char *next_token(char **s)
{
	char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	char *tok = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return tok;
}

struct field {
	const char *name;
	char *value; /* set by parse_fields */
};

/* Split the "key=value" tokens of s into fields: each of them exactly once, no others. */
static int parse_fields(struct load *l, char *s, struct field *f, size_t n)
{
	char *tok;
	while ((tok = next_token(&s)) != NULL) {
		char *eq = strchr(tok, '=');
		if (eq == NULL)
			return load_fail(l, l->line, "'%.40s' is not key=value", tok);
		*eq = '\0';
		size_t i = 0;
		while (i < n && strcmp(f[i].name, tok) != 0)
			i++;
		if (i == n)
			return load_fail(l, l->line, "unknown field '%.40s'", tok);
		if (f[i].value != NULL)
			return load_fail(l, l->line, "field '%s' given twice", f[i].name);
		f[i].value = eq + 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (f[i].value == NULL)
			return load_fail(l, l->line, "missing field '%s'", f[i].name);
	}
	return 0;
}

/* A decimal number in [0, max]. */
static int field_uint(struct load *l, const struct field *f, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = 0;
	if (isdigit((unsigned char)f->value[0]))
		v = strtoull(f->value, &end, 10);
	if (end == NULL || *end != '\0' || errno != 0 || v > max)
		return load_fail(l, l->line, "bad %s '%.40s'", f->name, f->value);
	*out = v;
	return 0;
}

/* A "-" or comma-separated list of names from table into *bits. */
static int field_flags(struct load *l, const struct field *f, const struct flag_name *table,
                       uint16_t *bits)
{
	*bits = 0;
	if (strcmp(f->value, "-") == 0)
		return 0;
	for (const char *p = f->value;;) {
		size_t n = strcspn(p, ",");
		const struct flag_name *t = table;
		while (t->name != NULL && (strlen(t->name) != n || strncmp(t->name, p, n) != 0))
			t++;
		if (t->name == NULL || (*bits & t->bit))
			return load_fail(l, l->line, "bad %s '%.40s'", f->name, f->value);
		*bits |= t->bit;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* A code by its name in table (RCODE, OPCODE) or as a number up to max. */
static int field_code(struct load *l, const struct field *f, ldns_lookup_table *table, uint64_t max,
                      uint64_t *out)
{
	const ldns_lookup_table *t = ldns_lookup_by_name(table, f->value);
	if (t != NULL && t->id >= 0 && (uint64_t)t->id <= max) {
		*out = (uint64_t)t->id;
		return 0;
	}
	return field_uint(l, f, max, out);
}

/* Read n record lines (questions when question) and push them onto list. */
static int read_records(struct load *l, uint64_t n, bool question, ldns_rr_list *list)
{
	for (uint64_t i = 0; i < n; i++) {
		int rc = next_item(l);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return load_fail(l, l->line + 1,
			                 "the text ends inside an entry (%llu of %llu records)",
			                 (unsigned long long)i, (unsigned long long)n);
		if (l->buf[0] == '$')
			return load_fail(l, l->line,
			                 "a record expected (%llu of %llu), not a directive",
			                 (unsigned long long)i, (unsigned long long)n);
		ldns_rr *rr = NULL;
		ldns_status st = question ? ldns_rr_new_question_frm_str(&rr, l->buf, NULL, NULL)
		                          : ldns_rr_new_frm_str(&rr, l->buf, 0, NULL, NULL);
		if (st != LDNS_STATUS_OK)
			return load_fail(l, l->line, "bad record: %s", ldns_get_errorstr_by_id(st));
		if (question)
			ldns_rr_set_question(rr, true);
		if (!ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			return ERR_NOMEM;
		}
	}
	return 0;
}

/* Count an entry store's outcome; syntax errors are reported at the directive line. */
static int store_result(struct load *l, size_t line, int rc)
{
	if (rc == 0) {
		l->loaded++;
		return 0;
	}
	if (rc == ERR_EXISTS || rc == ERR_SPACE) {
		l->skipped++; /* a better-trusted RRset is cached, or it can never fit */
		return 0;
	}
	if (rc == ERR_NOMEM)
		return rc;
	return load_fail(l, line, "entry not accepted by the cache: %s", err_str(rc));
}

static uint32_t min_ttl(const ldns_rr_list *list)
{
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		if (ldns_rr_ttl(ldns_rr_list_rr(list, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(list, i));
	}
	return ttl;
}

static int load_rrset(struct load *l, char *args)
{
	struct field f[] = {{"trust", NULL}, {"ttl", NULL}, {"rrs", NULL}, {"sigs", NULL}};
	size_t line = l->line;
	uint64_t ttl, nrr, nsig;
	int rc = parse_fields(l, args, f, 4);
	size_t trust = 0;
	while (rc == 0 && trust < TRUST_COUNT && strcmp(f[0].value, trust_names[trust]) != 0)
		trust++;
	if (rc == 0 && trust == TRUST_COUNT)
		rc = load_fail(l, line, "bad trust '%.40s'", f[0].value);
	if (rc == 0)
		rc = field_uint(l, &f[1], UINT32_MAX, &ttl);
	if (rc == 0)
		rc = field_uint(l, &f[2], DUMP_RRS_MAX, &nrr);
	if (rc == 0)
		rc = field_uint(l, &f[3], DUMP_RRS_MAX, &nsig);
	if (rc == 0 && nrr == 0)
		rc = load_fail(l, line, "an RRset needs records (rrs=0)");
	if (rc != 0)
		return rc;
	ldns_rr_list *rrs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	if (rrs == NULL || sigs == NULL)
		rc = ERR_NOMEM;
	if (rc == 0)
		rc = read_records(l, nrr, false, rrs);
	if (rc == 0)
		rc = read_records(l, nsig, false, sigs);
	if (rc == 0 && (ttl == 0 || min_ttl(rrs) == 0)) {
		l->skipped++; /* expired in the dumping resolver */
	} else if (rc == 0) {
		rc = cache_rrset_store(l->c, rrs, nsig > 0 ? sigs : NULL, (enum cache_trust)trust,
		                       l->now);
		rc = store_result(l, line, rc);
	}
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	return rc;
}

/* A $MSG directive's fields, checked. */
struct msg_head {
	uint8_t qname[WIRE_DNAME_MAX];
	uint16_t qtype;
	uint16_t qclass;
	uint16_t keyflags;
	uint16_t flags; /* header bits, as in the wire flags word */
	uint64_t ttl;
	uint64_t id;
	uint64_t opcode;
	uint64_t rcode;
	int ede;
	uint64_t count[4]; /* qd, an, ns, ar */
};

enum {
	MF_QNAME,
	MF_QTYPE,
	MF_QCLASS,
	MF_KEYFLAGS,
	MF_TTL,
	MF_ID,
	MF_OPCODE,
	MF_RCODE,
	MF_FLAGS,
	MF_EDE,
	MF_QD,
	MF_AN,
	MF_NS,
	MF_AR,
	MF_COUNT
};

/* The names and number fields of a $MSG line, once parse_fields has split them. */
static int msg_head_values(struct load *l, struct field *f, struct msg_head *h)
{
	uint64_t ede = 0;
	h->qtype = ldns_get_rr_type_by_name(f[MF_QTYPE].value);
	h->qclass = ldns_get_rr_class_by_name(f[MF_QCLASS].value);
	if (wire_dname_from_str(f[MF_QNAME].value, h->qname, NULL) != 0)
		return load_fail(l, l->line, "bad qname '%.40s'", f[MF_QNAME].value);
	if (h->qtype == 0)
		return load_fail(l, l->line, "bad qtype '%.40s'", f[MF_QTYPE].value);
	if (h->qclass == 0)
		return load_fail(l, l->line, "bad qclass '%.40s'", f[MF_QCLASS].value);
	int rc = field_flags(l, &f[MF_KEYFLAGS], key_flags, &h->keyflags);
	if (rc == 0)
		rc = field_flags(l, &f[MF_FLAGS], hdr_flags, &h->flags);
	if (rc == 0)
		rc = field_uint(l, &f[MF_TTL], UINT32_MAX, &h->ttl);
	if (rc == 0)
		rc = field_uint(l, &f[MF_ID], 0xffff, &h->id);
	if (rc == 0)
		rc = field_code(l, &f[MF_OPCODE], ldns_opcodes, 15, &h->opcode);
	if (rc == 0)
		rc = field_code(l, &f[MF_RCODE], ldns_rcodes, 15, &h->rcode);
	if (rc == 0 && strcmp(f[MF_EDE].value, "none") != 0)
		rc = field_uint(l, &f[MF_EDE], 0xffff, &ede);
	h->ede = strcmp(f[MF_EDE].value, "none") == 0 ? -1 : (int)ede;
	for (int i = 0; rc == 0 && i < 4; i++)
		rc = field_uint(l, &f[MF_QD + i], DUMP_RRS_MAX, &h->count[i]);
	return rc;
}

static int msg_head_parse(struct load *l, char *args, struct msg_head *h)
{
	struct field f[MF_COUNT] = {
	        [MF_QNAME] = {"qname", NULL},   [MF_QTYPE] = {"qtype", NULL},
	        [MF_QCLASS] = {"qclass", NULL}, [MF_KEYFLAGS] = {"keyflags", NULL},
	        [MF_TTL] = {"ttl", NULL},       [MF_ID] = {"id", NULL},
	        [MF_OPCODE] = {"opcode", NULL}, [MF_RCODE] = {"rcode", NULL},
	        [MF_FLAGS] = {"flags", NULL},   [MF_EDE] = {"ede", NULL},
	        [MF_QD] = {"qd", NULL},         [MF_AN] = {"an", NULL},
	        [MF_NS] = {"ns", NULL},         [MF_AR] = {"ar", NULL},
	};
	int rc = parse_fields(l, args, f, MF_COUNT);
	return rc != 0 ? rc : msg_head_values(l, f, h);
}

/* The header of the reply to rebuild, as the $MSG line gave it. */
static void msg_set_header(ldns_pkt *pkt, const struct msg_head *h)
{
	ldns_pkt_set_id(pkt, (uint16_t)h->id);
	ldns_pkt_set_opcode(pkt, (ldns_pkt_opcode)h->opcode);
	ldns_pkt_set_rcode(pkt, (uint8_t)h->rcode);
	ldns_pkt_set_qr(pkt, (h->flags & WIRE_FLAG_QR) != 0);
	ldns_pkt_set_aa(pkt, (h->flags & WIRE_FLAG_AA) != 0);
	ldns_pkt_set_tc(pkt, (h->flags & WIRE_FLAG_TC) != 0);
	ldns_pkt_set_rd(pkt, (h->flags & WIRE_FLAG_RD) != 0);
	ldns_pkt_set_ra(pkt, (h->flags & WIRE_FLAG_RA) != 0);
	ldns_pkt_set_ad(pkt, (h->flags & WIRE_FLAG_AD) != 0);
	ldns_pkt_set_cd(pkt, (h->flags & WIRE_FLAG_CD) != 0);
}

/* The four section markers, each followed by its records, into pkt. */
static int msg_sections_read(struct load *l, const struct msg_head *h, ldns_pkt *pkt)
{
	for (int s = 0; s < 4; s++) {
		int rc = next_item(l);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return load_fail(l, l->line + 1,
			                 "the text ends inside an entry (%s expected)",
			                 msg_sections[s].marker);
		char *p = l->buf;
		const char *tok = next_token(&p);
		if (tok == NULL || strcmp(tok, msg_sections[s].marker) != 0 ||
		    next_token(&p) != NULL)
			return load_fail(l, l->line, "%s expected", msg_sections[s].marker);
		ldns_rr_list *list = ldns_rr_list_new();
		if (list == NULL)
			return ERR_NOMEM;
		rc = read_records(l, h->count[s], s == 0, list);
		size_t i = 0;
		while (rc == 0 && i < ldns_rr_list_rr_count(list)) {
			if (!ldns_pkt_push_rr(pkt, msg_sections[s].section,
			                      ldns_rr_list_rr(list, i)))
				rc = ERR_NOMEM;
			else
				i++; /* that record belongs to pkt now */
		}
		for (; i < ldns_rr_list_rr_count(list); i++)
			ldns_rr_free(ldns_rr_list_rr(list, i));
		ldns_rr_list_free(list);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int load_msg(struct load *l, char *args)
{
	struct msg_head h;
	size_t line = l->line;
	int rc = msg_head_parse(l, args, &h);
	if (rc != 0)
		return rc;
	ldns_pkt *pkt = ldns_pkt_new();
	if (pkt == NULL)
		return ERR_NOMEM;
	msg_set_header(pkt, &h);
	rc = msg_sections_read(l, &h, pkt);
	uint8_t *wire = NULL;
	size_t len = 0;
	if (rc == 0 && h.ttl == 0) {
		l->skipped++; /* expired in the dumping resolver */
	} else if (rc == 0) {
		if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK)
			rc = ERR_NOMEM;
		else if (len > WIRE_MSG_MAX)
			rc = load_fail(l, line, "the reply would be longer than %d bytes",
			               WIRE_MSG_MAX);
		else
			rc = store_result(l, line,
			                  cache_msg_store(l->c, h.qname, h.qtype, h.qclass,
			                                  (uint8_t)h.keyflags, wire, len,
			                                  (uint32_t)h.ttl, l->now, h.ede));
	}
	free(wire);
	ldns_pkt_free(pkt);
	return rc;
}

static int load_end(struct load *l, char *args)
{
	struct field f[] = {{"entries", NULL}};
	size_t line = l->line;
	uint64_t n;
	int rc = parse_fields(l, args, f, 1);
	if (rc == 0)
		rc = field_uint(l, &f[0], UINT64_MAX, &n);
	if (rc == 0 && n != l->loaded + l->skipped)
		return load_fail(l, line, "$END says %llu entries, %zu were read",
		                 (unsigned long long)n, l->loaded + l->skipped);
	if (rc == 0)
		rc = next_item(l);
	if (rc == 1)
		return load_fail(l, l->line, "text after $END");
	l->done = rc == 0;
	return rc;
}

/* The first line names the format and its version. */
static int load_header(struct load *l)
{
	int rc = next_line(l);
	if (rc < 0)
		return rc;
	size_t magic = strlen(DUMP_MAGIC);
	unsigned version = 0;
	long long when = 0;
	if (rc == 0 || strncmp(l->buf, DUMP_MAGIC, magic) != 0)
		return load_fail(l, 1, "not a mangrove cache dump (no '%s' line)", DUMP_MAGIC);
	if (sscanf(l->buf + magic, " %u time %lld", &version, &when) != 2)
		return load_fail(l, 1, "bad header line");
	if (version != DUMP_VERSION)
		return load_fail(l, 1, "dump version %u, only %d is known", version, DUMP_VERSION);
	return 0;
}

/* One entry, or the $END line. */
static int load_entry(struct load *l)
{
	int rc = next_item(l);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return load_fail(l, l->line + 1, "the dump ends without $END (cut short?)");
	char *args = l->buf;
	const char *word = next_token(&args);
	if (strcmp(word, "$RRSET") == 0)
		return load_rrset(l, args);
	if (strcmp(word, "$MSG") == 0)
		return load_msg(l, args);
	if (strcmp(word, "$END") == 0)
		return load_end(l, args);
	return load_fail(l, l->line, "$RRSET, $MSG or $END expected, not '%.40s'", word);
}

int cache_load(struct cache *c, const char *text, size_t len, time_t now, char *err, size_t errlen,
               size_t *loaded, size_t *skipped)
{
	struct load l = {
	        .c = c, .now = now, .text = text, .len = len, .err = err, .errlen = errlen};
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	int rc = 0;
	if (c == NULL || (text == NULL && len > 0))
		rc = ERR_INVAL;
	else if ((l.buf = malloc(CACHE_DUMP_LINE_MAX + 1)) == NULL)
		rc = ERR_NOMEM;
	if (rc == 0)
		rc = load_header(&l);
	while (rc == 0 && !l.done)
		rc = load_entry(&l);
	free(l.buf);
	if (loaded != NULL)
		*loaded = l.loaded;
	if (skipped != NULL)
		*skipped = l.skipped;
	return rc;
}
