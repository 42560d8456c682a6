/* tlog: the transparency-log library. RFC 6962 / RFC 9162 Merkle hashing and proofs (over memory
 * and over a store of complete subtree hashes, so that one algorithm runs over LMDB, the ledger's
 * store, and over memory: tools, tests, benchmarks), and C2SP signed notes: tlog-checkpoint
 * bodies, Ed25519 signatures and the signed-note verifier key format; witness cosignatures
 * (tlog-cosignature), witness policies and quorums (tlog-policy) and both sides of the witness
 * protocol (tlog-witness). It uses proto (hashes, Ed25519, base64, the error table) and nothing
 * else: quota-audit, quota-witness and quotactl use it without the ledger.
 *
 * Tree over a store: the RFC 6962 / RFC 9162 Merkle tree over a store of complete subtree hashes.
 *
 * Node scheme
 * -----------
 * A node (level, index) is the hash of the complete subtree of 2^level leaves that covers leaves
 * [index << level, (index + 1) << level). Level 0 holds the leaf hashes (SHA-256(0x00 || entry));
 * level l + 1 index i is SHA-256(0x01 || (l, 2i) || (l, 2i + 1)). A node is stored once the
 * leaf that completes it is appended and never changes after: the store only grows. A tree of n
 * leaves holds exactly sum over l of floor(n / 2^l) nodes (under 2n).
 *
 * Levels run 0..63 and index < 2^(64 - level); trees hold at most 2^63 leaves (TLOG_SIZE_MAX).
 * An LMDB adapter keys a node by 9 bytes: the level byte, then the index as a big-endian u64
 * (tlog_node_key). Keys sort by level, then index, and within a level nodes are created in
 * index order, so the b-tree grows at the end of each level's key range.
 *
 * Roots and proofs of any size <= the stored size are computed from stored nodes only (the root of
 * a size that is not a power of two is a fold of its O(log n) complete subtrees), so each call
 * does O(log n) gets and no puts. The functions keep no state: the caller passes the size.
 *
 * Callbacks return 0 or a negative proto code (e.g. NOT_FOUND, CORRUPT, STORAGE); any such code
 * is returned as is by the function that called it, which then stops. Nothing here allocates.
 */
#ifndef QUOTAD_TLOG_H
#define QUOTAD_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

/* ---------------------------------------------------------------------------------------------
 * Merkle hashing and proof verification (RFC 6962 / RFC 9162 section 2.1). Pure functions.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_PROOF_HASHES_MAX 64u

/* The RFC 6962 root of leaves given one at a time, without an array of them: the hashes of
 * the complete subtrees so far, one per bit of the count (64 levels cover any uint64_t size). */
struct tlog_root_builder {
  uint8_t stack[64][PROTO_HASH_BYTES];
  size_t depth;
  uint64_t count;
};
void tlog_root_add(struct tlog_root_builder *b, const uint8_t leaf_hash[PROTO_HASH_BYTES]);
/* The root of the leaves added (the hash of the empty string for none); b is spent. */
void tlog_root_finish(struct tlog_root_builder *b, uint8_t out[PROTO_HASH_BYTES]);
/* SHA-256(0x00 || data) */
void tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[PROTO_HASH_BYTES]);
/* SHA-256(0x01 || left || right) */
void tlog_node_hash(const uint8_t left[PROTO_HASH_BYTES], const uint8_t right[PROTO_HASH_BYTES],
                      uint8_t out[PROTO_HASH_BYTES]);
/* The root of the tree over n leaf hashes held in memory (for tools and tests). For n = 0 it is
 * SHA-256 of the empty string. */
void tlog_root_of(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                    uint8_t out[PROTO_HASH_BYTES]);
/* 0 when proof shows the leaf with hash leaf_hash at index is in the tree of size with root;
 * BAD_PROOF otherwise (including index >= size). */
int tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[PROTO_HASH_BYTES],
                            const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len,
                            const uint8_t root[PROTO_HASH_BYTES]);
