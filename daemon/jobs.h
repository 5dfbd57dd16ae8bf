/* jobs.h - build jobs.  A job runs in its own thread; its progress is a
 * newline-delimited JSON file (<state>/jobs/<id>.events) that ends with a
 * {"type":"result"} line, so followers can stream it from the start at any
 * time, even after a daemon restart.  Its tools run in a sandbox
 * (lib/sandbox.h) that a cancel or the daemon's shutdown kills at once. */
#ifndef UNIKD_JOBS_H
#define UNIKD_JOBS_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;
struct unik_compiler;

struct build_request {
	char *name; /* image name or NULL */
	const struct unik_compiler *compiler; /* NULL: detect */
	int memory_mb; /* 0: the compiler's default */
	struct strv args;
	struct strv labels; /* "K=V" */
	char *src_dir; /* extracted source; the job owns and removes it */
	char *work_dir; /* the job's scratch folder (src_dir lives inside) */
};

void build_request_release(struct build_request *br);

/* Reads the [build] configuration, prepares the state dir for the build
 * user and logs how builds run.  -1 with err on a bad configuration. */
int jobs_init(struct unikd *d, struct unik_err *err);
void jobs_fini(struct unikd *d);
/* How builds are sandboxed (volumes from a folder are made the same way). */
struct sandbox_conf;
const struct sandbox_conf *jobs_sandbox_conf(struct unikd *d);

/* Starts a build job; takes ownership of br's contents.  `out` gets the job
 * as first stored (state running). */
int jobs_start_build(struct unikd *d, struct build_request *br, struct unik_job *out,
		     struct unik_err *err);
/* Path of a job's events file (caller frees). */
char *jobs_events_path(struct unikd *d, const char *id);
/* Marks jobs left running by a previous daemon as failed. */
int jobs_reconcile(struct unikd *d, struct unik_err *err);
/* Cancels running job `id`: 1 when it was running (it now stops at once and
 * ends failed), 0 when no such job is running. */
int jobs_cancel(struct unikd *d, const char *id);
/* Stops every running build and refuses new ones (at shutdown). */
void jobs_cancel_all(struct unikd *d);
/* Waits for running job threads to finish (at shutdown). */
void jobs_drain(struct unikd *d);

#endif
