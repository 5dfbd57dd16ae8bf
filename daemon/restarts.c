/* restarts.c - restart policies applied (restarts.h). */
#include "restarts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/restart.h"
#include "../api/types.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "instances.h"
#include "store.h"

struct pending {
	char *id;
	int64_t due_ms; /* CLOCK_MONOTONIC */
	int delay_ms; /* the backoff it waits */
	struct pending *next;
};

/* One restarter per daemon process. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, quit;
	pthread_t thread;
	struct unikd *d;
	struct pending *head;
} rs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next pending restart that is due, taken off the list (rs.lock
 * held), or NULL; *wait_ms: until the next one (-1: none). */
static struct pending *take_due_locked(int64_t *wait_ms)
{
	struct pending **pp, **best = NULL;
	int64_t now = mono_ms();

	for (pp = &rs.head; *pp; pp = &(*pp)->next)
		if (!best || (*pp)->due_ms < (*best)->due_ms)
			best = pp;
	if (!best) {
		*wait_ms = -1;
		return NULL;
	}
	if ((*best)->due_ms > now) {
		*wait_ms = (*best)->due_ms - now;
		return NULL;
	}
	struct pending *p = *best;

	*best = p->next;
	return p;
}

/* Starts instance `id` again, if it still wants to be. */
static void restart_one(struct unikd *d, const char *id, int delay_ms)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;

	if (__atomic_load_n(&d->shutting_down, __ATOMIC_RELAXED))
		return; /* the next daemon's reconcile takes it up */
	unik_instance_init(&in);
	if (instance_start_restart(d, id, &in, &err) == 0) {
		char count[16], delay[16];

		snprintf(count, sizeof(count), "%d", in.restart_count);
		snprintf(delay, sizeof(delay), "%d", delay_ms);
		unikd_log("instance %s (%s) restarted (%s, restart %d, after %d ms)", in.name,
			  in.id, in.restart ? in.restart : "no", in.restart_count, delay_ms);
		events_instance(&in, "restart",
				json_pack("{ssssss}", "restart_count", count, "delay_ms", delay,
					  "policy", in.restart ? in.restart : "no"));
	} else if (err.code != UNIK_E_NOT_FOUND && err.code != UNIK_E_CONFLICT) {
		unikd_log("instance %s: its restart failed: %s", id, err.msg);
	}
	unik_instance_release(&in);
}

static void *restarter_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rs.lock);
	while (!rs.quit) {
		int64_t wait_ms;
		struct pending *p = take_due_locked(&wait_ms);

		if (p) {
			struct unikd *d = rs.d;

			pthread_mutex_unlock(&rs.lock);
			restart_one(d, p->id, p->delay_ms);
			free(p->id);
			free(p);
			pthread_mutex_lock(&rs.lock);
			continue;
		}
		if (wait_ms < 0) {
			pthread_cond_wait(&rs.cond, &rs.lock);
		} else {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&rs.cond, &rs.lock, &ts);
		}
	}
	pthread_mutex_unlock(&rs.lock);
	return NULL;
}

/* Puts `id` on the list, due in delay_ms (replacing an earlier entry). */
static void schedule(struct unikd *d, const char *id, int delay_ms)
{
	struct pending *p;

	pthread_mutex_lock(&rs.lock);
	if (!rs.started) {
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&rs.cond, &ca);
		pthread_condattr_destroy(&ca);
		rs.quit = 0;
		rs.d = d;
		if (pthread_create(&rs.thread, NULL, restarter_main, NULL)) {
			pthread_cond_destroy(&rs.cond);
			pthread_mutex_unlock(&rs.lock);
			unikd_log("instance %s: no thread to restart it", id);
			return;
		}
		rs.started = 1;
	}
	for (p = rs.head; p && strcmp(p->id, id); p = p->next)
		;
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->id = xstrdup(id);
		p->next = rs.head;
		rs.head = p;
	}
	p->due_ms = mono_ms() + delay_ms;
	p->delay_ms = delay_ms;
	pthread_cond_signal(&rs.cond);
	pthread_mutex_unlock(&rs.lock);
}

/* 1 if `in` (exited) is to be started again by its policy. */
static int wanted(const struct unik_instance *in)
{
	struct unik_restart r;

	if (in->stopped_by_user || unik_restart_parse(in->restart, &r, NULL))
		return 0;
	return unik_restart_wanted(&r, in->restart_count, in->exit_code);
}

void restarts_consider_locked(struct unikd *d, struct unik_instance *in)
{
	int delay;

	if (d->shutting_down || !wanted(in))
		return;
	if (in->restart_delay_ms &&
	    !(in->started && in->finished - in->started >= RESTART_RESET_UPTIME_S)) {
		delay = in->restart_delay_ms * 2;
		if (delay > RESTART_BACKOFF_MAX_MS)
			delay = RESTART_BACKOFF_MAX_MS;
	} else {
		delay = RESTART_BACKOFF_FIRST_MS;
	}
	in->restart_delay_ms = delay;
	schedule(d, in->id, delay);
}

void restarts_reconcile(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance *v;
	size_t n;

	pthread_mutex_lock(&d->lock);
	if (store_instance_list(d->store, &v, &n, &err)) {
		pthread_mutex_unlock(&d->lock);
		unikd_log("restarts: cannot list the instances: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].state == UNIK_STATE_EXITED && wanted(&v[i]))
			schedule(d, v[i].id,
				 v[i].restart_delay_ms ? v[i].restart_delay_ms
						       : RESTART_BACKOFF_FIRST_MS);
	pthread_mutex_unlock(&d->lock);
	store_instances_free(v, n);
}

void restarts_stop(void)
{
	struct pending *p;

	pthread_mutex_lock(&rs.lock);
	if (!rs.started) {
		pthread_mutex_unlock(&rs.lock);
		return;
	}
	rs.quit = 1;
	pthread_cond_signal(&rs.cond);
	pthread_mutex_unlock(&rs.lock);
	pthread_join(rs.thread, NULL);
	pthread_mutex_lock(&rs.lock);
	while ((p = rs.head)) {
		rs.head = p->next;
		free(p->id);
		free(p);
	}
	pthread_cond_destroy(&rs.cond);
	rs.started = 0;
	rs.d = NULL;
	pthread_mutex_unlock(&rs.lock);
}
