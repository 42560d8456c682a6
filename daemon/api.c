/* api: the route table of the HTTP API v1 and the read endpoints (each a short read-only LMDB
 * transaction inside the ledger calls). Writes are in api_tx.c. */
#include <stdio.h>

#include "proto/proto_json.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api_util.h"
#include "daemon/web.h"
#include "daemon/publish.h"

/* Pages: every list answers at most PAGE_MAX rows (PAGE_DEFAULT without ?limit=) and a "next"
 * cursor naming only a row the reader was shown. */
enum { PAGE_DEFAULT = 100, PAGE_MAX = 1000, INSTRUMENTS_MAX = 1024, ROUTE_ARG_BYTES = 128 };
/* Keys are read from the ledger this many at a time while a page of visible ones fills. */
enum { KEYS_SCAN_ROWS = 256 };

struct ctx {
  struct daemon_server *srv;
  struct daemon_conn *c;
  struct daemon_request *r;
  struct daemon_reply *reply;
  struct daemon_principal p;
  bool ka;                     /* keep-alive */
  bool park;                   /* a GET that waits (the stream): DAEMON_PARK, no reply yet */
  char arg[ROUTE_ARG_BYTES];   /* the path segment a route's {} matched */
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

/* A representative sees one account, its own: the list is that account when it passes the
 * filters, and never a cursor (which would name whatever id comes next). */
static void list_own_account(struct ctx *x, uint64_t after, unsigned kind, unsigned province) {
  struct ledger_account a;
  json_t *arr = json_array();
  int rc = ledger_account_get(x->srv->ledger, x->p.scope, &a);
  if (rc && rc != PROTO_E_NOT_FOUND) {
    json_decref(arr);
    return fail(x, rc, NULL);
  }
  if (!rc && a.id > after && (!kind || a.kind == kind) && (!province || a.province == province))
    json_array_append_new(arr, api__account_json(&a));
  api__reply_json(x->reply, 200, json_pack("{s:o,s:n}", "accounts", arr, "next"), x->ka);
}

static void get_accounts(struct ctx *x) {
  uint64_t after, limit, kind = 0, province;
  int rc = page_limit(x, &limit);
  if (!rc && (api__query_u64(x->r, "after", 0, &after) || api__query_u64(x->r, "province", 0, &province)))
    rc = PROTO_E_BAD_ARGUMENT;
  char kname[32];
  if (!rc && daemon_query_get(x->r->query, "kind", kname, sizeof kname) >= 0 &&
      !(kind = proto_account_kind_from_name(kname)))
    rc = PROTO_E_BAD_ENUM;
  if (rc) return fail(x, rc, "query");
  if (x->p.role == PROTO_ROLE_AUTHORITY && !daemon_may_read_all(&x->p)) {
    if (province && province != x->p.scope) return fail(x, PROTO_E_FORBIDDEN, "another province");
    province = x->p.scope; /* the ledger's filter is then the reader's right: every row visible */
  } else if (x->p.role == PROTO_ROLE_REPRESENTATIVE && !daemon_may_read_all(&x->p)) {
    return list_own_account(x, after, (unsigned)kind, (unsigned)province);
  } else if (!daemon_may_read_all(&x->p)) {
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
  uint64_t last = 0; /* the cursor names only an account this reader was shown */
  for (long i = 0; i < n; i++) {
    if (!daemon_may_read_account(&x->p, a[i].id, a[i].province)) continue;
    json_array_append_new(arr, api__account_json(&a[i]));
    last = a[i].id;
  }
  json_t *next = (uint64_t)n == limit && last ? api__u64(last) : json_null();
  free(a);
  api__reply_json(x->reply, 200, json_pack("{s:o,s:o}", "accounts", arr, "next", next), x->ka);
}

/* What the freeze orders in force now bind in each row's holding, by the positions they cover
 * (bound[row][enum proto_cover]); the orders are read a page at a time. */
static int orders_bound(struct ctx *x, uint64_t account, const struct ledger_balance *b, long n,
                        uint64_t (*bound)[4]) {
  struct ledger_freeze_order *o = malloc(PAGE_MAX * sizeof(*o));
  if (!o) return PROTO_E_NO_MEMORY;
  uint64_t now = daemon_now_ms();
  long got = 0;
  const uint8_t *after = NULL;
  uint8_t last[PROTO_ID_BYTES];
  do {
    got = ledger_freeze_orders(x->srv->ledger, account, after, o, PAGE_MAX);
    for (long i = 0; i < got; i++) {
      for (long r = 0; r < n && ledger_freeze_order_in_force(&o[i], now); r++)
        if (strcmp(b[r].instrument, o[i].instrument) == 0)
          bound[r][o[i].positions] += o[i].quantity - o[i].lifted;
    }
    if (got > 0) memcpy(last, o[got - 1].id, PROTO_ID_BYTES);
    after = last;
  } while (got == PAGE_MAX);
  free(o);
  return got < 0 ? (int)got : 0;
}

/* frozen: what version 1 freezes hold (ledger state, as the audit replays it); frozen_by_orders:
 * what the freeze orders in force bind at the time of the read; available / trading_available:
 * what may leave the account from each position now. */
static json_t *balance_json(const struct ledger_balance *b, const uint64_t bound[4]) {
  uint64_t reg = b->frozen + bound[PROTO_COVER_REGISTRY], trd = bound[PROTO_COVER_TRADING];
  uint64_t orders = bound[PROTO_COVER_REGISTRY] + trd + bound[PROTO_COVER_BOTH];
  uint64_t all = b->frozen + orders, held = b->registry + b->trading;
  uint64_t spare = held > all ? held - all : 0;
  uint64_t avail = b->registry > reg ? b->registry - reg : 0;
  uint64_t tavail = b->trading > trd ? b->trading - trd : 0;
  return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "instrument", b->instrument, "registry",
                   (json_int_t)b->registry, "trading", (json_int_t)b->trading, "frozen",
                   (json_int_t)b->frozen, "frozen_by_orders", (json_int_t)orders, "available",
                   (json_int_t)(avail < spare ? avail : spare), "trading_available",
                   (json_int_t)(tavail < spare ? tavail : spare));
}

static void get_balances(struct ctx *x, const struct ledger_account *a) {
  struct ledger_balance b[INSTRUMENTS_MAX];
  long n = ledger_balances(x->srv->ledger, a->id, b, INSTRUMENTS_MAX);
  if (n < 0) return fail(x, (int)n, NULL);
  uint64_t (*bound)[4] = calloc((size_t)n + 1, sizeof(*bound));
  if (!bound) return fail(x, PROTO_E_NO_MEMORY, NULL);
  int rc = orders_bound(x, a->id, b, n, bound);
  if (rc) {
    free(bound);
    return fail(x, rc, NULL);
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) json_array_append_new(arr, balance_json(&b[i], bound[i]));
  free(bound);
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o}", "account", (json_int_t)a->id, "balances", arr), x->ka);
}

