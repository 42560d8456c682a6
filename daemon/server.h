/* server: the libuv side of quotad: the server, its connections, their replies, and the write
 * batcher. Internal to daemon/; the only header that includes uv.h and ledger.h together. */
#ifndef QUOTAD_DAEMON_SERVER_H
#define QUOTAD_DAEMON_SERVER_H

#include <jansson.h>
#include <uv.h>

#include "daemon/daemon.h"
#include "ledger/ledger.h"

/* One response slot. Replies leave a connection in the order requests arrived (pipelining). */
struct daemon_reply {
  struct daemon_reply *next;
  bool ready;
  bool close_after; /* the connection closes once this reply is sent */
  unsigned endpoint;
  unsigned status;
  size_t held_bytes;     /* what this ready reply adds to its connection's held_bytes */
  struct daemon_buf buf; /* the whole HTTP response */
  /* The access log's record (only with log.access): the request as it arrived. */
  char *access_target;   /* NULL: not logged */
  uint8_t access_method;
  uint64_t access_start_us;
  char access_key[12];   /* first 8 base64 characters of the reader's key hash, or "" */
  char access_tx[33];    /* hex of the first transaction id, or "" */
  char access_result[32];/* "ok", "exists" or an error name, or "" */
};

enum daemon_conn_kind { DAEMON_CONN_TCP = 0, DAEMON_CONN_TLS = 1, DAEMON_CONN_UNIX = 2 };

struct daemon_server;

struct daemon_conn {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  struct daemon_server *srv;
  struct daemon_conn *prev, *next;
  uint8_t kind;
  bool tls_on;
  bool metrics_only;        /* accepted on metrics.listen: /metrics and /healthz only */
  struct daemon_tls tls;
  struct daemon_http *http;
  int http_err;             /* the parser's error once the stream failed */
  unsigned http_status;
  struct daemon_request *parked;      /* waits for room in the filling batch, or for entries */
  uint64_t stream_until_ms;           /* a parked GET /v1/stream's deadline (0: none) */
  struct daemon_principal stream_principal; /* who sent it: handled again without a new check */
  struct daemon_reply *parked_reply;
  struct daemon_reply *replies, *replies_tail;
  uint32_t inflight;        /* POST /v1/tx requests inside the batcher */
  bool reading, closing, closed, no_more_requests, shutting_down;
  bool eof;                 /* the peer finished sending (or the read failed) */
  bool verifying;           /* a request's signatures are on the thread pool: later ones wait */
  uint64_t last_active_ms, partial_since_ms;
  uint64_t header_since_ms; /* waiting for a whole request header since; 0: not waiting */
  /* Answer bytes the connection holds: ready replies queued behind an unfinished one, and bytes
   * handed to libuv that the peer has not taken yet. Past conn_output_bytes_max, no reading. */
  uint64_t held_bytes, output_bytes;
  uint8_t peer[DAEMON_PEER_BYTES]; /* TCP: the socket's peer, or the forwarded last hop */
  bool peer_counted;                /* peer holds one count in srv->peers for this connection */
  bool from_proxy;                  /* the socket's peer is a trusted proxy */
};

/* One POST /v1/tx request: its envelopes' results, filled before and after the commit. */
struct daemon_txres {
  int result;        /* 0 ok, LEDGER_EXISTS, or a code */
  uint64_t index, withheld, aux;
  int32_t leg; /* a settle refused by one leg: its index; else -1 */
  uint8_t type;      /* transaction type (for "withheld") */
  uint8_t id[PROTO_ID_BYTES]; /* the transaction's id (for the log) */
  struct daemon_ack *ack; /* accepted: its batch's signed acknowledgement (ack.h), one reference */
};

struct daemon_txreq {
  struct daemon_conn *conn;
  struct daemon_reply *reply;
  bool single;       /* one envelope sent as an object: the status reflects its result */
  bool keep_alive;
  bool in_batch;     /* counted in conn->inflight */
  uint32_t count, outstanding;
  uint64_t tree_size;
  struct daemon_txres *res;
};

