/* job_follow.c - following a job to its end (see job_follow.h). */
#include "job_follow.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "progress.h"

struct follow_state {
	int quiet;
	int have_result;
	struct unik_job job;
	struct progress bars;
	char *last; /* the last step line */
};

static int on_event(const char *line, size_t len, void *arg, struct unik_err *err)
{
	struct follow_state *f = arg;
	json_t *ev = len ? json_loadb(line, len, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *msg = json_string_value(json_object_get(ev, "message"));
	int rc = 0;

	if (!len)
		return 0;
	if (!ev)
		return unik_err_set(err, UNIK_E_INTERNAL, "the unik daemon sent a bad job event");
	if (type && !strcmp(type, "progress")) {
		const char *id = json_string_value(json_object_get(ev, "id"));
		json_t *cur = json_object_get(ev, "current"), *tot = json_object_get(ev, "total");

		if (id && json_is_integer(cur) && json_is_integer(tot) && !f->quiet)
			progress_update(&f->bars, id, json_integer_value(cur),
					json_integer_value(tot));
	} else if (type && !strcmp(type, "result")) {
		progress_break(&f->bars);
		unik_job_release(&f->job);
		rc = unik_job_from_json(json_object_get(ev, "job"), &f->job, err);
		f->have_result = rc == 0;
	} else if (msg) {
		free(f->last);
		f->last = xstrdup(msg);
		if (!f->quiet) {
			progress_break(&f->bars);
			printf("%s\n", msg);
			fflush(stdout);
		}
	}
	json_decref(ev);
	return rc;
}

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	(void)sig;
	if (interrupts < 2)
		interrupts++;
}

static int interrupted(void *arg)
{
	(void)arg;
	return interrupts >= 1;
}

static int interrupted_twice(void *arg)
{
	(void)arg;
	return interrupts >= 2;
}

/* After Ctrl-C: DELETE /v1/jobs/{id} (the daemon stops the job at once). */
static int cancel_job(struct cmd_ctx *ctx, const char *id)
{
	struct unik_client cl = *ctx->client; /* shallow: its own cancel hook */
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL;

	cl.cancel = interrupted_twice;
	fprintf(stderr, "unik: cancelling the job (Ctrl-C again to stop waiting)\n");
	cmd_ref_path(&path, "jobs", id, NULL);
	if (client_json(&cl, "DELETE", strbuf_str(&path), NULL, &res, &err) && interrupts < 2)
		cmd_error(&err);
	json_decref(res);
	strbuf_release(&path);
	return JOB_INTERRUPTED;
}

void job_result_release(struct job_result *res)
{
	free(res->image);
	free(res->last);
	res->image = res->last = NULL;
}

int job_follow(struct cmd_ctx *ctx, const char *path, json_t *body, int quiet, const char *what,
	       struct job_result *out)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct follow_state f = { .quiet = quiet };
	struct strbuf ev = STRBUF_INIT;
	json_t *res = NULL;
	int rc;

	struct sigaction sa, old_int, old_term;

	unik_job_init(&f.job);
	progress_init(&f.bars, stdout, isatty(STDOUT_FILENO));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = client_json(ctx->client, "POST", path, body, &res, &err);
	if (!rc)
		rc = unik_job_from_json(res, &f.job, &err);
	json_decref(res);
	if (!rc) {
		cmd_ref_path(&ev, "jobs", f.job.id, "/events");
		ctx->client->cancel = interrupted;
		rc = client_stream_lines(ctx->client, strbuf_str(&ev), on_event, &f, &err);
		ctx->client->cancel = NULL;
		if (rc && interrupts) {
			rc = cancel_job(ctx, f.job.id);
			goto out;
		}
	}
	if (!rc && !f.have_result)
		rc =
		    unik_err_set(&err, UNIK_E_INTERNAL, "the job's events ended before its result");
	if (!rc && f.job.state != UNIK_JOB_SUCCEEDED)
		rc = f.job.error.msg[0]
			 ? unik_err_set(&err, f.job.error.code ? f.job.error.code : UNIK_E_INTERNAL,
					"%s", f.job.error.msg)
			 : unik_err_set(&err, UNIK_E_INTERNAL, "%s failed", what);
	if (rc) {
		cmd_error(&err);
	} else {
		out->image = xstrdup(f.job.image ? f.job.image : "");
		out->last = f.last;
		f.last = NULL;
	}
	rc = rc ? 1 : 0;
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	unik_job_release(&f.job);
	free(f.last);
	strbuf_release(&ev);
	return rc;
}
