/* http_park.c - requests that wait for something, and connection deadlines.
 *
 * A parked request is a suspended connection and nothing else: no thread
 * waits for it.  One thread watches them all:
 *   - unikd_notify() bumps a generation counter and pokes an eventfd, and
 *     unikd_data_ready() (the log stamper: a console log grew) pokes it
 *     too; the thread then looks at what is parked within FAST_SCAN_MS (at
 *     most one look that often, however many pokes): re-runs parked
 *     handlers (wait) on their workers when the state changed since they
 *     parked, and asks parked streams (logs -f, job events) whether they
 *     have more.  Producers that poke nobody are still seen: streams are
 *     looked at every SCAN_MS while any is parked;
 *   - an epoll on the parked connections' sockets (EPOLLRDHUP) notices a
 *     client that hangs up, so its request ends instead of lingering;
 *   - every connection must send each request's head within the header
 *     timeout (also after a previous request: within the idle timeout plus
 *     that); past it the socket is shut down, which libmicrohttpd sees as
 *     the client closing.  Slow-header clients cannot hold connections.
 * Only this thread takes requests off the parked list, so a scan can look
 * at them without holding the lock (a stream's check may query SQLite).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"

#define SCAN_MS 100
#define FAST_SCAN_MS 5
#define DEADLINE_SCAN_MS 1000

enum { PARK_NONE = 0, PARK_RERUN, PARK_STREAM };

struct conn_watch {
	int fd;
	int64_t deadline_ms; /* 0: a request is being handled */
	int verified; /* TLS client certificate: 0 unknown, 1 good, -1 bad */
	struct conn_watch *next, *prev;
};

struct http_park {
	struct http_server *srv;
	pthread_mutex_t lock;
	pthread_cond_t stopped;
	struct http_req *head; /* parked requests */
	int nstreams;
	struct conn_watch *conns;
	_Atomic uint64_t gen;
	_Atomic uint64_t data_gen; /* pokes of park_data_ready */
	int epfd, evfd;
	pthread_t thread;
	int stopping; /* no new parking; the thread resumes everything */
	int stop_done;
	int quit;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void poke(struct http_park *p)
{
	uint64_t one = 1;

	if (write(p->evfd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will wake */
	}
}

void park_notify(struct http_park *p)
{
	atomic_fetch_add(&p->gen, 1);
	poke(p);
}

void park_data_ready(struct http_park *p)
{
	atomic_fetch_add(&p->data_gen, 1);
	poke(p);
}

uint64_t park_generation(struct http_park *p)
{
	return atomic_load(&p->gen);
}

/* ---- the parked list ---------------------------------------------------- */

/* Links req (p->lock held) and watches its socket for a hang-up. */
static void link_locked(struct http_park *p, struct http_req *req, int kind, uint64_t gen)
{
	struct epoll_event ev;

	req->pkind = kind;
	req->pgen = gen;
	req->pprev = NULL;
	req->pnext = p->head;
	if (p->head)
		p->head->pprev = req;
	p->head = req;
	if (kind == PARK_STREAM)
		p->nstreams++;
	req->pfd = req->cw ? req->cw->fd : -1;
	if (req->pfd >= 0) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLRDHUP;
		ev.data.ptr = req;
		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, req->pfd, &ev) < 0)
			req->pfd = -1;
	}
}

/* Takes req off the list (p->lock held) and stops watching its socket. */
static void unlink_locked(struct http_park *p, struct http_req *req)
{
	if (req->pprev)
		req->pprev->pnext = req->pnext;
	else if (p->head == req)
		p->head = req->pnext;
	if (req->pnext)
		req->pnext->pprev = req->pprev;
	req->pnext = req->pprev = NULL;
	if (req->pkind == PARK_STREAM)
		p->nstreams--;
	req->pkind = PARK_NONE;
	if (req->pfd >= 0)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, req->pfd, NULL);
	req->pfd = -1;
}

int park_rerun(struct http_park *p, struct http_req *req, uint64_t gen)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	link_locked(p, req, PARK_RERUN, gen);
	pthread_mutex_unlock(&p->lock);
	if (gen != park_generation(p))
		poke(p); /* it changed while the handler looked */
	return 0;
}

