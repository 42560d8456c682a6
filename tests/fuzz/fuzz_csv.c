/* libFuzzer target: arbitrary bytes as the CSV files the tools read: quotactl's bulk-import reader
 * (tools/common/csv.c: header, records, typed u64 cells) and the allocator's enterprise data
 * reader (alloc_data_read_stream). Checks: only documented results, every record has
 * exactly the header's field count, and a typed cell either parses within its bounds or names
 * its error. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "tools/common/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void import_reader(const uint8_t *data, size_t size) {
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f) return;
  static struct csv_reader r; /* large: keep it off the stack */
  int rc = csv_open_stream(&r, f, "fuzz.csv");
  if (rc != 0) {
    assert(rc == PROTO_E_BAD_DATA || rc < 0);
    fclose(f);
    return;
  }
  for (unsigned records = 0; records < 100000u; records++) {
    rc = csv_next(&r);
    if (rc != 1) {
      assert(rc == 0 || rc == PROTO_E_BAD_DATA);
      if (rc == PROTO_E_BAD_DATA) assert(r.error[0] != 0);
      break;
    }
    assert(r.nfields == r.nheader);
    for (size_t i = 0; i < r.nfields; i++) {
      uint64_t v;
      if (csv_u64(&r, (int)i, 1, PROTO_AMOUNT_MAX, &v) == 0) assert(v >= 1 && v <= PROTO_AMOUNT_MAX);
      else assert(r.error[0] != 0);
    }
  }
  csv_close(&r);
}

static void alloc_reader(const uint8_t *data, size_t size) {
  FILE *in = fmemopen((void *)data, size, "r");
  FILE *errors = fopen("/dev/null", "w");
  if (!in || !errors) {
    if (in) fclose(in);
    if (errors) fclose(errors);
    return;
  }
  struct alloc_data *d = NULL;
  struct alloc_diag diag;
  int rc = alloc_data_read_stream(in, "fuzz.csv", &d, errors, &diag);
  assert(rc == 0 || rc == PROTO_E_BAD_DATA || rc < 0);
  assert((rc == 0) == (d != NULL));
  alloc_data_free(d);
  fclose(in);
  fclose(errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) import_reader(data + 1, size - 1);
  else alloc_reader(data + 1, size - 1);
  return 0;
}
