/* verify: the signatures and legs of committed entries, read back (ledger_verify_entries). A
 * standby appends its primary's batches with them deferred and verifies them here, off the path
 * of its confirmation. */
#include <stdio.h>
#include <stdlib.h>

#include "ledger/internal.h"

/* One committed entry: its envelope's signatures against committed keys, its legs against the
 * root it signs. Returns 0, the entry's fault (a 4xx code), or a fault of the machine. */
static int verify_one_entry(struct ledger *l, uint64_t index, uint8_t *leaf, uint8_t *legs) {
  long n = ledger_entry_get(l, index, leaf, PROTO_ENTRY_BYTES_MAX);
  if (n < 0) return (int)n;
  struct proto_entry e;
  int rc = proto_entry_decode(leaf, (size_t)n, &e);
  if (rc) return rc;
  PROTO_ASSERT(e.index == index); /* the store keys entries by their own index */
  rc = ledger_verify_envelope(l, e.envelope, e.envelope_len);
  if (rc) return rc;
  /* stored legs that no longer hash to the entry's legs_root read as CORRUPT: the legs' fault */
  long ln = ledger_entry_legs(l, index, legs, PROTO_LEGS_BYTES_MAX);
  if (ln == PROTO_E_CORRUPT) return PROTO_E_LEGS_ROOT;
  if (ln < 0 && ln != PROTO_E_NOT_FOUND) return (int)ln;
  return ledger_verify_legs(e.envelope, e.envelope_len, ln > 0 ? legs : NULL, ln > 0 ? (size_t)ln : 0);
}

int ledger_verify_entries(struct ledger *l, uint64_t from, uint64_t to, uint64_t *bad_index,
                          char *why, size_t why_cap) {
  PROTO_ASSERT(l != NULL && bad_index != NULL);
  if (why_cap) why[0] = '\0';
  *bad_index = to;
  if (from > to || to > ledger_tree_size(l)) return PROTO_E_BAD_ARGUMENT;
  if (to - from > LEDGER_VERIFY_ENTRIES_MAX) return PROTO_E_TOO_LARGE;
  uint8_t *buf = malloc(PROTO_ENTRY_BYTES_MAX + PROTO_LEGS_BYTES_MAX);
  if (!buf) return PROTO_E_NO_MEMORY;
  int rc = 0;
  uint64_t i = from;
  for (; i < to && rc == 0; i++) rc = verify_one_entry(l, i, buf, buf + PROTO_ENTRY_BYTES_MAX);
  free(buf);
  if (rc == 0) {
    apply__verified_advance(l, from, to);
    return 0;
  }
  *bad_index = i - 1;
  if (proto_err_is_server_fault(rc)) return rc; /* storage, memory: nothing is judged */
  snprintf(why, why_cap, "entry %llu: %s", (unsigned long long)*bad_index, proto_err_name(rc));
  return PROTO_E_DIVERGED;
}

int ledger_sign_verified(struct ledger *l, uint64_t size_max, bool *signed_now) {
  PROTO_ASSERT(l != NULL && signed_now != NULL);
  pthread_mutex_lock(&l->cp_mutex);
  uint64_t had = l->cp_len > 0 ? l->cp_size : 0;
  pthread_mutex_unlock(&l->cp_mutex);
  uint64_t size = ledger_verified_size(l);
  int rc = ledger_sign_at(l, size < size_max ? size : size_max);
  pthread_mutex_lock(&l->cp_mutex);
  *signed_now = rc == 0 && l->cp_len > 0 && l->cp_size != had;
  pthread_mutex_unlock(&l->cp_mutex);
  return rc;
}

uint64_t ledger_verified_size(struct ledger *l) {
  PROTO_ASSERT(l != NULL);
  return __atomic_load_n(&l->verified_size, __ATOMIC_ACQUIRE);
}
