/* alloc: quotas from the published allocation schemes (docs/ALLOCATION.md), and the market's
 * stateless formulas the ledger and the audit share (docs/RULES.md).
 * Pure functions over a scheme file and enterprise data; nothing here touches the store.
 *
 * How it is used
 * --------------
 *   struct alloc_scheme *s;  alloc_scheme_load("schemes/steel-2025.ini", &s, ...);
 *   struct alloc_data *d;    alloc_data_read("steel-2025.csv", &d, errors, ...);
 *   struct alloc_run *r;     alloc_compute(s, d, NULL, &r, &diag);
 *   alloc_report(r, ALLOC_FORMAT_TABLE, stdout);
 *   alloc_run_free(r); alloc_data_free(d); alloc_scheme_free(s);
 *
 * Arithmetic is exact: inputs are decimals read from text (at most 6 places for data, 18 for
 * scheme parameters), intermediate values are integers or exact fractions (128-bit, with 256-bit
 * products), and the only roundings are the ones the schemes name: intensity to the scheme's
 * places (half-up), the power load correction to 6 places (half-up), and every quota down to a
 * whole tonne. No binary floating point is used, so two machines always give the same tonnes.
 * Decimal results are given as text ("1.007500") next to the integer tonnes.
 *
 * Errors are proto's table: BAD_SCHEME (scheme file), BAD_DATA (enterprise data), NO_ROOT
 * (the sector has no balance value), OVERFLOW (a value past the exact range), NO_MEMORY, and
 * -errno for files. Functions that fail leave their out-parameters untouched and allocate nothing.
 * Nothing here keeps global state; distinct objects may be used from distinct threads.
 */
#ifndef QUOTAD_ALLOC_H
#define QUOTAD_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/proto.h"

/* Where an input error is: file (borrowed from the caller's path), 1-based line and column
 * (0 when not applicable), the key or column name, and a sentence. */
struct alloc_diag {
  const char *file;
  unsigned line;
  unsigned column;
  char field[32];
  char message[160];
};

/* ---------------------------------------------------------------------------------------------
 * Schemes (schemes/NAME.ini, format in docs/ALLOCATION.md)
 * ------------------------------------------------------------------------------------------- */
enum alloc_method {
  ALLOC_VERIFIED = 1,              /* quota = verified emissions (2024 vintage) */
  ALLOC_INTENSITY_COEFFICIENT = 2, /* A = E (1 + alpha), balance value BP (2025-) */
  ALLOC_POWER_BENCHMARK = 3,       /* A = Qe Be Ff + Qh Bh, floors and top-ups */
};
const char *alloc_method_name(unsigned method); /* static, NULL when unknown */

struct alloc_scheme;

/* Reads and validates a scheme file. On success *out is a new scheme the caller frees with
 * alloc_scheme_free. On BAD_SCHEME, diag (when not NULL) names the file, the line and the
 * key (line 0: a required key is missing; field then names it). -errno when the file cannot be
 * read. */
int alloc_scheme_load(const char *path, struct alloc_scheme **out,
                             struct alloc_diag *diag);
void alloc_scheme_free(struct alloc_scheme *scheme);
/* Borrowed views, valid until the scheme is freed. */
const char *alloc_scheme_name(const struct alloc_scheme *scheme);
unsigned alloc_scheme_year(const struct alloc_scheme *scheme);
unsigned alloc_scheme_sector(const struct alloc_scheme *scheme); /* proto_sector */
unsigned alloc_scheme_method(const struct alloc_scheme *scheme);
bool alloc_scheme_draft(const struct alloc_scheme *scheme);
bool alloc_scheme_has_pre(const struct alloc_scheme *scheme); /* a pre-allocation share > 0 */
/* The same as alloc_scheme_load from the file's text (NUL-terminated), as an allocation table
 * header carries it; diag->file is "scheme". */
int alloc_scheme_parse(const char *text, struct alloc_scheme **out, struct alloc_diag *diag);

/* ---------------------------------------------------------------------------------------------
 * Enterprise data: one record per allocation unit
 * ------------------------------------------------------------------------------------------- */
/* Decimal inputs are held exactly as integers scaled by 10^6 (names end in _e6): at most six
 * places in the CSV. */
#define ALLOC_UNIT_ID_BYTES_MAX 32u

