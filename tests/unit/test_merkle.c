/* Merkle hashing, the store-backed tree and the proof verifiers, checked byte for byte against an
 * independent implementation's vectors and against a plain recursive RFC 9162 section 2.1. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "tlog/tlog.h"

typedef uint8_t hash_t[PROTO_HASH_BYTES];

/* ---- an in-memory node store: one array per level, with a presence flag per node ---- */
struct mem_store {
  uint64_t cap_leaves;
  hash_t *nodes[TLOG_LEVELS];
  uint8_t *present[TLOG_LEVELS];
  uint64_t gets, puts;
  int fail_get; /* when non-zero, every get returns it */
};

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  struct mem_store *m = ctx;
  m->gets++;
  if (m->fail_get) return m->fail_get;
  if (level >= TLOG_LEVELS || index >= (m->cap_leaves >> level) || !m->present[level][index])
    return PROTO_E_NOT_FOUND;
  memcpy(out, m->nodes[level][index], PROTO_HASH_BYTES);
  return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]) {
  struct mem_store *m = ctx;
  m->puts++;
  cr_assert(level < TLOG_LEVELS && index < (m->cap_leaves >> level), "put out of range");
  cr_assert(!m->present[level][index], "node (%u, %" PRIu64 ") written twice", level, index);
  memcpy(m->nodes[level][index], hash, PROTO_HASH_BYTES);
  m->present[level][index] = 1;
  return 0;
}

static struct tlog_store mem_store_new(struct mem_store *m, uint64_t cap_leaves) {
  memset(m, 0, sizeof *m);
  m->cap_leaves = cap_leaves;
  for (unsigned l = 0; l < TLOG_LEVELS && (cap_leaves >> l) != 0; l++) {
    m->nodes[l] = calloc(cap_leaves >> l, sizeof(hash_t));
    m->present[l] = calloc(cap_leaves >> l, 1);
    cr_assert(m->nodes[l] && m->present[l]);
  }
  return (struct tlog_store){.ctx = m, .get = mem_get, .put = mem_put};
}

static void mem_store_free(struct mem_store *m) {
  for (unsigned l = 0; l < TLOG_LEVELS; l++) {
    free(m->nodes[l]);
    free(m->present[l]);
  }
}

/* ---- the RFC 9162 section 2.1 definitions, written as plainly as the RFC states them ---- */
static uint64_t ref_k(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/* Memo of MTH over ranges of memo_base (trees of up to SMALL_LEAVES leaves), so that the
 * exhaustive tests recompute no subtree twice; the recursion itself is unchanged. */
#define SMALL_LEAVES 256u
static const hash_t *memo_base;
static hash_t memo_hash[SMALL_LEAVES + 1][SMALL_LEAVES + 1];
static bool memo_valid[SMALL_LEAVES + 1][SMALL_LEAVES + 1];

static void ref_mth(const hash_t *d, uint64_t n, uint8_t out[PROTO_HASH_BYTES]);

static bool memo_range(const hash_t *d, uint64_t n, size_t *start) {
  if (memo_base == NULL || d < memo_base || d > memo_base + SMALL_LEAVES) return false;
  *start = (size_t)(d - memo_base);
  return *start + n <= SMALL_LEAVES;
}

static void ref_mth_uncached(const hash_t *d, uint64_t n, uint8_t out[PROTO_HASH_BYTES]) {
  if (n == 0) {
    proto_sha256("", 0, out);
  } else if (n == 1) {
    memcpy(out, d[0], PROTO_HASH_BYTES);
  } else {
    uint64_t k = ref_k(n);
    hash_t l, r;
    ref_mth(d, k, l);
    ref_mth(d + k, n - k, r);
    tlog_node_hash(l, r, out);
  }
}

static void ref_mth(const hash_t *d, uint64_t n, uint8_t out[PROTO_HASH_BYTES]) {
  size_t start;
  if (!memo_range(d, n, &start)) {
    ref_mth_uncached(d, n, out);
    return;
  }
  if (!memo_valid[start][n]) {
    ref_mth_uncached(d, n, memo_hash[start][n]);
    memo_valid[start][n] = true;
  }
  memcpy(out, memo_hash[start][n], PROTO_HASH_BYTES);
}

static void ref_path(uint64_t m, const hash_t *d, uint64_t n, hash_t *out, size_t *len) {
  if (n <= 1) return;
  uint64_t k = ref_k(n);
  if (m < k) {
    ref_path(m, d, k, out, len);
    ref_mth(d + k, n - k, out[(*len)++]);
  } else {
    ref_path(m - k, d + k, n - k, out, len);
    ref_mth(d, k, out[(*len)++]);
  }
}

static void ref_subproof(uint64_t m, const hash_t *d, uint64_t n, bool b, hash_t *out, size_t *len) {
  if (m == n) {
    if (!b) ref_mth(d, n, out[(*len)++]);
    return;
  }
  uint64_t k = ref_k(n);
  if (m <= k) {
    ref_subproof(m, d, k, b, out, len);
    ref_mth(d + k, n - k, out[(*len)++]);
  } else {
    ref_subproof(m - k, d + k, n - k, false, out, len);
    ref_mth(d, k, out[(*len)++]);
  }
}

/* ---- helpers ---- */
static hash_t *leaves_new(uint64_t n) {
  hash_t *d = calloc(n ? n : 1, sizeof(hash_t));
  cr_assert(d != NULL);
  for (uint64_t i = 0; i < n; i++) {
    char text[32];
    int len = snprintf(text, sizeof text, "leaf %" PRIu64, i);
    tlog_leaf_hash((const uint8_t *)text, (size_t)len, d[i]);
  }
  return d;
}

static void store_fill(const struct tlog_store *s, const hash_t *d, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) cr_assert_eq(tlog_append(s, i, d[i]), 0);
}

