/* quotactl alloc: `compute` is the allocator's own command (quotactl_alloc.c); `issue` turns its
 * results into signed allocate / clawback transactions with the allocator's deterministic ids,
 * and `carryover` computes a carry-over cap from the ledger's history and submits it. */
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "tools/quotactl.h"
#include "tools/quotactl_alloc.h"

static void alloc_help(FILE *out) {
  fprintf(out,
          "usage: quotactl alloc compute --scheme FILE --data FILE.csv [--bp VALUE] [--csv|--json]\n"
          "       quotactl --key OPERATOR alloc publish --scheme FILE --data FILE.csv --table ID\n"
          "                [--instrument CODE] [--bp VALUE] [--confidential INPUT,...] [--chunk N]\n"
          "       quotactl [--key KEY] alloc show [--table ID [--row-start N]]\n"
          "       quotactl --key OPERATOR alloc issue --scheme FILE --data FILE.csv\n"
          "                --kind final|pre|true-up [--table ID] [--instrument CODE] [--bp VALUE]\n"
          "                [--authority-keys PATTERN] [--national ID | --no-national]\n"
          "       quotactl --key OPERATOR alloc carryover --account REF --from CODE --rule ID\n"
          "                [--to CODE] [--amount N]\n"
          "       quotactl --key OPERATOR alloc carryover --account REF --from CODE --to CODE\n"
          "                [--amount N] [--window-start-ms MS] [--window-end-ms MS]   (version 1)\n"
          "publish: computes the table as the ledger recomputes it (a solved balance value is\n"
          "the solve truncated to 18 places) and submits its header, rows in chunks of --chunk\n"
          "(default 300) and closing entry. Data without this year's emissions make a\n"
          "pre-allocation table. --confidential names inputs published as salted commitments\n"
          "(emissions, output, prev_emissions, supplied_mwh, heat_gj, load_pct, carbide_slag_rate).\n"
          "show: the tables, or one table with its scheme text and rows (1,000 a page).\n"
          "issue: computes the quotas, allocates each province's total from the national account\n"
          "(signed by --key, the operator) and then each unit's quota from the provincial account\n"
          "to its enterprise, signed by the province's authority key: PATTERN with {province}\n"
          "replaced by the two-digit code (e.g. keys/auth-{province}.key; default: --key).\n"
          "--kind pre issues the pre-allocation; final the quota; true-up the difference from\n"
          "pre_allocated (supplements, and claw-backs for negative differences). Ids are derived\n"
          "from scheme, year, USCC, unit and kind by a signature of the issuing key (or\n"
          "--id-key), so a rerun answers 'exists' and nobody without that key can predict them.\n"
          "--table ID: the published table the allocations cite (version 2; row i is unit i of\n"
          "the same data): the pre-allocation table for --kind pre, else the final table.\n"
          "carryover --rule: reads the carry-over rule entry ID; NS = the account's outgoing minus\n"
          "incoming transfers and settlement legs of the rule's vintages committed in its window;\n"
          "T = floor(base + factor x NS) capped at the registry position of --from (as the ledger\n"
          "computes them); submits a version 2 carry-over of --amount (default: T) citing the rule.\n"
          "Without --rule (registries with no rule yet): version 1, the 2019-2024 vintages, the\n"
          "window given (default 1 Jan 2024 to 1 Jan 2026, Beijing time), T = floor(10,000 +\n"
          "1.5 NS) capped at the available holding.\n");
}

struct issue_opts {
  const char *scheme, *data, *bp, *instrument, *pattern;
  uint64_t table; /* 0: version 1, citing no table */
  unsigned kind; /* proto_alloc_kind; 0 for true-up */
  uint64_t national;
  bool with_national;
};

