/* proto: the canonical encoding of quotad's transactions and ledger entries.
 *
 * This header is the whole public interface of the proto library. Read it top to bottom:
 *
 *  1. Errors. One table (PROTO_ERRORS) gives every error code of the project its number, its
 *     stable name (what the API and the tools print) and its message. 0 is success, negative
 *     values are errors; -errno values are system errors, the project's own codes start at -1000.
 *     ledger/ and daemon/ use this same table, so a code means one thing everywhere.
 *  2. Limits. Every length and count has a maximum, named with its unit.
 *  3. Values. A transaction (struct proto_tx) is a type byte, a 16-byte id chosen by the client
 *     and the fields of its type. Each type is described once per layout version, as a table of
 *     its fields (proto_tx_fields_version()); one generic encoder, decoder and JSON mapper walk
 *     those tables. A version 2 settle signs only a root over its legs, which travel beside it
 *     as a legs blob ("Settlement legs").
 *  4. Envelopes: one transaction body plus 1..PROTO_SIGS_MAX Ed25519 signatures.
 *  5. Entries: an accepted envelope with its log index, commit time and result.
 *  6. Crypto: SHA-256 and Ed25519 through OpenSSL 3 EVP.
 *  7. Small text helpers (hex, base64, USCC, the one UTF-8 decoder); the JSON mapping of
 *     transactions, envelopes and entries is proto/proto_json.h (the only header with jansson).
 *  8. PROTO_ASSERT, the project's assertion.
 *
 * The byte-level specification is proto/FORMAT.md. The encoding is canonical by construction:
 * big-endian fixed-width integers, length-prefixed text with byte limits, fixed-width zero-padded
 * instrument codes, reserved bytes that must be zero and no trailing bytes, so that every value
 * has exactly one encoding; decode then encode gives back the input bytes.
 *
 * Memory: decoders never keep pointers into their input except where a field says "borrowed";
 * the only heap allocation is the leg array of a settle transaction, released by proto_tx_free().
 * Nothing here is thread-unsafe except where noted; no function keeps global mutable state.
 */
#ifndef QUOTAD_PROTO_H
#define QUOTAD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------------
 * 1. Errors
 *
 * X(NAME, value, "name", http_status, "message"). Names are stable: clients match on them. The
 * HTTP status is the one the API answers for the code; a 5xx status marks a fault of the server
 * (storage, memory, crypto library), as opposed to a refusal of the request, and the ledger stops
 * a batch on exactly those. No code is classified by its numeric range.
 * ------------------------------------------------------------------------------------------- */
