/* The store check over the "alloc" (allocation tables, rows, units, held amounts) and "legs"
 * (version 2 settlement legs) databases: a sound store passes; a record that does not decode, a
 * key of the wrong size, a row of no table and a legs blob of no settlement are each CORRUPT,
 * named by their database, and the writer refuses to open the store. */
#include <lmdb.h>

#include "tables_fixture.h"
#include "tlog/tlog.h"

static struct fx F;
static uint8_t env_buf[PROTO_ENTRY_BYTES_MAX], legs_buf[PROTO_LEGS_BYTES_MAX];

/* Both tables, an allocation held to a row and a 3-leg version 2 settlement; returns the
 * settlement's index. The ledger is closed afterwards. */
static uint64_t world_with_tables_and_legs(void) {
  tf_world(&F);
  tf_tables(&F);
  struct proto_tx tx;
  tf_alloc_tx(&F, &tx, TF_S1, 1000, PROTO_ALLOC_FINAL, TF_TABLE_FINAL, 0);
  FX_OK(&F, &tx, F.auth44);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 100);
  FX_OK(&F, &tx, F.rep_a);
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  tx.version = 2;
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "SEEE check");
  struct proto_leg legs[3];
  for (uint16_t i = 0; i < 3; i++) {
    legs[i] = (struct proto_leg){.from = FX_ENT_A, .to = FX_ENT_B, .instrument = "CEA-2025", .amount = 1u + i};
    cr_assert_eq(proto_random_bytes(legs[i].salt, PROTO_SALT_BYTES), 0);
  }
  tx.u.settle.legs_count = 3;
  tlog_legs_root(legs, 3, tx.u.settle.legs_root);
  long blen = proto_legs_encode(legs, 3, legs_buf, sizeof(legs_buf));
  cr_assert_gt(blen, 0);
  size_t len = fx_envelope(&tx, FX_SIGNERS(F.exch), 1, FX_ORIGIN, env_buf, sizeof(env_buf));
  struct ledger_submission sub = {.envelope = env_buf, .envelope_len = len, .legs = legs_buf,
                                  .legs_len = (size_t)blen};
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_eq(sub.result, 0, "settle: %s", proto_err_name(sub.result));
  ledger_close(F.l);
  F.l = NULL;
  return sub.index;
}

/* Opens the closed ledger's database `db` directly, puts (key, val) behind the ledger's back,
 * or deletes key when val is NULL. */
static void raw_put(const char *db, const void *key, size_t klen, const void *val, size_t vlen) {
  fx_raw_put(&F, db, key, klen, val, vlen);
}

/* Reads (key) of database db from the closed ledger into out; returns its length. */
static size_t raw_get(const char *db, const void *key, size_t klen, uint8_t *out, size_t cap) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  fx_raw_begin(&F, db, MDB_RDONLY, &env, &txn, &dbi);
  MDB_val k = {klen, (void *)key}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  cr_assert_leq(v.mv_size, cap);
  memcpy(out, v.mv_data, v.mv_size);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return v.mv_size;
}

static void tkey(uint8_t key[9], uint64_t table) {
  key[0] = 'T';
  for (int i = 0; i < 8; i++) key[8 - i] = (uint8_t)(table >> (8 * i));
}

static void key_r(uint8_t key[17], uint64_t table, uint64_t row) {
  tkey(key, table);
  key[0] = 'R';
  for (int i = 0; i < 8; i++) key[16 - i] = (uint8_t)(row >> (8 * i));
}

static void key_index(uint8_t key[8], uint64_t index) {
  for (int i = 0; i < 8; i++) key[7 - i] = (uint8_t)(index >> (8 * i));
}

/* The open check must refuse the store, naming db; the ledger stays closed. */
static void refused_naming(const char *db) {
  struct ledger_check_report rep;
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), PROTO_E_CORRUPT, "why: %s", rep.why);
  cr_assert(F.l == NULL && rep.full && rep.signal == 0);
  cr_assert(strncmp(rep.why, db, strlen(db)) == 0, "why: %s", rep.why);
  fx_free(&F);
}

