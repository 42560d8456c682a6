/* Verbatim appends with signatures and legs deferred (ledger_append_entries_deferred) and their
 * verification after the commit (ledger_verify_entries): what a standby does with its primary's
 * batches so that it confirms them as soon as they are durable. */
#include "ledger_fixture.h"
#include "tlog/tlog.h"

#define COPY_MAX 128u

static struct fx F; /* the primary's ledger: the world */
static struct fx G; /* the standby's: G.l only (the keys are F's) */

/* Leaves of the copy, as the standby receives them (a test may change one) */
static uint8_t leaves[COPY_MAX][PROTO_ENTRY_BYTES_MAX];
static size_t leaf_lens[COPY_MAX];
static struct ledger_entry_in ins[COPY_MAX];
static uint64_t n_leaves;

static void teardown(void) {
  if (G.l) ledger_close(G.l);
  G.l = NULL;
  fx_rm_rf(G.dir);
  fx_free(&F);
}

/* The world in F, its entries (none has legs) copied out, and an empty standby store in G. */
static void setup_copy(void) {
  fx_world(&F);
  n_leaves = ledger_tree_size(F.l);
  cr_assert(n_leaves > 12 && n_leaves <= COPY_MAX, "the world has %llu entries", (unsigned long long)n_leaves);
  for (uint64_t i = 0; i < n_leaves; i++) {
    long n = ledger_entry_get(F.l, i, leaves[i], PROTO_ENTRY_BYTES_MAX);
    cr_assert_gt(n, 0);
    leaf_lens[i] = (size_t)n;
    ins[i] = (struct ledger_entry_in){.leaf = leaves[i], .leaf_len = (size_t)n};
  }
  memset(&G, 0, sizeof G);
  snprintf(G.dir, sizeof G.dir, "/tmp/quotad-standby-XXXXXX");
  cr_assert(mkdtemp(G.dir) != NULL);
  struct ledger_config cfg = {.dir = G.dir, .log_key = F.log};
  cr_assert_eq(ledger_open(&cfg, &G.l), 0);
}

static void reopen_standby(void) {
  ledger_close(G.l);
  struct ledger_config cfg = {.dir = G.dir, .log_key = F.log};
  cr_assert_eq(ledger_open(&cfg, &G.l), 0);
}

/* The RFC 6962 root over the (possibly changed) leaves [0, n). */
static void root_of(uint64_t n, uint8_t out[PROTO_HASH_BYTES]) {
  static uint8_t hashes[COPY_MAX][PROTO_HASH_BYTES];
  for (uint64_t i = 0; i < n; i++) tlog_leaf_hash(leaves[i], leaf_lens[i], hashes[i]);
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])hashes, n, out);
}

/* Appends leaves [from, to) to the standby, deferred; returns the code. */
static int append_deferred(uint64_t from, uint64_t to, char *why, size_t cap) {
  uint8_t root[PROTO_HASH_BYTES];
  root_of(to, root);
  return ledger_append_entries_deferred(G.l, ins + from, to - from, root, why, cap);
}

/* The size of the standby's latest signed checkpoint (its second line), 0 when it has none. */
static uint64_t checkpoint_size(void) {
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  long n = ledger_checkpoint_latest(G.l, note, sizeof note);
  if (n == PROTO_E_NOT_FOUND) return 0;
  cr_assert_gt(n, 0);
  const char *nl = strchr(note, '\n');
  cr_assert(nl != NULL);
  return strtoull(nl + 1, NULL, 10);
}

TestSuite(deferred, .fini = teardown);

