/*
 * alloc_count.c - malloc and friends interposed to count a thread's
 * allocations; they forward to the next definition (libc's, or GCC's shared
 * AddressSanitizer runtime's).
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "alloc_count.h"

#ifdef COUNT_ALLOCS
#include <dlfcn.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
_Thread_local int alloc_counting;
_Thread_local unsigned long alloc_calls;
static _Thread_local int alloc_resolving;
/* dlsym may allocate while we look the real functions up: serve it from here. */
static _Alignas(16) char boot_buf[8192];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(boot_buf) - boot_used)
		return NULL;
	void *p = boot_buf + boot_used;
	boot_used += n;
	return p;
}

static void alloc_resolve(void)
{
	alloc_resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	alloc_resolving = 0;
}

void *malloc(size_t n)
{
	if (real_malloc == NULL) {
		if (alloc_resolving)
			return boot_alloc(n);
		alloc_resolve();
	}
	alloc_calls += alloc_counting;
	return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (real_calloc == NULL) {
		if (alloc_resolving)
			return boot_alloc(n * size); /* boot_buf is zero */
		alloc_resolve();
	}
	alloc_calls += alloc_counting;
	return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (real_realloc == NULL) {
		if (alloc_resolving)
			return p == NULL ? boot_alloc(n) : NULL;
		alloc_resolve();
	}
	alloc_calls += alloc_counting;
	return real_realloc(p, n);
}

void free(void *p)
{
	if ((char *)p >= boot_buf && (char *)p < boot_buf + sizeof(boot_buf))
		return;
	if (real_free == NULL)
		alloc_resolve();
	real_free(p);
}
#endif
