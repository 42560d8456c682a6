/* The on-disk record layouts of the ledger's state databases, written and read field by field.
 * A record that fails its checks on read is CORRUPT (writes then stop), never an assertion.
 *
 * All integers big-endian. Every record starts with a version byte (1). docs/STORAGE.md repeats
 * these tables with the keys.
 *
 * Account (DB_ACCOUNTS, key: u64 id)        Balance (DB_BALANCES, key: u64 account || code[16])
 *   off size meaning                          off size meaning
 *     0  1   version                            0  1   version
 *     1  1   kind (1..4)                        1  8   registry position (frozen included)
 *     2  1   province                           9  8   trading position
 *     3  1   sector                            17  8   frozen (<= registry)
 *     4  1   threshold (1..8)                 = 25
 *     5  1   flags: bit 0 closed, others 0
 *     6  8   index of the opening entry       Instrument (DB_INSTRUMENTS, key: code[16])
 *    14  8   deduction outstanding              0  1   version
 *    22 18   USCC, or 18 zero bytes             1  1   kind (1 CEA, 2 CCER)
 *    40  2   name length n (1..256)             2  2   vintage
 *    42  n   name (UTF-8)                       4  2   first compliance year
 *                                               6  2   last compliance year
 * Key (DB_KEYS, key: SHA-256 of public key)     8  8   cap
 *     0  1   version                           16  8   issued
 *     1 32   raw public key                    24  8   surrendered (sink)
 *    33  1   role (1..5)                       32  8   cancelled (sink)
 *    34  8   scope                             40  8   carried over (out of this vintage)
 *    42  1   flags: bit 0 revoked              48  8   index of the creating entry
 *    43  8   index of the registering entry  = 56
 *    51  8   index of the revoking entry (0)
 *    59  2   name length n (1..256)         Year (DB_YEARS, key: u16 year)
 *    61  n   name                              0 1 version, 1 8 deadline ms, 9 8 index; = 17
 *
 * Compliance (DB_COMPLIANCE, key: u64 account || u16 year)
 *   0 1 version, 1 8 verified emissions, 9 8 CEA surrendered, 17 8 CCER surrendered,
 *   25 8 completion time ms (0: not complete), 33 8 index of the latest emissions entry; = 41
 * Tx id (DB_TXIDS, key: id[16]): 0 1 version, 1 32 body hash, 33 8 entry index; = 41
 */
#include <string.h>

#include "ledger/internal.h"

#define OK_AMOUNT(v) ((v) <= PROTO_AMOUNT_MAX)

void rec_code_key(const char *code, uint8_t out[PROTO_INSTRUMENT_BYTES]) {
  memset(out, 0, PROTO_INSTRUMENT_BYTES);
  size_t n = strnlen(code, PROTO_INSTRUMENT_BYTES);
  memcpy(out, code, n);
}

void rec_code_from_key(const uint8_t key[PROTO_INSTRUMENT_BYTES], char *code) {
  memcpy(code, key, PROTO_INSTRUMENT_BYTES);
  code[PROTO_INSTRUMENT_BYTES] = '\0';
}

void rec_balance_key(uint64_t account, const char *code, uint8_t out[24]) {
  be64_put(out, account);
  rec_code_key(code, out + 8);
}

void rec_compliance_key(uint64_t account, uint16_t year, uint8_t out[10]) {
  be64_put(out, account);
  be16_put(out + 8, year);
}

/* Names are NUL-terminated in memory and length-prefixed on disk; the bytes must hold no NUL. */
static int name_decode(const uint8_t *in, size_t n, char *out) {
  if (n == 0 || n > PROTO_NAME_BYTES_MAX || memchr(in, 0, n) != NULL) return PROTO_E_CORRUPT;
  memcpy(out, in, n);
  out[n] = '\0';
  return 0;
}

/* The USCC alphabet (GB 32100-2015: digits and capitals without I, O, S, V, Z) as a table:
 * this runs on every read of an account, twice per settlement leg. */
static const bool uscc_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['T'] = 1, ['U'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
};

static int uscc_decode(const uint8_t *in, char *out) {
  static const uint8_t zero[PROTO_USCC_BYTES];
  if (memcmp(in, zero, PROTO_USCC_BYTES) == 0) {
    out[0] = '\0';
    return 0;
  }
  /* The alphabet only: the check character was verified when the account was opened. */
  for (size_t i = 0; i < PROTO_USCC_BYTES; i++)
    if (!uscc_char[in[i]]) return PROTO_E_CORRUPT;
  memcpy(out, in, PROTO_USCC_BYTES);
  out[PROTO_USCC_BYTES] = '\0';
  return 0;
}

/* Each encoder asserts what its decoder checks: a record the writer puts is one the reader
 * accepts, so a CORRUPT from a decoder always means the bytes changed on disk. */
