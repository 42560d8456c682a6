/* quotactl's pure parts: the CSV reader of the bulk imports, building transactions from flags
 * through proto's field tables, and transaction ids. The network side is covered by
 * tests/integration/test_quotactl_*.sh against a real quotad. */
#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/common/csv.h" /* from the tools' common library, linked into the tests */
/* quotactl's own pure sources are part of no library: compile them into this test */
#include "tools/quotactl_args.c"  // NOLINT(bugprone-suspicious-include)
#include "tools/quotactl_build.c" // NOLINT(bugprone-suspicious-include)

static struct csv_reader rd;

static int open_text(const char *text) {
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  cr_assert_not_null(f);
  return csv_open_stream(&rd, f, "t.csv");
}

Test(csv, reads_quoted_fields_with_commas_and_doubled_quotes) {
  cr_assert_eq(open_text("a,b,c\n1,\"x, \"\"y\"\"\",\n"), 0);
  cr_assert_eq(csv_next(&rd), 1);
  cr_assert_str_eq(csv_get(&rd, 0), "1");
  cr_assert_str_eq(csv_get(&rd, 1), "x, \"y\"");
  cr_assert_str_eq(csv_get(&rd, 2), "");
  cr_assert_eq(csv_next(&rd), 0);
  csv_close(&rd);
}

Test(csv, skips_comments_and_blank_lines_but_counts_them) {
  cr_assert_eq(open_text("# note\na,b\n\n# x\n1,2\n"), 0);
  cr_assert_eq(csv_next(&rd), 1);
  cr_assert_eq(rd.line, 5);
  csv_close(&rd);
}

Test(csv, refuses_a_row_with_the_wrong_number_of_fields_naming_its_line) {
  cr_assert_eq(open_text("a,b\n1,2\n1,2,3\n"), 0);
  cr_assert_eq(csv_next(&rd), 1);
  cr_assert_eq(csv_next(&rd), PROTO_E_BAD_DATA);
  cr_assert(strstr(rd.error, "t.csv:3:") != NULL, "%s", rd.error);
  cr_assert(strstr(rd.error, "3 fields where the header has 2") != NULL, "%s", rd.error);
  csv_close(&rd);
}

Test(csv, refuses_an_unterminated_quote_naming_line_and_column) {
  cr_assert_eq(open_text("a,b\n1,\"open\n"), 0);
  cr_assert_eq(csv_next(&rd), PROTO_E_BAD_DATA);
  cr_assert(strstr(rd.error, "t.csv:2: column 2 (b): unterminated") != NULL, "%s", rd.error);
  csv_close(&rd);
}

Test(csv, names_a_missing_required_column) {
  cr_assert_eq(open_text("account,year\n1,2024\n"), 0);
  static const char *const names[] = {"account", "year", "emissions"};
  int cols[3];
  cr_assert_eq(csv_require(&rd, names, cols, 3), PROTO_E_BAD_DATA);
  cr_assert(strstr(rd.error, "'emissions'") != NULL, "%s", rd.error);
  csv_close(&rd);
}

Test(csv, refuses_duplicate_and_empty_header_names) {
  cr_assert_eq(open_text("a,a\n"), PROTO_E_BAD_DATA);
  cr_assert(strstr(rd.error, "named twice") != NULL, "%s", rd.error);
  cr_assert_eq(open_text("a,,b\n"), PROTO_E_BAD_DATA);
  cr_assert_eq(open_text(""), PROTO_E_BAD_DATA);
}

Test(csv, whole_numbers_refuse_signs_decimals_and_overflow_naming_the_column) {
  cr_assert_eq(open_text("amount\n-5\n1.5\n99999999999999999999\n42\n"), 0);
  uint64_t v = 7;
  const char *want[] = {"not a whole number", "not a whole number", "too large"};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(csv_next(&rd), 1);
    cr_assert_eq(csv_u64(&rd, 0, 1, PROTO_AMOUNT_MAX, &v), PROTO_E_BAD_DATA);
    cr_assert(strstr(rd.error, "column 1 (amount)") != NULL, "%s", rd.error);
    cr_assert(strstr(rd.error, want[i]) != NULL, "%s", rd.error);
    cr_assert_eq(v, 7, "a refused value leaves the output alone");
  }
  cr_assert_eq(csv_next(&rd), 1);
  cr_assert_eq(csv_u64(&rd, 0, 1, PROTO_AMOUNT_MAX, &v), 0);
  cr_assert_eq(v, 42);
  csv_close(&rd);
}

/* Parses argv-style words into options. */
static void opts(struct qopts *o, const char *const *words, int n) {
  cr_assert_eq(qopts_parse(o, n, (char **)words, NULL), 0);
}

