/* web_csv: the answers of the public pages that are not files: the headers every page carries,
 * the 404 page, and the public tables as CSV (the compliance of a year, the instruments), which
 * the pages link to for readers without JavaScript and for download. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/web_internal.h"

enum { web_csv_page_rows = 1000, web_csv_pages_max = 100000, web_instruments_max = 1024 };

static const char web_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

static int head_line(struct daemon_buf *b, const char *name, const char *value) {
  int rc = daemon_buf_str(b, name);
  if (!rc) rc = daemon_buf_str(b, ": ");
  if (!rc) rc = daemon_buf_str(b, value);
  return rc ? rc : daemon_buf_str(b, "\r\n");
}

static int build_head(struct daemon_buf *b, const struct web_head *h, size_t len, bool keep_alive) {
  WEB_ASSERT(h->status == 200 || h->status == 304 || h->status == 404);
  WEB_ASSERT(h->type != NULL || h->status == 304);
  char status[64];
  snprintf(status, sizeof status, "HTTP/1.1 %u %s\r\n", h->status, proto_http_reason(h->status));
  int rc = daemon_buf_str(b, status);
  if (!rc && h->status != 304) rc = head_line(b, "Content-Type", h->type);
  if (!rc && h->status != 304) rc = daemon_buf_str(b, "Content-Length: ");
  if (!rc && h->status != 304) rc = daemon_buf_u64(b, len);
  if (!rc && h->status != 304) rc = daemon_buf_str(b, "\r\n");
  if (!rc && h->gzip && h->status != 304) rc = head_line(b, "Content-Encoding", "gzip");
  if (!rc) rc = head_line(b, "Vary", "Accept-Encoding");
  if (!rc && h->etag) rc = head_line(b, "ETag", h->etag);
  if (!rc) rc = head_line(b, "Cache-Control", h->cache);
  if (!rc && h->download) rc = daemon_buf_printf(b, "Content-Disposition: attachment; filename=\"%s\"\r\n", h->download);
  if (!rc) rc = head_line(b, "Content-Security-Policy", web_csp);
  if (!rc) rc = head_line(b, "X-Content-Type-Options", "nosniff");
  if (!rc) rc = head_line(b, "Referrer-Policy", "no-referrer");
  if (!rc) rc = head_line(b, "Connection", keep_alive ? "keep-alive" : "close");
  return rc ? rc : daemon_buf_str(b, "\r\n");
}

void web__send(struct daemon_reply *reply, const struct web_head *h, const void *body, size_t len,
               bool keep_alive) {
  reply->buf.len = 0;
  WEB_ASSERT(body != NULL || len == 0);
  int rc = build_head(&reply->buf, h, len, keep_alive);
  if (!rc && h->status != 304 && !h->head_only) rc = daemon_buf_append(&reply->buf, body, len);
  if (rc) return daemon_reply_error_as(reply, 503, PROTO_E_NO_MEMORY, NULL, false);
  reply->status = h->status;
  reply->close_after = reply->close_after || !keep_alive;
  reply->ready = true;
}

void web__not_found(const struct daemon_request *r, struct daemon_reply *reply, bool keep_alive) {
  static const char page[] =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>"
      "<body><main><h1>Not found</h1><p><a href=\"/\">The registry's public pages</a></p></main></body></html>\n";
  struct web_head h = {.status = 404, .type = "text/html; charset=utf-8", .cache = "no-store",
                       .head_only = r->method == DAEMON_HEAD};
  web__send(reply, &h, page, sizeof page - 1, keep_alive);
}

bool web__year_ok(const char *s) {
  if (!s[0]) return true;
  uint64_t y;
  return strlen(s) == 4 && !daemon_parse_u64(s, &y) && y >= PROTO_YEAR_MIN && y <= PROTO_YEAR_MAX;
}

/* RFC 4180 field; a text that a spreadsheet would run as a formula gets a leading quote. */
static int csv_text(struct daemon_buf *b, const char *s) {
  bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
  int rc = daemon_buf_append(b, formula ? "\"'" : "\"", formula ? 2 : 1);
  for (const char *p = s; !rc && *p; p++) rc = *p == '"' ? daemon_buf_append(b, "\"\"", 2) : daemon_buf_append(b, p, 1);
  return rc ? rc : daemon_buf_append(b, "\"", 1);
}

