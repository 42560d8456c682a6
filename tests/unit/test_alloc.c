/* Tests of the allocator (alloc/alloc.h): docs/ALLOCATION.md's worked examples, every band edge, the
 * special cases, rounding, pre-allocation and true-up, power benchmarks and load correction,
 * carry-over cap, deductions and transaction ids.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/internal.h"

#define USCC_A "91350100M000100Y43"
#define USCC_B "91110000802100433B"

static struct alloc_scheme *scheme(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, name);
  struct alloc_scheme *s = NULL;
  struct alloc_diag d;
  int err = alloc_scheme_load(path, &s, &d);
  cr_assert_eq(err, 0, "%s: line %u %s: %s", path, d.line, d.field, d.message);
  return s;
}

static struct alloc_data *csv(const char *text) {
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  cr_assert_not_null(f);
  struct alloc_data *d = NULL;
  struct alloc_diag diag;
  int err = alloc_data_read_stream(f, "test.csv", &d, stderr, &diag);
  fclose(f);
  cr_assert_eq(err, 0, "line %u col %u %s: %s", diag.line, diag.column, diag.field, diag.message);
  return d;
}

static struct alloc_run *run_of(const char *scheme_name, const char *rows, const char *bp,
                                       struct alloc_scheme **s, struct alloc_data **d) {
  *s = scheme(scheme_name);
  *d = csv(rows);
  struct alloc_run *r = NULL;
  struct alloc_diag diag;
  int err = alloc_compute(*s, *d, bp, &r, &diag);
  cr_assert_eq(err, 0, "compute: %s (row %u: %s)", proto_err_name(err), diag.line, diag.message);
  return r;
}

static void done(struct alloc_run *r, struct alloc_scheme *s, struct alloc_data *d) {
  alloc_run_free(r);
  alloc_data_free(d);
  alloc_scheme_free(s);
}

#define STEEL_HEADER "uscc,province,sector,unit,emissions,output,prev_emissions,flags,pre_allocated\n"

Test(intensity, worked_example_surplus_inside_the_band) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", STEEL_HEADER
      USCC_A ",35,steel,BF1,1000000,657894.736842,,,\n", "1.60", &s, &d);
  cr_assert_str_eq(r->results[0].intensity, "1.52");
  cr_assert_str_eq(r->results[0].x, "0.05");
  cr_assert_str_eq(r->results[0].alpha, "0.0075");
  cr_assert_str_eq(r->results[0].exact, "1007500");
  cr_assert_eq(r->results[0].quota, 1007500);
  cr_assert_str_eq(r->summary.bp, "1.6");
  cr_assert_not(r->summary.bp_solved);
  cr_assert_eq(r->summary.surplus_count, 1);
  done(r, s, d);
}

Test(intensity, worked_example_shortfall_capped_at_three_percent) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", STEEL_HEADER
      USCC_A ",35,steel,BF1,1000000,500000,,,\n", "1.60", &s, &d);
  cr_assert_str_eq(r->results[0].x, "-0.25");
  cr_assert_str_eq(r->results[0].alpha, "-0.03");
  cr_assert_eq(r->results[0].quota, 970000);
  cr_assert_eq(r->summary.shortfall_count, 1);
  done(r, s, d);
}

struct edge_case {
  const char *row;
  const char *x, *alpha;
  uint64_t quota;
};

Test(intensity, band_edges_at_just_inside_and_just_outside) {
  /* BP 1.6: X = +20% at I = 1.28, X = -20% at I = 1.92 (output 1,000,000 makes I = E / 10^6). */
  const struct edge_case cases[] = {
      {USCC_A ",35,steel,U1,1280000,1000000,,,\n", "0.2", "0.03", 1318400},
      {USCC_A ",35,steel,U2,1280001,1000000,,,\n", "0.199999375", "0.02999990625", 1318400},
      {USCC_A ",35,steel,U3,1279999,1000000,,,\n", "0.200000625", "0.03", 1318398},
      {USCC_A ",35,steel,U4,1920000,1000000,,,\n", "-0.2", "-0.03", 1862400},
      {USCC_A ",35,steel,U5,1919999,1000000,,,\n", "-0.199999375", "-0.02999990625", 1862399},
      {USCC_A ",35,steel,U6,1920001,1000000,,,\n", "-0.200000625", "-0.03", 1862400},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char rows[512];
    snprintf(rows, sizeof rows, STEEL_HEADER "%s", cases[i].row);
    struct alloc_scheme *s;
    struct alloc_data *d;
    struct alloc_run *r = run_of("steel-2025", rows, "1.6", &s, &d);
    cr_assert_str_eq(r->results[0].x, cases[i].x, "case %zu", i);
    cr_assert_str_eq(r->results[0].alpha, cases[i].alpha, "case %zu", i);
    cr_assert_eq(r->results[0].quota, cases[i].quota, "case %zu", i);
    done(r, s, d);
  }
}

