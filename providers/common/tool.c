/* tool.c - running a toolstack's command (see tool.h). */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define TOOL_OUTPUT_MAX (256 * 1024)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int tool_run(const char *what, const char *hint, const char *const *argv, int timeout_s,
	     struct strbuf *out, struct unik_err *err)
{
	long long deadline = now_ms() + timeout_s * 1000LL;
	struct strbuf seen = STRBUF_INIT;
	int p[2], status = 0, n = 0;
	pid_t pid;

	while (argv[n])
		n++;
	if (n == 0 || n > TOOL_ARGS_MAX + 1)
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: bad tool argument list", what);
	if (pipe2(p, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: pipe: %s", what, strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: fork: %s", what, strerror(errno));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		long long left = deadline - now_ms();
		char buf[4096];
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			strbuf_release(&seen);
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "%s: `%s %s` did not finish in %d s", what, argv[0],
					    argv[1] ? argv[1] : "", timeout_s);
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		r = read(p[0], buf, sizeof(buf));
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if (seen.len < TOOL_OUTPUT_MAX)
			strbuf_add(&seen, buf, (size_t)r);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out && seen.len)
		strbuf_add(out, seen.buf, seen.len);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		strbuf_release(&seen);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s: cannot run %s (%s)", what, argv[0],
			     hint);
	else {
		struct strbuf tail = STRBUF_INIT;

		guest_tail_line(seen.buf ? seen.buf : "", seen.len, 300, &tail);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s: `%s %s` failed (%s %d)%s%s", what,
			     argv[0], argv[1] ? argv[1] : "", WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			     tail.len ? ": " : "", strbuf_str(&tail));
		strbuf_release(&tail);
	}
	strbuf_release(&seen);
	return -1;
}
