/* Valid sample transactions of every type, shared by the proto tests, the vector generator and
 * the fuzz seeds. Variant 0 is typical, 1 holds every limit at its maximum, 2 at its minimum,
 * 3 is variant 1 with every u64 above 2^63 - 1 moved down by 2^63, so that JSON can carry it. */
#ifndef QUOTAD_TESTS_PROTO_SAMPLES_H
#define QUOTAD_TESTS_PROTO_SAMPLES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define SAMPLE_VARIANTS 4u /* 3: variant 1 with u64 values moved below 2^63 (JSON's limit) */
#define SAMPLE_USCC_A "91350100M000100Y43"
#define SAMPLE_USCC_B "91110000802100433B"

/* Fills dst (room for n + 1 bytes) with exactly n bytes of UTF-8: 3-byte CJK characters, then
 * ASCII to make up the rest, so limits are reached with multi-byte text. */
static inline void sample_text(char *dst, size_t n) {
  static const char cjk[] = "\xE7\xA2\xB3"; /* U+78B3 carbon */
  char text[PROTO_REF_BYTES_MAX + 1];
  size_t i = 0;
  if (n > PROTO_REF_BYTES_MAX) abort();
  for (; i + 3 <= n; i += 3) memcpy(text + i, cjk, 3);
  memset(text + i, 'x', n - i);
  text[n] = '\0';
  /* copied whole because GCC mistakes which union member dst is when it follows the loop */
  memcpy(dst, text, n + 1);
}

static inline void sample_bytes(uint8_t *dst, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(seed + 31u * i);
}

static inline void sample_instrument(char *dst, unsigned variant) {
  strcpy(dst, variant == 1 ? "CCER-2025-ABCDEF" : variant == 2 ? "C" : "CEA-2025");
}

/* A scheme text of exactly n bytes (lines of text, then padding on a comment line). */
static inline char *sample_scheme(size_t n) {
  static const char head[] = "[scheme]\nname = steel-2025\nstatus = final\n; ";
  char *s = malloc(n + 1);
  if (!s) abort();
  size_t h = sizeof(head) - 1 < n ? sizeof(head) - 1 : n;
  memcpy(s, head, h);
  memset(s + h, 'x', n - h);
  s[n] = '\0';
  return s;
}

static inline void sample_row(struct proto_alloc_row *r, unsigned v, size_t i) {
  memset(r, 0, sizeof(*r));
  strcpy(r->uscc, i % 2 ? SAMPLE_USCC_B : SAMPLE_USCC_A);
  if (v == 1) {
    memset(r->unit, 'U', PROTO_UNIT_BYTES_MAX);
    for (size_t k = 0, x = i; k < 4; k++, x /= 10) r->unit[PROTO_UNIT_BYTES_MAX - 1 - k] = (char)('0' + x % 10);
    r->unit[PROTO_UNIT_BYTES_MAX] = '\0';
  } else {
    snprintf(r->unit, sizeof(r->unit), v == 2 ? "%zu" : "BF%zu", i);
  }
  r->sector = (uint8_t)(v == 1 ? PROTO_SECTOR_POWER : PROTO_SECTOR_STEEL);
  r->category = (uint8_t)(v == 1 ? 4 : 0);
  r->present = (uint8_t)(v == 2 ? 0 : PROTO_ROW_EMISSIONS | PROTO_ROW_PREV);
  r->confidential = (uint8_t)(v == 1 ? PROTO_ROW_INPUTS_ALL : v == 0 ? PROTO_ROW_OUTPUT : 0);
  r->flags = (uint16_t)(v == 1 ? PROTO_ROW_FLAGS_ALL : 0);
  uint64_t big = v == 1 ? (uint64_t)INT64_MAX : 0;
  r->emissions_e6 = v == 2 ? 0 : v == 1 ? big : UINT64_C(1000000000000);
  r->output_e6 = v == 1 ? big : v == 2 ? 0 : UINT64_C(657894736842);
  r->prev_emissions_e6 = v == 1 ? big : v == 2 ? 0 : UINT64_C(950000000000);
  r->supplied_mwh_e6 = r->heat_gj_e6 = r->load_pct_e6 = r->carbide_slag_e6 = big;
  if (r->confidential) sample_bytes(r->salt, PROTO_SALT_BYTES, (uint8_t)(40 + i));
  r->pre = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 665000;
  r->quota = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 1012331;
}

