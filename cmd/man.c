/* man.c - `unik help --man [CMD]`: the help text as a roff man page,
 * unik(1) or unik-CMD(1), for `make install` (scripts/gen-man). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* Writes `s[0..n)` escaped for roff: backslashes, and a '.' or '\'' at the
 * start of a line, which roff would take for a request. */
static void roff_text(const char *s, size_t n, int line_start, FILE *f)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (line_start && (c == '.' || c == '\''))
			fputs("\\&", f);
		line_start = 0;
		if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
		if (c == '\n')
			line_start = 1;
	}
}

static void roff_str(const char *s, FILE *f)
{
	roff_text(s, strlen(s), 1, f);
}

/* The help text: paragraphs at blank lines, lines indented by two or more
 * spaces kept as they are (lists, examples). */
static void roff_help(const char *text, FILE *f)
{
	const char *p = text;
	int in_nf = 0;

	fputs(".PP\n", f);
	while (*p) {
		size_t n = strcspn(p, "\n");
		int verbatim = n >= 2 && p[0] == ' ' && p[1] == ' ';

		if (n == 0) {
			if (in_nf)
				fputs(".fi\n", f);
			in_nf = 0;
			fputs(".PP\n", f);
		} else {
			if (verbatim && !in_nf)
				fputs(".nf\n", f);
			else if (!verbatim && in_nf)
				fputs(".fi\n", f);
			in_nf = verbatim;
			roff_text(p, n, 1, f);
			fputc('\n', f);
		}
		p += n + (p[n] == '\n');
	}
	if (in_nf)
		fputs(".fi\n", f);
}

static void roff_options(const struct opt *opts, FILE *f)
{
	fputs(".SH OPTIONS\n", f);
	for (const struct opt *o = opts; o && o->type != OPT_T_END; o++) {
		fputs(".TP\n", f);
		if (o->short_name)
			fprintf(f, "\\fB\\-%c\\fR%s", o->short_name, o->long_name ? ", " : "");
		if (o->long_name) {
			fputs("\\fB\\-\\-", f);
			roff_str(o->long_name, f);
			fputs("\\fR", f);
		}
		if (o->argh) {
			fputs(" \\fI", f);
			roff_str(o->argh, f);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff_str(o->help, f);
		if (o->alias) {
			fputs(" (also \\fB\\-\\-", f);
			roff_str(o->alias, f);
			fputs("\\fR)", f);
		}
		fputc('\n', f);
	}
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow the help\n", f);
}

/* "volume create" -> "volume-create" */
static void page_name(const char *name, FILE *f)
{
	for (; *name; name++)
		fputc(*name == ' ' ? '-' : *name, f);
}

static void header(const char *name, FILE *f)
{
	fputs(".TH \"", f);
	fputs(name ? "UNIK-" : "UNIK", f);
	for (const char *p = name; p && *p; p++)
		fputc(*p == ' ' ? '-' : toupper((unsigned char)*p), f);
	fprintf(f, "\" 1 \"\" \"unik %s\" \"unik manual\"\n", UNIK_VERSION);
}

void cmd_print_man(const struct cmd *c, FILE *f)
{
	header(c->name, f);
	fputs(".SH NAME\nunik\\-", f);
	page_name(c->name, f);
	fputs(" \\- ", f);
	roff_str(c->summary, f);
	fputs("\n.SH SYNOPSIS\n.B unik\n", f);
	roff_str(c->usage, f);
	fputs("\n.SH DESCRIPTION\n", f);
	roff_str(c->summary, f);
	fputs(".\n", f);
	if (c->help)
		roff_help(c->help, f);
	if (c->alias) {
		fputs(".PP\nAlso \\fBunik ", f);
		roff_str(c->alias, f);
		fputs("\\fR.\n", f);
	}
	if (c->subs) {
		fputs(".SH COMMANDS\n", f);
		for (const struct cmd *const *s = c->subs; *s; s++) {
			fputs(".TP\n\\fBunik ", f);
			roff_str((*s)->usage, f);
			fputs("\\fR\n", f);
			roff_str((*s)->summary, f);
			fputc('\n', f);
		}
	} else {
		roff_options(c->opts, f);
	}
	fputs(".SH SEE ALSO\n.BR unik (1)\n", f);
}

void cmd_print_main_man(const struct cmd *const *cmds, const struct opt *global, FILE *f)
{
	header(NULL, f);
	fputs(".SH NAME\nunik \\- build programs into unikernels and run them\n"
	      ".SH SYNOPSIS\n.B unik\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARG\\fR...]\n"
	      ".SH DESCRIPTION\n"
	      "\\fBunik\\fR builds programs into unikernels and runs them, through the unik\n"
	      "daemon, \\fBunikd\\fR, whose REST API it speaks.\n"
	      ".SH COMMANDS\n",
	      f);
	for (const struct cmd *const *c = cmds; *c; c++) {
		fputs(".TP\n\\fBunik ", f);
		roff_str((*c)->name, f);
		fputs("\\fR\n", f);
		roff_str((*c)->summary, f);
		fputs(" (\\fBunik\\-", f);
		page_name((*c)->name, f);
		fputs("\\fR(1))\n", f);
	}
	roff_options(global, f);
	fputs(".SH ENVIRONMENT\n"
	      ".TP\n.B UNIK_HOST\nthe daemon's address, as \\fB\\-\\-host\\fR\n"
	      ".TP\n.B UNIK_TOKEN\nthe bearer token, as \\fB\\-\\-token\\fR\n"
	      ".SH SEE ALSO\n",
	      f);
	for (const struct cmd *const *c = cmds; *c; c++) {
		fputs(".BR unik\\-", f);
		page_name((*c)->name, f);
		fprintf(f, " (1)%s\n", c[1] ? "," : "");
	}
}