#define PROTO_ERRORS(X)                                                                                 \
  /* encoding */                                                                                        \
  X(TRUNCATED, -1000, "truncated", 400, "input ends before the encoding does")                          \
  X(TRAILING_BYTES, -1001, "trailing_bytes", 400, "bytes follow the end of the encoding")               \
  X(BAD_VERSION, -1002, "bad_version", 400, "unsupported format version")                               \
  X(UNKNOWN_TYPE, -1003, "unknown_type", 400, "unknown transaction type")                               \
  X(RESERVED_NONZERO, -1004, "reserved_nonzero", 400, "a reserved byte is not zero")                    \
  X(FIELD_TOO_LONG, -1005, "field_too_long", 400, "a field is longer than its limit")                   \
  X(BAD_TEXT, -1006, "bad_text", 400, "text is not valid UTF-8 or contains a control character")        \
  X(BAD_USCC, -1007, "bad_uscc", 400, "not a valid unified social credit code")                         \
  X(ZERO_AMOUNT, -1008, "zero_amount", 400, "the amount must be at least 1 tonne")                      \
  X(AMOUNT_TOO_LARGE, -1009, "amount_too_large", 400, "the amount exceeds 2^53 - 1")                    \
  X(TOO_MANY_SIGNATURES, -1010, "too_many_signatures", 400, "more signatures than allowed")             \
  X(NO_SIGNATURES, -1011, "no_signatures", 400, "a transaction needs at least one signature")           \
  X(ENTRY_TOO_LARGE, -1012, "entry_too_large", 400, "the entry would exceed 65,535 bytes")              \
  X(BAD_ENUM, -1013, "bad_enum", 400, "a field holds a value outside its list")                         \
  X(BAD_INSTRUMENT_CODE, -1014, "bad_instrument_code", 400, "instrument codes are 1-16 of A-Z 0-9 -")   \
  X(BAD_PROVINCE, -1015, "bad_province", 400, "not a GB/T 2260 province code")                          \
  X(BAD_YEAR, -1016, "bad_year", 400, "year outside 2000..2100")                                        \
  X(TOO_MANY_LEGS, -1017, "too_many_legs", 400, "a settlement has 1 to 1000 legs")                      \
  X(DUPLICATE_SIGNER, -1018, "duplicate_signer", 400, "the same key signs twice")                       \
  X(EMPTY_FIELD, -1019, "empty_field", 400, "a required text field is empty")                           \
  X(BAD_ORIGIN, -1020, "bad_origin", 400, "origin must be 1-128 printable ASCII characters")            \
  X(FIELD_NONZERO, -1021, "field_nonzero", 400, "a field that must be zero for this kind is not")       \
  X(SAME_ACCOUNT, -1022, "same_account", 400, "source and destination are the same account")            \
  X(BAD_RANGE, -1023, "bad_range", 400, "a range's start is after its end")                             \
  X(LEGS_MISSING, -1024, "legs_missing", 400, "a version 2 settlement arrived without its legs")        \
  X(LEGS_UNEXPECTED, -1025, "legs_unexpected", 400, "legs beside a tx that is no version 2 settle")     \
  X(LEGS_COUNT, -1026, "legs_count_mismatch", 400, "the legs beside are not legs_count legs")           \
  X(LEGS_ROOT, -1027, "legs_root_mismatch", 400, "the legs do not hash to the signed legs_root")        \
  X(DUPLICATE_SALT, -1028, "duplicate_salt", 400, "two legs of one settlement share a salt")            \
  /* JSON and text */                                                                                   \
  X(BAD_JSON, -1100, "bad_json", 400, "malformed JSON")                                                 \
  X(JSON_MISSING, -1101, "json_missing_field", 400, "a required JSON field is missing")                 \
  X(JSON_TYPE, -1102, "json_wrong_type", 400, "a JSON field has the wrong type")                        \
  X(JSON_UNKNOWN, -1103, "json_unknown_field", 400, "a JSON object has a field this type lacks")        \
  X(BAD_BASE64, -1104, "bad_base64", 400, "invalid base64")                                             \
  X(BAD_HEX, -1105, "bad_hex", 400, "invalid hexadecimal")                                              \
  /* crypto and authorization */                                                                        \
  X(BAD_SIGNATURE, -1200, "bad_signature", 401, "a signature does not verify")                          \
  X(UNKNOWN_KEY, -1201, "unknown_key", 401, "the signing key is not registered")                        \
  X(REVOKED_KEY, -1202, "revoked_key", 403, "the signing key has been revoked")                         \
  X(WRONG_ROLE, -1203, "wrong_role", 403, "no signer holds the role this transaction needs")            \
  X(INSUFFICIENT_SIGNATURES, -1204, "insufficient_signatures", 403, "fewer signers than required")      \
  X(BAD_KEY, -1205, "bad_key", 422, "not a valid Ed25519 key")                                          \
  X(CRYPTO, -1206, "crypto", 500, "the crypto library failed")                                          \
  X(UNAUTHORIZED, -1207, "unauthorized", 401, "the request needs a valid signed read header")           \
  X(FORBIDDEN, -1208, "forbidden", 403, "this key may not read that")                                   \
  X(STALE_TIME, -1209, "stale_time", 401, "the signed time is too far from the server's clock")         \
  /* ledger rules (docs/RULES.md); a new code takes the next number of its family */                    \
  X(ID_CONFLICT, -1300, "id_conflict", 409, "this transaction id was used for another body")            \
  X(GENESIS_REQUIRED, -1301, "genesis_required", 422, "the first entry must be the genesis")            \
  X(GENESIS_EXISTS, -1302, "genesis_exists", 422, "the registry already has its genesis")               \
  X(KEY_EXISTS, -1303, "key_exists", 422, "the key is already registered")                              \
  X(ACCOUNT_EXISTS, -1304, "account_exists", 422, "the account id, USCC or province is taken")          \
  X(UNKNOWN_ACCOUNT, -1305, "unknown_account", 422, "no such account")                                  \
  X(ACCOUNT_CLOSED, -1306, "account_closed", 422, "the account is closed")                              \
  X(ACCOUNT_KIND, -1307, "wrong_account_kind", 422, "the account is not of the kind required")          \
  X(PROVINCE_MISMATCH, -1308, "province_mismatch", 422, "the account is not of that province")          \
  X(ACCOUNT_NOT_EMPTY, -1309, "account_not_empty", 422, "the account still holds units")                \
  X(INSTRUMENT_EXISTS, -1310, "instrument_exists", 422, "the instrument code is taken")                 \
  X(UNKNOWN_INSTRUMENT, -1311, "unknown_instrument", 422, "no such instrument")                         \
  X(CAP_EXCEEDED, -1312, "cap_exceeded", 422, "issuing this would exceed the instrument's cap")         \
  X(INSUFFICIENT_BALANCE, -1313, "insufficient_balance", 422, "not enough available units")             \
  X(FROZEN, -1314, "frozen", 422, "the units are frozen")                                               \
  X(INELIGIBLE_VINTAGE, -1315, "ineligible_vintage", 422, "the instrument cannot settle that year")     \
  X(CCER_LIMIT, -1316, "ccer_limit", 422, "CCER beyond 5% of the obligation")                           \
  X(CARRYOVER_CAP, -1317, "carryover_cap", 422, "the carry-over exceeds its cap")                       \
  X(OVERFLOW, -1318, "overflow", 422, "a sum would exceed 2^53 - 1")                                    \
  X(UNKNOWN_YEAR, -1319, "unknown_year", 422, "the compliance year is not open")                        \
  X(DEADLINE_EARLIER, -1320, "deadline_earlier", 422, "a deadline can only be extended")                \
  X(NOT_FROZEN, -1321, "not_frozen", 422, "fewer units are frozen than the unfreeze asks")              \
  X(NO_OBLIGATION, -1322, "no_obligation", 422, "no verified emissions for that enterprise and year")   \
  X(CARRYOVER_MISMATCH, -1323, "carryover_mismatch", 422, "the recorded cap does not follow from NS")   \
  X(INSTRUMENT_KIND, -1324, "wrong_instrument_kind", 422, "the instrument is not of the kind needed")   \
  X(UNKNOWN_LOG_KEY, -1325, "wrong_log_key", 403, "the genesis must be signed by the log key")          \
  X(ACCOUNT_OWES, -1326, "account_owes", 422,                                                           \
    "the enterprise owes a deduction or is short or overdue in a compliance year")                      \
  X(ACCOUNT_OPEN, -1327, "account_open", 409, "the account is not closed")                              \
  X(NOT_AT_RISK, -1328, "not_at_risk", 422, "the enterprise is not at risk")                            \
  X(AT_RISK_UNCHANGED, -1329, "at_risk_unchanged", 409, "the at-risk status already has that value")    \
  X(NOT_HELD, -1330, "not_held", 422, "the province holds fewer units for the enterprise than asked")   \
  X(UNKNOWN_ORDER, -1331, "unknown_order", 422, "no such freeze order on that account")                 \
  X(ORDER_NOT_IN_FORCE, -1332, "order_not_in_force", 422, "the freeze order has expired or was lifted") \
  X(ORDERS_FULL, -1333, "freeze_orders_full", 422, "the holding has as many freeze orders in force as allowed") \
  X(EXPIRY_PAST, -1334, "expiry_past", 422, "the expiry is not after the entry's commit time")          \
  X(OWN_DEADLINE, -1335, "own_deadline_not_allowed", 422, "an own deadline comes only with an obligation raised after the deadline") \
  X(UNKNOWN_RULE, -1336, "unknown_carryover_rule", 422, "no carry-over rule entry has that id")         \
  X(CARRYOVER_RULE, -1337, "carryover_rule", 422,                                                       \
    "the carry-over is outside its rule's vintages, target instrument or sectors")                      \
  X(CARRYOVER_EARLY, -1338, "carryover_early", 422, "the carry-over rule's net-sales window has not closed") \
  X(RULE_REQUIRED, -1339, "carryover_rule_required", 422,                                               \
    "a carry-over rule exists: a carry-over must cite it (version 2)")                                  \
  X(NOT_OVERDUE, -1340, "not_overdue", 422, "the enterprise is not overdue in that compliance year")    \
  X(DEDUCTION_BOUND, -1341, "deduction_bound", 422, "the deduction exceeds the overdue shortfall of that year") \
  X(DEDUCTION_EXISTS, -1342, "deduction_exists", 409,                                                   \
    "a deduction of that kind already answers that enterprise and year")                                \
  /* storage and service */                                                                             \
  X(MAP_FULL, -1400, "map_full", 507, "the ledger reached its configured size ceiling")                 \
  X(CORRUPT, -1401, "corrupt", 500, "stored data is corrupt; writes are stopped")                       \
  X(STORAGE, -1402, "storage", 500, "the storage engine failed")                                        \
  X(NOT_FOUND, -1403, "not_found", 404, "no such item")                                                 \
  X(BUSY, -1404, "busy", 503, "the service is at a limit; try again")                                   \
  X(TOO_LARGE, -1405, "too_large", 413, "the request exceeds a configured limit")                       \
  X(BAD_REQUEST, -1406, "bad_request", 400, "malformed request")                                        \
  X(LOCKED, -1407, "locked", 503, "another process holds the data directory")                           \
  X(READ_ONLY, -1408, "read_only", 503, "writes are stopped")                                           \
  X(BAD_PROOF, -1409, "bad_proof", 400, "the proof does not verify")                                    \
  X(BAD_CHECKPOINT, -1410, "bad_checkpoint", 400, "malformed or unverifiable checkpoint")               \
  X(INCONSISTENT, -1411, "inconsistent", 400, "the two tree heads are not consistent")                  \
  X(BAD_ARGUMENT, -1412, "bad_argument", 400, "an argument is out of range")                            \
  X(NO_MEMORY, -1413, "no_memory", 503, "out of memory")                                                \
  X(DIVERGED, -1414, "diverged", 409, "entries from another node do not replay to the same log")        \
  X(STANDBY, -1415, "standby", 503, "this node is a standby: write to its primary")                     \
  X(STANDBY_AWAY, -1416, "standby_away", 503, "the synchronous standby did not confirm; not acknowledged") \
  X(SUPERSEDED, -1417, "superseded", 503, "another node was promoted; this node stopped writing")       \
  X(WITNESS_AHEAD, -1418, "witness_ahead", 409, "a witness cosigned a tree this node does not hold")     \
  X(PROMOTION_LOST, -1419, "promotion_lost", 409, "the etcd epoch or checkpoint changed during this promotion") \
  /* allocation and allocation tables (docs/ALLOCATION.md) */                                           \
  X(BAD_SCHEME, -1500, "bad_scheme", 422, "the allocation scheme file is invalid")                      \
  X(BAD_DATA, -1501, "bad_data", 422, "the enterprise data is invalid")                                 \
  X(NO_ROOT, -1502, "no_root", 422, "no balance value solves the sector's equation")                    \
  X(UNKNOWN_TABLE, -1503, "unknown_table", 404, "no such allocation table")                             \
  X(TABLE_EXISTS, -1504, "table_exists", 422,                                                           \
    "the table id is taken, or a complete table of that vintage, sector and phase exists")              \
  X(TABLE_NOT_OPEN, -1505, "table_not_open", 422, "the allocation table is closed or abandoned")        \
  X(TABLE_INCOMPLETE, -1506, "table_incomplete", 422, "the allocation table is not complete")           \
  X(TABLE_ROWS, -1507, "table_rows", 422, "rows out of order, or their count or hash differ")           \
  X(TABLE_MISMATCH, -1508, "table_mismatch", 422, "a row's amounts differ from the allocator's")        \
  X(BP_MISMATCH, -1509, "bp_mismatch", 422, "the balance value differs from the ledger's")              \
  X(DRAFT_SCHEME, -1510, "draft_scheme", 422, "a draft scheme cannot allocate")                         \
  X(UNKNOWN_ROW, -1511, "unknown_row", 422, "no such row in the allocation table")                      \
  X(ALLOC_MISMATCH, -1512, "alloc_mismatch", 422,                                                       \
    "the allocation's instrument, year, kind or enterprise disagree with its table")                    \
  X(OVER_ALLOCATION, -1513, "over_allocation", 422, "more than the table row allows this unit")         \
  X(CLAWBACK_BOUND, -1514, "clawback_bound", 422,                                                       \
    "a claw-back takes back only what was allocated above the final quota")                             \
  /* witnesses (C2SP tlog-witness, tlog-policy) */                                                      \
  X(BAD_POLICY, -1600, "bad_policy", 400, "the witness policy is invalid")                              \
  X(NO_QUORUM, -1601, "no_quorum", 422, "the witness cosignatures do not meet the policy's quorum")     \
  X(WEAK_QUORUM, -1602, "weak_quorum", 400, "half of the witnesses or fewer could meet the quorum")     \
  X(UNKNOWN_LOG, -1603, "unknown_log", 404, "the witness does not know this checkpoint's origin")       \
  X(SIZE_CONFLICT, -1604, "size_conflict", 409, "the old size is not the witness's latest size")        \
  /* keys and text */                                                                                   \
  X(BAD_THRESHOLD, -1700, "bad_threshold", 422, "the threshold exceeds the number of distinct keys")    \
  X(TEXT_CONTROL, -1701, "text_control", 400, "text holds a bidirectional or C1 control character")

