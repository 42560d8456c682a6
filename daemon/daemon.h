/* daemon: quotad's internal interfaces (config, logging, HTTP, TLS, read authorization, metrics,
 * connections, the write batcher). Only daemon/ includes this header, and only daemon/ uses libuv.
 *
 * Threading: everything here runs on the libuv loop thread, except the ledger_apply call that
 * the writer thread makes (writer.c) and the log functions, which are safe from any thread.
 * Error codes are proto's table (proto/proto.h); 0 is success.
 */
#ifndef QUOTAD_DAEMON_H
#define QUOTAD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

/* An assertion that stays on whatever NDEBUG says: a broken invariant of the daemon stops it
 * with the condition, file and line in the log rather than running on in a bad state. */
#define DAEMON_ASSERT(cond) ((cond) ? (void)0 : daemon__assert_fail(#cond, __FILE__, __LINE__))
_Noreturn void daemon__assert_fail(const char *cond, const char *file, int line);

/* ---------------------------------------------------------------------------------------------
 * Configuration (config.c): every limit lives here, named with its unit.
 * ------------------------------------------------------------------------------------------- */
#define DAEMON_PATH_BYTES_MAX 4096u

struct daemon_limits {
  uint32_t connections_max;    /* open client connections; past it new ones are refused */
  uint32_t header_bytes_max;   /* request line + headers of one request */
  uint64_t request_bytes_max;  /* body of one request */
  uint32_t tx_per_request_max; /* envelopes in one POST /v1/tx */
  uint32_t idle_timeout_ms;    /* a connection with nothing to do is closed after this */
  uint32_t request_timeout_ms; /* a request must arrive whole within this (slow senders) */
  uint32_t batch_entries_max;  /* envelopes in one group commit */
  uint32_t batch_delay_ms;     /* a batch closes this long after its first envelope */
  uint32_t pipeline_max;       /* parsed requests waiting on one connection before reads pause */
  uint64_t conn_output_bytes_max; /* answers a connection holds unsent; past it, no reading */
  uint32_t header_timeout_ms;  /* a request header must arrive whole within this (silent sockets) */
  uint32_t connections_per_peer_max; /* open connections of one peer address */
};

#define DAEMON_TRUSTED_PROXIES_MAX 16u

struct daemon_config {
  char data_dir[DAEMON_PATH_BYTES_MAX];
  char log_key[DAEMON_PATH_BYTES_MAX];   /* proto_key_load's format; empty: data_dir/log.key */
  char high_water_file[DAEMON_PATH_BYTES_MAX];  /* empty: DATA_DIR-hw/checkpoint (highwater.c) */
  char known_checkpoint[DAEMON_PATH_BYTES_MAX]; /* empty: none */
  char follow[256];                            /* a standby of this primary URL; empty: none */
  char follow_key[DAEMON_PATH_BYTES_MAX];      /* signs the standby's stream requests */
  char etcd_endpoints[512];    /* "http://127.0.0.1:2379,..."; empty: no etcd fence */
  uint32_t etcd_lease_ttl_s;   /* automatic failover's leader lease (lease.c); 0: off */
  bool standby_sync;          /* a primary acknowledges only what its standby confirmed */
  bool standby_required;      /* ... and stalls while it is away, instead of going on alone */
  uint32_t standby_timeout_ms; /* how long a batch waits for the standby's confirmation */
  char listen[256];                      /* "host:port" plain TCP; empty: none */
  char tls_listen[256];                  /* "host:port" TLS; empty: none */
  char unix_path[DAEMON_PATH_BYTES_MAX]; /* Unix socket; empty: none */
  char trusted_proxies[1024];            /* addresses whose X-Forwarded-For last hop is the peer */
  uint32_t unix_mode;                    /* permission bits of the socket file */
  char tls_cert[DAEMON_PATH_BYTES_MAX];
  char tls_key[DAEMON_PATH_BYTES_MAX];
  char tls_client_ca[DAEMON_PATH_BYTES_MAX]; /* empty: client certificates are not asked for */
  bool tls_client_cert_required;
  bool public_log;                          /* entries and inclusion proofs readable by anyone */
  char tiles_dir[DAEMON_PATH_BYTES_MAX];    /* completed tiles written here; empty: none */
  char log_file[DAEMON_PATH_BYTES_MAX];     /* empty: stderr */
  int log_level;                            /* syslog levels: 3 err .. 7 debug */
  char metrics_listen[256];                 /* "host:port" for /metrics and /healthz only */
  char metrics_token_file[DAEMON_PATH_BYTES_MAX]; /* bearer token for /metrics; empty: none */
  char log_format[16];                      /* auto, journal, text, logfmt, json */
  bool access_log;                          /* one line per request at info */
  uint64_t map_bytes_max;                   /* ledger size ceiling; 0: the ledger's default */
  uint32_t invariants_every_batches;        /* invariant check period; 0: the ledger's default */
  uint32_t auth_window_s;                   /* signed read headers: allowed clock distance */
  uint32_t check_interval_s;                /* full store check every this many s; 0: off */
  bool public_pages;                        /* serve the public pages at / (daemon/web.c) */
  char web_dir[DAEMON_PATH_BYTES_MAX];      /* pages from this directory; empty: the embedded copy */
  char witness_policy[DAEMON_PATH_BYTES_MAX]; /* tlog-policy file; empty: publish unwitnessed */
  uint32_t checkpoint_interval_ms;          /* one publication round at most this often */
  uint32_t witness_timeout_ms;              /* one add-checkpoint request, connect included */
  struct daemon_limits limits;
};

