/* api_legs: who reads which legs of a settlement. A version 2 settle's legs are stored apart from
 * its entry; a reader that is not the operator or an auditor gets the legs of the accounts it may
 * read, each with its salt and audit path to the signed legs_root, and never another party's. A
 * version 1 settle carries every leg in its body: such a reader gets its legs only, without the
 * body and the leaf. Also GET /v1/tx/{id}/legs. */
#include "proto/proto_json.h"
#include <stdlib.h>
#include <string.h>

#include "daemon/api_util.h"

static bool is_v2_settle(const struct proto_tx *tx) {
  return tx->type == PROTO_TX_SETTLE && proto_tx_version(tx) == 2;
}

int api__entry_tx(struct daemon_server *srv, const uint8_t *leaf, size_t len, struct proto_entry *e,
                  struct proto_envelope *env, struct proto_tx *tx) {
  memset(tx, 0, sizeof *tx);
  int rc = proto_entry_decode(leaf, len, e);
  if (!rc) rc = proto_envelope_decode(e->envelope, e->envelope_len, env);
  if (!rc) rc = proto_tx_decode(env->body, env->body_len, tx);
  if (rc || !is_v2_settle(tx)) return rc;
  uint8_t *blob = malloc(PROTO_LEGS_BYTES_MAX);
  long n = blob ? ledger_entry_legs(srv->ledger, e->index, blob, PROTO_LEGS_BYTES_MAX) : PROTO_E_NO_MEMORY;
  /* a version 2 settle entry without its legs is a damaged store, not an empty settlement */
  rc = n < 0 ? (n == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : (int)n)
             : proto_settle_attach_legs(tx, blob, (size_t)n);
  free(blob);
  if (rc) proto_tx_free(tx);
  return rc;
}

bool api__leg_visible(struct daemon_server *srv, const struct daemon_principal *p, const struct proto_leg *leg) {
  if (daemon_may_read_all(p)) return true;
  if (!p->authenticated) return false;
  if (p->role == PROTO_ROLE_REPRESENTATIVE) return p->scope == leg->from || p->scope == leg->to;
  const uint64_t ids[2] = {leg->from, leg->to};
  for (size_t i = 0; i < 2; i++) {
    struct ledger_account a;
    if (ledger_account_get(srv->ledger, ids[i], &a) == 0 && daemon_may_read_account(p, a.id, a.province))
      return true;
  }
  return false;
}

static json_t *leg_json(const struct proto_leg *leg, size_t index, bool with_salt) {
  json_t *arr = proto_legs_to_json(leg, 1, with_salt);
  json_t *o = json_incref(json_array_get(arr, 0));
  json_decref(arr);
  if (o) json_object_set_new(o, "index", api__u64(index));
  return o;
}

