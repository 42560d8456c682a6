/* Unit tests of TLS over memory BIOs: a real OpenSSL client talks to daemon_tls through byte
 * buffers only; client certificates with Ed25519 keys become identities. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"

static char dir[64];
static char server_cert[128], server_key[128], client_cert[128], client_key[128];

/* A self-signed certificate for an Ed25519 key, written as PEM files. */
static EVP_PKEY *make_cert(const char *cert_path, const char *key_path, const char *cn) {
  EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  cr_assert_not_null(pk);
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pk);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, name);
  cr_assert_gt(X509_sign(x, pk, NULL), 0);
  FILE *f = fopen(cert_path, "w");
  PEM_write_X509(f, x);
  fclose(f);
  f = fopen(key_path, "w");
  PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
  fclose(f);
  X509_free(x);
  return pk;
}

static EVP_PKEY *client_pk;

static void setup(void) {
  strcpy(dir, "/tmp/quotad-tls-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(server_cert, sizeof server_cert, "%s/s.crt", dir);
  snprintf(server_key, sizeof server_key, "%s/s.key", dir);
  snprintf(client_cert, sizeof client_cert, "%s/c.crt", dir);
  snprintf(client_key, sizeof client_key, "%s/c.key", dir);
  EVP_PKEY_free(make_cert(server_cert, server_key, "localhost"));
  client_pk = make_cert(client_cert, client_key, "operator");
}

static void teardown(void) {
  EVP_PKEY_free(client_pk);
  unlink(server_cert);
  unlink(server_key);
  unlink(client_cert);
  unlink(client_key);
  rmdir(dir);
}
/* Each test of this suite calls setup() first and teardown() last (plain calls keep the
 * file readable to cppcheck, which does not expand criterion's named arguments). */

struct client {
  SSL_CTX *ctx;
  SSL *ssl;
};

static void client_new(struct client *c, bool with_cert) {
  c->ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL); /* the test trusts its own server */
  if (with_cert) {
    cr_assert_eq(SSL_CTX_use_certificate_file(c->ctx, client_cert, SSL_FILETYPE_PEM), 1);
    cr_assert_eq(SSL_CTX_use_PrivateKey_file(c->ctx, client_key, SSL_FILETYPE_PEM), 1);
  }
  c->ssl = SSL_new(c->ctx);
  SSL_set_bio(c->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(c->ssl);
}

static void client_free(struct client *c) {
  SSL_free(c->ssl);
  SSL_CTX_free(c->ctx);
}

/* Moves bytes both ways until neither side has anything to say. Returns the server's result. */
static int pump(struct client *c, struct daemon_tls *s, struct daemon_buf *plain) {
  int rc = 0;
  for (int round = 0; round < 20; round++) {
    SSL_do_handshake(c->ssl);
    ERR_clear_error();
    char buf[16384];
    int n, moved = 0;
    while ((n = BIO_read(SSL_get_wbio(c->ssl), buf, sizeof buf)) > 0) {
      moved = 1;
      if ((rc = daemon_tls_feed(s, buf, (size_t)n, plain))) return rc;
    }
    struct daemon_buf out = {0};
    daemon_tls_take_out(s, &out);
    if (out.len) {
      moved = 1;
      BIO_write(SSL_get_rbio(c->ssl), out.data, (int)out.len);
    }
    daemon_buf_free(&out);
    if (!moved) break;
  }
  return rc;
}

Test(tls, carries_a_request_and_a_response_through_memory_bios) {
  setup();
  SSL_CTX *ctx;
  char why[256];
  cr_assert_eq(daemon_tls_ctx_new(server_cert, server_key, "", false, &ctx, why, sizeof why), 0, "%s", why);
  struct daemon_tls s;
  cr_assert_eq(daemon_tls_init(&s, ctx), 0);
  struct client c;
  client_new(&c, false);
  struct daemon_buf plain = {0};
  cr_assert_eq(pump(&c, &s, &plain), 0);
  cr_assert(s.handshake_done);
  cr_assert(SSL_is_init_finished(c.ssl));
  cr_assert_not(s.peer_ed25519);
  const char req[] = "GET /healthz HTTP/1.1\r\n\r\n";
  cr_assert_eq(SSL_write(c.ssl, req, sizeof req - 1), (int)sizeof req - 1);
  cr_assert_eq(pump(&c, &s, &plain), 0);
  cr_assert_eq(plain.len, sizeof req - 1);
  cr_assert_eq(memcmp(plain.data, req, plain.len), 0);
  cr_assert_eq(daemon_tls_write(&s, "pong", 4), 0);
  pump(&c, &s, &plain);
  char got[16] = "";
  cr_assert_eq(SSL_read(c.ssl, got, sizeof got), 4);
  cr_assert_str_eq(got, "pong");
  daemon_buf_free(&plain);
  daemon_tls_free(&s);
  daemon_tls_ctx_free(ctx);
  client_free(&c);
  teardown();
}

Test(tls, an_ed25519_client_certificate_names_its_key_hash) {
  setup();
  SSL_CTX *ctx;
  char why[256];
  cr_assert_eq(daemon_tls_ctx_new(server_cert, server_key, client_cert, true, &ctx, why, sizeof why), 0, "%s", why);
  struct daemon_tls s;
  cr_assert_eq(daemon_tls_init(&s, ctx), 0);
  struct client c;
  client_new(&c, true);
  struct daemon_buf plain = {0};
  cr_assert_eq(pump(&c, &s, &plain), 0);
  /* TLS 1.3 finishes the server side when the client's Finished arrives with the first data. */
  SSL_write(c.ssl, "x", 1);
  cr_assert_eq(pump(&c, &s, &plain), 0);
  cr_assert(s.handshake_done);
  cr_assert(s.peer_ed25519);
  uint8_t raw[32], want[PROTO_HASH_BYTES];
  size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(client_pk, raw, &len);
  proto_sha256(raw, sizeof raw, want);
  cr_assert_eq(memcmp(s.peer_key_hash, want, sizeof want), 0);
  daemon_buf_free(&plain);
  daemon_tls_free(&s);
  daemon_tls_ctx_free(ctx);
  client_free(&c);
  teardown();
}

Test(tls, refuses_a_client_without_a_certificate_when_required) {
  setup();
  SSL_CTX *ctx;
  char why[256];
  cr_assert_eq(daemon_tls_ctx_new(server_cert, server_key, client_cert, true, &ctx, why, sizeof why), 0, "%s", why);
  struct daemon_tls s;
  cr_assert_eq(daemon_tls_init(&s, ctx), 0);
  struct client c;
  client_new(&c, false);
  struct daemon_buf plain = {0};
  int rc = pump(&c, &s, &plain);
  if (rc == 0) { /* TLS 1.3: the refusal comes when the client's Finished arrives */
    SSL_write(c.ssl, "x", 1);
    rc = pump(&c, &s, &plain);
  }
  cr_assert_eq(rc, PROTO_E_CRYPTO);
  cr_assert_not(s.peer_ed25519);
  cr_assert_eq(plain.len, 0);
  daemon_buf_free(&plain);
  daemon_tls_free(&s);
  daemon_tls_ctx_free(ctx);
  client_free(&c);
  teardown();
}

Test(tls, refuses_garbage_instead_of_a_handshake) {
  setup();
  SSL_CTX *ctx;
  char why[256];
  cr_assert_eq(daemon_tls_ctx_new(server_cert, server_key, "", false, &ctx, why, sizeof why), 0, "%s", why);
  struct daemon_tls s;
  cr_assert_eq(daemon_tls_init(&s, ctx), 0);
  struct daemon_buf plain = {0};
  const char junk[] = "GET / HTTP/1.1\r\n\r\n";
  cr_assert_eq(daemon_tls_feed(&s, junk, sizeof junk - 1, &plain), PROTO_E_CRYPTO);
  daemon_buf_free(&plain);
  daemon_tls_free(&s);
  daemon_tls_ctx_free(ctx);
  teardown();
}

Test(tls, reports_a_missing_certificate_file) {
  setup();
  SSL_CTX *ctx = NULL;
  char why[256] = "";
  cr_assert_eq(daemon_tls_ctx_new("/nonexistent.crt", server_key, "", false, &ctx, why, sizeof why), PROTO_E_CRYPTO);
  cr_assert_null(ctx);
  cr_assert_not_null(strstr(why, "/nonexistent.crt"));
  teardown();
}

/* A certificate for the raw public key pub, signed by ca (a CA may sign any 32 bytes). */
static X509 *cert_for_raw(const uint8_t pub[32], EVP_PKEY *ca) {
  EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
  cr_assert_not_null(pk, "OpenSSL takes any 32 bytes as an Ed25519 key");
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 2);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pk);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"rep", -1, -1, 0);
  cr_assert_gt(X509_sign(x, ca, NULL), 0);
  EVP_PKEY_free(pk);
  return x;
}

