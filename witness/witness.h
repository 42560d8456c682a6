/* witness: quota-witness, a C2SP tlog-witness. It uses proto and tlog only (never daemon/ or
 * ledger/), so that a province or an audit office can run it apart from the registry.
 *
 * What it promises
 * ----------------
 * For every log it is configured with (an origin and one or more checkpoint verifier keys), the
 * witness keeps one record: the size and root of the latest checkpoint it cosigned, that
 * checkpoint with its cosignature, and the cosignature's time. It cosigns a new checkpoint only
 * when the log's signature verifies and an RFC 6962 consistency proof leads from its record to
 * it; so it never cosigns two checkpoints of one origin that are not consistent with each other.
 * The record is updated in one LMDB write transaction that first compares the old size the client
 * sent with the stored one (the check and the update are atomic, even across processes) and is
 * durable (fsync) before the answer leaves: a witness that crashes after answering still holds
 * what it signed. Cosignature timestamps never go backwards for a log (a clock step back signs
 * with the last time used).
 *
 * Parts
 * -----
 *   config.c   the options (INI via inih, the command line, defaults, --help) and the log list
 *   state.c    the LMDB store: one record per origin, keyed by SHA-256(origin)
 *   handle.c   POST /add-checkpoint and GET /<hex sha256(origin)>/checkpoint as pure request ->
 *              answer functions (what the unit tests and the fuzz target drive)
 *   server.c   the HTTP/1.1 server (libuv, http-parser) with its limits and timeouts
 *   main.c     the program
 *
 * Errors are proto codes (0 or negative). Nothing here is thread-safe: one loop thread owns it.
 */
#ifndef QUOTAD_WITNESS_H
#define QUOTAD_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/proto.h"
#include "tlog/tlog.h"

/* ---------------------------------------------------------------------------------------------
 * Limits (the configurable ones have their defaults and bounds in config.c and docs/WITNESS.md)
 * ------------------------------------------------------------------------------------------- */
#define WITNESS_LOGS_MAX 256u            /* logs one witness follows */
#define WITNESS_LOG_KEYS_MAX 4u          /* verifier keys of one origin (rotation) */
#define WITNESS_PATH_BYTES_MAX 1024u     /* file and directory paths in the config */
#define WITNESS_URL_BYTES_MAX 256u       /* request target */
#define WITNESS_LOG_LINES_BYTES_MAX 4096u /* the log's own signature lines kept with a checkpoint */
/* What a record keeps: the note text, the blank line, the log's lines and the cosignature. */
#define WITNESS_NOTE_BYTES_MAX                                                                    \
  (TLOG_CHECKPOINT_BYTES_MAX + 1u + WITNESS_LOG_LINES_BYTES_MAX + TLOG_COSIG_LINE_BYTES_MAX)
#define WITNESS_ANSWER_BYTES_MAX (WITNESS_NOTE_BYTES_MAX + 256u)

/* ---------------------------------------------------------------------------------------------
 * Configuration (config.c)
 * ------------------------------------------------------------------------------------------- */
