/* api: routing of the HTTP API v1 and the read endpoints (each a short read-only LMDB
 * transaction inside the ledger calls). Writes are in api_tx.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api_util.h"

enum { PAGE_DEFAULT = 100, PAGE_MAX = 1000, KEYS_MAX = 4096, INSTRUMENTS_MAX = 1024 };

struct ctx {
  struct daemon_server *srv;
  struct daemon_conn *c;
  struct daemon_request *r;
  struct daemon_reply *reply;
  struct daemon_principal p;
  bool ka; /* keep-alive */
};

static void fail(struct ctx *x, int err, const char *detail) {
  daemon_reply_error(x->reply, err, detail, x->ka);
}

/* Authenticates; false (with the reply sent) when the request may not go on. */
static bool need_principal(struct ctx *x, bool must_be_authenticated) {
  int rc = api__principal(x->srv, x->c, x->r, &x->p);
  if (rc) {
    fail(x, rc, NULL);
    return false;
  }
  if (must_be_authenticated && !x->p.authenticated) {
    fail(x, PROTO_E_UNAUTHORIZED, NULL);
    return false;
  }
  return true;
}

static int page_limit(struct ctx *x, uint64_t *limit) {
  if (api__query_u64(x->r, "limit", PAGE_DEFAULT, limit) || *limit == 0) return PROTO_E_BAD_ARGUMENT;
  if (*limit > PAGE_MAX) return PROTO_E_TOO_LARGE;
  return 0;
}

/* {id | USCC | CN-<2 digits>} */
static int account_lookup(struct ctx *x, const char *ref, struct ledger_account *a) {
  uint64_t id;
  if (!strncmp(ref, "CN-", 3)) {
    uint64_t prov;
    if (strlen(ref) != 5 || daemon_parse_u64(ref + 3, &prov) || !proto_province_valid((unsigned)prov))
      return PROTO_E_BAD_PROVINCE;
    return ledger_account_by_province(x->srv->ledger, (unsigned)prov, a);
  }
  if (strlen(ref) == PROTO_USCC_BYTES && proto_uscc_check(ref, PROTO_USCC_BYTES, NULL) == 0)
    return ledger_account_by_uscc(x->srv->ledger, ref, a);
  if (daemon_parse_u64(ref, &id)) return PROTO_E_BAD_ARGUMENT;
  return ledger_account_get(x->srv->ledger, id, a);
}

static void get_accounts(struct ctx *x) {
  if (!need_principal(x, true)) return;
  uint64_t after, limit, kind, province;
  int rc = page_limit(x, &limit);
  if (!rc && (api__query_u64(x->r, "after", 0, &after) || api__query_u64(x->r, "province", 0, &province)))
    rc = PROTO_E_BAD_ARGUMENT;
  char kname[32];
  kind = 0;
  if (!rc && daemon_query_get(x->r->query, "kind", kname, sizeof kname) >= 0 &&
      !(kind = proto_account_kind_from_name(kname)))
    rc = PROTO_E_BAD_ENUM;
  if (rc) return fail(x, rc, "query");
  if (x->p.role == PROTO_ROLE_AUTHORITY && !daemon_may_read_all(&x->p)) {
    if (province && province != x->p.scope) return fail(x, PROTO_E_FORBIDDEN, "another province");
    province = x->p.scope;
  } else if (!daemon_may_read_all(&x->p) && x->p.role != PROTO_ROLE_REPRESENTATIVE) {
    return fail(x, PROTO_E_FORBIDDEN, NULL);
  }
  struct ledger_account *a = calloc(limit, sizeof *a);
  if (!a) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long n = ledger_accounts_list(x->srv->ledger, after, (unsigned)kind, (unsigned)province, a, limit);
  if (n < 0) {
    free(a);
    return fail(x, (int)n, NULL);
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++)
    if (daemon_may_read_account(&x->p, a[i].id, a[i].province))
      json_array_append_new(arr, api__account_json(&a[i]));
  json_t *next = (uint64_t)n == limit ? api__u64(a[n - 1].id) : json_null();
  free(a);
  api__reply_json(x->reply, 200, json_pack("{s:o,s:o}", "accounts", arr, "next", next), x->ka);
}

