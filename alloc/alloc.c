/* The allocator's computation: quotas of every unit by the scheme's method (verified emissions,
 * intensity coefficient with its balance value, power benchmarks), pre-allocation and true-up,
 * and the sector summary. Exact integer arithmetic throughout; see alloc.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/internal.h"

#define E6_TO_DEC ((alloc_dec)(ALLOC_DEC_ONE / ALLOC_DATA_SCALE))
#define NO_ALLOCATION_FLAGS                                                                      \
  (ALLOC_F_CLOSED | ALLOC_F_COMMISSIONED | ALLOC_F_NON_PORTLAND |            \
   ALLOC_F_STANDALONE_EAF | ALLOC_F_STANDALONE_ROLLING)

unsigned alloc__unit_status(const struct alloc_scheme *s, const struct alloc_unit *u) {
  if (u->flags & NO_ALLOCATION_FLAGS) return ALLOC_NONE;
  if (s->method != ALLOC_INTENSITY_COEFFICIENT) return ALLOC_NORMAL;
  bool special = ((u->flags & ALLOC_F_WHITE_PORTLAND) && s->white_portland) ||
                 ((u->flags & ALLOC_F_GYPSUM_ACID) && s->gypsum_acid) ||
                 ((u->flags & ALLOC_F_HYDROGEN_BF) && s->hydrogen_bf) ||
                 (s->has_carbide && u->sector == PROTO_SECTOR_CEMENT &&
                  (alloc_dec)u->carbide_slag_e6 * E6_TO_DEC > s->carbide_threshold);
  return special ? ALLOC_SPECIAL : ALLOC_NORMAL;
}

int alloc__intensity(const struct alloc_unit *u, int places, int64_t *iota) {
  PROTO_ASSERT(places >= 0 && places <= ALLOC_INTENSITY_PLACES_MAX);
  if (u->output_e6 <= 0) {
    if (u->emissions_e6 != 0) return PROTO_E_BAD_DATA;
    *iota = 0;
    return 0;
  }
  /* e * 10^places < 2^63 * 10^9 < 2^127: the numerator cannot overflow. */
  struct alloc_u256 num = alloc__u256_of((alloc_u128)u->emissions_e6 * alloc__pow10((unsigned)places));
  alloc_u128 q;
  int err = alloc__u256_div_round(num, (alloc_u128)u->output_e6, false, ALLOC_ROUND_HALF_UP, &q);
  if (err) return err;
  if (q > INT64_MAX) return PROTO_E_OVERFLOW;
  *iota = (int64_t)q;
  return 0;
}

int alloc__load_factor(const struct alloc_scheme *s, alloc_dec load, alloc_dec *out) {
  if (load >= s->lc_threshold) {
    *out = ALLOC_DEC_ONE;
    return 0;
  }
  const alloc_u128 one36 = alloc__pow10(36);
  const alloc_dec a[2] = {s->lc_a1, s->lc_a2}, t[2] = {s->lc_t1, s->lc_t2};
  /* 36 places inside: Ff = constant - a1 (1 - e^(-F/t1)) - a2 (1 - e^(-F/t2)). */
  __int128 ff36;
  if (__builtin_mul_overflow(s->lc_constant, ALLOC_DEC_ONE, &ff36)) return PROTO_E_OVERFLOW;
  for (int i = 0; i < 2; i++) {
    alloc_u128 x36, term;
    int err = alloc__u256_div_round(alloc__u256_mul((alloc_u128)load, one36), (alloc_u128)t[i],
                                     true, ALLOC_ROUND_HALF_EVEN, &x36);
    if (err) return err;
    if (x36 > 100 * one36) x36 = 100 * one36; /* e^-100 is 0 at 36 places */
    __int128 e36;
    err = alloc__dec_exp36(-(__int128)x36, &e36);
    if (err) return err;
    err = alloc__u256_div_round(alloc__u256_mul((alloc_u128)a[i], one36 - (alloc_u128)e36),
                                 (alloc_u128)ALLOC_DEC_ONE, false, ALLOC_ROUND_HALF_EVEN, &term);
    if (err) return err;
    if (__builtin_sub_overflow(ff36, (__int128)term, &ff36)) return PROTO_E_OVERFLOW;
  }
  /* Round half-up to the scheme's places, then back to 18 places. */
  alloc_u128 unit = alloc__pow10((unsigned)(36 - s->lc_places)), m;
  bool neg = ff36 < 0;
  alloc_u128 mag = neg ? (alloc_u128)0 - (alloc_u128)ff36 : (alloc_u128)ff36;
  int err = alloc__u256_div_round(alloc__u256_of(mag), unit, neg, ALLOC_ROUND_HALF_UP, &m);
  if (err) return err;
  alloc_dec r = (alloc_dec)m * (alloc_dec)alloc__pow10((unsigned)(ALLOC_DEC_PLACES - s->lc_places));
  *out = neg ? -r : r;
  return 0;
}

