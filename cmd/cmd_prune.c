/* cmd_prune.c - system df, system prune, container prune, image prune,
 * volume prune: client side, over the list and delete routes; the space
 * reclaimed is what GET /v1/system/df counts before and after. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "group.h"
#include "humanize.h"
#include "table.h"

static const char *const df_kinds[] = { "images", "instances", "volumes", "stagings", NULL };

static int get_df(struct cmd_ctx *ctx, json_t **df, struct unik_err *err)
{
	if (client_json(ctx->client, "GET", "/v1/system/df", NULL, df, err))
		return -1;
	if (!json_is_object(*df)) {
		json_decref(*df);
		*df = NULL;
		return unik_err_set(err, UNIK_E_INTERNAL, "the unik daemon's df is not an object");
	}
	return 0;
}

static long long df_total(json_t *df)
{
	long long sum = 0;

	for (const char *const *k = df_kinds; *k; k++)
		sum += json_integer_value(json_object_get(json_object_get(df, *k), "size"));
	return sum;
}

/* Asks on the terminal unless -f; 1 to go on. */
static int confirm(const char *what)
{
	char line[16];

	printf("WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ", what);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* What a prune removes: one kind's records that `pick` keeps. */
struct prune_kind {
	const char *path; /* "instances" */
	const char *title; /* "Deleted Instances" */
	int (*pick)(json_t *rec, void *arg);
	void *arg;
};

/* Deletes every record `k` picks; prints its id under the title.  A 409
 * (it came into use meanwhile) is skipped.  -1 when the daemon failed. */
static int prune_kind(struct cmd_ctx *ctx, const struct prune_kind *k, int *count,
		      struct unik_err *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *arr = NULL, *j;
	size_t i;
	int rc = 0;

	strbuf_addf(&path, "/v1/%s%s", k->path, !strcmp(k->path, "instances") ? "?all=1" : "");
	if (client_json(ctx->client, "GET", strbuf_str(&path), NULL, &arr, err)) {
		strbuf_release(&path);
		return -1;
	}
	json_array_foreach (arr, i, j) {
		const char *id = json_string_value(json_object_get(j, "id"));
		struct unik_err derr = UNIK_ERR_INIT;

		if (!id || !k->pick(j, k->arg))
			continue;
		strbuf_reset(&path);
		cmd_ref_path(&path, k->path, id, NULL);
		if (client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, NULL, &derr)) {
			if (derr.code == UNIK_E_CONFLICT || derr.code == UNIK_E_NOT_FOUND)
				continue;
			*err = derr;
			rc = -1;
			break;
		}
		if (!(*count)++)
			printf("%s:\n", k->title);
		printf("%s\n", id);
	}
	if (*count)
		putchar('\n');
	json_decref(arr);
	strbuf_release(&path);
	return rc;
}

static int pick_stopped(json_t *rec, void *arg)
{
	const char *s = json_string_value(json_object_get(rec, "state"));

	return s && (!strcmp(s, "exited") || !strcmp(s, "created"));
}

/* Images: dangling ones (no name), or with -a every one no instance uses. */
struct image_pick {
	int all;
	json_t *instances; /* GET /v1/instances?all=1 */
};

static int pick_image(json_t *rec, void *arg)
{
	const struct image_pick *p = arg;
	const char *id = json_string_value(json_object_get(rec, "id"));
	size_t i;
	json_t *in;

	if (!json_is_string(json_object_get(rec, "name")))
		return 1;
	if (!p->all)
		return 0;
	json_array_foreach (p->instances, i, in) {
		const char *img = json_string_value(json_object_get(in, "image"));

		if (img && id && !strcmp(img, id))
			return 0;
	}
	return 1;
}

static int pick_any(json_t *rec, void *arg)
{
	return 1; /* the daemon refuses the volumes instances use (409: skipped) */
}

struct prune_opts {
	int all;
	int force;
	int volumes;
};

enum { PRUNE_INSTANCES = 1, PRUNE_IMAGES = 2, PRUNE_VOLUMES = 4 };