static int issue_opts(const struct qopts *o, struct issue_opts *io) {
  memset(io, 0, sizeof(*io));
  io->scheme = qopts_get(o, "scheme");
  io->data = qopts_get(o, "data");
  io->bp = qopts_get(o, "bp");
  io->instrument = qopts_get(o, "instrument");
  io->pattern = qopts_get(o, "authority-keys");
  io->with_national = !qopts_has(o, "no-national");
  io->national = 1;
  const char *nat = qopts_get(o, "national"), *table = qopts_get(o, "table");
  if (nat && qopts_u64(nat, "--national", 1, INT64_MAX, &io->national)) return QCTL_EXIT_USAGE;
  if (table && qopts_u64(table, "--table", 1, INT64_MAX, &io->table)) return QCTL_EXIT_USAGE;
  const char *kind = qopts_get(o, "kind");
  if (!io->scheme || !io->data || !kind) {
    fprintf(stderr, "quotactl alloc issue: --scheme, --data and --kind are required\n");
    return QCTL_EXIT_USAGE;
  }
  if (strcmp(kind, "true-up") != 0) {
    io->kind = proto_alloc_kind_from_name(kind);
    if (io->kind != PROTO_ALLOC_PRE && io->kind != PROTO_ALLOC_FINAL) {
      fprintf(stderr, "quotactl alloc issue: --kind is final, pre or true-up, not '%s'\n", kind);
      return QCTL_EXIT_USAGE;
    }
  }
  return 0;
}

/* Runs the allocator; on failure prints why. */
static int compute(const struct issue_opts *io, struct alloc_scheme **s,
                   struct alloc_data **d, struct alloc_run **run) {
  struct alloc_diag diag = {0};
  int err = alloc_scheme_load(io->scheme, s, &diag);
  if (err) {
    fprintf(stderr, "quotactl alloc issue: %s:%u: %s: %s\n", io->scheme, diag.line, diag.field,
            diag.message[0] ? diag.message : proto_err_message(err));
    return QCTL_EXIT_USAGE;
  }
  err = alloc_data_read(io->data, d, stderr, &diag);
  if (!err) err = alloc_compute(*s, *d, io->bp, run, &diag);
  if (err) {
    fprintf(stderr, "quotactl alloc issue: %s: %s\n", proto_err_name(err),
            diag.message[0] ? diag.message : proto_err_message(err));
    return err == PROTO_E_BAD_DATA || err == PROTO_E_BAD_ARGUMENT ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  return 0;
}

/* The tonnes a unit gets for this issue; negative only for a true-up claw-back. */
static int64_t unit_amount(const struct issue_opts *io, const struct alloc_result *r) {
  if (io->kind == PROTO_ALLOC_PRE) return (int64_t)r->pre;
  if (io->kind == PROTO_ALLOC_FINAL) return (int64_t)r->quota;
  return r->true_up;
}

static int authority_keys(struct qctl_batch *b, const struct issue_opts *io, unsigned province,
                          const struct proto_key **key, size_t *n) {
  *n = 0;
  if (!io->pattern) return 0; /* --key signs */
  char path[4096];
  const char *at = strstr(io->pattern, "{province}");
  if (at) {
    snprintf(path, sizeof(path), "%.*s%02u%s", (int)(at - io->pattern), io->pattern, province,
             at + strlen("{province}"));
  } else {
    snprintf(path, sizeof(path), "%s", io->pattern);
  }
  struct proto_key *k = NULL;
  int rc = qctl_batch_key(b, path, &k);
  if (rc) {
    fprintf(stderr, "quotactl alloc issue: cannot load the authority key %s: %s\n", path,
            proto_err_message(rc));
    return QCTL_EXIT_USAGE;
  }
  key[0] = k;
  *n = 1;
  return 0;
}

static void instrument_code(const struct issue_opts *io, unsigned year, proto_instrument_t out) {
  if (io->instrument) {
    snprintf(out, sizeof(proto_instrument_t), "%s", io->instrument);
  } else {
    snprintf(out, sizeof(proto_instrument_t), "CEA-%u", year);
  }
}

/* National -> provincial: each province's total, signed by --key (the operator). */
static int queue_national(struct qctl *q, struct qctl_batch *b, const struct issue_opts *io,
                          const struct alloc_run *run, const char *scheme, unsigned year) {
  uint64_t total[100] = {0};
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_result *r = &run->results[i];
    int64_t a = unit_amount(io, r);
    unsigned p = run->data->units[r->unit].province;
    if (a > 0 && p < 100 && __builtin_add_overflow(total[p], (uint64_t)a, &total[p])) {
      fprintf(stderr, "quotactl alloc issue: province %u's total overflows\n", p);
      return QCTL_EXIT_USAGE;
    }
  }
  for (unsigned p = 0; p < 100; p++) {
    if (!total[p]) continue;
    struct proto_tx tx = {.type = PROTO_TX_ALLOCATE};
    char ref[16], year_text[16];
    snprintf(ref, sizeof(ref), "CN-%02u", p);
    int rc = qctl_resolve_account(q, ref, &tx.u.move.to);
    if (rc) return rc;
    tx.u.move.from = io->national;
    tx.u.move.amount = total[p];
    tx.u.move.year = (uint16_t)year;
    tx.u.move.kind = (uint8_t)io->kind;
    instrument_code(io, year, tx.u.move.instrument);
    snprintf(year_text, sizeof(year_text), "%u", year);
    /* the province's total is not among the fields: an edited total meets id_conflict */
    const char *fields[6] = {"national", scheme, year_text, ref, proto_alloc_kind_name(io->kind),
                             tx.u.move.instrument};
    if ((rc = qctl_id_derive(q, NULL, PROTO_TX_ALLOCATE, fields, 6, tx.id))) return rc;
    if ((rc = qctl_batch_queue(b, &tx, NULL, 0, 0))) return rc;
  }
  return 0;
}

