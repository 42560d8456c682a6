/* Unit tests of the Prometheus rendering: counters by label, cumulative histogram buckets. */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon/daemon.h"

Test(metrics, counts_requests_results_and_batches) {
  daemon_metrics_request(DAEMON_EP_TX, 200);
  daemon_metrics_request(DAEMON_EP_TX, 200);
  daemon_metrics_request(DAEMON_EP_KEYS, 401);
  daemon_metrics_tx_result(0);
  daemon_metrics_tx_result(PROTO_E_INSUFFICIENT_BALANCE);
  daemon_metrics_tx_result(PROTO_E_INSUFFICIENT_BALANCE);
  daemon_metrics_batch(3, 1500);   /* 3 entries, 1.5 ms */
  daemon_metrics_batch(100, 700);
  daemon_metrics_fence(250, 12000); /* waited 0.25 ms for the fence, 12 ms in it */
  daemon_metrics_fence(0, 3500);
  daemon_metrics_standby_append(4000, 9000, 120); /* asked 4 ms, appended 120 entries in 9 ms */
  daemon_metrics_standby_append(1000, 2000, 30);
  daemon_metrics_standby_verify(15000, 150);
  struct daemon_buf b = {0};
  struct daemon_gauges g = {.tree_size = 42, .published_size = 40, .checkpoint_age_s = 7,
                            .connections = 3, .map_bytes = 1 << 20, .map_used_bytes = 4096,
                            .map_bytes_max = 1 << 30, .start_time_s = 1700000000};
  cr_assert_eq(daemon_metrics_render(&b, &g), 0);
  const char *want[] = {
    "quotad_requests_total{endpoint=\"tx\",status=\"200\"} 2\n",
    "quotad_requests_total{endpoint=\"keys\",status=\"401\"} 1\n",
    "quotad_tx_results_total{result=\"ok\"} 1\n",
    "quotad_tx_results_total{result=\"insufficient_balance\"} 2\n",
    "quotad_batch_entries_bucket{le=\"2\"} 0\n",
    "quotad_batch_entries_bucket{le=\"4\"} 1\n",
    "quotad_batch_entries_bucket{le=\"128\"} 2\n",
    "quotad_batch_entries_bucket{le=\"+Inf\"} 2\n",
    "quotad_batch_entries_sum 103\n",
    "quotad_commit_seconds_bucket{le=\"0.0005\"} 0\n",
    "quotad_commit_seconds_bucket{le=\"0.001\"} 1\n",
    "quotad_commit_seconds_bucket{le=\"0.002\"} 2\n",
    "quotad_commit_seconds_sum 0.002200\n",
    "quotad_fence_seconds_sum 0.015500\n",
    "quotad_fence_seconds_count 2\n",
    "quotad_fence_queued_seconds_sum 0.000250\n",
    "quotad_standby_appends_total 2\n",
    "quotad_standby_appended_entries_total 150\n",
    "quotad_standby_ask_seconds_sum 0.005000\n",
    "quotad_standby_append_seconds_sum 0.011000\n",
    "quotad_standby_verify_seconds_sum 0.015000\n",
    "quotad_standby_verified_entries_total 150\n",
    "quotad_tree_size 42\n",
    "quotad_checkpoint_age_seconds 7\n",
    "quotad_connections 3\n",
    "quotad_unpublished_entries 2\n",
    "quotad_lmdb_map_bytes_max 1073741824\n",
    "quotad_lmdb_used_bytes 4096\n",
    "process_start_time_seconds 1700000000\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    cr_assert_not_null(strstr(b.data, want[i]), "missing: %s", want[i]);
  daemon_buf_free(&b);
}

Test(metrics, every_endpoint_has_a_name) {
  for (unsigned e = 0; e < DAEMON_EP_COUNT; e++) cr_assert_not_null(daemon_endpoint_name(e));
  cr_assert_str_eq(daemon_endpoint_name(DAEMON_EP_COUNT + 5), "other");
}
