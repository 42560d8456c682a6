/* demo-data: a synthetic but realistic registry year for scripts/demo.sh: 31 provinces, about
 * 1,300 steel, cement and aluminium enterprises with valid USCCs and intensities near the published
 * sector references (docs/QUOTACTL.md), their keys, verified emissions, allocations, trading and surrenders. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/quotactl.h"

#define DEMO_STEEL 232u
#define DEMO_CEMENT 962u
#define DEMO_ALUMINIUM 97u
#define DEMO_ENTERPRISES (DEMO_STEEL + DEMO_CEMENT + DEMO_ALUMINIUM)
#define DEMO_PARTICIPANTS 5u
#define DEMO_SELLERS 150u      /* enterprises that sell part of their 2024 quota on the exchange */
#define DEMO_SHORT 12u         /* sellers that never buy back: short at surrender */
#define DEMO_LEGS_PER_SELLER 10u
#define DEMO_LINES_MAX 4u      /* clinker lines per cement enterprise */
#define DEMO_IDLE_EVERY 250u   /* one enterprise in this many idles half its 2025 capacity */
#define DEMO_ENTERPRISE_ID0 100001u
#define DEMO_PARTICIPANT_ID0 900001u
#define DEMO_NATIONAL_ID 1u

static const struct {
  const char *name;
  unsigned code;
  unsigned weight; /* rough share of heavy industry, for a plausible spread */
} provinces[] = {
    {"Beijing", 11, 1},   {"Tianjin", 12, 3},    {"Hebei", 13, 12},   {"Shanxi", 14, 6},
    {"Inner Mongolia", 15, 5}, {"Liaoning", 21, 5}, {"Jilin", 22, 2}, {"Heilongjiang", 23, 2},
    {"Shanghai", 31, 2},  {"Jiangsu", 32, 9},    {"Zhejiang", 33, 5}, {"Anhui", 34, 5},
    {"Fujian", 35, 3},    {"Jiangxi", 36, 3},    {"Shandong", 37, 10}, {"Henan", 41, 6},
    {"Hubei", 42, 4},     {"Hunan", 43, 3},      {"Guangdong", 44, 5}, {"Guangxi", 45, 4},
    {"Hainan", 46, 1},    {"Chongqing", 50, 2},  {"Sichuan", 51, 4},  {"Guizhou", 52, 2},
    {"Yunnan", 53, 3},    {"Tibet", 54, 1},      {"Shaanxi", 61, 3},  {"Gansu", 62, 2},
    {"Qinghai", 63, 1},   {"Ningxia", 64, 2},    {"Xinjiang", 65, 4},
};
#define DEMO_PROVINCES (sizeof(provinces) / sizeof(provinces[0]))

struct demo_unit {
  char id[16];
  uint64_t output, emissions, output_2025, emissions_2025;
};

struct demo_ent {
  uint64_t account;
  unsigned province; /* index into provinces */
  unsigned sector;
  char uscc[PROTO_USCC_BYTES + 1];
  char name[96];
  unsigned nunits;
  struct demo_unit units[DEMO_LINES_MAX];
  uint64_t e2024, e2025, sold;
  bool short_at_end;
};

struct demo {
  uint64_t rng;
  const char *out;
  struct demo_ent ents[DEMO_ENTERPRISES];
};

