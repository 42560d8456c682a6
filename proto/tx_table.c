/* The field tables: each transaction type described once, in encoding order. The generic
 * encoder, decoder and JSON mapper (codec.c, json.c) walk these; FORMAT.md documents them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define AMT PROTO_AMOUNT_MAX
#define F(name_, kind_, type_, member_, min_, max_) \
  { name_, kind_, (uint16_t)offsetof(type_, member_), min_, max_, NULL, NULL }
#define E(name_, type_, member_, list_) \
  { name_, PROTO_F_ENUM, (uint16_t)offsetof(type_, member_), 0, 255, proto_##list_##_name, proto_##list_##_from_name }

static const struct proto_field genesis_fields[] = {
  F("origin", PROTO_F_ORIGIN, struct proto_genesis, origin, 1, PROTO_ORIGIN_BYTES_MAX),
  F("log_public_key", PROTO_F_BYTES32, struct proto_genesis, log_public_key, 0, 0),
  F("national_account", PROTO_F_ACCOUNT, struct proto_genesis, national_account, 1, UINT64_MAX),
  F("operator_threshold", PROTO_F_U8, struct proto_genesis, operator_threshold, 1, PROTO_THRESHOLD_MAX),
  F("operator_keys", PROTO_F_KEYS, struct proto_genesis, operator_keys_count, 1, PROTO_GENESIS_KEYS_MAX),
};

static const struct proto_field key_register_fields[] = {
  F("public_key", PROTO_F_BYTES32, struct proto_key_register, public_key, 0, 0),
  E("role", struct proto_key_register, role, role),
  F("scope", PROTO_F_U64, struct proto_key_register, scope, 0, UINT64_MAX),
  F("name", PROTO_F_TEXT, struct proto_key_register, name, 1, PROTO_NAME_BYTES_MAX),
};

static const struct proto_field key_revoke_fields[] = {
  F("key_hash", PROTO_F_BYTES32, struct proto_key_revoke, key_hash, 0, 0),
  F("reason", PROTO_F_TEXT, struct proto_key_revoke, reason, 1, PROTO_REF_BYTES_MAX),
};

static const struct proto_field account_fields[] = {
  F("account", PROTO_F_ACCOUNT, struct proto_account, account, 1, UINT64_MAX),
  E("kind", struct proto_account, kind, account_kind),
  F("province", PROTO_F_PROVINCE, struct proto_account, province, 0, 82),
  E("sector", struct proto_account, sector, sector),
  F("threshold", PROTO_F_U8, struct proto_account, threshold, 1, PROTO_THRESHOLD_MAX),
  F("uscc", PROTO_F_USCC, struct proto_account, uscc, 0, PROTO_USCC_BYTES),
  F("name", PROTO_F_TEXT, struct proto_account, name, 1, PROTO_NAME_BYTES_MAX),
  F("note", PROTO_F_TEXT, struct proto_account, note, 0, PROTO_REF_BYTES_MAX),
};

static const struct proto_field account_close_fields[] = {
  F("account", PROTO_F_ACCOUNT, struct proto_account_close, account, 1, UINT64_MAX),
  F("reason", PROTO_F_TEXT, struct proto_account_close, reason, 1, PROTO_REF_BYTES_MAX),
};

static const struct proto_field at_risk_fields[] = {
  F("account", PROTO_F_ACCOUNT, struct proto_at_risk, account, 1, UINT64_MAX),
  F("set", PROTO_F_U8, struct proto_at_risk, set, 0, 1),
  F("reason", PROTO_F_TEXT, struct proto_at_risk, reason, 1, PROTO_REF_BYTES_MAX),
};

static const struct proto_field instrument_fields[] = {
  F("code", PROTO_F_INSTRUMENT, struct proto_instrument_create, code, 1, PROTO_INSTRUMENT_BYTES),
  E("kind", struct proto_instrument_create, kind, instrument_kind),
  F("vintage", PROTO_F_YEAR, struct proto_instrument_create, vintage, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("cap", PROTO_F_AMOUNT, struct proto_instrument_create, cap, 1, AMT),
  F("first_year", PROTO_F_YEAR, struct proto_instrument_create, first_year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("last_year", PROTO_F_YEAR, struct proto_instrument_create, last_year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
};

static const struct proto_field compliance_year_fields[] = {
  F("year", PROTO_F_YEAR, struct proto_compliance_year, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("deadline_ms", PROTO_F_U64, struct proto_compliance_year, deadline_ms, 1, UINT64_MAX),
};

#define MV struct proto_movement
#define ISSUE_V1                                                              \
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES), \
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT)
static const struct proto_field issue_fields[] = {ISSUE_V1};
/* Version 2: CCER is issued straight to the project owner's holding account, never allocated. */
static const struct proto_field issue_v2_fields[] = {ISSUE_V1,
                                                     F("to", PROTO_F_ACCOUNT, MV, to, 1, UINT64_MAX)};

