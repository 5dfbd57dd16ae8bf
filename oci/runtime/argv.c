/* argv.c - what unik-runtime reads of its operands, and the hand-off of a
 * command line that is not unik's to runc. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/run.h"
#include "../../lib/xalloc.h"
#include "rt.h"

/* The flags of runc's commands that take a value as the next argument. */
static int takes_value(const char *cmd, const char *a)
{
	static const char *const any[] = { "--bundle",
					   "-b",
					   "--pid-file",
					   "--console-socket",
					   "--process",
					   "-p",
					   "--cwd",
					   "--env",
					   "-e",
					   "--user",
					   "-u",
					   "--preserve-fds",
					   "--cap",
					   "-c",
					   "--interval",
					   "--resources",
					   "-r",
					   "--label",
					   "--apparmor",
					   "--process-label",
					   "--cgroup",
					   "--memory",
					   "--cpu-shares",
					   "--pids-limit",
					   "--image-path",
					   "--work-path",
					   "--parent-path",
					   "--page-server" };

	if (!strcmp(cmd, "ps") && (!strcmp(a, "--format") || !strcmp(a, "-f")))
		return 1;
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		if (!strcmp(a, any[i]))
			return 1;
	return 0;
}

const char *rt_operand_id(int argc, char **argv, int first)
{
	const char *cmd = argv[first - 1];

	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (argv[i][0] != '-' || !argv[i][1])
			return argv[i];
		if (!strchr(argv[i], '=') && takes_value(cmd, argv[i]))
			i++;
	}
	return NULL;
}

int rt_exec_runc(const struct rt_ctx *ctx)
{
	const char *conf = unik_config_get(&ctx->cfg, "runtime.runc", NULL);
	char *path = conf ? xstrdup(conf) : run_which("runc");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (!path) {
		rt_error("this bundle holds no unik image and runc is not in PATH "
			 "(set runtime.runc in the configuration)");
		return 127;
	}
	if (n > 0) {
		char real[PATH_MAX];

		self[n] = 0;
		if (realpath(path, real) && !strcmp(real, self)) {
			rt_error("runtime.runc names unik-runtime itself (%s)", path);
			free(path);
			return 127;
		}
	}
	ctx->argv[0] = path;
	execv(path, ctx->argv);
	rt_error("exec %s: %s", path, strerror(errno));
	free(path);
	return 127;
}
