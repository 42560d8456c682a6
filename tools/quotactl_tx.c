/* One subcommand per transaction type. The flags are the JSON field names of proto's tables, so
 * this file walks those tables instead of describing each type again; then the transaction is
 * encoded and signed locally (proto) and submitted. */
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/quotactl.h"
#include "tools/quotactl_build.h"

static const struct {
  const char *cmd;
  unsigned type;
  const char *what;
} tx_cmds[] = {
    {"key-register", PROTO_TX_KEY_REGISTER, "register a key with its role (operator)"},
    {"key-revoke", PROTO_TX_KEY_REVOKE, "revoke a key (operator)"},
    {"account-open", PROTO_TX_ACCOUNT_OPEN, "open a provincial, enterprise or participant account"},
    {"account-update", PROTO_TX_ACCOUNT_UPDATE, "replace an account's fields (merger, split)"},
    {"account-close", PROTO_TX_ACCOUNT_CLOSE, "close an account that holds and owes nothing"},
    {"account-reopen", PROTO_TX_ACCOUNT_REOPEN, "reopen a closed account (operators)"},
    {"at-risk", PROTO_TX_AT_RISK, "set (--set 1) or clear (--set 0) an enterprise's at-risk status"},
    {"instrument-create", PROTO_TX_INSTRUMENT_CREATE, "create a vintage or CCER instrument"},
    {"compliance-year", PROTO_TX_COMPLIANCE_YEAR, "open a compliance year or extend its deadline"},
    {"issue", PROTO_TX_ISSUE, "issue units into the national account"},
    {"allocate", PROTO_TX_ALLOCATE, "national -> provincial, provincial -> enterprise"},
    {"clawback", PROTO_TX_CLAWBACK, "enterprise -> provincial return of over-allocation"},
    {"transfer", PROTO_TX_TRANSFER, "between holding accounts (registry position)"},
    {"position-move", PROTO_TX_POSITION_MOVE, "registry <-> trading position of one account"},
    {"settle", PROTO_TX_SETTLE, "exchange settlement: --leg FROM:TO:INSTRUMENT:AMOUNT ..."},
    {"freeze", PROTO_TX_FREEZE, "a freeze order on units of a holding (its id names the order)"},
    {"unfreeze", PROTO_TX_UNFREEZE, "lift one freeze order, in whole or in part"},
    {"emissions", PROTO_TX_VERIFIED_EMISSIONS, "record verified emissions for a year"},
    {"surrender", PROTO_TX_SURRENDER, "surrender units against a compliance year"},
    {"cancel", PROTO_TX_CANCEL, "voluntary cancellation"},
    {"carry-over-rule", PROTO_TX_CARRY_OVER_RULE,
     "the carry-over parameters (vintages, target, window, base, factor, sectors)"},
    {"carry-over", PROTO_TX_CARRY_OVER,
     "carry old-vintage units into a new vintage (--rule: version 2; `alloc carryover` computes NS, T)"},
    {"deduct", PROTO_TX_DEDUCT,
     "a penalty deduction: --kind shortfall --amount T | --kind fraud --percent P (50..100)"},
};
#define TX_CMDS_N (sizeof(tx_cmds) / sizeof(tx_cmds[0]))

static unsigned tx_type_of(const char *cmd) {
  for (size_t i = 0; i < TX_CMDS_N; i++) {
    if (strcmp(tx_cmds[i].cmd, cmd) == 0) return tx_cmds[i].type;
  }
  return 0;
}

bool qctl_is_tx_cmd(const char *cmd) { return tx_type_of(cmd) != 0; }

void qctl_tx_cmds_help(FILE *out) {
  for (size_t i = 0; i < TX_CMDS_N; i++) {
    fprintf(out, "  %-18s %s\n", tx_cmds[i].cmd, tx_cmds[i].what);
  }
}

