/* instances.c - instance lifecycle (see instances.h).
 *
 * Every change of an instance's record happens under d->lock; every
 * provider call for it without, under the instance's claim (claims.h),
 * while its record says what goes on (starting, stopping).  So a slow
 * provider holds up only the requests for the same instance. */
#include "instances.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/formats.h"
#include "../api/restart.h"
#include "../lib/fsutil.h"
#include "../lib/portspec.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "claims.h"
#include "daemon.h"
#include "events.h"
#include "ids.h"
#include "instance_volumes.h"
#include "log_times.h"
#include "network.h"
#include "run_ctx.h"
#include "stdin_pipes.h"
#include "store.h"
#include "summon.h"
#include "supervisor.h"

char *instance_dir(struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s", id);
}

char *instance_log_path(struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s/console.log", id);
}

char *instance_err_path(struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s/console.err", id);
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
	if (in->open_stdin && !p->console_input)
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "provider %s cannot give the program a standard input (-i): "
				    "hvt, spt and qemu can",
				    p->name);
	if (in->open_stdin && spec->format && strcmp(spec->format, UNIK_FORMAT_UNIK_ELF))
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "a standard input (-i) needs an image of format %s, not %s",
				    UNIK_FORMAT_UNIK_ELF, spec->format);
	for (size_t i = 0; i < in->ports.n; i++) {
		struct portspec a, b;

		if (portspec_parse(in->ports.v[i], &a, err))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (portspec_parse(in->ports.v[j], &b, NULL) == 0 &&
			    a.host_port == b.host_port && a.udp == b.udp &&
			    !strcmp(a.host_ip, b.host_ip))
				return unik_err_set(err, UNIK_E_INVALID,
						    "host port %s:%d/%s is published twice",
						    a.host_ip, a.host_port, portspec_proto(&a));
	}
	return provider_check(p, spec, err);
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
	return store_instance_put_state(sc->d->store, sc->in, err);
}

/* A start that failed once the record said "starting": no VM runs (the
 * providers end what they forked), so the instance has exited with err. */
static void start_failed_locked(struct unikd *d, struct unik_instance *in,
				const struct unik_err *err)
{
	struct unik_err ignored = UNIK_ERR_INIT;

	network_detach(d, in);
	stdin_pipe_close(in->id);
	in->state = UNIK_STATE_EXITED;
	in->pid = 0;
	in->finished = unikd_now();
	free(in->message);
	in->message = xstrdup(err->msg);
	if (store_instance_put(d->store, in, &ignored))
		unikd_log("cannot record the failed start of %s: %s", in->id, ignored.msg);
}

/* Starts `in` (a copy of its record, which is not active) under its claim
 * `c`, d->lock not held.  The record says "starting" before anything is
 * made for the VM, and holds the VM process's pid before that process may
 * exec (see providers/provider.h): a daemon killed at any point leaves
 * nothing that reconciliation cannot find.  A VM that ended before start()
 * returned is noted on c (instance_claim_release collects it).  With
 * `checked`, the run ctx instance_create filled and checked for `in` just
 * now (taken), nothing is read or checked again.  -1 with err; once the
 * record said "starting", it then says exited, and why. */
static int start_claimed(struct unikd *d, struct unik_instance *in, struct claim *c,
			 struct run_ctx *checked, struct unik_err *err)
{
	const struct unik_provider *p = provider_of(in, err);
	struct spawn_ctx sc = { d, in };
	struct net_attach na;
	struct run_ctx rc;
	struct unik_vm vm;
	int rv = -1;

