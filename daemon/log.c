/* log: one line per event, to stderr or a file that SIGHUP reopens, in the format the operator
 * chose: "<N>" syslog-priority prefix for journald, or a timestamped text, logfmt or JSON line. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static int log_level = DAEMON_LOG_INFO;
static int log_format = DAEMON_LOG_JOURNAL;
static char log_path[DAEMON_PATH_BYTES_MAX];

static int log_open_file(void) {
  int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return -errno;
  pthread_mutex_lock(&log_lock);
  int old = log_fd;
  log_fd = fd;
  pthread_mutex_unlock(&log_lock);
  if (old != STDERR_FILENO) close(old);
  return 0;
}

int daemon_log_open(const char *file, int level) {
  log_level = level;
  if (!file || !file[0]) return 0;
  if (strlen(file) >= sizeof log_path) return PROTO_E_FIELD_TOO_LONG;
  strcpy(log_path, file);
  return log_open_file();
}

int daemon_log_reopen(void) {
  if (!log_path[0]) return 0;
  return log_open_file();
}

void daemon_log_close(void) {
  pthread_mutex_lock(&log_lock);
  if (log_fd != STDERR_FILENO) close(log_fd);
  log_fd = STDERR_FILENO;
  log_path[0] = '\0';
  pthread_mutex_unlock(&log_lock);
}

static const char *const level_names[8] = {"emerg", "alert", "crit", "err",
                                           "warning", "notice", "info", "debug"};

int daemon_log_format_parse(const char *text) {
  static const char *const names[] = {"auto", "journal", "text", "logfmt", "json"};
  for (int i = 0; i < 5; i++) {
    if (strcmp(text, names[i]) == 0) return i;
  }
  return -1;
}

void daemon_log_configure(int format, int level) {
  if (format == DAEMON_LOG_AUTO) {
    const char *js = getenv("JOURNAL_STREAM");
    format = js && js[0] && !log_path[0] ? DAEMON_LOG_JOURNAL : DAEMON_LOG_TEXT;
  }
  pthread_mutex_lock(&log_lock);
  log_format = format;
  log_level = level;
  pthread_mutex_unlock(&log_lock);
}

/* "2026-12-05T13:14:15.123Z" */
static size_t timestamp(char *out, size_t cap) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  int m = snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
  return n + (m > 0 ? (size_t)m : 0);
}

/* Appends text to line[*len..cap) quoted for logfmt or JSON (quote, backslash and control
 * characters escaped), never past cap. */
static void append_quoted(char *line, size_t *len, size_t cap, const char *text) {
  static const char hex[] = "0123456789abcdef";
  size_t n = *len;
  if (n + 1 < cap) line[n++] = '"';
  for (const unsigned char *p = (const unsigned char *)text; *p && n + 7 < cap; p++) {
    if (*p == '"' || *p == '\\') {
      line[n++] = '\\';
      line[n++] = (char)*p;
    } else if (*p < 0x20) {
      memcpy(line + n, "\\u00", 4);
      line[n + 4] = hex[*p >> 4];
      line[n + 5] = hex[*p & 15];
      n += 6;
    } else {
      line[n++] = (char)*p;
    }
  }
  if (n + 1 < cap) line[n++] = '"';
  *len = n;
}

/* Formats one line (without its newline) of level and msg, plus pre-formatted extra fields
 * (logfmt: " k=v ...", JSON: ",\"k\":v ..."; may be empty). Returns its length. */
static size_t format_line(int format, int level, const char *msg, const char *extra, char *line,
                          size_t cap) {
  char ts[40];
  size_t n = 0;
  int m = 0;
  switch (format) {
  case DAEMON_LOG_TEXT:
    timestamp(ts, sizeof ts);
    m = snprintf(line, cap, "%s %s %s%s", ts, level_names[level], msg, extra);
    break;
  case DAEMON_LOG_LOGFMT:
  case DAEMON_LOG_JSON: {
    bool json = format == DAEMON_LOG_JSON;
    timestamp(ts, sizeof ts);
    m = snprintf(line, cap, json ? "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":" : "ts=%s level=%s msg=",
                 ts, level_names[level]);
    n = m > 0 ? (size_t)m : 0;
    append_quoted(line, &n, cap, msg);
    m = snprintf(line + n, cap - n, json ? "%s}" : "%s", extra);
    return n + (m > 0 ? (size_t)m : 0);
  }
  default:
    m = snprintf(line, cap, "<%d>%s%s", level, msg, extra);
    break;
  }
  return m > 0 ? (size_t)m : 0;
}

static void write_line(int level, const char *msg, const char *extra_logfmt,
                       const char *extra_json) {
  char line[4096];
  pthread_mutex_lock(&log_lock);
  int format = log_format;
  bool json = format == DAEMON_LOG_JSON;
  size_t len = format_line(format, level, msg, json ? extra_json : extra_logfmt, line,
                           sizeof line - 1);
  if (len > sizeof line - 2) len = sizeof line - 2; /* a long message is cut, never overflows */
  line[len++] = '\n';
  ssize_t w = write(log_fd, line, len); /* one write per line keeps lines whole */
  pthread_mutex_unlock(&log_lock);
  (void)w;
}

void daemon_log(int level, const char *fmt, ...) {
  if (level > log_level || level < 0) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (m < 0) msg[0] = '\0';
  write_line(level, msg, "", "");
}

/* A path as the log shows it: at most 512 bytes, anything but printable ASCII other than quote
 * and backslash replaced by '?', so that no line can be forged or broken by a request. */
static void safe_path(const char *path, char *out, size_t cap) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)path; *p && n + 1 < cap; p++) {
    out[n++] = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? (char)*p : '?';
  }
  out[n] = '\0';
}

void daemon_log_access(const struct daemon_access *a) {
  if (DAEMON_LOG_INFO > log_level) return;
  char msg[1200], lf[1400], js[1400], path[513];
  safe_path(a->path, path, sizeof path);
  const char *key = a->key_id ? a->key_id : "-", *tx = a->tx_id ? a->tx_id : "-";
  const char *res = a->result ? a->result : "-";
  unsigned long long ms10 = (unsigned long long)(a->us / 100); /* tenths of a millisecond */
  snprintf(msg, sizeof msg, "%s %.512s %u %llu %llu.%llums key=%s tx=%s result=%s", a->method,
           path, a->status, (unsigned long long)a->bytes, ms10 / 10, ms10 % 10, key, tx, res);
  snprintf(lf, sizeof lf, " method=%s path=\"%.512s\" status=%u bytes=%llu ms=%llu.%llu key=%s tx=%s "
           "result=%s", a->method, path, a->status, (unsigned long long)a->bytes, ms10 / 10,
           ms10 % 10, key, tx, res);
  snprintf(js, sizeof js, ",\"method\":\"%s\",\"path\":\"%.512s\",\"status\":%u,\"bytes\":%llu,"
           "\"ms\":%llu.%llu,\"key\":\"%s\",\"tx\":\"%s\",\"result\":\"%s\"", a->method, path,
           a->status, (unsigned long long)a->bytes, ms10 / 10, ms10 % 10, key, tx, res);
  write_line(DAEMON_LOG_INFO, msg, lf, js);
}

void daemon__assert_fail(const char *cond, const char *file, int line) {
  daemon_log(DAEMON_LOG_ERR, "assertion failed: %s (%s:%d)", cond, file, line);
  abort();
}
