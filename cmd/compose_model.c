/* compose_model.c - the compose file's tree (compose_yaml.h) checked into
 * a project (compose_model.h). */
#include "compose_model.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/restart.h"
#include "../api/types.h"
#include "../api/volumes.h"
#include "../lib/portspec.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "compose_yaml.h"
#include "envfile.h"
#include "humanize.h"

#define VOLUME_DEFAULT_SIZE (64LL << 20)

struct ctx {
	struct cy_doc doc;
	struct compose_project *p;
	struct unik_err *err;
};

static int bad(struct ctx *c, const struct cy_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct ctx *c, const struct cy_node *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return unik_err_set(c->err, UNIK_E_INVALID, "%s:%d: %s", c->doc.path, n ? n->line : 1, msg);
}

/* Checks that every key of map `m` is in `known` (or starts with "x-" when
 * `extensions`); `where` names the map in the message. */
static int known_keys(struct ctx *c, const struct cy_node *m, const char *const *known,
		      int extensions, const char *where)
{
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->text;
		int ok = extensions && !strncmp(k, "x-", 2);

		for (const char *const *kk = known; *kk && !ok; kk++)
			ok = !strcmp(*kk, k);
		if (!ok)
			return bad(c, m->keys[i], "unknown key '%.100s' in %s", k, where);
	}
	return 0;
}

static int want(struct ctx *c, const struct cy_node *n, enum cy_kind kind, const char *what)
{
	static const char *const names[] = { "a value", "a map", "a list" };

	if (n->kind != kind)
		return bad(c, n, "%s must be %s", what, names[kind]);
	return 0;
}

static const char *scalar(const struct cy_node *n)
{
	return n && n->kind == CY_SCALAR ? n->text : NULL;
}

/* A path from the file, relative to its folder. */
static char *file_path(struct ctx *c, const char *s)
{
	if (s[0] == '/')
		return xstrdup(s);
	while (s[0] == '.' && s[1] == '/')
		for (s += 2; *s == '/';)
			s++;
	if (!*s || !strcmp(s, "."))
		return xstrdup(c->p->dir);
	return xasprintf("%s/%s", c->p->dir, s);
}

int compose_split_words(const char *s, struct strv *out)
{
	struct strbuf w = STRBUF_INIT;
	int in_word = 0;
	char q = 0;

	for (; *s; s++) {
		if (q == '\'') {
			if (*s == '\'')
				q = 0;
			else
				strbuf_addch(&w, *s);
		} else if (q == '"') {
			if (*s == '"')
				q = 0;
			else if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				strbuf_addch(&w, *++s);
			else
				strbuf_addch(&w, *s);
		} else if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (in_word)
				strv_push_owned(out, strbuf_detach(&w));
			in_word = 0;
		} else {
			in_word = 1;
			if (*s == '\'' || *s == '"')
				q = *s;
			else if (*s == '\\' && s[1])
				strbuf_addch(&w, *++s);
			else
				strbuf_addch(&w, *s);
		}
	}
	if (q) {
		strbuf_release(&w);
		return -1;
	}
	if (in_word)
		strv_push_owned(out, strbuf_detach(&w));
	strbuf_release(&w);
	return 0;
}

/* A list of values, or one value (`one` allows that). */
static int string_list(struct ctx *c, const struct cy_node *n, int one, const char *what,
		       struct strv *out)
{
	if (one && n->kind == CY_SCALAR) {
		strv_push(out, n->text);
		return 0;
	}
	if (want(c, n, CY_SEQ, what))
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->kind != CY_SCALAR || cy_is_null(n->items[i]))
			return bad(c, n->items[i], "each item of %s must be a value", what);
		strv_push(out, n->items[i]->text);
	}
	return 0;
}

static const struct compose_volume *find_volume(const struct compose_project *p, const char *key)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (!strcmp(p->volumes[i].key, key))
			return &p->volumes[i];
	return NULL;
}

