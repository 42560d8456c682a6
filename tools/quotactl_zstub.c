/* Commands whose dependencies (ledger, merkle, allocator branches) have not landed yet. */
#include <stdio.h>

#include "tools/quotactl.h"

static int pending(const char *cmd) {
  fprintf(stderr, "quotactl %s: not available in this build yet\n", cmd);
  return QCTL_EXIT_USAGE;
}
int qctl_cmd_backup(struct qctl *q, int argc, char **argv) {
  (void)q; (void)argc; (void)argv;
  return pending("backup");
}
