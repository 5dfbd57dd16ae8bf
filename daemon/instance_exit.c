/* instance_exit.c - the end of an instance's VM: noticed (the supervisor's
 * callback, the poller of VMs without a host process, a stop, a start whose
 * VM ended at once), collected from the provider without d->lock under the
 * instance's claim, and recorded (see instances.h, claims.h). */
#include "instances.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "claims.h"
#include "daemon.h"
#include "events.h"
#include "network.h"
#include "restarts.h"
#include "run_ctx.h"
#include "stdin_pipes.h"
#include "store.h"
#include "summon.h"

/* 1 if the end of process `pid` (0: of a VM without one) ends `in`. */
static int exit_applies(const struct unik_instance *in, pid_t pid)
{
	return (in->state == UNIK_STATE_RUNNING || in->state == UNIK_STATE_STOPPING) &&
	       in->pid == (int)pid;
}

/* The provider's account of the end of `in`'s VM. */
static void collect(struct unikd *d, const struct unik_instance *in, int wait_status,
		    struct unik_exit *ex)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct run_ctx rc;

	run_ctx_init(d, in, 0, &rc, &err); /* never fails without need_image */
	provider_collect(unik_provider_find(in->provider), &rc.spec, wait_status, ex);
	run_ctx_release(&rc);
}

/* Records `ex` as the end of `in` (d->lock held). */
static void record_exit_locked(struct unikd *d, struct unik_instance *in,
			       const struct unik_exit *ex)
{
	struct unik_err err = UNIK_ERR_INIT;

	network_detach(d, in);
	stdin_pipe_close(in->id);
	in->exit_code = ex->exit_code;
	if (in->state == UNIK_STATE_STOPPING && in->exit_code < 0)
		in->exit_code = 128 + SIGKILL;
	in->state = UNIK_STATE_EXITED;
	in->pid = 0;
	in->finished = unikd_now();
	free(in->message);
	in->message = ex->message[0] ? xstrdup(ex->message) : NULL;
	restarts_consider_locked(d, in);
	summon_note_exit(in->id);
	if (store_instance_put(d->store, in, &err))
		unikd_log("cannot record the exit of %s: %s", in->id, err.msg);
	unikd_log("instance %s (%s) exited with %d%s%s", in->name, in->id, in->exit_code,
		  in->message ? ": " : "", in->message ? in->message : "");
	{
		char code[16];

		snprintf(code, sizeof(code), "%d", in->exit_code);
		events_instance(in, "die", json_pack("{ss}", "exit_code", code));
	}
}

void instance_mark_exited_locked(struct unikd *d, struct unik_instance *in, int wait_status)
{
	struct unik_exit ex;

	collect(d, in, wait_status, &ex);
	record_exit_locked(d, in, &ex);
}

void instance_claim_release(struct unikd *d, struct claim *c)
{
	while (c->exit_noted) {
		struct unik_err err = UNIK_ERR_INIT;
		struct unik_instance in;
		pid_t pid = c->exit_pid;
		int status = c->exit_status;

		c->exit_noted = 0;
		unik_instance_init(&in);
		if (store_instance_get(d->store, c->id, &in, &err) == 0 && exit_applies(&in, pid)) {
			struct unik_exit ex;

			/* nobody changes the record meanwhile: we hold its claim */
			pthread_mutex_unlock(&d->lock);
			collect(d, &in, status, &ex);
			pthread_mutex_lock(&d->lock);
			record_exit_locked(d, &in, &ex);
		}
		unik_instance_release(&in);
	}
	claim_drop(d, c);
}

void instance_exited(void *ctx, const char *id, pid_t pid, int wait_status)
{
	struct unikd *d = ctx;
	struct unik_instance in;
	struct claim *c;

	unik_instance_init(&in);
	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, &in, NULL) == 0 && exit_applies(&in, pid)) {
		c = claim_find(d, id);
		if (c) {
			claim_note_exit(c, pid, wait_status); /* its holder collects it */
		} else {
			c = claim_try(d, id);
			claim_note_exit(c, pid, wait_status);
			instance_claim_release(d, c);
		}
	}
	pthread_mutex_unlock(&d->lock);
	unik_instance_release(&in);
	unikd_notify(d);
}

void instances_poll_unwatched(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance *v;
	int ended = 0;
	size_t n;

	if (store_instance_list_unwatched(d->store, &v, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct unik_provider *p = unik_provider_find(v[i].provider);
		enum unik_vm_state st;
		struct run_ctx rc;
		struct claim *c;
		pid_t pid = 0;
		int r;

		if (!unik_provider_has(p, UNIK_OP_STATUS))
			continue;
		pthread_mutex_lock(&d->lock);
		c = claim_try(d, v[i].id); /* NULL: someone works on it; asked next time */
		pthread_mutex_unlock(&d->lock);
		if (!c)
			continue;
		run_ctx_init(d, &v[i], 0, &rc, &err);
		r = provider_status(p, &rc.spec, &st, &pid, &err);
		run_ctx_release(&rc);
		unik_err_clear(&err);
		pthread_mutex_lock(&d->lock);
		if (r == 0 && st != UNIK_VM_RUNNING) {
			claim_note_exit(c, 0, -1);
			ended = 1;
		}
		instance_claim_release(d, c);
		pthread_mutex_unlock(&d->lock);
	}
	store_instances_free(v, n);
	if (ended)
		unikd_notify(d);
}
