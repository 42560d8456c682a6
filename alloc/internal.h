/* The allocator's internals shared by alloc/ and white-box tests: the scheme's full
 * contents and the exact balance-value solver. Not part of the public API.
 */
#ifndef QUOTAD_ALLOC_INTERNAL_H
#define QUOTAD_ALLOC_INTERNAL_H

#include "alloc/alloc.h"
#include "alloc/decimal.h"

#define ALLOC_DATA_SCALE 1000000 /* data decimals are held as integers * 10^6 */
#define ALLOC_INTENSITY_PLACES_MAX 9

struct alloc_scheme {
  /* decimals first: 16-byte aligned, no padding between them */
  /* intensity-coefficient method */
  alloc_dec coefficient, band, cap; /* 0.15, 0.20, 0.03: cap = coefficient * band */
  alloc_dec bp;                     /* a published balance value (has_bp) */
  alloc_dec pre_share;         /* of the previous year's verified emissions; 0: no pre-allocation */
  alloc_dec carbide_threshold; /* a rate strictly above it is a special case (has_carbide) */
  /* power */
  alloc_dec benchmark[5];        /* t/MWh by category I..IV (index 1..4) */
  alloc_dec heat_coal, heat_gas; /* t/GJ */
  alloc_dec floor_share;         /* 0.80: a quota below floor_share * E is raised to it */
  alloc_dec lc_threshold, lc_constant, lc_a1, lc_t1, lc_a2, lc_t2;
  char name[64];
  unsigned year;
  int intensity_places; /* I is rounded half-up to this many places */
  int lc_places;        /* Ff is rounded half-up to this many places */
  uint8_t sector, method;
  bool draft, has_bp, has_carbide;
  bool white_portland, gypsum_acid, hydrogen_bf; /* special cases enabled */
  bool gas_top_up;                               /* gas units are raised to E */
};

/* A balance value as an exact positive fraction num / den. */
struct alloc_bp {
  alloc_u128 num, den;
};

/* Intensity of a unit: round_half_up(E / output, places) * 10^places, as an integer. */
int alloc__intensity(const struct alloc_unit *u, int places, int64_t *iota);
/* Whether the unit takes part in the intensity-coefficient method (not special, not none). */
unsigned alloc__unit_status(const struct alloc_scheme *s, const struct alloc_unit *u);
/* Solves sum of E * alpha(BP) = 0 exactly over the units whose status is NORMAL.
 * Returns 0 and *bp, NO_ROOT, OVERFLOW or NO_MEMORY. */
int alloc__solve_bp(const struct alloc_scheme *s, const struct alloc_unit *units,
                    size_t n, struct alloc_bp *bp);
/* The power load correction Ff for a load rate F (scaled 10^18), rounded half-up to the scheme's
 * places; 1 at or above the threshold. */
int alloc__load_factor(const struct alloc_scheme *s, alloc_dec load, alloc_dec *out);

#endif /* QUOTAD_ALLOC_INTERNAL_H */
