/*
 * stats.c - summing per-worker counters. struct stats holds nothing but
 * uint64_t counters, so it is summed as an array; the assertion keeps it so.
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "mangrove/stats.h"

static_assert(sizeof(struct stats) % sizeof(uint64_t) == 0, "struct stats holds only uint64_t");

void stats_add(struct stats *dst, const struct stats *src)
{
	uint64_t d[sizeof(struct stats) / sizeof(uint64_t)];
	uint64_t s[sizeof(struct stats) / sizeof(uint64_t)];
	memcpy(d, dst, sizeof(d));
	memcpy(s, src, sizeof(s));
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		d[i] += s[i];
	memcpy(dst, d, sizeof(d));
}