/* One freeze order as docs/API.md shows it; in_force is judged at the time of the read. */
static json_t *freeze_order_json(const struct ledger_freeze_order *o, uint64_t now_ms) {
  char id[2 * PROTO_ID_BYTES + 1];
  proto_hex_encode(o->id, PROTO_ID_BYTES, id, sizeof id);
  return json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:b,s:I,s:s}", "id", id, "instrument", o->instrument,
                   "positions", proto_cover_name(o->positions), "quantity", (json_int_t)o->quantity,
                   "lifted", (json_int_t)o->lifted,
                   "expiry_ms", o->expiry_ms ? api__u64(o->expiry_ms) : json_null(), "in_force",
                   ledger_freeze_order_in_force(o, now_ms), "index", (json_int_t)o->index,
                   "legal_ref", o->legal_ref);
}

/* A page of an account's freeze orders, in id order; ?after=ID (32 hex) continues a page. */
static void get_freeze_orders(struct ctx *x, const struct ledger_account *a) {
  uint64_t limit;
  char after_hex[2 * PROTO_ID_BYTES + 2];
  uint8_t after[PROTO_ID_BYTES];
  int rc = page_limit(x, &limit);
  if (rc) return fail(x, rc, "query");
  long q = daemon_query_get(x->r->query, "after", after_hex, sizeof after_hex);
  if (q >= 0 && proto_hex_decode(after_hex, (size_t)q, after, sizeof after) != PROTO_ID_BYTES)
    return fail(x, PROTO_E_BAD_ARGUMENT, "after");
  if (q < 0 && q != PROTO_E_NOT_FOUND) return fail(x, PROTO_E_BAD_ARGUMENT, "after");
  struct ledger_freeze_order *o = malloc(limit * sizeof(*o));
  if (!o) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long n = ledger_freeze_orders(x->srv->ledger, a->id, q >= 0 ? after : NULL, o, limit);
  if (n < 0) {
    free(o);
    return fail(x, (int)n, NULL);
  }
  json_t *arr = json_array();
  uint64_t now = daemon_now_ms();
  for (long i = 0; i < n; i++) json_array_append_new(arr, freeze_order_json(&o[i], now));
  char last[2 * PROTO_ID_BYTES + 1];
  if (n > 0) proto_hex_encode(o[n - 1].id, PROTO_ID_BYTES, last, sizeof last);
  json_t *next = (uint64_t)n == limit && n > 0 ? json_string(last) : json_null();
  free(o);
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o,s:o}", "account", (json_int_t)a->id,
                                           "freeze_orders", arr, "next", next), x->ka);
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
    if (!e) {
      /* A stored entry that cannot be read or decoded is damage, never a null in a 200. */
      free(leaf);
      json_decref(arr);
      return fail(x, len < 0 && len != PROTO_E_NOT_FOUND ? (int)len : PROTO_E_CORRUPT, "a stored entry");
    }
    json_array_append_new(arr, e);
  }
  free(leaf);
  json_t *next = (uint64_t)n == limit ? api__u64(idx[n - 1]) : json_null();
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o,s:o}", "account", (json_int_t)a->id, "entries", arr, "next", next), x->ka);
}

