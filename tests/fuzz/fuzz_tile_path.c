/* libFuzzer target: arbitrary bytes as a /log/ tile path (what quotad parses from any client).
 * What parses must format back to exactly the same text (one path per tile), and its width must
 * be sane. Links tlog/tile.c and proto. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 256) return 0;
  char path[257];
  memcpy(path, data, size);
  path[size] = '\0';
  struct tlog_tile t;
  if (tlog_tile_path_parse(path, &t) != 0) return 0;
  assert(t.width >= 1 && t.width <= TLOG_TILE_WIDTH);
  assert(t.level <= TLOG_TILE_LEVEL_MAX || t.level == TLOG_TILE_ENTRIES);
  char back[TLOG_TILE_PATH_BYTES_MAX];
  long n = tlog_tile_path(&t, back, sizeof back);
  assert(n > 0 && strcmp(back, path) == 0);
  return 0;
}
