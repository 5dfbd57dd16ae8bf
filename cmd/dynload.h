/* dynload.h - a shared library opened when the CLI first needs it.
 *
 * The CLI starts often and briefly (one process per command), and most
 * commands talk only to the local daemon's unix socket.  libcurl (for TCP
 * and TLS) and libarchive (for tars) pull in some 40 libraries whose
 * loading and relocation cost ~10 ms per start, so they are opened with
 * dlopen() by the commands that use them (curl_dyn.h, archive_dyn.h). */
#ifndef UNIK_CMD_DYNLOAD_H
#define UNIK_CMD_DYNLOAD_H

#include <stddef.h>

#include "../lib/error.h"

/* Opens `soname` and fills fns[i] with the address of syms[i] (n of them).
 * Once it succeeded, later calls return 0 at once (`loaded` is the
 * caller's flag).  Not for concurrent first calls: the CLI loads before
 * it starts threads. */
int dynload(const char *soname, const char *const *syms, void **fns, size_t n, int *loaded,
	    struct unik_err *err);

#endif