static int service_volumes(struct ctx *c, struct compose_service *s, const struct cy_node *n)
{
	if (want(c, n, CY_SEQ, "volumes"))
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const struct cy_node *it = n->items[i];
		const struct compose_volume *v;
		struct unik_err verr = UNIK_ERR_INIT;
		const char *colon;
		char *key, *spec, *vol, *path;
		int ro;

		if (it->kind != CY_SCALAR)
			return bad(c, it,
				   "volumes of service '%s': only the short form "
				   "VOLUME:/PATH[:ro] is supported",
				   s->name);
		colon = strchr(it->text, ':');
		if (!colon)
			return bad(c, it,
				   "volume '%.200s' of service '%s' needs a path: VOLUME:/PATH",
				   it->text, s->name);
		key = xstrndup(it->text, (size_t)(colon - it->text));
		if (key[0] == '.' || key[0] == '/' || key[0] == '~') {
			bad(c, it,
			    "'%.200s': bind mounts of host folders are not supported (a unikernel "
			    "mounts volumes: declare one under the top-level volumes)",
			    it->text);
			free(key);
			return -1;
		}
		v = find_volume(c->p, key);
		if (!v) {
			bad(c, it,
			    "service '%s' uses volume '%.100s', which the top-level volumes "
			    "do not declare",
			    s->name, key);
			free(key);
			return -1;
		}
		free(key);
		spec = xasprintf("%s%s", v->name, colon);
		if (unik_mount_spec_parse(spec, &vol, &path, &ro, &verr)) {
			free(spec);
			return bad(c, it, "service '%s': %s", s->name, verr.msg);
		}
		free(vol);
		free(path);
		strv_push_owned(&s->volumes, spec);
	}
	return 0;
}

static int service_env(struct ctx *c, struct compose_service *s, const struct cy_node *env_file,
		       const struct cy_node *env)
{
	struct strv files = STRV_INIT;

	if (env_file && string_list(c, env_file, 1, "env_file", &files))
		return -1;
	for (size_t i = 0; i < files.n; i++) {
		struct unik_err ferr = UNIK_ERR_INIT;
		char *path = file_path(c, files.v[i]);
		int rc = env_file_read(path, &s->env, &ferr);

		free(path);
		if (rc) {
			strv_release(&files);
			return bad(c, env_file, "env_file of service '%s': %s", s->name, ferr.msg);
		}
	}
	strv_release(&files);
	if (!env)
		return 0;
	for (size_t i = 0; i < env->n; i++) {
		const struct cy_node *it = env->items[i];
		const char *k, *v;
		char *kv;

		if (env->kind == CY_MAP) {
			k = env->keys[i]->text;
			if (it->kind != CY_SCALAR)
				return bad(c, it, "environment '%.100s' must be a value", k);
			v = cy_is_null(it) ? getenv(k) : it->text;
			if (!v)
				continue;
			kv = xasprintf("%s=%s", k, v);
		} else if (env->kind == CY_SEQ && it->kind == CY_SCALAR && !cy_is_null(it)) {
			if (strchr(it->text, '=')) {
				kv = xstrdup(it->text);
			} else {
				v = getenv(it->text);
				if (!v)
					continue;
				kv = xasprintf("%s=%s", it->text, v);
			}
		} else {
			return bad(c, it, "environment must be a list of KEY=VALUE or a map");
		}
		if (!unik_env_valid(kv)) {
			bad(c, it, "bad environment variable '%.100s' of service '%s'", kv,
			    s->name);
			free(kv);
			return -1;
		}
		env_set_owned(&s->env, kv);
	}
	if (env->kind == CY_SCALAR)
		return bad(c, env, "environment must be a list of KEY=VALUE or a map");
	return 0;
}

static int service_depends(struct ctx *c, struct compose_service *s, const struct cy_node *n)
{
	static const char *const dep_keys[] = { "condition", NULL };

	if (n->kind != CY_MAP)
		return string_list(c, n, 0, "depends_on", &s->depends_on);
	for (size_t i = 0; i < n->n; i++) {
		const struct cy_node *d = n->items[i];
		const char *cond;

		if (!cy_is_null(d)) {
			if (want(c, d, CY_MAP, "a depends_on entry") ||
			    known_keys(c, d, dep_keys, 0, "depends_on"))
				return -1;
			cond = scalar(cy_get(d, "condition"));
			if (cond && strcmp(cond, "service_started"))
				return bad(c, cy_get(d, "condition"),
					   "depends_on condition '%.100s' is not supported (only "
					   "service_started)",
					   cond);
		}
		strv_push(&s->depends_on, n->keys[i]->text);
	}
	return 0;
}

