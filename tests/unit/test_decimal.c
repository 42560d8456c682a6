/* Tests of the allocator's exact decimals (alloc/decimal.h): parsing, formatting, rounding
 * modes, checked arithmetic and the fixed-point exponential.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "alloc/decimal.h"
#include "proto/proto.h"

static alloc_dec dec(const char *s) {
  alloc_dec d = 0;
  cr_assert_eq(alloc__dec_parse(s, strlen(s), &d), 0, "parse %s", s);
  return d;
}

static const char *text(alloc_dec d, int places, enum alloc_round mode) {
  static char buf[ALLOC_DEC_TEXT_BYTES];
  cr_assert_gt(alloc__dec_format(d, places, mode, buf, sizeof buf), 0);
  return buf;
}

Test(decimal, parse_then_format_gives_back_the_shortest_text) {
  const char *cases[] = {"1.5247", "-0.000001", "0", "1789.7", "170000000000000000000",
                         "0.000000000000000001", "-3"};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cr_assert_str_eq(text(dec(cases[i]), -1, ALLOC_ROUND_TRUNC), cases[i]);
  }
  cr_assert_str_eq(text(dec("+2.50"), -1, ALLOC_ROUND_TRUNC), "2.5");
  cr_assert_str_eq(text(dec("2.5"), 3, ALLOC_ROUND_TRUNC), "2.500");
}

Test(decimal, parse_refuses_bad_syntax_and_leaves_the_output_unchanged) {
  const char *bad[] = {"", "1.", ".5", "1e3", "1,5", " 1", "1 ", "--1", "0.1234567890123456789", "x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    alloc_dec d = 42;
    cr_assert_eq(alloc__dec_parse(bad[i], strlen(bad[i]), &d), PROTO_E_BAD_ARGUMENT, "%s", bad[i]);
    cr_assert_eq(d, 42);
  }
}

Test(decimal, parse_refuses_values_beyond_the_range_with_overflow) {
  alloc_dec d = 7;
  cr_assert_eq(alloc__dec_parse("171000000000000000000", 21, &d), PROTO_E_OVERFLOW);
  cr_assert_eq(alloc__dec_parse("99999999999999999999999999999999999999999", 41, &d),
               PROTO_E_OVERFLOW);
  cr_assert_eq(d, 7);
}

Test(decimal, every_rounding_mode_on_ties_and_signs) {
  struct { const char *in; enum alloc_round mode; const char *out; } cases[] = {
      {"1.25", ALLOC_ROUND_FLOOR, "1.2"},       {"1.25", ALLOC_ROUND_CEIL, "1.3"},
      {"1.25", ALLOC_ROUND_TRUNC, "1.2"},       {"1.25", ALLOC_ROUND_HALF_UP, "1.3"},
      {"1.25", ALLOC_ROUND_HALF_EVEN, "1.2"},   {"1.35", ALLOC_ROUND_HALF_EVEN, "1.4"},
      {"-1.25", ALLOC_ROUND_FLOOR, "-1.3"},     {"-1.25", ALLOC_ROUND_CEIL, "-1.2"},
      {"-1.25", ALLOC_ROUND_TRUNC, "-1.2"},     {"-1.25", ALLOC_ROUND_HALF_UP, "-1.3"},
      {"-1.25", ALLOC_ROUND_HALF_EVEN, "-1.2"}, {"1.2499", ALLOC_ROUND_HALF_UP, "1.2"},
      {"-0.04", ALLOC_ROUND_HALF_UP, "0"},      {"-0.04", ALLOC_ROUND_FLOOR, "-0.1"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    alloc_dec r;
    cr_assert_eq(alloc__dec_round(dec(cases[i].in), 1, cases[i].mode, &r), 0);
    cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), cases[i].out, "%s mode %d", cases[i].in,
                     cases[i].mode);
  }
}

Test(decimal, multiply_and_divide_round_as_asked) {
  alloc_dec r;
  cr_assert_eq(alloc__dec_mul(dec("1.5"), dec("-1.5"), ALLOC_ROUND_TRUNC, &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "-2.25");
  cr_assert_eq(alloc__dec_div(dec("1"), dec("3"), ALLOC_ROUND_FLOOR, &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "0.333333333333333333");
  cr_assert_eq(alloc__dec_div(dec("2"), dec("3"), ALLOC_ROUND_HALF_UP, &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "0.666666666666666667");
  cr_assert_eq(alloc__dec_div(dec("-1"), dec("3"), ALLOC_ROUND_FLOOR, &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "-0.333333333333333334");
  cr_assert_eq(alloc__dec_mul(dec("0.000000000000000001"), dec("0.5"), ALLOC_ROUND_HALF_EVEN, &r), 0);
  cr_assert_eq(r, 0, "a tie rounds to even (0)");
}

Test(decimal, arithmetic_refuses_overflow_and_division_by_zero) {
  alloc_dec r = 5;
  cr_assert_eq(alloc__dec_mul(dec("10000000000"), dec("100000000000"), ALLOC_ROUND_TRUNC, &r),
               PROTO_E_OVERFLOW);
  cr_assert_eq(alloc__dec_div(dec("1"), 0, ALLOC_ROUND_TRUNC, &r), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(alloc__dec_div(dec("100000000000000000000"), dec("0.1"), ALLOC_ROUND_TRUNC, &r),
               PROTO_E_OVERFLOW);
  cr_assert_eq(alloc__dec_add(dec("100000000000000000000"), dec("100000000000000000000"), &r),
               PROTO_E_OVERFLOW);
  cr_assert_eq(alloc__dec_sub(dec("-100000000000000000000"), dec("100000000000000000000"), &r),
               PROTO_E_OVERFLOW);
  cr_assert_eq(r, 5, "a refused operation leaves the output unchanged");
}

Test(decimal, floor_to_integer_rounds_down) {
  int64_t t;
  cr_assert_eq(alloc__dec_floor_int(dec("1789.70"), &t), 0);
  cr_assert_eq(t, 1789);
  cr_assert_eq(alloc__dec_floor_int(dec("1789.999999999999999999"), &t), 0);
  cr_assert_eq(t, 1789);
  cr_assert_eq(alloc__dec_floor_int(dec("-0.5"), &t), 0);
  cr_assert_eq(t, -1);
  cr_assert_eq(alloc__dec_floor_int(dec("100000000000000000000"), &t), PROTO_E_OVERFLOW);
}

/* |a - b| <= ulps at 36 places. */
static void assert_close36(__int128 a, const char *expected36, int ulps) {
  /* expected has the form 0.<36 digits> */
  __int128 e = 0;
  for (const char *p = expected36 + 2; *p; p++) e = e * 10 + (*p - '0');
  __int128 d = a > e ? a - e : e - a;
  cr_assert_leq((long long)d, ulps, "differs by %lld ulps at 36 places", (long long)d);
}

