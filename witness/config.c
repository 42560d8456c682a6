/* quota-witness's options: one table that the INI file (inih), the command-line flags, the
 * defaults and --help all read, and the list of logs it witnesses (`log = <origin> <vkey>`). */
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/conf.h"
#include "witness/witness.h"

/* Rows of the table over struct witness_config (proto/conf.h). */
#define STR(sec, nm, fl, field, help) PROTO_CONF_ROW_STR(struct witness_config, sec, nm, fl, field, help)
#define NUM(sec, nm, fl, kind, field, mn, mx, help) \
  PROTO_CONF_ROW_NUM(struct witness_config, sec, nm, fl, kind, field, mn, mx, help)
#define WITNESS_VERSION "0.1.0"

static const struct proto_conf_opt opts[] = {
  STR("witness", "name", "name", name, "cosigner name in its signature lines (e.g. witness.example.org/w1)"),
  STR("witness", "key_file", "key-file", key_file, "Ed25519 key file (quotad-ed25519-seed); default DATA_DIR/witness.key"),
  STR("witness", "data_dir", "data-dir", data_dir, "state directory (LMDB environment)"),
  STR("listen", "tcp", "listen", listen, "HTTP listener host:port"),
  NUM("limits", "connections_max", "connections-max", PROTO_CONF_U32, limits.connections_max, 1, 100000, "open connections"),
  NUM("limits", "connections_per_peer_max", "connections-per-peer-max", PROTO_CONF_U32, limits.connections_per_peer_max, 1, 100000, "open connections of one peer IP address"),
  NUM("limits", "header_bytes_max", "header-bytes-max", PROTO_CONF_U32, limits.header_bytes_max, 256, 1u << 20, "bytes of request line and headers"),
  NUM("limits", "request_bytes_max", "request-bytes-max", PROTO_CONF_U32, limits.request_bytes_max, 1024, TLOG_WITNESS_REQUEST_BYTES_MAX, "bytes of one request body"),
  NUM("limits", "output_bytes_max", "output-bytes-max", PROTO_CONF_U32, limits.output_bytes_max, 4096, 1u << 26, "unsent answer bytes of a connection before it is not read"),
  NUM("limits", "header_timeout_ms", "header-timeout-ms", PROTO_CONF_U32, limits.header_timeout_ms, 100, 600000, "time from a request's first byte to the end of its headers, ms"),
  NUM("limits", "request_timeout_ms", "request-timeout-ms", PROTO_CONF_U32, limits.request_timeout_ms, 100, 600000, "time from the end of the headers to the end of the body, ms"),
  NUM("limits", "idle_timeout_ms", "idle-timeout-ms", PROTO_CONF_U32, limits.idle_timeout_ms, 100, 86400000, "a connection without a request, ms"),
  NUM("limits", "map_bytes_max", "map-bytes-max", PROTO_CONF_U64, limits.map_bytes_max, 1u << 20, UINT64_C(1) << 40, "state size ceiling (LMDB map), bytes"),
};
#define OPTS_COUNT (sizeof opts / sizeof opts[0])

static void defaults(struct witness_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  strcpy(cfg->data_dir, "/var/lib/quota-witness");
  strcpy(cfg->listen, "127.0.0.1:7380");
  cfg->limits = (struct witness_limits){
    .connections_max = 256,
    .connections_per_peer_max = 32,
    .header_bytes_max = 8192,
    .request_bytes_max = TLOG_WITNESS_REQUEST_BYTES_MAX,
    .output_bytes_max = 65536,
    .header_timeout_ms = 5000,
    .request_timeout_ms = 10000,
    .idle_timeout_ms = 30000,
    .map_bytes_max = UINT64_C(64) << 20,
  };
}

static const char *kind_unit(const struct proto_conf_opt *o) {
  return o->kind == PROTO_CONF_STR ? "TEXT" : "N";
}

/* One option of --help: flag, unit, help, where it goes in the file, and its default (d). */
static void usage_row(FILE *out, const struct witness_config *d, const struct proto_conf_opt *o) {
  PROTO_ASSERT(out && d && o && o->flag);
  char def[64] = "";
  if (o->kind == PROTO_CONF_STR) snprintf(def, sizeof def, "%s", (const char *)d + o->offset);
  else proto_conf_text(d, o, def, sizeof def);
  fprintf(out, "  --%-20s %s\n      %s  [%s] %s%s%s\n", o->flag, kind_unit(o), o->help, o->section,
          o->name, def[0] ? ", default " : "", def);
}

