/* quotactl checkpoint: print the registry's signed checkpoint, or with --verify check it: the
 * log's signature (a key from --log-key, the policy, or the registry's own /v1/log) and, with
 * --policy, the witnesses' cosignatures against the C2SP tlog-policy quorum. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlog/tlog.h"
#include "tools/quotactl.h"

/* Reads a whole file of at most max bytes into a new buffer (NUL-terminated). */
static int read_file(const char *path, size_t max, char **out, size_t *len) {
  FILE *f = fopen(path, "rbe");
  if (!f) {
    fprintf(stderr, "quotactl checkpoint: %s: %s\n", path, strerror(errno));
    return QCTL_EXIT_USAGE;
  }
  char *buf = malloc(max + 2);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  bool err = ferror(f) != 0;
  fclose(f);
  if (!buf || err || n > max) {
    fprintf(stderr, "quotactl checkpoint: %s: %s\n", path, !buf ? "out of memory" : err ? "read error" : "too large");
    free(buf);
    return buf && !err ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

/* The note to check: --file, or GET /v1/checkpoint. */
static int note_get(struct qctl *q, const char *file, char **note, size_t *len) {
  if (file) return read_file(file, TLOG_NOTE_BYTES_MAX, note, len);
  int rc = qctl_connect(q);
  if (rc) return rc;
  struct http_response r;
  rc = http_request(q->http, "GET", "/v1/checkpoint", NULL, NULL, 0, false, &r);
  if (rc || r.status != 200) {
    int ex = qctl_report_http(q, "GET /v1/checkpoint", rc, r.status, NULL);
    http_response_free(&r);
    return ex;
  }
  *note = malloc(r.len + 1);
  if (!*note) {
    http_response_free(&r);
    return QCTL_EXIT_IO;
  }
  memcpy(*note, r.body, r.len);
  (*note)[r.len] = '\0';
  *len = r.len;
  http_response_free(&r);
  return 0;
}

/* The log's signature with one key (name must be the origin, as tlog-policy wants of logs). */
static int verify_log_key(const char *note, size_t len, const char *vkey, struct tlog_checkpoint *cp) {
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  if (tlog_verifier_key_parse(vkey, name, sizeof name, pub) != 0) {
    fprintf(stderr, "quotactl checkpoint: not a checkpoint verifier key: %s\n", vkey);
    return QCTL_EXIT_USAGE;
  }
  int rc = tlog_checkpoint_verify(note, len, name, pub, cp);
  if (rc == 0 && strcmp(cp->origin, name) != 0) rc = PROTO_E_BAD_ORIGIN;
  if (rc != 0) {
    fprintf(stderr, "quotactl checkpoint: the log signature does not verify with %s: %s\n", name,
            proto_err_message(rc));
    return QCTL_EXIT_VERIFY;
  }
  return 0;
}

static int policy_load(const char *path, struct tlog_policy *p) {
  char *text = NULL;
  size_t len = 0;
  int rc = read_file(path, TLOG_POLICY_BYTES_MAX, &text, &len);
  if (rc) return rc;
  struct tlog_policy_error err;
  rc = tlog_policy_parse(text, len, p, &err);
  free(text);
  if (rc != 0) {
    fprintf(stderr, "quotactl checkpoint: %s:%u: %s\n", path, err.line, err.message);
    return QCTL_EXIT_USAGE;
  }
  /* a reader may choose a weaker policy than quotad publishes with; say so */
  if (tlog_policy_check_majority(p, &err) != 0)
    fprintf(stderr, "quotactl checkpoint: warning: %s: %s (quotad requires more than half)\n", path, err.message);
  return 0;
}

/* One line per witness of the policy, then the verdict. */
static int report_cosigs(const struct tlog_policy *p, const struct tlog_policy_result *r, int rc) {
  for (unsigned i = 0; i < p->witnesses_count; i++) {
    const struct tlog_policy_witness *w = &p->witnesses[i];
    if (r->witnessed[i]) {
      time_t t = (time_t)r->time_s[i];
      struct tm tm;
      char when[32];
      strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
      printf("witness %-16s %s cosigned at %s\n", w->name, w->key.name, when);
    } else {
      printf("witness %-16s %s %s\n", w->name, w->key.name, r->bad[i] ? "INVALID cosignature" : "no cosignature");
    }
  }
  if (rc == PROTO_E_NO_QUORUM) {
    fprintf(stderr, "quotactl checkpoint: the witness quorum is not met (%u cosignatures)\n", r->cosigned);
    return QCTL_EXIT_VERIFY;
  }
  printf("quorum met (%u of %u witnesses)\n", r->cosigned, p->witnesses_count);
  return QCTL_EXIT_OK;
}

/* --verify: the log signature, then the policy's quorum when there is a policy. */
int qctl_checkpoint_check(struct qctl *q, const char *note, size_t len, const char *log_key,
                          const char *policy_path, struct tlog_checkpoint *out) {
  struct tlog_policy *p = policy_path ? malloc(sizeof *p) : NULL;
  struct tlog_policy_result r;
  struct tlog_checkpoint cp;
  memset(&r, 0, sizeof r);
  memset(&cp, 0, sizeof cp);
  int rc = 0;
  if (policy_path) rc = p ? policy_load(policy_path, p) : QCTL_EXIT_IO;
  if (!rc && !log_key && !(p && p->logs_count > 0)) {
    /* no key of the reader's own: the registry's word for its key is all there is */
    rc = qctl_fetch_log(q);
    if (!rc) fprintf(stderr, "quotactl checkpoint: note: checking with the key the registry serves (/v1/log); pass --log-key or a policy with a log line to check it independently\n");
    log_key = q->verifier_key;
  }
  if (!rc && log_key) rc = verify_log_key(note, len, log_key, &cp);
  int prc = 0;
  if (!rc && p && !log_key) {
    prc = tlog_policy_verify(p, note, len, &r);
    if (prc == PROTO_E_BAD_SIGNATURE || prc == PROTO_E_BAD_CHECKPOINT) {
      fprintf(stderr, "quotactl checkpoint: no log of the policy signed this checkpoint: %s\n", proto_err_message(prc));
      rc = QCTL_EXIT_VERIFY;
    }
    cp = r.cp;
  } else if (!rc && p) {
    struct tlog_note n;
    prc = tlog_note_parse(note, len, &n);
    if (prc == 0) prc = tlog_policy_cosigs(p, &n, &r);
  }
  if (!rc) {
    char root[64];
    proto_base64_encode(cp.root, sizeof cp.root, root, sizeof root);
    printf("checkpoint %s size %" PRIu64 " root %s: log signature valid\n", cp.origin, cp.size, root);
    if (p) rc = report_cosigs(p, &r, prc);
  }
  free(p);
  if (out) *out = cp;
  return rc;
}

static int verify(struct qctl *q, const char *note, size_t len, const struct qopts *o) {
  return qctl_checkpoint_check(q, note, len, qopts_get(o, "log-key"), qopts_get(o, "policy"), NULL);
}

int qctl_cmd_checkpoint(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qctl_preamble(&o, argc, argv, "checkpoint", NULL);
  if (rc != QCTL_GO_ON) return rc;
  if (o.npos > 0 || (!qopts_has(&o, "verify") && (qopts_get(&o, "policy") || qopts_get(&o, "log-key")))) {
    fprintf(stderr, "usage: quotactl checkpoint [--file FILE] [--verify [--log-key VKEY] [--policy FILE]]\n");
    return QCTL_EXIT_USAGE;
  }
  char *note = NULL;
  size_t len = 0;
  if ((rc = note_get(q, qopts_get(&o, "file"), &note, &len))) return rc;
  if (qopts_has(&o, "verify")) rc = verify(q, note, len, &o);
  else fwrite(note, 1, len, stdout);
  free(note);
  return rc;
}
