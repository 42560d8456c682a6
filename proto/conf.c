/* conf: reading one option's value into a program's configuration struct, by its table row. */
#include "proto/conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

static const char *const level_names[] = {"", "", "", "err", "warning", "notice", "info", "debug"};
#define LEVEL_FIRST 3u
#define LEVEL_LAST 7u

const struct proto_conf_opt *proto_conf_find(const struct proto_conf_opt *opts, size_t n, const char *section,
                                 const char *name) {
  PROTO_ASSERT(opts && section && name);
  for (size_t i = 0; i < n; i++)
    if (strcmp(opts[i].section, section) == 0 && strcmp(opts[i].name, name) == 0) return &opts[i];
  return NULL;
}

/* A value of a number-like kind as an integer: 0, or -1 when v is not one in min..max. */
static int parse_number(const struct proto_conf_opt *o, const char *v, uint64_t *out) {
  if (o->kind == PROTO_CONF_BOOL) {
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off")) *out = 0;
    else return -1;
    return 0;
  }
  if (o->kind == PROTO_CONF_LEVEL) {
    for (unsigned i = LEVEL_FIRST; i <= LEVEL_LAST; i++)
      if (!strcmp(v, level_names[i])) return *out = i, 0;
  }
  if (v[0] < '0' || v[0] > '9') return -1; /* no sign, no space, not empty */
  char *end = NULL;
  errno = 0;
  unsigned long long x = strtoull(v, &end, o->kind == PROTO_CONF_MODE ? 8 : 10);
  if (errno || *end || x < o->min || x > o->max) return -1;
  *out = x;
  return 0;
}

int proto_conf_set(void *cfg, const struct proto_conf_opt *o, const char *v, char *why, size_t why_cap) {
  PROTO_ASSERT(cfg && o && v);
  char *field = (char *)cfg + o->offset;
  if (o->kind == PROTO_CONF_STR) {
    PROTO_ASSERT(o->size > 0);
    if (strlen(v) >= o->size)
      return snprintf(why, why_cap, "%s.%s: longer than %zu bytes", o->section, o->name, o->size - 1), -1;
    memcpy(field, v, strlen(v) + 1);
    return 0;
  }
  uint64_t x = 0;
  if (parse_number(o, v, &x))
    return snprintf(why, why_cap, "%s.%s: \"%s\" is not a %s in %llu..%llu", o->section, o->name, v,
                    o->kind == PROTO_CONF_BOOL ? "boolean" : "number", (unsigned long long)o->min,
                    (unsigned long long)o->max), -1;
  switch (o->kind) {
  case PROTO_CONF_U64: { uint64_t y = x; memcpy(field, &y, sizeof y); break; }
  case PROTO_CONF_BOOL: { bool y = x != 0; memcpy(field, &y, sizeof y); break; }
  case PROTO_CONF_LEVEL: { int y = (int)x; memcpy(field, &y, sizeof y); break; }
  default: { uint32_t y = (uint32_t)x; memcpy(field, &y, sizeof y); break; }
  }
  return 0;
}

void proto_conf_text(const void *cfg, const struct proto_conf_opt *o, char *out, size_t cap) {
  PROTO_ASSERT(cfg && o && out && cap > 0);
  const char *field = (const char *)cfg + o->offset;
  uint64_t v = 0;
  uint32_t v32 = 0;
  switch (o->kind) {
  case PROTO_CONF_STR: snprintf(out, cap, "\"%s\"", field); return;
  case PROTO_CONF_U64: memcpy(&v, field, sizeof v); break;
  case PROTO_CONF_BOOL: { bool b; memcpy(&b, field, sizeof b); snprintf(out, cap, "%s", b ? "true" : "false"); return; }
  case PROTO_CONF_LEVEL: {
    int l;
    memcpy(&l, field, sizeof l);
    snprintf(out, cap, "%s", l >= (int)LEVEL_FIRST && l <= (int)LEVEL_LAST ? level_names[l] : "?");
    return;
  }
  default: memcpy(&v32, field, sizeof v32); v = v32; break;
  }
  snprintf(out, cap, "%llu", (unsigned long long)v);
}

size_t proto_conf_field_bytes(const struct proto_conf_opt *o) {
  PROTO_ASSERT(o && o->kind <= PROTO_CONF_LEVEL);
  switch (o->kind) {
  case PROTO_CONF_STR: return o->size;
  case PROTO_CONF_U64: return sizeof(uint64_t);
  case PROTO_CONF_BOOL: return sizeof(bool);
  case PROTO_CONF_LEVEL: return sizeof(int);
  default: return sizeof(uint32_t);
  }
}

size_t proto_conf_long_options(const struct proto_conf_opt *opts, size_t n, int first_val, struct option *out) {
  PROTO_ASSERT(opts && out);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!opts[i].flag) continue;
    int arg = opts[i].kind == PROTO_CONF_BOOL ? optional_argument : required_argument;
    out[k++] = (struct option){opts[i].flag, arg, NULL, first_val + (int)i};
  }
  PROTO_ASSERT(k <= n);
  return k;
}
