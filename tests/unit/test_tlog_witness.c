/* tlog's witness side: cosignature/v1 (against the C2SP example's layout and by round trips),
 * the tlog-policy parser's refusals with their lines, quorum evaluation and the majority rule,
 * and the add-checkpoint request and answers of tlog-witness. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

#define ORIGIN "registry.example/quotad"

static struct proto_key *seed_key(uint8_t fill) {
  uint8_t seed[PROTO_SEED_BYTES];
  memset(seed, fill, sizeof seed);
  struct proto_key *k = proto_key_from_seed(seed);
  cr_assert(k != NULL);
  return k;
}

static struct tlog_cosigner cosigner_of(const char *name, const struct proto_key *k) {
  struct tlog_cosigner c;
  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "%s", name);
  proto_key_public(k, c.pub);
  c.key_id = tlog_cosig_key_id(c.name, c.pub);
  return c;
}

/* A note for size with a root of `fill` bytes signed by the log key (seed 1). */
static long log_note(uint64_t size, uint8_t fill, char *out, size_t cap) {
  struct proto_key *k = seed_key(1);
  struct tlog_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  snprintf(cp.origin, sizeof cp.origin, "%s", ORIGIN);
  cp.size = size;
  memset(cp.root, fill, sizeof cp.root);
  long n = tlog_checkpoint_sign(&cp, ORIGIN, k, out, cap);
  cr_assert_gt(n, 0);
  proto_key_free(k);
  return n;
}

/* note + a cosignature line of (name, key) at time t, into out. */
static size_t cosign_into(const char *note, size_t len, const char *name, const struct proto_key *k,
                          uint64_t t, char *out, size_t cap) {
  struct tlog_note n;
  cr_assert_eq(tlog_note_parse(note, len, &n), 0);
  char line[TLOG_COSIG_LINE_BYTES_MAX + 1];
  long ll = tlog_cosign(n.text, n.text_len, name, k, t, line, sizeof line);
  cr_assert_gt(ll, 0);
  cr_assert_lt(len + (size_t)ll, cap);
  memcpy(out, note, len);
  memcpy(out + len, line, (size_t)ll + 1);
  return len + (size_t)ll;
}

Test(cosig, key_id_is_sha256_of_name_newline_0x04_key) {
  struct proto_key *k = seed_key(7);
  struct tlog_cosigner c = cosigner_of("witness.example/w1", k);
  uint8_t buf[64], h[PROTO_HASH_BYTES];
  size_t nl = strlen(c.name);
  memcpy(buf, c.name, nl);
  buf[nl] = '\n';
  buf[nl + 1] = 0x04;
  memcpy(buf + nl + 2, c.pub, PROTO_PUBKEY_BYTES);
  proto_sha256(buf, nl + 2 + PROTO_PUBKEY_BYTES, h);
  cr_assert_eq(c.key_id, (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]);
  cr_assert_neq(c.key_id, tlog_note_key_id(c.name, c.pub), "0x04 and 0x01 ids differ");
  proto_key_free(k);
}

Test(cosig, verifier_key_round_trips_and_is_not_a_checkpoint_key) {
  struct proto_key *k = seed_key(7);
  struct tlog_cosigner c = cosigner_of("witness.example/w1", k), back;
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX], name[PROTO_ORIGIN_BYTES_MAX + 1];
  cr_assert_gt(tlog_cosig_verifier_key(c.name, c.pub, vkey, sizeof vkey), 0);
  cr_assert_eq(tlog_cosig_verifier_key_parse(vkey, &back), 0);
  cr_assert_str_eq(back.name, c.name);
  cr_assert_arr_eq(back.pub, c.pub, PROTO_PUBKEY_BYTES);
  cr_assert_eq(back.key_id, c.key_id);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  cr_assert_eq(tlog_verifier_key_parse(vkey, name, sizeof name, pub), PROTO_E_BAD_KEY);
  char log_vkey[TLOG_VERIFIER_KEY_BYTES_MAX];
  cr_assert_gt(tlog_verifier_key(c.name, c.pub, log_vkey, sizeof log_vkey), 0);
  cr_assert_eq(tlog_cosig_verifier_key_parse(log_vkey, &back), PROTO_E_BAD_KEY);
  cr_assert_eq(tlog_cosig_verifier_key("bad name", c.pub, vkey, sizeof vkey), PROTO_E_BAD_ARGUMENT);
  proto_key_free(k);
}

