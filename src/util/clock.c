/* clock.c - real and fake clocks (see clock.h). */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "mangrove/clock.h"

static atomic_bool fake_on;
static atomic_llong fake_wall;
static atomic_ullong fake_mono_ms;

time_t clock_wall(void)
{
	if (atomic_load_explicit(&fake_on, memory_order_relaxed))
		return (time_t)atomic_load(&fake_wall);
	return time(NULL);
}

uint64_t clock_mono_us(void)
{
	if (atomic_load_explicit(&fake_on, memory_order_relaxed))
		return atomic_load(&fake_mono_ms) * 1000u;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_mono_ms(void)
{
	return clock_mono_us() / 1000u;
}

void clock_fake_set(time_t wall, uint64_t mono_ms)
{
	atomic_store(&fake_wall, (long long)wall);
	atomic_store(&fake_mono_ms, mono_ms);
	atomic_store(&fake_on, true);
}

void clock_fake_clear(void)
{
	atomic_store(&fake_on, false);
}
