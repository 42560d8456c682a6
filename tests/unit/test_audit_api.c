/* quota-audit against a live registry: a small fake registry (a forked HTTP server over a rogue
 * writer's log, checking each signed read header) answers the API of docs/API.md. An honest
 * registry passes with its inclusion and consistency proofs; a wrong reported balance, a bad
 * proof or an unsigned read are each caught; an unreachable registry exits 2. */
#include "proto/proto_json.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define W_LEAF_MODE true
#include "tests/unit/audit_fixture.h"
#include "tools/common/read_auth.h"

enum fake_fault { FAKE_HONEST, FAKE_WRONG_BALANCE, FAKE_BAD_PROOF, FAKE_NEEDS_AUTH_BADLY };

static struct world w;
static char dir[64], vk[TLOG_VERIFIER_KEY_BYTES_MAX], note[TLOG_CHECKPOINT_BYTES_MAX];
static char out[65536];
static uint8_t (*hashes)[PROTO_HASH_BYTES];
static pid_t server;
static int port;

/* ---- RFC 9162 2.1.3 / 2.1.4 proofs over the leaf hashes, written from the RFC's definitions
 * for this fake registry (the auditor's verifier is tlog/merkle.c's) ---- */

static uint64_t split_of(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

static void mth(uint64_t lo, uint64_t n, uint8_t out_hash[PROTO_HASH_BYTES]) {
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])(hashes + lo), n, out_hash);
}

static size_t path(uint64_t m, uint64_t lo, uint64_t n, uint8_t (*p)[PROTO_HASH_BYTES]) {
  if (n <= 1) return 0;
  uint64_t k = split_of(n);
  size_t len;
  if (m < k) {
    len = path(m, lo, k, p);
    mth(lo + k, n - k, p[len]);
  } else {
    len = path(m - k, lo + k, n - k, p);
    mth(lo, k, p[len]);
  }
  return len + 1;
}

static size_t subproof(uint64_t m, uint64_t lo, uint64_t n, bool whole, uint8_t (*p)[PROTO_HASH_BYTES]) {
  if (m == n) {
    if (whole) return 0;
    mth(lo, n, p[0]);
    return 1;
  }
  uint64_t k = split_of(n);
  size_t len;
  if (m <= k) {
    len = subproof(m, lo, k, whole, p);
    mth(lo + k, n - k, p[len]);
  } else {
    len = subproof(m - k, lo + k, n - k, false, p);
    mth(lo, k, p[len]);
  }
  return len + 1;
}

static json_t *proof_json(uint8_t (*p)[PROTO_HASH_BYTES], size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    char b64[64];
    proto_base64_encode(p[i], PROTO_HASH_BYTES, b64, sizeof(b64));
    json_array_append_new(a, json_string(b64));
  }
  return json_pack("{s:o}", "hashes", a);
}

/* ---- the fake registry ---- */

static bool read_authorized(const char *req, const char *target) {
  const char *h = strstr(req, "Authorization: Quotad-Ed25519 key=");
  char key_b64[64], sig_b64[128];
  uint64_t t;
  if (!h || read_auth_header_parse(h, key_b64, sizeof(key_b64), &t, sig_b64, sizeof(sig_b64)) != 0)
    return false;
  uint8_t hash[PROTO_HASH_BYTES], want[PROTO_HASH_BYTES], sig[PROTO_SIG_BYTES + 2], msg[2400];
  proto_key_hash(w.op1, want);
  long len = proto_read_message(ROGUE_ORIGIN, "GET", target, t, msg, sizeof(msg));
  return proto_base64_decode(key_b64, strlen(key_b64), hash, sizeof(hash)) == PROTO_HASH_BYTES &&
         memcmp(hash, want, sizeof(hash)) == 0 && len > 0 &&
         proto_base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig)) == PROTO_SIG_BYTES &&
         proto_verify(w.op1, msg, (size_t)len, sig) == 0 &&
         (t + 300 >= (uint64_t)time(NULL) && t <= (uint64_t)time(NULL) + 300);
}

