/*
 * random.c - a per-thread buffer of kernel CSPRNG output. Query IDs and
 * source ports must not be predictable (RFC 5452), so no PRNG of our own.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "mangrove/random.h"

static _Thread_local uint8_t pool[512];
static _Thread_local size_t pool_left;

static void pool_refill(void)
{
	size_t got = 0;
	while (got < sizeof(pool)) {
		ssize_t n = getrandom(pool + got, sizeof(pool) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* No entropy source at all: going on would hand out predictable IDs. */
			abort();
		}
		got += (size_t)n;
	}
	pool_left = sizeof(pool);
}

void rnd_bytes(void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len > 0) {
		if (pool_left == 0)
			pool_refill();
		size_t n = len < pool_left ? len : pool_left;
		memcpy(out, pool + sizeof(pool) - pool_left, n);
		/* Wipe what was handed out so a later memory leak cannot reveal it. */
		memset(pool + sizeof(pool) - pool_left, 0, n);
		pool_left -= n;
		out += n;
		len -= n;
	}
}

uint32_t rnd_u32(void)
{
	uint32_t v;
	rnd_bytes(&v, sizeof(v));
	return v;
}

uint16_t rnd_u16(void)
{
	uint16_t v;
	rnd_bytes(&v, sizeof(v));
	return v;
}

uint32_t rnd_uniform(uint32_t bound)
{
	if (bound < 2)
		return 0;
	uint32_t min = -bound % bound;
	for (;;) {
		uint32_t r = rnd_u32();
		if (r >= min)
			return r % bound;
	}
}
