/* publish: which checkpoint quotad shows the world. With a witness policy a publisher thread
 * takes the latest signed checkpoint, runs it through a fixed sequence of steps (sign, etcd swap,
 * witnesses, publish) and publishes it only once the policy's quorum has cosigned it; without one
 * the writer runs the same steps but the witnesses for every batch. */
#ifndef QUOTAD_DAEMON_PUBLISH_H
#define QUOTAD_DAEMON_PUBLISH_H

#include "daemon/server.h"
#include "tlog/tlog.h"

/* The published note: the log's checkpoint note, then one cosignature line per witness. */
#define DAEMON_PUBLISHED_BYTES_MAX                                                                \
  (TLOG_CHECKPOINT_BYTES_MAX + TLOG_POLICY_WITNESSES_MAX * TLOG_COSIG_LINE_BYTES_MAX)
/* A witness's answer is a few signature lines or a size; anything longer is cut off and failed. */
#define DAEMON_WITNESS_RESPONSE_BYTES_MAX 65536u
/* Where the published note is kept (in the data directory) so that a restart serves it. */
#define DAEMON_PUBLISHED_FILE "checkpoint.published"

/* Loads cfg->witness_policy (refusing a policy whose quorum is not a majority of its witnesses,
 * or that names no witness with a URL), the published note kept in the data directory (which
 * must verify with the log key and not be ahead of the tree), and starts the publisher thread.
 * Without a policy it does nothing: every signed checkpoint is published at once.
 * Returns 0, or a code with the reason in why (BAD_POLICY, WEAK_QUORUM, CORRUPT, NO_MEMORY...). */
int daemon_publisher_start(struct daemon_server *srv, char *why, size_t why_cap);
/* Stops and joins the thread (a round in flight ends within witness_timeout_ms). Safe when
 * daemon_publisher_start did nothing or failed. */
void daemon_publisher_stop(struct daemon_server *srv);

/* Without a witness policy, the writer's thread after each signed batch: the latest signed
 * checkpoint through the same pipeline (the etcd swap, the high-water file; no witnesses), after
 * which it is the published one. 0, or SUPERSEDED (this node stopped writing) or a transport code:
 * then the batch is not acknowledged. */
int daemon_publish_signed(struct daemon_server *srv);

/* How often the writer tries the etcd swap of a signed checkpoint again while etcd does not
 * answer (etcd configured, no witness policy); until it passes, that checkpoint is not served. */
#define DAEMON_PUBLISH_RETRY_MS 500u
/* Whether a signed checkpoint waits for its etcd swap (the writer then calls
 * daemon_publish_retry every DAEMON_PUBLISH_RETRY_MS), and since when (ms since the epoch; 0: none). */
uint64_t daemon_publish_waiting_since_ms(struct daemon_server *srv);
/* The writer's thread: the latest signed checkpoint through the pipeline again (nothing on a
 * standby or a read-only node). */
void daemon_publish_retry(struct daemon_server *srv);
/* With etcd and without a witness policy: the first swap after start (the writer's). */
void daemon_publish_fenced_start(struct daemon_server *srv);

/* A standby (follow.c): its primary's published note (with cosignature lines), served once this
 * node's tree holds that checkpoint with the same root. 0 (also when not yet held, or without a
 * policy), BAD_CHECKPOINT (not signed by the log key), INCONSISTENT (another root), STORAGE. */
int daemon_published_learn(struct daemon_server *srv, const char *note, size_t len);

/* The latest published checkpoint note with its cosignature lines, NUL-terminated; returns its
 * length, NOT_FOUND when nothing is published yet, FIELD_TOO_LONG when cap is small
 * (DAEMON_PUBLISHED_BYTES_MAX suffices). /v1/checkpoint and /log/checkpoint both serve this.
 * Any thread. */
long daemon_published_checkpoint(struct daemon_server *srv, char *out, size_t cap);
/* daemon_published_checkpoint with the tree size that note commits to (what /log/ tiles and
 * tiles_dir may cover). Any thread. */
long daemon_published_note(struct daemon_server *srv, char *out, size_t cap, uint64_t *size);
/* The tree size of that checkpoint (0 when none). Any thread. */
uint64_t daemon_published_size(struct daemon_server *srv);

/* When the published checkpoint was published (ms since the epoch; after a restart the time its
 * kept file was written); 0 without a witness policy (then a checkpoint is published as it is
 * signed) or before the first. Any thread. */
uint64_t daemon_published_time_ms(struct daemon_server *srv);
/* The witness policy file's text as read at start (the public pages check cosignatures with it);
 * NULL without a policy. Valid until daemon_publisher_stop. */
const char *daemon_witness_policy_text(struct daemon_server *srv);

/* Promotion's lower bound (standby.c): asks every witness of the policy, in parallel, for the
 * latest checkpoint of this log it cosigned. *asked counts the witnesses with a URL, *answered
 * those that answered (with a checkpoint, or that they cosigned none). Returns 0 when this tree
 * holds every answered checkpoint with its root (also without a policy: nothing asked), else
 * WITNESS_AHEAD (a witness cosigned a larger tree) or INCONSISTENT (another root), with why. */
int daemon_witnesses_floor(struct daemon_server *srv, unsigned *asked, unsigned *answered, char *why,
                           size_t cap);

/* Checks the policy file the way daemon_publisher_start does, for --check-config. */
int daemon_policy_load(const char *path, struct tlog_policy *out, char *why, size_t why_cap);

#endif /* QUOTAD_DAEMON_PUBLISH_H */
