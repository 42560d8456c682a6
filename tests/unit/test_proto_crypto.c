/* Crypto and text helpers: RFC 8032 Ed25519 vectors, interoperation with the openssl command,
 * key files, SHA-256, USCC check characters, and hex / base64 strictness. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/proto.h"

struct rfc8032_vector {
  const char *name, *seed, *pub, *msg, *sig;
};

/* RFC 8032 section 7.1 (Ed25519): TEST 1, 2, 3, 1024 and SHA(abc). */
static const struct rfc8032_vector vectors[] = {
  {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
   "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
  {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
   "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
   "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
   "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
   "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
   "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
    "08b8b2b733424243760fe426a4b54908"
    "632110a66c2f6591eabd3345e3e4eb98"
    "fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d8"
    "79de7c0046dc4996d9e773f4bc9efe57"
    "38829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c"
    "941efb65d57a338bbd2e26640f89ffbc"
    "1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b"
    "3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9"
    "a39ce767967ed628c6ad573cb116dbef"
    "efd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7"
    "aff6f6c94fcd7204ed3455c68c83f4a4"
    "1da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a9"
    "4a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24"
    "554119a831a9aad6079cad88425de6bd"
    "e1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553"
    "878ad575f9fad878e80a0c9ba63bcbcc"
    "2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b07"
    "07e0917af48bbb75fed413d238f5555a"
    "7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b"
    "82b0ce26401d2e22f04d83d1255dc51a"
    "ddd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429e"
    "c96031dbcad3dad9af0dcbaaaf268cb8"
    "fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1"
    "ba5e43f1bca32301651339e22904cc8c"
    "42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a8"
    "5f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927"
    "094b2db68d6f903b68401adebf5a7e08"
    "d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649"
    "de6188a7dbdf191f64b5fc5e2ab47b57"
    "f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1"
    "b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e"
    "6aed3fb0f9cd71a43dd497f01f17c0e2"
    "cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041"
    "e989f7914f90cc2c7fff357876e506b5"
    "0d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1"
    "369546868a7f3a45a96768d40fd9d034"
    "12c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e"
    "4dc1ffc872eeee475a64dfac86aba41c"
    "0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0",
   "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
  {"SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
   "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
   "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
   "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  long n = proto_hex_decode(hex, strlen(hex), out, cap);
  cr_assert_geq(n, 0, "bad test hex");
  return (size_t)n;
}

Test(ed25519, rfc8032_vectors_sign_and_verify) {
  for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
    const struct rfc8032_vector *v = &vectors[i];
    uint8_t seed[32], pub[32], want_sig[64], sig[64], got_pub[32], msg[1024];
    unhex(v->seed, seed, sizeof(seed));
    unhex(v->pub, pub, sizeof(pub));
    unhex(v->sig, want_sig, sizeof(want_sig));
    size_t len = unhex(v->msg, msg, sizeof(msg));
    struct proto_key *key = proto_key_from_seed(seed);
    cr_assert_not_null(key);
    proto_key_public(key, got_pub);
    cr_assert_eq(memcmp(got_pub, pub, 32), 0, "%s: public key", v->name);
    cr_assert_eq(proto_sign(key, msg, len, sig), 0);
    cr_assert_eq(memcmp(sig, want_sig, 64), 0, "%s: signature", v->name);
    struct proto_key *verifier = proto_key_from_public(pub);
    cr_assert_not_null(verifier);
    cr_assert_eq(proto_verify(verifier, msg, len, sig), 0, "%s: verify", v->name);
    sig[63] ^= 0x01;
    cr_assert_eq(proto_verify(verifier, msg, len, sig), PROTO_E_BAD_SIGNATURE);
    sig[63] ^= 0x01;
    msg[len] = 0;
    cr_assert_eq(proto_verify(verifier, msg, len + 1, sig), PROTO_E_BAD_SIGNATURE);
    uint8_t tmp[64];
    cr_assert_eq(proto_sign(verifier, msg, len, tmp), PROTO_E_BAD_KEY, "public keys cannot sign");
    /* the key's name on the ledger is SHA-256 of the raw public key */
    uint8_t h[32], want_h[32];
    proto_key_hash(key, h);
    proto_sha256(pub, 32, want_h);
    cr_assert_eq(memcmp(h, want_h, 32), 0);
    proto_key_free(key);
    proto_key_free(verifier);
  }
}

/* ------------------------------------------------------------------------------------------
 * The openssl command, as a client with only curl and openssl would use it.
 * ---------------------------------------------------------------------------------------- */
static char tmpdir[64];

static void make_tmpdir(void) {
  strcpy(tmpdir, "/tmp/quotad-proto-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const void *data, size_t len) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

static size_t read_file(const char *name, uint8_t *out, size_t cap) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  size_t n = fread(out, 1, cap, f);
  fclose(f);
  return n;
}

/* PEM of DER prefix || 32 key bytes: PKCS#8 for a seed, SubjectPublicKeyInfo for a public key. */
static void write_pem(const char *name, const char *label, const char *der_prefix_hex,
                      const uint8_t key[32]) {
  uint8_t der[64];
  size_t n = unhex(der_prefix_hex, der, sizeof(der));
  memcpy(der + n, key, 32);
  char b64[128], pem[256];
  cr_assert_gt(proto_base64_encode(der, n + 32, b64, sizeof(b64)), 0);
  int len = snprintf(pem, sizeof(pem), "-----BEGIN %s-----\n%s\n-----END %s-----\n", label, b64,
                     label);
  write_file(name, pem, (size_t)len);
}

static int run(const char *args) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "cd '%s' && openssl %s 2>/dev/null >/dev/null", tmpdir, args);
  return system(cmd);
}

static size_t sample_signing_message(uint8_t *msg, size_t cap) {
  const uint8_t body[] = {1, 12, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0, 1, 2, 3, 4, 5, 6,
                          7, 8, 9, 0, 0, 0, 0, 0, 0, 3, 0xE9};
  long n = proto_signing_message("registry.cets.example/quotad", body, sizeof(body), msg, cap);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

Test(ed25519, openssl_pkeyutl_signature_verifies_with_proto_verify) {
  uint8_t seed[32], msg[256], sig[128];
  unhex(vectors[2].seed, seed, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed);
  size_t len = sample_signing_message(msg, sizeof(msg));
  make_tmpdir();
  write_pem("key.pem", "PRIVATE KEY", "302e020100300506032b657004220420", seed);
  write_file("msg", msg, len);
  cr_assert_eq(run("pkeyutl -sign -rawin -inkey key.pem -in msg -out sig"), 0);
  cr_assert_eq(read_file("sig", sig, sizeof(sig)), 64);
  cr_assert_eq(proto_verify(key, msg, len, sig), 0);
  uint8_t ours[64];
  cr_assert_eq(proto_sign(key, msg, len, ours), 0);
  cr_assert_eq(memcmp(ours, sig, 64), 0, "Ed25519 is deterministic: both sign the same bytes");
  remove_tmpdir();
  proto_key_free(key);
}

Test(ed25519, proto_sign_signature_verifies_with_openssl_pkeyutl) {
  uint8_t seed[32], pub[32], msg[256], sig[64];
  unhex(vectors[3].seed, seed, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed);
  proto_key_public(key, pub);
  size_t len = sample_signing_message(msg, sizeof(msg));
  cr_assert_eq(proto_sign(key, msg, len, sig), 0);
  make_tmpdir();
  write_pem("pub.pem", "PUBLIC KEY", "302a300506032b6570032100", pub);
  write_file("msg", msg, len);
  write_file("sig", sig, sizeof(sig));
  cr_assert_eq(run("pkeyutl -verify -rawin -pubin -inkey pub.pem -in msg -sigfile sig"), 0);
  sig[10] ^= 0x40;
  write_file("bad", sig, sizeof(sig));
  cr_assert_neq(run("pkeyutl -verify -rawin -pubin -inkey pub.pem -in msg -sigfile bad"), 0,
                "openssl must refuse an altered signature, or the check above proves nothing");
  remove_tmpdir();
  proto_key_free(key);
}

Test(key_file, save_then_load_gives_the_same_key_and_refuses_overwrite) {
  uint8_t seed[32], back[32];
  unhex(vectors[0].seed, seed, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed), *loaded = NULL;
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof(path), "%s/op.key", tmpdir);
  cr_assert_eq(proto_key_save(key, path), 0);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0600);
  cr_assert_lt(proto_key_save(key, path), 0, "never overwrites a key file");
  cr_assert_eq(proto_key_load(path, &loaded), 0);
  cr_assert_eq(proto_key_seed(loaded, back), 0);
  cr_assert_eq(memcmp(seed, back, 32), 0);
  write_file("bad.key", "quotad-ed25519-seed AAAA\n", 25);
  snprintf(path, sizeof(path), "%s/bad.key", tmpdir);
  proto_key_free(loaded);
  loaded = NULL;
  cr_assert_eq(proto_key_load(path, &loaded), PROTO_E_BAD_KEY);
  cr_assert_null(loaded);
  remove_tmpdir();
  proto_key_free(key);
}