struct daemon_batch {
  size_t n;
  struct ledger_submission *subs;  /* batch_entries_max of each */
  struct daemon_txreq **reqs;
  uint32_t *slots;
  uint8_t **bytes;                 /* owned copies of the envelopes */
  /* filled by the writer thread (the commit) and the fence thread (writer.c) */
  int rc;                          /* ledger_apply's code: 0 committed */
  int rc_errno;                    /* the OS error behind a STORAGE rc, or 0 */
  struct ledger_batch_info info;
  uint64_t start_us, committed_us; /* when the writer took it and when it was committed */
  uint64_t commit_us, queued_us, fence_us; /* its ledger_apply, its wait for the fence, its fence */
  int fence;                       /* the fence's code (0: acknowledged) */
  struct daemon_ack *ack;          /* the batch's signed acknowledgement, or NULL */
};

/* Batches in the writer's pipeline: one filling on the loop, one committing on the writer
 * thread, the rest committed and waiting for their fence (writer.c). */
#define DAEMON_WRITER_BATCHES 8u

struct daemon_server {
  uv_loop_t *loop;
  struct daemon_config *cfg;
  struct ledger *ledger;
  uint8_t log_public_key[PROTO_PUBKEY_BYTES]; /* of the configured log key */
  SSL_CTX *tls_ctx;
  uv_tcp_t tcp, tls;
  uv_pipe_t unix_listener;
  bool has_tcp, has_tls, has_unix, has_metrics;
  uv_tcp_t metrics_listener;  /* metrics.listen: /metrics and /healthz only */
  uint64_t start_time_s;
  uv_signal_t sig_term, sig_int, sig_hup;
  uv_timer_t sweep;       /* connection timeouts and the watchdog */
  uv_timer_t batch_timer; /* closes the filling batch after batch_delay_ms */
  bool batch_timer_on;
  struct daemon_conn *conns;
  uint32_t conn_count;
  struct daemon_peers peers; /* connections per peer address */
  struct daemon_cache cache; /* large public answers (compliance pages) */
  uint8_t proxies[DAEMON_TRUSTED_PROXIES_MAX][DAEMON_PEER_BYTES];
  size_t proxies_n;
  bool stopping, stopped;
  uint64_t watchdog_interval_ms, watchdog_last_ms;
  uint64_t last_commit_ms;
  /* the writer (writer.c): a pipeline of batches, filled on the loop, committed on the writer
   * thread, fenced on the fence thread, answered on the loop, in that order. Counters of batches
   * that went through each stage (under writer_mu; handed and answered the loop's alone); batch
   * number k lives in batches[k % DAEMON_WRITER_BATCHES]. */
  uv_thread_t writer_thread, fence_thread;
  uv_mutex_t writer_mu;
  uv_cond_t writer_cv;      /* a batch was handed over (or the end) */
  uv_cond_t fence_cv;       /* a batch was committed (or the end; or a publication to retry) */
  uv_async_t writer_async;  /* the writer is free again: hand over the filling batch */
  uv_async_t fence_async;   /* a batch was fenced: answer it */
  bool writer_started, writer_quit, fence_quit;
  uint64_t handed, committed, fenced, answered;
  size_t verify_reserved;   /* batch room held for envelopes being verified on the pool */
  uint32_t verifying;       /* verification jobs on the pool */
  struct daemon_batch batches[DAEMON_WRITER_BATCHES];
  struct daemon_batch *filling; /* batches[handed % DAEMON_WRITER_BATCHES] */
  /* tiles_dir: a thread writes completed tiles and the published checkpoint (tiles.c) */
  uv_thread_t tiles_thread;
  uv_mutex_t tiles_mu;
  uv_cond_t tiles_cv;
  bool tiles_started, tiles_kicked, tiles_quit;
  const struct proto_key *log_key;  /* signs acknowledgements (the ledger signs checkpoints) */
  /* the periodic store check (check_interval_s), run by a child on the thread pool */
  uv_timer_t check_timer;
  uv_work_t check_req;
  bool check_running;
  int check_child; /* __atomic: the checking child's pid while it runs, else 0 */
  struct ledger_check_report check_report;
  char exe_path[DAEMON_PATH_BYTES_MAX]; /* this program, which the check re-executes */
  /* never forking (highwater.c): the high-water file, and why writes are stopped */
  char high_water_path[DAEMON_PATH_BYTES_MAX];
  bool read_only;          /* __atomic: writes answer 503 read_only with read_only_why */
  bool promoting;          /* __atomic: a standby between leaving its primary and its new epoch:
                             it neither publishes nor takes writes (standby.c) */
  bool checkpoint_hidden;  /* the tree conflicts with a learned checkpoint: its own is not served */
  bool high_water_failed;  /* __atomic: set by the writer when the file could not be written */
  char read_only_why[DAEMON_PATH_BYTES_MAX + 256];
  /* the primary's side of a standby (standby.c): the size it confirmed (__atomic: the loop thread
   * writes it, the writer waits for it), when, and where it diverged (loop thread only) */
  uint64_t standby_confirmed, standby_seen_ms, standby_diverged_at;
  /* the etcd fence (etcd.c): revisions this node saw; under etcd.c's lock (writer, publisher, promotion) */
  uint64_t etcd_epoch_mod, etcd_cp_mod; /* under etcd.c's lock */
  bool etcd_superseded;   /* __atomic */
  bool etcd_ready;        /* epoch and checkpoint revisions read */
  bool etcd_uncertain;    /* a swap got no answer: it may have been applied (etcd.c resolves it) */
  unsigned promote_witnesses_asked, promote_witnesses_answered; /* the last promotion (loop thread) */
  /* with etcd and without a witness policy (publish.c, under its lock): the latest checkpoint that
   * passed its etcd swap, the only one served; since when a signed one waits for its swap */
  char fenced_note[TLOG_CHECKPOINT_BYTES_MAX];
  size_t fenced_len;
  uint64_t fenced_size;
  uint64_t plain_published_size; /* __atomic: without etcd or a witness policy, the size the
                                  * high-water file holds (publish.c: written once per size) */
  uint64_t fenced_waiting_since_ms; /* __atomic: 0 when every signed checkpoint passed its swap */
  uv_cond_t sync_cv;      /* with writer_mu: the standby confirmed more (daemon_standby_wait) */
  bool standby_alone;     /* __atomic: the standby is away and this node went on alone */
  bool standby_stalled;   /* __atomic: the standby is away and writes stall (standby.required) */
  /* a standby (follow.c): the thread that follows cfg->follow */
  uv_thread_t follow_thread;
  bool follow_started;
  bool follow_quit;   /* __atomic */
  bool follow_failed; /* __atomic: stopped on a divergence; follow_why says why */
  uint64_t follow_signed_size; /* __atomic: the largest size whose checkpoint, signed by the log key
                                * at the primary, this tree matched (follow.c): the standby signs
                                * no larger tree of its own */
  struct proto_key *follow_key;
  char follow_why[512];
  bool follow_stop_said; /* __atomic: follow_why is written once, by the first to stop it */
  struct daemon_journal *journal; /* journal.c: the standby's journal and its applier */
  /* the standby's verifier (follow_verify.c): signatures and legs of what the follower appended */
  uv_thread_t verify_thread;
  bool verify_started;
  bool verify_quit;    /* __atomic, set under verify_mu */
  uv_mutex_t verify_mu;
  uv_cond_t verify_cv; /* with verify_mu: the follower appended entries */
  /* automatic failover (lease.c): the thread that holds or watches the leader lease */
  uv_thread_t lease_thread;
  uv_async_t lease_async; /* the lease thread asks the loop to promote this standby */
  bool lease_started;
  bool lease_quit; /* __atomic */
  struct daemon_publisher *publisher; /* publish.c; NULL without a witness policy */
  /* With standby.sync, the batch the writer is committing, sent ahead to the standby (standby.c):
   * its entries [from, to) as the commit stores them and the root of size to, until the next
   * batch's replace them or its commit fails (to 0: none). Under pending_mu. */
  uv_mutex_t pending_mu;
  uv_async_t pending_async; /* a batch is pending: waiting stream requests take it */
  uint64_t pending_from, pending_to;
  uint8_t pending_root[PROTO_HASH_BYTES];
  uint8_t *pending_buf;     /* leaf and legs bytes of each entry, one after the other */
  size_t pending_len, pending_cap;
  struct ledger_entry_in *pending_in; /* pointers into pending_buf */
  bool commit_lost;         /* __atomic: a batch sent ahead failed its commit here: writes stop */
  int test_before_commit;   /* QUOTAD_TEST_BEFORE_COMMIT (tests only): 1 exit, 2 fail the commit */
  uint64_t test_before_commit_size; /* ... for the batch that reaches this size */
};