/* Fields a later version repeats are written once, as a list both tables expand: a version 2
 * table is its version 1 list, then what version 2 adds. */
#define ALLOCATE_V1                                                           \
  F("from", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),                        \
  F("to", PROTO_F_ACCOUNT, MV, to, 1, UINT64_MAX),                            \
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES), \
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),                            \
  F("year", PROTO_F_YEAR, MV, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),          \
  E("kind", MV, kind, alloc_kind)
#define CLAWBACK_V1                                                           \
  F("from", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),                        \
  F("to", PROTO_F_ACCOUNT, MV, to, 1, UINT64_MAX),                            \
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES), \
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),                            \
  F("reason", PROTO_F_TEXT, MV, ref, 1, PROTO_REF_BYTES_MAX)
/* The table row an allocation or claw-back version 2 is held to (national -> provincial: 0, 0). */
#define TABLE_ROW(table_min_)                                                 \
  F("table", PROTO_F_U64, MV, table, table_min_, UINT64_MAX),                 \
  F("row", PROTO_F_U64, MV, row, 0, PROTO_TABLE_ROWS_TOTAL_MAX - 1)

static const struct proto_field allocate_fields[] = {ALLOCATE_V1};
static const struct proto_field clawback_fields[] = {CLAWBACK_V1};
static const struct proto_field allocate_v2_fields[] = {ALLOCATE_V1, TABLE_ROW(0)};
static const struct proto_field clawback_v2_fields[] = {CLAWBACK_V1, TABLE_ROW(1)};

static const struct proto_field transfer_fields[] = {
  F("from", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),
  F("to", PROTO_F_ACCOUNT, MV, to, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),
};

/* kind: the position the units move to (registry or trading). */
static const struct proto_field position_move_fields[] = {
  F("account", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),
  E("to_position", MV, kind, position),
};

static const struct proto_field settle_fields[] = {
  F("ref", PROTO_F_TEXT, struct proto_settle, ref, 1, PROTO_REF_BYTES_MAX),
  F("legs", PROTO_F_LEGS, struct proto_settle, legs_count, 1, PROTO_LEGS_MAX),
};

/* Version 2: the legs travel beside the body; it signs their count and their root. */
static const struct proto_field settle_v2_fields[] = {
  F("ref", PROTO_F_TEXT, struct proto_settle, ref, 1, PROTO_REF_BYTES_MAX),
  F("legs_count", PROTO_F_LEG_COUNT, struct proto_settle, legs_count, 1, PROTO_LEGS_MAX),
  F("legs_root", PROTO_F_BYTES32, struct proto_settle, legs_root, 0, 0),
};

/* freeze and unfreeze: `from` is the account whose registry-position units are (un)frozen. */
static const struct proto_field freeze_fields[] = {
  F("account", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),
  F("legal_ref", PROTO_F_TEXT, MV, ref, 1, PROTO_REF_BYTES_MAX),
};

/* Version 2: a freeze order. Its id is the transaction's id; positions says which positions it
 * binds; expiry_ms 0 means it binds until lifted. */
