/* Signed checkpoints and verifier keys, byte for byte against the signed-note vectors of an
 * independent implementation (Go's sumdb/note), and the verifier's refusals. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tlog/tlog.h"

struct vec {
  json_t *json;
  const char *key_name, *note_text, *signed_note, *verifier_key;
  uint8_t seed[PROTO_SEED_BYTES], pub[PROTO_PUBKEY_BYTES];
  uint32_t key_id;
  struct proto_key *key;
};

static const char *vstr(json_t *obj, const char *name) {
  const char *s = json_string_value(json_object_get(obj, name));
  cr_assert(s != NULL, "vector field %s", name);
  return s;
}

static void vec_load(struct vec *v) {
  json_error_t err;
  v->json = json_load_file(QUOTAD_VECTORS_DIR "/tlog-vectors.json", 0, &err);
  cr_assert(v->json != NULL, "tlog-vectors.json: %s at line %d", err.text, err.line);
  json_t *c = json_object_get(v->json, "checkpoint");
  v->key_name = vstr(c, "key_name");
  v->note_text = vstr(c, "note_text");
  v->signed_note = vstr(c, "signed_note");
  v->verifier_key = vstr(c, "verifier_key");
  const char *seed = vstr(c, "ed25519_seed_hex"), *pub = vstr(c, "ed25519_public_hex");
  cr_assert_eq(proto_hex_decode(seed, strlen(seed), v->seed, sizeof v->seed), PROTO_SEED_BYTES);
  cr_assert_eq(proto_hex_decode(pub, strlen(pub), v->pub, sizeof v->pub), PROTO_PUBKEY_BYTES);
  uint8_t id[4];
  cr_assert_eq(proto_hex_decode(vstr(c, "key_id_hex"), 8, id, sizeof id), 4);
  v->key_id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
  v->key = proto_key_from_seed(v->seed);
  cr_assert(v->key != NULL);
}

static void vec_free(struct vec *v) {
  proto_key_free(v->key);
  json_decref(v->json);
}

/* The checkpoint the vector's note text describes: origin, size and root from its three lines. */
static struct tlog_checkpoint vec_checkpoint(const struct vec *v) {
  struct tlog_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  const char *nl1 = strchr(v->note_text, '\n'), *nl2 = strchr(nl1 + 1, '\n');
  memcpy(cp.origin, v->note_text, (size_t)(nl1 - v->note_text));
  cp.size = strtoull(nl1 + 1, NULL, 10);
  cr_assert_eq(proto_base64_decode(nl2 + 1, 44, cp.root, sizeof cp.root), PROTO_HASH_BYTES);
  return cp;
}

static int verify_str(const struct vec *v, const char *note, struct tlog_checkpoint *out) {
  return tlog_checkpoint_verify(note, strlen(note), v->key_name, v->pub, out);
}

/* note with the first occurrence of `from` replaced by `to` */
static char *note_replace(const char *note, const char *from, const char *to) {
  const char *at = strstr(note, from);
  cr_assert(at != NULL, "'%s' not in note", from);
  size_t head = (size_t)(at - note), total = strlen(note) - strlen(from) + strlen(to);
  char *out = malloc(total + 1);
  cr_assert(out != NULL);
  snprintf(out, total + 1, "%.*s%s%s", (int)head, note, to, at + strlen(from));
  return out;
}

Test(checkpoint, key_id_and_public_key_match_vectors) {
  struct vec v;
  vec_load(&v);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(v.key, pub);
  cr_assert_arr_eq(pub, v.pub, PROTO_PUBKEY_BYTES);
  cr_assert_eq(tlog_note_key_id(v.key_name, v.pub), v.key_id);
  vec_free(&v);
}

Test(checkpoint, verifier_key_matches_vector_and_parses_back) {
  struct vec v;
  vec_load(&v);
  char text[TLOG_VERIFIER_KEY_BYTES_MAX];
  long len = tlog_verifier_key(v.key_name, v.pub, text, sizeof text);
  cr_assert_eq(len, (long)strlen(v.verifier_key));
  cr_assert_str_eq(text, v.verifier_key);
  cr_assert_eq(tlog_verifier_key(v.key_name, v.pub, text, (size_t)len), PROTO_E_FIELD_TOO_LONG);
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  cr_assert_eq(tlog_verifier_key_parse(v.verifier_key, name, sizeof name, pub), 0);
  cr_assert_str_eq(name, v.key_name);
  cr_assert_arr_eq(pub, v.pub, PROTO_PUBKEY_BYTES);
  vec_free(&v);
}

