/* The C2SP tlog-witness add-checkpoint exchange, both sides: the request body a log sends (old
 * size, consistency proof, checkpoint) and the two answers it reads back (cosignature lines, or
 * the witness's size with 409). quota-witness parses requests with it; quotad's client builds them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"

#define HASH_B64_CHARS 44u /* base64 of 32 bytes, with its one '=' */
#define OLD_PREFIX "old "
#define OLD_PREFIX_BYTES 4u
#define U64_DIGITS_MAX 20u

long tlog_witness_request_build(uint64_t old_size, const uint8_t (*proof)[PROTO_HASH_BYTES],
                                size_t proof_len, const char *note, size_t note_len, char *out,
                                size_t cap) {
  struct tlog_note n;
  if (tlog_note_parse(note, note_len, &n) != 0) return PROTO_E_BAD_CHECKPOINT;
  if (proof_len > TLOG_WITNESS_PROOF_LINES_MAX || (old_size == 0 && proof_len > 0) ||
      old_size > n.cp.size)
    return PROTO_E_BAD_ARGUMENT;
  int at = snprintf(out, cap, OLD_PREFIX "%" PRIu64 "\n", old_size);
  if (at < 0 || (size_t)at >= cap) return PROTO_E_FIELD_TOO_LONG;
  size_t used = (size_t)at;
  for (size_t i = 0; i < proof_len; i++) {
    if (cap - used < HASH_B64_CHARS + 2) return PROTO_E_FIELD_TOO_LONG;
    long b = proto_base64_encode(proof[i], PROTO_HASH_BYTES, out + used, cap - used);
    PROTO_ASSERT(b == HASH_B64_CHARS);
    used += HASH_B64_CHARS;
    out[used++] = '\n';
  }
  if (cap - used < note_len + 2) return PROTO_E_FIELD_TOO_LONG;
  out[used++] = '\n';
  memcpy(out + used, note, note_len);
  used += note_len;
  out[used] = '\0';
  return (long)used;
}

/* The line at body[*at..len) without its newline; advances *at. NULL when no newline follows. */
static const char *line_next(const char *body, size_t len, size_t *at, size_t *line_len) {
  if (*at >= len) return NULL;
  const char *start = body + *at, *nl = memchr(start, '\n', len - *at);
  if (!nl) return NULL;
  *line_len = (size_t)(nl - start);
  *at += *line_len + 1;
  return start;
}

int tlog_witness_request_parse(const char *body, size_t len, struct tlog_witness_request *out) {
  if (len > TLOG_WITNESS_REQUEST_BYTES_MAX) return PROTO_E_BAD_REQUEST;
  size_t at = 0, ll = 0;
  const char *l = line_next(body, len, &at, &ll);
  if (!l || ll <= OLD_PREFIX_BYTES || memcmp(l, OLD_PREFIX, OLD_PREFIX_BYTES) != 0 ||
      !tlog__u64_parse(l + OLD_PREFIX_BYTES, ll - OLD_PREFIX_BYTES, &out->old_size))
    return PROTO_E_BAD_REQUEST;
  out->proof_len = 0;
  for (;;) {
    l = line_next(body, len, &at, &ll);
    if (!l) return PROTO_E_BAD_REQUEST;
    if (ll == 0) break; /* the blank line before the checkpoint */
    if (out->proof_len == TLOG_WITNESS_PROOF_LINES_MAX || ll != HASH_B64_CHARS ||
        proto_base64_decode(l, ll, out->proof[out->proof_len], PROTO_HASH_BYTES) !=
            PROTO_HASH_BYTES)
      return PROTO_E_BAD_REQUEST;
    out->proof_len++;
  }
  /* the proof must be empty from size 0 (C2SP), so a non-empty one there is malformed */
  if (out->old_size == 0 && out->proof_len != 0) return PROTO_E_BAD_REQUEST;
  if (tlog_note_parse(body + at, len - at, &out->note) != 0) return PROTO_E_BAD_REQUEST;
  return 0;
}

long tlog_witness_size_format(uint64_t size, char *out, size_t cap) {
  int n = snprintf(out, cap, "%" PRIu64 "\n", size);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  return n;
}

int tlog_witness_size_parse(const char *body, size_t len, uint64_t *size) {
  if (len < 2 || len > U64_DIGITS_MAX + 1 || body[len - 1] != '\n') return PROTO_E_BAD_REQUEST;
  return tlog__u64_parse(body, len - 1, size) ? 0 : PROTO_E_BAD_REQUEST;
}

int tlog_witness_response_parse(const char *body, size_t len, const char *text, size_t text_len,
                                const struct tlog_cosigner *c, uint64_t *time_s,
                                const char **line, size_t *line_len) {
  if (len == 0 || len > TLOG_NOTE_SIG_LINES_MAX * TLOG_NOTE_SIG_LINE_BYTES_MAX ||
      body[len - 1] != '\n')
    return PROTO_E_BAD_REQUEST;
  int rc = tlog_cosig_find(body, len, text, text_len, c, time_s, line, line_len);
  return rc == PROTO_E_BAD_CHECKPOINT ? PROTO_E_BAD_REQUEST : rc;
}
