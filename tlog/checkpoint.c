/* Signed tree heads: C2SP tlog-checkpoint bodies inside C2SP signed notes with Ed25519, and the
 * signed-note verifier key format, readable by any signed-note implementation (e.g. Go's note). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tlog/tlog.h"

/* Signed-note limits: C2SP lets a verifier refuse notes with more than 100 signatures. A line of
 * an unknown signer is ignored but still bounded, so a note costs bounded work. */
#define NOTE_SIG_LINES_MAX 100u
#define NOTE_SIG_LINE_BYTES_MAX 1024u
#define NOTE_BYTES_MAX (TLOG_CHECKPOINT_BYTES_MAX + NOTE_SIG_LINES_MAX * NOTE_SIG_LINE_BYTES_MAX)
#define NOTE_ALG_ED25519 0x01
#define NOTE_KEY_ID_BYTES 4u
#define NOTE_ROOT_B64_CHARS 44u /* base64 of 32 bytes */

static const char em_dash_space[] = "\xE2\x80\x94 "; /* U+2014 then a space */
#define EM_DASH_SPACE_BYTES 4u

/* A key name of ours: 1..128 printable ASCII bytes, no space and no '+' (the verifier key's
 * separator). Signed notes allow more (UTF-8); quotad names keys by their ASCII origin. */
