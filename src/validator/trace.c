/*
 * trace.c - a validation trace made readable: names for the step kinds,
 * check results and insecure reasons, DNSSEC algorithm mnemonics, RFC 8914
 * names, and one line of text per step (mangrove-control explain).
 *
 * The steps themselves come from validator.c, as data (struct val_step);
 * this file only prints them. It does no I/O.
 *
 * Non-goals: JSON (the control socket has the fields), localisation.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mangrove/validator.h"
#include "mangrove/wire.h"

static const char *const kind_names[] = {
        [VAL_STEP_ANCHOR] = "anchor",     [VAL_STEP_DS] = "ds",
        [VAL_STEP_DNSKEY] = "dnskey",     [VAL_STEP_RRSIG] = "rrsig",
        [VAL_STEP_DENIAL] = "denial",     [VAL_STEP_ZONE] = "zone",
        [VAL_STEP_INSECURE] = "insecure", [VAL_STEP_NTA] = "nta",
        [VAL_STEP_RRSET] = "rrset",       [VAL_STEP_VERDICT] = "verdict",
};

static const char *const check_names[] = {
        [VAL_CHECK_OK] = "ok",
        [VAL_CHECK_BAD_SIG] = "bad signature",
        [VAL_CHECK_EXPIRED] = "signature expired",
        [VAL_CHECK_NOT_YET_VALID] = "signature not yet valid",
        [VAL_CHECK_NO_KEY] = "no DNSKEY with this key tag and algorithm",
        [VAL_CHECK_WRONG_SIGNER] = "signer or labels do not fit the owner",
        [VAL_CHECK_KEY_LIMIT] = "key-tag collision or signature check limit reached",
        [VAL_CHECK_UNSUPPORTED_ALG] = "unsupported algorithm, ignored",
        [VAL_CHECK_UNSUPPORTED_DIGEST] = "unsupported digest type, ignored",
        [VAL_CHECK_DIGEST_MISMATCH] = "digest matches no DNSKEY",
        [VAL_CHECK_UNTRUSTED] = "not matched by a DS or anchor",
        [VAL_CHECK_REVOKED] = "revoked, not used",
        [VAL_CHECK_NOT_ZONE_KEY] = "not a zone key, not used",
        [VAL_CHECK_RRSIGS_MISSING] = "RRSIGs missing",
        [VAL_CHECK_NO_DNSKEYS] = "no DNSKEY records",
        [VAL_CHECK_NO_TRUSTED_KEY] = "no DNSKEY matches a DS or trust anchor",
        [VAL_CHECK_NO_PROOF] = "no valid denial proof",
        [VAL_CHECK_NOT_APEX] = "signer is not a zone apex",
        [VAL_CHECK_BOGUS_CHAIN] = "chain of trust above is bogus",
        [VAL_CHECK_UNREACHABLE] = "DS or DNSKEY could not be resolved",
        [VAL_CHECK_BUDGET] = "validation work budget exhausted",
};

static const char *const insecure_names[] = {
        [VAL_INSECURE_NO_ANCHOR] = "no trust anchor",
        [VAL_INSECURE_DOMAIN] = "domain-insecure",
        [VAL_INSECURE_ALGORITHM] = "only unsupported algorithms",
        [VAL_INSECURE_DIGEST] = "only unsupported DS digest types",
        [VAL_INSECURE_NO_DS] = "no DS (proven by the parent)",
        [VAL_INSECURE_OPTOUT] = "no DS (NSEC3 opt-out)",
        [VAL_INSECURE_ITERATIONS] = "NSEC3 iterations over the limit",
};

#define NAME_OF(table, i)                                                                          \
	((size_t)(i) < sizeof(table) / sizeof((table)[0]) && (table)[i] != NULL ? (table)[i] : "?")

const char *val_step_kind_name(enum val_step_kind k)
{
	return NAME_OF(kind_names, k);
}

const char *val_check_name(enum val_check c)
{
	return NAME_OF(check_names, c);
}

const char *val_insecure_name(enum val_insecure r)
{
	return NAME_OF(insecure_names, r);
}

const char *val_algorithm_name(uint8_t algorithm)
{
	/* IANA "DNS Security Algorithm Numbers" (RFC 8624 §3.1) */
	switch (algorithm) {
	case 1:
		return "RSAMD5";
	case 3:
		return "DSA";
	case 5:
		return "RSASHA1";
	case 6:
		return "DSA-NSEC3-SHA1";
	case 7:
		return "RSASHA1-NSEC3-SHA1";
	case 8:
		return "RSASHA256";
	case 10:
		return "RSASHA512";
	case 12:
		return "ECC-GOST";
	case 13:
		return "ECDSAP256SHA256";
	case 14:
		return "ECDSAP384SHA384";
	case 15:
		return "ED25519";
	case 16:
		return "ED448";
	case 253:
		return "PRIVATEDNS";
	case 254:
		return "PRIVATEOID";
	default:
		return "unknown";
	}
}

