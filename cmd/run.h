/* run.h - what cmd_run.c shares with run_watch.c (unik run --watch DIR). */
#ifndef UNIK_CMD_RUN_H
#define UNIK_CMD_RUN_H

#include "../api/types.h"
#include "../lib/strv.h"
#include "cmd.h"

/* Exit statuses of `unik run` besides the program's own (docs/cli.md). */
#define RUN_FAILED 125 /* unik could not run the program, or lost its status */
#define RUN_INTERRUPTED 130 /* detached by a second Ctrl-C, or stopped by Ctrl-C */

struct run_opts {
	const char *name;
	const char *provider;
	int memory_mb;
	struct strv env;
	struct strv env_files;
	struct strv labels;
	struct strv publish;
	struct strv volumes;
	const char *accel;
	int detach;
	int interactive; /* -i: our input to the program's standard input */
	int tty; /* -t: with -i, the terminal in character mode */
	int rm;
	int trace;
	int verbose;
	int watch;
	const char *image;
	const char *restart;
	int summon;
	const char *idle_timeout;
	int summon_max;
};

/* cmd_run.c: builds the folder `dir` (the daemon's build cache makes an
 * unchanged folder a no-op), says on stderr how long it took, and sets
 * rq->image to the image id.  Returns 0 or the exit status. */
int run_build_folder(struct cmd_ctx *ctx, const char *dir, struct unik_run_request *rq);
/* DELETE the instance; errors are printed. */
void run_remove_instance(struct cmd_ctx *ctx, const char *id);

/* run_watch.c: `unik run --watch DIR`; rq is the run request for the
 * first build (rq->image is set by it).  Returns the exit status. */
int run_watch(struct cmd_ctx *ctx, const struct run_opts *o, const char *dir,
	      struct unik_run_request *rq);

#endif
