/* Unit tests of the daemon's per-peer connection table, peer address parsing (X-Forwarded-For,
 * trusted proxies), the answer cache, and the parser's header clock. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

static void addr(const char *text, uint8_t out[DAEMON_PEER_BYTES]) {
  cr_assert_eq(daemon_peer_parse(text, out), 0, "%s", text);
}

Test(peers, refuses_the_connection_past_the_per_peer_max) {
  struct daemon_peers t;
  cr_assert_eq(daemon_peers_init(&t, 64), 0);
  uint8_t a[DAEMON_PEER_BYTES], b[DAEMON_PEER_BYTES];
  addr("192.0.2.1", a);
  addr("2001:db8::1", b);
  for (int i = 0; i < 3; i++) cr_assert(daemon_peers_add(&t, a, 3));
  cr_assert_not(daemon_peers_add(&t, a, 3), "the fourth of one address");
  cr_assert_eq(daemon_peers_count(&t, a), 3, "a refusal counts nothing");
  cr_assert(daemon_peers_add(&t, b, 3), "another address is not affected");
  daemon_peers_remove(&t, a);
  cr_assert(daemon_peers_add(&t, a, 3), "a closed connection gives its slot back");
  daemon_peers_free(&t);
}

Test(peers, many_addresses_come_and_go_without_losing_a_count) {
  struct daemon_peers t;
  cr_assert_eq(daemon_peers_init(&t, 1000), 0);
  uint8_t x[DAEMON_PEER_BYTES] = {0};
  /* 700 addresses, two connections each, then every other one removed: probe runs with holes */
  for (uint32_t i = 0; i < 700; i++) {
    memcpy(x + 12, &i, 4);
    cr_assert(daemon_peers_add(&t, x, 5));
    cr_assert(daemon_peers_add(&t, x, 5));
  }
  for (uint32_t i = 0; i < 700; i += 2) {
    memcpy(x + 12, &i, 4);
    daemon_peers_remove(&t, x);
    daemon_peers_remove(&t, x);
  }
  for (uint32_t i = 0; i < 700; i++) {
    memcpy(x + 12, &i, 4);
    cr_assert_eq(daemon_peers_count(&t, x), i % 2 ? 2u : 0u, "address %u", i);
  }
  cr_assert_eq(t.used, 350);
  daemon_peers_free(&t);
}

Test(peers, one_address_has_one_form) {
  uint8_t v4[DAEMON_PEER_BYTES], mapped[DAEMON_PEER_BYTES];
  addr("127.0.0.1", v4);
  addr("::ffff:127.0.0.1", mapped);
  cr_assert_eq(memcmp(v4, mapped, DAEMON_PEER_BYTES), 0);
  cr_assert_eq(daemon_peer_parse("127.0.0.300", v4), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_peer_parse("example.org", v4), PROTO_E_BAD_ARGUMENT);
}

Test(peers, the_forwarded_peer_is_the_last_hop) {
  uint8_t got[DAEMON_PEER_BYTES], want[DAEMON_PEER_BYTES];
  addr("10.0.0.1", want);
  cr_assert_eq(daemon_forwarded_last_hop("198.51.100.7, 10.0.0.1", got), 0);
  cr_assert_eq(memcmp(got, want, DAEMON_PEER_BYTES), 0, "a client-chosen first entry is ignored");
  cr_assert_eq(daemon_forwarded_last_hop("10.0.0.1", got), 0);
  cr_assert_eq(daemon_forwarded_last_hop(" 10.0.0.1 ", got), 0);
  cr_assert_eq(daemon_forwarded_last_hop("10.0.0.1, ", got), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_forwarded_last_hop("10.0.0.1 10.0.0.2", got), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_forwarded_last_hop("unknown", got), PROTO_E_BAD_ARGUMENT);
}

