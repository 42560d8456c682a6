/* api_util: helpers shared by the API's files (replies, principals, JSON of ledger records). */
#ifndef QUOTAD_DAEMON_API_UTIL_H
#define QUOTAD_DAEMON_API_UTIL_H

#include <jansson.h>

#include "daemon/server.h"
#include "proto/proto_json.h"

/* Sends j (consumed) as the reply body. */
void api__reply_json(struct daemon_reply *reply, unsigned status, json_t *j, bool keep_alive);
/* Who sent r: the signed header, else a registered TLS client key, else anonymous. Returns 0 or
 * UNAUTHORIZED, UNKNOWN_KEY, REVOKED_KEY, STALE_TIME, BAD_SIGNATURE. */
int api__principal(struct daemon_server *srv, struct daemon_conn *c, const struct daemon_request *r,
                   struct daemon_principal *p);
/* api_legs.c: settlement legs by the reader's rights. */
/* May p read the entry whose leaf data is given (public log, read-all, or it touches one of
 * p's accounts; a version 2 settle's accounts are those of its stored legs)? */
bool api__entry_readable(struct daemon_server *srv, const struct daemon_principal *p,
                         const uint8_t *leaf, size_t len);
/* Decodes leaf -> entry -> envelope -> tx, and attaches a version 2 settle's stored legs (a
 * missing one is CORRUPT). Returns 0 (the caller frees tx) or a code. */
int api__entry_tx(struct daemon_server *srv, const uint8_t *leaf, size_t len, struct proto_entry *e,
                  struct proto_envelope *env, struct proto_tx *tx);
/* May p see this leg (it may read the seller's or the buyer's account)? */
bool api__leg_visible(struct daemon_server *srv, const struct daemon_principal *p, const struct proto_leg *leg);
/* The legs of a settle p may see: [{"index", ("salt"), "from", "to", "instrument", "amount",
 * ("path")}]; salt for version 2, and with_paths its audit path under legs_root. */
json_t *api__legs_json(struct daemon_server *srv, const struct daemon_principal *p,
                       const struct proto_tx *tx, bool with_paths);
/* api__entry_json as p may see it: the operator and auditors everything; any other reader of a
 * version 2 settle gets "legs" (its own, with salts and paths), of a version 1 settle only its
 * own legs in "tx", without "envelope" and "leaf" ("redacted": true). */
json_t *api__entry_json_for(struct daemon_server *srv, const struct daemon_principal *p,
                            const uint8_t *leaf, size_t len, bool with_leaf);
/* GET /v1/tx/{id}/legs for the entry at index: the legs p may see, 404 when none. */
void api__tx_legs(struct daemon_server *srv, const struct daemon_principal *p, uint64_t index,
                  struct daemon_reply *reply, bool ka);
/* The entry's JSON: index, time_ms, withheld, tx (decoded), envelope (body and signatures);
 * with_leaf adds "leaf" (base64 of the exact leaf data). NULL when it does not decode. */
json_t *api__entry_json(const uint8_t *leaf, size_t len, bool with_leaf);
json_t *api__account_json(const struct ledger_account *a);
/* A query parameter as u64: absent gives def; malformed gives BAD_ARGUMENT. */
int api__query_u64(const struct daemon_request *r, const char *name, uint64_t def, uint64_t *out);
json_t *api__b64(const uint8_t *data, size_t len);
json_t *api__u64(uint64_t v);

/* api_log.c: C2SP tlog-tiles reads, /log/checkpoint and /log/tile/... (path without "/log/");
 * returns the endpoint for the metrics. */
void api__log_checkpoint(struct daemon_server *srv, struct daemon_reply *reply, bool ka);
void api__log_tile(struct daemon_server *srv, const char *path, bool entries, bool shared,
                   struct daemon_reply *reply, bool ka);

/* api_tx.c */
int api__tx_submit(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                   struct daemon_reply *reply);
/* api_tables.c: GET /v1/allocation-tables (the list) and /v1/allocation-tables/{id} (one table
 * with its rows; confidential inputs as commitments unless p may see them). */
void api__tables_list(struct daemon_server *srv, const struct daemon_request *r,
                      struct daemon_reply *reply, bool ka);
void api__table_get(struct daemon_server *srv, const struct daemon_principal *p,
                    const struct daemon_request *r, struct daemon_reply *reply, bool ka,
                    const char *id_text);
void api__tx_encode(struct daemon_server *srv, struct daemon_request *r, struct daemon_reply *reply);

#endif
