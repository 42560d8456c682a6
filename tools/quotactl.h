/* quotactl's internal interface: the global options and connection shared by every subcommand,
 * the option parser, transaction building, signing and submission, and the subcommand entries. */
#ifndef QUOTAD_TOOLS_QUOTACTL_H
#define QUOTAD_TOOLS_QUOTACTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "proto/proto_json.h"
#include "tools/common/http_client.h"

/* Exit codes (docs/QUOTACTL.md): the shell sees what kind of failure it was. */
enum {
  QCTL_EXIT_OK = 0,      /* done (a transaction answered ok or exists) */
  QCTL_EXIT_REFUSED = 1, /* the registry refused a transaction or a read */
  QCTL_EXIT_USAGE = 2,   /* bad command line or input file */
  QCTL_EXIT_IO = 3,      /* I/O error, server unreachable or an unexpected answer */
  QCTL_EXIT_VERIFY = 4,  /* a proof or checkpoint does not verify */
};

#define QCTL_DEFAULT_URL "http://127.0.0.1:8420"
#define QCTL_OPTS_MAX 64u
#define QCTL_BATCH_MAX 1000u /* envelopes per POST /v1/tx request */

struct qctl {
  const char *url;
  const char *unix_path;
  const char *cacert; /* --cacert: CA bundle for https:// */
  const char *key_paths[PROTO_SIGS_MAX];
  bool dry_run; /* --dry-run anywhere: build, check and sign, submit nothing */
  struct proto_key *keys[PROTO_SIGS_MAX];
  size_t nkeys;
  const char *read_key_path; /* --read-key: signs reads instead of the first --key */
  struct proto_key *read_key;
  const char *id_key_path; /* --id-key: derives ids instead of each transaction's signer */
  struct proto_key *id_key;
  bool json; /* machine output */
  const char *ack_file; /* --ack-file: each acknowledgement appended as one JSON line */
  struct http_client *http;
  bool have_log;
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t log_public_key[PROTO_PUBKEY_BYTES];
  char verifier_key[256];
  uint64_t tree_size;
};

/* Parsed subcommand options: "--name value", "--name=value", boolean flags from a list, and
 * positional arguments. Repeated options keep every value in order. */
struct qopts {
  size_t n;
  const char *names[QCTL_OPTS_MAX];
  const char *values[QCTL_OPTS_MAX];
  char namebuf[QCTL_OPTS_MAX][64]; /* names given as --name=value */
  size_t npos;
  const char *pos[QCTL_OPTS_MAX];
  const char *dangling; /* the last argument was --NAME with no value: unknown, or missing one */
};

/* Returns 0, or prints the problem and returns QCTL_EXIT_USAGE. bools: NULL-terminated names
 * of flags without a value. Names are compared with '-' and '_' treated alike. */
int qopts_parse(struct qopts *o, int argc, char **argv, const char *const *bools);
/* The last value of an option, or NULL. A boolean flag present gives "". */
const char *qopts_get(const struct qopts *o, const char *name);
bool qopts_has(const struct qopts *o, const char *name);
/* Prints a subcommand's usage: on stdout with exit OK when --help was asked, else on stderr with
 * exit USAGE (the arguments were wrong). Returns that exit code. */
int qopts_usage(const struct qopts *o, const char *usage);
/* Fails (usage) naming the first option not in allowed (NULL-terminated). */
/* After qopts_parse: a trailing --NAME without a value is "needs a value" (qopts_only says
 * "unknown option" first when NAME is not the command's). Returns 0 or QCTL_EXIT_USAGE. */
/* A point in time as milliseconds since the epoch: plain digits (milliseconds), an ISO 8601 date
 * (the end of that day, 23:59:59.999 Beijing time, the market's convention for deadlines; the
 * start of it with start_of_day) or date and time (HH:MM[:SS[.mmm]], then Z or +HH:MM; Beijing
 * time when no zone is given). Returns 0, or -1 when text is none of these. */
int qopts_time_ms(const char *text, bool start_of_day, uint64_t *out);
int qopts_check_dangling(const struct qopts *o, const char *cmd);
int qopts_only(const struct qopts *o, const char *cmd, const char *const *allowed);
#define QCTL_GO_ON (-1) /* qctl_preamble: the command goes on */
/* The preamble of the commands whose row is in quotactl_common.c's table (spec: checkpoint,
 * export, keygen, query): parses argv into o, answers --help (or the wrong number of positional
 * arguments) with the command's usage, and refuses unknown options and a dangling --NAME. name:
 * what messages call the command (NULL: spec). Returns QCTL_GO_ON, or the exit code the command
 * returns at once (the reason printed). */
