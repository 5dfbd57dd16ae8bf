/* linux.c - the "linux" compiler: a C program as a static musl binary on
 * Debian's cloud kernel, booted from an initramfs with our own init.
 *
 * It suits programs the unik runtime cannot run yet.  The image is the
 * format "linux-initrd": out_dir/vmlinuz and out_dir/initrd.cpio.
 *
 * The libc is the `c` compiler's when make has built it (unik's musl in
 * the runtime folder, c.runtime: under a Linux kernel its system calls are
 * `syscall` instructions), so that a program has the same libc as a
 * unikernel and as a Linux image; else Debian's musl-gcc.
 */
#include "linux.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../api/formats.h"
#include "../../lib/xalloc.h"
#include "../common/pack.h"
#include "../common/program.h"

/* Measured with Debian's cloud kernel on microvm: 64 MB do not boot, 72 MB
 * do; 96 MB leave the program about 50 MB.  The initramfs is held twice
 * while it is unpacked. */
#define LINUX_BASE_MEMORY_MB 96
#define LINUX_DETECT_SCORE 10

static const char *cfg_get(const struct unik_config *cfg, const char *key, const char *def)
{
	return cfg ? unik_config_get(cfg, key, def) : def;
}

void linux_guest_get(const struct unik_config *cfg, struct linux_guest *g)
{
	g->kernel = cfg_get(cfg, "linux.kernel", UNIK_DATADIR "/vmlinuz");
	g->init = cfg_get(cfg, "linux.init", UNIK_DATADIR "/linux-init");
	g->modules = cfg_get(cfg, "linux.modules", UNIK_DATADIR "/linux-modules");
}

static int need_file(const char *what, const char *key, const char *path, struct unik_err *err)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return unik_err_set(err, UNIK_E_UNAVAILABLE,
			    "%s %s is missing (set %s, or run 'make guest' to fetch and build it)",
			    what, path, key);
}

static int linux_probe(const struct unik_config *cfg, struct unik_err *err)
{
	struct linux_guest g;
	struct stat st;
	char *cc;

	linux_guest_get(cfg, &g);
	if (need_file("guest kernel", "linux.kernel", g.kernel, err) < 0 ||
	    need_file("guest init", "linux.init", g.init, err) < 0)
		return -1;
	if (*g.modules && (stat(g.modules, &st) < 0 || !S_ISDIR(st.st_mode)))
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "guest kernel modules %s are missing (set linux.modules, "
				    "or run 'make guest')",
				    g.modules);
	cc = compiler_unik_musl_gcc(compiler_runtime_dir(cfg));
	if (cc) {
		free(cc);
		cc = run_which("gcc");
		if (!cc)
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "gcc is not installed (apt-get install gcc)");
	} else {
		cc = run_which("musl-gcc");
		if (!cc)
			return unik_err_set(
			    err, UNIK_E_UNAVAILABLE,
			    "musl-gcc is not installed (apt-get install musl-tools)");
	}
	free(cc);
	return 0;
}

static int is_c_file(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return len > 2 && !strcmp(e->d_name + len - 2, ".c");
}

static int linux_detect(const char *src_dir)
{
	struct dirent **ents = NULL;
	char *mk = xasprintf("%s/Makefile", src_dir);
	int n = scandir(src_dir, &ents, is_c_file, alphasort);
	int score = fs_exists(mk) || n > 0 ? LINUX_DETECT_SCORE : 0;

	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(mk);
	return score;
}

static int linux_build(const struct unik_build_spec *spec, struct unik_build_result *out,
		       struct unik_err *err)
{
	struct linux_guest g;
	char *app = NULL, *musl = NULL;
	char *kernel = xasprintf("%s/vmlinuz", spec->out_dir);
	char *initrd = xasprintf("%s/initrd.cpio", spec->out_dir);
	long long size;
	int rc = -1;

	linux_guest_get(spec->cfg, &g);
	if (linux_probe(spec->cfg, err) < 0)
		goto cleanup;
	musl = compiler_unik_musl_gcc(compiler_runtime_dir(spec->cfg));
	if (musl)
		sandbox_allow_read(spec->sandbox, compiler_runtime_dir(spec->cfg));
	compiler_progress(spec, "%s",
			  musl ? "libc: unik's musl (the c compiler's)"
			       : "libc: Debian's musl-gcc (unik's musl is not built)");
	if (compiler_program_build(spec, musl, &app, err) < 0)
		goto cleanup;
	if (spec->log)
		spec->log(spec->log_ctx, "packing initramfs with /init and /app");
	if (linux_initrd_pack(spec, &g, app, initrd, err) < 0)
		goto cleanup;
	if (spec->log)
		spec->log(spec->log_ctx, "adding kernel");
	if (fs_copy_file(g.kernel, kernel, 0644, err) < 0)
		goto cleanup;
	size = fs_file_size(initrd);
	unik_build_result_release(out);
	out->format = xstrdup(UNIK_FORMAT_LINUX_INITRD);
	out->kernel = kernel;
	out->initrd = initrd;
	out->memory_mb = LINUX_BASE_MEMORY_MB + (int)(2 * (size > 0 ? size : 0) >> 20);
	kernel = initrd = NULL;
	rc = 0;
cleanup:
	free(app);
	free(musl);
	free(kernel);
	free(initrd);
	return rc;
}

const struct unik_compiler unik_compiler_linux = {
	.name = "linux",
	.description = "C program as a static musl binary on a minimal Linux (initramfs)",
	.probe = linux_probe,
	.detect = linux_detect,
	.build = linux_build,
};
