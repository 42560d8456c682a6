/* Exact fixed-point decimals (10^-18) and the 256-bit products under them; see decimal.h.
 * Every operation is checked: a result that does not fit is OVERFLOW, never a wrapped value.
 */
#include "ledger/decimal.h"

#include <assert.h>
#include <string.h>

#include "proto/proto.h"

#define U128_TOP ((ledger_u128)1 << 127)
#define DEC_MAX ((ledger_dec)(U128_TOP - 1))

ledger_u128 ledger__pow10(unsigned n) {
  assert(n <= 38);
  ledger_u128 p = 1;
  for (unsigned i = 0; i < n; i++) p *= 10;
  return p;
}

ledger_u128 ledger__gcd(ledger_u128 a, ledger_u128 b) {
  while (b != 0) {
    ledger_u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

struct ledger_u256 ledger__u256_mul(ledger_u128 a, ledger_u128 b) {
  ledger_u128 a0 = (uint64_t)a, a1 = a >> 64, b0 = (uint64_t)b, b1 = b >> 64;
  ledger_u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  /* The middle column holds at most three 64-bit values: no carry is lost. */
  ledger_u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
  struct ledger_u256 r;
  r.lo = (ledger_u128)(uint64_t)p00 | (mid << 64);
  r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  return r;
}

int ledger__u256_mul_small(struct ledger_u256 a, uint64_t m, struct ledger_u256 *out) {
  struct ledger_u256 lo = ledger__u256_mul(a.lo, m);
  struct ledger_u256 hi = ledger__u256_mul(a.hi, m);
  if (hi.hi != 0) return PROTO_E_OVERFLOW;
  ledger_u128 top;
  if (__builtin_add_overflow(hi.lo, lo.hi, &top)) return PROTO_E_OVERFLOW;
  out->hi = top;
  out->lo = lo.lo;
  return 0;
}

int ledger__u256_add(struct ledger_u256 a, struct ledger_u256 b, struct ledger_u256 *out) {
  ledger_u128 lo = a.lo + b.lo;
  ledger_u128 carry = lo < a.lo;
  ledger_u128 hi;
  if (__builtin_add_overflow(a.hi, b.hi, &hi) || __builtin_add_overflow(hi, carry, &hi)) {
    return PROTO_E_OVERFLOW;
  }
  out->hi = hi;
  out->lo = lo;
  return 0;
}

int ledger__u256_cmp(struct ledger_u256 a, struct ledger_u256 b) {
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

struct ledger_u256 ledger__u256_sub(struct ledger_u256 a, struct ledger_u256 b) {
  assert(ledger__u256_cmp(a, b) >= 0);
  struct ledger_u256 r;
  r.lo = a.lo - b.lo;
  r.hi = a.hi - b.hi - (a.lo < b.lo);
  return r;
}

/* Divides by a divisor below 2^64 one 64-bit limb at a time: each step fits in 128 bits. */
static void divmod_small(struct ledger_u256 a, uint64_t d, struct ledger_u256 *q, ledger_u128 *r) {
  uint64_t limbs[4] = {(uint64_t)(a.hi >> 64), (uint64_t)a.hi, (uint64_t)(a.lo >> 64), (uint64_t)a.lo};
  uint64_t ql[4];
  ledger_u128 rem = 0;
  for (int i = 0; i < 4; i++) {
    ledger_u128 cur = (rem << 64) | limbs[i];
    ql[i] = (uint64_t)(cur / d);
    rem = cur % d;
  }
  q->hi = ((ledger_u128)ql[0] << 64) | ql[1];
  q->lo = ((ledger_u128)ql[2] << 64) | ql[3];
  *r = rem;
}

/* Long division in base 2^64 (Knuth, TAOCP vol. 2, 4.3.1, algorithm D) for a divisor of two
 * digits: normalize so the divisor's top bit is set, estimate each quotient digit from the top
 * two digits (at most two too high), multiply and subtract, add back in the rare case the
 * estimate was still one too high. */
static void divmod_knuth(struct ledger_u256 a, ledger_u128 d, struct ledger_u256 *q, ledger_u128 *r) {
  const ledger_u128 base = (ledger_u128)1 << 64;
  unsigned s = (unsigned)__builtin_clzll((uint64_t)(d >> 64));
  ledger_u128 dn = d << s;
  uint64_t v[2] = {(uint64_t)dn, (uint64_t)(dn >> 64)};
  uint64_t in[4] = {(uint64_t)a.lo, (uint64_t)(a.lo >> 64), (uint64_t)a.hi, (uint64_t)(a.hi >> 64)};
  uint64_t u[5];
  u[4] = s ? in[3] >> (64 - s) : 0;
  for (int i = 3; i > 0; i--) u[i] = (in[i] << s) | (s ? in[i - 1] >> (64 - s) : 0);
  u[0] = in[0] << s;
  uint64_t qd[3];
  for (int j = 2; j >= 0; j--) {
    ledger_u128 num = ((ledger_u128)u[j + 2] << 64) | u[j + 1];
    ledger_u128 qhat = num / v[1], rhat = num % v[1];
    while (qhat >= base || qhat * v[0] > ((rhat << 64) | u[j])) {
      qhat--;
      rhat += v[1];
      if (rhat >= base) break;
    }
    __int128 k = 0, t;
    for (int i = 0; i < 2; i++) {
      ledger_u128 p = qhat * v[i];
      t = (__int128)u[i + j] - k - (__int128)(uint64_t)p;
      u[i + j] = (uint64_t)t;
      k = (__int128)(p >> 64) - (t >> 64);
    }
    t = (__int128)u[j + 2] - k;
    u[j + 2] = (uint64_t)t;
    if (t < 0) { /* the estimate was one too high: add the divisor back */
      qhat--;
      ledger_u128 c = 0;
      for (int i = 0; i < 2; i++) {
        ledger_u128 sum = (ledger_u128)u[i + j] + v[i] + c;
        u[i + j] = (uint64_t)sum;
        c = sum >> 64;
      }
      u[j + 2] += (uint64_t)c;
    }
    qd[j] = (uint64_t)qhat;
  }
  q->lo = ((ledger_u128)qd[1] << 64) | qd[0];
  q->hi = qd[2];
  ledger_u128 rem = ((ledger_u128)u[1] << 64) | u[0];
  *r = s ? (rem >> s) | ((ledger_u128)u[2] << (128 - s)) : rem;
}

void ledger__u256_divmod(struct ledger_u256 a, ledger_u128 d, struct ledger_u256 *q, ledger_u128 *r) {
  assert(d != 0);
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

static bool round_up_magnitude(ledger_u128 q, ledger_u128 r, ledger_u128 d, bool neg,
                               enum ledger_round mode) {
  if (r == 0) return false;
  switch (mode) {
  case LEDGER_ROUND_FLOOR: return neg;
  case LEDGER_ROUND_CEIL: return !neg;
  case LEDGER_ROUND_TRUNC: return false;
  case LEDGER_ROUND_HALF_UP: return r >= d - r;
  case LEDGER_ROUND_HALF_EVEN: return r > d - r || (r == d - r && (q & 1) != 0);
  }
  assert(false && "unknown rounding mode");
  return false;
}

int ledger__u256_div_round(struct ledger_u256 a, ledger_u128 d, bool neg, enum ledger_round mode,
                           ledger_u128 *out) {
  if (d == 0) return PROTO_E_BAD_ARGUMENT;
  struct ledger_u256 q;
  ledger_u128 r;
  ledger__u256_divmod(a, d, &q, &r);
  if (q.hi != 0 || q.lo >= U128_TOP) return PROTO_E_OVERFLOW;
  ledger_u128 v = q.lo + (round_up_magnitude(q.lo, r, d, neg, mode) ? 1 : 0);
  if (v >= U128_TOP) return PROTO_E_OVERFLOW;
  *out = v;
  return 0;
}

static ledger_u128 magnitude(ledger_dec a) {
  return a < 0 ? (ledger_u128)0 - (ledger_u128)a : (ledger_u128)a;
}

static ledger_dec with_sign(ledger_u128 m, bool neg) {
  assert(m < U128_TOP);
  return neg ? -(ledger_dec)m : (ledger_dec)m;
}

int ledger__dec_add(ledger_dec a, ledger_dec b, ledger_dec *out) {
  ledger_dec r;
  if (__builtin_add_overflow(a, b, &r)) return PROTO_E_OVERFLOW;
  *out = r;
  return 0;
}

int ledger__dec_sub(ledger_dec a, ledger_dec b, ledger_dec *out) {
  ledger_dec r;
  if (__builtin_sub_overflow(a, b, &r)) return PROTO_E_OVERFLOW;
  *out = r;
  return 0;
}

int ledger__dec_mul(ledger_dec a, ledger_dec b, enum ledger_round mode, ledger_dec *out) {
  bool neg = (a < 0) != (b < 0);
  ledger_u128 m;
  int err = ledger__u256_div_round(ledger__u256_mul(magnitude(a), magnitude(b)),
                                   (ledger_u128)LEDGER_DEC_ONE, neg, mode, &m);
  if (err) return err;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int ledger__dec_div(ledger_dec a, ledger_dec b, enum ledger_round mode, ledger_dec *out) {
  if (b == 0) return PROTO_E_BAD_ARGUMENT;
  bool neg = (a < 0) != (b < 0);
  ledger_u128 m;
  int err = ledger__u256_div_round(ledger__u256_mul(magnitude(a), (ledger_u128)LEDGER_DEC_ONE),
                                   magnitude(b), neg, mode, &m);
  if (err) return err;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int ledger__dec_cmp(ledger_dec a, ledger_dec b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

int ledger__dec_round(ledger_dec d, int places, enum ledger_round mode, ledger_dec *out) {
  if (places < 0 || places > LEDGER_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
  ledger_u128 unit = ledger__pow10((unsigned)(LEDGER_DEC_PLACES - places));
  bool neg = d < 0;
  ledger_u128 units;
  int err = ledger__u256_div_round(ledger__u256_of(magnitude(d)), unit, neg, mode, &units);
  if (err) return err;
  ledger_u128 m;
  if (__builtin_mul_overflow(units, unit, &m) || m >= U128_TOP) return PROTO_E_OVERFLOW;
  *out = with_sign(m, neg && m != 0);
  return 0;
}

int ledger__dec_floor_int(ledger_dec d, int64_t *out) {
  ledger_dec q = d / LEDGER_DEC_ONE;
  if (d % LEDGER_DEC_ONE != 0 && d < 0) q -= 1;
  if (q > INT64_MAX || q < INT64_MIN) return PROTO_E_OVERFLOW;
  *out = (int64_t)q;
  return 0;
}

int ledger__dec_from_int(int64_t v, ledger_dec *out) {
  *out = (ledger_dec)v * LEDGER_DEC_ONE; /* |v| < 2^63: always inside the range */
  return 0;
}

int ledger__dec_parse(const char *text, size_t len, ledger_dec *out) {
  size_t i = 0;
  bool neg = false;
  if (i < len && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  ledger_u128 m = 0;
  size_t int_digits = 0, places = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, int_digits++) {
    if (__builtin_mul_overflow(m, 10, &m) || __builtin_add_overflow(m, (unsigned)(text[i] - '0'), &m)) {
      return PROTO_E_OVERFLOW;
    }
  }
  if (int_digits == 0) return PROTO_E_BAD_ARGUMENT;
  if (i < len && text[i] == '.') {
    for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++, places++) {
      if (places == LEDGER_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
      if (__builtin_mul_overflow(m, 10, &m) ||
          __builtin_add_overflow(m, (unsigned)(text[i] - '0'), &m)) {
        return PROTO_E_OVERFLOW;
      }
    }
    if (places == 0) return PROTO_E_BAD_ARGUMENT;
  }
  if (i != len) return PROTO_E_BAD_ARGUMENT;
  if (__builtin_mul_overflow(m, ledger__pow10((unsigned)(LEDGER_DEC_PLACES - places)), &m) ||
      m >= U128_TOP) {
    return PROTO_E_OVERFLOW;
  }
  *out = with_sign(m, neg && m != 0);
  return 0;
}

long ledger__dec_format(ledger_dec d, int places, enum ledger_round mode, char *out, size_t cap) {
  if (places > LEDGER_DEC_PLACES) return PROTO_E_BAD_ARGUMENT;
  ledger_dec v = d;
  if (places >= 0 && ledger__dec_round(d, places, mode, &v) != 0) return PROTO_E_OVERFLOW;
  ledger_u128 m = magnitude(v);
  /* 64-bit pieces: 128-bit division by 10 per digit is a library call and dominates reports. */
  ledger_u128 ip = m / (ledger_u128)LEDGER_DEC_ONE;
  uint64_t fp = (uint64_t)(m % (ledger_u128)LEDGER_DEC_ONE);
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
  char buf[LEDGER_DEC_TEXT_BYTES];
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n > 0) buf[len++] = digits[--n];
  int shown = places;
  if (places < 0) { /* shortest exact form: drop trailing zeros */
    shown = LEDGER_DEC_PLACES;
    while (shown > 0 && fp % 10 == 0) {
      fp /= 10;
      shown--;
    }
  } else {
    fp /= (uint64_t)ledger__pow10((unsigned)(LEDGER_DEC_PLACES - places));
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
#define S36 ((ledger_u128)ledger__pow10(36))

/* e^(-f) or e^(f) for 0 <= f <= 1 (f scaled by 10^36), by its Taylor series. */
static ledger_u128 exp_series(ledger_u128 f, bool neg) {
  ledger_u128 one = S36, term = one, sum = one;
  for (unsigned k = 1; k < 80 && term != 0; k++) {
    ledger_u128 t;
    int err = ledger__u256_div_round(ledger__u256_mul(term, f), one * k, false,
                                     LEDGER_ROUND_HALF_EVEN, &t);
    assert(err == 0);
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

static int mul36(ledger_u128 a, ledger_u128 b, ledger_u128 *out) {
  return ledger__u256_div_round(ledger__u256_mul(a, b), S36, false, LEDGER_ROUND_HALF_EVEN, out);
}

int ledger__dec_exp36(__int128 x36, __int128 *out36) {
  bool neg = x36 < 0;
  ledger_u128 mag = magnitude(x36);
  ledger_u128 n = mag / S36, f = mag % S36;
  if (n > 100 || (!neg && n > 4)) return PROTO_E_BAD_ARGUMENT; /* e^5 > 1.7e38 / 10^36 */
  ledger_u128 r = exp_series(f, neg);
  ledger_u128 base = exp_series(S36, neg);
  for (ledger_u128 i = 0; i < n; i++) {
    int err = mul36(r, base, &r);
    if (err) return err;
  }
  if (r >= U128_TOP) return PROTO_E_OVERFLOW;
  *out36 = (__int128)r;
  return 0;
}

int ledger__dec_exp(ledger_dec x, ledger_dec *out) {
  if (x > 4 * LEDGER_DEC_ONE || x < -1000 * LEDGER_DEC_ONE) return PROTO_E_BAD_ARGUMENT;
  if (x < -100 * LEDGER_DEC_ONE) { /* e^-100 < 10^-43: zero at 18 places */
    *out = 0;
    return 0;
  }
  __int128 r36;
  int err = ledger__dec_exp36(x * LEDGER_DEC_ONE, &r36);
  if (err) return err;
  ledger_u128 m;
  err = ledger__u256_div_round(ledger__u256_of((ledger_u128)r36), (ledger_u128)LEDGER_DEC_ONE, false,
                               LEDGER_ROUND_HALF_EVEN, &m);
  if (err) return err;
  *out = (ledger_dec)m;
  return 0;
}
