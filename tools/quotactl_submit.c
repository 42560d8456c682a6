/* Encoding, signing and submitting transactions, and telling the user what the registry said:
 * local encoding with proto (no trust in a server-side encoder), one signature per --key. */
#include <errno.h>
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlog/tlog.h"
#include "tools/quotactl.h"

/* salt_i = SHA-256("quotad/salt/v1\n" || sig || u16 i)[0..16), sig the key's signature of
 * "quotad/salt-seed/v1\n" || origin || "\n" || id. */
static int salts_derived(struct qctl *q, struct proto_tx *tx, const struct proto_key *key) {
  static const char seed_prefix[] = "quotad/salt-seed/v1\n", salt_prefix[] = "quotad/salt/v1\n";
  uint8_t msg[sizeof(seed_prefix) + PROTO_ORIGIN_BYTES_MAX + 1 + PROTO_ID_BYTES], sig[PROTO_SIG_BYTES];
  size_t n = 0, olen = strlen(q->origin);
  memcpy(msg, seed_prefix, sizeof(seed_prefix) - 1);
  n += sizeof(seed_prefix) - 1;
  memcpy(msg + n, q->origin, olen);
  n += olen;
  msg[n++] = '\n';
  memcpy(msg + n, tx->id, PROTO_ID_BYTES);
  n += PROTO_ID_BYTES;
  if (proto_sign(key, msg, n, sig)) return QCTL_EXIT_IO;
  for (uint16_t i = 0; i < tx->u.settle.legs_count; i++) {
    uint8_t idx[2] = {(uint8_t)(i >> 8), (uint8_t)i}, h[PROTO_HASH_BYTES];
    const void *parts[3] = {salt_prefix, sig, idx};
    size_t lens[3] = {sizeof(salt_prefix) - 1, sizeof(sig), sizeof(idx)};
    proto_sha256_parts(parts, lens, 3, h);
    memcpy(tx->u.settle.legs[i].salt, h, PROTO_SALT_BYTES);
  }
  return 0;
}

int qctl_settle_seal(struct qctl *q, struct proto_tx *tx, const struct proto_key *salt_key) {
  struct proto_settle *s = &tx->u.settle;
  if (tx->type != PROTO_TX_SETTLE || !s->legs || s->legs_count == 0) return QCTL_EXIT_USAGE;
  int rc = salt_key ? qctl_fetch_log(q) : 0;
  if (rc) return rc;
  if (salt_key) rc = salts_derived(q, tx, salt_key);
  for (uint16_t i = 0; !salt_key && i < s->legs_count && !rc; i++)
    rc = proto_random_bytes(s->legs[i].salt, PROTO_SALT_BYTES) ? QCTL_EXIT_IO : 0;
  if (rc) {
    fprintf(stderr, "quotactl: no salts for the settlement's legs\n");
    return rc;
  }
  tx->version = 2;
  tlog_legs_root(s->legs, s->legs_count, s->legs_root);
  return 0;
}

int qctl_sign_tx(struct qctl *q, const struct proto_tx *tx, json_t **out) {
  int rc = qctl_load_keys(q);
  if (rc) return rc;
  return qctl_sign_tx_with(q, tx, (const struct proto_key *const *)q->keys, q->nkeys, out);
}

int qctl_sign_tx_with(struct qctl *q, const struct proto_tx *tx,
                      const struct proto_key *const *keys, size_t nkeys, json_t **out) {
  *out = NULL;
  if (nkeys == 0) {
    fprintf(stderr, "quotactl: a transaction needs at least one --key to sign it (bulk files: "
            "or a 'key' column)\n");
    return QCTL_EXIT_USAGE;
  }
  int rc = qctl_fetch_log(q);
  if (rc) return rc;
  if (!q->origin[0] && tx->type != PROTO_TX_GENESIS) {
    fprintf(stderr, "quotactl: the registry has no genesis yet (run quotactl init first)\n");
    return QCTL_EXIT_REFUSED;
  }
  static uint8_t body[PROTO_BODY_BYTES_MAX];
  long len = proto_tx_encode(tx, body, sizeof(body));
  if (len < 0) {
    fprintf(stderr, "quotactl: cannot encode the %s: %s: %s\n", proto_tx_type_name(tx->type),
            proto_err_name((int)len), proto_err_message((int)len));
    return QCTL_EXIT_USAGE;
  }
  const char *origin = tx->type == PROTO_TX_GENESIS ? tx->u.genesis.origin : q->origin;
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)len};
  for (size_t i = 0; i < nkeys; i++) {
    rc = proto_envelope_sign(&env, origin, keys[i]);
    if (rc) {
      fprintf(stderr, "quotactl: cannot sign with key %zu: %s\n", i + 1, proto_err_message(rc));
      return rc == PROTO_E_DUPLICATE_SIGNER ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
    }
  }
  *out = proto_envelope_to_json(&env);
  /* a version 2 settle's legs travel beside the envelope, with their salts (docs/API.md) */
  if (*out && tx->type == PROTO_TX_SETTLE && proto_tx_version(tx) == 2 &&
      json_object_set_new(*out, "legs", proto_legs_to_json(tx->u.settle.legs, tx->u.settle.legs_count, true))) {
    json_decref(*out);
    *out = NULL;
  }
  return *out ? 0 : QCTL_EXIT_IO;
}

