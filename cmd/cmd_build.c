/* cmd_build.c - build: pack the source folder, POST it, follow the job. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../api/types.h"
#include "../lib/strv.h"
#include "../lib/xalloc.h"
#include "../api/labels.h"
#include "cmd.h"
#include "humanize.h"
#include "tarball.h"

struct build_opts {
	const char *tag;
	const char *compiler;
	const char *provider;
	int memory_mb;
	struct strv args;
	struct strv labels;
	int quiet;
};

static const struct opt build_options[] = {
	OPT_STRING('t', "tag", "imageName", struct build_opts, tag, "NAME",
		   "name of the image (default: the folder's name)"),
	OPT_STRING(0, "compiler", NULL, struct build_opts, compiler, "NAME",
		   "compiler to use (default: detected by the daemon)"),
	OPT_STRING(0, "provider", NULL, struct build_opts, provider, "NAME",
		   "also build what provider NAME needs for its machines (aws: the linux "
		   "base, for Nitro types)"),
	OPT_MEMORY('m', "memory", NULL, struct build_opts, memory_mb, "MEM",
		   "default guest memory: 128, 128M, 1G"),
	OPT_LIST(0, "arg", NULL, struct build_opts, args, "ARG",
		 "a default program argument (repeat for more)"),
	OPT_LIST('l', "label", NULL, struct build_opts, labels, "K=V",
		 "a label of the image (repeat for more; see 'unik images --filter')"),
	OPT_BOOL('q', "quiet", NULL, struct build_opts, quiet,
		 "print only the image id, no progress"),
	OPT_END(),
};

#define BUILD_INTERRUPTED 130 /* cancelled by Ctrl-C */

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	if (interrupts < 2)
		interrupts++;
}

/* The client's cancel hooks: the build's requests end at the first Ctrl-C,
 * the cancel request itself at the second. */
static int interrupted(void *arg)
{
	return interrupts >= 1;
}

static int interrupted_twice(void *arg)
{
	return interrupts >= 2;
}

/* State of one build's event stream. */
struct build {
	const struct cmd_build_req *rq;
	int steps;
	int have_result;
	int cached; /* the daemon's build cache answered */
	struct unik_job job;
	struct strbuf kept; /* the progress, when rq->progress is NULL; quiet: the log */
};

static void print_message(struct build *b, const char *prefix, const char *msg)
{
	size_t n = strlen(msg);
	const char *nl = n && msg[n - 1] == '\n' ? "" : "\n";

	if (b->rq->progress) {
		fprintf(b->rq->progress, "%s%s%s", prefix, msg, nl);
		fflush(b->rq->progress);
	} else {
		strbuf_addf(&b->kept, "%s%s%s", prefix, msg, nl);
	}
}

static int on_event(const char *line, size_t len, void *arg, struct unik_err *err)
{
	struct build *b = arg;
	json_error_t jerr;
	json_t *ev;
	const char *type, *msg;
	int rc = 0;

	if (!len)
		return 0;
	ev = json_loadb(line, len, 0, &jerr);
	if (!ev)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "the unik daemon sent a bad build event: %s", jerr.text);
	type = json_string_value(json_object_get(ev, "type"));
	msg = json_string_value(json_object_get(ev, "message"));
	if (type && !strcmp(type, "result")) {
		unik_job_release(&b->job);
		rc = unik_job_from_json(json_object_get(ev, "job"), &b->job, err);
		if (rc)
			unik_err_prefix(err, "the unik daemon sent a bad build result");
		else
			b->have_result = 1;
	} else if (type && msg && b->rq->quiet) {
		/* kept for a failure: the compiler's messages are in the log only */
		if (!strcmp(type, "log"))
			strbuf_addf(&b->kept, "%s%s", msg,
				    *msg && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
	} else if (type && msg) {
		if (!strcmp(type, "step")) {
			char prefix[32];

			snprintf(prefix, sizeof(prefix), "Step %d: ", ++b->steps);
			print_message(b, prefix, msg);
			if (strstr(msg, "from the build cache"))
				b->cached = 1;
		} else if (!strcmp(type, "log")) {
			print_message(b, "", msg);
		}
	}
	json_decref(ev);
	return rc;
}