Test(intensity, every_quota_is_rounded_down_to_a_whole_tonne) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2024", STEEL_HEADER
      USCC_A ",35,steel,BF1,1789.70,1000,,,\n" USCC_B ",11,steel,BF1,1789.999999,1000,,,\n", NULL, &s, &d);
  cr_assert_str_eq(r->results[0].exact, "1789.7");
  cr_assert_eq(r->results[0].quota, 1789);
  cr_assert_eq(r->results[1].quota, 1789);
  cr_assert_eq(r->results[0].pre, 0, "2024: no pre-allocation");
  cr_assert_str_eq(r->summary.residual, "1.699999");
  done(r, s, d);
}

Test(intensity, pre_allocation_and_true_up) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", STEEL_HEADER
      USCC_A ",35,steel,BF1,1000000,500000,1000000.5,,\n"
      USCC_B ",11,steel,BF1,1000000,500000,1500000,,1200000\n", "1.6", &s, &d);
  cr_assert_eq(r->results[0].pre, 700000, "floor(0.70 * 1,000,000.5)");
  cr_assert_eq(r->results[0].true_up, 970000 - 700000, "supplement");
  cr_assert_eq(r->results[1].pre, 1050000);
  cr_assert_eq(r->results[1].true_up, 970000 - 1200000, "claw back against what was given");
  done(r, s, d);
  r = run_of("steel-2026-draft", STEEL_HEADER USCC_A ",35,steel,BF1,1000000,500000,1000001,,\n",
             "1.6", &s, &d);
  cr_assert_eq(r->results[0].pre, 500000, "2026 draft: 50%%, rounded down");
  done(r, s, d);
}

#define CEMENT_HEADER "uscc,province,sector,unit,emissions,output,prev_emissions,carbide_slag_rate,flags\n"

Test(special, cement_special_lines_keep_their_verified_emissions) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("cement-2025", CEMENT_HEADER
      USCC_A ",35,cement,L1,100000.5,50000,,,white_portland\n"
      USCC_A ",35,cement,L2,100000,50000,,0.150001,\n"
      USCC_A ",35,cement,L3,100000,50000,,0.15,\n"
      USCC_A ",35,cement,L4,100000,50000,,,gypsum_acid\n", "1.6", &s, &d);
  unsigned expect[] = {ALLOC_SPECIAL, ALLOC_SPECIAL, ALLOC_NORMAL,
                       ALLOC_SPECIAL};
  for (size_t i = 0; i < 4; i++) cr_assert_eq(r->results[i].status, expect[i], "line %zu", i);
  cr_assert_eq(r->results[0].quota, 100000);
  cr_assert_str_eq(r->results[0].alpha, "0");
  cr_assert_eq(r->results[1].quota, 100000, "carbide slag above 15%%");
  cr_assert_eq(r->results[2].quota, 97000, "exactly 15%% is not above: I = 2, capped -3%%");
  cr_assert_eq(r->summary.special_count, 3);
  done(r, s, d);
  r = run_of("cement-2026-draft", CEMENT_HEADER USCC_A ",35,cement,L2,100000,50000,,0.18,\n",
             "1.6", &s, &d);
  cr_assert_eq(r->results[0].status, ALLOC_NORMAL, "2026 draft threshold is 30%%");
  done(r, s, d);
}

