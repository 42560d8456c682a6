/* libFuzzer target: arbitrary bytes as the body of a quotad-export/1 file (leaf lines, then the
 * reported state) through quota-audit's export reader (tools/quota_audit_export.c) and the replay
 * behind it. The harness writes the header itself, with a checkpoint it signs for as many
 * entries as the input has lines (a fuzzer cannot forge the signature; the root it cannot match
 * is checked last). Checks: the reader answers OK, FAILED or USAGE only, and a failure names its
 * reason. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tools/quota_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_NAME "fuzz.quotad.example/log"

static struct proto_key *log_key(uint8_t pub[PROTO_PUBKEY_BYTES]) {
  static struct proto_key *key;
  static uint8_t key_pub[PROTO_PUBKEY_BYTES];
  if (!key) {
    static const uint8_t seed[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    key = proto_key_from_seed(seed);
    assert(key != NULL);
    proto_key_public(key, key_pub);
  }
  memcpy(pub, key_pub, PROTO_PUBKEY_BYTES);
  return key;
}

/* The export file: the signed header, then the input. */
static int write_file(const uint8_t *data, size_t size, const struct proto_key *key) {
  uint64_t lines = 0;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  struct tlog_checkpoint cp = {.size = lines};
  snprintf(cp.origin, sizeof cp.origin, "%s", KEY_NAME);
  char note[TLOG_CHECKPOINT_BYTES_MAX], esc[2 * TLOG_CHECKPOINT_BYTES_MAX];
  long n = tlog_checkpoint_sign(&cp, KEY_NAME, key, note, sizeof note);
  assert(n > 0);
  size_t o = 0;
  for (long i = 0; i < n; i++) {
    if (note[i] == '\n') esc[o++] = '\\', esc[o++] = 'n';
    else esc[o++] = note[i];
  }
  esc[o] = '\0';
  int fd = memfd_create("export", MFD_CLOEXEC);
  assert(fd >= 0);
  FILE *f = fdopen(dup(fd), "w");
  assert(f != NULL);
  fprintf(f, "{\"format\":\"quotad-export/1\",\"tree_size\":%llu,\"checkpoint\":\"%s\"}\n",
          (unsigned long long)lines, esc);
  fwrite(data, 1, size, f);
  fclose(f);
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct qa_run run;
  memset(&run, 0, sizeof run);
  struct proto_key *key = log_key(run.log_pub);
  snprintf(run.key_name, sizeof run.key_name, "%s", KEY_NAME);
  int fd = write_file(data, size, key);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  run.opts.export_path = path;
  run.opts.threads = 1;
  run.opts.quiet = true;
  run.log = audit_log_new(run.log_pub, 1);
  assert(run.log != NULL);
  int rc = qa_export_run(&run);
  assert(rc == QA_EXIT_OK || rc == QA_EXIT_FAILED || rc == QA_EXIT_USAGE);
  if (rc == QA_EXIT_FAILED) assert(run.fail.text[0] != '\0');
  json_decref(run.reported);
  audit_log_free(run.log);
  close(fd);
  return 0;
}
