/* The legs of version 2 settlements: checking them beside an envelope (any thread, before the
 * writer) and reading them back from the "legs" database, checked against the entry's root. */
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

/* Decodes the body of an envelope; the caller frees tx. */
static int body_decode(const uint8_t *envelope, size_t len, struct proto_tx *tx) {
  struct proto_envelope env;
  int rc = proto_envelope_decode(envelope, len, &env);
  if (rc == 0) rc = proto_tx_decode(env.body, env.body_len, tx);
  return rc;
}

static bool is_v2_settle(const struct proto_tx *tx) {
  return tx->type == PROTO_TX_SETTLE && proto_tx_version(tx) == 2;
}

int ledger_verify_legs(const uint8_t *envelope, size_t len, const uint8_t *legs, size_t legs_len) {
  struct proto_tx tx;
  int rc = body_decode(envelope, len, &tx);
  if (rc) return rc;
  if (!is_v2_settle(&tx)) rc = legs ? PROTO_E_LEGS_UNEXPECTED : 0;
  else if (!legs) rc = PROTO_E_LEGS_MISSING;
  else rc = proto_settle_attach_legs(&tx, legs, legs_len);
  if (rc == 0 && is_v2_settle(&tx)) rc = tlog_legs_check(&tx);
  proto_tx_free(&tx);
  return rc;
}

/* The stored blob must still be the legs the entry committed to: decoded and hashed against the
 * legs_root inside the stored entry (an entry without that root has no legs). */
int legs__stored_check(const MDB_val *entry, const MDB_val *legs) {
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  int rc = proto_entry_decode(entry->mv_data, entry->mv_size, &e);
  if (rc == 0) rc = proto_envelope_decode(e.envelope, e.envelope_len, &env);
  if (rc == 0) rc = proto_tx_decode(env.body, env.body_len, &tx);
  if (rc) return PROTO_E_CORRUPT;
  rc = is_v2_settle(&tx) ? proto_settle_attach_legs(&tx, legs->mv_data, legs->mv_size)
                         : PROTO_E_LEGS_UNEXPECTED;
  if (rc == 0) rc = tlog_legs_check(&tx);
  proto_tx_free(&tx);
  return rc ? PROTO_E_CORRUPT : 0;
}

long ledger_entry_legs(struct ledger *l, uint64_t index, uint8_t *out, size_t cap) {
  if (l->no_legs_db || index >= ledger_tree_size(l)) return PROTO_E_NOT_FOUND;
  uint8_t key[8];
  be64_put(key, index);
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  MDB_val k = {8, key}, legs, entry;
  long rc = store__mdb_err(mdb_get(txn, l->dbi[DB_LEGS], &k, &legs));
  if (rc == 0) {
    int erc = store__mdb_err(mdb_get(txn, l->dbi[DB_ENTRIES], &k, &entry));
    rc = erc == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : erc; /* legs of no entry */
  }
  if (rc == 0) rc = legs__stored_check(&entry, &legs);
  if (rc == 0 && legs.mv_size > cap) rc = PROTO_E_FIELD_TOO_LONG;
  if (rc == 0) {
    memcpy(out, legs.mv_data, legs.mv_size);
    rc = (long)legs.mv_size;
  }
  store__read_end(l, txn);
  return rc;
}
