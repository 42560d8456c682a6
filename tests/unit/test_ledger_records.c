/* The on-disk record codecs: each layout round-trips, and bytes that break a record's checks
 * decode as CORRUPT (never an assertion), both ways of every boundary. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "ledger/internal.h"

static struct ledger_account sample_account(void) {
  struct ledger_account a;
  memset(&a, 0, sizeof(a));
  a.id = 1001;
  a.kind = PROTO_ACCOUNT_ENTERPRISE;
  a.province = 44;
  a.sector = PROTO_SECTOR_STEEL;
  a.threshold = 2;
  a.closed = true;
  a.at_risk = true;
  a.opened_index = 77;
  a.deduction_outstanding = PROTO_AMOUNT_MAX;
  memcpy(a.uscc, "91350100M000100Y43", 18);
  memset(a.name, 'n', PROTO_NAME_BYTES_MAX); /* the longest name */
  return a;
}

Test(records, account_round_trips_at_its_limits) {
  struct ledger_account a = sample_account(), back;
  uint8_t buf[REC_ACCOUNT_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  size_t n = rec_account_encode(&a, buf);
  cr_assert_eq(n, sizeof(buf));
  cr_assert_eq(rec_account_decode(a.id, buf, n, &back), 0);
  cr_assert_eq(back.id, a.id);
  cr_assert_eq(back.kind, a.kind);
  cr_assert_eq(back.province, a.province);
  cr_assert_eq(back.sector, a.sector);
  cr_assert_eq(back.threshold, a.threshold);
  cr_assert_eq(back.closed, a.closed);
  cr_assert_eq(back.at_risk, a.at_risk);
  cr_assert_eq(back.opened_index, a.opened_index);
  cr_assert_eq(back.deduction_outstanding, a.deduction_outstanding);
  cr_assert_str_eq(back.uscc, a.uscc);
  cr_assert_str_eq(back.name, a.name);
}

Test(records, account_corruptions_are_refused) {
  struct ledger_account a = sample_account(), back;
  uint8_t buf[REC_ACCOUNT_BYTES_MIN + PROTO_NAME_BYTES_MAX], bad[sizeof(buf)];
  size_t n = rec_account_encode(&a, buf);
  struct {
    size_t off;
    uint8_t val;
  } flips[] = {{0, 2}, {1, 0}, {1, 5}, {4, 0}, {4, 9}, {5, 4}, {14, 0x01}, {22, 'I'}, {22, 0}};
  for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
    memcpy(bad, buf, n);
    bad[flips[i].off] = flips[i].val;
    cr_assert_eq(rec_account_decode(a.id, bad, n, &back), PROTO_E_CORRUPT, "flip %zu", i);
  }
  cr_assert_eq(rec_account_decode(a.id, buf, n - 1, &back), PROTO_E_CORRUPT);
  memcpy(bad, buf, n);
  bad[42 + 10] = 0; /* a NUL inside the name */
  cr_assert_eq(rec_account_decode(a.id, bad, n, &back), PROTO_E_CORRUPT);
}

Test(records, balance_frozen_may_equal_registry_but_not_exceed_it) {
  struct ledger_balance b = {.registry = 10, .trading = PROTO_AMOUNT_MAX, .frozen = 10}, back;
  uint8_t buf[REC_BALANCE_BYTES];
  rec_balance_encode(&b, buf);
  cr_assert_eq(rec_balance_decode(buf, sizeof(buf), &back), 0);
  cr_assert_eq(back.frozen, 10);
  cr_assert_eq(back.trading, PROTO_AMOUNT_MAX);
  /* Bytes changed on disk: the encoder would never write them (it asserts), the decoder says
   * CORRUPT. */
  be64_put(buf + 17, 11); /* frozen 11 > registry 10 */
  cr_assert_eq(rec_balance_decode(buf, sizeof(buf), &back), PROTO_E_CORRUPT);
  be64_put(buf + 17, 0);
  be64_put(buf + 9, PROTO_AMOUNT_MAX + 1); /* trading */
  cr_assert_eq(rec_balance_decode(buf, sizeof(buf), &back), PROTO_E_CORRUPT);
}

/* The pair across the disk boundary: what the decoder calls corrupt, the encoder refuses to
 * write, in every build. */
Test(records, balance_encoder_asserts_frozen_within_registry, .signal = SIGABRT) {
  struct ledger_balance b = {.registry = 10, .frozen = 11};
  uint8_t buf[REC_BALANCE_BYTES];
  rec_balance_encode(&b, buf);
}

Test(records, instrument_encoder_asserts_issued_within_cap, .signal = SIGABRT) {
  struct ledger_instrument in;
  memset(&in, 0, sizeof(in));
  in.kind = PROTO_INSTRUMENT_CEA;
  in.cap = 100;
  in.issued = 101;
  uint8_t buf[REC_INSTRUMENT_BYTES];
  rec_instrument_encode(&in, 5, buf);
}

