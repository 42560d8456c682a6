/* Tests of the power benchmark method, the load correction and the allocator's small rules
 * (carry-over cap, deductions, transaction ids).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/internal.h"

#define USCC_A "91350100M000100Y43"
#define POWER_HEADER "uscc,province,sector,unit,emissions,category,supplied_mwh,heat_gj,load_pct\n"

static struct alloc_scheme *scheme(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, name);
  struct alloc_scheme *s = NULL;
  cr_assert_eq(alloc_scheme_load(path, &s, NULL), 0, "%s", path);
  return s;
}

/* Computes one power unit row with scheme name; returns its result. */
static struct alloc_result one(const char *scheme_name, const char *row) {
  char text[512];
  snprintf(text, sizeof text, POWER_HEADER "%s\n", row);
  FILE *f = fmemopen(text, strlen(text), "r");
  struct alloc_data *d = NULL;
  struct alloc_diag diag;
  cr_assert_eq(alloc_data_read_stream(f, "p.csv", &d, NULL, &diag), 0, "%s", diag.message);
  fclose(f);
  struct alloc_scheme *s = scheme(scheme_name);
  struct alloc_run *r = NULL;
  cr_assert_eq(alloc_compute(s, d, NULL, &r, NULL), 0);
  struct alloc_result res = r->results[0];
  alloc_run_free(r);
  alloc_data_free(d);
  alloc_scheme_free(s);
  return res;
}

Test(power, coal_unit_is_electricity_times_benchmark_plus_heat) {
  /* 2024, category I: 1,000,000 MWh * 0.7910 + 100,000 GJ * 0.1033 = 801,330 t */
  struct alloc_result r = one("power-2024", USCC_A ",35,power,G1,900000,I,1000000,100000,60");
  cr_assert_str_eq(r.load_factor, "1");
  cr_assert_str_eq(r.exact, "801330");
  cr_assert_eq(r.quota, 801330);
  r = one("power-2023", USCC_A ",35,power,G1,900000,I,1000000,100000,60");
  cr_assert_eq(r.quota, 795000 + 10380, "2023 benchmarks");
}

Test(power, every_category_uses_its_own_benchmark) {
  const char *cats[] = {"I", "II", "III"};
  const uint64_t expect[] = {790200, 801700, 816200}; /* 2025 draft, 1,000,000 MWh */
  for (size_t i = 0; i < 3; i++) {
    char row[256];
    snprintf(row, sizeof row, USCC_A ",35,power,G1,800000,%s,1000000,0,80", cats[i]);
    cr_assert_eq(one("power-2025-draft", row).quota, expect[i], "category %s", cats[i]);
  }
  cr_assert_eq(one("power-2026-draft", USCC_A ",35,power,G1,700000,III,1000000,0,80").quota, 808000);
}

Test(power, quota_below_80_percent_of_emissions_is_raised_to_80_percent) {
  struct alloc_result r = one("power-2024", USCC_A ",35,power,G1,1100000,I,1000000,100000,60");
  cr_assert_eq(r.quota, 880000);
  r = one("power-2024", USCC_A ",35,power,G1,1001662.5,I,1000000,100000,60");
  cr_assert_eq(r.quota, 801330, "exactly 80%% is not raised");
}

Test(power, gas_units_are_topped_up_to_verified_emissions) {
  /* 1,000,000 * 0.3288 + 100,000 * 0.0533 (gas heat) = 334,130 */
  cr_assert_eq(one("power-2024", USCC_A ",35,power,G1,400000.7,IV,1000000,100000,60").quota, 400000);
  cr_assert_eq(one("power-2024", USCC_A ",35,power,G1,300000,IV,1000000,100000,60").quota, 334130,
               "a gas unit above its emissions keeps its benchmark quota");
}