/* splitmix64: small, seedable, the same sequence on every machine */
static uint64_t rnd(struct demo *d) {
  uint64_t z = (d->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t between(struct demo *d, uint64_t lo, uint64_t hi) {
  return lo + rnd(d) % (hi - lo + 1);
}

static unsigned pick_province(struct demo *d) {
  unsigned total = 0;
  for (size_t i = 0; i < DEMO_PROVINCES; i++) total += provinces[i].weight;
  unsigned x = (unsigned)(rnd(d) % total);
  for (unsigned i = 0; i < DEMO_PROVINCES; i++) {
    if (x < provinces[i].weight) return i;
    x -= provinces[i].weight;
  }
  return 0;
}

/* A valid USCC: "91" (a company registered with market regulation), the province's capital
 * division code, a 9-character organisation code that embeds the index (so codes are unique),
 * and the GB 32100 check character. */
static void make_uscc(struct demo *d, unsigned province_code, unsigned index, char out[19]) {
  static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  snprintf(out, 19, "91%02u0100", province_code);
  for (int i = 8; i < 13; i++) out[i] = alphabet[rnd(d) % 31];
  unsigned v = index;
  for (int i = 16; i >= 13; i--) {
    out[i] = alphabet[v % 31];
    v /= 31;
  }
  out[17] = proto_uscc_check_char(out);
  out[18] = 0;
}

/* Emissions = output x intensity, the intensity in 1/10,000 t CO2 per t of product around the
 * sector's reference (steel ~2.0, clinker ~0.85, aluminium ~1.57). */
static uint64_t emissions_of(uint64_t output, uint64_t intensity_e4) {
  uint64_t e = 0;
  if (__builtin_mul_overflow(output, intensity_e4, &e)) abort(); /* inputs are bounded above */
  return e / 10000u;
}

static void make_units(struct demo *d, struct demo_ent *e) {
  unsigned sector = e->sector;
  e->nunits = sector == PROTO_SECTOR_CEMENT ? (unsigned)between(d, 1, DEMO_LINES_MAX) : 1u;
  for (unsigned u = 0; u < e->nunits; u++) {
    struct demo_unit *x = &e->units[u];
    uint64_t out_lo, out_hi, i_lo, i_hi;
    if (sector == PROTO_SECTOR_STEEL) {
      out_lo = 1000000; out_hi = 9000000; i_lo = 18000; i_hi = 22000; /* hot metal */
      snprintf(x->id, sizeof(x->id), "BF%u", u + 1);
    } else if (sector == PROTO_SECTOR_CEMENT) {
      out_lo = 600000; out_hi = 2400000; i_lo = 8000; i_hi = 9000; /* clinker */
      snprintf(x->id, sizeof(x->id), "L%u", u + 1);
    } else {
      out_lo = 150000; out_hi = 900000; i_lo = 15000; i_hi = 16500; /* aluminium */
      snprintf(x->id, sizeof(x->id), "EL%u", u + 1);
    }
    x->output = between(d, out_lo, out_hi);
    x->emissions = emissions_of(x->output, between(d, i_lo, i_hi));
    x->output_2025 = x->output - x->output / 20 + between(d, 0, x->output / 10);
    x->emissions_2025 = emissions_of(x->output_2025, between(d, i_lo, i_hi));
    e->e2024 += x->emissions;
    e->e2025 += x->emissions_2025;
  }
}

/* An enterprise that idled half its capacity in 2025: its final quota falls below its
 * pre-allocation (70% of 2024), so the 2025 true-up claws the difference back. No random draw,
 * so the rest of the data stays what the seed gave before. */
static void idle_half(struct demo_ent *e) {
  e->e2025 = 0;
  for (unsigned u = 0; u < e->nunits; u++) {
    e->units[u].output_2025 /= 2;
    e->units[u].emissions_2025 /= 2;
    e->e2025 += e->units[u].emissions_2025;
  }
}

static void generate(struct demo *d) {
  static const char *const sector_word[] = {"", "Power", "Iron & Steel", "Cement", "Aluminium"};
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    struct demo_ent *e = &d->ents[i];
    memset(e, 0, sizeof(*e));
    e->account = DEMO_ENTERPRISE_ID0 + i;
    e->sector = i < DEMO_STEEL ? PROTO_SECTOR_STEEL
                : i < DEMO_STEEL + DEMO_CEMENT ? PROTO_SECTOR_CEMENT : PROTO_SECTOR_ALUMINIUM;
    e->province = pick_province(d);
    make_uscc(d, provinces[e->province].code, i, e->uscc);
    snprintf(e->name, sizeof(e->name), "%s %s Co. %04u", provinces[e->province].name,
             sector_word[e->sector], i + 1);
    make_units(d, e);
    if (i % DEMO_IDLE_EVERY == DEMO_IDLE_EVERY / 2) idle_half(e);
  }
  /* sellers: every (N/SELLERS)-th enterprise; the last DEMO_SHORT of them never buy back */
  unsigned step = DEMO_ENTERPRISES / DEMO_SELLERS;
  for (unsigned s = 0; s < DEMO_SELLERS; s++) {
    struct demo_ent *e = &d->ents[s * step];
    e->sold = e->e2024 / 100 * between(d, 3, 10); /* 3-10% of the 2024 quota */
    e->short_at_end = s >= DEMO_SELLERS - DEMO_SHORT;
  }
}

static FILE *open_out(struct demo *d, const char *name, const char *header) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", d->out, name);
  FILE *f = fopen(path, "we");
  if (!f) {
    fprintf(stderr, "quotactl demo-data: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  fprintf(f, "%s\n", header);
  return f;
}

static int close_out(FILE *f) {
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "quotactl demo-data: write error\n");
    return QCTL_EXIT_IO;
  }
  return 0;
}

