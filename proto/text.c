/* Hex and base64 (RFC 4648, standard alphabet, padded), the one UTF-8 decoder, the read-signature
 * message and the USCC check character. */
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"

long proto_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  static const char digits[] = "0123456789abcdef";
  if (cap < len * 2 + 1) return PROTO_E_FIELD_TOO_LONG;
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[len * 2] = '\0';
  return (long)(len * 2);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long proto_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  if (len % 2 != 0) return PROTO_E_BAD_HEX;
  if (len / 2 > cap) return PROTO_E_FIELD_TOO_LONG;
  for (size_t i = 0; i < len / 2; i++) {
    int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return PROTO_E_BAD_HEX;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(len / 2);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long proto_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  size_t need = (len + 2) / 3 * 4;
  if (cap < need + 1) return PROTO_E_FIELD_TOO_LONG;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len) v |= in[i + 2];
    out[o++] = b64_alphabet[v >> 18 & 63];
    out[o++] = b64_alphabet[v >> 12 & 63];
    out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  return (long)o;
}

static int b64_value(char c) {
  const char *p = c ? strchr(b64_alphabet, c) : NULL;
  return p ? (int)(p - b64_alphabet) : -1;
}

/* Strict: length a multiple of 4, padding only at the end, and the unused bits of the last
 * symbol zero, so that every byte string has exactly one accepted text. */
long proto_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap) {
  if (len % 4 != 0) return PROTO_E_BAD_BASE64;
  size_t pad = 0;
  if (len >= 1 && in[len - 1] == '=') pad++;
  if (len >= 2 && in[len - 2] == '=') pad++;
  size_t outlen = len / 4 * 3 - pad;
  if (outlen > cap) return PROTO_E_FIELD_TOO_LONG;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 4) {
    int v[4];
    for (size_t k = 0; k < 4; k++) {
      bool padding = i + k >= len - pad;
      v[k] = padding ? 0 : b64_value(in[i + k]);
      if (v[k] < 0) return PROTO_E_BAD_BASE64;
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
    for (size_t k = 0; k < 3 && o < outlen; k++) out[o++] = bytes[k];
    if (i + 4 == len && pad > 0) {
      uint32_t unused = pad == 2 ? (w & 0xFFFF) : (w & 0xFF);
      if (unused != 0) return PROTO_E_BAD_BASE64;
    }
  }
  return (long)o;
}

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const unsigned uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20,
                                          29, 25, 13, 8, 24, 10, 30, 28};

static int uscc_value(char c) {
  const char *p = c ? strchr(uscc_alphabet, c) : NULL;
  return p ? (int)(p - uscc_alphabet) : -1;
}

char proto_uscc_check_char(const char first17[17]) {
  unsigned sum = 0;
  for (size_t i = 0; i < 17; i++) {
    int v = uscc_value(first17[i]);
    if (v < 0) return 0;
    sum += (unsigned)v * uscc_weights[i];
  }
  unsigned check = 31 - sum % 31;
  return uscc_alphabet[check == 31 ? 0 : check];
}

int proto_uscc_check(const char *code, size_t len, unsigned *bad_pos) {
  unsigned pos = 0;
  for (size_t i = 0; i < len && i < PROTO_USCC_BYTES && !pos; i++) {
    if (uscc_value(code[i]) < 0) pos = (unsigned)i + 1;
  }
  if (!pos && len != PROTO_USCC_BYTES) pos = (unsigned)(len < PROTO_USCC_BYTES ? len + 1 : 19);
  if (!pos && proto_uscc_check_char(code) != code[17]) pos = 18;
  if (pos && bad_pos) *bad_pos = pos;
  return pos ? PROTO_E_BAD_USCC : 0;
}

size_t proto_utf8_next(const uint8_t *s, size_t avail, uint32_t *cp) {
  PROTO_ASSERT(s != NULL && cp != NULL);
  if (avail == 0) return 0;
  uint8_t c = s[0];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || n > avail) return 0;
  uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3Fu);
  }
  static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < min_for_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

long proto_read_message(const char *origin, const char *method, const char *path_query,
                        uint64_t unix_s, uint8_t *out, size_t cap) {
  /* The origin may be empty: a client reading /v1/log to learn it, a registry before genesis. */
  if (!origin || !method || !path_query || !method[0] || path_query[0] != '/')
    return PROTO_E_BAD_ARGUMENT;
  if (strchr(origin, '\n') || strchr(method, '\n') || strchr(path_query, '\n'))
    return PROTO_E_BAD_ARGUMENT;
  int n = snprintf((char *)out, cap, PROTO_READ_DOMAIN "%s\n%s\n%s\n%llu", origin, method,
                   path_query, (unsigned long long)unix_s);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  PROTO_ASSERT((size_t)n > sizeof(PROTO_READ_DOMAIN) - 1);
  return n;
}