/* RFC 8914 §5.2 and the IANA registry (27: RFC 9276). */
static const char *const ede_names[] = {
        "Other Error",
        "Unsupported DNSKEY Algorithm",
        "Unsupported DS Digest Type",
        "Stale Answer",
        "Forged Answer",
        "DNSSEC Indeterminate",
        "DNSSEC Bogus",
        "Signature Expired",
        "Signature Not Yet Valid",
        "DNSKEY Missing",
        "RRSIGs Missing",
        "No Zone Key Bit Set",
        "NSEC Missing",
        "Cached Error",
        "Not Ready",
        "Blocked",
        "Censored",
        "Filtered",
        "Prohibited",
        "Stale NXDomain Answer",
        "Not Authoritative",
        "Not Supported",
        "No Reachable Authority",
        "Network Error",
        "Invalid Data",
        "Signature Expired before Valid",
        "Too Early",
        "Unsupported NSEC3 Iterations Value",
};

const char *val_ede_name(int code)
{
	return code >= 0 && (size_t)code < sizeof(ede_names) / sizeof(ede_names[0])
	               ? ede_names[code]
	               : "unknown";
}

/* ---- one line per step ---- */

/* A line being written: appends never overflow; len counts what would have been written. */
struct line {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = l->len < l->cap ? l->cap - l->len : 0;
	int n = vsnprintf(room > 0 ? l->buf + l->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

static void put_name(struct line *l, const uint8_t *name)
{
	char text[WIRE_DNAME_MAX * 4 + 2];
	if (name == NULL || wire_dname_to_str(name, text, sizeof(text)) == NULL)
		put(l, "?");
	else
		put(l, "%s", text);
}

static void put_type(struct line *l, uint16_t type)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d != NULL && d->_name != NULL)
		put(l, "%s", d->_name);
	else
		put(l, "TYPE%u", type);
}

/* A time as ISO 8601 UTC. */
static void put_time(struct line *l, time_t t)
{
	struct tm tm;
	char text[32];
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		put(l, "%" PRId64, (int64_t)t);
	else
		put(l, "%s", text);
}

static void put_alg(struct line *l, uint8_t algorithm)
{
	put(l, "alg=%u (%s)", algorithm, val_algorithm_name(algorithm));
}

static void put_ede(struct line *l, int ede)
{
	if (ede >= 0)
		put(l, " EDE %d (%s)", ede, val_ede_name(ede));
}

/* ": reason" after a check, unless it passed. */
static void put_check(struct line *l, enum val_check c)
{
	if (c != VAL_CHECK_OK)
		put(l, ": %s", val_check_name(c));
}

static void format_anchor(struct line *l, const struct val_step *s)
{
	put(l, "anchor ");
	put_name(l, s->zone);
	if (s->type == LDNS_RR_TYPE_DS) {
		put(l, " DS tag=%u ", s->key_tag);
		put_alg(l, s->algorithm);
		put(l, " digest=%u", s->digest_type);
	} else {
		put(l, " DNSKEY tag=%u ", s->key_tag);
		put_alg(l, s->algorithm);
		put(l, " flags=%u", s->flags);
	}
	put_check(l, s->check);
}

static void format_ds(struct line *l, const struct val_step *s)
{
	put(l, "zone ");
	put_name(l, s->zone);
	put(l, " DS tag=%u ", s->key_tag);
	put_alg(l, s->algorithm);
	put(l, " digest=%u", s->digest_type);
	if (s->check == VAL_CHECK_OK)
		put(l, " matches DNSKEY %u", s->key_tag);
	else
		put_check(l, s->check);
}

static void format_dnskey(struct line *l, const struct val_step *s)
{
	put(l, "zone ");
	put_name(l, s->zone);
	put(l, " DNSKEY tag=%u ", s->key_tag);
	put_alg(l, s->algorithm);
	/* RFC 4034 §2.1.1: bit 15 SEP; RFC 5011 §3: bit 8 REVOKE */
	put(l, " flags=%u (%s%s)", s->flags, (s->flags & 0x0001u) ? "KSK" : "ZSK",
	    (s->flags & 0x0080u) ? ", revoked" : "");
	put(l, ": %s",
	    s->check == VAL_CHECK_OK ? "trusted (matches a DS or anchor)"
	                             : val_check_name(s->check));
}