	memset(&na, 0, sizeof(na));
	if (checked) { /* taken: released on every way out */
		rc = *checked;
		memset(checked, 0, sizeof(*checked));
	}
	if (!p || unik_provider_require(p, UNIK_OP_START, err)) {
		if (checked)
			run_ctx_release(&rc);
		return -1;
	}
	if (provider_probe(p, &d->cfg, err)) {
		if (checked)
			run_ctx_release(&rc);
		return unik_err_prefix(err, "provider '%s' is not usable here", p->name);
	}
	if (checked) /* its folder and logs exist now: their lines get times */
		log_times_watch(d, in->id);
	else if (run_ctx_init(d, in, 1, &rc, err))
		return -1;
	else if (check_run(p, NULL, in, &rc.spec, err)) {
		run_ctx_release(&rc);
		return unik_err_prefix(err, "cannot start instance %s", in->name);
	}
	pthread_mutex_lock(&d->lock);
	if (volumes_claim_locked(d, in, err)) {
		pthread_mutex_unlock(&d->lock);
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
	/* its volumes are those it was created with: the state changes of a
	 * start rewrite the row only */
	if (store_instance_put_state(d->store, in, err)) {
		pthread_mutex_unlock(&d->lock);
		run_ctx_release(&rc);
		return -1;
	}
	/* its address (without one, attaching changed nothing of the record) */
	if (network_attach(d, in, p, rc.im.format, rc.kernel, &na, err) ||
	    (in->address && store_instance_put_state(d->store, in, err)))
		goto failed_locked;
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);

	if (volumes_prepare_disks(d, &rc, err) || run_ctx_boot(d, p, &rc, err)) {
		unik_err_prefix(err, "cannot start instance %s", in->name);
		pthread_mutex_lock(&d->lock);
		goto failed_locked;
	}
	rc.spec.net = &na.spec;
	rc.spec.spawned = on_spawned;
	rc.spec.spawned_ctx = &sc;
	if (in->open_stdin && stdin_pipe_open(in->id, p->console_input == UNIK_CONSOLE_INPUT_EOT,
					      &rc.spec.stdin_fd, err)) {
		pthread_mutex_lock(&d->lock);
		goto failed_locked;
	}
	memset(&vm, 0, sizeof(vm));
	rv = provider_start(p, &rc.spec, &vm, err);
	if (rc.spec.stdin_fd > 0)
		close(rc.spec.stdin_fd); /* the monitor's now */
	if (rv) {
		rv = -1;
		if (in->open_stdin)
			stdin_pipe_close(in->id);
		unik_err_prefix(err, "cannot start instance %s", in->name);
		pthread_mutex_lock(&d->lock);
		goto failed_locked;
	}
	rv = -1;

	pthread_mutex_lock(&d->lock);
	in->state = UNIK_STATE_RUNNING;
	in->pid = vm.pid;
	in->message = vm.note[0] ? xstrdup(vm.note) : NULL;
	if (vm.accel_used[0]) {
		free(in->accel);
		in->accel = xstrdup(vm.accel_used);
	}
	if (store_instance_put_state(d->store, in, err) ||
	    (vm.pid > 0 && supervisor_watch(d->sup, in->id, vm.pid, 1, err))) {
		/* a VM nobody would watch or find: end it rather than lose it */
		struct unik_err ignored = UNIK_ERR_INIT;

		pthread_mutex_unlock(&d->lock);
		provider_stop(p, &rc.spec, vm.pid, 0, &ignored);
		if (vm.pid > 0)
			waitpid(vm.pid, NULL, WNOHANG);
		pthread_mutex_lock(&d->lock);
		goto failed_locked;
	}
	unikd_log("instance %s (%s) started on %s, pid %d%s%s", in->name, in->id, p->name,
		  (int)vm.pid, in->address ? ", address " : "", in->address ? in->address : "");
	events_instance(in, "start", NULL);
	if (vm.ended)
		claim_note_exit(c, vm.pid, -1);
	pthread_mutex_unlock(&d->lock);
	rv = 0;
	goto cleanup;
failed_locked:
	start_failed_locked(d, in, err);
	pthread_mutex_unlock(&d->lock);
cleanup:
	net_attach_release(&na);
	run_ctx_release(&rc);
	return rv;
}

/* Re-reads `out` (d->lock held): after a claim was released, the record
 * may say more (an exit collected meanwhile). */
static void reread_locked(struct unikd *d, const char *id, struct unik_instance *out)
{
	struct unik_instance now;

	unik_instance_init(&now);
	if (store_instance_get(d->store, id, &now, NULL) == 0) {
		unik_instance_release(out);
		*out = now;
	} else {
		unik_instance_release(&now);
	}
}