/* Matches target = pre <a> [mid <b>] post exactly, with decimal numbers a (and b). */
static bool route(const char *target, const char *pre, const char *mid, const char *post,
                  unsigned long long *a, unsigned long long *b) {
  size_t n = strlen(pre);
  if (strncmp(target, pre, n) != 0 || target[n] < '0' || target[n] > '9') return false;
  char *end;
  *a = strtoull(target + n, &end, 10);
  if (mid) {
    n = strlen(mid);
    if (strncmp(end, mid, n) != 0 || end[n] < '0' || end[n] > '9') return false;
    *b = strtoull(end + n, &end, 10);
  }
  return strcmp(end, post) == 0;
}

static json_t *route_state(const char *target, enum fake_fault fault) {
  unsigned long long a, b;
  if (strcmp(target, "/v1/instruments") == 0) {
    json_t *arr = json_array();
    for (size_t i = 0; i < audit_replay_instruments_count(w.r); i++) {
      struct audit_instrument in;
      audit_replay_instrument_at(w.r, i, &in);
      json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "code", in.code, "cap",
                                           (json_int_t)in.cap, "issued", (json_int_t)in.issued,
                                           "surrendered", (json_int_t)in.surrendered, "cancelled",
                                           (json_int_t)in.cancelled, "carried_over",
                                           (json_int_t)in.carried_over));
    }
    return json_pack("{s:o}", "instruments", arr);
  }
  if (route(target, "/v1/accounts/", NULL, "/balances", &a, NULL)) {
    json_t *arr = json_array();
    for (size_t i = 0; i < audit_replay_balances_count(w.r); i++) {
      struct audit_balance bal;
      audit_replay_balance_at(w.r, i, &bal);
      if (bal.account != a || (bal.registry == 0 && bal.trading == 0)) continue;
      uint64_t reg = bal.registry + (fault == FAKE_WRONG_BALANCE && a == W_ENT_B ? 7 : 0);
      json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:I}", "instrument", bal.instrument,
                                           "registry", (json_int_t)reg, "trading", (json_int_t)bal.trading,
                                           "frozen", (json_int_t)bal.frozen, "available",
                                           (json_int_t)(reg - bal.frozen)));
    }
    return json_pack("{s:I, s:o}", "account", (json_int_t)a, "balances", arr);
  }
  if (route(target, "/v1/compliance/", NULL, "", &b, NULL)) {
    if (b != 2025) return NULL; /* the only year opened: others are 404 unknown_year */
    json_t *arr = json_array();
    for (size_t i = 0; i < audit_replay_compliance_count(w.r); i++) {
      struct audit_compliance c;
      audit_replay_compliance_at(w.r, i, (uint64_t)time(NULL) * 1000u, &c);
      if (c.year != b) continue;
      json_array_append_new(arr, json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "account", (json_int_t)c.account,
                                           "emissions", (json_int_t)c.emissions, "surrendered_cea",
                                           (json_int_t)c.surrendered_cea, "surrendered_ccer",
                                           (json_int_t)c.surrendered_ccer, "shortfall",
                                           (json_int_t)c.shortfall, "status", audit_status_name(c.status)));
    }
    return json_pack("{s:I, s:o}", "year", (json_int_t)b, "enterprises", arr);
  }
  return NULL;
}

