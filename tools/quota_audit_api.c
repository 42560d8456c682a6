/* quota-audit against a live registry over its HTTP API (libcurl): the log and its signed
 * checkpoint, every entry page, proofs, and the state the registry reports. Reads that need a
 * key carry the signed read header (tools/common/read_auth.h). */
#include "proto/proto_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "tools/common/read_auth.h"
#include "tools/quota_audit.h"

#define HTTP_BODY_BYTES_MAX (64u << 20) /* an entries page of 1,000 leaves is well under this */
#define STATE_ATTEMPTS_MAX 3u

struct http {
  CURL *curl;
  struct qa_run *run;
  char base[1024];
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
};

struct body {
  char *data;
  size_t len;
  bool too_large;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg) {
  struct body *b = arg;
  size_t n = size * nmemb;
  if (b->len + n > HTTP_BODY_BYTES_MAX) {
    b->too_large = true;
    return 0;
  }
  char *d = realloc(b->data, b->len + n + 1);
  if (!d) return 0;
  memcpy(d + b->len, ptr, n);
  b->data = d;
  b->len += n;
  d[b->len] = '\0';
  return n;
}

/* GET base + path; the body in *out (caller frees out->data). 0, or QA_EXIT_USAGE after saying
 * why on stderr (unreachable, not 200...). With missing not NULL, a 404 is no error: *missing
 * tells. */
static int http_get_opt(struct http *h, const char *path, struct body *out, bool *missing) {
  char url[4096], header[READ_AUTH_HEADER_BYTES_MAX];
  struct curl_slist *headers = NULL;
  memset(out, 0, sizeof(*out));
  snprintf(url, sizeof(url), "%s%s", h->base, path);
  if (h->run->read_key) {
    long n = read_auth_header(h->run->read_key, h->origin, "GET", path, (uint64_t)time(NULL),
                              header, sizeof(header));
    if (n < 0) return qa_io_error("cannot sign the read of %s: %s", path, proto_err_name((int)n));
    headers = curl_slist_append(headers, header);
  }
  curl_easy_setopt(h->curl, CURLOPT_URL, url);
  curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, out);
  CURLcode cc = curl_easy_perform(h->curl);
  long status = 0;
  curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  /* 404, or a refusal naming unknown_year (some versions answer 422): the item is not there. */
  if (missing)
    *missing = cc == CURLE_OK && (status == 404 || (status >= 400 && status < 500 && out->data &&
                                                   strstr(out->data, "\"unknown_year\"")));
  if (missing && *missing) {
    free(out->data);
    out->data = NULL;
    return 0;
  }
  if (cc != CURLE_OK || status != 200) {
    int rc = qa_io_error("GET %s: %s", url,
                         cc != CURLE_OK ? (out->too_large ? "response too large"
                                                          : curl_easy_strerror(cc))
                                        : (out->data ? out->data : "no body"));
    if (cc == CURLE_OK) fprintf(stderr, "quota-audit: (HTTP status %ld)\n", status);
    free(out->data);
    out->data = NULL;
    return rc;
  }
  if (!out->data) out->data = calloc(1, 1);
  return out->data ? 0 : qa_io_error("out of memory");
}

static int http_get(struct http *h, const char *path, struct body *out) {
  return http_get_opt(h, path, out, NULL);
}

/* The JSON answer of GET path; NULL on any failure (said on stderr). With missing not NULL, a
 * 404 gives NULL with *missing set. */
static json_t *get_json_opt(struct http *h, const char *path, bool *missing) {
  struct body b;
  if (http_get_opt(h, path, &b, missing) || (missing && *missing)) return NULL;
  json_error_t err;
  json_t *j = json_loadb(b.data, b.len, 0, &err);
  if (!j) qa_io_error("GET %s: not JSON (%s)", path, err.text);
  free(b.data);
  return j;
}

static json_t *get_json(struct http *h, const char *path) { return get_json_opt(h, path, NULL); }

static int fetch_checkpoint(struct http *h, struct tlog_checkpoint *cp) {
  struct body b;
  if (http_get(h, "/v1/checkpoint", &b)) return QA_EXIT_USAGE;
  snprintf(h->run->cp_text, sizeof(h->run->cp_text), "%s", b.data);
  int rc = qa_checkpoint_check(h->run, b.data, b.len, cp, "the registry's checkpoint");
  free(b.data);
  return rc;
}

