/* Exact fixed-point decimals for the allocator: a signed 128-bit integer scaled by 10^18, with
 * overflow-checked arithmetic, explicit rounding, and a 256-bit helper for exact products.
 * Internal to ledger/ (not part of the public API). No binary floating point anywhere.
 */
#ifndef QUOTAD_LEDGER_DECIMAL_H
#define QUOTAD_LEDGER_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal d stands for d / 10^18. Range about +-1.7e20 with 18 places. */
typedef __int128 ledger_dec;
typedef unsigned __int128 ledger_u128;

#define LEDGER_DEC_PLACES 18
#define LEDGER_DEC_ONE ((ledger_dec)1000000000000000000LL)
/* Longest text form: sign, 21 integer digits, point, 18 places, NUL. */
#define LEDGER_DEC_TEXT_BYTES 48u

enum ledger_round {
  LEDGER_ROUND_FLOOR = 1,     /* toward minus infinity ("rounded down" in the schemes) */
  LEDGER_ROUND_CEIL = 2,      /* toward plus infinity */
  LEDGER_ROUND_TRUNC = 3,     /* toward zero */
  LEDGER_ROUND_HALF_UP = 4,   /* nearest; ties away from zero (the schemes' "half-up") */
  LEDGER_ROUND_HALF_EVEN = 5, /* nearest; ties to even */
};

/* Text: [-+]digits[.digits] with at most 18 places, no exponent, no spaces. Returns 0,
 * BAD_ARGUMENT for bad syntax or more than 18 places, OVERFLOW when out of range. */
int ledger__dec_parse(const char *text, size_t len, ledger_dec *out);
/* Writes d with exactly places decimals (0..18), rounded with mode; places < 0 writes the
 * shortest exact form ("1.5", "-3", "0.000001"). Returns the length or FIELD_TOO_LONG. */
long ledger__dec_format(ledger_dec d, int places, enum ledger_round mode, char *out, size_t cap);

int ledger__dec_add(ledger_dec a, ledger_dec b, ledger_dec *out);
int ledger__dec_sub(ledger_dec a, ledger_dec b, ledger_dec *out);
/* a * b and a / b, rounded to 18 places with mode. Return 0, OVERFLOW, or BAD_ARGUMENT (b = 0). */
int ledger__dec_mul(ledger_dec a, ledger_dec b, enum ledger_round mode, ledger_dec *out);
int ledger__dec_div(ledger_dec a, ledger_dec b, enum ledger_round mode, ledger_dec *out);
int ledger__dec_cmp(ledger_dec a, ledger_dec b);
/* d rounded to places (0..18) with mode, still scaled by 10^18. */
int ledger__dec_round(ledger_dec d, int places, enum ledger_round mode, ledger_dec *out);
/* floor(d) as an integer: 0 or OVERFLOW (outside int64). */
int ledger__dec_floor_int(ledger_dec d, int64_t *out);
int ledger__dec_from_int(int64_t v, ledger_dec *out);

/* e^x rounded half-even to 18 places, computed with 36 places inside (absolute error below
 * 10^-33 before the final rounding). x in [-1000, 40]; below -100 the result is 0 exactly at 18
 * places. Returns 0 or BAD_ARGUMENT outside the range. */
int ledger__dec_exp(ledger_dec x, ledger_dec *out);
/* The same with 36 places in and out (x36 / 10^36, |x| <= 100): for callers that need more
 * significant digits of a small result before their own rounding. */
int ledger__dec_exp36(__int128 x36, __int128 *out36);

/* 256-bit unsigned helper for exact intermediate products. */
struct ledger_u256 {
  ledger_u128 hi, lo;
};
struct ledger_u256 ledger__u256_mul(ledger_u128 a, ledger_u128 b);
/* a * m; OVERFLOW past 2^256. */
int ledger__u256_mul_small(struct ledger_u256 a, uint64_t m, struct ledger_u256 *out);
int ledger__u256_add(struct ledger_u256 a, struct ledger_u256 b, struct ledger_u256 *out);
/* a - b for a >= b (asserted). */
struct ledger_u256 ledger__u256_sub(struct ledger_u256 a, struct ledger_u256 b);
int ledger__u256_cmp(struct ledger_u256 a, struct ledger_u256 b);
/* q = a / d, r = a % d for d > 0; q is 256-bit. */
void ledger__u256_divmod(struct ledger_u256 a, ledger_u128 d, struct ledger_u256 *q, ledger_u128 *r);
/* a / d rounded with mode as a u128 (the value is non-negative; neg says the true sign so that
 * FLOOR/CEIL round the right way on the magnitude). OVERFLOW when it does not fit 127 bits. */
int ledger__u256_div_round(struct ledger_u256 a, ledger_u128 d, bool neg, enum ledger_round mode,
                           ledger_u128 *out);
static inline struct ledger_u256 ledger__u256_of(ledger_u128 v) {
  struct ledger_u256 r = {0, v};
  return r;
}

/* 10^n for n in 0..38 (asserted). */
ledger_u128 ledger__pow10(unsigned n);
/* Greatest common divisor (gcd(0, b) = b). */
ledger_u128 ledger__gcd(ledger_u128 a, ledger_u128 b);

#endif /* QUOTAD_LEDGER_DECIMAL_H */
