/* instances.c - instance lifecycle (see instances.h). */
#include "instances.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/portspec.h"
#include "../lib/xalloc.h"
#include "../providers/provider.h"
#include "daemon.h"
#include "ids.h"
#include "network.h"
#include "run_ctx.h"
#include "store.h"
#include "supervisor.h"

char *instance_dir(struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s", id);
}

char *instance_log_path(struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s/console.log", id);
}

static const struct unik_provider *provider_of(const struct unik_instance *in, struct unik_err *err)
{
	const struct unik_provider *p = unik_provider_find(in->provider);

	if (!p)
		unik_err_set(err, UNIK_E_INVALID, "instance %s uses unknown provider '%s'",
			     in->name, in->provider);
	return p;
}

/* Memory, accel and published ports of `in` against provider `p`, and the
 * provider's own check of the run (`accel` is the one the request named,
 * NULL if none).  0, or -1 with err (INVALID: 400). */
static int check_run(const struct unik_provider *p, const char *accel,
		     const struct unik_instance *in, const struct unik_run_spec *spec,
		     struct unik_err *err)
{
	int accel_ok = !accel || !strcmp(accel, "auto");

	if (p->min_memory_mb && in->memory_mb < p->min_memory_mb)
		return unik_err_set(err, UNIK_E_INVALID,
				    "provider %s needs at least %d MB of guest memory, not %d (it "
				    "takes %d..%d MB)",
				    p->name, p->min_memory_mb, in->memory_mb, p->min_memory_mb,
				    p->max_memory_mb);
	if (p->max_memory_mb && in->memory_mb > p->max_memory_mb)
		return unik_err_set(err, UNIK_E_INVALID,
				    "provider %s takes at most %d MB of guest memory, not %d (it "
				    "takes %d..%d MB)",
				    p->name, p->max_memory_mb, in->memory_mb, p->min_memory_mb,
				    p->max_memory_mb);
	for (size_t i = 0; !accel_ok && p->accels && p->accels[i]; i++)
		accel_ok = !strcmp(p->accels[i], accel);
	if (!accel_ok) {
		char takes[64] = "auto";

		for (size_t i = 0; p->accels && p->accels[i]; i++)
			snprintf(takes + strlen(takes), sizeof(takes) - strlen(takes), ", %s",
				 p->accels[i]);
		return unik_err_set(err, UNIK_E_INVALID,
				    "provider %s does not take accel %s (it takes: %s)", p->name,
				    accel, takes);
	}
	for (size_t i = 0; i < in->ports.n; i++) {
		struct portspec a, b;

		if (portspec_parse(in->ports.v[i], &a, err))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (portspec_parse(in->ports.v[j], &b, NULL) == 0 &&
			    a.host_port == b.host_port && !strcmp(a.host_ip, b.host_ip))
				return unik_err_set(err, UNIK_E_INVALID,
						    "host port %s:%d is published twice", a.host_ip,
						    a.host_port);
	}
	return p->check ? p->check(spec, err) : 0;
}

/* provider_spawn's callback: the VM's process exists (it waits to exec
 * until this returns), so its pid goes into the record first. */
struct spawn_ctx {
	struct unikd *d;
	struct unik_instance *in;
};

static int on_spawned(void *ctx, pid_t pid, struct unik_err *err)
{
	struct spawn_ctx *sc = ctx;

	sc->in->pid = (int)pid;
	return store_instance_put(sc->d->store, sc->in, err);
}

/* A start that failed once the record said "starting": no VM runs (the
 * providers end what they forked), so the instance has exited with err. */
static void start_failed_locked(struct unikd *d, struct unik_instance *in,
				const struct unik_err *err)
{
	struct unik_err ignored = UNIK_ERR_INIT;

	network_detach(d, in);
	in->state = UNIK_STATE_EXITED;
	in->pid = 0;
	in->finished = unikd_now();
	free(in->message);
	in->message = xstrdup(err->msg);
	if (store_instance_put(d->store, in, &ignored))
		unikd_log("cannot record the failed start of %s: %s", in->id, ignored.msg);
}

