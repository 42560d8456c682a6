/* quota-bench's set-up: builds a realistic registry through the API (genesis, 31 provinces,
 * the 3,378 enterprises of 2025 with valid USCCs, vintages, keys, issuance, allocation, verified
 * emissions, trading positions), and starts quotad itself when asked to. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/quota_bench.h"

/* GB/T 2260 province-level codes of the 31 mainland provinces, regions and municipalities. */
static const unsigned province_codes[BENCH_PROVINCES] = {
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
    42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65};

/* 2025 key emitting units by sector (published counts): power, steel, cement, aluminium. */
static const unsigned sector_sizes[4] = {2087, 232, 962, 97};

#define HOLDING_TONNES UINT64_C(10000000)  /* allocated to each enterprise */
#define TRADING_TONNES UINT64_C(1000000)   /* of which moved to the trading position */
#define EMISSIONS_TONNES UINT64_C(9000000) /* each enterprise's verified 2025 emissions */
#define DEADLINE_2025_MS UINT64_C(1798732800000) /* 2027-01-01 00:00 Beijing = 2026-12-31T16Z */

void bench_tx_id(uint64_t counter, uint8_t id[PROTO_ID_BYTES]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  memset(id, 0, PROTO_ID_BYTES);
  for (int i = 5; i >= 0; i--, ms >>= 8) id[i] = (uint8_t)(ms & 0xffu);
  for (int i = 13; i >= 6; i--, counter >>= 8) id[i] = (uint8_t)(counter & 0xffu);
}

int bench_sign_frame(const struct bench_registry *reg, const struct proto_tx *tx,
                     struct proto_key *const *keys, size_t n, uint8_t **buf, size_t *len,
                     size_t *cap) {
  static _Thread_local uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(tx, body, sizeof(body));
  if (blen < 0) {
    fprintf(stderr, "quota-bench: encode %s: %s\n", proto_tx_type_name(tx->type),
            proto_err_name((int)blen));
    return -1;
  }
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen};
  for (size_t i = 0; i < n; i++) {
    int rc = proto_envelope_sign(&env, reg->origin, keys[i]);
    if (rc) {
      fprintf(stderr, "quota-bench: sign: %s\n", proto_err_name(rc));
      return -1;
    }
  }
  bool v2 = tx->type == PROTO_TX_SETTLE && proto_tx_version(tx) == 2;
  if (*cap - *len < PROTO_ENTRY_BYTES_MAX + 2 + (v2 ? PROTO_LEGS_BYTES_MAX + 2 : 0)) {
    size_t ncap = *cap ? *cap * 2 : 1u << 20;
    uint8_t *p = realloc(*buf, ncap);
    if (!p) return -1;
    *buf = p;
    *cap = ncap;
  }
  long elen = proto_envelope_encode(&env, *buf + *len + 2, *cap - *len - 2);
  if (elen <= 0 || elen > 65535) return -1;
  (*buf)[*len] = (uint8_t)((unsigned long)elen >> 8);
  (*buf)[*len + 1] = (uint8_t)(elen & 0xff);
  *len += 2 + (size_t)elen;
  if (!v2) return 0;
  /* a version 2 settle's legs blob: the next frame (docs/API.md) */
  long llen = proto_legs_encode(tx->u.settle.legs, tx->u.settle.legs_count, *buf + *len + 2, *cap - *len - 2);
  if (llen <= 0 || llen > 65535) return -1;
  (*buf)[*len] = (uint8_t)((unsigned long)llen >> 8);
  (*buf)[*len + 1] = (uint8_t)(llen & 0xff);
  *len += 2 + (size_t)llen;
  return 0;
}

/* Checks a POST /v1/tx answer: every result ok or exists. */
static int check_results(const char *resp, size_t count, const char *what) {
  json_error_t jerr;
  json_t *root = json_loads(resp, 0, &jerr);
  json_t *results = root ? json_object_get(root, "results") : NULL;
  int rc = 0;
  if (!json_is_array(results) || json_array_size(results) != count) {
    fprintf(stderr, "quota-bench: %s: unexpected answer: %.300s\n", what, resp);
    rc = -1;
  }
  for (size_t i = 0; rc == 0 && i < json_array_size(results); i++) {
    const char *res = json_string_value(json_object_get(json_array_get(results, i), "result"));
    if (!res || (strcmp(res, "ok") != 0 && strcmp(res, "exists") != 0)) {
      char *dump = json_dumps(json_array_get(results, i), JSON_COMPACT);
      fprintf(stderr, "quota-bench: %s: transaction %zu refused: %s\n", what, i, dump ? dump : "?");
      free(dump);
      rc = -1;
    }
  }
  json_decref(root);
  return rc;
}