/* Start-up checks (setup.c). The log key's path: cfg->log_key, else
 * $CREDENTIALS_DIRECTORY/log.key when systemd passes credentials, else DATA_DIR/log.key. */
int daemon_log_key_path(const struct daemon_config *cfg, char *out, size_t cap);
/* Loads the log key from that path, refusing a file its group or others may read (BAD_KEY), with
 * the reason in why. */
int daemon_load_log_key(const struct daemon_config *cfg, struct proto_key **out, char *why,
                        size_t why_cap);
/* Whether dir exists (-ENOENT with a message otherwise: a typo must not start a new registry) and
 * whether it is empty (a new registry: quotad says so loudly). */
int daemon_data_dir_state(const char *dir, bool *empty, char *why, size_t why_cap);
/* `quotad --check-config`: every check of a start without serving (nginx -t). Prints what it
 * found; returns 0 or the first failure's code. */
int daemon_check_config(const struct daemon_config *cfg);

/* daemon_config_from_args's answer for `--check-config` (1 means --help or --version). */
#define DAEMON_CONFIG_CHECK_ONLY 3

/* SIGHUP: reads the file again under the same command-line flags and takes the options that can
 * change while running (log level, format and access log, limits but batch_entries_max,
 * public_log) into live; said receives what changed ("limits.pipeline_max 64 -> 32; ..."), with
 * the options that wait for a restart marked so. BAD_ARGUMENT (nothing changed) when the file no
 * longer loads. Loop thread only. */
int daemon_config_reload(struct daemon_config *live, char *said, size_t cap);

/* Fills cfg with the defaults (which work for a local test run). */
void daemon_config_defaults(struct daemon_config *cfg);
/* Reads an INI file over cfg. Returns 0, -errno when the file cannot be read, or BAD_ARGUMENT
 * with a message (file:line: what) in why. */
int daemon_config_load(struct daemon_config *cfg, const char *path, char *why, size_t why_cap);
/* Sets one option by its INI section and name ("limits", "connections_max"); the same parser the
 * file and the flags use. Returns 0 or BAD_ARGUMENT with a message in why. */
int daemon_config_set(struct daemon_config *cfg, const char *section, const char *name,
                      const char *value, char *why, size_t why_cap);
/* Checks relations between options (a batch holds a whole request, TLS needs cert and key...).
 * Returns 0 or BAD_ARGUMENT with a message in why. */
int daemon_config_check(const struct daemon_config *cfg, char *why, size_t why_cap);

/* Parses argv over cfg: --config is read first, then every other flag overrides. Returns 0 to
 * run, 1 when --help or --version printed and the program should exit 0, or BAD_ARGUMENT
 * (message printed to stderr). */
int daemon_config_from_args(struct daemon_config *cfg, int argc, char **argv);

/* Runs quotad with cfg until SIGTERM/SIGINT (server.c). Returns the process exit status. */
int daemon_run(struct daemon_config *cfg);

/* ---------------------------------------------------------------------------------------------
 * Logging (log.c): "<N>message\n" on stderr (or the log file), N the syslog level, which
 * journald reads as the priority. Safe from any thread.
 * ------------------------------------------------------------------------------------------- */
