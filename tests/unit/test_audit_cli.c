/* The quota-audit command on export files written by the rogue writer: an honest log passes and
 * its reported state matches; each rule-breaking entry is named with its index and rule; a
 * tampered file, another key, a forked older checkpoint and a wrong reported state each fail
 * with exit code 1; usage and I/O problems exit 2. */
#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define W_LEAF_MODE true
#include "tests/unit/audit_fixture.h"

static struct world w;
static char dir[64], export_path[128], vk[TLOG_VERIFIER_KEY_BYTES_MAX];
static char out[65536];

static void setup(void) {
  w_standard(&w);
  w_busy(&w);
  snprintf(dir, sizeof(dir), "/tmp/quota-audit-test-XXXXXX");
  cr_assert(mkdtemp(dir) != NULL);
  snprintf(export_path, sizeof(export_path), "%s/export.jsonl", dir);
  rogue_verifier_key(w.log, vk, sizeof(vk));
}

static void teardown(void) {
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  w_fini(&w);
}


/* Runs quota-audit with args; its stdout and stderr land in `out`. Returns the exit code. */
static int run_audit(const char *args) {
  char cmd[4096], log_path[128];
  snprintf(log_path, sizeof(log_path), "%s/out.txt", dir);
  snprintf(cmd, sizeof(cmd), "%s/tools/quota-audit --quiet %s > '%s' 2>&1", QUOTAD_BUILD_DIR, args,
           log_path);
  int status = system(cmd);
  FILE *f = fopen(log_path, "r");
  size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
  out[n] = '\0';
  if (f) fclose(f);
  cr_assert(WIFEXITED(status), "quota-audit did not exit: %s", out);
  return WEXITSTATUS(status);
}

static int audit_export(const char *extra) {
  char args[1024];
  snprintf(args, sizeof(args), "--export '%s' --verifier-key '%s' %s", export_path, vk,
           extra ? extra : "");
  return run_audit(args);
}

/* What an honest registry reports: the replay's own end state in the export's form. */
static json_t *reported_state(void) {
  json_t *inst = json_array(), *bal = json_array(), *comp = json_array();
  for (size_t i = 0; i < audit_replay_instruments_count(w.r); i++) {
    struct audit_instrument in;
    audit_replay_instrument_at(w.r, i, &in);
    json_array_append_new(inst, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "code", in.code, "cap",
                                          (json_int_t)in.cap, "issued", (json_int_t)in.issued,
                                          "surrendered", (json_int_t)in.surrendered, "cancelled",
                                          (json_int_t)in.cancelled, "carried_over",
                                          (json_int_t)in.carried_over));
  }
  for (size_t i = 0; i < audit_replay_balances_count(w.r); i++) {
    struct audit_balance b;
    audit_replay_balance_at(w.r, i, &b);
    json_array_append_new(bal, json_pack("{s:I, s:s, s:I, s:I, s:I}", "account", (json_int_t)b.account,
                                         "instrument", b.instrument, "registry", (json_int_t)b.registry,
                                         "trading", (json_int_t)b.trading, "frozen", (json_int_t)b.frozen));
  }
  uint64_t now_ms = (uint64_t)time(NULL) * 1000u;
  for (size_t i = 0; i < audit_replay_compliance_count(w.r); i++) {
    struct audit_compliance c;
    audit_replay_compliance_at(w.r, i, now_ms, &c);
    json_array_append_new(comp, json_pack("{s:i, s:I, s:I, s:I, s:I, s:s, s:I}", "year", c.year,
                                          "account", (json_int_t)c.account, "emissions",
                                          (json_int_t)c.emissions, "surrendered_cea",
                                          (json_int_t)c.surrendered_cea, "surrendered_ccer",
                                          (json_int_t)c.surrendered_ccer, "status",
                                          audit_status_name(c.status), "shortfall",
                                          (json_int_t)c.shortfall));
  }
  return json_pack("{s:o, s:o, s:o}", "instruments", inst, "balances", bal, "compliance", comp);
}

Test(audit_cli, passes_an_honest_log_and_its_reported_state) {
  setup();
  rogue_export(&w.rlog, w.log, NULL, reported_state(), export_path);
  cr_assert_eq(audit_export(NULL), 0, "%s", out);
  cr_assert(strstr(out, "verdict       OK") != NULL, "%s", out);
  cr_assert(strstr(out, "reported state matches the replay") != NULL, "%s", out);
  cr_assert(strstr(out, "entries/s") != NULL, "%s", out);
  teardown();
}

