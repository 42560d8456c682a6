/* quota-audit's replay driven one decoded transaction at a time (audit_replay_tx): the rule
 * tests of audit_replay_tests.h. */
#include "tests/unit/audit_replay_tests.h"
