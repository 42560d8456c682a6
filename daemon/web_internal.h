/* web_internal: what the files of the public pages (web.c, web_csv.c, web_standalone.c) share;
 * included only by them. */
#ifndef QUOTAD_DAEMON_WEB_INTERNAL_H
#define QUOTAD_DAEMON_WEB_INTERNAL_H

#include "daemon/web.h"

/* Assertions stay on whatever NDEBUG says: a broken table must stop quotad, not serve garbage. */
#define WEB_ASSERT(c) ((c) ? (void)0 : web__assert_fail(#c, __FILE__, __LINE__))
_Noreturn void web__assert_fail(const char *what, const char *file, int line);

/* The standalone verifier's file name, as served at /quotad-verifier.html and saved. */
#define web_standalone_name "quotad-verifier.html"

/* The headers of one answer of the public pages. */
struct web_head {
  unsigned status;       /* 200, 304, 404 */
  const char *type;      /* Content-Type */
  const char *etag;      /* NULL: none */
  const char *cache;     /* Cache-Control */
  const char *download;  /* NULL, or the file name of a Content-Disposition: attachment */
  bool gzip;             /* body is gzip (Content-Encoding) */
  bool head_only;        /* HEAD: headers (with the body's length), no body */
};

/* Fills reply with a whole response: the security headers every page carries (CSP, nosniff,
 * no referrer), then body (not for 304 or HEAD). */
void web__send(struct daemon_reply *reply, const struct web_head *h, const void *body, size_t len,
               bool keep_alive);
void web__not_found(const struct daemon_request *r, struct daemon_reply *reply, bool keep_alive);
/* "" or "<4 digits in the ledger's year range>": the tail of /compliance/<year>. */
bool web__year_ok(const char *s);
/* /compliance (a redirect to the latest year), /compliance/<year>.csv and /instruments.csv:
 * true when r was one of them (reply filled). */
bool web__csv_route(struct daemon_server *srv, const struct daemon_request *r, struct daemon_reply *reply,
                    bool keep_alive);
/* compliance.html (page, len) with its year list rendered in place of <!--quotad:years-->: one
 * item per compliance year on the ledger, newest first, linking the year's page and its CSV. */
void web__compliance_page(struct daemon_server *srv, const uint8_t *page, size_t len,
                          const struct daemon_request *r, struct daemon_reply *reply, bool keep_alive);
/* The standalone verifier assembled from standalone.html and the modules it names (malloc'd). */
int web__standalone(const struct daemon_web_file *files, size_t n, uint8_t **out, size_t *out_len,
                    char *why, size_t why_cap);

#endif /* QUOTAD_DAEMON_WEB_INTERNAL_H */