static inline void sample_table(struct proto_tx *tx, unsigned v) {
  if (tx->type == PROTO_TX_ALLOC_TABLE_OPEN) {
    struct proto_alloc_table_open *t = &tx->u.table_open;
    t->table = v == 1 ? UINT64_MAX : v == 2 ? 1 : 202501;
    sample_instrument(t->instrument, v);
    t->phase = (uint8_t)(v == 2 ? PROTO_PHASE_PRE : PROTO_PHASE_FINAL);
    t->status = (uint8_t)(v == 1 ? PROTO_SCHEME_DRAFT : PROTO_SCHEME_FINAL);
    t->bp_kind = (uint8_t)(v == 1 ? PROTO_BP_SOLVED : v == 2 ? PROTO_BP_NONE : PROTO_BP_PUBLISHED);
    if (v == 1) strcpy(t->bp, "123456789012345678901.123456789012345678");
    else if (v == 0) strcpy(t->bp, "1.6");
    t->rows_count = v == 1 ? PROTO_TABLE_ROWS_TOTAL_MAX : v == 2 ? 1 : 232;
    sample_bytes(t->rows_hash, PROTO_HASH_BYTES, 77);
    t->scheme = sample_scheme(v == 1 ? PROTO_SCHEME_BYTES_MAX : v == 2 ? 1 : 300);
  } else if (tx->type == PROTO_TX_ALLOC_TABLE_ROWS) {
    struct proto_alloc_table_rows *t = &tx->u.table_rows;
    t->table = v == 1 ? UINT64_MAX : v == 2 ? 1 : 202501;
    t->rows_count = (uint16_t)(v == 1 ? PROTO_TABLE_ROWS_MAX : v == 2 ? 1 : 3);
    t->first_row = v == 1 ? PROTO_TABLE_ROWS_TOTAL_MAX - PROTO_TABLE_ROWS_MAX : v == 2 ? 0 : 400;
    t->rows = calloc(t->rows_count, sizeof(*t->rows));
    if (!t->rows) abort();
    for (size_t i = 0; i < t->rows_count; i++) sample_row(&t->rows[i], v, i);
  } else {
    struct proto_alloc_table_close *t = &tx->u.table_close;
    t->table = v == 1 ? UINT64_MAX : v == 2 ? 1 : 202501;
    t->action = (uint8_t)(v == 1 ? PROTO_TABLE_ABANDON : PROTO_TABLE_CLOSE);
    if (v == 1) sample_text(t->reason, PROTO_REF_BYTES_MAX);
    else if (v == 0) strcpy(t->reason, "all 232 rows published");
  }
}

static inline void sample_genesis(struct proto_genesis *g, unsigned v) {
  if (v == 1) memset(g->origin, '~', PROTO_ORIGIN_BYTES_MAX);
  else strcpy(g->origin, v == 2 ? "q" : "registry.cets.example/quotad");
  sample_bytes(g->log_public_key, PROTO_PUBKEY_BYTES, 7);
  g->national_account = v == 1 ? UINT64_MAX : 1;
  g->operator_threshold = (uint8_t)(v == 1 ? PROTO_THRESHOLD_MAX : 1);
  g->operator_keys_count = (uint8_t)(v == 1 ? PROTO_GENESIS_KEYS_MAX : v == 2 ? 1 : 3);
  for (unsigned k = 0; k < g->operator_keys_count; k++)
    sample_bytes(g->operator_keys[k], PROTO_PUBKEY_BYTES, (uint8_t)(100 + k));
}

