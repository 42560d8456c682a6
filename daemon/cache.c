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

/* The slot for a new body: an empty one, else the least recently used. With used_only: the
 * least recently used body (NULL when there is none), never an empty slot. */
static struct daemon_cache_slot *slot_victim(struct daemon_cache *c, bool used_only) {
  struct daemon_cache_slot *v = NULL;
  for (size_t i = 0; i < DAEMON_CACHE_SLOTS; i++) {
    struct daemon_cache_slot *s = &c->slots[i];
    if (!s->body) {
      if (!used_only) return s;
      continue;
    }
    if (!v || s->used_tick < v->used_tick) v = s;
  }
  return v;
}

void daemon_cache_put(struct daemon_cache *c, const void *key, size_t key_len, uint64_t tree_size,
                      uint64_t epoch, const char *body, size_t len) {
  if (key_len > DAEMON_CACHE_KEY_BYTES || len > DAEMON_CACHE_BYTES_MAX) return;
  struct daemon_cache_slot *s = slot_find(c, key, key_len);
  if (s) slot_drop(c, s);
  /* Evict the least recently used until the body fits; bytes > 0 means a slot is in use. */
  while (c->bytes + len > DAEMON_CACHE_BYTES_MAX) {
    struct daemon_cache_slot *old = slot_victim(c, true);
    DAEMON_ASSERT(old != NULL);
    slot_drop(c, old);
  }
  s = slot_victim(c, false);
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
