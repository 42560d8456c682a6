/* quota-witness: the program. Reads its configuration, loads its key and state, and serves the
 * C2SP tlog-witness API until SIGTERM; --verifier-key prints the key a policy names it by. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "witness/witness.h"

/* The cosigner verifier key from the configured name and key file. */
static int print_verifier_key(const struct witness_config *cfg) {
  struct proto_key *key = NULL;
  int rc = proto_key_load(cfg->key_file, &key);
  if (rc != 0) {
    fprintf(stderr, "quota-witness: %s: %s\n", cfg->key_file, proto_err_message(rc));
    return 1;
  }
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(key, pub);
  proto_key_free(key);
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX];
  if (tlog_cosig_verifier_key(cfg->name, pub, vkey, sizeof vkey) < 0) return 1;
  printf("%s\n", vkey);
  return 0;
}

int main(int argc, char **argv) {
  struct witness_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg) return 1;
  bool print_vkey = false;
  int rc = witness_config_load(cfg, argc, argv, &print_vkey);
  int status = rc == 1 ? 0 : rc == -2 ? 2 : rc != 0 ? 1 : -1;
  if (status < 0 && print_vkey) status = print_verifier_key(cfg);
  if (status < 0) {
    /* a client that resets its connection costs that connection, never the process */
    signal(SIGPIPE, SIG_IGN);
    struct witness w;
    status = witness_open(&w, cfg) == 0 && witness_serve(&w) == 0 ? 0 : 1;
    witness_close(&w);
  }
  free(cfg);
  return status;
}