static int run_prune(struct cmd_ctx *ctx, unsigned what, int all, int force, const char *warn)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct image_pick ip = { all, NULL };
	json_t *before = NULL, *after = NULL;
	int n = 0, rc = 0;
	char size[32];

	if (!force && !confirm(warn))
		return 0;
	if (get_df(ctx, &before, &err))
		goto fail;
	if (what & PRUNE_INSTANCES) {
		struct prune_kind k = { "instances", "Deleted Instances", pick_stopped, NULL };

		rc = prune_kind(ctx, &k, &n, &err);
	}
	if (!rc && (what & PRUNE_IMAGES)) {
		struct prune_kind k = { "images", "Deleted Images", pick_image, &ip };

		n = 0;
		rc = client_json(ctx->client, "GET", "/v1/instances?all=1", NULL, &ip.instances,
				 &err);
		if (!rc)
			rc = prune_kind(ctx, &k, &n, &err);
	}
	if (!rc && (what & PRUNE_VOLUMES)) {
		struct prune_kind k = { "volumes", "Deleted Volumes", pick_any, NULL };

		n = 0;
		rc = prune_kind(ctx, &k, &n, &err);
	}
	json_decref(ip.instances);
	if (rc || get_df(ctx, &after, &err))
		goto fail;
	{
		long long freed = df_total(before) - df_total(after);

		human_size(freed > 0 ? freed : 0, size, sizeof(size));
	}
	printf("Total reclaimed space: %s\n", size);
	json_decref(before);
	json_decref(after);
	return 0;
fail:
	cmd_error(&err);
	json_decref(before);
	return 1;
}

static const struct opt system_prune_options[] = {
	OPT_BOOL('a', "all", NULL, struct prune_opts, all,
		 "remove every image no instance uses, not only dangling ones"),
	OPT_BOOL('f', "force", NULL, struct prune_opts, force, "do not ask for confirmation"),
	OPT_BOOL(0, "volumes", NULL, struct prune_opts, volumes,
		 "also remove the volumes no instance uses"),
	OPT_END(),
};

static const struct opt image_prune_options[] = {
	OPT_BOOL('a', "all", NULL, struct prune_opts, all,
		 "remove every image no instance uses, not only dangling ones"),
	OPT_BOOL('f', "force", NULL, struct prune_opts, force, "do not ask for confirmation"),
	OPT_END(),
};

static const struct opt force_options[] = {
	OPT_BOOL('f', "force", NULL, struct prune_opts, force, "do not ask for confirmation"),
	OPT_END(),
};

static int system_prune_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct prune_opts *o = opts;

	return run_prune(ctx, PRUNE_INSTANCES | PRUNE_IMAGES | (o->volumes ? PRUNE_VOLUMES : 0),
			 o->all, o->force,
			 o->volumes
			     ? "all stopped instances, unused volumes and dangling "
			       "(with -a: unused) images"
			     : "all stopped instances and dangling (with -a: unused) images");
}

static int container_prune_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct prune_opts *o = opts;

	return run_prune(ctx, PRUNE_INSTANCES, 0, o->force, "all stopped instances");
}

static int image_prune_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct prune_opts *o = opts;

	return run_prune(ctx, PRUNE_IMAGES, o->all, o->force,
			 o->all ? "all images no instance uses" : "all dangling images");
}

static int volume_prune_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct prune_opts *o = opts;

	return run_prune(ctx, PRUNE_VOLUMES, 0, o->force, "all volumes no instance uses");
}

#define PRUNE_CMD(var, nm, fn_, opts_, use, sum)                                                   \
	const struct cmd var = { .name = nm,                                                       \
				 .fn = fn_,                                                        \
				 .opts = opts_,                                                    \
				 .opts_size = sizeof(struct prune_opts),                           \
				 .max_args = 0,                                                    \
				 .usage = use,                                                     \
				 .summary = sum,                                                   \
				 .help = "Prints the ids removed and the space reclaimed (as "     \
					 "GET /v1/system/df\ncounts it before and after).  "       \
					 "Without -f it asks first.\n" }