int bench_submit_frames(struct http_conn *c, const struct bench_target *t, const uint8_t *frames,
                        size_t len, size_t count, const char *what) {
  int status = 0;
  char *resp = NULL;
  int err = http_roundtrip(c, t->host, "POST", "/v1/tx", "application/octet-stream", frames, len,
                           &status, &resp, NULL);
  if (err) {
    fprintf(stderr, "quota-bench: %s: %s\n", what, strerror(-err));
    return -1;
  }
  int rc = status == 200 ? check_results(resp, count, what) : -1;
  if (status != 200) fprintf(stderr, "quota-bench: %s: HTTP %d: %.300s\n", what, status, resp);
  free(resp);
  return rc;
}

/* A set-up phase: frames accumulate and go out in requests of reg->setup_chunk. */
struct phase {
  const struct bench_target *t;
  struct http_conn *c;
  const char *what;
  uint8_t *buf;
  size_t len, cap, count, total;
};

static int phase_flush(struct phase *p) {
  if (p->count == 0) return 0;
  int rc = bench_submit_frames(p->c, p->t, p->buf, p->len, p->count, p->what);
  p->total += p->count;
  p->len = 0;
  p->count = 0;
  return rc;
}

static int phase_add(struct phase *p, struct bench_registry *reg, struct proto_tx *tx,
                     struct proto_key *key) {
  bench_tx_id(++reg->tx_counter, tx->id);
  if (bench_sign_frame(reg, tx, &key, 1, &p->buf, &p->len, &p->cap) != 0) return -1;
  p->count++;
  return p->count >= reg->setup_chunk ? phase_flush(p) : 0;
}

static int phase_end(struct phase *p) {
  int rc = phase_flush(p);
  free(p->buf);
  p->buf = NULL;
  p->cap = 0;
  if (rc == 0) fprintf(stderr, "quota-bench: set-up: %s: %zu transactions\n", p->what, p->total);
  return rc;
}

static void make_uscc(unsigned province, unsigned i, char out[PROTO_USCC_BYTES + 1]) {
  static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  char first17[18];
  /* "9" registered by the market regulator, "1" an enterprise, the division code of the
   * province's capital (e.g. 110100), then a nine-character organisation code derived from i. */
  snprintf(first17, sizeof(first17), "91%02u0100", province % 100u);
  unsigned v = i;
  for (int k = 16; k >= 8; k--, v /= 31u) first17[k] = alphabet[v % 31u];
  memcpy(out, first17, 17);
  out[17] = proto_uscc_check_char(first17);
  out[18] = '\0';
}

static unsigned sector_of(unsigned i) {
  unsigned limit = 0;
  for (unsigned s = 0; s < 4; s++) {
    limit += sector_sizes[s];
    if (i < limit) return PROTO_SECTOR_POWER + s;
  }
  return PROTO_SECTOR_POWER; /* beyond the 3,378 of 2025: more power plants */
}

static int genesis(const struct bench_target *t, struct http_conn *c, struct bench_registry *reg) {
  struct proto_tx tx = {.type = PROTO_TX_GENESIS};
  struct proto_genesis *g = &tx.u.genesis;
  snprintf(g->origin, sizeof(g->origin), "%s", reg->origin);
  proto_key_public(reg->log_key, g->log_public_key);
  g->national_account = BENCH_NATIONAL;
  g->operator_threshold = 1;
  g->operator_keys_count = 1;
  proto_key_public(reg->operator_key, g->operator_keys[0]);
  struct phase p = {.t = t, .c = c, .what = "genesis"};
  if (phase_add(&p, reg, &tx, reg->log_key) != 0) return -1;
  return phase_end(&p);
}

static int add_instrument(struct phase *p, struct bench_registry *reg, const char *code,
                          unsigned kind, unsigned vintage, unsigned first, unsigned last,
                          uint64_t cap, uint64_t issue) {
  struct proto_tx tx = {.type = PROTO_TX_INSTRUMENT_CREATE};
  struct proto_instrument_create *in = &tx.u.instrument;
  snprintf(in->code, sizeof(in->code), "%s", code);
  in->kind = (uint8_t)kind;
  in->vintage = (uint16_t)vintage;
  in->first_year = (uint16_t)first;
  in->last_year = (uint16_t)last;
  in->cap = cap;
  if (phase_add(p, reg, &tx, reg->operator_key) != 0) return -1;
  if (issue == 0) return 0;
  struct proto_tx is = {.type = PROTO_TX_ISSUE};
  snprintf(is.u.move.instrument, sizeof(is.u.move.instrument), "%s", code);
  is.u.move.amount = issue;
  return phase_add(p, reg, &is, reg->operator_key);
}

