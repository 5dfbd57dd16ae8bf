/* main.c - unik-runtime's command line: runc's global flags and commands
 * (as containerd's runc shim v2, Docker and Podman call them).  Bundles and
 * containers that are not unik's are handed to runc with the same argv. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/run.h"
#include "../../lib/xalloc.h"
#include "rt.h"

static void usage(void)
{
	printf("usage: unik-runtime [global options] COMMAND [options] ID\n"
	       "An OCI runtime (runc's command line) for bundles whose rootfs holds a unik\n"
	       "image (/unik/image.json); other bundles are handed to runc.\n"
	       "Global options: --root DIR (default " RT_DEFAULT_ROOT "), --log FILE,\n"
	       "  --log-format text|json, --systemd-cgroup, --debug (accepted)\n"
	       "Commands:\n"
	       "  create [--bundle DIR] [--pid-file F] [--console-socket S] ID\n"
	       "  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID\n"
	       "  ps [--format json|table] ID | features | list\n"
	       "Configuration: $UNIK_RUNTIME_CONFIG or " RT_DEFAULT_CONFIG
	       " (docs/oci-runtime.md).\n");
}

/* A global flag with a value: "--root DIR" or "--root=DIR". */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc)
			return -1;
		*out = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

static int parse_globals(struct rt_ctx *ctx, int argc, char **argv, int *cmd)
{
	static const char *const with_value[] = { "--criu", "--debug-log" };
	static const char *const bools[] = { "--systemd-cgroup", "--debug", "--rootless=false",
					     "--rootless=true", "--rootless=auto" };
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v = NULL, *fmt = NULL;
		int r, known = 0;

		*cmd = i; /* names the flag in an error */
		if ((r = flag_value(argc, argv, &i, "--root", &v)) != 0) {
			if (r < 0)
				return -1;
			ctx->root = v;
			continue;
		}
		if ((r = flag_value(argc, argv, &i, "--log", &v)) != 0) {
			if (r < 0)
				return -1;
			ctx->log_path = v;
			continue;
		}
		if ((r = flag_value(argc, argv, &i, "--log-format", &fmt)) != 0) {
			if (r < 0 || (strcmp(fmt, "json") && strcmp(fmt, "text")))
				return -1;
			ctx->log_json = !strcmp(fmt, "json");
			continue;
		}
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]) && !known; k++)
			if ((r = flag_value(argc, argv, &i, with_value[k], &v)) != 0) {
				if (r < 0)
					return -1;
				known = 1;
			}
		for (size_t k = 0; k < sizeof(bools) / sizeof(bools[0]) && !known; k++)
			known = !strcmp(argv[i], bools[k]);
		if (!strcmp(argv[i], "--rootless") && i + 1 < argc) {
			i++;
			known = 1;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v") ||
		    !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			*cmd = i;
			return 0;
		}
		if (!known)
			return -1;
	}
	*cmd = i;
	return 0;
}

/* Commands on an existing container: ours when <root>/<id>/unik.json
 * exists, else runc's. */
static int is_ours(struct rt_ctx *ctx, int argc, char **argv, int first)
{
	const char *id = rt_operand_id(argc, argv, first);
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_state st;
	int r;

	if (!id || rt_id_ok(id, &err))
		return 1; /* our own usage error */
	r = rt_state_load(ctx, id, &st, &err);
	if (r > 0)
		rt_state_release(&st);
	return r != 0; /* a broken record is ours to report */
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct rt_ctx *, int, char **);
		int on_container; /* 1: hand to runc when the container is not ours */
	} cmds[] = {
		{ "create", rt_cmd_create, 0 },	    { "start", rt_cmd_start, 1 },
		{ "state", rt_cmd_state, 1 },	    { "kill", rt_cmd_kill, 1 },
		{ "delete", rt_cmd_delete, 1 },	    { "ps", rt_cmd_ps, 1 },
		{ "features", rt_cmd_features, 0 }, { "list", rt_cmd_list, 0 },
	};
	struct rt_ctx ctx = { 0 };
	struct unik_err err = UNIK_ERR_INIT;
	const char *conf = getenv("UNIK_RUNTIME_CONFIG");
	int cmd = 0, rc;

	ctx.argv = argv;
	ctx.argc = argc;
	ctx.root = RT_DEFAULT_ROOT;
	unik_config_init(&ctx.cfg);
	if (parse_globals(&ctx, argc, argv, &cmd) < 0) {
		fprintf(stderr, "unik-runtime: bad global option '%s' (see --help)\n",
			cmd < argc ? argv[cmd] : "");
		return 2;
	}
	rt_log_setup(&ctx);
	if (unik_config_load(&ctx.cfg, conf ? conf : RT_DEFAULT_CONFIG, !conf, &err)) {
		rt_error("%s", err.msg);
		return 1;
	}
	if (cmd >= argc || !strcmp(argv[cmd], "--help") || !strcmp(argv[cmd], "-h") ||
	    !strcmp(argv[cmd], "help")) {
		usage();
		return cmd >= argc ? 2 : 0;
	}
	if (!strcmp(argv[cmd], "--version") || !strcmp(argv[cmd], "-v") ||
	    !strcmp(argv[cmd], "version")) {
		printf("unik-runtime version %s\ncommit: %s\nspec: %s\n", UNIK_VERSION, UNIK_GITREV,
		       RT_OCI_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[cmd], cmds[i].name))
			continue;
		if (cmds[i].on_container && !is_ours(&ctx, argc, argv, cmd + 1))
			return rt_exec_runc(&ctx);
		rc = cmds[i].fn(&ctx, argc - cmd, argv + cmd);
		unik_config_release(&ctx.cfg);
		return rc;
	}
	/* exec, pause, update, events, ...: runc's containers only */
	if (!is_ours(&ctx, argc, argv, cmd + 1))
		return rt_exec_runc(&ctx);
	rt_error("'%s' is not supported for unik containers", argv[cmd]);
	return 1;
}
