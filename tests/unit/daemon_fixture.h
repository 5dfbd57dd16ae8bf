/* daemon_fixture.h - a daemon's state (store, blobs, supervisor, network,
 * claims) in a temporary folder, for the unit tests that run the daemon's
 * instance lifecycle against the mock providers (providers/mock/mock.h;
 * these tests link providers/mock/mock_registry.c, see tests/tests.mk).
 * Tearing it down and bringing it up on the same folder is a daemon
 * restart: the store stays, and the mock VMs still run. */
#ifndef UNIK_TEST_DAEMON_FIXTURE_H
#define UNIK_TEST_DAEMON_FIXTURE_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../daemon/blobs.h"
#include "../../daemon/daemon.h"
#include "../../daemon/instances.h"
#include "../../daemon/network.h"
#include "../../daemon/restarts.h"
#include "../../daemon/store.h"
#include "../../daemon/supervisor.h"
#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "../../providers/dispatch.h"
#include "../../providers/mock/mock.h"

/* A new temporary folder (caller frees and removes). */
static inline char *fx_root(void)
{
	char *root = xstrdup("/tmp/unik-tlife.XXXXXX");

	if (!mkdtemp(root))
		abort();
	return root;
}

/* The daemon's state over `root` with configuration text `config`, as
 * unikd's main() sets it up, reconciliation included.  0 or -1. */
static inline int fx_up(struct unikd *d, const char *root, const char *config)
{
	static const char *const dirs[] = { "instances", "jobs", "tmp", "blobs" };
	struct unik_err err = UNIK_ERR_INIT;
	pthread_condattr_t ca;
	char *db;

	memset(d, 0, sizeof(*d));
	unik_config_init(&d->cfg);
	if (unik_config_parse(&d->cfg, config ? config : "", "test", &err))
		goto fail;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->changed, &ca);
	pthread_condattr_destroy(&ca);
	d->state_dir = xstrdup(root);
	d->default_provider = xstrdup(unik_config_get(&d->cfg, "daemon.default_provider", "auto"));
	d->stop_timeout = 1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = unikd_path(d, "%s", dirs[i]);

		if (fs_mkdir_p(p, 0700, &err)) {
			free(p);
			goto fail;
		}
		free(p);
	}
	db = unikd_path(d, "unik.db");
	if (blobs_init(d->state_dir, &err) || store_open(&d->store, db, &err)) {
		free(db);
		goto fail;
	}
	free(db);
	if (network_init(d, &err) || supervisor_start(&d->sup, instance_exited, d, &err) ||
	    instances_reconcile(d, &err))
		goto fail;
	return 0;
fail:
	printf("# fixture: %s\n", err.msg);
	return -1;
}

/* The end of the daemon's state (not of the mock VMs, nor of the folder). */
static inline void fx_down(struct unikd *d)
{
	restarts_stop();
	supervisor_stop(d->sup);
	network_fini(d);
	store_close(d->store);
	unik_config_release(&d->cfg);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->changed);
	free(d->state_dir);
	free(d->default_provider);
	memset(d, 0, sizeof(*d));
}

/* Stores a blob of `text`; its digest (caller frees). */
static inline char *fx_blob(struct unikd *d, const char *text)
{
	char *digest = blobs_digest_buf(text, strlen(text));
	char *path = unikd_path(d, "blobs/sha256/%s", digest + strlen("sha256:"));

	if (fs_write_file_atomic(path, text, strlen(text), 0644, NULL))
		abort();
	free(path);
	return digest;
}

/* An image named `name` of `format` with its artifacts; its id (caller
 * frees). */
static inline char *fx_image(struct unikd *d, const char *name, const char *format)
{
	struct unik_image im;
	char *id;

	unik_image_init(&im);
	im.id = blobs_digest_buf(name, strlen(name));
	memmove(im.id, im.id + strlen("sha256:"), strlen(im.id) - strlen("sha256:") + 1);
	im.digest = xasprintf("sha256:%s", im.id);
	im.name = xstrdup(name);
	im.compiler = xstrdup("c");
	im.format = xstrdup(format);
	im.kernel = fx_blob(d, name);
	if (unik_format_has(format, UNIK_FORMAT_HAS_INITRD))
		im.initrd = fx_blob(d, "an initrd");
	im.memory_mb = 16;
	im.created = unikd_now();
	if (store_image_put(d->store, &im, NULL))
		abort();
	id = xstrdup(im.id);
	unik_image_release(&im);
	return id;
}

