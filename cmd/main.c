/* main.c - unik, the command-line client of unikd: global options, the
 * command table, and the runner shared by every command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "cmd.h"

#ifndef UNIK_GITREV
#define UNIK_GITREV "unknown"
#endif

/* In the order of `unik --help`. */
/* clang-format off */
const struct cmd *const unik_commands[] = {
	&cmd_build,		/* cmd_build.c */
	&cmd_images, &cmd_rmi,	/* cmd_images.c */
	&cmd_export,		/* cmd_export.c */
	&cmd_stage,		/* cmd_stage.c */
	&cmd_push, &cmd_pull, &cmd_tag, /* cmd_oci.c */
	&cmd_save, &cmd_load, &cmd_login, &cmd_logout, /* cmd_save.c */
	&cmd_run,		/* cmd_run.c */
	&cmd_ps, &cmd_logs, &cmd_stop, &cmd_start, &cmd_rm, &cmd_wait, /* cmd_instances.c */
	&cmd_kill, &cmd_restart,	/* cmd_kill.c */
	&cmd_inspect,		/* cmd_inspect.c */
	&cmd_cp,		/* cmd_cp.c */
	&cmd_system, &cmd_container, &cmd_image, /* cmd_prune.c */
	&cmd_completion,	/* cmd_completion.c */
	&cmd_volume,		/* cmd_volumes.c */
	&cmd_events,		/* cmd_events.c */
	&cmd_stats,		/* cmd_stats.c */
	&cmd_compose,		/* cmd_compose.c */
	&cmd_compilers, &cmd_providers, &cmd_version, &cmd_daemon, /* cmd_system.c */
	NULL,
};
/* clang-format on */

struct global_opts {
	const char *host;
	const char *token;
	int tlsverify;
	const char *tlscacert, *tlscert, *tlskey;
	int version;
};

const struct opt unik_global_options[] = {
	OPT_STRING('H', "host", NULL, struct global_opts, host, "URL",
		   "the daemon: unix:///path/to/unikd.sock or http://HOST:PORT"),
	OPT_STRING(0, "token", NULL, struct global_opts, token, "TOKEN",
		   "bearer token for a daemon on TCP"),
	OPT_BOOL(0, "tlsverify", NULL, struct global_opts, tlsverify,
		 "use TLS and verify the daemon against --tlscacert (also UNIK_TLS_VERIFY)"),
	OPT_STRING(0, "tlscacert", NULL, struct global_opts, tlscacert, "FILE",
		   "CA certificate the daemon's must chain to (default $UNIK_CERT_PATH/ca.pem)"),
	OPT_STRING(0, "tlscert", NULL, struct global_opts, tlscert, "FILE",
		   "client certificate (default $UNIK_CERT_PATH/cert.pem)"),
	OPT_STRING(0, "tlskey", NULL, struct global_opts, tlskey, "FILE",
		   "client key (default $UNIK_CERT_PATH/key.pem)"),
	OPT_BOOL('v', "version", NULL, struct global_opts, version, "print the client version"),
	OPT_END(),
};

static const struct opt no_options[] = { OPT_END() };

static const struct cmd *find_cmd(const char *name)
{
	for (const struct cmd *const *c = unik_commands; *c; c++)
		if (!strcmp((*c)->name, name) || ((*c)->alias && !strcmp((*c)->alias, name)))
			return *c;
	return cmd_volume_alias(name);
}

static int check_nargs(const struct cmd *c, int n)
{
	if (n < c->min_args)
		return cmd_usage_error(c, "requires %s %d argument%s",
				       c->min_args == c->max_args ? "exactly" : "at least",
				       c->min_args, c->min_args == 1 ? "" : "s");
	if (c->max_args >= 0 && n > c->max_args)
		return c->max_args ? cmd_usage_error(c, "accepts at most %d argument%s",
						     c->max_args, c->max_args == 1 ? "" : "s")
				   : cmd_usage_error(c, "accepts no arguments");
	return 0;
}

