/* supervisor.c - pidfd-based process supervision. */
#include "supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/procstat.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

struct watch {
	char *id;
	pid_t pid;
	int pidfd;
	int is_child;
	struct watch *next;
};

struct supervisor {
	pthread_t thread;
	pthread_mutex_t lock;
	int epfd;
	int wakefd;
	int quit;
	struct watch *watches;
	/* exits found at watch time (process already gone), delivered by the thread */
	struct watch *gone;
	supervisor_exit_fn fn;
	void *ctx;
};

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void wake(struct supervisor *sup)
{
	uint64_t one = 1;

	if (write(sup->wakefd, &one, sizeof(one)) < 0)
		return;
}

static void deliver(struct supervisor *sup, struct watch *w)
{
	int status = -1;

	if (w->is_child) {
		pid_t r;

		do
			r = waitpid(w->pid, &status, 0);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			status = -1;
	}
	sup->fn(sup->ctx, w->id, w->pid, status);
	if (w->pidfd >= 0)
		close(w->pidfd);
	free(w->id);
	free(w);
}

static void *run(void *arg)
{
	struct supervisor *sup = arg;
	struct epoll_event evs[32];

	for (;;) {
		int n = epoll_wait(sup->epfd, evs, 32, -1);
		struct watch *ready = NULL;

		if (n < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&sup->lock);
		if (sup->quit) {
			pthread_mutex_unlock(&sup->lock);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct watch **pp, *w = evs[i].data.ptr;

			if (!w) {
				uint64_t v;

				if (read(sup->wakefd, &v, sizeof(v)) < 0)
					continue;
				continue;
			}
			for (pp = &sup->watches; *pp; pp = &(*pp)->next)
				if (*pp == w) {
					*pp = w->next;
					break;
				}
			epoll_ctl(sup->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
			w->next = ready;
			ready = w;
		}
		while (sup->gone) {
			struct watch *w = sup->gone;

			sup->gone = w->next;
			w->next = ready;
			ready = w;
		}
		pthread_mutex_unlock(&sup->lock);
		while (ready) {
			struct watch *w = ready;

			ready = w->next;
			deliver(sup, w);
		}
	}
	return NULL;
}

int supervisor_start(struct supervisor **out, supervisor_exit_fn fn, void *ctx,
		     struct unik_err *err)
{
	struct supervisor *sup = xcalloc(1, sizeof(*sup));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	sup->fn = fn;
	sup->ctx = ctx;
	pthread_mutex_init(&sup->lock, NULL);
	sup->epfd = epoll_create1(EPOLL_CLOEXEC);
	sup->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sup->epfd < 0 || sup->wakefd < 0 ||
	    epoll_ctl(sup->epfd, EPOLL_CTL_ADD, sup->wakefd, &ev) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "supervisor: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&sup->thread, NULL, run, sup)) {
		unik_err_set(err, UNIK_E_INTERNAL, "supervisor: cannot start its thread");
		goto fail;
	}
	*out = sup;
	return 0;
fail:
	if (sup->epfd >= 0)
		close(sup->epfd);
	if (sup->wakefd >= 0)
		close(sup->wakefd);
	free(sup);
	return -1;
}

static void free_list(struct watch *w)
{
	while (w) {
		struct watch *next = w->next;

		if (w->pidfd >= 0)
			close(w->pidfd);
		free(w->id);
		free(w);
		w = next;
	}
}

void supervisor_stop(struct supervisor *sup)
{
	if (!sup)
		return;
	pthread_mutex_lock(&sup->lock);
	sup->quit = 1;
	pthread_mutex_unlock(&sup->lock);
	wake(sup);
	pthread_join(sup->thread, NULL);
	free_list(sup->watches);
	free_list(sup->gone);
	close(sup->epfd);
	close(sup->wakefd);
	pthread_mutex_destroy(&sup->lock);
	free(sup);
}

int supervisor_watch(struct supervisor *sup, const char *id, pid_t pid, int is_child,
		     struct unik_err *err)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	w->id = xstrdup(id);
	w->pid = pid;
	w->is_child = is_child;
	w->pidfd = pidfd_open(pid);
	pthread_mutex_lock(&sup->lock);
	if (w->pidfd < 0) {
		if (errno != ESRCH) {
			pthread_mutex_unlock(&sup->lock);
			free(w->id);
			free(w);
			return unik_err_set(err, UNIK_E_INTERNAL, "pidfd_open(%d): %s", (int)pid,
					    strerror(errno));
		}
		w->next = sup->gone;
		sup->gone = w;
	} else {
		ev.data.ptr = w;
		w->next = sup->watches;
		sup->watches = w;
		epoll_ctl(sup->epfd, EPOLL_CTL_ADD, w->pidfd, &ev);
	}
	pthread_mutex_unlock(&sup->lock);
	wake(sup);
	return 0;
}

/* 1 if one of the open files of `pid` has `id` in its path (its console log
 * lives in the instance's folder).  Needed for monitors that unmap their own
 * command line, as unik-spt does. */
static int fds_mention(pid_t pid, const char *id)
{
	char dir[64], path[320], target[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strstr(target, id) != NULL;
	}
	closedir(d);
	return found;
}

/* 1 if `pid` leads its own session (VM processes do; a shell's `tail -f` of
 * a console log does not). */
static int leads_session(pid_t pid)
{
	struct proc_stat ps;

	return proc_stat_read(pid, &ps) == 0 && ps.state != 'Z' && ps.session == (int)pid;
}

/* 1 if fd `fd` of `pid` is a file whose path names `id`. */
static int fd_mentions(pid_t pid, int fd, const char *id)
{
	char path[64], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = 0;
	return strstr(target, id) != NULL;
}

static int cmdline_mentions(pid_t pid, const char *id)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd, found;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			strbuf_addch(&sb, buf[i] ? buf[i] : ' ');
	close(fd);
	found = sb.len && strstr(strbuf_str(&sb), id) != NULL;
	strbuf_release(&sb);
	return found;
}

int supervisor_pid_is_vm(pid_t pid, const char *id)
{
	return pid > 0 && (cmdline_mentions(pid, id) || fds_mention(pid, id));
}

static int carries(pid_t pid, const char *id)
{
	return leads_session(pid) &&
	       (cmdline_mentions(pid, id) || fd_mentions(pid, 1, id) || fd_mentions(pid, 2, id));
}

/* SIGKILLs `pid` if it still carries `id`; 1 if it ended. */
static int end_one(pid_t pid, const char *id)
{
	struct pollfd p;
	int pidfd = pidfd_open(pid), r;

	if (pidfd < 0)
		return 0;
	/* with the pidfd held the pid cannot be reused: check again */
	if (!carries(pid, id) || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0) {
		close(pidfd);
		return 0;
	}
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	do
		r = poll(&p, 1, 5000);
	while (r < 0 && errno == EINTR);
	close(pidfd);
	waitpid(pid, NULL, WNOHANG); /* reaped if it was our child */
	return r > 0;
}

int supervisor_end_vms(const char *id, pid_t *first)
{
	DIR *proc = opendir("/proc");
	pid_t self = getpid();
	struct dirent *e;
	int ended = 0;

	if (first)
		*first = 0;
	if (!proc || !id || !*id) {
		if (proc)
			closedir(proc);
		return 0;
	}
	while ((e = readdir(proc))) {
		char *end;
		long v;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0 || v == self || !carries((pid_t)v, id))
			continue;
		if (end_one((pid_t)v, id)) {
			if (first && !*first)
				*first = (pid_t)v;
			ended++;
		}
	}
	closedir(proc);
	return ended;
}