/* Provincial -> enterprise per unit (or the claw-back of a negative true-up). */
static int queue_unit(struct qctl *q, struct qctl_batch *b, const struct issue_opts *io,
                      const struct alloc_run *run, size_t i, const char *scheme,
                      unsigned year) {
  const struct alloc_result *r = &run->results[i];
  const struct alloc_unit *u = &run->data->units[r->unit];
  int64_t a = unit_amount(io, r);
  if (a == 0) return 0;
  char prov[16];
  snprintf(prov, sizeof(prov), "CN-%02u", u->province);
  uint64_t prov_id = 0, ent_id = 0;
  int rc = qctl_resolve_account(q, prov, &prov_id);
  if (!rc) rc = qctl_resolve_account(q, u->uscc, &ent_id);
  if (rc) return rc;
  struct proto_tx tx = {.type = a > 0 ? PROTO_TX_ALLOCATE : PROTO_TX_CLAWBACK};
  unsigned kind = io->kind ? io->kind : (a > 0 ? PROTO_ALLOC_SUPPLEMENT : ALLOC_KIND_CLAWBACK);
  tx.u.move.from = a > 0 ? prov_id : ent_id;
  tx.u.move.to = a > 0 ? ent_id : prov_id;
  tx.u.move.amount = (uint64_t)(a > 0 ? a : -a);
  instrument_code(io, year, tx.u.move.instrument);
  if (a > 0) {
    tx.u.move.year = (uint16_t)year;
    tx.u.move.kind = (uint8_t)kind;
  } else {
    snprintf(tx.u.move.ref, sizeof(tx.u.move.ref), "true-up %s unit %s", scheme, u->unit_id);
  }
  if (io->table) { /* version 2: held to row i of the table published from the same data */
    tx.version = 2;
    tx.u.move.table = io->table;
    tx.u.move.row = i;
  }
  const struct proto_key *keys[1], *id_key = NULL;
  size_t n = 0;
  if ((rc = authority_keys(b, io, u->province, keys, &n))) return rc;
  /* the issuing key (the province's authority, or --key) derives the id unless --id-key */
  if ((rc = qctl_id_key(q, n ? keys[0] : NULL, &id_key))) return rc;
  int err = alloc_tx_id(id_key, q->origin, scheme, year, u->uscc, u->unit_id, kind, tx.id);
  if (err) {
    fprintf(stderr, "quotactl alloc issue: no id for unit %s of %s: %s\n", u->unit_id, u->uscc,
            proto_err_message(err));
    return QCTL_EXIT_USAGE;
  }
  return qctl_batch_queue(b, &tx, keys, n, (unsigned long)r->unit + 2);
}