/* Entries [start, end) in pages, verified in chunks. */
static int fetch_entries(struct http *h, uint64_t start, uint64_t end) {
  static uint8_t *leaves[QA_CHUNK_LEAVES], *legs[QA_CHUNK_LEAVES];
  static size_t lens[QA_CHUNK_LEAVES], legs_lens[QA_CHUNK_LEAVES];
  size_t n = 0;
  int rc = 0;
  for (uint64_t at = start; at < end && !rc;) {
    uint64_t want = end - at < QA_API_PAGE_LEAVES ? end - at : QA_API_PAGE_LEAVES;
    char path[128];
    snprintf(path, sizeof(path), "/v1/entries?start=%llu&limit=%llu", (unsigned long long)at,
             (unsigned long long)want);
    json_t *page = get_json(h, path);
    json_t *list = page ? json_object_get(page, "entries") : NULL;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > want) {
      rc = page ? qa_io_error("GET %s: no entries list", path) : QA_EXIT_USAGE;
      json_decref(page);
      break;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      const char *b64 = json_string_value(json_object_get(e, "leaf"));
      uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX + 3);
      long len = leaf && b64 ? proto_base64_decode(b64, strlen(b64), leaf, PROTO_ENTRY_BYTES_MAX + 3) : -1;
      if (len < 0 || len > (long)PROTO_ENTRY_BYTES_MAX) {
        free(leaf);
        uint64_t index = at + (uint64_t)i;
        qa_fail(h->run, index, PROTO_E_BAD_BASE64, "entry %llu: the API serves no valid leaf",
                (unsigned long long)index);
        rc = QA_EXIT_FAILED;
        break;
      }
      /* a version 2 settle's legs come beside its entry (operator and auditor readers) */
      const char *lb64 = json_string_value(json_object_get(e, "legs_blob"));
      long ln = lb64 ? qa_legs_decode(lb64, &legs[n]) : 0;
      if (!lb64) legs[n] = NULL;
      legs_lens[n] = ln > 0 ? (size_t)ln : 0;
      leaves[n] = leaf;
      lens[n++] = (size_t)len;
      if (ln < 0) {
        uint64_t index = at + (uint64_t)i;
        qa_fail(h->run, index, PROTO_E_BAD_BASE64, "entry %llu: the API serves no valid legs",
                (unsigned long long)index);
        rc = QA_EXIT_FAILED;
        break;
      }
      if (n == QA_CHUNK_LEAVES) {
        rc = qa_feed(h->run, (const uint8_t *const *)leaves, lens, (const uint8_t *const *)legs, legs_lens, n);
        for (size_t k = 0; k < n; k++) free(leaves[k]), free(legs[k]);
        n = 0;
        if (rc) break;
      }
    }
    at += json_array_size(list);
    json_decref(page);
  }
  if (!rc && n) rc = qa_feed(h->run, (const uint8_t *const *)leaves, lens, (const uint8_t *const *)legs, legs_lens, n);
  for (size_t k = 0; k < n; k++) free(leaves[k]), free(legs[k]);
  return rc;
}

/* Decodes {"hashes": [base64...]} into proof; returns the count or -1. */
static long proof_hashes(const json_t *o, uint8_t (*proof)[PROTO_HASH_BYTES]) {
  const json_t *list = json_object_get(o, "hashes");
  if (!json_is_array(list) || json_array_size(list) > TLOG_PROOF_HASHES_MAX) return -1;
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    const char *s = json_string_value(v);
    if (!s || proto_base64_decode(s, strlen(s), proof[i], PROTO_HASH_BYTES) != PROTO_HASH_BYTES)
      return -1;
  }
  return (long)json_array_size(list);
}

static int prove_consistency(struct http *h) {
  struct qa_run *run = h->run;
  char path[128];
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  snprintf(path, sizeof(path), "/v1/proof/consistency?first=%llu&second=%llu",
           (unsigned long long)run->since.size, (unsigned long long)run->cp.size);
  json_t *o = get_json(h, path);
  if (!o) return QA_EXIT_USAGE;
  long n = proof_hashes(o, proof);
  json_decref(o);
  bool ok = n >= 0 && run->since.size <= run->cp.size &&
            tlog_verify_consistency(run->since.size, run->cp.size, run->since.root, run->cp.root,
                                    (const uint8_t(*)[PROTO_HASH_BYTES])proof, (size_t)n) == 0;
  return qa_since_verdict(run, ok, n < 0 ? 0 : n);
}

