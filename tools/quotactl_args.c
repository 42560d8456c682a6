/* quotactl's pure helpers: command-line options and transaction ids. No network here, so the
 * unit tests can compile this file alone. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tools/quotactl.h"

static bool name_eq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool in_list(const char *name, const char *const *list) {
  for (size_t i = 0; list && list[i]; i++) {
    if (name_eq(name, list[i])) return true;
  }
  return false;
}

int qopts_parse(struct qopts *o, int argc, char **argv, const char *const *bools) {
  memset(o, 0, sizeof(*o));
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
      if (o->npos == QCTL_OPTS_MAX) goto too_many;
      o->pos[o->npos++] = a;
      continue;
    }
    if (o->n == QCTL_OPTS_MAX) goto too_many;
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    if (eq) {
      size_t len = (size_t)(eq - name);
      if (len >= sizeof(o->namebuf[0])) {
        fprintf(stderr, "quotactl: option name too long: %s\n", a);
        return QCTL_EXIT_USAGE;
      }
      memcpy(o->namebuf[o->n], name, len);
      o->namebuf[o->n][len] = 0;
      o->names[o->n] = o->namebuf[o->n];
      o->values[o->n++] = eq + 1;
    } else if (in_list(name, bools) || strcmp(name, "help") == 0) {
      o->names[o->n] = name;
      o->values[o->n++] = "";
    } else {
      if (i + 1 >= argc) {
        /* Unknown or missing its value: qopts_only, which knows the command's options, says
         * which; a command without that list gets qopts_check_dangling. */
        o->dangling = name;
        continue;
      }
      o->names[o->n] = name;
      o->values[o->n++] = argv[++i];
    }
  }
  return 0;
too_many:
  fprintf(stderr, "quotactl: more than %u arguments\n", QCTL_OPTS_MAX);
  return QCTL_EXIT_USAGE;
}

const char *qopts_get(const struct qopts *o, const char *name) {
  for (size_t i = o->n; i-- > 0;) {
    if (name_eq(o->names[i], name)) return o->values[i];
  }
  return NULL;
}

bool qopts_has(const struct qopts *o, const char *name) { return qopts_get(o, name) != NULL; }

int qopts_usage(const struct qopts *o, const char *usage) {
  bool asked = qopts_has(o, "help");
  fputs(usage, asked ? stdout : stderr);
  return asked ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
}

int qopts_only(const struct qopts *o, const char *cmd, const char *const *allowed) {
  for (size_t i = 0; i < o->n; i++) {
    if (!in_list(o->names[i], allowed) && strcmp(o->names[i], "help") != 0) {
      fprintf(stderr, "quotactl %s: unknown option --%s (see quotactl %s --help)\n", cmd,
              o->names[i], cmd);
      return QCTL_EXIT_USAGE;
    }
  }
  if (o->dangling && !in_list(o->dangling, allowed)) {
    fprintf(stderr, "quotactl %s: unknown option --%s (see quotactl %s --help)\n", cmd,
            o->dangling, cmd);
    return QCTL_EXIT_USAGE;
  }
  return qopts_check_dangling(o, cmd);
}

int qopts_check_dangling(const struct qopts *o, const char *cmd) {
  if (!o->dangling) return 0;
  fprintf(stderr, "quotactl %s: --%s needs a value\n", cmd, o->dangling);
  return QCTL_EXIT_USAGE;
}

int qopts_u64(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  const char *p = text;
  if (!p || !*p) goto bad;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') goto bad;
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v)) {
      goto bad;
    }
  }
  if (v < min || v > max) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "quotactl: %s must be a whole number in %" PRIu64 "..%" PRIu64 ", not '%s'\n",
          what, min, max, text ? text : "");
  return QCTL_EXIT_USAGE;
}

int qctl_id_time_ordered(uint8_t id[PROTO_ID_BYTES]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  for (int i = 0; i < 6; i++) id[i] = (uint8_t)(ms >> (8 * (5 - i)));
  size_t got = 0;
  while (got < PROTO_ID_BYTES - 6) {
    ssize_t n = getrandom(id + 6 + got, PROTO_ID_BYTES - 6 - got, 0);
    if (n < 0 && errno != EINTR) return -errno;
    if (n > 0) got += (size_t)n;
  }
  return 0;
}

int qctl_id_from_hex(const char *hex, uint8_t id[PROTO_ID_BYTES]) {
  if (strlen(hex) != 2 * PROTO_ID_BYTES ||
      proto_hex_decode(hex, strlen(hex), id, PROTO_ID_BYTES) != PROTO_ID_BYTES) {
    fprintf(stderr, "quotactl: --id must be %u hexadecimal characters, not '%s'\n",
            2 * PROTO_ID_BYTES, hex);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date: 400-year eras of 146,097 days, years
 * counted from March so that the leap day falls last. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits at *p (advancing it) into *out; false when they are not there. */
static bool digits(const char **p, unsigned n, unsigned *out) {
  unsigned v = 0;
  for (unsigned i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9') return false;
    v = v * 10 + (unsigned)((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int qopts_time_ms(const char *text, bool start_of_day, uint64_t *out) {
  static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char *p = text;
  unsigned y, mo, d, h = 23, mi = 59, s = 59, ms = 999;
  if (strspn(text, "0123456789") == strlen(text) && text[0]) {
    return qopts_u64(text, "a time in milliseconds", 0, UINT64_MAX, out) ? -1 : 0;
  }
  if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
      !digits(&p, 2, &d) || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
      d > mdays[mo - 1] + (mo == 2 && leap(y)))
    return -1;
  int offset_min = 8 * 60; /* Beijing time, the market's convention, when no zone is given */
  if (*p == '\0') {
    if (start_of_day) h = mi = s = ms = 0;
  } else {
    if (*p != 'T' && *p != ' ') return -1;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || h > 23 || mi > 59) return -1;
    s = ms = 0;
    if (*p == ':' && (p++, !digits(&p, 2, &s) || s > 59)) return -1;
    if (*p == '.' && (p++, !digits(&p, 3, &ms))) return -1;
    if (*p == 'Z') {
      offset_min = 0;
      p++;
    } else if (*p == '+' || *p == '-') {
      int sign = *p++ == '-' ? -1 : 1;
      unsigned oh, om;
      if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 14 || om > 59) return -1;
      offset_min = sign * (int)(oh * 60 + om);
    }
    if (*p) return -1;
  }
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  if (secs < 0) return -1;
  *out = (uint64_t)secs * 1000u + ms;
  return 0;
}
