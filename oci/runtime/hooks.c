/* hooks.c - the bundle's hooks (runtime spec, "POSIX-platform Hooks"): each
 * runs with its path, args and env, the container's state JSON on its
 * stdin, and is killed after its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

static const char *const kind_names[] = { "prestart", "createRuntime", "poststart", "poststop" };

static int run_one(const struct rt_hook *h, const char *state_json, struct unik_err *err)
{
	static char *const no_env[] = { NULL };
	int pfd[2], status = 0;
	pid_t pid;
	size_t len = strlen(state_json), off = 0;
	struct timespec t0, t;
	char *argv0[] = { h->path, NULL };

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(pfd[0], 0);
		execve(h->path, h->args.n ? h->args.v : argv0, h->env.n ? h->env.v : no_env);
		_exit(127);
	}
	close(pfd[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t n = write(pfd[1], state_json + off, len - off);

		if (n <= 0)
			break; /* the hook need not read it */
		off += (size_t)n;
	}
	close(pfd[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return unik_err_set(err, UNIK_E_INTERNAL, "hook %s: wait: %s", h->path,
					    strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (h->timeout_s && t.tv_sec - t0.tv_sec >= h->timeout_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return unik_err_set(err, UNIK_E_INTERNAL, "hook %s: timed out after %d s",
					    h->path, h->timeout_s);
		}
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return unik_err_set(err, UNIK_E_INTERNAL, "hook %s exited with status %d", h->path,
				    WEXITSTATUS(status));
	return unik_err_set(err, UNIK_E_INTERNAL, "hook %s was killed by signal %d", h->path,
			    WTERMSIG(status));
}

int rt_hooks_run(const struct rt_bundle *b, enum rt_hook_kind kind, const char *state_json,
		 struct unik_err *err)
{
	for (size_t i = 0; i < b->n_hooks[kind]; i++)
		if (run_one(&b->hooks[kind][i], state_json, err))
			return unik_err_prefix(err, "%s hook %zu", kind_names[kind], i);
	return 0;
}
