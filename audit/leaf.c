/* audit_replay_leaf: one log leaf from raw bytes to the rules. Decodes entry, envelope and body,
 * re-encodes each to prove the bytes are the one canonical encoding, then hands the decoded
 * transaction and its signatures to the replay. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

#define LEAF_SCRATCH_BYTES (PROTO_ENTRY_BYTES_MAX + PROTO_ORIGIN_BYTES_MAX + 64u)

/* A failure before the transaction is known: "entry N: ...". */
static int leaf_fail(struct audit_replay *r, struct audit_failure *fail, uint64_t index, int code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int leaf_fail(struct audit_replay *r, struct audit_failure *fail, uint64_t index, int code,
                     const char *fmt, ...) {
  fail->index = index;
  fail->code = code;
  int n = snprintf(fail->text, sizeof(fail->text), "entry %llu: ", (unsigned long long)index);
  if (n > 0 && (size_t)n < sizeof(fail->text)) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail->text + n, sizeof(fail->text) - (size_t)n, fmt, ap);
    va_end(ap);
  }
  r->failed = true;
  r->failure = *fail;
  return code;
}

/* Re-encoding gave `got` bytes (or an error): they must be the input exactly. */
static int same_bytes(long got, const uint8_t *again, const uint8_t *in, size_t len) {
  return got >= 0 && (size_t)got == len && memcmp(again, in, len) == 0;
}

struct leaf_parts {
  struct proto_entry entry;
  struct proto_envelope env;
  struct proto_tx tx;
};

static int leaf_decode(struct audit_replay *r, const uint8_t *leaf, size_t len,
                       struct leaf_parts *p, uint8_t *scratch, struct audit_failure *fail) {
  uint64_t at = r->entries;
  int rc = proto_entry_decode(leaf, len, &p->entry);
  if (rc) return leaf_fail(r, fail, at, rc, "the entry does not decode: %s", proto_err_message(rc));
  if (p->entry.index != at)
    return leaf_fail(r, fail, at, PROTO_E_BAD_ARGUMENT,
                     "the entry at position %llu says it is entry %llu", (unsigned long long)at,
                     (unsigned long long)p->entry.index);
  if (!same_bytes(proto_entry_encode(&p->entry, scratch, LEAF_SCRATCH_BYTES), scratch, leaf, len))
    return leaf_fail(r, fail, at, PROTO_E_BAD_ARGUMENT, "the entry is not canonical");
  rc = proto_envelope_decode(p->entry.envelope, p->entry.envelope_len, &p->env);
  if (rc) return leaf_fail(r, fail, at, rc, "the envelope does not decode: %s", proto_err_message(rc));
  if (!same_bytes(proto_envelope_encode(&p->env, scratch, LEAF_SCRATCH_BYTES), scratch,
                  p->entry.envelope, p->entry.envelope_len))
    return leaf_fail(r, fail, at, PROTO_E_BAD_ARGUMENT, "the envelope is not canonical");
  rc = proto_tx_decode(p->env.body, p->env.body_len, &p->tx);
  if (rc) return leaf_fail(r, fail, at, rc, "the body does not decode: %s", proto_err_message(rc));
  if (!same_bytes(proto_tx_encode(&p->tx, scratch, LEAF_SCRATCH_BYTES), scratch, p->env.body,
                  p->env.body_len)) {
    proto_tx_free(&p->tx);
    return leaf_fail(r, fail, at, PROTO_E_BAD_ARGUMENT, "the body is not canonical");
  }
  return 0;
}

/* A version 2 settle's legs, beside the leaf: attached (canonical, legs_count of them) and hashed
 * against the root the exchange signed. */
static int leaf_legs(struct audit_replay *r, struct leaf_parts *p, const uint8_t *legs,
                     size_t legs_len, uint8_t *scratch, struct audit_failure *fail) {
  uint64_t at = r->entries;
  bool v2 = p->tx.type == PROTO_TX_SETTLE && proto_tx_version(&p->tx) == 2;
  if (!v2 && legs)
    return leaf_fail(r, fail, at, PROTO_E_LEGS_UNEXPECTED, "legs beside an entry that has none");
  if (!v2) return 0;
  if (!legs)
    return leaf_fail(r, fail, at, PROTO_E_LEGS_MISSING, "the settlement's %u legs are missing",
                     (unsigned)p->tx.u.settle.legs_count);
  int rc = proto_settle_attach_legs(&p->tx, legs, legs_len);
  if (rc) return leaf_fail(r, fail, at, rc, "the settlement's legs: %s", proto_err_message(rc));
  long n = proto_legs_encode(p->tx.u.settle.legs, p->tx.u.settle.legs_count, scratch, LEAF_SCRATCH_BYTES);
  if (!same_bytes(n, scratch, legs, legs_len))
    return leaf_fail(r, fail, at, PROTO_E_BAD_ARGUMENT, "the settlement's legs are not canonical");
  rc = tlog_legs_check(&p->tx);
  if (rc)
    return leaf_fail(r, fail, at, rc, "the %u legs do not hash to the signed legs_root",
                     (unsigned)p->tx.u.settle.legs_count);
  return 0;
}

int audit_replay_leaf(struct audit_replay *r, const uint8_t *leaf, size_t len,
                      const int *sig_status, struct audit_failure *fail) {
  return audit_replay_leaf_legs(r, leaf, len, NULL, 0, sig_status, fail);
}

int audit_replay_leaf_legs(struct audit_replay *r, const uint8_t *leaf, size_t len,
                           const uint8_t *legs, size_t legs_len, const int *sig_status,
                           struct audit_failure *fail) {
  if (r->failed) {
    *fail = r->failure;
    return r->failure.code;
  }
  if (!r->scratch) r->scratch = malloc(LEAF_SCRATCH_BYTES);
  uint8_t *scratch = r->scratch;
  if (!scratch) return leaf_fail(r, fail, r->entries, PROTO_E_NO_MEMORY, "out of memory");
  struct leaf_parts p;
  int rc = leaf_decode(r, leaf, len, &p, scratch, fail);
  if (rc) return rc;
  rc = leaf_legs(r, &p, legs, legs_len, scratch, fail);
  if (rc) {
    proto_tx_free(&p.tx);
    return rc;
  }
  struct audit_signer signers[PROTO_SIGS_MAX];
  for (size_t i = 0; i < p.env.sigs_count; i++) {
    memcpy(signers[i].key_hash, p.env.sigs[i].key_hash, PROTO_HASH_BYTES);
    signers[i].status = sig_status ? sig_status[i] : AUDIT_SIG_VALID;
  }
  /* The genesis is signed under the origin it declares; every later entry under that one. */
  const char *origin = p.tx.type == PROTO_TX_GENESIS ? p.tx.u.genesis.origin : r->origin;
  long msg_len = 0;
  if (!sig_status) {
    msg_len = proto_signing_message(origin, p.env.body, p.env.body_len, scratch, LEAF_SCRATCH_BYTES);
    if (msg_len < 0 && r->genesis_done)
      rc = leaf_fail(r, fail, r->entries, (int)msg_len, "no signing message: %s",
                     proto_err_message((int)msg_len));
    if (msg_len < 0) msg_len = 0; /* before the genesis: the sequence check names it */
  }
  if (!rc) {
    struct audit_ctx c = {r, &p.tx, p.entry.index, p.entry.time_ms, p.entry.withheld,
                          signers, p.env.sigs_count, fail};
    rc = audit__replay(r, &c, sig_status ? NULL : scratch, (size_t)msg_len,
                       sig_status ? NULL : p.env.sigs);
  }
  proto_tx_free(&p.tx);
  return rc;
}
