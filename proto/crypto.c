/* SHA-256 and Ed25519 through OpenSSL 3 EVP, and Ed25519 key files. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "proto/proto.h"

struct proto_key {
  EVP_PKEY *pkey;
  bool has_private;
  uint8_t pub[PROTO_PUBKEY_BYTES];
  uint8_t hash[PROTO_HASH_BYTES];
};

/* SHA-256 is fetched from the provider once: an implicit fetch on every call (EVP_sha256() in
 * EVP_Digest) costs more than hashing a 200-byte entry. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
/* Each thread keeps one digest context (freed when the thread ends): allocating one per hash
 * is a third of the cost of hashing a small entry. */
static pthread_key_t sha256_ctx_key;

static void sha256_ctx_free(void *ctx) { EVP_MD_CTX_free(ctx); }

static void sha256_fetch(void) {
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  PROTO_ASSERT(sha256_md != NULL);
  int rc = pthread_key_create(&sha256_ctx_key, sha256_ctx_free);
  PROTO_ASSERT(rc == 0);
}

static EVP_MD_CTX *sha256_ctx(void) {
  pthread_once(&sha256_once, sha256_fetch);
  EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
  if (!ctx) {
    ctx = EVP_MD_CTX_new();
    PROTO_ASSERT(ctx != NULL);
    int rc = pthread_setspecific(sha256_ctx_key, ctx);
    PROTO_ASSERT(rc == 0);
  }
  return ctx;
}

void proto_sha256(const void *data, size_t len, uint8_t out[PROTO_HASH_BYTES]) {
  const void *parts[1] = {data};
  proto_sha256_parts(parts, &len, 1, out);
}

void proto_sha256_parts(const void *const *parts, const size_t *lens, size_t n,
                        uint8_t out[PROTO_HASH_BYTES]) {
  EVP_MD_CTX *ctx = sha256_ctx();
  int ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL);
  for (size_t i = 0; i < n && ok == 1; i++) ok = EVP_DigestUpdate(ctx, parts[i], lens[i]);
  unsigned int outn = 0;
  if (ok == 1) ok = EVP_DigestFinal_ex(ctx, out, &outn);
  PROTO_ASSERT(ok == 1 && outn == PROTO_HASH_BYTES);
}

int proto_random_bytes(void *out, size_t n) {
  PROTO_ASSERT(out != NULL || n == 0);
  /* RAND_bytes takes an int length; salts are 16 bytes, this guards misuse */
  if (n > INT32_MAX) return PROTO_E_BAD_ARGUMENT;
  return RAND_bytes(out, (int)n) == 1 ? 0 : PROTO_E_CRYPTO;
}

static struct proto_key *key_wrap(EVP_PKEY *pkey, bool has_private) {
  if (!pkey) return NULL;
  struct proto_key *key = calloc(1, sizeof(*key));
  size_t publen = PROTO_PUBKEY_BYTES;
  if (!key || EVP_PKEY_get_raw_public_key(pkey, key->pub, &publen) != 1 ||
      publen != PROTO_PUBKEY_BYTES) {
    EVP_PKEY_free(pkey);
    free(key);
    return NULL;
  }
  key->pkey = pkey;
  key->has_private = has_private;
  proto_sha256(key->pub, PROTO_PUBKEY_BYTES, key->hash);
  return key;
}

struct proto_key *proto_key_from_seed(const uint8_t seed[PROTO_SEED_BYTES]) {
  return key_wrap(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, PROTO_SEED_BYTES),
                  true);
}

struct proto_key *proto_key_from_public(const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  /* OpenSSL takes any 32 bytes and verifies against weak points too: refuse them here, once
   * per key, so no caller can verify with one */
  if (proto_pubkey_check(pub) != 0) return NULL;
  return key_wrap(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, PROTO_PUBKEY_BYTES),
                  false);
}

struct proto_key *proto_key_generate(void) {
  EVP_PKEY *pkey = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
  if (ctx && EVP_PKEY_keygen_init(ctx) == 1) (void)EVP_PKEY_keygen(ctx, &pkey);
  EVP_PKEY_CTX_free(ctx);
  return key_wrap(pkey, true);
}

