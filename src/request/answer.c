/*
 * answer.c - replies to clients: the wire answer of a finished resolution
 * (with TTLs clamped and the negative TTL of RFC 2308 §5), and the
 * per-client finishing touches shared by fresh answers and cache hits
 * (ID, flags, the question as the client spelled it, EDNS, truncation).
 *
 * req_reply_finish() and req_cache_answer() are the cache-hit path: no
 * allocation, no ldns.
 */
#include "config.h"

#include <string.h>

#include "mangrove/clock.h"
#include "mangrove/errors.h"
#include "request_internal.h"

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo)
		v = lo;
	return v > hi ? hi : v;
}

/* RFC 2308 §5: a negative answer lives for min(SOA TTL, SOA MINIMUM), capped. */
static uint32_t negative_ttl(const ldns_rr *soa, uint32_t cap)
{
	uint32_t ttl = ldns_rr_ttl(soa);
	const ldns_rdf *min = ldns_rr_rdf(soa, 6);
	if (min != NULL && ldns_rdf_size(min) == 4 && ldns_rdf2native_int32(min) < ttl)
		ttl = ldns_rdf2native_int32(min);
	return ttl < cap ? ttl : cap;
}

static bool push_clone(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr *rr, uint32_t ttl)
{
	ldns_rr *copy = ldns_rr_clone(rr);
	if (copy == NULL)
		return false;
	ldns_rr_set_ttl(copy, ttl);
	if (!ldns_pkt_push_rr(pkt, sec, copy)) {
		ldns_rr_free(copy);
		return false;
	}
	return true;
}

static bool push_question(ldns_pkt *pkt, const struct req *r)
{
	ldns_rr *q = ldns_rr_new();
	if (q == NULL)
		return false;
	ldns_rr_set_question(q, true);
	ldns_rr_set_owner(q, ldns_dname_new_frm_data((uint16_t)wire_dname_len(r->qname), r->qname));
	ldns_rr_set_type(q, r->qtype);
	ldns_rr_set_class(q, r->qclass);
	if (ldns_rr_owner(q) == NULL || !ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q)) {
		ldns_rr_free(q);
		return false;
	}
	return true;
}

/*
 * RFC 4035 §3.2.1: without DO a reply carries no RRSIG, NSEC or NSEC3
 * records, unless the question asked for that type.
 */
static bool keep_for(const ldns_rr *rr, bool dnssec, uint16_t qtype)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	if (dnssec || type == qtype)
		return true;
	return type != LDNS_RR_TYPE_RRSIG && type != LDNS_RR_TYPE_NSEC &&
	       type != LDNS_RR_TYPE_NSEC3;
}

/* Fill the sections; returns the TTL the message may be cached for. */
static uint32_t fill_sections(ldns_pkt *pkt, const struct req *r, const struct iter_result *res,
                              bool dnssec, bool *ok)
{
	const struct conf *conf = r->env->conf;
	uint32_t msg_ttl = UINT32_MAX;
	for (size_t i = 0; res->answer != NULL && i < ldns_rr_list_rr_count(res->answer); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(res->answer, i);
		if (!keep_for(rr, dnssec, r->qtype))
			continue;
		uint32_t ttl = clamp_u32(ldns_rr_ttl(rr), conf->cache_min_ttl, conf->cache_max_ttl);
		*ok = *ok && push_clone(pkt, LDNS_SECTION_ANSWER, rr, ttl);
		if (ttl < msg_ttl)
			msg_ttl = ttl;
	}
	for (size_t i = 0; res->authority != NULL && i < ldns_rr_list_rr_count(res->authority);
	     i++) {
		const ldns_rr *rr = ldns_rr_list_rr(res->authority, i);
		if (!keep_for(rr, dnssec, r->qtype))
			continue;
		uint32_t ttl = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA
		                       ? negative_ttl(rr, conf->cache_max_negative_ttl)
		                       : clamp_u32(ldns_rr_ttl(rr), 0, conf->cache_max_ttl);
		*ok = *ok && push_clone(pkt, LDNS_SECTION_AUTHORITY, rr, ttl);
		if (ttl < msg_ttl)
			msg_ttl = ttl;
	}
	return msg_ttl;
}

/* Positive answers need records; negative ones need the SOA (RFC 2308 §5). */
static bool may_cache(const struct iter_result *res, const ldns_pkt *pkt)
{
	if (!res->cacheable ||
	    (res->rcode != LDNS_RCODE_NOERROR && res->rcode != LDNS_RCODE_NXDOMAIN))
		return false;
	if (ldns_pkt_nscount(pkt) > 0)
		return true;
	return res->rcode == LDNS_RCODE_NOERROR && ldns_pkt_ancount(pkt) > 0;
}

/*
 * Build the reply wire for DO clients (dnssec) or the others, and put it in
 * the message cache under the matching flags when it may be cached.
 */
