/* sandbox_exec.c - one command in a build's sandbox: the child's set-up
 * (identity, limits, the keeper), and the loop that passes its output on,
 * keeps the build within its budgets and kills it when it must stop.  What
 * it runs with is sandbox_cmd.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox_int.h"

#define TICK_MS 250 /* the loop wakes at least this often */
#define SCAN_EVERY_MS 1000 /* CPU time and processes from /proc */
#define DISK_EVERY_MS 2000 /* size of the build folder */
#define DISK_MISSES_MAX 5 /* measurements in a row the build may spoil */
#define EXIT_GRACE_MS 1000 /* none: output of leftover processes after the exit */
#define KILL_GRACE_MS 1000 /* for bwrap to end after its pid 1 was killed */
#define KILL_WAIT_MS 5000 /* for a killed sandbox to be gone */
#define LAST_BYTES 512 /* output kept for a sandbox's own error message */
#define LINE_COST 64 /* what a line's event adds to the job's log */

/* What the child reports through its close-on-exec pipe when it fails. */
struct child_failure {
	int in_chdir;
	int errnum;
};

/* One command: prepared before fork(), then followed until it is reaped. */
struct proc {
	struct sandbox *sb;
	struct sandbox_cmd cmd;
	pid_t parent;
	int out[2], st[2], fail[2];

	pid_t pid;
	int pidfd, init_pidfd;
	struct strbuf status; /* bwrap's --json-status-fd documents */
	unsigned long long pidns;
	int exec_seen; /* bwrap ran the command (it reported an exit code) */
	int killed, killed_direct, exited, wstatus;
	int64_t kill_ms, exit_ms, next_scan_ms, next_disk_ms;
	char last[LAST_BYTES];
	size_t last_len;
	struct rusage ru;
};

/* A close-on-exec pipe whose ends are above the descriptors the child
 * sets up (0-3). */
static int pipe_high(int p[2])
{
	int t[2];

	if (pipe2(t, O_CLOEXEC) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		p[i] = fcntl(t[i], F_DUPFD_CLOEXEC, 10);
		close(t[i]);
	}
	if (p[0] < 0 || p[1] < 0) {
		for (int i = 0; i < 2; i++)
			if (p[i] >= 0)
				close(p[i]);
		p[0] = p[1] = -1;
		return -1;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void proc_release(struct proc *p)
{
	for (int i = 0; i < 2; i++) {
		close_fd(&p->out[i]);
		close_fd(&p->st[i]);
		close_fd(&p->fail[i]);
	}
	close_fd(&p->pidfd);
	close_fd(&p->init_pidfd);
	sandbox_cmd_release(&p->cmd);
	strbuf_release(&p->status);
}

static int prepare(struct proc *p, const char *const *argv, const char *cwd, const struct strv *env,
		   const char *const *writable, struct unik_err *err)
{
	if (sandbox_cmd_prepare(p->sb, &p->cmd, argv, cwd, env, writable, err) < 0)
		return -1;
	p->parent = getpid();
	if (pipe_high(p->out) < 0 || pipe_high(p->fail) < 0 ||
	    (p->cmd.bwrap && pipe_high(p->st) < 0))
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot create a pipe: %s",
				    strerror(errno));
	return 0;
}

/* bwrap's outer process leaves the sandbox's pid 1 to its own parent to
 * reap, and with it the CPU time of the whole build.  So bwrap runs under
 * this keeper (the child, as the build user): a subreaper that waits for
 * bwrap and that pid 1 and exits with bwrap's status, so our wait4() of it
 * counts everything.  Only async-signal-safe calls. */
static void __attribute__((noreturn)) keeper(const struct proc *p, struct child_failure *f)
{
	pid_t self = getpid(), b, r;
	int st, bst = 0;

	prctl(PR_SET_NAME, "unikd-keeper", 0, 0, 0); /* not to pass for unikd in ps */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || (b = fork()) < 0) {
		f->errnum = errno;
		if (write(p->fail[1], f, sizeof(*f)) < 0)
			_exit(126);
		_exit(127);
	}
	if (b == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != self)
			_exit(127);
		execve(p->cmd.exe, p->cmd.argv.v, p->cmd.env.v);
		f->errnum = errno;
		if (write(p->fail[1], f, sizeof(*f)) < 0)
			_exit(126);
		_exit(127);
	}
	close_range(0, ~0U, 0); /* the pipes' ends are bwrap's now */
	for (;;) {
		r = waitpid(-1, &st, 0);
		if (r == b)
			bst = st;
		else if (r < 0 && errno != EINTR)
			break; /* ECHILD: bwrap and the pid 1 it left are gone */
	}
	_exit(WIFEXITED(bst) ? WEXITSTATUS(bst) : 128 + WTERMSIG(bst));
}

