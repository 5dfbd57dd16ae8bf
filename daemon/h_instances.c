/* h_instances.c - run, list, inspect, stop, start, remove, logs, wait. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "console_stream.h"
#include "follow.h"
#include "log_times.h"
#include "handlers.h"
#include "http.h"
#include "instances.h"
#include "store.h"

/* The stored records are the API's documents: sent as they are, side by
 * side (store_instance_docs.c), not decoded and encoded again. */
void h_instances_list(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;

	if (store_instance_docs(req->d->store, http_query_flag(req, "all"), &out, &err)) {
		strbuf_release(&out);
		http_reply_error(req, &err);
		return;
	}
	strbuf_addch(&out, '\n');
	http_reply_text(req, 200, "application/json", &out);
}

void h_instances_create(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_run_request rq;
	struct unik_instance in;
	json_t *body = NULL;

	unik_run_request_init(&rq);
	unik_instance_init(&in);
	if (http_body_json(req, &body, &err) || unik_run_request_from_json(body, &rq, &err) ||
	    instance_create(req->d, &rq, &in, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 201, unik_instance_to_json(&in));
	json_decref(body);
	unik_run_request_release(&rq);
	unik_instance_release(&in);
}

/* Resolves req->params[0] to an instance id (caller frees) or replies. */
static char *resolve(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *id = NULL;

	if (store_instance_resolve(req->d->store, req->params[0], &id, &err)) {
		http_reply_error(req, &err);
		return NULL;
	}
	return id;
}

typedef int (*instance_op)(struct http_req *req, const char *id, struct unik_instance *out,
			   struct unik_err *err);

/* Resolves the ref, runs op, and replies with the instance (or the error). */
static void with_instance(struct http_req *req, instance_op op)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	char *id = resolve(req);

	if (!id)
		return;
	unik_instance_init(&in);
	if (op(req, id, &in, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, unik_instance_to_json(&in));
	unik_instance_release(&in);
	free(id);
}

static int op_get(struct http_req *req, const char *id, struct unik_instance *out,
		  struct unik_err *err)
{
	return store_instance_get(req->d->store, id, out, err);
}

static int op_stop(struct http_req *req, const char *id, struct unik_instance *out,
		   struct unik_err *err)
{
	long long timeout;

	if (http_query_int(req, "timeout", req->d->stop_timeout, &timeout, err))
		return -1;
	if (timeout < 0 || timeout > 3600)
		return unik_err_set(err, UNIK_E_INVALID, "timeout must be 0..3600 seconds");
	return instance_stop(req->d, id, (int)timeout, out, err);
}

/* The signals `kill` names, and what a provider can do with them: TERM is
 * the graceful stop (with the daemon's timeout), KILL the stop with none.
 * A guest has no way to receive any other, so those are refused. */
static const struct {
	const char *name;
	int num;
} signals[] = {
	{ "HUP", 1 },	{ "INT", 2 },	 { "QUIT", 3 },	 { "ILL", 4 },	 { "TRAP", 5 },
	{ "ABRT", 6 },	{ "BUS", 7 },	 { "FPE", 8 },	 { "KILL", 9 },	 { "USR1", 10 },
	{ "SEGV", 11 }, { "USR2", 12 },	 { "PIPE", 13 }, { "ALRM", 14 }, { "TERM", 15 },
	{ "CHLD", 17 }, { "CONT", 18 },	 { "STOP", 19 }, { "TSTP", 20 }, { "TTIN", 21 },
	{ "TTOU", 22 }, { "URG", 23 },	 { "XCPU", 24 }, { "XFSZ", 25 }, { "VTALRM", 26 },
	{ "PROF", 27 }, { "WINCH", 28 }, { "IO", 29 },	 { "PWR", 30 },	 { "SYS", 31 },
};

/* The number of signal `s` ("KILL", "SIGKILL", "9"), or -1. */
static int signal_number(const char *s)
{
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		char num[8];

		snprintf(num, sizeof(num), "%d", signals[i].num);
		if (!strcasecmp(s, signals[i].name) || !strcmp(s, num))
			return signals[i].num;
	}
	return -1;
}

static int op_kill(struct http_req *req, const char *id, struct unik_instance *out,
		   struct unik_err *err)
{
	const char *sig = http_query(req, "signal");
	int num = signal_number(sig && *sig ? sig : "KILL");

	if (num < 0)
		return unik_err_set(err, UNIK_E_INVALID, "unknown signal '%.32s'", sig);
	if (num != 9 && num != 15)
		return unik_err_set(err, UNIK_E_INVALID,
				    "signal %.32s cannot be delivered to a unikernel: its provider "
				    "can stop it gracefully (TERM) or kill it (KILL)",
				    sig);
	if (store_instance_get(req->d->store, id, out, err))
		return -1;
	if (!unik_state_active(out->state) || out->state == UNIK_STATE_CREATED)
		return unik_err_set(err, UNIK_E_CONFLICT, "instance %s is not running",
				    out->name ? out->name : id);
	events_instance(out, "kill", json_pack("{ss}", "signal", num == 9 ? "KILL" : "TERM"));
	unik_instance_release(out);
	unik_instance_init(out);
	return instance_stop(req->d, id, num == 9 ? 0 : req->d->stop_timeout, out, err);
}