static inline void sample_account(struct proto_account *a, unsigned v) {
  a->account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
  a->kind = (uint8_t)(v == 1 ? PROTO_ACCOUNT_ENTERPRISE
                             : v == 2 ? PROTO_ACCOUNT_PARTICIPANT : PROTO_ACCOUNT_ENTERPRISE);
  a->province = (uint8_t)(v == 1 ? 82 : v == 2 ? 0 : 35);
  a->sector = (uint8_t)(v == 2 ? PROTO_SECTOR_NONE : v == 1 ? PROTO_SECTOR_ALUMINIUM
                                                            : PROTO_SECTOR_POWER);
  a->threshold = (uint8_t)(v == 1 ? PROTO_THRESHOLD_MAX : 1);
  if (v != 2) strcpy(a->uscc, v == 1 ? SAMPLE_USCC_B : SAMPLE_USCC_A);
  if (v == 1) {
    sample_text(a->name, PROTO_NAME_BYTES_MAX);
    sample_text(a->note, PROTO_REF_BYTES_MAX);
  } else {
    strcpy(a->name, v == 2 ? "p" : "Fujian Power Co.");
  }
}

static inline void sample_move(struct proto_movement *m, unsigned v) {
  m->from = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
  m->to = v == 1 ? UINT64_MAX - 1 : v == 2 ? 2 : 2002;
  sample_instrument(m->instrument, v);
  m->amount = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 1 : 125000;
  m->year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
  if (v == 1) sample_text(m->ref, PROTO_REF_BYTES_MAX);
  else strcpy(m->ref, v == 2 ? "r" : "MEE notice 2025/12");
}

static inline void sample_settle(struct proto_settle *s, unsigned v) {
  s->legs_count = (uint16_t)(v == 1 ? PROTO_LEGS_MAX : v == 2 ? 1 : 3);
  s->legs = calloc(s->legs_count, sizeof(*s->legs));
  if (!s->legs) abort();
  for (unsigned i = 0; i < s->legs_count; i++) {
    s->legs[i].from = 1000 + i;
    s->legs[i].to = v == 1 ? UINT64_MAX - i : 5000 + i;
    sample_instrument(s->legs[i].instrument, v);
    s->legs[i].amount = v == 1 ? PROTO_AMOUNT_MAX - i : 1 + 10u * i;
  }
  if (v == 1) sample_text(s->ref, PROTO_REF_BYTES_MAX);
  else strcpy(s->ref, v == 2 ? "b" : "SEEE batch 2025-11-25/1");
}

