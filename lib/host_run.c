/* host_run.c - starting a host program and waiting for it (see host_run.h). */
#include "host_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX_DEFAULT (64 * 1024)

extern char **environ;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void child(const struct host_run *r, int in_fd, int out_fd)
{
	int null = -1;

	if (in_fd < 0)
		in_fd = null = open("/dev/null", O_RDONLY);
	if (in_fd < 0 || dup2(in_fd, 0) < 0)
		_exit(126);
	if (out_fd < 0)
		out_fd = null = open("/dev/null", O_WRONLY);
	if (out_fd < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	if (r->cwd && chdir(r->cwd) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored across exec */
	execvpe(r->path ? r->path : r->argv[0], (char *const *)r->argv, r->env ? r->env : environ);
	_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int host_run(const struct host_run *r, struct host_run_status *st, struct unik_err *err)
{
	size_t keep = r->out_max ? r->out_max : OUT_MAX_DEFAULT, sent = 0;
	long long deadline = r->timeout_ms > 0 ? now_ms() + r->timeout_ms : 0;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0;
	pid_t pid;

	memset(st, 0, sizeof(*st));
	/* stdin is a socket: send() with MSG_NOSIGNAL gets EPIPE, not SIGPIPE,
	 * from a program that does not read it (no process-wide signal change) */
	if ((r->input && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) ||
	    pipe2(out, O_CLOEXEC) < 0) {
		int e = errno;

		close_fd(&in[0]);
		close_fd(&in[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(e));
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close_fd(&in[0]);
		close_fd(&in[1]);
		close_fd(&out[0]);
		close_fd(&out[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(e));
	}
	if (pid == 0)
		child(r, in[0], out[1]);
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (in[1] >= 0 && !r->input_len)
		close_fd(&in[1]);
	while (out[0] >= 0) {
		struct pollfd pfd[2] = { { out[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
		int wait = -1;

		if (deadline) {
			long long left = deadline - now_ms();

			if (left <= 0) {
				kill(pid, SIGKILL);
				st->timed_out = 1;
				break;
			}
			wait = (int)(left > 1000 ? 1000 : left);
		}
		if (poll(pfd, in[1] >= 0 ? 2 : 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in[1] >= 0 && pfd[1].revents) {
			ssize_t n = send(in[1], r->input + sent, r->input_len - sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0)
				sent += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == r->input_len)
				close_fd(&in[1]);
		}
		if (pfd[0].revents) {
			char buf[4096];
			ssize_t n = read(out[0], buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
			if (n > 0 && r->out && r->out->len < keep)
				strbuf_add(r->out, buf,
					   (size_t)n < keep - r->out->len ? (size_t)n
									  : keep - r->out->len);
		}
	}
	close_fd(&in[1]);
	close_fd(&out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	st->exited = WIFEXITED(status);
	st->code = st->exited ? WEXITSTATUS(status) : WTERMSIG(status);
	st->not_run = st->exited && st->code == 127;
	return 0;
}
