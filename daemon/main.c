/* main: quotad's entry point: options, then the server. */
#include "daemon/daemon.h"

int main(int argc, char **argv) {
  static struct daemon_config cfg;
  daemon_config_defaults(&cfg);
  int rc = daemon_config_from_args(&cfg, argc, argv);
  if (rc == 1) return 0;
  if (rc == DAEMON_CONFIG_CHECK_ONLY) return daemon_check_config(&cfg) ? 2 : 0;
  if (rc) return 2;
  return daemon_run(&cfg);
}