enum { DAEMON_LOG_ERR = 3, DAEMON_LOG_WARNING = 4, DAEMON_LOG_NOTICE = 5, DAEMON_LOG_INFO = 6,
       DAEMON_LOG_DEBUG = 7 };
int daemon_log_open(const char *file, int level);
/* Line formats: journal ("<N>message", what journald reads on stderr), text ("2026-12-05T13:14:15.123Z
 * info message"), logfmt (ts= level= msg=) and json ({"ts","level","msg"}). auto: journal when
 * journald holds stderr ($JOURNAL_STREAM), text otherwise. */
enum daemon_log_format { DAEMON_LOG_AUTO, DAEMON_LOG_JOURNAL, DAEMON_LOG_TEXT, DAEMON_LOG_LOGFMT,
                         DAEMON_LOG_JSON };
/* The format named by text, or -1. */
int daemon_log_format_parse(const char *text);
/* Sets the format and the level (SIGHUP calls it again); safe from any thread. */
void daemon_log_configure(int format, int level);
/* One request of the access log: method, path, status, bytes, time, who and what. */
struct daemon_access {
  const char *method, *path;
  unsigned status;
  uint64_t bytes;
  uint64_t us;            /* from the request's first byte to its answer */
  const char *key_id;     /* the reader's or first signer's key hash, hex prefix; NULL: none */
  const char *tx_id;      /* hex of the (first) transaction id; NULL: none */
  const char *result;     /* "ok", "exists" or an error name; NULL: none */
};
void daemon_log_access(const struct daemon_access *a);
/* Reopens the log file (SIGHUP, after logrotate). */
int daemon_log_reopen(void);
void daemon_log_close(void);
void daemon_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------------------------------
 * Peers (peers.c): connections per peer address, and the addresses of trusted proxies. An
 * address is 16 bytes, IPv4 in its IPv4-mapped IPv6 form, so each address has one form.
 * ------------------------------------------------------------------------------------------- */
#define DAEMON_PEER_BYTES 16u

struct daemon_peer_row {
  uint8_t addr[DAEMON_PEER_BYTES];
  uint32_t count; /* 0: the slot is empty */
};
struct daemon_peers {
  struct daemon_peer_row *rows;
  uint32_t slots, used; /* slots is a power of two, at least twice connections_max */
  uint64_t key[2];      /* random hash key */
};
/* Sizes the table for connections_max connections. 0 or NO_MEMORY. */
int daemon_peers_init(struct daemon_peers *t, uint32_t connections_max);
void daemon_peers_free(struct daemon_peers *t);
/* Counts one more connection of addr; false (nothing counted) when addr holds max already. */
bool daemon_peers_add(struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES], uint32_t max);
/* Uncounts one connection of addr (which must hold one). */
void daemon_peers_remove(struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]);
uint32_t daemon_peers_count(const struct daemon_peers *t, const uint8_t addr[DAEMON_PEER_BYTES]);
/* "192.0.2.1" or "2001:db8::1" into out: 0 or BAD_ARGUMENT. */
int daemon_peer_parse(const char *text, uint8_t out[DAEMON_PEER_BYTES]);
/* A struct sockaddr_in or _in6 into out: 0 or BAD_ARGUMENT (another family). */
int daemon_peer_from_sockaddr(const void *sa, uint8_t out[DAEMON_PEER_BYTES]);
/* A list separated by commas or spaces; returns how many (at most cap) or BAD_ARGUMENT. */
long daemon_peer_list_parse(const char *list, uint8_t (*out)[DAEMON_PEER_BYTES], size_t cap);
/* The last hop of an X-Forwarded-For value: 0 or BAD_ARGUMENT. */
int daemon_forwarded_last_hop(const char *value, uint8_t out[DAEMON_PEER_BYTES]);

/* ---------------------------------------------------------------------------------------------
 * Answer cache (cache.c): rendered bodies of large public answers, valid while the tree size and
 * the caller's epoch are those they were rendered at. Bounded in slots and bytes.
 * ------------------------------------------------------------------------------------------- */
#define DAEMON_CACHE_SLOTS 64u
#define DAEMON_CACHE_KEY_BYTES 48u
#define DAEMON_CACHE_BYTES_MAX (32u << 20) /* all cached bodies together */

