/* The balance value of the intensity-coefficient method, solved exactly.
 *
 * f(BP) = sum over units of E * alpha(BP) is continuous and non-decreasing in BP. Between two
 * consecutive band edges (BP = I / (1 + band) where a unit leaves the lower cap, BP = I /
 * (1 - band) where it reaches the upper cap) the set of units in the open band is fixed and
 * f(BP) = c * S_b - c * N / BP + cap * (S_hi - S_lo), with S_b and N = sum E * I over the band,
 * so f = 0 there is a linear equation in 1 / BP. We sweep the edges in ascending order, keep the
 * sums up to date, stop at the first edge where f >= 0 and solve that piece: the result is an
 * exact fraction. Integers: e = E * 10^6, iota = I * 10^places.
 */
#include <stdlib.h>

#include "alloc/internal.h"

struct edge {
  alloc_u128 key; /* BP * (bd^2 - bn^2) * 10^places / bd: iota * (bd +- bn) */
  size_t unit;
  bool to_hi; /* false: lower cap -> band; true: band -> upper cap */
};

static int cmp_edge(const void *a, const void *b) {
  const struct edge *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key;
}

struct sums {
  __int128 band_e, band_ei, hi_e, lo_e; /* S_b, N, S_hi, S_lo */
};

struct params {
  __int128 c, cap; /* coefficient and cap divided by their gcd */
  __int128 bn, bd; /* band = bn / bd, reduced */
  __int128 pow_k;  /* 10^places */
};

#define CHECK(x)                                                                                 \
  do {                                                                                           \
    if (x) return PROTO_E_OVERFLOW;                                                              \
  } while (0)

/* The sign of f at the edge key, times a positive factor: (c S_b + cap dS) key bd - c N (bd^2-bn^2). */
static int sign_at(const struct params *p, const struct sums *s, alloc_u128 key, int *sign) {
  __int128 lin, t, lhs, rhs, d2;
  CHECK(__builtin_mul_overflow(p->c, s->band_e, &lin));
  CHECK(__builtin_sub_overflow(s->hi_e, s->lo_e, &t));
  CHECK(__builtin_mul_overflow(p->cap, t, &t));
  CHECK(__builtin_add_overflow(lin, t, &lin));
  CHECK(key >> 126);
  CHECK(__builtin_mul_overflow(lin, (__int128)key, &lhs));
  CHECK(__builtin_mul_overflow(lhs, p->bd, &lhs));
  d2 = p->bd * p->bd - p->bn * p->bn; /* bd <= 10^18 */
  CHECK(__builtin_mul_overflow(p->c, s->band_ei, &rhs));
  CHECK(__builtin_mul_overflow(rhs, d2, &rhs));
  *sign = lhs > rhs ? 1 : lhs < rhs ? -1 : 0;
  return 0;
}

/* BP of the piece with sums s: c N / ((c S_b + cap dS) 10^places). */
static int solve_piece(const struct params *p, const struct sums *s, struct alloc_bp *bp) {
  __int128 num, den, t;
  CHECK(__builtin_mul_overflow(p->c, s->band_ei, &num));
  CHECK(__builtin_mul_overflow(p->c, s->band_e, &den));
  CHECK(__builtin_sub_overflow(s->hi_e, s->lo_e, &t));
  CHECK(__builtin_mul_overflow(p->cap, t, &t));
  CHECK(__builtin_add_overflow(den, t, &den));
  CHECK(__builtin_mul_overflow(den, p->pow_k, &den));
  if (num <= 0 || den <= 0) return PROTO_E_NO_ROOT;
  bp->num = (alloc_u128)num;
  bp->den = (alloc_u128)den;
  return 0;
}

static int apply_edge(const struct edge *e, const struct alloc_unit *units,
                      const int64_t *iota, struct sums *s) {
  __int128 ee = units[e->unit].emissions_e6, ei = ee * iota[e->unit]; /* < 2^126 */
  if (e->to_hi) {
    CHECK(__builtin_sub_overflow(s->band_e, ee, &s->band_e));
    CHECK(__builtin_sub_overflow(s->band_ei, ei, &s->band_ei));
    CHECK(__builtin_add_overflow(s->hi_e, ee, &s->hi_e));
  } else {
    CHECK(__builtin_sub_overflow(s->lo_e, ee, &s->lo_e));
    CHECK(__builtin_add_overflow(s->band_e, ee, &s->band_e));
    CHECK(__builtin_add_overflow(s->band_ei, ei, &s->band_ei));
  }
  return 0;
}

