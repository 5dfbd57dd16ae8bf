/* cmd_volumes.c - volume create | ls | inspect | rm | attach | detach, and
 * UniK's names for them (create-volume, volumes, attach-volume,
 * detach-volume).  docs/volumes.md. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "cmd.h"
#include "group.h"
#include "humanize.h"
#include "table.h"
#include "tarball.h"

/* ---- create --------------------------------------------------------- */

struct create_opts {
	const char *size;
	const char *from;
	const char *type;
};

static const struct opt create_options[] = {
	OPT_STRING('s', "size", NULL, struct create_opts, size, "SIZE",
		   "size of the disk: 64M, 1G, ... (default with --from: what the folder needs "
		   "and room to spare)"),
	OPT_STRING(0, "from", "data", struct create_opts, from, "DIR",
		   "copy this folder into the new volume"),
	OPT_STRING('t', "type", NULL, struct create_opts, type, "TYPE",
		   "file system: ext2 (default), ext4 or fat"),
	OPT_END(),
};

static int create_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct create_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT, tar = STRBUF_INIT;
	json_t *res = NULL;
	long long size = 0;
	char num[32];
	int rc;

	if (!o->size && !o->from)
		return cmd_usage_error(ctx->cmd, "give the volume a --size or a --from folder");
	if (o->size && parse_bytes(o->size, UNIK_VOLUME_MAX_SIZE, &size))
		return cmd_usage_error(ctx->cmd, "bad size '%s' (use e.g. 64M or 1G)", o->size);
	if (o->type && !unik_volume_type_valid(o->type))
		return cmd_usage_error(ctx->cmd, "unknown type '%s': ext2, ext4 or fat", o->type);
	strbuf_adds(&path, "/v1/volumes");
	client_query(&path, "name", argv[0]);
	if (o->type)
		client_query(&path, "type", o->type);
	if (size) {
		snprintf(num, sizeof(num), "%lld", size);
		client_query(&path, "size", num);
	}
	if (o->from && tarball_pack_dir(o->from, &tar, &err)) {
		rc = -1;
	} else if (o->from) {
		rc = client_upload(ctx->client, strbuf_str(&path), "application/gzip", tar.buf,
				   tar.len, &res, &err);
	} else {
		rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, &res, &err);
	}
	if (rc)
		cmd_error(&err);
	else
		printf("%s\n", argv[0]);
	json_decref(res);
	strbuf_release(&path);
	strbuf_release(&tar);
	return rc ? 1 : 0;
}