/* tiles.c: the bytes of tile t (hashes, or an entry bundle) appended to out. 0 or a code. */
int daemon_tile_bytes(struct ledger *ledger, const struct tlog_tile *t, struct daemon_buf *out);
/* Writes into tiles_dir the tiles that changed from a tree of *written leaves to the published
 * checkpoint's, then that checkpoint (last, so that every tile it names is there); *written
 * becomes its size. Hash tiles only unless public_log. 0 or a code (logged). */
int daemon_tiles_sync(struct daemon_server *srv, uint64_t *written);
/* The thread that runs daemon_tiles_sync after each commit (kick) and every second; nothing when
 * tiles_dir is empty. */
int daemon_tiles_start(struct daemon_server *srv);
void daemon_tiles_kick(struct daemon_server *srv);
void daemon_tiles_stop(struct daemon_server *srv);

/* Results of daemon_api_handle. */
enum { DAEMON_DONE = 0, DAEMON_PENDING = 1, DAEMON_PARK = 2 };

/* Handles one request; fills reply (DONE), or hands envelopes to the batcher (PENDING: the
 * reply is completed after the commit), or finds no room in the filling batch (PARK: call again
 * with the same reply once there is room). */
int daemon_api_handle(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                      struct daemon_reply *reply);
/* Fills reply with a JSON error body and marks it ready. */
void daemon_reply_error(struct daemon_reply *reply, int err, const char *detail, bool keep_alive);
/* The same with an explicit status (408, 431...); close_after when !keep_alive. */
void daemon_reply_error_as(struct daemon_reply *reply, unsigned status, int err, const char *detail,
                           bool keep_alive);