static void get_balances(struct ctx *x, const struct ledger_account *a) {
  struct ledger_balance b[INSTRUMENTS_MAX];
  long n = ledger_balances(x->srv->ledger, a->id, b, INSTRUMENTS_MAX);
  if (n < 0) return fail(x, (int)n, NULL);
  json_t *arr = json_array();
  for (long i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:I}", "instrument", b[i].instrument,
                                         "registry", (json_int_t)b[i].registry, "trading",
                                         (json_int_t)b[i].trading, "frozen", (json_int_t)b[i].frozen,
                                         "available", (json_int_t)(b[i].registry - b[i].frozen)));
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o}", "account", (json_int_t)a->id, "balances", arr), x->ka);
}

static void get_history(struct ctx *x, const struct ledger_account *a) {
  uint64_t limit, after = 0;
  char tmp[32];
  bool first = daemon_query_get(x->r->query, "after", tmp, sizeof tmp) == PROTO_E_NOT_FOUND;
  int rc = page_limit(x, &limit);
  if (!rc && !first && api__query_u64(x->r, "after", 0, &after)) rc = PROTO_E_BAD_ARGUMENT;
  if (rc) return fail(x, rc, "query");
  uint64_t idx[PAGE_MAX];
  if (!first && after == UINT64_MAX) return fail(x, PROTO_E_BAD_ARGUMENT, "after");
  long n = ledger_account_history(x->srv->ledger, a->id, first ? 0 : after + 1, idx, limit);
  if (n < 0) return fail(x, (int)n, NULL);
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
  if (!leaf) return fail(x, PROTO_E_NO_MEMORY, NULL);
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) {
    long len = ledger_entry_get(x->srv->ledger, idx[i], leaf, PROTO_ENTRY_BYTES_MAX);
    json_t *e = len > 0 ? api__entry_json_for(x->srv, &x->p, leaf, (size_t)len, false) : NULL;
    json_array_append_new(arr, e ? e : json_null());
  }
  free(leaf);
  json_t *next = (uint64_t)n == limit ? api__u64(idx[n - 1]) : json_null();
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o,s:o}", "account", (json_int_t)a->id, "entries", arr, "next", next), x->ka);
}

/* /v1/accounts/{ref}[/balances|/history] */
static void get_account(struct ctx *x, const char *rest) {
  if (!need_principal(x, true)) return;
  char ref[64];
  const char *slash = strchr(rest, '/');
  size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
  if (len == 0 || len >= sizeof ref) return fail(x, PROTO_E_NOT_FOUND, NULL);
  memcpy(ref, rest, len);
  ref[len] = '\0';
  struct ledger_account a;
  int rc = account_lookup(x, ref, &a);
  if (rc) return fail(x, rc, rc == PROTO_E_NOT_FOUND ? "no such account" : NULL);
  if (!daemon_may_read_account(&x->p, a.id, a.province)) return fail(x, PROTO_E_FORBIDDEN, NULL);
  if (!slash) return api__reply_json(x->reply, 200, api__account_json(&a), x->ka);
  if (!strcmp(slash, "/balances")) return get_balances(x, &a);
  if (!strcmp(slash, "/history")) return get_history(x, &a);
  fail(x, PROTO_E_NOT_FOUND, "no such endpoint");
}

static bool key_visible(struct ctx *x, const struct ledger_key *k) {
  if (daemon_may_read_all(&x->p) || !memcmp(k->hash, x->p.key_hash, PROTO_HASH_BYTES)) return true;
  if (x->p.role == PROTO_ROLE_REPRESENTATIVE)
    return k->role == PROTO_ROLE_REPRESENTATIVE && k->scope == x->p.scope;
  if (x->p.role == PROTO_ROLE_AUTHORITY) {
    if (k->role == PROTO_ROLE_AUTHORITY) return k->scope == x->p.scope;
    struct ledger_account a;
    return k->role == PROTO_ROLE_REPRESENTATIVE && ledger_account_get(x->srv->ledger, k->scope, &a) == 0 &&
           a.province == x->p.scope;
  }
  return false;
}