void proto_key_free(struct proto_key *key) {
  if (!key) return;
  EVP_PKEY_free(key->pkey);
  free(key);
}

void proto_key_public(const struct proto_key *key, uint8_t out[PROTO_PUBKEY_BYTES]) {
  memcpy(out, key->pub, PROTO_PUBKEY_BYTES);
}

void proto_key_hash(const struct proto_key *key, uint8_t out[PROTO_HASH_BYTES]) {
  memcpy(out, key->hash, PROTO_HASH_BYTES);
}

int proto_key_seed(const struct proto_key *key, uint8_t out[PROTO_SEED_BYTES]) {
  size_t n = PROTO_SEED_BYTES;
  if (!key->has_private) return PROTO_E_BAD_KEY;
  if (EVP_PKEY_get_raw_private_key(key->pkey, out, &n) != 1 || n != PROTO_SEED_BYTES)
    return PROTO_E_CRYPTO;
  return 0;
}

int proto_sign(const struct proto_key *key, const void *msg, size_t len,
               uint8_t sig[PROTO_SIG_BYTES]) {
  if (!key->has_private) return PROTO_E_BAD_KEY;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) return PROTO_E_NO_MEMORY;
  size_t siglen = PROTO_SIG_BYTES;
  int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
           EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == PROTO_SIG_BYTES;
  EVP_MD_CTX_free(ctx);
  return ok ? 0 : PROTO_E_CRYPTO;
}

int proto_verify(const struct proto_key *key, const void *msg, size_t len,
                 const uint8_t sig[PROTO_SIG_BYTES]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) return PROTO_E_NO_MEMORY;
  int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
           EVP_DigestVerify(ctx, sig, PROTO_SIG_BYTES, msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  return ok ? 0 : PROTO_E_BAD_SIGNATURE;
}

#define KEYFILE_PREFIX "quotad-ed25519-seed "

int proto_key_save(const struct proto_key *key, const char *path) {
  uint8_t seed[PROTO_SEED_BYTES];
  char b64[64];
  int rc = proto_key_seed(key, seed);
  if (rc) return rc;
  long n = proto_base64_encode(seed, sizeof(seed), b64, sizeof(b64));
  explicit_bzero(seed, sizeof(seed));
  if (n < 0) return (int)n;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  char line[128];
  int len = snprintf(line, sizeof(line), KEYFILE_PREFIX "%s\n", b64);
  explicit_bzero(b64, sizeof(b64));
  PROTO_ASSERT(len > 0 && (size_t)len < sizeof(line));
  ssize_t w = write(fd, line, (size_t)len);
  explicit_bzero(line, sizeof(line));
  int err = (w == len) ? 0 : (w < 0 ? -errno : -EIO);
  if (fsync(fd) != 0 && !err) err = -errno;
  if (close(fd) != 0 && !err) err = -errno;
  if (err) unlink(path);
  return err;
}

int proto_key_load(const char *path, struct proto_key **out) {
  *out = NULL;
  FILE *f = fopen(path, "re");
  if (!f) return -errno;
  char line[128] = {0};
  char *got = fgets(line, sizeof(line), f);
  fclose(f);
  size_t plen = strlen(KEYFILE_PREFIX);
  if (!got || strncmp(line, KEYFILE_PREFIX, plen) != 0) return PROTO_E_BAD_KEY;
  char *b64 = line + plen;
  size_t blen = strcspn(b64, "\r\n");
  uint8_t seed[PROTO_SEED_BYTES + 4];
  long n = proto_base64_decode(b64, blen, seed, sizeof(seed));
  explicit_bzero(line, sizeof(line));
  if (n != PROTO_SEED_BYTES) {
    explicit_bzero(seed, sizeof(seed));
    return PROTO_E_BAD_KEY;
  }
  *out = proto_key_from_seed(seed);
  explicit_bzero(seed, sizeof(seed));
  return *out ? 0 : PROTO_E_CRYPTO;
}