enum proto_err {
  PROTO_OK = 0,
#define PROTO__ERR_ENUM(name, value, str, status, msg) PROTO_E_##name = (value),
  PROTO_ERRORS(PROTO__ERR_ENUM)
#undef PROTO__ERR_ENUM
};

/* The stable name of an error code ("insufficient_balance"); for -errno, "system".
 * Returns a static string, never NULL. */
const char *proto_err_name(int err);
/* A human sentence for an error code; for -errno, strerror's text. Static, never NULL. */
const char *proto_err_message(int err);
/* The code for a stable name, or 0 when the name is unknown. */
int proto_err_from_name(const char *name);
/* The HTTP status the table gives err: 200 for 0 and positive values (results such as the
 * ledger's "exists"), 500 for -errno and codes not in the table. */
unsigned proto_err_http_status(int err);
/* The reason phrase of an HTTP status that quotad or quota-witness answers (RFC 9110 section 15);
 * "Unknown" for any other. Static, never NULL. */
const char *proto_http_reason(unsigned status);
/* True when err is a fault of the server rather than a refusal of the input: a 5xx status in the
 * table, or a system error (-errno). */
bool proto_err_is_server_fault(int err);

/* ---------------------------------------------------------------------------------------------
 * 2. Limits
 * ------------------------------------------------------------------------------------------- */
#define PROTO_VERSION 1 /* envelopes, entries, and version 1 of every transaction body */
#define PROTO_BODY_VERSION_MAX 2 /* the newest body layout of any type (settle, freeze: 2) */
/* Layout versions of the envelope and the entry (byte 0 of each); a body's version is its
 * type's (proto_tx_version_current). FORMAT.md section 17 says how each may change. */
#define PROTO_ENVELOPE_VERSION 1u
#define PROTO_ENTRY_VERSION 1u
#define PROTO_AMOUNT_MAX ((UINT64_C(1) << 53) - 1) /* tonnes; every JSON reader holds it exactly */
#define PROTO_ENTRY_BYTES_MAX 65535u               /* C2SP tlog-tiles entry bundle limit */
#define PROTO_SIGS_MAX 8u                          /* signatures per envelope */
#define PROTO_LEGS_MAX 1000u                       /* legs per settle */
#define PROTO_ORIGIN_BYTES_MAX 128u
#define PROTO_NAME_BYTES_MAX 256u   /* account and key names */
#define PROTO_REF_BYTES_MAX 256u    /* legal references, reasons, notes */
#define PROTO_INSTRUMENT_BYTES 16u  /* fixed, zero padded */
#define PROTO_USCC_BYTES 18u
#define PROTO_GENESIS_KEYS_MAX 8u
#define PROTO_ID_BYTES 16u
#define PROTO_HASH_BYTES 32u
#define PROTO_PUBKEY_BYTES 32u
#define PROTO_SIG_BYTES 64u
#define PROTO_SEED_BYTES 32u
#define PROTO_YEAR_MIN 2000u
#define PROTO_YEAR_MAX 2100u
#define PROTO_THRESHOLD_MAX 8u
#define PROTO_SALT_BYTES 16u  /* per settlement leg, from a CSPRNG */
#define PROTO_LEG_BYTES 40u   /* from, to, instrument, amount */
/* Freeze orders in force at once on one account's holding of one instrument (ledger and audit). */
#define PROTO_FREEZE_ORDERS_HELD_MAX 16u
/* A carry-over rule's factor in thousandths (1.5 is 1500): at most 1,000 x. */
#define PROTO_CARRY_FACTOR_MILLI_MAX 1000000u
/* A carry-over rule's sectors: bit s for sector s, power (1) to aluminium (4). */
#define PROTO_CARRY_SECTORS_ALL 0x1eu
/* A fraud deduction withholds 50..100 percent of the allocations of its year. */
#define PROTO_FRAUD_PERCENT_MIN 50u
#define PROTO_FRAUD_PERCENT_MAX 100u

/* ---------------------------------------------------------------------------------------------
 * 3. Values
 * ------------------------------------------------------------------------------------------- */
enum proto_tx_type {
  PROTO_TX_GENESIS = 1,
  PROTO_TX_KEY_REGISTER = 2,
  PROTO_TX_KEY_REVOKE = 3,
  PROTO_TX_ACCOUNT_OPEN = 4,
  PROTO_TX_ACCOUNT_UPDATE = 5,
  PROTO_TX_ACCOUNT_CLOSE = 6,
  PROTO_TX_INSTRUMENT_CREATE = 7,
  PROTO_TX_COMPLIANCE_YEAR = 8,
  PROTO_TX_ISSUE = 9,
  PROTO_TX_ALLOCATE = 10,
  PROTO_TX_CLAWBACK = 11,
  PROTO_TX_TRANSFER = 12,
  PROTO_TX_POSITION_MOVE = 13,
  PROTO_TX_SETTLE = 14,
  PROTO_TX_FREEZE = 15,
  PROTO_TX_UNFREEZE = 16,
  PROTO_TX_VERIFIED_EMISSIONS = 17,
  PROTO_TX_SURRENDER = 18,
  PROTO_TX_CANCEL = 19,
  PROTO_TX_CARRY_OVER = 20,
  PROTO_TX_DEDUCT = 21,
  PROTO_TX_ACCOUNT_REOPEN = 22,    /* the operators reopen a closed account */
  PROTO_TX_AT_RISK = 23,           /* set or clear an enterprise's at-risk status, with its reason */
  PROTO_TX_ALLOC_TABLE_OPEN = 24,  /* an allocation table's header */
  PROTO_TX_ALLOC_TABLE_ROWS = 25,  /* a chunk of its rows, or a new version of one row */
  PROTO_TX_ALLOC_TABLE_CLOSE = 26, /* its closing entry, or its abandonment */
  PROTO_TX_CARRY_OVER_RULE = 27,   /* the carry-over parameters that carry-overs cite */
  /* 28..31: reserved (proto/FORMAT.md section 17); they decode as unknown types */
};
#define PROTO_TX_TYPE_MIN PROTO_TX_GENESIS
#define PROTO_TX_TYPE_MAX PROTO_TX_CARRY_OVER_RULE