static int alloc_issue(struct qctl *q, const struct qopts *o) {
  struct issue_opts io;
  int rc = issue_opts(o, &io);
  if (rc) return rc;
  struct alloc_scheme *s = NULL;
  struct alloc_data *d = NULL;
  struct alloc_run *run = NULL;
  rc = compute(&io, &s, &d, &run);
  if (!rc) rc = qctl_fetch_log(q);
  if (!rc) {
    const char *scheme = alloc_scheme_name(s);
    unsigned year = alloc_scheme_year(s);
    fprintf(stderr, "alloc issue: %s, %zu units, quota total %" PRIu64 " t, pre-allocation total %"
            PRIu64 " t\n", scheme, run->count, run->summary.quota_total, run->summary.pre_total);
    struct qctl_batch *b = qctl_batch_open(q, io.data);
    if (!b) {
      rc = QCTL_EXIT_IO;
    } else {
      if (io.with_national && io.kind) rc = queue_national(q, b, &io, run, scheme, year);
      for (size_t i = 0; i < run->count && !rc; i++) rc = queue_unit(q, b, &io, run, i, scheme, year);
      rc = qctl_batch_close(b, rc);
    }
  }
  alloc_run_free(run);
  alloc_data_free(d);
  alloc_scheme_free(s);
  return rc;
}

/* 1 Jan 2024 and 1 Jan 2026, 00:00 Beijing time (UTC+8), in unix milliseconds. */
#define CARRYOVER_WINDOW_START_MS UINT64_C(1704038400000)
#define CARRYOVER_WINDOW_END_MS UINT64_C(1767196800000)
#define CARRYOVER_VINTAGE_MIN 2019u
#define CARRYOVER_VINTAGE_MAX 2024u
#define CARRYOVER_HISTORY_PAGES_MAX 100000u

static const char *jstr(const json_t *o, const char *key) {
  const char *v = json_string_value(json_object_get(o, key));
  return v ? v : "";
}

/* What NS counts: CEA of vintages [vintage_min, vintage_max] committed in [start, end). */
struct ns_params {
  json_int_t vintage_min, vintage_max;
  uint64_t start_ms, end_ms;
};

/* Whether units of this instrument count toward NS. */
static bool counts(const json_t *instruments, const char *code, const struct ns_params *p) {
  size_t i;
  json_t *in;
  for (i = 0; i < json_array_size(json_object_get(instruments, "instruments")) && (in = json_array_get(json_object_get(instruments, "instruments"), i)) != NULL; i++) {
    if (strcmp(jstr(in, "code"), code) != 0) continue;
    json_int_t v = json_integer_value(json_object_get(in, "vintage"));
    const char *kind = json_string_value(json_object_get(in, "kind"));
    return kind && proto_instrument_kind_from_name(kind) == PROTO_INSTRUMENT_CEA &&
           v >= p->vintage_min && v <= p->vintage_max;
  }
  return false;
}