/* The C2SP tlog-cosignature example: the signed message of its checkpoint at time 1679315147,
 * and its example line, whose blob carries that same timestamp after the key id. */
Test(cosig, message_and_line_layout_match_the_spec_example) {
  const char *text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  const char *want = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
                     "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  char msg[512];
  long n = tlog_cosig_message(text, strlen(text), 1679315147, msg, sizeof msg);
  cr_assert_eq(n, (long)strlen(want));
  cr_assert_str_eq(msg, want);
  const char *b64 = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
  uint8_t blob[TLOG_COSIG_BLOB_BYTES + 8];
  cr_assert_eq(proto_base64_decode(b64, strlen(b64), blob, sizeof blob), TLOG_COSIG_BLOB_BYTES);
  uint64_t t = 0;
  for (int i = 4; i < 12; i++) t = t << 8 | blob[i];
  cr_assert_eq(t, 1679315147u);
  cr_assert_eq(tlog_cosig_message(text, strlen(text), TLOG_COSIG_TIME_MAX + 1, msg, sizeof msg),
               PROTO_E_BAD_ARGUMENT);
}

Test(cosig, signed_line_verifies_and_reports_its_time) {
  char note[2048], both[4096];
  long len = log_note(10, 0xAB, note, sizeof note);
  struct proto_key *w = seed_key(9);
  struct tlog_cosigner c = cosigner_of("witness.example/w1", w);
  size_t blen = cosign_into(note, (size_t)len, c.name, w, 1700000000, both, sizeof both);
  uint64_t t = 0;
  cr_assert_eq(tlog_cosig_verify(both, blen, &c, &t), 0);
  cr_assert_eq(t, 1700000000u);
  /* the line is exactly "— name base64(76 bytes)\n" */
  const char *line = strstr(both, "\xE2\x80\x94 witness.example/w1 ");
  cr_assert(line != NULL);
  cr_assert_eq(strlen(line), 4 + strlen(c.name) + 1 + 104 + 1);
  /* the log's own line is not a cosignature of c; without c's line: not found */
  cr_assert_eq(tlog_cosig_verify(note, (size_t)len, &c, &t), PROTO_E_NOT_FOUND);
  /* the same name with another key: its id differs, so the line is ignored */
  struct proto_key *other = seed_key(10);
  struct tlog_cosigner c2 = cosigner_of("witness.example/w1", other);
  cr_assert_eq(tlog_cosig_verify(both, blen, &c2, &t), PROTO_E_NOT_FOUND);
  proto_key_free(other);
  proto_key_free(w);
}

Test(cosig, a_changed_body_or_time_does_not_verify) {
  char note[2048], both[4096];
  long len = log_note(10, 0xAB, note, sizeof note);
  struct proto_key *w = seed_key(9);
  struct tlog_cosigner c = cosigner_of("w1.example", w);
  size_t blen = cosign_into(note, (size_t)len, c.name, w, 1700000000, both, sizeof both);
  char *tampered = strdup(both);
  tampered[strlen(ORIGIN) + 1] = '9'; /* size 10 -> 90 */
  cr_assert_eq(tlog_cosig_verify(tampered, blen, &c, NULL), PROTO_E_BAD_SIGNATURE);
  free(tampered);
  /* the timestamp is in the signed message: change it inside the blob */
  char *line = strstr(both, "\xE2\x80\x94 w1.example ") + 4 + strlen("w1.example ");
  uint8_t blob[TLOG_COSIG_BLOB_BYTES];
  cr_assert_eq(proto_base64_decode(line, 104, blob, sizeof blob), TLOG_COSIG_BLOB_BYTES);
  blob[11] ^= 1;
  char b64[128];
  cr_assert_eq(proto_base64_encode(blob, sizeof blob, b64, sizeof b64), 104);
  memcpy(line, b64, 104);
  cr_assert_eq(tlog_cosig_verify(both, blen, &c, NULL), PROTO_E_BAD_SIGNATURE);
  proto_key_free(w);
}

