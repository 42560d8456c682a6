/* Test helper: the text of a shipped scheme file (schemes/NAME.ini), as a table header carries
 * it. Static functions only. */
#ifndef QUOTAD_TEST_SCHEME_TEXT_H
#define QUOTAD_TEST_SCHEME_TEXT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/proto.h"

/* The text of schemes/NAME.ini, NUL-terminated on the heap (caller frees). */
static inline char *test_scheme_text(const char *name) {
  char path[512];
  snprintf(path, sizeof(path), "%s/schemes/%s.ini", QUOTAD_SOURCE_DIR, name);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "%s", path);
  char *text = calloc(1, PROTO_SCHEME_BYTES_MAX + 1);
  cr_assert_not_null(text);
  size_t n = fread(text, 1, PROTO_SCHEME_BYTES_MAX, f);
  fclose(f);
  cr_assert_gt(n, 0);
  return text;
}

#endif
