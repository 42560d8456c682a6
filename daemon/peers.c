/* peers: how many connections each peer address holds (connections_per_peer_max), and the
 * addresses of trusted proxies. An open-addressing table with a keyed hash, sized once at start. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "daemon/daemon.h"

/* Past three quarters full a probe run grows long; a full table refuses like a peer at its
 * limit (more distinct peers than slots/2 cannot happen while connections_max holds). */
static bool peers_crowded(const struct daemon_peers *t) {
  return (uint64_t)t->used * 4 >= (uint64_t)t->slots * 3;
}

/* A keyed mix: an attacker who picks IPv6 addresses cannot aim them at one probe run. */
static size_t peer_slot(const struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]) {
  uint64_t a, b;
  memcpy(&a, addr, 8);
  memcpy(&b, addr + 8, 8);
  uint64_t h = (a ^ t->key[0]) * 0x9E3779B97F4A7C15u;
  h ^= (h >> 29) ^ (b ^ t->key[1]);
  h *= 0xBF58476D1CE4E5B9u;
  h ^= h >> 32;
  return (size_t)(h & (t->slots - 1));
}

int daemon_peers_init(struct daemon_peers *t, uint32_t connections_max) {
  memset(t, 0, sizeof *t);
  uint32_t slots = 16;
  while (slots < 2u * (uint64_t)connections_max && slots < (1u << 31)) slots *= 2;
  t->rows = calloc(slots, sizeof *t->rows);
  if (!t->rows) return PROTO_E_NO_MEMORY;
  t->slots = slots;
  if (getrandom(t->key, sizeof t->key, 0) != (ssize_t)sizeof t->key) {
    t->key[0] = (uint64_t)(uintptr_t)t->rows; /* weaker, but still not chosen by a client */
    t->key[1] = (uint64_t)(uintptr_t)&t;
  }
  return 0;
}

void daemon_peers_free(struct daemon_peers *t) {
  free(t->rows);
  memset(t, 0, sizeof *t);
}

/* The slot holding addr, or the empty slot where it would go. */
static size_t peer_find(const struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]) {
  size_t i = peer_slot(t, addr);
  for (uint32_t n = 0; n < t->slots; n++, i = (i + 1) & (t->slots - 1)) {
    if (!t->rows[i].count || !memcmp(t->rows[i].addr, addr, DAEMON_PEER_BYTES)) return i;
  }
  /* Never reached: peers_crowded refuses a new address long before the table is full. */
  DAEMON_ASSERT(t->used == t->slots); /* only a full table ends the probe without a slot */
  return 0;
}

bool daemon_peers_add(struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES], uint32_t max) {
  DAEMON_ASSERT(t->rows && t->slots);
  size_t i = peer_find(t, addr);
  struct daemon_peer_row *r = &t->rows[i];
  if (r->count) {
    if (r->count >= max) return false;
    r->count++;
    return true;
  }
  if (max == 0 || peers_crowded(t)) return false;
  memcpy(r->addr, addr, DAEMON_PEER_BYTES);
  r->count = 1;
  t->used++;
  return true;
}

uint32_t daemon_peers_count(const struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]) {
  return t->rows ? t->rows[peer_find(t, addr)].count : 0;
}

/* Backward-shift deletion keeps every probe run unbroken without tombstones. */
static void peer_delete_at(struct daemon_peers *t, size_t hole) {
  size_t mask = t->slots - 1, j = hole;
  for (;;) {
    j = (j + 1) & mask;
    if (!t->rows[j].count) break;
    size_t home = peer_slot(t, t->rows[j].addr);
    /* Move j into the hole unless its home lies cyclically in (hole, j]. */
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays) continue;
    t->rows[hole] = t->rows[j];
    hole = j;
  }
  memset(&t->rows[hole], 0, sizeof t->rows[hole]);
  t->used--;
}

void daemon_peers_remove(struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]) {
  size_t i = peer_find(t, addr);
  DAEMON_ASSERT(t->rows[i].count > 0); /* only a counted connection is uncounted */
  if (--t->rows[i].count == 0) peer_delete_at(t, i);
}

int daemon_peer_parse(const char *text, uint8_t out[DAEMON_PEER_BYTES]) {
  struct in_addr v4;
  memset(out, 0, DAEMON_PEER_BYTES);
  if (inet_pton(AF_INET, text, &v4) == 1) {
    out[10] = out[11] = 0xff; /* IPv4-mapped: one address has one form */
    memcpy(out + 12, &v4, 4);
    return 0;
  }
  return inet_pton(AF_INET6, text, out) == 1 ? 0 : PROTO_E_BAD_ARGUMENT;
}

int daemon_peer_from_sockaddr(const void *sa, uint8_t out[DAEMON_PEER_BYTES]) {
  const struct sockaddr *s = sa;
  memset(out, 0, DAEMON_PEER_BYTES);
  if (s->sa_family == AF_INET) {
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return 0;
  }
  if (s->sa_family == AF_INET6) {
    memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, DAEMON_PEER_BYTES);
    return 0;
  }
  return PROTO_E_BAD_ARGUMENT;
}

long daemon_peer_list_parse(const char *list, uint8_t (*out)[DAEMON_PEER_BYTES], size_t cap) {
  size_t n = 0;
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    size_t len = strcspn(p, " ,");
    if (!len) break;
    char one[64];
    if (len >= sizeof one || n >= cap) return PROTO_E_BAD_ARGUMENT;
    memcpy(one, p, len);
    one[len] = '\0';
    if (daemon_peer_parse(one, out[n])) return PROTO_E_BAD_ARGUMENT;
    n++;
    p += len;
  }
  return (long)n;
}

/* The last address of an X-Forwarded-For value: the one the trusted proxy itself appended. */
int daemon_forwarded_last_hop(const char *value, uint8_t out[DAEMON_PEER_BYTES]) {
  const char *comma = strrchr(value, ',');
  const char *p = comma ? comma + 1 : value;
  while (*p == ' ' || *p == '\t') p++;
  char one[64];
  size_t len = strcspn(p, " \t");
  if (!len || len >= sizeof one || p[len + strspn(p + len, " \t")] != '\0') return PROTO_E_BAD_ARGUMENT;
  memcpy(one, p, len);
  one[len] = '\0';
  return daemon_peer_parse(one, out);
}
