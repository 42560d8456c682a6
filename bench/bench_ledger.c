/* bench_ledger: throughput of the ledger's write path (pre-verified signed transfers in batches
 * of 8,189, one fsync per batch) and, with --scale N, open time, the invariant check's time, proof
 * times and bytes on disk per entry for a log of N entries. Prints a table for docs/BENCHMARKS.md.
 *
 *   bench_ledger [--dir D] [--batches B] [--accounts A] [--scale N] [--keep]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "proto/proto.h"

#define BATCH_ENTRIES 8189u
#define ORIGIN "bench.quotad/log"
#define NATIONAL 1u
#define PROVINCE 44u
#define FIRST_ACCOUNT 100000u
#define QUERIES 10000u

struct bench {
  const char *dir;
  struct ledger *l;
  struct proto_key *log, *op, *auth;
  struct proto_key **reps;
  unsigned accounts;
  uint64_t next_id;
  uint64_t time_ms;
  uint8_t *bufs;
  struct ledger_submission *subs;
  size_t n;
};

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of this thread: on a shared machine, what one core would do. */
static double cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static void die(const char *what, int rc) {
  fprintf(stderr, "bench_ledger: %s: %s\n", what, proto_err_name(rc));
  exit(1);
}

/* Time-ordered ids, as proto/FORMAT.md recommends: the id index grows at its end. */
static void new_id(struct bench *b, struct proto_tx *tx) {
  uint64_t v = ++b->next_id;
  memset(tx->id, 0, PROTO_ID_BYTES);
  for (int i = 0; i < 8; i++) tx->id[7 - i] = (uint8_t)(v >> (8 * i));
}

/* Adds tx signed by key to the pending batch; with fake_sig the signature is placeholder bytes
 * (only for --scale, whose entries are applied pre-verified and measured for size and proofs). */
static void add(struct bench *b, struct proto_tx *tx, const struct proto_key *key, bool fake_sig) {
  uint8_t body[1024];
  long blen = proto_tx_encode(tx, body, sizeof(body));
  if (blen < 0) die("encode", (int)blen);
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen};
  if (fake_sig) {
    proto_key_hash(key, env.sigs[0].key_hash);
    memset(env.sigs[0].sig, 0x5a, PROTO_SIG_BYTES);
    env.sigs_count = 1;
  } else {
    int rc = proto_envelope_sign(&env, ORIGIN, key);
    if (rc) die("sign", rc);
  }
  uint8_t *out = b->bufs + b->n * 512;
  long elen = proto_envelope_encode(&env, out, 512);
  if (elen < 0) die("envelope", (int)elen);
  b->subs[b->n] = (struct ledger_submission){.envelope = out, .envelope_len = (size_t)elen};
  b->n++;
}

static void flush(struct bench *b, bool verified) {
  for (size_t i = 0; i < b->n; i++) b->subs[i].signatures_verified = verified;
  int rc = ledger_apply(b->l, b->subs, b->n, b->time_ms++, NULL);
  if (rc) die("apply", rc);
  for (size_t i = 0; i < b->n; i++)
    if (b->subs[i].result != 0 && b->subs[i].result != LEDGER_EXISTS) die("tx", b->subs[i].result);
  b->n = 0;
}

static void tx_init(struct bench *b, struct proto_tx *tx, unsigned type) {
  memset(tx, 0, sizeof(*tx));
  tx->type = (uint8_t)type;
  new_id(b, tx);
}

