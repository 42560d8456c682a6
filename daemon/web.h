/* web: the public pages (web/ in the source tree) served by quotad at `/`: files embedded at build
 * time or read from web_dir, gzip and content hashes computed once at start, CSV of public tables.
 *
 * Files come in through one list of (name, bytes). daemon_web_load turns them into served files:
 * HTML pages get their `/assets/` references rewritten to `/assets/<version>/`, where version is a
 * hash of every asset, so assets can be cached for a year and a new build is fetched at once; the
 * standalone verifier (one self-contained HTML file) is assembled from standalone.html and the
 * same JavaScript modules the pages use. Everything is built before the loop runs; requests only
 * read the table. */
#ifndef QUOTAD_DAEMON_WEB_H
#define QUOTAD_DAEMON_WEB_H

#include "daemon/server.h"

enum {
  web_files_max = 64,                 /* files under web/ (pages, assets, template) */
  web_file_bytes_max = 1 << 20,       /* one file, bytes */
  web_name_bytes_max = 64,            /* a file's path under web/, bytes with its NUL */
};

struct daemon_web_file {
  const char *name; /* "index.html", "assets/app.css" */
  const unsigned char *data;
  size_t len;
};

/* Generated at build time from web/ (web/embed.cmake). */
extern const struct daemon_web_file daemon_web_embedded[];
extern const size_t daemon_web_embedded_count;

/* Loads the pages: from cfg->web_dir when set, else the embedded copy. Does nothing when
 * cfg->public_pages is false. Returns 0, or a code with the cause in why (a file too large, a
 * name outside [a-z0-9._-], a missing standalone.html or module, -errno of a read). */
int daemon_web_load(const struct daemon_config *cfg, char *why, size_t why_cap);
/* Loads from an explicit list, in name order (what daemon_web_load does with the embedded files
 * and with web_dir's; tests use it). The asset version hashes the assets in that order. */
int daemon_web_load_files(const struct daemon_web_file *files, size_t n, char *why, size_t why_cap);
void daemon_web_free(void);
/* The version hash that asset URLs carry ("" before a load). */
const char *daemon_web_version(void);

/* Answers r when it is a public page, an asset or a public CSV (GET or HEAD, public pages on):
 * fills reply and returns true. Returns false for every other path (the API's), leaving reply
 * untouched. */
bool daemon_web_route(struct daemon_server *srv, const struct daemon_request *r,
                      struct daemon_reply *reply, bool keep_alive);

#endif /* QUOTAD_DAEMON_WEB_H */