/* Audit path of leg i under legs_root, base64 hashes from the leaf's sibling up. */
static json_t *path_json(const struct tlog_memtree *t, size_t i) {
  uint8_t h[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  if (tlog_memtree_inclusion(t, i, h, &n)) return NULL;
  json_t *arr = json_array();
  for (size_t k = 0; k < n; k++) json_array_append_new(arr, api__b64(h[k], PROTO_HASH_BYTES));
  return arr;
}

json_t *api__legs_json(struct daemon_server *srv, const struct daemon_principal *p,
                       const struct proto_tx *tx, bool with_paths) {
  const struct proto_settle *s = &tx->u.settle;
  bool v2 = is_v2_settle(tx);
  struct tlog_memtree t = {0};
  if (v2 && with_paths && tlog_legs_tree(s->legs, s->legs_count, &t)) return NULL;
  json_t *arr = json_array();
  for (size_t i = 0; arr && s->legs && i < s->legs_count; i++) {
    if (!api__leg_visible(srv, p, &s->legs[i])) continue;
    json_t *o = leg_json(&s->legs[i], i, v2);
    if (o && v2 && with_paths) json_object_set_new(o, "path", path_json(&t, i));
    if (!o || json_array_append_new(arr, o)) {
      json_decref(arr);
      arr = NULL;
    }
  }
  tlog_memtree_free(&t);
  return arr;
}

bool api__entry_readable(struct daemon_server *srv, const struct daemon_principal *p,
                         const uint8_t *leaf, size_t len) {
  if (srv->cfg->public_log || daemon_may_read_all(p)) return true;
  if (!p->authenticated) return false;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (api__entry_tx(srv, leaf, len, &e, &env, &tx)) return false;
  uint64_t ids[PROTO_TX_ACCOUNTS_MAX];
  size_t n = proto_tx_accounts(&tx, 0, ids, PROTO_TX_ACCOUNTS_MAX);
  proto_tx_free(&tx);
  for (size_t i = 0; i < n; i++) {
    struct ledger_account a;
    if (ledger_account_get(srv->ledger, ids[i], &a) == 0 &&
        daemon_may_read_account(p, a.id, a.province))
      return true;
  }
  return false;
}

/* A version 1 settle shown to a party: its own legs in "tx", no body and no leaf (both hold every
 * leg), and "redacted" says so. */
static void redact_v1(struct daemon_server *srv, const struct daemon_principal *p, json_t *j,
                      const struct proto_tx *tx) {
  json_t *txj = json_object_get(j, "tx");
  if (txj) json_object_set_new(txj, "legs", api__legs_json(srv, p, tx, false));
  json_object_del(j, "envelope");
  json_object_del(j, "leaf");
  json_object_set_new(j, "redacted", json_true());
}

json_t *api__entry_json_for(struct daemon_server *srv, const struct daemon_principal *p,
                            const uint8_t *leaf, size_t len, bool with_leaf) {
  json_t *j = api__entry_json(leaf, len, with_leaf);
  bool all = daemon_may_read_all(p);
  if (!j) return j;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (api__entry_tx(srv, leaf, len, &e, &env, &tx)) {
    json_decref(j);
    return NULL;
  }
  /* every leg for the operator and auditors (paths: GET /v1/tx/{id}/legs); a party's own with
   * the paths that prove them */
  if (is_v2_settle(&tx)) json_object_set_new(j, "legs", api__legs_json(srv, p, &tx, !all));
  /* a public log serves version 1 entries whole anyway (/v1/entries): nothing to hide there */
  else if (tx.type == PROTO_TX_SETTLE && !srv->cfg->public_log && !all) redact_v1(srv, p, j, &tx);
  proto_tx_free(&tx);
  return j;
}

void api__tx_legs(struct daemon_server *srv, const struct daemon_principal *p, uint64_t index,
                  struct daemon_reply *reply, bool ka) {
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
  long len = leaf ? ledger_entry_get(srv->ledger, index, leaf, PROTO_ENTRY_BYTES_MAX) : PROTO_E_NO_MEMORY;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  int rc = len < 0 ? (int)len : api__entry_tx(srv, leaf, (size_t)len, &e, &env, &tx);
  free(leaf);
  if (rc) return daemon_reply_error(reply, rc, NULL, ka);
  json_t *legs = tx.type == PROTO_TX_SETTLE ? api__legs_json(srv, p, &tx, true) : NULL;
  /* no leg of its own reads as no such thing: the same 404 as an unknown id */
  if (!legs || json_array_size(legs) == 0) {
    json_decref(legs);
    proto_tx_free(&tx);
    return daemon_reply_error(reply, PROTO_E_NOT_FOUND, NULL, ka);
  }
  json_t *out = json_pack("{s:I,s:i,s:i,s:o}", "index", (json_int_t)index, "version",
                          (int)proto_tx_version(&tx), "legs_count", (int)tx.u.settle.legs_count, "legs", legs);
  if (out && is_v2_settle(&tx)) {
    char hex[2 * PROTO_HASH_BYTES + 1];
    proto_hex_encode(tx.u.settle.legs_root, PROTO_HASH_BYTES, hex, sizeof hex);
    json_object_set_new(out, "legs_root", json_string(hex));
  }
  proto_tx_free(&tx);
  api__reply_json(reply, 200, out, ka);
}
