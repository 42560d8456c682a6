/* The batch-local overlay: an open-addressing hash map of the records a batch touches, loaded
 * from the write transaction on first use and written back once when the batch ends, with an
 * undo journal so a refused transaction leaves no effect. Values live in an append-only arena:
 * a change never overwrites bytes the journal may need to restore. */
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

#define OV_SLOTS_INITIAL 4096u
#define OV_ARENA_INITIAL (1u << 20)

static uint32_t ov_hash(unsigned db, const uint8_t *key, size_t klen) {
  /* Eight bytes a step, each word mixed by a multiply (keys are 8 to 32 bytes: ids, codes,
   * hashes); the high half of the final product spreads every input bit over the result. */
  uint64_t h = 0x9E3779B97F4A7C15u ^ ((uint64_t)db << 56) ^ klen;
  size_t i = 0;
  for (; i + 8 <= klen; i += 8) {
    uint64_t w;
    memcpy(&w, key + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    h ^= h >> 32;
  }
  if (i < klen) {
    uint64_t w = 0;
    memcpy(&w, key + i, klen - i);
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    h ^= h >> 32;
  }
  h *= 0xc4ceb9fe1a85ec53u;
  return (uint32_t)(h >> 32);
}

int overlay__init(struct overlay *ov) {
  memset(ov, 0, sizeof(*ov));
  ov->cap = OV_SLOTS_INITIAL;
  ov->slots = calloc(ov->cap, sizeof(*ov->slots));
  ov->live = malloc(ov->cap * sizeof(*ov->live));
  ov->arena_cap = OV_ARENA_INITIAL;
  ov->arena = malloc(ov->arena_cap);
  if (!ov->slots || !ov->live || !ov->arena) {
    overlay__free(ov);
    return PROTO_E_NO_MEMORY;
  }
  return 0;
}

void overlay__free(struct overlay *ov) {
  free(ov->slots);
  free(ov->live);
  free(ov->arena);
  free(ov->undo);
  memset(ov, 0, sizeof(*ov));
}

void overlay__reset(struct overlay *ov, MDB_txn *txn, const MDB_dbi *dbis) {
  PROTO_ASSERT(ov->slots != NULL && ov->used * 2 <= ov->cap);
  PROTO_ASSERT(txn != NULL && dbis != NULL);
  /* Only the slots this batch used are cleared: the table keeps the size the largest batch
   * needed, and clearing all of it cost more than a small batch's work. */
  for (size_t u = 0; u < ov->used; u++) ov->slots[ov->live[u]].used = false;
  ov->used = 0;
  ov->arena_len = 0;
  ov->undo_len = 0;
  ov->txn = txn;
  ov->dbis = dbis;
}

static struct ov_slot *ov_find(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                               uint32_t h) {
  /* The table is a power of two at most half full, so the probe always meets an empty slot. */
  PROTO_ASSERT(ov->cap > 0 && (ov->cap & (ov->cap - 1)) == 0 && ov->used * 2 <= ov->cap);
  size_t mask = ov->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    struct ov_slot *s = &ov->slots[i];
    if (!s->used) return s;
    if (s->hash == h && s->db == db && s->klen == klen && memcmp(s->key, key, klen) == 0)
      return s;
  }
}

static int ov_grow(struct overlay *ov) {
  size_t ncap = ov->cap * 2;
  struct ov_slot *ns = calloc(ncap, sizeof(*ns));
  uint32_t *nl = malloc(ncap * sizeof(*nl));
  /* The journal names slots by position: remap it along with the slots. */
  uint32_t *where = malloc(ov->cap * sizeof(*where));
  if (!ns || !nl || !where) {
    free(ns);
    free(nl);
    free(where);
    return PROTO_E_NO_MEMORY;
  }
  for (size_t u = 0; u < ov->used; u++) {
    uint32_t i = ov->live[u];
    const struct ov_slot *s = &ov->slots[i];
    size_t j = s->hash & (ncap - 1);
    while (ns[j].used) j = (j + 1) & (ncap - 1);
    ns[j] = *s;
    where[i] = (uint32_t)j;
    nl[u] = (uint32_t)j;
  }
  for (size_t u = 0; u < ov->undo_len; u++) {
    PROTO_ASSERT(ov->undo[u].slot < ov->cap); /* the journal names only live slots */
    ov->undo[u].slot = where[ov->undo[u].slot];
  }
  free(where);
  free(ov->slots);
  free(ov->live);
  ov->slots = ns;
  ov->live = nl;
  ov->cap = ncap;
  return 0;
}