static json_t *vectors_load(void) {
  json_error_t err;
  json_t *v = json_load_file(QUOTAD_VECTORS_DIR "/tlog-vectors.json", 0, &err);
  cr_assert(v != NULL, "tlog-vectors.json: %s at line %d", err.text, err.line);
  return v;
}

static void hex_hash(const char *hex, uint8_t out[PROTO_HASH_BYTES]) {
  cr_assert_eq(proto_hex_decode(hex, strlen(hex), out, PROTO_HASH_BYTES), PROTO_HASH_BYTES);
}

static size_t hex_proof(json_t *arr, hash_t *out) {
  size_t n = json_array_size(arr);
  cr_assert_leq(n, TLOG_PROOF_HASHES_MAX);
  for (size_t i = 0; i < n; i++) hex_hash(json_string_value(json_array_get(arr, i)), out[i]);
  return n;
}

static void assert_same_proof(const hash_t *a, size_t na, const hash_t *b, size_t nb,
                              const char *what, uint64_t x, uint64_t y) {
  cr_assert_eq(na, nb, "%s(%" PRIu64 ", %" PRIu64 "): %zu hashes, expected %zu", what, x, y, na, nb);
  for (size_t i = 0; i < na; i++)
    cr_assert_arr_eq(a[i], b[i], PROTO_HASH_BYTES, "%s(%" PRIu64 ", %" PRIu64 ") hash %zu differs",
                     what, x, y, i);
}

/* ---- hashing ---- */
Test(merkle, leaf_and_node_hashes_are_domain_separated_sha256) {
  hash_t got, want;
  tlog_leaf_hash(NULL, 0, got); /* SHA-256 of the single byte 0x00 */
  hex_hash("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want);
  cr_assert_arr_eq(got, want, PROTO_HASH_BYTES);
  const uint8_t prefixed[4] = {0x00, 'a', 'b', 'c'};
  proto_sha256(prefixed, sizeof prefixed, want);
  tlog_leaf_hash((const uint8_t *)"abc", 3, got);
  cr_assert_arr_eq(got, want, PROTO_HASH_BYTES);
  uint8_t node[65] = {0x01};
  memset(node + 1, 0xAA, 32);
  memset(node + 33, 0xBB, 32);
  proto_sha256(node, sizeof node, want);
  tlog_node_hash(node + 1, node + 33, got);
  cr_assert_arr_eq(got, want, PROTO_HASH_BYTES);
  tlog_root_of(NULL, 0, got); /* the empty tree: SHA-256 of nothing */
  hex_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
  cr_assert_arr_eq(got, want, PROTO_HASH_BYTES);
}

/* ---- against the independent vectors ---- */
Test(merkle, roots_match_vectors_for_0_to_64_leaves) {
  json_t *v = vectors_load();
  hash_t *d = leaves_new(64);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 64);
  for (uint64_t n = 0; n <= 64; n++) {
    char key[8];
    snprintf(key, sizeof key, "%" PRIu64, n);
    hash_t want, got;
    hex_hash(json_string_value(json_object_get(json_object_get(v, "roots"), key)), want);
    tlog_root_of((const hash_t *)d, n, got);
    cr_assert_arr_eq(got, want, PROTO_HASH_BYTES, "tlog_root_of(%" PRIu64 ")", n);
    cr_assert_eq(tlog_root(&s, n, got), 0);
    cr_assert_arr_eq(got, want, PROTO_HASH_BYTES, "tlog_root(%" PRIu64 ")", n);
    if (n < 64) cr_assert_eq(tlog_append(&s, n, d[n]), 0);
  }
  mem_store_free(&m);
  free(d);
  json_decref(v);
}

