/* cmd_stage.c - stage: an image copied to a provider that keeps its own
 * (an AWS AMI) ahead of its first run there.  POST /v1/images/{ref}/stage
 * starts a job; its progress lines are printed as they come. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "cmd.h"

struct stage_opts {
	const char *provider;
	int quiet;
};

static const struct opt stage_options[] = {
	OPT_STRING(0, "provider", NULL, struct stage_opts, provider, "NAME",
		   "the provider to copy the image to (aws)"),
	OPT_BOOL('q', "quiet", NULL, struct stage_opts, quiet, "print only the reference"),
	OPT_END(),
};

struct stage_follow {
	int quiet;
	int have_result;
	struct unik_job job;
	char *last; /* the last progress line: "... published on aws as REF" */
};

static int on_event(const char *line, size_t len, void *arg, struct unik_err *err)
{
	struct stage_follow *f = arg;
	json_t *ev = len ? json_loadb(line, len, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *msg = json_string_value(json_object_get(ev, "message"));
	int rc = 0;

	if (!len)
		return 0;
	if (!ev)
		return unik_err_set(err, UNIK_E_INTERNAL, "the unik daemon sent a bad job event");
	if (type && !strcmp(type, "result")) {
		unik_job_release(&f->job);
		rc = unik_job_from_json(json_object_get(ev, "job"), &f->job, err);
		f->have_result = rc == 0;
	} else if (msg) {
		free(f->last);
		f->last = xstrdup(msg);
		if (!f->quiet) {
			printf("%s\n", msg);
			fflush(stdout);
		}
	}
	json_decref(ev);
	return rc;
}

static int stage_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct stage_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT, ev = STRBUF_INIT;
	struct stage_follow f = { o->quiet, 0, { 0 }, NULL };
	json_t *body, *res = NULL;
	int rc;

	(void)argc;
	if (!o->provider || !*o->provider)
		return cmd_usage_error(ctx->cmd, "--provider names where to stage the image");
	unik_job_init(&f.job);
	body = json_pack("{ss}", "provider", o->provider);
	cmd_ref_path(&path, "images", argv[0], "/stage");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), body, &res, &err);
	json_decref(body);
	if (!rc)
		rc = unik_job_from_json(res, &f.job, &err);
	json_decref(res);
	if (!rc) {
		cmd_ref_path(&ev, "jobs", f.job.id, "/events");
		rc = client_stream_lines(ctx->client, strbuf_str(&ev), on_event, &f, &err);
	}
	if (!rc && !f.have_result)
		rc =
		    unik_err_set(&err, UNIK_E_INTERNAL, "the job's events ended before its result");
	if (!rc && f.job.state != UNIK_JOB_SUCCEEDED)
		rc = unik_err_set(&err, f.job.error.code ? f.job.error.code : UNIK_E_INTERNAL, "%s",
				  f.job.error.msg[0] ? f.job.error.msg : "the stage job failed");
	if (rc) {
		cmd_error(&err);
	} else if (o->quiet) {
		const char *as = f.last ? strstr(f.last, " as ") : NULL;

		printf("%s\n", as ? as + 4 : "");
	}
	free(f.last);
	unik_job_release(&f.job);
	strbuf_release(&path);
	strbuf_release(&ev);
	return rc ? 1 : 0;
}

const struct cmd cmd_stage = {
	.name = "stage",
	.fn = stage_main,
	.opts = stage_options,
	.opts_size = sizeof(struct stage_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "stage --provider NAME [-q] IMAGE",
	.summary = "Copy an image to a provider that keeps its own (an AWS AMI)",
	.help = "What the image's first run on the provider would do, done ahead of it: its\n"
		"boot disk staged (cached, as for 'unik export') and published there (aws: an\n"
		"EBS snapshot uploaded with the EBS direct APIs and registered as an AMI), with\n"
		"progress lines.  A stage cut short (daemon restart, error) resumes where it\n"
		"stopped; an image already published succeeds at once.  'unik images' shows\n"
		"where an image is published (PUBLISHED).  See docs/providers/aws.md.\n",
};