static inline void sample_type_fields(struct proto_tx *tx, unsigned v) {
  switch (tx->type) {
  case PROTO_TX_GENESIS: sample_genesis(&tx->u.genesis, v); break;
  case PROTO_TX_KEY_REGISTER:
    sample_bytes(tx->u.key_register.public_key, PROTO_PUBKEY_BYTES, 42);
    tx->u.key_register.role = (uint8_t)(v == 1 ? PROTO_ROLE_AUDITOR : PROTO_ROLE_AUTHORITY);
    tx->u.key_register.scope = v == 1 ? UINT64_MAX : v == 2 ? 0 : 35;
    if (v == 1) sample_text(tx->u.key_register.name, PROTO_NAME_BYTES_MAX);
    else strcpy(tx->u.key_register.name, v == 2 ? "k" : "Fujian DEE key 1");
    break;
  case PROTO_TX_KEY_REVOKE:
    sample_bytes(tx->u.key_revoke.key_hash, PROTO_HASH_BYTES, 9);
    if (v == 1) sample_text(tx->u.key_revoke.reason, PROTO_REF_BYTES_MAX);
    else strcpy(tx->u.key_revoke.reason, v == 2 ? "x" : "staff left");
    break;
  case PROTO_TX_ACCOUNT_OPEN:
  case PROTO_TX_ACCOUNT_UPDATE: sample_account(&tx->u.account, v); break;
  case PROTO_TX_ACCOUNT_CLOSE:
  case PROTO_TX_ACCOUNT_REOPEN:
    tx->u.account_close.account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
    if (v == 1) sample_text(tx->u.account_close.reason, PROTO_REF_BYTES_MAX);
    else strcpy(tx->u.account_close.reason, v == 2 ? "c" : "plant decommissioned");
    break;
  case PROTO_TX_AT_RISK:
    tx->u.at_risk.account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
    tx->u.at_risk.set = (uint8_t)(v == 2 ? 0 : 1);
    if (v == 1) sample_text(tx->u.at_risk.reason, PROTO_REF_BYTES_MAX);
    else strcpy(tx->u.at_risk.reason, v == 2 ? "a" : "closed down in 2025");
    break;
  case PROTO_TX_INSTRUMENT_CREATE:
    sample_instrument(tx->u.instrument.code, v);
    tx->u.instrument.kind = (uint8_t)(v == 1 ? PROTO_INSTRUMENT_CCER : PROTO_INSTRUMENT_CEA);
    tx->u.instrument.vintage = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
    tx->u.instrument.cap = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 1 : 4500000000u;
    tx->u.instrument.first_year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
    tx->u.instrument.last_year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2026);
    break;
  case PROTO_TX_COMPLIANCE_YEAR:
    tx->u.compliance_year.year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
    tx->u.compliance_year.deadline_ms = v == 1 ? UINT64_MAX : v == 2 ? 1 : UINT64_C(1798732800000);
    break;
  case PROTO_TX_SETTLE: sample_settle(&tx->u.settle, v); break;
  case PROTO_TX_VERIFIED_EMISSIONS:
    tx->u.emissions.account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
    tx->u.emissions.year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
    tx->u.emissions.emissions = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 3400000;
    if (v == 1) sample_text(tx->u.emissions.ref, PROTO_REF_BYTES_MAX);
    else if (v == 0) strcpy(tx->u.emissions.ref, "verification report FJ-2025-0042");
    break;
  case PROTO_TX_SURRENDER:
    tx->u.surrender.account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
    tx->u.surrender.from = v == 1 ? UINT64_MAX - 1 : v == 2 ? 1 : 1001;
    tx->u.surrender.year = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2025);
    sample_instrument(tx->u.surrender.instrument, v);
    tx->u.surrender.amount = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 1 : 3400000;
    break;
  case PROTO_TX_CARRY_OVER: {
    struct proto_carry_over *c = &tx->u.carry_over;
    c->account = v == 1 ? UINT64_MAX : v == 2 ? 1 : 1001;
    strcpy(c->from_instrument, v == 1 ? "CEA-2019-2020-AB" : v == 2 ? "A" : "CEA-2024");
    sample_instrument(c->to_instrument, v);
    c->amount = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 1 : 20000;
    c->cap = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 25000;
    c->net_sales = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 10000;
    c->window_start_ms = v == 1 ? UINT64_MAX : v == 2 ? 0 : UINT64_C(1735660800000);
    c->window_end_ms = v == 1 ? UINT64_MAX : v == 2 ? 0 : UINT64_C(1767196800000);
    break;
  }
  case PROTO_TX_ALLOC_TABLE_OPEN:
  case PROTO_TX_ALLOC_TABLE_ROWS:
  case PROTO_TX_ALLOC_TABLE_CLOSE: sample_table(tx, v); break;
  case PROTO_TX_CARRY_OVER_RULE: {
    struct proto_carry_over_rule *r = &tx->u.carry_over_rule;
    r->vintage_from = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2019);
    r->vintage_to = (uint16_t)(v == 1 ? PROTO_YEAR_MAX : v == 2 ? PROTO_YEAR_MIN : 2024);
    sample_instrument(r->to_instrument, v);
    r->window_start_ms = v == 1 ? UINT64_MAX : v == 2 ? 0 : UINT64_C(1704038400000);
    r->window_end_ms = v == 1 ? UINT64_MAX : v == 2 ? 0 : UINT64_C(1767196800000);
    r->base = v == 1 ? PROTO_AMOUNT_MAX : v == 2 ? 0 : 10000;
    r->factor_milli = v == 1 ? PROTO_CARRY_FACTOR_MILLI_MAX : v == 2 ? 0 : 1500;
    r->sectors = (uint8_t)(v == 1 ? PROTO_CARRY_SECTORS_ALL : 1u << PROTO_SECTOR_POWER);
    if (v == 1) sample_text(r->ref, PROTO_REF_BYTES_MAX);
    else strcpy(r->ref, v == 2 ? "s" : "power allocation scheme 2023-2024");
    break;
  }
  default: /* the movement shape */
    sample_move(&tx->u.move, v);
    /* allocate and clawback: variants 0 and 1 are version 2, citing a table row */
    if (tx->type == PROTO_TX_ISSUE && v == 1) tx->version = 2; /* CCER to its project owner */
    if ((tx->type == PROTO_TX_ALLOCATE || tx->type == PROTO_TX_CLAWBACK) && v != 2) {
      tx->version = 2;
      tx->u.move.table = v == 1 ? UINT64_MAX : 202501;
      tx->u.move.row = v == 1 ? PROTO_TABLE_ROWS_TOTAL_MAX - 1 : 17;
    }
    if (tx->type == PROTO_TX_ALLOCATE)
      tx->u.move.kind = (uint8_t)(v == 1 ? PROTO_ALLOC_SUPPLEMENT : PROTO_ALLOC_PRE);
    if (tx->type == PROTO_TX_POSITION_MOVE)
      tx->u.move.kind = (uint8_t)(v == 1 ? PROTO_POSITION_TRADING : PROTO_POSITION_REGISTRY);
    break;
  }
}

