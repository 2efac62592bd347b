/*
 * clock.h - the two clocks the core reads: wall-clock seconds (TTLs,
 * signature validity) and a monotonic millisecond clock (timers, RTTs).
 * Tests replace both with a fake clock.
 */
#ifndef MANGROVE_CLOCK_H
#define MANGROVE_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Wall-clock seconds since the epoch (time()), or the fake clock when set. */
time_t clock_wall(void);
/** Monotonic milliseconds, or the fake clock when set. */
uint64_t clock_mono_ms(void);
/** Monotonic microseconds, or the fake clock when set. */
uint64_t clock_mono_us(void);
/** Use a fake clock: wall seconds and monotonic ms are given by the test. */
void clock_fake_set(time_t wall, uint64_t mono_ms);
/** Go back to the real clocks. */
void clock_fake_clear(void);

#endif
