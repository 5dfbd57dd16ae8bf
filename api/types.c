/* types.c - JSON codecs of the API objects. */
#include "types.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/portspec.h"
#include "../lib/utf8.h"
#include "../lib/xalloc.h"
#include "restart.h"
#include "summon.h"
#include "labels.h"

static const char *const state_names[] = { "created", "starting", "running", "stopping", "exited" };
static const char *const job_state_names[] = { "running", "succeeded", "failed" };
#define NSTATES (int)(sizeof(state_names) / sizeof(state_names[0]))

const char *unik_state_name(enum unik_state s)
{
	return (unsigned)s < NSTATES ? state_names[s] : "unknown";
}

int unik_state_active(enum unik_state s)
{
	return s == UNIK_STATE_STARTING || s == UNIK_STATE_RUNNING || s == UNIK_STATE_STOPPING;
}

int unik_state_from_name(const char *name, enum unik_state *out)
{
	for (int i = 0; i < NSTATES; i++)
		if (name && !strcmp(name, state_names[i])) {
			*out = (enum unik_state)i;
			return 0;
		}
	return -1;
}

const char *unik_job_state_name(enum unik_job_state s)
{
	return (unsigned)s < 3 ? job_state_names[s] : "unknown";
}

int unik_job_state_from_name(const char *name, enum unik_job_state *out)
{
	for (int i = 0; i < 3; i++)
		if (name && !strcmp(name, job_state_names[i])) {
			*out = (enum unik_job_state)i;
			return 0;
		}
	return -1;
}