Test(power, load_correction_below_at_and_above_the_threshold) {
  /* 45%: Ff = 1.126059 (half-up at 6 places), A = 1,000,000 * 0.7910 * 1.126059 = 890,712.669 */
  struct alloc_result r = one("power-2024", USCC_A ",35,power,G1,500000,I,1000000,0,45");
  cr_assert_str_eq(r.load_factor, "1.126059");
  cr_assert_str_eq(r.exact, "890712.669");
  cr_assert_eq(r.quota, 890712);
  cr_assert_str_eq(one("power-2024", USCC_A ",35,power,G1,500000,I,1000000,0,50").load_factor, "1");
  cr_assert_str_eq(one("power-2024", USCC_A ",35,power,G1,500000,I,1000000,0,75").load_factor, "1");
  /* The transcribed formula is not continuous: just below 50% it gives 1.100276, a step to 1. */
  cr_assert_str_eq(one("power-2024", USCC_A ",35,power,G1,500000,I,1000000,0,49.999999").load_factor,
                   "1.100276");
}

Test(power, load_factor_matches_values_computed_to_60_digits) {
  struct alloc_scheme *s = scheme("power-2024");
  struct { const char *f, *ff; } cases[] = {{"30", "1.281146"}, {"10", "2.747225"}, {"0", "7.254"}};
  for (size_t i = 0; i < 3; i++) {
    alloc_dec f, ff;
    char buf[64];
    cr_assert_eq(alloc__dec_parse(cases[i].f, strlen(cases[i].f), &f), 0);
    cr_assert_eq(alloc__load_factor(s, f, &ff), 0);
    alloc__dec_format(ff, -1, ALLOC_ROUND_TRUNC, buf, sizeof buf);
    cr_assert_str_eq(buf, cases[i].ff, "F = %s", cases[i].f);
  }
  alloc_scheme_free(s);
}

Test(carryover, cap_is_ten_thousand_plus_one_and_a_half_net_sales_rounded_down) {
  uint64_t t;
  cr_assert_eq(alloc_carryover_cap(0, 1000000, &t), 0);
  cr_assert_eq(t, 10000);
  cr_assert_eq(alloc_carryover_cap(1, 1000000, &t), 0);
  cr_assert_eq(t, 10001, "floor(10,001.5)");
  cr_assert_eq(alloc_carryover_cap(3, 1000000, &t), 0);
  cr_assert_eq(t, 10004);
  cr_assert_eq(alloc_carryover_cap(200000, 5000, &t), 0);
  cr_assert_eq(t, 5000, "capped at the holding");
  cr_assert_eq(alloc_carryover_cap(PROTO_AMOUNT_MAX, UINT64_MAX, &t), 0);
  cr_assert_eq(t, PROTO_AMOUNT_MAX, "a limit above 2^53 - 1 is 2^53 - 1: no holding is larger");
}