void daemon_reply_set(struct daemon_reply *reply, unsigned status, const char *content_type,
                      const char *body, size_t len, bool keep_alive);
void daemon_reply_set_cached(struct daemon_reply *reply, unsigned status, const char *content_type,
                             const char *cache_control, const char *body, size_t len, bool keep_alive);

/* conn.c */
int daemon_listen_all(struct daemon_server *srv, char *why, size_t why_cap);
void daemon_conn_flush(struct daemon_conn *c);
void daemon_conn_done(struct daemon_conn *c); /* an in-flight request of c finished */
void daemon_conn_continue(struct daemon_conn *c); /* go on with c's queued requests */
void daemon_conns_resume(struct daemon_server *srv); /* room in the batch: parked requests go on */
void daemon_conns_sweep(struct daemon_server *srv, uint64_t now_ms);
void daemon_conns_stop(struct daemon_server *srv); /* stop accepting; close when idle */

/* writer.c */
int daemon_writer_start(struct daemon_server *srv);
void daemon_writer_stop(struct daemon_server *srv); /* joins the thread; the batcher is idle */
/* Wakes the writer thread so that it looks again at what it waits for (publish.c). Any thread. */
void daemon_writer_wake(struct daemon_server *srv);
bool daemon_writer_room(const struct daemon_server *srv, size_t n);
/* Takes ownership of bytes (malloc'd): the envelope's len bytes, then legs_len bytes of a version 2
 * settle's legs blob (0 for any other transaction). sigs_verified / legs_verified: checked by
 * ledger_verify_envelope / ledger_verify_legs beforehand. */
