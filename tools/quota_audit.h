/* quota-audit's internal interface between its main (quota_audit.c), its two sources of a log
 * (quota_audit_export.c: an export file; quota_audit_api.c: a live registry over HTTP) and the
 * comparison of the registry's reported state with the replay (quota_audit_compare.c). */
#ifndef QUOTAD_TOOLS_QUOTA_AUDIT_H
#define QUOTAD_TOOLS_QUOTA_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "tlog/tlog.h"
#include "audit/audit.h"

/* Exit codes (docs/AUDIT.md). */
#define QA_EXIT_OK 0
#define QA_EXIT_FAILED 1 /* a verification failed */
#define QA_EXIT_USAGE 2  /* usage, I/O, a registry that cannot be reached */

#define QA_CHUNK_LEAVES 2048u
#define QA_API_PAGE_LEAVES 1000u /* GET /v1/entries limit */

struct qa_opts {
  const char *export_path;
  const char *url;
  const char *key_path;          /* signs read requests */
  const char *verifier_key;      /* "name+id+base64" */
  const char *since_path;        /* an older signed checkpoint */
  const char *tx_hex;            /* a transaction whose inclusion to prove */
  const char *save_checkpoint;   /* where to write the verified checkpoint */
  const char *monitor_url;       /* --monitor: a tlog-tiles prefix (".../log") */
  const char *state_path;        /* --state: the monitor's kept checkpoint */
  const char *acks_path;         /* acknowledgements kept by clients (quotactl --ack-file) */
  const char *policy_path;       /* a tlog-policy: the checkpoint's cosignatures meet its quorum */
  unsigned clock_skew_s;         /* commit times may pass the first cosignature by this much */
  unsigned threads;
  bool quiet;
  bool json;                     /* the summary and verdict as one JSON object on stdout */
};

struct qa_run {
  struct qa_opts opts;
  char key_name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t log_pub[PROTO_PUBKEY_BYTES];
  struct proto_key *read_key;
  char cp_text[TLOG_NOTE_BYTES_MAX + 1]; /* the signed note, with any cosignature lines */
  char policy_text[256];           /* what --policy found */
  struct tlog_checkpoint cp;     /* verified */
  bool have_since;
  struct tlog_checkpoint since;  /* verified */
  struct audit_log *log;
  struct audit_failure fail;
  json_t *reported;                /* {"instruments", "balances", "compliance"} or NULL */
  bool state_compared;
  const char *proof_note;          /* what --since-checkpoint / --tx proved */
  char proof_text[512];
  double started_s, last_progress_s;
  uint64_t progress_total;
};

/* Reports a failure found outside the replay (checkpoint, proofs, state) into run->fail. */
void qa_fail(struct qa_run *run, uint64_t index, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The verdict on the older checkpoint (--since): consistent or not, checked by a consistency
 * proof of proof_hashes hashes (proof_hashes >= 0) or by recomputing the older root from the
 * entries (proof_hashes < 0). Returns QA_EXIT_FAILED (with the failure recorded) or 0. */
int qa_since_verdict(struct qa_run *run, bool consistent, long proof_hashes);
/* Prints an I/O or usage problem on stderr. Returns QA_EXIT_USAGE. */
int qa_io_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Verifies the signed note text against the verifier key into *out. 0 or QA_EXIT_FAILED. */
int qa_checkpoint_check(struct qa_run *run, const char *text, size_t len,
                        struct tlog_checkpoint *out, const char *what);
/* Feeds leaves to the log with a progress line on stderr at most once a second. 0 or FAILED. */
/* legs[i]: leaf i's legs blob (a version 2 settle), NULL for none. */
int qa_feed(struct qa_run *run, const uint8_t *const *leaves, const size_t *lens,
            const uint8_t *const *legs, const size_t *legs_lens, size_t n);
/* A base64 legs blob (an export line's "legs", an entries page's "legs_blob") into a new buffer:
 * its length, or -1 when it is not base64 of at most PROTO_LEGS_BYTES_MAX bytes. */
long qa_legs_decode(const char *b64, uint8_t **out);
/* Reads --since-checkpoint's file and verifies its signature into run->since. */
int qa_since_load(struct qa_run *run);

/* The sources. Each returns QA_EXIT_OK, QA_EXIT_FAILED (run->fail says why) or QA_EXIT_USAGE. */
int qa_export_run(struct qa_run *run);
int qa_api_run(struct qa_run *run);
/* --monitor (quota_audit_monitor.c): checkpoint, quorum, consistency with --state from tiles. */
int qa_monitor_run(struct qa_run *run);

/* A line of an --acks file: the acknowledgement with a path of at most 64 hashes. */
#define QA_ACK_LINE_BYTES_MAX 8192u
/* Checks every acknowledgement in --acks against the replayed log; *checked counts them.
 * 0, QA_EXIT_FAILED (run->fail names the first that fails) or QA_EXIT_USAGE. */
int qa_acks_check(struct qa_run *run, unsigned long *checked);

/* Checks --policy: the checkpoint's cosignatures meet the quorum, and the last entry's commit
 * time is not after the first valid cosignature's time plus clock_skew_s. 0, FAILED or USAGE. */
int qa_policy_check(struct qa_run *run);

/* Compares reported state (export form) with the replay. 0 or QA_EXIT_FAILED. */
int qa_compare(struct qa_run *run, const json_t *reported, uint64_t now_ms);

#endif /* QUOTAD_TOOLS_QUOTA_AUDIT_H */
