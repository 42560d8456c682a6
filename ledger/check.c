/* ledger_check_dir: the store's structural check, run in a child process. LMDB trusts its pages
 * (a damaged page header can make it assert or fault), so the walk that reads every page runs
 * where a crash costs nothing: a child that dies by a signal, or exits without a report, has met
 * a damaged store, and the parent answers CORRUPT instead of crashing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger/check.h"

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t db_count(struct check_walk *w, MDB_dbi dbi) {
  MDB_stat st;
  return mdb_stat(w->txn, dbi, &st) == 0 ? (uint64_t)st.ms_entries : UINT64_MAX;
}

/* What the databases' own counts must say: one entry and one tx id per leaf, and exactly the
 * n - popcount(n) complete subtrees of level >= 1 (tlog/tlog.h's node scheme). */
static int counts_check(struct check_walk *w) {
  const MDB_dbi *dbi = w->l->dbi;
  uint64_t n = w->tree_size;
  if (db_count(w, dbi[DB_ENTRIES]) != n)
    return check__fail(w, "entries", "the count differs from the tree size %llu", (unsigned long long)n);
  if (db_count(w, dbi[DB_TXIDS]) != n)
    return check__fail(w, "txids", "the count differs from the tree size %llu", (unsigned long long)n);
  if (db_count(w, dbi[DB_NODES]) != n - (uint64_t)__builtin_popcountll(n))
    return check__fail(w, "nodes", "the count does not fit a tree of size %llu", (unsigned long long)n);
  return 0;
}

static int walk_full(struct check_walk *w) {
  int rc = check__entries_full(w);
  for (size_t i = 0; i < check__dbs_count && rc == 0; i++) {
    const struct check_db *d = &check__dbs[i];
    if (!check__db_absent(w, d)) rc = check__db_full(w, d, db_count(w, check__dbi(w, d)));
  }
  char why[sizeof(w->rep->why)] = "";
  if (rc == 0 && invariants__check_txn(w->l, w->txn, why, sizeof(why)) != 0) {
    snprintf(w->rep->why, sizeof(w->rep->why), "invariants: %s", why);
    rc = PROTO_E_CORRUPT;
  }
  return rc;
}

static int walk_sampled(struct check_walk *w) {
  int rc = 0;
  if (w->tree_size > 0) rc = check__entry_sample(w, 0);
  if (rc == 0 && w->tree_size > 0) rc = check__entry_sample(w, w->tree_size - 1);
  for (unsigned i = 0; i < LEDGER_CHECK_SAMPLE_ENTRIES && rc == 0 && w->tree_size > 0; i++)
    rc = check__entry_sample(w, ((uint64_t)rand() << 31 ^ (uint64_t)rand()) % w->tree_size);
  for (size_t i = 0; i < check__dbs_count && rc == 0; i++)
    if (!check__db_absent(w, &check__dbs[i]))
      rc = check__db_sampled(w, &check__dbs[i], LEDGER_CHECK_SAMPLE_PROBES);
  return rc;
}

/* The walk over one read transaction of an open (read-only) ledger. */
static int walk(struct ledger *l, const struct ledger_check_options *opt,
                struct ledger_check_report *rep) {
  struct check_walk *w = calloc(1, sizeof(*w));
  if (!w) return PROTO_E_NO_MEMORY;
  w->l = l;
  w->opt = opt;
  w->rep = rep;
  int rc = store__read_begin(l, &w->txn);
  MDB_envinfo info;
  if (rc == 0) rc = store__mdb_err(mdb_env_info(l->env, &info));
  if (rc == 0) {
    w->tree_size = rep->tree_size = ledger_tree_size(l);
    w->last_pgno = info.me_last_pgno;
    rep->pages = info.me_last_pgno + 1;
    rep->full = opt->depth == LEDGER_CHECK_FULL || rep->pages <= LEDGER_CHECK_FULL_PAGES_MAX;
    rc = counts_check(w);
    if (rc == 0) rc = rep->full ? walk_full(w) : walk_sampled(w);
    store__read_end(l, w->txn);
  }
  free(w);
  return rc;
}

/* The child: opens the ledger read-only, walks it and sends the report up the pipe. */
static int child_run(const char *dir, const struct ledger_check_options *opt, int fd) {
  struct ledger_check_report rep = {0};
  srand((unsigned)getpid() ^ (unsigned)time(NULL));
  struct ledger *l = NULL;
  struct ledger_config cfg = {.dir = dir, .read_only = true};
  rep.result = ledger_open(&cfg, &l);
  if (rep.result == 0) rep.result = walk(l, opt, &rep);
  if (rep.result && rep.why[0] == '\0')
    snprintf(rep.why, sizeof(rep.why), "%s", ledger_err_message(rep.result));
  ledger_close(l);
  const uint8_t *p = (const uint8_t *)&rep;
  size_t left = sizeof(rep);
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 3;
    p += n;
    left -= (size_t)n;
  }
  return 0;
}

