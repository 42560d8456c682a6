/* C2SP tlog-tiles in tlog/: tile paths and their parser, tile widths, and proofs built from
 * tiles (tlog_tile_store), which must equal the proofs built from the stored nodes for every
 * (index, size) and (first, second) pair of trees up to 1,100 leaves, at O(log n) tile fetches. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

typedef uint8_t hash_t[PROTO_HASH_BYTES];

Test(tiles, path_encoding) {
  static const struct {
    unsigned level;
    uint64_t index;
    unsigned width;
    const char *path;
  } cases[] = {
      {0, 0, 256, "tile/0/000"},          {0, 5, 256, "tile/0/005"},
      {0, 1234067, 256, "tile/0/x001/x234/067"}, {1, 1000, 256, "tile/1/x001/000"},
      {2, 999, 17, "tile/2/999.p/17"},    {TLOG_TILE_ENTRIES, 1234067, 1, "tile/entries/x001/x234/067.p/1"},
      {TLOG_TILE_ENTRIES, 0, 255, "tile/entries/000.p/255"},
      {7, (UINT64_C(1) << 55) - 1, 256, "tile/7/x036/x028/x797/x018/x963/967"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tlog_tile t = {cases[i].level, cases[i].index, cases[i].width}, back;
    char path[TLOG_TILE_PATH_BYTES_MAX];
    long n = tlog_tile_path(&t, path, sizeof path);
    cr_assert(n > 0 && !strcmp(path, cases[i].path), "case %zu: %s", i, path);
    cr_assert_eq(tlog_tile_path_parse(path, &back), 0, "%s", path);
    cr_assert(back.level == t.level && back.index == t.index && back.width == t.width, "%s", path);
  }
}

Test(tiles, path_parse_refuses) {
  static const char *const bad[] = {
      "tile/0/x000", "tile/0/01", "tile/0/0000", "tile/0/000.p/256", "tile/0/000.p/0",
      "tile/0/000.p/07", "tile/8/000", "tile/00/000", "tile/0/000/", "tile/0/x001/x",
      "tile/data/000", "tile/0/000.p/", "tile/0/000.p/1x", "tile/0/x036/x028/x797/x018/x963/968",
      "tile/0/x1/000", "tile/entries/", "tile/1/x000/x234/067", "tile/0/x000/005", "/tile/0/000", "tile/0/000.P/1", "tile/-1/000", "",
      /* 701001201234201234067 wraps a 64-bit integer to a value below 2^55 (found by fuzz_tile_path) */
      "tile/1/x701/x001/x201/x234/x201/x234/067"};
  struct tlog_tile t;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(tlog_tile_path_parse(bad[i], &t), PROTO_E_NOT_FOUND, "accepted %s", bad[i]);
  struct tlog_tile big = {0, UINT64_C(1) << 55, 256};
  char path[TLOG_TILE_PATH_BYTES_MAX];
  cr_assert_eq(tlog_tile_path(&big, path, sizeof path), PROTO_E_BAD_ARGUMENT);
}

Test(tiles, widths) {
  cr_assert_eq(tlog_tile_width_at(0, 0, 0), 0);
  cr_assert_eq(tlog_tile_width_at(0, 0, 1), 1);
  cr_assert_eq(tlog_tile_width_at(0, 0, 256), 256);
  cr_assert_eq(tlog_tile_width_at(0, 1, 256), 0);
  cr_assert_eq(tlog_tile_width_at(0, 1, 300), 44);
  cr_assert_eq(tlog_tile_width_at(1, 0, 255), 0);
  cr_assert_eq(tlog_tile_width_at(1, 0, 256 * 3 + 5), 3);
  cr_assert_eq(tlog_tile_width_at(TLOG_TILE_ENTRIES, 2, 600), 88);
}

/* ---- a tree in memory, served both as a node store and as tiles ---- */
struct mem {
  struct tlog_memtree t;
  uint64_t size;       /* the tree the tiles are cut from: a prefix of t */
  uint64_t fetches;
  bool tamper;         /* flip a byte of every level-0 tile */
};

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  struct mem *m = ctx;
  if (level >= TLOG_LEVELS || index >= (m->size >> level)) return PROTO_E_NOT_FOUND;
  memcpy(out, m->t.nodes[m->t.level_at[level] + index], PROTO_HASH_BYTES);
  return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[PROTO_HASH_BYTES]) {
  (void)ctx, (void)level, (void)index, (void)h;
  return PROTO_E_BAD_ARGUMENT;
}

