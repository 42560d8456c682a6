/* quota-audit: the independent verifier of a quotad registry. Replays the log (from a live
 * registry or an export file) given only the log's verifier key, and checks every hash,
 * signature and rule, then the registry's reported state. See docs/AUDIT.md. */
#include "proto/proto_json.h"
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/quota_audit.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int qa_since_verdict(struct qa_run *run, bool consistent, long proof_hashes) {
  unsigned long long older = run->since.size, newer = run->cp.size;
  bool by_proof = proof_hashes >= 0;
  if (!consistent) {
    if (by_proof)
      qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
              "the registry's consistency proof from size %llu to %llu does not verify", older, newer);
    else
      qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
              "the older checkpoint (size %llu) is not a prefix of this log (size %llu)", older, newer);
    return QA_EXIT_FAILED;
  }
  run->proof_note = run->proof_text;
  int n = snprintf(run->proof_text, sizeof(run->proof_text),
                   "checkpoint %llu is consistent with the older %llu (", newer, older);
  size_t at = n > 0 && (size_t)n < sizeof(run->proof_text) ? (size_t)n : 0;
  if (by_proof)
    snprintf(run->proof_text + at, sizeof(run->proof_text) - at, "RFC 9162 proof, %ld hashes)", proof_hashes);
  else
    snprintf(run->proof_text + at, sizeof(run->proof_text) - at, "root recomputed)");
  return 0;
}

void qa_fail(struct qa_run *run, uint64_t index, int code, const char *fmt, ...) {
  run->fail.index = index;
  run->fail.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->fail.text, sizeof(run->fail.text), fmt, ap);
  va_end(ap);
}

int qa_io_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("quota-audit: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return QA_EXIT_USAGE;
}

int qa_checkpoint_check(struct qa_run *run, const char *text, size_t len,
                        struct tlog_checkpoint *out, const char *what) {
  int rc = tlog_checkpoint_verify(text, len, run->key_name, run->log_pub, out);
  if (rc == 0) return 0;
  qa_fail(run, UINT64_MAX, rc, "%s: %s (%s)", what,
          rc == PROTO_E_BAD_SIGNATURE ? "not signed by the verifier key" : "malformed signed note",
          proto_err_name(rc));
  return QA_EXIT_FAILED;
}

long qa_legs_decode(const char *b64, uint8_t **out) {
  *out = malloc(PROTO_LEGS_BYTES_MAX + 3);
  long n = *out ? proto_base64_decode(b64, strlen(b64), *out, PROTO_LEGS_BYTES_MAX + 3) : -1;
  if (n < 0 || n > (long)PROTO_LEGS_BYTES_MAX) {
    free(*out);
    *out = NULL;
    return -1;
  }
  return n;
}

int qa_feed(struct qa_run *run, const uint8_t *const *leaves, const size_t *lens,
            const uint8_t *const *legs, const size_t *legs_lens, size_t n) {
  int rc = audit_log_feed_legs(run->log, leaves, lens, legs, legs_lens, n, &run->fail);
  double t = now_s();
  if (!run->opts.quiet && t - run->last_progress_s >= 1.0) {
    uint64_t done = audit_log_size(run->log);
    fprintf(stderr, "quota-audit: %llu / %llu entries verified, %.0f entries/s\n",
            (unsigned long long)done, (unsigned long long)run->progress_total,
            (double)done / (t - run->started_s));
    run->last_progress_s = t;
  }
  return rc ? QA_EXIT_FAILED : 0;
}

int qa_since_load(struct qa_run *run) {
  FILE *f = fopen(run->opts.since_path, "re");
  if (!f) return qa_io_error("%s: %s", run->opts.since_path, strerror(errno));
  /* A kept checkpoint may carry witness cosignature lines (--save-checkpoint keeps them). */
  static char text[TLOG_NOTE_BYTES_MAX + 1];
  size_t len = fread(text, 1, TLOG_NOTE_BYTES_MAX, f);
  bool more = fgetc(f) != EOF;
  fclose(f);
  if (more) return qa_io_error("%s: larger than a checkpoint", run->opts.since_path);
  text[len] = '\0';
  if (qa_checkpoint_check(run, text, len, &run->since, "the older checkpoint")) return QA_EXIT_FAILED;
  run->have_since = true;
  return 0;
}

