/* Witness policies in the C2SP tlog-policy format: a strict parser that names the line of every
 * error, quorum evaluation over groups, the majority rule quotad needs, and policy verification
 * of a cosigned checkpoint. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tlog/internal.h"

#define NODES_MAX (TLOG_POLICY_WITNESSES_MAX + TLOG_POLICY_GROUPS_MAX)
/* the longest line: "group", its name, its threshold, then every witness and group once */
#define TOKENS_MAX (3u + NODES_MAX + 1u)
/* Below this many witnesses, a quorum whose groups share witnesses is checked over every subset
 * (2^20 evaluations at most); above it only tree-shaped quorums are checked. */
#define MAJORITY_SUBSETS_WITNESSES_MAX 20u

struct token {
  const char *s;
  size_t len;
};

struct parser {
  struct tlog_policy *p;
  struct tlog_policy_error *err;
  unsigned line;
  bool quorum_seen;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...) {
  if (ps->err) {
    ps->err->line = ps->line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->message, sizeof ps->err->message, fmt, ap);
    va_end(ap);
  }
  return PROTO_E_BAD_POLICY;
}

static bool tok_is(const struct token *t, const char *word) {
  return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* Copies a token into a NUL-terminated buffer; false when it does not fit. */
static bool tok_copy(const struct token *t, char *out, size_t cap) {
  if (t->len >= cap) return false;
  memcpy(out, t->s, t->len);
  out[t->len] = '\0';
  return true;
}

/* Splits one line (without its newline) at runs of spaces and tabs. Returns the token count, or
 * TOKENS_MAX + 1 when there are more. */
static size_t tokenize(const char *line, size_t len, struct token *toks) {
  size_t n = 0, i = 0;
  while (i < len) {
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len) break;
    size_t start = i;
    while (i < len && line[i] != ' ' && line[i] != '\t') i++;
    if (n == TOKENS_MAX) return TOKENS_MAX + 1;
    toks[n++] = (struct token){line + start, i - start};
  }
  return n;
}

/* The node a name denotes: a witness index, TLOG_POLICY_GROUP + a group index, or -1. */
static int node_find(const struct tlog_policy *p, const struct token *t) {
  for (unsigned i = 0; i < p->witnesses_count; i++)
    if (tok_is(t, p->witnesses[i].name)) return (int)i;
  for (unsigned i = 0; i < p->groups_count; i++)
    if (tok_is(t, p->groups[i].name)) return (int)(TLOG_POLICY_GROUP + i);
  return -1;
}

/* A new witness or group name: not "none", not taken, within its length. */
static int name_check(struct parser *ps, const struct token *t) {
  if (t->len > TLOG_POLICY_NAME_BYTES_MAX)
    return fail(ps, "a name is longer than %u bytes", TLOG_POLICY_NAME_BYTES_MAX);
  if (tok_is(t, "none")) return fail(ps, "\"none\" is reserved and cannot name a witness or group");
  if (node_find(ps->p, t) >= 0) return fail(ps, "the name \"%.*s\" is already defined", (int)t->len, t->s);
  return 0;
}

static int url_copy(struct parser *ps, const struct token *t, char *out) {
  if (!tok_copy(t, out, TLOG_POLICY_URL_BYTES_MAX + 1))
    return fail(ps, "the URL is longer than %u bytes", TLOG_POLICY_URL_BYTES_MAX);
  return 0;
}

static int line_log(struct parser *ps, const struct token *t, size_t n) {
  struct tlog_policy *p = ps->p;
  if (n < 2 || n > 3) return fail(ps, "a log line is: log <vkey> [<url>]");
  if (p->logs_count == TLOG_POLICY_LOGS_MAX) return fail(ps, "more than %u logs", TLOG_POLICY_LOGS_MAX);
  struct tlog_policy_log *l = &p->logs[p->logs_count];
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX + 1];
  if (!tok_copy(&t[1], vkey, sizeof vkey) ||
      tlog_verifier_key_parse(vkey, l->name, sizeof l->name, l->pub) != 0)
    return fail(ps, "not a checkpoint verifier key (name+id+base64 of 0x01 || Ed25519 key)");
  for (unsigned i = 0; i < p->logs_count; i++)
    if (memcmp(p->logs[i].pub, l->pub, PROTO_PUBKEY_BYTES) == 0)
      return fail(ps, "the same log key is listed twice");
  l->url[0] = '\0';
  if (n == 3 && url_copy(ps, &t[2], l->url)) return PROTO_E_BAD_POLICY;
  p->logs_count++;
  return 0;
}