static const uint8_t id0[PROTO_ID_BYTES] = {1, 2, 3};

Test(build, transfer_from_flags_decodes_to_the_same_transaction) {
  const char *w[] = {"--from", "101", "--to=102", "--instrument", "CEA-2025", "--amount", "500"};
  struct qopts o;
  opts(&o, w, 7);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_TRANSFER, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)), 0,
               "%s", err);
  struct proto_tx tx;
  cr_assert_eq(proto_tx_from_json(j, &tx, NULL), 0);
  cr_assert_eq(tx.type, PROTO_TX_TRANSFER);
  cr_assert_eq(tx.u.move.from, 101);
  cr_assert_eq(tx.u.move.to, 102);
  cr_assert_eq(tx.u.move.amount, 500);
  cr_assert_str_eq(tx.u.move.instrument, "CEA-2025");
  cr_assert_eq(memcmp(tx.id, id0, PROTO_ID_BYTES), 0);
  proto_tx_free(&tx);
  json_decref(j);
}

Test(build, refuses_a_missing_required_flag_naming_it) {
  const char *w[] = {"--from", "101", "--to", "102", "--instrument", "CEA-2025"};
  struct qopts o;
  opts(&o, w, 6);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_TRANSFER, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)),
               QCTL_EXIT_USAGE);
  cr_assert_null(j);
  cr_assert(strstr(err, "--amount") != NULL, "%s", err);
}

Test(build, refuses_an_option_the_type_lacks) {
  const char *w[] = {"--from", "1", "--to", "2", "--instrument", "X", "--amount", "1", "--year", "2024"};
  struct qopts o;
  opts(&o, w, 10);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_TRANSFER, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)),
               QCTL_EXIT_USAGE);
  cr_assert(strstr(err, "unknown option --year") != NULL, "%s", err);
}

Test(build, refuses_amounts_with_decimals_or_signs) {
  const char *w[] = {"--instrument", "CEA-2025", "--amount", "1789.70"};
  struct qopts o;
  opts(&o, w, 4);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_ISSUE, &o, id0, "column ", NULL, NULL, &j, err, sizeof(err)),
               QCTL_EXIT_USAGE);
  cr_assert(strstr(err, "column amount must be a whole number") != NULL, "%s", err);
}

Test(build, bad_uscc_names_the_check_character_position) {
  const char *w[] = {"--account", "7", "--kind", "enterprise", "--province", "35", "--sector",
                     "steel", "--uscc", "91350100M000100Y44", "--name", "X"};
  struct qopts o;
  opts(&o, w, 12);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_ACCOUNT_OPEN, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)),
               QCTL_EXIT_USAGE);
  cr_assert(strstr(err, "check character (position 18)") != NULL, "%s", err);
  w[9] = "91350100M0I0100Y43";
  opts(&o, w, 12);
  cr_assert_eq(qbuild_tx_json(PROTO_TX_ACCOUNT_OPEN, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)),
               QCTL_EXIT_USAGE);
  cr_assert(strstr(err, "at position 11") != NULL, "%s", err);
}

Test(build, provincial_account_takes_defaults_for_uscc_sector_threshold_and_note) {
  const char *w[] = {"--account", "1044", "--kind", "provincial", "--province", "CN-44", "--name",
                     "Guangdong"};
  struct qopts o;
  opts(&o, w, 8);
  char err[256];
  json_t *j = NULL;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_ACCOUNT_OPEN, &o, id0, "--", NULL, NULL, &j, err, sizeof(err)),
               0, "%s", err);
  struct proto_tx tx;
  const char *where = NULL;
  cr_assert_eq(proto_tx_from_json(j, &tx, &where), 0, "%s", where ? where : "");
  cr_assert_eq(tx.u.account.province, 44);
  cr_assert_eq(tx.u.account.sector, PROTO_SECTOR_NONE);
  cr_assert_eq(tx.u.account.threshold, 1);
  cr_assert_str_eq(tx.u.account.uscc, "");
  proto_tx_free(&tx);
  json_decref(j);
}

static int fake_resolve(void *ctx, const char *ref, uint64_t *id) {
  (*(int *)ctx)++;
  *id = strcmp(ref, "CN-44") == 0 ? 1044 : 555;
  return 0;
}

