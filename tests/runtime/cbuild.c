/* cbuild.c - builds a folder with a compiler plugin, as the daemon would
 * (in a build sandbox with the default configuration), and prints the
 * image.  Used by the runtime, monitor and net tests and the benchmarks.
 *   cbuild SRC_DIR OUT_DIR WORK_DIR NAME [COMPILER]
 * COMPILER is "c" (the default), "go" or "linux".  The build runs on a copy of
 * SRC_DIR in a folder of its own under /tmp (one the build user can
 * reach); the artifacts are copied to OUT_DIR.  Prints "FORMAT KERNEL
 * MEMORY_MB", and " INITRD" when there is one.  The build's scratch folder
 * is a folder of its own; of it, WORK_DIR gets only unik-image.elf when
 * there is one (the unik-elf image with its symbols, for profiles). */
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "compilers/compiler.h"
#include "lib/fsutil.h"
#include "lib/xalloc.h"

extern char **environ;

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "build: %s\n", line);
}

/* cp -a SRC/. DST: the test's own sources, as root, before the build. */
static int copy_tree(const char *src, const char *dst)
{
	char *from = xasprintf("%s/.", src);
	char *argv[] = { "cp", "-a", "--", from, (char *)dst, NULL };
	int status = -1;
	pid_t pid;

	if (posix_spawnp(&pid, "cp", NULL, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	free(from);
	return status == 0 ? 0 : -1;
}

/* Copies an artifact to OUT_DIR; its new path. */
static char *export(const char *path, const char *out_dir, struct unik_err *err)
{
	char *copy = xstrdup(path);
	char *dst = xasprintf("%s/%s", out_dir, basename(copy));

	free(copy);
	if (fs_copy_file(path, dst, 0644, err) < 0) {
		free(dst);
		return NULL;
	}
	return dst;
}

int main(int argc, char **argv)
{
	struct unik_build_result res;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_build_spec spec = { 0 };
	const struct unik_compiler *c;
	struct unik_config cfg;
	struct sandbox_conf sc;
	struct sandbox sb;
	char tmpl[] = "/tmp/unik-cbuild.XXXXXX";
	char *dir, *src = NULL, *out = NULL, *work = NULL, *kernel = NULL, *initrd = NULL;
	int rc = 1;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: cbuild SRC_DIR OUT_DIR WORK_DIR NAME [COMPILER]\n");
		return 2;
	}
	c = unik_compiler_find(argc == 6 ? argv[5] : "c");
	dir = mkdtemp(tmpl);
	if (!c || !dir) {
		fprintf(stderr, "cbuild: no such compiler, or no folder for the build\n");
		return 1;
	}
	src = xasprintf("%s/src", dir);
	out = xasprintf("%s/out", dir);
	work = xasprintf("%s/work", dir);
	unik_config_init(&cfg);
	unik_build_result_init(&res);
	if (mkdir(src, 0700) < 0 || mkdir(out, 0700) < 0 || mkdir(work, 0700) < 0 ||
	    copy_tree(argv[1], src) < 0) {
		fprintf(stderr, "cbuild: cannot copy %s into %s\n", argv[1], dir);
		goto done;
	}
	if (sandbox_conf_load(&sc, &cfg, &err) < 0) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
		goto done;
	}
	if (sandbox_open(&sb, &sc, dir, &err) < 0) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
		sandbox_conf_release(&sc);
		goto done;
	}
	spec.src_dir = src;
	spec.out_dir = out;
	spec.work_dir = work;
	spec.name = argv[4];
	spec.log = log_line;
	spec.sandbox = &sb;
	if (c->build(&spec, &res, &err) < 0 || !(kernel = export(res.kernel, argv[2], &err)) ||
	    (res.initrd && !(initrd = export(res.initrd, argv[2], &err)))) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
	} else {
		/* the image with its symbols (profiles) and the payload's
		 * assembler (its system-call table: tests/lib/app_plan.py) */
		const char *keep[] = { "unik-image.elf", "unik-payload.S" };

		printf("%s %s %d%s%s\n", res.format, kernel, res.memory_mb, initrd ? " " : "",
		       initrd ? initrd : "");
		rc = 0;
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			char *p = xasprintf("%s/%s", work, keep[i]);

			if (fs_exists(p))
				free(export(p, argv[3], &err)); /* best effort */
			free(p);
		}
	}
	sandbox_close(&sb);
	sandbox_conf_release(&sc);
done:
	unik_build_result_release(&res);
	unik_config_release(&cfg);
	fs_remove_tree(dir, NULL);
	free(src);
	free(out);
	free(work);
	free(kernel);
	free(initrd);
	return rc;
}