static int prove_inclusion(struct http *h) {
  struct qa_run *run = h->run;
  char path[160];
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES], leaf_hash[PROTO_HASH_BYTES];
  snprintf(path, sizeof(path), "/v1/tx/%s", run->opts.tx_hex);
  json_t *o = get_json(h, path);
  json_int_t index = o ? json_integer_value(json_object_get(o, "index")) : -1;
  json_decref(o);
  if (!o) return QA_EXIT_USAGE;
  if (index < 0 || audit_log_leaf_hash(run->log, (uint64_t)index, leaf_hash) != 0) {
    qa_fail(run, UINT64_MAX, PROTO_E_NOT_FOUND, "transaction %s: index %lld is not in the audited log",
            run->opts.tx_hex, (long long)index);
    return QA_EXIT_FAILED;
  }
  snprintf(path, sizeof(path), "/v1/proof/inclusion?index=%lld&tree_size=%llu", (long long)index,
           (unsigned long long)run->cp.size);
  o = get_json(h, path);
  if (!o) return QA_EXIT_USAGE;
  long n = proof_hashes(o, proof);
  json_decref(o);
  if (n < 0 || tlog_verify_inclusion((uint64_t)index, run->cp.size, leaf_hash,
                                       (const uint8_t(*)[PROTO_HASH_BYTES])proof, (size_t)n,
                                       run->cp.root) != 0) {
    qa_fail(run, (uint64_t)index, PROTO_E_BAD_PROOF,
            "entry %lld: the inclusion proof of transaction %s does not verify", (long long)index,
            run->opts.tx_hex);
    return QA_EXIT_FAILED;
  }
  run->proof_note = run->proof_text;
  size_t at = strlen(run->proof_text);
  snprintf(run->proof_text + at, sizeof(run->proof_text) - at,
           "%stransaction %s is entry %lld (inclusion proof of %ld hashes verified)",
           at ? "; " : "", run->opts.tx_hex, (long long)index, n);
  return 0;
}

/* The reported state in the export's form: instruments, every account's balances, and the
 * compliance of every year the log has emissions for. */
static json_t *fetch_state(struct http *h) {
  struct audit_replay *r = audit_log_replay(h->run->log);
  json_t *inst = get_json(h, "/v1/instruments");
  json_t *state = json_object();
  json_object_set(state, "instruments", inst ? json_object_get(inst, "instruments") : NULL);
  json_decref(inst);
  json_t *balances = json_array(), *compliance = json_array();
  json_object_set_new(state, "balances", balances);
  json_object_set_new(state, "compliance", compliance);
  bool ok = inst != NULL;
  for (size_t i = 0; i < audit_replay_accounts_count(r) && ok; i++) {
    struct audit_account a;
    char path[96];
    audit_replay_account_at(r, i, &a);
    snprintf(path, sizeof(path), "/v1/accounts/%llu/balances", (unsigned long long)a.id);
    json_t *o = get_json(h, path);
    json_t *list = o ? json_object_get(o, "balances") : NULL;
    size_t k;
    json_t *row;
    json_array_foreach(list, k, row) {
      json_t *copy = json_deep_copy(row);
      json_object_set_new(copy, "account", json_integer((json_int_t)a.id));
      json_array_append_new(balances, copy);
    }
    ok = o != NULL;
    json_decref(o);
  }
  bool years[PROTO_YEAR_MAX + 1] = {false};
  for (size_t i = 0; i < audit_replay_compliance_count(r); i++) {
    struct audit_compliance c;
    audit_replay_compliance_at(r, i, 0, &c);
    years[c.year] = true;
  }
  for (unsigned y = PROTO_YEAR_MIN; y <= PROTO_YEAR_MAX && ok; y++) {
    if (!years[y]) continue;
    /* Paged: follow "next" (an account id) until it is null. */
    for (json_int_t after = 0; ok && after >= 0;) {
      char path[96];
      snprintf(path, sizeof(path), "/v1/compliance/%u?limit=1000&after=%lld", y, (long long)after);
      /* A year with emissions but no compliance year entry is not reported (404 unknown_year). */
      bool missing = false;
      json_t *o = get_json_opt(h, path, &missing);
      if (missing) break;
      json_t *list = o ? json_object_get(o, "enterprises") : NULL;
      size_t k;
      json_t *row;
      json_array_foreach(list, k, row) {
        json_t *copy = json_deep_copy(row);
        json_object_set_new(copy, "year", json_integer(y));
        json_array_append_new(compliance, copy);
      }
      json_t *next = o ? json_object_get(o, "next") : NULL;
      after = json_is_integer(next) ? json_integer_value(next) : -1;
      ok = o != NULL;
      json_decref(o);
    }
  }
  if (!ok) json_decref(state);
  return ok ? state : NULL;
}

