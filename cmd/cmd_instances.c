/* cmd_instances.c - logs, stop, start, rm, wait. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/types.h"
#include "../lib/strbuf.h"
#include "cmd.h"
#include "demux.h"

/* ---- logs ----------------------------------------------------------- */

struct logs_opts {
	int follow;
	const char *tail;
	int timestamps;
	const char *since, *until;
};

static const struct opt logs_options[] = {
	OPT_BOOL('f', "follow", NULL, struct logs_opts, follow,
		 "keep printing the output until the instance exits"),
	OPT_STRING('n', "tail", NULL, struct logs_opts, tail, "N",
		   "only the last N lines (default: all)"),
	OPT_BOOL('t', "timestamps", NULL, struct logs_opts, timestamps,
		 "start each line with the time it was written (RFC 3339, nanoseconds)"),
	OPT_STRING(0, "since", NULL, struct logs_opts, since, "TIME",
		   "only lines written since TIME (Unix seconds, RFC 3339, or a duration "
		   "before now: 10m, 1.5h, 30s)"),
	OPT_STRING(0, "until", NULL, struct logs_opts, until, "TIME",
		   "only lines written before TIME (as --since)"),
	OPT_END(),
};

static int logs_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct logs_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;
	struct cmd_demux demux = CMD_DEMUX_INIT;
	int rc;

	if (o->tail && strcmp(o->tail, "all")) {
		char *end;
		long n;

		errno = 0;
		n = strtol(o->tail, &end, 10);
		if (errno || end == o->tail || *end || n < 0 || n > INT_MAX)
			return cmd_usage_error(ctx->cmd,
					       "--tail expects a number of lines or 'all', "
					       "not '%s'",
					       o->tail);
	}
	cmd_ref_path(&path, "instances", argv[0], "/logs");
	client_query(&path, "framed", "1");
	if (o->follow)
		client_query(&path, "follow", "1");
	if (o->tail && strcmp(o->tail, "all"))
		client_query(&path, "tail", o->tail);
	if (o->timestamps)
		client_query(&path, "timestamps", "1");
	if (o->since)
		client_query(&path, "since", o->since);
	if (o->until)
		client_query(&path, "until", o->until);
	rc = client_stream(ctx->client, strbuf_str(&path), cmd_demux_write, &demux, &err);
	if (rc)
		cmd_error(&err);
	strbuf_release(&path);
	return rc ? 1 : 0;
}

const struct cmd cmd_logs = {
	.name = "logs",
	.fn = logs_main,
	.opts = logs_options,
	.opts_size = sizeof(struct logs_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "logs [-f] [-t] [--since TIME] [--until TIME] [--tail N] INSTANCE",
	.summary = "Print the console output of an instance",
	.help = "INSTANCE is a name or a unique prefix of an id.  With -f the output is printed\n"
		"as it comes, until the instance exits (or Ctrl-C).  The daemon keeps the time\n"
		"each part of the console arrived: -t shows it before each line, --since and\n"
		"--until choose lines by it (--tail counts lines before --since applies).\n"
		"With -t, --since or --until, a last line without its newline shows once it\n"
		"is complete or the instance has exited.\n",
};

/* ---- stop, start, rm ------------------------------------------------ */

struct stop_opts {
	int timeout;
};

static const struct opt stop_options[] = {
	OPT_INT('t', "time", "timeout", struct stop_opts, timeout, "SECS", -1,
		"seconds to wait for a graceful stop before killing (default: the daemon's, 10)"),
	OPT_END(),
};

/* POSTs to /v1/instances/REF/<action> and prints REF, as docker does. */
static int instance_post(struct cmd_ctx *ctx, const char *ref, const char *action, int timeout,
			 struct unik_err *err)
{
	struct strbuf path = STRBUF_INIT;
	char secs[16];
	int rc;

	cmd_ref_path(&path, "instances", ref, action);
	if (timeout >= 0) {
		snprintf(secs, sizeof(secs), "%d", timeout);
		client_query(&path, "timeout", secs);
	}
	rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, err);
	if (!rc)
		printf("%s\n", ref);
	strbuf_release(&path);
	return rc;
}

static int stop_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct stop_opts *o = opts;

	return instance_post(ctx, ref, "/stop", o->timeout, err);
}

static int stop_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct stop_opts *o = opts;

	if (o->timeout < -1)
		return cmd_usage_error(ctx->cmd, "-t expects a number of seconds (0 or more)");
	return cmd_for_each_ref(ctx, argc, argv, stop_one, opts);
}

const struct cmd cmd_stop = {
	.name = "stop",
	.fn = stop_main,
	.opts = stop_options,
	.opts_size = sizeof(struct stop_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "stop [-t SECS] INSTANCE...",
	.summary = "Stop running instances",
	.help = "Each instance is asked to shut down, then killed after the timeout; its name\n"
		"is printed once it has stopped.  An error for one does not stop the others.\n",
};

static int start_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	return instance_post(ctx, ref, "/start", -1, err);
}

static int start_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, start_one, opts);
}

const struct cmd cmd_start = {
	.name = "start",
	.fn = start_main,
	.max_args = -1,
	.min_args = 1,
	.usage = "start INSTANCE...",
	.summary = "Start created or exited instances again",
	.help =
	    "The instance boots again with the same image, arguments and environment; its\n"
	    "new output is appended to its logs.  Use 'unik logs -f' or 'unik wait' to follow.\n",
};

struct rm_opts {
	int force;
};

static const struct opt rm_options[] = {
	OPT_BOOL('f', "force", NULL, struct rm_opts, force, "kill and remove running instances"),
	OPT_END(),
};

static int rm_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct rm_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	int rc;

	cmd_ref_path(&path, "instances", ref, NULL);
	if (o->force)
		client_query(&path, "force", "1");
	rc = client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, NULL, err);
	if (!rc)
		printf("%s\n", ref);
	strbuf_release(&path);
	return rc;
}

static int rm_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, rm_one, opts);
}

const struct cmd cmd_rm = {
	.name = "rm",
	.alias = "delete-instance",
	.fn = rm_main,
	.opts = rm_options,
	.opts_size = sizeof(struct rm_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "rm [-f] INSTANCE...",
	.summary = "Remove instances",
	.help = "A running instance is refused unless -f.  Each name is printed once removed;\n"
		"an error for one does not stop the others.\n",
};

/* ---- wait ----------------------------------------------------------- */

static int wait_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL, *code;
	int rc;

	cmd_ref_path(&path, "instances", ref, "/wait");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, &res, err);
	strbuf_release(&path);
	if (rc)
		return -1;
	code = json_object_get(res, "exit_code");
	if (json_is_integer(code)) {
		printf("%lld\n", (long long)json_integer_value(code));
	} else {
		const char *why = json_string_value(json_object_get(res, "message"));

		rc = unik_err_set(err, UNIK_E_INTERNAL, "%s exited without an exit status%s%s", ref,
				  why ? ": " : "", why ? why : "");
	}
	json_decref(res);
	return rc;
}

static int wait_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, wait_one, opts);
}

const struct cmd cmd_wait = {
	.name = "wait",
	.fn = wait_main,
	.min_args = 1,
	.max_args = -1,
	.usage = "wait INSTANCE...",
	.summary = "Wait until instances exit and print their exit statuses",
	.help = "Prints one exit status per line, in the order given.  An instance that ended\n"
		"without a known status (killed, failed to boot) is reported on stderr instead,\n"
		"and the exit status is then 1.\n",
};
