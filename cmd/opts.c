/* opts.c - table-driven option parsing and option help. */
#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "../lib/strv.h"
#include "humanize.h"

#define HELP_COLUMN 28
#define HELP_WIDTH 80

static void *field(const struct opt *o, void *values)
{
	return (char *)values + o->offset;
}

void opts_defaults(const struct opt *opts, void *values)
{
	for (const struct opt *o = opts; o->type != OPT_T_END; o++)
		if (o->type == OPT_T_INT)
			*(int *)field(o, values) = o->def;
}

void opts_release(const struct opt *opts, void *values)
{
	for (const struct opt *o = opts; o->type != OPT_T_END; o++)
		if (o->type == OPT_T_LIST)
			strv_release(field(o, values));
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* `shown` is how the user spelled the option, for messages. */
static int set_value(const struct opt *o, const char *shown, const char *arg, void *values,
		     struct unik_err *err)
{
	void *p = field(o, values);

	switch (o->type) {
	case OPT_T_BOOL: *(int *)p = 1; return 0;
	case OPT_T_STRING: *(const char **)p = arg; return 0;
	case OPT_T_LIST: strv_push(p, arg); return 0;
	case OPT_T_INT:
		if (parse_int(arg, p) < 0)
			return unik_err_set(err, UNIK_E_INVALID,
					    "option '%s' expects a number, not '%s'", shown, arg);
		return 0;
	case OPT_T_MEMORY:
		if (parse_memory_mb(arg, p) < 0)
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    "option '%s': bad memory size '%s' (use e.g. 128, 128M or 1G)", shown,
			    arg);
		return 0;
	case OPT_T_END: break;
	}
	return unik_err_set(err, UNIK_E_INTERNAL, "option '%s' has no type", shown);
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o->type != OPT_T_END; o++) {
		if (o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
		if (o->alias && strlen(o->alias) == len && !strncmp(o->alias, name, len))
			return o;
	}
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (const struct opt *o = opts; o->type != OPT_T_END; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

/* Parses argv[*i], a long option; may consume argv[*i + 1]. */
static int parse_long(const struct opt *opts, int argc, char **argv, int *i, void *values,
		      struct unik_err *err)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt *o;

	if (len == 4 && !strncmp(name, "help", 4))
		return OPTS_HELP;
	o = find_long(opts, name, len);
	if (!o)
		return unik_err_set(err, UNIK_E_INVALID, "unknown option '--%.*s'", (int)len, name);
	if (o->type == OPT_T_BOOL) {
		if (eq)
			return unik_err_set(err, UNIK_E_INVALID, "option '--%.*s' takes no value",
					    (int)len, name);
		return set_value(o, argv[*i], NULL, values, err);
	}
	if (eq)
		return set_value(o, argv[*i], eq + 1, values, err);
	if (*i + 1 >= argc)
		return unik_err_set(err, UNIK_E_INVALID, "option '%s' needs a value", argv[*i]);
	(*i)++;
	return set_value(o, argv[*i - 1], argv[*i], values, err);
}

/* Parses argv[*i], a cluster of short options ("-af", "-tNAME", "-t NAME"). */
static int parse_short(const struct opt *opts, int argc, char **argv, int *i, void *values,
		       struct unik_err *err)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		char shown[3] = { '-', *p, '\0' };
		const struct opt *o = find_short(opts, *p);

		if (!o && *p == 'h')
			return OPTS_HELP;
		if (!o)
			return unik_err_set(err, UNIK_E_INVALID, "unknown option '%s'", shown);
		if (o->type == OPT_T_BOOL) {
			set_value(o, shown, NULL, values, err);
			continue;
		}
		if (p[1])
			return set_value(o, shown, p + 1, values, err);
		if (*i + 1 >= argc)
			return unik_err_set(err, UNIK_E_INVALID, "option '%s' needs a value",
					    shown);
		(*i)++;
		return set_value(o, shown, argv[*i], values, err);
	}
	return 0;
}

int opts_parse(const struct opt *opts, unsigned flags, int argc, char **argv, void *values,
	       struct unik_err *err)
{
	int nargs = 0;
	int i;

	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		int rc;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			argv[nargs++] = a;
			if (flags & OPTS_STOP_AT_ARG) {
				i++;
				break;
			}
			continue;
		}
		if (a[1] == '-')
			rc = parse_long(opts, argc, argv, &i, values, err);
		else
			rc = parse_short(opts, argc, argv, &i, values, err);
		if (rc < 0)
			return rc;
	}
	for (; i < argc; i++)
		argv[nargs++] = argv[i];
	return nargs;
}

/* Prints `text` from HELP_COLUMN on, wrapped at HELP_WIDTH. */
static void print_wrapped(const char *text, FILE *f)
{
	size_t col = HELP_COLUMN;

	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > HELP_COLUMN && col + 1 + word > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		} else if (col > HELP_COLUMN) {
			fputc(' ', f);
			col++;
		}
		fwrite(text, 1, word, f);
		col += word;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

static void print_one(const struct opt *o, FILE *f)
{
	struct strbuf left = STRBUF_INIT;

	strbuf_adds(&left, "  ");
	if (o->short_name)
		strbuf_addf(&left, "-%c%s", o->short_name, o->long_name ? ", " : "");
	else
		strbuf_adds(&left, "    ");
	if (o->long_name)
		strbuf_addf(&left, "--%s", o->long_name);
	if (o->argh)
		strbuf_addf(&left, " %s", o->argh);
	if (left.len + 2 > HELP_COLUMN)
		fprintf(f, "%s\n%*s", strbuf_str(&left), HELP_COLUMN, "");
	else
		fprintf(f, "%-*s", HELP_COLUMN, strbuf_str(&left));
	strbuf_reset(&left);
	strbuf_adds(&left, o->help);
	if (o->alias)
		strbuf_addf(&left, " (also --%s)", o->alias);
	print_wrapped(strbuf_str(&left), f);
	strbuf_release(&left);
}

void opts_print_help(const struct opt *opts, FILE *f)
{
	static const struct opt help = {
		OPT_T_BOOL, 'h', "help", NULL, 0, NULL, "show this help", 0
	};

	fputs("Options:\n", f);
	for (const struct opt *o = opts; o && o->type != OPT_T_END; o++)
		print_one(o, f);
	print_one(&help, f);
}
