/* libFuzzer target: quota-witness's request parser (tlog_witness_request_parse), the 409 size
 * answer and the tlog-policy parser. The first byte picks the parser. What parses as a request
 * must build back to the same bytes (the body is canonical); what parses as a policy must hold its
 * limits and evaluate its quorum without a crash. Seeds: scripts/fuzz.sh writes requests around
 * tlog-vectors.json's checkpoint and a policy. Links tlog and proto. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const char *body, size_t len) {
  static struct tlog_witness_request r;
  if (tlog_witness_request_parse(body, len, &r) != 0) return;
  assert(r.proof_len <= TLOG_WITNESS_PROOF_LINES_MAX && (r.old_size > 0 || r.proof_len == 0));
  static char again[TLOG_WITNESS_REQUEST_BYTES_MAX + 1];
  size_t note_len = r.note.text_len + 1 + r.note.sigs_len;
  /* build refuses old > size, which the parser leaves to the witness */
  long n = tlog_witness_request_build(r.old_size, (const uint8_t(*)[PROTO_HASH_BYTES])r.proof,
                                      r.proof_len, r.note.text, note_len, again, sizeof again);
  if (r.old_size > r.note.cp.size) {
    assert(n == PROTO_E_BAD_ARGUMENT);
    return;
  }
  assert(n == (long)len && memcmp(again, body, len) == 0);
}

static void check_size(const char *body, size_t len) {
  uint64_t s = 0;
  if (tlog_witness_size_parse(body, len, &s) != 0) return;
  char again[32];
  long n = tlog_witness_size_format(s, again, sizeof again);
  assert(n == (long)len && memcmp(again, body, len) == 0);
}

static void check_policy(const char *text, size_t len) {
  static struct tlog_policy p;
  struct tlog_policy_error err;
  if (tlog_policy_parse(text, len, &p, &err) != 0) {
    assert(err.line <= len + 1 && err.message[0] != '\0');
    return;
  }
  assert(p.logs_count <= TLOG_POLICY_LOGS_MAX && p.witnesses_count <= TLOG_POLICY_WITNESSES_MAX &&
         p.groups_count <= TLOG_POLICY_GROUPS_MAX);
  bool all[TLOG_POLICY_WITNESSES_MAX], none[TLOG_POLICY_WITNESSES_MAX] = {false};
  for (unsigned i = 0; i < TLOG_POLICY_WITNESSES_MAX; i++) all[i] = true;
  /* quorums are monotone: every witness meets any quorum that some set meets */
  assert(!tlog_policy_quorum_met(&p, none) || tlog_policy_quorum_met(&p, all));
  assert(tlog_policy_quorum_met(&p, all));
  (void)tlog_policy_check_majority(&p, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 3) {
  case 0: check_request(text, len); break;
  case 1: check_size(text, len); break;
  default: check_policy(text, len); break;
  }
  return 0;
}
