/*
 * random.h - unpredictable numbers for query IDs, source ports and hash seeds.
 *
 * Backed by the kernel CSPRNG (getrandom), buffered per thread.
 */
#ifndef MANGROVE_RANDOM_H
#define MANGROVE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/** Fill buf with len unpredictable bytes. */
void rnd_bytes(void *buf, size_t len);
/** An unpredictable 32-bit number. */
uint32_t rnd_u32(void);
/** An unpredictable 16-bit number. */
uint16_t rnd_u16(void);
/** A uniform number in [0, bound), bound > 0, without modulo bias. */
uint32_t rnd_uniform(uint32_t bound);

#endif
