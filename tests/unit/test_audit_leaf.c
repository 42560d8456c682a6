/* Every rule test of test_audit_replay.c again, but through real leaves: each step is encoded,
 * signed with real Ed25519 keys and replayed by audit_replay_leaf (decode, canonical re-encode,
 * signature verification, rules), as a rogue writer's log would be. */
#define W_LEAF_MODE true
#include "test_audit_replay.c"
