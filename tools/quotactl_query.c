/* The read subcommands: accounts, balances, history, keys, instruments, entries and the
 * compliance report (the checkpoint has its own file, tools/quotactl_checkpoint.c). --json prints
 * the registry's answer as is; otherwise a table. */
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/quotactl.h"

static const char *const query_cmds[] = {"account", "balances", "history", "keys", "instruments",
                                         "accounts", "entries", "log", NULL};

bool qctl_is_query_cmd(const char *cmd) {
  for (size_t i = 0; query_cmds[i]; i++) {
    if (strcmp(query_cmds[i], cmd) == 0) return true;
  }
  return false;
}

static json_int_t num(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }
static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static void print_account(const json_t *a) {
  printf("%-8" JSON_INTEGER_FORMAT " %-11s %-4" JSON_INTEGER_FORMAT " %-9s %-18s %s%s",
         num(a, "id"), str(a, "kind"), num(a, "province"), str(a, "sector"), str(a, "uscc"),
         str(a, "name"), json_is_true(json_object_get(a, "closed")) ? " (closed)" : "");
  json_int_t ded = num(a, "deduction_outstanding");
  if (ded) printf(" [deduction outstanding %" JSON_INTEGER_FORMAT " t]", ded);
  printf("\n");
}

static void print_balances(const json_t *b) {
  printf("account %" JSON_INTEGER_FORMAT "\n%-16s %14s %14s %14s %14s\n", num(b, "account"),
         "instrument", "registry", "trading", "frozen", "available");
  size_t i;
  json_t *row;
  for (i = 0; i < json_array_size(json_object_get(b, "balances")) && (row = json_array_get(json_object_get(b, "balances"), i)) != NULL; i++) {
    printf("%-16s %14" JSON_INTEGER_FORMAT " %14" JSON_INTEGER_FORMAT " %14" JSON_INTEGER_FORMAT
           " %14" JSON_INTEGER_FORMAT "\n", str(row, "instrument"), num(row, "registry"),
           num(row, "trading"), num(row, "frozen") + num(row, "frozen_by_orders"),
           num(row, "available"));
  }
}

