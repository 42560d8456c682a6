/* proof: checks here, not on the registry's word, that a transaction is in the log: its exact
 * leaf bytes, an RFC 9162 inclusion proof, and the root in a checkpoint signed by the log key;
 * with --receipt, writes all of it as a C2SP tlog-proof file that anyone can verify offline. */
#include "proto/proto_json.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tlog/tlog.h"
#include "tools/common/tile_client.h"
#include "tools/quotactl.h"

#define PROOF_CHECKPOINT_TRIES 5u

/* The log key to trust: pinned by --verifier-key when given (and it must match the registry's),
 * else the one GET /v1/log serves. */
static int trusted_key(struct qctl *q, const char *pinned, char *name, size_t name_cap,
                       uint8_t pub[PROTO_PUBKEY_BYTES]) {
  const char *vk = pinned ? pinned : q->verifier_key;
  if (tlog_verifier_key_parse(vk, name, name_cap, pub) != 0) {
    fprintf(stderr, "quotactl proof: '%s' is not a verifier key (NAME+ID+KEY)\n", vk);
    return pinned ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  if (!pinned) {
    fprintf(stderr, "note: trusting the log key the registry serves; pass --verifier-key to pin "
            "it\n");
  }
  return 0;
}

/* Fetches and verifies the latest checkpoint until it covers index; its text (the signed note as
 * served, cosignatures included) into note. */
static int covering_checkpoint(struct qctl *q, const char *name, const uint8_t *pub,
                               uint64_t index, struct tlog_checkpoint *cp, char *note,
                               size_t note_cap) {
  for (unsigned t = 0; t < PROOF_CHECKPOINT_TRIES; t++) {
    struct http_response r;
    int rc = qctl_checkpoint_get(q, &r);
    if (rc) return rc;
    rc = tlog_checkpoint_verify(r.body, r.len, name, pub, cp);
    if (!rc && r.len >= note_cap) rc = PROTO_E_TOO_LARGE;
    if (!rc) {
      memcpy(note, r.body, r.len);
      note[r.len] = '\0';
    }
    http_response_free(&r);
    if (rc) {
      fprintf(stderr, "quotactl proof: the checkpoint does not verify with the log key: %s\n",
              proto_err_message(rc));
      return QCTL_EXIT_VERIFY;
    }
    if (cp->size > index) return 0;
    sleep(1); /* a checkpoint covering a new entry is published within a second */
  }
  fprintf(stderr, "quotactl proof: no checkpoint covers entry %" PRIu64 " yet\n", index);
  return QCTL_EXIT_VERIFY;
}

static int fetch_proof(struct qctl *q, uint64_t index, uint64_t size,
                       uint8_t (*hashes)[PROTO_HASH_BYTES], size_t *n) {
  json_t *ans = NULL;
  int rc = qctl_getf(q, &ans, "/v1/proof/inclusion?index=%" PRIu64 "&tree_size=%" PRIu64, index,
                     size);
  if (rc) return rc;
  json_t *arr = json_object_get(ans, "hashes");
  *n = json_array_size(arr);
  if (*n > TLOG_PROOF_HASHES_MAX) *n = 0;
  for (size_t i = 0; i < *n; i++) {
    const char *h = json_string_value(json_array_get(arr, i));
    if (!h || proto_base64_decode(h, strlen(h), hashes[i], PROTO_HASH_BYTES) != PROTO_HASH_BYTES) {
      fprintf(stderr, "quotactl proof: hash %zu of the proof is not 32 bytes of base64\n", i);
      json_decref(ans);
      return QCTL_EXIT_VERIFY;
    }
  }
  json_decref(ans);
  return 0;
}

/* The inclusion proof built here from the log's hash tiles under url (a quotad's /log, a mirror,
 * a static copy): the registry is not asked for the proof at all. */
static int tiles_proof(const char *url, uint64_t index, uint64_t size,
                       uint8_t (*hashes)[PROTO_HASH_BYTES], size_t *n) {
  static struct tile_client tc;
  static struct tlog_tile_store ts;
  struct http_client *http = http_client_new(url, NULL);
  if (!http) return QCTL_EXIT_IO;
  tile_client_init(&tc, http);
  struct tlog_store s;
  tlog_tile_store_init(&ts, &tc.fetcher, size, &s);
  int rc = tlog_inclusion(&s, index, size, hashes, n);
  http_client_free(http);
  if (rc == 0) return 0;
  fprintf(stderr, "quotactl proof: cannot build the proof from the tiles at %s: %s\n", url,
          tc.error[0] ? tc.error : proto_err_message(rc));
  return QCTL_EXIT_IO;
}

/* GET /v1/tx/{id} (or, by_index, /v1/entries at *index): the entry's index and exact leaf
 * bytes; id_hex receives the transaction's id when by_index. */
static int fetch_leaf(struct qctl *q, char *id_hex, bool by_index, uint64_t *index, uint8_t *leaf,
                      size_t *len, char *type, size_t type_cap) {
  json_t *ans = NULL;
  int rc = by_index ? qctl_getf(q, &ans, "/v1/entries?start=%" PRIu64 "&limit=1", *index)
                    : qctl_getf(q, &ans, "/v1/tx/%s", id_hex);
  if (rc) return rc;
  json_t *entry = by_index ? json_array_get(json_object_get(ans, "entries"), 0) : json_object_get(ans, "entry");
  const char *b64 = json_string_value(json_object_get(entry, "leaf"));
  if (!by_index) *index = (uint64_t)json_integer_value(json_object_get(ans, "index"));
  const char *t = json_string_value(json_object_get(json_object_get(entry, "tx"), "type"));
  snprintf(type, type_cap, "%s", t ? t : "?");
  json_t *page = NULL;
  if (!b64) {
    /* docs/API.md's entry JSON carries "leaf"; an answer without it is completed from /v1/entries */
    rc = qctl_getf(q, &page, "/v1/entries?start=%" PRIu64 "&limit=1", *index);
    if (rc) {
      json_decref(ans);
      return rc;
    }
    b64 = json_string_value(json_object_get(json_array_get(json_object_get(page, "entries"), 0),
                                            "leaf"));
  }
  long n = b64 ? proto_base64_decode(b64, strlen(b64), leaf, PROTO_ENTRY_BYTES_MAX) : -1;
  json_decref(page);
  json_decref(ans);
  if (n <= 0) {
    fprintf(stderr, "quotactl proof: the entry has no leaf bytes\n");
    return QCTL_EXIT_IO;
  }
  *len = (size_t)n;
  /* the leaf must be the entry of this id at this index, not any entry */
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (proto_entry_decode(leaf, *len, &e) != 0 || e.index != *index ||
      proto_envelope_decode(e.envelope, e.envelope_len, &env) != 0 ||
      proto_tx_decode(env.body, env.body_len, &tx) != 0) {
    fprintf(stderr, "quotactl proof: the leaf is not a valid entry at index %" PRIu64 "\n", *index);
    return QCTL_EXIT_VERIFY;
  }
  char got[2 * PROTO_ID_BYTES + 1];
  proto_hex_encode(tx.id, PROTO_ID_BYTES, got, sizeof(got));
  proto_tx_free(&tx);
  if (by_index) memcpy(id_hex, got, sizeof(got));
  if (strcasecmp(got, id_hex) != 0) {
    fprintf(stderr, "quotactl proof: the leaf holds transaction %s, not %s\n", got, id_hex);
    return QCTL_EXIT_VERIFY;
  }
  return 0;
}

static void proof_help(FILE *out) {
  fprintf(out,
          "usage: quotactl [--key FILE] proof (--id HEX | --index N) [--verifier-key NAME+ID+KEY]\n"
          "                [--policy FILE] [--receipt FILE] [--from-tiles URL]\n"
          "Fetches the transaction's entry, the latest signed checkpoint and an inclusion proof,\n"
          "and verifies all three here: the leaf is the entry of that id, the proof leads from\n"
          "its hash to the checkpoint's root (RFC 9162), and the checkpoint is signed by the log\n"
          "key. With --policy (tlog-policy) the checkpoint's witness cosignatures must meet its\n"
          "quorum. With --receipt, once verified, writes them as a receipt: a C2SP tlog-proof file\n"
          "(the entry's leaf as its extra data, the index, the proof, the checkpoint as served\n"
          "with its cosignatures) that the public pages' verifier, the standalone\n"
          "quotad-verifier.html and `quotactl verify-receipt` check offline. Exit 0 verified,\n"
          "4 when anything does not verify.\n"
          "--from-tiles URL builds the proof here from the log's hash tiles (C2SP tlog-tiles) under\n"
          "URL (e.g. http://registry:8080/log, a mirror) instead of asking /v1/proof.\n");
}

/* The receipt: c2sp.org/tlog-proof@v1, written to FILE.tmp then renamed, so a reader never
 * finds half a receipt. */
static int write_receipt(const char *file, const uint8_t *leaf, size_t len, uint64_t index,
                         const uint8_t (*hashes)[PROTO_HASH_BYTES], size_t n, const char *note) {
  static char b64[PROTO_ENTRY_BYTES_MAX * 4 / 3 + 8];
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp)) return QCTL_EXIT_USAGE;
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "quotactl proof: %s: %s\n", tmp, strerror(errno));
    return QCTL_EXIT_IO;
  }
  proto_base64_encode(leaf, len, b64, sizeof(b64));
  fprintf(f, "c2sp.org/tlog-proof@v1\nextra %s\nindex %" PRIu64 "\n", b64, index);
  for (size_t i = 0; i < n; i++) {
    proto_base64_encode(hashes[i], PROTO_HASH_BYTES, b64, sizeof(b64));
    fprintf(f, "%s\n", b64);
  }
  fprintf(f, "\n%s", note);
  bool bad = ferror(f) != 0;
  if (fclose(f) != 0 || bad || rename(tmp, file) != 0) {
    fprintf(stderr, "quotactl proof: cannot write %s: %s\n", file, strerror(errno));
    unlink(tmp);
    return QCTL_EXIT_IO;
  }
  return 0;
}

