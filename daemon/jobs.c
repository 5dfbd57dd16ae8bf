/* jobs.c - build jobs (see jobs.h). */
#include "jobs.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../compilers/compiler.h"
#include "../lib/fsutil.h"
#include "../lib/sandbox.h"
#include "../lib/xalloc.h"
#include "blobs.h"
#include "build_cache.h"
#include "daemon.h"
#include "events.h"
#include "ids.h"
#include "oci_layout.h"
#include "store.h"

/* The running jobs, so they can be cancelled; `lock` guards the list and
 * each job's sb_open / stop_why. */
struct jobs {
	struct sandbox_conf conf;
	pthread_mutex_t lock;
	struct job_ctx *running;
	int closing; /* shutting down: no new builds */
};

struct job_ctx {
	struct unikd *d;
	struct unik_job job;
	struct build_request br;
	int events_fd;
	struct sandbox sb;
	int sb_open;
	enum sandbox_stop stop_why; /* a cancel that came before the sandbox was open */
	/* a task job (push, pull) instead of a build */
	job_task_fn task_fn;
	void *task;
	void (*task_free)(void *task);
	pid_t task_pid; /* its host tool while it runs (killed by a cancel) */
	struct job_ctx *next;
};

int jobs_init(struct unikd *d, struct unik_err *err)
{
	struct jobs *j = xcalloc(1, sizeof(*j));
	struct unik_err probe = UNIK_ERR_INIT;
	struct strbuf line = STRBUF_INIT;

	if (sandbox_conf_load(&j->conf, &d->cfg, err) < 0) {
		free(j);
		return -1;
	}
	pthread_mutex_init(&j->lock, NULL);
	d->jobs = j;
	if (j->conf.drop) {
		/* the build user binds its folder (state/tmp/build-*) into the
		 * sandbox: it must be able to pass through these two, which are
		 * searchable but not listable; everything else stays 0700 */
		char *tmp = unikd_path(d, "tmp");

		if (chmod(d->state_dir, 0711) < 0 || chmod(tmp, 0711) < 0)
			unikd_log("builds: cannot open the state dir to the build user");
		free(tmp);
	}
	sandbox_conf_describe(&j->conf, &line);
	unikd_log("%s", strbuf_str(&line));
	strbuf_release(&line);
	if (j->conf.note)
		unikd_log("builds: %s", j->conf.note);
	if (j->conf.mode == SANDBOX_NONE)
		unikd_log("WARNING: build.sandbox = none: builds are NOT sandboxed; an uploaded "
			  "Makefile sees the host's files and network as %s",
			  j->conf.user);
	else if (sandbox_probe(&j->conf, &probe) < 0)
		unikd_log("WARNING: builds will fail: %s", probe.msg);
	return 0;
}

const struct sandbox_conf *jobs_sandbox_conf(struct unikd *d)
{
	return &d->jobs->conf;
}

void jobs_fini(struct unikd *d)
{
	if (!d->jobs)
		return;
	sandbox_conf_release(&d->jobs->conf);
	pthread_mutex_destroy(&d->jobs->lock);
	free(d->jobs);
	d->jobs = NULL;
}

/* -1 with the reason once the job was told to stop. */
static int job_stopped(struct job_ctx *jc, struct unik_err *err)
{
	struct jobs *j = jc->d->jobs;
	enum sandbox_stop why;
	int open;

	pthread_mutex_lock(&j->lock);
	open = jc->sb_open;
	why = jc->stop_why;
	pthread_mutex_unlock(&j->lock);
	if (open)
		return sandbox_check(&jc->sb, err);
	if (why == SANDBOX_CANCELLED)
		return unik_err_set(err, UNIK_E_CONFLICT, "the %s was cancelled", jc->job.kind);
	if (why == SANDBOX_SHUTDOWN)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "the %s was stopped: the daemon is shutting down; %s again",
				    jc->job.kind, jc->task_fn ? "try" : "build");
	return 0;
}

static void job_stop(struct job_ctx *jc, enum sandbox_stop why)
{
	if (!jc->stop_why)
		jc->stop_why = why;
	if (jc->sb_open)
		sandbox_cancel(&jc->sb, why);
	if (jc->task_pid > 0)
		kill(jc->task_pid, SIGKILL);
}

