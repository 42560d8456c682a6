/* Authorization: who signed a transaction (registered, non-revoked keys whose signatures verify),
 * whether they hold the role, scope and threshold it needs, and the thread-safe EVP key cache
 * behind ledger_verify_envelope. */
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

#define KEY_CACHE_INITIAL 64u
#define KEY_CACHE_MAX 65536u /* past this, keys are built per verification (slow, still right) */
#define SIGNING_BYTES_MAX (PROTO_ENTRY_BYTES_MAX + PROTO_ORIGIN_BYTES_MAX + 32u)

static size_t kc_index(const uint8_t hash[PROTO_HASH_BYTES], size_t cap) {
  /* key hashes are SHA-256 outputs: their first bytes are already uniform */
  return (size_t)be64_get(hash) & (cap - 1);
}

static struct proto_key *kc_find(struct ledger *l, const uint8_t hash[PROTO_HASH_BYTES]) {
  if (l->kc_cap == 0) return NULL;
  for (size_t i = kc_index(hash, l->kc_cap);; i = (i + 1) & (l->kc_cap - 1)) {
    if (!l->kc[i].key) return NULL;
    if (memcmp(l->kc[i].hash, hash, PROTO_HASH_BYTES) == 0) return l->kc[i].key;
  }
}

static bool kc_insert(struct ledger *l, const uint8_t hash[PROTO_HASH_BYTES],
                      struct proto_key *key) {
  if (l->kc_used >= KEY_CACHE_MAX) return false;
  if ((l->kc_used + 1) * 2 > l->kc_cap) {
    size_t ncap = l->kc_cap ? l->kc_cap * 2 : KEY_CACHE_INITIAL;
    struct key_cache_slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns) return false;
    for (size_t i = 0; i < l->kc_cap; i++) {
      if (!l->kc[i].key) continue;
      size_t j = kc_index(l->kc[i].hash, ncap);
      while (ns[j].key) j = (j + 1) & (ncap - 1);
      ns[j] = l->kc[i];
    }
    free(l->kc);
    l->kc = ns;
    l->kc_cap = ncap;
  }
  size_t j = kc_index(hash, l->kc_cap);
  while (l->kc[j].key) j = (j + 1) & (l->kc_cap - 1);
  memcpy(l->kc[j].hash, hash, PROTO_HASH_BYTES);
  l->kc[j].key = key;
  l->kc_used++;
  return true;
}

void auth__cache_free(struct ledger *l) {
  for (size_t i = 0; i < l->kc_cap; i++) proto_key_free(l->kc[i].key);
  free(l->kc);
  l->kc = NULL;
  l->kc_cap = l->kc_used = 0;
}

/* A key's public bytes never change for its hash (the hash is SHA-256 of them), so a cached EVP
 * key stays right whatever later happens to the key's registration. */
int auth__verify_sig(struct ledger *l, const uint8_t hash[PROTO_HASH_BYTES],
                     const uint8_t pub[PROTO_PUBKEY_BYTES], const uint8_t *msg, size_t len,
                     const uint8_t sig[PROTO_SIG_BYTES]) {
  pthread_mutex_lock(&l->key_mutex);
  struct proto_key *key = kc_find(l, hash);
  bool owned = false;
  if (!key) {
    key = proto_key_from_public(pub);
    if (key && !kc_insert(l, hash, key)) owned = true;
  }
  pthread_mutex_unlock(&l->key_mutex);
  if (!key) return PROTO_E_BAD_SIGNATURE;
  int rc = proto_verify(key, msg, len, sig);
  if (owned) proto_key_free(key);
  return rc == 0 ? 0 : PROTO_E_BAD_SIGNATURE;
}

static _Thread_local uint8_t signing_buf[SIGNING_BYTES_MAX];

static int verify_one(struct ledger *l, const char *origin, const struct proto_envelope *env,
                      const struct proto_sig *s, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  long n = proto_signing_message(origin, env->body, env->body_len, signing_buf,
                                 sizeof(signing_buf));
  if (n < 0) return (int)n;
  return auth__verify_sig(l, s->key_hash, pub, signing_buf, (size_t)n, s->sig);
}

/* The genesis is signed by the log key it names (and that this ledger signs checkpoints with). */
static int collect_genesis(struct tx_ctx *c) {
  const struct proto_genesis *g = &c->tx->u.genesis;
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(g->log_public_key, PROTO_PUBKEY_BYTES, h);
  if (c->b->l->log_key) {
    uint8_t mine[PROTO_PUBKEY_BYTES];
    proto_key_public(c->b->l->log_key, mine);
    if (memcmp(mine, g->log_public_key, PROTO_PUBKEY_BYTES) != 0)
      return PROTO_E_UNKNOWN_LOG_KEY;
  }
  for (unsigned i = 0; i < c->env->sigs_count; i++) {
    const struct proto_sig *s = &c->env->sigs[i];
    if (memcmp(s->key_hash, h, PROTO_HASH_BYTES) != 0) continue;
    if (c->verified) return 0;
    return verify_one(c->b->l, g->origin, c->env, s, g->log_public_key);
  }
  return PROTO_E_UNKNOWN_LOG_KEY;
}