enum alloc_flag {
  ALLOC_F_WHITE_PORTLAND = 1u << 0,     /* cement line making only white Portland clinker */
  ALLOC_F_GYPSUM_ACID = 1u << 1,        /* gypsum-to-sulphuric-acid by-product line */
  ALLOC_F_HYDROGEN_BF = 1u << 2,        /* hydrogen-rich carbon-cycle oxygen blast furnace */
  ALLOC_F_CLOSED = 1u << 3,             /* closed before determination: no allocation */
  ALLOC_F_COMMISSIONED = 1u << 4,       /* commissioned in the year: no allocation */
  ALLOC_F_NON_PORTLAND = 1u << 5,       /* reports only */
  ALLOC_F_STANDALONE_EAF = 1u << 6,     /* reports only */
  ALLOC_F_STANDALONE_ROLLING = 1u << 7, /* reports only */
};

enum alloc_category { /* power generating units */
  ALLOC_CAT_NONE = 0,
  ALLOC_CAT_I = 1,   /* coal > 300 MW */
  ALLOC_CAT_II = 2,  /* coal <= 300 MW */
  ALLOC_CAT_III = 3, /* unconventional coal, incl. CFB */
  ALLOC_CAT_IV = 4,  /* gas */
};

struct alloc_unit {
  proto_uscc_t uscc;                              /* checked with proto_uscc_check */
  uint8_t province;                               /* GB/T 2260 two-digit code */
  uint8_t sector;                                 /* enum proto_sector */
  char unit_id[ALLOC_UNIT_ID_BYTES_MAX + 1]; /* unique within the enterprise */
  bool emissions_unknown;    /* this year's E is not known yet (a pre-allocation run) */
  int64_t emissions_e6;      /* verified emissions E of the year, t */
  int64_t output_e6;         /* hot metal / clinker / aluminium, t (not power) */
  bool has_prev;             /* previous year's verified emissions known */
  int64_t prev_emissions_e6; /* for the pre-allocation */
  uint8_t category;          /* power: enum alloc_category */
  int64_t supplied_mwh_e6;   /* power: Qe */
  int64_t heat_gj_e6;        /* power: Qh */
  int64_t load_pct_e6;       /* power: load rate F, % */
  int64_t carbide_slag_e6;   /* cement: carbide-slag substitution rate as a fraction (0.18) */
  uint32_t flags;            /* enum alloc_flag */
  bool has_pre_allocated;    /* pre_allocated was given (else the computed pre is used) */
  uint64_t pre_allocated;    /* tonnes already pre-allocated (for the true-up) */
};

struct alloc_data {
  struct alloc_unit *units; /* owned */
  size_t count;
};

/* Reads a CSV file (columns in docs/ALLOCATION.md; header row first, columns in any order).
 * Every error is written to errors (when not NULL) as "file:line:column: field: message", and
 * the first one to diag (when not NULL); reading goes on to report them all, up to 1000.
 * Returns 0 and a new *out (free with alloc_data_free), BAD_DATA, or -errno. */
int alloc_data_read(const char *path, struct alloc_data **out, FILE *errors,
                           struct alloc_diag *diag);
/* The same from an open stream; name is used in messages. */
int alloc_data_read_stream(FILE *in, const char *name, struct alloc_data **out,
                                  FILE *errors, struct alloc_diag *diag);
void alloc_data_free(struct alloc_data *data);

/* ---------------------------------------------------------------------------------------------
 * Computation
 * ------------------------------------------------------------------------------------------- */
#define ALLOC_TEXT_BYTES 48u

enum alloc_status {
  ALLOC_NORMAL = 1,   /* computed by the scheme's method */
  ALLOC_SPECIAL = 2,  /* special case: alpha = 0, quota = verified emissions */
  ALLOC_NONE = 3,     /* no allocation (closed, commissioned, non-Portland, EAF, rolling) */
};
const char *alloc_status_name(unsigned status); /* static, NULL when unknown */

