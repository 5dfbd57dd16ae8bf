/* opts.h - the option parser of the unik commands.
 *
 * A command describes its options with a table of `struct opt`, each naming
 * a member (by offset) of the command's own options struct.  The parser
 * fills that struct from argv, and the same table prints the help, so an
 * option and its documentation cannot drift apart.
 *
 *   struct ps_opts { int all; int json; };
 *   static const struct opt ps_options[] = {
 *	OPT_BOOL('a', "all", NULL, struct ps_opts, all, "show exited instances too"),
 *	OPT_END(),
 *   };
 *
 * Strings are borrowed from argv; lists (OPT_LIST) are owned by the struct
 * and freed by opts_release().
 */
#ifndef UNIK_CMD_OPTS_H
#define UNIK_CMD_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "../lib/error.h"

enum opt_type {
	OPT_T_END = 0,
	OPT_T_BOOL, /* int, set to 1 */
	OPT_T_STRING, /* const char *, borrowed from argv */
	OPT_T_LIST, /* struct strv, one element per use */
	OPT_T_INT, /* int, decimal; `def` is the value when absent */
	OPT_T_MEMORY, /* int megabytes: "128", "128M", "1G" */
};

struct opt {
	enum opt_type type;
	char short_name; /* 0: none */
	const char *long_name; /* NULL: none */
	const char *alias; /* a second long name (UniK's spelling), or NULL */
	size_t offset; /* of the value in the command's options struct */
	const char *argh; /* the argument's name in the help, e.g. "NAME" */
	const char *help;
	int def; /* OPT_T_INT: default value */
};

/* clang-format off */
#define OPT_BOOL(s, l, a, T, f, h)	{ OPT_T_BOOL, s, l, a, offsetof(T, f), NULL, h, 0 }
#define OPT_STRING(s, l, a, T, f, arg, h) { OPT_T_STRING, s, l, a, offsetof(T, f), arg, h, 0 }
#define OPT_LIST(s, l, a, T, f, arg, h)	{ OPT_T_LIST, s, l, a, offsetof(T, f), arg, h, 0 }
#define OPT_INT(s, l, a, T, f, arg, d, h) { OPT_T_INT, s, l, a, offsetof(T, f), arg, h, d }
#define OPT_MEMORY(s, l, a, T, f, arg, h) { OPT_T_MEMORY, s, l, a, offsetof(T, f), arg, h, 0 }
#define OPT_END()			{ OPT_T_END, 0, NULL, NULL, 0, NULL, NULL, 0 }
/* clang-format on */

enum {
	/* The first argument ends the options: it and everything after it are
	 * arguments, "--" and "-x" too (run: IMAGE and the program's own, as
	 * `docker run` takes them). */
	OPTS_STOP_AT_ARG = 1 << 0,
};

/* Result of opts_parse() when -h/--help was given. */
#define OPTS_HELP (-2)

/* Sets the defaults of `opts` in `values` (a zeroed options struct). */
void opts_defaults(const struct opt *opts, void *values);

/* Parses argv[0..argc) (argv[0] is the first argument, not the command).
 * Options may come anywhere (see the flags); "--" ends them.
 * Moves the remaining arguments to the front of argv and returns how many
 * there are, OPTS_HELP for -h/--help, or -1 with `err` set. */
int opts_parse(const struct opt *opts, unsigned flags, int argc, char **argv, void *values,
	       struct unik_err *err);

/* Frees what opts_parse() allocated in `values` (lists). */
void opts_release(const struct opt *opts, void *values);

/* Prints the "Options:" block of a help text. */
void opts_print_help(const struct opt *opts, FILE *f);

#endif
