/* program.h - building the program of an upload into one static
 * executable, shared by the compilers that run a C program (linux, c). */
#ifndef UNIK_COMPILER_PROGRAM_H
#define UNIK_COMPILER_PROGRAM_H

#include "../compiler.h"

/* Builds the program of spec->src_dir into a static executable with the
 * compiler driver `cc` (NULL: Debian's musl-gcc); *app_out gets its path
 * (new string).  The rule: with a Makefile, `make CC=<cc> LDFLAGS=-static`
 * in the source folder must leave an executable named "app", named like
 * the image, or be the only new executable in the top folder; without one,
 * every top-level *.c is compiled together with `<cc> -static -O2`. */
/* One line of the build's progress (printf-style) to spec->log, if any. */
void compiler_progress(const struct unik_build_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int compiler_program_build(const struct unik_build_spec *spec, const char *cc, char **app_out,
			   struct unik_err *err);

/* The driver of unik's musl (runtime/musl: Debian's musl with system calls
 * made through a pointer, which stays `syscall` under a Linux kernel) in
 * the runtime folder, or NULL when make has not built it there.  New
 * string.  Both the c and the linux compiler prefer it to Debian's
 * musl-gcc, so one program has one libc on every target. */
char *compiler_unik_musl_gcc(const char *runtime_dir);

/* 0 when `path` is an x86-64 ELF executable without an interpreter
 * (statically linked), else -1 (INVALID) saying what it is. */
int compiler_program_check_static(const char *path, struct unik_err *err);

#endif
