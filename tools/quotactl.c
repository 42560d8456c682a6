/* quotactl: the command-line tool of the registry's operators, authorities and holders. This file
 * holds main: global options, dispatch to the subcommands, and the overall help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/quotactl.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: quotactl [global options] COMMAND [options]\n"
          "\n"
          "global options (anywhere on the line):\n"
          "  --url URL      the registry (default $QUOTAD_URL or " QCTL_DEFAULT_URL ")\n"
          "  --unix PATH    connect through quotad's Unix socket instead\n"
          "  --key FILE     an Ed25519 key file; repeat it to sign with several keys\n"
          "                 (two-person approval); the first one also signs reads\n"
          "  --read-key FILE  the key that signs reads instead (e.g. an auditor's)\n"
          "  --id-key FILE  the key whose signatures derive the ids of imports, settlements and\n"
          "                 alloc issue (default: the key that signs each transaction)\n"
          "  --cacert FILE  CA certificates for an https:// registry (default: the system's)\n"
          "  --json         machine-readable output (imports: every refused row)\n"
          "  --dry-run      build, check and sign every transaction; submit nothing\n"
          "                 (single transactions print the JSON; imports and alloc issue count)\n"
          "  --ack-file FILE  append each transaction's signed acknowledgement to FILE\n"
          "                 (one JSON line; quota-audit --acks FILE checks them)\n"
          "  --version      print the version\n"
          "environment: QUOTAD_URL (--url), QUOTACTL_KEY (--key; several separated by ':'),\n"
          "  QUOTACTL_READ_KEY (--read-key); a flag wins over its variable\n"
          "\n"
          "keys and registry:\n"
          "  keygen FILE [--name NAME]   new key file (mode 0600); prints public key and hash\n"
          "  init                        genesis of a new registry\n"
          "transactions (flags named like the JSON fields; `quotactl CMD --help`):\n");
  qctl_tx_cmds_help(out);
  fprintf(out,
          "bulk (CSV with a header row; reruns apply nothing twice):\n"
          "  accounts import FILE   emissions import FILE   allocations import FILE\n"
          "  settle import FILE\n"
          "queries:\n"
          "  account REF   balances REF   history REF   keys   instruments   accounts\n"
          "  entries [--start N] [--limit M]   log   compliance YEAR [--csv]\n"
          "  proof (--id HEX | --index N) [--policy FILE] [--receipt FILE] [--from-tiles URL]\n"
          "  verify-receipt FILE [--verifier-key VKEY] [--policy FILE]   (offline)\n"
          "  checkpoint [--file F] [--verify [--log-key VKEY] [--policy FILE]]  (witness quorum)\n"
          "  proof (--id HEX | --index N) [--receipt FILE] [--from-tiles URL]\n"
          "data:\n"
          "  export FILE            the whole ledger in the quotad-export/1 format\n"
          "  backup DIR --data-dir D  consistent hot copy of a running registry\n"
          "  promote                a standby becomes the primary (docs/OPERATIONS.md, failover)\n"
          "  catch-up --data-dir D --from URL|EXPORT   a restored registry up to the latest checkpoint\n"
          "  mirror --from URL --verifier-key K [--policy F] DIR   verified copy of the log's tiles\n"
          "  check DATA_DIR         offline structural check of a data directory\n"
          "  demo-data --seed N --out DIR   synthetic CSVs for scripts/demo.sh\n"
          "  alloc compute|publish|show|issue|carryover ...   allocation (`quotactl alloc --help`)\n"
          "\n"
          "exit codes: 0 ok, 1 refused by the registry, 2 usage or bad input, 3 I/O or server\n"
          "unreachable, 4 a proof or checkpoint does not verify.\n");
}

/* Takes the global options out of argv wherever they are; the rest stays in order. */
static int take_globals(struct qctl *q, int argc, char **argv, int *rest_argc, char **rest) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    const char *names[] = {"--url", "--unix", "--key", "--read-key", "--cacert", "--id-key", "--ack-file"};
    int which = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++) {
      size_t l = strlen(names[k]);
      if (strcmp(a, names[k]) == 0) {
        if (i + 1 >= argc) {
          fprintf(stderr, "quotactl: %s needs a value\n", names[k]);
          return QCTL_EXIT_USAGE;
        }
        which = k;
        val = argv[++i];
      } else if (strncmp(a, names[k], l) == 0 && a[l] == '=') {
        which = k;
        val = a + l + 1;
      }
    }
    if (which == 0) {
      q->url = val;
    } else if (which == 1) {
      q->unix_path = val;
    } else if (which == 2) {
      if (q->nkeys == PROTO_SIGS_MAX) {
        fprintf(stderr, "quotactl: at most %u --key options\n", PROTO_SIGS_MAX);
        return QCTL_EXIT_USAGE;
      }
      q->key_paths[q->nkeys++] = val;
    } else if (which == 3) {
      q->read_key_path = val;
    } else if (which == 4) {
      q->cacert = val;
    } else if (which == 5) {
      q->id_key_path = val;
    } else if (which == 6) {
      q->ack_file = val;
    } else if (strcmp(a, "--json") == 0) {
      q->json = true;
    } else if (strcmp(a, "--dry-run") == 0) {
      q->dry_run = true;
    } else {
      rest[n++] = argv[i];
    }
  }
  *rest_argc = n;
  return 0;
}