/* Per-unit exact values handed from the method to the common tail. */
struct unit_calc {
  alloc_dec exact;            /* quota before rounding, 18 places toward zero */
  uint64_t quota;              /* whole tonnes, rounded down from the exact value */
  int sign;                    /* quota vs E: +1 surplus, -1 shortfall */
  alloc_dec intensity, x, alpha, load;
  bool has_intensity, has_x, has_load;
};

static int floor_tonnes(alloc_dec exact, uint64_t *out) {
  int64_t t;
  int err = alloc__dec_floor_int(exact, &t);
  if (err) return err;
  if (t < 0 || (uint64_t)t > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  *out = (uint64_t)t;
  return 0;
}

/* x = mag / d truncated, with sign; as a decimal (caller has scaled mag). */
static int signed_ratio(struct alloc_u256 mag, alloc_u128 d, bool neg, alloc_dec *out) {
  alloc_u128 m;
  int err = alloc__u256_div_round(mag, d, neg, ALLOC_ROUND_TRUNC, &m);
  if (err) return err;
  *out = neg ? -(alloc_dec)m : (alloc_dec)m;
  return 0;
}

static int band_quota(const struct alloc_scheme *s, int64_t e6, alloc_u128 m,
                      alloc_u128 diff, bool neg, alloc_dec *exact) {
  /* A 10^24 M = e 10^18 M +- c e |M - P|; both terms are exact 256-bit products. */
  struct alloc_u256 t1, t2, num;
  alloc_u128 ec;
  if (__builtin_mul_overflow((alloc_u128)e6, (alloc_u128)s->coefficient, &ec)) {
    return PROTO_E_OVERFLOW;
  }
  int err = alloc__u256_mul_small(alloc__u256_mul((alloc_u128)e6, m), (uint64_t)ALLOC_DEC_ONE, &t1);
  if (err) return err;
  t2 = alloc__u256_mul(ec, diff);
  if (neg) {
    num = alloc__u256_sub(t1, t2); /* |alpha| < 1: t2 < t1 */
  } else if ((err = alloc__u256_add(t1, t2, &num)) != 0) {
    return err;
  }
  struct alloc_u256 q;
  alloc_u128 r;
  alloc__u256_divmod(num, m, &q, &r); /* floor(floor(a / m) / 10^6) = floor(a / (m 10^6)) */
  return signed_ratio(q, ALLOC_DATA_SCALE, false, exact);
}

static int intensity_unit(const struct alloc_scheme *s, const struct alloc_bp *bp,
                          const struct alloc_unit *u, struct unit_calc *c) {
  int64_t iota;
  int err = alloc__intensity(u, s->intensity_places, &iota);
  if (err) return err;
  alloc_u128 pk = alloc__pow10((unsigned)s->intensity_places), m;
  c->intensity = (alloc_dec)iota * (alloc_dec)alloc__pow10((unsigned)(ALLOC_DEC_PLACES - s->intensity_places));
  c->has_intensity = c->has_x = true;
  /* X = (M - P) / M with M = 10^k num, P = iota den (BP = num / den, I = iota / 10^k). */
  if (__builtin_mul_overflow(pk, bp->num, &m) || m >> 126) return PROTO_E_OVERFLOW;
  struct alloc_u256 mm = alloc__u256_of(m), p = alloc__u256_mul((alloc_u128)iota, bp->den);
  bool neg = alloc__u256_cmp(p, mm) > 0;
  struct alloc_u256 diff = neg ? alloc__u256_sub(p, mm) : alloc__u256_sub(mm, p), scaled;
  if ((err = alloc__u256_mul_small(diff, (uint64_t)ALLOC_DEC_ONE, &scaled)) != 0 ||
      (err = signed_ratio(scaled, m, neg, &c->x)) != 0) {
    return err;
  }
  /* Band edges by exact comparison: X >= b <=> (M - P) >= b M, X <= -b <=> (P - M) >= b M. */
  struct alloc_u256 bm = alloc__u256_mul(m, (alloc_u128)s->band), diff18;
  if ((err = alloc__u256_mul_small(diff, (uint64_t)ALLOC_DEC_ONE, &diff18)) != 0) return err;
  bool capped = alloc__u256_cmp(diff18, bm) >= 0;
  if (capped) {
    c->alpha = neg ? -s->cap : s->cap;
    err = alloc__dec_mul((alloc_dec)u->emissions_e6 * E6_TO_DEC, ALLOC_DEC_ONE + c->alpha,
                          ALLOC_ROUND_TRUNC, &c->exact);
    if (err) return err;
  } else {
    PROTO_ASSERT(diff.hi == 0 && diff.lo < m); /* inside the band |M - P| < b M < M */
    err = signed_ratio(alloc__u256_mul(diff.lo, (alloc_u128)s->coefficient), m, neg, &c->alpha);
    if (!err) err = band_quota(s, u->emissions_e6, m, diff.lo, neg, &c->exact);
    if (err) return err;
  }
  c->sign = c->alpha > 0 ? 1 : c->alpha < 0 ? -1 : 0;
  return floor_tonnes(c->exact, &c->quota);
}

static int power_unit(const struct alloc_scheme *s, const struct alloc_unit *u,
                      struct unit_calc *c) {
  alloc_dec ff, a, h, e = (alloc_dec)u->emissions_e6 * E6_TO_DEC, floor_e;
  int err = alloc__load_factor(s, (alloc_dec)u->load_pct_e6 * E6_TO_DEC, &ff);
  if (err) return err;
  c->load = ff;
  c->has_load = true;
  bool gas = u->category == ALLOC_CAT_IV;
  /* Products are exact while the places add up to 18 or fewer (data 6, benchmarks 4, Ff 6);
   * past that they are rounded down at the 18th place. */
  if ((err = alloc__dec_mul((alloc_dec)u->supplied_mwh_e6 * E6_TO_DEC, s->benchmark[u->category],
                             ALLOC_ROUND_FLOOR, &a)) != 0 ||
      (err = alloc__dec_mul(a, ff, ALLOC_ROUND_FLOOR, &a)) != 0 ||
      (err = alloc__dec_mul((alloc_dec)u->heat_gj_e6 * E6_TO_DEC, gas ? s->heat_gas : s->heat_coal,
                             ALLOC_ROUND_FLOOR, &h)) != 0 ||
      (err = alloc__dec_add(a, h, &a)) != 0 ||
      (err = alloc__dec_mul(e, s->floor_share, ALLOC_ROUND_FLOOR, &floor_e)) != 0) {
    return err;
  }
  if (gas && s->gas_top_up && a < e) a = e;
  if (a < floor_e) a = floor_e;
  c->exact = a;
  c->sign = a > e ? 1 : a < e ? -1 : 0;
  return floor_tonnes(a, &c->quota);
}

static int pre_allocation(const struct alloc_scheme *s, const struct alloc_unit *u,
                          uint64_t *pre) {
  *pre = 0;
  if (!u->has_prev || s->pre_share == 0 ||
      (u->flags & (ALLOC_F_NON_PORTLAND | ALLOC_F_STANDALONE_EAF |
                   ALLOC_F_STANDALONE_ROLLING))) {
    return 0;
  }
  alloc_dec v;
  int err = alloc__dec_mul(s->pre_share, (alloc_dec)u->prev_emissions_e6 * E6_TO_DEC,
                            ALLOC_ROUND_FLOOR, &v);
  return err ? err : floor_tonnes(v, pre);
}

static void text_of(alloc_dec d, char out[ALLOC_TEXT_BYTES]) {
  long n = alloc__dec_format(d, -1, ALLOC_ROUND_TRUNC, out, ALLOC_TEXT_BYTES);
  PROTO_ASSERT(n > 0);
  (void)n;
}

/* Adds one unit's figures to the sector totals. */
static int tally(struct alloc_summary *sum, alloc_dec *verified, alloc_dec *quota,
                 const struct alloc_unit *u, const struct alloc_result *r,
                 const struct unit_calc *c) {
  if (__builtin_add_overflow(sum->pre_total, r->pre, &sum->pre_total)) return PROTO_E_OVERFLOW;
  sum->units++;
  if (r->status == ALLOC_NONE) {
    sum->none_count++;
    return 0;
  }
  if (r->status == ALLOC_SPECIAL) sum->special_count++;
  if (c->sign > 0) sum->surplus_count++;
  if (c->sign < 0) sum->shortfall_count++;
  if (__builtin_add_overflow(sum->quota_total, r->quota, &sum->quota_total) ||
      sum->quota_total > PROTO_AMOUNT_MAX) {
    return PROTO_E_OVERFLOW;
  }
  if (alloc__dec_add(*verified, (alloc_dec)u->emissions_e6 * E6_TO_DEC, verified) ||
      alloc__dec_add(*quota, (alloc_dec)r->quota * ALLOC_DEC_ONE, quota)) {
    return PROTO_E_OVERFLOW;
  }
  return 0;
}

static int unit_calc(const struct alloc_scheme *s, const struct alloc_bp *bp,
                     const struct alloc_unit *u, unsigned status, struct unit_calc *c) {
  memset(c, 0, sizeof *c);
  if (status == ALLOC_NONE) return 0;
  if (s->method == ALLOC_POWER_BENCHMARK) return power_unit(s, u, c);
  if (s->method == ALLOC_INTENSITY_COEFFICIENT && status == ALLOC_NORMAL) {
    return intensity_unit(s, bp, u, c);
  }
  c->exact = (alloc_dec)u->emissions_e6 * E6_TO_DEC; /* verified method, special cases */
  if (status == ALLOC_SPECIAL) c->has_x = true; /* alpha = X = 0 by rule */
  return floor_tonnes(c->exact, &c->quota);
}

static int fill_result(const struct alloc_scheme *s, const struct alloc_bp *bp,
                       const struct alloc_unit *u, struct alloc_result *r,
                       struct unit_calc *c) {
  r->status = (uint8_t)alloc__unit_status(s, u);
  int err = unit_calc(s, bp, u, r->status, c);
  if (!err) err = pre_allocation(s, u, &r->pre);
  if (err) return err;
  r->quota = c->quota;
  if (c->has_intensity) text_of(c->intensity, r->intensity);
  if (c->has_x) {
    text_of(c->x, r->x);
    text_of(c->alpha, r->alpha);
  }
  if (c->has_load) text_of(c->load, r->load_factor);
  text_of(c->exact, r->exact);
  uint64_t given = u->has_pre_allocated ? u->pre_allocated : r->pre;
  if (given > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  r->true_up = (int64_t)r->quota - (int64_t)given; /* both <= 2^53 - 1 */
  return 0;
}

/* The balance value to use: the caller's, the scheme's, or the solved one. */
static int choose_bp(const struct alloc_scheme *s, const struct alloc_data *d,
                     const char *text, struct alloc_bp *bp, bool *solved) {
  *solved = false;
  if (s->method != ALLOC_INTENSITY_COEFFICIENT) return text ? PROTO_E_BAD_ARGUMENT : 0;
  alloc_dec v = s->bp;
  if (text) {
    int err = alloc__dec_parse(text, strlen(text), &v);
    if (err || v <= 0) return PROTO_E_BAD_ARGUMENT;
  } else if (!s->has_bp) {
    *solved = true;
    return alloc__solve_bp(s, d->units, d->count, bp);
  }
  alloc_u128 g = alloc__gcd((alloc_u128)v, (alloc_u128)ALLOC_DEC_ONE);
  bp->num = (alloc_u128)v / g;
  bp->den = (alloc_u128)ALLOC_DEC_ONE / g;
  return 0;
}

static void diag_unit(struct alloc_diag *diag, size_t i, const char *field, const char *msg) {
  if (!diag) return;
  memset(diag, 0, sizeof *diag);
  diag->line = (unsigned)(i + 1);
  snprintf(diag->field, sizeof diag->field, "%s", field);
  snprintf(diag->message, sizeof diag->message, "%s", msg);
}

/* A pre-allocation run knows only the previous year's emissions: each unit's pre-allocation,
 * no quota, no balance value. */
static int pre_only_units(struct alloc_run *run, struct alloc_diag *diag) {
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_unit *u = &run->data->units[i];
    struct alloc_result *r = &run->results[i];
    r->unit = i;
    r->status = (uint8_t)alloc__unit_status(run->scheme, u);
    int err = u->sector == run->scheme->sector ? pre_allocation(run->scheme, u, &r->pre)
                                               : PROTO_E_BAD_DATA;
    if (!err && __builtin_add_overflow(run->summary.pre_total, r->pre, &run->summary.pre_total))
      err = PROTO_E_OVERFLOW;
    if (err) {
      diag_unit(diag, i, "unit", err == PROTO_E_BAD_DATA ? "the unit is not of the scheme's sector"
                                                         : proto_err_message(err));
      return err;
    }
    run->summary.units++;
    if (r->status == ALLOC_NONE) run->summary.none_count++;
  }
  return 0;
}

static int cmp_unit_uscc_flags(const void *a, const void *b) {
  const struct alloc_unit *x = *(const struct alloc_unit *const *)a;
  const struct alloc_unit *y = *(const struct alloc_unit *const *)b;
  int c = strcmp(x->uscc, y->uscc);
  if (c == 0) c = x->flags < y->flags ? -1 : x->flags > y->flags;
  return c ? c : x < y ? -1 : x > y;
}

/* Steel is allocated per enterprise: an integrated enterprise's furnaces are one unit (E and
 * output summed before I is computed), so two allocated steel units of one USCC with the same
 * flags are refused (units with other flags, such as a hydrogen-rich furnace, stand apart). */
static int steel_one_unit_each(const struct alloc_data *d, struct alloc_diag *diag) {
  if (d->count < 2) return 0;
  const struct alloc_unit **order = malloc(d->count * sizeof *order);
  if (!order) return PROTO_E_NO_MEMORY;
  size_t n = 0;
  for (size_t i = 0; i < d->count; i++) {
    const struct alloc_unit *u = &d->units[i];
    if (u->sector == PROTO_SECTOR_STEEL && !(u->flags & NO_ALLOCATION_FLAGS)) order[n++] = u;
  }
  qsort(order, n, sizeof *order, cmp_unit_uscc_flags);
  int err = 0;
  for (size_t i = 1; i < n && !err; i++) {
    if (strcmp(order[i]->uscc, order[i - 1]->uscc) != 0 || order[i]->flags != order[i - 1]->flags)
      continue;
    diag_unit(diag, (size_t)(order[i] - d->units), "uscc",
              "a steel enterprise is one allocation unit: sum its furnaces");
    err = PROTO_E_BAD_DATA;
  }
  free(order);
  return err;
}

/* Every unit has this year's emissions (a final run) or none has (a pre-allocation run). */
static int run_kind(const struct alloc_data *d, bool *pre_only, struct alloc_diag *diag) {
  size_t unknown = 0;
  for (size_t i = 0; i < d->count; i++) unknown += d->units[i].emissions_unknown;
  *pre_only = d->count > 0 && unknown == d->count;
  if (unknown == 0 || *pre_only) return 0;
  size_t i = 0;
  while (!d->units[i].emissions_unknown) i++;
  diag_unit(diag, i, "emissions", "either every unit has this year's emissions or none has");
  return PROTO_E_BAD_DATA;
}

static int compute_units(struct alloc_run *run, const struct alloc_bp *bp,
                         struct alloc_diag *diag) {
  const struct alloc_scheme *s = run->scheme;
  alloc_dec verified = 0, quota = 0;
  if (run->summary.pre_only) return pre_only_units(run, diag);
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_unit *u = &run->data->units[i];
    struct alloc_result *r = &run->results[i];
    struct unit_calc c;
    r->unit = i;
    if (u->sector != s->sector) {
      diag_unit(diag, i, "sector", "the unit is not of the scheme's sector");
      return PROTO_E_BAD_DATA;
    }
    if (s->method == ALLOC_POWER_BENCHMARK && u->category == ALLOC_CAT_NONE &&
        alloc__unit_status(s, u) != ALLOC_NONE) {
      diag_unit(diag, i, "category", "a power unit needs its category");
      return PROTO_E_BAD_DATA;
    }
    int err = fill_result(s, bp, u, r, &c);
    if (!err) err = tally(&run->summary, &verified, &quota, u, r, &c);
    if (err) {
      diag_unit(diag, i, "unit", proto_err_message(err));
      return err;
    }
  }
  alloc_dec residual;
  if (alloc__dec_sub(verified, quota, &residual)) return PROTO_E_OVERFLOW;
  text_of(verified, run->summary.verified_total);
  text_of(residual, run->summary.residual);
  return 0;
}

