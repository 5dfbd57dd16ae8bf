/* bootargs.h - how a program's argv and environment travel on a guest's
 * kernel command line.
 *
 * Each argument becomes ` unik.arg=<enc>` and each K=V ` unik.env=<enc>`,
 * in order, where <enc> is the string with every byte outside
 * [A-Za-z0-9._~-] written as %XX (upper-case hex).  Guests (our Linux init,
 * the unik runtime) read /proc/cmdline or the boot command line and decode.
 * docs/architecture.md documents the format; keep the guest decoders in step.
 */
#ifndef UNIK_BOOTARGS_H
#define UNIK_BOOTARGS_H

#include "strbuf.h"
#include "strv.h"

/* Appends the encoded arguments and environment to `cmdline`. */
void bootargs_append(struct strbuf *cmdline, const struct strv *args, const struct strv *env);
/* Appends the %XX-encoding of `s` to `out`. */
void bootargs_encode(struct strbuf *out, const char *s);
/* Appends the unik runtime's diagnostic words: " unik.verbose" (its boot
 * lines) and " unik.strace" (every system call with its result). */
void bootargs_diag(struct strbuf *cmdline, int verbose, int trace);
/* Decodes `s` (len bytes) into `out`; returns -1 on a malformed escape. */
int bootargs_decode(struct strbuf *out, const char *s, size_t len);

#endif
