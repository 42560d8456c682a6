/* Unit tests of the daemon's HTTP request parser: pipelining, limits, malformed input, queries. */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon/daemon.h"

static struct daemon_http *h;
static void setup(void) { h = daemon_http_new(1024, 4096); }
static void teardown(void) { daemon_http_free(h); }
/* Each test of this suite calls setup() first and teardown() last (plain calls keep the
 * file readable to cppcheck, which does not expand criterion's named arguments). */

static int feed(const char *s, unsigned *status) { return daemon_http_feed(h, s, strlen(s), status); }

Test(http, parses_pipelined_requests_in_order) {
  setup();
  unsigned st = 0;
  cr_assert_eq(feed("GET /v1/log HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /v1/tx?a=1 HTTP/1.1\r\nContent-Length: 5\r\nContent-Type: application/json\r\n"
                    "Authorization: Quotad-Ed25519 key=a\r\n\r\nhello",
                    &st),
               0);
  cr_assert_eq(daemon_http_queued(h), 2);
  struct daemon_request *a = daemon_http_pop(h), *b = daemon_http_pop(h);
  cr_assert_eq(a->method, DAEMON_GET);
  cr_assert_str_eq(a->path, "/v1/log");
  cr_assert(a->keep_alive);
  cr_assert_null(a->authorization);
  cr_assert_eq(b->method, DAEMON_POST);
  cr_assert_str_eq(b->path, "/v1/tx");
  cr_assert_str_eq(b->query, "a=1");
  cr_assert_str_eq(b->target, "/v1/tx?a=1");
  cr_assert_str_eq(b->content_type, "application/json");
  cr_assert_str_eq(b->authorization, "Quotad-Ed25519 key=a");
  cr_assert_eq(b->body_len, 5);
  cr_assert_str_eq((char *)b->body, "hello");
  cr_assert_null(daemon_http_pop(h));
  daemon_request_free(a);
  daemon_request_free(b);
  teardown();
}

Test(http, assembles_a_request_split_across_reads) {
  setup();
  const char *msg = "GET /healthz HTTP/1.1\r\nAuthorization: abc\r\nConnection: close\r\n\r\n";
  for (size_t i = 0; msg[i]; i++) {
    cr_assert_eq(daemon_http_feed(h, msg + i, 1, NULL), 0);
    if (msg[i + 1]) cr_assert_eq(daemon_http_queued(h), 0);
  }
  cr_assert_not(daemon_http_partial(h));
  struct daemon_request *r = daemon_http_pop(h);
  cr_assert_str_eq(r->authorization, "abc");
  cr_assert_not(r->keep_alive);
  daemon_request_free(r);
  teardown();
}

Test(http, partial_is_true_while_a_request_is_incomplete) {
  setup();
  cr_assert_not(daemon_http_partial(h));
  cr_assert_eq(feed("GET /v1/lo", NULL), 0);
  cr_assert(daemon_http_partial(h));
  teardown();
}

Test(http, refuses_headers_past_the_limit_with_431) {
  setup();
  char big[2048];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  unsigned st = 0;
  cr_assert_eq(feed("GET / HTTP/1.1\r\nX-Big: ", &st), 0);
  cr_assert_eq(feed(big, &st), PROTO_E_TOO_LARGE);
  cr_assert_eq(st, 431);
  cr_assert_eq(daemon_http_queued(h), 0);
  /* Once failed, the stream stays failed. */
  cr_assert_eq(feed("GET / HTTP/1.1\r\n\r\n", &st), PROTO_E_TOO_LARGE);
  teardown();
}

Test(http, refuses_declared_body_past_the_limit_with_413) {
  setup();
  unsigned st = 0;
  cr_assert_eq(feed("POST /v1/tx HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", &st), PROTO_E_TOO_LARGE);
  cr_assert_eq(st, 413);
  cr_assert_eq(daemon_http_queued(h), 0); /* no half request is handed on */
  teardown();
}

