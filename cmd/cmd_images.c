/* cmd_images.c - images, rmi. */
#include <stdio.h>
#include <time.h>

#include "../api/types.h"
#include "cmd.h"
#include "humanize.h"
#include "table.h"

/* ---- images --------------------------------------------------------- */

struct images_opts {
	int json;
	int quiet;
};

static const struct opt images_options[] = {
	OPT_BOOL(0, "json", NULL, struct images_opts, json, "print the raw JSON"),
	OPT_BOOL('q', "quiet", NULL, struct images_opts, quiet, "print the image ids only"),
	OPT_END(),
};

/* The disk formats staged for `unik export`, "raw,ova", or "-". */
static void staged_cell(struct table *t, const struct unik_image *im)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < im->stagings.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", im->stagings.v[i]);
	table_cell(t, sb.len ? strbuf_str(&sb) : "-");
	strbuf_release(&sb);
}

static void image_row(struct table *t, const struct unik_image *im, int64_t now)
{
	char id[16], size[32], ago[64];

	human_size(im->size, size, sizeof(size));
	human_ago(im->created, now, ago, sizeof(ago));
	table_cell(t, im->name ? im->name : "<none>");
	table_cell(t, cmd_short_id(im->id, id));
	table_cell(t, im->compiler);
	table_cell(t, im->format);
	table_cell(t, size);
	table_cell(t, ago);
	staged_cell(t, im);
}

static int images_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct images_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *arr = NULL, *j;
	struct table t;
	int status = 0;
	size_t i;

	if (client_json(ctx->client, "GET", "/v1/images", NULL, &arr, &err)) {
		cmd_error(&err);
		return 1;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's list of images is not a JSON array\n");
		json_decref(arr);
		return 1;
	}
	if (o->json) {
		cmd_print_json(arr);
		json_decref(arr);
		return 0;
	}
	table_init(&t, "NAME ID COMPILER FORMAT SIZE CREATED STAGED");
	json_array_foreach (arr, i, j) {
		struct unik_image im;
		char id[16];

		unik_image_init(&im);
		if (unik_image_from_json(j, &im, &err)) {
			unik_err_prefix(&err, "the unik daemon sent a bad image");
			status = 1;
		} else if (o->quiet) {
			printf("%s\n", cmd_short_id(im.id, id));
		} else {
			image_row(&t, &im, (int64_t)time(NULL));
		}
		unik_image_release(&im);
		if (status)
			break;
	}
	if (status)
		cmd_error(&err);
	else if (!o->quiet)
		table_print(&t, stdout);
	table_release(&t);
	json_decref(arr);
	return status;
}

const struct cmd cmd_images = {
	.name = "images",
	.fn = images_main,
	.opts = images_options,
	.opts_size = sizeof(struct images_opts),
	.max_args = 0,
	.usage = "images [--json] [-q]",
	.summary = "List the images",
	.help = "SIZE counts the bytes of all the artifacts of an image (kernel, initrd, ...),\n"
		"in decimal units.  An image whose name moved to a newer build shows <none>.\n"
		"STAGED lists the disks 'unik export' made for it and keeps (raw, raw-gpt, vmdk,\n"
		"vdi, ova).\n",
};

/* ---- rmi ------------------------------------------------------------ */

struct rmi_opts {
	int force;
};

static const struct opt rmi_options[] = {
	OPT_BOOL('f', "force", NULL, struct rmi_opts, force,
		 "remove the image even while instances use it"),
	OPT_END(),
};

static int rmi_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct rmi_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL;
	const char *id;
	int rc;

	cmd_ref_path(&path, "images", ref, NULL);
	if (o->force)
		client_query(&path, "force", "1");
	rc = client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, &res, err);
	if (!rc) {
		id = json_string_value(json_object_get(res, "id"));
		printf("%s\n", id ? id : ref);
	}
	json_decref(res);
	strbuf_release(&path);
	return rc;
}

static int rmi_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, rmi_one, opts);
}

const struct cmd cmd_rmi = {
	.name = "rmi",
	.alias = "delete-image",
	.fn = rmi_main,
	.opts = rmi_options,
	.opts_size = sizeof(struct rmi_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "rmi [-f] IMAGE...",
	.summary = "Remove images",
	.help = "IMAGE is a name or a unique prefix of an id.  Each image is removed in turn and\n"
		"its id printed; an error for one does not stop the others (the exit status is\n"
		"then 1).  An image used by instances is kept unless -f.\n",
};