Test(sha256, known_digests) {
  uint8_t h[32], want[32];
  proto_sha256("", 0, h);
  unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
  cr_assert_eq(memcmp(h, want, 32), 0);
  const void *parts[] = {"a", "bc"};
  const size_t lens[] = {1, 2};
  proto_sha256_parts(parts, lens, 2, h);
  unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
  cr_assert_eq(memcmp(h, want, 32), 0);
}

/* ------------------------------------------------------------------------------------------ */

Test(uscc, published_examples_pass) {
  cr_assert_eq(proto_uscc_check("91350100M000100Y43", 18, NULL), 0);
  cr_assert_eq(proto_uscc_check("91110000802100433B", 18, NULL), 0);
  cr_assert_eq(proto_uscc_check_char("91350100M000100Y4"), '3');
  cr_assert_eq(proto_uscc_check_char("91110000802100433"), 'B');
}

static void expect_uscc_bad(const char *code, size_t len, unsigned want_pos) {
  unsigned pos = 0;
  cr_assert_eq(proto_uscc_check(code, len, &pos), PROTO_E_BAD_USCC, "%s", code);
  cr_assert_eq(pos, want_pos, "%s: position %u, want %u", code, pos, want_pos);
}

Test(uscc, altered_codes_fail_at_the_right_position) {
  expect_uscc_bad("91350100M000100Y44", 18, 18); /* wrong check character */
  expect_uscc_bad("91350100M000100Y53", 18, 18); /* a changed digit shows in the check */
  expect_uscc_bad("91110000802100433C", 18, 18);
  expect_uscc_bad("9135010OM000100Y43", 18, 8);  /* O is not in the alphabet */
  expect_uscc_bad("I1350100M000100Y43", 18, 1);  /* nor I */
  expect_uscc_bad("91350100m000100Y43", 18, 9);  /* lower case */
  expect_uscc_bad("91350100M000100Y4", 17, 18);  /* too short */
  expect_uscc_bad("91350100M000100Y433", 19, 19); /* too long */
  expect_uscc_bad("", 0, 1);
}

