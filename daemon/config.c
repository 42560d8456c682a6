/* config: quotad's options, one table that the INI file (inih), the command-line flags, the
 * defaults and --help all read, so an option is described in one place with its unit. */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/conf.h"
#include "daemon/daemon.h"
#include "ledger/ledger.h"

/* Rows of the table over struct daemon_config (proto/conf.h). */
#define STR(sec, nm, fl, field, help) PROTO_CONF_ROW_STR(struct daemon_config, sec, nm, fl, field, help)
#define NUM(sec, nm, fl, kind, field, mn, mx, help) \
  PROTO_CONF_ROW_NUM(struct daemon_config, sec, nm, fl, kind, field, mn, mx, help)

static const struct proto_conf_opt opts[] = {
  STR("ledger", "data_dir", "data-dir", data_dir, "ledger directory (LMDB environment)"),
  STR("ledger", "log_key", "log-key", log_key, "log key file (quotad-ed25519-seed); default DATA_DIR/log.key"),
  STR("ledger", "high_water_file", "high-water-file", high_water_file, "every published checkpoint is also written here, outside the data directory; default: DATA_DIR-hw/checkpoint beside the data directory"),
  STR("ledger", "known_checkpoint", "known-checkpoint", known_checkpoint, "a checkpoint of this registry learned elsewhere: a tree behind it starts read-only; empty = none"),
  NUM("ledger", "map_bytes_max", "map-bytes-max", PROTO_CONF_U64, map_bytes_max, 0, UINT64_MAX, "ledger size ceiling in bytes; 0 = ledger default"),
  NUM("ledger", "check_interval_s", "check-interval-s", PROTO_CONF_U32, check_interval_s, 0, 31536000, "full structural check of the store every N s, in a child process; 0 = off"),
  NUM("ledger", "invariants_every_batches", "invariants-every-batches", PROTO_CONF_U32, invariants_every_batches, 0, LEDGER_INVARIANTS_EVERY_BATCHES_MAX, "check the ledger's invariants every N batches that add entries; 0 = ledger default (1,000)"),
  NUM("ledger", "public_log", "public-log", PROTO_CONF_BOOL, public_log, 0, 1, "entries and inclusion proofs readable without a key"),
  STR("standby", "follow", "follow", follow, "be a standby of the primary at this URL (http://host:port): follow its log, serve reads, refuse writes; empty = a primary"),
  STR("standby", "follow_key", "follow-key", follow_key, "the operator or auditor key (quotad-ed25519-seed) that signs the standby's stream requests"),
  NUM("standby", "sync", "standby-sync", PROTO_CONF_BOOL, standby_sync, 0, 1, "a primary acknowledges a batch only after its standby confirmed it durable"),
  NUM("standby", "required", "standby-required", PROTO_CONF_BOOL, standby_required, 0, 1, "with sync: while the standby is away writes stall (503 standby_away) instead of going on alone"),
  NUM("standby", "timeout_ms", "standby-timeout-ms", PROTO_CONF_U32, standby_timeout_ms, 10, 600000, "how long a batch waits for the standby's confirmation, ms"),
  STR("etcd", "endpoints", "etcd-endpoints", etcd_endpoints, "etcd v3 JSON gateway URLs, comma-separated: the fence of acknowledgements and publication; empty = none"),
  NUM("etcd", "lease_ttl_s", "etcd-lease-ttl-s", PROTO_CONF_U32, etcd_lease_ttl_s, 0, 3600, "automatic failover: the primary holds an etcd leader lease of this many s; a standby takes it over when it expires and promotes itself; 0 = off"),
  STR("ledger", "tiles_dir", "tiles-dir", tiles_dir, "write completed tiles and the published checkpoint here for a static server; empty = none"),
  STR("publish", "witness_policy", "witness-policy", witness_policy, "tlog-policy file: publish a checkpoint only once its quorum cosigned; empty = publish at once"),
  NUM("publish", "checkpoint_interval_ms", "checkpoint-interval-ms", PROTO_CONF_U32, checkpoint_interval_ms, 10, 600000, "at most one checkpoint sent to the witnesses per this many ms"),
  NUM("publish", "witness_timeout_ms", "witness-timeout-ms", PROTO_CONF_U32, witness_timeout_ms, 100, 600000, "time for one witness to answer, connect included, ms"),
  STR("listen", "tcp", "listen", listen, "plain HTTP listener host:port; empty = none"),
  STR("listen", "tls", "tls-listen", tls_listen, "HTTPS listener host:port; empty = none"),
  STR("listen", "unix", "unix", unix_path, "Unix socket path; empty = none"),
  STR("listen", "trusted_proxies", "trusted-proxies", trusted_proxies, "proxy addresses (comma-separated) whose X-Forwarded-For last hop counts as the peer"),
  NUM("listen", "unix_mode", "unix-mode", PROTO_CONF_MODE, unix_mode, 0, 0777, "octal permissions of the Unix socket"),
  STR("tls", "cert", "tls-cert", tls_cert, "server certificate chain (PEM)"),
  STR("tls", "key", "tls-key", tls_key, "server private key (PEM)"),
  STR("tls", "client_ca", "tls-client-ca", tls_client_ca, "CA bundle for client certificates; empty = not asked"),
  NUM("tls", "client_cert_required", "tls-client-cert-required", PROTO_CONF_BOOL, tls_client_cert_required, 0, 1, "refuse TLS clients without a certificate"),
  STR("log", "file", "log-file", log_file, "log file; empty = stderr"),
  NUM("log", "level", "log-level", PROTO_CONF_LEVEL, log_level, 3, 7, "err, warning, notice, info or debug"),
  STR("log", "format", "log-format", log_format, "auto, journal, text, logfmt or json"),
  NUM("log", "access", "access-log", PROTO_CONF_BOOL, access_log, 0, 1, "one line per request at info"),
  STR("metrics", "listen", "metrics-listen", metrics_listen, "host:port serving only /metrics and /healthz, to whoever reaches it; empty = none"),
  STR("metrics", "token_file", "metrics-token-file", metrics_token_file, "file holding the bearer token that reads /metrics over any listener; empty = none"),
  NUM("auth", "window_s", "auth-window-s", PROTO_CONF_U32, auth_window_s, 1, 3600, "signed read header: seconds from the server clock"),
  NUM("web", "public_pages", "public-pages", PROTO_CONF_BOOL, public_pages, 0, 1, "serve the public pages and the verifier at /"),
  STR("web", "web_dir", "web-dir", web_dir, "public pages from this directory (e.g. /usr/share/quotad/web); empty = the copy built into quotad"),
  NUM("limits", "connections_max", "connections-max", PROTO_CONF_U32, limits.connections_max, 1, 1000000, "open connections"),
  NUM("limits", "header_bytes_max", "header-bytes-max", PROTO_CONF_U32, limits.header_bytes_max, 256, 1u << 20, "bytes of request line and headers"),
  NUM("limits", "request_bytes_max", "request-bytes-max", PROTO_CONF_U64, limits.request_bytes_max, 1024, 1u << 30, "bytes of one request body"),
  NUM("limits", "tx_per_request_max", "tx-per-request-max", PROTO_CONF_U32, limits.tx_per_request_max, 1, 100000, "envelopes in one POST /v1/tx"),
  NUM("limits", "idle_timeout_ms", "idle-timeout-ms", PROTO_CONF_U32, limits.idle_timeout_ms, 100, 86400000, "idle connection lifetime, ms"),
  NUM("limits", "request_timeout_ms", "request-timeout-ms", PROTO_CONF_U32, limits.request_timeout_ms, 100, 3600000, "time to receive one whole request, ms"),
  NUM("limits", "batch_entries_max", "batch-entries-max", PROTO_CONF_U32, limits.batch_entries_max, 1, LEDGER_BATCH_SUBMISSIONS_MAX, "envelopes per group commit"),
  NUM("limits", "batch_delay_ms", "batch-delay-ms", PROTO_CONF_U32, limits.batch_delay_ms, 0, 10000, "a batch closes this long after its first envelope, ms"),
  NUM("limits", "pipeline_max", "pipeline-max", PROTO_CONF_U32, limits.pipeline_max, 1, 10000, "parsed requests queued per connection before reads pause"),
  NUM("limits", "conn_output_bytes_max", "conn-output-bytes-max", PROTO_CONF_U64, limits.conn_output_bytes_max, 4096, 1u << 30, "unsent answer bytes per connection before reads pause"),
  NUM("limits", "header_timeout_ms", "header-timeout-ms", PROTO_CONF_U32, limits.header_timeout_ms, 100, 3600000, "time to receive a request header, from connect or the request's first byte, ms"),
  NUM("limits", "connections_per_peer_max", "connections-per-peer-max", PROTO_CONF_U32, limits.connections_per_peer_max, 1, 1000000, "open connections of one peer address"),
};
#define OPTS_COUNT (sizeof opts / sizeof opts[0])

