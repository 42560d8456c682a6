/* web: serves the public pages: the file table built once at start (gzip, ETags, versioned asset
 * URLs, the assembled standalone verifier) and the answers to GET/HEAD of pages and assets. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "daemon/web.h"
#include "daemon/web_internal.h"

_Noreturn void web__assert_fail(const char *what, const char *file, int line) {
  fprintf(stderr, "quotad: assertion failed: %s (%s:%d)\n", what, file, line);
  abort();
}

struct web_file {
  char name[web_name_bytes_max];
  const char *type;
  uint8_t *raw, *gz; /* gz NULL when gzip does not make it smaller */
  size_t raw_len, gz_len;
  char etag[2 * 8 + 3];
  bool immutable;    /* versioned asset: cached for a year */
  bool download;     /* the standalone verifier: saved, not shown */
};

static struct {
  struct web_file files[web_files_max + 1]; /* + the assembled standalone verifier */
  size_t n;
  char version[2 * 8 + 1];
  bool loaded;
} web;


const char *daemon_web_version(void) { return web.version; }

static const char *type_of(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot) return "application/octet-stream";
  if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
  if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
  if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
  if (!strcmp(dot, ".svg")) return "image/svg+xml";
  if (!strcmp(dot, ".png")) return "image/png";
  if (!strcmp(dot, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

/* Names are plain: lower-case letters, digits, '.', '_', '-', at most one "assets/" folder. So a
 * request path can be matched by comparison, never joined into a file system path. */
static bool name_ok(const char *name) {
  const char *base = strncmp(name, "assets/", 7) ? name : name + 7;
  size_t len = strlen(name);
  if (!base[0] || base[0] == '.' || len >= web_name_bytes_max) return false;
  for (const char *p = base; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
      return false;
  return true;
}

static int gzip_of(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  /* windowBits 15 + 16: a gzip wrapper, which Content-Encoding: gzip means */
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return PROTO_E_NO_MEMORY;
  uLong cap = deflateBound(&z, (uLong)len);
  *out = malloc(cap);
  if (!*out) {
    deflateEnd(&z);
    return PROTO_E_NO_MEMORY;
  }
  z.next_in = (Bytef *)in; /* zlib does not write through next_in */
  z.avail_in = (uInt)len;
  z.next_out = *out;
  z.avail_out = (uInt)cap;
  int zr = deflate(&z, Z_FINISH);
  *out_len = z.total_out;
  deflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(*out);
    *out = NULL;
    return PROTO_E_NO_MEMORY;
  }
  return 0;
}

/* Takes ownership of raw. Computes the ETag and, when it pays, the gzip form. */
static int add_file(const char *name, uint8_t *raw, size_t len, char *why, size_t why_cap) {
  WEB_ASSERT(web.n <= web_files_max);
  if (web.n == web_files_max + 1 || (web.n == web_files_max && strcmp(name, web_standalone_name) != 0)) {
    free(raw);
    snprintf(why, why_cap, "web: more than %d files", web_files_max);
    return PROTO_E_TOO_LARGE;
  }
  struct web_file *f = &web.files[web.n];
  memset(f, 0, sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  f->type = type_of(name);
  f->raw = raw;
  f->raw_len = len;
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(raw, len, h);
  f->etag[0] = '"';
  proto_hex_encode(h, 8, f->etag + 1, sizeof f->etag - 1);
  strcat(f->etag, "\"");
  if (gzip_of(raw, len, &f->gz, &f->gz_len)) {
    snprintf(why, why_cap, "web: gzip of %s failed", name);
    return PROTO_E_NO_MEMORY;
  }
  if (f->gz_len + 64 >= len) { /* not worth a Content-Encoding */
    free(f->gz);
    f->gz = NULL;
  }
  f->immutable = !strncmp(name, "assets/", 7);
  web.n++;
  return 0;
}

void daemon_web_free(void) {
  for (size_t i = 0; i < web.n; i++) {
    free(web.files[i].raw);
    free(web.files[i].gz);
  }
  memset(&web, 0, sizeof web);
}

/* The asset version: SHA-256 over every asset's name, length and bytes, so any change to any
 * asset moves every page to new asset URLs. */
static void compute_version(const struct daemon_web_file *files, size_t n) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  WEB_ASSERT(ctx != NULL);
  EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
  for (size_t i = 0; i < n; i++) {
    if (strncmp(files[i].name, "assets/", 7) != 0) continue;
    uint8_t len8[8];
    for (int b = 0; b < 8; b++) len8[b] = (uint8_t)((uint64_t)files[i].len >> (56 - 8 * b));
    EVP_DigestUpdate(ctx, files[i].name, strlen(files[i].name) + 1);
    EVP_DigestUpdate(ctx, len8, sizeof len8);
    EVP_DigestUpdate(ctx, files[i].data, files[i].len);
  }
  uint8_t h[PROTO_HASH_BYTES];
  EVP_DigestFinal_ex(ctx, h, NULL);
  EVP_MD_CTX_free(ctx);
  proto_hex_encode(h, 8, web.version, sizeof web.version);
}

/* An HTML page with every "/assets/" reference moved under "/assets/<version>/". */
static int versioned_html(const struct daemon_web_file *f, uint8_t **out, size_t *out_len) {
  WEB_ASSERT(strlen(web.version) == 16); /* compute_version ran first */
  struct daemon_buf b = {0};
  const char *p = (const char *)f->data, *end = p + f->len;
  static const char needle[] = "\"/assets/";
  int rc = 0;
  while (!rc && p < end) {
    const char *hit = memmem(p, (size_t)(end - p), needle, sizeof needle - 1);
    size_t upto = hit ? (size_t)(hit - p) + sizeof needle - 1 : (size_t)(end - p);
    rc = daemon_buf_append(&b, p, upto);
    if (!rc && hit) rc = daemon_buf_str(&b, web.version);
    if (!rc && hit) rc = daemon_buf_append(&b, "/", 1);
    p += upto;
  }
  if (rc) {
    daemon_buf_free(&b);
    return rc;
  }
  *out = (uint8_t *)b.data;
  *out_len = b.len;
  if (!b.data) *out = calloc(1, 1);
  return *out ? 0 : PROTO_E_NO_MEMORY;
}

static int load_one(const struct daemon_web_file *f, char *why, size_t why_cap) {
  if (!name_ok(f->name) || f->len > web_file_bytes_max) {
    snprintf(why, why_cap, "web: %s: %s", f->name,
             name_ok(f->name) ? "larger than web_file_bytes_max" : "name outside [a-z0-9._-]");
    return PROTO_E_BAD_ARGUMENT;
  }
  uint8_t *raw = NULL;
  size_t len = f->len;
  if (strstr(f->name, ".html")) {
    int rc = versioned_html(f, &raw, &len);
    if (rc) return rc;
  } else {
    raw = malloc(f->len ? f->len : 1);
    if (!raw) return PROTO_E_NO_MEMORY;
    memcpy(raw, f->data, f->len);
  }
  return add_file(f->name, raw, len, why, why_cap);
}

int daemon_web_load_files(const struct daemon_web_file *files, size_t n, char *why, size_t why_cap) {
  daemon_web_free();
  if (n > web_files_max) {
    snprintf(why, why_cap, "web: %zu files, more than %d", n, web_files_max);
    return PROTO_E_TOO_LARGE;
  }
  compute_version(files, n);
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++) rc = load_one(&files[i], why, why_cap);
  uint8_t *page = NULL;
  size_t page_len = 0;
  if (!rc) rc = web__standalone(files, n, &page, &page_len, why, why_cap);
  if (!rc) rc = add_file(web_standalone_name, page, page_len, why, why_cap);
  if (rc) {
    daemon_web_free();
    return rc;
  }
  web.files[web.n - 1].download = true;
  web.loaded = true;
  return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  int rc = fstat(fd, &st) ? -errno : 0;
  if (!rc && (!S_ISREG(st.st_mode) || st.st_size > web_file_bytes_max)) rc = PROTO_E_TOO_LARGE;
  *out = rc ? NULL : malloc((size_t)st.st_size + 1);
  if (!rc && !*out) rc = PROTO_E_NO_MEMORY;
  size_t got = 0;
  while (!rc && got < (size_t)st.st_size) {
    ssize_t k = read(fd, *out + got, (size_t)st.st_size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) rc = k < 0 ? -errno : PROTO_E_TRUNCATED;
    else got += (size_t)k;
  }
  close(fd);
  if (rc) {
    free(*out);
    *out = NULL;
  }
  *len = got;
  return rc;
}

/* web_dir's files while they are loaded: the view daemon_web_load_files takes, and what it
 * points at (freed by the unsorted list, whatever order the view is sorted into). */
struct web_dir_files {
  struct daemon_web_file view[web_files_max];
  char names[web_files_max][web_name_bytes_max];
  uint8_t *owned[web_files_max];
  size_t n;
};

static int add_dir_file(struct web_dir_files *f, const char *dir, const char *sub, const char *base,
                        char *why, size_t why_cap) {
  char path[DAEMON_PATH_BYTES_MAX + 2 * web_name_bytes_max + 8];
  int nl = snprintf(f->names[f->n], web_name_bytes_max, "%s%s%s", sub, sub[0] ? "/" : "", base);
  if (nl < 0 || nl >= web_name_bytes_max || f->n == web_files_max ||
      snprintf(path, sizeof path, "%s/%s", dir, base) >= (int)sizeof path) {
    snprintf(why, why_cap, "web_dir: %s: too many files or too long a name", base);
    return PROTO_E_TOO_LARGE;
  }
  size_t len = 0;
  int rc = read_file(path, &f->owned[f->n], &len);
  if (rc) {
    snprintf(why, why_cap, "web_dir: %s: %s", path, rc < 0 ? strerror(-rc) : "not a file of at most 1 MiB");
    return rc;
  }
  f->view[f->n] = (struct daemon_web_file){.name = f->names[f->n], .data = f->owned[f->n], .len = len};
  f->n++;
  return 0;
}

/* Lists web_dir (sub "") or web_dir/assets (sub "assets") into f. */
static int scan_dir(const char *root, const char *sub, struct web_dir_files *f, char *why, size_t why_cap) {
  char dir[DAEMON_PATH_BYTES_MAX + 16];
  snprintf(dir, sizeof dir, "%s%s%s", root, sub[0] ? "/" : "", sub);
  DIR *d = opendir(dir);
  if (!d) {
    int err = errno;
    snprintf(why, why_cap, "web_dir %s: %s", dir, strerror(err));
    return -err;
  }
  int rc = 0;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "assets") || strstr(e->d_name, ".cmake")) continue;
    rc = add_dir_file(f, dir, sub, e->d_name, why, why_cap);
  }
  closedir(d);
  return rc;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct daemon_web_file *)a)->name, ((const struct daemon_web_file *)b)->name);
}