Test(audit_cli, names_a_wrong_reported_balance) {
  setup();
  json_t *rep = reported_state();
  json_t *row = json_array_get(json_object_get(rep, "balances"), 3);
  json_object_set_new(row, "registry", json_integer(json_integer_value(json_object_get(row, "registry")) + 1));
  rogue_export(&w.rlog, w.log, NULL, rep, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  cr_assert(strstr(out, "[inconsistent]") && strstr(out, "registry is"), "%s", out);
  teardown();
}

Test(audit_cli, names_an_unreported_holding_and_a_wrong_total) {
  setup();
  json_t *rep = reported_state();
  json_array_remove(json_object_get(rep, "balances"), 0);
  rogue_export(&w.rlog, w.log, NULL, rep, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  cr_assert(strstr(out, "does not report it") != NULL, "%s", out);
  rep = reported_state();
  json_object_set_new(json_array_get(json_object_get(rep, "instruments"), 0), "issued", json_integer(1));
  rogue_export(&w.rlog, w.log, NULL, rep, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  cr_assert(strstr(out, "instrument CEA-2025 issued is 1") != NULL, "%s", out);
  teardown();
}

/* ---- rule-breaking entries, each named with its index ---- */

static uint64_t avail(uint64_t account, const char *code) {
  struct audit_balance b = {0};
  (void)audit_replay_balance(w.r, account, code, &b);
  return b.registry - b.frozen;
}

static int rogue_over_cap(void) {
  struct proto_tx tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 500001);
  w_step(&w, &tx, w.op1);
  return PROTO_E_CAP_EXCEEDED;
}
static int rogue_overdraw(void) {
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", avail(W_ENT_A, "CEA-2025") + 50);
  w_step(&w, &tx, w.rep_a);
  return PROTO_E_INSUFFICIENT_BALANCE;
}
static int rogue_frozen(void) {
  struct proto_tx tx = w_move(PROTO_TX_FREEZE, W_ENT_B, 0, "CEA-2025", avail(W_ENT_B, "CEA-2025"));
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_B, W_ENT_A, "CEA-2025", 1);
  w_step(&w, &tx, w.rep_b);
  return PROTO_E_FROZEN; /* held, but frozen: the ledger's code too */
}
static int rogue_ccer(void) {
  struct proto_tx tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CCER-2024", 1);
  w_step(&w, &tx, w.rep_a);
  return PROTO_E_CCER_LIMIT;
}
static int rogue_wrong_role(void) {
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1);
  w_step(&w, &tx, w.rep_b);
  return PROTO_E_WRONG_ROLE;
}
static int rogue_vintage(void) {
  struct proto_tx tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2024", 1);
  w_step(&w, &tx, w.rep_a);
  return PROTO_E_INELIGIBLE_VINTAGE;
}
static int rogue_revoked(void) {
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1);
  w_step(&w, &tx, w.rep_a2);
  return PROTO_E_REVOKED_KEY;
}
static int rogue_unknown_account(void) {
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, 999, "CEA-2025", 1);
  w_step(&w, &tx, w.rep_a);
  return PROTO_E_UNKNOWN_ACCOUNT;
}
static int rogue_threshold(void) {
  struct proto_tx tx = w_account(W_ENT_A, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE, "91350100M000100Y43", 2);
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1);
  w_step(&w, &tx, w.rep_a);
  return PROTO_E_INSUFFICIENT_SIGNATURES;
}
static int rogue_withheld(void) {
  struct proto_tx tx = w_move(PROTO_TX_DEDUCT, W_ENT_B, 0, "", 500);
  tx.u.move.year = 2025;
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 1000);
  w_step_w(&w, &tx, 0, &w.auth, 1); /* should record withheld 500 */
  return PROTO_E_BAD_ARGUMENT;
}
static int rogue_operator_threshold(void) {
  struct proto_tx tx = w_instrument("CEA-2026", PROTO_INSTRUMENT_CEA, 2026, 10, 2026, 2100);
  w_step(&w, &tx, w.rep_a); /* a representative cannot create instruments */
  return PROTO_E_WRONG_ROLE;
}