size_t rec_account_encode(const struct ledger_account *a, uint8_t *out) {
  size_t n = strlen(a->name);
  PROTO_ASSERT(n >= 1 && n <= PROTO_NAME_BYTES_MAX);
  PROTO_ASSERT(a->kind >= PROTO_ACCOUNT_NATIONAL && a->kind <= PROTO_ACCOUNT_PARTICIPANT &&
               a->threshold >= 1 && a->threshold <= PROTO_THRESHOLD_MAX &&
               OK_AMOUNT(a->deduction_outstanding));
  out[0] = REC_VERSION;
  out[1] = a->kind;
  out[2] = a->province;
  out[3] = a->sector;
  out[4] = a->threshold;
  out[5] = (uint8_t)((a->closed ? 1u : 0u) | (a->at_risk ? 2u : 0u)); /* flags */
  be64_put(out + 6, a->opened_index);
  be64_put(out + 14, a->deduction_outstanding);
  memset(out + 22, 0, PROTO_USCC_BYTES);
  memcpy(out + 22, a->uscc, strnlen(a->uscc, PROTO_USCC_BYTES));
  be16_put(out + 40, (uint16_t)n);
  memcpy(out + 42, a->name, n);
  return 42 + n;
}

int rec_account_decode(uint64_t id, const uint8_t *in, size_t len, struct ledger_account *a) {
  if (len < REC_ACCOUNT_BYTES_MIN || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  size_t n = be16_get(in + 40);
  if (len != 42 + n || in[1] < PROTO_ACCOUNT_NATIONAL || in[1] > PROTO_ACCOUNT_PARTICIPANT ||
      in[4] < 1 || in[4] > PROTO_THRESHOLD_MAX || (in[5] & ~3u) != 0)
    return PROTO_E_CORRUPT;
  /* Every field is set below (no memset of the name's 257 bytes: this runs twice per leg). */
  a->uscc[0] = a->name[0] = '\0';
  a->id = id;
  a->kind = in[1];
  a->province = in[2];
  a->sector = in[3];
  a->threshold = in[4];
  a->closed = (in[5] & 1u) != 0;
  a->at_risk = (in[5] & 2u) != 0;
  a->opened_index = be64_get(in + 6);
  a->deduction_outstanding = be64_get(in + 14);
  if (!OK_AMOUNT(a->deduction_outstanding)) return PROTO_E_CORRUPT;
  int rc = uscc_decode(in + 22, a->uscc);
  if (rc == 0) rc = name_decode(in + 42, n, a->name);
  return rc;
}

void rec_balance_encode(const struct ledger_balance *b, uint8_t out[REC_BALANCE_BYTES]) {
  PROTO_ASSERT(OK_AMOUNT(b->registry) && OK_AMOUNT(b->trading));
  PROTO_ASSERT(b->frozen <= b->registry);
  out[0] = REC_VERSION;
  be64_put(out + 1, b->registry);
  be64_put(out + 9, b->trading);
  be64_put(out + 17, b->frozen);
}

int rec_balance_decode(const uint8_t *in, size_t len, struct ledger_balance *b) {
  if (len != REC_BALANCE_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  b->registry = be64_get(in + 1);
  b->trading = be64_get(in + 9);
  b->frozen = be64_get(in + 17);
  if (!OK_AMOUNT(b->registry) || !OK_AMOUNT(b->trading) || b->frozen > b->registry)
    return PROTO_E_CORRUPT;
  return 0;
}

void rec_instrument_encode(const struct ledger_instrument *in, uint64_t created_index,
                           uint8_t out[REC_INSTRUMENT_BYTES]) {
  PROTO_ASSERT(in->kind == PROTO_INSTRUMENT_CEA || in->kind == PROTO_INSTRUMENT_CCER);
  PROTO_ASSERT(OK_AMOUNT(in->cap) && in->issued <= in->cap && in->surrendered <= in->issued &&
               in->cancelled <= in->issued && in->carried_over <= in->issued &&
               in->first_year <= in->last_year);
  out[0] = REC_VERSION;
  out[1] = in->kind;
  be16_put(out + 2, in->vintage);
  be16_put(out + 4, in->first_year);
  be16_put(out + 6, in->last_year);
  be64_put(out + 8, in->cap);
  be64_put(out + 16, in->issued);
  be64_put(out + 24, in->surrendered);
  be64_put(out + 32, in->cancelled);
  be64_put(out + 40, in->carried_over);
  be64_put(out + 48, created_index);
}

int rec_instrument_decode(const uint8_t *key, const uint8_t *in, size_t len,
                          struct ledger_instrument *out) {
  if (len != REC_INSTRUMENT_BYTES || in[0] != REC_VERSION ||
      (in[1] != PROTO_INSTRUMENT_CEA && in[1] != PROTO_INSTRUMENT_CCER))
    return PROTO_E_CORRUPT;
  memset(out, 0, sizeof(*out));
  rec_code_from_key(key, out->code);
  out->kind = in[1];
  out->vintage = be16_get(in + 2);
  out->first_year = be16_get(in + 4);
  out->last_year = be16_get(in + 6);
  out->cap = be64_get(in + 8);
  out->issued = be64_get(in + 16);
  out->surrendered = be64_get(in + 24);
  out->cancelled = be64_get(in + 32);
  out->carried_over = be64_get(in + 40);
  if (!OK_AMOUNT(out->cap) || out->issued > out->cap || out->surrendered > out->issued ||
      out->cancelled > out->issued || out->carried_over > out->issued ||
      out->first_year > out->last_year)
    return PROTO_E_CORRUPT;
  return 0;
}

size_t rec_key_encode(const struct ledger_key *k, uint8_t *out) {
  size_t n = strlen(k->name);
  PROTO_ASSERT(n >= 1 && n <= PROTO_NAME_BYTES_MAX);
  PROTO_ASSERT(k->role >= PROTO_ROLE_OPERATOR && k->role <= PROTO_ROLE_AUDITOR);
  out[0] = REC_VERSION;
  memcpy(out + 1, k->public_key, PROTO_PUBKEY_BYTES);
  out[33] = k->role;
  be64_put(out + 34, k->scope);
  out[42] = k->revoked ? 1 : 0;
  be64_put(out + 43, k->registered_index);
  be64_put(out + 51, k->revoked_index);
  be16_put(out + 59, (uint16_t)n);
  memcpy(out + 61, k->name, n);
  return 61 + n;
}

int rec_key_decode(const uint8_t *hash, const uint8_t *in, size_t len, struct ledger_key *k) {
  if (len < REC_KEY_BYTES_MIN || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  size_t n = be16_get(in + 59);
  if (len != 61 + n || in[33] < PROTO_ROLE_OPERATOR || in[33] > PROTO_ROLE_AUDITOR ||
      (in[42] & ~1u) != 0)
    return PROTO_E_CORRUPT;
  memset(k, 0, sizeof(*k));
  memcpy(k->hash, hash, PROTO_HASH_BYTES);
  memcpy(k->public_key, in + 1, PROTO_PUBKEY_BYTES);
  k->role = in[33];
  k->scope = be64_get(in + 34);
  k->revoked = (in[42] & 1u) != 0;
  k->registered_index = be64_get(in + 43);
  k->revoked_index = be64_get(in + 51);
  return name_decode(in + 61, n, k->name);
}

void rec_year_encode(const struct rec_year *y, uint8_t out[REC_YEAR_BYTES]) {
  PROTO_ASSERT(y->deadline_ms > 0); /* a year exists only with the deadline that opened it */
  out[0] = REC_VERSION;
  be64_put(out + 1, y->deadline_ms);
  be64_put(out + 9, y->index);
}

int rec_year_decode(const uint8_t *in, size_t len, struct rec_year *y) {
  if (len != REC_YEAR_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  y->deadline_ms = be64_get(in + 1);
  y->index = be64_get(in + 9);
  if (y->deadline_ms == 0) return PROTO_E_CORRUPT; /* what rec_year_encode asserts */
  return 0;
}

void rec_compliance_encode(const struct rec_compliance *c, uint8_t out[REC_COMPLIANCE_BYTES]) {
  PROTO_ASSERT(OK_AMOUNT(c->emissions) && OK_AMOUNT(c->cea) && OK_AMOUNT(c->ccer));
  out[0] = REC_VERSION;
  be64_put(out + 1, c->emissions);
  be64_put(out + 9, c->cea);
  be64_put(out + 17, c->ccer);
  be64_put(out + 25, c->completed_ms);
  be64_put(out + 33, c->emissions_index);
}

int rec_compliance_decode(const uint8_t *in, size_t len, struct rec_compliance *c) {
  if (len != REC_COMPLIANCE_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  c->emissions = be64_get(in + 1);
  c->cea = be64_get(in + 9);
  c->ccer = be64_get(in + 17);
  c->completed_ms = be64_get(in + 25);
  c->emissions_index = be64_get(in + 33);
  if (!OK_AMOUNT(c->emissions) || !OK_AMOUNT(c->cea) || !OK_AMOUNT(c->ccer))
    return PROTO_E_CORRUPT;
  return 0;
}

void rec_txid_encode(const struct rec_txid *t, uint8_t out[REC_TXID_BYTES]) {
  out[0] = REC_VERSION;
  memcpy(out + 1, t->body_hash, PROTO_HASH_BYTES);
  be64_put(out + 33, t->index);
}

int rec_txid_decode(const uint8_t *in, size_t len, struct rec_txid *t) {
  if (len != REC_TXID_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  memcpy(t->body_hash, in + 1, PROTO_HASH_BYTES);
  t->index = be64_get(in + 33);
  return 0;
}