int jobs_cancel(struct unikd *d, const char *id)
{
	struct jobs *j = d->jobs;
	int found = 0;

	pthread_mutex_lock(&j->lock);
	for (struct job_ctx *jc = j->running; jc && !found; jc = jc->next) {
		if (strcmp(jc->job.id, id))
			continue;
		job_stop(jc, SANDBOX_CANCELLED);
		found = 1;
	}
	pthread_mutex_unlock(&j->lock);
	return found;
}

void jobs_cancel_all(struct unikd *d)
{
	struct jobs *j = d->jobs;

	pthread_mutex_lock(&j->lock);
	j->closing = 1;
	for (struct job_ctx *jc = j->running; jc; jc = jc->next)
		job_stop(jc, SANDBOX_SHUTDOWN);
	pthread_mutex_unlock(&j->lock);
}

/* Adds jc to the running list; -1 when the daemon is shutting down. */
static int job_register(struct job_ctx *jc)
{
	struct jobs *j = jc->d->jobs;
	int rc = 0;

	pthread_mutex_lock(&j->lock);
	if (j->closing) {
		rc = -1;
	} else {
		jc->next = j->running;
		j->running = jc;
	}
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* Takes jc off the running list and closes its sandbox. */
static void job_unregister(struct job_ctx *jc)
{
	struct jobs *j = jc->d->jobs;

	pthread_mutex_lock(&j->lock);
	for (struct job_ctx **pp = &j->running; *pp; pp = &(*pp)->next) {
		if (*pp == jc) {
			*pp = jc->next;
			break;
		}
	}
	if (jc->sb_open)
		sandbox_close(&jc->sb);
	jc->sb_open = 0;
	pthread_mutex_unlock(&j->lock);
}

/* Opens the job's sandbox over its folder; a cancel that came first
 * applies to it at once. */
static int job_sandbox_open(struct job_ctx *jc, struct unik_err *err)
{
	struct jobs *j = jc->d->jobs;

	if (sandbox_open(&jc->sb, &j->conf, jc->br.work_dir, err) < 0)
		return -1;
	pthread_mutex_lock(&j->lock);
	jc->sb_open = 1;
	if (jc->stop_why)
		sandbox_cancel(&jc->sb, jc->stop_why);
	pthread_mutex_unlock(&j->lock);
	return 0;
}

void build_request_release(struct build_request *br)
{
	free(br->name);
	strv_release(&br->args);
	strv_release(&br->labels);
	free(br->src_dir);
	free(br->work_dir);
	free(br->cache_key);
	free(br->companion_src);
	memset(br, 0, sizeof(*br));
}

char *jobs_events_path(struct unikd *d, const char *id)
{
	return unikd_path(d, "jobs/%s.events", id);
}

/* Appends one event line; `extra` (stolen, may be NULL) is merged in. */
static void emit(struct job_ctx *jc, const char *type, const char *message, json_t *extra)
{
	char when[32];
	json_t *ev = json_object();
	char *line;

	unik_time_format(unikd_now(), when);
	json_object_set_new(ev, "type", json_string(type));
	json_object_set_new(ev, "time", json_string(when));
	if (message)
		json_object_set_new(ev, "message", unik_json_text(message)); /* any bytes */
	if (extra)
		json_object_update(ev, extra);
	json_decref(extra);
	line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (jc->events_fd >= 0) {
		size_t len = strlen(line);

		line = xrealloc(line, len + 2);
		line[len++] = '\n';
		if (write(jc->events_fd, line, len) != (ssize_t)len)
			unikd_log("job %s: cannot write an event", jc->job.id);
	}
	free(line);
	unikd_notify(jc->d);
}

static void log_line(void *ctx, const char *line)
{
	emit(ctx, "log", line, NULL);
}

void jobs_log(void *jc, const char *line)
{
	log_line(jc, line);
}

void jobs_progress(struct job_ctx *jc, const char *id, long long done, long long total)
{
	emit(jc, "progress", NULL,
	     json_pack("{sssIsI}", "id", id, "current", (json_int_t)done, "total",
		       (json_int_t)total));
}

int jobs_stopped(struct job_ctx *jc, struct unik_err *err)
{
	return job_stopped(jc, err);
}

int jobs_set_pid(struct job_ctx *jc, pid_t pid)
{
	struct jobs *j = jc->d->jobs;
	int stopped;

	pthread_mutex_lock(&j->lock);
	jc->task_pid = pid;
	stopped = jc->stop_why != 0;
	if (stopped && pid > 0)
		kill(pid, SIGKILL);
	pthread_mutex_unlock(&j->lock);
	return stopped;
}

void jobs_set_image(struct job_ctx *jc, const char *image_id)
{
	free(jc->job.image);
	jc->job.image = xstrdup(image_id);
}

void jobs_step(struct job_ctx *jc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(jc, "step", buf, NULL);
}

/* Gives an existing record (im) the name of this build.  A record known
 * under another name keeps it: this name gets a record of its own of the
 * same blobs, as `unik tag` makes (Docker: one image, two tags), instead of
 * the first name moving away from the image its user built.  That record
 * is the one the name already has when it holds the same image (a rebuild
 * makes no new one each time). */
static void take_name(struct store *st, struct unik_image *im, const char *name)
{
	struct unik_image held;
	char *id = NULL;

	if (!name || (im->name && !strcmp(im->name, name)))
		return;
	if (!im->name) {
		im->name = xstrdup(name);
		return;
	}
	unik_image_init(&held);
	if (store_image_resolve(st, name, &id, NULL) == 0 &&
	    store_image_get(st, id, &held, NULL) == 0 && held.name && !strcmp(held.name, name) &&
	    held.digest && im->digest && !strcmp(held.digest, im->digest)) {
		unik_image_release(im);
		*im = held;
		free(id);
		return;
	}
	unik_image_release(&held);
	free(id);
	free(im->id);
	im->id = ids_new();
	im->created = unikd_now();
	strv_release(&im->stagings);
	free(im->name);
	im->name = xstrdup(name);
}

/* Stores the artifacts and the image record; fills jc->job.image. */
static int save_image(struct job_ctx *jc, const struct unik_compiler *c,
		      const struct unik_build_result *res, const struct unik_build_result *comp,
		      struct unik_err *err)
{
	struct unikd *d = jc->d;
	struct unik_image im;
	long long ksize = 0, isize = 0, cksize = 0, cisize = 0;
	char *same = NULL;
	int rv = -1;

	unik_image_init(&im);
	pthread_mutex_lock(&d->lock); /* blob puts and image deletes exclude each other */
	if (blobs_put_file(d->state_dir, res->kernel, &im.kernel, &ksize, err))
		goto cleanup;
	if (res->initrd && blobs_put_file(d->state_dir, res->initrd, &im.initrd, &isize, err))
		goto cleanup;
	if (comp) {
		if (blobs_put_file(d->state_dir, comp->kernel, &im.companion.kernel, &cksize,
				   err) ||
		    (comp->initrd && blobs_put_file(d->state_dir, comp->initrd,
						    &im.companion.initrd, &cisize, err)))
			goto cleanup;
		im.companion.compiler = xstrdup(jc->br.companion->name);
		im.companion.format = xstrdup(comp->format);
		im.companion.memory_mb = jc->br.memory_mb ? jc->br.memory_mb : comp->memory_mb;
	}
	im.id = ids_new();
	im.name = xstrdup(jc->br.name);
	im.compiler = xstrdup(c->name);
	im.format = xstrdup(res->format);
	im.size = ksize + isize + cksize + cisize;
	im.created = unikd_now();
	im.memory_mb = jc->br.memory_mb ? jc->br.memory_mb : res->memory_mb;
	strv_copy(&im.args, &jc->br.args);
	strv_copy(&im.labels, &jc->br.labels);
	im.digest = oci_image_digest(&im);
	/* the same manifest as an existing image: that image, under this name */
	if (store_image_find_digest(d->store, im.digest, &same, err))
		goto cleanup;
	if (same) {
		char *name = im.name;

		im.name = NULL;
		unik_image_release(&im);
		if (store_image_get(d->store, same, &im, err)) {
			free(name);
			goto cleanup;
		}
		take_name(d->store, &im, name);
		free(name);
	}
	if (store_image_put_tagged(d->store, &im, err))
		goto cleanup;
	jc->job.image = xstrdup(im.id);
	events_emit(
	    "image", "build", im.id, im.name,
	    json_pack("{ssssss}", "compiler", im.compiler, "format", im.format, "job", jc->job.id));
	if (im.name)
		events_emit("image", "tag", im.id, im.name, NULL);
	rv = 0;
cleanup:
	pthread_mutex_unlock(&d->lock);
	unik_image_release(&im);
	free(same);
	return rv;
}

/* The build cache (build_cache.h): 1 when an image built before from the
 * same source and options still exists (it now carries this build's name),
 * 0 when the source must be compiled, -1 with err. */
static int from_cache(struct job_ctx *jc, struct unik_err *err)
{
	struct unikd *d = jc->d;
	struct unik_image im;
	char *id = jc->br.cache_key ? build_cache_lookup(d, jc->br.cache_key) : NULL;
	char short_id[13];
	int rv = 0;

	if (!id)
		return 0;
	unik_image_init(&im);
	pthread_mutex_lock(&d->lock); /* against image deletes, as save_image */
	if (store_image_get(d->store, id, &im, err) == 0) {
		take_name(d->store, &im, jc->br.name);
		rv = store_image_put_tagged(d->store, &im, err) ? -1 : 1;
	} else if (err->code == UNIK_E_NOT_FOUND) {
		unik_err_clear(err); /* removed since: build it again */
	} else {
		rv = -1;
	}
	pthread_mutex_unlock(&d->lock);
	if (rv == 1) {
		snprintf(short_id, sizeof(short_id), "%.12s", id);
		jobs_step(jc, "unchanged source and options: image %s from the build cache",
			  short_id);
		jc->job.image = xstrdup(im.id);
		if (im.name)
			events_emit("image", "tag", im.id, im.name, NULL);
	}
	unik_image_release(&im);
	free(id);
	return rv;
}

/* Runs compiler c on src into out_dir (scratch: its work folder) inside
 * the job's sandbox; res gets the artifacts. */
static int compile(struct job_ctx *jc, const struct unik_compiler *c, const char *src,
		   const char *out_dir, const char *scratch, struct unik_build_result *res,
		   struct unik_err *err)
{
	struct unik_build_spec spec;

	if (fs_mkdir_p(out_dir, 0700, err) || fs_mkdir_p(scratch, 0700, err))
		return -1;
	memset(&spec, 0, sizeof(spec));
	spec.src_dir = src;
	spec.out_dir = out_dir;
	spec.work_dir = scratch;
	spec.name = jc->br.name;
	spec.cfg = &jc->d->cfg;
	spec.log = log_line;
	spec.log_ctx = jc;
	spec.sandbox = &jc->sb;
	if (c->build(&spec, res, err)) {
		job_stopped(jc, err); /* a limit or a cancel: its own message */
		return -1;
	}
	if (job_stopped(jc, err) < 0)
		return -1;
	if (!res->kernel || !res->format)
		return unik_err_set(err, UNIK_E_INTERNAL, "compiler '%s' produced no image",
				    c->name);
	return 0;
}

/* The companion's build (build_request.companion), unless it is the
 * image's own compiler: 1 with comp filled, 0 when there is none. */
static int build_companion(struct job_ctx *jc, const struct unik_compiler *c,
			   struct unik_build_result *comp, struct unik_err *err)
{
	const struct unik_compiler *cc = jc->br.companion;
	char *out_dir, *scratch;
	int rv;

	if (!cc || !jc->br.companion_src)
		return 0;
	if (cc == c) {
		jobs_step(jc, "companion: none needed (the image is built by %s)", c->name);
		return 0;
	}
	jobs_step(jc, "companion: %s, from a copy of the source", cc->name);
	if (cc->probe && cc->probe(&jc->d->cfg, err))
		return unik_err_prefix(err, "companion compiler '%s' is not usable here", cc->name);
	out_dir = xasprintf("%s/out-companion", jc->br.work_dir);
	scratch = xasprintf("%s/scratch-companion", jc->br.work_dir);
	rv = compile(jc, cc, jc->br.companion_src, out_dir, scratch, comp, err) ? -1 : 1;
	if (rv < 0)
		unik_err_prefix(err, "companion build (%s)", cc->name);
	free(out_dir);
	free(scratch);
	return rv;
}

static int build(struct job_ctx *jc, struct unik_err *err)
{
	struct unikd *d = jc->d;
	const struct unik_compiler *c = jc->br.compiler;
	struct unik_build_result res, comp;
	char *out_dir = xasprintf("%s/out", jc->br.work_dir);
	char *scratch = xasprintf("%s/scratch", jc->br.work_dir);
	int rv = -1, has_comp = 0;

	unik_build_result_init(&res);
	unik_build_result_init(&comp);
	if (!c) {
		c = unik_compiler_detect(jc->br.src_dir);
		if (!c) {
			unik_err_set(err, UNIK_E_INVALID,
				     "no compiler recognises this source folder; name one with "
				     "--compiler (see 'unik compilers')");
			goto cleanup;
		}
		jobs_step(jc, "compiler: %s (detected)", c->name);
	} else {
		jobs_step(jc, "compiler: %s", c->name);
	}
	if (c->probe && c->probe(&d->cfg, err)) {
		unik_err_prefix(err, "compiler '%s' is not usable here", c->name);
		goto cleanup;
	}
	if (job_sandbox_open(jc, err) < 0 || job_stopped(jc, err) < 0)
		goto cleanup;
	/* after the checks: a cached build needs a working build setup too */
	rv = from_cache(jc, err);
	if (rv) {
		rv = rv > 0 ? 0 : -1;
		goto cleanup;
	}
	rv = -1;
	if (compile(jc, c, jc->br.src_dir, out_dir, scratch, &res, err))
		goto cleanup;
	has_comp = build_companion(jc, c, &comp, err);
	if (has_comp < 0)
		goto cleanup;
	jobs_step(jc, "storing the image");
	rv = save_image(jc, c, &res, has_comp ? &comp : NULL, err);
	if (rv == 0 && jc->br.cache_key)
		build_cache_store(d, jc->br.cache_key, jc->job.image);
cleanup:
	unik_build_result_release(&res);
	unik_build_result_release(&comp);
	free(out_dir);
	free(scratch);
	return rv;
}

static void *job_main(void *arg)
{
	struct job_ctx *jc = arg;
	struct unikd *d = jc->d;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *result;

	if (jc->task_fn) {
		if (jc->task_fn(jc, jc->task, &err) == 0) {
			jc->job.state = UNIK_JOB_SUCCEEDED;
		} else {
			job_stopped(jc, &err); /* a cancel: its own message */
			jc->job.state = UNIK_JOB_FAILED;
			jc->job.error = err;
		}
	} else if (build(jc, &err) == 0) {
		jc->job.state = UNIK_JOB_SUCCEEDED;
		jobs_step(jc, "built image %.12s%s%s", jc->job.image, jc->br.name ? " " : "",
			  jc->br.name ? jc->br.name : "");
	} else {
		jc->job.state = UNIK_JOB_FAILED;
		jc->job.error = err;
	}
	jc->job.finished = unikd_now();
	result = json_pack("{so}", "job", unik_job_to_json(&jc->job));
	emit(jc, "result", NULL, result);
	job_unregister(jc);
	pthread_mutex_lock(&d->lock);
	if (store_job_put(d->store, &jc->job, &err))
		unikd_log("job %s: %s", jc->job.id, err.msg);
	pthread_mutex_unlock(&d->lock);
	unikd_log("job %s %s%s%s", jc->job.id, unik_job_state_name(jc->job.state),
		  jc->job.state == UNIK_JOB_FAILED ? ": " : "",
		  jc->job.state == UNIK_JOB_FAILED ? jc->job.error.msg : "");
	unik_err_clear(&err);
	if (fs_remove_tree(jc->br.work_dir, &err))
		unikd_log("job %s: its build folder stays: %s", jc->job.id, err.msg);
	/* last: once the count is 0 a shutting-down daemon frees what we use */
	pthread_mutex_lock(&d->lock);
	d->jobs_running--;
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);
	close(jc->events_fd);
	if (jc->task_free)
		jc->task_free(jc->task);
	build_request_release(&jc->br);
	unik_job_release(&jc->job);
	free(jc);
	return NULL;
}

