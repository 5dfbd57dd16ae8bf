/* monitor_process.c - one monitor process per instance (see
 * monitor_process.h); used by providers/hvt and providers/spt. */
#include "monitor_process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/bootargs.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

#define STATUS_FILE "exit-status"
#define MONITOR_EXIT_FAILURE 255
#define MIN_MEMORY_MB 2

char *monproc_binary(const struct monproc *m, const struct unik_config *cfg, struct unik_err *err)
{
	char key[64], self[PATH_MAX];
	const char *conf;
	ssize_t n;
	char *path;

	snprintf(key, sizeof(key), "%s.monitor", m->name);
	conf = cfg ? unik_config_get(cfg, key, NULL) : NULL;
	if (conf) {
		if (access(conf, X_OK) == 0)
			return xstrdup(conf);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s (config %s) is not executable", conf,
			     key);
		return NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			path = xasprintf("%s/%s", self, m->binary);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	path = run_which(m->binary);
	if (path && access(path, X_OK) == 0)
		return path;
	free(path);
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "%s is not installed next to the daemon nor in PATH (run 'make', or set %s)",
		     m->binary, key);
	return NULL;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child(const char *log_path, char *const *argv, int err_fd)
{
	sigset_t none;
	int fd, e;

	/* A daemon blocks or ignores signals for itself; exec keeps both. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
		execv(argv[0], argv);
	}
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int monproc_start(const struct monproc *m, const struct unik_run_spec *spec, struct unik_vm *vm,
		  struct unik_err *err)
{
	struct strbuf cmdline = STRBUF_INIT;
	char *bin, *status_path, mem[16], *argv[24];
	const char *user;
	char key[64];
	int pipefd[2], child_errno = 0, argc = 0, rc = -1;
	pid_t pid;
	ssize_t n;

	if (strcmp(spec->format, "unik-elf"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "provider %s cannot boot images of format %s (only unik-elf)",
				    m->name, spec->format);
	bin = monproc_binary(m, spec->cfg, err);
	if (!bin)
		return -1;
	status_path = xasprintf("%s/%s", spec->dir, STATUS_FILE);
	unlink(status_path);
	bootargs_append(&cmdline, spec->args, spec->env);
	if (spec->net && spec->net->mode == UNIK_NET_TAP && spec->net->bootargs)
		strbuf_adds(&cmdline, spec->net->bootargs);
	snprintf(mem, sizeof(mem), "%d",
		 spec->memory_mb < MIN_MEMORY_MB ? MIN_MEMORY_MB : spec->memory_mb);
	snprintf(key, sizeof(key), "%s.user", m->name);
	user = spec->cfg ? unik_config_get(spec->cfg, key, NULL) : NULL;
	argv[argc++] = bin;
	argv[argc++] = (char *)"--mem";
	argv[argc++] = mem;
	argv[argc++] = (char *)"--status-file";
	argv[argc++] = status_path; /* names spec->dir: the daemon re-adopts by it */
	if (user && *user) {
		argv[argc++] = (char *)"--user";
		argv[argc++] = (char *)user;
	}
	if (spec->net && spec->net->mode == UNIK_NET_TAP) {
		argv[argc++] = (char *)"--net-tap";
		argv[argc++] = (char *)spec->net->tap;
		argv[argc++] = (char *)"--net-mac";
		argv[argc++] = (char *)spec->net->mac;
	}
	argv[argc++] = (char *)spec->kernel;
	argv[argc++] = (char *)"--";
	argv[argc++] = (char *)strbuf_str(&cmdline);
	argv[argc] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		goto cleanup;
	}
	if (pid == 0)
		child(spec->log_path, argv, pipefd[1]);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run %s for instance %s: %s", bin,
			     spec->name, strerror(child_errno));
		goto cleanup;
	}
	vm->pid = pid;
	snprintf(vm->accel_used, sizeof(vm->accel_used), "%s", m->accel);
	vm->note[0] = 0;
	rc = 0;