static void get_keys(struct ctx *x) {
  if (!need_principal(x, true)) return;
  struct ledger_key *k = calloc(KEYS_MAX, sizeof *k);
  if (!k) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long n = ledger_keys(x->srv->ledger, k, KEYS_MAX);
  if (n < 0) {
    free(k);
    return fail(x, (int)n, NULL);
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) {
    if (!key_visible(x, &k[i])) continue;
    const char *role = proto_role_name(k[i].role);
    json_array_append_new(arr, json_pack("{s:o,s:o,s:s,s:I,s:s,s:b}", "hash", api__b64(k[i].hash, PROTO_HASH_BYTES),
                                         "public_key", api__b64(k[i].public_key, PROTO_PUBKEY_BYTES),
                                         "role", role ? role : "unknown", "scope", (json_int_t)k[i].scope,
                                         "name", k[i].name, "revoked", (int)k[i].revoked));
  }
  free(k);
  api__reply_json(x->reply, 200, json_pack("{s:o}", "keys", arr), x->ka);
}

static void get_instruments(struct ctx *x) {
  struct ledger_instrument *in = calloc(INSTRUMENTS_MAX, sizeof *in);
  if (!in) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long n = ledger_instruments(x->srv->ledger, in, INSTRUMENTS_MAX);
  if (n < 0) {
    free(in);
    return fail(x, (int)n, NULL);
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) {
    const char *kind = proto_instrument_kind_name(in[i].kind);
    json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I}", "code", in[i].code,
                                         "kind", kind ? kind : "unknown", "vintage", in[i].vintage,
                                         "first_year", in[i].first_year, "last_year", in[i].last_year,
                                         "cap", (json_int_t)in[i].cap, "issued", (json_int_t)in[i].issued,
                                         "surrendered", (json_int_t)in[i].surrendered,
                                         "cancelled", (json_int_t)in[i].cancelled,
                                         "carried_over", (json_int_t)in[i].carried_over));
  }
  free(in);
  api__reply_json(x->reply, 200, json_pack("{s:o}", "instruments", arr), x->ka);
}

static json_t *compliance_json(struct ctx *x, const struct ledger_compliance *r) {
  struct ledger_account a;
  memset(&a, 0, sizeof a);
  ledger_account_get(x->srv->ledger, r->account, &a);
  const char *status = ledger_compliance_status_name(r->status);
  return json_pack("{s:I,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:s}", "account", (json_int_t)r->account,
                   "uscc", a.uscc, "name", a.name, "province", (int)a.province, "emissions",
                   (json_int_t)r->emissions, "surrendered_cea", (json_int_t)r->surrendered_cea,
                   "surrendered_ccer", (json_int_t)r->surrendered_ccer, "counted",
                   (json_int_t)r->counted, "shortfall", (json_int_t)r->shortfall, "status",
                   status ? status : "unknown");
}

static void get_compliance(struct ctx *x, const char *year_text) {
  uint64_t year;
  if (daemon_parse_u64(year_text, &year) || year < PROTO_YEAR_MIN || year > PROTO_YEAR_MAX)
    return fail(x, PROTO_E_BAD_YEAR, NULL);
  struct ledger_year y;
  int rc = ledger_year_get(x->srv->ledger, (unsigned)year, &y);
  if (rc == PROTO_E_NOT_FOUND || rc == PROTO_E_UNKNOWN_YEAR)
    return daemon_reply_error_as(x->reply, 404, PROTO_E_UNKNOWN_YEAR, NULL, x->ka);
  if (rc) return fail(x, rc, NULL);
  struct ledger_compliance *c = calloc(PAGE_MAX, sizeof *c);
  if (!c) return fail(x, PROTO_E_NO_MEMORY, NULL);
  json_t *arr = json_array();
  uint64_t after = 0, now = daemon_now_ms();
  for (unsigned pages = 0; pages < 100000; pages++) { /* bounded: 10^8 enterprises */
    long n = ledger_compliance(x->srv->ledger, (unsigned)year, now, after, c, PAGE_MAX);
    if (n < 0) {
      free(c);
      json_decref(arr);
      return fail(x, (int)n, NULL);
    }
    for (long i = 0; i < n; i++) json_array_append_new(arr, compliance_json(x, &c[i]));
    if (n < PAGE_MAX) break;
    after = c[n - 1].account;
  }
  free(c);
  api__reply_json(x->reply, 200, json_pack("{s:i,s:I,s:o}", "year", (int)year, "deadline_ms",
                                          (json_int_t)y.deadline_ms, "enterprises", arr), x->ka);
}