static int start_job(struct job_ctx *jc, const char *kind, const char *what, struct unik_job *out,
		     struct unik_err *err);

int jobs_start_build(struct unikd *d, struct build_request *br, struct unik_job *out,
		     struct unik_err *err)
{
	struct job_ctx *jc = xcalloc(1, sizeof(*jc));
	char what[128];

	jc->d = d;
	jc->br = *br;
	memset(br, 0, sizeof(*br));
	snprintf(what, sizeof(what), "build of %s started",
		 jc->br.name ? jc->br.name : "an unnamed image");
	return start_job(jc, "build", what, out, err);
}

int jobs_start_task(struct unikd *d, const char *kind, char *work_dir, const char *what,
		    job_task_fn fn, void *task, void (*task_free)(void *task), struct unik_job *out,
		    struct unik_err *err)
{
	struct job_ctx *jc = xcalloc(1, sizeof(*jc));

	jc->d = d;
	jc->br.work_dir = work_dir;
	jc->task_fn = fn;
	jc->task = task;
	jc->task_free = task_free;
	return start_job(jc, kind, what, out, err);
}

static int start_job(struct job_ctx *jc, const char *kind, const char *what, struct unik_job *out,
		     struct unik_err *err)
{
	struct unikd *d = jc->d;
	pthread_attr_t attr;
	pthread_t t;
	char *path;
	int shutting_down;

