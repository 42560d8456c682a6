/* Error names and messages, and the stable names of the small enums. */
#include <string.h>

#include "proto/proto.h"

struct err_row {
  int code;
  unsigned status; /* HTTP */
  const char *name;
  const char *message;
};

static const struct err_row err_rows[] = {
#define PROTO__ERR_ROW(name, value, str, status, msg) {value, status, str, msg},
  PROTO_ERRORS(PROTO__ERR_ROW)
#undef PROTO__ERR_ROW
};
#define ERR_ROWS (sizeof(err_rows) / sizeof(err_rows[0]))

/* Every row's status is an HTTP error status: a typo cannot turn a refusal into a success. */
#define PROTO__ERR_CHECK(name, value, str, status, msg) \
  _Static_assert((status) >= 400 && (status) <= 599, "HTTP status of " str);
PROTO_ERRORS(PROTO__ERR_CHECK)
#undef PROTO__ERR_CHECK

const char *proto_err_name(int err) {
  if (err == 0) return "ok";
  for (size_t i = 0; i < ERR_ROWS; i++) {
    if (err_rows[i].code == err) return err_rows[i].name;
  }
  return "system";
}

const char *proto_err_message(int err) {
  if (err == 0) return "success";
  for (size_t i = 0; i < ERR_ROWS; i++) {
    if (err_rows[i].code == err) return err_rows[i].message;
  }
  if (err < 0 && err > -4096) return strerror(-err);
  return "unknown error";
}

unsigned proto_err_http_status(int err) {
  if (err >= 0) return 200;
  for (size_t i = 0; i < ERR_ROWS; i++) {
    if (err_rows[i].code == err) return err_rows[i].status;
  }
  return 500;
}

bool proto_err_is_server_fault(int err) { return proto_err_http_status(err) >= 500; }

const char *proto_http_reason(unsigned status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  case 507: return "Insufficient Storage";
  default: return "Unknown";
  }
}

int proto_err_from_name(const char *name) {
  for (size_t i = 0; i < ERR_ROWS; i++) {
    if (strcmp(err_rows[i].name, name) == 0) return err_rows[i].code;
  }
  return 0;
}

/* A list of names indexed by value; unused values are NULL. */
static const char *name_of(const char *const *names, size_t n, unsigned v) {
  return v < n ? names[v] : NULL;
}

static unsigned value_of(const char *const *names, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++) {
    if (names[i] && strcmp(names[i], s) == 0) return (unsigned)i;
  }
  return 0;
}

#define NAME_LIST(list, ...)                                                   \
  static const char *const list##_names[] = {__VA_ARGS__};                     \
  const char *proto_##list##_name(unsigned v) {                                \
    return name_of(list##_names, sizeof(list##_names) / sizeof(char *), v);    \
  }                                                                            \
  unsigned proto_##list##_from_name(const char *s) {                           \
    return value_of(list##_names, sizeof(list##_names) / sizeof(char *), s);   \
  }

NAME_LIST(role, NULL, "operator", "authority", "representative", "exchange", "auditor")
NAME_LIST(account_kind, NULL, "national", "provincial", "enterprise", "participant")
NAME_LIST(instrument_kind, NULL, "cea", "ccer")
NAME_LIST(alloc_kind, NULL, "pre", "final", "supplement")
NAME_LIST(position, NULL, "registry", "trading")
NAME_LIST(scheme_status, NULL, "final", "draft")
NAME_LIST(table_phase, NULL, "pre", "final")
NAME_LIST(bp_kind, NULL, "none", "published", "solved")
NAME_LIST(table_action, NULL, "close", "abandon")
NAME_LIST(cover, NULL, "registry", "trading", "both")
NAME_LIST(deduct_kind, NULL, "shortfall", "fraud")

/* Sector 0 has a name ("none") and is a valid value, so it is listed apart. */
static const char *const sector_names[] = {"none", "power", "steel", "cement", "aluminium"};
const char *proto_sector_name(unsigned v) {
  return name_of(sector_names, sizeof(sector_names) / sizeof(char *), v);
}
unsigned proto_sector_from_name(const char *s) {
  return value_of(sector_names, sizeof(sector_names) / sizeof(char *), s);
}

bool proto_province_valid(unsigned code) {
  static const unsigned char ranges[][2] = {{11, 15}, {21, 23}, {31, 37}, {41, 46},
                                            {50, 54}, {61, 65}, {71, 71}, {81, 82}};
  for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
    if (code >= ranges[i][0] && code <= ranges[i][1]) return true;
  }
  return false;
}
