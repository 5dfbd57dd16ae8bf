/* group.c - the subcommand dispatcher (see group.h). */
#include "group.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"

static void group_help(const char *group, const char *about, const struct cmd *const *subs, FILE *f)
{
	size_t skip = strlen(group) + 1;

	fprintf(f, "Usage:  unik %s COMMAND [ARG...]\n\n%s\n\nCommands:\n", group, about);
	for (const struct cmd *const *c = subs; *c; c++)
		fprintf(f, "  %-10s%s\n", (*c)->name + skip, (*c)->summary);
	fprintf(f, "\nRun 'unik %s COMMAND --help' for more on a command.\n", group);
}

int cmd_group_main(struct cmd_ctx *ctx, const char *group, const char *about,
		   const struct cmd *const *subs, int argc, char **argv)
{
	static const struct opt none[] = { OPT_END() };
	struct unik_err err = UNIK_ERR_INIT;
	const struct cmd *c = NULL;
	struct cmd_ctx sub = *ctx;
	size_t skip = strlen(group) + 1;
	const struct opt *opts;
	void *values;
	int n, status;

	if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		group_help(group, about, subs, argc ? stdout : stderr);
		return argc ? 0 : CMD_USAGE_STATUS;
	}
	for (const struct cmd *const *s = subs; *s && !c; s++)
		if (!strcmp((*s)->name + skip, argv[0]))
			c = *s;
	if (!c) {
		fprintf(stderr, "unik %s: no such command '%s'.\nSee 'unik %s --help'.\n", group,
			argv[0], group);
		return CMD_USAGE_STATUS;
	}
	sub.cmd = c;
	opts = c->opts ? c->opts : none;
	values = xcalloc(1, c->opts_size ? c->opts_size : 1);
	opts_defaults(opts, values);
	n = opts_parse(opts, 0, argc - 1, argv + 1, values, &err);
	if (n == OPTS_HELP) {
		cmd_print_help(c, stdout);
		status = 0;
	} else if (n < 0) {
		status = cmd_usage_error(c, "%s", err.msg);
	} else if (n < c->min_args || (c->max_args >= 0 && n > c->max_args)) {
		int want = n < c->min_args ? c->min_args : c->max_args;

		status =
		    cmd_usage_error(c, "takes %s%d argument%s", c->max_args < 0 ? "at least " : "",
				    want, want == 1 ? "" : "s");
	} else {
		status = c->fn(&sub, values, n, argv + 1);
	}
	opts_release(opts, values);
	free(values);
	return status;
}
