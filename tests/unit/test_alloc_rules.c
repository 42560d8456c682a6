/* The allocator's fixes for the market's rules: the carbide-slag exemption is cement's only (in
 * the scheme and in the data), steel is allocated per enterprise, a pre-allocation needs only the
 * previous year's emissions; and the table recomputation the ledger and the audit share. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"

#define USCC_A "91350100M000100Y43"
#define USCC_B "91110000802100433B"

static char *file_text(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, name);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  static char text[PROTO_SCHEME_BYTES_MAX + 64];
  size_t n = fread(text, 1, sizeof(text) - 64, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

static struct alloc_scheme *scheme(const char *name) {
  struct alloc_scheme *s = NULL;
  cr_assert_eq(alloc_scheme_parse(file_text(name), &s, NULL), 0);
  return s;
}

static int read_csv(const char *text, struct alloc_data **d, char *errors, size_t cap) {
  FILE *in = fmemopen((void *)text, strlen(text), "r");
  FILE *err = fmemopen(errors, cap, "w");
  int rc = alloc_data_read_stream(in, "units.csv", d, err, NULL);
  fclose(in);
  fclose(err);
  return rc;
}

Test(carbide, the_exemption_is_refused_in_a_steel_or_aluminium_scheme) {
  char text[PROTO_SCHEME_BYTES_MAX + 64];
  snprintf(text, sizeof(text), "%s\ncarbide_slag_threshold = 0.15\n", file_text("steel-2025"));
  struct alloc_scheme *s = NULL;
  struct alloc_diag diag;
  cr_assert_eq(alloc_scheme_parse(text, &s, &diag), PROTO_E_BAD_SCHEME);
  cr_assert_str_eq(diag.field, "carbide_slag_threshold");
  cr_assert_null(s);
  snprintf(text, sizeof(text), "%s\ncarbide_slag_threshold = 0.15\n", file_text("aluminium-2025"));
  cr_assert_eq(alloc_scheme_parse(text, &s, &diag), PROTO_E_BAD_SCHEME);
  s = scheme("cement-2025"); /* cement keeps it */
  alloc_scheme_free(s);
}

Test(carbide, a_steel_row_with_a_carbide_rate_is_refused_and_never_special) {
  char errors[1024] = "";
  struct alloc_data *d = NULL;
  cr_assert_eq(read_csv("uscc,province,sector,unit,emissions,output,carbide_slag_rate\n" USCC_A
                        ",35,steel,BF1,1000000,500000,0.5\n", &d, errors, sizeof(errors)),
               PROTO_E_BAD_DATA);
  cr_assert_not_null(strstr(errors, "carbide_slag_rate: a carbide-slag rate is for cement lines only"),
                     "%s", errors);
  /* built directly, bypassing the reader: the scheme still gives it no exemption */
  struct alloc_unit u = {.uscc = USCC_A, .province = 35, .sector = PROTO_SECTOR_STEEL,
                         .unit_id = "BF1", .emissions_e6 = 1000000000000, .output_e6 = 500000000000,
                         .carbide_slag_e6 = 500000};
  struct alloc_data data = {&u, 1};
  struct alloc_scheme *s = scheme("cement-2025");
  struct alloc_run *r = NULL;
  u.sector = PROTO_SECTOR_CEMENT;
  cr_assert_eq(alloc_compute(s, &data, "1.6", &r, NULL), 0);
  cr_assert_eq(r->results[0].status, ALLOC_SPECIAL, "a cement line above 15%% is special");
  alloc_run_free(r);
  alloc_scheme_free(s);
  s = scheme("steel-2025");
  u.sector = PROTO_SECTOR_STEEL;
  cr_assert_eq(alloc_compute(s, &data, "1.6", &r, NULL), 0);
  cr_assert_eq(r->results[0].status, ALLOC_NORMAL);
  cr_assert_eq(r->results[0].quota, 970000, "I = 2 at BP 1.6: -3%%");
  alloc_run_free(r);
  alloc_scheme_free(s);
}

Test(steel, an_enterprises_furnaces_are_one_unit) {
  /* furnaces at intensities 1.25 and 2.5: as one unit E 2,000,000 over 1,200,000 t (I 1.666667) */
  char errors[1024] = "";
  struct alloc_data *d = NULL;
  cr_assert_eq(read_csv("uscc,province,sector,unit,emissions,output\n" USCC_A
                        ",35,steel,BF1,1000000,800000\n" USCC_A ",35,steel,BF2,1000000,400000\n" USCC_B
                        ",11,steel,BF1,1000000,625000\n", &d, errors, sizeof(errors)),
               0, "%s", errors);
  cr_assert_eq(d->count, 2);
  cr_assert_str_eq(d->units[0].unit_id, "BF1");
  cr_assert_eq(d->units[0].emissions_e6, 2000000000000);
  cr_assert_eq(d->units[0].output_e6, 1200000000000);
  struct alloc_scheme *s = scheme("steel-2025");
  struct alloc_run *r = NULL;
  cr_assert_eq(alloc_compute(s, d, "1.6", &r, NULL), 0);
  /* X = (1.6 - 1.666667) / 1.6, alpha = -0.00625003125: 1,987,499, where two units (+3%% and
   * -3%%) would have received 2,000,000, 12,501 t more */
  cr_assert_eq(r->results[0].quota, 1987499);
  alloc_run_free(r);
  /* two rows of one steel enterprise given directly are refused */
  d->units[1] = d->units[0];
  strcpy(d->units[1].unit_id, "BF2");
  struct alloc_diag diag;
  cr_assert_eq(alloc_compute(s, d, "1.6", &r, &diag), PROTO_E_BAD_DATA);
  cr_assert_str_eq(diag.field, "uscc");
  alloc_scheme_free(s);
  alloc_data_free(d);
}

