/* Freeze orders (freeze and unfreeze version 2, docs/RULES.md "Freeze orders"): each refusal with
 * its code and the ledger unchanged, each success, and the two attacks of the version 1 counter:
 * units moved to trading escaped a freeze, and one unfreeze could lift another court's order. */
#include <lmdb.h>

#include "ledger_fixture.h"

static struct fx F;
static void setup_world(void) { fx_world(&F); }
static void teardown(void) { fx_free(&F); }

static void order_tx(struct proto_tx *tx, uint64_t account, const char *code, uint64_t quantity,
                     unsigned positions, uint64_t expiry_ms) {
  fx_tx(&F, tx, PROTO_TX_FREEZE);
  tx->version = 2;
  struct proto_freeze *f = &tx->u.freeze;
  f->account = account;
  snprintf(f->instrument, sizeof(f->instrument), "%s", code);
  f->amount = quantity;
  f->positions = (uint8_t)positions;
  f->expiry_ms = expiry_ms;
  snprintf(f->ref, sizeof(f->ref), "court order %llu", (unsigned long long)F.next_id);
}

static void lift_tx(struct proto_tx *tx, uint64_t account, const uint8_t order[PROTO_ID_BYTES],
                    uint64_t quantity) {
  fx_tx(&F, tx, PROTO_TX_UNFREEZE);
  tx->version = 2;
  struct proto_freeze *f = &tx->u.freeze;
  f->account = account;
  memcpy(f->order, order, PROTO_ID_BYTES);
  f->amount = quantity;
  snprintf(f->ref, sizeof(f->ref), "release %llu", (unsigned long long)F.next_id);
}

/* Places an order (signed by the operator) and returns its id in id. */
static void order(uint64_t account, uint64_t quantity, unsigned positions, uint64_t expiry_ms,
                  uint8_t id[PROTO_ID_BYTES]) {
  struct proto_tx tx;
  order_tx(&tx, account, "CEA-2025", quantity, positions, expiry_ms);
  FX_OK(&F, &tx, F.op[0]);
  memcpy(id, tx.id, PROTO_ID_BYTES);
}

static void to_trading(uint64_t amount) {
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", amount);
  FX_OK(&F, &tx, F.rep_a);
}

static long orders_of(uint64_t account, struct ledger_freeze_order *out, size_t cap) {
  long n = ledger_freeze_orders(F.l, account, NULL, out, cap);
  cr_assert_geq(n, 0, "ledger_freeze_orders: %s", proto_err_name((int)n));
  return n;
}

/* Attack 1: with the version 1 counter, units moved to trading ahead of a freeze could not be
 * frozen at all, and were sold. An order covering trading binds them: the leg that would sell
 * them refuses the settlement, naming the leg, and the rest settles without it. */
Test(freeze_order, units_moved_to_trading_ahead_are_bound) {
  setup_world();
  to_trading(50000);
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 49950, PROTO_COVER_TRADING, 0, id);
  struct proto_leg legs[2] = {
      {.from = FX_ENT_A, .to = FX_PART, .instrument = "CEA-2025", .amount = 50},
      {.from = FX_ENT_A, .to = FX_ENT_B, .instrument = "CEA-2025", .amount = 100},
  };
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "day 1");
  tx.u.settle.legs_count = 2;
  tx.u.settle.legs = legs;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.exch);
  cr_assert_eq(F.last.leg, 1, "the refusal names leg 1, got %d", F.last.leg);
  fx_assert_unchanged(&F, &before);
  /* the exchange settles the rest without that leg */
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "day 1 again");
  tx.u.settle.legs_count = 1;
  tx.u.settle.legs = legs;
  FX_OK(&F, &tx, F.exch);
  cr_assert_eq(F.last.leg, -1);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").trading, 49950);
  /* bound trading units cannot go back to the registry either (the order covers trading only) */
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 1);
  tx.u.move.kind = PROTO_POSITION_REGISTRY;
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  teardown();
}

/* An order covering both positions binds the sum: units may move between the positions, never
 * out of the account. */
Test(freeze_order, both_positions_bind_the_sum) {
  setup_world();
  to_trading(30000);
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 100000, PROTO_COVER_BOTH, 0, id);
  struct proto_tx tx;
  to_trading(10000); /* registry -> trading stays covered */
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 40000);
  tx.u.move.kind = PROTO_POSITION_REGISTRY;
  FX_OK(&F, &tx, F.rep_a);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 0);
  fx_move_tx(&F, &tx, PROTO_TX_CANCEL, FX_ENT_A, 0, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  teardown();
}

