/* run.c - run a build tool in its sandbox and stream its merged output
 * line by line. */
#include "run.h"

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

/* The last RUN_TAIL_LINES lines, oldest overwritten first. */
struct run_tail {
	char *lines[RUN_TAIL_LINES];
	size_t count;
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

/* Splits the command's output into lines for the caller. */
struct run_lines {
	const struct run_opts *opts;
	struct run_tail tail;
	struct strbuf line;
};

static void line_emit(struct run_lines *rl)
{
	struct strbuf *line = &rl->line;

	if (line->len && line->buf[line->len - 1] == '\r')
		line->buf[--line->len] = '\0';
	if (rl->opts->log)
		rl->opts->log(rl->opts->log_ctx, strbuf_str(line));
	sandbox_note_line(rl->opts->sandbox, strbuf_str(line));
	tail_push(&rl->tail, strbuf_str(line));
	strbuf_reset(line);
}

static void on_output(void *ctx, const char *data, size_t len)
{
	struct run_lines *rl = ctx;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			line_emit(rl);
			continue;
		}
		strbuf_addch(&rl->line, data[i]);
		if (rl->line.len >= RUN_LINE_MAX)
			line_emit(rl);
	}
}

int run_command(const char *const *argv, const struct run_opts *opts, struct unik_err *err)
{
	struct run_lines rl = { opts, { { NULL }, 0 }, STRBUF_INIT };
	struct strbuf msg = STRBUF_INIT;
	char hint[160];
	int status = 0, rc = -1;

	if (!opts || !opts->sandbox)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "'%s' was to run outside the build sandbox", argv[0]);
	rc = sandbox_exec(opts->sandbox, argv, opts->cwd, opts->env, opts->writable, on_output, &rl,
			  &status, err);
	if (rl.line.len)
		line_emit(&rl);
	if (rc < 0)
		goto cleanup;
	rc = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
		goto cleanup;
	}
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		strbuf_addf(&msg, "'%s' exited with status %d", argv[0], code);
		if (opts->sandbox->conf->mode == SANDBOX_BWRAP && code > 128 && code < 128 + 32) {
			/* bwrap passes a death by signal on as 128 + the signal */
			strbuf_addf(&msg, " (as when killed by signal %d, %s)", code - 128,
				    strsignal(code - 128));
			sandbox_note_signal(opts->sandbox, code - 128);
		}
	} else {
		strbuf_addf(&msg, "'%s' killed by signal %d (%s)", argv[0], WTERMSIG(status),
			    strsignal(WTERMSIG(status)));
		sandbox_note_signal(opts->sandbox, WTERMSIG(status));
	}
	strbuf_adds(&msg, sandbox_failure_hint(opts->sandbox, hint, sizeof(hint)));
	tail_format(&rl.tail, &msg);
	unik_err_set(err, UNIK_E_INTERNAL, "%s", strbuf_str(&msg));
cleanup:
	tail_release(&rl.tail);
	strbuf_release(&rl.line);
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