Test(records, account_encoder_asserts_a_known_kind, .signal = SIGABRT) {
  struct ledger_account a = sample_account();
  a.kind = 9;
  uint8_t buf[REC_ACCOUNT_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  rec_account_encode(&a, buf);
}

Test(records, instrument_sums_stay_within_issued_and_cap) {
  struct ledger_instrument in, back;
  memset(&in, 0, sizeof(in));
  memcpy(in.code, "CEA-2025", 8);
  in.kind = PROTO_INSTRUMENT_CEA;
  in.vintage = 2025;
  in.first_year = 2025;
  in.last_year = 2026;
  in.cap = 100;
  in.issued = 100;
  in.surrendered = 40;
  in.cancelled = 30;
  in.carried_over = 30;
  uint8_t key[PROTO_INSTRUMENT_BYTES], buf[REC_INSTRUMENT_BYTES];
  rec_code_key(in.code, key);
  rec_instrument_encode(&in, 5, buf);
  cr_assert_eq(rec_instrument_decode(key, buf, sizeof(buf), &back), 0);
  cr_assert_str_eq(back.code, in.code);
  cr_assert_eq(back.kind, in.kind);
  cr_assert_eq(back.vintage, in.vintage);
  cr_assert_eq(back.first_year, in.first_year);
  cr_assert_eq(back.last_year, in.last_year);
  cr_assert_eq(back.cap, in.cap);
  cr_assert_eq(back.issued, in.issued);
  cr_assert_eq(back.surrendered, in.surrendered);
  cr_assert_eq(back.cancelled, in.cancelled);
  cr_assert_eq(back.carried_over, in.carried_over);
  be64_put(buf + 16, 101); /* issued above the cap */
  cr_assert_eq(rec_instrument_decode(key, buf, sizeof(buf), &back), PROTO_E_CORRUPT);
  be64_put(buf + 16, 100);
  be16_put(buf + 4, 2027); /* first year after the last */
  cr_assert_eq(rec_instrument_decode(key, buf, sizeof(buf), &back), PROTO_E_CORRUPT);
}

Test(records, key_compliance_txid_round_trip_and_refuse_bad_lengths) {
  struct ledger_key k, kb;
  memset(&k, 0, sizeof(k));
  memset(k.hash, 7, sizeof(k.hash));
  memset(k.public_key, 9, sizeof(k.public_key));
  k.role = PROTO_ROLE_REPRESENTATIVE;
  k.scope = 1001;
  k.revoked = true;
  k.registered_index = 3;
  k.revoked_index = 9;
  memcpy(k.name, "rep", 3);
  uint8_t buf[REC_KEY_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  size_t n = rec_key_encode(&k, buf);
  cr_assert_eq(rec_key_decode(k.hash, buf, n, &kb), 0);
  cr_assert(memcmp(kb.hash, k.hash, sizeof(k.hash)) == 0);
  cr_assert(memcmp(kb.public_key, k.public_key, sizeof(k.public_key)) == 0);
  cr_assert_eq(kb.role, k.role);
  cr_assert_eq(kb.scope, k.scope);
  cr_assert_eq(kb.revoked, k.revoked);
  cr_assert_eq(kb.registered_index, k.registered_index);
  cr_assert_eq(kb.revoked_index, k.revoked_index);
  cr_assert_str_eq(kb.name, k.name);
  buf[33] = 6; /* no such role */
  cr_assert_eq(rec_key_decode(k.hash, buf, n, &kb), PROTO_E_CORRUPT);
  struct rec_compliance c = {.emissions = 5, .cea = 4, .ccer = 1, .completed_ms = 8}, cb;
  uint8_t cbuf[REC_COMPLIANCE_BYTES];
  rec_compliance_encode(&c, cbuf);
  cr_assert_eq(rec_compliance_decode(cbuf, sizeof(cbuf), &cb), 0);
  cr_assert_eq(cb.completed_ms, 8);
  cr_assert_eq(rec_compliance_decode(cbuf, sizeof(cbuf) - 1, &cb), PROTO_E_CORRUPT);
  struct rec_txid t = {.index = 42}, tb;
  memset(t.body_hash, 3, sizeof(t.body_hash));
  uint8_t tbuf[REC_TXID_BYTES];
  rec_txid_encode(&t, tbuf);
  cr_assert_eq(rec_txid_decode(tbuf, sizeof(tbuf), &tb), 0);
  cr_assert_eq(tb.index, 42);
  tbuf[0] = 0;
  cr_assert_eq(rec_txid_decode(tbuf, sizeof(tbuf), &tb), PROTO_E_CORRUPT);
}

/* Found by fuzz_records (tests/fuzz/regressions/fuzz_records/year-without-deadline): a year record
 * with deadline 0 decoded, then its re-encoding hit the encoder's assertion. The decoder refuses
 * what the encoder asserts. */
Test(records, a_year_without_a_deadline_is_corrupt) {
  struct rec_year y = {.deadline_ms = 1798732799999, .index = 7}, back;
  uint8_t buf[REC_YEAR_BYTES];
  rec_year_encode(&y, buf);
  cr_assert_eq(rec_year_decode(buf, sizeof buf, &back), 0);
  cr_assert_eq(back.deadline_ms, y.deadline_ms);
  memset(buf + 1, 0, 8);
  cr_assert_eq(rec_year_decode(buf, sizeof buf, &back), PROTO_E_CORRUPT);
}
