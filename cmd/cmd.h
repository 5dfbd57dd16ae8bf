/* cmd.h - the commands of the unik CLI and what they share.
 *
 * Each command is a `const struct cmd` in its own file (cmd_*.c) and is
 * listed in main.c's table.  The runner parses the command's options into
 * a zeroed struct of `opts_size` bytes, checks the number of arguments,
 * connects nothing yet, and calls fn(), whose return value is the exit
 * status.  Commands print their own errors (cmd_error()); only main()
 * exits.
 */
#ifndef UNIK_CMD_CMD_H
#define UNIK_CMD_CMD_H

#include <jansson.h>
#include <stdio.h>

#include "../lib/error.h"
#include "../lib/strbuf.h"
#include "client.h"
#include "opts.h"

/* Exit status of a usage error (bad option, missing argument). */
#define CMD_USAGE_STATUS 2

struct cmd_ctx {
	struct unik_client *client;
	int host_given; /* --host or UNIK_HOST chose the daemon */
	const struct cmd *cmd;
};

enum {
	CMD_PROGRAM_ARGS = 1 << 0, /* the first argument ends the options (run: IMAGE) */
	CMD_RAW_ARGS = 1 << 1, /* no option parsing at all (daemon) */
};

struct cmd {
	const char *name;
	const char *alias; /* UniK's name for it, or NULL */
	int (*fn)(struct cmd_ctx *ctx, void *opts, int argc, char **argv);
	const struct opt *opts; /* NULL: none but --help */
	size_t opts_size;
	unsigned flags;
	int min_args;
	int max_args; /* -1: no limit */
	int usage_status; /* 0: CMD_USAGE_STATUS */
	const char *usage; /* after "unik ", e.g. "build [OPTIONS] PATH" */
	const char *summary;
	const char *help; /* more text for `unik help CMD`, or NULL */
	const struct cmd *const *subs; /* a group's subcommands ("volume create"), or NULL */
};

/* main.c: the command table, NULL-terminated, and the global options. */
extern const struct cmd *const unik_commands[];
extern const struct opt unik_global_options[];

extern const struct cmd cmd_build, cmd_images, cmd_rmi, cmd_export;
extern const struct cmd cmd_push, cmd_pull, cmd_tag, cmd_save, cmd_load, cmd_login, cmd_logout;
extern const struct cmd cmd_stage;
extern const struct cmd cmd_run, cmd_ps, cmd_logs, cmd_stop, cmd_start, cmd_rm, cmd_wait;
extern const struct cmd cmd_kill, cmd_restart, cmd_inspect, cmd_completion;
extern const struct cmd cmd_system, cmd_container, cmd_image; /* cmd_prune.c */
extern const struct cmd cmd_system_prune, cmd_container_prune, cmd_image_prune, cmd_volume_prune;
extern const struct cmd cmd_compilers, cmd_providers, cmd_version, cmd_daemon;
extern const struct cmd cmd_events; /* cmd_events.c */
extern const struct cmd cmd_stats; /* cmd_stats.c */
extern const struct cmd cmd_compose; /* cmd_compose.c */
extern const struct cmd cmd_cp; /* cmd_cp.c */
extern const struct cmd cmd_volume; /* cmd_volumes.c: its subcommands below */
extern const struct cmd cmd_volume_create, cmd_volume_ls, cmd_volume_inspect, cmd_volume_rm,
    cmd_volume_attach, cmd_volume_detach;
/* The volume subcommand UniK calls `name` ("create-volume"), or NULL. */
const struct cmd *cmd_volume_alias(const char *name);

/* cmd_build.c: builds the folder `dir` as `unik build` does.  Progress
 * goes to `progress`, or, when it is NULL, is kept and printed on stderr
 * only if the build fails; `quiet` prints the image id alone on stdout.
 * Ctrl-C cancels the build.  *image (caller frees, may be NULL) gets the
 * image id and *cached (may be NULL) 1 when the daemon's build cache
 * answered.  Returns the exit status: 0, 1, or 130 (interrupted). */
struct strv;
struct cmd_build_req {
	const char *dir;
	const char *name; /* NULL: the folder's name */
	const char *compiler; /* NULL: detected */
	int memory_mb;
	const struct strv *args, *labels; /* may be NULL */
	int quiet;
	FILE *progress;
	const char *provider; /* NULL: no companion build (--provider) */
};
int cmd_build_dir(struct cmd_ctx *ctx, const struct cmd_build_req *rq, char **image, int *cached);

/* help.c */
void cmd_print_help(const struct cmd *c, FILE *f);
void cmd_print_main_help(const struct cmd *const *cmds, const struct opt *global, FILE *f);
/* man.c: the help as roff, unik-CMD(1) and unik(1) */
void cmd_print_man(const struct cmd *c, FILE *f);
void cmd_print_main_man(const struct cmd *const *cmds, const struct opt *global, FILE *f);
/* Prints "unik CMD: <msg>" and where to find help; returns the usage status. */
int cmd_usage_error(const struct cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* common.c */
/* Prints "unik: <message>" on stderr. */
void cmd_error(const struct unik_err *err);
/* 1 when `err` means the daemon is out of reach (no point trying more refs). */
int cmd_unreachable(const struct unik_err *err);
/* Prints `j` (borrowed) indented, with a newline. */
void cmd_print_json(json_t *j);
/* Appends "/v1/<kind>/<ref, escaped><suffix>" to `path`. */
void cmd_ref_path(struct strbuf *path, const char *kind, const char *ref, const char *suffix);
/* A client_data_fn that copies the data to stdout at once (unbuffered). */
int cmd_write_stdout(const char *data, size_t len, void *arg, struct unik_err *err);
/* GET `path` streamed to `output` (through output.part, renamed when whole;
 * nothing left on an error) or to the standard output when it is not a
 * terminal; `what` ("a disk image") names it in the refusal.  Prints its
 * errors; returns the exit status. */
int cmd_download(struct cmd_ctx *ctx, const char *path, const char *output, const char *what);
/* The first UNIK_SHORT_ID_LEN characters of an id (borrowed or static). */
const char *cmd_short_id(const char *id, char buf[16]);

/* Runs fn on each ref in turn; an error is printed and the others still
 * run (unless the daemon is out of reach).  Returns 0, or 1 if any failed. */
typedef int (*cmd_ref_fn)(struct cmd_ctx *ctx, const char *ref, void *opts, struct unik_err *err);
int cmd_for_each_ref(struct cmd_ctx *ctx, int argc, char **argv, cmd_ref_fn fn, void *opts);

#endif