/* 0 when proof shows the tree of size first with root1 is a prefix of the tree of size second
 * with root2; BAD_PROOF otherwise. first = second needs an empty proof and equal roots; first = 0
 * is consistent with anything (empty proof; root1 must be the empty tree's, SHA-256 of ""). */
int tlog_verify_consistency(uint64_t first, uint64_t second, const uint8_t root1[PROTO_HASH_BYTES],
                              const uint8_t root2[PROTO_HASH_BYTES],
                              const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len);

/* ---------------------------------------------------------------------------------------------
 * Checkpoints: C2SP tlog-checkpoint in a C2SP signed note, Ed25519.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_CHECKPOINT_BYTES_MAX 1024u /* the note text: origin, size, root, extension lines */
#define TLOG_VERIFIER_KEY_BYTES_MAX 256u
/* C2SP signed-note lets a verifier refuse notes with more than 100 signatures; a line of an
 * unknown signer is ignored but still bounded, so a note costs bounded work. */
#define TLOG_NOTE_SIG_LINES_MAX 100u
#define TLOG_NOTE_SIG_LINE_BYTES_MAX 1024u
#define TLOG_NOTE_BYTES_MAX                                                                       \
  (TLOG_CHECKPOINT_BYTES_MAX + 1u + TLOG_NOTE_SIG_LINES_MAX * TLOG_NOTE_SIG_LINE_BYTES_MAX)

struct tlog_checkpoint {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint64_t size;
  uint8_t root[PROTO_HASH_BYTES];
};

/* The signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key),
 * as a big-endian integer. */
uint32_t tlog_note_key_id(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES]);
/* "<name>+<8 hex key id>+<base64(0x01 || public key)>", NUL-terminated. Returns its length,
 * FIELD_TOO_LONG, or BAD_ARGUMENT for a name that is not 1-128 printable ASCII without space or
 * '+'. */
long tlog_verifier_key(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                         size_t cap);
/* Parses a verifier key string (strict: lowercase hex id that matches the key, algorithm 0x01,
 * canonical base64). Returns 0 or BAD_KEY; name receives the key name (FIELD_TOO_LONG when
 * name_cap is too small). */
int tlog_verifier_key_parse(const char *text, char *name, size_t name_cap,
                              uint8_t pub[PROTO_PUBKEY_BYTES]);
/* Signs cp with key under key_name (the key name is the origin in quotad's logs), writing the
 * whole signed note to out (NUL-terminated). Returns its length or a negative code: BAD_ORIGIN
 * (origin not 1-128 printable ASCII without space), BAD_ARGUMENT (key name), BAD_KEY (public-only
 * key), FIELD_TOO_LONG. */
long tlog_checkpoint_sign(const struct tlog_checkpoint *cp, const char *key_name,
                            const struct proto_key *key, char *out, size_t cap);
/* Parses a signed note and verifies that it carries a valid signature by (key_name, pub);
 * signatures by other keys are ignored (at most 100 signature lines). Extension lines after the
 * root line are accepted (they are signed) but not returned. Returns 0, BAD_CHECKPOINT
 * (malformed), BAD_SIGNATURE (no valid signature by that key, or a line by that key that does
 * not verify) or BAD_KEY (pub unusable). out (may be NULL) is written only on success. */
int tlog_checkpoint_verify(const char *text, size_t len, const char *key_name,
                             const uint8_t pub[PROTO_PUBKEY_BYTES], struct tlog_checkpoint *out);

/* A signed note split in its two parts, pointing into the caller's buffer. */
struct tlog_note {
  const char *text; /* the signed text: the checkpoint body up to and including its last '\n' */
  size_t text_len;
  const char *sigs; /* the signature lines after the blank line, each ending in '\n' (>= 1) */
  size_t sigs_len;
  struct tlog_checkpoint cp; /* origin, size and root from the text's first three lines */
};

