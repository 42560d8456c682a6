/* Unit tests of read authorization: the signed header's syntax, its signature and time window,
 * who may read which account, and the HTTP status of error codes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"

static struct proto_key *key;
static uint8_t pub[PROTO_PUBKEY_BYTES], hash[PROTO_HASH_BYTES];

static void setup(void) {
  uint8_t seed[PROTO_SEED_BYTES];
  memset(seed, 7, sizeof seed);
  key = proto_key_from_seed(seed);
  cr_assert_not_null(key);
  proto_key_public(key, pub);
  proto_key_hash(key, hash);
}
static void teardown(void) { proto_key_free(key); }
/* Each test of this suite calls setup() first and teardown() last (plain calls keep the
 * file readable to cppcheck, which does not expand criterion's named arguments). */

/* Builds a header the way a client does: sign the message, base64 the parts. */
static void make_header(const char *origin, const char *method, const char *target, int64_t t,
                        char *out, size_t cap) {
  uint8_t msg[1024];
  long n = proto_read_message(origin, method, target, (uint64_t)t, msg, sizeof msg);
  cr_assert_gt(n, 0);
  uint8_t sig[PROTO_SIG_BYTES];
  cr_assert_eq(proto_sign(key, msg, (size_t)n, sig), 0);
  char k64[64], s64[100];
  proto_base64_encode(hash, sizeof hash, k64, sizeof k64);
  proto_base64_encode(sig, sizeof sig, s64, sizeof s64);
  snprintf(out, cap, "Quotad-Ed25519 key=%s, time=%lld, sig=%s", k64, (long long)t, s64);
}

Test(auth, accepts_a_valid_header_within_the_window) {
  setup();
  char hdr[512];
  make_header("o", "GET", "/v1/accounts/5", 1000000, hdr, sizeof hdr);
  struct daemon_auth_header h;
  cr_assert_eq(daemon_auth_parse(hdr, &h), 0);
  cr_assert_eq(memcmp(h.key_hash, hash, sizeof hash), 0);
  cr_assert_eq(h.time_s, 1000000);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "GET", "/v1/accounts/5", 1000000 + 300, 300), 0);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "GET", "/v1/accounts/5", 1000000 - 300, 300), 0);
  teardown();
}

Test(auth, refuses_a_time_outside_the_window_as_stale) {
  setup();
  char hdr[512];
  make_header("o", "GET", "/v1/keys", 1000000, hdr, sizeof hdr);
  struct daemon_auth_header h;
  cr_assert_eq(daemon_auth_parse(hdr, &h), 0);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "GET", "/v1/keys", 1000000 + 301, 300), PROTO_E_STALE_TIME);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "GET", "/v1/keys", 1000000 - 301, 300), PROTO_E_STALE_TIME);
  teardown();
}

Test(auth, refuses_a_signature_over_another_path_origin_or_method) {
  setup();
  char hdr[512];
  make_header("o", "GET", "/v1/accounts/5", 1000, hdr, sizeof hdr);
  struct daemon_auth_header h;
  cr_assert_eq(daemon_auth_parse(hdr, &h), 0);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "GET", "/v1/accounts/6", 1000, 300), PROTO_E_BAD_SIGNATURE);
  cr_assert_eq(daemon_auth_verify(&h, pub, "p", "GET", "/v1/accounts/5", 1000, 300), PROTO_E_BAD_SIGNATURE);
  cr_assert_eq(daemon_auth_verify(&h, pub, "o", "POST", "/v1/accounts/5", 1000, 300), PROTO_E_BAD_SIGNATURE);
  teardown();
}

Test(auth, refuses_a_signature_by_another_key) {
  setup();
  char hdr[512];
  make_header("o", "GET", "/v1/keys", 1000, hdr, sizeof hdr);
  struct daemon_auth_header h;
  cr_assert_eq(daemon_auth_parse(hdr, &h), 0);
  uint8_t seed2[PROTO_SEED_BYTES];
  memset(seed2, 9, sizeof seed2);
  struct proto_key *other = proto_key_from_seed(seed2);
  uint8_t pub2[PROTO_PUBKEY_BYTES];
  proto_key_public(other, pub2);
  proto_key_free(other);
  cr_assert_eq(daemon_auth_verify(&h, pub2, "o", "GET", "/v1/keys", 1000, 300), PROTO_E_BAD_SIGNATURE);
  teardown();
}