/* The account the route's {ref} names, if this reader may see it. Absent and not visible give
 * the same 404, so a reader cannot learn whether an id, USCC or province account exists. */
static bool route_account(struct ctx *x, struct ledger_account *a) {
  int rc = account_lookup(x, x->arg, a);
  if (rc == 0 && !daemon_may_read_account(&x->p, a->id, a->province)) rc = PROTO_E_NOT_FOUND;
  if (rc == PROTO_E_NOT_FOUND) {
    fail(x, rc, "no such account");
    return false;
  }
  if (rc) fail(x, rc, NULL);
  return rc == 0;
}

static void get_account(struct ctx *x) {
  struct ledger_account a;
  if (route_account(x, &a)) api__reply_json(x->reply, 200, api__account_json(&a), x->ka);
}

static void get_account_balances(struct ctx *x) {
  struct ledger_account a;
  if (route_account(x, &a)) get_balances(x, &a);
}

static void get_account_freeze_orders(struct ctx *x) {
  struct ledger_account a;
  if (route_account(x, &a)) get_freeze_orders(x, &a);
}

static void get_account_history(struct ctx *x) {
  struct ledger_account a;
  if (route_account(x, &a)) get_history(x, &a);
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

static json_t *key_json(const struct ledger_key *k) {
  const char *role = proto_role_name(k->role);
  return json_pack("{s:o,s:o,s:s,s:I,s:s,s:b}", "hash", api__b64(k->hash, PROTO_HASH_BYTES),
                   "public_key", api__b64(k->public_key, PROTO_PUBKEY_BYTES), "role",
                   role ? role : "unknown", "scope", (json_int_t)k->scope, "name", k->name,
                   "revoked", (int)k->revoked);
}

/* ?after=<hex hash>&limit=: keys past after that this reader may see, up to limit. Rows it may
 * not see are skipped (the scan goes on to fill the page), and "next" is the hash of the last
 * key shown, so the cursor never names another's key. */
static void get_keys(struct ctx *x) {
  uint64_t limit;
  uint8_t after[PROTO_HASH_BYTES];
  char hex[2 * PROTO_HASH_BYTES + 2];
  long alen = daemon_query_get(x->r->query, "after", hex, sizeof hex);
  int rc = page_limit(x, &limit);
  if (!rc && alen != PROTO_E_NOT_FOUND &&
      (alen != 2 * PROTO_HASH_BYTES || proto_hex_decode(hex, (size_t)alen, after, sizeof after) != PROTO_HASH_BYTES))
    rc = PROTO_E_BAD_ARGUMENT;
  if (rc) return fail(x, rc, "after is a key hash in hex, limit 1..1000");
  struct ledger_key *k = calloc(KEYS_SCAN_ROWS, sizeof *k);
  if (!k) return fail(x, PROTO_E_NO_MEMORY, NULL);
  json_t *arr = json_array();
  const uint8_t *cursor = alen == PROTO_E_NOT_FOUND ? NULL : after;
  uint8_t last[PROTO_HASH_BYTES];
  size_t shown = 0;
  for (long n = KEYS_SCAN_ROWS; shown < limit && n == KEYS_SCAN_ROWS;) { /* every scan advances */
    n = ledger_keys(x->srv->ledger, cursor, k, KEYS_SCAN_ROWS);
    if (n < 0) {
      free(k);
      json_decref(arr);
      return fail(x, (int)n, NULL);
    }
    for (long i = 0; i < n && shown < limit; i++) {
      memcpy(after, k[i].hash, PROTO_HASH_BYTES);
      cursor = after;
      if (!key_visible(x, &k[i])) continue;
      json_array_append_new(arr, key_json(&k[i]));
      memcpy(last, k[i].hash, PROTO_HASH_BYTES);
      shown++;
    }
  }
  free(k);
  char next[2 * PROTO_HASH_BYTES + 1];
  if (shown == limit) proto_hex_encode(last, PROTO_HASH_BYTES, next, sizeof next);
  api__reply_json(x->reply, 200, json_pack("{s:o,s:o}", "keys", arr, "next", shown == limit ? json_string(next) : json_null()), x->ka);
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
  const char *sector = proto_sector_name(a.sector);
  json_t *o = json_pack("{s:I,s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:b}", "account",
                   (json_int_t)r->account,
                   "uscc", a.uscc, "name", a.name, "province", (int)a.province, "sector",
                   sector ? sector : "unknown", "emissions",
                   (json_int_t)r->emissions, "surrendered_cea", (json_int_t)r->surrendered_cea,
                   "surrendered_ccer", (json_int_t)r->surrendered_ccer, "counted",
                   (json_int_t)r->counted, "shortfall", (json_int_t)r->shortfall, "status",
                   status ? status : "unknown", "corrected", r->corrected);
  /* a late raise gave the enterprise its own deadline: its status is judged by that date */
  if (o && r->own_deadline_ms) json_object_set_new(o, "deadline_ms", api__u64(r->own_deadline_ms));
  return o;
}

/* One page of a year's compliance as JSON text (malloc'd), or NULL with *err set. */
static char *compliance_page(struct ctx *x, const struct ledger_year *y, uint64_t after,
                             uint64_t limit, uint64_t now, int *err) {
  struct ledger_compliance *c = calloc(limit, sizeof *c);
  if (!c) {
    *err = PROTO_E_NO_MEMORY;
    return NULL;
  }
  long n = ledger_compliance(x->srv->ledger, y->year, now, after, c, limit);
  if (n < 0) {
    free(c);
    *err = (int)n;
    return NULL;
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) json_array_append_new(arr, compliance_json(x, &c[i]));
  json_t *next = (uint64_t)n == limit ? api__u64(c[n - 1].account) : json_null();
  free(c);
  json_t *j = json_pack("{s:i,s:I,s:o,s:o}", "year", (int)y->year, "deadline_ms",
                        (json_int_t)y->deadline_ms, "enterprises", arr, "next", next);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  *err = text ? 0 : PROTO_E_NO_MEMORY;
  return text;
}

/* Public and large (a row per enterprise): paged, and each page is rendered once per state of
 * the ledger. A page stays right until the tree grows (every change is an entry) or the year's
 * deadline passes (statuses are evaluated against the time of the read); after it, an
 * enterprise's own deadline (a late correction's) may pass too, so a page lives one minute. */
static void get_compliance(struct ctx *x) {
  uint64_t year, after, limit;
  if (daemon_parse_u64(x->arg, &year) || year < PROTO_YEAR_MIN || year > PROTO_YEAR_MAX)
    return fail(x, PROTO_E_BAD_YEAR, NULL);
  int rc = page_limit(x, &limit);
  if (!rc && api__query_u64(x->r, "after", 0, &after)) rc = PROTO_E_BAD_ARGUMENT;
  if (rc) return fail(x, rc, "after is an account id, limit 1..1000");
  struct ledger_year y;
  rc = ledger_year_get(x->srv->ledger, (unsigned)year, &y);
  if (rc == PROTO_E_NOT_FOUND || rc == PROTO_E_UNKNOWN_YEAR)
    return daemon_reply_error_as(x->reply, 404, PROTO_E_UNKNOWN_YEAR, NULL, x->ka);
  if (rc) return fail(x, rc, NULL);
  uint64_t now = daemon_now_ms(), size = ledger_tree_size(x->srv->ledger);
  uint64_t key[4] = {0x636f6d706c79u /* "comply" */, year, after, limit};
  uint64_t epoch = now > y.deadline_ms ? 1 + now / 60000 : 0; /* before, or the minute after */
  const char *body;
  size_t len;
  if (daemon_cache_get(&x->srv->cache, key, sizeof key, size, epoch, &body, &len))
    return daemon_reply_set(x->reply, 200, "application/json", body, len, x->ka);
  char *text = compliance_page(x, &y, after, limit, now, &rc);
  if (!text) return fail(x, rc, NULL);
  len = strlen(text);
  daemon_cache_put(&x->srv->cache, key, sizeof key, size, epoch, text, len);
  daemon_reply_set(x->reply, 200, "application/json", text, len, x->ka);
  free(text);
}

static void get_entries(struct ctx *x) {
  if (!x->srv->cfg->public_log && !daemon_may_read_all(&x->p))
    return fail(x, PROTO_E_FORBIDDEN, "entries are for the operator and auditors");
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
    if (len <= 0) {
      /* An entry below the tree size that cannot be read is damage: an error, never a null. */
      free(leaf);
      free(legs);
      json_decref(arr);
      return fail(x, len < 0 && len != PROTO_E_NOT_FOUND ? (int)len : PROTO_E_CORRUPT, "a stored entry");
    }
    /* A leaf that does not decode is still served as its bytes: the auditor's tools judge it. */
    json_t *e = api__entry_json(leaf, (size_t)len, true);
    if (!e) e = json_pack("{s:I,s:o}", "index", (json_int_t)i, "leaf", api__b64(leaf, (size_t)len));
    /* the operator and auditors also get a version 2 settle's legs, for exports and audits */
    long llen = daemon_may_read_all(&x->p) ? ledger_entry_legs(x->srv->ledger, i, legs, PROTO_LEGS_BYTES_MAX) : 0;
    if (llen > 0) json_object_set_new(e, "legs_blob", api__b64(legs, (size_t)llen));
    json_array_append_new(arr, e);
  }
  free(leaf);
  free(legs);
  api__reply_json(x->reply, 200, json_pack("{s:o}", "entries", arr), x->ka);
}

