/* reconcile.c - settling instances at daemon start (see instances.h).
 *
 * What a daemon killed at any moment can leave, and what is done here:
 *   starting  (killed during a start)  its VM, if one got to exec, is ended
 *             (found by the instance id it carries); exited, with why
 *   running   VM alive: adopted; gone: collected (its status file tells)
 *   stopping  (killed during a stop)   the stop is finished, then collected
 *   no record (killed during rm)       leftover processes ended, folder removed
 *
 * It runs before requests are served, holding d->lock throughout (provider
 * calls included: nothing else runs yet but the supervisor, whose
 * callbacks wait).
 */
#include "instances.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "log_times.h"
#include "network.h"
#include "run_ctx.h"
#include "store.h"
#include "supervisor.h"

static void set_message(struct unik_instance *in, const char *msg)
{
	free(in->message);
	in->message = xstrdup(msg);
}

/* A start the daemon did not finish: whatever VM it made is ended. */
static void end_interrupted_start(struct unikd *d, struct unik_instance *in,
				  const struct unik_provider *p)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct run_ctx rc;
	pid_t pid = 0;
	int ended = 0;

	run_ctx_init(d, in, 0, &rc, &err);
	if (unik_provider_has(p, UNIK_OP_STATUS)) {
		/* VMs that live outside us (libvirt domains) */
		enum unik_vm_state st;

		if (provider_status(p, &rc.spec, &st, &pid, &err) == 0 && st == UNIK_VM_RUNNING &&
		    provider_stop(p, &rc.spec, pid, 0, &err) == 0)
			ended = 1;
	}
	ended += supervisor_end_vms(in->id, &pid);
	run_ctx_release(&rc);
	network_detach(d, in);
	in->state = UNIK_STATE_EXITED;
	in->exit_code = -1;
	in->pid = 0;
	in->finished = unikd_now();
	set_message(in, ended ? "start interrupted: unikd ended while starting it, and its VM "
				"was ended at unikd's restart"
			      : "start interrupted: unikd ended while starting it, before its VM "
				"ran");
	if (store_instance_put(d->store, in, &err))
		unikd_log("cannot record instance %s: %s", in->id, err.msg);
	if (pid)
		unikd_log("instance %s (%s): %s (pid %d)", in->name, in->id, in->message, (int)pid);
	else
		unikd_log("instance %s (%s): %s", in->name, in->id, in->message);
}

/* The VM of `in` was found alive while the daemon was stopping it. */
static void finish_stop(struct unikd *d, struct unik_instance *in, const struct unik_provider *p,
			pid_t pid)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct run_ctx rc;

	run_ctx_init(d, in, 0, &rc, &err);
	if (provider_stop(p, &rc.spec, pid, 0, &err))
		unikd_log("instance %s: cannot finish its stop: %s", in->name, err.msg);
	run_ctx_release(&rc);
	unikd_log("instance %s (%s): its stop was interrupted; finished it", in->name, in->id);
	instance_mark_exited_locked(d, in, -1);
}

/* An instance of a provider that knows its VMs itself (status()). */
static void settle_by_status(struct unikd *d, struct unik_instance *in,
			     const struct unik_provider *p)
{
	struct unik_err err = UNIK_ERR_INIT;
	enum unik_vm_state st;
	struct run_ctx rc;
	pid_t pid = 0;
	int r;

	run_ctx_init(d, in, 0, &rc, &err);
	r = provider_status(p, &rc.spec, &st, &pid, &err);
	run_ctx_release(&rc);
	if (r < 0) {
		unikd_log("instance %s: %s cannot tell its state (%s); kept as %s", in->name,
			  p->name, err.msg, unik_state_name(in->state));
		return;
	}
	if (st != UNIK_VM_RUNNING) {
		instance_mark_exited_locked(d, in, -1);
		return;
	}
	if (in->state == UNIK_STATE_STOPPING && unik_provider_has(p, UNIK_OP_STOP)) {
		finish_stop(d, in, p, pid);
		return;
	}
	if (pid > 0 && supervisor_watch(d->sup, in->id, pid, 0, &err) == 0) {
		if (in->pid != pid) {
			in->pid = pid;
			store_instance_put(d->store, in, NULL);
		}
	} else if (in->pid != 0) {
		/* no host process here to watch: the exit poller asks status()
		 * (it looks at instances without a pid), not a stale pid */
		in->pid = 0;
		store_instance_put(d->store, in, NULL);
	}
	log_times_watch(d, in->id);
	unikd_log("adopted running instance %s (%s) from %s", in->name, in->id, p->name);
	if (network_readopt(d, in, &err))
		unikd_log("instance %s: cannot publish its ports again: %s", in->name, err.msg);
}

