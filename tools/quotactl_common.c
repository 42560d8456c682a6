/* What every quotactl subcommand shares: option parsing, keys, the connection to the registry,
 * error reporting, account references and transaction ids. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tools/quotactl.h"

static bool name_eq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool in_list(const char *name, const char *const *list) {
  for (size_t i = 0; list && list[i]; i++) {
    if (name_eq(name, list[i])) return true;
  }
  return false;
}

int qopts_parse(struct qopts *o, int argc, char **argv, const char *const *bools) {
  memset(o, 0, sizeof(*o));
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
      if (o->npos == QCTL_OPTS_MAX) goto too_many;
      o->pos[o->npos++] = a;
      continue;
    }
    if (o->n == QCTL_OPTS_MAX) goto too_many;
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    if (eq) {
      /* names are compared up to '=' by storing a copy of the name part */
      char *copy = strndup(name, (size_t)(eq - name));
      if (!copy) return QCTL_EXIT_IO;
      o->names[o->n] = copy; /* lives until exit: options are few and short */
      o->values[o->n++] = eq + 1;
    } else if (in_list(name, bools) || strcmp(name, "help") == 0) {
      o->names[o->n] = name;
      o->values[o->n++] = "";
    } else {
      if (i + 1 >= argc) {
        fprintf(stderr, "quotactl: --%s needs a value\n", name);
        return QCTL_EXIT_USAGE;
      }
      o->names[o->n] = name;
      o->values[o->n++] = argv[++i];
    }
  }
  return 0;
too_many:
  fprintf(stderr, "quotactl: more than %u arguments\n", QCTL_OPTS_MAX);
  return QCTL_EXIT_USAGE;
}

const char *qopts_get(const struct qopts *o, const char *name) {
  for (size_t i = o->n; i-- > 0;) {
    if (name_eq(o->names[i], name)) return o->values[i];
  }
  return NULL;
}

bool qopts_has(const struct qopts *o, const char *name) { return qopts_get(o, name) != NULL; }

int qopts_only(const struct qopts *o, const char *cmd, const char *const *allowed) {
  for (size_t i = 0; i < o->n; i++) {
    if (!in_list(o->names[i], allowed) && strcmp(o->names[i], "help") != 0) {
      fprintf(stderr, "quotactl %s: unknown option --%s (see quotactl %s --help)\n", cmd,
              o->names[i], cmd);
      return QCTL_EXIT_USAGE;
    }
  }
  return 0;
}

int qopts_u64(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  const char *p = text;
  if (!p || !*p) goto bad;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') goto bad;
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v)) {
      goto bad;
    }
  }
  if (v < min || v > max) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "quotactl: %s must be a whole number in %" PRIu64 "..%" PRIu64 ", not '%s'\n",
          what, min, max, text ? text : "");
  return QCTL_EXIT_USAGE;
}

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
  if (qctl_load_keys(q) == 0 && q->nkeys > 0 && q->origin[0]) {
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
  char path[128];
  snprintf(path, sizeof(path), "/v1/accounts/%s", ref);
  json_t *acct = NULL;
  int rc = qctl_get(q, path, true, &acct);
  if (rc) return rc;
  json_t *jid = json_object_get(acct, "id");
  if (!json_is_integer(jid)) {
    json_decref(acct);
    fprintf(stderr, "quotactl: GET %s: no account id in the answer\n", path);
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

int qctl_id_time_ordered(uint8_t id[PROTO_ID_BYTES]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  for (int i = 0; i < 6; i++) id[i] = (uint8_t)(ms >> (8 * (5 - i)));
  size_t got = 0;
  while (got < PROTO_ID_BYTES - 6) {
    ssize_t n = getrandom(id + 6 + got, PROTO_ID_BYTES - 6 - got, 0);
    if (n < 0 && errno != EINTR) return -errno;
    if (n > 0) got += (size_t)n;
  }
  return 0;
}

int qctl_id_from_hex(const char *hex, uint8_t id[PROTO_ID_BYTES]) {
  if (strlen(hex) != 2 * PROTO_ID_BYTES ||
      proto_hex_decode(hex, strlen(hex), id, PROTO_ID_BYTES) != PROTO_ID_BYTES) {
    fprintf(stderr, "quotactl: --id must be %u hexadecimal characters, not '%s'\n",
            2 * PROTO_ID_BYTES, hex);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

void qctl_id_derive(const char *text, uint8_t id[PROTO_ID_BYTES]) {
  static const char domain[] = "quotactl/v1\n";
  const void *parts[2] = {domain, text};
  size_t lens[2] = {sizeof(domain) - 1, strlen(text)};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 2, h);
  memcpy(id, h, PROTO_ID_BYTES);
}