/* /v1/tx/{id} and /v1/tx/{id}/legs. What a reader learns of an id it may not see is what it
 * learns of an id that does not exist: anonymous readers of a non-public log get 401 before any
 * lookup, and a key that may not read the entry gets the same 404 as for an unknown id (else 404
 * vs 403 would tell an outsider whether a given claw-back exists). */
static void tx_answer(struct ctx *x, bool legs) {
  if (!need_principal(x, !x->srv->cfg->public_log)) return;
  const char *hex = x->arg;
  uint8_t id[PROTO_ID_BYTES];
  size_t hex_len = strlen(hex);
  if (hex_len != 2 * PROTO_ID_BYTES || proto_hex_decode(hex, hex_len, id, sizeof id) != PROTO_ID_BYTES)
    return fail(x, PROTO_E_BAD_HEX, "the id is 32 hex digits");
  uint64_t index;
  int rc = ledger_tx_lookup(x->srv->ledger, id, &index);
  if (rc == PROTO_E_NOT_FOUND) return fail(x, rc, "no such transaction");
  if (rc) return fail(x, rc, NULL);
  if (legs) return api__tx_legs(x->srv, &x->p, index, x->reply, x->ka);
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX);
  if (!leaf) return fail(x, PROTO_E_NO_MEMORY, NULL);
  long len = ledger_entry_get(x->srv->ledger, index, leaf, PROTO_ENTRY_BYTES_MAX);
  if (len < 0) {
    free(leaf);
    return fail(x, len == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : (int)len, "the entry of a known id");
  }
  if (!api__entry_readable(x->srv, &x->p, leaf, (size_t)len)) {
    free(leaf);
    return fail(x, PROTO_E_NOT_FOUND, "no such transaction");
  }
  json_t *e = api__entry_json_for(x->srv, &x->p, leaf, (size_t)len, true);
  free(leaf);
  if (!e) return fail(x, PROTO_E_CORRUPT, "stored entry does not decode");
  api__reply_json(x->reply, 200, json_pack("{s:I,s:o}", "index", (json_int_t)index, "entry", e), x->ka);
}