Test(build, settle_legs_resolve_account_references) {
  const char *w[] = {"--ref", "SHEX-1", "--leg", "91350100M000100Y43:900001:CEA-2024:10", "--leg",
                     "900001:CN-44:CEA-2024:3"};
  struct qopts o;
  opts(&o, w, 6);
  char err[256];
  json_t *j = NULL;
  int calls = 0;
  cr_assert_eq(qbuild_tx_json(PROTO_TX_SETTLE, &o, id0, "--", fake_resolve, &calls, &j, err,
                              sizeof(err)), 0, "%s", err);
  cr_assert_eq(calls, 2, "only references that are not ids go to the registry");
  struct proto_tx tx;
  cr_assert_eq(proto_tx_from_json(j, &tx, NULL), 0);
  cr_assert_eq(tx.u.settle.legs_count, 2);
  cr_assert_eq(tx.u.settle.legs[0].from, 555);
  cr_assert_eq(tx.u.settle.legs[1].to, 1044);
  cr_assert_eq(tx.u.settle.legs[1].amount, 3);
  proto_tx_free(&tx);
  json_decref(j);
  const char *bad[] = {"--ref", "S", "--leg", "1:2:CEA-2024"};
  opts(&o, bad, 4);
  cr_assert_eq(qbuild_tx_json(PROTO_TX_SETTLE, &o, id0, "--", fake_resolve, &calls, &j, err,
                              sizeof(err)), QCTL_EXIT_USAGE);
  cr_assert(strstr(err, "FROM:TO:INSTRUMENT:AMOUNT") != NULL, "%s", err);
}

Test(build, key_fields_accept_hex_base64_and_key_files) {
  struct proto_key *k = proto_key_generate();
  char path[] = "/tmp/qctl-test-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  close(fd);
  unlink(path);
  cr_assert_eq(proto_key_save(k, path), 0);
  uint8_t pub[32], hash[32], got[32];
  proto_key_public(k, pub);
  proto_key_hash(k, hash);
  cr_assert_eq(qbuild_bytes32(path, false, got), 0);
  cr_assert_eq(memcmp(got, pub, 32), 0);
  cr_assert_eq(qbuild_bytes32(path, true, got), 0);
  cr_assert_eq(memcmp(got, hash, 32), 0);
  char hex[65], b64[64];
  proto_hex_encode(pub, 32, hex, sizeof(hex));
  proto_base64_encode(pub, 32, b64, sizeof(b64));
  memset(got, 0, 32);
  cr_assert_eq(qbuild_bytes32(hex, false, got), 0);
  cr_assert_eq(memcmp(got, pub, 32), 0);
  memset(got, 0, 32);
  cr_assert_eq(qbuild_bytes32(b64, false, got), 0);
  cr_assert_eq(memcmp(got, pub, 32), 0);
  cr_assert_eq(qbuild_bytes32("/nonexistent/key", false, got), PROTO_E_BAD_KEY);
  unlink(path);
  proto_key_free(k);
}

Test(build, import_names_map_to_transaction_types) {
  cr_assert_eq(qbuild_type_of("emissions"), PROTO_TX_VERIFIED_EMISSIONS);
  cr_assert_eq(qbuild_type_of("accounts"), PROTO_TX_ACCOUNT_OPEN);
  cr_assert_eq(qbuild_type_of("allocations"), PROTO_TX_ALLOCATE);
  cr_assert_eq(qbuild_type_of("settle"), PROTO_TX_SETTLE);
  cr_assert_eq(qbuild_type_of("carry-over"), PROTO_TX_CARRY_OVER);
  cr_assert_eq(qbuild_type_of("genesis"), 0, "the genesis is not importable");
  cr_assert_eq(qbuild_type_of("nonsense"), 0);
}

Test(ids, time_ordered_ids_start_with_the_current_milliseconds) {
  uint8_t a[16], b[16];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t before = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  cr_assert_eq(qctl_id_time_ordered(a), 0);
  cr_assert_eq(qctl_id_time_ordered(b), 0);
  uint64_t ms = 0;
  for (int i = 0; i < 6; i++) ms = ms << 8 | a[i];
  cr_assert_geq(ms, before);
  cr_assert_leq(memcmp(a, b, 6), 0, "ids made later never sort earlier");
  cr_assert_neq(memcmp(a + 6, b + 6, 10), 0, "80 random bits differ");
}

Test(opts, parses_values_booleans_positionals_and_equals_forms) {
  const char *w[] = {"FILE", "--csv", "--limit=5", "--kind", "enterprise", "--to_position", "trading"};
  struct qopts o;
  static const char *const bools[] = {"csv", NULL};
  cr_assert_eq(qopts_parse(&o, 7, (char **)w, bools), 0);
  cr_assert_eq(o.npos, 1);
  cr_assert_str_eq(o.pos[0], "FILE");
  cr_assert_str_eq(qopts_get(&o, "csv"), "");
  cr_assert_str_eq(qopts_get(&o, "limit"), "5");
  cr_assert_str_eq(qopts_get(&o, "to-position"), "trading", "- and _ are the same in names");
  cr_assert_null(qopts_get(&o, "after"));
  const char *missing[] = {"--kind"};
  cr_assert_eq(qopts_parse(&o, 1, (char **)missing, NULL), 0, "the command's list decides");
  cr_assert_str_eq(o.dangling, "kind");
  static const char *const allowed[] = {"kind", NULL}, *const other[] = {"limit", NULL};
  cr_assert_eq(qopts_only(&o, "accounts", allowed), QCTL_EXIT_USAGE, "a known option: needs a value");
  cr_assert_eq(qopts_only(&o, "accounts", other), QCTL_EXIT_USAGE, "an unknown one: unknown option");
  cr_assert_eq(qopts_check_dangling(&o, "x"), QCTL_EXIT_USAGE);
}