void daemon_writer_add(struct daemon_server *srv, struct daemon_txreq *req, uint32_t slot,
                       uint8_t *bytes, size_t len, size_t legs_len, bool sigs_verified,
                       bool legs_verified);
void daemon_writer_kick(struct daemon_server *srv);
bool daemon_writer_idle(const struct daemon_server *srv);
/* Completes a request whose envelopes are all resolved: builds its reply. */
void daemon_txreq_finish(struct daemon_server *srv, struct daemon_txreq *req);
/* The standby confirmed a larger tree (standby.c, the loop thread): wakes daemon_standby_wait. */
void daemon_writer_standby_confirmed(struct daemon_server *srv);
/* standby.sync (standby.c): the precommit hook (ledger_set_precommit) that keeps the batch being
 * committed for the standby's stream (the writer's thread); pending_start/stop set up and free
 * what it uses (the loop thread); pending_drop forgets a batch from `from` whose commit failed
 * and says whether it was sent ahead (the writer's thread). */
int daemon_standby_precommit(void *ctx, uint64_t from, uint64_t to, const uint8_t root[PROTO_HASH_BYTES],
                             const struct ledger_entry_in *entries);
int daemon_standby_pending_start(struct daemon_server *srv);
void daemon_standby_pending_stop(struct daemon_server *srv);
bool daemon_standby_pending_drop(struct daemon_server *srv, uint64_t from);
/* standby.sync (standby.c, the fence thread): waits until the standby confirmed size, at most
 * standby.timeout_ms. Returns 0 (confirmed; or it is away and this node goes on alone), or
 * STANDBY_AWAY (standby.required: writes stall until it confirms all of the tree). */
int daemon_standby_wait(struct daemon_server *srv, uint64_t size);

/* highwater.c. The file's path (high_water_file, else DATA_DIR-hw/checkpoint). */
int daemon_highwater_path(const struct daemon_config *cfg, char *out, size_t cap);
/* Replaces the file with note atomically and durably (its directory made 0700 if missing).
 * Returns 0 or -errno. Any thread. */
int daemon_highwater_write(const char *path, const char *note, size_t len);
/* A checkpoint file into out (NUL-terminated): its length, NOT_FOUND, TOO_LARGE or -errno. */
long daemon_checkpoint_file_read(const char *path, char *out, size_t cap);
/* Judges the tree against a learned checkpoint note (source names it in why): 0 when the tree
 * equals or consistently extends it; READ_ONLY when the tree is behind; INCONSISTENT when the
 * tree has another root at its size; BAD_CHECKPOINT when it is not this registry's (origin, log
 * key). *learned_size receives its size when it verifies. */
int daemon_highwater_judge(struct daemon_server *srv, const char *note, size_t len,
                           const char *source, uint64_t *learned_size, char *why, size_t cap);
/* At start, after the ledger opened: judges the tree against the high-water file and
 * known_checkpoint, sets read_only when either conflicts, and brings the file up to the tree.
 * Returns 0 or a code that stops the start (the file cannot be written, known_checkpoint absent). */
int daemon_highwater_start(struct daemon_server *srv);
/* After a committed batch (a standby's follower): the latest checkpoint to the file. */
void daemon_highwater_publish(struct daemon_server *srv);
/* The publication pipeline (publish.c), once note passed the etcd swap: note to the file. */
void daemon_highwater_publish_note(struct daemon_server *srv, const char *note, size_t len);

/* etcd.c. start: reads the epoch (creating epoch 1 for the first primary) and the last checkpoint
 * (judged like the high-water file); a code stops the start. swap: the transaction that makes a
 * checkpoint public and fences acknowledgement: 0, SUPERSEDED (this node stops writing), or a
 * transport code. promote: writes a new epoch. Each returns 0 at once without etcd.endpoints. */
int daemon_etcd_start(struct daemon_server *srv);
int daemon_etcd_swap(struct daemon_server *srv, const char *note, size_t len);
int daemon_etcd_promote(struct daemon_server *srv);
/* etcd.c, check_epoch: 0 while the epoch is the one this node saw; SUPERSEDED (this node stops
 * writing) or a transport code otherwise; 0 at once without etcd.endpoints. Any thread. */
