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

int daemon_auth_verify(const struct daemon_auth_header *h, const uint8_t pub[PROTO_PUBKEY_BYTES],
                       const char *origin, const char *method, const char *target, int64_t now_s,
                       uint32_t window_s) {
  int64_t d = now_s - h->time_s;
  if (d > (int64_t)window_s || d < -(int64_t)window_s) return PROTO_E_STALE_TIME;
  uint8_t msg[8192];
  long n = proto_read_message(origin, method, target, (uint64_t)h->time_s, msg, sizeof msg);
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

unsigned daemon_status_for(int err) { return proto_err_http_status(err); }

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