static int run_cmd(const struct cmd *c, const struct global_opts *g, int argc, char **argv)
{
	const struct opt *opts = c->opts ? c->opts : no_options;
	const char *host = g->host ? g->host : getenv("UNIK_HOST");
	const char *token = g->token ? g->token : getenv("UNIK_TOKEN");
	const struct client_tls tls = { g->tlsverify, g->tlscacert, g->tlscert, g->tlskey };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_client cl;
	struct cmd_ctx ctx = { &cl, host && *host, c };
	void *values = xcalloc(1, c->opts_size ? c->opts_size : 1);
	unsigned flags = c->flags & CMD_PROGRAM_ARGS ? OPTS_STOP_AT_ARG : 0;
	int n = argc, status;

	memset(&cl, 0, sizeof(cl));
	if (!(c->flags & CMD_RAW_ARGS)) {
		opts_defaults(opts, values);
		n = opts_parse(opts, flags, argc, argv, values, &err);
	}
	if (n == OPTS_HELP) {
		cmd_print_help(c, stdout);
		status = 0;
	} else if (n < 0) {
		status = cmd_usage_error(c, "%s", err.msg);
	} else if (!(c->flags & CMD_RAW_ARGS) && (status = check_nargs(c, n))) {
		/* reported */
	} else if (client_init(&cl, host, token, &tls, &err)) {
		cmd_error(&err);
		status = 1;
	} else {
		status = c->fn(&ctx, values, n, argv);
	}
	client_release(&cl);
	opts_release(opts, values);
	free(values);
	fflush(stdout);
	return status;
}

/* Docker commands a unikernel has no counterpart for: what it offers instead. */
static const struct {
	const char *name, *instead;
} docker_only[] = {
	{ "exec",
	  "a unikernel runs one program and has no shell or other processes to start in "
	  "it.\nInstead: 'unik logs -f INSTANCE' for its output, 'unik run -e KEY=VALUE' for "
	  "its environment, files/ beside the sources or 'unik run -v VOLUME:/path' for its "
	  "files, and 'unik stop'/'unik run' to change them" },
	{ "attach", "the program's console is a log, not a terminal to attach to.\nInstead: "
		    "'unik logs -f INSTANCE' follows its output (standard output and standard "
		    "error apart); 'unik run' without -d stays attached from the start, and "
		    "'unik run -i' (-it) gives the program your input" },
};

/* 1 if `name` is a Docker command unik has no counterpart for (said why). */
static int docker_only_command(const char *name)
{
	for (size_t i = 0; i < sizeof(docker_only) / sizeof(docker_only[0]); i++)
		if (!strcmp(name, docker_only[i].name)) {
			fprintf(stderr, "unik: there is no 'unik %s': %s.\n", name,
				docker_only[i].instead);
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	struct global_opts g = { NULL, NULL, 0, NULL, NULL, NULL, 0 };
	struct unik_err err = UNIK_ERR_INIT;
	const struct cmd *c;
	int n;

	n = opts_parse(unik_global_options, OPTS_STOP_AT_ARG, argc - 1, argv + 1, &g, &err);
	if (n == OPTS_HELP) {
		cmd_print_main_help(unik_commands, unik_global_options, stdout);
		return 0;
	}
	if (n < 0) {
		fprintf(stderr, "unik: %s\nSee 'unik --help'.\n", err.msg);
		return CMD_USAGE_STATUS;
	}
	if (g.version) {
		printf("unik version %s (git %s)\n", UNIK_VERSION, UNIK_GITREV);
		return 0;
	}
	if (n == 0) {
		cmd_print_main_help(unik_commands, unik_global_options, stderr);
		return CMD_USAGE_STATUS;
	}
	if (!strcmp(argv[1], "help")) {
		if (n == 1) {
			cmd_print_main_help(unik_commands, unik_global_options, stdout);
			return 0;
		}
		if (!strcmp(argv[2], "--man")) {
			c = n > 2 ? find_cmd(argv[3]) : NULL;
			if (n == 2)
				cmd_print_main_man(unik_commands, unik_global_options, stdout);
			else if (c)
				cmd_print_man(c, stdout);
			else
				fprintf(stderr, "unik: no such command '%s'. See 'unik --help'.\n",
					argv[3]);
			return n == 2 || c ? 0 : CMD_USAGE_STATUS;
		}
		c = find_cmd(argv[2]);
		if (c)
			cmd_print_help(c, stdout);
		else
			fprintf(stderr, "unik: no such command '%s'. See 'unik --help'.\n",
				argv[2]);
		return c ? 0 : CMD_USAGE_STATUS;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		if (!docker_only_command(argv[1]))
			fprintf(stderr, "unik: '%s' is not a unik command.\nSee 'unik --help'.\n",
				argv[1]);
		return CMD_USAGE_STATUS;
	}
	return run_cmd(c, &g, n - 1, argv + 2);
}