/* Vintages, the 2025 compliance year, and quota issued into the national account. */
static int instruments(struct phase *p, struct bench_registry *reg) {
  uint64_t need = 0, cap = 0;
  if (__builtin_mul_overflow((uint64_t)reg->enterprises, HOLDING_TONNES, &need) ||
      __builtin_add_overflow(need, UINT64_C(1000000000), &cap) || cap > PROTO_AMOUNT_MAX)
    return -1;
  int rc = add_instrument(p, reg, "CEA-2019-2020", PROTO_INSTRUMENT_CEA, 2020, 2019, 2024,
                          UINT64_C(8000000000), UINT64_C(4000000000));
  for (unsigned y = 2021; rc == 0 && y <= 2024; y++) {
    char code[PROTO_INSTRUMENT_BYTES + 1];
    snprintf(code, sizeof(code), "CEA-%u", y % 10000u);
    rc = add_instrument(p, reg, code, PROTO_INSTRUMENT_CEA, y, y, 2024, UINT64_C(9000000000),
                        UINT64_C(1000000000));
  }
  if (rc == 0)
    rc = add_instrument(p, reg, "CEA-2025", PROTO_INSTRUMENT_CEA, 2025, 2025, 2100, cap, need);
  if (rc == 0)
    rc = add_instrument(p, reg, "CCER-2024", PROTO_INSTRUMENT_CCER, 2024, 2025, 2100,
                        UINT64_C(100000000), 0);
  struct proto_tx cy = {.type = PROTO_TX_COMPLIANCE_YEAR};
  cy.u.compliance_year.year = 2025;
  cy.u.compliance_year.deadline_ms = DEADLINE_2025_MS;
  return rc == 0 ? phase_add(p, reg, &cy, reg->operator_key) : rc;
}

static int register_key(struct phase *p, struct bench_registry *reg, const struct proto_key *key,
                        unsigned role, uint64_t scope, const char *name) {
  struct proto_tx tx = {.type = PROTO_TX_KEY_REGISTER};
  proto_key_public(key, tx.u.key_register.public_key);
  tx.u.key_register.role = (uint8_t)role;
  tx.u.key_register.scope = scope;
  snprintf(tx.u.key_register.name, sizeof(tx.u.key_register.name), "%s", name);
  return phase_add(p, reg, &tx, reg->operator_key);
}

/* Provincial and enterprise accounts, the authorities' and the exchange's keys. */
static int accounts(struct phase *p, struct bench_registry *reg) {
  for (unsigned k = 0; k < BENCH_PROVINCES; k++) {
    struct proto_tx tx = {.type = PROTO_TX_ACCOUNT_OPEN};
    struct proto_account *a = &tx.u.account;
    a->account = BENCH_PROVINCIAL(province_codes[k]);
    a->kind = PROTO_ACCOUNT_PROVINCIAL;
    a->province = (uint8_t)province_codes[k];
    a->threshold = 1;
    snprintf(a->name, sizeof(a->name), "Department of Ecology and Environment %u", a->province);
    if (phase_add(p, reg, &tx, reg->operator_key) != 0) return -1;
  }
  for (unsigned i = 0; i < reg->enterprises; i++) {
    struct proto_tx tx = {.type = PROTO_TX_ACCOUNT_OPEN};
    struct proto_account *a = &tx.u.account;
    a->account = BENCH_ENTERPRISE(i);
    a->kind = PROTO_ACCOUNT_ENTERPRISE;
    a->province = (uint8_t)province_codes[reg->enterprise_province[i]];
    a->sector = (uint8_t)sector_of(i);
    a->threshold = 1;
    make_uscc(a->province, i, a->uscc);
    snprintf(a->name, sizeof(a->name), "Key emitting unit %u (%s)", i + 1,
             proto_sector_name(a->sector));
    if (phase_add(p, reg, &tx, reg->operator_key) != 0) return -1;
  }
  for (unsigned k = 0; k < BENCH_PROVINCES; k++) {
    char name[64];
    snprintf(name, sizeof(name), "authority CN-%u", province_codes[k]);
    if (register_key(p, reg, reg->authority[k], PROTO_ROLE_AUTHORITY, province_codes[k], name))
      return -1;
  }
  return register_key(p, reg, reg->exchange_key, PROTO_ROLE_EXCHANGE, 0, "exchange");
}

