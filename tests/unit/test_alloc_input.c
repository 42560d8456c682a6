/* Tests of the allocator's inputs: CSV errors reported with line and column (every one of them,
 * nothing returned on failure) and scheme file errors naming the file, line and key.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc/alloc.h"

#define USCC_A "91350100M000100Y43"
#define HEADER "uscc,province,sector,unit,emissions,output,category,supplied_mwh,load_pct\n"

static struct alloc_data sentinel; /* must stay in *out when reading fails */

struct outcome {
  int err;
  struct alloc_diag diag;
  char errors[4096];
  struct alloc_data *data;
};

static struct outcome read_csv(const char *text) {
  struct outcome o;
  memset(&o, 0, sizeof o);
  o.data = &sentinel;
  FILE *in = fmemopen((void *)text, strlen(text), "r");
  FILE *errs = fmemopen(o.errors, sizeof o.errors - 1, "w");
  o.err = alloc_data_read_stream(in, "units.csv", &o.data, errs, &o.diag);
  fclose(errs);
  fclose(in);
  return o;
}

static void expect_error(const char *text, unsigned line, unsigned column, const char *field) {
  struct outcome o = read_csv(text);
  cr_assert_eq(o.err, PROTO_E_BAD_DATA, "%s", text);
  cr_assert_eq(o.diag.line, line, "line of %s", o.errors);
  cr_assert_eq(o.diag.column, column, "column of %s", o.errors);
  cr_assert_str_eq(o.diag.field, field);
  cr_assert_str_eq(o.diag.file, "units.csv");
  cr_assert_eq(o.data, &sentinel, "nothing is returned on error");
}

Test(csv, missing_field_is_reported_with_line_and_column) {
  expect_error(HEADER USCC_A ",35,,BF1,100,1000,,,\n", 2, 3, "sector");
  expect_error(HEADER USCC_A ",35,steel,BF1,100,1000,,,\n" USCC_A ",35,steel,BF2,100,,,,\n", 3, 6,
               "output");
}

Test(csv, negative_output_is_refused) {
  expect_error(HEADER USCC_A ",35,steel,BF1,100,-5,,,\n", 2, 6, "output");
}

Test(csv, bad_uscc_is_refused) {
  expect_error(HEADER "91350100M000100Y44,35,steel,BF1,100,5,,,\n", 2, 1, "uscc");
  expect_error(HEADER "9135,35,steel,BF1,100,5,,,\n", 2, 1, "uscc");
}

Test(csv, unknown_sector_and_unknown_category_are_refused) {
  expect_error(HEADER USCC_A ",35,glass,BF1,100,5,,,\n", 2, 3, "sector");
  expect_error(HEADER USCC_A ",35,power,G1,100,,V,1000,60\n", 2, 7, "category");
  expect_error(HEADER USCC_A ",35,power,G1,100,,,1000,60\n", 2, 7, "category");
}

Test(csv, other_field_errors_are_refused) {
  expect_error(HEADER USCC_A ",99,steel,BF1,100,5,,,\n", 2, 2, "province");
  expect_error(HEADER USCC_A ",35,steel,BF1,1.0000001,5,,,\n", 2, 5, "emissions");
  expect_error(HEADER USCC_A ",35,steel,BF1,100,0,,,\n", 2, 6, "output");
  expect_error(HEADER USCC_A ",35,steel,BF1,100,5,\n", 2, 0, "row");
  expect_error(HEADER USCC_A ",35,steel,BF1,100,5,,,\n" USCC_A ",35,steel,BF1,7,5,,,\n", 3, 4, "unit");
  expect_error("uscc,province,sector,unit,emissions,colour\n", 1, 6, "colour");
  expect_error("uscc,province,sector\n", 1, 0, "unit");
  expect_error("", 1, 0, "header");
}

Test(csv, every_error_is_reported_not_only_the_first) {
  struct outcome o = read_csv(HEADER USCC_A ",35,steel,BF1,x,-1,,,\n"
                                     "X,35,steel,BF2,5,5,,,\n" USCC_A ",35,steel,BF3,5,5,,,\n");
  cr_assert_eq(o.err, PROTO_E_BAD_DATA);
  cr_assert_not_null(strstr(o.errors, "units.csv:2:5: emissions: not a decimal"), "%s", o.errors);
  cr_assert_not_null(strstr(o.errors, "units.csv:2:6: output: negative value -1"), "%s", o.errors);
  cr_assert_not_null(strstr(o.errors, "units.csv:3:1: uscc:"), "%s", o.errors);
  int lines = 0;
  for (const char *p = o.errors; *p; p++) lines += *p == '\n';
  cr_assert_eq(lines, 3);
}