void daemon_config_defaults(struct daemon_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  strcpy(cfg->data_dir, "/var/lib/quotad");
  strcpy(cfg->listen, "127.0.0.1:8420");
  cfg->unix_mode = 0660;
  cfg->log_level = DAEMON_LOG_INFO;
  strcpy(cfg->log_format, "auto");
  cfg->auth_window_s = 300;
  cfg->check_interval_s = 86400;
  cfg->public_pages = true;
  cfg->standby_timeout_ms = 2000;
  cfg->checkpoint_interval_ms = 250;
  cfg->witness_timeout_ms = 5000;
  cfg->limits = (struct daemon_limits){
    .connections_max = 1024,
    .header_bytes_max = 16384,
    .request_bytes_max = 8u << 20,
    .tx_per_request_max = 1000,
    .idle_timeout_ms = 60000,
    .request_timeout_ms = 10000,
    .batch_entries_max = 8189,
    .batch_delay_ms = 2,
    .pipeline_max = 64,
    .conn_output_bytes_max = 1u << 20,
    .header_timeout_ms = 5000,
    .connections_per_peer_max = 512,
  };
}

int daemon_config_set(struct daemon_config *cfg, const char *section, const char *name,
                      const char *value, char *why, size_t why_cap) {
  const struct proto_conf_opt *o = proto_conf_find(opts, OPTS_COUNT, section, name);
  if (!o) {
    snprintf(why, why_cap, "unknown option %s.%s", section, name);
    return PROTO_E_BAD_ARGUMENT;
  }
  return proto_conf_set(cfg, o, value, why, why_cap) ? PROTO_E_BAD_ARGUMENT : 0;
}

