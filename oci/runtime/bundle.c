/* bundle.c - the parts of a bundle's config.json that unik-runtime uses,
 * parsed strictly: every field has the type the runtime spec gives it, and
 * the file, its strings and its lists are bounded. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define MAX_LIST 4096 /* args, env, annotations, namespaces */
#define MAX_STR (64 << 10)

static int bad(struct unik_err *err, const char *what, const char *why)
{
	return unik_err_set(err, UNIK_E_INVALID, "config.json: %s %s", what, why);
}

/* A list of strings (absent: empty). */
static int str_list(json_t *o, const char *key, const char *what, struct strv *out,
		    struct unik_err *err)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad(err, what, "is not a list");
	if (json_array_size(a) > MAX_LIST)
		return bad(err, what, "has too many entries");
	json_array_foreach (a, i, v) {
		if (!json_is_string(v) || json_string_length(v) > MAX_STR ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bad(err, what, "holds a non-string (or one with a NUL byte)");
		strv_push(out, json_string_value(v));
	}
	return 0;
}

/* An optional string; NULL when absent. */
static int opt_str(json_t *o, const char *key, const char *what, const char **out,
		   struct unik_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > PATH_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, what, "is not a non-empty string");
	*out = json_string_value(v);
	return 0;
}

static int opt_obj(json_t *o, const char *key, const char *what, json_t **out, struct unik_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad(err, what, "is not an object");
	*out = v;
	return 0;
}

static int parse_process(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *p, *t;

	if (opt_obj(root, "process", "process", &p, err))
		return -1;
	if (!p)
		return 0;
	if (str_list(p, "args", "process.args", &b->args, err) ||
	    str_list(p, "env", "process.env", &b->env, err))
		return -1;
	for (size_t i = 0; i < b->env.n; i++)
		if (!strchr(b->env.v[i], '=') || b->env.v[i][0] == '=')
			return bad(err, "process.env", "holds an entry that is not KEY=VALUE");
	t = json_object_get(p, "terminal");
	if (t && !json_is_boolean(t))
		return bad(err, "process.terminal", "is not a boolean");
	b->terminal = t && json_is_true(t);
	return 0;
}

static int parse_namespaces(json_t *lx, struct rt_bundle *b, struct unik_err *err)
{
	json_t *a = json_object_get(lx, "namespaces"), *ns;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 64)
		return bad(err, "linux.namespaces", "is not a list (of at most 64)");
	json_array_foreach (a, i, ns) {
		const char *type, *path;

		if (!json_is_object(ns) ||
		    opt_str(ns, "type", "linux.namespaces[].type", &type, err) ||
		    opt_str(ns, "path", "linux.namespaces[].path", &path, err))
			return err->code ? -1 : bad(err, "linux.namespaces[]", "is not an object");
		if (!type)
			return bad(err, "linux.namespaces[]", "has no type");
		if (strcmp(type, "network"))
			continue; /* the VM is its own pid, mount, ipc, uts namespace */
		if (b->netns)
			return bad(err, "linux.namespaces", "names the network namespace twice");
		if (path && path[0] != '/')
			return bad(err, "linux.namespaces[].path", "is not absolute");
		b->netns = path ? 2 : 1;
		b->netns_path = path ? xstrdup(path) : NULL;
	}
	return 0;
}

static int parse_linux(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *lx, *res, *mem, *lim;

	if (opt_obj(root, "linux", "linux", &lx, err))
		return -1;
	if (!lx)
		return 0;
	if (opt_obj(lx, "resources", "linux.resources", &res, err))
		return -1;
	if (res) {
		if (opt_obj(res, "memory", "linux.resources.memory", &mem, err))
			return -1;
		lim = mem ? json_object_get(mem, "limit") : NULL;
		if (lim && !json_is_null(lim)) {
			if (!json_is_integer(lim))
				return bad(err, "linux.resources.memory.limit",
					   "is not an integer");
			b->mem_limit = json_integer_value(lim) > 0 ? json_integer_value(lim) : 0;
		}
	}
	return parse_namespaces(lx, b, err);
}

/* The mounts: only where /etc/resolv.conf comes from (the guest's DNS). */
static int parse_mounts(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *a = json_object_get(root, "mounts"), *m;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > MAX_LIST)
		return bad(err, "mounts", "is not a list");
	json_array_foreach (a, i, m) {
		const char *dst, *src;

		if (!json_is_object(m))
			return bad(err, "mounts[]", "is not an object");
		if (opt_str(m, "destination", "mounts[].destination", &dst, err) ||
		    opt_str(m, "source", "mounts[].source", &src, err))
			return -1;
		if (dst && src && src[0] == '/' && !strcmp(dst, "/etc/resolv.conf")) {
			free(b->resolv_conf);
			b->resolv_conf = xstrdup(src);
		}
	}
	return 0;
}

static int parse_annotations(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *a, *v;
	const char *k;

	if (opt_obj(root, "annotations", "annotations", &a, err))
		return -1;
	if (!a)
		return 0;
	if (json_object_size(a) > MAX_LIST)
		return bad(err, "annotations", "has too many entries");
	json_object_foreach (a, k, v) {
		if (!json_is_string(v) || json_string_length(v) > MAX_STR)
			return bad(err, "annotations", "holds a value that is not a string");
		strv_push(&b->ann_keys, k);
		strv_push(&b->ann_values, json_string_value(v));
	}
	return 0;
}

