/* config.c - INI-style configuration. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

void unik_config_init(struct unik_config *cfg)
{
	cfg->keys = NULL;
	cfg->values = NULL;
	cfg->n = 0;
}

void unik_config_release(struct unik_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->keys[i]);
		free(cfg->values[i]);
	}
	free(cfg->keys);
	free(cfg->values);
	unik_config_init(cfg);
}

void unik_config_set(struct unik_config *cfg, const char *key, const char *value)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->keys[i], key)) {
			free(cfg->values[i]);
			cfg->values[i] = xstrdup(value);
			return;
		}
	cfg->keys = xrealloc(cfg->keys, (cfg->n + 1) * sizeof(char *));
	cfg->values = xrealloc(cfg->values, (cfg->n + 1) * sizeof(char *));
	cfg->keys[cfg->n] = xstrdup(key);
	cfg->values[cfg->n] = xstrdup(value);
	cfg->n++;
}

const char *unik_config_get(const struct unik_config *cfg, const char *key, const char *def)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->keys[i], key))
			return cfg->values[i];
	return def;
}

int unik_config_get_int(const struct unik_config *cfg, const char *key, long long def,
			long long *out, struct unik_err *err)
{
	const char *v = unik_config_get(cfg, key, NULL);
	char *end;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return unik_err_set(err, UNIK_E_INVALID, "config key %s: '%s' is not an integer",
				    key, v);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int unik_config_parse(struct unik_config *cfg, const char *text, const char *origin,
		      struct unik_err *err)
{
	char *copy = xstrdup(text), *line, *next;
	char section[64] = "daemon";
	int lineno = 0, rc = 0;

	for (line = copy; line && !rc; line = next) {
		char *s, *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || end[1] || end - s - 1 <= 0 ||
			    (size_t)(end - s - 1) >= sizeof(section)) {
				rc = unik_err_set(err, UNIK_E_INVALID, "%s:%d: bad section header",
						  origin, lineno);
				break;
			}
			*end = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			rc = unik_err_set(err, UNIK_E_INVALID, "%s:%d: expected 'key = value'",
					  origin, lineno);
			break;
		}
		*eq = '\0';
		{
			char *key = trim(s), *val = trim(eq + 1);
			char *full;

			if (!*key) {
				rc = unik_err_set(err, UNIK_E_INVALID, "%s:%d: empty key", origin,
						  lineno);
				break;
			}
			full = xasprintf("%s.%s", section, key);
			unik_config_set(cfg, full, val);
			free(full);
		}
	}
	free(copy);
	return rc;
}

int unik_config_load(struct unik_config *cfg, const char *path, int optional, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (fs_read_file(path, &sb, err) < 0) {
		strbuf_release(&sb);
		if (optional && err && err->code == UNIK_E_NOT_FOUND) {
			unik_err_clear(err);
			return 0;
		}
		return -1;
	}
	rc = unik_config_parse(cfg, strbuf_str(&sb), path, err);
	strbuf_release(&sb);
	return rc;
}