static int representatives(struct phase *p, struct bench_registry *reg) {
  for (unsigned i = 0; i < reg->enterprises; i++) {
    char name[64];
    snprintf(name, sizeof(name), "representative of %u", BENCH_ENTERPRISE(i));
    if (register_key(p, reg, reg->representative[i], PROTO_ROLE_REPRESENTATIVE,
                     BENCH_ENTERPRISE(i), name))
      return -1;
  }
  return 0;
}

static int allocate(struct phase *p, struct bench_registry *reg, uint64_t from, uint64_t to,
                    uint64_t amount, struct proto_key *signer) {
  struct proto_tx tx = {.type = PROTO_TX_ALLOCATE};
  tx.u.move.from = from;
  tx.u.move.to = to;
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = amount;
  tx.u.move.year = 2025;
  tx.u.move.kind = PROTO_ALLOC_FINAL;
  return phase_add(p, reg, &tx, signer);
}

/* National -> provincial, the share of each province's enterprises. */
static int allocate_provinces(struct phase *p, struct bench_registry *reg) {
  for (unsigned k = 0; k < BENCH_PROVINCES; k++) {
    uint64_t total = 0;
    for (unsigned i = 0; i < reg->enterprises; i++)
      if (reg->enterprise_province[i] == k &&
          __builtin_add_overflow(total, HOLDING_TONNES, &total))
        return -1;
    if (total > 0 &&
        allocate(p, reg, BENCH_NATIONAL, BENCH_PROVINCIAL(province_codes[k]), total,
                 reg->operator_key) != 0)
      return -1;
  }
  return 0;
}

/* Provincial -> enterprise, and each enterprise's verified 2025 emissions (its obligation). */
static int allocate_enterprises(struct phase *p, struct bench_registry *reg) {
  for (unsigned i = 0; i < reg->enterprises; i++) {
    unsigned k = reg->enterprise_province[i];
    if (allocate(p, reg, BENCH_PROVINCIAL(province_codes[k]), BENCH_ENTERPRISE(i),
                 HOLDING_TONNES, reg->authority[k]) != 0)
      return -1;
    struct proto_tx tx = {.type = PROTO_TX_VERIFIED_EMISSIONS};
    tx.u.emissions.account = BENCH_ENTERPRISE(i);
    tx.u.emissions.year = 2025;
    tx.u.emissions.emissions = EMISSIONS_TONNES;
    snprintf(tx.u.emissions.ref, sizeof(tx.u.emissions.ref), "verification report 2025-%u", i);
    if (phase_add(p, reg, &tx, reg->authority[k]) != 0) return -1;
  }
  return 0;
}

static int trading_positions(struct phase *p, struct bench_registry *reg) {
  for (unsigned i = 0; i < reg->enterprises; i++) {
    struct proto_tx tx = {.type = PROTO_TX_POSITION_MOVE};
    tx.u.move.from = BENCH_ENTERPRISE(i);
    snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
    tx.u.move.amount = TRADING_TONNES;
    tx.u.move.kind = PROTO_POSITION_TRADING;
    if (phase_add(p, reg, &tx, reg->representative[i]) != 0) return -1;
  }
  return 0;
}

static int make_keys(struct bench_registry *reg) {
  reg->representative = calloc(reg->enterprises, sizeof(struct proto_key *));
  reg->enterprise_province = calloc(reg->enterprises, sizeof(*reg->enterprise_province));
  if (!reg->representative || !reg->enterprise_province) return -1;
  if (!reg->operator_key) reg->operator_key = proto_key_generate();
  if (!reg->log_key) reg->log_key = proto_key_generate();
  reg->exchange_key = proto_key_generate();
  if (!reg->operator_key || !reg->log_key || !reg->exchange_key) return -1;
  for (unsigned k = 0; k < BENCH_PROVINCES; k++) {
    reg->province_codes[k] = province_codes[k];
    if (!(reg->authority[k] = proto_key_generate())) return -1;
  }
  for (unsigned i = 0; i < reg->enterprises; i++) {
    /* Spread enterprises over provinces as the real ones are: unevenly, every province some. */
    reg->enterprise_province[i] = (i * 7u + i / 31u) % BENCH_PROVINCES;
    if (!(reg->representative[i] = proto_key_generate())) return -1;
  }
  return 0;
}

typedef int (*phase_fn)(struct phase *, struct bench_registry *);