int daemon_etcd_check_epoch(struct daemon_server *srv);
/* etcd.c for lease.c: one gateway call (body is taken), a key under quotad/<origin>/, base64. */
int daemon__etcd_call(struct daemon_server *srv, const char *path, json_t *body, json_t **out);
void daemon__etcd_key(const struct daemon_server *srv, const char *leaf, char *out, size_t cap);
json_t *daemon__etcd_b64(const void *data, size_t len);
/* lease.c: with etcd.lease_ttl_s, the thread of automatic failover; stop joins it. */
int daemon_lease_start(struct daemon_server *srv);
void daemon_lease_stop(struct daemon_server *srv);

/* standby.c: GET /v1/stream (an authenticated operator or auditor). With wait_ms and nothing new
 * after from, the request waits (true: parked, nothing written; *until holds its deadline) until a
 * batch is committed or the deadline passes (daemon_streams_resume), then is handled again. */
bool daemon_standby_stream(struct daemon_server *srv, const struct daemon_principal *p,
                           const struct daemon_request *r, struct daemon_reply *reply, bool ka,
                           uint64_t *until);
/* conn.c: handles again the parked stream requests: all of them (a batch was committed, or the
 * server stops), or those whose deadline is past now_ms. */
void daemon_streams_resume(struct daemon_server *srv, uint64_t now_ms, bool all);
/* How many stream requests wait now (each is handled again at every commit). */
size_t daemon_streams_parked(const struct daemon_server *srv);
/* POST /v1/admin/promote (the Unix socket or an operator key): a standby becomes the primary when
 * its tree equals or extends every published checkpoint it can learn (etcd, the high-water file,
 * known_checkpoint), after writing a new etcd epoch. */
void daemon_standby_promote(struct daemon_server *srv, const struct daemon_principal *p,
                            struct daemon_reply *reply, bool ka);
/* The promotion itself (the loop thread): 0, or a code with the reason in why. */
int daemon_standby_promote_now(struct daemon_server *srv, char *why, size_t cap);
/* follow.c: with cfg->follow, the thread that follows the primary (0, or a code that stops the
 * start: the follow key cannot be loaded, the rejoin refused); stop joins it. lc opens the ledger
 * again after a rejoin rebuilt it. */
int daemon_follow_start(struct daemon_server *srv, const struct ledger_config *lc);
/* rejoin.c: before following, a tree that is no prefix of the primary's (an old primary) sets
 * aside its entries past the shared prefix into DIR/set-aside-FROM-TO-MS.json beside the
 * high-water file, never below the checkpoint it published, and rebuilds the store from the
 * prefix. 0 when it followed the primary's log or the primary did not answer; INCONSISTENT when
 * the primary lacks what this node published; else the failing step's code. */
int daemon_rejoin(struct daemon_server *srv, const struct ledger_config *lc);
void daemon_follow_stop(struct daemon_server *srv);
/* A divergence: STANDBY STOPPED in the log with why, /healthz "diverged" with why as detail,
 * quotad_standby_diverged 1 (follow_failed). The first caller's reason is kept. */
void daemon_follow_stop_loudly(struct daemon_server *srv, const char *why);
/* The entries past the primary's latest checkpoint came with no log-key signature over their root
 * (with standby.sync the primary signs only after this standby confirmed them): each checkpoint the
 * primary sends must have this tree's root at its size once the tree reaches it (the caller sees
 * that it does). 0 (and the standby may sign up to cp's size), INCONSISTENT with why, or a code. */
int daemon_follow_check_signed(struct daemon_server *srv, const struct tlog_checkpoint *cp, char *why, size_t cap);
/* journal.c: a standby's journal (DATA_DIR/standby.journal, docs/STORAGE.md) and its applier.
 * replay (at start, on every node, just after the ledger opens: before the high-water file, etcd
 * or a rejoin judge the tree): applies what the file holds past the tree (entries this node
 * confirmed as a standby) and marks the file applied; a refusal stops the start, said in the log. */