Test(cosig, a_valid_line_counts_beside_a_forged_one_and_the_latest_wins) {
  char note[2048], one[4096], two[4096];
  long len = log_note(10, 0xAB, note, sizeof note);
  struct proto_key *w = seed_key(9);
  struct tlog_cosigner c = cosigner_of("w1.example", w);
  size_t l1 = cosign_into(note, (size_t)len, c.name, w, 100, one, sizeof one);
  size_t l2 = cosign_into(one, l1, c.name, w, 200, two, sizeof two);
  uint64_t t = 0;
  cr_assert_eq(tlog_cosig_verify(two, l2, &c, &t), 0);
  cr_assert_eq(t, 200u);
  proto_key_free(w);
}

Test(cosig, extension_lines_are_covered) {
  const char *text = ORIGIN "\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension one\n";
  struct proto_key *w = seed_key(9);
  char line[TLOG_COSIG_LINE_BYTES_MAX + 1], note[1024];
  cr_assert_gt(tlog_cosign(text, strlen(text), "w1.example", w, 5, line, sizeof line), 0);
  struct tlog_cosigner c = cosigner_of("w1.example", w);
  snprintf(note, sizeof note, "%s\n%s", text, line);
  cr_assert_eq(tlog_cosig_verify(note, strlen(note), &c, NULL), 0);
  char *other = strdup(note);
  strstr(other, "extension one")[10] = (char)'0'; /* "one" -> "0ne" */
  cr_assert_eq(tlog_cosig_verify(other, strlen(other), &c, NULL), PROTO_E_BAD_SIGNATURE);
  free(other);
  cr_assert_eq(tlog_cosign(text, strlen(text), "w1.example", w, TLOG_COSIG_TIME_MAX + 1, line,
                           sizeof line), PROTO_E_BAD_ARGUMENT);
  proto_key_free(w);
}

/* ------------------------------------------------------------------------------------------ */

struct keys {
  struct proto_key *log, *w[4];
  char log_vkey[TLOG_VERIFIER_KEY_BYTES_MAX], w_vkey[4][TLOG_VERIFIER_KEY_BYTES_MAX];
};

static void keys_make(struct keys *k) {
  k->log = seed_key(1);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(k->log, pub);
  cr_assert_gt(tlog_verifier_key(ORIGIN, pub, k->log_vkey, sizeof k->log_vkey), 0);
  for (int i = 0; i < 4; i++) {
    k->w[i] = seed_key((uint8_t)(20 + i));
    char name[32];
    snprintf(name, sizeof name, "w%d.example", i + 1);
    proto_key_public(k->w[i], pub);
    cr_assert_gt(tlog_cosig_verifier_key(name, pub, k->w_vkey[i], sizeof k->w_vkey[i]), 0);
  }
}

static void keys_free(struct keys *k) {
  proto_key_free(k->log);
  for (int i = 0; i < 4; i++) proto_key_free(k->w[i]);
}

