/* What LMDB reads first, read here from the file without LMDB: its two meta pages and the root
 * page of its main database (which names the ledger's databases). A writer's open (mdb_dbi_open
 * with MDB_CREATE) writes into that page, so a damaged one must be refused before LMDB sees it.
 * The layout is LMDB 0.9's data file format on a 64-bit host (its meta page, MDB_db, page header). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/check.h"

#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define LMDB_PAGE_HEADER_BYTES 16u   /* mp_pgno, mp_pad, mp_flags, mp_lower, mp_upper */
#define LMDB_META_OFFSET 16u         /* the meta follows the page header */
#define LMDB_PAGE_BYTES_MIN 512u
#define LMDB_PAGE_BYTES_MAX 65536u
#define LMDB_P_BRANCH 0x01u
#define LMDB_P_LEAF 0x02u
#define LMDB_P_INVALID UINT64_MAX

struct lmdb_meta {
  uint32_t psize;   /* the page size, kept in the free database's md_pad */
  uint16_t depth;   /* of the main database */
  uint64_t entries; /* records of the main database: the named databases */
  uint64_t root;    /* its root page, P_INVALID when empty */
  uint64_t last_pg, txnid;
};

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (unsigned i = 8; i-- > 0;) v = v << 8 | p[i];
  return v;
}
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* One meta page at off: true when it is one (magic, version), with its fields. */
static bool meta_read(int fd, off_t off, struct lmdb_meta *m) {
  uint8_t b[160];
  if (pread(fd, b, sizeof b, off) != (ssize_t)sizeof b) return false;
  const uint8_t *meta = b + LMDB_META_OFFSET;
  if (le32(meta) != LMDB_MAGIC || le32(meta + 4) != LMDB_DATA_VERSION) return false;
  /* mm_address, mm_mapsize, then mm_dbs[0] (free) and mm_dbs[1] (main), 48 bytes each */
  m->psize = le32(meta + 24);
  m->depth = le16(meta + 72 + 6);
  m->entries = le64(meta + 72 + 32);
  m->root = le64(meta + 72 + 40);
  m->last_pg = le64(meta + 120);
  m->txnid = le64(meta + 128);
  return true;
}

/* The root page's header: its own number, the kind its depth needs, pointers within the page. */
static int root_check(int fd, const struct lmdb_meta *m, uint64_t pages, char *why, size_t cap) {
  uint8_t h[LMDB_PAGE_HEADER_BYTES];
  if (m->root < 2 || m->root >= pages || m->root > m->last_pg)
    return snprintf(why, cap, "LMDB main database: root page %llu outside the file's %llu pages",
                    (unsigned long long)m->root, (unsigned long long)pages), PROTO_E_CORRUPT;
  if (pread(fd, h, sizeof h, (off_t)(m->root * m->psize)) != (ssize_t)sizeof h) return PROTO_E_STORAGE;
  uint16_t flags = le16(h + 10), lower = le16(h + 12), upper = le16(h + 14);
  unsigned kind = m->depth == 1 ? LMDB_P_LEAF : LMDB_P_BRANCH;
  if (le64(h) != m->root || !(flags & kind) || lower < LMDB_PAGE_HEADER_BYTES + 2 || lower > upper ||
      upper > m->psize)
    return snprintf(why, cap, "LMDB main database: root page %llu has a damaged header",
                    (unsigned long long)m->root), PROTO_E_CORRUPT;
  return 0;
}

int check__lmdb_meta(const char *dir, uint64_t *main_entries, char *why, size_t cap) {
  PROTO_ASSERT(dir != NULL && main_entries != NULL);
  PROTO_ASSERT(why != NULL && cap > 0);
  char path[4096];
  *main_entries = 0;
  if (snprintf(path, sizeof path, "%s/data.mdb", dir) >= (int)sizeof path) return PROTO_E_BAD_ARGUMENT;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; /* nothing yet, or unreadable: LMDB's open says which */
  struct stat st;
  struct lmdb_meta m[2];
  bool ok0 = meta_read(fd, 0, &m[0]);
  uint32_t psize = ok0 ? m[0].psize : 4096u;
  bool ok1 = psize >= LMDB_PAGE_BYTES_MIN && psize <= LMDB_PAGE_BYTES_MAX && meta_read(fd, psize, &m[1]);
  int rc = 0;
  if ((ok0 || ok1) && fstat(fd, &st) == 0) {
    /* LMDB uses the meta of the newest transaction */
    const struct lmdb_meta *use = ok0 && (!ok1 || m[0].txnid >= m[1].txnid) ? &m[0] : &m[1];
    uint64_t pages = (uint64_t)st.st_size / use->psize;
    *main_entries = use->entries;
    if (use->psize != psize || psize < LMDB_PAGE_BYTES_MIN || psize > LMDB_PAGE_BYTES_MAX) {
      snprintf(why, cap, "LMDB meta: page size %u", use->psize);
      rc = PROTO_E_CORRUPT;
    } else if (use->entries > 0 || use->root != LMDB_P_INVALID)
      rc = root_check(fd, use, pages, why, cap);
  }
  close(fd);
  return rc;
}
