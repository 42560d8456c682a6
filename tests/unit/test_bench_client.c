/* Tests of quota-bench's own parts that decide whether its figures mean anything: the HTTP
 * response framing, the generated registry data (USCCs, sectors), and the signed frames. */
#include <criterion/criterion.h>
#include <errno.h>

/* The tool's sources are compiled in: they are not a library, and their static helpers are what
 * these tests check. */
#include "bench/quota_bench_http.c"  // NOLINT(bugprone-suspicious-include)
#include "bench/quota_bench_setup.c" // NOLINT(bugprone-suspicious-include)

static void conn_with(struct http_conn *c, const char *bytes) {
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->in_len = strlen(bytes);
  c->in_cap = c->in_len + 1;
  c->in = malloc(c->in_cap);
  cr_assert_not_null(c->in);
  memcpy(c->in, bytes, c->in_cap);
}

Test(http_parse, reads_a_complete_response_and_its_body) {
  struct http_conn c;
  conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello");
  struct http_response r;
  cr_assert_eq(http_parse(&c, &r), 1);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.body_len, 5);
  cr_assert_eq(memcmp(r.body, "hello", 5), 0);
  cr_assert_eq(r.consumed, c.in_len);
  http_close(&c);
}

Test(http_parse, waits_for_the_rest_of_a_partial_body) {
  struct http_conn c;
  conn_with(&c, "HTTP/1.1 422 Unprocessable Entity\r\ncontent-length: 10\r\n\r\n{\"a\"");
  struct http_response r;
  cr_assert_eq(http_parse(&c, &r), 0);
  http_close(&c);
  conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Len");
  cr_assert_eq(http_parse(&c, &r), 0);
  http_close(&c);
}

Test(http_parse, separates_pipelined_responses_in_order) {
  struct http_conn c;
  conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                "HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\n\r\nBC");
  struct http_response r;
  cr_assert_eq(http_parse(&c, &r), 1);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.body[0], 'A');
  http_consume(&c, &r);
  cr_assert_eq(http_parse(&c, &r), 1);
  cr_assert_eq(r.status, 409);
  cr_assert_eq(memcmp(r.body, "BC", 2), 0);
  http_consume(&c, &r);
  cr_assert_eq(c.in_len, 0);
  http_close(&c);
}

Test(http_parse, refuses_a_response_without_length_or_with_a_bad_status) {
  struct http_conn c;
  struct http_response r;
  conn_with(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  cr_assert_eq(http_parse(&c, &r), -EPROTO);
  http_close(&c);
  conn_with(&c, "HTTP/1.1 999 What\r\nContent-Length: 0\r\n\r\n");
  cr_assert_eq(http_parse(&c, &r), -EPROTO);
  http_close(&c);
  conn_with(&c, "SMTP 220 hello there, not http\r\n\r\n");
  cr_assert_eq(http_parse(&c, &r), -EPROTO);
  http_close(&c);
}

Test(registry_data, every_generated_uscc_passes_its_check_and_is_unique) {
  static char seen[3378][PROTO_USCC_BYTES + 1];
  for (unsigned i = 0; i < 3378; i++) {
    unsigned province = province_codes[(i * 7u + i / 31u) % BENCH_PROVINCES];
    make_uscc(province, i, seen[i]);
    unsigned bad = 0;
    cr_assert_eq(proto_uscc_check(seen[i], PROTO_USCC_BYTES, &bad), 0, "%s bad at %u", seen[i], bad);
    for (unsigned j = 0; j < i; j++) cr_assert_neq(strcmp(seen[i], seen[j]), 0);
  }
}

Test(registry_data, sectors_follow_the_2025_key_emitter_counts) {
  unsigned count[5] = {0};
  for (unsigned i = 0; i < 3378; i++) count[sector_of(i)]++;
  cr_assert_eq(count[PROTO_SECTOR_POWER], 2087);
  cr_assert_eq(count[PROTO_SECTOR_STEEL], 232);
  cr_assert_eq(count[PROTO_SECTOR_CEMENT], 962);
  cr_assert_eq(count[PROTO_SECTOR_ALUMINIUM], 97);
}

Test(signed_frames, a_frame_holds_an_envelope_that_verifies_for_the_origin) {
  struct bench_registry reg = {0};
  snprintf(reg.origin, sizeof(reg.origin), "bench.test/registry");
  struct proto_key *key = proto_key_generate();
  cr_assert_not_null(key);
  struct proto_tx tx = {.type = PROTO_TX_TRANSFER};
  bench_tx_id(42, tx.id);
  tx.u.move.from = BENCH_ENTERPRISE(1);
  tx.u.move.to = BENCH_ENTERPRISE(2);
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = 1;
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  cr_assert_eq(bench_sign_frame(&reg, &tx, &key, 1, &buf, &len, &cap), 0);
  size_t elen = ((size_t)buf[0] << 8) | buf[1];
  cr_assert_eq(elen + 2, len, "one frame: u16 length then exactly that many bytes");
  struct proto_envelope env;
  cr_assert_eq(proto_envelope_decode(buf + 2, elen, &env), 0);
  cr_assert_eq(env.sigs_count, 1);
  uint8_t msg[PROTO_ENTRY_BYTES_MAX], hash[PROTO_HASH_BYTES];
  long mlen = proto_signing_message(reg.origin, env.body, env.body_len, msg, sizeof(msg));
  cr_assert_gt(mlen, 0);
  cr_assert_eq(proto_verify(key, msg, (size_t)mlen, env.sigs[0].sig), 0);
  proto_key_hash(key, hash);
  cr_assert_eq(memcmp(hash, env.sigs[0].key_hash, PROTO_HASH_BYTES), 0);
  /* Another registry's origin must not verify: the signature is bound to this registry. */
  mlen = proto_signing_message("other.test/registry", env.body, env.body_len, msg, sizeof(msg));
  cr_assert_eq(proto_verify(key, msg, (size_t)mlen, env.sigs[0].sig), PROTO_E_BAD_SIGNATURE);
  struct proto_tx back;
  cr_assert_eq(proto_tx_decode(env.body, env.body_len, &back), 0);
  cr_assert_eq(back.u.move.amount, 1);
  cr_assert_eq(memcmp(back.id, tx.id, PROTO_ID_BYTES), 0);
  proto_tx_free(&back);
  free(buf);
  proto_key_free(key);
}

Test(signed_frames, ids_are_unique_and_time_ordered) {
  uint8_t a[PROTO_ID_BYTES], b[PROTO_ID_BYTES];
  bench_tx_id(1, a);
  bench_tx_id(2, b);
  cr_assert_neq(memcmp(a, b, PROTO_ID_BYTES), 0);
  cr_assert_lt(memcmp(a, b, PROTO_ID_BYTES), 0, "a later counter in the same ms sorts after");
}

Test(signed_frames, an_invalid_transaction_is_refused_before_signing) {
  struct bench_registry reg = {0};
  snprintf(reg.origin, sizeof(reg.origin), "bench.test/registry");
  struct proto_key *key = proto_key_generate();
  struct proto_tx tx = {.type = PROTO_TX_TRANSFER};
  tx.u.move.from = tx.u.move.to = BENCH_ENTERPRISE(1); /* same account */
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = 1;
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  cr_assert_eq(bench_sign_frame(&reg, &tx, &key, 1, &buf, &len, &cap), -1);
  cr_assert_eq(len, 0, "nothing appended");
  free(buf);
  proto_key_free(key);
}