static int line_witness(struct parser *ps, const struct token *t, size_t n) {
  struct tlog_policy *p = ps->p;
  if (n < 3 || n > 4) return fail(ps, "a witness line is: witness <name> <vkey> [<url>]");
  if (p->witnesses_count == TLOG_POLICY_WITNESSES_MAX)
    return fail(ps, "more than %u witnesses", TLOG_POLICY_WITNESSES_MAX);
  if (name_check(ps, &t[1])) return PROTO_E_BAD_POLICY;
  struct tlog_policy_witness *w = &p->witnesses[p->witnesses_count];
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX + 1];
  if (!tok_copy(&t[2], vkey, sizeof vkey) || tlog_cosig_verifier_key_parse(vkey, &w->key) != 0)
    return fail(ps, "not a cosigner verifier key (name+id+base64 of 0x04 || Ed25519 key)");
  for (unsigned i = 0; i < p->witnesses_count; i++)
    if (memcmp(p->witnesses[i].key.pub, w->key.pub, PROTO_PUBKEY_BYTES) == 0)
      return fail(ps, "the same witness key is listed twice");
  bool fits = tok_copy(&t[1], w->name, sizeof w->name);
  PROTO_ASSERT(fits);
  w->url[0] = '\0';
  if (n == 4 && url_copy(ps, &t[3], w->url)) return PROTO_E_BAD_POLICY;
  p->witnesses_count++;
  return 0;
}

/* "all", "any" or a decimal 1..n without leading zeros. */
static int threshold_parse(struct parser *ps, const struct token *t, unsigned n, unsigned *k) {
  if (tok_is(t, "all")) *k = n;
  else if (tok_is(t, "any")) *k = 1;
  else {
    uint64_t v = 0;
    if (!tlog__u64_parse(t->s, t->len, &v) || v < 1 || v > n)
      return fail(ps, "the threshold must be all, any or a number from 1 to %u", n);
    *k = (unsigned)v;
  }
  return 0;
}

static int line_group(struct parser *ps, const struct token *t, size_t n) {
  struct tlog_policy *p = ps->p;
  if (n < 4) return fail(ps, "a group line is: group <name> all|any|<k> <member>...");
  if (p->groups_count == TLOG_POLICY_GROUPS_MAX) return fail(ps, "more than %u groups", TLOG_POLICY_GROUPS_MAX);
  if (name_check(ps, &t[1])) return PROTO_E_BAD_POLICY;
  struct tlog_policy_group *g = &p->groups[p->groups_count];
  memset(g, 0, sizeof *g);
  for (size_t i = 3; i < n; i++) {
    int node = node_find(p, &t[i]);
    if (node < 0)
      return fail(ps, "\"%.*s\" is not a witness or group defined on an earlier line", (int)t[i].len, t[i].s);
    for (unsigned j = 0; j < g->n; j++)
      if (g->members[j] == node) return fail(ps, "\"%.*s\" is listed twice in the group", (int)t[i].len, t[i].s);
    PROTO_ASSERT(g->n < NODES_MAX);
    g->members[g->n++] = (uint16_t)node;
  }
  if (threshold_parse(ps, &t[2], g->n, &g->k)) return PROTO_E_BAD_POLICY;
  bool fits = tok_copy(&t[1], g->name, sizeof g->name);
  PROTO_ASSERT(fits);
  p->groups_count++;
  return 0;
}

static int line_quorum(struct parser *ps, const struct token *t, size_t n) {
  if (n != 2) return fail(ps, "a quorum line is: quorum <name>");
  if (ps->quorum_seen) return fail(ps, "a second quorum line");
  int node = tok_is(&t[1], "none") ? (int)TLOG_POLICY_NONE : node_find(ps->p, &t[1]);
  if (node < 0)
    return fail(ps, "\"%.*s\" is not a witness or group defined on an earlier line", (int)t[1].len, t[1].s);
  ps->p->quorum = (uint16_t)node;
  ps->quorum_seen = true;
  return 0;
}

/* One line without its newline: characters, comment, keyword dispatch. */
static int line_parse(struct parser *ps, const char *line, size_t len) {
  if (len > TLOG_POLICY_LINE_BYTES_MAX) return fail(ps, "longer than %u bytes", TLOG_POLICY_LINE_BYTES_MAX);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)line[i];
    if ((c < 0x20 && c != '\t') || c == 0x7F) return fail(ps, "control character 0x%02x", c);
  }
  struct token toks[TOKENS_MAX];
  size_t n = tokenize(line, len, toks);
  if (n == 0 || toks[0].s[0] == '#') return 0; /* blank or comment */
  if (n > TOKENS_MAX) return fail(ps, "more than %u fields", TOKENS_MAX);
  if (tok_is(&toks[0], "log")) return line_log(ps, toks, n);
  if (tok_is(&toks[0], "witness")) return line_witness(ps, toks, n);
  if (tok_is(&toks[0], "group")) return line_group(ps, toks, n);
  if (tok_is(&toks[0], "quorum")) return line_quorum(ps, toks, n);
  return fail(ps, "unknown keyword \"%.*s\" (log, witness, group or quorum)", (int)toks[0].len, toks[0].s);
}