/* The stable name of a type ("transfer"), or NULL for an unknown or reserved type. */
const char *proto_tx_type_name(unsigned type);
/* The type for a name, or 0 when unknown. */
unsigned proto_tx_type_from_name(const char *name);

enum proto_role {
  PROTO_ROLE_OPERATOR = 1,       /* registry operator; scope 0 */
  PROTO_ROLE_AUTHORITY = 2,      /* provincial authority; scope = province code */
  PROTO_ROLE_REPRESENTATIVE = 3, /* acts for one account; scope = account id */
  PROTO_ROLE_EXCHANGE = 4,       /* settles trades; scope 0 */
  PROTO_ROLE_AUDITOR = 5,        /* reads everything, signs nothing; scope 0 */
};

enum proto_account_kind {
  PROTO_ACCOUNT_NATIONAL = 1, /* created by the genesis only */
  PROTO_ACCOUNT_PROVINCIAL = 2,
  PROTO_ACCOUNT_ENTERPRISE = 3,
  PROTO_ACCOUNT_PARTICIPANT = 4,
};

enum proto_sector {
  PROTO_SECTOR_NONE = 0, /* not an enterprise, or not covered */
  PROTO_SECTOR_POWER = 1,
  PROTO_SECTOR_STEEL = 2,
  PROTO_SECTOR_CEMENT = 3,
  PROTO_SECTOR_ALUMINIUM = 4,
};

enum proto_instrument_kind {
  PROTO_INSTRUMENT_CEA = 1,
  PROTO_INSTRUMENT_CCER = 2,
};

enum proto_alloc_kind {
  PROTO_ALLOC_PRE = 1,        /* pre-allocation */
  PROTO_ALLOC_FINAL = 2,      /* final determination (or national -> provincial) */
  PROTO_ALLOC_SUPPLEMENT = 3, /* true-up after final determination or re-determination */
};

enum proto_position {
  PROTO_POSITION_REGISTRY = 1,
  PROTO_POSITION_TRADING = 2,
};

/* Allocation tables (FORMAT.md "Allocation tables"). */
enum proto_scheme_status {
  PROTO_SCHEME_FINAL = 1,
  PROTO_SCHEME_DRAFT = 2, /* published for consultation: the ledger refuses it */
};
enum proto_table_phase {
  PROTO_PHASE_PRE = 1,   /* pre-allocation: from the previous year's verified emissions alone */
  PROTO_PHASE_FINAL = 2, /* final determination: this year's verified emissions */
};
enum proto_bp_kind {
  PROTO_BP_NONE = 1,      /* the method has no balance value, or a pre-allocation table */
  PROTO_BP_PUBLISHED = 2, /* announced by the ministry: taken as given */
  PROTO_BP_SOLVED = 3,    /* solved over the table's rows: the ledger solves it again */
};
enum proto_table_action {
  PROTO_TABLE_CLOSE = 1,   /* every row is in: check and fix the table */
  PROTO_TABLE_ABANDON = 2, /* an incomplete table is given up (a new one replaces it) */
};
/* The positions a freeze order covers (freeze version 2). */
enum proto_cover {
  PROTO_COVER_REGISTRY = 1,
  PROTO_COVER_TRADING = 2,
  PROTO_COVER_BOTH = 3,
};

/* The kind of a deduction (deduct version 2). */
enum proto_deduct_kind {
  PROTO_DEDUCT_SHORTFALL = 1, /* an amount, at most the overdue shortfall of its year */
  PROTO_DEDUCT_FRAUD = 2,     /* a percentage of the allocations of its year */
};

/* Stable names of the small enums above (e.g. "authority", "enterprise", "steel", "pre"),
 * NULL for a value outside the list; and the reverse, 0 when unknown. */
const char *proto_role_name(unsigned v);
unsigned proto_role_from_name(const char *s);
const char *proto_account_kind_name(unsigned v);
unsigned proto_account_kind_from_name(const char *s);
const char *proto_sector_name(unsigned v);
unsigned proto_sector_from_name(const char *s);
const char *proto_instrument_kind_name(unsigned v);
unsigned proto_instrument_kind_from_name(const char *s);
const char *proto_alloc_kind_name(unsigned v);
unsigned proto_alloc_kind_from_name(const char *s);
const char *proto_position_name(unsigned v);
unsigned proto_position_from_name(const char *s);
const char *proto_scheme_status_name(unsigned v);
unsigned proto_scheme_status_from_name(const char *s);
const char *proto_table_phase_name(unsigned v);
unsigned proto_table_phase_from_name(const char *s);
const char *proto_bp_kind_name(unsigned v);
unsigned proto_bp_kind_from_name(const char *s);
const char *proto_table_action_name(unsigned v);
unsigned proto_table_action_from_name(const char *s);
const char *proto_cover_name(unsigned v);
unsigned proto_cover_from_name(const char *s);
const char *proto_deduct_kind_name(unsigned v);
unsigned proto_deduct_kind_from_name(const char *s);

/* Text fields are NUL-terminated inside the struct; the encoding carries the length instead. */
typedef char proto_name_t[PROTO_NAME_BYTES_MAX + 1];
typedef char proto_ref_t[PROTO_REF_BYTES_MAX + 1];
typedef char proto_instrument_t[PROTO_INSTRUMENT_BYTES + 1];
typedef char proto_uscc_t[PROTO_USCC_BYTES + 1];

struct proto_genesis {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1]; /* registry origin: printable ASCII, no spaces */
  uint8_t log_public_key[PROTO_PUBKEY_BYTES]; /* signs checkpoints and this genesis */
  uint64_t national_account;                  /* id of the national account it creates */
  uint8_t operator_threshold;                 /* 1..8 operator signatures per operator action */
  uint8_t operator_keys_count;                /* 1..8 */
  uint8_t operator_keys[PROTO_GENESIS_KEYS_MAX][PROTO_PUBKEY_BYTES];
};

struct proto_key_register {
  uint8_t public_key[PROTO_PUBKEY_BYTES];
  uint8_t role;   /* enum proto_role */
  uint64_t scope; /* province code for authority, account id for representative, else 0 */
  proto_name_t name;
};

struct proto_key_revoke {
  uint8_t key_hash[PROTO_HASH_BYTES]; /* SHA-256 of the raw public key */
  proto_ref_t reason;
};

/* account open and account update share one shape: update replaces every field. */
struct proto_account {
  uint64_t account;
  uint8_t kind;      /* enum proto_account_kind; national is refused (genesis makes it) */
  uint8_t province;  /* GB/T 2260 two-digit code, 0 for participants */
  uint8_t sector;    /* enum proto_sector; 0 unless enterprise */
  uint8_t threshold; /* 1..8 signatures of its representatives (or authorities) per action */
  proto_uscc_t uscc; /* enterprises: 18 characters; others: empty */
  proto_name_t name;
  proto_ref_t note; /* e.g. "merger of 101 into 102"; may be empty */
};

struct proto_account_close {
  uint64_t account;
  proto_ref_t reason;
};

/* at_risk: set 1 makes the enterprise at-risk (closed down, non-compliant last year, judicially
 * frozen: the reason says which), set 0 clears it. */
struct proto_at_risk {
  uint64_t account;
  uint8_t set; /* 1 at risk, 0 no longer */
  proto_ref_t reason;
};

struct proto_instrument_create {
  proto_instrument_t code; /* "CEA-2025" */
  uint8_t kind;            /* enum proto_instrument_kind */
  uint16_t vintage;        /* year of the vintage or CCER registration year */
  uint64_t cap;            /* total that may ever be issued, tonnes */
  uint16_t first_year;     /* first compliance year it may settle */
  uint16_t last_year;      /* last compliance year it may settle; >= first_year */
};

struct proto_compliance_year {
  uint16_t year;
  uint64_t deadline_ms; /* unix milliseconds; a later entry may only extend it */
};

/* issue, transfer, cancel, freeze, unfreeze, clawback and deduct use this shape; the fields a
 * type does not use are absent from its table and stay zero. */
