/* run_host_tool.c - running a trusted host tool directly (see run_host_tool.h). */
#include "run_host_tool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"

#define OUTPUT_KEEP 2048 /* bytes of a tool's output kept for its error */

int run_host_tool(const char *const *argv, const char *cwd, struct unik_err *err)
{
	struct strbuf out = STRBUF_INIT;
	int pfd[2], status = 0;
	char buf[512];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && out.len < OUTPUT_KEEP)
			strbuf_add(&out, buf, (size_t)n);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		strbuf_release(&out);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s is not installed (scripts/install-deps)",
			     argv[0]);
	else
		unik_err_set(err, UNIK_E_INTERNAL, "%s failed (status %d): %s", argv[0],
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			     strbuf_str(&out));
	strbuf_release(&out);
	return -1;
}