static int compliance_row(struct daemon_server *srv, struct daemon_buf *b, const struct ledger_compliance *c) {
  struct ledger_account a;
  memset(&a, 0, sizeof a);
  ledger_account_get(srv->ledger, c->account, &a);
  const char *sector = proto_sector_name(a.sector), *status = ledger_compliance_status_name(c->status);
  int rc = daemon_buf_printf(b, "%llu,%s,", (unsigned long long)c->account, a.uscc);
  if (!rc) rc = csv_text(b, a.name);
  if (!rc) rc = daemon_buf_printf(b, ",%u,%s,%llu,%llu,%llu,%llu,%llu,%s\r\n", (unsigned)a.province,
                                  sector ? sector : "unknown", (unsigned long long)c->emissions,
                                  (unsigned long long)c->surrendered_cea, (unsigned long long)c->surrendered_ccer,
                                  (unsigned long long)c->counted, (unsigned long long)c->shortfall,
                                  status ? status : "unknown");
  return rc;
}

/* The same rows, in the same order, as GET /v1/compliance/{year}. */
static int compliance_csv(struct daemon_server *srv, unsigned year, struct daemon_buf *b) {
  struct ledger_compliance *c = calloc(web_csv_page_rows, sizeof *c);
  if (!c) return PROTO_E_NO_MEMORY;
  int rc = daemon_buf_str(b, "account,uscc,name,province,sector,emissions,surrendered_cea,surrendered_ccer,"
                             "counted,shortfall,status\r\n");
  uint64_t after = 0, now = daemon_now_ms();
  for (unsigned page = 0; !rc && page < web_csv_pages_max; page++) {
    long n = ledger_compliance(srv->ledger, year, now, after, c, web_csv_page_rows);
    if (n < 0) rc = (int)n;
    for (long i = 0; !rc && i < n; i++) rc = compliance_row(srv, b, &c[i]);
    if (rc || n < web_csv_page_rows) break;
    after = c[n - 1].account;
  }
  free(c);
  return rc;
}

static int instruments_csv(struct daemon_server *srv, struct daemon_buf *b) {
  struct ledger_instrument *in = calloc(web_instruments_max, sizeof *in);
  if (!in) return PROTO_E_NO_MEMORY;
  long n = ledger_instruments(srv->ledger, in, web_instruments_max);
  int rc = n < 0 ? (int)n : daemon_buf_str(b, "code,kind,vintage,first_year,last_year,cap,issued,surrendered,"
                                              "cancelled,carried_over\r\n");
  for (long i = 0; !rc && i < n; i++) {
    const char *kind = proto_instrument_kind_name(in[i].kind);
    rc = daemon_buf_printf(b, "%s,%s,%u,%u,%u,%llu,%llu,%llu,%llu,%llu\r\n", in[i].code, kind ? kind : "unknown",
                           (unsigned)in[i].vintage, (unsigned)in[i].first_year, (unsigned)in[i].last_year,
                           (unsigned long long)in[i].cap, (unsigned long long)in[i].issued,
                           (unsigned long long)in[i].surrendered, (unsigned long long)in[i].cancelled,
                           (unsigned long long)in[i].carried_over);
  }
  free(in);
  return rc;
}

/* The year of "/compliance/<year>.csv", or 0 when path is not that. */
static unsigned csv_year(const char *path) {
  static const char pre[] = "/compliance/";
  if (strncmp(path, pre, sizeof pre - 1) != 0) return 0;
  const char *y = path + sizeof pre - 1;
  char digits[5];
  if (strlen(y) != 8 || strcmp(y + 4, ".csv") != 0) return 0;
  memcpy(digits, y, 4);
  digits[4] = '\0';
  uint64_t v = 0;
  return web__year_ok(digits) && !daemon_parse_u64(digits, &v) ? (unsigned)v : 0;
}

/* /compliance: to the latest year that has a compliance record (a stable URL per year), so the
 * page never probes years that answer 404. */
