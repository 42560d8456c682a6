/* quota-audit --monitor: the public's monitor of a log served as C2SP tlog-tiles. Needs no key:
 * checks the latest checkpoint's signature (and witness quorum with --policy), proves it
 * consistent with the one kept in the state file from hash tiles alone, then keeps the new one.
 * Run from cron or a systemd timer: a fork or a rollback is a non-zero exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/tile_client.h"
#include "tools/quota_audit.h"

struct monitor {
  struct qa_run *run;
  struct tile_client tc;
  char note[TLOG_NOTE_BYTES_MAX + 1];
  long note_len;
  struct tlog_checkpoint cp;
  char old_note[TLOG_NOTE_BYTES_MAX + 1];
  struct tlog_checkpoint old;
  bool have_old;
  unsigned cosigned;
};

static int read_file(const char *path, char *out, size_t cap, long *len, bool *missing) {
  FILE *f = fopen(path, "re");
  if (!f) {
    if (missing && errno == ENOENT) return *missing = true, 0;
    return qa_io_error("%s: %s", path, strerror(errno));
  }
  size_t n = fread(out, 1, cap - 1, f);
  bool more = fgetc(f) != EOF;
  fclose(f);
  if (more) return qa_io_error("%s: larger than %zu bytes", path, cap - 1);
  out[n] = '\0';
  *len = (long)n;
  return 0;
}

/* The witness quorum of --policy over the fetched note. */
static int check_policy(struct monitor *m) {
  static struct tlog_policy policy; /* about 40 KiB */
  static char text[TLOG_POLICY_BYTES_MAX + 1];
  long len = 0;
  if (read_file(m->run->opts.policy_path, text, sizeof text, &len, NULL)) return QA_EXIT_USAGE;
  struct tlog_policy_error err = {0};
  if (tlog_policy_parse(text, (size_t)len, &policy, &err))
    return qa_io_error("%s:%u: %s", m->run->opts.policy_path, err.line, err.message);
  struct tlog_policy_result res;
  int rc = tlog_policy_verify(&policy, m->note, (size_t)m->note_len, &res);
  m->cosigned = res.cosigned;
  if (rc == 0) return 0;
  qa_fail(m->run, UINT64_MAX, rc, "the checkpoint of size %llu %s (%u witness cosignatures verify)",
          (unsigned long long)m->cp.size,
          rc == PROTO_E_NO_QUORUM ? "lacks the policy's witness quorum" : "does not verify under the policy",
          res.cosigned);
  return QA_EXIT_FAILED;
}

/* Consistency of the kept checkpoint with the new one, the proof built from the log's hash tiles:
 * a log that rewrote any of the old entries cannot serve tiles that prove it. */
static int check_consistency(struct monitor *m) {
  struct qa_run *run = m->run;
  if (m->cp.size < m->old.size) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT, "the log shrank from %llu to %llu entries: a rollback or a fork",
            (unsigned long long)m->old.size, (unsigned long long)m->cp.size);
    return QA_EXIT_FAILED;
  }
  if (m->cp.size == m->old.size) {
    if (!memcmp(m->cp.root, m->old.root, PROTO_HASH_BYTES)) return 0;
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT, "two signed checkpoints of size %llu with different roots: a fork",
            (unsigned long long)m->cp.size);
    return QA_EXIT_FAILED;
  }
  static struct tlog_tile_store ts;
  struct tlog_store s;
  tlog_tile_store_init(&ts, &m->tc.fetcher, m->cp.size, &s);
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  int rc = tlog_consistency(&s, m->old.size, m->cp.size, proof, &n);
  if (rc) return qa_io_error("cannot build the consistency proof from tiles: %s", m->tc.error[0] ? m->tc.error : proto_err_name(rc));
  rc = tlog_verify_consistency(m->old.size, m->cp.size, m->old.root, m->cp.root, proof, n);
  if (rc == 0) return 0;
  qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
          "the checkpoint of size %llu is not consistent with the kept one of size %llu: a fork",
          (unsigned long long)m->cp.size, (unsigned long long)m->old.size);
  return QA_EXIT_FAILED;
}

static int load_state(struct monitor *m) {
  bool missing = false;
  long len = 0;
  const char *path = m->run->opts.state_path;
  if (read_file(path, m->old_note, sizeof m->old_note, &len, &missing)) return QA_EXIT_USAGE;
  if (missing) return 0;
  /* the state is a checkpoint this monitor verified; a file that no longer verifies is damage
   * or tampering, not something to overwrite silently */
  if (tlog_checkpoint_verify(m->old_note, (size_t)len, m->run->key_name, m->run->log_pub, &m->old))
    return qa_io_error("%s: not a checkpoint signed by the verifier key (remove it to start over)", path);
  m->have_old = true;
  return 0;
}

static int monitor_check(struct monitor *m) {
  struct qa_run *run = m->run;
  m->note_len = tile_client_checkpoint(&m->tc, m->note, sizeof m->note);
  if (m->note_len < 0) return qa_io_error("cannot fetch the checkpoint: %s", m->tc.error);
  int rc = qa_checkpoint_check(run, m->note, (size_t)m->note_len, &m->cp, "the log's checkpoint");
  if (!rc && run->opts.policy_path) rc = check_policy(m);
  if (!rc) rc = load_state(m);
  if (!rc && m->have_old && strcmp(m->old.origin, m->cp.origin)) {
    qa_fail(run, UINT64_MAX, PROTO_E_BAD_CHECKPOINT, "origin \"%s\" is not the kept \"%s\"", m->cp.origin, m->old.origin);
    rc = QA_EXIT_FAILED;
  }
  if (!rc && m->have_old) rc = check_consistency(m);
  return rc;
}

int qa_monitor_run(struct qa_run *run) {
  static struct monitor m;
  memset(&m, 0, sizeof m);
  m.run = run;
  struct http_client *http = http_client_new(run->opts.monitor_url, NULL);
  if (!http) return qa_io_error("out of memory");
  tile_client_init(&m.tc, http);
  int rc = monitor_check(&m);
  http_client_free(http);
  if (rc == QA_EXIT_FAILED) {
    printf("monitor       FAILED [%s]: %s\n", proto_err_name(run->fail.code), run->fail.text);
    fprintf(stderr, "quota-audit: FAILED [%s]: %s\n", proto_err_name(run->fail.code), run->fail.text);
  }
  if (rc) return rc;
  int err = tile_write_atomic(run->opts.state_path, m.note, (size_t)m.note_len);
  if (err) return qa_io_error("%s: cannot write the state: %s", run->opts.state_path, strerror(-err));
  if (!m.have_old)
    printf("monitor       first run: trusting on first use the checkpoint of size %llu (%s)\n",
           (unsigned long long)m.cp.size, run->opts.state_path);
  else
    printf("monitor       OK: size %llu -> %llu, consistent (%llu tile bytes fetched)\n",
           (unsigned long long)m.old.size, (unsigned long long)m.cp.size,
           (unsigned long long)m.tc.fetched_bytes);
  if (run->opts.policy_path) printf("witnesses     quorum met (%u cosignatures verify)\n", m.cosigned);
  return QA_EXIT_OK;
}
