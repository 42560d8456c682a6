/* api_tx: POST /v1/tx (JSON object, JSON array or binary frames -> verified envelopes into the
 * filling batch; the reply is built after the commit) and POST /v1/tx/encode. */
#include "proto/proto_json.h"
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/ack.h"
#include "daemon/api_util.h"

/* One envelope of a request, before it goes to the batch. */
struct item {
  uint8_t *bytes;  /* canonical envelope, then a version 2 settle's legs blob (one malloc) */
  size_t len;      /* of the envelope */
  size_t legs_len; /* of the legs blob after it; 0 for none */
  int err;         /* decode error: answered without the ledger */
  int vrc;         /* ledger_verify_envelope's result */
  int lrc;         /* ledger_verify_legs's result */
  uint8_t type;
  uint8_t id[PROTO_ID_BYTES]; /* the transaction id, for the log */
};

/* Buffers of one request's parse, reused for each of its envelopes. */
struct parse_bufs {
  uint8_t *body, *env, *legs_blob;
  struct proto_leg *legs;
};

static void items_free(struct item *it, size_t n) {
  for (size_t i = 0; i < n; i++) free(it[i].bytes);
  free(it);
}

/* Checks the envelope's structure and body, and keeps a copy of it and of the legs beside it
 * (whether legs belong there is ledger_verify_legs's question, on the verification threads). */
static void item_set(struct item *it, const uint8_t *env_bytes, size_t len, const uint8_t *legs,
                     size_t legs_len) {
  struct proto_envelope env;
  struct proto_tx tx;
  int rc = proto_envelope_decode(env_bytes, len, &env);
  if (!rc) rc = proto_tx_decode(env.body, env.body_len, &tx);
  if (rc) {
    it->err = rc;
    return;
  }
  it->type = tx.type;
  memcpy(it->id, tx.id, PROTO_ID_BYTES);
  proto_tx_free(&tx);
  it->bytes = malloc(len + legs_len);
  if (!it->bytes) {
    it->err = PROTO_E_NO_MEMORY;
    return;
  }
  memcpy(it->bytes, env_bytes, len);
  if (legs_len) memcpy(it->bytes + len, legs, legs_len);
  it->len = len;
  it->legs_len = legs_len;
}

/* The JSON form of the legs beside an envelope ("legs": [{"salt", "from", "to", "instrument",
 * "amount"}], docs/API.md) -> the legs blob. Returns its length or a code. */
static long legs_from_json(const json_t *arr, struct parse_bufs *pb) {
  size_t n = 0;
  int rc = proto_legs_from_json(arr, pb->legs, PROTO_LEGS_MAX, &n);
  if (rc) return rc;
  return proto_legs_encode(pb->legs, n, pb->legs_blob, PROTO_LEGS_BYTES_MAX);
}

static void item_from_json(struct item *it, const json_t *obj, struct parse_bufs *pb) {
  struct proto_envelope env;
  const json_t *legs = json_is_object(obj) ? json_object_get(obj, "legs") : NULL;
  json_t *plain = legs ? json_copy((json_t *)obj) : NULL; /* the envelope without "legs" */
  if (plain) json_object_del(plain, "legs");
  int rc = legs && !plain ? PROTO_E_NO_MEMORY
                          : proto_envelope_from_json(plain ? plain : obj, &env, pb->body, PROTO_BODY_BYTES_MAX);
  json_decref(plain);
  long legs_len = rc || !legs ? 0 : legs_from_json(legs, pb);
  long n = rc ? rc : legs_len < 0 ? legs_len : proto_envelope_encode(&env, pb->env, PROTO_ENTRY_BYTES_MAX);
  if (n < 0) {
    it->err = (int)n;
    return;
  }
  item_set(it, pb->env, (size_t)n, legs ? pb->legs_blob : NULL, (size_t)legs_len);
}