/* Uploads the tarball; on success *job holds the started job. */
static int submit(struct cmd_ctx *ctx, const struct cmd_build_req *o, const char *name,
		  const struct strbuf *tar, struct unik_job *job, struct unik_err *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL;
	int rc;

	strbuf_adds(&path, "/v1/images");
	client_query(&path, "name", name);
	if (o->compiler)
		client_query(&path, "compiler", o->compiler);
	if (o->provider)
		client_query(&path, "provider", o->provider);
	if (o->memory_mb) {
		char mb[16];

		snprintf(mb, sizeof(mb), "%d", o->memory_mb);
		client_query(&path, "memory", mb);
	}
	for (size_t i = 0; o->args && i < o->args->n; i++)
		client_query(&path, "args", o->args->v[i]);
	for (size_t i = 0; o->labels && i < o->labels->n; i++)
		client_query(&path, "label", o->labels->v[i]);
	rc = client_upload(ctx->client, strbuf_str(&path), "application/gzip", tar->buf, tar->len,
			   &res, err);
	if (!rc && unik_job_from_json(res, job, err))
		rc = unik_err_prefix(err, "the unik daemon sent a bad job");
	json_decref(res);
	strbuf_release(&path);
	return rc;
}

/* Follows the job's events until its result (or asks for the job when the
 * stream ended without one). */
static int follow(struct cmd_ctx *ctx, struct build *b, struct unik_err *err)
{
	struct strbuf path = STRBUF_INIT;
	char *id = xstrdup(b->job.id);
	json_t *res = NULL;
	int rc;

	strbuf_addf(&path, "/v1/jobs/");
	client_escape(&path, id);
	strbuf_adds(&path, "/events");
	rc = client_stream_lines(ctx->client, strbuf_str(&path), on_event, b, err);
	if (!rc && !b->have_result) {
		strbuf_reset(&path);
		strbuf_addf(&path, "/v1/jobs/");
		client_escape(&path, id);
		rc = client_json(ctx->client, "GET", strbuf_str(&path), NULL, &res, err);
		unik_job_release(&b->job);
		if (!rc && unik_job_from_json(res, &b->job, err))
			rc = unik_err_prefix(err, "the unik daemon sent a bad job");
		if (!rc && b->job.state == UNIK_JOB_RUNNING)
			rc = unik_err_set(err, UNIK_E_INTERNAL,
					  "the events of build job %s ended before its result", id);
	}
	json_decref(res);
	strbuf_release(&path);
	free(id);
	return rc;
}

/* After Ctrl-C: asks the daemon to cancel job `id` (it kills the build at
 * once and answers once the job has ended) and says how it ended. */
static int cancel_build(struct cmd_ctx *ctx, const char *id)
{
	struct unik_client cl = *ctx->client; /* shallow: its own cancel hook */
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct unik_job job;
	json_t *res = NULL;

	unik_job_init(&job);
	cl.cancel = interrupted_twice;
	fprintf(stderr, "unik: cancelling the build (Ctrl-C again to stop waiting)\n");
	cmd_ref_path(&path, "jobs", id, NULL);
	if (client_json(&cl, "DELETE", strbuf_str(&path), NULL, &res, &err)) {
		if (interrupts < 2)
			cmd_error(&err);
	} else if (unik_job_from_json(res, &job, &err) == 0) {
		if (job.state == UNIK_JOB_RUNNING)
			fprintf(stderr, "unik: the build is being stopped\n");
		else if (job.state == UNIK_JOB_FAILED)
			fprintf(stderr, "unik: %s\n", job.error.msg);
		else
			fprintf(stderr, "unik: the build had already succeeded\n");
	}
	unik_job_release(&job);
	json_decref(res);
	strbuf_release(&path);
	return BUILD_INTERRUPTED;
}

/* The default image name: the folder's own name.  NEW string. */
static char *folder_name(const char *dir)
{
	char real[PATH_MAX];

	if (!realpath(dir, real))
		return NULL;
	return xstrdup(basename(real));
}