const struct cmd cmd_volume_create = {
	.name = "volume create",
	.alias = "create-volume",
	.fn = create_main,
	.opts = create_options,
	.opts_size = sizeof(struct create_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "volume create (--size SIZE | --from DIR) [--type TYPE] NAME",
	.summary = "Create a volume: an empty file system, or one holding a folder",
	.help = "The disk is made by the daemon without root (mke2fs, mtools) and kept in its\n"
		"state dir.  With --from the folder is uploaded like a build's sources.\n"
		"Mount it with 'unik run -v NAME:/PATH[:ro]'.\n",
};

/* ---- ls ------------------------------------------------------------- */

struct ls_opts {
	int json;
	int quiet;
};

static const struct opt ls_options[] = {
	OPT_BOOL(0, "json", NULL, struct ls_opts, json, "print the raw JSON"),
	OPT_BOOL('q', "quiet", NULL, struct ls_opts, quiet, "print the volume names only"),
	OPT_END(),
};

static void volume_row(struct table *t, const struct unik_volume *v, int64_t now)
{
	struct strbuf users = STRBUF_INIT;
	char id[16], size[32], ago[64];

	human_size(v->size, size, sizeof(size));
	human_ago(v->created, now, ago, sizeof(ago));
	for (size_t i = 0; i < v->n_users; i++)
		strbuf_addf(&users, "%s%s:%s%s%s", i ? ", " : "", v->users[i].instance_name,
			    v->users[i].path, v->users[i].read_only ? ":ro" : "",
			    v->users[i].running ? " (running)" : "");
	table_cell(t, v->name);
	table_cell(t, cmd_short_id(v->id, id));
	table_cell(t, v->type);
	table_cell(t, size);
	table_cell(t, ago);
	table_cell(t, strbuf_str(&users));
	strbuf_release(&users);
}

static int ls_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct ls_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *arr = NULL, *j;
	struct table t;
	int status = 0;
	size_t i;

	if (client_json(ctx->client, "GET", "/v1/volumes", NULL, &arr, &err)) {
		cmd_error(&err);
		return 1;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's list of volumes is not a JSON array\n");
		json_decref(arr);
		return 1;
	}
	if (o->json) {
		cmd_print_json(arr);
		json_decref(arr);
		return 0;
	}
	table_init(&t, "NAME ID TYPE SIZE CREATED ATTACHED");
	json_array_foreach (arr, i, j) {
		struct unik_volume v;

		unik_volume_init(&v);
		if (unik_volume_from_json(j, &v, &err)) {
			unik_err_prefix(&err, "the unik daemon sent a bad volume");
			status = 1;
		} else if (o->quiet) {
			printf("%s\n", v.name);
		} else {
			volume_row(&t, &v, (int64_t)time(NULL));
		}
		unik_volume_release(&v);
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

const struct cmd cmd_volume_ls = {
	.name = "volume ls",
	.alias = "volumes",
	.fn = ls_main,
	.opts = ls_options,
	.opts_size = sizeof(struct ls_opts),
	.min_args = 0,
	.max_args = 0,
	.usage = "volume ls [--json] [-q]",
	.summary = "List volumes",
	.help = "ATTACHED lists the instances that mount each volume (INSTANCE:PATH[:ro]).\n",
};

/* ---- inspect -------------------------------------------------------- */

static int inspect_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	json_t *all = json_array();
	int status = 0;

	for (int i = 0; i < argc; i++) {
		struct unik_err err = UNIK_ERR_INIT;
		struct strbuf path = STRBUF_INIT;
		json_t *v = NULL;

		cmd_ref_path(&path, "volumes", argv[i], NULL);
		if (client_json(ctx->client, "GET", strbuf_str(&path), NULL, &v, &err)) {
			cmd_error(&err);
			status = 1;
		} else {
			json_array_append_new(all, v);
		}
		strbuf_release(&path);
		if (status && cmd_unreachable(&err))
			break;
	}
	if (json_array_size(all))
		cmd_print_json(all);
	json_decref(all);
	return status;
}

const struct cmd cmd_volume_inspect = {
	.name = "volume inspect",
	.fn = inspect_main,
	.min_args = 1,
	.max_args = -1,
	.usage = "volume inspect VOLUME...",
	.summary = "Show volumes in detail (JSON)",
};

/* ---- rm ------------------------------------------------------------- */

struct rm_opts {
	int force;
};

static const struct opt rm_options[] = {
	OPT_BOOL('f', "force", NULL, struct rm_opts, force,
		 "detach it from the stopped instances that mount it first"),
	OPT_END(),
};

static int rm_one(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err)
{
	const struct rm_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL;
	int rc;

	cmd_ref_path(&path, "volumes", ref, NULL);
	if (o->force)
		client_query(&path, "force", "1");
	rc = client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, &res, err);
	if (!rc)
		printf("%s\n", ref);
	json_decref(res);
	strbuf_release(&path);
	return rc;
}

static int rm_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	return cmd_for_each_ref(ctx, argc, argv, rm_one, opts);
}