cleanup:
	strbuf_release(&cmdline);
	free(status_path);
	free(bin);
	return rc;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* 1 when the process ended within ms milliseconds, 0 if not, -1 on error. */
static int wait_gone(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : r > 0;
}

int monproc_stop(const struct monproc *m, const struct unik_run_spec *spec, pid_t pid,
		 int timeout_s, struct unik_err *err)
{
	int pidfd = pidfd_of(pid), gone;

	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0; /* already gone */
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: pidfd of %d: %s",
				    spec->name, (int)pid, strerror(errno));
	}
	/* The monitor hands SIGTERM to the guest as a stop request: the unik
	 * runtime raises SIGTERM in its program (a handler may run; without
	 * one it exits 143).  SIGKILL after the timeout. */
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH) {
		close(pidfd);
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: SIGTERM: %s", spec->name,
				    strerror(errno));
	}
	gone = wait_gone(pidfd, timeout_s > 0 ? timeout_s * 1000 : 0);
	if (gone != 1) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		gone = wait_gone(pidfd, 5000);
	}
	close(pidfd);
	if (gone != 1)
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: %s monitor %d did not end",
				    spec->name, m->binary, (int)pid);
	return 0;
}

/* The status the monitor wrote, or -1. */
static int read_status_file(const struct unik_run_spec *spec)
{
	char *path = xasprintf("%s/%s", spec->dir, STATUS_FILE);
	struct strbuf sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;
	int status = -1;

	if (fs_read_file(path, &sb, &ignored) == 0 && sb.len) {
		char *end;
		long v = strtol(sb.buf, &end, 10);

		if (end != sb.buf && v >= 0 && v <= 255)
			status = (int)v;
	}
	strbuf_release(&sb);
	free(path);
	return status;
}

/* The last line of the log the monitor wrote about itself ("unik-hvt: ..."). */
static void monitor_reason(const struct monproc *m, const struct unik_run_spec *spec, char *out,
			   size_t size)
{
	char tail[4096], prefix[32];
	const char *best = NULL;
	int fd = open(spec->log_path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;

	out[0] = 0;
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, tail, sizeof(tail) - 1,
		  end > (off_t)sizeof(tail) - 1 ? end - (off_t)(sizeof(tail) - 1) : 0);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = 0;
	snprintf(prefix, sizeof(prefix), "%s: ", m->binary);
	for (char *p = tail; (p = strstr(p, prefix)); p += strlen(prefix))
		if (p == tail || p[-1] == '\n')
			best = p;
	if (best)
		snprintf(out, size, "%.*s", (int)strcspn(best, "\n"), best);
}

int monproc_collect(const struct monproc *m, const struct unik_run_spec *spec, int wait_status,
		    struct unik_exit *out, struct unik_err *err)
{
	int file_status = read_status_file(spec);
	char reason[200];

	out->exit_code = -1;
	if (wait_status != -1 && WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);

		snprintf(out->message, sizeof(out->message), "%s (signal %d)",
			 sig == SIGTERM || sig == SIGKILL ? "stopped"
			 : sig == SIGSYS		  ? "monitor killed by its seccomp filter"
							  : "monitor killed",
			 sig);
		return 0;
	}
	if (wait_status != -1 && WIFEXITED(wait_status))
		out->exit_code = WEXITSTATUS(wait_status);
	else
		out->exit_code = file_status; /* adopted after a daemon restart */
	if (out->exit_code < 0) {
		snprintf(out->message, sizeof(out->message),
			 "ended; exit status unknown (no %s/%s)", spec->dir, STATUS_FILE);
		return 0;
	}
	if (out->exit_code == MONITOR_EXIT_FAILURE) {
		monitor_reason(m, spec, reason, sizeof(reason));
		if (reason[0]) {
			snprintf(out->message, sizeof(out->message), "failed: %s", reason);
			return 0;
		}
	}
	snprintf(out->message, sizeof(out->message), "exited");
	(void)err;
	return 0;
}