Test(check_tables, a_sound_store_with_tables_and_legs_passes) {
  world_with_tables_and_legs();
  struct ledger_check_report rep;
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), 0, "why: %s", rep.why);
  cr_assert(rep.full && rep.result == 0);
  ledger_close(F.l);
  F.l = NULL;
  /* one more unit record, well formed: still sound; one byte short: CORRUPT */
  uint8_t key[32] = {'U'}, val[17] = {1};
  raw_put("alloc", key, sizeof(key), val, sizeof(val));
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), 0, "why: %s", rep.why);
  ledger_close(F.l);
  F.l = NULL;
  raw_put("alloc", key, sizeof(key), val, sizeof(val) - 1);
  refused_naming("alloc");
}

Test(check_tables, a_table_record_that_does_not_decode_is_corrupt) {
  world_with_tables_and_legs();
  uint8_t key[9], val[256];
  tkey(key, TF_TABLE_FINAL);
  size_t n = raw_get("alloc", key, sizeof(key), val, sizeof(val));
  val[1] = 9; /* no such table status */
  raw_put("alloc", key, sizeof(key), val, n);
  refused_naming("alloc");
}

Test(check_tables, a_row_of_no_table_is_corrupt) {
  world_with_tables_and_legs();
  uint8_t key[17], val[PROTO_ROW_BYTES_MAX + 16];
  key_r(key, TF_TABLE_FINAL, 0);
  size_t n = raw_get("alloc", key, sizeof(key), val, sizeof(val));
  key_r(key, 777, 0); /* the same, well-formed row under a table never opened */
  raw_put("alloc", key, sizeof(key), val, n);
  refused_naming("alloc");
}

Test(check_tables, a_row_past_its_tables_count_is_corrupt) {
  world_with_tables_and_legs();
  uint8_t key[17], val[PROTO_ROW_BYTES_MAX + 16];
  key_r(key, TF_TABLE_FINAL, 1);
  size_t n = raw_get("alloc", key, sizeof(key), val, sizeof(val));
  key_r(key, TF_TABLE_FINAL, 2);
  raw_put("alloc", key, sizeof(key), val, n);
  refused_naming("alloc");
}

Test(check_tables, an_alloc_key_of_the_wrong_size_or_kind_is_corrupt) {
  world_with_tables_and_legs();
  uint8_t key[10] = {'T', 0, 0, 0, 0, 0, 0, 0x31, 0x73, 0}, val[8] = {0};
  raw_put("alloc", key, sizeof(key), val, sizeof(val));
  refused_naming("alloc");
  world_with_tables_and_legs();
  uint8_t odd[9] = {'Z', 1};
  raw_put("alloc", odd, sizeof(odd), val, sizeof(val));
  refused_naming("alloc");
}

Test(check_tables, a_missing_table_header_under_its_rows_and_mark_is_corrupt) {
  world_with_tables_and_legs();
  uint8_t key[9];
  tkey(key, TF_TABLE_PRE);
  raw_put("alloc", key, sizeof(key), NULL, 0); /* the pre table's header record goes */
  refused_naming("alloc");
}

Test(check_tables, a_legs_blob_of_an_entry_that_is_no_settlement_is_corrupt) {
  uint64_t index = world_with_tables_and_legs();
  uint8_t key[8], blob[PROTO_LEGS_BYTES_MAX];
  key_index(key, index);
  size_t n = raw_get("legs", key, sizeof(key), blob, sizeof(blob));
  key_index(key, index - 1); /* the position move before it */
  raw_put("legs", key, sizeof(key), blob, n);
  refused_naming("legs");
}

Test(check_tables, a_legs_blob_past_the_tree_or_changed_is_corrupt) {
  uint64_t index = world_with_tables_and_legs();
  uint8_t key[8], blob[PROTO_LEGS_BYTES_MAX];
  key_index(key, index);
  size_t n = raw_get("legs", key, sizeof(key), blob, sizeof(blob));
  key_index(key, index + 5);
  raw_put("legs", key, sizeof(key), blob, n);
  refused_naming("legs");
  index = world_with_tables_and_legs();
  key_index(key, index);
  n = raw_get("legs", key, sizeof(key), blob, sizeof(blob));
  blob[n - 1] ^= 1; /* an amount byte: no longer what the entry's root commits to */
  raw_put("legs", key, sizeof(key), blob, n);
  refused_naming("legs");
}