int park_stream(struct http_park *p, struct http_req *req)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	/* suspended before the park thread can see it (and resume it) */
	MHD_suspend_connection(req->conn);
	/* pgen stays that of the stream's last look at its producer: a change
	 * since then (even one before this read) makes the next scan ask again */
	link_locked(p, req, PARK_STREAM, req->pgen);
	pthread_mutex_unlock(&p->lock);
	poke(p); /* the scan timer starts */
	return 0;
}

/* Wakes a request taken off the list: a stream reads again, a parked
 * handler runs again (on its listener's workers). */
static void wake(struct http_req *req, int kind)
{
	if (kind == PARK_STREAM) {
		MHD_resume_connection(req->conn);
		return;
	}
	if (workers_submit(req->l->workers, req) < 0) {
		http_reply_shutting_down(req);
		http_resume(req);
	}
}

/* ---- the thread --------------------------------------------------------- */

static void on_hangup(struct http_park *p, struct http_req *req)
{
	int kind;

	pthread_mutex_lock(&p->lock);
	kind = req->pkind;
	if (kind != PARK_NONE)
		unlink_locked(p, req);
	pthread_mutex_unlock(&p->lock);
	if (kind == PARK_NONE)
		return;
	req->gone = 1;
	wake(req, kind);
}

/* Looks at every parked request once. */
static void scan(struct http_park *p)
{
	uint64_t gen = park_generation(p);
	struct http_req *list, *req, *next, *keep = NULL;

	pthread_mutex_lock(&p->lock);
	list = p->head;
	p->head = NULL;
	pthread_mutex_unlock(&p->lock);

	for (req = list; req; req = next) {
		int changed = req->pgen != gen;
		int kind = req->pkind;

		next = req->pnext;
		if (kind == PARK_STREAM ? http_stream_poll(req, changed) : changed) {
			pthread_mutex_lock(&p->lock);
			req->pprev = NULL; /* off the detached list: unlink only the rest */
			req->pnext = NULL;
			unlink_locked(p, req);
			pthread_mutex_unlock(&p->lock);
			wake(req, kind);
			continue;
		}
		req->pgen = gen;
		req->pnext = keep;
		keep = req;
	}

	pthread_mutex_lock(&p->lock);
	for (req = keep; req; req = next) {
		next = req->pnext;
		req->pprev = NULL;
		req->pnext = p->head;
		if (p->head)
			p->head->pprev = req;
		p->head = req;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Shuts down connections whose request head is overdue. */
static void check_deadlines(struct http_park *p, int64_t now)
{
	int n = 0;

	pthread_mutex_lock(&p->lock);
	for (struct conn_watch *cw = p->conns; cw; cw = cw->next) {
		if (cw->deadline_ms && now >= cw->deadline_ms && cw->fd >= 0) {
			/* the fd is open: it is closed only after park_conn_close */
			shutdown(cw->fd, SHUT_RDWR);
			cw->deadline_ms = 0;
			n++;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (n)
		unikd_log("http: closed %d connection%s whose request head was late "
			  "(http_header_timeout %d s)",
			  n, n == 1 ? "" : "s", p->srv->header_timeout_s);
}

/* At shutdown: every parked request ends (streams end cleanly when they
 * find nothing more; parked handlers answer 503). */
static void release_all(struct http_park *p)
{
	struct http_req *req;

	pthread_mutex_lock(&p->lock);
	while ((req = p->head)) {
		int kind = req->pkind;

		unlink_locked(p, req);
		pthread_mutex_unlock(&p->lock);
		if (kind == PARK_STREAM) {
			MHD_resume_connection(req->conn);
		} else {
			http_reply_shutting_down(req);
			http_resume(req);
		}
		pthread_mutex_lock(&p->lock);
	}
	p->stop_done = 1;
	pthread_cond_broadcast(&p->stopped);
	pthread_mutex_unlock(&p->lock);
}

static void *park_main(void *arg)
{
	struct http_park *p = arg;
	int64_t last_scan = 0, last_deadlines = now_ms();
	uint64_t scanned = park_generation(p), scanned_data = atomic_load(&p->data_gen);

	for (;;) {
		struct epoll_event evs[64];
		int64_t now = now_ms(), timeout = DEADLINE_SCAN_MS - (now - last_deadlines);
		int n, streams, stopping, quit, pending;

		pthread_mutex_lock(&p->lock);
		streams = p->nstreams;
		stopping = p->stopping && !p->stop_done;
		quit = p->quit;
		pthread_mutex_unlock(&p->lock);
		if (quit)
			break;
		if (stopping) {
			release_all(p);
			continue;
		}
		pending = park_generation(p) != scanned ||
			  (streams > 0 && atomic_load(&p->data_gen) != scanned_data);
		if (pending || streams > 0) {
			int64_t due = last_scan + (pending ? FAST_SCAN_MS : SCAN_MS) - now;

			if (due < timeout)
				timeout = due;
		}
		n = epoll_wait(p->epfd, evs, 64, timeout < 0 ? 0 : (int)timeout);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t v;

				if (read(p->evfd, &v, sizeof(v)) < 0) {
					/* EAGAIN: already drained */
				}
			} else {
				on_hangup(p, evs[i].data.ptr);
			}
		}
		now = now_ms();
		pending = park_generation(p) != scanned ||
			  (streams > 0 && atomic_load(&p->data_gen) != scanned_data);
		if ((pending && now - last_scan >= FAST_SCAN_MS) ||
		    (streams > 0 && now - last_scan >= SCAN_MS)) {
			scanned = park_generation(p);
			scanned_data = atomic_load(&p->data_gen);
			scan(p);
			last_scan = now;
		}
		if (now - last_deadlines >= DEADLINE_SCAN_MS) {
			check_deadlines(p, now);
			last_deadlines = now;
		}
	}
	return NULL;
}

int park_start(struct http_server *srv, struct http_park **out, struct unik_err *err)
{
	struct http_park *p = xcalloc(1, sizeof(*p));
	struct epoll_event ev;

	p->srv = srv;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->stopped, NULL);
	atomic_init(&p->gen, 0);
	atomic_init(&p->data_gen, 0);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->epfd < 0 || p->evfd < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) < 0)
		goto fail;
	if (pthread_create(&p->thread, NULL, park_main, p)) {
		errno = EAGAIN;
		goto fail;
	}
	pthread_setname_np(p->thread, "unikd-park");
	*out = p;
	return 0;
