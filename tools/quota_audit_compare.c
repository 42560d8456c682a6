/* quota-audit: the registry's reported state (instruments, holdings, compliance), in the export
 * file's "reported" form, held against what the replay recomputed from the entries alone. */
#include "proto/proto_json.h"
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "tools/quota_audit.h"

#define LLU(x) ((unsigned long long)(x))

/* A reported integer field; absent fields are not compared (the export may omit some). */
static bool field(const json_t *o, const char *name, uint64_t *out) {
  json_t *v = json_object_get(o, name);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
  *out = (uint64_t)json_integer_value(v);
  return true;
}

static int mismatch(struct qa_run *run, const char *what, const char *name, uint64_t reported,
                    uint64_t replay) {
  qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
          "reported state: %s %s is %llu but the replay gives %llu", what, name, LLU(reported),
          LLU(replay));
  return QA_EXIT_FAILED;
}

static int compare_instruments(struct qa_run *run, const json_t *list) {
  struct audit_replay *r = audit_log_replay(run->log);
  size_t i, seen = 0;
  json_t *o;
  json_array_foreach(list, i, o) {
    const char *code = json_string_value(json_object_get(o, "code"));
    struct audit_instrument in;
    char what[64];
    if (!code || !audit_replay_instrument(r, code, &in)) {
      qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
              "reported state: instrument %s is not in the log", code ? code : "(no code)");
      return QA_EXIT_FAILED;
    }
    seen++;
    snprintf(what, sizeof(what), "instrument %s", code);
    const char *names[] = {"cap", "issued", "surrendered", "cancelled", "carried_over"};
    uint64_t mine[] = {in.cap, in.issued, in.surrendered, in.cancelled, in.carried_over};
    for (size_t k = 0; k < 5; k++) {
      uint64_t v;
      if (field(o, names[k], &v) && v != mine[k]) return mismatch(run, what, names[k], v, mine[k]);
    }
  }
  if (seen != audit_replay_instruments_count(r)) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
            "reported state: %zu instruments reported, the log creates %zu", seen,
            audit_replay_instruments_count(r));
    return QA_EXIT_FAILED;
  }
  return 0;
}

static void balance_key(uint64_t account, const char *code, uint8_t key[8 + PROTO_INSTRUMENT_BYTES]) {
  for (unsigned i = 0; i < 8; i++) key[i] = (uint8_t)(account >> (56 - 8 * i));
  memset(key + 8, 0, PROTO_INSTRUMENT_BYTES);
  memcpy(key + 8, code, strnlen(code, PROTO_INSTRUMENT_BYTES));
}

static int compare_balance_row(struct qa_run *run, const json_t *o, struct audit_map *seen) {
  struct audit_replay *r = audit_log_replay(run->log);
  uint64_t account;
  const char *code = json_string_value(json_object_get(o, "instrument"));
  if (!field(o, "account", &account) || !code || strlen(code) > PROTO_INSTRUMENT_BYTES) {
    qa_fail(run, UINT64_MAX, PROTO_E_BAD_JSON, "reported state: a malformed balance row");
    return QA_EXIT_FAILED;
  }
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  balance_key(account, code, key);
  bool created = false;
  if (!audit_map_put(seen, key, &created) || !created) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
            "reported state: account %llu %s is reported twice", LLU(account), code);
    return QA_EXIT_FAILED;
  }
  struct audit_balance b = {0};
  (void)audit_replay_balance(r, account, code, &b);
  char what[96];
  snprintf(what, sizeof(what), "balance of account %llu %s", LLU(account), code);
  const char *names[] = {"registry", "trading", "frozen"};
  uint64_t mine[] = {b.registry, b.trading, b.frozen};
  for (size_t k = 0; k < 3; k++) {
    uint64_t v;
    if (field(o, names[k], &v) && v != mine[k]) return mismatch(run, what, names[k], v, mine[k]);
  }
  return 0;
}