Test(audit_cli, names_each_rule_breaking_entry_by_index_and_rule) {
  setup();
  int (*const cases[])(void) = {rogue_over_cap, rogue_overdraw, rogue_frozen, rogue_ccer,
                                rogue_wrong_role, rogue_vintage, rogue_revoked,
                                rogue_unknown_account, rogue_threshold, rogue_withheld,
                                rogue_operator_threshold};
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    w_fini(&w);
    w_standard(&w);
    w_busy(&w);
    int code = cases[k]();
    uint64_t bad = w.rlog.count - 1;
    cr_assert_eq(w.fail.index, bad, "case %zu: the replay itself names %llu: %s", k,
                 (unsigned long long)w.fail.index, w.fail.text);
    /* The rogue writer carries on after the bad entry with well-signed ones. */
    struct proto_tx tx = w_instrument("CEA-2030", PROTO_INSTRUMENT_CEA, 2030, 10, 2030, 2100);
    w_id(&w, &tx);
    rogue_append(&w.rlog, &tx, w.time_ms, 0, &w.op1, 1);
    rogue_export(&w.rlog, w.log, NULL, NULL, export_path);
    cr_assert_eq(audit_export(NULL), 1, "case %zu: %s", k, out);
    char want[96];
    snprintf(want, sizeof(want), "FAILED [%s]: entry %llu (", proto_err_name(code),
             (unsigned long long)bad);
    cr_assert(strstr(out, want) != NULL, "case %zu: expected \"%s\" in:\n%s", k, want, out);
  }
  teardown();
}

Test(audit_cli, reports_every_failing_entry_goes_on_past_each_and_exits_1) {
  setup();
  uint64_t first = w.rlog.count;
  rogue_wrong_role(); /* entry first */
  /* A good entry between them: replayed and applied (its transfer shows in the summary's run). */
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 7);
  w_id(&w, &tx);
  rogue_append(&w.rlog, &tx, w.time_ms += 1000, 0, &w.rep_a, 1);
  rogue_vintage(); /* entry first + 2 */
  rogue_export(&w.rlog, w.log, NULL, NULL, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  char want[128];
  snprintf(want, sizeof(want), "failing entry %llu [wrong_role]", (unsigned long long)first);
  cr_assert(strstr(out, want) != NULL, "expected \"%s\" in:\n%s", want, out);
  snprintf(want, sizeof(want), "failing entry %llu [ineligible_vintage]",
           (unsigned long long)first + 2);
  cr_assert(strstr(out, want) != NULL, "expected \"%s\" in:\n%s", want, out);
  cr_assert(strstr(out, "(2 failing entries in all)") != NULL, "%s", out);
  snprintf(want, sizeof(want), "entries       %llu verified", (unsigned long long)first + 3);
  cr_assert(strstr(out, want) != NULL, "the replay went on to the end:\n%s", out);
  teardown();
}

/* ---- tampering with the file ---- */

Test(audit_cli, detects_a_flipped_byte_in_the_export) {
  setup();
  srand(7);
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  rogue_checkpoint(&w.rlog, w.rlog.count, w.log, note, sizeof(note));
  for (unsigned trial = 0; trial < 12; trial++) {
    size_t i = (size_t)rand() % w.rlog.count, pos = (size_t)rand() % w.rlog.lens[i];
    w.rlog.leaves[i][pos] ^= 0x01;
    rogue_export(&w.rlog, w.log, note, NULL, export_path);
    w.rlog.leaves[i][pos] ^= 0x01;
    cr_assert_eq(audit_export(NULL), 1, "flip at %zu/%zu unseen: %s", i, pos, out);
  }
  teardown();
}