#define FZ struct proto_freeze
static const struct proto_field freeze_v2_fields[] = {
  F("account", PROTO_F_ACCOUNT, FZ, account, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, FZ, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, FZ, amount, 1, AMT),
  E("positions", FZ, positions, cover),
  F("expiry_ms", PROTO_F_U64, FZ, expiry_ms, 0, UINT64_MAX),
  F("legal_ref", PROTO_F_TEXT, FZ, ref, 1, PROTO_REF_BYTES_MAX),
};

/* Version 2: lifts amount of one order of the account, named by its id. */
static const struct proto_field unfreeze_v2_fields[] = {
  F("account", PROTO_F_ACCOUNT, FZ, account, 1, UINT64_MAX),
  F("order", PROTO_F_ID, FZ, order, 0, 0),
  F("amount", PROTO_F_AMOUNT, FZ, amount, 1, AMT),
  F("legal_ref", PROTO_F_TEXT, FZ, ref, 1, PROTO_REF_BYTES_MAX),
};

#define VE struct proto_verified_emissions
#define EMISSIONS_V1                                                          \
  F("account", PROTO_F_ACCOUNT, VE, account, 1, UINT64_MAX),                  \
  F("year", PROTO_F_YEAR, VE, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),          \
  F("emissions", PROTO_F_AMOUNT, VE, emissions, 0, AMT),                      \
  F("ref", PROTO_F_TEXT, VE, ref, 0, PROTO_REF_BYTES_MAX)
static const struct proto_field emissions_fields[] = {EMISSIONS_V1};
/* Version 2: a re-determination that raises the obligation after the deadline gives the
 * enterprise its own deadline (0: none). */
static const struct proto_field emissions_v2_fields[] = {
  EMISSIONS_V1, F("deadline_ms", PROTO_F_U64, VE, deadline_ms, 0, UINT64_MAX)};

