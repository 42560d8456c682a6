/* libFuzzer target: arbitrary bytes as the value of an Authorization header, through the signed
 * read header parser (daemon/auth.c). Checks: it answers 0 or UNAUTHORIZED only; on 0 the parsed
 * time fits an int64 and the header, rebuilt from the parsed fields, parses to the same fields
 * (the parser is strict: one spelling per header). */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *value = malloc(size + 1);
  assert(value != NULL);
  memcpy(value, data, size);
  value[size] = '\0';
  struct daemon_auth_header h;
  memset(&h, 0, sizeof h);
  int rc = daemon_auth_parse(value, &h);
  assert(rc == 0 || rc == PROTO_E_UNAUTHORIZED);
  if (rc == 0) {
    assert(h.time_s >= 0);
    char key[64], sig[100], again[300];
    assert(proto_base64_encode(h.key_hash, sizeof h.key_hash, key, sizeof key) > 0);
    assert(proto_base64_encode(h.sig, sizeof h.sig, sig, sizeof sig) > 0);
    snprintf(again, sizeof again, "%s key=%s, time=%lld, sig=%s", DAEMON_AUTH_SCHEME, key,
             (long long)h.time_s, sig);
    struct daemon_auth_header h2;
    assert(daemon_auth_parse(again, &h2) == 0);
    assert(memcmp(&h.key_hash, &h2.key_hash, sizeof h.key_hash) == 0);
    assert(memcmp(&h.sig, &h2.sig, sizeof h.sig) == 0 && h.time_s == h2.time_s);
  }
  free(value);
  return 0;
}
