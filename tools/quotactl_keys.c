/* keygen and init: making Ed25519 key files and the genesis of a new registry. */
#include "proto/proto_json.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"
#include "tools/quotactl.h"
#include "tools/quotactl_build.h"

/* A key made with --name keeps its verifier key beside it (FILE.vkey), so that `init` can check
 * that the origin is the name the key was made for: quotad signs checkpoints under the origin. */
static int save_verifier_key(const char *key_path, const char *vk) {
  char path[4200];
  snprintf(path, sizeof path, "%s.vkey", key_path);
  FILE *f = fopen(path, "wx");
  if (!f || fprintf(f, "%s\n", vk) < 0 || fclose(f) != 0) {
    fprintf(stderr, "quotactl keygen: cannot write %s: %s\n", path, strerror(errno));
    return QCTL_EXIT_IO;
  }
  return 0;
}

/* init's check of the log key against the origin, when keygen left FILE.vkey beside it. */
static int check_log_key_name(const char *key_path, const char *origin,
                              const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  char path[4200], line[TLOG_VERIFIER_KEY_BYTES_MAX + 2] = "", name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t vk_pub[PROTO_PUBKEY_BYTES];
  snprintf(path, sizeof path, "%s.vkey", key_path);
  FILE *f = fopen(path, "r");
  if (!f) return 0; /* made without --name: nothing to compare */
  bool got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  line[strcspn(line, "\r\n")] = '\0';
  if (!got || tlog_verifier_key_parse(line, name, sizeof name, vk_pub) != 0 ||
      memcmp(vk_pub, pub, PROTO_PUBKEY_BYTES) != 0) {
    fprintf(stderr, "quotactl init: %s does not hold the verifier key of %s\n", path, key_path);
    return QCTL_EXIT_USAGE;
  }
  if (strcmp(name, origin) != 0) {
    fprintf(stderr, "quotactl init: the log key %s was made for origin '%s' (keygen --name), not "
            "'%s': checkpoints are signed under the origin, so its verifier key would not match\n",
            key_path, name, origin);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

int qctl_cmd_keygen(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qctl_preamble(&o, argc, argv, "keygen", NULL);
  if (rc != QCTL_GO_ON) return rc;
  struct proto_key *key = proto_key_generate();
  if (!key) {
    fprintf(stderr, "quotactl keygen: the crypto library could not make a key\n");
    return QCTL_EXIT_IO;
  }
  rc = proto_key_save(key, o.pos[0]);
  if (rc) {
    fprintf(stderr, "quotactl keygen: cannot write %s: %s%s\n", o.pos[0], proto_err_message(rc),
            rc == -EEXIST ? " (key files are never overwritten; choose another name)" : "");
    proto_key_free(key);
    return QCTL_EXIT_IO;
  }
  uint8_t pub[PROTO_PUBKEY_BYTES], hash[PROTO_HASH_BYTES];
  proto_key_public(key, pub);
  proto_key_hash(key, hash);
  proto_key_free(key);
  char pub_b64[64], pub_hex[80], hash_b64[64], hash_hex[80], vk[256] = "";
  proto_base64_encode(pub, sizeof(pub), pub_b64, sizeof(pub_b64));
  proto_hex_encode(pub, sizeof(pub), pub_hex, sizeof(pub_hex));
  proto_base64_encode(hash, sizeof(hash), hash_b64, sizeof(hash_b64));
  proto_hex_encode(hash, sizeof(hash), hash_hex, sizeof(hash_hex));
  const char *name = qopts_get(&o, "name");
  if (name && tlog_verifier_key(name, pub, vk, sizeof(vk)) < 0) {
    fprintf(stderr, "quotactl keygen: --name is too long\n");
    return QCTL_EXIT_USAGE;
  }
  if (name && (rc = save_verifier_key(o.pos[0], vk))) return rc;
  if (q->json) {
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "file", o.pos[0], "public_key", pub_b64,
                          "public_key_hex", pub_hex, "key_hash", hash_b64, "key_hash_hex", hash_hex);
    if (name) json_object_set_new(j, "verifier_key", json_string(vk));
    json_dumpf(j, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(j);
  } else {
    printf("key file:      %s\npublic key:    %s\npublic (hex):  %s\nkey hash:      %s\n"
           "hash (hex):    %s\n", o.pos[0], pub_b64, pub_hex, hash_b64, hash_hex);
    if (name) printf("verifier key:  %s\n", vk);
  }
  return QCTL_EXIT_OK;
}

static void init_help(FILE *out) {
  fprintf(out,
          "usage: quotactl init --origin ORIGIN --log-key FILE --operator-key KEY [...]\n"
          "                     [--national-account ID] [--threshold N] [--id HEX]\n"
          "Submits the genesis of a new registry, signed by the log key (the key quotad signs\n"
          "checkpoints with). --operator-key (repeatable, 1..8) takes a key file, 64 hex or a\n"
          "base64 public key. --threshold is how many operator signatures each operator action\n"
          "needs (default 1); the national account id defaults to 1.\n");
}

/* Fills the genesis from the options; returns 0 or an exit code. */
static int genesis_from_opts(const struct qopts *o, struct proto_tx *tx) {
  struct proto_genesis *g = &tx->u.genesis;
  const char *origin = qopts_get(o, "origin");
  if (!origin || strlen(origin) > PROTO_ORIGIN_BYTES_MAX) {
    fprintf(stderr, "quotactl init: --origin is required (1-128 printable characters, no spaces; "
            "e.g. registry.example.cn/cets)\n");
    return QCTL_EXIT_USAGE;
  }
  snprintf(g->origin, sizeof(g->origin), "%s", origin);
  uint64_t v = 1;
  const char *nat = qopts_get(o, "national-account");
  if (nat && qopts_u64(nat, "--national-account", 1, INT64_MAX, &v)) return QCTL_EXIT_USAGE;
  g->national_account = v;
  v = 1;
  const char *thr = qopts_get(o, "threshold");
  if (thr && qopts_u64(thr, "--threshold", 1, PROTO_THRESHOLD_MAX, &v)) return QCTL_EXIT_USAGE;
  g->operator_threshold = (uint8_t)v;
  for (size_t i = 0; i < o->n; i++) {
    if (strcmp(o->names[i], "operator-key") != 0 && strcmp(o->names[i], "operator_key") != 0) {
      continue;
    }
    if (g->operator_keys_count == PROTO_GENESIS_KEYS_MAX) {
      fprintf(stderr, "quotactl init: at most %u operator keys\n", PROTO_GENESIS_KEYS_MAX);
      return QCTL_EXIT_USAGE;
    }
    if (qbuild_bytes32(o->values[i], false, g->operator_keys[g->operator_keys_count]) != 0) {
      fprintf(stderr, "quotactl init: --operator-key '%s' is not a key file, 64 hex or base64\n",
              o->values[i]);
      return QCTL_EXIT_USAGE;
    }
    g->operator_keys_count++;
  }
  if (g->operator_keys_count == 0) {
    fprintf(stderr, "quotactl init: at least one --operator-key is required\n");
    return QCTL_EXIT_USAGE;
  }
  unsigned distinct = 0;
  for (unsigned i = 0; i < g->operator_keys_count; i++) {
    bool seen = false;
    for (unsigned k = 0; k < i && !seen; k++)
      seen = memcmp(g->operator_keys[k], g->operator_keys[i], PROTO_PUBKEY_BYTES) == 0;
    distinct += !seen;
  }
  if (g->operator_threshold > distinct) {
    fprintf(stderr, "quotactl init: --threshold %u needs at least %u distinct operator keys; %u "
            "given: the registry could never act\n", g->operator_threshold,
            g->operator_threshold, distinct);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

int qctl_cmd_init(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  if (qopts_has(&o, "help")) {
    init_help(stdout);
    return QCTL_EXIT_OK;
  }
  static const char *const allowed[] = {"origin", "log-key", "operator-key", "national-account",
                                        "threshold", "id", NULL};
  if ((rc = qopts_only(&o, "init", allowed))) return rc;
  struct proto_tx tx = {.type = PROTO_TX_GENESIS};
  if ((rc = genesis_from_opts(&o, &tx))) return rc;
  const char *log_key = qopts_get(&o, "log-key");
  if (!log_key) {
    fprintf(stderr, "quotactl init: --log-key FILE is required: the genesis is signed by the "
            "registry's log key\n");
    return QCTL_EXIT_USAGE;
  }
  /* the genesis is signed by the log key alone, whatever --key says */
  for (size_t i = 0; i < q->nkeys; i++) proto_key_free(q->keys[i]);
  q->nkeys = 1;
  q->key_paths[0] = log_key;
  q->keys[0] = NULL;
  if ((rc = qctl_load_keys(q))) return rc;
  proto_key_public(q->keys[0], tx.u.genesis.log_public_key);
  rc = check_log_key_name(log_key, tx.u.genesis.origin, tx.u.genesis.log_public_key);
  if (rc) return rc;
  const char *id_hex = qopts_get(&o, "id");
  rc = id_hex ? qctl_id_from_hex(id_hex, tx.id) : qctl_id_time_ordered(tx.id);
  if (rc) return rc < 0 ? QCTL_EXIT_IO : rc;
  return qctl_submit_one(q, &tx);
}