Test(ids, a_bulk_row_seed_ignores_column_order_and_amounts_but_follows_every_other_field) {
  const char *w1[] = {"--account", "91350100M000100Y43", "--year", "2024", "--emissions", "12000"};
  const char *w2[] = {"--emissions", "12000", "--account", "91350100M000100Y43", "--year", "2024"};
  const char *w3[] = {"--emissions", "12001", "--account", "91350100M000100Y43", "--year", "2024"};
  const char *w4[] = {"--emissions", "12000", "--account", "91350100M000100Y43", "--year", "2025"};
  struct qopts o;
  char a[512], b[512], c[512], d[512], e[512];
  opts(&o, w1, 6);
  cr_assert_gt(qbuild_row_seed(PROTO_TX_VERIFIED_EMISSIONS, &o, a, sizeof a), 0);
  opts(&o, w2, 6);
  cr_assert_gt(qbuild_row_seed(PROTO_TX_VERIFIED_EMISSIONS, &o, b, sizeof b), 0);
  opts(&o, w3, 6);
  cr_assert_gt(qbuild_row_seed(PROTO_TX_VERIFIED_EMISSIONS, &o, c, sizeof c), 0);
  opts(&o, w4, 6);
  cr_assert_gt(qbuild_row_seed(PROTO_TX_VERIFIED_EMISSIONS, &o, d, sizeof d), 0);
  cr_assert_str_eq(a, b, "the same row in another column order is the same act");
  cr_assert_str_eq(a, c, "an edited amount is the same act: its rerun meets id_conflict");
  cr_assert_str_neq(a, d, "another year is another act");
  cr_assert_null(strstr(a, "12000"), "no amount in the seed: %s", a);
  opts(&o, w1, 6);
  cr_assert_gt(qbuild_row_seed(PROTO_TX_DEDUCT, &o, e, sizeof e), 0);
  cr_assert_str_neq(a, e, "the type is part of the identity");
  cr_assert_eq(qbuild_row_seed(PROTO_TX_VERIFIED_EMISSIONS, &o, e, 8), PROTO_E_FIELD_TOO_LONG);
}

Test(times, a_date_alone_is_the_end_of_that_day_in_beijing) {
  uint64_t ms = 0;
  /* 2026-12-31T23:59:59.999+08:00 = 2026-12-31T15:59:59.999Z */
  cr_assert_eq(qopts_time_ms("2026-12-31", false, &ms), 0);
  cr_assert_eq(ms, UINT64_C(1798732799999));
  cr_assert_eq(qopts_time_ms("2026-12-31", true, &ms), 0, "start of day for window starts");
  cr_assert_eq(ms, UINT64_C(1798646400000));
  cr_assert_eq(qopts_time_ms("2026-12-31T15:59:59.999Z", false, &ms), 0);
  cr_assert_eq(ms, UINT64_C(1798732799999));
  cr_assert_eq(qopts_time_ms("2026-12-31T23:59:59.999+08:00", false, &ms), 0);
  cr_assert_eq(ms, UINT64_C(1798732799999));
  cr_assert_eq(qopts_time_ms("2024-02-29T00:00", false, &ms), 0, "a leap day, Beijing time");
  cr_assert_eq(ms, UINT64_C(1709136000000));
  cr_assert_eq(qopts_time_ms("1798732799999", false, &ms), 0, "milliseconds as before");
  cr_assert_eq(ms, UINT64_C(1798732799999));
}

Test(times, refuses_what_is_not_a_time) {
  uint64_t ms = 7;
  const char *bad[] = {"2025-02-29", "2026-13-01", "2026-12-32", "2026-12-31T24:00", "2026-12-31x",
                       "26-12-31", "2026-12-31T10:00+8", "", "-5", "2026-12-31T10:00:00.5Z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_neq(qopts_time_ms(bad[i], false, &ms), 0, "%s", bad[i]);
    cr_assert_eq(ms, 7, "untouched on failure: %s", bad[i]);
  }
}
