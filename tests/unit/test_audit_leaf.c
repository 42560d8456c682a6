/* Every rule test of audit_replay_tests.h again, but through real leaves: each step is encoded,
 * signed with real Ed25519 keys and replayed by audit_replay_leaf (decode, canonical re-encode,
 * signature verification, rules), as a rogue writer's log would be. */
#define W_LEAF_MODE true
#include "tests/unit/audit_replay_tests.h"
