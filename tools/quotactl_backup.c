/* backup: a consistent copy of a registry's data directory while quotad keeps running. LMDB lets
 * a read-only reader take a snapshot beside the writer, so this opens the ledger read-only and
 * copies that snapshot (compacted); then it reopens the copy and checks it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/ledger.h"
#include "tools/quotactl.h"

static void backup_help(FILE *out) {
  fprintf(out,
          "usage: quotactl backup DIR --data-dir DATA\n"
          "Copies the ledger in DATA (quotad's data directory, on this machine) to DIR, a new or\n"
          "empty directory, while quotad runs: LMDB's consistent hot copy of the last committed\n"
          "batch. The copy is then opened and its invariants and Merkle tree checked. The log key\n"
          "is not copied: keep it apart (it is a secret).\n"
          "Restore: stop quotad; move DATA aside; mkdir DATA and copy DIR/data.mdb into it;\n"
          "start quotad with the same log key; check it with quota-audit (docs/QUOTACTL.md).\n");
}

static int open_ro(const char *dir, struct ledger **l) {
  struct ledger_config cfg = {.dir = dir, .read_only = true};
  int rc = ledger_open(&cfg, l);
  if (rc) {
    fprintf(stderr, "quotactl backup: cannot open the ledger in %s read-only: %s\n", dir,
            ledger_err_message(rc));
  }
  return rc;
}

/* Opens the copy and checks it: invariants, tree against entries. */
static int check_copy(const char *dir) {
  struct ledger *l = NULL;
  if (open_ro(dir, &l)) return QCTL_EXIT_IO;
  char why[512] = "";
  int rc = ledger_check_invariants(l, why, sizeof(why));
  uint64_t size = ledger_tree_size(l);
  uint8_t root[PROTO_HASH_BYTES];
  char root_b64[64] = "";
  if (!rc && ledger_root(l, size, root) == 0) {
    proto_base64_encode(root, sizeof(root), root_b64, sizeof(root_b64));
  }
  ledger_close(l);
  if (rc) {
    fprintf(stderr, "quotactl backup: the copy in %s does not check: %s\n", dir, why);
    return QCTL_EXIT_VERIFY;
  }
  printf("backup in %s: %" PRIu64 " entries, root %s, invariants hold\n", dir, size, root_b64);
  return QCTL_EXIT_OK;
}

int qctl_cmd_backup(struct qctl *q, int argc, char **argv) {
  (void)q;
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"data-dir", NULL};
  if (qopts_has(&o, "help") || o.npos != 1 || !qopts_has(&o, "data-dir")) {
    backup_help(qopts_has(&o, "help") ? stdout : stderr);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "backup", allowed))) return rc;
  const char *dest = o.pos[0], *data = qopts_get(&o, "data-dir");
  char probe[4096];
  snprintf(probe, sizeof(probe), "%s/data.mdb", dest);
  struct stat st;
  if (stat(probe, &st) == 0) {
    fprintf(stderr, "quotactl backup: %s already holds a ledger; choose a new directory\n", dest);
    return QCTL_EXIT_USAGE;
  }
  /* The destination's parent must exist (the copy makes DIR itself): say so, not blame DATA. */
  char parent[4096];
  snprintf(parent, sizeof(parent), "%s", dest);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) *slash = '\0';
  else snprintf(parent, sizeof(parent), "%s", slash ? "/" : ".");
  if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "quotactl backup: the backup's parent directory %s does not exist (%s); "
            "create it first\n", parent, strerror(errno ? errno : ENOTDIR));
    return QCTL_EXIT_IO;
  }
  snprintf(probe, sizeof(probe), "%s/data.mdb", data);
  if (stat(probe, &st) != 0) {
    fprintf(stderr, "quotactl backup: no ledger in %s (%s)\n", data, strerror(errno));
    return QCTL_EXIT_USAGE;
  }
  struct ledger *l = NULL;
  if (open_ro(data, &l)) return QCTL_EXIT_IO;
  uint64_t size = ledger_tree_size(l);
  rc = ledger_backup(l, dest);
  ledger_close(l);
  if (rc) {
    fprintf(stderr, "quotactl backup: copying %s to %s failed: %s\n", data, dest,
            proto_err_message(rc));
    return QCTL_EXIT_IO;
  }
  snprintf(probe, sizeof(probe), "%s/data.mdb", dest);
  if (chmod(probe, 0600) != 0) perror(probe); /* registry data: readable by its owner only */
  fprintf(stderr, "copied the ledger of %" PRIu64 " entries (or more, if a batch committed "
          "meanwhile)\n", size);
  return check_copy(dest);
}
