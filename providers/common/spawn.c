/* spawn.c - the VM process of an instance (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_FAILED 127
#define CHILD_STACK (64 * 1024)

/* Under AddressSanitizer the child forks (its interceptors keep per-thread
 * state that a child sharing the daemon's memory would corrupt). */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_FORK 1
#endif
#endif

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

/* In the child, between clone and exec: only async-signal-safe calls (the
 * daemon has threads), and nothing that writes the daemon's memory (the
 * child shares it: see provider_spawn).  go_fd is read until the parent
 * says go; err_fd gets errno if exec fails.  The parent blocked every
 * signal around the clone: the handlers are reset first, then unblocked. */
static void __attribute__((noreturn)) child(const struct spawn_opts *o, int go_fd, int err_fd)
{
	sigset_t none;
	char go;
	ssize_t n;
	int fd, e;

	/* A daemon blocks or ignores signals for itself; exec keeps both. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	fd = o->in_fd > 0 ? o->in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
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

struct child_args {
	const struct spawn_opts *o;
	int go[2], fail[2];
};

static int child_main(void *arg)
{
	struct child_args *a = arg;

	/* our copies of the parent's ends: the descriptor table is the child's own */
	close(a->go[1]); /* else our own copy would keep the pipe open */
	close(a->fail[0]);
	child(a->o, a->go[0], a->fail[1]);
}

/* Makes the child.  Without SPAWN_FORK it shares the daemon's memory
 * (CLONE_VM, on a stack of its own) instead of copying it: a fork copies
 * the page tables of a large threaded process and then takes a
 * copy-on-write fault for every page the daemon writes next, and the
 * child's exec tears the copy down again, which is most of what starting an
 * instance costs the daemon.  Unlike vfork, the calling thread goes on (it
 * must: the child waits for its go), so the stack stays mapped until the
 * child exec'd or exited (the fail pipe reached EOF, or waitpid).  The
 * child sees this thread's errno as its own; it writes it only on a path
 * that fails and exits. */
static pid_t clone_child(struct child_args *a, void **stack)
{
#ifdef SPAWN_FORK
	pid_t p;

	*stack = NULL;
	p = fork();
	if (p == 0)
		_exit(child_main(a));
	return p;
#else
	sigset_t all, old;
	pid_t p;
	int e;

	*stack =
	    mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*stack == MAP_FAILED) {
		*stack = NULL;
		return -1;
	}
	/* no daemon handler may run on the child's side before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p = clone(child_main, (char *)*stack + CHILD_STACK, CLONE_VM | SIGCHLD, a);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p < 0) {
		munmap(*stack, CHILD_STACK);
		*stack = NULL;
	}
	errno = e;
	return p;
#endif
}

static void free_stack(void *stack)
{
	if (stack)
		munmap(stack, CHILD_STACK);
}

int provider_spawn(const struct unik_run_spec *spec, const struct spawn_opts *o, pid_t *pid,
		   struct unik_err *err)
{
	struct child_args a = { .o = o };
	int *go = a.go, *fail = a.fail, child_errno = 0;
	void *stack;
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
	p = clone_child(&a, &stack);
	close(go[0]);
	close(fail[1]);
	if (p < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "clone: %s", strerror(errno));
		close(go[1]);
		close(fail[0]);
		return -1;
	}
	if (spec->spawned && spec->spawned(spec->spawned_ctx, p, err)) {
		close(go[1]); /* the child reads EOF and exits */
		close(fail[0]);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		free_stack(stack);
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
		free_stack(stack);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run %s for instance %s: %s",
				    o->argv[0], spec->name ? spec->name : "?",
				    strerror(child_errno));
	}
	/* EOF: the child exec'd (or died) and no longer runs on the stack */
	free_stack(stack);
	*pid = p;
	return 0;
}