/* Writes one key file and its registration row. */
static int key_row(struct demo *d, FILE *csv, const char *file, const char *role, uint64_t scope,
                   const char *name) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/keys/%s", d->out, file);
  struct proto_key *k = proto_key_generate();
  if (!k) return QCTL_EXIT_IO;
  int rc = proto_key_save(k, path);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  char hex[80];
  proto_key_public(k, pub);
  proto_key_free(k);
  if (rc) {
    fprintf(stderr, "quotactl demo-data: %s: %s\n", path, proto_err_message(rc));
    return rc == -EEXIST ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  proto_hex_encode(pub, sizeof(pub), hex, sizeof(hex));
  fprintf(csv, "%s,%s,%" PRIu64 ",%s\n", hex, role, scope, name);
  return 0;
}

static int write_keys(struct demo *d) {
  FILE *f = open_out(d, "keys.csv", "public_key,role,scope,name");
  if (!f) return QCTL_EXIT_IO;
  int rc = key_row(d, f, "exchange.key", "exchange", 0, "Shanghai Environment and Energy Exchange");
  char file[64], name[128];
  for (size_t p = 0; p < DEMO_PROVINCES && !rc; p++) {
    snprintf(file, sizeof(file), "auth-%u.key", provinces[p].code);
    snprintf(name, sizeof(name), "%s Department of Ecology and Environment", provinces[p].name);
    rc = key_row(d, f, file, "authority", provinces[p].code, name);
  }
  for (unsigned i = 0; i < DEMO_PARTICIPANTS && !rc; i++) {
    snprintf(file, sizeof(file), "rep-%u.key", DEMO_PARTICIPANT_ID0 + i);
    snprintf(name, sizeof(name), "trader %u", i + 1);
    rc = key_row(d, f, file, "representative", DEMO_PARTICIPANT_ID0 + i, name);
  }
  for (unsigned i = 0; i < DEMO_ENTERPRISES && !rc; i++) {
    snprintf(file, sizeof(file), "rep-%" PRIu64 ".key", d->ents[i].account);
    snprintf(name, sizeof(name), "representative of %s", d->ents[i].uscc);
    rc = key_row(d, f, file, "representative", d->ents[i].account, name);
  }
  int rc2 = close_out(f);
  return rc ? rc : rc2;
}

static int write_accounts(struct demo *d) {
  FILE *f = open_out(d, "accounts.csv", "account,kind,province,sector,threshold,uscc,name,note");
  if (!f) return QCTL_EXIT_IO;
  for (size_t p = 0; p < DEMO_PROVINCES; p++) {
    fprintf(f, "%u,provincial,%u,none,1,,%s provincial account,\n", 1000 + provinces[p].code,
            provinces[p].code, provinces[p].name);
  }
  for (unsigned i = 0; i < DEMO_PARTICIPANTS; i++) {
    fprintf(f, "%u,participant,0,none,1,,Carbon Trading Partners %u,\n", DEMO_PARTICIPANT_ID0 + i,
            i + 1);
  }
  static const char *const sector_names[] = {"none", "power", "steel", "cement", "aluminium"};
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    const struct demo_ent *e = &d->ents[i];
    fprintf(f, "%" PRIu64 ",enterprise,%u,%s,1,%s,%s,\n", e->account,
            provinces[e->province].code, sector_names[e->sector], e->uscc, e->name);
  }
  return close_out(f);
}

static int write_emissions(struct demo *d, unsigned year) {
  char name[64];
  snprintf(name, sizeof(name), "emissions-%u.csv", year);
  FILE *f = open_out(d, name, "account,year,emissions,ref,key");
  if (!f) return QCTL_EXIT_IO;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    const struct demo_ent *e = &d->ents[i];
    fprintf(f, "%s,%u,%" PRIu64 ",verification report %u-%04u,keys/auth-%u.key\n", e->uscc, year,
            year == 2024 ? e->e2024 : e->e2025, year, i + 1, provinces[e->province].code);
  }
  return close_out(f);
}