/* In the child after fork(): only async-signal-safe calls. */
static void __attribute__((noreturn)) child(const struct proc *p)
{
	const struct sandbox_conf *c = p->sb->conf;
	struct child_failure f = { 0, 0 };
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(p->out[1], 1) < 0 || dup2(p->out[1], 2) < 0 ||
	    (p->st[1] >= 0 && dup2(p->st[1], 3) < 0))
		goto fail;
	umask(022);
	setsid(); /* its own session: killed as a group (none), no terminal */
	for (int i = 0; i < p->cmd.nlim; i++)
		if (setrlimit(p->cmd.res[i], &p->cmd.lim[i]) < 0)
			goto fail;
	if (c->drop && (syscall(SYS_setgroups, 0, NULL) < 0 ||
			syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0 ||
			syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0))
		goto fail;
	/* after the uid change, which clears it; it fires when our thread ends */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != p->parent)
		_exit(127); /* unikd died before the line above */
	if (chdir(p->cmd.host_cwd) < 0) {
		f.in_chdir = 1;
		goto fail;
	}
	close_range(p->st[1] >= 0 ? 4 : 3, ~0U, CLOSE_RANGE_CLOEXEC);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (p->cmd.bwrap)
		keeper(p, &f);
	execve(p->cmd.exe, p->cmd.argv.v, p->cmd.env.v);
fail:
	f.errnum = errno;
	if (write(p->fail[1], &f, sizeof(f)) < 0)
		_exit(126);
	_exit(127);
}

static void proc_kill_direct(struct proc *p)
{
	if (!p->exited && !p->killed_direct)
		kill(p->pid, SIGKILL); /* not reaped yet: still our child */
	p->killed_direct = 1;
}

/* Kills the sandbox's pid 1, with which everything in it dies, and bwrap
 * and its keeper then end by themselves; or, before that is known, the
 * keeper (bwrap and its pid 1 have parent-death signals).  Without bwrap:
 * the command and its group. */
static void proc_kill(struct proc *p)
{
	if (p->killed)
		return;
	p->killed = 1;
	p->kill_ms = sandbox_now_ms();
	if (p->init_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->init_pidfd, SIGKILL, NULL, 0);
	else
		proc_kill_direct(p);
	if (!p->cmd.bwrap)
		kill(-p->pid, SIGKILL);
}

/* The number after `key` in s, or -1. */
static long long json_num(const char *s, const char *key)
{
	const char *k = strstr(s, key);

	if (!k || !(k = strchr(k, ':')))
		return -1;
	return strtoll(k + 1, NULL, 10);
}

/* bwrap reports the pid (in our namespace) of the sandbox's pid 1 and its
 * namespace: a pidfd of it lets us kill the whole sandbox without races. */
static void on_status(struct proc *p)
{
	const char *s = strbuf_str(&p->status);
	const char *end = strchr(s, '}');

	if (end && !p->pidns) {
		long long pid = json_num(s, "\"child-pid\"");
		long long ns = json_num(s, "\"pid-namespace\"");
		int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, (pid_t)pid, 0) : -1;
		char path[64], link[64];
		ssize_t n;

		p->pidns = ns > 0 ? (unsigned long long)ns : 1;
		snprintf(path, sizeof(path), "/proc/%lld/ns/pid", pid);
		n = fd >= 0 ? readlink(path, link, sizeof(link) - 1) : -1;
		if (n > 5) {
			link[n] = '\0';
			if (strtoull(link + 5, NULL, 10) == p->pidns) {
				p->init_pidfd = fd; /* verified: not a reused pid */
				fd = -1;
			}
		}
		if (fd >= 0)
			close(fd);
		if (p->killed && p->init_pidfd >= 0)
			syscall(SYS_pidfd_send_signal, p->init_pidfd, SIGKILL, NULL, 0);
	}
	if (end && strstr(end, "\"exit-code\""))
		p->exec_seen = 1;
}

static void keep_last(struct proc *p, const char *buf, size_t n)
{
	if (n >= LAST_BYTES) {
		memcpy(p->last, buf + n - LAST_BYTES + 1, LAST_BYTES - 1);
		p->last_len = LAST_BYTES - 1;
	} else {
		if (p->last_len + n >= LAST_BYTES) {
			size_t drop = p->last_len + n - (LAST_BYTES - 1);

			memmove(p->last, p->last + drop, p->last_len - drop);
			p->last_len -= drop;
		}
		memcpy(p->last + p->last_len, buf, n);
		p->last_len += n;
	}
	p->last[p->last_len] = '\0';
}

/* Passes output on within build.output, where each line also costs the
 * framing of its event in the job's log. */