Test(csv, reads_a_valid_file_with_columns_in_any_order) {
  struct outcome o = read_csv("emissions,unit,sector,province,uscc,output,flags\n"
                              "1000.25,L1,cement,35," USCC_A ",1176.5,white_portland|closed\n");
  cr_assert_eq(o.err, 0, "%s", o.errors);
  cr_assert_eq(o.data->count, 1);
  const struct alloc_unit *u = &o.data->units[0];
  cr_assert_str_eq(u->uscc, USCC_A);
  cr_assert_eq(u->emissions_e6, 1000250000);
  cr_assert_eq(u->output_e6, 1176500000);
  cr_assert_eq(u->flags, ALLOC_F_WHITE_PORTLAND | ALLOC_F_CLOSED);
  cr_assert_not(u->has_prev);
  alloc_data_free(o.data);
}

/* Writes text to a temporary scheme file and loads it. */
static int load_text(const char *text, struct alloc_diag *diag, char *path, size_t cap) {
  snprintf(path, cap, "/tmp/quotad-scheme-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  struct alloc_scheme *s = (struct alloc_scheme *)diag; /* sentinel */
  int err = alloc_scheme_load(path, &s, diag);
  cr_assert(err == 0 || s == (struct alloc_scheme *)diag, "nothing returned on error");
  if (err == 0) alloc_scheme_free(s);
  unlink(path);
  return err;
}

#define GOOD_HEAD "[scheme]\nname = t\nsector = steel\nyear = 2025\nmethod = intensity_coefficient\nstatus = final\n"
#define GOOD_INTENSITY "[intensity]\ncoefficient = 0.15\nband = 0.20\ncap = 0.03\nintensity_places = 6\n"

Test(scheme, every_shipped_scheme_loads) {
  const char *names[] = {"steel-2024", "cement-2024", "aluminium-2024", "steel-2025",
                         "cement-2025", "aluminium-2025", "steel-2026-draft", "cement-2026-draft",
                         "aluminium-2026-draft", "power-2023", "power-2024", "power-2025-draft",
                         "power-2026-draft"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, names[i]);
    struct alloc_scheme *s = NULL;
    struct alloc_diag d;
    cr_assert_eq(alloc_scheme_load(path, &s, &d), 0, "%s:%u %s %s", path, d.line, d.field, d.message);
    cr_assert_eq(alloc_scheme_draft(s), strstr(names[i], "draft") != NULL);
    alloc_scheme_free(s);
  }
}

Test(scheme, a_valid_minimal_scheme_loads) {
  struct alloc_diag d;
  char path[64];
  cr_assert_eq(load_text(GOOD_HEAD GOOD_INTENSITY, &d, path, sizeof path), 0, "%s", d.message);
}

Test(scheme, errors_name_the_file_line_and_key) {
  struct alloc_diag d;
  char path[64];
  cr_assert_eq(load_text(GOOD_HEAD GOOD_INTENSITY "colour = red\n", &d, path, sizeof path),
               PROTO_E_BAD_SCHEME);
  cr_assert_eq(d.line, 12);
  cr_assert_str_eq(d.field, "colour");
  cr_assert_str_eq(d.file, path);
  cr_assert_eq(load_text(GOOD_HEAD "[intensity]\ncoefficient = 0.1.5\n", &d, path, sizeof path),
               PROTO_E_BAD_SCHEME);
  cr_assert_eq(d.line, 8);
  cr_assert_str_eq(d.field, "coefficient");
  cr_assert_eq(load_text(GOOD_HEAD GOOD_INTENSITY "[intensity]\nband = 0.2\n", &d, path, sizeof path),
               PROTO_E_BAD_SCHEME);
  cr_assert_str_eq(d.message, "key given twice");
}

Test(scheme, a_missing_key_or_inconsistent_values_are_refused) {
  struct alloc_diag d;
  char path[64];
  cr_assert_eq(load_text(GOOD_HEAD "[intensity]\ncoefficient = 0.15\nband = 0.2\nintensity_places = 6\n",
                         &d, path, sizeof path), PROTO_E_BAD_SCHEME);
  cr_assert_str_eq(d.field, "cap");
  cr_assert_eq(d.line, 0);
  cr_assert_eq(load_text(GOOD_HEAD "[intensity]\ncoefficient = 0.15\nband = 0.2\ncap = 0.04\n"
                         "intensity_places = 6\n", &d, path, sizeof path), PROTO_E_BAD_SCHEME);
  cr_assert_str_eq(d.field, "cap");
  cr_assert_eq(load_text(GOOD_HEAD GOOD_INTENSITY "[pre_allocation]\nshare = 1.5\n", &d, path,
                         sizeof path), PROTO_E_BAD_SCHEME);
  cr_assert_str_eq(d.field, "share");
}
