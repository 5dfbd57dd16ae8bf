/* cmd_images.c - images, rmi. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/types.h"
#include "cmd.h"
#include "humanize.h"
#include "listfmt.h"
#include "table.h"

/* ---- images --------------------------------------------------------- */

struct images_opts {
	int json;
	int quiet;
	int no_trunc;
	struct strv filters;
	const char *format;
};

static const struct opt images_options[] = {
	OPT_LIST('f', "filter", NULL, struct images_opts, filters, "KEY=VALUE",
		 "only the matching ones: reference=GLOB, label=K[=V], dangling=true|false"),
	OPT_STRING(0, "format", NULL, struct images_opts, format, "TEMPLATE",
		   "print through a template ('table {{.Name}}\\t{{.ID}}'; see 'unik inspect')"),
	OPT_BOOL(0, "no-trunc", NULL, struct images_opts, no_trunc, "full ids"),
	OPT_BOOL(0, "json", NULL, struct images_opts, json, "print the raw JSON"),
	OPT_BOOL('q', "quiet", NULL, struct images_opts, quiet, "print the image ids only"),
	OPT_END(),
};

/* A list cell: "raw,ova", or "-". */
static void list_cell(struct table *t, const struct strv *v)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < v->n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", v->v[i]);
	table_cell(t, sb.len ? strbuf_str(&sb) : "-");
	strbuf_release(&sb);
}

static void image_row(struct table *t, const struct unik_image *im, int64_t now, int no_trunc)
{
	char id[16], size[32], ago[64];

	human_size(im->size, size, sizeof(size));
	human_ago(im->created, now, ago, sizeof(ago));
	table_cell(t, im->name ? im->name : "<none>");
	table_cell(t, no_trunc ? im->id : cmd_short_id(im->id, id));
	table_cell(t, im->compiler);
	table_cell(t, im->format);
	table_cell(t, size);
	table_cell(t, ago);
	list_cell(t, &im->published); /* the providers with a copy: aws */
	list_cell(t, &im->stagings); /* the disks staged for unik export */
}

static const char *const images_filter_keys[] = { "reference", "label", "dangling", NULL };

static int test_reference(const char *want, void *arg)
{
	const struct unik_image *im = arg;

	return im->name && !fnmatch(want, im->name, 0);
}

/* An image is dangling when no name points at it any more. */
static int test_dangling(const char *want, void *arg)
{
	const struct unik_image *im = arg;

	return !strcmp(want, "true") ? !im->name : !strcmp(want, "false") ? im->name != NULL : 0;
}

static int check_dangling(const struct filters *f, struct unik_err *err)
{
	for (size_t i = 0; i < f->keys.n; i++)
		if (!strcmp(f->keys.v[i], "dangling") && strcmp(f->values.v[i], "true") &&
		    strcmp(f->values.v[i], "false"))
			return unik_err_set(err, UNIK_E_INVALID,
					    "dangling= expects true or false, not '%s'",
					    f->values.v[i]);
	return 0;
}

static int image_match(const struct filters *f, const struct unik_image *im, json_t *j)
{
	void *arg = (void *)im;

	return filters_ok(f, "reference", test_reference, arg) &&
	       filters_ok(f, "dangling", test_dangling, arg) &&
	       filters_all_ok(f, "label", filters_label_test, json_object_get(j, "labels"));
}

/* The record with the column names added: ID, Name (also Repository),
 * Compiler, Format, Size, CreatedAt, CreatedSince, Published, Staged, Labels. */
