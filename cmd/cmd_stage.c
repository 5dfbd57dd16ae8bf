/* cmd_stage.c - stage: an image copied to a provider that keeps its own
 * (an AWS AMI) ahead of its first run there.  POST /v1/images/{ref}/stage
 * starts a job, followed to its end (job_follow.c). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "job_follow.h"

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

static int stage_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct stage_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	struct job_result res = { 0 };
	json_t *body;
	int rc;

	(void)argc;
	if (!o->provider || !*o->provider)
		return cmd_usage_error(ctx->cmd, "--provider names where to stage the image");
	body = json_pack("{ss}", "provider", o->provider);
	cmd_ref_path(&path, "images", argv[0], "/stage");
	rc = job_follow(ctx, strbuf_str(&path), body, o->quiet, "the stage job", &res);
	if (!rc && o->quiet) {
		/* the last step line: "... published on aws as REF" */
		const char *as = res.last ? strstr(res.last, " as ") : NULL;

		printf("%s\n", as ? as + 4 : "");
	}
	job_result_release(&res);
	json_decref(body);
	strbuf_release(&path);
	return rc;
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
