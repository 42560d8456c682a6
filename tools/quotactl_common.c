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

/* What a command accepts, for qctl_preamble: its flags without a value, its options (NULL: not
 * checked, but a trailing --NAME without a value is refused before --help is looked at), how
 * many positional arguments it needs (-1: the command checks), and its usage. */
struct qctl_command {
  const char *name;
  const char *const *bools, *const *allowed;
  int positionals;
  const char *usage;
};

static const char *const checkpoint_bools[] = {"verify", NULL};
static const char *const checkpoint_allowed[] = {"verify", "log-key", "policy", "file", NULL};
static const char *const keygen_allowed[] = {"name", NULL};
static const char *const query_allowed[] = {"after", "limit", "kind", "province", "start", NULL};

static const struct qctl_command commands[] = {
  {"checkpoint", checkpoint_bools, checkpoint_allowed, -1,
   "usage: quotactl checkpoint [--file FILE] [--verify [--log-key VKEY] [--policy FILE]]\n"
   "Prints the registry's latest signed checkpoint (or the one in FILE). --verify checks\n"
   "the log's signature with --log-key (the log's verifier key), else with the log lines\n"
   "of the policy, else with the key the registry serves; --policy (C2SP tlog-policy)\n"
   "also checks the witnesses' cosignatures (cosignature/v1) against its quorum.\n"
   "Exit 4 when a signature does not verify or the quorum is not met.\n"},
  {"export", NULL, NULL, 1,
   "usage: quotactl --key FILE export FILE\n"
   "Writes the ledger as JSON Lines (quotad-export/1): a header with the origin,\n"
   "verifier key and signed checkpoint; one {\"index\",\"leaf\"} line per entry (with\n"
   "\"legs\" for a version 2 settlement: its legs blob, stored apart); and a\n"
   "last line with what the registry reports (instruments, balances, compliance) for\n"
   "quota-audit to compare with its own replay. Needs an operator or auditor key.\n"},
  {"keygen", NULL, keygen_allowed, 1,
   "usage: quotactl keygen FILE [--name NAME]\n"
   "Writes a new Ed25519 key file (mode 0600; never overwrites) and prints its public\n"
   "key (base64), its hash (the key's name on the ledger, base64 and hex) and, with\n"
   "--name, the signed-note verifier key \"NAME+ID+KEY\" (for a log key, NAME is the\n"
   "registry origin).\n"},
  {"query", NULL, query_allowed, -1,
   "usage: quotactl account|balances|history REF   (REF: id, USCC or CN-<code>)\n"
   "       quotactl history REF [--after INDEX] [--limit N]\n"
   "       quotactl accounts [--kind K] [--province P] [--after ID] [--limit N]\n"
   "       quotactl entries [--start N] [--limit M]   quotactl keys | instruments | log\n"
   "       quotactl checkpoint [--verify ...]   (see quotactl checkpoint --help)\n"
   "Reads other than log, checkpoint and instruments need --key (a registered key).\n"},
};

int qctl_preamble(struct qopts *o, int argc, char **argv, const char *spec, const char *name) {
  const struct qctl_command *c = NULL;
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && !c; i++)
    if (strcmp(commands[i].name, spec) == 0) c = &commands[i];
  PROTO_ASSERT(o && c); /* every caller has its row */
  if (!name) name = c->name;
  int rc = qopts_parse(o, argc, argv, c->bools);
  if (!rc && !c->allowed) rc = qopts_check_dangling(o, name);
  if (rc) return rc;
  if (qopts_has(o, "help") || (c->positionals >= 0 && o->npos != (size_t)c->positionals))
    return qopts_usage(o, c->usage);
  rc = c->allowed ? qopts_only(o, name, c->allowed) : 0;
  return rc ? rc : QCTL_GO_ON;
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