static void get_tx(struct ctx *x) { tx_answer(x, false); }
static void get_tx_legs(struct ctx *x) { tx_answer(x, true); }

static void get_checkpoint(struct ctx *x) {
  char note[DAEMON_PUBLISHED_BYTES_MAX];
  /* A tree that conflicts with a checkpoint learned at start, or whose checkpoint lost its etcd
   * swap, signs nothing new, and its own is not shown as the registry's latest. */
  if (x->srv->checkpoint_hidden) return fail(x, PROTO_E_READ_ONLY, x->srv->read_only_why);
  long n = daemon_published_checkpoint(x->srv, note, sizeof note);
  if (n < 0) return fail(x, (int)n, "no checkpoint published yet");
  daemon_reply_set(x->reply, 200, "text/plain; charset=utf-8", note, (size_t)n, x->ka);
}

/* C2SP tlog-tiles (api_log.c): the checkpoint and hash tiles are public; entry bundles follow
 * the read rules of /v1/entries. */
static void get_log_checkpoint(struct ctx *x) { api__log_checkpoint(x->srv, x->reply, x->ka); }
static void get_hash_tile(struct ctx *x) { api__log_tile(x->srv, x->arg, false, true, x->reply, x->ka); }
static void get_entry_bundle(struct ctx *x) {
  bool pub = x->srv->cfg->public_log;
  if (!pub && !daemon_may_read_all(&x->p))
    return fail(x, PROTO_E_FORBIDDEN, "entries are for the operator and auditors");
  api__log_tile(x->srv, x->arg, true, pub, x->reply, x->ka);
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
  /* The published checkpoint's size and time, and the witness policy it was published under
   * (null without one: then every signed checkpoint is published as it is signed). */
  const char *policy = daemon_witness_policy_text(x->srv);
  uint64_t pub_ms = daemon_published_time_ms(x->srv);
  json_t *j = json_pack("{s:s,s:s,s:o,s:I,s:{s:I,s:o},s:o}", "origin", origin, "verifier_key", vkey,
                        "public_key", api__b64(pub, sizeof pub), "tree_size",
                        (json_int_t)ledger_tree_size(x->srv->ledger), "published", "size",
                        (json_int_t)daemon_published_size(x->srv), "time_ms",
                        pub_ms ? json_integer((json_int_t)pub_ms) : json_null(), "witness_policy",
                        policy ? json_string(policy) : json_null());
  api__reply_json(x->reply, 200, j, x->ka);
}

/* The two numbers a proof is asked with (index and tree_size, or first and second): both must
 * be given, as decimals. */
static bool proof_query(struct ctx *x, const char *name_a, const char *name_b, uint64_t *a, uint64_t *b) {
  PROTO_ASSERT(name_a && name_b && a && b);
  char tmp[32];
  return daemon_query_get(x->r->query, name_a, tmp, sizeof tmp) >= 0 &&
         daemon_query_get(x->r->query, name_b, tmp, sizeof tmp) >= 0 &&
         !api__query_u64(x->r, name_a, 0, a) && !api__query_u64(x->r, name_b, 0, b);
}