/* Splits and checks a signed checkpoint note without verifying any signature: UTF-8 without
 * control characters but '\n', a text of at most TLOG_CHECKPOINT_BYTES_MAX bytes that is a
 * checkpoint body (extension lines allowed), a blank line, then 1..100 well-formed signature
 * lines. What a witness cosigns and a cosignature covers is out->text exactly.
 * Returns 0 or BAD_CHECKPOINT; *out is written only on success. */
int tlog_note_parse(const char *note, size_t len, struct tlog_note *out);
/* Copies the signature lines of n under (name, key_id), newlines included, to out (not
 * NUL-terminated): e.g. a log's own lines once tlog_checkpoint_verify has accepted them, without
 * the lines of signers nobody checked. Returns the bytes written or FIELD_TOO_LONG. */
long tlog_note_lines_of(const struct tlog_note *n, const char *name, uint32_t key_id, char *out,
                        size_t cap);

/* ---------------------------------------------------------------------------------------------
 * Cosignatures: C2SP tlog-cosignature, cosignature/v1 (Ed25519), in cosig.c.
 *
 * A witness (a cosigner) adds to a checkpoint note one signature line
 *   "— <cosigner name> <base64(key id || u64 timestamp || Ed25519 signature)>\n"
 * where the key id is SHA-256(name || "\n" || 0x04 || public key)[:4], the timestamp is POSIX
 * seconds (big-endian, at most 2^63 - 1), and the signature covers
 *   "cosignature/v1\n" || "time <timestamp in decimal>\n" || the note text (tlog_note.text).
 * The cosigner's verifier key is "<name>+<8 hex key id>+<base64(0x04 || public key)>".
 * ------------------------------------------------------------------------------------------- */
#define TLOG_COSIG_ALG 0x04u
#define TLOG_COSIG_BLOB_BYTES 76u /* key id 4 + timestamp 8 + signature 64 */
#define TLOG_COSIG_TIME_MAX ((UINT64_C(1) << 63) - 1u)
/* "— " (4 bytes) + a name of at most 128 + " " + base64 of 76 bytes (104) + "\n" */
#define TLOG_COSIG_LINE_BYTES_MAX 240u

/* A cosigner as a client knows it: its name and public key (the key id follows from both). */
struct tlog_cosigner {
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  uint32_t key_id;
};

/* SHA-256(name || "\n" || 0x04 || pub)[:4], big-endian. */
uint32_t tlog_cosig_key_id(const char *name, const uint8_t pub[PROTO_PUBKEY_BYTES]);
/* The cosigner's verifier key, NUL-terminated. Returns its length, BAD_ARGUMENT for a name that
 * is not 1-128 printable ASCII without space or '+', or FIELD_TOO_LONG. */
long tlog_cosig_verifier_key(const char *name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                             size_t cap);
/* Parses a cosigner verifier key (algorithm 0x04; strict as tlog_verifier_key_parse). Returns 0
 * or BAD_KEY (also for a checkpoint key, algorithm 0x01: one key, one role). */
int tlog_cosig_verifier_key_parse(const char *text, struct tlog_cosigner *out);
/* The signed message: "cosignature/v1\ntime <t>\n" || text. Returns its length, or
 * FIELD_TOO_LONG / BAD_ARGUMENT (t > TLOG_COSIG_TIME_MAX). */
long tlog_cosig_message(const char *text, size_t text_len, uint64_t time_s, char *out, size_t cap);
/* Cosigns a note text (tlog_note.text) at time_s as `name`: writes the signature line with its
 * newline, NUL-terminated. Returns its length, BAD_ARGUMENT (name or time), BAD_KEY (public-only
 * key), CRYPTO or FIELD_TOO_LONG. The caller checked the text is a checkpoint body it vouches for. */
long tlog_cosign(const char *text, size_t text_len, const char *name, const struct proto_key *key,
                 uint64_t time_s, char *out, size_t cap);
