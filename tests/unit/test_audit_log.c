/* audit_log: a whole log verified in chunks with threaded signature checks, then held against
 * its checkpoint. Tampering of every kind (flipped bytes, reordered, dropped or truncated
 * entries, a substituted checkpoint) is detected. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define W_LEAF_MODE true
#include "tests/unit/audit_fixture.h"
#include "audit/audit.h"

static struct world w;
static struct tlog_checkpoint cp; /* what an honest log key would sign */

static void setup(void) {
  w_standard(&w);
  w_busy(&w);
  cr_assert_eq(audit_replay_finish(w.r, &w.fail), 0, "%s", w.fail.text);
  uint8_t(*hashes)[PROTO_HASH_BYTES] = calloc(w.rlog.count, PROTO_HASH_BYTES);
  for (size_t i = 0; i < w.rlog.count; i++) tlog_leaf_hash(w.rlog.leaves[i], w.rlog.lens[i], hashes[i]);
  memset(&cp, 0, sizeof(cp));
  strcpy(cp.origin, ROGUE_ORIGIN);
  cp.size = w.rlog.count;
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])hashes, cp.size, cp.root);
  free(hashes);
}
static void teardown(void) { w_fini(&w); }


/* Verifies leaves[0..n) in chunks of `chunk` against cp; 0 when everything holds. */
static int verify(uint8_t *const *leaves, const size_t *lens, size_t n, size_t chunk,
                  const struct tlog_checkpoint *c, struct audit_failure *fail) {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(w.log, pub);
  struct audit_log *log = audit_log_new(pub, 2);
  cr_assert(log != NULL);
  int rc = 0;
  for (size_t at = 0; at < n && !rc; at += chunk) {
    size_t k = n - at < chunk ? n - at : chunk;
    rc = audit_log_feed(log, (const uint8_t *const *)leaves + at, lens + at, k, fail);
  }
  if (!rc) rc = audit_log_check_checkpoint(log, c, fail);
  if (!rc) rc = audit_replay_finish(audit_log_replay(log), fail);
  audit_log_free(log);
  return rc;
}

Test(audit_log, accepts_the_honest_log_in_any_chunking) {
  setup();
  struct audit_failure f;
  size_t chunks[] = {1, 7, 64, 4096};
  for (size_t i = 0; i < 4; i++)
    cr_assert_eq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, chunks[i], &cp, &f), 0,
                 "chunk %zu: %s", chunks[i], f.text);
  teardown();
}

Test(audit_log, detects_every_flipped_byte) {
  setup();
  srand(20261125);
  struct audit_failure f;
  for (unsigned trial = 0; trial < 200; trial++) {
    size_t i = (size_t)rand() % w.rlog.count;
    size_t pos = (size_t)rand() % w.rlog.lens[i];
    uint8_t bit = (uint8_t)(1u << (rand() % 8));
    w.rlog.leaves[i][pos] ^= bit;
    int rc = verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 16, &cp, &f);
    w.rlog.leaves[i][pos] ^= bit;
    cr_assert_neq(rc, 0, "flip of bit %u at byte %zu of entry %zu went unseen", bit, pos, i);
    /* A later time in entry i shows only when entry i + 1 seems to go back in time. */
    bool time_field = pos >= 10 && pos < 18;
    cr_assert(f.index == i || f.index == UINT64_MAX || (time_field && f.index == i + 1),
              "flip in entry %zu blamed on %llu: %s", i, (unsigned long long)f.index, f.text);
  }
  teardown();
}

Test(audit_log, detects_two_entries_swapped) {
  setup();
  struct audit_failure f;
  size_t i = 20, j = 31;
  uint8_t *t = w.rlog.leaves[i];
  size_t tl = w.rlog.lens[i];
  w.rlog.leaves[i] = w.rlog.leaves[j], w.rlog.lens[i] = w.rlog.lens[j];
  w.rlog.leaves[j] = t, w.rlog.lens[j] = tl;
  cr_assert_neq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 8, &cp, &f), 0);
  cr_assert_eq(f.index, i, "%s", f.text);
  teardown();
}

Test(audit_log, detects_a_dropped_entry) {
  setup();
  struct audit_failure f;
  size_t drop = 25;
  free(w.rlog.leaves[drop]);
  memmove(&w.rlog.leaves[drop], &w.rlog.leaves[drop + 1], (w.rlog.count - drop - 1) * sizeof(uint8_t *));
  memmove(&w.rlog.lens[drop], &w.rlog.lens[drop + 1], (w.rlog.count - drop - 1) * sizeof(size_t));
  w.rlog.count--;
  cr_assert_neq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 8, &cp, &f), 0);
  cr_assert_eq(f.index, drop, "%s", f.text);
  teardown();
}

Test(audit_log, detects_a_truncated_log) {
  setup();
  struct audit_failure f;
  cr_assert_eq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count - 1, 8, &cp, &f),
               PROTO_E_BAD_CHECKPOINT);
  cr_assert(strstr(f.text, "tree size") != NULL, "%s", f.text);
  teardown();
}

Test(audit_log, detects_a_substituted_root_or_size) {
  setup();
  struct audit_failure f;
  struct tlog_checkpoint other = cp;
  other.root[5] ^= 1;
  cr_assert_eq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 8, &other, &f), PROTO_E_INCONSISTENT);
  other = cp;
  other.size++;
  cr_assert_eq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 8, &other, &f), PROTO_E_BAD_CHECKPOINT);
  other = cp;
  strcpy(other.origin, "another.registry/quotad");
  cr_assert_eq(verify(w.rlog.leaves, w.rlog.lens, w.rlog.count, 8, &other, &f), PROTO_E_BAD_CHECKPOINT);
  teardown();
}

Test(audit_log, detects_a_log_under_another_log_key) {
  setup();
  struct audit_failure f;
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(w.op3, pub);
  struct audit_log *log = audit_log_new(pub, 2);
  int rc = audit_log_feed(log, (const uint8_t *const *)w.rlog.leaves, w.rlog.lens, w.rlog.count, &f);
  cr_assert_eq(rc, PROTO_E_UNKNOWN_LOG_KEY, "%s", f.text);
  cr_assert_eq(f.index, 0);
  audit_log_free(log);
  teardown();
}
