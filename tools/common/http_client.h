/* A small blocking HTTP client for the tools: one libcurl handle (keep-alive), TCP URL or Unix
 * socket, JSON in and out, and the signed read header on the requests that need it. */
#ifndef QUOTAD_TOOLS_HTTP_CLIENT_H
#define QUOTAD_TOOLS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "proto/proto.h"

#define HTTP_BODY_BYTES_MAX (64u << 20) /* answers larger than this are refused, not truncated */
#define HTTP_URL_BYTES_MAX 2048u

struct http_client;

struct http_response {
  long status;    /* HTTP status; 0 when no answer arrived */
  char *body;     /* heap, NUL-terminated (body[len] == 0); free with http_response_free */
  size_t len;
  bool is_json;   /* Content-Type application/json */
};

/* base_url: "http://host:port" (no trailing path); unix_path: when not NULL, the connection
 * goes to that socket and base_url only supplies the Host header. Returns NULL on out of memory. */
struct http_client *http_client_new(const char *base_url, const char *unix_path);
void http_client_free(struct http_client *c);

/* The key that signs read requests, and the origin it signs for (copied). key is borrowed and
 * must outlive the client; NULL sends no Authorization header. */
void http_client_set_read_key(struct http_client *c, const struct proto_key *key,
                              const char *origin);

/* A CA bundle (PEM file, copied path) that verifies an https:// server instead of the system's. */
void http_client_set_cacert(struct http_client *c, const char *path);
/* A whole request's time limit in ms (a standby must not wait forever on a paused primary). */
void http_client_set_timeout_ms(struct http_client *c, long ms);

/* The last transport error as text ("Couldn't connect to server: ..."), "" if none. */
const char *http_client_error(const struct http_client *c);

/* Sends one request. path_query begins with '/'. body may be NULL. When sign is true and a
 * read key is set, the Authorization header is added. Returns 0 when an answer arrived (whatever
 * its status), -ECONNREFUSED when the server cannot be reached, -EMSGSIZE for an answer above
 * HTTP_BODY_BYTES_MAX, -EIO for other transport failures. */
int http_request(struct http_client *c, const char *method, const char *path_query,
                 const char *content_type, const void *body, size_t body_len, bool sign,
                 struct http_response *resp);
void http_response_free(struct http_response *resp);

/* JSON helpers: send (body may be NULL for GET) and parse the answer as JSON. *out receives the
 * parsed answer (caller decrefs) whatever the status, or NULL when the body is not JSON.
 * Returns as http_request, or BAD_JSON when a 2xx answer is not JSON. */
int http_json(struct http_client *c, const char *method, const char *path_query, json_t *body,
              bool sign, long *status, json_t **out);

/* For an error answer {"error": {"code", "message"}}: the code as a proto error (0 if absent or
 * unknown) and the message (borrowed from obj, "" if absent). */
int http_error_code(const json_t *answer, const char **code_name, const char **message);

#endif /* QUOTAD_TOOLS_HTTP_CLIENT_H */