/* Adds one entry's outgoing and incoming tonnes for account to *out and *in. */
static int tally_entry(const json_t *e, uint64_t account, const json_t *instruments,
                       const struct ns_params *p, uint64_t *out, uint64_t *in) {
  const json_t *tx = json_object_get(e, "tx");
  const char *type = json_string_value(json_object_get(tx, "type"));
  json_t *legs = json_object_get(tx, "legs");
  if (!legs) legs = json_object_get(e, "legs"); /* a version 2 settle: its legs beside the entry */
  json_t *single = json_pack("[O]", tx);
  if (type && strcmp(type, "settle") == 0) {
    json_decref(single);
    single = json_incref(legs);
  } else if (!type || strcmp(type, "transfer") != 0) {
    json_decref(single);
    return 0;
  }
  size_t i;
  json_t *m;
  int rc = 0;
  for (i = 0; i < json_array_size(single) && (m = json_array_get(single, i)) != NULL; i++) {
    if (!counts(instruments, jstr(m, "instrument"), p)) continue;
    uint64_t amount = (uint64_t)json_integer_value(json_object_get(m, "amount"));
    uint64_t from = (uint64_t)json_integer_value(json_object_get(m, "from"));
    uint64_t to = (uint64_t)json_integer_value(json_object_get(m, "to"));
    if (from == account && __builtin_add_overflow(*out, amount, out)) rc = PROTO_E_OVERFLOW;
    if (to == account && __builtin_add_overflow(*in, amount, in)) rc = PROTO_E_OVERFLOW;
  }
  json_decref(single);
  return rc;
}

/* NS of account over [start, end) from its history. */
static int net_sales(struct qctl *q, uint64_t account, const struct ns_params *p,
                     const json_t *instruments, uint64_t *ns) {
  uint64_t out = 0, in = 0;
  char path[160];
  bool first = true;
  uint64_t after = 0;
  for (unsigned page = 0; page < CARRYOVER_HISTORY_PAGES_MAX; page++) {
    int len = snprintf(path, sizeof(path), "/v1/accounts/%" PRIu64 "/history?limit=1000", account);
    if (!first) snprintf(path + len, sizeof(path) - (size_t)len, "&after=%" PRIu64, after);
    json_t *ans = NULL;
    int rc = qctl_get(q, path, true, &ans);
    if (rc) return rc;
    size_t i;
    json_t *e;
    for (i = 0; i < json_array_size(json_object_get(ans, "entries")) && (e = json_array_get(json_object_get(ans, "entries"), i)) != NULL; i++) {
      uint64_t t = (uint64_t)json_integer_value(json_object_get(e, "time_ms"));
      if (t >= p->start_ms && t < p->end_ms && tally_entry(e, account, instruments, p, &out, &in) != 0) {
        json_decref(ans);
        fprintf(stderr, "quotactl alloc carryover: sales overflow\n");
        return QCTL_EXIT_IO;
      }
    }
    json_t *next = json_object_get(ans, "next");
    bool more = json_is_integer(next);
    if (more) after = (uint64_t)json_integer_value(next);
    json_decref(ans);
    first = false;
    if (!more) break;
  }
  *ns = out > in ? out - in : 0;
  return 0;
}

/* The holding of code in account: `which` is "available" (registry - frozen) or "registry". */
static int holding(struct qctl *q, uint64_t account, const char *code, const char *which,
                   uint64_t *avail) {
  json_t *b = NULL;
  int rc = qctl_getf(q, &b, "/v1/accounts/%" PRIu64 "/balances", account);
  if (rc) return rc;
  *avail = 0;
  size_t i;
  json_t *row;
  for (i = 0; i < json_array_size(json_object_get(b, "balances")) && (row = json_array_get(json_object_get(b, "balances"), i)) != NULL; i++) {
    if (strcmp(jstr(row, "instrument"), code) == 0) {
      *avail = (uint64_t)json_integer_value(json_object_get(row, which));
    }
  }
  json_decref(b);
  return 0;
}

