/* api_util: helpers shared by the API's files (replies, principals, JSON of ledger records). */
#ifndef QUOTAD_DAEMON_API_UTIL_H
#define QUOTAD_DAEMON_API_UTIL_H

#include <jansson.h>

#include "daemon/server.h"

/* Sends j (consumed) as the reply body. */
void api__reply_json(struct daemon_reply *reply, unsigned status, json_t *j, bool keep_alive);
/* Who sent r: the signed header, else a registered TLS client key, else anonymous. Returns 0 or
 * UNAUTHORIZED, UNKNOWN_KEY, REVOKED_KEY, STALE_TIME, BAD_SIGNATURE. */
int api__principal(struct daemon_server *srv, struct daemon_conn *c, const struct daemon_request *r,
                   struct daemon_principal *p);
/* May p read the entry whose leaf data is given (public log, read-all, or it touches one of
 * p's accounts)? */
bool api__entry_readable(struct daemon_server *srv, const struct daemon_principal *p,
                         const uint8_t *leaf, size_t len);
/* The entry's JSON: index, time_ms, withheld, tx (decoded), envelope (body and signatures);
 * with_leaf adds "leaf" (base64 of the exact leaf data). NULL when it does not decode. */
json_t *api__entry_json(const uint8_t *leaf, size_t len, bool with_leaf);
json_t *api__account_json(const struct ledger_account *a);
/* A query parameter as u64: absent gives def; malformed gives BAD_ARGUMENT. */
int api__query_u64(const struct daemon_request *r, const char *name, uint64_t def, uint64_t *out);
json_t *api__b64(const uint8_t *data, size_t len);
json_t *api__u64(uint64_t v);

/* api_tx.c */
int api__tx_submit(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                   struct daemon_reply *reply);
/* GET /v1/allocation-tables[/{id}] (api_tables.c); rest is the path after the prefix. */
void api__allocation_tables(struct daemon_server *srv, struct daemon_conn *c,
                            struct daemon_request *r, struct daemon_reply *reply, bool ka,
                            const char *rest);
void api__tx_encode(struct daemon_server *srv, struct daemon_request *r, struct daemon_reply *reply);

#endif
