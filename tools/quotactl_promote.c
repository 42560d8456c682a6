/* promote: asks a standby quotad to become the primary (POST /v1/admin/promote, over its Unix
 * socket or signed with an operator key). It refuses unless its tree equals or extends every
 * published checkpoint it can learn (the witnesses' included), and prints how many witnesses answered. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/quotactl.h"

int qctl_cmd_promote(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  if (qopts_has(&o, "help") || o.npos != 0) {
    fprintf(qopts_has(&o, "help") ? stdout : stderr,
            "usage: quotactl [--unix SOCK | --url URL --key OPERATOR] promote\n"
            "Makes the standby at --url/--unix the primary: it stops following, checks that its\n"
            "tree equals or extends the latest published checkpoint it can learn (its high-water\n"
            "file, its known_checkpoint, each witness's latest cosigned checkpoint as a lower\n"
            "bound, etcd), writes a new etcd epoch in one transaction that fails if the epoch or\n"
            "the checkpoint changed since it read them (the old primary's next swap then fails)\n"
            "and accepts writes. Refusals: witness_ahead, inconsistent, read_only,\n"
            "promotion_lost. Fence the old primary first (docs/OPERATIONS.md, failover).\n");
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  static const char *const allowed[] = {NULL};
  if ((rc = qopts_only(&o, "promote", allowed))) return rc;
  bool sign = q->nkeys > 0 || q->read_key_path;
  if ((rc = sign ? qctl_fetch_log(q) : qctl_connect(q))) return rc;
  long status = 0;
  json_t *ans = NULL;
  json_t *body = json_object();
  rc = http_json(q->http, "POST", "/v1/admin/promote", body, sign, &status, &ans);
  json_decref(body);
  if (rc || status != 200) {
    rc = qctl_report_http(q, "promote", rc, status, ans);
    json_decref(ans);
    return rc;
  }
  printf("promoted: primary at tree size %" PRIu64 "\n",
         (uint64_t)json_integer_value(json_object_get(ans, "tree_size")));
  json_t *w = json_object_get(ans, "witnesses");
  long long asked = json_integer_value(json_object_get(w, "asked"));
  long long answered = json_integer_value(json_object_get(w, "answered"));
  if (asked > 0) /* the witnesses' cosigned sizes were a lower bound; an unreachable one bounds nothing */
    printf("witnesses: %lld of %lld answered; the tree holds every checkpoint they cosigned%s\n", answered,
           asked, answered < asked ? " (the others were unreachable: not checked)" : "");
  json_decref(ans);
  return QCTL_EXIT_OK;
}
