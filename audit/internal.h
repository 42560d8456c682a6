/* Internal to audit/: the replay's in-memory state, the per-entry context the rules work on, and
 * the helpers the rule files share. Not for other folders: audit/audit.h is the interface. */
#ifndef QUOTAD_AUDIT_INTERNAL_H
#define QUOTAD_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"
#include "alloc/alloc.h"
#include "audit/audit.h"

#define AUDIT_PROVINCES 100u /* GB/T 2260 province codes are two digits */

struct audit_key_rec {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  uint8_t role;
  bool revoked;
  uint64_t scope;
  uint64_t registered_index;
  uint64_t revoked_index;
  struct proto_key *evp; /* built on first verification */
};

struct audit_account_rec {
  uint64_t id;
  uint8_t kind, province, sector, threshold;
  bool closed;
  bool at_risk;         /* enterprises: set and cleared by at_risk entries */
  proto_uscc_t uscc;
  uint64_t deduction;   /* outstanding deduction, tonnes */
  uint64_t holdings;    /* instruments in which it holds units (any position): 0 = empty */
};

struct audit_instr_rec {
  proto_instrument_t code;
  uint8_t kind;
  uint16_t vintage, first_year, last_year;
  uint64_t cap, issued, surrendered, cancelled, carried_over;
  size_t ordinal; /* its position in the instruments map */
  uint64_t held; /* sum of every holding, kept as units move; recounted by audit_replay_finish */
};

struct audit_bal_rec {
  uint64_t registry, trading, frozen;
};

/* A freeze order (freeze version 2), keyed by account (8 BE) || order id (16). */
struct audit_order_rec {
  proto_instrument_t code;
  uint8_t positions; /* enum proto_cover */
  uint64_t quantity, lifted, expiry_ms;
};

/* The orders on one holding that may still bind, keyed by account (8 BE) || code (16): orders
 * that expired or were lifted in full leave it when the next order arrives or at their lift. */
struct audit_order_list {
  uint8_t n;
  uint8_t ids[PROTO_FREEZE_ORDERS_HELD_MAX][PROTO_ID_BYTES];
};

struct audit_comp_rec {
  bool has_emissions;
  uint64_t emissions, cea, ccer;
  uint64_t completed_ms; /* 0 while counted < obligation */
  uint64_t cea_in_time, ccer_in_time; /* surrendered by the deadline in force at the time */
  uint64_t own_deadline_ms;           /* from a correction that raised the obligation late */
  bool corrected;                     /* the obligation changed after the deadline */
};

/* Net sales (docs/RULES.md "Carry-over"): every transfer or settlement leg of a CEA vintage an
 * account took part in, in commit order, so a carry-over's NS can be recomputed over its rule's
 * vintages and window. Version 1 carry-overs count the 2019-2024 vintages. */
#define AUDIT_NS_V1_VINTAGE_MIN 2019u
#define AUDIT_NS_V1_VINTAGE_MAX 2024u
struct audit_ns_event {
  uint64_t time_ms;
  uint64_t amount;
  uint16_t vintage;
  bool outgoing;
};
/* A carry-over rule (type 27), keyed by its entry's id. */
struct audit_carry_rule {
  struct proto_carry_over_rule rule;
  uint64_t index;
};
/* A deduction of version 2, keyed by account (8 BE) || year (2 BE) || kind (1). */
struct audit_deduction {
  uint64_t amount;
  uint8_t percent;
};
struct audit_ns_list {
  struct audit_ns_event *ev;
  size_t count, cap;
};

struct audit_replay {
  struct audit_map keys;        /* key hash (32) -> audit_key_rec */
  struct audit_map accounts;    /* account id (8 BE) -> audit_account_rec */
  struct audit_map usccs;       /* USCC (18) -> account id */
  struct audit_map instruments; /* code (16, zero padded) -> audit_instr_rec */
  struct audit_map balances;    /* account (8 BE) || code (16) -> audit_bal_rec */
  struct audit_map compliance;  /* account (8 BE) || year (2 BE) -> audit_comp_rec */
  struct audit_map carried;     /* account (8 BE) || to code (16) -> uint64_t carried over */
  struct audit_map tx_ids;      /* id (16) -> uint64_t index */
  struct audit_map ns;          /* account (8 BE) -> audit_ns_list */
  struct audit_map orders;      /* account (8 BE) || order id (16) -> audit_order_rec */
  struct audit_map order_lists; /* account (8 BE) || code (16) -> audit_order_list */
  struct audit_map carry_rules; /* rule entry id (16) -> audit_carry_rule */
  struct audit_map deductions;  /* account (8 BE) || year (2 BE) || kind (1) -> audit_deduction */
  uint64_t province_account[AUDIT_PROVINCES]; /* provincial account per province, 0 none */
  uint64_t deadline_ms[PROTO_YEAR_MAX + 1];   /* 0: compliance year not open */
  struct audit_tables *tables; /* allocation tables and units (rules_tables.c), made on first use */