Test(audit_cli, detects_a_substituted_or_foreign_checkpoint) {
  setup();
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  rogue_checkpoint(&w.rlog, w.rlog.count, w.op3, note, sizeof(note)); /* another key */
  rogue_export(&w.rlog, w.log, note, NULL, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  cr_assert(strstr(out, "not signed by the verifier key") != NULL, "%s", out);
  rogue_checkpoint(&w.rlog, w.rlog.count - 1, w.log, note, sizeof(note)); /* another root and size */
  rogue_export(&w.rlog, w.log, note, NULL, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  char other_vk[TLOG_VERIFIER_KEY_BYTES_MAX], args[1024];
  rogue_export(&w.rlog, w.log, NULL, NULL, export_path);
  rogue_verifier_key(w.op2, other_vk, sizeof(other_vk));
  snprintf(args, sizeof(args), "--export '%s' --verifier-key '%s'", export_path, other_vk);
  cr_assert_eq(run_audit(args), 1, "%s", out);
  teardown();
}

Test(audit_cli, detects_truncation_and_reordering_in_the_file) {
  setup();
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  rogue_checkpoint(&w.rlog, w.rlog.count, w.log, note, sizeof(note));
  w.rlog.count--; /* the last entry withheld, the signed checkpoint kept */
  rogue_export(&w.rlog, w.log, note, NULL, export_path);
  w.rlog.count++;
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  uint8_t *t = w.rlog.leaves[10];
  size_t tl = w.rlog.lens[10];
  w.rlog.leaves[10] = w.rlog.leaves[11], w.rlog.lens[10] = w.rlog.lens[11];
  w.rlog.leaves[11] = t, w.rlog.lens[11] = tl;
  rogue_export(&w.rlog, w.log, note, NULL, export_path);
  cr_assert_eq(audit_export(NULL), 1, "%s", out);
  cr_assert(strstr(out, "entry 10") != NULL, "%s", out);
  teardown();
}

/* ---- older checkpoints and inclusion ---- */

Test(audit_cli, proves_an_older_checkpoint_consistent_and_refuses_a_fork) {
  setup();
  char note[TLOG_CHECKPOINT_BYTES_MAX], path[160], args[256];
  snprintf(path, sizeof(path), "%s/old.note", dir);
  rogue_checkpoint(&w.rlog, 20, w.log, note, sizeof(note));
  FILE *f = fopen(path, "w");
  fputs(note, f);
  fclose(f);
  rogue_export(&w.rlog, w.log, NULL, NULL, export_path);
  snprintf(args, sizeof(args), "--since-checkpoint '%s'", path);
  cr_assert_eq(audit_export(args), 0, "%s", out);
  cr_assert(strstr(out, "consistent with the older 20") != NULL, "%s", out);
  /* A fork: the log key signed size 20 over another entry 19. */
  uint8_t *keep = w.rlog.leaves[19];
  size_t keep_len = w.rlog.lens[19];
  struct proto_tx tx = w_instrument("FORK", PROTO_INSTRUMENT_CEA, 2030, 10, 2030, 2100);
  w_id(&w, &tx);
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  w.rlog.lens[19] = rogue_leaf(&tx, 19, W_T0, 0, &w.op1, 1, ROGUE_ORIGIN, leaf, sizeof(leaf));
  w.rlog.leaves[19] = leaf;
  rogue_checkpoint(&w.rlog, 20, w.log, note, sizeof(note));
  w.rlog.leaves[19] = keep, w.rlog.lens[19] = keep_len;
  f = fopen(path, "w");
  fputs(note, f);
  fclose(f);
  cr_assert_eq(audit_export(args), 1, "%s", out);
  cr_assert(strstr(out, "[inconsistent]") != NULL, "%s", out);
  teardown();
}

Test(audit_cli, finds_a_transaction_by_id) {
  setup();
  struct proto_tx tx = w_instrument("CEA-2031", PROTO_INSTRUMENT_CEA, 2031, 10, 2031, 2100);
  w_ok(&w, &tx, w.op1);
  rogue_export(&w.rlog, w.log, NULL, NULL, export_path);
  char hex[33], args[96], want[96];
  proto_hex_encode(tx.id, PROTO_ID_BYTES, hex, sizeof(hex));
  snprintf(args, sizeof(args), "--tx %s", hex);
  cr_assert_eq(audit_export(args), 0, "%s", out);
  snprintf(want, sizeof(want), "transaction %s is entry %zu", hex, w.rlog.count - 1);
  cr_assert(strstr(out, want) != NULL, "%s", out);
  teardown();
}

Test(audit_cli, exits_2_on_usage_and_io_errors) {
  setup();
  cr_assert_eq(run_audit(""), 2, "%s", out);
  cr_assert_eq(run_audit("--export /nonexistent/file --verifier-key x+00000000+AAAA"), 2, "%s", out);
  char args[512];
  snprintf(args, sizeof(args), "--export /nonexistent/file --verifier-key '%s'", vk);
  cr_assert_eq(run_audit(args), 2, "%s", out);
  teardown();
}
