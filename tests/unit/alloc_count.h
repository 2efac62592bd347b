/*
 * alloc_count.h - counting the heap allocations a thread makes, for tests
 * that prove a path (the cache hit) allocates nothing. COUNT_ALLOCS is
 * defined where counting works (glibc, no ThreadSanitizer and no clang
 * sanitizer runtime); elsewhere those tests skip.
 */
#ifndef MANGROVE_TESTS_ALLOC_COUNT_H
#define MANGROVE_TESTS_ALLOC_COUNT_H

#if defined(__SANITIZE_THREAD__)
#define NO_MALLOC_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
        __has_feature(memory_sanitizer)
#define NO_MALLOC_INTERPOSE 1
#endif
#endif

#if defined(__GLIBC__) && !defined(NO_MALLOC_INTERPOSE)
#define COUNT_ALLOCS 1
/** Set to 1 to count this thread's malloc/calloc/realloc calls into alloc_calls. */
extern _Thread_local int alloc_counting;
/** Allocations counted while alloc_counting was 1. */
extern _Thread_local unsigned long alloc_calls;
#endif

#endif