/* The pre-allocation input of 2025: in April only the 2024 verified emissions are known. */
static int write_pre_units(struct demo *d, unsigned sector) {
  static const char *const sector_names[] = {"none", "power", "steel", "cement", "aluminium"};
  char name[64];
  snprintf(name, sizeof(name), "units-2025-pre-%s.csv", sector_names[sector]);
  FILE *f = open_out(d, name, "uscc,province,sector,unit,prev_emissions");
  if (!f) return QCTL_EXIT_IO;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    const struct demo_ent *e = &d->ents[i];
    for (unsigned u = 0; u < e->nunits && e->sector == sector; u++) {
      fprintf(f, "%s,%u,%s,%s,%" PRIu64 "\n", e->uscc, provinces[e->province].code,
              sector_names[e->sector], e->units[u].id, e->units[u].emissions);
    }
  }
  return close_out(f);
}

/* Allocator input (docs/ALLOCATION.md columns): one file per sector and year (a scheme covers
 * one sector), one row per unit. */
static int write_units(struct demo *d, unsigned year, unsigned sector) {
  static const char *const sector_names[] = {"none", "power", "steel", "cement", "aluminium"};
  char name[64];
  snprintf(name, sizeof(name), "units-%u-%s.csv", year, sector_names[sector]);
  FILE *f = open_out(d, name, year == 2024 ? "uscc,province,sector,unit,emissions,output"
                                           : "uscc,province,sector,unit,emissions,output,prev_emissions");
  if (!f) return QCTL_EXIT_IO;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    const struct demo_ent *e = &d->ents[i];
    if (e->sector != sector) continue;
    for (unsigned u = 0; u < e->nunits; u++) {
      const struct demo_unit *x = &e->units[u];
      fprintf(f, "%s,%u,%s,%s,", e->uscc, provinces[e->province].code, sector_names[e->sector],
              x->id);
      if (year == 2024) {
        fprintf(f, "%" PRIu64 ",%" PRIu64 "\n", x->emissions, x->output);
      } else {
        fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", x->emissions_2025, x->output_2025,
                x->emissions);
      }
    }
  }
  return close_out(f);
}

/* The allocation of an enterprise: 2024 final = verified emissions; 2025 pre = 70% of each
 * unit's 2024 emissions, rounded down per unit (as the allocator does). */
static uint64_t alloc_of(const struct demo_ent *e, bool pre) {
  if (!pre) return e->e2024;
  uint64_t sum = 0;
  for (unsigned u = 0; u < e->nunits; u++) sum += e->units[u].emissions * 7 / 10;
  return sum;
}

static int write_allocations(struct demo *d, bool pre, uint64_t *total) {
  const char *instrument = pre ? "CEA-2025" : "CEA-2024";
  unsigned year = pre ? 2025 : 2024;
  const char *kind = pre ? "pre" : "final";
  char name[64];
  snprintf(name, sizeof(name), "alloc-%u-national.csv", year);
  FILE *nat = open_out(d, name, "from,to,instrument,amount,year,kind");
  snprintf(name, sizeof(name), "alloc-%u.csv", year);
  FILE *ent = open_out(d, name, "from,to,instrument,amount,year,kind,key");
  if (!nat || !ent) return QCTL_EXIT_IO;
  *total = 0;
  for (size_t p = 0; p < DEMO_PROVINCES; p++) {
    uint64_t sum = 0;
    for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
      const struct demo_ent *e = &d->ents[i];
      if (e->province != p) continue;
      uint64_t a = alloc_of(e, pre);
      sum += a;
      fprintf(ent, "CN-%u,%s,%s,%" PRIu64 ",%u,%s,keys/auth-%u.key\n", provinces[p].code, e->uscc,
              instrument, a, year, kind, provinces[p].code);
    }
    if (sum) {
      fprintf(nat, "%u,CN-%u,%s,%" PRIu64 ",%u,%s\n", DEMO_NATIONAL_ID, provinces[p].code,
              instrument, sum, year, kind);
    }
    *total += sum;
  }
  int rc = close_out(nat);
  int rc2 = close_out(ent);
  return rc ? rc : rc2;
}

