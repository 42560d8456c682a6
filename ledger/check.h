/* Internal to ledger/: the structural walk behind ledger_check_dir (check.c forks, the walk runs
 * in the child: check_walk.c for entries, tree and checkpoints, check_records.c for the other
 * databases). */
#ifndef QUOTAD_LEDGER_CHECK_H
#define QUOTAD_LEDGER_CHECK_H

#include "ledger/internal.h"

/* Progress reports at most this often (and at each database's end). */
#define CHECK_PROGRESS_MS 500u
/* The tail of the checking child's stderr kept for the report. */
#define CHECK_STDERR_BYTES 4096u
/* The check_db.db value of LMDB's own free list (database 0). */
#define CHECK_DB_FREE 0xffu

struct check_walk {
  struct ledger *l;
  MDB_txn *txn;
  const struct ledger_check_options *opt;
  struct ledger_check_report *rep;
  uint64_t tree_size;
  uint64_t last_pgno; /* the file's last page in use */
  uint64_t progress_ms;
  uint8_t pending[TLOG_LEVELS][PROTO_HASH_BYTES]; /* the tree rebuild's waiting left children */
};

struct check_db {
  const char *name;
  unsigned db; /* enum ledger_db, or CHECK_DB_FREE */
  /* 0 when (k, v) is a record this database may hold; CORRUPT or a storage code otherwise. */
  int (*check)(struct check_walk *w, const MDB_val *k, const MDB_val *v);
};
extern const struct check_db check__dbs[];
extern const size_t check__dbs_count;

MDB_dbi check__dbi(const struct check_walk *w, const struct check_db *d);
/* Records the first failure's text in the report ("db: detail"); returns CORRUPT. */
/* check_meta.c: LMDB's meta pages and its main database's root page, read from the file without
 * LMDB. 0 (also when there is no file yet, or no valid meta: LMDB's open then refuses it), CORRUPT
 * with why, or STORAGE; *main_entries receives the main database's record count. */
int check__lmdb_meta(const char *dir, uint64_t *main_entries, char *why, size_t cap);
int check__fail(struct check_walk *w, const char *db, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void check__progress(struct check_walk *w, const char *db, uint64_t done, uint64_t total,
                     bool last);
int check__db_full(struct check_walk *w, const struct check_db *d, uint64_t total);
int check__db_sampled(struct check_walk *w, const struct check_db *d, unsigned probes);
int check__entries_full(struct check_walk *w);
int check__entry_sample(struct check_walk *w, uint64_t index);
/* The records of "alloc" and "legs" (check_alloc.c). */
int check__rec_alloc(struct check_walk *w, const MDB_val *k, const MDB_val *v);
int check__rec_legs(struct check_walk *w, const MDB_val *k, const MDB_val *v);
int check__rec_carry(struct check_walk *w, const MDB_val *k, const MDB_val *v);
int check__rec_deduct(struct check_walk *w, const MDB_val *k, const MDB_val *v);
/* Whether d is a database this store was written without (a read-only open of an old store). */
bool check__db_absent(const struct check_walk *w, const struct check_db *d);
int check__checkpoint(struct check_walk *w, const MDB_val *k, const MDB_val *v);

#endif /* QUOTAD_LEDGER_CHECK_H */
