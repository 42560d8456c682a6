/* C2SP tlog-tiles (tlog/tlog.h): tile paths, tile widths in a tree of a given size, and a node
 * store that reads hash tiles, so that proofs built from tiles run the same code as the ledger's. */
#include <assert.h>
#include <string.h>

#include "tlog/tlog.h"

/* The decimal digits of N grouped by three, most significant group first. A 2^63-leaf tree has
 * at most 2^55 tiles at level 0: 17 digits, 6 groups. */
enum { GROUPS_MAX = 7 };

long tlog_tile_path(const struct tlog_tile *t, char *out, size_t cap) {
  assert(out && cap > 0);
  if ((t->level > TLOG_TILE_LEVEL_MAX && t->level != TLOG_TILE_ENTRIES) || t->width < 1 ||
      t->width > TLOG_TILE_WIDTH || t->index >= (UINT64_C(1) << 55))
    return PROTO_E_BAD_ARGUMENT;
  unsigned groups[GROUPS_MAX], n = 0;
  uint64_t v = t->index;
  do {
    groups[n++] = (unsigned)(v % 1000);
    v /= 1000;
  } while (v && n < GROUPS_MAX);
  char buf[TLOG_TILE_PATH_BYTES_MAX];
  size_t len = 0;
  if (t->level == TLOG_TILE_ENTRIES) {
    memcpy(buf, "tile/entries/", 13);
    len = 13;
  } else {
    memcpy(buf, "tile/0/", 7);
    buf[5] = (char)('0' + t->level);
    len = 7;
  }
  for (unsigned i = n; i-- > 0;) {
    if (i > 0) buf[len++] = 'x';
    buf[len++] = (char)('0' + groups[i] / 100);
    buf[len++] = (char)('0' + groups[i] / 10 % 10);
    buf[len++] = (char)('0' + groups[i] % 10);
    if (i > 0) buf[len++] = '/';
  }
  if (t->width < TLOG_TILE_WIDTH) {
    memcpy(buf + len, ".p/", 3);
    len += 3;
    if (t->width >= 100) buf[len++] = (char)('0' + t->width / 100);
    if (t->width >= 10) buf[len++] = (char)('0' + t->width / 10 % 10);
    buf[len++] = (char)('0' + t->width % 10);
  }
  assert(len < sizeof buf);
  if (len >= cap) return PROTO_E_FIELD_TOO_LONG;
  memcpy(out, buf, len);
  out[len] = '\0';
  return (long)len;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The index part: ("x" ddd "/")* ddd. Sets *end after the last group. */
static int parse_index(const char *p, uint64_t *out, const char **end) {
  uint64_t v = 0;
  for (unsigned g = 0; g < GROUPS_MAX; g++) {
    bool more = p[0] == 'x';
    if (more) p++;
    if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2])) return PROTO_E_NOT_FOUND;
    uint64_t group = (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
    /* one path per tile: a leading group of zeros ("x000/...") is not the canonical form */
    if (g == 0 && more && group == 0) return PROTO_E_NOT_FOUND;
    /* past 2^55 - 1 (no such tile) before it can wrap: seven groups hold 21 digits */
    if (v > ((UINT64_C(1) << 55) - 1 - group) / 1000) return PROTO_E_NOT_FOUND;
    v = v * 1000 + group;
    p += 3;
    if (!more) {
      *out = v;
      *end = p;
      return v < (UINT64_C(1) << 55) ? 0 : PROTO_E_NOT_FOUND;
    }
    if (*p++ != '/') return PROTO_E_NOT_FOUND;
  }
  return PROTO_E_NOT_FOUND;
}

/* 1..255 without leading zeros, up to the end of the string. */
static int parse_width(const char *p, unsigned *out) {
  unsigned v = 0, n = 0;
  if (p[0] == '0') return PROTO_E_NOT_FOUND;
  for (; is_digit(p[n]) && n < 3; n++) v = v * 10 + (unsigned)(p[n] - '0');
  if (n == 0 || p[n] != '\0' || v >= TLOG_TILE_WIDTH) return PROTO_E_NOT_FOUND;
  *out = v;
  return 0;
}