Test(deferred, a_batch_before_the_genesis_is_verified_inline) {
  setup_copy();
  char why[256];
  leaves[0][leaf_lens[0] - 1] ^= 1; /* the genesis's signature by the log key */
  cr_assert_eq(append_deferred(0, 5, why, sizeof why), PROTO_E_DIVERGED);
  cr_assert(strstr(why, "entry 0") && strstr(why, "bad_signature"), "why: %s", why);
  cr_assert_eq(ledger_tree_size(G.l), 0);
  leaves[0][leaf_lens[0] - 1] ^= 1;
  cr_assert_eq(append_deferred(0, 5, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_verified_size(G.l), 5, "a verified batch moves the verified size along");
}

Test(deferred, a_bad_signature_commits_and_the_verifier_names_its_entry) {
  setup_copy();
  char why[256];
  cr_assert_eq(append_deferred(0, 5, why, sizeof why), 0, "%s", why);
  uint64_t bad = 7;
  leaves[bad][leaf_lens[bad] - 1] ^= 1; /* the last byte of its last signature */
  uint8_t root[PROTO_HASH_BYTES];
  root_of(n_leaves, root);
  /* inline, the same batch is refused: the change is a signature the rules would not accept */
  cr_assert_eq(ledger_append_entries(G.l, ins + 5, n_leaves - 5, root, why, sizeof why), PROTO_E_DIVERGED);
  cr_assert(strstr(why, "bad_signature"), "why: %s", why);
  cr_assert_eq(ledger_tree_size(G.l), 5);
  /* deferred, it commits: the root is the one sent, the rules accept it */
  cr_assert_eq(append_deferred(5, n_leaves, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_tree_size(G.l), n_leaves);
  cr_assert_eq(ledger_verified_size(G.l), 5);
  uint64_t at = 0;
  cr_assert_eq(ledger_verify_entries(G.l, 0, 5, &at, why, sizeof why), 0, "the genesis too: %s", why);
  cr_assert_eq(ledger_verify_entries(G.l, 5, n_leaves, &at, why, sizeof why), PROTO_E_DIVERGED);
  cr_assert_eq(at, bad);
  cr_assert(strstr(why, "entry 7: bad_signature"), "why: %s", why);
  cr_assert_eq(ledger_verified_size(G.l), 5, "a failed verification moves nothing");
  cr_assert_eq(checkpoint_size(), 0, "a deferred append signs nothing, not even the genesis batch "
               "it verified inline: the caller signs (ledger_sign_verified)");
  cr_assert_eq(ledger_verify_entries(G.l, 5, bad, &at, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_verified_size(G.l), bad);
  bool signed_now = false;
  cr_assert_eq(ledger_sign_verified(G.l, 6, &signed_now), 0);
  cr_assert(signed_now);
  cr_assert_eq(checkpoint_size(), 6, "signed up to the size given, below the verified size");
  cr_assert_eq(ledger_sign_verified(G.l, UINT64_MAX, &signed_now), 0);
  cr_assert(signed_now);
  cr_assert_eq(checkpoint_size(), bad, "signed up to the verified size, not past it");
  cr_assert_eq(ledger_sign_verified(G.l, UINT64_MAX, &signed_now), 0);
  cr_assert(!signed_now, "nothing new to sign");
  /* the store keeps what the last deferred append persisted: a crash re-verifies from there */
  reopen_standby();
  cr_assert_eq(ledger_verified_size(G.l), 5);
  cr_assert_eq(ledger_tree_size(G.l), n_leaves);
  cr_assert_leq(checkpoint_size(), bad, "the open signs nothing past the verified size");
}

Test(deferred, verification_persists_with_the_next_deferred_append) {
  setup_copy();
  char why[256];
  uint64_t at = 0, half = n_leaves / 2;
  cr_assert_eq(append_deferred(0, 5, why, sizeof why), 0, "%s", why);
  cr_assert_eq(append_deferred(5, half, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_verify_entries(G.l, 5, half, &at, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_verified_size(G.l), half);
  cr_assert_eq(append_deferred(half, n_leaves, why, sizeof why), 0, "%s", why);
  reopen_standby();
  cr_assert_eq(ledger_verified_size(G.l), half, "persisted in the next batch's transaction");
  cr_assert_eq(ledger_verify_entries(G.l, half, n_leaves, &at, why, sizeof why), 0, "%s", why);
  cr_assert_eq(ledger_verified_size(G.l), n_leaves);
  cr_assert_eq(ledger_verify_entries(G.l, 0, n_leaves + 1, &at, why, sizeof why), PROTO_E_BAD_ARGUMENT);
}

/* A transfer A -> B signed by a key the registry never registered, as entry n_leaves. */
static void unknown_key_entry(void) {
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  struct proto_key *stranger = fx_key(99);
  static uint8_t env[PROTO_ENTRY_BYTES_MAX];
  size_t elen = fx_envelope(&tx, FX_SIGNERS(stranger), 1, FX_ORIGIN, env, sizeof env);
  proto_key_free(stranger);
  struct proto_entry last, e = {.index = n_leaves, .envelope = env, .envelope_len = (uint16_t)elen};
  cr_assert_eq(proto_entry_decode(leaves[n_leaves - 1], leaf_lens[n_leaves - 1], &last), 0);
  e.time_ms = last.time_ms + 1;
  long n = proto_entry_encode(&e, leaves[n_leaves], PROTO_ENTRY_BYTES_MAX);
  cr_assert_gt(n, 0);
  leaf_lens[n_leaves] = (size_t)n;
  ins[n_leaves] = (struct ledger_entry_in){.leaf = leaves[n_leaves], .leaf_len = (size_t)n};
}

Test(deferred, the_rules_still_refuse_an_unknown_key_and_nothing_changes) {
  setup_copy();
  char why[256];
  cr_assert_eq(append_deferred(0, n_leaves, why, sizeof why), 0, "%s", why);
  uint64_t verified = ledger_verified_size(G.l);
  unknown_key_entry();
  struct fx_snap before;
  fx_snapshot(&G, &before);
  cr_assert_eq(append_deferred(n_leaves, n_leaves + 1, why, sizeof why), PROTO_E_DIVERGED);
  cr_assert(strstr(why, "unknown_key"), "why: %s", why);
  fx_assert_unchanged(&G, &before);
  cr_assert_eq(ledger_verified_size(G.l), verified);
}

Test(deferred, a_store_that_never_deferred_has_everything_verified) {
  fx_world(&F);
  uint64_t n = ledger_tree_size(F.l);
  cr_assert_eq(ledger_verified_size(F.l), n);
  fx_reopen(&F);
  cr_assert_eq(ledger_verified_size(F.l), n);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_OK(&F, &tx, F.rep_a);
  cr_assert_eq(ledger_verified_size(F.l), n + 1, "ledger_apply verifies what it appends");
}
