/* setup: what quotad checks before it serves, shared by the start-up and `quotad --check-config`:
 * where the log key comes from (a flag, systemd's credentials, or the data directory), that no one
 * else can read it, and that the data directory exists (a typo must not start a new registry). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/daemon.h"
#include "daemon/publish.h"
#include "ledger/ledger.h"

/* The credential name the unit's LoadCredential= gives the log key. */
#define SETUP_CREDENTIAL_NAME "log.key"

int daemon_log_key_path(const struct daemon_config *cfg, char *out, size_t cap) {
  const char *creds = getenv("CREDENTIALS_DIRECTORY");
  int n;
  if (cfg->log_key[0]) n = snprintf(out, cap, "%s", cfg->log_key);
  else if (creds && creds[0]) n = snprintf(out, cap, "%s/%s", creds, SETUP_CREDENTIAL_NAME);
  else n = snprintf(out, cap, "%s/log.key", cfg->data_dir);
  return n < 0 || (size_t)n >= cap ? PROTO_E_FIELD_TOO_LONG : 0;
}

/* Refuses a key file that its group or others may read: the log key signs every checkpoint. */
static int key_private(const char *path, char *why, size_t why_cap) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(why, why_cap, "log key %s: %s", path, strerror(errno));
    return -errno;
  }
  if (st.st_mode & 077) {
    snprintf(why, why_cap,
             "log key %s is readable by group or others (mode %04o): chmod 600 it "
             "(or give it to quotad as a systemd credential)",
             path, (unsigned)(st.st_mode & 07777));
    return PROTO_E_BAD_KEY;
  }
  return 0;
}

int daemon_load_log_key(const struct daemon_config *cfg, struct proto_key **out, char *why,
                        size_t why_cap) {
  char path[DAEMON_PATH_BYTES_MAX + 32];
  int rc = daemon_log_key_path(cfg, path, sizeof path);
  if (rc) {
    snprintf(why, why_cap, "log key path too long");
    return rc;
  }
  rc = key_private(path, why, why_cap);
  if (rc) return rc;
  rc = proto_key_load(path, out);
  if (rc) snprintf(why, why_cap, "log key %s: %s", path, proto_err_message(rc));
  return rc;
}

int daemon_data_dir_state(const char *dir, bool *empty, char *why, size_t why_cap) {
  DIR *d = opendir(dir);
  if (!d) {
    int e = errno;
    if (e == ENOENT) {
      snprintf(why, why_cap,
               "data directory %s does not exist: create it first (an empty directory starts a "
               "new registry; under systemd, StateDirectory= makes it)", dir);
    } else {
      snprintf(why, why_cap, "data directory %s: %s", dir, strerror(e));
    }
    return -e;
  }
  *empty = true;
  const struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      *empty = false;
      break;
    }
  }
  closedir(d);
  return 0;
}

/* The ledger part of --check-config: opened read-only (a running quotad keeps its writer lock),
 * the genesis's log key compared with the configured one. */
static int check_ledger(const struct daemon_config *cfg, const struct proto_key *key, bool empty) {
  if (empty) {
    printf("data directory %s: empty (quotad will start a NEW registry there)\n", cfg->data_dir);
    return 0;
  }
  struct ledger_config lc = {.dir = cfg->data_dir, .map_bytes_max = cfg->map_bytes_max,
                             .read_only = true};
  struct ledger *l = NULL;
  int rc = ledger_open(&lc, &l);
  if (rc) {
    fprintf(stderr, "quotad: ledger %s: %s\n", cfg->data_dir, ledger_err_message(rc));
    return rc;
  }
  uint8_t genesis_pub[PROTO_PUBKEY_BYTES], mine[PROTO_PUBKEY_BYTES];
  proto_key_public(key, mine);
  uint64_t size = ledger_tree_size(l);
  rc = ledger_log_public_key(l, genesis_pub);
  if (rc == 0 && memcmp(genesis_pub, mine, PROTO_PUBKEY_BYTES) != 0) {
    fprintf(stderr, "quotad: the log key is not this registry's log key: the genesis in %s names "
            "another\n", cfg->data_dir);
    rc = PROTO_E_UNKNOWN_LOG_KEY;
  } else if (rc == PROTO_E_NOT_FOUND) {
    rc = 0; /* no genesis yet */
  }
  if (rc == 0) printf("data directory %s: registry %s, tree size %llu\n", cfg->data_dir,
                      ledger_origin(l)[0] ? ledger_origin(l) : "(no genesis yet)",
                      (unsigned long long)size);
  ledger_close(l);
  return rc;
}

int daemon_check_config(const struct daemon_config *cfg) {
  char why[600];
  bool empty = false;
  struct proto_key *key = NULL;
  int rc = daemon_data_dir_state(cfg->data_dir, &empty, why, sizeof why);
  if (!rc) rc = daemon_load_log_key(cfg, &key, why, sizeof why);
  if (rc) {
    fprintf(stderr, "quotad: %s\n", why);
    return rc;
  }
  rc = check_ledger(cfg, key, empty);
  proto_key_free(key);
  if (rc) return rc;
  if (cfg->witness_policy[0]) {
    struct tlog_policy *p = malloc(sizeof *p);
    rc = p ? daemon_policy_load(cfg->witness_policy, p, why, sizeof why) : PROTO_E_NO_MEMORY;
    free(p);
    if (rc) {
      fprintf(stderr, "quotad: %s\n", why);
      return rc;
    }
  }
  if (cfg->tls_listen[0]) {
    SSL_CTX *tls = NULL;
    rc = daemon_tls_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca,
                            cfg->tls_client_cert_required, &tls, why, sizeof why);
    if (rc) {
      fprintf(stderr, "quotad: TLS: %s\n", why);
      return rc;
    }
    daemon_tls_ctx_free(tls);
  }
  printf("quotad: configuration OK\n");
  return 0;
}