static void tx_help(const char *cmd, unsigned type) {
  size_t n = 0;
  const struct proto_field *f = qbuild_fields(type, &n);
  printf("usage: quotactl [--key FILE]... %s [--id HEX] [--dry-run]", cmd);
  for (size_t i = 0; i < n; i++) {
    char flag[64];
    qbuild_flag_name(f[i].name, flag, sizeof(flag));
    bool opt = qbuild_field_optional(&f[i]);
    printf(" %s--%s %s%s", opt ? "[" : "", flag, qbuild_field_hint(&f[i]), opt ? "]" : "");
  }
  printf("\n\n");
  for (size_t i = 0; i < TX_CMDS_N; i++) {
    if (tx_cmds[i].type == type) printf("%s.\n", tx_cmds[i].what);
  }
  printf("Account fields take an id, a USCC or CN-<province code>. Key fields take 64 hex\n"
         "characters, a base64 public key, or a key file. --id defaults to a new time-ordered id.\n"
         "--dry-run prints the transaction as JSON, validated, without signing or sending it.\n"
         "Every --key signs (several keys for two-person approval).\n");
}

static int resolve_cb(void *ctx, const char *ref, uint64_t *id) {
  return qctl_resolve_account(ctx, ref, id);
}

int qctl_cmd_tx(struct qctl *q, const char *cmd, int argc, char **argv) {
  unsigned type = tx_type_of(cmd);
  struct qopts o;
  static const char *const bools[] = {"dry-run", NULL};
  int rc = qopts_parse(&o, argc, argv, bools);
  if (rc) return rc;
  if (qopts_has(&o, "help")) {
    tx_help(cmd, type);
    return QCTL_EXIT_OK;
  }
  bool dry = q->dry_run || qopts_has(&o, "dry-run");
  if (o.npos) {
    fprintf(stderr, "quotactl %s: unexpected argument '%s' (flags are --name value)\n", cmd,
            o.pos[0]);
    return QCTL_EXIT_USAGE;
  }
  if (q->nkeys == 0 && !dry) {
    fprintf(stderr, "quotactl %s: a transaction needs at least one --key to sign it\n", cmd);
    return QCTL_EXIT_USAGE;
  }
  rc = qctl_load_keys(q);
  if (rc) return rc;
  uint8_t id[PROTO_ID_BYTES];
  const char *id_hex = qopts_get(&o, "id");
  rc = id_hex ? qctl_id_from_hex(id_hex, id) : qctl_id_time_ordered(id);
  if (rc) return rc < 0 ? QCTL_EXIT_IO : rc;
  char err[512];
  json_t *obj = NULL;
  rc = qbuild_tx_json(type, &o, id, "--", resolve_cb, q, &obj, err, sizeof(err));
  if (rc) {
    if (err[0]) fprintf(stderr, "quotactl %s: %s\n", cmd, err);
    if (rc == QCTL_EXIT_USAGE) fprintf(stderr, "(see quotactl %s --help)\n", cmd);
    return rc;
  }
  struct proto_tx tx;
  const char *where = NULL;
  int prc = proto_tx_from_json(obj, &tx, &where);
  json_decref(obj);
  if (prc) {
    fprintf(stderr, "quotactl %s: %s%s%s: %s\n", cmd, proto_err_name(prc), where ? " in --" : "",
            where ? where : "", proto_err_message(prc));
    return QCTL_EXIT_USAGE;
  }
  /* settlements are sent as version 2: their legs beside the body, committed by a salted root */
  if (tx.type == PROTO_TX_SETTLE && (rc = qctl_settle_seal(q, &tx, NULL))) {
    proto_tx_free(&tx);
    return rc;
  }
  if (dry) {
    /* what would be signed, in FORMAT.md's JSON form, after proto's own validation */
    json_t *j = proto_tx_to_json(&tx);
    json_dumpf(j, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(j);
    proto_tx_free(&tx);
    return QCTL_EXIT_OK;
  }
  rc = qctl_submit_one(q, &tx);
  proto_tx_free(&tx);
  return rc;
}