void witness_config_usage(FILE *out) {
  struct witness_config *d = calloc(1, sizeof *d);
  if (!d) return;
  defaults(d);
  fprintf(out,
          "usage: quota-witness [--config FILE] [options]\n"
          "       quota-witness --config FILE --verifier-key\n"
          "\n"
          "quota-witness is a C2SP tlog-witness: it cosigns the checkpoints of the logs it is\n"
          "configured with, after checking each log's signature and a consistency proof from the\n"
          "last checkpoint it cosigned, so that a log cannot show two different histories.\n"
          "\n"
          "  --config FILE     INI file (see docs/WITNESS.md); flags override it\n"
          "  --log ORIGIN=VKEY add a log (repeatable; the file's [logs] log = ORIGIN VKEY)\n"
          "  --verifier-key    print the witness's cosigner verifier key and exit\n"
          "  --help, --version\n");
  for (size_t i = 0; i < OPTS_COUNT; i++) usage_row(out, d, &opts[i]);
  fprintf(out, "\nendpoints: POST /add-checkpoint, GET /<hex SHA-256 of origin>/checkpoint, GET /healthz\n"
               "exit status: 0 after SIGTERM or SIGINT, 1 on a start-up error, 2 on a usage error\n");
  free(d);
}

int witness_config_add_log(struct witness_config *cfg, const char *value, char *err, size_t cap) {
  char origin[PROTO_ORIGIN_BYTES_MAX + 2], vkey[TLOG_VERIFIER_KEY_BYTES_MAX + 2], name[PROTO_ORIGIN_BYTES_MAX + 1];
  const char *sp = strpbrk(value, " \t=");
  size_t olen = sp ? (size_t)(sp - value) : 0;
  const char *k = sp ? sp + strspn(sp, " \t=") : NULL;
  if (!sp || olen == 0 || olen > PROTO_ORIGIN_BYTES_MAX || !*k || strpbrk(k, " \t") ||
      strlen(k) > TLOG_VERIFIER_KEY_BYTES_MAX)
    return snprintf(err, cap, "a log is: <origin> <checkpoint verifier key>"), -1;
  memcpy(origin, value, olen);
  origin[olen] = '\0';
  strcpy(vkey, k);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  if (tlog_verifier_key_parse(vkey, name, sizeof name, pub) != 0)
    return snprintf(err, cap, "log %s: not a checkpoint verifier key: %s", origin, vkey), -1;
  struct witness_log *l = NULL;
  for (unsigned i = 0; i < cfg->logs_count && !l; i++)
    if (strcmp(cfg->logs[i].origin, origin) == 0) l = &cfg->logs[i];
  if (!l) {
    if (cfg->logs_count == WITNESS_LOGS_MAX) return snprintf(err, cap, "more than %u logs", WITNESS_LOGS_MAX), -1;
    l = &cfg->logs[cfg->logs_count++];
    memset(l, 0, sizeof *l);
    strcpy(l->origin, origin);
  }
  for (unsigned i = 0; i < l->keys_count; i++)
    if (memcmp(l->pub[i], pub, PROTO_PUBKEY_BYTES) == 0 && strcmp(l->key_name[i], name) == 0)
      return snprintf(err, cap, "log %s: the same key twice", origin), -1;
  if (l->keys_count == WITNESS_LOG_KEYS_MAX)
    return snprintf(err, cap, "log %s: more than %u keys", origin, WITNESS_LOG_KEYS_MAX), -1;
  strcpy(l->key_name[l->keys_count], name);
  memcpy(l->pub[l->keys_count++], pub, PROTO_PUBKEY_BYTES);
  return 0;
}

struct ini_ctx {
  struct witness_config *cfg;
  char err[256];
};

static int config_ini_entry(void *user, const char *section, const char *name, const char *value) {
  struct ini_ctx *c = user;
  if (strcmp(section, "logs") == 0 && strcmp(name, "log") == 0)
    return witness_config_add_log(c->cfg, value, c->err, sizeof c->err) == 0;
  const struct proto_conf_opt *o = proto_conf_find(opts, OPTS_COUNT, section, name);
  if (o) return proto_conf_set(c->cfg, o, value, c->err, sizeof c->err) == 0;
  snprintf(c->err, sizeof c->err, "unknown option [%s] %s", section, name);
  return 0;
}