Test(checkpoint, signing_reproduces_the_vector_note_byte_for_byte) {
  struct vec v;
  vec_load(&v);
  struct tlog_checkpoint cp = vec_checkpoint(&v);
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  long len = tlog_checkpoint_sign(&cp, v.key_name, v.key, note, sizeof note);
  cr_assert_eq(len, (long)strlen(v.signed_note));
  cr_assert_str_eq(note, v.signed_note);
  cr_assert_eq(strncmp(note, v.note_text, strlen(v.note_text)), 0);
  cr_assert_eq(tlog_checkpoint_sign(&cp, v.key_name, v.key, note, (size_t)len), PROTO_E_FIELD_TOO_LONG);
  vec_free(&v);
}

Test(checkpoint, verify_accepts_the_vector_note_and_returns_its_fields) {
  struct vec v;
  vec_load(&v);
  struct tlog_checkpoint want = vec_checkpoint(&v), got;
  memset(&got, 0, sizeof got);
  cr_assert_eq(verify_str(&v, v.signed_note, &got), 0);
  cr_assert_str_eq(got.origin, want.origin);
  cr_assert_eq(got.size, 21);
  cr_assert_arr_eq(got.root, want.root, PROTO_HASH_BYTES);
  vec_free(&v);
}

/* A signature line over text by key under name, built here from the signed-note definition. */
static void sig_line(const struct proto_key *key, const char *name, const char *text, char *out,
                     size_t cap) {
  uint8_t pub[PROTO_PUBKEY_BYTES], blob[4 + PROTO_SIG_BYTES];
  proto_key_public(key, pub);
  uint32_t id = tlog_note_key_id(name, pub);
  for (unsigned i = 0; i < 4; i++) blob[i] = (uint8_t)(id >> (24 - 8 * i));
  cr_assert_eq(proto_sign(key, text, strlen(text), blob + 4), 0);
  char b64[128];
  cr_assert_gt(proto_base64_encode(blob, sizeof blob, b64, sizeof b64), 0);
  int n = snprintf(out, cap, "\xE2\x80\x94 %s %s\n", name, b64);
  cr_assert(n > 0 && (size_t)n < cap);
}

Test(checkpoint, verify_rejects_changed_size_root_or_origin) {
  struct vec v;
  vec_load(&v);
  const char *changes[][3] = {
      {"\n21\n", "\n22\n", "size"},
      {"\n21\n", "\n20\n", "size"},
      {"\nu/rr0f", "\nv/rr0f", "root"},
      {"\nu/rr0f", "\nu/rr0e", "root"},
      {"registry.example/quotad\n21", "registry.example/quotaX\n21", "origin"},
      {"registry.example/quotad\n21", "registry.example\n21", "origin"},
  };
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
    char *note = note_replace(v.signed_note, changes[i][0], changes[i][1]);
    cr_assert_eq(verify_str(&v, note, NULL), PROTO_E_BAD_SIGNATURE, "changed %s", changes[i][2]);
    free(note);
  }
  vec_free(&v);
}

