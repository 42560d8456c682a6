/* quota-audit's replay against a real registry (ledger/): the same signed transactions go
 * through ledger_apply (with some it must refuse), then the ledger's own entries and checkpoint
 * are audited and its reported state (instruments, balances, compliance) must equal the
 * replay's. The two rule implementations are independent: this test is where they meet. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W_LEAF_MODE true
#include "ledger/ledger.h"
#include "tests/unit/audit_fixture.h"
#include "tools/common/audit_log.h"

static struct world w;
static char dir[64];
static struct ledger *led;

static void setup(void) {
  w_standard(&w);
  w_busy(&w);
  snprintf(dir, sizeof(dir), "/tmp/quota-audit-ledger-XXXXXX");
  cr_assert(mkdtemp(dir) != NULL);
  struct ledger_config cfg = {.dir = dir, .log_key = w.log};
  int rc = ledger_open(&cfg, &led);
  cr_assert_eq(rc, 0, "ledger_open: %s", proto_err_name(rc));
}

static void teardown(void) {
  ledger_close(led);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  w_fini(&w);
}

TestSuite(audit_ledger, .init = setup, .fini = teardown, .timeout = 60);

/* Submits leaf's envelope to the ledger alone in its batch at time_ms; returns its result. */
static int submit(const uint8_t *leaf, size_t len, uint64_t time_ms) {
  struct proto_entry e;
  cr_assert_eq(proto_entry_decode(leaf, len, &e), 0);
  struct ledger_submission sub = {.envelope = e.envelope, .envelope_len = e.envelope_len};
  struct ledger_batch_info info;
  int rc = ledger_apply(led, &sub, 1, time_ms, &info);
  cr_assert_eq(rc, 0, "ledger_apply: %s", proto_err_name(rc));
  return sub.result;
}

/* A transaction the ledger must refuse, signed like any other. */
static void submit_refused(struct proto_tx *tx, struct proto_key *key, int code) {
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  w_id(&w, tx);
  size_t len = rogue_leaf(tx, 0, W_T0, 0, &key, 1, ROGUE_ORIGIN, leaf, sizeof(leaf));
  int rc = submit(leaf, len, W_T0 + 500000);
  cr_assert_eq(rc, code, "expected %s, got %s", proto_err_name(code), proto_err_name(rc));
}

/* Audits every entry the ledger holds against its latest checkpoint. */
static struct audit_log *audit_ledger(struct audit_failure *fail, int *rc) {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(w.log, pub);
  struct audit_log *log = audit_log_new(pub, 2);
  uint64_t n = ledger_tree_size(led);
  uint8_t **leaves = calloc(n, sizeof(*leaves));
  size_t *lens = calloc(n, sizeof(*lens));
  for (uint64_t i = 0; i < n; i++) {
    leaves[i] = malloc(PROTO_ENTRY_BYTES_MAX);
    long len = ledger_entry_get(led, i, leaves[i], PROTO_ENTRY_BYTES_MAX);
    cr_assert(len > 0);
    lens[i] = (size_t)len;
  }
  *rc = audit_log_feed(log, (const uint8_t *const *)leaves, lens, n, fail);
  char note[LEDGER_CHECKPOINT_BYTES_MAX];
  long note_len = ledger_checkpoint_latest(led, note, sizeof(note));
  cr_assert(note_len > 0);
  struct ledger_checkpoint cp;
  cr_assert_eq(ledger_checkpoint_verify(note, (size_t)note_len, ROGUE_ORIGIN, pub, &cp), 0);
  if (!*rc) *rc = audit_log_check_checkpoint(log, &cp, fail);
  if (!*rc) *rc = audit_replay_finish(audit_log_replay(log), fail);
  for (uint64_t i = 0; i < n; i++) free(leaves[i]);
  free(leaves);
  free(lens);
  return log;
}

static void states_agree(struct audit_replay *r, uint64_t now_ms) {
  struct ledger_instrument ins[16];
  long n = ledger_instruments(led, ins, 16);
  cr_assert_eq((size_t)n, audit_replay_instruments_count(r));
  for (long i = 0; i < n; i++) {
    struct audit_instrument a;
    cr_assert(audit_replay_instrument(r, ins[i].code, &a), "%s", ins[i].code);
    cr_assert(a.cap == ins[i].cap && a.issued == ins[i].issued && a.surrendered == ins[i].surrendered &&
                  a.cancelled == ins[i].cancelled && a.carried_over == ins[i].carried_over,
              "instrument %s differs", ins[i].code);
  }
  for (size_t k = 0; k < audit_replay_accounts_count(r); k++) {
    struct audit_account acc;
    audit_replay_account_at(r, k, &acc);
    struct ledger_balance bal[16];
    long m = ledger_balances(led, acc.id, bal, 16);
    cr_assert(m >= 0);
    for (long i = 0; i < m; i++) {
      struct audit_balance b = {0};
      (void)audit_replay_balance(r, acc.id, bal[i].instrument, &b);
      cr_assert(b.registry == bal[i].registry && b.trading == bal[i].trading && b.frozen == bal[i].frozen,
                "account %llu %s: ledger %llu/%llu/%llu, replay %llu/%llu/%llu",
                (unsigned long long)acc.id, bal[i].instrument, (unsigned long long)bal[i].registry,
                (unsigned long long)bal[i].trading, (unsigned long long)bal[i].frozen,
                (unsigned long long)b.registry, (unsigned long long)b.trading, (unsigned long long)b.frozen);
    }
  }
  struct ledger_compliance comp[16];
  long m = ledger_compliance(led, 2025, now_ms, 0, comp, 16);
  cr_assert_eq((size_t)m, audit_replay_compliance_count(r));
  for (long i = 0; i < m; i++) {
    struct audit_compliance c;
    cr_assert(audit_replay_compliance(r, comp[i].account, 2025, now_ms, &c));
    cr_assert(c.emissions == comp[i].emissions && c.surrendered_cea == comp[i].surrendered_cea &&
                  c.surrendered_ccer == comp[i].surrendered_ccer && c.shortfall == comp[i].shortfall &&
                  c.status == comp[i].status,
              "compliance of %llu differs", (unsigned long long)comp[i].account);
  }
}

Test(audit_ledger, replays_a_real_registry_and_agrees_with_its_state) {
  for (size_t i = 0; i < w.rlog.count; i++) {
    int rc = submit(w.rlog.leaves[i], w.rlog.lens[i], W_T0 + i * 1000);
    cr_assert_eq(rc, 0, "entry %zu refused by the ledger: %s", i, proto_err_name(rc));
    if (i == 30) { /* refusals leave no entry behind */
      struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10000000);
      submit_refused(&tx, w.rep_a, PROTO_E_INSUFFICIENT_BALANCE);
      tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1);
      submit_refused(&tx, w.rep_b, PROTO_E_WRONG_ROLE);
    }
  }
  cr_assert_eq(ledger_tree_size(led), w.rlog.count);
  struct audit_failure fail;
  int rc;
  struct audit_log *log = audit_ledger(&fail, &rc);
  cr_assert_eq(rc, 0, "the audit of a real registry fails: %s", fail.text);
  states_agree(audit_log_replay(log), W_T0 + w.rlog.count * 1000);
  states_agree(audit_log_replay(log), W_DEADLINE_2025 + 1); /* statuses after the deadline too */
  audit_log_free(log);
}