Test(merkle, inclusion_proofs_match_vectors_and_verify) {
  json_t *v = vectors_load();
  hash_t *d = leaves_new(64);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 64);
  store_fill(&s, (const hash_t *)d, 64);
  json_t *list = json_object_get(v, "inclusion_proofs");
  size_t i;
  for (i = 0; i < json_array_size(list); i++) {
    json_t *p = json_array_get(list, i);
    uint64_t index = (uint64_t)json_integer_value(json_object_get(p, "Index"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(p, "TreeSize"));
    hash_t want[TLOG_PROOF_HASHES_MAX], got[TLOG_PROOF_HASHES_MAX], root;
    size_t nwant = hex_proof(json_object_get(p, "Proof"), want), ngot = 0;
    cr_assert_eq(tlog_inclusion(&s, index, size, got, &ngot), 0);
    assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "inclusion", index, size);
    tlog_root_of((const hash_t *)d, size, root);
    cr_assert_eq(tlog_verify_inclusion(index, size, d[index], (const hash_t *)want, nwant, root), 0);
  }
  cr_assert_gt(i, 0);
  mem_store_free(&m);
  free(d);
  json_decref(v);
}

Test(merkle, consistency_proofs_match_vectors_and_verify) {
  json_t *v = vectors_load();
  hash_t *d = leaves_new(64);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 64);
  store_fill(&s, (const hash_t *)d, 64);
  json_t *list = json_object_get(v, "consistency_proofs");
  size_t i;
  for (i = 0; i < json_array_size(list); i++) {
    json_t *p = json_array_get(list, i);
    uint64_t first = (uint64_t)json_integer_value(json_object_get(p, "First"));
    uint64_t second = (uint64_t)json_integer_value(json_object_get(p, "Second"));
    hash_t want[TLOG_PROOF_HASHES_MAX], got[TLOG_PROOF_HASHES_MAX], r1, r2;
    size_t nwant = hex_proof(json_object_get(p, "Proof"), want), ngot = 0;
    cr_assert_eq(tlog_consistency(&s, first, second, got, &ngot), 0);
    assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "consistency", first,
                      second);
    tlog_root_of((const hash_t *)d, first, r1);
    tlog_root_of((const hash_t *)d, second, r2);
    cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)want, nwant), 0);
  }
  cr_assert_gt(i, 0);
  mem_store_free(&m);
  free(d);
  json_decref(v);
}

/* ---- against the RFC's definitions ---- */

Test(merkle, roots_and_inclusion_match_rfc_for_every_index_up_to_256_leaves) {
  hash_t *d = leaves_new(SMALL_LEAVES);
  memo_base = (const hash_t *)d;
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, SMALL_LEAVES);
  store_fill(&s, (const hash_t *)d, SMALL_LEAVES);
  for (uint64_t n = 0; n <= SMALL_LEAVES; n++) {
    hash_t want_root, got_root, mem_root;
    ref_mth((const hash_t *)d, n, want_root);
    cr_assert_eq(tlog_root(&s, n, got_root), 0);
    cr_assert_arr_eq(got_root, want_root, PROTO_HASH_BYTES, "tlog_root(%" PRIu64 ")", n);
    tlog_root_of((const hash_t *)d, n, mem_root);
    cr_assert_arr_eq(mem_root, want_root, PROTO_HASH_BYTES, "tlog_root_of(%" PRIu64 ")", n);
    for (uint64_t i = 0; i < n; i++) {
      hash_t want[TLOG_PROOF_HASHES_MAX], got[TLOG_PROOF_HASHES_MAX];
      size_t nwant = 0, ngot = 0;
      ref_path(i, (const hash_t *)d, n, want, &nwant);
      cr_assert_eq(tlog_inclusion(&s, i, n, got, &ngot), 0);
      assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "inclusion", i, n);
      cr_assert_eq(tlog_verify_inclusion(i, n, d[i], (const hash_t *)got, ngot, want_root), 0,
                   "inclusion(%" PRIu64 ", %" PRIu64 ") does not verify", i, n);
    }
  }
  mem_store_free(&m);
  free(d);
}