Test(auth, refuses_malformed_headers_as_unauthorized) {
  setup();
  struct daemon_auth_header h;
  const char *bad[] = {
    NULL,
    "",
    "Bearer abc",
    "Quotad-Ed25519",
    "Quotad-Ed25519 key=AAAA, time=1, sig=AAAA",      /* wrong lengths */
    "Quotad-Ed25519 time=1, key=AAAA, sig=AAAA",      /* wrong order */
    "Quotad-Ed25519 key=!!!, time=1, sig=AAAA",       /* bad base64 */
    "Quotad-Ed25519 key=AAAA, time=-1, sig=AAAA",     /* sign */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(daemon_auth_parse(bad[i], &h), PROTO_E_UNAUTHORIZED, "case %zu", i);
  char hdr[512];
  make_header("o", "GET", "/", 5, hdr, sizeof hdr);
  strcat(hdr, ", extra=1");
  cr_assert_eq(daemon_auth_parse(hdr, &h), PROTO_E_UNAUTHORIZED);
  teardown();
}

Test(policy, representative_reads_only_its_account) {
  struct daemon_principal p = {.authenticated = true, .role = PROTO_ROLE_REPRESENTATIVE, .scope = 101};
  cr_assert(daemon_may_read_account(&p, 101, 44));
  cr_assert_not(daemon_may_read_account(&p, 102, 44));
  cr_assert_not(daemon_may_read_all(&p));
}

Test(policy, authority_reads_its_province_only) {
  struct daemon_principal p = {.authenticated = true, .role = PROTO_ROLE_AUTHORITY, .scope = 44};
  cr_assert(daemon_may_read_account(&p, 101, 44));
  cr_assert_not(daemon_may_read_account(&p, 101, 11));
  cr_assert_not(daemon_may_read_account(&p, 900, 0)); /* participants have no province */
}

Test(policy, operator_and_auditor_read_all_exchange_and_anonymous_do_not) {
  struct daemon_principal op = {.authenticated = true, .role = PROTO_ROLE_OPERATOR};
  struct daemon_principal au = {.authenticated = true, .role = PROTO_ROLE_AUDITOR};
  struct daemon_principal ex = {.authenticated = true, .role = PROTO_ROLE_EXCHANGE};
  struct daemon_principal anon = {.local = true};
  cr_assert(daemon_may_read_all(&op) && daemon_may_read_all(&au));
  cr_assert(daemon_may_read_account(&op, 5, 11));
  cr_assert_not(daemon_may_read_account(&ex, 5, 11));
  cr_assert_not(daemon_may_read_account(&anon, 5, 11));
  cr_assert_not(daemon_may_read_all(&anon));
}

Test(status, maps_codes_to_the_documented_statuses) {
  cr_assert_eq(daemon_status_for(0), 200);
  cr_assert_eq(daemon_status_for(1), 200);
  cr_assert_eq(daemon_status_for(PROTO_E_ID_CONFLICT), 409);
  cr_assert_eq(daemon_status_for(PROTO_E_INSUFFICIENT_BALANCE), 422);
  cr_assert_eq(daemon_status_for(PROTO_E_TRUNCATED), 400);
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_JSON), 400);
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_SIGNATURE), 401);
  cr_assert_eq(daemon_status_for(PROTO_E_UNKNOWN_KEY), 401);
  cr_assert_eq(daemon_status_for(PROTO_E_WRONG_ROLE), 403);
  cr_assert_eq(daemon_status_for(PROTO_E_REVOKED_KEY), 403);
  cr_assert_eq(daemon_status_for(PROTO_E_INSUFFICIENT_SIGNATURES), 403);
  cr_assert_eq(daemon_status_for(PROTO_E_TOO_LARGE), 413);
  cr_assert_eq(daemon_status_for(PROTO_E_NOT_FOUND), 404);
  cr_assert_eq(daemon_status_for(PROTO_E_TEXT_CONTROL), 400, "a bidi control in a name");
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_KEY), 422, "a weak key at registration");
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_THRESHOLD), 422);
}