/* Splits the body into envelopes. Returns 0 with the items and their count, or an error for the whole request. */
static int parse_json(struct daemon_server *srv, const struct daemon_request *r, struct item **items,
                      size_t *n, bool *single) {
  json_error_t jerr;
  json_t *root = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) return PROTO_E_BAD_JSON;
  *single = json_is_object(root);
  size_t count = *single ? 1 : json_is_array(root) ? json_array_size(root) : 0;
  int rc = 0;
  if (!*single && !json_is_array(root)) rc = PROTO_E_JSON_TYPE;
  else if (count == 0) rc = PROTO_E_BAD_REQUEST;
  else if (count > srv->cfg->limits.tx_per_request_max) rc = PROTO_E_TOO_LARGE;
  struct item *it = rc ? NULL : calloc(count, sizeof *it);
  struct parse_bufs pb = {0};
  if (!rc) {
    pb = (struct parse_bufs){malloc(PROTO_BODY_BYTES_MAX), malloc(PROTO_ENTRY_BYTES_MAX),
                             malloc(PROTO_LEGS_BYTES_MAX), malloc(PROTO_LEGS_MAX * sizeof(struct proto_leg))};
    if (!it || !pb.body || !pb.env || !pb.legs_blob || !pb.legs) rc = PROTO_E_NO_MEMORY;
  }
  for (size_t i = 0; !rc && i < count; i++)
    item_from_json(&it[i], *single ? root : json_array_get(root, i), &pb);
  free(pb.body);
  free(pb.env);
  free(pb.legs_blob);
  free(pb.legs);
  json_decref(root);
  if (rc) {
    free(it);
    return rc;
  }
  *items = it;
  *n = count;
  return 0;
}

/* A frame's envelope carries a version 2 settle (body version 2, type settle: bytes 4 and 5 of
 * the envelope): its legs blob is the next frame. Read from the bytes alone, so that the frames
 * split the same way whether or not the envelope turns out valid. */
static bool frame_has_legs(const uint8_t *env, size_t len) {
  return len > PROTO_ENVELOPE_HEADER_BYTES + 1 && env[PROTO_ENVELOPE_HEADER_BYTES] == 2 &&
         env[PROTO_ENVELOPE_HEADER_BYTES + 1] == PROTO_TX_SETTLE;
}

/* The next frame at *off: u16 big-endian length (1..65535) then its bytes. */
static int next_frame(const struct daemon_request *r, size_t *off, const uint8_t **p, size_t *len) {
  if (r->body_len - *off < 2) return PROTO_E_TRUNCATED;
  *len = (size_t)r->body[*off] << 8 | r->body[*off + 1];
  if (*len == 0 || r->body_len - *off - 2 < *len) return PROTO_E_TRUNCATED;
  *p = r->body + *off + 2;
  *off += 2 + *len;
  return 0;
}

/* One pass: counts the envelopes (items == NULL) or fills them. */
static int walk_frames(const struct daemon_request *r, size_t max, struct item *items, size_t *count) {
  size_t off = 0, n = 0;
  while (off < r->body_len) {
    const uint8_t *env, *legs = NULL;
    size_t len, legs_len = 0;
    int rc = next_frame(r, &off, &env, &len);
    if (!rc && frame_has_legs(env, len)) rc = off < r->body_len ? next_frame(r, &off, &legs, &legs_len)
                                                                 : PROTO_E_LEGS_MISSING;
    if (rc) return rc;
    if (n == max) return PROTO_E_TOO_LARGE;
    if (items) item_set(&items[n], env, len, legs, legs_len);
    n++;
  }
  *count = n;
  return 0;
}

/* Binary body: frames of u16 big-endian length + canonical envelope; after the envelope of a
 * version 2 settle, one frame of its legs blob (docs/API.md). */
static int parse_frames(struct daemon_server *srv, const struct daemon_request *r,
                        struct item **items, size_t *n) {
  size_t count = 0;
  int rc = walk_frames(r, srv->cfg->limits.tx_per_request_max, NULL, &count);
  if (rc) return rc;
  if (count == 0) return PROTO_E_BAD_REQUEST;
  struct item *it = calloc(count, sizeof *it);
  if (!it) return PROTO_E_NO_MEMORY;
  rc = walk_frames(r, count, it, &count);
  if (rc) {
    items_free(it, count);
    return rc;
  }
  *items = it;
  *n = count;
  return 0;
}

static bool is_binary(const struct daemon_request *r) {
  return r->content_type && !strncasecmp(r->content_type, "application/octet-stream", 24);
}

/* Envelopes at or above this count are verified on the libuv thread pool; below it the hop
 * costs about what the verifications do, so an idle server verifies a small request on the loop
 * (lowest latency) and a busy one sends every request to the pool, so that verification uses
 * every core instead of the loop's one. */
enum { VERIFY_POOL_MIN = 8 };

struct verify_job {
  uv_work_t work;
  struct daemon_server *srv;
  struct daemon_txreq *req;
  struct item *it;
  size_t n, valid;
};

/* Verification, on the loop or on the pool (ledger_verify_envelope is thread-safe). A key
 * registered by a batch not yet committed is unknown to this check: such envelopes go on
 * unverified and the ledger checks them. */