/* A registry order keeps its units in the registry: moving them to trading is refused. */
Test(freeze_order, registry_order_keeps_units_out_of_trading) {
  setup_world();
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 90000, PROTO_COVER_REGISTRY, 0, id);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 10001);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 10000);
  fx_assert_unchanged(&F, &before);
  to_trading(10000);
  teardown();
}

/* Attack 2: one unfreeze could lift another court's freeze. Each order is lifted only by an
 * unfreeze that names it, and never beyond what it binds. */
Test(freeze_order, one_release_never_frees_another_order) {
  setup_world();
  uint8_t x[PROTO_ID_BYTES], y[PROTO_ID_BYTES];
  order(FX_ENT_A, 60000, PROTO_COVER_REGISTRY, 0, x);
  order(FX_ENT_A, 40000, PROTO_COVER_REGISTRY, 0, y);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  lift_tx(&tx, FX_ENT_A, x, 60001); /* more than order x binds: y is not touched */
  FX_REFUSED(&F, PROTO_E_NOT_FROZEN, &tx, F.op[0]);
  cr_assert_eq(F.last.aux, 60000);
  lift_tx(&tx, FX_ENT_B, x, 1); /* the order is not on that account */
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ORDER, &tx, F.op[0]);
  uint8_t nobody[PROTO_ID_BYTES] = {0x7f};
  lift_tx(&tx, FX_ENT_A, nobody, 1);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ORDER, &tx, F.op[0]);
  lift_tx(&tx, FX_ENT_A, x, 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  lift_tx(&tx, FX_ENT_A, x, 20000); /* in part */
  FX_OK(&F, &tx, F.op[0]);
  lift_tx(&tx, FX_ENT_A, x, 40000); /* the rest */
  FX_OK(&F, &tx, F.op[0]);
  lift_tx(&tx, FX_ENT_A, x, 1);
  FX_REFUSED(&F, PROTO_E_ORDER_NOT_IN_FORCE, &tx, F.op[0]);
  /* order y still binds 40,000 of the 100,000 */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 60001);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 60000);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 60000);
  FX_OK(&F, &tx, F.rep_a);
  struct ledger_freeze_order o[4];
  cr_assert_eq(orders_of(FX_ENT_A, o, 4), 2);
  cr_assert(memcmp(o[0].id, x, PROTO_ID_BYTES) == 0);
  cr_assert_eq(o[0].lifted, 60000);
  cr_assert_eq(o[1].quantity, 40000);
  cr_assert_eq(o[1].lifted, 0);
  teardown();
}

/* An order binds until its expiry, judged by the commit time of each entry. */
Test(freeze_order, expiry_uses_the_commit_time) {
  setup_world();
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 1000, PROTO_COVER_REGISTRY, F.time_ms);
  FX_REFUSED(&F, PROTO_E_EXPIRY_PAST, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 100000, PROTO_COVER_REGISTRY, F.time_ms + 60000, id);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  F.time_ms += 59999;
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a);
  F.time_ms += 1;
  FX_OK(&F, &tx, F.rep_a); /* the same transaction, once the order has expired */
  lift_tx(&tx, FX_ENT_A, id, 1);
  FX_REFUSED(&F, PROTO_E_ORDER_NOT_IN_FORCE, &tx, F.op[0]);
  teardown();
}

/* The order must find its units, free of other orders and of version 1 freezes. */
Test(freeze_order, refuses_what_is_not_there) {
  setup_world();
  struct proto_tx tx;
  to_trading(20000);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 80001, PROTO_COVER_REGISTRY, 0);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  cr_assert_eq(F.last.aux, 80000);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 20001, PROTO_COVER_TRADING, 0);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 100001, PROTO_COVER_BOTH, 0);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 1, PROTO_COVER_BOTH, 0);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_a);
  order_tx(&tx, 9999, "CEA-2025", 1, PROTO_COVER_BOTH, 0);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.op[0]);
  order_tx(&tx, FX_ENT_A, "CEA-2099", 1, PROTO_COVER_BOTH, 0);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_INSTRUMENT, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  struct ledger_freeze_order none[4];
  cr_assert_eq(orders_of(FX_ENT_A, none, 4), 0);
  /* a version 1 freeze and an order never bind the same units twice */
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 70000);
  FX_OK(&F, &tx, F.op[0]);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 10001, PROTO_COVER_REGISTRY, 0);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 30000, PROTO_COVER_BOTH, 0, id); /* 10,000 registry + 20,000 trading */
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  teardown();
}