/* Starts `in` (d->lock held) and saves it.  The record says "starting"
 * before anything is made for the VM, and holds the VM process's pid before
 * that process may exec (see providers/provider.h): a daemon killed at any
 * point leaves nothing that reconciliation cannot find. */
static int start_locked(struct unikd *d, struct unik_instance *in, struct unik_err *err)
{
	const struct unik_provider *p = provider_of(in, err);
	struct spawn_ctx sc = { d, in };
	struct net_attach na;
	struct run_ctx rc;
	struct unik_vm vm;
	int rv = -1;

	memset(&na, 0, sizeof(na));
	if (!p)
		return -1;
	if (!p->start)
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "provider '%s' does not support the operation 'start'",
				    p->name);
	if (p->probe && p->probe(&d->cfg, err))
		return unik_err_prefix(err, "provider '%s' is not usable here", p->name);
	if (run_ctx_init(d, in, 1, &rc, err))
		return -1;
	if (check_run(p, NULL, in, &rc.spec, err)) {
		run_ctx_release(&rc);
		return unik_err_prefix(err, "cannot start instance %s", in->name);
	}
	in->state = UNIK_STATE_STARTING;
	in->pid = 0;
	in->started = unikd_now();
	in->finished = 0;
	in->exit_code = -1;
	free(in->message);
	in->message = NULL;
	if (store_instance_put(d->store, in, err)) {
		run_ctx_release(&rc);
		return -1;
	}
	if (network_attach(d, in, p, rc.im.format, &na, err) ||
	    store_instance_put(d->store, in, err)) /* its address */
		goto failed;
	rc.spec.net = &na.spec;
	rc.spec.spawned = on_spawned;
	rc.spec.spawned_ctx = &sc;
	memset(&vm, 0, sizeof(vm));
	if (p->start(&rc.spec, &vm, err)) {
		unik_err_prefix(err, "cannot start instance %s", in->name);
		goto failed;
	}
	in->state = UNIK_STATE_RUNNING;
	in->pid = vm.pid;
	in->message = vm.note[0] ? xstrdup(vm.note) : NULL;
	if (vm.accel_used[0]) {
		free(in->accel);
		in->accel = xstrdup(vm.accel_used);
	}
	if (store_instance_put(d->store, in, err) ||
	    (vm.pid > 0 && supervisor_watch(d->sup, in->id, vm.pid, 1, err))) {
		/* a VM nobody would watch or find: end it rather than lose it */
		struct unik_err ignored = UNIK_ERR_INIT;

		if (p->stop)
			p->stop(&rc.spec, vm.pid, 0, &ignored);
		if (vm.pid > 0)
			waitpid(vm.pid, NULL, WNOHANG);
		goto failed;
	}
	unikd_log("instance %s (%s) started on %s, pid %d%s%s", in->name, in->id, p->name,
		  (int)vm.pid, in->address ? ", address " : "", in->address ? in->address : "");
	if (vm.ended)
		instance_mark_exited_locked(d, in, -1);
	rv = 0;
	goto cleanup;
failed:
	start_failed_locked(d, in, err);
cleanup:
	net_attach_release(&na);
	run_ctx_release(&rc);
	return rv;
}

const struct unik_provider *instance_default_provider(struct unikd *d, const char *format,
						      struct unik_err *err)
{
	static const char *const order[] = { "hvt", "spt", "qemu" };

	if (strcmp(d->default_provider, "auto"))
		return unik_provider_find(d->default_provider);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct unik_provider *p = unik_provider_find(order[i]);

		if (p && (!format || unik_provider_accepts(p, format)) &&
		    (!p->probe || p->probe(&d->cfg, NULL) == 0))
			return p;
	}
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "no usable provider here boots images of format '%s' (see 'unik providers')",
		     format ? format : "?");
	return NULL;
}

