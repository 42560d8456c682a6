/* Open-addressing hash map (linear probing, load <= 1/2) over fixed-size keys; items are kept
 * in insertion order in fixed blocks so that values never move. */
#include "audit/audit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AUDIT_MAP_BLOCK_ITEMS 4096u

void audit_map_init(struct audit_map *m, size_t key_bytes, size_t value_bytes) {
  PROTO_ASSERT(key_bytes >= 1 && key_bytes <= AUDIT_MAP_KEY_BYTES_MAX);
  memset(m, 0, sizeof(*m));
  m->key_bytes = key_bytes;
  m->value_bytes = value_bytes;
  m->key_area = (key_bytes + 7u) & ~(size_t)7u;
  m->item_bytes = m->key_area + ((value_bytes + 7u) & ~(size_t)7u);
  /* Not a secret: it only keeps a crafted log from lining its keys up on one probe chain. */
  m->seed = (uint64_t)time(NULL) * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)getpid() ^
            (uint64_t)(uintptr_t)m;
}

void audit_map_free(struct audit_map *m) {
  for (size_t i = 0; i < m->blocks_count; i++) free(m->blocks[i]);
  free(m->blocks);
  free(m->slots);
  size_t kb = m->key_bytes, vb = m->value_bytes;
  audit_map_init(m, kb, vb);
}

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

static uint64_t key_hash(const struct audit_map *m, const uint8_t *key) {
  uint64_t h = m->seed ^ m->key_bytes;
  size_t i = 0;
  for (; i + 8 <= m->key_bytes; i += 8) {
    uint64_t w = 0;
    for (unsigned b = 0; b < 8; b++) w = w << 8 | key[i + b];
    h = mix64(h ^ w) + i;
  }
  uint64_t tail = 0;
  for (; i < m->key_bytes; i++) tail = tail << 8 | key[i];
  return mix64(h ^ tail ^ UINT64_C(0x2545F4914F6CDD1D));
}

static uint8_t *item_ptr(const struct audit_map *m, size_t i) {
  return m->blocks[i / AUDIT_MAP_BLOCK_ITEMS] + (i % AUDIT_MAP_BLOCK_ITEMS) * m->item_bytes;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct audit_map *m, const uint8_t *key, uint64_t h) {
  size_t mask = m->slots_count - 1;
  uint64_t tag = h >> 32;
  for (size_t s = (size_t)h & mask;; s = (s + 1) & mask) {
    uint64_t v = m->slots[s];
    if (v == 0) return s;
    if ((v >> 32) == tag && memcmp(item_ptr(m, (size_t)(v & 0xffffffffu) - 1), key,
                                   m->key_bytes) == 0)
      return s;
  }
}

void *audit_map_get(const struct audit_map *m, const void *key) {
  if (m->count == 0) return NULL;
  uint64_t v = m->slots[probe(m, key, key_hash(m, key))];
  if (v == 0) return NULL;
  return item_ptr(m, (size_t)(v & 0xffffffffu) - 1) + m->key_area;
}

static int grow_slots(struct audit_map *m) {
  size_t n = m->slots_count ? m->slots_count * 2 : 64;
  uint64_t *old = m->slots;
  size_t old_n = m->slots_count;
  m->slots = calloc(n, sizeof(*m->slots));
  if (!m->slots) {
    m->slots = old;
    return -1;
  }
  m->slots_count = n;
  for (size_t i = 0; i < old_n; i++) {
    if (old[i] == 0) continue;
    const uint8_t *k = item_ptr(m, (size_t)(old[i] & 0xffffffffu) - 1);
    m->slots[probe(m, k, key_hash(m, k))] = old[i];
  }
  free(old);
  return 0;
}

static int add_block(struct audit_map *m) {
  uint8_t **blocks = realloc(m->blocks, (m->blocks_count + 1) * sizeof(*blocks));
  if (!blocks) return -1;
  m->blocks = blocks;
  blocks[m->blocks_count] = calloc(AUDIT_MAP_BLOCK_ITEMS, m->item_bytes);
  if (!blocks[m->blocks_count]) return -1;
  m->blocks_count++;
  return 0;
}

void *audit_map_put(struct audit_map *m, const void *key, bool *created) {
  if (created) *created = false;
  if (m->count > 0) {
    uint64_t v = m->slots[probe(m, key, key_hash(m, key))];
    if (v != 0) return item_ptr(m, (size_t)(v & 0xffffffffu) - 1) + m->key_area;
  }
  if (m->count >= AUDIT_MAP_ITEMS_MAX) return NULL;
  if ((m->count + 1) * 2 > m->slots_count && grow_slots(m) != 0) return NULL;
  if (m->count == m->blocks_count * AUDIT_MAP_BLOCK_ITEMS && add_block(m) != 0) return NULL;
  uint64_t h = key_hash(m, key);
  size_t s = probe(m, key, h);
  PROTO_ASSERT(m->slots[s] == 0);
  uint8_t *item = item_ptr(m, m->count);
  memcpy(item, key, m->key_bytes);
  m->count++;
  m->slots[s] = (h >> 32) << 32 | (uint64_t)m->count;
  if (created) *created = true;
  return item + m->key_area;
}

void *audit_map_at(const struct audit_map *m, size_t i, const void **key) {
  PROTO_ASSERT(i < m->count);
  uint8_t *item = item_ptr(m, i);
  if (key) *key = item;
  return item + m->key_area;
}
