/* quota-audit --policy FILE: the checkpoint's witness cosignatures against a tlog-policy (the
 * quorum), and the operator's clock against the witnesses': no entry may be committed later than
 * a witness cosigned a checkpoint holding it, give or take --clock-skew-s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/quota_audit.h"

static int policy_load(const char *path, struct tlog_policy *p) {
  FILE *f = fopen(path, "re");
  if (!f) return qa_io_error("%s: %s", path, strerror(errno));
  char *text = malloc(TLOG_POLICY_BYTES_MAX + 1);
  size_t n = text ? fread(text, 1, TLOG_POLICY_BYTES_MAX + 1, f) : 0;
  fclose(f);
  struct tlog_policy_error err = {0};
  int rc = !text ? qa_io_error("out of memory")
           : n > TLOG_POLICY_BYTES_MAX ? qa_io_error("%s: larger than a policy", path)
           : tlog_policy_parse(text, n, p, &err) ? qa_io_error("%s:%u: %s", path, err.line, err.message)
           : 0;
  free(text);
  return rc;
}

/* The earliest valid cosignature's time: the checkpoint, so every entry in it, existed then. */
static uint64_t first_cosig_s(const struct tlog_policy *p, const struct tlog_policy_result *res) {
  uint64_t first = UINT64_MAX;
  for (unsigned i = 0; i < p->witnesses_count; i++)
    if (res->witnessed[i] && res->time_s[i] < first) first = res->time_s[i];
  return first;
}

int qa_policy_check(struct qa_run *run) {
  struct tlog_policy *p = calloc(1, sizeof *p);
  struct tlog_policy_result *res = calloc(1, sizeof *res);
  int rc = p && res ? policy_load(run->opts.policy_path, p) : QA_EXIT_USAGE;
  if (rc || !p || !res) {
    if (!p || !res) qa_io_error("out of memory");
    free(p);
    free(res);
    return QA_EXIT_USAGE;
  }
  struct tlog_note note;
  int vrc = tlog_note_parse(run->cp_text, strlen(run->cp_text), &note);
  if (!vrc) vrc = tlog_policy_cosigs(p, &note, res);
  if (vrc) {
    qa_fail(run, UINT64_MAX, vrc, "checkpoint %llu: %u witness cosignatures, the policy's quorum "
            "is not met", (unsigned long long)run->cp.size, res->cosigned);
    rc = QA_EXIT_FAILED;
  }
  uint64_t first_s = rc ? 0 : first_cosig_s(p, res);
  uint64_t last_ms = rc ? 0 : audit_replay_last_time_ms(audit_log_replay(run->log));
  uint64_t bound_ms = first_s > UINT64_MAX / 1000u - run->opts.clock_skew_s ? UINT64_MAX
                      : (first_s + run->opts.clock_skew_s) * 1000u;
  if (!rc && first_s != UINT64_MAX && last_ms > bound_ms) {
    qa_fail(run, run->cp.size - 1, PROTO_E_STALE_TIME, "the last entry's commit time %llu ms is "
            "after the first witness cosignature (%llu s) plus %u s of skew: the registry's clock "
            "is ahead of its witnesses'", (unsigned long long)last_ms, (unsigned long long)first_s,
            run->opts.clock_skew_s);
    rc = QA_EXIT_FAILED;
  }
  if (!rc) {
    snprintf(run->policy_text, sizeof run->policy_text, "%u witness cosignatures meet the quorum; "
             "commit times within %u s of the first (%llu)", res->cosigned, run->opts.clock_skew_s,
             (unsigned long long)first_s);
  }
  free(p);
  free(res);
  return rc;
}