struct daemon_cache_slot {
  uint8_t key[DAEMON_CACHE_KEY_BYTES];
  size_t key_len;
  uint64_t tree_size, epoch, used_tick;
  char *body; /* NULL: empty slot */
  size_t len;
};
struct daemon_cache {
  struct daemon_cache_slot slots[DAEMON_CACHE_SLOTS];
  size_t bytes;
  uint64_t tick;
};
/* The body cached under key when it was rendered at this tree size and epoch: true with *body
 * (valid until the next put) and *len. A body of another tree size or epoch is dropped. */
bool daemon_cache_get(struct daemon_cache *c, const void *key, size_t key_len, uint64_t tree_size,
                      uint64_t epoch, const char **body, size_t *len);
/* Keeps a copy of body under key, evicting the least recently used bodies to stay within
 * DAEMON_CACHE_BYTES_MAX; a body that cannot fit, or no memory, is simply not cached. */
void daemon_cache_put(struct daemon_cache *c, const void *key, size_t key_len, uint64_t tree_size,
                      uint64_t epoch, const char *body, size_t len);
void daemon_cache_free(struct daemon_cache *c);

/* ---------------------------------------------------------------------------------------------
 * Growable byte buffer (buf.c)
 * ------------------------------------------------------------------------------------------- */