/* At most PROTO_FREEZE_ORDERS_HELD_MAX orders in force per holding; a lifted one frees a place. */
Test(freeze_order, orders_in_force_per_holding_are_bounded) {
  setup_world();
  uint8_t ids[PROTO_FREEZE_ORDERS_HELD_MAX][PROTO_ID_BYTES];
  for (unsigned i = 0; i < PROTO_FREEZE_ORDERS_HELD_MAX; i++)
    order(FX_ENT_A, 10, PROTO_COVER_REGISTRY, 0, ids[i]);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  order_tx(&tx, FX_ENT_A, "CEA-2025", 10, PROTO_COVER_REGISTRY, 0);
  FX_REFUSED(&F, PROTO_E_ORDERS_FULL, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  lift_tx(&tx, FX_ENT_A, ids[3], 10);
  FX_OK(&F, &tx, F.op[0]);
  order(FX_ENT_A, 10, PROTO_COVER_REGISTRY, 0, ids[3]);
  teardown();
}

/* Orders are kept with their legal reference, read back as written, and survive a reopen and a
 * full structural check of the store. */
Test(freeze_order, listed_and_stored) {
  setup_world();
  to_trading(1000);
  uint8_t id[PROTO_ID_BYTES];
  order(FX_ENT_A, 500, PROTO_COVER_TRADING, FX_T0 + 86400000, id);
  uint64_t index = F.last.index;
  fx_reopen(&F);
  struct ledger_freeze_order o[2];
  cr_assert_eq(orders_of(FX_ENT_A, o, 2), 1);
  cr_assert(memcmp(o[0].id, id, PROTO_ID_BYTES) == 0);
  cr_assert_eq(o[0].account, FX_ENT_A);
  cr_assert_str_eq(o[0].instrument, "CEA-2025");
  cr_assert_eq(o[0].positions, PROTO_COVER_TRADING);
  cr_assert_eq(o[0].quantity, 500);
  cr_assert_eq(o[0].expiry_ms, FX_T0 + 86400000);
  cr_assert_eq(o[0].index, index);
  cr_assert(strncmp(o[0].legal_ref, "court order ", 12) == 0);
  cr_assert_eq(orders_of(FX_ENT_B, o, 2), 0);
  cr_assert_eq(ledger_freeze_orders(F.l, FX_ENT_A, id, o, 2), 0); /* the page after it */
  cr_assert(ledger_freeze_order_in_force(&o[0], FX_T0 + 86399999));
  cr_assert(!ledger_freeze_order_in_force(&o[0], FX_T0 + 86400000));
  ledger_close(F.l);
  F.l = NULL;
  struct ledger_check_options opt = {.depth = LEDGER_CHECK_FULL};
  struct ledger_check_report rep;
  memset(&rep, 0, sizeof(rep));
  int rc = ledger_check_dir(F.dir, &opt, &rep);
  cr_assert_eq(rc, 0, "check: %s (%s)", proto_err_name(rc), rep.why);
  fx_open(&F, 0, 0);
  teardown();
}

/* A store whose catalog of names lost a database it counts is damaged: the reader (the open
 * check) says so, so that the writer never creates the name again inside the damage. A store
 * that never had the freeze databases (an earlier release's) still opens. */
Test(freeze_order, a_counted_database_missing_is_damage) {
  setup_world();
  ledger_close(F.l);
  F.l = NULL;
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  fx_raw_begin(&F, "freeze_hold", 0, &env, &txn, &dbi);
  cr_assert_eq(mdb_drop(txn, dbi, 1), 0); /* the name is gone from the catalog */
  cr_assert_eq(mdb_txn_commit(txn), 0);
  struct ledger *ro = NULL;
  struct ledger_config cfg = {.dir = F.dir, .read_only = true};
  int rc = ledger_open(&cfg, &ro);
  cr_assert_eq(rc, PROTO_E_CORRUPT, "got %s", proto_err_name(rc));
  /* without the count (a store from before it), the same store reads as one without orders */
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  MDB_val k = {9, (void *)"databases"};
  cr_assert_eq(mdb_del(txn, dbi, &k, NULL), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  rc = ledger_open(&cfg, &ro);
  cr_assert_eq(rc, 0, "got %s", proto_err_name(rc));
  struct ledger_freeze_order o[2];
  cr_assert_eq(ledger_freeze_orders(ro, FX_ENT_A, NULL, o, 2), 0);
  ledger_close(ro);
  fx_open(&F, 0, 0); /* the writer creates it again and counts it */
  teardown();
}
