/*
 * prom.h - the counters in the Prometheus text exposition format, version
 * 0.0.4 (what GET /metrics serves; the HTTP server is src/daemon/metrics.c).
 *
 * The writer does no I/O: it turns a summed struct stats and a few figures
 * the caller gathers (struct prom_extra) into text. Every field of struct
 * stats comes from stats_descs: mangrove_<name>, with "_total" for a
 * counter, an array as one metric with the row's label. The latency
 * histogram is mangrove_answer_latency_seconds (cumulative buckets, _sum in
 * seconds, _count). Each family has its HELP and TYPE lines.
 *
 * prom_memory() is the one function here that reads a file (/proc), shared
 * with the control socket's memory figures.
 */
#ifndef MANGROVE_PROM_H
#define MANGROVE_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mangrove/stats.h"

/** The Content-Type of the text the writer produces. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** HTTP status codes of the metrics server, counted one by one. */
enum prom_http {
	PROM_HTTP_200 = 0,
	PROM_HTTP_400, /* malformed request */
	PROM_HTTP_404, /* a path other than /metrics */
	PROM_HTTP_405, /* a method other than GET or HEAD */
	PROM_HTTP_431, /* request line and headers over the size cap */
	PROM_HTTP_500, /* out of memory while writing the text */
	PROM_HTTP_MAX_,
};

/** Which memory figures prom_memory() could read (bits). */
enum prom_mem {
	PROM_MEM_RSS = 1u << 0,
	PROM_MEM_HEAP = 1u << 1,
};

/** Figures from outside struct stats, filled by the caller. */
struct prom_extra {
	uint64_t cache_entries;
	uint64_t cache_bytes;
	uint64_t cache_max_bytes;
	uint64_t cache_inserts;
	uint64_t cache_evictions;
	uint64_t cache_hits; /* cache lookups (messages and RRsets), not client questions */
	uint64_t cache_misses;
	/* The same by kind of entry, [0] messages and [1] RRsets (enum cache_kind). */
	uint64_t kind_entries[2];
	uint64_t kind_bytes[2];
	uint64_t kind_inserts[2];
	uint64_t kind_evictions[2];
	uint64_t kind_hits[2];
	uint64_t kind_misses[2];
	uint64_t memory_rss_bytes;
	uint64_t memory_heap_bytes;
	unsigned memory_known; /* enum prom_mem bits: figures left out are not written */
	uint64_t uptime_seconds;
	uint64_t workers;
	uint64_t metrics_responses[PROM_HTTP_MAX_]; /* by status code */
	uint64_t metrics_dropped;                   /* connections closed without a response */
};

/**
 * Where the text goes: a caller's buffer of fixed size, or a buffer that
 * grows (and is freed with prom_out_free) up to max bytes.
 */
struct prom_out {
	char *buf;
	size_t len, cap, max;
	bool fixed; /* buf is the caller's: never reallocated or freed */
	bool full;  /* something did not fit; the text is cut */
	bool nomem; /* a buffer could not grow */
};

/** Write into the caller's buf of cap bytes (text only, no NUL added). */
void prom_out_init_fixed(struct prom_out *o, char *buf, size_t cap);
/** Write into a buffer that grows up to max bytes. */
void prom_out_init(struct prom_out *o, size_t max);
/** Free a growing buffer; a fixed one is left alone. */
void prom_out_free(struct prom_out *o);

/**
 * Append the exposition of s and x to o. 0, ERR_SPACE (the text did not
 * fit: o holds a cut text, not to be served) or ERR_NOMEM.
 */
int prom_write(struct prom_out *o, const struct stats *s, const struct prom_extra *x);

/**
 * Append s with the format's escapes: backslash and line feed, and with
 * label also the double quote (a label value; else HELP text).
 */
void prom_put_escaped(struct prom_out *o, const char *s, bool label);

/** The label value of a status code for mangrove_metrics_requests_total ("200", ...). */
const char *prom_http_name(enum prom_http code);

/**
 * The process's resident set (/proc/self/statm) and the heap bytes handed
 * out and not given back, all threads (mallinfo2, where the C library has
 * it). Returns the enum prom_mem bits of the figures read; the others are 0.
 */
unsigned prom_memory(uint64_t *rss, uint64_t *heap);

#endif
