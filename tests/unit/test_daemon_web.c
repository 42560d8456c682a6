/* Unit tests of daemon/web.c: the public pages' file table (versioned asset URLs, gzip, ETags),
 * the answers to page and asset requests, and the standalone verifier's assembly. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "daemon/web.h"

static const char page[] = "<!doctype html><link href=\"/assets/app.css\"><script src=\"/assets/a.js\"></script>";
static const char css[] = "body { color: black; } /* padding so that gzip pays: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa */";
static const char mod_a[] = "import { b } from './b.js';\nexport function a() { return b(); }\n";
static const char mod_b[] = "export function b() { return 1; }\n";
static const char tmpl[] = "<html><!--quotad:style assets/app.css--><body>x</body>\n"
                           "<!--quotad:modules assets/b.js assets/a.js--></html>\n";

#define FILE_OF(n, s) {n, (const unsigned char *)(s), sizeof(s) - 1}
static struct daemon_web_file files[] = {
    FILE_OF("index.html", page), FILE_OF("verify.html", page), FILE_OF("assets/app.css", css),
    FILE_OF("assets/a.js", mod_a), FILE_OF("assets/b.js", mod_b), FILE_OF("standalone.html", tmpl),
};
#define NFILES (sizeof files / sizeof files[0])

static struct daemon_config cfg;
static struct daemon_server srv;

static void setup(void) {
  daemon_config_defaults(&cfg);
  srv.cfg = &cfg;
  char why[256] = "";
  cr_assert_eq(daemon_web_load_files(files, NFILES, why, sizeof why), 0, "%s", why);
}
/* Plain calls at each test's start and end (criterion forks every test). */
static void teardown(void) { daemon_web_free(); }

struct answer {
  bool handled;
  unsigned status;
  char *head; /* headers, NUL-terminated */
  char *body;
  size_t body_len;
};

static struct answer get(const char *path, const char *ae, const char *inm, uint8_t method) {
  struct daemon_request r = {.method = method, .keep_alive = true};
  r.path = (char *)path;
  r.accept_encoding = (char *)ae;
  r.if_none_match = (char *)inm;
  struct daemon_reply reply = {0};
  struct answer a = {0};
  a.handled = daemon_web_route(&srv, &r, &reply, true);
  if (!a.handled) return a;
  cr_assert(reply.ready);
  a.status = reply.status;
  char *end = memmem(reply.buf.data, reply.buf.len, "\r\n\r\n", 4);
  cr_assert_not_null(end);
  a.head = strndup(reply.buf.data, (size_t)(end - reply.buf.data));
  a.body_len = reply.buf.len - (size_t)(end + 4 - reply.buf.data);
  a.body = malloc(a.body_len + 1);
  memcpy(a.body, end + 4, a.body_len);
  a.body[a.body_len] = '\0';
  daemon_buf_free(&reply.buf);
  return a;
}

static void answer_free(struct answer *a) {
  free(a->head);
  free(a->body);
}

Test(web, pages_point_at_versioned_assets) {
  setup();
  const char *v = daemon_web_version();
  cr_assert_eq(strlen(v), 16);
  struct answer a = get("/", NULL, NULL, DAEMON_GET);
  cr_assert(a.handled);
  cr_assert_eq(a.status, 200);
  char want[64];
  snprintf(want, sizeof want, "\"/assets/%s/app.css\"", v);
  cr_assert_not_null(strstr(a.body, want), "%s", a.body);
  cr_assert_not_null(strstr(a.head, "Cache-Control: no-cache"));
  answer_free(&a);
  teardown();
}

Test(web, every_answer_carries_csp_and_nosniff) {
  setup();
  const char *paths[] = {"/", "/verify", "/nope", "/quotad-verifier.html"};
  for (size_t i = 0; i < 4; i++) {
    struct answer a = get(paths[i], NULL, NULL, DAEMON_GET);
    cr_assert(a.handled);
    cr_assert_not_null(strstr(a.head, "Content-Security-Policy: default-src 'self'; script-src 'self'"), "%s", paths[i]);
    cr_assert_null(strstr(a.head, "unsafe-inline"));
    cr_assert_not_null(strstr(a.head, "X-Content-Type-Options: nosniff"));
    answer_free(&a);
  }
  teardown();
}

Test(web, versioned_asset_is_immutable_and_gzipped_when_accepted) {
  setup();
  char path[96];
  snprintf(path, sizeof path, "/assets/%s/app.css", daemon_web_version());
  struct answer a = get(path, "br, gzip;q=0.8", NULL, DAEMON_GET);
  cr_assert_eq(a.status, 200);
  cr_assert_not_null(strstr(a.head, "max-age=31536000, immutable"));
  cr_assert_not_null(strstr(a.head, "Content-Encoding: gzip"));
  char out[4096];
  uLongf out_len = sizeof out;
  z_stream z = {0};
  inflateInit2(&z, 15 + 16);
  z.next_in = (Bytef *)a.body;
  z.avail_in = (uInt)a.body_len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)out_len;
  cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
  cr_assert_eq(z.total_out, sizeof css - 1);
  cr_assert_eq(memcmp(out, css, sizeof css - 1), 0);
  inflateEnd(&z);
  answer_free(&a);
  teardown();
}

