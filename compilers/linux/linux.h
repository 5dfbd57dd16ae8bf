/* linux.h - internals of the "linux" compiler, shared by its files.
 *
 * The compiler makes a static musl binary of the upload
 * (compilers/common/program.c), packs
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

/* Writes the initramfs `out_path`: /init, /app, the kernel modules under
 * /unik/modules, /dev/console, and the contents of spec->src_dir/files. */
int linux_initrd_pack(const struct unik_build_spec *spec, const struct linux_guest *g,
		      const char *app, const char *out_path, struct unik_err *err);

extern const struct unik_compiler unik_compiler_linux;

#endif