static void usage(FILE *out) {
  fputs("usage: quota-audit (--export FILE | --url URL [--key FILE] | --monitor URL --state FILE)\n"
        "                   (--verifier-key NAME+ID+KEY | --verifier-key-file FILE)\n"
        "                   [--since-checkpoint FILE] [--tx ID] [--save-checkpoint FILE]\n"
        "                   [--policy FILE [--clock-skew-s N]] [--acks FILE]\n"
        "                   [--threads N] [--quiet]\n"
        "Replays a registry's log from its entries alone and checks every hash, signature and\n"
        "rule against the log's verifier key.\n"
        "\n"
        "  --export FILE             read the log from a quotactl export (offline)\n"
        "  --url URL                 read the log from a running quotad\n"
        "  --key FILE                the key that signs the reads (an auditor's or operator's)\n"
        "  --verifier-key KEY        the log's verifier key, NAME+ID+KEY (signed-note format)\n"
        "  --verifier-key-file FILE  the same, from a file\n"
        "  --since-checkpoint FILE   a checkpoint kept earlier: the log must extend it\n"
        "  --save-checkpoint FILE    keep the checkpoint verified now, for the next run\n"
        "  --tx ID                   also prove that this transaction is in the log\n"
        "  --monitor URL             monitor a log served as tiles (URL: its prefix, e.g.\n"
        "                            https://registry.example/log); needs no key\n"
        "  --state FILE              the monitor's kept checkpoint (the first run trusts on first use)\n"
        "  --policy FILE             a tlog-policy: the checkpoint's witness cosignatures must\n"
        "                            meet its quorum, and no entry be committed after the first\n"
        "                            cosignature's time plus --clock-skew-s (default 300)\n"
        "  --acks FILE               acknowledgements kept by clients (quotactl --ack-file):\n"
        "                            each must be signed and its entry in the log unchanged\n"
        "  --threads N               signature-checking threads (1-16, default 2)\n"
        "  --quiet                   only the verdict\n"
        "  --json                    the summary and verdict as one JSON object\n"
        "  --help, --version\n"
        "\n"
        "Exit status: 0 everything holds, 1 a verification failed, 2 usage or I/O error.\n",
        out);
}

static int read_small_file(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "re");
  if (!f) return qa_io_error("%s: %s", path, strerror(errno));
  size_t len = fread(out, 1, cap - 1, f);
  fclose(f);
  out[len] = '\0';
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

static int parse_args(int argc, char **argv, struct qa_opts *o, char *vk_buf, size_t vk_cap) {
  static const struct option longs[] = {
      {"export", required_argument, 0, 'e'},       {"url", required_argument, 0, 'u'},
      {"key", required_argument, 0, 'k'},          {"verifier-key", required_argument, 0, 'v'},
      {"verifier-key-file", required_argument, 0, 'V'},
      {"since-checkpoint", required_argument, 0, 's'}, {"tx", required_argument, 0, 't'},
      {"save-checkpoint", required_argument, 0, 'S'}, {"threads", required_argument, 0, 'j'},
      {"quiet", no_argument, 0, 'q'},              {"help", no_argument, 0, 'h'},
      {"version", no_argument, 0, 'Z'},            {"json", no_argument, 0, 'J'},
      {"monitor", required_argument, 0, 'M'},      {"state", required_argument, 0, 'T'},
      {"policy", required_argument, 0, 'P'},       {"acks", required_argument, 0, 'A'},
      {"clock-skew-s", required_argument, 0, 'K'},
      {0, 0, 0, 0}};
  memset(o, 0, sizeof(*o));
  o->threads = 2;
  o->clock_skew_s = 300;
  int c;
  while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    switch (c) {
    case 'e': o->export_path = optarg; break;
    case 'u': o->url = optarg; break;
    case 'k': o->key_path = optarg; break;
    case 'v': o->verifier_key = optarg; break;
    case 'V':
      if (read_small_file(optarg, vk_buf, vk_cap)) return QA_EXIT_USAGE;
      o->verifier_key = vk_buf;
      break;
    case 's': o->since_path = optarg; break;
    case 't': o->tx_hex = optarg; break;
    case 'S': o->save_checkpoint = optarg; break;
    case 'j': o->threads = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'q': o->quiet = true; break;
    case 'M': o->monitor_url = optarg; break;
    case 'T': o->state_path = optarg; break;
    case 'J': o->json = true; break;
    case 'A': o->acks_path = optarg; break;
    case 'P': o->policy_path = optarg; break;
    case 'K': o->clock_skew_s = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'h': usage(stdout); exit(QA_EXIT_OK);
    case 'Z': printf("quota-audit %s\n", QUOTAD_VERSION); exit(QA_EXIT_OK);
    default: usage(stderr); return QA_EXIT_USAGE;
    }
  }
  int sources = !!o->export_path + !!o->url + !!o->monitor_url;
  if (optind != argc || !o->verifier_key || sources != 1 || o->threads < 1 ||
      o->threads > AUDIT_THREADS_MAX || !o->monitor_url != !o->state_path) {
    usage(stderr);
    return QA_EXIT_USAGE;
  }
  return 0;
}