int ledger_check_child_main(const char *dir, const char *depth) {
  struct ledger_check_options opt = {
      .depth = strcmp(depth, "full") == 0 ? LEDGER_CHECK_FULL : LEDGER_CHECK_SAMPLED};
  return child_run(dir, &opt, LEDGER_CHECK_CHILD_FD);
}

/* In the forked child: either walk here (fork only: the caller has no other thread that could
 * hold a lock the walk needs), or exec exec_path in its check mode for a clean process. */
static _Noreturn void child_start(const char *dir, const struct ledger_check_options *opt,
                                  int fd) {
  /* The child holds nothing of the parent's: not the writer's flock on quotad.lock (which would
   * outlive a parent killed meanwhile), not its sockets. And it ends with the parent. */
  if (fd == LEDGER_CHECK_CHILD_FD ? fcntl(fd, F_SETFD, 0) < 0
                                  : dup2(fd, LEDGER_CHECK_CHILD_FD) < 0)
    _exit(4);
  close_range(LEDGER_CHECK_CHILD_FD + 1, ~0u, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(7); /* the parent is already gone */
  if (!opt->exec_path) _exit(child_run(dir, opt, LEDGER_CHECK_CHILD_FD));
  execl(opt->exec_path, opt->exec_path, LEDGER_CHECK_CHILD_FLAG, dir,
        opt->depth == LEDGER_CHECK_FULL ? "full" : "sampled", (char *)NULL);
  _exit(5);
}

/* The child's two pipes: its report, and (unless it reports progress on the caller's stderr) its
 * stderr, whose last words (LMDB's failed assertion, a sanitizer's summary) name the damage. */
struct child_io {
  int report_fd, err_fd;
  struct ledger_check_report rep;
  size_t got;
  char err[CHECK_STDERR_BYTES];
  size_t err_len;
};

/* Reads what is ready on one pipe; false at its end. */
static bool io_read(struct child_io *io, bool report) {
  ssize_t n;
  if (report) {
    n = read(io->report_fd, (uint8_t *)&io->rep + io->got, sizeof(io->rep) - io->got);
    if (n > 0) io->got += (size_t)n;
  } else {
    if (io->err_len == sizeof(io->err)) { /* keep the tail: the last lines say the most */
      memmove(io->err, io->err + sizeof(io->err) / 2, sizeof(io->err) / 2);
      io->err_len = sizeof(io->err) / 2;
    }
    n = read(io->err_fd, io->err + io->err_len, sizeof(io->err) - io->err_len);
    if (n > 0) io->err_len += (size_t)n;
  }
  return n > 0 || (n < 0 && errno == EINTR);
}

/* Reads until both pipes end; false when time ran out (the child is then killed). */
static bool io_wait(struct child_io *io, pid_t pid, unsigned seconds_max) {
  double deadline = mono_s() + (seconds_max ? seconds_max : 1e9);
  while (io->report_fd >= 0 || io->err_fd >= 0) {
    struct pollfd pfd[2] = {{.fd = io->report_fd, .events = POLLIN},
                            {.fd = io->err_fd, .events = POLLIN}};
    double left_s = deadline - mono_s();
    int pr = left_s > 0 ? poll(pfd, 2, left_s > 1e6 ? -1 : (int)(left_s * 1000) + 1) : 0;
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      kill(pid, SIGKILL);
      return false;
    }
    for (int i = 0; i < 2; i++) {
      int *fd = i == 0 ? &io->report_fd : &io->err_fd;
      if (*fd >= 0 && pfd[i].revents && !io_read(io, i == 0)) {
        close(*fd);
        *fd = -1;
      }
    }
  }
  return true;
}

/* The line of the child's stderr that names the damage best, into out. */
static void err_line(const struct child_io *io, char *out, size_t cap) {
  static const char *const marks[] = {"Assertion", "SUMMARY:", "runtime error", NULL};
  char buf[CHECK_STDERR_BYTES + 1];
  memcpy(buf, io->err, io->err_len);
  buf[io->err_len] = '\0';
  out[0] = '\0';
  const char *best = NULL;
  for (const char *const *m = marks; *m && !best; m++) best = strstr(buf, *m);
  if (!best) {
    size_t len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = '\0';
    best = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
  } else {
    while (best > buf && best[-1] != '\n') best--;
  }
  size_t n = strcspn(best, "\n");
  snprintf(out, cap, "%.*s", (int)(n < 160 ? n : 160), best);
}

/* The verdict from what the child sent and how it ended: no complete report, or a child that did
 * not exit cleanly, means the walk met a damaged page. */