/* A proof's answer: the two numbers it was asked with and its hashes (base64), or the error. */
static void proof_reply(struct ctx *x, int rc, const char *name_a, uint64_t a, const char *name_b,
                        uint64_t b, uint8_t (*h)[PROTO_HASH_BYTES], size_t n) {
  if (rc) return fail(x, rc, NULL);
  PROTO_ASSERT(n <= TLOG_PROOF_HASHES_MAX);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, api__b64(h[i], PROTO_HASH_BYTES));
  api__reply_json(x->reply, 200, json_pack("{s:I,s:I,s:o}", name_a, (json_int_t)a, name_b,
                                          (json_int_t)b, "hashes", arr), x->ka);
}

static void get_inclusion(struct ctx *x) {
  uint64_t index, size;
  if (!proof_query(x, "index", "tree_size", &index, &size))
    return fail(x, PROTO_E_BAD_ARGUMENT, "index and tree_size are required");
  if (!x->srv->cfg->public_log) {
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
  proof_reply(x, rc, "index", index, "tree_size", size, h, n);
}

static void get_consistency(struct ctx *x) {
  uint64_t first, second;
  if (!proof_query(x, "first", "second", &first, &second))
    return fail(x, PROTO_E_BAD_ARGUMENT, "first and second are required");
  uint8_t h[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  int rc = ledger_proof_consistency(x->srv->ledger, first, second, h, &n);
  proof_reply(x, rc, "first", first, "second", second, h, n);
}

static void get_metrics(struct ctx *x) {
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
  g.published_size = daemon_published_size(x->srv);
  g.read_only = __atomic_load_n(&x->srv->read_only, __ATOMIC_ACQUIRE);
  g.standby_diverged = __atomic_load_n(&x->srv->follow_failed, __ATOMIC_ACQUIRE);
  uint64_t verified = ledger_verified_size(x->srv->ledger); /* read after the size: may have passed it */
  g.standby_unverified = g.tree_size > verified ? g.tree_size - verified : 0;
  g.standby_unapplied = daemon_journal_unapplied(x->srv);
  g.standby_away = __atomic_load_n(&x->srv->standby_alone, __ATOMIC_ACQUIRE) ||
                   __atomic_load_n(&x->srv->standby_stalled, __ATOMIC_ACQUIRE);
  g.unpublished = daemon_publish_waiting_since_ms(x->srv) != 0;
  int rc = daemon_metrics_render(&b, &g);
  if (rc) {
    daemon_buf_free(&b);
    return fail(x, rc, NULL);
  }
  daemon_reply_set(x->reply, 200, "text/plain; version=0.0.4", b.data, b.len, x->ka);
  daemon_buf_free(&b);
}

/* ok, or read_only with why; with standby.sync the standby's state; on a standby its primary. */
static void get_healthz(struct ctx *x) {
  const struct daemon_server *s = x->srv;
  bool ro = __atomic_load_n(&s->read_only, __ATOMIC_ACQUIRE);
  json_t *h = json_pack("{s:s,s:I}", "status", ro ? "read_only" : "ok", "tree_size",
                        (json_int_t)ledger_tree_size(s->ledger));
  if (ro) json_object_set_new(h, "detail", json_string(s->read_only_why));
  uint64_t waiting = daemon_publish_waiting_since_ms(x->srv);
  if (waiting && !ro) { /* the fence is away: nothing new is published nor acknowledged */
    char why[160];
    snprintf(why, sizeof why, "etcd does not answer: the latest signed checkpoint waits for its swap "
             "since %llu ms; not published, writes not acknowledged", (unsigned long long)(daemon_now_ms() - waiting));
    json_object_set_new(h, "status", json_string("unpublished"));
    json_object_set_new(h, "detail", json_string(why));
  }
  if (s->cfg->standby_sync && !s->cfg->follow[0]) {
    bool stalled = __atomic_load_n(&s->standby_stalled, __ATOMIC_ACQUIRE);
    bool alone = __atomic_load_n(&s->standby_alone, __ATOMIC_ACQUIRE);
    json_object_set_new(h, "standby", json_pack("{s:s,s:I}", "state", stalled ? "away, writes stall" :
                        alone ? "away, going on alone" : "sync", "confirmed",
                        (json_int_t)__atomic_load_n(&s->standby_confirmed, __ATOMIC_ACQUIRE)));
  }
  if (s->cfg->follow[0]) {
    json_object_set_new(h, "role", json_string("standby"));
    json_object_set_new(h, "primary", json_string(s->cfg->follow));
    if (__atomic_load_n(&s->follow_failed, __ATOMIC_ACQUIRE)) {
      json_object_set_new(h, "status", json_string("diverged"));
      json_object_set_new(h, "detail", json_string(s->follow_why));
    }
  }
  api__reply_json(x->reply, 200, h, x->ka);
}

/* The standby's stream (standby.c): an operator or auditor key, checked there. */
static void get_stream(struct ctx *x) {
  x->park = daemon_standby_stream(x->srv, &x->p, x->r, x->reply, x->ka, &x->c->stream_until_ms);
  if (x->park) x->c->stream_principal = x->p;
  else x->c->stream_until_ms = 0; /* answered: the connection's next request starts afresh */
}

/* Who may call a route, checked before its handler (which checks which rows the reader sees). */
enum access {
  ACCESS_PUBLIC,   /* anyone; a read header is not even parsed */
  ACCESS_OPTIONAL, /* anyone; a read header, when given, must be valid and names the reader */
  ACCESS_KEY,      /* a registered, unrevoked key */
  ACCESS_LOG,      /* public with public_log, else a key */
  ACCESS_METRICS,  /* the Unix socket, metrics.listen, the bearer token, or the operator's key */
};

struct route {
  uint8_t method;      /* enum daemon_method */
  uint8_t access;      /* enum access */
  uint8_t endpoint;    /* enum daemon_endpoint: the metric label, daemon_endpoint_name */
  const char *pattern; /* "/v1/accounts/{}": {} matches one non-empty segment, into ctx.arg;
                        * a final {*} matches the non-empty rest of the path (tile paths) */
  void (*get)(struct ctx *x);                  /* reads: always answer at once */
  int (*post)(struct ctx *x);                  /* writes: DAEMON_DONE, _PENDING or _PARK */
};

/* Allocation tables are public (api_tables.c); a signed read may see confidential inputs. */
static void get_alloc_tables(struct ctx *x) { api__tables_list(x->srv, x->r, x->reply, x->ka); }
static void get_alloc_table(struct ctx *x) {
  api__table_get(x->srv, &x->p, x->r, x->reply, x->ka, x->arg);
}


/* A write goes to the primary, and not while writes are stopped (a standby, a standby.required
 * primary whose standby is away, a read-only or superseded node): each answers 503 with why. */
static int post_tx(struct ctx *x) {
  struct daemon_server *srv = x->srv;
  if (srv->cfg->follow[0]) {
    char primary[320];
    snprintf(primary, sizeof primary, "primary: %s", srv->cfg->follow);
    fail(x, PROTO_E_STANDBY, primary);
    return DAEMON_DONE;
  }
  if (__atomic_load_n(&srv->promoting, __ATOMIC_ACQUIRE)) {
    fail(x, PROTO_E_READ_ONLY, "this standby is being promoted: writes open once its new epoch is written");
    return DAEMON_DONE;
  }
  if (__atomic_load_n(&srv->standby_stalled, __ATOMIC_ACQUIRE)) {
    fail(x, PROTO_E_STANDBY_AWAY, "the synchronous standby is away and standby.required is set: "
                                  "writes stall until it confirms");
    return DAEMON_DONE;
  }
  if (__atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE)) {
    fail(x, __atomic_load_n(&srv->etcd_superseded, __ATOMIC_ACQUIRE) ? PROTO_E_SUPERSEDED : PROTO_E_READ_ONLY,
         srv->read_only_why);
    return DAEMON_DONE;
  }
  return api__tx_submit(srv, x->c, x->r, x->reply);
}

/* POST /v1/admin/promote: the Unix socket without a key, else an operator key (standby.c checks). */
static int post_promote(struct ctx *x) {
  if (x->p.local || need_principal(x, true)) daemon_standby_promote(x->srv, &x->p, x->reply, x->ka);
  return DAEMON_DONE;
}
static int post_encode(struct ctx *x) {
  api__tx_encode(x->srv, x->r, x->reply);
  return DAEMON_DONE;
}

/* The API, one row per endpoint. A path whose segments are literal comes before a pattern that
 * could also match it (POST /v1/tx/encode before GET /v1/tx/{}). */
static const struct route routes[] = {
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_HEALTHZ, "/healthz", get_healthz, NULL},
  {DAEMON_GET, ACCESS_METRICS, DAEMON_EP_METRICS, "/metrics", get_metrics, NULL},
  {DAEMON_POST, ACCESS_PUBLIC, DAEMON_EP_TX, "/v1/tx", NULL, post_tx},
  {DAEMON_POST, ACCESS_PUBLIC, DAEMON_EP_TX_ENCODE, "/v1/tx/encode", NULL, post_encode},
  {DAEMON_GET, ACCESS_OPTIONAL, DAEMON_EP_TX_GET, "/v1/tx/{}", get_tx, NULL},
  {DAEMON_GET, ACCESS_OPTIONAL, DAEMON_EP_TX_GET, "/v1/tx/{}/legs", get_tx_legs, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_LOG, "/v1/log", get_log, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_CHECKPOINT, "/v1/checkpoint", get_checkpoint, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_INSTRUMENTS, "/v1/instruments", get_instruments, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_COMPLIANCE, "/v1/compliance/{}", get_compliance, NULL},
  {DAEMON_GET, ACCESS_OPTIONAL, DAEMON_EP_OTHER, "/v1/allocation-tables", get_alloc_tables, NULL},
  {DAEMON_GET, ACCESS_OPTIONAL, DAEMON_EP_OTHER, "/v1/allocation-tables/{}", get_alloc_table, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_CONSISTENCY, "/v1/proof/consistency", get_consistency, NULL},
  {DAEMON_GET, ACCESS_LOG, DAEMON_EP_INCLUSION, "/v1/proof/inclusion", get_inclusion, NULL},
  {DAEMON_GET, ACCESS_LOG, DAEMON_EP_ENTRIES, "/v1/entries", get_entries, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_ENTRIES, "/v1/stream", get_stream, NULL},
  {DAEMON_POST, ACCESS_PUBLIC, DAEMON_EP_OTHER, "/v1/admin/promote", NULL, post_promote},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_LOG_CHECKPOINT, "/log/checkpoint", get_log_checkpoint, NULL},
  {DAEMON_GET, ACCESS_LOG, DAEMON_EP_TILE, "/log/tile/entries/{*}", get_entry_bundle, NULL},
  {DAEMON_GET, ACCESS_PUBLIC, DAEMON_EP_TILE, "/log/tile/{*}", get_hash_tile, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_KEYS, "/v1/keys", get_keys, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_ACCOUNTS, "/v1/accounts", get_accounts, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_ACCOUNT, "/v1/accounts/{}", get_account, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_BALANCES, "/v1/accounts/{}/balances", get_account_balances, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_HISTORY, "/v1/accounts/{}/history", get_account_history, NULL},
  {DAEMON_GET, ACCESS_KEY, DAEMON_EP_FREEZE_ORDERS, "/v1/accounts/{}/freeze-orders",
   get_account_freeze_orders, NULL},
};
#define ROUTES_COUNT (sizeof routes / sizeof routes[0])

