/* xl.c - running the Xen toolstack's `xl` and waiting for it (see xen.h). */
#include "xen.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/guest.h"

#define XL_OUTPUT_MAX (256 * 1024)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

const char *xen_xl(const struct unik_config *cfg)
{
	return unik_config_get(cfg, "xen.xl", "xl");
}

int xen_xl_run(const struct unik_config *cfg, const char *const *args, int timeout_s,
	       struct strbuf *out, struct unik_err *err)
{
	const char *argv[16];
	int p[2], n = 0, status = 0;
	long long deadline = now_ms() + timeout_s * 1000LL;
	pid_t pid;

	argv[n++] = xen_xl(cfg);
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "xen: pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "xen: fork: %s", strerror(errno));
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
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "xen: `%s %s` did not finish in %d s", argv[0], argv[1],
					    timeout_s);
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
		if (out && out->len < XL_OUTPUT_MAX)
			strbuf_add(out, buf, (size_t)r);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "xen: cannot run %s (xen-utils; the key xen.xl names it)",
				    argv[0]);
	{
		struct strbuf tail = STRBUF_INIT;

		if (out)
			guest_tail_line(out->buf ? out->buf : "", out->len, 300, &tail);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "xen: `%s %s` failed (%s %d)%s%s", argv[0],
			     argv[1], WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			     tail.len ? ": " : "", strbuf_str(&tail));
		strbuf_release(&tail);
	}
	return -1;
}