static int compare_balances(struct qa_run *run, const json_t *list) {
  struct audit_replay *r = audit_log_replay(run->log);
  struct audit_map seen;
  audit_map_init(&seen, 8 + PROTO_INSTRUMENT_BYTES, 0);
  size_t i;
  json_t *o;
  int rc = 0;
  json_array_foreach(list, i, o) {
    if ((rc = compare_balance_row(run, o, &seen))) break;
  }
  /* Every holding the replay finds must have been reported. */
  for (size_t k = 0; k < audit_replay_balances_count(r) && !rc; k++) {
    struct audit_balance b;
    uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
    audit_replay_balance_at(r, k, &b);
    balance_key(b.account, b.instrument, key);
    if ((b.registry || b.trading || b.frozen) && !audit_map_get(&seen, key)) {
      qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
              "reported state: account %llu holds %llu %s (registry %llu, trading %llu) by the "
              "replay but the registry does not report it",
              LLU(b.account), LLU(b.registry + b.trading), b.instrument, LLU(b.registry),
              LLU(b.trading));
      rc = QA_EXIT_FAILED;
    }
  }
  audit_map_free(&seen);
  return rc;
}

static int compare_compliance_row(struct qa_run *run, const json_t *o, uint64_t now_ms) {
  struct audit_replay *r = audit_log_replay(run->log);
  uint64_t account, year;
  struct audit_compliance c, at_last;
  if (!field(o, "account", &account) || !field(o, "year", &year) || year > PROTO_YEAR_MAX) {
    qa_fail(run, UINT64_MAX, PROTO_E_BAD_JSON, "reported state: a malformed compliance row");
    return QA_EXIT_FAILED;
  }
  if (!audit_replay_compliance(r, account, (unsigned)year, now_ms, &c)) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
            "reported state: compliance of account %llu for %llu, which has no verified emissions "
            "in the log", LLU(account), LLU(year));
    return QA_EXIT_FAILED;
  }
  (void)audit_replay_compliance(r, account, (unsigned)year, audit_replay_last_time_ms(r), &at_last);
  char what[96];
  snprintf(what, sizeof(what), "compliance of account %llu for %llu", LLU(account), LLU(year));
  const char *names[] = {"emissions", "surrendered_cea", "surrendered_ccer", "shortfall"};
  uint64_t mine[] = {c.emissions, c.surrendered_cea, c.surrendered_ccer, c.shortfall};
  for (size_t k = 0; k < 4; k++) {
    uint64_t v;
    if (field(o, names[k], &v) && v != mine[k]) return mismatch(run, what, names[k], v, mine[k]);
  }
  /* The status depends on when it was evaluated: between the last entry and now. */
  const char *status = json_string_value(json_object_get(o, "status"));
  if (status && strcmp(status, audit_status_name(c.status)) != 0 &&
      strcmp(status, audit_status_name(at_last.status)) != 0) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
            "reported state: %s has status %s but the replay gives %s", what, status,
            audit_status_name(c.status));
    return QA_EXIT_FAILED;
  }
  return 0;
}

/* Every row must match; within each year the registry reports, every record of the replay must
 * be reported (a year the registry does not report at all, e.g. never opened, is skipped). */
static int compare_compliance(struct qa_run *run, const json_t *list, uint64_t now_ms) {
  static bool years[PROTO_YEAR_MAX + 1];
  struct audit_replay *r = audit_log_replay(run->log);
  memset(years, 0, sizeof(years));
  size_t i, rows = 0, expected = 0;
  json_t *o;
  json_array_foreach(list, i, o) {
    int rc = compare_compliance_row(run, o, now_ms);
    if (rc) return rc;
    uint64_t year = 0;
    if (field(o, "year", &year) && year <= PROTO_YEAR_MAX) years[year] = true; /* checked above */
    rows++;
  }
  for (size_t k = 0; k < audit_replay_compliance_count(r); k++) {
    struct audit_compliance c;
    audit_replay_compliance_at(r, k, now_ms, &c);
    if (years[c.year]) expected++;
  }
  if (rows != expected) {
    qa_fail(run, UINT64_MAX, PROTO_E_INCONSISTENT,
            "reported state: %zu compliance records reported for the years reported, the log "
            "holds %zu", rows, expected);
    return QA_EXIT_FAILED;
  }
  return 0;
}

int qa_compare(struct qa_run *run, const json_t *reported, uint64_t now_ms) {
  const json_t *instruments = json_object_get(reported, "instruments");
  const json_t *balances = json_object_get(reported, "balances");
  const json_t *compliance = json_object_get(reported, "compliance");
  int rc = 0;
  if (json_is_array(instruments)) rc = compare_instruments(run, instruments);
  if (!rc && json_is_array(balances)) rc = compare_balances(run, balances);
  if (!rc && json_is_array(compliance)) rc = compare_compliance(run, compliance, now_ms);
  return rc;
}
