/* pack.h - the last step of the compilers that make unik-elf images (c,
 * go): a static x86-64 program, its files and the unik runtime linked into
 * one bootable ELF.
 *
 * The program (stripped but for its functions' symbols, which the
 * runtime's fault reports name: app_symbols.h) and a cpio "newc" archive of the files are
 * embedded into the section .unik_payload of a small assembler file, which
 * `ld` links with the runtime's objects (runtime/core/elf_load.c maps the
 * program's segments straight from there at boot). */
#ifndef UNIK_COMPILER_PACK_H
#define UNIK_COMPILER_PACK_H

#include "../compiler.h"

/* Where the runtime's pieces are: `c.runtime` in the configuration, else
 * the folder make builds them into (UNIK_DATADIR).  Borrowed string. */
const char *compiler_runtime_dir(const struct unik_config *cfg);

/* 0 when unik-runtime.o, its linker script, its system-call list and the optional parts are in
 * `runtime_dir`, else -1 (UNAVAILABLE, naming the folder and the fix). */
int compiler_runtime_check(const char *runtime_dir, struct unik_err *err);

/* Which optional parts of the runtime go into the image. */
enum pack_sockets {
	/* by the program's symbol table: the network stack when it defines
	 * musl's socket(), local sockets when socket() or socketpair() (a
	 * program without a symbol table gets both) */
	PACK_SOCKETS_BY_SYMBOLS,
	/* both, always: programs that make sockets with raw system calls (Go) */
	PACK_SOCKETS_ALWAYS,
};

struct pack_spec {
	/* unik-runtime.o, unik-runtime.ld, unik-net.o, unik-unix.o, unik-syscalls.list */
	const char *runtime_dir;
	const char *app; /* the static program */
	const char *files_dir; /* the tree packed at "/"; NULL or missing: none */
	const char *name; /* the image name: argv[0] when plain, else "app" */
	const char *work_dir; /* scratch files */
	const char *out_path; /* the image, a full path in a folder */
	enum pack_sockets sockets;
	const char *sockets_why; /* PACK_SOCKETS_ALWAYS: the build log's reason */
	/* NULL: the system calls the program's musl objects record
	 * (syscall_set.h); else every call, this the build log's reason */
	const char *syscalls_why;
};

/* Packs the image; the tools run in `sb` (which must let them read
 * runtime_dir), their output and the choices made go to log (may be
 * NULL). */
int compiler_pack_image(const struct pack_spec *ps, struct sandbox *sb, unik_log_fn log,
			void *log_ctx, struct unik_err *err);

/* Makes *out the result of a build that packed the unik-elf image at
 * *image (taken: *image becomes NULL), logging its size: memory is
 * base_mb plus twice the image. */
void compiler_pack_result(const struct unik_build_spec *spec, char **image, int base_mb,
			  struct unik_build_result *out);

#endif
