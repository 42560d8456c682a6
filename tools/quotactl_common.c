/* What every quotactl subcommand shares: option parsing, keys, the connection to the registry,
 * error reporting, account references and transaction ids. */
#include "proto/proto_json.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tools/quotactl.h"

int qctl_load_keys(struct qctl *q) {
  for (size_t i = 0; i < q->nkeys; i++) {
    if (q->keys[i]) continue;
    int rc = proto_key_load(q->key_paths[i], &q->keys[i]);
    if (rc) {
      fprintf(stderr, "quotactl: cannot load key %s: %s (a key file is what `quotactl keygen` "
              "writes)\n", q->key_paths[i], proto_err_message(rc));
      return rc == PROTO_E_BAD_KEY ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
    }
  }
  return 0;
}

int qctl_connect(struct qctl *q) {
  if (q->http) return 0;
  q->http = http_client_new(q->url, q->unix_path);
  if (!q->http) {
    fprintf(stderr, "quotactl: out of memory\n");
    return QCTL_EXIT_IO;
  }
  if (q->cacert) http_client_set_cacert(q->http, q->cacert);
  return 0;
}

int qctl_report_http(struct qctl *q, const char *what, int rc, long status, json_t *answer) {
  if (rc == -ECONNREFUSED) {
    fprintf(stderr, "quotactl: %s: cannot reach the registry at %s%s%s (%s). Is quotad running? "
            "Check --url / --unix / $QUOTAD_URL.\n", what, q->unix_path ? q->unix_path : q->url,
            q->unix_path ? " (socket)" : "", "", http_client_error(q->http));
    return QCTL_EXIT_IO;
  }
  if (rc) {
    fprintf(stderr, "quotactl: %s: %s %s\n", what, rc < -999 ? proto_err_message(rc) : strerror(-rc),
            http_client_error(q->http));
    if (strstr(http_client_error(q->http), "certificate")) {
      fprintf(stderr, "  the server's certificate is not trusted: pass --cacert FILE with its CA\n");
    }
    return QCTL_EXIT_IO;
  }
  const char *code = "", *msg = "";
  int err = http_error_code(answer, &code, &msg);
  if (!*code) {
    fprintf(stderr, "quotactl: %s: the registry answered HTTP %ld without an error body\n", what,
            status);
    return QCTL_EXIT_IO;
  }
  fprintf(stderr, "quotactl: %s: refused: %s: %s (HTTP %ld)\n", what, code, msg, status);
  if (err == PROTO_E_UNAUTHORIZED || err == PROTO_E_STALE_TIME) {
    fprintf(stderr, "  reads need --key with a registered key (and a clock within 300 s)\n");
  } else if (err == PROTO_E_FORBIDDEN) {
    fprintf(stderr, "  this key's role may not read that; use an operator or auditor key\n");
  }
  return QCTL_EXIT_REFUSED;
}

int qctl_fetch_log(struct qctl *q) {
  if (q->have_log) return 0;
  int rc = qctl_connect(q);
  if (rc) return rc;
  json_t *log = NULL;
  long status = 0;
  rc = http_json(q->http, "GET", "/v1/log", NULL, false, &status, &log);
  if (rc == 0 && status == 404) {
    /* a registry before its genesis has no log yet: only `init` can proceed */
    json_decref(log);
    q->origin[0] = 0;
    q->have_log = true;
    return 0;
  }
  if (rc || status != 200) {
    int ex = qctl_report_http(q, "GET /v1/log", rc, status, log);
    json_decref(log);
    return ex;
  }
  const char *origin = json_string_value(json_object_get(log, "origin"));
  const char *pub = json_string_value(json_object_get(log, "public_key"));
  const char *vk = json_string_value(json_object_get(log, "verifier_key"));
  json_t *ts = json_object_get(log, "tree_size");
  snprintf(q->origin, sizeof(q->origin), "%s", origin ? origin : "");
  snprintf(q->verifier_key, sizeof(q->verifier_key), "%s", vk ? vk : "");
  q->tree_size = json_is_integer(ts) ? (uint64_t)json_integer_value(ts) : 0;
  if (pub) proto_base64_decode(pub, strlen(pub), q->log_public_key, sizeof(q->log_public_key));
  json_decref(log);
  q->have_log = true;
  if (q->read_key_path && !q->read_key) {
    int lrc = proto_key_load(q->read_key_path, &q->read_key);
    if (lrc) {
      fprintf(stderr, "quotactl: cannot load --read-key %s: %s\n", q->read_key_path,
              proto_err_message(lrc));
      return lrc == PROTO_E_BAD_KEY ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
    }
  }
  if (q->origin[0] && q->read_key) {
    http_client_set_read_key(q->http, q->read_key, q->origin);
  } else if (q->origin[0] && qctl_load_keys(q) == 0 && q->nkeys > 0) {
    http_client_set_read_key(q->http, q->keys[0], q->origin);
  }
  return 0;
}

int qctl_get(struct qctl *q, const char *path_query, bool sign, json_t **out) {
  *out = NULL;
  int rc = sign ? qctl_fetch_log(q) : qctl_connect(q);
  if (rc) return rc;
  long status = 0;
  json_t *ans = NULL;
  rc = http_json(q->http, "GET", path_query, NULL, sign, &status, &ans);
  if (rc || status < 200 || status >= 300) {
    char what[512];
    snprintf(what, sizeof(what), "GET %s", path_query);
    int ex = qctl_report_http(q, what, rc, status, ans);
    json_decref(ans);
    return ex;
  }
  *out = ans;
  return 0;
}

