/* tls: OpenSSL sessions driven through two memory BIOs, so libuv owns the socket and TLS is just
 * a transform of bytes; and the identity of an Ed25519 client certificate. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"

static void tls_why(char *why, size_t cap, const char *what, const char *path) {
  unsigned long e = ERR_get_error();
  char buf[256] = "";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  snprintf(why, cap, "%s %s: %s", what, path, buf);
  ERR_clear_error();
}

int daemon_tls_ctx_new(const char *cert, const char *key, const char *client_ca, bool require,
                       SSL_CTX **out, char *why, size_t why_cap) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    tls_why(why, why_cap, "SSL_CTX_new", "");
    return PROTO_E_CRYPTO;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
    tls_why(why, why_cap, "certificate", cert);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    tls_why(why, why_cap, "private key", key);
    goto fail;
  }
  if (client_ca && client_ca[0]) {
    if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
      tls_why(why, why_cap, "client CA", client_ca);
      goto fail;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
    if (names) SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
  }
  *out = ctx;
  return 0;
fail:
  SSL_CTX_free(ctx);
  return PROTO_E_CRYPTO;
}

void daemon_tls_ctx_free(SSL_CTX *ctx) { SSL_CTX_free(ctx); }

int daemon_tls_init(struct daemon_tls *t, SSL_CTX *ctx) {
  memset(t, 0, sizeof *t);
  t->ssl = SSL_new(ctx);
  if (!t->ssl) return PROTO_E_CRYPTO;
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  if (!rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(t->ssl);
    t->ssl = NULL;
    return PROTO_E_CRYPTO;
  }
  /* An empty read BIO means "wait for more", not end of file. */
  BIO_set_mem_eof_return(rbio, -1);
  SSL_set_bio(t->ssl, rbio, wbio);
  SSL_set_accept_state(t->ssl);
  return 0;
}

void daemon_tls_free(struct daemon_tls *t) {
  SSL_free(t->ssl); /* frees both BIOs */
  t->ssl = NULL;
}

bool daemon_tls_cert_key(X509 *cert, uint8_t hash[PROTO_HASH_BYTES]) {
  EVP_PKEY *pk = X509_get0_pubkey(cert);
  uint8_t raw[PROTO_PUBKEY_BYTES];
  size_t len = sizeof raw;
  if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 || len != sizeof raw)
    return false;
  /* a CA may sign any 32 bytes: a weak key (the identity, A + T) binds no identity, as it could
   * never have been registered */
  if (proto_pubkey_check(raw) != 0) return false;
  proto_sha256(raw, sizeof raw, hash);
  return true;
}

/* After the handshake: remember the Ed25519 key of a verified client certificate. */
static void tls_check_peer(struct daemon_tls *t) {
  t->peer_checked = true;
  X509 *cert = SSL_get1_peer_certificate(t->ssl);
  if (!cert) return;
  if (SSL_get_verify_result(t->ssl) == X509_V_OK)
    t->peer_ed25519 = daemon_tls_cert_key(cert, t->peer_key_hash);
  X509_free(cert);
}

int daemon_tls_feed(struct daemon_tls *t, const char *in, size_t len, struct daemon_buf *plain) {
  if (len && BIO_write(SSL_get_rbio(t->ssl), in, (int)len) != (int)len) return PROTO_E_CRYPTO;
  if (!t->handshake_done) {
    int r = SSL_do_handshake(t->ssl);
    if (r != 1) {
      int e = SSL_get_error(t->ssl, r);
      ERR_clear_error();
      return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : PROTO_E_CRYPTO;
    }
    t->handshake_done = true;
    tls_check_peer(t);
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(t->ssl, buf, sizeof buf);
    if (n > 0) {
      int rc = daemon_buf_append(plain, buf, (size_t)n);
      if (rc) return rc;
      continue;
    }
    int e = SSL_get_error(t->ssl, n);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    return PROTO_E_CRYPTO; /* close_notify or a failure: either way the session is over */
  }
}

int daemon_tls_write(struct daemon_tls *t, const char *plain, size_t len) {
  while (len) {
    int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
    int n = SSL_write(t->ssl, plain, chunk);
    if (n <= 0) {
      ERR_clear_error();
      return PROTO_E_CRYPTO;
    }
    plain += n;
    len -= (size_t)n;
  }
  return 0;
}

int daemon_tls_take_out(struct daemon_tls *t, struct daemon_buf *out) {
  BIO *w = SSL_get_wbio(t->ssl);
  char buf[16384];
  int n;
  while ((n = BIO_read(w, buf, sizeof buf)) > 0) {
    int rc = daemon_buf_append(out, buf, (size_t)n);
    if (rc) return rc;
  }
  return 0;
}

void daemon_tls_close_notify(struct daemon_tls *t) {
  if (SSL_shutdown(t->ssl) < 0) ERR_clear_error();
}
