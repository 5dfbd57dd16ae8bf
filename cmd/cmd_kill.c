/* cmd_kill.c - kill and restart. */
#include <stdio.h>

#include "cmd.h"

/* ---- kill ----------------------------------------------------------- */

struct kill_opts {
	const char *signal;
};

static const struct opt kill_options[] = {
	OPT_STRING('s', "signal", NULL, struct kill_opts, signal, "SIGNAL",
		   "KILL (the default) or TERM, by name or number"),
	OPT_END(),
};

static int kill_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct kill_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	int rc;

	cmd_ref_path(&path, "instances", ref, "/kill");
	client_query(&path, "signal", o->signal ? o->signal : "KILL");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, err);
	if (!rc)
		printf("%s\n", ref);
	strbuf_release(&path);
	return rc;
}

static int kill_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, kill_one, opts);
}

const struct cmd cmd_kill = {
	.name = "kill",
	.fn = kill_main,
	.opts = kill_options,
	.opts_size = sizeof(struct kill_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "kill [-s SIGNAL] INSTANCE...",
	.summary = "Kill running instances",
	.help =
	    "KILL ends the guest at once; TERM is the graceful stop of 'unik stop' with the\n"
	    "daemon's timeout.  A unikernel has no way to receive other signals, so the daemon\n"
	    "refuses them (400).  An instance that is not running is refused too (409).\n",
};

/* ---- restart -------------------------------------------------------- */

struct restart_opts {
	int timeout;
};

static const struct opt restart_options[] = {
	OPT_INT('t', "time", "timeout", struct restart_opts, timeout, "SECS", -1,
		"seconds to wait for a graceful stop before killing (default: the daemon's, 10)"),
	OPT_END(),
};

static int restart_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct restart_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	int rc;

	cmd_ref_path(&path, "instances", ref, "/stop");
	if (o->timeout >= 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", o->timeout);
		client_query(&path, "timeout", secs);
	}
	rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, err);
	strbuf_reset(&path);
	if (!rc) {
		cmd_ref_path(&path, "instances", ref, "/start");
		rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, err);
	}
	if (!rc)
		printf("%s\n", ref);
	strbuf_release(&path);
	return rc;
}

static int restart_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct restart_opts *o = opts;

	if (o->timeout < -1)
		return cmd_usage_error(ctx->cmd, "-t expects a number of seconds (0 or more)");
	return cmd_for_each_ref(ctx, argc, argv, restart_one, opts);
}

const struct cmd cmd_restart = {
	.name = "restart",
	.fn = restart_main,
	.opts = restart_options,
	.opts_size = sizeof(struct restart_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "restart [-t SECS] INSTANCE...",
	.summary = "Stop instances and start them again",
	.help = "Each instance is stopped as by 'unik stop' (a stopped one stays so) and started\n"
		"again with the same image, arguments and environment; its name is printed.\n",
};
