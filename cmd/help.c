/* help.c - `unik --help`, `unik help CMD`, `unik CMD --help`. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

void cmd_print_help(const struct cmd *c, FILE *f)
{
	fprintf(f, "Usage:  unik %s\n\n%s\n", c->usage, c->summary);
	if (c->help)
		fprintf(f, "\n%s", c->help);
	if (c->alias)
		fprintf(f, "\nAliases:\n  unik %s, unik %s\n", c->name, c->alias);
	fputc('\n', f);
	opts_print_help(c->opts, f);
}

void cmd_print_main_help(const struct cmd *const *cmds, const struct opt *global, FILE *f)
{
	fputs("Usage:  unik [OPTIONS] COMMAND [ARG...]\n\n"
	      "Build programs into unikernels and run them, through the unik daemon (unikd).\n\n"
	      "Commands:\n",
	      f);
	for (const struct cmd *const *c = cmds; *c; c++) {
		fprintf(f, "  %-12s%s", (*c)->name, (*c)->summary);
		if ((*c)->alias)
			fprintf(f, " (also: %s)", (*c)->alias);
		fputc('\n', f);
	}
	fputs("  help        Show the help of a command\n\n", f);
	opts_print_help(global, f);
	fputs("\nEnvironment:\n"
	      "  UNIK_HOST   the daemon's address, as --host\n"
	      "  UNIK_TOKEN  the bearer token, as --token\n"
	      "\nRun 'unik help COMMAND' or 'unik COMMAND --help' for more on a command.\n",
	      f);
}

int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "unik %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'unik %s --help'.\n", c->name);
	return c->usage_status ? c->usage_status : CMD_USAGE_STATUS;
}
