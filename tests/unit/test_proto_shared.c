/* Tests of the pieces proto/ gives every other library: the one UTF-8 decoder, the
 * read-signature message, the accounts a transaction names, the per-type body versions and
 * PROTO_ASSERT, which no NDEBUG switches off. */
#define NDEBUG 1 /* PROTO_ASSERT must stay on regardless */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"
#include "tests/common/proto_samples.h"

static size_t next(const char *bytes, size_t n, uint32_t *cp) {
  return proto_utf8_next((const uint8_t *)bytes, n, cp);
}

Test(utf8, decodes_each_length_to_its_scalar_value) {
  uint32_t cp = 0;
  cr_assert_eq(next("A", 1, &cp), 1);
  cr_assert_eq(cp, 0x41);
  cr_assert_eq(next("\xc3\xa9", 2, &cp), 2);
  cr_assert_eq(cp, 0xE9);
  cr_assert_eq(next("\xe2\x80\x94", 3, &cp), 3); /* the em dash of signed notes */
  cr_assert_eq(cp, 0x2014);
  cr_assert_eq(next("\xf4\x8f\xbf\xbf", 4, &cp), 4);
  cr_assert_eq(cp, 0x10FFFF);
}

Test(utf8, refuses_overlong_surrogate_out_of_range_and_cut_sequences) {
  uint32_t cp = 0;
  cr_assert_eq(next("\xc0\x80", 2, &cp), 0, "overlong NUL");
  cr_assert_eq(next("\xe0\x80\xaf", 3, &cp), 0, "overlong /");
  cr_assert_eq(next("\xed\xa0\x80", 3, &cp), 0, "surrogate U+D800");
  cr_assert_eq(next("\xf4\x90\x80\x80", 4, &cp), 0, "above U+10FFFF");
  cr_assert_eq(next("\xf8\x88\x80\x80\x80", 5, &cp), 0, "five-byte form");
  cr_assert_eq(next("\x80", 1, &cp), 0, "lone continuation byte");
  cr_assert_eq(next("\xe2\x80", 2, &cp), 0, "cut short");
  cr_assert_eq(next("\xe2\x28\xa1", 3, &cp), 0, "bad continuation");
  cr_assert_eq(next("", 0, &cp), 0, "nothing to read");
}

/* Both users of the decoder keep their own character rules: transaction text allows letters
 * beyond ASCII but refuses C1 and bidi controls (text_control), signed notes their own set. */
Test(utf8, text_fields_and_notes_keep_their_own_rules) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_KEY_REVOKE, 0, &tx);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "x\xc3\xa9y");
  cr_assert_eq(proto_tx_validate(&tx), 0, "U+00E9 is allowed in text");
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "x\xc2\x85y");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_TEXT_CONTROL, "U+0085, a C1 control, is not");
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "x\xc0\x80y");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_TEXT);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "x\x7fy");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_TEXT);
}

Test(read_message, is_the_documented_bytes) {
  uint8_t msg[256];
  long n = proto_read_message("reg.example/quotad", "GET", "/v1/entries?start=0&limit=10",
                              1764000000, msg, sizeof(msg));
  const char *want = "quotad/read/v1\nreg.example/quotad\nGET\n/v1/entries?start=0&limit=10\n1764000000";
  cr_assert_eq(n, 77); /* proto/FORMAT.md's example */
  cr_assert_eq(n, (long)strlen(want));
  cr_assert(memcmp(msg, want, (size_t)n) == 0);
}

