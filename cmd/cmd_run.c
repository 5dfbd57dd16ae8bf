/* cmd_run.c - run: create an instance, then (attached) stream its console
 * and exit with its exit status, like `docker run`.
 *
 * While attached, the first Ctrl-C (or SIGTERM) asks the daemon to stop the
 * instance, from a second thread so that the console keeps flowing; the
 * second one detaches.  Signals only count; the work happens in the
 * client's cancel hook, which libcurl calls about once a second.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../api/restart.h"
#include "../api/summon.h"
#include "../api/labels.h"
#include "../api/types.h"
#include "../lib/strv.h"
#include "../lib/portspec.h"
#include "../lib/clock.h"
#include "../lib/xalloc.h"
#include "cmd.h"
#include "demux.h"
#include "envfile.h"
#include "run.h"
#include "run_stdin.h"

static const struct opt run_options[] = {
	OPT_STRING(0, "name", "instanceName", struct run_opts, name, "NAME",
		   "name of the instance (default: made up by the daemon)"),
	OPT_STRING(0, "provider", NULL, struct run_opts, provider, "NAME",
		   "provider to run on (default: the daemon's default)"),
	OPT_MEMORY('m', "memory", NULL, struct run_opts, memory_mb, "MEM",
		   "guest memory: 128, 128M, 1G (default: the image's)"),
	OPT_LIST('e', "env", NULL, struct run_opts, env, "K=V",
		 "set a variable in the program's environment; a bare K passes this shell's value"),
	OPT_LIST(0, "env-file", NULL, struct run_opts, env_files, "FILE",
		 "read variables from FILE: KEY=VALUE lines, # comments, a bare KEY passes "
		 "this shell's value (before -e)"),
	OPT_LIST('l', "label", NULL, struct run_opts, labels, "K=V",
		 "a label of the instance (repeat for more; see 'unik ps --filter')"),
	OPT_LIST('p', "publish", NULL, struct run_opts, publish, "[IP:]HOST:GUEST",
		 "publish a guest TCP port on the host (IP defaults to 127.0.0.1)"),
	OPT_LIST('v', "volume", "vol", struct run_opts, volumes, "VOLUME:/PATH[:ro]",
		 "mount a volume (unik volume create) at /PATH, read-write or :ro"),
	OPT_STRING(0, "accel", NULL, struct run_opts, accel, "MODE",
		   "CPU acceleration: auto, kvm or tcg (default: the provider's setting)"),
	OPT_BOOL('d', "detach", NULL, struct run_opts, detach,
		 "run in the background and print the instance id"),
	OPT_BOOL('i', "interactive", NULL, struct run_opts, interactive,
		 "send this terminal's input (or a piped file) to the program's standard input"),
	OPT_BOOL('t', "tty", NULL, struct run_opts, tty,
		 "with -i: keys go to the program as typed (character mode); Ctrl-D ends the "
		 "input, Ctrl-P Ctrl-Q detaches"),
	OPT_BOOL(0, "rm", NULL, struct run_opts, rm, "remove the instance once it has exited"),
	OPT_BOOL('w', "watch", NULL, struct run_opts, watch,
		 "with a folder: rebuild and restart on every saved change"),
	OPT_BOOL(0, "trace", NULL, struct run_opts, trace,
		 "print every system call and its result on the console (unik images)"),
	OPT_BOOL(0, "verbose", NULL, struct run_opts, verbose,
		 "print the runtime's boot and exit lines on the console (unik images)"),
	OPT_STRING(0, "imageName", NULL, struct run_opts, image, "IMAGE",
		   "the image, instead of the IMAGE argument (UniK's spelling)"),
	OPT_STRING(
	    0, "restart", NULL, struct run_opts, restart, "POLICY",
	    "no, on-failure[:N] or always: the daemon starts it again when it ends by itself"),
	OPT_BOOL(0, "summon", NULL, struct run_opts, summon,
		 "boot on the first connection to a published port (implies -d; docs/summon.md)"),
	OPT_STRING(0, "idle-timeout", NULL, struct run_opts, idle_timeout, "DURATION",
		   "with --summon: stop it after DURATION (30s, 500ms, 2m) without a connection"),
	OPT_INT(0, "max", NULL, struct run_opts, summon_max, "N", 1,
		"with --summon: up to N instances behind its ports (least connections)"),
	OPT_END(),
};

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	if (interrupts < 2)
		interrupts++;
}

struct attach {
	struct unik_client stop_client; /* shallow copy of the main client */
	char *stop_path; /* /v1/instances/<id>/stop */
	char short_id[16];
	pthread_t stop_thread;
	int stop_started;
	int detached;
	volatile int detach_keys; /* -t: Ctrl-P Ctrl-Q were typed */
};

