/*
 * prom.c - the Prometheus text exposition format, version 0.0.4 (prom.h).
 *
 * The families come from stats_descs, so a field added to struct stats
 * shows up here without an edit; only the histograms are named below,
 * because a histogram's name, unit and _sum field are not in the row.
 * Counters end in "_total" and histogram buckets are cumulative, as the
 * format wants (Prometheus "Writing exporters": base units, seconds).
 */
#include "config.h"

#include <inttypes.h>
#ifdef HAVE_MALLINFO2
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mangrove/errors.h"
#include "mangrove/prom.h"

#define PROM_PREFIX "mangrove_"

/* A STATS_HISTOGRAM row: its metric name and the row holding its sum. */
struct prom_histogram {
	const char *field;    /* the row in stats_descs: per-bucket counts */
	const char *family;   /* metric name after the prefix, with its unit */
	const char *sum;      /* the row holding the sum of the observations */
	uint64_t sum_per_one; /* sum units per one family unit: ms per second */
};

static const struct prom_histogram histograms[] = {
        {"latency", "answer_latency_seconds", "latency_ms_sum", 1000},
};

/* A figure from struct prom_extra; written only when `need` bits are known. */
struct prom_extra_row {
	struct stats_desc d; /* off is into struct prom_extra */
	unsigned need;       /* enum prom_mem bits */
};

static const char *const http_names[PROM_HTTP_MAX_] = {"200", "400", "404", "405", "431", "500"};

#define EXTRA(name, f, kind, help)                                                                 \
	{                                                                                          \
		{name, help, offsetof(struct prom_extra, f), 1, NULL, NULL, kind}, 0               \
	}
#define EXTRA_NEED(name, f, need, help)                                                            \
	{                                                                                          \
		{name, help, offsetof(struct prom_extra, f), 1, NULL, NULL, STATS_GAUGE}, need     \
	}

static const char *const kind_names[2] = {"message", "rrset"};

#define KIND(name, f, kind, help)                                                                  \
	{                                                                                          \
		{name, help, offsetof(struct prom_extra, f), 2, "kind", kind_names, kind}, 0       \
	}

static const struct prom_extra_row extra_rows[] = {
        EXTRA("cache_entries", cache_entries, STATS_GAUGE,
              "Entries in the cache (messages and RRsets)."),
        EXTRA("cache_bytes", cache_bytes, STATS_GAUGE,
              "Bytes the cache accounts for, entries and their overhead."),
        EXTRA("cache_max_bytes", cache_max_bytes, STATS_GAUGE,
              "The cache's memory budget in bytes (cache-size)."),
        EXTRA("cache_inserts", cache_inserts, STATS_COUNTER, "Entries stored in the cache."),
        EXTRA("cache_evictions", cache_evictions, STATS_COUNTER,
              "Cache entries evicted to stay inside the memory budget."),
        EXTRA("cache_lookup_hits", cache_hits, STATS_COUNTER,
              "Cache lookups (messages and RRsets) that found a live entry."),
        EXTRA("cache_lookup_misses", cache_misses, STATS_COUNTER,
              "Cache lookups (messages and RRsets) that found none."),
        KIND("cache_entries_by_kind", kind_entries, STATS_GAUGE,
             "Entries in the cache by kind: whole answers, RRsets."),
        KIND("cache_bytes_by_kind", kind_bytes, STATS_GAUGE,
             "Bytes the cache accounts for by kind of entry (bucket arrays not included)."),
        KIND("cache_inserts_by_kind", kind_inserts, STATS_COUNTER,
             "Entries stored in the cache, by kind."),
        KIND("cache_evictions_by_kind", kind_evictions, STATS_COUNTER,
             "Cache entries evicted to stay inside the memory budget, by kind."),
        KIND("cache_lookup_hits_by_kind", kind_hits, STATS_COUNTER,
             "Cache lookups that found a live entry, by kind."),
        KIND("cache_lookup_misses_by_kind", kind_misses, STATS_COUNTER,
             "Cache lookups that found none, by kind."),
        EXTRA_NEED("memory_rss_bytes", memory_rss_bytes, PROM_MEM_RSS,
                   "Resident set size of the process in bytes."),
        EXTRA_NEED("memory_heap_bytes", memory_heap_bytes, PROM_MEM_HEAP,
                   "Heap bytes handed out and not given back, all threads."),
        EXTRA("uptime_seconds", uptime_seconds, STATS_GAUGE, "Seconds since the daemon started."),
        EXTRA("workers", workers, STATS_GAUGE, "Worker threads."),
        {{"metrics_requests", "Requests to the metrics server, by HTTP status code.",
          offsetof(struct prom_extra, metrics_responses), PROM_HTTP_MAX_, "code", http_names,
          STATS_COUNTER},
         0},
        EXTRA("metrics_dropped", metrics_dropped, STATS_COUNTER,
              "Metrics server connections closed without a response."),
};