int qctl_cmd_proof(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"id", "index", "verifier-key", "policy", "receipt", "from-tiles", NULL};
  if (qopts_has(&o, "help") || qopts_has(&o, "id") == qopts_has(&o, "index") || o.npos) {
    proof_help(qopts_has(&o, "help") ? stdout : stderr);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "proof", allowed))) return rc;
  uint8_t id[PROTO_ID_BYTES];
  char id_hex[2 * PROTO_ID_BYTES + 1] = "";
  uint64_t index = 0;
  bool by_index = qopts_has(&o, "index");
  if (by_index && (rc = qopts_u64(qopts_get(&o, "index"), "--index", 0, UINT64_MAX - 1, &index))) return rc;
  if (!by_index) {
    if ((rc = qctl_id_from_hex(qopts_get(&o, "id"), id))) return rc;
    snprintf(id_hex, sizeof(id_hex), "%s", qopts_get(&o, "id"));
  }
  if ((rc = qctl_fetch_log(q))) return rc;
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  if ((rc = trusted_key(q, qopts_get(&o, "verifier-key"), name, sizeof(name), pub))) return rc;
  static uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  size_t len = 0;
  char type[32];
  if ((rc = fetch_leaf(q, id_hex, by_index, &index, leaf, &len, type, sizeof(type)))) return rc;
  struct tlog_checkpoint cp;
  static char note[TLOG_NOTE_BYTES_MAX + 1]; /* the checkpoint and its cosignature lines */
  if ((rc = covering_checkpoint(q, name, pub, index, &cp, note, sizeof(note)))) return rc;
  /* With a policy the checkpoint counts only with its witness quorum (a split view needs it). */
  const char *policy = qopts_get(&o, "policy");
  if (policy && (rc = qctl_checkpoint_check(q, note, strlen(note), qopts_get(&o, "verifier-key"),
                                            policy, NULL)))
    return rc;
  uint8_t hashes[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  const char *tiles = qopts_get(&o, "from-tiles");
  if ((rc = tiles ? tiles_proof(tiles, index, cp.size, hashes, &n) : fetch_proof(q, index, cp.size, hashes, &n)))
    return rc;
  uint8_t leaf_hash[PROTO_HASH_BYTES];
  tlog_leaf_hash(leaf, len, leaf_hash);
  char root[64];
  proto_base64_encode(cp.root, sizeof(cp.root), root, sizeof(root));
  if (tlog_verify_inclusion(index, cp.size, leaf_hash, (const uint8_t(*)[PROTO_HASH_BYTES])hashes,
                              n, cp.root) != 0) {
    fprintf(stderr, "quotactl proof: NOT VERIFIED: the inclusion proof of entry %" PRIu64
            " does not lead to the root %s of the signed tree of size %" PRIu64 "\n", index, root,
            cp.size);
    return QCTL_EXIT_VERIFY;
  }
  const char *receipt = qopts_get(&o, "receipt");
  if (receipt && (rc = write_receipt(receipt, leaf, len, index, (const uint8_t(*)[PROTO_HASH_BYTES])hashes, n, note)))
    return rc;
  if (q->json) {
    printf("{\"verified\":true,\"id\":\"%s\",\"index\":%" PRIu64 ",\"tree_size\":%" PRIu64
           ",\"root\":\"%s\",\"proof_hashes\":%zu}\n", id_hex, index, cp.size, root, n);
  } else {
    printf("verified: %s %s is entry %" PRIu64 " of the tree of size %" PRIu64 " (root %s), "
           "proof of %zu hashes%s, checkpoint signed by %s\n", type, id_hex, index, cp.size, root, n,
           tiles ? " built from tiles" : "", name);
  }
  return QCTL_EXIT_OK;
}