int daemon_web_load(const struct daemon_config *cfg, char *why, size_t why_cap) {
  daemon_web_free();
  if (!cfg->public_pages) return 0;
  if (!cfg->web_dir[0]) return daemon_web_load_files(daemon_web_embedded, daemon_web_embedded_count, why, why_cap);
  struct web_dir_files *f = calloc(1, sizeof *f);
  if (!f) return PROTO_E_NO_MEMORY;
  int rc = scan_dir(cfg->web_dir, "", f, why, why_cap);
  if (!rc) rc = scan_dir(cfg->web_dir, "assets", f, why, why_cap);
  /* name order, as embed.cmake writes them: the same files give the same asset version */
  if (!rc) qsort(f->view, f->n, sizeof f->view[0], by_name);
  if (!rc) rc = daemon_web_load_files(f->view, f->n, why, why_cap);
  for (size_t i = 0; i < f->n; i++) free(f->owned[i]);
  free(f);
  return rc;
}

static const struct web_file *find(const char *name) {
  for (size_t i = 0; i < web.n; i++)
    if (!strcmp(web.files[i].name, name)) return &web.files[i];
  return NULL;
}

/* The file a request path names: pages by their stable URLs, assets under their version. */
static const struct web_file *file_for(const char *path) {
  static const struct { const char *path, *file; bool prefix; } pages[] = {
      {"/", "index.html", false},         {"/instruments", "instruments.html", false},
      {"/compliance", "compliance.html", false}, {"/compliance/", "compliance.html", true},
      {"/allocation", "allocation.html", false}, {"/verify", "verify.html", false},
      {"/" web_standalone_name, web_standalone_name, false},
  };
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    size_t len = strlen(pages[i].path);
    if (pages[i].prefix ? !strncmp(path, pages[i].path, len) && web__year_ok(path + len)
                        : !strcmp(path, pages[i].path))
      return find(pages[i].file);
  }
  if (strncmp(path, "/assets/", 8) != 0) return NULL;
  const char *rest = path + 8;
  size_t vlen = strlen(web.version);
  if (!strncmp(rest, web.version, vlen) && rest[vlen] == '/') {
    char name[web_name_bytes_max];
    if (snprintf(name, sizeof name, "assets/%s", rest + vlen + 1) >= (int)sizeof name) return NULL;
    return find(name);
  }
  return NULL;
}

