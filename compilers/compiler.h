/* compiler.h - the compiler plugin interface.
 *
 * A compiler turns a folder of sources into image artifacts.  Each one is
 * a `const struct unik_compiler` in compilers/<name>/, listed once in
 * compilers/registry.c.  The daemon extracts the upload, calls build() in
 * a job thread, then stores the artifacts it names in the blob store.
 * build() runs unprivileged work only (no mounts, no loop devices), and
 * every tool it runs goes through run_command() with spec->sandbox: the
 * build's sandbox, its limits and its cancel switch (lib/sandbox.h).
 */
#ifndef UNIK_COMPILER_H
#define UNIK_COMPILER_H

#include "../lib/config.h"
#include "../lib/error.h"
#include "../lib/sandbox.h"
#include "../lib/strv.h"

/* Progress lines of a build; the daemon turns each into a job event. */
typedef void (*unik_log_fn)(void *ctx, const char *line);

struct unik_build_spec {
	const char *src_dir; /* the extracted upload; the compiler may write here */
	const char *out_dir; /* empty folder for the artifacts */
	const char *work_dir; /* empty scratch folder, removed afterwards */
	const char *name; /* image name */
	const struct unik_config *cfg;
	unik_log_fn log;
	void *log_ctx;
	/* where tools run: the folder holding src_dir, out_dir and work_dir is
	 * there, read-only but for the folders each command names as writable
	 * (run_opts.writable: the user's Makefile must never write where unikd
	 * writes afterwards); other host folders a compiler's tools read must be
	 * allowed with sandbox_allow_read() */
	struct sandbox *sandbox;
};

/* What build() produced; paths are inside out_dir, owned by the struct. */
struct unik_build_result {
	char *format; /* artifact layout: "linux-initrd" (kernel+initrd), "unik-elf" */
	char *kernel; /* path of the bootable kernel/ELF */
	char *initrd; /* path of the initrd, or NULL */
	int memory_mb; /* default guest memory this image needs */
};

void unik_build_result_init(struct unik_build_result *r);
void unik_build_result_release(struct unik_build_result *r);

struct unik_compiler {
	const char *name;
	const char *description;
	/* Can this compiler run here?  0, or -1 with the reason in err. */
	int (*probe)(const struct unik_config *cfg, struct unik_err *err);
	/* How well it fits `src_dir`: 0 = not at all; highest wins when the
	 * user names no compiler. */
	int (*detect)(const char *src_dir);
	int (*build)(const struct unik_build_spec *spec, struct unik_build_result *out,
		     struct unik_err *err);
};

/* The registration table (compilers/registry.c). */
extern const struct unik_compiler *const unik_compilers[];

const struct unik_compiler *unik_compiler_find(const char *name);
/* The best match for src_dir, or NULL. */
const struct unik_compiler *unik_compiler_detect(const char *src_dir);

#endif