static void verify_items(struct daemon_server *srv, struct item *it, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (it[i].err) continue;
    it[i].vrc = ledger_verify_envelope(srv->ledger, it[i].bytes, it[i].len);
    /* the legs hash here too, off the writer: up to 2,000 SHA-256 per settlement */
    if (it[i].type == PROTO_TX_SETTLE || it[i].legs_len)
      it[i].lrc = ledger_verify_legs(it[i].bytes, it[i].len, it[i].legs_len ? it[i].bytes + it[i].len : NULL,
                                     it[i].legs_len);
  }
}

/* Verified items join the filling batch in request order; refusals are answered as they are.
 * Returns true when some wait for the commit; false when the request was answered here. */
static bool enqueue_items(struct daemon_server *srv, struct daemon_txreq *req, struct item *it, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int v = it[i].err ? it[i].err : it[i].lrc ? it[i].lrc : it[i].vrc;
    if (v && v != PROTO_E_UNKNOWN_KEY) {
      req->res[i].result = v;
      daemon_metrics_tx_result(v);
      continue;
    }
    daemon_writer_add(srv, req, (uint32_t)i, it[i].bytes, it[i].len, it[i].legs_len, v == 0, true);
    it[i].bytes = NULL; /* the batch owns it */
    req->outstanding++;
  }
  items_free(it, n);
  if (req->outstanding == 0) {
    req->tree_size = ledger_tree_size(srv->ledger);
    daemon_txreq_finish(srv, req);
    return false;
  }
  daemon_writer_kick(srv);
  return true;
}

static void on_verify_work(uv_work_t *w) {
  static _Thread_local bool named;
  if (!named) { /* a pool thread that verifies: named for per-thread CPU accounting */
    named = true;
    (void)pthread_setname_np(pthread_self(), "quotad-verify");
  }
  struct verify_job *job = w->data;
  verify_items(job->srv, job->it, job->n);
}

static void on_verified(uv_work_t *w, int status) {
  (void)status; /* never cancelled: quotad does not cancel work */
  struct verify_job *job = w->data;
  struct daemon_server *srv = job->srv;
  struct daemon_conn *c = job->req->conn;
  srv->verify_reserved -= job->valid;
  srv->verifying--;
  c->verifying = false;
  c->inflight++; /* holds c: answering below may release the request's own hold */
  enqueue_items(srv, job->req, job->it, job->n);
  free(job);
  daemon_conn_continue(c); /* the requests pipelined behind this one */
  daemon_conn_done(c);
}

static struct daemon_txreq *txreq_new(struct daemon_conn *c, struct daemon_reply *reply, bool single,
                                      bool ka, struct item *it, size_t n) {
  PROTO_ASSERT(n > 0); /* the parsers refuse an empty request */
  struct daemon_txreq *req = calloc(1, sizeof *req);
  struct daemon_txres *res = calloc(n, sizeof *res);
  if (!req || !res) {
    free(req);
    free(res);
    return NULL;
  }
  *req = (struct daemon_txreq){.conn = c, .reply = reply, .single = single, .keep_alive = ka,
                               .count = (uint32_t)n, .res = res};
  for (size_t i = 0; i < n; i++) {
    res[i].type = it[i].type;
    memcpy(res[i].id, it[i].id, PROTO_ID_BYTES);
    if (it[i].err) {
      res[i].result = it[i].err;
      daemon_metrics_tx_result(it[i].err);
    }
  }
  return req;
}

