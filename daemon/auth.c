/* auth: the signed read header (Quotad-Ed25519), who may read which account, and the HTTP
 * status and JSON body of each error code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/daemon.h"

/* Reads one "name=value" parameter; value runs to ',' or the end. */
static const char *auth_param(const char *p, const char *name, char *out, size_t cap) {
  while (*p == ' ' || *p == ',') p++;
  size_t n = strlen(name);
  if (strncmp(p, name, n) != 0 || p[n] != '=') return NULL;
  p += n + 1;
  size_t len = strcspn(p, ", ");
  if (len == 0 || len >= cap) return NULL;
  memcpy(out, p, len);
  out[len] = '\0';
  return p + len;
}

int daemon_auth_parse(const char *value, struct daemon_auth_header *out) {
  size_t slen = strlen(DAEMON_AUTH_SCHEME);
  if (!value || strncmp(value, DAEMON_AUTH_SCHEME, slen) != 0 || value[slen] != ' ')
    return PROTO_E_UNAUTHORIZED;
  char key[64], time_s[24], sig[100];
  const char *p = value + slen;
  if (!(p = auth_param(p, "key", key, sizeof key))) return PROTO_E_UNAUTHORIZED;
  if (!(p = auth_param(p, "time", time_s, sizeof time_s))) return PROTO_E_UNAUTHORIZED;
  if (!(p = auth_param(p, "sig", sig, sizeof sig))) return PROTO_E_UNAUTHORIZED;
  while (*p == ' ') p++;
  if (*p) return PROTO_E_UNAUTHORIZED;
  uint64_t t = 0;
  if (daemon_parse_u64(time_s, &t) || t > INT64_MAX) return PROTO_E_UNAUTHORIZED;
  if (proto_base64_decode(key, strlen(key), out->key_hash, sizeof out->key_hash) !=
      PROTO_HASH_BYTES)
    return PROTO_E_UNAUTHORIZED;
  if (proto_base64_decode(sig, strlen(sig), out->sig, sizeof out->sig) != PROTO_SIG_BYTES)
    return PROTO_E_UNAUTHORIZED;
  out->time_s = (int64_t)t;
  return 0;
}

long daemon_auth_message(const char *origin, const char *method, const char *target, int64_t time_s,
                         char *out, size_t cap) {
  int n = snprintf(out, cap, "quotad/read/v1\n%s\n%s\n%s\n%lld", origin, method, target,
                   (long long)time_s);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  return n;
}

int daemon_auth_verify(const struct daemon_auth_header *h, const uint8_t pub[PROTO_PUBKEY_BYTES],
                       const char *origin, const char *method, const char *target, int64_t now_s,
                       uint32_t window_s) {
  int64_t d = now_s - h->time_s;
  if (d > (int64_t)window_s || d < -(int64_t)window_s) return PROTO_E_STALE_TIME;
  char msg[8192];
  long n = daemon_auth_message(origin, method, target, h->time_s, msg, sizeof msg);
  if (n < 0) return PROTO_E_UNAUTHORIZED;
  struct proto_key *key = proto_key_from_public(pub);
  if (!key) return PROTO_E_BAD_KEY;
  int rc = proto_verify(key, msg, (size_t)n, h->sig);
  proto_key_free(key);
  return rc ? PROTO_E_BAD_SIGNATURE : 0;
}

bool daemon_may_read_all(const struct daemon_principal *p) {
  return p->authenticated &&
         (p->role == PROTO_ROLE_OPERATOR || p->role == PROTO_ROLE_AUDITOR);
}

bool daemon_may_read_account(const struct daemon_principal *p, uint64_t account, unsigned province) {
  if (daemon_may_read_all(p)) return true;
  if (!p->authenticated) return false;
  if (p->role == PROTO_ROLE_AUTHORITY) return province != 0 && p->scope == province;
  if (p->role == PROTO_ROLE_REPRESENTATIVE) return p->scope == account;
  return false; /* the exchange reads public data and its own submissions' results only */
}

static void add_account(uint64_t *out, size_t cap, size_t *n, uint64_t id) {
  if (id == 0) return;
  for (size_t i = 0; i < *n; i++)
    if (out[i] == id) return;
  if (*n < cap) out[(*n)++] = id;
}

size_t daemon_tx_accounts(const struct proto_tx *tx, uint64_t *out, size_t cap) {
  size_t count = 0, n = 0;
  const struct proto_field *f = proto_tx_fields_version(tx->type, tx->version, &count);
  if (!f) return 0;
  const char *base = (const char *)&tx->u;
  for (size_t i = 0; i < count; i++) {
    if (f[i].kind == PROTO_F_ACCOUNT) {
      uint64_t id;
      memcpy(&id, base + f[i].offset, sizeof id);
      add_account(out, cap, &n, id);
    }
  }
  /* A settle's legs: in a version 1 body, or attached beside a version 2 one (else none). */
  for (unsigned l = 0; tx->type == PROTO_TX_SETTLE && tx->u.settle.legs && l < tx->u.settle.legs_count; l++) {
    add_account(out, cap, &n, tx->u.settle.legs[l].from);
    add_account(out, cap, &n, tx->u.settle.legs[l].to);
  }
  /* A representative key names its account in its scope. */
  if (tx->type == PROTO_TX_KEY_REGISTER && tx->u.key_register.role == PROTO_ROLE_REPRESENTATIVE)
    add_account(out, cap, &n, tx->u.key_register.scope);
  return n;
}

unsigned daemon_status_for(int err) {
  switch (err) {
  case 0:
  case 1: return 200;
  case PROTO_E_ID_CONFLICT: return 409;
  case PROTO_E_BAD_SIGNATURE:
  case PROTO_E_UNKNOWN_KEY:
  case PROTO_E_UNAUTHORIZED:
  case PROTO_E_STALE_TIME: return 401;
  case PROTO_E_WRONG_ROLE:
  case PROTO_E_REVOKED_KEY:
  case PROTO_E_INSUFFICIENT_SIGNATURES:
  case PROTO_E_FORBIDDEN:
  case PROTO_E_UNKNOWN_LOG_KEY: return 403;
  case PROTO_E_NOT_FOUND: return 404;
  case PROTO_E_TOO_LARGE: return 413;
  case PROTO_E_BUSY:
  case PROTO_E_NO_MEMORY:
  case PROTO_E_READ_ONLY: return 503;
  case PROTO_E_STANDBY: return 503;
  case PROTO_E_STANDBY_AWAY: return 503;
  case PROTO_E_SUPERSEDED: return 503;
  case PROTO_E_MAP_FULL: return 507;
  case PROTO_E_CORRUPT:
  case PROTO_E_STORAGE:
  case PROTO_E_CRYPTO: return 500;
  default: break;
  }
  if (err <= -1000 && err > -1200) return 400; /* encoding, JSON and text */
  if (err <= -1300 && err > -1400) return 422; /* ledger rules */
  if (err <= -1400 && err > -1500) return 400;
  if (err <= -1500 && err > -1600) return 422;
  return 500;
}

int daemon_error_body(struct daemon_buf *out, int err, const char *detail) {
  char msg[600];
  if (detail && detail[0]) snprintf(msg, sizeof msg, "%s: %s", proto_err_message(err), detail);
  else snprintf(msg, sizeof msg, "%s", proto_err_message(err));
  json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", proto_err_name(err), "message", msg);
  if (!j) return PROTO_E_NO_MEMORY;
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (!s) return PROTO_E_NO_MEMORY;
  int rc = daemon_buf_append(out, s, strlen(s));
  free(s);
  return rc;
}
