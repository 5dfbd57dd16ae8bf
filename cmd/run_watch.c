/* run_watch.c - unik run --watch DIR: build, run, and on every saved change
 * in DIR rebuild and replace the instance, with its console attached.
 *
 * inotify watches every folder under DIR (a top-level .git left out, as the
 * build leaves it out; new folders are added as they appear).  Editors'
 * temporary files do not count.  A change starts a rebuild once the folder
 * has been quiet for QUIET_MS.  The console of the current instance is
 * streamed by a thread of its own, so the main thread only polls inotify
 * and the signal flag.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "../lib/clock.h"
#include "../lib/xalloc.h"
#include "run.h"

#define QUIET_MS 150 /* a burst of writes (save, format-on-save) is one change */
#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_ONLYDIR)

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	if (interrupts < 2)
		interrupts++;
}

struct watched {
	int wd;
	char *path;
};

struct watcher {
	int fd;
	struct watched *v;
	size_t n, cap;
};

/* The console of one instance, streamed by its own thread. */
struct console {
	struct unik_client cl; /* shallow copy with its own cancel hook */
	char *id;
	pthread_t thread;
	atomic_int stop; /* asks the stream to end */
	atomic_int done; /* the stream ended (the instance exited, or stop) */
};

/* 1 for the files editors write beside the real one while saving. */
static int ignored_name(const char *name)
{
	size_t n = strlen(name);
	static const char *const suffixes[] = { "~", ".swp", ".swx", ".swo", ".tmp", ".part" };

	if (!n || !strcmp(name, "4913") || !strncmp(name, ".#", 2) ||
	    (name[0] == '#' && name[n - 1] == '#') || !strncmp(name, ".goutputstream", 14))
		return 1;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);

		if (n >= k && !strcmp(name + n - k, suffixes[i]))
			return 1;
	}
	return 0;
}

/* Watches `path` and every folder below it. */
static void watch_tree(struct watcher *w, const char *path, int top)
{
	struct dirent *de;
	DIR *d;
	int wd = inotify_add_watch(w->fd, path, WATCH_MASK);

	if (wd < 0) {
		if (errno == ENOSPC)
			fprintf(stderr,
				"unik: cannot watch %s: too many inotify watches (raise "
				"fs.inotify.max_user_watches)\n",
				path);
		return;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n].wd = wd;
	w->v[w->n++].path = xstrdup(path);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (top && !strcmp(de->d_name, ".git")))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			watch_tree(w, sub, 0);
		free(sub);
	}
	closedir(d);
}

static const char *watched_path(const struct watcher *w, int wd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].wd == wd)
			return w->v[i].path;
	return NULL;
}

/* Reads the pending events; 1 when one of them is a change that counts. */
static int read_changes(struct watcher *w, const char *top)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *name = ev->len ? ev->name : "";
			const char *dir = watched_path(w, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				changed = 1;
				continue;
			}
			if (!dir || (ev->len && ignored_name(name)))
				continue;
			if (ev->len && !strcmp(dir, top) && !strcmp(name, ".git"))
				continue;
			if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
				char *sub = xasprintf("%s/%s", dir, name);

				watch_tree(w, sub, 0);
				free(sub);
			}
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF))
				continue;
			changed = 1;
		}
	}
	return changed;
}

static int console_cancel(void *arg)
{
	struct console *c = arg;

	return atomic_load(&c->stop);
}

static void *console_main(void *arg)
{
	struct console *c = arg;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;

	cmd_ref_path(&path, "instances", c->id, "/logs?follow=1");
	if (client_stream(&c->cl, strbuf_str(&path), cmd_write_stdout, NULL, &err) &&
	    !atomic_load(&c->stop))
		cmd_error(&err);
	strbuf_release(&path);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Creates and starts the instance of rq, with its console streamed; NULL
 * (error printed) when the daemon refused it. */
static struct console *start_instance(struct cmd_ctx *ctx, const struct unik_run_request *rq)
{
	struct unik_err err = UNIK_ERR_INIT;
	json_t *body = unik_run_request_to_json(rq), *res = NULL;
	struct unik_instance in;
	struct console *c = NULL;
	sigset_t block, old;

	unik_instance_init(&in);
	if (client_json(ctx->client, "POST", "/v1/instances", body, &res, &err) ||
	    unik_instance_from_json(res, &in, &err)) {
		cmd_error(&err);
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->cl = *ctx->client;
	c->cl.cancel = console_cancel;
	c->cl.cancel_arg = c;
	c->id = xstrdup(in.id);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old); /* signals stay with the main thread */
	if (pthread_create(&c->thread, NULL, console_main, c)) {
		fprintf(stderr, "unik: no thread for the console of %s\n", in.id);
		atomic_store(&c->done, 1);
		c->thread = pthread_self();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
	json_decref(body);
	json_decref(res);
	unik_instance_release(&in);
	return c;
}

/* Stops the instance gracefully (the daemon's stop: TERM, then KILL after
 * its timeout), ends its console and removes it when `remove`. */
static void end_instance(struct cmd_ctx *ctx, struct console *c, int remove)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;

	if (!c)
		return;
	cmd_ref_path(&path, "instances", c->id, "/stop");
	if (!atomic_load(&c->done) &&
	    client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err) &&
	    err.code != UNIK_E_CONFLICT)
		cmd_error(&err);
	/* the console ends with the instance; a stop that failed ends it here */
	for (int i = 0; i < 100 && !atomic_load(&c->done); i++)
		clock_sleep_ms(50);
	atomic_store(&c->stop, 1);
	if (!pthread_equal(c->thread, pthread_self()))
		pthread_join(c->thread, NULL);
	if (remove)
		run_remove_instance(ctx, c->id);
	strbuf_release(&path);
	free(c->id);
	free(c);
}