const struct cmd cmd_volume_rm = {
	.name = "volume rm",
	.alias = "delete-volume",
	.fn = rm_main,
	.opts = rm_options,
	.opts_size = sizeof(struct rm_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "volume rm [-f] VOLUME...",
	.summary = "Remove volumes and their data",
	.help = "A volume a running instance mounts is never removed.  One that stopped\n"
		"instances mount is kept unless -f, which detaches it from them.\n",
};

/* ---- attach, detach ------------------------------------------------- */

struct attach_opts {
	int read_only;
};

static const struct opt attach_options[] = {
	OPT_BOOL(0, "ro", "read-only", struct attach_opts, read_only, "mount it read-only"),
	OPT_END(),
};

static int print_result(int rc, const struct unik_err *err, const char *what)
{
	if (rc) {
		cmd_error(err);
		return 1;
	}
	printf("%s\n", what);
	return 0;
}

static int attach_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct attach_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct unik_attach_request rq = { argv[1], argv[2], o->read_only };
	json_t *body, *res = NULL;
	int rc;

	if (unik_mount_path_check(argv[2], &err))
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	body = unik_attach_request_to_json(&rq);
	cmd_ref_path(&path, "volumes", argv[0], "/attach");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), body, &res, &err);
	json_decref(body);
	json_decref(res);
	strbuf_release(&path);
	return print_result(rc, &err, argv[0]);
}

const struct cmd cmd_volume_attach = {
	.name = "volume attach",
	.alias = "attach-volume",
	.fn = attach_main,
	.opts = attach_options,
	.opts_size = sizeof(struct attach_opts),
	.min_args = 3,
	.max_args = 3,
	.usage = "volume attach [--ro] VOLUME INSTANCE /PATH",
	.summary = "Mount a volume in an instance",
	.help = "A stopped instance mounts it from its next start.  A running one needs a\n"
		"provider that hot-plugs disks ('unik providers': volume_hotplug).\n",
};

static int detach_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	json_t *body = json_pack("{ss}", "instance", argv[1]), *res = NULL;
	int rc;

	cmd_ref_path(&path, "volumes", argv[0], "/detach");
	rc = client_json(ctx->client, "POST", strbuf_str(&path), body, &res, &err);
	json_decref(body);
	json_decref(res);
	strbuf_release(&path);
	return print_result(rc, &err, argv[0]);
}

const struct cmd cmd_volume_detach = {
	.name = "volume detach",
	.alias = "detach-volume",
	.fn = detach_main,
	.min_args = 2,
	.max_args = 2,
	.usage = "volume detach VOLUME INSTANCE",
	.summary = "Take a volume out of an instance",
};

/* ---- the group ------------------------------------------------------ */

static const struct cmd *const subcommands[] = {
	&cmd_volume_create, &cmd_volume_ls,	&cmd_volume_inspect, &cmd_volume_rm,
	&cmd_volume_attach, &cmd_volume_detach, &cmd_volume_prune,   NULL,
};

const struct cmd *cmd_volume_alias(const char *name)
{
	for (const struct cmd *const *c = subcommands; *c; c++)
		if ((*c)->alias && !strcmp((*c)->alias, name))
			return *c;
	return NULL;
}

static int volume_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	/* Docker's other spellings */
	if (argc && !strcmp(argv[0], "list"))
		argv[0] = "ls";
	else if (argc && !strcmp(argv[0], "remove"))
		argv[0] = "rm";
	return cmd_group_main(ctx, "volume",
			      "Manage volumes: disks with a file system that instances mount.",
			      subcommands, argc, argv);
}

const struct cmd cmd_volume = {
	.name = "volume",
	.fn = volume_main,
	.flags = CMD_RAW_ARGS,
	.min_args = 0,
	.max_args = -1,
	.usage = "volume COMMAND [ARG...]",
	.subs = subcommands,
	.summary = "Manage volumes: create, ls, inspect, rm, attach, detach",
	.help = "Commands:\n"
		"  create     Create a volume: an empty file system, or one holding a folder\n"
		"  ls         List volumes\n"
		"  inspect    Show volumes in detail (JSON)\n"
		"  rm         Remove volumes and their data\n"
		"  attach     Mount a volume in an instance\n"
		"  detach     Take a volume out of an instance\n"
		"  prune      Remove the volumes no instance uses\n"
		"UniK's names: create-volume, volumes, delete-volume, attach-volume,\n"
		"detach-volume.  See docs/volumes.md.\n",
};