int instance_create(struct unikd *d, const struct unik_run_request *rq, struct unik_instance *out,
		    struct unik_err *err)
{
	const struct unik_provider *p = NULL;
	struct unik_image im;
	char *image_id = NULL, *dir = NULL, *log = NULL;
	int rv = -1;

	unik_image_init(&im);
	if (rq->provider && !(p = unik_provider_find(rq->provider))) {
		unik_err_set(err, UNIK_E_INVALID, "unknown provider '%s' (see 'unik providers')",
			     rq->provider);
		goto cleanup;
	}
	if (rq->accel && strcmp(rq->accel, "auto") && strcmp(rq->accel, "kvm") &&
	    strcmp(rq->accel, "tcg")) {
		unik_err_set(err, UNIK_E_INVALID, "accel must be auto, kvm or tcg, not '%s'",
			     rq->accel);
		goto cleanup;
	}
	if (store_image_resolve(d->store, rq->image, &image_id, err) ||
	    store_image_get(d->store, image_id, &im, err))
		goto cleanup;
	if (!p && !(p = instance_default_provider(d, im.format, err)))
		goto cleanup;
	if (!unik_provider_accepts(p, im.format)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "provider '%s' cannot boot image %s: its format is '%s'", p->name,
			     rq->image, im.format ? im.format : "?");
		goto cleanup;
	}
	if (rq->start && !p->start) {
		unik_err_set(err, UNIK_E_UNSUPPORTED,
			     "provider '%s' does not support the operation 'start'", p->name);
		goto cleanup;
	}
	out->id = ids_new();
	out->name = rq->name ? xstrdup(rq->name) : ids_random_name();
	out->image = xstrdup(im.id);
	out->image_name = xstrdup(im.name ? im.name : rq->image);
	out->provider = xstrdup(p->name);
	out->accel =
	    xstrdup(rq->accel ? rq->accel : unik_config_get(&d->cfg, "qemu.accel", "auto"));
	out->state = UNIK_STATE_CREATED;
	out->created = unikd_now();
	out->memory_mb = rq->memory_mb ? rq->memory_mb : im.memory_mb ? im.memory_mb : 128;
	strv_copy(&out->args, rq->args.n ? &rq->args : &im.args);
	strv_copy(&out->env, &rq->env);
	strv_copy(&out->ports, &rq->ports);
	out->trace = rq->trace;
	out->verbose = rq->verbose;
	{
		struct run_ctx rc;

		if (run_ctx_init(d, out, 1, &rc, err))
			goto cleanup;
		rv = check_run(p, rq->accel, out, &rc.spec, err);
		run_ctx_release(&rc);
		if (rv)
			goto cleanup;
		rv = -1;
	}

	dir = instance_dir(d, out->id);
	log = instance_log_path(d, out->id);
	if (fs_mkdir_p(dir, 0700, err) || fs_write_file_atomic(log, "", 0, 0600, err))
		goto cleanup;
	pthread_mutex_lock(&d->lock);
	if (store_instance_put(d->store, out, err)) {
		pthread_mutex_unlock(&d->lock);
		fs_remove_tree(dir, NULL);
		goto cleanup;
	}
	rv = 0;
	if (rq->start && start_locked(d, out, err)) {
		/* keep the record, as Docker does, with the reason */
		struct unik_err ignored;

		out->state = UNIK_STATE_EXITED;
		out->finished = unikd_now();
		free(out->message);
		out->message = xstrdup(err->msg);
		store_instance_put(d->store, out, &ignored);
		rv = -1;
	}
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);
cleanup:
	unik_image_release(&im);
	free(image_id);
	free(dir);
	free(log);
	return rv;
}

