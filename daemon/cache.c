/* cache: rendered bodies of large public answers (the compliance pages), kept while the ledger
 * has not grown and the caller's epoch (before or after a deadline) is the same. Loop thread. */
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

static void slot_drop(struct daemon_cache *c, struct daemon_cache_slot *s) {
  DAEMON_ASSERT(c->bytes >= s->len);
  c->bytes -= s->len;
  free(s->body);
  memset(s, 0, sizeof *s);
}

static struct daemon_cache_slot *slot_find(struct daemon_cache *c, const void *key, size_t key_len) {
  for (size_t i = 0; i < DAEMON_CACHE_SLOTS; i++) {
    struct daemon_cache_slot *s = &c->slots[i];
    if (s->body && s->key_len == key_len && !memcmp(s->key, key, key_len)) return s;
  }
  return NULL;
}

bool daemon_cache_get(struct daemon_cache *c, const void *key, size_t key_len, uint64_t tree_size,
                      uint64_t epoch, const char **body, size_t *len) {
  struct daemon_cache_slot *s = key_len <= DAEMON_CACHE_KEY_BYTES ? slot_find(c, key, key_len) : NULL;
  if (!s) return false;
  if (s->tree_size != tree_size || s->epoch != epoch) {
    slot_drop(c, s); /* the ledger moved on: this body will never be right again */
    return false;
  }
  s->used_tick = ++c->tick;
  *body = s->body;
  *len = s->len;
  return true;
}

/* The least recently used slot (an empty one first). */
static struct daemon_cache_slot *slot_victim(struct daemon_cache *c) {
  struct daemon_cache_slot *v = &c->slots[0];
  for (size_t i = 0; i < DAEMON_CACHE_SLOTS; i++) {
    if (!c->slots[i].body) return &c->slots[i];
    if (c->slots[i].used_tick < v->used_tick) v = &c->slots[i];
  }
  return v;
}

void daemon_cache_put(struct daemon_cache *c, const void *key, size_t key_len, uint64_t tree_size,
                      uint64_t epoch, const char *body, size_t len) {
  if (key_len > DAEMON_CACHE_KEY_BYTES || len > DAEMON_CACHE_BYTES_MAX) return;
  struct daemon_cache_slot *s = slot_find(c, key, key_len);
  if (s) slot_drop(c, s);
  while (c->bytes + len > DAEMON_CACHE_BYTES_MAX) slot_drop(c, slot_victim(c));
  s = slot_victim(c);
  if (s->body) slot_drop(c, s);
  s->body = malloc(len ? len : 1);
  if (!s->body) return; /* a cache that cannot grow just does not cache */
  memcpy(s->body, body, len);
  memcpy(s->key, key, key_len);
  s->key_len = key_len;
  s->len = len;
  s->tree_size = tree_size;
  s->epoch = epoch;
  s->used_tick = ++c->tick;
  c->bytes += len;
  DAEMON_ASSERT(c->bytes <= DAEMON_CACHE_BYTES_MAX);
}

void daemon_cache_free(struct daemon_cache *c) {
  for (size_t i = 0; i < DAEMON_CACHE_SLOTS; i++) free(c->slots[i].body);
  memset(c, 0, sizeof *c);
}