static void on_output(struct proc *p, const char *buf, size_t n, sandbox_out_fn out, void *ctx)
{
	struct sandbox *sb = p->sb;
	long long room = sb->conf->lim.output - sb->output, cost = 0;
	char lim[32];
	size_t take;

	if (room <= 0)
		return;
	for (take = 0; take < n; take++) {
		long long c = buf[take] == '\n' ? 1 + LINE_COST : 1;

		if (cost + c > room)
			break;
		cost += c;
	}
	sb->output += cost;
	if (take < n) {
		sb->output = sb->conf->lim.output;
		sandbox_format_size(sb->conf->lim.output, lim, sizeof(lim));
		sandbox_trip(sb, "the build printed more than %s of output (build.output)", lim);
	}
	keep_last(p, buf, take);
	out(ctx, buf, take);
}

/* Reads what is there; closes `fd` at its end. */
static void drain(struct proc *p, int *fd, int is_status, sandbox_out_fn out, void *ctx)
{
	char buf[8192];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (!is_status) {
		on_output(p, buf, (size_t)n, out, ctx);
	} else if (p->status.len < 65536) {
		strbuf_add(&p->status, buf, (size_t)n);
		on_status(p);
	}
}

static void reap(struct proc *p, int block)
{
	pid_t r;

	do
		r = wait4(p->pid, &p->wstatus, block ? 0 : WNOHANG, &p->ru);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == ECHILD)
		p->wstatus = 127 << 8; /* someone else reaped it: not a success */
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->exited = 1;
		p->exit_ms = sandbox_now_ms();
	}
}