static int service_xunik(struct ctx *c, struct compose_service *s, const struct cy_node *n)
{
	static const char *const keys[] = { "provider", "memory", NULL };
	const struct cy_node *v;
	long long bytes;

	if (want(c, n, CY_MAP, "x-unik") || known_keys(c, n, keys, 0, "x-unik"))
		return -1;
	v = cy_get(n, "provider");
	if (v) {
		if (!scalar(v) || cy_is_null(v))
			return bad(c, v, "x-unik provider must be a name");
		s->provider = xstrdup(v->text);
	}
	v = cy_get(n, "memory");
	if (v) {
		if (!scalar(v) || parse_bytes(v->text, UNIK_VOLUME_MAX_SIZE, &bytes) ||
		    bytes < (1 << 20) || bytes > (64LL << 30))
			return bad(c, v, "x-unik memory must be a size such as 128M or 1G");
		s->memory_mb = (int)(bytes >> 20);
	}
	return 0;
}

static int load_service(struct ctx *c, struct compose_service *s, const struct cy_node *key,
			const struct cy_node *n)
{
	static const char *const keys[] = { "build",	"image",  "command", "environment",
					    "env_file", "ports",  "volumes", "depends_on",
					    "restart",	"x-unik", NULL };
	const struct cy_node *v;
	char where[128], probe[128];

	s->name = xstrdup(key->text);
	s->line = key->line;
	snprintf(probe, sizeof(probe), "%s-%s-1", c->p->name, s->name);
	if (!unik_name_valid(s->name) || !unik_name_valid(probe))
		return bad(c, key,
			   "bad service name '%.100s': letters, digits, '_', '.', '-' (and "
			   "'%s-SERVICE-1' at most %d characters)",
			   s->name, c->p->name, UNIK_NAME_MAX);
	snprintf(where, sizeof(where), "service '%s'", s->name);
	if (cy_is_null(n))
		return bad(c, key, "service '%s' needs build or image", s->name);
	if (want(c, n, CY_MAP, where) || known_keys(c, n, keys, 1, where))
		return -1;
	v = cy_get(n, "build");
	if (v && v->kind == CY_MAP) {
		static const char *const bkeys[] = { "context", NULL };

		if (known_keys(c, v, bkeys, 0, "build"))
			return -1;
		v = cy_get(v, "context");
		if (!v)
			return bad(c, cy_get(n, "build"), "build needs a context folder");
	}
	if (v) {
		if (!scalar(v) || cy_is_null(v))
			return bad(c, v, "build must be a folder");
		s->build = file_path(c, v->text);
	}
	v = cy_get(n, "image");
	if (v) {
		if (!scalar(v) || cy_is_null(v))
			return bad(c, v, "image must be a name");
		s->image = xstrdup(v->text);
	}
	if (!s->build && !s->image)
		return bad(c, key, "service '%s' needs build or image", s->name);
	v = cy_get(n, "command");
	if (v) {
		s->has_command = 1;
		if (v->kind == CY_SCALAR && compose_split_words(v->text, &s->command))
			return bad(c, v, "command has an unterminated quote");
		if (v->kind != CY_SCALAR && string_list(c, v, 0, "command", &s->command))
			return -1;
	}
	if (service_env(c, s, cy_get(n, "env_file"), cy_get(n, "environment")))
		return -1;
	v = cy_get(n, "ports");
	if (v) {
		if (string_list(c, v, 0, "ports", &s->ports))
			return -1;
		for (size_t i = 0; i < s->ports.n; i++) {
			struct portspec ps;
			struct unik_err perr = UNIK_ERR_INIT;

			if (portspec_parse(s->ports.v[i], &ps, &perr))
				return bad(c, v->items[i], "ports of service '%s': %s", s->name,
					   perr.msg);
		}
	}
	v = cy_get(n, "volumes");
	if (v && service_volumes(c, s, v))
		return -1;
	v = cy_get(n, "depends_on");
	if (v && service_depends(c, s, v))
		return -1;
	v = cy_get(n, "restart");
	if (v) {
		struct unik_restart r;
		struct unik_err rerr = UNIK_ERR_INIT;

		if (!scalar(v) || unik_restart_parse(v->text, &r, &rerr))
			return bad(c, v, "restart of service '%s': %s", s->name,
				   rerr.msg[0] ? rerr.msg : "must be a policy");
		s->restart = xstrdup(v->text);
	}
	v = cy_get(n, "x-unik");
	return v ? service_xunik(c, s, v) : 0;
}