Test(peers, trusted_proxy_lists_parse_or_are_refused) {
  uint8_t out[DAEMON_TRUSTED_PROXIES_MAX][DAEMON_PEER_BYTES];
  cr_assert_eq(daemon_peer_list_parse("", out, DAEMON_TRUSTED_PROXIES_MAX), 0);
  cr_assert_eq(daemon_peer_list_parse("127.0.0.1, ::1,10.1.2.3", out, DAEMON_TRUSTED_PROXIES_MAX), 3);
  cr_assert_eq(daemon_peer_list_parse("127.0.0.1, nginx", out, DAEMON_TRUSTED_PROXIES_MAX), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_peer_list_parse("10.0.0.1 10.0.0.2", out, 1), PROTO_E_BAD_ARGUMENT, "past cap");
}

Test(cache, serves_a_body_only_for_its_tree_size_and_epoch) {
  struct daemon_cache *c = calloc(1, sizeof *c);
  const char *body;
  size_t len;
  uint64_t key[2] = {2025, 0};
  daemon_cache_put(c, key, sizeof key, 10, 0, "page", 4);
  cr_assert(daemon_cache_get(c, key, sizeof key, 10, 0, &body, &len));
  cr_assert_eq(len, 4);
  cr_assert_eq(memcmp(body, "page", 4), 0);
  cr_assert_not(daemon_cache_get(c, key, sizeof key, 10, 1, &body, &len), "the deadline passed");
  daemon_cache_put(c, key, sizeof key, 10, 0, "page", 4);
  cr_assert_not(daemon_cache_get(c, key, sizeof key, 11, 0, &body, &len), "the tree grew");
  cr_assert_eq(c->bytes, 0, "a stale body is dropped");
  daemon_cache_free(c);
  free(c);
}

Test(cache, stays_within_its_byte_bound) {
  struct daemon_cache *c = calloc(1, sizeof *c);
  size_t big = DAEMON_CACHE_BYTES_MAX / 3 + 1;
  char *body = calloc(1, big);
  for (uint64_t k = 0; k < 10; k++) {
    daemon_cache_put(c, &k, sizeof k, 1, 0, body, big);
    cr_assert_leq(c->bytes, DAEMON_CACHE_BYTES_MAX);
  }
  const char *got;
  size_t len;
  uint64_t last = 9, first = 0;
  cr_assert(daemon_cache_get(c, &last, sizeof last, 1, 0, &got, &len), "the newest stays");
  cr_assert_not(daemon_cache_get(c, &first, sizeof first, 1, 0, &got, &len), "the oldest went");
  daemon_cache_put(c, &last, sizeof last, 1, 0, body, DAEMON_CACHE_BYTES_MAX + 1);
  cr_assert_leq(c->bytes, DAEMON_CACHE_BYTES_MAX, "a body past the bound is not cached");
  free(body);
  daemon_cache_free(c);
  free(c);
}

Test(http, the_header_clock_runs_until_the_header_is_whole) {
  struct daemon_http *h = daemon_http_new(1024, 4096);
  unsigned st;
  cr_assert_not(daemon_http_header_pending(h));
  cr_assert_eq(daemon_http_feed(h, "GET /healthz HTTP/1.1\r\nHo", 25, &st), 0);
  cr_assert(daemon_http_header_pending(h));
  cr_assert_eq(daemon_http_headers_seen(h), 0);
  cr_assert_eq(daemon_http_feed(h, "st: x\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\n\r\n", 61, &st), 0);
  cr_assert_not(daemon_http_header_pending(h));
  cr_assert_eq(daemon_http_headers_seen(h), 1);
  struct daemon_request *r = daemon_http_pop(h);
  cr_assert_str_eq(r->forwarded_for, "5.6.7.8", "the last X-Forwarded-For line holds the last hop");
  daemon_request_free(r);
  cr_assert_eq(daemon_http_feed(h, "POST /v1/tx HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", 46, &st), 0);
  cr_assert_not(daemon_http_header_pending(h), "a body in progress is the request timeout's business");
  daemon_http_free(h);
}
