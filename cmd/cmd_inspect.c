/* cmd_inspect.c - inspect: the daemon's records of instances, images and
 * volumes as a JSON array, or each through a --format template. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "gotmpl.h"

struct inspect_opts {
	const char *type;
	const char *format;
};

static const struct opt inspect_options[] = {
	OPT_STRING(0, "type", NULL, struct inspect_opts, type, "TYPE",
		   "only look for this kind: instance, image or volume"),
	OPT_STRING('f', "format", NULL, struct inspect_opts, format, "TEMPLATE",
		   "print each through a template: {{.Name}}, {{.A.B}}, {{json .X}}"),
	OPT_END(),
};

/* The kinds in the order a ref is looked up, as `docker inspect` does. */
static const struct {
	const char *type, *path;
} kinds[] = { { "instance", "instances" }, { "image", "images" }, { "volume", "volumes" } };

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The record `ref` names (NEW), or NULL with `err` set. */
static json_t *find_one(struct cmd_ctx *ctx, const char *type, const char *ref,
			struct unik_err *err)
{
	for (size_t k = 0; k < NKINDS; k++) {
		struct strbuf path = STRBUF_INIT;
		json_t *j = NULL;
		int rc;

		if (type && strcmp(type, kinds[k].type))
			continue;
		cmd_ref_path(&path, kinds[k].path, ref, NULL);
		rc = client_json(ctx->client, "GET", strbuf_str(&path), NULL, &j, err);
		strbuf_release(&path);
		if (!rc && json_is_object(j))
			return j;
		json_decref(j);
		if (!rc)
			unik_err_set(err, UNIK_E_INTERNAL,
				     "the unik daemon's %s %s is not an object", kinds[k].type,
				     ref);
		if (rc && err->code != UNIK_E_NOT_FOUND)
			return NULL;
	}
	unik_err_set(err, UNIK_E_NOT_FOUND, "no such %s: %s", type ? type : "object", ref);
	return NULL;
}

static int inspect_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct inspect_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *all = json_array();
	int status = 0;

	if (o->type && strcmp(o->type, "instance") && strcmp(o->type, "image") &&
	    strcmp(o->type, "volume")) {
		json_decref(all);
		return cmd_usage_error(
		    ctx->cmd, "--type expects instance, image or volume, not '%s'", o->type);
	}
	if (o->format && gotmpl_check(o->format, &err)) {
		json_decref(all);
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	}
	for (int i = 0; i < argc; i++) {
		json_t *j = find_one(ctx, o->type, argv[i], &err);

		if (!j) {
			cmd_error(&err);
			status = 1;
			if (cmd_unreachable(&err))
				break;
			continue;
		}
		if (o->format) {
			struct strbuf line = STRBUF_INIT;

			gotmpl_render(o->format, j, &line, &err);
			printf("%s\n", strbuf_str(&line));
			strbuf_release(&line);
			json_decref(j);
		} else {
			json_array_append_new(all, j);
		}
	}
	if (!o->format && !(status && cmd_unreachable(&err)))
		cmd_print_json(all);
	json_decref(all);
	return status;
}

const struct cmd cmd_inspect = {
	.name = "inspect",
	.fn = inspect_main,
	.opts = inspect_options,
	.opts_size = sizeof(struct inspect_opts),
	.min_args = 1,
	.max_args = -1,
	.usage = "inspect [--type TYPE] [-f TEMPLATE] REF...",
	.summary = "Show the records of instances, images or volumes",
	.help =
	    "Each REF (a name or a unique prefix of an id) is looked up as an instance, then an\n"
	    "image, then a volume, unless --type says which.  The records print as one JSON\n"
	    "array, as the API returns them.  A REF not found is reported on stderr; the others\n"
	    "still print and the exit status is 1.\n"
	    "\n"
	    "-f takes a subset of Go's templates: {{.}}, {{.Field}}, {{.A.B}} (a member of a\n"
	    "member), {{json .Field}}; \\t and \\n are a tab and a newline.  Field names match\n"
	    "the JSON keys ignoring case and underscores ({{.ExitCode}} is exit_code).\n",
};