/* An instance whose VM is a host process with a recorded pid. */
static void settle_by_pid(struct unikd *d, struct unik_instance *in, const struct unik_provider *p)
{
	struct unik_err err = UNIK_ERR_INIT;

	if (in->pid > 0 && supervisor_pid_is_vm(in->pid, in->id)) {
		if (in->state == UNIK_STATE_STOPPING && unik_provider_has(p, UNIK_OP_STOP)) {
			finish_stop(d, in, p, in->pid);
			return;
		}
		if (supervisor_watch(d->sup, in->id, in->pid, 0, &err) == 0) {
			log_times_watch(d, in->id);
			unikd_log("adopted running instance %s (%s), pid %d", in->name, in->id,
				  in->pid);
			if (network_readopt(d, in, &err))
				unikd_log("instance %s: cannot publish its ports again: %s",
					  in->name, err.msg);
			return;
		}
	}
	instance_mark_exited_locked(d, in, -1);
	if (!in->message) {
		in->message = xstrdup("the VM ended while unikd was not running");
		store_instance_put(d->store, in, NULL);
	}
}

static int is_instance_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return 0;
	return n == UNIK_ID_LEN;
}

/* Instance folders without a record: a removal (or a creation) cut short. */
static void sweep_orphans(struct unikd *d, const struct unik_instance *v, size_t n)
{
	char *root = unikd_path(d, "instances");
	DIR *dir = opendir(root);
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		struct unik_instance orphan;
		int known = 0, ended;
		char *path;

		if (!is_instance_id(e->d_name))
			continue;
		for (size_t i = 0; i < n && !known; i++)
			known = !strcmp(v[i].id, e->d_name);
		if (known)
			continue;
		ended = supervisor_end_vms(e->d_name, NULL);
		unik_instance_init(&orphan);
		orphan.id = xstrdup(e->d_name);
		network_detach(d, &orphan); /* its tap, if one was left */
		unik_instance_release(&orphan);
		path = unikd_path(d, "instances/%s", e->d_name);
		fs_remove_tree(path, NULL);
		free(path);
		unikd_log("removed the folder of instance %s, which has no record%s", e->d_name,
			  ended ? " (and ended its leftover VM)" : "");
	}
	if (dir)
		closedir(dir);
	free(root);
}

int instances_reconcile(struct unikd *d, struct unik_err *err)
{
	struct unik_instance *v;
	size_t n;

	if (store_instance_list(d->store, &v, &n, err))
		return -1;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++) {
		struct unik_instance *in = &v[i];
		const struct unik_provider *p = unik_provider_find(in->provider);

		if (in->state == UNIK_STATE_STARTING)
			end_interrupted_start(d, in, p);
		else if (!unik_state_active(in->state))
			continue;
		else if (unik_provider_has(p, UNIK_OP_STATUS))
			settle_by_status(d, in, p);
		else
			settle_by_pid(d, in, p);
	}
	sweep_orphans(d, v, n);
	pthread_mutex_unlock(&d->lock);
	store_instances_free(v, n);
	unik_err_clear(err);
	return 0;
}
