/* api_tables: the public allocation tables, GET /v1/allocation-tables and
 * /v1/allocation-tables/{id}. Inputs an operator marked confidential are shown as salted
 * commitments, except to the operators, auditors and the enterprise the row belongs to. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api_util.h"

enum { TABLES_PAGE_MAX = 100, ROWS_PAGE_DEFAULT = 1000, ROWS_PAGE_MAX = 1000 };

static const char *status_name(unsigned s) {
  return s == LEDGER_TABLE_OPEN ? "open" : s == LEDGER_TABLE_COMPLETE ? "complete" : "abandoned";
}

static json_t *table_json(const struct ledger_table *t) {
  char hash[2 * PROTO_HASH_BYTES + 1];
  (void)proto_hex_encode(t->rows_hash, PROTO_HASH_BYTES, hash, sizeof(hash));
  return json_pack("{s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o}", "id", api__u64(t->id),
                   "instrument", t->instrument, "status", status_name(t->status), "phase",
                   proto_table_phase_name(t->phase), "sector", proto_sector_name(t->sector),
                   "bp_kind", proto_bp_kind_name(t->bp_kind), "bp", t->bp, "rows_count",
                   api__u64(t->rows_count), "rows_received", api__u64(t->rows_received),
                   "rows_hash", hash, "header_index", api__u64(t->header_index));
}

/* Whether the reader may see the row's confidential inputs and salt. */
static bool sees_confidential(struct daemon_server *srv, const struct daemon_principal *p,
                              const struct proto_alloc_row *row) {
  if (daemon_may_read_all(p)) return true;
  if (!p->authenticated || p->role != PROTO_ROLE_REPRESENTATIVE) return false;
  struct ledger_account a;
  return ledger_account_by_uscc(srv->ledger, row->uscc, &a) == 0 && a.id == p->scope;
}

/* The row as published: each confidential input replaced by {"commitment": hex}. */
static json_t *row_json(struct daemon_server *srv, const struct daemon_principal *p,
                        const struct proto_alloc_row *row, uint16_t version, uint64_t index) {
  json_t *o = proto_alloc_row_to_json(row);
  if (!o) return NULL;
  if (row->confidential && !sees_confidential(srv, p, row)) {
    for (unsigned bit = 1; bit <= PROTO_ROW_INPUTS_ALL; bit <<= 1) {
      if (!(row->confidential & bit)) continue;
      char c[2 * PROTO_HASH_BYTES + 1];
      proto_alloc_input_commitment(row, bit, c);
      json_object_set_new(o, proto_row_input_name(bit), json_pack("{s:s}", "commitment", c));
    }
    json_object_del(o, "salt");
  }
  json_object_set_new(o, "version", json_integer(version));
  json_object_set_new(o, "index", api__u64(index));
  return o;
}

/* The scheme text of the table's header entry (NULL when it cannot be read). */
static json_t *scheme_json(struct daemon_server *srv, uint64_t index) {
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
  long len = leaf ? ledger_entry_get(srv->ledger, index, leaf, PROTO_ENTRY_BYTES_MAX) : -1;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  json_t *s = NULL;
  if (len > 0 && proto_entry_decode(leaf, (size_t)len, &e) == 0 &&
      proto_envelope_decode(e.envelope, e.envelope_len, &env) == 0 &&
      proto_tx_decode(env.body, env.body_len, &tx) == 0) {
    if (tx.type == PROTO_TX_ALLOC_TABLE_OPEN) s = json_string(tx.u.table_open.scheme);
    proto_tx_free(&tx);
  }
  free(leaf);
  return s ? s : json_null();
}

void api__tables_list(struct daemon_server *srv, const struct daemon_request *r,
                      struct daemon_reply *reply, bool ka) {
  uint64_t after, limit;
  if (api__query_u64(r, "after", 0, &after) || api__query_u64(r, "limit", TABLES_PAGE_MAX, &limit) ||
      limit == 0 || limit > TABLES_PAGE_MAX)
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "after, limit 1..100", ka);
  struct ledger_table t[TABLES_PAGE_MAX];
  long n = ledger_tables_list(srv->ledger, after, t, (size_t)limit);
  if (n < 0) return daemon_reply_error(reply, (int)n, NULL, ka);
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) json_array_append_new(arr, table_json(&t[i]));
  json_t *next = (uint64_t)n == limit ? api__u64(t[n - 1].id) : json_null();
  api__reply_json(reply, 200, json_pack("{s:o,s:o}", "tables", arr, "next", next), ka);
}

void api__table_get(struct daemon_server *srv, const struct daemon_principal *p,
                    const struct daemon_request *r, struct daemon_reply *reply, bool ka,
                    const char *ref) {
  uint64_t id, start, limit;
  char *end;
  id = strtoull(ref, &end, 10);
  if (!*ref || *end || ref[0] == '0') return daemon_reply_error(reply, PROTO_E_NOT_FOUND, NULL, ka);
  if (api__query_u64(r, "row_start", 0, &start) ||
      api__query_u64(r, "row_limit", ROWS_PAGE_DEFAULT, &limit) || limit == 0 || limit > ROWS_PAGE_MAX)
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "row_start, row_limit 1..1000", ka);
  struct ledger_table t;
  int rc = ledger_table_get(srv->ledger, id, &t);
  if (rc) return daemon_reply_error(reply, rc, NULL, ka);
  json_t *o = table_json(&t), *rows = json_array();
  for (uint64_t i = start; i < t.rows_received && i - start < limit; i++) {
    struct proto_alloc_row row;
    uint16_t version;
    uint64_t index;
    if (ledger_table_row(srv->ledger, id, i, &row, &version, &index) != 0) break;
    json_array_append_new(rows, row_json(srv, p, &row, version, index));
  }
  uint64_t shown = json_array_size(rows);
  json_object_set_new(o, "scheme", scheme_json(srv, t.header_index));
  json_object_set_new(o, "rows", rows);
  json_object_set_new(o, "next_row", start + shown < t.rows_received ? api__u64(start + shown) : json_null());
  api__reply_json(reply, 200, o, ka);
}