const struct unik_provider *instance_default_provider(struct unikd *d, const char *format,
						      struct unik_err *err)
{
	if (strcmp(d->default_provider, "auto"))
		return unik_provider_find(d->default_provider);
	return unik_provider_auto(&d->cfg, format, err);
}

/* The folder of a new instance (a fresh id: nobody made it before) and its
 * empty console log.  One mkdir, not a walk from /, while the state dir's
 * instances/ exists; the log is created in the new private folder
 * (O_EXCL: nothing can be there yet), without the fsync of an atomic write
 * (an empty file lost to a crash is made again by the next start). */
static int make_log(const char *dir, const char *log, struct unik_err *err)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", log, strerror(errno));
		fs_remove_tree(dir, NULL);
		return -1;
	}
	close(fd);
	return 0;
}

int instance_make_dir(struct unikd *d, const char *id, struct unik_err *err)
{
	char *dir = instance_dir(d, id), *log = instance_log_path(d, id),
	     *err_log = instance_err_path(d, id);
	int rv = -1;

	if (mkdir(dir, 0700) < 0) {
		if (errno != ENOENT) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", dir,
				     strerror(errno));
			goto out;
		}
		if (fs_mkdir_p(dir, 0700, err))
			goto out;
	}
	rv = make_log(dir, log, err) || make_log(dir, err_log, err) ? -1 : 0;
out:
	free(dir);
	free(log);
	free(err_log);
	return rv;
}

int instance_create(struct unikd *d, const struct unik_run_request *rq, struct unik_instance *out,
		    struct unik_err *err)
{
	const struct unik_provider *p = NULL;
	struct unik_image im;
	struct claim *c = NULL;
	struct run_ctx rc;
	char *image_id = NULL, *dir = NULL;
	int rv = -1, have_rc = 0;

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
	if ((rq->start || rq->summon.enabled) && unik_provider_require(p, UNIK_OP_START, err))
		goto cleanup;
	if (summon_check(d, rq, err))
		goto cleanup;
	out->id = ids_new();
	out->name = rq->name ? xstrdup(rq->name) : ids_random_name();
	out->image = xstrdup(im.id);
	out->image_name = xstrdup(im.name ? im.name : rq->image);
	out->provider = xstrdup(p->name);
	out->accel = xstrdup(rq->accel ? rq->accel : unik_provider_default_accel(p, &d->cfg));
	out->state = UNIK_STATE_CREATED;
	out->created = unikd_now();
	out->memory_mb = rq->memory_mb ? rq->memory_mb : im.memory_mb ? im.memory_mb : 128;
	strv_copy(&out->args, rq->args.n ? &rq->args : &im.args);
	strv_copy(&out->labels, &rq->labels);
	strv_copy(&out->env, &rq->env);
	strv_copy(&out->ports, &rq->ports);
	out->trace = rq->trace;
	out->verbose = rq->verbose;
	out->open_stdin = rq->open_stdin;
	out->summon = rq->summon;
	{
		struct unik_restart policy;
		char text[32];

		if (unik_restart_parse(rq->restart, &policy, err))
			goto cleanup;
		unik_restart_format(&policy, text, sizeof(text));
		out->restart = policy.policy == UNIK_RESTART_NO ? NULL : xstrdup(text);
	}
	if (volumes_resolve(d, &rq->volumes, p, im.format, out, err))
		goto cleanup;
	/* the image's record moves into rc, which a start then uses as checked */
	if (run_ctx_init_image(d, out, &im, 1, &rc, err))
		goto cleanup;
	have_rc = 1;
	if (check_run(p, rq->accel, out, &rc.spec, err))
		goto cleanup;