static void check_disk(struct proc *p)
{
	struct sandbox *sb = p->sb;
	struct unik_err err = UNIK_ERR_INIT;
	long long bytes = 0;
	char lim[32];
	int fd;

	if (!sb->dir)
		return;
	fd = open(sb->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	sandbox_format_size(sb->conf->lim.disk, lim, sizeof(lim));
	if (sandbox_tree_usage(fd, -1, -1, &bytes, &err) < 0) {
		if (++sb->disk_misses >= DISK_MISSES_MAX)
			sandbox_trip(sb,
				     "the size of the build's folder cannot be measured (%s; "
				     "build.disk: %s)",
				     err.msg, lim);
	} else {
		sb->disk_misses = 0;
		if (bytes - sb->disk_base > sb->conf->lim.disk)
			sandbox_trip(sb, "the build wrote more than %s to its folder (build.disk)",
				     lim);
	}
	close(fd);
}

static void check_cpu(struct sandbox *sb, long long live_ms)
{
	if (sb->cpu_ms + live_ms >= sb->conf->lim.cpu_seconds * 1000)
		sandbox_trip(sb, "the build used more than %lld s of CPU time (build.cpu_seconds)",
			     sb->conf->lim.cpu_seconds);
}

/* The periodic checks of a running command. */
static void tick(struct proc *p, int64_t now)
{
	struct sandbox *sb = p->sb;
	struct sandbox_usage u;

	if (now >= sb->deadline_ms)
		sandbox_trip(sb, "the build ran longer than %lld s (build.timeout)",
			     sb->conf->lim.timeout);
	if (now >= p->next_scan_ms && (!p->cmd.bwrap || p->pidns)) {
		p->next_scan_ms = now + SCAN_EVERY_MS;
		if (sandbox_scan(p->cmd.bwrap ? p->pidns : 0, p->pid, &u) == 0) {
			check_cpu(sb, u.cpu_ms);
			if (u.tasks >= sb->conf->lim.processes)
				sandbox_trip(sb,
					     "the build reached its limit of %lld processes and "
					     "threads at once (build.processes)",
					     sb->conf->lim.processes);
		}
	}
	if (now >= p->next_disk_ms) {
		p->next_disk_ms = now + DISK_EVERY_MS;
		check_disk(p);
	}
}

/* Follows the command until it is reaped (killing it when the build must
 * stop). */
static void follow(struct proc *p, sandbox_out_fn out, void *ctx)
{
	struct sandbox *sb = p->sb;
	int64_t now = sandbox_now_ms();

	p->next_scan_ms = now + SCAN_EVERY_MS;
	p->next_disk_ms = now + DISK_EVERY_MS;
	for (;;) {
		struct pollfd pf[4];
		int n = 0, i_out = -1, i_st = -1, i_pid = -1, i_cancel = -1;
		int timeout = TICK_MS;

		if (p->exited && p->out[0] < 0 && p->st[0] < 0)
			break;
		if (p->out[0] >= 0)
			pf[i_out = n++] = (struct pollfd){ p->out[0], POLLIN, 0 };
		if (p->st[0] >= 0)
			pf[i_st = n++] = (struct pollfd){ p->st[0], POLLIN, 0 };
		if (!p->exited && p->pidfd >= 0)
			pf[i_pid = n++] = (struct pollfd){ p->pidfd, POLLIN, 0 };
		if (!p->killed)
			pf[i_cancel = n++] = (struct pollfd){ sb->cancel_rd, POLLIN, 0 };
		if (!p->killed && sb->deadline_ms - now < timeout)
			timeout = sb->deadline_ms > now ? (int)(sb->deadline_ms - now) : 0;
		if (poll(pf, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (i_out >= 0 && pf[i_out].revents)
			drain(p, &p->out[0], 0, out, ctx);
		if (i_st >= 0 && pf[i_st].revents)
			drain(p, &p->st[0], 1, out, ctx);
		if (!p->exited && (p->pidfd < 0 || (i_pid >= 0 && pf[i_pid].revents)))
			reap(p, 0);
		now = sandbox_now_ms();
		if (!p->killed && !p->exited)
			tick(p, now);
		if (!p->killed && __atomic_load_n(&sb->stop, __ATOMIC_SEQ_CST) != SANDBOX_RUNNING)
			proc_kill(p);
		if (p->exited && (p->out[0] >= 0 || p->st[0] >= 0) &&
		    now - p->exit_ms > EXIT_GRACE_MS) {
			if (!p->cmd.bwrap)
				kill(-p->pid, SIGKILL); /* leftovers holding the pipe */
			close_fd(&p->out[0]);
			close_fd(&p->st[0]);
		}
		if (p->killed && !p->exited && now - p->kill_ms > KILL_GRACE_MS)
			proc_kill_direct(p); /* bwrap did not end with its pid 1 */
		if (p->killed && !p->exited && now - p->kill_ms > KILL_WAIT_MS) {
			close_fd(&p->out[0]);
			close_fd(&p->st[0]);
			reap(p, 1);
		}
	}
	if (!p->exited)
		reap(p, 1);
	if (p->init_pidfd >= 0) { /* its exit means the pid namespace is empty */
		struct pollfd pf = { p->init_pidfd, POLLIN, 0 };

		if (p->killed)
			syscall(SYS_pidfd_send_signal, p->init_pidfd, SIGKILL, NULL, 0);
		while (poll(&pf, 1, KILL_WAIT_MS) < 0 && errno == EINTR)
			;
	}
}

static long long rusage_ms(const struct rusage *ru)
{
	return (long long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000 +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;
}

/* The last non-empty line of what the command printed. */
static const char *last_line(struct proc *p)
{
	char *s = p->last;
	size_t n = p->last_len;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '\n')
			return s + i;
	return s;
}

/* After the command: its outcome for the caller. */
static int outcome(struct proc *p, const char *cmd, int *status, struct unik_err *err)
{
	struct sandbox *sb = p->sb;
	struct child_failure f;
	ssize_t n;

	do
		n = read(p->fail[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	sb->cpu_ms += rusage_ms(&p->ru);
	if (!p->killed) {
		check_cpu(sb, 0);
		check_disk(p);
	}
	if (sandbox_check(sb, err) < 0)
		return -1;
	if (n == (ssize_t)sizeof(f)) {
		if (f.in_chdir)
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot run '%s' in %s: %s", cmd,
					    p->cmd.host_cwd, strerror(f.errnum));
		if (p->cmd.bwrap)
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "cannot start the build sandbox (%s): %s", p->cmd.exe,
					    strerror(f.errnum));
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run '%s': %s", cmd,
				    strerror(f.errnum));
	}
	if (p->cmd.bwrap && !p->exec_seen) {
		const char *why = last_line(p);

		if (!strncmp(why, "bwrap: execvp ", 14))
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "cannot run '%s' in the build sandbox: %s", cmd, why);
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "the build sandbox (bubblewrap) cannot start here: %s (builds "
				    "need bubblewrap and unprivileged user namespaces; see "
				    "docs/security.md, or set build.sandbox = none)",
				    *why ? why : "no reason given");
	}
	*status = p->wstatus;
	return 0;
}

int sandbox_exec(struct sandbox *sb, const char *const *argv, const char *cwd,
		 const struct strv *env, const char *const *writable, sandbox_out_fn out, void *ctx,
		 int *status, struct unik_err *err)
{
	struct proc p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.sb = sb;
	p.out[0] = p.out[1] = p.st[0] = p.st[1] = p.fail[0] = p.fail[1] = -1;
	p.pidfd = p.init_pidfd = -1;
	if (sandbox_check(sb, err) < 0 || prepare(&p, argv, cwd, env, writable, err) < 0)
		goto out;
	p.pid = fork();
	if (p.pid < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot fork for '%s': %s", argv[0],
			     strerror(errno));
		goto out;
	}
	if (p.pid == 0)
		child(&p);
	close_fd(&p.out[1]);
	close_fd(&p.st[1]);
	close_fd(&p.fail[1]);
	p.pidfd = (int)syscall(SYS_pidfd_open, p.pid, 0);
	follow(&p, out, ctx);
	rc = outcome(&p, argv[0], status, err);
out:
	proc_release(&p);
	return rc;
}