struct witness_log {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  unsigned keys_count;
  char key_name[WITNESS_LOG_KEYS_MAX][PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[WITNESS_LOG_KEYS_MAX][PROTO_PUBKEY_BYTES];
};

struct witness_limits {
  uint32_t connections_max;    /* open connections; more are closed at once */
  uint32_t connections_per_peer_max; /* open connections of one peer IP address */
  uint32_t header_bytes_max;   /* request line and headers, bytes */
  uint32_t request_bytes_max;  /* one request body, bytes */
  uint32_t output_bytes_max;   /* unsent answers of one connection before it is not read */
  uint32_t header_timeout_ms;  /* from a request's first byte to the end of its headers */
  uint32_t request_timeout_ms; /* from the end of the headers to the end of the body */
  uint32_t idle_timeout_ms;    /* a kept-alive connection without a request */
  uint64_t map_bytes_max;      /* the LMDB map: the state's size ceiling, bytes */
};

struct witness_config {
  char name[PROTO_ORIGIN_BYTES_MAX + 1];      /* the cosigner name in its signature lines */
  char key_file[WITNESS_PATH_BYTES_MAX];      /* quotad-ed25519-seed; default DATA_DIR/witness.key */
  char data_dir[WITNESS_PATH_BYTES_MAX];      /* the LMDB environment */
  char listen[WITNESS_URL_BYTES_MAX];         /* host:port (IPv6 in brackets) */
  struct witness_limits limits;
  unsigned logs_count;
  struct witness_log logs[WITNESS_LOGS_MAX];  /* about 110 KiB: keep the config off small stacks */
};

/* Defaults, then the INI file named by --config, then the other command-line flags (which
 * override the file). Returns 0; 1 when --help or --version was printed (exit 0); -1 after
 * printing a configuration problem (with the file's line) to stderr; -2 after printing a usage
 * error. *print_vkey is set by --verifier-key. */
int witness_config_load(struct witness_config *cfg, int argc, char **argv, bool *print_vkey);
/* The --help text: every option with its unit, default and INI name. */
void witness_config_usage(FILE *out);
/* Parses one `log = <origin> <checkpoint verifier key>` value into cfg (a second key for an
 * origin is added to its entry). Returns 0 or a sentence in err. */
int witness_config_add_log(struct witness_config *cfg, const char *value, char *err, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * State (state.c): one LMDB record per origin
 * ------------------------------------------------------------------------------------------- */
struct witness_record {
  uint64_t size;                   /* the latest cosigned tree size (0: never cosigned) */
  uint8_t root[PROTO_HASH_BYTES];  /* its root (SHA-256("") when never cosigned) */
  uint64_t time_s;                 /* the time of that cosignature */
  size_t note_len;                 /* 0 when never cosigned */
  char note[WITNESS_NOTE_BYTES_MAX + 1]; /* the cosigned checkpoint, NUL-terminated */
};

struct witness_state;

/* Opens (creating) the LMDB environment in dir. Returns 0 or STORAGE / -errno. */
int witness_state_open(const char *dir, uint64_t map_bytes_max, struct witness_state **out);
void witness_state_close(struct witness_state *s);
/* Reads the record of the origin whose SHA-256 is origin_hash. Returns 0, NOT_FOUND, CORRUPT
 * (a record that does not decode, or whose note does not match its size and root) or STORAGE. */
int witness_state_get(struct witness_state *s, const uint8_t origin_hash[PROTO_HASH_BYTES],
                      struct witness_record *out);

/* The decision of one add-checkpoint, made inside the write transaction. decide() gets the
 * stored record (or the empty one) and fills next; returning non-zero aborts with that code. */
typedef int (*witness_decide_fn)(void *ctx, const struct witness_record *stored,
                                 struct witness_record *next);
/* Runs decide in one write transaction over the origin's record and commits (fsync) what it
 * wrote. Returns decide's code, or 0 once next is durable, or MAP_FULL / STORAGE. */
int witness_state_update(struct witness_state *s, const char *origin, witness_decide_fn decide,
                         void *ctx);

/* ---------------------------------------------------------------------------------------------
 * Requests (handle.c)
 * ------------------------------------------------------------------------------------------- */
struct witness {
  const struct witness_config *cfg;
  struct witness_state *state;
  struct proto_key *key; /* the cosigning key */
  uint32_t key_id;
};

struct witness_answer {
  unsigned status;          /* HTTP status */
  const char *content_type; /* static */
  int code;                 /* 0 or the proto code the status stands for */
  size_t body_len;
  char body[WITNESS_ANSWER_BYTES_MAX];
};

/* Loads the key and opens the state. Returns 0, or a code with the reason printed to stderr. */
int witness_open(struct witness *w, const struct witness_config *cfg);
void witness_close(struct witness *w);

/* POST /add-checkpoint with its body, at time now_s: the C2SP tlog-witness rules in their order:
 * 400 malformed body; 404 unknown origin; 403 no signature by a key of that origin verifies;
 * 400 old size above the checkpoint's; 409 (text/x.tlog.size) old size is not the stored size,
 * or same size and another root; 422 the consistency proof does not verify; 200 with the
 * cosignature line once the new record is durable; 500 when the store fails. */
void witness_add_checkpoint(struct witness *w, const char *body, size_t len, uint64_t now_s,
                            struct witness_answer *a);
/* Any request: routes POST /add-checkpoint, GET /<64 lowercase hex of SHA-256(origin)>/checkpoint
 * (the latest cosigned checkpoint, 404 before the first) and GET /healthz; 404 for other paths,
 * 405 for another method on a known path. */
void witness_handle(struct witness *w, const char *method, const char *path, const char *body,
                    size_t len, uint64_t now_s, struct witness_answer *a);

/* ---------------------------------------------------------------------------------------------
 * Server (server.c)
 * ------------------------------------------------------------------------------------------- */
/* Listens on cfg->listen and serves until SIGTERM or SIGINT. Returns 0 after a clean stop, or a
 * negative code when it cannot listen. Tells systemd READY=1 once listening when NOTIFY_SOCKET
 * is set. */
int witness_serve(struct witness *w);

/* Log lines to stderr ("quota-witness: <level>: ..."), which journald keeps. */
void witness_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* QUOTAD_WITNESS_H */