int alloc_compute(const struct alloc_scheme *scheme,
                         const struct alloc_data *data, const char *bp_text,
                         struct alloc_run **out, struct alloc_diag *diag) {
  PROTO_ASSERT(scheme && data && out);
  if (diag) memset(diag, 0, sizeof *diag);
  struct alloc_bp bp = {0, 1};
  bool solved = false, pre_only;
  int err = run_kind(data, &pre_only, diag);
  if (!err) err = steel_one_unit_each(data, diag);
  if (!err && !pre_only) err = choose_bp(scheme, data, bp_text, &bp, &solved);
  if (err) return err;
  struct alloc_run *run = calloc(1, sizeof *run);
  struct alloc_result *results = calloc(data->count ? data->count : 1, sizeof *results);
  if (!run || !results) {
    free(run);
    free(results);
    return PROTO_E_NO_MEMORY;
  }
  *run = (struct alloc_run){scheme, data, results, data->count, {{0}}};
  run->summary.bp_solved = solved;
  run->summary.pre_only = pre_only;
  if (scheme->method == ALLOC_INTENSITY_COEFFICIENT && !pre_only) {
    struct alloc_u256 scaled = alloc__u256_mul(bp.num, (alloc_u128)ALLOC_DEC_ONE);
    alloc_dec v;
    err = signed_ratio(scaled, bp.den, false, &v);
    if (!err) text_of(v, run->summary.bp);
  }
  if (!err) err = compute_units(run, &bp, diag);
  if (err) {
    alloc_run_free(run);
    return err;
  }
  *out = run;
  return 0;
}

void alloc_run_free(struct alloc_run *run) {
  if (!run) return;
  free(run->results);
  free(run);
}

const char *alloc_status_name(unsigned status) {
  static const char *const names[] = {NULL, "normal", "special", "none"};
  return status < sizeof(names) / sizeof(names[0]) ? names[status] : NULL;
}
