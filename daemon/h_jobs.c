/* h_jobs.c - job state, events and cancel; the start of a job's route. */
#include <stdlib.h>

#include "../lib/clock.h"
#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "follow.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "jobs.h"
#include "store.h"

void h_jobs_get(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_job job;

	unik_job_init(&job);
	if (store_job_get(req->d->store, req->params[0], &job, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, unik_job_to_json(&job));
	unik_job_release(&job);
}

static int job_done(struct unikd *d, const char *id)
{
	struct unik_job job;
	int done;

	unik_job_init(&job);
	done = store_job_get(d->store, id, &job, NULL) < 0 || job.state != UNIK_JOB_RUNNING;
	unik_job_release(&job);
	return done;
}

void h_jobs_events(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_job job;
	struct follow *f;
	char *path;

	unik_job_init(&job);
	if (store_job_get(req->d->store, req->params[0], &job, &err)) {
		http_reply_error(req, &err);
		unik_job_release(&job);
		return;
	}
	unik_job_release(&job);
	path = jobs_events_path(req->d, req->params[0]);
	f = follow_open(req->d, path, -1, 1, job_done, req->params[0]);
	free(path);
	if (!f) {
		unik_err_set(&err, UNIK_E_NOT_FOUND, "job %s has no events", req->params[0]);
		http_reply_error(req, &err);
		return;
	}
	http_reply_stream(req, 200, "application/x-ndjson", follow_read, follow_ready, f,
			  follow_free);
}

/* How long DELETE waits for a cancelled build to end before answering 202. */
#define CANCEL_WAIT_MS 10000
#define CANCEL_POLL_MS 200 /* between looks at the store (a notify wakes it early) */

void h_jobs_cancel(struct http_req *req)
{
	struct unikd *d = req->d;
	const char *id = req->params[0];
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_job job;
	long long until = clock_now_ms() + CANCEL_WAIT_MS;

	unik_job_init(&job);
	if (store_job_get(d->store, id, &job, &err)) {
		http_reply_error(req, &err);
		goto out;
	}
	if (job.state != UNIK_JOB_RUNNING) {
		unik_err_set(&err, UNIK_E_CONFLICT, "job %s has already %s", id,
			     unik_job_state_name(job.state));
		http_reply_error(req, &err);
		goto out;
	}
	/* not found: it is just ending by itself; wait for that all the same */
	jobs_cancel(d, id);
	while (!job_done(d, id) && clock_now_ms() < until) {
		pthread_mutex_lock(&d->lock);
		unikd_wait_changed(d, CANCEL_POLL_MS);
		pthread_mutex_unlock(&d->lock);
	}
	unik_job_release(&job);
	unik_job_init(&job);
	if (store_job_get(d->store, id, &job, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, job.state == UNIK_JOB_RUNNING ? 202 : 200,
				unik_job_to_json(&job));
out:
	unik_job_release(&job);
}

void h_jobs_start(struct http_req *req, const char *kind, const char *what,
		  int (*fn)(struct job_ctx *jc, void *task, struct unik_err *err), void *task,
		  void (*task_free)(void *task), char **work)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_job job;
	char *rnd = ids_new(), *dir = unikd_path(req->d, "tmp/%s-%.16s", kind, rnd);

	free(rnd);
	unik_job_init(&job);
	if (fs_mkdir_p(dir, 0700, &err)) {
		fs_remove_tree(dir, NULL);
		free(dir);
		task_free(task);
		http_reply_error(req, &err);
		return;
	}
	if (work)
		*work = xstrdup(dir);
	/* the job owns dir and task from here, on a failure too */
	if (jobs_start_task(req->d, kind, dir, what, fn, task, task_free, &job, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 202, unik_job_to_json(&job));
	unik_job_release(&job);
}