Test(special, hydrogen_blast_furnace_only_in_the_2026_draft) {
  const char *rows = STEEL_HEADER USCC_A ",35,steel,H1,300000,150000,,hydrogen_bf,\n";
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", rows, "1.6", &s, &d);
  cr_assert_eq(r->results[0].status, ALLOC_NORMAL);
  cr_assert_eq(r->results[0].quota, 291000);
  done(r, s, d);
  r = run_of("steel-2026-draft", rows, "1.6", &s, &d);
  cr_assert_eq(r->results[0].status, ALLOC_SPECIAL);
  cr_assert_eq(r->results[0].quota, 300000);
  done(r, s, d);
}

Test(special, units_without_allocation_get_nothing_and_closed_ones_are_clawed_back) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("cement-2025", CEMENT_HEADER
      USCC_A ",35,cement,C1,100000,50000,90000,,closed\n"
      USCC_A ",35,cement,C2,100000,50000,,,commissioned\n"
      USCC_A ",35,cement,C3,100000,,80000,,non_portland\n", "1.6", &s, &d);
  for (size_t i = 0; i < 3; i++) {
    cr_assert_eq(r->results[i].status, ALLOC_NONE);
    cr_assert_eq(r->results[i].quota, 0);
  }
  cr_assert_eq(r->results[0].pre, 63000, "pre-allocated in April from last year's emissions");
  cr_assert_eq(r->results[0].true_up, -63000, "all of it is clawed back");
  cr_assert_eq(r->results[2].pre, 0, "non-Portland clinker never receives quota");
  cr_assert_eq(r->summary.none_count, 3);
  cr_assert_eq(r->summary.quota_total, 0);
  done(r, s, d);
}

Test(special, standalone_arc_furnaces_and_rolling_mills_report_but_get_nothing) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", STEEL_HEADER
      USCC_A ",35,steel,EAF,80000,90000,70000,standalone_eaf,\n"
      USCC_A ",35,steel,ROLL,30000,,30000,standalone_rolling,\n"
      USCC_B ",11,steel,BF1,1000000,500000,,,\n", "1.6", &s, &d);
  cr_assert_eq(r->results[0].status, ALLOC_NONE);
  cr_assert_eq(r->results[1].status, ALLOC_NONE);
  cr_assert(r->results[0].quota == 0 && r->results[0].pre == 0 && r->results[0].true_up == 0);
  cr_assert(r->results[1].quota == 0 && r->results[1].pre == 0);
  cr_assert_eq(r->summary.quota_total, 970000);
  cr_assert_str_eq(r->summary.verified_total, "1000000", "only allocated units count");
  done(r, s, d);
}

Test(special, special_units_do_not_move_the_solved_balance_value) {
  const char *base = STEEL_HEADER USCC_A ",35,steel,A,1000000,657894.736842,,,\n"
                     USCC_B ",11,steel,B,2000000,1000000,,,\n";
  char more[1024];
  snprintf(more, sizeof more, "%s%s", base, USCC_B ",11,steel,H,900000,100000,,hydrogen_bf,\n");
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2026-draft", base, NULL, &s, &d);
  char bp[ALLOC_TEXT_BYTES];
  memcpy(bp, r->summary.bp, sizeof bp);
  cr_assert(r->summary.bp_solved);
  done(r, s, d);
  r = run_of("steel-2026-draft", more, NULL, &s, &d);
  cr_assert_str_eq(r->summary.bp, bp);
  cr_assert_eq(r->results[2].quota, 900000);
  done(r, s, d);
}