static int mem_fetch(void *ctx, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]) {
  struct mem *m = ctx;
  cr_assert(t->level <= TLOG_TILE_LEVEL_MAX && t->width >= 1 && t->width <= 256);
  cr_assert(t->width <= tlog_tile_width_at(t->level, t->index, m->size), "fetch beyond the tree");
  m->fetches++;
  for (unsigned i = 0; i < t->width; i++) {
    int rc = mem_get(m, 8 * t->level, t->index * 256 + i, out[i]);
    if (rc) return rc;
  }
  if (m->tamper && t->level == 0) out[0][0] ^= 1;
  return 0;
}

static void mem_build(struct mem *m, uint64_t n) {
  hash_t *leaves = malloc(n * sizeof *leaves);
  for (uint64_t i = 0; i < n; i++) {
    uint8_t data[8];
    for (int b = 0; b < 8; b++) data[b] = (uint8_t)(i >> (8 * b));
    tlog_leaf_hash(data, sizeof data, leaves[i]);
  }
  cr_assert_eq(tlog_memtree_build((const hash_t *)leaves, n, &m->t), 0);
  free(leaves);
}

Test(tiles, proofs_from_tiles_equal_stored_proofs) {
  static struct mem m;
  static struct tlog_tile_store ts;
  mem_build(&m, 1100);
  struct tlog_store nodes = {&m, mem_get, mem_put}, tiles;
  struct tlog_tile_fetcher f = {&m, mem_fetch};
  hash_t a[TLOG_PROOF_HASHES_MAX], b[TLOG_PROOF_HASHES_MAX], ra, rb;
  size_t na, nb;
  unsigned pairs = 0;
  for (uint64_t size = 1; size <= 1100; size += size < 300 ? 1 : 37) {
    m.size = size;
    tlog_tile_store_init(&ts, &f, size, &tiles);
    cr_assert_eq(tlog_root(&tiles, size, ra), 0);
    cr_assert_eq(tlog_root(&nodes, size, rb), 0);
    cr_assert(!memcmp(ra, rb, 32), "root of %" PRIu64, size);
    for (uint64_t i = 0; i < size; i += 1 + size / 23, pairs++) {
      cr_assert_eq(tlog_inclusion(&tiles, i, size, a, &na), 0);
      cr_assert_eq(tlog_inclusion(&nodes, i, size, b, &nb), 0);
      cr_assert(na == nb && !memcmp(a, b, na * 32), "inclusion (%" PRIu64 ", %" PRIu64 ")", i, size);
      cr_assert_eq(tlog_verify_inclusion(i, size, m.t.nodes[i], (const hash_t *)a, na, ra), 0);
      cr_assert_eq(tlog_consistency(&tiles, i, size, a, &na), 0);
      cr_assert_eq(tlog_consistency(&nodes, i, size, b, &nb), 0);
      cr_assert(na == nb && !memcmp(a, b, na * 32), "consistency (%" PRIu64 ", %" PRIu64 ")", i, size);
    }
  }
  cr_assert_gt(pairs, 5000);
  tlog_memtree_free(&m.t);
}

Test(tiles, few_fetches_and_tampering_shows) {
  static struct mem m;
  static struct tlog_tile_store ts;
  mem_build(&m, 1100);
  m.size = 1100;
  struct tlog_store tiles;
  struct tlog_tile_fetcher f = {&m, mem_fetch};
  tlog_tile_store_init(&ts, &f, m.size, &tiles);
  hash_t p[TLOG_PROOF_HASHES_MAX], root;
  size_t n;
  cr_assert_eq(tlog_inclusion(&tiles, 700, 1100, p, &n), 0);
  cr_assert_leq(ts.fetches, 3, "an inclusion proof of a 1,100 tree takes %" PRIu64 " tiles", ts.fetches);
  cr_assert_eq(tlog_root(&(struct tlog_store){&m, mem_get, mem_put}, 1100, root), 0);
  m.tamper = true; /* a server whose tiles differ from the signed tree: the proof fails */
  tlog_tile_store_init(&ts, &f, m.size, &tiles);
  cr_assert_eq(tlog_consistency(&tiles, 300, 1100, p, &n), 0);
  hash_t r300;
  cr_assert_eq(tlog_root(&(struct tlog_store){&m, mem_get, mem_put}, 300, r300), 0);
  cr_assert_neq(tlog_verify_consistency(300, 1100, r300, root, (const hash_t *)p, n), 0);
  tlog_memtree_free(&m.t);
}