Test(checkpoint, verify_rejects_every_changed_signature_bit) {
  struct vec v;
  vec_load(&v);
  const char *line = strstr(v.signed_note, "\xE2\x80\x94 ");
  const char *b64 = strchr(line + 4, ' ') + 1;
  size_t b64_len = strlen(b64) - 1;
  uint8_t blob[68];
  cr_assert_eq(proto_base64_decode(b64, b64_len, blob, sizeof blob), 68);
  for (unsigned bit = 0; bit < 8 * sizeof blob; bit++) {
    blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    char enc[128];
    cr_assert_gt(proto_base64_encode(blob, sizeof blob, enc, sizeof enc), 0);
    char note[512];
    snprintf(note, sizeof note, "%s\n\xE2\x80\x94 %s %s\n", v.note_text, v.key_name, enc);
    cr_assert_eq(verify_str(&v, note, NULL), PROTO_E_BAD_SIGNATURE, "bit %u", bit);
    blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  vec_free(&v);
}

Test(checkpoint, verify_rejects_a_wrong_key_or_key_name) {
  struct vec v;
  vec_load(&v);
  uint8_t other_seed[PROTO_SEED_BYTES] = {9};
  struct proto_key *other = proto_key_from_seed(other_seed);
  uint8_t other_pub[PROTO_PUBKEY_BYTES];
  proto_key_public(other, other_pub);
  const char *note = v.signed_note;
  cr_assert_eq(tlog_checkpoint_verify(note, strlen(note), v.key_name, other_pub, NULL),
               PROTO_E_BAD_SIGNATURE);
  cr_assert_eq(tlog_checkpoint_verify(note, strlen(note), "registry.example/other", v.pub, NULL),
               PROTO_E_BAD_SIGNATURE);
  /* the right name and text signed by another key under that name */
  char line[256], forged[1024];
  sig_line(other, v.key_name, v.note_text, line, sizeof line);
  snprintf(forged, sizeof forged, "%s\n%s", v.note_text, line);
  cr_assert_eq(verify_str(&v, forged, NULL), PROTO_E_BAD_SIGNATURE);
  uint8_t not_a_point[PROTO_PUBKEY_BYTES];
  memset(not_a_point, 0xFF, sizeof not_a_point);
  cr_assert_neq(tlog_checkpoint_verify(note, strlen(note), v.key_name, not_a_point, NULL), 0);
  proto_key_free(other);
  vec_free(&v);
}

Test(checkpoint, verify_rejects_malformed_notes) {
  struct vec v;
  vec_load(&v);
  const char *changes[][3] = {
      {"\xE2\x80\x94 ", "- ", "hyphen instead of em dash"},
      {"\xE2\x80\x94 ", "", "no em dash"},
      {"\xE2\x80\x94 ", "\xE2\x80\x94", "no space after the em dash"},
      {"=\n\n", "=\n\n\n", "extra blank line before the signatures"},
      {"quotad\n21", "quotad\n\n21", "blank line inside the text"},
      {"\n21\n", "\n021\n", "leading zero"},
      {"\n21\n", "\n+21\n", "sign"},
      {"\n21\n", "\n 21\n", "space"},
      {"\n21\n", "\n\n", "empty size"},
      {"\n21\n", "\n99999999999999999999\n", "size past 2^64"},
      {"u/rr0f", "u/rr0", "short root"},
      {"+k=\n", "+k=A\n", "long root"},
      {"+k=\n", "+k\n", "unpadded root"},
      {"+k=\n", "+l=\n", "non-canonical base64"},
      {"\n21\n", "\r\n21\n", "carriage return"},
      {"quotad\n", "quo\ttad\n", "tab"},
      {"quotad\n", "quo\x7ftad\n", "DEL"},
      {"quotad\n", "quo\xc2\x85tad\n", "C1 control"},
      {"quotad\n", "quo\xc3tad\n", "invalid UTF-8"},
      {"quotad\n", "quo\xc0\xaftad\n", "overlong UTF-8"},
      {"quotad dzRn", "quotad  dzRn", "two spaces"},
      {"quotad dzRn", "quotad+x dzRn", "plus in the signer name"},
      {"\xE2\x80\x94 registry.example/quotad ", "\xE2\x80\x94  ", "empty signer name"},
      {"lHBlcUg0=\n", "lHBlcUg0=", "no final newline"},
      {"lHBlcUg0=\n", "lHBlcUg0=\n\n", "blank line after the signatures"},
      {"lHBlcUg0=\n", "lHBlcUg0= \n", "space after the signature"},
      {"dzRn4m5w", "dzR!4m5w", "bad base64 in the signature"},
  };
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
    char *note = note_replace(v.signed_note, changes[i][0], changes[i][1]);
    struct tlog_checkpoint out;
    memset(&out, 0x5A, sizeof out);
    cr_assert_eq(verify_str(&v, note, &out), PROTO_E_BAD_CHECKPOINT, "%s", changes[i][2]);
    for (size_t b = 0; b < sizeof out; b++) cr_assert_eq(((uint8_t *)&out)[b], 0x5A, "out written");
    free(note);
  }
  cr_assert_eq(verify_str(&v, "", NULL), PROTO_E_BAD_CHECKPOINT);
  cr_assert_eq(verify_str(&v, v.note_text, NULL), PROTO_E_BAD_CHECKPOINT);
  char no_sigs[256];
  snprintf(no_sigs, sizeof no_sigs, "%s\n", v.note_text);
  cr_assert_eq(verify_str(&v, no_sigs, NULL), PROTO_E_BAD_CHECKPOINT);
  /* a NUL inside the given length */
  char with_nul[512];
  size_t n = strlen(v.signed_note);
  memcpy(with_nul, v.signed_note, n);
  with_nul[5] = '\0';
  cr_assert_eq(tlog_checkpoint_verify(with_nul, n, v.key_name, v.pub, NULL), PROTO_E_BAD_CHECKPOINT);
  vec_free(&v);
}

