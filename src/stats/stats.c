/*
 * stats.c - the names of the per-worker counters and their sums. struct
 * stats holds nothing but _Atomic uint64_t counters, so it is summed as an
 * array; the assertions keep it so. Loads are relaxed: a sum read while
 * workers run is a snapshot of each counter, not of all of them at one
 * instant. stats_descs names every field once, for mangrove-control and
 * for the Prometheus exposition alike.
 */
#include "config.h"

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>

#include "mangrove/stats.h"

#define STATS_N (sizeof(struct stats) / sizeof(_Atomic uint64_t))

static_assert(sizeof(struct stats) % sizeof(_Atomic uint64_t) == 0,
              "struct stats holds only _Atomic uint64_t");
static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t), "atomic counters are plain words");

static const char *const rcode_names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "11",       "12",     "13",      "14",       "15"};
static const char *const drop_names[STATS_DROP_MAX_] = {"short", "acl_deny", "inflight",
                                                        "tcp_limit"};
static const char *const limit_names[STATS_LIMIT_MAX_] = {"queries",    "referrals",  "cname",
                                                          "ns_lookups", "subqueries", "timeout"};
static const char *const qtype_names[STATS_QTYPE_MAX_] = {
        "A",     "AAAA", "ANY", "CAA", "CNAME", "DNSKEY", "DS",  "HTTPS", "MX",
        "NAPTR", "NS",   "PTR", "SOA", "SRV",   "SVCB",   "TXT", "other"};
static const char *const ede_names[STATS_EDE_MAX] = {
        "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",    "10",
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",   "21",
        "22", "23", "24", "25", "26", "27", "28", "29", "30", "other"};
/* Prometheus bucket bounds in seconds, "le" labels (cumulative there). */
static const char *const latency_names[STATS_LATENCY_MAX] = {
        "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1",
        "0.2",   "0.5",   "1",     "2",    "5",    "10",   "+Inf"};
static const uint64_t latency_bounds[STATS_LATENCY_MAX - 1] = STATS_LATENCY_BOUNDS_MS;

#define ROW(f, kind, help)                                                                         \
	{                                                                                          \
#f, help, offsetof(struct stats, f), 1, NULL, NULL, kind                           \
	}
#define ARRAY(f, key, names, kind, help)                                                           \
	{                                                                                          \
#f, help, offsetof(struct stats, f), sizeof(names) / sizeof(names[0]), key, names, \
		        kind                                                                       \
	}

const struct stats_desc stats_descs[] = {
        ROW(queries_udp, STATS_COUNTER, "Client queries received over UDP."),
        ROW(queries_tcp, STATS_COUNTER, "Client queries received over TCP."),
        ARRAY(queries_qtype, "qtype", qtype_names, STATS_COUNTER,
              "Client queries access-control let in, by query type."),
        ARRAY(answers_rcode, "rcode", rcode_names, STATS_COUNTER, "Answers sent by RCODE."),
        ARRAY(answers_ede, "ede", ede_names, STATS_COUNTER,
              "Answers carrying an Extended DNS Error (RFC 8914), by code."),
        ARRAY(latency, "le", latency_names, STATS_HISTOGRAM,
              "Time from a query to its answer; cache answers count in the first bucket."),
        ROW(latency_ms_sum, STATS_COUNTER, "Sum of the timed answer latencies in milliseconds."),
        ROW(formerr, STATS_COUNTER, "Malformed client queries answered FORMERR."),
        ROW(notimp, STATS_COUNTER, "Client queries with an opcode other than QUERY (NOTIMP)."),
        ROW(badvers, STATS_COUNTER, "Client queries with EDNS version above 0 (BADVERS)."),
        ROW(acl_allowed, STATS_COUNTER, "Client queries access-control allowed."),
        ROW(refused_acl, STATS_COUNTER, "Client queries access-control refused (REFUSED)."),
        ARRAY(dropped, "reason", drop_names, STATS_COUNTER,
              "Client queries dropped or turned away, by reason."),
        ROW(cache_hits, STATS_COUNTER, "Client questions answered from the message cache."),
        ROW(cache_misses, STATS_COUNTER, "Client questions not in the message cache."),
        ROW(joined, STATS_COUNTER, "Client questions joined to the same question in flight."),
        ROW(requests_inflight, STATS_GAUGE, "Questions being resolved now."),
        ROW(requests_inflight_peak, STATS_GAUGE,
            "Sum over workers of the most questions each had in flight."),
        ROW(upstream_sent_udp, STATS_COUNTER, "Queries sent to authoritative servers over UDP."),
        ROW(upstream_sent_tcp, STATS_COUNTER, "Queries sent to authoritative servers over TCP."),
        ROW(upstream_sent_ip4, STATS_COUNTER, "Queries sent to authoritative servers over IPv4."),
        ROW(upstream_sent_ip6, STATS_COUNTER, "Queries sent to authoritative servers over IPv6."),
        ROW(upstream_timeouts, STATS_COUNTER, "Upstream queries that timed out."),
        ROW(upstream_errors, STATS_COUNTER, "Upstream queries that failed to send or connect."),
        ROW(upstream_tcp_fallback, STATS_COUNTER, "Truncated upstream replies retried over TCP."),
        ROW(upstream_edns_fallback, STATS_COUNTER, "Upstream queries retried without EDNS."),
        ROW(upstream_mismatch, STATS_COUNTER,
            "Upstream replies dropped: wrong ID, address or question."),
        ARRAY(limits, "limit", limit_names, STATS_COUNTER,
              "Questions ended with SERVFAIL by a resolution limit, by limit."),
        ROW(tcp_connections, STATS_COUNTER, "Client TCP connections accepted."),
        ROW(val_secure, STATS_COUNTER, "Answers validated secure."),
        ROW(val_insecure, STATS_COUNTER, "Answers proven insecure."),
        ROW(val_bogus, STATS_COUNTER, "Answers found bogus."),
        ROW(val_indeterminate, STATS_COUNTER,
            "Answers not validated: no trust anchor above the name."),
        ROW(val_budget, STATS_COUNTER, "Validations stopped by the work budget."),
        ROW(val_aggressive, STATS_COUNTER,
            "Negative answers made from cached NSEC/NSEC3 records (RFC 8198)."),
        ROW(send_errors, STATS_COUNTER, "Answers to clients that could not be sent."),
};

