/* tool.h - running a VM manager's command-line tool (xl, VBoxManage) and
 * waiting for it, bounded: what providers that drive a toolstack share. */
#ifndef UNIK_PROVIDERS_TOOL_H
#define UNIK_PROVIDERS_TOOL_H

#include "../../lib/error.h"
#include "../../lib/strbuf.h"

#define TOOL_ARGS_MAX 63 /* arguments after argv[0] */

/* Runs argv[0] (searched in PATH) with argv (NULL-terminated, at most
 * TOOL_ARGS_MAX after argv[0]), stdin /dev/null, stdout and stderr together
 * appended to *out (may be NULL; at most 256 KiB kept), killed after
 * timeout_s: 0 when it exits 0, else -1 with err (UNAVAILABLE) naming the
 * command (`what`: "xen", "virtualbox") and the end of its output;
 * UNAVAILABLE "cannot run" when it is not installed (`hint` says where it
 * comes from). */
int tool_run(const char *what, const char *hint, const char *const *argv, int timeout_s,
	     struct strbuf *out, struct unik_err *err);

#endif
