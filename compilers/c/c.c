/* c.c - the "c" compiler: a C program as a true unikernel.
 *
 * The folder's *.c files (or its Makefile, with CC=musl-gcc) become a
 * static musl executable, which is linked with the unik runtime and the
 * folder's files/ into one bootable ELF: format "unik-elf", artifact
 * out_dir/unik.elf (no initrd).  No Linux kernel is involved.
 *
 * The musl is ours when make has built it next to the runtime
 * (<runtime>/musl, runtime/musl/): its system calls are direct calls into
 * the runtime.  Without it Debian's musl-gcc is used, whose system calls
 * reach the runtime through its trap path (slower on spt); the build log
 * says which.
 */
#include "c.h"
#include "../common/files.h"
#include "../common/pack.h"
#include "../common/program.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/xalloc.h"

/* Small programs boot in far less; the heap grows from what is left. */
#define C_BASE_MEMORY_MB 32
/* Above the linux compiler (10): the default for folders of C sources. */
#define C_DETECT_SCORE 20

static int need_tool(const char *name, const char *pkg, struct unik_err *err)
{
	char *p = run_which(name);

	if (!p)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "%s is not installed (apt-get install %s)", name, pkg);
	free(p);
	return 0;
}

static int c_probe(const struct unik_config *cfg, struct unik_err *err)
{
	const char *dir = compiler_runtime_dir(cfg);
	char *musl;
	int ok;

	if (compiler_runtime_check(dir, err) < 0)
		return -1;
	musl = compiler_unik_musl_gcc(dir);
	ok = musl ? need_tool("gcc", "gcc", err) : need_tool("musl-gcc", "musl-tools", err);
	free(musl);
	if (ok < 0 || need_tool("as", "binutils", err) < 0 ||
	    need_tool("ld", "binutils", err) < 0 || need_tool("objcopy", "binutils", err) < 0)
		return -1;
	return 0;
}

static int is_c_file(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return e->d_name[0] != '.' && len > 2 && !strcmp(e->d_name + len - 2, ".c");
}

static int c_detect(const char *src_dir)
{
	struct dirent **ents = NULL;
	char *mk = xasprintf("%s/Makefile", src_dir);
	int n = scandir(src_dir, &ents, is_c_file, alphasort);
	int score = fs_exists(mk) || n > 0 ? C_DETECT_SCORE : 0;

	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(mk);
	return score;
}

static int c_build(const struct unik_build_spec *spec, struct unik_build_result *out,
		   struct unik_err *err)
{
	char *app = NULL, *musl = NULL;
	char *files = NULL;
	char *image = xasprintf("%s/%s.elf", spec->out_dir, "unik");
	const char *rt = compiler_runtime_dir(spec->cfg);
	int rc = -1;

	if (c_probe(spec->cfg, err) < 0)
		goto cleanup;
	musl = compiler_unik_musl_gcc(rt);
	sandbox_allow_read(spec->sandbox, rt); /* musl, runtime objects */
	if (spec->log)
		spec->log(spec->log_ctx,
			  musl
			      ? "libc: unik's musl (system calls are direct calls into the runtime)"
			      : "libc: Debian's musl-gcc (unik's musl is not built: system calls "
				"take the runtime's trap path)");
	compiler_files_note_strays(spec);
	if (compiler_program_build(spec, musl, &app, err) < 0 ||
	    compiler_files_tree(spec, &files, err) < 0)
		goto cleanup;
	if (spec->log) {
		char *what = compiler_files_summary(spec, files);

		spec->log(spec->log_ctx, what);
		free(what);
		spec->log(spec->log_ctx, "linking with the unik runtime");
	}
	{
		struct pack_spec ps = { .runtime_dir = rt,
					.app = app,
					.files_dir = files,
					.name = spec->name,
					.work_dir = spec->work_dir,
					.out_path = image,
					.sockets = PACK_SOCKETS_BY_SYMBOLS };

		if (compiler_pack_image(&ps, spec->sandbox, spec->log, spec->log_ctx, err) < 0)
			goto cleanup;
	}
	compiler_pack_result(spec, &image, C_BASE_MEMORY_MB, out);
	rc = 0;
cleanup:
	free(app);
	free(musl);
	free(files);
	free(image);
	return rc;
}

const struct unik_compiler unik_compiler_c = {
	.name = "c",
	.description = "C program linked with the unik runtime: one bootable ELF, no Linux kernel",
	.probe = c_probe,
	.detect = c_detect,
	.build = c_build,
};