struct daemon_buf {
  char *data;
  size_t len, cap;
};
int daemon_buf_append(struct daemon_buf *b, const void *data, size_t len);
int daemon_buf_printf(struct daemon_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s; v in decimal; s as a JSON string (quoted, escaped). 0 or PROTO_E_NO_MEMORY. */
int daemon_buf_str(struct daemon_buf *b, const char *s);
int daemon_buf_u64(struct daemon_buf *b, uint64_t v);
int daemon_buf_json_str(struct daemon_buf *b, const char *s);
void daemon_buf_free(struct daemon_buf *b);

/* ---------------------------------------------------------------------------------------------
 * HTTP/1.1 request parsing (http.c), independent of sockets: bytes in, whole requests out, in
 * order, with the header and body limits enforced while the bytes arrive.
 * ------------------------------------------------------------------------------------------- */
enum daemon_method { DAEMON_GET = 1, DAEMON_POST = 2, DAEMON_HEAD = 3, DAEMON_OTHER = 4 };

struct daemon_request {
  struct daemon_request *next;
  uint8_t method;             /* enum daemon_method */
  bool keep_alive;            /* HTTP/1.1 default or "Connection: keep-alive" */
  char *target;               /* path with query, NUL-terminated */
  char *path;                 /* the path part (a copy), NUL-terminated */
  char *query;                /* after '?', NUL-terminated ("" when none) */
  char *authorization;        /* NULL when absent */
  char *content_type;         /* NULL when absent */
  char *accept_encoding;      /* NULL when absent (public pages: gzip) */
  char *if_none_match;        /* NULL when absent (public pages: ETag) */
  char *forwarded_for;        /* X-Forwarded-For (its last occurrence); NULL when absent */
  uint8_t *body;              /* NUL-terminated for convenience; body_len excludes it */
  size_t body_len;
};

struct daemon_http; /* opaque parser state of one connection */

struct daemon_http *daemon_http_new(uint32_t header_bytes_max, uint64_t request_bytes_max);
void daemon_http_free(struct daemon_http *h);
/* Feeds bytes. Returns 0, or an error code once the stream is unusable: TOO_LARGE (headers or
 * body past their limit; *status 431 or 413) or BAD_REQUEST (malformed; *status 400). Requests
 * completed before the error can still be popped. After an error nothing more is parsed. */
int daemon_http_feed(struct daemon_http *h, const char *data, size_t len, unsigned *status);
/* The oldest completed request (caller frees with daemon_request_free), or NULL. */
struct daemon_request *daemon_http_pop(struct daemon_http *h);
size_t daemon_http_queued(const struct daemon_http *h);
/* True while a request has begun but is not complete (what the request timeout watches). */
bool daemon_http_partial(const struct daemon_http *h);
/* True while a request has begun and its header is not complete (the header timeout). */
bool daemon_http_header_pending(const struct daemon_http *h);
/* How many request headers were complete so far on this stream. */
uint64_t daemon_http_headers_seen(const struct daemon_http *h);
void daemon_request_free(struct daemon_request *r);

/* The value of name=... in a query string, copied to out (percent-decoded); returns its length,
 * NOT_FOUND when absent, or FIELD_TOO_LONG. */
long daemon_query_get(const char *query, const char *name, char *out, size_t cap);
/* Parses a decimal u64 with no sign, no leading zeros beyond "0", nothing after it. */
int daemon_parse_u64(const char *s, uint64_t *out);

/* A whole HTTP response (status line, headers, body) appended to out. */
int daemon_http_response(struct daemon_buf *out, unsigned status, const char *content_type,
                         const void *body, size_t body_len, bool keep_alive);
/* The same with a Cache-Control value other than no-store (tiles, the public checkpoint). */
int daemon_http_response_cached(struct daemon_buf *out, unsigned status, const char *content_type,
                                const char *cache_control, const void *body, size_t body_len,
                                bool keep_alive);

/* ---------------------------------------------------------------------------------------------
 * Read authorization (auth.c)
 * ------------------------------------------------------------------------------------------- */
#define DAEMON_AUTH_SCHEME "Quotad-Ed25519"

struct daemon_auth_header {
  uint8_t key_hash[PROTO_HASH_BYTES];
  int64_t time_s;
  uint8_t sig[PROTO_SIG_BYTES];
};
/* Parses "Quotad-Ed25519 key=<b64>, time=<unix s>, sig=<b64>". Returns 0 or UNAUTHORIZED. */
int daemon_auth_parse(const char *value, struct daemon_auth_header *out);
/* Checks the time window and the signature with the key's public bytes. Returns 0, STALE_TIME,
 * BAD_KEY or BAD_SIGNATURE. */
int daemon_auth_verify(const struct daemon_auth_header *h, const uint8_t pub[PROTO_PUBKEY_BYTES],
                       const char *origin, const char *method, const char *target, int64_t now_s,
                       uint32_t window_s);

/* Who is asking, once authenticated. */
struct daemon_principal {
  bool authenticated;
  bool local;            /* came over the Unix socket */
  uint8_t role;          /* enum proto_role when authenticated */
  uint64_t scope;        /* province for authority, account for representative */
  uint8_t key_hash[PROTO_HASH_BYTES];
};
/* May this principal read an account with that id and province? */
bool daemon_may_read_account(const struct daemon_principal *p, uint64_t account, unsigned province);
/* May it read everything (entries, all accounts): operator and auditor. */
bool daemon_may_read_all(const struct daemon_principal *p);

/* The accounts a transaction names are proto_tx_accounts's: the ledger's history index uses the
 * same list. */

/* ---------------------------------------------------------------------------------------------
 * Metrics (metrics.c): counters and histograms kept on the loop thread.
 * ------------------------------------------------------------------------------------------- */
enum daemon_endpoint {
  DAEMON_EP_TX, DAEMON_EP_TX_GET, DAEMON_EP_TX_ENCODE, DAEMON_EP_ACCOUNTS, DAEMON_EP_ACCOUNT,
  DAEMON_EP_BALANCES, DAEMON_EP_HISTORY, DAEMON_EP_KEYS, DAEMON_EP_INSTRUMENTS,
  DAEMON_EP_COMPLIANCE, DAEMON_EP_ENTRIES, DAEMON_EP_CHECKPOINT, DAEMON_EP_LOG,
  DAEMON_EP_INCLUSION, DAEMON_EP_CONSISTENCY, DAEMON_EP_HEALTHZ, DAEMON_EP_METRICS,
  DAEMON_EP_LOG_CHECKPOINT, DAEMON_EP_TILE, DAEMON_EP_FREEZE_ORDERS, DAEMON_EP_OTHER, DAEMON_EP_COUNT
};
const char *daemon_endpoint_name(unsigned ep);

void daemon_metrics_request(unsigned endpoint, unsigned status);
void daemon_metrics_tx_result(int result);
void daemon_metrics_batch(size_t entries, uint64_t commit_us);
/* One batch's time waiting for the fence thread and in its fence (writer.c), us. */
void daemon_metrics_fence(uint64_t queued_us, uint64_t fence_us);
/* A standby's append of one stream answer (follow.c) and its verifier's checks (follow_verify.c),
 * us and entries; any thread. */
void daemon_metrics_standby_append(uint64_t ask_us, uint64_t append_us, uint64_t entries);
void daemon_metrics_standby_verify(uint64_t verify_us, uint64_t entries);
void daemon_metrics_standby_apply(uint64_t apply_us, uint64_t entries);
/* A primary's batch sent to its standby before its commit (standby.c), and one the standby had
 * confirmed when that commit ended (writer.c); any thread. */
void daemon_metrics_sent_ahead(void);
void daemon_metrics_confirmed_at_commit(void);
/* What the server knows at render time (the counters are kept here). */
struct daemon_gauges {
  uint64_t tree_size;
  uint64_t published_size;    /* tree size of the latest published checkpoint */
  uint64_t checkpoint_age_s;
  uint32_t connections;
  uint64_t map_bytes, map_used_bytes, map_bytes_max; /* LMDB: writes fail at the ceiling */
  uint64_t start_time_s;      /* unix time quotad started */
  bool read_only;             /* writes stopped (highwater.c) */
  bool standby_diverged;      /* a standby that stopped following (follow.c) */
  uint64_t standby_unverified; /* a standby's entries appended, signatures not yet verified */
  uint64_t standby_unapplied;  /* a standby's entries confirmed (journaled), not yet in its ledger */
  bool standby_away;          /* standby.sync: the standby is away (alone or stalled) */
  bool unpublished;           /* a signed checkpoint waits for its etcd swap (publish.c) */
};
/* Renders the Prometheus text exposition: counters, histograms, the gauges, quotad_build_info and
 * the process_* family (CPU seconds, resident and virtual memory, open and maximum fds, start
 * time) read from /proc/self. */
int daemon_metrics_render(struct daemon_buf *out, const struct daemon_gauges *g);
/* Whether an Authorization header carries the configured bearer token (metrics.token_file),
 * compared in constant time. False when no token is configured. */
bool daemon_metrics_token_ok(const char *authorization);
/* Loads the token file (one line; at least 16 characters; a file others can read is refused).
 * path "" clears the token. Returns 0 or a code with the reason in why. */
int daemon_metrics_token_load(const char *path, char *why, size_t why_cap);

/* ---------------------------------------------------------------------------------------------
 * HTTP status for an error code: the status column of proto's error table (docs/API.md lists it).
 * ------------------------------------------------------------------------------------------- */
unsigned daemon_status_for(int err);
/* {"error": {"code": ..., "message": ...}} */
int daemon_error_body(struct daemon_buf *out, int err, const char *detail);


/* ---------------------------------------------------------------------------------------------
 * TLS over memory BIOs (tls.c): the socket stays libuv's; OpenSSL only sees bytes we hand it.
 * ------------------------------------------------------------------------------------------- */
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/* Builds a server context from PEM files. client_ca may be empty (no client certificates asked);
 * with require, a client without a certificate fails the handshake. Returns 0 or CRYPTO with a
 * message in why. */
int daemon_tls_ctx_new(const char *cert, const char *key, const char *client_ca, bool require,
                       SSL_CTX **out, char *why, size_t why_cap);
void daemon_tls_ctx_free(SSL_CTX *ctx);

struct daemon_tls {
  SSL *ssl;
  bool handshake_done;
  bool peer_checked;
  bool peer_ed25519;                     /* the client certificate holds an Ed25519 key */
  uint8_t peer_key_hash[PROTO_HASH_BYTES]; /* SHA-256 of that raw public key */
};
int daemon_tls_init(struct daemon_tls *t, SSL_CTX *ctx);
/* The identity a client certificate binds: true and the SHA-256 of its raw public key in hash
 * when the certificate holds an Ed25519 key that proto_pubkey_check accepts; false for another
 * algorithm or a weak key (the identity, small or mixed order), which binds nothing. */
typedef struct x509_st X509;
bool daemon_tls_cert_key(X509 *cert, uint8_t hash[PROTO_HASH_BYTES]);
void daemon_tls_free(struct daemon_tls *t);
/* Feeds ciphertext from the socket; plaintext is appended to plain. Returns 0, or CRYPTO when
 * the session failed (the connection must close after flushing daemon_tls_take_out). */
int daemon_tls_feed(struct daemon_tls *t, const char *in, size_t len, struct daemon_buf *plain);
/* Encrypts plaintext for sending; then daemon_tls_take_out gives the bytes. */
int daemon_tls_write(struct daemon_tls *t, const char *plain, size_t len);
/* Queues a close_notify alert (then daemon_tls_take_out). */
void daemon_tls_close_notify(struct daemon_tls *t);
/* Moves the ciphertext waiting to be sent into out. */
int daemon_tls_take_out(struct daemon_tls *t, struct daemon_buf *out);

#endif /* QUOTAD_DAEMON_H */
