/* web_standalone: assembles the standalone verifier, one HTML file that works opened from disk,
 * from web/standalone.html and the very JavaScript modules the served pages load (no second copy).
 *
 * The template holds two markers, each on its own line:
 *   <!--quotad:style assets/app.css-->            replaced by <style>...</style>
 *   <!--quotad:modules assets/a.js assets/b.js-->  replaced by one <script type="module">
 * The modules are written in dependency order; their `import` lines are dropped and a leading
 * `export ` is removed, which is sound because every module keeps its imports on single lines
 * and no two modules declare the same top-level name (a clash would be a SyntaxError in the
 * browser test that opens the file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/web_internal.h"

enum { standalone_modules_max = 32 };

static const struct daemon_web_file *find_src(const struct daemon_web_file *files, size_t n, const char *name,
                                              size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(files[i].name) == len && !memcmp(files[i].name, name, len)) return &files[i];
  return NULL;
}

/* One module, its import lines dropped and its exports made plain declarations. */
static int append_module(struct daemon_buf *b, const struct daemon_web_file *f) {
  WEB_ASSERT(f->data != NULL || f->len == 0);
  const char *p = (const char *)f->data, *end = p + f->len;
  int rc = 0;
  while (!rc && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *next = nl ? nl + 1 : end;
    size_t len = (size_t)(next - p);
    if (len >= 7 && !memcmp(p, "import ", 7)) {
      p = next;
      continue;
    }
    if (len >= 7 && !memcmp(p, "export ", 7)) p += 7, len -= 7;
    rc = daemon_buf_append(b, p, len);
    p = next;
  }
  return rc ? rc : daemon_buf_append(b, "\n", 1);
}

/* A file inlined in a <script> or <style> must not close it early. */
static bool inline_safe(const struct daemon_web_file *f) {
  for (size_t i = 0; i + 2 <= f->len; i++)
    if (f->data[i] == '<' && f->data[i + 1] == '/' && f->len - i >= 7 &&
        (!strncasecmp((const char *)f->data + i + 2, "script", 6) ||
         !strncasecmp((const char *)f->data + i + 2, "style", 5)))
      return false;
  return true;
}

/* Replaces one marker (text between "<!--quotad:" and "-->") by the inlined files it names. */
static int expand_marker(struct daemon_buf *b, const char *m, size_t len, const struct daemon_web_file *files,
                         size_t n, char *why, size_t why_cap) {
  bool style = len > 6 && !memcmp(m, "style ", 6), modules = len > 8 && !memcmp(m, "modules ", 8);
  if (!style && !modules) {
    snprintf(why, why_cap, "web: standalone.html: unknown marker '%.*s'", (int)(len < 40 ? len : 40), m);
    return PROTO_E_BAD_ARGUMENT;
  }
  int rc = daemon_buf_str(b, style ? "<style>\n" : "<script type=\"module\">\n");
  const char *p = m + (style ? 6 : 8), *end = m + len;
  for (unsigned count = 0; !rc && p < end && count < standalone_modules_max; count++) {
    while (p < end && *p == ' ') p++;
    size_t nl = 0;
    while (p + nl < end && p[nl] != ' ') nl++;
    if (!nl) break;
    const struct daemon_web_file *f = find_src(files, n, p, nl);
    if (!f || !inline_safe(f)) {
      snprintf(why, why_cap, "web: standalone.html names %.*s, %s", (int)nl, p,
               f ? "which contains a closing script or style tag" : "which is not in web/");
      return PROTO_E_BAD_ARGUMENT;
    }
    rc = style ? daemon_buf_append(b, f->data, f->len) : append_module(b, f);
    p += nl;
  }
  return rc ? rc : daemon_buf_str(b, style ? "</style>" : "</script>");
}

int web__standalone(const struct daemon_web_file *files, size_t n, uint8_t **out, size_t *out_len,
                    char *why, size_t why_cap) {
  const struct daemon_web_file *t = find_src(files, n, "standalone.html", 15);
  if (!t) {
    snprintf(why, why_cap, "web: standalone.html is missing");
    return PROTO_E_NOT_FOUND;
  }
  struct daemon_buf b = {0};
  const char *p = (const char *)t->data, *end = p + t->len;
  static const char open[] = "<!--quotad:", close[] = "-->";
  int rc = 0;
  while (!rc && p < end) {
    const char *m = memmem(p, (size_t)(end - p), open, sizeof open - 1);
    const char *e = m ? memmem(m, (size_t)(end - m), close, sizeof close - 1) : NULL;
    rc = daemon_buf_append(&b, p, m && e ? (size_t)(m - p) : (size_t)(end - p));
    if (!rc && m && e)
      rc = expand_marker(&b, m + sizeof open - 1, (size_t)(e - m) - (sizeof open - 1), files, n, why, why_cap);
    p = m && e ? e + sizeof close - 1 : end;
  }
  if (rc || !b.data) {
    daemon_buf_free(&b);
    return rc ? rc : PROTO_E_EMPTY_FIELD;
  }
  *out = (uint8_t *)b.data;
  *out_len = b.len;
  return 0;
}
