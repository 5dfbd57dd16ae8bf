/* diag.c - build tools' messages without host paths (see diag.h). */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/xalloc.h"

/* Characters that end a path inside a message: a compiler writes
 * "file.c:3:1:", "`file.o'", "‘x’", "(path)". */
static int path_end(unsigned char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == ':' || c == '\'' || c == '"' ||
	       c == '`' || c == ')' || c == '(' || c == ',' || c == ';' || c == '[' || c == ']' ||
	       c == '<' || c == '>' || c >= 0x80;
}

/* What may come before a path: a space, a quote, an opening bracket. */
static int word_start(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\'' || c == '"' || c == '`' || c == '(' || c == '[' ||
	       c == '<' || c == '=' || c == ',' || c >= 0x80;
}

/* `p` of length n below folder `dir`: the rest (after the slash), or NULL. */
static const char *below(const char *p, size_t n, const char *dir)
{
	size_t d = dir ? strlen(dir) : 0;

	while (d > 1 && dir[d - 1] == '/')
		d--;
	if (!d || n <= d + 1 || strncmp(p, dir, d) || p[d] != '/')
		return NULL;
	return p + d + 1;
}

/* A path of the host's toolchain: shown by its name only. */
static int host_tool_path(const char *p, size_t n, const struct diag_log *dl)
{
	static const char *const sys[] = { "/usr/", "/lib/", "/lib64/", "/opt/", "/tmp/cc" };

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (n > strlen(sys[i]) && !strncmp(p, sys[i], strlen(sys[i])))
			return 1;
	return below(p, n, dl->tool_dir) != NULL;
}

char *compiler_diag_tool_dir(const char *cc)
{
	char *d, *slash;

	if (!cc || *cc != '/')
		return NULL;
	d = xstrdup(cc);
	for (int up = 0; up < 2; up++) {
		slash = strrchr(d, '/');
		if (!slash || slash == d) {
			free(d);
			return NULL;
		}
		*slash = '\0';
	}
	return d;
}

void compiler_diag_rewrite(const char *line, const struct diag_log *dl, struct strbuf *out)
{
	const char *s = line;

	while (*s) {
		const char *rest, *last = NULL;
		size_t n = 0, slashes = 0;

		/* an absolute path starts a word (not "a/b" nor "http://x") */
		if (*s != '/' || (s > line && !word_start((unsigned char)s[-1]))) {
			strbuf_addch(out, *s++);
			continue;
		}
		while (!path_end((unsigned char)s[n])) {
			if (s[n] == '/') {
				slashes++;
				last = s + n;
			}
			n++;
		}
		if (slashes < 2) { /* "/", "/x": as they are */
			strbuf_add(out, s, n);
		} else if ((rest = below(s, n, dl->src_dir)) ||
			   (rest = below(s, n, dl->work_dir))) {
			strbuf_add(out, rest, n - (size_t)(rest - s));
		} else if (last && last + 1 < s + n && host_tool_path(s, n, dl)) {
			strbuf_add(out, last + 1, n - (size_t)(last + 1 - s)); /* its name */
		} else {
			strbuf_add(out, s, n); /* a path the user's code names */
		}
		s += n;
	}
}

void compiler_diag_line(void *ctx, const char *line)
{
	const struct diag_log *dl = ctx;
	struct strbuf sb = STRBUF_INIT;

	if (!dl->log)
		return;
	compiler_diag_rewrite(line, dl, &sb);
	dl->log(dl->log_ctx, strbuf_str(&sb));
	strbuf_release(&sb);
}

void compiler_diag_error(const struct diag_log *dl, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *nl;

	if (!err || !err->msg[0])
		return;
	nl = strchr(err->msg, '\n');
	if (nl && dl->log && err->code == UNIK_E_INTERNAL)
		*nl = '\0'; /* the output's tail: the log has shown all of it */
	compiler_diag_rewrite(err->msg, dl, &sb);
	snprintf(err->msg, sizeof(err->msg), "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

const char *compiler_diag_tool(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path ? path : "";
}