struct ini_ctx {
  struct daemon_config *cfg;
  char *why;
  size_t why_cap;
  int err;
};

static int config_ini_line(void *user, const char *section, const char *name, const char *value) {
  struct ini_ctx *c = user;
  if (c->err) return 0;
  c->err = daemon_config_set(c->cfg, section, name, value, c->why, c->why_cap);
  return c->err == 0;
}

int daemon_config_load(struct daemon_config *cfg, const char *path, char *why, size_t why_cap) {
  FILE *f = fopen(path, "re");
  if (!f) {
    int err = -errno;
    snprintf(why, why_cap, "%s: %s", path, strerror(-err));
    return err;
  }
  char inner[512] = "";
  struct ini_ctx c = {cfg, inner, sizeof inner, 0};
  int line = ini_parse_file(f, config_ini_line, &c);
  fclose(f);
  if (line != 0) {
    snprintf(why, why_cap, "%s:%d: %s", path, line, inner[0] ? inner : "syntax error");
    return PROTO_E_BAD_ARGUMENT;
  }
  return 0;
}

int daemon_config_check(const struct daemon_config *cfg, char *why, size_t why_cap) {
  const struct daemon_limits *l = &cfg->limits;
  if (!cfg->data_dir[0]) {
    snprintf(why, why_cap, "ledger.data_dir is empty");
    return PROTO_E_BAD_ARGUMENT;
  }
  if (l->tx_per_request_max > l->batch_entries_max) {
    /* A request's envelopes join one batch together, so a batch must be able to hold one. */
    snprintf(why, why_cap, "limits.tx_per_request_max (%u) exceeds limits.batch_entries_max (%u)",
             l->tx_per_request_max, l->batch_entries_max);
    return PROTO_E_BAD_ARGUMENT;
  }
  if (cfg->tls_listen[0] && (!cfg->tls_cert[0] || !cfg->tls_key[0])) {
    snprintf(why, why_cap, "listen.tls needs tls.cert and tls.key");
    return PROTO_E_BAD_ARGUMENT;
  }
  if (cfg->tls_client_cert_required && !cfg->tls_client_ca[0]) {
    snprintf(why, why_cap, "tls.client_cert_required needs tls.client_ca");
    return PROTO_E_BAD_ARGUMENT;
  }
  if (daemon_log_format_parse(cfg->log_format) < 0) {
    snprintf(why, why_cap, "log.format is auto, journal, text, logfmt or json, not '%s'", cfg->log_format);
    return PROTO_E_BAD_ARGUMENT;
  }
  uint8_t proxies[DAEMON_TRUSTED_PROXIES_MAX][DAEMON_PEER_BYTES];
  if (daemon_peer_list_parse(cfg->trusted_proxies, proxies, DAEMON_TRUSTED_PROXIES_MAX) < 0) {
    snprintf(why, why_cap, "listen.trusted_proxies: want at most %u IPv4 or IPv6 addresses",
             DAEMON_TRUSTED_PROXIES_MAX);
    return PROTO_E_BAD_ARGUMENT;
  }
  if (!cfg->listen[0] && !cfg->tls_listen[0] && !cfg->unix_path[0]) {
    snprintf(why, why_cap, "no listener: set listen.tcp, listen.tls or listen.unix");
    return PROTO_E_BAD_ARGUMENT;
  }
  return 0;
}