void prom_out_init_fixed(struct prom_out *o, char *buf, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->cap = cap;
	o->max = cap;
	o->fixed = true;
}

void prom_out_init(struct prom_out *o, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
}

void prom_out_free(struct prom_out *o)
{
	if (!o->fixed)
		free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

static void put(struct prom_out *o, const char *s, size_t n)
{
	if (o->full || o->nomem)
		return;
	if (n > o->max - o->len) {
		o->full = true;
		return;
	}
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		if (cap > o->max)
			cap = o->max;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->nomem = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct prom_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct prom_out *o, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);
	put(o, num, (size_t)n);
}

/* The format's escapes: in HELP text a backslash and a line feed; in a label value also '"'. */
void prom_put_escaped(struct prom_out *o, const char *s, bool label)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			put_str(o, "\\\\");
		else if (*s == '\n')
			put_str(o, "\\n");
		else if (*s == '"' && label)
			put_str(o, "\\\"");
		else
			put(o, s, 1);
	}
}

/* "# HELP name help" and "# TYPE name type" for one family. */
static void put_family(struct prom_out *o, const char *name, const char *suffix, const char *help,
                       const char *type)
{
	put_str(o, "# HELP " PROM_PREFIX);
	put_str(o, name);
	put_str(o, suffix);
	put_str(o, " ");
	prom_put_escaped(o, help, false);
	put_str(o, "\n# TYPE " PROM_PREFIX);
	put_str(o, name);
	put_str(o, suffix);
	put_str(o, " ");
	put_str(o, type);
	put_str(o, "\n");
}

/* One sample line; key NULL for none. */
static void put_sample(struct prom_out *o, const char *name, const char *suffix, const char *key,
                       const char *value, uint64_t v)
{
	put_str(o, PROM_PREFIX);
	put_str(o, name);
	put_str(o, suffix);
	if (key != NULL) {
		put_str(o, "{");
		put_str(o, key);
		put_str(o, "=\"");
		prom_put_escaped(o, value, true);
		put_str(o, "\"}");
	}
	put_str(o, " ");
	put_u64(o, v);
	put_str(o, "\n");
}

/* v / per in decimal without rounding; per is a power of ten (1000: ms to s). */
static void put_ratio(struct prom_out *o, uint64_t v, uint64_t per)
{
	put_u64(o, v / per);
	if (per <= 1)
		return;
	char frac[24];
	size_t n = 0;
	for (uint64_t p = per / 10, r = v % per; p > 0 && n < sizeof(frac); p /= 10) {
		frac[n++] = (char)('0' + r / p);
		r %= p;
	}
	put_str(o, ".");
	put(o, frac, n);
}

static const struct stats_desc *desc_find(const char *name)
{
	for (size_t i = 0; i < stats_n_descs; i++) {
		if (strcmp(stats_descs[i].name, name) == 0)
			return &stats_descs[i];
	}
	return NULL;
}

static const struct prom_histogram *histogram_find(const char *field)
{
	for (size_t i = 0; i < sizeof(histograms) / sizeof(histograms[0]); i++) {
		if (strcmp(histograms[i].field, field) == 0)
			return &histograms[i];
	}
	return NULL;
}

static bool is_histogram_sum(const char *field)
{
	for (size_t i = 0; i < sizeof(histograms) / sizeof(histograms[0]); i++) {
		if (strcmp(histograms[i].sum, field) == 0)
			return true;
	}
	return false;
}

