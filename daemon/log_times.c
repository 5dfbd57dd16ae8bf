/* log_times.c - the console logs' time records (see log_times.h). */
#include "log_times.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "instances.h"

#define RECORD_SIZE 16

struct stamped {
	int wd;
	char *log, *times;
	int64_t size; /* the log's size at the last record */
};

struct stamper {
	struct unikd *d;
	int fd; /* inotify */
	int stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t lock; /* the table */
	struct stamped *v;
	size_t n, cap;
};

/* The stamper of the one daemon in this process. */
static struct stamper *the_stamper;

static void put64(unsigned char *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

static int64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (int64_t)v;
}

static void append_record(const char *times, int64_t end, int64_t ns)
{
	unsigned char rec[RECORD_SIZE];
	int fd = open(times, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return;
	put64(rec, end);
	put64(rec + 8, ns);
	if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec)) {
		/* a lost record: those bytes take the next record's time */
	}
	close(fd);
}

/* The end offset of the last whole record of `times`, or 0. */
static int64_t last_end(const char *times)
{
	unsigned char rec[RECORD_SIZE];
	int fd = open(times, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	int64_t end = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size >= RECORD_SIZE &&
	    pread(fd, rec, sizeof(rec), st.st_size / RECORD_SIZE * RECORD_SIZE - RECORD_SIZE) ==
		(ssize_t)sizeof(rec))
		end = get64(rec);
	close(fd);
	return end;
}

/* Records the growth of s's log, at `ns` (0: now): 1 when it grew. */
static int stamp(struct stamped *s, int64_t ns)
{
	struct stat st;

	if (stat(s->log, &st) < 0)
		return 0;
	if (st.st_size < s->size) /* truncated: start over */
		s->size = 0;
	if (st.st_size == s->size)
		return 0;
	s->size = st.st_size;
	append_record(s->times, s->size, ns ? ns : events_now_ns());
	return 1;
}

/* sp->v is sorted by watch descriptor: the index of wd, or of where it
 * goes (events are looked up per event: no scan of every instance). */
static size_t find(const struct stamper *sp, int wd)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->v[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void drop(struct stamper *sp, size_t i)
{
	free(sp->v[i].log);
	free(sp->v[i].times);
	memmove(&sp->v[i], &sp->v[i + 1], (sp->n - i - 1) * sizeof(*sp->v));
	sp->n--;
}

static void *stamper_main(void *arg)
{
	struct stamper *sp = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd pfd[2] = { { sp->fd, POLLIN, 0 }, { sp->stop_pipe[0], POLLIN, 0 } };
		ssize_t n;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		while ((n = read(sp->fd, buf, sizeof(buf))) > 0) {
			int grew = 0;

			pthread_mutex_lock(&sp->lock);
			for (char *p = buf; p < buf + n;) {
				const struct inotify_event *ev = (const struct inotify_event *)p;

				size_t i = find(sp, ev->wd);

				p += sizeof(*ev) + ev->len;
				if (i == sp->n || sp->v[i].wd != ev->wd)
					continue;
				if (ev->mask & IN_MODIFY)
					grew |= stamp(&sp->v[i], 0);
				if (ev->mask & IN_IGNORED)
					drop(sp, i);
			}
			pthread_mutex_unlock(&sp->lock);
			if (grew) /* after the unlock: log_times_watch holds d->lock */
				unikd_data_ready(sp->d);
		}
	}
	return NULL;
}

int log_times_start(struct unikd *d, struct unik_err *err)
{
	struct stamper *sp = xcalloc(1, sizeof(*sp));

	sp->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp->fd < 0 || pipe2(sp->stop_pipe, O_CLOEXEC) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot watch the console logs: %s",
			     strerror(errno));
		if (sp->fd >= 0)
			close(sp->fd);
		free(sp);
		return -1;
	}
	pthread_mutex_init(&sp->lock, NULL);
	sp->d = d;
	if (pthread_create(&sp->thread, NULL, stamper_main, sp)) {
		close(sp->fd);
		close(sp->stop_pipe[0]);
		close(sp->stop_pipe[1]);
		free(sp);
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot start the log stamper");
	}
	the_stamper = sp;
	return 0;
}

