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
        fprintf(stderr, "quotactl: --%s needs a value\n", name);
        return QCTL_EXIT_USAGE;
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
  return 0;
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

void qctl_id_derive(const char *text, uint8_t id[PROTO_ID_BYTES]) {
  static const char domain[] = "quotactl/v1\n";
  const void *parts[2] = {domain, text};
  size_t lens[2] = {sizeof(domain) - 1, strlen(text)};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 2, h);
  memcpy(id, h, PROTO_ID_BYTES);
}