Test(merkle, consistency_matches_rfc_for_every_pair_of_sizes_up_to_256_leaves) {
  hash_t *d = leaves_new(SMALL_LEAVES);
  memo_base = (const hash_t *)d;
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, SMALL_LEAVES);
  store_fill(&s, (const hash_t *)d, SMALL_LEAVES);
  hash_t roots[SMALL_LEAVES + 1];
  for (uint64_t n = 0; n <= SMALL_LEAVES; n++) ref_mth((const hash_t *)d, n, roots[n]);
  for (uint64_t second = 0; second <= SMALL_LEAVES; second++) {
    for (uint64_t first = 0; first <= second; first++) {
      hash_t want[TLOG_PROOF_HASHES_MAX], got[TLOG_PROOF_HASHES_MAX];
      size_t nwant = 0, ngot = 99;
      if (first > 0 && first < second) ref_subproof(first, (const hash_t *)d, second, true, want, &nwant);
      cr_assert_eq(tlog_consistency(&s, first, second, got, &ngot), 0);
      assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "consistency", first,
                        second);
      cr_assert_eq(tlog_verify_consistency(first, second, roots[first], roots[second],
                                             (const hash_t *)got, ngot),
                   0, "consistency(%" PRIu64 ", %" PRIu64 ") does not verify", first, second);
    }
  }
  mem_store_free(&m);
  free(d);
}

static uint64_t test_seed(void) {
  const char *env = getenv("QUOTAD_TEST_SEED");
  uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
  fprintf(stderr, "merkle: random sample seed %" PRIu64 " (rerun with QUOTAD_TEST_SEED=%" PRIu64 ")\n", seed, seed);
  return seed;
}

/* splitmix64: a small, well-mixed generator whose sequence depends only on the seed */
static uint64_t rnd_next(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *state, uint64_t n) { return rnd_next(state) % n; }

#define LARGE_LEAVES 100000u
#define LARGE_QUERIES 12u

Test(merkle, matches_rfc_on_a_random_sample_of_trees_up_to_100000_leaves) {
  uint64_t rng = test_seed();
  hash_t *d = leaves_new(LARGE_LEAVES);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, LARGE_LEAVES);
  store_fill(&s, (const hash_t *)d, LARGE_LEAVES);
  for (unsigned q = 0; q < LARGE_QUERIES; q++) {
    uint64_t second = SMALL_LEAVES + 1 + rnd_below(&rng, LARGE_LEAVES - SMALL_LEAVES);
    uint64_t first = 1 + rnd_below(&rng, second - 1), index = rnd_below(&rng, second);
    hash_t root2, root1, got_root, want[TLOG_PROOF_HASHES_MAX], got[TLOG_PROOF_HASHES_MAX];
    ref_mth((const hash_t *)d, second, root2);
    ref_mth((const hash_t *)d, first, root1);
    cr_assert_eq(tlog_root(&s, second, got_root), 0);
    cr_assert_arr_eq(got_root, root2, PROTO_HASH_BYTES, "tlog_root(%" PRIu64 ")", second);
    size_t nwant = 0, ngot = 0;
    ref_path(index, (const hash_t *)d, second, want, &nwant);
    cr_assert_eq(tlog_inclusion(&s, index, second, got, &ngot), 0);
    assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "inclusion", index, second);
    cr_assert_eq(tlog_verify_inclusion(index, second, d[index], (const hash_t *)got, ngot, root2), 0);
    nwant = 0;
    ref_subproof(first, (const hash_t *)d, second, true, want, &nwant);
    cr_assert_eq(tlog_consistency(&s, first, second, got, &ngot), 0);
    assert_same_proof((const hash_t *)got, ngot, (const hash_t *)want, nwant, "consistency", first, second);
    cr_assert_eq(tlog_verify_consistency(first, second, root1, root2, (const hash_t *)got, ngot), 0);
  }
  hash_t all;
  tlog_root_of((const hash_t *)d, LARGE_LEAVES, all);
  hash_t stored;
  cr_assert_eq(tlog_root(&s, LARGE_LEAVES, stored), 0);
  cr_assert_arr_eq(stored, all, PROTO_HASH_BYTES);
  mem_store_free(&m);
  free(d);
}

/* ---- verifiers refuse altered proofs ---- */
static void flip(uint8_t *h, unsigned bit) { h[bit / 8] ^= (uint8_t)(1u << (bit % 8)); }

