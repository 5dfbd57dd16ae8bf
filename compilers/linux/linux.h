/* linux.h - internals of the "linux" compiler, shared by its files.
 *
 * The compiler makes a static musl binary of the upload (program.c), packs
 * it with our init into an initramfs (initrd.c), and pairs that with
 * Debian's cloud kernel (linux.c).
 */
#ifndef UNIK_COMPILER_LINUX_H
#define UNIK_COMPILER_LINUX_H

#include "../compiler.h"

/* Guest pieces from the configuration (borrowed strings). */
struct linux_guest {
	const char *kernel; /* linux.kernel: the bzImage */
	const char *init; /* linux.init: our static init */
	const char *modules; /* linux.modules: folder of *.ko the init loads; "" for none */
};

/* Looks the guest pieces up in `cfg` (NULL: the built-in defaults). */
void linux_guest_get(const struct unik_config *cfg, struct linux_guest *g);

/* Builds the program of spec->src_dir into a static executable with the
 * compiler driver `cc` (NULL: Debian's musl-gcc); *app_out gets its path
 * (new string).  The rule: with a Makefile, `make CC=<cc> LDFLAGS=-static`
 * in the source folder must leave an executable named "app", named like
 * the image, or be the only new executable in the top folder; without one,
 * every top-level *.c is compiled together with `<cc> -static -O2`. */
int linux_program_build(const struct unik_build_spec *spec, const char *cc, char **app_out,
			struct unik_err *err);

/* Writes the initramfs `out_path`: /init, /app, the kernel modules under
 * /unik/modules, /dev/console, and the contents of spec->src_dir/files. */
int linux_initrd_pack(const struct unik_build_spec *spec, const struct linux_guest *g,
		      const char *app, const char *out_path, struct unik_err *err);

extern const struct unik_compiler unik_compiler_linux;

#endif