struct proto_movement {
  uint64_t from;              /* source account (issue: unused; freeze/cancel/deduct: the account) */
  uint64_t to;                /* destination account */
  proto_instrument_t instrument;
  uint64_t amount;            /* tonnes, 1..2^53-1 */
  uint16_t year;              /* allocate / surrender / emissions / deduct: the compliance year */
  uint8_t kind;               /* allocate: enum proto_alloc_kind; position move: destination */
  proto_ref_t ref;            /* legal reference, reason */
  uint64_t table;             /* allocate / clawback version 2: the allocation table cited */
  uint64_t row;               /* ... and its row (0-based); both 0 for national -> provincial */
  uint8_t percent;            /* deduct version 2, fraud: 50..100; else 0 */
};

/* freeze and unfreeze version 2: a freeze order (its id is the freeze transaction's id) and the
 * unfreeze that lifts part or all of one order. A field a type does not use stays zero. */
struct proto_freeze {
  uint64_t account;
  proto_instrument_t instrument; /* freeze only */
  uint64_t amount;               /* freeze: the order's quantity; unfreeze: the quantity lifted */
  uint8_t positions;             /* freeze only: enum proto_cover */
  uint64_t expiry_ms;            /* freeze only: unix ms after which it no longer binds; 0 none */
  uint8_t order[PROTO_ID_BYTES]; /* unfreeze only: the id of the order it lifts */
  proto_ref_t ref;               /* legal reference */
};

struct proto_leg {
  uint64_t from; /* seller's account (trading position) */
  uint64_t to;   /* buyer's account (trading position) */
  proto_instrument_t instrument;
  uint64_t amount;
  uint8_t salt[PROTO_SALT_BYTES]; /* version 2 only: hides the leg inside its leaf hash */
};

/* A settlement. Version 1 carries its legs in the body. Version 2 commits to them: the body holds
 * legs_count and legs_root (the RFC 6962 root over the salted leg leaves, "Settlement legs" below)
 * and the legs travel beside the signed body; after proto_tx_decode of a version 2 body, legs is
 * NULL until proto_settle_attach_legs (or the caller) sets it. */
struct proto_settle {
  proto_ref_t ref;   /* the exchange's batch reference */
  uint16_t legs_count; /* 1..1000 */
  struct proto_leg *legs; /* heap; freed by proto_tx_free unless legs_borrowed */
  uint8_t legs_root[PROTO_HASH_BYTES]; /* version 2 only */
  bool legs_borrowed; /* legs belong to the caller (proto_settle_legs_into): not freed */
};

struct proto_verified_emissions {
  uint64_t account;
  uint16_t year;
  uint64_t emissions; /* tonnes; may be 0 */
  proto_ref_t ref;
  uint64_t deadline_ms; /* version 2: the enterprise's own deadline for a late raise; 0 none */
};

struct proto_surrender {
  uint64_t account; /* the enterprise whose obligation it settles */
  uint64_t from;    /* the enterprise itself, or its provincial account for at-risk ones */
  uint16_t year;
  proto_instrument_t instrument;
  uint64_t amount;
};

struct proto_carry_over {
  uint64_t account;
  proto_instrument_t from_instrument;
  proto_instrument_t to_instrument;
  uint64_t amount;
  uint64_t cap;             /* T = floor(10,000 + 1.5 * NS), capped at the holding */
  uint64_t net_sales;       /* NS, at least 0 */
  uint64_t window_start_ms; /* NS window, unix ms, inclusive */
  uint64_t window_end_ms;   /* exclusive */
  uint8_t rule[PROTO_ID_BYTES]; /* version 2: the id of the carry_over_rule entry it cites */
};

/* A carry-over rule (type 27): which vintages may be carried into which instrument, by which
 * sectors, and the cap T = floor(base + factor_milli / 1000 * NS), NS being the enterprise's net
 * sales of those vintages whose commit time falls in [window_start_ms, window_end_ms). */
struct proto_carry_over_rule {
  uint16_t vintage_from, vintage_to; /* eligible vintages, inclusive */
  proto_instrument_t to_instrument;  /* the target vintage */
  uint64_t window_start_ms;          /* NS window, unix ms, inclusive */
  uint64_t window_end_ms;            /* exclusive; carry-overs come at or after it */
  uint64_t base;                     /* tonnes (10,000) */
  uint64_t factor_milli;             /* thousandths (1.5 -> 1500) */
  uint8_t sectors;                   /* bit s for sector s; PROTO_CARRY_SECTORS_ALL */
  proto_ref_t ref;                   /* the scheme or notice it comes from */
};

/* Allocation tables: a header (open), chunks of rows, a closing entry. */
#define PROTO_SCHEME_BYTES_MAX 8192u   /* the scheme file's text in a table header */
#define PROTO_BP_BYTES_MAX 40u         /* a balance value as decimal text, at most 18 places */
#define PROTO_UNIT_BYTES_MAX 32u       /* an allocation unit's id within its enterprise */
#define PROTO_TABLE_ROWS_MAX 400u      /* rows in one entry: 400 of at most 145 bytes fit */
#define PROTO_TABLE_ROWS_TOTAL_MAX 100000u /* rows in one table */
#define PROTO_SALT_BYTES 16u

/* Which inputs a row has (present) and which the operator marked confidential: these are
 * published as salted commitments (FORMAT.md "Confidential inputs"). */
enum proto_row_input {
  PROTO_ROW_EMISSIONS = 1u << 0,
  PROTO_ROW_OUTPUT = 1u << 1,
  PROTO_ROW_PREV = 1u << 2,
  PROTO_ROW_MWH = 1u << 3,
  PROTO_ROW_HEAT = 1u << 4,
  PROTO_ROW_LOAD = 1u << 5,
  PROTO_ROW_CARBIDE = 1u << 6,
};
#define PROTO_ROW_INPUTS_ALL 0x7fu
#define PROTO_ROW_FLAGS_ALL 0xffu /* the allocator's unit flags (alloc/alloc.h alloc_flag) */

/* One allocation unit of a table: its inputs (decimals as integers * 10^6, at most 2^63 - 1)
 * and the amounts the allocator computed from them with the table's scheme and balance value. */
struct proto_alloc_row {
  proto_uscc_t uscc;
  char unit[PROTO_UNIT_BYTES_MAX + 1]; /* 1..32 printable ASCII, no comma or quote */
  uint8_t sector;                      /* enum proto_sector, not none */
  uint8_t category;                    /* power: 1..4 (I..IV); others 0 */
  uint8_t present;                     /* PROTO_ROW_EMISSIONS and PROTO_ROW_PREV only */
  uint8_t confidential;                /* inputs published as commitments */
  uint16_t flags;                      /* PROTO_ROW_FLAGS_ALL */
  uint64_t emissions_e6, output_e6, prev_emissions_e6, supplied_mwh_e6, heat_gj_e6, load_pct_e6,
      carbide_slag_e6;
  uint8_t salt[PROTO_SALT_BYTES]; /* all zero unless confidential */
  uint64_t pre;                   /* pre-allocation, tonnes */
  uint64_t quota;                 /* final quota, tonnes (0 in a pre-allocation table) */
};

struct proto_alloc_table_open {
  uint64_t table;                /* chosen by the operators; unique */
  proto_instrument_t instrument; /* the CEA vintage it allocates */
  uint8_t phase;                 /* enum proto_table_phase */
  uint8_t status;                /* enum proto_scheme_status: the scheme's own status */
  uint8_t bp_kind;               /* enum proto_bp_kind */
  char bp[PROTO_BP_BYTES_MAX + 1]; /* decimal text; empty for PROTO_BP_NONE */
  uint64_t rows_count;           /* 1..PROTO_TABLE_ROWS_TOTAL_MAX */
  uint8_t rows_hash[PROTO_HASH_BYTES]; /* proto_alloc_rows_hash over every row in order */
  char *scheme; /* heap, NUL-terminated: the scheme file's text; freed by proto_tx_free */
};

struct proto_alloc_table_rows {
  uint64_t table;
  uint64_t first_row;  /* 0-based number of rows[0] */
  uint16_t rows_count; /* 1..PROTO_TABLE_ROWS_MAX */
  struct proto_alloc_row *rows; /* heap; freed by proto_tx_free */
};