static int ov_alloc(struct overlay *ov, size_t n, uint32_t *off) {
  if (ov->arena_len + n > ov->arena_cap) {
    size_t ncap = ov->arena_cap * 2;
    while (ncap < ov->arena_len + n) ncap *= 2;
    if (ncap > UINT32_MAX) return PROTO_E_NO_MEMORY;
    uint8_t *na = realloc(ov->arena, ncap);
    if (!na) return PROTO_E_NO_MEMORY;
    ov->arena = na;
    ov->arena_cap = ncap;
  }
  *off = (uint32_t)ov->arena_len;
  ov->arena_len += n;
  PROTO_ASSERT(ov->arena_len <= ov->arena_cap && ov->arena_len <= UINT32_MAX);
  return 0;
}

/* The slot for (db, key), loading it from LMDB (present or absent) when the batch has not seen it
 * (unless known_absent). */
static struct ov_slot *ov_slot_load(struct overlay *ov, unsigned db, const uint8_t *key,
                                    size_t klen, bool known_absent, int *err) {
  *err = PROTO_E_BAD_ARGUMENT;
  if (klen == 0 || klen > OV_KEY_BYTES_MAX) return NULL;
  if ((ov->used + 1) * 2 > ov->cap) {
    *err = ov_grow(ov);
    if (*err) return NULL;
  }
  uint32_t h = ov_hash(db, key, klen);
  struct ov_slot *s = ov_find(ov, db, key, klen, h);
  if (!s->used) {
    MDB_val k = {klen, (void *)key}, v;
    int mrc = known_absent ? MDB_NOTFOUND : mdb_get(ov->txn, ov->dbis[db], &k, &v);
    *err = mrc == 0 || mrc == MDB_NOTFOUND ? 0 : store__mdb_err(mrc);
    if (*err == 0 && mrc == 0 && v.mv_size > OV_VAL_BYTES_MAX) *err = PROTO_E_CORRUPT;
    if (*err) return NULL;
    memset(s, 0, sizeof(*s));
    if (mrc == 0) {
      *err = ov_alloc(ov, v.mv_size, &s->voff);
      if (*err) return NULL;
      memcpy(ov->arena + s->voff, v.mv_data, v.mv_size);
      s->vlen = (uint16_t)v.mv_size;
      s->exists = true;
    }
    memcpy(s->key, key, klen);
    s->klen = (uint8_t)klen;
    s->db = (uint8_t)db;
    s->hash = h;
    s->used = true;
    ov->live[ov->used++] = (uint32_t)(s - ov->slots);
  }
  *err = 0;
  return s;
}

static struct ov_slot *ov_slot(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                               int *err) {
  return ov_slot_load(ov, db, key, klen, false, err);
}

int overlay__get(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                 const uint8_t **val, size_t *vlen) {
  int rc;
  const struct ov_slot *s = ov_slot(ov, db, key, klen, &rc);
  if (!s) return rc;
  if (!s->exists) return PROTO_E_NOT_FOUND;
  *val = ov->arena + s->voff;
  *vlen = s->vlen;
  return 0;
}

static int ov_journal(struct overlay *ov, const struct ov_slot *s) {
  if (ov->undo_len == ov->undo_cap) {
    size_t ncap = ov->undo_cap ? ov->undo_cap * 2 : 1024;
    struct ov_undo *nu = realloc(ov->undo, ncap * sizeof(*nu));
    if (!nu) return PROTO_E_NO_MEMORY;
    ov->undo = nu;
    ov->undo_cap = ncap;
  }
  PROTO_ASSERT(s >= ov->slots && s < ov->slots + ov->cap && s->used);
  ov->undo[ov->undo_len++] = (struct ov_undo){.slot = (uint32_t)(s - ov->slots),
                                              .voff = s->voff,
                                              .vlen = s->vlen,
                                              .exists = s->exists,
                                              .dirty = s->dirty};
  return 0;
}