Test(intensity, cement_lines_sum_to_their_enterprise_and_report_each_line) {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("cement-2025", CEMENT_HEADER
      USCC_A ",35,cement,L1,850000,1000000,,,\n" USCC_A ",35,cement,L2,900000,1000000,,,\n"
      USCC_B ",11,cement,L1,800000,1000000,,,\n", NULL, &s, &d);
  cr_assert(r->summary.bp_solved);
  uint64_t a = r->results[0].quota + r->results[1].quota, total = a + r->results[2].quota;
  cr_assert_eq(total, r->summary.quota_total);
  cr_assert_leq(2550000 - total, 2, "residual under one tonne per unit");
  done(r, s, d);
}

Test(intensity, a_sector_with_no_unit_to_balance_has_no_root) {
  struct alloc_scheme *s = scheme("steel-2025");
  struct alloc_data *d = csv(STEEL_HEADER USCC_A ",35,steel,EAF,100,100,,standalone_eaf,\n");
  struct alloc_run *r = NULL;
  cr_assert_eq(alloc_compute(s, d, NULL, &r, NULL), PROTO_E_NO_ROOT);
  cr_assert_null(r);
  cr_assert_eq(alloc_compute(s, d, "1.x", &r, NULL), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(alloc_compute(s, d, "0", &r, NULL), PROTO_E_BAD_ARGUMENT);
  cr_assert_null(r);
  alloc_data_free(d);
  alloc_scheme_free(s);
}

Test(intensity, refuses_a_unit_of_another_sector) {
  struct alloc_scheme *s = scheme("cement-2025");
  struct alloc_data *d = csv(STEEL_HEADER USCC_A ",35,steel,BF1,100,100,,,\n");
  struct alloc_run *r = NULL;
  struct alloc_diag diag;
  cr_assert_eq(alloc_compute(s, d, "1", &r, &diag), PROTO_E_BAD_DATA);
  cr_assert_eq(diag.line, 1);
  cr_assert_str_eq(diag.field, "sector");
  cr_assert_null(r);
  alloc_data_free(d);
  alloc_scheme_free(s);
}

Test(intensity, a_root_on_a_band_edge_is_found_exactly) {
  /* Equal E at I = 1 and I = 2: f(BP) = 0 first at BP = 1.25, where the first unit reaches
   * X = +20% while the second is still at its cap; quotas +3% and -3%. */
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("steel-2025", STEEL_HEADER
      USCC_A ",35,steel,A,1000000,1000000,,,\n" USCC_B ",11,steel,B,1000000,500000,,,\n", NULL, &s, &d);
  cr_assert_str_eq(r->summary.bp, "1.25");
  cr_assert(r->summary.bp_solved);
  cr_assert_eq(r->results[0].quota, 1030000);
  cr_assert_eq(r->results[1].quota, 970000);
  cr_assert_str_eq(r->summary.residual, "0");
  done(r, s, d);
}

Test(intensity, solved_bp_lies_between_capped_units) {
  /* I = 1.5 (E 3,000,000), I = 2.5 (E 1,000,000), I = 1.9 (E 1,000,000): the solver's BP must
   * give quotas summing to 5,000,000 within one tonne per unit. */
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r = run_of("aluminium-2025",
      "uscc,province,sector,unit,emissions,output\n"
      USCC_A ",35,aluminium,P1,3000000,2000000\n" USCC_A ",35,aluminium,P2,1000000,400000\n"
      USCC_B ",11,aluminium,P1,1000000,526315.789474\n", NULL, &s, &d);
  cr_assert(r->summary.bp_solved);
  cr_assert_leq(5000000 - r->summary.quota_total, 2);
  cr_assert_geq(5000000, r->summary.quota_total);
  cr_assert_eq(r->summary.surplus_count + r->summary.shortfall_count, 3);
  done(r, s, d);
}