static void get_entries(struct ctx *x) {
  if (!x->srv->cfg->public_log) {
    if (!need_principal(x, true)) return;
    if (!daemon_may_read_all(&x->p)) return fail(x, PROTO_E_FORBIDDEN, "entries are for the operator and auditors");
  }
  uint64_t start, limit;
  char tmp[32];
  if (daemon_query_get(x->r->query, "start", tmp, sizeof tmp) < 0 || api__query_u64(x->r, "start", 0, &start))
    return fail(x, PROTO_E_BAD_ARGUMENT, "start");
  int rc = page_limit(x, &limit);
  if (rc) return fail(x, rc, "limit is 1..1000");
  uint64_t size = ledger_tree_size(x->srv->ledger);
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX), *legs = malloc(PROTO_LEGS_BYTES_MAX);
  if (!leaf || !legs) {
    free(leaf);
    free(legs);
    return fail(x, PROTO_E_NO_MEMORY, NULL);
  }
  json_t *arr = json_array();
  for (uint64_t i = start; i < size && i - start < limit; i++) {
    long len = ledger_entry_get(x->srv->ledger, i, leaf, PROTO_ENTRY_BYTES_MAX);
    json_t *e = len > 0 ? api__entry_json(leaf, (size_t)len, true) : NULL;
    if (!e && len > 0) e = json_pack("{s:I,s:o}", "index", (json_int_t)i, "leaf", api__b64(leaf, (size_t)len));
    /* the operator and auditors also get a version 2 settle's legs, for exports and audits */
    long llen = e && daemon_may_read_all(&x->p) ? ledger_entry_legs(x->srv->ledger, i, legs, PROTO_LEGS_BYTES_MAX) : 0;
    if (llen > 0) json_object_set_new(e, "legs_blob", api__b64(legs, (size_t)llen));
    json_array_append_new(arr, e ? e : json_null());
  }
  free(leaf);
  free(legs);
  api__reply_json(x->reply, 200, json_pack("{s:o}", "entries", arr), x->ka);
}

/* /v1/tx/{id} and /v1/tx/{id}/legs */
static void get_tx(struct ctx *x, const char *hex) {
  if (!need_principal(x, false)) return;
  uint8_t id[PROTO_ID_BYTES];
  bool legs = strlen(hex) == 2 * PROTO_ID_BYTES + 5 && !strcmp(hex + 2 * PROTO_ID_BYTES, "/legs");
  size_t hex_len = legs ? 2 * PROTO_ID_BYTES : strlen(hex);
  if (hex_len != 2 * PROTO_ID_BYTES || proto_hex_decode(hex, hex_len, id, sizeof id) != PROTO_ID_BYTES)
    return fail(x, PROTO_E_BAD_HEX, "the id is 32 hex digits");
  uint64_t index;
  int rc = ledger_tx_lookup(x->srv->ledger, id, &index);
  if (rc) return fail(x, rc, NULL);
  if (legs) return api__tx_legs(x->srv, &x->p, index, x->reply, x->ka);
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
  if (!leaf) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long len = ledger_entry_get(x->srv->ledger, index, leaf, PROTO_ENTRY_BYTES_MAX);
  if (len < 0) {
    free(leaf);
    return fail(x, (int)len, NULL);
  }
  if (!api__entry_readable(x->srv, &x->p, leaf, (size_t)len)) {
    free(leaf);
    return fail(x, x->p.authenticated ? PROTO_E_FORBIDDEN : PROTO_E_UNAUTHORIZED, NULL);
  }
  json_t *e = api__entry_json_for(x->srv, &x->p, leaf, (size_t)len, true);
  free(leaf);
  if (!e) return fail(x, PROTO_E_CORRUPT, "stored entry does not decode");
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o}", "index", (json_int_t)index, "entry", e), x->ka);
}