Test(web, gzip_refused_with_q0_or_absent) {
  setup();
  char path[96];
  snprintf(path, sizeof path, "/assets/%s/app.css", daemon_web_version());
  const char *refusals[] = {NULL, "gzip;q=0", "identity", "gzip; q=0.000", "x-gzip"};
  for (size_t i = 0; i < 5; i++) {
    struct answer a = get(path, refusals[i], NULL, DAEMON_GET);
    cr_assert_null(strstr(a.head, "Content-Encoding"), "%s", refusals[i] ? refusals[i] : "(none)");
    cr_assert_eq(a.body_len, sizeof css - 1);
    answer_free(&a);
  }
  teardown();
}

Test(web, etag_match_answers_304_without_body) {
  setup();
  struct answer a = get("/", NULL, NULL, DAEMON_GET);
  char *etag = strstr(a.head, "ETag: ");
  cr_assert_not_null(etag);
  char tag[32];
  cr_assert_eq(sscanf(etag + 6, "%31s", tag), 1);
  struct answer b = get("/", NULL, tag, DAEMON_GET);
  cr_assert_eq(b.status, 304);
  cr_assert_eq(b.body_len, 0);
  struct answer c = get("/", NULL, "\"0000000000000000\"", DAEMON_GET);
  cr_assert_eq(c.status, 200);
  answer_free(&a);
  answer_free(&b);
  answer_free(&c);
  teardown();
}

Test(web, head_sends_length_but_no_body) {
  setup();
  struct answer a = get("/verify", NULL, NULL, DAEMON_HEAD);
  cr_assert_eq(a.status, 200);
  cr_assert_eq(a.body_len, 0);
  char want[48];
  snprintf(want, sizeof want, "Content-Length: %zu", strlen(page) + 2 * 17); /* each "/assets/" gains 16 hex and a slash */
  cr_assert_not_null(strstr(a.head, want), "%s", a.head);
  answer_free(&a);
  teardown();
}

Test(web, api_paths_are_left_to_the_api) {
  setup();
  const char *api[] = {"/v1/log", "/healthz", "/metrics", "/log/checkpoint", "/v1/compliance/2024"};
  for (size_t i = 0; i < 5; i++) cr_assert(!get(api[i], NULL, NULL, DAEMON_GET).handled, "%s", api[i]);
  cr_assert(!get("/", NULL, NULL, DAEMON_POST).handled);
  teardown();
}

Test(web, unknown_paths_and_old_versions_are_404) {
  setup();
  const char *missing[] = {"/nope", "/assets/0000000000000000/app.css", "/assets/app.css/../index.html",
                           "/compliance/1999", "/standalone.html"};
  for (size_t i = 0; i < 5; i++) {
    struct answer a = get(missing[i], NULL, NULL, DAEMON_GET);
    cr_assert(a.handled);
    cr_assert_eq(a.status, 404, "%s", missing[i]);
    answer_free(&a);
  }
  teardown();
}

Test(web, public_pages_false_serves_nothing) {
  setup();
  cfg.public_pages = false;
  cr_assert(!get("/", NULL, NULL, DAEMON_GET).handled);
  char why[128];
  cr_assert_eq(daemon_web_load(&cfg, why, sizeof why), 0);
  cr_assert_str_eq(daemon_web_version(), "");
  teardown();
}

Test(web, standalone_inlines_modules_without_imports_or_exports) {
  setup();
  struct answer a = get("/quotad-verifier.html", NULL, NULL, DAEMON_GET);
  cr_assert_eq(a.status, 200);
  cr_assert_not_null(strstr(a.head, "Content-Disposition: attachment; filename=\"quotad-verifier.html\""));
  cr_assert_null(strstr(a.body, "import "));
  cr_assert_null(strstr(a.body, "export "));
  cr_assert_null(strstr(a.body, "<!--quotad:"));
  const char *b = strstr(a.body, "function b()"), *fa = strstr(a.body, "function a()");
  cr_assert(b && fa && b < fa, "modules in the order the template names them");
  cr_assert_not_null(strstr(a.body, "<style>\nbody { color: black; }"));
  answer_free(&a);
  teardown();
}

Test(web, load_refuses_bad_names_and_closing_script_tags) {
  setup();
  char why[256] = "";
  struct daemon_web_file bad_name[] = {FILE_OF("../etc.html", page), FILE_OF("standalone.html", tmpl)};
  cr_assert_eq(daemon_web_load_files(bad_name, 2, why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_not_null(strstr(why, "name"));
  static const char evil[] = "export const s = '</script><script>alert(1)';\n";
  struct daemon_web_file closing[] = {FILE_OF("assets/a.js", evil), FILE_OF("assets/b.js", mod_b),
                                      FILE_OF("assets/app.css", css), FILE_OF("standalone.html", tmpl)};
  cr_assert_eq(daemon_web_load_files(closing, 4, why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_not_null(strstr(why, "closing"), "%s", why);
  struct daemon_web_file no_template[] = {FILE_OF("index.html", page)};
  cr_assert_eq(daemon_web_load_files(no_template, 1, why, sizeof why), PROTO_E_NOT_FOUND);
  cr_assert_str_eq(daemon_web_version(), "");
  teardown();
}

Test(web, embedded_pages_load_and_name_every_module_the_standalone_needs) {
  setup();
  char why[256] = "";
  cr_assert_eq(daemon_web_load(&cfg, why, sizeof why), 0, "%s", why);
  const char *pages[] = {"/", "/instruments", "/compliance/2024", "/allocation", "/verify", "/quotad-verifier.html"};
  for (size_t i = 0; i < 6; i++) {
    struct answer a = get(pages[i], NULL, NULL, DAEMON_GET);
    cr_assert_eq(a.status, 200, "%s", pages[i]);
    answer_free(&a);
  }
  teardown();
}
