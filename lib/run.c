/* run.c - run a helper program and stream its merged output line by line. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

#define RUN_TAIL_LINES 8 /* output lines kept for the error message */
#define RUN_TAIL_BUDGET 760 /* bytes of them that fit in unik_err.msg */
#define RUN_LINE_MAX 4096 /* longer lines are delivered in pieces */

extern char **environ;

/* The last RUN_TAIL_LINES lines, oldest overwritten first. */
struct run_tail {
	char *lines[RUN_TAIL_LINES];
	size_t count;
};

/* What the child reports through its close-on-exec pipe when exec fails. */
struct run_failure {
	int in_chdir;
	int errnum;
};

static void tail_push(struct run_tail *t, const char *line)
{
	size_t i = t->count % RUN_TAIL_LINES;

	free(t->lines[i]);
	t->lines[i] = xstrdup(line);
	t->count++;
}

static void tail_release(struct run_tail *t)
{
	for (size_t i = 0; i < RUN_TAIL_LINES; i++)
		free(t->lines[i]);
}

/* Appends the newest lines of `t` that fit in RUN_TAIL_BUDGET, oldest first. */
static void tail_format(const struct run_tail *t, struct strbuf *out)
{
	size_t have = t->count < RUN_TAIL_LINES ? t->count : RUN_TAIL_LINES;
	size_t take = 0, used = 0;

	while (take < have) {
		const char *l = t->lines[(t->count - 1 - take) % RUN_TAIL_LINES];
		size_t len = strlen(l) + 1;

		if (used + len > RUN_TAIL_BUDGET && take > 0)
			break;
		used += len;
		take++;
	}
	for (size_t k = take; k > 0; k--) {
		const char *l = t->lines[(t->count - k) % RUN_TAIL_LINES];

		strbuf_addch(out, '\n');
		strbuf_add(out, l, strnlen(l, RUN_TAIL_BUDGET));
	}
}

static size_t env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Our environment plus `extra`; an extra entry replaces ours of the same
 * name.  The array is new, the strings are borrowed. */
static char **env_build(const struct strv *extra)
{
	size_t n = 0, k = 0, n_extra = extra ? extra->n : 0;
	char **envp;

	while (environ && environ[n])
		n++;
	envp = xcalloc(n + n_extra + 1, sizeof(*envp));
	for (size_t i = 0; i < n; i++) {
		size_t klen = env_key_len(environ[i]);
		int replaced = 0;

		for (size_t j = 0; j < n_extra && !replaced; j++)
			replaced = env_key_len(extra->v[j]) == klen &&
				   !strncmp(extra->v[j], environ[i], klen);
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < n_extra; j++)
		envp[k++] = extra->v[j];
	envp[k] = NULL;
	return envp;
}

/* In the child after fork(): only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const char *const *argv, const struct run_opts *opts, char **envp, int out_fd,
	   int fail_fd)
{
	struct run_failure f = { 0, 0 };
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		goto fail;
	if (opts->cwd && chdir(opts->cwd) < 0) {
		f.in_chdir = 1;
		goto fail;
	}
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvpe(argv[0], (char *const *)argv, envp);
fail:
	f.errnum = errno;
	if (write(fail_fd, &f, sizeof(f)) < 0)
		_exit(126);
	_exit(127);
}

static void line_emit(struct strbuf *line, const struct run_opts *opts, struct run_tail *tail)
{
	if (line->len && line->buf[line->len - 1] == '\r')
		line->buf[--line->len] = '\0';
	if (opts->log)
		opts->log(opts->log_ctx, strbuf_str(line));
	tail_push(tail, strbuf_str(line));
	strbuf_reset(line);
}

/* Reads `fd` to EOF, handing each line to the caller. */
static void output_pump(int fd, const struct run_opts *opts, struct run_tail *tail)
{
	struct strbuf line = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line_emit(&line, opts, tail);
				continue;
			}
			strbuf_addch(&line, buf[i]);
			if (line.len >= RUN_LINE_MAX)
				line_emit(&line, opts, tail);
		}
	}
	if (line.len)
		line_emit(&line, opts, tail);
	strbuf_release(&line);
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

int run_command(const char *const *argv, const struct run_opts *opts, struct unik_err *err)
{
	static const struct run_opts no_opts = { NULL, NULL, NULL, NULL };
	struct run_tail tail = { { NULL }, 0 };
	struct run_failure f;
	struct strbuf msg = STRBUF_INIT;
	char **envp = NULL;
	int out[2] = { -1, -1 }, fail[2] = { -1, -1 };
	int status, rc = -1;
	ssize_t n;
	pid_t pid;

	if (!opts)
		opts = &no_opts;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(fail, O_CLOEXEC) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create pipe: %s", strerror(errno));
		goto cleanup;
	}
	envp = env_build(opts->env);
	pid = fork();
	if (pid < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot fork for '%s': %s", argv[0],
			     strerror(errno));
		goto cleanup;
	}
	if (pid == 0)
		child_exec(argv, opts, envp, out[1], fail[1]);
	close(out[1]);
	close(fail[1]);
	out[1] = fail[1] = -1;

	output_pump(out[0], opts, &tail);
	do
		n = read(fail[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (wait_child(pid, &status) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot wait for '%s': %s", argv[0],
			     strerror(errno));
		goto cleanup;
	}
	if (n == (ssize_t)sizeof(f)) {
		if (f.in_chdir)
			unik_err_set(err, UNIK_E_INTERNAL, "cannot run '%s' in %s: %s", argv[0],
				     opts->cwd, strerror(f.errnum));
		else
			unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run '%s': %s", argv[0],
				     strerror(f.errnum));
		goto cleanup;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
		goto cleanup;
	}
	if (WIFEXITED(status))
		strbuf_addf(&msg, "'%s' exited with status %d", argv[0], WEXITSTATUS(status));
	else
		strbuf_addf(&msg, "'%s' killed by signal %d (%s)", argv[0], WTERMSIG(status),
			    strsignal(WTERMSIG(status)));
	tail_format(&tail, &msg);
	unik_err_set(err, UNIK_E_INTERNAL, "%s", strbuf_str(&msg));
cleanup:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (fail[i] >= 0)
			close(fail[i]);
	}
	free(envp);
	tail_release(&tail);
	strbuf_release(&msg);
	return rc;
}

char *run_which(const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	if (!name || !*name)
		return NULL;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		char *cand = xasprintf("%.*s/%s", len ? (int)len : 1, len ? p : ".", name);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}