static void get_checkpoint(struct ctx *x) {
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  /* A tree that conflicts with a checkpoint learned at start signs nothing new, and its own
   * (smaller or another history) is not shown as the registry's latest. */
  if (x->srv->checkpoint_hidden) return fail(x, PROTO_E_READ_ONLY, x->srv->read_only_why);
  long n = ledger_checkpoint_latest(x->srv->ledger, note, sizeof note);
  if (n < 0) return fail(x, (int)n, "no checkpoint yet");
  daemon_reply_set(x->reply, 200, "text/plain; charset=utf-8", note, (size_t)n, x->ka);
}

static void get_log(struct ctx *x) {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  int rc = ledger_log_public_key(x->srv->ledger, pub);
  /* Before the genesis the log key is still the one quotad was started with: a client needs
   * it to write the genesis. */
  if (rc == PROTO_E_NOT_FOUND) memcpy(pub, x->srv->log_public_key, sizeof pub);
  else if (rc) return fail(x, rc, NULL);
  const char *origin = ledger_origin(x->srv->ledger);
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX] = "";
  if (origin[0] && tlog_verifier_key(origin, pub, vkey, sizeof vkey) < 0) vkey[0] = '\0';
  api__reply_json(x->reply, 200, json_pack("{s:s,s:s,s:o,s:I}", "origin", origin, "verifier_key", vkey,
                                          "public_key", api__b64(pub, sizeof pub), "tree_size",
                                          (json_int_t)ledger_tree_size(x->srv->ledger)), x->ka);
}

static json_t *hashes_json(uint8_t (*h)[PROTO_HASH_BYTES], size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, api__b64(h[i], PROTO_HASH_BYTES));
  return arr;
}

