/* proto/conf.h: a program's options as one table of rows (INI section and name, command-line flag, kind,
 * where the value goes in the program's configuration struct, bounds, help), which the INI file,
 * the flags, the defaults and --help all read: quotad's daemon/config.c and quota-witness's
 * witness/config.c. The tables stay with their programs; the reading of a value lives here. */
#ifndef PROTO_CONF_H
#define PROTO_CONF_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

enum proto_conf_kind {
  PROTO_CONF_STR,   /* text into a char array of `size` bytes (NUL included) */
  PROTO_CONF_U32,   /* decimal into a uint32_t, in min..max */
  PROTO_CONF_U64,   /* decimal into a uint64_t, in min..max */
  PROTO_CONF_BOOL,  /* true/yes/1/on or false/no/0/off into a bool; a bare flag means true */
  PROTO_CONF_MODE,  /* octal file permissions into a uint32_t, in min..max */
  PROTO_CONF_LEVEL, /* a syslog level name (err, warning, notice, info, debug) into an int, 3..7 */
};

struct proto_conf_opt {
  const char *section, *name, *flag; /* flag: long option name, NULL when file-only */
  uint8_t kind;                      /* enum proto_conf_kind */
  size_t offset, size;               /* size: a string's capacity */
  uint64_t min, max;
  const char *help;
};

/* Rows of a table over the configuration struct TYPE. */
#define PROTO_CONF_ROW_STR(TYPE, sec, nm, fl, field, help) \
  {sec, nm, fl, PROTO_CONF_STR, offsetof(TYPE, field), sizeof(((TYPE *)0)->field), 0, 0, help}
#define PROTO_CONF_ROW_NUM(TYPE, sec, nm, fl, kind, field, mn, mx, help) \
  {sec, nm, fl, kind, offsetof(TYPE, field), 0, mn, mx, help}

/* The row of opts[0..n) named section.name, or NULL. */
const struct proto_conf_opt *proto_conf_find(const struct proto_conf_opt *opts, size_t n, const char *section,
                                 const char *name);
/* Sets o's field in cfg from the text v. Returns 0, or -1 with the reason, naming section.name,
 * in why (the field unchanged). */
int proto_conf_set(void *cfg, const struct proto_conf_opt *o, const char *v, char *why, size_t why_cap);
/* The field's value as text (a string in double quotes), for reports and --help. */
void proto_conf_text(const void *cfg, const struct proto_conf_opt *o, char *out, size_t cap);
/* The bytes the field of o takes in the configuration struct. */
size_t proto_conf_field_bytes(const struct proto_conf_opt *o);
/* getopt_long's rows for the opts that have a flag, each answering first_val + its index in
 * opts (a PROTO_CONF_BOOL flag takes an optional value). Writes at most n rows into out; returns how
 * many. */
size_t proto_conf_long_options(const struct proto_conf_opt *opts, size_t n, int first_val, struct option *out);

#endif /* PROTO_CONF_H */