static int load_file(struct witness_config *cfg, const char *path) {
  struct ini_ctx c = {.cfg = cfg, .err = ""};
  int rc = ini_parse(path, config_ini_entry, &c);
  if (rc == -1) {
    fprintf(stderr, "quota-witness: %s: cannot open the configuration file\n", path);
    return -1;
  }
  if (rc != 0) {
    fprintf(stderr, "quota-witness: %s:%d: %s\n", path, rc, c.err[0] ? c.err : "syntax error");
    return -1;
  }
  return 0;
}

/* A few checks across options once everything is read. */
static int finish(struct witness_config *cfg) {
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX];
  const uint8_t zero[PROTO_PUBKEY_BYTES] = {0};
  if (tlog_cosig_verifier_key(cfg->name, zero, vkey, sizeof vkey) < 0) {
    fprintf(stderr, "quota-witness: name must be 1-128 printable ASCII without space or '+' "
                    "([witness] name or --name)\n");
    return -1;
  }
  if (!cfg->key_file[0] &&
      snprintf(cfg->key_file, sizeof cfg->key_file, "%s/witness.key", cfg->data_dir) >=
          (int)sizeof cfg->key_file) {
    fprintf(stderr, "quota-witness: data_dir is too long\n");
    return -1;
  }
  if (cfg->logs_count == 0) witness_log("warning", "no log is configured: every checkpoint gets 404");
  return 0;
}

enum { FLAG_CONFIG = 1000, FLAG_LOG, FLAG_VKEY, FLAG_HELP, FLAG_VERSION, FLAG_OPT0 };

static void long_options(struct option *lo) {
  size_t n = 0;
  lo[n++] = (struct option){"config", required_argument, NULL, FLAG_CONFIG};
  lo[n++] = (struct option){"log", required_argument, NULL, FLAG_LOG};
  lo[n++] = (struct option){"verifier-key", no_argument, NULL, FLAG_VKEY};
  lo[n++] = (struct option){"help", no_argument, NULL, FLAG_HELP};
  lo[n++] = (struct option){"version", no_argument, NULL, FLAG_VERSION};
  n += proto_conf_long_options(opts, OPTS_COUNT, FLAG_OPT0, lo + n);
  lo[n] = (struct option){NULL, 0, NULL, 0};
}

/* One flag of the second pass. Returns 0, -1 (error printed) or 1 (help or version printed). */
static int flag_apply(struct witness_config *cfg, int c, const char *arg, bool *print_vkey) {
  char err[256];
  if (c == FLAG_HELP) return witness_config_usage(stdout), 1;
  if (c == FLAG_VERSION) return printf("quota-witness %s\n", WITNESS_VERSION), 1;
  if (c == FLAG_VKEY) return *print_vkey = true, 0;
  if (c == FLAG_CONFIG) return 0;
  if (!arg) return -1; /* every other flag takes a value (required_argument) */
  if (c == FLAG_LOG) {
    char value[PROTO_ORIGIN_BYTES_MAX + TLOG_VERIFIER_KEY_BYTES_MAX + 4];
    if (strlen(arg) >= sizeof value || witness_config_add_log(cfg, arg, err, sizeof err) != 0) {
      fprintf(stderr, "quota-witness: --log: %s\n", strlen(arg) >= sizeof value ? "too long" : err);
      return -1;
    }
    return 0;
  }
  if (c < FLAG_OPT0 || (size_t)(c - FLAG_OPT0) >= OPTS_COUNT) {
    fprintf(stderr, "quota-witness: unknown option (see --help)\n");
    return -1;
  }
  if (proto_conf_set(cfg, &opts[c - FLAG_OPT0], arg, err, sizeof err) != 0) {
    fprintf(stderr, "quota-witness: --%s: %s\n", opts[c - FLAG_OPT0].flag, err);
    return -1;
  }
  return 0;
}

int witness_config_load(struct witness_config *cfg, int argc, char **argv, bool *print_vkey) {
  struct option lo[OPTS_COUNT + 6];
  long_options(lo);
  defaults(cfg);
  *print_vkey = false;
  const char *config = NULL;
  int c;
  opterr = 0;
  optind = 0; /* GNU getopt: 0 restarts the scan */
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
    if (c == FLAG_CONFIG) config = optarg;
  if (config && load_file(cfg, config) != 0) return -1;
  opterr = 1;
  optind = 0;
  while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
    if (c == '?') return -2;
    int rc = flag_apply(cfg, c, optarg, print_vkey);
    if (rc != 0) return rc == 1 ? 1 : -2;
  }
  if (optind < argc) {
    fprintf(stderr, "quota-witness: unexpected argument '%s' (see --help)\n", argv[optind]);
    return -2;
  }
  return finish(cfg);
}
