/* Corrections after the deadline (docs/RULES.md "Corrections after the deadline"): a
 * re-determination after the deadline never turns an on-time enterprise compliant_late, a record
 * whose obligation changed after the deadline is marked corrected, and a late raise may give the
 * enterprise its own deadline (verified_emissions version 2), which its status then uses. */
#include "ledger_fixture.h"

static struct fx F;
static void setup_world(void) { fx_world(&F); }
static void teardown(void) { fx_free(&F); }

#define D FX_DEADLINE_2025
#define DAY UINT64_C(86400000)

static void emissions_tx(struct proto_tx *tx, uint64_t tonnes, uint64_t own_deadline_ms) {
  fx_tx(&F, tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx->version = own_deadline_ms ? 2 : 1;
  tx->u.emissions.account = FX_ENT_A;
  tx->u.emissions.year = 2025;
  tx->u.emissions.emissions = tonnes;
  tx->u.emissions.deadline_ms = own_deadline_ms;
  snprintf(tx->u.emissions.ref, sizeof(tx->u.emissions.ref), "verification");
}

static void emissions_at(uint64_t t, uint64_t tonnes, uint64_t own_deadline_ms) {
  struct proto_tx tx;
  emissions_tx(&tx, tonnes, own_deadline_ms);
  F.time_ms = t;
  FX_OK(&F, &tx, F.auth44);
}

static void surrender_at(uint64_t t, uint64_t amount) {
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_SURRENDER);
  tx.u.surrender.account = FX_ENT_A;
  tx.u.surrender.from = FX_ENT_A;
  tx.u.surrender.year = 2025;
  snprintf(tx.u.surrender.instrument, sizeof(tx.u.surrender.instrument), "CEA-2025");
  tx.u.surrender.amount = amount;
  F.time_ms = t;
  FX_OK(&F, &tx, F.rep_a);
}

static struct ledger_compliance at(uint64_t now) {
  struct ledger_compliance c;
  int rc = ledger_compliance_get(F.l, FX_ENT_A, 2025, now, &c);
  cr_assert_eq(rc, 0, "%s", proto_err_name(rc));
  return c;
}

/* The case: compliant on time, then raised and restored after the deadline. On main
 * the restoring correction completed the year again at its own time: compliant_late. */
Test(correction, after_the_deadline_never_makes_an_on_time_enterprise_late) {
  setup_world();
  emissions_at(D - 10 * DAY, 50000, 0);
  surrender_at(D - 5 * DAY, 50000);
  cr_assert_eq(at(D + 1).status, LEDGER_COMPLIANT);
  cr_assert(!at(D + 1).corrected);
  emissions_at(D + DAY, 60000, 0); /* raised late without a deadline of its own */
  cr_assert_eq(at(D + DAY + 1).status, LEDGER_OVERDUE);
  cr_assert(at(D + DAY + 1).corrected);
  emissions_at(D + 2 * DAY, 50000, 0); /* restored */
  struct ledger_compliance c = at(D + 3 * DAY);
  cr_assert_eq(c.status, LEDGER_COMPLIANT, "got %s", ledger_compliance_status_name(c.status));
  cr_assert(c.corrected);
  teardown();
}

/* Lowered after the deadline to what was surrendered by it: compliant, not compliant_late. */
Test(correction, lowered_to_what_was_surrendered_in_time_is_compliant) {
  setup_world();
  emissions_at(D - 10 * DAY, 50000, 0);
  surrender_at(D - 5 * DAY, 40000);
  cr_assert_eq(at(D + 1).status, LEDGER_OVERDUE);
  emissions_at(D + DAY, 40000, 0);
  cr_assert_eq(at(D + 2 * DAY).status, LEDGER_COMPLIANT);
  cr_assert(at(D + 2 * DAY).corrected);
  /* a surrender that completes a year only after the deadline stays late */
  emissions_at(D + 3 * DAY, 45000, 0);
  surrender_at(D + 4 * DAY, 5000);
  cr_assert_eq(at(D + 5 * DAY).status, LEDGER_COMPLIANT_LATE);
  teardown();
}

/* A late raise with an own deadline: surrenders by that date are in time. */
Test(correction, own_deadline_of_a_late_raise_is_the_enterprise_deadline) {
  setup_world();
  emissions_at(D - 10 * DAY, 50000, 0);
  surrender_at(D - 5 * DAY, 50000);
  emissions_at(D + DAY, 60000, D + 30 * DAY);
  struct ledger_compliance c = at(D + 2 * DAY);
  cr_assert_eq(c.status, LEDGER_SHORT, "before its own deadline it is short, not overdue");
  cr_assert_eq(c.own_deadline_ms, D + 30 * DAY);
  cr_assert(c.corrected);
  cr_assert_eq(at(D + 30 * DAY + 1).status, LEDGER_OVERDUE);
  surrender_at(D + 20 * DAY, 10000);
  cr_assert_eq(at(D + 40 * DAY).status, LEDGER_COMPLIANT);
  fx_reopen(&F); /* the record (version 2) survives the open check */
  cr_assert_eq(at(D + 40 * DAY).status, LEDGER_COMPLIANT);
  teardown();
}

/* An own deadline only with a raise after the deadline, and only ahead of its entry. */
Test(correction, own_deadline_refusals_leave_the_ledger_unchanged) {
  setup_world();
  emissions_at(D - 10 * DAY, 50000, 0);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  emissions_tx(&tx, 60000, D + 30 * DAY); /* before the deadline */
  F.time_ms = D - DAY;
  FX_REFUSED(&F, PROTO_E_OWN_DEADLINE, &tx, F.auth44);
  emissions_tx(&tx, 50000, D + 30 * DAY); /* after it, but no raise */
  F.time_ms = D + DAY;
  FX_REFUSED(&F, PROTO_E_OWN_DEADLINE, &tx, F.auth44);
  emissions_tx(&tx, 40000, D + 30 * DAY); /* a lowering */
  FX_REFUSED(&F, PROTO_E_OWN_DEADLINE, &tx, F.auth44);
  emissions_tx(&tx, 60000, D + DAY); /* not ahead of its own entry */
  FX_REFUSED(&F, PROTO_E_DEADLINE_EARLIER, &tx, F.auth44);
  emissions_tx(&tx, 60000, D + 30 * DAY);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth11);
  fx_assert_unchanged(&F, &before);
  cr_assert(!at(D + 2 * DAY).corrected);
  cr_assert_eq(at(D + 2 * DAY).own_deadline_ms, 0);
  /* a first record after the deadline is no correction, and no raise */
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.version = 2;
  tx.u.emissions.account = FX_ENT_B;
  tx.u.emissions.year = 2025;
  tx.u.emissions.emissions = 10;
  tx.u.emissions.deadline_ms = D + 30 * DAY;
  FX_REFUSED(&F, PROTO_E_OWN_DEADLINE, &tx, F.auth44);
  teardown();
}
