/*
 * stats.c - summing per-worker counters. struct stats holds nothing but
 * _Atomic uint64_t counters, so it is summed as an array; the assertions
 * keep it so. Loads are relaxed: a sum read while workers run is a
 * snapshot of each counter, not of all of them at one instant.
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