Test(decimal, exp36_has_more_than_30_correct_digits) {
  __int128 one36 = (__int128)alloc__pow10(36), r;
  cr_assert_eq(alloc__dec_exp36(-one36, &r), 0);
  assert_close36(r, "0.367879441171442321595523770161460867", 8);
  /* -50 / 6.871 at 36 places, as the power load correction computes it */
  alloc_u128 x;
  cr_assert_eq(alloc__u256_div_round(alloc__u256_mul(50 * (alloc_u128)ALLOC_DEC_ONE, (alloc_u128)one36),
                                      (alloc_u128)dec("6.871"), true, ALLOC_ROUND_HALF_EVEN, &x), 0);
  cr_assert_eq(alloc__dec_exp36(-(__int128)x, &r), 0);
  /* 0.000691283086851108759106794963921274: 33 significant digits checked to 8 ulps */
  assert_close36(r, "0.000691283086851108759106794963921274", 8);
}

Test(decimal, exp_at_18_places_matches_known_values) {
  alloc_dec r;
  cr_assert_eq(alloc__dec_exp(dec("-1"), &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "0.367879441171442322");
  cr_assert_eq(alloc__dec_exp(0, &r), 0);
  cr_assert_eq(r, ALLOC_DEC_ONE);
  cr_assert_eq(alloc__dec_exp(dec("2"), &r), 0);
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "7.389056098930650227");
  cr_assert_eq(alloc__dec_exp(dec("-1.676614579840386292"), &r), 0); /* -50/29.822 */
  cr_assert_str_eq(text(r, -1, ALLOC_ROUND_TRUNC), "0.187005999483937762");
  cr_assert_eq(alloc__dec_exp(dec("-1000"), &r), 0);
  cr_assert_eq(r, 0);
}

Test(decimal, exp_refuses_arguments_out_of_range) {
  alloc_dec r = 3;
  cr_assert_eq(alloc__dec_exp(dec("4.000000000000000001"), &r), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(alloc__dec_exp(dec("-1000.1"), &r), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(r, 3);
}

Test(u256, products_and_divisions_are_exact) {
  alloc_u128 big = ((alloc_u128)1 << 127) - 1;
  struct alloc_u256 p = alloc__u256_mul(big, big), q;
  alloc_u128 r;
  alloc__u256_divmod(p, big, &q, &r);
  cr_assert(q.hi == 0 && q.lo == big && r == 0);
  alloc__u256_divmod(p, 1000000007u, &q, &r);
  struct alloc_u256 back;
  cr_assert_eq(alloc__u256_mul_small(q, 1000000007u, &back), 0);
  cr_assert_eq(alloc__u256_add(back, alloc__u256_of(r), &back), 0);
  cr_assert_eq(alloc__u256_cmp(back, p), 0);
  cr_assert_eq(alloc__u256_mul_small(p, 8, &back), PROTO_E_OVERFLOW);
}

static uint64_t xs = 0x853c49e6748fea9bull;
static uint64_t next64(void) {
  xs ^= xs << 13;
  xs ^= xs >> 7;
  xs ^= xs << 17;
  return xs;
}

/* A random value with a random number of significant bits, so that every path is taken. */
static alloc_u128 rand128(void) {
  alloc_u128 v = ((alloc_u128)next64() << 64) | next64();
  unsigned bits = (unsigned)(next64() % 129);
  return bits == 128 ? v : v & (((alloc_u128)1 << bits) - 1);
}

Test(u256, division_identity_holds_for_random_operands) {
  for (int i = 0; i < 200000; i++) {
    struct alloc_u256 a = {rand128(), rand128()}, q, back;
    alloc_u128 d = rand128(), r;
    if (d == 0) d = 1;
    if (i % 4 == 0) d |= (alloc_u128)1 << 127; /* top bit set: no normalization shift */
    alloc__u256_divmod(a, d, &q, &r);
    cr_assert(r < d, "remainder below the divisor");
    /* q * d + r == a, with q * d = q.lo * d + (q.hi * d) * 2^128 */
    struct alloc_u256 lo = alloc__u256_mul(q.lo, d), hi = alloc__u256_mul(q.hi, d);
    cr_assert(hi.hi == 0, "q * d fits 256 bits");
    struct alloc_u256 shifted = {hi.lo, 0};
    cr_assert_eq(alloc__u256_add(lo, shifted, &back), 0);
    cr_assert_eq(alloc__u256_add(back, alloc__u256_of(r), &back), 0);
    cr_assert_eq(alloc__u256_cmp(back, a), 0, "iteration %d", i);
  }
}