static int ov_put(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                  const uint8_t *val, size_t vlen, bool known_absent) {
  if (vlen > OV_VAL_BYTES_MAX) return PROTO_E_BAD_ARGUMENT;
  int rc;
  struct ov_slot *s = ov_slot_load(ov, db, key, klen, known_absent, &rc);
  if (!s) return rc;
  uint32_t off;
  rc = ov_alloc(ov, vlen, &off);
  if (rc == 0) rc = ov_journal(ov, s);
  if (rc) return rc;
  PROTO_ASSERT(off + vlen <= ov->arena_len); /* fresh bytes: the journal's old value stays */
  memcpy(ov->arena + off, val, vlen);
  s->voff = off;
  s->vlen = (uint16_t)vlen;
  s->exists = true;
  s->dirty = true;
  return 0;
}

int overlay__put(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                 const uint8_t *val, size_t vlen) {
  return ov_put(ov, db, key, klen, val, vlen, false);
}

int overlay__put_new(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                     const uint8_t *val, size_t vlen) {
  return ov_put(ov, db, key, klen, val, vlen, true);
}

int overlay__del(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen) {
  int rc;
  struct ov_slot *s = ov_slot(ov, db, key, klen, &rc);
  if (!s) return rc;
  rc = ov_journal(ov, s);
  if (rc) return rc;
  s->exists = false;
  s->dirty = true;
  s->vlen = 0;
  return 0;
}

size_t overlay__mark(const struct overlay *ov) {
  PROTO_ASSERT(ov->undo_len <= ov->undo_cap);
  return ov->undo_len;
}

void overlay__rollback(struct overlay *ov, size_t mark) {
  /* A mark is a length the journal had in this batch: never beyond its end. */
  PROTO_ASSERT(mark <= ov->undo_len);
  while (ov->undo_len > mark) {
    const struct ov_undo *u = &ov->undo[--ov->undo_len];
    PROTO_ASSERT(u->slot < ov->cap && ov->slots[u->slot].used);
    struct ov_slot *s = &ov->slots[u->slot];
    s->voff = u->voff;
    s->vlen = u->vlen;
    s->exists = u->exists;
    s->dirty = u->dirty;
  }
}

int overlay__each(struct overlay *ov, unsigned db, const uint8_t *prefix, size_t plen,
                  int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                            size_t vlen),
                  void *arg) {
  for (size_t u = 0; u < ov->used; u++) {
    const struct ov_slot *s = &ov->slots[ov->live[u]];
    if (!s->exists || s->db != db || s->klen < plen) continue;
    if (memcmp(s->key, prefix, plen) != 0) continue;
    int rc = fn(arg, s->key, s->klen, ov->arena + s->voff, s->vlen);
    if (rc) return rc;
  }
  return 0;
}

static const struct overlay *sort_ov; /* qsort has no context argument; the writer is alone */

static int cmp_slot(const void *a, const void *b) {
  const struct ov_slot *x = &sort_ov->slots[*(const uint32_t *)a];
  const struct ov_slot *y = &sort_ov->slots[*(const uint32_t *)b];
  if (x->db != y->db) return x->db < y->db ? -1 : 1;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Writes dirty records back in key order: neighbouring puts touch the same B-tree pages. */
int overlay__flush(struct overlay *ov) {
  uint32_t *order = malloc((ov->used ? ov->used : 1) * sizeof(*order));
  if (!order) return PROTO_E_NO_MEMORY;
  size_t n = 0;
  for (size_t u = 0; u < ov->used; u++)
    if (ov->slots[ov->live[u]].dirty) order[n++] = ov->live[u];
  sort_ov = ov;
  qsort(order, n, sizeof(*order), cmp_slot);
  int rc = 0;
  PROTO_ASSERT(n <= ov->used);
  for (size_t j = 0; j < n && rc == 0; j++) {
    const struct ov_slot *s = &ov->slots[order[j]];
    PROTO_ASSERT(s->used && s->dirty && s->vlen <= OV_VAL_BYTES_MAX);
    MDB_val k = {s->klen, (void *)s->key}, v = {s->vlen, ov->arena + s->voff};
    int mrc = s->exists ? mdb_put(ov->txn, ov->dbis[s->db], &k, &v, 0)
                        : mdb_del(ov->txn, ov->dbis[s->db], &k, NULL);
    if (mrc && !(mrc == MDB_NOTFOUND && !s->exists)) rc = store__mdb_err(mrc);
  }
  free(order);
  if (rc == 0) ov->undo_len = 0;
  return rc;
}