void unik_time_format(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int unik_time_parse(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int unik_name_valid(const char *name)
{
	size_t n;

	if (!name || !isalnum((unsigned char)name[0]))
		return 0;
	n = strlen(name);
	if (n > UNIK_NAME_MAX)
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

int unik_env_valid(const char *kv)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;

	if (!eq || eq == kv)
		return 0;
	for (const char *p = kv; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

/* ---- helpers -------------------------------------------------------- */

json_t *unik_json_text(const char *s)
{
	json_t *j;
	char *clean;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	/* not valid UTF-8 (jansson refuses it): keep it readable, escaped */
	clean = utf8_sanitize_dup(s);
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *str_or_null(const char *s)
{
	return unik_json_text(s);
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	unik_time_format(t, buf);
	return json_string(buf);
}

static json_t *strv_to_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, unik_json_text(sv->v[i]));
	return a;
}

/* Optional string member: absent or null leaves *out NULL. */
static int get_str(json_t *j, const char *key, char **out, int required, struct unik_err *err)
{
	json_t *v = json_object_get(j, key);

	if (!v || json_is_null(v)) {
		if (required)
			return unik_err_set(err, UNIK_E_INVALID, "missing field '%s'", key);
		return 0;
	}
	if (!json_is_string(v))
		return unik_err_set(err, UNIK_E_INVALID, "field '%s' must be a string", key);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_int(json_t *j, const char *key, long long *out, struct unik_err *err)
{
	json_t *v = json_object_get(j, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return unik_err_set(err, UNIK_E_INVALID, "field '%s' must be an integer", key);
	*out = json_integer_value(v);
	return 0;
}

/* Optional boolean member: absent or null leaves *out as it is. */
static int get_bool(json_t *j, const char *key, int *out, struct unik_err *err)
{
	json_t *v = json_object_get(j, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return unik_err_set(err, UNIK_E_INVALID, "field '%s' must be a boolean", key);
	*out = json_is_true(v);
	return 0;
}

static int get_time(json_t *j, const char *key, int64_t *out, struct unik_err *err)
{
	char *s = NULL;
	int rc = get_str(j, key, &s, 0, err);

	if (!rc && s && unik_time_parse(s, out) < 0)
		rc = unik_err_set(err, UNIK_E_INVALID, "field '%s' is not an RFC 3339 time", key);
	free(s);
	return rc;
}

static int get_strv(json_t *j, const char *key, struct strv *out, struct unik_err *err)
{
	json_t *v = json_object_get(j, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return unik_err_set(err, UNIK_E_INVALID, "field '%s' must be an array of strings",
				    key);
	json_array_foreach (v, i, e) {
		if (!json_is_string(e))
			return unik_err_set(err, UNIK_E_INVALID,
					    "field '%s' must be an array of strings", key);
		strv_push(out, json_string_value(e));
	}
	return 0;
}

static int need_object(json_t *j, const char *what, struct unik_err *err)
{
	if (!json_is_object(j))
		return unik_err_set(err, UNIK_E_INVALID, "%s must be a JSON object", what);
	return 0;
}

/* ---- image ---------------------------------------------------------- */

void unik_image_init(struct unik_image *im)
{
	memset(im, 0, sizeof(*im));
	strv_init(&im->args);
	strv_init(&im->stagings);
	strv_init(&im->published);
	strv_init(&im->labels);
}

void unik_image_release(struct unik_image *im)
{
	free(im->id);
	free(im->name);
	free(im->compiler);
	free(im->format);
	free(im->digest);
	free(im->kernel);
	free(im->initrd);
	strv_release(&im->args);
	strv_release(&im->stagings);
	strv_release(&im->published);
	strv_release(&im->labels);
	free(im->companion.compiler);
	free(im->companion.format);
	free(im->companion.kernel);
	free(im->companion.initrd);
	unik_image_init(im);
}

static json_t *companion_to_json(const struct unik_companion *c)
{
	if (!c->compiler)
		return json_null();
	return json_pack("{sssssoso si}", "compiler", c->compiler, "format",
			 c->format ? c->format : "", "kernel", str_or_null(c->kernel), "initrd",
			 str_or_null(c->initrd), "memory", c->memory_mb);
}

/* "companion": absent or null (none), or an object with compiler, format
 * and kernel. */
static int companion_from_json(json_t *j, struct unik_companion *out, struct unik_err *err)
{
	json_t *c = json_object_get(j, "companion");
	long long mem = 0;

	if (!c || json_is_null(c))
		return 0;
	if (need_object(c, "companion", err) || get_str(c, "compiler", &out->compiler, 1, err) ||
	    get_str(c, "format", &out->format, 1, err) ||
	    get_str(c, "kernel", &out->kernel, 1, err) ||
	    get_str(c, "initrd", &out->initrd, 0, err) || get_int(c, "memory", &mem, err))
		return -1;
	if (mem < 0 || mem > INT_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "companion: memory out of range");
	out->memory_mb = (int)mem;
	return 0;
}

json_t *unik_image_to_json(const struct unik_image *im)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", str_or_null(im->id));
	json_object_set_new(j, "name", str_or_null(im->name));
	json_object_set_new(j, "compiler", str_or_null(im->compiler));
	json_object_set_new(j, "format", str_or_null(im->format));
	json_object_set_new(j, "size", json_integer(im->size));
	json_object_set_new(j, "digest", str_or_null(im->digest));
	json_object_set_new(j, "created", time_or_null(im->created));
	json_object_set_new(j, "memory", json_integer(im->memory_mb));
	json_object_set_new(j, "args", strv_to_json(&im->args));
	json_object_set_new(j, "kernel", str_or_null(im->kernel));
	json_object_set_new(j, "initrd", str_or_null(im->initrd));
	json_object_set_new(j, "stagings", strv_to_json(&im->stagings));
	json_object_set_new(j, "published", strv_to_json(&im->published));
	json_object_set_new(j, "labels", unik_labels_to_json(&im->labels));
	json_object_set_new(j, "companion", companion_to_json(&im->companion));
	return j;
}

int unik_image_from_json(json_t *j, struct unik_image *out, struct unik_err *err)
{
	long long size = 0, mem = 0;

	if (need_object(j, "image", err) || get_str(j, "id", &out->id, 1, err) ||
	    get_str(j, "name", &out->name, 0, err) ||
	    get_str(j, "compiler", &out->compiler, 0, err) ||
	    get_str(j, "format", &out->format, 0, err) || get_int(j, "size", &size, err) ||
	    get_str(j, "digest", &out->digest, 0, err) ||
	    get_time(j, "created", &out->created, err) || get_int(j, "memory", &mem, err) ||
	    get_strv(j, "args", &out->args, err) || get_str(j, "kernel", &out->kernel, 0, err) ||
	    get_str(j, "initrd", &out->initrd, 0, err) ||
	    get_strv(j, "stagings", &out->stagings, err) ||
	    get_strv(j, "published", &out->published, err) ||
	    unik_labels_from_json(j, "labels", &out->labels, err) ||
	    companion_from_json(j, &out->companion, err))
		return -1;
	out->size = size;
	out->memory_mb = (int)mem;
	return 0;
}

/* ---- instance ------------------------------------------------------- */

void unik_instance_init(struct unik_instance *in)
{
	memset(in, 0, sizeof(*in));
	in->exit_code = -1;
	strv_init(&in->args);
	strv_init(&in->env);
	strv_init(&in->ports);
	strv_init(&in->labels);
}

void unik_instance_release(struct unik_instance *in)
{
	free(in->id);
	free(in->name);
	free(in->image);
	free(in->image_name);
	free(in->provider);
	free(in->accel);
	free(in->address);
	free(in->message);
	free(in->restart);
	strv_release(&in->args);
	strv_release(&in->env);
	strv_release(&in->ports);
	strv_release(&in->labels);
	unik_mounts_free(in->volumes, in->n_volumes);
	unik_instance_init(in);
}

json_t *unik_instance_to_json(const struct unik_instance *in)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", str_or_null(in->id));
	json_object_set_new(j, "name", str_or_null(in->name));
	json_object_set_new(j, "image", str_or_null(in->image));
	json_object_set_new(j, "image_name", str_or_null(in->image_name));
	json_object_set_new(j, "provider", str_or_null(in->provider));
	json_object_set_new(j, "accel", str_or_null(in->accel));
	json_object_set_new(j, "state", json_string(unik_state_name(in->state)));
	json_object_set_new(j, "exit_code",
			    in->exit_code >= 0 ? json_integer(in->exit_code) : json_null());
	json_object_set_new(j, "address", str_or_null(in->address));
	json_object_set_new(j, "created", time_or_null(in->created));
	json_object_set_new(j, "started", time_or_null(in->started));
	json_object_set_new(j, "finished", time_or_null(in->finished));
	json_object_set_new(j, "memory", json_integer(in->memory_mb));
	json_object_set_new(j, "args", strv_to_json(&in->args));
	json_object_set_new(j, "env", strv_to_json(&in->env));
	json_object_set_new(j, "ports", strv_to_json(&in->ports));
	json_object_set_new(j, "pid", in->pid > 0 ? json_integer(in->pid) : json_null());
	json_object_set_new(j, "message", str_or_null(in->message));
	json_object_set_new(j, "trace", json_boolean(in->trace));
	json_object_set_new(j, "verbose", json_boolean(in->verbose));
	json_object_set_new(j, "volumes", unik_mounts_to_json(in->volumes, in->n_volumes));
	json_object_set_new(j, "restart", json_string(in->restart ? in->restart : "no"));
	json_object_set_new(j, "restart_count", json_integer(in->restart_count));
	json_object_set_new(j, "restart_delay_ms", json_integer(in->restart_delay_ms));
	json_object_set_new(j, "stopped_by_user", json_boolean(in->stopped_by_user));
	json_object_set_new(j, "labels", unik_labels_to_json(&in->labels));
	json_object_set_new(j, "stdin", json_boolean(in->open_stdin));
	if (in->summon.enabled) {
		json_t *sj = unik_summon_to_json(&in->summon);

		json_object_set_new(sj, "state", json_string(unik_summon_state(in)));
		json_object_set_new(j, "summon", sj);
	} else {
		json_object_set_new(j, "summon", json_null());
	}
	return j;
}

int unik_instance_from_json(json_t *j, struct unik_instance *out, struct unik_err *err)
{
	long long code = -1, mem = 0, pid = 0, rcount = 0, rdelay = 0;
	char *state = NULL;
	struct unik_restart policy;
	int rc;

	rc = need_object(j, "instance", err) || get_str(j, "id", &out->id, 1, err) ||
	     get_str(j, "name", &out->name, 0, err) || get_str(j, "image", &out->image, 0, err) ||
	     get_str(j, "image_name", &out->image_name, 0, err) ||
	     get_str(j, "provider", &out->provider, 0, err) ||
	     get_str(j, "accel", &out->accel, 0, err) || get_str(j, "state", &state, 1, err) ||
	     get_int(j, "exit_code", &code, err) || get_str(j, "address", &out->address, 0, err) ||
	     get_time(j, "created", &out->created, err) ||
	     get_time(j, "started", &out->started, err) ||
	     get_time(j, "finished", &out->finished, err) || get_int(j, "memory", &mem, err) ||
	     get_strv(j, "args", &out->args, err) || get_strv(j, "env", &out->env, err) ||
	     get_strv(j, "ports", &out->ports, err) || get_int(j, "pid", &pid, err) ||
	     get_str(j, "message", &out->message, 0, err) ||
	     get_bool(j, "trace", &out->trace, err) || get_bool(j, "verbose", &out->verbose, err) ||
	     unik_mounts_from_json(j, &out->volumes, &out->n_volumes, err) ||
	     unik_labels_from_json(j, "labels", &out->labels, err) ||
	     get_str(j, "restart", &out->restart, 0, err) ||
	     get_int(j, "restart_count", &rcount, err) ||
	     get_int(j, "restart_delay_ms", &rdelay, err) ||
	     get_bool(j, "stopped_by_user", &out->stopped_by_user, err) ||
	     get_bool(j, "stdin", &out->open_stdin, err) ||
	     unik_restart_parse(out->restart, &policy, err) ||
	     unik_summon_from_json(json_object_get(j, "summon"), &out->summon, err);
	if (!rc && (rcount < 0 || rcount > INT_MAX || rdelay < 0 || rdelay > INT_MAX))
		rc = unik_err_set(err, UNIK_E_INVALID, "restart count or delay out of range");
	if (!rc && out->restart && !strcmp(out->restart, "no")) {
		free(out->restart);
		out->restart = NULL;
	}
	out->restart_count = (int)rcount;
	out->restart_delay_ms = (int)rdelay;
	if (!rc && unik_state_from_name(state, &out->state) < 0)
		rc = unik_err_set(err, UNIK_E_INVALID, "unknown instance state '%s'", state);
	free(state);
	out->exit_code = (int)code;
	out->memory_mb = (int)mem;
	out->pid = (int)pid;
	return rc ? -1 : 0;
}

/* ---- job ------------------------------------------------------------ */

void unik_job_init(struct unik_job *job)
{
	memset(job, 0, sizeof(*job));
}

void unik_job_release(struct unik_job *job)
{
	free(job->id);
	free(job->kind);
	free(job->image);
	unik_job_init(job);
}

json_t *unik_job_to_json(const struct unik_job *job)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", str_or_null(job->id));
	json_object_set_new(j, "kind", str_or_null(job->kind));
	json_object_set_new(j, "state", json_string(unik_job_state_name(job->state)));
	json_object_set_new(j, "image", str_or_null(job->image));
	if (job->state == UNIK_JOB_FAILED) {
		json_t *e = unik_error_to_json(&job->error);

		json_object_set(j, "error", json_object_get(e, "error"));
		json_decref(e);
	} else {
		json_object_set_new(j, "error", json_null());
	}
	json_object_set_new(j, "created", time_or_null(job->created));
	json_object_set_new(j, "finished", time_or_null(job->finished));
	return j;
}

int unik_job_from_json(json_t *j, struct unik_job *out, struct unik_err *err)
{
	char *state = NULL;
	json_t *e;
	int rc;

	rc = need_object(j, "job", err) || get_str(j, "id", &out->id, 1, err) ||
	     get_str(j, "kind", &out->kind, 0, err) || get_str(j, "state", &state, 1, err) ||
	     get_str(j, "image", &out->image, 0, err) ||
	     get_time(j, "created", &out->created, err) ||
	     get_time(j, "finished", &out->finished, err);
	if (!rc && unik_job_state_from_name(state, &out->state) < 0)
		rc = unik_err_set(err, UNIK_E_INVALID, "unknown job state '%s'", state);
	free(state);
	e = json_object_get(j, "error");
	if (!rc && json_is_object(e)) {
		json_t *wrap = json_pack("{sO}", "error", e);

		unik_error_from_json(wrap, &out->error);
		json_decref(wrap);
	}
	return rc ? -1 : 0;
}

/* ---- run request ---------------------------------------------------- */

void unik_run_request_init(struct unik_run_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	strv_init(&rq->args);
	strv_init(&rq->env);
	strv_init(&rq->ports);
	strv_init(&rq->volumes);
	strv_init(&rq->labels);
	rq->start = 1;
}

void unik_run_request_release(struct unik_run_request *rq)
{
	free(rq->image);
	free(rq->name);
	free(rq->provider);
	free(rq->accel);
	strv_release(&rq->args);
	strv_release(&rq->env);
	strv_release(&rq->ports);
	strv_release(&rq->volumes);
	free(rq->restart);
	strv_release(&rq->labels);
	unik_run_request_init(rq);
}

json_t *unik_run_request_to_json(const struct unik_run_request *rq)
{
	json_t *j = json_object();

	json_object_set_new(j, "image", str_or_null(rq->image));
	if (rq->name)
		json_object_set_new(j, "name", unik_json_text(rq->name));
	if (rq->provider)
		json_object_set_new(j, "provider", unik_json_text(rq->provider));
	if (rq->accel)
		json_object_set_new(j, "accel", unik_json_text(rq->accel));
	if (rq->memory_mb)
		json_object_set_new(j, "memory", json_integer(rq->memory_mb));
	json_object_set_new(j, "args", strv_to_json(&rq->args));
	json_object_set_new(j, "env", strv_to_json(&rq->env));
	if (rq->ports.n)
		json_object_set_new(j, "ports", strv_to_json(&rq->ports));
	json_object_set_new(j, "start", json_boolean(rq->start));
	if (rq->trace)
		json_object_set_new(j, "trace", json_true());
	if (rq->verbose)
		json_object_set_new(j, "verbose", json_true());
	if (rq->volumes.n)
		json_object_set_new(j, "volumes", strv_to_json(&rq->volumes));
	if (rq->restart)
		json_object_set_new(j, "restart", unik_json_text(rq->restart));
	if (rq->labels.n)
		json_object_set_new(j, "labels", unik_labels_to_json(&rq->labels));
	if (rq->summon.enabled)
		json_object_set_new(j, "summon", unik_summon_to_json(&rq->summon));
	if (rq->open_stdin)
		json_object_set_new(j, "stdin", json_true());
	return j;
}

int unik_run_request_from_json(json_t *j, struct unik_run_request *out, struct unik_err *err)
{
	long long mem = 0;
	json_t *start;

	if (need_object(j, "request body", err) || get_str(j, "image", &out->image, 1, err) ||
	    get_str(j, "name", &out->name, 0, err) ||
	    get_str(j, "provider", &out->provider, 0, err) ||
	    get_str(j, "accel", &out->accel, 0, err) || get_int(j, "memory", &mem, err) ||
	    get_strv(j, "args", &out->args, err) || get_strv(j, "env", &out->env, err) ||
	    get_strv(j, "ports", &out->ports, err) || get_bool(j, "trace", &out->trace, err) ||
	    get_bool(j, "verbose", &out->verbose, err) ||
	    get_bool(j, "stdin", &out->open_stdin, err) ||
	    get_strv(j, "volumes", &out->volumes, err) ||
	    unik_labels_from_json(j, "labels", &out->labels, err) ||
	    get_str(j, "restart", &out->restart, 0, err) ||
	    unik_summon_from_json(json_object_get(j, "summon"), &out->summon, err))
		return -1;
	{
		struct unik_restart policy;

		if (unik_restart_parse(out->restart, &policy, err))
			return -1;
	}
	if (mem < 0 || mem > 1024 * 1024)
		return unik_err_set(err, UNIK_E_INVALID, "memory %lld MB is out of range", mem);
	out->memory_mb = (int)mem;
	start = json_object_get(j, "start");
	if (start && !json_is_null(start)) {
		if (!json_is_boolean(start))
			return unik_err_set(err, UNIK_E_INVALID, "field 'start' must be a boolean");
		out->start = json_is_true(start);
	}
	for (size_t i = 0; i < out->ports.n; i++) {
		struct portspec ps;
		char canon[48];

		if (portspec_parse(out->ports.v[i], &ps, err))
			return -1;
		portspec_format(&ps, canon, sizeof(canon));
		free(out->ports.v[i]);
		out->ports.v[i] = xstrdup(canon);
	}
	for (size_t i = 0; i < out->env.n; i++)
		if (!unik_env_valid(out->env.v[i]))
			return unik_err_set(err, UNIK_E_INVALID,
					    "environment entry '%s' is not of the form KEY=VALUE",
					    out->env.v[i]);
	if (out->name && !unik_name_valid(out->name))
		return unik_err_set(err, UNIK_E_INVALID,
				    "invalid name '%s': use letters, digits, '_', '.', '-' "
				    "(at most %d), starting with a letter or digit",
				    out->name, UNIK_NAME_MAX);
	for (size_t i = 0; i < out->volumes.n; i++) {
		char *vol = NULL, *path = NULL;
		int ro, rc = unik_mount_spec_parse(out->volumes.v[i], &vol, &path, &ro, err);

		free(vol);
		free(path);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- errors --------------------------------------------------------- */

json_t *unik_error_to_json(const struct unik_err *e)
{
	/* never NULL: the message is made valid UTF-8 if it is not already */
	return json_pack("{s{ssso}}", "error", "code", unik_errcode_name(e->code), "message",
			 unik_json_text(e->msg));
}

int unik_error_from_json(json_t *j, struct unik_err *out)
{
	json_t *e = json_object_get(j, "error");
	const char *code, *msg;

	if (!json_is_object(e))
		return -1;
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	if (!code || !msg)
		return -1;
	unik_err_set(out, unik_errcode_from_name(code), "%s", msg);
	return 0;
}

/* ---- the helpers for the other codecs (codec.h) ---------------------- */

int unik_json_get_str(json_t *j, const char *key, char **out, int required, struct unik_err *err)
{
	return get_str(j, key, out, required, err);
}

int unik_json_get_int(json_t *j, const char *key, long long *out, struct unik_err *err)
{
	return get_int(j, key, out, err);
}

int unik_json_get_bool(json_t *j, const char *key, int *out, struct unik_err *err)
{
	return get_bool(j, key, out, err);
}

int unik_json_get_time(json_t *j, const char *key, int64_t *out, struct unik_err *err)
{
	return get_time(j, key, out, err);
}

int unik_json_need_object(json_t *j, const char *what, struct unik_err *err)
{
	return need_object(j, what, err);
}

json_t *unik_json_time(int64_t t)
{
	return time_or_null(t);
}