int tlog_policy_parse(const char *text, size_t len, struct tlog_policy *out,
                      struct tlog_policy_error *err) {
  memset(out, 0, sizeof *out);
  out->quorum = TLOG_POLICY_NONE;
  struct parser ps = {.p = out, .err = err, .line = 0, .quorum_seen = false};
  if (len > TLOG_POLICY_BYTES_MAX) return fail(&ps, "the file is larger than %u bytes", TLOG_POLICY_BYTES_MAX);
  size_t at = 0;
  while (at < len) {
    ps.line++;
    const char *nl = memchr(text + at, '\n', len - at);
    if (!nl) return fail(&ps, "the last line does not end with a newline");
    int rc = line_parse(&ps, text + at, (size_t)(nl - (text + at)));
    if (rc != 0) return rc;
    at = (size_t)(nl - text) + 1;
  }
  ps.line = 0;
  if (!ps.quorum_seen) return fail(&ps, "no quorum line (write \"quorum none\" for none)");
  return 0;
}

/* Evaluates every group in definition order (members are always earlier), then the quorum. */
bool tlog_policy_quorum_met(const struct tlog_policy *p, const bool *witnessed) {
  bool group_met[TLOG_POLICY_GROUPS_MAX] = {false};
  PROTO_ASSERT(p->groups_count <= TLOG_POLICY_GROUPS_MAX && p->witnesses_count <= TLOG_POLICY_WITNESSES_MAX);
  for (unsigned j = 0; j < p->groups_count; j++) {
    const struct tlog_policy_group *g = &p->groups[j];
    unsigned met = 0;
    for (unsigned i = 0; i < g->n; i++) {
      uint16_t m = g->members[i];
      if (m >= TLOG_POLICY_GROUP ? group_met[m - TLOG_POLICY_GROUP] : witnessed[m]) met++;
    }
    group_met[j] = met >= g->k;
  }
  if (p->quorum == TLOG_POLICY_NONE) return true;
  if (p->quorum >= TLOG_POLICY_GROUP) return group_met[p->quorum - TLOG_POLICY_GROUP];
  return witnessed[p->quorum];
}

/* A node's slot in a table of witnesses then groups. */
static unsigned node_slot(uint16_t node) {
  unsigned slot = node >= TLOG_POLICY_GROUP ? TLOG_POLICY_WITNESSES_MAX + (unsigned)(node - TLOG_POLICY_GROUP)
                                           : node;
  PROTO_ASSERT(node != TLOG_POLICY_NONE && slot < NODES_MAX);
  return slot < NODES_MAX ? slot : NODES_MAX - 1;
}

/* How many paths lead from the quorum to each node; a tree has at most one to every node. */
static bool quorum_is_tree(const struct tlog_policy *p) {
  unsigned uses[NODES_MAX] = {0};
  uses[node_slot(p->quorum)] = 1;
  for (unsigned j = p->groups_count; j-- > 0;) {
    unsigned self = TLOG_POLICY_WITNESSES_MAX + j;
    if (uses[self] == 0) continue;
    for (unsigned i = 0; i < p->groups[j].n; i++) {
      unsigned node = node_slot(p->groups[j].members[i]);
      uses[node] += uses[self];
      if (uses[node] > 1) return false;
    }
  }
  return true;
}

/* In a tree, the fewest witnesses that meet a group is the sum of its k smallest member minima. */
static unsigned tree_min_witnesses(const struct tlog_policy *p) {
  unsigned group_min[TLOG_POLICY_GROUPS_MAX] = {0};
  for (unsigned j = 0; j < p->groups_count; j++) {
    const struct tlog_policy_group *g = &p->groups[j];
    unsigned mins[NODES_MAX] = {0};
    PROTO_ASSERT(g->k >= 1 && g->k <= g->n && g->n <= NODES_MAX);
    for (unsigned i = 0; i < g->n; i++)
      mins[i] = g->members[i] >= TLOG_POLICY_GROUP ? group_min[g->members[i] - TLOG_POLICY_GROUP] : 1;
    unsigned sum = 0;
    for (unsigned taken = 0; taken < g->k; taken++) { /* selection: k is small */
      unsigned best = taken;
      for (unsigned i = taken + 1; i < g->n; i++) if (mins[i] < mins[best]) best = i;
      unsigned tmp = mins[taken];
      mins[taken] = mins[best];
      mins[best] = tmp;
      sum += mins[taken];
    }
    group_min[j] = sum;
  }
  return p->quorum >= TLOG_POLICY_GROUP ? group_min[p->quorum - TLOG_POLICY_GROUP] : 1;
}