/* The state is compared only when the registry did not move while it was read; if it moved,
 * the new entries are verified against a new checkpoint and the state is read again. */
static int compare_stable_state(struct http *h) {
  struct qa_run *run = h->run;
  for (unsigned attempt = 0; attempt < STATE_ATTEMPTS_MAX; attempt++) {
    json_t *state = fetch_state(h);
    json_t *log = state ? get_json(h, "/v1/log") : NULL;
    json_int_t size = log ? json_integer_value(json_object_get(log, "tree_size")) : -1;
    json_decref(log);
    if (!state || !log) {
      json_decref(state);
      return QA_EXIT_USAGE;
    }
    if ((uint64_t)size == run->cp.size) {
      int rc = qa_compare(run, state, (uint64_t)time(NULL) * 1000u);
      run->state_compared = rc == 0;
      json_decref(state);
      return rc;
    }
    json_decref(state);
    struct tlog_checkpoint next;
    int rc = fetch_checkpoint(h, &next);
    if (rc) return rc;
    if (next.size < run->cp.size) {
      qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT, "the registry's tree shrank from %llu to %llu",
              (unsigned long long)run->cp.size, (unsigned long long)next.size);
      return QA_EXIT_FAILED;
    }
    uint64_t from = run->cp.size;
    run->cp = next;
    run->progress_total = next.size;
    if ((rc = fetch_entries(h, from, next.size))) return rc;
    /* The whole tree is recomputed, so the new head is also proven to extend the old one. */
    if (audit_log_check_checkpoint(run->log, &run->cp, &run->fail)) return QA_EXIT_FAILED;
  }
  return qa_io_error("the registry kept growing while its state was read (%u attempts); the "
                     "log verified but the state was not compared", STATE_ATTEMPTS_MAX);
}

static int api_verify(struct http *h) {
  struct qa_run *run = h->run;
  json_t *log = get_json(h, "/v1/log");
  const char *origin = log ? json_string_value(json_object_get(log, "origin")) : NULL;
  if (!origin) {
    json_decref(log);
    return log ? qa_io_error("GET /v1/log: no origin") : QA_EXIT_USAGE;
  }
  snprintf(h->origin, sizeof(h->origin), "%s", origin);
  json_decref(log);
  int rc = fetch_checkpoint(h, &run->cp);
  if (rc) return rc;
  run->progress_total = run->cp.size;
  if ((rc = fetch_entries(h, 0, run->cp.size))) return rc;
  if (audit_log_check_checkpoint(run->log, &run->cp, &run->fail)) return QA_EXIT_FAILED;
  if (audit_replay_finish(audit_log_replay(run->log), &run->fail)) return QA_EXIT_FAILED;
  if ((rc = compare_stable_state(h))) return rc;
  if (audit_replay_finish(audit_log_replay(run->log), &run->fail)) return QA_EXIT_FAILED;
  if (run->have_since && (rc = prove_consistency(h))) return rc;
  if (run->opts.tx_hex && (rc = prove_inclusion(h))) return rc;
  return 0;
}

int qa_api_run(struct qa_run *run) {
  static struct http h;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return qa_io_error("libcurl failed to start");
  h.run = run;
  snprintf(h.base, sizeof(h.base), "%s", run->opts.url);
  size_t len = strlen(h.base);
  while (len > 0 && h.base[len - 1] == '/') h.base[--len] = '\0';
  h.curl = curl_easy_init();
  if (!h.curl) return qa_io_error("libcurl failed to start");
  curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h.curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
  int rc = api_verify(&h);
  curl_easy_cleanup(h.curl);
  curl_global_cleanup();
  return rc;
}