/* Looks for c's cosignature among signature lines sigs[0..sigs_len) (each ending in '\n', at
 * most 100) over text. Lines of other names or key ids are ignored (C2SP). Returns 0 when one of
 * c's lines verifies: *time_s (may be NULL) gets its timestamp and *line / *line_len (may be NULL)
 * the line, newline included, inside sigs. NOT_FOUND when c has no line, BAD_SIGNATURE when
 * none of c's lines verifies, BAD_CHECKPOINT when a line is malformed, BAD_KEY (c->pub). */
int tlog_cosig_find(const char *sigs, size_t sigs_len, const char *text, size_t text_len,
                    const struct tlog_cosigner *c, uint64_t *time_s, const char **line,
                    size_t *line_len);
/* tlog_cosig_find over a whole note (tlog_note_parse first). */
int tlog_cosig_verify(const char *note, size_t len, const struct tlog_cosigner *c,
                      uint64_t *time_s);

/* ---------------------------------------------------------------------------------------------
 * Witness policies: C2SP tlog-policy, in policy.c.
 *
 * A policy names the logs (`log <vkey> [<url>]`), the witnesses (`witness <name> <vkey>
 * [<url>]`), groups of them (`group <name> all|any|<k> <member>...`, members defined on earlier
 * lines, each at most once per group) and exactly one `quorum <name>` (or `quorum none`).
 * Whitespace is runs of spaces and tabs, `#` starts a comment line, every line ends in '\n'.
 * The parser is strict: an unknown keyword, a missing or extra field, a duplicate key or name,
 * a forward reference, a bad threshold, a control character or a limit passed is an error that
 * names its line. Names are opaque bytes (1..128, no whitespace); `none` is reserved.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_POLICY_BYTES_MAX 65536u
#define TLOG_POLICY_LINE_BYTES_MAX 8192u
#define TLOG_POLICY_LOGS_MAX 32u
#define TLOG_POLICY_WITNESSES_MAX 32u
#define TLOG_POLICY_GROUPS_MAX 32u
#define TLOG_POLICY_NAME_BYTES_MAX 128u
#define TLOG_POLICY_URL_BYTES_MAX 512u
/* A group member or the quorum: a witness index, TLOG_POLICY_GROUP + a group index, or none. */
#define TLOG_POLICY_GROUP 0x100u
#define TLOG_POLICY_NONE 0xFFFFu

struct tlog_policy_log {
  char name[PROTO_ORIGIN_BYTES_MAX + 1]; /* the key name: the log's origin */
  uint8_t pub[PROTO_PUBKEY_BYTES];
  char url[TLOG_POLICY_URL_BYTES_MAX + 1]; /* "" when absent */
};

struct tlog_policy_witness {
  char name[TLOG_POLICY_NAME_BYTES_MAX + 1]; /* the policy's name for it */
  struct tlog_cosigner key;                /* key.name: the name in its signature lines */
  char url[TLOG_POLICY_URL_BYTES_MAX + 1];  /* its submission prefix, "" when absent */
};

struct tlog_policy_group {
  char name[TLOG_POLICY_NAME_BYTES_MAX + 1];
  unsigned k, n; /* witnessed when at least k of its n members are */
  uint16_t members[TLOG_POLICY_WITNESSES_MAX + TLOG_POLICY_GROUPS_MAX];
};

struct tlog_policy {
  struct tlog_policy_log logs[TLOG_POLICY_LOGS_MAX];
  struct tlog_policy_witness witnesses[TLOG_POLICY_WITNESSES_MAX];
  struct tlog_policy_group groups[TLOG_POLICY_GROUPS_MAX];
  unsigned logs_count, witnesses_count, groups_count;
  uint16_t quorum; /* a witness, TLOG_POLICY_GROUP + group, or TLOG_POLICY_NONE */
};

/* Where a policy is wrong, for the operator: 1-based line (0: the file as a whole) and why. */
struct tlog_policy_error {
  unsigned line;
  char message[160];
};

