/* spawn.c - the VM process of an instance (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_FAILED 127

/* Closes every descriptor from 3 up but a and b (async-signal-safe). */
static void close_fds_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

/* In the child, between fork and exec: only async-signal-safe calls (the
 * daemon has threads).  go_fd is read until the parent says go; err_fd gets
 * errno if exec fails. */
static void __attribute__((noreturn)) child(const struct spawn_opts *o, int go_fd, int err_fd)
{
	sigset_t none;
	char go;
	ssize_t n;
	int fd, e;

	/* A daemon blocks or ignores signals for itself; exec keeps both. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	setsid();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		goto fail;
	fd = open(o->out_path,
		  O_WRONLY | O_CREAT | O_CLOEXEC | (o->out_append ? O_APPEND : O_TRUNC), 0644);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		goto fail;
	if (o->err_path)
		fd = open(o->err_path,
			  O_WRONLY | O_CREAT | O_CLOEXEC | (o->out_append ? O_APPEND : O_TRUNC),
			  0644);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		goto fail;
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	/* Nothing of the daemon's: close every other descriptor now, not at
	 * exec, so that a sibling forked by another thread meanwhile cannot
	 * keep this child's pipes open (nor this child the sibling's) while it
	 * waits for its go. */
	close_fds_but(go_fd, err_fd);
	do
		n = read(go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(CHILD_FAILED); /* the daemon died or changed its mind */
	execv(o->argv[0], o->argv);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(CHILD_FAILED);
	_exit(CHILD_FAILED);
}

int provider_spawn(const struct unik_run_spec *spec, const struct spawn_opts *o, pid_t *pid,
		   struct unik_err *err)
{
	int go[2], fail[2], child_errno = 0;
	ssize_t n;
	pid_t p;

	if (pipe2(go, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
	if (pipe2(fail, O_CLOEXEC) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	p = fork();
	if (p == 0) {
		close(go[1]); /* else our own copy would keep the pipe open */
		close(fail[0]);
		child(o, go[0], fail[1]);
	}
	close(go[0]);
	close(fail[1]);
	if (p < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
		close(go[1]);
		close(fail[0]);
		return -1;
	}
	if (spec->spawned && spec->spawned(spec->spawned_ctx, p, err)) {
		close(go[1]); /* the child reads EOF and exits */
		close(fail[0]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		return -1;
	}
	/* a child that already failed gets EPIPE here; its errno comes next */
	n = write(go[1], "g", 1);
	close(go[1]);
	do
		n = read(fail[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(fail[0]);
	if (n == sizeof(child_errno)) {
		waitpid(p, NULL, 0);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run %s for instance %s: %s",
				    o->argv[0], spec->name ? spec->name : "?",
				    strerror(child_errno));
	}
	*pid = p;
	return 0;
}