static json_t *image_fmt_row(json_t *j, const struct unik_image *im, int no_trunc, int64_t now)
{
	json_t *row = json_deep_copy(j), *labels = json_object_get(j, "labels");
	char id[16], size[32], ago[64], created[32];
	struct strbuf sb = STRBUF_INIT;
	time_t t = (time_t)im->created;
	char *labels_s;
	struct tm tm;

	human_size(im->size, size, sizeof(size));
	human_ago(im->created, now, ago, sizeof(ago));
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime_r(&t, &tm));
	json_object_set_new(row, "ID", json_string(no_trunc ? im->id : cmd_short_id(im->id, id)));
	json_object_set_new(row, "Name", json_string(im->name ? im->name : "<none>"));
	json_object_set_new(row, "Repository", json_string(im->name ? im->name : "<none>"));
	json_object_set_new(row, "Size", json_string(size));
	json_object_set_new(row, "CreatedAt", json_string(created));
	json_object_set_new(row, "CreatedSince", json_string(ago));
	for (size_t i = 0; i < im->stagings.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", im->stagings.v[i]);
	json_object_set_new(row, "Staged", json_string(strbuf_str(&sb)));
	strbuf_reset(&sb);
	for (size_t i = 0; i < im->published.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "," : "", im->published.v[i]);
	json_object_set_new(row, "Published", json_string(strbuf_str(&sb)));
	strbuf_release(&sb);
	labels_s = listfmt_labels(labels);
	json_object_set_new(row, "Labels", json_string(labels_s));
	free(labels_s);
	return row;
}

static int images_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct images_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *arr = NULL, *j, *kept;
	int64_t now = (int64_t)time(NULL);
	struct filters f;
	struct table t;
	int status = 0;
	size_t i;

	if (o->format && listfmt_check(o->format, &err))
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	if (filters_parse(&f, &o->filters, images_filter_keys, &err) || check_dangling(&f, &err)) {
		filters_release(&f);
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	}
	if (client_json(ctx->client, "GET", "/v1/images", NULL, &arr, &err)) {
		cmd_error(&err);
		filters_release(&f);
		return 1;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's list of images is not a JSON array\n");
		json_decref(arr);
		filters_release(&f);
		return 1;
	}
	kept = json_array();
	table_init(&t, "NAME ID COMPILER FORMAT SIZE CREATED PUBLISHED STAGED");
	json_array_foreach (arr, i, j) {
		struct unik_image im;
		char id[16];

		unik_image_init(&im);
		if (unik_image_from_json(j, &im, &err)) {
			unik_err_prefix(&err, "the unik daemon sent a bad image");
			status = 1;
		} else if (!image_match(&f, &im, j)) {
			/* filtered out */
		} else if (o->json) {
			json_array_append(kept, j);
		} else if (o->format) {
			json_array_append_new(kept, image_fmt_row(j, &im, o->no_trunc, now));
		} else if (o->quiet) {
			printf("%s\n", o->no_trunc ? im.id : cmd_short_id(im.id, id));
		} else {
			image_row(&t, &im, now, o->no_trunc);
		}
		unik_image_release(&im);
		if (status)
			break;
	}
	if (status)
		cmd_error(&err);
	else if (o->json)
		cmd_print_json(kept);
	else if (o->format)
		listfmt_print(o->format, kept, stdout);
	else if (!o->quiet)
		table_print(&t, stdout);
	table_release(&t);
	json_decref(kept);
	json_decref(arr);
	filters_release(&f);
	return status;
}

const struct cmd cmd_images = {
	.name = "images",
	.fn = images_main,
	.opts = images_options,
	.opts_size = sizeof(struct images_opts),
	.max_args = 0,
	.usage = "images [-f KEY=VALUE]... [--format TEMPLATE] [--no-trunc] [--json] [-q]",
	.summary = "List the images",
	.help = "SIZE counts the bytes of all the artifacts of an image (kernel, initrd, ...),\n"
		"in decimal units.  An image whose name moved to a newer build shows <none>.\n"
		"STAGED lists the disks 'unik export' made for it and keeps (raw, raw-gpt, vmdk,\n"
		"vdi, ova); PUBLISHED the providers holding a copy of it (aws: an AMI, made by\n"
		"its first run there or 'unik stage').\n"
		"\n"
		"Filters: reference=GLOB (the name, as fnmatch(3) matches it), label=KEY or\n"
		"label=KEY=VALUE, dangling=true|false (true: the images shown as <none>).\n"
		"--format fields: .ID .Name (also .Repository) .Compiler .Format .Size .CreatedAt\n"
		".CreatedSince .Published .Staged .Labels, and every key of the JSON record.\n",
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