int instance_start(struct unikd *d, const char *id, struct unik_instance *out, struct unik_err *err)
{
	int rv = -1;

	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, out, err))
		goto cleanup;
	if (unik_state_active(out->state)) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is already running", out->name);
		goto cleanup;
	}
	rv = start_locked(d, out, err);
cleanup:
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);
	return rv;
}

static int is_running(const struct unik_instance *in)
{
	return unik_state_active(in->state);
}

/* Waits (d->lock held) until `id` is not running, at most `ms`. */
static int wait_exit_locked(struct unikd *d, const char *id, int ms, struct unik_instance *out,
			    struct unik_err *err)
{
	int waited = 0;

	for (;;) {
		unik_instance_release(out);
		if (store_instance_get(d->store, id, out, err))
			return -1;
		if (!is_running(out))
			return 0;
		if (d->shutting_down)
			return unik_err_set(err, UNIK_E_UNAVAILABLE, "the daemon is shutting down");
		if (ms >= 0 && waited >= ms)
			return unik_err_set(err, UNIK_E_INTERNAL,
					    "instance %s did not exit in time", out->name);
		unikd_wait_changed(d, 200);
		waited += 200;
	}
}

int instance_stop(struct unikd *d, const char *id, int timeout_s, struct unik_instance *out,
		  struct unik_err *err)
{
	const struct unik_provider *p;
	struct run_ctx rc;
	pid_t pid;
	int rv = -1;

	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, out, err))
		goto unlock;
	if (!is_running(out)) {
		rv = 0;
		goto unlock;
	}
	p = provider_of(out, err);
	if (!p)
		goto unlock;
	if (!p->stop) {
		unik_err_set(err, UNIK_E_UNSUPPORTED,
			     "provider '%s' does not support the operation 'stop'", p->name);
		goto unlock;
	}
	out->state = UNIK_STATE_STOPPING;
	if (store_instance_put(d->store, out, err))
		goto unlock;
	pid = out->pid;
	run_ctx_init(d, out, 0, &rc, err);
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);

	rv = p->stop(&rc.spec, pid, timeout_s, err);
	run_ctx_release(&rc);
	pthread_mutex_lock(&d->lock);
	if (rv == 0 && pid <= 0) {
		/* no host process is watched: the provider's word ends it */
		unik_instance_release(out);
		if (store_instance_get(d->store, id, out, err) == 0 && is_running(out))
			instance_mark_exited_locked(d, out, -1);
	}
	if (rv == 0)
		rv = wait_exit_locked(d, id, (timeout_s + 10) * 1000, out, err);
unlock:
	pthread_mutex_unlock(&d->lock);
	return rv;
}

int instance_remove(struct unikd *d, const char *id, int force, struct unik_err *err)
{
	struct unik_instance in;
	const struct unik_provider *p;
	struct run_ctx rc;
	char *dir = NULL;
	pid_t leftover;
	int leftovers, rv = -1;

	unik_instance_init(&in);
	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, &in, err))
		goto unlock;
	if (is_running(&in)) {
		if (!force) {
			unik_err_set(
			    err, UNIK_E_CONFLICT,
			    "instance %s is running: stop it first, or remove it with force",
			    in.name);
			goto unlock;
		}
		pthread_mutex_unlock(&d->lock);
		if (instance_stop(d, id, 0, &in, err))
			goto out;
		pthread_mutex_lock(&d->lock);
		unik_instance_release(&in);
		if (store_instance_get(d->store, id, &in, err))
			goto unlock;
		if (is_running(&in)) { /* started again meanwhile */
			unik_err_set(err, UNIK_E_CONFLICT, "instance %s was started again",
				     in.name);
			goto unlock;
		}
	}
	p = unik_provider_find(in.provider);
	if (p && p->remove) {
		run_ctx_init(d, &in, 0, &rc, err);
		if (p->remove(&rc.spec, err)) {
			run_ctx_release(&rc);
			goto unlock;
		}
		run_ctx_release(&rc);
	}
	/* Nothing may outlive its record: a process of this instance left by
	 * a daemon killed at the wrong moment ends now.  Then the record goes,
	 * then the folder (a folder without a record is removed at start). */
	leftovers = supervisor_end_vms(id, &leftover);
	if (leftovers)
		unikd_log("instance %s (%s): ended %d leftover process%s (pid %d)", in.name, in.id,
			  leftovers, leftovers > 1 ? "es" : "", (int)leftover);
	if (store_instance_delete(d->store, id, err))
		goto unlock;
	dir = instance_dir(d, id);
	fs_remove_tree(dir, NULL);
	unikd_log("instance %s (%s) removed", in.name, in.id);
	rv = 0;