static int detach_requested(void *arg)
{
	return interrupts >= 2;
}

static void *stop_instance(void *arg)
{
	struct attach *at = arg;
	struct unik_err err = UNIK_ERR_INIT;

	if (client_json(&at->stop_client, "POST", at->stop_path, NULL, NULL, &err) &&
	    interrupts < 2)
		fprintf(stderr, "unik: cannot stop %s: %s\n", at->short_id, err.msg);
	return NULL;
}

/* The main client's cancel hook while attached (runs in the main thread). */
static int attach_cancel(void *arg)
{
	struct attach *at = arg;
	sigset_t block, old;

	if (at->detach_keys) {
		at->detached = 1;
		return 1;
	}
	if (interrupts >= 1 && !at->stop_started) {
		at->stop_started = 1;
		fprintf(stderr, "unik: stopping %s (press Ctrl-C again to detach)\n", at->short_id);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		if (pthread_create(&at->stop_thread, NULL, stop_instance, at)) {
			fprintf(stderr, "unik: cannot stop %s: no thread for it\n", at->short_id);
			at->stop_started = -1;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (interrupts >= 2)
		at->detached = 1;
	return at->detached;
}

/* The exit status of a finished instance, from POST .../wait's answer. */
static int exit_status(const struct attach *at, json_t *res)
{
	json_t *code = json_object_get(res, "exit_code");
	const char *why = json_string_value(json_object_get(res, "message"));

	if (json_is_integer(code))
		return (int)(json_integer_value(code) & 0xff);
	if (at->stop_started)
		return RUN_INTERRUPTED;
	fprintf(stderr, "unik: %s exited without an exit status%s%s\n", at->short_id,
		why ? ": " : "", why ? why : "");
	return RUN_FAILED;
}

void run_remove_instance(struct cmd_ctx *ctx, const char *id)
{
	struct strbuf path = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;

	cmd_ref_path(&path, "instances", id, NULL);
	if (client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, NULL, &err))
		cmd_error(&err);
	strbuf_release(&path);
}

/* Streams the console of instance `id` until it exits, then waits for its
 * exit status. */
static int attach(struct cmd_ctx *ctx, const struct run_opts *o, const char *id)
{
	struct unik_client *cl = ctx->client;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct sigaction sa, old_int, old_term;
	struct attach at;
	struct cmd_demux demux = CMD_DEMUX_INIT;
	struct run_stdin *input = NULL;
	json_t *res = NULL;
	int rc, status, unreachable = 0;

	memset(&at, 0, sizeof(at));
	at.stop_client = *cl;
	at.stop_client.cancel = detach_requested;
	cmd_short_id(id, at.short_id);
	cmd_ref_path(&path, "instances", id, "/stop");
	at.stop_path = strbuf_detach(&path);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	cl->cancel = attach_cancel;
	cl->cancel_arg = &at;
	if (o->interactive)
		input = run_stdin_start(cl, id, o->tty, &at.detach_keys);

	cmd_ref_path(&path, "instances", id, "/logs?follow=1&framed=1");
	rc = client_stream(cl, strbuf_str(&path), cmd_demux_write, &demux, &err);
	if (rc && !at.detached) {
		cmd_error(&err);
		if (cmd_unreachable(&err)) {
			status = 1;
			unreachable = 1;
			goto out;
		}
	}
	if (!at.detached) {
		strbuf_reset(&path);
		cmd_ref_path(&path, "instances", id, "/wait");
		rc = client_json(cl, "POST", strbuf_str(&path), NULL, &res, &err);
	}
	if (at.detached) {
		fprintf(stderr, "unik: detached from %s (see 'unik ps -a', 'unik logs %s')\n",
			at.short_id, at.short_id);
		status = RUN_INTERRUPTED;
	} else if (rc) {
		cmd_error(&err);
		unreachable = cmd_unreachable(&err);
		status = unreachable ? 1 : RUN_FAILED;
	} else {
		status = exit_status(&at, res);
	}
out:
	run_stdin_stop(input); /* and the terminal back as it was */
	cl->cancel = NULL;
	cl->cancel_arg = NULL;
	if (at.stop_started > 0)
		pthread_join(at.stop_thread, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(at.stop_path);
	if (o->rm && !at.detached && !unreachable) /* the program's own 1 too */
		run_remove_instance(ctx, id);
	json_decref(res);
	strbuf_release(&path);
	return status;
}

/* Adds `e` ("K=V", or a bare K: this shell's value, if it has one) to
 * `env`; prints a usage error and returns -1 when it is malformed. */
static int env_add(struct cmd_ctx *ctx, struct strv *env, const char *e)
{
	const char *val;
	char *kv;

	if (strchr(e, '=')) {
		if (!unik_env_valid(e)) {
			cmd_usage_error(ctx->cmd, "bad environment variable '%s': use KEY=VALUE",
					e);
			return -1;
		}
		env_set(env, e);
		return 0;
	}
	val = getenv(e);
	if (!val)
		return 0;
	kv = xasprintf("%s=%s", e, val);
	if (!unik_env_valid(kv)) {
		free(kv);
		cmd_usage_error(ctx->cmd, "bad environment variable name '%s'", e);
		return -1;
	}
	env_set_owned(env, kv);
	return 0;
}

/* Fills the run request from the options and arguments; prints a usage
 * error and returns its status, or 0. */
static int make_request(struct cmd_ctx *ctx, const struct run_opts *o, int argc, char **argv,
			struct unik_run_request *rq)
{
	int i = 0;

	if (o->image)
		rq->image = xstrdup(o->image);
	else if (argc > 0)
		rq->image = xstrdup(argv[i++]);
	else
		return cmd_usage_error(ctx->cmd, "requires an IMAGE");
	for (; i < argc; i++)
		strv_push(&rq->args, argv[i]);
	if (o->name && !unik_name_valid(o->name))
		return cmd_usage_error(
		    ctx->cmd,
		    "invalid name '%s': use letters, digits, '_', '.', '-' (at most "
		    "%d), starting with a letter or digit",
		    o->name, UNIK_NAME_MAX);
	if (o->accel && strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") &&
	    strcmp(o->accel, "tcg"))
		return cmd_usage_error(ctx->cmd, "--accel must be auto, kvm or tcg, not '%s'",
				       o->accel);
	if (o->detach && o->rm)
		return cmd_usage_error(ctx->cmd, "--rm needs an attached run (no -d)");
	if (o->tty && !o->interactive)
		return cmd_usage_error(ctx->cmd,
				       "-t goes with -i (a unikernel has no terminal of its own: "
				       "-it sends keys as typed)");
	if (o->interactive && (o->watch || o->summon))
		return cmd_usage_error(ctx->cmd, "-i does not go with --watch or --summon");
	if (o->restart) {
		struct unik_restart r;
		struct unik_err rerr = UNIK_ERR_INIT;

		if (unik_restart_parse(o->restart, &r, &rerr))
			return cmd_usage_error(ctx->cmd, "%s", rerr.msg);
		if (o->rm && r.policy != UNIK_RESTART_NO)
			return cmd_usage_error(ctx->cmd, "--rm and --restart %s do not go together",
					       o->restart);
		rq->restart = xstrdup(o->restart);
	}
	for (size_t k = 0; k < o->env_files.n; k++) {
		struct unik_err ferr = UNIK_ERR_INIT;

		if (env_file_read(o->env_files.v[k], &rq->env, &ferr))
			return cmd_usage_error(ctx->cmd, "%s", ferr.msg);
	}
	for (size_t k = 0; k < o->env.n; k++)
		if (env_add(ctx, &rq->env, o->env.v[k]))
			return ctx->cmd->usage_status;
	for (size_t k = 0; k < o->labels.n; k++) {
		struct unik_err lerr = UNIK_ERR_INIT;

		if (unik_label_add(&rq->labels, o->labels.v[k], &lerr))
			return cmd_usage_error(ctx->cmd, "%s", lerr.msg);
	}
	for (size_t k = 0; k < o->publish.n; k++) {
		struct portspec ps;
		struct unik_err perr = UNIK_ERR_INIT;

		if (portspec_parse(o->publish.v[k], &ps, &perr))
			return cmd_usage_error(ctx->cmd, "%s", perr.msg);
		strv_push(&rq->ports, o->publish.v[k]);
	}
	for (size_t k = 0; k < o->volumes.n; k++) {
		struct unik_err verr = UNIK_ERR_INIT;
		char *vol, *path;
		int ro;

		if (unik_mount_spec_parse(o->volumes.v[k], &vol, &path, &ro, &verr))
			return cmd_usage_error(ctx->cmd, "%s", verr.msg);
		free(vol);
		free(path);
		strv_push(&rq->volumes, o->volumes.v[k]);
	}
	if ((o->idle_timeout || o->summon_max != 1) && !o->summon)
		return cmd_usage_error(ctx->cmd, "--idle-timeout and --max go with --summon");
	if (o->summon) {
		struct unik_err derr = UNIK_ERR_INIT;

		if (o->rm)
			return cmd_usage_error(ctx->cmd, "--rm and --summon do not go together");
		if (!o->publish.n)
			return cmd_usage_error(ctx->cmd,
					       "--summon needs a published port (-p HOST:GUEST)");
		if (o->idle_timeout &&
		    unik_duration_parse(o->idle_timeout, &rq->summon.idle_timeout_ms, &derr))
			return cmd_usage_error(ctx->cmd, "--idle-timeout: %s", derr.msg);
		if (o->summon_max < 1 || o->summon_max > 64)
			return cmd_usage_error(ctx->cmd, "--max must be 1..64");
		rq->summon.enabled = 1;
		rq->summon.max = o->summon_max;
	}
	rq->name = xstrdup(o->name);
	rq->provider = xstrdup(o->provider);
	rq->accel = xstrdup(o->accel);
	rq->memory_mb = o->memory_mb;
	rq->trace = o->trace;
	rq->verbose = o->verbose;
	rq->open_stdin = o->interactive;
	return 0;
}

/* 1 when the IMAGE argument names a source folder to build: a path to a
 * folder with a '/' in it ("./app", "src/app", "/abs") or "." or "..".
 * Image names have no '/' and cannot be "." or "..", so the two never mix. */
static int is_folder(const char *arg)
{
	struct stat st;

	if (!strchr(arg, '/') && strcmp(arg, ".") && strcmp(arg, ".."))
		return 0;
	return stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
}

int run_build_folder(struct cmd_ctx *ctx, const char *dir, struct unik_run_request *rq)
{
	struct cmd_build_req br = { dir, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL };
	long long t0 = clock_now_ms();
	char *image = NULL, id[16];
	int cached = 0, status;

	status = cmd_build_dir(ctx, &br, &image, &cached);
	if (status)
		return status == 1 ? RUN_FAILED : status;
	if (cached)
		fprintf(stderr, "unik: %s unchanged: image %s from the build cache in %lld ms\n",
			dir, cmd_short_id(image, id), clock_now_ms() - t0);
	else
		fprintf(stderr, "unik: built %s as image %s in %lld ms\n", dir,
			cmd_short_id(image, id), clock_now_ms() - t0);
	free(rq->image);
	rq->image = image;
	return 0;
}

static int run_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct run_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_run_request rq;
	struct unik_instance in;
	json_t *body, *res = NULL;
	int status;

	unik_run_request_init(&rq);
	unik_instance_init(&in);
	status = make_request(ctx, o, argc, argv, &rq);
	if (status)
		goto out;
	if (!o->image && is_folder(argv[0])) {
		if (o->watch && o->detach) {
			status = cmd_usage_error(ctx->cmd, "--watch needs an attached run (no -d)");
			goto out;
		}
		if (o->watch) {
			status = run_watch(ctx, o, argv[0], &rq);
			goto out;
		}
		status = run_build_folder(ctx, argv[0], &rq);
		if (status)
			goto out;
	} else if (o->watch) {
		status = cmd_usage_error(ctx->cmd, "--watch needs a source folder, not an image");
		goto out;
	}
	body = unik_run_request_to_json(&rq);
	if (client_json(ctx->client, "POST", "/v1/instances", body, &res, &err) ||
	    unik_instance_from_json(res, &in, &err)) {
		cmd_error(&err);
		status = cmd_unreachable(&err) ? 1 : RUN_FAILED;
	} else if (o->detach || o->summon) {
		printf("%s\n", in.id);
	} else {
		status = attach(ctx, o, in.id);
	}
	json_decref(body);
out:
	json_decref(res);
	unik_instance_release(&in);
	unik_run_request_release(&rq);
	return status;
}

const struct cmd cmd_run = {
	.name = "run",
	.fn = run_main,
	.opts = run_options,
	.opts_size = sizeof(struct run_opts),
	.flags = CMD_PROGRAM_ARGS,
	.max_args = -1,
	.usage_status = RUN_FAILED,
	.usage = "run [OPTIONS] IMAGE|DIR [ARG...]",
	.summary = "Run an image in a new instance",
	.help =
	    "IMAGE is a name or a unique prefix of an id.  DIR is a source folder, given as\n"
	    "a path with a '/' in it (./app, src/app, /abs/app) or as . or ..; it is built\n"
	    "first, as 'unik build DIR' does (the build's output is shown only when it\n"
	    "fails), and the new image runs; an unchanged folder is not compiled again (the\n"
	    "daemon's build cache).  --watch DIR rebuilds on every saved change in the\n"
	    "folder: when the build succeeds, the running instance is stopped (gracefully)\n"
	    "and removed and a new one starts with its console here; a failing build\n"
	    "prints its errors and the old instance keeps running.  Ctrl-C stops it all.\n"
	    "\n"
	    "Options come before IMAGE;\n"
	    "everything after it goes to the program as it is, as with 'docker run' (without\n"
	    "ARGs, the image's default arguments are used):  unik run -e GREETING=hi hello-c\n"
	    "a -b  runs hello-c with 'a' '-b' and the variable GREETING;  unik run hello-c -e x\n"
	    "passes '-e' 'x'.\n"
	    "\n"
	    "By default the console is streamed here until the program exits, and unik exits\n"
	    "with the program's exit status.  Ctrl-C asks the daemon to stop the instance;\n"
	    "a second Ctrl-C detaches, leaving the instance to the daemon.  With -d, unik\n"
	    "prints the new instance's id and returns at once.\n"
	    "\n"
	    "-i sends what unik reads (the terminal's lines, or a piped file) to the\n"
	    "program's standard input; the end of it (Ctrl-D) is the program's end of file.\n"
	    "-it sends keys as they are typed (echoed here: the guest has no terminal), Ctrl-D\n"
	    "ends the input and Ctrl-P Ctrl-Q detaches.  Without -i the program's standard\n"
	    "input is at end of file.  Providers hvt and spt (docs/cli.md).\n"
	    "\n"
	    "With --summon the instance is created but not booted: unikd listens on its\n"
	    "published ports, the first connection boots it (held until the program listens),\n"
	    "and --idle-timeout stops it again after that long without a connection.\n"
	    "\n"
	    "Exit status: the program's own; 125 when unik could not run it (bad options,\n"
	    "unknown image, provider error) or the instance ended without an exit status;\n"
	    "130 after Ctrl-C when the instance had no exit status, or after detaching;\n"
	    "1 when the daemon cannot be reached.\n",
};