struct proto_alloc_table_close {
  uint64_t table;
  uint8_t action; /* enum proto_table_action */
  proto_ref_t reason;
};

struct proto_tx {
  uint8_t type;                 /* enum proto_tx_type */
  /* The body layout version of this type (byte 0 of the body): 1, or 2 for a settle that commits
   * to its legs. 0 is taken as 1, so that a zeroed struct still means version 1; decoders write
   * the version they read. */
  uint8_t version;
  uint8_t id[PROTO_ID_BYTES];   /* chosen by the client; unique in the registry */
  union {
    struct proto_genesis genesis;
    struct proto_key_register key_register;
    struct proto_key_revoke key_revoke;
    struct proto_account account;        /* account open, account update */
    struct proto_account_close account_close; /* account close, account reopen */
    struct proto_at_risk at_risk;
    struct proto_instrument_create instrument;
    struct proto_compliance_year compliance_year;
    struct proto_movement move; /* issue, allocate, clawback, transfer, position move, freeze,
                                   unfreeze, cancel, deduct */
    struct proto_settle settle;
    struct proto_freeze freeze; /* freeze, unfreeze version 2 */
    struct proto_verified_emissions emissions;
    struct proto_surrender surrender;
    struct proto_carry_over carry_over;
    struct proto_carry_over_rule carry_over_rule;
    struct proto_alloc_table_open table_open;
    struct proto_alloc_table_rows table_rows;
    struct proto_alloc_table_close table_close;
  } u;
};

/* Releases what a decoder allocated inside tx (the legs of a settle, a table's scheme text and
 * rows) and zeroes those fields.
 * Safe on a zeroed struct and on any type. */
void proto_tx_free(struct proto_tx *tx);

/* Field kinds for the per-type tables. */
enum proto_field_kind {
  PROTO_F_U8,         /* 1 byte */
  PROTO_F_U16,        /* 2 bytes big-endian */
  PROTO_F_U64,        /* 8 bytes big-endian */
  PROTO_F_AMOUNT,     /* 8 bytes, 1..2^53-1 (min 0 when the field says so) */
  PROTO_F_ACCOUNT,    /* 8 bytes, an account id, non-zero */
  PROTO_F_YEAR,       /* 2 bytes, 2000..2100 */
  PROTO_F_ENUM,       /* 1 byte, checked by the field's name function */
  PROTO_F_PROVINCE,   /* 1 byte GB/T 2260 province code (0 allowed when min is 0) */
  PROTO_F_TEXT,       /* u16 length + UTF-8 bytes, no control characters, length <= max */
  PROTO_F_ORIGIN,     /* u16 length + printable ASCII without spaces, 1..128 */
  PROTO_F_INSTRUMENT, /* 16 bytes, code then zero padding */
  PROTO_F_USCC,       /* 18 bytes of a checked USCC, or 18 zero bytes when empty is allowed */
  PROTO_F_BYTES32,    /* 32 raw bytes (keys, hashes) */
  PROTO_F_KEYS,       /* genesis operator keys: u8 count (1..8) then 32 bytes each */
  PROTO_F_LEGS,       /* settle legs: u16 count (1..1000) then 40 bytes each */
  PROTO_F_LEG_COUNT,  /* settle v2: u16 count of the legs beside, 1..1000 (too_many_legs) */
  PROTO_F_DOC,        /* u16 length + UTF-8 that may hold \n and \t; a heap char * */
  PROTO_F_ROWS,       /* allocation table rows: u16 count then each row (FORMAT.md) */
  PROTO_F_ID,         /* 16 raw bytes: a transaction id (unfreeze v2: the order) */
};

struct proto_field {
  const char *name;  /* JSON name */
  uint8_t kind;      /* enum proto_field_kind */
  uint16_t offset;   /* offsetof within the union member */
  uint64_t min;      /* numbers: smallest value; text: 1 when it may not be empty */
  uint64_t max;      /* numbers: largest value; text: byte limit */
  const char *(*enum_name)(unsigned); /* PROTO_F_ENUM: the name function of its list */
  unsigned (*enum_from_name)(const char *);
};

/* The fields of a type in encoding order, and their count. Returns NULL for an unknown type.
 * The table is static and lives for the program. proto_tx_fields is version 1's layout;
 * proto_tx_fields_version any version's (version 0 is read as 1), NULL when the type has no
 * such version. */
const struct proto_field *proto_tx_fields(unsigned type, size_t *count);
const struct proto_field *proto_tx_fields_version(unsigned type, unsigned version, size_t *count);
/* The body version of tx as encoded (0 -> 1). */
unsigned proto_tx_version(const struct proto_tx *tx);

/* The accounts tx names, each once, ascending, 0 left out: every ACCOUNT field, both parties of
 * every settlement leg, the scope of a representative key, and for a version 1 issue the national
 * account (pass the genesis's; 0 when unknown). This one list is what the ledger indexes as an
 * account's history and what the daemon checks before showing an entry to a reader. Writes at
 * most cap of them to out and returns how many it wrote; PROTO_TX_ACCOUNTS_MAX always fits. */
#define PROTO_TX_ACCOUNTS_MAX (2u * PROTO_LEGS_MAX + 2u)
size_t proto_tx_accounts(const struct proto_tx *tx, uint64_t national, uint64_t *out, size_t cap);

/* Body layout versions (FORMAT.md section 17 "Versions"): byte 0 of a body is its type's layout
 * version. proto_tx_version_current is the version the encoder writes for a type (0 for an
 * unknown type); proto_tx_version_accepted whether the decoder reads that version of that type
 * (type 0: of any type). An accepted version stays accepted forever. */
unsigned proto_tx_version_current(unsigned type);
bool proto_tx_version_accepted(unsigned type, unsigned version);

/* ---------------------------------------------------------------------------------------------
 * Allocation table rows (FORMAT.md "Allocation tables")
 * ------------------------------------------------------------------------------------------- */
#define PROTO_ROW_BYTES_MAX (113u + PROTO_UNIT_BYTES_MAX)
/* Checks one row's fields. Returns 0 or the code of the first violation. */
int proto_alloc_row_check(const struct proto_alloc_row *row);
/* The canonical bytes of a checked row; returns their length or a negative code. */
long proto_alloc_row_encode(const struct proto_alloc_row *row, uint8_t *out, size_t cap);
/* Decodes exactly len bytes of one row (and checks it). Returns 0 or a negative code. */
int proto_alloc_row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *row);
/* The rows hash a header commits to: h0 = SHA-256("quotad/alloc-rows/v1\n"), then
 * h(i+1) = SHA-256(h(i) || row i's bytes); the hash of n rows is h(n). proto_alloc_rows_hash
 * starts from h0 (rows may be NULL when n is 0); _step extends a running hash by one row. */
int proto_alloc_rows_hash(const struct proto_alloc_row *rows, size_t n,
                          uint8_t out[PROTO_HASH_BYTES]);
void proto_alloc_rows_hash_start(uint8_t h[PROTO_HASH_BYTES]);
int proto_alloc_rows_hash_step(uint8_t h[PROTO_HASH_BYTES], const struct proto_alloc_row *row);
/* A row's JSON form: proto/proto_json.h. */
/* The salted commitment published for a confidential input: SHA-256("quotad/alloc-input/v1\n"
 * || salt || uscc || unit || 0x00 || input name || 0x00 || value as 8 bytes BE), as hex. */
void proto_alloc_input_commitment(const struct proto_alloc_row *row, unsigned input,
                                  char out[2 * PROTO_HASH_BYTES + 1]);
/* The name of one input bit ("emissions", "output", "prev_emissions", "supplied_mwh",
 * "heat_gj", "load_pct", "carbide_slag_rate"), NULL for another value. */
const char *proto_row_input_name(unsigned input);

/* ---------------------------------------------------------------------------------------------
 * Encoding of a transaction body (FORMAT.md "Transaction body")
 * ------------------------------------------------------------------------------------------- */

/* Checks every field of tx against its table (limits, enums, USCC, text) without encoding.
 * Returns 0 or the code of the first violation. */
int proto_tx_validate(const struct proto_tx *tx);