int qctl_preamble(struct qopts *o, int argc, char **argv, const char *spec, const char *name);
/* Parses an unsigned decimal with bounds; prints a usage error naming what on failure. */
int qopts_u64(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out);

/* Loads the --key files (once). Returns 0 or an exit code with the reason printed. */
int qctl_load_keys(struct qctl *q);
/* Opens the HTTP client (once). Then GET /v1/log for the origin and log key (once). Both return
 * 0 or an exit code with the reason printed. */
int qctl_connect(struct qctl *q);
int qctl_fetch_log(struct qctl *q);

/* Prints a transport or server error for a request and returns the exit code it means. */
int qctl_report_http(struct qctl *q, const char *what, int rc, long status, json_t *answer);
/* GET a JSON answer that needs a 2xx status; on failure prints and returns the exit code. */
int qctl_get(struct qctl *q, const char *path_query, bool sign, json_t **out);
/* qctl_get, signed, of the path printf builds from fmt (at most 255 bytes). */
int qctl_getf(struct qctl *q, json_t **out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Every element of the array field on every page of base (a signed GET of a path ending in
 * "after=", continued from each page's "next"), handed to visit, which answers 0 or an exit code.
 * A 404 page when missing_is_empty counts as an empty last page. */
typedef int (*qctl_row_fn)(struct qctl *q, json_t *row, void *ctx);
int qctl_each_row(struct qctl *q, const char *base, const char *field, bool missing_is_empty,
                  qctl_row_fn visit, void *ctx);
/* GET /v1/checkpoint (public): 0 and the note in *r (the caller frees it), or the exit code of
 * the failure, already reported (and *r freed). */
int qctl_checkpoint_get(struct qctl *q, struct http_response *r);

/* Resolves an account reference: a decimal id, a USCC or "CN-<code>" (asks the registry).
 * Returns 0 and *id, or an exit code with the reason printed. Caches answers. */
int qctl_resolve_account(struct qctl *q, const char *ref, uint64_t *id);

/* Transaction ids: time-ordered (48-bit ms, 80 random bits) or from hex. */
int qctl_id_time_ordered(uint8_t id[PROTO_ID_BYTES]);
int qctl_id_from_hex(const char *hex, uint8_t id[PROTO_ID_BYTES]);
/* The key that derives ids for a transaction signed by signer: --id-key when given (loaded
 * once), else signer, else the first --key. Returns 0 and *out (owned by q or the caller of
 * signer), or an exit code with the reason printed. */
int qctl_id_key(struct qctl *q, const struct proto_key *signer, const struct proto_key **out);
/* Derived ids for the tools that must be idempotent on rerun (imports, settlement, alloc issue):
 * proto_id_derive by qctl_id_key(q, signer) over the registry's origin, type and the fields
 * that identify the act (never amounts). Fetches the log for the origin. Returns 0 or an exit
 * code with the reason printed. */
int qctl_id_derive(struct qctl *q, const struct proto_key *signer, unsigned type,
                   const char *const *fields, size_t n, uint8_t id[PROTO_ID_BYTES]);

/* Encodes tx locally, signs it with every loaded key for the registry's origin, and returns the
 * envelope JSON in *out. Returns 0 or an exit code with the reason printed. */
int qctl_sign_tx(struct qctl *q, const struct proto_tx *tx, json_t **out);
/* The same with the given keys instead of --key (bulk rows that name their own signers). */
int qctl_sign_tx_with(struct qctl *q, const struct proto_tx *tx,
                      const struct proto_key *const *keys, size_t nkeys, json_t **out);

/* Makes a settle whose legs are set a version 2 one (proto/FORMAT.md "Settlement legs"): a salt
 * per leg, legs_count and legs_root; the legs stay attached and qctl_sign_tx puts them beside the
 * envelope. Salts come from the CSPRNG, or, with salt_key (bulk imports, whose reruns must give
 * the same body for the same id), from that key's deterministic signature over the registry's
 * origin and the id: as unpredictable to anyone without the key. Returns 0 or an exit code. */
int qctl_settle_seal(struct qctl *q, struct proto_tx *tx, const struct proto_key *salt_key);

/* One submission result, decoded from the answer. */
struct qctl_result {
  int code;           /* 0 ok, 1 exists, or the refusal's proto code */
  uint64_t index;
  uint64_t available; /* insufficient_balance only */
  uint64_t withheld;  /* allocate only */
  bool has_available;
  bool has_ack;       /* accepted: the batch's signed acknowledgement (docs/API.md) */
  uint64_t ack_first, ack_count;
  char ack_signature[96];
  int leg;            /* a settle refused by one leg: its index; else -1 */
  char code_name[64];
  char message[256];
};
#define QCTL_RESULT_EXISTS 1

/* POSTs envelopes (an array, at most QCTL_BATCH_MAX) and decodes one result per envelope into
 * res[0..n). Returns 0 or an exit code (transport, malformed answer) with the reason printed. */
int qctl_submit(struct qctl *q, json_t *envelopes, struct qctl_result *res, size_t n,
                uint64_t *tree_size);
/* Signs, submits and prints the result of one transaction; returns the exit code. */
int qctl_submit_one(struct qctl *q, const struct proto_tx *tx);

/* Batched submission with a progress line and a summary (ok, exists, refused by code): what
 * the bulk imports and `alloc issue` share. label names the source in messages. */
struct qctl_batch;
struct qctl_batch *qctl_batch_open(struct qctl *q, const char *label);
/* A key file loaded once per batch (cached by path); owned by the batch. */
int qctl_batch_key(struct qctl_batch *b, const char *path, struct proto_key **out);
/* Signs tx with keys (or every --key when nkeys is 0) and queues it; line is reported with a
 * refusal. Returns 0 or an exit code. */
int qctl_batch_queue(struct qctl_batch *b, const struct proto_tx *tx,
                     const struct proto_key *const *keys, size_t nkeys, unsigned long line);
/* Submits what is queued (unless rc is already an error), prints the summary, frees b, and
 * returns rc, or REFUSED when a transaction was refused. */
int qctl_batch_close(struct qctl_batch *b, int rc);

/* Subcommands. Each takes the words after its name and returns an exit code. */
int qctl_cmd_keygen(struct qctl *q, int argc, char **argv);
/* quotactl alloc publish (an allocation table: header, chunks, closing entry) and show (a table
 * from GET /v1/allocation-tables); quotactl_alloc_table.c. */
int qctl_alloc_publish(struct qctl *q, const struct qopts *o);
int qctl_alloc_show(struct qctl *q, const struct qopts *o);
int qctl_cmd_init(struct qctl *q, int argc, char **argv);
int qctl_cmd_tx(struct qctl *q, const char *cmd, int argc, char **argv);
bool qctl_is_tx_cmd(const char *cmd);
void qctl_tx_cmds_help(FILE *out);
int qctl_cmd_import(struct qctl *q, const char *what, int argc, char **argv);
int qctl_cmd_query(struct qctl *q, const char *cmd, int argc, char **argv);
bool qctl_is_query_cmd(const char *cmd);
int qctl_cmd_proof(struct qctl *q, int argc, char **argv);
/* mirror --from URL --verifier-key K [--policy F] DIR (tools/quotactl_mirror.c) */
int qctl_cmd_mirror(struct qctl *q, int argc, char **argv);
/* checkpoint [--file F] [--verify [--log-key VKEY] [--policy FILE]] (tools/quotactl_checkpoint.c) */
int qctl_cmd_checkpoint(struct qctl *q, int argc, char **argv);
/* A checkpoint note's log signature (log_key, else the policy's log lines, else the key the
 * registry serves) and, with policy_path, its witness quorum; prints what it found. *out (may be
 * NULL) gets the checkpoint. QCTL_EXIT_OK, _VERIFY, _USAGE or _IO. */
struct tlog_checkpoint;
int qctl_checkpoint_check(struct qctl *q, const char *note, size_t len, const char *log_key,
                          const char *policy_path, struct tlog_checkpoint *out);
/* quotactl verify-receipt FILE: a C2SP tlog-proof receipt, offline (quotactl_receipt.c). */
int qctl_cmd_verify_receipt(struct qctl *q, int argc, char **argv);
int qctl_cmd_compliance(struct qctl *q, int argc, char **argv);
int qctl_cmd_export(struct qctl *q, int argc, char **argv);
int qctl_cmd_backup(struct qctl *q, int argc, char **argv);
int qctl_cmd_promote(struct qctl *q, int argc, char **argv);
int qctl_cmd_catchup(struct qctl *q, int argc, char **argv);
int qctl_cmd_check(struct qctl *q, int argc, char **argv);
int qctl_cmd_demo_data(struct qctl *q, int argc, char **argv);
/* `alloc`: argv[0] is "alloc"; compute goes to the allocator (tools/quotactl_alloc.c). */
int qctl_cmd_alloc(struct qctl *q, int argc, char **argv);

#endif /* QUOTAD_TOOLS_QUOTACTL_H */