/* Parses a policy file's bytes into *out (about 40 KiB: not for the stack of a small thread).
 * Returns 0, or BAD_POLICY with err (may be NULL) saying where and why. */
int tlog_policy_parse(const char *text, size_t len, struct tlog_policy *out,
                      struct tlog_policy_error *err);
/* Whether the witnesses marked in witnessed[0..witnesses_count) satisfy the quorum. */
bool tlog_policy_quorum_met(const struct tlog_policy *p, const bool *witnessed);
/* The rule for a log that publishes only with its quorum (quotad): every set of witnesses that
 * satisfies the quorum must be more than half of all the policy's witnesses, so two sets that
 * satisfy it share a witness and two forks of one log cannot each gather a quorum. Returns 0, or
 * WEAK_QUORUM with err saying why (including a quorum of none, and a policy whose witnesses are
 * shared between groups and too many (over 20) to check every subset). The parser does not apply
 * it: a reader may choose a weaker policy for itself; quotad's witness client calls this after
 * tlog_policy_parse and refuses to start, and `quotactl checkpoint --verify --policy` warns. */
int tlog_policy_check_majority(const struct tlog_policy *p, struct tlog_policy_error *err);

/* What tlog_policy_verify found. */
struct tlog_policy_result {
  int log;                                      /* the index of the log whose signature verified */
  struct tlog_checkpoint cp;
  bool witnessed[TLOG_POLICY_WITNESSES_MAX];    /* a valid cosignature by witness i */
  bool bad[TLOG_POLICY_WITNESSES_MAX];          /* witness i has lines, none of them valid */
  uint64_t time_s[TLOG_POLICY_WITNESSES_MAX];   /* the valid cosignature's timestamp */
  unsigned cosigned;                            /* how many witnessed[] are true */
};

/* Checks a note's cosignatures against the policy's witnesses and quorum (not the log's
 * signature: see tlog_policy_verify). A witness line that does not verify is not counted (and
 * marked bad), it does not fail the note. Returns 0 when the quorum is met, NO_QUORUM when not,
 * BAD_CHECKPOINT for a malformed note; out (required) is filled in both of the first two cases. */
int tlog_policy_cosigs(const struct tlog_policy *p, const struct tlog_note *n,
                       struct tlog_policy_result *out);
/* The whole check of a cosigned checkpoint: a valid signature by one of the policy's logs whose
 * key name is the checkpoint's origin (BAD_SIGNATURE when none; BAD_POLICY when the policy
 * names no log), then tlog_policy_cosigs. Returns 0, BAD_CHECKPOINT, BAD_SIGNATURE, BAD_POLICY
 * or NO_QUORUM. */
int tlog_policy_verify(const struct tlog_policy *p, const char *note, size_t len,
                       struct tlog_policy_result *out);

/* ---------------------------------------------------------------------------------------------
 * The witness protocol: C2SP tlog-witness add-checkpoint, both sides, in witness.c.
 *
 * Request body (POST <submission prefix>/add-checkpoint):
 *   "old <size>\n", 0..63 lines of one base64 hash each (the RFC 6962 consistency proof from the
 *   old size to the checkpoint's), "\n", then the signed checkpoint note.
 * Answers: 200 with the witness's cosignature lines; 409 with Content-Type text/x.tlog.size and
 * "<size of its latest cosigned checkpoint>\n"; 400 malformed or old > size; 403 no trusted
 * signature; 404 unknown origin; 422 the proof does not verify.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_WITNESS_PROOF_LINES_MAX 63u
#define TLOG_WITNESS_REQUEST_BYTES_MAX                                                            \
  (24u + TLOG_WITNESS_PROOF_LINES_MAX * 45u + 1u + TLOG_NOTE_BYTES_MAX)
#define TLOG_WITNESS_SIZE_CONTENT_TYPE "text/x.tlog.size"

struct tlog_witness_request {
  uint64_t old_size;
  uint8_t proof[TLOG_WITNESS_PROOF_LINES_MAX][PROTO_HASH_BYTES];
  size_t proof_len;
  struct tlog_note note; /* points into the request body */
};