/* --json: the same summary as one object, for monitoring and scripts. */
static void summary_json(struct qa_run *run, int verdict) {
  struct audit_replay *r = audit_log_replay(run->log);
  json_t *instruments = json_array();
  for (size_t i = 0; i < audit_replay_instruments_count(r); i++) {
    struct audit_instrument in;
    audit_replay_instrument_at(r, i, &in);
    json_array_append_new(instruments, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "code", in.code,
        "cap", (json_int_t)in.cap, "issued", (json_int_t)in.issued, "surrendered",
        (json_int_t)in.surrendered, "cancelled", (json_int_t)in.cancelled, "carried_over",
        (json_int_t)in.carried_over));
  }
  json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:I,s:I,s:b}",
      "verdict", verdict == QA_EXIT_OK ? "ok" : "failed",
      "log", audit_replay_origin(r)[0] ? audit_replay_origin(r) : run->key_name,
      "entries", (json_int_t)audit_log_size(run->log), "checkpoint_size", (json_int_t)run->cp.size,
      "accounts", (json_int_t)audit_replay_accounts_count(r), "instruments", instruments,
      "holdings", (json_int_t)audit_replay_balances_count(r),
      "compliance_records", (json_int_t)audit_replay_compliance_count(r),
      "reported_state_compared", run->state_compared);
  if (verdict != QA_EXIT_OK) {
    json_object_set_new(o, "failure", json_pack("{s:s,s:s}", "code", proto_err_name(run->fail.code),
                                                 "text", run->fail.text));
    if (run->fail.index != UINT64_MAX)
      json_object_set_new(json_object_get(o, "failure"), "index", json_integer((json_int_t)run->fail.index));
  }
  if (run->proof_note) json_object_set_new(o, "proof", json_string(run->proof_text));
  json_dumpf(o, stdout, JSON_COMPACT);
  putchar('\n');
  json_decref(o);
}

static void summary(struct qa_run *run, int verdict) {
  if (run->opts.json) {
    summary_json(run, verdict);
    return;
  }
  struct audit_replay *r = audit_log_replay(run->log);
  double secs = now_s() - run->started_s;
  uint64_t n = audit_log_size(run->log);
  printf("log           %s\n", audit_replay_origin(r)[0] ? audit_replay_origin(r) : run->key_name);
  printf("entries       %llu verified (checkpoint size %llu)\n", (unsigned long long)n,
         (unsigned long long)run->cp.size);
  printf("accounts      %zu\n", audit_replay_accounts_count(r));
  printf("instruments   %zu\n", audit_replay_instruments_count(r));
  for (size_t i = 0; i < audit_replay_instruments_count(r); i++) {
    struct audit_instrument in;
    audit_replay_instrument_at(r, i, &in);
    printf("  %-16s cap %llu issued %llu surrendered %llu cancelled %llu carried_over %llu\n",
           in.code, (unsigned long long)in.cap, (unsigned long long)in.issued,
           (unsigned long long)in.surrendered, (unsigned long long)in.cancelled,
           (unsigned long long)in.carried_over);
  }
  printf("holdings      %zu account-instrument rows\n", audit_replay_balances_count(r));
  printf("compliance    %zu enterprise-year records\n", audit_replay_compliance_count(r));
  if (run->proof_note) printf("proof         %s\n", run->proof_text);
  if (run->policy_text[0]) printf("witnesses     %s\n", run->policy_text);
  printf("state         %s\n", run->state_compared ? "reported state matches the replay"
                                                   : "no reported state to compare");
  printf("rate          %.0f entries/s (%.2f s, %u signature threads)\n",
         secs > 0 ? (double)n / secs : 0.0, secs, run->opts.threads);
  if (verdict == QA_EXIT_OK) printf("verdict       OK: every check holds\n");
  else printf("verdict       FAILED [%s]: %s\n", proto_err_name(run->fail.code), run->fail.text);
}