static void verdict(struct ledger_check_report *rep, const struct child_io *io, bool timed_out,
                    int status, unsigned seconds_max) {
  bool complete = io->got == sizeof(io->rep);
  if (complete && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    *rep = io->rep;
    return;
  }
  char last[200];
  err_line(io, last, sizeof(last));
  memset(rep, 0, sizeof(*rep));
  rep->result = PROTO_E_CORRUPT;
  if (timed_out) {
    snprintf(rep->why, sizeof(rep->why), "the check did not finish within %u s", seconds_max);
  } else if (WIFSIGNALED(status)) {
    rep->signal = WTERMSIG(status);
    snprintf(rep->why, sizeof(rep->why), "the checking process died by signal %d (%s)%s%s",
             rep->signal, strsignal(rep->signal), last[0] ? ": " : "", last);
  } else {
    snprintf(rep->why, sizeof(rep->why), "the checking process failed (exit status %d)%s%s",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, last[0] ? ": " : "", last);
  }
}

/* Forks the child with its pipes; returns its pid or -errno. */
static pid_t child_fork(const char *dir, const struct ledger_check_options *opt,
                        struct child_io *io) {
  int rfd[2], efd[2] = {-1, -1};
  if (pipe2(rfd, O_CLOEXEC) != 0) return -errno;
  if (!opt->progress && pipe2(efd, O_CLOEXEC) != 0) {
    int e = errno;
    close(rfd[0]);
    close(rfd[1]);
    return -e;
  }
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid == 0) {
    close(rfd[0]);
    if (efd[1] >= 0 && dup2(efd[1], STDERR_FILENO) < 0) _exit(6);
    child_start(dir, opt, rfd[1]);
  }
  int e = errno;
  close(rfd[1]);
  if (efd[1] >= 0) close(efd[1]);
  io->report_fd = rfd[0];
  io->err_fd = efd[0];
  if (pid < 0) {
    close(rfd[0]);
    if (efd[0] >= 0) close(efd[0]);
    return -e;
  }
  return pid;
}

int ledger_check_dir(const char *dir, const struct ledger_check_options *opt,
                     struct ledger_check_report *rep) {
  PROTO_ASSERT(dir && opt && rep);
  memset(rep, 0, sizeof(*rep));
  double t0 = mono_s();
  uint64_t named = 0; /* the main database's records: the named databases */
  int mrc = check__lmdb_meta(dir, &named, rep->why, sizeof(rep->why));
  if (mrc) return rep->result = mrc;
  struct child_io *io = calloc(1, sizeof(*io));
  if (!io) return rep->result = PROTO_E_NO_MEMORY;
  pid_t pid = child_fork(dir, opt, io);
  if (pid < 0) {
    free(io);
    return rep->result = (int)pid;
  }
  if (opt->child_pid) __atomic_store_n(opt->child_pid, (int)pid, __ATOMIC_RELEASE);
  bool timed_out = !io_wait(io, pid, opt->seconds_max);
  if (io->report_fd >= 0) close(io->report_fd);
  if (io->err_fd >= 0) close(io->err_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (opt->child_pid) __atomic_store_n(opt->child_pid, 0, __ATOMIC_RELEASE);
  verdict(rep, io, timed_out, status, opt->seconds_max);
  free(io);
  /* A database missing from a main database that holds some: a damaged page hid it (a writer
   * creates them all in one transaction), not a store that has none yet. */
  if (rep->result == PROTO_E_NOT_FOUND && named > 0) {
    rep->result = PROTO_E_CORRUPT;
    snprintf(rep->why, sizeof(rep->why), "LMDB main database: %llu records, but a database of the "
             "ledger is not found among them (a damaged page)", (unsigned long long)named);
  }
  rep->seconds = mono_s() - t0;
  PROTO_ASSERT(rep->result <= 0);
  return rep->result;
}

/* Before a writer opens the environment: a store that exists is checked (sampled). */
int check__at_open(const struct ledger_config *cfg) {
  char path[4096];
  struct stat st;
  if (snprintf(path, sizeof(path), "%s/data.mdb", cfg->dir) >= (int)sizeof(path))
    return PROTO_E_BAD_ARGUMENT;
  if (stat(path, &st) != 0) return 0; /* a new ledger: nothing to check */
  struct ledger_check_options opt = {.depth = LEDGER_CHECK_SAMPLED,
                                     .seconds_max = LEDGER_CHECK_OPEN_SECONDS_MAX};
  struct ledger_check_report scratch;
  struct ledger_check_report *rep = cfg->open_check ? cfg->open_check : &scratch;
  int rc = ledger_check_dir(cfg->dir, &opt, rep);
  /* No named databases yet (a first open that crashed before creating them): the writer
   * creates them, as it would in an empty directory. */
  return rc == PROTO_E_NOT_FOUND ? 0 : rc;
}

void ledger_set_damaged(struct ledger *l) {
  PROTO_ASSERT(l);
  __atomic_store_n(&l->damaged, true, __ATOMIC_RELEASE);
}
