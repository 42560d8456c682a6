/* A small in-memory hash map with fixed-size keys and values for quota-audit's replay: values
 * live in blocks that never move, so a pointer stays valid until the map is freed. */
#ifndef QUOTAD_TOOLS_AUDIT_MAP_H
#define QUOTAD_TOOLS_AUDIT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_MAP_KEY_BYTES_MAX 32u
#define AUDIT_MAP_ITEMS_MAX (UINT32_C(1) << 31) /* items are numbered with 32 bits */

struct audit_map {
  size_t key_bytes;   /* 1..AUDIT_MAP_KEY_BYTES_MAX */
  size_t value_bytes; /* may be 0 (a set) */
  size_t key_area;    /* key_bytes rounded up to 8, so values are 8-aligned */
  size_t item_bytes;  /* key area then value, rounded up to 8 */
  uint64_t seed;      /* mixes the hash, so crafted keys cannot aim at one chain */
  uint64_t *slots;    /* 0 empty, else (hash high 32 bits << 32) | (item number + 1) */
  size_t slots_count; /* a power of two, or 0 before the first insert */
  size_t count;       /* items */
  uint8_t **blocks;   /* AUDIT_MAP_BLOCK_ITEMS items each */
  size_t blocks_count;
};

/* Prepares an empty map. Never allocates until the first put. */
void audit_map_init(struct audit_map *m, size_t key_bytes, size_t value_bytes);
void audit_map_free(struct audit_map *m);

/* The value stored under key, or NULL. */
void *audit_map_get(const struct audit_map *m, const void *key);
/* The value under key, inserting a zeroed one first when missing (*created tells, may be NULL).
 * Returns NULL only when memory runs out or the map holds AUDIT_MAP_ITEMS_MAX items. */
void *audit_map_put(struct audit_map *m, const void *key, bool *created);
/* Item i (0 <= i < count) in insertion order: its value, and its key in *key when not NULL. */
void *audit_map_at(const struct audit_map *m, size_t i, const void **key);

#endif /* QUOTAD_TOOLS_AUDIT_MAP_H */