/* Without a tree, every subset of at most half the witnesses is tried. */
static unsigned subsets_min_witnesses(const struct tlog_policy *p) {
  unsigned nw = p->witnesses_count, best = nw + 1;
  PROTO_ASSERT(nw <= MAJORITY_SUBSETS_WITNESSES_MAX);
  for (uint32_t mask = 0; mask < (UINT32_C(1) << nw); mask++) {
    unsigned count = (unsigned)__builtin_popcount(mask);
    if (count >= best) continue;
    bool witnessed[TLOG_POLICY_WITNESSES_MAX] = {false};
    for (unsigned i = 0; i < nw; i++) witnessed[i] = (mask >> i) & 1u;
    if (tlog_policy_quorum_met(p, witnessed)) best = count;
  }
  return best;
}

int tlog_policy_check_majority(const struct tlog_policy *p, struct tlog_policy_error *err) {
  struct parser ps = {.p = NULL, .err = err, .line = 0, .quorum_seen = false};
  unsigned nw = p->witnesses_count, min;
  if (p->quorum == TLOG_POLICY_NONE) {
    fail(&ps, "quorum none: a log that waits for witnesses needs a quorum of them");
    return PROTO_E_WEAK_QUORUM;
  }
  if (quorum_is_tree(p)) {
    min = tree_min_witnesses(p);
  } else if (nw <= MAJORITY_SUBSETS_WITNESSES_MAX) {
    min = subsets_min_witnesses(p);
  } else {
    fail(&ps, "groups share witnesses and there are more than %u witnesses: the majority rule "
         "cannot be checked", MAJORITY_SUBSETS_WITNESSES_MAX);
    return PROTO_E_WEAK_QUORUM;
  }
  if (2u * min <= nw) {
    fail(&ps, "%u of the %u witnesses can meet the quorum; it must need more than half", min, nw);
    return PROTO_E_WEAK_QUORUM;
  }
  return 0;
}

int tlog_policy_cosigs(const struct tlog_policy *p, const struct tlog_note *n,
                       struct tlog_policy_result *out) {
  PROTO_ASSERT(p->witnesses_count <= TLOG_POLICY_WITNESSES_MAX);
  memset(out->witnessed, 0, sizeof out->witnessed);
  memset(out->bad, 0, sizeof out->bad);
  memset(out->time_s, 0, sizeof out->time_s);
  out->cosigned = 0;
  out->cp = n->cp;
  for (unsigned i = 0; i < p->witnesses_count; i++) {
    uint64_t t = 0;
    int rc = tlog_cosig_find(n->sigs, n->sigs_len, n->text, n->text_len, &p->witnesses[i].key,
                             &t, NULL, NULL);
    if (rc == PROTO_E_BAD_CHECKPOINT) return rc;
    if (rc == 0) {
      out->witnessed[i] = true;
      out->time_s[i] = t;
      out->cosigned++;
    } else if (rc != PROTO_E_NOT_FOUND) {
      out->bad[i] = true;
    }
  }
  return tlog_policy_quorum_met(p, out->witnessed) ? 0 : PROTO_E_NO_QUORUM;
}

int tlog_policy_verify(const struct tlog_policy *p, const char *note, size_t len,
                       struct tlog_policy_result *out) {
  struct tlog_note n;
  int rc = tlog_note_parse(note, len, &n);
  if (rc != 0) return rc;
  if (p->logs_count == 0) return PROTO_E_BAD_POLICY;
  out->log = -1;
  for (unsigned i = 0; i < p->logs_count && out->log < 0; i++) {
    /* the log's key name is its origin (C2SP tlog-policy) */
    if (strcmp(p->logs[i].name, n.cp.origin) != 0) continue;
    if (tlog_checkpoint_verify(note, len, p->logs[i].name, p->logs[i].pub, NULL) == 0)
      out->log = (int)i;
  }
  if (out->log < 0) return PROTO_E_BAD_SIGNATURE;
  return tlog_policy_cosigs(p, &n, out);
}