int api__tx_submit(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                   struct daemon_reply *reply) {
  bool ka = r->keep_alive && !srv->stopping, single = false;
  struct item *it = NULL;
  size_t n = 0;
  int rc = is_binary(r) ? parse_frames(srv, r, &it, &n) : parse_json(srv, r, &it, &n, &single);
  if (rc) {
    daemon_reply_error(reply, rc, rc == PROTO_E_TOO_LARGE ? "more envelopes than tx_per_request_max" : NULL, ka);
    return DAEMON_DONE;
  }
  size_t valid = 0;
  for (size_t i = 0; i < n; i++) valid += it[i].err == 0;
  if (!daemon_writer_room(srv, valid)) {
    items_free(it, n); /* parsed again when there is room: cheap next to the commit */
    return DAEMON_PARK;
  }
  struct daemon_txreq *req = txreq_new(c, reply, single, ka, it, n);
  if (!req) {
    items_free(it, n);
    daemon_reply_error(reply, PROTO_E_NO_MEMORY, NULL, ka);
    return DAEMON_DONE;
  }
  bool offload = valid >= VERIFY_POOL_MIN || (valid > 0 && !daemon_writer_idle(srv));
  struct verify_job *job = offload ? calloc(1, sizeof *job) : NULL;
  if (job) {
    *job = (struct verify_job){.srv = srv, .req = req, .it = it, .n = n, .valid = valid};
    job->work.data = job;
    if (uv_queue_work(srv->loop, &job->work, on_verify_work, on_verified) == 0) {
      /* Room stays reserved, and this connection waits, so its envelopes keep their order.
       * The request holds c until daemon_txreq_finish releases it. */
      srv->verify_reserved += valid;
      srv->verifying++;
      c->verifying = true;
      c->inflight++;
      req->in_batch = true;
      return DAEMON_PENDING;
    }
    free(job);
  }
  verify_items(srv, it, n);
  if (!enqueue_items(srv, req, it, n)) return DAEMON_DONE;
  c->inflight++;
  req->in_batch = true;
  return DAEMON_PENDING;
}

/* The answer is written by hand, not through jansson: it is the one every transaction pays for.
 * The shape is docs/API.md's: {"tree_size":N,"results":[{"result":"ok","index":N}, ...]}. */
/* The message of a refusal, with what the ledger said beside the code (aux). */
static const char *result_message(const struct daemon_txres *r, char *buf, size_t cap) {
  if (r->result == PROTO_E_STORAGE) return ledger_storage_message((int)r->aux);
  if (r->result == PROTO_E_INSUFFICIENT_SIGNATURES && r->aux) {
    snprintf(buf, cap, "%s: %llu of %llu", proto_err_message(r->result),
             (unsigned long long)(r->aux >> 32), (unsigned long long)(r->aux & 0xffffffffu));
    return buf;
  }
  if (r->result == PROTO_E_ACCOUNT_EXISTS && r->aux >= LEDGER_TAKEN_ID &&
      r->aux <= LEDGER_TAKEN_PROVINCE) {
    static const char *const what[] = {"", "the account id is taken",
                                       "the USCC has an account already",
                                       "the province has an account already"};
    return what[r->aux];
  }
  return proto_err_message(r->result);
}

static int result_write(struct daemon_buf *b, const struct daemon_txres *r) {
  int rc;
  if (r->result == 0 || r->result == LEDGER_EXISTS) {
    rc = daemon_buf_str(b, r->result ? "{\"result\":\"exists\",\"index\":" : "{\"result\":\"ok\",\"index\":");
    if (!rc) rc = daemon_buf_u64(b, r->index);
    if (!rc && r->type == PROTO_TX_ALLOCATE && r->withheld) {
      rc = daemon_buf_str(b, ",\"withheld\":");
      if (!rc) rc = daemon_buf_u64(b, r->withheld);
    }
    if (!rc && r->result == 0 && r->ack) rc = daemon_ack_write(b, r->ack, r->index);
    return rc ? rc : daemon_buf_append(b, "}", 1);
  }
  rc = daemon_buf_str(b, "{\"result\":\"error\",\"error\":{\"code\":");
  if (!rc) rc = daemon_buf_json_str(b, proto_err_name(r->result));
  if (!rc) rc = daemon_buf_str(b, ",\"message\":");
  /* A storage failure says why (a failed fsync, a full disk: the errno the writer kept in aux);
   * too few signers says how many of how many; a taken account says what is taken. */
  char msg[160];
  if (!rc) rc = daemon_buf_json_str(b, result_message(r, msg, sizeof msg));
  if (!rc) rc = daemon_buf_append(b, "}", 1);
  if (!rc && r->result == PROTO_E_INSUFFICIENT_SIGNATURES && r->aux) {
    rc = daemon_buf_str(b, ",\"signers\":");
    if (!rc) rc = daemon_buf_u64(b, r->aux >> 32);
    if (!rc) rc = daemon_buf_str(b, ",\"required\":");
    if (!rc) rc = daemon_buf_u64(b, r->aux & 0xffffffffu);
  }
  if (!rc && (r->result == PROTO_E_INSUFFICIENT_BALANCE || r->result == PROTO_E_FROZEN)) {
    rc = daemon_buf_str(b, ",\"available\":");
    if (!rc) rc = daemon_buf_u64(b, r->aux);
  }
  return rc ? rc : daemon_buf_append(b, "}", 1);
}

/* Refusals at info with their code and id; the access log's record names the first transaction
 * and its result. */
