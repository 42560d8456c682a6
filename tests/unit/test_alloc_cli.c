/* Tests of `quotactl alloc compute` (tools/quotactl_alloc.c, compiled into this test until
 * quotactl's main exists): exit statuses for usage, bad input and success, and what it prints.
 * Criterion runs each test in its own process, so redirecting stdout / stderr here is local.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/quotactl_alloc.c" /* NOLINT(bugprone-suspicious-include) */

static const char scheme_path[] = QUOTAD_SOURCE_DIR "/schemes/steel-2025.ini";
static const char data_path[] = QUOTAD_SOURCE_DIR "/tests/data/alloc/steel-small.csv";

static int run(int argc, const char **argv) {
  return quotactl_alloc(argc, (char **)argv);
}

/* Sends stream to a new temporary file and returns its name (static). */
static const char *capture(FILE *stream) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/quotad-cli-%ld.txt", (long)getpid());
  cr_assert_not_null(freopen(path, "w+", stream));
  return path;
}

static size_t slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
  remove(path);
  return n;
}

Test(cli, usage_errors_exit_with_2) {
  const char *err_path = capture(stderr);
  const char *none[] = {"alloc"};
  cr_assert_eq(run(1, none), 2);
  const char *no_data[] = {"alloc", "compute", "--scheme", scheme_path};
  cr_assert_eq(run(4, no_data), 2);
  const char *both[] = {"alloc", "compute", "--scheme", scheme_path, "--data", data_path, "--csv",
                        "--json"};
  cr_assert_eq(run(8, both), 2);
  const char *unknown[] = {"alloc", "compute", "--scheme", scheme_path, "--data", data_path, "--fast"};
  cr_assert_eq(run(7, unknown), 2);
  fflush(stderr);
  char buf[4096];
  slurp(err_path, buf, sizeof buf);
  cr_assert_not_null(strstr(buf, "usage: quotactl alloc compute"), "%s", buf);
}

Test(cli, bad_scheme_or_data_exit_with_1_and_say_why) {
  const char *err_path = capture(stderr);
  const char *bad_scheme[] = {"alloc", "compute", "--scheme", data_path, "--data", data_path};
  cr_assert_eq(run(6, bad_scheme), 1);
  const char *bad_bp[] = {"alloc", "compute", "--scheme", scheme_path, "--data", data_path, "--bp", "x"};
  cr_assert_eq(run(8, bad_bp), 1);
  const char *missing[] = {"alloc", "compute", "--scheme", scheme_path, "--data", "/nonexistent.csv"};
  cr_assert_eq(run(6, missing), 1);
  fflush(stderr);
  char buf[4096];
  slurp(err_path, buf, sizeof buf);
  cr_assert_not_null(strstr(buf, "bad_scheme"), "%s", buf);
  cr_assert_not_null(strstr(buf, "bad_argument"), "%s", buf);
  cr_assert_not_null(strstr(buf, "/nonexistent.csv"), "%s", buf);
}

Test(cli, compute_prints_the_sector_row_with_the_solved_bp) {
  const char *out_path = capture(stdout);
  const char *argv[] = {"alloc", "compute", "--scheme", scheme_path, "--data", data_path, "--csv"};
  cr_assert_eq(run(7, argv), 0);
  fflush(stdout);
  char buf[8192];
  slurp(out_path, buf, sizeof buf);
  cr_assert_not_null(strstr(buf, "\nsector,1.65615563063063063,yes,4,4800000,4799999,"), "%s", buf);
  /* its two blast furnaces are one allocation unit */
  cr_assert_not_null(strstr(buf, "\nenterprise,91110000802100433B,11,1,3496668,"), "%s", buf);
}