/* Trading: sellers move part of their 2024 quota to the trading position, the exchange settles
 * it to traders in two days of legs (the first day above 1,000 legs, so the import splits it),
 * the traders bring it back to their registry position and sell it on to the sellers bilaterally
 * (transfers), except for the sellers that end the year short. */
static int write_trading(struct demo *d) {
  FILE *mv = open_out(d, "moves-to-trading.csv", "account,instrument,amount,to_position,key");
  FILE *st = open_out(d, "settle.csv", "ref,from,to,instrument,amount");
  FILE *back = open_out(d, "moves-to-registry.csv", "account,instrument,amount,to_position,key");
  FILE *tr = open_out(d, "transfers.csv", "from,to,instrument,amount,key");
  if (!mv || !st || !back || !tr) return QCTL_EXIT_IO;
  uint64_t bought[DEMO_PARTICIPANTS] = {0};
  unsigned seller = 0;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    struct demo_ent *e = &d->ents[i];
    if (!e->sold) continue;
    fprintf(mv, "%s,CEA-2024,%" PRIu64 ",trading,keys/rep-%" PRIu64 ".key\n", e->uscc, e->sold,
            e->account);
    uint64_t per_buyer[DEMO_PARTICIPANTS] = {0};
    uint64_t leg = e->sold / DEMO_LEGS_PER_SELLER;
    for (unsigned l = 0; l < DEMO_LEGS_PER_SELLER; l++) {
      uint64_t amount = l + 1 < DEMO_LEGS_PER_SELLER ? leg : e->sold - leg * l;
      unsigned b = (unsigned)(rnd(d) % DEMO_PARTICIPANTS);
      fprintf(st, "SHEX-2025-06-%s,%s,%u,CEA-2024,%" PRIu64 "\n", seller < 120 ? "16" : "17",
              e->uscc, DEMO_PARTICIPANT_ID0 + b, amount);
      per_buyer[b] += amount;
      bought[b] += amount;
    }
    for (unsigned b = 0; b < DEMO_PARTICIPANTS && !e->short_at_end; b++) {
      if (!per_buyer[b]) continue;
      fprintf(tr, "%u,%s,CEA-2024,%" PRIu64 ",keys/rep-%u.key\n", DEMO_PARTICIPANT_ID0 + b,
              e->uscc, per_buyer[b], DEMO_PARTICIPANT_ID0 + b);
    }
    seller++;
  }
  for (unsigned b = 0; b < DEMO_PARTICIPANTS; b++) {
    if (!bought[b]) continue;
    fprintf(back, "%u,CEA-2024,%" PRIu64 ",registry,keys/rep-%u.key\n", DEMO_PARTICIPANT_ID0 + b,
            bought[b], DEMO_PARTICIPANT_ID0 + b);
  }
  int rc = close_out(mv);
  if (!rc) rc = close_out(st);
  if (!rc) rc = close_out(back);
  if (!rc) rc = close_out(tr);
  return rc;
}

static int write_surrenders(struct demo *d, uint64_t *short_tonnes) {
  FILE *f = open_out(d, "surrenders-2024.csv", "account,from,year,instrument,amount,key");
  if (!f) return QCTL_EXIT_IO;
  *short_tonnes = 0;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) {
    const struct demo_ent *e = &d->ents[i];
    uint64_t amount = e->e2024 - (e->short_at_end ? e->sold : 0);
    if (e->short_at_end) *short_tonnes += e->sold;
    fprintf(f, "%s,%s,2024,CEA-2024,%" PRIu64 ",keys/rep-%" PRIu64 ".key\n", e->uscc, e->uscc,
            amount, e->account);
  }
  return close_out(f);
}