static bool key_name_valid(const char *name) {
  size_t len = strnlen(name, PROTO_ORIGIN_BYTES_MAX + 1);
  if (len == 0 || len > PROTO_ORIGIN_BYTES_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (name[i] <= 0x20 || name[i] >= 0x7F || name[i] == '+') return false;
  return true;
}

uint32_t tlog_note_key_id(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  static const uint8_t sep[2] = {'\n', NOTE_ALG_ED25519};
  const void *parts[3] = {key_name, sep, pub};
  size_t lens[3] = {strlen(key_name), sizeof sep, PROTO_PUBKEY_BYTES};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 3, h);
  return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

long tlog_verifier_key(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                         size_t cap) {
  if (!key_name_valid(key_name)) return PROTO_E_BAD_ARGUMENT;
  uint8_t typed[1 + PROTO_PUBKEY_BYTES];
  typed[0] = NOTE_ALG_ED25519;
  memcpy(typed + 1, pub, PROTO_PUBKEY_BYTES);
  char b64[64];
  long b64_len = proto_base64_encode(typed, sizeof typed, b64, sizeof b64);
  PROTO_ASSERT(b64_len > 0);
  int len = snprintf(out, cap, "%s+%08" PRIx32 "+%s", key_name, tlog_note_key_id(key_name, pub), b64);
  if (len < 0 || (size_t)len >= cap) return PROTO_E_FIELD_TOO_LONG;
  return len;
}

int tlog_verifier_key_parse(const char *text, char *name, size_t name_cap,
                              uint8_t pub[PROTO_PUBKEY_BYTES]) {
  size_t len = strnlen(text, TLOG_VERIFIER_KEY_BYTES_MAX + 1);
  if (len > TLOG_VERIFIER_KEY_BYTES_MAX) return PROTO_E_BAD_KEY;
  const char *plus1 = memchr(text, '+', len);
  if (!plus1) return PROTO_E_BAD_KEY;
  size_t name_len = (size_t)(plus1 - text);
  const char *hex = plus1 + 1, *b64 = hex + 9;
  if (len < name_len + 1 + 9 || hex[8] != '+') return PROTO_E_BAD_KEY;
  char name_buf[PROTO_ORIGIN_BYTES_MAX + 1];
  if (name_len == 0 || name_len > PROTO_ORIGIN_BYTES_MAX) return PROTO_E_BAD_KEY;
  memcpy(name_buf, text, name_len);
  name_buf[name_len] = '\0';
  if (!key_name_valid(name_buf)) return PROTO_E_BAD_KEY;
  /* one text per key: the id in lowercase hex, as it is written */
  for (size_t i = 0; i < 8; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) return PROTO_E_BAD_KEY;
  uint8_t id[NOTE_KEY_ID_BYTES], typed[1 + PROTO_PUBKEY_BYTES];
  if (proto_hex_decode(hex, 8, id, sizeof id) != NOTE_KEY_ID_BYTES) return PROTO_E_BAD_KEY;
  size_t b64_len = len - (size_t)(b64 - text);
  if (proto_base64_decode(b64, b64_len, typed, sizeof typed) != (long)sizeof typed ||
      typed[0] != NOTE_ALG_ED25519)
    return PROTO_E_BAD_KEY;
  uint32_t want = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
  if (tlog_note_key_id(name_buf, typed + 1) != want) return PROTO_E_BAD_KEY;
  struct proto_key *key = proto_key_from_public(typed + 1); /* the crypto library takes it */
  if (!key) return PROTO_E_BAD_KEY;
  proto_key_free(key);
  if (name_len + 1 > name_cap) return PROTO_E_FIELD_TOO_LONG;
  memcpy(name, name_buf, name_len + 1);
  memcpy(pub, typed + 1, PROTO_PUBKEY_BYTES);
  return 0;
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
  if (!key_name_valid(key_name)) return PROTO_E_BAD_ARGUMENT;
  char root_b64[NOTE_ROOT_B64_CHARS + 1];
  long rc = proto_base64_encode(cp->root, PROTO_HASH_BYTES, root_b64, sizeof root_b64);
  PROTO_ASSERT(rc == NOTE_ROOT_B64_CHARS);
  char text[TLOG_CHECKPOINT_BYTES_MAX];
  int text_len = snprintf(text, sizeof text, "%s\n%" PRIu64 "\n%s\n", cp->origin, cp->size, root_b64);
  PROTO_ASSERT(text_len > 0 && (size_t)text_len < sizeof text);
  /* the signature line carries the key id first, then the signature over the note text */
  uint8_t pub[PROTO_PUBKEY_BYTES], blob[NOTE_KEY_ID_BYTES + PROTO_SIG_BYTES];
  proto_key_public(key, pub);
  uint32_t id = tlog_note_key_id(key_name, pub);
  for (unsigned i = 0; i < NOTE_KEY_ID_BYTES; i++) blob[i] = (uint8_t)(id >> (24 - 8 * i));
  int sign_rc = proto_sign(key, text, (size_t)text_len, blob + NOTE_KEY_ID_BYTES);
  if (sign_rc != 0) return sign_rc;
  char blob_b64[2 * sizeof blob];
  rc = proto_base64_encode(blob, sizeof blob, blob_b64, sizeof blob_b64);
  PROTO_ASSERT(rc > 0);
  int len = snprintf(out, cap, "%s\n%s%s %s\n", text, em_dash_space, key_name, blob_b64);
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
static bool size_parse(const char *s, size_t len, uint64_t *out) {
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
  if (!size_parse(lines[1], lens[1], &cp->size)) return PROTO_E_BAD_CHECKPOINT;
  if (lens[2] != NOTE_ROOT_B64_CHARS ||
      proto_base64_decode(lines[2], lens[2], cp->root, PROTO_HASH_BYTES) != PROTO_HASH_BYTES)
    return PROTO_E_BAD_CHECKPOINT;
  memcpy(cp->origin, lines[0], lens[0]);
  cp->origin[lens[0]] = '\0';
  return 0;
}

struct sig_line {
  const char *name;
  size_t name_len;
  uint8_t blob[NOTE_SIG_LINE_BYTES_MAX];
  size_t blob_len;
};

/* One signature line without its '\n': "— <name> <base64(key id || signature)>". */
static int sig_line_parse(const char *line, size_t len, struct sig_line *out) {
  if (len > NOTE_SIG_LINE_BYTES_MAX || len < EM_DASH_SPACE_BYTES ||
      memcmp(line, em_dash_space, EM_DASH_SPACE_BYTES) != 0)
    return PROTO_E_BAD_CHECKPOINT;
  const char *name = line + EM_DASH_SPACE_BYTES;
  size_t rest = len - EM_DASH_SPACE_BYTES;
  const char *space = memchr(name, ' ', rest);
  if (!space || space == name || memchr(name, '+', (size_t)(space - name)))
    return PROTO_E_BAD_CHECKPOINT;
  const char *b64 = space + 1;
  size_t b64_len = rest - (size_t)(b64 - name);
  long n = proto_base64_decode(b64, b64_len, out->blob, sizeof out->blob);
  /* a key id and at least one byte of signature; a space inside base64 fails to decode */
  if (n < (long)NOTE_KEY_ID_BYTES + 1) return PROTO_E_BAD_CHECKPOINT;
  out->name = name;
  out->name_len = (size_t)(space - name);
  out->blob_len = (size_t)n;
  return 0;
}

/* Checks every signature line; *ours counts lines by (key_name, id), *valid those that verify. */
static int sig_block_check(const char *block, size_t len, const char *text, size_t text_len,
                           const char *key_name, uint32_t id, const struct proto_key *key,
                           unsigned *ours, unsigned *valid) {
  if (len == 0 || block[len - 1] != '\n') return PROTO_E_BAD_CHECKPOINT;
  size_t name_len = strlen(key_name), at = 0;
  for (unsigned count = 0; at < len; count++) {
    if (count == NOTE_SIG_LINES_MAX) return PROTO_E_BAD_CHECKPOINT;
    const char *nl = memchr(block + at, '\n', len - at);
    PROTO_ASSERT(nl != NULL);
    struct sig_line sl;
    int rc = sig_line_parse(block + at, (size_t)(nl - (block + at)), &sl);
    if (rc != 0) return rc;
    at = (size_t)(nl - block) + 1;
    uint32_t line_id = (uint32_t)sl.blob[0] << 24 | (uint32_t)sl.blob[1] << 16 |
                       (uint32_t)sl.blob[2] << 8 | sl.blob[3];
    if (sl.name_len != name_len || memcmp(sl.name, key_name, name_len) != 0 || line_id != id)
      continue; /* another signer's line: C2SP says ignore it */
    (*ours)++;
    if (sl.blob_len == NOTE_KEY_ID_BYTES + PROTO_SIG_BYTES &&
        proto_verify(key, text, text_len, sl.blob + NOTE_KEY_ID_BYTES) == 0)
      (*valid)++;
  }
  return 0;
}

int tlog_checkpoint_verify(const char *text, size_t len, const char *key_name,
                             const uint8_t pub[PROTO_PUBKEY_BYTES], struct tlog_checkpoint *out) {
  if (len > NOTE_BYTES_MAX || !note_chars_valid(text, len)) return PROTO_E_BAD_CHECKPOINT;
  /* The note text ends at the first blank line; everything after it is signature lines. A blank
   * line anywhere else makes one of the two parts malformed. */
  const char *split = memmem(text, len, "\n\n", 2);
  if (!split) return PROTO_E_BAD_CHECKPOINT;
  size_t text_len = (size_t)(split - text) + 1;
  if (text_len > TLOG_CHECKPOINT_BYTES_MAX) return PROTO_E_BAD_CHECKPOINT;
  struct tlog_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  int rc = body_parse(text, text_len, &cp);
  if (rc != 0) return rc;
  struct proto_key *key = proto_key_from_public(pub);
  if (!key) return PROTO_E_BAD_KEY;
  unsigned ours = 0, valid = 0;
  rc = sig_block_check(split + 2, len - text_len - 1, text, text_len, key_name,
                       tlog_note_key_id(key_name, pub), key, &ours, &valid);
  proto_key_free(key);
  if (rc != 0) return rc;
  /* a line by our key that does not verify is a forgery, even beside a valid one */
  if (ours == 0 || valid != ours) return PROTO_E_BAD_SIGNATURE;
  if (out) *out = cp;
  return 0;
}