static void format_rrsig(struct line *l, const struct val_step *s)
{
	put(l, "zone ");
	put_name(l, s->zone);
	put(l, " RRSIG ");
	put_type(l, s->type);
	put(l, " ");
	put_name(l, s->owner);
	put(l, " by %u/%u valid ", s->key_tag, s->algorithm);
	put_time(l, s->inception);
	put(l, "..");
	put_time(l, s->expiration);
	put(l, ": %s", s->check == VAL_CHECK_OK ? "valid" : val_check_name(s->check));
}

/* "-> bogus: why EDE n (name)" for conclusions that did not come out secure. */
static void put_conclusion(struct line *l, const struct val_step *s)
{
	if (s->status == VAL_SECURE)
		return;
	put(l, " -> %s", val_status_name(s->status));
	put_check(l, s->check);
	put_ede(l, s->ede);
}

static void format_denial(struct line *l, const struct val_step *s)
{
	put(l, "zone ");
	put_name(l, s->zone);
	put(l, "%s denial of ", s->count == 0 ? "" : s->nsec3 ? " NSEC3" : " NSEC");
	put_name(l, s->owner);
	put(l, " ");
	put_type(l, s->type);
	if (s->count > 0)
		put(l, ": proves %s", val_proof_name(s->proof));
	else if (s->proof == VAL_PROOF_NONE &&
	         (s->status != VAL_BOGUS || s->check == VAL_CHECK_BOGUS_CHAIN))
		put(l, " not checked"); /* the zone is insecure, or bogus above */
	else
		put(l, ": no validated NSEC/NSEC3");
	put_conclusion(l, s);
}

static void format_zone(struct line *l, const struct val_step *s)
{
	put(l, "zone ");
	put_name(l, s->zone);
	if (s->status == VAL_SECURE && s->cut)
		put(l, " secure, %u usable DNSKEY%s", s->count, s->count == 1 ? "" : "s");
	else if (s->status == VAL_SECURE)
		put(l, " is not a zone cut");
	else {
		put(l, " ");
		put_type(l, s->type);
		put(l, " %s", val_status_name(s->status));
		put_check(l, s->check);
		put_ede(l, s->ede);
	}
}

static void format_insecure(struct line *l, const struct val_step *s)
{
	put(l, s->insecure == VAL_INSECURE_NO_ANCHOR ? "name " : "zone ");
	put_name(l, s->zone);
	put(l, " insecure: %s", val_insecure_name(s->insecure));
	put_ede(l, s->ede);
}

static void format_nta(struct line *l, const struct val_step *s)
{
	put(l, "negative trust anchor ");
	put_name(l, s->zone);
	put(l, " covers ");
	put_name(l, s->owner);
	put(l, " until ");
	put_time(l, s->until);
}

static void format_rrset(struct line *l, const struct val_step *s)
{
	put(l, "rrset ");
	put_name(l, s->owner);
	put(l, " ");
	put_type(l, s->type);
	put(l, " in ");
	put_name(l, s->zone);
	put(l, ": %s", val_status_name(s->status));
	if (s->status != VAL_SECURE) {
		put_check(l, s->check);
		put_ede(l, s->ede);
	}
}

static void format_verdict(struct line *l, const struct val_step *s)
{
	put(l, "verdict %s", val_status_name(s->status));
	put_ede(l, s->ede);
	const struct val_step *f = s->failure;
	if (f != NULL) {
		put(l, ": first failure at ");
		put_name(l, f->owner);
		put(l, " ");
		put_type(l, f->type);
		put(l, " in zone ");
		put_name(l, f->zone);
		put_check(l, f->check);
	} else if (s->status == VAL_BOGUS) {
		put_check(l, s->check);
	}
}

size_t val_step_format(const struct val_step *s, char *buf, size_t len)
{
	static void (*const formats[])(struct line *, const struct val_step *) = {
	        [VAL_STEP_ANCHOR] = format_anchor,     [VAL_STEP_DS] = format_ds,
	        [VAL_STEP_DNSKEY] = format_dnskey,     [VAL_STEP_RRSIG] = format_rrsig,
	        [VAL_STEP_DENIAL] = format_denial,     [VAL_STEP_ZONE] = format_zone,
	        [VAL_STEP_INSECURE] = format_insecure, [VAL_STEP_NTA] = format_nta,
	        [VAL_STEP_RRSET] = format_rrset,       [VAL_STEP_VERDICT] = format_verdict,
	};
	struct line l = {.buf = buf, .cap = len, .len = 0};
	if (len > 0)
		buf[0] = '\0';
	if ((size_t)s->kind < sizeof(formats) / sizeof(formats[0]))
		formats[s->kind](&l, s);
	else
		put(&l, "step %d", (int)s->kind);
	return l.len;
}
