/* The allocator's outputs and small rules: the run as a table, CSV or JSON; deterministic
 * allocation transaction ids; the carry-over cap; deductions against an allocation.
 */
#include <errno.h>
#include <string.h>

#include <stdlib.h>

#include <jansson.h>

#include "alloc/internal.h"

struct by_uscc {
  const char *uscc;
  size_t result;
};

static int cmp_uscc(const void *a, const void *b) {
  const struct by_uscc *x = a, *y = b;
  int c = strcmp(x->uscc, y->uscc);
  return c ? c : (x->result > y->result) - (x->result < y->result);
}

static int add_result(struct alloc_enterprise *e, const struct alloc_result *r) {
  e->units++;
  if (__builtin_add_overflow(e->quota, r->quota, &e->quota) ||
      __builtin_add_overflow(e->pre, r->pre, &e->pre) ||
      __builtin_add_overflow(e->true_up, r->true_up, &e->true_up)) {
    return PROTO_E_OVERFLOW;
  }
  return 0;
}

int alloc_enterprises(const struct alloc_run *run,
                             struct alloc_enterprise **out, size_t *count) {
  struct by_uscc *order = malloc((run->count ? run->count : 1) * sizeof *order);
  struct alloc_enterprise *ents = calloc(run->count ? run->count : 1, sizeof *ents);
  int err = order && ents ? 0 : PROTO_E_NO_MEMORY;
  size_t n = 0;
  for (size_t i = 0; !err && i < run->count; i++) {
    order[i] = (struct by_uscc){run->data->units[run->results[i].unit].uscc, i};
  }
  if (!err) qsort(order, run->count, sizeof *order, cmp_uscc);
  for (size_t i = 0; !err && i < run->count; i++) {
    if (n == 0 || strcmp(ents[n - 1].uscc, order[i].uscc) != 0) {
      const struct alloc_unit *u = &run->data->units[run->results[order[i].result].unit];
      ents[n++] = (struct alloc_enterprise){u->uscc, u->province, 0, 0, 0, 0};
    }
    err = add_result(&ents[n - 1], &run->results[order[i].result]);
  }
  free(order);
  if (err) {
    free(ents);
    return err;
  }
  *out = ents;
  *count = n;
  return 0;
}

static const char *or_dash(const char *s) {
  return *s ? s : "-";
}

static void report_table(const struct alloc_run *run,
                         const struct alloc_enterprise *ents, size_t n, FILE *out) {
  const struct alloc_summary *m = &run->summary;
  fprintf(out, "scheme %s (%s, %u, %s%s)\n", run->scheme->name,
          proto_sector_name(run->scheme->sector), run->scheme->year,
          alloc_method_name(run->scheme->method), run->scheme->draft ? ", draft" : "");
  fprintf(out, "%-18s %-12s %-8s %12s %22s %22s %12s %12s %12s %12s\n", "uscc", "unit", "status",
          "intensity", "x", "alpha", "quota", "pre", "true_up", "ff");
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_result *r = &run->results[i];
    const struct alloc_unit *u = &run->data->units[r->unit];
    fprintf(out, "%-18s %-12s %-8s %12s %22s %22s %12llu %12llu %12lld %12s\n", u->uscc,
            u->unit_id, alloc_status_name(r->status), or_dash(r->intensity), or_dash(r->x),
            or_dash(r->alpha), (unsigned long long)r->quota, (unsigned long long)r->pre,
            (long long)r->true_up, or_dash(r->load_factor));
  }
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "enterprise %s (province %u): %zu units, quota %llu, pre %llu, true_up %lld\n",
            ents[i].uscc, ents[i].province, ents[i].units, (unsigned long long)ents[i].quota,
            (unsigned long long)ents[i].pre, (long long)ents[i].true_up);
  }
  fprintf(out, "sector: bp %s%s, units %llu, verified %s, quota %llu, pre %llu, residual %s, "
               "surplus %llu, shortfall %llu, special %llu, no allocation %llu\n",
          or_dash(m->bp), m->bp_solved ? " (solved)" : "", (unsigned long long)m->units,
          m->verified_total, (unsigned long long)m->quota_total, (unsigned long long)m->pre_total,
          m->residual, (unsigned long long)m->surplus_count,
          (unsigned long long)m->shortfall_count, (unsigned long long)m->special_count,
          (unsigned long long)m->none_count);
}