int auth__collect(struct tx_ctx *c) {
  c->signers_n = 0;
  if (c->tx->type == PROTO_TX_GENESIS) return collect_genesis(c);
  for (unsigned i = 0; i < c->env->sigs_count; i++) {
    const struct proto_sig *s = &c->env->sigs[i];
    struct ledger_key *k = &c->signers[c->signers_n];
    int rc = st__key(c->b, s->key_hash, k);
    if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_KEY;
    if (rc) return rc;
    if (k->revoked) return PROTO_E_REVOKED_KEY;
    if (!c->verified) {
      rc = verify_one(c->b->l, c->b->origin, c->env, s, k->public_key);
      if (rc) return rc;
    }
    c->signers_n++;
  }
  return 0;
}

int auth__require(struct tx_ctx *c, unsigned role, uint64_t scope, unsigned threshold) {
  unsigned have = 0;
  for (size_t i = 0; i < c->signers_n; i++)
    if (c->signers[i].role == role && c->signers[i].scope == scope) have++;
  if (have == 0) return PROTO_E_WRONG_ROLE;
  if (have < threshold) {
    c->aux = (uint64_t)have << 32 | threshold; /* the answer says "1 of 2" */
    return PROTO_E_INSUFFICIENT_SIGNATURES;
  }
  return 0;
}

/* A genesis is signed by the log key it names; once the log has its genesis, only by this log's
 * key (ledger_verify_entries reads entry 0 back: the log key is in no keys database). */
static int genesis_pub(struct ledger *l, const struct proto_tx *tx,
                       const uint8_t hash[PROTO_HASH_BYTES], uint8_t pub[PROTO_PUBKEY_BYTES]) {
  PROTO_ASSERT(tx->type == PROTO_TX_GENESIS);
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(tx->u.genesis.log_public_key, PROTO_PUBKEY_BYTES, h);
  if (memcmp(h, hash, PROTO_HASH_BYTES) != 0) return PROTO_E_UNKNOWN_KEY;
  if (__atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE) &&
      memcmp(tx->u.genesis.log_public_key, l->log_pub, PROTO_PUBKEY_BYTES) != 0)
    return PROTO_E_UNKNOWN_KEY;
  memcpy(pub, tx->u.genesis.log_public_key, PROTO_PUBKEY_BYTES);
  return 0;
}

/* Finds the public key of hash in committed state (or the genesis body for a genesis). */
static int committed_pub(struct ledger *l, const struct proto_tx *tx,
                         const uint8_t hash[PROTO_HASH_BYTES], uint8_t pub[PROTO_PUBKEY_BYTES]) {
  if (tx->type == PROTO_TX_GENESIS) return genesis_pub(l, tx, hash, pub);
  if (!__atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE)) return PROTO_E_UNKNOWN_KEY;
  MDB_txn *txn;
  int rc = store__read_begin(l, &txn);
  if (rc) return rc;
  MDB_val k = {PROTO_HASH_BYTES, (void *)hash}, v;
  struct ledger_key key;
  int mrc = mdb_get(txn, l->dbi[DB_KEYS], &k, &v);
  if (mrc == MDB_NOTFOUND) rc = PROTO_E_UNKNOWN_KEY;
  else if (mrc) rc = store__mdb_err(mrc);
  else rc = rec_key_decode(hash, v.mv_data, v.mv_size, &key);
  store__read_end(l, txn);
  if (rc == 0) memcpy(pub, key.public_key, PROTO_PUBKEY_BYTES);
  return rc;
}

int ledger_verify_envelope(struct ledger *l, const uint8_t *envelope, size_t len) {
  struct proto_envelope env;
  struct proto_tx tx;
  int rc = proto_envelope_decode(envelope, len, &env);
  if (rc) return rc;
  rc = proto_tx_decode(env.body, env.body_len, &tx);
  if (rc) return rc;
  const char *origin = tx.type == PROTO_TX_GENESIS ? tx.u.genesis.origin : l->origin;
  if (!__atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE) && tx.type != PROTO_TX_GENESIS)
    rc = PROTO_E_UNKNOWN_KEY;
  for (unsigned i = 0; i < env.sigs_count && rc == 0; i++) {
    const struct proto_sig *s = &env.sigs[i];
    uint8_t pub[PROTO_PUBKEY_BYTES];
    pthread_mutex_lock(&l->key_mutex);
    struct proto_key *cached = kc_find(l, s->key_hash);
    if (cached) proto_key_public(cached, pub);
    pthread_mutex_unlock(&l->key_mutex);
    if (!cached) rc = committed_pub(l, &tx, s->key_hash, pub);
    if (rc == 0) rc = verify_one(l, origin, &env, s, pub);
  }
  proto_tx_free(&tx);
  return rc;
}
