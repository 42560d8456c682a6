/* tlog's internal helpers: the signed-note pieces that checkpoints (checkpoint.c), cosignatures
 * (cosig.c) and the witness protocol (witness.c) share. Never included from outside tlog/. */
#ifndef QUOTAD_TLOG_INTERNAL_H
#define QUOTAD_TLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog.h"

#define TLOG__KEY_ID_BYTES 4u
#define TLOG__EM_DASH_SPACE "\xE2\x80\x94 " /* U+2014 then a space: a signature line starts so */
#define TLOG__EM_DASH_SPACE_BYTES 4u

/* A key name of ours: 1..128 printable ASCII bytes, no space and no '+' (the verifier key's
 * separator). Signed notes allow more (UTF-8); quotad and its witnesses name keys in ASCII. */
bool tlog__key_name_valid(const char *name);
/* SHA-256(name || "\n" || alg || pub)[:4] as a big-endian integer: the signed-note key id. */
uint32_t tlog__key_id(const char *name, uint8_t alg, const uint8_t pub[PROTO_PUBKEY_BYTES]);
/* "<name>+<8 hex id>+<base64(alg || pub)>"; length, FIELD_TOO_LONG or BAD_ARGUMENT (name). */
long tlog__vkey_format(const char *name, uint8_t alg, const uint8_t pub[PROTO_PUBKEY_BYTES],
                       char *out, size_t cap);
/* Parses a verifier key of algorithm alg (strict: lowercase hex id that matches, canonical
 * base64, a key OpenSSL accepts). Returns 0, BAD_KEY, or FIELD_TOO_LONG (name_cap). */
int tlog__vkey_parse(const char *text, uint8_t alg, char *name, size_t name_cap,
                     uint8_t pub[PROTO_PUBKEY_BYTES]);

/* One signature line "— <name> <base64(key id || signature)>" without its newline. name points
 * into the line; blob holds the decoded bytes (key id first). */
struct tlog__sig_line {
  const char *name;
  size_t name_len;
  uint32_t key_id;
  uint8_t blob[TLOG_NOTE_SIG_LINE_BYTES_MAX];
  size_t blob_len;
};
/* Returns 0 or BAD_CHECKPOINT (not a signature line, or a blob shorter than a key id + 1). */
int tlog__sig_line_parse(const char *line, size_t len, struct tlog__sig_line *out);
/* Reads the signature line at block[*at..len) (which must end in '\n'), advances *at past its
 * newline. Returns 1 when a line was read, 0 at the end of the block, or BAD_CHECKPOINT. */
int tlog__sig_line_next(const char *block, size_t len, size_t *at, struct tlog__sig_line *out,
                        size_t *line_start);

/* The decimal of a size or time field: no sign, no leading zero except "0", fits 64 bits. */
bool tlog__u64_parse(const char *s, size_t len, uint64_t *out);

#endif /* QUOTAD_TLOG_INTERNAL_H */