/* QUOTACTL_KEY (colon-separated key files) and QUOTACTL_READ_KEY stand in for --key and
 * --read-key when those are not on the command line. The paths stay in a static copy. */
static int keys_from_env(struct qctl *q) {
  static char keys_env[4096];
  const char *rk = getenv("QUOTACTL_READ_KEY");
  if (!q->read_key_path && rk && rk[0]) q->read_key_path = rk;
  const char *k = getenv("QUOTACTL_KEY");
  if (q->nkeys || !k || !k[0]) return 0;
  if (strlen(k) >= sizeof keys_env) {
    fprintf(stderr, "quotactl: QUOTACTL_KEY is longer than %zu bytes\n", sizeof keys_env - 1);
    return QCTL_EXIT_USAGE;
  }
  strcpy(keys_env, k);
  for (char *save = NULL, *p = strtok_r(keys_env, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
    if (q->nkeys == PROTO_SIGS_MAX) {
      fprintf(stderr, "quotactl: QUOTACTL_KEY names more than %u keys\n", PROTO_SIGS_MAX);
      return QCTL_EXIT_USAGE;
    }
    q->key_paths[q->nkeys++] = p;
  }
  return 0;
}

static int dispatch(struct qctl *q, int argc, char **argv) {
  const char *cmd = argv[0];
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return QCTL_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("quotactl %s\n", QUOTAD_VERSION);
    return QCTL_EXIT_OK;
  }
  if (strcmp(cmd, "keygen") == 0) return qctl_cmd_keygen(q, argc - 1, argv + 1);
  if (strcmp(cmd, "init") == 0) return qctl_cmd_init(q, argc - 1, argv + 1);
  if (qctl_is_tx_cmd(cmd) && !(argc > 1 && strcmp(argv[1], "import") == 0)) {
    return qctl_cmd_tx(q, cmd, argc - 1, argv + 1);
  }
  if (argc > 1 && strcmp(argv[1], "import") == 0) return qctl_cmd_import(q, cmd, argc - 2, argv + 2);
  if (strcmp(cmd, "checkpoint") == 0) return qctl_cmd_checkpoint(q, argc - 1, argv + 1);
  if (qctl_is_query_cmd(cmd)) return qctl_cmd_query(q, cmd, argc - 1, argv + 1);
  if (strcmp(cmd, "proof") == 0) return qctl_cmd_proof(q, argc - 1, argv + 1);
  if (strcmp(cmd, "mirror") == 0) return qctl_cmd_mirror(q, argc - 1, argv + 1);
  if (strcmp(cmd, "verify-receipt") == 0) return qctl_cmd_verify_receipt(q, argc - 1, argv + 1);
  if (strcmp(cmd, "compliance") == 0) return qctl_cmd_compliance(q, argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return qctl_cmd_export(q, argc - 1, argv + 1);
  if (strcmp(cmd, "backup") == 0) return qctl_cmd_backup(q, argc - 1, argv + 1);
  if (strcmp(cmd, "promote") == 0) return qctl_cmd_promote(q, argc - 1, argv + 1);
  if (strcmp(cmd, "catch-up") == 0) return qctl_cmd_catchup(q, argc - 1, argv + 1);
  if (strcmp(cmd, "check") == 0) return qctl_cmd_check(q, argc - 1, argv + 1);
  if (strcmp(cmd, "demo-data") == 0) return qctl_cmd_demo_data(q, argc - 1, argv + 1);
  if (strcmp(cmd, "alloc") == 0) return qctl_cmd_alloc(q, argc, argv);
  fprintf(stderr, "quotactl: unknown command '%s' (see quotactl --help)\n", cmd);
  return QCTL_EXIT_USAGE;
}

int main(int argc, char **argv) {
  struct qctl q = {0};
  q.url = getenv("QUOTAD_URL");
  if (!q.url || !*q.url) q.url = QCTL_DEFAULT_URL;
  char **rest = calloc((size_t)argc + 2, sizeof(char *));
  if (!rest) return QCTL_EXIT_IO;
  int rest_argc = 0;
  int rc = take_globals(&q, argc, argv, &rest_argc, rest);
  if (rc == 0) rc = keys_from_env(&q);
  if (rc == 0 && rest_argc == 0) {
    usage(stderr);
    rc = QCTL_EXIT_USAGE;
  }
  if (rc == 0) rc = dispatch(&q, rest_argc, rest);
  for (size_t i = 0; i < q.nkeys; i++) proto_key_free(q.keys[i]);
  proto_key_free(q.read_key);
  proto_key_free(q.id_key);
  http_client_free(q.http);
  free(rest);
  return rc;
}
