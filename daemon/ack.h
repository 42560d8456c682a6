/* ack: the signed acknowledgement of a committed batch (proto/FORMAT.md "Acknowledgements"), as
 * a CT log's signed timestamp: one Ed25519 signature per batch over its origin, first index,
 * count, Merkle root of its leaf hashes and commit time; each answer carries the signature and
 * its leaf's path in the batch. Made on the writer thread, shared by the answers on the loop. */
#ifndef QUOTAD_DAEMON_ACK_H
#define QUOTAD_DAEMON_ACK_H

#include "daemon/server.h"

#define DAEMON_ACK_MESSAGE_BYTES_MAX (64u + PROTO_ORIGIN_BYTES_MAX + 3u * 20u + 44u)

struct daemon_ack {
  uint32_t refs;             /* loop thread only: the batch, then one per answer holding it */
  uint64_t first, count;     /* the batch's accepted entries: [first, first + count) */
  uint64_t time_ms;          /* their commit time (the entries' time_ms) */
  uint8_t root[PROTO_HASH_BYTES];
  uint8_t sig[PROTO_SIG_BYTES];
  char root_b64[48], sig_b64[96]; /* encoded once on the writer, not once per answer */
  struct tlog_memtree tree;  /* over the leaf hashes, for each answer's path */
};

/* "quotad/ack/v1\n<origin>\n<first>\n<count>\n<base64 root>\n<time_ms>\n", NUL-terminated; returns
 * its length or FIELD_TOO_LONG. */
long daemon_ack_message(const char *origin, const struct daemon_ack *a, char *out, size_t cap);
/* Writer thread, after a committed batch: signs the accepted submissions (their indices are
 * consecutive, in order). NULL when none was accepted or on failure (logged: the answers then
 * go without an acknowledgement, the commit stands). refs is 1. */
struct daemon_ack *daemon_ack_make(const char *origin, const struct proto_key *log_key,
                                   const struct ledger_submission *subs, size_t n, uint64_t time_ms);
void daemon_ack_ref(struct daemon_ack *a);
void daemon_ack_unref(struct daemon_ack *a);
/* Appends ,"ack":{"first":..,"count":..,"time_ms":..,"root":"..","signature":"..","path":[..]}
 * for the entry at index (inside the batch). 0 or NO_MEMORY / BAD_ARGUMENT. */
int daemon_ack_write(struct daemon_buf *b, const struct daemon_ack *a, uint64_t index);

#endif /* QUOTAD_DAEMON_ACK_H */