Test(merkle, verify_inclusion_rejects_every_single_bit_flip) {
  json_t *v = vectors_load();
  hash_t *d = leaves_new(64);
  json_t *list = json_object_get(v, "inclusion_proofs");
  size_t i;
  for (i = 0; i < json_array_size(list); i++) {
    json_t *p = json_array_get(list, i);
    uint64_t index = (uint64_t)json_integer_value(json_object_get(p, "Index"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(p, "TreeSize"));
    hash_t proof[TLOG_PROOF_HASHES_MAX] = {{0}}, root, leaf;
    size_t n = hex_proof(json_object_get(p, "Proof"), proof);
    tlog_root_of((const hash_t *)d, size, root);
    memcpy(leaf, d[index], PROTO_HASH_BYTES);
    for (size_t h = 0; h < n; h++)
      for (unsigned bit = 0; bit < 8 * PROTO_HASH_BYTES; bit++) {
        flip(proof[h], bit);
        cr_assert_eq(tlog_verify_inclusion(index, size, leaf, (const hash_t *)proof, n, root),
                     PROTO_E_BAD_PROOF, "(%" PRIu64 ", %" PRIu64 ") hash %zu bit %u", index, size, h, bit);
        flip(proof[h], bit);
      }
    for (unsigned bit = 0; bit < 8 * PROTO_HASH_BYTES; bit++) {
      flip(leaf, bit);
      cr_assert_eq(tlog_verify_inclusion(index, size, leaf, (const hash_t *)proof, n, root),
                   PROTO_E_BAD_PROOF);
      flip(leaf, bit);
      flip(root, bit);
      cr_assert_eq(tlog_verify_inclusion(index, size, leaf, (const hash_t *)proof, n, root),
                   PROTO_E_BAD_PROOF);
      flip(root, bit);
    }
    cr_assert_eq(tlog_verify_inclusion(index, size, leaf, (const hash_t *)proof, n, root), 0);
  }
  free(d);
  json_decref(v);
}

/* Every (index, size) up to 64 leaves: the proof does not carry over to another index, another
 * size (with that size's true root), or with a hash added or removed. */
Test(merkle, verify_inclusion_rejects_wrong_index_size_and_length) {
  hash_t *d = leaves_new(65);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 65);
  store_fill(&s, (const hash_t *)d, 65);
  hash_t roots[66];
  for (uint64_t n = 0; n <= 65; n++) tlog_root_of((const hash_t *)d, n, roots[n]);
  for (uint64_t size = 1; size <= 64; size++)
    for (uint64_t i = 0; i < size; i++) {
      hash_t proof[TLOG_PROOF_HASHES_MAX + 1];
      size_t n = 0;
      cr_assert_eq(tlog_inclusion(&s, i, size, proof, &n), 0);
      const hash_t *pf = (const hash_t *)proof;
      cr_assert_eq(tlog_verify_inclusion(i, size, d[i], pf, n, roots[size]), 0);
      for (uint64_t j = 0; j < size + 2; j++) {
        if (j == i) continue;
        cr_assert_eq(tlog_verify_inclusion(j, size, d[i], pf, n, roots[size]), PROTO_E_BAD_PROOF,
                     "leaf %" PRIu64 " claimed at %" PRIu64 " of %" PRIu64, i, j, size);
        if (j < 65)
          cr_assert_eq(tlog_verify_inclusion(j, size, d[j], pf, n, roots[size]), PROTO_E_BAD_PROOF);
      }
      cr_assert_eq(tlog_verify_inclusion(i, size + 1, d[i], pf, n, roots[size + 1]), PROTO_E_BAD_PROOF,
                   "(%" PRIu64 ", %" PRIu64 ") accepted as size + 1", i, size);
      if (i < size - 1)
        cr_assert_eq(tlog_verify_inclusion(i, size - 1, d[i], pf, n, roots[size - 1]),
                     PROTO_E_BAD_PROOF);
      if (n > 0) {
        cr_assert_eq(tlog_verify_inclusion(i, size, d[i], pf, n - 1, roots[size]), PROTO_E_BAD_PROOF);
        cr_assert_eq(tlog_verify_inclusion(i, size, d[i], pf + 1, n - 1, roots[size]),
                     PROTO_E_BAD_PROOF);
      }
      memcpy(proof[n], d[(i + 1) % 65], PROTO_HASH_BYTES);
      cr_assert_eq(tlog_verify_inclusion(i, size, d[i], pf, n + 1, roots[size]), PROTO_E_BAD_PROOF);
    }
  cr_assert_eq(tlog_verify_inclusion(0, 0, d[0], NULL, 0, roots[0]), PROTO_E_BAD_PROOF);
  mem_store_free(&m);
  free(d);
}

Test(merkle, verify_consistency_rejects_every_single_bit_flip) {
  json_t *v = vectors_load();
  hash_t *d = leaves_new(64);
  json_t *list = json_object_get(v, "consistency_proofs");
  size_t i;
  for (i = 0; i < json_array_size(list); i++) {
    json_t *p = json_array_get(list, i);
    uint64_t first = (uint64_t)json_integer_value(json_object_get(p, "First"));
    uint64_t second = (uint64_t)json_integer_value(json_object_get(p, "Second"));
    hash_t proof[TLOG_PROOF_HASHES_MAX] = {{0}}, r1, r2;
    size_t n = hex_proof(json_object_get(p, "Proof"), proof);
    tlog_root_of((const hash_t *)d, first, r1);
    tlog_root_of((const hash_t *)d, second, r2);
    for (size_t h = 0; h < n; h++)
      for (unsigned bit = 0; bit < 8 * PROTO_HASH_BYTES; bit++) {
        flip(proof[h], bit);
        cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n),
                     PROTO_E_BAD_PROOF, "(%" PRIu64 ", %" PRIu64 ") hash %zu bit %u", first, second, h, bit);
        flip(proof[h], bit);
      }
    for (unsigned bit = 0; bit < 8 * PROTO_HASH_BYTES; bit++) {
      flip(r1, bit);
      cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n),
                   PROTO_E_BAD_PROOF);
      flip(r1, bit);
      flip(r2, bit);
      cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n),
                   PROTO_E_BAD_PROOF);
      flip(r2, bit);
    }
    cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n), 0);
  }
  free(d);
  json_decref(v);
}

