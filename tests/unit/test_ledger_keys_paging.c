/* Unit tests of ledger_keys' paging: a registry has more keys than any one page (it stopped at
 * 4,096 before), and every key comes back exactly once, in hash order. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_fixture.h"

enum { EXTRA_KEYS = 5000, PAGE = 1000 };

/* Registers EXTRA_KEYS representative keys of FX_ENT_A in one batch. */
static void register_many(struct fx *f) {
  struct ledger_submission *subs = calloc(EXTRA_KEYS, sizeof *subs);
  uint8_t *envs = malloc((size_t)EXTRA_KEYS * 512);
  cr_assert(subs && envs);
  for (uint32_t i = 0; i < EXTRA_KEYS; i++) {
    uint8_t seed[PROTO_SEED_BYTES] = {0x5e, 0xed};
    memcpy(seed + 4, &i, sizeof i);
    struct proto_key *k = proto_key_from_seed(seed);
    struct proto_tx tx;
    fx_register_tx(f, &tx, k, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A);
    subs[i].envelope = envs + (size_t)i * 512;
    subs[i].envelope_len = fx_envelope(&tx, FX_SIGNERS(f->op[0]), 1, FX_ORIGIN, envs + (size_t)i * 512, 512);
    proto_key_free(k);
  }
  struct ledger_batch_info info;
  cr_assert_eq(ledger_apply(f->l, subs, EXTRA_KEYS, f->time_ms, &info), 0);
  for (uint32_t i = 0; i < EXTRA_KEYS; i++) cr_assert_eq(subs[i].result, 0, "key %u: %s", i, proto_err_name(subs[i].result));
  free(subs);
  free(envs);
}

Test(keys, pages_walk_every_key_once_in_hash_order) {
  struct fx f;
  fx_init_genesis(&f, 1, 1);
  fx_world(&f);
  register_many(&f);
  struct ledger_key *k = calloc(PAGE, sizeof *k);
  uint8_t last[PROTO_HASH_BYTES];
  const uint8_t *after = NULL;
  size_t total = 0, pages = 0;
  for (long n = PAGE; n == PAGE; pages++) {
    n = ledger_keys(f.l, after, k, PAGE);
    cr_assert_geq(n, 0);
    for (long i = 0; i < n; i++) {
      if (after || i > 0)
        cr_assert_gt(memcmp(k[i].hash, i ? k[i - 1].hash : last, PROTO_HASH_BYTES), 0, "strictly ascending");
    }
    if (n > 0) memcpy(last, k[n - 1].hash, PROTO_HASH_BYTES);
    after = last;
    total += (size_t)n;
  }
  cr_assert_gt(total, EXTRA_KEYS, "every key, more than 4,096 (%zu)", total);
  cr_assert_eq(pages, total / PAGE + 1);
  cr_assert_eq(ledger_keys(f.l, last, k, PAGE), 0, "nothing after the last key");
  free(k);
  fx_free(&f);
}