	unik_job_init(&jc->job);
	jc->events_fd = -1;
	jc->job.id = ids_new();
	jc->job.kind = xstrdup(kind);
	jc->job.state = UNIK_JOB_RUNNING;
	jc->job.created = unikd_now();
	pthread_mutex_lock(&d->lock);
	shutting_down = d->shutting_down;
	pthread_mutex_unlock(&d->lock);
	if (shutting_down || job_register(jc) < 0) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "the daemon is shutting down");
		goto fail;
	}
	path = jobs_events_path(d, jc->job.id);
	jc->events_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	if (jc->events_fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create the job's event log");
		goto fail_registered;
	}
	if (store_job_put(d->store, &jc->job, err))
		goto fail_registered;
	out->id = xstrdup(jc->job.id);
	out->kind = xstrdup(jc->job.kind);
	out->state = jc->job.state;
	out->created = jc->job.created;
	jobs_step(jc, "%s", what);
	pthread_mutex_lock(&d->lock);
	d->jobs_running++;
	pthread_mutex_unlock(&d->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, job_main, jc)) {
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&d->lock);
		d->jobs_running--;
		pthread_mutex_unlock(&d->lock);
		unik_err_set(err, UNIK_E_INTERNAL, "cannot start the job's thread");
		goto fail_registered;
	}
	pthread_attr_destroy(&attr);
	return 0;