/* Builds a request body. Returns its length (NUL-terminated), BAD_ARGUMENT (more than 63 proof
 * hashes, a proof with old size 0, old size > the checkpoint's), BAD_CHECKPOINT (note) or
 * FIELD_TOO_LONG. */
long tlog_witness_request_build(uint64_t old_size, const uint8_t (*proof)[PROTO_HASH_BYTES],
                                size_t proof_len, const char *note, size_t note_len, char *out,
                                size_t cap);
/* Parses a request body strictly (canonical decimal, canonical base64 of 32 bytes per line, the
 * blank line, a well-formed note). Returns 0 or BAD_REQUEST (the framing; a note that
 * tlog_note_parse refuses is BAD_REQUEST too: the whole body is malformed). out->note points into
 * body. Semantic checks (old <= size, proof, signatures) are the witness's. */
int tlog_witness_request_parse(const char *body, size_t len, struct tlog_witness_request *out);
/* The 409 body "<size>\n": format (returns its length or FIELD_TOO_LONG) and parse (strict;
 * returns 0 or BAD_REQUEST). */
long tlog_witness_size_format(uint64_t size, char *out, size_t cap);
int tlog_witness_size_parse(const char *body, size_t len, uint64_t *size);
/* A 200 body: one or more signature lines (at most 100). Finds and verifies the cosignature of
 * witness c over the note text the client sent; *line / *line_len point at that line inside
 * body, ready to append to the client's note. Returns 0, BAD_REQUEST (not signature lines),
 * NOT_FOUND (no line by c), BAD_SIGNATURE. */
int tlog_witness_response_parse(const char *body, size_t len, const char *text, size_t text_len,
                                const struct tlog_cosigner *c, uint64_t *time_s,
                                const char **line, size_t *line_len);

/* ---------------------------------------------------------------------------------------------
 * The tree over a store of complete subtree hashes (tree.c)
 * ------------------------------------------------------------------------------------------- */
#define TLOG_SIZE_MAX (UINT64_C(1) << 63)
#define TLOG_LEVELS 64u
#define TLOG_NODE_KEY_BYTES 9u

struct tlog_store {
  void *ctx;
  /* Reads node (level, index) into out. Returns 0, NOT_FOUND when it is not stored, or another
   * negative code. */
  int (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]);
  /* Stores node (level, index). Returns 0 or a negative code. */
  int (*put)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]);
};

/* The 9-byte store key of a node: level, then index big-endian. */
void tlog_node_key(unsigned level, uint64_t index, uint8_t key[TLOG_NODE_KEY_BYTES]);
/* The reverse; returns 0, or CORRUPT when level > 63 or the index is out of range for it. */
int tlog_node_key_parse(const uint8_t key[TLOG_NODE_KEY_BYTES], unsigned *level,
                          uint64_t *index);

/* Grows a tree of `size` leaves (all stored) to size + 1 with the leaf hash leaf_hash: stores
 * (0, size) and every subtree that leaf completes, that is one node per trailing 1 bit of size.
 * Does all its gets before its first put, so a failed get leaves the store as it was; a failed
 * put may leave some of the new nodes stored (run it inside a transaction that is then aborted).
 * Errors: BAD_ARGUMENT when size >= TLOG_SIZE_MAX, or a callback's code. */
int tlog_append(const struct tlog_store *s, uint64_t size,
                  const uint8_t leaf_hash[PROTO_HASH_BYTES]);

/* The root of the tree of `size` leaves (size <= stored size; SHA-256("") for 0).
 * Errors: BAD_ARGUMENT when size > TLOG_SIZE_MAX, or get's code (NOT_FOUND past the store). */
int tlog_root(const struct tlog_store *s, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);