/* instance_create of `image` on `provider` (NULL: the default), started
 * or not, with `ports` (NULL-terminated, may be NULL). */
static inline int fx_run(struct unikd *d, const char *image, const char *provider, int start,
			 const char *const *ports, struct unik_instance *out, struct unik_err *err)
{
	struct unik_run_request rq;
	int rc;

	unik_run_request_init(&rq);
	rq.image = xstrdup(image);
	rq.provider = provider ? xstrdup(provider) : NULL;
	rq.start = start;
	for (size_t i = 0; ports && ports[i]; i++)
		strv_push(&rq.ports, ports[i]);
	unik_instance_init(out);
	unik_err_clear(err);
	rc = instance_create(d, &rq, out, err);
	unik_run_request_release(&rq);
	return rc;
}

/* The recorded state of `id`, or -1 when there is no record. */
static inline int fx_state(struct unikd *d, const char *id)
{
	struct unik_instance in;
	int st;

	unik_instance_init(&in);
	st = store_instance_get(d->store, id, &in, NULL) == 0 ? (int)in.state : -1;
	unik_instance_release(&in);
	return st;
}

/* The record of `id` into `out` (released first); 0 or -1. */
static inline int fx_get(struct unikd *d, const char *id, struct unik_instance *out)
{
	unik_instance_release(out);
	unik_instance_init(out);
	return store_instance_get(d->store, id, out, NULL);
}

/* Waits up to `ms` for `id` to be in state `st`; 1 if it got there. */
static inline int fx_wait_state(struct unikd *d, const char *id, int st, int ms)
{
	long long end = clock_now_ms() + ms;

	while (fx_state(d, id) != st) {
		if (clock_now_ms() >= end)
			return 0;
		clock_sleep_ms(10);
	}
	return 1;
}

/* How many instance records there are. */
static inline int fx_count(struct unikd *d)
{
	struct unik_instance *v;
	size_t n;

	if (store_instance_list(d->store, &v, &n, NULL))
		return -1;
	store_instances_free(v, n);
	return (int)n;
}

/* A lifecycle call in a thread of its own, as a request handler would. */
enum fx_op { FX_CREATE, FX_START, FX_STOP, FX_REMOVE, FX_REMOVE_FORCE };

struct fx_async {
	pthread_t thread;
	struct unikd *d;
	enum fx_op op;
	const char *arg; /* FX_CREATE: the image; else the instance id */
	const char *provider;
	int rv;
	int done;
	long long ms; /* how long the call took */
	struct unik_err err;
	struct unik_instance out;
};

static inline void *fx_async_run(void *arg)
{
	struct fx_async *a = arg;
	long long t0 = clock_now_ms();

	unik_instance_init(&a->out);
	switch (a->op) {
	case FX_CREATE: a->rv = fx_run(a->d, a->arg, a->provider, 1, NULL, &a->out, &a->err); break;
	case FX_START: a->rv = instance_start(a->d, a->arg, &a->out, &a->err); break;
	case FX_STOP: a->rv = instance_stop(a->d, a->arg, 1, &a->out, &a->err); break;
	case FX_REMOVE:
	case FX_REMOVE_FORCE:
		a->rv = instance_remove(a->d, a->arg, a->op == FX_REMOVE_FORCE, &a->err);
		break;
	}
	a->ms = clock_now_ms() - t0;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static inline void fx_async(struct fx_async *a, struct unikd *d, enum fx_op op, const char *arg,
			    const char *provider)
{
	memset(a, 0, sizeof(*a));
	a->d = d;
	a->op = op;
	a->arg = arg;
	a->provider = provider;
	if (pthread_create(&a->thread, NULL, fx_async_run, a))
		abort();
}

static inline int fx_async_done(struct fx_async *a)
{
	return __atomic_load_n(&a->done, __ATOMIC_ACQUIRE);
}

/* Joins the call; its return value. */
static inline int fx_join(struct fx_async *a)
{
	pthread_join(a->thread, NULL);
	return a->rv;
}

#endif