static void setup_accounts(struct bench *b) {
  struct proto_tx tx;
  tx_init(b, &tx, PROTO_TX_GENESIS);
  snprintf(tx.u.genesis.origin, sizeof(tx.u.genesis.origin), ORIGIN);
  proto_key_public(b->log, tx.u.genesis.log_public_key);
  tx.u.genesis.national_account = NATIONAL;
  tx.u.genesis.operator_threshold = 1;
  tx.u.genesis.operator_keys_count = 1;
  proto_key_public(b->op, tx.u.genesis.operator_keys[0]);
  add(b, &tx, b->log, false);
  tx_init(b, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "CEA-2025");
  tx.u.instrument.kind = PROTO_INSTRUMENT_CEA;
  tx.u.instrument.vintage = 2025;
  tx.u.instrument.cap = PROTO_AMOUNT_MAX;
  tx.u.instrument.first_year = 2025;
  tx.u.instrument.last_year = 2030;
  add(b, &tx, b->op, false);
  tx_init(b, &tx, PROTO_TX_ACCOUNT_OPEN);
  tx.u.account.account = PROVINCE;
  tx.u.account.kind = PROTO_ACCOUNT_PROVINCIAL;
  tx.u.account.province = PROVINCE;
  tx.u.account.threshold = 1;
  snprintf(tx.u.account.name, sizeof(tx.u.account.name), "Guangdong");
  add(b, &tx, b->op, false);
  tx_init(b, &tx, PROTO_TX_KEY_REGISTER);
  proto_key_public(b->auth, tx.u.key_register.public_key);
  tx.u.key_register.role = PROTO_ROLE_AUTHORITY;
  tx.u.key_register.scope = PROVINCE;
  snprintf(tx.u.key_register.name, sizeof(tx.u.key_register.name), "authority");
  add(b, &tx, b->op, false);
  tx_init(b, &tx, PROTO_TX_ISSUE);
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = PROTO_AMOUNT_MAX;
  add(b, &tx, b->op, false);
  tx_init(b, &tx, PROTO_TX_ALLOCATE);
  tx.u.move.from = NATIONAL;
  tx.u.move.to = PROVINCE;
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = PROTO_AMOUNT_MAX;
  tx.u.move.year = 2025;
  tx.u.move.kind = PROTO_ALLOC_FINAL;
  add(b, &tx, b->op, false);
  flush(b, false);
}

static void setup_enterprise(struct bench *b, unsigned i) {
  struct proto_tx tx;
  uint64_t id = FIRST_ACCOUNT + i;
  tx_init(b, &tx, PROTO_TX_ACCOUNT_OPEN);
  struct proto_account *a = &tx.u.account;
  a->account = id;
  a->kind = PROTO_ACCOUNT_ENTERPRISE;
  a->province = PROVINCE;
  a->sector = PROTO_SECTOR_POWER;
  a->threshold = 1;
  snprintf(a->uscc, sizeof(a->uscc), "9144000000%07u", i % 10000000u);
  a->uscc[17] = proto_uscc_check_char(a->uscc);
  a->uscc[18] = '\0';
  snprintf(a->name, sizeof(a->name), "Plant %u", i);
  add(b, &tx, b->op, false);
  b->reps[i] = proto_key_generate();
  tx_init(b, &tx, PROTO_TX_KEY_REGISTER);
  proto_key_public(b->reps[i], tx.u.key_register.public_key);
  tx.u.key_register.role = PROTO_ROLE_REPRESENTATIVE;
  tx.u.key_register.scope = id;
  snprintf(tx.u.key_register.name, sizeof(tx.u.key_register.name), "rep %u", i);
  add(b, &tx, b->op, false);
  tx_init(b, &tx, PROTO_TX_ALLOCATE);
  tx.u.move.from = PROVINCE;
  tx.u.move.to = id;
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = UINT64_C(1) << 40;
  tx.u.move.year = 2025;
  tx.u.move.kind = PROTO_ALLOC_FINAL;
  add(b, &tx, b->auth, false);
  if (b->n + 3 > BATCH_ENTRIES) flush(b, false);
}

