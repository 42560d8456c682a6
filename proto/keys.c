/* Which Ed25519 public keys the registry accepts (only points of prime order, checked by
 * libsodium), and the genesis's keys and operator threshold, which ledger and audit both apply. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "proto/internal.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ready = -1;

/* sodium_init picks the library's implementations once; it is idempotent and thread-safe, the
 * once only keeps its cost off every call. */
static void sodium_start(void) { sodium_ready = sodium_init(); }

int proto_pubkey_check(const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  pthread_once(&sodium_once, sodium_start);
  PROTO_ASSERT(sodium_ready >= 0); /* 0 first time, 1 when already initialised: never -1 */
  /* canonical (y < p), on the curve, not one of the small-order encodings, and [L]A = 0 */
  return crypto_core_ed25519_is_valid_point(pub) == 1 ? 0 : PROTO_E_BAD_KEY;
}

int proto_genesis_check(const struct proto_genesis *g, int *bad_key) {
  PROTO_ASSERT(g->operator_keys_count <= PROTO_GENESIS_KEYS_MAX);
  *bad_key = -2;
  if (proto_pubkey_check(g->log_public_key) != 0) {
    *bad_key = -1;
    return PROTO_E_BAD_KEY;
  }
  unsigned distinct = 0;
  for (unsigned i = 0; i < g->operator_keys_count; i++) {
    if (proto_pubkey_check(g->operator_keys[i]) != 0) {
      *bad_key = (int)i;
      return PROTO_E_BAD_KEY;
    }
    bool seen = false;
    for (unsigned k = 0; k < i && !seen; k++)
      seen = memcmp(g->operator_keys[k], g->operator_keys[i], PROTO_PUBKEY_BYTES) == 0;
    distinct += !seen;
  }
  /* a threshold no set of distinct operators can meet would leave the registry unable to act */
  if (g->operator_threshold < 1 || g->operator_threshold > distinct) return PROTO_E_BAD_THRESHOLD;
  return 0;
}