static void print_entry(const json_t *e) {
  json_t *tx = json_object_get(e, "tx");
  time_t t = (time_t)(num(e, "time_ms") / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_t *rest = json_deep_copy(tx);
  json_object_del(rest, "type");
  json_object_del(rest, "id");
  json_object_del(rest, "legs");
  char *fields = json_dumps(rest, JSON_COMPACT);
  printf("%8" JSON_INTEGER_FORMAT "  %s  %-18s %s %s", num(e, "index"), when, str(tx, "type"),
         str(tx, "id"), fields ? fields : "");
  json_t *legs = json_object_get(tx, "legs");
  json_t *beside = json_object_get(e, "legs"); /* a version 2 settle: the legs this key may see */
  if (legs) printf(" (%zu legs)", json_array_size(legs));
  else if (beside) printf(" (%zu of %" JSON_INTEGER_FORMAT " legs shown)", json_array_size(beside), num(tx, "legs_count"));
  if (num(e, "withheld")) printf(" withheld %" JSON_INTEGER_FORMAT, num(e, "withheld"));
  printf("\n");
  free(fields);
  json_decref(rest);
}

static void print_instruments(const json_t *ans) {
  printf("%-16s %-5s %-7s %-9s %16s %16s %14s %12s %12s\n", "code", "kind", "vintage", "years",
         "cap", "issued", "surrendered", "cancelled", "carried");
  size_t i;
  json_t *in;
  for (i = 0; i < json_array_size(json_object_get(ans, "instruments")) && (in = json_array_get(json_object_get(ans, "instruments"), i)) != NULL; i++) {
    printf("%-16s %-5s %-7" JSON_INTEGER_FORMAT " %" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT
           " %16" JSON_INTEGER_FORMAT " %16" JSON_INTEGER_FORMAT " %14" JSON_INTEGER_FORMAT
           " %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT "\n",
           str(in, "code"), str(in, "kind"), num(in, "vintage"), num(in, "first_year"),
           num(in, "last_year"), num(in, "cap"), num(in, "issued"), num(in, "surrendered"),
           num(in, "cancelled"), num(in, "carried_over"));
  }
}

static void print_keys(const json_t *ans) {
  size_t i;
  json_t *k;
  for (i = 0; i < json_array_size(json_object_get(ans, "keys")) && (k = json_array_get(json_object_get(ans, "keys"), i)) != NULL; i++) {
    printf("%s %-14s scope %-8" JSON_INTEGER_FORMAT " %s%s\n", str(k, "hash"), str(k, "role"),
           num(k, "scope"), str(k, "name"), json_is_true(json_object_get(k, "revoked"))
           ? " (revoked)" : "");
  }
}

/* Builds the request path of a query; returns 0 or an exit code. */
static int query_path(const char *cmd, const struct qopts *o, char *path, size_t cap, bool *sign) {
  *sign = true;
  const char *ref = o->npos ? o->pos[0] : NULL;
  bool needs_ref = strcmp(cmd, "account") == 0 || strcmp(cmd, "balances") == 0 ||
                   strcmp(cmd, "history") == 0;
  if (needs_ref && !ref) {
    fprintf(stderr, "usage: quotactl %s ID|USCC|CN-xx\n", cmd);
    return QCTL_EXIT_USAGE;
  }
  const char *after = qopts_get(o, "after"), *limit = qopts_get(o, "limit");
  if (strcmp(cmd, "account") == 0) {
    snprintf(path, cap, "/v1/accounts/%s", ref);
  } else if (strcmp(cmd, "balances") == 0) {
    snprintf(path, cap, "/v1/accounts/%s/balances", ref);
  } else if (strcmp(cmd, "history") == 0) {
    snprintf(path, cap, "/v1/accounts/%s/history?limit=%s%s%s", ref, limit ? limit : "100",
             after ? "&after=" : "", after ? after : "");
  } else if (strcmp(cmd, "accounts") == 0) {
    const char *kind = qopts_get(o, "kind"), *prov = qopts_get(o, "province");
    snprintf(path, cap, "/v1/accounts?limit=%s%s%s%s%s%s%s", limit ? limit : "1000",
             kind ? "&kind=" : "", kind ? kind : "", prov ? "&province=" : "", prov ? prov : "",
             after ? "&after=" : "", after ? after : "");
  } else if (strcmp(cmd, "entries") == 0) {
    const char *start = qopts_get(o, "start");
    snprintf(path, cap, "/v1/entries?start=%s&limit=%s", start ? start : "0", limit ? limit : "100");
  } else {
    *sign = strcmp(cmd, "keys") == 0;
    snprintf(path, cap, "/v1/%s", cmd);
  }
  return 0;
}

int qctl_cmd_query(struct qctl *q, const char *cmd, int argc, char **argv) {
  struct qopts o;
  int rc = qctl_preamble(&o, argc, argv, "query", cmd);
  if (rc != QCTL_GO_ON) return rc;
  char path[512];
  bool sign;
  if ((rc = query_path(cmd, &o, path, sizeof(path), &sign))) return rc;
  json_t *ans = NULL;
  if ((rc = qctl_get(q, path, sign, &ans))) return rc;
  if (q->json || strcmp(cmd, "log") == 0) {
    json_dumpf(ans, stdout, JSON_INDENT(2));
    putchar('\n');
  } else if (strcmp(cmd, "account") == 0) {
    print_account(ans);
  } else if (strcmp(cmd, "balances") == 0) {
    print_balances(ans);
  } else if (strcmp(cmd, "accounts") == 0) {
    size_t i;
    json_t *a;
    printf("%-8s %-11s %-4s %-9s %-18s %s\n", "id", "kind", "prov", "sector", "uscc", "name");
    for (i = 0; i < json_array_size(json_object_get(ans, "accounts")) && (a = json_array_get(json_object_get(ans, "accounts"), i)) != NULL; i++) print_account(a);
  } else if (strcmp(cmd, "history") == 0 || strcmp(cmd, "entries") == 0) {
    size_t i;
    json_t *e;
    for (i = 0; i < json_array_size(json_object_get(ans, "entries")) && (e = json_array_get(json_object_get(ans, "entries"), i)) != NULL; i++) print_entry(e);
  } else if (strcmp(cmd, "instruments") == 0) {
    print_instruments(ans);
  } else {
    print_keys(ans);
  }
  json_decref(ans);
  return QCTL_EXIT_OK;
}

static void compliance_row(const json_t *e, bool csv) {
  if (csv) {
    printf("%" JSON_INTEGER_FORMAT ",%s,\"", num(e, "account"), str(e, "uscc"));
    for (const char *p = str(e, "name"); *p; p++) {
      if (*p == '"') putchar('"');
      putchar(*p);
    }
    printf("\",%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT
           ",%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT ",%" JSON_INTEGER_FORMAT ",%s\n",
           num(e, "province"), num(e, "emissions"), num(e, "surrendered_cea"),
           num(e, "surrendered_ccer"), num(e, "counted"), num(e, "shortfall"), str(e, "status"));
    return;
  }
  printf("%-8" JSON_INTEGER_FORMAT " %-18s %-30.30s %4" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
         " %12" JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT " %11" JSON_INTEGER_FORMAT " %-14s\n",
         num(e, "account"), str(e, "uscc"), str(e, "name"), num(e, "province"), num(e, "emissions"),
         num(e, "surrendered_cea"), num(e, "surrendered_ccer"), num(e, "shortfall"),
         str(e, "status"));
}

/* Totals by status, so that the report ends with what a reader looks for first. */
static void compliance_summary(const json_t *list, unsigned year) {
  static const char *const statuses[] = {"compliant", "short", "compliant_late", "overdue"};
  uint64_t count[4] = {0}, shortfall = 0, emissions = 0, counted = 0;
  size_t i;
  json_t *e;
  for (i = 0; i < json_array_size(list) && (e = json_array_get(list, i)) != NULL; i++) {
    for (size_t s = 0; s < 4; s++) {
      if (strcmp(str(e, "status"), statuses[s]) == 0) count[s]++;
    }
    if (__builtin_add_overflow(shortfall, (uint64_t)num(e, "shortfall"), &shortfall) ||
        __builtin_add_overflow(emissions, (uint64_t)num(e, "emissions"), &emissions) ||
        __builtin_add_overflow(counted, (uint64_t)num(e, "counted"), &counted)) {
      fprintf(stderr, "quotactl compliance: totals overflow\n");
      return;
    }
  }
  printf("\n%u: %zu enterprises; obligation %" PRIu64 " t, counted %" PRIu64 " t, shortfall %"
         PRIu64 " t\n", year, json_array_size(list), emissions, counted, shortfall);
  printf("  compliant %" PRIu64 ", short %" PRIu64 ", compliant late %" PRIu64 ", overdue %" PRIu64
         "\n", count[0], count[1], count[2], count[3]);
}


/* Every page of a year's compliance, the enterprises of later pages appended to the first's. */
static int compliance_all(struct qctl *q, uint64_t year, json_t **out) {
  *out = NULL;
  for (json_int_t after = 0; after >= 0;) {
    char path[96];
    snprintf(path, sizeof(path), "/v1/compliance/%" PRIu64 "?limit=1000&after=%lld", year, (long long)after);
    json_t *page = NULL;
    int rc = qctl_get(q, path, false, &page);
    if (rc) {
      json_decref(*out);
      *out = NULL;
      return rc;
    }
    json_t *next = json_object_get(page, "next");
    after = json_is_integer(next) ? json_integer_value(next) : -1;
    if (!*out) {
      *out = page;
      continue;
    }
    json_array_extend(json_object_get(*out, "enterprises"), json_object_get(page, "enterprises"));
    json_decref(page);
  }
  json_object_set_new(*out, "next", json_null());
  return 0;
}

int qctl_cmd_compliance(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  static const char *const bools[] = {"csv", NULL};
  int rc = qopts_parse(&o, argc, argv, bools);
  if (rc) return rc;
  if (qopts_has(&o, "help") || o.npos != 1)
    return qopts_usage(&o,
        "usage: quotactl compliance YEAR [--csv] [--json]\n"
        "Status and shortfall of every enterprise with verified emissions for YEAR\n"
        "(compliant, short, compliant_late, overdue), then totals. Public: no key needed.\n");
  static const char *const allowed[] = {"csv", NULL};
  if ((rc = qopts_only(&o, "compliance", allowed))) return rc;
  uint64_t year;
  if ((rc = qopts_u64(o.pos[0], "YEAR", PROTO_YEAR_MIN, PROTO_YEAR_MAX, &year))) return rc;
  json_t *ans = NULL;
  if ((rc = compliance_all(q, year, &ans))) return rc;
  json_t *list = json_object_get(ans, "enterprises");
  bool csv = qopts_has(&o, "csv");
  if (q->json) {
    json_dumpf(ans, stdout, JSON_INDENT(2));
    putchar('\n');
  } else {
    if (csv) {
      printf("account,uscc,name,province,emissions,surrendered_cea,surrendered_ccer,counted,"
             "shortfall,status\n");
    } else {
      printf("%-8s %-18s %-30s %4s %12s %12s %9s %11s %-14s\n", "account", "uscc", "name", "prov",
             "emissions", "surr. CEA", "surr. CCER", "shortfall", "status");
    }
    size_t i;
    json_t *e;
    for (i = 0; i < json_array_size(list) && (e = json_array_get(list, i)) != NULL; i++) compliance_row(e, csv);
    if (!csv) compliance_summary(list, (unsigned)year);
  }
  json_decref(ans);
  return QCTL_EXIT_OK;
}