/* MTH of leaves [start, end) as RFC 9162 defines it for that list of leaves. Only ranges whose
 * nodes exist in the stored tree are allowed: start < end <= TLOG_SIZE_MAX and end - start <=
 * the largest power of two dividing start (any length when start is 0). Every subtree an RFC 9162
 * root, PATH or PROOF needs is such a range. At most 64 gets.
 * Errors: BAD_ARGUMENT for any other range, or get's code. */
int tlog_subtree(const struct tlog_store *s, uint64_t start, uint64_t end,
                   uint8_t out[PROTO_HASH_BYTES]);

/* The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1, hashes ordered from the
 * leaf's sibling up to the root's child. out must hold TLOG_PROOF_HASHES_MAX hashes; *n
 * receives the count (at most 63). Errors: BAD_ARGUMENT unless index < size <= TLOG_SIZE_MAX,
 * or get's code. */
int tlog_inclusion(const struct tlog_store *s, uint64_t index, uint64_t size,
                     uint8_t out[][PROTO_HASH_BYTES], size_t *n);

/* The consistency proof PROOF(first, D[second]) of RFC 9162 section 2.1.4.1 (SUBPROOF order:
 * deepest hash first). Empty when first is 0 or equals second. out must hold
 * TLOG_PROOF_HASHES_MAX hashes; *n receives the count (at most 64).
 * Errors: BAD_ARGUMENT unless first <= second <= TLOG_SIZE_MAX, or get's code. */
int tlog_consistency(const struct tlog_store *s, uint64_t first, uint64_t second,
                       uint8_t out[][PROTO_HASH_BYTES], size_t *n);

/* ---------------------------------------------------------------------------------------------
 * Trees held in memory, and the tree over a settlement's legs (legs.c)
 * ------------------------------------------------------------------------------------------- */
#define TLOG_MEMTREE_LEAVES_MAX (UINT64_C(1) << 24) /* 16 Mi leaves: 1 GiB of nodes at most */

/* Every complete subtree hash of a tree of n leaves, level by level (under 2n hashes). */
struct tlog_memtree {
  uint64_t n;
  uint64_t level_at[TLOG_LEVELS]; /* where each level starts in nodes */
  uint8_t (*nodes)[PROTO_HASH_BYTES];
};
/* Builds t over leaf_hashes[0..n) (copied; 1 <= n <= TLOG_MEMTREE_LEAVES_MAX). Returns 0,
 * BAD_ARGUMENT or NO_MEMORY; free with tlog_memtree_free (also safe after a failure). */
int tlog_memtree_build(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                       struct tlog_memtree *t);
/* The RFC 9162 inclusion proof of leaf index in the whole tree, as tlog_inclusion. */
int tlog_memtree_inclusion(const struct tlog_memtree *t, uint64_t index,
                           uint8_t out[][PROTO_HASH_BYTES], size_t *len);
void tlog_memtree_free(struct tlog_memtree *t);

/* SHA-256(0x00 || "quotad/leg/v1\n" || salt || leg): a leg's leaf hash. */
void tlog_legs_leaf_hash(const struct proto_leg *leg, uint8_t out[PROTO_HASH_BYTES]);
/* The RFC 6962 root over the leaf hashes of legs[0..n), computed without allocating. */
void tlog_legs_root(const struct proto_leg *legs, size_t n, uint8_t out[PROTO_HASH_BYTES]);
/* A version 2 settle with its legs attached: 0 when they hash to its legs_root, LEGS_ROOT when
 * not, LEGS_MISSING without legs, LEGS_UNEXPECTED for any other tx. (The count was checked when
 * the legs were attached: proto_settle_attach_legs.) */
int tlog_legs_check(const struct proto_tx *tx);
/* The tree over legs[0..n) (1..1000), for audit paths: tlog_memtree_inclusion(t, i, ...) proves
 * leg i under the settlement's legs_root. TOO_MANY_LEGS, NO_MEMORY. */
int tlog_legs_tree(const struct proto_leg *legs, size_t n, struct tlog_memtree *t);