static void print_help(void) {
  printf("Usage: quotad [--config FILE] [options]\n"
         "quotad serves a carbon-allowance registry ledger over HTTP/1.1 (TCP, TLS, Unix socket).\n\n"
         "  --config FILE          INI file read first; flags below override it\n"
         "  --check-config         check the configuration, the log key and the data directory,\n"
         "                         then exit (0: ready to start, 2: what is wrong)\n"
         "  --help, --version\n");
  for (size_t i = 0; i < OPTS_COUNT; i++) {
    const struct proto_conf_opt *o = &opts[i];
    if (!o->flag) continue;
    char left[64];
    snprintf(left, sizeof left, "--%s%s", o->flag, o->kind == PROTO_CONF_BOOL ? "[=BOOL]" : " VALUE");
    printf("  %-34s %s  [%s] %s\n", left, o->help, o->section, o->name);
  }
  printf("\nSignals: SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file and reloads TLS.\n"
         "See docs/CONFIG.md.\n");
}

/* The command line, kept for SIGHUP: a reload reads the file again under the same flags. */
static int saved_argc;
static char **saved_argv;

int daemon_config_from_args(struct daemon_config *cfg, int argc, char **argv) {
  saved_argc = argc;
  saved_argv = argv;
  struct option longs[OPTS_COUNT + 5];
  size_t n = proto_conf_long_options(opts, OPTS_COUNT, 256, longs);
  longs[n++] = (struct option){"config", required_argument, NULL, 'c'};
  longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
  longs[n++] = (struct option){"version", no_argument, NULL, 'V'};
  longs[n++] = (struct option){"check-config", no_argument, NULL, 'k'};
  longs[n] = (struct option){0};
  char why[600] = "";
  bool check_only = false;
  /* First pass: only --config, so the file is under every other flag. */
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    if (c == 'h') { print_help(); return 1; }
    if (c == 'V') { printf("quotad %s\n", QUOTAD_VERSION); return 1; }
    if (c == 'k') check_only = true;
    if (c == 'c' && daemon_config_load(cfg, optarg, why, sizeof why)) {
      fprintf(stderr, "quotad: %s\n", why);
      return PROTO_E_BAD_ARGUMENT;
    }
    if (c == '?' || c == ':') {
      fprintf(stderr, "quotad: bad option %s (see --help)\n", argv[optind - 1]);
      return PROTO_E_BAD_ARGUMENT;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "quotad: unexpected argument %s\n", argv[optind]);
    return PROTO_E_BAD_ARGUMENT;
  }
  optind = 1;
  while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
    if (c < 256) continue;
    const struct proto_conf_opt *o = &opts[c - 256];
    if (proto_conf_set(cfg, o, optarg ? optarg : "true", why, sizeof why)) {
      fprintf(stderr, "quotad: --%s: %s\n", o->flag, why);
      return PROTO_E_BAD_ARGUMENT;
    }
  }
  if (daemon_config_check(cfg, why, sizeof why)) {
    fprintf(stderr, "quotad: %s\n", why);
    return PROTO_E_BAD_ARGUMENT;
  }
  return check_only ? DAEMON_CONFIG_CHECK_ONLY : 0;
}

/* Options a running quotad takes on SIGHUP; the rest need a restart (listeners, the data
 * directory, keys, TLS files are reloaded apart by the TLS reload). */
static bool opt_reloadable(const struct proto_conf_opt *o) {
  if (strcmp(o->section, "limits") == 0) return strcmp(o->name, "batch_entries_max") != 0;
  if (strcmp(o->section, "log") == 0) return strcmp(o->name, "file") != 0;
  return strcmp(o->section, "ledger") == 0 && strcmp(o->name, "public_log") == 0;
}

int daemon_config_reload(struct daemon_config *live, char *said, size_t cap) {
  static struct daemon_config fresh; /* large: not on the loop's stack */
  daemon_config_defaults(&fresh);
  said[0] = '\0';
  if (!saved_argv || daemon_config_from_args(&fresh, saved_argc, saved_argv) != 0) {
    snprintf(said, cap, "the configuration does not load: nothing changed");
    return PROTO_E_BAD_ARGUMENT;
  }
  size_t n = 0;
  for (size_t i = 0; i < OPTS_COUNT && n + 1 < cap; i++) {
    const struct proto_conf_opt *o = &opts[i];
    char was[300], now[300];
    proto_conf_text(live, o, was, sizeof was);
    proto_conf_text(&fresh, o, now, sizeof now);
    if (strcmp(was, now) == 0) continue;
    bool take = opt_reloadable(o);
    if (take) memcpy((char *)live + o->offset, (const char *)&fresh + o->offset, proto_conf_field_bytes(o));
    int m = snprintf(said + n, cap - n, "%s%s.%s %s -> %s%s", n ? "; " : "", o->section, o->name,
                     was, now, take ? "" : " (at the next restart)");
    if (m > 0) n += (size_t)m < cap - n ? (size_t)m : cap - n - 1;
  }
  if (n == 0) snprintf(said, cap, "nothing changed");
  return 0;
}
