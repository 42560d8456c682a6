/* main: quotad's entry point: options, then the server. */
#include <string.h>

#include "daemon/daemon.h"
#include "ledger/ledger.h"

int main(int argc, char **argv) {
  /* The periodic store check re-executes quotad in this mode (ledger_check_dir's exec_path). */
  if (argc == 4 && strcmp(argv[1], LEDGER_CHECK_CHILD_FLAG) == 0)
    return ledger_check_child_main(argv[2], argv[3]);
  static struct daemon_config cfg;
  daemon_config_defaults(&cfg);
  int rc = daemon_config_from_args(&cfg, argc, argv);
  if (rc == 1) return 0;
  if (rc == DAEMON_CONFIG_CHECK_ONLY) return daemon_check_config(&cfg) ? 2 : 0;
  if (rc) return 2;
  return daemon_run(&cfg);
}
