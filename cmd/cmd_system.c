/* cmd_system.c - version, compilers, providers, daemon. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/strv.h"
#include "../lib/xalloc.h"
#include "cmd.h"
#include "table.h"

#ifndef UNIK_GITREV
#define UNIK_GITREV "unknown"
#endif

struct list_opts {
	int json;
};

static const struct opt list_options[] = {
	OPT_BOOL(0, "json", NULL, struct list_opts, json, "print the raw JSON"),
	OPT_END(),
};

/* A string member of `j`, or "". */
static const char *str_of(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

/* The strings of an array member, joined with commas (caller frees). */
static char *joined(json_t *j, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	size_t i;

	json_array_foreach (json_object_get(j, key), i, v) {
		if (json_is_string(v))
			strbuf_addf(&sb, "%s%s", sb.len ? "," : "", json_string_value(v));
	}
	return strbuf_detach(&sb);
}

/* GETs a listing that must be a JSON array: NEW reference, or NULL after
 * printing the error. */
static json_t *get_array(struct cmd_ctx *ctx, const char *path)
{
	struct unik_err err = UNIK_ERR_INIT;
	json_t *arr = NULL;

	if (client_json(ctx->client, "GET", path, NULL, &arr, &err)) {
		cmd_error(&err);
		return NULL;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's answer to GET %s is not a list\n", path);
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* ---- version -------------------------------------------------------- */

static int version_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct list_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *server = NULL;
	int rc = client_json(ctx->client, "GET", "/v1/version", NULL, &server, &err);

	if (o->json) {
		json_t *j = json_pack("{s{ssss}sO?}", "client", "version", UNIK_VERSION,
				      "git_commit", UNIK_GITREV, "server", rc ? NULL : server);

		cmd_print_json(j);
		json_decref(j);
	} else {
		printf("Client:\n Version:     %s\n Git commit:  %s\n", UNIK_VERSION, UNIK_GITREV);
		if (!rc)
			printf("\nServer:\n Version:     %s\n API version: %s\n Git commit:  %s\n",
			       str_of(server, "version"), str_of(server, "api_version"),
			       str_of(server, "git_commit"));
	}
	fflush(stdout);
	json_decref(server);
	if (rc)
		cmd_error(&err);
	return rc ? 1 : 0;
}

const struct cmd cmd_version = {
	.name = "version",
	.fn = version_main,
	.opts = list_options,
	.opts_size = sizeof(struct list_opts),
	.max_args = 0,
	.usage = "version [--json]",
	.summary = "Show the version of the client and of the daemon",
	.help = "Without a daemon, prints the client's version and the error, and exits 1.\n",
};

/* ---- compilers ------------------------------------------------------ */

static const char *yes_no(json_t *j, const char *key)
{
	return json_is_true(json_object_get(j, key)) ? "yes" : "no";
}

/* One listing: GET `path`, then the raw JSON or a table of `header` whose
 * cells `row` adds for each member. */
static int list_main(struct cmd_ctx *ctx, const struct list_opts *o, const char *path,
		     const char *header, void (*row)(struct table *, json_t *))
{
	json_t *arr = get_array(ctx, path), *item;
	struct table t;
	size_t i;

	if (!arr)
		return 1;
	if (o->json) {
		cmd_print_json(arr);
		json_decref(arr);
		return 0;
	}
	table_init(&t, header);
	json_array_foreach (arr, i, item) {
		row(&t, item);
	}
	table_print(&t, stdout);
	table_release(&t);
	json_decref(arr);
	return 0;
}

static void compiler_row(struct table *t, json_t *c)
{
	table_cell(t, str_of(c, "name"));
	table_cell(t, yes_no(c, "usable"));
	table_cell(t, str_of(c, "description"));
	table_cell(t, str_of(c, "reason"));
}

static int compilers_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return list_main(ctx, opts, "/v1/compilers", "NAME USABLE DESCRIPTION REASON",
			 compiler_row);
}

const struct cmd cmd_compilers = {
	.name = "compilers",
	.fn = compilers_main,
	.opts = list_options,
	.opts_size = sizeof(struct list_opts),
	.max_args = 0,
	.usage = "compilers [--json]",
	.summary = "List the compilers and whether each is usable here",
};

/* ---- providers ------------------------------------------------------ */

static void provider_row(struct table *t, json_t *p)
{
	char *caps = joined(p, "capabilities"), *formats = joined(p, "formats");

	if (json_is_true(json_object_get(p, "default")))
		table_cellf(t, "%s (default)", str_of(p, "name"));
	else
		table_cell(t, str_of(p, "name"));
	table_cell(t, yes_no(p, "usable"));
	table_cell(t, caps);
	table_cell(t, formats);
	table_cell(t, str_of(p, "reason"));
	free(caps);
	free(formats);
}

static int providers_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return list_main(ctx, opts, "/v1/providers", "NAME USABLE CAPABILITIES FORMATS REASON",
			 provider_row);
}

const struct cmd cmd_providers = {
	.name = "providers",
	.fn = providers_main,
	.opts = list_options,
	.opts_size = sizeof(struct list_opts),
	.max_args = 0,
	.usage = "providers [--json]",
	.summary = "List the providers, their capabilities, and whether each is usable here",
	.help = "REASON says why a provider is not usable on this host.  'unik run' uses the\n"
		"provider marked (default) unless --provider names another.\n",
};

/* ---- daemon --------------------------------------------------------- */

/* unikd next to this executable, else "unikd" from PATH.  NEW string. */
static char *unikd_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *path;

	if (n > 0) {
		self[n] = '\0';
		path = xasprintf("%s/unikd", dirname(self));
		if (!access(path, X_OK))
			return path;
		free(path);
	}
	return xstrdup("unikd");
}

static int has_arg(int argc, char **argv, const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], name, len) && (!argv[i][len] || argv[i][len] == '='))
			return 1;
	return 0;
}

static int daemon_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct strv args = STRV_INIT;
	char *path = unikd_path();
	int help = has_arg(argc, argv, "--help") || has_arg(argc, argv, "-h");

	if (help) {
		cmd_print_help(ctx->cmd, stdout);
		printf("\nThe options of unikd (%s):\n\n", path);
		fflush(stdout);
	}
	strv_push(&args, path);
	/* Listen where this client would look, when --host/UNIK_HOST says where. */
	if (!help && ctx->host_given && ctx->client->socket_path &&
	    !has_arg(argc, argv, "--socket")) {
		strv_push(&args, "--socket");
		strv_push(&args, ctx->client->socket_path);
	}
	for (int i = 0; i < argc; i++)
		strv_push(&args, argv[i]);
	if (strchr(path, '/'))
		execv(path, args.v);
	else
		execvp(path, args.v);
	fprintf(stderr, "unik: cannot run %s: %s%s\n", path, strerror(errno),
		strchr(path, '/') ? "" : " (it is neither next to unik nor in PATH)");
	strv_release(&args);
	free(path);
	return 1;
}

const struct cmd cmd_daemon = {
	.name = "daemon",
	.fn = daemon_main,
	.flags = CMD_RAW_ARGS,
	.max_args = -1,
	.usage = "daemon [UNIKD-OPTION...]",
	.summary = "Run the daemon, unikd, in the foreground",
	.help = "Runs the unikd found next to the unik binary, else the one in PATH, with the\n"
		"given options (see below).  When --host or UNIK_HOST names a unix socket, unikd\n"
		"is told to listen there (--socket), unless the options already say where.\n",
};
