/* tarball.h - a source folder as a gzip-compressed tar, for POST /v1/images. */
#ifndef UNIK_CMD_TARBALL_H
#define UNIK_CMD_TARBALL_H

#include "../lib/error.h"
#include "../lib/strbuf.h"

/* Appends to `out` the tar.gz of everything under the folder `dir`, named
 * relative to it ("src/main.c"), in a stable (sorted) order: regular
 * files, folders and symlinks as they are (the link text is kept), owner
 * 0:0, a top-level ".git" left out.  Other file types are skipped with a
 * warning on stderr.  Returns 0, or -1 with `err` naming the file. */
int tarball_pack_dir(const char *dir, struct strbuf *out, struct unik_err *err);

#endif