/* A policy text with %L for the log vkey and %1..%4 for the witness vkeys. */
static char *policy_text(const struct keys *k, const char *tmpl) {
  char *out = calloc(1, 16384);
  cr_assert(out != NULL);
  size_t at = 0;
  for (const char *p = tmpl; *p; p++) {
    const char *sub = NULL;
    if (p[0] == '%' && p[1] == 'L') sub = k->log_vkey;
    else if (p[0] == '%' && p[1] >= '1' && p[1] <= '4') sub = k->w_vkey[p[1] - '1'];
    if (sub) {
      at += (size_t)snprintf(out + at, 16384 - at, "%s", sub);
      p++;
    } else {
      out[at++] = *p;
    }
  }
  return out;
}

static int parse_tmpl(const struct keys *k, const char *tmpl, struct tlog_policy *p,
                      struct tlog_policy_error *err) {
  char *text = policy_text(k, tmpl);
  memset(err, 0, sizeof *err);
  int rc = tlog_policy_parse(text, strlen(text), p, err);
  free(text);
  return rc;
}

static struct tlog_policy policy_buf; /* 40 KiB: not on criterion's stack */

Test(policy, parses_the_spec_shape_with_groups_urls_and_comments) {
  struct keys k;
  keys_make(&k);
  struct tlog_policy_error err;
  int rc = parse_tmpl(&k,
                      "# a policy\n"
                      "log %L https://registry.example/\n"
                      "\n"
                      "  witness X1\t%1 http://127.0.0.1:7380\n"
                      "witness X2 %2\n"
                      "witness X3 %3\n"
                      "group X 2 X1 X2 X3   \n"
                      "witness Y1 %4\n"
                      "group Y any Y1\n"
                      "group XY all X Y\n"
                      "quorum XY\n",
                      &policy_buf, &err);
  cr_assert_eq(rc, 0, "line %u: %s", err.line, err.message);
  struct tlog_policy *p = &policy_buf;
  cr_assert_eq(p->logs_count, 1);
  cr_assert_str_eq(p->logs[0].name, ORIGIN);
  cr_assert_str_eq(p->logs[0].url, "https://registry.example/");
  cr_assert_eq(p->witnesses_count, 4);
  cr_assert_str_eq(p->witnesses[0].url, "http://127.0.0.1:7380");
  cr_assert_str_eq(p->witnesses[0].key.name, "w1.example");
  cr_assert_eq(p->groups_count, 3);
  cr_assert_eq(p->groups[0].k, 2);
  cr_assert_eq(p->groups[2].k, 2);
  cr_assert_eq(p->quorum, TLOG_POLICY_GROUP + 2);
  bool w[TLOG_POLICY_WITNESSES_MAX] = {true, true, false, true};
  cr_assert(tlog_policy_quorum_met(p, w));
  w[3] = false;
  cr_assert_not(tlog_policy_quorum_met(p, w), "Y missing");
  w[3] = true;
  w[1] = false;
  cr_assert_not(tlog_policy_quorum_met(p, w), "only one X");
  keys_free(&k);
}

struct bad_case {
  const char *tmpl;
  unsigned line;
  const char *says;
};