PRUNE_CMD(cmd_system_prune, "system prune", system_prune_main, system_prune_options,
	  "system prune [-a] [-f] [--volumes]",
	  "Remove stopped instances, dangling images (and unused volumes)");
PRUNE_CMD(cmd_container_prune, "container prune", container_prune_main, force_options,
	  "container prune [-f]", "Remove all stopped instances");
PRUNE_CMD(cmd_image_prune, "image prune", image_prune_main, image_prune_options,
	  "image prune [-a] [-f]", "Remove dangling images (-a: every unused one)");
PRUNE_CMD(cmd_volume_prune, "volume prune", volume_prune_main, force_options, "volume prune [-f]",
	  "Remove the volumes no instance uses");

/* ---- system df ------------------------------------------------------ */

struct df_opts {
	int json;
};

static const struct opt df_options[] = {
	OPT_BOOL(0, "json", NULL, struct df_opts, json, "print the raw JSON"),
	OPT_END(),
};

static int df_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	static const char *const names[] = { "Images", "Instances", "Volumes", "Stagings" };
	const struct df_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *df = NULL;
	struct table t;

	if (get_df(ctx, &df, &err)) {
		cmd_error(&err);
		return 1;
	}
	if (o->json) {
		cmd_print_json(df);
		json_decref(df);
		return 0;
	}
	table_init(&t, "TYPE TOTAL ACTIVE SIZE");
	for (size_t i = 0; df_kinds[i]; i++) {
		json_t *k = json_object_get(df, df_kinds[i]), *active;
		char size[32];

		human_size(json_integer_value(json_object_get(k, "size")), size, sizeof(size));
		table_cell(&t, names[i]);
		table_cellf(&t, "%lld", (long long)json_integer_value(json_object_get(k, "count")));
		active = json_object_get(k, "active");
		if (json_is_integer(active))
			table_cellf(&t, "%lld", (long long)json_integer_value(active));
		else
			table_cell(&t, "-");
		table_cell(&t, size);
	}
	table_print(&t, stdout);
	table_release(&t);
	json_decref(df);
	return 0;
}

static const struct cmd cmd_system_df = {
	.name = "system df",
	.fn = df_main,
	.opts = df_options,
	.opts_size = sizeof(struct df_opts),
	.max_args = 0,
	.usage = "system df [--json]",
	.summary = "Show the disk space the daemon's state takes",
	.help = "Counts and sizes of images (their blobs), instances (their folders: console\n"
		"logs, writable files), volumes (their disks) and staged export disks, as the\n"
		"blocks the files take (du's count).\n",
};

/* ---- the groups ----------------------------------------------------- */

static const struct cmd *const system_subs[] = { &cmd_system_df, &cmd_system_prune, NULL };
static const struct cmd *const container_subs[] = { &cmd_container_prune, NULL };
static const struct cmd *const image_subs[] = { &cmd_image_prune, NULL };

static int system_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_group_main(ctx, "system", "Manage the daemon's state: df, prune.", system_subs,
			      argc, argv);
}

static int container_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_group_main(ctx, "container", "Manage instances (Docker's containers): prune.",
			      container_subs, argc, argv);
}

static int image_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_group_main(ctx, "image", "Manage images: prune.", image_subs, argc, argv);
}

#define GROUP_CMD(var, nm, fn_, sum, subs_)                                                        \
	const struct cmd var = { .name = nm,                                                       \
				 .subs = subs_,                                                    \
				 .fn = fn_,                                                        \
				 .flags = CMD_RAW_ARGS,                                            \
				 .max_args = -1,                                                   \
				 .usage = nm " COMMAND [ARG...]",                                  \
				 .summary = sum }

GROUP_CMD(cmd_system, "system", system_main, "Disk usage and pruning: df, prune", system_subs);
GROUP_CMD(cmd_container, "container", container_main, "Instances as Docker's containers: prune",
	  container_subs);
GROUP_CMD(cmd_image, "image", image_main, "Images: prune", image_subs);
