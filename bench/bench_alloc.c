/* Benchmark: solve the balance value and compute quotas for a synthetic sector of 100,000 units
 * (target: under one second). Usage: bench_alloc [SCHEME.ini] [UNITS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc/alloc.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "schemes/steel-2025.ini";
  size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 100000;
  struct alloc_scheme *s = NULL;
  struct alloc_diag diag;
  int err = alloc_scheme_load(path, &s, &diag);
  if (err) {
    fprintf(stderr, "%s:%u: %s: %s\n", path, diag.line, diag.field, proto_err_message(err));
    return 1;
  }
  struct alloc_data d = {calloc(n, sizeof(struct alloc_unit)), n};
  if (!d.units) return 1;
  for (size_t i = 0; i < n; i++) {
    struct alloc_unit *u = &d.units[i];
    memcpy(u->uscc, "91350100M000100Y43", 19);
    snprintf(u->unit_id, sizeof u->unit_id, "U%zu", i);
    u->province = 35;
    u->sector = (uint8_t)alloc_scheme_sector(s);
    u->emissions_e6 = (int64_t)(26000000000ull + next() % 10000000000000ull);
    u->output_e6 = (int64_t)((__int128)u->emissions_e6 * 1000 / (int64_t)(1500 + next() % 1000));
    u->has_prev = true;
    u->prev_emissions_e6 = u->emissions_e6;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct alloc_run *run = NULL;
  err = alloc_compute(s, &d, NULL, &run, &diag);
  double secs = seconds_since(&t0);
  if (err) {
    fprintf(stderr, "compute: %s\n", proto_err_message(err));
    return 1;
  }
  printf("bench_alloc: %zu units, %s: bp %s, quota %llu, residual %s, %.3f s (target < 1 s)\n", n,
         alloc_scheme_name(s), run->summary.bp,
         (unsigned long long)run->summary.quota_total, run->summary.residual, secs);
  alloc_run_free(run);
  free(d.units);
  alloc_scheme_free(s);
  return 0;
}