int daemon_journal_replay(struct daemon_server *srv);
/* The applier thread (a standby, once its tree is final: after a rejoin), from the tree's size. */
int daemon_journal_start(struct daemon_server *srv);
/* Stops the applier once it applied everything queued (every entry confirmed is then in the
 * ledger), or once it failed; free also closes the file. */
void daemon_journal_stop(struct daemon_server *srv);
void daemon_journal_free(struct daemon_server *srv);
/* The size this node holds durably (ledger and journal) and, unless root is NULL, its root: what
 * the follower confirms. */
uint64_t daemon_journal_end(struct daemon_server *srv, uint8_t root[PROTO_HASH_BYTES]);
/* Entries confirmed and not yet in the ledger (0 on a node that does not follow). */
uint64_t daemon_journal_unapplied(struct daemon_server *srv);
/* The follower's page of n (1 to 1000) entries from the journal's end: checks that they give root
 * from the tree's right edge (INCONSISTENT with why otherwise), writes them to the file and
 * fdatasyncs it (STORAGE with why), and queues them for the applier; then they count as held.
 * apply_first (the genesis page, which no checkpoint covers): applied to the ledger before it
 * returns, not written. A failed applier's code (the standby is stopped); BUSY when quitting. */
int daemon_journal_append(struct daemon_server *srv, uint64_t from, const struct ledger_entry_in *in, size_t n,
                          const uint8_t root[PROTO_HASH_BYTES], bool apply_first, char *why, size_t cap);
/* A checkpoint signed by the log key that the primary sent: checked now when the ledger holds its
 * size (daemon_follow_check_signed), else by the applier once it does (the newest kept). */
int daemon_journal_checkpoint(struct daemon_server *srv, const struct tlog_checkpoint *cp, char *why, size_t cap);
/* follow_verify.c: the verifier thread ("quotad-verify"), started and stopped with the follower;
 * it verifies from ledger_verified_size to the tree size in chunks, woken by
 * daemon_follow_appended, and stops the standby (daemon_follow_stop_loudly, follow_quit) on a
 * failure. */
int daemon_follow_verifier_start(struct daemon_server *srv);
/* The verifier's thread (or promotion, once the follower stopped and the epoch is written): signs
 * the checkpoint of the verified size, at most size_max (the largest its primary signed, while it
 * follows), when the latest is smaller (ledger_sign_verified), and writes it to the high-water
 * file. A failure is logged; the checkpoint stays behind. */
void daemon_follow_sign_verified(struct daemon_server *srv, uint64_t size_max);
void daemon_follow_appended(struct daemon_server *srv);
void daemon_follow_verifier_stop(struct daemon_server *srv);
/* With the verifier stopped: verifies every entry not yet verified, inline (promotion, or a former
 * standby starting as a primary). 0; DIVERGED with the reason in why (the standby is then stopped
 * loudly), also for a standby that already stopped on a divergence; a storage fault's code. */
int daemon_follow_verify_rest(struct daemon_server *srv, char *why, size_t cap);

/* server.c */
/* A worker thread with its mutex and condition variable: all three made, or none (NO_MEMORY).
 * The thread's quit flag and state are set before, as fn may run at once. */
int daemon_thread_start(uv_thread_t *t, uv_mutex_t *mu, uv_cond_t *cv, void (*fn)(void *), void *arg);
/* Sets *quit under mu, wakes the thread, joins it, and destroys mu and cv. */
/* A test hook's delay: the environment variable env in ms (0 when unset), at most max, said in the
 * log as "TEST: <what> waits N ms (ENV)" when set. */
unsigned long daemon_test_delay_ms(const char *env, unsigned long max, const char *what);
void daemon_thread_stop(uv_thread_t *t, uv_mutex_t *mu, uv_cond_t *cv, bool *quit);
uint64_t daemon_now_ms(void);
/* A monotonic clock in microseconds, for durations. */
uint64_t daemon_now_us(void);
void daemon_server_maybe_finish(struct daemon_server *srv);

#endif /* QUOTAD_DAEMON_SERVER_H */