int qctl_getf(struct qctl *q, json_t **out, const char *fmt, ...) {
  char path[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(path, sizeof(path), fmt, ap);
  va_end(ap);
  *out = NULL;
  if (n < 0 || (size_t)n >= sizeof(path)) return QCTL_EXIT_USAGE;
  return qctl_get(q, path, true, out);
}

static int each_row_page(struct qctl *q, json_t *page, const char *field, qctl_row_fn visit,
                         void *ctx) {
  json_t *rows = json_object_get(page, field);
  for (size_t i = 0; i < json_array_size(rows); i++) {
    int rc = visit(q, json_array_get(rows, i), ctx);
    if (rc) return rc;
  }
  return 0;
}

int qctl_each_row(struct qctl *q, const char *base, const char *field, bool missing_is_empty,
                  qctl_row_fn visit, void *ctx) {
  int rc = qctl_fetch_log(q);
  for (uint64_t after = 0; rc == 0;) {
    char path[256];
    int n = snprintf(path, sizeof(path), "%s%" PRIu64, base, after);
    if (n < 0 || (size_t)n >= sizeof(path)) return QCTL_EXIT_USAGE;
    long status = 0;
    json_t *page = NULL;
    rc = http_json(q->http, "GET", path, NULL, true, &status, &page);
    if (rc == 0 && status == 404 && missing_is_empty) {
      json_decref(page);
      return 0;
    }
    if (rc || status < 200 || status >= 300) {
      char what[300];
      snprintf(what, sizeof(what), "GET %s", path);
      rc = qctl_report_http(q, what, rc, status, page);
      json_decref(page);
      return rc;
    }
    rc = each_row_page(q, page, field, visit, ctx);
    json_t *next = json_object_get(page, "next");
    bool more = json_is_integer(next);
    after = more ? (uint64_t)json_integer_value(next) : 0;
    json_decref(page);
    if (!more) break;
  }
  return rc;
}

/* Account references are resolved once per run: a bulk import names the same provinces often. */
#define RESOLVE_CACHE_MAX 4096u
static struct {
  char ref[24];
  uint64_t id;
} resolve_cache[RESOLVE_CACHE_MAX];
static size_t resolve_cache_n;

int qctl_resolve_account(struct qctl *q, const char *ref, uint64_t *id) {
  if (ref[0] >= '0' && ref[0] <= '9' && strlen(ref) < 18) {
    return qopts_u64(ref, "an account id", 1, INT64_MAX, id);
  }
  if (strncmp(ref, "CN-", 3) != 0) {
    unsigned bad = 0;
    if (proto_uscc_check(ref, strlen(ref), &bad) != 0) {
      fprintf(stderr, "quotactl: '%s' is neither an account id, a CN-<province> code nor a valid "
              "USCC (character %u is wrong%s)\n", ref, bad,
              bad == 18 ? ": the check character does not match" : "");
      return QCTL_EXIT_USAGE;
    }
  }
  for (size_t i = 0; i < resolve_cache_n; i++) {
    if (strcmp(resolve_cache[i].ref, ref) == 0) {
      *id = resolve_cache[i].id;
      return 0;
    }
  }
  json_t *acct = NULL;
  int rc = qctl_getf(q, &acct, "/v1/accounts/%s", ref);
  if (rc) return rc;
  json_t *jid = json_object_get(acct, "id");
  if (!json_is_integer(jid)) {
    json_decref(acct);
    fprintf(stderr, "quotactl: GET /v1/accounts/%s: no account id in the answer\n", ref);
    return QCTL_EXIT_IO;
  }
  *id = (uint64_t)json_integer_value(jid);
  json_decref(acct);
  if (resolve_cache_n < RESOLVE_CACHE_MAX && strlen(ref) < sizeof(resolve_cache[0].ref)) {
    snprintf(resolve_cache[resolve_cache_n].ref, sizeof(resolve_cache[0].ref), "%s", ref);
    resolve_cache[resolve_cache_n++].id = *id;
  }
  return 0;
}


int qctl_id_key(struct qctl *q, const struct proto_key *signer, const struct proto_key **out) {
  if (q->id_key_path && !q->id_key) {
    int rc = proto_key_load(q->id_key_path, &q->id_key);
    if (rc) {
      fprintf(stderr, "quotactl: cannot load --id-key %s: %s\n", q->id_key_path,
              proto_err_message(rc));
      return rc == PROTO_E_BAD_KEY ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
    }
  }
  if (q->id_key) signer = q->id_key;
  if (!signer) {
    int rc = qctl_load_keys(q);
    if (rc) return rc;
    signer = q->nkeys ? q->keys[0] : NULL;
  }
  if (!signer) {
    fprintf(stderr, "quotactl: deriving ids needs a private key: --key or --id-key\n");
    return QCTL_EXIT_USAGE;
  }
  *out = signer;
  return 0;
}

int qctl_id_derive(struct qctl *q, const struct proto_key *signer, unsigned type,
                   const char *const *fields, size_t n, uint8_t id[PROTO_ID_BYTES]) {
  const struct proto_key *key = NULL;
  int rc = qctl_id_key(q, signer, &key);
  if (!rc) rc = qctl_fetch_log(q);
  if (rc) return rc;
  rc = proto_id_derive(key, q->origin, type, fields, n, id);
  if (rc) {
    fprintf(stderr, "quotactl: cannot derive a %s id: %s\n", proto_tx_type_name(type),
            proto_err_message(rc));
    return rc == PROTO_E_FIELD_TOO_LONG ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  return 0;
}

int qctl_checkpoint_get(struct qctl *q, struct http_response *r) {
  int rc = http_request(q->http, "GET", "/v1/checkpoint", NULL, NULL, 0, false, r);
  if (rc == 0 && r->status == 200) return 0;
  int ex = qctl_report_http(q, "GET /v1/checkpoint", rc, r->status, NULL);
  http_response_free(r);
  return ex;
}