Test(hex, strict_both_ways) {
  uint8_t out[4];
  char text[16];
  cr_assert_eq(proto_hex_decode("00fFaB", 6, out, sizeof(out)), 3);
  cr_assert_eq(out[1], 0xFF);
  cr_assert_eq(proto_hex_encode(out, 3, text, sizeof(text)), 6);
  cr_assert_str_eq(text, "00ffab", "lowercase out");
  cr_assert_eq(proto_hex_decode("abc", 3, out, sizeof(out)), PROTO_E_BAD_HEX);
  cr_assert_eq(proto_hex_decode("zz", 2, out, sizeof(out)), PROTO_E_BAD_HEX);
  cr_assert_eq(proto_hex_decode("0x", 2, out, sizeof(out)), PROTO_E_BAD_HEX);
  cr_assert_eq(proto_hex_decode(" 0", 2, out, sizeof(out)), PROTO_E_BAD_HEX);
  cr_assert_eq(proto_hex_decode("0011223344", 10, out, sizeof(out)), PROTO_E_FIELD_TOO_LONG);
  cr_assert_eq(proto_hex_encode(out, 3, text, 6), PROTO_E_FIELD_TOO_LONG);
}

Test(base64, strict_both_ways) {
  uint8_t out[8];
  char text[16];
  /* RFC 4648 section 10 */
  const char *rfc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    cr_assert_eq(proto_base64_encode((const uint8_t *)"foobar", i, text, sizeof(text)),
                 (long)strlen(rfc[i]));
    cr_assert_str_eq(text, rfc[i]);
    cr_assert_eq(proto_base64_decode(rfc[i], strlen(rfc[i]), out, sizeof(out)), (long)i);
    cr_assert_eq(memcmp(out, "foobar", i), 0);
  }
  cr_assert_eq(proto_base64_decode("Zg=", 3, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zh==", 4, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zm9=", 4, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zg==Zg==", 8, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Z=g=", 4, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zm9v\n", 5, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zm-_", 4, out, sizeof(out)), PROTO_E_BAD_BASE64);
  cr_assert_eq(proto_base64_decode("Zm9vYmFy", 8, out, 5), PROTO_E_FIELD_TOO_LONG);
  cr_assert_eq(proto_base64_encode((const uint8_t *)"foo", 3, text, 4), PROTO_E_FIELD_TOO_LONG);
}