/* The identity and A + T (tests/vectors/ed25519-keys.json) in a CA-signed certificate bind no
 * identity; an ordinary key binds its hash. */
Test(tls, a_certificate_with_a_weak_key_binds_nothing) {
  char path[512];
  json_error_t err;
  snprintf(path, sizeof path, "%s/ed25519-keys.json", QUOTAD_VECTORS_DIR);
  json_t *root = json_load_file(path, 0, &err);
  cr_assert_not_null(root, "%s: %s", path, err.text);
  EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  const char *names[] = {"identity", "a_plus_t2", "a"};
  for (size_t i = 0; i < 3; i++) {
    const char *hex = json_string_value(json_object_get(root, names[i]));
    uint8_t pub[32], hash[PROTO_HASH_BYTES], want[PROTO_HASH_BYTES];
    cr_assert_eq(proto_hex_decode(hex, strlen(hex), pub, 32), 32);
    X509 *x = cert_for_raw(pub, ca);
    memset(hash, 0, sizeof hash);
    bool bound = daemon_tls_cert_key(x, hash);
    if (i < 2) {
      cr_assert_not(bound, "%s must bind nothing", names[i]);
    } else {
      cr_assert(bound, "an ordinary key binds");
      proto_sha256(pub, 32, want);
      cr_assert_eq(memcmp(hash, want, sizeof want), 0);
    }
    X509_free(x);
  }
  EVP_PKEY_free(ca);
  json_decref(root);
}
