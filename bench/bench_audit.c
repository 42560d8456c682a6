/* bench_audit: writes a large signed export (genesis, accounts, keys, allocations, then random
 * transfers between enterprises) and runs quota-audit on it with 1 and 2 signature threads,
 * printing its entries/s. Usage: bench_audit [--entries N] [--accounts A] [--out FILE]. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "ledger/ledger.h"

#define ORIGIN "bench.quotad/audit"
#define PROVINCE 44u
#define PROVINCIAL 4400u
#define FIRST_ENTERPRISE 100000u

struct gen {
  FILE *f;
  uint8_t (*hashes)[PROTO_HASH_BYTES];
  uint64_t count, cap, seq;
  char *b64;
};

static void die(const char *what) {
  fprintf(stderr, "bench_audit: %s\n", what);
  exit(2);
}

static void emit(struct gen *g, struct proto_tx *tx, struct proto_key *const *keys, size_t n) {
  static uint8_t body[PROTO_ENTRY_BYTES_MAX], env_bytes[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  g->seq++;
  for (unsigned i = 0; i < 8; i++) tx->id[8 + i] = (uint8_t)(g->seq >> (56 - 8 * i));
  long len = proto_tx_encode(tx, body, sizeof(body));
  if (len <= 0) die("encode");
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)len};
  for (size_t i = 0; i < n; i++)
    if (proto_envelope_sign(&env, ORIGIN, keys[i])) die("sign");
  long env_len = proto_envelope_encode(&env, env_bytes, sizeof(env_bytes));
  struct proto_entry e = {.index = g->count, .time_ms = 1767225600000u + g->count,
                          .envelope = env_bytes, .envelope_len = (uint16_t)env_len};
  long leaf_len = proto_entry_encode(&e, leaf, sizeof(leaf));
  if (env_len <= 0 || leaf_len <= 0) die("entry");
  if (g->count == g->cap) {
    g->cap = g->cap ? g->cap * 2 : 1 << 16;
    g->hashes = realloc(g->hashes, g->cap * PROTO_HASH_BYTES);
    if (!g->hashes) die("out of memory");
  }
  tlog_leaf_hash(leaf, (size_t)leaf_len, g->hashes[g->count]);
  proto_base64_encode(leaf, (size_t)leaf_len, g->b64, PROTO_ENTRY_BYTES_MAX * 2);
  fprintf(g->f, "{\"index\":%llu,\"leaf\":\"%s\"}\n", (unsigned long long)g->count, g->b64);
  g->count++;
}

static struct proto_key *seeded(unsigned i) {
  uint8_t seed[PROTO_SEED_BYTES] = {0};
  for (unsigned b = 0; b < 4; b++) seed[b] = (uint8_t)(i >> (8 * b));
  seed[31] = 0x5a;
  return proto_key_from_seed(seed);
}

static void setup_registry(struct gen *g, struct proto_key *log, struct proto_key *op,
                           struct proto_key *auth, struct proto_key **reps, unsigned accounts) {
  struct proto_tx tx = {.type = PROTO_TX_GENESIS};
  strcpy(tx.u.genesis.origin, ORIGIN);
  proto_key_public(log, tx.u.genesis.log_public_key);
  tx.u.genesis.national_account = 1;
  tx.u.genesis.operator_threshold = 1;
  tx.u.genesis.operator_keys_count = 1;
  proto_key_public(op, tx.u.genesis.operator_keys[0]);
  emit(g, &tx, &log, 1);
  tx = (struct proto_tx){.type = PROTO_TX_KEY_REGISTER};
  proto_key_public(auth, tx.u.key_register.public_key);
  tx.u.key_register.role = PROTO_ROLE_AUTHORITY;
  tx.u.key_register.scope = PROVINCE;
  strcpy(tx.u.key_register.name, "authority");
  emit(g, &tx, &op, 1);
  tx = (struct proto_tx){.type = PROTO_TX_ACCOUNT_OPEN};
  tx.u.account = (struct proto_account){.account = PROVINCIAL, .kind = PROTO_ACCOUNT_PROVINCIAL,
                                        .province = PROVINCE, .threshold = 1, .name = "province"};
  emit(g, &tx, &op, 1);
  tx = (struct proto_tx){.type = PROTO_TX_INSTRUMENT_CREATE};
  tx.u.instrument = (struct proto_instrument_create){"CEA-2025", PROTO_INSTRUMENT_CEA, 2025,
                                                     PROTO_AMOUNT_MAX, 2025, 2100};
  emit(g, &tx, &op, 1);
  tx = (struct proto_tx){.type = PROTO_TX_ISSUE};
  strcpy(tx.u.move.instrument, "CEA-2025");
  tx.u.move.amount = (uint64_t)accounts * 1000000u;
  emit(g, &tx, &op, 1);
  tx = (struct proto_tx){.type = PROTO_TX_ALLOCATE};
  tx.u.move = (struct proto_movement){.from = 1, .to = PROVINCIAL, .instrument = "CEA-2025",
                                      .amount = (uint64_t)accounts * 1000000u, .year = 2025,
                                      .kind = PROTO_ALLOC_FINAL};
  emit(g, &tx, &op, 1);
  for (unsigned a = 0; a < accounts; a++) {
    tx = (struct proto_tx){.type = PROTO_TX_ACCOUNT_OPEN};
    tx.u.account = (struct proto_account){.account = FIRST_ENTERPRISE + a, .kind = PROTO_ACCOUNT_ENTERPRISE,
                                          .province = PROVINCE, .sector = PROTO_SECTOR_CEMENT,
                                          .threshold = 1, .name = "enterprise"};
    snprintf(tx.u.account.uscc, sizeof(tx.u.account.uscc), "914403007%08u", a);
    tx.u.account.uscc[17] = proto_uscc_check_char(tx.u.account.uscc);
    emit(g, &tx, &op, 1);
    tx = (struct proto_tx){.type = PROTO_TX_KEY_REGISTER};
    proto_key_public(reps[a], tx.u.key_register.public_key);
    tx.u.key_register.role = PROTO_ROLE_REPRESENTATIVE;
    tx.u.key_register.scope = FIRST_ENTERPRISE + a;
    strcpy(tx.u.key_register.name, "representative");
    emit(g, &tx, &op, 1);
    tx = (struct proto_tx){.type = PROTO_TX_ALLOCATE};
    tx.u.move = (struct proto_movement){.from = PROVINCIAL, .to = FIRST_ENTERPRISE + a,
                                        .instrument = "CEA-2025", .amount = 1000000u, .year = 2025,
                                        .kind = PROTO_ALLOC_FINAL};
    emit(g, &tx, &auth, 1);
  }
}

int main(int argc, char **argv) {
  unsigned long long entries = 100000;
  unsigned accounts = 1000;
  const char *out = "/tmp/quota-audit-bench.jsonl";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--entries") == 0) entries = strtoull(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--accounts") == 0) accounts = (unsigned)strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--out") == 0) out = argv[i + 1];
  }
  if (accounts < 2 || accounts > 100000) die("--accounts: 2..100000");
  struct gen g = {.f = fopen(out, "w"), .b64 = malloc(PROTO_ENTRY_BYTES_MAX * 2)};
  if (!g.f || !g.b64) die("cannot write the export");
  /* The header comes last: write the leaves after a placeholder line of fixed room. */
  fprintf(g.f, "%2047s\n", "");
  struct proto_key *log = seeded(1), *op = seeded(2), *auth = seeded(3);
  struct proto_key **reps = calloc(accounts, sizeof(*reps)); // NOLINT(bugprone-sizeof-expression)
  if (!reps) die("out of memory");
  for (unsigned a = 0; a < accounts; a++) reps[a] = seeded(1000 + a);
  setup_registry(&g, log, op, auth, reps, accounts);
  srand(42);
  while (g.count < entries) {
    unsigned from = (unsigned)rand() % accounts, to = (from + 1 + (unsigned)rand() % (accounts - 1)) % accounts;
    struct proto_tx tx = {.type = PROTO_TX_TRANSFER};
    tx.u.move = (struct proto_movement){.from = FIRST_ENTERPRISE + from, .to = FIRST_ENTERPRISE + to,
                                        .instrument = "CEA-2025", .amount = 1 + (uint64_t)(rand() % 10)};
    emit(&g, &tx, &reps[from], 1);
  }
  struct tlog_checkpoint cp = {.size = g.count};
  strcpy(cp.origin, ORIGIN);
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])g.hashes, g.count, cp.root);
  char note[TLOG_CHECKPOINT_BYTES_MAX], vk[TLOG_VERIFIER_KEY_BYTES_MAX];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(log, pub);
  if (tlog_checkpoint_sign(&cp, ORIGIN, log, note, sizeof(note)) <= 0 ||
      tlog_verifier_key(ORIGIN, pub, vk, sizeof(vk)) <= 0)
    die("checkpoint");
  json_t *h = json_pack("{s:s, s:s, s:s, s:I, s:s}", "format", "quotad-export/1", "origin", ORIGIN,
                        "verifier_key", vk, "tree_size", (json_int_t)g.count, "checkpoint", note);
  char *line = json_dumps(h, JSON_COMPACT);
  fseek(g.f, 0, SEEK_SET);
  fprintf(g.f, "%-2047s", line); /* JSON allows the trailing spaces */
  fclose(g.f);
  free(line);
  json_decref(h);
  printf("export: %s, %llu entries, %u accounts\n", out, (unsigned long long)g.count, accounts);
  char cmd[4096], self[1024];
  snprintf(self, sizeof(self), "%s", argv[0]);
  for (unsigned threads = 1; threads <= 2; threads++) {
    snprintf(cmd, sizeof(cmd), "%s/../tools/quota-audit --export '%s' --verifier-key '%s' --threads %u --quiet | grep -E 'rate|verdict'",
             dirname(self), out, vk, threads);
    snprintf(self, sizeof(self), "%s", argv[0]);
    if (system(cmd) != 0) fprintf(stderr, "bench_audit: quota-audit failed\n");
  }
  for (unsigned a = 0; a < accounts; a++) proto_key_free(reps[a]);
  free(reps);
  proto_key_free(log);
  proto_key_free(op);
  proto_key_free(auth);
  free(g.hashes);
  free(g.b64);
  return 0;
}