Test(checkpoint, verify_ignores_other_signers_up_to_100_lines) {
  struct vec v;
  vec_load(&v);
  uint8_t seed[PROTO_SEED_BYTES] = {7};
  struct proto_key *other = proto_key_from_seed(seed);
  char other_line[256], ours[256];
  sig_line(other, "witness.example/w1", v.note_text, other_line, sizeof other_line);
  const char *our_line = strstr(v.signed_note, "\xE2\x80\x94 ");
  snprintf(ours, sizeof ours, "%s", our_line);
  size_t cap = 200 * 256;
  char *note = malloc(cap);
  for (unsigned lines = 1; lines <= 101; lines++) {
    /* our line in the middle of lines - 1 others */
    int at = snprintf(note, cap, "%s\n", v.note_text);
    for (unsigned i = 0; i < lines; i++)
      at += snprintf(note + at, cap - (size_t)at, "%s", i == lines / 2 ? ours : other_line);
    int want = lines <= 100 ? 0 : PROTO_E_BAD_CHECKPOINT;
    struct tlog_checkpoint out;
    cr_assert_eq(verify_str(&v, note, &out), want, "%u signature lines", lines);
  }
  /* an unknown algorithm or a longer signature from another signer is ignored too */
  snprintf(note, cap, "%s\n\xE2\x80\x94 other.example/x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n%s", v.note_text,
           ours);
  cr_assert_eq(verify_str(&v, note, NULL), 0);
  /* only other signers: no signature by our key */
  snprintf(note, cap, "%s\n%s", v.note_text, other_line);
  cr_assert_eq(verify_str(&v, note, NULL), PROTO_E_BAD_SIGNATURE);
  free(note);
  proto_key_free(other);
  vec_free(&v);
}

Test(checkpoint, verify_rejects_a_bad_line_by_our_key_beside_a_good_one) {
  struct vec v;
  vec_load(&v);
  char bad[256], note[1024];
  sig_line(v.key, v.key_name, "another text\n", bad, sizeof bad);
  const char *ours = strstr(v.signed_note, "\xE2\x80\x94 ");
  snprintf(note, sizeof note, "%s\n%s%s", v.note_text, ours, bad);
  cr_assert_eq(verify_str(&v, note, NULL), PROTO_E_BAD_SIGNATURE);
  snprintf(note, sizeof note, "%s\n%s%s", v.note_text, ours, ours);
  cr_assert_eq(verify_str(&v, note, NULL), 0);
  vec_free(&v);
}

Test(checkpoint, extension_lines_are_accepted_and_covered_by_the_signature) {
  struct vec v;
  vec_load(&v);
  char text[512], line[256], note[1024];
  snprintf(text, sizeof text, "%sextension one\nsecond: value\n", v.note_text);
  sig_line(v.key, v.key_name, text, line, sizeof line);
  snprintf(note, sizeof note, "%s\n%s", text, line);
  struct tlog_checkpoint want = vec_checkpoint(&v), got;
  cr_assert_eq(verify_str(&v, note, &got), 0);
  cr_assert_eq(got.size, want.size);
  cr_assert_arr_eq(got.root, want.root, PROTO_HASH_BYTES);
  cr_assert_str_eq(got.origin, want.origin);
  char *changed = note_replace(note, "extension one", "extension two");
  cr_assert_eq(verify_str(&v, changed, NULL), PROTO_E_BAD_SIGNATURE);
  free(changed);
  /* dropping an extension line breaks the signature as well */
  char *dropped = note_replace(note, "second: value\n", "");
  cr_assert_eq(verify_str(&v, dropped, NULL), PROTO_E_BAD_SIGNATURE);
  free(dropped);
  vec_free(&v);
}

