/* libFuzzer target: arbitrary bytes as a stored record of each of the ledger's state databases,
 * through the decoders of ledger/records.c (the first byte picks the record kind). Checks: a
 * decoder answers 0 or CORRUPT only, never reads past the record, and a record it accepts
 * encodes back to the same bytes (one encoding per value, as the store writes them). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint8_t *in, size_t len, const uint8_t *again, size_t again_len) {
  assert(again_len == len && memcmp(in, again, len) == 0);
}

static void account(const uint8_t *in, size_t len) {
  struct ledger_account a;
  uint8_t out[REC_ACCOUNT_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  int rc = rec_account_decode(42, in, len, &a);
  assert(rc == 0 || rc == PROTO_E_CORRUPT);
  if (rc == 0) roundtrip(in, len, out, rec_account_encode(&a, out));
}

static void key(const uint8_t *in, size_t len) {
  struct ledger_key k;
  static const uint8_t hash[PROTO_HASH_BYTES];
  uint8_t out[REC_KEY_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  int rc = rec_key_decode(hash, in, len, &k);
  assert(rc == 0 || rc == PROTO_E_CORRUPT);
  if (rc == 0) roundtrip(in, len, out, rec_key_encode(&k, out));
}

/* Freeze orders (key: account 7, order id of 0x11 bytes) and a holding's list of them. */
static void freezes(unsigned kind, const uint8_t *in, size_t len) {
  uint8_t out[REC_FREEZE_BYTES_MIN - 1 + PROTO_REF_BYTES_MAX], key[24] = {0, 0, 0, 0, 0, 0, 0, 7};
  memset(key + 8, 0x11, PROTO_ID_BYTES);
  struct ledger_freeze_order o;
  struct rec_freeze_hold h;
  int rc = kind ? rec_freeze_hold_decode(in, len, &h) : rec_freeze_decode(key, in, len, &o);
  assert(rc == 0 || rc == PROTO_E_CORRUPT);
  if (rc == 0) {
    size_t n = kind ? rec_freeze_hold_encode(&h, out) : rec_freeze_encode(&o, out);
    roundtrip(in, len, out, n);
  }
}

static void fixed(unsigned kind, const uint8_t *in, size_t len) {
  uint8_t out[REC_COMPLIANCE_V2_BYTES > REC_INSTRUMENT_BYTES ? REC_COMPLIANCE_V2_BYTES
                                                             : REC_INSTRUMENT_BYTES];
  static const uint8_t code[PROTO_INSTRUMENT_BYTES] = "CEA-2025";
  union {
    struct ledger_balance b;
    struct ledger_instrument i;
    struct rec_year y;
    struct rec_compliance c;
    struct rec_txid t;
  } u;
  int rc;
  switch (kind) {
  case 0: rc = rec_balance_decode(in, len, &u.b); if (!rc) rec_balance_encode(&u.b, out); break;
  case 1:
    rc = rec_instrument_decode(code, in, len, &u.i);
    if (!rc) rec_instrument_encode(&u.i, 0, out);
    if (!rc) memcpy(out + 48, in + 48, 8); /* the creating index is not decoded */
    break;
  case 2: rc = rec_year_decode(in, len, &u.y); if (!rc) rec_year_encode(&u.y, out); break;
  case 3:
    rc = rec_compliance_decode(in, len, &u.c);
    if (!rc) roundtrip(in, len, out, rec_compliance_encode(&u.c, out));
    return;
  default: rc = rec_txid_decode(in, len, &u.t); if (!rc) rec_txid_encode(&u.t, out); break;
  }
  assert(rc == 0 || rc == PROTO_E_CORRUPT);
  if (rc == 0) roundtrip(in, len, out, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned kind = data[0] % 9u;
  /* an exact-size copy, so that ASan sees any read past the record */
  uint8_t *in = malloc(size - 1 ? size - 1 : 1);
  assert(in != NULL);
  memcpy(in, data + 1, size - 1);
  if (kind == 0) account(in, size - 1);
  else if (kind == 1) key(in, size - 1);
  else if (kind >= 7) freezes(kind - 7, in, size - 1);
  else fixed(kind - 2, in, size - 1);
  free(in);
  return 0;
}