static bool compliance_redirect(struct daemon_server *srv, const struct daemon_request *r,
                                struct daemon_reply *reply, bool keep_alive) {
  if (strcmp(r->path, "/compliance") != 0 && strcmp(r->path, "/compliance/") != 0) return false;
  for (unsigned y = PROTO_YEAR_MAX; y >= PROTO_YEAR_MIN; y--) {
    struct ledger_year ly;
    if (ledger_year_get(srv->ledger, y, &ly) != 0) continue;
    char loc[64];
    snprintf(loc, sizeof loc, "/compliance/%u", y);
    reply->buf.len = 0;
    int rc = daemon_buf_printf(&reply->buf, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                               "Cache-Control: no-cache\r\nContent-Security-Policy: %s\r\n"
                               "X-Content-Type-Options: nosniff\r\nConnection: %s\r\n\r\n",
                               loc, web_csp, keep_alive ? "keep-alive" : "close");
    if (rc) return daemon_reply_error_as(reply, 503, PROTO_E_NO_MEMORY, NULL, false), true;
    reply->status = 302;
    reply->close_after = reply->close_after || !keep_alive;
    reply->ready = true;
    return true;
  }
  return false; /* no year yet: the page says so */
}

static int year_items(struct daemon_server *srv, struct daemon_buf *b) {
  int rc = 0;
  for (unsigned y = PROTO_YEAR_MAX; !rc && srv->ledger && y >= PROTO_YEAR_MIN; y--) {
    struct ledger_year ly;
    if (ledger_year_get(srv->ledger, y, &ly) != 0) continue;
    rc = daemon_buf_printf(b, "<li><a href=\"/compliance/%u\" data-year=\"%u\">%u</a> <a href=\"/compliance/%u.csv\" "
                              "download aria-label=\"%u CSV\">CSV</a></li>", y, y, y, y, y);
  }
  return rc;
}

void web__compliance_page(struct daemon_server *srv, const uint8_t *page, size_t len,
                          const struct daemon_request *r, struct daemon_reply *reply, bool keep_alive) {
  static const char marker[] = "<!--quotad:years-->";
  WEB_ASSERT(page != NULL);
  const uint8_t *at = memmem(page, len, marker, sizeof marker - 1);
  size_t before = at ? (size_t)(at - page) : len;
  struct daemon_buf b = {0};
  int rc = daemon_buf_append(&b, page, before);
  if (!rc && at) rc = year_items(srv, &b);
  if (!rc && at) rc = daemon_buf_append(&b, at + sizeof marker - 1, len - before - (sizeof marker - 1));
  if (rc) {
    daemon_buf_free(&b);
    return daemon_reply_error_as(reply, 503, PROTO_E_NO_MEMORY, NULL, false);
  }
  /* not cached: the list grows with the ledger */
  struct web_head h = {.status = 200, .type = "text/html; charset=utf-8", .cache = "no-cache",
                       .head_only = r->method == DAEMON_HEAD};
  web__send(reply, &h, b.data, b.len, keep_alive);
  daemon_buf_free(&b);
}

bool web__csv_route(struct daemon_server *srv, const struct daemon_request *r, struct daemon_reply *reply,
                    bool keep_alive) {
  if (compliance_redirect(srv, r, reply, keep_alive)) return true;
  unsigned year = csv_year(r->path);
  if (!year && strcmp(r->path, "/instruments.csv") != 0) return false;
  struct ledger_year y;
  char file[40];
  int rc = year ? ledger_year_get(srv->ledger, year, &y) : 0;
  if (rc == PROTO_E_NOT_FOUND || rc == PROTO_E_UNKNOWN_YEAR) {
    web__not_found(r, reply, keep_alive);
    return true;
  }
  struct daemon_buf b = {0};
  if (!rc) rc = year ? compliance_csv(srv, year, &b) : instruments_csv(srv, &b);
  if (rc) {
    daemon_buf_free(&b);
    daemon_reply_error(reply, rc, NULL, keep_alive);
    return true;
  }
  if (year) snprintf(file, sizeof file, "compliance-%u.csv", year);
  else snprintf(file, sizeof file, "instruments.csv");
  struct web_head h = {.status = 200, .type = "text/csv; charset=utf-8", .cache = "no-store",
                       .download = file, .head_only = r->method == DAEMON_HEAD};
  web__send(reply, &h, b.data ? b.data : "", b.len, keep_alive);
  daemon_buf_free(&b);
  return true;
}
