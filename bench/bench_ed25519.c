/* bench_ed25519: Ed25519 verifications per second on every core (OpenSSL EVP, one thread per
 * core, one cached EVP_PKEY per thread): the ceiling for a registry that verifies every signature. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define THREADS_MAX 256u
#define KEYS_PER_THREAD 64u /* the daemon verifies many signers' keys, not one */
#define MESSAGE_BYTES 160u  /* about a transfer's signing message */

struct worker {
  pthread_t thread;
  unsigned seed;
  double seconds;
  uint64_t verified;
  uint64_t failed;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct signed_message {
  EVP_PKEY *pub; /* cached public key: building one costs more than a verification */
  uint8_t msg[MESSAGE_BYTES];
  uint8_t sig[64];
};

/* Makes a key pair from a seed derived from (thread, i), signs a message, keeps only the public
 * EVP_PKEY for verification. */
static int make_message(unsigned thread, unsigned i, struct signed_message *m) {
  uint8_t seed[32], pub[32];
  for (unsigned b = 0; b < 32; b++) seed[b] = (uint8_t)(thread * 131u + i * 7u + b * 29u + 1u);
  for (unsigned b = 0; b < MESSAGE_BYTES; b++) m->msg[b] = (uint8_t)(i + b * 3u);
  memcpy(m->msg, "quotad/tx/v1\nbench\n", 19);
  EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t siglen = sizeof(m->sig), publen = sizeof(pub);
  int ok = priv && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, priv) == 1 &&
           EVP_DigestSign(ctx, m->sig, &siglen, m->msg, MESSAGE_BYTES) == 1 &&
           EVP_PKEY_get_raw_public_key(priv, pub, &publen) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(priv);
  if (!ok) return -1;
  m->pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, publen);
  return m->pub ? 0 : -1;
}

static void *worker_run(void *arg) {
  struct worker *w = arg;
  struct signed_message *msgs = calloc(KEYS_PER_THREAD, sizeof(*msgs));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!msgs || !ctx) goto out;
  for (unsigned i = 0; i < KEYS_PER_THREAD; i++)
    if (make_message(w->seed, i, &msgs[i]) != 0) goto out;
  double end = now_s() + w->seconds;
  for (uint64_t n = 0;; n++) {
    if ((n & 255u) == 0 && now_s() >= end) break;
    struct signed_message *m = &msgs[n % KEYS_PER_THREAD];
    /* One context reset and reused; an init per verification is what the daemon does too. */
    EVP_MD_CTX_reset(ctx);
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, m->pub) == 1 &&
             EVP_DigestVerify(ctx, m->sig, sizeof(m->sig), m->msg, MESSAGE_BYTES) == 1;
    if (ok) w->verified++;
    else w->failed++;
  }
out:
  EVP_MD_CTX_free(ctx);
  if (msgs)
    for (unsigned i = 0; i < KEYS_PER_THREAD; i++) EVP_PKEY_free(msgs[i].pub);
  free(msgs);
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_ed25519 [--seconds S] [--threads N] [--json]\n"
                  "  Ed25519 verifications per second, one thread per core by default.\n");
}

int main(int argc, char **argv) {
  double seconds = 3.0;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = strtod(argv[++i], NULL);
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--json") == 0) json = 1;
    else { usage(); return 2; }
  }
  if (threads < 1 || threads > (long)THREADS_MAX || !(seconds > 0.0 && seconds < 3600.0)) {
    usage();
    return 2;
  }
  struct worker *ws = calloc((size_t)threads, sizeof(*ws));
  if (!ws) return 1;
  double start = now_s();
  for (long t = 0; t < threads; t++) {
    ws[t].seed = (unsigned)t;
    ws[t].seconds = seconds;
    if (pthread_create(&ws[t].thread, NULL, worker_run, &ws[t]) != 0) return 1;
  }
  uint64_t verified = 0, failed = 0;
  for (long t = 0; t < threads; t++) {
    pthread_join(ws[t].thread, NULL);
    verified += ws[t].verified;
    failed += ws[t].failed;
  }
  double elapsed = now_s() - start;
  free(ws);
  double rate = (double)verified / elapsed;
  if (json)
    printf("{\"threads\": %ld, \"seconds\": %.3f, \"verified\": %llu, \"failed\": %llu, "
           "\"ed25519_verify_per_s\": %.0f, \"per_core_per_s\": %.0f}\n",
           threads, elapsed, (unsigned long long)verified, (unsigned long long)failed, rate,
           rate / (double)threads);
  else
    printf("ed25519 verify: %ld threads, %.2f s, %llu verified, %llu failed: %.0f/s (%.0f/s per "
           "thread)\n",
           threads, elapsed, (unsigned long long)verified, (unsigned long long)failed, rate,
           rate / (double)threads);
  return failed == 0 && verified > 0 ? 0 : 1;
}
