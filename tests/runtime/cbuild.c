/* cbuild.c - builds a folder with the "c" compiler plugin, as the daemon
 * would, and prints the image path.  Used by tests/runtime/run-tests.
 *   cbuild SRC_DIR OUT_DIR WORK_DIR NAME */
#include <stdio.h>

#include "compilers/c/c.h"

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

	if (argc != 5) {
		fprintf(stderr, "usage: cbuild SRC_DIR OUT_DIR WORK_DIR NAME\n");
		return 2;
	}
	spec.src_dir = argv[1];
	spec.out_dir = argv[2];
	spec.work_dir = argv[3];
	spec.name = argv[4];
	spec.log = log_line;
	unik_build_result_init(&res);
	if (unik_compiler_c.build(&spec, &res, &err) < 0) {
		fprintf(stderr, "cbuild: %s\n", err.msg);
		return 1;
	}
	printf("%s %s %d\n", res.format, res.kernel, res.memory_mb);
	unik_build_result_release(&res);
	return 0;
}