/* Encodes tx into out[0..cap). On success returns the number of bytes written (> 0); on error a
 * negative code, and out's content is unspecified. Validates first: an invalid tx never encodes. */
long proto_tx_encode(const struct proto_tx *tx, uint8_t *out, size_t cap);

/* Decodes exactly len bytes into *tx (which it overwrites). Returns 0, or a negative code and
 * leaves *tx zeroed. On success the caller must call proto_tx_free(tx). */
int proto_tx_decode(const uint8_t *in, size_t len, struct proto_tx *tx);

/* ---------------------------------------------------------------------------------------------
 * Settlement legs (FORMAT.md "Settlement legs"): what travels beside a version 2 settle
 *
 * A version 2 settle signs only legs_count and legs_root, so that a party to one leg can be shown
 * its leg and a proof without the others. Leg i becomes the leaf data
 *     "quotad/leg/v1\n" || salt_i (16) || leg_i (40 bytes, as in a version 1 body)
 * and legs_root is the RFC 6962 root over those leaves in order (tlog_legs_root). The legs blob
 * that travels beside the envelope (in a request, in storage, in exports) is
 *     version u8 (1) || reserved u8 (0) || count u16 || count x (salt 16 || leg 40).
 * Salts are pairwise distinct: a party knows its own salt, and a leg sharing it could be found
 * from its leaf hash by trying the few plausible accounts and amounts.
 * ------------------------------------------------------------------------------------------- */
#define PROTO_LEG_LEAF_PREFIX "quotad/leg/v1\n"
#define PROTO_LEG_LEAF_PREFIX_BYTES 14u
#define PROTO_LEG_LEAF_BYTES (PROTO_LEG_LEAF_PREFIX_BYTES + PROTO_SALT_BYTES + PROTO_LEG_BYTES)
#define PROTO_LEGS_HEADER_BYTES 4u
#define PROTO_LEGS_RECORD_BYTES (PROTO_SALT_BYTES + PROTO_LEG_BYTES)
#define PROTO_LEGS_BYTES_MAX (PROTO_LEGS_HEADER_BYTES + PROTO_LEGS_MAX * PROTO_LEGS_RECORD_BYTES)

/* The leaf data of one leg (its salt included) into out. */
void proto_leg_leaf(const struct proto_leg *leg, uint8_t out[PROTO_LEG_LEAF_BYTES]);

/* Encodes legs[0..n) as a legs blob. Checks each leg (as a version 1 body's), the count (1..1000,
 * TOO_MANY_LEGS) and that salts are distinct (DUPLICATE_SALT). Returns bytes written or a code. */
long proto_legs_encode(const struct proto_leg *legs, size_t n, uint8_t *out, size_t cap);

/* Decodes exactly len bytes of a legs blob into out[0..cap) (no allocation) and *n. Refuses what
 * the encoder would not write: TRUNCATED, TRAILING_BYTES, BAD_VERSION, RESERVED_NONZERO,
 * TOO_MANY_LEGS (count 0, above 1000, or above cap), a leg's own error, DUPLICATE_SALT; so
 * decode then encode gives back the input. It does not check a root: tlog_legs_check does. */
int proto_legs_decode(const uint8_t *in, size_t len, struct proto_leg *out, size_t cap, size_t *n);

/* Attaches the legs blob to a decoded version 2 settle: allocates tx->u.settle.legs (freed by
 * proto_tx_free) and decodes into it. Errors: LEGS_UNEXPECTED (tx is not a version 2 settle, or
 * already has legs), LEGS_COUNT (the blob's count is not legs_count), proto_legs_decode's, and
 * NO_MEMORY. Whether the legs hash to legs_root is tlog_legs_check's business. */
int proto_settle_attach_legs(struct proto_tx *tx, const uint8_t *blob, size_t len);
/* The same into the caller's buf[0..cap) (cap >= legs_count, else LEGS_COUNT), which tx then
 * borrows (legs_borrowed: proto_tx_free leaves it): no allocation, for the writer's hot path. */
int proto_settle_legs_into(struct proto_tx *tx, const uint8_t *blob, size_t len,
                           struct proto_leg *buf, size_t cap);


/* ---------------------------------------------------------------------------------------------
 * 4. Envelopes (FORMAT.md "Envelope")
 * ------------------------------------------------------------------------------------------- */
struct proto_sig {
  uint8_t key_hash[PROTO_HASH_BYTES]; /* SHA-256 of the signer's raw public key */
  uint8_t sig[PROTO_SIG_BYTES];
};

struct proto_envelope {
  const uint8_t *body; /* borrowed: the canonical body bytes inside the decoded input */
  uint16_t body_len;
  uint8_t sigs_count; /* 1..8, each key_hash distinct */
  struct proto_sig sigs[PROTO_SIGS_MAX];
};

/* Encodes an envelope: body bytes then signatures. Returns bytes written or a negative code. */
long proto_envelope_encode(const struct proto_envelope *env, uint8_t *out, size_t cap);
/* Decodes exactly len bytes. env->body points into in (borrowed, valid as long as in is).
 * Checks the structure only (not the body's fields, not the signatures). */
int proto_envelope_decode(const uint8_t *in, size_t len, struct proto_envelope *env);

/* The message an Ed25519 signature covers (FORMAT.md "Signing message"):
 *   "quotad/tx/v1\n" || origin || "\n" || body
 * Writes it to out[0..cap) and returns its length, or a negative code (FIELD_TOO_LONG if cap is
 * too small, BAD_ORIGIN for an invalid origin). */
long proto_signing_message(const char *origin, const uint8_t *body, size_t body_len, uint8_t *out,
                           size_t cap);

/* The message a signed API read covers (FORMAT.md "Read-signature message"):
 *   "quotad/read/v1\n" || origin || "\n" || METHOD || "\n" || path with query || "\n" ||
 *   unix seconds in decimal (no trailing newline)
 * The daemon verifies it, the tools sign it; both build it here. Writes it to out[0..cap)
 * and returns its length, or BAD_ARGUMENT (a NULL part, an empty method, a path that does not
 * start with '/', or a newline inside a part, which would let one message stand for another) or
 * FIELD_TOO_LONG (cap too small). The origin may be empty: before the genesis the registry has
 * none, and a client reading the public /v1/log to learn it does not know it yet. */
#define PROTO_READ_DOMAIN "quotad/read/v1\n"
long proto_read_message(const char *origin, const char *method, const char *path_query,
                        uint64_t unix_s, uint8_t *out, size_t cap);

/* The SHA-256 of the canonical body: what idempotency compares. */
void proto_body_hash(const uint8_t *body, size_t body_len, uint8_t out[PROTO_HASH_BYTES]);

/* ---------------------------------------------------------------------------------------------
 * 5. Entries (FORMAT.md "Entry"): the leaf data of the Merkle log
 * ------------------------------------------------------------------------------------------- */
struct proto_entry {
  uint64_t index;       /* position in the log, from 0 */
  uint64_t time_ms;     /* commit time, unix milliseconds */
  uint64_t withheld;    /* allocate: units withheld against a deduction; else 0 */
  const uint8_t *envelope; /* borrowed */
  uint16_t envelope_len;
};

/* Encodes an entry. Returns bytes written (<= PROTO_ENTRY_BYTES_MAX) or a negative code. */
long proto_entry_encode(const struct proto_entry *e, uint8_t *out, size_t cap);
/* Decodes exactly len bytes; e->envelope points into in. */
int proto_entry_decode(const uint8_t *in, size_t len, struct proto_entry *e);

/* Bytes of the fixed parts, for sizing buffers. */
#define PROTO_ENTRY_HEADER_BYTES 28u   /* version, reserved, index, time, withheld, length */
#define PROTO_ENVELOPE_HEADER_BYTES 4u /* version, sigs count, body length */
#define PROTO_SIG_RECORD_BYTES 96u     /* key hash + signature */
#define PROTO_BODY_BYTES_MAX                                                                      \
  (PROTO_ENTRY_BYTES_MAX - PROTO_ENTRY_HEADER_BYTES - PROTO_ENVELOPE_HEADER_BYTES -             \
   PROTO_SIGS_MAX * PROTO_SIG_RECORD_BYTES)