int bench_setup(const struct bench_target *t, struct bench_registry *reg, bool trading) {
  static const struct {
    const char *what;
    phase_fn fn;
  } phases[] = {
      {"instruments, compliance year, issuance", instruments},
      {"accounts, authority and exchange keys", accounts},
      {"representative keys", representatives},
      {"allocation to provinces", allocate_provinces},
      {"allocation to enterprises, verified emissions", allocate_enterprises},
      {"positions moved to trading", trading_positions},
  };
  if (make_keys(reg) != 0) return -1;
  struct http_conn c;
  int err = http_connect(t->host, t->port, &c);
  if (err) {
    fprintf(stderr, "quota-bench: connect %s:%u: %s\n", t->host, t->port, strerror(-err));
    return -1;
  }
  int rc = genesis(t, &c, reg);
  size_t n = sizeof(phases) / sizeof(phases[0]);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (phases[i].fn == trading_positions && !trading) continue;
    struct phase p = {.t = t, .c = &c, .what = phases[i].what};
    rc = phases[i].fn(&p, reg);
    int end = phase_end(&p);
    if (rc == 0) rc = end;
  }
  http_close(&c);
  return rc;
}

void bench_registry_free(struct bench_registry *reg) {
  proto_key_free(reg->log_key);
  proto_key_free(reg->operator_key);
  proto_key_free(reg->exchange_key);
  for (unsigned k = 0; k < BENCH_PROVINCES; k++) proto_key_free(reg->authority[k]);
  for (unsigned i = 0; reg->representative && i < reg->enterprises; i++)
    proto_key_free(reg->representative[i]);
  free(reg->representative);
  free(reg->enterprise_province);
  memset(reg, 0, sizeof(*reg));
}

static unsigned free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  unsigned port = 0;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

/* Saves the log and operator keys in dir, so that other tools can follow the bench's registry. */
static int save_keys(const char *dir, struct bench_registry *reg, char *key_path, size_t cap) {
  char op_path[4096];
  snprintf(key_path, cap, "%s/log.key", dir);
  snprintf(op_path, sizeof(op_path), "%s/operator.key", dir);
  if (!reg->log_key && !(reg->log_key = proto_key_generate())) return -1;
  if (!reg->operator_key && !(reg->operator_key = proto_key_generate())) return -1;
  int rc = proto_key_save(reg->log_key, key_path);
  if (rc == 0) rc = proto_key_save(reg->operator_key, op_path);
  if (rc) fprintf(stderr, "quota-bench: saving keys in %s: %s\n", dir, proto_err_message(rc));
  return rc ? -1 : 0;
}

int bench_start_quotad(const char *path, const char *dir, const char *config,
                       const char *const *extra, size_t n, struct bench_registry *reg,
                       struct bench_target *t, pid_t *pid) {
  char key_path[4096], data_dir[4096], listen_addr[64], log_path[4096];
  const char *argv[32];
  if (n > 20 || save_keys(dir, reg, key_path, sizeof(key_path)) != 0) return -1;
  snprintf(data_dir, sizeof(data_dir), "%s/data", dir);
  if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) return -1; /* quotad wants it to exist */
  snprintf(log_path, sizeof(log_path), "%s/quotad.log", dir);
  t->port = free_port();
  snprintf(t->host, sizeof(t->host), "127.0.0.1");
  snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%u", t->port);
  if (t->port == 0) return -1;
  size_t argc = 0;
  const char *fixed[] = {path, "--data-dir", data_dir, "--log-key", key_path, "--listen",
                         listen_addr};
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) argv[argc++] = fixed[i];
  if (config) {
    argv[argc++] = "--config";
    argv[argc++] = config;
  }
  for (size_t i = 0; i < n; i++) argv[argc++] = extra[i];
  argv[argc] = NULL;
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    /* quotad's log goes to a file beside its data: the bench's own output stays readable. */
    if (!freopen(log_path, "w", stderr)) _exit(126);
    execv(path, (char *const *)argv);
    fprintf(stderr, "quota-bench: exec %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  *pid = child;
  fprintf(stderr, "quota-bench: started %s (pid %d) on %s, data in %s, log %s\n", path,
          (int)child, listen_addr, data_dir, log_path);
  return 0;
}

int bench_wait_healthy(const struct bench_target *t, double timeout_s, pid_t pid) {
  for (long tries = 0; (double)tries * 0.05 < timeout_s; tries++) {
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
      fprintf(stderr, "quota-bench: quotad exited before it was ready (status %d)\n", status);
      return -1;
    }
    struct http_conn c;
    if (http_connect(t->host, t->port, &c) == 0) {
      char *resp = NULL;
      int err = http_roundtrip(&c, t->host, "GET", "/healthz", NULL, NULL, 0, &status, &resp, NULL);
      free(resp);
      http_close(&c);
      if (err == 0 && status == 200) return 0;
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "quota-bench: %s:%u not healthy after %.0f s\n", t->host, t->port, timeout_s);
  return -1;
}
