/* quota-bench's pool: every request of the measured window is built and signed before it starts
 * (transfers, surrenders and exchange settlements, in the proportions of the mix), on threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/quota_bench.h"
#include "tlog/tlog.h"

#define THREADS_MAX 64u

struct pool_job {
  struct bench_registry *reg;
  const struct bench_target *t;
  const struct bench_mix *mix;
  struct bench_pool *pool;
  struct proto_key *exchange; /* this thread's own copy: a key signs from one thread at a time */
  uint64_t rng;
  unsigned per_request, thread, threads;
  int rc;
};

static uint64_t rng_next(uint64_t *s) { /* xorshift64*: reproducible, no libc state */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

static enum bench_kind kind_of(const struct bench_mix *mix, uint64_t g) {
  unsigned total = 0;
  for (unsigned k = 0; k < BENCH_KINDS; k++) total += mix->weight[k];
  PROTO_ASSERT(total > 0); /* parse_mix refuses an empty mix */
  unsigned slot = (unsigned)(g % total);
  for (unsigned k = 0; k < BENCH_KINDS; k++) {
    if (slot < mix->weight[k]) return (enum bench_kind)k;
    slot -= mix->weight[k];
  }
  return BENCH_TRANSFER;
}

/* An enterprise index this thread owns (its representative's key signs only here), and another
 * one, any, for the counterparty. */
static void pick_pair(struct pool_job *j, unsigned *a, unsigned *b) {
  unsigned n = j->reg->enterprises, owned = (n - j->thread + j->threads - 1) / j->threads;
  PROTO_ASSERT(n >= 2 && j->thread < n && owned > 0);
  *a = j->thread + j->threads * (unsigned)(rng_next(&j->rng) % owned);
  *b = (*a + 1u + (unsigned)(rng_next(&j->rng) % (n - 1u))) % n;
}

static int build_tx(struct pool_job *j, enum bench_kind kind, uint64_t counter, uint8_t **buf,
                    size_t *len, size_t *cap, uint32_t *legs) {
  static _Thread_local struct proto_leg leg_buf[PROTO_LEGS_MAX];
  static _Thread_local uint8_t salts[PROTO_LEGS_MAX][PROTO_SALT_BYTES];
  struct proto_tx tx = {0};
  struct proto_key *signer = NULL;
  unsigned a, b;
  pick_pair(j, &a, &b);
  bench_tx_id(counter, tx.id);
  if (kind == BENCH_TRANSFER) {
    tx.type = PROTO_TX_TRANSFER;
    tx.u.move.from = BENCH_ENTERPRISE(a);
    tx.u.move.to = BENCH_ENTERPRISE(b);
    snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
    tx.u.move.amount = 1;
    signer = j->reg->representative[a];
  } else if (kind == BENCH_SURRENDER) {
    tx.type = PROTO_TX_SURRENDER;
    tx.u.surrender.account = tx.u.surrender.from = BENCH_ENTERPRISE(a);
    tx.u.surrender.year = 2025;
    snprintf(tx.u.surrender.instrument, sizeof(tx.u.surrender.instrument), "CEA-2025");
    tx.u.surrender.amount = 1;
    signer = j->reg->representative[a];
  } else {
    /* version 2, as the exchange sends them: salted legs beside a body that signs their root;
     * the salts of a whole settlement from one CSPRNG call */
    tx.type = PROTO_TX_SETTLE;
    tx.version = 2;
    snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "SEEE clearing batch %llu",
             (unsigned long long)counter);
    tx.u.settle.legs_count = (uint16_t)j->mix->legs;
    tx.u.settle.legs = leg_buf;
    if (proto_random_bytes(salts, (size_t)j->mix->legs * PROTO_SALT_BYTES)) return -1;
    for (unsigned l = 0; l < j->mix->legs; l++) {
      pick_pair(j, &a, &b);
      leg_buf[l].from = BENCH_ENTERPRISE(a);
      leg_buf[l].to = BENCH_ENTERPRISE(b);
      snprintf(leg_buf[l].instrument, sizeof(leg_buf[l].instrument), "CEA-2025");
      leg_buf[l].amount = 1;
      memcpy(leg_buf[l].salt, salts[l], PROTO_SALT_BYTES);
    }
    tlog_legs_root(leg_buf, j->mix->legs, tx.u.settle.legs_root);
    *legs += j->mix->legs;
    signer = j->exchange;
  }
  return bench_sign_frame(j->reg, &tx, &signer, 1, buf, len, cap);
}

static void *pool_thread(void *arg) {
  struct pool_job *j = arg;
  uint8_t *buf = NULL;
  size_t cap = 0;
  /* Counters: thread in the top bits, so that no two threads can make the same id. */
  uint64_t counter = ((uint64_t)(j->thread + 1) << 40) + j->reg->tx_counter;
  for (size_t r = j->thread; r < j->pool->count && j->rc == 0; r += j->threads) {
    size_t len = 0;
    struct bench_request *req = &j->pool->req[r];
    for (unsigned k = 0; k < j->per_request && j->rc == 0; k++) {
      uint64_t g = (uint64_t)r * j->per_request + k;
      j->rc = build_tx(j, kind_of(j->mix, g), counter++, &buf, &len, &cap, &req->legs);
      req->txs++;
    }
    long n = j->rc ? -1 : http_format(j->t->host, "POST", "/v1/tx", "application/octet-stream",
                                      buf, len, &req->bytes);
    if (n < 0) j->rc = -1;
    else req->len = (size_t)n;
  }
  free(buf);
  return NULL;
}

int bench_pool_build(struct bench_registry *reg, const struct bench_target *t,
                     const struct bench_mix *mix, size_t requests, unsigned per_request,
                     unsigned threads, struct bench_pool *pool) {
  if (threads == 0 || threads > THREADS_MAX) threads = 1;
  if (threads > reg->enterprises) threads = reg->enterprises;
  pool->count = requests;
  pool->req = calloc(requests, sizeof(*pool->req));
  struct pool_job jobs[THREADS_MAX];
  pthread_t tid[THREADS_MAX];
  uint8_t seed[PROTO_SEED_BYTES];
  if (!pool->req || proto_key_seed(reg->exchange_key, seed) != 0) return -1;
  int rc = 0;
  for (unsigned i = 0; i < threads; i++) {
    jobs[i] = (struct pool_job){.reg = reg, .t = t, .mix = mix, .pool = pool,
                                .per_request = per_request, .thread = i, .threads = threads,
                                .exchange = proto_key_from_seed(seed),
                                .rng = UINT64_C(0x9E3779B97F4A7C15) * (i + 1)};
    if (!jobs[i].exchange || pthread_create(&tid[i], NULL, pool_thread, &jobs[i]) != 0) {
      proto_key_free(jobs[i].exchange);
      threads = i;
      rc = -1;
      break;
    }
  }
  for (unsigned i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    if (jobs[i].rc) rc = -1;
    proto_key_free(jobs[i].exchange);
  }
  explicit_bzero(seed, sizeof(seed));
  return rc;
}

void bench_pool_free(struct bench_pool *pool) {
  for (size_t i = 0; pool->req && i < pool->count; i++) free(pool->req[i].bytes);
  free(pool->req);
  memset(pool, 0, sizeof(*pool));
}