static void log_refusals(struct daemon_txreq *req) {
  for (uint32_t i = 0; i < req->count; i++) {
    const struct daemon_txres *r = &req->res[i];
    char hex[2 * PROTO_ID_BYTES + 1];
    proto_hex_encode(r->id, PROTO_ID_BYTES, hex, sizeof hex);
    const char *name = r->result == 0 ? "ok" : r->result == LEDGER_EXISTS ? "exists"
                                                                          : proto_err_name(r->result);
    if (r->result != 0 && r->result != LEDGER_EXISTS)
      daemon_log(DAEMON_LOG_INFO, "refused %s %s: %s", proto_tx_type_name(r->type) ? proto_tx_type_name(r->type) : "?", hex, name);
    if (i == 0 && req->reply->access_target) {
      snprintf(req->reply->access_tx, sizeof req->reply->access_tx, "%s", hex);
      snprintf(req->reply->access_result, sizeof req->reply->access_result, "%s", name ? name : "?");
    }
  }
}

void daemon_txreq_finish(struct daemon_server *srv, struct daemon_txreq *req) {
  (void)srv;
  struct daemon_buf body = {0};
  int rc = daemon_buf_str(&body, "{\"tree_size\":");
  if (!rc) rc = daemon_buf_u64(&body, req->tree_size);
  if (!rc) rc = daemon_buf_str(&body, ",\"results\":[");
  for (uint32_t i = 0; i < req->count && !rc; i++) {
    if (i) rc = daemon_buf_append(&body, ",", 1);
    if (!rc) rc = result_write(&body, &req->res[i]);
  }
  if (!rc) rc = daemon_buf_append(&body, "]}", 2);
  unsigned status = req->single ? daemon_status_for(req->res[0].result) : 200;
  log_refusals(req);
  if (rc) daemon_reply_error(req->reply, PROTO_E_NO_MEMORY, NULL, req->keep_alive);
  else daemon_reply_set(req->reply, status, "application/json", body.data, body.len, req->keep_alive);
  daemon_buf_free(&body);
  struct daemon_conn *c = req->conn;
  bool in_batch = req->in_batch;
  for (uint32_t i = 0; i < req->count; i++) daemon_ack_unref(req->res[i].ack);
  free(req->res);
  free(req);
  if (in_batch) daemon_conn_done(c); /* flushes the reply, or frees a closed connection */
}

void api__tx_encode(struct daemon_server *srv, struct daemon_request *r, struct daemon_reply *reply) {
  bool ka = r->keep_alive && !srv->stopping;
  json_error_t jerr;
  json_t *root = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) return daemon_reply_error(reply, PROTO_E_BAD_JSON, jerr.text, ka);
  struct proto_tx tx;
  const char *where = NULL;
  int rc = proto_tx_from_json(root, &tx, &where);
  char detail[128] = "";
  if (rc && where) snprintf(detail, sizeof detail, "field %s", where);
  json_decref(root);
  if (rc) return daemon_reply_error(reply, rc, detail, ka);
  uint8_t *body = malloc(PROTO_BODY_BYTES_MAX), *msg = malloc(PROTO_BODY_BYTES_MAX + 256);
  long blen = body && msg ? proto_tx_encode(&tx, body, PROTO_BODY_BYTES_MAX) : PROTO_E_NO_MEMORY;
  /* Before the genesis the registry has no origin yet: the genesis names it. */
  const char *origin = ledger_origin(srv->ledger);
  if (!origin[0] && tx.type == PROTO_TX_GENESIS) origin = tx.u.genesis.origin;
  long mlen = blen < 0 ? blen : !origin[0] ? PROTO_E_GENESIS_REQUIRED
                                           : proto_signing_message(origin, body, (size_t)blen, msg, PROTO_BODY_BYTES_MAX + 256);
  json_t *out = NULL;
  if (mlen >= 0) {
    uint8_t hash[PROTO_HASH_BYTES];
    char hex[2 * PROTO_HASH_BYTES + 1];
    proto_body_hash(body, (size_t)blen, hash);
    proto_hex_encode(hash, sizeof hash, hex, sizeof hex);
    out = json_pack("{s:o,s:o,s:s}", "body", api__b64(body, (size_t)blen), "signing_message",
                    api__b64(msg, (size_t)mlen), "body_hash", hex);
  }
  proto_tx_free(&tx);
  free(body);
  free(msg);
  if (mlen < 0) return daemon_reply_error(reply, (int)mlen, NULL, ka);
  api__reply_json(reply, 200, out, ka);
}