void log_times_stop(struct unikd *d)
{
	struct stamper *sp = the_stamper;

	if (!sp)
		return;
	if (write(sp->stop_pipe[1], "x", 1) < 0) {
		/* the thread then never wakes: it is not joined below */
	} else {
		pthread_join(sp->thread, NULL);
	}
	the_stamper = NULL;
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->v[i].log);
		free(sp->v[i].times);
	}
	free(sp->v);
	close(sp->fd);
	close(sp->stop_pipe[0]);
	close(sp->stop_pipe[1]);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

char *log_times_path(const struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s/console.times", id);
}

char *log_times_err_path(const struct unikd *d, const char *id)
{
	return unikd_path(d, "instances/%s/console.err.times", id);
}

/* Starts stamping `log` (taken) into `times` (taken). */
static void watch_one(struct stamper *sp, const char *id, char *log, char *times)
{
	struct stat lst;
	int wd;

	if (lstat(log, &lst) < 0 || !S_ISREG(lst.st_mode)) {
		free(log); /* no log yet (a run being checked): its boot comes back here */
		free(times);
		return;
	}
	pthread_mutex_lock(&sp->lock);
	wd = inotify_add_watch(sp->fd, log, IN_MODIFY);
	if (wd < 0) {
		unikd_log("instance %s: no times for its log lines: %s", id, strerror(errno));
	} else {
		size_t i = find(sp, wd);

		if (i == sp->n || sp->v[i].wd != wd) {
			struct stat st;
			struct stamped *s;

			if (sp->n == sp->cap) {
				sp->cap = sp->cap ? 2 * sp->cap : 16;
				sp->v = xrealloc(sp->v, sp->cap * sizeof(*sp->v));
			}
			memmove(&sp->v[i + 1], &sp->v[i], (sp->n - i) * sizeof(*sp->v));
			sp->n++;
			s = &sp->v[i];
			s->wd = wd;
			s->log = log;
			log = NULL;
			s->times = times;
			times = NULL;
			s->size = last_end(s->times);
			/* bytes nobody stamped (written while no daemon watched) */
			if (stat(s->log, &st) == 0)
				stamp(s,
				      (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
		}
	}
	pthread_mutex_unlock(&sp->lock);
	free(log);
	free(times);
}

void log_times_watch(struct unikd *d, const char *id)
{
	struct stamper *sp = the_stamper;

	if (!sp)
		return;
	watch_one(sp, id, instance_log_path(d, id), log_times_path(d, id));
	watch_one(sp, id, instance_err_path(d, id), log_times_err_path(d, id));
}

struct log_times_reader {
	int fd;
	int64_t *ends, *ns;
	size_t n, cap;
};

struct log_times_reader *log_times_open(const char *path)
{
	struct log_times_reader *r = xcalloc(1, sizeof(*r));

	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return r;
}

/* Reads the records appended since the last call. */
static void load_more(struct log_times_reader *r)
{
	unsigned char buf[RECORD_SIZE * 256];
	ssize_t got;

	if (r->fd < 0)
		return;
	while ((got = pread(r->fd, buf, sizeof(buf), (off_t)(r->n * RECORD_SIZE))) >= RECORD_SIZE) {
		for (ssize_t k = 0; k + RECORD_SIZE <= got; k += RECORD_SIZE) {
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 256;
				r->ends = xrealloc(r->ends, r->cap * sizeof(*r->ends));
				r->ns = xrealloc(r->ns, r->cap * sizeof(*r->ns));
			}
			r->ends[r->n] = get64(buf + k);
			r->ns[r->n++] = get64(buf + k + 8);
		}
		if (got < (ssize_t)sizeof(buf))
			break;
	}
}

int64_t log_times_at(struct log_times_reader *r, int64_t off)
{
	size_t lo = 0, hi;

	if (!r->n || off >= r->ends[r->n - 1])
		load_more(r);
	hi = r->n;
	while (lo < hi) { /* the first record whose end is past off */
		size_t mid = lo + (hi - lo) / 2;

		if (r->ends[mid] > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < r->n ? r->ns[lo] : events_now_ns();
}

void log_times_close(struct log_times_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->ends);
	free(r->ns);
	free(r);
}