Test(read_message, refuses_parts_that_could_make_two_requests_share_a_message) {
  uint8_t msg[256];
  cr_assert_eq(proto_read_message("", "GET", "/v1/log", 1, msg, sizeof(msg)), 29,
               "an origin not known yet is empty");
  cr_assert_eq(proto_read_message("o", "", "/v1/log", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("o", "GET\n", "/v1/log", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message(NULL, "GET", "/v1/log", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("o", "GET", "", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("o", "GET", "/v1/log", 1, msg, 20), PROTO_E_FIELD_TOO_LONG);
}

Test(tx_accounts, an_issue_names_the_national_account) {
  struct proto_tx tx = {.type = PROTO_TX_ISSUE};
  uint64_t ids[4];
  cr_assert_eq(proto_tx_accounts(&tx, 7, ids, 4), 1);
  cr_assert_eq(ids[0], 7);
  cr_assert_eq(proto_tx_accounts(&tx, 0, ids, 4), 0, "unknown national: none");
}

Test(tx_accounts, are_sorted_distinct_and_never_past_cap) {
  struct proto_leg legs[4] = {{.from = 9, .to = 3, .amount = 1}, {.from = 3, .to = 5, .amount = 1},
                              {.from = 9, .to = 5, .amount = 1}, {.from = 1, .to = 9, .amount = 1}};
  struct proto_tx tx = {.type = PROTO_TX_SETTLE};
  tx.u.settle.legs_count = 4;
  tx.u.settle.legs = legs;
  uint64_t ids[8];
  cr_assert_eq(proto_tx_accounts(&tx, 77, ids, 8), 4, "the national account is for issues only");
  cr_assert(ids[0] == 1 && ids[1] == 3 && ids[2] == 5 && ids[3] == 9);
  cr_assert_eq(proto_tx_accounts(&tx, 0, ids, 2), 2);
  cr_assert(ids[0] == 1 && ids[1] == 3);
}

Test(tx_accounts, a_surrender_names_the_enterprise_and_the_payer) {
  struct proto_tx tx = {.type = PROTO_TX_SURRENDER};
  tx.u.surrender.account = 1001;
  tx.u.surrender.from = 44;
  uint64_t ids[4];
  cr_assert_eq(proto_tx_accounts(&tx, 1, ids, 4), 2);
  cr_assert(ids[0] == 44 && ids[1] == 1001);
}

/* Version 2 layouts: settle (legs beside it), issue (CCER to its owner), allocate and clawback
 * (citing an allocation table row), freeze and unfreeze (orders), verified emissions (an own
 * deadline). */
static bool has_version_2(unsigned t) {
  return t == PROTO_TX_SETTLE || t == PROTO_TX_ISSUE || t == PROTO_TX_ALLOCATE ||
         t == PROTO_TX_CLAWBACK || t == PROTO_TX_FREEZE || t == PROTO_TX_UNFREEZE ||
         t == PROTO_TX_VERIFIED_EMISSIONS || t == PROTO_TX_CARRY_OVER || t == PROTO_TX_DEDUCT;
}

Test(versions, nine_types_are_at_version_2_every_other_type_at_1_and_old_versions_stay) {
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    unsigned want = has_version_2(t) ? 2 : 1;
    cr_assert_eq(proto_tx_version_current(t), want, "type %u", t);
    cr_assert(proto_tx_version_accepted(t, 1), "version 1 of type %u still decodes", t);
    cr_assert(!proto_tx_version_accepted(t, 0));
    cr_assert_eq(proto_tx_version_accepted(t, 2), has_version_2(t), "type %u", t);
  }
  cr_assert_eq(proto_tx_version_current(0), 0);
  cr_assert_eq(proto_tx_version_current(PROTO_TX_TYPE_MAX + 1), 0);
  cr_assert(proto_tx_version_accepted(0, 1));
  cr_assert(!proto_tx_version_accepted(0, 255));
}

Test(tx_accounts, an_issue_names_the_national_account_in_version_1_and_the_owner_in_version_2) {
  struct proto_tx tx = {.type = PROTO_TX_ISSUE};
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CCER-2024");
  tx.u.move.amount = 5;
  uint64_t ids[4];
  cr_assert_eq(proto_tx_accounts(&tx, 1, ids, 4), 1);
  cr_assert_eq(ids[0], 1);
  tx.version = 2;
  tx.u.move.to = 1001;
  cr_assert_eq(proto_tx_accounts(&tx, 1, ids, 4), 1);
  cr_assert_eq(ids[0], 1001, "the owner, not the national account");
}

/* The version byte is judged per type; the version-1 bytes are what they always were. */
Test(versions, a_body_with_a_version_its_type_lacks_is_refused) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_TRANSFER, 0, &tx);
  uint8_t body[PROTO_BODY_BYTES_MAX];
  long n = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(n, 0);
  cr_assert_eq(body[0], 1);
  struct proto_tx out;
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &out), 0);
  proto_tx_free(&out);
  body[0] = 2;
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &out), PROTO_E_BAD_VERSION);
  body[0] = 0;
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &out), PROTO_E_BAD_VERSION);
  body[0] = 3;
  body[1] = 200; /* a version no type has: refused before the type is read */
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &out), PROTO_E_BAD_VERSION);
}

Test(assert, stays_on_with_ndebug_defined, .signal = SIGABRT) {
  volatile int broken = 1;
  PROTO_ASSERT(broken == 0);
}

Test(assert, passes_silently_when_the_condition_holds) {
  volatile int fine = 1;
  PROTO_ASSERT(fine == 1);
  cr_assert(true);
}
