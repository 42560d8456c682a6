/* bench_lmdb: LMDB's raw durable put rate with the ledger's access pattern (8-byte big-endian
 * keys appended with MDB_APPEND, ~200-byte values, one durable commit per batch of 8,189): what
 * the storage engine alone allows on this disk, before any rule or hash is computed. Then the
 * latency of 400 small commits of scattered pages, quotad's commit under light load, which bounds
 * its latency at half load. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#define VALUE_BYTES 200u
#define BATCH_DEFAULT 8189u
#define BATCH_MAX 1000000u
#define COUNT_MAX 100000000ull
#define MAP_BYTES (UINT64_C(16) << 30)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_be64(uint8_t out[8], uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    out[i] = (uint8_t)(v & 0xffu);
    v >>= 8;
  }
}

struct options {
  const char *dir;
  uint64_t count;
  unsigned batch;
  int json;
};

static int parse(int argc, char **argv, struct options *o) {
  o->dir = NULL;
  o->count = 500000;
  o->batch = BATCH_DEFAULT;
  o->json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) o->dir = argv[++i];
    else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) o->count = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) o->batch = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--json") == 0) o->json = 1;
    else return -1;
  }
  if (o->count == 0 || o->count > COUNT_MAX || o->batch == 0 || o->batch > BATCH_MAX) return -1;
  return 0;
}

/* Appends count records in batches; returns the number of commits, or -1 with a message. */
static long run(MDB_env *env, MDB_dbi dbi, const struct options *o, double *fsync_max_s) {
  uint8_t key[8], value[VALUE_BYTES];
  uint64_t next = 0;
  long commits = 0;
  *fsync_max_s = 0.0;
  while (next < o->count) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    for (unsigned i = 0; rc == 0 && i < o->batch && next < o->count; i++, next++) {
      put_be64(key, next);
      for (unsigned b = 0; b < VALUE_BYTES; b++) value[b] = (uint8_t)(next * 31u + b);
      MDB_val k = {sizeof(key), key}, v = {sizeof(value), value};
      rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
    }
    if (rc != 0) {
      fprintf(stderr, "bench_lmdb: put: %s\n", mdb_strerror(rc));
      mdb_txn_abort(txn);
      return -1;
    }
    double t0 = now_s();
    rc = mdb_txn_commit(txn);
    double dt = now_s() - t0;
    if (dt > *fsync_max_s) *fsync_max_s = dt;
    if (rc != 0) {
      fprintf(stderr, "bench_lmdb: commit: %s\n", mdb_strerror(rc));
      return -1;
    }
    commits++;
  }
  return commits;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The commit quotad makes under light load: a few records rewritten at random places (balances,
 * tx ids, history), so each commit writes scattered pages and waits for two fsyncs. n commits of
 * 16 random overwrites among the appended keys; their latencies, sorted, go to lat[0..n). */
static int small_commits(MDB_env *env, MDB_dbi dbi, uint64_t keys, unsigned n, double *lat) {
  uint8_t key[8], value[VALUE_BYTES];
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (unsigned c = 0; c < n; c++) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    for (unsigned i = 0; rc == 0 && i < 16; i++) {
      x ^= x << 13; /* xorshift64 */
      x ^= x >> 7;
      x ^= x << 17;
      put_be64(key, x % keys);
      memset(value, (int)(c + i), sizeof(value));
      MDB_val k = {sizeof(key), key}, v = {sizeof(value), value};
      rc = mdb_put(txn, dbi, &k, &v, 0);
    }
    double t0 = now_s();
    if (rc == 0) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    lat[c] = now_s() - t0;
    if (rc != 0) {
      fprintf(stderr, "bench_lmdb: small commit: %s\n", mdb_strerror(rc));
      return -1;
    }
  }
  qsort(lat, n, sizeof(*lat), cmp_double);
  return 0;
}

static MDB_env *open_env(const char *dir, MDB_dbi *dbi) {
  MDB_env *env = NULL;
  MDB_txn *txn = NULL;
  /* LMDB's safe defaults, as the ledger uses them: no NOSYNC, NOMETASYNC or WRITEMAP. */
  if (mdb_env_create(&env) != 0) return NULL;
  int rc = mdb_env_set_mapsize(env, (size_t)MAP_BYTES);
  if (rc == 0) rc = mdb_env_set_maxdbs(env, 4);
  if (rc == 0) rc = mdb_env_open(env, dir, 0, 0600);
  if (rc == 0) rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, "entries", MDB_CREATE, dbi);
  if (rc == 0) rc = mdb_txn_commit(txn);
  else if (txn) mdb_txn_abort(txn);
  if (rc != 0) {
    fprintf(stderr, "bench_lmdb: open %s: %s\n", dir, mdb_strerror(rc));
    mdb_env_close(env);
    return NULL;
  }
  return env;
}

int main(int argc, char **argv) {
  struct options o;
  if (parse(argc, argv, &o) != 0) {
    fprintf(stderr, "usage: bench_lmdb [--dir DIR] [--count N] [--batch B] [--json]\n"
                    "  DIR (default a new temporary directory, removed after) must be on the\n"
                    "  disk to measure.\n");
    return 2;
  }
  char tmpl[] = "/tmp/bench_lmdb.XXXXXX";
  const char *dir = o.dir;
  if (!dir && !(dir = mkdtemp(tmpl))) {
    perror("bench_lmdb: mkdtemp");
    return 1;
  }
  MDB_dbi dbi;
  MDB_env *env = open_env(dir, &dbi);
  if (!env) return 1;
  double fsync_max_s = 0.0, t0 = now_s();
  long commits = run(env, dbi, &o, &fsync_max_s);
  double elapsed = now_s() - t0;
  enum { SMALL = 400 };
  static double lat[SMALL];
  bool small = commits > 0 && o.count > 0 && small_commits(env, dbi, o.count, SMALL, lat) == 0;
  mdb_env_close(env);
  if (!o.dir) {
    char path[64];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
  }
  if (commits < 0) return 1;
  double rate = (double)o.count / elapsed;
  double p50 = small ? lat[SMALL / 2] * 1e3 : -1, p99 = small ? lat[SMALL * 99 / 100] * 1e3 : -1,
         pmax = small ? lat[SMALL - 1] * 1e3 : -1;
  if (o.json)
    printf("{\"puts\": %llu, \"batch\": %u, \"commits\": %ld, \"seconds\": %.3f, "
           "\"lmdb_puts_per_s\": %.0f, \"commits_per_s\": %.1f, \"commit_max_ms\": %.2f, "
           "\"small_commit_ms\": {\"commits\": %d, \"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}}\n",
           (unsigned long long)o.count, o.batch, commits, elapsed, rate,
           (double)commits / elapsed, fsync_max_s * 1e3, small ? SMALL : 0, p50, p99, pmax);
  else
    printf("lmdb small commits (16 random overwrites each, %d): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           small ? SMALL : 0, p50, p99, pmax);
  if (!o.json)
    printf("lmdb durable append: %llu puts of %u bytes in %ld commits of %u, %.2f s: %.0f puts/s, "
           "%.1f commits/s, slowest commit %.2f ms\n",
           (unsigned long long)o.count, VALUE_BYTES, commits, o.batch, elapsed, rate,
           (double)commits / elapsed, fsync_max_s * 1e3);
  return 0;
}