/* Does path match pattern? The segment {} matched is copied to arg (NUL-terminated). */
static bool route_match(const char *pattern, const char *path, char arg[ROUTE_ARG_BYTES]) {
  const char *p = pattern, *q = path;
  while (*p) {
    bool rest = !strcmp(p, "{*}");
    if (rest || (p[0] == '{' && p[1] == '}')) {
      size_t len = rest ? strlen(q) : strcspn(q, "/");
      if (len == 0 || len >= ROUTE_ARG_BYTES) return false;
      memcpy(arg, q, len);
      arg[len] = '\0';
      q += len;
      p += rest ? 3 : 2;
    } else if (*p++ != *q++) {
      return false;
    }
  }
  return *q == '\0';
}

/* The route for r: its index, or -1 with *path_known telling 405 (another method) from 404. */
static long route_find(const struct daemon_request *r, char arg[ROUTE_ARG_BYTES], bool *path_known) {
  *path_known = false;
  const char *matched = NULL; /* the first pattern that matched decides, whatever the method */
  for (size_t i = 0; i < ROUTES_COUNT; i++) {
    if (matched ? strcmp(routes[i].pattern, matched) != 0 : !route_match(routes[i].pattern, r->path, arg))
      continue;
    matched = routes[i].pattern;
    *path_known = true;
    if (routes[i].method == r->method) return (long)i;
  }
  return -1;
}

