/* cbuild.c - builds a folder with the "c" compiler plugin, as the daemon
 * would (in a build sandbox with the default configuration), and prints
 * the image path.  Used by tests/runtime/run-tests.
 *   cbuild SRC_DIR OUT_DIR WORK_DIR NAME
 * The sandbox's folder is SRC_DIR's parent, which must hold all three. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>

#include "compilers/c/c.h"
#include "lib/xalloc.h"

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "build: %s\n", line);
}

int main(int argc, char **argv)
{
	struct unik_build_result res;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_build_spec spec = { 0 };
	struct unik_config cfg;
	struct sandbox_conf sc;
	struct sandbox sb;
	char *parent;
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: cbuild SRC_DIR OUT_DIR WORK_DIR NAME\n");
		return 2;
	}
	unik_config_init(&cfg);
	parent = xstrdup(argv[1]);
	if (sandbox_conf_load(&sc, &cfg, &err) < 0 ||
	    sandbox_open(&sb, &sc, dirname(parent), &err) < 0) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
		return 1;
	}
	spec.sandbox = &sb;
	spec.src_dir = argv[1];
	spec.out_dir = argv[2];
	spec.work_dir = argv[3];
	spec.name = argv[4];
	spec.log = log_line;
	unik_build_result_init(&res);
	if (unik_compiler_c.build(&spec, &res, &err) < 0) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
	} else {
		printf("%s %s %d\n", res.format, res.kernel, res.memory_mb);
		rc = 0;
	}
	unik_build_result_release(&res);
	sandbox_close(&sb);
	sandbox_conf_release(&sc);
	free(parent);
	return rc;
}