/* Says how the instance ended by itself, once. */
static void report_exit(struct cmd_ctx *ctx, const struct console *c)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	json_t *res = NULL, *code;
	char id[16];

	cmd_ref_path(&path, "instances", c->id, "/wait");
	if (client_json(ctx->client, "POST", strbuf_str(&path), NULL, &res, &err) == 0) {
		code = json_object_get(res, "exit_code");
		if (json_is_integer(code))
			fprintf(stderr,
				"unik: %s exited with status %d; waiting for changes (Ctrl-C to "
				"quit)\n",
				cmd_short_id(c->id, id), (int)(json_integer_value(code) & 0xff));
		else
			fprintf(stderr, "unik: %s ended; waiting for changes (Ctrl-C to quit)\n",
				cmd_short_id(c->id, id));
	} else {
		cmd_error(&err);
	}
	json_decref(res);
	strbuf_release(&path);
}

/* One rebuild: 1 when a new image was built, 0 when the build failed or
 * gave the same image, RUN_INTERRUPTED after Ctrl-C during it. */
static int rebuild(struct cmd_ctx *ctx, const char *dir, struct unik_run_request *rq,
		   const struct console *cur, long long *ms)
{
	struct cmd_build_req br = { dir, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL };
	long long t0 = clock_now_ms();
	char *image = NULL, id[16];
	int status;

	fprintf(stderr, "unik: %s changed; rebuilding\n", dir);
	status = cmd_build_dir(ctx, &br, &image, NULL);
	*ms = clock_now_ms() - t0;
	if (status == RUN_INTERRUPTED)
		return status;
	if (status) {
		if (cur && !atomic_load(&cur->done))
			fprintf(stderr, "unik: the build failed; %s keeps running\n",
				cmd_short_id(cur->id, id));
		else
			fprintf(stderr, "unik: the build failed; waiting for changes\n");
		return 0;
	}
	if (cur && !atomic_load(&cur->done) && rq->image && !strcmp(rq->image, image)) {
		fprintf(stderr, "unik: the same image as before (%lld ms); %s keeps running\n", *ms,
			cmd_short_id(cur->id, id));
		free(image);
		return 0;
	}
	free(rq->image);
	rq->image = image;
	return 1;
}

static void watcher_release(struct watcher *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
	if (w->fd >= 0)
		close(w->fd);
}

int run_watch(struct cmd_ctx *ctx, const struct run_opts *o, const char *dir,
	      struct unik_run_request *rq)
{
	struct watcher w = { inotify_init1(IN_NONBLOCK | IN_CLOEXEC), NULL, 0, 0 };
	struct sigaction sa, old_int, old_term;
	struct console *cur = NULL;
	long long changed_at = -1, ms;
	int status = 0, reported = 0;
	char top[PATH_MAX];

	if (w.fd < 0 || !realpath(dir, top)) {
		fprintf(stderr, "unik: cannot watch %s: %s\n", dir, strerror(errno));
		watcher_release(&w);
		return RUN_FAILED;
	}
	watch_tree(&w, top, 1);
	status = run_build_folder(ctx, dir, rq);
	if (status == RUN_INTERRUPTED) {
		watcher_release(&w);
		return status;
	}
	if (status == 0)
		cur = start_instance(ctx, rq);
	else
		fprintf(stderr, "unik: waiting for changes in %s (Ctrl-C to quit)\n", dir);
	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	status = 0;
	while (!interrupts) {
		struct pollfd pfd = { w.fd, POLLIN, 0 };
		int n = poll(&pfd, 1, 100);

		if (n > 0 && read_changes(&w, top))
			changed_at = clock_now_ms();
		if (cur && atomic_load(&cur->done) && !reported) {
			report_exit(ctx, cur);
			reported = 1;
		}
		if (changed_at < 0 || clock_now_ms() - changed_at < QUIET_MS || interrupts)
			continue;
		changed_at = -1;
		sigaction(SIGINT, &old_int, NULL); /* the build has its own Ctrl-C */
		sigaction(SIGTERM, &old_term, NULL);
		n = rebuild(ctx, dir, rq, cur, &ms);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (n == RUN_INTERRUPTED) {
			interrupts = 1;
			break;
		}
		if (n != 1)
			continue;
		fprintf(stderr, "unik: rebuilt in %lld ms; restarting\n", ms);
		end_instance(ctx, cur, 1);
		cur = start_instance(ctx, rq);
		reported = 0;
	}
	if (cur) {
		char id[16];

		if (!atomic_load(&cur->done))
			fprintf(stderr, "unik: stopping %s\n", cmd_short_id(cur->id, id));
		end_instance(ctx, cur, o->rm);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	watcher_release(&w);
	return interrupts ? RUN_INTERRUPTED : status;
}
