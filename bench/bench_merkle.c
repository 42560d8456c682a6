/* Benchmark of the store-backed Merkle tree over memory: append N leaves (10 million by default),
 * then time root, inclusion and consistency proofs (and their verification) over random sizes.
 * Usage: bench_merkle [leaves] [queries] [seed]. The LMDB-backed figures come from the ledger. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlog/tlog.h"

typedef uint8_t hash_t[PROTO_HASH_BYTES];

/* One flat array per level: node (l, i) at levels[l][i]. Nodes are written in index order
 * within a level, so a count per level says what is stored. */
struct flat_store {
  hash_t *levels[TLOG_LEVELS];
  uint64_t count[TLOG_LEVELS];
  uint64_t gets;
};

static int flat_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  struct flat_store *f = ctx;
  f->gets++;
  if (level >= TLOG_LEVELS || index >= f->count[level]) return PROTO_E_NOT_FOUND;
  memcpy(out, f->levels[level][index], PROTO_HASH_BYTES);
  return 0;
}

static int flat_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]) {
  struct flat_store *f = ctx;
  if (level >= TLOG_LEVELS || index != f->count[level] || !f->levels[level]) return PROTO_E_STORAGE;
  memcpy(f->levels[level][index], hash, PROTO_HASH_BYTES);
  f->count[level]++;
  return 0;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd_next(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *ns, size_t n, uint64_t gets) {
  qsort(ns, n, sizeof *ns, cmp_u64);
  size_t p99 = n * 99 / 100, mid = n / 2;
  if (p99 >= n) p99 = n - 1;
  printf("| %-22s | %10.2f | %10.2f | %10.2f | %8.1f |\n", what, (double)ns[mid] / 1000.0,
         (double)ns[p99] / 1000.0, (double)ns[n - 1] / 1000.0, (double)gets / (double)n);
}

static int append_all(const struct tlog_store *s, uint64_t leaves) {
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < leaves; i++) {
    uint8_t data[8], leaf[PROTO_HASH_BYTES];
    for (unsigned b = 0; b < 8; b++) data[b] = (uint8_t)(i >> (56 - 8 * b));
    tlog_leaf_hash(data, sizeof data, leaf);
    int rc = tlog_append(s, i, leaf);
    if (rc != 0) {
      fprintf(stderr, "append %" PRIu64 ": %s\n", i, proto_err_name(rc));
      return rc;
    }
  }
  double secs = (double)(now_ns() - t0) / 1e9;
  printf("appended %" PRIu64 " leaves in %.2f s: %.0f leaves/s (leaf hash included)\n\n", leaves,
         secs, (double)leaves / secs);
  return 0;
}

enum { OP_ROOT, OP_INCLUSION, OP_CONSISTENCY, OP_VERIFY_INCLUSION, OP_VERIFY_CONSISTENCY, OPS };
static const char *const op_names[OPS] = {"root", "inclusion proof", "consistency proof",
                                          "verify inclusion", "verify consistency"};

/* One random query: sizes uniform in [2, leaves]; times each operation into ns[op][q]. */
static int query(const struct tlog_store *s, struct flat_store *f, uint64_t leaves,
                 uint64_t *rng, uint64_t *ns[OPS], uint64_t gets[OPS], size_t q) {
  uint64_t second = 2 + rnd_next(rng) % (leaves - 1);
  uint64_t first = 1 + rnd_next(rng) % (second - 1), index = rnd_next(rng) % second;
  hash_t r1, r2, proof[TLOG_PROOF_HASHES_MAX];
  size_t n = 0;
  int rc = tlog_root(s, first, r1);
  uint64_t g = f->gets, t = now_ns();
  if (rc == 0) rc = tlog_root(s, second, r2);
  ns[OP_ROOT][q] = now_ns() - t, gets[OP_ROOT] += f->gets - g, g = f->gets, t = now_ns();
  if (rc == 0) rc = tlog_inclusion(s, index, second, proof, &n);
  ns[OP_INCLUSION][q] = now_ns() - t, gets[OP_INCLUSION] += f->gets - g, t = now_ns();
  if (rc == 0) rc = tlog_verify_inclusion(index, second, f->levels[0][index],
                                            (const hash_t *)proof, n, r2);
  ns[OP_VERIFY_INCLUSION][q] = now_ns() - t, g = f->gets, t = now_ns();
  if (rc == 0) rc = tlog_consistency(s, first, second, proof, &n);
  ns[OP_CONSISTENCY][q] = now_ns() - t, gets[OP_CONSISTENCY] += f->gets - g, t = now_ns();
  if (rc == 0) rc = tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n);
  ns[OP_VERIFY_CONSISTENCY][q] = now_ns() - t;
  if (rc != 0)
    fprintf(stderr, "query %zu (first %" PRIu64 ", second %" PRIu64 ", index %" PRIu64 "): %s\n", q,
            first, second, index, proto_err_name(rc));
  return rc;
}

int main(int argc, char **argv) {
  uint64_t leaves = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000u;
  size_t queries = argc > 2 ? (size_t)strtoull(argv[2], NULL, 0) : 10000u;
  uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : (uint64_t)time(NULL);
  if (leaves < 2 || leaves >= TLOG_SIZE_MAX || queries == 0 || queries > 10000000u) {
    fprintf(stderr, "usage: bench_merkle [leaves >= 2] [queries 1..10^7] [seed]\n");
    return 2;
  }
  static struct flat_store f;
  for (unsigned l = 0; l < TLOG_LEVELS && (leaves >> l) != 0; l++) {
    f.levels[l] = malloc((size_t)(leaves >> l) * sizeof(hash_t));
    if (!f.levels[l]) return fprintf(stderr, "out of memory\n"), 1; /* the process ends */
  }
  struct tlog_store s = {.ctx = &f, .get = flat_get, .put = flat_put};
  printf("bench_merkle: %" PRIu64 " leaves in memory, %zu random queries, seed %" PRIu64 "\n", leaves,
         queries, seed);
  int rc = append_all(&s, leaves);
  uint64_t *ns[OPS], gets[OPS] = {0};
  for (unsigned op = 0; op < OPS; op++) {
    ns[op] = calloc(queries, sizeof(uint64_t));
    if (!ns[op]) rc = PROTO_E_NO_MEMORY;
  }
  uint64_t rng = seed;
  for (size_t q = 0; q < queries && rc == 0; q++) rc = query(&s, &f, leaves, &rng, ns, gets, q);
  if (rc == 0) {
    printf("| %-22s | %10s | %10s | %10s | %8s |\n", "operation", "median us", "p99 us", "max us",
           "gets/op");
    printf("|------------------------|------------|------------|------------|----------|\n");
    for (unsigned op = 0; op < OPS; op++) report(op_names[op], ns[op], queries, gets[op]);
  }
  for (unsigned op = 0; op < OPS; op++) free(ns[op]);
  for (unsigned l = 0; l < TLOG_LEVELS; l++) free(f.levels[l]);
  return rc == 0 ? 0 : 1;
}
