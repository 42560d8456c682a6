/* Witness cosignatures: C2SP tlog-cosignature's cosignature/v1 (Ed25519 with a timestamp), the
 * cosigner's key id and verifier key (algorithm 0x04), signing and finding a cosigner's line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"

#define COSIG_HEADER "cosignature/v1\n"
#define COSIG_TIME_BYTES 8u
/* the message's two header lines at most: the header and "time " + 19 digits + "\n" */
#define COSIG_MESSAGE_HEAD_BYTES_MAX (sizeof COSIG_HEADER - 1u + 5u + 19u + 1u)

uint32_t tlog_cosig_key_id(const char *name, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  return tlog__key_id(name, TLOG_COSIG_ALG, pub);
}

long tlog_cosig_verifier_key(const char *name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                             size_t cap) {
  return tlog__vkey_format(name, TLOG_COSIG_ALG, pub, out, cap);
}

int tlog_cosig_verifier_key_parse(const char *text, struct tlog_cosigner *out) {
  struct tlog_cosigner c;
  memset(&c, 0, sizeof c);
  int rc = tlog__vkey_parse(text, TLOG_COSIG_ALG, c.name, sizeof c.name, c.pub);
  if (rc != 0) return PROTO_E_BAD_KEY;
  c.key_id = tlog_cosig_key_id(c.name, c.pub);
  *out = c;
  return 0;
}

long tlog_cosig_message(const char *text, size_t text_len, uint64_t time_s, char *out,
                        size_t cap) {
  if (time_s > TLOG_COSIG_TIME_MAX) return PROTO_E_BAD_ARGUMENT;
  int head = snprintf(out, cap, COSIG_HEADER "time %" PRIu64 "\n", time_s);
  if (head < 0 || (size_t)head >= cap || cap - (size_t)head <= text_len)
    return PROTO_E_FIELD_TOO_LONG;
  memcpy(out + head, text, text_len);
  out[(size_t)head + text_len] = '\0';
  return (long)((size_t)head + text_len);
}

long tlog_cosign(const char *text, size_t text_len, const char *name, const struct proto_key *key,
                 uint64_t time_s, char *out, size_t cap) {
  if (!tlog__key_name_valid(name) || text_len > TLOG_CHECKPOINT_BYTES_MAX)
    return PROTO_E_BAD_ARGUMENT;
  char msg[COSIG_MESSAGE_HEAD_BYTES_MAX + TLOG_CHECKPOINT_BYTES_MAX + 1];
  long msg_len = tlog_cosig_message(text, text_len, time_s, msg, sizeof msg);
  if (msg_len < 0) return msg_len;
  /* the blob: key id, then the timestamp big-endian, then the signature (timestamped_signature) */
  uint8_t pub[PROTO_PUBKEY_BYTES], blob[TLOG_COSIG_BLOB_BYTES];
  proto_key_public(key, pub);
  uint32_t id = tlog_cosig_key_id(name, pub);
  for (unsigned i = 0; i < TLOG__KEY_ID_BYTES; i++) blob[i] = (uint8_t)(id >> (24 - 8 * i));
  for (unsigned i = 0; i < COSIG_TIME_BYTES; i++)
    blob[TLOG__KEY_ID_BYTES + i] = (uint8_t)(time_s >> (56 - 8 * i));
  int rc = proto_sign(key, msg, (size_t)msg_len, blob + TLOG__KEY_ID_BYTES + COSIG_TIME_BYTES);
  if (rc != 0) return rc;
  char b64[2 * TLOG_COSIG_BLOB_BYTES];
  long b64_len = proto_base64_encode(blob, sizeof blob, b64, sizeof b64);
  PROTO_ASSERT(b64_len == 104);
  int len = snprintf(out, cap, "%s%s %s\n", TLOG__EM_DASH_SPACE, name, b64);
  if (len < 0 || (size_t)len >= cap) return PROTO_E_FIELD_TOO_LONG;
  PROTO_ASSERT((size_t)len <= TLOG_COSIG_LINE_BYTES_MAX);
  return len;
}

/* One line by the cosigner: 0 when it is a valid cosignature/v1 over text (its time in *time_s),
 * BAD_SIGNATURE otherwise (wrong length, time past 2^63 - 1, signature). */
static int cosig_line_check(const struct tlog__sig_line *sl, const struct proto_key *key,
                            const char *text, size_t text_len, uint64_t *time_s) {
  PROTO_ASSERT(sl->blob_len >= TLOG__KEY_ID_BYTES);
  if (sl->blob_len != TLOG_COSIG_BLOB_BYTES) return PROTO_E_BAD_SIGNATURE;
  uint64_t t = 0;
  for (unsigned i = 0; i < COSIG_TIME_BYTES; i++) t = t << 8 | sl->blob[TLOG__KEY_ID_BYTES + i];
  char msg[COSIG_MESSAGE_HEAD_BYTES_MAX + TLOG_CHECKPOINT_BYTES_MAX + 1];
  long msg_len = tlog_cosig_message(text, text_len, t, msg, sizeof msg);
  if (msg_len < 0) return PROTO_E_BAD_SIGNATURE;
  if (proto_verify(key, msg, (size_t)msg_len, sl->blob + TLOG__KEY_ID_BYTES + COSIG_TIME_BYTES))
    return PROTO_E_BAD_SIGNATURE;
  *time_s = t;
  return 0;
}

int tlog_cosig_find(const char *sigs, size_t sigs_len, const char *text, size_t text_len,
                    const struct tlog_cosigner *c, uint64_t *time_s, const char **line,
                    size_t *line_len) {
  if (sigs_len == 0 || sigs[sigs_len - 1] != '\n') return PROTO_E_BAD_CHECKPOINT;
  if (text_len > TLOG_CHECKPOINT_BYTES_MAX) return PROTO_E_BAD_CHECKPOINT;
  struct proto_key *key = proto_key_from_public(c->pub);
  if (!key) return PROTO_E_BAD_KEY;
  size_t name_len = strlen(c->name), at = 0, start = 0;
  unsigned ours = 0, lines = 0;
  uint64_t best = 0;
  int rc, found = PROTO_E_NOT_FOUND;
  struct tlog__sig_line sl;
  while ((rc = tlog__sig_line_next(sigs, sigs_len, &at, &sl, &start)) == 1) {
    if (++lines > TLOG_NOTE_SIG_LINES_MAX) break;
    if (sl.name_len != name_len || memcmp(sl.name, c->name, name_len) != 0 ||
        sl.key_id != c->key_id)
      continue; /* another signer's line: ignored, as C2SP says */
    ours++;
    uint64_t t = 0;
    if (cosig_line_check(&sl, key, text, text_len, &t) != 0) continue;
    /* several valid lines (a witness asked twice): the latest statement counts */
    if (found == 0 && t <= best) continue;
    found = 0;
    best = t;
    if (line) *line = sigs + start;
    if (line_len) *line_len = at - start;
  }
  proto_key_free(key);
  if (rc < 0 || lines > TLOG_NOTE_SIG_LINES_MAX) return PROTO_E_BAD_CHECKPOINT;
  if (found != 0 && ours > 0) return PROTO_E_BAD_SIGNATURE;
  if (found == 0 && time_s) *time_s = best;
  return found;
}

int tlog_cosig_verify(const char *note, size_t len, const struct tlog_cosigner *c,
                      uint64_t *time_s) {
  struct tlog_note n;
  int rc = tlog_note_parse(note, len, &n);
  if (rc != 0) return rc;
  return tlog_cosig_find(n.sigs, n.sigs_len, n.text, n.text_len, c, time_s, NULL, NULL);
}