/* The route's access rule; false (with the reply sent) when the request may not go on. */
static bool route_allowed(struct ctx *x, const struct route *rt) {
  switch (rt->access) {
  case ACCESS_PUBLIC: return true;
  case ACCESS_OPTIONAL: return need_principal(x, false);
  case ACCESS_LOG: return x->srv->cfg->public_log || need_principal(x, true);
  case ACCESS_METRICS:
    if (x->p.local || x->c->metrics_only || daemon_metrics_token_ok(x->r->authorization)) return true;
    if (!need_principal(x, true)) return false;
    if (x->p.role == PROTO_ROLE_OPERATOR) return true;
    fail(x, PROTO_E_FORBIDDEN, "metrics: Unix socket, metrics.listen, bearer token or operator");
    return false;
  default: return need_principal(x, true);
  }
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
  x.p.local = c->kind == DAEMON_CONN_UNIX;
  bool path_known;
  long i = route_find(r, x.arg, &path_known);
  if (i < 0) {
    if (!path_known && daemon_web_route(srv, r, reply, x.ka)) return DAEMON_DONE; /* public pages */
    reply->endpoint = DAEMON_EP_OTHER;
    if (path_known) daemon_reply_error_as(reply, 405, PROTO_E_BAD_REQUEST, "method not allowed", x.ka);
    else fail(&x, PROTO_E_NOT_FOUND, "no such endpoint");
    return DAEMON_DONE;
  }
  const struct route *rt = &routes[i];
  DAEMON_ASSERT((rt->get != NULL) != (rt->post != NULL));
  reply->endpoint = rt->endpoint;
  /* A waiting stream request handled again (at a commit) keeps the principal its signature was
   * checked for: one verification per request, not one per commit it waits through (a connection
   * with a waiting request takes no other until it is answered). */
  if (c->stream_until_ms && rt->get == get_stream) x.p = c->stream_principal;
  else if (!route_allowed(&x, rt)) return DAEMON_DONE;
  if (rt->post) return rt->post(&x);
  rt->get(&x);
  if (x.park) return DAEMON_PARK;
  DAEMON_ASSERT(reply->ready);
  return DAEMON_DONE;
}
