/* log: one line per event, "<N>" syslog-priority prefix that journald understands, to stderr or
 * a file that SIGHUP reopens. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static int log_level = DAEMON_LOG_INFO;
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

void daemon_log(int level, const char *fmt, ...) {
  if (level > log_level) return;
  char line[2048];
  int n = snprintf(line, sizeof line, "<%d>", level);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2; /* a long message is cut, never overflows */
  line[len++] = '\n';
  pthread_mutex_lock(&log_lock);
  ssize_t w = write(log_fd, line, len); /* one write per line keeps lines whole */
  pthread_mutex_unlock(&log_lock);
  (void)w;
}

void daemon__assert_fail(const char *cond, const char *file, int line) {
  daemon_log(DAEMON_LOG_ERR, "assertion failed: %s (%s:%d)", cond, file, line);
  abort();
}