	dir = instance_dir(d, out->id);
	if (instance_make_dir(d, out->id, err))
		goto cleanup;
	pthread_mutex_lock(&d->lock);
	if (store_instance_put(d->store, out, err)) {
		pthread_mutex_unlock(&d->lock);
		fs_remove_tree(dir, NULL);
		goto cleanup;
	}
	events_instance(out, "create", NULL);
	if (rq->start && !rq->summon.enabled) /* a summoned one boots on a connection */
		c = claim_try(d, out->id); /* a new id: nobody else holds it */
	pthread_mutex_unlock(&d->lock);
	rv = 0;
	if (rq->summon.enabled && (summon_pool_create(d, out, err) || summon_open(d, out, err))) {
		struct unik_err ignored = UNIK_ERR_INIT;

		if (instance_remove(d, out->id, 1, &ignored))
			unikd_log("instance %s: its refused run is kept: %s", out->name,
				  ignored.msg);
		rv = -1;
	}
	if (c) {
		have_rc = 0;
		if (start_claimed(d, out, c, &rc, err)) {
			/* A refused run leaves nothing behind: its client never
			 * learns the id of a record kept (docs/api.md). */
			struct unik_err ignored = UNIK_ERR_INIT;

			pthread_mutex_lock(&d->lock);
			instance_claim_release(d, c);
			pthread_mutex_unlock(&d->lock);
			if (instance_remove(d, out->id, 1, &ignored))
				unikd_log("instance %s: its refused run is kept: %s", out->name,
					  ignored.msg);
			rv = -1;
		} else {
			pthread_mutex_lock(&d->lock);
			instance_claim_release(d, c);
			reread_locked(d, out->id, out);
			pthread_mutex_unlock(&d->lock);
		}
	}
	unikd_notify(d);
cleanup:
	if (have_rc)
		run_ctx_release(&rc);
	unik_image_release(&im);
	free(image_id);
	free(dir);
	return rv;
}

/* instance_start, or with `restart` the start of a restart policy: only
 * of an exited instance not stopped by its user, counted. */
static int start_as(struct unikd *d, const char *id, int restart, struct unik_instance *out,
		    struct unik_err *err)
{
	const struct unik_provider *p;
	struct claim *c = NULL;
	int rv = -1;

	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, out, err))
		goto unlock;
	if (unik_state_active(out->state)) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is already running", out->name);
		goto unlock;
	}
	p = provider_of(out, err);
	if (!p || unik_provider_require(p, UNIK_OP_START, err))
		goto unlock;
	c = claim_take(d, id);
	unik_instance_release(out);
	if (store_instance_get(d->store, id, out, err)) /* removed meanwhile */
		goto unlock;
	if (unik_state_active(out->state)) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is already running", out->name);
		goto unlock;
	}
	if (restart && (out->stopped_by_user || out->state != UNIK_STATE_EXITED)) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is no longer to be restarted",
			     out->name);
		goto unlock;
	}
	if (restart)
		out->restart_count++;
	out->stopped_by_user = 0; /* saved by start_claimed with the start */
	pthread_mutex_unlock(&d->lock);
	rv = start_claimed(d, out, c, NULL, err);
	pthread_mutex_lock(&d->lock);
	instance_claim_release(d, c);
	c = NULL;
	if (rv == 0)
		reread_locked(d, id, out);
unlock:
	if (c)
		instance_claim_release(d, c);
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);
	return rv;
}

int instance_start(struct unikd *d, const char *id, struct unik_instance *out, struct unik_err *err)
{
	return start_as(d, id, 0, out, err);
}

int instance_start_restart(struct unikd *d, const char *id, struct unik_instance *out,
			   struct unik_err *err)
{
	return start_as(d, id, 1, out, err);
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
	struct claim *c = NULL;
	struct run_ctx rc;
	pid_t pid;
	int rv = -1, stopping = 0;

	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, out, err))
		goto unlock;
	if (!is_running(out)) {
		/* one waiting for its restart policy's backoff stays stopped */
		if (out->restart && !out->stopped_by_user) {
			out->stopped_by_user = 1;
			rv = store_instance_put(d->store, out, err);
		} else {
			rv = 0;
		}
		goto unlock;
	}
	p = provider_of(out, err);
	if (!p || unik_provider_require(p, UNIK_OP_STOP, err))
		goto unlock;
	c = claim_take(d, id); /* a start in progress finishes first */
	unik_instance_release(out);
	if (store_instance_get(d->store, id, out, err))
		goto unlock;
	if (!is_running(out)) {
		rv = 0;
		goto unlock;
	}
	out->state = UNIK_STATE_STOPPING;
	out->stopped_by_user = 1; /* no restart policy applies to its end */
	if (store_instance_put(d->store, out, err))
		goto unlock;
	pid = out->pid;
	stopping = 1;
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);

	run_ctx_init(d, out, 0, &rc, err); /* never fails without need_image */
	rv = provider_stop(p, &rc.spec, pid, timeout_s, err);
	run_ctx_release(&rc);
	pthread_mutex_lock(&d->lock);
	/* no host process is watched: the provider's word ends it */
	if (rv == 0 && pid <= 0)
		claim_note_exit(c, 0, -1);
	instance_claim_release(d, c);
	c = NULL;
	if (rv == 0)
		rv = wait_exit_locked(d, id, (timeout_s + 10) * 1000, out, err);
	if (rv == 0 && stopping)
		events_instance(out, "stop", NULL);