static void result_from_json(const json_t *r, struct qctl_result *res) {
  memset(res, 0, sizeof(*res));
  const char *kind = json_string_value(json_object_get(r, "result"));
  json_t *idx = json_object_get(r, "index");
  if (json_is_integer(idx)) res->index = (uint64_t)json_integer_value(idx);
  json_t *w = json_object_get(r, "withheld");
  if (json_is_integer(w)) res->withheld = (uint64_t)json_integer_value(w);
  json_t *ack = json_object_get(r, "ack");
  const char *sig = json_string_value(json_object_get(ack, "signature"));
  if (sig && json_is_integer(json_object_get(ack, "first"))) {
    res->has_ack = true;
    res->ack_first = (uint64_t)json_integer_value(json_object_get(ack, "first"));
    res->ack_count = (uint64_t)json_integer_value(json_object_get(ack, "count"));
    snprintf(res->ack_signature, sizeof(res->ack_signature), "%s", sig);
  }
  if (kind && strcmp(kind, "ok") == 0) {
    snprintf(res->code_name, sizeof(res->code_name), "ok");
    return;
  }
  if (kind && strcmp(kind, "exists") == 0) {
    res->code = QCTL_RESULT_EXISTS;
    snprintf(res->code_name, sizeof(res->code_name), "exists");
    return;
  }
  const char *code = "", *msg = "";
  res->code = http_error_code(r, &code, &msg);
  if (res->code == 0) res->code = PROTO_E_BAD_REQUEST; /* an error with an unknown name */
  snprintf(res->code_name, sizeof(res->code_name), "%s", *code ? code : "unknown");
  snprintf(res->message, sizeof(res->message), "%s", msg);
  json_t *a = json_object_get(r, "available");
  if (json_is_integer(a)) {
    res->available = (uint64_t)json_integer_value(a);
    res->has_available = true;
  }
}

#define QCTL_BUSY_RETRIES_MAX 6u

/* --ack-file: the registry's signed word that it committed each entry, kept by the client so
 * that an auditor can later show an entry missing or changed (quota-audit --acks). */
static int keep_acks(const struct qctl *q, const json_t *results) {
  if (!q->ack_file) return 0;
  FILE *f = fopen(q->ack_file, "a");
  if (!f) {
    fprintf(stderr, "quotactl: --ack-file %s: %s\n", q->ack_file, strerror(errno));
    return QCTL_EXIT_IO;
  }
  size_t i;
  json_t *r;
  json_array_foreach(results, i, r) {
    json_t *ack = json_object_get(r, "ack");
    if (!json_is_object(ack)) continue;
    json_t *line = json_pack("{s:O,s:O}", "index", json_object_get(r, "index"), "ack", ack);
    if (line) json_dumpf(line, f, JSON_COMPACT);
    fputc('\n', f);
    json_decref(line);
  }
  int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "quotactl: --ack-file %s: %s\n", q->ack_file, strerror(errno));
    return QCTL_EXIT_IO;
  }
  return 0;
}

int qctl_submit(struct qctl *q, json_t *envelopes, struct qctl_result *res, size_t n,
                uint64_t *tree_size) {
  int rc = qctl_connect(q);
  if (rc) return rc;
  long status = 0;
  json_t *ans = NULL;
  /* a registry at a limit answers busy (503) for the whole request: wait and send it again;
   * resending is safe, ids make it idempotent */
  for (unsigned attempt = 0;; attempt++) {
    rc = http_json(q->http, "POST", "/v1/tx", envelopes, false, &status, &ans);
    const char *code = "", *msg = "";
    bool busy = rc == 0 && status == 503 &&
                (http_error_code(ans, &code, &msg) == PROTO_E_BUSY || ans == NULL);
    if (!busy || attempt == QCTL_BUSY_RETRIES_MAX) break;
    json_decref(ans);
    ans = NULL;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000L << (attempt < 3 ? attempt : 3)};
    nanosleep(&pause, NULL);
  }
  json_t *results = json_object_get(ans, "results");
  if (rc || !json_is_array(results)) {
    /* the whole request was refused (malformed, too large, busy): every tx shares that fate */
    int ex = qctl_report_http(q, "POST /v1/tx", rc, status, ans);
    json_decref(ans);
    return ex;
  }
  if (json_array_size(results) != n) {
    fprintf(stderr, "quotactl: POST /v1/tx: %zu results for %zu transactions\n",
            json_array_size(results), n);
    json_decref(ans);
    return QCTL_EXIT_IO;
  }
  for (size_t i = 0; i < n; i++) result_from_json(json_array_get(results, i), &res[i]);
  rc = keep_acks(q, results);
  json_t *ts = json_object_get(ans, "tree_size");
  if (tree_size) *tree_size = json_is_integer(ts) ? (uint64_t)json_integer_value(ts) : 0;
  json_decref(ans);
  return rc;
}