static void get_inclusion(struct ctx *x) {
  uint64_t index, size;
  char tmp[32];
  if (daemon_query_get(x->r->query, "index", tmp, sizeof tmp) < 0 || daemon_query_get(x->r->query, "tree_size", tmp, sizeof tmp) < 0 ||
      api__query_u64(x->r, "index", 0, &index) || api__query_u64(x->r, "tree_size", 0, &size))
    return fail(x, PROTO_E_BAD_ARGUMENT, "index and tree_size are required");
  if (!x->srv->cfg->public_log) {
    if (!need_principal(x, true)) return;
    uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
    if (!leaf) return fail(x, PROTO_E_NO_MEMORY, NULL);
    long len = index < ledger_tree_size(x->srv->ledger) ? ledger_entry_get(x->srv->ledger, index, leaf, PROTO_ENTRY_BYTES_MAX) : PROTO_E_BAD_ARGUMENT;
    bool ok = len > 0 && api__entry_readable(x->srv, &x->p, leaf, (size_t)len);
    free(leaf);
    if (len < 0) return fail(x, PROTO_E_BAD_ARGUMENT, "index out of range");
    if (!ok) return fail(x, PROTO_E_FORBIDDEN, NULL);
  }
  uint8_t h[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  int rc = ledger_proof_inclusion(x->srv->ledger, index, size, h, &n);
  if (rc) return fail(x, rc, NULL);
  api__reply_json(x->reply, 200, json_pack("{s:I,s:I,s:o}", "index", (json_int_t)index, "tree_size",
                                          (json_int_t)size, "hashes", hashes_json(h, n)), x->ka);
}

static void get_consistency(struct ctx *x) {
  uint64_t first, second;
  char tmp[32];
  if (daemon_query_get(x->r->query, "first", tmp, sizeof tmp) < 0 || daemon_query_get(x->r->query, "second", tmp, sizeof tmp) < 0 ||
      api__query_u64(x->r, "first", 0, &first) || api__query_u64(x->r, "second", 0, &second))
    return fail(x, PROTO_E_BAD_ARGUMENT, "first and second are required");
  uint8_t h[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  int rc = ledger_proof_consistency(x->srv->ledger, first, second, h, &n);
  if (rc) return fail(x, rc, NULL);
  api__reply_json(x->reply, 200, json_pack("{s:I,s:I,s:o}", "first", (json_int_t)first, "second",
                                          (json_int_t)second, "hashes", hashes_json(h, n)), x->ka);
}

static void get_metrics(struct ctx *x) {
  if (!x->p.local && !x->c->metrics_only && !daemon_metrics_token_ok(x->r->authorization)) {
    if (!need_principal(x, true)) return;
    if (x->p.role != PROTO_ROLE_OPERATOR)
      return fail(x, PROTO_E_FORBIDDEN, "metrics: Unix socket, metrics.listen, bearer token or operator");
  }
  struct daemon_buf b = {0};
  uint64_t now = daemon_now_ms();
  struct ledger_stats st = {0};
  ledger_stats(x->srv->ledger, &st);
  struct daemon_gauges g = {
      .tree_size = ledger_tree_size(x->srv->ledger),
      .checkpoint_age_s = now > x->srv->last_commit_ms ? (now - x->srv->last_commit_ms) / 1000 : 0,
      .connections = x->srv->conn_count, .map_bytes = st.map_bytes,
      .map_used_bytes = st.used_bytes, .map_bytes_max = st.map_bytes_max,
      .start_time_s = x->srv->start_time_s};
  g.published_size = g.tree_size; /* every signed checkpoint is published at once today */
  g.read_only = __atomic_load_n(&x->srv->read_only, __ATOMIC_ACQUIRE);
  g.standby_diverged = __atomic_load_n(&x->srv->follow_failed, __ATOMIC_ACQUIRE);
  g.standby_away = x->srv->standby_alone || x->srv->standby_stalled;
  int rc = daemon_metrics_render(&b, &g);
  if (rc) {
    daemon_buf_free(&b);
    return fail(x, rc, NULL);
  }
  daemon_reply_set(x->reply, 200, "text/plain; version=0.0.4", b.data, b.len, x->ka);
  daemon_buf_free(&b);
}

static unsigned route_get(struct ctx *x) {
  const char *p = x->r->path;
  x->p.local = x->c->kind == DAEMON_CONN_UNIX;
  if (!strcmp(p, "/healthz")) {
    bool ro = __atomic_load_n(&x->srv->read_only, __ATOMIC_ACQUIRE);
    json_t *h = json_pack("{s:s,s:I}", "status", ro ? "read_only" : "ok", "tree_size",
                          (json_int_t)ledger_tree_size(x->srv->ledger));
    if (ro) json_object_set_new(h, "detail", json_string(x->srv->read_only_why));
    if (x->srv->cfg->standby_sync) {
      const struct daemon_server *s = x->srv;
      json_object_set_new(h, "standby", json_pack("{s:s,s:I}", "state", s->standby_stalled ? "away, writes stall" :
                          s->standby_alone ? "away, going on alone" : "sync", "confirmed", (json_int_t)s->standby_confirmed));
    }
    if (x->srv->cfg->follow[0]) {
      bool failed = __atomic_load_n(&x->srv->follow_failed, __ATOMIC_ACQUIRE);
      json_object_set_new(h, "role", json_string("standby"));
      json_object_set_new(h, "primary", json_string(x->srv->cfg->follow));
      if (failed) json_object_set_new(h, "status", json_string("diverged"));
      if (failed) json_object_set_new(h, "detail", json_string(x->srv->follow_why));
    }
    api__reply_json(x->reply, 200, h, x->ka);
    return DAEMON_EP_HEALTHZ;
  }
  if (!strcmp(p, "/metrics")) return get_metrics(x), DAEMON_EP_METRICS;
  if (!strcmp(p, "/v1/log")) return get_log(x), DAEMON_EP_LOG;
  if (!strcmp(p, "/v1/checkpoint")) return get_checkpoint(x), DAEMON_EP_CHECKPOINT;
  if (!strcmp(p, "/v1/instruments")) return get_instruments(x), DAEMON_EP_INSTRUMENTS;
  if (!strcmp(p, "/v1/keys")) return get_keys(x), DAEMON_EP_KEYS;
  if (!strcmp(p, "/v1/accounts")) return get_accounts(x), DAEMON_EP_ACCOUNTS;
  if (!strcmp(p, "/v1/entries")) return get_entries(x), DAEMON_EP_ENTRIES;
  if (!strcmp(p, "/v1/stream")) {
    if (need_principal(x, true)) daemon_standby_stream(x->srv, &x->p, x->r, x->reply, x->ka);
    return DAEMON_EP_ENTRIES;
  }
  if (!strcmp(p, "/v1/proof/inclusion")) return get_inclusion(x), DAEMON_EP_INCLUSION;
  if (!strcmp(p, "/v1/proof/consistency")) return get_consistency(x), DAEMON_EP_CONSISTENCY;
  if (!strncmp(p, "/v1/compliance/", 15)) return get_compliance(x, p + 15), DAEMON_EP_COMPLIANCE;
  if (!strncmp(p, "/v1/tx/", 7) && strcmp(p, "/v1/tx/encode") != 0) return get_tx(x, p + 7), DAEMON_EP_TX_GET;
  if (!strncmp(p, "/v1/accounts/", 13)) {
    const char *rest = p + 13, *slash = strchr(rest, '/');
    get_account(x, rest);
    if (!slash) return DAEMON_EP_ACCOUNT;
    return !strcmp(slash, "/history") ? DAEMON_EP_HISTORY : DAEMON_EP_BALANCES;
  }
  if (!strcmp(p, "/v1/tx") || !strcmp(p, "/v1/tx/encode")) {
    daemon_reply_error_as(x->reply, 405, PROTO_E_BAD_REQUEST, "use POST", x->ka);
    return DAEMON_EP_OTHER;
  }
  fail(x, PROTO_E_NOT_FOUND, "no such endpoint");
  return DAEMON_EP_OTHER;
}

int daemon_api_handle(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                      struct daemon_reply *reply) {
  struct ctx x = {.srv = srv, .c = c, .r = r, .reply = reply, .ka = r->keep_alive && !srv->stopping};
  if (c->metrics_only && !(r->method == DAEMON_GET && (!strcmp(r->path, "/metrics") ||
                                                      !strcmp(r->path, "/healthz")))) {
    reply->endpoint = DAEMON_EP_OTHER;
    fail(&x, PROTO_E_NOT_FOUND, "this listener serves /metrics and /healthz only");
    return DAEMON_DONE;
  }
  if (r->method == DAEMON_POST && !strcmp(r->path, "/v1/tx")) {
    reply->endpoint = DAEMON_EP_TX;
    if (srv->cfg->follow[0]) {
      char primary[320];
      snprintf(primary, sizeof primary, "primary: %s", srv->cfg->follow);
      fail(&x, PROTO_E_STANDBY, primary);
      return DAEMON_DONE;
    }
    if (srv->standby_stalled) {
      fail(&x, PROTO_E_STANDBY_AWAY, "the synchronous standby is away and standby.required is set: writes stall until it confirms");
      return DAEMON_DONE;
    }
    if (__atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE)) {
      fail(&x, PROTO_E_READ_ONLY, srv->read_only_why);
      return DAEMON_DONE;
    }
    return api__tx_submit(srv, c, r, reply);
  }
  if (r->method == DAEMON_POST && !strcmp(r->path, "/v1/admin/promote")) {
    reply->endpoint = DAEMON_EP_OTHER;
    x.p.local = c->kind == DAEMON_CONN_UNIX;
    if (need_principal(&x, !x.p.local)) daemon_standby_promote(srv, &x.p, reply, x.ka);
    return DAEMON_DONE;
  }
  if (r->method == DAEMON_POST && !strcmp(r->path, "/v1/tx/encode")) {
    reply->endpoint = DAEMON_EP_TX_ENCODE;
    api__tx_encode(srv, r, reply);
    return DAEMON_DONE;
  }
  if (r->method != DAEMON_GET) {
    reply->endpoint = DAEMON_EP_OTHER;
    daemon_reply_error_as(reply, 405, PROTO_E_BAD_REQUEST, "method not allowed", x.ka);
    return DAEMON_DONE;
  }
  reply->endpoint = route_get(&x);
  return DAEMON_DONE;
}