/* Every entry that failed its rules (the replay went on past each), one line each on stderr with
 * its rule's code; any of them fails the run. The verdict names the first. */
static int failing_entries(struct qa_run *run, int rc) {
  const struct audit_replay *r = audit_log_replay(run->log);
  uint64_t n = audit_replay_failures_count(r);
  struct audit_failure f;
  for (size_t i = 0; audit_replay_failure_at(r, i, &f); i++)
    fprintf(stderr, "quota-audit: failing entry %llu [%s]: %s\n", (unsigned long long)f.index,
            proto_err_name(f.code), f.text);
  if (n > AUDIT_FAILURES_KEPT_MAX)
    fprintf(stderr, "quota-audit: ... and %llu more failing entries\n",
            (unsigned long long)(n - AUDIT_FAILURES_KEPT_MAX));
  if (n == 0) return rc;
  if (rc == QA_EXIT_OK && audit_replay_failure_at(r, 0, &f)) run->fail = f;
  if (rc == QA_EXIT_OK) {
    size_t len = strlen(run->fail.text);
    snprintf(run->fail.text + len, sizeof(run->fail.text) - len, " (%llu failing entries in all)",
             (unsigned long long)n);
  }
  return QA_EXIT_FAILED;
}

/* --policy (the checkpoint's cosignatures meet the quorum) and --acks (every acknowledgement kept
 * by a client names an entry of the log as it is), once the log itself verified. */
static int witness_checks(struct qa_run *run) {
  int rc = QA_EXIT_OK;
  if (run->opts.policy_path) rc = qa_policy_check(run);
  if (rc == QA_EXIT_OK && run->opts.acks_path) {
    unsigned long n = 0;
    rc = qa_acks_check(run, &n);
    if (rc == QA_EXIT_OK) {
      snprintf(run->proof_text, sizeof(run->proof_text), "%lu acknowledgements hold", n);
      run->proof_note = run->proof_text;
    }
  }
  return rc;
}

int main(int argc, char **argv) {
  static struct qa_run run;
  static char vk_buf[TLOG_VERIFIER_KEY_BYTES_MAX + 2];
  int rc = parse_args(argc, argv, &run.opts, vk_buf, sizeof(vk_buf));
  if (rc) return rc;
  if (tlog_verifier_key_parse(run.opts.verifier_key, run.key_name, sizeof(run.key_name),
                                run.log_pub) != 0)
    return qa_io_error("not a verifier key: %s", run.opts.verifier_key);
  if (run.opts.monitor_url) return qa_monitor_run(&run);
  if (run.opts.key_path && (rc = proto_key_load(run.opts.key_path, &run.read_key)) != 0)
    return qa_io_error("%s: %s", run.opts.key_path, proto_err_message(rc));
  run.log = audit_log_new(run.log_pub, run.opts.threads);
  if (!run.log) return qa_io_error("out of memory");
  audit_replay_keep_going(audit_log_replay(run.log), true);
  run.started_s = run.last_progress_s = now_s();
  rc = run.opts.since_path ? qa_since_load(&run) : 0;
  if (!rc) rc = run.opts.export_path ? qa_export_run(&run) : qa_api_run(&run);
  if (rc != QA_EXIT_USAGE) rc = failing_entries(&run, rc);
  if (rc == QA_EXIT_OK) rc = witness_checks(&run);
  if (rc == QA_EXIT_OK && run.opts.save_checkpoint) {
    FILE *f = fopen(run.opts.save_checkpoint, "we");
    if (!f || fputs(run.cp_text, f) == EOF || fclose(f) != 0)
      rc = qa_io_error("%s: cannot write the checkpoint", run.opts.save_checkpoint);
  }
  if (rc != QA_EXIT_USAGE) summary(&run, rc);
  if (rc == QA_EXIT_FAILED)
    fprintf(stderr, "quota-audit: FAILED [%s]: %s\n", proto_err_name(run.fail.code), run.fail.text);
  json_decref(run.reported);
  audit_log_free(run.log);
  proto_key_free(run.read_key);
  return rc;
}