static void report_csv(const struct alloc_run *run, const struct alloc_enterprise *ents,
                       size_t n, FILE *out) {
  fputs("row,uscc,province,unit,status,intensity,x,alpha,load_factor,exact,quota,pre,true_up\n", out);
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_result *r = &run->results[i];
    const struct alloc_unit *u = &run->data->units[r->unit];
    fprintf(out, "unit,%s,%u,%s,%s,%s,%s,%s,%s,%s,%llu,%llu,%lld\n", u->uscc, u->province,
            u->unit_id, alloc_status_name(r->status), r->intensity, r->x, r->alpha,
            r->load_factor, r->exact, (unsigned long long)r->quota, (unsigned long long)r->pre,
            (long long)r->true_up);
  }
  fputs("row,uscc,province,units,quota,pre,true_up\n", out);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "enterprise,%s,%u,%zu,%llu,%llu,%lld\n", ents[i].uscc, ents[i].province,
            ents[i].units, (unsigned long long)ents[i].quota, (unsigned long long)ents[i].pre,
            (long long)ents[i].true_up);
  }
  const struct alloc_summary *m = &run->summary;
  fputs("row,bp,bp_solved,units,verified_total,quota_total,pre_total,residual,surplus,shortfall,"
        "special,none\n", out);
  fprintf(out, "sector,%s,%s,%llu,%s,%llu,%llu,%s,%llu,%llu,%llu,%llu\n", m->bp,
          m->bp_solved ? "yes" : "no", (unsigned long long)m->units, m->verified_total,
          (unsigned long long)m->quota_total, (unsigned long long)m->pre_total, m->residual,
          (unsigned long long)m->surplus_count, (unsigned long long)m->shortfall_count,
          (unsigned long long)m->special_count, (unsigned long long)m->none_count);
}

static json_t *unit_json(const struct alloc_run *run, const struct alloc_result *r) {
  const struct alloc_unit *u = &run->data->units[r->unit];
  return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "uscc", u->uscc,
                   "province", (int)u->province, "unit", u->unit_id, "status",
                   alloc_status_name(r->status), "intensity", r->intensity, "x", r->x,
                   "alpha", r->alpha, "load_factor", r->load_factor, "exact", r->exact, "quota",
                   (json_int_t)r->quota, "pre", (json_int_t)r->pre, "true_up",
                   (json_int_t)r->true_up);
}

static json_t *enterprises_json(const struct alloc_enterprise *ents, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    json_t *e = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "uscc", ents[i].uscc, "province",
                          (int)ents[i].province, "units", (json_int_t)ents[i].units, "quota",
                          (json_int_t)ents[i].quota, "pre", (json_int_t)ents[i].pre, "true_up",
                          (json_int_t)ents[i].true_up);
    if (json_array_append_new(arr, e) != 0) {
      json_decref(arr);
      arr = NULL;
    }
  }
  return arr;
}

