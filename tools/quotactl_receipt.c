/* receipt: C2SP tlog-proof receipts of an entry ("c2sp.org/tlog-proof@v1", extra = the entry's
 * leaf bytes, index, inclusion proof hashes, a blank line, the cosigned checkpoint note), as
 * `quotactl proof --receipt` writes them, checked offline by `quotactl verify-receipt`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlog/tlog.h"
#include "tools/quotactl.h"

#define RECEIPT_HEADER "c2sp.org/tlog-proof@v1\n"
/* extra (a leaf of at most 64 KiB in base64), index, 64 hashes, the note. */
#define RECEIPT_BYTES_MAX (128u + (PROTO_ENTRY_BYTES_MAX / 3u + 1u) * 4u + 64u * 45u + TLOG_NOTE_BYTES_MAX)

struct receipt {
  uint8_t *leaf;
  size_t leaf_len;
  uint64_t index;
  uint8_t hashes[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n;
  const char *note; /* inside the file's text */
};

/* Next line of text at *at (without its newline) or NULL at the end. */
static char *next_line(char **at) {
  char *s = *at, *nl = s ? strchr(s, '\n') : NULL;
  if (!nl) return NULL;
  *nl = '\0';
  *at = nl + 1;
  return s;
}

static int receipt_parse(char *text, struct receipt *r) {
  char *at = text, *line = next_line(&at);
  if (!line || strcmp(line, "c2sp.org/tlog-proof@v1") != 0) return PROTO_E_BAD_REQUEST;
  line = next_line(&at);
  if (!line || strncmp(line, "extra ", 6) != 0) return PROTO_E_BAD_REQUEST; /* quotad's carry the leaf */
  r->leaf = malloc(PROTO_ENTRY_BYTES_MAX + 3);
  long ll = r->leaf ? proto_base64_decode(line + 6, strlen(line + 6), r->leaf, PROTO_ENTRY_BYTES_MAX + 3) : -1;
  if (ll <= 0 || ll > (long)PROTO_ENTRY_BYTES_MAX) return PROTO_E_BAD_REQUEST;
  r->leaf_len = (size_t)ll;
  line = next_line(&at);
  char *end = NULL;
  if (!line || strncmp(line, "index ", 6) != 0 || line[6] < '0' || line[6] > '9') return PROTO_E_BAD_REQUEST;
  errno = 0;
  r->index = strtoull(line + 6, &end, 10);
  if (errno || *end) return PROTO_E_BAD_REQUEST;
  while ((line = next_line(&at)) && line[0]) {
    if (r->n == TLOG_PROOF_HASHES_MAX ||
        proto_base64_decode(line, strlen(line), r->hashes[r->n], PROTO_HASH_BYTES) != PROTO_HASH_BYTES)
      return PROTO_E_BAD_REQUEST;
    r->n++;
  }
  if (!line) return PROTO_E_BAD_REQUEST;
  r->note = at;
  return 0;
}

static int receipt_read(const char *path, char **text) {
  FILE *f = fopen(path, "r");
  *text = malloc(RECEIPT_BYTES_MAX + 1);
  size_t len = f && *text ? fread(*text, 1, RECEIPT_BYTES_MAX + 1, f) : 0;
  if (f) fclose(f);
  if (!f || !*text || len > RECEIPT_BYTES_MAX) {
    fprintf(stderr, "quotactl verify-receipt: %s: %s\n", path, !f ? strerror(errno) : "too large");
    return QCTL_EXIT_IO;
  }
  (*text)[len] = '\0';
  return 0;
}

/* The leaf must be an entry whose own index is the receipt's, and prove into the root. */
static int receipt_leaf_check(const struct receipt *r, const struct tlog_checkpoint *cp) {
  struct proto_entry e;
  if (proto_entry_decode(r->leaf, r->leaf_len, &e) != 0 || e.index != r->index) {
    fprintf(stderr, "quotactl verify-receipt: the extra data is not the entry at index %" PRIu64 "\n", r->index);
    return QCTL_EXIT_VERIFY;
  }
  uint8_t lh[PROTO_HASH_BYTES];
  tlog_leaf_hash(r->leaf, r->leaf_len, lh);
  if (tlog_verify_inclusion(r->index, cp->size, lh, (const uint8_t(*)[PROTO_HASH_BYTES])r->hashes,
                            r->n, cp->root) != 0) {
    fprintf(stderr, "quotactl verify-receipt: NOT VERIFIED: the proof of entry %" PRIu64
            " does not lead to the checkpoint's root (size %" PRIu64 ")\n", r->index, cp->size);
    return QCTL_EXIT_VERIFY;
  }
  printf("verified: entry %" PRIu64 " (committed at %" PRIu64 " ms) is in %s of size %" PRIu64 "\n",
         r->index, e.time_ms, cp->origin, cp->size);
  return QCTL_EXIT_OK;
}

int qctl_cmd_verify_receipt(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"verifier-key", "policy", NULL};
  if (qopts_has(&o, "help") || o.npos != 1) {
    fprintf(qopts_has(&o, "help") ? stdout : stderr,
            "usage: quotactl verify-receipt FILE [--verifier-key NAME+ID+KEY] [--policy FILE]\n"
            "Checks a C2SP tlog-proof receipt (quotactl proof --receipt) offline: the checkpoint's\n"
            "log signature (--verifier-key, or the policy's log line), its witness quorum (--policy),\n"
            "and the entry in the extra data proven into its root. Exit 0 verified, 4 not.\n");
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "verify-receipt", allowed))) return rc;
  if (!qopts_get(&o, "verifier-key") && !qopts_get(&o, "policy")) {
    fprintf(stderr, "quotactl verify-receipt: offline needs --verifier-key or --policy (with a log line)\n");
    return QCTL_EXIT_USAGE;
  }
  char *text = NULL;
  struct receipt *r = calloc(1, sizeof *r);
  rc = r ? receipt_read(o.pos[0], &text) : QCTL_EXIT_IO;
  if (!rc && receipt_parse(text, r) != 0) {
    fprintf(stderr, "quotactl verify-receipt: %s is not a tlog-proof receipt with quotad's extra data\n", o.pos[0]);
    rc = QCTL_EXIT_VERIFY;
  }
  struct tlog_checkpoint cp;
  if (!rc) rc = qctl_checkpoint_check(q, r->note, strlen(r->note), qopts_get(&o, "verifier-key"),
                                      qopts_get(&o, "policy"), &cp);
  if (!rc) rc = receipt_leaf_check(r, &cp);
  if (r) free(r->leaf);
  free(r);
  free(text);
  return rc;
}
