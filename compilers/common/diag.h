/* diag.h - a build tool's messages as the user should read them: paths in
 * the user's build context relative to it, the host's toolchain and the
 * build folder's other paths without their folders (no /usr/lib/gcc/...,
 * no state or sandbox paths), and every message once (the streamed log has
 * them; the error names only the tool and its status). */
#ifndef UNIK_COMPILER_DIAG_H
#define UNIK_COMPILER_DIAG_H

#include "../../lib/error.h"
#include "../../lib/strbuf.h"
#include "../compiler.h"

/* What a tool's output lines pass through on their way to the build log. */
struct diag_log {
	unik_log_fn log; /* the build's log (may be NULL: nothing is logged) */
	void *log_ctx;
	const char *src_dir; /* the user's sources: paths below it become relative */
	const char *work_dir; /* the build's own folder (NULL: none): relative too */
	const char *tool_dir; /* the toolchain's root (NULL: none): paths by name */
};

/* `line` with its absolute paths rewritten into `out`: below src_dir or
 * work_dir relative to it; below tool_dir, the host's system folders (/usr,
 * /lib, /lib64, /opt) or a compiler's temporary file (/tmp/cc*) by their
 * last component; any other path (one the user's code names) as it is. */
void compiler_diag_rewrite(const char *line, const struct diag_log *dl, struct strbuf *out);
/* The root of the toolchain whose driver is `cc`: two folders above it when
 * it is a path (/x/musl of /x/musl/bin/musl-gcc), else NULL.  NEW string. */
char *compiler_diag_tool_dir(const char *cc);
/* A run_opts log callback: ctx is a struct diag_log. */
void compiler_diag_line(void *ctx, const char *line);
/* After a tool failed (run_command): when its output went to the log, the
 * error keeps only its first line ("'cc' exited with status 1"), paths
 * rewritten, instead of repeating the output. */
void compiler_diag_error(const struct diag_log *dl, struct unik_err *err);
/* The last component of a tool's path ("musl-gcc" of /usr/bin/musl-gcc). */
const char *compiler_diag_tool(const char *path);

#endif
