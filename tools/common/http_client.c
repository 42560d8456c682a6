/* libcurl behind http_client.h: one easy handle reused for every request so that a bulk import
 * pays for one connection, not one per batch. */
#include "tools/common/http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "tools/common/read_auth.h"

struct http_client {
  CURL *curl;
  char base_url[HTTP_URL_BYTES_MAX];
  char unix_path[HTTP_URL_BYTES_MAX];
  char cacert[HTTP_URL_BYTES_MAX];
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  const struct proto_key *read_key;
  long timeout_ms; /* whole request; 0: 600 s */
  char error[CURL_ERROR_SIZE + 64];
};

struct sink {
  char *buf;
  size_t len, cap;
  bool too_large;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *user) {
  struct sink *s = user;
  size_t n = size * nmemb;
  if (s->len + n + 1 > HTTP_BODY_BYTES_MAX) {
    s->too_large = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + n + 1) cap *= 2;
    char *p = realloc(s->buf, cap);
    if (!p) return 0;
    s->buf = p;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, data, n);
  s->len += n;
  s->buf[s->len] = 0;
  return n;
}

struct http_client *http_client_new(const char *base_url, const char *unix_path) {
  static bool global_done = false;
  if (!global_done) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    global_done = true;
  }
  struct http_client *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->curl = curl_easy_init();
  if (!c->curl) {
    free(c);
    return NULL;
  }
  snprintf(c->base_url, sizeof(c->base_url), "%s", base_url);
  size_t bl = strlen(c->base_url);
  while (bl > 0 && c->base_url[bl - 1] == '/') c->base_url[--bl] = 0;
  if (unix_path) snprintf(c->unix_path, sizeof(c->unix_path), "%s", unix_path);
  return c;
}

void http_client_free(struct http_client *c) {
  if (!c) return;
  curl_easy_cleanup(c->curl);
  free(c);
}

void http_client_set_read_key(struct http_client *c, const struct proto_key *key,
                              const char *origin) {
  c->read_key = key;
  snprintf(c->origin, sizeof(c->origin), "%s", origin ? origin : "");
}

void http_client_set_cacert(struct http_client *c, const char *path) {
  snprintf(c->cacert, sizeof(c->cacert), "%s", path);
}

const char *http_client_error(const struct http_client *c) { return c->error; }

static struct curl_slist *request_headers(struct http_client *c, const char *method,
                                          const char *path_query, const char *content_type,
                                          bool sign) {
  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
  char line[READ_AUTH_HEADER_BYTES_MAX + 64];
  if (content_type) {
    snprintf(line, sizeof(line), "Content-Type: %s", content_type);
    h = curl_slist_append(h, line);
  }
  h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip on large batches */
  if (sign && c->read_key && c->origin[0]) {
    char auth[READ_AUTH_HEADER_BYTES_MAX];
    if (read_auth_header(c->read_key, c->origin, method, path_query, (uint64_t)time(NULL), auth,
                         sizeof(auth)) > 0) {
      h = curl_slist_append(h, auth);
    }
  }
  return h;
}

static int map_curl_error(CURLcode cc, const struct sink *s) {
  if (s->too_large) return -EMSGSIZE;
  switch (cc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_OPERATION_TIMEDOUT:
    return -ECONNREFUSED;
  default:
    return -EIO;
  }
}

int http_request(struct http_client *c, const char *method, const char *path_query,
                 const char *content_type, const void *body, size_t body_len, bool sign,
                 struct http_response *resp) {
  memset(resp, 0, sizeof(*resp));
  c->error[0] = 0;
  char url[HTTP_URL_BYTES_MAX * 2];
  snprintf(url, sizeof(url), "%s%s", c->base_url, path_query);
  CURL *h = c->curl;
  curl_easy_reset(h);
  struct sink s = {0};
  char errbuf[CURL_ERROR_SIZE] = {0};
  struct curl_slist *headers = request_headers(c, method, path_query, content_type, sign);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  if (c->timeout_ms) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  else curl_easy_setopt(h, CURLOPT_TIMEOUT, 600L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (c->unix_path[0]) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
  if (c->cacert[0]) curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
  if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  }
  CURLcode cc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (cc != CURLE_OK) {
    snprintf(c->error, sizeof(c->error), "%s: %s", curl_easy_strerror(cc), errbuf);
    free(s.buf);
    return map_curl_error(cc, &s);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  char *ct = NULL;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  resp->is_json = ct && strncasecmp(ct, "application/json", 16) == 0;
  if (!s.buf) s.buf = calloc(1, 1);
  if (!s.buf) return PROTO_E_NO_MEMORY;
  resp->body = s.buf;
  resp->len = s.len;
  return 0;
}

void http_response_free(struct http_response *resp) {
  free(resp->body);
  memset(resp, 0, sizeof(*resp));
}

int http_json(struct http_client *c, const char *method, const char *path_query, json_t *body,
              bool sign, long *status, json_t **out) {
  *out = NULL;
  *status = 0;
  char *text = NULL;
  if (body) {
    text = json_dumps(body, JSON_COMPACT);
    if (!text) return PROTO_E_NO_MEMORY;
  }
  struct http_response r;
  int rc = http_request(c, method, path_query, text ? "application/json" : NULL, text,
                        text ? strlen(text) : 0, sign, &r);
  free(text);
  if (rc) return rc;
  *status = r.status;
  json_error_t jerr;
  *out = json_loadb(r.body, r.len, JSON_DECODE_ANY, &jerr);
  bool ok2xx = r.status >= 200 && r.status < 300;
  http_response_free(&r);
  if (!*out && ok2xx) {
    snprintf(c->error, sizeof(c->error), "the answer is not JSON: %s", jerr.text);
    return PROTO_E_BAD_JSON;
  }
  return 0;
}

int http_error_code(const json_t *answer, const char **code_name, const char **message) {
  *code_name = "";
  *message = "";
  json_t *err = json_object_get(answer, "error");
  if (!json_is_object(err)) return 0;
  const char *code = json_string_value(json_object_get(err, "code"));
  const char *msg = json_string_value(json_object_get(err, "message"));
  if (code) *code_name = code;
  if (msg) *message = msg;
  return code ? proto_err_from_name(code) : 0;
}

void http_client_set_timeout_ms(struct http_client *c, long ms) { c->timeout_ms = ms; }
