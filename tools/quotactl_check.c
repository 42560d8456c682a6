/* check: the offline structural check of a data directory (ledger_check_dir: a child process
 * walks every database, so a damaged page is reported, never a crash of quotactl). */
#include "proto/proto_json.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/ledger.h"
#include "tools/quotactl.h"

static void check_help(FILE *out) {
  fprintf(out,
          "usage: quotactl check DATA_DIR [--sampled] [--quiet] [--seconds-max N]\n"
          "Checks the ledger in DATA_DIR (on this machine; quotad may run beside it: the check\n"
          "reads one committed snapshot) in a separate process, so that a damaged page cannot\n"
          "crash anything: every record of every database decodes, the entries are 0..n-1, every\n"
          "stored Merkle node equals the hash of its children, every stored checkpoint verifies\n"
          "and names the stored root, the invariants hold. --sampled runs quotad's quick check at\n"
          "open instead. Progress goes to stderr (--quiet: none), the summary to stdout (--json).\n"
          "Exit status: 0 sound, 4 damaged, 2 usage, 3 the check could not run.\n");
}

static void on_progress(void *arg, const struct ledger_check_progress *p) {
  (void)arg;
  if (p->total > 0 && p->total != UINT64_MAX)
    fprintf(stderr, "check: %-12s %" PRIu64 " / %" PRIu64 " (%.0f%%)\n", p->db, p->done,
            p->total, 100.0 * (double)p->done / (double)p->total);
  else
    fprintf(stderr, "check: %-12s %" PRIu64 "\n", p->db, p->done);
}

static void print_summary(const struct qctl *q, const char *dir,
                          const struct ledger_check_report *r) {
  if (q->json) {
    json_t *j = json_pack("{s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:s}", "data_dir",
                          dir, "sound", r->result == 0, "full", r->full, "tree_size",
                          (json_int_t)r->tree_size, "pages", (json_int_t)r->pages, "records",
                          (json_int_t)r->records, "nodes", (json_int_t)r->nodes, "checkpoints",
                          (json_int_t)r->checkpoints, "signal", r->signal, "seconds", r->seconds,
                          "problem", r->why);
    char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
    if (s) printf("%s\n", s);
    free(s);
    json_decref(j);
    return;
  }
  printf("ledger in %s: %" PRIu64 " entries, %" PRIu64 " pages\n", dir, r->tree_size, r->pages);
  printf("%s walk: %" PRIu64 " records, %" PRIu64 " Merkle nodes, %" PRIu64
         " checkpoints in %.2f s\n",
         r->full ? "full" : "sampled", r->records, r->nodes, r->checkpoints, r->seconds);
  if (r->result == 0) printf("sound: no damage found\n");
  else printf("DAMAGED: %s\n", r->why);
}

int qctl_cmd_check(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  static const char *const bools[] = {"sampled", "quiet", "help", NULL};
  int rc = qopts_parse(&o, argc, argv, bools);
  if (rc) return rc;
  static const char *const allowed[] = {"sampled", "quiet", "help", "seconds-max", NULL};
  if (qopts_has(&o, "help") || o.npos != 1) {
    check_help(qopts_has(&o, "help") ? stdout : stderr);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "check", allowed))) return rc;
  uint64_t seconds_max = 0;
  const char *sm = qopts_get(&o, "seconds-max");
  if (sm && (rc = qopts_u64(sm, "--seconds-max", 1, 86400 * 7, &seconds_max))) return rc;
  const char *dir = o.pos[0];
  char path[4096];
  struct stat st;
  snprintf(path, sizeof(path), "%s/data.mdb", dir);
  if (stat(path, &st) != 0) {
    fprintf(stderr, "quotactl check: no ledger in %s (%s)\n", dir, strerror(errno));
    return QCTL_EXIT_USAGE;
  }
  struct ledger_check_options opt = {
      .depth = qopts_has(&o, "sampled") ? LEDGER_CHECK_SAMPLED : LEDGER_CHECK_FULL,
      .seconds_max = (unsigned)seconds_max,
      .progress = qopts_has(&o, "quiet") ? NULL : on_progress,
  };
  struct ledger_check_report r;
  rc = ledger_check_dir(dir, &opt, &r);
  if (rc && rc != PROTO_E_CORRUPT) {
    fprintf(stderr, "quotactl check: cannot check %s: %s\n", dir, ledger_err_message(rc));
    return QCTL_EXIT_IO;
  }
  print_summary(q, dir, &r);
  return rc == 0 ? QCTL_EXIT_OK : QCTL_EXIT_VERIFY;
}
