/* Tests of the allocator's outputs: the JSON and CSV reports carry the figures, and the orders
 * for issuance have the kinds, amounts and ids a transaction needs.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"

#define USCC_A "91350100M000100Y43"
#define USCC_B "91110000802100433B"

struct fixture {
  struct alloc_scheme *s;
  struct alloc_data *d;
  struct alloc_run *r;
};

static struct fixture make(const char *scheme_name, const char *rows, const char *bp) {
  struct fixture f;
  char path[512];
  snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, scheme_name);
  cr_assert_eq(alloc_scheme_load(path, &f.s, NULL), 0);
  FILE *in = fmemopen((void *)rows, strlen(rows), "r");
  cr_assert_eq(alloc_data_read_stream(in, "t.csv", &f.d, stderr, NULL), 0);
  fclose(in);
  cr_assert_eq(alloc_compute(f.s, f.d, bp, &f.r, NULL), 0);
  return f;
}

static void drop(struct fixture *f) {
  alloc_run_free(f->r);
  alloc_data_free(f->d);
  alloc_scheme_free(f->s);
}

#define ROWS "uscc,province,sector,unit,emissions,output,prev_emissions,pre_allocated\n" \
  USCC_A ",35,steel,BF1,1000000,657894.736842,1000000,700000\n"                          \
  USCC_B ",11,steel,BF1,1000000,500000,1500000,1050000\n"

Test(report, json_carries_units_and_sector_figures) {
  struct fixture f = make("steel-2025", ROWS, "1.6");
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  cr_assert_eq(alloc_report(f.r, ALLOC_FORMAT_JSON, out), 0);
  fclose(out);
  json_error_t jerr;
  json_t *doc = json_loads(buf, 0, &jerr);
  cr_assert_not_null(doc, "%s", jerr.text);
  json_t *u0 = json_array_get(json_object_get(doc, "units"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(u0, "alpha")), "0.0075");
  cr_assert_eq(json_integer_value(json_object_get(u0, "quota")), 1007500);
  cr_assert_eq(json_integer_value(json_object_get(u0, "true_up")), 307500);
  json_t *sector = json_object_get(doc, "sector");
  cr_assert_str_eq(json_string_value(json_object_get(sector, "bp")), "1.6");
  cr_assert_eq(json_integer_value(json_object_get(sector, "quota_total")), 1977500);
  json_decref(doc);
  free(buf);
  drop(&f);
}

Test(report, csv_has_a_header_and_one_row_per_unit) {
  struct fixture f = make("steel-2025", ROWS, "1.6");
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  cr_assert_eq(alloc_report(f.r, ALLOC_FORMAT_CSV, out), 0);
  fclose(out);
  cr_assert_not_null(strstr(buf, "unit," USCC_B ",11,BF1,normal,2,-0.25,-0.03,,970000,970000,1050000,-80000\n"),
                     "%s", buf);
  cr_assert_not_null(strstr(buf, "sector,1.6,no,2,2000000,1977500,"), "%s", buf);
  free(buf);
  drop(&f);
}

Test(orders, final_phase_gives_supplement_or_claw_back) {
  struct fixture f = make("steel-2025", ROWS, "1.6");
  struct alloc_order o;
  cr_assert_eq(alloc_order(f.r, 0, ALLOC_PHASE_PRE, &o), 1);
  cr_assert(o.kind == PROTO_ALLOC_PRE && o.amount == 700000);
  cr_assert_eq(alloc_order(f.r, 0, ALLOC_PHASE_FINAL, &o), 1);
  cr_assert(o.kind == PROTO_ALLOC_SUPPLEMENT && o.amount == 307500 && o.province == 35);
  cr_assert_str_eq(o.unit_id, "BF1");
  cr_assert_eq(alloc_order(f.r, 1, ALLOC_PHASE_FINAL, &o), 1);
  cr_assert(o.kind == ALLOC_KIND_CLAWBACK && o.amount == 80000);
  cr_assert_str_eq(o.uscc, USCC_B);
  cr_assert_eq(alloc_order(f.r, 2, ALLOC_PHASE_FINAL, &o), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(alloc_order(f.r, 0, 9, &o), PROTO_E_BAD_ARGUMENT);
  drop(&f);
}

Test(orders, without_pre_allocation_the_final_quota_is_one_order_and_zero_is_none) {
  struct fixture f = make("steel-2024", "uscc,province,sector,unit,emissions,output\n"
                          USCC_A ",35,steel,BF1,1789.7,1000\n" USCC_B ",11,steel,BF2,0.5,1\n", NULL);
  struct alloc_order o;
  cr_assert_eq(alloc_order(f.r, 0, ALLOC_PHASE_FINAL, &o), 1);
  cr_assert(o.kind == PROTO_ALLOC_FINAL && o.amount == 1789);
  cr_assert_eq(alloc_order(f.r, 0, ALLOC_PHASE_PRE, &o), 0);
  cr_assert_eq(alloc_order(f.r, 1, ALLOC_PHASE_FINAL, &o), 0, "0.5 t rounds to nothing");
  drop(&f);
}

Test(report, cement_lines_sum_to_their_enterprise) {
  struct fixture f = make("cement-2025", "uscc,province,sector,unit,emissions,output,prev_emissions\n"
                          USCC_B ",11,cement,L1,850000,1000000,800000\n"
                          USCC_A ",35,cement,L1,900000,1000000,900000\n"
                          USCC_B ",11,cement,L2,800000,1000000,700000\n", "0.85");
  struct alloc_enterprise *e = NULL;
  size_t n = 0;
  cr_assert_eq(alloc_enterprises(f.r, &e, &n), 0);
  cr_assert_eq(n, 2);
  cr_assert_str_eq(e[0].uscc, USCC_B, "USCC order");
  cr_assert_eq(e[0].units, 2);
  cr_assert_eq(e[0].quota, f.r->results[0].quota + f.r->results[2].quota);
  cr_assert_eq(e[0].pre, 560000 + 490000);
  cr_assert_eq(e[0].true_up, f.r->results[0].true_up + f.r->results[2].true_up);
  cr_assert_eq(e[1].quota, f.r->results[1].quota);
  cr_assert_eq(e[0].quota + e[1].quota, f.r->summary.quota_total);
  free(e);
  drop(&f);
}