struct alloc_result {
  size_t unit;                              /* index into the data's units */
  uint8_t status;                           /* enum alloc_status */
  char intensity[ALLOC_TEXT_BYTES];  /* I, rounded half-up to the scheme's places ("" power) */
  char x[ALLOC_TEXT_BYTES];          /* X = (BP - I) / BP, 18 places toward zero ("" n/a) */
  char alpha[ALLOC_TEXT_BYTES];      /* alpha, 18 places toward zero ("" n/a) */
  char load_factor[ALLOC_TEXT_BYTES]; /* power: Ff (6 places) */
  char exact[ALLOC_TEXT_BYTES];      /* the quota before rounding, 18 places, toward zero */
  uint64_t quota;                           /* final quota, whole tonnes, rounded down */
  uint64_t pre;                             /* pre-allocation: floor(share * previous E) */
  int64_t true_up;                          /* quota - pre_allocated: > 0 supplement, < 0 claw back */
};

struct alloc_summary {
  char bp[ALLOC_TEXT_BYTES]; /* balance value, 18 places toward zero ("" if none) */
  bool bp_solved;                   /* solved here (true) or taken from the scheme / caller */
  bool pre_only;                    /* no unit had this year's emissions: pre-allocations only */
  char verified_total[ALLOC_TEXT_BYTES]; /* sum of E over allocated units, exact */
  uint64_t quota_total, pre_total;
  char residual[ALLOC_TEXT_BYTES]; /* verified_total - quota_total, exact */
  uint64_t units, surplus_count, shortfall_count, special_count, none_count;
};

struct alloc_run {
  const struct alloc_scheme *scheme; /* borrowed: must outlive the run */
  const struct alloc_data *data;     /* borrowed: must outlive the run */
  struct alloc_result *results;      /* owned, one per unit, in data order */
  size_t count;
  struct alloc_summary summary;
};

/* Computes every unit of data with scheme. bp: NULL to use the scheme's published bp or, when it
 * has none, to solve the balance equation; else a decimal text that overrides both. Every unit
 * must be of the scheme's sector (power units need a category). Returns 0 and a new *out (free
 * with alloc_run_free), BAD_DATA (diag->line is the unit's 1-based index in data, not a
 * file line), BAD_ARGUMENT (bp not a positive decimal, or given for a method without a balance value), NO_ROOT (no unit with emissions to
 * balance), OVERFLOW / AMOUNT_TOO_LARGE (diag names the unit), or NO_MEMORY. */
int alloc_compute(const struct alloc_scheme *scheme,
                         const struct alloc_data *data, const char *bp,
                         struct alloc_run **out, struct alloc_diag *diag);
void alloc_run_free(struct alloc_run *run);

/* An enterprise's totals: its cement lines / aluminium processes / units summed. */
struct alloc_enterprise {
  const char *uscc; /* borrowed from the run's data */
  uint8_t province;
  size_t units;     /* its allocation units in the data */
  uint64_t quota, pre;
  int64_t true_up;
};

/* Totals per enterprise, in USCC order. Returns 0, a new array *out (release with free()) and
 * *count, or NO_MEMORY / OVERFLOW; on error *out and *count are untouched. */
int alloc_enterprises(const struct alloc_run *run,
                             struct alloc_enterprise **out, size_t *count);

enum alloc_format {
  ALLOC_FORMAT_TABLE = 1, /* aligned text for people */
  ALLOC_FORMAT_CSV = 2,   /* unit rows, enterprise rows, the sector row; each kind after
                                    its own header row (first column: unit / enterprise / sector) */
  ALLOC_FORMAT_JSON = 3,  /* {"scheme":..., "sector":{...}, "units":[...],
                                    "enterprises":[...]} */
};
/* Writes the run to out. Returns 0, -errno on a write error, or NO_MEMORY. */
int alloc_report(const struct alloc_run *run, enum alloc_format format,
                        FILE *out);

/* ---------------------------------------------------------------------------------------------
 * What to issue: one order per unit and phase, with everything an allocate / claw-back
 * transaction needs (the tools sign and submit them; see "alloc issue").
 * ------------------------------------------------------------------------------------------- */
enum alloc_phase {
  ALLOC_PHASE_PRE = 1,   /* before verification: the pre-allocation */
  ALLOC_PHASE_FINAL = 2, /* after the final determination */
};