static int report_json(const struct alloc_run *run,
                       const struct alloc_enterprise *ents, size_t n, FILE *out) {
  const struct alloc_summary *m = &run->summary;
  json_t *units = json_array(), *by_enterprise = enterprises_json(ents, n);
  for (size_t i = 0; units && i < run->count; i++) {
    if (json_array_append_new(units, unit_json(run, &run->results[i])) != 0) {
      json_decref(units);
      units = NULL;
    }
  }
  json_t *sector = json_pack(
      "{s:s, s:b, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I}", "bp", m->bp, "bp_solved",
      m->bp_solved, "units", (json_int_t)m->units, "verified_total", m->verified_total,
      "quota_total", (json_int_t)m->quota_total, "pre_total", (json_int_t)m->pre_total,
      "residual", m->residual, "surplus", (json_int_t)m->surplus_count, "shortfall",
      (json_int_t)m->shortfall_count, "special", (json_int_t)m->special_count, "none",
      (json_int_t)m->none_count);
  json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:o?, s:o?, s:o?}", "scheme", run->scheme->name,
                          "sector_name", proto_sector_name(run->scheme->sector), "year",
                          (int)run->scheme->year, "method",
                          alloc_method_name(run->scheme->method), "sector", sector,
                          "units", units, "enterprises", by_enterprise);
  if (!doc || !units || !sector || !by_enterprise) {
    json_decref(doc);
    return PROTO_E_NO_MEMORY;
  }
  int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  fputc('\n', out);
  return rc == 0 ? 0 : -EIO;
}

int alloc_report(const struct alloc_run *run, enum alloc_format format,
                        FILE *out) {
  PROTO_ASSERT(run && out);
  if (format < ALLOC_FORMAT_TABLE || format > ALLOC_FORMAT_JSON) {
    return PROTO_E_BAD_ARGUMENT;
  }
  struct alloc_enterprise *ents;
  size_t n;
  int err = alloc_enterprises(run, &ents, &n);
  if (err) return err;
  switch (format) {
  case ALLOC_FORMAT_TABLE: report_table(run, ents, n, out); break;
  case ALLOC_FORMAT_CSV: report_csv(run, ents, n, out); break;
  case ALLOC_FORMAT_JSON: err = report_json(run, ents, n, out); break;
  }
  free(ents);
  if (!err && (fflush(out) != 0 || ferror(out))) err = -EIO;
  return err;
}

/* ------------------------------------------------------------------------------------------ */

int alloc_tx_id(const struct proto_key *id_key, const char *origin, const char *scheme_name,
                unsigned year, const char *uscc, const char *unit_id, unsigned kind,
                uint8_t out[PROTO_ID_BYTES]) {
  const char *kind_name = kind == ALLOC_KIND_CLAWBACK ? "clawback" : proto_alloc_kind_name(kind);
  if (!kind_name) return PROTO_E_BAD_ARGUMENT;
  char year_text[16];
  snprintf(year_text, sizeof year_text, "%u", year);
  /* what identifies the order, never its amount: a rerun with an edited amount then meets
   * id_conflict instead of allocating twice */
  const char *fields[5] = {scheme_name, year_text, uscc, unit_id, kind_name};
  unsigned type = kind == ALLOC_KIND_CLAWBACK ? PROTO_TX_CLAWBACK : PROTO_TX_ALLOCATE;
  return proto_id_derive(id_key, origin, type, fields, 5, out);
}

#define CARRYOVER_BASE_T 10000u /* power 2023-2024 scheme: T = 10,000 + 1.5 NS */
#define CARRYOVER_FACTOR_MILLI 1500u
#define CCER_COUNTED_DIVISOR 20u /* 5% of an obligation: floor(obligation / 20) */

uint64_t alloc_ccer_counted_max(uint64_t obligation) { return obligation / CCER_COUNTED_DIVISOR; }

uint64_t alloc_counted(uint64_t cea, uint64_t ccer, uint64_t obligation) {
  uint64_t ccer_max = alloc_ccer_counted_max(obligation);
  PROTO_ASSERT(cea <= PROTO_AMOUNT_MAX && ccer <= PROTO_AMOUNT_MAX); /* so the sum cannot wrap */
  return cea + (ccer < ccer_max ? ccer : ccer_max);
}

unsigned alloc_compliance_status_on_time(uint64_t shortfall, uint64_t completed_ms, bool on_time_met,
                                         uint64_t deadline_ms, uint64_t now_ms) {
  if (deadline_ms == 0 || now_ms <= deadline_ms) return shortfall == 0 ? ALLOC_COMPLIANT : ALLOC_SHORT;
  if (shortfall > 0) return ALLOC_OVERDUE;
  return completed_ms <= deadline_ms || on_time_met ? ALLOC_COMPLIANT : ALLOC_COMPLIANT_LATE;
}