/* The cited rule's parameters, read from its entry (GET /v1/tx/{id}). */
static int rule_params(struct qctl *q, const char *hex, struct proto_carry_over *c,
                       struct ns_params *p, uint64_t *base, uint64_t *factor_milli) {
  int rc = qctl_id_from_hex(hex, c->rule);
  if (rc) return rc < 0 ? QCTL_EXIT_USAGE : rc;
  json_t *ans = NULL;
  if ((rc = qctl_getf(q, &ans, "/v1/tx/%s", hex))) return rc;
  const json_t *r = json_object_get(json_object_get(ans, "entry"), "tx");
  const char *type = json_string_value(json_object_get(r, "type"));
  if (!type || strcmp(type, "carry_over_rule") != 0) {
    json_decref(ans);
    fprintf(stderr, "quotactl alloc carryover: %s is no carry_over_rule entry\n", hex);
    return QCTL_EXIT_USAGE;
  }
  p->vintage_min = json_integer_value(json_object_get(r, "vintage_from"));
  p->vintage_max = json_integer_value(json_object_get(r, "vintage_to"));
  p->start_ms = (uint64_t)json_integer_value(json_object_get(r, "window_start_ms"));
  p->end_ms = (uint64_t)json_integer_value(json_object_get(r, "window_end_ms"));
  *base = (uint64_t)json_integer_value(json_object_get(r, "base"));
  *factor_milli = (uint64_t)json_integer_value(json_object_get(r, "factor_milli"));
  if (c->to_instrument[0] == 0)
    snprintf(c->to_instrument, sizeof(c->to_instrument), "%s", jstr(r, "to_instrument"));
  json_decref(ans);
  return 0;
}

/* NS, the holding and T, as the ledger computes them for the entry's version. */
static int carryover_cap(struct qctl *q, const struct qopts *o, struct proto_tx *tx,
                         uint64_t *held) {
  struct proto_carry_over *c = &tx->u.carry_over;
  struct ns_params p = {CARRYOVER_VINTAGE_MIN, CARRYOVER_VINTAGE_MAX, CARRYOVER_WINDOW_START_MS,
                        CARRYOVER_WINDOW_END_MS};
  uint64_t base = 0, factor = 0;
  const char *rule = qopts_get(o, "rule"), *ws = qopts_get(o, "window-start-ms"),
             *we = qopts_get(o, "window-end-ms");
  int rc = 0;
  if (rule) tx->version = 2, rc = rule_params(q, rule, c, &p, &base, &factor);
  if (!rc && ws) rc = qopts_u64(ws, "--window-start-ms", 0, INT64_MAX, &p.start_ms);
  if (!rc && we) rc = qopts_u64(we, "--window-end-ms", 0, INT64_MAX, &p.end_ms);
  json_t *instruments = NULL;
  if (!rc) rc = qctl_get(q, "/v1/instruments", false, &instruments);
  if (rc) return rc;
  rc = net_sales(q, c->account, &p, instruments, &c->net_sales);
  json_decref(instruments);
  if (!rc) rc = holding(q, c->account, c->from_instrument, rule ? "registry" : "available", held);
  if (rc) return rc;
  uint64_t limit = 0;
  int arc = rule ? alloc_carryover_rule_limit(base, factor, c->net_sales, &limit)
                 : alloc_carryover_cap(c->net_sales, *held, &limit);
  if (arc != 0) {
    fprintf(stderr, "quotactl alloc carryover: %s\n", proto_err_message(arc));
    return QCTL_EXIT_USAGE;
  }
  c->cap = limit < *held ? limit : *held;
  if (!rule) c->window_start_ms = p.start_ms, c->window_end_ms = p.end_ms;
  return 0;
}