Test(pre, a_pre_allocation_needs_only_last_years_emissions) {
  char errors[1024] = "";
  struct alloc_data *d = NULL;
  cr_assert_eq(read_csv("uscc,province,sector,unit,prev_emissions\n" USCC_A ",35,steel,BF1,950000\n"
                        USCC_B ",11,steel,BF1,1000000\n", &d, errors, sizeof(errors)), 0, "%s", errors);
  struct alloc_scheme *s = scheme("steel-2025");
  struct alloc_run *r = NULL;
  cr_assert_eq(alloc_compute(s, d, NULL, &r, NULL), 0, "no balance value is solved");
  cr_assert(r->summary.pre_only);
  cr_assert_eq(r->results[0].pre, 665000);
  cr_assert_eq(r->results[1].pre, 700000);
  cr_assert_eq(r->summary.pre_total, 1365000);
  struct alloc_order o;
  cr_assert_eq(alloc_order(r, 0, ALLOC_PHASE_PRE, &o), 1);
  cr_assert_eq(o.amount, 665000);
  cr_assert_eq(alloc_order(r, 0, ALLOC_PHASE_FINAL, &o), PROTO_E_BAD_ARGUMENT);
  alloc_run_free(r);
  d->units[1].emissions_unknown = false; /* half known: neither kind of run */
  struct alloc_diag diag;
  cr_assert_eq(alloc_compute(s, d, NULL, &r, &diag), PROTO_E_BAD_DATA);
  cr_assert_str_eq(diag.field, "emissions");
  alloc_scheme_free(s);
  alloc_data_free(d);
}

static void final_rows(struct proto_alloc_row rows[2]) {
  memset(rows, 0, 2 * sizeof(*rows));
  for (int i = 0; i < 2; i++) {
    strcpy(rows[i].uscc, i ? USCC_B : USCC_A);
    strcpy(rows[i].unit, "BF1");
    rows[i].sector = PROTO_SECTOR_STEEL;
    rows[i].present = PROTO_ROW_EMISSIONS;
    rows[i].emissions_e6 = 1000000000000;
  }
  rows[0].output_e6 = 657894736842; /* I 1.52 */
  rows[1].output_e6 = 500000000000; /* I 2 */
  rows[0].quota = 1007500;
  rows[1].quota = 970000;
}

Test(table, recomputes_rows_and_names_the_first_that_differs) {
  struct alloc_scheme *s = scheme("steel-2025");
  struct proto_alloc_row rows[2];
  final_rows(rows);
  struct alloc_table_header h = {2025, PROTO_PHASE_FINAL, PROTO_SCHEME_FINAL, PROTO_BP_PUBLISHED, "1.6"};
  struct alloc_table_verdict v;
  cr_assert_eq(alloc_table_header_check(s, &h), 0);
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), 0);
  rows[1].quota = 970001;
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), PROTO_E_TABLE_MISMATCH);
  cr_assert(v.row == 1 && v.quota == 970000);
  h.vintage = 2026;
  cr_assert_eq(alloc_table_header_check(s, &h), PROTO_E_ALLOC_MISMATCH);
  h.vintage = 2025;
  h.bp_kind = PROTO_BP_NONE;
  cr_assert_eq(alloc_table_header_check(s, &h), PROTO_E_BP_MISMATCH);
  h.phase = PROTO_PHASE_PRE;
  cr_assert_eq(alloc_table_header_check(s, &h), 0);
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), PROTO_E_ALLOC_MISMATCH,
               "a pre-allocation table holds no emissions of the year");
  alloc_scheme_free(s);
  s = scheme("steel-2026-draft");
  h.vintage = 2026;
  cr_assert_eq(alloc_table_header_check(s, &h), PROTO_E_DRAFT_SCHEME);
  alloc_scheme_free(s);
}

Test(table, a_solved_value_is_the_solve_truncated_to_18_places) {
  struct alloc_scheme *s = scheme("steel-2025");
  struct proto_alloc_row rows[2];
  final_rows(rows);
  rows[0].output_e6 = 1000000000000; /* I 1 and I 2 balance at exactly 1.25 */
  rows[0].quota = 1030000;
  struct alloc_table_header h = {2025, PROTO_PHASE_FINAL, PROTO_SCHEME_FINAL, PROTO_BP_SOLVED, "1.25"};
  struct alloc_table_verdict v;
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), 0);
  h.bp = "1.250000000000000001";
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), PROTO_E_BP_MISMATCH);
  cr_assert_str_eq(v.bp, "1.25");
  rows[1] = rows[0];
  h.bp = "1.25";
  cr_assert_eq(alloc_table_rows_check(s, &h, rows, 2, &v), PROTO_E_TABLE_ROWS, "a unit twice");
  alloc_scheme_free(s);
}
