/*
 * lru.h - an intrusive least-recently-used list: embed a struct lru_node in
 * each entry, keep a struct lru per table, and get the entry back with
 * lru_entry(). Used by every cache table, and as a plain list (the control
 * and metrics servers' connections); the caller does the locking.
 */
#ifndef MANGROVE_LRU_H
#define MANGROVE_LRU_H

#include <stddef.h>

/** The links one entry embeds. */
struct lru_node {
	struct lru_node *prev; /* towards the most recently used */
	struct lru_node *next; /* towards the least recently used */
};

/** A list, most recently used first; zero-initialised is empty. */
struct lru {
	struct lru_node *head;
	struct lru_node *tail;
};

/** The entry of type `type` whose member `member` is node n. */
#define lru_entry(n, type, member) ((type *)(void *)((char *)(n)-offsetof(type, member)))

/** Take n out of the list. */
static inline void lru_unlink(struct lru *l, struct lru_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

/** Put n at the front (most recently used). */
static inline void lru_push_front(struct lru *l, struct lru_node *n)
{
	n->prev = NULL;
	n->next = l->head;
	if (l->head != NULL)
		l->head->prev = n;
	l->head = n;
	if (l->tail == NULL)
		l->tail = n;
}

/** Move n, already in the list, to the front. */
static inline void lru_touch(struct lru *l, struct lru_node *n)
{
	lru_unlink(l, n);
	lru_push_front(l, n);
}

#endif