/* ---------------------------------------------------------------------------------------------
 * 6. Crypto (OpenSSL 3 EVP)
 * ------------------------------------------------------------------------------------------- */
void proto_sha256(const void *data, size_t len, uint8_t out[PROTO_HASH_BYTES]);
/* SHA-256 over the concatenation of n parts. */
void proto_sha256_parts(const void *const *parts, const size_t *lens, size_t n,
                        uint8_t out[PROTO_HASH_BYTES]);

/* An Ed25519 key, private (can sign) or public only. Opaque; create once and reuse: building
 * one costs more than a verification. Not safe to use from two threads at once for signing;
 * verification with one key from several threads is safe. */
struct proto_key;

/* From a 32-byte seed (RFC 8032 private key). Returns NULL on failure. */
struct proto_key *proto_key_from_seed(const uint8_t seed[PROTO_SEED_BYTES]);
/* From a raw 32-byte public key. Returns NULL unless proto_pubkey_check accepts it, so a weak
 * key never verifies anything. */
struct proto_key *proto_key_from_public(const uint8_t pub[PROTO_PUBKEY_BYTES]);
/* A fresh random key; NULL on failure. */
struct proto_key *proto_key_generate(void);
void proto_key_free(struct proto_key *key);
/* Raw public key and its hash (the key's name on the ledger). */
void proto_key_public(const struct proto_key *key, uint8_t out[PROTO_PUBKEY_BYTES]);
void proto_key_hash(const struct proto_key *key, uint8_t out[PROTO_HASH_BYTES]);
/* The seed of a private key; returns 0, or BAD_KEY for a public-only key. */
int proto_key_seed(const struct proto_key *key, uint8_t out[PROTO_SEED_BYTES]);
/* n bytes from OpenSSL's CSPRNG (RAND_bytes): settlement salts. Returns 0 or CRYPTO. */
int proto_random_bytes(void *out, size_t n);
/* Pure Ed25519 (no prehash). Returns 0 or CRYPTO/BAD_KEY. */
int proto_sign(const struct proto_key *key, const void *msg, size_t len, uint8_t sig[PROTO_SIG_BYTES]);
/* Returns 0 when sig is valid for msg under key, BAD_SIGNATURE otherwise. */
int proto_verify(const struct proto_key *key, const void *msg, size_t len,
                 const uint8_t sig[PROTO_SIG_BYTES]);

/* Whether 32 bytes are a public key the registry accepts (FORMAT.md "Keys that are refused"):
 * the canonical encoding (y < p) of a curve point of prime order L. Refused: the identity, the
 * other points of small order (2, 4, 8) in any encoding, and points with a small-order component
 * (A + T: [L](A + T) is not the identity). The identity "verifies" the signature R = identity,
 * S = 0 for every message, and A + T lets the holder of A's secret pass as a second signer, so
 * genesis, key registration, TLS client binding and quota-audit all refuse these. Checked with
 * libsodium's crypto_core_ed25519_is_valid_point; costs about one scalar multiplication.
 * Returns 0 or BAD_KEY. Thread-safe. */
int proto_pubkey_check(const uint8_t pub[PROTO_PUBKEY_BYTES]);

/* The genesis's keys and operator threshold, as ledger and audit both apply them: the log key
 * and each operator key pass proto_pubkey_check, and the threshold is 1..the number of distinct
 * operator keys (else no set of operators could ever act). Returns 0, BAD_KEY with *bad_key the
 * index of the operator key (-1: the log key), or BAD_THRESHOLD. */
int proto_genesis_check(const struct proto_genesis *g, int *bad_key);

/* Transaction ids that tools derive, so that a rerun resubmits the same ids while nobody without
 * the id key can compute one in advance (and take it first). FORMAT.md "Deriving ids":
 *   seed = "quotad/id-seed/v1\n" || origin || "\n" || type (1 byte)
 *          || for each field: length (2 bytes, big-endian) || the field's bytes
 *   id   = SHA-256("quotad/id/v1\n" || Ed25519 signature of seed by id_key)[0..16)
 * fields are the texts that identify the act (scheme, year, USCC, unit, kind; a settlement's
 * reference), never amounts, so an edited amount meets id_conflict instead of a second
 * transaction. Ed25519 signatures are deterministic, so the id is too. Returns 0, BAD_ORIGIN,
 * UNKNOWN_TYPE, FIELD_TOO_LONG (the seed would exceed PROTO_ID_SEED_BYTES_MAX), BAD_KEY (a
 * public-only key) or CRYPTO; id is written only on success. */
#define PROTO_ID_SEED_BYTES_MAX 4096u
int proto_id_derive(const struct proto_key *id_key, const char *origin, unsigned type,
                    const char *const *fields, size_t fields_count, uint8_t id[PROTO_ID_BYTES]);

/* Key files: the 32-byte seed in base64 on one line ("quotad-ed25519-seed <base64>\n").
 * Writing creates the file with mode 0600 and refuses to overwrite. Returns 0 or -errno /
 * BAD_KEY. proto_key_load returns the key in *out (caller frees). */
int proto_key_save(const struct proto_key *key, const char *path);
int proto_key_load(const char *path, struct proto_key **out);

/* Signs body for origin with key and appends the signature to env (which must point at that
 * body). Returns 0, TOO_MANY_SIGNATURES, DUPLICATE_SIGNER, or a crypto error. */
int proto_envelope_sign(struct proto_envelope *env, const char *origin, const struct proto_key *key);

/* ---------------------------------------------------------------------------------------------
 * 7. Text helpers (the JSON mapping of transactions, envelopes and entries is in
 *    proto/proto_json.h, so that only its users see jansson)
 * ------------------------------------------------------------------------------------------- */

/* Hex (lowercase out, either case in) and standard base64 with padding. Encoders write a NUL
 * terminated string and return its length, or FIELD_TOO_LONG when cap is too small. Decoders
 * return the number of bytes written, or BAD_HEX / BAD_BASE64 / FIELD_TOO_LONG. */
long proto_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
long proto_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap);
long proto_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
long proto_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* The one UTF-8 decoder: the length (1..4) of the sequence at s[0..avail) and its scalar value
 * in *cp, or 0 when it is not the shortest encoding of a scalar value (an overlong form, a
 * surrogate, above U+10FFFF, a lone continuation byte, or cut short). Which characters a format
 * then allows is its own rule (transaction text, signed notes). */
size_t proto_utf8_next(const uint8_t *s, size_t avail, uint32_t *cp);

/* Checks a unified social credit code (GB 32100-2015): 18 characters of
 * 0123456789ABCDEFGHJKLMNPQRTUWXY whose last is the check character of the first 17.
 * Returns 0 or BAD_USCC; when it fails and bad_pos is not NULL, *bad_pos is the 1-based
 * position of the first bad character (18 for a wrong check character). */
int proto_uscc_check(const char *code, size_t len, unsigned *bad_pos);
/* The check character for the first 17 characters, or 0 when one of them is not allowed. */
char proto_uscc_check_char(const char first17[17]);

/* True when code is a GB/T 2260 province-level code (11..15, 21..23, 31..37, 41..46, 50..54,
 * 61..65, 71, 81, 82). */
bool proto_province_valid(unsigned code);

/* ---------------------------------------------------------------------------------------------
 * 8. Assertions
 *
 * PROTO_ASSERT(cond) checks what must hold whatever the input (a programmer's error when it does
 * not), in every build: it does not look at NDEBUG. A failure prints "file:line: assertion
 * `cond' failed" on stderr and aborts. Bad input and corrupt data are never asserted on: they are
 * error codes. Every library and program of the project uses this one macro.
 * ------------------------------------------------------------------------------------------- */
#define PROTO_ASSERT(cond) \
  ((cond) ? (void)0 : proto__assert_fail(#cond, __FILE__, __LINE__, __func__))
_Noreturn void proto__assert_fail(const char *cond, const char *file, int line, const char *func);

#endif /* QUOTAD_PROTO_H */