Test(merkle, verify_consistency_rejects_wrong_sizes_and_length) {
  hash_t *d = leaves_new(65);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 65);
  store_fill(&s, (const hash_t *)d, 65);
  hash_t roots[66];
  for (uint64_t n = 0; n <= 65; n++) tlog_root_of((const hash_t *)d, n, roots[n]);
  for (uint64_t second = 2; second <= 64; second++)
    for (uint64_t first = 1; first < second; first++) {
      hash_t proof[TLOG_PROOF_HASHES_MAX + 1];
      size_t n = 0;
      cr_assert_eq(tlog_consistency(&s, first, second, proof, &n), 0);
      const hash_t *pf = (const hash_t *)proof;
      cr_assert_gt(n, 0);
      cr_assert_eq(tlog_verify_consistency(first, second, roots[first], roots[second], pf, n), 0);
      for (uint64_t f = 0; f <= second + 1; f++) {
        if (f == first) continue;
        cr_assert_eq(tlog_verify_consistency(f, second, roots[f], roots[second], pf, n),
                     PROTO_E_BAD_PROOF, "(%" PRIu64 ", %" PRIu64 ") accepted as first %" PRIu64,
                     first, second, f);
      }
      for (uint64_t t = first; t <= 65; t++) {
        if (t == second) continue;
        cr_assert_eq(tlog_verify_consistency(first, t, roots[first], roots[t], pf, n),
                     PROTO_E_BAD_PROOF, "(%" PRIu64 ", %" PRIu64 ") accepted as second %" PRIu64,
                     first, second, t);
      }
      cr_assert_eq(tlog_verify_consistency(first, second, roots[first], roots[second], pf, n - 1),
                   PROTO_E_BAD_PROOF);
      cr_assert_eq(tlog_verify_consistency(first, second, roots[first], roots[second], pf + 1, n - 1),
                   PROTO_E_BAD_PROOF);
      memcpy(proof[n], d[first], PROTO_HASH_BYTES);
      cr_assert_eq(tlog_verify_consistency(first, second, roots[first], roots[second], pf, n + 1),
                   PROTO_E_BAD_PROOF);
      cr_assert_eq(tlog_verify_consistency(second, first, roots[second], roots[first], pf, n),
                   PROTO_E_BAD_PROOF);
    }
  /* equal sizes need equal roots and no proof; size 0 needs the empty root */
  cr_assert_eq(tlog_verify_consistency(5, 5, roots[5], roots[5], NULL, 0), 0);
  cr_assert_eq(tlog_verify_consistency(5, 5, roots[5], roots[6], NULL, 0), PROTO_E_BAD_PROOF);
  cr_assert_eq(tlog_verify_consistency(5, 5, roots[5], roots[5], (const hash_t *)d, 1),
               PROTO_E_BAD_PROOF);
  cr_assert_eq(tlog_verify_consistency(0, 9, roots[0], roots[9], NULL, 0), 0);
  cr_assert_eq(tlog_verify_consistency(0, 9, roots[1], roots[9], NULL, 0), PROTO_E_BAD_PROOF);
  cr_assert_eq(tlog_verify_consistency(0, 9, roots[0], roots[9], (const hash_t *)d, 1),
               PROTO_E_BAD_PROOF);
  mem_store_free(&m);
  free(d);
}

/* ---- the store-backed tree's own contract ---- */
Test(merkle, append_does_one_get_and_put_per_completed_subtree) {
  hash_t *d = leaves_new(1024);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 1024);
  for (uint64_t i = 0; i < 1024; i++) {
    uint64_t gets = m.gets, puts = m.puts;
    cr_assert_eq(tlog_append(&s, i, d[i]), 0);
    uint64_t completed = (uint64_t)__builtin_ctzll(~i);
    cr_assert_eq(m.gets - gets, completed, "append %" PRIu64, i);
    cr_assert_eq(m.puts - puts, completed + 1, "append %" PRIu64, i);
  }
  for (uint64_t n = 1; n <= 1024; n++) {
    hash_t root, proof[TLOG_PROOF_HASHES_MAX];
    size_t len = 0;
    uint64_t gets = m.gets;
    cr_assert_eq(tlog_root(&s, n, root), 0);
    cr_assert_eq(m.gets - gets, (uint64_t)__builtin_popcountll(n), "root %" PRIu64, n);
    gets = m.gets;
    cr_assert_eq(tlog_inclusion(&s, 0, n, proof, &len), 0);
    cr_assert_leq(m.gets - gets, 2 * 11, "inclusion at %" PRIu64, n);
    gets = m.gets;
    cr_assert_eq(tlog_consistency(&s, n / 2 + 1, n, proof, &len), 0);
    cr_assert_leq(m.gets - gets, 2 * 11, "consistency at %" PRIu64, n);
  }
  mem_store_free(&m);
  free(d);
}

