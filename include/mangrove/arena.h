/*
 * arena.h - a region allocator: many allocations, one free (NSD's idea).
 * Per-request memory lives in the request's arena and is freed once.
 */
#ifndef MANGROVE_ARENA_H
#define MANGROVE_ARENA_H

#include <stddef.h>

struct arena;

/** A new arena; NULL when out of memory. */
struct arena *arena_new(void);
/** Free the arena and everything allocated from it; NULL is a no-op. */
void arena_free(struct arena *a);
/** n bytes aligned for any type, valid until arena_free(); NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/** A copy of n bytes in the arena; NULL when out of memory. */
void *arena_memdup(struct arena *a, const void *p, size_t n);
/** Bytes handed out so far (for limits and statistics). */
size_t arena_used(const struct arena *a);

#endif