static json_t *route_log(const char *target, enum fake_fault fault) {
  unsigned long long a, b;
  uint8_t p[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  if (strcmp(target, "/v1/log") == 0)
    return json_pack("{s:s, s:s, s:I}", "origin", ROGUE_ORIGIN, "verifier_key", vk, "tree_size",
                     (json_int_t)w.rlog.count);
  if (route(target, "/v1/entries?start=", "&limit=", "", &a, &b)) {
    json_t *arr = json_array();
    for (uint64_t i = a; i < a + b && i < w.rlog.count; i++) {
      char *b64 = malloc(PROTO_ENTRY_BYTES_MAX * 2);
      proto_base64_encode(w.rlog.leaves[i], w.rlog.lens[i], b64, PROTO_ENTRY_BYTES_MAX * 2);
      json_array_append_new(arr, json_pack("{s:I, s:s}", "index", (json_int_t)i, "leaf", b64));
      free(b64);
    }
    return json_pack("{s:o}", "entries", arr);
  }
  if (route(target, "/v1/proof/inclusion?index=", "&tree_size=", "", &a, &b)) {
    size_t n = path(a, 0, b, p);
    if (fault == FAKE_BAD_PROOF) p[0][0] ^= 1;
    return proof_json(p, n);
  }
  if (route(target, "/v1/proof/consistency?first=", "&second=", "", &a, &b))
    return proof_json(p, a == 0 ? 0 : subproof(a, 0, b, true, p));
  if (strncmp(target, "/v1/tx/", 7) == 0) {
    uint8_t id[PROTO_ID_BYTES];
    uint64_t index;
    if (proto_hex_decode(target + 7, strlen(target + 7), id, sizeof(id)) == PROTO_ID_BYTES &&
        audit_replay_tx_index(w.r, id, &index))
      return json_pack("{s:I}", "index", (json_int_t)index);
  }
  return NULL;
}

static void reply(int fd, int status, const char *body) {
  char head[160];
  int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, strlen(body));
  if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) return;
}

static void serve_one(int fd, enum fake_fault fault) {
  static char req[16384];
  size_t len = 0;
  ssize_t r;
  while (len < sizeof(req) - 1 && (r = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
    len += (size_t)r;
    req[len] = '\0';
    if (strstr(req, "\r\n\r\n")) break;
  }
  char target[2048];
  if (sscanf(req, "GET %2047s HTTP/1.1", target) != 1) return reply(fd, 400, "{}");
  if (strcmp(target, "/v1/checkpoint") == 0) return reply(fd, 200, note);
  bool public = strcmp(target, "/v1/log") == 0 || strcmp(target, "/v1/instruments") == 0 ||
                strncmp(target, "/v1/compliance/", 15) == 0 || strncmp(target, "/v1/proof/consistency", 21) == 0;
  if (!public && (fault == FAKE_NEEDS_AUTH_BADLY || !read_authorized(req, target)))
    return reply(fd, 401, "{\"error\": {\"code\": \"unauthorized\", \"message\": \"signed read needed\"}}");
  json_t *j = route_log(target, fault);
  if (!j) j = route_state(target, fault);
  if (!j) return reply(fd, 404, "{\"error\": {\"code\": \"not_found\", \"message\": \"no\"}}");
  char *body = json_dumps(j, JSON_COMPACT);
  reply(fd, 200, body);
  free(body);
  json_decref(j);
}

static void start_server(enum fake_fault fault) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(addr);
  cr_assert(s >= 0 && bind(s, (struct sockaddr *)&addr, sizeof(addr)) == 0 && listen(s, 16) == 0);
  cr_assert_eq(getsockname(s, (struct sockaddr *)&addr, &alen), 0);
  port = ntohs(addr.sin_port);
  server = fork();
  cr_assert(server >= 0);
  if (server == 0) {
    for (unsigned served = 0; served < 10000; served++) {
      int fd = accept(s, NULL, NULL);
      if (fd < 0) _exit(1);
      serve_one(fd, fault);
      close(fd);
    }
    _exit(0);
  }
  close(s);
}

static void setup(void) {
  w_standard(&w);
  w_busy(&w);
  /* Emissions for a year that was never opened: the registry does not report that year. */
  struct proto_tx tx = w_emissions(W_ENT_B, 2026, 1000);
  w_ok(&w, &tx, w.auth);
  snprintf(dir, sizeof(dir), "/tmp/quota-audit-api-XXXXXX");
  cr_assert(mkdtemp(dir) != NULL);
  rogue_verifier_key(w.log, vk, sizeof(vk));
  rogue_checkpoint(&w.rlog, w.rlog.count, w.log, note, sizeof(note));
  hashes = calloc(w.rlog.count, PROTO_HASH_BYTES);
  for (size_t i = 0; i < w.rlog.count; i++) tlog_leaf_hash(w.rlog.leaves[i], w.rlog.lens[i], hashes[i]);
  char key_path[128];
  snprintf(key_path, sizeof(key_path), "%s/reader.key", dir);
  cr_assert_eq(proto_key_save(w.op1, key_path), 0);
  server = 0;
}