/* Fields a type's table does not list must stay zero, or the decoded struct would differ. */
static inline void sample_clear_unused(struct proto_tx *tx) {
  struct proto_movement *m = &tx->u.move;
  switch (tx->type) {
  case PROTO_TX_ISSUE: m->from = 0, m->to = tx->version == 2 ? m->to : 0, m->year = 0, m->kind = 0, memset(m->ref, 0, sizeof(m->ref)); break;
  case PROTO_TX_ALLOCATE: memset(m->ref, 0, sizeof(m->ref)); break;
  case PROTO_TX_CLAWBACK:
  case PROTO_TX_TRANSFER:
    m->year = 0, m->kind = 0;
    if (tx->type == PROTO_TX_TRANSFER) memset(m->ref, 0, sizeof(m->ref));
    break;
  case PROTO_TX_POSITION_MOVE: m->to = 0, m->year = 0, memset(m->ref, 0, sizeof(m->ref)); break;
  case PROTO_TX_FREEZE:
  case PROTO_TX_UNFREEZE:
  case PROTO_TX_CANCEL: m->to = 0, m->year = 0, m->kind = 0; break;
  case PROTO_TX_DEDUCT: m->to = 0, m->kind = 0, memset(m->instrument, 0, sizeof(m->instrument)); break;
  default: break;
  }
}

static inline uint64_t sample_below_2_63(uint64_t v) {
  return v > INT64_MAX ? v - (UINT64_C(1) << 63) : v;
}

/* Shifting keeps distinct values distinct and ordered, so the cross-field rules still hold. */
static inline void sample_json_safe(struct proto_tx *tx) {
  size_t count = 0;
  const struct proto_field *fields = proto_tx_fields_version(tx->type, tx->version ? tx->version : 1u, &count);
  for (size_t i = 0; i < count; i++) {
    if (fields[i].kind != PROTO_F_U64 && fields[i].kind != PROTO_F_ACCOUNT) continue;
    uint64_t v;
    memcpy(&v, (uint8_t *)&tx->u + fields[i].offset, sizeof(v));
    v = sample_below_2_63(v);
    memcpy((uint8_t *)&tx->u + fields[i].offset, &v, sizeof(v));
  }
  if (tx->type != PROTO_TX_SETTLE) return;
  for (size_t i = 0; i < tx->u.settle.legs_count; i++) {
    tx->u.settle.legs[i].from = sample_below_2_63(tx->u.settle.legs[i].from);
    tx->u.settle.legs[i].to = sample_below_2_63(tx->u.settle.legs[i].to);
  }
}