static int answer_variant(struct req *r, const struct iter_result *res, bool dnssec, uint8_t **wire,
                          size_t *len)
{
	bool bogus = r->vstatus == VAL_BOGUS;
	uint16_t rcode = bogus ? LDNS_RCODE_SERVFAIL : res->rcode;
	ldns_pkt *pkt = ldns_pkt_new();
	if (pkt == NULL)
		return ERR_NOMEM;
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	/* RFC 4035 §3.2.3: AD only on data that validated; req_reply_finish()
	 * keeps it only for clients that asked with DO or AD (RFC 6840 §5.7). */
	ldns_pkt_set_ad(pkt, r->vstatus == VAL_SECURE);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	bool ok = push_question(pkt, r);
	uint32_t ttl = 0;
	if (rcode != LDNS_RCODE_SERVFAIL)
		ttl = fill_sections(pkt, r, res, dnssec, &ok);
	*wire = NULL;
	if (!ok || ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK || *len > WIRE_MSG_MAX) {
		ldns_pkt_free(pkt);
		free(*wire);
		*wire = NULL;
		return ERR_NOMEM;
	}
	uint8_t flags = (uint8_t)((r->flags & ~CACHE_MSG_DO) | (dnssec ? CACHE_MSG_DO : 0));
	/* A bogus answer is remembered as such for a while, so a broken zone
	 * cannot make us validate it again on every query. */
	if (bogus && r->env->val != NULL)
		ttl = r->env->val->bogus_ttl;
	/* RFC 7646 §2: an answer let through by a negative trust anchor is not
	 * kept past the anchor's expiry, when it would be validated again. */
	time_t until;
	if (r->val != NULL && val_result_nta(r->val, &until)) {
		time_t now = clock_wall();
		ttl = until <= now ? 0 : (uint32_t)(until - now < ttl ? until - now : ttl);
	}
	/* An explain request shows the answer; it must not change what clients get. */
	if (r->explain == NULL && (bogus || may_cache(res, pkt)) && ttl > 0 && ttl != UINT32_MAX)
		cache_msg_store(r->env->cache, r->qname, r->qtype, r->qclass, flags, *wire, *len,
		                ttl, clock_wall(), r->ede.code);
	ldns_pkt_free(pkt);
	return 0;
}

int req__answer_build(struct req *r, const struct iter_result *res)
{
	/* Both variants are cached: DO and plain clients ask the same names. */
	bool want = (r->flags & CACHE_MSG_DO) != 0;
	uint8_t *other = NULL;
	size_t other_len = 0;
	int rc = answer_variant(r, res, want, &r->answer, &r->answer_len);
	if (rc == 0 && r->explain == NULL && answer_variant(r, res, !want, &other, &other_len) == 0)
		free(other);
	return rc;
}

uint8_t req_query_flags(const struct wire_query *q)
{
	return (uint8_t)(((q->flags & WIRE_FLAG_CD) ? CACHE_MSG_CD : 0) |
	                 (q->has_edns && q->edns_do ? CACHE_MSG_DO : 0));
}

size_t req_reply_finish(uint8_t *buf, size_t len, size_t cap, const struct wire_query *q,
                        size_t limit, const struct wire_ede *ede, uint16_t edns_size)
{
	size_t qend = WIRE_HDR_LEN + q->qname_len + 4;
	if (!q->has_question || len < qend || cap < qend || wire_read_u16(buf + 4) != 1)
		return 0;
	uint16_t stored = wire_read_u16(buf + 2);
	uint16_t rcode = stored & 0x000fu;
	uint16_t flags =
	        WIRE_FLAG_QR | WIRE_FLAG_RA | rcode | (q->flags & (WIRE_FLAG_RD | WIRE_FLAG_CD));
	/* RFC 6840 §5.7: AD only for clients that set DO or AD. */
	if ((stored & WIRE_FLAG_AD) && ((q->has_edns && q->edns_do) || (q->flags & WIRE_FLAG_AD)))
		flags |= WIRE_FLAG_AD;
	wire_write_u16(buf, q->id);
	/* The question as the client spelled it (same name, so same length). */
	memcpy(buf + WIRE_HDR_LEN, q->qname, q->qname_len);
	uint8_t opt[64];
	size_t opt_len = 0;
	if (q->has_edns) {
		opt_len = wire_edns_write(opt, sizeof(opt), edns_size, rcode, q->edns_do, ede);
		if (opt_len == 0)
			opt_len = wire_edns_write(opt, sizeof(opt), edns_size, rcode, q->edns_do,
			                          NULL);
	}
	if (len + opt_len > limit || len + opt_len > cap) {
		/* RFC 1035 §4.2.1 / RFC 6891 §7: too big, so header, question and OPT, TC=1. */
		len = qend;
		flags |= WIRE_FLAG_TC;
		memset(buf + 6, 0, 6);
	}
	if (opt_len > 0) {
		memcpy(buf + len, opt, opt_len);
		len += opt_len;
		wire_write_u16(buf + 10, (uint16_t)(wire_read_u16(buf + 10) + 1));
	}
	wire_write_u16(buf + 2, flags);
	return len;
}

size_t req_cache_answer(const struct req_env *env, const struct wire_query *q, size_t limit,
                        uint8_t *out, size_t cap)
{
	size_t len;
	struct wire_ede ede = {.code = -1, .text = NULL};
	if (!q->has_question ||
	    cache_msg_lookup(env->cache, q->qname, q->qtype, q->qclass, req_query_flags(q),
	                     clock_wall(), out, cap, &len, &ede.code) != 0) {
		STATS_INC(env->stats, cache_misses);
		return 0;
	}
	size_t n = req_reply_finish(out, len, cap, q, limit, ede.code >= 0 ? &ede : NULL,
	                            env->conf->edns_buffer_size);
	if (n > 0) {
		STATS_INC(env->stats, cache_hits);
		if (ede.code >= 0)
			STATS_INC(env->stats, answers_ede[stats_ede_index(ede.code)]);
	}
	return n;
}