int tlog_tile_path_parse(const char *path, struct tlog_tile *out) {
  assert(path && out);
  if (strncmp(path, "tile/", 5)) return PROTO_E_NOT_FOUND;
  const char *p = path + 5;
  struct tlog_tile t = {.width = TLOG_TILE_WIDTH};
  if (!strncmp(p, "entries/", 8)) {
    t.level = TLOG_TILE_ENTRIES;
    p += 8;
  } else if (is_digit(p[0]) && p[1] == '/' && (unsigned)(p[0] - '0') <= TLOG_TILE_LEVEL_MAX) {
    t.level = (unsigned)(p[0] - '0');
    p += 2;
  } else {
    return PROTO_E_NOT_FOUND;
  }
  const char *end;
  if (parse_index(p, &t.index, &end)) return PROTO_E_NOT_FOUND;
  if (*end == '.') {
    if (strncmp(end, ".p/", 3) || parse_width(end + 3, &t.width)) return PROTO_E_NOT_FOUND;
  } else if (*end != '\0') {
    return PROTO_E_NOT_FOUND;
  }
  *out = t;
  return 0;
}

unsigned tlog_tile_width_at(unsigned level, uint64_t index, uint64_t size) {
  if (level == TLOG_TILE_ENTRIES) level = 0;
  assert(level <= TLOG_TILE_LEVEL_MAX);
  uint64_t nodes = size >> (TLOG_TILE_HEIGHT * level); /* complete nodes at level 8L */
  uint64_t first = index << TLOG_TILE_HEIGHT;
  if (index >= (UINT64_C(1) << 55) || nodes <= first) return 0;
  uint64_t w = nodes - first;
  return w >= TLOG_TILE_WIDTH ? TLOG_TILE_WIDTH : (unsigned)w;
}

/* The cached copy of tile (level, index) at its width in ts's tree, fetched when missing. */
static int tile_get(struct tlog_tile_store *ts, unsigned level, uint64_t index,
                    uint8_t (**out)[PROTO_HASH_BYTES]) {
  for (unsigned i = 0; i < TLOG_TILE_CACHE_TILES; i++)
    if (ts->cached_valid[i] && ts->cached[i].level == level && ts->cached[i].index == index) {
      *out = ts->hashes[i];
      return 0;
    }
  struct tlog_tile t = {level, index, tlog_tile_width_at(level, index, ts->size)};
  if (t.width == 0) return PROTO_E_NOT_FOUND;
  unsigned slot = ts->next_slot;
  ts->next_slot = (slot + 1) % TLOG_TILE_CACHE_TILES;
  ts->cached_valid[slot] = false;
  int rc = ts->fetcher->fetch(ts->fetcher->ctx, &t, ts->hashes[slot]);
  if (rc) return rc;
  ts->fetches++;
  ts->cached[slot] = t;
  ts->cached_valid[slot] = true;
  *out = ts->hashes[slot];
  return 0;
}

/* Node (level, index): hashes [i << k, (i + 1) << k) of the tile row at level 8 * (level / 8),
 * k = level % 8, folded into their complete subtree. */
static int tile_store_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  struct tlog_tile_store *ts = ctx;
  unsigned tl = level / TLOG_TILE_HEIGHT, k = level % TLOG_TILE_HEIGHT;
  if (tl > TLOG_TILE_LEVEL_MAX || index >= (UINT64_C(1) << (63 - level))) return PROTO_E_NOT_FOUND;
  uint64_t first = index << k; /* at level 8 * tl */
  if (((first + (UINT64_C(1) << k)) << (TLOG_TILE_HEIGHT * tl)) > ts->size) return PROTO_E_NOT_FOUND;
  uint8_t(*h)[PROTO_HASH_BYTES];
  int rc = tile_get(ts, tl, first >> TLOG_TILE_HEIGHT, &h);
  if (rc) return rc;
  unsigned at = (unsigned)(first % TLOG_TILE_WIDTH), n = 1u << k;
  uint8_t row[TLOG_TILE_WIDTH][PROTO_HASH_BYTES];
  memcpy(row, h[at], (size_t)n * PROTO_HASH_BYTES);
  for (; n > 1; n /= 2) /* a complete subtree: pairwise, level by level */
    for (unsigned j = 0; j < n / 2; j++) tlog_node_hash(row[2 * j], row[2 * j + 1], row[j]);
  memcpy(out, row[0], PROTO_HASH_BYTES);
  return 0;
}

static int tile_store_put(void *ctx, unsigned level, uint64_t index,
                          const uint8_t hash[PROTO_HASH_BYTES]) {
  (void)ctx, (void)level, (void)index, (void)hash;
  return PROTO_E_BAD_ARGUMENT; /* tiles are read-only */
}

void tlog_tile_store_init(struct tlog_tile_store *ts, const struct tlog_tile_fetcher *f,
                          uint64_t size, struct tlog_store *s) {
  assert(ts && f && f->fetch && s);
  memset(ts->cached_valid, 0, sizeof ts->cached_valid);
  ts->fetcher = f;
  ts->size = size;
  ts->next_slot = 0;
  ts->fetches = 0;
  s->ctx = ts;
  s->get = tile_store_get;
  s->put = tile_store_put;
}