/* Prints the kept progress (a quiet build that failed) on stderr. */
static void show_kept(struct build *b)
{
	if (b->kept.len)
		fputs(strbuf_str(&b->kept), stderr);
}

int cmd_build_dir(struct cmd_ctx *ctx, const struct cmd_build_req *rq, char **image, int *cached)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct build b = { rq, 0, 0, 0, { 0 }, STRBUF_INIT };
	struct strbuf tar = STRBUF_INIT;
	struct sigaction sa, old_int, old_term;
	char *name = NULL, size[32], id[16];
	FILE *out = rq->progress ? rq->progress : stdout;
	struct stat st;
	int status = 1;

	unik_job_init(&b.job);
	interrupts = 0;
	if (stat(rq->dir, &st) < 0) {
		fprintf(stderr, "unik: %s: %s\n", rq->dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "unik: %s is not a folder\n", rq->dir);
		goto out;
	}
	name = rq->name ? xstrdup(rq->name) : folder_name(rq->dir);
	if (!name || !unik_name_valid(name)) {
		fprintf(stderr,
			"unik: '%s' is not a valid image name: use letters, digits, '_', '.', '-' "
			"(at most %d), starting with a letter or digit%s\n",
			name ? name : rq->dir, UNIK_NAME_MAX,
			rq->name ? "" : "; name it with -t NAME");
		goto out;
	}
	if (tarball_pack_dir(rq->dir, &tar, &err)) {
		cmd_error(&err);
		goto out;
	}
	if (!rq->quiet && rq->progress) {
		human_size((int64_t)tar.len, size, sizeof(size));
		fprintf(out, "Sending %s of source to the unik daemon\n", size);
		fflush(out);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	ctx->client->cancel = interrupted;
	if (submit(ctx, rq, name, &tar, &b.job, &err)) {
		if (interrupts) {
			fprintf(stderr, "unik: interrupted before the build started\n");
			status = BUILD_INTERRUPTED;
		} else {
			cmd_error(&err);
		}
		goto restore;
	}
	if (follow(ctx, &b, &err)) {
		if (interrupts) {
			status = cancel_build(ctx, b.job.id);
		} else {
			show_kept(&b);
			cmd_error(&err);
		}
		goto restore;
	}
	ctx->client->cancel = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (b.job.state != UNIK_JOB_SUCCEEDED) {
		show_kept(&b);
		fprintf(stderr, "unik: %s\n",
			b.job.error.msg[0] ? b.job.error.msg : "the build failed");
		goto out;
	}
	if (rq->quiet)
		printf("%s\n", b.job.image ? b.job.image : "");
	else if (rq->progress)
		fprintf(out, "Successfully built %s (%s)\n", cmd_short_id(b.job.image, id), name);
	if (image)
		*image = xstrdup(b.job.image);
	if (cached)
		*cached = b.cached;
	status = 0;
	goto out;
restore:
	ctx->client->cancel = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	unik_job_release(&b.job);
	strbuf_release(&b.kept);
	strbuf_release(&tar);
	free(name);
	return status;
}

static int build_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct build_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct cmd_build_req rq = { argv[0],	o->tag,	  o->compiler, o->memory_mb, &o->args,
				    &o->labels, o->quiet, stdout,      o->provider };
	struct strv labels = STRV_INIT;
	int bad = 0;

	for (size_t i = 0; i < o->labels.n && !bad; i++)
		bad = unik_label_add(&labels, o->labels.v[i], &err);
	strv_release(&labels);
	if (bad)
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	return cmd_build_dir(ctx, &rq, NULL, NULL);
}

const struct cmd cmd_build = {
	.name = "build",
	.fn = build_main,
	.opts = build_options,
	.opts_size = sizeof(struct build_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "build [OPTIONS] PATH",
	.summary = "Build an image from a source folder",
	.help = "Sends the folder PATH (files, folders and symlinks as they are, without a\n"
		"top-level .git) to the daemon, which compiles it into a bootable image.  The\n"
		"build's progress is printed as it happens; the exit status is 0 when the image\n"
		"was built, 1 otherwise.  Ctrl-C cancels the build (the daemon kills it at once)\n"
		"and exits with 130.\n",
};