unlock:
	pthread_mutex_unlock(&d->lock);
out:
	unikd_notify(d);
	unik_instance_release(&in);
	free(dir);
	return rv;
}

int instance_wait(struct unikd *d, const char *id, struct unik_instance *out, struct unik_err *err)
{
	int rv;

	pthread_mutex_lock(&d->lock);
	rv = wait_exit_locked(d, id, -1, out, err);
	pthread_mutex_unlock(&d->lock);
	return rv;
}

void instance_mark_exited_locked(struct unikd *d, struct unik_instance *in, int wait_status)
{
	const struct unik_provider *p = unik_provider_find(in->provider);
	struct unik_exit ex;
	struct unik_err err = UNIK_ERR_INIT;
	struct run_ctx rc;

	memset(&ex, 0, sizeof(ex));
	ex.exit_code = -1;
	run_ctx_init(d, in, 0, &rc, &err);
	if (p && p->collect) {
		if (p->collect(&rc.spec, wait_status, &ex, &err))
			snprintf(ex.message, sizeof(ex.message), "%s", err.msg);
	} else if (wait_status >= 0 && WIFEXITED(wait_status)) {
		ex.exit_code = WEXITSTATUS(wait_status);
	}
	run_ctx_release(&rc);
	network_detach(d, in);
	if (in->state == UNIK_STATE_STOPPING && ex.exit_code < 0)
		ex.exit_code = 128 + SIGKILL;
	in->state = UNIK_STATE_EXITED;
	in->exit_code = ex.exit_code;
	in->pid = 0;
	in->finished = unikd_now();
	free(in->message);
	in->message = ex.message[0] ? xstrdup(ex.message) : NULL;
	if (store_instance_put(d->store, in, &err))
		unikd_log("cannot record the exit of %s: %s", in->id, err.msg);
	unikd_log("instance %s (%s) exited with %d%s%s", in->name, in->id, in->exit_code,
		  in->message ? ": " : "", in->message ? in->message : "");
}

void instance_exited(void *ctx, const char *id, pid_t pid, int wait_status)
{
	struct unikd *d = ctx;
	struct unik_instance in;
	struct unik_err err = UNIK_ERR_INIT;

	unik_instance_init(&in);
	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, &in, &err) == 0 && in.pid == pid && is_running(&in))
		instance_mark_exited_locked(d, &in, wait_status);
	pthread_mutex_unlock(&d->lock);
	unik_instance_release(&in);
	unikd_notify(d);
}

void instances_poll_unwatched(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance *v;
	size_t n;

	if (store_instance_list_unwatched(d->store, &v, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct unik_provider *p = unik_provider_find(v[i].provider);
		enum unik_vm_state st;
		struct run_ctx rc;
		pid_t pid = 0;
		int r;

		if (!p || !p->status)
			continue;
		if (run_ctx_init(d, &v[i], 0, &rc, &err))
			continue;
		r = p->status(&rc.spec, &st, &pid, &err);
		run_ctx_release(&rc);
		if (r == 0 && st != UNIK_VM_RUNNING)
			instance_exited(d, v[i].id, 0, -1);
		unik_err_clear(&err);
	}
	store_instances_free(v, n);
}
