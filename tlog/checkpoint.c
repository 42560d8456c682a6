/* Signed tree heads: C2SP tlog-checkpoint bodies inside C2SP signed notes with Ed25519, and the
 * signed-note verifier key format, readable by any signed-note implementation (e.g. Go's note).
 * The note pieces that cosignatures share (key ids, verifier keys, signature lines) live here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"

#define NOTE_ALG_ED25519 0x01
#define NOTE_ROOT_B64_CHARS 44u /* base64 of 32 bytes */

bool tlog__key_name_valid(const char *name) {
  size_t len = strnlen(name, PROTO_ORIGIN_BYTES_MAX + 1);
  if (len == 0 || len > PROTO_ORIGIN_BYTES_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (name[i] <= 0x20 || name[i] >= 0x7F || name[i] == '+') return false;
  return true;
}

uint32_t tlog__key_id(const char *name, uint8_t alg, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  const uint8_t sep[2] = {'\n', alg};
  const void *parts[3] = {name, sep, pub};
  size_t lens[3] = {strlen(name), sizeof sep, PROTO_PUBKEY_BYTES};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 3, h);
  return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint32_t tlog_note_key_id(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  return tlog__key_id(key_name, NOTE_ALG_ED25519, pub);
}

long tlog__vkey_format(const char *name, uint8_t alg, const uint8_t pub[PROTO_PUBKEY_BYTES],
                       char *out, size_t cap) {
  if (!tlog__key_name_valid(name)) return PROTO_E_BAD_ARGUMENT;
  uint8_t typed[1 + PROTO_PUBKEY_BYTES];
  typed[0] = alg;
  memcpy(typed + 1, pub, PROTO_PUBKEY_BYTES);
  char b64[64];
  long b64_len = proto_base64_encode(typed, sizeof typed, b64, sizeof b64);
  PROTO_ASSERT(b64_len > 0);
  int len = snprintf(out, cap, "%s+%08" PRIx32 "+%s", name, tlog__key_id(name, alg, pub), b64);
  if (len < 0 || (size_t)len >= cap) return PROTO_E_FIELD_TOO_LONG;
  return len;
}

long tlog_verifier_key(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                         size_t cap) {
  return tlog__vkey_format(key_name, NOTE_ALG_ED25519, pub, out, cap);
}

/* The name part of a verifier key (before the first '+'), checked; returns its length or 0. */
static size_t vkey_name(const char *text, size_t len, char name[PROTO_ORIGIN_BYTES_MAX + 1]) {
  const char *plus1 = memchr(text, '+', len);
  if (!plus1) return 0;
  size_t name_len = (size_t)(plus1 - text);
  if (name_len == 0 || name_len > PROTO_ORIGIN_BYTES_MAX || len < name_len + 1 + 9 ||
      plus1[9] != '+')
    return 0;
  memcpy(name, text, name_len);
  name[name_len] = '\0';
  return tlog__key_name_valid(name) ? name_len : 0;
}

int tlog__vkey_parse(const char *text, uint8_t alg, char *name, size_t name_cap,
                     uint8_t pub[PROTO_PUBKEY_BYTES]) {
  size_t len = strnlen(text, TLOG_VERIFIER_KEY_BYTES_MAX + 1);
  if (len > TLOG_VERIFIER_KEY_BYTES_MAX) return PROTO_E_BAD_KEY;
  char name_buf[PROTO_ORIGIN_BYTES_MAX + 1];
  size_t name_len = vkey_name(text, len, name_buf);
  if (name_len == 0) return PROTO_E_BAD_KEY;
  const char *hex = text + name_len + 1, *b64 = hex + 9;
  /* one text per key: the id in lowercase hex, as it is written */
  for (size_t i = 0; i < 8; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return PROTO_E_BAD_KEY;
  uint8_t id[TLOG__KEY_ID_BYTES], typed[1 + PROTO_PUBKEY_BYTES];
  if (proto_hex_decode(hex, 8, id, sizeof id) != TLOG__KEY_ID_BYTES) return PROTO_E_BAD_KEY;
  size_t b64_len = len - (size_t)(b64 - text);
  if (proto_base64_decode(b64, b64_len, typed, sizeof typed) != (long)sizeof typed ||
      typed[0] != alg)
    return PROTO_E_BAD_KEY;
  uint32_t want = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
  if (tlog__key_id(name_buf, alg, typed + 1) != want) return PROTO_E_BAD_KEY;
  struct proto_key *key = proto_key_from_public(typed + 1); /* the crypto library takes it */
  if (!key) return PROTO_E_BAD_KEY;
  proto_key_free(key);
  if (name_len + 1 > name_cap) return PROTO_E_FIELD_TOO_LONG;
  memcpy(name, name_buf, name_len + 1);
  memcpy(pub, typed + 1, PROTO_PUBKEY_BYTES);
  return 0;
}

int tlog_verifier_key_parse(const char *text, char *name, size_t name_cap,
                              uint8_t pub[PROTO_PUBKEY_BYTES]) {
  return tlog__vkey_parse(text, NOTE_ALG_ED25519, name, name_cap, pub);
}

/* Origins we sign: the same rule as a transaction's origin field (1-128 printable ASCII, no
 * space), so a registry's origin reads the same in every place. */
static bool origin_valid(const char *origin) {
  size_t len = strnlen(origin, PROTO_ORIGIN_BYTES_MAX + 1);
  if (len == 0 || len > PROTO_ORIGIN_BYTES_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (origin[i] <= 0x20 || origin[i] >= 0x7F) return false;
  return true;
}

long tlog_checkpoint_sign(const struct tlog_checkpoint *cp, const char *key_name,
                            const struct proto_key *key, char *out, size_t cap) {
  if (!origin_valid(cp->origin)) return PROTO_E_BAD_ORIGIN;
  if (!tlog__key_name_valid(key_name)) return PROTO_E_BAD_ARGUMENT;
  char root_b64[NOTE_ROOT_B64_CHARS + 1];
  long rc = proto_base64_encode(cp->root, PROTO_HASH_BYTES, root_b64, sizeof root_b64);
  PROTO_ASSERT(rc == NOTE_ROOT_B64_CHARS);
  char text[TLOG_CHECKPOINT_BYTES_MAX];
  int text_len = snprintf(text, sizeof text, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root_b64);
  PROTO_ASSERT(text_len > 0 && (size_t)text_len < sizeof text);
  /* the signature line carries the key id first, then the signature over the note text */
  uint8_t pub[PROTO_PUBKEY_BYTES], blob[TLOG__KEY_ID_BYTES + PROTO_SIG_BYTES];
  proto_key_public(key, pub);
  uint32_t id = tlog_note_key_id(key_name, pub);
  for (unsigned i = 0; i < TLOG__KEY_ID_BYTES; i++) blob[i] = (uint8_t)(id >> (24 - 8 * i));
  int sign_rc = proto_sign(key, text, (size_t)text_len, blob + TLOG__KEY_ID_BYTES);
  if (sign_rc != 0) return sign_rc;
  char blob_b64[2 * sizeof blob];
  rc = proto_base64_encode(blob, sizeof blob, blob_b64, sizeof blob_b64);
  PROTO_ASSERT(rc > 0);
  int len = snprintf(out, cap, "%s\n%s%s %s\n", text, TLOG__EM_DASH_SPACE, key_name, blob_b64);
  if (len < 0 || (size_t)len >= cap) return PROTO_E_FIELD_TOO_LONG;
  return len;
}

/* A signed note is UTF-8 without control characters except the newline (C0, DEL and C1). */
static bool note_chars_valid(const char *text, size_t len) {
  const uint8_t *s = (const uint8_t *)text;
  for (size_t i = 0; i < len;) {
    uint32_t cp = 0;
    size_t n = proto_utf8_next(s + i, len - i, &cp);
    if (n == 0) return false;
    if ((cp < 0x20 && cp != '\n') || (cp >= 0x7F && cp <= 0x9F)) return false;
    i += n;
  }
  return true;
}

/* The tree size line: decimal, no sign, no leading zero except "0" itself, fits 64 bits. */
bool tlog__u64_parse(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
      return false;
  }
  *out = v;
  return true;
}

/* The checkpoint body: origin, size and root lines, then optional extension lines (C2SP allows
 * them; they are covered by the signature like the rest and not interpreted here). text ends
 * with '\n' and holds no empty line but possibly the first. */
static int body_parse(const char *text, size_t len, struct tlog_checkpoint *cp) {
  const char *lines[3];
  size_t lens[3], at = 0;
  for (unsigned i = 0; i < 3; i++) {
    const char *nl = at < len ? memchr(text + at, '\n', len - at) : NULL;
    if (!nl) return PROTO_E_BAD_CHECKPOINT;
    lines[i] = text + at;
    lens[i] = (size_t)(nl - lines[i]);
    at += lens[i] + 1;
  }
  if (lens[0] == 0 || lens[0] > PROTO_ORIGIN_BYTES_MAX) return PROTO_E_BAD_CHECKPOINT;
  if (!tlog__u64_parse(lines[1], lens[1], &cp->size)) return PROTO_E_BAD_CHECKPOINT;
  if (lens[2] != NOTE_ROOT_B64_CHARS ||
      proto_base64_decode(lines[2], lens[2], cp->root, PROTO_HASH_BYTES) != PROTO_HASH_BYTES)
    return PROTO_E_BAD_CHECKPOINT;
  memcpy(cp->origin, lines[0], lens[0]);
  cp->origin[lens[0]] = '\0';
  return 0;
}

int tlog__sig_line_parse(const char *line, size_t len, struct tlog__sig_line *out) {
  if (len > TLOG_NOTE_SIG_LINE_BYTES_MAX || len < TLOG__EM_DASH_SPACE_BYTES ||
      memcmp(line, TLOG__EM_DASH_SPACE, TLOG__EM_DASH_SPACE_BYTES) != 0)
    return PROTO_E_BAD_CHECKPOINT;
  const char *name = line + TLOG__EM_DASH_SPACE_BYTES;
  size_t rest = len - TLOG__EM_DASH_SPACE_BYTES;
  const char *space = memchr(name, ' ', rest);
  if (!space || space == name || memchr(name, '+', (size_t)(space - name)))
    return PROTO_E_BAD_CHECKPOINT;
  const char *b64 = space + 1;
  size_t b64_len = rest - (size_t)(b64 - name);
  long n = proto_base64_decode(b64, b64_len, out->blob, sizeof out->blob);
  /* a key id and at least one byte of signature; a space inside base64 fails to decode */
  if (n < (long)TLOG__KEY_ID_BYTES + 1) return PROTO_E_BAD_CHECKPOINT;
  out->name = name;
  out->name_len = (size_t)(space - name);
  out->blob_len = (size_t)n;
  out->key_id = (uint32_t)out->blob[0] << 24 | (uint32_t)out->blob[1] << 16 |
                (uint32_t)out->blob[2] << 8 | out->blob[3];
  return 0;
}

int tlog__sig_line_next(const char *block, size_t len, size_t *at, struct tlog__sig_line *out,
                        size_t *line_start) {
  PROTO_ASSERT(len == 0 || block[len - 1] == '\n');
  if (*at >= len) return 0;
  const char *nl = memchr(block + *at, '\n', len - *at);
  PROTO_ASSERT(nl != NULL);
  size_t start = *at;
  int rc = tlog__sig_line_parse(block + start, (size_t)(nl - (block + start)), out);
  if (rc != 0) return rc;
  *at = (size_t)(nl - block) + 1;
  if (line_start) *line_start = start;
  return 1;
}

/* Every line of a signature block parses and there are 1..100 of them. */
static int sig_block_check(const char *block, size_t len) {
  if (len == 0 || block[len - 1] != '\n') return PROTO_E_BAD_CHECKPOINT;
  size_t at = 0;
  struct tlog__sig_line sl;
  for (unsigned count = 0;; count++) {
    int rc = tlog__sig_line_next(block, len, &at, &sl, NULL);
    if (rc < 0) return rc;
    if (rc == 0) return 0;
    if (count == TLOG_NOTE_SIG_LINES_MAX) return PROTO_E_BAD_CHECKPOINT;
  }
}

int tlog_note_parse(const char *note, size_t len, struct tlog_note *out) {
  if (len > TLOG_NOTE_BYTES_MAX || !note_chars_valid(note, len)) return PROTO_E_BAD_CHECKPOINT;
  /* The note text ends at the first blank line; everything after it is signature lines. A blank
   * line anywhere else makes one of the two parts malformed. */
  const char *split = memmem(note, len, "\n\n", 2);
  if (!split) return PROTO_E_BAD_CHECKPOINT;
  size_t text_len = (size_t)(split - note) + 1;
  if (text_len > TLOG_CHECKPOINT_BYTES_MAX) return PROTO_E_BAD_CHECKPOINT;
  struct tlog_note n;
  memset(&n, 0, sizeof n);
  int rc = body_parse(note, text_len, &n.cp);
  if (rc != 0) return rc;
  n.text = note;
  n.text_len = text_len;
  n.sigs = split + 2;
  n.sigs_len = len - text_len - 1;
  rc = sig_block_check(n.sigs, n.sigs_len);
  if (rc != 0) return rc;
  *out = n;
  return 0;
}

long tlog_note_lines_of(const struct tlog_note *n, const char *name, uint32_t key_id, char *out,
                        size_t cap) {
  size_t name_len = strlen(name), at = 0, start = 0, used = 0;
  struct tlog__sig_line sl;
  while (tlog__sig_line_next(n->sigs, n->sigs_len, &at, &sl, &start) == 1) {
    if (sl.name_len != name_len || memcmp(sl.name, name, name_len) != 0 || sl.key_id != key_id)
      continue;
    if (cap - used < at - start) return PROTO_E_FIELD_TOO_LONG;
    memcpy(out + used, n->sigs + start, at - start);
    used += at - start;
  }
  return (long)used;
}

int tlog_checkpoint_verify(const char *text, size_t len, const char *key_name,
                             const uint8_t pub[PROTO_PUBKEY_BYTES], struct tlog_checkpoint *out) {
  struct tlog_note n;
  int rc = tlog_note_parse(text, len, &n);
  if (rc != 0) return rc;
  struct proto_key *key = proto_key_from_public(pub);
  if (!key) return PROTO_E_BAD_KEY;
  uint32_t id = tlog_note_key_id(key_name, pub);
  size_t name_len = strlen(key_name), at = 0;
  unsigned ours = 0, valid = 0;
  struct tlog__sig_line sl;
  while (tlog__sig_line_next(n.sigs, n.sigs_len, &at, &sl, NULL) == 1) {
    if (sl.name_len != name_len || memcmp(sl.name, key_name, name_len) != 0 || sl.key_id != id)
      continue; /* another signer's line: C2SP says ignore it */
    ours++;
    if (sl.blob_len == TLOG__KEY_ID_BYTES + PROTO_SIG_BYTES &&
        proto_verify(key, n.text, n.text_len, sl.blob + TLOG__KEY_ID_BYTES) == 0)
      valid++;
  }
  proto_key_free(key);
  /* a line by our key that does not verify is a forgery, even beside a valid one */
  if (ours == 0 || valid != ours) return PROTO_E_BAD_SIGNATURE;
  if (out) *out = n.cp;
  return 0;
}
