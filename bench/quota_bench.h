/* quota-bench's internal interface: the HTTP client, the registry set-up, the pre-signed
 * transaction pool and the load loop, shared by bench/quota_bench*.c only. */
#ifndef QUOTA_BENCH_H
#define QUOTA_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"

#define BENCH_CONNECTIONS_MAX 1024u
#define BENCH_PER_REQUEST_MAX 1000u     /* transactions in one POST /v1/tx */
#define BENCH_POOL_MAX 20000000u        /* pre-signed transactions */
#define BENCH_RESPONSE_BYTES_MAX (16u << 20)
#define BENCH_ENTERPRISES_MAX 100000u
#define BENCH_PROVINCES 31u
#define BENCH_ORIGIN_DEFAULT "bench.quotad.example/registry"

/* Account ids the set-up uses: national 1, provincial 100 + GB/T 2260 code, enterprises from
 * 10,001. */
#define BENCH_NATIONAL 1u
#define BENCH_PROVINCIAL(code) (100u + (code))
#define BENCH_ENTERPRISE(i) (10001u + (i))

/* ----- HTTP/1.1 over one TCP connection (quota_bench_http.c) ----- */
struct http_conn {
  int fd;
  char *in;          /* received bytes not yet consumed */
  size_t in_len, in_cap;
};

struct http_response {
  int status;
  const char *body; /* points into the connection's buffer until the next read */
  size_t body_len;
  size_t consumed;  /* bytes of the buffer this response used */
};

int http_connect(const char *host, unsigned port, struct http_conn *c);
void http_close(struct http_conn *c);
/* Formats a request into out (malloc'd). Returns its length or -1. */
long http_format(const char *host, const char *method, const char *path, const char *type,
                 const void *body, size_t body_len, char **out);
/* Looks for one complete response at the start of c->in: 1 found (r filled), 0 need more
 * bytes, negative on a malformed response. */
int http_parse(const struct http_conn *c, struct http_response *r);
/* Drops r->consumed bytes from c->in. */
void http_consume(struct http_conn *c, const struct http_response *r);
/* Reads what is available into c->in: returns bytes read, 0 on EOF, -errno (-EAGAIN too). */
long http_fill(struct http_conn *c);
/* Blocking request and response; the body is copied into *body (malloc'd, NUL-terminated). */
int http_roundtrip(struct http_conn *c, const char *host, const char *method, const char *path,
                   const char *type, const void *body, size_t body_len, int *status, char **resp,
                   size_t *resp_len);

/* ----- the registry that the bench builds (quota_bench_setup.c) ----- */
struct bench_registry {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  struct proto_key *log_key, *operator_key, *exchange_key;
  struct proto_key *authority[BENCH_PROVINCES];
  unsigned province_codes[BENCH_PROVINCES];
  unsigned enterprises;
  struct proto_key **representative; /* one per enterprise */
  unsigned *enterprise_province;     /* index into province_codes */
  uint64_t tx_counter;               /* makes the set-up's ids unique */
  unsigned setup_chunk;              /* transactions per set-up request */
};

struct bench_target {
  char host[256];
  unsigned port;
};

/* Builds the whole registry through the API: genesis, instruments, compliance year, accounts,
 * keys, issuance, allocations, verified emissions and, when trading, positions moved to trading.
 * Prints progress to stderr. Returns 0 or -1. */
int bench_setup(const struct bench_target *t, struct bench_registry *reg, bool trading);
void bench_registry_free(struct bench_registry *reg);
/* A time-ordered transaction id: 48-bit unix ms, then counter (unique per run), then zeros. */
void bench_tx_id(uint64_t counter, uint8_t id[PROTO_ID_BYTES]);
/* Encodes tx, signs it with the n keys, appends u16 length + envelope to *buf. Returns 0/-1. */
int bench_sign_frame(const struct bench_registry *reg, const struct proto_tx *tx,
                     struct proto_key *const *keys, size_t n, uint8_t **buf, size_t *len,
                     size_t *cap);