Test(merkle, failed_get_stops_append_before_any_put) {
  hash_t *d = leaves_new(4);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 4);
  store_fill(&s, (const hash_t *)d, 3);
  uint64_t puts = m.puts;
  m.fail_get = PROTO_E_STORAGE;
  cr_assert_eq(tlog_append(&s, 3, d[3]), PROTO_E_STORAGE);
  cr_assert_eq(m.puts, puts);
  cr_assert_eq(m.present[0][3], 0);
  hash_t out;
  cr_assert_eq(tlog_root(&s, 3, out), PROTO_E_STORAGE);
  m.fail_get = 0;
  cr_assert_eq(tlog_append(&s, 3, d[3]), 0);
  mem_store_free(&m);
  free(d);
}

Test(merkle, refuses_out_of_range_arguments_without_touching_the_store) {
  hash_t *d = leaves_new(8);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 8);
  store_fill(&s, (const hash_t *)d, 8);
  uint64_t gets = m.gets, puts = m.puts;
  hash_t out, proof[TLOG_PROOF_HASHES_MAX];
  size_t n = 0;
  cr_assert_eq(tlog_append(&s, TLOG_SIZE_MAX, d[0]), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_root(&s, TLOG_SIZE_MAX + 1, out), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_inclusion(&s, 8, 8, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_inclusion(&s, 0, 0, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_inclusion(&s, 0, TLOG_SIZE_MAX + 1, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_consistency(&s, 6, 5, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_consistency(&s, 1, TLOG_SIZE_MAX + 1, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_subtree(&s, 3, 3, out), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_subtree(&s, 4, 3, out), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_subtree(&s, 1, 3, out), PROTO_E_BAD_ARGUMENT); /* 2 leaves from odd start */
  cr_assert_eq(tlog_subtree(&s, 2, 5, out), PROTO_E_BAD_ARGUMENT); /* 3 leaves from 2 */
  cr_assert_eq(tlog_subtree(&s, 0, TLOG_SIZE_MAX + 1, out), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(m.gets, gets);
  cr_assert_eq(m.puts, puts);
  mem_store_free(&m);
  free(d);
}

Test(merkle, subtree_gives_the_rfc_hash_of_aligned_ranges) {
  hash_t *d = leaves_new(64);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 64);
  store_fill(&s, (const hash_t *)d, 64);
  for (uint64_t start = 0; start < 64; start++)
    for (uint64_t end = start + 1; end <= 64; end++) {
      uint64_t align = start ? (start & (~start + 1)) : UINT64_MAX;
      hash_t got, want;
      int rc = tlog_subtree(&s, start, end, got);
      if (end - start > align) {
        cr_assert_eq(rc, PROTO_E_BAD_ARGUMENT, "[%" PRIu64 ", %" PRIu64 ")", start, end);
        continue;
      }
      cr_assert_eq(rc, 0);
      tlog_root_of((const hash_t *)(d + start), end - start, want);
      cr_assert_arr_eq(got, want, PROTO_HASH_BYTES, "[%" PRIu64 ", %" PRIu64 ")", start, end);
    }
  mem_store_free(&m);
  free(d);
}

Test(merkle, sizes_past_the_stored_tree_report_the_stores_not_found) {
  hash_t *d = leaves_new(16);
  struct mem_store m;
  struct tlog_store s = mem_store_new(&m, 16);
  store_fill(&s, (const hash_t *)d, 10);
  hash_t out, proof[TLOG_PROOF_HASHES_MAX];
  size_t n = 0;
  cr_assert_eq(tlog_root(&s, 10, out), 0);
  cr_assert_eq(tlog_root(&s, 11, out), PROTO_E_NOT_FOUND);
  cr_assert_eq(tlog_inclusion(&s, 3, 12, proof, &n), PROTO_E_NOT_FOUND);
  cr_assert_eq(tlog_consistency(&s, 3, 12, proof, &n), PROTO_E_NOT_FOUND);
  mem_store_free(&m);
  free(d);
}

Test(merkle, node_keys_are_level_then_big_endian_index) {
  uint8_t key[TLOG_NODE_KEY_BYTES];
  tlog_node_key(5, UINT64_C(0x0102030405060708), key);
  const uint8_t want[TLOG_NODE_KEY_BYTES] = {5, 1, 2, 3, 4, 5, 6, 7, 8};
  cr_assert_arr_eq(key, want, sizeof want);
  unsigned level = 99;
  uint64_t index = 0;
  cr_assert_eq(tlog_node_key_parse(key, &level, &index), 0);
  cr_assert_eq(level, 5);
  cr_assert_eq(index, UINT64_C(0x0102030405060708));
  tlog_node_key(63, 0, key);
  cr_assert_eq(tlog_node_key_parse(key, &level, &index), 0);
  cr_assert_eq(level, 63);
  key[8] = 1; /* level 63 holds only index 0 */
  cr_assert_eq(tlog_node_key_parse(key, &level, &index), PROTO_E_CORRUPT);
  cr_assert_eq(level, 63);
  const uint8_t bad_level[TLOG_NODE_KEY_BYTES] = {64, 0, 0, 0, 0, 0, 0, 0, 0};
  cr_assert_eq(tlog_node_key_parse(bad_level, &level, &index), PROTO_E_CORRUPT);
  const uint8_t bad_leaf[TLOG_NODE_KEY_BYTES] = {0, 0x80, 0, 0, 0, 0, 0, 0, 0};
  cr_assert_eq(tlog_node_key_parse(bad_leaf, &level, &index), PROTO_E_CORRUPT);
}

/* A virtual tree of up to 2^63 equal leaves: node (l, i) is the same hash for every i, which is
 * a consistent tree, so roots and proofs at any size can be checked without storing it. */
static hash_t uniform[TLOG_LEVELS];

static int uniform_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  (void)ctx;
  cr_assert(level < TLOG_LEVELS && (index >> (63 - level)) == 0, "get (%u, %" PRIu64 ")", level, index);
  memcpy(out, uniform[level], PROTO_HASH_BYTES);
  return 0;
}

static int uniform_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]) {
  (void)ctx, (void)level, (void)index, (void)hash;
  return PROTO_E_STORAGE;
}

Test(merkle, proofs_verify_for_sizes_up_to_2_pow_63) {
  tlog_leaf_hash((const uint8_t *)"x", 1, uniform[0]);
  for (unsigned l = 1; l < TLOG_LEVELS; l++) tlog_node_hash(uniform[l - 1], uniform[l - 1], uniform[l]);
  struct tlog_store s = {.ctx = NULL, .get = uniform_get, .put = uniform_put};
  uint64_t rng = test_seed();
  hash_t top;
  tlog_node_hash(uniform[62], uniform[62], top);
  hash_t root;
  cr_assert_eq(tlog_root(&s, TLOG_SIZE_MAX, root), 0);
  cr_assert_arr_eq(root, uniform[63], PROTO_HASH_BYTES);
  cr_assert_arr_eq(root, top, PROTO_HASH_BYTES);
  for (unsigned q = 0; q < 2000; q++) {
    uint64_t second = q == 0 ? TLOG_SIZE_MAX : 2 + rnd_below(&rng, TLOG_SIZE_MAX - 1);
    second >>= rnd_below(&rng, 62); /* every magnitude, not only ~2^62 */
    if (second < 2) second = 2;
    uint64_t first = 1 + rnd_below(&rng, second - 1), index = rnd_below(&rng, second);
    hash_t r1, r2, proof[TLOG_PROOF_HASHES_MAX] = {{0}};
    size_t n = 0;
    cr_assert_eq(tlog_root(&s, first, r1), 0);
    cr_assert_eq(tlog_root(&s, second, r2), 0);
    cr_assert_eq(tlog_inclusion(&s, index, second, proof, &n), 0);
    cr_assert_eq(tlog_verify_inclusion(index, second, uniform[0], (const hash_t *)proof, n, r2), 0,
                 "inclusion %" PRIu64 " of %" PRIu64, index, second);
    cr_assert_gt(n, 0);
    flip(proof[rnd_below(&rng, n)], (unsigned)rnd_below(&rng, 256));
    cr_assert_eq(tlog_verify_inclusion(index, second, uniform[0], (const hash_t *)proof, n, r2),
                 PROTO_E_BAD_PROOF);
    cr_assert_eq(tlog_consistency(&s, first, second, proof, &n), 0);
    cr_assert_leq(n, TLOG_PROOF_HASHES_MAX);
    cr_assert_eq(tlog_verify_consistency(first, second, r1, r2, (const hash_t *)proof, n), 0,
                 "consistency %" PRIu64 " to %" PRIu64, first, second);
  }
}
