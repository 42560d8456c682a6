/* Properties of the intensity-coefficient method over random sectors (seeded, reproducible):
 * the solved balance value satisfies the balance equation exactly (checked with a small bignum
 * written here, independent of the library's arithmetic), rounding loses less than one tonne
 * per unit, and a unit's quota never decreases as its intensity falls.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "alloc/internal.h"

/* ---- a small signed bignum: 32-bit limbs, little-endian magnitude ---- */
#define LIMBS 32
struct big {
  int sign; /* -1, 0, 1 */
  uint32_t m[LIMBS];
};

static struct big big_of(__int128 v) {
  struct big b = {0, {0}};
  unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  b.sign = v < 0 ? -1 : v > 0;
  for (int i = 0; i < 4; i++) b.m[i] = (uint32_t)(u >> (32 * i));
  return b;
}

static int mag_cmp(const struct big *a, const struct big *b) {
  for (int i = LIMBS - 1; i >= 0; i--) {
    if (a->m[i] != b->m[i]) return a->m[i] < b->m[i] ? -1 : 1;
  }
  return 0;
}

static struct big big_mul(struct big a, struct big b) {
  struct big r = {a.sign * b.sign, {0}};
  for (int i = 0; i < LIMBS; i++) {
    uint64_t carry = 0;
    for (int j = 0; i + j < LIMBS; j++) {
      uint64_t t = (uint64_t)a.m[i] * b.m[j] + r.m[i + j] + carry;
      r.m[i + j] = (uint32_t)t;
      carry = t >> 32;
    }
  }
  return r;
}

static struct big big_neg(struct big a) {
  a.sign = -a.sign;
  return a;
}

/* Products here stay far below 2^1024, so the truncation at LIMBS never bites. */
static struct big big_add(struct big a, struct big b) {
  if (a.sign == 0) return b;
  if (b.sign == 0) return a;
  struct big r = {a.sign, {0}};
  if (a.sign == b.sign) {
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
      uint64_t t = (uint64_t)a.m[i] + b.m[i] + carry;
      r.m[i] = (uint32_t)t;
      carry = t >> 32;
    }
    cr_assert_eq(carry, 0);
    return r;
  }
  int c = mag_cmp(&a, &b);
  if (c == 0) return big_of(0);
  const struct big *hi = c > 0 ? &a : &b, *lo = c > 0 ? &b : &a;
  r.sign = hi->sign;
  int64_t borrow = 0;
  for (int i = 0; i < LIMBS; i++) {
    int64_t t = (int64_t)hi->m[i] - lo->m[i] - borrow;
    borrow = t < 0;
    r.m[i] = (uint32_t)(t + (borrow << 32));
  }
  return r;
}

/* ---- random sectors ---- */
static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static struct alloc_scheme *scheme(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, name);
  struct alloc_scheme *s = NULL;
  cr_assert_eq(alloc_scheme_load(path, &s, NULL), 0);
  return s;
}

static void random_sector(struct alloc_data *d, size_t n) {
  d->count = n;
  d->units = calloc(n, sizeof *d->units);
  for (size_t i = 0; i < n; i++) {
    struct alloc_unit *u = &d->units[i];
    /* steel is allocated per enterprise: each unit its own enterprise (USCC) */
    char first17[18];
    snprintf(first17, sizeof first17, "91350100M00%06u", (unsigned)(i % 1000000u));
    memcpy(u->uscc, first17, 17);
    u->uscc[17] = proto_uscc_check_char(first17);
    u->uscc[18] = '\0';
    snprintf(u->unit_id, sizeof u->unit_id, "U%zu", i);
    u->province = 35;
    u->sector = PROTO_SECTOR_STEEL;
    u->emissions_e6 = (int64_t)(26000000000ull + rnd() % 5000000000000ull);
    /* intensity between about 1.0 and 3.0, with some exact ties */
    uint64_t per_mille = rnd() % 8 == 0 ? 1600 : 1000 + rnd() % 2000;
    u->output_e6 = (int64_t)((__int128)u->emissions_e6 * 1000 / per_mille);
    if (rnd() % 23 == 0) u->flags = ALLOC_F_STANDALONE_EAF;
  }
}