struct alloc_order {
  const char *uscc;    /* borrowed from the run's data */
  const char *unit_id; /* borrowed from the run's data */
  uint8_t province;
  unsigned kind;   /* PROTO_ALLOC_PRE, PROTO_ALLOC_FINAL, PROTO_ALLOC_SUPPLEMENT or
                      ALLOC_KIND_CLAWBACK (a claw-back transaction) */
  uint64_t amount; /* tonnes, 1..2^53 - 1 */
  /* its id is the issuer's to derive: alloc_tx_id with the issuer's key */
};

/* The order unit i of run calls for in phase. PRE: kind PRE for the pre-allocation. FINAL: when
 * the scheme has no pre-allocation and none was given, kind FINAL for the quota; otherwise the
 * true-up, SUPPLEMENT when positive, CLAWBACK when negative. Returns 1 and *out, 0 when there is
 * nothing to issue (a zero amount), or BAD_ARGUMENT (i or phase out of range). */
int alloc_order(const struct alloc_run *run, size_t i, unsigned phase,
                       struct alloc_order *out);

/* ---------------------------------------------------------------------------------------------
 * Allocation tables (proto/FORMAT.md "Allocation tables"): the recomputation the ledger runs at
 * publication and the audit at replay, from the scheme text and the rows' inputs.
 * ------------------------------------------------------------------------------------------- */
struct alloc_table_header {
  unsigned vintage;               /* the vintage of the table's instrument */
  unsigned phase, status, bp_kind; /* proto_table_phase, proto_scheme_status, proto_bp_kind */
  const char *bp;                 /* the header's balance value text ("" for none) */
};

/* Checks a header against its scheme: DRAFT_SCHEME (the scheme or the header says draft),
 * ALLOC_MISMATCH (the scheme's year is not the vintage; a pre-allocation table of a scheme
 * without pre-allocation), BP_MISMATCH (a balance-value kind the method and phase do not have;
 * a published value that differs from the one the scheme names; solved for a scheme that
 * names one). Returns 0 when the header may be published. */
int alloc_table_header_check(const struct alloc_scheme *s, const struct alloc_table_header *h);

struct alloc_table_verdict {
  size_t row;                /* the first row found wrong (0-based) */
  uint64_t pre, quota;       /* TABLE_MISMATCH: what the allocator computes for that row */
  char bp[ALLOC_TEXT_BYTES]; /* solved tables: the solve over the rows, 18 places toward zero */
};

/* Recomputes every row of a table with its scheme and the header's balance value: for a solved
 * one, first solves over the rows and requires the header's value to be that solve truncated
 * to 18 places; the amounts are then computed with the header's value either way (so a
 * re-determination, computed later with that same value, agrees). Returns 0, ALLOC_MISMATCH
 * (a row with this year's emissions in a pre-allocation table or without them in a final one),
 * TABLE_ROWS (a (USCC, unit) twice), BP_MISMATCH, TABLE_MISMATCH (a row's pre or quota differs),
 * or alloc_compute's BAD_DATA / NO_ROOT / OVERFLOW / AMOUNT_TOO_LARGE / NO_MEMORY; v->row names
 * the row. */
int alloc_table_rows_check(const struct alloc_scheme *s, const struct alloc_table_header *h,
                           const struct proto_alloc_row *rows, size_t n,
                           struct alloc_table_verdict *v);

/* A row's inputs as an allocation unit (province 0, nothing pre-allocated). */
void alloc_unit_from_row(const struct proto_alloc_row *row, struct alloc_unit *u);
/* Unit i of run with its computed amounts as a table row (not confidential, zero salt). */
void alloc_row_from_result(const struct alloc_run *run, size_t i, struct proto_alloc_row *row);

/* ---------------------------------------------------------------------------------------------
 * Small pure rules
 * ------------------------------------------------------------------------------------------- */
/* The formulas below are the market's own arithmetic that both the ledger (ledger/rules_*.c,
 * ledger/read.c) and the independent verifier (audit/) apply: they live here once so that the
 * two sides can differ in how they keep state, never in what a number means (docs/RULES.md). */

/* The most CCER an obligation of `obligation` tonnes counts: floor(5% of it). */
uint64_t alloc_ccer_counted_max(uint64_t obligation);

/* What counts against an obligation: the CEA surrendered plus the CCER surrendered up to
 * alloc_ccer_counted_max(obligation). Both amounts are at most 2^53 - 1, so the sum cannot wrap;
 * the caller refuses a sum above 2^53 - 1 where it stores one. */