static void params_of(const struct alloc_scheme *sc, struct params *p) {
  alloc_u128 g = alloc__gcd((alloc_u128)sc->coefficient, (alloc_u128)sc->cap);
  p->c = (__int128)((alloc_u128)sc->coefficient / g);
  p->cap = (__int128)((alloc_u128)sc->cap / g);
  g = alloc__gcd((alloc_u128)sc->band, (alloc_u128)ALLOC_DEC_ONE);
  p->bn = (__int128)((alloc_u128)sc->band / g);
  p->bd = (__int128)((alloc_u128)ALLOC_DEC_ONE / g);
  p->pow_k = (__int128)alloc__pow10((unsigned)sc->intensity_places);
}

/* Builds the edges of the NORMAL units; units with iota = 0 sit at the upper cap for every
 * BP > 0 and go straight into S_hi. Every other unit starts below the lower cap. */
static int build_edges(const struct alloc_scheme *sc, const struct params *p,
                       const struct alloc_unit *units, size_t n, int64_t *iota,
                       struct edge *edges, size_t *count, struct sums *s) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (alloc__unit_status(sc, &units[i]) != ALLOC_NORMAL) continue;
    int err = alloc__intensity(&units[i], sc->intensity_places, &iota[i]);
    if (err) return err;
    __int128 ee = units[i].emissions_e6;
    if (iota[i] == 0) {
      CHECK(__builtin_add_overflow(s->hi_e, ee, &s->hi_e));
      continue;
    }
    CHECK(__builtin_add_overflow(s->lo_e, ee, &s->lo_e));
    edges[m++] = (struct edge){(alloc_u128)iota[i] * (alloc_u128)(p->bd - p->bn), i, false};
    edges[m++] = (struct edge){(alloc_u128)iota[i] * (alloc_u128)(p->bd + p->bn), i, true};
  }
  *count = m;
  return 0;
}

static int sweep(const struct params *p, const struct alloc_unit *units,
                 const int64_t *iota, const struct edge *edges, size_t m, struct sums *s,
                 struct alloc_bp *bp) {
  for (size_t j = 0; j < m; j++) {
    int sign, err = sign_at(p, s, edges[j].key, &sign);
    if (err) return err;
    if (sign == 0) { /* the edge itself: BP = key bd / ((bd^2 - bn^2) 10^k) */
      CHECK(__builtin_mul_overflow(edges[j].key, (alloc_u128)p->bd, &bp->num));
      CHECK(__builtin_mul_overflow((alloc_u128)(p->bd * p->bd - p->bn * p->bn),
                                   (alloc_u128)p->pow_k, &bp->den));
      return 0;
    }
    if (sign > 0) return j == 0 ? PROTO_E_NO_ROOT : solve_piece(p, s, bp);
    err = apply_edge(&edges[j], units, iota, s);
    if (err) return err;
  }
  return PROTO_E_NO_ROOT;
}

int alloc__solve_bp(const struct alloc_scheme *sc, const struct alloc_unit *units,
                    size_t n, struct alloc_bp *bp) {
  PROTO_ASSERT(sc->method == ALLOC_INTENSITY_COEFFICIENT);
  struct params p;
  params_of(sc, &p);
  int64_t *iota = calloc(n ? n : 1, sizeof *iota);
  struct edge *edges = malloc((n ? n : 1) * 2 * sizeof *edges);
  if (!iota || !edges) {
    free(iota);
    free(edges);
    return PROTO_E_NO_MEMORY;
  }
  struct sums s = {0};
  size_t m = 0;
  int err = build_edges(sc, &p, units, n, iota, edges, &m, &s);
  if (!err) {
    qsort(edges, m, sizeof *edges, cmp_edge);
    err = sweep(&p, units, iota, edges, m, &s, bp);
  }
  free(iota);
  free(edges);
  if (err) return err;
  alloc_u128 g = alloc__gcd(bp->num, bp->den);
  bp->num /= g;
  bp->den /= g;
  return 0;
}