  bool genesis_done;
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t log_pub[PROTO_PUBKEY_BYTES];
  bool expect_log_pub;
  uint8_t expected_log_pub[PROTO_PUBKEY_BYTES];
  uint64_t national_account;
  uint8_t operator_threshold;

  uint64_t entries;      /* replayed so far = the next index */
  uint64_t last_time_ms;
  uint8_t *scratch;      /* leaf.c's re-encoding and signing-message buffer */
  bool failed;
  struct audit_failure failure; /* the first failure, returned again on every later call */
  bool keep_going;              /* audit_replay_keep_going */
  uint64_t failures_count;      /* entries that failed in keep-going mode */
  struct audit_failure *failures; /* the first AUDIT_FAILURES_KEPT_MAX of them */
};

/* What one rule check sees. */
struct audit_ctx {
  struct audit_replay *r;
  const struct proto_tx *tx;
  uint64_t index, time_ms, withheld;
  const struct audit_signer *signers;
  size_t signers_count;
  struct audit_failure *fail;
};

/* Records the failure of the current entry ("entry N (type id): " + the formatted detail) and
 * returns code. */
int audit__fail(struct audit_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Requires at least `threshold` distinct signers holding role with scope (the signers are
 * already known to be registered, valid and not revoked). WRONG_ROLE / INSUFFICIENT_SIGNATURES. */
int audit__require(struct audit_ctx *c, uint8_t role, uint64_t scope, unsigned threshold,
                   const char *act);
/* Checks and applies the rules of c->tx's type (every type but the genesis). */
int audit__rules(struct audit_ctx *c);

/* The common path of audit_replay_tx and audit_replay_leaf: sequence, signers, rules, then the
 * entry counts as replayed. msg and sigs: the signing message and the envelope's signatures when
 * the signatures are to be verified here; NULL when c->signers carry the caller's verdicts. */
int audit__replay(struct audit_replay *r, struct audit_ctx *c, const uint8_t *msg, size_t msg_len,
                  const struct proto_sig *sigs);

/* Map keys. */
void audit__account_key(uint64_t id, uint8_t out[8]);
void audit__code_key(const char *code, uint8_t out[PROTO_INSTRUMENT_BYTES]);

#define LLU(x) ((unsigned long long)(x))

/* Lookups, role checks and checked credits and debits shared by the rule files (rules_common.c).
 * Each need_* returns 0 or records the failure and returns its code. */
struct audit_account_rec *audit__account_find(struct audit_ctx *c, uint64_t id);
int audit__need_account(struct audit_ctx *c, uint64_t id, const char *what,
    struct audit_account_rec **out);
const char *audit__kind_text(uint8_t kind);
int audit__need_holder(struct audit_ctx *c, const struct audit_account_rec *a, const char *what);
int audit__need_kind(struct audit_ctx *c, const struct audit_account_rec *a, uint8_t kind,
    const char *what);
int audit__need_instrument(struct audit_ctx *c, const char *code, struct audit_instr_rec **out);
struct audit_bal_rec *audit__balance(struct audit_ctx *c, uint64_t account, const char *code,
    bool create);
unsigned audit__authority_threshold(struct audit_ctx *c, unsigned province);
int audit__need_operators(struct audit_ctx *c, const char *act);
int audit__need_representatives(struct audit_ctx *c, const struct audit_account_rec *a,
    const char *act);
int audit__need_authority(struct audit_ctx *c, unsigned province, const char *act);
int audit__add_checked(struct audit_ctx *c, uint64_t *v, uint64_t amount, const char *what);
void audit__holding_emptied(struct audit_ctx *c, uint64_t account, const struct audit_bal_rec *b);
int audit__debit_registry(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
    uint64_t amount);
int audit__debit_trading(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
    uint64_t amount);
/* Takes amount from one position of a holding; leaves: the units leave the account (else they
 * move to its other position, where an order covering both positions still binds them). Fails
 * with INSUFFICIENT_BALANCE (not held, or frozen by a version 1 freeze) or FROZEN (bound by
 * freeze orders in force at the entry's commit time). */
int audit__debit_position(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
    uint8_t position, uint64_t amount, bool leaves);
/* What the version 1 freeze and the orders in force bind in holding b of account, indexed by
 * enum proto_cover (registry: the version 1 freeze included). */
/* What of position of balance b freeze orders (bound, from audit__bound) leave free to move;
 * leaves: the units leave the holding (not a move between its positions). */
uint64_t audit__movable(const struct audit_bal_rec *b, const uint64_t bound[4], uint8_t position,
                        bool leaves);
void audit__bound(struct audit_ctx *c, uint64_t account, const char *code,
    const struct audit_bal_rec *b, uint64_t bound[4]);
int audit__credit(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
    uint8_t position, uint64_t amount);
int audit__ns_record(struct audit_ctx *c, uint64_t account, const struct audit_instr_rec *in,
    uint64_t amount, bool outgoing);
int audit__ns_sale(struct audit_ctx *c, uint64_t from, uint64_t to,
    const struct audit_instr_rec *in, uint64_t amount);
/* NS of account over the vintages [vintage_min, vintage_max] and commit times [start, end). */
uint64_t audit__ns_of(struct audit_ctx *c, uint64_t account, uint16_t vintage_min,
                      uint16_t vintage_max, uint64_t start, uint64_t end);

/* One rule per transaction type: rules_accounts.c, rules_issuance.c, rules_holdings.c and
 * rules_compliance.c, mirroring ledger/'s files of the same names. */
int audit__rule_key_register(struct audit_ctx *c);
int audit__rule_key_revoke(struct audit_ctx *c);
int audit__rule_account_open(struct audit_ctx *c);
int audit__rule_account_update(struct audit_ctx *c);
int audit__rule_account_close(struct audit_ctx *c);
int audit__rule_instrument_create(struct audit_ctx *c);
int audit__rule_issue(struct audit_ctx *c);
int audit__rule_allocate(struct audit_ctx *c);
int audit__rule_clawback(struct audit_ctx *c);
int audit__rule_transfer(struct audit_ctx *c);
int audit__rule_position_move(struct audit_ctx *c);
int audit__rule_settle(struct audit_ctx *c);
int audit__rule_freeze(struct audit_ctx *c, bool freeze);
int audit__rule_compliance_year(struct audit_ctx *c);
int audit__rule_emissions(struct audit_ctx *c);
int audit__rule_surrender(struct audit_ctx *c);
int audit__rule_cancel(struct audit_ctx *c);
int audit__rule_carry_over(struct audit_ctx *c);
int audit__rule_carry_over_rule(struct audit_ctx *c);
/* The percentage a fraud deduction withholds from account's allocations of year (0: none). */
unsigned audit__fraud_percent(struct audit_ctx *c, uint64_t account, uint16_t year);
int audit__rule_deduct(struct audit_ctx *c);
int audit__rule_account_reopen(struct audit_ctx *c);
int audit__rule_at_risk(struct audit_ctx *c);
/* Whether the enterprise is short or overdue in a compliance year (rules_compliance.c). */
bool audit__owing(struct audit_ctx *c, uint64_t account);
int audit__rule_table_open(struct audit_ctx *c);
int audit__rule_table_rows(struct audit_ctx *c);
int audit__rule_table_close(struct audit_ctx *c);

/* rules_tables.c: what allocations (version 2: their table row) and claw-backs (only what was
 * allocated above the final quota) are held to; version 1 only while the vintage has no complete
 * table for the enterprise's sector. The units held in the province for an at-risk enterprise
 * (the status itself is the account record's at_risk). */
struct audit_tables;
void audit__tables_free(struct audit_replay *r);
int audit__hold_to_row(struct audit_ctx *c, const struct audit_account_rec *to, bool apply);
int audit__clawback_bound(struct audit_ctx *c, const struct audit_account_rec *from, bool apply);
int audit__held_add(struct audit_ctx *c, uint64_t account, const char *code, uint64_t amount);
/* A surrender on behalf of an at-risk enterprise: NOT_HELD beyond what is held for it; apply
 * takes the units. */
int audit__held_take(struct audit_ctx *c, uint64_t account, const char *code, uint64_t amount,
                     bool apply);

#endif /* QUOTAD_AUDIT_INTERNAL_H */