static int op_start(struct http_req *req, const char *id, struct unik_instance *out,
		    struct unik_err *err)
{
	return instance_start(req->d, id, out, err);
}

void h_instances_get(struct http_req *req)
{
	with_instance(req, op_get);
}

void h_instances_stop(struct http_req *req)
{
	with_instance(req, op_stop);
}

void h_instances_kill(struct http_req *req)
{
	with_instance(req, op_kill);
}

void h_instances_start(struct http_req *req)
{
	with_instance(req, op_start);
}

void h_instances_delete(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *id = resolve(req);

	if (!id)
		return;
	if (instance_remove(req->d, id, http_query_flag(req, "force"), &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, json_pack("{sssb}", "id", id, "deleted", 1));
	free(id);
}

static int instance_done(struct unikd *d, const char *id)
{
	struct unik_instance in;
	int done;

	unik_instance_init(&in);
	done = store_instance_get(d->store, id, &in, NULL) < 0 || !unik_state_active(in.state);
	unik_instance_release(&in);
	return done;
}

/* ?stream=stdout|stderr|all (default all): which of the two console logs;
 * 0 with *streams, or -1 with err. */
static int logs_streams(struct http_req *req, int *streams, struct unik_err *err)
{
	const char *v = http_query(req, "stream");

	if (!v || !strcmp(v, "all"))
		*streams = CONSOLE_STREAM_OUT | CONSOLE_STREAM_ERR;
	else if (!strcmp(v, "stdout"))
		*streams = CONSOLE_STREAM_OUT;
	else if (!strcmp(v, "stderr"))
		*streams = CONSOLE_STREAM_ERR;
	else
		return unik_err_set(err, UNIK_E_INVALID,
				    "stream must be stdout, stderr or all, not '%.40s'", v);
	return 0;
}

void h_instances_logs(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	const char *since = http_query(req, "since"), *until = http_query(req, "until");
	struct follow_lines fl = {
		http_query_flag(req, "timestamps"), since != NULL, until != NULL, 0, 0, NULL
	};
	long long tail;
	struct console_stream *cs;
	char *id, *path, *err_path, *times, *err_times;
	int streams = 0, framed = http_query_flag(req, "framed");

	if (http_query_int(req, "tail", -1, &tail, &err) || logs_streams(req, &streams, &err) ||
	    (since && events_parse_time(since, "since", &fl.since_ns, &err)) ||
	    (until && events_parse_time(until, "until", &fl.until_ns, &err))) {
		http_reply_error(req, &err);
		return;
	}
	id = resolve(req);
	if (!id)
		return;
	path = instance_log_path(req->d, id);
	err_path = instance_err_path(req->d, id);
	times = log_times_path(req->d, id);
	err_times = log_times_err_path(req->d, id);
	cs = console_stream_open(req->d, path, err_path, streams, framed, (long)tail,
				 http_query_flag(req, "follow"), instance_done, id);
	if (cs && (fl.timestamps || fl.has_since || fl.has_until)) {
		struct follow_lines efl = fl;

		fl.times_path = times;
		efl.times_path = err_times;
		console_stream_set_lines(cs, &fl, &efl);
	}
	if (!cs) {
		unik_err_set(&err, UNIK_E_NOT_FOUND, "instance %s has no console log",
			     req->params[0]);
		http_reply_error(req, &err);
	} else {
		http_reply_stream(req, 200, framed ? CONSOLE_MUX_TYPE : "text/plain; charset=utf-8",
				  console_stream_read, console_stream_ready, cs,
				  console_stream_free);
	}
	free(times);
	free(err_times);
	free(err_path);
	free(path);
	free(id);
}

/* Parks the request while the instance runs (no thread waits); each change
 * of the daemon's state runs this again. */
void h_instances_wait(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	char *id = resolve(req);

	if (!id)
		return;
	unik_instance_init(&in);
	if (store_instance_get(req->d->store, id, &in, &err)) {
		http_reply_error(req, &err);
	} else if (unik_state_active(in.state)) { /* a starting one too: it will run */
		if (__atomic_load_n(&req->d->shutting_down, __ATOMIC_RELAXED)) {
			unik_err_set(&err, UNIK_E_UNAVAILABLE, "the daemon is shutting down");
			http_reply_error(req, &err);
		} else {
			http_park(req);
		}
	} else {
		http_reply_json(
		    req, 200,
		    json_pack("{sssssoso}", "id", in.id, "state", unik_state_name(in.state),
			      "exit_code",
			      in.exit_code >= 0 ? json_integer(in.exit_code) : json_null(),
			      "message", unik_json_text(in.message)));
	}
	unik_instance_release(&in);
	free(id);
}
