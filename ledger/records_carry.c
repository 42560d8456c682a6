/* The record layouts of carry-over rules, running net sales (DB_CARRY) and deductions
 * (DB_DEDUCT), written and read field by field; bad bytes are CORRUPT, never an assertion.
 *
 * All integers big-endian; every value starts with a version byte (1). docs/STORAGE.md repeats
 * these tables.
 *
 * Net sales (DB_CARRY, key: 'n' || u64 account || u16 vintage || u64 commit time ms; 19 bytes)
 *   0 1 version, 1 8 tonnes out (sold or transferred away), 9 8 tonnes in; = 17
 *   One record per account, CEA vintage and commit time: the transfers and settlement legs of
 *   that vintage the account took part in at that time. Sums saturate at 2^64 - 1.
 * Carry-over rule (DB_CARRY, key: 'r' || rule id[16], the id of its entry; 17 bytes)
 *   0 1 version, 1 8 index of the rule entry, 9 2 first vintage, 11 2 last vintage (>= first),
 *   13 16 target instrument, 29 8 window start ms, 37 8 window end ms (>= start), 45 8 base
 *   tonnes (<= 2^53 - 1), 53 8 factor in thousandths (<= 10^6), 61 1 sectors (bits 1..4, not 0);
 *   = 62. The legal reference stays in the entry.
 * A rule exists (DB_CARRY, key: 'R'; 1 byte): 0 1 version, 1 8 index of the first rule; = 9
 * Deduction (DB_DEDUCT, key: u64 account || u16 year || u8 kind (1 shortfall, 2 fraud); 11 bytes)
 *   0 1 version, 1 8 amount (shortfall: 1..2^53 - 1; fraud: 0), 9 1 percent (fraud: 50..100;
 *   shortfall: 0), 10 8 index of the deduct entry; = 18
 */
#include <string.h>

#include "ledger/internal.h"

void rec_sales_key(uint64_t account, uint16_t vintage, uint64_t time_ms,
                   uint8_t out[REC_SALES_KEY_BYTES]) {
  out[0] = REC_SALES_TAG;
  be64_put(out + 1, account);
  be16_put(out + 9, vintage);
  be64_put(out + 11, time_ms);
}

void rec_sales_encode(const struct rec_sales *s, uint8_t out[REC_SALES_BYTES]) {
  out[0] = REC_VERSION;
  be64_put(out + 1, s->out);
  be64_put(out + 9, s->in);
}

int rec_sales_decode(const uint8_t *in, size_t len, struct rec_sales *s) {
  if (len != REC_SALES_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  s->out = be64_get(in + 1);
  s->in = be64_get(in + 9);
  return 0;
}

void rec_carry_rule_key(const uint8_t id[PROTO_ID_BYTES], uint8_t out[REC_CARRY_RULE_KEY_BYTES]) {
  out[0] = REC_CARRY_RULE_TAG;
  memcpy(out + 1, id, PROTO_ID_BYTES);
}

void rec_carry_rule_encode(const struct rec_carry_rule *r, uint8_t out[REC_CARRY_RULE_BYTES]) {
  const struct proto_carry_over_rule *p = &r->rule;
  PROTO_ASSERT(p->vintage_from <= p->vintage_to && p->window_start_ms <= p->window_end_ms);
  PROTO_ASSERT(p->base <= PROTO_AMOUNT_MAX && p->factor_milli <= PROTO_CARRY_FACTOR_MILLI_MAX);
  out[0] = REC_VERSION;
  be64_put(out + 1, r->index);
  be16_put(out + 9, p->vintage_from);
  be16_put(out + 11, p->vintage_to);
  rec_code_key(p->to_instrument, out + 13);
  be64_put(out + 29, p->window_start_ms);
  be64_put(out + 37, p->window_end_ms);
  be64_put(out + 45, p->base);
  be64_put(out + 53, p->factor_milli);
  out[61] = p->sectors;
}

int rec_carry_rule_decode(const uint8_t *in, size_t len, struct rec_carry_rule *r) {
  if (len != REC_CARRY_RULE_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  memset(r, 0, sizeof(*r));
  struct proto_carry_over_rule *p = &r->rule;
  r->index = be64_get(in + 1);
  p->vintage_from = be16_get(in + 9);
  p->vintage_to = be16_get(in + 11);
  rec_code_from_key(in + 13, p->to_instrument);
  p->window_start_ms = be64_get(in + 29);
  p->window_end_ms = be64_get(in + 37);
  p->base = be64_get(in + 45);
  p->factor_milli = be64_get(in + 53);
  p->sectors = in[61];
  bool ok = p->vintage_from <= p->vintage_to && p->window_start_ms <= p->window_end_ms &&
            p->base <= PROTO_AMOUNT_MAX && p->factor_milli <= PROTO_CARRY_FACTOR_MILLI_MAX &&
            p->sectors != 0 && (p->sectors & ~PROTO_CARRY_SECTORS_ALL) == 0;
  return ok ? 0 : PROTO_E_CORRUPT;
}

void rec_deduction_key(uint64_t account, uint16_t year, uint8_t kind,
                       uint8_t out[REC_DEDUCTION_KEY_BYTES]) {
  be64_put(out, account);
  be16_put(out + 8, year);
  out[10] = kind;
}

void rec_deduction_encode(const struct rec_deduction *d, uint8_t out[REC_DEDUCTION_BYTES]) {
  PROTO_ASSERT(d->amount <= PROTO_AMOUNT_MAX && d->percent <= 100u);
  out[0] = REC_VERSION;
  be64_put(out + 1, d->amount);
  out[9] = d->percent;
  be64_put(out + 10, d->index);
}

int rec_deduction_decode(const uint8_t *in, size_t len, uint8_t kind, struct rec_deduction *d) {
  if (len != REC_DEDUCTION_BYTES || in[0] != REC_VERSION) return PROTO_E_CORRUPT;
  d->amount = be64_get(in + 1);
  d->percent = in[9];
  d->index = be64_get(in + 10);
  bool shortfall = kind == PROTO_DEDUCT_SHORTFALL && d->amount >= 1 &&
                   d->amount <= PROTO_AMOUNT_MAX && d->percent == 0;
  bool fraud = kind == PROTO_DEDUCT_FRAUD && d->amount == 0 &&
               d->percent >= PROTO_FRAUD_PERCENT_MIN && d->percent <= PROTO_FRAUD_PERCENT_MAX;
  return shortfall || fraud ? 0 : PROTO_E_CORRUPT;
}