unlock:
	if (c)
		instance_claim_release(d, c);
	pthread_mutex_unlock(&d->lock);
	unikd_notify(d);
	return rv;
}

static int remove_as(struct unikd *d, const char *id, int force, int member_ok,
		     struct unik_err *err)
{
	struct unik_instance in;
	const struct unik_provider *p;
	struct claim *c = NULL;
	char *dir = NULL;
	pid_t leftover;
	int leftovers, rv = -1;

	unik_instance_init(&in);
	summon_hold(d, id, 1); /* no connection boots it meanwhile */
	pthread_mutex_lock(&d->lock);
	if (store_instance_get(d->store, id, &in, err))
		goto unlock;
	if (!member_ok && summon_pool_member_locked(d, &in, err))
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
	}
	c = claim_take(d, id);
	unik_instance_release(&in);
	if (store_instance_get(d->store, id, &in, err))
		goto unlock;
	if (is_running(&in)) { /* started again meanwhile */
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s was started again", in.name);
		goto unlock;
	}
	pthread_mutex_unlock(&d->lock);

	p = unik_provider_find(in.provider);
	if (p) {
		struct run_ctx rc;

		run_ctx_init(d, &in, 0, &rc, err); /* never fails without need_image */
		rv = provider_remove(p, &rc.spec, err);
		run_ctx_release(&rc);
		if (rv) {
			pthread_mutex_lock(&d->lock);
			goto unlock;
		}
		rv = -1;
	}
	/* Nothing may outlive its record: a process of this instance left by
	 * a daemon killed at the wrong moment ends now.  Then the record goes,
	 * then the folder (a folder without a record is removed at start). */
	leftovers = supervisor_end_vms(id, &leftover);
	if (leftovers)
		unikd_log("instance %s (%s): ended %d leftover process%s (pid %d)", in.name, in.id,
			  leftovers, leftovers > 1 ? "es" : "", (int)leftover);
	pthread_mutex_lock(&d->lock);
	if (store_instance_delete(d->store, id, err))
		goto unlock;
	instance_claim_release(d, c);
	c = NULL;
	pthread_mutex_unlock(&d->lock);
	summon_close(d, id); /* its listeners and relayed connections */
	dir = instance_dir(d, id);
	fs_remove_tree(dir, NULL);
	unikd_log("instance %s (%s) removed", in.name, in.id);
	events_instance(&in, "destroy", NULL);
	rv = 0;
	if (in.summon.max > 1 && !in.summon.pool[0])
		summon_pool_remove(d, id); /* the pool's other members */
	goto out;
unlock:
	if (c)
		instance_claim_release(d, c);
	pthread_mutex_unlock(&d->lock);
out:
	if (rv)
		summon_hold(d, id, 0);
	unikd_notify(d);
	unik_instance_release(&in);
	free(dir);
	return rv;
}

int instance_remove(struct unikd *d, const char *id, int force, struct unik_err *err)
{
	return remove_as(d, id, force, 0, err);
}

int instance_remove_member(struct unikd *d, const char *id, struct unik_err *err)
{
	return remove_as(d, id, 1, 1, err);
}

int instance_wait(struct unikd *d, const char *id, struct unik_instance *out, struct unik_err *err)
{
	int rv;

	pthread_mutex_lock(&d->lock);
	rv = wait_exit_locked(d, id, -1, out, err);
	pthread_mutex_unlock(&d->lock);
	return rv;
}
