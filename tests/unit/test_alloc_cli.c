/* Tests of `quotactl alloc compute` (tools/quotactl_alloc.c, compiled into this test): exit
 * statuses for usage, bad input and success, and the output it prints.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>

#include "tools/quotactl_alloc.c"

#define SCHEME QUOTAD_SOURCE_DIR "/schemes/steel-2025.ini"
#define DATA QUOTAD_SOURCE_DIR "/tests/data/alloc/steel-small.csv"

static int run(int argc, const char **argv) {
  return quotactl_alloc(argc, (char **)argv);
}

Test(cli, usage_errors_exit_with_2, .init = cr_redirect_stderr) {
  const char *none[] = {"alloc"};
  cr_assert_eq(run(1, none), 2);
  const char *no_data[] = {"alloc", "compute", "--scheme", SCHEME};
  cr_assert_eq(run(4, no_data), 2);
  const char *both[] = {"alloc", "compute", "--scheme", SCHEME, "--data", DATA, "--csv", "--json"};
  cr_assert_eq(run(8, both), 2);
  const char *unknown[] = {"alloc", "compute", "--scheme", SCHEME, "--data", DATA, "--fast"};
  cr_assert_eq(run(7, unknown), 2);
}

Test(cli, bad_scheme_or_data_exit_with_1_and_say_why, .init = cr_redirect_stderr) {
  const char *bad_scheme[] = {"alloc", "compute", "--scheme", DATA, "--data", DATA};
  cr_assert_eq(run(6, bad_scheme), 1);
  const char *bad_bp[] = {"alloc", "compute", "--scheme", SCHEME, "--data", DATA, "--bp", "x"};
  cr_assert_eq(run(8, bad_bp), 1);
  const char *missing[] = {"alloc", "compute", "--scheme", SCHEME, "--data", "/nonexistent.csv"};
  cr_assert_eq(run(6, missing), 1);
  fflush(stderr);
  cr_assert_stderr_neq_str("");
}

Test(cli, compute_prints_the_sector_line_with_the_solved_bp, .init = cr_redirect_stdout) {
  const char *argv[] = {"alloc", "compute", "--scheme", SCHEME, "--data", DATA, "--csv"};
  cr_assert_eq(run(7, argv), 0);
  fflush(stdout);
  FILE *out = cr_get_redirected_stdout();
  char line[512];
  bool found = false;
  while (fgets(line, sizeof line, out)) {
    if (strncmp(line, "sector,1.672135416666666666,yes,5,4800000,4799998,", 50) == 0) found = true;
  }
  cr_assert(found, "the sector row with the solved BP and quota total");
}
