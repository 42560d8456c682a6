/* api_util: replies, the request's principal, read rights on entries, and the JSON of ledger
 * records, shared by the endpoint handlers. */
#include "proto/proto_json.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api_util.h"

void daemon_reply_set(struct daemon_reply *reply, unsigned status, const char *content_type,
                      const char *body, size_t len, bool keep_alive) {
  daemon_reply_set_cached(reply, status, content_type, "no-store", body, len, keep_alive);
}

void daemon_reply_set_cached(struct daemon_reply *reply, unsigned status, const char *content_type,
                             const char *cache_control, const char *body, size_t len, bool keep_alive) {
  reply->buf.len = 0;
  if (daemon_http_response_cached(&reply->buf, status, content_type, cache_control, body, len, keep_alive)) {
    reply->buf.len = 0;
    static const char oom[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    daemon_buf_append(&reply->buf, oom, sizeof oom - 1);
    keep_alive = false;
    status = 503;
  }
  reply->status = status;
  reply->close_after = reply->close_after || !keep_alive;
  reply->ready = true;
}

void daemon_reply_error_as(struct daemon_reply *reply, unsigned status, int err, const char *detail,
                           bool keep_alive) {
  struct daemon_buf body = {0};
  daemon_error_body(&body, err, detail);
  daemon_reply_set(reply, status, "application/json", body.data ? body.data : "", body.len, keep_alive);
  daemon_buf_free(&body);
}

void daemon_reply_error(struct daemon_reply *reply, int err, const char *detail, bool keep_alive) {
  daemon_reply_error_as(reply, daemon_status_for(err), err, detail, keep_alive);
}

void api__reply_json(struct daemon_reply *reply, unsigned status, json_t *j, bool keep_alive) {
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!s) {
    daemon_reply_error(reply, PROTO_E_NO_MEMORY, NULL, keep_alive);
    return;
  }
  size_t len = strlen(s);
  s[len] = '\0';
  daemon_reply_set(reply, status, "application/json", s, len, keep_alive);
  free(s);
}

json_t *api__b64(const uint8_t *data, size_t len) {
  char out[PROTO_ENTRY_BYTES_MAX * 4 / 3 + 8];
  if (proto_base64_encode(data, len, out, sizeof out) < 0) return NULL;
  return json_string(out);
}

json_t *api__u64(uint64_t v) { return json_integer((json_int_t)v); }

int api__query_u64(const struct daemon_request *r, const char *name, uint64_t def, uint64_t *out) {
  char v[32];
  long n = daemon_query_get(r->query, name, v, sizeof v);
  if (n == PROTO_E_NOT_FOUND) {
    *out = def;
    return 0;
  }
  if (n < 0 || daemon_parse_u64(v, out)) return PROTO_E_BAD_ARGUMENT;
  return 0;
}

static int principal_from_key(struct daemon_server *srv, const uint8_t hash[PROTO_HASH_BYTES],
                              struct ledger_key *k, struct daemon_principal *p) {
  int rc = ledger_key_get(srv->ledger, hash, k);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_KEY;
  if (rc) return rc;
  if (k->revoked) return PROTO_E_REVOKED_KEY;
  p->authenticated = true;
  p->role = k->role;
  p->scope = k->scope;
  memcpy(p->key_hash, hash, PROTO_HASH_BYTES);
  return 0;
}

int api__principal(struct daemon_server *srv, struct daemon_conn *c, const struct daemon_request *r,
                   struct daemon_principal *p) {
  memset(p, 0, sizeof *p);
  p->local = c->kind == DAEMON_CONN_UNIX;
  struct ledger_key k;
  if (r->authorization) {
    struct daemon_auth_header h;
    int rc = daemon_auth_parse(r->authorization, &h);
    if (rc) return rc;
    struct daemon_principal q = *p;
    if ((rc = principal_from_key(srv, h.key_hash, &k, &q))) return rc;
    const char *method = r->method == DAEMON_POST ? "POST" : "GET";
    rc = daemon_auth_verify(&h, k.public_key, ledger_origin(srv->ledger), method, r->target,
                            (int64_t)time(NULL), srv->cfg->auth_window_s);
    if (rc) return rc == PROTO_E_BAD_KEY ? PROTO_E_BAD_SIGNATURE : rc;
    *p = q;
    return 0;
  }
  if (c->tls_on && c->tls.peer_ed25519) {
    struct daemon_principal q = *p;
    /* A certificate whose key is not registered (or revoked) is simply not an identity. */
    if (principal_from_key(srv, c->tls.peer_key_hash, &k, &q) == 0) *p = q;
  }
  return 0;
}

/* Decodes leaf -> entry -> envelope -> tx. The caller frees tx. */
static int entry_decode(const uint8_t *leaf, size_t len, struct proto_entry *e,
                        struct proto_envelope *env, struct proto_tx *tx) {
  int rc = proto_entry_decode(leaf, len, e);
  if (!rc) rc = proto_envelope_decode(e->envelope, e->envelope_len, env);
  if (!rc) rc = proto_tx_decode(env->body, env->body_len, tx);
  return rc;
}

json_t *api__entry_json(const uint8_t *leaf, size_t len, bool with_leaf) {
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (entry_decode(leaf, len, &e, &env, &tx)) return NULL;
  json_t *j = json_object();
  json_object_set_new(j, "index", api__u64(e.index));
  json_object_set_new(j, "time_ms", api__u64(e.time_ms));
  json_object_set_new(j, "withheld", api__u64(e.withheld));
  json_t *txj = proto_tx_to_json(&tx);
  proto_tx_free(&tx);
  json_object_set_new(j, "tx", txj ? txj : json_null());
  json_t *envj = proto_envelope_to_json(&env);
  json_object_set_new(j, "envelope", envj ? envj : json_null());
  if (with_leaf) json_object_set_new(j, "leaf", api__b64(leaf, len));
  return j;
}

json_t *api__account_json(const struct ledger_account *a) {
  const char *kind = proto_account_kind_name(a->kind);
  const char *sector = proto_sector_name(a->sector);
  return json_pack("{s:I,s:s,s:i,s:s,s:i,s:s,s:s,s:b,s:b,s:I}", "id", (json_int_t)a->id, "kind",
                   kind ? kind : "unknown", "province", (int)a->province, "sector",
                   sector ? sector : "none", "threshold", (int)a->threshold, "uscc", a->uscc,
                   "name", a->name, "closed", (int)a->closed, "at_risk", (int)a->at_risk,
                   "deduction_outstanding", (json_int_t)a->deduction_outstanding);
}