Test(policy, refuses_malformed_files_naming_the_line) {
  struct keys k;
  keys_make(&k);
  const struct bad_case cases[] = {
      {"quorum none", 1, "newline"},
      {"witness A %1\nwitnes B %2\nquorum A\n", 2, "unknown keyword"},
      {"witness A %1\ngroup G any A B\nquorum G\n", 2, "earlier line"},
      {"quorum A\nwitness A %1\n", 1, "earlier line"},
      {"witness A %1\nwitness B %1\nquorum A\n", 2, "twice"},
      {"witness A %1\nwitness A %2\nquorum A\n", 2, "already defined"},
      {"witness none %1\nquorum none\n", 1, "reserved"},
      {"witness A %1\ngroup G 0 A\nquorum G\n", 2, "threshold"},
      {"witness A %1\ngroup G 2 A\nquorum G\n", 2, "threshold"},
      {"witness A %1\nwitness B %2\ngroup G 02 A B\nquorum G\n", 3, "threshold"},
      {"witness A %1\ngroup G any A A\nquorum G\n", 2, "twice"},
      {"witness A %1\ngroup G any none\nquorum G\n", 2, "earlier line"},
      {"witness A %1\n", 0, "no quorum"},
      {"witness A %1\nquorum A\nquorum A\n", 3, "second quorum"},
      {"witness A %1 url extra\nquorum A\n", 1, "witness line"},
      {"witness A %L\nquorum A\n", 1, "cosigner verifier key"},
      {"log %1\nquorum none\n", 1, "checkpoint verifier key"},
      {"log %L\nlog %L\nquorum none\n", 2, "twice"},
      {"witness A %1\nquorum A B\n", 2, "quorum line"},
      {"witness A\x01 %1\nquorum none\n", 1, "control character"},
      {"witness A %1\r\nquorum A\n", 1, "control character"},
      {"group G any\nquorum none\n", 1, "group line"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tlog_policy_error err;
    int rc = parse_tmpl(&k, cases[i].tmpl, &policy_buf, &err);
    cr_assert_eq(rc, PROTO_E_BAD_POLICY, "case %zu accepted", i);
    cr_assert_eq(err.line, cases[i].line, "case %zu: line %u (%s)", i, err.line, err.message);
    cr_assert(strstr(err.message, cases[i].says) != NULL, "case %zu: %s", i, err.message);
  }
  keys_free(&k);
}

Test(policy, refuses_more_witnesses_than_its_limit) {
  char *text = calloc(1, 32768);
  size_t at = 0;
  for (unsigned i = 0; i <= TLOG_POLICY_WITNESSES_MAX; i++) {
    struct proto_key *w = seed_key((uint8_t)(100 + i));
    uint8_t pub[PROTO_PUBKEY_BYTES];
    proto_key_public(w, pub);
    char vkey[TLOG_VERIFIER_KEY_BYTES_MAX];
    cr_assert_gt(tlog_cosig_verifier_key("w.example", pub, vkey, sizeof vkey), 0);
    at += (size_t)snprintf(text + at, 32768 - at, "witness W%u %s\n", i, vkey);
    proto_key_free(w);
  }
  at += (size_t)snprintf(text + at, 32768 - at, "quorum W0\n");
  struct tlog_policy_error err;
  cr_assert_eq(tlog_policy_parse(text, at, &policy_buf, &err), PROTO_E_BAD_POLICY);
  cr_assert_eq(err.line, TLOG_POLICY_WITNESSES_MAX + 1);
  cr_assert(strstr(err.message, "more than 32 witnesses") != NULL, "%s", err.message);
  free(text);
}

static int majority(const struct keys *k, const char *tmpl) {
  struct tlog_policy_error err;
  int rc = parse_tmpl(k, tmpl, &policy_buf, &err);
  cr_assert_eq(rc, 0, "line %u: %s", err.line, err.message);
  return tlog_policy_check_majority(&policy_buf, &err);
}

Test(policy, majority_rule_needs_more_than_half_of_the_witnesses) {
  struct keys k;
  keys_make(&k);
  const char *three = "witness A %1\nwitness B %2\nwitness C %3\n";
  char buf[512];
  snprintf(buf, sizeof buf, "%sgroup G 2 A B C\nquorum G\n", three);
  cr_assert_eq(majority(&k, buf), 0, "2 of 3");
  snprintf(buf, sizeof buf, "%sgroup G any A B C\nquorum G\n", three);
  cr_assert_eq(majority(&k, buf), PROTO_E_WEAK_QUORUM, "1 of 3");
  snprintf(buf, sizeof buf, "%squorum A\n", three);
  cr_assert_eq(majority(&k, buf), PROTO_E_WEAK_QUORUM, "one witness of 3");
  cr_assert_eq(majority(&k, "witness A %1\nquorum A\n"), 0, "the only witness");
  snprintf(buf, sizeof buf, "%squorum none\n", three);
  cr_assert_eq(majority(&k, buf), PROTO_E_WEAK_QUORUM, "none");
  cr_assert_eq(majority(&k, "witness A %1\nwitness B %2\nwitness C %3\nwitness D %4\n"
                            "group G 2 A B C D\nquorum G\n"), PROTO_E_WEAK_QUORUM, "2 of 4");
  cr_assert_eq(majority(&k, "witness A %1\nwitness B %2\nwitness C %3\nwitness D %4\n"
                            "group G 3 A B C D\nquorum G\n"), 0, "3 of 4");
  /* nested: all of (2 of {A,B,C}) and D: 3 of 4 */
  cr_assert_eq(majority(&k, "witness A %1\nwitness B %2\nwitness C %3\nwitness D %4\n"
                            "group X 2 A B C\ngroup Q all X D\nquorum Q\n"), 0, "nested 3 of 4");
  keys_free(&k);
}

/* Groups sharing a witness: summing the groups' minima would say 2 of 3, but A alone meets
 * both groups; the subset search sees it. */
Test(policy, majority_rule_sees_witnesses_shared_between_groups) {
  struct keys k;
  keys_make(&k);
  cr_assert_eq(majority(&k, "witness A %1\nwitness B %2\nwitness C %3\n"
                            "group G1 any A B\ngroup G2 any A C\ngroup Q all G1 G2\nquorum Q\n"),
               PROTO_E_WEAK_QUORUM);
  struct tlog_policy_error err;
  cr_assert_eq(tlog_policy_check_majority(&policy_buf, &err), PROTO_E_WEAK_QUORUM);
  cr_assert(strstr(err.message, "1 of the 3") != NULL, "%s", err.message);
  keys_free(&k);
}

Test(policy, verify_checks_the_log_signature_then_the_quorum) {
  struct keys k;
  keys_make(&k);
  struct tlog_policy_error err;
  cr_assert_eq(parse_tmpl(&k, "log %L\nwitness A %1\nwitness B %2\nwitness C %3\n"
                              "group G 2 A B C\nquorum G\n", &policy_buf, &err), 0);
  char note[2048], one[4096], two[4096], bad[4096];
  long len = log_note(42, 0x11, note, sizeof note);
  size_t l1 = cosign_into(note, (size_t)len, "w1.example", k.w[0], 1000, one, sizeof one);
  struct tlog_policy_result r;
  cr_assert_eq(tlog_policy_verify(&policy_buf, one, l1, &r), PROTO_E_NO_QUORUM);
  cr_assert_eq(r.cosigned, 1);
  size_t l2 = cosign_into(one, l1, "w3.example", k.w[2], 1001, two, sizeof two);
  cr_assert_eq(tlog_policy_verify(&policy_buf, two, l2, &r), 0);
  cr_assert(r.witnessed[0] && !r.witnessed[1] && r.witnessed[2]);
  cr_assert_eq(r.time_s[2], 1001u);
  cr_assert_eq(r.cp.size, 42u);
  cr_assert_eq(r.log, 0);
  /* a line under B's name and key id that B did not sign: not counted, marked bad */
  size_t lb = cosign_into(one, l1, "w2.example", k.w[0], 1002, bad, sizeof bad);
  char *b = strstr(bad, "\xE2\x80\x94 w2.example ") + 4 + strlen("w2.example ");
  uint8_t blob[TLOG_COSIG_BLOB_BYTES];
  cr_assert_eq(proto_base64_decode(b, 104, blob, sizeof blob), TLOG_COSIG_BLOB_BYTES);
  uint32_t id = policy_buf.witnesses[1].key.key_id;
  for (int i = 0; i < 4; i++) blob[i] = (uint8_t)(id >> (24 - 8 * i));
  char b64[128];
  cr_assert_eq(proto_base64_encode(blob, sizeof blob, b64, sizeof b64), 104);
  memcpy(b, b64, 104);
  cr_assert_eq(tlog_policy_verify(&policy_buf, bad, lb, &r), PROTO_E_NO_QUORUM);
  cr_assert(r.bad[1] && !r.witnessed[1]);
  /* without the log's signature: refused before any cosignature counts */
  char *nolog = strdup(two);
  char *logline = strstr(nolog, "\xE2\x80\x94 " ORIGIN " ");
  logline[4] = 'X';
  cr_assert_eq(tlog_policy_verify(&policy_buf, nolog, l2, &r), PROTO_E_BAD_SIGNATURE);
  free(nolog);
  keys_free(&k);
}

/* ------------------------------------------------------------------------------------------ */

Test(witness_protocol, request_builds_and_parses_back) {
  char note[2048], body[TLOG_WITNESS_REQUEST_BYTES_MAX];
  long len = log_note(7, 0x22, note, sizeof note);
  uint8_t proof[3][PROTO_HASH_BYTES];
  for (int i = 0; i < 3; i++) memset(proof[i], 0x30 + i, PROTO_HASH_BYTES);
  long n = tlog_witness_request_build(4, (const uint8_t(*)[PROTO_HASH_BYTES])proof, 3, note,
                                      (size_t)len, body, sizeof body);
  cr_assert_gt(n, 0);
  cr_assert_eq(strncmp(body, "old 4\n", 6), 0);
  struct tlog_witness_request r;
  cr_assert_eq(tlog_witness_request_parse(body, (size_t)n, &r), 0);
  cr_assert_eq(r.old_size, 4u);
  cr_assert_eq(r.proof_len, 3u);
  cr_assert_arr_eq(r.proof[2], proof[2], PROTO_HASH_BYTES);
  cr_assert_eq(r.note.cp.size, 7u);
  cr_assert_eq(r.note.text + r.note.text_len + 1 + r.note.sigs_len, body + n);
  /* the build refuses what the protocol forbids */
  cr_assert_eq(tlog_witness_request_build(8, NULL, 0, note, (size_t)len, body, sizeof body),
               PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_witness_request_build(0, (const uint8_t(*)[PROTO_HASH_BYTES])proof, 1, note,
                                          (size_t)len, body, sizeof body), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(tlog_witness_request_build(0, NULL, 0, note, (size_t)len, body, 20),
               PROTO_E_FIELD_TOO_LONG);
}

Test(witness_protocol, request_parser_refuses_malformed_bodies) {
  char note[2048];
  log_note(7, 0x22, note, sizeof note);
  const char *h = "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=";
  const char *heads[] = {
      "old 01\n\n", "old -1\n\n", "old\n\n", "old  1\n\n", "OLD 1\n\n", "old 1\r\n\n",
      "old 18446744073709551616\n\n", "old 1\n", "old 0\nMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=\n\n",
      "old 1\nMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDF=\n\n", /* non-canonical base64 */
      "old 1\nMDAw\n\n", "old 1\n \n\n",
  };
  struct tlog_witness_request r;
  char body[8192];
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
    int n = snprintf(body, sizeof body, "%s%s", heads[i], note);
    cr_assert_eq(tlog_witness_request_parse(body, (size_t)n, &r), PROTO_E_BAD_REQUEST, "head %zu", i);
  }
  /* 64 proof lines: one more than the protocol allows */
  size_t at = (size_t)snprintf(body, sizeof body, "old 5\n");
  for (int i = 0; i < 64; i++) at += (size_t)snprintf(body + at, sizeof body - at, "%s\n", h);
  at += (size_t)snprintf(body + at, sizeof body - at, "\n%s", note);
  cr_assert_eq(tlog_witness_request_parse(body, at, &r), PROTO_E_BAD_REQUEST);
  /* garbage after the note, a note without signatures, nothing at all */
  int n = snprintf(body, sizeof body, "old 0\n\n%sgarbage\n", note);
  cr_assert_eq(tlog_witness_request_parse(body, (size_t)n, &r), PROTO_E_BAD_REQUEST);
  n = snprintf(body, sizeof body, "old 0\n\n" ORIGIN "\n7\nIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=\n\n");
  cr_assert_eq(tlog_witness_request_parse(body, (size_t)n, &r), PROTO_E_BAD_REQUEST);
  cr_assert_eq(tlog_witness_request_parse("", 0, &r), PROTO_E_BAD_REQUEST);
  n = snprintf(body, sizeof body, "old 0\n\n%s", note);
  cr_assert_eq(tlog_witness_request_parse(body, (size_t)n, &r), 0, "the same note is fine");
}

Test(witness_protocol, size_answer_is_strict_decimal_and_newline) {
  char buf[32];
  cr_assert_eq(tlog_witness_size_format(1234, buf, sizeof buf), 5);
  cr_assert_str_eq(buf, "1234\n");
  uint64_t s = 0;
  cr_assert_eq(tlog_witness_size_parse("1234\n", 5, &s), 0);
  cr_assert_eq(s, 1234u);
  cr_assert_eq(tlog_witness_size_parse("0\n", 2, &s), 0);
  cr_assert_eq(s, 0u);
  const char *bad[] = {"", "\n", "12", "012\n", "12\n\n", "-1\n", "1 \n", "18446744073709551616\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(tlog_witness_size_parse(bad[i], strlen(bad[i]), &s), PROTO_E_BAD_REQUEST, "%zu", i);
}

Test(witness_protocol, response_parser_finds_the_witness_line) {
  char note[2048];
  long len = log_note(7, 0x22, note, sizeof note);
  struct tlog_note n;
  cr_assert_eq(tlog_note_parse(note, (size_t)len, &n), 0);
  struct proto_key *w1 = seed_key(31), *w2 = seed_key(32);
  struct tlog_cosigner c1 = cosigner_of("w1.example", w1), c2 = cosigner_of("w2.example", w2);
  char body[1024], l1[300], l2[300];
  cr_assert_gt(tlog_cosign(n.text, n.text_len, "w1.example", w1, 50, l1, sizeof l1), 0);
  cr_assert_gt(tlog_cosign(n.text, n.text_len, "w2.example", w2, 60, l2, sizeof l2), 0);
  int bl = snprintf(body, sizeof body, "%s%s", l2, l1);
  uint64_t t = 0;
  const char *line = NULL;
  size_t ll = 0;
  cr_assert_eq(tlog_witness_response_parse(body, (size_t)bl, n.text, n.text_len, &c1, &t, &line, &ll), 0);
  cr_assert_eq(t, 50u);
  cr_assert_eq(ll, strlen(l1));
  cr_assert_eq(memcmp(line, l1, ll), 0);
  cr_assert_eq(tlog_witness_response_parse(l1, strlen(l1), n.text, n.text_len, &c2, &t, NULL, NULL),
               PROTO_E_NOT_FOUND);
  cr_assert_eq(tlog_witness_response_parse("hello\n", 6, n.text, n.text_len, &c1, &t, NULL, NULL),
               PROTO_E_BAD_REQUEST);
  cr_assert_eq(tlog_witness_response_parse(l1, strlen(l1) - 1, n.text, n.text_len, &c1, &t, NULL, NULL),
               PROTO_E_BAD_REQUEST);
  /* a cosignature of another checkpoint does not verify for this one */
  char other[2048];
  long olen = log_note(8, 0x22, other, sizeof other);
  struct tlog_note on;
  cr_assert_eq(tlog_note_parse(other, (size_t)olen, &on), 0);
  cr_assert_eq(tlog_witness_response_parse(l1, strlen(l1), on.text, on.text_len, &c1, &t, NULL, NULL),
               PROTO_E_BAD_SIGNATURE);
  proto_key_free(w1);
  proto_key_free(w2);
}