static int parse_hook_list(json_t *hooks, const char *key, struct rt_bundle *b,
			   enum rt_hook_kind kind, struct unik_err *err)
{
	json_t *a = json_object_get(hooks, key), *h;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > RT_MAX_HOOKS)
		return bad(err, "hooks", "holds a list that is not one (or is too long)");
	b->hooks[kind] = xcalloc(json_array_size(a) + 1, sizeof(struct rt_hook));
	json_array_foreach (a, i, h) {
		struct rt_hook *hk = &b->hooks[kind][i];
		const char *path;
		json_t *t;

		if (!json_is_object(h))
			return bad(err, "hooks[]", "is not an object");
		b->n_hooks[kind]++;
		if (opt_str(h, "path", "hooks[].path", &path, err))
			return -1;
		if (!path || path[0] != '/')
			return bad(err, "hooks[].path", "is not an absolute path");
		hk->path = xstrdup(path);
		if (str_list(h, "args", "hooks[].args", &hk->args, err) ||
		    str_list(h, "env", "hooks[].env", &hk->env, err))
			return -1;
		t = json_object_get(h, "timeout");
		if (t && (!json_is_integer(t) || json_integer_value(t) <= 0 ||
			  json_integer_value(t) > 3600))
			return bad(err, "hooks[].timeout", "is not a number of seconds (1..3600)");
		hk->timeout_s = t ? (int)json_integer_value(t) : 0;
	}
	return 0;
}

static int parse_hooks(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *h;

	if (opt_obj(root, "hooks", "hooks", &h, err))
		return -1;
	if (!h)
		return 0;
	return parse_hook_list(h, "prestart", b, RT_HOOK_PRESTART, err) ||
		       parse_hook_list(h, "createRuntime", b, RT_HOOK_CREATE_RUNTIME, err) ||
		       parse_hook_list(h, "poststart", b, RT_HOOK_POSTSTART, err) ||
		       parse_hook_list(h, "poststop", b, RT_HOOK_POSTSTOP, err)
		   ? -1
		   : 0;
}

static int parse_root(json_t *root, struct rt_bundle *b, struct unik_err *err)
{
	json_t *r;
	const char *path, *ver;

	if (!json_is_object(root))
		return bad(err, "the document", "is not an object");
	if (opt_str(root, "ociVersion", "ociVersion", &ver, err))
		return -1;
	if (!ver || strncmp(ver, "1.", 2))
		return bad(err, "ociVersion", "is not a 1.x version");
	if (opt_obj(root, "root", "root", &r, err))
		return -1;
	if (!r || opt_str(r, "path", "root.path", &path, err) || !path)
		return err->code ? -1 : bad(err, "root.path", "is missing");
	b->rootfs = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", b->bundle, path);
	return 0;
}

int rt_bundle_parse(const char *text, size_t len, const char *bundle, struct rt_bundle *b,
		    struct unik_err *err)
{
	json_error_t jerr;
	json_t *root;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	b->bundle = xstrdup(bundle);
	if (len > RT_CONFIG_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "config.json: more than %d bytes",
				    RT_CONFIG_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return unik_err_set(err, UNIK_E_INVALID, "config.json: line %d: %s", jerr.line,
				    jerr.text);
	if (!(parse_root(root, b, err) || parse_process(root, b, err) ||
	      parse_linux(root, b, err) || parse_mounts(root, b, err) ||
	      parse_annotations(root, b, err) || parse_hooks(root, b, err)))
		rc = 0;
	json_decref(root);
	return rc;
}

int rt_bundle_load(const char *bundle_dir, struct rt_bundle *b, struct unik_err *err)
{
	struct strbuf text = STRBUF_INIT;
	char real[PATH_MAX], *path;
	int fd, rc;

	memset(b, 0, sizeof(*b));
	if (!realpath(bundle_dir, real))
		return unik_err_set(err, UNIK_E_NOT_FOUND, "bundle %s: %s", bundle_dir,
				    strerror(errno));
	path = xasprintf("%s/config.json", real);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = unik_err_set(err, UNIK_E_NOT_FOUND, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	free(path);
	rc = safe_read_fd(fd, "config.json", RT_CONFIG_MAX, &text, err);
	close(fd);
	if (!rc)
		rc = rt_bundle_parse(strbuf_str(&text), text.len, real, b, err);
	strbuf_release(&text);
	return rc;
}

static void hooks_release(struct rt_hook *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].path);
		strv_release(&h[i].args);
		strv_release(&h[i].env);
	}
	free(h);
}

void rt_bundle_release(struct rt_bundle *b)
{
	free(b->bundle);
	free(b->rootfs);
	free(b->netns_path);
	free(b->resolv_conf);
	strv_release(&b->args);
	strv_release(&b->env);
	strv_release(&b->ann_keys);
	strv_release(&b->ann_values);
	for (int k = 0; k < RT_HOOK_KINDS; k++)
		hooks_release(b->hooks[k], b->n_hooks[k]);
	memset(b, 0, sizeof(*b));
}

const char *rt_annotation(const struct strv *keys, const struct strv *values, const char *key)
{
	for (size_t i = 0; i < keys->n; i++)
		if (!strcmp(keys->v[i], key))
			return values->v[i];
	return NULL;
}
