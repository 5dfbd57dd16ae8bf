/* job_follow.h - a job started by a POST, followed to its end (push, pull,
 * stage): its step lines printed, its "progress" events drawn as bars
 * (cmd/progress.c), Ctrl-C cancelling it in the daemon. */
#ifndef UNIK_CMD_JOB_FOLLOW_H
#define UNIK_CMD_JOB_FOLLOW_H

#include <jansson.h>

#include "cmd.h"

#define JOB_INTERRUPTED 130 /* the exit status of a job cancelled by Ctrl-C */

struct job_result {
	char *image; /* the job's image ("" for none) */
	char *last; /* its last step line, or NULL */
};

/* POSTs `body` to `path` and follows the job it starts; `quiet`: no lines,
 * no bars.  Returns 0 when the job succeeded (*res filled, release it with
 * job_result_release), JOB_INTERRUPTED after Ctrl-C (the job cancelled),
 * 1 otherwise (the error printed; `what` names the job in a failure
 * without a message: "the stage job"). */
int job_follow(struct cmd_ctx *ctx, const char *path, json_t *body, int quiet, const char *what,
	       struct job_result *res);
void job_result_release(struct job_result *res);

#endif