static int write_totals(struct demo *d, uint64_t total_2024, uint64_t pre_2025,
                        uint64_t short_tonnes) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/totals.env", d->out);
  FILE *f = fopen(path, "we");
  if (!f) return QCTL_EXIT_IO;
  unsigned sellers = 0;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) sellers += d->ents[i].sold != 0;
  uint64_t e2025 = 0;
  for (unsigned i = 0; i < DEMO_ENTERPRISES; i++) e2025 += d->ents[i].e2025;
  fprintf(f, "ENTERPRISES=%u\nSTEEL=%u\nCEMENT=%u\nALUMINIUM=%u\nPROVINCES=%zu\nPARTICIPANTS=%u\n"
          "TOTAL_2024=%" PRIu64 "\nPRE_2025=%" PRIu64 "\nEMISSIONS_2025=%" PRIu64 "\nSELLERS=%u\n"
          "SHORT=%u\nSHORT_TONNES=%" PRIu64 "\n", DEMO_ENTERPRISES, DEMO_STEEL, DEMO_CEMENT,
          DEMO_ALUMINIUM, DEMO_PROVINCES, DEMO_PARTICIPANTS, total_2024, pre_2025, e2025, sellers,
          DEMO_SHORT, short_tonnes);
  return close_out(f);
}

static int make_dirs(const char *out) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/keys", out);
  if ((mkdir(out, 0700) != 0 && errno != EEXIST) || (mkdir(path, 0700) != 0 && errno != EEXIST)) {
    fprintf(stderr, "quotactl demo-data: cannot create %s: %s\n", path, strerror(errno));
    return QCTL_EXIT_IO;
  }
  return 0;
}

int qctl_cmd_demo_data(struct qctl *q, int argc, char **argv) {
  (void)q;
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"seed", "out", NULL};
  if (qopts_has(&o, "help") || !qopts_has(&o, "out") || o.npos) {
    fprintf(qopts_has(&o, "help") ? stdout : stderr,
            "usage: quotactl demo-data --out DIR [--seed N]\n"
            "Writes a synthetic registry year into DIR (a new or empty folder): keys/ (authority,\n"
            "representative and exchange key files), keys.csv, accounts.csv, emissions-2024.csv,\n"
            "emissions-2025.csv, units-YEAR-SECTOR.csv (allocator input, 2024 and 2025),\n"
            "units-2025-pre-SECTOR.csv (2024 emissions only), alloc-2024*.csv and\n"
            "alloc-2025*.csv (allocations), moves-to-trading.csv, settle.csv,\n"
            "moves-to-registry.csv, transfers.csv, surrenders-2024.csv and totals.env.\n"
            "%u steel, %u cement and %u aluminium enterprises in 31 provinces; the same seed\n"
            "gives the same data (key files excepted: they are always fresh).\n",
            DEMO_STEEL, DEMO_CEMENT, DEMO_ALUMINIUM);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "demo-data", allowed))) return rc;
  static struct demo d;
  uint64_t seed = 1;
  const char *s = qopts_get(&o, "seed");
  if (s && (rc = qopts_u64(s, "--seed", 0, UINT64_MAX, &seed))) return rc;
  d.rng = seed;
  d.out = qopts_get(&o, "out");
  if ((rc = make_dirs(d.out))) return rc;
  generate(&d);
  uint64_t total_2024 = 0, pre_2025 = 0, short_tonnes = 0;
  rc = write_keys(&d);
  if (!rc) rc = write_accounts(&d);
  if (!rc) rc = write_emissions(&d, 2024);
  if (!rc) rc = write_emissions(&d, 2025);
  for (unsigned y = 2024; y <= 2025; y++) {
    for (unsigned sec = PROTO_SECTOR_STEEL; sec <= PROTO_SECTOR_ALUMINIUM && !rc; sec++) {
      rc = write_units(&d, y, sec);
      if (!rc && y == 2025) rc = write_pre_units(&d, sec);
    }
  }
  if (!rc) rc = write_allocations(&d, false, &total_2024);
  if (!rc) rc = write_allocations(&d, true, &pre_2025);
  if (!rc) rc = write_trading(&d);
  if (!rc) rc = write_surrenders(&d, &short_tonnes);
  if (!rc) rc = write_totals(&d, total_2024, pre_2025, short_tonnes);
  if (!rc) {
    printf("demo data in %s: %u enterprises, 2024 verified emissions %" PRIu64 " t, 2025 "
           "pre-allocation %" PRIu64 " t, %u enterprises to end short by %" PRIu64 " t\n",
           d.out, DEMO_ENTERPRISES, total_2024, pre_2025, DEMO_SHORT, short_tonnes);
  }
  return rc;
}