static void teardown(void) {
  if (server > 0) {
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
  }
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  free(hashes);
  w_fini(&w);
}


static int run_audit(const char *extra) {
  char cmd[4096], log_path[128];
  snprintf(log_path, sizeof(log_path), "%s/out.txt", dir);
  snprintf(cmd, sizeof(cmd),
           "%s/tools/quota-audit --quiet --url http://127.0.0.1:%d/ --key '%s/reader.key' "
           "--verifier-key '%s' %s > '%s' 2>&1",
           QUOTAD_BUILD_DIR, port, dir, vk, extra ? extra : "", log_path);
  int status = system(cmd);
  FILE *f = fopen(log_path, "r");
  size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
  out[n] = '\0';
  if (f) fclose(f);
  cr_assert(WIFEXITED(status), "%s", out);
  return WEXITSTATUS(status);
}

Test(audit_api, verifies_an_honest_registry_with_its_proofs) {
  setup();
  start_server(FAKE_HONEST);
  char old[TLOG_CHECKPOINT_BYTES_MAX], path_old[160], extra[512], hex[33];
  rogue_checkpoint(&w.rlog, 13, w.log, old, sizeof(old));
  snprintf(path_old, sizeof(path_old), "%s/old.note", dir);
  FILE *f = fopen(path_old, "w");
  fputs(old, f);
  fclose(f);
  struct proto_tx tx;
  uint64_t index = 17;
  struct proto_entry e;
  struct proto_envelope env;
  cr_assert_eq(proto_entry_decode(w.rlog.leaves[index], w.rlog.lens[index], &e), 0);
  cr_assert_eq(proto_envelope_decode(e.envelope, e.envelope_len, &env), 0);
  cr_assert_eq(proto_tx_decode(env.body, env.body_len, &tx), 0);
  proto_hex_encode(tx.id, PROTO_ID_BYTES, hex, sizeof(hex));
  proto_tx_free(&tx);
  snprintf(extra, sizeof(extra), "--since-checkpoint '%s' --tx %s", path_old, hex);
  cr_assert_eq(run_audit(extra), 0, "%s", out);
  cr_assert(strstr(out, "reported state matches the replay") != NULL, "%s", out);
  cr_assert(strstr(out, "consistent with the older 13 (RFC 9162 proof") != NULL, "%s", out);
  cr_assert(strstr(out, "is entry 17 (inclusion proof") != NULL, "%s", out);
  teardown();
}

Test(audit_api, names_a_wrong_reported_balance) {
  setup();
  start_server(FAKE_WRONG_BALANCE);
  cr_assert_eq(run_audit(NULL), 1, "%s", out);
  char want[96];
  snprintf(want, sizeof(want), "balance of account %u CEA-2025 registry is", W_ENT_B);
  cr_assert(strstr(out, want) != NULL, "%s", out);
  teardown();
}

Test(audit_api, refuses_a_bad_inclusion_proof) {
  setup();
  start_server(FAKE_BAD_PROOF);
  cr_assert_eq(run_audit("--tx 0f00000000000000000000000000000a"), 1, "%s", out);
  cr_assert(strstr(out, "[bad_proof]") != NULL, "%s", out);
  teardown();
}

Test(audit_api, exits_2_when_reads_are_refused_or_nobody_answers) {
  setup();
  start_server(FAKE_NEEDS_AUTH_BADLY);
  cr_assert_eq(run_audit(NULL), 2, "%s", out);
  cr_assert(strstr(out, "401") != NULL, "%s", out);
  kill(server, SIGTERM);
  waitpid(server, NULL, 0);
  server = 0;
  cr_assert_eq(run_audit(NULL), 2, "%s", out); /* the port is closed now */
  teardown();
}