/* 100 M * sum of E * alpha(BP), in units of 10^-6 t: must be exactly zero. */
static struct big balance(const struct alloc_data *d, const struct alloc_bp *bp) {
  struct big sum = big_of(0), m = big_mul(big_of(1000000), big_of((__int128)bp->num));
  for (size_t i = 0; i < d->count; i++) {
    const struct alloc_unit *u = &d->units[i];
    if (u->flags) continue;
    __int128 e = u->emissions_e6, q = u->output_e6;
    __int128 iota = (2 * e * 1000000 + q) / (2 * q); /* half-up, independent of the library */
    struct big p = big_mul(big_of(iota), big_of((__int128)bp->den));
    struct big diff = big_add(m, big_neg(p));
    /* X >= 0.2 <=> 5 (M - P) - M >= 0; X <= -0.2 <=> 5 (P - M) - M >= 0 */
    struct big five_diff = big_mul(big_of(5), diff);
    struct big lhs_hi = big_add(five_diff, big_neg(m));
    struct big lhs_lo = big_add(big_neg(five_diff), big_neg(m));
    struct big term;
    if (lhs_hi.sign >= 0) {
      term = big_mul(big_mul(big_of(3), big_of(e)), m);
    } else if (lhs_lo.sign >= 0) {
      term = big_mul(big_mul(big_of(-3), big_of(e)), m);
    } else {
      term = big_mul(big_mul(big_of(15), big_of(e)), diff);
    }
    sum = big_add(sum, term);
  }
  return sum;
}

Test(properties, solved_bp_satisfies_the_balance_equation_exactly) {
  struct alloc_scheme *s = scheme("steel-2025");
  for (uint64_t seed = 1; seed <= 40; seed++) {
    rng_state = 0x9E3779B97F4A7C15ull * seed;
    struct alloc_data d;
    random_sector(&d, 5 + rnd() % 300);
    struct alloc_bp bp;
    cr_assert_eq(alloc__solve_bp(s, d.units, d.count, &bp), 0, "seed %llu", (unsigned long long)seed);
    struct big b = balance(&d, &bp);
    cr_assert_eq(b.sign, 0, "seed %llu: the balance equation does not hold", (unsigned long long)seed);
    /* and a slightly different BP does not satisfy it: the check can fail */
    struct alloc_bp off = {bp.num * 1000001, bp.den * 1000000};
    if (off.num / 1000001 == bp.num) cr_assert_neq(balance(&d, &off).sign, 0);
    free(d.units);
  }
  alloc_scheme_free(s);
}

Test(properties, rounding_loses_less_than_one_tonne_per_unit) {
  struct alloc_scheme *s = scheme("steel-2025");
  for (uint64_t seed = 100; seed < 130; seed++) {
    rng_state = 0x9E3779B97F4A7C15ull * seed;
    struct alloc_data d;
    random_sector(&d, 5 + rnd() % 300);
    struct alloc_run *r = NULL;
    cr_assert_eq(alloc_compute(s, &d, NULL, &r, NULL), 0);
    alloc_dec residual;
    cr_assert_eq(alloc__dec_parse(r->summary.residual, strlen(r->summary.residual), &residual), 0);
    uint64_t allocated = r->summary.units - r->summary.none_count;
    cr_assert_geq(residual, 0, "the rounded total never exceeds verified emissions");
    cr_assert_lt(residual, (alloc_dec)allocated * ALLOC_DEC_ONE, "seed %llu", (unsigned long long)seed);
    alloc_run_free(r);
    free(d.units);
  }
  alloc_scheme_free(s);
}

Test(properties, quota_never_decreases_as_intensity_falls) {
  struct alloc_scheme *s = scheme("steel-2025");
  const char *bps[] = {"1.6", "2", "1.234567"};
  for (size_t b = 0; b < 3; b++) {
    rng_state = 0xC0FFEEull + b;
    struct alloc_data d = {calloc(400, sizeof(struct alloc_unit)), 400};
    int64_t e = (int64_t)(26000000000ull + rnd() % 1000000000000ull);
    int64_t output = e / 4; /* I = 4 falling to about 1.0 */
    for (size_t i = 0; i < d.count; i++) {
      struct alloc_unit *u = &d.units[i];
      /* steel is allocated per enterprise: each unit its own enterprise (USCC) */
    char first17[18];
    snprintf(first17, sizeof first17, "91350100M00%06u", (unsigned)(i % 1000000u));
    memcpy(u->uscc, first17, 17);
    u->uscc[17] = proto_uscc_check_char(first17);
    u->uscc[18] = '\0';
      snprintf(u->unit_id, sizeof u->unit_id, "U%zu", i);
      u->province = 35;
      u->sector = PROTO_SECTOR_STEEL;
      u->emissions_e6 = e;
      u->output_e6 = output;
      output += (int64_t)(rnd() % (uint64_t)(e / 300)) + 1;
    }
    struct alloc_run *r = NULL;
    cr_assert_eq(alloc_compute(s, &d, bps[b], &r, NULL), 0);
    for (size_t i = 1; i < d.count; i++) {
      cr_assert_geq(r->results[i].quota, r->results[i - 1].quota, "bp %s unit %zu", bps[b], i);
    }
    cr_assert_gt(r->results[d.count - 1].quota, r->results[0].quota);
    alloc_run_free(r);
    free(d.units);
  }
  alloc_scheme_free(s);
}