unsigned alloc_compliance_status(uint64_t shortfall, uint64_t completed_ms, uint64_t deadline_ms,
                                 uint64_t now_ms) {
  return alloc_compliance_status_on_time(shortfall, completed_ms, false, deadline_ms, now_ms);
}

int alloc_carryover_rule_limit(uint64_t base, uint64_t factor_milli, uint64_t net_sales,
                               uint64_t *limit) {
  if (net_sales > PROTO_AMOUNT_MAX || base > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  if (factor_milli > PROTO_CARRY_FACTOR_MILLI_MAX) return PROTO_E_BAD_ARGUMENT;
  /* NS = 1000 q + r: factor * NS / 1000 = factor * q + factor * r / 1000, the first exact, the
   * second floored; with factor <= 10^6 and q < 2^53 / 1000 nothing passes 2^64. */
  uint64_t q = net_sales / 1000u, r = net_sales % 1000u;
  uint64_t t = base + factor_milli * q + factor_milli * r / 1000u;
  PROTO_ASSERT(t >= base);
  *limit = t > PROTO_AMOUNT_MAX ? PROTO_AMOUNT_MAX : t; /* no holding is larger */
  return 0;
}

int alloc_carryover_limit(uint64_t net_sales, uint64_t *limit) {
  return alloc_carryover_rule_limit(CARRYOVER_BASE_T, CARRYOVER_FACTOR_MILLI, net_sales, limit);
}

int alloc_carryover_cap(uint64_t net_sales, uint64_t holding, uint64_t *cap) {
  uint64_t t = 0;
  int rc = alloc_carryover_limit(net_sales, &t);
  if (rc) return rc;
  *cap = t < holding ? t : holding;
  return 0;
}

void alloc_deduct(uint64_t amount, uint64_t outstanding, uint64_t *credited,
                         uint64_t *withheld, uint64_t *remaining) {
  alloc_withhold(amount, outstanding, 0, credited, withheld, remaining);
}

void alloc_withhold(uint64_t amount, uint64_t outstanding, unsigned fraud_percent,
                    uint64_t *credited, uint64_t *withheld, uint64_t *remaining) {
  PROTO_ASSERT(fraud_percent <= 100u && amount <= PROTO_AMOUNT_MAX);
  uint64_t fraud = amount * fraud_percent / 100u; /* < 2^60: no overflow */
  uint64_t rest = amount - fraud;
  uint64_t w = rest < outstanding ? rest : outstanding;
  *withheld = fraud + w;
  *credited = rest - w;
  *remaining = outstanding - w;
  PROTO_ASSERT(*withheld + *credited == amount);
}

int alloc_order(const struct alloc_run *run, size_t i, unsigned phase,
                       struct alloc_order *out) {
  if (i >= run->count || (phase != ALLOC_PHASE_PRE && phase != ALLOC_PHASE_FINAL) ||
      (phase == ALLOC_PHASE_FINAL && run->summary.pre_only)) {
    return PROTO_E_BAD_ARGUMENT; /* a pre-allocation run has no final quotas */
  }
  const struct alloc_result *r = &run->results[i];
  const struct alloc_unit *u = &run->data->units[r->unit];
  struct alloc_order o = {u->uscc, u->unit_id, u->province, PROTO_ALLOC_PRE, r->pre};
  if (phase == ALLOC_PHASE_FINAL) {
    if (run->scheme->pre_share == 0 && !u->has_pre_allocated) {
      o.kind = PROTO_ALLOC_FINAL;
      o.amount = r->quota;
    } else {
      o.kind = r->true_up >= 0 ? PROTO_ALLOC_SUPPLEMENT : ALLOC_KIND_CLAWBACK;
      o.amount = r->true_up >= 0 ? (uint64_t)r->true_up : (uint64_t)-r->true_up;
    }
  }
  if (o.amount == 0) return 0;
  *out = o;
  return 1;
}
