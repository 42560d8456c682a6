/* Exact fixed-point decimals (10^-18) and the 256-bit products under them; see decimal.h.
 * Every operation is checked: a result that does not fit is OVERFLOW, never a wrapped value.
 */
#include "alloc/decimal.h"

#include <string.h>

#include "proto/proto.h"

#define U128_TOP ((alloc_u128)1 << 127)
#define DEC_MAX ((alloc_dec)(U128_TOP - 1))

alloc_u128 alloc__pow10(unsigned n) {
  PROTO_ASSERT(n <= 38);
  alloc_u128 p = 1;
  for (unsigned i = 0; i < n; i++) p *= 10;
  return p;
}

alloc_u128 alloc__gcd(alloc_u128 a, alloc_u128 b) {
  while (b != 0) {
    alloc_u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

struct alloc_u256 alloc__u256_mul(alloc_u128 a, alloc_u128 b) {
  alloc_u128 a0 = (uint64_t)a, a1 = a >> 64, b0 = (uint64_t)b, b1 = b >> 64;
  alloc_u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  /* The middle column holds at most three 64-bit values: no carry is lost. */
  alloc_u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
  struct alloc_u256 r;
  r.lo = (alloc_u128)(uint64_t)p00 | (mid << 64);
  r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  return r;
}

int alloc__u256_mul_small(struct alloc_u256 a, uint64_t m, struct alloc_u256 *out) {
  struct alloc_u256 lo = alloc__u256_mul(a.lo, m);
  struct alloc_u256 hi = alloc__u256_mul(a.hi, m);
  if (hi.hi != 0) return PROTO_E_OVERFLOW;
  alloc_u128 top;
  if (__builtin_add_overflow(hi.lo, lo.hi, &top)) return PROTO_E_OVERFLOW;
  out->hi = top;
  out->lo = lo.lo;
  return 0;
}

int alloc__u256_add(struct alloc_u256 a, struct alloc_u256 b, struct alloc_u256 *out) {
  alloc_u128 lo = a.lo + b.lo;
  alloc_u128 carry = lo < a.lo;
  alloc_u128 hi;
  if (__builtin_add_overflow(a.hi, b.hi, &hi) || __builtin_add_overflow(hi, carry, &hi)) {
    return PROTO_E_OVERFLOW;
  }
  out->hi = hi;
  out->lo = lo;
  return 0;
}

int alloc__u256_cmp(struct alloc_u256 a, struct alloc_u256 b) {
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

struct alloc_u256 alloc__u256_sub(struct alloc_u256 a, struct alloc_u256 b) {
  PROTO_ASSERT(alloc__u256_cmp(a, b) >= 0);
  struct alloc_u256 r;
  r.lo = a.lo - b.lo;
  r.hi = a.hi - b.hi - (a.lo < b.lo);
  return r;
}

/* Divides by a divisor below 2^64 one 64-bit limb at a time: each step fits in 128 bits. */
static void divmod_small(struct alloc_u256 a, uint64_t d, struct alloc_u256 *q, alloc_u128 *r) {
  uint64_t limbs[4] = {(uint64_t)(a.hi >> 64), (uint64_t)a.hi, (uint64_t)(a.lo >> 64), (uint64_t)a.lo};
  uint64_t ql[4];
  alloc_u128 rem = 0;
  for (int i = 0; i < 4; i++) {
    alloc_u128 cur = (rem << 64) | limbs[i];
    ql[i] = (uint64_t)(cur / d);
    rem = cur % d;
  }
  q->hi = ((alloc_u128)ql[0] << 64) | ql[1];
  q->lo = ((alloc_u128)ql[2] << 64) | ql[3];
  *r = rem;
}

/* Long division in base 2^64 (Knuth, TAOCP vol. 2, 4.3.1, algorithm D) for a divisor of two
 * digits: normalize so the divisor's top bit is set, estimate each quotient digit from the top
 * two digits (at most two too high), multiply and subtract, add back in the rare case the
 * estimate was still one too high. */
static void divmod_knuth(struct alloc_u256 a, alloc_u128 d, struct alloc_u256 *q, alloc_u128 *r) {
  const alloc_u128 base = (alloc_u128)1 << 64;
  unsigned s = (unsigned)__builtin_clzll((uint64_t)(d >> 64));
  alloc_u128 dn = d << s;
  uint64_t v[2] = {(uint64_t)dn, (uint64_t)(dn >> 64)};
  uint64_t in[4] = {(uint64_t)a.lo, (uint64_t)(a.lo >> 64), (uint64_t)a.hi, (uint64_t)(a.hi >> 64)};
  uint64_t u[5];
  u[4] = s ? in[3] >> (64 - s) : 0;
  for (int i = 3; i > 0; i--) u[i] = (in[i] << s) | (s ? in[i - 1] >> (64 - s) : 0);
  u[0] = in[0] << s;
  uint64_t qd[3];
  for (int j = 2; j >= 0; j--) {
    alloc_u128 num = ((alloc_u128)u[j + 2] << 64) | u[j + 1];
    alloc_u128 qhat = num / v[1], rhat = num % v[1];
    while (qhat >= base || qhat * v[0] > ((rhat << 64) | u[j])) {
      qhat--;
      rhat += v[1];
      if (rhat >= base) break;
    }
    __int128 k = 0, t;
    for (int i = 0; i < 2; i++) {
      alloc_u128 p = qhat * v[i];
      t = (__int128)u[i + j] - k - (__int128)(uint64_t)p;
      u[i + j] = (uint64_t)t;
      k = (__int128)(p >> 64) - (t >> 64);
    }
    t = (__int128)u[j + 2] - k;
    u[j + 2] = (uint64_t)t;
    if (t < 0) { /* the estimate was one too high: add the divisor back */
      qhat--;
      alloc_u128 c = 0;
      for (int i = 0; i < 2; i++) {
        alloc_u128 sum = (alloc_u128)u[i + j] + v[i] + c;
        u[i + j] = (uint64_t)sum;
        c = sum >> 64;
      }
      u[j + 2] += (uint64_t)c;
    }
    qd[j] = (uint64_t)qhat;
  }
  q->lo = ((alloc_u128)qd[1] << 64) | qd[0];
  q->hi = qd[2];
  alloc_u128 rem = ((alloc_u128)u[1] << 64) | u[0];
  *r = s ? (rem >> s) | ((alloc_u128)u[2] << (128 - s)) : rem;
}

void alloc__u256_divmod(struct alloc_u256 a, alloc_u128 d, struct alloc_u256 *q, alloc_u128 *r) {
  PROTO_ASSERT(d != 0);
  if (d >> 64 == 0) {
    divmod_small(a, (uint64_t)d, q, r);
  } else if (a.hi == 0) {
    q->hi = 0;
    q->lo = a.lo / d;
    *r = a.lo % d;
  } else {
    divmod_knuth(a, d, q, r);
  }
}

static bool round_up_magnitude(alloc_u128 q, alloc_u128 r, alloc_u128 d, bool neg,
                               enum alloc_round mode) {
  if (r == 0) return false;
  switch (mode) {
  case ALLOC_ROUND_FLOOR: return neg;
  case ALLOC_ROUND_CEIL: return !neg;
  case ALLOC_ROUND_TRUNC: return false;
  case ALLOC_ROUND_HALF_UP: return r >= d - r;
  case ALLOC_ROUND_HALF_EVEN: return r > d - r || (r == d - r && (q & 1) != 0);
  }
  PROTO_ASSERT(false && "unknown rounding mode");
  return false;
}

int alloc__u256_div_round(struct alloc_u256 a, alloc_u128 d, bool neg, enum alloc_round mode,
                           alloc_u128 *out) {
  if (d == 0) return PROTO_E_BAD_ARGUMENT;
  struct alloc_u256 q;
  alloc_u128 r;
  alloc__u256_divmod(a, d, &q, &r);
  if (q.hi != 0 || q.lo >= U128_TOP) return PROTO_E_OVERFLOW;
  alloc_u128 v = q.lo + (round_up_magnitude(q.lo, r, d, neg, mode) ? 1 : 0);
  if (v >= U128_TOP) return PROTO_E_OVERFLOW;
  *out = v;
  return 0;
}

static alloc_u128 magnitude(alloc_dec a) {
  return a < 0 ? (alloc_u128)0 - (alloc_u128)a : (alloc_u128)a;
}

static alloc_dec with_sign(alloc_u128 m, bool neg) {
  PROTO_ASSERT(m < U128_TOP);
  return neg ? -(alloc_dec)m : (alloc_dec)m;
}

int alloc__dec_add(alloc_dec a, alloc_dec b, alloc_dec *out) {
  alloc_dec r;
  if (__builtin_add_overflow(a, b, &r)) return PROTO_E_OVERFLOW;
  *out = r;
  return 0;
}

int alloc__dec_sub(alloc_dec a, alloc_dec b, alloc_dec *out) {
  alloc_dec r;
  if (__builtin_sub_overflow(a, b, &r)) return PROTO_E_OVERFLOW;
  *out = r;
  return 0;
}

int alloc__dec_mul(alloc_dec a, alloc_dec b, enum alloc_round mode, alloc_dec *out) {
  bool neg = (a < 0) != (b < 0);
  alloc_u128 m;
  int err = alloc__u256_div_round(alloc__u256_mul(magnitude(a), magnitude(b)),
                                   (alloc_u128)ALLOC_DEC_ONE, neg, mode, &m);
  if (err) return err;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int alloc__dec_div(alloc_dec a, alloc_dec b, enum alloc_round mode, alloc_dec *out) {
  if (b == 0) return PROTO_E_BAD_ARGUMENT;
  bool neg = (a < 0) != (b < 0);
  alloc_u128 m;
  int err = alloc__u256_div_round(alloc__u256_mul(magnitude(a), (alloc_u128)ALLOC_DEC_ONE),
                                   magnitude(b), neg, mode, &m);
  if (err) return err;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int alloc__dec_cmp(alloc_dec a, alloc_dec b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

int alloc__dec_round(alloc_dec d, int places, enum alloc_round mode, alloc_dec *out) {
  if (places < 0 || places > ALLOC_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
  alloc_u128 unit = alloc__pow10((unsigned)(ALLOC_DEC_PLACES - places));
  bool neg = d < 0;
  alloc_u128 units;
  int err = alloc__u256_div_round(alloc__u256_of(magnitude(d)), unit, neg, mode, &units);
  if (err) return err;
  alloc_u128 m;
  if (__builtin_mul_overflow(units, unit, &m) || m >= U128_TOP) return PROTO_E_OVERFLOW;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int alloc__dec_floor_int(alloc_dec d, int64_t *out) {
  alloc_dec q = d / ALLOC_DEC_ONE;
  if (d % ALLOC_DEC_ONE != 0 && d < 0) q -= 1;
  if (q > INT64_MAX || q < INT64_MIN) return PROTO_E_OVERFLOW;
  *out = (int64_t)q;
  return 0;
}

int alloc__dec_from_int(int64_t v, alloc_dec *out) {
  *out = (alloc_dec)v * ALLOC_DEC_ONE; /* |v| < 2^63: always inside the range */
  return 0;
}

int alloc__dec_parse(const char *text, size_t len, alloc_dec *out) {
  size_t i = 0;
  bool neg = false;
  if (i < len && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  alloc_u128 m = 0;
  size_t int_digits = 0, places = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, int_digits++) {
    if (__builtin_mul_overflow(m, 10, &m) || __builtin_add_overflow(m, (unsigned)(text[i] - '0'), &m)) {
      return PROTO_E_OVERFLOW;
    }
  }
  if (int_digits == 0) return PROTO_E_BAD_ARGUMENT;
  if (i < len && text[i] == '.') {
    for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++, places++) {
      if (places == ALLOC_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
      if (__builtin_mul_overflow(m, 10, &m) ||
          __builtin_add_overflow(m, (unsigned)(text[i] - '0'), &m)) {
        return PROTO_E_OVERFLOW;
      }
    }
    if (places == 0) return PROTO_E_BAD_ARGUMENT;
  }
  if (i != len) return PROTO_E_BAD_ARGUMENT;
  if (__builtin_mul_overflow(m, alloc__pow10((unsigned)(ALLOC_DEC_PLACES - places)), &m) ||
      m >= U128_TOP) {
    return PROTO_E_OVERFLOW;
  }
  *out = with_sign(m, neg && m != 0);
  return 0;
}

long alloc__dec_format(alloc_dec d, int places, enum alloc_round mode, char *out, size_t cap) {
  if (places > ALLOC_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
  alloc_dec v = d;
  if (places >= 0 && alloc__dec_round(d, places, mode, &v) != 0) return PROTO_E_OVERFLOW;
  alloc_u128 m = magnitude(v);
  /* 64-bit pieces: 128-bit division by 10 per digit is a library call and dominates reports. */
  alloc_u128 ip = m / (alloc_u128)ALLOC_DEC_ONE;
  uint64_t fp = (uint64_t)(m % (alloc_u128)ALLOC_DEC_ONE);
  const uint64_t chunk = UINT64_C(10000000000000000000); /* 10^19 */
  uint64_t ip_hi = (uint64_t)(ip / chunk), ip_lo = (uint64_t)(ip % chunk); /* ip < 1.7e20 */
  char digits[64];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + (int)(ip_lo % 10));
    ip_lo /= 10;
  } while (ip_lo != 0);
  if (ip_hi != 0) {
    while (n < 19) digits[n++] = '0'; /* the low chunk's leading zeros */
    for (; ip_hi != 0; ip_hi /= 10) digits[n++] = (char)('0' + (int)(ip_hi % 10));
  }
  char buf[ALLOC_DEC_TEXT_BYTES];
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n > 0) buf[len++] = digits[--n];
  int shown = places;
  if (places < 0) { /* shortest exact form: drop trailing zeros */
    shown = ALLOC_DEC_PLACES;
    while (shown > 0 && fp % 10 == 0) {
      fp /= 10;
      shown--;
    }
  } else {
    fp /= (uint64_t)alloc__pow10((unsigned)(ALLOC_DEC_PLACES - places));
  }
  if (shown > 0) {
    buf[len++] = '.';
    for (int i = shown - 1; i >= 0; i--) {
      buf[len + (size_t)i] = (char)('0' + (int)(fp % 10));
      fp /= 10;
    }
    len += (size_t)shown;
  }
  if (len + 1 > cap) return PROTO_E_FIELD_TOO_LONG;
  memcpy(out, buf, len);
  out[len] = '\0';
  return (long)len;
}

/* ------------------------------------------------------------------------------------------
 * e^x. Thirty-six places inside so that a small result (e^-7.3 is about 6.9e-4) still has
 * more than 18 significant digits; the Taylor series runs on the fractional part only, where
 * it converges fast, and the integer part is a power of e^(+-1) from the same series.
 * ---------------------------------------------------------------------------------------- */
#define S36 ((alloc_u128)alloc__pow10(36))

/* e^(-f) or e^(f) for 0 <= f <= 1 (f scaled by 10^36), by its Taylor series. */
static alloc_u128 exp_series(alloc_u128 f, bool neg) {
  alloc_u128 one = S36, term = one, sum = one;
  for (unsigned k = 1; k < 80 && term != 0; k++) {
    alloc_u128 t;
    int err = alloc__u256_div_round(alloc__u256_mul(term, f), one * k, false,
                                     ALLOC_ROUND_HALF_EVEN, &t);
    PROTO_ASSERT(err == 0);
    (void)err;
    term = t;
    if (neg && (k & 1)) {
      sum -= term; /* terms fall: the partial sums stay positive */
    } else {
      sum += term;
    }
  }
  return sum;
}

static int mul36(alloc_u128 a, alloc_u128 b, alloc_u128 *out) {
  return alloc__u256_div_round(alloc__u256_mul(a, b), S36, false, ALLOC_ROUND_HALF_EVEN, out);
}

int alloc__dec_exp36(__int128 x36, __int128 *out36) {
  bool neg = x36 < 0;
  alloc_u128 mag = magnitude(x36);
  alloc_u128 n = mag / S36, f = mag % S36;
  if (n > 100 || (!neg && n > 4)) return PROTO_E_BAD_ARGUMENT; /* e^5 > 1.7e38 / 10^36 */
  alloc_u128 r = exp_series(f, neg);
  alloc_u128 base = exp_series(S36, neg);
  for (alloc_u128 i = 0; i < n; i++) {
    int err = mul36(r, base, &r);
    if (err) return err;
  }
  if (r >= U128_TOP) return PROTO_E_OVERFLOW;
  *out36 = (__int128)r;
  return 0;
}

int alloc__dec_exp(alloc_dec x, alloc_dec *out) {
  if (x > 4 * ALLOC_DEC_ONE || x < -1000 * ALLOC_DEC_ONE) return PROTO_E_BAD_ARGUMENT;
  if (x < -100 * ALLOC_DEC_ONE) { /* e^-100 < 10^-43: zero at 18 places */
    *out = 0;
    return 0;
  }
  __int128 r36;
  int err = alloc__dec_exp36(x * ALLOC_DEC_ONE, &r36);
  if (err) return err;
  alloc_u128 m;
  err = alloc__u256_div_round(alloc__u256_of((alloc_u128)r36), (alloc_u128)ALLOC_DEC_ONE, false,
                               ALLOC_ROUND_HALF_EVEN, &m);
  if (err) return err;
  *out = (alloc_dec)m;
  return 0;
}