/* A valid transaction of the type; the caller frees it with proto_tx_free. */
static inline void sample_tx(unsigned type, unsigned variant, struct proto_tx *tx) {
  memset(tx, 0, sizeof(*tx));
  tx->type = (uint8_t)type;
  for (unsigned i = 0; i < PROTO_ID_BYTES; i++) tx->id[i] = (uint8_t)(type * 16 + i + variant * 97);
  sample_type_fields(tx, variant == 3 ? 1 : variant);
  sample_clear_unused(tx);
  /* an optional text left empty */
  if (type == PROTO_TX_CANCEL && variant == 2) memset(tx->u.move.ref, 0, sizeof(tx->u.move.ref));
  if (variant == 3) sample_json_safe(tx);
}

/* Field-by-field equality over the type's table (what the encoding carries), plus type and id. */
static inline bool sample_tx_equal(const struct proto_tx *a, const struct proto_tx *b) {
  if (a->type != b->type || memcmp(a->id, b->id, PROTO_ID_BYTES) != 0) return false;
  if ((a->version ? a->version : 1) != (b->version ? b->version : 1)) return false;
  size_t count = 0;
  const struct proto_field *fields =
      proto_tx_fields_version(a->type, a->version ? a->version : 1u, &count);
  for (size_t i = 0; fields && i < count; i++) {
    const uint8_t *x = (const uint8_t *)&a->u + fields[i].offset;
    const uint8_t *y = (const uint8_t *)&b->u + fields[i].offset;
    switch (fields[i].kind) {
    case PROTO_F_U8: case PROTO_F_ENUM: case PROTO_F_PROVINCE:
      if (*x != *y) return false;
      break;
    case PROTO_F_U16: case PROTO_F_YEAR:
      if (memcmp(x, y, sizeof(uint16_t)) != 0) return false;
      break;
    case PROTO_F_U64: case PROTO_F_AMOUNT: case PROTO_F_ACCOUNT:
      if (memcmp(x, y, sizeof(uint64_t)) != 0) return false;
      break;
    case PROTO_F_BYTES32:
      if (memcmp(x, y, PROTO_HASH_BYTES) != 0) return false;
      break;
    case PROTO_F_KEYS:
      if (a->u.genesis.operator_keys_count != b->u.genesis.operator_keys_count ||
          memcmp(a->u.genesis.operator_keys, b->u.genesis.operator_keys,
                 sizeof(a->u.genesis.operator_keys)) != 0)
        return false;
      break;
    case PROTO_F_LEGS:
      if (a->u.settle.legs_count != b->u.settle.legs_count) return false;
      for (size_t k = 0; k < a->u.settle.legs_count; k++) {
        const struct proto_leg *p = &a->u.settle.legs[k], *q = &b->u.settle.legs[k];
        if (p->from != q->from || p->to != q->to || p->amount != q->amount ||
            strcmp(p->instrument, q->instrument) != 0)
          return false;
      }
      break;
    case PROTO_F_DOC:
      if (strcmp(a->u.table_open.scheme, b->u.table_open.scheme) != 0) return false;
      break;
    case PROTO_F_ROWS:
      if (a->u.table_rows.rows_count != b->u.table_rows.rows_count) return false;
      for (size_t k = 0; k < a->u.table_rows.rows_count; k++) {
        uint8_t p[PROTO_ROW_BYTES_MAX], q[PROTO_ROW_BYTES_MAX];
        long n = proto_alloc_row_encode(&a->u.table_rows.rows[k], p, sizeof(p));
        long m = proto_alloc_row_encode(&b->u.table_rows.rows[k], q, sizeof(q));
        if (n < 0 || n != m || memcmp(p, q, (size_t)n) != 0) return false;
      }
      break;
    default: /* text kinds: NUL-terminated strings */
      if (strcmp((const char *)x, (const char *)y) != 0) return false;
    }
  }
  return true;
}

#endif
