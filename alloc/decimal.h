/* Exact fixed-point decimals for the allocator: a signed 128-bit integer scaled by 10^18, with
 * overflow-checked arithmetic, explicit rounding, and a 256-bit helper for exact products.
 * Internal to ledger/ (not part of the public API). No binary floating point anywhere.
 */
#ifndef QUOTAD_ALLOC_DECIMAL_H
#define QUOTAD_ALLOC_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal d stands for d / 10^18. Range about +-1.7e20 with 18 places. */
typedef __int128 alloc_dec;
typedef unsigned __int128 alloc_u128;

#define ALLOC_DEC_PLACES 18
#define ALLOC_DEC_ONE ((alloc_dec)1000000000000000000LL)
/* Longest text form: sign, 21 integer digits, point, 18 places, NUL. */
#define ALLOC_DEC_TEXT_BYTES 48u

enum alloc_round {
  ALLOC_ROUND_FLOOR = 1,     /* toward minus infinity ("rounded down" in the schemes) */
  ALLOC_ROUND_CEIL = 2,      /* toward plus infinity */
  ALLOC_ROUND_TRUNC = 3,     /* toward zero */
  ALLOC_ROUND_HALF_UP = 4,   /* nearest; ties away from zero (the schemes' "half-up") */
  ALLOC_ROUND_HALF_EVEN = 5, /* nearest; ties to even */
};

/* Text: [-+]digits[.digits] with at most 18 places, no exponent, no spaces. Returns 0,
 * BAD_ARGUMENT for bad syntax or more than 18 places, OVERFLOW when out of range. */
int alloc__dec_parse(const char *text, size_t len, alloc_dec *out);
/* Writes d with exactly places decimals (0..18), rounded with mode; places < 0 writes the
 * shortest exact form ("1.5", "-3", "0.000001"). Returns the length or FIELD_TOO_LONG. */
long alloc__dec_format(alloc_dec d, int places, enum alloc_round mode, char *out, size_t cap);

int alloc__dec_add(alloc_dec a, alloc_dec b, alloc_dec *out);
int alloc__dec_sub(alloc_dec a, alloc_dec b, alloc_dec *out);
/* a * b and a / b, rounded to 18 places with mode. Return 0, OVERFLOW, or BAD_ARGUMENT (b = 0). */
int alloc__dec_mul(alloc_dec a, alloc_dec b, enum alloc_round mode, alloc_dec *out);
int alloc__dec_div(alloc_dec a, alloc_dec b, enum alloc_round mode, alloc_dec *out);
int alloc__dec_cmp(alloc_dec a, alloc_dec b);
/* d rounded to places (0..18) with mode, still scaled by 10^18. */
int alloc__dec_round(alloc_dec d, int places, enum alloc_round mode, alloc_dec *out);
/* floor(d) as an integer: 0 or OVERFLOW (outside int64). */
int alloc__dec_floor_int(alloc_dec d, int64_t *out);
int alloc__dec_from_int(int64_t v, alloc_dec *out);

/* e^x rounded half-even to 18 places, computed with 36 places inside (absolute error below
 * 10^-33 before the final rounding). x in [-1000, 40]; below -100 the result is 0 exactly at 18
 * places. Returns 0 or BAD_ARGUMENT outside the range. */
int alloc__dec_exp(alloc_dec x, alloc_dec *out);
/* The same with 36 places in and out (x36 / 10^36, |x| <= 100): for callers that need more
 * significant digits of a small result before their own rounding. */
int alloc__dec_exp36(__int128 x36, __int128 *out36);

/* 256-bit unsigned helper for exact intermediate products. */
struct alloc_u256 {
  alloc_u128 hi, lo;
};
struct alloc_u256 alloc__u256_mul(alloc_u128 a, alloc_u128 b);
/* a * m; OVERFLOW past 2^256. */
int alloc__u256_mul_small(struct alloc_u256 a, uint64_t m, struct alloc_u256 *out);
int alloc__u256_add(struct alloc_u256 a, struct alloc_u256 b, struct alloc_u256 *out);
/* a - b for a >= b (asserted). */
struct alloc_u256 alloc__u256_sub(struct alloc_u256 a, struct alloc_u256 b);
int alloc__u256_cmp(struct alloc_u256 a, struct alloc_u256 b);
/* q = a / d, r = a % d for d > 0; q is 256-bit. */
void alloc__u256_divmod(struct alloc_u256 a, alloc_u128 d, struct alloc_u256 *q, alloc_u128 *r);
/* a / d rounded with mode as a u128 (the value is non-negative; neg says the true sign so that
 * FLOOR/CEIL round the right way on the magnitude). OVERFLOW when it does not fit 127 bits. */
int alloc__u256_div_round(struct alloc_u256 a, alloc_u128 d, bool neg, enum alloc_round mode,
                           alloc_u128 *out);
static inline struct alloc_u256 alloc__u256_of(alloc_u128 v) {
  struct alloc_u256 r = {0, v};
  return r;
}

/* 10^n for n in 0..38 (asserted). */
alloc_u128 alloc__pow10(unsigned n);
/* Greatest common divisor (gcd(0, b) = b). */
alloc_u128 alloc__gcd(alloc_u128 a, alloc_u128 b);

#endif /* QUOTAD_ALLOC_DECIMAL_H */
