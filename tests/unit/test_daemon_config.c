/* Unit tests of quotad's configuration: defaults, the INI file, flags over the file, limits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"

static char path[64];

static void write_conf(const char *text) {
  strcpy(path, "/tmp/quotad-conf-XXXXXX");
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

Test(config, defaults_pass_the_check) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  char why[256];
  cr_assert_eq(daemon_config_check(&c, why, sizeof why), 0);
  cr_assert_eq(c.limits.batch_entries_max, 8189);
  cr_assert_eq(c.limits.batch_delay_ms, 2);
  cr_assert_eq(c.auth_window_s, 300);
}

Test(config, reads_an_ini_file) {
  write_conf("[ledger]\ndata_dir = /tmp/x\npublic_log = true\n[limits]\nconnections_max = 7\n"
             "request_bytes_max = 2048\n[listen]\nunix = /tmp/q.sock\nunix_mode = 0600\n[log]\nlevel = debug\n");
  struct daemon_config c;
  daemon_config_defaults(&c);
  char why[256] = "";
  cr_assert_eq(daemon_config_load(&c, path, why, sizeof why), 0, "%s", why);
  unlink(path);
  cr_assert_str_eq(c.data_dir, "/tmp/x");
  cr_assert(c.public_log);
  cr_assert_eq(c.limits.connections_max, 7);
  cr_assert_eq(c.limits.request_bytes_max, 2048);
  cr_assert_str_eq(c.unix_path, "/tmp/q.sock");
  cr_assert_eq(c.unix_mode, 0600);
  cr_assert_eq(c.log_level, DAEMON_LOG_DEBUG);
}

Test(config, refuses_unknown_options_and_bad_values_with_the_line) {
  write_conf("[limits]\nconnections_max = 7\nconnections_maxx = 1\n");
  struct daemon_config c;
  daemon_config_defaults(&c);
  char why[256] = "";
  cr_assert_eq(daemon_config_load(&c, path, why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_not_null(strstr(why, ":3:"), "%s", why);
  unlink(path);
  cr_assert_eq(daemon_config_set(&c, "limits", "connections_max", "-1", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "limits", "connections_max", "0", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "limits", "connections_max", "12x", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "ledger", "public_log", "maybe", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(c.limits.connections_max, 7); /* unchanged by the refusals */
}

Test(config, refuses_a_request_larger_than_a_batch) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  c.limits.tx_per_request_max = 10;
  c.limits.batch_entries_max = 5;
  char why[256];
  cr_assert_eq(daemon_config_check(&c, why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_not_null(strstr(why, "tx_per_request_max"));
}

Test(config, refuses_tls_without_cert_and_key) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  strcpy(c.tls_listen, "127.0.0.1:8443");
  char why[256];
  cr_assert_eq(daemon_config_check(&c, why, sizeof why), PROTO_E_BAD_ARGUMENT);
}

Test(config, flags_override_the_file) {
  write_conf("[ledger]\ndata_dir = /tmp/fromfile\n[limits]\nbatch_delay_ms = 9\n");
  struct daemon_config c;
  daemon_config_defaults(&c);
  char *argv[] = {"quotad", "--batch-delay-ms", "3", "--config", path, "--public-log", NULL};
  cr_assert_eq(daemon_config_from_args(&c, 6, argv), 0);
  unlink(path);
  cr_assert_str_eq(c.data_dir, "/tmp/fromfile");
  cr_assert_eq(c.limits.batch_delay_ms, 3);
  cr_assert(c.public_log);
}

Test(config, refuses_a_batch_larger_than_the_ledger_takes) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  char why[256];
  cr_assert_eq(daemon_config_set(&c, "limits", "batch_entries_max", "65537", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(c.limits.batch_entries_max, 8189);
  cr_assert_eq(daemon_config_set(&c, "limits", "batch_entries_max", "65536", why, sizeof why), 0);
}

Test(config, hostile_client_limits_have_defaults_and_ranges) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  cr_assert_eq(c.limits.conn_output_bytes_max, 1u << 20);
  cr_assert_eq(c.limits.header_timeout_ms, 5000);
  cr_assert_eq(c.limits.connections_per_peer_max, 512);
  char why[256];
  cr_assert_eq(daemon_config_set(&c, "limits", "conn_output_bytes_max", "100", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "limits", "header_timeout_ms", "50", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "limits", "connections_per_peer_max", "0", why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(daemon_config_set(&c, "limits", "connections_per_peer_max", "8", why, sizeof why), 0);
  cr_assert_eq(c.limits.connections_per_peer_max, 8);
}

Test(config, refuses_a_trusted_proxy_that_is_not_an_address) {
  struct daemon_config c;
  daemon_config_defaults(&c);
  char why[256];
  cr_assert_eq(daemon_config_set(&c, "listen", "trusted_proxies", "127.0.0.1, ::1", why, sizeof why), 0);
  cr_assert_eq(daemon_config_check(&c, why, sizeof why), 0);
  cr_assert_eq(daemon_config_set(&c, "listen", "trusted_proxies", "127.0.0.1, proxy.example", why, sizeof why), 0);
  cr_assert_eq(daemon_config_check(&c, why, sizeof why), PROTO_E_BAD_ARGUMENT);
  cr_assert_not_null(strstr(why, "trusted_proxies"));
}

Test(config, invariant_period_within_the_ledger_limit) {
  struct daemon_config c;
  char why[256];
  daemon_config_defaults(&c);
  cr_assert_eq(c.invariants_every_batches, 0, "0: the ledger's default");
  cr_assert_eq(daemon_config_set(&c, "ledger", "invariants_every_batches", "1", why, sizeof why), 0);
  cr_assert_eq(c.invariants_every_batches, 1);
  cr_assert_eq(daemon_config_set(&c, "ledger", "invariants_every_batches", "1000001", why, sizeof why),
               PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(c.invariants_every_batches, 1, "a refused value changes nothing");
}