/* The status is a column of proto's error table, not a numeric range: codes in the middle of
 * a range that once mapped by ranges answer what the table says. */
Test(status, comes_from_the_error_table_not_from_ranges) {
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_KEY), 400);   /* was 500: outside every range */
  cr_assert_eq(daemon_status_for(PROTO_E_LOCKED), 503);    /* was 400: inside -1400..-1499 */
  cr_assert_eq(daemon_status_for(PROTO_E_MAP_FULL), 507);
  cr_assert_eq(daemon_status_for(PROTO_E_CORRUPT), 500);
  cr_assert_eq(daemon_status_for(PROTO_E_BAD_SCHEME), 422);
  cr_assert_eq(daemon_status_for(-5 /* -EIO */), 500);
  cr_assert_eq(daemon_status_for(-99999), 500);           /* not in the table */
  cr_assert_eq(proto_err_http_status(PROTO_E_UNKNOWN_LOG_KEY), 403);
}

Test(status, server_faults_are_the_5xx_rows_and_system_errors) {
  cr_assert(proto_err_is_server_fault(PROTO_E_STORAGE));
  cr_assert(proto_err_is_server_fault(PROTO_E_MAP_FULL));
  cr_assert(proto_err_is_server_fault(PROTO_E_NO_MEMORY));
  cr_assert(proto_err_is_server_fault(PROTO_E_CORRUPT));
  cr_assert(proto_err_is_server_fault(-28 /* -ENOSPC */));
  cr_assert_not(proto_err_is_server_fault(0));
  cr_assert_not(proto_err_is_server_fault(1));
  cr_assert_not(proto_err_is_server_fault(PROTO_E_INSUFFICIENT_BALANCE));
  cr_assert_not(proto_err_is_server_fault(PROTO_E_BAD_KEY));
  cr_assert_not(proto_err_is_server_fault(PROTO_E_ID_CONFLICT));
}

Test(status, error_body_names_the_code) {
  struct daemon_buf b = {0};
  cr_assert_eq(daemon_error_body(&b, PROTO_E_ID_CONFLICT, "abc"), 0);
  cr_assert_not_null(strstr(b.data, "\"code\":\"id_conflict\""));
  cr_assert_not_null(strstr(b.data, "abc"));
  daemon_buf_free(&b);
}

Test(accounts, a_transfer_names_its_two_accounts) {
  struct proto_tx tx = {.type = PROTO_TX_TRANSFER};
  tx.u.move.from = 101;
  tx.u.move.to = 202;
  tx.u.move.amount = 5;
  uint64_t ids[8];
  size_t n = proto_tx_accounts(&tx, 0, ids, 8);
  cr_assert_eq(n, 2);
  cr_assert((ids[0] == 101 && ids[1] == 202) || (ids[0] == 202 && ids[1] == 101));
}

Test(accounts, a_settlement_names_every_leg_once) {
  struct proto_leg legs[3] = {{.from = 1, .to = 2, .amount = 1}, {.from = 2, .to = 3, .amount = 1},
                              {.from = 1, .to = 3, .amount = 1}};
  struct proto_tx tx = {.type = PROTO_TX_SETTLE};
  tx.u.settle.legs_count = 3;
  tx.u.settle.legs = legs;
  uint64_t ids[8];
  cr_assert_eq(proto_tx_accounts(&tx, 0, ids, 8), 3);
  cr_assert_eq(proto_tx_accounts(&tx, 0, ids, 2), 2); /* never past cap */
}

Test(accounts, a_representative_key_names_its_account) {
  struct proto_tx tx = {.type = PROTO_TX_KEY_REGISTER};
  tx.u.key_register.role = PROTO_ROLE_REPRESENTATIVE;
  tx.u.key_register.scope = 77;
  uint64_t ids[4];
  cr_assert_eq(proto_tx_accounts(&tx, 0, ids, 4), 1);
  cr_assert_eq(ids[0], 77);
}