/* ---------------------------------------------------------------------------------------------
 * Tiles: C2SP tlog-tiles, in tile.c.
 *
 * A hash tile (L, N) holds the stored nodes (8L, 256N .. 256N + W - 1) of the tree, 32 bytes each,
 * in index order: W = 256 is a full tile, 1..255 a partial one (only the rightmost tile of a
 * level). The entry bundle N holds entries 256N .. 256N + W - 1, each as a big-endian uint16
 * length then the entry's bytes. Paths (below a log's prefix): "tile/<L>/<N>[.p/<W>]" and
 * "tile/entries/<N>[.p/<W>]", with N written in groups of three digits, all but the last prefixed
 * with 'x' (1234067 -> "x001/x234/067", 5 -> "005").
 * ------------------------------------------------------------------------------------------- */
#define TLOG_TILE_HEIGHT 8u
#define TLOG_TILE_WIDTH 256u
#define TLOG_TILE_LEVEL_MAX 7u        /* 8 * 7 = 56: the highest tile level a 2^63 tree needs */
#define TLOG_TILE_ENTRIES 0xFFu       /* the "level" of an entry bundle */
#define TLOG_TILE_PATH_BYTES_MAX 64u  /* "tile/entries/" + 7 groups of 4 + ".p/255" */
#define TLOG_TILE_BYTES_MAX (TLOG_TILE_WIDTH * PROTO_HASH_BYTES)

struct tlog_tile {
  unsigned level;  /* 0..TLOG_TILE_LEVEL_MAX, or TLOG_TILE_ENTRIES */
  uint64_t index;  /* N */
  unsigned width;  /* 1..256 */
};

/* The tile's path "tile/..." (no leading '/'), NUL-terminated. Returns its length or
 * BAD_ARGUMENT (level, width, or an index past the 2^63-leaf tree). */
long tlog_tile_path(const struct tlog_tile *t, char *out, size_t cap);
/* Parses a path in exactly the form tlog_tile_path writes (no leading zeros in L or W, each
 * group three digits, W 1..255 after ".p/"). Returns 0 or NOT_FOUND (not a tile path). */
int tlog_tile_path_parse(const char *path, struct tlog_tile *out);
/* How many hashes tile (level, index) has in a tree of size leaves (entry bundles: level 0):
 * 0 when the tree has none of them yet, 256 when the tile is full. */
unsigned tlog_tile_width_at(unsigned level, uint64_t index, uint64_t size);

/* Reads tiles for tlog_tile_store: fetch writes t's width * 32 bytes to out (a mirror's file, an
 * HTTP GET, the ledger). Returns 0 or a negative code. */
struct tlog_tile_fetcher {
  void *ctx;
  int (*fetch)(void *ctx, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]);
};
#define TLOG_TILE_CACHE_TILES 4u
/* A read-only tlog_store over the hash tiles of a tree of `size` leaves: node (l, i) is read from
 * the tile at level l / 8 (hashing 2^(l % 8) of its hashes when l is not a multiple of 8), each
 * tile fetched at the width it has in that tree and kept in a small cache. Then tlog_root,
 * tlog_inclusion and tlog_consistency (sizes <= size) give the same answers as over the stored
 * nodes. About 33 KiB: not for a small thread's stack. */
struct tlog_tile_store {
  const struct tlog_tile_fetcher *fetcher;
  uint64_t size;
  struct tlog_tile cached[TLOG_TILE_CACHE_TILES];
  bool cached_valid[TLOG_TILE_CACHE_TILES];
  unsigned next_slot;
  uint8_t hashes[TLOG_TILE_CACHE_TILES][TLOG_TILE_WIDTH][PROTO_HASH_BYTES];
  uint64_t fetches; /* how many tiles were fetched (for tests: proofs cost O(log n) tiles) */
};
/* Sets up ts and the store s that reads through it. */
void tlog_tile_store_init(struct tlog_tile_store *ts, const struct tlog_tile_fetcher *f,
                          uint64_t size, struct tlog_store *s);

#endif /* QUOTAD_TLOG_H */