/*
 * A histogram: the row counts per bucket, the format wants cumulative
 * buckets ending with le="+Inf", whose value equals _count.
 */
static void put_histogram(struct prom_out *o, const struct stats *s, const struct stats_desc *d,
                          const struct prom_histogram *h, const struct stats_desc *sum_row)
{
	uint64_t sum = stats_value(s, sum_row, 0);
	uint64_t total = 0;
	put_family(o, h->family, "", d->help, "histogram");
	for (unsigned i = 0; i < d->n; i++) {
		total += stats_value(s, d, i);
		put_sample(o, h->family, "_bucket", d->label_key, d->label_values[i], total);
	}
	put_str(o, PROM_PREFIX);
	put_str(o, h->family);
	put_str(o, "_sum ");
	put_ratio(o, sum, h->sum_per_one);
	put_str(o, "\n");
	put_sample(o, h->family, "_count", NULL, NULL, total);
}

static const char *kind_type(enum stats_kind kind)
{
	return kind == STATS_COUNTER ? "counter" : "gauge";
}

/* A counter or gauge row: one family, one sample per array element. */
static void put_row(struct prom_out *o, const struct stats_desc *d, const void *base, bool atomic)
{
	const char *suffix = d->kind == STATS_COUNTER ? "_total" : "";
	put_family(o, d->name, suffix, d->help, kind_type(d->kind));
	for (unsigned i = 0; i < d->n; i++) {
		uint64_t v = atomic ? stats_value(base, d, i)
		                    : ((const uint64_t *)((const char *)base + d->off))[i];
		put_sample(o, d->name, suffix, d->n > 1 ? d->label_key : NULL,
		           d->n > 1 ? d->label_values[i] : NULL, v);
	}
}

int prom_write(struct prom_out *o, const struct stats *s, const struct prom_extra *x)
{
	for (size_t i = 0; i < stats_n_descs; i++) {
		const struct stats_desc *d = &stats_descs[i];
		if (d->kind == STATS_HISTOGRAM) {
			/* test_prom checks that every histogram has its entry and sum */
			const struct prom_histogram *h = histogram_find(d->name);
			const struct stats_desc *sum_row = h != NULL ? desc_find(h->sum) : NULL;
			if (sum_row != NULL)
				put_histogram(o, s, d, h, sum_row);
		} else if (!is_histogram_sum(d->name)) {
			put_row(o, d, s, true);
		}
	}
	for (size_t i = 0; i < sizeof(extra_rows) / sizeof(extra_rows[0]); i++) {
		const struct prom_extra_row *r = &extra_rows[i];
		if ((x->memory_known & r->need) == r->need)
			put_row(o, &r->d, x, false);
	}
	put_family(o, "build_info", "", "The version of mangrove running, as a label.", "gauge");
	put_sample(o, "build_info", "", "version", PACKAGE_VERSION, 1);
	return o->nomem ? ERR_NOMEM : o->full ? ERR_SPACE : 0;
}

const char *prom_http_name(enum prom_http code)
{
	return (unsigned)code < PROM_HTTP_MAX_ ? http_names[code] : "other";
}

/* Resident set size in bytes from /proc/self/statm (the second figure, in pages). */
static bool read_rss(uint64_t *rss)
{
	unsigned long long pages_total = 0, pages_resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return false;
	int n = fscanf(f, "%llu %llu", &pages_total, &pages_resident);
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	if (n != 2 || page <= 0)
		return false;
	*rss = pages_resident * (uint64_t)page;
	return true;
}

/*
 * The heap figure does not move with pages the kernel has or has not
 * reclaimed, so it is the one that shows a leak or a structure that keeps
 * growing; the resident set is what the machine pays.
 */
unsigned prom_memory(uint64_t *rss, uint64_t *heap)
{
	unsigned known = 0;
	*rss = 0;
	*heap = 0;
	if (read_rss(rss))
		known |= PROM_MEM_RSS;
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();
	*heap = (uint64_t)(mi.uordblks + mi.hblkhd);
	known |= PROM_MEM_HEAP;
#endif
	return known;
}
