/*
 * hash.h - keyed hashing for tables whose keys come from the network
 * (cache shards, in-flight questions): with a random key per table, a
 * client cannot aim its entries at one bucket or shard.
 */
#ifndef MANGROVE_HASH_H
#define MANGROVE_HASH_H

#include <stddef.h>
#include <stdint.h>

/** SipHash-2-4 of data under a 128-bit key. */
uint64_t hash_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
