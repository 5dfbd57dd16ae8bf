/* jobs.h - build jobs.  A job runs in its own thread; its progress is a
 * newline-delimited JSON file (<state>/jobs/<id>.events) that ends with a
 * {"type":"result"} line, so followers can stream it from the start at any
 * time, even after a daemon restart.  Its tools run in a sandbox
 * (lib/sandbox.h) that a cancel or the daemon's shutdown kills at once. */
#ifndef UNIKD_JOBS_H
#define UNIKD_JOBS_H

#include <sys/types.h>

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
	char *cache_key; /* build_cache.h, or NULL: no caching */
	/* unik build --provider: that provider's companion_compiler, and a
	 * second copy of the source for it (inside work_dir); NULL: none */
	const struct unik_compiler *companion;
	char *companion_src;
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
/* A job that is not a build (push, pull): `fn` runs in the job's own
 * thread with `task`, reports progress with jobs_step/jobs_log, names an
 * image it made with jobs_set_image, runs its host tool's process under
 * jobs_set_pid (a cancel or the shutdown kills it) and returns 0 / -1 with
 * err.  The job owns work_dir (removed at its end) and task (task_free). */
struct job_ctx;
typedef int (*job_task_fn)(struct job_ctx *jc, void *task, struct unik_err *err);
int jobs_start_task(struct unikd *d, const char *kind, char *work_dir, const char *what,
		    job_task_fn fn, void *task, void (*task_free)(void *task), struct unik_job *out,
		    struct unik_err *err);
void jobs_step(struct job_ctx *jc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jobs_log(void *jc, const char *line);
/* A "progress" event: `done` of `total` bytes of the transfer of `id`
 * (a blob digest), for the CLI's progress bars. */
void jobs_progress(struct job_ctx *jc, const char *id, long long done, long long total);
/* -1 with the reason once the job was told to stop. */
int jobs_stopped(struct job_ctx *jc, struct unik_err *err);
/* Records the running tool's pid (0 once reaped); returns 1 (and kills it)
 * when the job was already told to stop. */
int jobs_set_pid(struct job_ctx *jc, pid_t pid);
void jobs_set_image(struct job_ctx *jc, const char *image_id);
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