static int load_volume(struct ctx *c, struct compose_volume *v, const struct cy_node *key,
		       const struct cy_node *n)
{
	static const char *const keys[] = { "name", "x-unik", NULL };
	static const char *const xkeys[] = { "size", "type", NULL };
	const struct cy_node *x, *s;

	v->key = xstrdup(key->text);
	v->size = VOLUME_DEFAULT_SIZE;
	if (!cy_is_null(n)) {
		if (want(c, n, CY_MAP, "a volume") ||
		    known_keys(c, n, keys, 1, "a volume of the top-level volumes"))
			return -1;
		s = cy_get(n, "name");
		if (s) {
			if (!scalar(s) || cy_is_null(s))
				return bad(c, s, "a volume's name must be a name");
			v->name = xstrdup(s->text);
		}
		x = cy_get(n, "x-unik");
		if (x && (want(c, x, CY_MAP, "x-unik") || known_keys(c, x, xkeys, 0, "x-unik")))
			return -1;
		s = cy_get(x, "size");
		if (s && (!scalar(s) || parse_bytes(s->text, UNIK_VOLUME_MAX_SIZE, &v->size)))
			return bad(c, s, "a volume's size must be a size such as 64M or 1G");
		s = cy_get(x, "type");
		if (s) {
			if (!scalar(s) || !unik_volume_type_valid(s->text))
				return bad(c, s, "a volume's type must be ext2, ext4 or fat");
			v->type = xstrdup(s->text);
		}
	}
	if (!v->name)
		v->name = xasprintf("%s_%s", c->p->name, v->key);
	if (!unik_name_valid(v->name))
		return bad(c, key, "bad volume name '%.100s'", v->name);
	return 0;
}

/* Orders the services so that each comes after what it depends on. */
static int order_services(struct ctx *c, const struct cy_node *services)
{
	struct compose_project *p = c->p;
	size_t n = p->n_services, done = 0;
	struct compose_service *out = xcalloc(n ? n : 1, sizeof(*out));
	char *placed = xcalloc(n ? n : 1, 1);

	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < p->services[i].depends_on.n; d++) {
			const char *dep = p->services[i].depends_on.v[d];

			if (!compose_service(p, dep) || !strcmp(dep, p->services[i].name)) {
				free(out);
				free(placed);
				return bad(c, services->items[i],
					   "service '%s' depends on '%.100s', %s",
					   p->services[i].name, dep,
					   compose_service(p, dep) ? "itself" : "no service");
			}
		}
	while (done < n) {
		size_t before = done;

		for (size_t i = 0; i < n; i++) {
			int ready = !placed[i];

			for (size_t d = 0; ready && d < p->services[i].depends_on.n; d++)
				for (size_t j = 0; j < n; j++)
					if (!strcmp(p->services[j].name,
						    p->services[i].depends_on.v[d]) &&
					    !placed[j])
						ready = 0;
			if (ready) {
				placed[i] = 1;
				out[done++] = p->services[i];
			}
		}
		if (done == before) {
			/* nothing is lost: the unplaced ones are still in p->services */
			for (size_t j = 0; j < n; j++)
				if (!placed[j])
					out[done++] = p->services[j];
			free(p->services);
			p->services = out;
			free(placed);
			return bad(c, services->keys[0], "depends_on makes a cycle (through '%s')",
				   out[before].name);
		}
	}
	free(p->services);
	p->services = out;
	free(placed);
	return 0;
}

/* The project's name from a folder's or given name: lowercased, only
 * [a-z0-9_-], starting with a letter or digit. */
static char *project_name(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s && sb.len < 40; s++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)*s);

		if (isalnum(ch) || ((ch == '_' || ch == '-') && sb.len))
			strbuf_addch(&sb, (char)ch);
	}
	return strbuf_detach(&sb);
}

