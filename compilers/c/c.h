/* c.h - internals of the "c" compiler: a C program linked with the unik
 * runtime into one bootable ELF (format "unik-elf").
 *
 * The program is built by the same rules as the linux compiler
 * (compilers/common/program.c: the folder's *.c, or its Makefile with
 * CC=musl-gcc); c_pack.c then joins it with the runtime.
 */
#ifndef UNIK_COMPILER_C_H
#define UNIK_COMPILER_C_H

#include "../compiler.h"

/* Where the runtime's pieces are: `c.runtime` in the configuration, else
 * the folder make builds them into (UNIK_DATADIR). Borrowed string. */
const char *c_runtime_dir(const struct unik_config *cfg);

/* Links `app` (a static x86-64 executable), the tree `files_dir` (may be
 * NULL or missing: no files) and the runtime in `runtime_dir` into the
 * bootable ELF `out_path`.  `name` becomes argv[0].  Scratch files go to
 * `work_dir`.  The tools run in `sb` (which must let them read
 * runtime_dir); their output goes to log (may be NULL). */
int c_pack_image(const char *runtime_dir, const char *app, const char *files_dir, const char *name,
		 const char *work_dir, const char *out_path, struct sandbox *sb, unik_log_fn log,
		 void *log_ctx, struct unik_err *err);

extern const struct unik_compiler unik_compiler_c;

#endif