Test(checkpoint, sign_then_verify_round_trips_any_size) {
  struct proto_key *key = proto_key_generate();
  cr_assert(key != NULL);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(key, pub);
  const uint64_t sizes[] = {0, 1, 9, 10, UINT64_C(1) << 63, UINT64_MAX};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    struct tlog_checkpoint cp = {.origin = "quotad.example/cn-ets", .size = sizes[i]}, got;
    memset(cp.root, (int)i + 1, sizeof cp.root);
    char note[TLOG_CHECKPOINT_BYTES_MAX];
    long len = tlog_checkpoint_sign(&cp, cp.origin, key, note, sizeof note);
    cr_assert_gt(len, 0);
    cr_assert_eq(strlen(note), (size_t)len);
    cr_assert_eq(tlog_checkpoint_verify(note, (size_t)len, cp.origin, pub, &got), 0);
    cr_assert_eq(got.size, sizes[i]);
    cr_assert_str_eq(got.origin, cp.origin);
    cr_assert_arr_eq(got.root, cp.root, PROTO_HASH_BYTES);
  }
  proto_key_free(key);
}

Test(checkpoint, sign_refuses_bad_origins_names_and_public_keys) {
  struct vec v;
  vec_load(&v);
  struct tlog_checkpoint cp = vec_checkpoint(&v);
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  struct tlog_checkpoint bad = cp;
  bad.origin[0] = '\0';
  cr_assert_eq(tlog_checkpoint_sign(&bad, v.key_name, v.key, note, sizeof note), PROTO_E_BAD_ORIGIN);
  snprintf(bad.origin, sizeof bad.origin, "has space");
  cr_assert_eq(tlog_checkpoint_sign(&bad, v.key_name, v.key, note, sizeof note), PROTO_E_BAD_ORIGIN);
  snprintf(bad.origin, sizeof bad.origin, "new\nline");
  cr_assert_eq(tlog_checkpoint_sign(&bad, v.key_name, v.key, note, sizeof note), PROTO_E_BAD_ORIGIN);
  cr_assert_eq(tlog_checkpoint_sign(&cp, "a+b", v.key, note, sizeof note), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_checkpoint_sign(&cp, "", v.key, note, sizeof note), PROTO_E_BAD_ARGUMENT);
  struct proto_key *public_only = proto_key_from_public(v.pub);
  cr_assert_eq(tlog_checkpoint_sign(&cp, v.key_name, public_only, note, sizeof note), PROTO_E_BAD_KEY);
  proto_key_free(public_only);
  char vk[TLOG_VERIFIER_KEY_BYTES_MAX];
  cr_assert_eq(tlog_verifier_key("has space", v.pub, vk, sizeof vk), PROTO_E_BAD_ARGUMENT);
  vec_free(&v);
}

Test(checkpoint, verifier_key_parse_is_strict) {
  struct vec v;
  vec_load(&v);
  const char *changes[][3] = {
      {"+773467e2+", "+773467E2+", "uppercase key id"},
      {"+773467e2+", "+773467e3+", "wrong key id"},
      {"+773467e2+", "+773467e+", "short key id"},
      {"+773467e2+", "+773467e2", "missing separator"},
      {"+AXm1", "+Anm1", "algorithm byte not Ed25519"},
      {"BJZk", "BJZ", "truncated key"},
      {"BJZk", "BJZkAAAA", "long key"},
      {"registry.example/quotad+", "registry example+", "space in the name"},
      {"registry.example/quotad+", "+", "empty name"},
  };
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
    char *vk = note_replace(v.verifier_key, changes[i][0], changes[i][1]);
    cr_assert_eq(tlog_verifier_key_parse(vk, name, sizeof name, pub), PROTO_E_BAD_KEY, "%s",
                 changes[i][2]);
    free(vk);
  }
  cr_assert_eq(tlog_verifier_key_parse("", name, sizeof name, pub), PROTO_E_BAD_KEY);
  cr_assert_eq(tlog_verifier_key_parse(v.verifier_key, name, 5, pub), PROTO_E_FIELD_TOO_LONG);
  vec_free(&v);
}