uint64_t alloc_counted(uint64_t cea, uint64_t ccer, uint64_t obligation);

/* A compliance record's status (the values of ledger.h's enum ledger_compliance_status):
 * 1 compliant, 2 short (before the deadline), 3 compliant late, 4 overdue. shortfall is the
 * obligation less what counts (0 when met), completed_ms when it was first met (0: not met),
 * deadline_ms the year's deadline (0: the year has none yet, so it is never late). */
#define ALLOC_COMPLIANT 1u
#define ALLOC_SHORT 2u
#define ALLOC_COMPLIANT_LATE 3u
#define ALLOC_OVERDUE 4u
/* The same where on_time_met says whether what was surrendered by the deadline covers the latest
 * obligation (docs/RULES.md "Corrections after the deadline"): then the year is compliant even
 * when a later correction reset or moved completed_ms. */
unsigned alloc_compliance_status_on_time(uint64_t shortfall, uint64_t completed_ms, bool on_time_met,
                                         uint64_t deadline_ms, uint64_t now_ms);
unsigned alloc_compliance_status(uint64_t shortfall, uint64_t completed_ms, uint64_t deadline_ms,
                                 uint64_t now_ms);

/* The carry-over limit of the power 2023-2024 scheme: T = floor(10,000 + 1.5 * NS).
 * Returns 0 and *limit, or AMOUNT_TOO_LARGE (*limit untouched) when NS exceeds 2^53 - 1; below
 * that the sum cannot overflow. */
int alloc_carryover_limit(uint64_t net_sales, uint64_t *limit);

/* The carry-over cap: alloc_carryover_limit, at most holding. Same returns. */
int alloc_carryover_cap(uint64_t net_sales, uint64_t holding, uint64_t *cap);

/* A carry-over rule's limit (docs/RULES.md "Carry-over"): floor(base + factor_milli / 1000 *
 * NS), exactly, and at most 2^53 - 1. Returns 0 and *limit, AMOUNT_TOO_LARGE when NS or base
 * exceed 2^53 - 1, BAD_ARGUMENT when factor_milli exceeds PROTO_CARRY_FACTOR_MILLI_MAX. */
int alloc_carryover_rule_limit(uint64_t base, uint64_t factor_milli, uint64_t net_sales,
                               uint64_t *limit);

/* A deduction against one allocation: withheld = min(amount, outstanding), credited = the rest
 * of the amount, remaining = outstanding - withheld. Never fails. */
void alloc_deduct(uint64_t amount, uint64_t outstanding, uint64_t *credited,
                         uint64_t *withheld, uint64_t *remaining);

/* What one allocation withholds (docs/RULES.md "Deductions"), the one formula of the ledger and
 * the audit: first floor(amount * fraud_percent / 100) for a fraud deduction of its year (0:
 * none), then of the rest at most the outstanding shortfall deduction. withheld + credited =
 * amount; remaining = the outstanding deduction after it. Never fails (fraud_percent <= 100). */
void alloc_withhold(uint64_t amount, uint64_t outstanding, unsigned fraud_percent,
                    uint64_t *credited, uint64_t *withheld, uint64_t *remaining);

/* The id of an allocation or claw-back transaction, derived by its issuer (proto_id_derive,
 * FORMAT.md "Deriving ids"): the Ed25519 key id_key signs, for origin and type allocate (or
 * clawback for kind ALLOC_KIND_CLAWBACK), the fields scheme name, year as decimal text, USCC,
 * unit id and the kind's name (proto_alloc_kind_name, or "clawback"); the id is the first 16
 * bytes of SHA-256 over "quotad/id/v1\n" and that signature. A rerun by the same key gives the
 * same ids; an enterprise that knows every field but not the key cannot compute its future
 * claw-back's id to take it first. The amount is not among the fields. Returns 0, BAD_ARGUMENT
 * (an unknown kind) or proto_id_derive's error; out is written only on success. */
#define ALLOC_KIND_CLAWBACK 0u
int alloc_tx_id(const struct proto_key *id_key, const char *origin, const char *scheme_name,
                unsigned year, const char *uscc, const char *unit_id, unsigned kind,
                uint8_t out[PROTO_ID_BYTES]);

#endif /* QUOTAD_ALLOC_H */