static void add_transfer(struct bench *b, bool fake_sig) {
  struct proto_tx tx;
  PROTO_ASSERT(b->accounts >= 2);
  unsigned from = (unsigned)rand() % b->accounts;
  unsigned to = (from + 1 + (unsigned)rand() % (b->accounts - 1)) % b->accounts;
  tx_init(b, &tx, PROTO_TX_TRANSFER);
  tx.u.move.from = FIRST_ACCOUNT + from;
  tx.u.move.to = FIRST_ACCOUNT + to;
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = 1 + (uint64_t)(rand() % 100);
  add(b, &tx, b->reps[from], fake_sig);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void throughput(struct bench *b, unsigned batches) {
  if (batches == 0) return;
  /* Sign every batch first: the measured part is the ledger's, not the client's signing. */
  size_t total = (size_t)batches * BATCH_ENTRIES;
  struct ledger_submission *all = malloc(total * sizeof(*all));
  uint8_t *allbufs = malloc(total * 512);
  uint8_t *keep_bufs = b->bufs;
  struct ledger_submission *keep_subs = b->subs;
  double t_sign = now_s();
  for (unsigned k = 0; k < batches; k++) {
    b->bufs = allbufs + (size_t)k * BATCH_ENTRIES * 512;
    b->subs = all + (size_t)k * BATCH_ENTRIES;
    b->n = 0;
    for (unsigned i = 0; i < BATCH_ENTRIES; i++) add_transfer(b, false);
  }
  t_sign = now_s() - t_sign;
  double *lat = malloc(batches * sizeof(double));
  if (getenv("BENCH_PAUSE")) { /* time to attach a profiler to the apply phase alone */
    fprintf(stderr, "bench_ledger: pid %d applying in 2 s\n", (int)getpid());
    sleep(2);
  }
  double t0 = now_s(), c0 = cpu_s();
  for (unsigned k = 0; k < batches; k++) {
    b->subs = all + (size_t)k * BATCH_ENTRIES;
    b->n = BATCH_ENTRIES;
    double s = now_s();
    flush(b, true);
    lat[k] = now_s() - s;
  }
  double t = now_s() - t0, c = cpu_s() - c0;
  qsort(lat, batches, sizeof(double), cmp_double);
  printf("| transfers applied | %zu (%u batches of %u) |\n", total, batches, BATCH_ENTRIES);
  printf("| transfers/s (one writer thread, fsync per batch) | %.0f |\n", (double)total / t);
  printf("| transfers per CPU-second of the writer thread | %.0f |\n", (double)total / c);
  printf("| batch time median / max | %.1f ms / %.1f ms |\n", lat[batches / 2] * 1e3,
         lat[batches - 1] * 1e3);
  printf("| client signing (not in the figure above) | %.0f signatures/s |\n",
         (double)total / t_sign);
  free(lat);
  free(all);
  free(allbufs);
  b->bufs = keep_bufs;
  b->subs = keep_subs;
}

static void proof_times(struct bench *b, uint64_t size) {
  if (size == 0) return;
  static uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  double *inc = malloc(QUERIES * sizeof(double)), *con = malloc(QUERIES * sizeof(double));
  size_t n;
  for (unsigned q = 0; q < QUERIES; q++) {
    uint64_t i = (uint64_t)rand() * (uint64_t)rand() % size;
    double s = now_s();
    int rc = ledger_proof_inclusion(b->l, i, size, proof, &n);
    inc[q] = now_s() - s;
    if (rc) die("inclusion", rc);
    uint64_t first = 1 + (uint64_t)rand() * (uint64_t)rand() % size;
    s = now_s();
    rc = ledger_proof_consistency(b->l, first, size, proof, &n);
    con[q] = now_s() - s;
    if (rc) die("consistency", rc);
  }
  qsort(inc, QUERIES, sizeof(double), cmp_double);
  qsort(con, QUERIES, sizeof(double), cmp_double);
  printf("| inclusion proof median / p99 | %.1f us / %.1f us |\n", inc[QUERIES / 2] * 1e6,
         inc[QUERIES * 99 / 100] * 1e6);
  printf("| consistency proof median / p99 | %.1f us / %.1f us |\n", con[QUERIES / 2] * 1e6,
         con[QUERIES * 99 / 100] * 1e6);
  free(inc);
  free(con);
}

static void scale(struct bench *b, uint64_t target, const struct ledger_config *cfg) {
  double t0 = now_s();
  while (ledger_tree_size(b->l) + b->n < target) {
    add_transfer(b, true);
    if (b->n == BATCH_ENTRIES) flush(b, true);
  }
  if (b->n) flush(b, true);
  double t_build = now_s() - t0;
  uint64_t size = ledger_tree_size(b->l);
  ledger_close(b->l);
  double s = now_s();
  int rc = ledger_open(cfg, &b->l);
  double t_open = now_s() - s;
  if (rc) die("reopen", rc);
  struct ledger_stats st;
  rc = ledger_stats(b->l, &st);
  if (rc) die("stats", rc);
  char path[4096];
  struct stat fst;
  snprintf(path, sizeof(path), "%s/data.mdb", b->dir);
  long long file = stat(path, &fst) == 0 ? (long long)fst.st_size : -1;
  printf("| scale: entries | %llu (built in %.1f s, placeholder signatures, pre-verified) |\n",
         (unsigned long long)size, t_build);
  printf("| open time | %.3f ms |\n", t_open * 1e3);
  printf("| bytes on disk per entry (pages in use / entries) | %.0f |\n",
         (double)st.used_bytes / (double)size);
  printf("| data.mdb size | %lld bytes |\n", file);
  /* What quotad's invariants_every_batches pays each time it comes round (docs/CONFIG.md). */
  char why[256];
  s = now_s();
  rc = ledger_check_invariants(b->l, why, sizeof(why));
  double t_inv = now_s() - s;
  if (rc) die(why, rc);
  printf("| invariant check (every balance, every leaf rehashed, the root) | %.1f ms |\n",
         t_inv * 1e3);
  proof_times(b, size);
}

int main(int argc, char **argv) {
  struct bench b = {.accounts = 1000, .time_ms = UINT64_C(1767225600000)};
  unsigned batches = 20;
  uint64_t scale_n = 0;
  bool keep = false;
  char tmpl[] = "/tmp/quotad-bench-XXXXXX";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) b.dir = argv[++i];
    else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) batches = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--accounts") == 0 && i + 1 < argc) b.accounts = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) scale_n = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--keep") == 0) keep = true;
    else {
      fprintf(stderr, "usage: %s [--dir D] [--batches B] [--accounts A] [--scale N] [--keep]\n", argv[0]);
      return 2;
    }
  }
  if (b.accounts < 2 || batches == 0) return 2;
  if (!b.dir) b.dir = mkdtemp(tmpl);
  srand(1);
  b.log = proto_key_generate();
  b.op = proto_key_generate();
  b.auth = proto_key_generate();
  b.reps = calloc(b.accounts, sizeof(struct proto_key *));
  b.bufs = malloc((size_t)BATCH_ENTRIES * 512);
  b.subs = calloc(BATCH_ENTRIES, sizeof(*b.subs));
  struct ledger_config cfg = {.dir = b.dir, .map_bytes_initial = UINT64_C(1) << 30,
                              .map_bytes_max = UINT64_C(1) << 40, .log_key = b.log};
  int rc = ledger_open(&cfg, &b.l);
  if (rc) die("open", rc);
  setup_accounts(&b);
  for (unsigned i = 0; i < b.accounts; i++) setup_enterprise(&b, i);
  if (b.n) flush(&b, false);
  printf("| measure | value |\n| --- | --- |\n");
  printf("| holder accounts | %u |\n", b.accounts);
  throughput(&b, batches);
  if (scale_n) scale(&b, scale_n, &cfg);
  else proof_times(&b, ledger_tree_size(b.l));
  ledger_close(b.l);
  for (unsigned i = 0; i < b.accounts; i++) proto_key_free(b.reps[i]);
  proto_key_free(b.log);
  proto_key_free(b.op);
  proto_key_free(b.auth);
  free(b.reps);
  free(b.bufs);
  free(b.subs);
  if (!keep && b.dir == tmpl) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
    if (system(cmd) != 0) fprintf(stderr, "bench_ledger: could not remove %s\n", tmpl);
  }
  return 0;
}