fail_registered:
	job_unregister(jc);
fail:
	if (jc->events_fd >= 0)
		close(jc->events_fd);
	if (jc->br.work_dir)
		fs_remove_tree(jc->br.work_dir, NULL);
	if (jc->task_free)
		jc->task_free(jc->task);
	build_request_release(&jc->br);
	unik_job_release(&jc->job);
	free(jc);
	return -1;
}

int jobs_reconcile(struct unikd *d, struct unik_err *err)
{
	struct unik_job *v;
	size_t n;

	if (store_job_list_running(d->store, &v, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct job_ctx jc = { .d = d, .job = v[i] };
		char *path = jobs_events_path(d, v[i].id);

		jc.job.state = UNIK_JOB_FAILED;
		jc.job.finished = unikd_now();
		if (v[i].kind && strcmp(v[i].kind, "build"))
			unik_err_set(&jc.job.error, UNIK_E_INTERNAL,
				     "the daemon stopped during the %s; try again", v[i].kind);
		else
			unik_err_set(&jc.job.error, UNIK_E_INTERNAL,
				     "the daemon stopped during the build; build again");
		jc.events_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		emit(&jc, "result", NULL, json_pack("{so}", "job", unik_job_to_json(&jc.job)));
		if (jc.events_fd >= 0)
			close(jc.events_fd);
		store_job_put(d->store, &jc.job, NULL);
		v[i] = jc.job;
		free(path);
	}
	store_jobs_free(v, n);
	return 0;
}

void jobs_drain(struct unikd *d)
{
	pthread_mutex_lock(&d->lock);
	while (d->jobs_running > 0)
		unikd_wait_changed(d, 200);
	pthread_mutex_unlock(&d->lock);
}