/* The account whose holding a refused movement drew on, for showing its balances. */
static uint64_t source_account(const struct proto_tx *tx) {
  switch (tx->type) {
  case PROTO_TX_SURRENDER: return tx->u.surrender.from;
  case PROTO_TX_CARRY_OVER: return tx->u.carry_over.account;
  case PROTO_TX_SETTLE: return tx->u.settle.legs_count ? tx->u.settle.legs[0].from : 0;
  case PROTO_TX_ISSUE: case PROTO_TX_VERIFIED_EMISSIONS: return 0;
  default: return tx->u.move.from;
  }
}

static void show_balances(struct qctl *q, uint64_t account) {
  char path[96];
  snprintf(path, sizeof(path), "/v1/accounts/%" PRIu64 "/balances", account);
  json_t *b = NULL;
  if (qctl_get(q, path, true, &b) != 0) return;
  fprintf(stderr, "  balances of account %" PRIu64 ":\n", account);
  size_t i;
  json_t *row;
  for (i = 0; i < json_array_size(json_object_get(b, "balances")) && (row = json_array_get(json_object_get(b, "balances"), i)) != NULL; i++) {
    fprintf(stderr, "    %-16s registry %" JSON_INTEGER_FORMAT "  trading %" JSON_INTEGER_FORMAT
            "  frozen %" JSON_INTEGER_FORMAT "  available %" JSON_INTEGER_FORMAT "\n",
            json_string_value(json_object_get(row, "instrument")),
            json_integer_value(json_object_get(row, "registry")),
            json_integer_value(json_object_get(row, "trading")),
            json_integer_value(json_object_get(row, "frozen")),
            json_integer_value(json_object_get(row, "available")));
  }
  json_decref(b);
}

static void print_result(struct qctl *q, const struct proto_tx *tx, const struct qctl_result *r,
                         uint64_t tree_size) {
  char id[2 * PROTO_ID_BYTES + 1];
  proto_hex_encode(tx->id, PROTO_ID_BYTES, id, sizeof(id));
  const char *type = proto_tx_type_name(tx->type);
  if (q->json) {
    json_t *o = json_pack("{s:s,s:s,s:s}", "result", r->code < 0 ? "error" : r->code_name, "type",
                          type, "id", id);
    if (r->code >= 0) json_object_set_new(o, "index", json_integer((json_int_t)r->index));
    if (r->code >= 0) json_object_set_new(o, "tree_size", json_integer((json_int_t)tree_size));
    if (r->withheld) json_object_set_new(o, "withheld", json_integer((json_int_t)r->withheld));
    if (r->has_ack) json_object_set_new(o, "ack", json_pack("{s:I,s:I,s:s}", "first",
                                        (json_int_t)r->ack_first, "count", (json_int_t)r->ack_count,
                                        "signature", r->ack_signature));
    if (r->code < 0) {
      json_object_set_new(o, "error", json_pack("{s:s,s:s}", "code", r->code_name, "message",
                                                r->message));
    }
    if (r->has_available) {
      json_object_set_new(o, "available", json_integer((json_int_t)r->available));
    }
    json_dumpf(o, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(o);
    return;
  }
  if (r->code >= 0) {
    printf("%s: %s %s at entry %" PRIu64 " (tree size %" PRIu64 ")", r->code_name, type, id,
           r->index, tree_size);
    if (r->withheld) printf("; %" PRIu64 " t withheld against the outstanding deduction",
                            r->withheld);
    printf("\n");
    if (r->has_ack) printf("  acknowledged: batch of %" PRIu64 " from entry %" PRIu64 ", log key "
                           "signature %s\n", r->ack_count, r->ack_first, r->ack_signature);
    return;
  }
  fprintf(stderr, "refused: %s %s: %s: %s\n", type, id, r->code_name, r->message);
  if (r->has_available) {
    fprintf(stderr, "  available: %" PRIu64 " t\n", r->available);
  }
  uint64_t src = source_account(tx);
  if (src && (r->code == PROTO_E_INSUFFICIENT_BALANCE || r->code == PROTO_E_FROZEN ||
              r->code == PROTO_E_NOT_FROZEN)) {
    show_balances(q, src);
  }
}

int qctl_submit_one(struct qctl *q, const struct proto_tx *tx) {
  json_t *env = NULL;
  int rc = qctl_sign_tx(q, tx, &env);
  if (rc) return rc;
  json_t *arr = json_array();
  json_array_append_new(arr, env);
  struct qctl_result r;
  uint64_t tree_size = 0;
  rc = qctl_submit(q, arr, &r, 1, &tree_size);
  json_decref(arr);
  if (rc) return rc;
  print_result(q, tx, &r, tree_size);
  return r.code >= 0 ? QCTL_EXIT_OK : QCTL_EXIT_REFUSED;
}