const size_t stats_n_descs = sizeof(stats_descs) / sizeof(stats_descs[0]);

enum stats_qtype stats_qtype_index(uint16_t qtype)
{
	switch (qtype) {
	case 1:
		return STATS_QTYPE_A;
	case 28:
		return STATS_QTYPE_AAAA;
	case 255:
		return STATS_QTYPE_ANY;
	case 257:
		return STATS_QTYPE_CAA;
	case 5:
		return STATS_QTYPE_CNAME;
	case 48:
		return STATS_QTYPE_DNSKEY;
	case 43:
		return STATS_QTYPE_DS;
	case 65:
		return STATS_QTYPE_HTTPS;
	case 15:
		return STATS_QTYPE_MX;
	case 35:
		return STATS_QTYPE_NAPTR;
	case 2:
		return STATS_QTYPE_NS;
	case 12:
		return STATS_QTYPE_PTR;
	case 6:
		return STATS_QTYPE_SOA;
	case 33:
		return STATS_QTYPE_SRV;
	case 64:
		return STATS_QTYPE_SVCB;
	case 16:
		return STATS_QTYPE_TXT;
	default:
		return STATS_QTYPE_OTHER;
	}
}

unsigned stats_latency_index(uint64_t ms)
{
	unsigned i = 0;
	while (i < STATS_LATENCY_MAX - 1 && ms > latency_bounds[i])
		i++;
	return i;
}

uint64_t stats_latency_bound_ms(unsigned i)
{
	return i < STATS_LATENCY_MAX - 1 ? latency_bounds[i] : 0;
}

uint64_t stats_value(const struct stats *s, const struct stats_desc *d, unsigned i)
{
	const _Atomic uint64_t *v = (const _Atomic uint64_t *)((const char *)s + d->off);
	return atomic_load_explicit(&v[i], memory_order_relaxed);
}

void stats_add(struct stats *dst, const struct stats *src)
{
	_Atomic uint64_t *d = (_Atomic uint64_t *)dst;
	const _Atomic uint64_t *s = (const _Atomic uint64_t *)src;
	for (size_t i = 0; i < STATS_N; i++) {
		uint64_t v = atomic_load_explicit(&s[i], memory_order_relaxed);
		uint64_t o = atomic_load_explicit(&d[i], memory_order_relaxed);
		atomic_store_explicit(&d[i], o + v, memory_order_relaxed);
	}
}

void stats_sub(struct stats *dst, const struct stats *base)
{
	for (size_t r = 0; r < stats_n_descs; r++) {
		const struct stats_desc *d = &stats_descs[r];
		if (d->kind == STATS_GAUGE)
			continue;
		_Atomic uint64_t *v = (_Atomic uint64_t *)((char *)dst + d->off);
		for (unsigned i = 0; i < d->n; i++) {
			uint64_t x = atomic_load_explicit(&v[i], memory_order_relaxed);
			atomic_store_explicit(&v[i], x - stats_value(base, d, i),
			                      memory_order_relaxed);
		}
	}
}
