/* cmd_oci.c - push, pull and tag: images in OCI registries (docs/oci.md).
 * push and pull start a job in the daemon and follow it (job_follow.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/oci_ref.h"
#include "../api/types.h"
#include "../lib/xalloc.h"
#include "cmd.h"
#include "creds.h"
#include "job_follow.h"

struct oci_opts {
	const char *name;
	const char *ca_cert;
	int insecure;
	int quiet;
};

static const struct opt push_options[] = {
	OPT_STRING(0, "ca-cert", NULL, struct oci_opts, ca_cert, "FILE",
		   "trust the registry's certificate authority in FILE (PEM) too"),
	OPT_BOOL(0, "insecure", NULL, struct oci_opts, insecure,
		 "no TLS verification; plain HTTP allowed (loopback test registries)"),
	OPT_BOOL('q', "quiet", NULL, struct oci_opts, quiet, "no progress"),
	OPT_END(),
};

static const struct opt pull_options[] = {
	OPT_STRING(0, "name", NULL, struct oci_opts, name, "NAME",
		   "name of the new image (default: the repository's last part, -TAG)"),
	OPT_STRING(0, "ca-cert", NULL, struct oci_opts, ca_cert, "FILE",
		   "trust the registry's certificate authority in FILE (PEM) too"),
	OPT_BOOL(0, "insecure", NULL, struct oci_opts, insecure,
		 "no TLS verification; plain HTTP allowed (loopback test registries)"),
	OPT_BOOL('q', "quiet", NULL, struct oci_opts, quiet, "print only the image id"),
	OPT_END(),
};

/* The body of a push or pull: reference, credentials (looked up here:
 * they travel only in this request), TLS options. */
static int transfer_body(const struct oci_opts *o, const char *key, const char *ref, json_t **out,
			 struct unik_err *err)
{
	struct oci_ref r;
	char *user = NULL, *secret = NULL;
	json_t *body;
	int found;

	if (oci_ref_parse(ref, &r, err))
		return -1;
	found = creds_find(r.registry, &user, &secret, err);
	oci_ref_release(&r);
	if (found < 0)
		return -1;
	body = json_pack("{sssb}", key, ref, "insecure", o->insecure);
	if (found) {
		json_object_set_new(body, "auth",
				    json_pack("{ssss}", "username", user, "password", secret));
		explicit_bzero(secret, strlen(secret));
	}
	free(user);
	free(secret);
	if (creds_add_ca(body, o->ca_cert, err)) {
		json_decref(body);
		return -1;
	}
	*out = body;
	return 0;
}

static int push_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct oci_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct job_result res = { 0 };
	struct strbuf path = STRBUF_INIT;
	json_t *body = NULL;
	int rc;

	(void)argc;
	if (transfer_body(o, "target", argv[1], &body, &err)) {
		cmd_error(&err);
		return 1;
	}
	cmd_ref_path(&path, "images", argv[0], "/push");
	rc = job_follow(ctx, strbuf_str(&path), body, o->quiet, "the push", &res);
	job_result_release(&res);
	json_decref(body);
	strbuf_release(&path);
	return rc;
}

static int pull_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct oci_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct job_result res = { 0 };
	json_t *body = NULL;
	char id[16];
	int rc;

	(void)argc;
	if (transfer_body(o, "source", argv[0], &body, &err)) {
		cmd_error(&err);
		return 1;
	}
	if (o->name)
		json_object_set_new(body, "name", json_string(o->name));
	rc = job_follow(ctx, "/v1/images/pull", body, o->quiet, "the pull", &res);
	if (!rc)
		printf("%s\n", o->quiet ? res.image : cmd_short_id(res.image, id));
	job_result_release(&res);
	json_decref(body);
	return rc;
}

static int tag_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	const char *colon = strchr(argv[1], ':');
	char *name;
	json_t *res = NULL, *body;
	int rc;

	(void)opts;
	(void)argc;
	/* NAME:TAG as Docker writes it: unik names hold no ':', so the name
	 * a pull of REPO:TAG would give, NAME-TAG (NAME for latest) */
	if (colon && strcmp(colon + 1, "latest"))
		name = xasprintf("%.*s-%s", (int)(colon - argv[1]), argv[1], colon + 1);
	else
		name = colon ? xstrndup(argv[1], (size_t)(colon - argv[1])) : xstrdup(argv[1]);
	if (colon)
		fprintf(stderr, "unik: image names hold no ':'; the new name is %s\n", name);
	body = json_pack("{ss}", "name", name);
	free(name);
	cmd_ref_path(&path, "images", argv[0], "/tag");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), body, &res, &err);
	if (rc)
		cmd_error(&err);
	json_decref(body);
	json_decref(res);
	strbuf_release(&path);
	return rc ? 1 : 0;
}

const struct cmd cmd_push = {
	.name = "push",
	.fn = push_main,
	.opts = push_options,
	.opts_size = sizeof(struct oci_opts),
	.min_args = 2,
	.max_args = 2,
	.usage = "push [--insecure] [--ca-cert FILE] IMAGE REGISTRY/REPO[:TAG]",
	.summary = "Push an image to an OCI registry",
	.help = "The daemon writes the image as an OCI image index (a runnable manifest whose\n"
		"rootfs holds /unik/, and an artifact manifest of its kernel and initrd) and\n"
		"copies it to the registry with skopeo.  Credentials come from 'unik login',\n"
		"else ~/.docker/config.json (its credential helpers too) and travel to the\n"
		"daemon only in this request.  See docs/oci.md.\n",
};

const struct cmd cmd_pull = {
	.name = "pull",
	.fn = pull_main,
	.opts = pull_options,
	.opts_size = sizeof(struct oci_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "pull [--name NAME] [--insecure] [--ca-cert FILE] REGISTRY/REPO[:TAG]",
	.summary = "Pull an image from an OCI registry",
	.help = "Copies the image pushed by 'unik push' into the daemon, verifying the digest\n"
		"of every blob it stores; a mismatch stores nothing.  The new image is named\n"
		"after the repository's last part (with -TAG unless the tag is latest).\n",
};

const struct cmd cmd_tag = {
	.name = "tag",
	.fn = tag_main,
	.min_args = 2,
	.max_args = 2,
	.usage = "tag IMAGE NEWNAME[:TAG]",
	.summary = "Give an image another name",
	.help = "NEWNAME becomes a second image record of the same blobs (an image whose name\n"
		"NEWNAME was loses it, as with a build).  Image names hold no ':': NAME:TAG\n"
		"becomes NAME-TAG (NAME for latest), the name 'unik pull' gives REPO:TAG.\n",
};