static int carryover_tx(struct qctl *q, const struct qopts *o, struct proto_tx *tx) {
  struct proto_carry_over *c = &tx->u.carry_over;
  const char *acct = qopts_get(o, "account"), *from = qopts_get(o, "from"), *to = qopts_get(o, "to");
  bool rule = qopts_get(o, "rule") != NULL;
  if (!acct || !from || (!to && !rule) || strlen(from) > PROTO_INSTRUMENT_BYTES ||
      (to && strlen(to) > PROTO_INSTRUMENT_BYTES) ||
      (rule && (qopts_get(o, "window-start-ms") || qopts_get(o, "window-end-ms")))) {
    fprintf(stderr, "quotactl alloc carryover: --account, --from and --rule (or --to and a window,\n"
            "for version 1) are required; a rule has its own window\n");
    return QCTL_EXIT_USAGE;
  }
  int rc = qctl_resolve_account(q, acct, &c->account);
  if (rc) return rc;
  snprintf(c->from_instrument, sizeof(c->from_instrument), "%s", from);
  if (to) snprintf(c->to_instrument, sizeof(c->to_instrument), "%s", to);
  uint64_t held = 0;
  if ((rc = carryover_cap(q, o, tx, &held))) return rc;
  c->amount = c->cap;
  const char *amount = qopts_get(o, "amount");
  if (amount && (rc = qopts_u64(amount, "--amount", 1, PROTO_AMOUNT_MAX, &c->amount))) return rc;
  fprintf(stderr, "carry-over of account %" PRIu64 ": net sales NS = %" PRIu64 " t, holding %"
          PRIu64 " t of %s, cap T = %" PRIu64 " t, amount %" PRIu64 " t\n", c->account,
          c->net_sales, held, from, c->cap, c->amount);
  if (c->amount == 0) {
    fprintf(stderr, "quotactl alloc carryover: nothing to carry over (cap 0)\n");
    return QCTL_EXIT_REFUSED;
  }
  const char *id = qopts_get(o, "id");
  rc = id ? qctl_id_from_hex(id, tx->id) : qctl_id_time_ordered(tx->id);
  return rc < 0 ? QCTL_EXIT_IO : rc;
}

int qctl_cmd_alloc(struct qctl *q, int argc, char **argv) {
  const char *sub = argc > 1 ? argv[1] : "";
  if (strcmp(sub, "compute") == 0) {
    /* the allocator's parser reads --json itself; the global option took it out of argv */
    char **args = calloc((size_t)argc + 2, sizeof(char *));
    if (!args) return QCTL_EXIT_IO;
    memcpy(args, argv, (size_t)argc * sizeof(char *));
    if (q->json) args[argc++] = (char *)"--json";
    int rc = quotactl_alloc(argc, args);
    free(args);
    return rc == 1 ? QCTL_EXIT_USAGE : rc;
  }
  struct qopts o;
  static const char *const bools[] = {"no-national", NULL};
  int rc = qopts_parse(&o, argc - 2 > 0 ? argc - 2 : 0, argv + 2, bools);
  if (rc) return rc;
  bool issue = strcmp(sub, "issue") == 0, carry = strcmp(sub, "carryover") == 0;
  bool publish = strcmp(sub, "publish") == 0, show = strcmp(sub, "show") == 0;
  bool known = issue || carry || publish || show;
  if (!known || qopts_has(&o, "help")) {
    alloc_help(known || strcmp(sub, "--help") == 0 ? stdout : stderr);
    return known || strcmp(sub, "--help") == 0 ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  static const char *const publish_allowed[] = {"scheme", "data", "table", "instrument", "bp",
                                                "confidential", "chunk", NULL};
  static const char *const show_allowed[] = {"table", "row-start", NULL};
  if (publish || show) {
    rc = qopts_only(&o, publish ? "alloc publish" : "alloc show", publish ? publish_allowed : show_allowed);
    return rc ? rc : publish ? qctl_alloc_publish(q, &o) : qctl_alloc_show(q, &o);
  }
  static const char *const issue_allowed[] = {"scheme", "data", "bp", "instrument", "kind", "table",
                                              "authority-keys", "national", "no-national", NULL};
  static const char *const carry_allowed[] = {"account", "from", "to", "amount", "window-start-ms",
                                              "window-end-ms", "id", "rule", NULL};
  if ((rc = qopts_only(&o, issue ? "alloc issue" : "alloc carryover",
                       issue ? issue_allowed : carry_allowed))) {
    return rc;
  }
  if (issue) return alloc_issue(q, &o);
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER};
  if ((rc = carryover_tx(q, &o, &tx))) return rc;
  return qctl_submit_one(q, &tx);
}
