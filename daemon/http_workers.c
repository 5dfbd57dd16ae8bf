/* http_workers.c - the handler threads of one listener: a pool that grows
 * to a cap as requests wait, shrinks when idle, and queues (up to a limit)
 * beyond the cap.  Handlers may block (a start, a stop, an untar) here
 * without stalling libmicrohttpd's polling thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"

/* An idle thread beyond the first ends after this long. */
#define WORKER_IDLE_S 30

struct http_workers {
	char name[16];
	pthread_mutex_t lock;
	pthread_cond_t work; /* a request was queued, or stopping */
	pthread_cond_t ended; /* a thread ended */
	struct http_req *head, *tail;
	int queued, max_queue;
	int threads, idle, max_threads;
	int stopping;
};

struct http_workers *workers_new(const char *name, int max_threads, int max_queue)
{
	struct http_workers *w = xcalloc(1, sizeof(*w));
	pthread_condattr_t ca;

	snprintf(w->name, sizeof(w->name), "%s", name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_cond_init(&w->ended, &ca);
	pthread_condattr_destroy(&ca);
	w->max_threads = max_threads > 0 ? max_threads : 1;
	w->max_queue = max_queue > 0 ? max_queue : 1;
	return w;
}

static void *worker_main(void *arg)
{
	struct http_workers *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct http_req *req = w->head;

		if (req) {
			w->head = req->wnext;
			if (!w->head)
				w->tail = NULL;
			w->queued--;
			req->wnext = NULL;
			pthread_mutex_unlock(&w->lock);
			http_run_handler(req);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		if (w->stopping)
			break;
		w->idle++;
		if (w->threads > 1) {
			struct timespec ts;
			int rc;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += WORKER_IDLE_S;
			rc = pthread_cond_timedwait(&w->work, &w->lock, &ts);
			w->idle--;
			if (rc == ETIMEDOUT && !w->head && w->threads > 1)
				break;
		} else {
			pthread_cond_wait(&w->work, &w->lock);
			w->idle--;
		}
	}
	w->threads--;
	pthread_cond_broadcast(&w->ended);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Queues req and wakes or starts a thread (w->lock held). */
static void enqueue_locked(struct http_workers *w, struct http_req *req)
{
	req->phase = REQ_QUEUED;
	req->wnext = NULL;
	if (w->tail)
		w->tail->wnext = req;
	else
		w->head = req;
	w->tail = req;
	w->queued++;
	if (w->idle >= w->queued) {
		pthread_cond_signal(&w->work);
	} else if (w->threads < w->max_threads) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, worker_main, w) == 0) {
			w->threads++;
			pthread_setname_np(t, w->name);
		} else if (w->threads == 0) {
			abort(); /* no thread at all to run requests */
		}
		pthread_attr_destroy(&attr);
	}
}

static int refuse_locked(const struct http_workers *w)
{
	return w->stopping || w->queued >= w->max_queue;
}

int workers_submit_suspended(struct http_workers *w, struct http_req *req)
{
	pthread_mutex_lock(&w->lock);
	if (refuse_locked(w)) {
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	/* suspended before any worker can see it (and resume it) */
	MHD_suspend_connection(req->conn);
	enqueue_locked(w, req);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int workers_submit(struct http_workers *w, struct http_req *req)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	/* a re-run of a parked request: admitted once, it is not refused for a full queue */
	enqueue_locked(w, req);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void workers_drain(struct http_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	while (w->threads > 0)
		pthread_cond_wait(&w->ended, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void workers_free(struct http_workers *w)
{
	if (!w)
		return;
	workers_drain(w);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->ended);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