/* Is gzip among the codings the client accepts (and not with q=0)? */
static bool accepts_gzip(const char *ae) {
  for (const char *p = ae; p && *p;) {
    while (*p == ' ' || *p == ',') p++;
    size_t tok = strcspn(p, ";, ");
    bool gz = (tok == 4 && !strncasecmp(p, "gzip", 4)) || (tok == 1 && *p == '*');
    const char *end = p + strcspn(p, ",");
    const char *q = memmem(p, (size_t)(end - p), "q=", 2);
    bool zero = q && q[2] == '0' && strspn(q + 3, ".0") == (size_t)(end - q - 3);
    if (gz && !zero) return true;
    p = end;
  }
  return false;
}

static bool etag_matches(const char *inm, const char *etag) {
  if (!inm) return false;
  return strstr(inm, etag) != NULL || !strcmp(inm, "*");
}

static void send_file(const struct web_file *f, const struct daemon_request *r, struct daemon_reply *reply,
                      bool keep_alive) {
  WEB_ASSERT(f->raw != NULL);
  bool gz = f->gz && accepts_gzip(r->accept_encoding);
  struct web_head h = {
      .status = etag_matches(r->if_none_match, f->etag) ? 304 : 200,
      .type = f->type,
      .etag = f->etag,
      .cache = f->immutable ? "public, max-age=31536000, immutable" : "no-cache",
      .gzip = gz,
      .download = f->download ? web_standalone_name : NULL,
      .head_only = r->method == DAEMON_HEAD,
  };
  const uint8_t *body = gz ? f->gz : f->raw;
  web__send(reply, &h, body, gz ? f->gz_len : f->raw_len, keep_alive);
}

bool daemon_web_route(struct daemon_server *srv, const struct daemon_request *r,
                      struct daemon_reply *reply, bool keep_alive) {
  if (!web.loaded || !srv->cfg->public_pages) return false;
  if (r->method != DAEMON_GET && r->method != DAEMON_HEAD) return false;
  const char *p = r->path;
  if (!strncmp(p, "/v1/", 4) || !strcmp(p, "/v1") || !strcmp(p, "/healthz") || !strcmp(p, "/metrics") ||
      !strncmp(p, "/log/", 5))
    return false;
  reply->endpoint = DAEMON_EP_OTHER;
  if (web__csv_route(srv, r, reply, keep_alive)) return true;
  const struct web_file *f = file_for(p);
  if (f && !strcmp(f->name, "compliance.html")) web__compliance_page(srv, f->raw, f->raw_len, r, reply, keep_alive);
  else if (f) send_file(f, r, reply, keep_alive);
  else web__not_found(r, reply, keep_alive);
  return true;
}