static const struct proto_field surrender_fields[] = {
  F("account", PROTO_F_ACCOUNT, struct proto_surrender, account, 1, UINT64_MAX),
  F("from", PROTO_F_ACCOUNT, struct proto_surrender, from, 1, UINT64_MAX),
  F("year", PROTO_F_YEAR, struct proto_surrender, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("instrument", PROTO_F_INSTRUMENT, struct proto_surrender, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, struct proto_surrender, amount, 1, AMT),
};

static const struct proto_field cancel_fields[] = {
  F("account", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, MV, instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),
  F("reason", PROTO_F_TEXT, MV, ref, 0, PROTO_REF_BYTES_MAX),
};

#define CO struct proto_carry_over
#define CARRY_OVER_MOVE                                                       \
  F("from_instrument", PROTO_F_INSTRUMENT, CO, from_instrument, 1, PROTO_INSTRUMENT_BYTES), \
  F("to_instrument", PROTO_F_INSTRUMENT, CO, to_instrument, 1, PROTO_INSTRUMENT_BYTES), \
  F("amount", PROTO_F_AMOUNT, CO, amount, 1, AMT),                            \
  F("cap", PROTO_F_AMOUNT, CO, cap, 0, AMT),                                  \
  F("net_sales", PROTO_F_AMOUNT, CO, net_sales, 0, AMT)
static const struct proto_field carry_over_fields[] = {
  F("account", PROTO_F_ACCOUNT, CO, account, 1, UINT64_MAX),
  CARRY_OVER_MOVE,
  F("window_start_ms", PROTO_F_U64, CO, window_start_ms, 0, UINT64_MAX),
  F("window_end_ms", PROTO_F_U64, CO, window_end_ms, 0, UINT64_MAX),
};

/* Version 2: cites the carry-over rule entry (its transaction id); the window, vintages, base
 * and factor are the rule's, and the ledger computes NS and the cap itself. */
static const struct proto_field carry_over_v2_fields[] = {
  F("account", PROTO_F_ACCOUNT, CO, account, 1, UINT64_MAX),
  F("rule", PROTO_F_ID, CO, rule, 0, 0),
  CARRY_OVER_MOVE,
};

#define CR struct proto_carry_over_rule
/* sectors: bit s for sector s (1..4), at least one. factor_milli: the factor in thousandths. */
static const struct proto_field carry_over_rule_fields[] = {
  F("vintage_from", PROTO_F_YEAR, CR, vintage_from, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("vintage_to", PROTO_F_YEAR, CR, vintage_to, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("to_instrument", PROTO_F_INSTRUMENT, CR, to_instrument, 1, PROTO_INSTRUMENT_BYTES),
  F("window_start_ms", PROTO_F_U64, CR, window_start_ms, 0, UINT64_MAX),
  F("window_end_ms", PROTO_F_U64, CR, window_end_ms, 0, UINT64_MAX),
  F("base", PROTO_F_AMOUNT, CR, base, 0, AMT),
  F("factor_milli", PROTO_F_U64, CR, factor_milli, 0, PROTO_CARRY_FACTOR_MILLI_MAX),
  F("sectors", PROTO_F_U8, CR, sectors, 1, PROTO_CARRY_SECTORS_ALL),
  F("ref", PROTO_F_TEXT, CR, ref, 1, PROTO_REF_BYTES_MAX),
};

/* deduct: `from` is the enterprise; `year` the compliance year whose failure it answers. */
#define DEDUCT_ACCOUNT F("account", PROTO_F_ACCOUNT, MV, from, 1, UINT64_MAX)
static const struct proto_field deduct_fields[] = {
  DEDUCT_ACCOUNT,
  F("amount", PROTO_F_AMOUNT, MV, amount, 1, AMT),
  F("year", PROTO_F_YEAR, MV, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("reason", PROTO_F_TEXT, MV, ref, 1, PROTO_REF_BYTES_MAX),
};

/* Version 2: a kind. shortfall: `amount` of the overdue shortfall of `year` (percent 0); fraud:
 * `percent` (50..100) of the allocations of `year` (amount 0), with its legal reference. */
static const struct proto_field deduct_v2_fields[] = {
  DEDUCT_ACCOUNT,
  E("kind", MV, kind, deduct_kind),
  F("year", PROTO_F_YEAR, MV, year, PROTO_YEAR_MIN, PROTO_YEAR_MAX),
  F("amount", PROTO_F_AMOUNT, MV, amount, 0, AMT),
  F("percent", PROTO_F_U8, MV, percent, 0, 100),
  F("legal_ref", PROTO_F_TEXT, MV, ref, 1, PROTO_REF_BYTES_MAX),
};

#define TO struct proto_alloc_table_open
static const struct proto_field table_open_fields[] = {
  F("table", PROTO_F_U64, TO, table, 1, UINT64_MAX),
  F("instrument", PROTO_F_INSTRUMENT, TO, instrument, 1, PROTO_INSTRUMENT_BYTES),
  E("phase", TO, phase, table_phase),
  E("status", TO, status, scheme_status),
  E("bp_kind", TO, bp_kind, bp_kind),
  F("bp", PROTO_F_TEXT, TO, bp, 0, PROTO_BP_BYTES_MAX),
  F("rows_count", PROTO_F_U64, TO, rows_count, 1, PROTO_TABLE_ROWS_TOTAL_MAX),
  F("rows_hash", PROTO_F_BYTES32, TO, rows_hash, 0, 0),
  F("scheme", PROTO_F_DOC, TO, scheme, 1, PROTO_SCHEME_BYTES_MAX),
};

static const struct proto_field table_rows_fields[] = {
  F("table", PROTO_F_U64, struct proto_alloc_table_rows, table, 1, UINT64_MAX),
  F("first_row", PROTO_F_U64, struct proto_alloc_table_rows, first_row, 0,
    PROTO_TABLE_ROWS_TOTAL_MAX - 1),
  F("rows", PROTO_F_ROWS, struct proto_alloc_table_rows, rows_count, 1, PROTO_TABLE_ROWS_MAX),
};

static const struct proto_field table_close_fields[] = {
  F("table", PROTO_F_U64, struct proto_alloc_table_close, table, 1, UINT64_MAX),
  E("action", struct proto_alloc_table_close, action, table_action),
  F("reason", PROTO_F_TEXT, struct proto_alloc_table_close, reason, 0, PROTO_REF_BYTES_MAX),
};

/* A type's layouts by body version (index 1..PROTO_BODY_VERSION_MAX); NULL where a type has no
 * such version. Every old version stays here: old entries must still decode. */
struct type_entry {
  const char *name;
  const struct proto_field *fields[PROTO_BODY_VERSION_MAX + 1];
  size_t count[PROTO_BODY_VERSION_MAX + 1];
};

#define N(fields_) (sizeof(fields_) / sizeof((fields_)[0]))
#define T(name_, fields_) { name_, {NULL, fields_}, {0, N(fields_)} }
#define T2(name_, v1_, v2_) { name_, {NULL, v1_, v2_}, {0, N(v1_), N(v2_)} }
static const struct type_entry types[PROTO_TX_TYPE_MAX + 1] = {
  [PROTO_TX_GENESIS] = T("genesis", genesis_fields),
  [PROTO_TX_KEY_REGISTER] = T("key_register", key_register_fields),
  [PROTO_TX_KEY_REVOKE] = T("key_revoke", key_revoke_fields),
  [PROTO_TX_ACCOUNT_OPEN] = T("account_open", account_fields),
  [PROTO_TX_ACCOUNT_UPDATE] = T("account_update", account_fields),
  [PROTO_TX_ACCOUNT_CLOSE] = T("account_close", account_close_fields),
  [PROTO_TX_INSTRUMENT_CREATE] = T("instrument_create", instrument_fields),
  [PROTO_TX_COMPLIANCE_YEAR] = T("compliance_year", compliance_year_fields),
  [PROTO_TX_ISSUE] = T2("issue", issue_fields, issue_v2_fields),
  [PROTO_TX_ALLOCATE] = T2("allocate", allocate_fields, allocate_v2_fields),
  [PROTO_TX_CLAWBACK] = T2("clawback", clawback_fields, clawback_v2_fields),
  [PROTO_TX_TRANSFER] = T("transfer", transfer_fields),
  [PROTO_TX_POSITION_MOVE] = T("position_move", position_move_fields),
  [PROTO_TX_SETTLE] = T2("settle", settle_fields, settle_v2_fields),
  [PROTO_TX_FREEZE] = T2("freeze", freeze_fields, freeze_v2_fields),
  [PROTO_TX_UNFREEZE] = T2("unfreeze", freeze_fields, unfreeze_v2_fields),
  [PROTO_TX_VERIFIED_EMISSIONS] = T2("verified_emissions", emissions_fields, emissions_v2_fields),
  [PROTO_TX_SURRENDER] = T("surrender", surrender_fields),
  [PROTO_TX_CANCEL] = T("cancel", cancel_fields),
  [PROTO_TX_CARRY_OVER] = T2("carry_over", carry_over_fields, carry_over_v2_fields),
  [PROTO_TX_DEDUCT] = T2("deduct", deduct_fields, deduct_v2_fields),
  [PROTO_TX_ALLOC_TABLE_OPEN] = T("alloc_table_open", table_open_fields),
  [PROTO_TX_ALLOC_TABLE_ROWS] = T("alloc_table_rows", table_rows_fields),
  [PROTO_TX_ALLOC_TABLE_CLOSE] = T("alloc_table_close", table_close_fields),
  [PROTO_TX_ACCOUNT_REOPEN] = T("account_reopen", account_close_fields),
  [PROTO_TX_AT_RISK] = T("at_risk", at_risk_fields),
  [PROTO_TX_CARRY_OVER_RULE] = T("carry_over_rule", carry_over_rule_fields),
};

const struct proto_field *proto_tx_fields_version(unsigned type, unsigned version, size_t *count) {
  if (type < PROTO_TX_TYPE_MIN || type > PROTO_TX_TYPE_MAX) return NULL;
  if (version == 0) version = 1;
  if (version > PROTO_BODY_VERSION_MAX || !types[type].fields[version]) return NULL;
  if (count) *count = types[type].count[version];
  return types[type].fields[version];
}

const struct proto_field *proto_tx_fields(unsigned type, size_t *count) {
  return proto_tx_fields_version(type, 1, count);
}

unsigned proto_tx_version(const struct proto_tx *tx) { return tx->version ? tx->version : 1u; }

/* Every number 1..PROTO_TX_TYPE_MAX is a type; a gap (a reserved number) would have no name. */
static bool known(unsigned type) {
  return type >= PROTO_TX_TYPE_MIN && type <= PROTO_TX_TYPE_MAX && types[type].name != NULL;
}

const char *proto_tx_type_name(unsigned type) {
  return known(type) ? types[type].name : NULL;
}

unsigned proto_tx_type_from_name(const char *name) {
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    if (known(t) && strcmp(types[t].name, name) == 0) return t;
  }
  return 0;
}

unsigned proto_tx_version_current(unsigned type) {
  if (type < PROTO_TX_TYPE_MIN || type > PROTO_TX_TYPE_MAX) return 0;
  unsigned v = PROTO_BODY_VERSION_MAX;
  while (v > 1 && !types[type].fields[v]) v--;
  PROTO_ASSERT(types[type].fields[v] != NULL);
  return v;
}

bool proto_tx_version_accepted(unsigned type, unsigned version) {
  if (version == 0 || version > PROTO_BODY_VERSION_MAX) return false;
  if (type == 0) { /* any type: whether the version byte can be valid at all */
    for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++)
      if (types[t].fields[version]) return true;
    return false;
  }
  if (type < PROTO_TX_TYPE_MIN || type > PROTO_TX_TYPE_MAX) return false;
  return types[type].fields[version] != NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The accounts a transaction names
 * ------------------------------------------------------------------------------------------- */
static int account_cmp(const void *a, const void *b) {
  uint64_t x, y;
  memcpy(&x, a, sizeof x);
  memcpy(&y, b, sizeof y);
  return x < y ? -1 : x > y;
}

/* Most transactions name one to three accounts: an insertion sort there, qsort only for the
 * long lists of settlements (up to 2,002). */
static void accounts_sort(uint64_t *a, size_t n) {
  if (n > 16) {
    qsort(a, n, sizeof(*a), account_cmp);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    uint64_t v = a[i];
    size_t k = i;
    for (; k > 0 && a[k - 1] > v; k--) a[k] = a[k - 1];
    a[k] = v;
  }
}

static size_t accounts_collect(const struct proto_tx *tx, uint64_t national, uint64_t *all) {
  size_t count = 0, n = 0;
  const struct proto_field *f = proto_tx_fields_version(tx->type, tx->version, &count);
  const char *base = (const char *)&tx->u;
  for (size_t i = 0; f && i < count; i++) {
    if (f[i].kind == PROTO_F_ACCOUNT) memcpy(&all[n++], base + f[i].offset, sizeof(uint64_t));
  }
  /* A settle's legs: in a version 1 body, or attached beside a version 2 one (else none). */
  for (unsigned l = 0; tx->type == PROTO_TX_SETTLE && tx->u.settle.legs && l < tx->u.settle.legs_count &&
                       l < PROTO_LEGS_MAX; l++) {
    all[n++] = tx->u.settle.legs[l].from;
    all[n++] = tx->u.settle.legs[l].to;
  }
  if (tx->type == PROTO_TX_KEY_REGISTER && tx->u.key_register.role == PROTO_ROLE_REPRESENTATIVE)
    all[n++] = tx->u.key_register.scope; /* a representative key names its account in its scope */
  /* Issuance version 1 credits the national account; version 2 the owner it names. */
  if (tx->type == PROTO_TX_ISSUE && proto_tx_version(tx) == 1) all[n++] = national;
  PROTO_ASSERT(n <= PROTO_TX_ACCOUNTS_MAX);
  return n;
}

size_t proto_tx_accounts(const struct proto_tx *tx, uint64_t national, uint64_t *out, size_t cap) {
  PROTO_ASSERT(tx != NULL && (out != NULL || cap == 0));
  uint64_t all[PROTO_TX_ACCOUNTS_MAX];
  size_t n = accounts_collect(tx, national, all);
  accounts_sort(all, n);
  size_t kept = 0;
  for (size_t i = 0; i < n && kept < cap; i++) {
    if (all[i] == 0 || (i > 0 && all[i] == all[i - 1])) continue;
    out[kept++] = all[i];
  }
  return kept;
}
