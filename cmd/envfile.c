/* envfile.c - Docker's env-file format (see envfile.h). */
#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/types.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

void env_set_owned(struct strv *env, char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], kv, klen) && env->v[i][klen] == '=') {
			free(env->v[i]);
			env->v[i] = kv;
			return;
		}
	}
	strv_push_owned(env, kv);
}

void env_set(struct strv *env, const char *kv)
{
	env_set_owned(env, xstrdup(kv));
}

/* One line (NUL-terminated, without its newline). */
static int env_line(const char *path, int lineno, char *line, struct strv *env,
		    struct unik_err *err)
{
	size_t len = strlen(line);
	char *eq;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	for (const char *p = line; eq ? p < eq : *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return unik_err_set(
			    err, UNIK_E_INVALID, "%s:%d: variable '%.*s' has blanks in its name",
			    path, lineno, (int)(eq ? eq - line : (long)strlen(line)), line);
	if (eq) {
		if (eq == line || !unik_env_valid(line))
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    "%s:%d: bad environment variable '%.64s': use KEY=VALUE", path, lineno,
			    line);
		env_set(env, line);
		return 0;
	}
	{
		const char *val = getenv(line);
		char *kv;

		if (!val)
			return 0;
		kv = xasprintf("%s=%s", line, val);
		if (!unik_env_valid(kv)) {
			free(kv);
			return unik_err_set(err, UNIK_E_INVALID,
					    "%s:%d: bad environment variable name '%.64s'", path,
					    lineno, line);
		}
		env_set_owned(env, kv);
	}
	return 0;
}

int env_file_read(const char *path, struct strv *env, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096], *text, *p, *nl;
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;
	size_t n;

	if (!f)
		return unik_err_set(err, UNIK_E_INVALID, "--env-file %s: %s", path,
				    strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (sb.len + n > ENV_FILE_MAX) {
			rc = unik_err_set(err, UNIK_E_INVALID, "--env-file %s: over %d bytes", path,
					  ENV_FILE_MAX);
			break;
		}
		strbuf_add(&sb, buf, n);
	}
	if (!rc && ferror(f))
		rc = unik_err_set(err, UNIK_E_INVALID, "--env-file %s: %s", path, strerror(errno));
	fclose(f);
	if (!rc && memchr(sb.buf ? sb.buf : "", '\0', sb.len))
		rc = unik_err_set(err, UNIK_E_INVALID, "--env-file %s: a NUL byte: not a text file",
				  path);
	text = strbuf_detach(&sb);
	p = text ? text : buf;
	if (!text)
		buf[0] = '\0';
	if (!strncmp(p, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark */
		p += 3;
	while (!rc && *p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		rc = env_line(path, ++lineno, p, env, err);
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(text);
	return rc;
}