Test(http, refuses_chunked_body_past_the_limit_with_413) {
  setup();
  unsigned st = 0;
  char chunk[1010];
  memset(chunk, 'x', 1000);
  memcpy(chunk + 1000, "\r\n", 3);
  cr_assert_eq(feed("POST /v1/tx HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &st), 0);
  int rc = 0, chunks = 0;
  for (; chunks < 10 && !rc; chunks++) {
    rc = feed("3e8\r\n", &st); /* 1000 bytes */
    if (!rc) rc = feed(chunk, &st);
  }
  cr_assert_eq(rc, PROTO_E_TOO_LARGE);
  cr_assert_eq(chunks, 5); /* the fifth 1000-byte chunk passes 4096 */
  cr_assert_eq(st, 413);
  teardown();
}

Test(http, accepts_a_chunked_body_within_the_limit) {
  setup();
  cr_assert_eq(feed("POST /v1/tx HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", NULL), 0);
  struct daemon_request *r = daemon_http_pop(h);
  cr_assert_not_null(r);
  cr_assert_str_eq((char *)r->body, "abcde");
  daemon_request_free(r);
  teardown();
}

Test(http, refuses_malformed_request_line_with_400) {
  setup();
  unsigned st = 0;
  cr_assert_eq(feed("GARBAGE\r\n\r\n", &st), PROTO_E_BAD_REQUEST);
  cr_assert_eq(st, 400);
  teardown();
}

Test(http, refuses_absolute_form_target_with_400) {
  setup();
  unsigned st = 0;
  cr_assert_eq(feed("GET http://x/v1/log HTTP/1.1\r\n\r\n", &st), PROTO_E_BAD_REQUEST);
  cr_assert_eq(st, 400);
  teardown();
}

Test(http, keeps_requests_completed_before_an_error) {
  setup();
  unsigned st = 0;
  cr_assert_eq(feed("GET /a HTTP/1.1\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n", &st), PROTO_E_BAD_REQUEST);
  struct daemon_request *r = daemon_http_pop(h);
  cr_assert_not_null(r);
  cr_assert_str_eq(r->path, "/a");
  daemon_request_free(r);
  teardown();
}

Test(http, http10_without_keep_alive_closes) {
  setup();
  cr_assert_eq(feed("GET / HTTP/1.0\r\n\r\n", NULL), 0);
  struct daemon_request *r = daemon_http_pop(h);
  cr_assert_not(r->keep_alive);
  daemon_request_free(r);
  teardown();
}

Test(query, finds_and_decodes_parameters) {
  char v[32];
  cr_assert_eq(daemon_query_get("start=10&limit=5", "limit", v, sizeof v), 1);
  cr_assert_str_eq(v, "5");
  cr_assert_eq(daemon_query_get("a=%41b+c", "a", v, sizeof v), 4);
  cr_assert_str_eq(v, "Ab c");
  cr_assert_eq(daemon_query_get("limitx=1", "limit", v, sizeof v), PROTO_E_NOT_FOUND);
  cr_assert_eq(daemon_query_get("a=%4", "a", v, sizeof v), PROTO_E_BAD_REQUEST);
  cr_assert_eq(daemon_query_get("a=123456", "a", v, 4), PROTO_E_FIELD_TOO_LONG);
}

/* Found by fuzz_query (tests/fuzz/regressions/fuzz_query): "%00" decoded to a NUL inside the
 * value, so "limit=5%00junk" read as limit 5 and the value's length lied about its string. */
Test(query, refuses_an_encoded_nul) {
  char v[32];
  cr_assert_eq(daemon_query_get("xx=%00", "xx", v, sizeof v), PROTO_E_BAD_REQUEST);
  cr_assert_eq(daemon_query_get("limit=5%00junk", "limit", v, sizeof v), PROTO_E_BAD_REQUEST);
  cr_assert_eq(daemon_query_get("a=%01", "a", v, sizeof v), 1);
}

Test(query, parse_u64_refuses_signs_leading_zeros_and_overflow) {
  uint64_t x = 7;
  cr_assert_eq(daemon_parse_u64("18446744073709551615", &x), 0);
  cr_assert_eq(x, UINT64_MAX);
  x = 7;
  cr_assert_eq(daemon_parse_u64("18446744073709551616", &x), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_parse_u64("-1", &x), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_parse_u64("01", &x), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_parse_u64("", &x), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_parse_u64("1x", &x), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(x, 7);
  cr_assert_eq(daemon_parse_u64("0", &x), 0);
  cr_assert_eq(x, 0);
}

Test(response, writes_status_length_and_connection) {
  struct daemon_buf b = {0};
  cr_assert_eq(daemon_http_response(&b, 404, "application/json", "{}", 2, false), 0);
  cr_assert(strstr(b.data, "HTTP/1.1 404 Not Found\r\n") == b.data);
  cr_assert_not_null(strstr(b.data, "Content-Length: 2\r\n"));
  cr_assert_not_null(strstr(b.data, "Connection: close\r\n\r\n{}"));
  daemon_buf_free(&b);
}

Test(response, is_exact_for_keep_alive) {
  struct daemon_buf b = {0};
  cr_assert_eq(daemon_http_response(&b, 200, "text/plain", "abc", 3, true), 0);
  cr_assert_str_eq(b.data, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                           "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\nabc");
  cr_assert_eq(b.len, strlen(b.data));
  daemon_buf_free(&b);
}

Test(buf, writes_integers_and_json_strings) {
  struct daemon_buf b = {0};
  cr_assert_eq(daemon_buf_u64(&b, 0), 0);
  cr_assert_eq(daemon_buf_str(&b, " "), 0);
  cr_assert_eq(daemon_buf_u64(&b, UINT64_MAX), 0);
  cr_assert_str_eq(b.data, "0 18446744073709551615");
  b.len = 0;
  cr_assert_eq(daemon_buf_json_str(&b, "plain"), 0);
  cr_assert_eq(daemon_buf_json_str(&b, "q\"b\\n\nt\x01"), 0);
  cr_assert_eq(daemon_buf_json_str(&b, ""), 0);
  cr_assert_str_eq(b.data, "\"plain\"\"q\\\"b\\\\n\\u000at\\u0001\"\"\"");
  daemon_buf_free(&b);
}

Test(buf, printf_fits_in_one_pass_or_grows) {
  struct daemon_buf b = {0};
  cr_assert_eq(daemon_buf_printf(&b, "%s-%d", "x", 42), 0);
  cr_assert_str_eq(b.data, "x-42");
  char big[1000];
  memset(big, 'y', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cr_assert_eq(daemon_buf_printf(&b, "[%s]", big), 0); /* more than the room left: second pass */
  cr_assert_eq(b.len, 4 + 2 + 999);
  cr_assert_eq(b.data[4], '[');
  cr_assert_eq(b.data[b.len - 1], ']');
  cr_assert_eq(b.data[b.len], '\0');
  daemon_buf_free(&b);
}