static int load(struct ctx *c, const char *name)
{
	static const char *const keys[] = { "name", "services", "volumes", "version", NULL };
	struct compose_project *p = c->p;
	const struct cy_node *root = c->doc.root, *services, *volumes, *n;
	const char *given = name;

	if (!root || cy_is_null(root))
		return bad(c, NULL, "the file is empty: it needs services");
	if (want(c, root, CY_MAP, "the file") || known_keys(c, root, keys, 1, "the file"))
		return -1;
	n = cy_get(root, "name");
	if (!given && n) {
		if (!scalar(n))
			return bad(c, n, "name must be a value");
		given = n->text;
	}
	if (!given)
		given = getenv("COMPOSE_PROJECT_NAME");
	if (given && *given) {
		p->name = project_name(given);
		if (strcmp(p->name, given))
			return bad(c, n,
				   "bad project name '%.100s': lowercase letters, digits, "
				   "'_' and '-', starting with a letter or digit",
				   given);
	} else {
		char *d = xstrdup(p->dir);

		p->name = project_name(basename(d));
		free(d);
	}
	if (!*p->name)
		return bad(c, NULL, "no project name: give one with -p NAME");
	volumes = cy_get(root, "volumes");
	if (volumes && !cy_is_null(volumes)) {
		if (want(c, volumes, CY_MAP, "volumes"))
			return -1;
		if (volumes->n > COMPOSE_VOLUMES_MAX)
			return bad(c, volumes, "more than %d volumes", COMPOSE_VOLUMES_MAX);
		p->volumes = xcalloc(volumes->n ? volumes->n : 1, sizeof(*p->volumes));
		for (size_t i = 0; i < volumes->n; i++) {
			p->n_volumes++;
			if (load_volume(c, &p->volumes[i], volumes->keys[i], volumes->items[i]))
				return -1;
		}
	}
	services = cy_get(root, "services");
	if (!services || cy_is_null(services))
		return bad(c, root, "the file has no services");
	if (want(c, services, CY_MAP, "services"))
		return -1;
	if (services->n == 0)
		return bad(c, services, "the file has no services");
	if (services->n > COMPOSE_SERVICES_MAX)
		return bad(c, services, "more than %d services", COMPOSE_SERVICES_MAX);
	p->services = xcalloc(services->n, sizeof(*p->services));
	for (size_t i = 0; i < services->n; i++) {
		p->n_services++;
		if (load_service(c, &p->services[i], services->keys[i], services->items[i]))
			return -1;
	}
	return order_services(c, services);
}

int compose_load(struct compose_project *p, const char *file, const char *name,
		 struct unik_err *err)
{
	struct ctx c;
	char *f, *abs;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.err = err;
	p->file = xstrdup(file);
	abs = realpath(file, NULL);
	f = xstrdup(abs ? abs : file);
	p->dir = xstrdup(dirname(f));
	free(f);
	free(abs);
	rc = cy_load_file(&c.doc, file, err) ? -1 : load(&c, name);
	cy_release(&c.doc);
	if (rc)
		compose_release(p); /* a refused file leaves nothing to release */
	return rc;
}

static void service_release(struct compose_service *s)
{
	free(s->name);
	free(s->build);
	free(s->image);
	strv_release(&s->command);
	strv_release(&s->env);
	strv_release(&s->ports);
	strv_release(&s->volumes);
	strv_release(&s->depends_on);
	free(s->restart);
	free(s->provider);
}

void compose_release(struct compose_project *p)
{
	for (size_t i = 0; i < p->n_services; i++)
		service_release(&p->services[i]);
	free(p->services);
	for (size_t i = 0; i < p->n_volumes; i++) {
		free(p->volumes[i].key);
		free(p->volumes[i].name);
		free(p->volumes[i].type);
	}
	free(p->volumes);
	free(p->name);
	free(p->file);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}

const struct compose_service *compose_service(const struct compose_project *p, const char *name)
{
	for (size_t i = 0; i < p->n_services; i++)
		if (!strcmp(p->services[i].name, name))
			return &p->services[i];
	return NULL;
}
