/* faultshim: an LD_PRELOAD library that makes writes and syncs fail on demand, for the storage
 * fault tests. It fails only calls on files below $QUOTAD_FAULT_DIR, and only while the control
 * file $QUOTAD_FAULT_CTL exists; its first word says what fails:
 *   "fsync"  fsync, fdatasync and msync fail with EIO
 *   "write"  write, pwrite and writev calls fail with ENOSPC (a full disk)
 *   "all"    both
 * Removing the control file clears the fault. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

enum { FAULT_NONE = 0, FAULT_SYNC = 1, FAULT_WRITE = 2 };

static int fault_mode(void) {
  const char *ctl = getenv("QUOTAD_FAULT_CTL");
  if (!ctl) return FAULT_NONE;
  FILE *f = fopen(ctl, "re");
  if (!f) return FAULT_NONE;
  char word[16] = {0};
  int n = fscanf(f, "%15s", word);
  fclose(f);
  if (n != 1) return FAULT_NONE;
  if (strcmp(word, "fsync") == 0) return FAULT_SYNC;
  if (strcmp(word, "write") == 0) return FAULT_WRITE;
  if (strcmp(word, "all") == 0) return FAULT_SYNC | FAULT_WRITE;
  return FAULT_NONE;
}

/* True when fd names a file below QUOTAD_FAULT_DIR. */
static int fd_in_scope(int fd) {
  const char *dir = getenv("QUOTAD_FAULT_DIR");
  if (!dir || fd < 0) return 0;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strncmp(path, dir, strlen(dir)) == 0;
}

static int should_fail(int fd, int kind) {
  int mode = fault_mode();
  return (mode & kind) && fd_in_scope(fd);
}

#define REAL(name, ret, ...)                                       \
  static ret (*real_##name)(__VA_ARGS__);                          \
  static void load_##name(void) {                                  \
    if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
  }

REAL(fsync, int, int)
REAL(fdatasync, int, int)
REAL(write, ssize_t, int, const void *, size_t)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
REAL(msync, int, void *, size_t, int)

int fsync(int fd) {
  load_fsync();
  if (should_fail(fd, FAULT_SYNC)) { errno = EIO; return -1; }
  return real_fsync(fd);
}

int fdatasync(int fd) {
  load_fdatasync();
  if (should_fail(fd, FAULT_SYNC)) { errno = EIO; return -1; }
  return real_fdatasync(fd);
}

int msync(void *addr, size_t len, int flags) {
  load_msync();
  if (fault_mode() & FAULT_SYNC) { errno = EIO; return -1; }
  return real_msync(addr, len, flags);
}

ssize_t write(int fd, const void *buf, size_t n) {
  load_write();
  if (should_fail(fd, FAULT_WRITE)) { errno = ENOSPC; return -1; }
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  load_pwrite();
  if (should_fail(fd, FAULT_WRITE)) { errno = ENOSPC; return -1; }
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  load_pwrite64();
  if (should_fail(fd, FAULT_WRITE)) { errno = ENOSPC; return -1; }
  return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  load_writev();
  if (should_fail(fd, FAULT_WRITE)) { errno = ENOSPC; return -1; }
  return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  load_pwritev();
  if (should_fail(fd, FAULT_WRITE)) { errno = ENOSPC; return -1; }
  return real_pwritev(fd, iov, cnt, off);
}