/* Sends frames (count transactions) in one POST /v1/tx and checks every result is ok or exists.
 * Returns 0 or -1 with a message. */
int bench_submit_frames(struct http_conn *c, const struct bench_target *t, const uint8_t *frames,
                        size_t len, size_t count, const char *what);
/* Starts quotad (path) on a free port with fresh keys saved in dir (log.key, operator.key) and
 * its data in dir/data, plus n extra arguments; fills t and *pid. */
int bench_start_quotad(const char *path, const char *dir, const char *config,
                       const char *const *extra, size_t n, struct bench_registry *reg,
                       struct bench_target *t, pid_t *pid);
/* Polls GET /healthz until 200; fails early when pid (if > 0) has exited. */
int bench_wait_healthy(const struct bench_target *t, double timeout_s, pid_t pid);

/* ----- pool and load (quota_bench_load.c) ----- */
enum bench_kind { BENCH_TRANSFER = 0, BENCH_SURRENDER = 1, BENCH_SETTLE = 2, BENCH_KINDS = 3 };

struct bench_mix {
  unsigned weight[BENCH_KINDS];
  unsigned legs; /* per settle */
};

struct bench_request {
  char *bytes; /* the whole HTTP request */
  size_t len;
  uint32_t txs;  /* transactions in it */
  uint32_t legs; /* settlement legs in it */
};

struct bench_pool {
  struct bench_request *req;
  size_t count;
};

/* Builds and signs `requests` requests of per_request transactions each, on threads. */
int bench_pool_build(struct bench_registry *reg, const struct bench_target *t,
                     const struct bench_mix *mix, size_t requests, unsigned per_request,
                     unsigned threads, struct bench_pool *pool);
void bench_pool_free(struct bench_pool *pool);

struct bench_load_options {
  unsigned connections;
  double duration_s; /* 0: until the pool is used up */
  double rate_tx_s;  /* 0: closed loop, as fast as answers come */
};

struct bench_load_result {
  double elapsed_s;
  uint64_t requests, txs_ok, txs_exists, txs_error, legs_ok, http_errors;
  uint64_t unsent_due; /* open loop: requests due in the window that no free connection sent */
  uint32_t *latency_us; /* one per request answered */
  size_t latency_count;
  char first_error[256];
};

int bench_load_run(const struct bench_target *t, const struct bench_pool *pool,
                   const struct bench_load_options *o, struct bench_load_result *r);

/* ----- watchers around a window (quota_bench_watch.c) ----- */
#define BENCH_CHECKPOINT_POLL_MS 10u /* GET /log/checkpoint this often while a window runs */

/* Reads the command name and the user and system ticks of a /proc/.../stat file. */
bool bench_stat_ticks(const char *path, char *comm, size_t comm_cap, unsigned long long *ut,
                      unsigned long long *st);
/* CPU seconds (user + system) a process has used; -1 when unknown. */
double bench_proc_cpu_s(pid_t pid);

/* Counts the distinct checkpoints quotad publishes while it runs, by polling GET /log/checkpoint
 * every BENCH_CHECKPOINT_POLL_MS: exact while publications are further apart than that (a
 * witness policy publishes at most every publish.checkpoint_interval_ms), a lower bound when
 * quotad publishes after every batch. */
struct bench_checkpoint_watch {
  struct bench_target target;
  pthread_t thread;
  bool running, started, quit;
  char *last; /* the last note seen */
  size_t last_len;
  uint64_t changes;
};
int bench_checkpoint_watch_start(struct bench_checkpoint_watch *w, const struct bench_target *t);
/* Stops the thread; returns the publications seen after its first answer. */
uint64_t bench_checkpoint_watch_stop(struct bench_checkpoint_watch *w);

#endif /* QUOTA_BENCH_H */