Test(carryover, a_rules_limit_is_exact_in_thousandths) {
  uint64_t t = 0;
  cr_assert_eq(alloc_carryover_rule_limit(10000, 1500, 1999, &t), 0);
  cr_assert_eq(t, 12998, "floor(10,000 + 2,998.5)");
  cr_assert_eq(alloc_carryover_rule_limit(0, 1, 999, &t), 0);
  cr_assert_eq(t, 0, "floor(0.999)");
  cr_assert_eq(alloc_carryover_rule_limit(5, 1001, 3000, &t), 0);
  cr_assert_eq(t, 3008);
  cr_assert_eq(alloc_carryover_rule_limit(0, PROTO_CARRY_FACTOR_MILLI_MAX, PROTO_AMOUNT_MAX, &t), 0);
  cr_assert_eq(t, PROTO_AMOUNT_MAX);
  t = 7;
  cr_assert_eq(alloc_carryover_rule_limit(0, PROTO_CARRY_FACTOR_MILLI_MAX + 1, 1, &t),
               PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(alloc_carryover_rule_limit(PROTO_AMOUNT_MAX + 1, 1, 1, &t), PROTO_E_AMOUNT_TOO_LARGE);
  cr_assert_eq(t, 7);
}

Test(deduction, fraud_takes_its_percentage_first_then_the_shortfall_the_rest) {
  uint64_t c, w, rem;
  alloc_withhold(1001, 0, 60, &c, &w, &rem);
  cr_assert(c == 401 && w == 600 && rem == 0);
  alloc_withhold(1000, 100, 60, &c, &w, &rem);
  cr_assert(c == 300 && w == 700 && rem == 0);
  alloc_withhold(1000, 5000, 50, &c, &w, &rem);
  cr_assert(c == 0 && w == 1000 && rem == 4500);
  alloc_withhold(PROTO_AMOUNT_MAX, 0, 100, &c, &w, &rem);
  cr_assert(c == 0 && w == PROTO_AMOUNT_MAX);
}

Test(carryover, refuses_net_sales_above_the_amount_limit) {
  uint64_t t = 77;
  cr_assert_eq(alloc_carryover_cap(PROTO_AMOUNT_MAX + 1, 10, &t), PROTO_E_AMOUNT_TOO_LARGE);
  cr_assert_eq(t, 77);
}

Test(deduction, withholds_up_to_the_outstanding_deduction) {
  uint64_t c, w, rem;
  alloc_deduct(1000, 300, &c, &w, &rem);
  cr_assert(c == 700 && w == 300 && rem == 0);
  alloc_deduct(1000, 5000, &c, &w, &rem);
  cr_assert(c == 0 && w == 1000 && rem == 4000);
  alloc_deduct(1000, 0, &c, &w, &rem);
  cr_assert(c == 1000 && w == 0 && rem == 0);
}

/* The id key of the vector in tests/vectors/ed25519-keys.json ("derived_id"): RFC 8032 TEST 1. */
#define ID_ORIGIN "registry.cets.example/quotad"
static struct proto_key *rfc_key(void) {
  uint8_t seed[PROTO_SEED_BYTES];
  const char *hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  cr_assert_eq(proto_hex_decode(hex, 64, seed, sizeof seed), PROTO_SEED_BYTES);
  struct proto_key *k = proto_key_from_seed(seed);
  cr_assert_not_null(k);
  return k;
}

Test(txid, is_a_signature_of_the_identifying_fields_by_the_issuer_and_deterministic) {
  struct proto_key *k = rfc_key();
  uint8_t id[PROTO_ID_BYTES], again[PROTO_ID_BYTES], other[PROTO_ID_BYTES];
  cr_assert_eq(alloc_tx_id(k, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1", ALLOC_KIND_CLAWBACK, id), 0);
  char hex[33];
  proto_hex_encode(id, sizeof id, hex, sizeof hex);
  cr_assert_str_eq(hex, "d32e470f118971bc3dcea0cca8fe5bdd"); /* gen_key_vectors.py, in Python */
  cr_assert_eq(alloc_tx_id(k, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1", ALLOC_KIND_CLAWBACK, again), 0);
  cr_assert_arr_eq(id, again, sizeof id, "a rerun derives the same id");
  cr_assert_eq(alloc_tx_id(k, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1", PROTO_ALLOC_SUPPLEMENT, other), 0);
  cr_assert_arr_neq(id, other, sizeof id);
  cr_assert_eq(alloc_tx_id(k, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF", ALLOC_KIND_CLAWBACK, other), 0);
  cr_assert_arr_neq(id, other, sizeof id, "the field lengths are signed");
  proto_key_free(k);
}

/* The attack: an enterprise knows its scheme, year, USCC and unit and computed the id of its
 * future claw-back, then used that id first. It can no longer: the id needs the authority's
 * secret. Neither the old public formula, nor its own key, nor the authority's public key gives
 * the claw-back's id. */
Test(txid, an_enterprise_cannot_compute_its_future_clawback_id) {
  struct proto_key *authority = rfc_key(), *enterprise = proto_key_generate();
  uint8_t id[PROTO_ID_BYTES], guess[PROTO_ID_BYTES];
  cr_assert_eq(alloc_tx_id(authority, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1",
                           ALLOC_KIND_CLAWBACK, id), 0);
  /* the public formula tools used before: SHA-256 of the length-prefixed fields */
  static const char domain[] = "quotad/alloc/v1";
  const char *texts[5] = {"steel-2025", "2025", USCC_A, "BF1", "clawback"};
  uint8_t lens[5][2];
  const void *parts[11] = {domain};
  size_t sizes[11] = {sizeof domain - 1};
  for (size_t i = 0; i < 5; i++) {
    size_t n = strlen(texts[i]);
    lens[i][0] = (uint8_t)(n >> 8);
    lens[i][1] = (uint8_t)n;
    parts[1 + 2 * i] = lens[i], sizes[1 + 2 * i] = 2;
    parts[2 + 2 * i] = texts[i], sizes[2 + 2 * i] = n;
  }
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, sizes, 11, h);
  cr_assert_arr_neq(id, h, PROTO_ID_BYTES, "the public formula no longer gives the id");
  cr_assert_eq(alloc_tx_id(enterprise, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1",
                           ALLOC_KIND_CLAWBACK, guess), 0);
  cr_assert_arr_neq(id, guess, sizeof id, "nor its own key");
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(authority, pub);
  struct proto_key *pub_only = proto_key_from_public(pub);
  cr_assert_eq(alloc_tx_id(pub_only, ID_ORIGIN, "steel-2025", 2025, USCC_A, "BF1",
                           ALLOC_KIND_CLAWBACK, guess), PROTO_E_BAD_KEY, "nor the public key");
  proto_key_free(pub_only);
  proto_key_free(enterprise);
  proto_key_free(authority);
}

Test(txid, refuses_an_unknown_kind_and_writes_nothing) {
  struct proto_key *k = rfc_key();
  uint8_t id[PROTO_ID_BYTES] = {9};
  cr_assert_eq(alloc_tx_id(k, ID_ORIGIN, "s", 2025, USCC_A, "u", 7, id), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(id[0], 9);
  proto_key_free(k);
}

Test(power, a_balance_value_is_refused_for_the_benchmark_method) {
  const char *text = POWER_HEADER USCC_A ",35,power,G1,900000,I,1000000,0,60\n";
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  struct alloc_data *d = NULL;
  cr_assert_eq(alloc_data_read_stream(f, "p.csv", &d, NULL, NULL), 0);
  fclose(f);
  struct alloc_scheme *s = scheme("power-2024");
  struct alloc_run *r = NULL;
  cr_assert_eq(alloc_compute(s, d, "1.6", &r, NULL), PROTO_E_BAD_ARGUMENT);
  cr_assert_null(r);
  alloc_data_free(d);
  alloc_scheme_free(s);
}

Test(carryover, limit_ignores_the_holding_and_refuses_too_large_net_sales) {
  uint64_t t = 0;
  cr_assert_eq(alloc_carryover_limit(200000, &t), 0);
  cr_assert_eq(t, 310000);
  cr_assert_eq(alloc_carryover_limit(5, &t), 0);
  cr_assert_eq(t, 10007, "floor(10,007.5)");
  t = 9;
  cr_assert_eq(alloc_carryover_limit(PROTO_AMOUNT_MAX + 1, &t), PROTO_E_AMOUNT_TOO_LARGE);
  cr_assert_eq(t, 9);
}

Test(compliance, ccer_counts_up_to_floor_five_percent_of_the_obligation) {
  cr_assert_eq(alloc_ccer_counted_max(1000), 50);
  cr_assert_eq(alloc_ccer_counted_max(1019), 50, "floor(50.95)");
  cr_assert_eq(alloc_ccer_counted_max(19), 0);
  cr_assert_eq(alloc_counted(900, 80, 1000), 950, "CCER counted only to 50");
  cr_assert_eq(alloc_counted(900, 30, 1000), 930);
  cr_assert_eq(alloc_counted(0, 0, 0), 0);
  cr_assert_eq(alloc_counted(PROTO_AMOUNT_MAX, PROTO_AMOUNT_MAX, PROTO_AMOUNT_MAX),
               PROTO_AMOUNT_MAX + PROTO_AMOUNT_MAX / 20, "no wrap at the limits");
}

Test(compliance, status_against_the_deadline) {
  const uint64_t d = 1000;
  cr_assert_eq(alloc_compliance_status(0, 900, d, 950), ALLOC_COMPLIANT);
  cr_assert_eq(alloc_compliance_status(5, 0, d, 950), ALLOC_SHORT);
  cr_assert_eq(alloc_compliance_status(5, 0, d, 1000), ALLOC_SHORT, "the deadline itself is in time");
  cr_assert_eq(alloc_compliance_status(5, 0, d, 1001), ALLOC_OVERDUE);
  cr_assert_eq(alloc_compliance_status(0, 1000, d, 2000), ALLOC_COMPLIANT);
  cr_assert_eq(alloc_compliance_status(0, 1500, d, 2000), ALLOC_COMPLIANT_LATE);
  cr_assert_eq(alloc_compliance_status(5, 0, 0, 99999), ALLOC_SHORT, "no deadline yet: never late");
}