fail:
	unik_err_set(err, UNIK_E_INTERNAL, "cannot set up the HTTP wait thread: %s",
		     strerror(errno));
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->evfd >= 0)
		close(p->evfd);
	free(p);
	return -1;
}

void park_stop_parking(struct http_park *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_mutex_unlock(&p->lock);
	poke(p);
	pthread_mutex_lock(&p->lock);
	while (!p->stop_done)
		pthread_cond_wait(&p->stopped, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void park_free(struct http_park *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_mutex_unlock(&p->lock);
	poke(p);
	pthread_join(p->thread, NULL);
	while (p->conns) {
		struct conn_watch *cw = p->conns;

		p->conns = cw->next;
		free(cw);
	}
	close(p->epfd);
	close(p->evfd);
	pthread_cond_destroy(&p->stopped);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- connection deadlines ----------------------------------------------- */

struct conn_watch *park_conn_open(struct http_park *p, int fd)
{
	struct conn_watch *cw = xcalloc(1, sizeof(*cw));

	cw->fd = fd;
	cw->deadline_ms = now_ms() + (int64_t)p->srv->header_timeout_s * 1000;
	pthread_mutex_lock(&p->lock);
	cw->next = p->conns;
	if (p->conns)
		p->conns->prev = cw;
	p->conns = cw;
	pthread_mutex_unlock(&p->lock);
	return cw;
}

void park_conn_request_begun(struct http_park *p, struct conn_watch *cw)
{
	if (!cw)
		return;
	pthread_mutex_lock(&p->lock);
	cw->deadline_ms = 0;
	pthread_mutex_unlock(&p->lock);
}

void park_conn_request_done(struct http_park *p, struct conn_watch *cw)
{
	int64_t allow = (int64_t)(p->srv->idle_timeout_s + p->srv->header_timeout_s) * 1000;

	if (!cw)
		return;
	pthread_mutex_lock(&p->lock);
	cw->deadline_ms = now_ms() + allow;
	pthread_mutex_unlock(&p->lock);
}

void park_conn_close(struct http_park *p, struct conn_watch *cw)
{
	if (!cw)
		return;
	pthread_mutex_lock(&p->lock);
	if (cw->prev)
		cw->prev->next = cw->next;
	else
		p->conns = cw->next;
	if (cw->next)
		cw->next->prev = cw->prev;
	pthread_mutex_unlock(&p->lock);
	free(cw);
}

int *park_conn_verified(struct conn_watch *cw)
{
	return &cw->verified;
}
