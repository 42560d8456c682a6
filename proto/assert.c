/* The failure path of PROTO_ASSERT: says which condition broke where, then aborts (in every
 * build, whatever NDEBUG says). */
#include <stdio.h>
#include <stdlib.h>

#include "proto/proto.h"

_Noreturn void proto__assert_fail(const char *cond, const char *file, int line, const char *func) {
  fprintf(stderr, "%s:%d: %s: assertion `%s' failed\n", file, line, func, cond);
  fflush(stderr);
  abort();
}
